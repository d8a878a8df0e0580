//! The Rust crates a cargo build links, checked against `cargo tree` on
//! this workspace's own `oxdist-signing` (whose lock file pins every
//! version, so no network is needed), and on handwritten metadata for the
//! cases a real graph may not contain.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use oxdist_licenses::cargo::{CargoError, cargo_metadata, linked_crates};
use oxdist_licenses::{Component, ComponentKind, Confidence, License};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The oracle: the crates `cargo tree` shows below `package` with only
/// normal edges and without proc-macros, for `target` (`all` or a triple).
/// Features are resolved for the whole workspace, as `cargo metadata`
/// does, by printing every member's tree (`--workspace`) and keeping
/// `package`'s; `--no-dedupe` because a repeated subtree is otherwise
/// elided even across members.
fn cargo_tree(package: &str, target: &str) -> BTreeSet<(String, String)> {
    let output = cargo()
        .args(["tree", "--locked", "--workspace", "--no-dedupe", "--prefix", "depth"])
        .args(["-e", "normal,no-proc-macro", "--target", target, "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .output()
        .expect("cargo tree");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut crates = BTreeSet::new();
    let mut inside = false;
    for line in stdout.lines() {
        let depth_digits = line.chars().take_while(char::is_ascii_digit).count();
        if depth_digits == 0 {
            inside = false;
            continue;
        }
        let (depth, rest) = line.split_at(depth_digits);
        let mut words = rest.split_whitespace();
        let (name, version) = (words.next().unwrap(), words.next().unwrap());
        if depth == "0" {
            inside = name == package;
        } else if inside {
            crates.insert((name.to_string(), version.trim_start_matches('v').to_string()));
        }
    }
    assert!(!crates.is_empty(), "cargo tree showed nothing below {package}");
    crates
}

/// `cargo metadata`'s own packages, read without the code under test.
fn raw_packages() -> BTreeMap<(String, String), serde_json::Value> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
        .arg(workspace().join("signing/Cargo.toml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let key = (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            );
            (key, p.clone())
        })
        .collect()
}

fn key(c: &Component) -> (String, String) {
    (c.name.clone(), c.version.clone().unwrap())
}

fn find<'a>(crates: &'a [Component], name: &str) -> &'a Component {
    crates
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} is not among the linked crates"))
}

#[test]
fn signing_links_what_cargo_tree_shows() {
    let manifest = workspace().join("signing/Cargo.toml");
    let crates = cargo_metadata(&manifest, None).unwrap();
    let listed: BTreeSet<(String, String)> = crates.iter().map(key).collect();
    assert_eq!(listed.len(), crates.len(), "each crate once");
    assert_eq!(listed, cargo_tree("oxdist-signing", "all"));

    // Sorted by name, then version; the root itself is not listed.
    let order: Vec<(String, String)> = crates.iter().map(key).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert!(crates.iter().all(|c| c.name != "oxdist-signing"));

    // Build-script-only dependencies, proc-macros (and what only they
    // use) and dev-dependencies are not linked.
    for absent in [
        "autocfg",
        "version_check",
        "rustc_version",
        "serde_derive",
        "thiserror-impl",
        "syn",
        "quote",
        "proc-macro2",
        "tempfile",
    ] {
        assert!(crates.iter().all(|c| c.name != absent), "{absent} is not linked");
    }

    let pgp = find(&crates, "pgp");
    assert_eq!(pgp.kind, ComponentKind::RustCrate);
    assert_eq!(pgp.id, "rust-crate:pgp");
    assert_eq!(pgp.version.as_deref(), Some("0.20.0"));
    assert_eq!(pgp.license.to_string(), "MIT OR Apache-2.0");
    assert_eq!(pgp.confidence, Confidence::High);
    assert_eq!(
        pgp.provenance,
        "Cargo.toml license field of pgp 0.20.0 (cargo metadata)"
    );
    assert_eq!(pgp.purl.as_deref(), Some("pkg:cargo/pgp@0.20.0"));
    assert_eq!(pgp.homepage.as_deref(), Some("https://github.com/rpgp/rpgp"));
    let names: Vec<&str> = pgp.license_texts.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["LICENSE-APACHE", "LICENSE-MIT"]);
    assert!(pgp.license_texts[0].text.contains("Apache License"));
    assert!(pgp.license_texts[1].origin.ends_with("/pgp-0.20.0/LICENSE-MIT"));

    // serde_json has no homepage: its repository stands in.
    assert_eq!(
        find(&crates, "serde_json").homepage.as_deref(),
        Some("https://github.com/serde-rs/json")
    );
    // The old `/` form is read leniently, with less confidence.
    let crc24 = find(&crates, "crc24");
    assert_eq!(crc24.license.to_string(), "MIT OR Apache-2.0");
    assert_eq!(crc24.confidence, Confidence::Medium);
    assert!(crc24.license_texts.is_empty(), "crc24 0.1.6 ships no license file");

    // Every crate's license is its Cargo.toml field, as cargo reports it.
    let raw = raw_packages();
    let mut with_texts = 0;
    for c in &crates {
        let field = raw[&key(c)]["license"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has a license field", c.name));
        let License::Expression { expression } = &c.license else {
            panic!("{}: {:?}", c.name, c.license);
        };
        if c.confidence == Confidence::High {
            assert_eq!(expression.as_str(), field, "{}", c.name);
        } else {
            assert!(field.contains('/'), "{}: {field}", c.name);
        }
        with_texts += usize::from(!c.license_texts.is_empty());
    }
    assert!(
        with_texts * 10 >= crates.len() * 9,
        "most crates ship license files ({with_texts} of {})",
        crates.len()
    );
}

#[test]
fn platform_filter_matches_cargo_tree_for_the_target() {
    let manifest = workspace().join("signing/Cargo.toml");
    for triple in ["x86_64-pc-windows-msvc", "x86_64-unknown-linux-gnu"] {
        let crates = cargo_metadata(&manifest, Some(triple)).unwrap();
        let listed: BTreeSet<(String, String)> = crates.iter().map(key).collect();
        assert_eq!(listed, cargo_tree("oxdist-signing", triple), "{triple}");
    }
}

#[test]
fn cargo_failures_are_errors_with_cargo_s_words() {
    let dir = tempfile::tempdir().unwrap();
    let err = cargo_metadata(&dir.path().join("Cargo.toml"), None).unwrap_err();
    match &err {
        CargoError::Failed { stderr, .. } => assert!(!stderr.is_empty()),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("`cargo metadata` for "), "{err}");
    // A virtual workspace manifest has no root package.
    let err = cargo_metadata(&workspace().join("Cargo.toml"), None).unwrap_err();
    assert!(matches!(err, CargoError::NoRoot { .. }), "{err}");
    assert!(err.to_string().contains("virtual workspace manifest"), "{err}");
}

/// A package entry for handwritten metadata.
fn package(
    dir: &Path,
    name: &str,
    version: &str,
    license: Option<&str>,
    extra: serde_json::Value,
) -> serde_json::Value {
    let crate_dir = dir.join(format!("{name}-{version}"));
    std::fs::create_dir_all(&crate_dir).unwrap();
    let mut value = serde_json::json!({
        "id": format!("registry+https://github.com/rust-lang/crates.io-index#{name}@{version}"),
        "name": name,
        "version": version,
        "license": license,
        "license_file": null,
        "homepage": null,
        "repository": format!("https://example.org/{name}"),
        "source": "registry+https://github.com/rust-lang/crates.io-index",
        "manifest_path": crate_dir.join("Cargo.toml"),
        "targets": [{"kind": ["lib"], "name": name}],
    });
    for (k, v) in extra.as_object().unwrap() {
        value[k] = v.clone();
    }
    value
}

fn id(name: &str, version: &str) -> String {
    format!("registry+https://github.com/rust-lang/crates.io-index#{name}@{version}")
}

fn dep(name: &str, version: &str, kinds: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"name": name, "pkg": id(name, version), "dep_kinds": kinds})
}

#[test]
fn handwritten_graph() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let normal = serde_json::json!([{"kind": null, "target": null}]);
    let packages = vec![
        package(d, "app", "0.1.0", Some("MIT"), serde_json::json!({"source": null})),
        package(
            d,
            "lib-a",
            "1.0.0",
            Some("MIT OR Apache-2.0"),
            serde_json::json!({"homepage": "https://lib-a.org"}),
        ),
        package(
            d,
            "derive-m",
            "1.0.0",
            Some("MIT"),
            serde_json::json!({"targets": [{"kind": ["proc-macro"]}]}),
        ),
        package(d, "syn-like", "2.0.0", Some("MIT"), serde_json::json!({})),
        package(d, "build-helper", "0.5.0", Some("MIT"), serde_json::json!({})),
        package(d, "dev-only", "3.0.0", Some("MIT"), serde_json::json!({})),
        package(d, "both", "1.2.0", Some("Zlib"), serde_json::json!({})),
        package(
            d,
            "lf-only",
            "0.3.0",
            None,
            serde_json::json!({"license_file": "COPYRIGHT.txt"}),
        ),
        package(d, "transitive", "0.10.0", Some("MIT/Apache-2.0"), serde_json::json!({})),
        package(d, "transitive", "0.9.0", Some("MIT"), serde_json::json!({})),
        package(d, "vague", "1.0.0", Some("GPL"), serde_json::json!({})),
        package(d, "local", "0.1.0", None, serde_json::json!({"source": null})),
    ];
    std::fs::write(d.join("lib-a-1.0.0/LICENSE-MIT"), "MIT text").unwrap();
    std::fs::write(d.join("lib-a-1.0.0/license-apache"), "Apache text").unwrap();
    std::fs::write(d.join("lib-a-1.0.0/README.md"), "not a license").unwrap();
    std::fs::create_dir(d.join("lib-a-1.0.0/LICENSES")).unwrap();
    std::fs::write(d.join("lf-only-0.3.0/COPYRIGHT.txt"), "All rights reserved.").unwrap();
    std::fs::write(d.join("lf-only-0.3.0/NOTICE"), "notice").unwrap();

    let nodes = serde_json::json!([
        {"id": id("app", "0.1.0"), "deps": [
            dep("lib-a", "1.0.0", normal.clone()),
            dep("derive-m", "1.0.0", normal.clone()),
            dep("build-helper", "0.5.0", serde_json::json!([{"kind": "build", "target": null}])),
            dep("dev-only", "3.0.0", serde_json::json!([{"kind": "dev", "target": null}])),
            dep("both", "1.2.0", serde_json::json!([{"kind": "build", "target": null}, {"kind": null, "target": "cfg(windows)"}])),
            dep("lf-only", "0.3.0", normal.clone()),
            dep("vague", "1.0.0", normal.clone()),
            dep("local", "0.1.0", normal.clone()),
        ]},
        {"id": id("lib-a", "1.0.0"), "deps": [
            dep("transitive", "0.10.0", normal.clone()),
            dep("transitive", "0.9.0", normal.clone()),
        ]},
        {"id": id("derive-m", "1.0.0"), "deps": [dep("syn-like", "2.0.0", normal.clone())]},
        {"id": id("syn-like", "2.0.0"), "deps": []},
        {"id": id("build-helper", "0.5.0"), "deps": [dep("syn-like", "2.0.0", normal.clone())]},
        {"id": id("dev-only", "3.0.0"), "deps": []},
        {"id": id("both", "1.2.0"), "deps": []},
        {"id": id("lf-only", "0.3.0"), "deps": []},
        {"id": id("transitive", "0.10.0"), "deps": []},
        {"id": id("transitive", "0.9.0"), "deps": []},
        {"id": id("vague", "1.0.0"), "deps": []},
        {"id": id("local", "0.1.0"), "deps": []},
    ]);
    let mut metadata = serde_json::json!({
        "packages": packages,
        "resolve": {"root": id("app", "0.1.0"), "nodes": nodes},
        "workspace_members": [id("app", "0.1.0")],
        "version": 1,
    });

    let crates = linked_crates(&serde_json::to_vec(&metadata).unwrap()).unwrap();
    let listed: Vec<String> = crates
        .iter()
        .map(|c| format!("{} {}", c.name, c.version.as_deref().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            "both 1.2.0",
            "lf-only 0.3.0",
            "lib-a 1.0.0",
            "local 0.1.0",
            "transitive 0.9.0",
            "transitive 0.10.0",
            "vague 1.0.0"
        ]
    );

    let lib_a = find(&crates, "lib-a");
    assert_eq!(lib_a.license.to_string(), "MIT OR Apache-2.0");
    assert_eq!(lib_a.confidence, Confidence::High);
    assert_eq!(lib_a.homepage.as_deref(), Some("https://lib-a.org"));
    let names: Vec<&str> = lib_a.license_texts.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["LICENSE-MIT", "license-apache"],
        "files only, top level, sorted"
    );

    let lf_only = find(&crates, "lf-only");
    assert_eq!(lf_only.license, License::unknown("license-file only: COPYRIGHT.txt"));
    assert_eq!(lf_only.confidence, Confidence::None);
    assert_eq!(
        lf_only.provenance,
        "Cargo.toml license-file of lf-only 0.3.0 (cargo metadata)"
    );
    let texts: Vec<(&str, &str)> = lf_only
        .license_texts
        .iter()
        .map(|t| (t.name.as_str(), t.text.as_str()))
        .collect();
    assert_eq!(texts, [("COPYRIGHT.txt", "All rights reserved."), ("NOTICE", "notice")]);

    let transitive = crates.iter().find(|c| c.version.as_deref() == Some("0.10.0")).unwrap();
    assert_eq!(transitive.license.to_string(), "MIT OR Apache-2.0");
    assert_eq!(transitive.confidence, Confidence::Medium);
    assert_eq!(transitive.purl.as_deref(), Some("pkg:cargo/transitive@0.10.0"));
    assert_eq!(transitive.homepage.as_deref(), Some("https://example.org/transitive"));

    // "GPL" would be read as GPL-2.0-only by the lenient parser: a guess.
    let vague = find(&crates, "vague");
    let License::Unknown { reason } = &vague.license else {
        panic!("{:?}", vague.license)
    };
    assert!(
        reason.contains("\"GPL\"") && reason.contains("GPL-2.0-only"),
        "{reason}"
    );

    // A path crate is not the crates.io crate of its name.
    let local = find(&crates, "local");
    assert_eq!(local.purl, None);
    assert_eq!(
        local.license,
        License::unknown("Cargo.toml has neither a license nor a license-file field")
    );

    // Without resolve.root, the only workspace member is the root.
    metadata["resolve"]["root"] = serde_json::Value::Null;
    let again = linked_crates(&serde_json::to_vec(&metadata).unwrap()).unwrap();
    assert_eq!(again, crates);

    // A license field that is not an expression at all is an error naming
    // the crate.
    metadata["packages"][1]["license"] = "Some Custom Terms".into();
    let err = linked_crates(&serde_json::to_vec(&metadata).unwrap()).unwrap_err();
    assert!(matches!(err, CargoError::License { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("crate lib-a 1.0.0: the Cargo.toml license field: not an SPDX license expression"),
        "{err}"
    );

    // A license-file that is not there is an error naming crate and file.
    metadata["packages"][1]["license"] = "MIT".into();
    metadata["packages"][7]["license_file"] = "../missing/LICENSE".into();
    let err = linked_crates(&serde_json::to_vec(&metadata).unwrap()).unwrap_err();
    assert!(matches!(err, CargoError::Read { .. }), "{err}");
    assert!(
        err.to_string().starts_with("crate lf-only 0.3.0: cannot read "),
        "{err}"
    );
}
