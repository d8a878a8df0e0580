//! OpenPGP secret keys and detached signatures.
//!
//! Design:
//!
//! - **One key, given as bytes.** [`Signer::from_bytes`] reads one
//!   transferable secret key (a primary key with its subkeys), ASCII-armored
//!   or binary, as `gpg --export-secret-keys [--armor] KEYID` writes it.
//!   Input with several secret keys is refused rather than guessed at.
//! - **The passphrase is checked when the key is loaded.** A protected key is
//!   unlocked once, in memory, so a missing or wrong passphrase fails before
//!   any artifact is built, and signing many artifacts derives the key once.
//!   Neither the passphrase nor key material is ever part of an error, a
//!   `Debug` output or a file other than a signature.
//! - **The signing key is chosen like gpg chooses it:** the newest valid
//!   subkey flagged for signing, else the primary key when its self-signature
//!   allows signing (or states no flags at all). Revoked and expired keys are
//!   refused, naming the key and what to do.
//! - **Signatures are version 4, over binary data, with SHA-256** (never
//!   SHA-1) and the hashed subpackets gpg writes: creation time, issuer
//!   fingerprint and issuer key ID. RSA and EdDSA signatures are
//!   deterministic and (EC)DSA nonces are derived from the key and the
//!   message (RFC 6979), so the same key, data and time give the same bytes:
//!   signed artifacts stay reproducible.
//! - **The creation time is the caller's** (the build's `SOURCE_DATE_EPOCH`),
//!   raised to the signing key's own creation time when it is older, because
//!   gpg refuses a signature that predates its key ("public key … is N
//!   seconds newer than the signature").
//! - **Version 6 keys (RFC 9580) are refused**: gpg 2.2 — what Debian 12's
//!   `debsig-verify` and `rpm` call — cannot verify their signatures, and v6
//!   signatures carry a random salt, which would make signed artifacts differ
//!   on every build.

use std::fmt;
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use pgp::composed::{PublicOrSecret, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::packet::{KeyFlags, PacketTrait, Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, KeyVersion, Password, SigningKey};

/// Why a key could not be loaded or could not sign.
#[derive(Debug, thiserror::Error)]
pub enum OpenPgpError {
    #[error(
        "cannot read the OpenPGP key: {reason}; expected an ASCII-armored (\"-----BEGIN PGP PRIVATE KEY BLOCK-----\") or binary secret key, as written by `gpg --export-secret-keys --armor KEYID`"
    )]
    Parse { reason: String },
    #[error(
        "the OpenPGP input holds no secret key; export the secret key with `gpg --export-secret-keys --armor KEYID`"
    )]
    NoKey,
    #[error(
        "the OpenPGP key {fingerprint} is a public key and cannot sign; export its secret key with `gpg --export-secret-keys --armor {fingerprint}`"
    )]
    NotSecret { fingerprint: String },
    #[error(
        "the OpenPGP input holds {count} secret keys ({fingerprints}); export only the one to sign with, e.g. `gpg --export-secret-keys --armor KEYID`"
    )]
    SeveralKeys { count: usize, fingerprints: String },
    #[error("the OpenPGP key {key_id} is passphrase-protected and no passphrase was given; provide its passphrase")]
    PassphraseRequired { key_id: String },
    #[error("wrong passphrase for OpenPGP key {key_id}")]
    WrongPassphrase { key_id: String },
    #[error("the OpenPGP key {key_id} cannot sign: {reason}")]
    CannotSign { key_id: String, reason: String },
    #[error(
        "the OpenPGP key {key_id} is a version 6 key; gpg 2.2 (used by debsig-verify and rpm on current distributions) cannot verify its signatures: use a version 4 key (gpg --quick-gen-key without --rfc9580)"
    )]
    Version6 { key_id: String },
    #[error("signing with OpenPGP key {key_id} failed: {reason}")]
    Sign { key_id: String, reason: String },
}

/// Which part of the key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Primary,
    Subkey(usize),
}

/// An unlocked OpenPGP secret key, ready to make detached signatures.
///
/// `Debug` shows the fingerprints only.
#[derive(Clone)]
pub struct Signer {
    key: SignedSecretKey,
    part: Part,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("primary", &self.fingerprint())
            .field("signing_key", &self.signing_fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the one secret key in `bytes` (armored or binary) and unlocks
    /// it with `passphrase` when it is protected. A passphrase given for an
    /// unprotected key is ignored.
    pub fn from_bytes(bytes: &[u8], passphrase: Option<&str>) -> Result<Self, OpenPgpError> {
        let parse_err = |e: pgp::errors::Error| OpenPgpError::Parse { reason: e.to_string() };
        let (keys, _headers) = PublicOrSecret::from_reader_many(bytes).map_err(parse_err)?;
        let mut secret = Vec::new();
        let mut public = Vec::new();
        for key in keys {
            match key.map_err(parse_err)? {
                PublicOrSecret::Secret(key) => secret.push(key),
                PublicOrSecret::Public(key) => public.push(hex_upper(key.primary_key.fingerprint().as_bytes())),
            }
        }
        let mut key = match (secret.len(), public.first()) {
            (1, _) => secret.pop().expect("one key"),
            (0, Some(fingerprint)) => {
                return Err(OpenPgpError::NotSecret {
                    fingerprint: fingerprint.clone(),
                });
            }
            (0, None) => return Err(OpenPgpError::NoKey),
            (count, _) => {
                return Err(OpenPgpError::SeveralKeys {
                    count,
                    fingerprints: secret
                        .iter()
                        .map(|k| hex_upper(k.primary_key.fingerprint().as_bytes()))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        };
        let key_id = key.primary_key.legacy_key_id().to_string().to_uppercase();
        if key.primary_key.version() == KeyVersion::V6 {
            return Err(OpenPgpError::Version6 { key_id });
        }
        key.verify_bindings().map_err(|e| OpenPgpError::CannotSign {
            key_id: key_id.clone(),
            reason: format!("its self-signatures do not verify ({e}); the exported key is damaged"),
        })?;
        let part = choose_signing_part(&key, now()).map_err(|reason| OpenPgpError::CannotSign {
            key_id: key_id.clone(),
            reason,
        })?;

        // Unlock only the part that signs: gpg protects every part with the
        // same passphrase, but an exported key may have other parts stubbed
        // out or locked differently, and those are never used.
        let encrypted = match part {
            Part::Primary => key.primary_key.secret_params().is_encrypted(),
            Part::Subkey(i) => key.secret_subkeys[i].key.secret_params().is_encrypted(),
        };
        if encrypted {
            let Some(passphrase) = passphrase.filter(|p| !p.is_empty()) else {
                return Err(OpenPgpError::PassphraseRequired { key_id });
            };
            let password = Password::from(passphrase);
            let unlocked = match part {
                Part::Primary => key.primary_key.remove_password(&password),
                Part::Subkey(i) => key.secret_subkeys[i].key.remove_password(&password),
            };
            // rpgp reports a wrong passphrase as a failed checksum or AEAD
            // tag; nothing else can fail once the key parsed.
            unlocked.map_err(|_| OpenPgpError::WrongPassphrase { key_id })?;
        }
        Ok(Self { key, part })
    }

    /// The primary key's fingerprint, uppercase hex (what `gpg --list-keys` shows).
    pub fn fingerprint(&self) -> String {
        hex_upper(self.key.primary_key.fingerprint().as_bytes())
    }

    /// The primary key's long key ID, uppercase hex (16 digits).
    pub fn key_id(&self) -> String {
        self.key.primary_key.legacy_key_id().to_string().to_uppercase()
    }

    /// The fingerprint of the key that actually signs (the primary key or a
    /// signing subkey): the issuer named in signatures.
    pub fn signing_fingerprint(&self) -> String {
        let fingerprint = match self.part {
            Part::Primary => self.key.primary_key.fingerprint(),
            Part::Subkey(i) => self.key.secret_subkeys[i].key.fingerprint(),
        };
        hex_upper(fingerprint.as_bytes())
    }

    /// The unlocked key, for libraries built on the same `pgp` crate (the
    /// `rpm` crate's signer takes a `pgp` secret key).
    pub fn secret_key(&self) -> &SignedSecretKey {
        &self.key
    }

    /// A binary (unarmored) detached OpenPGP signature over everything `data`
    /// yields, made with SHA-256 at `created` (seconds since the Unix epoch;
    /// raised to the signing key's creation time when older).
    pub fn detached_signature(&self, data: impl Read, created: u64) -> Result<Vec<u8>, OpenPgpError> {
        match self.part {
            Part::Primary => self.sign_with(&self.key.primary_key, data, created),
            Part::Subkey(i) => self.sign_with(&self.key.secret_subkeys[i].key, data, created),
        }
    }

    fn sign_with<K: SigningKey + KeyDetails>(
        &self,
        key: &K,
        data: impl Read,
        created: u64,
    ) -> Result<Vec<u8>, OpenPgpError> {
        let sign_err = |e: pgp::errors::Error| OpenPgpError::Sign {
            key_id: self.key_id(),
            reason: e.to_string(),
        };
        let created = u32::try_from(created).map_err(|_| OpenPgpError::Sign {
            key_id: self.key_id(),
            reason: format!("the time {created} is after 2106, beyond what OpenPGP can store"),
        })?;
        let created = created.max(key.created_at().as_secs());
        let mut config = SignatureConfig::v4(SignatureType::Binary, key.algorithm(), HashAlgorithm::Sha256);
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(pgp::types::Timestamp::from_secs(
                created,
            )))
            .map_err(sign_err)?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint())).map_err(sign_err)?,
            Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id())).map_err(sign_err)?,
        ];
        // The key was unlocked when loaded, so the empty password is never asked for.
        let signature = config.sign(key, &Password::empty(), data).map_err(sign_err)?;
        let mut out = Vec::with_capacity(256);
        signature.to_writer_with_header(&mut out).map_err(sign_err)?;
        Ok(out)
    }
}

/// Seconds since the Unix epoch, now.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Algorithms rpgp can make signatures with (ElGamal "signing" is obsolete
/// and unsupported).
fn algorithm_signs(algorithm: PublicKeyAlgorithm) -> bool {
    matches!(
        algorithm,
        PublicKeyAlgorithm::RSA
            | PublicKeyAlgorithm::RSASign
            | PublicKeyAlgorithm::DSA
            | PublicKeyAlgorithm::ECDSA
            | PublicKeyAlgorithm::EdDSALegacy
            | PublicKeyAlgorithm::Ed25519
            | PublicKeyAlgorithm::Ed448
    )
}

/// The key flags a signature states, `None` when it states none.
fn stated_flags(signature: &Signature) -> Option<KeyFlags> {
    signature.config()?.hashed_subpackets().find_map(|p| match &p.data {
        SubpacketData::KeyFlags(flags) => Some(flags.clone()),
        _ => None,
    })
}

fn created_secs(signature: &Signature) -> u32 {
    signature.created().map_or(0, |t| t.as_secs())
}

/// When a key part expires (seconds since the epoch), from the newest of
/// its self-signatures that states an expiration.
fn expires_at<'a>(created: u32, signatures: impl Iterator<Item = &'a Signature>) -> Option<u64> {
    let newest = signatures.max_by_key(|s| created_secs(s))?;
    let validity = newest.key_expiration_time()?.as_secs();
    (validity > 0).then(|| u64::from(created) + u64::from(validity))
}

/// The part of `key` that signs, or why none can.
fn choose_signing_part(key: &SignedSecretKey, now: u64) -> Result<Part, String> {
    if !key.details.revocation_signatures.is_empty() {
        return Err("it is revoked; use another key".into());
    }
    let primary_signatures = || {
        key.details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(key.details.direct_signatures.iter())
    };
    let primary_created = key.primary_key.created_at().as_secs();
    if let Some(expiry) = expires_at(primary_created, primary_signatures())
        && expiry <= now
    {
        return Err(format!(
            "it expired {} days ago; extend it with `gpg --quick-set-expire FINGERPRINT 2y` and export it again",
            (now - expiry) / 86_400
        ));
    }

    // The newest subkey flagged for signing, not revoked, not expired.
    let mut best: Option<(u32, usize)> = None;
    for (index, subkey) in key.secret_subkeys.iter().enumerate() {
        let revoked = subkey
            .signatures
            .iter()
            .any(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
        let binding = subkey
            .signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
            .max_by_key(|s| created_secs(s));
        let signs = binding.and_then(stated_flags).is_some_and(|f| f.sign());
        let created = subkey.key.created_at().as_secs();
        let expired = expires_at(created, binding.into_iter()).is_some_and(|e| e <= now);
        let usable = signs && !revoked && !expired && algorithm_signs(subkey.key.algorithm());
        if usable && best.is_none_or(|(c, _)| created > c) {
            best = Some((created, index));
        }
    }
    if let Some((_, index)) = best {
        return Ok(Part::Subkey(index));
    }

    // The primary key, when its newest self-signature allows signing.
    let flags = primary_signatures()
        .filter(|s| stated_flags(s).is_some())
        .max_by_key(|s| created_secs(s))
        .and_then(stated_flags);
    let allowed = flags.is_none_or(|f| f.sign());
    if !algorithm_signs(key.primary_key.algorithm()) {
        return Err(format!(
            "its primary key uses {:?}, which cannot make signatures, and it has no signing subkey; add one with `gpg --quick-add-key FINGERPRINT ed25519 sign`",
            key.primary_key.algorithm()
        ));
    }
    if !allowed {
        return Err(
            "neither its primary key nor any subkey is flagged for signing; add a signing subkey with `gpg --quick-add-key FINGERPRINT ed25519 sign`"
                .into(),
        );
    }
    Ok(Part::Primary)
}
