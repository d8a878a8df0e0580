//! Executables that embed CPython: the bundled example built, copied to an
//! empty directory and run with a hostile Python environment; importer
//! invariants; tracebacks, exit codes and Ctrl-C; a stdlib-heavy script;
//! pyflakes from PyPI; and the bad inputs the embedding must report.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::Project;

/// The bundled example (`examples/app`), built once per test run in a copy,
/// then copied (executable + lib/ only) into an otherwise empty directory.
fn example() -> &'static PathBuf {
    static EXAMPLE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &EXAMPLE
        .get_or_init(|| {
            let work = tempfile::tempdir().unwrap();
            copy_example(&work.path().join("project"));
            let out = Command::new(env!("CARGO_BIN_EXE_oxdist"))
                .args(["build", "install"])
                .current_dir(work.path().join("project"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "building the example failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let installed = work
                .path()
                .join("project/build")
                .join(oxdist::HOST_TRIPLE)
                .join("install/bin");
            let empty = work.path().join("elsewhere");
            copy_tree(&installed, &empty);
            (work, empty.join("greeter"))
        })
        .1
}

/// Copies the bundled example's sources and configuration (not its build
/// output) to `project`.
fn copy_example(project: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/app");
    copy_tree(&source.join("src"), &project.join("src"));
    std::fs::copy(source.join("oxdist.star"), project.join("oxdist.star")).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `exe` with a Python environment that would break a normal interpreter.
fn run(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .current_dir(exe.parent().unwrap())
        .env("PYTHONHOME", "/nonexistent/home")
        .env("PYTHONPATH", "/garbage:/more/garbage")
        .env("PYTHONSTARTUP", "/nonexistent/startup.py")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn example_runs_from_an_empty_directory() {
    let exe = example();
    let dir = exe.parent().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["greeter", "lib"], "only the executable and its lib/");
    let out = run(exe, &["Ada"]);
    assert_eq!(
        text(&out.stdout),
        "Hello, Ada! (greeter 1.0.0, frozen=True)\n",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        run(exe, &["nobody"]).status.code(),
        Some(3),
        "the exit code reaches the caller"
    );
}

#[test]
fn no_libpython_is_linked() {
    let ldd = common::tool("ldd", &[example().to_str().unwrap()], "libc-bin");
    assert!(!ldd.contains("libpython"), "{ldd}");
}

#[test]
fn importer_invariants() {
    let script = r#"
import sys, json, importlib.metadata, importlib.resources
import greeter.cli
print("meta_path", [type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path])
print("path", sys.path)
print("flags", sys.frozen, sys.oxidized, sys.executable)
print("json loader", type(json.__loader__).__name__, json.__spec__.origin, json.__spec__.loader is json.__loader__)
print("cli", greeter.cli.__spec__.name, greeter.cli.__spec__.parent, hasattr(greeter.cli, "__file__"))
print("package", greeter.__spec__.submodule_search_locations is not None)
print("version", importlib.metadata.version("greeter"))
print("entry", [e.value for e in importlib.metadata.entry_points(group="console_scripts", name="greeter")])
print("data", importlib.resources.files("greeter").joinpath("data/greeting.txt").read_text().strip())
print("listing", sorted(p.name for p in importlib.resources.files("greeter").joinpath("data").iterdir()))
import _ssl
print("ext", type(_ssl.__loader__).__name__)
import sysconfig, zoneinfo
print("sysconfig", bool(sysconfig.get_config_vars()), sysconfig.get_config_var("VERSION"))
"#;
    let exe = example();
    let out = run(exe, &["-c", script]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for line in [
        "meta_path ['BuiltinImporter', 'FrozenImporter', 'OxidizedFinder']",
        "path []",
        &format!("flags True True {}", exe.display()),
        "json loader OxidizedFinder oxdist True",
        "cli greeter.cli greeter False",
        "package True",
        "version 1.0.0",
        "entry ['greeter.cli:main']",
        "data Hello",
        "listing ['greeting.txt']",
        "ext ExtensionFileLoader",
        "sysconfig True 3.11",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn tracebacks_name_module_files_and_show_source() {
    let out = run(example(), &["--fail"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Traceback (most recent call last):"), "{stderr}");
    assert!(stderr.contains("File \"greeter/cli.py\", line"), "{stderr}");
    assert!(
        stderr.contains("raise RuntimeError(\"asked to fail\")"),
        "source line shown:\n{stderr}"
    );
    assert!(stderr.contains("RuntimeError: asked to fail"), "{stderr}");
}

#[test]
fn ctrl_c_raises_keyboard_interrupt_and_exits_like_python() {
    let mut child = Command::new(example())
        .args(["-c", "import time\nprint('ready', flush=True)\ntime.sleep(60)"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    // CPython re-raises SIGINT after printing the traceback (shells see 130).
    assert_eq!(out.status.signal(), Some(2), "{:?}", out.status);
    assert!(text(&out.stderr).contains("KeyboardInterrupt"), "{}", text(&out.stderr));
}

/// A script using much of the standard library, including extension
/// modules and multiprocessing's spawn (which re-executes the executable).
const STDLIB_HEAVY_SCRIPT: &str = r#"
import _uuid, asyncio, ctypes, decimal, email.parser, json, multiprocessing, sqlite3, ssl, sys

def square(x):
    return x * x

async def answer():
    await asyncio.sleep(0)
    return 42

if __name__ == "__main__":
    print("json", json.dumps({"a": [1, 2.5, None]}))
    print("email", email.parser.Parser().parsestr("Subject: hi\n\nbody").get("Subject"))
    print("asyncio", asyncio.run(answer()))
    con = sqlite3.connect(":memory:")
    print("sqlite", con.execute("select 6 * 7").fetchone()[0])
    print("decimal", decimal.Decimal(1) / decimal.Decimal(8))
    print("ssl", ssl.OPENSSL_VERSION.split()[0], ssl.create_default_context().protocol.name)
    print("ctypes", ctypes.sizeof(ctypes.c_int))
    print("uuid", callable(_uuid.generate_time_safe))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        print("spawn", pool.map(square, [1, 2, 3]))
"#;

/// What [`STDLIB_HEAVY_SCRIPT`] prints.
const STDLIB_HEAVY_OUTPUT: [&str; 9] = [
    "json {\"a\": [1, 2.5, null]}",
    "email hi",
    "asyncio 42",
    "sqlite 42",
    "decimal 0.125",
    "ssl OpenSSL",
    "ctypes 4",
    "uuid True",
    "spawn [1, 4, 9]",
];

#[test]
fn stdlib_heavy_script_runs_from_memory() {
    let script = STDLIB_HEAVY_SCRIPT;
    let dir = example().parent().unwrap();
    let script_path = dir.join("heavy.py");
    std::fs::write(&script_path, script).unwrap();
    let out = run(example(), &[script_path.to_str().unwrap()]);
    // A script path is an application argument; run it through python mode instead.
    let out = if out.status.success() && text(&out.stdout).contains("spawn") {
        out
    } else {
        run(
            example(),
            &[
                "-c",
                &format!("import runpy; runpy.run_path({:?}, run_name='__main__')", script_path),
            ],
        )
    };
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for line in STDLIB_HEAVY_OUTPUT {
        assert!(
            stdout.contains(line),
            "missing {line:?} in:\n{stdout}\n{}",
            text(&out.stderr)
        );
    }
    std::fs::remove_file(script_path).unwrap();
}

/// `exe.freeze_stdlib = True`: every frozen code object equals what CPython
/// compiles from the module's source (all attributes, constants of every
/// type, recursively: the generator's oracle is the interpreter itself), the
/// standard library works from the frozen copies, tracebacks through them
/// show source lines, the launcher is linked at a fixed address (no
/// start-up relocations) and a rebuild reuses it byte for byte.
#[test]
fn frozen_stdlib_equals_compiled_code_and_runs() {
    let p = Project::new();
    p.config(
        r#"
def make_exe():
    exe = default_python_distribution().to_python_executable("pyf")
    exe.freeze_stdlib = True
    return exe
register_target("exe", make_exe)
resolve_targets()
"#,
    );
    p.run(&["build"]).ok();
    let exe = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe/pyf");

    let check = p.file("check_frozen.py", FROZEN_ORACLE_SCRIPT);
    let out = run(&exe, &[check.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let checked: usize = stdout
        .lines()
        .find_map(|l| l.strip_suffix(" frozen modules, 0 differences"))
        .unwrap_or_else(|| panic!("differences between frozen and compiled code:\n{stdout}"))
        .parse()
        .unwrap();
    assert!(checked >= 500, "only {checked} modules are frozen:\n{stdout}");
    assert!(stdout.contains("bytecode entries: ['_oxdist_importer']"), "{stdout}");
    assert!(stdout.contains("json: OxidizedFinder oxdist"), "{stdout}");

    let heavy = p.file("heavy.py", STDLIB_HEAVY_SCRIPT);
    let out = run(&exe, &[heavy.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for line in STDLIB_HEAVY_OUTPUT {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }

    let out = run(&exe, &["-c", "import json; json.loads('{')"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File \"json/decoder.py\", line"), "{stderr}");
    assert!(
        stderr.contains("obj, end = self.scan_once(s, idx)"),
        "source line shown:\n{stderr}"
    );

    // ELF e_type at offset 16: ET_EXEC (2), not a position-independent ET_DYN (3).
    let bytes = std::fs::read(&exe).unwrap();
    assert_eq!(
        u16::from_le_bytes([bytes[16], bytes[17]]),
        2,
        "the frozen launcher is not linked at a fixed address"
    );

    let run = p.run(&["build"]).ok();
    assert!(run.stderr.contains("cached launcher"), "{}", run.stderr);
    assert!(
        bytes == std::fs::read(&exe).unwrap(),
        "rebuilding changed the executable"
    );
}

/// Compares every `z:` module's frozen code object with the one CPython
/// compiles from the packed source, attribute by attribute and constant by
/// constant (types included: a frozenset must not come back as a tuple).
const FROZEN_ORACLE_SCRIPT: &str = r#"
import _oxdist, json, sys
CODE = type(compile("", "", "exec"))
ATTRS = ("co_code", "co_linetable", "co_exceptiontable", "co_varnames", "co_cellvars", "co_freevars",
         "co_names", "co_filename", "co_name", "co_qualname", "co_flags", "co_stacksize", "co_nlocals",
         "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_firstlineno")
differences = []
def compare(a, b, where):
    if type(a) is not type(b):
        differences.append(f"{where}: {type(a).__name__} is not {type(b).__name__}")
    elif type(a) is CODE:
        differences.extend(f"{where}: {n}" for n in ATTRS if getattr(a, n) != getattr(b, n))
        if list(a.co_positions()) != list(b.co_positions()):
            differences.append(f"{where}: co_positions")
        compare(a.co_consts, b.co_consts, f"{where}:{a.co_qualname}")
    elif type(a) in (tuple, frozenset):
        if len(a) != len(b):
            differences.append(f"{where}: {len(a)} != {len(b)} items")
        else:
            if type(a) is frozenset:
                a, b = sorted(a, key=repr), sorted(b, key=repr)
            for x, y in zip(a, b):
                compare(x, y, where)
    elif repr(a) != repr(b):
        differences.append(f"{where}: {a!r:.40} != {b!r:.40}")
finder = sys.meta_path[-1]
names = [key[2:] for key in _oxdist.keys("z:")]
for name in names:
    frozen = _oxdist.frozen(name)
    source = bytes(_oxdist.get("s:" + name))
    compiled = compile(source, finder.get_filename(name), "exec", dont_inherit=True, optimize=sys.flags.optimize)
    if frozen != compiled:
        differences.append(f"{name}: code objects differ")
    compare(frozen, compiled, name)
print(*differences[:20], sep="\n")
print(f"{len(names)} frozen modules, {len(differences)} differences")
print("bytecode entries:", [key[3:] for key in _oxdist.keys("b0:")])
print("json:", type(json.__loader__).__name__, json.__spec__.origin)
"#;

/// The distribution's extension modules are installed without symbol
/// tables, debug information or the build machine's RUNPATH, and as
/// executable shared libraries (rpm's expectation); the example's imports of
/// them are checked by `stdlib_heavy_script_runs_from_memory`.
#[test]
fn extension_modules_are_stripped_and_executable() {
    use std::os::unix::fs::PermissionsExt;
    let lib = example().parent().unwrap().join("lib");
    let mut modules: Vec<String> = std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    modules.sort();
    assert!(modules.len() > 20, "{modules:?}");
    for module in &modules {
        let mode = std::fs::metadata(module).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "{module}");
    }
    let args: Vec<&str> = modules.iter().map(String::as_str).collect();
    let sections = common::tool("readelf", &[&["-S", "-W"], &args[..]].concat(), "binutils");
    for name in [".symtab", ".strtab", ".debug_", ".comment"] {
        assert!(!sections.contains(name), "{name} left in:\n{sections}");
    }
    assert!(sections.contains(".gnu.hash"), "{sections}");
    let dynamic = common::tool("readelf", &[&["-d"], &args[..]].concat(), "binutils");
    assert!(!dynamic.contains("RUNPATH") && !dynamic.contains("RPATH"), "{dynamic}");
    let file = common::tool("file", &args, "file");
    assert_eq!(file.lines().count(), modules.len(), "{file}");
    for line in file.lines() {
        assert!(line.ends_with(", stripped"), "{line}");
    }
}

/// `exe.strip_extension_modules = False` installs the distribution's
/// modules byte for byte; the attribute takes only booleans.
#[test]
fn strip_extension_modules_can_be_turned_off() {
    let host_json = Command::new("python3")
        .args(["-c", "import _json; print(_json.__file__)"])
        .output()
        .unwrap();
    let host_json = PathBuf::from(text(&host_json.stdout).trim());
    let p = app_project(
        "import json\nprint(json.dumps([1]))\n",
        r#"    if exe.strip_extension_modules != True:
        fail("stripping is not the default")
    exe.strip_extension_modules = False
    exe.add_python_resources(exe.read_package_root("src", ["app"]))"#,
    );
    p.run(&["build"]).ok();
    let dir = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe");
    let installed = dir.join("lib").join(host_json.file_name().unwrap());
    assert_eq!(std::fs::read(&installed).unwrap(), std::fs::read(&host_json).unwrap());
    let out = common::output_retrying(&mut Command::new(dir.join("app")));
    assert_eq!(text(&out.stdout), "[1]\n", "{}", text(&out.stderr));

    let config = std::fs::read_to_string(p.path().join("oxdist.star")).unwrap();
    p.config(&config.replace("strip_extension_modules = False", "strip_extension_modules = \"no\""));
    p.run(&["build"])
        .fails_with(3, &["strip_extension_modules must be True or False"]);
}

/// An application's own extension module (here from a package root; wheels
/// take the same path) is stripped too, keeping an `$ORIGIN`-relative
/// RUNPATH; a file named like one that is not a shared library is refused
/// by name.
#[test]
fn application_extension_modules_are_stripped_and_bad_ones_named() {
    let p = app_project(
        "print('ok')\n",
        r#"    exe.add_python_resources(exe.read_package_root("src", ["app"]))"#,
    );
    let source = p.file("native.c", "int answer(void) { return 42; }\n");
    let native = p.path().join("src/app/_native.abi3.so");
    let status = Command::new("cc")
        .args([
            "-shared",
            "-fPIC",
            "-g",
            "-Wl,-rpath,/build/lib:$ORIGIN/../app.libs",
            "-o",
        ])
        .arg(&native)
        .arg(&source)
        .status()
        .expect("cc runs");
    assert!(status.success());
    p.run(&["build"]).ok();
    let installed = p
        .path()
        .join("build")
        .join(oxdist::HOST_TRIPLE)
        .join("exe/lib/app/_native.abi3.so");
    let installed = installed.to_str().unwrap();
    assert!(
        common::tool("file", &[installed], "file")
            .trim_end()
            .ends_with(", stripped")
    );
    let dynamic = common::tool("readelf", &["-d", installed], "binutils");
    assert!(dynamic.contains("Library runpath: [$ORIGIN/../app.libs]"), "{dynamic}");

    p.file("src/app/_fake.abi3.so", "not a library\n");
    p.run(&["build"]).fails_with(
        3,
        &[
            "extension module",
            "_fake.abi3.so is not a shared library",
            "leave it out",
        ],
    );
}

/// A project whose `exe` target runs package `app` (from `src/`, with
/// `__main__.py` = `main`); `add` is the Starlark that adds its resources
/// to `exe`.
fn app_project(main: &str, add: &str) -> Project {
    let p = Project::new();
    p.file("src/app/__init__.py", "");
    p.file("src/app/__main__.py", main);
    p.config(&format!(
        r#"
def make_exe():
    dist = default_python_distribution()
    config = dist.make_python_interpreter_config()
    config.run_module = "app"
    exe = dist.to_python_executable("app", config = config)
{add}
    return exe
register_target("exe", make_exe)
resolve_targets()
"#
    ));
    p
}

#[test]
fn rebuilding_after_editing_app_code_does_not_compile_the_launcher() {
    let p = app_project(
        "print('version one')\n",
        "    exe.add_python_resources(exe.read_package_root(\"src\", [\"app\"]))",
    );
    p.run(&["build"]).ok();
    let exe = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe/app");
    assert_eq!(
        text(&common::output_retrying(&mut Command::new(&exe)).stdout),
        "version one\n"
    );
    // Same inputs, same bytes, all bytecode from the cache.
    let first = std::fs::read(&exe).unwrap();
    let run = p.run(&["build"]).ok();
    assert!(
        first == std::fs::read(&exe).unwrap(),
        "rebuilding unchanged sources changed the executable"
    );
    assert!(run.stderr.contains("bytecode: 0 compiled"), "{}", run.stderr);
    p.file("src/app/__main__.py", "print('version two')\n");
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr.contains("cached launcher"),
        "no Rust compile on rebuild:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("launcher compiled"), "{}", run.stderr);
    assert_eq!(
        text(&common::output_retrying(&mut Command::new(&exe)).stdout),
        "version two\n"
    );
}

#[test]
fn pyflakes_from_pypi_lints_with_the_right_output_and_exit_code() {
    // examples/pypi-cli, built offline from the pinned wheel.
    let wheel = common::pyflakes_wheel();
    let wheels = wheel.parent().unwrap().to_str().unwrap().to_string();
    let p = Project::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pypi-cli/oxdist.star");
    p.config(&std::fs::read_to_string(example).unwrap());
    p.run(&["--var", "wheels", &wheels, "build"]).ok();
    let exe = p
        .path()
        .join("build")
        .join(oxdist::HOST_TRIPLE)
        .join("install/bin/pyflakes");
    let bad = p.file("bad.py", "import os\n\ndef f():\n    return undefined_name\n");
    let good = p.file("good.py", "import os\n\nprint(os.sep)\n");
    let out = Command::new(&exe).arg(&bad).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("bad.py:1:1: 'os' imported but unused"), "{stdout}");
    assert!(
        stdout.contains("bad.py:4:12: undefined name 'undefined_name'"),
        "{stdout}"
    );
    let out = Command::new(&exe).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let out = Command::new(&exe).arg("--version").output().unwrap();
    assert!(text(&out.stdout).contains("3.2.0"), "{}", text(&out.stdout));
}

#[test]
fn module_name_collision_is_reported() {
    let p = Project::new();
    p.file("src/json/__init__.py", "print('my json')\n");
    p.config(
        r#"
def make_exe():
    dist = default_python_distribution()
    exe = dist.to_python_executable("app")
    exe.add_python_resources(exe.read_package_root("src", ["json"]))
    return exe
register_target("exe", make_exe)
resolve_targets()
"#,
    );
    p.run(&["build"]).fails_with(
        3,
        &["module name collision: json is provided by", "PythonModuleSource json"],
    );
}

#[test]
fn missing_static_library_is_reported() {
    let p = Project::new();
    let fake = p.exe(
        "python-no-static",
        "#!/bin/sh\n\
         if [ \"$3\" = \"-c\" ]; then exec python3 -I -S -c 'import sys, sysconfig\n\
_get = sysconfig.get_config_var\n\
sysconfig.get_config_var = lambda n: \"/nonexistent\" if n in (\"LIBPL\", \"LIBDIR\") else _get(n)\n\
exec(sys.argv[1])' \"$4\"; fi\n\
         exec python3 \"$@\"\n",
    );
    p.config("register_target(\"exe\", lambda: default_python_distribution().to_python_executable(\"app\"))\n");
    p.run(&["build", "--python", fake.to_str().unwrap()])
        .fails_with(3, &["no static libpython", "apt-get install python3.11-dev"]);
}

#[test]
fn a_corrupted_executable_says_so_instead_of_crashing() {
    let original = example();
    let p = Project::new();
    let exe = p.path().join("greeter");
    let mut bytes = std::fs::read(original).unwrap();
    let len = bytes.len();
    let blob_len = u64::from_le_bytes(bytes[len - 16..len - 8].try_into().unwrap()) as usize;
    let blob_start = len - 16 - blob_len;
    // Damage the blob's header (its magic).
    bytes[blob_start] ^= 0xff;
    std::fs::write(&exe, &bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = common::output_retrying(&mut Command::new(&exe));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("packed resources") && stderr.contains("corrupted") && stderr.contains("rebuild it"),
        "{stderr}"
    );
    // Without any resources at all.
    let truncated = p.path().join("truncated");
    std::fs::write(&truncated, &bytes[..blob_start]).unwrap();
    std::fs::set_permissions(&truncated, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = common::output_retrying(&mut Command::new(&truncated));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("carries no packed resources"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn filesystem_relative_modules_have_a_file() {
    let p = app_project(
        "import os, app\nprint(app.__file__, os.path.isfile(app.__file__))\n",
        r#"    for r in exe.read_package_root("src", ["app"]):
        if type(r) == "PythonModuleSource":
            r.add_location = "filesystem-relative:lib"
        exe.add_python_resource(r)"#,
    );
    p.run(&["build"]).ok();
    let dir = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe");
    assert!(dir.join("lib/app/__init__.py").is_file());
    let out = common::output_retrying(&mut Command::new(dir.join("app")));
    let expected = format!("{} True\n", dir.join("lib/app/__init__.py").display());
    assert_eq!(text(&out.stdout), expected, "{}", text(&out.stderr));
}

/// An installed oxdist (here: the binary copied away from `target/`) with an
/// empty cache builds its launcher from the runtime sources compiled into
/// it, not from this source tree. The launcher's dependencies compile into
/// a target directory kept under `target/test-data`, so after the first run
/// this costs about one compile of the runtime crate.
#[test]
fn installed_oxdist_builds_a_launcher_without_its_source_tree() {
    let work = tempfile::tempdir().unwrap();
    let oxdist = work.path().join("bin/oxdist");
    std::fs::create_dir_all(oxdist.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_oxdist"), &oxdist).unwrap();
    let project = work.path().join("project");
    copy_example(&project);
    let cache = work.path().join("cache");
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data/launcher-target");
    let out = common::output_retrying(
        Command::new(&oxdist)
            .arg("build")
            .current_dir(&project)
            .env("OXDIST_CACHE_DIR", &cache)
            .env("OXDIST_LAUNCHER_TARGET_DIR", &target),
    );
    assert!(out.status.success(), "build failed:\n{}", text(&out.stderr));

    // A launcher was built, from a project that refers to nothing in this
    // source tree.
    let sources: Vec<PathBuf> = std::fs::read_dir(cache.join("launchers"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("src-"))
        .collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    let key = &sources[0].file_name().unwrap().to_string_lossy()["src-".len()..];
    assert!(cache.join("launchers").join(key).join("oxdist-launcher").is_file());
    assert!(sources[0].join("embed/src/runtime/importer.py").is_file());
    let workspace = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap();
    for name in [
        "Cargo.toml",
        "build.rs",
        "main.rs",
        "pyo3-config.txt",
        "embed/Cargo.toml",
    ] {
        let text = std::fs::read_to_string(sources[0].join(name)).unwrap();
        assert!(
            !text.contains(workspace.to_str().unwrap()),
            "{name} refers to the source tree:\n{text}"
        );
    }

    let exe = project
        .join("build")
        .join(oxdist::HOST_TRIPLE)
        .join("install/bin/greeter");
    let out = run(&exe, &["Ada"]);
    assert_eq!(
        text(&out.stdout),
        "Hello, Ada! (greeter 1.0.0, frozen=True)\n",
        "{}",
        text(&out.stderr)
    );
}

/// `PythonInterpreterConfig` fields beyond the run mode reach the
/// interpreter, and zstd-compressed resources load like plain ones.
#[test]
fn interpreter_config_fields_and_compressed_resources() {
    let p = Project::new();
    p.file("src/app/__init__.py", "");
    p.file("src/app/data.txt", "packed data\n");
    p.file(
        "src/app/__main__.py",
        r#"import os, sys, json, importlib.resources, multiprocessing
print("frozen", getattr(sys, "frozen", None), "oxidized", sys.oxidized)
print("xoptions", sys._xoptions)
print("dev_mode", sys.flags.dev_mode)
print("path", [p.replace(os.path.dirname(sys.executable), "ORIGIN") for p in sys.path])
print("start method", multiprocessing.get_start_method())
print("terminfo", os.environ.get("TERMINFO_DIRS"))
print("data", importlib.resources.files("app").joinpath("data.txt").read_text().strip())
print("json", json.dumps({"a": 1}))
"#,
    );
    p.config(
        r#"
def make_exe():
    dist = default_python_distribution()
    policy = dist.make_python_packaging_policy()
    config = dist.make_python_interpreter_config()
    config.run_module = "app"
    config.sys_frozen = False
    config.x_options = ["oxdist_test=1"]
    config.development_mode = True
    config.sys_paths = ["$ORIGIN/one"]
    config.module_search_paths = ["$ORIGIN/two"]
    config.multiprocessing_start_method = "spawn"
    config.terminfo_resolution = "static:/opt/terminfo"
    exe = dist.to_python_executable("app", packaging_policy = policy, config = config)
    exe.resources_compression_level = 3
    exe.add_python_resources(exe.read_package_root("src", ["app"]))
    return exe
register_target("exe", make_exe)
resolve_targets()
"#,
    );
    p.run(&["build"]).ok();
    let exe = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe/app");
    let out = common::output_retrying(Command::new(&exe).env_remove("TERMINFO_DIRS"));
    assert_eq!(
        text(&out.stdout),
        "frozen None oxidized True\n\
         xoptions {'oxdist_test': '1'}\n\
         dev_mode True\n\
         path ['ORIGIN/one', 'ORIGIN/two']\n\
         start method spawn\n\
         terminfo /opt/terminfo\n\
         data packed data\n\
         json {\"a\": 1}\n",
        "{}",
        text(&out.stderr)
    );
    // The environment's own TERMINFO_DIRS wins.
    let out = common::output_retrying(Command::new(&exe).env("TERMINFO_DIRS", "/mine"));
    assert!(text(&out.stdout).contains("terminfo /mine\n"), "{}", text(&out.stdout));

    // Compressed: much smaller than the same build without compression
    // (the launcher, about 8 MB, is the same in both).
    let compressed = std::fs::metadata(&exe).unwrap().len();
    let config = std::fs::read_to_string(p.path().join("oxdist.star")).unwrap();
    p.config(&config.replace("exe.resources_compression_level = 3", ""));
    p.run(&["build"]).ok();
    let plain = std::fs::metadata(&exe).unwrap().len();
    assert!(
        compressed * 10 < plain * 6,
        "compressed {compressed} bytes, plain {plain} bytes"
    );
}

/// `to_embedded_resources()` builds the packed resources alone, readable
/// with the embed crate's parser, and the files that go beside them.
#[test]
fn embedded_resources_build_without_a_launcher() {
    let p = app_project(
        "print('never run')\n",
        "    exe.add_python_resources(exe.read_package_root(\"src\", [\"app\"]))\n    return exe.to_embedded_resources()",
    );
    let run = p.run(&["build"]).ok();
    assert!(run.stderr.contains("no launcher"), "{}", run.stderr);
    let dir = p.path().join("build").join(oxdist::HOST_TRIPLE).join("exe");
    let blob = std::fs::read(dir.join("packed-resources")).unwrap();
    let resources = oxdist_embed::format::PackedResources::parse(&blob).unwrap();
    assert!(
        resources
            .get(oxdist_embed::format::EntryKind::Bytecode0, "app.__main__")
            .is_some()
    );
    assert!(
        resources
            .get(oxdist_embed::format::EntryKind::Bytecode0, "json")
            .is_some()
    );
    assert!(
        resources
            .get(oxdist_embed::format::EntryKind::Config, "interpreter")
            .is_some()
    );
    assert!(dir.join("lib").is_dir(), "extension modules go beside the resources");
    assert!(!dir.join("app").exists(), "no executable is built");
}
