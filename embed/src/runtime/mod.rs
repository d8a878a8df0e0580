//! The runtime linked into launchers: find the packed resources appended to
//! the executable, start CPython with them, run the application.
//!
//! Start-up follows PEP 587's two phases:
//!
//! 1. pre-initialise in isolated mode with UTF-8 mode (an isolated
//!    pre-config would leave the "C" locale and ASCII stdio);
//! 2. initialise the core with `_init_main = 0`: only built-in and frozen
//!    modules exist, `sys.path` is empty;
//! 3. run `_oxdist_importer` (bytecode from the resources) to put the
//!    in-memory finder on `sys.meta_path`, so that `encodings` and the rest of
//!    the standard library can come from memory;
//! 4. `_Py_InitializeMain()` finishes initialisation;
//! 5. `Py_RunMain()` runs `run_command` / `run_module` / `run_filename`, or a
//!    REPL, with CPython's own handling of exit codes, `SystemExit`,
//!    tracebacks and Ctrl-C (exit status of SIGINT).
//!
//! "Python mode": when the arguments start like a CPython command line ending
//! in `-c`/`-m` (multiprocessing's resource tracker runs
//! `sys.executable -B -S -I -c …`), or the configuration runs nothing (a
//! `python`-like executable), CPython parses the arguments itself.
//! `--multiprocessing-fork` (spawned workers of a frozen program) runs
//! `multiprocessing.spawn.freeze_support()` (the top-level
//! `multiprocessing.freeze_support()` acts on Windows only).
//!
//! Python 3.14 removed `_Py_InitializeMain`; see docs/architecture.md for the
//! plan (3.15 restores it).

mod config;
mod module;

use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::sync::OnceLock;

use pyo3_ffi as ffi;

use crate::format::{EntryKind, PackedResources, find_appended};
pub use config::InterpreterConfig;

/// The resources of this process's executable, mapped for the process's lifetime.
static RESOURCES: OnceLock<PackedResources<'static>> = OnceLock::new();

/// Paths derived from the executable's location.
struct ExePaths {
    executable: PathBuf,
    dir: PathBuf,
}

unsafe extern "C" {
    /// Private CPython API (3.8–3.13, again in 3.15): finish a two-phase start.
    fn _Py_InitializeMain() -> ffi::PyStatus;
}

/// A start-up failure before Python can report it itself.
fn fail(message: &str) -> i32 {
    eprintln!(
        "{}: {message}",
        std::env::args().next().unwrap_or_else(|| "oxdist executable".into())
    );
    1
}

/// Maps the executable and parses the appended resources.
fn load_resources() -> Result<(ExePaths, &'static PackedResources<'static>), String> {
    let executable = std::env::current_exe().map_err(|e| format!("cannot locate the executable: {e}"))?;
    let file = std::fs::File::open(&executable).map_err(|e| format!("cannot open {}: {e}", executable.display()))?;
    // SAFETY: the mapping is read-only and kept for the life of the process;
    // the executable is not modified while it runs.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("cannot map {}: {e}", executable.display()))?;
    let map: &'static memmap2::Mmap = Box::leak(Box::new(map));
    let blob = find_appended(map)
        .map_err(|e| {
            format!(
                "the packed resources of {} are corrupted ({e}); rebuild it",
                executable.display()
            )
        })?
        .ok_or_else(|| {
            format!(
                "{} carries no packed resources; build it with `oxdist build`",
                executable.display()
            )
        })?;
    let resources = PackedResources::parse(blob).map_err(|e| {
        format!(
            "the packed resources of {} are corrupted ({e}); rebuild it",
            executable.display()
        )
    })?;
    let resources = RESOURCES.get_or_init(|| resources);
    let dir = executable
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok((ExePaths { executable, dir }, resources))
}

/// Runs the application packed into this executable; returns the exit code.
pub fn run() -> i32 {
    let (paths, resources) = match load_resources() {
        Ok(loaded) => loaded,
        Err(message) => return fail(&message),
    };
    let config = match resources.get(EntryKind::Config, "interpreter") {
        Some(entry) => match entry
            .decompressed()
            .map_err(|e| e.to_string())
            .and_then(|data| InterpreterConfig::from_json(&data).map_err(|e| e.to_string()))
        {
            Ok(config) => config,
            Err(e) => {
                return fail(&format!(
                    "invalid interpreter configuration in the packed resources: {e}"
                ));
            }
        },
        None => InterpreterConfig::default(),
    };
    let argv: Vec<CString> = std::env::args_os().map(|a| argument_bytes(&a)).collect();
    let mode = config::Mode::choose(&config, &argv);
    // SAFETY: single-threaded start-up; every CPython call below follows the
    // documented initialisation order.
    unsafe { start(&paths, resources, &config, &argv, mode) }
}

/// An argument as CPython's `PyConfig_SetBytesArgv` decodes it: the bytes
/// as given on Unix; on Windows, where arguments are UTF-16, their UTF-8
/// form (UTF-8 mode is on, so that is how CPython decodes them).
fn argument_bytes(argument: &std::ffi::OsStr) -> CString {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        argument.as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = argument.to_string_lossy().into_owned().into_bytes();
    CString::new(bytes).unwrap_or_default()
}

fn check(status: ffi::PyStatus) {
    // SAFETY: `status` came from CPython; Py_ExitStatusException prints and exits.
    unsafe {
        if ffi::PyStatus_Exception(status) != 0 {
            ffi::Py_ExitStatusException(status);
        }
    }
}

unsafe fn set_string(config: *mut ffi::PyConfig, field: *mut *mut libc::wchar_t, value: &str) {
    let value = CString::new(value).unwrap_or_default();
    // SAFETY: `field` points into `config`, as PyConfig_SetBytesString requires.
    check(unsafe { ffi::PyConfig_SetBytesString(config, field, value.as_ptr()) });
}

unsafe fn start(
    paths: &ExePaths,
    resources: &'static PackedResources<'static>,
    config: &InterpreterConfig,
    argv: &[CString],
    mode: config::Mode,
) -> i32 {
    unsafe {
        // 0. The environment curses/readline read, before anything can start threads.
        if std::env::var_os("TERMINFO_DIRS").is_none()
            && let Some(dirs) = config.terminfo_dirs(|dir| std::path::Path::new(dir).is_dir())
        {
            std::env::set_var("TERMINFO_DIRS", dirs);
        }

        // 1. Pre-initialisation: isolated (unless the "python" profile), UTF-8.
        let mut pre: ffi::PyPreConfig = std::mem::zeroed();
        if config.python_profile() {
            ffi::PyPreConfig_InitPythonConfig(&mut pre);
        } else {
            ffi::PyPreConfig_InitIsolatedConfig(&mut pre);
        }
        pre.utf8_mode = i32::from(config.utf8_mode.unwrap_or(true));
        pre.configure_locale = i32::from(config.configure_locale.unwrap_or(true));
        check(ffi::Py_PreInitialize(&pre));

        // The `_oxdist` module must be registered before the core starts.
        module::register(resources, &paths.dir, &paths.executable, config.optimize_level());

        // 2. Core initialisation.
        let mut cfg: ffi::PyConfig = std::mem::zeroed();
        // Every access goes through one raw pointer: CPython writes into the struct too.
        let c: *mut ffi::PyConfig = &raw mut cfg;
        if config.python_profile() {
            ffi::PyConfig_InitPythonConfig(c);
        } else {
            ffi::PyConfig_InitIsolatedConfig(c);
        }
        let flag = |value: Option<bool>, default: bool| i32::from(value.unwrap_or(default));
        (*c).site_import = flag(config.site_import, false);
        (*c).install_signal_handlers = flag(config.install_signal_handlers, true);
        (*c).write_bytecode = flag(config.write_bytecode, false);
        (*c).use_environment = flag(config.use_environment, config.python_profile());
        (*c).user_site_directory = flag(config.user_site_directory, false);
        // Set only when configured; otherwise the profile's default stands.
        for (value, field) in [
            (config.isolated, &raw mut (*c).isolated),
            (config.development_mode, &raw mut (*c).dev_mode),
            (config.inspect, &raw mut (*c).inspect),
            (config.interactive, &raw mut (*c).interactive),
            (config.buffered_stdio, &raw mut (*c).buffered_stdio),
            (config.verbose, &raw mut (*c).verbose),
            (config.quiet, &raw mut (*c).quiet),
        ] {
            if let Some(value) = value {
                *field = i32::from(value);
            }
        }
        for option in config.x_options.iter().flatten() {
            let option = CString::new(option.as_str()).unwrap_or_default();
            let wide = ffi::Py_DecodeLocale(option.as_ptr(), std::ptr::null_mut());
            if !wide.is_null() {
                check(ffi::PyWideStringList_Append(&raw mut (*c).xoptions, wide));
                ffi::PyMem_RawFree(wide.cast());
            }
        }
        (*c).pathconfig_warnings = 0;
        (*c).optimization_level = config.optimize_level();
        (*c)._init_main = 0;
        // An empty module search path: sys.path == [] until after_main sets sys_paths.
        (*c).module_search_paths_set = 1;
        let exe = paths.executable.to_string_lossy();
        let dir = paths.dir.to_string_lossy();
        set_string(c, &raw mut (*c).program_name, &exe);
        set_string(c, &raw mut (*c).executable, &exe);
        set_string(c, &raw mut (*c).base_executable, &exe);
        // A home short-circuits getpath's landmark search.
        set_string(c, &raw mut (*c).home, &dir);
        for field in [
            &raw mut (*c).prefix,
            &raw mut (*c).base_prefix,
            &raw mut (*c).exec_prefix,
            &raw mut (*c).base_exec_prefix,
        ] {
            set_string(c, field, &dir);
        }
        match mode {
            config::Mode::Python => (*c).parse_argv = 1,
            config::Mode::MultiprocessingFork => {
                (*c).parse_argv = 0;
                set_string(
                    c,
                    &raw mut (*c).run_command,
                    "from multiprocessing.spawn import freeze_support\nfreeze_support()\n",
                );
            }
            config::Mode::App => {
                (*c).parse_argv = flag(config.parse_argv, false);
                if let Some(command) = &config.run_command {
                    set_string(c, &raw mut (*c).run_command, command);
                } else if let Some(module) = &config.run_module {
                    set_string(c, &raw mut (*c).run_module, module);
                } else if let Some(filename) = &config.run_filename {
                    set_string(c, &raw mut (*c).run_filename, &filename.replace("$ORIGIN", &dir));
                }
            }
        }
        let mut pointers: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        check(ffi::PyConfig_SetBytesArgv(
            c,
            pointers.len() as ffi::Py_ssize_t,
            pointers.as_mut_ptr(),
        ));
        check(ffi::Py_InitializeFromConfig(c));
        ffi::PyConfig_Clear(c);

        // 3. The importer, from the resources, before encodings is imported.
        let Some(importer) = import_bootstrap(resources, config.optimize_level()) else {
            return fail("cannot start the embedded importer (see the Python error above)");
        };
        if config.oxidized_importer != Some(false) && call(importer, c"install", &[]).is_none() {
            return fail("cannot install the embedded importer (see the Python error above)");
        }

        // 4. Main initialisation.
        check(_Py_InitializeMain());
        let sys_paths = ffi::PyList_New(0);
        for path in config.import_paths() {
            let item = ffi::PyUnicode_FromStringAndSize(path.as_ptr().cast(), path.len() as ffi::Py_ssize_t);
            ffi::PyList_Append(sys_paths, item);
            ffi::Py_DecRef(item);
        }
        let filesystem = ffi::PyBool_FromLong(i64::from(config.filesystem_importer) as _);
        let frozen = ffi::PyBool_FromLong(i64::from(config.sys_frozen.unwrap_or(true)) as _);
        let start_method = match config.start_method() {
            Some(method) => ffi::PyUnicode_FromStringAndSize(method.as_ptr().cast(), method.len() as ffi::Py_ssize_t),
            None => module::none(),
        };
        if call(importer, c"after_main", &[filesystem, sys_paths, frozen, start_method]).is_none() {
            return fail("cannot finish setting up the embedded importer (see the Python error above)");
        }

        // 5. Run.
        ffi::Py_RunMain()
    }
}

/// Executes `_oxdist_importer`'s bytecode from the resources as a module.
unsafe fn import_bootstrap(resources: &PackedResources<'static>, optimize: i32) -> Option<*mut ffi::PyObject> {
    let kind = EntryKind::bytecode(optimize as u8).unwrap_or(EntryKind::Bytecode0);
    let entry = resources
        .get(kind, "_oxdist_importer")
        .or_else(|| resources.get(EntryKind::Bytecode0, "_oxdist_importer"))?;
    let data = entry.decompressed().ok()?;
    unsafe {
        let code = ffi::PyMarshal_ReadObjectFromString(data.as_ptr().cast(), data.len() as ffi::Py_ssize_t);
        if code.is_null() {
            ffi::PyErr_Print();
            return None;
        }
        // PyImport_ExecCodeModule needs the external importers, which do not
        // exist yet in the core phase: run the code in a fresh module by hand.
        let module = ffi::PyImport_AddModule(c"_oxdist_importer".as_ptr());
        if module.is_null() {
            ffi::Py_DecRef(code);
            ffi::PyErr_Print();
            return None;
        }
        let globals = ffi::PyModule_GetDict(module);
        ffi::PyDict_SetItemString(globals, c"__builtins__".as_ptr(), ffi::PyEval_GetBuiltins());
        let result = ffi::PyEval_EvalCode(code, globals, globals);
        ffi::Py_DecRef(code);
        if result.is_null() {
            ffi::PyErr_Print();
            return None;
        }
        ffi::Py_DecRef(result);
        Some(module)
    }
}

/// `module.name(*args)`; steals the argument references. Prints the Python error on failure.
unsafe fn call(module: *mut ffi::PyObject, name: &std::ffi::CStr, args: &[*mut ffi::PyObject]) -> Option<()> {
    unsafe {
        let function = ffi::PyObject_GetAttrString(module, name.as_ptr());
        if function.is_null() {
            ffi::PyErr_Print();
            return None;
        }
        let tuple = ffi::PyTuple_New(args.len() as ffi::Py_ssize_t);
        for (i, arg) in args.iter().enumerate() {
            ffi::PyTuple_SetItem(tuple, i as ffi::Py_ssize_t, *arg);
        }
        let result = ffi::PyObject_Call(function, tuple, std::ptr::null_mut());
        ffi::Py_DecRef(tuple);
        ffi::Py_DecRef(function);
        if result.is_null() {
            ffi::PyErr_Print();
            return None;
        }
        ffi::Py_DecRef(result);
        Some(())
    }
}
