//! The Rust crates linked into a cargo-built binary (oxdist's launcher),
//! read from `cargo metadata`.
//!
//! Only crates whose code ends up in the binary carry obligations for the
//! people who receive it: normal dependencies, followed from the root
//! package. Build scripts' dependencies (`[build-dependencies]`) and
//! procedural macros run on the build machine and are not linked, and dev
//! dependencies are not built at all; listing them would bury the report
//! in crates nobody ships. A proc-macro's own dependencies (`syn`, `quote`)
//! are not followed either, for the same reason.
//!
//! `cargo metadata` resolves features for the whole workspace at once, so a
//! workspace member's list can include a crate only another member's
//! features pull in. For a license audit that errs on the safe side: a crate
//! is never missed, at worst one too many is listed. Optional dependencies
//! that only a weak feature (`dep?/feature`) mentions are listed as edges by
//! `cargo metadata` but not built; those are left out.
//!
//! A crate's `license` field is an SPDX expression (crates.io has checked
//! it since 2019, leniently: `MIT/Apache-2.0` is accepted as an old form of
//! `MIT OR Apache-2.0`). License texts are whatever the crate ships at the
//! top of its package: crates.io crates nearly always include their
//! `LICENSE-MIT` / `LICENSE-APACHE` files, which carry the copyright lines
//! that canonical SPDX texts lack.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::component::{Component, ComponentKind, Confidence, License, LicenseText};
use crate::expression::{ExpressionError, LicenseExpression};
use crate::python::{invented_version, purl_encode};

/// Why the crates of a build could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    /// cargo could not be started.
    #[error(
        "cannot run `{program} metadata` ({source}); listing the Rust crates of a build needs cargo (https://rustup.rs)"
    )]
    Spawn { program: String, source: io::Error },
    /// `cargo metadata` ran and failed (no lock file with `--locked`, a
    /// manifest error, no network for a missing crate, …).
    #[error("`cargo metadata` for {} failed ({status}); cargo said:\n{stderr}", manifest.display())]
    Failed {
        manifest: PathBuf,
        status: String,
        stderr: String,
    },
    /// The output is not `cargo metadata --format-version 1` JSON, or is
    /// inconsistent (a dependency that is not among the packages).
    #[error("cannot read the output of `cargo metadata`: {message}")]
    Json { message: String },
    /// No package to start from: `resolve.root` is null (a virtual
    /// workspace manifest) and nothing else identifies the binary's package.
    #[error("`cargo metadata` names no root package{}; pass the manifest of the package that builds the binary, not a virtual workspace manifest", manifest.as_ref().map(|m| format!(" for {}", m.display())).unwrap_or_default())]
    NoRoot { manifest: Option<PathBuf> },
    /// A crate's `license` field is not a license expression, even read
    /// leniently.
    #[error("crate {name} {version}: the Cargo.toml license field: {source}")]
    License {
        name: String,
        version: String,
        source: ExpressionError,
    },
    /// A license file of a crate exists (or is named by `license-file`) but
    /// cannot be read.
    #[error("crate {name} {version}: cannot read {}: {source}", path.display())]
    Read {
        name: String,
        version: String,
        path: PathBuf,
        source: io::Error,
    },
}

/// Runs `cargo metadata --format-version 1` (env CARGO or `cargo`) for
/// `manifest_path`, optionally `--filter-platform TRIPLE`, and returns the
/// crates the package of `manifest_path` links (see [`linked_crates`]).
///
/// Not `--locked`: the audit must resolve as the build does, and oxdist's
/// launcher project starts from a copy of the whole workspace's lock file,
/// which cargo prunes (without changing any pinned version) on first use —
/// a change `--locked` would refuse. `--filter-platform`
/// drops dependencies of other targets (`windows-sys` on Linux); without it
/// every platform's dependencies are listed.
pub fn cargo_metadata(manifest_path: &Path, target_triple: Option<&str>) -> Result<Vec<Component>, CargoError> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&program);
    command
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest_path);
    if let Some(triple) = target_triple {
        command.args(["--filter-platform", triple]);
    }
    let output = command.output().map_err(|source| CargoError::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    })?;
    if !output.status.success() {
        return Err(CargoError::Failed {
            manifest: manifest_path.to_path_buf(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    crates_of(&output.stdout, Some(manifest_path))
}

/// The crates `root` links: normal (not build, not dev) dependencies
/// reachable from the root package through `resolve.nodes[].deps[].dep_kinds`
/// (kind null = normal), excluding proc-macro crates (target kind
/// "proc-macro") and the root itself. The root is the package
/// `resolve.root` names; if that is null, the workspace's only member.
///
/// Each crate becomes a [`ComponentKind::RustCrate`] component, sorted by
/// name and version.
pub fn linked_crates(metadata_json: &[u8]) -> Result<Vec<Component>, CargoError> {
    crates_of(metadata_json, None)
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    resolve: Option<Resolve>,
    #[serde(default)]
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    version: String,
    license: Option<String>,
    license_file: Option<String>,
    homepage: Option<String>,
    repository: Option<String>,
    manifest_path: PathBuf,
    source: Option<String>,
    #[serde(default)]
    targets: Vec<Target>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    /// Feature name → what it enables (`dep:x`, `x/f`, `x?/f`, other features).
    #[serde(default)]
    features: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    rename: Option<String>,
    #[serde(default)]
    optional: bool,
    /// `null` for normal dependencies, `"dev"`, `"build"`.
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Target {
    #[serde(default)]
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
    root: Option<String>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
    /// The features enabled on this package.
    #[serde(default)]
    features: Vec<String>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    /// Absent before cargo 1.41; then every edge is taken as normal, which
    /// lists too much rather than too little.
    dep_kinds: Option<Vec<DepKind>>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

impl NodeDep {
    fn is_normal(&self) -> bool {
        self.dep_kinds
            .as_ref()
            .is_none_or(|kinds| kinds.iter().any(|k| k.kind.is_none()))
    }
}

impl Package {
    fn is_proc_macro(&self) -> bool {
        self.targets.iter().any(|t| t.kind.iter().any(|k| k == "proc-macro"))
    }
}

fn crates_of(json: &[u8], manifest: Option<&Path>) -> Result<Vec<Component>, CargoError> {
    let metadata: Metadata = serde_json::from_slice(json).map_err(|e| CargoError::Json { message: e.to_string() })?;
    let Some(resolve) = &metadata.resolve else {
        return Err(CargoError::Json {
            message: "it has no dependency graph (\"resolve\" is null: was it run with --no-deps?)".into(),
        });
    };
    let packages: HashMap<&str, &Package> = metadata.packages.iter().map(|p| (p.id.as_str(), p)).collect();
    let nodes: HashMap<&str, &Node> = resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let root = root_id(&metadata, resolve, manifest)?;
    let missing = |id: &str| CargoError::Json {
        message: format!("the dependency graph names package {id}, which is not among the packages"),
    };

    let mut linked: Vec<&Package> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::from([root]);
    let mut queue: VecDeque<&str> = VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        let node = nodes.get(id).ok_or_else(|| missing(id))?;
        let parent = packages.get(id).ok_or_else(|| missing(id))?;
        for dep in node.deps.iter().filter(|d| d.is_normal()) {
            let package = packages.get(dep.pkg.as_str()).ok_or_else(|| missing(&dep.pkg))?;
            if package.is_proc_macro()
                || !activates(parent, &node.features, &package.name)
                || !seen.insert(dep.pkg.as_str())
            {
                continue;
            }
            linked.push(package);
            queue.push_back(dep.pkg.as_str());
        }
    }
    linked.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| compare_versions(&a.version, &b.version))
    });
    linked.into_iter().map(crate_component).collect()
}

/// Whether `parent`, with `enabled` features, really uses its dependency on
/// the package named `name`. `cargo metadata` lists an optional dependency
/// as an edge as soon as a *weak* feature (`name?/feature`) mentions it,
/// although only a feature enabling `dep:name`, `name/feature` or the
/// implicit feature `name` turns it on (`cargo tree` agrees); such an edge
/// is not followed.
fn activates(parent: &Package, enabled: &[String], name: &str) -> bool {
    let mut entries = parent
        .dependencies
        .iter()
        .filter(|d| d.kind.is_none() && d.name == name)
        .peekable();
    if entries.peek().is_none() {
        // Not declared as a normal dependency (JSON from elsewhere): keep it.
        return true;
    }
    entries.any(|dependency| {
        if !dependency.optional {
            return true;
        }
        let key = dependency.rename.as_deref().unwrap_or(&dependency.name);
        let strong = format!("{key}/");
        let explicit = format!("dep:{key}");
        enabled.iter().any(|feature| {
            feature == key
                || parent
                    .features
                    .get(feature)
                    .is_some_and(|items| items.iter().any(|item| *item == explicit || item.starts_with(&strong)))
        })
    })
}

/// The package the binary is built from: `resolve.root`; for a virtual
/// manifest (root null), the package whose manifest is `manifest`, or the
/// workspace's only member.
fn root_id<'m>(metadata: &'m Metadata, resolve: &'m Resolve, manifest: Option<&Path>) -> Result<&'m str, CargoError> {
    if let Some(root) = &resolve.root {
        return Ok(root);
    }
    if let Some(manifest) = manifest {
        let wanted = fs::canonicalize(manifest).unwrap_or_else(|_| manifest.to_path_buf());
        let found = metadata
            .packages
            .iter()
            .find(|p| fs::canonicalize(&p.manifest_path).unwrap_or_else(|_| p.manifest_path.clone()) == wanted);
        if let Some(package) = found {
            return Ok(&package.id);
        }
    }
    match metadata.workspace_members.as_slice() {
        [only] => Ok(only),
        _ => Err(CargoError::NoRoot {
            manifest: manifest.map(Path::to_path_buf),
        }),
    }
}

fn crate_component(package: &Package) -> Result<Component, CargoError> {
    let (name, version) = (&package.name, &package.version);
    let directory = package.manifest_path.parent().unwrap_or(Path::new("."));
    let read_error = |path: &Path, source: io::Error| CargoError::Read {
        name: name.clone(),
        version: version.clone(),
        path: path.to_path_buf(),
        source,
    };

    // The license-file first (it may live outside the top level), then the
    // license-looking files at the top of the package.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Some(file) = &package.license_file {
        files.push((file.clone(), directory.join(file)));
    }
    match fs::read_dir(directory) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|e| read_error(directory, e))?;
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if is_license_file(&file_name) && path.is_file() && !files.iter().any(|(_, p)| same_file(p, &path)) {
                    files.push((file_name, path));
                }
            }
        }
        // JSON from elsewhere may describe crates not on this machine.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(read_error(directory, e)),
    }
    files.sort();
    let mut license_texts = Vec::with_capacity(files.len());
    for (file_name, path) in files {
        let bytes = fs::read(&path).map_err(|e| read_error(&path, e))?;
        license_texts.push(LicenseText {
            name: file_name,
            origin: path.display().to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }

    let field = package.license.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let (license, provenance, confidence) = match (field, &package.license_file) {
        (Some(text), _) => {
            let provenance = format!("Cargo.toml license field of {name} {version} (cargo metadata)");
            match LicenseExpression::parse(text) {
                Ok(expression) => (License::expression(expression), provenance, Confidence::High),
                Err(_) => {
                    let expression = LicenseExpression::parse_lax(text).map_err(|source| CargoError::License {
                        name: name.clone(),
                        version: version.clone(),
                        source,
                    })?;
                    match invented_version(text, &expression) {
                        None => (License::expression(expression), provenance, Confidence::Medium),
                        Some(guess) => (
                            License::unknown(format!(
                                "the license field \"{text}\" does not say which version of the license is \
                                 meant (a lenient reading would guess {guess})"
                            )),
                            provenance,
                            Confidence::None,
                        ),
                    }
                }
            }
        }
        (None, Some(file)) => (
            License::unknown(format!("license-file only: {file}")),
            format!("Cargo.toml license-file of {name} {version} (cargo metadata)"),
            Confidence::None,
        ),
        (None, None) => (
            License::unknown("Cargo.toml has neither a license nor a license-file field"),
            format!("Cargo.toml of {name} {version} (cargo metadata)"),
            Confidence::None,
        ),
    };

    let mut component = Component::new(
        ComponentKind::RustCrate,
        name.clone(),
        Some(version.clone()),
        license,
        provenance,
        confidence,
    );
    component.license_texts = license_texts;
    component.homepage = package
        .homepage
        .as_deref()
        .or(package.repository.as_deref())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    component.purl = purl(package);
    Ok(component)
}

/// `pkg:cargo/NAME@VERSION` for crates from a registry. A crate from a path
/// or a git repository is not the crates.io crate of that name (local
/// crates often are not published at all), so it gets no package URL rather
/// than a wrong one; crates of other registries name their registry.
fn purl(package: &Package) -> Option<String> {
    let source = package.source.as_deref()?;
    let base = format!(
        "pkg:cargo/{}@{}",
        purl_encode(&package.name),
        purl_encode(&package.version)
    );
    const CRATES_IO: &[&str] = &[
        "registry+https://github.com/rust-lang/crates.io-index",
        "sparse+https://index.crates.io/",
    ];
    if CRATES_IO.contains(&source) {
        return Some(base);
    }
    let url = source
        .strip_prefix("registry+")
        .or_else(|| source.strip_prefix("sparse+"))?;
    Some(format!("{base}?repository_url={}", purl_encode(url)))
}

/// Whether a top-level file of a crate is a license or notice file.
fn is_license_file(file_name: &str) -> bool {
    let upper = file_name.to_ascii_uppercase();
    ["LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE"]
        .iter()
        .any(|prefix| upper.starts_with(prefix))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Orders semver versions numerically (`0.9.0` before `0.10.0`), a
/// pre-release before its release; anything unparsable falls back to text.
fn compare_versions(a: &str, b: &str) -> Ordering {
    fn key(v: &str) -> (Vec<u64>, bool) {
        let core = v.split(['-', '+']).next().unwrap_or(v);
        let numbers = core.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        let release = !v[core.len()..].starts_with('-');
        (numbers, release)
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let mut versions = vec!["0.10.0", "0.9.1", "1.0.0", "1.0.0-rc.1", "0.9.1+build"];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(versions, ["0.9.1", "0.9.1+build", "0.10.0", "1.0.0-rc.1", "1.0.0"]);
    }

    #[test]
    fn license_file_names() {
        for name in [
            "LICENSE",
            "LICENSE-MIT",
            "license-apache",
            "LICENCE.txt",
            "COPYING",
            "NOTICE",
            "UNLICENSE",
        ] {
            assert!(is_license_file(name), "{name}");
        }
        for name in ["README.md", "Cargo.toml", "src", "COPYRIGHT-LIST"] {
            assert!(!is_license_file(name), "{name}");
        }
    }

    #[test]
    fn bad_json_is_an_error() {
        let err = linked_crates(b"not json").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the output of `cargo metadata`"),
            "{err}"
        );
        let err = linked_crates(br#"{"packages": [], "resolve": null}"#).unwrap_err();
        assert!(err.to_string().contains("--no-deps"), "{err}");
        let err = linked_crates(
            br#"{"packages": [], "resolve": {"root": null, "nodes": []}, "workspace_members": ["a", "b"]}"#,
        )
        .unwrap_err();
        assert!(matches!(err, CargoError::NoRoot { .. }), "{err}");
        let err = linked_crates(br#"{"packages": [], "resolve": {"root": "r", "nodes": []}}"#).unwrap_err();
        assert!(err.to_string().contains("names package r"), "{err}");
    }
}
