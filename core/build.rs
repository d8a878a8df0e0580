//! Records the triple oxdist is compiled for (the default
//! `BUILD_TARGET_TRIPLE`) and bundles the runtime crate's sources and the
//! workspace lock file, from which oxdist generates launcher projects: an
//! installed `oxdist` must not need its source tree at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/embedding/runtime_files.rs"]
mod runtime_files;

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=OXDIST_HOST_TRIPLE={target}");
    println!("cargo:rerun-if-changed=build.rs");
    bundle_runtime();
}

/// Writes `$OUT_DIR/runtime_sources.rs`: `RUNTIME_SOURCES`, a table of
/// (path relative to `embed/`, contents) included with `include_bytes!`, and
/// `WORKSPACE_LOCK`, the workspace's `Cargo.lock`.
fn bundle_runtime() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("core/ is inside the workspace");
    let embed = workspace.join("embed");
    let lock = workspace.join("Cargo.lock");
    // A directory makes cargo rerun this script when anything below it
    // changes, including files added or removed.
    println!("cargo:rerun-if-changed=src/embedding/runtime_files.rs");
    println!("cargo:rerun-if-changed={}", embed.join("src").display());
    println!("cargo:rerun-if-changed={}", embed.join("Cargo.toml").display());
    println!("cargo:rerun-if-changed={}", lock.display());

    let files = runtime_files::runtime_files(&embed).unwrap_or_else(|e| {
        panic!(
            "cannot read the runtime crate's sources in {} ({e}); oxdist is built from its workspace, which has embed/ beside core/",
            embed.display()
        )
    });
    check_standalone_manifest(&embed.join("Cargo.toml"));
    if !lock.is_file() {
        panic!(
            "{} is missing; run `cargo generate-lockfile` in the workspace: launchers are built with its pinned versions",
            lock.display()
        );
    }

    let mut out = String::from(
        "/// Every file of the runtime crate that a launcher build needs: (path\n\
         /// relative to `embed/`, contents), sorted by path.\n\
         pub(crate) static RUNTIME_SOURCES: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let path = embed.join(file);
        writeln!(out, "    ({file:?}, include_bytes!({})),", literal(&path)).expect("writing to a String");
    }
    out.push_str("];\n\n/// The workspace's `Cargo.lock`: launchers use the tested dependency versions.\n");
    writeln!(
        out,
        "pub(crate) static WORKSPACE_LOCK: &[u8] = include_bytes!({});",
        literal(&lock)
    )
    .expect("writing to a String");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("runtime_sources.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

/// A Rust string literal for `path`.
fn literal(path: &Path) -> String {
    let text = path
        .to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8; move the workspace to a UTF-8 path", path.display()));
    format!("{text:?}")
}

/// The copy of `embed/Cargo.toml` is built outside this workspace, where
/// `workspace = true` has nothing to inherit from; the values it writes out
/// instead must still be the workspace's.
fn check_standalone_manifest(manifest: &Path) {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    if let Some(line) = text
        .lines()
        .find(|l| !l.trim_start().starts_with('#') && l.replace(' ', "").contains("workspace=true"))
    {
        panic!(
            "{}: `{line}` inherits from the workspace, but launchers build this crate outside it; write the value out",
            manifest.display()
        );
    }
    for (key, var) in [
        ("version", "CARGO_PKG_VERSION"),
        ("rust-version", "CARGO_PKG_RUST_VERSION"),
    ] {
        let expected = format!("{key} = \"{}\"", std::env::var(var).unwrap_or_default());
        if !text.lines().any(|l| l.trim() == expected) {
            panic!(
                "{}: expected `{expected}` as in the workspace's Cargo.toml; keep the two in step",
                manifest.display()
            );
        }
    }
}
