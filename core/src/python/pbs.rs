//! python-build-standalone "full" archives (`.tar.zst`, `.tar.gz`).
//!
//! An archive holds `python/PYTHON.json` (schema versions 7 and 8 are read),
//! `python/install/` (the installed CPython), `python/build/` (object files
//! and static libraries for linking) and `python/licenses/`. Archives are
//! verified by SHA-256, extracted once into the user cache under a directory
//! named by their digest, and read from there. Extraction refuses members
//! that would land outside the destination.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::distribution::{
    DistributionSource, ExtensionKind, ExtensionModule, LibPython, LicenseAnnotation, LinkLibrary, PythonDistribution,
};
use super::extract::{Sha256Mismatch, StagingError, extract_once, is_safe_relative, replace_dir, sha256_checked};
use super::resources::PythonSuffixes;

/// PYTHON.json schema versions this module reads.
pub const SUPPORTED_JSON_VERSIONS: [&str; 2] = ["7", "8"];

/// Why an archive could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PbsError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Sha256Mismatch(#[from] Sha256Mismatch),
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error("invalid sha256 {0:?}: expected 64 hexadecimal digits")]
    BadSha256(String),
    #[error(
        "{} is not a readable python-build-standalone archive ({message}); is it corrupt or truncated? Expected a .tar.zst or .tar.gz \"full\" archive",
        path.display()
    )]
    Corrupt { path: PathBuf, message: String },
    #[error("archive member {member:?} in {} would be written outside the destination; refusing to extract", archive.display())]
    UnsafeMember { archive: PathBuf, member: String },
    #[error("{} has no python/PYTHON.json; is it a python-build-standalone \"full\" archive?", .0.display())]
    NoPythonJson(PathBuf),
    #[error("{}: PYTHON.json is invalid: {message}", path.display())]
    BadJson { path: PathBuf, message: String },
    #[error(
        "{}: PYTHON.json version {version:?} is not supported; oxdist reads versions {}",
        path.display(),
        SUPPORTED_JSON_VERSIONS.join(" and ")
    )]
    UnsupportedVersion { path: PathBuf, version: String },
    #[error("cannot download {url}: {message}")]
    Download { url: String, message: String },
    #[error("a distribution from a URL needs its sha256 so the download can be verified: add sha256=\"…\"")]
    UrlWithoutSha256,
}

#[derive(Debug, Deserialize)]
struct PythonJson {
    version: String,
    target_triple: String,
    python_abi_tag: Option<String>,
    python_version: String,
    python_major_minor_version: Option<String>,
    python_implementation_cache_tag: Option<String>,
    python_exe: String,
    #[serde(default)]
    python_paths: BTreeMap<String, String>,
    #[serde(default)]
    python_suffixes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    python_stdlib_test_packages: Vec<String>,
    licenses: Option<Vec<String>>,
    license_path: Option<String>,
    build_info: BuildInfo,
}

#[derive(Debug, Deserialize)]
struct BuildInfo {
    core: CoreInfo,
    #[serde(default)]
    extensions: BTreeMap<String, Vec<ExtensionInfo>>,
}

#[derive(Debug, Deserialize)]
struct CoreInfo {
    #[serde(default)]
    links: Vec<LinkEntry>,
    shared_lib: Option<String>,
    static_lib: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExtensionInfo {
    #[serde(default)]
    in_core: bool,
    init_fn: Option<String>,
    licenses: Option<Vec<String>>,
    license_paths: Option<Vec<String>>,
    license_public_domain: Option<bool>,
    #[serde(default)]
    links: Vec<LinkEntry>,
    #[serde(default)]
    objs: Vec<String>,
    #[serde(default)]
    required: bool,
    shared_lib: Option<String>,
    static_lib: Option<String>,
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LinkEntry {
    name: String,
    path_static: Option<String>,
    path_dynamic: Option<String>,
    framework: Option<bool>,
    system: Option<bool>,
}

/// Hex SHA-256 of a file.
pub fn sha256_of(path: &Path) -> Result<String, PbsError> {
    oxdist_installers::output::sha256_file(path).map_err(|source| PbsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn check_sha256_syntax(sha256: &str) -> Result<String, PbsError> {
    let lower = sha256.trim().to_ascii_lowercase();
    if lower.len() == 64 && lower.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(PbsError::BadSha256(sha256.to_string()))
    }
}

/// Opens a local archive: verifies `expected_sha256` when given, extracts it
/// into `cache_root` (once per digest) and reads its PYTHON.json.
pub fn open_archive(
    archive: &Path,
    expected_sha256: Option<&str>,
    cache_root: &Path,
) -> Result<PythonDistribution, PbsError> {
    let expected = expected_sha256.map(check_sha256_syntax).transpose()?;
    let actual = sha256_checked(archive, expected.as_deref()).map_err(|source| PbsError::Io {
        path: archive.to_path_buf(),
        source,
    })??;
    let extracted = cache_root.join("distributions").join(&actual[..32]);
    extract_once(&extracted, &actual, |staging| unpack_archive(archive, staging))?;
    read_extracted(archive, &actual, &extracted)
}

/// Fetches `url` into `cache_root/downloads` (verified against `sha256`,
/// written atomically, reused when present) and opens it.
pub fn open_url(url: &str, sha256: &str, cache_root: &Path) -> Result<PythonDistribution, PbsError> {
    let sha256 = check_sha256_syntax(sha256)?;
    let name = url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("distribution.tar.zst");
    let dest = cache_root.join("downloads").join(format!("{}-{name}", &sha256[..16]));
    if !dest.is_file() || sha256_of(&dest)? != sha256 {
        let dir = dest.parent().expect("has a parent");
        fs::create_dir_all(dir).map_err(|source| PbsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let temp = tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(dir)
            .map_err(|source| PbsError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        fetch(url, temp.path())?;
        let actual = sha256_of(temp.path())?;
        if actual != sha256 {
            return Err(Sha256Mismatch {
                path: PathBuf::from(url),
                expected: sha256,
                actual,
            }
            .into());
        }
        temp.persist(&dest).map_err(|e| PbsError::Io {
            path: dest.clone(),
            source: e.error,
        })?;
    }
    open_archive(&dest, Some(&sha256), cache_root)
}

/// Copies `url` to `dest`: `file://` natively, `http(s)://` with `curl`.
fn fetch(url: &str, dest: &Path) -> Result<(), PbsError> {
    let err = |message: String| PbsError::Download {
        url: url.to_string(),
        message,
    };
    if let Some(path) = url.strip_prefix("file://") {
        fs::copy(path, dest).map_err(|e| err(e.to_string()))?;
        return Ok(());
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(err("only file://, http:// and https:// URLs are supported".into()));
    }
    let output = std::process::Command::new("curl")
        .args([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--retry",
            "2",
            "--output",
        ])
        .arg(dest)
        .arg(url)
        .output()
        .map_err(|e| {
            err(format!(
                "cannot run curl ({e}); install curl, or download the archive and use local_path="
            ))
        })?;
    if !output.status.success() {
        return Err(err(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    Ok(())
}

/// Extracts `archive` (tar.zst or tar.gz, detected by content) into `dest`,
/// atomically: into a sibling temporary directory, then renamed.
pub fn extract_archive(archive: &Path, dest: &Path) -> Result<(), PbsError> {
    replace_dir(dest, |staging| unpack_archive(archive, staging))
}

/// Unpacks `archive` into the (staging) directory `dest`, refusing members
/// and links that would leave it.
fn unpack_archive(archive: &Path, dest: &Path) -> Result<(), PbsError> {
    let corrupt = |e: &dyn std::fmt::Display| PbsError::Corrupt {
        path: archive.to_path_buf(),
        message: e.to_string(),
    };
    let mut file = fs::File::open(archive).map_err(|source| PbsError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|source| PbsError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let file = fs::File::open(archive).map_err(|source| PbsError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let reader: Box<dyn Read> = match &magic[..n] {
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(zstd::stream::Decoder::new(file).map_err(|e| corrupt(&e))?),
        [0x1f, 0x8b, ..] => Box::new(flate2::read::GzDecoder::new(file)),
        _ => return Err(corrupt(&"neither zstd nor gzip data")),
    };
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(true);
    tar.set_overwrite(true);
    for entry in tar.entries().map_err(|e| corrupt(&e))? {
        let mut entry = entry.map_err(|e| corrupt(&e))?;
        let member = entry.path().map_err(|e| corrupt(&e))?.into_owned();
        let member_text = member.to_string_lossy().into_owned();
        if !is_safe_relative(&member) {
            return Err(PbsError::UnsafeMember {
                archive: archive.to_path_buf(),
                member: member_text,
            });
        }
        if let Ok(Some(target)) = entry.link_name() {
            let base = member.parent().unwrap_or(Path::new(""));
            let hard = entry.header().entry_type().is_hard_link();
            let resolved = if hard { target.to_path_buf() } else { base.join(&target) };
            if target.is_absolute() || !stays_inside(&resolved) {
                return Err(PbsError::UnsafeMember {
                    archive: archive.to_path_buf(),
                    member: member_text,
                });
            }
        }
        // `unpack_in` also refuses paths escaping the destination.
        let unpacked = entry.unpack_in(dest).map_err(|e| corrupt(&e))?;
        if !unpacked {
            return Err(PbsError::UnsafeMember {
                archive: archive.to_path_buf(),
                member: member_text,
            });
        }
    }
    Ok(())
}

/// Whether a relative path, with `..` applied lexically, stays at or below its root.
fn stays_inside(path: &Path) -> bool {
    let mut depth = 0i32;
    for c in path.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::CurDir => {}
            _ => return false,
        }
    }
    true
}

/// Reads an extracted archive's `python/PYTHON.json` into the model.
fn read_extracted(archive: &Path, sha256: &str, extracted: &Path) -> Result<PythonDistribution, PbsError> {
    let python_dir = extracted.join("python");
    let json_path = python_dir.join("PYTHON.json");
    let text = fs::read_to_string(&json_path).map_err(|_| PbsError::NoPythonJson(archive.to_path_buf()))?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| PbsError::BadJson {
            path: archive.to_path_buf(),
            message: e.to_string(),
        })?
        .get("version")
        .and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .unwrap_or_default();
    if !SUPPORTED_JSON_VERSIONS.contains(&version.as_str()) {
        return Err(PbsError::UnsupportedVersion {
            path: archive.to_path_buf(),
            version,
        });
    }
    let json: PythonJson = serde_json::from_str(&text).map_err(|e| PbsError::BadJson {
        path: archive.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(model_from_json(json, archive, sha256, extracted, &python_dir))
}

fn model_from_json(
    json: PythonJson,
    archive: &Path,
    sha256: &str,
    extracted: &Path,
    root: &Path,
) -> PythonDistribution {
    let path = |p: &str| root.join(p);
    let major_minor = json
        .python_major_minor_version
        .clone()
        .unwrap_or_else(|| json.python_version.splitn(3, '.').take(2).collect::<Vec<_>>().join("."));
    let nodot = major_minor.replace('.', "");
    let windows = json.target_triple.contains("windows");
    let suffix_list = |key: &str, default: Vec<String>| json.python_suffixes.get(key).cloned().unwrap_or(default);
    let suffixes = PythonSuffixes {
        source: suffix_list("source", vec![".py".into()]),
        bytecode: suffix_list("bytecode", vec![".pyc".into()]),
        extension: suffix_list(
            "extension",
            if windows {
                vec![".pyd".into()]
            } else {
                PythonSuffixes::for_unix(&major_minor, "").extension
            },
        ),
    };
    let link = |l: &LinkEntry| LinkLibrary {
        name: l.name.clone(),
        system: l.system.unwrap_or(false),
        framework: l.framework.unwrap_or(false),
        path_static: l.path_static.as_deref().map(path),
        path_dynamic: l.path_dynamic.as_deref().map(path),
        package: None,
        license: None,
    };
    let mut extension_modules = BTreeMap::new();
    for (name, variants) in &json.build_info.extensions {
        let modules = variants
            .iter()
            .map(|e| ExtensionModule {
                name: name.clone(),
                variant: e.variant.clone().unwrap_or_else(|| "default".into()),
                kind: if e.in_core {
                    ExtensionKind::Builtin
                } else if let Some(shared) = &e.shared_lib {
                    ExtensionKind::SharedLibrary { path: path(shared) }
                } else {
                    ExtensionKind::StaticObjects {
                        objects: e.objs.iter().map(|o| path(o)).collect(),
                        static_lib: e.static_lib.as_deref().map(path),
                    }
                },
                required: e.required,
                init_fn: e.init_fn.clone().filter(|f| f != "NULL"),
                links: e.links.iter().map(link).collect(),
                // Absent keys mean "not annotated", which differs from an empty list.
                licenses: (e.licenses.is_some() || e.license_paths.is_some() || e.license_public_domain.is_some())
                    .then(|| LicenseAnnotation {
                        spdx_ids: e.licenses.clone().unwrap_or_default(),
                        license_paths: e.license_paths.iter().flatten().map(|p| path(p)).collect(),
                        public_domain: e.license_public_domain.unwrap_or(false),
                    }),
            })
            .collect();
        extension_modules.insert(name.clone(), modules);
    }
    let python_exe = path(&json.python_exe);
    let runnable = json.target_triple == crate::HOST_TRIPLE && python_exe.is_file();
    let core = &json.build_info.core;
    PythonDistribution {
        source: DistributionSource::Standalone {
            archive: archive.to_path_buf(),
            sha256: sha256.to_string(),
            extracted: extracted.to_path_buf(),
            json_version: json.version.clone(),
        },
        version: json.python_version.clone(),
        cache_tag: json
            .python_implementation_cache_tag
            .clone()
            .unwrap_or_else(|| format!("cpython-{nodot}")),
        abi_tag: json.python_abi_tag.clone(),
        target_triple: json.target_triple.clone(),
        python_exe: runnable.then_some(python_exe),
        stdlib_dir: path(
            json.python_paths
                .get("stdlib")
                .map(String::as_str)
                .unwrap_or("install/lib"),
        ),
        extension_dir: None,
        suffixes,
        libpython: LibPython {
            static_lib: core.static_lib.as_deref().map(path),
            static_pic_lib: None,
            shared_lib: core.shared_lib.as_deref().map(path),
            links: core.links.iter().map(link).collect(),
        },
        extension_modules,
        stdlib_test_packages: json.python_stdlib_test_packages.clone(),
        core_license: json.licenses.as_ref().map(|ids| LicenseAnnotation {
            spdx_ids: ids.clone(),
            license_paths: json.license_path.iter().map(|p| path(p)).collect(),
            public_domain: false,
        }),
        major_minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_checks() {
        assert!(is_safe_relative(Path::new("python/install/lib")));
        assert!(!is_safe_relative(Path::new("../x")));
        assert!(!is_safe_relative(Path::new("/x")));
        assert!(stays_inside(Path::new("a/b/../c")));
        assert!(!stays_inside(Path::new("a/../../c")));
    }
}
