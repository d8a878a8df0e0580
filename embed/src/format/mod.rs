//! The packed-resources format: a single blob holding everything an oxdist
//! executable imports or reads, laid out to be used in place from a memory
//! map.
//!
//! ```text
//! blob    = header (64 bytes) · index (entry_count × 32 bytes) · keys · padding · data
//! exe     = launcher · [padding] · blob · trailer (u64 blob_len, b"OXDISTTR")
//! signed Mach-O exe = launcher (old signature removed) · [padding] · blob · trailer
//!                     · [≤ 15 zero bytes] · code signature   (all in __LINKEDIT)
//! ```
//!
//! - [`PackedResourcesBuilder`] writes a blob (build time, in the CLI).
//!   Output is deterministic: the same entries in any order give the same
//!   bytes.
//! - [`PackedResources::parse`] validates a blob once, in O(entries + key
//!   bytes), and then serves lookups by binary search without allocating.
//!   A corrupt blob yields a [`FormatError`], never a panic or an
//!   out-of-bounds read.
//! - [`find_appended`] / [`append_trailer`] locate or mark a blob appended to
//!   an executable.
//!
//! Every entry is keyed by a kind prefix ([`EntryKind::prefix`]) followed by
//! a name. The full byte layout is specified in
//! `docs/reference/packed-resources.md`.

#![forbid(unsafe_code)]

mod error;
mod kind;
mod reader;
mod writer;

pub use error::FormatError;
pub use kind::{EntryFlags, EntryKind};
pub use reader::{Entry, Iter, PackedResources};
pub use writer::PackedResourcesBuilder;

/// The first 8 bytes of every blob.
pub const MAGIC: [u8; 8] = *b"OXDISTPR";
/// The format version this crate writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Length of a `z:` entry's payload: the SHA-256 of the `marshal` data the
/// launcher's deep-frozen code object stands for.
pub const FROZEN_DIGEST_LEN: usize = 32;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 64;
/// Size of one index record.
pub const INDEX_RECORD_LEN: usize = 32;
/// Alignment of the data section and of every payload in it (relative to
/// the start of the blob).
pub const DATA_ALIGN: u64 = 8;
/// Key of the mandatory entry holding the interpreter's
/// `sys.implementation.cache_tag` (e.g. `cpython-311`), as ASCII.
pub const CACHE_TAG_KEY: &str = "c:cache_tag";
/// Longest cache tag accepted.
pub const MAX_CACHE_TAG_LEN: usize = 32;
/// The last 8 bytes of an executable carrying an appended blob.
pub const TRAILER_MAGIC: [u8; 8] = *b"OXDISTTR";
/// Size of the trailer: u64 blob length, then [`TRAILER_MAGIC`].
pub const TRAILER_LEN: usize = 16;

/// Finds a blob appended to an executable image (`launcher ++ blob ++
/// trailer`).
///
/// Returns `Ok(None)` when `file` does not end with a trailer (the
/// executable carries no appended blob), `Ok(Some(blob))` with exactly the
/// `blob_len` bytes preceding the trailer, and an error when the trailer
/// claims more bytes than precede it. The blob itself is not validated: hand
/// it to [`PackedResources::parse`].
///
/// A signed macOS executable ends with its code signature instead: there the
/// blob and trailer are the tail of the `__LINKEDIT` segment, followed by up
/// to 15 zero bytes of alignment and the signature. So when `file` does not
/// end with a trailer and is a thin 64-bit little-endian Mach-O image with an
/// `LC_CODE_SIGNATURE` load command, the trailer is looked for ending at the
/// signature's offset, skipping back over at most 15 zero bytes (the
/// trailer's last byte, `R`, is not zero). A Mach-O file this cannot make
/// sense of is treated as carrying no trailer.
pub fn find_appended(file: &[u8]) -> Result<Option<&[u8]>, FormatError> {
    match blob_before_trailer(file)? {
        Some(blob) => Ok(Some(blob)),
        None => match macho_signature_offset(file) {
            Some(dataoff) => {
                let mut end = dataoff;
                while end > 0 && dataoff - end < MACHO_MAX_PADDING && file[end - 1] == 0 {
                    end -= 1;
                }
                blob_before_trailer(&file[..end])
            }
            None => Ok(None),
        },
    }
}

/// The most zero bytes between a trailer and a Mach-O code signature: the
/// payload is not aligned, the signature starts at a multiple of 16.
const MACHO_MAX_PADDING: usize = 15;

/// `find_appended` for a trailer at the very end of `file`.
fn blob_before_trailer(file: &[u8]) -> Result<Option<&[u8]>, FormatError> {
    let Some(body_len) = file.len().checked_sub(TRAILER_LEN) else {
        return Ok(None);
    };
    let trailer = &file[body_len..];
    if trailer[8..] != TRAILER_MAGIC {
        return Ok(None);
    }
    let blob_len = read_u64(trailer, 0);
    match usize::try_from(blob_len) {
        Ok(n) if n <= body_len => Ok(Some(&file[body_len - n..body_len])),
        _ => Err(FormatError::BadTrailer {
            blob_len,
            available: body_len as u64,
        }),
    }
}

/// The file offset of the code signature (`LC_CODE_SIGNATURE`'s `dataoff`)
/// of a thin 64-bit little-endian Mach-O image, if it has one and the
/// offset lies within `file`. Every read is bounds-checked; anything
/// malformed gives `None`.
fn macho_signature_offset(file: &[u8]) -> Option<usize> {
    /// `MH_MAGIC_64`, little-endian.
    const MH_MAGIC_64: [u8; 4] = [0xcf, 0xfa, 0xed, 0xfe];
    const HEADER_LEN: usize = 32;
    const LC_CODE_SIGNATURE: u32 = 0x1d;
    let u32_at = |at: usize| -> Option<u32> {
        let b = file.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };

    if file.get(..4)? != MH_MAGIC_64 {
        return None;
    }
    let ncmds = u32_at(16)?;
    let sizeofcmds = usize::try_from(u32_at(20)?).ok()?;
    let cmds_end = HEADER_LEN.checked_add(sizeofcmds)?;
    if cmds_end > file.len() {
        return None;
    }
    let mut offset = HEADER_LEN;
    for _ in 0..ncmds {
        if cmds_end.checked_sub(offset)? < 8 {
            return None;
        }
        let cmd = u32_at(offset)?;
        let cmdsize = usize::try_from(u32_at(offset + 4)?).ok()?;
        if cmdsize < 8 || cmdsize > cmds_end - offset {
            return None;
        }
        if cmd == LC_CODE_SIGNATURE {
            if cmdsize < 16 {
                return None;
            }
            let dataoff = usize::try_from(u32_at(offset + 8)?).ok()?;
            return (dataoff <= file.len()).then_some(dataoff);
        }
        offset += cmdsize;
    }
    None
}

/// The 16-byte trailer to write right after a blob of `blob_len` bytes
/// appended to an executable.
pub fn append_trailer(blob_len: u64) -> [u8; 16] {
    let mut t = [0u8; TRAILER_LEN];
    t[..8].copy_from_slice(&blob_len.to_le_bytes());
    t[8..].copy_from_slice(&TRAILER_MAGIC);
    t
}

/// Whether `magic` looks like `importlib.util.MAGIC_NUMBER` (2 bytes of
/// version number, then `\r\n`).
pub(crate) fn python_magic_is_plausible(magic: [u8; 4]) -> bool {
    magic[2..] == *b"\r\n"
}

/// Whether `tag` is acceptable as a cache tag: 1–32 printable ASCII bytes.
pub(crate) fn cache_tag_is_valid(tag: &[u8]) -> bool {
    !tag.is_empty() && tag.len() <= MAX_CACHE_TAG_LEN && tag.iter().all(u8::is_ascii_graphic)
}

pub(crate) fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

pub(crate) fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_round_trip() {
        let mut file = b"launcher".to_vec();
        file.extend_from_slice(b"BLOB!");
        file.extend_from_slice(&append_trailer(5));
        assert_eq!(find_appended(&file).unwrap(), Some(&b"BLOB!"[..]));
    }

    #[test]
    fn no_trailer_is_none() {
        assert_eq!(find_appended(b"").unwrap(), None);
        assert_eq!(find_appended(b"short").unwrap(), None);
        assert_eq!(find_appended(&[0u8; 64]).unwrap(), None);
    }

    #[test]
    fn trailer_claiming_too_much_is_an_error() {
        let mut file = b"abc".to_vec();
        file.extend_from_slice(&append_trailer(4));
        let err = find_appended(&file).unwrap_err();
        assert_eq!(
            err,
            FormatError::BadTrailer {
                blob_len: 4,
                available: 3
            }
        );
        let mut file = Vec::new();
        file.extend_from_slice(&append_trailer(u64::MAX));
        assert!(find_appended(&file).is_err());
    }

    #[test]
    fn empty_blob_before_trailer() {
        let file = append_trailer(0);
        assert_eq!(find_appended(&file).unwrap(), Some(&b""[..]));
    }

    /// A thin 64-bit little-endian Mach-O header with a dummy load command
    /// and, if `signature`, an `LC_CODE_SIGNATURE` pointing at the end of
    /// `body` (where a signature of 32 bytes of 0xfa is then appended).
    fn macho(body: &[u8], signature: bool) -> Vec<u8> {
        let mut cmds = Vec::new();
        // LC_UUID.
        cmds.extend_from_slice(&0x1bu32.to_le_bytes());
        cmds.extend_from_slice(&24u32.to_le_bytes());
        cmds.extend_from_slice(&[0x33; 16]);
        let header_and_cmds = 32 + cmds.len() + if signature { 16 } else { 0 };
        let dataoff = header_and_cmds + body.len();
        if signature {
            cmds.extend_from_slice(&0x1du32.to_le_bytes());
            cmds.extend_from_slice(&16u32.to_le_bytes());
            cmds.extend_from_slice(&(dataoff as u32).to_le_bytes());
            cmds.extend_from_slice(&32u32.to_le_bytes());
        }
        let ncmds = if signature { 2u32 } else { 1 };
        let mut file = Vec::new();
        for v in [0xfeed_facf_u32, 0x0100_000c, 0, 2, ncmds, cmds.len() as u32, 0, 0] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.extend_from_slice(&cmds);
        file.extend_from_slice(body);
        if signature {
            file.extend_from_slice(&[0xfa; 32]);
        }
        file
    }

    fn payload(blob: &[u8], padding: usize) -> Vec<u8> {
        let mut body = b"launcher code".to_vec();
        body.extend_from_slice(blob);
        body.extend_from_slice(&append_trailer(blob.len() as u64));
        body.extend(std::iter::repeat_n(0u8, padding));
        body
    }

    #[test]
    fn trailer_before_a_macho_code_signature() {
        let file = macho(&payload(b"BLOB!", 0), true);
        assert_eq!(find_appended(&file).unwrap(), Some(&b"BLOB!"[..]));
        // An empty blob, and a blob ending in zero bytes.
        let file = macho(&payload(b"", 0), true);
        assert_eq!(find_appended(&file).unwrap(), Some(&b""[..]));
        let file = macho(&payload(b"\0\0\0", 3), true);
        assert_eq!(find_appended(&file).unwrap(), Some(&b"\0\0\0"[..]));
    }

    #[test]
    fn alignment_padding_before_the_signature_is_skipped() {
        for padding in 0..=15 {
            let file = macho(&payload(b"BLOB!", padding), true);
            assert_eq!(find_appended(&file).unwrap(), Some(&b"BLOB!"[..]), "{padding} bytes");
        }
        // More than 15 zero bytes is not alignment padding.
        let file = macho(&payload(b"BLOB!", 16), true);
        assert_eq!(find_appended(&file).unwrap(), None);
    }

    #[test]
    fn macho_without_signature_or_trailer_is_none() {
        // No LC_CODE_SIGNATURE: only the end of the file counts.
        let file = macho(&payload(b"BLOB!", 1), false);
        assert_eq!(find_appended(&file).unwrap(), None);
        let file = macho(&payload(b"BLOB!", 0), false);
        assert_eq!(find_appended(&file).unwrap(), Some(&b"BLOB!"[..]));
        // A signature, but no trailer before it.
        let file = macho(b"just a launcher", true);
        assert_eq!(find_appended(&file).unwrap(), None);
        // A trailer before the signature that claims too much.
        let mut body = b"ab".to_vec();
        body.extend_from_slice(&append_trailer(1000));
        let file = macho(&body, true);
        assert!(matches!(find_appended(&file), Err(FormatError::BadTrailer { .. })));
    }

    #[test]
    fn malformed_macho_never_panics() {
        let file = macho(&payload(b"BLOB!", 7), true);
        for len in 0..file.len() {
            let _ = find_appended(&file[..len]);
        }
        for at in 0..32 + 24 + 16 {
            for value in [0x00, 0x01, 0x08, 0x10, 0x7f, 0xff] {
                let mut bad = file.clone();
                bad[at] = value;
                let _ = find_appended(&bad);
            }
        }
        // ncmds larger than the commands that fit: stops at the end of the
        // load commands (after finding the signature here).
        let mut bad = file.clone();
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(find_appended(&bad).unwrap(), Some(&b"BLOB!"[..]));
        bad[32 + 24..32 + 28].copy_from_slice(&0x1b_u32.to_le_bytes());
        assert_eq!(find_appended(&bad).unwrap(), None);
        // dataoff past the end, sizeofcmds and a cmdsize huge.
        for (at, value) in [(32 + 24 + 8, u32::MAX), (20, u32::MAX), (32 + 4, u32::MAX)] {
            let mut bad = file.clone();
            bad[at..at + 4].copy_from_slice(&value.to_le_bytes());
            assert_eq!(find_appended(&bad).unwrap(), None, "{at}");
        }
    }
}
