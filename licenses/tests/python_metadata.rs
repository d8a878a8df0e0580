//! `python_package` on real wheels from PyPI, pinned by version. Each
//! wheel was picked for what its METADATA declares (checked with
//! `unzip -p WHEEL '*.dist-info/METADATA'` when the test was written), so
//! that together they cover every source of a Python package's license:
//!
//! | wheel | declares |
//! |---|---|
//! | urllib3 2.5.0 | Metadata 2.4, `License-Expression: MIT`, `licenses/LICENSE.txt` |
//! | typing_extensions 4.14.0 | Metadata 2.4, `License-Expression: PSF-2.0` |
//! | packaging 25.0 | Metadata 2.4 but no `License-Expression`: classifiers `Apache Software License` + `BSD License`, three files in `licenses/` |
//! | six 1.16.0 | `License: MIT`, `LICENSE` at the .dist-info root |
//! | tqdm 4.66.5 | `License: MPL-2.0 AND MIT` (weak copyleft), `LICENCE`, `Project-URL: homepage` |
//! | tomli 2.0.1 | only the classifier `MIT License` |
//! | colorama 0.4.6 | only the classifier `BSD License` (ambiguous) |
//! | python-dateutil 2.9.0.post0 | `License: Dual License` + classifiers `BSD License`, `Apache Software License` |
//! | chardet 5.2.0 | `License: LGPL` + classifier `LGPLv2+` (both ambiguous: LGPL 2.0 or 2.1) |
//! | Unidecode 1.3.8 | `License: GPL` + classifier `GPLv2+` (unambiguous: strong copyleft) |

mod common;

use common::{fetch_wheel, read_dist_info};
use oxdist_licenses::expression::{Family, family, requirement_family};
use oxdist_licenses::python::python_package;
use oxdist_licenses::{Component, ComponentKind, Confidence, License};

fn package(spec: &str) -> (Component, common::WheelDistInfo) {
    let wheel = read_dist_info(&fetch_wheel(spec));
    let component = python_package(&wheel.dist_info()).unwrap_or_else(|e| panic!("{spec}: {e}"));
    (component, wheel)
}

fn reason(component: &Component) -> &str {
    match &component.license {
        License::Unknown { reason } => reason,
        other => panic!("{}: expected an unknown license, got {other:?}", component.name),
    }
}

fn text_names(component: &Component) -> Vec<&str> {
    component.license_texts.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn license_expression_of_metadata_2_4() {
    let (c, wheel) = package("urllib3==2.5.0");
    assert_eq!(c.kind, ComponentKind::PythonPackage);
    assert_eq!(c.name, "urllib3");
    assert_eq!(c.version.as_deref(), Some("2.5.0"));
    assert_eq!(c.license.to_string(), "MIT");
    assert_eq!(c.confidence, Confidence::High);
    assert_eq!(c.provenance, format!("{}/METADATA License-Expression", wheel.origin));
    assert!(
        c.provenance
            .ends_with("urllib3-2.5.0.dist-info/METADATA License-Expression")
    );
    assert_eq!(c.purl.as_deref(), Some("pkg:pypi/urllib3@2.5.0"));
    assert_eq!(c.homepage, None, "urllib3 2.5.0 has no Home-page or Homepage URL");
    assert_eq!(text_names(&c), ["licenses/LICENSE.txt"]);
    let text = &c.license_texts[0];
    assert_eq!(text.origin, format!("{}/licenses/LICENSE.txt", wheel.origin));
    assert_eq!(text.text.as_bytes(), wheel.file("licenses/LICENSE.txt"));
    assert!(text.text.contains("Andrey Petrov"), "the real copyright line is kept");

    let (c, _) = package("typing_extensions==4.14.0");
    assert_eq!(c.name, "typing_extensions");
    assert_eq!(c.license.to_string(), "PSF-2.0");
    assert_eq!(c.confidence, Confidence::High);
    assert_eq!(c.purl.as_deref(), Some("pkg:pypi/typing-extensions@4.14.0"));
    assert_eq!(text_names(&c), ["licenses/LICENSE"]);
}

#[test]
fn metadata_2_4_without_expression_and_two_ambiguous_classifiers() {
    let (c, _) = package("packaging==25.0");
    let reason = reason(&c);
    assert!(
        reason.contains("\"License :: OSI Approved :: Apache Software License\"")
            && reason.contains("\"License :: OSI Approved :: BSD License\""),
        "{reason}"
    );
    assert!(reason.contains("PEP 639 forbids"), "{reason}");
    assert_eq!(c.confidence, Confidence::None);
    assert_eq!(
        text_names(&c),
        ["licenses/LICENSE", "licenses/LICENSE.APACHE", "licenses/LICENSE.BSD"]
    );
    assert!(c.license_texts[1].text.contains("Apache License"));
}

#[test]
fn legacy_license_field_that_is_spdx() {
    let (c, wheel) = package("six==1.16.0");
    assert_eq!(c.license.to_string(), "MIT");
    assert_eq!(c.confidence, Confidence::Medium);
    assert_eq!(c.provenance, format!("{}/METADATA License", wheel.origin));
    assert_eq!(c.homepage.as_deref(), Some("https://github.com/benjaminp/six"));
    assert_eq!(text_names(&c), ["LICENSE"]);
    assert!(
        c.license_texts[0]
            .text
            .contains("Copyright (c) 2010-2020 Benjamin Peterson")
    );

    // A compound expression with a weak copyleft part.
    let (c, _) = package("tqdm==4.66.5");
    assert_eq!(c.license.to_string(), "MPL-2.0 AND MIT");
    assert_eq!(c.confidence, Confidence::Medium);
    assert_eq!(
        c.homepage.as_deref(),
        Some("https://tqdm.github.io"),
        "Project-URL: homepage"
    );
    assert_eq!(text_names(&c), ["LICENCE"]);
    let families: Vec<Family> = c
        .license
        .as_expression()
        .unwrap()
        .requirements()
        .map(requirement_family)
        .collect();
    assert_eq!(families, [Family::WeakCopyleft, Family::Permissive]);
}

#[test]
fn unambiguous_classifier_only() {
    let (c, wheel) = package("tomli==2.0.1");
    assert_eq!(c.license.to_string(), "MIT");
    assert_eq!(c.confidence, Confidence::Medium);
    assert_eq!(
        c.provenance,
        format!(
            "{}/METADATA Classifier: License :: OSI Approved :: MIT License",
            wheel.origin
        )
    );
    assert_eq!(c.homepage.as_deref(), Some("https://github.com/hukkin/tomli"));
    assert_eq!(text_names(&c), ["LICENSE"]);
}

#[test]
fn ambiguous_bsd_classifier_only() {
    let (c, _) = package("colorama==0.4.6");
    assert_eq!(
        reason(&c),
        "classifier \"License :: OSI Approved :: BSD License\" does not say which version or variant of the \
         license is meant; PEP 639 forbids inferring a license expression from it"
    );
    assert_eq!(c.confidence, Confidence::None);
    assert_eq!(c.homepage.as_deref(), Some("https://github.com/tartley/colorama"));
    // The text is there for a person (or a clarification) to decide.
    assert_eq!(text_names(&c), ["licenses/LICENSE.txt"]);
    assert!(
        c.license_texts[0]
            .text
            .contains("Redistribution and use in source and binary forms")
    );

    let (c, _) = package("python-dateutil==2.9.0.post0");
    assert_eq!(c.name, "python-dateutil");
    assert_eq!(c.purl.as_deref(), Some("pkg:pypi/python-dateutil@2.9.0.post0"));
    let reason = reason(&c);
    assert!(reason.starts_with("several license classifiers"), "{reason}");
    assert!(
        reason.contains("the License field \"Dual License\" is not an SPDX license expression"),
        "{reason}"
    );
}

#[test]
fn copyleft_packages() {
    // chardet: "License: LGPL" names no version, and its classifier LGPLv2+
    // could be LGPL-2.0 or LGPL-2.1 (PEP 639 lists it as ambiguous). Its
    // LICENSE file is the LGPL 2.1 text: a person can clarify, the audit
    // does not guess.
    let (c, _) = package("chardet==5.2.0");
    let reason = reason(&c);
    assert!(
        reason.contains("\"License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)\""),
        "{reason}"
    );
    assert!(reason.contains("PEP 639 forbids"), "{reason}");
    assert!(
        reason.contains("the License field \"LGPL\" does not say which version"),
        "{reason}"
    );
    assert_eq!(text_names(&c), ["LICENSE"]);
    assert!(c.license_texts[0].text.contains("Version 2.1, February 1999"));

    // Unidecode: "License: GPL" is as vague, but the classifier GPLv2+ is
    // unambiguous.
    let (c, wheel) = package("Unidecode==1.3.8");
    assert_eq!(c.name, "Unidecode");
    assert_eq!(c.purl.as_deref(), Some("pkg:pypi/unidecode@1.3.8"));
    assert_eq!(c.homepage, None, "Home-page: UNKNOWN is no home page");
    assert_eq!(c.license.to_string(), "GPL-2.0-or-later");
    assert_eq!(c.confidence, Confidence::Medium);
    assert_eq!(
        c.provenance,
        format!(
            "{}/METADATA Classifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
            wheel.origin
        )
    );
    assert_eq!(family("GPL-2.0-or-later"), Family::StrongCopyleft);
    assert_eq!(text_names(&c), ["LICENSE"]);
    assert!(c.license_texts[0].text.contains("GNU GENERAL PUBLIC LICENSE"));
}
