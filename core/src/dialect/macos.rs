//! macOS values, with PyOxidizer's names: `MacOsApplicationBundleBuilder`
//! (a `.app` bundle) and `AppleUniversalBinary` (thin Mach-O files merged
//! into one fat binary).
//!
//! ```python
//! bundle = MacOsApplicationBundleBuilder("Greeter")
//! bundle.set_info_plist_required_keys("Greeter", "org.example.greeter", "1.2.3", "GRTR", "greeter")
//! bundle.set_info_plist_key("LSMinimumSystemVersion", "12.0")
//! bundle.add_macos_manifest(files)          # Contents/MacOS
//! bundle.add_resources_manifest(resources)  # Contents/Resources
//! bundle.add_icon("greeter.icns")
//!
//! fat = AppleUniversalBinary("greeter")
//! fat.add_path("build/x86_64/greeter")
//! fat.add_path("build/arm64/greeter")
//! files.add_file(fat.to_file_content())
//! ```
//!
//! A target returning a bundle is packaged with `oxdist package --format
//! app,dmg` (see `commands/package.rs`).

// Starlark methods mirror PyOxidizer's keyword arguments one parameter each.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use allocative::Allocative;
use oxdist_installers::{FileData, FileManifest, ManifestPath};
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{NoSerialize, StarlarkValue, Value, starlark_value};

use super::file_manifest::{FileContent, FileContentValue, config_relative, manifest_executables_of, manifest_of};

/// A value of `set_info_plist_key`.
#[derive(Clone, Debug, PartialEq)]
pub enum PlistValue {
    String(String),
    Integer(i64),
    Boolean(bool),
}

/// What `oxdist package --format app,dmg` needs from a `MacOsApplicationBundleBuilder`.
#[derive(Clone, Debug, Default)]
pub struct AppBundleTarget {
    /// `Greeter` for `Greeter.app`.
    pub bundle_name: String,
    /// `set_info_plist_required_keys`.
    pub display_name: Option<String>,
    pub identifier: Option<String>,
    pub version: Option<String>,
    pub signature: Option<String>,
    pub executable: Option<String>,
    /// `set_info_plist_key`, last value wins.
    pub extra_keys: BTreeMap<String, PlistValue>,
    /// `Contents/MacOS`.
    pub macos: FileManifest,
    /// `Contents/Resources`.
    pub resources: FileManifest,
    /// `Contents/Frameworks`.
    pub frameworks: FileManifest,
    /// `add_manifest(manifest, prefix)`: other directories below `Contents`.
    pub other: Vec<(String, FileManifest)>,
    /// `add_icon`: the `.icns` file, read when packaging.
    pub icon: Option<std::path::PathBuf>,
    /// The executables inside, for the license audit.
    pub executables: Vec<crate::embedding::executable::ExecutableSpec>,
    /// `set_code_signature_options`: how `oxdist package` signs the bundle.
    pub code_signature: CodeSignatureOptions,
    /// `set_dmg_layout`: the DMG's Finder window; files are read when packaging.
    pub dmg_layout: Option<DmgLayoutSettings>,
}

/// `set_dmg_layout`: the Finder window of the DMG (`--format dmg`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmgLayoutSettings {
    pub background: Option<std::path::PathBuf>,
    pub volume_icon: Option<std::path::PathBuf>,
    pub icon_positions: BTreeMap<String, (u32, u32)>,
    pub window_position: Option<(u32, u32)>,
    pub window_size: Option<(u32, u32)>,
    pub icon_size: Option<u16>,
}

/// How the bundle is code-signed (`set_code_signature_options`). The key is
/// the configuration's active `CodeSigner`; without one, ad-hoc.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeSignatureOptions {
    /// The hardened runtime on every Mach-O file (notarization requires it).
    pub hardened_runtime: bool,
    /// An XML entitlements plist for the main executable, read when packaging.
    pub entitlements: Option<std::path::PathBuf>,
    /// The Apple team ID (the `OU` of a Developer ID certificate).
    pub team_id: Option<String>,
}

/// A `MacOsApplicationBundleBuilder` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct AppBundleValue(#[allocative(skip)] Mutex<AppBundleTarget>);

impl AppBundleValue {
    fn inner(&self) -> MutexGuard<'_, AppBundleTarget> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for AppBundleValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacOsApplicationBundleBuilder")
    }
}

impl fmt::Display for AppBundleValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner();
        write!(f, "MacOsApplicationBundleBuilder<{}.app>", inner.bundle_name)
    }
}

starlark_simple_value!(AppBundleValue);
starlark::methods_static!(APP_BUNDLE_METHODS = app_bundle_methods);

#[starlark_value(type = "MacOsApplicationBundleBuilder")]
impl<'v> StarlarkValue<'v> for AppBundleValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(APP_BUNDLE_METHODS.methods())
    }
}

/// A FileManifest argument (or an error naming the method).
fn manifest_argument(method: &str, value: Value<'_>) -> anyhow::Result<FileManifest> {
    manifest_of(value).ok_or_else(|| anyhow::anyhow!("{method} takes a FileManifest, not {}", value.get_type()))
}

/// Adds a FileContent to `manifest` at `path` (default: its file name).
fn add_content(manifest: &mut FileManifest, content: &FileContent, path: Option<&str>) -> anyhow::Result<()> {
    let path = path.map_or_else(|| content.filename.clone(), |p| p.trim_matches('/').to_string());
    manifest.add_file(
        ManifestPath::new(&path)?,
        oxdist_installers::FileEntry {
            data: content.data.clone(),
            executable: content.executable,
            origin: content.origin.clone(),
        },
    )?;
    Ok(())
}

#[starlark_module]
fn app_bundle_methods(builder: &mut MethodsBuilder) {
    /// The Info.plist keys every bundle needs: `CFBundleDisplayName`,
    /// `CFBundleIdentifier`, `CFBundleVersion`, `CFBundleSignature` (four
    /// characters) and `CFBundleExecutable` (a file of `Contents/MacOS`).
    fn set_info_plist_required_keys<'v>(
        this: &AppBundleValue,
        display_name: &str,
        identifier: &str,
        version: &str,
        signature: &str,
        executable: &str,
    ) -> anyhow::Result<NoneType> {
        let mut inner = this.inner();
        inner.display_name = Some(display_name.to_string());
        inner.identifier = Some(identifier.to_string());
        inner.version = Some(version.to_string());
        inner.signature = Some(signature.to_string());
        inner.executable = Some(executable.to_string());
        Ok(NoneType)
    }

    /// Any other Info.plist key, with a string, integer or boolean value.
    fn set_info_plist_key<'v>(this: &AppBundleValue, key: &str, value: Value<'v>) -> anyhow::Result<NoneType> {
        let value = if let Some(s) = value.unpack_str() {
            PlistValue::String(s.to_string())
        } else if let Some(b) = value.unpack_bool() {
            PlistValue::Boolean(b)
        } else if let Some(i) = value.unpack_i32() {
            PlistValue::Integer(i.into())
        } else {
            anyhow::bail!(
                "set_info_plist_key({key:?}, ...): the value must be a string, an integer or a boolean, not {}",
                value.get_type()
            );
        };
        if key.trim().is_empty() {
            anyhow::bail!("set_info_plist_key: the key must not be empty");
        }
        this.inner().extra_keys.insert(key.to_string(), value);
        Ok(NoneType)
    }

    /// Adds a FileManifest to `Contents/MacOS` (the executables).
    fn add_macos_manifest<'v>(this: &AppBundleValue, manifest: Value<'v>) -> anyhow::Result<NoneType> {
        let files = manifest_argument("add_macos_manifest", manifest)?;
        let mut inner = this.inner();
        inner.macos.add_manifest(&files, None::<&ManifestPath>)?;
        inner
            .executables
            .extend(manifest_executables_of(manifest).unwrap_or_default());
        Ok(NoneType)
    }

    /// Adds a FileContent to `Contents/MacOS`, at `path` (default: its file name).
    fn add_macos_file<'v>(
        this: &AppBundleValue,
        content: &FileContentValue,
        #[starlark(default = NoneOr::None)] path: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        add_content(&mut this.inner().macos, &content.content(), path.into_option())?;
        Ok(NoneType)
    }

    /// Adds a FileManifest to `Contents/Resources`.
    fn add_resources_manifest<'v>(this: &AppBundleValue, manifest: Value<'v>) -> anyhow::Result<NoneType> {
        let files = manifest_argument("add_resources_manifest", manifest)?;
        let mut inner = this.inner();
        inner.resources.add_manifest(&files, None::<&ManifestPath>)?;
        inner
            .executables
            .extend(manifest_executables_of(manifest).unwrap_or_default());
        Ok(NoneType)
    }

    /// Adds a FileContent to `Contents/Resources`, at `path` (default: its file name).
    fn add_resources_file<'v>(
        this: &AppBundleValue,
        content: &FileContentValue,
        #[starlark(default = NoneOr::None)] path: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        add_content(&mut this.inner().resources, &content.content(), path.into_option())?;
        Ok(NoneType)
    }

    /// Adds a FileManifest below `Contents/PREFIX` (`Frameworks` for
    /// frameworks and dylibs, `SharedSupport`, …).
    fn add_manifest<'v>(this: &AppBundleValue, manifest: Value<'v>, prefix: &str) -> anyhow::Result<NoneType> {
        let files = manifest_argument("add_manifest", manifest)?;
        let prefix = prefix.trim_matches('/');
        ManifestPath::new(prefix).map_err(|e| anyhow::anyhow!("add_manifest(prefix = {prefix:?}): {e}"))?;
        if ["MacOS", "Resources", "Info.plist", "PkgInfo", "_CodeSignature"]
            .iter()
            .any(|reserved| prefix == *reserved || prefix.starts_with(&format!("{reserved}/")))
            && prefix != "Resources"
            && prefix != "MacOS"
        {
            anyhow::bail!("add_manifest(prefix = {prefix:?}): that part of the bundle is written by oxdist");
        }
        let mut inner = this.inner();
        match prefix {
            "MacOS" => inner.macos.add_manifest(&files, None::<&ManifestPath>)?,
            "Resources" => inner.resources.add_manifest(&files, None::<&ManifestPath>)?,
            "Frameworks" => inner.frameworks.add_manifest(&files, None::<&ManifestPath>)?,
            _ => inner.other.push((prefix.to_string(), files)),
        }
        inner
            .executables
            .extend(manifest_executables_of(manifest).unwrap_or_default());
        Ok(NoneType)
    }

    /// The bundle's icon: an `.icns` file, relative to the configuration.
    fn add_icon<'v>(this: &AppBundleValue, path: &str, eval: &mut Evaluator<'v, '_, '_>) -> anyhow::Result<NoneType> {
        let path = config_relative(eval, path)?;
        if !path.is_file() {
            anyhow::bail!("add_icon: {} is not a file", path.display());
        }
        this.inner().icon = Some(path);
        Ok(NoneType)
    }

    /// The DMG's Finder window (`--format dmg`): a PNG `background_path` and
    /// an `.icns` `volume_icon_path` (relative to the configuration), icon
    /// centres by top-level name (`{"Greeter.app": (160, 200),
    /// "Applications": (480, 200)}`), the window's position and size
    /// (default: the background's size) and the icon size in points.
    fn set_dmg_layout<'v>(
        this: &AppBundleValue,
        #[starlark(require = named, default = NoneOr::None)] background_path: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] volume_icon_path: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] icon_positions: NoneOr<Value<'v>>,
        #[starlark(require = named, default = NoneOr::None)] window_position: NoneOr<Value<'v>>,
        #[starlark(require = named, default = NoneOr::None)] window_size: NoneOr<Value<'v>>,
        #[starlark(require = named, default = NoneOr::None)] icon_size: NoneOr<i32>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let file = |what: &str, path: NoneOr<&str>, eval: &mut Evaluator<'v, '_, '_>| -> anyhow::Result<_> {
            match path.into_option() {
                Some(path) => {
                    let path = config_relative(eval, path)?;
                    if !path.is_file() {
                        anyhow::bail!("set_dmg_layout: {what} {} is not a file", path.display());
                    }
                    Ok(Some(path))
                }
                None => Ok(None),
            }
        };
        let point = |what: &str, value: Value<'v>| -> anyhow::Result<(u32, u32)> {
            let items: Option<Vec<i32>> = starlark::values::tuple::TupleRef::from_value(value)
                .map(|t| t.content().iter().map(|v| v.unpack_i32()).collect::<Option<Vec<_>>>())
                .or_else(|| {
                    starlark::values::list::ListRef::from_value(value)
                        .map(|l| l.content().iter().map(|v| v.unpack_i32()).collect::<Option<Vec<_>>>())
                })
                .flatten();
            match items.as_deref() {
                Some(&[x, y]) if x >= 0 && y >= 0 => Ok((x as u32, y as u32)),
                _ => anyhow::bail!(
                    "set_dmg_layout: {what} must be a pair of non-negative integers such as (160, 200), not {value}"
                ),
            }
        };
        let mut positions = BTreeMap::new();
        if let Some(value) = icon_positions.into_option() {
            let dict = starlark::values::dict::DictRef::from_value(value).ok_or_else(|| {
                anyhow::anyhow!(
                    "set_dmg_layout: icon_positions must be a dict of name to (x, y), not {}",
                    value.get_type()
                )
            })?;
            for (name, at) in dict.iter() {
                let name = name
                    .unpack_str()
                    .ok_or_else(|| anyhow::anyhow!("set_dmg_layout: icon_positions keys must be names, not {name}"))?;
                positions.insert(name.to_string(), point(&format!("icon_positions[{name:?}]"), at)?);
            }
        }
        let icon_size = match icon_size.into_option() {
            Some(size) => Some(
                u16::try_from(size)
                    .ok()
                    .filter(|s| (16..=512).contains(s))
                    .ok_or_else(|| anyhow::anyhow!("set_dmg_layout: icon_size {size} must be 16 to 512"))?,
            ),
            None => None,
        };
        let settings = DmgLayoutSettings {
            background: file("background_path", background_path, eval)?,
            volume_icon: file("volume_icon_path", volume_icon_path, eval)?,
            icon_positions: positions,
            window_position: window_position
                .into_option()
                .map(|v| point("window_position", v))
                .transpose()?,
            window_size: window_size.into_option().map(|v| point("window_size", v)).transpose()?,
            icon_size,
        };
        this.inner().dmg_layout = Some(settings);
        Ok(NoneType)
    }

    /// How `oxdist package --format app,dmg` signs the bundle: with the
    /// active `CodeSigner` if there is one, else ad-hoc. `hardened_runtime`
    /// (required for notarization) applies to every Mach-O file,
    /// `entitlements_path` (an XML plist, relative to the configuration) to
    /// the main executable, `team_id` to every code directory.
    fn set_code_signature_options<'v>(
        this: &AppBundleValue,
        #[starlark(require = named, default = false)] hardened_runtime: bool,
        #[starlark(require = named, default = NoneOr::None)] entitlements_path: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] team_id: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let entitlements = match entitlements_path.into_option() {
            Some(path) => {
                let path = config_relative(eval, path)?;
                if !path.is_file() {
                    anyhow::bail!(
                        "set_code_signature_options: entitlements_path {} is not a file",
                        path.display()
                    );
                }
                Some(path)
            }
            None => None,
        };
        let team_id = team_id.into_option().map(str::to_string);
        if let Some(team) = &team_id
            && (team.is_empty() || !team.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            anyhow::bail!(
                "set_code_signature_options: team_id {team:?} must be letters and digits (such as \"ABCDE12345\")"
            );
        }
        this.inner().code_signature = CodeSignatureOptions {
            hardened_runtime,
            entitlements,
            team_id,
        };
        Ok(NoneType)
    }
}

/// An `AppleUniversalBinary` value: thin Mach-O files to merge.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct UniversalBinaryValue(#[allocative(skip)] Mutex<(String, Vec<FileContent>)>);

impl UniversalBinaryValue {
    fn inner(&self) -> MutexGuard<'_, (String, Vec<FileContent>)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for UniversalBinaryValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppleUniversalBinary")
    }
}

impl fmt::Display for UniversalBinaryValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner();
        write!(f, "AppleUniversalBinary<{}, {} inputs>", inner.0, inner.1.len())
    }
}

starlark_simple_value!(UniversalBinaryValue);
starlark::methods_static!(UNIVERSAL_BINARY_METHODS = universal_binary_methods);

#[starlark_value(type = "AppleUniversalBinary")]
impl<'v> StarlarkValue<'v> for UniversalBinaryValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(UNIVERSAL_BINARY_METHODS.methods())
    }
}

#[starlark_module]
fn universal_binary_methods(builder: &mut MethodsBuilder) {
    /// Adds a thin (or fat) Mach-O file, relative to the configuration.
    fn add_path<'v>(
        this: &UniversalBinaryValue,
        path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let fs_path = config_relative(eval, path)?;
        if !fs_path.is_file() {
            anyhow::bail!("AppleUniversalBinary.add_path: {} is not a file", fs_path.display());
        }
        this.inner().1.push(FileContent {
            filename: path.to_string(),
            executable: true,
            origin: format!("file {}", fs_path.display()),
            data: FileData::Path(fs_path),
        });
        Ok(NoneType)
    }

    /// Adds a FileContent holding a Mach-O file.
    fn add_file<'v>(this: &UniversalBinaryValue, content: &FileContentValue) -> anyhow::Result<NoneType> {
        let content = content.content().clone();
        this.inner().1.push(content);
        Ok(NoneType)
    }

    /// The merged fat binary, as an executable FileContent named like the value.
    fn to_file_content(this: &UniversalBinaryValue) -> anyhow::Result<FileContentValue> {
        let inner = this.inner();
        let mut inputs = Vec::with_capacity(inner.1.len());
        for content in &inner.1 {
            let bytes = content
                .data
                .read()
                .map_err(|e| anyhow::anyhow!("AppleUniversalBinary({:?}): {e}", inner.0))?;
            inputs.push((content.origin.clone(), bytes.into_owned()));
        }
        let borrowed: Vec<(&str, &[u8])> = inputs.iter().map(|(l, b)| (l.as_str(), b.as_slice())).collect();
        let merged = oxdist_installers::macos::universal::universal_binary(&borrowed)
            .map_err(|e| anyhow::anyhow!("AppleUniversalBinary({:?}): {e}", inner.0))?;
        Ok(FileContentValue::new(FileContent {
            filename: inner.0.clone(),
            executable: true,
            origin: format!("AppleUniversalBinary({:?})", inner.0),
            data: FileData::Memory(std::sync::Arc::new(merged)),
        }))
    }
}

#[starlark_module]
pub(crate) fn macos_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// A macOS application bundle, `BUNDLE_NAME.app`.
    fn MacOsApplicationBundleBuilder(bundle_name: &str) -> anyhow::Result<AppBundleValue> {
        let name = bundle_name.trim();
        if name.is_empty() || name.contains(['/', ':']) || name.ends_with(".app") {
            anyhow::bail!(
                "MacOsApplicationBundleBuilder({bundle_name:?}): expected a bundle name without .app, '/' or ':', e.g. \"Greeter\""
            );
        }
        Ok(AppBundleValue(Mutex::new(AppBundleTarget {
            bundle_name: name.to_string(),
            ..AppBundleTarget::default()
        })))
    }

    /// A universal (fat) Mach-O binary named `filename`, merged from the
    /// thin files added to it.
    fn AppleUniversalBinary(filename: &str) -> anyhow::Result<UniversalBinaryValue> {
        if filename.trim().is_empty() || filename.contains('/') {
            anyhow::bail!("AppleUniversalBinary({filename:?}): expected a file name");
        }
        Ok(UniversalBinaryValue(Mutex::new((filename.to_string(), Vec::new()))))
    }
}

/// The bundle behind a target's result, if it is a `MacOsApplicationBundleBuilder`.
pub(crate) fn app_bundle_of(value: Value<'_>) -> Option<AppBundleTarget> {
    use starlark::values::ValueLike;
    value.downcast_ref::<AppBundleValue>().map(|v| v.inner().clone())
}
