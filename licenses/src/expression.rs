//! SPDX license expressions and what kind of obligations their licenses carry.
//!
//! [`LicenseExpression`] wraps the `spdx` crate's parser: strict SPDX syntax
//! and ids (deprecated ids such as `GPL-2.0+` are accepted, since old
//! metadata uses them), or a lax mode for the free-form fields of older
//! ecosystems (`MIT/Apache-2.0` in crates). [`family`] sorts a license id into
//! permissive, weak, strong or network copyleft with a table of our own: the
//! `spdx` crate's `is_copyleft` is a name-prefix heuristic that misses
//! Sleepycat, EPL and the network licenses, and does not tell weak from strong.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Why text is not a license expression. The message quotes the text and
/// marks the offending span.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpressionError {
    pub text: String,
    pub message: String,
}

/// A valid SPDX license expression, kept as written (trimmed).
#[derive(Clone)]
pub struct LicenseExpression {
    text: String,
    parsed: spdx::Expression,
}

/// Strict syntax and ids; deprecated ids (`GPL-2.0`, `GPL-2.0+`) allowed.
const STRICT: spdx::ParseMode = spdx::ParseMode {
    allow_deprecated: true,
    allow_postfix_plus_on_gpl: true,
    ..spdx::ParseMode::STRICT
};

impl LicenseExpression {
    /// Parses an SPDX expression (`MIT`, `Apache-2.0 OR BSD-2-Clause`,
    /// `GPL-2.0-only WITH Classpath-exception-2.0`, `LicenseRef-Proprietary`).
    pub fn parse(text: &str) -> Result<Self, ExpressionError> {
        Self::parse_with(text, STRICT)
    }

    /// Parses leniently: `/` as OR, imprecise names (`Apache 2`, `BSD`) mapped
    /// to ids, `+` on GNU ids. For crates' `license` fields and legacy text;
    /// the result is normalised to strict SPDX.
    pub fn parse_lax(text: &str) -> Result<Self, ExpressionError> {
        let lax = Self::parse_with(text, spdx::ParseMode::LAX)?;
        // Re-render from the parsed form so that the text is valid SPDX.
        let normalised = render(&lax.parsed);
        Self::parse_with(&normalised, STRICT).or(Ok(lax))
    }

    fn parse_with(text: &str, mode: spdx::ParseMode) -> Result<Self, ExpressionError> {
        let trimmed = text.trim();
        match spdx::Expression::parse_mode(trimmed, mode) {
            Ok(parsed) => Ok(Self {
                text: trimmed.to_string(),
                parsed,
            }),
            Err(e) => Err(ExpressionError {
                text: trimmed.to_string(),
                message: format!("not an SPDX license expression: {e}"),
            }),
        }
    }

    /// The expression's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed form.
    pub fn parsed(&self) -> &spdx::Expression {
        &self.parsed
    }

    /// Every license term, in order, with its exception if any
    /// (`GPL-2.0-only WITH Classpath-exception-2.0`).
    pub fn requirements(&self) -> impl Iterator<Item = &spdx::LicenseReq> {
        self.parsed.requirements().map(|r| &r.req)
    }

    /// Whether some choice among its OR branches satisfies `allowed`.
    pub fn evaluate(&self, allowed: impl FnMut(&spdx::LicenseReq) -> bool) -> bool {
        self.parsed.evaluate(allowed)
    }

    /// Whether it has more than one term.
    pub fn is_compound(&self) -> bool {
        self.parsed.requirements().nth(1).is_some()
    }

    /// `a AND b AND …`, parenthesising compound parts; `None` for no parts.
    pub fn and(parts: &[LicenseExpression]) -> Option<LicenseExpression> {
        match parts {
            [] => None,
            [one] => Some(one.clone()),
            _ => {
                let text = parts
                    .iter()
                    .map(|p| {
                        if p.has_or() {
                            format!("({})", p.text)
                        } else {
                            p.text.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ");
                Some(Self::parse(&text).expect("valid expressions joined with AND are valid"))
            }
        }
    }

    fn has_or(&self) -> bool {
        self.parsed
            .iter()
            .any(|node| matches!(node, spdx::expression::ExprNode::Op(spdx::expression::Operator::Or)))
    }
}

/// Renders a parsed expression in strict SPDX (GNU `+` → `-or-later`).
fn render(parsed: &spdx::Expression) -> String {
    use spdx::expression::{ExprNode, Operator};
    // The nodes are in postfix order; rebuild with parentheses where an OR
    // sits under an AND.
    let mut stack: Vec<(String, Option<Operator>)> = Vec::new();
    for node in parsed.iter() {
        match node {
            ExprNode::Req(req) => stack.push((requirement_text(&req.req), None)),
            ExprNode::Op(op) => {
                let (right, right_op) = stack.pop().expect("postfix operands");
                let (left, left_op) = stack.pop().expect("postfix operands");
                let wrap = |text: String, inner: Option<Operator>| {
                    if *op == Operator::And && inner == Some(Operator::Or) {
                        format!("({text})")
                    } else {
                        text
                    }
                };
                let keyword = if *op == Operator::And { "AND" } else { "OR" };
                stack.push((
                    format!("{} {keyword} {}", wrap(left, left_op), wrap(right, right_op)),
                    Some(*op),
                ));
            }
        }
    }
    stack.pop().map(|(text, _)| text).unwrap_or_default()
}

/// One term in strict SPDX: `Apache-2.0`, `GPL-2.0-or-later`, `MPL-1.1+`.
fn requirement_text(req: &spdx::LicenseReq) -> String {
    let license = match &req.license {
        spdx::LicenseItem::Spdx { id, or_later: true } if id.is_gnu() => {
            let base = id.name.trim_end_matches("-only").trim_end_matches("-or-later");
            match spdx::license_id(&format!("{base}-or-later")) {
                Some(later) => later.name.to_string(),
                None => format!("{}+", id.name),
            }
        }
        other => other.to_string(),
    };
    match &req.addition {
        Some(addition) => format!("{license} WITH {addition}"),
        None => license,
    }
}

impl FromStr for LicenseExpression {
    type Err = ExpressionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for LicenseExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for LicenseExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LicenseExpression({:?})", self.text)
    }
}

impl PartialEq for LicenseExpression {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for LicenseExpression {}

impl Serialize for LicenseExpression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// The obligations a license brings to a binary that links the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Notices only (MIT, BSD, Apache-2.0, Zlib, PSF, …) and anything not
    /// known to be copyleft.
    Permissive,
    /// File- or library-scoped copyleft: the covered code's source must be
    /// offered, the rest of the program is free (LGPL, MPL, EPL, CDDL, …),
    /// and GPL with a linking exception.
    WeakCopyleft,
    /// The whole combined program must be offered under the license (GPL,
    /// EUPL, OSL, Sleepycat — which requires the source of software that
    /// uses Berkeley DB).
    StrongCopyleft,
    /// Strong copyleft that also reaches users over a network (AGPL, SSPL, RPL).
    NetworkCopyleft,
}

impl Family {
    pub fn label(self) -> &'static str {
        match self {
            Family::Permissive => "permissive",
            Family::WeakCopyleft => "weak copyleft",
            Family::StrongCopyleft => "strong copyleft",
            Family::NetworkCopyleft => "network copyleft",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// License id prefixes by family; the longest matching prefix decides.
const FAMILIES: &[(&str, Family)] = &[
    ("AGPL-", Family::NetworkCopyleft),
    ("SSPL-", Family::NetworkCopyleft),
    ("RPL-", Family::NetworkCopyleft),
    ("CPAL-", Family::NetworkCopyleft),
    ("OSL-", Family::StrongCopyleft),
    ("GPL-", Family::StrongCopyleft),
    ("EUPL-", Family::StrongCopyleft),
    ("Sleepycat", Family::StrongCopyleft),
    ("CECILL-1", Family::StrongCopyleft),
    ("CECILL-2", Family::StrongCopyleft),
    ("CC-BY-SA-", Family::StrongCopyleft),
    ("CC-BY-NC-SA-", Family::StrongCopyleft),
    ("GFDL-", Family::StrongCopyleft),
    ("QPL-", Family::StrongCopyleft),
    ("Parity-", Family::StrongCopyleft),
    ("LGPL-", Family::WeakCopyleft),
    ("LGPLLR", Family::WeakCopyleft),
    ("MPL-", Family::WeakCopyleft),
    ("EPL-", Family::WeakCopyleft),
    ("CPL-", Family::WeakCopyleft),
    ("CDDL-", Family::WeakCopyleft),
    ("MS-RL", Family::WeakCopyleft),
    ("NPL-", Family::WeakCopyleft),
    ("CECILL-C", Family::WeakCopyleft),
    ("APSL-", Family::WeakCopyleft),
    ("ErlPL-", Family::WeakCopyleft),
    ("IPL-", Family::WeakCopyleft),
    ("SPL-", Family::WeakCopyleft),
];

/// Exceptions that let code under a strong copyleft license be linked into
/// a program under other terms.
const LINKING_EXCEPTIONS: &[&str] = &[
    "Classpath-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "Linux-syscall-note",
    "LGPL-3.0-linking-exception",
    "OCaml-LGPL-linking-exception",
    "Universal-FOSS-exception-1.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Libtool-exception",
    "Font-exception-2.0",
    "GPL-3.0-linking-exception",
    "GPL-3.0-linking-source-exception",
];

/// The family of a license id (`GPL-3.0-or-later`, `MPL-2.0`,
/// `LicenseRef-…`); ids not in the table are permissive.
pub fn family(id: &str) -> Family {
    FAMILIES
        .iter()
        .filter(|(prefix, _)| id.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, family)| *family)
        .unwrap_or(Family::Permissive)
}

/// The family of one term: its license's, relaxed to weak copyleft by a
/// linking exception.
pub fn requirement_family(req: &spdx::LicenseReq) -> Family {
    let family = family(&license_name(req));
    let linking_exception = req
        .addition
        .as_ref()
        .is_some_and(|a| LINKING_EXCEPTIONS.contains(&a.to_string().as_str()));
    if linking_exception && family >= Family::StrongCopyleft {
        Family::WeakCopyleft
    } else {
        family
    }
}

/// The license id of a term without its exception, in strict SPDX.
pub fn license_name(req: &spdx::LicenseReq) -> String {
    requirement_text(&spdx::LicenseReq {
        license: req.license.clone(),
        addition: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parse_keeps_text_and_reports_errors() {
        let e = LicenseExpression::parse(" Apache-2.0 OR BSD-2-Clause ").unwrap();
        assert_eq!(e.to_string(), "Apache-2.0 OR BSD-2-Clause");
        assert!(e.is_compound());
        assert!(
            LicenseExpression::parse("GPL-2.0+").is_ok(),
            "deprecated ids are accepted"
        );
        assert!(LicenseExpression::parse("LicenseRef-Proprietary").is_ok());
        let err = LicenseExpression::parse("MIT OR Nope-1.0").unwrap_err();
        assert!(err.message.contains("Nope-1.0"), "{}", err.message);
        let err = LicenseExpression::parse("MIT AND (Apache-2.0").unwrap_err();
        assert!(
            err.message.starts_with("not an SPDX license expression"),
            "{}",
            err.message
        );
        assert!(LicenseExpression::parse("").is_err());
        assert!(LicenseExpression::parse("MIT/Apache-2.0").is_err());
    }

    #[test]
    fn lax_parse_normalises_to_strict_spdx() {
        assert_eq!(
            LicenseExpression::parse_lax("MIT/Apache-2.0").unwrap().to_string(),
            "MIT OR Apache-2.0"
        );
        assert_eq!(
            LicenseExpression::parse_lax("(MIT OR Apache-2.0) AND Unicode-3.0")
                .unwrap()
                .to_string(),
            "(MIT OR Apache-2.0) AND Unicode-3.0"
        );
        assert_eq!(
            LicenseExpression::parse_lax("GPL-3.0+").unwrap().to_string(),
            "GPL-3.0-or-later"
        );
    }

    #[test]
    fn and_parenthesises_alternatives() {
        let parts: Vec<LicenseExpression> = ["MIT OR Apache-2.0", "Zlib", "BSD-3-Clause AND ISC"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(
            LicenseExpression::and(&parts).unwrap().to_string(),
            "(MIT OR Apache-2.0) AND Zlib AND BSD-3-Clause AND ISC"
        );
        assert!(LicenseExpression::and(&[]).is_none());
    }

    #[test]
    fn families() {
        for (id, expected) in [
            ("MIT", Family::Permissive),
            ("Apache-2.0", Family::Permissive),
            ("OpenSSL", Family::Permissive),
            ("LicenseRef-Proprietary", Family::Permissive),
            ("LGPL-2.1-or-later", Family::WeakCopyleft),
            ("MPL-2.0", Family::WeakCopyleft),
            ("EPL-2.0", Family::WeakCopyleft),
            ("GPL-3.0-or-later", Family::StrongCopyleft),
            ("GPL-2.0+", Family::StrongCopyleft),
            ("Sleepycat", Family::StrongCopyleft),
            ("EUPL-1.2", Family::StrongCopyleft),
            ("AGPL-3.0-only", Family::NetworkCopyleft),
            ("SSPL-1.0", Family::NetworkCopyleft),
        ] {
            assert_eq!(family(id), expected, "{id}");
        }
        let e = LicenseExpression::parse("GPL-2.0-or-later WITH Classpath-exception-2.0").unwrap();
        let req = e.requirements().next().unwrap();
        assert_eq!(requirement_family(req), Family::WeakCopyleft);
        assert_eq!(license_name(req), "GPL-2.0-or-later");
        let e = LicenseExpression::parse_lax("GPL-3.0+").unwrap();
        assert_eq!(
            requirement_family(e.requirements().next().unwrap()),
            Family::StrongCopyleft
        );
    }
}
