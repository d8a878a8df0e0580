//! `oxdist distribution info|extract`: inspect Python distributions.

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
