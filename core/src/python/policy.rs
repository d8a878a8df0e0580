//! `PythonPackagingPolicy`: which resources a build includes, and where.
//!
//! Names and defaults follow PyOxidizer's documentation. The extension
//! module filter decides which of the distribution's extension modules are
//! kept; the other settings decide which classified resources are included
//! and where they are placed.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use oxdist_licenses::policy::Clarification;
use oxdist_licenses::{ComponentKind, License};

use super::distribution::{ExtensionModule, LicenseAnnotation, LinkLibrary, PythonDistribution};
use super::resources::PythonResource;

/// Why a policy setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "unknown extension_module_filter {0:?}; expected all, minimal, no-libraries or no-copyleft (no-gpl is an alias)"
    )]
    Filter(String),
    #[error("invalid resources location {0:?}; expected \"in-memory\" or \"filesystem-relative:PREFIX\"")]
    Location(String),
}

/// Which distribution extension modules to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionModuleFilter {
    /// Every extension module.
    All,
    /// Only those needed to start the interpreter.
    Minimal,
    /// Only those that link no library beyond the operating system's.
    NoLibraries,
    /// Drop those linking copyleft-licensed libraries. A module linking
    /// libraries without license annotations is dropped too: unknown is not
    /// assumed to be permissive.
    NoCopyleft,
}

impl FromStr for ExtensionModuleFilter {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "minimal" => Ok(Self::Minimal),
            "no-libraries" => Ok(Self::NoLibraries),
            "no-copyleft" | "no-gpl" => Ok(Self::NoCopyleft),
            other => Err(PolicyError::Filter(other.to_string())),
        }
    }
}

impl fmt::Display for ExtensionModuleFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::Minimal => "minimal",
            Self::NoLibraries => "no-libraries",
            Self::NoCopyleft => "no-copyleft",
        })
    }
}

/// Where a resource is placed in the built application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ResourceLocation {
    /// Inside the executable, imported from memory.
    InMemory,
    /// In files beside the executable, under this relative prefix.
    FilesystemRelative(String),
}

impl FromStr for ResourceLocation {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "in-memory" {
            return Ok(Self::InMemory);
        }
        match s.strip_prefix("filesystem-relative:") {
            Some(prefix) if !prefix.starts_with('/') && !prefix.split('/').any(|c| c == "..") => {
                Ok(Self::FilesystemRelative(prefix.to_string()))
            }
            _ => Err(PolicyError::Location(s.to_string())),
        }
    }
}

impl fmt::Display for ResourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InMemory => f.write_str("in-memory"),
            Self::FilesystemRelative(prefix) => write!(f, "filesystem-relative:{prefix}"),
        }
    }
}

/// The packaging policy; [`Default`] gives PyOxidizer's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackagingPolicy {
    pub extension_module_filter: ExtensionModuleFilter,
    pub include_distribution_sources: bool,
    pub include_distribution_resources: bool,
    pub include_non_distribution_sources: bool,
    pub include_test: bool,
    pub include_classified_resources: bool,
    pub include_file_resources: bool,
    pub resources_location: ResourceLocation,
    pub resources_location_fallback: Option<ResourceLocation>,
    pub bytecode_optimize_level_zero: bool,
    pub bytecode_optimize_level_one: bool,
    pub bytecode_optimize_level_two: bool,
    pub allow_files: bool,
}

impl Default for PackagingPolicy {
    fn default() -> Self {
        Self {
            extension_module_filter: ExtensionModuleFilter::All,
            include_distribution_sources: true,
            include_distribution_resources: false,
            include_non_distribution_sources: true,
            include_test: false,
            include_classified_resources: true,
            include_file_resources: false,
            resources_location: ResourceLocation::InMemory,
            resources_location_fallback: None,
            bytecode_optimize_level_zero: true,
            bytecode_optimize_level_one: false,
            bytecode_optimize_level_two: false,
            allow_files: false,
        }
    }
}

impl PackagingPolicy {
    /// The extension modules this policy keeps, one variant each (the first
    /// variant the distribution lists), in name order.
    pub fn select_extension_modules<'a>(
        &self,
        dist: &'a PythonDistribution,
        clarifications: &[Clarification],
    ) -> Vec<&'a ExtensionModule> {
        dist.extension_modules
            .values()
            .filter_map(|variants| variants.first())
            .filter(|module| self.keeps_extension(module, clarifications))
            .collect()
    }

    /// Whether the extension module filter (and `include_test`) keeps
    /// `module`, judging its licenses as the configuration clarified them
    /// (see [`clarified_licenses`]).
    pub fn keeps_extension(&self, module: &ExtensionModule, clarifications: &[Clarification]) -> bool {
        if !self.include_test && is_test_extension(&module.name) {
            return false;
        }
        match self.extension_module_filter {
            ExtensionModuleFilter::All => true,
            ExtensionModuleFilter::Minimal => module.required,
            ExtensionModuleFilter::NoLibraries => !module.links_libraries(),
            ExtensionModuleFilter::NoCopyleft => {
                if !module.links_libraries() {
                    return true;
                }
                match clarified_licenses(module, clarifications) {
                    None => false,
                    Some(annotation) => !annotation.spdx_ids.iter().any(|id| is_copyleft(id)),
                }
            }
        }
    }

    /// Whether a classified resource from a distribution's standard library
    /// (`from_distribution`) or from the application is included.
    pub fn includes(&self, resource: &PythonResource, from_distribution: bool, test_packages: &[String]) -> bool {
        if !self.include_test && is_test_resource(resource, test_packages) {
            return false;
        }
        match resource {
            PythonResource::ModuleSource(_)
            | PythonResource::ModuleBytecode(_)
            | PythonResource::NamespacePackage(_) => {
                if from_distribution {
                    self.include_distribution_sources
                } else {
                    self.include_non_distribution_sources
                }
            }
            PythonResource::PackageResource(_) | PythonResource::DistributionResource(_) => {
                !from_distribution || self.include_distribution_resources
            }
            PythonResource::ExtensionModule(_) => self.include_classified_resources,
            PythonResource::File(_) => self.include_file_resources,
            // `.pth` files are reported, never included: nothing would execute them.
            PythonResource::PathExtension(_) => false,
        }
    }
}

/// The licenses of what `module` links, after the configuration's
/// clarifications, judged as the license audit judges them: a module
/// clarified itself (`_bz2`, `stdlib-extension:_bz2`) has that expression; a
/// module linking a clarified library (`libbz2-1.0`, `library:libbz2-1.0`)
/// is licensed as all of its libraries together, each clarified or as
/// recorded, and is unknown (`None`) if any of them is; anything else keeps
/// what the distribution recorded.
///
/// This is what lets `clarify_license` keep a module that `no-copyleft`
/// would drop because a host package's copyright file is not
/// machine-readable (Debian 12's libbz2 says `BSD-variant`).
pub fn clarified_licenses(module: &ExtensionModule, clarifications: &[Clarification]) -> Option<LicenseAnnotation> {
    let names = |key: &str, kind: ComponentKind, name: &str| {
        let key = key.trim();
        key == name
            || key
                .strip_prefix(kind.id_prefix())
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| rest == name)
    };
    let as_annotation = |c: &Clarification| LicenseAnnotation::from_license(License::expression(c.expression.clone()));
    if let Some(own) = clarifications
        .iter()
        .find(|c| names(&c.component, ComponentKind::StdlibExtension, &module.name))
    {
        return as_annotation(own);
    }
    let clarification_of = |link: &LinkLibrary| {
        let package = link.package.as_deref()?;
        clarifications
            .iter()
            .find(|c| names(&c.component, ComponentKind::Library, package))
    };
    if !module.links.iter().any(|link| clarification_of(link).is_some()) {
        return module.licenses.clone();
    }
    let mut spdx_ids: Vec<String> = Vec::new();
    for link in module.links.iter().filter(|link| !link.system && !link.framework) {
        let license = match clarification_of(link) {
            Some(clarification) => as_annotation(clarification),
            None => link.license.clone(),
        }?;
        for id in license.spdx_ids {
            if !spdx_ids.contains(&id) {
                spdx_ids.push(id);
            }
        }
    }
    Some(LicenseAnnotation {
        public_domain: spdx_ids.is_empty(),
        spdx_ids,
        license_paths: Vec::new(),
    })
}

/// Whether an SPDX license identifier is copyleft, weak or strong, by the
/// license auditor's table (which knows the families the `spdx` crate's
/// `is_copyleft` misses: Sleepycat, EPL, the network licenses).
pub fn is_copyleft(id: &str) -> bool {
    oxdist_licenses::expression::family(id) != oxdist_licenses::expression::Family::Permissive
}

/// CPython's extension modules that exist only for its own test suite
/// (`_testcapi`, `_testinternalcapi`, `_ctypes_test`, the `xx*` examples…).
pub fn is_test_extension(name: &str) -> bool {
    name.starts_with("_test")
        || name.starts_with("_xxtest")
        || name == "_ctypes_test"
        || name.starts_with("xxlimited")
        || name == "xxsubtype"
}

/// Whether a resource belongs to a test package (`test`, `tests`, the
/// distribution's test packages, or anything below them).
pub fn is_test_resource(resource: &PythonResource, test_packages: &[String]) -> bool {
    let module = match resource {
        PythonResource::ModuleSource(m) => &m.name,
        PythonResource::ModuleBytecode(m) => &m.name,
        PythonResource::ExtensionModule(e) => &e.name,
        PythonResource::PackageResource(r) => &r.leaf_package,
        PythonResource::NamespacePackage(n) => n,
        _ => return false,
    };
    let in_package = |package: &str| module == package || module.starts_with(&format!("{package}."));
    test_packages.iter().any(|p| in_package(p))
        || module
            .split('.')
            .any(|part| part == "test" || part == "tests" || part == "idle_test")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_extensions() {
        for name in [
            "_testcapi",
            "_testinternalcapi",
            "_testmultiphase",
            "_xxtestfuzz",
            "_ctypes_test",
            "xxlimited_35",
            "xxsubtype",
        ] {
            assert!(is_test_extension(name), "{name}");
        }
        for name in [
            "_ctypes",
            "_sqlite3",
            "_xxsubinterpreters",
            "_testing_is_not_a_module_name_prefix_we_use",
        ] {
            assert_eq!(is_test_extension(name), name.starts_with("_test"), "{name}");
        }
    }

    #[test]
    fn filter_names_and_alias() {
        assert_eq!(
            "no-gpl".parse::<ExtensionModuleFilter>().unwrap(),
            ExtensionModuleFilter::NoCopyleft
        );
        assert!("none".parse::<ExtensionModuleFilter>().is_err());
        assert_eq!(
            "filesystem-relative:lib".parse::<ResourceLocation>().unwrap(),
            ResourceLocation::FilesystemRelative("lib".into())
        );
        assert!("filesystem-relative:../x".parse::<ResourceLocation>().is_err());
    }

    #[test]
    fn copyleft_families() {
        for id in [
            "GPL-3.0-or-later",
            "GPL-3.0+",
            "LGPL-2.1-only",
            "MPL-2.0",
            "EPL-2.0",
            "Sleepycat",
            "AGPL-3.0-only",
        ] {
            assert!(is_copyleft(id), "{id}");
        }
        for id in [
            "MIT",
            "Apache-2.0",
            "BSD-3-Clause",
            "Python-2.0",
            "X11",
            "TCL",
            "bzip2-1.0.6",
        ] {
            assert!(!is_copyleft(id), "{id}");
        }
    }
}
