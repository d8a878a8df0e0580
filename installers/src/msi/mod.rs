//! `.msi` packages (Windows Installer), written on any host: the database
//! with the `msi` crate, the files in MSZIP cabinets of our own (`cabinet`),
//! the whole re-packed as a compound file of version 3. No WiX, no Windows.
//!
//! # What goes where
//!
//! | MSI | from |
//! |---|---|
//! | `ProductName` | `spec.product_name`, else `metadata.name` |
//! | `ProductVersion` | [`MsiVersion::parse`]`(metadata.version)`: `MAJOR.MINOR.BUILD` (see [`version`]) |
//! | `Manufacturer` | `spec.manufacturer`, else `metadata.vendor` (required) |
//! | `UpgradeCode` | UUIDv5 of `spec.app_id` alone: stable across versions, architectures and scopes |
//! | `ProductCode` | UUIDv5 of the app id, architecture, scope and full version string |
//! | package code (summary `Revision Number`) | UUIDv5 of the app id, architecture, scope, version and a SHA-256 of the tables and files: a new one whenever the package changes, the same one for the same bytes |
//! | component GUIDs | UUIDv5 of the app id, architecture, scope, product name and lower-cased install path: stable across versions |
//! | `ARPURLINFOABOUT`, `ARPHELPLINK` | `metadata.homepage`; `spec.help_url` (else the homepage) |
//! | `ARPCOMMENTS` | `metadata.description` |
//! | `ALLUSERS`, `MSIINSTALLPERUSER` | [`MsiScope`]: `1` for per-machine; `2` and `1` for per-user |
//! | summary `Template` | `x64;1033`, `Intel;1033` or `Arm64;1033` from the target triple ([`msi_arch`]) |
//! | summary `Page Count` (schema) | 200 (Windows Installer 2.0, needed for x64); 500 for Arm64 |
//! | summary `Word Count` | 2 (long names, compressed); 10 for per-user (bit 3: no elevation needed) |
//! | summary times | the [`Timestamp`] |
//!
//! # Tables
//!
//! | table | rows |
//! |---|---|
//! | `Directory` | `TARGETDIR` (`SourceDir`); `ProgramFiles64Folder` (x64, Arm64) or `ProgramFilesFolder` (x86) per-machine, `LocalAppDataFolder\Programs` per-user; `INSTALLDIR` = the product name; one row per directory of the manifest |
//! | `Component` | one per file, keyed like the file, `KeyPath` = the file, `Attributes` 256 (64-bit) on x64 and Arm64 |
//! | `File` | one per file: key, `SHORT~1.EXT\|long name` (the long name alone when it is 8.3), size, `Version` and `Language` of PE images with a `VERSIONINFO` resource (`a.b.c.d` of `VS_FIXEDFILEINFO`'s file version; the decimal LANGID of the first `VarFileInfo\Translation`, else of the resource, `0` when neutral), `Attributes` 512 (vital), `Sequence` in path order |
//! | `MsiFileHash` | one per unversioned file: the MD5 of its bytes as four little-endian 32-bit integers, `Options` 0, as `MsiGetFileHash` computes it: Windows Installer does not copy a file whose hash already matches, and on repair replaces one whose hash does not (unless the user modified it); versioned files follow version rules instead |
//! | `Feature`, `FeatureComponents` | one feature, `Complete`, holding every component |
//! | `Media` | one row per cabinet: `#cab1.cab`, `#cab2.cab`, …, `LastSequence` = its last file |
//! | `Upgrade` | older and same versions (`VersionMax` inclusive) are removed (`OLDERVERSIONBEINGUPGRADED`); newer ones are detected (`NEWERVERSIONDETECTED`) |
//! | `LaunchCondition` | `NOT NEWERVERSIONDETECTED OR Installed`: a downgrade stops with "A newer version of … is already installed" |
//! | `InstallExecuteSequence`, `InstallUISequence`, `AdminExecuteSequence`, `AdminUISequence`, `AdvtExecuteSequence` | the standard actions with their documented sequence numbers; `RemoveExistingProducts` at 1401, right after `InstallValidate` |
//! | `Property` | the properties above, `ProductLanguage` 1033, `SecureCustomProperties`, `ARPNOMODIFY`; `ARPPRODUCTICON` with an icon |
//! | `Icon` | only with [`MsiSpec::icon`] (an ICO file, or a PE image holding icons): `ProductIcon.ico` (`ProductIcon.exe` for a PE), its bytes in the stream `Icon.ProductIcon.ico`; the icon of "Apps & features" and of every shortcut |
//! | `_Validation` | one row per column, with its category (`Identifier`, `Guid`, `Filename`, `DefaultDir`, `Condition`, `Formatted`, …) |
//!
//! # Shortcuts and PATH
//!
//! Only when [`MsiSpec::shortcuts`] or [`MsiSpec::add_to_path`] ask for
//! them; without them none of these tables, rows or actions exist and the
//! package is what it was before.
//!
//! | table | rows |
//! |---|---|
//! | `Directory` | `ProgramMenuFolder`; `ProgramMenuDir` below it, named like `INSTALLDIR`; `DesktopFolder` when a shortcut goes on the desktop |
//! | `Component` | `c_shortcuts` in `ProgramMenuDir`, key path `r_shortcuts`; `c_path` in the PATH directory, key path `r_path`; `Attributes` 4 (registry key path), plus 256 on 64-bit |
//! | `Shortcut` | `s_menu.NAME` in `ProgramMenuDir`, `s_desktop.NAME` in `DesktopFolder`: not advertised, `Target` `[#FILE KEY]`, `WkDir` the file's directory, `Icon_` the product icon if there is one (else the target's own) |
//! | `Registry` | `r_shortcuts`: HKCU (ICE38, ICE43) `Software\[Manufacturer]\[ProductName]`, `installed` = `#1`; `r_path`: the same key and `path`, HKLM per-machine, HKCU per-user |
//! | `RemoveFile` | `rm_ProgramMenuDir`: the Start-menu folder, removed on uninstall (`InstallMode` 2) |
//! | `Environment` | `e_PATH`: `=-*PATH` per-machine (system), `=-PATH` per-user: set on install, removed on uninstall, value `[~];[DIRECTORY]` (appended) |
//! | `InstallExecuteSequence` | `RemoveRegistryValues` 2600, `WriteRegistryValues` 5000; with shortcuts `RemoveShortcuts` 3200, `CreateShortcuts` 4500 (also in `AdvtExecuteSequence`); with PATH `RemoveEnvironmentStrings` 3300, `WriteEnvironmentStrings` 5200 |
//!
//! Identifiers (`File`, `Component`, `Directory` keys) are the install path
//! with `/` as `.` and other characters outside `[A-Za-z0-9_.]` as `_`,
//! prefixed `f_` or `d_`; when that is longer than 72 characters or two
//! paths would share it, it is cut and ends in `_` and 8 hex digits of the
//! path's SHA-256.
//!
//! # User interface
//!
//! A text-only wizard (no bitmaps, no `Binary` table), WiX's
//! `WixUI_InstallDir` reduced: `WelcomeDlg` → `LicenseDlg` (only with
//! [`MsiSpec::license`]; Next is enabled once "I accept" is ticked) →
//! `InstallDirDlg` (Change opens `BrowseDlg`; Install sets `INSTALLDIR`
//! with `SetTargetPath`) → `ProgressDlg` → `ExitDialog`. Every title is
//! `[ProductName] Setup`. `msiexec /qn` and `/qb` skip all of it.
//!
//! | table | rows |
//! |---|---|
//! | `Dialog` | `WelcomeDlg`, `LicenseDlg`, `InstallDirDlg`, `BrowseDlg`, `ProgressDlg` (modeless), `ExitDialog`, `UserExit`, `FatalError`, `CancelDlg` (asked before cancelling), `ErrorDlg` (error dialog style) |
//! | `Control` | texts, lines, buttons, the license `ScrollableText` and its `CheckBox` (`LicenseAccepted`), `PathEdit`, `DirectoryCombo`, `DirectoryList` (indirect through `OXDIST_INSTALLDIR` and `_BrowseProperty`), the `ProgressBar`; the focusable controls of each dialog chained in one `Control_Next` cycle (not the error dialog's buttons) |
//! | `ControlEvent` | `NewDialog`, `SpawnDialog`, `EndDialog`, `SetTargetPath`, `Reset`, `DirectoryListUp`, `DirectoryListNew`, `[_BrowseProperty]` |
//! | `ControlCondition` | with a license: `LicenseDlg`'s Next enabled only when `LicenseAccepted = "1"` |
//! | `EventMapping` | `ProgressDlg`: `ActionText` → `Text`, `SetProgress` → `Progress` |
//! | `TextStyle` | `OxdistUI_Normal` (Tahoma 8), `OxdistUI_Title` (Tahoma 9 bold), `OxdistUI_Bigger` (Tahoma 12) |
//! | `UIText` | `AbsentPath`, `NewFolder`, `bytes`, `KB`, `MB`, `GB`: what the folder controls show |
//! | `InstallUISequence` | `WelcomeDlg` 1297 if `NOT Installed`, `ProgressDlg` 1299, `ExitDialog` -1, `UserExit` -2, `FatalError` -3 |
//! | `AdminUISequence` | the same without `WelcomeDlg` |
//! | `Property` | `DefaultUIFont` = `OxdistUI_Normal`, `ErrorDialog` = `ErrorDlg`, `OXDIST_INSTALLDIR` = `INSTALLDIR` |
//!
//! A license starting with `{\rtf` is used as it is; any other text is
//! converted to RTF (monospace, `\ { }` escaped, line breaks as `\par`,
//! characters outside ASCII as `\uN?`).
//!
//! # Cabinets
//!
//! Files go, in `Sequence` (path) order, into MSZIP cabinets embedded as
//! streams `cab1.cab`, `cab2.cab`, …; each cabinet member is named by its
//! File key and dated with the [`Timestamp`]. Each 32 KiB block is deflated
//! on its own at zlib's default level, 6, on all cores (the bytes do not
//! depend on how many). A new cabinet starts when the next file would take
//! the current one past [`MsiOptions::cabinet_size`]
//! uncompressed bytes ([`DEFAULT_CABINET_SIZE`], 512 MiB: well below the
//! 2 GB a cabinet folder can hold). The whole package must stay below
//! 2 GiB, the most Windows Installer reads.
//!
//! # Refused input
//!
//! Symbolic links (an MSI cannot create them), file names Windows cannot
//! hold (`< > : " | ? *`, trailing dots, `CON`, `NUL`, …, characters outside
//! Windows-1252, the database code page: Windows Installer refuses UTF-8
//! databases), paths that differ only in case, paths longer than
//! [`MAX_INSTALL_PATH`], files of 2 GiB or more, versions MSI cannot
//! represent, non-Windows targets, shortcuts to paths that are not files of
//! the manifest, shortcut names that are empty, repeated or not file names,
//! PATH entries that are not directories of the manifest, icons that are
//! neither ICO files nor PE images, and licenses that
//! are empty or RTF outside Windows-1252: each with an error naming the
//! entry.
//!
//! # Reproducibility and the container
//!
//! Everything is a function of the inputs: GUIDs are UUIDv5, times are the
//! [`Timestamp`], table rows are sorted, and the final compound file is
//! written stream by stream into a fresh CFB version 3 (512-byte sectors),
//! which osslsigncode can sign (the `msi` crate's own CFB version 4 output
//! is refused by it). The same inputs give a byte-identical file.
//!
//! # Not written (yet)
//!
//! Shortcut icons other than the target's own or the product icon,
//! shortcut arguments, other registry values or environment variables,
//! digital signatures (see `oxdist_signing`).

mod cabinet;
mod container;
mod files;
mod integration;
mod names;
mod tables;
mod ui;
pub mod version;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use msi::{CodePage, Insert, LanguageId, Package, PackageType, Value};
use sha2::{Digest, Sha256};

use crate::manifest::{FileData, FileManifest, ManifestEntry, ManifestError};
use crate::metadata::{MetadataError, PackageMetadata};
use crate::output::{OutputError, Timestamp, destination_dir, sha256_file, write_atomically};
pub use version::{MsiVersion, MsiVersionError};

/// Uncompressed bytes per cabinet before a new one starts (512 MiB).
pub const DEFAULT_CABINET_SIZE: u64 = 512 << 20;

/// The longest `PRODUCT NAME\path\to\file` allowed, in UTF-16 units.
/// Windows paths hold 259 characters (`MAX_PATH` less the terminator),
/// and a per-user install lives below
/// `C:\Users\USERNAME\AppData\Local\Programs\`: 53 characters with a
/// 20-character user name. Per-machine installs are held to the same limit,
/// so that one manifest builds both.
pub const MAX_INSTALL_PATH: usize = 206;

/// The largest package Windows Installer opens.
const MAX_PACKAGE_SIZE: u64 = (2 << 30) - (16 << 20);

/// Distinct strings a database with 2-byte string references can hold
/// (the `msi` crate cannot switch to 3-byte references), less a margin
/// for table and column names and `_Validation` text.
const MAX_STRINGS: usize = 65_535 - 2_000;

/// Why an MSI could not be written.
#[derive(Debug, thiserror::Error)]
pub enum MsiError {
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Version(#[from] MsiVersionError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "the target {triple:?} cannot have an MSI: {reason}; MSIs are built for x86_64-pc-windows-msvc, i686-pc-windows-msvc or aarch64-pc-windows-msvc: set the package metadata's target triple to one of them"
    )]
    Arch { triple: String, reason: &'static str },
    #[error(
        "the MSI app id {app_id:?} is {reason}; set a stable reverse-DNS id such as \"org.example.myapp\": upgrade and product codes derive from it, so changing it later makes a new, unrelated product"
    )]
    AppId { app_id: String, reason: &'static str },
    #[error("an MSI needs a Manufacturer: set manufacturer in the MSI settings or vendor in set_package_metadata()")]
    MissingManufacturer,
    #[error(
        "{field} {value:?} has characters outside Windows-1252, the code page of the MSI database (Windows Installer refuses UTF-8 databases); use characters from Western European scripts"
    )]
    CodePage { field: &'static str, value: String },
    #[error("the product name {name:?} cannot be the installation folder's name: {reason}; set another product name")]
    ProductName { name: String, reason: &'static str },
    #[error("the MSI has nothing to install: the file manifest is empty")]
    Empty,
    #[error(
        "{path:?} is a symbolic link (to {target:?}); Windows Installer packages cannot create symbolic links: install a copy of the file under that name instead, or leave the link out of the MSI"
    )]
    Symlink { path: String, target: String },
    #[error("cannot install {path:?} on Windows: {component:?} {reason}; rename it")]
    FileName {
        path: String,
        component: String,
        reason: &'static str,
    },
    #[error(
        "{path:?} and {other:?} differ only in case, and Windows file names are case-insensitive; rename one of them"
    )]
    CaseClash { path: String, other: String },
    #[error(
        "the installed path \"{path}\" would be {length} characters, more than the {max} that fit below C:\\Users\\USERNAME\\AppData\\Local\\Programs within Windows' 260-character limit; shorten the product name or the path"
    )]
    PathTooLong { path: String, length: usize, max: usize },
    #[error(
        "{first:?} and {second:?} get the same MSI identifier {id:?} (a SHA-256 prefix collision); rename one of them"
    )]
    DuplicateId { id: String, first: String, second: String },
    #[error(
        "{path:?} is {size} bytes; an MSI File table holds sizes below 2 GiB: install the file another way (e.g. download it on first run)"
    )]
    FileTooLarge { path: String, size: u64 },
    #[error(
        "the MSI would be about {size} bytes, more than the 2 GiB Windows Installer can open; split the application or leave large data out of the package"
    )]
    PackageTooLarge { size: u64 },
    #[error(
        "the MSI database would hold {count} distinct strings, more than the {MAX_STRINGS} it can index; the manifest has too many files ({files}) for one MSI"
    )]
    TooManyStrings { count: usize, files: usize },
    #[error(
        "the shortcut {name:?} points to {target:?}, which is not a file of the manifest; set its target to the manifest path of an installed file, e.g. \"bin/app.exe\""
    )]
    ShortcutTarget { name: String, target: String },
    #[error("the shortcut name {name:?} cannot be used: {reason}; set another name")]
    ShortcutName { name: String, reason: &'static str },
    #[error(
        "cannot add {path:?} to PATH: {reason}; name a directory of the manifest, or \"\" for the installation folder"
    )]
    PathDirectory { path: String, reason: &'static str },
    #[error(
        "the MSI icon ({size} bytes) is not an icon: {reason}; give the bytes of an .ico file, or of an .exe holding the icon"
    )]
    Icon { size: usize, reason: &'static str },
    #[error(
        "the MSI license cannot be shown: {reason}; give the license as plain text (it is converted to RTF) or as RTF in Windows-1252"
    )]
    License { reason: String },
    #[error("the cabinet size must be at least 1 byte, not {size}")]
    CabinetSize { size: u64 },
    #[error("the timestamp {timestamp} cannot be written as a cabinet date: {reason}")]
    Timestamp { timestamp: u64, reason: String },
    #[error("cannot write the MSI table {table}: {source}")]
    Database { table: String, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Who the package installs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsiScope {
    /// For the current user, below `%LOCALAPPDATA%\Programs`, without an
    /// elevation (UAC) prompt: `ALLUSERS=2`, `MSIINSTALLPERUSER=1`.
    PerUser,
    /// For every user, below `Program Files`, with an elevation prompt: `ALLUSERS=1`.
    PerMachine,
}

impl MsiScope {
    fn name(self) -> &'static str {
        match self {
            MsiScope::PerUser => "per-user",
            MsiScope::PerMachine => "per-machine",
        }
    }
}

/// The Windows architecture a package installs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsiArch {
    X86,
    X64,
    Arm64,
}

impl MsiArch {
    /// The platform in the summary information's `Template`.
    pub fn platform(self) -> &'static str {
        match self {
            MsiArch::X86 => "Intel",
            MsiArch::X64 => "x64",
            MsiArch::Arm64 => "Arm64",
        }
    }

    fn is_64bit(self) -> bool {
        self != MsiArch::X86
    }

    fn program_files(self) -> &'static str {
        if self.is_64bit() {
            "ProgramFiles64Folder"
        } else {
            "ProgramFilesFolder"
        }
    }

    /// The installer schema (summary `Page Count`) the platform needs.
    fn schema(self) -> i32 {
        if self == MsiArch::Arm64 { 500 } else { 200 }
    }
}

impl fmt::Display for MsiArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.platform())
    }
}

/// What the package is, beyond [`PackageMetadata`].
#[derive(Clone, Debug)]
pub struct MsiSpec {
    /// A stable id of the application, e.g. `org.example.greeter`: every
    /// GUID derives from it. Never change it between versions.
    pub app_id: String,
    /// The publisher shown in "Apps & features"; defaults to `metadata.vendor`.
    pub manufacturer: Option<String>,
    /// The name shown in "Apps & features" and of the installation folder;
    /// defaults to `metadata.name`.
    pub product_name: Option<String>,
    pub scope: MsiScope,
    /// `ARPHELPLINK`; defaults to `metadata.homepage`.
    pub help_url: Option<String>,
    /// Start-menu (and desktop) shortcuts to installed files.
    pub shortcuts: Vec<MsiShortcut>,
    /// A directory of the manifest (`""` for the installation folder itself)
    /// appended to `PATH` on install and taken out on uninstall: the system
    /// `PATH` per-machine, the user's per-user.
    pub add_to_path: Option<String>,
    /// The license the installer's wizard shows, to be accepted before
    /// installing: RTF when it starts with `{\rtf` (in Windows-1252),
    /// otherwise plain text, converted to RTF. Without it the wizard has
    /// no license page.
    pub license: Option<String>,
    /// The product's icon in "Apps & features" (`ARPPRODUCTICON`) and on its
    /// shortcuts: the bytes of an `.ico` file, or of a Windows executable
    /// holding the icon as a resource.
    pub icon: Option<Vec<u8>>,
}

/// A shortcut in the product's Start-menu folder (`Start menu\Programs\PRODUCT NAME`),
/// and optionally on the desktop, to an installed file. Shortcuts are
/// not advertised: they point at the file itself and start in its directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsiShortcut {
    /// The manifest path of the file it opens, e.g. `greeter.exe` or `bin/greeter.exe`.
    pub target: String,
    /// The name shown in the Start menu (and on the desktop), without `.lnk`.
    pub name: String,
    /// Also put the shortcut on the desktop.
    pub desktop: bool,
    /// The tooltip.
    pub description: Option<String>,
}

impl MsiSpec {
    /// A per-machine package with the manufacturer and name from the metadata.
    pub fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            manufacturer: None,
            product_name: None,
            scope: MsiScope::PerMachine,
            help_url: None,
            shortcuts: Vec::new(),
            add_to_path: None,
            license: None,
            icon: None,
        }
    }
}

/// How to write an MSI.
#[derive(Clone, Debug)]
pub struct MsiOptions {
    /// The summary information's times and every cabinet member's date.
    pub timestamp: Timestamp,
    /// Uncompressed bytes per cabinet before a new one starts.
    pub cabinet_size: u64,
}

impl Default for MsiOptions {
    fn default() -> Self {
        Self {
            timestamp: Timestamp::DEFAULT,
            cabinet_size: DEFAULT_CABINET_SIZE,
        }
    }
}

/// What [`write_msi`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsiInfo {
    pub path: PathBuf,
    pub product_name: String,
    /// The mapped `ProductVersion`.
    pub product_version: MsiVersion,
    pub arch: MsiArch,
    /// `{GUID}`, upper case.
    pub product_code: String,
    pub upgrade_code: String,
    pub package_code: String,
    pub cabinets: usize,
    pub size: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// The MSI architecture of a Rust target triple, e.g. [`MsiArch::X64`] for
/// `x86_64-pc-windows-msvc`.
pub fn msi_arch(triple: &str) -> Result<MsiArch, MsiError> {
    let err = |reason| MsiError::Arch {
        triple: triple.to_string(),
        reason,
    };
    let mut parts = triple.split('-');
    let arch = parts.next().unwrap_or_default();
    if !parts.any(|p| p == "windows") {
        return Err(err("it is not a Windows target"));
    }
    match arch {
        "x86_64" => Ok(MsiArch::X64),
        "i686" | "i586" => Ok(MsiArch::X86),
        "aarch64" => Ok(MsiArch::Arm64),
        _ => Err(err("Windows Installer has no platform for its architecture")),
    }
}

/// The file name: [`PackageMetadata::artifact_stem`] and `.msi`, e.g.
/// `greeter-1.2.3-x86_64-pc-windows-msvc.msi`.
pub fn msi_file_name(metadata: &PackageMetadata) -> Result<String, MsiError> {
    msi_arch(&metadata.target_triple)?;
    Ok(format!("{}.msi", metadata.artifact_stem()))
}

/// A file of the manifest, as the tables see it.
struct InstallFile<'a> {
    path: &'a str,
    data: &'a FileData,
    key: String,
    directory: String,
    file_name: String,
    size: u64,
    sequence: i32,
    /// `File.Version` and `File.Language`, read with the bytes.
    version: Option<files::FileVersion>,
    /// `MsiFileHash` of an unversioned file, read with the bytes.
    hash: Option<[i32; 4]>,
}

/// Writes the MSI of `files` (installed below `INSTALLDIR`) to `dest`, atomically.
pub fn write_msi(
    metadata: &PackageMetadata,
    spec: &MsiSpec,
    files: &FileManifest,
    options: &MsiOptions,
    dest: &Path,
) -> Result<MsiInfo, MsiError> {
    metadata.validate()?;
    let arch = msi_arch(&metadata.target_triple)?;
    let version = MsiVersion::parse(&metadata.version)?;
    let app_id = spec.app_id.trim();
    if app_id.is_empty() {
        return Err(MsiError::AppId {
            app_id: spec.app_id.clone(),
            reason: "empty",
        });
    }
    if app_id.chars().any(char::is_control) {
        return Err(MsiError::AppId {
            app_id: spec.app_id.clone(),
            reason: "not printable",
        });
    }
    let manufacturer = spec
        .manufacturer
        .as_deref()
        .or(metadata.vendor.as_deref())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or(MsiError::MissingManufacturer)?;
    let product_name = spec.product_name.as_deref().unwrap_or(&metadata.name).trim();
    if let Some(reason) = names::windows_name_problem(product_name).or(product_name.is_empty().then_some("it is empty"))
    {
        return Err(MsiError::ProductName {
            name: product_name.to_string(),
            reason,
        });
    }
    let help_url = spec.help_url.as_deref().or(metadata.homepage.as_deref());
    for (field, value) in [
        ("the manufacturer", Some(manufacturer)),
        ("the description", metadata.description.as_deref()),
        ("the homepage", metadata.homepage.as_deref()),
        ("the help URL", help_url),
    ] {
        if let Some(value) = value
            && !names::is_windows_1252(value)
        {
            return Err(MsiError::CodePage {
                field,
                value: value.to_string(),
            });
        }
    }
    if options.cabinet_size == 0 {
        return Err(MsiError::CabinetSize {
            size: options.cabinet_size,
        });
    }
    let datetime = cabinet::dos_datetime(options.timestamp).map_err(|e| MsiError::Timestamp {
        timestamp: options.timestamp.0,
        reason: e.to_string(),
    })?;
    let icon = match &spec.icon {
        Some(bytes) => Some((
            files::icon_name(bytes).map_err(|reason| MsiError::Icon {
                size: bytes.len(),
                reason,
            })?,
            bytes.as_slice(),
        )),
        None => None,
    };

    let mut install = plan_files(files, product_name)?;
    let directories: Vec<String> = files.directories().into_iter().collect();
    let directory_ids = identifiers("d_", directories.iter().map(String::as_str))?;
    let file_ids = identifiers("f_", install.iter().map(|f| f.path))?;
    let mut entry_names = directory_entry_names(&directories, &install);
    for file in &mut install {
        file.key = file_ids[file.path].clone();
        file.directory = parent(file.path).map_or_else(|| "INSTALLDIR".to_string(), |p| directory_ids[p].clone());
        file.file_name = entry_names.remove(file.path).unwrap_or_default();
    }
    let guids = names::Guids::new(app_id);
    let flavour = format!("{}/{}", arch.platform(), spec.scope.name());
    let component_attributes = if arch.is_64bit() { 256 } else { 0 };
    let install_dir_name = names::msi_file_names(&[product_name]).remove(0);
    let extra = integration::plan(&integration::Context {
        spec,
        files: install
            .iter()
            .map(|f| (f.path, (f.key.as_str(), f.directory.as_str())))
            .collect(),
        directories: directory_ids.iter().map(|(k, v)| (*k, v.as_str())).collect(),
        install_dir_name: &install_dir_name,
        guids: &guids,
        guid_stem: format!("{flavour}/{}", product_name.to_lowercase()),
        component_attributes,
        icon: icon.map(|(name, _)| name),
    })?;
    let ui = ui::plan(spec.license.as_deref())?;

    // Cabinets first: file sizes and the package code come from them.
    let io_err = |source| MsiError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let temp_dir = destination_dir(dest)?;
    let mut digest = Sha256::new();
    digest.update(options.timestamp.0.to_le_bytes());
    let mut cabinets: Vec<(String, std::fs::File)> = Vec::new();
    let mut media_rows = Vec::new();
    let mut packed_size = 0u64;
    for group in cabinet_groups(&install, options.cabinet_size) {
        let mut contents = Vec::with_capacity(group.len());
        for file in &install[group.clone()] {
            contents.push(file.data.read()?);
        }
        for (file, bytes) in install[group.clone()].iter_mut().zip(&contents) {
            file.size = bytes.len() as u64;
            if file.size > i32::MAX as u64 {
                return Err(MsiError::FileTooLarge {
                    path: file.path.to_string(),
                    size: file.size,
                });
            }
            // Versioned files are replaced by version rules, unversioned ones compared by hash.
            file.version = files::pe_version(bytes);
            if file.version.is_none() {
                file.hash = Some(files::file_hash(bytes));
            }
        }
        let members: Vec<cabinet::Member<'_>> = install[group.clone()]
            .iter()
            .zip(&contents)
            .map(|(file, bytes)| cabinet::Member { key: &file.key, bytes })
            .collect();
        let cab = cabinet::write_cabinet(temp_dir, &members, datetime, &mut digest).map_err(io_err)?;
        packed_size += cab.metadata().map_err(io_err)?.len();
        if packed_size > MAX_PACKAGE_SIZE {
            return Err(MsiError::PackageTooLarge { size: packed_size });
        }
        let number = cabinets.len() + 1;
        let name = format!("cab{number}.cab");
        media_rows.push(vec![
            Value::Int(number as i32),
            Value::Int(install[group.end - 1].sequence),
            Value::Null,
            Value::Str(format!("#{name}")),
            Value::Null,
            Value::Null,
        ]);
        cabinets.push((name, cab));
    }

    let upgrade_code = guids.guid("upgrade");
    let product_code = guids.guid(&format!("product/{flavour}/{}", metadata.version));

    let mut rows: Vec<(&str, Vec<Vec<Value>>)> = Vec::new();
    let text = |s: &str| Value::Str(s.to_string());
    let mut properties = vec![
        ("ProductCode", product_code.clone()),
        ("ProductName", product_name.to_string()),
        ("ProductVersion", version.to_string()),
        ("Manufacturer", manufacturer.to_string()),
        ("UpgradeCode", upgrade_code.clone()),
        ("ProductLanguage", "1033".to_string()),
        (
            "SecureCustomProperties",
            "NEWERVERSIONDETECTED;OLDERVERSIONBEINGUPGRADED".to_string(),
        ),
        ("ARPNOMODIFY", "1".to_string()),
    ];
    match spec.scope {
        MsiScope::PerMachine => properties.push(("ALLUSERS", "1".into())),
        MsiScope::PerUser => {
            properties.push(("ALLUSERS", "2".into()));
            properties.push(("MSIINSTALLPERUSER", "1".into()));
        }
    }
    if let Some(homepage) = &metadata.homepage {
        properties.push(("ARPURLINFOABOUT", homepage.clone()));
    }
    if let Some(help) = help_url {
        properties.push(("ARPHELPLINK", help.to_string()));
    }
    if let Some(description) = &metadata.description {
        properties.push(("ARPCOMMENTS", description.clone()));
    }
    if let Some((name, _)) = icon {
        properties.push(("ARPPRODUCTICON", name.to_string()));
    }
    properties.extend(ui.properties);
    rows.push((
        "Property",
        properties
            .into_iter()
            .map(|(k, v)| vec![text(k), Value::Str(v)])
            .collect(),
    ));

    let mut directory_rows = vec![vec![text("TARGETDIR"), Value::Null, text("SourceDir")]];
    let install_parent = match spec.scope {
        MsiScope::PerMachine => {
            directory_rows.push(vec![text(arch.program_files()), text("TARGETDIR"), text(".")]);
            arch.program_files()
        }
        MsiScope::PerUser => {
            directory_rows.push(vec![text("LocalAppDataFolder"), text("TARGETDIR"), text(".")]);
            directory_rows.push(vec![
                text("UserProgramsFolder"),
                text("LocalAppDataFolder"),
                text("Programs"),
            ]);
            "UserProgramsFolder"
        }
    };
    directory_rows.push(vec![
        text("INSTALLDIR"),
        text(install_parent),
        Value::Str(install_dir_name.clone()),
    ]);
    for dir in &directories {
        let parent_id = parent(dir).map_or_else(|| "INSTALLDIR".to_string(), |p| directory_ids[p].clone());
        directory_rows.push(vec![
            Value::Str(directory_ids[dir.as_str()].clone()),
            Value::Str(parent_id),
            Value::Str(entry_names.remove(dir.as_str()).unwrap_or_default()),
        ]);
    }
    directory_rows.extend(extra.directory);
    rows.push(("Directory", directory_rows));

    rows.push((
        "Component",
        install
            .iter()
            .map(|file| {
                let guid = guids.guid(&format!(
                    "component/{flavour}/{}/{}",
                    product_name.to_lowercase(),
                    file.path.to_lowercase()
                ));
                vec![
                    Value::Str(file.key.clone()),
                    Value::Str(guid),
                    Value::Str(file.directory.clone()),
                    Value::Int(component_attributes),
                    Value::Null,
                    Value::Str(file.key.clone()),
                ]
            })
            .chain(extra.component)
            .collect(),
    ));
    let description = metadata.description.as_deref().unwrap_or(product_name);
    rows.push((
        "Feature",
        vec![vec![
            text("Complete"),
            Value::Null,
            Value::Str(product_name.chars().take(64).collect()),
            Value::Str(description.chars().take(255).collect()),
            Value::Int(1),
            Value::Int(1),
            text("INSTALLDIR"),
            Value::Int(0),
        ]],
    ));
    rows.push((
        "FeatureComponents",
        install
            .iter()
            .map(|file| vec![text("Complete"), Value::Str(file.key.clone())])
            .chain(extra.feature_components)
            .collect(),
    ));
    rows.push((
        "File",
        install
            .iter()
            .map(|file| {
                vec![
                    Value::Str(file.key.clone()),
                    Value::Str(file.key.clone()),
                    Value::Str(file.file_name.clone()),
                    Value::Int(file.size as i32),
                    file.version
                        .as_ref()
                        .map_or(Value::Null, |v| Value::Str(v.version.clone())),
                    file.version
                        .as_ref()
                        .map_or(Value::Null, |v| Value::Str(v.language.clone())),
                    Value::Int(512),
                    Value::Int(file.sequence),
                ]
            })
            .collect(),
    ));
    rows.push(("Media", media_rows));
    rows.push((
        "MsiFileHash",
        install
            .iter()
            .filter_map(|file| {
                let hash = file.hash?;
                let mut row = vec![Value::Str(file.key.clone()), Value::Int(0)];
                row.extend(hash.map(Value::Int));
                Some(row)
            })
            .collect(),
    ));
    let mut streams: Vec<(String, &[u8])> = Vec::new();
    if let Some((name, bytes)) = icon {
        rows.push(("Icon", vec![vec![text(name), Value::Binary]]));
        // Binary columns hold no value: the data is the stream `Table.Key`.
        streams.push((format!("Icon.{name}"), bytes));
        digest.update(b"icon");
        digest.update(bytes);
    }
    rows.push((
        "Upgrade",
        vec![
            vec![
                Value::Str(upgrade_code.clone()),
                Value::Null,
                Value::Str(version.to_string()),
                Value::Null,
                // msidbUpgradeAttributesMigrateFeatures | VersionMaxInclusive
                Value::Int(0x001 | 0x200),
                Value::Null,
                text("OLDERVERSIONBEINGUPGRADED"),
            ],
            vec![
                Value::Str(upgrade_code.clone()),
                Value::Str(version.to_string()),
                Value::Null,
                Value::Null,
                // msidbUpgradeAttributesOnlyDetect
                Value::Int(0x002),
                Value::Null,
                text("NEWERVERSIONDETECTED"),
            ],
        ],
    ));
    rows.push((
        "LaunchCondition",
        vec![vec![
            text("NOT NEWERVERSIONDETECTED OR Installed"),
            text(
                "A newer version of [ProductName] is already installed. Uninstall it first to install version [ProductVersion].",
            ),
        ]],
    ));
    for (table, actions, added, dialogs) in [
        (
            "InstallExecuteSequence",
            tables::INSTALL_EXECUTE,
            &extra.install_execute[..],
            &[][..],
        ),
        ("InstallUISequence", tables::INSTALL_UI, &[], tables::INSTALL_UI_DIALOGS),
        ("AdminExecuteSequence", tables::ADMIN_EXECUTE, &[], &[]),
        ("AdminUISequence", tables::ADMIN_UI, &[], tables::ADMIN_UI_DIALOGS),
        (
            "AdvtExecuteSequence",
            tables::ADVT_EXECUTE,
            &extra.advt_execute[..],
            &[],
        ),
    ] {
        let mut actions: Vec<tables::SequenceRow> = actions
            .iter()
            .chain(added)
            .map(|&(action, sequence)| tables::SequenceRow::new(action, sequence))
            .chain(dialogs.iter().copied())
            .collect();
        actions.sort_by_key(|row| row.sequence);
        rows.push((table, actions.iter().map(tables::SequenceRow::values).collect()));
    }
    rows.extend(ui.tables);
    for (table, table_rows) in [
        ("Registry", extra.registry),
        ("Shortcut", extra.shortcut),
        ("RemoveFile", extra.remove_file),
        ("Environment", extra.environment),
    ] {
        if !table_rows.is_empty() {
            rows.push((table, table_rows));
        }
    }

    let strings: HashSet<&str> = rows
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten())
        .filter_map(|value| value.as_str())
        .collect();
    if strings.len() > MAX_STRINGS {
        return Err(MsiError::TooManyStrings {
            count: strings.len(),
            files: install.len(),
        });
    }
    for (_, table_rows) in &rows {
        for row in table_rows {
            for value in row {
                match value {
                    Value::Str(s) => {
                        digest.update(b"s");
                        digest.update(s.as_bytes());
                        digest.update([0]);
                    }
                    Value::Int(i) => {
                        digest.update(b"i");
                        digest.update(i.to_le_bytes());
                    }
                    _ => digest.update(b"n"),
                }
            }
        }
    }
    let content = digest.finalize();
    let content_hex: String = content[..16].iter().map(|b| format!("{b:02x}")).collect();
    let package_uuid = guids.uuid(&format!("package/{flavour}/{}/{content_hex}", metadata.version));

    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(options.timestamp.0);
    let summary = Summary {
        subject: product_name,
        author: manufacturer,
        arch,
        scope: spec.scope,
        package_code: package_uuid,
        time,
    };
    let database = build_database(&summary, rows, &streams)?;
    write_atomically(dest, |out| {
        let file: &mut std::fs::File = out.get_mut();
        container::write(file, database, &mut cabinets).map_err(io_err)
    })?;

    Ok(MsiInfo {
        path: dest.to_path_buf(),
        product_name: product_name.to_string(),
        product_version: version,
        arch,
        product_code,
        upgrade_code,
        package_code: names::braced(package_uuid),
        cabinets: cabinets.len(),
        size: std::fs::metadata(dest).map_err(io_err)?.len(),
        sha256: sha256_file(dest).map_err(io_err)?,
    })
}

/// The manifest's files in path order, checked against Windows' rules,
/// with sequence numbers; keys, directories and names are filled in later.
fn plan_files<'a>(files: &'a FileManifest, product_name: &str) -> Result<Vec<InstallFile<'a>>, MsiError> {
    if files.is_empty() {
        return Err(MsiError::Empty);
    }
    let mut out = Vec::new();
    let mut folded: HashMap<String, &str> = HashMap::new();
    for (path, entry) in files.entries() {
        let path = path.as_str();
        let data = match entry {
            ManifestEntry::File(file) => &file.data,
            ManifestEntry::Symlink { target, .. } => {
                return Err(MsiError::Symlink {
                    path: path.to_string(),
                    target: target.clone(),
                });
            }
        };
        for component in path.split('/') {
            if let Some(reason) = names::windows_name_problem(component) {
                return Err(MsiError::FileName {
                    path: path.to_string(),
                    component: component.to_string(),
                    reason,
                });
            }
        }
        // Directories fold too: `A/x` and `a/y` would land in one folder.
        let mut prefix = String::new();
        for component in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);
            let key = prefix.to_lowercase();
            let here = &path[..prefix.len()];
            match folded.get(&key) {
                Some(other) if *other != here => {
                    return Err(MsiError::CaseClash {
                        path: here.to_string(),
                        other: other.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    folded.insert(key, here);
                }
            }
        }
        let length = product_name.encode_utf16().count() + 1 + path.encode_utf16().count();
        if length > MAX_INSTALL_PATH {
            return Err(MsiError::PathTooLong {
                path: format!("{product_name}\\{}", path.replace('/', "\\")),
                length,
                max: MAX_INSTALL_PATH,
            });
        }
        let size = data.len()?;
        if size > i32::MAX as u64 {
            return Err(MsiError::FileTooLarge {
                path: path.to_string(),
                size,
            });
        }
        out.push(InstallFile {
            path,
            data,
            key: String::new(),
            directory: String::new(),
            file_name: String::new(),
            size,
            sequence: out.len() as i32 + 1,
            version: None,
            hash: None,
        });
    }
    Ok(out)
}

fn identifiers<'a>(
    prefix: &str,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<&'a str, String>, MsiError> {
    names::assign_identifiers(prefix, paths).map_err(|(id, first, second)| MsiError::DuplicateId { id, first, second })
}

fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(parent, _)| parent)
}

/// The `Filename`/`DefaultDir` value of every file and directory, keyed
/// by path: short names are unique among the entries of each directory.
fn directory_entry_names<'a>(directories: &'a [String], files: &[InstallFile<'a>]) -> HashMap<&'a str, String> {
    let mut children: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for path in directories
        .iter()
        .map(String::as_str)
        .chain(files.iter().map(|f| f.path))
    {
        children.entry(parent(path)).or_default().push(path);
    }
    let mut out = HashMap::new();
    for (_, mut paths) in children {
        paths.sort_by_key(|p| p.rsplit('/').next().unwrap_or(p).to_string());
        let leaf: Vec<&str> = paths.iter().map(|p| p.rsplit('/').next().unwrap_or(p)).collect();
        for (path, name) in paths.into_iter().zip(names::msi_file_names(&leaf)) {
            out.insert(path, name);
        }
    }
    out
}

/// Ranges of `files` that go into one cabinet each.
fn cabinet_groups(files: &[InstallFile<'_>], limit: u64) -> Vec<std::ops::Range<usize>> {
    // A cabinet folder holds at most 65535 files.
    const MAX_MEMBERS: usize = 65_535;
    let mut groups = Vec::new();
    let mut start = 0;
    let mut size = 0u64;
    for (index, file) in files.iter().enumerate() {
        if index > start && (size + file.size > limit || index - start == MAX_MEMBERS) {
            groups.push(start..index);
            start = index;
            size = 0;
        }
        size += file.size;
    }
    if start < files.len() {
        groups.push(start..files.len());
    }
    groups
}

/// The summary information stream's contents.
struct Summary<'a> {
    subject: &'a str,
    author: &'a str,
    arch: MsiArch,
    scope: MsiScope,
    package_code: uuid::Uuid,
    time: SystemTime,
}

/// The database (tables, summary information and the `streams` of binary
/// columns, no cabinets) as a CFB file in memory.
fn build_database(
    summary: &Summary<'_>,
    rows: Vec<(&str, Vec<Vec<Value>>)>,
    streams: &[(String, &[u8])],
) -> Result<Vec<u8>, MsiError> {
    let db_err = |table: &str| {
        let table = table.to_string();
        move |source| MsiError::Database { table, source }
    };
    let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new())).map_err(db_err("_Tables"))?;
    package.set_database_codepage(CodePage::Windows1252);
    {
        let info = package.summary_info_mut();
        info.set_codepage(CodePage::Windows1252);
        info.set_title("Installation Database");
        info.set_subject(summary.subject);
        info.set_author(summary.author);
        info.set_keywords(&["Installer".to_string()]);
        info.set_comments(format!(
            "This installer database contains the logic and data required to install {}.",
            summary.subject
        ));
        info.set_arch(summary.arch.platform());
        info.set_languages(&[LanguageId::from_id(1033)]);
        info.set_uuid(summary.package_code);
        info.set_page_count(summary.arch.schema());
        info.set_word_count(match summary.scope {
            MsiScope::PerMachine => 2,
            MsiScope::PerUser => 2 | 8,
        });
        info.set_doc_security(2);
        info.set_creating_application("oxdist");
        info.set_creation_time(summary.time);
        info.set_last_save_time(summary.time);
    }
    let mut rows: HashMap<&str, Vec<Vec<Value>>> = rows.into_iter().collect();
    for table in tables::TABLES {
        package
            .create_table(table.name, (table.columns)())
            .map_err(db_err(table.name))?;
        let table_rows = rows.remove(table.name).unwrap_or_default();
        if !table_rows.is_empty() {
            package
                .insert_rows(Insert::into(table.name).rows(table_rows))
                .map_err(db_err(table.name))?;
        }
    }
    // Optional tables exist only with rows: without them the package is unchanged.
    for table in tables::OPTIONAL_TABLES {
        let Some(table_rows) = rows.remove(table.name).filter(|r| !r.is_empty()) else {
            continue;
        };
        package
            .create_table(table.name, (table.columns)())
            .map_err(db_err(table.name))?;
        package
            .insert_rows(Insert::into(table.name).rows(table_rows))
            .map_err(db_err(table.name))?;
    }
    for (name, bytes) in streams {
        package
            .write_stream(name)
            .and_then(|mut stream| stream.write_all(bytes))
            .map_err(db_err(name))?;
    }
    let cursor = package.into_inner().map_err(db_err("_StringPool"))?;
    Ok(cursor.into_inner())
}
