//! Test helpers: real wheels from PyPI, pinned by version and kept under
//! `target/test-data/license-wheels` between runs (the pattern of
//! `analyze/tests/common/mod.rs`), and their `.dist-info` read with `zip`.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data")
}

/// Where tests keep wheels downloaded from PyPI.
pub fn wheel_cache() -> PathBuf {
    test_data().join("license-wheels")
}

static DOWNLOAD: Mutex<()> = Mutex::new(());

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

/// The cached wheel of the pinned `spec` (`six==1.16.0`), downloading it
/// with pip into a temporary directory and renaming it into the cache if
/// missing, so an interrupted download never leaves a partial file.
pub fn fetch_wheel(spec: &str) -> PathBuf {
    let prefix = wheel_prefix(spec);
    let cache = wheel_cache();
    let find = |dir: &Path| -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
                name.starts_with(&prefix) && name.ends_with(".whl")
            })
            .collect();
        found.sort();
        found.pop()
    };
    let _guard = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = find(&cache) {
        return path;
    }
    std::fs::create_dir_all(&cache).unwrap();
    let staging = tempfile::tempdir_in(&cache).unwrap();
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--disable-pip-version-check", "--no-deps"])
        .arg("--only-binary=:all:")
        .arg("--dest")
        .arg(staging.path())
        .arg(spec)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `python3 -m pip` to download {spec}: {e}"));
    assert!(
        output.status.success(),
        "downloading {spec} with pip failed (these tests need PyPI access):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let downloaded = find(staging.path()).unwrap_or_else(|| panic!("pip downloaded no wheel {prefix}*.whl for {spec}"));
    let target = cache.join(downloaded.file_name().unwrap());
    std::fs::rename(&downloaded, &target).unwrap();
    target
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
