//! Building executables that embed CPython.
//!
//! - [`launcher`]: the runtime + static libpython, compiled once per
//!   distribution and cached.
//! - [`cross`]: the toolchain that compiles launchers for Windows on Linux.
//! - [`executable`]: an application = launcher + packed resources (bytecode,
//!   sources, package data, metadata, configuration) appended, plus the
//!   files that must sit beside it (extension modules, filesystem-relative
//!   resources).
//! - [`frozen`]: the standard library's code objects deep-frozen into a
//!   launcher (`PythonExecutable.freeze_stdlib`, CPython 3.11).
//! - [`elf`]: extension modules stripped of symbols, debug information and
//!   build-machine library search paths before they are installed.

pub mod cross;
pub mod elf;
pub mod executable;
pub mod frozen;
pub mod launcher;
pub mod macho;
// Also compiled into core/build.rs; here only for the test that checks
// the bundled runtime against the files on disk.
#[cfg(test)]
mod runtime_files;

use crate::python::distribution::ExtensionModule;
use crate::python::policy::{PackagingPolicy, ResourceLocation};
use crate::python::resources::PythonResource;

/// A resource an executable may include.
#[derive(Clone, Debug)]
pub enum ResourceItem {
    /// Classified from files (standard library, wheels, directories).
    Classified(PythonResource),
    /// An extension module of the distribution itself.
    Distribution(ExtensionModule),
}

impl ResourceItem {
    /// A one-line identity for messages.
    pub fn describe(&self) -> String {
        match self {
            ResourceItem::Classified(r) => format!("{} {}", r.type_name(), r.full_name()),
            ResourceItem::Distribution(e) => format!("PythonExtensionModule {} (distribution)", e.name),
        }
    }
}

/// Whether and where a resource is added (PyOxidizer's `add_*` attributes).
#[derive(Clone, Debug)]
pub struct AddSettings {
    pub include: bool,
    pub location: ResourceLocation,
    pub location_fallback: Option<ResourceLocation>,
    pub source: bool,
    /// Bytecode at optimize levels 0, 1, 2.
    pub bytecode: [bool; 3],
}

impl AddSettings {
    /// The settings `policy` gives a resource, included or not.
    pub fn from_policy(policy: &PackagingPolicy, include: bool) -> Self {
        Self {
            include,
            location: policy.resources_location.clone(),
            location_fallback: policy.resources_location_fallback.clone(),
            source: true,
            bytecode: [
                policy.bytecode_optimize_level_zero,
                policy.bytecode_optimize_level_one,
                policy.bytecode_optimize_level_two,
            ],
        }
    }
}
