//! What oxdist tells the user: progress on stderr, and the `--json` summary
//! on stdout.
//!
//! Progress is a spinner when stderr is a terminal and plain lines otherwise
//! (CI logs), so logs stay readable. `-q` silences progress; `-v` adds detail.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Prints progress according to the verbosity flags.
#[derive(Clone, Debug)]
pub struct Reporter {
    /// -1 with `-q`, 0 by default, one more per `-v`.
    verbosity: i8,
    terminal: bool,
}

impl Reporter {
    pub fn new(verbosity: i8) -> Self {
        Self {
            verbosity,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A line shown unless `-q`.
    pub fn info(&self, message: impl AsRef<str>) {
        if self.verbosity >= 0 {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A line shown with `-v`.
    pub fn detail(&self, message: impl AsRef<str>) {
        if self.verbosity >= 1 {
            eprintln!("  {}", message.as_ref());
        }
    }

    /// A warning, shown unless `-q`.
    pub fn warn(&self, message: impl AsRef<str>) {
        if self.verbosity >= 0 {
            eprintln!("warning: {}", message.as_ref());
        }
    }

    /// Starts a long step: a spinner on a terminal, else a plain line now.
    pub fn step(&self, message: impl Into<String>) -> Step {
        let message = message.into();
        if self.verbosity < 0 {
            return Step { bar: None };
        }
        if self.terminal {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"));
            bar.set_message(message);
            bar.enable_steady_tick(Duration::from_millis(100));
            Step { bar: Some(bar) }
        } else {
            eprintln!("{message}");
            Step { bar: None }
        }
    }
}

/// A step in progress; finishing it replaces the spinner with a final line.
pub struct Step {
    bar: Option<ProgressBar>,
}

impl Step {
    pub fn finish(mut self, message: impl AsRef<str>, reporter: &Reporter) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        reporter.info(message);
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// One thing a command produced, for `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct Artifact {
    /// `archive`, `checksums` or `directory`.
    pub kind: &'static str,
    /// The configuration target it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Entries installed, for directories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<usize>,
}

/// The `--json` document: what a command produced.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub command: &'static str,
    pub config: PathBuf,
    pub artifacts: Vec<Artifact>,
}

/// Human-readable byte counts for progress lines.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
