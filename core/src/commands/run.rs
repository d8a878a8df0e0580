//! `oxdist run [--target T] -- ARGS`: build, then run the executable.
//!
//! An executable target runs directly. A FileManifest target is installed
//! under the build path first and runs when it holds exactly one executable
//! file (e.g. `bin/app`). The exit code is the program's.

use std::process::Command;

use oxdist_installers::ManifestEntry;

use crate::cli::GlobalArgs;
use crate::dialect::{Resolve, TargetOutput};
use crate::error::Error;
use crate::report::Reporter;

pub fn run(target: Option<&str>, args: &[String], global: &GlobalArgs, reporter: &Reporter) -> Result<(), Error> {
    let resolve = match target {
        Some(t) => Resolve::Targets(vec![t.to_string()]),
        None => Resolve::Default,
    };
    let evaluation = super::evaluate(global, resolve)?;
    let (name, output) = evaluation.outputs.first().expect("one target was resolved");
    let nothing = |problem: &str| Error::NothingToRun {
        target: name.clone(),
        problem: problem.to_string(),
    };
    let manifest = match (
        super::output_manifest(output, &evaluation.build_path, reporter)?,
        output,
    ) {
        (Some(manifest), _) => manifest,
        (None, TargetOutput::Other(t)) => return Err(nothing(&format!("returned a value of type {t}"))),
        (None, _) => return Err(nothing("returned None")),
    };
    let executables: Vec<String> = manifest
        .entries()
        .filter(|(_, e)| matches!(e, ManifestEntry::File(f) if f.executable))
        .map(|(p, _)| p.to_string())
        .collect();
    let program = match executables.as_slice() {
        [one] => one.clone(),
        [] => return Err(nothing("installs no executable file")),
        many => {
            return Err(nothing(&format!(
                "installs {} executable files ({})",
                many.len(),
                many.join(", ")
            )));
        }
    };
    let dest = evaluation.build_path.join(crate::HOST_TRIPLE).join(name);
    manifest.install(&dest, true)?;
    let path = dest.join(&program);
    reporter.detail(format!("running {}", path.display()));
    let status = Command::new(&path).args(args).status().map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    // Hand the program's own exit status (or signal) to the caller.
    match status.code() {
        Some(code) => std::process::exit(code),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                std::process::exit(128 + status.signal().unwrap_or(1))
            }
            #[cfg(not(unix))]
            std::process::exit(1)
        }
    }
}
