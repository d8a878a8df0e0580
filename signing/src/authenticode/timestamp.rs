//! RFC 3161 timestamps for Authenticode signatures, as `signtool /tr` and
//! `osslsigncode -ts` add them.
//!
//! - **What is stamped:** the SHA-256 of the `SignerInfo`'s signature value
//!   (the `encryptedDigest` bytes), sent as a `TimeStampReq` with
//!   `certReq` set (the token must carry the TSA's certificate for Windows
//!   to find it) and a nonce.
//! - **Transport:** one HTTP/1.1 `POST` with
//!   `Content-Type: application/timestamp-query` to the TSA URL, a 30 s
//!   limit for the whole exchange, no redirects, a proxy from the
//!   environment (see `crate::http`). `http://` or `https://`: the token is
//!   signed by the TSA, so TLS adds nothing the verifier relies on, and
//!   every public Authenticode TSA (DigiCert, Sectigo, GlobalSign, …)
//!   serves plain http.
//! - **Checks:** the `PKIStatus` must be granted (or granted with
//!   modifications); the token must be a `SignedData` over a `TSTInfo` whose
//!   message imprint is our SHA-256 and whose nonce is ours, and it must
//!   carry certificates. The TSA's signature and certificate are *not*
//!   judged here: which TSAs to trust is the verifier's decision (Windows'
//!   root store, `osslsigncode verify -TSA-CAfile`).
//! - **Where it goes:** the token's `ContentInfo`, byte for byte as the TSA
//!   sent it, becomes the one value of the unsigned attribute
//!   `szOID_RFC3161_counterSign` (1.3.6.1.4.1.311.3.3.1).
//! - **Not reproducible, by nature:** a token holds the TSA's time, serial
//!   number and signature, so a timestamped file differs on every signing
//!   run. The nonce is therefore not derived from the input alone: it is
//!   SHA-256 over the imprint, the clock, the process id and a counter,
//!   unique per request (it proves the answer is fresh; it need not be
//!   secret).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{BitString, GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use sha2::{Digest, Sha256};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::AuthenticodeError;
use super::signed_data::{ID_SHA256, ID_SIGNED_DATA};

/// `szOID_RFC3161_counterSign`: the unsigned attribute holding the token.
pub(crate) const SZOID_RFC3161_COUNTER_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");
/// `id-ct-TSTInfo`.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// The limit for the whole HTTP exchange (connecting, sending, the answer).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);
/// Tokens are a few kilobytes; anything far larger is not a timestamp.
const MAX_RESPONSE: u64 = 1 << 20;

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// ```text
/// TimeStampReq ::= SEQUENCE {
///     version INTEGER { v1(1) }, messageImprint MessageImprint,
///     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL,
///     certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
/// ```
/// (no policy, no extensions are ever sent).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    nonce: u64,
    cert_req: bool,
}

/// ```text
/// TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
/// PKIStatusInfo ::= SEQUENCE {
///     status PKIStatus (INTEGER), statusString PKIFreeText OPTIONAL (SEQUENCE OF UTF8String),
///     failInfo PKIFailureInfo OPTIONAL (BIT STRING) }
/// ```
/// The token stays raw: it is embedded as the TSA sent it.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    time_stamp_token: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PkiStatusInfo {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitString>,
}

/// RFC 3161 `PKIStatus` values.
fn status_name(status: u32) -> String {
    match status {
        0 => "granted".into(),
        1 => "grantedWithMods".into(),
        2 => "rejection".into(),
        3 => "waiting".into(),
        4 => "revocationWarning".into(),
        5 => "revocationNotification".into(),
        other => format!("unknown status {other}"),
    }
}

/// RFC 3161 `PKIFailureInfo` bits.
fn fail_info_names(bits: &BitString) -> Vec<String> {
    bits.bits()
        .enumerate()
        .filter(|&(_, set)| set)
        .map(|(bit, _)| match bit {
            0 => "badAlg (unrecognized or unsupported algorithm)".to_string(),
            2 => "badRequest (transaction not permitted or supported)".to_string(),
            5 => "badDataFormat (the data submitted has the wrong format)".to_string(),
            14 => "timeNotAvailable (the TSA's time source is not available)".to_string(),
            15 => "unacceptedPolicy (the requested policy is not supported)".to_string(),
            16 => "unacceptedExtension (the requested extension is not supported)".to_string(),
            17 => "addInfoNotAvailable (the additional information requested is not available)".to_string(),
            25 => "systemFailure (the request cannot be handled due to system failure)".to_string(),
            other => format!("failure bit {other}"),
        })
        .collect()
}

/// The URL as errors show it: without a `user:password@` part.
pub(crate) fn redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if !scheme.is_empty() => format!("{scheme}://***@{}", &rest[at + 1..]),
        _ => url.to_string(),
    }
}

/// Asks the TSA at `url` for a timestamp over `signature` (the SignerInfo's
/// signature value); returns the DER `ContentInfo` of the token.
pub(crate) fn token(url: &str, signature: &[u8]) -> Result<Vec<u8>, AuthenticodeError> {
    let shown = redacted(url);
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https") => {}
        _ => {
            return Err(AuthenticodeError::Option {
                reason: format!(
                    "the timestamp URL {shown:?} is not an http:// or https:// URL (e.g. http://timestamp.digicert.com)"
                ),
            });
        }
    }
    let imprint: [u8; 32] = Sha256::digest(signature).into();
    let nonce = nonce(&imprint);
    let request = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(imprint).map_err(super::signed_data::encode_err)?,
        },
        nonce,
        cert_req: true,
    }
    .to_der()
    .map_err(super::signed_data::encode_err)?;
    let response = post(url, &shown, &request)?;
    check_response(&shown, &response, &imprint, nonce)
}

/// Unique per request; see the module documentation.
fn nonce(imprint: &[u8; 32]) -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    hasher.update(b"oxdist RFC 3161 nonce");
    hasher.update(imprint);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.update(now.as_nanos().to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    // 63 bits: a positive INTEGER whatever the top bit.
    u64::from_be_bytes(first) >> 1
}

fn post(url: &str, shown: &str, request: &[u8]) -> Result<Vec<u8>, AuthenticodeError> {
    let http_err = |reason: String| AuthenticodeError::TimestampHttp {
        url: shown.to_string(),
        reason,
    };
    let agent = crate::http::agent(TIMEOUT).map_err(http_err)?;
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .send(request)
        .map_err(|e| http_err(describe(e)))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_vec()
        .map_err(|e| http_err(describe(e)))?;
    if !status.is_success() {
        let mut reason = format!("HTTP {status}");
        if let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok()) {
            reason.push_str(&format!(", a redirect to {} (not followed)", redacted(location)));
        }
        if let Some(text) = crate::http::body_excerpt(&body) {
            reason.push_str(&format!(": {text}"));
        }
        return Err(http_err(reason));
    }
    Ok(body)
}

fn describe(error: ureq::Error) -> String {
    crate::http::describe(error, TIMEOUT)
}

/// Decodes the `TimeStampResp`, checks it and returns the token's DER.
fn check_response(shown: &str, response: &[u8], imprint: &[u8; 32], nonce: u64) -> Result<Vec<u8>, AuthenticodeError> {
    let bad = |reason: String| AuthenticodeError::TimestampResponse {
        url: shown.to_string(),
        reason,
    };
    let response = TimeStampResp::from_der(response).map_err(|e| {
        bad(format!(
            "it is not a DER TimeStampResp ({e}); is this a timestamp authority URL?"
        ))
    })?;
    let status = &response.status;
    if status.status > 1 {
        let mut details = Vec::new();
        if let Some(bits) = &status.fail_info {
            details.extend(fail_info_names(bits));
        }
        if let Some(texts) = &status.status_string {
            details.extend(texts.iter().map(|t| format!("{t:?}")));
        }
        return Err(AuthenticodeError::TimestampRejected {
            url: shown.to_string(),
            status: status_name(status.status),
            details: if details.is_empty() {
                String::new()
            } else {
                format!(": {}", details.join("; "))
            },
        });
    }
    let token = response.time_stamp_token.ok_or_else(|| {
        bad(format!(
            "the status is {} but there is no token",
            status_name(status.status)
        ))
    })?;
    let token_der = token.to_der().map_err(|e| bad(e.to_string()))?;
    let content_info = ContentInfo::from_der(&token_der).map_err(|e| bad(format!("the token: {e}")))?;
    if content_info.content_type != ID_SIGNED_DATA {
        return Err(bad(format!(
            "the token is a {}, not SignedData",
            content_info.content_type
        )));
    }
    let signed_data: SignedData = content_info
        .content
        .decode_as()
        .map_err(|e| bad(format!("the token's SignedData: {e}")))?;
    if signed_data.certificates.as_ref().is_none_or(|c| c.0.is_empty()) {
        return Err(bad(
            "the token carries no certificate although the request asked for one".into(),
        ));
    }
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(bad(format!("the token signs a {}, not a TSTInfo", encap.econtent_type)));
    }
    let tst_info = encap
        .econtent
        .as_ref()
        .ok_or_else(|| bad("the token has no TSTInfo".into()))?
        .decode_as::<OctetString>()
        .map_err(|e| bad(format!("the TSTInfo is not in an OCTET STRING: {e}")))?;
    let tst_info = TstInfo::parse(tst_info.as_bytes()).map_err(|e| bad(format!("the TSTInfo: {e}")))?;
    if tst_info.message_imprint.hash_algorithm.oid != ID_SHA256
        || tst_info.message_imprint.hashed_message.as_bytes() != imprint
    {
        return Err(bad(
            "the token's message imprint is not the SHA-256 of this signature (an answer to another request)".into(),
        ));
    }
    let ours = nonce.to_der().map_err(super::signed_data::encode_err)?;
    if tst_info.nonce.as_deref() != Some(&ours[..]) {
        return Err(bad(
            "the token's nonce is not the request's (a stale or replayed answer)".into(),
        ));
    }
    Ok(token_der)
}

/// The parts of a `TSTInfo` that are checked:
///
/// ```text
/// TSTInfo ::= SEQUENCE {
///     version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
///     serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
///     ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
///     tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
/// ```
struct TstInfo {
    message_imprint: MessageImprint,
    /// The DER of the nonce INTEGER, if any.
    nonce: Option<Vec<u8>>,
}

impl TstInfo {
    fn parse(der: &[u8]) -> der::Result<Self> {
        let outer = Any::from_der(der)?;
        outer.tag().assert_eq(Tag::Sequence)?;
        let mut reader = SliceReader::new(outer.value())?;
        let version: u8 = reader.decode()?;
        if version != 1 {
            return Err(Tag::Integer.value_error());
        }
        let _policy: ObjectIdentifier = reader.decode()?;
        let message_imprint: MessageImprint = reader.decode()?;
        let _serial: Any = reader.decode()?;
        let _gen_time: GeneralizedTime = reader.decode()?;
        let mut nonce = None;
        // Optional fields in order; the nonce is the only INTEGER among them.
        while !reader.is_finished() {
            let field: Any = reader.decode()?;
            if field.tag() == Tag::Integer {
                nonce = Some(field.to_der()?);
            }
        }
        Ok(TstInfo { message_imprint, nonce })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encoding() {
        let request = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: ID_SHA256,
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new([0xab; 32]).unwrap(),
            },
            nonce: 0x0102,
            cert_req: true,
        };
        let der = request.to_der().unwrap();
        let expected = [
            &[0x30, 0x3d, 0x02, 0x01, 0x01, 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09][..],
            &[
                0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            &[0xab; 32],
            &[0x02, 0x02, 0x01, 0x02, 0x01, 0x01, 0xff],
        ]
        .concat();
        assert_eq!(der, expected);
    }

    #[test]
    fn nonces_are_positive_and_unique() {
        let a = nonce(&[0; 32]);
        let b = nonce(&[0; 32]);
        assert_ne!(a, b);
        assert!(a < 1 << 63 && b < 1 << 63);
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redacted("http://u:secret@tsa.example/x@y"),
            "http://***@tsa.example/x@y"
        );
        assert_eq!(redacted("http://tsa.example/a@b"), "http://tsa.example/a@b");
        assert_eq!(redacted("timestamp.example"), "timestamp.example");
    }

    #[test]
    fn rejections_name_status_and_failure() {
        // TimeStampResp { PKIStatusInfo { rejection, { "no" }, failInfo badAlg } }
        let response = [
            0x30, 0x0f, 0x30, 0x0d, 0x02, 0x01, 0x02, 0x30, 0x04, 0x0c, 0x02, b'n', b'o', 0x03, 0x02, 0x07, 0x80,
        ];
        let err = check_response("http://tsa", &response, &[0; 32], 1).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, AuthenticodeError::TimestampRejected { .. }), "{text}");
        assert!(
            text.contains("rejection") && text.contains("badAlg") && text.contains("\"no\""),
            "{text}"
        );
        let err = check_response("http://tsa", b"<html>", &[0; 32], 1).unwrap_err();
        assert!(matches!(err, AuthenticodeError::TimestampResponse { .. }), "{err}");
    }
}
