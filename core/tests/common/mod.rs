//! Test helpers: a throwaway project directory and a way to run `oxdist` in it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Project {
    pub dir: tempfile::TempDir,
}

/// What one `oxdist` run did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "oxdist failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the exit code and that stderr contains every one of `needles`.
    #[track_caller]
    pub fn fails_with(self, code: i32, needles: &[&str]) -> Self {
        assert_eq!(self.code, code, "unexpected exit code; stderr:\n{}", self.stderr);
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
        assert!(!self.stderr.contains("panicked"), "oxdist panicked:\n{}", self.stderr);
        self
    }
}

impl Project {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parents) relative to the project.
    pub fn file(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Writes an executable file.
    pub fn exe(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.file(rel, contents);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    pub fn symlink(&self, rel: &str, target: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }

    /// Writes `oxdist.star`.
    pub fn config(&self, text: &str) {
        self.file("oxdist.star", text);
    }

    /// Runs oxdist in the project directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxdist"));
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("OXDIST_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output { status, stdout, stderr } = cmd.output().expect("run oxdist");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Builds the default target and returns the installed paths (files and
    /// links, sorted) of target `name`.
    pub fn installed(&self, name: &str) -> Vec<String> {
        let root = self.path().join("build").join(oxdist::HOST_TRIPLE).join(name);
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// Runs an external oracle tool and returns its stdout; fails the test with
/// an install hint when it is missing.
pub fn tool(program: &str, args: &[&str], apt_package: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it with `apt-get install {apt_package}`"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A new RSA OpenPGP secret key protected by `passphrase`, made by gpg in a
/// throwaway home directory, ASCII-armored.
pub fn pgp_secret_key(passphrase: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        let mut all = vec!["--homedir", home.path().to_str().unwrap(), "--batch"];
        all.extend(["--passphrase", passphrase, "--pinentry-mode", "loopback"]);
        all.extend(args);
        tool("gpg", &all, "gnupg")
    };
    gpg(&[
        "--quick-gen-key",
        "Packager <p@example.org>",
        "rsa3072",
        "sign",
        "never",
    ]);
    let key = gpg(&["--armor", "--export-secret-keys", "p@example.org"]);
    key[key.find("-----BEGIN").expect("an armored key")..].to_string()
}

/// pyflakes 3.2.0, a pure-Python command-line tool.
pub fn pyflakes_wheel() -> PathBuf {
    oxdist_testing::fetch_wheel("pyflakes==3.2.0", "pyflakes-3.2.0-", &["none-any"], &[])
}

/// Runs `cmd`, retrying while the program is "text file busy": a file this
/// test process just wrote can be held open for an instant by a child that
/// another test thread is forking.
pub fn output_retrying(cmd: &mut Command) -> Output {
    for _ in 0..50 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(26) => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other.expect("run command"),
        }
    }
    panic!("{cmd:?} stayed busy");
}

/// The wheels `examples/hello-pyproject` installs from (its dependency and
/// its build backend), as docs/tutorial.md downloads them.
pub const HELLO_PYPROJECT_WHEELS: [&str; 2] = ["six==1.16.0", "flit_core==3.12.0"];

/// `examples/hello-pyproject` copied into a new project directory, with its
/// pinned wheels in `wheels/` and `no-index = true`: it builds offline.
pub fn hello_pyproject() -> Project {
    let p = Project::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello-pyproject");
    let pyproject = std::fs::read_to_string(example.join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("find-links = [\"wheels\"]"), "{pyproject}");
    p.file("pyproject.toml", &format!("{pyproject}no-index = true\n"));
    for file in ["LICENSE", "src/hello_cli/__init__.py", "src/hello_cli/main.py"] {
        p.file(file, &std::fs::read_to_string(example.join(file)).unwrap());
    }
    std::fs::create_dir_all(p.path().join("wheels")).unwrap();
    for spec in HELLO_PYPROJECT_WHEELS {
        let prefix = format!("{}-", spec.replace("==", "-"));
        let wheel = oxdist_testing::fetch_wheel(spec, &prefix, &["none-any"], &[]);
        std::fs::copy(&wheel, p.path().join("wheels").join(wheel.file_name().unwrap())).unwrap();
    }
    p
}

/// `markupsafe/_speedups` for one macOS architecture, from a pinned wheel:
/// a real thin Mach-O file (thin x86_64 wheels stop at 2.1.5, thin arm64
/// ones start at 3.0).
pub fn macos_speedups(platform: &str, dest: &Path) {
    let version = if platform.ends_with("arm64") { "3.0.2" } else { "2.1.5" };
    let wheel = oxdist_testing::fetch_wheel(
        &format!("markupsafe=={version}"),
        &format!("markupsafe-{version}-"),
        &["cp311", platform],
        &oxdist_testing::cp311_platform_args(platform),
    );
    oxdist_testing::extract_member(&wheel, "markupsafe/_speedups.cpython-311-darwin.so", dest);
}

/// A signed `Greeter.app` (hardened runtime, team ABCDE12345) whose
/// executable is `greeter` in the project (see [`macos_speedups`]);
/// `SIGNER` is replaced with the line that activates a code signer, or
/// with nothing for an ad-hoc signature.
pub const GREETER_APP_CONFIG: &str = r#"
set_package_metadata(name = "greeter", version = "1.2.3", vendor = "Example Org", target_triple = "aarch64-apple-darwin")
SIGNER
def make_app():
    bundle = MacOsApplicationBundleBuilder("Greeter")
    bundle.set_info_plist_required_keys("Greeter", "org.example.greeter", "1.2.3", "GRTR", "greeter")
    bundle.add_macos_file(FileContent(path = "greeter", executable = True))
    bundle.set_code_signature_options(hardened_runtime = True, team_id = "ABCDE12345")
    return bundle
register_target("app", make_app, default = True)
resolve_targets()
"#;
