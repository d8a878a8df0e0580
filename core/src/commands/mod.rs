//! The commands: each turns evaluated target outputs into artifacts.

pub mod build;
pub mod distribution;
pub mod find_resources;
pub mod init;
pub mod list_targets;
pub mod package;
pub mod run;

use crate::cli::GlobalArgs;
use crate::dialect::{self, EvalOptions, Evaluation, Resolve};
use crate::discover::find_config;
use crate::error::Error;
use crate::report::Summary;

/// Finds and evaluates the configuration, resolving `resolve`.
pub(crate) fn evaluate(global: &GlobalArgs, resolve: Resolve) -> Result<Evaluation, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: ".".into(),
        source,
    })?;
    let config_path = find_config(global.config.as_deref(), &cwd)?;
    let options = EvalOptions {
        config_path,
        vars: global.vars()?,
        resolve,
        python: global.python.clone(),
    };
    Ok(dialect::evaluate(&options)?)
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

/// Builds an executable target into a staging directory below the build
/// path and returns it with the files it needs beside it, as a manifest.
pub(crate) fn executable_manifest(
    spec: &crate::embedding::executable::ExecutableSpec,
    build_path: &std::path::Path,
    reporter: &crate::report::Reporter,
) -> Result<oxdist_installers::FileManifest, Error> {
    use oxdist_installers::{FileEntry, FileManifest, ManifestPath};
    let staging = build_path.join("executables").join(&spec.name);
    let step = reporter.step(format!("building executable {} ({})", spec.name, spec.dist.label()));
    let built = crate::embedding::executable::build_executable(spec, &staging, &crate::cache::cache_dir())?;
    let launcher = if built.launcher_built {
        "launcher compiled and cached"
    } else {
        "cached launcher"
    };
    step.finish(
        format!(
            "built {} ({} packed resources, {launcher})",
            built.path.display(),
            built.entries
        ),
        reporter,
    );
    let mut manifest = FileManifest::new();
    manifest.add_file(ManifestPath::new(&spec.name)?, FileEntry::from_path(&built.path, true))?;
    manifest.add_manifest(&built.beside, None)?;
    Ok(manifest)
}
