//! Global functions of the dialect: targets, build path, package metadata,
//! and the PyOxidizer names that are not supported yet.

// Starlark signatures mirror the documented keyword arguments one to one;
// `#[starlark_module]` generates one Rust parameter per keyword.
#![allow(clippy::too_many_arguments)]

use std::fmt;

use allocative::Allocative;
use oxdist_installers::PackageMetadata;
use starlark::any::ProvidesStaticType;
use starlark::environment::GlobalsBuilder;
use starlark::eval::{Arguments, Evaluator};
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

use super::DialectError;
use super::state::{ConfigState, Target};

#[starlark_module]
pub(crate) fn target_globals(builder: &mut GlobalsBuilder) {
    /// Registers a target: `fn` is called with the results of `depends`, in order.
    fn register_target<'v>(
        name: &str,
        r#fn: Value<'v>,
        #[starlark(default = UnpackListOrTuple::default())] depends: UnpackListOrTuple<String>,
        #[starlark(default = false)] default: bool,
        #[starlark(default = false)] default_build_script: bool,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let state = ConfigState::get(eval)?;
        if name.is_empty() {
            anyhow::bail!("register_target: the target name must not be empty");
        }
        if !r#fn.get_type().contains("function") {
            return Err(DialectError::NotCallable {
                name: name.to_string(),
                type_name: r#fn.get_type().to_string(),
            }
            .into());
        }
        let mut targets = state.targets.borrow_mut();
        if targets.iter().any(|t| t.name == name) {
            return Err(DialectError::DuplicateTarget(name.to_string()).into());
        }
        targets.push(Target {
            name: name.to_string(),
            func: r#fn,
            depends: depends.items,
            default,
            default_build_script,
            result: None,
            resolving: false,
        });
        Ok(NoneType)
    }

    /// Resolves a target (running it once) and returns its value.
    fn resolve_target<'v>(target: &str, eval: &mut Evaluator<'v, '_, '_>) -> starlark::Result<Value<'v>> {
        let state = ConfigState::get(eval)?;
        state.resolve(target, eval)
    }

    /// Resolves the targets requested on the command line (or the default one).
    fn resolve_targets<'v>(eval: &mut Evaluator<'v, '_, '_>) -> starlark::Result<NoneType> {
        ConfigState::get(eval)?.resolve_requested(eval)?;
        Ok(NoneType)
    }

    /// Sets the directory for build outputs (default: `build` beside the config).
    fn set_build_path<'v>(path: &str, eval: &mut Evaluator<'v, '_, '_>) -> anyhow::Result<NoneType> {
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        if settings.build_path_used {
            return Err(DialectError::BuildPathUsed.into());
        }
        settings.build_path = settings.config_dir.join(path);
        Ok(NoneType)
    }

    /// Declares the metadata every package format shares.
    fn set_package_metadata<'v>(
        #[starlark(require = named)] name: &str,
        #[starlark(require = named)] version: &str,
        #[starlark(require = named, default = NoneOr::None)] description: NoneOr<String>,
        #[starlark(require = named, default = NoneOr::None)] maintainer: NoneOr<String>,
        #[starlark(require = named, default = NoneOr::None)] vendor: NoneOr<String>,
        #[starlark(require = named, default = NoneOr::None)] homepage: NoneOr<String>,
        #[starlark(require = named, default = NoneOr::None)] license: NoneOr<String>,
        #[starlark(require = named, default = NoneOr::None)] target_triple: NoneOr<String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<PackageMetadataValue> {
        let metadata = PackageMetadata {
            name: name.to_string(),
            version: version.to_string(),
            description: description.into_option(),
            maintainer: maintainer.into_option(),
            vendor: vendor.into_option(),
            homepage: homepage.into_option(),
            license: license.into_option(),
            target_triple: target_triple
                .into_option()
                .unwrap_or_else(|| crate::HOST_TRIPLE.to_string()),
        };
        metadata.validate()?;
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        if settings.metadata.is_some() {
            return Err(DialectError::MetadataTwice.into());
        }
        settings.metadata = Some(metadata.clone());
        Ok(PackageMetadataValue(metadata))
    }
}

/// The value `set_package_metadata` returns; its fields are readable attributes.
#[derive(ProvidesStaticType, NoSerialize, Allocative, Debug)]
pub(crate) struct PackageMetadataValue(#[allocative(skip)] pub PackageMetadata);

impl fmt::Display for PackageMetadataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackageMetadata<{} {}>", self.0.name, self.0.version)
    }
}

starlark_simple_value!(PackageMetadataValue);

const METADATA_FIELDS: [&str; 8] = [
    "name",
    "version",
    "description",
    "maintainer",
    "vendor",
    "homepage",
    "license",
    "target_triple",
];

#[starlark_value(type = "PackageMetadata")]
impl<'v> StarlarkValue<'v> for PackageMetadataValue {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let m = &self.0;
        let value = match attribute {
            "name" => Some(&m.name),
            "version" => Some(&m.version),
            "target_triple" => Some(&m.target_triple),
            "description" => m.description.as_ref(),
            "maintainer" => m.maintainer.as_ref(),
            "vendor" => m.vendor.as_ref(),
            "homepage" => m.homepage.as_ref(),
            "license" => m.license.as_ref(),
            _ => return None,
        };
        Some(value.map_or(Value::new_none(), |v| heap.alloc(v.as_str())))
    }

    fn dir_attr(&self) -> Vec<String> {
        METADATA_FIELDS.iter().map(|s| s.to_string()).collect()
    }
}

/// PyOxidizer functions and types that oxdist does not implement yet. Calling
/// one fails with `not supported yet: NAME` at the call site.
pub const NOT_SUPPORTED_YET: &[&str] = &[
    "File",
    "PythonBytecodeModule",
    "PythonEmbeddedResources",
    "PythonExecutable",
    "PythonExtensionModule",
    "PythonInterpreterConfig",
    "PythonModuleSource",
    "PythonPackageDistributionResource",
    "PythonPackageResource",
    "PythonPackagingPolicy",
    "PythonSourceModule",
    "SnapcraftBuilder",
    "WiXBundleBuilder",
    "WiXInstaller",
];

/// A callable placeholder for a name in [`NOT_SUPPORTED_YET`].
#[derive(ProvidesStaticType, NoSerialize, Allocative, Debug)]
pub(crate) struct NotSupportedYet(pub &'static str);

impl fmt::Display for NotSupportedYet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} (not supported yet)>", self.0)
    }
}

starlark_simple_value!(NotSupportedYet);

#[starlark_value(type = "not_supported_yet")]
impl<'v> StarlarkValue<'v> for NotSupportedYet {
    fn invoke(
        &self,
        _me: Value<'v>,
        _args: &Arguments<'v, '_>,
        _eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        Err(anyhow::Error::from(DialectError::NotSupported(self.0.to_string())).into())
    }
}

pub(crate) fn not_supported_globals(builder: &mut GlobalsBuilder) {
    for name in NOT_SUPPORTED_YET {
        builder.set(name, NotSupportedYet(name));
    }
}
