//! The third-party notices a release ships: `THIRD-PARTY-NOTICES.txt`, its
//! HTML twin, and a `licenses/` folder with every license text as a file.
//!
//! Licenses such as MIT, BSD and Apache-2.0 ask for little, but what they ask
//! for is strict: the copyright notice and the full license text must go
//! with every copy of the software. The notices therefore list each third
//! party under its license (so a reader sees at a glance what terms apply)
//! and then print the full texts.
//!
//! Decisions, and why:
//! - **Which texts.** A component's own texts (`LICENSE`, a Debian
//!   `copyright` file) come first: they carry the authors' copyright lines,
//!   which a canonical text cannot. Only a component that ships none falls
//!   back to the canonical SPDX texts of the ids in its expression
//!   (licenses and `WITH` exceptions), from the `spdx` crate.
//! - **Deduplication.** The same Apache-2.0 text ships with dozens of crates;
//!   it is printed once, with the list of components that use it. Texts are
//!   compared by the SHA-256 of their content after normalising line endings
//!   and trailing blank space, which does not change what a text says.
//! - **Unknown licenses** are listed with the reason the audit gave and never
//!   with an invented text; texts that shipped with such a component are
//!   still printed, since they are what the authors put there.
//! - **Not third parties.** Components of kind
//!   [`ComponentKind::Application`] are the product itself and are skipped.
//! - **Determinism.** No timestamps, components sorted by kind, name,
//!   version and id, groups sorted by license, so that rebuilding the same
//!   audit gives the same bytes.
//! - **Layout** lives in the templates (`notices/THIRD-PARTY-NOTICES.*.hbs`
//!   in `oxdist-templates`); this module only builds the data. The HTML
//!   template is rendered with HTML escaping, so a package named `<script>`
//!   stays text.

use std::collections::{BTreeMap, BTreeSet};

use oxdist_templates::{Template, TemplateError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::component::{Audit, Component, ComponentKind, License};
use crate::expression::license_name;

/// Why the notices could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NoticesError {
    /// The template failed to render the data (a template out of step with
    /// this module: a bug, reported with the template's name and message).
    #[error("cannot write the third-party notices: {0}")]
    Render(#[from] TemplateError),
}

/// `THIRD-PARTY-NOTICES.txt`: the product's third-party components grouped
/// by license, then the full license texts.
pub fn notices_text(audit: &Audit) -> Result<String, NoticesError> {
    Ok(oxdist_templates::render(Template::NoticesText, &notices_data(audit))?)
}

/// `THIRD-PARTY-NOTICES.html`: the same content as [`notices_text`] as a
/// standalone web page. Every value is HTML-escaped by the template engine,
/// and homepages become links only when they are `http(s)` URLs (a
/// `javascript:` homepage stays text).
pub fn notices_html(audit: &Audit) -> Result<String, NoticesError> {
    Ok(oxdist_templates::render(Template::NoticesHtml, &notices_data(audit))?)
}

/// The `licenses/` folder for the installed tree, as `(relative path,
/// content)` pairs sorted by path.
///
/// Each distinct text is written once, content unchanged, in a folder named
/// after the first component (in report order) that ships it, under the
/// text's own name (`sniffio/LICENSE.MIT`, `libreadline8/copyright`); the
/// notices say which components use each text. Writing the same Apache
/// license once per crate would only repeat it (rpmlint reports such
/// copies as `files-duplicate`). The canonical SPDX texts the notices fall
/// back to are `spdx/<ID>.txt`.
///
/// Paths are safe to join below any directory: only ASCII letters, digits
/// and `.-_+` appear in them, no segment is empty, `.` or `..` or starts with
/// a dot, and none starts with `/`. Two components whose names sanitise to
/// the same folder (or a component named `spdx`) are told apart by their
/// kind (`foo-rust-crate`), then by a number; the same goes for two texts
/// of one component with the same sanitised name (`LICENSE-2`).
pub fn license_files(audit: &Audit) -> Vec<(String, String)> {
    let collected = Collected::new(audit);
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut folders: BTreeSet<String> = BTreeSet::from([SPDX_FOLDER.to_string()]);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for component in &collected.components {
        let new: Vec<_> = component
            .license_texts
            .iter()
            .filter(|text| !seen.contains(&content_hash(&text.text)))
            .collect();
        if new.is_empty() {
            continue;
        }
        let folder = unique_folder(component, &mut folders);
        let mut names: BTreeSet<String> = BTreeSet::new();
        for text in new {
            if !seen.insert(content_hash(&text.text)) {
                continue;
            }
            let name = unique_name(&sanitise_path(&text.name), &names);
            names.insert(name.clone());
            files.insert(format!("{folder}/{name}"), text.text.clone());
        }
    }
    for (id, canonical) in &collected.spdx_texts {
        files.insert(
            format!("{SPDX_FOLDER}/{}.txt", sanitise_segment(id)),
            format!("{}\n", canonical.text.trim_end()),
        );
    }
    files.into_iter().collect()
}

/// The folder of canonical texts in [`license_files`].
const SPDX_FOLDER: &str = "spdx";

/// A text shipped with components, kept once per content.
struct OwnText<'a> {
    /// The distinct names it shipped under, in order of first appearance.
    names: Vec<&'a str>,
    /// The normalised content.
    text: String,
    /// Indices into [`Collected::components`].
    used_by: Vec<usize>,
}

/// A canonical text from the SPDX License List (a license or an exception).
struct SpdxText {
    text: &'static str,
    used_by: Vec<usize>,
}

/// How one component's texts are found: by number among its own texts, or
/// by SPDX id; plus the ids no text could be found for.
#[derive(Default)]
struct ComponentTexts<'a> {
    /// `(index into own texts, name it shipped under)`.
    own: Vec<(usize, &'a str)>,
    spdx: Vec<&'static str>,
    missing: Vec<String>,
}

/// The third parties of an audit with their texts, deduplicated.
struct Collected<'a> {
    components: Vec<&'a Component>,
    texts: Vec<ComponentTexts<'a>>,
    own_texts: Vec<OwnText<'a>>,
    spdx_texts: BTreeMap<&'static str, SpdxText>,
}

impl<'a> Collected<'a> {
    fn new(audit: &'a Audit) -> Self {
        let components = third_parties(audit);
        let mut own_texts: Vec<OwnText<'a>> = Vec::new();
        let mut by_hash: BTreeMap<String, usize> = BTreeMap::new();
        let mut spdx_texts: BTreeMap<&'static str, SpdxText> = BTreeMap::new();
        let mut texts = Vec::with_capacity(components.len());
        for (index, component) in components.iter().enumerate() {
            let mut found = ComponentTexts::default();
            for text in &component.license_texts {
                let normalised = normalise(&text.text);
                let number = *by_hash.entry(content_hash(&normalised)).or_insert_with(|| {
                    own_texts.push(OwnText {
                        names: Vec::new(),
                        text: normalised,
                        used_by: Vec::new(),
                    });
                    own_texts.len() - 1
                });
                let entry = &mut own_texts[number];
                if !entry.names.contains(&text.name.as_str()) {
                    entry.names.push(&text.name);
                }
                if !entry.used_by.contains(&index) {
                    entry.used_by.push(index);
                }
                if !found.own.iter().any(|(n, _)| *n == number) {
                    found.own.push((number, &text.name));
                }
            }
            if component.license_texts.is_empty()
                && let License::Expression { expression } = &component.license
            {
                let (canonical, missing) = canonical_texts(expression);
                for (id, text) in canonical {
                    let entry = spdx_texts.entry(id).or_insert(SpdxText {
                        text,
                        used_by: Vec::new(),
                    });
                    if !entry.used_by.contains(&index) {
                        entry.used_by.push(index);
                    }
                    found.spdx.push(id);
                }
                found.missing = missing;
            }
            texts.push(found);
        }
        Collected {
            components,
            texts,
            own_texts,
            spdx_texts,
        }
    }
}

/// The components that are third parties, once each (the first of a
/// repeated id), in report order.
fn third_parties(audit: &Audit) -> Vec<&Component> {
    let mut seen = BTreeSet::new();
    let mut components: Vec<&Component> = audit
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::Application)
        .filter(|c| seen.insert(c.id.as_str()))
        .collect();
    components.sort_by(|a, b| (a.kind, &a.name, &a.version, &a.id).cmp(&(b.kind, &b.name, &b.version, &b.id)));
    components
}

/// The canonical texts of every license and exception id in `expression`,
/// once each in order, and the terms that have none (`LicenseRef-…`,
/// `AdditionRef-…`, which only the component itself can explain).
fn canonical_texts(expression: &crate::LicenseExpression) -> (Vec<(&'static str, &'static str)>, Vec<String>) {
    let mut texts: Vec<(&'static str, &'static str)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut add = |id: &'static str, text: &'static str, missing: &mut Vec<String>| {
        if text.trim().is_empty() {
            if !missing.iter().any(|m| m == id) {
                missing.push(id.to_string());
            }
        } else if !texts.iter().any(|(known, _)| *known == id) {
            texts.push((id, text));
        }
    };
    for req in expression.requirements() {
        match &req.license {
            spdx::LicenseItem::Spdx { id, .. } => {
                // `GPL-2.0+` is GPL-2.0-or-later; `MPL-1.1+` has no id of its
                // own and keeps MPL-1.1's text.
                let id = spdx::license_id(&license_name(req)).unwrap_or(*id);
                add(id.name, id.text(), &mut missing);
            }
            spdx::LicenseItem::Other(reference) => {
                let reference = reference.to_string();
                if !missing.contains(&reference) {
                    missing.push(reference);
                }
            }
        }
        match &req.addition {
            Some(spdx::AdditionItem::Spdx(exception)) => add(exception.name, exception.text(), &mut missing),
            Some(spdx::AdditionItem::Other(reference)) => {
                let reference = reference.to_string();
                if !missing.contains(&reference) {
                    missing.push(reference);
                }
            }
            None => {}
        }
    }
    (texts, missing)
}

/// The template data: see `templates/files/notices/`.
#[derive(Serialize)]
struct NoticesData {
    /// `NAME VERSION`.
    product: String,
    spdx_list_version: &'static str,
    groups: Vec<GroupData>,
    component_texts: Vec<TextData>,
    spdx_texts: Vec<TextData>,
}

/// The components under one license.
#[derive(Serialize)]
struct GroupData {
    /// The license's Display: an expression, `public domain` or `unknown`.
    license: String,
    public_domain: bool,
    unknown: bool,
    components: Vec<EntryData>,
}

/// One component in a group.
#[derive(Serialize)]
struct EntryData {
    /// `NAME VERSION`.
    title: String,
    /// `Python package`, `Rust crate`, …
    kind: &'static str,
    homepage: Option<String>,
    /// The homepage when it is safe to link to (`http`/`https`).
    homepage_url: Option<String>,
    copyright: Vec<String>,
    unknown_reason: Option<String>,
    /// Sentences about terms whose text could not be found.
    notes: Vec<String>,
    texts: Vec<TextRef>,
}

/// A reference from a component to a printed text.
#[derive(Serialize)]
struct TextRef {
    number: usize,
    name: String,
}

/// A printed text: numbered for references (and HTML anchors).
#[derive(Serialize)]
struct TextData {
    number: usize,
    /// The names it shipped under (`LICENSE-APACHE, LICENSE.APACHE2`), or the SPDX id.
    name: String,
    /// `NAME VERSION` of every component using it.
    used_by: Vec<String>,
    text: String,
}

fn notices_data(audit: &Audit) -> NoticesData {
    let collected = Collected::new(audit);
    let title_at = |index: usize| title(&collected.components[index].name, &collected.components[index].version);

    // Own texts are numbered first, in order of first use; the SPDX texts
    // follow, by id.
    let component_texts: Vec<TextData> = collected
        .own_texts
        .iter()
        .enumerate()
        .map(|(i, own)| TextData {
            number: i + 1,
            name: own.names.join(", "),
            used_by: own.used_by.iter().map(|&u| title_at(u)).collect(),
            text: own.text.clone(),
        })
        .collect();
    let spdx_number: BTreeMap<&str, usize> = collected
        .spdx_texts
        .keys()
        .enumerate()
        .map(|(i, id)| (*id, component_texts.len() + i + 1))
        .collect();
    let spdx_texts: Vec<TextData> = collected
        .spdx_texts
        .iter()
        .map(|(id, canonical)| TextData {
            number: spdx_number[id],
            name: id.to_string(),
            used_by: canonical.used_by.iter().map(|&u| title_at(u)).collect(),
            text: canonical.text.trim_end().to_string(),
        })
        .collect();

    let mut groups: BTreeMap<(u8, String), GroupData> = BTreeMap::new();
    for (index, component) in collected.components.iter().enumerate() {
        let found = &collected.texts[index];
        let (rank, public_domain, unknown, unknown_reason) = match &component.license {
            License::Expression { .. } => (0, false, false, None),
            License::PublicDomain => (1, true, false, None),
            License::Unknown { reason } => (2, false, true, Some(reason.clone())),
        };
        let license = component.license.to_string();
        let mut texts: Vec<TextRef> = found
            .own
            .iter()
            .map(|(number, name)| TextRef {
                number: number + 1,
                name: name.to_string(),
            })
            .collect();
        texts.extend(found.spdx.iter().map(|id| TextRef {
            number: spdx_number[id],
            name: id.to_string(),
        }));
        let notes = found
            .missing
            .iter()
            .map(|id| format!("no text for {id} shipped with this component"))
            .collect();
        let entry = EntryData {
            title: title_at(index),
            kind: component.kind.label(),
            homepage: component.homepage.clone(),
            homepage_url: component
                .homepage
                .as_deref()
                .filter(|h| is_web_url(h))
                .map(str::to_string),
            copyright: component.copyright.clone(),
            unknown_reason,
            notes,
            texts,
        };
        groups
            .entry((rank, license.clone()))
            .or_insert_with(|| GroupData {
                license,
                public_domain,
                unknown,
                components: Vec::new(),
            })
            .components
            .push(entry);
    }

    NoticesData {
        product: title(&audit.product.name, &audit.product.version),
        spdx_list_version: spdx::identifiers::VERSION,
        groups: groups.into_values().collect(),
        component_texts,
        spdx_texts,
    }
}

/// `NAME VERSION`, or `NAME` without a version.
fn title(name: &str, version: &Option<String>) -> String {
    match version {
        Some(version) if !version.is_empty() => format!("{name} {version}"),
        _ => name.to_string(),
    }
}

/// Whether `url` is an `http(s)` URL, the only kind the HTML links to.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A text with line endings and trailing blank space normalised, and no
/// blank lines at the start: the form texts are compared and printed in.
fn normalise(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.trim_end().trim_start_matches('\n').to_string()
}

/// The SHA-256 of a text's normalised content.
fn content_hash(text: &str) -> String {
    hex(&Sha256::digest(normalise(text).as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One path segment made safe: ASCII letters, digits and `.-_+` kept,
/// anything else `_`; a leading dot (hidden files, `..`) becomes `_`; never
/// empty; at most 100 bytes.
fn sanitise_segment(segment: &str) -> String {
    let mut out: String = segment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() { "_".to_string() } else { out }
}

/// A text's name made a safe relative path: its folders are kept (PEP 639
/// `licenses/…`) but empty, `.` and `..` segments dropped and each segment
/// sanitised. An empty result is `LICENSE`.
fn sanitise_path(name: &str) -> String {
    let segments: Vec<String> = name
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(sanitise_segment)
        .collect();
    if segments.is_empty() {
        "LICENSE".to_string()
    } else {
        segments.join("/")
    }
}

/// Whether `path` clashes with a taken path: the same, or one a folder of
/// the other (a file `a` and a file `a/b` cannot both exist).
fn clashes(path: &str, taken: &BTreeSet<String>) -> bool {
    taken
        .iter()
        .any(|t| t == path || t.starts_with(&format!("{path}/")) || path.starts_with(&format!("{t}/")))
}

/// `path`, or a numbered variant of it, whichever is free first. The number
/// goes before the file's extension (`LICENSE-2.txt`); when a parent folder
/// of `path` is a taken file, renaming the file cannot help, so the number
/// goes on the top folder instead (`licenses-2/LICENSE`). Both loops end:
/// each number gives a new name, and only finitely many are taken.
fn unique_name(path: &str, taken: &BTreeSet<String>) -> String {
    if !clashes(path, taken) {
        return path.to_string();
    }
    let parent_is_file = taken.iter().any(|t| path.starts_with(&format!("{t}/")));
    let numbered = |n: usize| -> String {
        if parent_is_file {
            let (top, rest) = path.split_once('/').unwrap_or((path, ""));
            return format!("{top}-{n}/{rest}");
        }
        let (folder, file) = match path.rfind('/') {
            Some(slash) => path.split_at(slash + 1),
            None => ("", path),
        };
        let (stem, extension) = match file.rfind('.') {
            Some(dot) if dot > 0 => file.split_at(dot),
            _ => (file, ""),
        };
        format!("{folder}{stem}-{n}{extension}")
    };
    (2..)
        .map(numbered)
        .find(|candidate| !clashes(candidate, taken))
        .unwrap_or_else(|| path.to_string())
}

/// The component's folder in [`license_files`]: its sanitised name, else
/// with its kind, else numbered; recorded in `taken`.
fn unique_folder(component: &Component, taken: &mut BTreeSet<String>) -> String {
    let plain = sanitise_segment(&component.name);
    let folder = if !taken.contains(&plain) {
        plain
    } else {
        let with_kind = sanitise_segment(&format!("{}-{}", component.name, component.kind.id_prefix()));
        if !taken.contains(&with_kind) {
            with_kind
        } else {
            (2..)
                .map(|n| format!("{with_kind}-{n}"))
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or(with_kind)
        }
    };
    taken.insert(folder.clone());
    folder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sanitised() {
        assert_eq!(sanitise_path("../../etc/passwd"), "etc/passwd");
        assert_eq!(sanitise_path("/abs/LICENSE"), "abs/LICENSE");
        assert_eq!(sanitise_path("licenses/LICENSE.txt"), "licenses/LICENSE.txt");
        assert_eq!(sanitise_path(".."), "LICENSE");
        assert_eq!(sanitise_path("a\\..\\b"), "a/b");
        assert_eq!(sanitise_segment(".hidden"), "_hidden");
        assert_eq!(sanitise_segment("<script>"), "_script_");
        assert_eq!(sanitise_segment("naïve"), "na_ve");
        assert_eq!(sanitise_segment(""), "_");
    }

    #[test]
    fn names_are_made_unique() {
        let taken: BTreeSet<String> = ["LICENSE.txt", "LICENSE.txt-x", "a/b"].map(String::from).into();
        assert_eq!(unique_name("LICENSE.txt", &taken), "LICENSE-2.txt");
        assert_eq!(unique_name("COPYING", &taken), "COPYING");
        assert_eq!(unique_name("a", &taken), "a-2", "a file cannot be a taken folder");
        assert_eq!(
            unique_name("a/b/c", &taken),
            "a-2/b/c",
            "a folder cannot be a taken file"
        );
        let taken: BTreeSet<String> = ["a/b", "a-2", "a-3/b/c"].map(String::from).into();
        assert_eq!(unique_name("a/b/c", &taken), "a-4/b/c");
    }

    #[test]
    fn web_urls() {
        assert!(is_web_url("https://www.python.org/"));
        assert!(is_web_url("HTTP://example.org"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("https://example.org/\" onclick=\"x"));
    }
}
