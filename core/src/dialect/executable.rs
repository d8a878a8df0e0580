//! `PythonExecutable`: an application executable being assembled in Starlark.
//!
//! The value collects resources (the distribution's standard library, then
//! whatever the configuration adds); building happens when a target returns
//! it (`oxdist build`) or when a FileManifest takes it
//! (`FileManifest.add_python_resource(prefix, exe)`).

use std::fmt;
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

use super::DialectError;
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
}

impl ExecutableValue {
    pub fn new(
        name: &str,
        dist: Arc<PythonDistribution>,
        policy: PackagingPolicy,
        config: serde_json::Value,
    ) -> anyhow::Result<Self> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            anyhow::bail!("invalid executable name {name:?}: use a file name without '/'");
        }
        let stdlib = distribution_items(&dist, &policy)?
            .into_iter()
            .filter(|(_, add)| add.include)
            .collect();
        Ok(Self {
            name: name.to_string(),
            dist,
            policy,
            config,
            resources: Mutex::new(stdlib),
        })
    }

    fn resources(&self) -> MutexGuard<'_, Vec<(ResourceItem, AddSettings)>> {
        self.resources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything needed to build it.
    pub fn spec(&self) -> ExecutableSpec {
        ExecutableSpec {
            name: self.name.clone(),
            dist: self.dist.clone(),
            config: self.config.clone(),
            resources: self.resources().clone(),
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
            _ => None,
        }
    }
}

#[starlark_module]
fn executable_methods(builder: &mut MethodsBuilder) {
    /// Adds one resource, placed by its `add_*` attributes.
    fn add_python_resource<'v>(
        this: &ExecutableValue,
        #[starlark(require = pos)] resource: Value<'v>,
    ) -> anyhow::Result<NoneType> {
        this.add(resource)?;
        Ok(NoneType)
    }

    /// Adds every resource of a list.
    fn add_python_resources<'v>(
        this: &ExecutableValue,
        #[starlark(require = pos)] resources: UnpackListOrTuple<Value<'v>>,
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
        #[starlark(require = pos)] args: UnpackListOrTuple<String>,
        #[starlark(default = UnpackDictEntries::default())] extra_envs: UnpackDictEntries<String, String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = pip_install_resources(eval, &this.dist, &args.items, extra_envs.entries.into_iter().collect())?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// The resources of `packages` under the directory `path`.
    fn read_package_root<'v>(
        this: &ExecutableValue,
        #[starlark(require = pos)] path: &str,
        #[starlark(require = pos)] packages: UnpackListOrTuple<String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = package_root_resources(eval, &this.dist, path, &packages.items)?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// The resources of a virtualenv's site-packages.
    fn read_virtualenv<'v>(
        this: &ExecutableValue,
        #[starlark(require = pos)] path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = virtualenv_resources(eval, &this.dist, path)?;
        Ok(alloc_items(eval.heap(), items_for(resources, &this.policy, false, &[])))
    }

    /// Not supported yet: the packed resources are written by `oxdist build`.
    fn to_embedded_resources<'v>(#[starlark(this)] _this: Value<'v>) -> anyhow::Result<NoneType> {
        Err(DialectError::NotSupported("PythonExecutable.to_embedded_resources".into()).into())
    }
}

/// The executable behind a target's result, if it is one.
pub(crate) fn executable_of(value: Value<'_>) -> Option<ExecutableSpec> {
    use starlark::values::ValueLike;
    value.downcast_ref::<ExecutableValue>().map(ExecutableValue::spec)
}
