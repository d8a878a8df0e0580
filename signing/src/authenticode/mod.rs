//! Authenticode signatures for Windows PE files (EXE, DLL, `.pyd`) and MSI
//! packages, made in process on any host.
//!
//! Design:
//!
//! - **What is signed.** [`pe_digest`] is the Authenticode SHA-256 digest of
//!   the file: every byte except the optional header's `CheckSum`, the
//!   Certificate Table data directory entry and the certificate table itself,
//!   with an unsigned file hashed as if zero-padded to a multiple of 8 bytes
//!   (where the signature will start). It equals the digest `osslsigncode`
//!   and `signtool` compute.
//! - **The signature** is a PKCS#7 `SignedData` over an
//!   `SpcIndirectDataContent` (`SpcPeImageData` + the digest), with the
//!   signer's certificate chain, RSA PKCS#1 v1.5 with SHA-256 and the signed
//!   attributes Windows expects: content type, message digest,
//!   `SpcSpOpusInfo` (optional program name and URL, shown by Windows' UAC
//!   prompt and the file's "Digital Signatures" tab) and the
//!   individual-code-signing statement type. The `SignedData` part is shared
//!   with other formats.
//! - **MSI files** ([`sign_msi`], [`msi_digest`], split signing): the same `SignedData` over
//!   an `SpcIndirectDataContent` with an `SpcSipInfo` (the MSI subject
//!   interface package) and the imprint of the stream contents, stored in the
//!   root stream `\u{5}DigitalSignature` of a rewritten, reproducible
//!   compound file (version 3). The rules are in the `msi` module's source.
//! - **Where it goes.** The `SignedData` is appended as one `WIN_CERTIFICATE`
//!   (revision 2.0, `WIN_CERT_TYPE_PKCS_SIGNED_DATA`) at an 8-byte aligned
//!   offset; the Certificate Table data directory points at it and the PE
//!   `CheckSum` is recomputed, so the result is a valid image.
//! - **Reproducible.** No signing time is written unless
//!   [`SignOptions::signing_time`] asks for one, and RSA PKCS#1 v1.5 is
//!   deterministic: signing the same file with the same key and options
//!   gives the same bytes (unless a timestamp is asked for, see below).
//! - **Already signed input: the signature is replaced,** as `signtool sign`
//!   does without `/as`: the old certificate table is dropped and a new one
//!   written. Nested (dual) signatures are not supported. A certificate
//!   table that is not at the very end of the file is refused.
//! - **Keys:** RSA only, from PEM ([`CodeSigner::from_pem`]) or PKCS#12 /
//!   PFX ([`CodeSigner::from_pkcs12`]). Key material and passwords never
//!   appear in an error, a `Debug` output or a file.
//! - **Split signing** for HSMs and cloud signers, where the key never
//!   reaches this process: [`pe_signing_request`] / [`msi_signing_request`]
//!   give the exact bytes to sign (the DER signed attributes) and their
//!   SHA-256 digest; the external signer makes an RSA PKCS#1 v1.5 SHA-256
//!   signature; and [`attach_pe_signature`] / [`attach_msi_signature`]
//!   rebuild the same signed attributes (everything is deterministic, so no
//!   state is carried between the steps), check the signature against the
//!   certificate and embed it. The result is byte for byte what
//!   [`sign_pe`] / [`sign_msi`] give with the same key.
//! - **RFC 3161 timestamps** ([`SignOptions::timestamp`], an `http://` TSA
//!   URL): once the signature value exists (in split signing: in the attach
//!   step), the TSA is asked for a token over its SHA-256, and the token
//!   goes into the SignerInfo's unsigned attribute
//!   `szOID_RFC3161_counterSign` (1.3.6.1.4.1.311.3.3.1), as `signtool
//!   /tr … /td sha256` and `osslsigncode -ts` write it. The status, message
//!   imprint and nonce of the answer are checked; trusting the TSA is the
//!   verifier's business. A timestamp keeps the signature valid after the
//!   certificate expires, and makes the output non-reproducible (the token
//!   holds the TSA's time and serial number). Without one, signing touches
//!   no network. The rules are in the `timestamp` module's source.

mod keys;
mod msi;
mod pe;
pub(crate) mod signed_data;
pub(crate) mod timestamp;

use std::time::SystemTime;

use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

pub use keys::{CertificateChain, CodeSigner};
pub use msi::{attach_msi_signature, is_signed_msi, msi_digest, msi_signing_request, sign_msi};

use pe::PeLayout;
use signed_data::{ID_SHA256, tlv};

/// Why a file could not be signed or a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticodeError {
    #[error("the input is not a Windows PE file (EXE, DLL or .pyd): {reason}")]
    NotPe { reason: String },
    #[error("the input is not a Windows Installer file (MSI, or another OLE compound file): {reason}")]
    NotMsi { reason: String },
    #[error(
        "the PE file's certificate table (where its signature lives) is invalid: {reason}; rebuild the file or strip the signature with `osslsigncode remove-signature`"
    )]
    BadCertificateTable { reason: String },
    #[error("the signed PE file would be {size} bytes, beyond the 4 GiB the PE format can address")]
    TooLarge { size: usize },
    #[error(
        "cannot read the private key: {reason}; expected an unencrypted PEM RSA key (\"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\")"
    )]
    Key { reason: String },
    #[error(
        "the PEM private key is encrypted; give a PKCS#12 (PFX) file with its password instead, or decrypt the key with `openssl pkey -in KEY.pem -out PLAIN.pem` into a protected location"
    )]
    EncryptedPemKey,
    #[error("{what} is not an RSA key; Authenticode signing supports RSA keys only")]
    UnsupportedKey { what: String },
    #[error(
        "cannot read the certificates: {reason}; expected PEM \"-----BEGIN CERTIFICATE-----\" blocks, the signer's certificate first"
    )]
    Certificates { reason: String },
    #[error("no certificate given; give the code-signing certificate (and its intermediates) with the key")]
    NoCertificates,
    #[error(
        "no certificate matches the private key (certificates: {subjects}); give the certificate that was issued for this key"
    )]
    KeyCertificateMismatch { subjects: String },
    #[error("cannot read the PKCS#12 (PFX) file: {reason}")]
    Pkcs12 { reason: String },
    #[error(
        "the PKCS#12 (PFX) file uses {what}, which is not supported; re-export it with `openssl pkcs12 -export` (OpenSSL 3 defaults: AES-256-CBC, PBKDF2, SHA-256 MAC)"
    )]
    Pkcs12Unsupported { what: String },
    #[error("wrong password for the PKCS#12 (PFX) file")]
    WrongPassword,
    #[error("invalid signing option: {reason}")]
    Option { reason: String },
    #[error("cannot get a timestamp from {url}: {reason}")]
    TimestampHttp { url: String, reason: String },
    #[error("the timestamp authority {url} refused the request with status {status}{details}")]
    TimestampRejected {
        url: String,
        status: String,
        details: String,
    },
    #[error("the timestamp authority {url} sent an unusable answer: {reason}")]
    TimestampResponse { url: String, reason: String },
    #[error(
        "the signature does not verify with the public key of the certificate {subject}; the external signer must sign exactly the signed attributes from the signing request, with that certificate's RSA key, PKCS#1 v1.5 and SHA-256"
    )]
    BadSignature { subject: String },
    #[error("signing with the RSA key of {subject} failed: {reason}")]
    Sign { subject: String, reason: String },
    #[error("internal error while encoding the signature: {reason}")]
    Encode { reason: String },
}

/// What a signature says besides the file's digest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// The program name Windows shows in UAC prompts and in the file's
    /// "Digital Signatures" details (`SpcSpOpusInfo.programName`).
    pub program_name: Option<String>,
    /// A URL with more information (`SpcSpOpusInfo.moreInfo`); printable
    /// ASCII only.
    pub url: Option<String>,
    /// Writes a `signingTime` signed attribute. Off by default, which keeps
    /// signing reproducible; Windows shows the time to users but does not
    /// trust it (only a timestamp counts).
    pub signing_time: Option<SystemTime>,
    /// The `http://` URL of an RFC 3161 timestamp authority (such as
    /// `http://timestamp.digicert.com`). When set, signing asks it for a
    /// token over the signature (one HTTP request, at most 30 s) and embeds
    /// it, so the signature stays valid after the certificate expires. The
    /// output is then no longer reproducible. In split signing only the
    /// attach step contacts the TSA.
    pub timestamp: Option<String>,
}

impl SignOptions {
    fn attributes(&self) -> signed_data::Attributes<'_> {
        signed_data::Attributes {
            program_name: self.program_name.as_deref(),
            url: self.url.as_deref(),
            signing_time: self.signing_time,
        }
    }
}

/// The Authenticode SHA-256 digest of a PE file, ignoring any signature it
/// already carries (the digest a verifier compares with the signed one).
pub fn pe_digest(input: &[u8]) -> Result<[u8; 32], AuthenticodeError> {
    let layout = PeLayout::parse(input)?;
    Ok(pe::digest(input, &layout))
}

/// Whether a PE file carries a certificate table (an Authenticode signature).
pub fn is_signed_pe(input: &[u8]) -> Result<bool, AuthenticodeError> {
    Ok(PeLayout::parse(input)?.is_signed())
}

/// Signs a PE file: returns it with its Authenticode signature embedded
/// (replacing any existing one).
pub fn sign_pe(input: &[u8], signer: &CodeSigner, options: &SignOptions) -> Result<Vec<u8>, AuthenticodeError> {
    let layout = PeLayout::parse(input)?;
    let pkcs7 = pe_unsigned(input, &layout, options)?.sign(signer, options)?;
    pe::embed(input, &layout, &pkcs7)
}

/// The first half of split signing: what an external signer (HSM, cloud
/// KMS) has to sign for a file ([`pe_signing_request`],
/// [`msi_signing_request`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningRequest {
    /// The DER `SET OF Attribute` the signature covers. Signers that hash
    /// themselves sign these bytes with RSA PKCS#1 v1.5 and SHA-256.
    pub signed_attributes: Vec<u8>,
    /// SHA-256 of [`signed_attributes`](Self::signed_attributes), for signers
    /// that take a pre-computed digest (RSA PKCS#1 v1.5 with a SHA-256
    /// `DigestInfo`, e.g. a KMS `Sign` call with message type `DIGEST`).
    pub digest: [u8; 32],
}

/// Split signing, step 1: the bytes an external signer must sign to sign
/// `input` as the holder of `chain`'s first certificate. Deterministic for
/// the same input, chain and options (so keep `signing_time` fixed between
/// the two steps). [`SignOptions::timestamp`] is not used here: the TSA is
/// asked in step 2, when the signature exists.
pub fn pe_signing_request(
    input: &[u8],
    chain: &CertificateChain,
    options: &SignOptions,
) -> Result<SigningRequest, AuthenticodeError> {
    chain.leaf_rsa_key()?;
    let layout = PeLayout::parse(input)?;
    Ok(pe_unsigned(input, &layout, options)?.request)
}

/// Split signing, step 2: embeds `signature` (RSA PKCS#1 v1.5, SHA-256, over
/// the [`SigningRequest`] for the same `input`, `chain` and `options`) and
/// returns the signed file. The signature is checked against the first
/// certificate's public key before it is embedded; then, if
/// [`SignOptions::timestamp`] is set, the TSA timestamps it.
pub fn attach_pe_signature(
    input: &[u8],
    chain: &CertificateChain,
    options: &SignOptions,
    signature: &[u8],
) -> Result<Vec<u8>, AuthenticodeError> {
    let layout = PeLayout::parse(input)?;
    let pkcs7 = pe_unsigned(input, &layout, options)?.attach(chain, options, signature)?;
    pe::embed(input, &layout, &pkcs7)
}

fn pe_unsigned(input: &[u8], layout: &PeLayout, options: &SignOptions) -> Result<Unsigned, AuthenticodeError> {
    Unsigned::new(pe_indirect_data_content(&pe::digest(input, layout)), options)
}

/// Everything of a signature except the signature value (and so the
/// timestamp): the format's `SpcIndirectDataContent` and the signed
/// attributes over it. Shared by the PE and MSI formats.
struct Unsigned {
    indirect_data_content: Vec<u8>,
    signed_attributes: der::asn1::SetOfVec<x509_cert::attr::Attribute>,
    request: SigningRequest,
}

impl Unsigned {
    fn new(indirect_data_content: Vec<u8>, options: &SignOptions) -> Result<Self, AuthenticodeError> {
        let signed_attributes = signed_data::signed_attributes(&indirect_data_content, &options.attributes())?;
        let to_be_signed = signed_data::to_be_signed(&signed_attributes)?;
        let digest = Sha256::digest(&to_be_signed).into();
        Ok(Unsigned {
            indirect_data_content,
            signed_attributes,
            request: SigningRequest {
                signed_attributes: to_be_signed,
                digest,
            },
        })
    }

    /// Signs with the in-process key; returns the DER `ContentInfo`.
    fn sign(self, signer: &CodeSigner, options: &SignOptions) -> Result<Vec<u8>, AuthenticodeError> {
        let signature = signer
            .key()
            .sign(Pkcs1v15Sign::new::<Sha256>(), &self.request.digest)
            .map_err(|e| AuthenticodeError::Sign {
                subject: signer.chain().subject(),
                reason: e.to_string(),
            })?;
        self.finish(signer.chain(), options, &signature)
    }

    /// Checks an external signature against the chain's first certificate;
    /// returns the DER `ContentInfo`.
    fn attach(
        self,
        chain: &CertificateChain,
        options: &SignOptions,
        signature: &[u8],
    ) -> Result<Vec<u8>, AuthenticodeError> {
        let public = chain.leaf_rsa_key()?;
        public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &self.request.digest, signature)
            .map_err(|_| AuthenticodeError::BadSignature {
                subject: chain.subject(),
            })?;
        self.finish(chain, options, signature)
    }

    fn finish(
        self,
        chain: &CertificateChain,
        options: &SignOptions,
        signature: &[u8],
    ) -> Result<Vec<u8>, AuthenticodeError> {
        let token = match &options.timestamp {
            Some(url) => Some(timestamp::token(url, signature)?),
            None => None,
        };
        signed_data::signed_data(
            &self.indirect_data_content,
            chain,
            self.signed_attributes,
            signature,
            token.as_deref(),
        )
    }
}

/// `SPC_PE_IMAGE_DATAOBJ`.
const SPC_PE_IMAGE_DATA: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.15");

/// The DER `SpcIndirectDataContent` of a PE file with Authenticode digest
/// `digest`:
///
/// ```text
/// SpcIndirectDataContent ::= SEQUENCE {
///     data          SEQUENCE { type SPC_PE_IMAGE_DATAOBJ, value SpcPeImageData },
///     messageDigest DigestInfo { sha256, digest } }
/// SpcPeImageData ::= SEQUENCE {
///     flags BIT STRING (empty),
///     file  [0] EXPLICIT SpcLink.file [2] EXPLICIT SpcString.unicode [0] IMPLICIT "<<<Obsolete>>>" }
/// ```
///
/// The `flags` and the "<<<Obsolete>>>" file link are the fixed values
/// signtool writes; Windows ignores both.
fn pe_indirect_data_content(digest: &[u8; 32]) -> Vec<u8> {
    use der::Encode;
    // Encoding a constant OID cannot fail; an empty vector would fail loudly at decoding.
    let oid = |oid: der::asn1::ObjectIdentifier| oid.to_der().unwrap_or_default();
    let obsolete = signed_data::bmp_string("<<<Obsolete>>>");
    let file = tlv(0xa0, &tlv(0xa2, &tlv(0x80, &obsolete)));
    let pe_image_data = tlv(0x30, &[&[0x03, 0x01, 0x00][..], &file].concat());
    let data = tlv(0x30, &[oid(SPC_PE_IMAGE_DATA), pe_image_data].concat());
    let algorithm = tlv(0x30, &[oid(ID_SHA256), vec![0x05, 0x00]].concat());
    let digest_info = tlv(0x30, &[algorithm, tlv(0x04, digest)].concat());
    tlv(0x30, &[data, digest_info].concat())
}
