//! The migrated PyOxidizer example (`examples/pyoxidizer-migrated`): its
//! `pyoxidizer.bzl` is found without an `oxdist.star`, builds offline with
//! the host CPython, the executable prints its package data, and the install
//! tree packages as a tar.gz that runs where it is extracted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Project;

const EXPECTED_OUTPUT: &str = "Migrated from PyOxidizer, built by oxdist.\nHello, Ada! (pyapp 0.1.0, frozen=True)\n";

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pyoxidizer-migrated")
}

/// The example's sources and configuration (not build output or bytecode
/// caches) copied into a new project directory.
fn migrated_project() -> Project {
    let p = Project::new();
    copy_sources(&example_dir(), p.path());
    assert!(p.path().join("pyoxidizer.bzl").is_file());
    assert!(
        !p.path().join("oxdist.star").exists(),
        "the example must be found by its pyoxidizer.bzl"
    );
    p
}

fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["build", "dist", "__pycache__"].contains(&name.to_string_lossy().as_ref()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_sources(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `exe` from another directory, with a Python environment that would
/// break a normal interpreter: the executable must not depend on either.
fn run_isolated(exe: &Path, args: &[&str]) -> (i32, String, String) {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = common::output_retrying(
        Command::new(exe)
            .args(args)
            .current_dir(elsewhere.path())
            .env("PYTHONHOME", "/nonexistent/home")
            .env("PYTHONPATH", "/garbage:/more/garbage"),
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pyoxidizer_bzl_builds_runs_and_packages() {
    let p = migrated_project();

    // `pyoxidizer build` → `oxdist build`: the default target, `install`.
    p.run(&["build"]).ok();
    let installed = p.installed("install");
    assert!(installed.contains(&"pyapp".to_string()), "{installed:?}");
    assert!(
        installed
            .iter()
            .all(|f| f == "pyapp" || (f.starts_with("lib/") && f.ends_with(".so"))),
        "only the executable and its extension modules: {installed:?}"
    );
    assert!(
        !installed.iter().any(|f| f.starts_with("lib/readline.")),
        "extension_module_filter = \"no-copyleft\" drops readline: {installed:?}"
    );

    let exe = p.path().join("build").join(oxdist::HOST_TRIPLE).join("install/pyapp");
    let (code, stdout, stderr) = run_isolated(&exe, &["Ada"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, EXPECTED_OUTPUT, "{stderr}");

    // `pyoxidizer run` → `oxdist run`: the one program of the tree (the
    // extension modules in lib/ are mode 0755 too, but are not programs).
    let run = p.run(&["run", "--", "Ada"]).ok();
    assert_eq!(run.stdout, EXPECTED_OUTPUT, "{}", run.stderr);

    // New in oxdist: a release archive of the same tree, with the notices.
    p.run(&["package", "--format", "tar.gz"]).ok();
    let root = format!("pyapp-0.1.0-{}", oxdist::HOST_TRIPLE);
    let archive = p.path().join("dist").join(format!("{root}.tar.gz"));
    assert!(archive.is_file(), "{} missing", archive.display());
    assert!(p.path().join("dist/SHA256SUMS").is_file());

    let extracted = tempfile::tempdir().unwrap();
    common::tool(
        "tar",
        &[
            "-xzf",
            archive.to_str().unwrap(),
            "-C",
            extracted.path().to_str().unwrap(),
        ],
        "tar",
    );
    let top = extracted.path().join(&root);
    assert!(top.join("THIRD-PARTY-NOTICES.txt").is_file());
    let (code, stdout, stderr) = run_isolated(&top.join("pyapp"), &["Ada"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, EXPECTED_OUTPUT, "the extracted archive runs: {stderr}");
}

#[test]
fn pyoxidizer_targets_are_listed_and_the_build_script_target_builds() {
    let p = migrated_project();

    // `pyoxidizer list-targets` → `oxdist list-targets`.
    let listed = p.run(&["list-targets"]).ok().stdout;
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "exe",
            "resources (default build script; depends: exe)",
            "install (default; depends: exe)",
        ],
        "{listed}"
    );

    // The template's `resources` target: the packed resources without a launcher.
    p.run(&["build", "resources"]).ok();
    let resources = p.installed("resources");
    assert!(resources.contains(&"packed-resources".to_string()), "{resources:?}");
    assert!(!resources.contains(&"pyapp".to_string()), "{resources:?}");
}
