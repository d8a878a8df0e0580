//! The host CPython: an installed interpreter read through its own `sysconfig`.
//!
//! This is the default distribution on machines without network access: the
//! machine's `python3` (or `--python PATH`) with its static `libpython3.X.a`.
//! The interpreter runs `host_probe.py` once; everything else comes from
//! that JSON document.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::distribution::{
    DistributionSource, ExtensionKind, ExtensionModule, LibPython, LicenseAnnotation, LinkLibrary, PythonDistribution,
};
use super::resources::PythonSuffixes;

/// Why the host interpreter could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "cannot run Python interpreter {}: {message}; install Python 3 or pass --python PATH",
        path.display()
    )]
    Run { path: PathBuf, message: String },
    #[error("{} failed to describe itself (exit {code}): {stderr}", path.display())]
    Probe { path: PathBuf, code: i32, stderr: String },
    #[error("{} is {found}, not the requested Python {wanted}", path.display())]
    WrongVersion {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("{} is not CPython ({implementation}); oxdist embeds CPython only", path.display())]
    NotCPython { path: PathBuf, implementation: String },
}

#[derive(Debug, Deserialize)]
struct Probe {
    executable: String,
    version: String,
    implementation: String,
    cache_tag: Option<String>,
    builtin_module_names: Vec<String>,
    source_suffixes: Vec<String>,
    bytecode_suffixes: Vec<String>,
    extension_suffixes: Vec<String>,
    paths: BTreeMap<String, String>,
    config_vars: BTreeMap<String, Option<serde_json::Value>>,
    dynload_dir: String,
    dynload_files: Vec<String>,
}

impl Probe {
    fn var(&self, name: &str) -> Option<String> {
        match self.config_vars.get(name)?.as_ref()? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Finds the interpreter to use: `explicit`, else `python3` on `PATH`
/// (`python3.X` when `version` is given).
pub fn find_interpreter(explicit: Option<&Path>, version: Option<&str>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    match version {
        Some(v) => PathBuf::from(format!("python{v}")),
        None => PathBuf::from("python3"),
    }
}

/// Reads the CPython at `python` into a [`PythonDistribution`]. With
/// `wanted_version` (`3.11`), a different interpreter version is an error.
pub fn read_host(python: &Path, wanted_version: Option<&str>) -> Result<PythonDistribution, HostError> {
    let output = Command::new(python)
        .args(["-I", "-S", "-c", include_str!("host_probe.py")])
        .output()
        .map_err(|e| HostError::Run {
            path: python.to_path_buf(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(HostError::Probe {
            path: python.to_path_buf(),
            code: output.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let probe: Probe = serde_json::from_slice(&output.stdout).map_err(|e| HostError::Probe {
        path: python.to_path_buf(),
        code: 0,
        stderr: format!("unreadable description: {e}"),
    })?;
    if probe.implementation != "cpython" {
        return Err(HostError::NotCPython {
            path: python.to_path_buf(),
            implementation: probe.implementation,
        });
    }
    let major_minor = probe.version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    if let Some(wanted) = wanted_version
        && wanted != major_minor
        && wanted != probe.version
    {
        return Err(HostError::WrongVersion {
            path: python.to_path_buf(),
            found: probe.version.clone(),
            wanted: wanted.to_string(),
        });
    }
    let mut dist = distribution_from_probe(probe, major_minor);
    annotate_linked_libraries(&mut dist);
    Ok(dist)
}

/// Fills in, for each shared-library extension module, the libraries it
/// links and their licenses as the dpkg database and Debian copyright files
/// state them, so that the `no-libraries` and `no-copyleft` filters work on
/// a host distribution as they do on python-build-standalone's annotations.
///
/// A module whose libraries cannot be read is recorded as linking an unknown
/// library with no license: both filters then leave it out, because unknown
/// is not assumed to be harmless.
fn annotate_linked_libraries(dist: &mut PythonDistribution) {
    let mut host = oxdist_licenses::debian::HostLibraries::new();
    for module in dist.extension_modules.values_mut().flatten() {
        let ExtensionKind::SharedLibrary { path } = &module.kind else {
            continue;
        };
        let Ok(found) = host.extension(&module.name, path) else {
            module.links = vec![LinkLibrary {
                name: "(unreadable)".into(),
                system: false,
                framework: false,
                path_static: None,
                path_dynamic: None,
                package: None,
                license: None,
            }];
            continue;
        };
        module.links = found
            .libraries
            .iter()
            .map(|library| {
                // A library's own license, so that clarifying one library
                // can relicense the modules linking it (see `python::policy`).
                let package = library.package.as_deref().filter(|_| !library.platform);
                let license = package
                    .and_then(|p| host.package_component(p).ok())
                    .and_then(|component| LicenseAnnotation::from_license(component.license));
                LinkLibrary {
                    name: library_name(&library.soname),
                    system: library.platform,
                    framework: false,
                    path_static: None,
                    path_dynamic: None,
                    package: package.map(|p| p.split(':').next().unwrap_or(p).to_string()),
                    license,
                }
            })
            .collect();
        module.licenses = found.license.and_then(LicenseAnnotation::from_license);
    }
}

/// `libreadline.so.8` → `readline`: the name a linker flag would use.
fn library_name(soname: &str) -> String {
    let stem = soname.split(".so").next().unwrap_or(soname);
    stem.strip_prefix("lib").unwrap_or(stem).to_string()
}

fn distribution_from_probe(probe: Probe, major_minor: String) -> PythonDistribution {
    let stdlib_dir = PathBuf::from(probe.paths.get("stdlib").cloned().unwrap_or_default());
    let dynload_dir = PathBuf::from(&probe.dynload_dir);
    let nodot = major_minor.replace('.', "");
    let suffixes = PythonSuffixes {
        source: probe.source_suffixes.clone(),
        bytecode: probe.bytecode_suffixes.clone(),
        extension: probe.extension_suffixes.clone(),
    };

    let mut extension_modules: BTreeMap<String, Vec<ExtensionModule>> = BTreeMap::new();
    for name in &probe.builtin_module_names {
        extension_modules.insert(
            name.clone(),
            vec![ExtensionModule {
                name: name.clone(),
                variant: "default".into(),
                kind: ExtensionKind::Builtin,
                // Built into libpython: available whenever libpython is linked.
                required: true,
                init_fn: None,
                links: Vec::new(),
                licenses: None,
            }],
        );
    }
    for file in &probe.dynload_files {
        let Some(suffix) = suffixes
            .extension
            .iter()
            .filter(|s| file.ends_with(s.as_str()))
            .max_by_key(|s| s.len())
        else {
            continue;
        };
        let name = file[..file.len() - suffix.len()].to_string();
        extension_modules
            .entry(name.clone())
            .or_default()
            .push(ExtensionModule {
                name: name.clone(),
                variant: "default".into(),
                kind: ExtensionKind::SharedLibrary {
                    path: dynload_dir.join(file),
                },
                required: false,
                init_fn: Some(format!("PyInit_{}", name.rsplit('.').next().unwrap_or(&name))),
                // Linked libraries and their licenses are read by the license auditor.
                links: Vec::new(),
                licenses: None,
            });
    }

    let libpython = libpython_from_probe(&probe, &major_minor);
    let multiarch = probe.var("MULTIARCH");
    PythonDistribution {
        source: DistributionSource::Host {
            executable: PathBuf::from(&probe.executable),
        },
        version: probe.version.clone(),
        cache_tag: probe.cache_tag.clone().unwrap_or_else(|| format!("cpython-{nodot}")),
        abi_tag: Some(format!("cp{nodot}{}", probe.var("ABIFLAGS").unwrap_or_default())),
        target_triple: multiarch
            .as_deref()
            .map(triple_from_multiarch)
            .unwrap_or_else(|| crate::HOST_TRIPLE.to_string()),
        python_exe: Some(PathBuf::from(&probe.executable)),
        stdlib_dir,
        extension_dir: dynload_dir.is_dir().then_some(dynload_dir),
        suffixes,
        libpython,
        extension_modules,
        stdlib_test_packages: STDLIB_TEST_PACKAGES.iter().map(|s| s.to_string()).collect(),
        core_license: Some(LicenseAnnotation {
            spdx_ids: vec!["Python-2.0".into()],
            license_paths: Vec::new(),
            public_domain: false,
        }),
        major_minor,
    }
}

fn libpython_from_probe(probe: &Probe, major_minor: &str) -> LibPython {
    let libpl = probe.var("LIBPL").map(PathBuf::from);
    let libdir = probe.var("LIBDIR").map(PathBuf::from);
    let static_name = probe
        .var("LIBRARY")
        .unwrap_or_else(|| format!("libpython{major_minor}.a"));
    let pic_name = static_name.replace(".a", "-pic.a");
    let candidates = |name: &str| -> Option<PathBuf> {
        [libpl.as_ref(), libdir.as_ref()]
            .into_iter()
            .flatten()
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    let static_lib = candidates(&static_name);
    let static_pic_lib = candidates(&pic_name);
    let shared_lib = probe
        .var("LDLIBRARY")
        .filter(|l| l.ends_with(".so") || l.contains(".so."))
        .and_then(|l| candidates(&l));
    let mut links = Vec::new();
    // MODLIBS: libraries of extension modules built into libpython (Debian: -lz -lexpat).
    for flags in [probe.var("LIBS"), probe.var("SYSLIBS"), probe.var("MODLIBS")]
        .into_iter()
        .flatten()
    {
        for flag in flags.split_whitespace() {
            if let Some(name) = flag.strip_prefix("-l")
                && !links.iter().any(|l: &LinkLibrary| l.name == name)
            {
                links.push(LinkLibrary {
                    name: name.to_string(),
                    system: true,
                    framework: false,
                    path_static: None,
                    path_dynamic: None,
                    package: None,
                    license: None,
                });
            }
        }
    }
    LibPython {
        static_lib,
        static_pic_lib,
        shared_lib,
        links,
    }
}

/// Debian/Ubuntu multiarch tuple → Rust target triple.
fn triple_from_multiarch(multiarch: &str) -> String {
    let mut parts = multiarch.splitn(2, '-');
    let arch = parts.next().unwrap_or_default();
    match parts.next() {
        Some(rest) if rest.starts_with("linux") => format!("{arch}-unknown-{rest}"),
        Some(rest) if rest.starts_with("darwin") => format!("{arch}-apple-darwin"),
        _ => crate::HOST_TRIPLE.to_string(),
    }
}

/// Standard-library packages that hold tests, as python-build-standalone lists them.
pub const STDLIB_TEST_PACKAGES: &[&str] = &[
    "bsddb.test",
    "ctypes.test",
    "distutils.tests",
    "email.test",
    "idlelib.idle_test",
    "json.tests",
    "lib-tk.test",
    "lib2to3.tests",
    "sqlite3.test",
    "test",
    "tkinter.test",
    "unittest.test",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiarch_to_triple() {
        assert_eq!(triple_from_multiarch("x86_64-linux-gnu"), "x86_64-unknown-linux-gnu");
        assert_eq!(
            triple_from_multiarch("aarch64-linux-musl"),
            "aarch64-unknown-linux-musl"
        );
        assert_eq!(triple_from_multiarch("arm64-darwin"), "arm64-apple-darwin");
    }
}
