//! Application versions (PEP 440 or SemVer) mapped to Debian and RPM versions.
//!
//! Both package managers compare versions segment by segment, and both sort
//! `~` before everything, even the end of the string; so a pre-release
//! written `1.2.3~rc1` sorts before `1.2.3`, as PEP 440 and SemVer want.
//! The mapping:
//!
//! | application | Debian / RPM version | why |
//! |---|---|---|
//! | `1.2.3` | `1.2.3` | |
//! | `1.2.3rc1`, `1.2.3-rc.1` (SemVer) | `1.2.3~rc1`, `1.2.3~rc.1` | pre-release before the release |
//! | `1.2.3a1`, `1.2.3alpha1`, `1.2.3b2`, `1.2.3c1` | `1.2.3~a1`, `1.2.3~a1`, `1.2.3~b2`, `1.2.3~rc1` | PEP 440 spellings normalised, so `a < b < rc` |
//! | `1.2.3.dev4` | `1.2.3~~dev4` | a dev release sorts before the pre-releases too |
//! | `1.2.3rc1.dev4` | `1.2.3~rc1~dev4` | before `1.2.3~rc1` |
//! | `1.2.3.post1`, `1.2.3-1` (PEP 440 implicit post) | `1.2.3+post1` | after the release, before `1.2.3.1` and `1.2.4` (`+` sorts before `.` in dpkg; a `.post1` would sort after `1.2.3.1`) |
//! | `1.2.3+local.7` | `1.2.3+local.7` | local versions sort after the public one |
//! | `2!1.0` | Debian `2:1.0`, RPM `Epoch: 2` | epochs |
//!
//! Debian versions get no revision (`-1`) of their own: a binary package made
//! by the application's developers is "native". RPM's `Release` is `1`.

use std::fmt;

/// An application version that cannot be mapped.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid package version {version:?}: {reason}; use a PEP 440 or SemVer version such as 1.2.3, 1.2.3rc1 or 1.2.3-beta.1"
)]
pub struct VersionError {
    pub version: String,
    pub reason: &'static str,
}

/// A version in the form both Linux package managers order correctly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxVersion {
    /// PEP 440's `N!`, if any.
    pub epoch: Option<u32>,
    /// The version without epoch, with `~` before pre- and dev-releases.
    pub upstream: String,
}

impl LinuxVersion {
    /// Maps a PEP 440 or SemVer version.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        let err = |reason| VersionError {
            version: version.to_string(),
            reason,
        };
        let lower = version.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix('v').unwrap_or(&lower);
        if lower.is_empty() {
            return Err(err("it is empty"));
        }
        let (epoch, rest) = match lower.split_once('!') {
            Some((epoch, rest)) => (
                Some(
                    epoch
                        .parse::<u32>()
                        .map_err(|_| err("the epoch before '!' is not a number"))?,
                ),
                rest,
            ),
            None => (None, lower),
        };
        let (public, local) = match rest.split_once('+') {
            Some((public, local)) => (public, Some(local)),
            None => (rest, None),
        };
        if let Some(local) = local
            && (local.is_empty() || !local.split(['.', '-', '_']).all(|p| !p.is_empty() && is_alnum(p)))
        {
            return Err(err(
                "the local part after '+' must be letters and digits separated by '.'",
            ));
        }

        // The release: digits separated by dots.
        let release_end = public
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_digit() || (c == '.' && public[i + 1..].starts_with(|n: char| n.is_ascii_digit())))
            })
            .map_or(public.len(), |(i, _)| i);
        let release = &public[..release_end];
        if release.is_empty() || release.starts_with('.') {
            return Err(err("it must start with a number"));
        }
        let mut suffix = &public[release_end..];

        let mut out = release.to_string();
        // SemVer pre-release: `-` then dot-separated identifiers, not PEP 440's `-N` post-release.
        if let Some(pre) = suffix.strip_prefix('-')
            && !pre.chars().all(|c| c.is_ascii_digit())
            && !pre.starts_with("post")
            && !pre.starts_with("dev")
        {
            if pre.is_empty()
                || !pre
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                return Err(err(
                    "the SemVer pre-release after '-' must be dot-separated letters, digits and '-'",
                ));
            }
            out.push('~');
            out.push_str(&pre.replace('-', "."));
            suffix = "";
        }

        // PEP 440 pre-release.
        let mut pre = None;
        let trimmed = suffix.trim_start_matches(['.', '-', '_']);
        for (spelling, normal) in [
            ("alpha", "a"),
            ("beta", "b"),
            ("preview", "rc"),
            ("pre", "rc"),
            ("rc", "rc"),
            ("a", "a"),
            ("b", "b"),
            ("c", "rc"),
        ] {
            if let Some(after) = trimmed.strip_prefix(spelling) {
                let after = after.trim_start_matches(['.', '-', '_']);
                let (number, rest) = leading_number(after);
                pre = Some(format!("{normal}{}", number.unwrap_or("0")));
                suffix = rest;
                break;
            }
        }
        if let Some(pre) = &pre {
            out.push('~');
            out.push_str(pre);
        }

        // Post-release: `.postN`, `-N`, `postN`, `.revN`, `.rN`.
        let trimmed = suffix.trim_start_matches(['.', '_']);
        let post = if let Some(number) = suffix
            .strip_prefix('-')
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        {
            suffix = "";
            Some(number.to_string())
        } else {
            ["post", "rev", "r"].iter().find_map(|spelling| {
                let after = trimmed.strip_prefix(spelling)?;
                let after = after.trim_start_matches(['.', '-', '_']);
                let (number, rest) = leading_number(after);
                suffix = rest;
                Some(number.unwrap_or("0").to_string())
            })
        };
        if let Some(post) = &post {
            out.push_str("+post");
            out.push_str(post);
        }

        // Dev release.
        let trimmed = suffix.trim_start_matches(['.', '-', '_']);
        if let Some(after) = trimmed.strip_prefix("dev") {
            let (number, rest) = leading_number(after.trim_start_matches(['.', '-', '_']));
            // Alone, before any pre-release of the same version (`~~`);
            // after a pre- or post-release, before that one (`~`).
            out.push_str(if pre.is_none() && post.is_none() {
                "~~dev"
            } else {
                "~dev"
            });
            out.push_str(number.unwrap_or("0"));
            suffix = rest;
        }
        if !suffix.is_empty() {
            return Err(err(
                "it has text after the version that is not a pre-, post- or dev-release",
            ));
        }
        if let Some(local) = local {
            out.push('+');
            out.push_str(&local.replace(['-', '_'], "."));
        }
        Ok(Self { epoch, upstream: out })
    }

    /// The Debian `Version:` field.
    pub fn debian(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}", self.upstream),
            None => self.upstream.clone(),
        }
    }

    /// The RPM `Version:` (without epoch; see [`epoch`](Self::epoch)).
    pub fn rpm_version(&self) -> &str {
        &self.upstream
    }

    /// The RPM `Release:`.
    pub fn rpm_release(&self) -> &'static str {
        "1"
    }
}

impl fmt::Display for LinuxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.debian())
    }
}

fn is_alnum(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Splits leading ASCII digits off `s`.
fn leading_number(s: &str) -> (Option<&str>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        (None, s)
    } else {
        (Some(&s[..end]), &s[end..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deb(v: &str) -> String {
        LinuxVersion::parse(v).unwrap().debian()
    }

    #[test]
    fn mapping_table() {
        for (input, expected) in [
            ("1.2.3", "1.2.3"),
            ("v1.2", "1.2"),
            ("1.2.3rc1", "1.2.3~rc1"),
            ("1.2.3-rc.1", "1.2.3~rc.1"),
            ("1.2.3-beta.1", "1.2.3~beta.1"),
            ("1.2.3-alpha-2", "1.2.3~alpha.2"),
            ("1.2.3a1", "1.2.3~a1"),
            ("1.2.3alpha1", "1.2.3~a1"),
            ("1.2.3.b2", "1.2.3~b2"),
            ("1.2.3c1", "1.2.3~rc1"),
            ("1.2.3pre", "1.2.3~rc0"),
            ("1.2.3.dev4", "1.2.3~~dev4"),
            ("1.2.3rc1.dev4", "1.2.3~rc1~dev4"),
            ("1.2.3.post1", "1.2.3+post1"),
            ("1.2.3-1", "1.2.3+post1"),
            ("1.2.3.post1.dev2", "1.2.3+post1~dev2"),
            ("1.2.3+local.7", "1.2.3+local.7"),
            ("1.2.3+ubuntu-1", "1.2.3+ubuntu.1"),
            ("2!1.0", "2:1.0"),
        ] {
            assert_eq!(deb(input), expected, "{input}");
        }
        let v = LinuxVersion::parse("2!1.0rc1").unwrap();
        assert_eq!((v.epoch, v.rpm_version(), v.rpm_release()), (Some(2), "1.0~rc1", "1"));
    }

    #[test]
    fn invalid_versions() {
        for (input, reason) in [
            ("", "empty"),
            ("abc", "must start with a number"),
            ("1.2.3-", "text after the version"),
            ("1.2.3 final", "text after the version"),
            ("1.2.3+", "local part"),
            ("x!1.0", "epoch"),
        ] {
            let e = LinuxVersion::parse(input).unwrap_err().to_string();
            assert!(e.contains(reason), "{input}: {e}");
        }
    }

    /// The ordering PEP 440 defines, checked with dpkg's algorithm (the
    /// integration tests check the real `dpkg --compare-versions` too).
    #[test]
    fn order_is_preserved() {
        let ordered = [
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0b1",
            "1.0rc1.dev1",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.0.1",
            "1.1",
        ];
        for pair in ordered.windows(2) {
            let (a, b) = (deb(pair[0]), deb(pair[1]));
            assert_eq!(dpkg_compare(&a, &b), std::cmp::Ordering::Less, "{a} < {b}");
        }
    }

    /// dpkg's version comparison (upstream parts only), for the test above.
    fn dpkg_compare(a: &str, b: &str) -> std::cmp::Ordering {
        fn order(c: Option<char>) -> i32 {
            match c {
                None => 0,
                Some('~') => -1,
                Some(c) if c.is_ascii_alphabetic() => c as i32,
                Some(c) => c as i32 + 256,
            }
        }
        let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
        loop {
            // Non-digit parts.
            loop {
                let (ca, cb) = (
                    a.peek().copied().filter(|c| !c.is_ascii_digit()),
                    b.peek().copied().filter(|c| !c.is_ascii_digit()),
                );
                if ca.is_none() && cb.is_none() {
                    break;
                }
                let (oa, ob) = (order(ca), order(cb));
                if oa != ob {
                    return oa.cmp(&ob);
                }
                a.next();
                b.next();
            }
            let num = |it: &mut std::iter::Peekable<std::str::Chars>| {
                let mut n = 0u64;
                while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                    n = n * 10 + c.to_digit(10).unwrap() as u64;
                    it.next();
                }
                n
            };
            let (na, nb) = (num(&mut a), num(&mut b));
            if na != nb {
                return na.cmp(&nb);
            }
            if a.peek().is_none() && b.peek().is_none() {
                return std::cmp::Ordering::Equal;
            }
        }
    }
}
