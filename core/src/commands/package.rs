//! `oxdist package --format LIST`: a FileManifest target into artifacts.
//!
//! Each artifact is `OUT/NAME-VERSION-TRIPLE.EXT`, written atomically, and
//! recorded in `OUT/SHA256SUMS`. Timestamps come from `SOURCE_DATE_EPOCH`
//! (or a fixed default) so that the same inputs give the same bytes.

use std::path::{Path, PathBuf};

use oxdist_installers::archive::{ArchiveOptions, write_archive};
use oxdist_installers::output::{sha256_file, update_sha256sums};
use oxdist_installers::{ArchiveFormat, Timestamp};

use crate::cli::GlobalArgs;
use crate::dialect::{Resolve, TargetOutput};
use crate::error::Error;
use crate::report::{Artifact, Reporter, Summary, human_size};

/// Installer formats that are planned but not written yet.
const PLANNED_FORMATS: [&str; 5] = ["deb", "rpm", "msi", "dmg", "app"];

/// Parses `--format` values: known, deduplicated, in the order given.
pub fn parse_formats(values: &[String]) -> Result<Vec<ArchiveFormat>, Error> {
    let mut formats = Vec::new();
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if PLANNED_FORMATS.contains(&value) {
            return Err(Error::Usage(format!(
                "format {value:?} is not supported yet; supported: tar.gz, tar.xz, tar.zst, zip"
            )));
        }
        let format: ArchiveFormat = value
            .parse()
            .map_err(|e: oxdist_installers::ArchiveError| Error::Usage(e.to_string()))?;
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    if formats.is_empty() {
        return Err(Error::Usage(
            "--format needs at least one format: tar.gz, tar.xz, tar.zst, zip".into(),
        ));
    }
    Ok(formats)
}

pub fn run(
    format_args: &[String],
    target: Option<&str>,
    out: Option<&Path>,
    global: &GlobalArgs,
    reporter: &Reporter,
) -> Result<(), Error> {
    // Check everything the command line decides before evaluating anything.
    let formats = parse_formats(format_args)?;
    let mtime = Timestamp::from_env()?;
    let resolve = match target {
        Some(t) => Resolve::Targets(vec![t.to_string()]),
        None => Resolve::Default,
    };
    let evaluation = super::evaluate(global, resolve)?;
    let (name, output) = evaluation.outputs.first().expect("one target was resolved");
    let Some(manifest) = super::output_manifest(output, &evaluation.build_path, reporter)? else {
        return Err(Error::NotAManifest {
            target: name.clone(),
            found: match output {
                TargetOutput::Other(t) => format!("a value of type {t}"),
                _ => "None".into(),
            },
        });
    };
    let manifest = &manifest;
    if manifest.is_empty() {
        return Err(Error::EmptyManifest(name.clone()));
    }
    let metadata = evaluation
        .metadata
        .as_ref()
        .ok_or_else(|| Error::NoMetadata(evaluation.config_path.clone()))?;
    let out_dir: PathBuf = match out {
        Some(dir) => dir.to_path_buf(),
        None => evaluation.config_path.parent().unwrap_or(Path::new(".")).join("dist"),
    };
    let stem = metadata.artifact_stem();
    let options = ArchiveOptions {
        root_dir: stem.clone(),
        mtime,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
    };
    reporter.detail(format!(
        "{} entries, {} of file data, mtime {}",
        manifest.len(),
        human_size(manifest.total_size()?),
        mtime.0
    ));

    let mut artifacts = Vec::new();
    let mut sums = Vec::new();
    for format in formats {
        let file_name = format!("{stem}.{}", format.extension());
        let dest = out_dir.join(&file_name);
        let step = reporter.step(format!("packaging {name} as {format}"));
        write_archive(manifest, format, &options, &dest)?;
        let sha256 = sha256_file(&dest).map_err(|source| Error::Io {
            path: dest.clone(),
            source,
        })?;
        let size = std::fs::metadata(&dest)
            .map_err(|source| Error::Io {
                path: dest.clone(),
                source,
            })?
            .len();
        step.finish(format!("wrote {} ({})", dest.display(), human_size(size)), reporter);
        sums.push((file_name, sha256.clone()));
        artifacts.push(Artifact {
            kind: "archive",
            target: Some(name.clone()),
            format: Some(format.to_string()),
            path: dest,
            sha256: Some(sha256),
            size: Some(size),
            entries: Some(manifest.len()),
        });
    }
    let sums_path = update_sha256sums(&out_dir, &sums)?;
    let sums_sha = sha256_file(&sums_path).map_err(|source| Error::Io {
        path: sums_path.clone(),
        source,
    })?;
    reporter.info(format!("wrote {}", sums_path.display()));
    artifacts.push(Artifact {
        kind: "checksums",
        target: None,
        format: None,
        size: std::fs::metadata(&sums_path).ok().map(|m| m.len()),
        path: sums_path,
        sha256: Some(sums_sha),
        entries: None,
    });
    super::print_summary(
        global,
        &Summary {
            command: "package",
            config: evaluation.config_path,
            artifacts,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_parsed_and_deduplicated() {
        let args: Vec<String> = ["tar.zst", "zip", "tar.zst"].map(String::from).to_vec();
        assert_eq!(
            parse_formats(&args).unwrap(),
            vec![ArchiveFormat::TarZst, ArchiveFormat::Zip]
        );
        let err = parse_formats(&["deb".to_string()]).unwrap_err().to_string();
        assert!(err.contains("not supported yet"), "{err}");
        let err = parse_formats(&["rar".to_string()]).unwrap_err().to_string();
        assert!(err.contains("unknown archive format \"rar\""), "{err}");
    }
}
