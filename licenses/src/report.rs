//! Reports for `oxdist licenses`: what ships under which license, how sure
//! the audit is of each answer, and what the policy made of it.
//!
//! Three renderings of one [`Audit`] (and optionally its [`Verdict`]):
//!
//! - [`render_text`] for people: a summary, one aligned row per component
//!   with its provenance (so that a reviewer can check every answer at its
//!   source), then the policy's findings.
//! - [`render_json`] for machines (CI dashboards, diffs between releases):
//!   the same facts with a stable shape and key order.
//! - [`render_violations`]: the offenders alone, for the error `oxdist
//!   package` prints when the gate fails.
//!
//! Reports never truncate: a shortened provenance or reason would hide the
//! very detail a compliance review needs.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::component::{Audit, ComponentKind, Confidence, License};
use crate::expression::{Family, requirement_family};
use crate::policy::{Finding, Verdict, least_family, term_label};

/// Counts over an audit, shared by the text and JSON reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Every component, the application included.
    pub components: usize,
    /// Components per kind, in report order.
    pub by_kind: BTreeMap<ComponentKind, usize>,
    /// Components per confidence of their license answer.
    pub by_confidence: BTreeMap<Confidence, usize>,
    /// Every distinct license term (`GPL-2.0-or-later WITH
    /// Classpath-exception-2.0` counts apart from `GPL-2.0-or-later`), by id.
    pub licenses: Vec<LicenseUse>,
    /// `licenses.len()`.
    pub distinct_licenses: usize,
    pub public_domain: usize,
    pub unknown: usize,
    /// Components whose license the configuration clarified.
    pub clarified: usize,
    /// Components by the least copyleft alternative their license offers
    /// (`MIT OR GPL-2.0-only` counts as permissive): the obligations that
    /// cannot be avoided.
    pub copyleft: CopyleftCounts,
}

/// One distinct license term and how many components use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LicenseUse {
    pub license: String,
    /// `None` for `LicenseRef-…` terms: no table knows their obligations
    /// (the policy treats them as unknown unless allowed).
    pub family: Option<Family>,
    pub components: usize,
}

/// Components per copyleft family (see [`Summary::copyleft`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CopyleftCounts {
    pub weak: usize,
    pub strong: usize,
    pub network: usize,
}

/// Counts the audit's components by kind, confidence, license and family.
pub fn summarize(audit: &Audit) -> Summary {
    let mut summary = Summary {
        components: audit.components.len(),
        ..Summary::default()
    };
    let mut licenses: BTreeMap<String, (Option<Family>, usize)> = BTreeMap::new();
    for component in &audit.components {
        *summary.by_kind.entry(component.kind).or_default() += 1;
        *summary.by_confidence.entry(component.confidence).or_default() += 1;
        if component.clarification.is_some() {
            summary.clarified += 1;
        }
        match &component.license {
            License::PublicDomain => summary.public_domain += 1,
            License::Unknown { .. } => summary.unknown += 1,
            License::Expression { expression } => {
                let mut seen: Vec<String> = Vec::new();
                for req in expression.requirements() {
                    let label = term_label(req);
                    if seen.contains(&label) {
                        continue;
                    }
                    let family = match req.license {
                        spdx::LicenseItem::Spdx { .. } => Some(requirement_family(req)),
                        spdx::LicenseItem::Other(_) => None,
                    };
                    licenses.entry(label.clone()).or_insert((family, 0)).1 += 1;
                    seen.push(label);
                }
                match least_family(expression) {
                    Family::Permissive => {}
                    Family::WeakCopyleft => summary.copyleft.weak += 1,
                    Family::StrongCopyleft => summary.copyleft.strong += 1,
                    Family::NetworkCopyleft => summary.copyleft.network += 1,
                }
            }
        }
    }
    summary.licenses = licenses
        .into_iter()
        .map(|(license, (family, components))| LicenseUse {
            license,
            family,
            components,
        })
        .collect();
    summary.distinct_licenses = summary.licenses.len();
    summary
}

/// The report for people: summary counts, one row per component (kind,
/// name, version, license, confidence, full provenance), the licenses in
/// use with their family, the unknowns with the reason each is unknown, and
/// — given a verdict — `Policy: passed` or the violations, then warnings and
/// exemptions with their reasons.
pub fn render_text(audit: &Audit, verdict: Option<&Verdict>) -> String {
    let summary = summarize(audit);
    let mut out = String::new();
    let product = &audit.product;
    match (product.name.is_empty(), &product.version) {
        (true, _) => out.push_str("License audit\n"),
        (false, Some(version)) => out.push_str(&format!("License audit of {} {version}\n", product.name)),
        (false, None) => out.push_str(&format!("License audit of {}\n", product.name)),
    }
    out.push('\n');

    let kinds: Vec<String> = summary
        .by_kind
        .iter()
        .map(|(kind, count)| format!("{count} {}", plural(kind.label(), *count)))
        .collect();
    out.push_str(&format!("Components: {}", summary.components));
    if !kinds.is_empty() {
        out.push_str(&format!(" ({})", kinds.join(", ")));
    }
    out.push('\n');
    out.push_str(&format!(
        "Licenses:   {} distinct; {} public domain, {} unknown, {} clarified in configuration\n",
        summary.distinct_licenses, summary.public_domain, summary.unknown, summary.clarified
    ));
    let c = summary.copyleft;
    out.push_str(&format!(
        "Copyleft:   {} weak, {} strong, {} network (by each component's least copyleft choice)\n",
        c.weak, c.strong, c.network
    ));
    let confidence: Vec<String> = summary
        .by_confidence
        .iter()
        .rev()
        .map(|(level, count)| format!("{count} {}", confidence_label(*level)))
        .collect();
    if !confidence.is_empty() {
        out.push_str(&format!("Confidence: {}\n", confidence.join(", ")));
    }

    if !audit.components.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = audit
            .components
            .iter()
            .map(|c| {
                vec![
                    c.kind.label().to_string(),
                    c.name.clone(),
                    c.version.clone().unwrap_or_else(|| "-".to_string()),
                    c.license.to_string(),
                    confidence_label(c.confidence).to_string(),
                    c.provenance.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &["KIND", "NAME", "VERSION", "LICENSE", "CONFIDENCE", "PROVENANCE"],
            &rows,
            "",
        ));
    }

    if !summary.licenses.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = summary
            .licenses
            .iter()
            .map(|l| {
                let family = match l.family {
                    Some(family) => family.to_string(),
                    None => "unknown (not on the SPDX list)".to_string(),
                };
                vec![l.license.clone(), family, l.components.to_string()]
            })
            .collect();
        out.push_str(&table(&["LICENSE", "FAMILY", "COMPONENTS"], &rows, ""));
    }

    let unknown: Vec<Vec<String>> = audit
        .components
        .iter()
        .filter_map(|c| match &c.license {
            License::Unknown { reason } => Some(vec![c.describe(), reason.clone()]),
            _ => None,
        })
        .collect();
    if !unknown.is_empty() {
        out.push_str("\nUnknown licenses:\n");
        out.push_str(&table(&["COMPONENT", "WHY"], &unknown, "  "));
    }

    if let Some(verdict) = verdict {
        out.push('\n');
        let counts = [
            (verdict.violations.len(), "violation"),
            (verdict.warnings.len(), "warning"),
            (verdict.exempted.len(), "exemption"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {}", plural(what, *n)))
        .collect::<Vec<_>>();
        let status = if verdict.passed() { "passed" } else { "failed" };
        if counts.is_empty() {
            out.push_str(&format!("Policy: {status}\n"));
        } else {
            out.push_str(&format!("Policy: {status} ({})\n", counts.join(", ")));
        }
        for (title, findings, why) in [
            ("Violations", &verdict.violations, "WHY"),
            ("Warnings", &verdict.warnings, "WHY"),
            ("Exempted", &verdict.exempted, "REASON"),
        ] {
            if !findings.is_empty() {
                out.push_str(&format!("\n{title}:\n"));
                out.push_str(&findings_table(findings, why, "  "));
            }
        }
    }
    out
}

/// The report for machines: pretty JSON of `{product, components, verdict,
/// summary}`, ending with a newline. `verdict` is `null` when no policy was
/// checked, else `{passed, violations, warnings, exempted}`.
///
/// Components appear as [`crate::Component`] serialises them, with keys in
/// alphabetical order, except that each license text is reduced to its name,
/// origin, size and SHA-256: texts belong in the notices, and a digest still
/// tells which file was used while keeping reports small and diffable.
pub fn render_json(audit: &Audit, verdict: Option<&Verdict>) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        product: &'a crate::component::Product,
        components: Vec<serde_json::Value>,
        verdict: Option<VerdictJson<'a>>,
        summary: Summary,
    }
    #[derive(Serialize)]
    struct VerdictJson<'a> {
        passed: bool,
        violations: &'a [Finding],
        warnings: &'a [Finding],
        exempted: &'a [Finding],
    }

    let components = audit
        .components
        .iter()
        .map(|component| {
            let mut value = serde_json::to_value(component).unwrap_or(serde_json::Value::Null);
            if let Some(object) = value.as_object_mut() {
                let texts: Vec<serde_json::Value> = component
                    .license_texts
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name,
                            "origin": t.origin,
                            "bytes": t.text.len(),
                            "sha256": hex(&Sha256::digest(t.text.as_bytes())),
                        })
                    })
                    .collect();
                object.insert("license_texts".to_string(), serde_json::Value::Array(texts));
            }
            value
        })
        .collect();
    let report = Report {
        product: &audit.product,
        components,
        verdict: verdict.map(|v| VerdictJson {
            passed: v.passed(),
            violations: &v.violations,
            warnings: &v.warnings,
            exempted: &v.exempted,
        }),
        summary: summarize(audit),
    };
    match serde_json::to_string_pretty(&report) {
        Ok(mut json) => {
            json.push('\n');
            json
        }
        // Unreachable with these types (string keys only); still no panic.
        Err(e) => format!("{{\n  \"error\": {}\n}}\n", serde_json::Value::String(e.to_string())),
    }
}

/// The offenders alone: a `COMPONENT  LICENSE  WHY` table of the
/// violations, ending with a newline, or an empty string when there are
/// none. Made to follow a one-line error such as "the license policy
/// failed:" in `oxdist package`.
pub fn render_violations(verdict: &Verdict) -> String {
    if verdict.violations.is_empty() {
        return String::new();
    }
    findings_table(&verdict.violations, "WHY", "")
}

fn findings_table(findings: &[Finding], why: &str, indent: &str) -> String {
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                f.description.clone(),
                if f.license.is_empty() {
                    "-".to_string()
                } else {
                    f.license.clone()
                },
                f.reason.clone(),
            ]
        })
        .collect();
    table(&["COMPONENT", "LICENSE", why], &rows, indent)
}

/// Left-aligned columns two spaces apart, the last one unpadded; widths in
/// characters, so that names outside ASCII keep the columns straight in
/// most terminals.
fn table(headers: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::from(indent);
        for (index, cell) in cells.enumerate() {
            if index > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            if let Some(width) = widths.get(index) {
                let pad = width.saturating_sub(cell.chars().count());
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let mut text = text.trim_end().to_string();
        text.push('\n');
        text
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

fn confidence_label(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::None => "none",
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

/// English plurals for the few nouns reports count.
fn plural(noun: &str, count: usize) -> String {
    if count == 1 {
        noun.to_string()
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{Component, Product};

    fn component(kind: ComponentKind, name: &str, license: &str) -> Component {
        Component::new(
            kind,
            name,
            None,
            License::expression(license.parse().unwrap()),
            "somewhere",
            Confidence::Medium,
        )
    }

    #[test]
    fn tables_align_and_trim() {
        let rows = vec![
            vec!["a".to_string(), "long cell".to_string(), "x".to_string()],
            vec!["bbbb".to_string(), "c".to_string(), "".to_string()],
        ];
        assert_eq!(
            table(&["H1", "H2", "H3"], &rows, "  "),
            "  H1    H2         H3\n  a     long cell  x\n  bbbb  c\n"
        );
    }

    #[test]
    fn plurals() {
        assert_eq!(plural("library", 2), "libraries");
        assert_eq!(plural("Python package", 2), "Python packages");
        assert_eq!(plural("warning", 1), "warning");
    }

    #[test]
    fn summary_counts_terms_once_per_component() {
        let audit = Audit {
            product: Product::default(),
            components: vec![
                component(ComponentKind::RustCrate, "a", "MIT OR Apache-2.0"),
                component(ComponentKind::RustCrate, "b", "MIT AND MIT"),
                component(ComponentKind::Library, "c", "LGPL-2.1+ AND MIT"),
                component(ComponentKind::Library, "d", "GPL-2.0-only OR AGPL-3.0-only"),
            ],
        };
        let s = summarize(&audit);
        let licenses: Vec<(&str, usize)> = s.licenses.iter().map(|l| (l.license.as_str(), l.components)).collect();
        assert_eq!(
            licenses,
            [
                ("AGPL-3.0-only", 1),
                ("Apache-2.0", 1),
                ("GPL-2.0-only", 1),
                ("LGPL-2.1-or-later", 1),
                ("MIT", 3)
            ]
        );
        assert_eq!(
            s.copyleft,
            CopyleftCounts {
                weak: 1,
                strong: 1,
                network: 0
            }
        );
        assert_eq!(s.by_kind[&ComponentKind::Library], 2);
    }

    #[test]
    fn empty_inputs_render() {
        let audit = Audit::default();
        assert_eq!(
            render_text(&audit, Some(&Verdict::default())),
            "License audit\n\nComponents: 0\nLicenses:   0 distinct; 0 public domain, 0 unknown, 0 clarified in \
             configuration\nCopyleft:   0 weak, 0 strong, 0 network (by each component's least copyleft choice)\n\n\
             Policy: passed\n"
        );
        assert_eq!(render_violations(&Verdict::default()), "");
        let json: serde_json::Value = serde_json::from_str(&render_json(&audit, None)).unwrap();
        assert_eq!(json["verdict"], serde_json::Value::Null);
        assert_eq!(json["components"], serde_json::json!([]));
    }
}
