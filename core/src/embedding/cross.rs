//! Launchers for Windows and macOS, built on Linux.
//!
//! rustup's toolchains cannot be fetched here, so no precompiled standard
//! library for another platform can be either. What a Linux machine can
//! install from its own package manager is enough instead: a Rust toolchain
//! that ships the standard library's *source* (Debian/Ubuntu `rustc-web
//! cargo-web rust-web-src`, or rustup's `rust-src` component), which cargo
//! compiles for the target (`-Zbuild-std`, allowed on a stable compiler by
//! `RUSTC_BOOTSTRAP=1`), and a linker for it:
//!
//! - **Windows** (`x86_64-pc-windows-gnu`): the MinGW-w64 linker
//!   (`gcc-mingw-w64-x86-64`), which links the distribution's `python3X.dll`
//!   directly. The result is an ordinary PE executable that loads the
//!   official CPython DLL beside it: the GNU and MSVC ABIs agree on
//!   everything the runtime passes to CPython (no `FILE*` crosses).
//! - **macOS** (`aarch64-apple-darwin`, `x86_64-apple-darwin`): `zig cc`,
//!   which carries the macOS C headers and `libSystem` stubs and links
//!   Mach-O; zig comes from PyPI's `ziglang` wheel (pinned, [`ZIGLANG`]) or
//!   `OXDIST_ZIG`. A generated `zig-cc` script adapts the flags rustc and
//!   the `cc` crate pass to a system compiler.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Rust target launchers for Windows distributions are compiled for.
pub const WINDOWS_RUST_TARGET: &str = "x86_64-pc-windows-gnu";

/// Distribution triples whose launchers [`CrossToolchain`] builds for Windows.
pub const WINDOWS_TRIPLES: [&str; 1] = ["x86_64-pc-windows-msvc"];

/// The linker (and C compiler, for `zstd-sys`) for [`WINDOWS_RUST_TARGET`].
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// Overrides for where the toolchain is.
const CARGO_VAR: &str = "OXDIST_WINDOWS_CARGO";
const RUSTC_VAR: &str = "OXDIST_WINDOWS_RUSTC";
const ZIG_VAR: &str = "OXDIST_ZIG";

/// The zig oxdist fetches from PyPI for macOS targets: the `ziglang` wheel's
/// version, and per host platform (pip's `--platform`) its file name and
/// sha256, checked before it is unpacked.
pub const ZIGLANG: (&str, [(&str, &str, &str); 1]) = (
    "0.13.0",
    [(
        "x86_64-unknown-linux-gnu",
        "ziglang-0.13.0-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
        "3ce0c9f16547e5d61b32e0d226926e9a2552ef4b91fccf7ab5ea1a623a77824b",
    )],
);

/// What to install when something is missing.
pub const INSTALL_HINT: &str = "on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src` and, for Windows, `gcc-mingw-w64-x86-64` (or point OXDIST_WINDOWS_CARGO and OXDIST_WINDOWS_RUSTC at a toolchain with the rust-src component; OXDIST_ZIG at a zig 0.13 for macOS); see docs/how-to/windows-installer-from-linux.md and docs/how-to/macos-dmg-from-linux.md";

/// The platform a launcher is cross-compiled for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrossTarget {
    Windows,
    /// `aarch64-apple-darwin` or `x86_64-apple-darwin` (Rust's names, which
    /// are also the distributions').
    MacOs {
        rust_target: String,
    },
}

impl CrossTarget {
    /// The target for a distribution's triple, when it is one built here.
    pub fn for_triple(triple: &str) -> Option<Self> {
        if WINDOWS_TRIPLES.contains(&triple) {
            Some(Self::Windows)
        } else if crate::python::macos::MACOS_TRIPLES.contains(&triple) {
            Some(Self::MacOs {
                rust_target: triple.to_string(),
            })
        } else {
            None
        }
    }

    /// The Rust target triple compiled for.
    pub fn rust_target(&self) -> &str {
        match self {
            Self::Windows => WINDOWS_RUST_TARGET,
            Self::MacOs { rust_target } => rust_target,
        }
    }

    /// The launcher's file name in the target directory.
    pub fn executable_name(&self) -> &'static str {
        match self {
            Self::Windows => "oxdist-launcher.exe",
            Self::MacOs { .. } => "oxdist-launcher",
        }
    }
}

/// The linker a [`CrossToolchain`] uses.
#[derive(Clone, Debug)]
pub enum Linker {
    /// `x86_64-w64-mingw32-gcc`.
    MinGw(PathBuf),
    /// The `zig` executable, run through a generated `zig-cc` script.
    Zig(PathBuf),
}

/// A toolchain that can build a launcher for another platform on this machine.
#[derive(Clone, Debug)]
pub struct CrossToolchain {
    pub target: CrossTarget,
    pub cargo: PathBuf,
    pub rustc: PathBuf,
    pub linker: Linker,
    /// `rustc -vV`'s release line (and zig's version), part of the
    /// launcher's cache key.
    pub identity: String,
}

impl CrossToolchain {
    /// Finds the toolchain for `target`, or says what is missing. zig, when
    /// not given by `OXDIST_ZIG`, is fetched from PyPI with `python`'s pip
    /// into `cache/tools` (once).
    pub fn find(target: CrossTarget, cache: &Path, python: Option<&Path>) -> Result<Self, String> {
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
        let linker = match &target {
            CrossTarget::Windows => match which(MINGW_GCC) {
                Some(gcc) => Some(Linker::MinGw(gcc)),
                None => {
                    missing.push(format!("the MinGW-w64 linker ({MINGW_GCC} is not on PATH)"));
                    None
                }
            },
            CrossTarget::MacOs { .. } => match find_zig(cache, python) {
                Ok(zig) => Some(Linker::Zig(zig)),
                Err(why) => {
                    missing.push(why);
                    None
                }
            },
        };
        let (Some(linker), true) = (linker, missing.is_empty()) else {
            return Err(missing.join(", "));
        };
        let mut identity = rustc_version
            .lines()
            .find(|l| l.starts_with("release:"))
            .unwrap_or(&rustc_version)
            .to_string();
        if let Linker::Zig(zig) = &linker {
            identity.push_str(" zig ");
            identity.push_str(run(zig, &["version"]).unwrap_or_default().trim());
        }
        Ok(Self {
            target,
            cargo,
            rustc,
            linker,
            identity,
        })
    }

    /// Files the launcher project needs for this toolchain, beside its
    /// sources: the `zig-cc` script for macOS
    /// (`templates/files/launcher/zig-cc.hbs`).
    pub fn project_files(&self) -> Result<Vec<(String, Vec<u8>)>, oxdist_templates::TemplateError> {
        match (&self.linker, &self.target) {
            (Linker::Zig(zig), CrossTarget::MacOs { rust_target }) => {
                // zig's names, with the oldest macOS each architecture's
                // launcher supports (arm64 Macs started at 11).
                let zig_target = if rust_target.starts_with("aarch64") {
                    "aarch64-macos.11.0"
                } else {
                    "x86_64-macos.10.12"
                };
                let data = serde_json::json!({
                    "rust_target": rust_target,
                    "zig_target": zig_target,
                    "zig": zig.display().to_string(),
                });
                let script = oxdist_templates::render(oxdist_templates::Template::LauncherZigCc, &data)?;
                Ok(vec![(ZIG_CC.to_string(), script.into_bytes())])
            }
            _ => Ok(Vec::new()),
        }
    }

    /// `cargo build` of the launcher project in `project`, with the
    /// environment it needs and none that a surrounding build (rustup,
    /// `cargo test`) would leak into it.
    pub fn cargo_build(&self, project: &Path, target_dir: &Path, cache: &Path) -> Command {
        let rust_target = self.target.rust_target();
        let mut command = Command::new(&self.cargo);
        command
            .args([
                "build",
                "--release",
                "--quiet",
                "-Zbuild-std=std,panic_abort",
                "--target",
            ])
            .arg(rust_target)
            .arg("--manifest-path")
            .arg(project.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir)
            .env("RUSTC", &self.rustc)
            // -Zbuild-std on a stable compiler.
            .env("RUSTC_BOOTSTRAP", "1");
        let env_target = rust_target.to_uppercase().replace('-', "_");
        let cc_target = rust_target.replace('-', "_");
        match &self.linker {
            Linker::MinGw(gcc) => {
                command
                    .env(format!("CARGO_TARGET_{env_target}_LINKER"), gcc)
                    .env(format!("CC_{cc_target}"), gcc)
                    .env(format!("AR_{cc_target}"), gcc.with_file_name("x86_64-w64-mingw32-ar"));
            }
            Linker::Zig(_) => {
                let script = project.join(ZIG_CC);
                command
                    .env(format!("CARGO_TARGET_{env_target}_LINKER"), &script)
                    .env(format!("CC_{cc_target}"), &script)
                    // zig's own cache, with oxdist's rather than in $HOME.
                    .env("ZIG_GLOBAL_CACHE_DIR", cache.join("tools").join("zig-cache"));
            }
        }
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
    pub fn built_executable(&self, target_dir: &Path) -> PathBuf {
        target_dir
            .join(self.target.rust_target())
            .join("release")
            .join(self.target.executable_name())
    }
}

/// The generated wrapper around `zig cc` in macOS launcher projects.
pub const ZIG_CC: &str = "zig-cc";

/// Whether `triple` is a Windows distribution this module builds launchers for.
pub fn is_windows_target(triple: &str) -> bool {
    WINDOWS_TRIPLES.contains(&triple)
}

/// `OXDIST_ZIG`, or the pinned `ziglang` wheel's zig, fetched and unpacked
/// into `cache/tools/ziglang-VERSION` on first use.
fn find_zig(cache: &Path, python: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(zig) = std::env::var_os(ZIG_VAR) {
        let zig = PathBuf::from(zig);
        return match run(&zig, &["version"]) {
            Some(_) => Ok(zig),
            None => Err(format!("zig ({ZIG_VAR}={} does not run)", zig.display())),
        };
    }
    let (version, wheels) = ZIGLANG;
    let dir = cache.join("tools").join(format!("ziglang-{version}"));
    let zig = dir.join("ziglang").join("zig");
    if zig.is_file() {
        return Ok(zig);
    }
    let Some((_, file_name, sha256)) = wheels.iter().find(|(host, _, _)| *host == crate::HOST_TRIPLE) else {
        return Err(format!(
            "zig (oxdist fetches it from PyPI on x86_64 Linux only; set {ZIG_VAR} to a zig {version})"
        ));
    };
    let Some(python) = python else {
        return Err(format!(
            "zig (no Python to fetch ziglang=={version} with; set {ZIG_VAR})"
        ));
    };
    let spec = format!("ziglang=={version}");
    let wheel = crate::python::pip::download_file(
        python,
        &spec,
        &["--only-binary=:all:"],
        &cache.join("downloads"),
        file_name,
    )
    .map_err(|e| format!("zig (cannot fetch {spec} from PyPI: {e})"))?;
    let actual = oxdist_installers::output::sha256_file(&wheel).map_err(|e| format!("zig ({e})"))?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(format!(
            "zig ({} has sha256 {actual}, expected {sha256}; delete it to fetch it again)",
            wheel.display()
        ));
    }
    unpack_zip(&wheel, &dir).map_err(|e| format!("zig (cannot unpack {}: {e})", wheel.display()))?;
    Ok(zig)
}

/// Unpacks the zip at `archive` into `dest` (staged beside it, then
/// renamed), keeping the members' Unix permissions and refusing members
/// that would leave `dest`.
fn unpack_zip(archive: &Path, dest: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let parent = dest.parent().expect("below the cache");
    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    let staging = tempfile::Builder::new()
        .prefix(".oxdist-unpack-")
        .tempdir_in(parent)
        .map_err(|e| e.to_string())?;
    let file = std::fs::File::open(archive).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| e.to_string())?;
        let Some(relative) = member.enclosed_name() else {
            return Err(format!(
                "member {:?} would be written outside {}",
                member.name(),
                dest.display()
            ));
        };
        let path = staging.path().join(relative);
        if member.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
            continue;
        }
        std::fs::create_dir_all(path.parent().expect("below staging")).map_err(|e| e.to_string())?;
        let mut out = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::io::copy(&mut member, &mut out).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(mode) = member.unix_mode() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o755))
                .map_err(|e| e.to_string())?;
        }
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(|e| e.to_string())?;
    }
    std::fs::rename(staging.keep(), dest).map_err(|e| e.to_string())
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
