//! Application versions mapped to MSI `ProductVersion`s.
//!
//! Windows Installer versions are `MAJOR.MINOR.BUILD` with major ≤ 255,
//! minor ≤ 255 and build ≤ 65535; a fourth field may be written but is
//! ignored when products are compared, so two packages differing only there
//! would be "the same version" to a major upgrade. The mapping:
//!
//! | application | MSI | why |
//! |---|---|---|
//! | `1.2.3`, `v1.2.3` | `1.2.3` | |
//! | `1`, `1.2` | `1.0.0`, `1.2.0` | missing fields are 0 |
//! | `1.2.3.0` | `1.2.3` | a zero fourth field changes nothing |
//! | `1.2.3rc1`, `1.2.3-beta.1`, `1.2.3.dev4` | `1.2.3` | MSI has no pre-releases: the final release replaces them (see below) |
//! | `1.2.3.post1`, `1.2.3+local.7` | `1.2.3` | nor post-releases or local versions |
//! | `1.2.3.4` | refused | msiexec ignores the fourth field, so upgrades between such versions would not happen |
//! | `256.0`, `1.256`, `1.2.65536` | refused | out of range |
//! | `2!1.0` | refused | an epoch cannot be represented |
//!
//! Versions that map to the same MSI version (`1.2.3rc1` and `1.2.3`) still
//! get different product codes (they come from the full version string), and
//! the major upgrade removes installed products of the same MSI version too
//! (`VersionMax` inclusive), so installing `1.2.3` over `1.2.3rc1` replaces
//! it instead of adding a second entry to "Apps & features".

use std::fmt;

/// A version that cannot be an MSI `ProductVersion`.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot represent version {version:?} as an MSI ProductVersion: {reason}; Windows Installer versions are MAJOR.MINOR.BUILD with MAJOR and MINOR at most 255 and BUILD at most 65535 (pre-release and local suffixes are dropped)"
)]
pub struct MsiVersionError {
    pub version: String,
    pub reason: String,
}

/// An MSI `ProductVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsiVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
}

impl MsiVersion {
    /// Maps a PEP 440 or SemVer application version (see the module documentation).
    pub fn parse(version: &str) -> Result<Self, MsiVersionError> {
        let err = |reason: String| MsiVersionError {
            version: version.to_string(),
            reason,
        };
        let trimmed = version.trim();
        let trimmed = trimmed
            .strip_prefix(['v', 'V'])
            .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(trimmed);
        if trimmed.contains('!') {
            return Err(err("it has an epoch ('N!'), which MSI versions cannot express".into()));
        }
        // The release: the leading dot-separated numbers.
        let mut fields = Vec::new();
        let mut rest = trimmed;
        loop {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                break;
            }
            fields.push(&rest[..digits]);
            rest = &rest[digits..];
            match rest.strip_prefix('.') {
                Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
                _ => break,
            }
        }
        if fields.is_empty() {
            return Err(err("it does not start with a number".into()));
        }
        let number = |index: usize, name: &str, max: u32| -> Result<u32, MsiVersionError> {
            let Some(text) = fields.get(index) else {
                return Ok(0);
            };
            match text.parse::<u32>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(err(format!("its {name} field {text} is larger than {max}"))),
            }
        };
        let major = number(0, "major", 255)?;
        let minor = number(1, "minor", 255)?;
        let build = number(2, "build", 65535)?;
        if fields.len() > 3 && fields[3..].iter().any(|f| f.bytes().any(|b| b != b'0')) {
            return Err(err(format!(
                "it has {} numeric fields and msiexec ignores everything after the third when it compares versions, so upgrades between versions differing there would not happen; use three fields",
                fields.len()
            )));
        }
        Ok(Self {
            major: major as u8,
            minor: minor as u8,
            build: build as u16,
        })
    }
}

impl fmt::Display for MsiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        for (app, msi) in [
            ("1.2.3", "1.2.3"),
            ("v1.2.3", "1.2.3"),
            ("1", "1.0.0"),
            ("1.2", "1.2.0"),
            ("1.2.3.0", "1.2.3"),
            ("1.2.3rc1", "1.2.3"),
            ("1.2.3-beta.1", "1.2.3"),
            ("1.2.3.dev4", "1.2.3"),
            ("1.2.3.post1", "1.2.3"),
            ("1.2.3+local.7", "1.2.3"),
            ("255.255.65535", "255.255.65535"),
            ("0.1.0a1", "0.1.0"),
        ] {
            assert_eq!(MsiVersion::parse(app).unwrap().to_string(), msi, "{app}");
        }
    }

    #[test]
    fn refusals_name_the_rule() {
        for (app, needle) in [
            ("256.0", "major field 256 is larger than 255"),
            ("1.256", "minor field 256 is larger than 255"),
            ("1.2.65536", "build field 65536 is larger than 65535"),
            ("2024.1.1", "major field 2024"),
            ("1.2.3.4", "ignores everything after the third"),
            ("2!1.0", "epoch"),
            ("rc1", "does not start with a number"),
            ("99999999999.0", "larger than 255"),
        ] {
            let text = MsiVersion::parse(app).unwrap_err().to_string();
            assert!(text.contains(needle) && text.contains(app), "{app}: {text}");
        }
    }
}
