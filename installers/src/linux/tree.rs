//! The exact tree a Linux package installs: every directory, file and
//! symbolic link with its mode, owner and flags, in path order.
//!
//! Both writers serialise a [`PackageTree`], so a deb and an rpm made from
//! the same inputs install the same things. Invariants, checked by
//! [`PackageTree::build`]:
//!
//! - paths are relative to `/` (no leading `/`), normalised, and unique;
//! - nothing is installed into the kernel's or the runtime's virtual trees
//!   (`/proc`, `/sys`, `/dev`, `/run`, `/tmp`, …), and no file or link takes
//!   the place of a directory the base system owns (`/usr/bin`, `/etc`, …);
//! - every parent directory is listed; [`TreeEntry::owned`] says whether the
//!   package owns it (RPM lists only owned directories, deb lists all);
//! - config files, attribute overrides and `/usr/bin` links name paths that exist.

use std::collections::{BTreeMap, BTreeSet};

use super::{LinuxFormat, LinuxPackageSpec};
use crate::manifest::{FileData, FileManifest, ManifestEntry, ManifestError, ManifestPath};
use crate::metadata::PackageMetadata;

/// Why a package tree could not be laid out.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{what} /{path} collides with {existing}; install one of them elsewhere")]
    Collision {
        path: String,
        what: String,
        existing: String,
    },
    #[error(
        "{what} /{path} would replace the system directory /{system}, which the base system owns; install it below a directory of its own, e.g. /{system}/NAME"
    )]
    SystemPath { path: String, what: String, system: String },
    #[error("{what} /{path} is inside /{root}, which the system creates at run time; packages cannot install there")]
    VirtualPath { path: String, what: String, root: String },
    #[error("invalid install prefix {prefix:?}: {reason}")]
    Prefix { prefix: String, reason: &'static str },
    #[error("{setting} names {path:?}, which the package does not install; paths: {hint}")]
    Unknown {
        setting: &'static str,
        path: String,
        hint: String,
    },
    #[error("{setting} names {path:?}: {reason}")]
    Invalid {
        setting: &'static str,
        path: String,
        reason: String,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// What is at a path.
#[derive(Clone, Debug)]
pub enum TreeNode {
    Directory,
    File(FileData),
    /// The link target, as written into the package.
    Symlink(String),
}

/// One installed path.
#[derive(Clone, Debug)]
pub struct TreeEntry {
    /// Relative to `/`, e.g. `opt/greeter/bin/greeter`.
    pub path: String,
    pub node: TreeNode,
    /// Permission bits (`0o7777` at most).
    pub mode: u32,
    pub user: String,
    pub group: String,
    /// A configuration file (deb `conffiles`, rpm `%config(noreplace)`).
    pub config: bool,
    /// Documentation (rpm `%doc`).
    pub doc: bool,
    /// License text (rpm `%license`).
    pub license: bool,
    /// For directories: whether this package owns it (false for directories
    /// the system or other packages share, such as `/usr/share/applications`).
    pub owned: bool,
    /// Where it came from, for messages.
    pub origin: String,
}

impl TreeEntry {
    fn new(path: String, node: TreeNode, mode: u32, origin: String) -> Self {
        Self {
            path,
            node,
            mode,
            user: "root".into(),
            group: "root".into(),
            config: false,
            doc: false,
            license: false,
            owned: true,
            origin,
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.node, TreeNode::Directory)
    }
}

/// The kernel's and the runtime's trees: never in a package.
const VIRTUAL_ROOTS: [&str; 9] = [
    "proc",
    "sys",
    "dev",
    "run",
    "tmp",
    "var/run",
    "var/lock",
    "var/tmp",
    "lost+found",
];

/// Directories the base system owns: a package may put files below them,
/// never a file or link in their place.
const SYSTEM_DIRS: [&str; 38] = [
    "bin",
    "boot",
    "etc",
    "home",
    "lib",
    "lib32",
    "lib64",
    "media",
    "mnt",
    "opt",
    "root",
    "sbin",
    "srv",
    "usr",
    "usr/bin",
    "usr/games",
    "usr/include",
    "usr/lib",
    "usr/lib64",
    "usr/libexec",
    "usr/local",
    "usr/sbin",
    "usr/share",
    "usr/share/applications",
    "usr/share/doc",
    "usr/share/icons",
    "usr/share/icons/hicolor",
    "usr/share/info",
    "usr/share/licenses",
    "usr/share/man",
    "usr/share/man/man1",
    "usr/src",
    "var",
    "var/cache",
    "var/lib",
    "var/log",
    "var/opt",
    "var/spool",
];

/// The installed tree of one package.
#[derive(Clone, Debug)]
pub struct PackageTree {
    entries: BTreeMap<String, TreeEntry>,
}

impl PackageTree {
    /// Lays out `files` below the spec's prefix plus everything the spec adds.
    pub fn build(
        metadata: &PackageMetadata,
        spec: &LinuxPackageSpec,
        files: &FileManifest,
        format: LinuxFormat,
    ) -> Result<Self, TreeError> {
        let name = &metadata.name;
        let prefix = spec.prefix_for(name);
        check_prefix(
            &prefix,
            spec.prefix.clone().unwrap_or_else(|| format!("/{prefix}")).as_str(),
        )?;
        let mut tree = PackageTree {
            entries: BTreeMap::new(),
        };

        for (path, entry) in files.entries() {
            let full = format!("{prefix}/{path}");
            let node = match entry {
                ManifestEntry::File(file) => TreeEntry::new(
                    full,
                    TreeNode::File(file.data.clone()),
                    file.mode(),
                    file.origin.clone(),
                ),
                ManifestEntry::Symlink { target, origin } => {
                    TreeEntry::new(full, TreeNode::Symlink(target.clone()), 0o777, origin.clone())
                }
            };
            tree.insert(node, "file")?;
        }
        for (path, entry) in spec.root_files.entries() {
            let what = "file";
            check_location(path.as_str(), what)?;
            if path.as_str().starts_with(&format!("{prefix}/")) {
                return Err(TreeError::Collision {
                    path: path.to_string(),
                    what: what.into(),
                    existing: format!("the install prefix /{prefix}; add it to the application's manifest instead"),
                });
            }
            let node = match entry {
                ManifestEntry::File(file) => TreeEntry::new(
                    path.to_string(),
                    TreeNode::File(file.data.clone()),
                    file.mode(),
                    file.origin.clone(),
                ),
                ManifestEntry::Symlink { target, origin } => TreeEntry::new(
                    path.to_string(),
                    TreeNode::Symlink(target.clone()),
                    0o777,
                    origin.clone(),
                ),
            };
            tree.insert(node, what)?;
        }

        for program in &spec.bin_links {
            let relative = ManifestPath::new(program)?;
            let is_executable = matches!(
                files.get(&relative),
                Some(ManifestEntry::File(f)) if f.executable
            );
            if !is_executable {
                return Err(TreeError::Unknown {
                    setting: "bin_links",
                    path: program.clone(),
                    hint: "an executable file of the application's manifest, e.g. \"greeter\" or \"bin/greeter\""
                        .into(),
                });
            }
            let link = format!("usr/bin/{}", relative.file_name());
            let target = format!("/{prefix}/{relative}");
            tree.insert(
                TreeEntry::new(
                    link,
                    TreeNode::Symlink(target),
                    0o777,
                    format!("bin_links entry {program:?}"),
                ),
                "link",
            )?;
        }

        if let Some(unit) = &spec.systemd_unit {
            let valid = [".service", ".socket", ".timer", ".path"]
                .iter()
                .any(|s| unit.name.ends_with(s))
                && !unit.name.contains('/')
                && unit.name.len() > 8;
            if !valid {
                return Err(TreeError::Invalid {
                    setting: "systemd_unit",
                    path: unit.name.clone(),
                    reason: "a unit name is a file name ending in .service, .socket, .timer or .path".into(),
                });
            }
            // Debian 12's debhelper and lintian expect units below /lib;
            // RPM distributions use /usr/lib.
            let dir = match format {
                LinuxFormat::Deb => "lib/systemd/system",
                LinuxFormat::Rpm => "usr/lib/systemd/system",
            };
            tree.add_generated(
                &format!("{dir}/{}", unit.name),
                unit.contents.as_bytes().to_vec(),
                "systemd_unit",
            )?;
        }

        if let Some(desktop) = &spec.desktop_entry {
            if !desktop.file_name.ends_with(".desktop") || desktop.file_name.contains('/') {
                return Err(TreeError::Invalid {
                    setting: "desktop_entry",
                    path: desktop.file_name.clone(),
                    reason: "the file name must end in .desktop and contain no '/'".into(),
                });
            }
            tree.add_generated(
                &format!("usr/share/applications/{}", desktop.file_name),
                desktop.contents.as_bytes().to_vec(),
                "desktop_entry",
            )?;
            if let Some(png) = &desktop.icon_png {
                let size = png_square_size(png).ok_or_else(|| TreeError::Invalid {
                    setting: "desktop_entry icon",
                    path: format!("{}.png", desktop.icon_name),
                    reason: "the icon must be a square PNG image".into(),
                })?;
                tree.add_generated(
                    &format!("usr/share/icons/hicolor/{size}x{size}/apps/{}.png", desktop.icon_name),
                    png.clone(),
                    "desktop_entry icon",
                )?;
            }
        }

        if format == LinuxFormat::Rpm
            && let Some(text) = &spec.license_text
        {
            let path = format!("usr/share/licenses/{name}/LICENSE");
            tree.add_generated(&path, text.as_bytes().to_vec(), "license_text")?;
            tree.entries.get_mut(&path).expect("just added").license = true;
        }

        if let Some(notices) = &spec.third_party_notices {
            let path = format!("{prefix}/{}", notices.trim_matches('/'));
            let entry = tree.entries.get_mut(&path).ok_or_else(|| TreeError::Invalid {
                setting: "third_party_notices",
                path: format!("/{path}"),
                reason: "it is not among the package's files".into(),
            })?;
            entry.license = true;
        }

        tree.apply_flags(spec)?;
        Ok(tree)
    }

    /// Adds a file a writer generates (Debian `copyright`, changelogs, …).
    pub fn add_generated(&mut self, path: &str, bytes: Vec<u8>, origin: &str) -> Result<(), TreeError> {
        let path = ManifestPath::new(path)?.to_string();
        check_location(&path, "file")?;
        let mut entry = TreeEntry::new(
            path,
            TreeNode::File(FileData::Memory(std::sync::Arc::new(bytes))),
            0o644,
            origin.to_string(),
        );
        entry.doc = entry.path.starts_with("usr/share/doc/");
        self.insert(entry, "file")?;
        self.add_parents();
        Ok(())
    }

    fn insert(&mut self, entry: TreeEntry, what: &str) -> Result<(), TreeError> {
        check_location(&entry.path, what)?;
        if let Some(existing) = self.entries.get(&entry.path) {
            return Err(TreeError::Collision {
                path: entry.path.clone(),
                what: what.into(),
                existing: existing.origin.clone(),
            });
        }
        // A file where the tree needs a directory, or the other way round.
        for ancestor in ancestors(&entry.path) {
            if let Some(existing) = self.entries.get(ancestor)
                && !existing.is_dir()
            {
                return Err(TreeError::Collision {
                    path: entry.path.clone(),
                    what: what.into(),
                    existing: format!("{} at /{ancestor}", existing.origin),
                });
            }
        }
        self.entries.insert(entry.path.clone(), entry);
        Ok(())
    }

    /// Lists every missing parent directory, owned unless shared.
    fn add_parents(&mut self) {
        let dirs: BTreeSet<String> = self
            .entries
            .keys()
            .flat_map(|p| ancestors(p).map(str::to_string).collect::<Vec<_>>())
            .collect();
        for dir in dirs {
            self.entries.entry(dir.clone()).or_insert_with(|| {
                let mut entry = TreeEntry::new(dir.clone(), TreeNode::Directory, 0o755, "parent directory".into());
                entry.owned = false;
                entry
            });
        }
    }

    fn apply_flags(&mut self, spec: &LinuxPackageSpec) -> Result<(), TreeError> {
        self.add_parents();
        // Directories this package owns: its prefix and everything below it,
        // and directories named after the package elsewhere (/etc/NAME,
        // /usr/share/doc/NAME).
        let prefix = self.prefix_dirs();
        for entry in self.entries.values_mut().filter(|e| e.is_dir()) {
            entry.owned = prefix
                .iter()
                .any(|p| entry.path == *p || entry.path.starts_with(&format!("{p}/")))
                && !SYSTEM_DIRS.contains(&entry.path.as_str());
        }

        match &spec.config_files {
            None => {
                for entry in self.entries.values_mut() {
                    entry.config = entry.path.starts_with("etc/") && matches!(entry.node, TreeNode::File(_));
                }
            }
            Some(paths) => {
                for path in paths {
                    let key = path.trim_start_matches('/').to_string();
                    let hint = self.files_hint();
                    match self.entries.get_mut(&key) {
                        Some(entry) if matches!(entry.node, TreeNode::File(_)) => entry.config = true,
                        _ => {
                            return Err(TreeError::Unknown {
                                setting: "config_files",
                                path: path.clone(),
                                hint,
                            });
                        }
                    }
                }
            }
        }
        for entry in self.entries.values_mut() {
            if entry.path.starts_with("usr/share/doc/") && matches!(entry.node, TreeNode::File(_)) {
                entry.doc = true;
            }
        }
        for (path, attributes) in &spec.attributes {
            let key = path.trim_start_matches('/').to_string();
            let hint = self.files_hint();
            let entry = self.entries.get_mut(&key).ok_or_else(|| TreeError::Unknown {
                setting: "attributes",
                path: path.clone(),
                hint,
            })?;
            if let Some(mode) = attributes.mode {
                if mode > 0o7777 {
                    return Err(TreeError::Invalid {
                        setting: "attributes",
                        path: path.clone(),
                        reason: format!("mode {mode:o} is not a permission mode (0 to 7777 octal)"),
                    });
                }
                entry.mode = mode;
            }
            for (field, value, target) in [
                ("user", &attributes.user, &mut entry.user),
                ("group", &attributes.group, &mut entry.group),
            ] {
                if let Some(value) = value {
                    let valid = value.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                        && value.len() <= 32
                        && value
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c));
                    if !valid {
                        return Err(TreeError::Invalid {
                            setting: "attributes",
                            path: path.clone(),
                            reason: format!("{field} {value:?} is not a valid user or group name"),
                        });
                    }
                    *target = value.clone();
                }
            }
        }
        Ok(())
    }

    /// The roots of what the package owns: directories directly inside a
    /// system directory (`opt/NAME`, `etc/NAME`, `usr/share/doc/NAME`),
    /// except the shared icon theme and systemd trees.
    fn prefix_dirs(&self) -> Vec<String> {
        self.entries
            .values()
            .filter(|e| e.is_dir())
            .filter(|e| {
                let parent = e.path.rsplit_once('/').map_or("", |(p, _)| p);
                // `opt/NAME`, `etc/NAME`, `usr/share/doc/NAME`, `usr/lib/NAME`, …:
                // a directory directly inside a system directory.
                SYSTEM_DIRS.contains(&parent) && !SYSTEM_DIRS.contains(&e.path.as_str())
            })
            .filter(|e| {
                !["usr/share/icons/hicolor", "usr/lib/systemd", "lib/systemd"]
                    .iter()
                    .any(|s| e.path.starts_with(s))
            })
            .map(|e| e.path.clone())
            .collect()
    }

    fn files_hint(&self) -> String {
        let files: Vec<String> = self
            .entries
            .values()
            .filter(|e| !e.is_dir())
            .take(8)
            .map(|e| format!("/{}", e.path))
            .collect();
        let more = self
            .entries
            .values()
            .filter(|e| !e.is_dir())
            .count()
            .saturating_sub(files.len());
        if more > 0 {
            format!("{} and {more} more", files.join(", "))
        } else {
            files.join(", ")
        }
    }

    /// Every entry, parents before children.
    pub fn entries(&self) -> impl Iterator<Item = &TreeEntry> {
        self.entries.values()
    }

    /// One entry by path (relative to `/`).
    pub fn get(&self, path: &str) -> Option<&TreeEntry> {
        self.entries.get(path.trim_start_matches('/'))
    }

    /// The total size of the files, in bytes.
    pub fn files_size(&self) -> Result<u64, TreeError> {
        let mut total = 0;
        for entry in self.entries.values() {
            if let TreeNode::File(data) = &entry.node {
                total += data.len()?;
            }
        }
        Ok(total)
    }
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

fn check_prefix(prefix: &str, given: &str) -> Result<(), TreeError> {
    let invalid = |reason| TreeError::Prefix {
        prefix: given.to_string(),
        reason,
    };
    if !given.starts_with('/') {
        return Err(invalid("it must be an absolute path such as /opt/NAME"));
    }
    let normal = ManifestPath::new(prefix).map_err(|_| invalid("it must not contain '.', '..' or empty parts"))?;
    if normal.as_str() != prefix {
        return Err(invalid("it must not contain '.', '..' or empty parts"));
    }
    if SYSTEM_DIRS.contains(&prefix) {
        return Err(invalid(
            "it is a system directory; use a directory of its own such as /opt/NAME",
        ));
    }
    check_location(prefix, "prefix").map_err(|_| invalid("it is inside a directory the system creates at run time"))
}

fn check_location(path: &str, what: &str) -> Result<(), TreeError> {
    for root in VIRTUAL_ROOTS {
        if path == root || path.starts_with(&format!("{root}/")) {
            return Err(TreeError::VirtualPath {
                path: path.to_string(),
                what: what.to_string(),
                root: root.to_string(),
            });
        }
    }
    if SYSTEM_DIRS.contains(&path) {
        return Err(TreeError::SystemPath {
            path: path.to_string(),
            what: what.to_string(),
            system: path.to_string(),
        });
    }
    Ok(())
}

/// The width of a square PNG, from its IHDR chunk.
fn png_square_size(png: &[u8]) -> Option<u32> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(png[20..24].try_into().ok()?);
    (width == height && width > 0).then_some(width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::{FileAttributes, SystemdUnit};
    use crate::manifest::FileEntry;

    fn metadata() -> PackageMetadata {
        PackageMetadata {
            name: "greeter".into(),
            version: "1.0.0".into(),
            description: None,
            maintainer: None,
            vendor: None,
            homepage: None,
            license: None,
            target_triple: "x86_64-unknown-linux-gnu".into(),
        }
    }

    fn files() -> FileManifest {
        let mut m = FileManifest::new();
        m.add_file(
            ManifestPath::new("greeter").unwrap(),
            FileEntry::from_bytes(b"#!/bin/sh\n".to_vec(), true, "exe"),
        )
        .unwrap();
        m.add_file(
            ManifestPath::new("lib/data.txt").unwrap(),
            FileEntry::from_bytes(b"x".to_vec(), false, "data"),
        )
        .unwrap();
        m
    }

    fn file(bytes: &[u8]) -> FileEntry {
        FileEntry::from_bytes(bytes.to_vec(), false, "test")
    }

    #[test]
    fn layout() {
        let mut spec = LinuxPackageSpec {
            bin_links: vec!["greeter".into()],
            systemd_unit: Some(SystemdUnit {
                name: "greeter.service".into(),
                contents: "[Service]\n".into(),
                enable: true,
                start: true,
            }),
            ..Default::default()
        };
        spec.root_files
            .add_file(ManifestPath::new("etc/greeter/greeter.conf").unwrap(), file(b"a=1\n"))
            .unwrap();
        spec.attributes.insert(
            "/etc/greeter/greeter.conf".into(),
            FileAttributes {
                mode: Some(0o640),
                user: None,
                group: Some("adm".into()),
            },
        );
        let tree = PackageTree::build(&metadata(), &spec, &files(), LinuxFormat::Deb).unwrap();
        let listing: Vec<String> = tree
            .entries()
            .map(|e| {
                format!(
                    "{} {:o} {}:{}{}{}{}",
                    e.path,
                    e.mode,
                    e.user,
                    e.group,
                    if e.config { " config" } else { "" },
                    if e.is_dir() && e.owned { " owned" } else { "" },
                    match &e.node {
                        TreeNode::Symlink(t) => format!(" -> {t}"),
                        _ => String::new(),
                    }
                )
            })
            .collect();
        assert_eq!(
            listing,
            [
                "etc 755 root:root",
                "etc/greeter 755 root:root owned",
                "etc/greeter/greeter.conf 640 root:adm config",
                "lib 755 root:root",
                "lib/systemd 755 root:root",
                "lib/systemd/system 755 root:root",
                "lib/systemd/system/greeter.service 644 root:root",
                "opt 755 root:root",
                "opt/greeter 755 root:root owned",
                "opt/greeter/greeter 755 root:root",
                "opt/greeter/lib 755 root:root owned",
                "opt/greeter/lib/data.txt 644 root:root",
                "usr 755 root:root",
                "usr/bin 755 root:root",
                "usr/bin/greeter 777 root:root -> /opt/greeter/greeter",
            ]
        );
    }

    #[test]
    fn refusals() {
        let build =
            |spec: &LinuxPackageSpec| PackageTree::build(&metadata(), spec, &files(), LinuxFormat::Rpm).map(|_| ());
        let with_root = |path: &str| {
            let mut spec = LinuxPackageSpec::default();
            spec.root_files
                .add_file(ManifestPath::new(path).unwrap(), file(b"x"))
                .unwrap();
            spec
        };
        let message = |spec: &LinuxPackageSpec| build(spec).unwrap_err().to_string();
        assert!(message(&with_root("usr/bin")).contains("would replace the system directory /usr/bin"));
        assert!(message(&with_root("run/greeter.pid")).contains("inside /run"));
        assert!(message(&with_root("opt/greeter/greeter")).contains("install prefix"));
        let spec = LinuxPackageSpec {
            bin_links: vec!["lib/data.txt".into()],
            ..Default::default()
        };
        assert!(message(&spec).contains("bin_links names \"lib/data.txt\""));
        let spec = LinuxPackageSpec {
            config_files: Some(vec!["/etc/missing.conf".into()]),
            ..Default::default()
        };
        assert!(
            message(&spec).contains("config_files names \"/etc/missing.conf\""),
            "{}",
            message(&spec)
        );
        for prefix in ["opt/x", "/usr", "/opt/../etc", "/proc/x"] {
            let spec = LinuxPackageSpec {
                prefix: Some(prefix.into()),
                ..Default::default()
            };
            assert!(
                message(&spec).contains("invalid install prefix"),
                "{prefix}: {}",
                message(&spec)
            );
        }
        let mut spec = with_root("usr/bin/greeter");
        spec.bin_links = vec!["greeter".into()];
        assert!(
            message(&spec).contains("/usr/bin/greeter collides with"),
            "{}",
            message(&spec)
        );
    }
}
