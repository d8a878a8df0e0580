//! Finding the configuration file.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// File names searched for, in order of preference within one directory.
pub const CONFIG_NAMES: [&str; 2] = ["oxdist.star", "pyoxidizer.bzl"];

/// The configuration to use: `explicit` when given (it must exist), else the
/// first of [`CONFIG_NAMES`] found in `start` or its nearest parent.
pub fn find_config(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, Error> {
    if let Some(path) = explicit {
        if !path.is_file() {
            return Err(Error::ConfigMissing(path.to_path_buf()));
        }
        return Ok(path.to_path_buf());
    }
    for dir in start.ancestors() {
        for name in CONFIG_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Error::ConfigNotFound(start.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_nearest_and_oxdist_star() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.path().join("pyoxidizer.bzl"), "").unwrap();
        assert_eq!(find_config(None, &sub).unwrap(), root.path().join("pyoxidizer.bzl"));
        std::fs::write(root.path().join("oxdist.star"), "").unwrap();
        assert_eq!(find_config(None, &sub).unwrap(), root.path().join("oxdist.star"));
        std::fs::write(root.path().join("a/pyoxidizer.bzl"), "").unwrap();
        assert_eq!(find_config(None, &sub).unwrap(), root.path().join("a/pyoxidizer.bzl"));
    }

    #[test]
    fn missing_config_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(find_config(None, root.path()), Err(Error::ConfigNotFound(_))));
        assert!(matches!(
            find_config(Some(&root.path().join("x.star")), root.path()),
            Err(Error::ConfigMissing(_))
        ));
    }
}
