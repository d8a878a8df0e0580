//! One model of a Python distribution, whatever its source.
//!
//! A [`PythonDistribution`] says which CPython it is (version, ABI, target),
//! where its interpreter and standard library are, how to link libpython
//! statically, and which extension modules exist in which variants, each
//! with the libraries it links and the license annotations the source gave
//! (python-build-standalone records them; a host install does not).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::resources::PythonSuffixes;

/// Where a distribution came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "flavor", rename_all = "kebab-case")]
pub enum DistributionSource {
    /// An installed CPython, read through its own `sysconfig`.
    Host { executable: PathBuf },
    /// A python-build-standalone "full" archive, extracted under `extracted`.
    Standalone {
        archive: PathBuf,
        sha256: String,
        extracted: PathBuf,
        json_version: String,
    },
    /// CPython's Windows embeddable package, extracted under `extracted`;
    /// `build_python` (a host interpreter of the same version) compiles
    /// bytecode and runs pip for it.
    Embeddable {
        archive: PathBuf,
        sha256: String,
        extracted: PathBuf,
        build_python: PathBuf,
    },
    /// CPython for macOS: python.org's runtime from a wheel's `deploy_libs/`
    /// with the standard library of the embeddable package of the same
    /// release, combined under `extracted` ([`super::macos`]).
    MacOsRuntime {
        wheel: PathBuf,
        sha256: String,
        extracted: PathBuf,
        build_python: PathBuf,
    },
}

/// Why a distribution cannot be used for a job.
#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error("no static libpython for {python} ({version}): embedding links CPython statically; {hint}")]
    NoStaticLibrary {
        python: PathBuf,
        version: String,
        hint: String,
    },
    #[error("no Python interpreter: {0}")]
    NoInterpreter(String),
}

/// A library an extension module (or libpython) links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkLibrary {
    pub name: String,
    /// Provided by the operating system (not shipped by the distribution).
    pub system: bool,
    /// A macOS framework.
    pub framework: bool,
    /// Static archive shipped by the distribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_static: Option<PathBuf>,
    /// Shared library shipped by the distribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_dynamic: Option<PathBuf>,
    /// The host package that installs the library (a host distribution's
    /// modules; `libbz2-1.0`), the name `clarify_license` uses for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The library's own license, when known per library (a host
    /// distribution's modules; PBS annotates whole modules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<LicenseAnnotation>,
}

/// License facts the distribution recorded for an extension module's linked
/// libraries. `None` in [`ExtensionModule::licenses`] means the source said
/// nothing — which is not "Python license only".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LicenseAnnotation {
    /// SPDX identifiers; several are all present (AND).
    pub spdx_ids: Vec<String>,
    /// License texts shipped with the distribution.
    pub license_paths: Vec<PathBuf>,
    pub public_domain: bool,
}

impl LicenseAnnotation {
    /// What the license auditor found, as an annotation; unknown is `None`.
    pub fn from_license(license: oxdist_licenses::License) -> Option<Self> {
        use oxdist_licenses::License;
        match license {
            License::Expression { expression } => Some(Self {
                spdx_ids: expression
                    .requirements()
                    .map(oxdist_licenses::expression::license_name)
                    .collect(),
                license_paths: Vec::new(),
                public_domain: false,
            }),
            License::PublicDomain => Some(Self {
                spdx_ids: Vec::new(),
                license_paths: Vec::new(),
                public_domain: true,
            }),
            License::Unknown { .. } => None,
        }
    }
}

/// How an extension module variant is provided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExtensionKind {
    /// Compiled into libpython (`sys.builtin_module_names`, PBS `in_core`).
    Builtin,
    /// A loadable shared library (`.so`, `.pyd`).
    SharedLibrary { path: PathBuf },
    /// Object files (and/or a static archive) to link into the executable.
    StaticObjects {
        objects: Vec<PathBuf>,
        static_lib: Option<PathBuf>,
    },
}

/// One variant of an extension module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtensionModule {
    pub name: String,
    /// `default`, or another variant name the distribution offers.
    pub variant: String,
    #[serde(flatten)]
    pub kind: ExtensionKind,
    /// Needed to initialize the interpreter.
    pub required: bool,
    /// The `PyInit_*` symbol, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_fn: Option<String>,
    pub links: Vec<LinkLibrary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<LicenseAnnotation>,
}

impl ExtensionModule {
    /// Whether it links a library beyond the operating system's.
    pub fn links_libraries(&self) -> bool {
        self.links.iter().any(|l| !l.system && !l.framework)
    }

    /// A module of a prebuilt distribution (the Windows embeddable
    /// package, the macOS runtime): the shared library at `path`, which
    /// loads or has linked in `libraries` (file or library name, SPDX id).
    /// `shipped` says where the distribution has a library's file (it is
    /// installed beside the module); `None` means it is linked into the
    /// module. `license_paths` hold the texts of those licenses.
    pub fn prebuilt(
        name: &str,
        path: PathBuf,
        libraries: &[(&str, &str)],
        shipped: impl Fn(&str) -> Option<PathBuf>,
        license_paths: Vec<PathBuf>,
    ) -> Self {
        let annotation = |spdx_ids: Vec<String>, license_paths: Vec<PathBuf>| LicenseAnnotation {
            spdx_ids,
            license_paths,
            public_domain: false,
        };
        let links = libraries
            .iter()
            .map(|(library, spdx)| {
                let path_dynamic = shipped(library);
                LinkLibrary {
                    name: match path_dynamic {
                        Some(_) => library.trim_end_matches(".dll").trim_end_matches(".dylib").to_string(),
                        None => library.to_string(),
                    },
                    system: false,
                    framework: false,
                    path_static: None,
                    path_dynamic,
                    package: None,
                    license: Some(annotation(vec![spdx.to_string()], Vec::new())),
                }
            })
            .collect();
        Self {
            name: name.to_string(),
            variant: "default".into(),
            kind: ExtensionKind::SharedLibrary { path },
            required: false,
            init_fn: Some(format!("PyInit_{name}")),
            links,
            licenses: (!libraries.is_empty()).then(|| {
                annotation(
                    libraries.iter().map(|(_, spdx)| spdx.to_string()).collect(),
                    license_paths,
                )
            }),
        }
    }
}

/// How to link libpython.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LibPython {
    /// `libpython3.X.a`.
    pub static_lib: Option<PathBuf>,
    /// A position-independent static archive (Debian's `libpython3.X-pic.a`).
    pub static_pic_lib: Option<PathBuf>,
    /// `libpython3.X.so` / `python3X.dll`.
    pub shared_lib: Option<PathBuf>,
    /// Libraries libpython itself needs (`LIBS`, `SYSLIBS`, PBS core links).
    pub links: Vec<LinkLibrary>,
}

/// A Python distribution: everything oxdist needs to know about one CPython.
#[derive(Clone, Debug, Serialize)]
pub struct PythonDistribution {
    pub source: DistributionSource,
    /// `3.11.7`
    pub version: String,
    /// `3.11`
    pub major_minor: String,
    /// `cpython-311`
    pub cache_tag: String,
    /// `cp311`, when the ABI is tagged.
    pub abi_tag: Option<String>,
    pub target_triple: String,
    /// The interpreter that compiles bytecode and runs pip; `None` when it
    /// cannot run on this machine (a distribution for another platform).
    pub python_exe: Option<PathBuf>,
    pub stdlib_dir: PathBuf,
    /// Where the distribution's shared-library extension modules live (`lib-dynload`, `DLLs`).
    pub extension_dir: Option<PathBuf>,
    pub suffixes: PythonSuffixes,
    pub libpython: LibPython,
    /// Extension modules by name, each with its variants (first = preferred by default).
    pub extension_modules: BTreeMap<String, Vec<ExtensionModule>>,
    /// Standard-library packages that hold tests (excluded unless `include_test`).
    pub stdlib_test_packages: Vec<String>,
    /// The CPython core's own license (PBS: `["Python-2.0", "CNRI-Python"]`).
    pub core_license: Option<LicenseAnnotation>,
}

impl PythonDistribution {
    /// A short label: `CPython 3.11.7 (host, x86_64-unknown-linux-gnu)`.
    pub fn label(&self) -> String {
        let flavor = match self.source {
            DistributionSource::Host { .. } => "host",
            DistributionSource::Standalone { .. } => "python-build-standalone",
            DistributionSource::Embeddable { .. } => "embeddable",
            DistributionSource::MacOsRuntime { .. } => "macos-runtime",
        };
        format!("CPython {} ({flavor}, {})", self.version, self.target_triple)
    }

    /// The static libpython to embed, or an error saying how to get one.
    pub fn require_static_libpython(&self) -> Result<&PathBuf, DistributionError> {
        self.libpython.static_pic_lib.as_ref().or(self.libpython.static_lib.as_ref()).ok_or_else(|| {
            let python = match &self.source {
                DistributionSource::Host { executable } => executable.clone(),
                DistributionSource::Standalone { archive, .. } | DistributionSource::Embeddable { archive, .. } => {
                    archive.clone()
                }
                DistributionSource::MacOsRuntime { wheel, .. } => wheel.clone(),
            };
            let hint = match &self.source {
                DistributionSource::Host { .. } => format!(
                    "install the development package (Debian/Ubuntu: `apt-get install python{}-dev`), build CPython with the default static library, or use a python-build-standalone archive",
                    self.major_minor
                ),
                DistributionSource::Standalone { .. } => {
                    "this archive has no build_info.core.static_lib; use a \"full\" (not \"install_only\") archive".to_string()
                }
                DistributionSource::Embeddable { .. } => "an embeddable package links python3X.dll instead".to_string(),
                DistributionSource::MacOsRuntime { .. } => "the macOS runtime links libpython3.X.dylib instead".to_string(),
            };
            DistributionError::NoStaticLibrary { python, version: self.version.clone(), hint }
        })
    }

    /// The interpreter that compiles bytecode and runs pip for this
    /// distribution: its own, or for one that cannot run here, a host
    /// interpreter of the same version.
    pub fn require_build_interpreter(&self) -> Result<&PathBuf, DistributionError> {
        match &self.source {
            DistributionSource::Embeddable { build_python, .. }
            | DistributionSource::MacOsRuntime { build_python, .. } => Ok(build_python),
            _ => self.require_interpreter(),
        }
    }

    /// Extra `pip install` arguments selecting wheels for this
    /// distribution's platform, when it is not this machine's.
    pub fn pip_platform_args(&self) -> Vec<String> {
        // pip also accepts older macOS versions and universal2 wheels for
        // the platform named.
        let platform = match &self.source {
            DistributionSource::Embeddable { .. } => "win_amd64",
            DistributionSource::MacOsRuntime { .. } if self.target_triple.starts_with("aarch64") => "macosx_11_0_arm64",
            DistributionSource::MacOsRuntime { .. } => "macosx_11_0_x86_64",
            _ => return Vec::new(),
        };
        // Binary wheels only: nothing can be compiled for that platform here.
        let abi = format!("cp{}", self.major_minor.replace('.', ""));
        [
            "--platform",
            platform,
            "--python-version",
            &self.major_minor,
            "--implementation",
            "cp",
            "--abi",
            &abi,
            "--abi",
            "abi3",
            "--abi",
            "none",
            "--only-binary=:all:",
        ]
        .map(str::to_string)
        .to_vec()
    }

    /// Whether executables for this distribution are Windows programs.
    pub fn is_windows(&self) -> bool {
        self.target_triple.contains("-windows-")
    }

    /// Whether executables for this distribution are macOS programs.
    pub fn is_macos(&self) -> bool {
        self.target_triple.ends_with("-apple-darwin")
    }

    /// Whether executables load libpython as a shared library installed
    /// beside them (Windows' `python3X.dll`, macOS' `libpython3.X.dylib`)
    /// instead of linking it statically.
    pub fn links_shared_libpython(&self) -> bool {
        matches!(
            self.source,
            DistributionSource::Embeddable { .. } | DistributionSource::MacOsRuntime { .. }
        )
    }

    /// The interpreter, or an error explaining why it cannot run here.
    pub fn require_interpreter(&self) -> Result<&PathBuf, DistributionError> {
        self.python_exe.as_ref().ok_or_else(|| {
            DistributionError::NoInterpreter(format!(
                "{} targets {}, so its interpreter cannot run on this machine",
                self.label(),
                self.target_triple
            ))
        })
    }
}
