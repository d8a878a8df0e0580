//! The Authenticode certificate and key `oxdist package` signs MSIs with,
//! and the Developer ID one it signs app bundles and DMGs with (`--apple-pfx`
//! or `OXDIST_APPLE_PFX_FILE`, password `OXDIST_APPLE_PASSWORD`; else the
//! configuration's active code signer; else ad-hoc).
//!
//! Where they come from, first match wins:
//!
//! 1. `--authenticode-pfx FILE` (or `OXDIST_AUTHENTICODE_PFX_FILE`): a
//!    PKCS#12 file; its password comes from `OXDIST_AUTHENTICODE_PASSWORD`,
//!    or is asked for on the terminal when there is one;
//! 2. `--authenticode-key FILE` and `--authenticode-cert FILE` (or
//!    `OXDIST_AUTHENTICODE_KEY_FILE`, `OXDIST_AUTHENTICODE_CERT_FILE`): an
//!    unencrypted PEM private key and the PEM certificate chain;
//! 3. the configuration's active code signer (`code_signer_from_pfx_file`
//!    or `code_signer_from_pem_files`, then `activate()`), read after the
//!    configuration is evaluated.
//!
//! `--authenticode-timestamp-url` (or `OXDIST_AUTHENTICODE_TIMESTAMP_URL`)
//! names an RFC 3161 timestamp authority; it replaces the configuration's
//! `set_time_stamp_server`.
//!
//! Keys on the command line are read before anything is built, so a wrong password costs no
//! build time. Neither the key nor the password is ever printed, logged or
//! written anywhere but into signatures.

use std::path::{Path, PathBuf};

use oxdist_signing::authenticode::{AuthenticodeError, CodeSigner};

use crate::dialect::code_signing::{ConfiguredSigner, Password, SignerKey};

/// Environment variable holding the PKCS#12 password.
pub const PASSWORD_ENV: &str = "OXDIST_AUTHENTICODE_PASSWORD";
/// Environment variable holding the password of `--apple-pfx`.
pub const APPLE_PASSWORD_ENV: &str = "OXDIST_APPLE_PASSWORD";

/// Why the Authenticode key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticodeKeyError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {source}")]
    Key { origin: String, source: AuthenticodeError },
    #[error("{0}")]
    Arguments(&'static str),
    #[error("{origin} needs a password; set {variable} (no terminal to ask on)")]
    NoPassword { origin: String, variable: String },
    #[error("cannot read the password from the terminal: {0}")]
    Prompt(std::io::Error),
}

/// Where the key is, as the command line gives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeySource<'a> {
    pub pfx: Option<&'a Path>,
    pub key: Option<&'a Path>,
    pub cert: Option<&'a Path>,
}

impl KeySource<'_> {
    /// Whether any key option was given.
    pub fn is_set(&self) -> bool {
        self.pfx.is_some() || self.key.is_some() || self.cert.is_some()
    }
}

/// A loaded signer, where it came from (for messages) and the timestamp
/// authority its signatures go to.
#[derive(Clone)]
pub struct AuthenticodeKey {
    pub signer: CodeSigner,
    pub origin: String,
    pub timestamp_url: Option<String>,
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, AuthenticodeKeyError> {
    std::fs::read(path).map_err(|source| AuthenticodeKeyError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Wraps a key problem with where the key came from.
fn key_error(origin: &str) -> impl FnOnce(AuthenticodeError) -> AuthenticodeKeyError + '_ {
    move |source| AuthenticodeKeyError::Key {
        origin: origin.to_string(),
        source,
    }
}

/// The signer the command line names, if any (before anything is built);
/// else the PKCS#12 file whose path is in the variable `env` names (with
/// its password in the one `env` names).
pub fn load(
    source: KeySource<'_>,
    timestamp_url: Option<&str>,
    env: &crate::pyproject::SigningEnv,
) -> Result<Option<AuthenticodeKey>, AuthenticodeKeyError> {
    let from_env = std::env::var_os(&env.authenticode_pfx)
        .filter(|path| !path.is_empty() && !source.is_set())
        .map(std::path::PathBuf::from);
    let source = KeySource {
        pfx: source.pfx.or(from_env.as_deref()),
        ..source
    };
    let key = match source {
        KeySource {
            pfx: Some(pfx),
            key: None,
            cert: None,
        } => load_pfx(pfx, None, &env.authenticode_password)?,
        KeySource {
            pfx: None,
            key: Some(key),
            cert: Some(cert),
        } => load_pem(key, cert)?,
        KeySource {
            pfx: None,
            key: None,
            cert: None,
        } => return Ok(None),
        KeySource { pfx: Some(_), .. } => {
            return Err(AuthenticodeKeyError::Arguments(
                "--authenticode-pfx is a key and certificates in one file: drop --authenticode-key and --authenticode-cert",
            ));
        }
        KeySource { .. } => {
            return Err(AuthenticodeKeyError::Arguments(
                "--authenticode-key and --authenticode-cert go together: give both (PEM), or --authenticode-pfx",
            ));
        }
    };
    Ok(Some(AuthenticodeKey {
        timestamp_url: timestamp_url.map(str::to_string),
        ..key
    }))
}

/// The Developer ID key the command line (`--apple-pfx`, or the variable
/// `env` names: `OXDIST_APPLE_PFX_FILE` by default) gives for app bundles
/// and DMGs, with its password from the variable `env` names
/// (`OXDIST_APPLE_PASSWORD`) or a prompt.
pub fn load_apple(
    pfx: Option<&Path>,
    timestamp_url: Option<&str>,
    env: &crate::pyproject::SigningEnv,
) -> Result<Option<AuthenticodeKey>, AuthenticodeKeyError> {
    let from_env = std::env::var_os(&env.apple_pfx)
        .filter(|path| !path.is_empty())
        .map(std::path::PathBuf::from);
    let Some(pfx) = pfx.or(from_env.as_deref()) else {
        return Ok(None);
    };
    let key = load_pfx(pfx, None, &env.apple_password)?;
    Ok(Some(AuthenticodeKey {
        origin: format!("Developer ID {}", key.origin),
        timestamp_url: timestamp_url.map(str::to_string),
        ..key
    }))
}

/// The signer the configuration activated, with its timestamp server
/// (`oxdist package` lets `--authenticode-timestamp-url` replace it for
/// Authenticode signatures).
pub fn load_configured(configured: &ConfiguredSigner) -> Result<AuthenticodeKey, AuthenticodeKeyError> {
    let key = match &configured.key {
        SignerKey::Pfx { path, password } => load_pfx(path, password.as_ref().map(Password::expose), PASSWORD_ENV)?,
        SignerKey::Pem { key, cert } => load_pem(key, cert)?,
    };
    Ok(AuthenticodeKey {
        origin: format!("{} (the configuration's code signer)", key.origin),
        timestamp_url: configured.timestamp_url.clone(),
        ..key
    })
}

fn load_pfx(pfx: &Path, password: Option<&str>, password_env: &str) -> Result<AuthenticodeKey, AuthenticodeKeyError> {
    let der = read("the PKCS#12 file", pfx)?;
    let origin = format!("PKCS#12 file {}", pfx.display());
    let password = match password
        .map(str::to_string)
        .ok_or(())
        .or_else(|()| std::env::var(password_env))
    {
        Ok(password) => password,
        Err(_) => {
            use std::io::IsTerminal;
            if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
                return Err(AuthenticodeKeyError::NoPassword {
                    origin,
                    variable: password_env.to_string(),
                });
            }
            rpassword::prompt_password(format!("Password for {}: ", pfx.display()))
                .map_err(AuthenticodeKeyError::Prompt)?
        }
    };
    let signer = CodeSigner::from_pkcs12(&der, &password).map_err(key_error(&origin))?;
    Ok(AuthenticodeKey {
        signer,
        origin,
        timestamp_url: None,
    })
}

fn load_pem(key: &Path, cert: &Path) -> Result<AuthenticodeKey, AuthenticodeKeyError> {
    let origin = format!("PEM key {} with certificates {}", key.display(), cert.display());
    let signer = CodeSigner::from_pem(&read("the PEM key", key)?, &read("the PEM certificates", cert)?)
        .map_err(key_error(&origin))?;
    Ok(AuthenticodeKey {
        signer,
        origin,
        timestamp_url: None,
    })
}
