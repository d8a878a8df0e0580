//! `WiXMSIBuilder`: how an application is packaged as an MSI.
//!
//! PyOxidizer's name and constructor are kept, although no WiX is involved:
//! oxdist writes the database itself (`oxdist_installers::msi`).
//!
//! ```python
//! msi = WiXMSIBuilder("org.example.greeter", "Greeter", "1.2.3", "Example Org")
//! msi.add_program_files_manifest(files)   # what lands in the installation folder
//! msi.scope = "per-user"                  # oxdist: no elevation prompt; default "per-machine"
//! msi.help_url = "https://example.org/help"
//! msi.msi_filename = "greeter.msi"        # default NAME-VERSION-TRIPLE.msi
//! msi.add_shortcut("greeter.exe", "Greeter", desktop = True)   # oxdist: Start menu (+ desktop)
//! msi.add_to_path = ""                    # oxdist: the installation folder on PATH
//! msi.license_path = "LICENSE.rtf"        # the license page (plain text or RTF)
//! msi.product_icon_path = "greeter.ico"   # "Apps & features" and shortcut icon
//!
//! msi = exe.to_wix_msi_builder("org.example.greeter", "Greeter", "1.2.3", "Example Org")
//! ```
//!
//! A target returning one is packaged with `oxdist package --format msi`;
//! a plain manifest or executable gets the defaults (see
//! `commands/package.rs`).

use std::fmt;
use std::sync::{Mutex, MutexGuard};

use allocative::Allocative;
use oxdist_installers::msi::{MsiScope, MsiShortcut, MsiSpec};
use oxdist_installers::{FileManifest, ManifestPath};
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

use super::executable;
use super::file_manifest::{manifest_executables_of, manifest_of};

/// What `oxdist package --format msi` needs from a `WiXMSIBuilder`.
#[derive(Clone, Debug)]
pub struct MsiTarget {
    /// The installation folder's contents, merged from every
    /// `add_program_files_manifest` call.
    pub contents: FileManifest,
    /// The executables inside the contents, for the license audit.
    pub executables: Vec<crate::embedding::executable::ExecutableSpec>,
    pub spec: MsiSpec,
    /// `product_version`: the version the MSI is built for (the package
    /// metadata's version is replaced by it).
    pub product_version: String,
    /// `msi_filename`: the artifact's file name, else the default.
    pub file_name: Option<String>,
    /// `arch` (`x64`, `x86`, `arm64`), checked against the target triple.
    pub arch: Option<String>,
    /// `license_path`: the text (plain or RTF) of the license page,
    /// relative to the configuration; read when packaging.
    pub license_path: Option<String>,
    /// `product_icon_path`: the `.ico` shown in "Apps & features" and on
    /// the shortcuts, relative to the configuration; read when packaging.
    pub product_icon_path: Option<String>,
}

/// A `WiXMSIBuilder` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct MsiValue(#[allocative(skip)] Mutex<MsiTarget>);

impl MsiValue {
    fn inner(&self) -> MutexGuard<'_, MsiTarget> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for MsiValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WiXMSIBuilder")
    }
}

impl fmt::Display for MsiValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner();
        write!(
            f,
            "WiXMSIBuilder<{}, {} entries>",
            inner.spec.app_id,
            inner.contents.len()
        )
    }
}

starlark_simple_value!(MsiValue);
starlark::methods_static!(MSI_METHODS = msi_methods);

fn scope_name(scope: MsiScope) -> &'static str {
    match scope {
        MsiScope::PerUser => "per-user",
        MsiScope::PerMachine => "per-machine",
    }
}

/// A string attribute's value, or `None`.
fn opt_string(value: Value<'_>, attribute: &str) -> anyhow::Result<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    match value.unpack_str() {
        Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(_) => anyhow::bail!("WiXMSIBuilder.{attribute} must not be empty (use None for the default)"),
        None => anyhow::bail!("WiXMSIBuilder.{attribute} takes a string, not {}", value.get_type()),
    }
}

#[starlark_value(type = "WiXMSIBuilder")]
impl<'v> StarlarkValue<'v> for MsiValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(MSI_METHODS.methods())
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let inner = self.inner();
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::new_none(), |s| heap.alloc(s));
        Some(match attribute {
            "id_prefix" => heap.alloc(inner.spec.app_id.as_str()),
            "product_name" => opt(&inner.spec.product_name),
            "product_version" => heap.alloc(inner.product_version.as_str()),
            "product_manufacturer" => opt(&inner.spec.manufacturer),
            "help_url" => opt(&inner.spec.help_url),
            "msi_filename" => opt(&inner.file_name),
            "scope" => heap.alloc(scope_name(inner.spec.scope)),
            "arch" => opt(&inner.arch),
            "add_to_path" => opt(&inner.spec.add_to_path),
            "license_path" => opt(&inner.license_path),
            "product_icon_path" => opt(&inner.product_icon_path),
            _ => return None,
        })
    }

    fn dir_attr(&self) -> Vec<String> {
        [
            "add_to_path",
            "arch",
            "help_url",
            "id_prefix",
            "license_path",
            "msi_filename",
            "product_manufacturer",
            "product_icon_path",
            "product_name",
            "product_version",
            "scope",
        ]
        .map(String::from)
        .to_vec()
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        let mut inner = self.inner();
        match attribute {
            "help_url" => inner.spec.help_url = opt_string(value, attribute)?,
            "license_path" => inner.license_path = opt_string(value, attribute)?,
            "product_icon_path" => {
                let path = opt_string(value, attribute)?;
                if let Some(path) = &path
                    && !path.to_ascii_lowercase().ends_with(".ico")
                {
                    return Err(anyhow::anyhow!(
                        "WiXMSIBuilder.product_icon_path = {path:?}: expected an icon file (.ico)"
                    )
                    .into());
                }
                inner.product_icon_path = path;
            }
            // "" (the installation folder itself) is a value here, not a mistake.
            "add_to_path" => {
                inner.spec.add_to_path = match value.unpack_str() {
                    _ if value.is_none() => None,
                    Some(dir) => Some(dir.trim_matches('/').to_string()),
                    None => {
                        return Err(anyhow::anyhow!(
                            "WiXMSIBuilder.add_to_path takes a directory of the installed tree (\"\" for the installation folder) or None, not {}",
                            value.get_type()
                        )
                        .into());
                    }
                }
            }
            "msi_filename" => {
                let name = opt_string(value, attribute)?;
                if let Some(name) = &name
                    && (!name.ends_with(".msi") || name.contains(['/', '\\']))
                {
                    return Err(anyhow::anyhow!(
                        "WiXMSIBuilder.msi_filename = {name:?}: expected a file name ending in .msi, without directories"
                    )
                    .into());
                }
                inner.file_name = name;
            }
            "scope" => {
                inner.spec.scope = match value.unpack_str() {
                    Some("per-user") => MsiScope::PerUser,
                    Some("per-machine") => MsiScope::PerMachine,
                    _ => {
                        return Err(anyhow::anyhow!(
                            "WiXMSIBuilder.scope = {value}: expected \"per-user\" or \"per-machine\""
                        )
                        .into());
                    }
                }
            }
            "arch" | "id_prefix" | "product_name" | "product_version" | "product_manufacturer" => {
                return Err(anyhow::anyhow!("WiXMSIBuilder.{attribute} is set by the constructor").into());
            }
            _ => return Err(anyhow::anyhow!("WiXMSIBuilder has no attribute {attribute:?}").into()),
        }
        Ok(())
    }
}

#[starlark_module]
fn msi_methods(builder: &mut MethodsBuilder) {
    /// Adds `manifest` (a FileManifest or a PythonExecutable) to the
    /// installation folder.
    fn add_program_files_manifest<'v>(this: &MsiValue, manifest: Value<'v>) -> anyhow::Result<NoneType> {
        add_contents(this, manifest)?;
        Ok(NoneType)
    }

    /// A Start-menu shortcut (and with `desktop = True` a desktop one) to
    /// the installed file `target` (a path of the installed tree), shown as
    /// `name`. Checked against the contents when the MSI is written.
    fn add_shortcut<'v>(
        this: &MsiValue,
        target: &str,
        name: &str,
        #[starlark(require = named, default = false)] desktop: bool,
        #[starlark(require = named, default = NoneOr::None)] description: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        this.inner().spec.shortcuts.push(MsiShortcut {
            target: target.trim_start_matches('/').to_string(),
            name: name.to_string(),
            desktop,
            description: description.into_option().map(str::to_string),
        });
        Ok(NoneType)
    }
}

/// Merges a FileManifest's entries (or a PythonExecutable, which cannot be
/// laid out before it is built, so it must be the only contents) into the
/// builder.
fn add_contents(this: &MsiValue, value: Value<'_>) -> anyhow::Result<()> {
    let mut inner = this.inner();
    if let Some(manifest) = manifest_of(value) {
        inner.contents.add_manifest(&manifest, None::<&ManifestPath>)?;
        inner
            .executables
            .extend(manifest_executables_of(value).unwrap_or_default());
        return Ok(());
    }
    if executable::executable_of(value).is_some() {
        anyhow::bail!(
            "add_program_files_manifest takes a FileManifest; put the executable in one first (files = FileManifest(); files.add_python_resource(\".\", exe))"
        );
    }
    anyhow::bail!(
        "add_program_files_manifest takes a FileManifest, not {}",
        value.get_type()
    )
}

#[starlark_module]
pub(crate) fn msi_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// An MSI of the files added with `add_program_files_manifest`.
    /// `id_prefix` is the stable id every GUID derives from: never change it.
    fn WiXMSIBuilder<'v>(
        id_prefix: &str,
        product_name: &str,
        product_version: &str,
        product_manufacturer: &str,
        #[starlark(require = named, default = NoneOr::None)] arch: NoneOr<&str>,
    ) -> anyhow::Result<MsiValue> {
        let arch = arch.into_option().map(str::to_string);
        new_builder(id_prefix, product_name, product_version, product_manufacturer, arch)
    }
}

/// A `WiXMSIBuilder`, its arguments checked.
fn new_builder(
    id_prefix: &str,
    product_name: &str,
    product_version: &str,
    product_manufacturer: &str,
    arch: Option<String>,
) -> anyhow::Result<MsiValue> {
    if let Some(arch) = &arch
        && !["x64", "x86", "arm64"].contains(&arch.as_str())
    {
        anyhow::bail!("WiXMSIBuilder(arch = {arch:?}): expected \"x64\", \"x86\" or \"arm64\"");
    }
    for (name, value) in [
        ("id_prefix", id_prefix),
        ("product_name", product_name),
        ("product_version", product_version),
        ("product_manufacturer", product_manufacturer),
    ] {
        if value.trim().is_empty() {
            anyhow::bail!("WiXMSIBuilder: {name} must not be empty");
        }
    }
    let mut spec = MsiSpec::new(id_prefix.trim());
    spec.product_name = Some(product_name.trim().to_string());
    spec.manufacturer = Some(product_manufacturer.trim().to_string());
    Ok(MsiValue(Mutex::new(MsiTarget {
        contents: FileManifest::new(),
        executables: Vec::new(),
        spec,
        product_version: product_version.trim().to_string(),
        file_name: None,
        arch,
        license_path: None,
        product_icon_path: None,
    })))
}

/// `exe.to_wix_msi_builder(...)`: a `WiXMSIBuilder` whose installation
/// folder holds the executable and the files it needs beside it (built now,
/// like `FileManifest.add_python_resource(".", exe)`), with a Start-menu
/// shortcut to it named after the product.
pub(crate) fn builder_for_executable<'v>(
    exe: Value<'v>,
    id_prefix: &str,
    product_name: &str,
    product_version: &str,
    product_manufacturer: &str,
    eval: &mut starlark::eval::Evaluator<'v, '_, '_>,
) -> anyhow::Result<MsiValue> {
    let builder = new_builder(id_prefix, product_name, product_version, product_manufacturer, None)?;
    let files = super::file_manifest::FileManifestValue::default();
    super::file_manifest::add_python_value(&files, ".", exe, eval)?;
    {
        let mut inner = builder.inner();
        inner.contents.add_manifest(&files.manifest(), None::<&ManifestPath>)?;
        inner.executables.extend(files.executables().iter().cloned());
        let spec = executable::executable_of(exe).expect("to_wix_msi_builder is a method of executables");
        let program = inner
            .contents
            .entries()
            .map(|(path, _)| path.as_str())
            .find(|path| {
                path.rsplit('/')
                    .next()
                    .is_some_and(|name| name == format!("{}.exe", spec.name))
            })
            .map(str::to_string);
        if let Some(program) = program {
            let name = product_name.trim().to_string();
            inner.spec.shortcuts.push(MsiShortcut {
                target: program,
                name,
                desktop: false,
                description: None,
            });
        }
    }
    Ok(builder)
}

/// The MSI settings behind a target's result, if it is a `WiXMSIBuilder`.
pub(crate) fn msi_of(value: Value<'_>) -> Option<MsiTarget> {
    use starlark::values::ValueLike;
    value.downcast_ref::<MsiValue>().map(|v| v.inner().clone())
}
