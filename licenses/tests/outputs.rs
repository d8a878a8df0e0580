//! The notices, license files and SBOMs written from one handmade audit.
//!
//! The notices are compared with snapshots (with the long canonical SPDX
//! texts replaced by markers, after checking they are there). The SBOMs are
//! checked by the validators compliance tools use: `pyspdxtools` from
//! spdx-tools for SPDX 2.3 and cyclonedx-python-lib's strict JSON validator
//! for CycloneDX 1.6, installed from PyPI into a virtual environment kept
//! under `target/test-data`. Tampered documents must fail them, so that a
//! validator that accepts anything cannot pass for a green test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use oxdist_licenses::notices::{license_files, notices_html, notices_text};
use oxdist_licenses::sbom::{SbomOptions, cyclonedx_json, spdx_json};
use oxdist_licenses::{Audit, Component, ComponentKind, Confidence, License, LicenseText, Product};

/// The validators, pinned: the SBOMs must satisfy these exact releases.
const SPDX_TOOLS: &str = "spdx-tools==0.8.5";
const CYCLONEDX_LIB: &str = "cyclonedx-python-lib[json-validation]==11.12.0";
/// The cache folder, named after the versions so that a change makes a new one.
const VENV: &str = "sbom-validators-spdx-tools-0.8.5-cyclonedx-python-lib-11.12.0";

const APACHE_STAND_IN: &str = "Apache License, Version 2.0 (a short stand-in for the test).\n\
    Licensed under the Apache License, Version 2.0.\n";

fn expr(text: &str) -> License {
    License::expression(text.parse().unwrap())
}

fn text(name: &str, origin: &str, text: &str) -> LicenseText {
    LicenseText {
        name: name.into(),
        origin: origin.into(),
        text: text.into(),
    }
}

fn component(kind: ComponentKind, name: &str, version: &str, license: License, provenance: &str) -> Component {
    Component::new(kind, name, Some(version.into()), license, provenance, Confidence::High)
}

/// A small product with each kind of license the outputs treat apart.
fn audit() -> Audit {
    let mut audit = Audit {
        product: Product {
            name: "hello".into(),
            version: Some("1.2.0".into()),
            license: Some("MIT".into()),
            supplier: Some("Example Corp".into()),
            homepage: Some("https://example.org/hello".into()),
        },
        components: Vec::new(),
    };

    // The application itself: in SBOMs, not in notices.
    audit.add(component(
        ComponentKind::Application,
        "hello",
        "1.2.0",
        expr("MIT"),
        "hello-1.2.0.dist-info/METADATA License-Expression",
    ));

    let mut python = component(
        ComponentKind::PythonDistribution,
        "CPython",
        "3.12.7",
        expr("Python-2.0"),
        "python/PYTHON.json licenses",
    );
    python.homepage = Some("https://www.python.org/".into());
    python.purl = Some("pkg:generic/cpython@3.12.7".into());
    audit.add(python);

    let mut sqlite = component(
        ComponentKind::StdlibExtension,
        "_sqlite3",
        "3.12.7",
        License::PublicDomain,
        "python/PYTHON.json build_info.extensions._sqlite3 license_public_domain",
    );
    sqlite.depends_on = vec!["library:libsqlite3".into()];
    audit.add(sqlite);
    audit.add(component(
        ComponentKind::Library,
        "libsqlite3",
        "3.46.1",
        License::PublicDomain,
        "python/PYTHON.json build_info.extensions._sqlite3 links",
    ));

    let mut readline_module = component(
        ComponentKind::StdlibExtension,
        "readline",
        "3.12.7",
        expr("GPL-3.0-or-later"),
        "/usr/share/doc/libreadline8/copyright (DEP-5, Files: *)",
    );
    readline_module.depends_on = vec!["library:libreadline8".into(), "library:not-in-the-audit".into()];
    audit.add(readline_module);
    let mut readline = component(
        ComponentKind::Library,
        "libreadline8",
        "8.2-1.3",
        expr("GPL-3.0-or-later"),
        "/usr/share/doc/libreadline8/copyright (DEP-5, Files: *)",
    );
    readline.copyright = vec!["Copyright (C) 1987-2022 Free Software Foundation, Inc.".into()];
    readline.license_texts = vec![text(
        "copyright",
        "/usr/share/doc/libreadline8/copyright",
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: readline\n\n\
         Files: *\n\
         Copyright: 1987-2022 Free Software Foundation, Inc.\n\
         License: GPL-3+\n",
    )];
    readline.purl = Some("pkg:deb/debian/libreadline8@8.2-1.3".into());
    audit.add(readline);

    let mut sniffio = component(
        ComponentKind::PythonPackage,
        "sniffio",
        "1.3.1",
        expr("MIT OR Apache-2.0"),
        "sniffio-1.3.1.dist-info/METADATA License-Expression",
    );
    sniffio.homepage = Some("https://github.com/python-trio/sniffio".into());
    sniffio.purl = Some("pkg:pypi/sniffio@1.3.1".into());
    sniffio.license_texts = vec![
        text(
            "LICENSE",
            "sniffio-1.3.1.dist-info/licenses/LICENSE",
            "This software is made available under the terms of *either* of the\r\n\
             licenses found in LICENSE.APACHE2 or LICENSE.MIT.\r\n",
        ),
        text(
            "licenses/LICENSE.APACHE2",
            "sniffio-1.3.1.dist-info/licenses/LICENSE.APACHE2",
            APACHE_STAND_IN,
        ),
        text(
            "licenses/LICENSE.MIT",
            "sniffio-1.3.1.dist-info/licenses/LICENSE.MIT",
            "The MIT License (MIT)\n\nCopyright (c) 2018 Nathaniel J. Smith.\n",
        ),
    ];
    audit.add(sniffio);

    let mut unicode_ident = component(
        ComponentKind::RustCrate,
        "unicode-ident",
        "1.0.13",
        expr("(MIT OR Apache-2.0) AND Unicode-3.0"),
        "Cargo.toml license",
    );
    unicode_ident.purl = Some("pkg:cargo/unicode-ident@1.0.13".into());
    unicode_ident.license_texts = vec![
        // The same text as sniffio's, but for its line endings and trailing
        // blank lines: printed once.
        text(
            "LICENSE-APACHE",
            "unicode-ident-1.0.13/LICENSE-APACHE",
            &format!("{APACHE_STAND_IN}\n\n"),
        ),
        text(
            "LICENSE-MIT",
            "unicode-ident-1.0.13/LICENSE-MIT",
            "Permission is hereby granted, free of charge (short stand-in).\n",
        ),
        text(
            "LICENSE-UNICODE",
            "unicode-ident-1.0.13/LICENSE-UNICODE",
            "UNICODE LICENSE V3 (short stand-in).\n",
        ),
    ];
    audit.add(unicode_ident);

    let mut proc_macro2 = component(
        ComponentKind::RustCrate,
        "proc-macro2",
        "1.0.89",
        expr("MIT OR Apache-2.0"),
        "Cargo.toml license",
    );
    proc_macro2.license_texts = vec![text(
        "LICENSE-APACHE",
        "proc-macro2-1.0.89/LICENSE-APACHE",
        APACHE_STAND_IN,
    )];
    audit.add(proc_macro2);

    // No texts of its own: the canonical Apache-2.0 and LLVM-exception texts.
    let mut lexicon = component(
        ComponentKind::RustCrate,
        "target-lexicon",
        "0.12.16",
        expr("Apache-2.0 WITH LLVM-exception"),
        "Cargo.toml license",
    );
    lexicon.purl = Some("pkg:cargo/target-lexicon@0.12.16".into());
    audit.add(lexicon);

    let mut vendored = component(
        ComponentKind::PythonPackage,
        "vendored-blob",
        "2.0",
        expr("LicenseRef-Vendored-Terms OR MIT"),
        "vendored_blob-2.0.dist-info/METADATA License-Expression",
    );
    vendored.license_texts = vec![text(
        "LICENSE",
        "vendored_blob-2.0.dist-info/licenses/LICENSE",
        "Vendored Terms: use it, keep this notice.\n",
    )];
    audit.add(vendored);

    // A LicenseRef with no text at all.
    audit.add(component(
        ComponentKind::PythonPackage,
        "inhouse",
        "0.1",
        expr("LicenseRef-Inhouse"),
        "inhouse-0.1.dist-info/METADATA License-Expression",
    ));

    let mut mystery = Component::new(
        ComponentKind::PythonPackage,
        "mystery",
        Some("0.3".into()),
        License::unknown("METADATA says `License: Custom` and has no license classifier"),
        "mystery-0.3.dist-info/METADATA License",
        Confidence::None,
    );
    mystery.purl = Some("pkg:pypi/mystery@0.3".into());
    audit.add(mystery);

    let mut evil = component(
        ComponentKind::PythonPackage,
        "<script>alert(1)</script>",
        "1.0",
        expr("MIT"),
        "evil-1.0.dist-info/METADATA License-Expression",
    );
    evil.homepage = Some("javascript:alert(1)".into());
    evil.copyright = vec!["Copyright \"Evil\" <b>Corp</b> & Sons".into()];
    evil.license_texts = vec![text(
        "../../etc/passwd",
        "evil-1.0.dist-info/licenses/../../etc/passwd",
        "MIT License <script>steal()</script>\n",
    )];
    evil.clarification = Some("checked by hand".into());
    audit.add(evil);

    audit.sort();
    audit
}

fn options() -> SbomOptions {
    SbomOptions {
        created: 1_700_000_000,
        tool: "oxdist-0.1.0".into(),
    }
}

/// The ids whose canonical texts the fixture's notices print.
const CANONICAL: &[&str] = &["Apache-2.0", "GPL-3.0-or-later", "LLVM-exception", "Python-2.0"];

fn canonical_text(id: &str) -> &'static str {
    let text = match spdx::license_id(id) {
        Some(license) => license.text(),
        None => spdx::exception_id(id).expect("a license or exception id").text(),
    };
    text.trim_end()
}

/// The escaping of the HTML template engine.
fn html_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            c => out.push(c),
        }
    }
    out
}

/// `document` with each canonical text (escaped with `escape`) replaced by a
/// marker, after checking that it is there exactly once.
fn without_canonical_texts(document: &str, escape: impl Fn(&str) -> String) -> String {
    let mut document = document.to_string();
    for id in CANONICAL {
        let text = escape(canonical_text(id));
        assert!(text.len() > 500, "{id}: the spdx crate's text is suspiciously short");
        assert_eq!(
            document.matches(&text).count(),
            1,
            "the canonical text of {id} is printed once"
        );
        document = document.replace(&text, &format!("<<canonical SPDX text of {id}>>"));
    }
    document
}

#[test]
fn notices_text_snapshot() {
    let notices = notices_text(&audit()).unwrap();
    assert!(notices.starts_with("Third-party software notices for hello 1.2.0\n"));
    assert_eq!(
        notices.matches(APACHE_STAND_IN.trim_end()).count(),
        1,
        "the shared text is printed once"
    );
    assert!(
        !notices.contains("hello 1.2.0 (application)"),
        "the application is no third party"
    );
    insta::assert_snapshot!(without_canonical_texts(&notices, |t| t.to_string()));
}

#[test]
fn notices_html_snapshot() {
    let html = notices_html(&audit()).unwrap();
    insta::assert_snapshot!(without_canonical_texts(&html, html_escape));
}

#[test]
fn notices_html_cannot_be_injected() {
    let html = notices_html(&audit()).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Copyright &quot;Evil&quot; &lt;b&gt;Corp&lt;/b&gt; &amp; Sons"));
    assert!(
        html.contains("<a href=\"https://www.python.org/\">"),
        "web homepages are links"
    );
    // The text output is not HTML: nothing is escaped there.
    let text = notices_text(&audit()).unwrap();
    assert!(text.contains("<script>alert(1)</script> 1.0 (Python package)"));
}

#[test]
fn notices_of_an_empty_audit() {
    let audit = Audit {
        product: Product {
            name: "bare".into(),
            ..Product::default()
        },
        components: Vec::new(),
    };
    let text = notices_text(&audit).unwrap();
    assert!(text.starts_with("Third-party software notices for bare\n"), "{text}");
    assert!(text.contains("It includes no third-party software."), "{text}");
    assert!(
        notices_html(&audit)
            .unwrap()
            .contains("It includes no third-party software.")
    );
    assert!(license_files(&audit).is_empty());
}

#[test]
fn license_file_names() {
    let files = license_files(&audit());
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    insta::assert_debug_snapshot!(names);
    for (name, _) in &files {
        assert!(!name.starts_with('/') && !name.split('/').any(|s| s.is_empty() || s.starts_with('.')));
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b"./-_+".contains(&b)),
            "{name}"
        );
    }
    let content = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_str());
    assert_eq!(
        content("spdx/Python-2.0.txt").map(str::trim_end),
        Some(canonical_text("Python-2.0"))
    );
    assert_eq!(
        content("sniffio/licenses/LICENSE.APACHE2"),
        Some(APACHE_STAND_IN),
        "own texts are copied unchanged"
    );
    assert!(content("libreadline8/copyright").unwrap().contains("License: GPL-3+"));
}

#[test]
fn outputs_are_reproducible() {
    let (a, b) = (audit(), audit());
    assert_eq!(notices_text(&a).unwrap(), notices_text(&b).unwrap());
    assert_eq!(notices_html(&a).unwrap(), notices_html(&b).unwrap());
    assert_eq!(license_files(&a), license_files(&b));
    assert_eq!(spdx_json(&a, &options()), spdx_json(&b, &options()));
    assert_eq!(cyclonedx_json(&a, &options()), cyclonedx_json(&b, &options()));

    // The order components were added in does not matter.
    let mut reversed = audit();
    reversed.components.reverse();
    assert_eq!(spdx_json(&a, &options()), spdx_json(&reversed, &options()));
    assert_eq!(cyclonedx_json(&a, &options()), cyclonedx_json(&reversed, &options()));
    assert_eq!(notices_text(&a).unwrap(), notices_text(&reversed).unwrap());

    // Different content, different identifiers.
    let later = SbomOptions {
        created: 1_700_000_001,
        ..options()
    };
    let namespace = |json: &str| json_value(json)["documentNamespace"].as_str().unwrap().to_string();
    let serial = |json: &str| json_value(json)["serialNumber"].as_str().unwrap().to_string();
    assert_ne!(namespace(&spdx_json(&a, &options())), namespace(&spdx_json(&a, &later)));
    assert_ne!(
        serial(&cyclonedx_json(&a, &options())),
        serial(&cyclonedx_json(&a, &later))
    );
}

fn json_value(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap()
}

#[test]
fn spdx_document_content() {
    let json = spdx_json(&audit(), &options());
    assert!(json.ends_with("}\n"));
    let doc = json_value(&json);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: oxdist-0.1.0");
    let namespace = doc["documentNamespace"].as_str().unwrap();
    assert!(
        namespace.starts_with("https://spdx.org/spdxdocs/hello-1.2.0-"),
        "{namespace}"
    );

    let packages = doc["packages"].as_array().unwrap();
    let package = |name: &str| packages.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(package("hello")["SPDXID"], "SPDXRef-Product-hello");
    assert_eq!(package("hello")["supplier"], "Organization: Example Corp");
    let unicode = package("unicode-ident");
    assert_eq!(unicode["licenseConcluded"], "(MIT OR Apache-2.0) AND Unicode-3.0");
    assert_eq!(unicode["licenseDeclared"], "(MIT OR Apache-2.0) AND Unicode-3.0");
    assert_eq!(
        unicode["externalRefs"][0]["referenceLocator"],
        "pkg:cargo/unicode-ident@1.0.13"
    );
    assert_eq!(package("libsqlite3")["licenseConcluded"], "LicenseRef-Public-Domain");
    let mystery = package("mystery");
    assert_eq!(mystery["licenseConcluded"], "NOASSERTION");
    assert!(mystery["licenseComments"].as_str().unwrap().contains("License: Custom"));
    assert_eq!(
        package("libreadline8")["copyrightText"],
        "Copyright (C) 1987-2022 Free Software Foundation, Inc."
    );
    assert_eq!(package("sniffio")["copyrightText"], "NOASSERTION");
    let evil = package("<script>alert(1)</script>");
    assert_eq!(evil["SPDXID"], "SPDXRef-python-package--script-alert-1---script-");
    assert!(evil.get("homepage").is_none(), "a homepage that is no URL is left out");

    let extracted = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    let ids: Vec<&str> = extracted.iter().map(|e| e["licenseId"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "LicenseRef-Inhouse",
            "LicenseRef-Public-Domain",
            "LicenseRef-Vendored-Terms"
        ]
    );
    assert_eq!(
        extracted[2]["extractedText"],
        "Vendored Terms: use it, keep this notice."
    );

    let relationships: Vec<String> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["spdxElementId"].as_str().unwrap(),
                r["relationshipType"].as_str().unwrap(),
                r["relatedSpdxElement"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_debug_snapshot!(relationships);
}

#[test]
fn cyclonedx_document_content() {
    let json = cyclonedx_json(&audit(), &options());
    assert!(json.ends_with("}\n"));
    let bom = json_value(&json);
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "oxdist");
    assert_eq!(bom["metadata"]["tools"]["components"][0]["version"], "0.1.0");
    assert_eq!(bom["metadata"]["component"]["type"], "application");
    assert_eq!(bom["metadata"]["component"]["licenses"][0]["license"]["id"], "MIT");
    let serial = bom["serialNumber"].as_str().unwrap();
    assert_eq!(serial.len(), "urn:uuid:".len() + 36);
    assert_eq!(&serial[23..24], "5", "version-5-shaped: {serial}");

    let components = bom["components"].as_array().unwrap();
    let component = |name: &str| components.iter().find(|c| c["name"] == name).unwrap();
    assert_eq!(component("hello")["type"], "application");
    assert_eq!(component("CPython")["type"], "library");
    assert_eq!(component("CPython")["bom-ref"], "python:CPython");
    assert_eq!(component("CPython")["licenses"][0]["license"]["id"], "Python-2.0");
    assert_eq!(
        component("unicode-ident")["licenses"][0]["expression"],
        "(MIT OR Apache-2.0) AND Unicode-3.0"
    );
    assert_eq!(
        component("target-lexicon")["licenses"][0]["expression"],
        "Apache-2.0 WITH LLVM-exception"
    );
    assert_eq!(component("_sqlite3")["licenses"][0]["license"]["name"], "Public Domain");
    let mystery = component("mystery");
    assert!(mystery.get("licenses").is_none());
    let property = |c: &serde_json::Value, name: &str| {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_string())
    };
    assert!(
        property(mystery, "oxdist:license-unknown-reason")
            .unwrap()
            .contains("License: Custom")
    );
    assert_eq!(property(mystery, "oxdist:confidence").as_deref(), Some("none"));
    assert_eq!(
        property(mystery, "oxdist:provenance").as_deref(),
        Some("mystery-0.3.dist-info/METADATA License")
    );
    let evil = component("<script>alert(1)</script>");
    assert_eq!(evil["licenses"][0]["license"]["acknowledgement"], "concluded");

    let readline = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "stdlib-extension:readline")
        .unwrap();
    assert_eq!(
        readline["dependsOn"],
        serde_json::json!(["library:libreadline8"]),
        "links to components outside the audit are dropped"
    );
}

// ---------------------------------------------------------------------------
// The validators.

/// `target/test-data`, created and canonical: Python's `venv` resolves
/// `..` lexically, which a symlinked checkout would turn into another folder.
fn test_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-data");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir.canonicalize().unwrap_or(dir)
}

static VALIDATORS: Mutex<()> = Mutex::new(());

/// The Python of a virtual environment with the pinned validators, created
/// on first use: in a temporary folder, then renamed into place, so that an
/// interrupted install never looks complete. Entry-point scripts keep the
/// temporary path in their `#!` line, so the tools are run with `python -m`.
fn validators_python() -> PathBuf {
    let _guard = VALIDATORS.lock().unwrap_or_else(|e| e.into_inner());
    let venv = test_data().join(VENV);
    let python = venv.join("bin/python");
    if python.exists() {
        return python;
    }
    let staging = tempfile::tempdir_in(test_data()).unwrap();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(staging.path())
        .status()
        .expect("cannot run python3 -m venv");
    assert!(
        status.success(),
        "python3 -m venv failed (Debian: apt-get install python3-venv)"
    );
    let output = Command::new(staging.path().join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            SPDX_TOOLS,
            CYCLONEDX_LIB,
        ])
        .output()
        .expect("cannot run pip");
    assert!(
        output.status.success(),
        "installing {SPDX_TOOLS} and {CYCLONEDX_LIB} from PyPI failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let staged = staging.keep();
    if std::fs::rename(&staged, &venv).is_err() {
        // Another test process finished first: use its environment.
        let _ = std::fs::remove_dir_all(&staged);
        assert!(
            python.exists(),
            "cannot move the validators' venv into {}",
            venv.display()
        );
    }
    python
}

/// Runs a validator on `document`, written to a file named `file_name`;
/// returns whether it accepted it, and everything it printed.
fn validate(file_name: &str, document: &str, args: &[&str]) -> (bool, String) {
    let python = validators_python();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, document).unwrap();
    let output = Command::new(&python)
        .args(args)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

fn validate_spdx(document: &str) -> (bool, String) {
    validate(
        "sbom.spdx.json",
        document,
        &[
            "-m",
            "spdx_tools.spdx.clitools.pyspdxtools",
            "--version",
            "SPDX-2.3",
            "-i",
        ],
    )
}

/// CycloneDX's strict JSON validator for 1.6; it resolves the
/// `spdx.schema.json` that license ids are checked against from the files
/// the library bundles (no network).
const CYCLONEDX_CHECK: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

with open(sys.argv[1], encoding="utf-8") as f:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(f.read(), all_errors=True)
if errors is not None:
    for error in errors:
        print(error)
    sys.exit(1)
print("valid CycloneDX 1.6")
"#;

fn validate_cyclonedx(document: &str) -> (bool, String) {
    validate("bom.cdx.json", document, &["-c", CYCLONEDX_CHECK])
}

#[test]
fn spdx_output_passes_pyspdxtools() {
    let json = spdx_json(&audit(), &options());
    let (valid, printed) = validate_spdx(&json);
    assert!(valid, "pyspdxtools rejected the SPDX document:\n{printed}\n{json}");

    // The oracle bites: an id that is not on the SPDX list …
    let tampered = json.replacen(
        "\"licenseConcluded\": \"Python-2.0\"",
        "\"licenseConcluded\": \"Not-A-License-1.0\"",
        1,
    );
    assert_ne!(tampered, json);
    let (valid, printed) = validate_spdx(&tampered);
    assert!(!valid, "pyspdxtools accepted an unknown license id");
    assert!(printed.contains("Not-A-License-1.0"), "{printed}");

    // … and a LicenseRef without its hasExtractedLicensingInfos entry.
    let mut doc = json_value(&json);
    doc["hasExtractedLicensingInfos"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["licenseId"] != "LicenseRef-Public-Domain");
    let (valid, printed) = validate_spdx(&serde_json::to_string_pretty(&doc).unwrap());
    assert!(!valid, "pyspdxtools accepted an undescribed LicenseRef");
    assert!(printed.contains("LicenseRef-Public-Domain"), "{printed}");
}

#[test]
fn cyclonedx_output_passes_the_strict_validator() {
    let json = cyclonedx_json(&audit(), &options());
    let (valid, printed) = validate_cyclonedx(&json);
    assert!(valid, "the CycloneDX validator rejected the BOM:\n{printed}\n{json}");

    // The oracle bites: a license id not in the bundled SPDX schema …
    let tampered = json.replacen("\"id\": \"Python-2.0\"", "\"id\": \"Not-A-License-1.0\"", 1);
    assert_ne!(tampered, json);
    let (valid, printed) = validate_cyclonedx(&tampered);
    assert!(!valid, "the CycloneDX validator accepted an unknown license id");
    assert!(printed.contains("Not-A-License-1.0"), "{printed}");

    // … an unknown field (strict) …
    let tampered = json.replacen("\"bomFormat\"", "\"bogus\": 1,\n  \"bomFormat\"", 1);
    let (valid, printed) = validate_cyclonedx(&tampered);
    assert!(
        !valid,
        "the CycloneDX validator accepted an unknown property:\n{printed}"
    );

    // … and a malformed timestamp (formats are checked).
    let tampered = json.replacen("2023-11-14T22:13:20Z", "2023-11-14 22:13", 1);
    let (valid, printed) = validate_cyclonedx(&tampered);
    assert!(
        !valid,
        "the CycloneDX validator accepted a malformed timestamp:\n{printed}"
    );
}

#[test]
fn minimal_audit_sboms_are_valid() {
    // No components, no version, no license, no supplier.
    let audit = Audit {
        product: Product {
            name: "bare".into(),
            ..Product::default()
        },
        components: Vec::new(),
    };
    let (valid, printed) = validate_spdx(&spdx_json(&audit, &options()));
    assert!(valid, "{printed}");
    let (valid, printed) = validate_cyclonedx(&cyclonedx_json(&audit, &options()));
    assert!(valid, "{printed}");
}
