//! The license gate: which licenses may ship, which warrant a warning and
//! which stop a build.
//!
//! A [`LicensePolicy`] is the license part of the configuration. It is
//! applied in three steps, each with its own entry point so that the CLI can
//! report configuration mistakes before it has audited anything:
//!
//! 1. [`LicensePolicy::validate`], at configuration time: SPDX ids exist,
//!    exceptions and clarifications carry reasons, nothing is both allowed and
//!    denied.
//! 2. [`LicensePolicy::apply_clarifications`], once the audit is known:
//!    replaces the licenses the configuration clarifies and checks that every
//!    clarification and exception names a component that is really shipped (a
//!    stale entry would otherwise silently exempt whatever later takes the
//!    name).
//! 3. [`LicensePolicy::check`]: the [`Verdict`], one [`Finding`] per component
//!    that breaks a rule, needs a warning or is exempted.
//!
//! # How a license is judged
//!
//! Each *term* of an SPDX expression (`MIT`, `GPL-2.0-or-later WITH
//! Classpath-exception-2.0`) is acceptable when it is not in `deny`, is in
//! `allow` (when `allow` is non-empty) and its [`Family`] is not ruled
//! [`Rule::Deny`]. An expression passes when *some* choice among its `OR`
//! alternatives consists of acceptable terms only — the recipient of
//! `MIT OR GPL-2.0-only` may take it under MIT. This is deliberately not
//! PyOxidizer's `no-copyleft` filter, which drops a module as soon as *any*
//! alternative is copyleft: oxdist ships under the alternative that passes.
//!
//! A passing expression whose every acceptable choice needs a term ruled
//! [`Rule::Warn`] (weak copyleft by default) yields a warning naming those
//! terms. Families come from [`crate::expression::requirement_family`], our own
//! table: the `spdx` crate's `is_copyleft` misses Sleepycat (Berkeley DB,
//! which python-build-standalone still links into `_dbm`), EPL and the network
//! licenses, and a linking exception turns GPL into weak copyleft.
//!
//! Allow and deny entries are compared with terms exactly, after
//! normalisation: `GPL-2.0+` is `GPL-2.0-or-later`, the deprecated bare
//! `GPL-2.0` is `GPL-2.0-only` (as the SPDX list defines it). GNU versions are
//! not widened: allowing `GPL-2.0-only` does not allow `GPL-2.0-or-later`,
//! which is how cargo-deny has compared them since 0.18.4. An entry without an
//! exception covers the license with or without one (an exception only grants
//! permissions); an entry `X WITH E` covers exactly that combination.
//!
//! Unknown licenses never pass silently: [`License::Unknown`] components and
//! `LicenseRef-…` terms (whose terms no table knows) follow the `unknown` rule,
//! [`Rule::Deny`] unless the configuration chooses otherwise — except that a
//! `LicenseRef-…` listed in `allow` is accepted like any listed id.
//! [`License::PublicDomain`] always passes. The [`ComponentKind::Application`]
//! is the product itself and is not checked.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::component::{Audit, Component, ComponentKind, Confidence, License, LicenseText};
use crate::expression::{Family, LicenseExpression, family, license_name, requirement_family};

/// What the gate does with a family of licenses (or with unknowns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// Ships silently.
    Allow,
    /// Ships, and the report and the build log say so.
    Warn,
    /// Fails the gate.
    Deny,
}

impl Rule {
    /// The configuration spelling: `allow`, `warn` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Allow => "allow",
            Rule::Warn => "warn",
            Rule::Deny => "deny",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rule {
    type Err = PolicyError;

    /// Accepts `allow`, `warn` and `deny`, in any case and with surrounding
    /// blanks (configuration values are often typed by hand).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" => Ok(Rule::Allow),
            "warn" => Ok(Rule::Warn),
            "deny" => Ok(Rule::Deny),
            _ => Err(PolicyError::InvalidRule { value: s.to_string() }),
        }
    }
}

/// The configuration's own statement of a component's license, for when what
/// the component declares is missing, ambiguous or wrong (a `License: BSD`
/// field, a Debian copyright file whose catch-all stanza says GPL for a
/// library that is not). It wins over everything the audit found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Clarification {
    /// The component's name (`tqdm`, `readline`) or its id
    /// (`python-package:tqdm`) when a name is shared by several kinds.
    pub component: String,
    /// The license to record instead.
    pub expression: LicenseExpression,
    /// Why the configuration knows better; shown in reports and provenance,
    /// so that a reviewer can check it. Required.
    pub reason: String,
    /// Texts that back the clarification (the license file that was read);
    /// appended to the component's texts so that notices carry them.
    pub license_files: Vec<LicenseText>,
}

impl Clarification {
    /// A clarification without texts.
    pub fn new(component: impl Into<String>, expression: LicenseExpression, reason: impl Into<String>) -> Self {
        Clarification {
            component: component.into(),
            expression,
            reason: reason.into(),
            license_files: Vec::new(),
        }
    }
}

/// The gate's configuration. [`Default`] is the strict starting point:
/// permissive licenses pass, weak copyleft warns, strong and network copyleft
/// and unknown licenses fail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LicensePolicy {
    /// SPDX ids (or `LicenseRef-…`, or `ID WITH EXCEPTION`). When non-empty,
    /// only these are allowed; an `OR` expression passes if one alternative
    /// consists of allowed terms only.
    pub allow: Vec<String>,
    /// SPDX ids never allowed, whatever their family.
    pub deny: Vec<String>,
    /// Strong and network copyleft (GPL, AGPL, Sleepycat, EUPL, SSPL, …).
    pub copyleft: Rule,
    /// Weak copyleft (LGPL, MPL, EPL, CDDL, GPL with a linking exception).
    pub weak_copyleft: Rule,
    /// Components whose license is unknown, and `LicenseRef-…` terms not in
    /// `allow`. [`Rule::Deny`] by default: the gate never passes silently on
    /// what nobody has looked at; `warn` or `allow` must be chosen explicitly.
    pub unknown: Rule,
    /// Component name or id → why it may ship whatever its license (legal
    /// review, a separate program merely aggregated). Exempted components are
    /// listed in [`Verdict::exempted`], never in its violations.
    pub exceptions: BTreeMap<String, String>,
    /// Licenses stated by the configuration, applied by
    /// [`LicensePolicy::apply_clarifications`].
    pub clarifications: Vec<Clarification>,
}

impl Default for LicensePolicy {
    fn default() -> Self {
        LicensePolicy {
            allow: Vec::new(),
            deny: Vec::new(),
            copyleft: Rule::Deny,
            weak_copyleft: Rule::Warn,
            unknown: Rule::Deny,
            exceptions: BTreeMap::new(),
            clarifications: Vec::new(),
        }
    }
}

/// A mistake in the license policy, or a policy that does not fit the audit.
/// Every message names the offending entry and, where it can, the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("`{value}` is not a license rule; expected \"allow\", \"warn\" or \"deny\"")]
    InvalidRule { value: String },
    #[error("`{entry}` in {list} is not an SPDX license id{}", did_you_mean(.suggestions))]
    InvalidId {
        /// `allow` or `deny`.
        list: &'static str,
        entry: String,
        suggestions: Vec<String>,
    },
    #[error("`{entry}` in {list} is an expression; list each license id on its own")]
    NotAnId { list: &'static str, entry: String },
    #[error("`{id}` is both allowed (`{allowed}` in allow) and denied (`{denied}` in deny)")]
    Conflict {
        id: String,
        allowed: String,
        denied: String,
    },
    #[error("the {what} for `{component}` needs a reason")]
    MissingReason {
        /// `exception` or `clarification`.
        what: &'static str,
        component: String,
    },
    #[error("an {what} needs a component name or id")]
    MissingComponent { what: &'static str },
    #[error("the {what} for `{component}` names no component in the audit{}", did_you_mean(.suggestions))]
    NoSuchComponent {
        what: &'static str,
        component: String,
        suggestions: Vec<String>,
    },
    #[error("`{component}` is clarified more than once (by `{first}` and `{second}`); keep one clarification")]
    ClarifiedTwice {
        component: String,
        first: String,
        second: String,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("`{s}`")).collect();
            format!("; did you mean {} or `{last}`?", init.join(", "))
        }
    }
}

/// The outcome of [`LicensePolicy::check`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verdict {
    /// Components that fail the gate, in the audit's order.
    pub violations: Vec<Finding>,
    /// Components that pass only thanks to a [`Rule::Warn`].
    pub warnings: Vec<Finding>,
    /// Components the configuration exempted; the reason is the
    /// configuration's, followed by what the gate would have said (or that
    /// the license passes anyway: the exception may be stale).
    pub exempted: Vec<Finding>,
}

impl Verdict {
    /// Whether the artifact may ship: no violations (warnings do not stop it).
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// One component's entry in a [`Verdict`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The component's id (`stdlib-extension:readline`).
    pub component: String,
    /// [`Component::describe`]: `stdlib extension module readline`.
    pub description: String,
    /// The license as the report shows it.
    pub license: String,
    /// Why: the offending terms with their family and the rule that applies,
    /// e.g. `GPL-3.0-or-later is strong copyleft (copyleft = "deny")`.
    pub reason: String,
}

/// The id [`Finding::component`] takes when the policy itself is invalid
/// (see [`LicensePolicy::check`]).
pub const POLICY_FINDING: &str = "license-policy";

impl LicensePolicy {
    /// Configuration-time checks: allow and deny entries are SPDX ids (with
    /// suggestions for near misses such as `Apache2` or `bsd-3-clause`),
    /// nothing is both allowed and denied, and every exception and
    /// clarification names a component and gives a reason. Returns the first
    /// mistake.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let allow = parse_entries("allow", &self.allow)?;
        let deny = parse_entries("deny", &self.deny)?;
        for allowed in &allow {
            if let Some(denied) = deny.iter().find(|d| d.covers(&allowed.key)) {
                return Err(PolicyError::Conflict {
                    id: allowed.key.to_string(),
                    allowed: allowed.written.clone(),
                    denied: denied.written.clone(),
                });
            }
        }
        for (component, reason) in &self.exceptions {
            if component.trim().is_empty() {
                return Err(PolicyError::MissingComponent { what: "exception" });
            }
            if reason.trim().is_empty() {
                return Err(PolicyError::MissingReason {
                    what: "exception",
                    component: component.clone(),
                });
            }
        }
        for (index, clarification) in self.clarifications.iter().enumerate() {
            if clarification.component.trim().is_empty() {
                return Err(PolicyError::MissingComponent { what: "clarification" });
            }
            if clarification.reason.trim().is_empty() {
                return Err(PolicyError::MissingReason {
                    what: "clarification",
                    component: clarification.component.clone(),
                });
            }
            if let Some(earlier) = self.clarifications[..index]
                .iter()
                .find(|c| c.component.trim() == clarification.component.trim())
            {
                return Err(PolicyError::ClarifiedTwice {
                    component: clarification.component.clone(),
                    first: earlier.component.clone(),
                    second: clarification.component.clone(),
                });
            }
        }
        Ok(())
    }

    /// Checks that every clarification and exception names at least one
    /// component of `audit` (by name or id; Python package names also match
    /// in their PEP 503 normal form, `PyYAML` = `pyyaml`). An entry that
    /// matches nothing is an error, not a no-op: it is stale or misspelt, and
    /// a stale exception would silently exempt whatever later takes the name.
    /// [`LicensePolicy::apply_clarifications`] runs this.
    pub fn check_names(&self, audit: &Audit) -> Result<(), PolicyError> {
        let entries = self
            .clarifications
            .iter()
            .map(|c| ("clarification", &c.component))
            .chain(self.exceptions.keys().map(|k| ("exception", k)));
        for (what, key) in entries {
            if !audit.components.iter().any(|c| names_component(key, c)) {
                return Err(PolicyError::NoSuchComponent {
                    what,
                    component: key.clone(),
                    suggestions: similar_components(key, audit),
                });
            }
        }
        Ok(())
    }

    /// Replaces the license of every component a clarification names: the
    /// expression becomes the license with [`Confidence::High`], provenance
    /// `clarified in configuration: <reason>`,
    /// [`Component::clarification`] set to the reason, and the
    /// clarification's texts appended (once: applying twice changes nothing).
    ///
    /// Validates the policy and runs [`LicensePolicy::check_names`] first, so
    /// a clarification that matches nothing, lacks a reason or competes with
    /// another for one component is an error, and on error the audit is left
    /// untouched.
    pub fn apply_clarifications(&self, audit: &mut Audit) -> Result<(), PolicyError> {
        self.validate()?;
        self.check_names(audit)?;
        // Which clarification applies to which component, decided before
        // anything changes.
        let mut chosen: Vec<Option<usize>> = vec![None; audit.components.len()];
        for (index, clarification) in self.clarifications.iter().enumerate() {
            for (slot, component) in chosen.iter_mut().zip(&audit.components) {
                if !names_component(&clarification.component, component) {
                    continue;
                }
                if let Some(earlier) = *slot {
                    return Err(PolicyError::ClarifiedTwice {
                        component: component.id.clone(),
                        first: self.clarifications[earlier].component.clone(),
                        second: clarification.component.clone(),
                    });
                }
                *slot = Some(index);
            }
        }
        for (component, slot) in audit.components.iter_mut().zip(chosen) {
            let Some(index) = slot else { continue };
            let clarification = &self.clarifications[index];
            let reason = clarification.reason.trim().to_string();
            component.license = License::expression(clarification.expression.clone());
            component.confidence = Confidence::High;
            component.provenance = format!("clarified in configuration: {reason}");
            component.clarification = Some(reason);
            for text in &clarification.license_files {
                if !component.license_texts.contains(text) {
                    component.license_texts.push(text.clone());
                }
            }
        }
        Ok(())
    }

    /// Judges every component of `audit` (see the module documentation for
    /// the rules), in the audit's order.
    ///
    /// Never fails and never panics. It does expect [`LicensePolicy::validate`]
    /// to have passed; if it has not, the verdict carries one violation whose
    /// component is [`POLICY_FINDING`] and whose reason is the validation
    /// error, so that an invalid policy can never let a build through. Entries
    /// that do not parse are then ignored for matching.
    pub fn check(&self, audit: &Audit) -> Verdict {
        let mut verdict = Verdict::default();
        if let Err(error) = self.validate() {
            verdict.violations.push(Finding {
                component: POLICY_FINDING.to_string(),
                description: "license policy".to_string(),
                license: String::new(),
                reason: error.to_string(),
            });
        }
        let judge = Judge::new(self);
        for component in &audit.components {
            if component.kind == ComponentKind::Application {
                continue;
            }
            let outcome = judge.component(component);
            let finding = |reason: String| Finding {
                component: component.id.clone(),
                description: component.describe(),
                license: component.license.to_string(),
                reason,
            };
            if let Some((_, reason)) = self.exceptions.iter().find(|(key, _)| names_component(key, component)) {
                let reason = reason.trim();
                let reason = match outcome {
                    Outcome::Pass => format!("{reason}; the license passes without the exception"),
                    Outcome::Warn(why) | Outcome::Fail(why) => format!("{reason}; without the exception: {why}"),
                };
                verdict.exempted.push(finding(reason));
                continue;
            }
            match outcome {
                Outcome::Pass => {}
                Outcome::Warn(why) => verdict.warnings.push(finding(why)),
                Outcome::Fail(why) => verdict.violations.push(finding(why)),
            }
        }
        verdict
    }

    fn rule_for(&self, family: Family) -> (Rule, &'static str) {
        match family {
            Family::Permissive => (Rule::Allow, ""),
            Family::WeakCopyleft => (self.weak_copyleft, "weak_copyleft"),
            Family::StrongCopyleft | Family::NetworkCopyleft => (self.copyleft, "copyleft"),
        }
    }
}

/// A license term reduced to what allow and deny entries are compared on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TermKey {
    /// Strict SPDX id, GNU ids normalised to `-only` / `-or-later`.
    license: String,
    exception: Option<String>,
}

impl TermKey {
    fn of(req: &spdx::LicenseReq) -> TermKey {
        let mut license = license_name(req);
        if let spdx::LicenseItem::Spdx { id, or_later: false } = &req.license {
            // The SPDX list deprecated the bare GNU ids in favour of the
            // `-only` ones, which mean the same.
            if id.is_gnu()
                && id.is_deprecated()
                && let Some(only) = spdx::license_id(&format!("{}-only", id.name))
            {
                license = only.name.to_string();
            }
        }
        TermKey {
            license,
            exception: req.addition.as_ref().map(|a| a.to_string()),
        }
    }
}

impl fmt::Display for TermKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.exception {
            Some(exception) => write!(f, "{} WITH {exception}", self.license),
            None => f.write_str(&self.license),
        }
    }
}

/// How reports name one term: strict SPDX, deprecated GNU ids normalised
/// (`GPL-2.0+` → `GPL-2.0-or-later`), with its exception.
pub(crate) fn term_label(req: &spdx::LicenseReq) -> String {
    TermKey::of(req).to_string()
}

/// The least copyleft family a recipient can get away with: the best `OR`
/// alternative's most demanding term. `MIT OR GPL-2.0-only` is permissive,
/// `LGPL-2.1-or-later AND MIT` weak copyleft.
pub(crate) fn least_family(expression: &LicenseExpression) -> Family {
    [Family::Permissive, Family::WeakCopyleft, Family::StrongCopyleft]
        .into_iter()
        .find(|&limit| expression.evaluate(|req| requirement_family(req) <= limit))
        .unwrap_or(Family::NetworkCopyleft)
}

/// An allow or deny entry, parsed.
#[derive(Clone, Debug)]
struct Entry {
    /// As the configuration wrote it, for messages.
    written: String,
    key: TermKey,
}

impl Entry {
    /// Whether this entry names the term: same license, and the same
    /// exception unless the entry has none.
    fn covers(&self, term: &TermKey) -> bool {
        self.key.license == term.license && (self.key.exception.is_none() || self.key.exception == term.exception)
    }
}

fn parse_entries(list: &'static str, entries: &[String]) -> Result<Vec<Entry>, PolicyError> {
    entries.iter().map(|entry| parse_entry(list, entry)).collect()
}

fn parse_entry(list: &'static str, entry: &str) -> Result<Entry, PolicyError> {
    let invalid = || PolicyError::InvalidId {
        list,
        entry: entry.to_string(),
        suggestions: suggest_ids(entry),
    };
    let expression = LicenseExpression::parse(entry).map_err(|_| invalid())?;
    if expression.is_compound() {
        return Err(PolicyError::NotAnId {
            list,
            entry: entry.to_string(),
        });
    }
    let req = expression.requirements().next().ok_or_else(invalid)?;
    Ok(Entry {
        written: entry.trim().to_string(),
        key: TermKey::of(req),
    })
}

/// Likely meant ids for a string that is not one: the id it spells in
/// another case or with blanks for dashes (`bsd 3-clause`), else the
/// `spdx` crate's guess for loose names (`Apache2`, `gplv3`). A bare GNU
/// version, ambiguous since SPDX 3.0, gets both `-only` and `-or-later`.
fn suggest_ids(entry: &str) -> Vec<String> {
    let trimmed = entry.trim();
    let (base, plus) = match trimmed.strip_suffix('+') {
        Some(base) => (base, "+"),
        None => (trimmed, ""),
    };
    let spelled: String = base
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect();
    let exact = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(&spelled))
        .and_then(|l| spdx::license_id(l.name));
    let id = exact.or_else(|| spdx::imprecise_license_id(trimmed).map(|(id, _)| id));
    let Some(id) = id else {
        return Vec::new();
    };
    let bare_gnu = id.is_gnu() && id.is_deprecated() && !id.name.contains("-with-");
    match (bare_gnu, plus) {
        (true, "+") => vec![format!("{}-or-later", id.name)],
        (true, _) => ["-only", "-or-later"]
            .iter()
            .filter_map(|suffix| spdx::license_id(&format!("{}{suffix}", id.name)))
            .map(|id| id.name.to_string())
            .collect(),
        (false, plus) => vec![format!("{}{plus}", id.name)],
    }
}

/// Whether a configuration key (a name or an id) names the component.
fn names_component(key: &str, component: &Component) -> bool {
    let key = key.trim();
    if key == component.id || key == component.name {
        return true;
    }
    if component.kind == ComponentKind::PythonPackage {
        let name = key
            .strip_prefix(ComponentKind::PythonPackage.id_prefix())
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(key);
        return pep503(name) == pep503(&component.name);
    }
    false
}

use crate::python::normalize_name as pep503;

/// Component names and ids close to a key that matched nothing (a small
/// edit distance, case ignored), closest first, at most three.
fn similar_components(key: &str, audit: &Audit) -> Vec<String> {
    let key = key.trim().to_lowercase();
    let limit = (key.chars().count() / 3).max(2);
    let mut candidates: Vec<(usize, &str)> = audit
        .components
        .iter()
        .flat_map(|c| {
            // An id is only worth suggesting when the key looks like one.
            let candidate = if key.contains(':') { &c.id } else { &c.name };
            let distance = edit_distance(&key, &candidate.to_lowercase());
            (distance <= limit).then_some((distance, candidate.as_str()))
        })
        .collect();
    candidates.sort();
    candidates.dedup_by(|a, b| a.1 == b.1);
    candidates.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// What the gate makes of one term or one component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Pass,
    Warn,
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Pass,
    Warn(String),
    Fail(String),
}

/// One term's judgement: its level and, unless it passes, the sentence that
/// says why (`LGPL-3.0-only is not in allow`).
#[derive(Clone, Debug)]
struct TermVerdict {
    level: Level,
    message: String,
}

/// The policy with its entries parsed once.
struct Judge<'p> {
    policy: &'p LicensePolicy,
    allow: Vec<Entry>,
    deny: Vec<Entry>,
}

/// Above this many alternatives, explanations stop enumerating them (some
/// crates' generated expressions multiply out to thousands); the verdict
/// itself never depends on it.
const MAX_ALTERNATIVES: usize = 256;

impl<'p> Judge<'p> {
    fn new(policy: &'p LicensePolicy) -> Self {
        let parse = |list, entries: &[String]| entries.iter().filter_map(|e| parse_entry(list, e).ok()).collect();
        Judge {
            policy,
            allow: parse("allow", &policy.allow),
            deny: parse("deny", &policy.deny),
        }
    }

    fn component(&self, component: &Component) -> Outcome {
        let policy = self.policy;
        match &component.license {
            License::PublicDomain => Outcome::Pass,
            License::Unknown { reason } => match policy.unknown {
                Rule::Allow => Outcome::Pass,
                Rule::Warn => Outcome::Warn(format!(
                    "license unknown: {reason} (unknown = \"warn\"; clarify it to settle it)"
                )),
                Rule::Deny => Outcome::Fail(format!(
                    "license unknown: {reason} (unknown = \"deny\"; clarify it or set unknown = \"warn\")"
                )),
            },
            License::Expression { expression } => self.expression(expression),
        }
    }

    fn term(&self, req: &spdx::LicenseReq) -> TermVerdict {
        let policy = self.policy;
        let key = TermKey::of(req);
        let mut fail: Vec<String> = Vec::new();
        let mut warn: Vec<String> = Vec::new();
        if self.deny.iter().any(|e| e.covers(&key)) {
            fail.push("denied".to_string());
        }
        let allowed = self.allow.iter().any(|e| e.covers(&key));
        if !self.allow.is_empty() && !allowed {
            fail.push("not in allow".to_string());
        }
        if matches!(req.license, spdx::LicenseItem::Other(_)) && self.allow.is_empty() {
            let phrase = format!(
                "not on the SPDX list, so its terms are unknown (unknown = \"{}\"{})",
                policy.unknown,
                match policy.unknown {
                    Rule::Deny => "; exempt the component or set unknown = \"warn\"",
                    _ => "",
                }
            );
            match policy.unknown {
                Rule::Allow => {}
                Rule::Warn => warn.push(phrase),
                Rule::Deny => fail.push(phrase),
            }
        }
        let family_of_term = requirement_family(req);
        let (rule, setting) = policy.rule_for(family_of_term);
        if rule != Rule::Allow {
            let relaxed = family(&key.license) > family_of_term;
            let mut phrase = format!(
                "{family_of_term}{} ({setting} = \"{rule}\"",
                if relaxed { " through its linking exception" } else { "" }
            );
            if rule == Rule::Deny && allowed {
                phrase.push_str(", which overrides allow");
            }
            phrase.push(')');
            if rule == Rule::Deny {
                fail.push(phrase);
            } else {
                warn.push(phrase);
            }
        }
        let (level, phrases) = if !fail.is_empty() {
            (Level::Fail, fail)
        } else if !warn.is_empty() {
            (Level::Warn, warn)
        } else {
            (Level::Pass, Vec::new())
        };
        TermVerdict {
            level,
            message: format!("{key} is {}", join_phrases(&phrases)),
        }
    }

    fn expression(&self, expression: &LicenseExpression) -> Outcome {
        // The verdict comes from the spdx crate's evaluation of the OR/AND
        // tree; the alternatives below only explain it.
        if expression.evaluate(|req| self.term(req).level == Level::Pass) {
            return Outcome::Pass;
        }
        let passes_with_warnings = expression.evaluate(|req| self.term(req).level <= Level::Warn);
        let alternatives = alternatives(expression.parsed(), MAX_ALTERNATIVES);
        let judged: Option<Vec<Vec<TermVerdict>>> = alternatives.map(|alternatives| {
            alternatives
                .iter()
                .map(|terms| terms.iter().map(|req| self.term(req)).collect())
                .collect()
        });
        if passes_with_warnings {
            // The alternative with the fewest warnings, the first on a tie.
            let messages: Vec<String> = match &judged {
                Some(judged) => judged
                    .iter()
                    .filter(|terms| terms.iter().all(|t| t.level <= Level::Warn))
                    .min_by_key(|terms| terms.iter().filter(|t| t.level == Level::Warn).count())
                    .map(|terms| messages_at(terms.iter(), Level::Warn))
                    .unwrap_or_default(),
                None => self.all_terms_at(expression, Level::Warn),
            };
            return Outcome::Warn(messages.join("; "));
        }
        let (messages, several) = match &judged {
            Some(judged) => (messages_at(judged.iter().flatten(), Level::Fail), judged.len() > 1),
            None => (self.all_terms_at(expression, Level::Fail), true),
        };
        let messages = messages.join("; ");
        Outcome::Fail(if several {
            format!("no alternative is acceptable: {messages}")
        } else {
            messages
        })
    }

    /// Messages of every term at `level`, once each, in expression order.
    fn all_terms_at(&self, expression: &LicenseExpression, level: Level) -> Vec<String> {
        let terms: Vec<TermVerdict> = expression.requirements().map(|req| self.term(req)).collect();
        messages_at(terms.iter(), level)
    }
}

fn messages_at<'a>(terms: impl Iterator<Item = &'a TermVerdict>, level: Level) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    for term in terms {
        if term.level == level && !messages.contains(&term.message) {
            messages.push(term.message.clone());
        }
    }
    messages
}

/// `a`, `a and b`, `a, b and c`.
fn join_phrases(phrases: &[String]) -> String {
    match phrases {
        [] => "acceptable".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The expression's `OR` alternatives, each the list of terms it needs
/// (disjunctive normal form), left to right; `None` when there would be more
/// than `limit`.
fn alternatives(parsed: &spdx::Expression, limit: usize) -> Option<Vec<Vec<&spdx::LicenseReq>>> {
    use spdx::expression::{ExprNode, Operator};
    let mut stack: Vec<Vec<Vec<&spdx::LicenseReq>>> = Vec::new();
    for node in parsed.iter() {
        match node {
            ExprNode::Req(req) => stack.push(vec![vec![&req.req]]),
            ExprNode::Op(op) => {
                let right = stack.pop()?;
                let left = stack.pop()?;
                let combined = match op {
                    Operator::Or => {
                        let mut both = left;
                        both.extend(right);
                        both
                    }
                    Operator::And => {
                        if left.len().saturating_mul(right.len()) > limit {
                            return None;
                        }
                        let mut product = Vec::with_capacity(left.len() * right.len());
                        for l in &left {
                            for r in &right {
                                let mut terms = l.clone();
                                for req in r {
                                    if !terms.contains(req) {
                                        terms.push(req);
                                    }
                                }
                                product.push(terms);
                            }
                        }
                        product
                    }
                };
                if combined.len() > limit {
                    return None;
                }
                stack.push(combined);
            }
        }
    }
    let result = stack.pop()?;
    stack.is_empty().then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Component;

    fn expr(text: &str) -> LicenseExpression {
        LicenseExpression::parse(text).unwrap()
    }

    fn component(kind: ComponentKind, name: &str, license: License) -> Component {
        Component::new(kind, name, Some("1.0".into()), license, "test", Confidence::High)
    }

    fn package(name: &str, license: &str) -> Component {
        component(ComponentKind::PythonPackage, name, License::expression(expr(license)))
    }

    fn audit(components: Vec<Component>) -> Audit {
        Audit {
            product: Default::default(),
            components,
        }
    }

    /// The reason for one package's license under `policy`, tagged with
    /// where it landed.
    fn judge(policy: &LicensePolicy, license: &str) -> (&'static str, String) {
        let verdict = policy.check(&audit(vec![package("p", license)]));
        if let Some(f) = verdict.violations.first() {
            ("violation", f.reason.clone())
        } else if let Some(f) = verdict.warnings.first() {
            ("warning", f.reason.clone())
        } else {
            ("pass", String::new())
        }
    }

    #[test]
    fn rules_parse_and_print() {
        assert_eq!("deny".parse::<Rule>().unwrap(), Rule::Deny);
        assert_eq!(" Warn ".parse::<Rule>().unwrap(), Rule::Warn);
        assert_eq!("allow".parse::<Rule>().unwrap().to_string(), "allow");
        let err = "forbid".parse::<Rule>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`forbid` is not a license rule; expected \"allow\", \"warn\" or \"deny\""
        );
    }

    #[test]
    fn default_is_strict() {
        let policy = LicensePolicy::default();
        assert_eq!(
            (policy.copyleft, policy.weak_copyleft, policy.unknown),
            (Rule::Deny, Rule::Warn, Rule::Deny)
        );
        assert!(policy.validate().is_ok());
    }

    #[test]
    fn or_passes_through_an_acceptable_alternative() {
        let policy = LicensePolicy::default();
        assert_eq!(judge(&policy, "MIT OR GPL-2.0-only").0, "pass");
        assert_eq!(judge(&policy, "GPL-2.0-only OR MIT").0, "pass");
        assert_eq!(
            judge(&policy, "MPL-2.0 OR GPL-3.0-only"),
            ("warning", "MPL-2.0 is weak copyleft (weak_copyleft = \"warn\")".into())
        );
        // The alternative with fewer warnings wins.
        assert_eq!(
            judge(&policy, "(LGPL-2.1-only AND MPL-2.0) OR (EPL-2.0 AND MIT)"),
            ("warning", "EPL-2.0 is weak copyleft (weak_copyleft = \"warn\")".into())
        );
    }

    #[test]
    fn failing_alternatives_are_each_explained() {
        let policy = LicensePolicy {
            deny: vec!["MIT".into()],
            ..Default::default()
        };
        assert_eq!(
            judge(&policy, "MIT OR GPL-2.0-only"),
            (
                "violation",
                "no alternative is acceptable: MIT is denied; GPL-2.0-only is strong copyleft (copyleft = \"deny\")"
                    .into()
            )
        );
        // One alternative: just its problems, each term once.
        assert_eq!(
            judge(&LicensePolicy::default(), "MIT AND GPL-3.0-only AND AGPL-3.0-only"),
            (
                "violation",
                "GPL-3.0-only is strong copyleft (copyleft = \"deny\"); \
                 AGPL-3.0-only is network copyleft (copyleft = \"deny\")"
                    .into()
            )
        );
        // A term with several problems says all of them.
        let policy = LicensePolicy {
            allow: vec!["MIT".into()],
            deny: vec!["GPL-3.0-only".into()],
            ..Default::default()
        };
        assert_eq!(
            judge(&policy, "GPL-3.0-only"),
            (
                "violation",
                "GPL-3.0-only is denied, not in allow and strong copyleft (copyleft = \"deny\")".into()
            )
        );
    }

    #[test]
    fn linking_exceptions_relax_gpl() {
        let policy = LicensePolicy::default();
        assert_eq!(
            judge(&policy, "GPL-2.0-or-later WITH Classpath-exception-2.0"),
            (
                "warning",
                "GPL-2.0-or-later WITH Classpath-exception-2.0 is weak copyleft through its linking exception \
                 (weak_copyleft = \"warn\")"
                    .into()
            )
        );
    }

    #[test]
    fn allow_does_not_override_a_denied_family() {
        let policy = LicensePolicy {
            allow: vec!["MIT".into(), "GPL-3.0-or-later".into()],
            ..Default::default()
        };
        assert_eq!(
            judge(&policy, "GPL-3.0-or-later"),
            (
                "violation",
                "GPL-3.0-or-later is strong copyleft (copyleft = \"deny\", which overrides allow)".into()
            )
        );
        let policy = LicensePolicy {
            copyleft: Rule::Allow,
            ..policy
        };
        assert_eq!(judge(&policy, "GPL-3.0-or-later").0, "pass");
    }

    #[test]
    fn entries_match_normalised_terms() {
        let policy = LicensePolicy {
            allow: vec!["GPL-2.0".into(), "LGPL-2.1+".into(), "Apache-2.0".into()],
            copyleft: Rule::Allow,
            weak_copyleft: Rule::Allow,
            ..Default::default()
        };
        assert!(policy.validate().is_ok());
        // Deprecated bare GNU ids mean -only; `+` means -or-later.
        assert_eq!(judge(&policy, "GPL-2.0-only").0, "pass");
        assert_eq!(judge(&policy, "GPL-2.0").0, "pass");
        assert_eq!(judge(&policy, "LGPL-2.1-or-later").0, "pass");
        // GNU versions are not widened.
        assert_eq!(
            judge(&policy, "GPL-2.0-or-later"),
            ("violation", "GPL-2.0-or-later is not in allow".into())
        );
        // An entry without exception covers the license with one.
        assert_eq!(judge(&policy, "Apache-2.0 WITH LLVM-exception").0, "pass");

        let policy = LicensePolicy {
            allow: vec!["Apache-2.0 WITH LLVM-exception".into()],
            ..Default::default()
        };
        assert_eq!(judge(&policy, "Apache-2.0 WITH LLVM-exception").0, "pass");
        assert_eq!(
            judge(&policy, "Apache-2.0"),
            ("violation", "Apache-2.0 is not in allow".into())
        );
    }

    #[test]
    fn license_refs_follow_the_unknown_rule_unless_allowed() {
        let policy = LicensePolicy::default();
        assert_eq!(
            judge(&policy, "LicenseRef-Proprietary"),
            (
                "violation",
                "LicenseRef-Proprietary is not on the SPDX list, so its terms are unknown (unknown = \"deny\"; \
                 exempt the component or set unknown = \"warn\")"
                    .into()
            )
        );
        let warn = LicensePolicy {
            unknown: Rule::Warn,
            ..Default::default()
        };
        assert_eq!(judge(&warn, "LicenseRef-Proprietary").0, "warning");
        assert_eq!(judge(&policy, "LicenseRef-Proprietary OR MIT").0, "pass");
        let listed = LicensePolicy {
            allow: vec!["LicenseRef-Proprietary".into(), "MIT".into()],
            ..Default::default()
        };
        assert_eq!(judge(&listed, "LicenseRef-Proprietary AND MIT").0, "pass");
        assert_eq!(
            judge(&listed, "LicenseRef-Other"),
            ("violation", "LicenseRef-Other is not in allow".into())
        );
    }

    #[test]
    fn unknown_and_public_domain() {
        let unknown = |policy: &LicensePolicy| {
            policy.check(&audit(vec![component(
                ComponentKind::Library,
                "libx",
                License::unknown("no copyright file"),
            )]))
        };
        let verdict = unknown(&LicensePolicy::default());
        assert_eq!(
            verdict.violations[0].reason,
            "license unknown: no copyright file (unknown = \"deny\"; clarify it or set unknown = \"warn\")"
        );
        assert_eq!(verdict.violations[0].license, "unknown");
        let warn = unknown(&LicensePolicy {
            unknown: Rule::Warn,
            ..Default::default()
        });
        assert!(warn.passed());
        assert_eq!(warn.warnings.len(), 1);
        let allow = unknown(&LicensePolicy {
            unknown: Rule::Allow,
            ..Default::default()
        });
        assert_eq!(allow, Verdict::default());

        let strict = LicensePolicy {
            allow: vec!["MIT".into()],
            deny: vec!["Apache-2.0".into()],
            ..Default::default()
        };
        let pd = component(ComponentKind::StdlibExtension, "_sqlite3", License::PublicDomain);
        assert_eq!(strict.check(&audit(vec![pd])), Verdict::default());
    }

    #[test]
    fn applications_are_not_checked() {
        let app = component(
            ComponentKind::Application,
            "app",
            License::expression(expr("LicenseRef-Proprietary")),
        );
        assert_eq!(LicensePolicy::default().check(&audit(vec![app])), Verdict::default());
    }

    #[test]
    fn exceptions_exempt_and_say_what_they_hide() {
        let policy = LicensePolicy {
            exceptions: BTreeMap::from([
                ("gpl-thing".to_string(), "legal approved it".to_string()),
                ("python-package:fine".to_string(), "pinned".to_string()),
            ]),
            ..Default::default()
        };
        let verdict = policy.check(&audit(vec![
            package("gpl-thing", "GPL-3.0-only"),
            package("fine", "MIT"),
        ]));
        assert!(verdict.passed());
        assert_eq!(
            verdict.exempted.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>(),
            [
                "legal approved it; without the exception: GPL-3.0-only is strong copyleft (copyleft = \"deny\")",
                "pinned; the license passes without the exception",
            ]
        );
    }

    #[test]
    fn python_package_names_match_in_normal_form() {
        let c = package("PyYAML", "MIT");
        assert!(names_component("pyyaml", &c));
        assert!(names_component("python-package:pyyaml", &c));
        assert!(names_component("python-package:PyYAML", &c));
        assert!(
            !names_component("python-package:py_yaml", &c),
            "PEP 503 keeps word breaks"
        );
        assert!(!names_component("yaml", &c));
        let lib = component(ComponentKind::Library, "libssl3", License::PublicDomain);
        assert!(names_component("library:libssl3", &lib));
        assert!(!names_component("LIBSSL3", &lib), "only Python names are normalised");
        assert_eq!(pep503("Foo__Bar.baz"), "foo-bar-baz");
    }

    #[test]
    fn invalid_ids_are_named_with_suggestions() {
        let cases = [
            (
                "Apache2",
                "`Apache2` in allow is not an SPDX license id; did you mean `Apache-2.0`?",
            ),
            (
                "bsd 3-clause",
                "`bsd 3-clause` in allow is not an SPDX license id; did you mean `BSD-3-Clause`?",
            ),
            ("mit", "`mit` in allow is not an SPDX license id; did you mean `MIT`?"),
            (
                "gplv3",
                "`gplv3` in allow is not an SPDX license id; did you mean `GPL-3.0-only`?",
            ),
            (
                "gpl-2.0+",
                "`gpl-2.0+` in allow is not an SPDX license id; did you mean `GPL-2.0-or-later`?",
            ),
            (
                "lgpl-2.1",
                "`lgpl-2.1` in allow is not an SPDX license id; did you mean `LGPL-2.1-only` or `LGPL-2.1-or-later`?",
            ),
            ("Frobnicate-1.0", "`Frobnicate-1.0` in allow is not an SPDX license id"),
            ("", "`` in allow is not an SPDX license id"),
        ];
        for (entry, message) in cases {
            let policy = LicensePolicy {
                allow: vec![entry.into()],
                ..Default::default()
            };
            assert_eq!(policy.validate().unwrap_err().to_string(), message, "{entry}");
        }
        let policy = LicensePolicy {
            deny: vec!["MIT OR Apache-2.0".into()],
            ..Default::default()
        };
        assert_eq!(
            policy.validate().unwrap_err().to_string(),
            "`MIT OR Apache-2.0` in deny is an expression; list each license id on its own"
        );
    }

    #[test]
    fn conflicts_compare_normalised_ids() {
        let policy = LicensePolicy {
            allow: vec!["GPL-2.0+".into()],
            deny: vec!["GPL-2.0-or-later".into()],
            ..Default::default()
        };
        assert_eq!(
            policy.validate().unwrap_err(),
            PolicyError::Conflict {
                id: "GPL-2.0-or-later".into(),
                allowed: "GPL-2.0+".into(),
                denied: "GPL-2.0-or-later".into(),
            }
        );
        // Denying a license denies it with any exception.
        let policy = LicensePolicy {
            allow: vec!["Apache-2.0 WITH LLVM-exception".into()],
            deny: vec!["Apache-2.0".into()],
            ..Default::default()
        };
        assert!(matches!(policy.validate(), Err(PolicyError::Conflict { .. })));
        // … but denying one combination leaves the plain license alone.
        let policy = LicensePolicy {
            allow: vec!["Apache-2.0".into()],
            deny: vec!["Apache-2.0 WITH LLVM-exception".into()],
            ..Default::default()
        };
        assert!(policy.validate().is_ok());
    }

    #[test]
    fn an_invalid_policy_fails_the_gate() {
        let policy = LicensePolicy {
            deny: vec!["Nope".into()],
            ..Default::default()
        };
        let verdict = policy.check(&audit(vec![package("p", "MIT")]));
        assert!(!verdict.passed());
        assert_eq!(verdict.violations[0].component, POLICY_FINDING);
        assert_eq!(verdict.violations[0].reason, "`Nope` in deny is not an SPDX license id");
    }

    #[test]
    fn clarifications_replace_licenses_atomically() {
        let text = LicenseText {
            name: "LICENSE".into(),
            origin: "vendor/LICENSE".into(),
            text: "BSD".into(),
        };
        let mut clarification = Clarification::new("a", expr("BSD-3-Clause"), "  read the LICENSE file ");
        clarification.license_files.push(text.clone());
        let policy = LicensePolicy {
            clarifications: vec![clarification],
            ..Default::default()
        };
        let mut audit = audit(vec![
            component(ComponentKind::PythonPackage, "a", License::unknown("License: BSD-like")),
            package("b", "MIT"),
        ]);
        policy.apply_clarifications(&mut audit).unwrap();
        policy.apply_clarifications(&mut audit).unwrap();
        let a = &audit.components[0];
        assert_eq!(a.license.to_string(), "BSD-3-Clause");
        assert_eq!(a.confidence, Confidence::High);
        assert_eq!(a.provenance, "clarified in configuration: read the LICENSE file");
        assert_eq!(a.clarification.as_deref(), Some("read the LICENSE file"));
        assert_eq!(a.license_texts, [text], "texts are appended once");
        assert_eq!(audit.components[1], package("b", "MIT"));

        // Two clarifications of one component (by name and by id): an
        // error, and nothing changes.
        let twice = LicensePolicy {
            clarifications: vec![
                Clarification::new("b", expr("Apache-2.0"), "x"),
                Clarification::new("python-package:b", expr("Zlib"), "y"),
            ],
            ..Default::default()
        };
        let before = audit.clone();
        assert_eq!(
            twice.apply_clarifications(&mut audit).unwrap_err().to_string(),
            "`python-package:b` is clarified more than once (by `b` and `python-package:b`); keep one clarification"
        );
        assert_eq!(audit, before);
    }

    #[test]
    fn names_that_match_nothing_are_errors_with_suggestions() {
        let audit = audit(vec![package("requests", "Apache-2.0"), package("urllib3", "MIT")]);
        let policy = LicensePolicy {
            exceptions: BTreeMap::from([("reqests".to_string(), "why".to_string())]),
            ..Default::default()
        };
        assert_eq!(
            policy.check_names(&audit).unwrap_err().to_string(),
            "the exception for `reqests` names no component in the audit; did you mean `requests`?"
        );
        let policy = LicensePolicy {
            clarifications: vec![Clarification::new("numpy", expr("BSD-3-Clause"), "why")],
            ..Default::default()
        };
        let mut copy = audit.clone();
        assert_eq!(
            policy.apply_clarifications(&mut copy).unwrap_err().to_string(),
            "the clarification for `numpy` names no component in the audit"
        );
    }

    #[test]
    fn alternatives_multiply_out() {
        let e = expr("(MIT OR Apache-2.0) AND (Zlib OR ISC) AND MIT");
        let alts = alternatives(e.parsed(), 16).unwrap();
        let text: Vec<String> = alts
            .iter()
            .map(|a| a.iter().map(|r| term_label(r)).collect::<Vec<_>>().join(" AND "))
            .collect();
        assert_eq!(
            text,
            [
                "MIT AND Zlib",
                "MIT AND ISC",
                "Apache-2.0 AND Zlib AND MIT",
                "Apache-2.0 AND ISC AND MIT"
            ]
        );
        assert!(alternatives(e.parsed(), 3).is_none());
    }

    #[test]
    fn huge_expressions_are_still_judged() {
        // 2^10 alternatives: beyond the explanation limit.
        let text = (0..10)
            .map(|_| "(MIT OR GPL-3.0-only)")
            .collect::<Vec<_>>()
            .join(" AND ");
        assert_eq!(judge(&LicensePolicy::default(), &text).0, "pass");
        let text = (0..10)
            .map(|_| "(MPL-2.0 OR GPL-3.0-only)")
            .collect::<Vec<_>>()
            .join(" AND ");
        assert_eq!(
            judge(&LicensePolicy::default(), &text),
            ("warning", "MPL-2.0 is weak copyleft (weak_copyleft = \"warn\")".into())
        );
        let text = (0..10)
            .map(|_| "(AGPL-3.0-only OR GPL-3.0-only)")
            .collect::<Vec<_>>()
            .join(" AND ");
        assert_eq!(
            judge(&LicensePolicy::default(), &text),
            (
                "violation",
                "no alternative is acceptable: AGPL-3.0-only is network copyleft (copyleft = \"deny\"); \
                 GPL-3.0-only is strong copyleft (copyleft = \"deny\")"
                    .into()
            )
        );
    }

    #[test]
    fn least_family_takes_the_best_alternative() {
        assert_eq!(least_family(&expr("MIT OR GPL-2.0-only")), Family::Permissive);
        assert_eq!(least_family(&expr("LGPL-2.1-or-later AND MIT")), Family::WeakCopyleft);
        assert_eq!(least_family(&expr("Sleepycat")), Family::StrongCopyleft);
        assert_eq!(
            least_family(&expr("AGPL-3.0-only OR SSPL-1.0")),
            Family::NetworkCopyleft
        );
    }
}
