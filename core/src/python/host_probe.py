# Run by oxdist with the host interpreter (`python -I -S host_probe.py`):
# prints, as one JSON document, what oxdist needs to model this CPython.
# Kept free of third-party imports and of anything site-specific.
import importlib.machinery
import json
import os
import sys
import sysconfig

config_vars = {
    name: sysconfig.get_config_var(name)
    for name in (
        "LIBPL", "LIBDIR", "LIBRARY", "LDLIBRARY", "LIBS", "SYSLIBS", "MODLIBS",
        "LINKFORSHARED", "MULTIARCH", "EXT_SUFFIX", "SOABI", "Py_ENABLE_SHARED",
        "DESTSHARED", "VERSION", "ABIFLAGS",
    )
}
paths = sysconfig.get_paths()
dynload = config_vars["DESTSHARED"] or os.path.join(paths["stdlib"], "lib-dynload")
try:
    dynload_files = sorted(os.listdir(dynload))
except OSError:
    dynload_files = []

json.dump(
    {
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "version_info": list(sys.version_info[:3]) + [sys.version_info.releaselevel, sys.version_info.serial],
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "platform": sys.platform,
        "byteorder": sys.byteorder,
        "builtin_module_names": sorted(sys.builtin_module_names),
        "source_suffixes": importlib.machinery.SOURCE_SUFFIXES,
        "bytecode_suffixes": importlib.machinery.BYTECODE_SUFFIXES,
        "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
        "paths": paths,
        "config_vars": config_vars,
        "dynload_dir": dynload,
        "dynload_files": dynload_files,
    },
    sys.stdout,
)
