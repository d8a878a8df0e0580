//! Typed Python resources and how a file path maps to one.
//!
//! Names follow PyOxidizer's Starlark types: module sources
//! (`PythonModuleSource`), bytecode (`PythonModuleBytecode`), package data
//! (`PythonPackageResource`), distribution metadata
//! (`PythonPackageDistributionResource`), extension modules
//! (`PythonExtensionModule`), plus namespace packages, `.pth` files (reported,
//! never executed) and plain files.
//!
//! Classification is purely a function of a path relative to an import root
//! (a site-packages directory, a package root, the inside of a wheel) and the
//! distribution's suffixes ([`PythonSuffixes`]); scanning code walks files and
//! calls [`classify_path`](super::scan::classify_path).

use std::path::PathBuf;

use oxdist_installers::FileData;
use serde::Serialize;

/// The file-name suffixes of one Python distribution (from `importlib.machinery`
/// on a host interpreter, `python_suffixes` in a PBS `PYTHON.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PythonSuffixes {
    /// `.py`
    pub source: Vec<String>,
    /// `.pyc`
    pub bytecode: Vec<String>,
    /// e.g. `.cpython-311-x86_64-linux-gnu.so`, `.abi3.so`, `.so`; Windows `.cp311-win_amd64.pyd`, `.pyd`
    pub extension: Vec<String>,
}

impl PythonSuffixes {
    /// CPython's suffixes for `major.minor` on a Linux-like target (`x86_64-linux-gnu`).
    pub fn for_unix(major_minor: &str, multiarch: &str) -> Self {
        let nodot = major_minor.replace('.', "");
        Self {
            source: vec![".py".into()],
            bytecode: vec![".pyc".into()],
            extension: vec![
                format!(".cpython-{nodot}-{multiarch}.so"),
                ".abi3.so".into(),
                ".so".into(),
            ],
        }
    }
}

/// Where a resource's bytes came from, for error messages and reports.
pub type Origin = PathBuf;

/// `foo/bar.py` → `foo.bar`: a dotted module name.
pub type ModuleName = String;

/// A `.py` module's source.
#[derive(Clone, Debug)]
pub struct ModuleSource {
    pub name: ModuleName,
    pub source: FileData,
    pub is_package: bool,
    pub origin: Origin,
}

/// Bytecode for a module: an existing `.pyc` found outside `__pycache__`
/// (sourceless distribution), stored without its 16-byte header.
#[derive(Clone, Debug)]
pub struct ModuleBytecode {
    pub name: ModuleName,
    pub bytecode: FileData,
    pub is_package: bool,
    pub origin: Origin,
}

/// A non-module file inside a package, read with `importlib.resources`.
#[derive(Clone, Debug)]
pub struct PackageResource {
    /// The innermost package holding the file, e.g. `certifi`.
    pub leaf_package: ModuleName,
    /// Path below that package, `/`-separated, e.g. `cacert.pem`, `templates/a.html`.
    pub relative_name: String,
    pub data: FileData,
    pub origin: Origin,
}

/// A file inside a `NAME-VERSION.dist-info` (or `.egg-info`) directory.
#[derive(Clone, Debug)]
pub struct DistributionResource {
    /// The directory name, e.g. `pyflakes-3.2.0.dist-info`.
    pub directory: String,
    /// Distribution name as written in the directory name, e.g. `pyflakes`.
    pub package: String,
    pub version: String,
    /// Path below the directory, `/`-separated, e.g. `METADATA`, `licenses/LICENSE`.
    pub name: String,
    pub data: FileData,
    pub origin: Origin,
}

/// A compiled extension module file (`.so`, `.pyd`).
#[derive(Clone, Debug)]
pub struct ExtensionModuleFile {
    pub name: ModuleName,
    /// The suffix that matched, e.g. `.cpython-311-x86_64-linux-gnu.so` or `.abi3.so`.
    pub suffix: String,
    pub data: FileData,
    pub is_package: bool,
    pub origin: Origin,
}

/// A `.pth` file: reported so users know it would have run, never executed.
#[derive(Clone, Debug)]
pub struct PathExtension {
    pub relative_path: String,
    pub data: FileData,
    pub origin: Origin,
}

/// A file that is none of the above (top-level data, `numpy.libs/…`).
#[derive(Clone, Debug)]
pub struct PlainFile {
    pub relative_path: String,
    pub data: FileData,
    pub executable: bool,
    pub origin: Origin,
}

/// One classified resource.
#[derive(Clone, Debug)]
pub enum PythonResource {
    ModuleSource(ModuleSource),
    ModuleBytecode(ModuleBytecode),
    PackageResource(PackageResource),
    DistributionResource(DistributionResource),
    ExtensionModule(ExtensionModuleFile),
    /// A directory of modules without `__init__.py` (PEP 420).
    NamespacePackage(ModuleName),
    PathExtension(PathExtension),
    File(PlainFile),
}

impl PythonResource {
    /// The Starlark type name PyOxidizer uses for this kind of resource.
    pub fn type_name(&self) -> &'static str {
        match self {
            PythonResource::ModuleSource(_) => "PythonModuleSource",
            PythonResource::ModuleBytecode(_) => "PythonModuleBytecode",
            PythonResource::PackageResource(_) => "PythonPackageResource",
            PythonResource::DistributionResource(_) => "PythonPackageDistributionResource",
            PythonResource::ExtensionModule(_) => "PythonExtensionModule",
            PythonResource::NamespacePackage(_) => "PythonNamespacePackage",
            PythonResource::PathExtension(_) => "PythonPathExtension",
            PythonResource::File(_) => "File",
        }
    }

    /// A one-line identity: module name, `package:relative`, `dist-info/name` or path.
    pub fn full_name(&self) -> String {
        match self {
            PythonResource::ModuleSource(m) => m.name.clone(),
            PythonResource::ModuleBytecode(m) => m.name.clone(),
            PythonResource::PackageResource(r) => format!("{}:{}", r.leaf_package, r.relative_name),
            PythonResource::DistributionResource(r) => format!("{}/{}", r.directory, r.name),
            PythonResource::ExtensionModule(e) => e.name.clone(),
            PythonResource::NamespacePackage(n) => n.clone(),
            PythonResource::PathExtension(p) => p.relative_path.clone(),
            PythonResource::File(f) => f.relative_path.clone(),
        }
    }
}
