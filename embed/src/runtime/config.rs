//! The interpreter settings packed into the executable (`c:interpreter`,
//! JSON written by `PythonInterpreterConfig`), and the start-up mode.

use std::ffi::CString;

use serde::Deserialize;

/// The settings the runtime reads; unknown fields are ignored so that older
/// runtimes accept newer configurations.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InterpreterConfig {
    pub run_command: Option<String>,
    pub run_module: Option<String>,
    pub run_filename: Option<String>,
    pub filesystem_importer: bool,
    pub sys_paths: Vec<String>,
    pub utf8_mode: Option<bool>,
    pub configure_locale: Option<bool>,
    pub buffered_stdio: Option<bool>,
    pub write_bytecode: Option<bool>,
    pub site_import: Option<bool>,
    pub use_environment: Option<bool>,
    pub install_signal_handlers: Option<bool>,
    pub verbose: Option<bool>,
    pub quiet: Option<bool>,
    pub bytecode_optimization_level: Option<i32>,
}

impl InterpreterConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// 0, 1 or 2: which bytecode to load, and `sys.flags.optimize`.
    pub fn optimize_level(&self) -> i32 {
        self.bytecode_optimization_level.unwrap_or(0).clamp(0, 2)
    }

    fn runs_something(&self) -> bool {
        self.run_command.is_some() || self.run_module.is_some() || self.run_filename.is_some()
    }
}

/// How the process was asked to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run the configured application with the arguments as they are.
    App,
    /// Let CPython parse the command line (`-c`, `-m`, flags, or a REPL).
    Python,
    /// A multiprocessing worker spawned by a frozen program.
    MultiprocessingFork,
}

impl Mode {
    pub fn choose(config: &InterpreterConfig, argv: &[CString]) -> Mode {
        let args: Vec<&[u8]> = argv.iter().skip(1).map(|a| a.as_bytes()).collect();
        if args.first() == Some(&&b"--multiprocessing-fork"[..]) {
            return Mode::MultiprocessingFork;
        }
        if !config.runs_something() || looks_like_python_command_line(&args) {
            return Mode::Python;
        }
        Mode::App
    }
}

/// `-c CODE` or `-m MODULE`, optionally after single-letter CPython flags
/// (`-B -S -I -c …`, as multiprocessing and subprocess-based tools write it).
fn looks_like_python_command_line(args: &[&[u8]]) -> bool {
    for arg in args {
        match *arg {
            b"-c" | b"-m" => return true,
            a if a.len() >= 2 && a[0] == b'-' && a[1..].iter().all(|c| b"BEIOSbdqsuv".contains(c)) => {}
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<CString> {
        std::iter::once("app")
            .chain(args.iter().copied())
            .map(|a| CString::new(a).unwrap())
            .collect()
    }

    #[test]
    fn modes() {
        let app = InterpreterConfig {
            run_module: Some("hello".into()),
            ..Default::default()
        };
        assert_eq!(Mode::choose(&app, &argv(&["file.py"])), Mode::App);
        assert_eq!(Mode::choose(&app, &argv(&["-v"])), Mode::App);
        assert_eq!(
            Mode::choose(&app, &argv(&["-B", "-S", "-I", "-c", "pass"])),
            Mode::Python
        );
        assert_eq!(Mode::choose(&app, &argv(&["-c", "pass"])), Mode::Python);
        assert_eq!(
            Mode::choose(&app, &argv(&["--multiprocessing-fork", "tracker_fd=5"])),
            Mode::MultiprocessingFork
        );
        let repl = InterpreterConfig::default();
        assert_eq!(Mode::choose(&repl, &argv(&["script.py"])), Mode::Python);
    }
}
