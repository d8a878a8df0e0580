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
    /// `"isolated"` (default) or `"python"`: which PyConfig defaults to start from.
    pub config_profile: Option<String>,
    pub isolated: Option<bool>,
    pub development_mode: Option<bool>,
    pub inspect: Option<bool>,
    pub interactive: Option<bool>,
    pub parse_argv: Option<bool>,
    pub user_site_directory: Option<bool>,
    pub x_options: Option<Vec<String>>,
    /// Appended to `sys_paths` (`$ORIGIN` expanded the same way).
    pub module_search_paths: Option<Vec<String>>,
    pub oxidized_importer: Option<bool>,
    pub sys_frozen: Option<bool>,
    pub terminfo_resolution: Option<String>,
    pub multiprocessing_start_method: Option<String>,
}

impl InterpreterConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// 0, 1 or 2: which bytecode to load, and `sys.flags.optimize`.
    pub fn optimize_level(&self) -> i32 {
        self.bytecode_optimization_level.unwrap_or(0).clamp(0, 2)
    }

    /// Whether the configuration starts from CPython's "python" profile
    /// (environment variables honoured) instead of the isolated one.
    pub fn python_profile(&self) -> bool {
        self.config_profile.as_deref() == Some("python")
    }

    /// The import paths to set once the interpreter is up.
    pub fn import_paths(&self) -> impl Iterator<Item = &String> {
        self.sys_paths.iter().chain(self.module_search_paths.iter().flatten())
    }

    /// The start method to set when `multiprocessing` is imported, if any.
    pub fn start_method(&self) -> Option<&str> {
        match self.multiprocessing_start_method.as_deref() {
            None | Some("auto") | Some("none") => None,
            Some(method) => Some(method),
        }
    }

    /// The `TERMINFO_DIRS` to set when the environment has none, so that
    /// curses/readline find the terminal database wherever this system keeps
    /// it (a distribution built elsewhere may look in the wrong place).
    pub fn terminfo_dirs(&self, exists: impl Fn(&str) -> bool) -> Option<String> {
        match self.terminfo_resolution.as_deref().unwrap_or("dynamic") {
            "none" => None,
            "dynamic" => {
                let found: Vec<&str> = TERMINFO_DIRS.iter().copied().filter(|d| exists(d)).collect();
                (!found.is_empty()).then(|| found.join(":"))
            }
            other => other.strip_prefix("static:").map(str::to_string),
        }
    }

    fn runs_something(&self) -> bool {
        self.run_command.is_some() || self.run_module.is_some() || self.run_filename.is_some()
    }
}

/// Where Linux distributions and macOS keep terminfo databases, in the
/// order ncurses searches them.
const TERMINFO_DIRS: [&str; 5] = [
    "/etc/terminfo",
    "/lib/terminfo",
    "/usr/share/terminfo",
    "/usr/lib/terminfo",
    "/usr/share/lib/terminfo",
];

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

    #[test]
    fn terminfo() {
        let config = |value: &str| InterpreterConfig {
            terminfo_resolution: Some(value.into()),
            ..Default::default()
        };
        let exists = |dir: &str| dir == "/lib/terminfo" || dir == "/usr/share/terminfo";
        assert_eq!(
            InterpreterConfig::default().terminfo_dirs(exists).as_deref(),
            Some("/lib/terminfo:/usr/share/terminfo")
        );
        assert_eq!(config("none").terminfo_dirs(exists), None);
        assert_eq!(config("static:/opt/t").terminfo_dirs(exists).as_deref(), Some("/opt/t"));
        assert_eq!(config("dynamic").terminfo_dirs(|_| false), None);
    }

    #[test]
    fn reads_the_configuration_json() {
        let config = InterpreterConfig::from_json(
            br#"{"sys_paths": ["$ORIGIN/a"], "module_search_paths": ["b"], "multiprocessing_start_method": "auto",
                "x_options": ["utf8"], "unknown_field": 1}"#,
        )
        .unwrap();
        assert_eq!(config.import_paths().collect::<Vec<_>>(), ["$ORIGIN/a", "b"]);
        assert_eq!(config.start_method(), None);
        assert_eq!(config.x_options.as_deref(), Some(&["utf8".to_string()][..]));
    }
}
