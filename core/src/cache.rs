//! The user cache directory: downloaded and extracted Python distributions,
//! built launchers and compiled bytecode that survive between builds.

use std::path::PathBuf;

/// `$OXDIST_CACHE_DIR`, else `$XDG_CACHE_HOME/oxdist`, else `~/.cache/oxdist`,
/// else a directory under the system temporary directory.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OXDIST_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("oxdist");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("oxdist");
    }
    std::env::temp_dir().join("oxdist-cache")
}
