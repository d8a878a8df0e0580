# A PyOxidizer configuration, laid out the way `pyoxidizer init-config-file`
# writes it, that oxdist builds as it is: oxdist reads `pyoxidizer.bzl` when
# the directory has no `oxdist.star`. See docs/how-to/migrate-from-pyoxidizer.md.
#
#   oxdist build                         # like `pyoxidizer build`: the install target
#   build/<triple>/install/pyapp Ada     # run what was built
#   oxdist run -- Ada                    # like `pyoxidizer run`: build, then run
#   oxdist build resources               # the embedded resources (default build script)
#   oxdist package --format tar.gz       # new: a release archive (needs the metadata below)
#   oxdist licenses                      # new: what the executable ships, and under which licenses
#
# The migration changed one thing, marked "oxdist:": the added
# set_package_metadata() (PyOxidizer does not know it).

# oxdist: the facts every package format shares. PyOxidizer has no such
# function; `oxdist build` does not need it, `oxdist package` does.
set_package_metadata(
    name = "pyapp",
    version = "0.1.0",
    description = "A PyOxidizer application, migrated to oxdist",
    license = "MIT",
)

def make_exe():
    # The host CPython: no download. (PyOxidizer's default is a
    # python-build-standalone distribution it downloads.)
    dist = default_python_distribution()

    policy = dist.make_python_packaging_policy()
    # No extension module that links a copyleft library (GNU readline):
    # also what `oxdist package`'s default license policy requires.
    policy.extension_module_filter = "no-copyleft"
    policy.resources_location = "in-memory"
    policy.resources_location_fallback = "filesystem-relative:lib"

    python_config = dist.make_python_interpreter_config()
    # Like `python -m pyapp`: runs pyapp/__main__.py.
    python_config.run_module = "pyapp"

    exe = dist.to_python_executable(
        name = "pyapp",
        packaging_policy = policy,
        config = python_config,
    )

    # The application's own package, with its data file, from this directory.
    exe.add_python_resources(exe.read_package_root(CWD, ["pyapp"]))

    return exe

def make_embedded_resources(exe):
    return exe.to_embedded_resources()

def make_install(exe):
    # Create an object that represents our installed application file layout.
    files = FileManifest()

    # Add the generated executable to our install layout in the root directory.
    files.add_python_resource(".", exe)

    return files

register_target(name = "exe", fn = make_exe)
register_target("resources", make_embedded_resources, depends = ["exe"], default_build_script = True)
register_target("install", make_install, depends = ["exe"], default = True)

resolve_targets()
