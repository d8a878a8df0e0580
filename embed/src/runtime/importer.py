"""oxdist's in-memory importer.

Compiled into every executable's resources as the module ``_oxdist_importer``
and executed by the runtime between CPython's two initialisation phases,
before ``encodings`` is imported. At that point only built-in and frozen
modules exist, so this module imports nothing else at the top level; the
importlib helpers it needs later (``importlib.resources``,
``importlib.metadata``) are imported lazily, once the interpreter is fully up.

Resources come from the built-in module ``_oxdist``, which reads the packed
resources appended to the executable without copying:

- ``_oxdist.get(key)`` -> memoryview or None
- ``_oxdist.flags(key)`` -> int or None (bit 0: package)
- ``_oxdist.keys(prefix)`` -> list of keys starting with ``prefix``
- ``_oxdist.exe_dir``, ``_oxdist.executable``, ``_oxdist.optimize``
- ``_oxdist.frozen(name)`` -> the code object of a ``z:`` entry, deep-frozen
  into the launcher, or None (only in launchers built with
  ``freeze_stdlib``)

Keys are ``KIND:NAME``: ``b0:``/``b1:``/``b2:`` bytecode, ``s:`` source,
``r:PACKAGE\\0PATH`` package data, ``d:DIST-INFO\\0PATH`` distribution
metadata, ``e:`` extension module (data: path relative to the executable's
directory), ``n:`` namespace package, ``f:`` module on the filesystem (data:
relative path of its ``.py``), ``z:`` module whose code object is compiled
into the launcher (data: SHA-256 of the bytecode it stands for).
"""

import _imp
import _oxdist
import marshal
import sys

_IS_PACKAGE = 1
_START_METHOD = None
_EXE_DIR = _oxdist.exe_dir
_BYTECODE = "b%d:" % _oxdist.optimize
_FROZEN = getattr(_oxdist, "frozen", None)
_KINDS = ("z:", _BYTECODE, "s:", "f:", "e:", "n:") if _FROZEN else (_BYTECODE, "s:", "f:", "e:", "n:")


def _module_spec():
    # `_frozen_importlib` is importlib._bootstrap, installed in the core phase.
    return sys.modules["_frozen_importlib"].ModuleSpec


def _path_of(relative):
    return _EXE_DIR + "/" + relative


def _read_file(path):
    import _io

    with _io.open(path, "rb") as f:
        return f.read()


class OxidizedFinder:
    """A meta path finder and loader for modules packed into the executable."""

    # Python's import system asks these as class attributes.
    _ORIGIN = "oxdist"

    def __repr__(self):
        return "<OxidizedFinder %s>" % _oxdist.executable

    # ------------------------------------------------------------ finding

    def _kind(self, name):
        """(kind, is_package) of a module name, or None."""
        for kind in _KINDS:
            flags = _oxdist.flags(kind + name)
            if flags is not None:
                return kind, bool(flags & _IS_PACKAGE)
        return None

    def find_spec(self, fullname, path=None, target=None):
        if _imp.is_builtin(fullname) or _imp.is_frozen(fullname):
            return None
        found = self._kind(fullname)
        if found is None:
            return None
        kind, is_package = found
        ModuleSpec = _module_spec()
        if kind == "e:":
            return self._extension_spec(fullname)
        if kind == "n:":
            spec = ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = []
            return spec
        if kind == "f:":
            relative = bytes(_oxdist.get("f:" + fullname)).decode("utf-8")
            spec = ModuleSpec(fullname, self, origin=_path_of(relative), is_package=is_package)
            spec.has_location = True
            if is_package:
                spec.submodule_search_locations = [_path_of(relative.rpartition("/")[0])]
            return spec
        spec = ModuleSpec(fullname, self, origin=self._ORIGIN, is_package=is_package)
        if is_package:
            # Like a directory beside the executable; nothing is read from it.
            spec.submodule_search_locations = [_path_of(fullname.replace(".", "/"))]
        return spec

    def _extension_spec(self, fullname):
        import _frozen_importlib_external as external

        relative = bytes(_oxdist.get("e:" + fullname)).decode("utf-8")
        path = _path_of(relative)
        loader = external.ExtensionFileLoader(fullname, path)
        return external.spec_from_file_location(fullname, path, loader=loader)

    def invalidate_caches(self):
        pass

    # ------------------------------------------------------------ loading

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__spec__.name
        code = self.get_code(name)
        if code is None:
            # A namespace package: nothing to run.
            return
        exec(code, module.__dict__)
        if name == "multiprocessing" and _START_METHOD is not None:
            # PythonInterpreterConfig.multiprocessing_start_method, applied
            # when the application first imports multiprocessing.
            module.set_start_method(_START_METHOD, force=True)

    def get_code(self, fullname):
        if _FROZEN is not None:
            code = _FROZEN(fullname)
            if code is not None:
                return code
        data = _oxdist.get(_BYTECODE + fullname)
        if data is not None:
            return marshal.loads(data)
        source = self.get_source(fullname)
        if source is not None:
            return compile(source, self.get_filename(fullname), "exec", dont_inherit=True)
        relative = _oxdist.get("f:" + fullname)
        if relative is not None:
            path = _path_of(bytes(relative).decode("utf-8"))
            return compile(_read_file(path), path, "exec", dont_inherit=True)
        if _oxdist.flags("n:" + fullname) is not None:
            return None
        raise ImportError("no code for module %r in %s" % (fullname, _oxdist.executable), name=fullname)

    def get_source(self, fullname):
        data = _oxdist.get("s:" + fullname)
        if data is None:
            relative = _oxdist.get("f:" + fullname)
            if relative is None:
                return None
            data = _read_file(_path_of(bytes(relative).decode("utf-8")))
        import importlib.util

        return importlib.util.decode_source(bytes(data))

    def get_filename(self, fullname):
        """The path tracebacks show: the module's path below the executable's directory."""
        relative = _oxdist.get("f:" + fullname)
        if relative is not None:
            return _path_of(bytes(relative).decode("utf-8"))
        found = self._kind(fullname)
        if found is None:
            raise ImportError("no module named %r" % fullname, name=fullname)
        suffix = "/__init__.py" if found[1] else ".py"
        return fullname.replace(".", "/") + suffix

    def is_package(self, fullname):
        found = self._kind(fullname)
        if found is None:
            raise ImportError("no module named %r" % fullname, name=fullname)
        return found[1]

    def get_data(self, path):
        """Bytes of a package data file (by its virtual path) or of a file below the executable's directory."""
        prefix = _EXE_DIR + "/"
        if path.startswith(prefix):
            relative = path[len(prefix):]
            package, _, name = relative.rpartition("/")
            # The longest package prefix that owns this file.
            parts = relative.split("/")
            for i in range(len(parts) - 1, 0, -1):
                data = _oxdist.get("r:" + ".".join(parts[:i]) + "\0" + "/".join(parts[i:]))
                if data is not None:
                    return bytes(data)
            return _read_file(path)
        raise OSError("%s is not below %s" % (path, _EXE_DIR))

    # ------------------------------------------------------------ importlib.resources

    def get_resource_reader(self, fullname):
        found = self._kind(fullname)
        if found is None or not found[1]:
            return None
        return _ResourceReader(fullname)

    # ------------------------------------------------------------ importlib.metadata

    def find_distributions(self, context=None):
        """Distributions whose .dist-info is packed into the executable."""
        import importlib.metadata as metadata

        name = getattr(context, "name", None)
        wanted = _normalize(name) if name else None
        seen = set()
        for key in _oxdist.keys("d:"):
            directory = key[2:].partition("\0")[0]
            if directory in seen:
                continue
            seen.add(directory)
            stem = directory.rpartition(".")[0]
            dist_name = stem.rpartition("-")[0] if "-" in stem else stem
            if wanted is None or _normalize(dist_name) == wanted:
                yield _distribution_class(metadata)(directory)


def _normalize(name):
    out = []
    for ch in name.lower():
        out.append("_" if ch in "-." else ch)
    return "".join(out)


_DISTRIBUTION = None


def _distribution_class(metadata):
    global _DISTRIBUTION
    if _DISTRIBUTION is None:

        class OxidizedDistribution(metadata.Distribution):
            def __init__(self, directory):
                self._directory = directory

            def read_text(self, filename):
                data = _oxdist.get("d:" + self._directory + "\0" + filename)
                return None if data is None else bytes(data).decode("utf-8")

            def locate_file(self, path):
                return _path_of(str(path))

            def __repr__(self):
                return "<OxidizedDistribution %s>" % self._directory

        _DISTRIBUTION = OxidizedDistribution
    return _DISTRIBUTION


class _ResourceReader:
    """importlib.resources support: `files()` returns a Traversable over packed data."""

    def __init__(self, package):
        self._package = package

    def files(self):
        return _traversable_class()(self._package, "")

    # The pre-3.9 ResourceReader protocol, still used by some code.
    def open_resource(self, resource):
        import io

        return io.BytesIO(self.files().joinpath(resource).read_bytes())

    def resource_path(self, resource):
        raise FileNotFoundError(resource)

    def is_resource(self, name):
        return self.files().joinpath(name).is_file()

    def contents(self):
        return [child.name for child in self.files().iterdir()]


_TRAVERSABLE = None


def _traversable_class():
    global _TRAVERSABLE
    if _TRAVERSABLE is None:
        from importlib.resources.abc import Traversable

        class OxidizedTraversable(Traversable):
            """A file or directory of a package's data, `relative` below the package."""

            def __init__(self, package, relative):
                self._package = package
                self._relative = relative

            @property
            def name(self):
                return self._relative.rpartition("/")[2] or self._package.rpartition(".")[2]

            def _key(self):
                return "r:" + self._package + "\0" + self._relative

            def is_file(self):
                return bool(self._relative) and _oxdist.flags(self._key()) is not None

            def is_dir(self):
                if not self._relative:
                    return True
                return bool(_oxdist.keys(self._key() + "/")) or self._subpackage() is not None

            def _subpackage(self):
                name = self._package + "." + self._relative.replace("/", ".")
                flags = _oxdist.flags(_BYTECODE + name)
                if flags is None:
                    flags = _oxdist.flags("s:" + name)
                return name if flags is not None and flags & _IS_PACKAGE else None

            def iterdir(self):
                prefix = "r:" + self._package + "\0" + (self._relative + "/" if self._relative else "")
                names = set()
                for key in _oxdist.keys(prefix):
                    names.add(key[len(prefix):].partition("/")[0])
                for name in sorted(names):
                    yield OxidizedTraversable(self._package, (self._relative + "/" if self._relative else "") + name)

            def joinpath(self, *descendants):
                relative = self._relative
                for part in descendants:
                    for piece in str(part).split("/"):
                        if piece in ("", "."):
                            continue
                        relative = relative + "/" + piece if relative else piece
                return OxidizedTraversable(self._package, relative)

            __truediv__ = joinpath

            def read_bytes(self):
                data = _oxdist.get(self._key())
                if data is None:
                    raise FileNotFoundError("%s has no resource %r" % (self._package, self._relative))
                return bytes(data)

            def read_text(self, encoding=None, errors=None):
                return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

            def open(self, mode="r", *args, **kwargs):
                import io

                if "b" in mode:
                    return io.BytesIO(self.read_bytes())
                return io.TextIOWrapper(io.BytesIO(self.read_bytes()), *args, **kwargs)

            def __repr__(self):
                return "<OxidizedTraversable %s:%s>" % (self._package, self._relative)

        _TRAVERSABLE = OxidizedTraversable
    return _TRAVERSABLE


def install():
    """Core phase: put the finder right after FrozenImporter, so deep-frozen
    modules keep coming from CPython and everything else from us."""
    finder = OxidizedFinder()
    position = len(sys.meta_path)
    for i, entry in enumerate(sys.meta_path):
        if getattr(entry, "__name__", "") == "FrozenImporter":
            position = i + 1
    sys.meta_path.insert(position, finder)
    return finder


def _excepthook(exc_type, exc, tb):
    """Print tracebacks with the traceback module, which asks loaders for
    source lines (CPython's C printer only looks for files on sys.path)."""
    if issubclass(exc_type, KeyboardInterrupt):
        # Importing anything here would clear CPython's "unhandled Ctrl-C"
        # flag, and with it the SIGINT exit status shells expect.
        sys.__excepthook__(exc_type, exc, tb)
        return
    try:
        import traceback

        traceback.print_exception(exc_type, exc, tb)
    except Exception:
        sys.__excepthook__(exc_type, exc, tb)


def after_main(filesystem_importer, sys_paths, frozen=True, start_method=None):
    """Main phase done: set the identity flags and decide on the filesystem importer."""
    global _START_METHOD
    _START_METHOD = start_method
    if frozen:
        sys.frozen = True
    sys.oxidized = True
    sys.excepthook = _excepthook
    if not filesystem_importer:
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", "") != "PathFinder"]
    sys.path[:] = [p.replace("$ORIGIN", _EXE_DIR) for p in sys_paths]
