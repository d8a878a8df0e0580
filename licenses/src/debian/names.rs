//! Debian `License:` short names and syntax → SPDX.
//!
//! The machine-readable copyright format (DEP-5, "copyright-format 1.0")
//! names licenses with its own vocabulary: `GPL-2+`, `Expat`,
//! `BSD-3-clause`, `public-domain`, joined by lower-case `and` / `or`, with
//! a comma lowering the priority of the `and` that follows it, and
//! `with <keywords> exception` for license exceptions. The names look like
//! SPDX ids but are not: `GPL-2` is `GPL-2.0-only`, `Expat` is what SPDX
//! calls `MIT`, and a version left out means the *lowest* version the
//! format lists (`GPL` is GPL 1). Names the format does not define
//! (`MIT/X11`, `BSD-variant`, `PD`, `permissive`) mean whatever the copyright
//! file's own text says; they are never mapped, because guessing a license
//! is worse than reporting an unknown one.

use crate::component::License;
use crate::expression::LicenseExpression;

/// Translates a DEP-5 `License:` first line (short names, `and`, `or`,
/// commas, `with … exception`, `+`) into an SPDX expression.
///
/// Short names are matched case-insensitively and only from the format's
/// standard list (plus `AGPL`, whose Debian spelling follows the same
/// pattern); each translation is checked against the SPDX license list.
/// `public-domain` is an error here: it is not a license and has no SPDX
/// id, so callers that meet it record [`License::PublicDomain`] instead.
///
/// The error says which name or word could not be translated and why.
pub fn debian_to_spdx(expression: &str) -> Result<LicenseExpression, String> {
    let tree = parse(expression)?;
    let text = render(&tree, false)?;
    LicenseExpression::parse(&text)
        .map_err(|e| format!("`{}` translated to `{text}`, which is {}", expression.trim(), e.message))
}

/// Like [`debian_to_spdx`], but with `public-domain` understood: alone it
/// is [`License::PublicDomain`]; ANDed with licenses it adds no obligation
/// and drops out. As an *alternative* (`public-domain or GPL-2+`) it is
/// refused rather than resolved, since SPDX cannot say it.
pub(crate) fn debian_license(expression: &str) -> Result<License, String> {
    let tree = parse(expression)?;
    match drop_public_domain(tree)? {
        None => Ok(License::PublicDomain),
        Some(tree) => {
            let text = render(&tree, false)?;
            LicenseExpression::parse(&text)
                .map(License::expression)
                .map_err(|e| format!("`{}` translated to `{text}`, which is {}", expression.trim(), e.message))
        }
    }
}

/// A parsed Debian license expression.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A short name, with its exception keywords if any.
    Name {
        name: String,
        exception: Option<String>,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Comma,
    Open,
    Close,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        match c {
            ',' | '(' | ')' => {
                flush(&mut word, &mut tokens);
                tokens.push(match c {
                    ',' => Token::Comma,
                    '(' => Token::Open,
                    _ => Token::Close,
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn is_keyword(token: Option<&Token>, keyword: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
}

/// Recursive descent over the DEP-5 grammar. Priorities, lowest first:
/// `, and` (a comma before `and` lowers it below `or`), `or`, `and`.
/// A comma before `or` changes nothing (`or` is already the lower of the
/// two) and is accepted as plain `or`. Parentheses are not DEP-5 syntax but
/// are unambiguous, so they are accepted.
struct Parser {
    tokens: Vec<Token>,
    position: usize,
    source: String,
}

fn parse(text: &str) -> Result<Node, String> {
    let source = text.trim().to_string();
    if source.is_empty() {
        return Err("the License field is empty".into());
    }
    let mut parser = Parser {
        tokens: tokenize(&source),
        position: 0,
        source,
    };
    let node = parser.comma_and()?;
    match parser.peek() {
        None => Ok(node),
        Some(token) => Err(parser.unexpected(token.clone())),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_at(&self, offset: usize) -> Option<&Token> {
        self.tokens.get(self.position + offset)
    }

    fn unexpected(&self, token: Token) -> String {
        let what = match token {
            Token::Word(w) => format!("`{w}`"),
            Token::Comma => "a comma".into(),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
        };
        format!("unexpected {what} in `{}`", self.source)
    }

    fn comma_and(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.or()?];
        while self.peek() == Some(&Token::Comma) && is_keyword(self.peek_at(1), "and") {
            self.position += 2;
            parts.push(self.or()?);
        }
        Ok(join(parts, Node::And))
    }

    fn or(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.and()?];
        loop {
            if is_keyword(self.peek(), "or") {
                self.position += 1;
            } else if self.peek() == Some(&Token::Comma) && is_keyword(self.peek_at(1), "or") {
                self.position += 2;
            } else {
                break;
            }
            parts.push(self.and()?);
        }
        Ok(join(parts, Node::Or))
    }

    fn and(&mut self) -> Result<Node, String> {
        let mut parts = vec![self.term()?];
        while is_keyword(self.peek(), "and") {
            self.position += 1;
            parts.push(self.term()?);
        }
        Ok(join(parts, Node::And))
    }

    fn term(&mut self) -> Result<Node, String> {
        match self.peek().cloned() {
            Some(Token::Open) => {
                self.position += 1;
                let inner = self.comma_and()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(format!("unbalanced `(` in `{}`", self.source));
                }
                self.position += 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                if ["and", "or", "with", "exception"]
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k))
                {
                    return Err(format!("expected a license name before `{word}` in `{}`", self.source));
                }
                self.position += 1;
                let exception = if is_keyword(self.peek(), "with") {
                    self.position += 1;
                    let mut keywords = Vec::new();
                    loop {
                        match self.peek().cloned() {
                            Some(Token::Word(w)) if w.eq_ignore_ascii_case("exception") => {
                                self.position += 1;
                                break;
                            }
                            Some(Token::Word(w)) => {
                                keywords.push(w);
                                self.position += 1;
                            }
                            _ => {
                                return Err(format!(
                                    "`with` after `{word}` must be followed by `<keywords> exception` in `{}`",
                                    self.source
                                ));
                            }
                        }
                    }
                    if keywords.is_empty() {
                        return Err(format!("`with exception` after `{word}` names no exception"));
                    }
                    Some(keywords.join(" "))
                } else {
                    None
                };
                Ok(Node::Name { name: word, exception })
            }
            Some(token) => Err(self.unexpected(token)),
            None => Err(format!("`{}` ends where a license name was expected", self.source)),
        }
    }
}

fn join(mut parts: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    if parts.len() == 1 { parts.remove(0) } else { make(parts) }
}

fn is_public_domain(name: &str) -> bool {
    name.eq_ignore_ascii_case("public-domain")
}

/// Removes `public-domain` operands of AND; `None` when nothing but public
/// domain is left.
fn drop_public_domain(node: Node) -> Result<Option<Node>, String> {
    match node {
        Node::Name {
            ref name,
            ref exception,
        } if is_public_domain(name) => match exception {
            Some(e) => Err(format!("`public-domain with {e} exception` is not a license")),
            None => Ok(None),
        },
        Node::Name { .. } => Ok(Some(node)),
        Node::And(parts) => {
            let mut kept = Vec::new();
            for part in parts {
                if let Some(part) = drop_public_domain(part)? {
                    kept.push(part);
                }
            }
            Ok(if kept.is_empty() {
                None
            } else {
                Some(join(kept, Node::And))
            })
        }
        Node::Or(parts) => {
            let mut kept = Vec::new();
            for part in parts {
                match drop_public_domain(part)? {
                    Some(part) => kept.push(part),
                    None => {
                        return Err(
                            "`public-domain` offered as an alternative has no SPDX form (SPDX has no public-domain id)"
                                .into(),
                        );
                    }
                }
            }
            Ok(Some(join(kept, Node::Or)))
        }
    }
}

/// SPDX text for a tree; `in_and` parenthesises alternatives under AND.
fn render(node: &Node, in_and: bool) -> Result<String, String> {
    match node {
        Node::Name { name, exception } => {
            let (text, compound) = short_name(name)?;
            let text = match exception {
                None => text,
                Some(keywords) => {
                    if compound {
                        return Err(format!(
                            "`{name} with {keywords} exception`: `{name}` stands for several licenses, so the exception has no single target"
                        ));
                    }
                    format!("{text} WITH {}", exception_id(&text, keywords)?)
                }
            };
            Ok(if compound && in_and { format!("({text})") } else { text })
        }
        Node::And(parts) => Ok(parts
            .iter()
            .map(|p| render(p, true))
            .collect::<Result<Vec<_>, _>>()?
            .join(" AND ")),
        Node::Or(parts) => {
            let text = parts
                .iter()
                .map(|p| render(p, false))
                .collect::<Result<Vec<_>, _>>()?
                .join(" OR ");
            Ok(if in_and { format!("({text})") } else { text })
        }
    }
}

/// Families of the format's standard short names that take a version:
/// `(Debian family, SPDX prefix, version implied when none is written)`.
/// The implied version is the lowest the format lists ("If the version
/// number is omitted, the lowest version number is implied"); `None` where
/// the format lists none (AGPL is not in its table).
const VERSIONED: &[(&str, &str, Option<&str>)] = &[
    ("cc-by-nc-sa", "CC-BY-NC-SA", Some("1")),
    ("cc-by-nc-nd", "CC-BY-NC-ND", Some("1")),
    ("cc-by-nc", "CC-BY-NC", Some("1")),
    ("cc-by-nd", "CC-BY-ND", Some("1")),
    ("cc-by-sa", "CC-BY-SA", Some("1")),
    ("cc-by", "CC-BY", Some("1")),
    ("gfdl-niv", "GFDL", Some("1")),
    ("gfdl", "GFDL", Some("1")),
    ("lgpl", "LGPL", Some("2")),
    ("agpl", "AGPL", None),
    ("gpl", "GPL", Some("1")),
    ("apache", "Apache", Some("1")),
    ("artistic", "Artistic", Some("1")),
    ("cddl", "CDDL", Some("1")),
    ("efl", "EFL", Some("1")),
    ("lppl", "LPPL", Some("1")),
    ("mpl", "MPL", Some("1.1")),
    ("qpl", "QPL", Some("1")),
    ("zope", "ZPL", Some("1")),
];

/// Standard short names without a version.
const FIXED: &[(&str, &str)] = &[
    ("expat", "MIT"),
    ("isc", "ISC"),
    ("zlib", "Zlib"),
    ("w3c", "W3C"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("bsd-4-clause", "BSD-4-Clause"),
    ("cc0", "CC0-1.0"),
    ("cc0-1", "CC0-1.0"),
    ("cpl", "CPL-1.0"),
    ("cpl-1", "CPL-1.0"),
    ("python", "Python-2.0"),
    ("python-2", "Python-2.0"),
];

/// One short name → SPDX text, and whether that text is compound (`Perl`).
fn short_name(name: &str) -> Result<(String, bool), String> {
    if is_public_domain(name) {
        return Err("`public-domain` is not a license and has no SPDX id (record it as public domain instead)".into());
    }
    let (base, or_later) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, false),
    };
    let lower = normalise_version(&base.to_ascii_lowercase());

    if lower == "perl" && !or_later {
        // The format defines `Perl` as `GPL-1+ or Artistic-1`.
        return Ok(("GPL-1.0-or-later OR Artistic-1.0".into(), true));
    }
    if let Some((_, id)) = FIXED.iter().find(|(debian, _)| *debian == lower) {
        if or_later {
            return Err(format!(
                "`{name}`: `{base}` has no versions, so `+` (or later) means nothing"
            ));
        }
        return Ok(((*id).to_string(), false));
    }

    for (family, prefix, implied) in VERSIONED {
        let version = if lower == *family {
            match implied {
                Some(v) => (*v).to_string(),
                None => return Err(format!("`{name}` has no version, and the format implies none for it")),
            }
        } else if let Some(rest) = lower.strip_prefix(family).and_then(|r| r.strip_prefix('-')) {
            if !is_version(rest) {
                continue;
            }
            rest.to_string()
        } else {
            continue;
        };
        let spdx_version = if version.contains('.') {
            version.clone()
        } else {
            format!("{version}.0")
        };
        let id = match *family {
            "gpl" | "lgpl" | "agpl" | "gfdl" => {
                format!("{prefix}-{spdx_version}-{}", if or_later { "or-later" } else { "only" })
            }
            "gfdl-niv" => format!(
                "{prefix}-{spdx_version}-no-invariants-{}",
                if or_later { "or-later" } else { "only" }
            ),
            "lppl" if version == "1.3" => {
                return Err(format!(
                    "`{name}`: LPPL 1.3 is ambiguous in SPDX (LPPL-1.3a or LPPL-1.3c)"
                ));
            }
            _ => format!("{prefix}-{spdx_version}{}", if or_later { "+" } else { "" }),
        };
        return match spdx::license_id(&id) {
            Some(_) => Ok((id, false)),
            None => Err(format!(
                "`{name}` would be `{id}`, which is not on the SPDX license list"
            )),
        };
    }

    Err(format!(
        "`{name}` is not a standard DEP-5 short name; it means whatever the copyright file's text says, so it is not translated"
    ))
}

/// A license version as short names write it: digits and dots, possibly
/// ending in one letter (`2`, `2.1`, `1.3c`).
fn is_version(text: &str) -> bool {
    let digits = text.strip_suffix(|c: char| c.is_ascii_lowercase()).unwrap_or(text);
    !digits.is_empty()
        && digits
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// "Versions with trailing dot-zeroes are considered to be equivalent to
/// versions without": `GPL-2.0` → `gpl-2`, `Apache-2.0.0` → `apache-2`.
fn normalise_version(lower: &str) -> String {
    let mut text = lower.to_string();
    while let Some(stripped) = text.strip_suffix(".0") {
        // Only a version's dot-zero: the character before must be a digit.
        if stripped.ends_with(|c: char| c.is_ascii_digit()) {
            text = stripped.to_string();
        } else {
            break;
        }
    }
    text
}

/// `with <keywords> exception` → an SPDX exception id. The keywords are the
/// format's (`Font`, `OpenSSL`) or a maintainer's own; only those with a
/// known SPDX counterpart translate. `license` is the SPDX text it applies
/// to (Autoconf's exception differs between GPL 2 and 3).
fn exception_id(license: &str, keywords: &str) -> Result<String, String> {
    let lower = keywords.to_ascii_lowercase();
    let id = match lower.as_str() {
        "font" => "Font-exception-2.0",
        "classpath" | "classpath-2.0" => "Classpath-exception-2.0",
        "autoconf" if license.starts_with("GPL-3") => "Autoconf-exception-3.0",
        "autoconf" => "Autoconf-exception-2.0",
        "bison" | "bison-2.2" => "Bison-exception-2.2",
        "libtool" => "Libtool-exception",
        "llvm" => "LLVM-exception",
        "gcc-3.1" | "gcc-runtime-3.1" | "gcc-runtime-library-3.1" | "gcc-exception-3.1" => "GCC-exception-3.1",
        "gcc-2.0" | "gcc-exception-2.0" => "GCC-exception-2.0",
        "openssl" => {
            return Err(format!(
                "`{license} with OpenSSL exception`: the generic GPL exception for linking OpenSSL has no SPDX exception id"
            ));
        }
        _ => match spdx::exception_id(keywords) {
            Some(e) => e.name,
            None => {
                return Err(format!(
                    "`with {keywords} exception` has no known SPDX exception id, so the license is not translated"
                ));
            }
        },
    };
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx(debian: &str) -> String {
        debian_to_spdx(debian)
            .unwrap_or_else(|e| panic!("{debian}: {e}"))
            .to_string()
    }

    #[test]
    fn standard_short_names() {
        for (debian, expected) in [
            ("GPL-3+", "GPL-3.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("gpl-2.0+", "GPL-2.0-or-later"),
            ("GPL", "GPL-1.0-only"),
            ("GPL-1+", "GPL-1.0-or-later"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPL-2", "LGPL-2.0-only"),
            ("LGPL", "LGPL-2.0-only"),
            ("LGPL-3", "LGPL-3.0-only"),
            ("AGPL-3+", "AGPL-3.0-or-later"),
            ("Expat", "MIT"),
            ("EXPAT", "MIT"),
            ("BSD-2-clause", "BSD-2-Clause"),
            ("BSD-3-clause", "BSD-3-Clause"),
            ("bsd-4-clause", "BSD-4-Clause"),
            ("Zlib", "Zlib"),
            ("Apache-2.0", "Apache-2.0"),
            ("Apache-2", "Apache-2.0"),
            ("ISC", "ISC"),
            ("MPL-1.1", "MPL-1.1"),
            ("MPL-2.0", "MPL-2.0"),
            ("MPL", "MPL-1.1"),
            ("Artistic", "Artistic-1.0"),
            ("Artistic-2.0", "Artistic-2.0"),
            ("Python", "Python-2.0"),
            ("CC0", "CC0-1.0"),
            ("CC0-1.0", "CC0-1.0"),
            ("CC-BY-SA-3.0", "CC-BY-SA-3.0"),
            ("CC-BY-4", "CC-BY-4.0"),
            ("GFDL-1.2+", "GFDL-1.2-or-later"),
            ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
            ("Zope-2.1", "ZPL-2.1"),
            ("LPPL-1.3c", "LPPL-1.3c"),
            ("Perl", "GPL-1.0-or-later OR Artistic-1.0"),
        ] {
            assert_eq!(spdx(debian), expected, "{debian}");
        }
    }

    #[test]
    fn operators_and_comma_precedence() {
        assert_eq!(spdx("GPL-1+ or Artistic"), "GPL-1.0-or-later OR Artistic-1.0");
        assert_eq!(spdx("GPL-2+ and BSD-3-clause"), "GPL-2.0-or-later AND BSD-3-Clause");
        // `and` binds tighter than `or`…
        assert_eq!(spdx("GPL-2+ or Expat and Zlib"), "GPL-2.0-or-later OR MIT AND Zlib");
        // …unless a comma comes before it.
        assert_eq!(
            spdx("GPL-2+ or Artistic-2.0, and BSD-3-clause"),
            "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause"
        );
        assert_eq!(
            spdx("MPL-1.1 or GPL-2+ or LGPL-2.1+"),
            "MPL-1.1 OR GPL-2.0-or-later OR LGPL-2.1-or-later"
        );
        assert_eq!(
            spdx("Artistic or GPL-1+, or Expat"),
            "Artistic-1.0 OR GPL-1.0-or-later OR MIT"
        );
        assert_eq!(spdx("Perl and Zlib"), "(GPL-1.0-or-later OR Artistic-1.0) AND Zlib");
        assert_eq!(spdx("(Expat or ISC) and Zlib"), "(MIT OR ISC) AND Zlib");
        let parsed = debian_to_spdx("Sleepycat-like or Expat");
        assert!(parsed.is_err());
    }

    #[test]
    fn exceptions() {
        assert_eq!(
            spdx("GPL-2+ with Font exception"),
            "GPL-2.0-or-later WITH Font-exception-2.0"
        );
        assert_eq!(
            spdx("GPL-3+ with GCC-Runtime-3.1 exception"),
            "GPL-3.0-or-later WITH GCC-exception-3.1"
        );
        assert_eq!(
            spdx("GPL-3+ with autoconf exception"),
            "GPL-3.0-or-later WITH Autoconf-exception-3.0"
        );
        assert_eq!(
            spdx("GPL-2 with Classpath exception or Expat"),
            "GPL-2.0-only WITH Classpath-exception-2.0 OR MIT"
        );
        let e = debian_to_spdx("GPL-2+ with OpenSSL exception").unwrap_err();
        assert!(e.contains("OpenSSL"), "{e}");
        let e = debian_to_spdx("GPL-2+ with Frobnicator exception").unwrap_err();
        assert!(e.contains("Frobnicator"), "{e}");
        assert!(debian_to_spdx("GPL-2+ with Font").is_err());
    }

    #[test]
    fn custom_and_unmappable_names_are_refused() {
        for name in [
            "MIT/X11",
            "BSD-variant",
            "PD",
            "permissive",
            "MIT",
            "X11",
            "BSD",
            "ISC-no-attribution",
            "__AUTO_PERMISSIVE__",
            "GFDL",
            "Zope",
            "AGPL",
            "LPPL-1.3",
            "GPL-4+",
            "Expat+",
            "GPL-3.0+~OpenSSL",
            "Apache-2.0-with-GPL2-LGPL2-Exception",
            "GPL-2.x",
        ] {
            let e = debian_to_spdx(name).unwrap_err();
            assert!(e.contains(name.trim_end_matches('+')), "{name}: {e}");
        }
        let e = debian_to_spdx("MIT/X11 and Expat").unwrap_err();
        assert!(e.contains("not a standard DEP-5 short name"), "{e}");
    }

    #[test]
    fn syntax_errors_say_what() {
        for (text, needle) in [
            ("", "empty"),
            ("GPL-2+ or", "ends where"),
            ("and GPL-2+", "before `and`"),
            ("GPL-2+ Expat", "`Expat`"),
            ("GPL-2+, Expat", "comma"),
            ("(GPL-2+ or Expat", "unbalanced"),
            ("GPL-2+ with", "exception"),
        ] {
            let e = debian_to_spdx(text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn public_domain() {
        assert!(debian_to_spdx("public-domain").unwrap_err().contains("public domain"));
        assert_eq!(debian_license("public-domain").unwrap(), License::PublicDomain);
        assert_eq!(debian_license("Public-Domain").unwrap(), License::PublicDomain);
        assert_eq!(debian_license("public-domain and Expat").unwrap().to_string(), "MIT");
        assert!(debian_license("public-domain or GPL-2+").is_err());
        assert_eq!(debian_license("GPL-3+").unwrap().to_string(), "GPL-3.0-or-later");
    }
}
