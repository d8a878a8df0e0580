//! Authenticode for Windows Installer files (`.msi`, and any other compound
//! file: `.msp`, `.mst`).
//!
//! - **The imprint** is SHA-256 over the contents of every stream, storage
//!   by storage from the root: the children of a storage are sorted by their
//!   raw UTF-16LE names compared bytewise (a name before any longer name it
//!   is a prefix of: osslsigncode compares the names with their NUL
//!   terminators), streams are hashed whole, storages recursively, and each
//!   storage ends with its own 16-byte CLSID as stored on disk. The root's
//!   `\u{5}DigitalSignature` and `\u{5}MsiDigitalSignatureEx` streams are
//!   left out. Only contents count: names, sizes, times and the layout of
//!   the compound file do not.
//! - **What is signed** is an `SpcIndirectDataContent` whose data is an
//!   `SpcSipInfo` naming the MSI subject interface package, as signtool and
//!   osslsigncode write it.
//! - **Where it goes:** the DER `ContentInfo` becomes the root stream
//!   `\u{5}DigitalSignature`. An existing signature (and any
//!   `MsiDigitalSignatureEx`, which this signer does not write) is replaced.
//!   The whole compound file is rewritten as version 3 (512-byte sectors),
//!   every stream copied once, in order, with zero timestamps, so the
//!   output depends only on the input's entries and the signature.

use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::signed_data::{ID_SHA256, tlv};
use super::{AuthenticodeError, CertificateChain, CodeSigner, SignOptions, SigningRequest, Unsigned};

/// The root stream holding the signature.
pub(crate) const DIGITAL_SIGNATURE: &str = "\u{5}DigitalSignature";
/// The root stream of the optional metadata pre-hash signature (`-add-msi-dse`).
pub(crate) const MSI_DIGITAL_SIGNATURE_EX: &str = "\u{5}MsiDigitalSignatureEx";

/// `SPC_SIPINFO_OBJID`.
const SPC_SIP_INFO: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.30");

/// The MSI subject interface package, `{000C10F1-0000-0000-C000-000000000046}`,
/// as the bytes of a GUID in memory (first three fields little-endian).
const MSI_SIP_GUID: [u8; 16] = [
    0xf1, 0x10, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// The first bytes of every compound file.
const CFB_MAGIC: [u8; 8] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

type Compound<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn not_msi(reason: impl Into<String>) -> AuthenticodeError {
    AuthenticodeError::NotMsi { reason: reason.into() }
}

fn open(msi: &[u8]) -> Result<Compound<'_>, AuthenticodeError> {
    if !msi.starts_with(&CFB_MAGIC) {
        return Err(not_msi(
            "it does not start with the compound file signature D0 CF 11 E0 A1 B1 1A E1",
        ));
    }
    cfb::CompoundFile::open(Cursor::new(msi)).map_err(|e| not_msi(format!("invalid compound file: {e}")))
}

/// The Authenticode SHA-256 imprint of an MSI file, ignoring any signature
/// it already carries (what osslsigncode reports as "Calculated
/// DigitalSignature").
pub fn msi_digest(msi: &[u8]) -> Result<[u8; 32], AuthenticodeError> {
    let mut file = open(msi)?;
    imprint(&mut file)
}

/// Whether an MSI file carries a `\u{5}DigitalSignature` stream.
pub fn is_signed_msi(msi: &[u8]) -> Result<bool, AuthenticodeError> {
    let file = open(msi)?;
    Ok(file.is_stream(Path::new("/").join(DIGITAL_SIGNATURE)))
}

/// Signs an MSI file: returns it rewritten with its Authenticode signature
/// in the `\u{5}DigitalSignature` stream (replacing any existing one).
pub fn sign_msi(msi: &[u8], signer: &CodeSigner, options: &SignOptions) -> Result<Vec<u8>, AuthenticodeError> {
    let mut file = open(msi)?;
    let pkcs7 = unsigned(&mut file, options)?.sign(signer, options)?;
    repack(&mut file, &pkcs7)
}

/// Split signing of an MSI file, step 1: as
/// [`pe_signing_request`](super::pe_signing_request), for `msi`.
pub fn msi_signing_request(
    msi: &[u8],
    chain: &CertificateChain,
    options: &SignOptions,
) -> Result<SigningRequest, AuthenticodeError> {
    chain.leaf_rsa_key()?;
    let mut file = open(msi)?;
    Ok(unsigned(&mut file, options)?.request)
}

/// Split signing of an MSI file, step 2: as
/// [`attach_pe_signature`](super::attach_pe_signature): checks `signature`
/// (over the [`SigningRequest`] for the same `msi`, `chain` and `options`),
/// timestamps it if asked, and returns the signed file, byte for byte what
/// [`sign_msi`] gives with the same key.
pub fn attach_msi_signature(
    msi: &[u8],
    chain: &CertificateChain,
    options: &SignOptions,
    signature: &[u8],
) -> Result<Vec<u8>, AuthenticodeError> {
    let mut file = open(msi)?;
    let pkcs7 = unsigned(&mut file, options)?.attach(chain, options, signature)?;
    repack(&mut file, &pkcs7)
}

fn unsigned(file: &mut Compound<'_>, options: &SignOptions) -> Result<Unsigned, AuthenticodeError> {
    let digest = imprint(file)?;
    Unsigned::new(msi_indirect_data_content(&digest), options)
}

/// The children of `storage`, in the imprint's order.
fn sorted_children(file: &Compound<'_>, storage: &Path) -> Result<Vec<(Vec<u8>, cfb::Entry)>, AuthenticodeError> {
    let entries = file
        .read_storage(storage)
        .map_err(|e| not_msi(format!("cannot list the storage {}: {e}", storage.display())))?;
    let mut children: Vec<(Vec<u8>, cfb::Entry)> = entries
        .map(|entry| (entry.name().encode_utf16().flat_map(u16::to_le_bytes).collect(), entry))
        .collect();
    // Bytewise on UTF-16LE; a proper prefix sorts first (osslsigncode's memcmp includes the NUL).
    children.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(children)
}

fn is_signature_stream(storage: &Path, name: &str) -> bool {
    storage == Path::new("/") && (name == DIGITAL_SIGNATURE || name == MSI_DIGITAL_SIGNATURE_EX)
}

fn imprint(file: &mut Compound<'_>) -> Result<[u8; 32], AuthenticodeError> {
    let mut hasher = Sha256::new();
    hash_storage(file, Path::new("/"), &mut hasher, 0)?;
    Ok(hasher.finalize().into())
}

fn hash_storage(
    file: &mut Compound<'_>,
    storage: &Path,
    hasher: &mut Sha256,
    depth: usize,
) -> Result<(), AuthenticodeError> {
    // The compound file crate rejects directory cycles; this only bounds the recursion.
    if depth > 64 {
        return Err(not_msi("storages are nested more than 64 deep"));
    }
    for (_, entry) in sorted_children(file, storage)? {
        if entry.is_stream() {
            if is_signature_stream(storage, entry.name()) {
                continue;
            }
            let mut stream = file
                .open_stream(entry.path())
                .map_err(|e| not_msi(format!("cannot open the stream {:?}: {e}", entry.name())))?;
            io::copy(&mut stream, &mut HashWriter(hasher))
                .map_err(|e| not_msi(format!("cannot read the stream {:?}: {e}", entry.name())))?;
        } else {
            hash_storage(file, entry.path(), hasher, depth + 1)?;
        }
    }
    let entry = file
        .entry(storage)
        .map_err(|e| not_msi(format!("cannot read the storage {}: {e}", storage.display())))?;
    hasher.update(clsid_bytes(entry.clsid().as_fields()));
    Ok(())
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A CLSID (as `Uuid::as_fields` gives it) as the 16 bytes of the directory entry.
fn clsid_bytes((d1, d2, d3, d4): (u32, u16, u16, &[u8; 8])) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..4].copy_from_slice(&d1.to_le_bytes());
    bytes[4..6].copy_from_slice(&d2.to_le_bytes());
    bytes[6..8].copy_from_slice(&d3.to_le_bytes());
    bytes[8..].copy_from_slice(d4);
    bytes
}

/// Copies every entry of `source` except the root's signature streams into
/// a fresh version 3 compound file, then adds `\u{5}DigitalSignature`.
fn repack(source: &mut Compound<'_>, pkcs7: &[u8]) -> Result<Vec<u8>, AuthenticodeError> {
    let write_err = |e: io::Error| AuthenticodeError::Encode {
        reason: format!("cannot write the signed compound file: {e}"),
    };
    let mut target =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).map_err(write_err)?;
    let root = source.root_entry();
    target.set_storage_clsid("/", *root.clsid()).map_err(write_err)?;
    target.set_state_bits("/", root.state_bits()).map_err(write_err)?;
    // Depth first, children in imprint order: the same input always gives the same file.
    let mut pending: Vec<PathBuf> = vec![PathBuf::from("/")];
    while let Some(storage) = pending.pop() {
        let children = sorted_children(source, &storage)?;
        for (_, entry) in children.iter() {
            let path = entry.path();
            if entry.is_stream() {
                if is_signature_stream(&storage, entry.name()) {
                    continue;
                }
                let mut data = Vec::with_capacity(usize::try_from(entry.len()).unwrap_or(0));
                source
                    .open_stream(path)
                    .and_then(|mut s| s.read_to_end(&mut data))
                    .map_err(|e| not_msi(format!("cannot read the stream {:?}: {e}", entry.name())))?;
                let mut to = target.create_new_stream(path).map_err(write_err)?;
                to.write_all(&data).and_then(|()| to.flush()).map_err(write_err)?;
                drop(to);
            } else {
                target.create_storage(path).map_err(write_err)?;
                target.set_storage_clsid(path, *entry.clsid()).map_err(write_err)?;
                // Storages are created with the current time; keep the source's instead.
                target.set_created_time(path, entry.created()).map_err(write_err)?;
                target.set_modified_time(path, entry.modified()).map_err(write_err)?;
                pending.push(path.to_path_buf());
            }
            target.set_state_bits(path, entry.state_bits()).map_err(write_err)?;
        }
    }
    let mut stream = target
        .create_new_stream(Path::new("/").join(DIGITAL_SIGNATURE))
        .map_err(write_err)?;
    stream
        .write_all(pkcs7)
        .and_then(|()| stream.flush())
        .map_err(write_err)?;
    drop(stream);
    target.flush().map_err(write_err)?;
    Ok(target.into_inner().into_inner())
}

/// The DER `SpcIndirectDataContent` of an MSI file with imprint `digest`:
///
/// ```text
/// SpcIndirectDataContent ::= SEQUENCE {
///     data          SEQUENCE { type SPC_SIPINFO_OBJID, value SpcSipInfo },
///     messageDigest DigestInfo { sha256, digest } }
/// SpcSipInfo ::= SEQUENCE {
///     version INTEGER (1), sip GUID OCTET STRING (the MSI SIP), five INTEGERs (0) }
/// ```
///
/// Byte for byte what osslsigncode 2.9 writes.
fn msi_indirect_data_content(digest: &[u8; 32]) -> Vec<u8> {
    use der::Encode;
    // Encoding a constant OID cannot fail; an empty vector would fail loudly at decoding.
    let oid = |oid: der::asn1::ObjectIdentifier| oid.to_der().unwrap_or_default();
    let zero = [0x02, 0x01, 0x00];
    let mut sip_info = vec![0x02, 0x01, 0x01];
    sip_info.extend(tlv(0x04, &MSI_SIP_GUID));
    for _ in 0..5 {
        sip_info.extend(zero);
    }
    let data = tlv(0x30, &[oid(SPC_SIP_INFO), tlv(0x30, &sip_info)].concat());
    let algorithm = tlv(0x30, &[oid(ID_SHA256), vec![0x05, 0x00]].concat());
    let digest_info = tlv(0x30, &[algorithm, tlv(0x04, digest)].concat());
    tlv(0x30, &[data, digest_info].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_compound_files_are_refused() {
        for input in [
            &b""[..],
            b"hello",
            b"MZ\x90\x00",
            &CFB_MAGIC,
            &[CFB_MAGIC.as_slice(), &[0; 600]].concat(),
        ] {
            assert!(matches!(msi_digest(input), Err(AuthenticodeError::NotMsi { .. })));
        }
    }

    /// Byte for byte the `SpcIndirectDataContent` osslsigncode 2.9 wrote for an
    /// MSI file with this imprint.
    #[test]
    fn indirect_data_content_matches_osslsigncode() {
        let osslsigncode = "30673032060a2b06010401823702011e30240201010410f1100c0000000000c000000000000046\
                            0201000201000201000201000201003031300d0609608648016503040201050004202e4877c8696c06\
                            dbf74e29c8fa3865f9459273f9d541681ddfdb1a14534608ea";
        let digest: [u8; 32] = hex(&osslsigncode[osslsigncode.len() - 64..]).try_into().unwrap();
        assert_eq!(msi_indirect_data_content(&digest), hex(osslsigncode));
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}
