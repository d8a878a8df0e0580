//! `oxdist build [TARGET…]`: resolve targets and perform their build actions.
//!
//! A FileManifest target is installed into `BUILD_PATH/TRIPLE/TARGET/`
//! (replacing what was there); targets returning `None` have nothing to
//! build; other values have no build action yet and are reported.

use crate::cli::GlobalArgs;
use crate::dialect::{Resolve, TargetOutput, count_entries};
use crate::error::Error;
use crate::report::{Artifact, Reporter, Summary};

pub fn run(targets: &[String], global: &GlobalArgs, reporter: &Reporter) -> Result<(), Error> {
    let resolve = if targets.is_empty() {
        Resolve::Default
    } else {
        Resolve::Targets(targets.to_vec())
    };
    let evaluation = super::evaluate(global, resolve)?;
    let mut artifacts = Vec::new();
    for (name, output) in &evaluation.outputs {
        let built = super::output_manifest(output, &evaluation.build_path, reporter)?;
        match (&built, output) {
            (Some(manifest), _) => {
                let dest = evaluation.build_path.join(crate::HOST_TRIPLE).join(name);
                let step = reporter.step(format!("installing target {name} into {}", dest.display()));
                manifest.install(&dest, true)?;
                let (files, links) = count_entries(manifest);
                step.finish(
                    format!(
                        "installed {name}: {files} files, {links} symbolic links in {}",
                        dest.display()
                    ),
                    reporter,
                );
                artifacts.push(Artifact {
                    kind: "directory",
                    target: Some(name.clone()),
                    format: None,
                    path: dest,
                    sha256: None,
                    size: None,
                    entries: Some(manifest.len()),
                });
            }
            (None, TargetOutput::Other(type_name)) => reporter.info(format!(
                "target {name} returned a {type_name}, which has no build action"
            )),
            (None, _) => reporter.info(format!("target {name} returned None: nothing to build")),
        }
    }
    super::print_summary(
        global,
        &Summary {
            command: "build",
            config: evaluation.config_path,
            artifacts,
        },
    );
    Ok(())
}
