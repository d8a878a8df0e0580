//! Package relationships (depends, recommends, …) and their syntax per format.
//!
//! Relationships are written in each format's own syntax, because package
//! names differ between distributions anyway (`libssl3` vs `openssl-libs`):
//! a spec carries one list for deb and one for rpm. Each entry is checked
//! here so that a typo fails the build with the entry named, instead of
//! producing a package the package manager refuses at install time.

/// The kinds of relationship both formats have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RelationKind {
    Depends,
    Recommends,
    Suggests,
    Conflicts,
    Provides,
    Replaces,
}

impl RelationKind {
    pub const ALL: [RelationKind; 6] = [
        RelationKind::Depends,
        RelationKind::Recommends,
        RelationKind::Suggests,
        RelationKind::Conflicts,
        RelationKind::Provides,
        RelationKind::Replaces,
    ];

    /// The Debian control field.
    pub fn debian_field(self) -> &'static str {
        match self {
            RelationKind::Depends => "Depends",
            RelationKind::Recommends => "Recommends",
            RelationKind::Suggests => "Suggests",
            RelationKind::Conflicts => "Conflicts",
            RelationKind::Provides => "Provides",
            RelationKind::Replaces => "Replaces",
        }
    }

    /// The name used in configurations and messages.
    pub fn name(self) -> &'static str {
        match self {
            RelationKind::Depends => "depends",
            RelationKind::Recommends => "recommends",
            RelationKind::Suggests => "suggests",
            RelationKind::Conflicts => "conflicts",
            RelationKind::Provides => "provides",
            RelationKind::Replaces => "replaces",
        }
    }
}

/// A relationship entry that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid {format} {kind} entry {entry:?}: {reason}; {hint}")]
pub struct RelationError {
    pub format: &'static str,
    pub kind: &'static str,
    pub entry: String,
    pub reason: String,
    pub hint: &'static str,
}

const DEB_HINT: &str = "write e.g. \"libc6 (>= 2.31)\" or \"python3 | python3-minimal\"";
const RPM_HINT: &str = "write e.g. \"glibc >= 2.28\" or a rich dependency \"(a or b)\"";

/// Checks one Debian relationship entry: alternatives separated by `|`, each
/// `name [(op version)] [[arch…]]`; `provides` allows only `name [(= version)]`.
pub fn check_debian(kind: RelationKind, entry: &str) -> Result<(), RelationError> {
    let fail = |reason: String| RelationError {
        format: "deb",
        kind: kind.name(),
        entry: entry.to_string(),
        reason,
        hint: DEB_HINT,
    };
    let alternatives: Vec<&str> = entry.split('|').map(str::trim).collect();
    if alternatives.len() > 1
        && !matches!(
            kind,
            RelationKind::Depends | RelationKind::Recommends | RelationKind::Suggests
        )
    {
        return Err(fail(format!("{} cannot list alternatives with '|'", kind.name())));
    }
    for alternative in alternatives {
        let (name, rest) = match alternative.find([' ', '(', '[', ':']) {
            Some(i) => (&alternative[..i], alternative[i..].trim_start()),
            None => (alternative, ""),
        };
        check_debian_name(name).map_err(|reason| fail(reason.to_string()))?;
        let mut rest = rest;
        if let Some(after) = rest.strip_prefix(':') {
            // Multi-arch qualifier: `python3:any`.
            let end = after.find([' ', '(', '[']).unwrap_or(after.len());
            if after[..end].is_empty() || !after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(fail("the architecture qualifier after ':' is empty or invalid".into()));
            }
            rest = after[end..].trim_start();
        }
        if let Some(after) = rest.strip_prefix('(') {
            let close = after
                .find(')')
                .ok_or_else(|| fail("a '(' has no matching ')'".into()))?;
            let constraint = after[..close].trim();
            let op_end = constraint
                .find(|c: char| !"<>=".contains(c))
                .unwrap_or(constraint.len());
            let (op, version) = (&constraint[..op_end], constraint[op_end..].trim());
            if !["<<", "<=", "=", ">=", ">>"].contains(&op) {
                return Err(fail(format!("the operator {op:?} is not one of <<, <=, =, >=, >>")));
            }
            if kind == RelationKind::Provides && op != "=" {
                return Err(fail("provides can only use '=' versions".into()));
            }
            check_debian_version(version).map_err(|reason| fail(reason.to_string()))?;
            rest = after[close + 1..].trim_start();
        }
        if let Some(after) = rest.strip_prefix('[') {
            let close = after
                .find(']')
                .ok_or_else(|| fail("a '[' has no matching ']'".into()))?;
            rest = after[close + 1..].trim_start();
        }
        if !rest.is_empty() {
            return Err(fail(format!("unexpected text {rest:?}")));
        }
    }
    Ok(())
}

/// Debian package names: lower case letters, digits, `+`, `-`, `.`; at
/// least two characters, starting with a letter or digit.
pub fn check_debian_name(name: &str) -> Result<(), &'static str> {
    if name.len() < 2 {
        return Err("a package name has at least two characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err("a package name starts with a lower-case letter or a digit");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
    {
        return Err("a package name has only lower-case letters, digits, '+', '-' and '.'");
    }
    Ok(())
}

fn check_debian_version(version: &str) -> Result<(), &'static str> {
    let upstream = version.split_once(':').map_or(version, |(epoch, rest)| {
        if epoch.chars().all(|c| c.is_ascii_digit()) {
            rest
        } else {
            version
        }
    });
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("a version starts with a digit");
    }
    if !upstream
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".+~-:".contains(c))
    {
        return Err("a version has only letters, digits and . + ~ - :");
    }
    Ok(())
}

/// Checks one RPM dependency: `name [op version]`, or a rich dependency in
/// parentheses (checked for balance only; rpm parses the rest).
pub fn check_rpm(kind: RelationKind, entry: &str) -> Result<(), RelationError> {
    let fail = |reason: String| RelationError {
        format: "rpm",
        kind: kind.name(),
        entry: entry.to_string(),
        reason,
        hint: RPM_HINT,
    };
    let entry = entry.trim();
    if entry.is_empty() {
        return Err(fail("it is empty".into()));
    }
    if entry.starts_with('(') {
        if kind == RelationKind::Provides {
            return Err(fail("provides cannot be a rich dependency".into()));
        }
        let mut depth = 0i32;
        for c in entry.chars() {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            if depth < 0 {
                return Err(fail("a ')' has no matching '('".into()));
            }
        }
        return if depth == 0 {
            Ok(())
        } else {
            Err(fail("a '(' has no matching ')'".into()))
        };
    }
    let parts: Vec<&str> = entry.split_whitespace().collect();
    let name = parts[0];
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-/()".contains(c)) || name.starts_with('-') {
        return Err(fail(format!("the name {name:?} has characters rpm does not allow")));
    }
    match parts.len() {
        1 => Ok(()),
        3 => {
            if !["<", "<=", "=", ">=", ">"].contains(&parts[1]) {
                return Err(fail(format!(
                    "the operator {:?} is not one of <, <=, =, >=, >",
                    parts[1]
                )));
            }
            let version = parts[2];
            if !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+~^:-".contains(c))
            {
                return Err(fail(format!(
                    "the version {version:?} has characters rpm does not allow"
                )));
            }
            Ok(())
        }
        _ => Err(fail("expected `name` or `name OP version`".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RelationKind::*;

    #[test]
    fn debian_syntax() {
        for ok in [
            "libc6",
            "libc6 (>= 2.31)",
            "python3 | python3-minimal (>= 3.11)",
            "python3:any",
            "foo [amd64]",
            "x11-common (<< 1:7.7+23~)",
        ] {
            check_debian(Depends, ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        check_debian(Provides, "mail-transport-agent (= 1.0)").unwrap();
        for (bad, reason) in [
            ("Libc6", "lower-case"),
            ("libc6 (> 2)", "operator \">\""),
            ("libc6 (>= 2", "no matching ')'"),
            ("libc6 >= 2", "unexpected text"),
            ("x", "at least two"),
            ("libc6 (>= x1)", "starts with a digit"),
        ] {
            let e = check_debian(Depends, bad).unwrap_err().to_string();
            assert!(e.contains(reason) && e.contains("deb depends"), "{bad}: {e}");
        }
        assert!(
            check_debian(Conflicts, "a1 | b1")
                .unwrap_err()
                .to_string()
                .contains("alternatives")
        );
        assert!(check_debian(Provides, "a1 (>= 1)").is_err());
    }

    #[test]
    fn rpm_syntax() {
        for ok in [
            "glibc",
            "glibc >= 2.28",
            "python3.11",
            "(a or b)",
            "libfoo.so.1()(64bit)",
            "/bin/sh",
            "x = 1:2.0-1",
        ] {
            check_rpm(Depends, ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, reason) in [
            ("glibc >> 2", "operator"),
            ("glibc >=", "expected"),
            ("(a or b", "no matching ')'"),
            ("", "empty"),
            ("a b c d", "expected"),
        ] {
            let e = check_rpm(Depends, bad).unwrap_err().to_string();
            assert!(e.contains(reason) && e.contains("rpm depends"), "{bad}: {e}");
        }
    }
}
