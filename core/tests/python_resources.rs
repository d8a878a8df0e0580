//! Resource classification against real wheels from PyPI and synthetic trees.
//!
//! The wheels are fetched once with the host's pip (pinned versions) into
//! `target/test-data/wheels`; without network the tests fail with pip's
//! output rather than skip, so a green run always means the real wheels were
//! checked.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use oxdist::python::resources::{PythonResource, PythonSuffixes};
use oxdist::python::scan::{classify_tree, find_site_packages, scan_directory, scan_stdlib};
use oxdist::python::wheel::{WheelError, parse_entry_points, read_wheel};
use oxdist_installers::FileData;
use oxdist_testing::fetch_wheel;

fn suffixes() -> PythonSuffixes {
    PythonSuffixes::for_unix("3.11", "x86_64-linux-gnu")
}

fn pyflakes() -> PathBuf {
    common::pyflakes_wheel()
}

fn tqdm() -> PathBuf {
    fetch_wheel("tqdm==4.66.5", "tqdm-4.66.5-", &["none-any"], &[])
}

fn markupsafe() -> PathBuf {
    let platform = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"];
    let abi = ["--implementation", "cp", "--abi", "cp311"];
    fetch_wheel(
        "MarkupSafe==2.1.5",
        "markupsafe-2.1.5-",
        &["cp311", "manylinux2014_x86_64"],
        &[&platform[..], &abi[..]].concat(),
    )
}

/// `"TypeName full_name"` for every resource, e.g. `PythonModuleSource pyflakes.api`.
fn described(resources: &[PythonResource]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| format!("{} {}", r.type_name(), r.full_name()))
        .collect()
}

fn module_names(resources: &[PythonResource]) -> BTreeSet<String> {
    resources
        .iter()
        .filter_map(|r| match r {
            PythonResource::ModuleSource(m) => Some(m.name.clone()),
            _ => None,
        })
        .collect()
}

#[track_caller]
fn assert_contains_all(haystack: &BTreeSet<String>, needles: &[&str]) {
    for needle in needles {
        assert!(haystack.contains(*needle), "missing {needle:?} in {haystack:#?}");
    }
}

#[track_caller]
fn assert_message(error: &dyn std::error::Error, needles: &[&str]) {
    let message = error.to_string();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in error message: {message}");
    }
}

#[test]
fn pyflakes_wheel_is_a_pure_python_cli() {
    let path = pyflakes();
    let wheel = read_wheel(&path, &suffixes()).unwrap();
    assert_eq!((wheel.name.as_str(), wheel.version.as_str()), ("pyflakes", "3.2.0"));
    assert_eq!(wheel.tags, ["py2-none-any", "py3-none-any"]);
    assert!(wheel.root_is_purelib);
    assert_eq!(wheel.dist_info, "pyflakes-3.2.0.dist-info");

    let all = described(&wheel.resources);
    assert_contains_all(
        &all,
        &[
            "PythonModuleSource pyflakes",
            "PythonModuleSource pyflakes.api",
            "PythonModuleSource pyflakes.checker",
            "PythonModuleSource pyflakes.scripts.pyflakes",
            "PythonPackageDistributionResource pyflakes-3.2.0.dist-info/METADATA",
            "PythonPackageDistributionResource pyflakes-3.2.0.dist-info/RECORD",
            "PythonPackageDistributionResource pyflakes-3.2.0.dist-info/entry_points.txt",
        ],
    );
    // A pure-Python wheel has no extension modules, plain files or namespace packages.
    assert!(
        wheel.resources.iter().all(|r| matches!(
            r,
            PythonResource::ModuleSource(_) | PythonResource::DistributionResource(_)
        )),
        "{all:#?}"
    );
    let Some(PythonResource::ModuleSource(package)) = wheel.resources.iter().find(|r| r.full_name() == "pyflakes")
    else {
        panic!("no pyflakes module");
    };
    assert!(package.is_package);
    assert!(matches!(&package.source, FileData::Memory(bytes) if !bytes.is_empty()));
    assert_eq!(package.origin, path.join("pyflakes/__init__.py"));

    let entry_points = wheel.entry_points().unwrap();
    assert_eq!(entry_points.len(), 1, "{entry_points:?}");
    let ep = &entry_points[0];
    assert_eq!(
        (ep.group.as_str(), ep.name.as_str(), ep.value.as_str()),
        ("console_scripts", "pyflakes", "pyflakes.api:main")
    );
    assert_eq!((ep.module(), ep.attr()), ("pyflakes.api", Some("main")));

    // The same through the public parser, from the file's bytes.
    let text = wheel.dist_info_file("entry_points.txt").unwrap().data.read().unwrap();
    assert_eq!(
        parse_entry_points(std::str::from_utf8(&text).unwrap()).unwrap(),
        entry_points
    );
    let metadata = wheel.metadata();
    assert_eq!(metadata.get("Name"), Some("pyflakes"));
    assert_eq!(metadata.get("Version"), Some("3.2.0"));
    assert!(
        metadata
            .get_all("Classifier")
            .contains(&"License :: OSI Approved :: MIT License")
    );
}

#[test]
fn tqdm_wheel_has_package_data() {
    let wheel = read_wheel(&tqdm(), &suffixes()).unwrap();
    let data: Vec<(String, String)> = wheel
        .resources
        .iter()
        .filter_map(|r| match r {
            PythonResource::PackageResource(p) => Some((p.leaf_package.clone(), p.relative_name.clone())),
            _ => None,
        })
        .collect();
    for name in ["completion.sh", "tqdm.1"] {
        assert!(
            data.contains(&("tqdm".into(), name.into())),
            "tqdm:{name} not in {data:?}"
        );
    }
    assert_contains_all(
        &module_names(&wheel.resources),
        &["tqdm", "tqdm.cli", "tqdm.contrib", "tqdm.contrib.concurrent"],
    );
    let entry_points = wheel.entry_points().unwrap();
    let console: Vec<_> = entry_points.iter().filter(|e| e.group == "console_scripts").collect();
    assert_eq!(console.len(), 1, "{entry_points:?}");
    assert_eq!(
        (console[0].name.as_str(), console[0].value.as_str()),
        ("tqdm", "tqdm.cli:main")
    );

    let metadata = wheel.metadata();
    assert_eq!(metadata.get("License"), Some("MPL-2.0 AND MIT"));
    assert!(metadata.get_all("classifier").len() > 10);
    assert!(metadata.description().is_some_and(|d| d.contains("tqdm")));
}

#[test]
fn markupsafe_wheel_has_an_extension_module() {
    let wheel = read_wheel(&markupsafe(), &suffixes()).unwrap();
    assert_eq!(wheel.name, "MarkupSafe");
    assert!(!wheel.root_is_purelib);
    assert_eq!(
        wheel.tags,
        ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"]
    );
    let extensions: Vec<_> = wheel
        .resources
        .iter()
        .filter_map(|r| match r {
            PythonResource::ExtensionModule(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(extensions.len(), 1);
    assert_eq!(extensions[0].name, "markupsafe._speedups");
    assert_eq!(extensions[0].suffix, ".cpython-311-x86_64-linux-gnu.so");
    assert!(!extensions[0].is_package);
    assert!(matches!(&extensions[0].data, FileData::Memory(b) if b.starts_with(b"\x7fELF")));

    let all = described(&wheel.resources);
    assert_contains_all(
        &all,
        &[
            "PythonModuleSource markupsafe",
            "PythonModuleSource markupsafe._native",
            "PythonPackageResource markupsafe:_speedups.pyi",
            "PythonPackageResource markupsafe:py.typed",
            "PythonPackageResource markupsafe:_speedups.c",
            "PythonPackageDistributionResource MarkupSafe-2.1.5.dist-info/LICENSE.rst",
        ],
    );
    let license = wheel.dist_info_file("LICENSE.rst").unwrap();
    assert_eq!(
        (license.package.as_str(), license.version.as_str()),
        ("MarkupSafe", "2.1.5")
    );
}

/// `pip install --target` of the same wheel scans to the same modules.
#[test]
fn installed_directory_matches_wheel() {
    let wheel_path = pyflakes();
    let target = tempfile::tempdir().unwrap();
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-index",
            "--target",
        ])
        .arg(target.path())
        .arg(&wheel_path)
        .output()
        .expect("run python3 -m pip install");
    assert!(
        output.status.success(),
        "pip install failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        target.path().join("pyflakes/__pycache__").is_dir(),
        "pip should have compiled bytecode"
    );

    let scanned = scan_directory(target.path(), &suffixes()).unwrap();
    let wheel = read_wheel(&wheel_path, &suffixes()).unwrap();
    assert_eq!(module_names(&scanned), module_names(&wheel.resources));
    let all = described(&scanned);
    assert_contains_all(
        &all,
        &[
            "PythonPackageDistributionResource pyflakes-3.2.0.dist-info/INSTALLER",
            "PythonPackageDistributionResource pyflakes-3.2.0.dist-info/RECORD",
            "File bin/pyflakes",
        ],
    );
    // __pycache__ is ignored: no bytecode resources even though pip compiled.
    assert!(
        !scanned.iter().any(|r| matches!(r, PythonResource::ModuleBytecode(_))),
        "{all:#?}"
    );
    let script = scanned.iter().find_map(|r| match r {
        PythonResource::File(f) if f.relative_path == "bin/pyflakes" => Some(f),
        _ => None,
    });
    assert!(script.unwrap().executable);
    let Some(PythonResource::ModuleSource(api)) = scanned.iter().find(|r| r.full_name() == "pyflakes.api") else {
        panic!("no pyflakes.api")
    };
    assert!(matches!(&api.source, FileData::Path(p) if p == &target.path().join("pyflakes/api.py")));
}

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

#[test]
fn synthetic_tree() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "ns/sub/mod.py", "");
    write(r, "ns/sub/__pycache__/mod.cpython-311.pyc", "");
    write(r, "ns/readme.txt", "");
    write(r, "pkg/__init__.py", "");
    write(r, "pkg/templates/a.html", "");
    write(r, "pkg/inner/__init__.py", "");
    write(r, "pkg/inner/data.json", "");
    write(r, "nsdeep/a/b/__init__.py", "");
    write(r, "numpy.libs/libfoo.so", "");
    write(r, "site-hook.pth", "import os");
    write(r, "top.txt", "");
    std::os::unix::fs::symlink("../top.txt", r.join("pkg/link.txt")).unwrap();

    let resources = scan_directory(r, &suffixes()).unwrap();
    let all: Vec<String> = resources
        .iter()
        .map(|r| format!("{} {}", r.type_name(), r.full_name()))
        .collect();
    assert_eq!(
        all,
        [
            "PythonModuleSource ns.sub.mod",
            "PythonModuleSource nsdeep.a.b",
            "PythonModuleSource pkg",
            "PythonModuleSource pkg.inner",
            "PythonPackageResource pkg.inner:data.json",
            "PythonPackageResource pkg:link.txt",
            "PythonPackageResource pkg:templates/a.html",
            "PythonNamespacePackage ns",
            "PythonNamespacePackage ns.sub",
            "PythonNamespacePackage nsdeep",
            "PythonNamespacePackage nsdeep.a",
            "PythonPathExtension site-hook.pth",
            "File ns/readme.txt",
            "File numpy.libs/libfoo.so",
            "File top.txt",
        ]
    );

    // A symlink leaving the root is refused, naming both ends.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.py", "");
    let link = r.join("pkg/evil.py");
    std::os::unix::fs::symlink(outside.path().join("secret.py"), &link).unwrap();
    let error = scan_directory(r, &suffixes()).unwrap_err();
    assert_message(&error, &[&link.display().to_string(), "secret.py", "outside"]);
}

/// A standard library directory with what distributions put beside it.
#[test]
fn stdlib_scan_skips_site_packages_and_other_non_package_directories() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "os.py", "");
    write(r, "json/__init__.py", "");
    write(r, "json/tool.py", "");
    write(r, "ensurepip/__init__.py", "");
    write(r, "ensurepip/_bundled/pip.whl", "");
    write(r, "_sysconfigdata__linux_x86_64-linux-gnu.py", "");
    write(r, "LICENSE.txt", "");
    write(r, "odd-1.0.dist-info/METADATA", "");
    write(r, "config-3.11-x86_64-linux-gnu/Makefile", "");
    write(r, "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", "");
    let stdlib = described(&scan_stdlib(r, &suffixes()).unwrap());
    assert_eq!(
        stdlib.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "File LICENSE.txt",
            "File _sysconfigdata__linux_x86_64-linux-gnu.py",
            "PythonModuleSource ensurepip",
            "PythonModuleSource json",
            "PythonModuleSource json.tool",
            "PythonModuleSource os",
            "PythonPackageDistributionResource odd-1.0.dist-info/METADATA",
            "PythonPackageResource ensurepip:_bundled/pip.whl",
        ]
    );
    // The full scan finds the same plus plain files from the skipped
    // directories, which the standard library leaves out anyway.
    let mut full = described(&scan_directory(r, &suffixes()).unwrap());
    full.retain(|d| !d.starts_with("File config-") && !d.starts_with("File lib-dynload/"));
    assert_eq!(full, stdlib);

    // site-packages (and a link to one elsewhere) is not entered, so what
    // the full scan refuses there does not matter.
    write(r, "site-packages/requests/__init__.py", "");
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.py", "");
    std::os::unix::fs::symlink(outside.path().join("secret.py"), r.join("site-packages/evil.py")).unwrap();
    std::os::unix::fs::symlink(outside.path(), r.join("dist-packages")).unwrap();
    let error = scan_directory(r, &suffixes()).unwrap_err();
    assert_message(&error, &["outside"]);
    assert_eq!(described(&scan_stdlib(r, &suffixes()).unwrap()), stdlib);
}

#[test]
fn classify_tree_refuses_unsafe_paths() {
    for (path, reason) in [
        ("../evil.py", "`..`"),
        ("/abs.py", "absolute"),
        ("pkg\\x.py", "backslash"),
    ] {
        let files = vec![(
            path.to_string(),
            FileData::Memory(Default::default()),
            PathBuf::from("test"),
            false,
        )];
        let error = classify_tree(files, &suffixes()).unwrap_err();
        // Paths are quoted with escapes (`{:?}`) so odd characters stay visible.
        assert_message(&error, &[&format!("{path:?}"), reason]);
    }
}

#[test]
fn venv_site_packages() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let site = find_site_packages(&venv).unwrap();
    assert!(
        site.ends_with("site-packages") && site.starts_with(venv.join("lib")),
        "{}",
        site.display()
    );

    let error = find_site_packages(dir.path()).unwrap_err();
    assert_message(
        &error,
        &[
            &dir.path().display().to_string(),
            "not a virtual environment",
            "pyvenv.cfg",
        ],
    );
}

/// Writes a zip with `members` (name, bytes) to `path`.
/// Members whose name contains `/scripts/` get mode 0755, the rest 0644.
fn build_zip(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    for (name, data) in members {
        let mode = if name.contains("/scripts/") { 0o755 } else { 0o644 };
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

/// The members of a zip, in order.
fn zip_members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A copy of the pyflakes wheel under `dir`, members changed by `edit`.
fn edited_pyflakes(dir: &Path, edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let source = pyflakes();
    let mut members = zip_members(&source);
    edit(&mut members);
    let path = dir.join(source.file_name().unwrap());
    build_zip(&path, &members);
    path
}

fn read_err(path: &Path) -> WheelError {
    match read_wheel(path, &suffixes()) {
        Ok(wheel) => panic!("{} was accepted as {} {}", path.display(), wheel.name, wheel.version),
        Err(error) => error,
    }
}

fn evil_wheel(dir: &Path, evil_member: &str) -> PathBuf {
    let path = dir.join("evil-1.0-py3-none-any.whl");
    let wheel_file = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec();
    build_zip(
        &path,
        &[
            ("evil/a.py".into(), Vec::new()),
            (evil_member.into(), b"print('pwned')\n".to_vec()),
            ("evil-1.0.dist-info/WHEEL".into(), wheel_file),
            (
                "evil-1.0.dist-info/RECORD".into(),
                b"evil-1.0.dist-info/RECORD,,\n".to_vec(),
            ),
        ],
    );
    path
}

#[test]
fn wheel_with_parent_dir_member_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = evil_wheel(dir.path(), "../evil.py");
    let error = read_err(&path);
    assert!(matches!(error, WheelError::UnsafePath { .. }), "{error:?}");
    assert_message(&error, &[&path.display().to_string(), "\"../evil.py\"", "`..`"]);
}

#[test]
fn wheel_with_absolute_member_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = evil_wheel(dir.path(), "/evil.py");
    let error = read_err(&path);
    assert!(matches!(error, WheelError::UnsafePath { .. }), "{error:?}");
    assert_message(&error, &[&path.display().to_string(), "\"/evil.py\"", "absolute"]);
}

#[test]
fn wheel_hash_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_pyflakes(dir.path(), |members| {
        let api = members.iter_mut().find(|(name, _)| name == "pyflakes/api.py").unwrap();
        api.1.extend_from_slice(b"\n# tampered\n");
    });
    let error = read_err(&path);
    let WheelError::HashMismatch {
        member,
        expected,
        actual,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(member, "pyflakes/api.py");
    assert!(expected.starts_with("sha256=") && actual.starts_with("sha256=") && expected != actual);
    assert_message(
        &error,
        &[&path.display().to_string(), "pyflakes/api.py", expected, actual],
    );
}

#[test]
fn wheel_member_missing_from_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_pyflakes(dir.path(), |members| {
        members.push(("pyflakes/extra.py".into(), b"x = 1\n".to_vec()))
    });
    let error = read_err(&path);
    assert!(matches!(error, WheelError::NotInRecord { .. }), "{error:?}");
    assert_message(
        &error,
        &[&path.display().to_string(), "pyflakes/extra.py", "not listed in RECORD"],
    );
}

#[test]
fn wheel_record_entry_without_member_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_pyflakes(dir.path(), |members| {
        members.retain(|(name, _)| name != "pyflakes/messages.py")
    });
    let error = read_err(&path);
    assert!(matches!(error, WheelError::MissingMember { .. }), "{error:?}");
    assert_message(
        &error,
        &[&path.display().to_string(), "pyflakes/messages.py", "no such member"],
    );
}

#[test]
fn truncated_wheel_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = pyflakes();
    let path = dir.path().join(source.file_name().unwrap());
    fs::write(&path, &fs::read(&source).unwrap()[..100]).unwrap();
    let error = read_err(&path);
    assert!(matches!(error, WheelError::Zip { .. }), "{error:?}");
    assert_message(&error, &[&path.display().to_string(), "not a valid zip archive"]);
}

/// A RECORD line for `name` (quoted when it holds a comma, as Python's csv does).
fn record_line(name: &str, data: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(data));
    let name = if name.contains(',') {
        format!("\"{name}\"")
    } else {
        name.to_string()
    };
    format!("{name},sha256={hash},{}\n", data.len())
}

/// A valid wheel `demo-1.0-py3-none-any.whl` with `members` plus WHEEL and RECORD.
fn demo_wheel(dir: &Path, mut members: Vec<(String, Vec<u8>)>) -> PathBuf {
    let path = dir.join("demo-1.0-py3-none-any.whl");
    let wheel_file = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec();
    members.push(("demo-1.0.dist-info/WHEEL".into(), wheel_file));
    let mut record: String = members.iter().map(|(name, data)| record_line(name, data)).collect();
    record.push_str("demo-1.0.dist-info/RECORD,,\n");
    members.push(("demo-1.0.dist-info/RECORD".into(), record.into_bytes()));
    build_zip(&path, &members);
    path
}

#[test]
fn wheel_data_directories() {
    let dir = tempfile::tempdir().unwrap();
    let members = [
        ("demo/__init__.py", "from demo import _impl\n"),
        ("demo/data,with,commas.txt", "quoted in RECORD"),
        ("demo-1.0.data/purelib/demo/_impl.py", "x = 1\n"),
        ("demo-1.0.data/platlib/demo_plat.py", ""),
        ("demo-1.0.data/scripts/demo-tool", "#!python\n"),
        ("demo-1.0.data/headers/demo.h", ""),
        ("demo-1.0.data/data/share/man/man1/demo.1", ""),
    ];
    let path = demo_wheel(
        dir.path(),
        members
            .iter()
            .map(|(n, d)| (n.to_string(), d.as_bytes().to_vec()))
            .collect(),
    );
    let wheel = read_wheel(&path, &suffixes()).unwrap();
    let all: Vec<String> = wheel
        .resources
        .iter()
        .filter(|r| !matches!(r, PythonResource::DistributionResource(_)))
        .map(|r| format!("{} {}", r.type_name(), r.full_name()))
        .collect();
    assert_eq!(
        all,
        [
            "PythonModuleSource demo",
            "PythonModuleSource demo._impl",
            "PythonModuleSource demo_plat",
            "PythonPackageResource demo:data,with,commas.txt",
            "File demo-1.0.data/data/share/man/man1/demo.1",
            "File demo-1.0.data/headers/demo.h",
            "File demo-1.0.data/scripts/demo-tool",
        ]
    );
    let Some(PythonResource::ModuleSource(imp)) = wheel.resources.iter().find(|r| r.full_name() == "demo._impl") else {
        panic!()
    };
    assert_eq!(imp.origin, path.join("demo-1.0.data/purelib/demo/_impl.py"));
    let executable: Vec<_> = wheel
        .resources
        .iter()
        .filter_map(|r| match r {
            PythonResource::File(f) => Some((f.relative_path.as_str(), f.executable)),
            _ => None,
        })
        .collect();
    assert!(
        executable.contains(&("demo-1.0.data/scripts/demo-tool", true)),
        "{executable:?}"
    );
    assert!(
        executable.contains(&("demo-1.0.data/headers/demo.h", false)),
        "{executable:?}"
    );

    // An unknown scheme below .data is refused rather than guessed.
    let bad = tempfile::tempdir().unwrap();
    let path = demo_wheel(bad.path(), vec![("demo-1.0.data/lib/x.py".into(), Vec::new())]);
    assert_message(
        &read_err(&path),
        &[
            &path.display().to_string(),
            "demo-1.0.data/lib/x.py",
            "unknown data scheme \"lib\"",
        ],
    );
}

/// Replaces the first `count` occurrences of `from` in the file at `path` (same length).
fn patch_bytes(path: &Path, from: &[u8], to: &[u8], count: usize) {
    assert_eq!(from.len(), to.len());
    let mut bytes = fs::read(path).unwrap();
    let mut done = 0;
    let mut i = 0;
    while done < count && i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            done += 1;
        }
        i += 1;
    }
    assert_eq!(done, count, "pattern not found often enough");
    fs::write(path, bytes).unwrap();
}

/// Zip tricks that make tools disagree about a wheel's contents.
#[test]
fn zip_confusion_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Two central-directory entries with one name.
    let path = evil_wheel(dir.path(), "evil/b.py");
    patch_bytes(&path, b"evil/b.py", b"evil/a.py", 2);
    let err = read_err(&path);
    assert!(
        matches!(
            err,
            WheelError::DuplicateNames { .. } | WheelError::DuplicateMember { .. }
        ),
        "{err:?}"
    );
    assert_message(&err, &[&path.display().to_string(), "twice"]);

    // A local header naming `../evil.py` behind a harmless central-directory name.
    let path = evil_wheel(dir.path(), "aa/evil.py");
    patch_bytes(&path, b"aa/evil.py", b"../evil.py", 1);
    let err = read_err(&path);
    assert!(matches!(err, WheelError::Member { .. }), "{err:?}");
    assert_message(&err, &[&path.display().to_string(), "aa/evil.py", "inconsistency"]);
}
