//! Launchers: the runtime plus a static libpython, compiled once and cached.
//!
//! A launcher depends only on the distribution, the runtime's sources, the
//! link options and the target, so it is built once per combination (the
//! first build of an application) and reused: building an application after
//! that is "copy the launcher, append resources", with no Rust compile.
//!
//! The project is generated from `templates/files/launcher/` into
//! `CACHE/launchers/src-KEY/` and built with `cargo build --release` in
//! `CACHE/launchers/target-KEY/` (removed afterwards); the binary is stored
//! as `CACHE/launchers/KEY/oxdist-launcher`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use oxdist_templates::{Template, render};
use sha2::{Digest, Sha256};

use crate::python::distribution::{DistributionError, PythonDistribution};

/// Why a launcher could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error(transparent)]
    Distribution(#[from] DistributionError),
    #[error(
        "the embedding runtime sources are not available at {}; oxdist must run from its source tree for now",
        .0.display()
    )]
    RuntimeSources(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Template(#[from] oxdist_templates::TemplateError),
    #[error("cannot run cargo ({0}); building a launcher the first time needs a Rust toolchain (https://rustup.rs)")]
    NoCargo(String),
    #[error("building the launcher for {python} failed; cargo said:\n{output}")]
    Build { python: String, output: String },
    #[error(
        "Python {0} has no start-up path in this runtime: it supports {supported}; Python 3.14 removed _Py_InitializeMain (see docs/architecture.md)",
        supported = SUPPORTED_PYTHONS.join(", ")
    )]
    UnsupportedPython(String),
    #[error("launchers are built for {target} only on a {target} host (this oxdist runs on {host})")]
    CrossTarget { target: String, host: String },
}

/// The runtime crate's sources (the `embed/` directory of this repository).
fn embed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../embed")
}

/// The workspace lock file: pins the launcher's dependencies to tested versions.
fn workspace_lock() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")
}

/// CPython versions whose two-phase start-up the runtime implements.
pub const SUPPORTED_PYTHONS: [&str; 4] = ["3.10", "3.11", "3.12", "3.13"];

/// Libraries every launcher links besides libpython's own.
const BASE_LIBRARIES: [&str; 4] = ["pthread", "dl", "util", "m"];

/// What a launcher build depends on, rendered into the project files.
struct LauncherInputs {
    files: Vec<(&'static str, String)>,
    key: String,
}

fn inputs(dist: &PythonDistribution) -> Result<LauncherInputs, LauncherError> {
    if !SUPPORTED_PYTHONS.contains(&dist.major_minor.as_str()) {
        return Err(LauncherError::UnsupportedPython(dist.major_minor.clone()));
    }
    if dist.target_triple != crate::HOST_TRIPLE {
        return Err(LauncherError::CrossTarget {
            target: dist.target_triple.clone(),
            host: crate::HOST_TRIPLE.to_string(),
        });
    }
    let libpython = dist.require_static_libpython()?.clone();
    let python_exe = dist.require_interpreter()?.clone();
    let embed = fs::canonicalize(embed_dir()).map_err(|_| LauncherError::RuntimeSources(embed_dir()))?;
    let mut libraries: Vec<String> = BASE_LIBRARIES.iter().map(|s| s.to_string()).collect();
    for link in &dist.libpython.links {
        if !libraries.contains(&link.name) {
            libraries.push(link.name.clone());
        }
    }
    let data = serde_json::json!({
        "python_label": dist.label(),
        "oxdist_version": env!("CARGO_PKG_VERSION"),
        "embed_path": embed.display().to_string(),
        "libpython": libpython.display().to_string(),
        "link_libraries": libraries,
        "major_minor": dist.major_minor,
        "lib_dir": libpython.parent().map(|p| p.display().to_string()).unwrap_or_default(),
        "python_exe": python_exe.display().to_string(),
    });
    let files = vec![
        ("Cargo.toml", render(Template::LauncherCargoToml, &data)?),
        ("main.rs", render(Template::LauncherMain, &data)?),
        ("build.rs", render(Template::LauncherBuild, &data)?),
        ("pyo3-config.txt", render(Template::LauncherPyo3Config, &data)?),
    ];

    // The key covers everything the binary depends on: project files, the
    // runtime's sources, and the identity of the static library.
    let mut hasher = Sha256::new();
    for (name, text) in &files {
        hasher.update(name.as_bytes());
        hasher.update(text.as_bytes());
    }
    hash_tree(&embed.join("src"), &mut hasher).map_err(|source| LauncherError::Io {
        path: embed.clone(),
        source,
    })?;
    hasher.update(fs::read(embed.join("Cargo.toml")).unwrap_or_default());
    let meta = fs::metadata(&libpython).map_err(|source| LauncherError::Io {
        path: libpython.clone(),
        source,
    })?;
    hasher.update(meta.len().to_le_bytes());
    if let Ok(modified) = meta
        .modified()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).map_err(io::Error::other))
    {
        hasher.update(modified.as_secs().to_le_bytes());
    }
    let key = hasher.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
    Ok(LauncherInputs { files, key })
}

fn hash_tree(dir: &Path, hasher: &mut Sha256) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            hash_tree(&path, hasher)?;
        } else {
            hasher.update(entry.file_name().as_encoded_bytes());
            hasher.update(fs::read(&path)?);
        }
    }
    Ok(())
}

/// Outcome of [`ensure_launcher`].
pub struct Launcher {
    pub path: PathBuf,
    /// Whether this call compiled it (false: it came from the cache).
    pub built: bool,
}

/// The cached launcher for `dist`, building it first when missing.
pub fn ensure_launcher(dist: &PythonDistribution, cache: &Path) -> Result<Launcher, LauncherError> {
    let inputs = inputs(dist)?;
    let root = cache.join("launchers");
    let binary = root.join(&inputs.key).join("oxdist-launcher");
    if binary.is_file() {
        return Ok(Launcher {
            path: binary,
            built: false,
        });
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LauncherError::Io { path, source }
    };
    // One build per key at a time, across processes: others wait, then find
    // the binary in the cache.
    fs::create_dir_all(&root).map_err(io(&root))?;
    let lock_path = root.join(format!("{}.lock", inputs.key));
    let lock = fs::File::create(&lock_path).map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    if binary.is_file() {
        return Ok(Launcher {
            path: binary,
            built: false,
        });
    }
    let project = root.join(format!("src-{}", inputs.key));
    fs::create_dir_all(&project).map_err(io(&project))?;
    for (name, text) in &inputs.files {
        let path = project.join(name);
        fs::write(&path, text).map_err(io(&path))?;
    }
    let lock = project.join("Cargo.lock");
    if !lock.exists() && workspace_lock().is_file() {
        fs::copy(workspace_lock(), &lock).map_err(io(&lock))?;
    }
    // One target directory per key: concurrent builds of different launchers
    // must not overwrite each other's `release/oxdist-launcher`.
    let target_dir = root.join(format!("target-{}", inputs.key));
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("PYO3_CONFIG_FILE", project.join("pyo3-config.txt"))
        // A surrounding build's settings must not leak into the launcher.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .map_err(|e| LauncherError::NoCargo(e.to_string()))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        return Err(LauncherError::Build {
            python: dist.label(),
            output: text.trim().to_string(),
        });
    }
    let built = target_dir.join("release").join("oxdist-launcher");
    let dir = binary.parent().expect("has a parent");
    fs::create_dir_all(dir).map_err(io(dir))?;
    // Concurrent builds of the same launcher (parallel tests, two terminals)
    // each copy through their own temporary file; the rename is atomic.
    let temp = tempfile::Builder::new()
        .prefix(".oxdist-launcher-")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    fs::copy(&built, temp.path()).map_err(io(&built))?;
    temp.persist(&binary).map_err(|e| LauncherError::Io {
        path: binary.clone(),
        source: e.error,
    })?;
    // The binary is all that is needed from now on; the build tree is large.
    let _ = fs::remove_dir_all(&target_dir);
    Ok(Launcher {
        path: binary,
        built: true,
    })
}
