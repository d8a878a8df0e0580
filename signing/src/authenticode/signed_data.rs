//! The PKCS#7 `SignedData` every Authenticode signature is, independent of
//! the signed file's format.
//!
//! A format (PE, MSI) contributes the DER of its
//! `SpcIndirectDataContent`: what is signed and its digest. This module
//! wraps it: signed attributes, the bytes the key signs, and the final
//! `ContentInfo` with the certificate chain and the signer's info.
//!
//! Shape, as signtool and osslsigncode write it (and as
//! "Windows Authenticode Portable Executable Signature Format" describes):
//!
//! ```text
//! ContentInfo { signedData, SignedData {
//!   version 1, digestAlgorithms { sha256 },
//!   contentInfo { SPC_INDIRECT_DATA_OBJID, [0] SpcIndirectDataContent },   -- not wrapped in an OCTET STRING
//!   certificates [0] { the chain },                                          -- no crls [1]: see below
//!   signerInfos { { version 1, issuerAndSerialNumber, sha256,
//!                   [0] signedAttributes, rsaEncryption, signature,
//!                   [1] unsignedAttributes OPTIONAL } } } }              -- only a timestamp token
//! ```
//!
//! No `crls [1]` field is written, not even an empty one: osslsigncode then
//! fails verification with "unable to get certificate CRL".

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, DateTime, Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::timestamp::SZOID_RFC3161_COUNTER_SIGN;
use super::{AuthenticodeError, CertificateChain};

pub(crate) const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub(crate) const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `SPC_INDIRECT_DATA_OBJID`.
pub(crate) const SPC_INDIRECT_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.4");
/// `SPC_STATEMENT_TYPE_OBJID`.
const SPC_STATEMENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.11");
/// `SPC_SP_OPUS_INFO_OBJID`.
const SPC_SP_OPUS_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.12");
/// `SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID`: individual (not commercial) code signing.
const SPC_INDIVIDUAL_SP_KEY_PURPOSE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.21");

/// What goes into the signed attributes besides the content type and digest.
pub(crate) struct Attributes<'a> {
    pub(crate) program_name: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
    pub(crate) signing_time: Option<SystemTime>,
}

/// The signed attributes over `indirect_data_content` (the DER of an
/// `SpcIndirectDataContent`), as a DER `SET OF Attribute`: exactly the bytes
/// the signer's key signs (RFC 5652 §5.4).
pub(crate) fn signed_attributes(
    indirect_data_content: &[u8],
    attributes: &Attributes<'_>,
) -> Result<SetOfVec<Attribute>, AuthenticodeError> {
    // The message digest covers the content octets of SpcIndirectDataContent, without its
    // SEQUENCE tag and length (PKCS#7 §9.3 for content of type ANY).
    let content = Any::from_der(indirect_data_content).map_err(encode_err)?;
    let message_digest: [u8; 32] = Sha256::digest(content.value()).into();

    let mut list = vec![
        attribute(ID_CONTENT_TYPE, SPC_INDIRECT_DATA.to_der().map_err(encode_err)?)?,
        attribute(ID_MESSAGE_DIGEST, tlv(0x04, &message_digest))?,
        attribute(SPC_SP_OPUS_INFO, opus_info(attributes)?)?,
        attribute(
            SPC_STATEMENT_TYPE,
            tlv(0x30, &SPC_INDIVIDUAL_SP_KEY_PURPOSE.to_der().map_err(encode_err)?),
        )?,
    ];
    if let Some(time) = attributes.signing_time {
        list.push(attribute(ID_SIGNING_TIME, time_der(time)?)?);
    }
    // SetOfVec sorts into DER order, so the encoding is canonical and reproducible.
    SetOfVec::try_from(list).map_err(encode_err)
}

/// The DER the signer's key signs: the signed attributes as a `SET OF`.
pub(crate) fn to_be_signed(signed_attributes: &SetOfVec<Attribute>) -> Result<Vec<u8>, AuthenticodeError> {
    signed_attributes.to_der().map_err(encode_err)
}

/// The DER `ContentInfo` of the finished Authenticode `SignedData`; a
/// timestamp token (the DER `ContentInfo` a TSA returned) becomes the
/// SignerInfo's only unsigned attribute, `szOID_RFC3161_counterSign`.
pub(crate) fn signed_data(
    indirect_data_content: &[u8],
    chain: &CertificateChain,
    signed_attributes: SetOfVec<Attribute>,
    signature: &[u8],
    timestamp_token: Option<&[u8]>,
) -> Result<Vec<u8>, AuthenticodeError> {
    let content = Any::from_der(indirect_data_content).map_err(encode_err)?;
    let timestamp = timestamp_token.map(|token| (SZOID_RFC3161_COUNTER_SIGN, token));
    content_info(
        SPC_INDIRECT_DATA,
        Some(content),
        chain,
        signed_attributes,
        signature,
        timestamp,
    )
}

/// A `SignedData` with one signer (RSA, SHA-256, issuer and serial number)
/// and the whole chain, as a DER `ContentInfo`: `content` is `None` for a
/// detached signature; a timestamp token goes into the unsigned attribute
/// `timestamp.0` (formats disagree on which).
pub(crate) fn content_info(
    content_type: ObjectIdentifier,
    content: Option<Any>,
    chain: &CertificateChain,
    signed_attributes: SetOfVec<Attribute>,
    signature: &[u8],
    timestamp: Option<(ObjectIdentifier, &[u8])>,
) -> Result<Vec<u8>, AuthenticodeError> {
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: Some(Any::null()),
    };
    let leaf = chain.leaf();
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(signed_attributes),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        signature: OctetString::new(signature).map_err(encode_err)?,
        unsigned_attrs: timestamp
            .map(|(oid, token)| {
                let value = Any::from_der(token).map_err(encode_err)?;
                let attribute = Attribute {
                    oid,
                    values: SetOfVec::try_from(vec![value]).map_err(encode_err)?,
                };
                SetOfVec::try_from(vec![attribute]).map_err(encode_err)
            })
            .transpose()?,
    };
    let certificates = chain
        .certificates()
        .iter()
        .cloned()
        .map(CertificateChoices::Certificate)
        .collect::<Vec<_>>();
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).map_err(encode_err)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: content_type,
            econtent: content,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates).map_err(encode_err)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(encode_err)?),
    };
    let content_info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(encode_err)?,
    };
    content_info.to_der().map_err(encode_err)
}

/// `SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL,
/// moreInfo [1] EXPLICIT SpcLink OPTIONAL }`, with the name as
/// `SpcString.unicode [0] IMPLICIT BMPString` and the URL as
/// `SpcLink.url [0] IMPLICIT IA5String`.
fn opus_info(attributes: &Attributes<'_>) -> Result<Vec<u8>, AuthenticodeError> {
    let mut body = Vec::new();
    if let Some(name) = attributes.program_name {
        body.extend(tlv(0xa0, &tlv(0x80, &bmp_string(name))));
    }
    if let Some(url) = attributes.url {
        if !url.is_ascii() || url.chars().any(|c| c.is_ascii_control()) {
            return Err(AuthenticodeError::Option {
                reason: format!("the URL {url:?} must be printable ASCII (punycode and percent-encode it)"),
            });
        }
        body.extend(tlv(0xa1, &tlv(0x80, url.as_bytes())));
    }
    Ok(tlv(0x30, &body))
}

/// A string as BMPString content: UTF-16, big-endian (characters outside
/// the BMP become surrogate pairs, as Windows writes them).
pub(crate) fn bmp_string(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// `Time` as RFC 5652 wants it: UTCTime for 1950–2049, GeneralizedTime otherwise.
pub(crate) fn time_der(time: SystemTime) -> Result<Vec<u8>, AuthenticodeError> {
    let since_epoch = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| AuthenticodeError::Option {
            reason: "the signing time lies before 1970".to_string(),
        })?;
    let date_time = DateTime::from_unix_duration(since_epoch).map_err(|e| AuthenticodeError::Option {
        reason: format!("the signing time cannot be encoded: {e}"),
    })?;
    if date_time.year() < 2050 {
        UtcTime::from_date_time(date_time)
            .and_then(|t| t.to_der())
            .map_err(encode_err)
    } else {
        GeneralizedTime::from_date_time(date_time).to_der().map_err(encode_err)
    }
}

pub(crate) fn attribute(oid: ObjectIdentifier, value_der: Vec<u8>) -> Result<Attribute, AuthenticodeError> {
    let value = Any::from_der(&value_der).map_err(encode_err)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(encode_err)?,
    })
}

/// One DER TLV with a single-byte tag and a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// DER encoding failures are internal errors: every value is built here.
pub(crate) fn encode_err(error: der::Error) -> AuthenticodeError {
    AuthenticodeError::Encode {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        assert_eq!(&tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(&tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 1, 44]);
    }

    #[test]
    fn bmp_is_utf16_big_endian() {
        assert_eq!(bmp_string("A€"), [0x00, 0x41, 0x20, 0xac]);
    }
}
