//! `oxdist analyze PATH…`: what a binary needs to run, and where it runs.
//!
//! The analysis itself is the `oxdist-analyze` crate's; this module prints
//! it (`--json`: the crate's serialised [`Analysis`] values, one array) and
//! checks built executables against the configuration's minimums.

use std::path::Path;

use oxdist_analyze::manylinux::{Version, distributions_satisfying};
use oxdist_analyze::{Analysis, AnalyzeError, Details, analyze_file};
use serde_json::Value as Json;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::report::Reporter;
use oxdist_installers::{FileManifest, ManifestEntry};

pub fn run(paths: &[std::path::PathBuf], global: &GlobalArgs) -> Result<(), Error> {
    let analyses = paths
        .iter()
        .map(|p| analyze_file(p))
        .collect::<Result<Vec<_>, AnalyzeError>>()?;
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&analyses).expect("analyses serialize")
        );
        return Ok(());
    }
    for (i, analysis) in analyses.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render(analysis));
    }
    Ok(())
}

/// The human-readable report: the format, then every field of the details,
/// then (ELF) the distributions whose glibc is new enough.
pub fn render(analysis: &Analysis) -> String {
    let mut out = format!("{}\n", analysis.path.display());
    let details = serde_json::to_value(&analysis.details).expect("details serialize");
    // Externally tagged enum: {"Elf": {...}} or already flattened.
    let fields = match &details {
        Json::Object(map) if map.len() == 1 => map.values().next().cloned().unwrap_or(Json::Null),
        other => other.clone(),
    };
    let format = serde_json::to_value(analysis.format).expect("formats serialize");
    out.push_str(&format!("  format: {}\n", scalar(&format)));
    write_value(&mut out, &fields, 1);
    if let Details::Elf(elf) = &analysis.details
        && let Some(min) = &elf.min_glibc
    {
        let names: Vec<String> = distributions_satisfying(min)
            .iter()
            .map(|d| format!("{} ({})", d.name, d.glibc))
            .collect();
        out.push_str(&format!("  runs on (glibc ≥ {min}): {}\n", names.join(", ")));
    }
    out
}

fn write_value(out: &mut String, value: &Json, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Json::Object(map) => {
            for (key, value) in map {
                match value {
                    Json::Null => {}
                    Json::Array(items) if items.is_empty() => out.push_str(&format!("{indent}{key}: (none)\n")),
                    Json::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                        let items: Vec<String> = items.iter().map(scalar).collect();
                        out.push_str(&format!("{indent}{key}: {}\n", items.join(", ")));
                    }
                    Json::Object(_) | Json::Array(_) => {
                        out.push_str(&format!("{indent}{key}:\n"));
                        write_value(out, value, depth + 1);
                    }
                    other => out.push_str(&format!("{indent}{key}: {}\n", scalar(other))),
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                match item {
                    Json::Object(_) | Json::Array(_) => {
                        out.push_str(&format!("{indent}-\n"));
                        write_value(out, item, depth + 1);
                    }
                    other => out.push_str(&format!("{indent}- {}\n", scalar(other))),
                }
            }
        }
        other => out.push_str(&format!("{indent}{}\n", scalar(other))),
    }
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// After a build: the glibc an executable and the ELF files installed
/// beside it need, reported, and a warning when it is newer than `min_glibc`.
pub fn check_built(executable: &Path, beside: &FileManifest, min_glibc: Option<&str>, reporter: &Reporter) {
    let mut floor: Option<(Version, String, String)> = None;
    let mut consider = |name: String, analysis: Result<Analysis, AnalyzeError>| {
        if let Ok(analysis) = analysis
            && let Details::Elf(elf) = &analysis.details
            && let Some(min) = &elf.min_glibc
            && let Some(version) = Version::parse(min)
            && floor.as_ref().is_none_or(|(v, _, _)| version > *v)
        {
            floor = Some((version, min.clone(), name));
        }
    };
    let exe = executable
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    consider(exe.clone(), analyze_file(executable));
    for (path, entry) in beside.entries() {
        if let ManifestEntry::File(file) = entry
            && path.as_str().ends_with(".so")
            && let Ok(bytes) = file.data.read()
        {
            consider(
                path.to_string(),
                oxdist_analyze::analyze(&bytes, Path::new(path.as_str())),
            );
        }
    }
    let Some((version, text, needed_by)) = floor else {
        return;
    };
    reporter.detail(format!("{exe} needs glibc ≥ {text} (most demanding: {needed_by})"));
    if let Some(min) = min_glibc
        && let Some(wanted) = Version::parse(min)
        && version > wanted
    {
        reporter.warn(format!(
            "{exe} needs glibc {text} ({needed_by}), newer than min_glibc = \"{min}\": it will not start on systems with an older glibc; build with a Python distribution built against glibc {min} or older, or raise min_glibc"
        ));
    }
}
