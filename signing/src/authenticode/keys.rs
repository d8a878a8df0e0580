//! Code-signing keys and certificate chains: PEM files and PKCS#12 (PFX).
//!
//! PKCS#12 is read with the RustCrypto `pkcs12` (structures, key derivation)
//! and `pkcs5` (PBES2) crates. Supported protections, which cover what
//! current tools write:
//!
//! - PBES2 with PBKDF2 (HMAC-SHA-1/-224/-256/-384/-512) and AES-CBC: the
//!   default of `openssl pkcs12 -export` (OpenSSL 3) and of Windows'
//!   "AES256-SHA256" export;
//! - `pbeWithSHAAnd3-KeyTripleDES-CBC`: Windows' default "TripleDES-SHA1"
//!   export and OpenSSL's `-legacy` key protection.
//!
//! RC2 and RC4 (OpenSSL 1.x's default for the certificates) are refused with
//! a hint to re-export. The MAC (SHA-1 or SHA-2) is checked first, so a wrong
//! password is reported as such before anything is decrypted.

use std::fmt;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{ContextSpecific, ObjectIdentifier, OctetString};
use der::{Any, Decode, DecodePem, Encode};
use hmac::{Hmac, Mac};
use pkcs12::cert_type::CertBag;
use pkcs12::kdf::{Pkcs12KeyType, derive_key};
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::SafeContents;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use x509_cert::Certificate;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::AuthenticodeError;
use super::signed_data::bmp_string;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const PKCS8_SHROUDED_KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = super::signed_data::ID_SHA256;
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Iteration counts above this are refused: a hostile file must not make
/// loading it take hours. Real files use 2 048 (OpenSSL) to 600 000.
const MAX_ITERATIONS: i64 = 10_000_000;

/// The certificates of a signature: the signer's (leaf) certificate first,
/// then the intermediates (and, optionally, the root) that chain it to a
/// trusted root. All of them are embedded in the signature, so a verifier
/// needs only the root.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateChain {
    certificates: Vec<Certificate>,
}

impl fmt::Debug for CertificateChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.certificates.iter().map(|c| c.tbs_certificate.subject.to_string()))
            .finish()
    }
}

impl CertificateChain {
    /// Reads the PEM certificates in `pem` (`-----BEGIN CERTIFICATE-----`
    /// blocks, as `openssl x509` writes them). The first is the signer's.
    pub fn from_pem(pem: &[u8]) -> Result<Self, AuthenticodeError> {
        Self::parse_pem(pem)?.with_rsa_leaf()
    }

    /// Reads DER certificates, the signer's first.
    pub fn from_der<B: AsRef<[u8]>>(certificates: &[B]) -> Result<Self, AuthenticodeError> {
        Self::parse_der(certificates)?.with_rsa_leaf()
    }

    /// The certificates of a PEM file, in file order (the leaf not yet known).
    fn parse_pem(pem: &[u8]) -> Result<Self, AuthenticodeError> {
        // Own block splitting: x509-cert 0.2's `load_pem_chain` panics on empty input and
        // rejects files with anything else in them (a key, `openssl x509 -text` output).
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let text = std::str::from_utf8(pem).map_err(|_| AuthenticodeError::Certificates {
            reason: "the PEM file is not text".into(),
        })?;
        let mut certificates = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let block = &rest[start..];
            let end = block
                .find(END)
                .map(|i| i + END.len())
                .ok_or_else(|| AuthenticodeError::Certificates {
                    reason: format!("certificate {} has no \"{END}\" line", certificates.len() + 1),
                })?;
            let certificate = Certificate::from_pem(&block[..end]).map_err(|e| AuthenticodeError::Certificates {
                reason: format!("certificate {}: {e}", certificates.len() + 1),
            })?;
            certificates.push(certificate);
            rest = &block[end..];
        }
        Self::new(certificates)
    }

    /// DER certificates, in the given order (the leaf not yet known).
    fn parse_der<B: AsRef<[u8]>>(certificates: &[B]) -> Result<Self, AuthenticodeError> {
        let certificates = certificates
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AuthenticodeError::Certificates { reason: e.to_string() })?;
        Self::new(certificates)
    }

    fn with_rsa_leaf(self) -> Result<Self, AuthenticodeError> {
        self.leaf_rsa_key()?;
        Ok(self)
    }

    fn new(mut certificates: Vec<Certificate>) -> Result<Self, AuthenticodeError> {
        if certificates.is_empty() {
            return Err(AuthenticodeError::NoCertificates);
        }
        // The same certificate twice (a chain file that repeats the leaf) would make the
        // SignedData's SET invalid; keep the first of each.
        let mut unique: Vec<Certificate> = Vec::with_capacity(certificates.len());
        for certificate in certificates.drain(..) {
            if !unique.contains(&certificate) {
                unique.push(certificate);
            }
        }
        Ok(CertificateChain { certificates: unique })
    }

    /// The signer's certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.certificates[0]
    }

    /// All certificates, the signer's first.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The signer's subject as an RFC 4514 string (last RDN first, so
    /// `CN=…,O=…,C=…` for the usual `C`, `O`, `CN` order).
    pub fn subject(&self) -> String {
        self.leaf().tbs_certificate.subject.to_string()
    }

    /// The signer's organizational unit (`OU`), which in an Apple Developer
    /// ID certificate is the team ID that code signatures carry.
    pub fn organizational_unit(&self) -> Option<String> {
        const OU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
        self.leaf()
            .tbs_certificate
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .filter(|attribute| attribute.oid == OU)
            .find_map(|attribute| {
                let value = &attribute.value;
                value
                    .decode_as::<der::asn1::Utf8StringRef<'_>>()
                    .map(|s| s.to_string())
                    .or_else(|_| {
                        value
                            .decode_as::<der::asn1::PrintableStringRef<'_>>()
                            .map(|s| s.to_string())
                    })
                    .ok()
            })
    }

    /// The RSA public key of the signer's certificate.
    pub(crate) fn leaf_rsa_key(&self) -> Result<RsaPublicKey, AuthenticodeError> {
        rsa_public_key(self.leaf()).ok_or_else(|| AuthenticodeError::UnsupportedKey {
            what: format!(
                "the certificate {} has a {} public key",
                self.subject(),
                self.leaf().tbs_certificate.subject_public_key_info.algorithm.oid
            ),
        })
    }

    /// Moves the certificate whose public key is `key`'s to the front.
    fn with_leaf_for(mut self, key: &RsaPrivateKey) -> Result<Self, AuthenticodeError> {
        let public = key.to_public_key();
        let position = self
            .certificates
            .iter()
            .position(|c| rsa_public_key(c).as_ref() == Some(&public));
        match position {
            Some(index) => {
                let leaf = self.certificates.remove(index);
                self.certificates.insert(0, leaf);
                Ok(self)
            }
            None => Err(AuthenticodeError::KeyCertificateMismatch {
                subjects: self
                    .certificates
                    .iter()
                    .map(|c| c.tbs_certificate.subject.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
        }
    }
}

fn rsa_public_key(certificate: &Certificate) -> Option<RsaPublicKey> {
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return None;
    }
    RsaPublicKey::from_public_key_der(&spki.to_der().ok()?).ok()
}

/// An RSA code-signing key with its certificate chain.
///
/// `Debug` shows the certificate subjects, never key material.
#[derive(Clone)]
pub struct CodeSigner {
    key: RsaPrivateKey,
    chain: CertificateChain,
}

impl fmt::Debug for CodeSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeSigner")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl CodeSigner {
    /// An unencrypted PEM RSA private key (PKCS#8 `-----BEGIN PRIVATE KEY-----`
    /// or PKCS#1 `-----BEGIN RSA PRIVATE KEY-----`) and the PEM certificate
    /// chain. The certificate matching the key becomes the signer's,
    /// wherever it is in `certificates_pem`.
    pub fn from_pem(key_pem: &[u8], certificates_pem: &[u8]) -> Result<Self, AuthenticodeError> {
        let key = rsa_key_from_pem(key_pem)?;
        let chain = CertificateChain::parse_pem(certificates_pem)?.with_leaf_for(&key)?;
        Ok(CodeSigner { key, chain })
    }

    /// A PKCS#12 (PFX) file holding one RSA private key and its certificate
    /// chain, protected by `password` (the empty string for none). A wrong
    /// password is [`AuthenticodeError::WrongPassword`], which never contains
    /// the password.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, AuthenticodeError> {
        let (key_der, certificates) = read_pkcs12(der, password)?;
        let key = RsaPrivateKey::from_pkcs8_der(&key_der).map_err(|e| match e {
            rsa::pkcs8::Error::KeyMalformed => AuthenticodeError::Pkcs12 {
                reason: "the private key is malformed".into(),
            },
            _ => AuthenticodeError::UnsupportedKey {
                what: format!("the PKCS#12 file's private key ({e})"),
            },
        })?;
        let chain = CertificateChain::parse_der(&certificates)?.with_leaf_for(&key)?;
        Ok(CodeSigner { key, chain })
    }

    /// The certificate chain, the signer's certificate first.
    pub fn chain(&self) -> &CertificateChain {
        &self.chain
    }

    pub(crate) fn key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

fn rsa_key_from_pem(pem: &[u8]) -> Result<RsaPrivateKey, AuthenticodeError> {
    let text = std::str::from_utf8(pem).map_err(|_| AuthenticodeError::Key {
        reason: "it is not text".into(),
    })?;
    // The first private-key block, else the first block (to name it in the error).
    let labels = text.lines().filter_map(|l| {
        l.trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
    });
    let label = labels
        .clone()
        .find(|label| label.ends_with("PRIVATE KEY"))
        .or_else(|| labels.clone().next())
        .ok_or_else(|| AuthenticodeError::Key {
            reason: "no \"-----BEGIN …-----\" line".into(),
        })?;
    // Only the block with `label` is decoded; a file with the key and its certificates is fine.
    let start = text.find(&format!("-----BEGIN {label}-----")).unwrap_or(0);
    let end_marker = format!("-----END {label}-----");
    let end = text[start..]
        .find(&end_marker)
        .map(|i| start + i + end_marker.len())
        .unwrap_or(text.len());
    let block = &text[start..end];
    let unsupported = || AuthenticodeError::UnsupportedKey {
        what: format!("the PEM \"{label}\""),
    };
    match label {
        "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(block).map_err(|e| match e {
            // An algorithm other than rsaEncryption (EC, Ed25519, …).
            rsa::pkcs8::Error::PublicKey(_) => unsupported(),
            other => AuthenticodeError::Key {
                reason: other.to_string(),
            },
        }),
        "RSA PRIVATE KEY" => {
            RsaPrivateKey::from_pkcs1_pem(block).map_err(|e| AuthenticodeError::Key { reason: e.to_string() })
        }
        "ENCRYPTED PRIVATE KEY" => Err(AuthenticodeError::EncryptedPemKey),
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => Err(unsupported()),
        other => Err(AuthenticodeError::Key {
            reason: format!("the PEM block is a \"{other}\", not a private key"),
        }),
    }
}

/// The PKCS#8 DER of the one private key in a PFX, and its certificates.
fn read_pkcs12(der: &[u8], password: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), AuthenticodeError> {
    let malformed = |what: &str| AuthenticodeError::Pkcs12 {
        reason: what.to_string(),
    };
    let pfx = Pfx::from_der(der).map_err(|e| AuthenticodeError::Pkcs12 {
        reason: format!("not a PKCS#12 file ({e})"),
    })?;
    if pfx.auth_safe.content_type != ID_DATA {
        return Err(AuthenticodeError::Pkcs12Unsupported {
            what: "public-key integrity mode (only password integrity is supported)".into(),
        });
    }
    let auth_safe = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|_| malformed("its authSafe is not an OCTET STRING"))?;
    let auth_safe = auth_safe.as_bytes();
    if let Some(mac_data) = &pfx.mac_data {
        check_mac(auth_safe, mac_data, password)?;
    }
    let contents =
        Vec::<ContentInfo>::from_der(auth_safe).map_err(|_| malformed("its AuthenticatedSafe is malformed"))?;
    let mut keys = Vec::new();
    let mut certificates = Vec::new();
    for content in contents {
        let safe_contents = if content.content_type == ID_DATA {
            let data = content
                .content
                .decode_as::<OctetString>()
                .map_err(|_| malformed("a data content is malformed"))?;
            data.as_bytes().to_vec()
        } else if content.content_type == ID_ENCRYPTED_DATA {
            let encrypted = content
                .content
                .decode_as::<EncryptedData>()
                .map_err(|_| malformed("an encrypted content is malformed"))?;
            let info = encrypted.enc_content_info;
            let Some(ciphertext) = info.encrypted_content else {
                continue;
            };
            decrypt(&info.content_enc_alg, ciphertext.as_bytes(), password)?
        } else {
            return Err(AuthenticodeError::Pkcs12Unsupported {
                what: format!(
                    "content of type {} (only data and password-encrypted data are supported)",
                    content.content_type
                ),
            });
        };
        let bags = SafeContents::from_der(&safe_contents).map_err(|_| malformed("its SafeContents are malformed"))?;
        for bag in bags {
            // bag_value is the `[0] EXPLICIT` wrapper.
            let value = ContextSpecific::<Any>::from_der(&bag.bag_value)
                .map_err(|_| malformed("a SafeBag value is malformed"))?
                .value;
            if bag.bag_id == KEY_BAG {
                keys.push(value.to_der().map_err(|_| malformed("a key bag is malformed"))?);
            } else if bag.bag_id == PKCS8_SHROUDED_KEY_BAG {
                let shrouded = value
                    .decode_as::<EncryptedPrivateKeyInfo>()
                    .map_err(|_| malformed("a shrouded key bag is malformed"))?;
                keys.push(decrypt(
                    &shrouded.encryption_algorithm,
                    shrouded.encrypted_data.as_bytes(),
                    password,
                )?);
            } else if bag.bag_id == CERT_BAG {
                let cert_bag = value
                    .decode_as::<CertBag>()
                    .map_err(|_| malformed("a certificate bag is malformed"))?;
                if cert_bag.cert_id == X509_CERTIFICATE {
                    certificates.push(cert_bag.cert_value.as_bytes().to_vec());
                }
            }
            // CRL, secret and nested bags carry nothing a signature needs.
        }
    }
    match keys.len() {
        1 => Ok((keys.pop().unwrap_or_default(), certificates)),
        0 => Err(AuthenticodeError::Pkcs12 {
            reason: "it holds no private key; export the certificate *with* its private key".into(),
        }),
        n => Err(AuthenticodeError::Pkcs12 {
            reason: format!("it holds {n} private keys; export only the code-signing key and its chain"),
        }),
    }
}

/// Checks the password-integrity MAC (RFC 7292 §5, key from appendix B).
fn check_mac(auth_safe: &[u8], mac_data: &pkcs12::mac_data::MacData, password: &str) -> Result<(), AuthenticodeError> {
    let iterations = iterations(i64::from(mac_data.iterations))?;
    let salt = mac_data.mac_salt.as_bytes();
    let expected = mac_data.mac.digest.as_bytes();
    let oid = mac_data.mac.algorithm.oid;
    let password = bmp_password(password);
    // RFC 7292 appendix B: the MAC key is derived with the MAC's own hash, as long as its output.
    macro_rules! matches {
        ($digest:ty) => {{
            let size = <$digest as sha2::Digest>::output_size();
            let key = derive_key::<$digest>(&password, salt, Pkcs12KeyType::Mac, iterations, size);
            match <Hmac<$digest> as Mac>::new_from_slice(&key) {
                Ok(mut mac) => {
                    mac.update(auth_safe);
                    mac.verify_slice(expected).is_ok()
                }
                Err(_) => false,
            }
        }};
    }
    let ok = if oid == ID_SHA1 {
        matches!(sha1::Sha1)
    } else if oid == ID_SHA256 {
        matches!(sha2::Sha256)
    } else if oid == ID_SHA384 {
        matches!(sha2::Sha384)
    } else if oid == ID_SHA512 {
        matches!(sha2::Sha512)
    } else {
        return Err(AuthenticodeError::Pkcs12Unsupported {
            what: format!("the MAC algorithm {oid}"),
        });
    };
    if ok {
        Ok(())
    } else {
        Err(AuthenticodeError::WrongPassword)
    }
}

/// Decrypts one PKCS#12 encrypted blob (a shrouded key or encrypted SafeContents).
fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
) -> Result<Vec<u8>, AuthenticodeError> {
    if algorithm.oid == PBES2 {
        let der = algorithm.to_der().map_err(|_| AuthenticodeError::Pkcs12 {
            reason: "bad PBES2 parameters".into(),
        })?;
        let scheme = pkcs5::EncryptionScheme::from_der(&der).map_err(|e| AuthenticodeError::Pkcs12Unsupported {
            what: format!("its PBES2 parameters ({e})"),
        })?;
        match &scheme {
            pkcs5::EncryptionScheme::Pbes2(params) => match &params.kdf {
                pkcs5::pbes2::Kdf::Pbkdf2(kdf) => {
                    iterations(i64::from(kdf.iteration_count))?;
                }
                // No PKCS#12 writer uses scrypt, and its cost parameters could ask for gigabytes.
                _ => {
                    return Err(AuthenticodeError::Pkcs12Unsupported {
                        what: "PBES2 with scrypt".into(),
                    });
                }
            },
            _ => {
                return Err(AuthenticodeError::Pkcs12Unsupported {
                    what: "PKCS#5 PBES1 (DES/MD5)".into(),
                });
            }
        }
        // PBES2 takes the password as its UTF-8 bytes (OpenSSL, Windows).
        return scheme.decrypt(password.as_bytes(), ciphertext).map_err(|e| match e {
            pkcs5::Error::DecryptFailed => AuthenticodeError::WrongPassword,
            other => AuthenticodeError::Pkcs12Unsupported {
                what: format!("its PBES2 encryption ({other})"),
            },
        });
    }
    if algorithm.oid == PBE_SHA1_3DES {
        let params = algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<Pkcs12PbeParams>().ok())
            .ok_or_else(|| AuthenticodeError::Pkcs12 {
                reason: "bad pbeWithSHAAnd3-KeyTripleDES-CBC parameters".into(),
            })?;
        let iterations = iterations(i64::from(params.iterations))?;
        let salt = params.salt.as_bytes();
        let password = bmp_password(password);
        let key = derive_key::<sha1::Sha1>(&password, salt, Pkcs12KeyType::EncryptionKey, iterations, 24);
        let iv = derive_key::<sha1::Sha1>(&password, salt, Pkcs12KeyType::Iv, iterations, 8);
        let decryptor =
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv).map_err(|_| AuthenticodeError::Pkcs12 {
                reason: "bad 3DES key length".into(),
            })?;
        return decryptor
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .map_err(|_| AuthenticodeError::WrongPassword);
    }
    Err(AuthenticodeError::Pkcs12Unsupported {
        what: format!(
            "encryption algorithm {} (RC2/RC4, from OpenSSL 1.x or `-legacy`)",
            algorithm.oid
        ),
    })
}

/// The password as PKCS#12 appendix B wants it: BMPString with a trailing NUL.
fn bmp_password(password: &str) -> Vec<u8> {
    let mut bytes = bmp_string(password);
    bytes.extend([0, 0]);
    bytes
}

fn iterations(count: i64) -> Result<i32, AuthenticodeError> {
    if (1..=MAX_ITERATIONS).contains(&count) {
        Ok(count as i32)
    } else {
        Err(AuthenticodeError::Pkcs12 {
            reason: format!("its iteration count {count} is outside 1..={MAX_ITERATIONS}"),
        })
    }
}
