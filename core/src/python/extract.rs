//! What the readers of prebuilt distributions (python-build-standalone,
//! the Windows embeddable package, the macOS runtime) share: checking an
//! archive's digest, refusing members that would leave the destination,
//! and extracting into the user cache whole or not at all.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A file whose SHA-256 is not the one it was named with.
#[derive(Debug, thiserror::Error)]
#[error(
    "sha256 mismatch for {}: expected {expected}, got {actual}; the file is corrupt or not the one the configuration names (a download: delete it to fetch it again)",
    path.display()
)]
pub struct Sha256Mismatch {
    pub path: PathBuf,
    pub expected: String,
    pub actual: String,
}

/// An I/O failure while staging or moving an extraction into place.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct StagingError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// `path`'s hex SHA-256, compared with `expected` when given (case and
/// surrounding blanks ignored). `Ok(Err(_))` is a mismatch.
pub fn sha256_checked(path: &Path, expected: Option<&str>) -> io::Result<Result<String, Sha256Mismatch>> {
    let actual = oxdist_installers::output::sha256_file(path)?;
    Ok(match expected {
        Some(expected) if !expected.trim().eq_ignore_ascii_case(&actual) => Err(Sha256Mismatch {
            path: path.to_path_buf(),
            expected: expected.trim().to_string(),
            actual,
        }),
        _ => Ok(actual),
    })
}

/// Whether an archive member's path stays below the directory it is
/// extracted into: relative, not empty, no `..`, no root or prefix.
pub fn is_safe_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Writes the directory `dest` atomically: `fill` writes into a temporary
/// directory beside it, which then replaces `dest`. When `fill` fails,
/// `dest` is as it was and the temporary directory is removed.
pub fn replace_dir<E: From<StagingError>>(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E> {
    let staging_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StagingError { path, source }
    };
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(staging_error(parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".oxdist-extract-")
        .tempdir_in(parent)
        .map_err(staging_error(parent))?;
    fill(staging.path())?;
    if dest.exists() {
        fs::remove_dir_all(dest).map_err(staging_error(dest))?;
    }
    let staging = staging.keep();
    fs::rename(&staging, dest).map_err(staging_error(dest))?;
    Ok(())
}

/// The names of the regular files directly in `dir`, sorted.
pub fn file_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// The marker a finished extraction carries (it holds the source's digest).
const COMPLETE: &str = ".oxdist-complete";

/// `dest` in the cache, extracted once: unless an earlier call finished it,
/// [`replace_dir`] with `fill`, the marker (holding `digest`) written
/// inside before the rename, so a directory with a marker is whole.
pub fn extract_once<E: From<StagingError>>(
    dest: &Path,
    digest: &str,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if dest.join(COMPLETE).is_file() {
        return Ok(());
    }
    replace_dir(dest, |staging| {
        fill(staging)?;
        let marker = staging.join(COMPLETE);
        fs::write(&marker, digest).map_err(|source| StagingError { path: marker, source })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum TestError {
        Staging(#[allow(dead_code)] StagingError),
        Fill,
    }

    impl From<StagingError> for TestError {
        fn from(e: StagingError) -> Self {
            TestError::Staging(e)
        }
    }

    #[test]
    fn an_extraction_is_whole_or_absent_and_done_once() {
        let cache = tempfile::tempdir().unwrap();
        let dest = cache.path().join("d");
        let failed = extract_once(&dest, "abc", |dir| {
            fs::write(dir.join("half"), "x").unwrap();
            Err(TestError::Fill)
        });
        assert!(matches!(failed, Err(TestError::Fill)));
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0, "staging left behind");

        extract_once::<TestError>(&dest, "abc", |dir| {
            fs::write(dir.join("f"), "1").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(fs::read_to_string(dest.join(COMPLETE)).unwrap(), "abc");
        extract_once::<TestError>(&dest, "abc", |_| panic!("extracted twice")).unwrap();
    }

    #[test]
    fn digests_and_member_paths_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "").unwrap();
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(sha256_checked(&file, None).unwrap().unwrap(), empty);
        assert_eq!(
            sha256_checked(&file, Some(&format!(" {} ", empty.to_uppercase())))
                .unwrap()
                .unwrap(),
            empty
        );
        let err = sha256_checked(&file, Some("00")).unwrap().unwrap_err();
        assert!(err.to_string().starts_with("sha256 mismatch for "), "{err}");
        assert!(is_safe_relative(Path::new("a/./b")));
        for bad in ["", "../a", "a/../../b", "/etc/passwd"] {
            assert!(!is_safe_relative(Path::new(bad)), "{bad}");
        }
    }
}
