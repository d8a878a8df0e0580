//! `oxdist distribution info|extract|licenses`: inspect Python distributions.

use std::path::Path;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::python::distribution::{ExtensionKind, PythonDistribution};
use crate::python::{host, pbs};
use crate::report::Reporter;

/// Loads the host interpreter (`--python`, else `python3`) or an archive.
pub fn load(archive: Option<&Path>, sha256: Option<&str>, global: &GlobalArgs) -> Result<PythonDistribution, Error> {
    match archive {
        Some(archive) => Ok(pbs::open_archive(archive, sha256, &crate::cache::cache_dir())?),
        None => {
            let python = host::find_interpreter(global.python.as_deref(), None);
            Ok(host::read_host(&python, None)?)
        }
    }
}

pub fn info(archive: Option<&Path>, host: bool, sha256: Option<&str>, global: &GlobalArgs) -> Result<(), Error> {
    if archive.is_none() && !host {
        return Err(Error::Usage(
            "name an archive, or pass --host for the host interpreter".into(),
        ));
    }
    let dist = load(archive, sha256, global)?;
    if global.json {
        println!("{}", serde_json::to_string_pretty(&dist).expect("serializable"));
        return Ok(());
    }
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map_or("(none)".to_string(), |p| p.display().to_string());
    println!("{}", dist.label());
    println!(
        "version:          {} (ABI {})",
        dist.version,
        dist.abi_tag.as_deref().unwrap_or("untagged")
    );
    println!("target triple:    {}", dist.target_triple);
    println!("interpreter:      {}", path(&dist.python_exe));
    println!("standard library: {}", dist.stdlib_dir.display());
    println!("static libpython: {}", path(&dist.libpython.static_lib));
    if dist.libpython.static_pic_lib.is_some() {
        println!("  PIC variant:    {}", path(&dist.libpython.static_pic_lib));
    }
    println!("shared libpython: {}", path(&dist.libpython.shared_lib));
    let links: Vec<&str> = dist.libpython.links.iter().map(|l| l.name.as_str()).collect();
    println!(
        "libpython links:  {}",
        if links.is_empty() {
            "(none)".into()
        } else {
            links.join(" ")
        }
    );
    let (mut builtin, mut shared, mut objects) = (0, 0, 0);
    for variants in dist.extension_modules.values() {
        match variants.first().map(|v| &v.kind) {
            Some(ExtensionKind::Builtin) => builtin += 1,
            Some(ExtensionKind::SharedLibrary { .. }) => shared += 1,
            Some(ExtensionKind::StaticObjects { .. }) => objects += 1,
            None => {}
        }
    }
    println!(
        "extension modules: {} ({builtin} built into libpython, {shared} shared libraries, {objects} static objects)",
        dist.extension_modules.len()
    );
    for (name, variants) in &dist.extension_modules {
        for v in variants {
            let kind = match &v.kind {
                ExtensionKind::Builtin => "builtin".to_string(),
                ExtensionKind::SharedLibrary { path } => format!("shared {}", path.display()),
                ExtensionKind::StaticObjects { objects, .. } => format!("{} objects", objects.len()),
            };
            let licenses = match &v.licenses {
                None => "licenses: not annotated".to_string(),
                Some(l) if l.public_domain && l.spdx_ids.is_empty() => "licenses: public domain".to_string(),
                Some(l) => format!("licenses: {}", l.spdx_ids.join(" AND ")),
            };
            let links: Vec<&str> = v.links.iter().map(|l| l.name.as_str()).collect();
            let links = if links.is_empty() {
                String::new()
            } else {
                format!("; links {}", links.join(" "))
            };
            let required = if v.required { "; required" } else { "" };
            println!("  {name} [{}] {kind}{required}{links}; {licenses}", v.variant);
        }
    }
    if let Err(e) = dist.require_static_libpython() {
        eprintln!("warning: {e}");
    }
    Ok(())
}

/// One row of `oxdist distribution licenses`.
#[derive(serde::Serialize)]
struct ExtensionLicenseRow {
    name: String,
    libraries: Vec<String>,
    license: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown_reason: Option<String>,
    provenance: String,
}

/// The reason of an unknown license, for the row.
fn unknown_reason(license: &oxdist_licenses::License) -> Option<String> {
    match license {
        oxdist_licenses::License::Unknown { reason } => Some(reason.clone()),
        _ => None,
    }
}

/// `oxdist distribution licenses`: each extension module's linked
/// libraries and their licenses: python-build-standalone's annotations, or
/// for a host interpreter what the dpkg database and Debian copyright files
/// say.
pub fn licenses(archive: Option<&Path>, host: bool, sha256: Option<&str>, global: &GlobalArgs) -> Result<(), Error> {
    use crate::python::distribution::DistributionSource;
    use oxdist_licenses::debian::HostLibraries;

    if archive.is_none() && !host {
        return Err(Error::Usage(
            "name an archive, or pass --host for the host interpreter".into(),
        ));
    }
    let dist = load(archive, sha256, global)?;
    let mut host_libraries = HostLibraries::new();
    let mut rows = Vec::new();
    for (name, variants) in &dist.extension_modules {
        let Some(module) = variants.first() else { continue };
        let row = match (&dist.source, &module.kind) {
            (DistributionSource::Host { .. }, ExtensionKind::SharedLibrary { path }) => {
                let found = host_libraries.extension(name, path).map_err(Error::HostLicenses)?;
                ExtensionLicenseRow {
                    name: name.clone(),
                    libraries: found
                        .libraries
                        .iter()
                        .map(|l| match (&l.package, l.platform) {
                            (_, true) => format!("{} (platform)", l.soname),
                            (Some(package), false) => format!("{} ({package})", l.soname),
                            (None, false) => format!("{} (no package)", l.soname),
                        })
                        .collect(),
                    unknown_reason: found.license.as_ref().and_then(unknown_reason),
                    license: found
                        .license
                        .as_ref()
                        .map_or_else(|| "CPython's (links only the platform)".to_string(), |l| l.to_string()),
                    provenance: found.provenance,
                }
            }
            _ => {
                let (license, reason) = match &module.licenses {
                    None if module.links_libraries() => {
                        let license = crate::licensing::unannotated_links(module);
                        (license.to_string(), unknown_reason(&license))
                    }
                    None => ("CPython's (no library annotated)".to_string(), None),
                    Some(a) => {
                        let (license, _) = oxdist_licenses::pbs::annotated_license(&a.spdx_ids, a.public_domain);
                        (license.to_string(), unknown_reason(&license))
                    }
                };
                ExtensionLicenseRow {
                    name: name.clone(),
                    libraries: module.links.iter().map(|l| l.name.clone()).collect(),
                    license,
                    unknown_reason: reason,
                    provenance: format!("PYTHON.json build_info.extensions.{name}[{}]", module.variant),
                }
            }
        };
        rows.push(row);
    }
    if global.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("serializable"));
        return Ok(());
    }
    println!("{}: extension modules, their libraries and licenses", dist.label());
    for row in &rows {
        let libraries = if row.libraries.is_empty() {
            "no libraries".to_string()
        } else {
            row.libraries.join(", ")
        };
        println!(
            "  {}: {}\n      links {libraries}\n      from {}",
            row.name, row.license, row.provenance
        );
        if let Some(reason) = &row.unknown_reason {
            println!("      unknown: {reason}");
        }
    }
    Ok(())
}

pub fn extract(archive: &Path, dest: &Path, reporter: &Reporter) -> Result<(), Error> {
    if dest.exists() && std::fs::read_dir(dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::AlreadyExists(dest.to_path_buf()));
    }
    let step = reporter.step(format!("extracting {}", archive.display()));
    pbs::extract_archive(archive, dest)?;
    step.finish(
        format!("extracted {} into {}", archive.display(), dest.display()),
        reporter,
    );
    Ok(())
}
