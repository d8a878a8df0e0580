//! Python distributions: this machine's host CPython, synthetic
//! python-build-standalone archives (v7 and v8, Linux and Windows shapes),
//! and the Starlark API over them (`python_resources`, `pip_install`, …).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::Project;
use oxdist::python::distribution::{DistributionSource, ExtensionKind};
use oxdist::python::{host, pbs};

// ---------------------------------------------------------------- host

#[test]
fn host_cpython_builtins_dynload_and_static_library() {
    let dist = host::read_host(Path::new("python3"), None).unwrap();
    assert!(matches!(dist.source, DistributionSource::Host { .. }));
    assert_eq!(dist.major_minor, "3.11", "CI's interpreter is 3.11");
    assert_eq!(dist.target_triple, oxdist::HOST_TRIPLE);
    // Built into libpython.
    for name in ["sys", "builtins", "_io", "marshal", "posix"] {
        let m = &dist.extension_modules[name][0];
        assert_eq!(m.kind, ExtensionKind::Builtin, "{name}");
    }
    // Shared libraries in lib-dynload.
    for name in ["_ssl", "_sqlite3", "_ctypes", "_json", "math"] {
        let m = &dist.extension_modules[name][0];
        match &m.kind {
            ExtensionKind::SharedLibrary { path } => {
                assert!(path.is_file(), "{}", path.display());
                assert!(path.to_string_lossy().contains("lib-dynload"), "{}", path.display());
            }
            other => panic!("{name} is {other:?}"),
        }
    }
    let lib = dist.require_static_libpython().unwrap();
    assert!(
        lib.is_file() && lib.to_string_lossy().ends_with(".a"),
        "{}",
        lib.display()
    );
    assert!(
        dist.suffixes
            .extension
            .iter()
            .any(|s| s == ".cpython-311-x86_64-linux-gnu.so")
    );
    assert!(dist.stdlib_dir.join("os.py").is_file());
}

#[test]
fn debian_python_has_a_pic_static_library() {
    let debian = Path::new("/usr/bin/python3.11");
    if !debian.exists() {
        panic!("/usr/bin/python3.11 is missing; install it with `apt-get install python3.11-dev`");
    }
    let dist = host::read_host(debian, Some("3.11")).unwrap();
    let pic = dist
        .libpython
        .static_pic_lib
        .as_ref()
        .expect("Debian ships libpython3.11-pic.a in python3.11-dev");
    assert!(pic.ends_with("libpython3.11-pic.a"));
    assert_eq!(
        dist.require_static_libpython().unwrap(),
        pic,
        "the PIC archive is preferred"
    );
}

#[test]
fn missing_static_library_says_how_to_get_one() {
    // An interpreter whose sysconfig points at directories without libpython.
    let p = Project::new();
    let fake = p.exe(
        "python-no-static",
        "#!/bin/sh\n\
         exec python3 -I -S -c 'import sys, sysconfig\n\
_get = sysconfig.get_config_var\n\
sysconfig.get_config_var = lambda n: \"/nonexistent\" if n in (\"LIBPL\", \"LIBDIR\") else _get(n)\n\
exec(sys.argv[1])' \"$4\"\n",
    );
    let dist = host::read_host(&fake, None).unwrap();
    let err = dist.require_static_libpython().unwrap_err().to_string();
    assert!(err.contains("no static libpython"), "{err}");
    assert!(err.contains("apt-get install python3.11-dev"), "{err}");
}

#[test]
fn wrong_or_missing_interpreter() {
    let err = host::read_host(Path::new("python3"), Some("2.7"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the requested Python 2.7"), "{err}");
    let err = host::read_host(Path::new("/nonexistent/python"), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot run Python interpreter /nonexistent/python"),
        "{err}"
    );
    let p = Project::new();
    p.run(&["distribution", "info", "--host", "--python", "/nonexistent/python"])
        .fails_with(
            4,
            &["cannot run Python interpreter /nonexistent/python", "--python PATH"],
        );
}

#[test]
fn distribution_info_cli_for_the_host() {
    let p = Project::new();
    let run = p.run(&["distribution", "info", "--host"]).ok();
    assert!(run.stdout.contains("static libpython: /"), "{}", run.stdout);
    assert!(run.stdout.contains("  sys [default] builtin"), "{}", run.stdout);
    let run = p.run(&["distribution", "info", "--host", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["source"]["flavor"], "host");
    assert_eq!(doc["extension_modules"]["_ssl"][0]["kind"], "shared-library");
}

// ---------------------------------------------------------------- python-build-standalone

/// A PYTHON.json for a synthetic archive.
fn python_json(version: &str, windows: bool) -> serde_json::Value {
    let (triple, exe, stdlib, ext) = if windows {
        ("x86_64-pc-windows-msvc", "install/python.exe", "install/Lib", ".pyd")
    } else {
        (
            "x86_64-unknown-linux-gnu",
            "install/bin/python3",
            "install/lib/python3.12",
            ".cpython-312-x86_64-linux-gnu.so",
        )
    };
    let mut json = serde_json::json!({
        "version": version,
        "target_triple": triple,
        "python_tag": "cp312",
        "python_abi_tag": if windows { serde_json::Value::Null } else { "cp312".into() },
        "python_version": "3.12.7",
        "python_major_minor_version": "3.12",
        "python_implementation_cache_tag": "cpython-312",
        "python_exe": exe,
        "python_paths": { "stdlib": stdlib },
        "python_suffixes": { "source": [".py"], "bytecode": [".pyc"], "extension": [ext] },
        "python_stdlib_test_packages": ["test", "unittest.test"],
        "licenses": ["Python-2.0", "CNRI-Python"],
        "license_path": "licenses/LICENSE.cpython.txt",
        "libpython_link_mode": if windows { "shared" } else { "static" },
        "crt_features": [],
        "build_info": {
            "core": {
                "objs": ["build/core/Python/ceval.o"],
                "links": [{ "name": "dl", "system": true }, { "name": "m", "system": true }],
                "static_lib": if windows { serde_json::Value::Null } else { "install/lib/libpython3.12.a".into() },
                "shared_lib": if windows { "install/python312.dll".into() } else { serde_json::Value::Null },
            },
            "extensions": {
                "_ssl": [{
                    "in_core": false, "init_fn": "PyInit__ssl", "objs": ["build/extensions/_ssl/_ssl.o"],
                    "required": false, "variant": "default",
                    "links": [{ "name": "ssl", "path_static": "build/lib/libssl.a" }, { "name": "crypto", "path_static": "build/lib/libcrypto.a" }],
                    "licenses": ["Apache-2.0"], "license_paths": ["licenses/LICENSE.openssl-3.txt"], "license_public_domain": null,
                }],
                "_sqlite3": [{
                    "in_core": false, "init_fn": "PyInit__sqlite3", "objs": [], "required": false, "variant": "default",
                    "links": [{ "name": "sqlite3", "path_static": "build/lib/libsqlite3.a" }],
                    "licenses": [], "license_paths": ["licenses/LICENSE.sqlite.txt"], "license_public_domain": true,
                }],
                "readline": [{
                    "in_core": false, "init_fn": "PyInit_readline", "objs": [], "required": false, "variant": "default",
                    "links": [{ "name": "edit", "system": true }],
                    "shared_lib": format!("install/lib/python3.12/lib-dynload/readline{ext}"),
                }],
                // Several libraries, several ids: all apply (AND).
                "_tkinter": [{
                    "in_core": false, "init_fn": "PyInit__tkinter", "objs": [], "required": false, "variant": "default",
                    "links": [{ "name": "tcl8.6", "path_static": "build/lib/libtcl8.6.a" }, { "name": "X11", "path_static": "build/lib/libX11.a" }],
                    "licenses": ["MIT", "TCL", "X11"], "license_paths": [], "license_public_domain": false,
                }],
                // Copyleft that the `spdx` crate's table does not call copyleft.
                "_dbm": [{
                    "in_core": false, "init_fn": "PyInit__dbm", "objs": [], "required": false, "variant": "default",
                    "links": [{ "name": "db", "path_static": "build/lib/libdb.a" }],
                    "licenses": ["Sleepycat"], "license_paths": [], "license_public_domain": false,
                }],
                // A bundled library and no keys (Windows annotates a curated map only): unknown.
                "_decimal": [{
                    "in_core": false, "init_fn": "PyInit__decimal", "objs": [], "required": false, "variant": "default",
                    "links": [{ "name": "mpdec", "path_static": "build/lib/libmpdec.a" }],
                }],
                "_io": [{ "in_core": true, "init_fn": "PyInit__io", "objs": [], "required": true, "variant": "default", "links": [] }],
            },
            "inittab_object": "build/Modules/config.o",
            "inittab_source": "build/Modules/config.c",
            "inittab_cflags": ["-DNDEBUG"],
            "object_file_format": if windows { "coff" } else { "elf" },
        },
    });
    if version == "8" {
        json["build_options"] = "pgo+lto".into();
    }
    json
}

/// Writes a synthetic "full" archive; `compress` picks zstd or gzip.
fn synthetic_archive(dir: &Path, name: &str, json: &serde_json::Value, zstd: bool, extra: &[(&str, &[u8])]) -> PathBuf {
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, data).unwrap();
    };
    add(
        "python/PYTHON.json",
        serde_json::to_string_pretty(json).unwrap().as_bytes(),
    );
    add("python/licenses/LICENSE.cpython.txt", b"PSF license text");
    add("python/licenses/LICENSE.openssl-3.txt", b"Apache license text");
    add("python/licenses/LICENSE.sqlite.txt", b"The author disclaims copyright");
    let stdlib = json["python_paths"]["stdlib"].as_str().unwrap();
    add(&format!("python/{stdlib}/os.py"), b"import sys\n");
    add(&format!("python/{stdlib}/json/__init__.py"), b"");
    for (path, data) in extra {
        add(path, data);
    }
    let raw = tar.into_inner().unwrap();
    let path = dir.join(name);
    let bytes = if zstd {
        zstd::encode_all(raw.as_slice(), 3).unwrap()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        gz.finish().unwrap()
    };
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn standalone_v7_linux_archive_with_license_annotations() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let archive = synthetic_archive(
        p.path(),
        "cpython-3.12-linux.tar.zst",
        &python_json("7", false),
        true,
        &[],
    );
    let sha = pbs::sha256_of(&archive).unwrap();
    let dist = pbs::open_archive(&archive, Some(&sha), &cache).unwrap();
    assert_eq!(dist.version, "3.12.7");
    assert_eq!(dist.major_minor, "3.12");
    assert_eq!(dist.abi_tag.as_deref(), Some("cp312"));
    assert_eq!(dist.cache_tag, "cpython-312");
    assert!(dist.stdlib_dir.join("os.py").is_file());
    assert!(
        dist.libpython
            .static_lib
            .as_ref()
            .unwrap()
            .ends_with("install/lib/libpython3.12.a")
    );
    assert_eq!(
        dist.core_license.as_ref().unwrap().spdx_ids,
        ["Python-2.0", "CNRI-Python"]
    );

    let ssl = &dist.extension_modules["_ssl"][0];
    assert!(matches!(&ssl.kind, ExtensionKind::StaticObjects { objects, .. } if objects.len() == 1));
    assert_eq!(ssl.licenses.as_ref().unwrap().spdx_ids, ["Apache-2.0"]);
    assert!(ssl.links_libraries());
    let sqlite = &dist.extension_modules["_sqlite3"][0];
    let annotation = sqlite.licenses.as_ref().unwrap();
    assert!(annotation.public_domain && annotation.spdx_ids.is_empty());
    // No license keys at all: not annotated, which is not "Python license only".
    let readline = &dist.extension_modules["readline"][0];
    assert!(readline.licenses.is_none());
    assert!(matches!(readline.kind, ExtensionKind::SharedLibrary { .. }));
    assert!(!readline.links_libraries(), "system libraries only");
    assert_eq!(dist.extension_modules["_io"][0].kind, ExtensionKind::Builtin);
    assert!(dist.extension_modules["_io"][0].required);

    // Extracted once into the cache, reused on the next open.
    let extracted = match &dist.source {
        DistributionSource::Standalone {
            extracted,
            json_version,
            ..
        } => {
            assert_eq!(json_version, "7");
            extracted.clone()
        }
        other => panic!("{other:?}"),
    };
    assert!(extracted.starts_with(&cache) && extracted.join(".oxdist-complete").is_file());
    std::fs::write(extracted.join("python/marker"), "kept").unwrap();
    pbs::open_archive(&archive, None, &cache).unwrap();
    assert!(
        extracted.join("python/marker").is_file(),
        "a second open reuses the extraction"
    );
}

#[test]
fn standalone_v8_windows_archive_gzip() {
    let p = Project::new();
    let archive = synthetic_archive(
        p.path(),
        "cpython-3.12-windows.tar.gz",
        &python_json("8", true),
        false,
        &[],
    );
    let dist = pbs::open_archive(&archive, None, &p.path().join("cache")).unwrap();
    assert_eq!(dist.target_triple, "x86_64-pc-windows-msvc");
    assert_eq!(dist.abi_tag, None);
    assert!(dist.python_exe.is_none(), "a Windows interpreter cannot run here");
    assert!(
        dist.require_interpreter()
            .unwrap_err()
            .to_string()
            .contains("cannot run on this machine")
    );
    assert!(dist.libpython.static_lib.is_none());
    assert!(
        dist.require_static_libpython()
            .unwrap_err()
            .to_string()
            .contains("\"full\"")
    );
    assert!(
        dist.libpython
            .shared_lib
            .as_ref()
            .unwrap()
            .ends_with("install/python312.dll")
    );
    assert_eq!(dist.suffixes.extension, [".pyd"]);

    // The CLI reads the same archive.
    let run = p
        .run(&["distribution", "info", archive.to_str().unwrap(), "--json"])
        .ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["source"]["json_version"], "8");
    assert_eq!(
        doc["extension_modules"]["_ssl"][0]["licenses"]["spdx_ids"][0],
        "Apache-2.0"
    );
    let run = p.run(&["distribution", "info", archive.to_str().unwrap()]).ok();
    assert!(
        run.stdout
            .contains("_sqlite3 [default] 0 objects; links sqlite3; licenses: public domain"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("readline [default] shared"), "{}", run.stdout);
    assert!(run.stdout.contains("licenses: not annotated"), "{}", run.stdout);
}

#[test]
fn distribution_licenses_of_standalone_archives_v7_and_v8() {
    let p = Project::new();
    for (version, windows, zstd) in [("7", false, true), ("8", true, false)] {
        let name = format!("cpython-v{version}.tar.{}", if zstd { "zst" } else { "gz" });
        let archive = synthetic_archive(p.path(), &name, &python_json(version, windows), zstd, &[]);
        let archive = archive.to_str().unwrap();
        let run = p.run(&["distribution", "licenses", archive, "--json"]).ok();
        let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let row = |name: &str| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == name)
                .unwrap_or_else(|| panic!("v{version}: no row for {name}:\n{rows:#}"))
                .clone()
        };
        assert_eq!(row("_ssl")["license"], "Apache-2.0", "v{version}");
        assert_eq!(row("_ssl")["libraries"], serde_json::json!(["ssl", "crypto"]));
        assert_eq!(row("_sqlite3")["license"], "public domain", "v{version}");
        assert_eq!(row("_tkinter")["license"], "MIT AND TCL AND X11", "v{version}");
        assert_eq!(row("_dbm")["license"], "Sleepycat", "v{version}");
        // System libraries only and no keys: CPython's own code.
        assert_eq!(row("readline")["license"], "CPython's (no library annotated)");
        // A bundled library and no keys: unknown, saying what to do.
        let decimal = row("_decimal");
        assert_eq!(decimal["license"], "unknown", "{decimal:#}");
        let reason = decimal["unknown_reason"].as_str().unwrap();
        assert!(reason.contains("mpdec") && reason.contains("clarification"), "{reason}");
        assert!(
            row("_ssl")["provenance"]
                .as_str()
                .unwrap()
                .starts_with("PYTHON.json build_info.extensions._ssl[default]")
        );
        let text = p.run(&["distribution", "licenses", archive]).ok().stdout;
        assert!(text.contains("  _tkinter: MIT AND TCL AND X11\n"), "{text}");
    }
}

/// The audit and the `no-copyleft` filter on a python-build-standalone
/// archive read its annotations alike: Sleepycat is copyleft, a bundled
/// library without keys is unknown, several ids are all present — also for
/// a Windows distribution audited on this Linux machine.
#[test]
fn audit_of_standalone_distributions_for_linux_and_windows() {
    for windows in [false, true] {
        audit_of_a_standalone_distribution(windows);
    }
}

fn audit_of_a_standalone_distribution(windows: bool) {
    let p = Project::new();
    let json = python_json(if windows { "8" } else { "7" }, windows);
    let archive = synthetic_archive(p.path(), "pbs.tar.zst", &json, true, &[]);
    let config = |filter: &str| {
        format!(
            r#"
set_package_metadata(name = "demo", version = "1.0", license = "MIT")
def make_exe():
    dist = PythonDistribution(local_path = "{}")
    policy = dist.make_python_packaging_policy()
    policy.extension_module_filter = "{filter}"
    return dist.to_python_executable("demo", packaging_policy = policy)
register_target("exe", make_exe, default = True)
resolve_targets()
"#,
            archive.display()
        )
    };
    p.config(&config("all"));
    let run = p.run(&["licenses", "--check", "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let license = |id: &str| {
        report["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["license"].clone())
    };
    let expression = |id: &str| license(id).and_then(|l| l["expression"].as_str().map(str::to_string));
    assert_eq!(
        expression("python:CPython").as_deref(),
        Some("Python-2.0 AND CNRI-Python")
    );
    assert_eq!(
        expression("stdlib-extension:_tkinter").as_deref(),
        Some("MIT AND TCL AND X11")
    );
    assert_eq!(expression("stdlib-extension:_dbm").as_deref(), Some("Sleepycat"));
    assert_eq!(license("stdlib-extension:_decimal").unwrap()["kind"], "unknown");
    assert!(license("stdlib-extension:readline").is_none(), "CPython's own code");
    // Sleepycat is copyleft and `_decimal` unknown: the default policy refuses both.
    assert_eq!(run.code, 5, "windows: {windows}; {}", run.stderr);
    let violations = report["verdict"]["violations"].to_string();
    assert!(
        violations.contains("_dbm") && violations.contains("_decimal"),
        "{violations}"
    );

    // no-copyleft drops both; what remains passes.
    p.config(&config("no-copyleft"));
    let run = p.run(&["licenses", "--check", "--format", "json"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"stdlib-extension:_ssl") && ids.contains(&"stdlib-extension:_tkinter"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"stdlib-extension:_dbm") && !ids.contains(&"stdlib-extension:_decimal"),
        "{ids:?}"
    );
}

#[test]
fn distribution_extract_cli() {
    let p = Project::new();
    let archive = synthetic_archive(p.path(), "d.tar.zst", &python_json("7", false), true, &[]);
    p.run(&["distribution", "extract", archive.to_str().unwrap(), "out"])
        .ok();
    assert!(p.path().join("out/python/PYTHON.json").is_file());
    p.run(&["distribution", "extract", archive.to_str().unwrap(), "out"])
        .fails_with(3, &["out already exists"]);
}

#[test]
fn bad_standalone_archives() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let good = synthetic_archive(p.path(), "good.tar.zst", &python_json("7", false), true, &[]);

    // sha256 mismatch.
    let wrong = "0".repeat(64);
    let err = pbs::open_archive(&good, Some(&wrong), &cache).unwrap_err().to_string();
    assert!(err.contains("sha256 mismatch") && err.contains(&wrong), "{err}");
    let err = pbs::open_archive(&good, Some("abc"), &cache).unwrap_err().to_string();
    assert!(err.contains("invalid sha256 \"abc\""), "{err}");
    p.run(&["distribution", "info", good.to_str().unwrap(), "--sha256", &wrong])
        .fails_with(4, &["sha256 mismatch"]);

    // Truncated and corrupt archives.
    let bytes = std::fs::read(&good).unwrap();
    let truncated = p.path().join("truncated.tar.zst");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = pbs::open_archive(&truncated, None, &cache).unwrap_err().to_string();
    assert!(err.contains("corrupt or truncated"), "{err}");
    let corrupt = p.path().join("corrupt.tar.zst");
    std::fs::write(&corrupt, b"this is not an archive at all").unwrap();
    let err = pbs::open_archive(&corrupt, None, &cache).unwrap_err().to_string();
    assert!(err.contains("neither zstd nor gzip"), "{err}");
    // Nothing half-extracted is left in the cache.
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("distributions"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".oxdist-extract")),
        "{leftovers:?}"
    );

    // Unknown PYTHON.json version.
    let v9 = synthetic_archive(p.path(), "v9.tar.zst", &python_json("9", false), true, &[]);
    let err = pbs::open_archive(&v9, None, &cache).unwrap_err().to_string();
    assert!(
        err.contains("PYTHON.json version \"9\" is not supported; oxdist reads versions 7 and 8"),
        "{err}"
    );

    // A member escaping the destination.
    let evil = synthetic_archive(p.path(), "evil.tar.zst", &python_json("7", false), true, &[]);
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o644);
    // Bypass the builder's own path checks to write a hostile name.
    header.as_gnu_mut().unwrap().name[..14].copy_from_slice(b"../escaped.txt");
    header.set_cksum();
    tar.append(&header, &b"evil"[..]).unwrap();
    std::fs::write(
        &evil,
        zstd::encode_all(tar.into_inner().unwrap().as_slice(), 3).unwrap(),
    )
    .unwrap();
    let err = pbs::open_archive(&evil, None, &cache).unwrap_err().to_string();
    assert!(
        err.contains("\"../escaped.txt\"") && err.contains("outside the destination"),
        "{err}"
    );
    assert!(!p.path().join("escaped.txt").exists() && !cache.join("escaped.txt").exists());

    // No PYTHON.json.
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "python/README", &b"x"[..]).unwrap();
    let nojson = p.path().join("nojson.tar.zst");
    std::fs::write(
        &nojson,
        zstd::encode_all(tar.into_inner().unwrap().as_slice(), 3).unwrap(),
    )
    .unwrap();
    let err = pbs::open_archive(&nojson, None, &cache).unwrap_err().to_string();
    assert!(err.contains("has no python/PYTHON.json"), "{err}");
}

#[test]
fn standalone_from_a_url_is_verified_and_cached() {
    let p = Project::new();
    let archive = synthetic_archive(p.path(), "u.tar.zst", &python_json("7", false), true, &[]);
    let sha = pbs::sha256_of(&archive).unwrap();
    let url = format!("file://{}", archive.display());
    let cache = p.path().join("cache");
    let dist = pbs::open_url(&url, &sha, &cache).unwrap();
    assert_eq!(dist.version, "3.12.7");
    let downloads: Vec<_> = std::fs::read_dir(cache.join("downloads")).unwrap().collect();
    assert_eq!(downloads.len(), 1);
    let err = pbs::open_url(&url, &"1".repeat(64), &p.path().join("cache2"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(
        std::fs::read_dir(p.path().join("cache2/downloads"))
            .unwrap()
            .next()
            .is_none(),
        "a failed download leaves nothing behind"
    );
    // In Starlark: a URL needs its sha256.
    p.config(&format!("PythonDistribution(url = \"{url}\")\n"));
    p.run(&["build"]).fails_with(3, &["needs its sha256"]);
    p.config(&format!(
        "d = PythonDistribution(url = \"{url}\", sha256 = \"{sha}\")\nprint(d.python_version)\nregister_target(\"t\", lambda: None)\n"
    ));
    let run = p
        .run_with_env(&["build"], &[("OXDIST_CACHE_DIR", cache.to_str().unwrap())])
        .ok();
    assert!(run.stderr.contains("3.12.7"), "{}", run.stderr);
}

// ---------------------------------------------------------------- Starlark

#[test]
fn starlark_python_resources_of_the_host() {
    let p = Project::new();
    p.config(
        r#"
dist = default_python_distribution()
res = dist.python_resources()
by_type = {}
for r in res:
    by_type[type(r)] = by_type.get(type(r), 0) + 1
print("types %s" % sorted(by_type.keys()))
os_mod = [r for r in res if type(r) == "PythonModuleSource" and r.name == "os"][0]
print("os %s %s %s" % (os_mod.is_package, os_mod.add_include, os_mod.add_location))
json_pkg = [r for r in res if type(r) == "PythonModuleSource" and r.name == "json"][0]
print("json package %s" % json_pkg.is_package)
test_mod = [r for r in res if type(r) == "PythonModuleSource" and r.name == "unittest.test.test_case"][0]
print("test included %s" % test_mod.add_include)
ssl = [r for r in res if type(r) == "PythonExtensionModule" and r.name == "_ssl"][0]
print("ssl builtin %s" % ssl.is_builtin)
print("version " + dist.python_version)
register_target("t", lambda: None)
"#,
    );
    let run = p.run(&["build"]).ok();
    for line in [
        "types [\"PythonExtensionModule\", \"PythonModuleSource\", \"PythonNamespacePackage\", \"PythonPackageResource\"]",
        "os False True in-memory",
        "json package True",
        "test included False",
        "ssl builtin False",
        "version 3.11.",
    ] {
        assert!(run.stderr.contains(line), "missing {line:?} in:\n{}", run.stderr);
    }
}

#[test]
fn starlark_packaging_policy() {
    let p = Project::new();
    p.config(
        r#"
policy = default_python_distribution().make_python_packaging_policy()
print("defaults %s %s %s %s" % (policy.extension_module_filter, policy.include_test, policy.resources_location, policy.resources_location_fallback))
policy.extension_module_filter = "no-gpl"
policy.include_test = True
policy.resources_location = "filesystem-relative:lib"
policy.resources_location_fallback = "in-memory"
print("set %s %s %s %s" % (policy.extension_module_filter, policy.include_test, policy.resources_location, policy.resources_location_fallback))
register_target("t", lambda: None)
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr.contains("defaults all False in-memory None"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("set no-copyleft True filesystem-relative:lib in-memory"),
        "{}",
        run.stderr
    );

    p.config("policy = default_python_distribution().make_python_packaging_policy()\npolicy.extension_module_filter = \"some\"\n");
    p.run(&["build"])
        .fails_with(3, &["unknown extension_module_filter \"some\"", "oxdist.star:2:1"]);
    p.config("policy = default_python_distribution().make_python_packaging_policy()\npolicy.colour = 1\n");
    p.run(&["build"]).fails_with(3, &["no attribute \"colour\""]);
    p.config("default_python_distribution(flavor = \"standalone\")\n");
    p.run(&["build"]).fails_with(
        3,
        &["would download from the internet", "PythonDistribution(local_path="],
    );
}

#[test]
fn starlark_pip_install_offline_and_pip_failure() {
    let wheel = common::pyflakes_wheel();
    let wheels = wheel.parent().unwrap().to_str().unwrap().to_string();
    let p = Project::new();
    p.config(&format!(
        r#"
dist = default_python_distribution()
res = dist.pip_install(["--no-index", "--find-links", "{wheels}", "pyflakes==3.2.0"], {{"OXDIST_TEST": "1"}})
names = sorted([r.name for r in res if type(r) == "PythonModuleSource"])
print("has api %s" % ("pyflakes.api" in names))
print("has checker %s" % ("pyflakes.checker" in names))
meta = [r for r in res if type(r) == "PythonPackageDistributionResource" and r.name == "METADATA"][0]
print("dist %s %s" % (meta.package, meta.version))
register_target("t", lambda: None)
"#
    ));
    let run = p.run(&["build"]).ok();
    assert!(run.stderr.contains("has api True"), "{}", run.stderr);
    assert!(run.stderr.contains("has checker True"), "{}", run.stderr);
    assert!(run.stderr.contains("dist pyflakes 3.2.0"), "{}", run.stderr);

    p.config(&format!(
        "default_python_distribution().pip_install([\"--no-index\", \"--find-links\", \"{wheels}\", \"no-such-package-oxdist==1.0\"])\n"
    ));
    p.run(&["build"]).fails_with(
        3,
        &[
            "pip install --no-index",
            "failed (exit 1); pip said:",
            "No matching distribution found for no-such-package-oxdist==1.0",
        ],
    );
}

#[test]
fn starlark_read_package_root_and_virtualenv() {
    let p = Project::new();
    p.file("src/app/__init__.py", "");
    p.file("src/app/main.py", "print('hi')\n");
    p.file("src/app/data/config.json", "{}");
    p.file("src/other/__init__.py", "");
    let venv = p.path().join("venv");
    let status = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    std::fs::create_dir_all(site.join("vpkg")).unwrap();
    std::fs::write(site.join("vpkg/__init__.py"), "").unwrap();
    std::fs::write(site.join("extra.pth"), "import os\n").unwrap();
    p.config(
        r#"
dist = default_python_distribution()
res = dist.read_package_root("src", ["app"])
print("root %s" % sorted(["%s:%s" % (type(r), r.name) for r in res]))
venv = dist.read_virtualenv("venv")
print("venv %s" % [r.name for r in venv if type(r) == "PythonModuleSource"])
register_target("t", lambda: None)
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr.contains(
            r#"root ["PythonModuleSource:app", "PythonModuleSource:app.main", "PythonPackageResource:data/config.json"]"#
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(r#"venv ["vpkg"]"#), "{}", run.stderr);
    assert!(
        run.stderr.contains("extra.pth is a .pth file; it is not executed"),
        "{}",
        run.stderr
    );
    p.config("default_python_distribution().read_virtualenv(\"src\")\n");
    p.run(&["build"]).fails_with(3, &["src"]);
}

#[test]
fn find_resources_cli_on_a_wheel() {
    let wheel = common::pyflakes_wheel();
    let p = Project::new();
    let run = p.run(&["find-resources", wheel.to_str().unwrap()]).ok();
    assert!(run.stdout.contains("PythonModuleSource"), "{}", run.stdout);
    assert!(run.stdout.contains("pyflakes.api"), "{}", run.stdout);
    assert!(
        run.stdout.contains("pyflakes-3.2.0.dist-info/METADATA"),
        "{}",
        run.stdout
    );
    let run = p.run(&["find-resources", wheel.to_str().unwrap(), "--json"]).ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        rows.iter()
            .any(|r| r["type"] == "PythonModuleSource" && r["name"] == "pyflakes.checker")
    );
    p.run(&["find-resources", "/nonexistent/dir"])
        .fails_with(4, &["/nonexistent/dir"]);
}

#[test]
fn starlark_interpreter_config() {
    let p = Project::new();
    p.config(
        r#"
config = default_python_distribution().make_python_interpreter_config()
print("defaults %s %s %s %s" % (config.run_module, config.filesystem_importer, config.sys_paths, config.terminfo_resolution))
config.run_module = "pyflakes"
config.sys_paths = ["$ORIGIN/lib"]
config.utf8_mode = True
config.bytecode_optimization_level = 2
print("set %s %s %s %s" % (config.run_module, config.sys_paths, config.utf8_mode, config.bytecode_optimization_level))
print(config)
register_target("t", lambda: None)
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(run.stderr.contains("defaults None False [] dynamic"), "{}", run.stderr);
    assert!(
        run.stderr.contains(r#"set pyflakes ["$ORIGIN/lib"] True 2"#),
        "{}",
        run.stderr
    );
    p.config("c = default_python_distribution().make_python_interpreter_config()\nc.run_modul = \"x\"\n");
    p.run(&["build"])
        .fails_with(3, &["no field \"run_modul\"", "run_module"]);
    p.config("c = default_python_distribution().make_python_interpreter_config()\nc.sys_paths = \"lib\"\n");
    p.run(&["build"])
        .fails_with(3, &["sys_paths must be a list of strings, not string"]);
    // Values the runtime cannot honour are refused, not silently ignored.
    for (line, message) in [
        (
            "c.allocator_backend = \"jemalloc\"",
            "allocator_backend: \"jemalloc\" is not supported yet",
        ),
        (
            "c.terminfo_resolution = \"auto\"",
            "terminfo_resolution: \"auto\" is not one of dynamic, none, static:PATHS",
        ),
        (
            "c.multiprocessing_start_method = \"thread\"",
            "multiprocessing_start_method: \"thread\" is not one of",
        ),
        (
            "c.config_profile = \"strict\"",
            "config_profile: \"strict\" is not one of isolated, python",
        ),
        (
            "c.bytecode_optimization_level = 3",
            "bytecode_optimization_level: 3 is not 0, 1 or 2",
        ),
        ("c.home = \"/opt\"", "home: is not supported yet"),
        ("c.argvb = True", "argvb: True is not supported yet"),
    ] {
        p.config(&format!(
            "c = default_python_distribution().make_python_interpreter_config()\n{line}\n"
        ));
        p.run(&["build"]).fails_with(3, &[message]);
    }
    p.config(
        "c = default_python_distribution().make_python_interpreter_config()\nc.oxidized_importer = False\n\
         register_target(\"exe\", lambda: default_python_distribution().to_python_executable(\"a\", config = c))\n",
    );
    p.run(&["build"])
        .fails_with(3, &["oxidized_importer = False needs filesystem_importer = True"]);
    p.config("e = default_python_distribution().to_python_executable(\"a\")\ne.resources_compression_level = 30\n");
    p.run(&["build"]).fails_with(
        3,
        &["resources_compression_level must be None or a zstd level from 1 to 22, not 30"],
    );
}

#[test]
fn python_without_a_start_up_path_is_refused() {
    // A distribution for this machine whose version the runtime cannot start.
    let p = Project::new();
    let mut json = python_json("8", false);
    json["target_triple"] = oxdist::HOST_TRIPLE.into();
    json["python_version"] = "3.14.0".into();
    json["python_major_minor_version"] = "3.14".into();
    json["python_implementation_cache_tag"] = "cpython-314".into();
    let archive = synthetic_archive(p.path(), "py314.tar.zst", &json, true, &[]);
    p.config(&format!(
        "register_target(\"exe\", lambda: PythonDistribution(local_path = \"{}\").to_python_executable(\"app\"))\n",
        archive.display()
    ));
    p.run_with_env(
        &["build"],
        &[("OXDIST_CACHE_DIR", p.path().join("cache").to_str().unwrap())],
    )
    .fails_with(
        3,
        &[
            "Python 3.14 has no start-up path",
            "3.10, 3.11, 3.12, 3.13",
            "_Py_InitializeMain",
        ],
    );
}
