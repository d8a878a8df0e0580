//! The CMS signature over a code directory, as `codesign` writes it:
//!
//! ```text
//! ContentInfo { signedData, SignedData {
//!   version 1, digestAlgorithms { sha256 },
//!   encapContentInfo { id-data },                          -- detached: the code directory is the content
//!   certificates [0] { the chain },
//!   signerInfos { { version 1, issuerAndSerialNumber, sha256,
//!     [0] signedAttributes {
//!       contentType id-data,
//!       messageDigest SHA-256(code directory blob),
//!       signingTime                                         -- only when asked for
//!       1.2.840.113635.100.9.1  OCTET STRING (XML plist { cdhashes: [ first 20 bytes of the cdhash ] }),
//!       1.2.840.113635.100.9.2  SEQUENCE { sha256, OCTET STRING cdhash } },
//!     rsaEncryption, signature,
//!     [1] unsignedAttributes { id-aa-timeStampToken } OPTIONAL } } } }
//! ```
//!
//! The two Apple attributes name the code directories the signature
//! vouches for (macOS checks the one for its preferred hash type); the
//! timestamp token is RFC 3161's, over the signature value.

use std::time::SystemTime;

use der::Encode;
use der::asn1::{ObjectIdentifier, SetOfVec};
use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

use crate::authenticode::signed_data::{ID_SHA256, attribute, content_info, encode_err, time_der, tlv};
use crate::authenticode::{AuthenticodeError, CodeSigner, timestamp};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-aa-timeStampToken` (RFC 3161 appendix A).
const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// Apple's code directory hashes as a property list.
const APPLE_CD_HASHES_PLIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.9.1");
/// Apple's code directory hashes with their algorithm.
const APPLE_CD_HASHES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.9.2");

/// The DER `ContentInfo` signing `code_directory` (the blob's bytes).
pub(crate) fn sign_code_directory(
    code_directory: &[u8],
    signer: &CodeSigner,
    signing_time: Option<SystemTime>,
    timestamp_url: Option<&str>,
) -> Result<Vec<u8>, AuthenticodeError> {
    let cdhash: [u8; 32] = Sha256::digest(code_directory).into();
    let mut list = vec![
        attribute(ID_CONTENT_TYPE, ID_DATA.to_der().map_err(encode_err)?)?,
        attribute(ID_MESSAGE_DIGEST, tlv(0x04, &cdhash))?,
        attribute(APPLE_CD_HASHES_PLIST, tlv(0x04, &cd_hashes_plist(&cdhash[..20])))?,
        attribute(
            APPLE_CD_HASHES,
            tlv(
                0x30,
                &[ID_SHA256.to_der().map_err(encode_err)?, tlv(0x04, &cdhash)].concat(),
            ),
        )?,
    ];
    if let Some(time) = signing_time {
        list.push(attribute(ID_SIGNING_TIME, time_der(time)?)?);
    }
    // SetOfVec sorts into DER order: the encoding is canonical and reproducible.
    let signed_attributes = SetOfVec::try_from(list).map_err(encode_err)?;
    let to_be_signed = signed_attributes.to_der().map_err(encode_err)?;
    let signature = signer
        .key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&to_be_signed))
        .map_err(|e| AuthenticodeError::Sign {
            subject: signer.chain().subject(),
            reason: e.to_string(),
        })?;
    let token = match timestamp_url {
        Some(url) => Some(timestamp::token(url, &signature)?),
        None => None,
    };
    content_info(
        ID_DATA,
        None,
        signer.chain(),
        signed_attributes,
        &signature,
        token.as_deref().map(|token| (ID_AA_TIME_STAMP_TOKEN, token)),
    )
}

/// The property list `codesign` puts in the `cdhashes` attribute: the
/// truncated (20-byte) hash of each code directory, as `<data>`.
fn cd_hashes_plist(truncated: &[u8]) -> Vec<u8> {
    let mut dict = plist::Dictionary::new();
    dict.insert(
        "cdhashes".into(),
        plist::Value::Array(vec![plist::Value::Data(truncated.to_vec())]),
    );
    let mut xml = Vec::new();
    // Writing a small in-memory dictionary cannot fail.
    plist::Value::Dictionary(dict)
        .to_writer_xml(&mut xml)
        .expect("an in-memory plist serializes");
    xml.push(b'\n');
    xml
}
