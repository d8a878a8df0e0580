//! The license audit of a target: what its executables contain, as
//! [`oxdist_licenses::Component`]s.
//!
//! The `licenses` crate knows where each kind of component states its
//! license; this module knows where those components are in an oxdist build:
//!
//! | component | facts read |
//! |---|---|
//! | CPython | the distribution's core annotation (PBS) or `Python-2.0`, and its `LICENSE.txt` |
//! | stdlib extension modules kept by the policy | PBS `licenses` annotations; on a host build, the libraries each `.so` links, through the dpkg database and Debian copyright files |
//! | Python packages | every `.dist-info` among the executable's resources: `METADATA` and license files |
//! | Rust crates | `cargo metadata` of the launcher project (not for `to_embedded_resources()`, which has no launcher) |
//! | the application | `set_package_metadata()` |
//!
//! The configuration's clarifications are applied before anyone looks at
//! the result, so reports, notices, SBOMs and the gate all see the same facts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use oxdist_installers::PackageMetadata;
use oxdist_licenses::debian::HostLibraries;
use oxdist_licenses::policy::LicensePolicy;
use oxdist_licenses::python::{DistInfo, normalize_name, python_package};
use oxdist_licenses::{Audit, Component, ComponentKind, Confidence, License, LicenseExpression, LicenseText, Product};

use crate::embedding::ResourceItem;
use crate::embedding::executable::ExecutableSpec;
use crate::python::distribution::{
    DistributionSource, ExtensionKind, ExtensionModule, LicenseAnnotation, PythonDistribution,
};
use crate::python::resources::PythonResource;

/// Why an audit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Python(#[from] oxdist_licenses::python::PythonMetadataError),
    #[error(transparent)]
    Debian(#[from] oxdist_licenses::debian::DebianError),
    #[error("the launcher's Rust crates: {0}")]
    Cargo(#[from] oxdist_licenses::cargo::CargoError),
    #[error("the launcher project: {0}")]
    Launcher(#[from] crate::embedding::launcher::LauncherError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Resource(#[from] oxdist_installers::ManifestError),
    #[error("license policy: {0}")]
    Policy(#[from] oxdist_licenses::policy::PolicyError),
}

/// The product an audit describes: the package metadata, or the target name.
pub fn product(metadata: Option<&PackageMetadata>, target: &str) -> Product {
    match metadata {
        Some(m) => Product {
            name: m.name.clone(),
            version: Some(m.version.clone()),
            license: m.license.clone(),
            supplier: m.vendor.clone().or_else(|| m.maintainer.clone()),
            homepage: m.homepage.clone(),
        },
        None => Product {
            name: target.to_string(),
            ..Product::default()
        },
    }
}

/// Audits `executables` (the contents of one target) for `product`, then
/// applies the policy's clarifications.
pub fn audit(
    product: Product,
    executables: &[ExecutableSpec],
    policy: &LicensePolicy,
    cache: &Path,
) -> Result<Audit, AuditError> {
    let mut audit = Audit {
        product,
        components: Vec::new(),
    };
    let mut host = None;
    for spec in executables {
        audit_executable(spec, &mut audit, &mut host, cache)?;
    }
    // The application's own .dist-info is not a third party.
    let own = normalize_name(&audit.product.name);
    for component in &mut audit.components {
        if component.kind == ComponentKind::PythonPackage && normalize_name(&component.name) == own {
            component.kind = ComponentKind::Application;
            component.id = format!("{}:{}", ComponentKind::Application.id_prefix(), component.name);
        }
    }
    audit.sort();
    policy.apply_clarifications(&mut audit)?;
    relicense_clarified_links(&mut audit);
    Ok(audit)
}

/// What the gate judges: everything but the libraries other components link.
/// Those are judged through the modules that link them (whose license is
/// theirs), so an exception for `readline` covers GNU readline too, and one
/// finding is reported per thing the configuration can act on.
pub fn judged(audit: &Audit) -> Audit {
    let linked: std::collections::BTreeSet<&str> = audit
        .components
        .iter()
        .flat_map(|c| c.depends_on.iter().map(String::as_str))
        .collect();
    Audit {
        product: audit.product.clone(),
        components: audit
            .components
            .iter()
            .filter(|c| !(c.kind == ComponentKind::Library && linked.contains(c.id.as_str())))
            .cloned()
            .collect(),
    }
}

/// An extension module is licensed as the libraries it links, so clarifying
/// a library (`clarify_license("libcrypt1", …)`) clarifies the modules that
/// link it — unless the module was clarified itself.
fn relicense_clarified_links(audit: &mut Audit) {
    let clarified: BTreeMap<String, License> = audit
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::Library && c.clarification.is_some())
        .map(|c| (c.id.clone(), c.license.clone()))
        .collect();
    if clarified.is_empty() {
        return;
    }
    let licenses: BTreeMap<String, License> = audit
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::Library)
        .map(|c| (c.id.clone(), c.license.clone()))
        .collect();
    for component in &mut audit.components {
        if component.kind != ComponentKind::StdlibExtension
            || component.clarification.is_some()
            || !component.depends_on.iter().any(|id| clarified.contains_key(id))
        {
            continue;
        }
        let parts = component.depends_on.iter().filter_map(|id| licenses.get(id).cloned());
        component.license = License::all_of(parts);
        let names: Vec<&str> = component
            .depends_on
            .iter()
            .filter(|id| clarified.contains_key(*id))
            .map(|id| id.strip_prefix("library:").unwrap_or(id))
            .collect();
        component.provenance = format!(
            "{}; licensed as its libraries, {} clarified in configuration",
            component.provenance,
            names.join(", ")
        );
    }
}

fn audit_executable(
    spec: &ExecutableSpec,
    audit: &mut Audit,
    host: &mut Option<HostLibraries>,
    cache: &Path,
) -> Result<(), AuditError> {
    audit.add(distribution_component(&spec.dist)?);
    let mut dist_infos: BTreeMap<String, Vec<&crate::python::resources::DistributionResource>> = BTreeMap::new();
    for (item, add) in &spec.resources {
        if !add.include {
            continue;
        }
        match item {
            ResourceItem::Distribution(module) => {
                for component in extension_components(&spec.dist, module, host)? {
                    audit.add(component);
                }
            }
            ResourceItem::Classified(PythonResource::DistributionResource(resource)) => {
                dist_infos.entry(resource.directory.clone()).or_default().push(resource);
            }
            ResourceItem::Classified(_) => {}
        }
    }
    for (directory, files) in dist_infos {
        let Some(metadata) = files.iter().find(|f| f.name == "METADATA") else {
            continue;
        };
        let read = |resource: &crate::python::resources::DistributionResource| -> Result<Vec<u8>, AuditError> {
            Ok(resource.data.read()?.into_owned())
        };
        let metadata_text = String::from_utf8_lossy(&read(metadata)?).into_owned();
        let mut others = Vec::new();
        for file in files.iter().filter(|f| f.name != "METADATA") {
            others.push((file.name.clone(), read(file)?));
        }
        let origin = metadata
            .origin
            .parent()
            .map_or_else(|| directory.clone(), |p| p.display().to_string());
        let component = python_package(&DistInfo {
            directory: &directory,
            origin: &origin,
            metadata: &metadata_text,
            files: others,
        })?;
        audit.add(component);
    }
    if spec.with_launcher {
        for component in launcher_crates(&spec.dist, cache)? {
            audit.add(component);
        }
    }
    Ok(())
}

/// CPython itself: the core annotation (PBS) or the Python license, with
/// the distribution's license file.
fn distribution_component(dist: &PythonDistribution) -> Result<Component, AuditError> {
    let (license, confidence, provenance) = match &dist.core_license {
        Some(annotation) if !annotation.spdx_ids.is_empty() || annotation.public_domain => {
            let (license, confidence) =
                oxdist_licenses::pbs::annotated_license(&annotation.spdx_ids, annotation.public_domain);
            let provenance = match &dist.source {
                DistributionSource::Standalone { archive, .. } => {
                    format!("{} PYTHON.json licenses", archive.display())
                }
                DistributionSource::Host { executable } => {
                    format!("CPython's license (host interpreter {})", executable.display())
                }
                DistributionSource::Embeddable { archive, .. } => {
                    format!("CPython's license ({} LICENSE.txt)", archive.display())
                }
                DistributionSource::MacOsRuntime { wheel, .. } => {
                    format!("CPython's license (python.org's build, from {})", wheel.display())
                }
            };
            (license, confidence, provenance)
        }
        _ => (
            License::expression(LicenseExpression::parse("Python-2.0").expect("valid id")),
            Confidence::Medium,
            "CPython's license (no annotation in the distribution)".to_string(),
        ),
    };
    let mut component = Component::new(
        ComponentKind::PythonDistribution,
        "CPython",
        Some(dist.version.clone()),
        license,
        provenance,
        confidence,
    );
    component.homepage = Some("https://www.python.org/".into());
    component.purl = Some(format!("pkg:generic/cpython@{}", dist.version));
    let mut paths: Vec<std::path::PathBuf> = dist
        .core_license
        .iter()
        .flat_map(|a| a.license_paths.iter().cloned())
        .collect();
    let stdlib_license = dist.stdlib_dir.join("LICENSE.txt");
    if paths.is_empty() && stdlib_license.is_file() {
        paths.push(stdlib_license);
    }
    for path in paths {
        component.license_texts.push(read_text(&path)?);
    }
    Ok(component)
}

fn read_text(path: &Path) -> Result<LicenseText, AuditError> {
    let text = std::fs::read(path).map_err(|source| AuditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(LicenseText {
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        origin: path.display().to_string(),
        text: String::from_utf8_lossy(&text).into_owned(),
    })
}

/// The components an extension module of the distribution brings: none
/// when it links nothing beyond the platform (it is CPython's own code);
/// else the module, licensed as the libraries it links, and (host builds)
/// those libraries' packages.
fn extension_components(
    dist: &PythonDistribution,
    module: &ExtensionModule,
    host: &mut Option<HostLibraries>,
) -> Result<Vec<Component>, AuditError> {
    let mut components = Vec::new();
    match (&dist.source, &module.kind) {
        (DistributionSource::Host { .. }, ExtensionKind::SharedLibrary { path }) => {
            let host = host.get_or_insert_with(HostLibraries::new);
            let found = host.extension(&module.name, path)?;
            let Some(license) = found.license else {
                return Ok(components);
            };
            let mut component = Component::new(
                ComponentKind::StdlibExtension,
                &module.name,
                Some(dist.version.clone()),
                license,
                found.provenance,
                found.confidence,
            );
            for package in &found.packages {
                let package_name = package.strip_prefix("library:").unwrap_or(package);
                let library = host.package_component(package_name)?;
                component.depends_on.push(library.id.clone());
                components.push(library);
            }
            components.insert(0, component);
        }
        _ => {
            let (license, confidence) = match &module.licenses {
                Some(annotation) => {
                    oxdist_licenses::pbs::annotated_license(&annotation.spdx_ids, annotation.public_domain)
                }
                // No keys: PBS attached no third-party library. That is
                // CPython's own code unless the module links one anyway (a
                // Windows DLL outside PBS's curated map): then the license
                // is unknown, as the `no-copyleft` filter judges it too.
                None if module.links_libraries() => (unannotated_links(module), Confidence::None),
                None => return Ok(components),
            };
            let annotation = module.licenses.clone().unwrap_or(LicenseAnnotation {
                spdx_ids: Vec::new(),
                license_paths: Vec::new(),
                public_domain: false,
            });
            let mut component = Component::new(
                ComponentKind::StdlibExtension,
                &module.name,
                Some(dist.version.clone()),
                license,
                format!(
                    "PYTHON.json build_info.extensions.{}[{}] licenses",
                    module.name, module.variant
                ),
                confidence,
            );
            for path in &annotation.license_paths {
                component.license_texts.push(read_text(path)?);
            }
            components.push(component);
        }
    }
    Ok(components)
}

/// The unknown license of a module that links libraries no annotation covers.
pub(crate) fn unannotated_links(module: &ExtensionModule) -> License {
    let names: Vec<&str> = module
        .links
        .iter()
        .filter(|l| !l.system && !l.framework)
        .map(|l| l.name.as_str())
        .collect();
    License::unknown(format!(
        "PYTHON.json attaches no license to the libraries it links ({}); read their licenses and add a clarification",
        names.join(", ")
    ))
}

/// The crates linked into the launcher that `dist`'s executables start from.
fn launcher_crates(dist: &Arc<PythonDistribution>, cache: &Path) -> Result<Vec<Component>, AuditError> {
    let manifest = crate::embedding::launcher::launcher_project(dist, cache)?;
    Ok(oxdist_licenses::cargo::cargo_metadata(
        &manifest,
        Some(&dist.target_triple),
    )?)
}
