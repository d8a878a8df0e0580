//! The audit's data model: what is shipped ([`Component`]), under which
//! license ([`License`]), where that answer came from (provenance) and how
//! far it can be trusted ([`Confidence`]).

use std::fmt;

use serde::Serialize;

use crate::expression::LicenseExpression;

/// What kind of thing a component is. The order is the order of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// The application being packaged (its own metadata).
    Application,
    /// The Python interpreter and standard library (CPython).
    PythonDistribution,
    /// A standard-library extension module that links third-party libraries;
    /// its license is theirs, combined (the module's own code is CPython's).
    StdlibExtension,
    /// An installed Python distribution package (`NAME-VER.dist-info`).
    PythonPackage,
    /// A native library (a Debian package on a host build).
    Library,
    /// A Rust crate linked into the executable's launcher.
    RustCrate,
}

impl ComponentKind {
    /// The words reports use: `Python package`, `Rust crate`, …
    pub fn label(self) -> &'static str {
        match self {
            ComponentKind::Application => "application",
            ComponentKind::PythonDistribution => "Python distribution",
            ComponentKind::StdlibExtension => "stdlib extension module",
            ComponentKind::PythonPackage => "Python package",
            ComponentKind::Library => "library",
            ComponentKind::RustCrate => "Rust crate",
        }
    }

    /// The prefix of [`Component::id`].
    pub fn id_prefix(self) -> &'static str {
        match self {
            ComponentKind::Application => "application",
            ComponentKind::PythonDistribution => "python",
            ComponentKind::StdlibExtension => "stdlib-extension",
            ComponentKind::PythonPackage => "python-package",
            ComponentKind::Library => "library",
            ComponentKind::RustCrate => "rust-crate",
        }
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A component's license, as far as it is known.
// The expression variant is large (a parsed SPDX expression), but licenses
// are few per component and never held in bulk: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum License {
    /// An SPDX expression (which may use `LicenseRef-…` ids).
    Expression { expression: LicenseExpression },
    /// Not subject to copyright (sqlite, old xz): no SPDX id exists for it.
    PublicDomain,
    /// Nothing machine-readable says; `reason` tells why, for the report.
    /// Never guessed: the gate fails on unknowns unless allowed.
    Unknown { reason: String },
}

impl License {
    /// An expression from text already known to be valid SPDX.
    pub fn expression(expression: LicenseExpression) -> Self {
        License::Expression { expression }
    }

    pub fn unknown(reason: impl Into<String>) -> Self {
        License::Unknown { reason: reason.into() }
    }

    /// The expression, if the license is one.
    pub fn as_expression(&self) -> Option<&LicenseExpression> {
        match self {
            License::Expression { expression } => Some(expression),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, License::Unknown { .. })
    }

    /// Every license combined with AND (several libraries linked into one
    /// module, several annotations on one extension). Unknown wins: one
    /// unknown part makes the whole unknown; public domain parts add nothing.
    pub fn all_of(parts: impl IntoIterator<Item = License>) -> License {
        let mut expressions: Vec<LicenseExpression> = Vec::new();
        let mut public_domain = false;
        for part in parts {
            match part {
                License::Unknown { reason } => return License::Unknown { reason },
                License::PublicDomain => public_domain = true,
                License::Expression { expression } => {
                    if !expressions.contains(&expression) {
                        expressions.push(expression);
                    }
                }
            }
        }
        match LicenseExpression::and(&expressions) {
            Some(expression) => License::Expression { expression },
            None if public_domain => License::PublicDomain,
            None => License::unknown("no license was recorded"),
        }
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            License::Expression { expression } => expression.fmt(f),
            License::PublicDomain => f.write_str("public domain"),
            License::Unknown { .. } => f.write_str("unknown"),
        }
    }
}

/// How far a component's license can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Nothing usable was found.
    None,
    /// Read from free text or a heuristic (a legacy `License` field that
    /// happens to parse as SPDX).
    Low,
    /// Mapped from another vocabulary by a fixed table (Debian short names,
    /// unambiguous trove classifiers).
    Medium,
    /// Declared as SPDX by the component itself (`License-Expression`,
    /// python-build-standalone annotations, a crate's `license` field), or
    /// clarified in the configuration.
    High,
}

/// A license or notice text that ships with a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LicenseText {
    /// A short name: the file name (`LICENSE`, `copyright`), or the SPDX id
    /// for a canonical text.
    pub name: String,
    /// Where it was read from (a path, `spdx:MIT` for canonical texts).
    pub origin: String,
    pub text: String,
}

/// One thing inside the artifact, with its license and where that came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Unique within an audit: `KIND-PREFIX:NAME` (see [`ComponentKind::id_prefix`]).
    pub id: String,
    pub kind: ComponentKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub license: License,
    /// Where the license answer came from: a file and the field or stanza
    /// read (`…/METADATA License-Expression`, `/usr/share/doc/libssl3/copyright
    /// (DEP-5, Files: *)`).
    pub provenance: String,
    pub confidence: Confidence,
    /// License and notice texts found with the component, copied into notices.
    pub license_texts: Vec<LicenseText>,
    /// Copyright lines, when the source states them (DEP-5 `Copyright:`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub copyright: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// A package URL (`pkg:pypi/tqdm@4.66.5`, `pkg:cargo/zstd@0.13.3`,
    /// `pkg:deb/debian/libssl3@3.0.17-1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ids of components this one links or contains (an extension module's
    /// libraries); SBOMs turn them into relationships.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Set when the configuration overrode the license: the reason it gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clarification: Option<String>,
}

impl Component {
    /// A component with no texts, copyright, homepage or links yet.
    pub fn new(
        kind: ComponentKind,
        name: impl Into<String>,
        version: Option<String>,
        license: License,
        provenance: impl Into<String>,
        confidence: Confidence,
    ) -> Self {
        let name = name.into();
        Component {
            id: format!("{}:{name}", kind.id_prefix()),
            kind,
            name,
            version,
            license,
            provenance: provenance.into(),
            confidence,
            license_texts: Vec::new(),
            copyright: Vec::new(),
            homepage: None,
            purl: None,
            depends_on: Vec::new(),
            clarification: None,
        }
    }

    /// `Python package tqdm 4.66.5`.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(version) => format!("{} {} {version}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// What an audit is about: the product being shipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Product {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The product's own license expression, as its metadata states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Who ships it (vendor or maintainer), for SBOM suppliers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

/// Everything found inside one artifact, in report order (kind, then name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub product: Product,
    pub components: Vec<Component>,
}

impl Audit {
    /// Adds a component; one already there with the same id is kept.
    pub fn add(&mut self, component: Component) {
        if !self.components.iter().any(|c| c.id == component.id) {
            self.components.push(component);
        }
    }

    /// Sorts components into report order.
    pub fn sort(&mut self) {
        self.components
            .sort_by(|a, b| (a.kind, &a.name, &a.version).cmp(&(b.kind, &b.name, &b.version)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> License {
        License::expression(text.parse().unwrap())
    }

    #[test]
    fn all_of_combines_with_and_and_unknown_wins() {
        assert_eq!(
            License::all_of([expr("MIT"), expr("TCL"), expr("MIT")]).to_string(),
            "MIT AND TCL"
        );
        assert_eq!(
            License::all_of([expr("MIT OR Apache-2.0"), expr("Zlib")]).to_string(),
            "(MIT OR Apache-2.0) AND Zlib"
        );
        assert_eq!(License::all_of([License::PublicDomain]), License::PublicDomain);
        assert_eq!(License::all_of([License::PublicDomain, expr("MIT")]).to_string(), "MIT");
        assert!(License::all_of([expr("MIT"), License::unknown("no file")]).is_unknown());
        assert!(License::all_of([]).is_unknown());
    }

    #[test]
    fn ids_are_kind_prefixed() {
        let c = Component::new(
            ComponentKind::PythonPackage,
            "tqdm",
            Some("4.66.5".into()),
            expr("MPL-2.0 AND MIT"),
            "METADATA License",
            Confidence::Low,
        );
        assert_eq!(c.id, "python-package:tqdm");
        assert_eq!(c.describe(), "Python package tqdm 4.66.5");
    }
}
