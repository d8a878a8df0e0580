//! Helpers shared by the installers' integration tests: running the real
//! tools that serve as oracles.
//!
//! A missing tool fails the test with the `apt-get install` command that
//! provides it (`scripts/install-oracles.sh` installs them all), never skips.

#![allow(dead_code)]

use std::process::{Command, Output};

/// A command with a fixed environment: UTC times, the C locale with UTF-8,
/// no rpm or tar options inherited from the user.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("TZ", "UTC")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("TAR_OPTIONS")
        .env_remove("ZSTD_CLEVEL");
    cmd
}

/// Runs `cmd` and returns its output whatever the exit status; a missing
/// program fails the test naming the Debian package that provides it.
pub fn output(cmd: &mut Command, apt_package: &str) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match cmd.output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed but these tests use it as an oracle; install it with \
             `apt-get install -y {apt_package}` (or run scripts/install-oracles.sh)"
        ),
        Err(e) => panic!("cannot run {cmd:?}: {e}"),
    }
}

/// Runs `cmd`, failing the test unless it exits successfully; returns stdout.
#[track_caller]
pub fn run(cmd: &mut Command, apt_package: &str) -> String {
    let out = output(cmd, apt_package);
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stdout and stderr of a finished command, for messages.
pub fn both(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every regular file below `root`, by `/`-separated relative path.
pub fn tree(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The test application's metadata: every optional field set.
pub fn greeter_metadata(version: &str, triple: &str) -> oxdist_installers::PackageMetadata {
    oxdist_installers::PackageMetadata {
        name: "greeter".into(),
        version: version.into(),
        description: Some("Friendly greetings for the command line".into()),
        maintainer: Some("Oxdist Tests <tests@example.org>".into()),
        vendor: Some("Example Org".into()),
        homepage: Some("https://example.org/greeter".into()),
        license: Some("MIT".into()),
        target_triple: triple.into(),
    }
}
