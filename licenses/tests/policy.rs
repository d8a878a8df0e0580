//! The license gate and its reports on a handmade audit that has one of
//! everything: permissive, public domain, weak copyleft (LGPL, MPL, EPL,
//! GPL with a linking exception), strong copyleft (GPL, and Sleepycat, which
//! the `spdx` crate's own copyleft flag misses), network copyleft (AGPL), a
//! dual license that passes through its permissive alternative, an unknown,
//! a component the configuration clarifies and one it exempts.

use std::collections::BTreeMap;

use oxdist_licenses::policy::{Clarification, Finding, LicensePolicy, PolicyError, Rule, Verdict};
use oxdist_licenses::report::{render_json, render_text, render_violations};
use oxdist_licenses::{Audit, Component, ComponentKind, Confidence, License, LicenseText, Product};

fn expression(text: &str) -> License {
    License::expression(text.parse().unwrap())
}

fn add(
    audit: &mut Audit,
    kind: ComponentKind,
    name: &str,
    version: Option<&str>,
    license: License,
    provenance: &str,
    confidence: Confidence,
) {
    audit.add(Component::new(
        kind,
        name,
        version.map(str::to_string),
        license,
        provenance,
        confidence,
    ));
}

fn audit() -> Audit {
    use ComponentKind::*;
    use Confidence::{High, Low, Medium};
    let mut audit = Audit {
        product: Product {
            name: "myapp".into(),
            version: Some("1.0.0".into()),
            license: Some("LicenseRef-Proprietary".into()),
            supplier: Some("Example Corp".into()),
            homepage: None,
        },
        components: Vec::new(),
    };
    let a = &mut audit;
    add(
        a,
        Application,
        "myapp",
        Some("1.0.0"),
        expression("LicenseRef-Proprietary"),
        "pyproject.toml [project] license",
        High,
    );
    add(
        a,
        PythonDistribution,
        "cpython",
        Some("3.12.7"),
        expression("Python-2.0 AND CNRI-Python"),
        "python/PYTHON.json licenses",
        High,
    );
    add(
        a,
        StdlibExtension,
        "readline",
        None,
        expression("GPL-3.0-or-later"),
        "/usr/share/doc/libreadline8/copyright (DEP-5, Files: *)",
        Medium,
    );
    add(
        a,
        StdlibExtension,
        "_ssl",
        None,
        expression("Apache-2.0"),
        "python/PYTHON.json build_info.extensions._ssl licenses",
        High,
    );
    add(
        a,
        StdlibExtension,
        "_sqlite3",
        None,
        License::PublicDomain,
        "python/PYTHON.json build_info.extensions._sqlite3 license_public_domain",
        High,
    );
    add(
        a,
        StdlibExtension,
        "_dbm",
        None,
        expression("Sleepycat"),
        "python/PYTHON.json build_info.extensions._dbm licenses",
        High,
    );
    add(
        a,
        Library,
        "libcrypt1",
        Some("1:4.4.33-2"),
        expression("LGPL-2.1-or-later"),
        "/usr/share/doc/libcrypt1/copyright (free text)",
        Low,
    );
    add(
        a,
        PythonPackage,
        "certifi",
        Some("2024.8.30"),
        expression("MPL-2.0"),
        "certifi-2024.8.30.dist-info/METADATA Classifier: License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
        Medium,
    );
    add(
        a,
        PythonPackage,
        "dualpkg",
        Some("2.0"),
        expression("MIT OR GPL-2.0-only"),
        "dualpkg-2.0.dist-info/METADATA License-Expression",
        High,
    );
    add(
        a,
        PythonPackage,
        "jvm-bridge",
        Some("1.5.0"),
        expression("GPL-2.0-or-later WITH Classpath-exception-2.0"),
        "jvm_bridge-1.5.0.dist-info/METADATA License-Expression",
        High,
    );
    add(
        a,
        PythonPackage,
        "eclipse-client",
        Some("2.1.0"),
        expression("EPL-2.0"),
        "eclipse_client-2.1.0.dist-info/METADATA License-Expression",
        High,
    );
    add(
        a,
        PythonPackage,
        "agpl-server",
        Some("0.3.0"),
        expression("AGPL-3.0-or-later"),
        "agpl_server-0.3.0.dist-info/METADATA License-Expression",
        High,
    );
    add(
        a,
        PythonPackage,
        "mystery",
        Some("0.1"),
        License::unknown("METADATA has no License-Expression, License field or license classifier"),
        "mystery-0.1.dist-info/METADATA",
        Confidence::None,
    );
    add(
        a,
        PythonPackage,
        "vague",
        Some("1.2"),
        License::unknown("License field `BSD-like` is not an SPDX expression"),
        "vague-1.2.dist-info/METADATA License",
        Low,
    );
    add(
        a,
        PythonPackage,
        "gpl-tool",
        Some("3.0"),
        expression("GPL-2.0-only"),
        "gpl_tool-3.0.dist-info/METADATA License-Expression",
        High,
    );
    add(
        a,
        RustCrate,
        "serde",
        Some("1.0.210"),
        expression("MIT OR Apache-2.0"),
        "Cargo.toml license",
        High,
    );
    audit.sort();
    audit
}

/// The default policy plus the audit's clarification and exception.
fn policy() -> LicensePolicy {
    let mut clarification = Clarification::new(
        "vague",
        "BSD-3-Clause".parse().unwrap(),
        "LICENSE.txt in the sdist is the BSD 3-clause text",
    );
    clarification.license_files.push(LicenseText {
        name: "LICENSE.txt".into(),
        origin: "licenses/vague-LICENSE.txt".into(),
        text: "Redistribution and use in source and binary forms, with or without modification, are permitted…\n"
            .into(),
    });
    LicensePolicy {
        exceptions: BTreeMap::from([(
            "gpl-tool".to_string(),
            "runs as a separate process; approved by legal (LEGAL-42)".to_string(),
        )]),
        clarifications: vec![clarification],
        ..LicensePolicy::default()
    }
}

/// Validates, clarifies and checks, as `oxdist licenses` does.
fn run(policy: &LicensePolicy) -> (Audit, Verdict) {
    policy.validate().unwrap();
    let mut audit = audit();
    policy.apply_clarifications(&mut audit).unwrap();
    let verdict = policy.check(&audit);
    (audit, verdict)
}

/// `(component id, reason)` pairs.
fn pairs(findings: &[Finding]) -> Vec<(&str, &str)> {
    findings
        .iter()
        .map(|f| (f.component.as_str(), f.reason.as_str()))
        .collect()
}

#[test]
fn default_policy() {
    let (audit, verdict) = run(&policy());
    assert!(!verdict.passed());
    assert_eq!(
        pairs(&verdict.violations),
        [
            (
                "stdlib-extension:_dbm",
                "Sleepycat is strong copyleft (copyleft = \"deny\")"
            ),
            (
                "stdlib-extension:readline",
                "GPL-3.0-or-later is strong copyleft (copyleft = \"deny\")"
            ),
            (
                "python-package:agpl-server",
                "AGPL-3.0-or-later is network copyleft (copyleft = \"deny\")"
            ),
            (
                "python-package:mystery",
                "license unknown: METADATA has no License-Expression, License field or license classifier \
                 (unknown = \"deny\"; clarify it or set unknown = \"warn\")"
            ),
        ]
    );
    assert_eq!(
        pairs(&verdict.warnings),
        [
            (
                "python-package:certifi",
                "MPL-2.0 is weak copyleft (weak_copyleft = \"warn\")"
            ),
            (
                "python-package:eclipse-client",
                "EPL-2.0 is weak copyleft (weak_copyleft = \"warn\")"
            ),
            (
                "python-package:jvm-bridge",
                "GPL-2.0-or-later WITH Classpath-exception-2.0 is weak copyleft through its linking exception \
                 (weak_copyleft = \"warn\")"
            ),
            (
                "library:libcrypt1",
                "LGPL-2.1-or-later is weak copyleft (weak_copyleft = \"warn\")"
            ),
        ]
    );
    assert_eq!(
        pairs(&verdict.exempted),
        [(
            "python-package:gpl-tool",
            "runs as a separate process; approved by legal (LEGAL-42); without the exception: GPL-2.0-only is \
             strong copyleft (copyleft = \"deny\")"
        )]
    );
    let readline = &verdict.violations[1];
    assert_eq!(readline.description, "stdlib extension module readline");
    assert_eq!(readline.license, "GPL-3.0-or-later");

    // The application (LicenseRef-Proprietary), _ssl, _sqlite3 (public
    // domain), dualpkg (through MIT), serde and the clarified `vague` pass.
    let flagged: Vec<&str> = [&verdict.violations, &verdict.warnings, &verdict.exempted]
        .into_iter()
        .flatten()
        .map(|f| f.component.as_str())
        .collect();
    for id in [
        "application:myapp",
        "python:cpython",
        "stdlib-extension:_ssl",
        "stdlib-extension:_sqlite3",
        "python-package:dualpkg",
        "python-package:vague",
        "rust-crate:serde",
    ] {
        assert!(!flagged.contains(&id), "{id} should pass");
    }

    let vague = audit.components.iter().find(|c| c.name == "vague").unwrap();
    assert_eq!(vague.license.to_string(), "BSD-3-Clause");
    assert_eq!(vague.confidence, Confidence::High);
    assert_eq!(
        vague.provenance,
        "clarified in configuration: LICENSE.txt in the sdist is the BSD 3-clause text"
    );
    assert_eq!(
        vague.clarification.as_deref(),
        Some("LICENSE.txt in the sdist is the BSD 3-clause text")
    );
    assert_eq!(vague.license_texts.len(), 1);
}

#[test]
fn copyleft_warn() {
    let (_, verdict) = run(&LicensePolicy {
        copyleft: Rule::Warn,
        ..policy()
    });
    // Only the unknown still fails.
    assert_eq!(
        verdict
            .violations
            .iter()
            .map(|f| f.component.as_str())
            .collect::<Vec<_>>(),
        ["python-package:mystery"]
    );
    let warnings = pairs(&verdict.warnings);
    for expected in [
        (
            "stdlib-extension:_dbm",
            "Sleepycat is strong copyleft (copyleft = \"warn\")",
        ),
        (
            "stdlib-extension:readline",
            "GPL-3.0-or-later is strong copyleft (copyleft = \"warn\")",
        ),
        (
            "python-package:agpl-server",
            "AGPL-3.0-or-later is network copyleft (copyleft = \"warn\")",
        ),
        (
            "library:libcrypt1",
            "LGPL-2.1-or-later is weak copyleft (weak_copyleft = \"warn\")",
        ),
    ] {
        assert!(warnings.contains(&expected), "{expected:?} in {warnings:#?}");
    }
    assert_eq!(warnings.len(), 7);
    // MIT OR GPL-2.0-only still needs no warning: MIT is taken.
    assert!(!warnings.iter().any(|(id, _)| *id == "python-package:dualpkg"));
    // The exemption now hides a warning.
    assert!(
        verdict.exempted[0]
            .reason
            .ends_with("; without the exception: GPL-2.0-only is strong copyleft (copyleft = \"warn\")")
    );
}

#[test]
fn allow_list() {
    let (_, verdict) = run(&LicensePolicy {
        allow: [
            "MIT",
            "Apache-2.0",
            "BSD-3-Clause",
            "Python-2.0",
            "CNRI-Python",
            "MPL-2.0",
        ]
        .map(String::from)
        .to_vec(),
        ..policy()
    });
    assert_eq!(
        pairs(&verdict.violations),
        [
            (
                "stdlib-extension:_dbm",
                "Sleepycat is not in allow and strong copyleft (copyleft = \"deny\")"
            ),
            (
                "stdlib-extension:readline",
                "GPL-3.0-or-later is not in allow and strong copyleft (copyleft = \"deny\")"
            ),
            (
                "python-package:agpl-server",
                "AGPL-3.0-or-later is not in allow and network copyleft (copyleft = \"deny\")"
            ),
            ("python-package:eclipse-client", "EPL-2.0 is not in allow"),
            (
                "python-package:jvm-bridge",
                "GPL-2.0-or-later WITH Classpath-exception-2.0 is not in allow"
            ),
            (
                "python-package:mystery",
                "license unknown: METADATA has no License-Expression, License field or license classifier \
                 (unknown = \"deny\"; clarify it or set unknown = \"warn\")"
            ),
            ("library:libcrypt1", "LGPL-2.1-or-later is not in allow"),
        ]
    );
    // Allowed but weak copyleft: still a warning, since weak_copyleft = "warn".
    assert_eq!(
        pairs(&verdict.warnings),
        [(
            "python-package:certifi",
            "MPL-2.0 is weak copyleft (weak_copyleft = \"warn\")"
        )]
    );
    assert_eq!(verdict.exempted.len(), 1);
}

#[test]
fn deny_list() {
    let (_, verdict) = run(&LicensePolicy {
        deny: vec!["Apache-2.0".into(), "MIT".into()],
        ..policy()
    });
    let violations = pairs(&verdict.violations);
    for expected in [
        ("stdlib-extension:_ssl", "Apache-2.0 is denied"),
        (
            "python-package:dualpkg",
            "no alternative is acceptable: MIT is denied; GPL-2.0-only is strong copyleft (copyleft = \"deny\")",
        ),
        (
            "rust-crate:serde",
            "no alternative is acceptable: MIT is denied; Apache-2.0 is denied",
        ),
    ] {
        assert!(violations.contains(&expected), "{expected:?} in {violations:#?}");
    }
    assert_eq!(violations.len(), 7);

    // Denying one alternative of an OR leaves the other.
    let (_, verdict) = run(&LicensePolicy {
        deny: vec!["Apache-2.0".into()],
        ..policy()
    });
    assert!(
        !pairs(&verdict.violations)
            .iter()
            .any(|(id, _)| *id == "rust-crate:serde")
    );
}

#[test]
fn unknown_warn() {
    let (_, verdict) = run(&LicensePolicy {
        unknown: Rule::Warn,
        ..policy()
    });
    assert!(
        !verdict
            .violations
            .iter()
            .any(|f| f.component == "python-package:mystery")
    );
    let mystery = verdict
        .warnings
        .iter()
        .find(|f| f.component == "python-package:mystery")
        .unwrap();
    assert_eq!(
        mystery.reason,
        "license unknown: METADATA has no License-Expression, License field or license classifier \
         (unknown = \"warn\"; clarify it to settle it)"
    );
    // The copyleft violations remain.
    assert_eq!(verdict.violations.len(), 3);

    let (_, verdict) = run(&LicensePolicy {
        unknown: Rule::Warn,
        copyleft: Rule::Warn,
        ..policy()
    });
    assert!(verdict.passed());
}

#[test]
fn configuration_errors() {
    let err = LicensePolicy {
        allow: vec!["MIT".into(), "Apache 2.0".into()],
        ..LicensePolicy::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        err,
        PolicyError::InvalidId {
            list: "allow",
            entry: "Apache 2.0".into(),
            suggestions: vec!["Apache-2.0".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "`Apache 2.0` in allow is not an SPDX license id; did you mean `Apache-2.0`?"
    );

    let err = LicensePolicy {
        deny: vec!["GPL-3.0-or-latr".into()],
        ..LicensePolicy::default()
    }
    .validate()
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`GPL-3.0-or-latr` in deny is not an SPDX license id"),
        "{err}"
    );

    let err = LicensePolicy {
        exceptions: BTreeMap::from([("gpl-tool".to_string(), "  ".to_string())]),
        ..LicensePolicy::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(err.to_string(), "the exception for `gpl-tool` needs a reason");

    let err = LicensePolicy {
        clarifications: vec![Clarification::new("vague", "MIT".parse().unwrap(), "")],
        ..LicensePolicy::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(err.to_string(), "the clarification for `vague` needs a reason");

    let err = LicensePolicy {
        allow: vec!["MIT".into(), "GPL-3.0-only".into()],
        deny: vec!["GPL-3.0-only".into()],
        ..LicensePolicy::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`GPL-3.0-only` is both allowed (`GPL-3.0-only` in allow) and denied (`GPL-3.0-only` in deny)"
    );

    // Names that match nothing in the audit, caught when clarifying.
    let mut audit = audit();
    let before = audit.clone();
    let err = LicensePolicy {
        clarifications: vec![Clarification::new("vauge", "MIT".parse().unwrap(), "read it")],
        ..LicensePolicy::default()
    }
    .apply_clarifications(&mut audit)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the clarification for `vauge` names no component in the audit; did you mean `vague`?"
    );
    let err = LicensePolicy {
        exceptions: BTreeMap::from([("left-pad".to_string(), "trust me".to_string())]),
        ..LicensePolicy::default()
    }
    .apply_clarifications(&mut audit)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the exception for `left-pad` names no component in the audit"
    );
    assert_eq!(audit, before, "a failed application changes nothing");
}

#[test]
fn text_report() {
    let (audit, verdict) = run(&policy());
    insta::assert_snapshot!("text_report_with_verdict", render_text(&audit, Some(&verdict)));
    insta::assert_snapshot!("text_report_without_verdict", render_text(&audit, None));
}

#[test]
fn violations_report() {
    let (_, verdict) = run(&policy());
    insta::assert_snapshot!("violations", render_violations(&verdict));
}

#[test]
fn json_report() {
    let (audit, verdict) = run(&policy());
    let json = render_json(&audit, Some(&verdict));
    assert!(json.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    // serde_json's map sorts keys; the text keeps the report's own order.
    assert_eq!(keys, ["components", "product", "summary", "verdict"]);
    let order: Vec<usize> = ["\"product\"", "\"components\"", "\"verdict\"", "\"summary\""]
        .iter()
        .map(|k| json.find(k).unwrap())
        .collect();
    assert!(order.is_sorted(), "top-level keys in report order");
    assert_eq!(value["verdict"]["passed"], false);
    assert_eq!(render_json(&audit, Some(&verdict)), json, "deterministic");
    insta::assert_snapshot!("json_report", json);
}
