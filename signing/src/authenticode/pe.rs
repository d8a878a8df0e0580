//! The few PE/COFF fields Authenticode touches, the Authenticode digest and
//! the embedding of a signature as a `WIN_CERTIFICATE`.
//!
//! Field offsets are those of the "PE Format" specification (Microsoft
//! Learn) and of "Windows Authenticode Portable Executable Signature Format".
//! Every read is bounds-checked: truncated or foreign input is an error, never
//! a panic.

use sha2::{Digest, Sha256};

use super::AuthenticodeError;

/// `WIN_CERT_REVISION_2_0`.
const WIN_CERT_REVISION_2_0: u16 = 0x0200;
/// `WIN_CERT_TYPE_PKCS_SIGNED_DATA`.
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 0x0002;
/// Index of the Certificate Table ("security directory") among the data directories.
const CERTIFICATE_TABLE: u32 = 4;

/// Where the Authenticode-relevant fields of one PE file are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PeLayout {
    /// File offset of the optional header's `CheckSum` (4 bytes).
    checksum: usize,
    /// File offset of the Certificate Table data directory entry (8 bytes:
    /// file offset and size of the attribute certificate table).
    cert_dir: usize,
    /// The existing certificate table as `(offset, size)`, if any.
    cert_table: Option<(usize, usize)>,
}

impl PeLayout {
    /// Reads and checks the headers of `pe`.
    pub(crate) fn parse(pe: &[u8]) -> Result<Self, AuthenticodeError> {
        let not_pe = |reason: &str| AuthenticodeError::NotPe {
            reason: reason.to_string(),
        };
        if pe.get(..2) != Some(b"MZ") {
            return Err(not_pe("no \"MZ\" DOS header at the start of the file"));
        }
        let e_lfanew = read_u32(pe, 0x3c).ok_or_else(|| not_pe("the DOS header is truncated"))? as usize;
        if pe.get(e_lfanew..e_lfanew.saturating_add(4)) != Some(b"PE\0\0") {
            return Err(not_pe(
                "no \"PE\\0\\0\" signature where the DOS header's e_lfanew points",
            ));
        }
        let coff = e_lfanew + 4;
        let size_of_optional_header =
            read_u16(pe, coff + 16).ok_or_else(|| not_pe("the COFF file header is truncated"))? as usize;
        let optional = coff + 20;
        let optional_end = optional + size_of_optional_header;
        if optional_end > pe.len() {
            return Err(not_pe("the optional header is truncated"));
        }
        let magic = read_u16(pe, optional).ok_or_else(|| not_pe("the optional header is missing"))?;
        // Offsets inside the optional header: NumberOfRvaAndSizes, then the data directories.
        let (number_of_rva_and_sizes, data_directories) = match magic {
            0x10b => (92, 96),   // PE32
            0x20b => (108, 112), // PE32+
            0x107 => return Err(not_pe("it is a ROM image, not a PE32 or PE32+ executable")),
            _ => {
                return Err(not_pe(
                    "the optional header's magic is neither PE32 (0x10b) nor PE32+ (0x20b)",
                ));
            }
        };
        let directories = read_u32(pe, optional + number_of_rva_and_sizes)
            .filter(|_| number_of_rva_and_sizes + 4 <= size_of_optional_header)
            .ok_or_else(|| not_pe("the optional header is too short for its data directories"))?;
        if directories <= CERTIFICATE_TABLE {
            return Err(not_pe("the optional header has no Certificate Table data directory"));
        }
        let cert_dir = optional + data_directories + 8 * CERTIFICATE_TABLE as usize;
        if cert_dir + 8 > optional_end {
            return Err(not_pe(
                "the Certificate Table data directory lies outside the optional header",
            ));
        }
        let checksum = optional + 64;
        // Both reads are inside `optional..optional_end`, which is inside `pe`.
        let table_offset = read_u32(pe, cert_dir).unwrap_or(0) as usize;
        let table_size = read_u32(pe, cert_dir + 4).unwrap_or(0) as usize;
        let cert_table = if table_size == 0 {
            None
        } else {
            let end = table_offset.checked_add(table_size).filter(|&end| end <= pe.len());
            match end {
                None => {
                    return Err(AuthenticodeError::BadCertificateTable {
                        reason: format!(
                            "it claims {table_size} bytes at offset {table_offset}, beyond the end of the {}-byte file",
                            pe.len()
                        ),
                    });
                }
                Some(end) if end != pe.len() => {
                    return Err(AuthenticodeError::BadCertificateTable {
                        reason: format!(
                            "{} bytes follow it; Authenticode requires the certificate table at the end of the file",
                            pe.len() - end
                        ),
                    });
                }
                Some(_) if table_offset < optional_end => {
                    return Err(AuthenticodeError::BadCertificateTable {
                        reason: format!("its offset {table_offset} lies inside the PE headers"),
                    });
                }
                Some(_) => Some((table_offset, table_size)),
            }
        };
        Ok(PeLayout {
            checksum,
            cert_dir,
            cert_table,
        })
    }

    /// Whether the file already carries a certificate table (a signature).
    pub(crate) fn is_signed(&self) -> bool {
        self.cert_table.is_some()
    }

    /// The end of the signable content: the start of the existing
    /// certificate table, or the end of the file.
    fn content_end(&self, pe: &[u8]) -> usize {
        self.cert_table.map_or(pe.len(), |(offset, _)| offset)
    }
}

/// The Authenticode SHA-256 digest of a parsed PE file.
///
/// Hashed, in file order: everything except the `CheckSum` field, the
/// Certificate Table directory entry and the certificate table itself. An
/// unsigned file whose length is not a multiple of 8 is hashed as if padded
/// with zeros to the next multiple, because the signature is appended at an
/// 8-byte aligned offset after that padding (osslsigncode and signtool do the
/// same, so the digest matches theirs before and after signing).
pub(crate) fn digest(pe: &[u8], layout: &PeLayout) -> [u8; 32] {
    let end = layout.content_end(pe);
    let mut hasher = Sha256::new();
    hasher.update(&pe[..layout.checksum]);
    hasher.update(&pe[layout.checksum + 4..layout.cert_dir]);
    hasher.update(&pe[layout.cert_dir + 8..end]);
    if layout.cert_table.is_none() {
        hasher.update(&[0u8; 8][..padding(end)]);
    }
    hasher.finalize().into()
}

/// Zero bytes needed to bring `len` to a multiple of 8.
fn padding(len: usize) -> usize {
    (8 - len % 8) % 8
}

/// The PE file with its certificate table replaced by one `WIN_CERTIFICATE`
/// holding `pkcs7` (DER `ContentInfo` of a `SignedData`), the Certificate
/// Table directory pointing at it and the `CheckSum` recomputed.
pub(crate) fn embed(pe: &[u8], layout: &PeLayout, pkcs7: &[u8]) -> Result<Vec<u8>, AuthenticodeError> {
    let content_end = layout.content_end(pe);
    let table_offset = content_end + padding(content_end);
    // dwLength covers the 8-byte header, the signature and its padding to 8 bytes, as osslsigncode
    // and signtool write it; the directory entry's size is the same number.
    let entry_len = 8 + pkcs7.len() + padding(pkcs7.len());
    let too_big = || AuthenticodeError::TooLarge {
        size: table_offset + entry_len,
    };
    let offset32 = u32::try_from(table_offset).map_err(|_| too_big())?;
    let len32 = u32::try_from(entry_len).map_err(|_| too_big())?;
    if offset32.checked_add(len32).is_none() {
        return Err(too_big());
    }
    let mut out = Vec::with_capacity(table_offset + entry_len);
    out.extend_from_slice(&pe[..content_end]);
    out.resize(table_offset, 0);
    out.extend_from_slice(&len32.to_le_bytes());
    out.extend_from_slice(&WIN_CERT_REVISION_2_0.to_le_bytes());
    out.extend_from_slice(&WIN_CERT_TYPE_PKCS_SIGNED_DATA.to_le_bytes());
    out.extend_from_slice(pkcs7);
    out.resize(table_offset + entry_len, 0);
    out[layout.cert_dir..layout.cert_dir + 4].copy_from_slice(&offset32.to_le_bytes());
    out[layout.cert_dir + 4..layout.cert_dir + 8].copy_from_slice(&len32.to_le_bytes());
    let checksum = checksum(&out, layout.checksum);
    out[layout.checksum..layout.checksum + 4].copy_from_slice(&checksum.to_le_bytes());
    Ok(out)
}

/// The PE image checksum (as `CheckSumMappedFile` computes it): the 16-bit
/// one's-complement-style sum of the file's little-endian words with the
/// `CheckSum` field taken as zero, folded to 16 bits, plus the file length.
pub(crate) fn checksum(pe: &[u8], checksum_offset: usize) -> u32 {
    let mut sum: u64 = 0;
    for (i, word) in pe.chunks(2).enumerate() {
        let offset = i * 2;
        if offset == checksum_offset || offset == checksum_offset + 2 {
            continue;
        }
        let value = u16::from_le_bytes([word[0], word.get(1).copied().unwrap_or(0)]);
        sum += u64::from(value);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    (sum as u32).wrapping_add(pe.len() as u32)
}

fn read_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    let b = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let b = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_rounds_up_to_eight() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 7);
        assert_eq!(padding(8), 0);
        assert_eq!(padding(13), 3);
    }

    #[test]
    fn short_inputs_are_errors() {
        for input in [&b""[..], b"M", b"MZ", &[b'M', b'Z', 0, 0, 0, 0, 0, 0]] {
            assert!(PeLayout::parse(input).is_err());
        }
        let mut dos = vec![0u8; 0x40];
        dos[..2].copy_from_slice(b"MZ");
        dos[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PeLayout::parse(&dos).is_err());
        dos[0x3c..0x40].copy_from_slice(&0x3cu32.to_le_bytes());
        assert!(PeLayout::parse(&dos).is_err());
    }
}
