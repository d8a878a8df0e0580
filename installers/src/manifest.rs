//! The install tree every installer consumes.
//!
//! A [`FileManifest`] maps relative paths ([`ManifestPath`]) to entries: regular
//! files (with an executable bit) and symbolic links. Invariants, enforced when
//! entries are added so that no writer has to re-check them:
//!
//! - paths are relative, `/`-separated, and contain no `.`, `..` or empty
//!   components (so nothing can be written outside the install root);
//! - a path is never both a file and the parent directory of another entry;
//! - symbolic links are relative and resolve inside the tree;
//! - one path holds one content: adding different content for an existing path
//!   is an error naming both sources, adding identical content is a no-op.
//!
//! Directories are implicit: they are the parents of the entries.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a manifest operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid manifest path {path:?}: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    #[error(
        "conflicting content for {path:?}: {existing} and {new} differ; remove one of them or install one under another path"
    )]
    Conflict {
        path: String,
        existing: String,
        new: String,
    },
    #[error("{path:?} is a file in the manifest but also the parent directory of {child:?}")]
    FileIsDirectory { path: String, child: String },
    #[error(
        "symbolic link {path:?} points to {target:?}, which is outside the install tree; only relative links that stay inside the tree are allowed"
    )]
    SymlinkEscape { path: String, target: String },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} is not a regular file or a symbolic link", path.display())]
    NotAFile { path: PathBuf },
    #[error("{} is not inside the prefix {} to strip", path.display(), prefix.display())]
    PrefixMismatch { path: PathBuf, prefix: PathBuf },
    #[error("cannot install into {}: {source}", path.display())]
    Install { path: PathBuf, source: io::Error },
}

/// A validated path inside an install tree: relative, `/`-separated, normalized.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ManifestPath(String);

impl ManifestPath {
    /// Validates and normalizes `path`: a leading `./` and repeated `/` are
    /// dropped; absolute paths, `..`, backslashes and NUL bytes are refused.
    pub fn new(path: &str) -> Result<Self, ManifestError> {
        let invalid = |reason| ManifestError::InvalidPath {
            path: path.to_string(),
            reason,
        };
        if path.starts_with('/') {
            return Err(invalid(
                "absolute paths are not allowed; use a path relative to the install root",
            ));
        }
        if path.contains('\\') {
            return Err(invalid("backslashes are not allowed; separate directories with '/'"));
        }
        if path.contains('\0') {
            return Err(invalid("NUL bytes are not allowed"));
        }
        let bytes = path.as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            return Err(invalid("drive-letter (absolute Windows) paths are not allowed"));
        }
        let mut parts = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => continue,
                ".." => return Err(invalid("'..' components are not allowed")),
                _ => parts.push(part),
            }
        }
        if parts.is_empty() {
            return Err(invalid("the path names no file"));
        }
        Ok(Self(parts.join("/")))
    }

    /// Builds a manifest path from a filesystem path (relative, as produced by
    /// stripping a prefix). Non-UTF-8 names are refused.
    pub fn from_relative_path(path: &Path) -> Result<Self, ManifestError> {
        let text = path.to_str().ok_or_else(|| ManifestError::InvalidPath {
            path: path.display().to_string(),
            reason: "file names must be valid UTF-8",
        })?;
        Self::new(&text.replace(std::path::MAIN_SEPARATOR, "/"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parent directories of this path, outermost first (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> impl Iterator<Item = &str> {
        self.0.match_indices('/').map(|(i, _)| &self.0[..i])
    }

    /// The final component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// This path with `prefix` (itself a manifest path) prepended.
    pub fn under(&self, prefix: &ManifestPath) -> ManifestPath {
        ManifestPath(format!("{}/{}", prefix.0, self.0))
    }
}

impl fmt::Display for ManifestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a file's bytes come from.
#[derive(Clone, Debug)]
pub enum FileData {
    /// Read from this filesystem path when the manifest is written.
    Path(PathBuf),
    /// Held in memory.
    Memory(Arc<Vec<u8>>),
}

impl FileData {
    /// The file's bytes.
    pub fn read(&self) -> Result<std::borrow::Cow<'_, [u8]>, ManifestError> {
        match self {
            FileData::Path(path) => fs::read(path)
                .map(std::borrow::Cow::Owned)
                .map_err(|source| ManifestError::Read {
                    path: path.clone(),
                    source,
                }),
            FileData::Memory(bytes) => Ok(std::borrow::Cow::Borrowed(bytes.as_slice())),
        }
    }

    /// The file's size in bytes.
    pub fn len(&self) -> Result<u64, ManifestError> {
        match self {
            FileData::Path(path) => fs::metadata(path)
                .map(|m| m.len())
                .map_err(|source| ManifestError::Read {
                    path: path.clone(),
                    source,
                }),
            FileData::Memory(bytes) => Ok(bytes.len() as u64),
        }
    }

    pub fn is_empty(&self) -> Result<bool, ManifestError> {
        self.len().map(|len| len == 0)
    }
}

/// A regular file in the tree.
#[derive(Clone, Debug)]
pub struct FileEntry {
    pub data: FileData,
    /// Installed with mode 0755 instead of 0644.
    pub executable: bool,
    /// Human-readable provenance, used in error messages ("file /src/a.txt").
    pub origin: String,
}

impl FileEntry {
    /// A file whose bytes are read from `path` at write time.
    pub fn from_path(path: impl Into<PathBuf>, executable: bool) -> Self {
        let path = path.into();
        let origin = format!("file {}", path.display());
        Self {
            data: FileData::Path(path),
            executable,
            origin,
        }
    }

    /// A file held in memory; `origin` says where it came from.
    pub fn from_bytes(bytes: Vec<u8>, executable: bool, origin: impl Into<String>) -> Self {
        Self {
            data: FileData::Memory(Arc::new(bytes)),
            executable,
            origin: origin.into(),
        }
    }

    /// Permission bits installers write for this file.
    pub fn mode(&self) -> u32 {
        if self.executable { 0o755 } else { 0o644 }
    }
}

/// One entry of the tree.
#[derive(Clone, Debug)]
pub enum ManifestEntry {
    File(FileEntry),
    /// A relative symbolic link; its target stays inside the tree.
    Symlink {
        target: String,
        origin: String,
    },
}

impl ManifestEntry {
    fn origin(&self) -> &str {
        match self {
            ManifestEntry::File(file) => &file.origin,
            ManifestEntry::Symlink { origin, .. } => origin,
        }
    }

    /// Whether two entries install the same thing (same bytes and mode, or same link).
    fn same_content(&self, other: &ManifestEntry) -> Result<bool, ManifestError> {
        match (self, other) {
            (ManifestEntry::File(a), ManifestEntry::File(b)) => {
                if a.executable != b.executable {
                    return Ok(false);
                }
                if let (FileData::Path(pa), FileData::Path(pb)) = (&a.data, &b.data)
                    && pa == pb
                {
                    return Ok(true);
                }
                if a.data.len()? != b.data.len()? {
                    return Ok(false);
                }
                Ok(a.data.read()? == b.data.read()?)
            }
            (ManifestEntry::Symlink { target: a, .. }, ManifestEntry::Symlink { target: b, .. }) => Ok(a == b),
            _ => Ok(false),
        }
    }
}

/// A tree of files and symbolic links to install, keyed by sorted relative path.
#[derive(Clone, Debug, Default)]
pub struct FileManifest {
    entries: BTreeMap<ManifestPath, ManifestEntry>,
}

impl FileManifest {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in path order.
    pub fn entries(&self) -> impl Iterator<Item = (&ManifestPath, &ManifestEntry)> {
        self.entries.iter()
    }

    pub fn get(&self, path: &ManifestPath) -> Option<&ManifestEntry> {
        self.entries.get(path)
    }

    /// Every directory implied by the entries, sorted, parents before children.
    pub fn directories(&self) -> BTreeSet<String> {
        self.entries
            .keys()
            .flat_map(|path| path.ancestors().map(str::to_string))
            .collect()
    }

    /// Adds an entry, enforcing the invariants in the module documentation.
    pub fn add(&mut self, path: ManifestPath, entry: ManifestEntry) -> Result<(), ManifestError> {
        if let ManifestEntry::Symlink { target, .. } = &entry {
            check_symlink_target(&path, target)?;
        }
        if let Some(existing) = self.entries.get(&path) {
            if existing.same_content(&entry)? {
                return Ok(());
            }
            return Err(ManifestError::Conflict {
                path: path.to_string(),
                existing: existing.origin().to_string(),
                new: entry.origin().to_string(),
            });
        }
        for ancestor in path.ancestors() {
            // Ancestors are valid paths by construction.
            if self.entries.contains_key(&ManifestPath(ancestor.to_string())) {
                return Err(ManifestError::FileIsDirectory {
                    path: ancestor.to_string(),
                    child: path.to_string(),
                });
            }
        }
        let dir_prefix = format!("{}/", path.as_str());
        if let Some((child, _)) = self
            .entries
            .range(ManifestPath(dir_prefix.clone())..)
            .next()
            .filter(|(p, _)| p.0.starts_with(&dir_prefix))
        {
            return Err(ManifestError::FileIsDirectory {
                path: path.to_string(),
                child: child.to_string(),
            });
        }
        self.entries.insert(path, entry);
        Ok(())
    }

    /// Adds a regular file.
    pub fn add_file(&mut self, path: ManifestPath, file: FileEntry) -> Result<(), ManifestError> {
        self.add(path, ManifestEntry::File(file))
    }

    /// Adds the file or symbolic link at `fs_path`, installed at `fs_path`
    /// with `strip_prefix` removed. Regular files keep their executable bit;
    /// symbolic links are kept as links when they stay inside the tree. With
    /// `force_read`, the bytes are read now instead of when the manifest is
    /// written.
    pub fn add_path(&mut self, fs_path: &Path, strip_prefix: &Path, force_read: bool) -> Result<(), ManifestError> {
        let relative = fs_path
            .strip_prefix(strip_prefix)
            .map_err(|_| ManifestError::PrefixMismatch {
                path: fs_path.to_path_buf(),
                prefix: strip_prefix.to_path_buf(),
            })?;
        let path = ManifestPath::from_relative_path(relative)?;
        let entry = entry_from_filesystem(fs_path, force_read)?;
        self.add(path, entry)
    }

    /// Adds every entry of `other`, optionally under `prefix`.
    pub fn add_manifest(&mut self, other: &FileManifest, prefix: Option<&ManifestPath>) -> Result<(), ManifestError> {
        for (path, entry) in &other.entries {
            let path = match prefix {
                Some(prefix) => path.under(prefix),
                None => path.clone(),
            };
            self.add(path, entry.clone())?;
        }
        Ok(())
    }

    /// Total bytes of regular files.
    pub fn total_size(&self) -> Result<u64, ManifestError> {
        let mut total = 0;
        for entry in self.entries.values() {
            if let ManifestEntry::File(file) = entry {
                total += file.data.len()?;
            }
        }
        Ok(total)
    }

    /// Writes the tree into `dest`. With `replace`, `dest` ends up holding
    /// exactly the manifest: the tree is assembled in a sibling temporary
    /// directory and renamed over `dest`, so a failure leaves the previous
    /// contents in place. Without `replace`, files are written into `dest`
    /// alongside whatever is already there.
    pub fn install(&self, dest: &Path, replace: bool) -> Result<(), ManifestError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ManifestError::Install { path, source }
        };
        if !replace {
            fs::create_dir_all(dest).map_err(err(dest))?;
            return self.write_tree(dest);
        }
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(err(parent))?;
        let staging = tempfile::Builder::new()
            .prefix(".oxdist-install-")
            .tempdir_in(parent)
            .map_err(err(parent))?;
        self.write_tree(staging.path())?;
        if dest.symlink_metadata().is_ok() {
            let old = tempfile::Builder::new()
                .prefix(".oxdist-old-")
                .tempdir_in(parent)
                .map_err(err(parent))?;
            let old_path = old.path().join("tree");
            fs::rename(dest, &old_path).map_err(err(dest))?;
            fs::rename(staging.path(), dest).map_err(err(dest))?;
            // `old` removes the previous tree when dropped.
        } else {
            fs::rename(staging.path(), dest).map_err(err(dest))?;
        }
        // The staging directory was renamed away; keep TempDir from touching `dest`.
        let _ = staging.keep();
        Ok(())
    }

    fn write_tree(&self, root: &Path) -> Result<(), ManifestError> {
        for (path, entry) in &self.entries {
            let target = root.join(path.as_str());
            let err = |source| ManifestError::Install {
                path: target.clone(),
                source,
            };
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(err)?;
            }
            if target.symlink_metadata().is_ok() {
                fs::remove_file(&target).map_err(err)?;
            }
            match entry {
                ManifestEntry::File(file) => {
                    match &file.data {
                        FileData::Path(src) => {
                            fs::copy(src, &target).map(drop).map_err(|source| ManifestError::Read {
                                path: src.clone(),
                                source,
                            })?
                        }
                        FileData::Memory(bytes) => fs::write(&target, bytes.as_slice()).map_err(err)?,
                    }
                    set_mode(&target, file.mode()).map_err(err)?;
                }
                ManifestEntry::Symlink { target: link, .. } => make_symlink(link, &target).map_err(err)?,
            }
        }
        Ok(())
    }
}

/// Reads what a filesystem path should become in a manifest.
fn entry_from_filesystem(fs_path: &Path, force_read: bool) -> Result<ManifestEntry, ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: fs_path.to_path_buf(),
        source,
    };
    let meta = fs::symlink_metadata(fs_path).map_err(read_err)?;
    let origin = format!("file {}", fs_path.display());
    if meta.file_type().is_symlink() {
        let target = fs::read_link(fs_path).map_err(read_err)?;
        let target = target.to_str().ok_or_else(|| ManifestError::InvalidPath {
            path: target.display().to_string(),
            reason: "symbolic link targets must be valid UTF-8",
        })?;
        return Ok(ManifestEntry::Symlink {
            target: target.to_string(),
            origin: format!("symbolic link {}", fs_path.display()),
        });
    }
    if !meta.is_file() {
        return Err(ManifestError::NotAFile {
            path: fs_path.to_path_buf(),
        });
    }
    let executable = is_executable(&meta);
    let data = if force_read {
        FileData::Memory(Arc::new(fs::read(fs_path).map_err(read_err)?))
    } else {
        FileData::Path(fs_path.to_path_buf())
    };
    Ok(ManifestEntry::File(FileEntry {
        data,
        executable,
        origin,
    }))
}

/// Refuses link targets that are absolute or climb out of the tree.
fn check_symlink_target(link: &ManifestPath, target: &str) -> Result<(), ManifestError> {
    let escape = || ManifestError::SymlinkEscape {
        path: link.to_string(),
        target: target.to_string(),
    };
    if target.is_empty() || target.starts_with('/') || target.contains('\\') {
        return Err(escape());
    }
    // Depth of the directory holding the link, then walk the target.
    let mut depth = link.ancestors().count() as i64;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err(escape());
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &str, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_symlink(target: &str, link: &Path) -> io::Result<()> {
    // Windows needs privileges for symlinks; install a copy of the link text's
    // meaning is not possible without resolving, so refuse clearly.
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("symbolic links ({target}) cannot be installed on this platform"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ManifestPath {
        ManifestPath::new(s).unwrap()
    }

    #[test]
    fn paths_are_normalized_and_traversal_refused() {
        assert_eq!(p("./a//b/./c").as_str(), "a/b/c");
        for bad in ["/etc/passwd", "a/../../b", "..", "a\\b", "C:/x", "", "./"] {
            assert!(ManifestPath::new(bad).is_err(), "{bad:?} should be refused");
        }
        let err = ManifestPath::new("a/../b").unwrap_err().to_string();
        assert!(err.contains("'..' components are not allowed"), "{err}");
    }

    #[test]
    fn identical_duplicates_are_accepted_and_different_ones_refused() {
        let mut m = FileManifest::new();
        m.add_file(p("a.txt"), FileEntry::from_bytes(b"x".to_vec(), false, "first"))
            .unwrap();
        m.add_file(p("a.txt"), FileEntry::from_bytes(b"x".to_vec(), false, "second"))
            .unwrap();
        let err = m
            .add_file(p("a.txt"), FileEntry::from_bytes(b"y".to_vec(), false, "third"))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("first") && text.contains("third") && text.contains("a.txt"),
            "{text}"
        );
    }

    #[test]
    fn file_and_directory_clash_is_refused() {
        let mut m = FileManifest::new();
        m.add_file(p("a/b"), FileEntry::from_bytes(vec![], false, "x")).unwrap();
        assert!(matches!(
            m.add_file(p("a"), FileEntry::from_bytes(vec![], false, "y")),
            Err(ManifestError::FileIsDirectory { .. })
        ));
        assert!(matches!(
            m.add_file(p("a/b/c"), FileEntry::from_bytes(vec![], false, "y")),
            Err(ManifestError::FileIsDirectory { .. })
        ));
        m.add_file(p("a.b"), FileEntry::from_bytes(vec![], false, "z")).unwrap();
    }

    #[test]
    fn symlinks_must_stay_inside() {
        let mut m = FileManifest::new();
        let link = |t: &str| ManifestEntry::Symlink {
            target: t.into(),
            origin: "test".into(),
        };
        m.add(p("bin/tool"), link("../lib/tool")).unwrap();
        m.add(p("top"), link("bin/tool")).unwrap();
        assert!(m.add(p("bin/esc"), link("../../etc/passwd")).is_err());
        assert!(m.add(p("abs"), link("/etc/passwd")).is_err());
    }

    #[test]
    fn directories_are_implied() {
        let mut m = FileManifest::new();
        m.add_file(p("a/b/c.txt"), FileEntry::from_bytes(vec![], false, "x"))
            .unwrap();
        m.add_file(p("a/d.txt"), FileEntry::from_bytes(vec![], false, "x"))
            .unwrap();
        assert_eq!(m.directories().into_iter().collect::<Vec<_>>(), vec!["a", "a/b"]);
    }
}
