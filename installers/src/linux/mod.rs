//! What deb and rpm packages share: the packaging spec, the version mapping,
//! relationship syntax, and the installed file tree.
//!
//! A package is [`PackageMetadata`](crate::PackageMetadata) (name, version, …) + a [`LinuxPackageSpec`]
//! (relationships, scripts, config files, systemd unit, desktop entry, …) +
//! the application's [`FileManifest`], installed below `spec.prefix`
//! (`/opt/NAME` by default). [`PackageTree::build`] turns the three into the
//! exact list of directories, files and symbolic links a package installs,
//! with modes, owners and config/doc flags; the deb and rpm writers only
//! serialise that list, so both formats install the same files.
//!
//! Modules: [`version`] (PEP 440/SemVer → Debian/RPM versions),
//! [`relations`] (depends/… syntax per format), [`tree`] (the installed tree),
//! [`scripts`] (running the package's own scripts from composed ones).

pub mod relations;
pub mod scripts;
pub mod tree;
pub mod version;

use std::collections::BTreeMap;

use crate::manifest::FileManifest;

pub use relations::{RelationError, RelationKind};
pub use tree::{PackageTree, TreeEntry, TreeError, TreeNode};
pub use version::{LinuxVersion, VersionError};

/// Which package format a tree is laid out for (a few locations differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinuxFormat {
    Deb,
    Rpm,
}

/// Everything a deb or rpm needs beyond the metadata and the files.
#[derive(Clone, Debug)]
pub struct LinuxPackageSpec {
    /// Absolute directory the application's manifest is installed into.
    /// `None`: `/opt/NAME`.
    pub prefix: Option<String>,
    /// Files installed at absolute locations (paths relative to `/`), such as
    /// `etc/NAME/NAME.conf`.
    pub root_files: FileManifest,
    /// Manifest paths of executables to link as `/usr/bin/FILE_NAME`.
    pub bin_links: Vec<String>,
    /// Relationships in Debian syntax, by kind.
    pub deb_relations: BTreeMap<RelationKind, Vec<String>>,
    /// Relationships in RPM syntax, by kind.
    pub rpm_relations: BTreeMap<RelationKind, Vec<String>>,
    pub scripts: MaintainerScripts,
    /// Absolute paths of configuration files (kept on upgrade when the
    /// administrator changed them). `None`: every file under `/etc`.
    pub config_files: Option<Vec<String>>,
    /// Mode and owner overrides, by absolute path (files, links or directories).
    pub attributes: BTreeMap<String, FileAttributes>,
    pub systemd_unit: Option<SystemdUnit>,
    pub desktop_entry: Option<DesktopEntry>,
    /// Newest first.
    pub changelog: Vec<ChangelogEntry>,
    /// The full license text (Debian `copyright`, RPM `%license` file).
    pub license_text: Option<String>,
    /// Path, relative to the manifest, of the notices of the third-party
    /// software inside the package (`THIRD-PARTY-NOTICES.txt`): named in the
    /// Debian `copyright` file, marked `%license` in an rpm.
    pub third_party_notices: Option<String>,
    /// What the package is, in a few paragraphs separated by blank lines
    /// (Debian's extended description, RPM's `%description`), below the
    /// one-line summary (`metadata.description`).
    pub long_description: Option<String>,
    /// Debian `Section` (default `misc`).
    pub section: Option<String>,
    /// Debian `Priority` (default `optional`).
    pub priority: Option<String>,
    /// RPM `Group` (default `Applications/System`).
    pub rpm_group: Option<String>,
    /// Lines for the deb's lintian overrides file
    /// (`usr/share/lintian/overrides/NAME`): `TAG [CONTEXT]` without the
    /// `NAME: ` prefix, or `# comments` saying why.
    pub lintian_overrides: Vec<String>,
}

impl Default for LinuxPackageSpec {
    fn default() -> Self {
        Self {
            prefix: None,
            root_files: FileManifest::new(),
            bin_links: Vec::new(),
            deb_relations: BTreeMap::new(),
            rpm_relations: BTreeMap::new(),
            scripts: MaintainerScripts::default(),
            config_files: None,
            attributes: BTreeMap::new(),
            systemd_unit: None,
            desktop_entry: None,
            changelog: Vec::new(),
            license_text: None,
            third_party_notices: None,
            long_description: None,
            section: None,
            priority: None,
            rpm_group: None,
            lintian_overrides: Vec::new(),
        }
    }
}

impl LinuxPackageSpec {
    /// The install prefix without its leading `/` (e.g. `opt/greeter`).
    pub fn prefix_for(&self, package_name: &str) -> String {
        match &self.prefix {
            Some(prefix) => prefix.trim_matches('/').to_string(),
            None => format!("opt/{package_name}"),
        }
    }

    /// Checks every relationship entry in both syntaxes.
    pub fn check_relations(&self) -> Result<(), RelationError> {
        for (kind, entries) in &self.deb_relations {
            for entry in entries {
                relations::check_debian(*kind, entry)?;
            }
        }
        for (kind, entries) in &self.rpm_relations {
            for entry in entries {
                relations::check_rpm(*kind, entry)?;
            }
        }
        Ok(())
    }
}

/// Shell scripts run by the package manager. Each writer wraps them with
/// what its format needs (the systemd handling, `set -e`, the arguments
/// each format passes); they get the same meaning in both formats:
/// `pre_install`/`post_install` run on install and upgrade,
/// `pre_remove`/`post_remove` on removal and on the old version's side of an
/// upgrade, as in Debian's `preinst`/`postinst`/`prerm`/`postrm`.
#[derive(Clone, Debug, Default)]
pub struct MaintainerScripts {
    pub pre_install: Option<String>,
    pub post_install: Option<String>,
    pub pre_remove: Option<String>,
    pub post_remove: Option<String>,
}

/// Mode and owner of an installed path; unset fields keep the defaults
/// (0755 for directories and executables, 0644 for other files, root:root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAttributes {
    pub mode: Option<u32>,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// A systemd service shipped with the package.
#[derive(Clone, Debug)]
pub struct SystemdUnit {
    /// The unit file's name, e.g. `greeter.service`.
    pub name: String,
    /// The unit file.
    pub contents: String,
    /// Enable the unit on install (like `dh_installsystemd` / `%systemd_post`).
    pub enable: bool,
    /// Start it on install, and restart it after an upgrade.
    pub start: bool,
}

/// A desktop menu entry for a GUI application.
#[derive(Clone, Debug)]
pub struct DesktopEntry {
    /// The `.desktop` file name, e.g. `greeter.desktop`.
    pub file_name: String,
    /// The `.desktop` file (rendered from the template by the caller).
    pub contents: String,
    /// A PNG icon installed as `/usr/share/icons/hicolor/SIZExSIZE/apps/NAME.png`.
    pub icon_png: Option<Vec<u8>>,
    /// The icon name the desktop file refers to (without `.png`).
    pub icon_name: String,
}

/// One release in the package changelog.
#[derive(Clone, Debug)]
pub struct ChangelogEntry {
    /// The application version (mapped like the package version).
    pub version: String,
    /// `Name <email>`.
    pub author: String,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// One line each.
    pub changes: Vec<String>,
}
