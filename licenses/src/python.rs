//! The license of an installed Python distribution package, read from its
//! `.dist-info` directory.
//!
//! Python packages have declared licenses in three ways over the years, and
//! installed environments hold all of them at once:
//!
//! 1. `License-Expression` (core metadata 2.4, PEP 639): an SPDX expression
//!    the project itself wrote. When present it is the answer, and the
//!    metadata specification says the legacy `License` field is then to be
//!    disregarded.
//! 2. `License` (metadata 1.0, deprecated by 2.4): free text. Sometimes it is
//!    an SPDX id (`MIT`), sometimes a name (`Dual License`, `LGPL`), and
//!    sometimes a whole license text pasted in. Only short values that read
//!    as SPDX count; a pasted text is kept as a license text instead.
//! 3. `Classifier: License :: …` trove classifiers, mapped to SPDX only as
//!    PEP 639's appendix allows: many classifiers (`BSD License`, `Apache
//!    Software License`, GPL/LGPL without "or later") do not say which
//!    license version or variant they mean, and several classifiers together
//!    do not say whether all apply or one may be chosen. Those become
//!    [`License::Unknown`] with a reason, never a guess: a compliance report
//!    that silently picked `BSD-2-Clause` for a BSD-3-Clause package would be
//!    worse than one that asks.
//!
//! License files come from the places wheels have put them: `licenses/`
//! (metadata 2.4), `license_files/` (early PEP 639 drafts), `LICENSES/`
//! (REUSE) and the `.dist-info` root (older setuptools and bdist_wheel).
//! Embedded SBOMs (`sboms/`, PEP 770, written by auditwheel and maturin for
//! libraries grafted into the wheel) are not parsed, but named in the
//! provenance so that a reader knows more is declared than this audit reads.

use std::collections::HashSet;

use crate::component::{Component, ComponentKind, Confidence, License, LicenseText};
use crate::expression::{ExpressionError, LicenseExpression, license_name};

/// One `.dist-info` directory's facts.
#[derive(Clone, Debug)]
pub struct DistInfo<'a> {
    /// `tqdm-4.66.5.dist-info`
    pub directory: &'a str,
    /// Where it was read from, for provenance and errors (a wheel path +
    /// member, or a directory path).
    pub origin: &'a str,
    /// The METADATA file's text.
    pub metadata: &'a str,
    /// Every other file in the .dist-info, by its path below it
    /// (`licenses/LICENSE`, `LICENSE.txt`, `sboms/x.cdx.json`), with bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why a `.dist-info` directory's metadata cannot be used.
///
/// Only metadata that is broken by its own specification is an error: a
/// `License-Expression` must be valid SPDX (PyPI rejects uploads otherwise),
/// and a METADATA file without `Name` is not core metadata at all. Missing or
/// vague license information is not an error; it becomes
/// [`License::Unknown`] so that the policy decides.
#[derive(Debug, thiserror::Error)]
pub enum PythonMetadataError {
    /// `License-Expression` is present but is not an SPDX expression.
    #[error("{origin}/METADATA License-Expression: {source}")]
    InvalidLicenseExpression {
        /// The `.dist-info` location ([`DistInfo::origin`]).
        origin: String,
        source: ExpressionError,
    },
    /// The METADATA file has no (or an empty) `Name` field.
    #[error("{origin}/METADATA has no Name field, so it is not the core metadata of a Python package")]
    MissingName {
        /// The `.dist-info` location ([`DistInfo::origin`]).
        origin: String,
    },
}

/// What a package's `License ::` trove classifiers say, read as PEP 639's
/// appendix allows.
// Short-lived values; boxing the expression would only burden callers.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassifierLicense {
    /// One classifier (after dropping parents of other classifiers) that
    /// names exactly one SPDX license.
    Mapped(LicenseExpression),
    /// `License :: Public Domain`. PEP 639 allows reading it as
    /// `LicenseRef-Public-Domain`; the audit's model has
    /// [`License::PublicDomain`] for that, which reports treat with the
    /// caution "public domain" needs (its meaning depends on jurisdiction).
    PublicDomain,
    /// The classifiers do not identify a license; the reason names them.
    Ambiguous(String),
    /// There is no `License ::` classifier.
    None,
}

/// The license of one installed distribution package.
///
/// The sources are tried in the order the core metadata specification
/// ranks them (see the module documentation); the first that answers
/// decides, and the provenance and [`Confidence`] say which it was:
/// `License-Expression` is [`Confidence::High`], a legacy `License` that is
/// valid SPDX [`Confidence::Medium`] (or [`Confidence::Low`] if it needed
/// the lenient parser), a mapped classifier [`Confidence::Medium`].
pub fn python_package(dist: &DistInfo<'_>) -> Result<Component, PythonMetadataError> {
    let origin = dist.origin;
    let headers = Headers::parse(dist.metadata);
    let name = headers
        .first("Name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| PythonMetadataError::MissingName {
            origin: origin.to_string(),
        })?;
    let version = headers.first("Version").filter(|v| !v.is_empty()).map(str::to_string);

    let mut texts = license_files(dist);
    let (license, provenance, confidence) = match headers.first("License-Expression") {
        Some(text) => {
            let expression =
                LicenseExpression::parse(text).map_err(|source| PythonMetadataError::InvalidLicenseExpression {
                    origin: origin.to_string(),
                    source,
                })?;
            (
                License::expression(expression),
                format!("{origin}/METADATA License-Expression"),
                Confidence::High,
            )
        }
        None => {
            let legacy = legacy_license(headers.first("License"));
            if let LegacyLicense::Text(text) = &legacy {
                texts.push(LicenseText {
                    name: "METADATA License".to_string(),
                    origin: format!("{origin}/METADATA License"),
                    text: text.to_string(),
                });
            }
            match legacy {
                LegacyLicense::Expression(expression, confidence) => (
                    License::expression(expression),
                    format!("{origin}/METADATA License"),
                    confidence,
                ),
                legacy => from_classifiers(origin, &headers.all("Classifier"), &legacy),
            }
        }
    };

    let mut provenance = provenance;
    let sboms: Vec<&str> = {
        let mut sboms: Vec<&str> = dist
            .files
            .iter()
            .map(|(path, _)| path.as_str())
            .filter(|path| path.starts_with("sboms/"))
            .collect();
        sboms.sort_unstable();
        sboms
    };
    match sboms.as_slice() {
        [] => {}
        [one] => provenance.push_str(&format!("; embedded SBOM {one}")),
        several => provenance.push_str(&format!("; embedded SBOMs {}", several.join(", "))),
    }

    let mut component = Component::new(
        ComponentKind::PythonPackage,
        name,
        version.clone(),
        license,
        provenance,
        confidence,
    );
    component.license_texts = texts;
    component.homepage = homepage(&headers);
    component.purl = Some(match &version {
        Some(version) => format!("pkg:pypi/{}@{}", normalize_name(name), purl_encode(version)),
        None => format!("pkg:pypi/{}", normalize_name(name)),
    });
    Ok(component)
}

/// Reads `License ::` classifiers per PEP 639's appendix. Other classifiers
/// in `classifiers` are ignored, so a package's whole classifier list can be
/// passed.
///
/// A classifier that is the parent of another (`License :: OSI Approved`
/// beside `License :: OSI Approved :: MIT License`) adds nothing and is
/// dropped, as the appendix allows; any other combination of several
/// classifiers is ambiguous, because classifiers cannot say whether all
/// licenses apply or one may be chosen.
pub fn classifier_license(classifiers: &[&str]) -> ClassifierLicense {
    classify(classifiers).0
}

/// [`classifier_license`], with the classifiers it went by (for provenance).
fn classify(classifiers: &[&str]) -> (ClassifierLicense, Vec<String>) {
    let mut license: Vec<String> = Vec::new();
    for classifier in classifiers {
        let parts: Vec<&str> = classifier.split("::").map(str::trim).collect();
        if parts.len() < 2 || parts[0] != "License" {
            continue;
        }
        let normalized = parts.join(" :: ");
        if !license.contains(&normalized) {
            license.push(normalized);
        }
    }
    // Drop parents: a classifier whose full path begins another one's.
    let children: Vec<String> = license
        .iter()
        .filter(|c| {
            let prefix = format!("{c} :: ");
            !license.iter().any(|other| other.starts_with(&prefix))
        })
        .cloned()
        .collect();
    let result = match children.as_slice() {
        [] => ClassifierLicense::None,
        [one] => map_classifier(one),
        several => ClassifierLicense::Ambiguous(format!(
            "several license classifiers ({}) do not say whether all of the licenses apply or one may be \
             chosen; PEP 639 forbids inferring a license expression from them",
            quote_all(several)
        )),
    };
    (result, children)
}

/// One classifier, already known not to be a parent of another one.
fn map_classifier(classifier: &str) -> ClassifierLicense {
    let path = classifier.strip_prefix("License :: ").unwrap_or(classifier);
    let matches = |entry: &&str| entry.eq_ignore_ascii_case(path);
    if let Some((_, id)) = CLASSIFIER_IDS
        .iter()
        .find(|(entry, _)| entry.eq_ignore_ascii_case(path))
    {
        return match LicenseExpression::parse(id) {
            Ok(expression) => ClassifierLicense::Mapped(expression),
            // The table is checked by a test; this only keeps a broken
            // entry from panicking in a user's build.
            Err(e) => ClassifierLicense::Ambiguous(format!(
                "classifier \"{classifier}\" maps to {id}, which is not valid SPDX: {e}"
            )),
        };
    }
    if path.eq_ignore_ascii_case("Public Domain") {
        return ClassifierLicense::PublicDomain;
    }
    let reason = if AMBIGUOUS.iter().any(matches) {
        format!(
            "classifier \"{classifier}\" does not say which version or variant of the license is meant; \
             PEP 639 forbids inferring a license expression from it"
        )
    } else if NO_LICENSE.iter().any(matches) {
        format!(
            "classifier \"{classifier}\" names no license; PEP 639 forbids inferring a license expression \
             from it"
        )
    } else if PROPRIETARY.iter().any(matches) {
        format!(
            "classifier \"{classifier}\" does not identify the license terms; PEP 639 forbids inferring a \
             license expression from it beyond the placeholder LicenseRef-Proprietary"
        )
    } else {
        format!(
            "classifier \"{classifier}\" has no single SPDX identifier (SPDX lists several versions of it, \
             or none); no license expression is inferred from it"
        )
    };
    ClassifierLicense::Ambiguous(reason)
}

/// The legacy `License` field, classified.
#[allow(clippy::large_enum_variant)] // one short-lived value per package
enum LegacyLicense<'t> {
    /// Absent, empty or the `UNKNOWN` that old setuptools wrote for "not set".
    Absent,
    /// One short line that reads as SPDX.
    Expression(LicenseExpression, Confidence),
    /// One short line that is not an SPDX expression (`Dual License`), or
    /// names a license without saying which version (`LGPL`): a note for
    /// the reason of an unknown license.
    Unread(String),
    /// A license text pasted into the field.
    Text(&'t str),
}

/// Longest `License` value still read as an expression rather than as text.
const SHORT_LICENSE: usize = 200;

fn legacy_license(value: Option<&str>) -> LegacyLicense<'_> {
    let Some(value) = value.map(str::trim) else {
        return LegacyLicense::Absent;
    };
    if value.is_empty() || value.eq_ignore_ascii_case("UNKNOWN") {
        return LegacyLicense::Absent;
    }
    if value.contains('\n') || value.chars().count() > SHORT_LICENSE {
        return LegacyLicense::Text(value);
    }
    if let Ok(expression) = LicenseExpression::parse(value) {
        return LegacyLicense::Expression(expression, Confidence::Medium);
    }
    match LicenseExpression::parse_lax(value) {
        Ok(expression) => match invented_version(value, &expression) {
            None => LegacyLicense::Expression(expression, Confidence::Low),
            Some(id) => LegacyLicense::Unread(format!(
                "the License field \"{value}\" does not say which version of the license is meant \
                 (a lenient reading would guess {id})"
            )),
        },
        Err(_) => LegacyLicense::Unread(format!(
            "the License field \"{value}\" is not an SPDX license expression"
        )),
    }
}

/// The license from classifiers, after the `License` field gave none.
fn from_classifiers(origin: &str, classifiers: &[&str], legacy: &LegacyLicense<'_>) -> (License, String, Confidence) {
    let note = match legacy {
        LegacyLicense::Unread(note) => Some(note.clone()),
        LegacyLicense::Text(_) => Some("the License field holds a license text, not an expression".to_string()),
        LegacyLicense::Absent | LegacyLicense::Expression(..) => None,
    };
    let (result, used) = classify(classifiers);
    match result {
        ClassifierLicense::Mapped(expression) => (
            License::expression(expression),
            format!("{origin}/METADATA Classifier: {}", used.join("; ")),
            Confidence::Medium,
        ),
        ClassifierLicense::PublicDomain => (
            License::PublicDomain,
            format!("{origin}/METADATA Classifier: {}", used.join("; ")),
            Confidence::Medium,
        ),
        ClassifierLicense::Ambiguous(reason) => {
            let reason = match note {
                Some(note) => format!("{reason}; {note}"),
                None => reason,
            };
            (
                License::unknown(reason),
                format!("{origin}/METADATA Classifier"),
                Confidence::None,
            )
        }
        ClassifierLicense::None => match note {
            Some(note) => (
                License::unknown(format!(
                    "{note}, and METADATA has no License-Expression or license classifier"
                )),
                format!("{origin}/METADATA License"),
                Confidence::None,
            ),
            None => (
                License::unknown("no License-Expression, License or license classifier in METADATA"),
                format!("{origin}/METADATA"),
                Confidence::None,
            ),
        },
    }
}

/// The SPDX id a lenient parse made up, if any: `spdx`'s lax mode reads
/// imprecise names by prefix and fills in a version the text never stated
/// (`LGPL` → `LGPL-2.0-only`, `BSD` → `BSD-2-Clause`, even `gnu gpl v2` →
/// `GPL-3.0-only`). A version is a license's terms, so such a reading is a
/// guess, which the audit must not make. Ids whose version (their first
/// number) appears in the text are accepted: `Apache 2.0`, `GPLv3+`,
/// `MIT/Apache-2.0`.
pub(crate) fn invented_version(text: &str, expression: &LicenseExpression) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    expression.requirements().find_map(|req| {
        let id = license_name(req);
        if id.starts_with("LicenseRef-") {
            return None;
        }
        let base = id.trim_end_matches("-only").trim_end_matches("-or-later");
        if lower.contains(&base.to_ascii_lowercase()) {
            return None;
        }
        let version: String = id
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        (!version.is_empty() && !lower.contains(&version)).then_some(id)
    })
}

/// `Home-page`, or else the `Project-URL` labelled as the home page.
/// Label matching follows the well-known-label normalisation of the
/// packaging guide (case, spaces and punctuation ignored), so `homepage`,
/// `Home page` and `Home-Page` all count.
fn homepage(headers: &Headers<'_>) -> Option<String> {
    let usable = |url: &str| !url.is_empty() && !url.eq_ignore_ascii_case("UNKNOWN");
    if let Some(url) = headers.first("Home-page").filter(|u| usable(u)) {
        return Some(url.to_string());
    }
    headers.all("Project-URL").into_iter().find_map(|value| {
        let (label, url) = value.split_once(',')?;
        let label: String = label
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let url = url.trim();
        (label == "homepage" && usable(url)).then(|| url.to_string())
    })
}

/// The license and notice files of the `.dist-info` directory, sorted by
/// path and without repeats (older setuptools put the same file both at the
/// root and below `licenses/`).
fn license_files(dist: &DistInfo<'_>) -> Vec<LicenseText> {
    let mut files: Vec<&(String, Vec<u8>)> = dist.files.iter().filter(|(path, _)| is_license_file(path)).collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut seen: HashSet<&[u8]> = HashSet::new();
    files
        .into_iter()
        .filter(|(_, bytes)| !bytes.iter().all(u8::is_ascii_whitespace) && seen.insert(bytes.as_slice()))
        .map(|(path, bytes)| LicenseText {
            name: path.clone(),
            origin: format!("{}/{path}", dist.origin),
            text: String::from_utf8_lossy(bytes)
                .trim_start_matches('\u{feff}')
                .to_string(),
        })
        .collect()
}

/// Whether a path below `.dist-info` is a license or notice file.
fn is_license_file(path: &str) -> bool {
    match path.split_once('/') {
        Some((directory, rest)) => {
            !rest.is_empty()
                && ["licenses", "license_files"]
                    .iter()
                    .any(|d| directory.eq_ignore_ascii_case(d))
        }
        None => {
            let upper = path.to_ascii_uppercase();
            // `LICENSE.txt`, `LICENCE`, and also `apache-2.0.LICENSE`.
            upper.contains("LICENSE")
                || upper.contains("LICENCE")
                || ["COPYING", "NOTICE", "AUTHORS"].iter().any(|p| upper.starts_with(p))
        }
    }
}

/// The PEP 503 normalised name: lowercase, runs of `-`, `_` and `.` as `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Percent-encodes a package URL segment: everything but unreserved
/// characters (`+` of local versions and build metadata, `!` of epochs).
pub(crate) fn purl_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn quote_all(items: &[String]) -> String {
    items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ")
}

/// The header fields of a METADATA file (RFC 822 style, as written by the
/// `email` package): `Name: value` lines, continued by lines that start
/// with whitespace, ended by the first empty line (after which comes the
/// description body, whose text must not be read as fields).
struct Headers<'t> {
    fields: Vec<(&'t str, String)>,
}

impl<'t> Headers<'t> {
    fn parse(text: &'t str) -> Self {
        let mut fields: Vec<(&'t str, String)> = Vec::new();
        for line in text.trim_start_matches('\u{feff}').lines() {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation. Its first level of indentation (a tab, or
                // the 8 spaces setuptools writes) is the folding, not text.
                if let Some((_, value)) = fields.last_mut() {
                    let unfolded = match line.strip_prefix('\t') {
                        Some(rest) => rest,
                        None => {
                            let spaces = line.len() - line.trim_start_matches(' ').len();
                            &line[spaces.min(8)..]
                        }
                    };
                    value.push('\n');
                    value.push_str(unfolded.trim_end());
                }
                continue;
            }
            // Lines that are neither fields nor continuations are not
            // valid metadata; skipping them reads the rest.
            if let Some((name, value)) = line.split_once(':') {
                let name = name.trim();
                if !name.is_empty() && !name.contains(' ') {
                    fields.push((name, value.trim().to_string()));
                }
            }
        }
        // Trailing blank continuation lines carry nothing.
        for (_, value) in &mut fields {
            let trimmed = value.trim_end().len();
            value.truncate(trimmed);
        }
        Headers { fields }
    }

    /// The first field named `name` (field names are case-insensitive).
    fn first(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every field named `name`, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Classifiers (below `License :: `) that name exactly one SPDX license.
///
/// The PEP 639 appendix says every classifier it does not list as ambiguous
/// maps to one SPDX id; this is that mapping for the classifiers PyPI
/// knows (trove-classifiers 2026.9.21.13, including deprecated ones still
/// found in old packages). Choices worth knowing:
/// - `Python Software Foundation License` is `PSF-2.0`, the PSF License
///   Agreement such packages carry, not `Python-2.0` (CPython's whole
///   license history, PSF + BeOpen + CNRI).
/// - `Eclipse Public License 2.0` is `EPL-2.0` and `Mulan Permissive
///   Software License v2` is `MulanPSL-2.0` (one widely copied table gets
///   both wrong).
/// - The GNU "or later" classifiers are unambiguous (`-or-later`), except
///   LGPLv2+, which could be 2.0 or 2.1 and is in [`AMBIGUOUS`].
/// - Classifiers of licenses SPDX lists in several versions without the
///   classifier saying which (Eiffel Forum, Netscape, Zope, SISSL) and
///   those SPDX does not list (GUST Font, Repoze, Jabber, MITRE CVW) are
///   absent.
const CLASSIFIER_IDS: &[(&str, &str)] = &[
    ("Aladdin Free Public License (AFPL)", "Aladdin"),
    ("CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"),
    ("CeCILL-B Free Software License Agreement (CECILL-B)", "CECILL-B"),
    ("CeCILL-C Free Software License Agreement (CECILL-C)", "CECILL-C"),
    ("Nokia Open Source License (NOKOS)", "Nokia"),
    ("OSI Approved :: Attribution Assurance License", "AAL"),
    (
        "OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)",
        "BlueOak-1.0.0",
    ),
    ("OSI Approved :: Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
    (
        "OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)",
        "CECILL-2.1",
    ),
    ("OSI Approved :: CMU License (MIT-CMU)", "MIT-CMU"),
    (
        "OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)",
        "CDDL-1.0",
    ),
    ("OSI Approved :: Common Public License", "CPL-1.0"),
    ("OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"),
    ("OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
    (
        "OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)",
        "ECL-2.0",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)",
        "EUPL-1.0",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)",
        "EUPL-1.1",
    ),
    (
        "OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)",
        "EUPL-1.2",
    ),
    (
        "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    (
        "OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    (
        "OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    (
        "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)",
        "HPND",
    ),
    ("OSI Approved :: IBM Public License", "IPL-1.0"),
    ("OSI Approved :: Intel Open Source License", "Intel"),
    ("OSI Approved :: ISC License (ISCL)", "ISC"),
    ("OSI Approved :: MirOS License (MirOS)", "MirOS"),
    ("OSI Approved :: MIT License", "MIT"),
    ("OSI Approved :: MIT No Attribution License (MIT-0)", "MIT-0"),
    ("OSI Approved :: Motosoto License", "Motosoto"),
    ("OSI Approved :: Mozilla Public License 1.0 (MPL)", "MPL-1.0"),
    ("OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"),
    ("OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    (
        "OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)",
        "MulanPSL-2.0",
    ),
    ("OSI Approved :: NASA Open Source Agreement v1.3 (NASA-1.3)", "NASA-1.3"),
    ("OSI Approved :: Nethack General Public License", "NGPL"),
    ("OSI Approved :: Nokia Open Source License", "Nokia"),
    ("OSI Approved :: Open Group Test Suite License", "OGTSL"),
    ("OSI Approved :: Open Software License 3.0 (OSL-3.0)", "OSL-3.0"),
    ("OSI Approved :: PostgreSQL License", "PostgreSQL"),
    ("OSI Approved :: Python License (CNRI Python License)", "CNRI-Python"),
    ("OSI Approved :: Python Software Foundation License", "PSF-2.0"),
    ("OSI Approved :: Qt Public License (QPL)", "QPL-1.0"),
    ("OSI Approved :: Ricoh Source Code Public License", "RSCPL"),
    ("OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)", "OFL-1.1"),
    ("OSI Approved :: Sleepycat License", "Sleepycat"),
    ("OSI Approved :: Sun Public License", "SPL-1.0"),
    ("OSI Approved :: The Unlicense (Unlicense)", "Unlicense"),
    ("OSI Approved :: Universal Permissive License (UPL)", "UPL-1.0"),
    (
        "OSI Approved :: University of Illinois/NCSA Open Source License",
        "NCSA",
    ),
    ("OSI Approved :: Vovida Software License 1.0", "VSL-1.0"),
    ("OSI Approved :: W3C License", "W3C"),
    ("OSI Approved :: X.Net License", "Xnet"),
    ("OSI Approved :: Zero-Clause BSD (0BSD)", "0BSD"),
    ("OSI Approved :: zlib/libpng License", "Zlib"),
];

/// The classifiers PEP 639's appendix lists as ambiguous: tools "MUST NOT
/// attempt to automatically infer a License-Expression" from them.
const AMBIGUOUS: &[&str] = &[
    "OSI Approved :: Academic Free License (AFL)",
    "OSI Approved :: Apache Software License",
    "OSI Approved :: Apple Public Source License",
    "OSI Approved :: Artistic License",
    "OSI Approved :: BSD License",
    "OSI Approved :: GNU Affero General Public License v3",
    "OSI Approved :: GNU Free Documentation License (FDL)",
    "OSI Approved :: GNU General Public License (GPL)",
    "OSI Approved :: GNU General Public License v2 (GPLv2)",
    "OSI Approved :: GNU General Public License v3 (GPLv3)",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
];

/// Classifiers that name no license at all (PEP 639: treat as ambiguous).
const NO_LICENSE: &[&str] = &["OSI Approved", "DFSG approved"];

/// Classifiers PEP 639 allows reading only as `LicenseRef-Proprietary`,
/// which says nothing about the terms; the audit asks instead.
const PROPRIETARY: &[&str] = &[
    "Free For Educational Use",
    "Free For Home Use",
    "Free for non-commercial use",
    "Freely Distributable",
    "Free To Use But Restricted",
    "Freeware",
    "Other/Proprietary License",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expression::{Family, family};

    fn dist<'a>(metadata: &'a str, files: &[(&str, &str)]) -> DistInfo<'a> {
        DistInfo {
            directory: "demo-1.0.dist-info",
            origin: "/site/demo-1.0.dist-info",
            metadata,
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
        }
    }

    fn unknown_reason(component: &Component) -> &str {
        match &component.license {
            License::Unknown { reason } => reason,
            other => panic!("expected an unknown license, got {other:?}"),
        }
    }

    #[test]
    fn headers_unfold_continuations_and_stop_at_the_body() {
        let text = "Metadata-Version: 2.1\r\nName: demo\nsummary: one\nLicense: Copyright (c) 2020 Someone\n        \n        Permission is hereby granted\n\t  indented more\nClassifier: A\nClassifier: B\n\nName: not-a-header\nLicense: MIT\n";
        let headers = Headers::parse(text);
        assert_eq!(headers.first("name"), Some("demo"));
        assert_eq!(headers.first("SUMMARY"), Some("one"));
        assert_eq!(
            headers.first("License"),
            Some("Copyright (c) 2020 Someone\n\nPermission is hereby granted\n  indented more")
        );
        assert_eq!(headers.all("Classifier"), vec!["A", "B"]);
        assert_eq!(headers.all("Name"), vec!["demo"], "the body is not headers");
        assert_eq!(headers.first("Missing"), None);
        // Garbage lines are skipped, a value may contain colons.
        let headers = Headers::parse("\u{feff}garbage line\nName: x\nHome-page: https://e.org:8080/p\n");
        assert_eq!(headers.first("Name"), Some("x"));
        assert_eq!(headers.first("Home-page"), Some("https://e.org:8080/p"));
    }

    #[test]
    fn license_expression_wins_over_license_and_classifiers() {
        let c = python_package(&dist(
            "Metadata-Version: 2.4\nName: Demo_Pkg\nVersion: 1.0+local\nLicense-Expression: MIT AND (Apache-2.0 OR BSD-2-Clause)\nLicense: GPL\nClassifier: License :: OSI Approved :: BSD License\n",
            &[],
        ))
        .unwrap();
        assert_eq!(c.license.to_string(), "MIT AND (Apache-2.0 OR BSD-2-Clause)");
        assert_eq!(c.confidence, Confidence::High);
        assert_eq!(c.provenance, "/site/demo-1.0.dist-info/METADATA License-Expression");
        assert_eq!(c.name, "Demo_Pkg");
        assert_eq!(c.id, "python-package:Demo_Pkg");
        assert_eq!(c.kind, ComponentKind::PythonPackage);
        assert_eq!(c.version.as_deref(), Some("1.0+local"));
        assert_eq!(c.purl.as_deref(), Some("pkg:pypi/demo-pkg@1.0%2Blocal"));
    }

    #[test]
    fn malformed_license_expression_is_an_error_naming_the_file() {
        let err = python_package(&dist(
            "Name: demo\nVersion: 1\nLicense-Expression: MIT OR Apache 2\n",
            &[],
        ))
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("/site/demo-1.0.dist-info/METADATA License-Expression: not an SPDX license expression"),
            "{text}"
        );
        assert!(text.contains("MIT OR Apache 2"), "the message quotes the field: {text}");
        assert!(matches!(err, PythonMetadataError::InvalidLicenseExpression { .. }));
        let err = python_package(&dist("Name: demo\nLicense-Expression:\n", &[])).unwrap_err();
        assert!(
            matches!(err, PythonMetadataError::InvalidLicenseExpression { .. }),
            "{err}"
        );
    }

    #[test]
    fn metadata_without_a_name_is_an_error() {
        let err = python_package(&dist("Version: 1.0\nLicense: MIT\n", &[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/site/demo-1.0.dist-info/METADATA has no Name field, so it is not the core metadata of a Python package"
        );
        assert!(python_package(&dist("", &[])).is_err());
        assert!(python_package(&dist("\nName: body-only\n", &[])).is_err());
    }

    #[test]
    fn legacy_license_field() {
        let c = python_package(&dist("Name: a\nLicense: MPL-2.0 AND MIT\n", &[])).unwrap();
        assert_eq!(c.license.to_string(), "MPL-2.0 AND MIT");
        assert_eq!(c.confidence, Confidence::Medium);
        assert_eq!(c.provenance, "/site/demo-1.0.dist-info/METADATA License");
        assert_eq!(c.version, None);
        assert_eq!(c.purl.as_deref(), Some("pkg:pypi/a"));

        // Only the lenient parser reads it: low confidence, normalised.
        let c = python_package(&dist("Name: a\nLicense: MIT/Apache-2.0\n", &[])).unwrap();
        assert_eq!(c.license.to_string(), "MIT OR Apache-2.0");
        assert_eq!(c.confidence, Confidence::Low);
        let c = python_package(&dist("Name: a\nLicense: Apache 2.0\n", &[])).unwrap();
        assert_eq!(c.license.to_string(), "Apache-2.0");
        assert_eq!(c.confidence, Confidence::Low);

        // UNKNOWN is setuptools' "not set".
        let c = python_package(&dist(
            "Name: a\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n",
            &[],
        ))
        .unwrap();
        assert_eq!(c.license.to_string(), "MIT");
        assert!(c.license_texts.is_empty());
    }

    #[test]
    fn versionless_license_names_are_not_guessed() {
        // spdx's lax mode would read these as LGPL-2.0-only, BSD-2-Clause
        // and GPL-3.0-only.
        for (field, guess) in [
            ("LGPL", "LGPL-2.0-only"),
            ("BSD", "BSD-2-Clause"),
            ("gnu gpl v2", "GPL-3.0-only"),
        ] {
            let c = python_package(&dist(&format!("Name: a\nLicense: {field}\n"), &[])).unwrap();
            let reason = unknown_reason(&c);
            assert!(reason.contains(&format!("\"{field}\"")), "{reason}");
            assert!(reason.contains(guess), "{reason}");
            assert_eq!(c.confidence, Confidence::None);
        }
        // With an unambiguous classifier, the classifier answers.
        let c = python_package(&dist(
            "Name: a\nLicense: GPL\nClassifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)\n",
            &[],
        ))
        .unwrap();
        assert_eq!(c.license.to_string(), "GPL-3.0-or-later");
        assert_eq!(c.confidence, Confidence::Medium);
        assert_eq!(
            c.provenance,
            "/site/demo-1.0.dist-info/METADATA Classifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)"
        );
        assert_eq!(family("GPL-3.0-or-later"), Family::StrongCopyleft);
    }

    #[test]
    fn pasted_license_text_is_a_text_not_an_expression() {
        let metadata = "Name: a\nLicense: Copyright (c) 2005, NumPy Developers.\n        All rights reserved.\n        \n        Redistribution and use in source and binary forms ...\nClassifier: License :: OSI Approved :: BSD License\n";
        let c = python_package(&dist(metadata, &[])).unwrap();
        let reason = unknown_reason(&c);
        assert!(
            reason.contains("\"License :: OSI Approved :: BSD License\""),
            "{reason}"
        );
        assert!(reason.contains("PEP 639 forbids"), "{reason}");
        assert!(reason.contains("holds a license text"), "{reason}");
        assert_eq!(c.license_texts.len(), 1);
        assert_eq!(c.license_texts[0].name, "METADATA License");
        assert_eq!(c.license_texts[0].origin, "/site/demo-1.0.dist-info/METADATA License");
        assert!(
            c.license_texts[0]
                .text
                .starts_with("Copyright (c) 2005, NumPy Developers.\nAll rights reserved.\n\nRedistribution")
        );

        // A License-Expression makes the License field irrelevant, text or not.
        let c = python_package(&dist(
            "Name: a\nLicense-Expression: BSD-3-Clause\nLicense: Copyright\n  long text\n",
            &[],
        ))
        .unwrap();
        assert!(c.license_texts.is_empty());
    }

    #[test]
    fn nothing_declared_is_unknown() {
        let c = python_package(&dist("Name: a\nVersion: 1\n\nLicense: MIT\n", &[])).unwrap();
        assert_eq!(
            unknown_reason(&c),
            "no License-Expression, License or license classifier in METADATA"
        );
        assert_eq!(c.confidence, Confidence::None);
        let c = python_package(&dist("Name: a\nLicense: Dual License\n", &[])).unwrap();
        assert_eq!(
            unknown_reason(&c),
            "the License field \"Dual License\" is not an SPDX license expression, and METADATA has no \
             License-Expression or license classifier"
        );
    }

    #[test]
    fn classifier_mapping() {
        let mapped = |classifiers: &[&str]| match classifier_license(classifiers) {
            ClassifierLicense::Mapped(e) => e.to_string(),
            other => panic!("{classifiers:?}: {other:?}"),
        };
        assert_eq!(mapped(&["License :: OSI Approved :: MIT License"]), "MIT");
        // Parent plus child: the parent is dropped. Other classifiers are
        // ignored, spacing around :: is not significant.
        assert_eq!(
            mapped(&[
                "Programming Language :: Python",
                "License :: OSI Approved",
                "License::OSI Approved::Mozilla Public License 2.0 (MPL 2.0)",
                "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
            ]),
            "MPL-2.0"
        );
        assert_eq!(
            mapped(&["License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)"]),
            "EPL-2.0"
        );
        assert_eq!(
            mapped(&["License :: OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)"]),
            "MulanPSL-2.0"
        );
        assert_eq!(
            mapped(&["License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)"]),
            "AGPL-3.0-or-later"
        );
        assert_eq!(
            mapped(&["License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)"]),
            "LGPL-3.0-or-later"
        );
        assert_eq!(
            classifier_license(&["License :: Public Domain"]),
            ClassifierLicense::PublicDomain
        );
        assert_eq!(classifier_license(&["Topic :: Utilities"]), ClassifierLicense::None);
        assert_eq!(classifier_license(&[]), ClassifierLicense::None);

        let ambiguous = |classifiers: &[&str]| match classifier_license(classifiers) {
            ClassifierLicense::Ambiguous(reason) => reason,
            other => panic!("{classifiers:?}: {other:?}"),
        };
        for classifier in [
            "License :: OSI Approved :: BSD License",
            "License :: OSI Approved :: Apache Software License",
            "License :: OSI Approved :: GNU General Public License v2 (GPLv2)",
            "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
            "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
            "License :: OSI Approved",
            "License :: DFSG approved",
            "License :: Other/Proprietary License",
            "License :: OSI Approved :: Zope Public License",
            "License :: GUST Font License 1.0",
        ] {
            let reason = ambiguous(&[classifier]);
            assert!(reason.contains(&format!("\"{classifier}\"")), "{reason}");
        }
        assert!(ambiguous(&["License :: OSI Approved :: BSD License"]).contains("PEP 639 forbids"));
        assert!(ambiguous(&["License :: OSI Approved"]).contains("names no license"));
        // Two unrelated classifiers, even if each maps.
        let reason = ambiguous(&[
            "License :: OSI Approved :: MIT License",
            "License :: OSI Approved :: Apache Software License",
            "License :: OSI Approved",
        ]);
        assert!(
            reason.starts_with(
                "several license classifiers (\"License :: OSI Approved :: MIT License\", \
                 \"License :: OSI Approved :: Apache Software License\")"
            ),
            "{reason}"
        );
        assert!(reason.contains("PEP 639 forbids"), "{reason}");
    }

    #[test]
    fn public_domain_classifier() {
        let c = python_package(&dist("Name: a\nClassifier: License :: Public Domain\n", &[])).unwrap();
        assert_eq!(c.license, License::PublicDomain);
        assert_eq!(c.confidence, Confidence::Medium);
    }

    #[test]
    fn classifier_table_ids_are_current_spdx_ids() {
        let mut seen = HashSet::new();
        for (classifier, id) in CLASSIFIER_IDS {
            assert!(seen.insert(classifier.to_ascii_lowercase()), "duplicate {classifier}");
            let license = spdx::license_id(id).unwrap_or_else(|| panic!("{classifier}: {id} is not an SPDX id"));
            assert!(!license.is_deprecated(), "{classifier}: {id} is deprecated");
            assert!(LicenseExpression::parse(id).is_ok());
            assert!(!AMBIGUOUS.iter().any(|a| a.eq_ignore_ascii_case(classifier)));
        }
    }

    #[test]
    fn license_file_discovery() {
        let c = python_package(&dist(
            "Name: a\nLicense-Expression: MIT\n",
            &[
                ("RECORD", "x"),
                ("WHEEL", "x"),
                ("top_level.txt", "a"),
                ("entry_points.txt", "[console_scripts]"),
                ("licenses/LICENSE", "MIT text"),
                ("licenses/vendor/LICENSE.zlib.txt", "zlib text"),
                ("LICENSE", "MIT text"),
                ("LICENCE.md", "British"),
                ("copying.txt", "copying"),
                ("NOTICE", "notice"),
                ("AUTHORS.rst", "authors"),
                ("apache-2.0.LICENSE", "apache"),
                ("LICENSES/MIT.txt", "reuse"),
                ("license_files/LICENSE", "draft"),
                ("EMPTY_LICENSE", " \n"),
                ("sboms/b.spdx.json", "{}"),
                ("sboms/auditwheel.cdx.json", "{}"),
            ],
        ))
        .unwrap();
        let names: Vec<&str> = c.license_texts.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "AUTHORS.rst",
                "LICENCE.md",
                "LICENSE",
                "LICENSES/MIT.txt",
                "NOTICE",
                "apache-2.0.LICENSE",
                "copying.txt",
                "license_files/LICENSE",
                "licenses/vendor/LICENSE.zlib.txt",
            ],
            "sorted by path; licenses/LICENSE repeats LICENSE"
        );
        assert_eq!(c.license_texts[2].origin, "/site/demo-1.0.dist-info/LICENSE");
        assert_eq!(c.license_texts[2].text, "MIT text");
        assert_eq!(
            c.provenance,
            "/site/demo-1.0.dist-info/METADATA License-Expression; embedded SBOMs sboms/auditwheel.cdx.json, \
             sboms/b.spdx.json"
        );
        let c = python_package(&dist(
            "Name: a\n",
            &[
                ("sboms/auditwheel.cdx.json", "{}"),
                ("licenses/COPYING", "\u{feff}GPL \u{ff}"),
            ],
        ))
        .unwrap();
        assert!(
            c.provenance
                .ends_with("METADATA; embedded SBOM sboms/auditwheel.cdx.json"),
            "{}",
            c.provenance
        );
        assert_eq!(c.license_texts[0].text, "GPL \u{ff}", "a byte-order mark is dropped");
        let bad = DistInfo {
            files: vec![("LICENSE".into(), vec![0xff, b'a'])],
            ..dist("Name: a\n", &[])
        };
        assert_eq!(python_package(&bad).unwrap().license_texts[0].text, "\u{fffd}a");
    }

    #[test]
    fn homepage_sources() {
        let page = |metadata: &str| python_package(&dist(metadata, &[])).unwrap().homepage;
        assert_eq!(
            page("Name: a\nHome-page: https://a.org\n").as_deref(),
            Some("https://a.org")
        );
        assert_eq!(
            page("Name: a\nHome-page: UNKNOWN\nProject-URL: Source, https://s.org\nProject-URL: Home page, https://h.org\n")
                .as_deref(),
            Some("https://h.org")
        );
        assert_eq!(
            page("Name: a\nProject-URL: homepage, https://t.org\n").as_deref(),
            Some("https://t.org")
        );
        assert_eq!(page("Name: a\nProject-URL: Source, https://s.org\n"), None);
    }

    #[test]
    fn names_and_purls() {
        assert_eq!(normalize_name("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize_name("typing_extensions"), "typing-extensions");
        assert_eq!(normalize_name("A-_-b"), "a-b");
        assert_eq!(purl_encode("1!2.0+cpu.1"), "1%212.0%2Bcpu.1");
        assert_eq!(purl_encode("2.9.0.post0"), "2.9.0.post0");
    }

    #[test]
    fn invented_versions() {
        let check = |text: &str| invented_version(text, &LicenseExpression::parse_lax(text).unwrap());
        assert_eq!(check("MIT/Apache-2.0"), None);
        assert_eq!(check("Apache 2.0"), None);
        assert_eq!(check("GPLv3+"), None);
        assert_eq!(check("mit"), None);
        assert_eq!(check("LGPL").as_deref(), Some("LGPL-2.0-only"));
        assert_eq!(check("MIT OR mpl").as_deref(), Some("MPL-2.0"));
    }
}
