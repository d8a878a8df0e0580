//! The commands: each turns evaluated target outputs into artifacts.

pub mod build;
pub mod distribution;
pub mod find_resources;
pub mod init;
pub mod list_targets;
pub mod package;

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
