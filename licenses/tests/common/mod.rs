//! Test helpers: real wheels from PyPI, pinned by version and kept in the
//! shared wheel cache of `oxdist-testing` (testing/), and their `.dist-info`
//! read with `zip`.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// The wheel file name's start for `name==version`: the name escaped as
/// wheel file names escape it (runs of `-_.` as `_`), lowercase.
fn wheel_prefix(spec: &str) -> String {
    let (name, version) = spec.split_once("==").expect("specs are pinned: NAME==VERSION");
    let mut escaped = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !escaped.ends_with('_') {
                escaped.push('_');
            }
        } else {
            escaped.extend(c.to_lowercase());
        }
    }
    format!("{escaped}-{}-", version.to_lowercase())
}

/// The cached pure-Python wheel of the pinned `spec` (`six==1.16.0`), found by the
/// file-name prefix the spec implies, downloaded with pip if missing.
pub fn fetch_wheel(spec: &str) -> PathBuf {
    oxdist_testing::fetch_wheel(spec, &wheel_prefix(spec), &["none-any"], &[])
}

/// One wheel's `.dist-info` directory, read whole.
pub struct WheelDistInfo {
    /// `six-1.16.0.dist-info`
    pub directory: String,
    /// `<wheel path>/<directory>`, the origin the provenance names.
    pub origin: String,
    pub metadata: String,
    /// Every other file below the directory, by its path below it.
    pub files: Vec<(String, Vec<u8>)>,
}

impl WheelDistInfo {
    /// The facts `python_package` takes.
    pub fn dist_info(&self) -> oxdist_licenses::python::DistInfo<'_> {
        oxdist_licenses::python::DistInfo {
            directory: &self.directory,
            origin: &self.origin,
            metadata: &self.metadata,
            files: self.files.clone(),
        }
    }

    /// The bytes of one file below the `.dist-info` directory.
    pub fn file(&self, path: &str) -> &[u8] {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, bytes)| bytes.as_slice())
            .unwrap_or_else(|| panic!("{} has no {path}", self.origin))
    }
}

/// Reads the `.dist-info` directory of `wheel` (the one holding METADATA).
pub fn read_dist_info(wheel: &Path) -> WheelDistInfo {
    let file = std::fs::File::open(wheel).unwrap_or_else(|e| panic!("open {}: {e}", wheel.display()));
    let mut archive = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{}: {e}", wheel.display()));
    let mut directory = None;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        if let Some(dir) = name.strip_suffix("/METADATA")
            && dir.ends_with(".dist-info")
            && !dir.contains('/')
        {
            directory = Some(dir.to_string());
        }
    }
    let directory = directory.unwrap_or_else(|| panic!("{} has no .dist-info/METADATA", wheel.display()));
    let mut metadata = None;
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().unwrap().into_owned();
        let Some(path) = name.strip_prefix(&format!("{directory}/")).map(str::to_string) else {
            continue;
        };
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if path == "METADATA" {
            metadata = Some(String::from_utf8(bytes).expect("METADATA is UTF-8"));
        } else {
            files.push((path, bytes));
        }
    }
    WheelDistInfo {
        origin: format!("{}/{directory}", wheel.display()),
        directory,
        metadata: metadata.unwrap(),
        files,
    }
}
