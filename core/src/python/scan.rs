//! Classify files below an import root into [`PythonResource`]s.
//!
//! Three levels, each built on the one before:
//!
//! - [`classify_path`]: one file, judged by its path alone. It cannot know
//!   which directories have an `__init__.py`, so it treats every directory with
//!   identifier components as a package.
//! - [`classify_tree`]: a whole tree at once, which decides package-ness from
//!   the files present (regular packages, PEP 420 namespace packages) and
//!   validates the paths. Wheels and directories both end up here.
//! - [`scan_directory`]: walks a directory (site-packages, a `pip install
//!   --target` directory, an application's source root) and calls
//!   [`classify_tree`]; [`find_site_packages`] locates the root in a venv.
//!   [`scan_stdlib`] does the same for a distribution's standard library
//!   without entering the directories that hold something else.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use oxdist_installers::FileData;
use walkdir::WalkDir;

use super::resources::{
    DistributionResource, ExtensionModuleFile, ModuleBytecode, ModuleSource, PackageResource, PathExtension, PlainFile,
    PythonResource, PythonSuffixes,
};

/// One file handed to [`classify_tree`]: its `/`-separated path relative to
/// the import root, its bytes, where it came from (for messages) and whether
/// it is executable.
pub type TreeFile = (String, FileData, PathBuf, bool);

/// Why a tree or directory could not be classified.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "unsafe resource path {path:?}: it {reason}; resource paths must be relative, \
         `/`-separated and stay inside the import root"
    )]
    InvalidPath { path: String, reason: &'static str },
    #[error("resource path {path:?} appears twice (from {} and {}); remove one of them", .first.display(), .second.display())]
    DuplicatePath {
        path: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "symlink {} points to {}, outside the scanned directory {}; \
         replace the link with a copy of the file or scan the directory it points into",
        .link.display(), .target.display(), .root.display()
    )]
    SymlinkEscape {
        link: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    #[error(
        "symlink {} points to the directory {}; directory symlinks are not followed \
         (they would duplicate or loop), replace the link with a real directory",
        .link.display(), .target.display()
    )]
    SymlinkedDirectory { link: PathBuf, target: PathBuf },
    #[error("{} is not a regular file, directory or symlink; remove it", .path.display())]
    SpecialFile { path: PathBuf },
    #[error("{} has a name that is not valid UTF-8; rename it", .path.display())]
    NonUtf8Path { path: PathBuf },
    #[error("{} is not a directory; pass the directory to scan (e.g. site-packages)", .path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{} is not a virtual environment: it has no pyvenv.cfg; create one with \
         `python3 -m venv DIR` or pass its site-packages directory instead",
        .path.display()
    )]
    NotAVenv { path: PathBuf },
    #[error(
        "virtual environment {} has no site-packages directory \
         (looked for Lib/site-packages and lib/python*/site-packages); is it complete?",
        .venv.display()
    )]
    NoSitePackages { venv: PathBuf },
    #[error(
        "virtual environment {} has several site-packages directories ({}) and its \
         pyvenv.cfg does not say which version it uses; pass the site-packages directory instead",
        .venv.display(), display_paths(.found)
    )]
    AmbiguousSitePackages { venv: PathBuf, found: Vec<PathBuf> },
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// Whether `s` is a valid Python identifier (so a directory or file stem can
/// be part of a dotted module name). Uses Unicode alphabetic/alphanumeric,
/// which approximates Python's XID rules; keywords are not rejected because
/// `importlib.import_module` accepts them.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => chars.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    }
}

/// Why `path` is not a safe relative resource path, or `Ok` if it is.
///
/// Shared with the wheel reader so archives and directories obey one rule:
/// no absolute paths, drive letters, backslashes, NULs, `..`, `.` or empty
/// components (the last two would make two spellings of one file).
pub(crate) fn check_relative_path(path: &str) -> Result<(), &'static str> {
    let bytes = path.as_bytes();
    if path.is_empty() {
        Err("is empty")
    } else if path.contains('\\') {
        Err("contains a backslash")
    } else if path.contains('\0') {
        Err("contains a NUL byte")
    } else if path.starts_with('/') {
        Err("is absolute")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Err("starts with a drive letter")
    } else if path.split('/').any(|c| c == "..") {
        Err("contains a `..` component")
    } else if path.split('/').any(|c| c.is_empty() || c == ".") {
        Err("contains an empty or `.` component")
    } else {
        Ok(())
    }
}

/// What a path is, before the file's bytes are attached.
enum Kind<'s> {
    Ignored,
    Distribution {
        directory: String,
        name: String,
    },
    PathExtension,
    Module {
        kind: ModuleKind<'s>,
        name: String,
        is_package: bool,
    },
    Data,
}

enum ModuleKind<'s> {
    Source,
    Bytecode,
    Extension(&'s str),
}

/// The longest suffix in `suffixes` that `file` ends with, and the stem before it.
fn split_suffix<'f, 's>(file: &'f str, suffixes: &'s [String]) -> Option<(&'f str, &'s str)> {
    suffixes
        .iter()
        .filter(|s| file.len() > s.len() && file.ends_with(s.as_str()))
        .max_by_key(|s| s.len())
        .map(|s| (&file[..file.len() - s.len()], s.as_str()))
}

fn kind_of<'s>(relative: &str, suffixes: &'s PythonSuffixes) -> Kind<'s> {
    let parts: Vec<&str> = relative.split('/').collect();
    let (file, dirs) = parts.split_last().expect("split yields at least one part");
    // Compiled caches are the interpreter's business, never resources.
    if dirs.contains(&"__pycache__") {
        return Kind::Ignored;
    }
    if let Some(top) = dirs.first()
        && (top.ends_with(".dist-info") || top.ends_with(".egg-info"))
    {
        return Kind::Distribution {
            directory: (*top).to_string(),
            name: parts[1..].join("/"),
        };
    }
    if dirs.is_empty() && file.ends_with(".pth") {
        return Kind::PathExtension;
    }
    if dirs.iter().all(|d| is_identifier(d)) {
        // Longest extension suffix first: `.cpython-311-x86_64-linux-gnu.so` beats `.so`.
        let module = split_suffix(file, &suffixes.extension)
            .map(|(stem, suffix)| (stem, ModuleKind::Extension(suffix)))
            .or_else(|| split_suffix(file, &suffixes.source).map(|(s, _)| (s, ModuleKind::Source)))
            .or_else(|| split_suffix(file, &suffixes.bytecode).map(|(s, _)| (s, ModuleKind::Bytecode)));
        if let Some((stem, kind)) = module
            && is_identifier(stem)
        {
            if stem == "__init__" {
                // The import root itself is not a package: a top-level `__init__.py` is data.
                if !dirs.is_empty() {
                    return Kind::Module {
                        kind,
                        name: dirs.join("."),
                        is_package: true,
                    };
                }
            } else {
                let mut name = dirs.to_vec();
                name.push(stem);
                return Kind::Module {
                    kind,
                    name: name.join("."),
                    is_package: false,
                };
            }
        }
    }
    Kind::Data
}

/// `(NAME, VERSION)` from a `.dist-info`/`.egg-info` directory name.
///
/// dist-info versions never contain `-` (PEP 440 normal form), names might in
/// old installs, so split at the last `-`. egg-info names are
/// `NAME-VERSION-pyX.Y[-PLATFORM]` with `-` escaped in NAME, so split at the
/// first; a bare `NAME.egg-info` (development installs) has no version.
fn split_distribution(directory: &str) -> (String, String) {
    if let Some(stem) = directory.strip_suffix(".dist-info") {
        match stem.rsplit_once('-') {
            Some((name, version)) => (name.into(), version.into()),
            None => (stem.into(), String::new()),
        }
    } else {
        let stem = directory.strip_suffix(".egg-info").unwrap_or(directory);
        let mut parts = stem.split('-');
        let name = parts.next().unwrap_or_default();
        (name.into(), parts.next().unwrap_or_default().into())
    }
}

/// Builds the resource for one file; `package_depth(dirs)` says how many
/// leading directory components form the innermost package holding a data
/// file (0: none, the file is a plain [`PlainFile`]).
fn build(
    relative: &str,
    kind: Kind<'_>,
    data: FileData,
    origin: PathBuf,
    executable: bool,
    package_depth: impl Fn(&[&str]) -> usize,
) -> Option<PythonResource> {
    Some(match kind {
        Kind::Ignored => return None,
        Kind::Distribution { directory, name } => {
            let (package, version) = split_distribution(&directory);
            PythonResource::DistributionResource(DistributionResource {
                directory,
                package,
                version,
                name,
                data,
                origin,
            })
        }
        Kind::PathExtension => PythonResource::PathExtension(PathExtension {
            relative_path: relative.to_string(),
            data,
            origin,
        }),
        Kind::Module {
            kind: ModuleKind::Source,
            name,
            is_package,
        } => PythonResource::ModuleSource(ModuleSource {
            name,
            source: data,
            is_package,
            origin,
        }),
        Kind::Module {
            kind: ModuleKind::Bytecode,
            name,
            is_package,
        } => PythonResource::ModuleBytecode(ModuleBytecode {
            name,
            bytecode: data,
            is_package,
            origin,
        }),
        Kind::Module {
            kind: ModuleKind::Extension(suffix),
            name,
            is_package,
        } => PythonResource::ExtensionModule(ExtensionModuleFile {
            name,
            suffix: suffix.to_string(),
            data,
            is_package,
            origin,
        }),
        Kind::Data => {
            let parts: Vec<&str> = relative.split('/').collect();
            let depth = package_depth(&parts[..parts.len() - 1]);
            if depth == 0 {
                PythonResource::File(PlainFile {
                    relative_path: relative.to_string(),
                    data,
                    executable,
                    origin,
                })
            } else {
                PythonResource::PackageResource(PackageResource {
                    leaf_package: parts[..depth].join("."),
                    relative_name: parts[depth..].join("/"),
                    data,
                    origin,
                })
            }
        }
    })
}

/// Classifies one file by its `/`-separated path relative to an import root.
///
/// Returns `None` for files to ignore (anything below `__pycache__/`).
/// Because a single path cannot tell which directories have an
/// `__init__.py`, a data file belongs to the package formed by the leading
/// identifier components of its directory (`pkg/sub-dir/x.txt` →
/// `pkg:sub-dir/x.txt`); [`classify_tree`] decides this properly and is what
/// scanners should call. `relative` is assumed valid (see [`classify_tree`]).
///
/// A sourceless `.pyc` becomes [`PythonResource::ModuleBytecode`] with its
/// data as found, *including* the 16-byte header: stripping it is the
/// consumer's job, since it needs the header to check the magic number.
pub fn classify_path(
    relative: &str,
    data: FileData,
    origin: PathBuf,
    executable: bool,
    suffixes: &PythonSuffixes,
) -> Option<PythonResource> {
    let kind = kind_of(relative, suffixes);
    build(relative, kind, data, origin, executable, |dirs| {
        dirs.iter().take_while(|d| is_identifier(d)).count()
    })
}

/// The rank of a resource type in [`classify_tree`]'s output order.
fn type_rank(resource: &PythonResource) -> u8 {
    match resource {
        PythonResource::ModuleSource(_) => 0,
        PythonResource::ModuleBytecode(_) => 1,
        PythonResource::PackageResource(_) => 2,
        PythonResource::DistributionResource(_) => 3,
        PythonResource::ExtensionModule(_) => 4,
        PythonResource::NamespacePackage(_) => 5,
        PythonResource::PathExtension(_) => 6,
        PythonResource::File(_) => 7,
    }
}

/// Classifies a whole tree (the files below one import root).
///
/// Package-ness is decided from the files present: a directory is a regular
/// package if it has an `__init__` module (source, bytecode or extension)
/// and identifier components; a directory with identifier components and
/// modules below it but no `__init__` is a PEP 420 namespace package, reported
/// once as [`PythonResource::NamespacePackage`]. A data file belongs to its
/// innermost *regular* package ancestor (`pkg/templates/a.html` →
/// `pkg:templates/a.html` even when `templates` has no `__init__.py`, which is
/// how `importlib.resources.files("pkg")` reaches it); without one it is a
/// [`PythonResource::File`] (`numpy.libs/libx.so`, `ns/data.txt`).
///
/// Every path is validated first (see [`ScanError::InvalidPath`]) and must
/// be unique. The output is sorted by resource type (in the order of
/// [`PythonResource`]'s variants), then [`PythonResource::full_name`], then
/// relative path, so equal inputs give equal outputs whatever their order.
pub fn classify_tree(files: Vec<TreeFile>, suffixes: &PythonSuffixes) -> Result<Vec<PythonResource>, ScanError> {
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for (relative, _, origin, _) in &files {
        check_relative_path(relative).map_err(|reason| ScanError::InvalidPath {
            path: relative.clone(),
            reason,
        })?;
        if let Some(first) = seen.insert(relative, origin) {
            return Err(ScanError::DuplicatePath {
                path: relative.clone(),
                first: first.to_path_buf(),
                second: origin.clone(),
            });
        }
    }

    let kinds: Vec<Kind<'_>> = files.iter().map(|(rel, ..)| kind_of(rel, suffixes)).collect();
    // Directories (as `/`-joined paths) with an `__init__` module.
    let packages: HashSet<String> = files
        .iter()
        .zip(&kinds)
        .filter(|(_, kind)| matches!(kind, Kind::Module { is_package: true, .. }))
        .map(|((rel, ..), _)| rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_string())
        .collect();
    // Every directory above a module that is not a regular package is a namespace package.
    let mut namespaces = BTreeSet::new();
    for ((relative, ..), kind) in files.iter().zip(&kinds) {
        if let Kind::Module { .. } = kind {
            let dirs: Vec<&str> = relative.split('/').collect();
            for depth in 1..dirs.len() {
                let dir = dirs[..depth].join("/");
                if !packages.contains(&dir) {
                    namespaces.insert(dir);
                }
            }
        }
    }

    let innermost_package = |dirs: &[&str]| {
        (1..=dirs.len())
            .rev()
            .find(|&d| packages.contains(&dirs[..d].join("/")))
            .unwrap_or(0)
    };
    let mut out: Vec<(PythonResource, String)> = Vec::with_capacity(files.len());
    for ((relative, data, origin, executable), kind) in files.iter().zip(kinds) {
        let resource = build(
            relative,
            kind,
            data.clone(),
            origin.clone(),
            *executable,
            innermost_package,
        );
        out.extend(resource.map(|r| (r, relative.clone())));
    }
    for dir in namespaces {
        out.push((PythonResource::NamespacePackage(dir.replace('/', ".")), dir));
    }
    let mut keyed: Vec<_> = out
        .into_iter()
        .map(|(r, rel)| ((type_rank(&r), r.full_name(), rel), r))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ScanError + '_ {
    move |source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &fs::Metadata) -> bool {
    false
}

/// Scans the directory `root` (an import root such as site-packages) and
/// classifies every file with [`classify_tree`].
///
/// The walk is sorted and does not follow symlinks: a symlink to a file
/// inside `root` is read as that file (under the link's name), a symlink
/// whose target leaves `root` is refused ([`ScanError::SymlinkEscape`]) so a
/// build never picks up files from elsewhere on the machine, and a symlink to
/// a directory is refused ([`ScanError::SymlinkedDirectory`]). Files are
/// referenced by path ([`FileData::Path`]), not read.
pub fn scan_directory(root: &Path, suffixes: &PythonSuffixes) -> Result<Vec<PythonResource>, ScanError> {
    scan_filtered(root, suffixes, |_| true)
}

/// [`scan_directory`] for a distribution's standard library directory
/// (`lib/python3.X`), without entering `site-packages`, `lib-dynload`,
/// `config-3.X-…` or any other top-level directory whose name is neither an
/// identifier nor a `.dist-info`/`.egg-info` directory.
///
/// Those directories cannot hold standard-library resources: no module or
/// package has a non-identifier component and no data file belongs to a
/// package there, so [`classify_tree`] could only make plain
/// [`PythonResource::File`]s of their contents, which the standard library
/// leaves out. Skipping them gives the same resources without walking (and
/// validating) a site-packages that can hold tens of thousands of files.
pub fn scan_stdlib(root: &Path, suffixes: &PythonSuffixes) -> Result<Vec<PythonResource>, ScanError> {
    scan_filtered(root, suffixes, |entry| {
        let other = entry.depth() == 1
            && entry.file_name().to_str().is_none_or(|name| {
                !is_identifier(name) && !name.ends_with(".dist-info") && !name.ends_with(".egg-info")
            });
        // A symlink to a directory would be refused by the walk below.
        !(other && (entry.file_type().is_dir() || entry.path().is_dir()))
    })
}

/// The resources of a distribution's standard library: [`scan_stdlib`],
/// keeping the module sources, package data and namespace packages, and
/// sysconfig's generated data module.
///
/// `_sysconfigdata_…-linux-gnu.py` is a top-level module whose name is not an
/// identifier (sysconfig imports it by string), so the scan sees a plain
/// file; sysconfig, zoneinfo and pydoc need it. Other files outside packages
/// are data beside the standard library (LICENSE.txt) and are left out.
pub fn stdlib_resources(root: &Path, suffixes: &PythonSuffixes) -> Result<Vec<PythonResource>, ScanError> {
    Ok(scan_stdlib(root, suffixes)?
        .into_iter()
        .filter_map(|r| match r {
            PythonResource::File(f) if is_sysconfigdata(&f.relative_path) => {
                Some(PythonResource::ModuleSource(ModuleSource {
                    name: f.relative_path.trim_end_matches(".py").to_string(),
                    source: f.data,
                    is_package: false,
                    origin: f.origin,
                }))
            }
            PythonResource::File(_) => None,
            other => Some(other),
        })
        .collect())
}

/// Whether a stdlib-relative path is sysconfig's generated data module.
fn is_sysconfigdata(path: &str) -> bool {
    !path.contains('/') && path.starts_with("_sysconfigdata_") && path.ends_with(".py")
}

/// The walk behind [`scan_directory`]: entries for which `enter` is false
/// are skipped, directories with everything below them.
fn scan_filtered(
    root: &Path,
    suffixes: &PythonSuffixes,
    enter: impl FnMut(&walkdir::DirEntry) -> bool,
) -> Result<Vec<PythonResource>, ScanError> {
    let canonical_root = fs::canonicalize(root).map_err(io_error(root))?;
    if !canonical_root.is_dir() {
        return Err(ScanError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    let walk = WalkDir::new(root).follow_links(false).sort_by_file_name().min_depth(1);
    for entry in walk.into_iter().filter_entry(enter) {
        let entry = entry.map_err(|e| ScanError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e.into(),
        })?;
        let path = entry.path();
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let metadata = if file_type.is_symlink() {
            let target = fs::canonicalize(path).map_err(io_error(path))?;
            if !target.starts_with(&canonical_root) {
                return Err(ScanError::SymlinkEscape {
                    link: path.to_path_buf(),
                    target,
                    root: root.to_path_buf(),
                });
            }
            let metadata = fs::metadata(path).map_err(io_error(path))?;
            if metadata.is_dir() {
                return Err(ScanError::SymlinkedDirectory {
                    link: path.to_path_buf(),
                    target,
                });
            }
            metadata
        } else {
            entry.metadata().map_err(|e| ScanError::Io {
                path: path.to_path_buf(),
                source: e.into(),
            })?
        };
        if !metadata.is_file() {
            return Err(ScanError::SpecialFile {
                path: path.to_path_buf(),
            });
        }
        let relative = path.strip_prefix(root).expect("walkdir yields paths below its root");
        let mut components = Vec::new();
        for component in relative.components() {
            let part = component.as_os_str().to_str();
            components.push(part.ok_or_else(|| ScanError::NonUtf8Path {
                path: path.to_path_buf(),
            })?);
        }
        let executable = is_executable(&metadata);
        files.push((
            components.join("/"),
            FileData::Path(path.to_path_buf()),
            path.to_path_buf(),
            executable,
        ));
    }
    classify_tree(files, suffixes)
}

/// The site-packages directory of the virtual environment `venv`.
///
/// `venv` must contain `pyvenv.cfg`. The Windows layout (`Lib/site-packages`)
/// is tried first, then `lib/pythonX.Y/site-packages` (also `pypy3.Y`,
/// free-threaded `python3.13t`); when several versions exist the `version`
/// (or virtualenv's `version_info`) line of `pyvenv.cfg` picks one.
pub fn find_site_packages(venv: &Path) -> Result<PathBuf, ScanError> {
    let cfg_path = venv.join("pyvenv.cfg");
    if !cfg_path.is_file() {
        return Err(ScanError::NotAVenv {
            path: venv.to_path_buf(),
        });
    }
    let windows = venv.join("Lib").join("site-packages");
    if windows.is_dir() {
        return Ok(windows);
    }
    let lib = venv.join("lib");
    let mut found = Vec::new();
    if lib.is_dir() {
        for entry in fs::read_dir(&lib).map_err(io_error(&lib))? {
            let entry = entry.map_err(io_error(&lib))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let site = entry.path().join("site-packages");
            if (name.starts_with("python") || name.starts_with("pypy")) && site.is_dir() {
                found.push((name, site));
            }
        }
    }
    found.sort();
    match found.len() {
        0 => Err(ScanError::NoSitePackages {
            venv: venv.to_path_buf(),
        }),
        1 => Ok(found.remove(0).1),
        _ => {
            let cfg = fs::read_to_string(&cfg_path).map_err(io_error(&cfg_path))?;
            let version = cfg.lines().find_map(|line| {
                let (key, value) = line.split_once('=')?;
                matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_string())
            });
            let major_minor = version
                .as_deref()
                .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
            let chosen = major_minor.and_then(|mm| {
                found
                    .iter()
                    .position(|(name, _)| name.strip_prefix("python").or(name.strip_prefix("pypy")) == Some(&mm))
            });
            match chosen {
                Some(index) => Ok(found.remove(index).1),
                None => Err(ScanError::AmbiguousSitePackages {
                    venv: venv.to_path_buf(),
                    found: found.into_iter().map(|(_, p)| p).collect(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suffixes() -> PythonSuffixes {
        PythonSuffixes::for_unix("3.11", "x86_64-linux-gnu")
    }

    fn classify(relative: &str) -> Option<PythonResource> {
        classify_path(
            relative,
            FileData::Memory(Default::default()),
            PathBuf::from(relative),
            false,
            &suffixes(),
        )
    }

    fn describe(r: Option<PythonResource>) -> String {
        r.map_or("None".into(), |r| format!("{} {}", r.type_name(), r.full_name()))
    }

    #[test]
    fn classify_path_rules() {
        let cases = [
            ("pkg/__pycache__/mod.cpython-311.pyc", "None"),
            ("pkg/__init__.py", "PythonModuleSource pkg"),
            ("pkg/sub/mod.py", "PythonModuleSource pkg.sub.mod"),
            ("six.py", "PythonModuleSource six"),
            ("legacy.pyc", "PythonModuleBytecode legacy"),
            ("pkg/_x.cpython-311-x86_64-linux-gnu.so", "PythonExtensionModule pkg._x"),
            ("pkg/_y.abi3.so", "PythonExtensionModule pkg._y"),
            (
                "pkg/_z.cpython-312-x86_64-linux-gnu.so",
                "PythonPackageResource pkg:_z.cpython-312-x86_64-linux-gnu.so",
            ),
            (
                "foo-1.0.dist-info/METADATA",
                "PythonPackageDistributionResource foo-1.0.dist-info/METADATA",
            ),
            (
                "foo.egg-info/PKG-INFO",
                "PythonPackageDistributionResource foo.egg-info/PKG-INFO",
            ),
            (
                "distutils-precedence.pth",
                "PythonPathExtension distutils-precedence.pth",
            ),
            ("pkg/x.pth", "PythonPackageResource pkg:x.pth"),
            ("pkg/sub-dir/x.txt", "PythonPackageResource pkg:sub-dir/x.txt"),
            ("pkg/data/x.txt", "PythonPackageResource pkg.data:x.txt"),
            ("pkg/foo-bar.py", "PythonPackageResource pkg:foo-bar.py"),
            ("numpy.libs/libfoo.so", "File numpy.libs/libfoo.so"),
            ("__init__.py", "File __init__.py"),
            ("README", "File README"),
        ];
        for (path, expected) in cases {
            assert_eq!(describe(classify(path)), expected, "{path}");
        }
        let Some(PythonResource::ExtensionModule(e)) = classify("pkg/__init__.abi3.so") else {
            panic!()
        };
        assert!(e.is_package && e.name == "pkg" && e.suffix == ".abi3.so");
    }

    #[test]
    fn distribution_names() {
        assert_eq!(
            split_distribution("foo_bar-1.0.dist-info"),
            ("foo_bar".into(), "1.0".into())
        );
        assert_eq!(
            split_distribution("foo_bar-1.0-py3.11.egg-info"),
            ("foo_bar".into(), "1.0".into())
        );
        assert_eq!(split_distribution("foo.egg-info"), ("foo".into(), String::new()));
    }

    #[test]
    fn unsafe_paths() {
        for (path, reason) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("a/../../b", "`..`"),
            ("..", "`..`"),
            ("a\\b", "backslash"),
            ("C:/x", "drive letter"),
            ("a//b", "empty or `.`"),
            ("./a", "empty or `.`"),
        ] {
            assert!(check_relative_path(path).unwrap_err().contains(reason), "{path}");
        }
        assert!(check_relative_path("a/b.c/..d").is_ok());
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("_x1") && is_identifier("été"));
        assert!(!is_identifier("1x") && !is_identifier("a-b") && !is_identifier("") && !is_identifier("a.b"));
    }
}
