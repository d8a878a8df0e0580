//! macOS application bundles (`NAME.app`) as a [`FileManifest`], built on
//! any host: the tree a DMG, a zip or a tarball then carries.
//!
//! # What goes where
//!
//! | path in the manifest | from |
//! |---|---|
//! | `NAME.app/Contents/Info.plist` | [`info_plist_xml`]: an XML property list (table below) |
//! | `NAME.app/Contents/PkgInfo` | `APPL` and the four-character signature, 8 bytes, no line break |
//! | `NAME.app/Contents/MacOS/…` | [`BundleParts::macos`]; the `CFBundleExecutable` file gets mode 0755 |
//! | `NAME.app/Contents/Resources/…` | [`BundleParts::resources`] |
//! | `NAME.app/Contents/Resources/NAME.icns` | [`AppBundleSpec::icon`] |
//! | `NAME.app/Contents/Frameworks/…` | [`BundleParts::frameworks`] |
//! | `NAME.app/Contents/PREFIX/…` | [`BundleParts::other`] (`SharedSupport`, `PlugIns`, …) |
//!
//! # Info.plist
//!
//! Keys sorted, written by the `plist` crate as XML (tab-indented, as
//! Xcode writes it); the same spec gives the same bytes.
//!
//! | key | value | Starlark |
//! |---|---|---|
//! | `CFBundleDevelopmentRegion` | `en` | `set_info_plist_key` may replace it |
//! | `CFBundleDisplayName` | [`AppBundleSpec::display_name`] (required) | `set_info_plist_required_keys` |
//! | `CFBundleExecutable` | [`AppBundleSpec::executable`] (required): a regular file of `Contents/MacOS` holding a Mach-O image, thin or universal | `set_info_plist_required_keys` |
//! | `CFBundleIconFile` | `NAME.icns`, only with an icon | `add_icon` |
//! | `CFBundleIdentifier` | [`AppBundleSpec::identifier`] (required): reverse DNS, `A-Z a-z 0-9 . -`, at least two non-empty labels | `set_info_plist_required_keys` |
//! | `CFBundleInfoDictionaryVersion` | `6.0` | |
//! | `CFBundleName` | the bundle name | `MacOsApplicationBundleBuilder(NAME)` |
//! | `CFBundlePackageType` | `APPL` | |
//! | `CFBundleShortVersionString` | [`AppBundleSpec::short_version`], else a `set_info_plist_key` value, else the version | `set_info_plist_key` |
//! | `CFBundleSignature` | [`AppBundleSpec::signature`]: four ASCII characters, default `????` | `set_info_plist_required_keys` |
//! | `CFBundleVersion` | [`AppBundleSpec::version`] (required) | `set_info_plist_required_keys` |
//! | `LSMinimumSystemVersion` | [`AppBundleSpec::minimum_system_version`], else a `set_info_plist_key` value, else [`DEFAULT_MINIMUM_SYSTEM_VERSION`] | `set_info_plist_key` |
//! | `NSHighResolutionCapable` | `true` | `set_info_plist_key` may replace it |
//! | anything else | [`AppBundleSpec::extra_keys`] (nested dictionaries sorted too) | `set_info_plist_key` |
//!
//! # Versions
//!
//! `CFBundleVersion`, `CFBundleShortVersionString` and
//! `LSMinimumSystemVersion` are one to three integers separated by dots
//! (`1`, `1.2`, `1.2.3`), what Launch Services and the App Store compare.
//! Python versions with a pre-release, post-release or local part
//! (`1.2.3rc1`, `1.2.3.post1`, `1.2.3+local`) are refused, not mapped:
//! `1.2.3rc1` would have to become `1.2.3` and compare equal to the final
//! release, so the choice is left to the configuration (set the release
//! part as the version and the full string in a key of its own).
//!
//! # Refused input
//!
//! Each with an error naming the key or entry and what to call: a missing
//! required key (naming the Starlark setter), a bundle name with `/`, `:`
//! or `.app`, a malformed identifier, version or signature, an executable
//! that is not a regular file of `Contents/MacOS` or not a Mach-O image,
//! an icon without the `icns` header or with a length that does not match,
//! `set_info_plist_key` values for keys the bundle sets itself, and
//! clashes between the parts (two contents for one path).

use std::collections::BTreeMap;

use super::universal::{UniversalError, macho_architectures};
use crate::manifest::{FileEntry, FileManifest, ManifestEntry, ManifestError, ManifestPath};

/// `LSMinimumSystemVersion` when the spec sets none: macOS 11, the first
/// release that runs arm64 binaries.
pub const DEFAULT_MINIMUM_SYSTEM_VERSION: &str = "11.0";
/// `CFBundleSignature` when the spec sets none.
pub const DEFAULT_SIGNATURE: &str = "????";

/// The Starlark call that sets the required keys, for messages.
const REQUIRED_SETTER: &str = "set_info_plist_required_keys(display_name, identifier, version, signature, executable)";

/// Why a bundle was refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "the bundle name {name:?} cannot be used: {reason}; pass a name such as \"Greeter\" to MacOsApplicationBundleBuilder"
    )]
    BundleName { name: String, reason: &'static str },
    #[error("the Info.plist key {key} is not set; call {setter} on the MacOsApplicationBundleBuilder")]
    MissingKey { key: &'static str, setter: &'static str },
    #[error(
        "the bundle identifier {identifier:?} (CFBundleIdentifier) is invalid: {reason}; use reverse DNS such as org.example.greeter (letters, digits, '.' and '-')"
    )]
    Identifier { identifier: String, reason: &'static str },
    #[error(
        "{key} {version:?} is invalid: {reason}; macOS expects one to three integers separated by dots, such as 1.2.3 (for a Python version such as 1.2.3rc1, set the release part 1.2.3 and keep the full version in a key of its own)"
    )]
    Version {
        key: &'static str,
        version: String,
        reason: String,
    },
    #[error(
        "the bundle signature {signature:?} (CFBundleSignature) is invalid: it must be exactly four printable ASCII characters, such as \"GRTR\" (or \"????\")"
    )]
    Signature { signature: String },
    #[error("the display name (CFBundleDisplayName) {name:?} is invalid: {reason}")]
    DisplayName { name: String, reason: &'static str },
    #[error(
        "the bundle executable {executable:?} (CFBundleExecutable) is not a file of Contents/MacOS{available}; add it with add_macos_manifest() or add_macos_file(), or name another file in {setter}"
    )]
    ExecutableMissing {
        executable: String,
        available: String,
        setter: &'static str,
    },
    #[error(
        "the bundle executable Contents/MacOS/{executable} is a symbolic link; CFBundleExecutable must name a regular file"
    )]
    ExecutableSymlink { executable: String },
    #[error("the bundle executable Contents/MacOS/{executable} (CFBundleExecutable) is not a Mach-O image: {source}")]
    ExecutableNotMachO {
        executable: String,
        #[source]
        source: UniversalError,
    },
    #[error("the bundle icon is not an .icns file: {reason}; convert it with iconutil or another .icns writer")]
    Icon { reason: String },
    #[error("the Info.plist key {key} is set by the bundle itself; {hint} instead of set_info_plist_key({key:?}, …)")]
    ReservedKey { key: String, hint: &'static str },
    #[error(
        "the Info.plist key {key} is set twice, to {first:?} and {second:?}; set it once (set_info_plist_key or the bundle's own setting)"
    )]
    KeySetTwice {
        key: &'static str,
        first: String,
        second: String,
    },
    #[error("the Info.plist key {key} must be {expected}")]
    KeyType { key: String, expected: &'static str },
    #[error("the bundle directory {prefix:?} cannot hold other files: {reason}")]
    Prefix { prefix: String, reason: &'static str },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("cannot write Info.plist: {0}")]
    Plist(#[from] plist::Error),
}

/// What `Info.plist` says, and the icon.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppBundleSpec {
    /// `Greeter` for `Greeter.app`; also `CFBundleName`.
    pub bundle_name: String,
    /// `CFBundleDisplayName` (required).
    pub display_name: Option<String>,
    /// `CFBundleIdentifier`, reverse DNS (required).
    pub identifier: Option<String>,
    /// `CFBundleVersion` (required).
    pub version: Option<String>,
    /// `CFBundleShortVersionString`; defaults to the version.
    pub short_version: Option<String>,
    /// `CFBundleExecutable`: a file name of [`BundleParts::macos`] (required).
    pub executable: Option<String>,
    /// `CFBundleSignature`: four characters; defaults to [`DEFAULT_SIGNATURE`].
    pub signature: Option<String>,
    /// `LSMinimumSystemVersion`; defaults to [`DEFAULT_MINIMUM_SYSTEM_VERSION`].
    pub minimum_system_version: Option<String>,
    /// The bytes of an `.icns` file, installed as `Resources/NAME.icns`.
    pub icon: Option<Vec<u8>>,
    /// Other keys (`set_info_plist_key`).
    pub extra_keys: BTreeMap<String, plist::Value>,
}

/// The files of a bundle, by directory below `Contents`.
#[derive(Clone, Debug, Default)]
pub struct BundleParts {
    /// `Contents/MacOS`: the executable and whatever lives beside it.
    pub macos: FileManifest,
    /// `Contents/Resources`.
    pub resources: FileManifest,
    /// `Contents/Frameworks`.
    pub frameworks: FileManifest,
    /// Other directories below `Contents` (`SharedSupport`, `PlugIns`, …), by path.
    pub other: Vec<(String, FileManifest)>,
}

/// Keys the bundle derives from the spec, and what to call instead of `set_info_plist_key`.
const RESERVED_KEYS: &[(&str, &str)] = &[
    ("CFBundleDisplayName", "pass it to set_info_plist_required_keys"),
    ("CFBundleExecutable", "pass it to set_info_plist_required_keys"),
    ("CFBundleIconFile", "use add_icon"),
    ("CFBundleIdentifier", "pass it to set_info_plist_required_keys"),
    ("CFBundleInfoDictionaryVersion", "leave it to the bundle (always 6.0)"),
    ("CFBundleName", "name the bundle in MacOsApplicationBundleBuilder"),
    ("CFBundlePackageType", "leave it to the bundle (always APPL)"),
    ("CFBundleSignature", "pass it to set_info_plist_required_keys"),
    ("CFBundleVersion", "pass it to set_info_plist_required_keys"),
];

/// The bundle as a manifest whose single top-level directory is `NAME.app`.
pub fn app_bundle(spec: &AppBundleSpec, parts: &BundleParts) -> Result<FileManifest, BundleError> {
    let plist = info_plist_xml(spec)?;
    let signature = spec.signature.as_deref().unwrap_or(DEFAULT_SIGNATURE);
    let executable = spec.executable.as_deref().unwrap_or_default();
    let contents = ManifestPath::new(&format!("{}.app/Contents", spec.bundle_name))?;
    let at = |relative: &str| ManifestPath::new(relative).map(|p| p.under(&contents));

    let mut bundle = FileManifest::new();
    bundle.add_file(
        at("Info.plist")?,
        FileEntry::from_bytes(plist, false, "the bundle's Info.plist"),
    )?;
    let pkg_info = format!("APPL{signature}").into_bytes();
    bundle.add_file(
        at("PkgInfo")?,
        FileEntry::from_bytes(pkg_info, false, "the bundle's PkgInfo"),
    )?;

    // The executable: a regular Mach-O file of Contents/MacOS, installed 0755.
    let exe_path = ManifestPath::new(executable)?;
    let mut macos = FileManifest::new();
    for (path, entry) in parts.macos.entries() {
        if *path != exe_path {
            macos.add(path.clone(), entry.clone())?;
            continue;
        }
        let ManifestEntry::File(file) = entry else {
            return Err(BundleError::ExecutableSymlink {
                executable: executable.to_string(),
            });
        };
        macho_architectures(&file.data.read()?).map_err(|source| BundleError::ExecutableNotMachO {
            executable: executable.to_string(),
            source: relabel(source, &format!("Contents/MacOS/{executable}")),
        })?;
        macos.add_file(
            path.clone(),
            FileEntry {
                executable: true,
                ..file.clone()
            },
        )?;
    }
    if parts.macos.get(&exe_path).is_none() {
        let names: Vec<String> = parts
            .macos
            .entries()
            .filter(|(_, e)| matches!(e, ManifestEntry::File(_)))
            .map(|(p, _)| format!("{:?}", p.as_str()))
            .take(10)
            .collect();
        let available = if names.is_empty() {
            " (Contents/MacOS is empty)".to_string()
        } else {
            format!(" (it holds {})", names.join(", "))
        };
        return Err(BundleError::ExecutableMissing {
            executable: executable.to_string(),
            available,
            setter: REQUIRED_SETTER,
        });
    }
    bundle.add_manifest(&macos, Some(&at("MacOS")?))?;
    bundle.add_manifest(&parts.resources, Some(&at("Resources")?))?;
    if let Some(icon) = &spec.icon {
        let name = format!("Resources/{}.icns", spec.bundle_name);
        bundle.add_file(
            at(&name)?,
            FileEntry::from_bytes(icon.clone(), false, "the bundle icon (add_icon)"),
        )?;
    }
    bundle.add_manifest(&parts.frameworks, Some(&at("Frameworks")?))?;
    for (prefix, manifest) in &parts.other {
        let path = ManifestPath::new(prefix).map_err(|_| BundleError::Prefix {
            prefix: prefix.clone(),
            reason: "it is not a relative path below Contents",
        })?;
        if matches!(path.as_str(), "Info.plist" | "PkgInfo") {
            return Err(BundleError::Prefix {
                prefix: prefix.clone(),
                reason: "it is a file the bundle writes",
            });
        }
        bundle.add_manifest(manifest, Some(&path.under(&contents)))?;
    }
    Ok(bundle)
}

/// The bundle's `Info.plist`, as XML (see the module documentation).
/// Validates the whole spec except the executable's presence and contents,
/// which [`app_bundle`] checks against the parts.
pub fn info_plist_xml(spec: &AppBundleSpec) -> Result<Vec<u8>, BundleError> {
    let mut buf = Vec::new();
    plist::Value::Dictionary(info_plist(spec)?).to_writer_xml(&mut buf)?;
    buf.push(b'\n');
    Ok(buf)
}

/// The `Info.plist` dictionary, keys sorted at every level.
fn info_plist(spec: &AppBundleSpec) -> Result<plist::Dictionary, BundleError> {
    validate_bundle_name(&spec.bundle_name)?;
    let required = |key: &'static str, value: &Option<String>| -> Result<String, BundleError> {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(BundleError::MissingKey {
                key,
                setter: REQUIRED_SETTER,
            }),
        }
    };
    let display_name = required("CFBundleDisplayName", &spec.display_name)?;
    let identifier = required("CFBundleIdentifier", &spec.identifier)?;
    let version = required("CFBundleVersion", &spec.version)?;
    let executable = required("CFBundleExecutable", &spec.executable)?;
    if display_name.chars().any(char::is_control) {
        return Err(BundleError::DisplayName {
            name: display_name,
            reason: "it contains a control character",
        });
    }
    validate_identifier(&identifier)?;
    validate_version("CFBundleVersion", &version)?;
    if executable.contains('/') || executable == "." || executable == ".." || executable.contains('\0') {
        return Err(BundleError::ExecutableMissing {
            executable,
            available: " (it must be a file name, directly in Contents/MacOS)".into(),
            setter: REQUIRED_SETTER,
        });
    }
    let signature = spec.signature.clone().unwrap_or_else(|| DEFAULT_SIGNATURE.into());
    if signature.len() != 4 || !signature.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(BundleError::Signature { signature });
    }
    if let Some(icon) = &spec.icon {
        validate_icns(icon)?;
    }

    let mut extra = spec.extra_keys.clone();
    for key in extra.keys() {
        if key.is_empty() {
            return Err(BundleError::KeyType {
                key: key.clone(),
                expected: "a non-empty name",
            });
        }
        if let Some((_, hint)) = RESERVED_KEYS.iter().find(|(k, _)| k == key) {
            return Err(BundleError::ReservedKey { key: key.clone(), hint });
        }
    }
    // Keys with a setting of their own that set_info_plist_key may also give.
    let mut one_of = |key: &'static str, field: &Option<String>, default: &str| -> Result<String, BundleError> {
        let from_key = match extra.remove(key) {
            None => None,
            Some(plist::Value::String(s)) => Some(s),
            Some(_) => {
                return Err(BundleError::KeyType {
                    key: key.into(),
                    expected: "a string",
                });
            }
        };
        match (field, from_key) {
            (Some(a), Some(b)) if *a != b => Err(BundleError::KeySetTwice {
                key,
                first: a.clone(),
                second: b,
            }),
            (Some(a), _) => Ok(a.clone()),
            (None, Some(b)) => Ok(b),
            (None, None) => Ok(default.to_string()),
        }
    };
    let short_version = one_of("CFBundleShortVersionString", &spec.short_version, &version)?;
    validate_version("CFBundleShortVersionString", &short_version)?;
    let minimum = one_of(
        "LSMinimumSystemVersion",
        &spec.minimum_system_version,
        DEFAULT_MINIMUM_SYSTEM_VERSION,
    )?;
    validate_version("LSMinimumSystemVersion", &minimum)?;

    let s = |v: &str| plist::Value::String(v.to_string());
    let mut keys: BTreeMap<String, plist::Value> = BTreeMap::new();
    keys.insert("CFBundleDevelopmentRegion".into(), s("en"));
    keys.insert("NSHighResolutionCapable".into(), plist::Value::Boolean(true));
    // set_info_plist_key may replace the two defaults above, not the rest.
    keys.extend(extra);
    keys.insert("CFBundleDisplayName".into(), s(&display_name));
    keys.insert("CFBundleExecutable".into(), s(&executable));
    if spec.icon.is_some() {
        keys.insert("CFBundleIconFile".into(), s(&format!("{}.icns", spec.bundle_name)));
    }
    keys.insert("CFBundleIdentifier".into(), s(&identifier));
    keys.insert("CFBundleInfoDictionaryVersion".into(), s("6.0"));
    keys.insert("CFBundleName".into(), s(&spec.bundle_name));
    keys.insert("CFBundlePackageType".into(), s("APPL"));
    keys.insert("CFBundleShortVersionString".into(), s(&short_version));
    keys.insert("CFBundleSignature".into(), s(&signature));
    keys.insert("CFBundleVersion".into(), s(&version));
    keys.insert("LSMinimumSystemVersion".into(), s(&minimum));

    let mut dict = plist::Dictionary::new();
    for (key, mut value) in keys {
        sort_nested(&mut value);
        dict.insert(key, value);
    }
    Ok(dict)
}

/// Sorts the keys of every dictionary inside `value`.
fn sort_nested(value: &mut plist::Value) {
    match value {
        plist::Value::Dictionary(dict) => {
            dict.sort_keys();
            for (_, v) in dict.iter_mut() {
                sort_nested(v);
            }
        }
        plist::Value::Array(items) => items.iter_mut().for_each(sort_nested),
        _ => {}
    }
}

fn validate_bundle_name(name: &str) -> Result<(), BundleError> {
    let err = |reason| BundleError::BundleName {
        name: name.to_string(),
        reason,
    };
    if name.trim().is_empty() {
        return Err(err("it is empty"));
    }
    if name != name.trim() {
        return Err(err("it starts or ends with white space"));
    }
    if name.contains(['/', ':', '\\', '\0']) || name.chars().any(char::is_control) {
        return Err(err("it contains '/', ':', '\\' or a control character"));
    }
    if name.to_ascii_lowercase().ends_with(".app") {
        return Err(err("it ends in .app, which the bundle adds itself"));
    }
    if name.starts_with('.') {
        return Err(err("it starts with '.', which hides it in the Finder"));
    }
    Ok(())
}

fn validate_identifier(identifier: &str) -> Result<(), BundleError> {
    let err = |reason| BundleError::Identifier {
        identifier: identifier.to_string(),
        reason,
    };
    if !identifier
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(err("it contains a character other than A-Z, a-z, 0-9, '.' and '-'"));
    }
    if identifier.split('.').any(str::is_empty) {
        return Err(err("it has an empty label (a leading, trailing or doubled '.')"));
    }
    if !identifier.contains('.') {
        return Err(err("it has a single label"));
    }
    if identifier.len() > 255 {
        return Err(err("it is longer than 255 characters"));
    }
    Ok(())
}

/// One to three dot-separated integers.
fn validate_version(key: &'static str, version: &str) -> Result<(), BundleError> {
    let err = |reason: String| BundleError::Version {
        key,
        version: version.to_string(),
        reason,
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() > 3 {
        return Err(err(format!("it has {} components", parts.len())));
    }
    for part in parts {
        if part.is_empty() {
            return Err(err("it has an empty component".into()));
        }
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("the component {part:?} is not an integer")));
        }
        if part.len() > 9 {
            return Err(err(format!("the component {part} is too large")));
        }
    }
    Ok(())
}

/// An `.icns` file starts with `icns` and its total length (big-endian).
fn validate_icns(icon: &[u8]) -> Result<(), BundleError> {
    let err = |reason: String| BundleError::Icon { reason };
    if icon.len() < 8 {
        return Err(err(format!("it is only {} bytes long", icon.len())));
    }
    if &icon[..4] != b"icns" {
        return Err(err(format!("it starts with {:02x?}, not \"icns\"", &icon[..4])));
    }
    let declared = u32::from_be_bytes(icon[4..8].try_into().unwrap());
    if declared as usize != icon.len() {
        return Err(err(format!(
            "its header gives a length of {declared} bytes but the file has {}",
            icon.len()
        )));
    }
    Ok(())
}

/// Names the executable in a Mach-O error instead of "the input".
fn relabel(error: UniversalError, label: &str) -> UniversalError {
    match error {
        UniversalError::NotMachO { reason, .. } => UniversalError::NotMachO {
            label: label.to_string(),
            reason,
        },
        other => other,
    }
}
