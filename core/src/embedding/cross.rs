//! Launchers for Windows, built on Linux.
//!
//! rustup's toolchains cannot be fetched here, so no precompiled standard
//! library for Windows can be either. What a Linux machine can install from
//! its own package manager is enough instead: a Rust toolchain that ships
//! the standard library's *source* (Debian/Ubuntu `rustc-web cargo-web
//! rust-web-src`, or rustup's `rust-src` component), which cargo compiles
//! for `x86_64-pc-windows-gnu` (`-Zbuild-std`, allowed on a stable compiler
//! by `RUSTC_BOOTSTRAP=1`), and the MinGW-w64 linker
//! (`gcc-mingw-w64-x86-64`), which links against the distribution's
//! `python3X.dll` directly. The result is an ordinary PE executable that
//! loads the official CPython DLL beside it: the GNU and MSVC ABIs agree on
//! everything the runtime passes to CPython (no `FILE*` crosses).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Rust target launchers for Windows distributions are compiled for.
pub const WINDOWS_RUST_TARGET: &str = "x86_64-pc-windows-gnu";

/// Distribution triples whose launchers [`WindowsToolchain`] builds.
pub const WINDOWS_TRIPLES: [&str; 1] = ["x86_64-pc-windows-msvc"];

/// The linker (and C compiler, for `zstd-sys`) for [`WINDOWS_RUST_TARGET`].
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// Overrides for where the toolchain is.
const CARGO_VAR: &str = "OXDIST_WINDOWS_CARGO";
const RUSTC_VAR: &str = "OXDIST_WINDOWS_RUSTC";

/// What to install when something is missing.
pub const INSTALL_HINT: &str = "on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64` (or point OXDIST_WINDOWS_CARGO and OXDIST_WINDOWS_RUSTC at a toolchain with the rust-src component); see docs/how-to/windows-installer-from-linux.md";

/// A toolchain that can build a launcher for Windows on this machine.
#[derive(Clone, Debug)]
pub struct WindowsToolchain {
    pub cargo: PathBuf,
    pub rustc: PathBuf,
    pub linker: PathBuf,
    /// `rustc -vV`'s release line, part of the launcher's cache key.
    pub rustc_version: String,
}

impl WindowsToolchain {
    /// Finds the toolchain, or says what is missing.
    pub fn find() -> Result<Self, String> {
        let cargo = std::env::var_os(CARGO_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/cargo"));
        let rustc = std::env::var_os(RUSTC_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| cargo.with_file_name("rustc"));
        let mut missing = Vec::new();
        if !cargo.is_file() {
            missing.push(format!("cargo ({} not found)", cargo.display()));
        }
        let version = run(&rustc, &["-vV"]);
        let sysroot = run(&rustc, &["--print", "sysroot"]);
        let (rustc_version, sysroot) = match (version, sysroot) {
            (Some(version), Some(sysroot)) => (version, PathBuf::from(sysroot.trim())),
            _ => {
                missing.push(format!("rustc ({} does not run)", rustc.display()));
                (String::new(), PathBuf::new())
            }
        };
        if !rustc_version.is_empty() && !has_std_source(&sysroot) {
            missing.push(format!(
                "the standard library's source for {} (no {})",
                rustc.display(),
                sysroot.join("lib/rustlib/src/rust/library/std").display()
            ));
        }
        let linker = which(MINGW_GCC);
        if linker.is_none() {
            missing.push(format!("the MinGW-w64 linker ({MINGW_GCC} is not on PATH)"));
        }
        if !missing.is_empty() {
            return Err(missing.join(", "));
        }
        let release = rustc_version
            .lines()
            .find(|l| l.starts_with("release:"))
            .unwrap_or(&rustc_version)
            .to_string();
        Ok(Self {
            cargo,
            rustc,
            linker: linker.expect("checked above"),
            rustc_version: release,
        })
    }

    /// `cargo build` of the launcher project for Windows, with the
    /// environment it needs and none that a surrounding build (rustup,
    /// `cargo test`) would leak into it.
    pub fn cargo_build(&self, manifest: &Path, target_dir: &Path) -> Command {
        let mut command = Command::new(&self.cargo);
        command
            .args([
                "build",
                "--release",
                "--quiet",
                "-Zbuild-std=std,panic_abort",
                "--target",
            ])
            .arg(WINDOWS_RUST_TARGET)
            .arg("--manifest-path")
            .arg(manifest)
            .env("CARGO_TARGET_DIR", target_dir)
            .env("RUSTC", &self.rustc)
            // -Zbuild-std on a stable compiler.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", &self.linker)
            .env("CC_x86_64_pc_windows_gnu", &self.linker)
            .env(
                "AR_x86_64_pc_windows_gnu",
                self.linker.with_file_name("x86_64-w64-mingw32-ar"),
            );
        for var in [
            "RUSTUP_TOOLCHAIN",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "RUSTDOC",
        ] {
            command.env_remove(var);
        }
        command
    }

    /// Where [`Self::cargo_build`] leaves the executable.
    pub fn built_executable(target_dir: &Path) -> PathBuf {
        target_dir
            .join(WINDOWS_RUST_TARGET)
            .join("release")
            .join("oxdist-launcher.exe")
    }
}

/// Whether `triple` is a Windows distribution this module builds launchers for.
pub fn is_windows_target(triple: &str) -> bool {
    WINDOWS_TRIPLES.contains(&triple)
}

fn has_std_source(sysroot: &Path) -> bool {
    sysroot.join("lib/rustlib/src/rust/library/std/Cargo.toml").is_file()
}

fn run(program: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}
