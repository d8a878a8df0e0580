//! Test helpers: pinned wheels from PyPI and auditwheel as the oracle, both
//! kept under `target/test-data` between runs (the pattern of
//! `core/tests/common/mod.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The auditwheel release the verdicts are compared with.
pub const AUDITWHEEL: &str = "auditwheel==6.1.0";

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data")
}

/// Where tests keep wheels downloaded from PyPI, shared by every test binary.
pub fn wheel_cache() -> PathBuf {
    test_data().join("wheels")
}

static DOWNLOAD: Mutex<()> = Mutex::new(());

/// The cached wheel whose lowercase file name starts with `prefix` and ends
/// with `suffix`, downloading `spec` for `platform` with pip if missing.
pub fn fetch_wheel(spec: &str, platform: &str, prefix: &str, suffix: &str) -> PathBuf {
    let cache = wheel_cache();
    let find = |dir: &Path| -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
                name.starts_with(prefix) && name.ends_with(suffix)
            })
            .collect();
        found.sort();
        found.pop()
    };
    let _guard = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = find(&cache) {
        return path;
    }
    std::fs::create_dir_all(&cache).unwrap();
    let staging = tempfile::tempdir_in(&cache).unwrap();
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--disable-pip-version-check", "--no-deps"])
        .args([
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            platform,
        ])
        .arg("--dest")
        .arg(staging.path())
        .arg(spec)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `python3 -m pip` to download {spec}: {e}"));
    assert!(
        output.status.success(),
        "downloading {spec} with pip failed (these tests need PyPI access):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let downloaded =
        find(staging.path()).unwrap_or_else(|| panic!("pip downloaded no wheel {prefix}…{suffix} for {spec}"));
    let target = cache.join(downloaded.file_name().unwrap());
    std::fs::rename(&downloaded, &target).unwrap();
    target
}

/// The Python of a virtual environment holding [`AUDITWHEEL`], created on
/// first use (needs Debian's `python3-venv`, see scripts/install-oracles.sh).
pub fn auditwheel_python() -> PathBuf {
    let _guard = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
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

/// The bytes of one member of a wheel (a zip archive).
pub fn wheel_member(wheel: &Path, member: &str) -> Vec<u8> {
    use std::io::Read;
    let file = std::fs::File::open(wheel).unwrap_or_else(|e| panic!("open {}: {e}", wheel.display()));
    let mut archive = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{}: {e}", wheel.display()));
    let mut entry = archive
        .by_name(member)
        .unwrap_or_else(|e| panic!("{} has no {member}: {e}", wheel.display()));
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
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
