//! `oxdist run [--target T] -- ARGS`: build, then run the executable.
//!
//! An executable target runs directly. A FileManifest target is installed
//! under the build path first and runs when it holds exactly one executable
//! program (e.g. `bin/app`); shared libraries (extension modules in `lib/`
//! are mode 0755 too) do not count. The exit code is the program's.

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
        .filter(|p| !is_shared_library(p))
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

/// `x.so`, `x.so.1.2`, `x.dylib`, `x.pyd`, `x.dll`: loaded, not run.
fn is_shared_library(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".dylib", ".pyd", ".dll"].iter().any(|ext| name.ends_with(ext))
        || name.ends_with(".so")
        || name
            .split(".so.")
            .nth(1)
            .is_some_and(|v| !v.is_empty() && v.split('.').all(|n| n.chars().all(|c| c.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shared_libraries_are_not_programs() {
        for library in [
            "lib/_ssl.cpython-311-x86_64-linux-gnu.so",
            "lib/libffi.so.8",
            "a/B.PYD",
            "x.dylib",
        ] {
            assert!(super::is_shared_library(library), "{library}");
        }
        for program in ["bin/app", "app.sh", "bin/so.run", "bin/tool.so.backup"] {
            assert!(!super::is_shared_library(program), "{program}");
        }
    }
}
