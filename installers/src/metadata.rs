//! Package metadata shared by every installer format.
//!
//! Validated once, when it is declared, with rules loose enough for every
//! format we write; format-specific mappings (Debian's `~` for pre-releases,
//! MSI's numeric versions, …) live beside each format's writer.

use serde::Serialize;

/// Why package metadata was refused.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error(
        "invalid package name {name:?}: {reason}; use letters, digits, '.', '_', '+' or '-', starting with a letter or digit"
    )]
    Name { name: String, reason: &'static str },
    #[error("invalid package version {version:?}: {reason}; use a version such as 1.2.3, 1.2.3rc1 or 1.2.3-beta.1")]
    Version { version: String, reason: &'static str },
    #[error(
        "invalid license expression {expression:?}: {reason}; use an SPDX expression such as \"MIT OR Apache-2.0\""
    )]
    License { expression: String, reason: String },
    #[error("invalid target triple {triple:?}: expected ARCH-VENDOR-OS[-ENV], e.g. x86_64-unknown-linux-gnu")]
    Triple { triple: String },
    #[error("{field} must not contain line breaks")]
    Multiline { field: &'static str },
}

/// What every installer needs to know about the package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageMetadata {
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub maintainer: Option<String>,
    pub vendor: Option<String>,
    pub homepage: Option<String>,
    /// An SPDX license expression.
    pub license: Option<String>,
    pub target_triple: String,
}

impl PackageMetadata {
    /// Checks every field; returns the first problem found.
    pub fn validate(&self) -> Result<(), MetadataError> {
        validate_name(&self.name)?;
        validate_version(&self.version)?;
        validate_triple(&self.target_triple)?;
        if let Some(license) = &self.license {
            validate_license(license)?;
        }
        for (field, value) in [
            ("description", &self.description),
            ("maintainer", &self.maintainer),
            ("vendor", &self.vendor),
            ("homepage", &self.homepage),
        ] {
            if value.as_deref().is_some_and(|v| v.contains(['\n', '\r'])) {
                return Err(MetadataError::Multiline { field });
            }
        }
        Ok(())
    }

    /// `NAME-VERSION-TRIPLE`, the stem of archive file names.
    pub fn artifact_stem(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.target_triple)
    }
}

fn validate_name(name: &str) -> Result<(), MetadataError> {
    let err = |reason| MetadataError::Name {
        name: name.to_string(),
        reason,
    };
    let first = name.chars().next().ok_or_else(|| err("it is empty"))?;
    if !first.is_ascii_alphanumeric() {
        return Err(err("it must start with a letter or digit"));
    }
    if name.len() > 128 {
        return Err(err("it is longer than 128 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
    {
        return Err(err("it contains a character that is not allowed"));
    }
    Ok(())
}

fn validate_version(version: &str) -> Result<(), MetadataError> {
    let err = |reason| MetadataError::Version {
        version: version.to_string(),
        reason,
    };
    // A PEP 440 epoch (`2!1.0`) comes first; Debian and RPM have epochs too.
    let version = match version.split_once('!') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.chars().all(|c| c.is_ascii_digit()) => rest,
        Some(_) => return Err(err("the epoch before '!' must be a number")),
        None => version,
    };
    let first = version.chars().next().ok_or_else(|| err("it is empty"))?;
    if !first.is_ascii_digit() {
        return Err(err("it must start with a digit"));
    }
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~' | '_'))
    {
        return Err(err("it contains a character that is not allowed"));
    }
    if version.contains("..") || version.ends_with(['.', '-', '+']) {
        return Err(err("it has an empty component"));
    }
    if version.len() > 64 {
        return Err(err("it is longer than 64 characters"));
    }
    Ok(())
}

fn validate_triple(triple: &str) -> Result<(), MetadataError> {
    let parts: Vec<&str> = triple.split('-').collect();
    let ok = (3..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'));
    if ok {
        Ok(())
    } else {
        Err(MetadataError::Triple {
            triple: triple.to_string(),
        })
    }
}

fn validate_license(expression: &str) -> Result<(), MetadataError> {
    spdx::Expression::parse(expression)
        .map(drop)
        .map_err(|e| MetadataError::License {
            expression: expression.to_string(),
            reason: e.reason.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, version: &str) -> PackageMetadata {
        PackageMetadata {
            name: name.into(),
            version: version.into(),
            description: None,
            maintainer: None,
            vendor: None,
            homepage: None,
            license: Some("MIT OR Apache-2.0".into()),
            target_triple: "x86_64-unknown-linux-gnu".into(),
        }
    }

    #[test]
    fn accepts_common_versions() {
        for v in [
            "1",
            "1.2.3",
            "1.2.3rc1",
            "1.0.0-beta.1",
            "2024.1+local",
            "1.0~rc1",
            "2!1.0",
        ] {
            meta("hello", v).validate().unwrap();
        }
    }

    #[test]
    fn refuses_bad_names_and_versions() {
        assert!(matches!(meta("", "1").validate(), Err(MetadataError::Name { .. })));
        assert!(matches!(meta("-x", "1").validate(), Err(MetadataError::Name { .. })));
        assert!(matches!(meta("a b", "1").validate(), Err(MetadataError::Name { .. })));
        assert!(matches!(meta("a", "v1").validate(), Err(MetadataError::Version { .. })));
        assert!(matches!(
            meta("a", "1..2").validate(),
            Err(MetadataError::Version { .. })
        ));
        assert!(matches!(
            meta("a", "1 2").validate(),
            Err(MetadataError::Version { .. })
        ));
        for bad in ["x!1.0", "!1.0", "1!", "1!2!3"] {
            assert!(
                matches!(meta("a", bad).validate(), Err(MetadataError::Version { .. })),
                "{bad}"
            );
        }
        let mut m = meta("a", "1");
        m.license = Some("MIT ORR Apache".into());
        assert!(matches!(m.validate(), Err(MetadataError::License { .. })));
        m.license = None;
        m.target_triple = "linux".into();
        assert!(matches!(m.validate(), Err(MetadataError::Triple { .. })));
    }

    #[test]
    fn artifact_stem() {
        assert_eq!(
            meta("hello", "1.2.0").artifact_stem(),
            "hello-1.2.0-x86_64-unknown-linux-gnu"
        );
    }
}
