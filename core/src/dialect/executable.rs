//! `PythonExecutable`: an application executable being assembled in Starlark.
//!
//! The value collects resources (the distribution's standard library, then
//! whatever the configuration adds); building happens when a target returns
//! it (`oxdist build`) or when a FileManifest takes it
//! (`FileManifest.add_python_resource(prefix, exe)`).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::dict::UnpackDictEntries;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::NoneType;
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

use super::python::{
    alloc_items, distribution_items, items_for, package_root_resources, pip_install_resources, resource_of,
    virtualenv_resources,
};
use crate::embedding::executable::ExecutableSpec;
use crate::embedding::{AddSettings, ResourceItem};
use crate::python::distribution::PythonDistribution;
use crate::python::policy::PackagingPolicy;

/// A `PythonExecutable` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct ExecutableValue {
    name: String,
    #[allocative(skip)]
    dist: Arc<PythonDistribution>,
    #[allocative(skip)]
    policy: PackagingPolicy,
    #[allocative(skip)]
    config: serde_json::Value,
    #[allocative(skip)]
    resources: Mutex<Vec<(ResourceItem, AddSettings)>>,
    #[allocative(skip)]
    compression_level: Mutex<Option<i32>>,
    /// `strip_extension_modules`: on by default, because unstripped modules
    /// with a build machine's RUNPATH are what Linux packages must not ship.
    #[allocative(skip)]
    strip_extension_modules: AtomicBool,
    /// `min_glibc`: the oldest glibc the executable must start on; a build
    /// that needs a newer one warns.
    #[allocative(skip)]
    min_glibc: Mutex<Option<String>>,
    /// `freeze_stdlib`: off by default; the standard library's code objects
    /// compiled into the launcher (faster imports, a larger executable).
    #[allocative(skip)]
    freeze_stdlib: AtomicBool,
}

impl ExecutableValue {
    pub fn new(
        name: &str,
        dist: Arc<PythonDistribution>,
        policy: PackagingPolicy,
        config: serde_json::Value,
        clarifications: &[oxdist_licenses::policy::Clarification],
    ) -> anyhow::Result<Self> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            anyhow::bail!("invalid executable name {name:?}: use a file name without '/'");
        }
        let stdlib = distribution_items(&dist, &policy, clarifications)?
            .into_iter()
            .filter(|(_, add)| add.include)
            .collect();
        Ok(Self {
            name: name.to_string(),
            dist,
            policy,
            config,
            resources: Mutex::new(stdlib),
            compression_level: Mutex::new(None),
            strip_extension_modules: AtomicBool::new(true),
            min_glibc: Mutex::new(None),
            freeze_stdlib: AtomicBool::new(false),
        })
    }

    fn resources(&self) -> MutexGuard<'_, Vec<(ResourceItem, AddSettings)>> {
        self.resources.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn compression_level(&self) -> MutexGuard<'_, Option<i32>> {
        self.compression_level.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything needed to build it.
    pub fn spec(&self) -> ExecutableSpec {
        ExecutableSpec {
            name: self.name.clone(),
            dist: self.dist.clone(),
            config: self.config.clone(),
            resources: self.resources().clone(),
            compression_level: *self.compression_level(),
            strip_extension_modules: self.strip_extension_modules.load(Ordering::Relaxed),
            min_glibc: self.min_glibc.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            with_launcher: true,
            freeze_stdlib: self.freeze_stdlib.load(Ordering::Relaxed),
        }
    }

    fn add(&self, value: Value<'_>) -> anyhow::Result<()> {
        let (item, add) = resource_of(value).ok_or_else(|| {
            anyhow::anyhow!(
                "add_python_resource takes a Python resource (e.g. from pip_install), not {}",
                value.get_type()
            )
        })?;
        self.resources().push((item, add));
        Ok(())
    }
}

impl fmt::Debug for ExecutableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PythonExecutable({})", self.name)
    }
}

impl fmt::Display for ExecutableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PythonExecutable<{}, {} resources>",
            self.name,
            self.resources().len()
        )
    }
}

starlark_simple_value!(ExecutableValue);
starlark::methods_static!(EXECUTABLE_METHODS = executable_methods);

#[starlark_value(type = "PythonExecutable")]
impl<'v> StarlarkValue<'v> for ExecutableValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(EXECUTABLE_METHODS.methods())
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        match attribute {
            "name" => Some(heap.alloc(self.name.as_str())),
            "resources_compression_level" => Some(match *self.compression_level() {
                Some(level) => heap.alloc(level),
                None => Value::new_none(),
            }),
            "strip_extension_modules" => Some(Value::new_bool(self.strip_extension_modules.load(Ordering::Relaxed))),
            "freeze_stdlib" => Some(Value::new_bool(self.freeze_stdlib.load(Ordering::Relaxed))),
            "min_glibc" => Some(
                match self.min_glibc.lock().unwrap_or_else(|e| e.into_inner()).as_deref() {
                    Some(v) => heap.alloc(v),
                    None => Value::new_none(),
                },
            ),
            _ => None,
        }
    }

    fn dir_attr(&self) -> Vec<String> {
        vec![
            "name".into(),
            "resources_compression_level".into(),
            "strip_extension_modules".into(),
            "freeze_stdlib".into(),
            "min_glibc".into(),
        ]
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        match attribute {
            "resources_compression_level" => {}
            "min_glibc" => {
                let version = if value.is_none() {
                    None
                } else {
                    let text = value.unpack_str().filter(|t| {
                        let parts: Vec<&str> = t.split('.').collect();
                        parts.len() == 2
                            && parts
                                .iter()
                                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                    });
                    Some(
                        text.ok_or_else(|| {
                            anyhow::anyhow!("PythonExecutable.min_glibc must be a glibc version such as \"2.17\" or None, not {value}")
                        })?
                        .to_string(),
                    )
                };
                *self.min_glibc.lock().unwrap_or_else(|e| e.into_inner()) = version;
                return Ok(());
            }
            "strip_extension_modules" => {
                let strip = value.unpack_bool().ok_or_else(|| {
                    anyhow::anyhow!("PythonExecutable.strip_extension_modules must be True or False, not {value}")
                })?;
                self.strip_extension_modules.store(strip, Ordering::Relaxed);
                return Ok(());
            }
            "freeze_stdlib" => {
                let freeze = value.unpack_bool().ok_or_else(|| {
                    anyhow::anyhow!("PythonExecutable.freeze_stdlib must be True or False, not {value}")
                })?;
                self.freeze_stdlib.store(freeze, Ordering::Relaxed);
                return Ok(());
            }
            _ => {
                return Err(anyhow::anyhow!(
                    "PythonExecutable has no settable attribute {attribute:?}; settable: resources_compression_level, strip_extension_modules, freeze_stdlib, min_glibc"
                )
                .into());
            }
        }
        let level = if value.is_none() {
            None
        } else {
            match value.unpack_i32() {
                Some(level @ 1..=22) => Some(level),
                _ => {
                    return Err(anyhow::anyhow!(
                        "PythonExecutable.resources_compression_level must be None or a zstd level from 1 to 22, not {value}"
                    )
                    .into());
                }
            }
        };
        *self.compression_level() = level;
        Ok(())
    }
}

#[starlark_module]
fn executable_methods(builder: &mut MethodsBuilder) {
    /// Adds one resource, placed by its `add_*` attributes.
    fn add_python_resource<'v>(this: &ExecutableValue, resource: Value<'v>) -> anyhow::Result<NoneType> {
        this.add(resource)?;
        Ok(NoneType)
    }

    /// Adds every resource of a list.
    fn add_python_resources<'v>(
        this: &ExecutableValue,
        resources: UnpackListOrTuple<Value<'v>>,
    ) -> anyhow::Result<NoneType> {
        for resource in resources.items {
            this.add(resource)?;
        }
        Ok(NoneType)
    }

    /// `pip install` with the executable's distribution; returns the resources
    /// (placed by the executable's packaging policy) for `add_python_resources`.
    fn pip_install<'v>(
        this: &ExecutableValue,
        args: UnpackListOrTuple<String>,
        #[starlark(default = UnpackDictEntries::default())] extra_envs: UnpackDictEntries<String, String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = pip_install_resources(eval, &this.dist, &args.items, extra_envs.entries.into_iter().collect())?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// The resources of `packages` under the directory `path`.
    fn read_package_root<'v>(
        this: &ExecutableValue,
        path: &str,
        packages: UnpackListOrTuple<String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = package_root_resources(eval, &this.dist, path, &packages.items)?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// The resources of a virtualenv's site-packages.
    fn read_virtualenv<'v>(
        this: &ExecutableValue,
        path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = virtualenv_resources(eval, &this.dist, path)?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// A `WiXMSIBuilder` installing this executable (and the files it needs
    /// beside it) with a Start-menu shortcut: PyOxidizer's shortcut for
    /// `WiXMSIBuilder(...)` plus `add_program_files_manifest`.
    fn to_wix_msi_builder<'v>(
        this: Value<'v>,
        id_prefix: &str,
        product_name: &str,
        product_version: &str,
        product_manufacturer: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<super::msi::MsiValue> {
        super::msi::builder_for_executable(
            this,
            id_prefix,
            product_name,
            product_version,
            product_manufacturer,
            eval,
        )
    }

    /// The packed resources alone, for a program that embeds Python itself:
    /// a target returning this builds `packed-resources` plus the files
    /// that go beside it (extension modules, filesystem-relative resources).
    fn to_embedded_resources(this: &ExecutableValue) -> anyhow::Result<EmbeddedResourcesValue> {
        Ok(EmbeddedResourcesValue(ExecutableSpec {
            with_launcher: false,
            ..this.spec()
        }))
    }
}

/// A `PythonEmbeddedResources` value: an executable's resources without the launcher.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct EmbeddedResourcesValue(#[allocative(skip)] ExecutableSpec);

impl fmt::Debug for EmbeddedResourcesValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PythonEmbeddedResources({})", self.0.name)
    }
}

impl fmt::Display for EmbeddedResourcesValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PythonEmbeddedResources<{}, {} resources>",
            self.0.name,
            self.0.resources.len()
        )
    }
}

starlark_simple_value!(EmbeddedResourcesValue);

#[starlark_value(type = "PythonEmbeddedResources")]
impl<'v> StarlarkValue<'v> for EmbeddedResourcesValue {}

/// The resources behind a target's result, if it is a `PythonEmbeddedResources`.
pub(crate) fn embedded_resources_of(value: Value<'_>) -> Option<ExecutableSpec> {
    use starlark::values::ValueLike;
    value.downcast_ref::<EmbeddedResourcesValue>().map(|v| v.0.clone())
}

/// The executable behind a target's result, if it is one.
pub(crate) fn executable_of(value: Value<'_>) -> Option<ExecutableSpec> {
    use starlark::values::ValueLike;
    value.downcast_ref::<ExecutableValue>().map(ExecutableValue::spec)
}
