//! The packed-resources format: a single blob holding everything an oxdist
//! executable imports or reads, laid out to be used in place from a memory
//! map.
//!
//! ```text
//! blob    = header (64 bytes) · index (entry_count × 32 bytes) · keys · padding · data
//! exe     = launcher · [padding] · blob · trailer (u64 blob_len, b"OXDISTTR")
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
pub fn find_appended(file: &[u8]) -> Result<Option<&[u8]>, FormatError> {
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
}
