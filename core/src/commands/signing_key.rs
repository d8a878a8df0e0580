//! The OpenPGP key `oxdist package` signs deb and rpm packages with.
//!
//! Where it comes from, first match wins:
//!
//! 1. `--pgp-key FILE` (or `OXDIST_PGP_KEY_FILE`): a secret key file;
//! 2. `OXDIST_PGP_KEY`: the key itself (ASCII-armored), for CI secret stores.
//!
//! (Zero-config projects may name other variables for both in
//! `[tool.oxdist.signing]`: [`crate::pyproject::SigningEnv`].)
//!
//! The passphrase of a protected key comes from `OXDIST_PGP_PASSPHRASE`, or
//! is asked for on the terminal when there is one. The key is unlocked once,
//! before anything is built, so a wrong passphrase costs no build time.
//! Neither the key nor the passphrase is ever printed, logged or written
//! anywhere but into signatures.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxdist_signing::openpgp::{OpenPgpError, Signer};

/// Environment variable holding the key itself.
pub const KEY_ENV: &str = "OXDIST_PGP_KEY";
/// Environment variable holding the passphrase.
pub const PASSPHRASE_ENV: &str = "OXDIST_PGP_PASSPHRASE";

/// Why the signing key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the OpenPGP key file {}: {source}; pass a secret key exported with `gpg --export-secret-keys --armor KEYID`", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {source}")]
    Key { origin: String, source: OpenPgpError },
    #[error("{origin}: the key is passphrase-protected; set {variable} (no terminal to ask on)")]
    NoPassphrase { origin: String, variable: String },
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(std::io::Error),
}

/// A loaded, unlocked key.
#[derive(Clone)]
pub struct SigningKey {
    pub signer: Arc<Signer>,
    /// Where the key came from, for messages (never the key itself).
    pub origin: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, {})", self.origin, self.signer.fingerprint())
    }
}

/// The key to sign with, if one is configured: `key_file`, else the key in
/// the variable `env` names (passphrase likewise).
pub fn load(key_file: Option<&Path>, env: &crate::pyproject::SigningEnv) -> Result<Option<SigningKey>, KeyError> {
    let (bytes, origin) = match key_file {
        Some(path) => (
            std::fs::read(path).map_err(|source| KeyError::Read {
                path: path.to_path_buf(),
                source,
            })?,
            format!("OpenPGP key {}", path.display()),
        ),
        None => match std::env::var(&env.pgp_key) {
            Ok(text) if !text.trim().is_empty() => (text.into_bytes(), format!("OpenPGP key from {}", env.pgp_key)),
            _ => return Ok(None),
        },
    };
    let passphrase = std::env::var(&env.pgp_passphrase).ok().filter(|p| !p.is_empty());
    let signer = match Signer::from_bytes(&bytes, passphrase.as_deref()) {
        Ok(signer) => signer,
        Err(OpenPgpError::PassphraseRequired { key_id }) => {
            use std::io::IsTerminal;
            if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
                return Err(KeyError::NoPassphrase {
                    origin,
                    variable: env.pgp_passphrase.clone(),
                });
            }
            let entered = rpassword::prompt_password(format!("Passphrase for OpenPGP key {key_id}: "))
                .map_err(KeyError::Prompt)?;
            Signer::from_bytes(&bytes, Some(&entered)).map_err(|source| KeyError::Key {
                origin: origin.clone(),
                source,
            })?
        }
        Err(source) => return Err(KeyError::Key { origin, source }),
    };
    Ok(Some(SigningKey {
        signer: Arc::new(signer),
        origin,
    }))
}
