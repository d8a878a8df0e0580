//! Test helpers: auditwheel as the oracle, kept under `target/test-data`
//! between runs, and the LLVM tools. Pinned wheels from PyPI come from
//! `oxdist-testing` (testing/).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The auditwheel release the verdicts are compared with.
pub const AUDITWHEEL: &str = "auditwheel==6.1.0";

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data")
}

/// Serializes creating the auditwheel environment within one test binary.
static VENV: Mutex<()> = Mutex::new(());

/// The Python of a virtual environment holding [`AUDITWHEEL`], created on
/// first use (needs Debian's `python3-venv`, see scripts/install-oracles.sh).
pub fn auditwheel_python() -> PathBuf {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let venv = test_data().join("auditwheel-6.1.0");
    let python = venv.join("bin/python");
    if python.exists() && venv.join("bin/auditwheel").exists() {
        return python;
    }
    std::fs::create_dir_all(test_data()).unwrap();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 -m venv");
    assert!(
        status.success(),
        "python3 -m venv failed; install python3-venv (scripts/install-oracles.sh)"
    );
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-q", AUDITWHEEL])
        .status()
        .expect("pip install auditwheel");
    assert!(status.success(), "installing {AUDITWHEEL} from PyPI failed");
    python
}

/// Runs a program and returns its stdout, failing the test with its stderr.
pub fn run(program: &Path, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs an LLVM binary tool (the PE and Mach-O oracle) and returns its
/// stdout; a missing tool fails with the package to install.
pub fn llvm_tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it with `apt-get install llvm`"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
