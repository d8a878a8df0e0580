//! Errors of the packed-resources reader and writer.

use super::{EntryFlags, EntryKind, FORMAT_VERSION};

/// Why a blob could not be read, or an entry could not be added or written.
///
/// Reader errors describe the first problem found; keys are shown with
/// Rust string escapes (the `\0` separator of resource names shows as `\0`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    // ---- reading ----
    /// The blob does not start with `OXDISTPR`.
    #[error("not an oxdist resources blob (bad magic)")]
    BadMagic,
    /// The blob was written by a newer oxdist.
    #[error(
        "format version {0} is newer than this runtime supports ({FORMAT_VERSION}); rebuild the executable with a matching oxdist"
    )]
    VersionTooNew(u32),
    /// Version 0 never existed.
    #[error("format version 0 is invalid (corrupt blob)")]
    VersionZero,
    /// Header flags this runtime does not know.
    #[error("header flags {0:#x} are not known to this runtime; rebuild the executable with a matching oxdist")]
    UnknownHeaderFlags(u32),
    /// A section (or the header) extends past the end of the blob.
    #[error("truncated: section {section} ends at {end} but the blob is {len} bytes")]
    Truncated {
        /// `header`, `index`, `keys` or `data`.
        section: &'static str,
        /// The end offset the header implies (saturated at `u64::MAX` on overflow).
        end: u64,
        /// The blob's length.
        len: u64,
    },
    /// Sections overlap, are out of order or misaligned, or bytes follow the data section.
    #[error("bad layout: {0}")]
    Layout(String),
    /// The keys section is not UTF-8.
    #[error("the keys section is not valid UTF-8 (first bad byte at keys offset {0})")]
    KeysNotUtf8(usize),
    /// An index record is inconsistent.
    #[error("index entry {index} ({key}): {reason}")]
    BadEntry {
        /// Position in the index.
        index: usize,
        /// The key, escaped, or `?` when it could not be read.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Keys are not strictly increasing.
    #[error("index entry {index} is out of order: {key} sorts before the previous key {previous}")]
    OutOfOrder {
        /// Position in the index.
        index: usize,
        /// The key, escaped.
        key: String,
        /// The previous key, escaped.
        previous: String,
    },
    /// Two records have the same key.
    #[error("index entry {index} duplicates the previous key {key}")]
    DuplicateEntry {
        /// Position in the index.
        index: usize,
        /// The key, escaped.
        key: String,
    },
    /// The header's Python magic does not end with `\r\n`.
    #[error("python magic {0:02x?} is not an importlib.util.MAGIC_NUMBER (it must end with 0d 0a)")]
    BadPythonMagic([u8; 4]),
    /// The mandatory `c:cache_tag` entry is missing.
    #[error("the blob has no `c:cache_tag` entry (corrupt blob)")]
    MissingCacheTag,
    /// The cache tag is empty, too long, not printable ASCII or flagged.
    #[error("invalid cache tag {0}: it must be 1-32 printable ASCII characters, stored uncompressed")]
    InvalidCacheTag(String),
    /// The blob was built for another Python.
    #[error(
        "the resources were built for {found_tag} (magic {found_magic:02x?}) but this interpreter is {expected_tag} (magic {expected_magic:02x?}); rebuild the executable with a matching Python"
    )]
    PythonMismatch {
        /// The blob's cache tag.
        found_tag: String,
        /// The blob's magic.
        found_magic: [u8; 4],
        /// The running interpreter's cache tag.
        expected_tag: String,
        /// The running interpreter's magic.
        expected_magic: [u8; 4],
    },
    /// The trailer of an executable claims more bytes than the file has.
    #[error("the trailer claims a {blob_len}-byte resources blob but only {available} bytes precede it")]
    BadTrailer {
        /// The length the trailer records.
        blob_len: u64,
        /// The bytes before the trailer.
        available: u64,
    },
    /// A zstd payload could not be decompressed.
    #[error("entry {key}: cannot decompress its zstd payload: {reason}")]
    Decompress {
        /// The key, escaped.
        key: String,
        /// What went wrong.
        reason: String,
    },
    /// The crate was built without the `zstd` feature.
    #[error("entry {key} is zstd-compressed but this build has no zstd support (feature `zstd` of oxdist-embed)")]
    ZstdUnsupported {
        /// The key, escaped.
        key: String,
    },

    // ---- writing ----
    /// An entry with this key was already added.
    #[error("duplicate entry {key}")]
    DuplicateKey {
        /// The key, escaped.
        key: String,
    },
    /// The name is not valid for its kind.
    #[error("invalid name for {kind} entry {name}: {reason}")]
    InvalidName {
        /// The kind.
        kind: EntryKind,
        /// The name, escaped.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The flags are not valid for the kind.
    #[error("entry {key}: flags {flags} are not allowed for {kind} entries (allowed: {allowed})")]
    FlagsNotAllowed {
        /// The key, escaped.
        key: String,
        /// The kind.
        kind: EntryKind,
        /// The flags given.
        flags: EntryFlags,
        /// The flags the kind accepts.
        allowed: EntryFlags,
    },
    /// The payload is not valid for the kind or flags.
    #[error("entry {key}: {reason}")]
    InvalidData {
        /// The key, escaped.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A size limit of the format would be exceeded.
    #[error("too large for the format: {0}")]
    TooLarge(&'static str),
    /// Compression failed.
    #[error("entry {key}: zstd compression failed: {reason}")]
    Compress {
        /// The key, escaped.
        key: String,
        /// The zstd error.
        reason: String,
    },
}

/// A key as shown in messages: quoted, with `\0` and control characters escaped.
pub(crate) fn show_key(key: &str) -> String {
    format!("{key:?}")
}

/// Like [`show_key`] for bytes that may not be UTF-8; long keys are cut.
pub(crate) fn show_key_bytes(key: &[u8]) -> String {
    const MAX: usize = 200;
    let cut = &key[..key.len().min(MAX)];
    let mut s = format!("{:?}", String::from_utf8_lossy(cut));
    if key.len() > MAX {
        s.push('…');
    }
    s
}
