//! The commands: each turns evaluated target outputs into artifacts.

pub mod analyze;
pub mod authenticode_key;
pub mod build;
pub mod distribution;
pub mod find_resources;
pub mod init;
pub mod licenses;
pub mod list_targets;
pub mod notarize;
pub mod package;
pub mod run;
pub mod signing_key;

use crate::cli::GlobalArgs;
use crate::dialect::{self, EvalOptions, Evaluation, Resolve};
use crate::discover::find_config;
use crate::error::Error;
use crate::report::Summary;

/// Finds and evaluates the configuration, resolving `resolve`.
pub(crate) fn evaluate(global: &GlobalArgs, resolve: Resolve) -> Result<Evaluation, Error> {
    let (config_path, source) = match locate_config(global)? {
        Located::File(path) => (path, None),
        Located::Pyproject(pyproject) => {
            let source = zero_config(&pyproject, global)?;
            (pyproject, Some(source))
        }
    };
    let options = EvalOptions {
        config_path,
        vars: global.vars()?,
        resolve,
        python: global.python.clone(),
        source,
    };
    Ok(dialect::evaluate(&options)?)
}

/// Where the configuration is.
pub(crate) enum Located {
    /// `--config`, or an `oxdist.star`/`pyoxidizer.bzl` here or above.
    File(std::path::PathBuf),
    /// Zero-config: no such file, and this `pyproject.toml` stands for it.
    Pyproject(std::path::PathBuf),
}

/// Finds the configuration from the current directory.
pub(crate) fn locate_config(global: &GlobalArgs) -> Result<Located, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })?;
    match find_config(global.config.as_deref(), &cwd) {
        Ok(path) => Ok(Located::File(path)),
        Err(Error::ConfigNotFound(start)) => crate::pyproject::find(&cwd)
            .map(Located::Pyproject)
            .ok_or(Error::ConfigNotFound(start)),
        Err(e) => Err(e),
    }
}

/// The configuration `pyproject` implies ([`crate::pyproject`]); a dynamic
/// version is learnt by building the project's wheel with the interpreter
/// `default_python_distribution()` would use.
pub(crate) fn zero_config(pyproject: &std::path::Path, global: &GlobalArgs) -> Result<String, Error> {
    use crate::pyproject::{Project, PyprojectError};
    let project = Project::read(pyproject)?;
    let version = match &project.version {
        Some(version) => version.clone(),
        None => {
            let dir = pyproject.parent().unwrap_or(std::path::Path::new("."));
            let python = crate::python::host::find_interpreter(global.python.as_deref(), None);
            crate::python::pip::built_wheel_version(&python, dir, &project.index_args(dir)).map_err(|message| {
                PyprojectError::DynamicVersion {
                    path: pyproject.to_path_buf(),
                    message,
                }
            })?
        }
    };
    Ok(project.starlark(&version)?)
}

/// Prints the `--json` summary when asked for.
pub(crate) fn print_summary(global: &GlobalArgs, summary: &Summary) {
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(summary).expect("summaries serialize")
        );
    }
}

/// The manifest a target's output builds to: a FileManifest as it is; a
/// `PythonExecutable` or `PythonEmbeddedResources` built into a staging
/// directory below the build path (with the files it needs beside it);
/// `None` for outputs with no files.
pub(crate) fn output_manifest(
    output: &dialect::TargetOutput,
    build_path: &std::path::Path,
    reporter: &crate::report::Reporter,
) -> Result<Option<oxdist_installers::FileManifest>, Error> {
    use crate::embedding::executable::{build_executable, write_embedded_resources};
    use dialect::TargetOutput;
    use oxdist_installers::{FileEntry, FileManifest, ManifestPath};

    let (spec, embedded) = match output {
        TargetOutput::FileManifest(manifest) => return Ok(Some(manifest.clone())),
        TargetOutput::LinuxPackage(package) => {
            return output_manifest(&package.contents_output(), build_path, reporter);
        }
        TargetOutput::Msi(msi) => return Ok(Some(msi.contents.clone())),
        TargetOutput::AppBundle(bundle) => return Ok(Some(app_bundle_manifest(bundle)?)),
        TargetOutput::None | TargetOutput::Other(_) => return Ok(None),
        TargetOutput::Executable(spec) => (spec, false),
        TargetOutput::EmbeddedResources(spec) => (spec, true),
    };
    let what = if embedded { "embedded resources" } else { "executable" };
    let staging = build_path.join("executables").join(&spec.name);
    let step = reporter.step(format!("building {what} {} ({})", spec.name, spec.dist.label()));
    let cache = crate::cache::cache_dir();
    let built = if embedded {
        write_embedded_resources(spec, &staging.join("resources"), &cache)?
    } else {
        build_executable(spec, &staging, &cache)?
    };
    let launcher = match (embedded, built.launcher_built) {
        (true, _) => "no launcher",
        (false, true) => "launcher compiled and cached",
        (false, false) => "cached launcher",
    };
    step.finish(
        format!(
            "built {} ({} packed resources, bytecode: {} compiled, {} from cache, {launcher})",
            built.path.display(),
            built.entries,
            built.bytecode.compiled,
            built.bytecode.from_cache,
        ),
        reporter,
    );
    for warning in &built.warnings {
        reporter.warn(warning);
    }
    if !embedded {
        analyze::check_built(&built.path, &built.beside, spec.min_glibc.as_deref(), reporter);
    }
    let name = built.path.file_name().and_then(|n| n.to_str()).unwrap_or(&spec.name);
    let mut manifest = FileManifest::new();
    manifest.add_file(ManifestPath::new(name)?, FileEntry::from_path(&built.path, !embedded))?;
    manifest.add_manifest(&built.beside, None)?;
    Ok(Some(manifest))
}

/// The `.app` tree of a `MacOsApplicationBundleBuilder`: `NAME.app/Contents/…`
/// with its Info.plist, PkgInfo and icon.
fn app_bundle_manifest(bundle: &dialect::macos::AppBundleTarget) -> Result<oxdist_installers::FileManifest, Error> {
    use dialect::macos::PlistValue;
    use oxdist_installers::macos::bundle::{AppBundleSpec, BundleParts, app_bundle};

    let icon = match &bundle.icon {
        Some(path) => Some(std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let mut extra_keys = bundle.extra_keys.clone();
    let minimum_system_version = match extra_keys.remove("LSMinimumSystemVersion") {
        Some(PlistValue::String(version)) => Some(version),
        Some(other) => {
            return Err(Error::Settings(format!(
                "set_info_plist_key(\"LSMinimumSystemVersion\", {other:?}): expected a version string such as \"12.0\""
            )));
        }
        None => None,
    };
    let spec = AppBundleSpec {
        minimum_system_version,
        bundle_name: bundle.bundle_name.clone(),
        display_name: bundle.display_name.clone(),
        identifier: bundle.identifier.clone(),
        version: bundle.version.clone(),
        executable: bundle.executable.clone(),
        signature: bundle.signature.clone(),
        icon,
        extra_keys: extra_keys
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    PlistValue::String(s) => plist::Value::String(s.clone()),
                    PlistValue::Integer(i) => plist::Value::Integer((*i).into()),
                    PlistValue::Boolean(b) => plist::Value::Boolean(*b),
                };
                (key.clone(), value)
            })
            .collect(),
        ..AppBundleSpec::default()
    };
    let parts = BundleParts {
        macos: bundle.macos.clone(),
        resources: bundle.resources.clone(),
        frameworks: bundle.frameworks.clone(),
        other: bundle.other.clone(),
    };
    Ok(app_bundle(&spec, &parts)?)
}
