//! oxdist's engine and command-line interface.
//!
//! The flow of a command: [`discover`] finds the configuration, [`dialect`]
//! evaluates it (Starlark) into target outputs, [`licensing`] audits what
//! they contain, and [`commands`] turns those outputs into artifacts through
//! the leaf crates (`oxdist-installers`, `oxdist-licenses`, `oxdist-templates`). [`cli`] parses arguments and maps failures to exit
//! codes ([`error::Error::exit_code`]); [`report`] prints progress and the
//! `--json` summary.

pub mod cache;
pub mod cli;
pub mod commands;
pub mod dialect;
pub mod discover;
pub mod embedding;
pub mod error;
pub mod licensing;
pub mod pyproject;
pub mod python;
pub mod report;

/// The target triple this oxdist was compiled for: the default
/// `BUILD_TARGET_TRIPLE` and package target triple.
pub const HOST_TRIPLE: &str = env!("OXDIST_HOST_TRIPLE");
