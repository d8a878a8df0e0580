//! `pip install --target`, run with a distribution's own interpreter.
//!
//! oxdist never imports pip: it runs the interpreter as a child process so
//! that the packages resolved are the ones for that Python. `--no-index`
//! and `--find-links` in `args` pass straight through for offline builds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why `pip install` failed.
#[derive(Debug, thiserror::Error)]
pub enum PipError {
    #[error("cannot run {}: {message}", python.display())]
    Run { python: PathBuf, message: String },
    #[error("pip install {args} failed (exit {code}); pip said:\n{output}")]
    Failed { args: String, code: i32, output: String },
    #[error("cannot prepare {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Installs `args` into `target` (emptied first) with `python -m pip`.
pub fn pip_install(
    python: &Path,
    args: &[String],
    extra_envs: &BTreeMap<String, String>,
    target: &Path,
) -> Result<(), PipError> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|source| PipError::Io {
            path: target.to_path_buf(),
            source,
        })?;
    }
    std::fs::create_dir_all(target).map_err(|source| PipError::Io {
        path: target.to_path_buf(),
        source,
    })?;
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--target",
        ])
        .arg(target)
        .args(args)
        .envs(extra_envs)
        // Lets setup scripts know they run for oxdist (PyOxidizer set PYOXIDIZER=1).
        .env("OXDIST", "1")
        .env("PYOXIDIZER", "1")
        .env_remove("PIP_USER")
        .output()
        .map_err(|e| PipError::Run {
            python: python.to_path_buf(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        // The end of pip's output says what went wrong; keep it readable.
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        return Err(PipError::Failed {
            args: args.join(" "),
            code: output.status.code().unwrap_or(-1),
            output: tail,
        });
    }
    Ok(())
}

/// The version of the wheel `pip wheel --no-deps` builds from the project in
/// `dir` (a `pyproject.toml` whose version is dynamic); the error is what
/// went wrong, in pip's words.
pub fn built_wheel_version(python: &Path, dir: &Path, index_args: &[String]) -> Result<String, String> {
    let out = tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--quiet",
        ])
        .arg("--wheel-dir")
        .arg(out.path())
        .args(index_args)
        .arg(dir)
        .env("OXDIST", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = text.lines().collect();
        return Err(lines[lines.len().saturating_sub(15)..].join("\n"));
    }
    let wheel = std::fs::read_dir(out.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".whl"))
        .ok_or_else(|| "pip wheel built no wheel".to_string())?;
    // NAME-VERSION(-BUILD)?-PY-ABI-PLATFORM.whl (PEP 427: no '-' inside parts).
    wheel
        .split('-')
        .nth(1)
        .map(str::to_string)
        .ok_or_else(|| format!("{wheel} is not a wheel file name"))
}

/// Fetches one registry file with `python -m pip download --no-deps`
/// (`spec` plus `platform_args`, e.g. `--platform …` for a wheel of another
/// platform) into `dir` as `file_name`, unless it is there already. Pip
/// downloads into a temporary directory beside it and the file is renamed
/// into place, so an interrupted fetch leaves nothing behind. Checking the
/// file's digest is the caller's business: pip checks none of its own here.
pub fn download_file(
    python: &Path,
    spec: &str,
    platform_args: &[&str],
    dir: &Path,
    file_name: &str,
) -> Result<PathBuf, String> {
    let file = dir.join(file_name);
    if file.is_file() {
        return Ok(file);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".oxdist-download-")
        .tempdir_in(dir)
        .map_err(|e| format!("cannot create a directory in {}: {e}", dir.display()))?;
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
        ])
        .args(platform_args)
        .arg("-d")
        .arg(staging.path())
        .arg(spec)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let fetched = staging.path().join(file_name);
    if !output.status.success() || !fetched.is_file() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(if said.is_empty() {
            format!("pip did not produce {file_name}")
        } else {
            said
        });
    }
    std::fs::rename(&fetched, &file).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(file)
}
