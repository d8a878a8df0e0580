//! Software bills of materials: SPDX 2.3 and CycloneDX 1.6, as JSON.
//!
//! Compliance teams ask for one or the other; both describe the same audit:
//! the product at the top, every component inside it with its license, how
//! sure that answer is, and which component links which.
//!
//! Decisions, and why:
//! - **Reproducible.** A build must give byte-identical artifacts, SBOMs
//!   included. The creation time comes from the caller
//!   ([`SbomOptions::created`], derived from `SOURCE_DATE_EPOCH`), and the
//!   identifiers that are usually random (SPDX `documentNamespace`,
//!   CycloneDX `serialNumber`) are derived from a SHA-256 of the document's
//!   own content: a different content gets a different identifier, as the
//!   formats want, and the same content the same one. Fields are written in
//!   a fixed order (structs, not maps) and components in report order.
//! - **Licenses are never guessed.** An unknown license is `NOASSERTION` in
//!   SPDX (with the reason as `licenseComments`) and no `licenses` at all in
//!   CycloneDX (with the reason as the property
//!   `oxdist:license-unknown-reason`). `NONE` is not used: it means the
//!   component has no license, which is a claim we cannot make.
//! - **Public domain** has no SPDX id: SPDX gets `LicenseRef-Public-Domain`
//!   (with its `hasExtractedLicensingInfos` entry), CycloneDX the named
//!   license `Public Domain`.
//! - **`LicenseRef-…`** ids in SPDX each get a `hasExtractedLicensingInfos`
//!   entry, as the format requires; its text is the component's own license
//!   text when it shipped one, else a sentence saying that none did.
//!   Expressions SPDX 2.3 cannot carry (`DocumentRef-…`, `AdditionRef-…`)
//!   become `NOASSERTION` with the expression kept in `licenseComments`.
//! - **CycloneDX licenses**: a single listed SPDX id is `{license: {id}}`
//!   (validated against the SPDX list); anything else (`OR`, `AND`, `WITH`,
//!   `+`, `LicenseRef-…`) is one `{expression}`. `acknowledgement` is
//!   `concluded` when the configuration clarified the license, `declared`
//!   otherwise.
//! - **Links.** A component's `depends_on` becomes `DYNAMIC_LINK` in SPDX
//!   when the target is a native library (shared objects are what
//!   extension modules link), `DEPENDS_ON` otherwise, and CycloneDX
//!   `dependencies`. Ids that name no component of the audit are dropped,
//!   since both formats reject dangling references. The product contains
//!   (SPDX) and depends on (CycloneDX) every component.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::component::{Audit, Component, ComponentKind, Confidence, License};
use crate::expression::LicenseExpression;

/// What an SBOM needs besides the audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomOptions {
    /// The creation time, in seconds since the Unix epoch: derived from
    /// `SOURCE_DATE_EPOCH` so that rebuilding gives the same bytes. Written
    /// in RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`); times after the year 9999,
    /// which RFC 3339 cannot write, are clamped to its end.
    pub created: u64,
    /// The tool that wrote the SBOM, `NAME-VERSION` (`oxdist-0.1.0`).
    pub tool: String,
}

/// The SPDX 2.3 JSON document for `audit`, pretty-printed with a trailing
/// newline.
pub fn spdx_json(audit: &Audit, options: &SbomOptions) -> String {
    let components = components(audit);
    let mut ids = IdAllocator::default();
    let product_id = ids.allocate(&format!("Product-{}", audit.product.name));
    let component_ids: BTreeMap<&str, String> = components
        .iter()
        .map(|c| (c.id.as_str(), ids.allocate(&c.id)))
        .collect();

    let mut extracted = ExtractedLicenses::default();
    let mut packages = Vec::with_capacity(components.len() + 1);

    // The product: its own license, as its metadata states it.
    let (product_license, product_comment) = match audit.product.license.as_deref() {
        Some(text) => match LicenseExpression::parse(text) {
            Ok(expression) => spdx_expression(&expression, None, &mut extracted),
            Err(e) => (
                NOASSERTION.to_string(),
                Some(format!("declared as {text:?}: {}", e.message)),
            ),
        },
        None => (NOASSERTION.to_string(), None),
    };
    packages.push(SpdxPackage {
        spdx_id: product_id.clone(),
        name: audit.product.name.clone(),
        version_info: audit.product.version.clone(),
        supplier: match &audit.product.supplier {
            Some(supplier) => format!("Organization: {supplier}"),
            None => NOASSERTION.to_string(),
        },
        download_location: NOASSERTION,
        files_analyzed: false,
        homepage: audit.product.homepage.clone().filter(|h| is_web_url(h)),
        license_concluded: product_license.clone(),
        license_declared: product_license,
        license_comments: product_comment,
        copyright_text: NOASSERTION.to_string(),
        comment: Some("The product this document describes, as packaged by oxdist.".to_string()),
        external_refs: Vec::new(),
        primary_package_purpose: "APPLICATION",
    });

    for component in &components {
        let mut comments: Vec<String> = Vec::new();
        let license = match &component.license {
            License::Expression { expression } => {
                let (value, comment) = spdx_expression(expression, Some(component), &mut extracted);
                comments.extend(comment);
                value
            }
            License::PublicDomain => {
                extracted.add(
                    PUBLIC_DOMAIN_REF,
                    "Public Domain",
                    PUBLIC_DOMAIN_TEXT.to_string(),
                    Some("Used for components that are not subject to copyright; SPDX has no id for that."),
                );
                PUBLIC_DOMAIN_REF.to_string()
            }
            License::Unknown { reason } => {
                comments.push(format!("The license is unknown: {reason}"));
                NOASSERTION.to_string()
            }
        };
        if let Some(clarification) = &component.clarification {
            comments.push(format!("Clarified in the oxdist configuration: {clarification}"));
        }
        packages.push(SpdxPackage {
            spdx_id: component_ids[component.id.as_str()].clone(),
            name: component.name.clone(),
            version_info: component.version.clone(),
            supplier: NOASSERTION.to_string(),
            download_location: NOASSERTION,
            files_analyzed: false,
            homepage: component.homepage.clone().filter(|h| is_web_url(h)),
            license_concluded: license.clone(),
            license_declared: license,
            license_comments: (!comments.is_empty()).then(|| comments.join(" ")),
            copyright_text: if component.copyright.is_empty() {
                NOASSERTION.to_string()
            } else {
                component.copyright.join("\n")
            },
            comment: Some(format!(
                "{}; license from {} (confidence: {})",
                component.kind.label(),
                component.provenance,
                confidence_label(component.confidence)
            )),
            external_refs: component
                .purl
                .iter()
                .map(|purl| ExternalRef {
                    reference_category: "PACKAGE-MANAGER",
                    reference_type: "purl",
                    reference_locator: purl.clone(),
                })
                .collect(),
            primary_package_purpose: if component.kind == ComponentKind::Application {
                "APPLICATION"
            } else {
                "LIBRARY"
            },
        });
    }

    let mut relationships = vec![Relationship {
        element: DOCUMENT_ID.to_string(),
        kind: "DESCRIBES",
        related: product_id.clone(),
    }];
    for component in &components {
        relationships.push(Relationship {
            element: product_id.clone(),
            kind: "CONTAINS",
            related: component_ids[component.id.as_str()].clone(),
        });
    }
    let kinds: BTreeMap<&str, ComponentKind> = components.iter().map(|c| (c.id.as_str(), c.kind)).collect();
    for component in &components {
        for target in links(component, &component_ids) {
            relationships.push(Relationship {
                element: component_ids[component.id.as_str()].clone(),
                kind: if kinds.get(target) == Some(&ComponentKind::Library) {
                    "DYNAMIC_LINK"
                } else {
                    "DEPENDS_ON"
                },
                related: component_ids[target].clone(),
            });
        }
    }

    let name = match &audit.product.version {
        Some(version) => format!("{}-{version}", audit.product.name),
        None => audit.product.name.clone(),
    };
    let mut document = SpdxDocument {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: name.clone(),
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: rfc3339(options.created),
            creators: vec![format!("Tool: {}", options.tool)],
            license_list_version: license_list_version(),
        },
        packages,
        relationships,
        has_extracted_licensing_infos: extracted.0.into_values().collect(),
    };
    // The namespace is unique per content: a hash of the document written
    // without it.
    let hash = hex(&Sha256::digest(to_json(&document).as_bytes()));
    document.document_namespace = format!("https://spdx.org/spdxdocs/{}-{hash}", sanitise_id(&name));
    to_json(&document)
}

/// The CycloneDX 1.6 JSON BOM for `audit`, pretty-printed with a trailing
/// newline.
pub fn cyclonedx_json(audit: &Audit, options: &SbomOptions) -> String {
    let components = components(audit);
    let known: BTreeSet<&str> = components.iter().map(|c| c.id.as_str()).collect();
    let mut product_ref = format!("product:{}", audit.product.name);
    while known.contains(product_ref.as_str()) {
        product_ref.push('_');
    }
    let identity: BTreeMap<&str, String> = known.iter().map(|id| (*id, id.to_string())).collect();

    let product_licenses = match audit.product.license.as_deref() {
        Some(text) => match LicenseExpression::parse(text) {
            Ok(expression) => cdx_expression(&expression, "declared"),
            // Not SPDX: kept as a named license rather than lost.
            Err(_) => vec![CdxLicenseChoice::License {
                license: CdxLicense::named(text, "declared"),
            }],
        },
        None => Vec::new(),
    };
    let product = CdxComponent {
        kind: "application",
        bom_ref: product_ref.clone(),
        supplier: audit
            .product
            .supplier
            .as_ref()
            .map(|name| CdxSupplier { name: name.clone() }),
        name: audit.product.name.clone(),
        version: audit.product.version.clone(),
        licenses: product_licenses,
        copyright: None,
        purl: None,
        external_references: website(audit.product.homepage.as_deref()),
        properties: Vec::new(),
    };

    let cdx_components: Vec<CdxComponent> = components
        .iter()
        .map(|component| {
            let acknowledgement = if component.clarification.is_some() {
                "concluded"
            } else {
                "declared"
            };
            let mut properties = vec![
                property("oxdist:kind", component.kind.label()),
                property("oxdist:provenance", &component.provenance),
                property("oxdist:confidence", confidence_label(component.confidence)),
            ];
            let licenses = match &component.license {
                License::Expression { expression } => cdx_expression(expression, acknowledgement),
                License::PublicDomain => vec![CdxLicenseChoice::License {
                    license: CdxLicense::named("Public Domain", acknowledgement),
                }],
                License::Unknown { reason } => {
                    properties.push(property("oxdist:license-unknown-reason", reason));
                    Vec::new()
                }
            };
            if let Some(clarification) = &component.clarification {
                properties.push(property("oxdist:license-clarification", clarification));
            }
            CdxComponent {
                kind: if component.kind == ComponentKind::Application {
                    "application"
                } else {
                    "library"
                },
                bom_ref: component.id.clone(),
                supplier: None,
                name: component.name.clone(),
                version: component.version.clone(),
                licenses,
                copyright: (!component.copyright.is_empty()).then(|| component.copyright.join("\n")),
                purl: component.purl.clone(),
                external_references: website(component.homepage.as_deref()),
                properties,
            }
        })
        .collect();

    let mut dependencies = vec![CdxDependency {
        reference: product_ref,
        depends_on: components.iter().map(|c| c.id.clone()).collect(),
    }];
    for component in &components {
        dependencies.push(CdxDependency {
            reference: component.id.clone(),
            depends_on: links(component, &identity).into_iter().map(str::to_string).collect(),
        });
    }

    let (tool_name, tool_version) = split_tool(&options.tool);
    let mut bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: CdxMetadata {
            timestamp: rfc3339(options.created),
            tools: CdxTools {
                components: vec![CdxTool {
                    kind: "application",
                    name: tool_name.to_string(),
                    version: tool_version.map(str::to_string),
                }],
            },
            component: product,
        },
        components: cdx_components,
        dependencies,
    };
    bom.serial_number = format!("urn:uuid:{}", uuid_from(&Sha256::digest(to_json(&bom).as_bytes())));
    to_json(&bom)
}

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const PUBLIC_DOMAIN_REF: &str = "LicenseRef-Public-Domain";
const PUBLIC_DOMAIN_TEXT: &str = "This software is in the public domain: its authors dedicated it to the public, \
     or it is otherwise not subject to copyright, so no license applies to it.";

/// The audit's components, once each (the first of a repeated id), in
/// report order: both formats reject repeated identifiers.
fn components(audit: &Audit) -> Vec<&Component> {
    let mut seen = BTreeSet::new();
    let mut components: Vec<&Component> = audit.components.iter().filter(|c| seen.insert(c.id.as_str())).collect();
    components.sort_by(|a, b| (a.kind, &a.name, &a.version, &a.id).cmp(&(b.kind, &b.name, &b.version, &b.id)));
    components
}

/// The components `component` links, as keys of `known`: once each, in the
/// order given, without itself or ids the audit does not have.
fn links<'a, V>(component: &Component, known: &'a BTreeMap<&str, V>) -> Vec<&'a str> {
    let mut targets: Vec<&'a str> = Vec::new();
    for target in &component.depends_on {
        if let Some((key, _)) = known.get_key_value(target.as_str())
            && *key != component.id
            && !targets.contains(key)
        {
            targets.push(key);
        }
    }
    targets
}

/// Gives out SPDX ids (`SPDXRef-…`), unique within a document.
#[derive(Default)]
struct IdAllocator(BTreeSet<String>);

impl IdAllocator {
    /// `SPDXRef-` and `name` sanitised; numbered when taken.
    fn allocate(&mut self, name: &str) -> String {
        let base = format!("SPDXRef-{}", sanitise_id(name));
        let mut id = base.clone();
        let mut n = 2;
        while self.0.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.0.insert(id.clone());
        id
    }
}

/// `text` with everything but ASCII letters, digits, `.` and `-` replaced
/// by `-`: what SPDX allows in an SPDXID (and safe in a URI path).
fn sanitise_id(text: &str) -> String {
    let id: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if id.is_empty() { "unnamed".to_string() } else { id }
}

/// The `hasExtractedLicensingInfos` entries of a document, by id; the first
/// description of an id wins.
#[derive(Default)]
struct ExtractedLicenses(BTreeMap<String, ExtractedLicense>);

impl ExtractedLicenses {
    fn add(&mut self, id: &str, name: &str, text: String, comment: Option<&str>) {
        self.0.entry(id.to_string()).or_insert_with(|| ExtractedLicense {
            license_id: id.to_string(),
            extracted_text: text,
            name: name.to_string(),
            comment: comment.map(str::to_string),
        });
    }
}

/// An expression as SPDX 2.3 writes it, with the `LicenseRef-…` ids it uses
/// described in `extracted`; or `NOASSERTION` and a comment when SPDX 2.3
/// cannot carry it.
fn spdx_expression(
    expression: &LicenseExpression,
    component: Option<&Component>,
    extracted: &mut ExtractedLicenses,
) -> (String, Option<String>) {
    let mut references: Vec<String> = Vec::new();
    for req in expression.requirements() {
        if let spdx::LicenseItem::Other(reference) = &req.license {
            if reference.doc_ref.is_some() {
                return unrepresentable(expression, "it refers to another SPDX document");
            }
            references.push(reference.to_string());
        }
        if let Some(spdx::AdditionItem::Other(_)) = &req.addition {
            return unrepresentable(expression, "SPDX 2.3 has no AdditionRef");
        }
    }
    for reference in references {
        let (text, comment) = match component {
            Some(component) if !component.license_texts.is_empty() => (
                component
                    .license_texts
                    .iter()
                    .map(|t| t.text.trim_end())
                    .collect::<Vec<_>>()
                    .join("\n\n"),
                format!("The license text that shipped with {}.", component.name),
            ),
            Some(component) => (
                format!(
                    "{reference} is a license outside the SPDX License List, declared by {}; \
                     no license text shipped with it.",
                    component.name
                ),
                "No text was found for this license.".to_string(),
            ),
            None => (
                format!("{reference} is a license outside the SPDX License List, declared by the product."),
                "No text was found for this license.".to_string(),
            ),
        };
        let name = reference.trim_start_matches("LicenseRef-").to_string();
        extracted.add(&reference, &name, text, Some(&comment));
    }
    (expression.as_str().to_string(), None)
}

fn unrepresentable(expression: &LicenseExpression, why: &str) -> (String, Option<String>) {
    (
        NOASSERTION.to_string(),
        Some(format!(
            "Declared as {}, which SPDX 2.3 cannot express: {why}.",
            expression.as_str()
        )),
    )
}

/// An expression as CycloneDX licenses: one listed SPDX id as `{license:
/// {id}}`, anything else as one `{expression}`.
fn cdx_expression(expression: &LicenseExpression, acknowledgement: &'static str) -> Vec<CdxLicenseChoice> {
    let mut requirements = expression.requirements();
    if let (Some(only), None) = (requirements.next(), requirements.next())
        && only.addition.is_none()
        && let spdx::LicenseItem::Spdx { id, or_later: false } = &only.license
    {
        return vec![CdxLicenseChoice::License {
            license: CdxLicense {
                id: Some(id.name.to_string()),
                name: None,
                acknowledgement,
            },
        }];
    }
    vec![CdxLicenseChoice::Expression {
        expression: expression.as_str().to_string(),
        acknowledgement,
    }]
}

fn property(name: &str, value: &str) -> CdxProperty {
    CdxProperty {
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// A homepage as a CycloneDX `website` reference, when it is a web URL.
fn website(homepage: Option<&str>) -> Vec<CdxExternalReference> {
    homepage
        .filter(|h| is_web_url(h))
        .map(|url| CdxExternalReference {
            kind: "website",
            url: url.to_string(),
        })
        .into_iter()
        .collect()
}

/// Whether `url` is an `http(s)` URL: both formats validate homepages as
/// URLs, and a free-text homepage would make the document invalid.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or("");
    !rest.is_empty() && url.chars().all(|c| c.is_ascii_graphic())
}

fn confidence_label(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::None => "none",
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

/// `oxdist-0.1.0` → (`oxdist`, `0.1.0`): the last `-` followed by a digit
/// separates them; a tool without one has no version.
fn split_tool(tool: &str) -> (&str, Option<&str>) {
    match tool
        .rmatch_indices('-')
        .find(|(i, _)| tool[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
    {
        Some((i, _)) => (&tool[..i], Some(&tool[i + 1..])),
        None => (tool, None),
    }
}

/// The SPDX License List version of the `spdx` crate's ids as SPDX 2.3
/// wants it (`MAJOR.MINOR`).
fn license_list_version() -> Option<String> {
    let mut parts = spdx::identifiers::VERSION.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor))
            if !major.is_empty()
                && !minor.is_empty()
                && major.bytes().chain(minor.bytes()).all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("{major}.{minor}"))
        }
        _ => None,
    }
}

/// Seconds since the Unix epoch in RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(seconds: u64) -> String {
    // 9999-12-31T23:59:59Z: RFC 3339 has four-digit years.
    let seconds = seconds.min(253_402_300_799);
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let time = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days). The calendar repeats every
/// 400 years (146 097 days); eras start on 0000-03-01 so that leap days end
/// a year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

/// A UUID shaped as version 5 (name-based, SHA-1 in RFC 9562; here the first
/// 16 bytes of a SHA-256) with the RFC 4122 variant.
fn uuid_from(digest: &[u8]) -> String {
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest) {
        *b = *d;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pretty JSON with a trailing newline.
fn to_json(value: &impl Serialize) -> String {
    // The documents are plain structs of strings, numbers, booleans and
    // vectors, which serde_json always serialises: it fails only on maps
    // with non-string keys or a failing custom `Serialize`, neither of which
    // exists here.
    let mut json = serde_json::to_string_pretty(value).expect("SBOM structs always serialise to JSON");
    json.push('\n');
    json
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_list_version: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: String,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<String>,
    license_concluded: String,
    license_declared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
struct Relationship {
    #[serde(rename = "spdxElementId")]
    element: String,
    #[serde(rename = "relationshipType")]
    kind: &'static str,
    #[serde(rename = "relatedSpdxElement")]
    related: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: CdxMetadata,
    components: Vec<CdxComponent>,
    dependencies: Vec<CdxDependency>,
}

#[derive(Serialize)]
struct CdxMetadata {
    timestamp: String,
    tools: CdxTools,
    component: CdxComponent,
}

#[derive(Serialize)]
struct CdxTools {
    components: Vec<CdxTool>,
}

#[derive(Serialize)]
struct CdxTool {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<CdxSupplier>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<CdxLicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyright: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<CdxExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Serialize)]
struct CdxSupplier {
    name: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum CdxLicenseChoice {
    License {
        license: CdxLicense,
    },
    Expression {
        expression: String,
        acknowledgement: &'static str,
    },
}

#[derive(Serialize)]
struct CdxLicense {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    acknowledgement: &'static str,
}

impl CdxLicense {
    fn named(name: &str, acknowledgement: &'static str) -> Self {
        CdxLicense {
            id: None,
            name: Some(name.to_string()),
            acknowledgement,
        }
    }
}

#[derive(Serialize)]
struct CdxExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct CdxProperty {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxDependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(
            rfc3339(4_107_542_400),
            "2100-03-01T00:00:00Z",
            "2100 is not a leap year"
        );
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_matches_every_day_of_four_centuries() {
        // Walk day by day from 1970 and compare with a naive calendar.
        let (mut year, mut month, mut day) = (1970u64, 1u64, 1u64);
        for days in 0..(400 * 366) {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }

    #[test]
    fn tool_names_and_versions() {
        assert_eq!(split_tool("oxdist-0.1.0"), ("oxdist", Some("0.1.0")));
        assert_eq!(split_tool("my-tool-2.0"), ("my-tool", Some("2.0")));
        assert_eq!(split_tool("oxdist"), ("oxdist", None));
    }

    #[test]
    fn uuids_are_version_5_shaped() {
        let uuid = uuid_from(&Sha256::digest(b"x"));
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "5");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut ids = IdAllocator::default();
        assert_eq!(ids.allocate("rust-crate:a_b"), "SPDXRef-rust-crate-a-b");
        assert_eq!(ids.allocate("rust-crate:a-b"), "SPDXRef-rust-crate-a-b-2");
        assert_eq!(
            ids.allocate("python-package:<script>"),
            "SPDXRef-python-package--script-"
        );
    }
}
