//! Test-only helpers shared by oxdist's test suites. This crate is a
//! `[dev-dependencies]` entry of the crates whose tests use it and must
//! never be a normal dependency of anything.
//!
//! # Pinned wheels from PyPI
//!
//! Many tests check oxdist against real files: ELF, PE and Mach-O binaries,
//! `.dist-info` metadata, Windows launchers. They take them from wheels on
//! PyPI, pinned by version, downloaded once with `python3 -m pip download`
//! and kept in one cache shared by every test binary of the workspace,
//! [`wheel_cache`] (`target/test-data/wheels`), between runs.
//!
//! Because the cache is shared, a wheel is found by its file name only:
//! [`fetch_wheel`] takes the file name's start (`markupsafe-2.1.5-`) and
//! markers that must all occur in it. Give markers that match only the
//! wheel you mean, typically the full platform tag (`manylinux2014_x86_64`,
//! `macosx_10_9_x86_64`, `win_amd64`, `none-any`) and, for wheels built per
//! Python version, the interpreter tag (`cp311`): a loose marker such as
//! `x86_64` also matches another test's `macosx_10_9_x86_64` wheel of the
//! same release.
//!
//! Without PyPI access (or without `python3 -m pip`) the tests that need a
//! wheel missing from the cache fail, saying so.
//!
//! ```no_run
//! let wheel = oxdist_testing::fetch_wheel(
//!     "markupsafe==2.1.5",
//!     "markupsafe-2.1.5-",
//!     &["cp311", "win_amd64"],
//!     &oxdist_testing::cp311_platform_args("win_amd64"),
//! );
//! let pyd = oxdist_testing::wheel_member(&wheel, "markupsafe/_speedups.cp311-win_amd64.pyd");
//! assert!(pyd.starts_with(b"MZ"));
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Where tests keep wheels downloaded from PyPI: `<workspace>/target/test-data/wheels`,
/// shared by every test binary of the workspace and kept between runs.
///
/// The path is fixed by this crate's location (`CARGO_MANIFEST_DIR`), not by
/// `CARGO_TARGET_DIR`, so builds with different target directories share it.
/// The directory may not exist yet; [`fetch_wheel`] creates it.
pub fn wheel_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data/wheels")
}

/// Serializes downloads within one test binary; the temporary directory and
/// the rename in [`fetch_wheel`] keep concurrent test processes from seeing
/// partial files.
static DOWNLOAD: Mutex<()> = Mutex::new(());

/// The cached wheel for the pinned requirement `spec`, downloading it with
/// pip if it is not cached yet.
///
/// - `spec`: pip's requirement, pinned (`"pip==24.0"`, `"MarkupSafe==2.1.5"`).
/// - `prefix`: how the wheel's file name starts, lowercase, with the
///   version and the dash after it (`"markupsafe-2.1.5-"`), so that
///   `markupsafe-2.1.50-…` cannot match.
/// - `markers`: lowercase strings that must all occur in the file name,
///   e.g. `&["cp311", "manylinux2014_x86_64"]`; `&[]` for a release with one
///   wheel. See the crate documentation on choosing them.
/// - `extra_args`: passed to `pip download` after `--no-deps
///   --only-binary=:all:`, e.g. [`cp311_platform_args`] to fetch another
///   platform's wheel.
///
/// A cached wheel is one whose lowercase file name starts with `prefix`,
/// ends with `.whl` and contains every marker; of several, the last in
/// sorted order. When none is cached, pip downloads `spec` into a temporary
/// directory inside the cache, and the matching wheel is renamed into the
/// cache, so an interrupted download never leaves a partial file behind.
/// Calls are serialized within the process.
///
/// # Panics
///
/// When `python3 -m pip` cannot run, when the download fails (the message
/// says these tests need PyPI access and shows pip's output), or when pip
/// downloaded no wheel matching `prefix` and `markers`.
pub fn fetch_wheel(spec: &str, prefix: &str, markers: &[&str], extra_args: &[&str]) -> PathBuf {
    let cache = wheel_cache();
    let find = |dir: &Path| -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
                name.starts_with(prefix) && name.ends_with(".whl") && markers.iter().all(|m| name.contains(m))
            })
            .collect();
        found.sort();
        found.pop()
    };
    let _guard = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = find(&cache) {
        return path;
    }
    std::fs::create_dir_all(&cache).unwrap_or_else(|e| panic!("create {}: {e}", cache.display()));
    let staging =
        tempfile::tempdir_in(&cache).unwrap_or_else(|e| panic!("temporary directory in {}: {e}", cache.display()));
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .args(extra_args)
        .arg("--dest")
        .arg(staging.path())
        .arg(spec)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `python3 -m pip` to download {spec} (these tests need python3, pip and PyPI access): {e}"
            )
        });
    assert!(
        output.status.success(),
        "downloading {spec} with pip failed (these tests need PyPI access):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let downloaded = find(staging.path())
        .unwrap_or_else(|| panic!("pip downloaded no wheel {prefix}*.whl with {markers:?} for {spec}"));
    let target = cache.join(downloaded.file_name().unwrap());
    std::fs::rename(&downloaded, &target).unwrap_or_else(|e| panic!("move the wheel to {}: {e}", target.display()));
    target
}

/// `pip download` arguments for CPython 3.11's wheel on `platform` (a
/// platform tag such as `"win_amd64"`, `"manylinux2014_x86_64"`,
/// `"macosx_11_0_arm64"`), for [`fetch_wheel`]'s `extra_args`.
pub fn cp311_platform_args(platform: &str) -> [&str; 4] {
    ["--python-version", "3.11", "--platform", platform]
}

/// pip 24.0's wheel (pure Python, `py3-none-any`): distlib's Windows
/// launchers `pip/_vendor/distlib/{t32,t64,w32,w64}.exe`, real PE files.
/// Fetched as for CPython 3.11 on `win_amd64`; being pure Python, it is
/// the same file on every platform.
pub fn pip_wheel() -> PathBuf {
    fetch_wheel(
        "pip==24.0",
        "pip-24.0-",
        &["none-any"],
        &cp311_platform_args("win_amd64"),
    )
}

/// The bytes of `member` (a path inside the archive, `/`-separated, e.g.
/// `"pip/_vendor/distlib/t64.exe"`) of `wheel`, read with the `zip` crate.
///
/// # Panics
///
/// When the wheel cannot be opened or read as a zip archive, or has no such member.
pub fn wheel_member(wheel: &Path, member: &str) -> Vec<u8> {
    let file = std::fs::File::open(wheel).unwrap_or_else(|e| panic!("open {}: {e}", wheel.display()));
    let mut archive = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{}: {e}", wheel.display()));
    let mut entry = archive
        .by_name(member)
        .unwrap_or_else(|e| panic!("{} has no {member}: {e}", wheel.display()));
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("read {member} from {}: {e}", wheel.display()));
    bytes
}

/// Writes `member` of `wheel` (see [`wheel_member`]) to `dest`, creating
/// its parent directories, for tests that need the file on disk (e.g. as a
/// project's payload).
///
/// # Panics
///
/// As [`wheel_member`], and when `dest` cannot be written.
pub fn extract_member(wheel: &Path, member: &str, dest: &Path) {
    let bytes = wheel_member(wheel, member);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    std::fs::write(dest, bytes).unwrap_or_else(|e| panic!("write {}: {e}", dest.display()));
}

/// Bytes that do not compress much (xorshift), so that cabinets and
/// payloads get several compressed blocks.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The version of apple-codesign whose `rcodesign` the macOS signing tests
/// use as their oracle; scripts/install-oracles.sh builds exactly this one.
pub const RCODESIGN_VERSION: &str = "0.29.0";

/// `rcodesign` (apple-codesign's command line): where
/// scripts/install-oracles.sh installs it, `<workspace>/target/oracles/bin`
/// (fixed like [`wheel_cache`]), else from the `PATH`. Panics with the
/// install command when it is in neither place.
pub fn rcodesign() -> Command {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/oracles/bin/rcodesign");
    if installed.exists() {
        return Command::new(installed);
    }
    let on_path = Command::new("sh").args(["-c", "command -v rcodesign"]).output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "rcodesign is not installed; run scripts/install-oracles.sh, which builds apple-codesign {RCODESIGN_VERSION} from crates.io into target/oracles"
    );
    Command::new("rcodesign")
}

/// A self-signed RSA code-signing certificate shaped like Apple's
/// Developer ID ones (`CN=Developer ID Application: … (TEAM)`, `OU=TEAM`),
/// made with `openssl` in `dir`: returns the paths of the unencrypted PEM
/// key and the PEM certificate.
pub fn developer_id_certificate(dir: &Path, team: &str) -> (PathBuf, PathBuf) {
    let subject = format!("/CN=Developer ID Application: Example ({team})/OU={team}");
    let output = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
        ])
        .args([
            "-days",
            "30",
            "-subj",
            &subject,
            "-addext",
            "extendedKeyUsage=codeSigning",
        ])
        .output()
        .expect("openssl runs (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir.join("key.pem"), dir.join("cert.pem"))
}

/// [`developer_id_certificate`] exported as a PKCS#12 file `file_name` in
/// `dir`, protected by `password`, as the Keychain exports one.
pub fn developer_id_p12(dir: &Path, team: &str, password: &str, file_name: &str) -> PathBuf {
    let (key, cert) = developer_id_certificate(dir, team);
    let output = Command::new("openssl")
        .current_dir(dir)
        .arg("pkcs12")
        .arg("-export")
        .arg("-inkey")
        .arg(&key)
        .arg("-in")
        .arg(&cert)
        .arg("-passout")
        .arg(format!("pass:{password}"))
        .arg("-out")
        .arg(file_name)
        .output()
        .expect("openssl runs (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl pkcs12: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join(file_name)
}

/// `rcodesign print-signature-info`'s text for a file (checked to succeed).
pub fn signature_info(path: &Path) -> String {
    let out = rcodesign().arg("print-signature-info").arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory of pinned Python packages installed with `pip install
/// --target` (binary wheels only, no dependency resolution: `specs` must
/// name every package, `name==version`), for `PYTHONPATH` when a test runs
/// an oracle written in Python that needs compiled extensions (which
/// cannot be imported from a wheel file). Installed once under
/// `target/test-data/python/<specs digest>` and reused.
///
/// # Panics
///
/// When pip fails (no PyPI access, a spec without a wheel for this host).
pub fn python_packages(specs: &[&str]) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    specs.hash(&mut hasher);
    let root = wheel_cache().with_file_name("python");
    let dir = root.join(format!("{:016x}", hasher.finish()));
    let _guard = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join(".complete").exists() {
        return dir;
    }
    std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("create {}: {e}", root.display()));
    let staging =
        tempfile::tempdir_in(&root).unwrap_or_else(|e| panic!("temporary directory in {}: {e}", root.display()));
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--target",
        ])
        .arg(staging.path())
        .args(specs)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `python3 -m pip` to install {specs:?}: {e}"));
    assert!(
        output.status.success(),
        "installing {specs:?} with pip failed (these tests need PyPI access):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(staging.path().join(".complete"), specs.join("\n")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).unwrap_or_else(|e| panic!("move {} to {}: {e}", staged.display(), dir.display()));
    dir
}

/// A stand-in for Apple's notary, S3 and ticket services (Python, HTTPS),
/// checking requests with real implementations: PyJWT for the ES256 API
/// tokens, botocore for the SigV4 signature of the upload. See the
/// script's docstring for how to run it.
pub fn notary_mock_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("notary_mock.py")
}

/// The packages [`notary_mock_script`] imports, pinned, for `PYTHONPATH`.
pub fn notary_mock_packages() -> PathBuf {
    python_packages(&[
        "PyJWT==2.10.1",
        "cryptography==44.0.2",
        "cffi==1.17.1",
        "pycparser==2.22",
        "botocore==1.35.99",
        "jmespath==1.0.1",
        "python-dateutil==2.9.0.post0",
        "six==1.17.0",
        "urllib3==2.3.0",
    ])
}
