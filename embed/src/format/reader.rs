//! Zero-copy reader: validate once, then look up by binary search.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::Range;

use super::error::{show_key, show_key_bytes};
use super::{
    CACHE_TAG_KEY, DATA_ALIGN, EntryFlags, EntryKind, FORMAT_VERSION, FROZEN_DIGEST_LEN, FormatError, HEADER_LEN,
    INDEX_RECORD_LEN, MAGIC, cache_tag_is_valid, python_magic_is_plausible, read_u32, read_u64,
};

/// The first 4 bytes of every zstd frame.
pub(crate) const ZSTD_FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A validated packed-resources blob, borrowed from memory that outlives it
/// (typically a memory map of the executable, or `include_bytes!`).
///
/// Construction ([`parse`](Self::parse)) checks the whole structure once;
/// afterwards every accessor is infallible, allocation-free and returns
/// slices of the original bytes.
#[derive(Clone, Copy)]
pub struct PackedResources<'a> {
    blob: &'a [u8],
    index: &'a [u8],
    keys: &'a str,
    data: &'a [u8],
    python_magic: [u8; 4],
    cache_tag: &'a str,
}

impl fmt::Debug for PackedResources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackedResources")
            .field("len", &self.len())
            .field("bytes", &self.blob.len())
            .field("python_magic", &self.python_magic)
            .field("cache_tag", &self.cache_tag)
            .finish_non_exhaustive()
    }
}

/// One entry of a blob. All slices borrow from the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The kind (key prefix).
    pub kind: EntryKind,
    /// The name (key without its prefix).
    pub name: &'a str,
    /// The flags.
    pub flags: EntryFlags,
    /// The stored payload (compressed if `flags` has [`EntryFlags::ZSTD`]).
    pub data: &'a [u8],
}

/// One index record, decoded.
struct Record {
    key: Range<usize>,
    flags: u32,
    data: Range<usize>,
}

impl<'a> PackedResources<'a> {
    /// Validates `bytes` as a packed-resources blob.
    ///
    /// Checks, in one pass over the index (O(entries + key bytes)): magic,
    /// version, header flags, Python magic, that the sections lie in order
    /// inside `bytes` and end exactly at its end, that every index record's
    /// key and payload are in bounds, keys are UTF-8 with a known kind
    /// prefix and strictly increasing, flags are known and allowed for the
    /// kind, payloads are 8-byte aligned, namespace entries are empty, and
    /// the cache tag entry is present. It reads the header, index and keys
    /// but no payload except the cache tag's, so on a memory-mapped
    /// executable the data section is paged in only as entries are used.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let len = bytes.len() as u64;
        if bytes.len() < HEADER_LEN {
            if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
                return Err(FormatError::BadMagic);
            }
            return Err(FormatError::Truncated {
                section: "header",
                end: HEADER_LEN as u64,
                len,
            });
        }
        let h = &bytes[..HEADER_LEN];
        if h[..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        match read_u32(h, 8) {
            0 => return Err(FormatError::VersionZero),
            v if v > FORMAT_VERSION => return Err(FormatError::VersionTooNew(v)),
            _ => {}
        }
        let header_flags = read_u32(h, 12);
        if header_flags != 0 {
            return Err(FormatError::UnknownHeaderFlags(header_flags));
        }
        let python_magic = [h[16], h[17], h[18], h[19]];
        if !python_magic_is_plausible(python_magic) {
            return Err(FormatError::BadPythonMagic(python_magic));
        }
        let entry_count = read_u32(h, 20);
        let index_offset = read_u64(h, 24);
        let keys_offset = read_u64(h, 32);
        let keys_len = read_u64(h, 40);
        let data_offset = read_u64(h, 48);
        let data_len = read_u64(h, 56);

        let index_len = u64::from(entry_count) * INDEX_RECORD_LEN as u64;
        let index = section(bytes, "index", index_offset, index_len)?;
        let keys = section(bytes, "keys", keys_offset, keys_len)?;
        let data = section(bytes, "data", data_offset, data_len)?;
        // `section` proved every end <= len, so these sums do not overflow.
        let (index_end, keys_end, data_end) =
            (index_offset + index_len, keys_offset + keys_len, data_offset + data_len);
        if index_offset < HEADER_LEN as u64 {
            return Err(layout(format!("the index (at {index_offset}) overlaps the header")));
        }
        if !index_offset.is_multiple_of(DATA_ALIGN) {
            return Err(layout(format!("the index offset {index_offset} is not 8-byte aligned")));
        }
        if keys_offset < index_end {
            return Err(layout(format!(
                "the keys section (at {keys_offset}) starts before the index ends ({index_end})"
            )));
        }
        if data_offset < keys_end {
            return Err(layout(format!(
                "the data section (at {data_offset}) starts before the keys section ends ({keys_end})"
            )));
        }
        if !data_offset.is_multiple_of(DATA_ALIGN) {
            return Err(layout(format!("the data offset {data_offset} is not 8-byte aligned")));
        }
        if data_end != len {
            return Err(layout(format!(
                "{} bytes follow the data section (which ends at {data_end})",
                len - data_end
            )));
        }
        let keys = std::str::from_utf8(keys).map_err(|e| FormatError::KeysNotUtf8(e.valid_up_to()))?;

        let res = PackedResources {
            blob: bytes,
            index,
            keys,
            data,
            python_magic,
            cache_tag: "",
        };
        res.validate_entries()?;

        let tag = res
            .get(EntryKind::Config, &CACHE_TAG_KEY[2..])
            .ok_or(FormatError::MissingCacheTag)?;
        if !tag.flags.is_empty() || !cache_tag_is_valid(tag.data) {
            return Err(FormatError::InvalidCacheTag(show_key_bytes(tag.data)));
        }
        // Printable ASCII, checked just above.
        let cache_tag = std::str::from_utf8(tag.data).map_err(|_| FormatError::InvalidCacheTag(String::new()))?;
        Ok(PackedResources { cache_tag, ..res })
    }

    /// The O(n) pass over the index records.
    fn validate_entries(&self) -> Result<(), FormatError> {
        let keys_len = self.keys.len() as u64;
        let data_len = self.data.len() as u64;
        let mut previous: &str = "";
        for (i, rec) in self.index.chunks_exact(INDEX_RECORD_LEN).enumerate() {
            let key_offset = u64::from(read_u32(rec, 0));
            let key_len = u64::from(read_u32(rec, 4));
            let flags = read_u32(rec, 8);
            let reserved = read_u32(rec, 12);
            let d_offset = read_u64(rec, 16);
            let d_len = read_u64(rec, 24);

            let bad = |key: &str, reason: String| FormatError::BadEntry {
                index: i,
                key: key.to_string(),
                reason,
            };
            let key_end = key_offset + key_len; // two u32s: no overflow
            if key_end > keys_len {
                return Err(bad(
                    "?",
                    format!("key bytes {key_offset}..{key_end} are outside the keys section ({keys_len} bytes)"),
                ));
            }
            // In bounds, so the casts are lossless.
            let Some(key) = self.keys.get(key_offset as usize..key_end as usize) else {
                return Err(bad(
                    "?",
                    "the key does not start and end on UTF-8 character boundaries".into(),
                ));
            };
            if i > 0 {
                match key.cmp(previous) {
                    Ordering::Greater => {}
                    Ordering::Equal => {
                        return Err(FormatError::DuplicateEntry {
                            index: i,
                            key: show_key(key),
                        });
                    }
                    Ordering::Less => {
                        return Err(FormatError::OutOfOrder {
                            index: i,
                            key: show_key(key),
                            previous: show_key(previous),
                        });
                    }
                }
            }
            previous = key;
            let Some((kind, name)) = EntryKind::split_key(key) else {
                return Err(bad(&show_key(key), "unknown kind prefix".into()));
            };
            if name.is_empty() {
                return Err(bad(&show_key(key), "empty name".into()));
            }
            if reserved != 0 {
                return Err(bad(&show_key(key), format!("reserved field is {reserved:#x}, not 0")));
            }
            let Some(flags) = EntryFlags::from_bits(flags) else {
                return Err(bad(&show_key(key), format!("unknown flag bits {flags:#x}")));
            };
            let allowed = kind.allowed_flags();
            if !allowed.contains(flags) {
                return Err(bad(
                    &show_key(key),
                    format!("flags {flags} are not allowed for {kind} entries"),
                ));
            }
            if kind.is_module() {
                if name.as_bytes().contains(&0) {
                    return Err(bad(&show_key(key), "module names cannot contain NUL".into()));
                }
            } else if kind.has_path() {
                match name.as_bytes().iter().position(|&b| b == 0) {
                    Some(p) if p > 0 && p + 1 < name.len() => {}
                    _ => {
                        return Err(bad(
                            &show_key(key),
                            "the name is not OWNER\\0RELATIVE/PATH with both parts non-empty".into(),
                        ));
                    }
                }
            }
            match d_offset.checked_add(d_len) {
                Some(end) if end <= data_len => {}
                _ => {
                    return Err(bad(
                        &show_key(key),
                        format!(
                            "payload at {d_offset} (+{d_len} bytes) is outside the data section ({data_len} bytes)"
                        ),
                    ));
                }
            }
            if !d_offset.is_multiple_of(DATA_ALIGN) {
                return Err(bad(
                    &show_key(key),
                    format!("payload offset {d_offset} is not 8-byte aligned"),
                ));
            }
            if kind == EntryKind::Namespace && d_len != 0 {
                return Err(bad(&show_key(key), "namespace packages have no payload".into()));
            }
            if kind == EntryKind::Frozen && d_len != FROZEN_DIGEST_LEN as u64 {
                return Err(bad(
                    &show_key(key),
                    "a frozen module's payload is a 32-byte digest".into(),
                ));
            }
            // Payload bytes are deliberately not read here (not even a zstd
            // frame's magic): parsing touches only the header, index and keys,
            // so a memory-mapped data section is paged in only when used.
            // `Entry::decompressed` validates frames.
        }
        Ok(())
    }

    /// Fails unless the blob was built for the interpreter with this
    /// `importlib.util.MAGIC_NUMBER` and `sys.implementation.cache_tag`.
    pub fn check_python(&self, magic: [u8; 4], cache_tag: &str) -> Result<(), FormatError> {
        if self.python_magic == magic && self.cache_tag == cache_tag {
            Ok(())
        } else {
            Err(FormatError::PythonMismatch {
                found_tag: self.cache_tag.to_string(),
                found_magic: self.python_magic,
                expected_tag: cache_tag.to_string(),
                expected_magic: magic,
            })
        }
    }

    /// `importlib.util.MAGIC_NUMBER` of the Python the bytecode is for.
    pub fn python_magic(&self) -> [u8; 4] {
        self.python_magic
    }

    /// `sys.implementation.cache_tag` of that Python (e.g. `cpython-311`).
    pub fn cache_tag(&self) -> &'a str {
        self.cache_tag
    }

    /// Number of entries, including the `c:cache_tag` entry.
    pub fn len(&self) -> usize {
        self.index.len() / INDEX_RECORD_LEN
    }

    /// Whether there are no entries (never true for a valid blob, which has
    /// at least `c:cache_tag`).
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The whole blob.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.blob
    }

    /// The entry with this kind and name, by binary search (no allocation).
    pub fn get(&self, kind: EntryKind, name: &str) -> Option<Entry<'a>> {
        let (prefix, name) = (kind.prefix().as_bytes(), name.as_bytes());
        let i = self.partition_point(|key| cmp_concat(key, prefix, name) == Ordering::Less);
        (i < self.len() && cmp_concat(self.key_bytes(i), prefix, name) == Ordering::Equal).then(|| self.entry(i))
    }

    /// Whether an entry with this kind and name exists.
    pub fn contains(&self, kind: EntryKind, name: &str) -> bool {
        self.get(kind, name).is_some()
    }

    /// All entries, in key order.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            res: *self,
            range: 0..self.len(),
        }
    }

    /// All entries of one kind, in name order.
    pub fn iter_kind(&self, kind: EntryKind) -> Iter<'a> {
        self.iter_prefix(kind, "")
    }

    /// The entries of `kind` whose names start with `name_prefix`, in name
    /// order, found by two binary searches.
    ///
    /// Examples: `iter_prefix(Resource, "pkg\0")` lists every resource of
    /// package `pkg` (nested directories included);
    /// `iter_prefix(Resource, "pkg\0sub/")` those under `sub/`;
    /// `iter_prefix(Bytecode0, "pkg.")` every submodule of `pkg` at any
    /// depth (keep the names without a further `.` for direct children).
    pub fn iter_prefix(&self, kind: EntryKind, name_prefix: &str) -> Iter<'a> {
        let (prefix, name) = (kind.prefix().as_bytes(), name_prefix.as_bytes());
        let start = self.partition_point(|key| cmp_concat(key, prefix, name) == Ordering::Less);
        let end = self.partition_point(|key| {
            cmp_concat(key, prefix, name) == Ordering::Less || starts_with_concat(key, prefix, name)
        });
        Iter {
            res: *self,
            range: start..end.max(start),
        }
    }

    /// First index in `0..len` for which `pred` is false (`pred` must be
    /// true for a prefix of the index and false after).
    fn partition_point(&self, mut pred: impl FnMut(&[u8]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.key_bytes(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn record(&self, i: usize) -> Record {
        let rec = &self.index[i * INDEX_RECORD_LEN..(i + 1) * INDEX_RECORD_LEN];
        // Validated by `parse`: every range is in bounds and fits in usize.
        let key_start = read_u32(rec, 0) as usize;
        let data_start = read_u64(rec, 16) as usize;
        Record {
            key: key_start..key_start + read_u32(rec, 4) as usize,
            flags: read_u32(rec, 8),
            data: data_start..data_start + read_u64(rec, 24) as usize,
        }
    }

    fn key_bytes(&self, i: usize) -> &'a [u8] {
        let rec = &self.index[i * INDEX_RECORD_LEN..(i + 1) * INDEX_RECORD_LEN];
        let start = read_u32(rec, 0) as usize;
        &self.keys.as_bytes()[start..start + read_u32(rec, 4) as usize]
    }

    fn entry(&self, i: usize) -> Entry<'a> {
        let rec = self.record(i);
        let keys: &'a str = self.keys;
        let key = &keys[rec.key];
        // `parse` proved the prefix is known and the flags valid; fall back
        // to harmless values rather than panicking should that ever change.
        let (kind, name) = EntryKind::split_key(key).unwrap_or((EntryKind::Config, key));
        Entry {
            kind,
            name,
            flags: EntryFlags::from_bits(rec.flags).unwrap_or_default(),
            data: &self.data[rec.data],
        }
    }
}

/// Compares `key` with the concatenation `prefix ++ name`, byte-wise.
fn cmp_concat(key: &[u8], prefix: &[u8], name: &[u8]) -> Ordering {
    let n = key.len().min(prefix.len());
    match key[..n].cmp(&prefix[..n]) {
        Ordering::Equal if key.len() < prefix.len() => Ordering::Less,
        Ordering::Equal => key[prefix.len()..].cmp(name),
        other => other,
    }
}

/// Whether `key` starts with `prefix ++ name`.
fn starts_with_concat(key: &[u8], prefix: &[u8], name: &[u8]) -> bool {
    key.starts_with(prefix) && key[prefix.len()..].starts_with(name)
}

fn section<'a>(bytes: &'a [u8], name: &'static str, offset: u64, len: u64) -> Result<&'a [u8], FormatError> {
    let blob_len = bytes.len() as u64;
    match offset.checked_add(len) {
        Some(end) if end <= blob_len => Ok(&bytes[offset as usize..end as usize]),
        end => Err(FormatError::Truncated {
            section: name,
            end: end.unwrap_or(u64::MAX),
            len: blob_len,
        }),
    }
}

fn layout(msg: String) -> FormatError {
    FormatError::Layout(msg)
}

impl<'a> Entry<'a> {
    /// Whether the entry is a package: flagged [`EntryFlags::IS_PACKAGE`],
    /// or a namespace package.
    pub fn is_package(&self) -> bool {
        self.flags.contains(EntryFlags::IS_PACKAGE) || self.kind == EntryKind::Namespace
    }

    /// Whether the payload is zstd-compressed.
    pub fn is_compressed(&self) -> bool {
        self.flags.contains(EntryFlags::ZSTD)
    }

    /// Whether the resource is an executable file.
    pub fn is_executable(&self) -> bool {
        self.flags.contains(EntryFlags::EXECUTABLE)
    }

    /// The full key (`prefix ++ name`), allocated.
    pub fn key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.name)
    }

    /// For `r:` and `d:` entries, the owner (package or `.dist-info`
    /// directory) and the relative path.
    pub fn owner_and_path(&self) -> Option<(&'a str, &'a str)> {
        if self.kind.has_path() {
            self.name.split_once('\0')
        } else {
            None
        }
    }

    /// The payload as UTF-8, e.g. the path of an `e:` or `f:` entry.
    pub fn data_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.data).ok()
    }

    /// The payload, decompressed if it is a zstd frame (borrowed otherwise).
    ///
    /// The frame must record its content size and be the whole payload; the
    /// output is exactly that size. Corrupt frames give an error, not a panic.
    pub fn decompressed(&self) -> Result<Cow<'a, [u8]>, FormatError> {
        if !self.is_compressed() {
            return Ok(Cow::Borrowed(self.data));
        }
        decompress(self.data)
            .map(Cow::Owned)
            .map_err(|reason| self.decompress_error(reason))
    }

    #[cfg(feature = "zstd")]
    fn decompress_error(&self, reason: String) -> FormatError {
        FormatError::Decompress {
            key: show_key(&self.key()),
            reason,
        }
    }

    #[cfg(not(feature = "zstd"))]
    fn decompress_error(&self, _reason: String) -> FormatError {
        FormatError::ZstdUnsupported {
            key: show_key(&self.key()),
        }
    }
}

/// Decompresses one zstd frame with a recorded content size.
#[cfg(feature = "zstd")]
pub(crate) fn decompress(frame: &[u8]) -> Result<Vec<u8>, String> {
    use std::cell::RefCell;
    use zstd::zstd_safe;
    // Highest possible expansion of zstd: an RLE block of 128 KiB takes 4
    // bytes. A larger claimed size is corruption; refuse before allocating.
    const MAX_RATIO: u64 = 32 * 1024;

    let size = match zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) => size,
        Ok(None) => return Err("the frame does not record its content size".into()),
        Err(_) => return Err("not a valid zstd frame header".into()),
    };
    match zstd_safe::find_frame_compressed_size(frame) {
        Ok(n) if n == frame.len() => {}
        Ok(n) => return Err(format!("the payload holds {} bytes after the frame", frame.len() - n)),
        Err(code) => return Err(zstd_safe::get_error_name(code).to_string()),
    }
    if size > (frame.len() as u64).saturating_mul(MAX_RATIO) {
        return Err(format!(
            "implausible content size {size} for a {}-byte frame",
            frame.len()
        ));
    }
    let size = usize::try_from(size).map_err(|_| format!("content size {size} does not fit in memory"))?;
    let mut out = Vec::new();
    out.try_reserve_exact(size)
        .map_err(|_| format!("cannot allocate {size} bytes"))?;
    // One decompression context per thread, reused: creating one per call
    // costs an allocation and initialisation of its tables. `Vec<u8>` as a
    // zstd `WriteBuf` fills its spare capacity.
    thread_local! {
        static DCTX: RefCell<Option<zstd_safe::DCtx<'static>>> = const { RefCell::new(None) };
    }
    let run = |dctx: &mut zstd_safe::DCtx<'static>, out: &mut Vec<u8>| {
        dctx.decompress(out, frame)
            .map_err(|code| zstd_safe::get_error_name(code).to_string())
    };
    let written = DCTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = zstd_safe::DCtx::try_create();
            }
            match slot.as_mut() {
                Some(dctx) => run(dctx, &mut out),
                None => Err("cannot allocate a zstd decompression context".to_string()),
            }
        }
        Err(_) => match zstd_safe::DCtx::try_create() {
            Some(mut dctx) => run(&mut dctx, &mut out),
            None => Err("cannot allocate a zstd decompression context".to_string()),
        },
    })?;
    if written != size {
        return Err(format!("decompressed to {written} bytes, but the frame records {size}"));
    }
    Ok(out)
}

#[cfg(not(feature = "zstd"))]
pub(crate) fn decompress(_frame: &[u8]) -> Result<Vec<u8>, String> {
    Err(String::new())
}

/// Iterator over entries in key order (see [`PackedResources::iter`]).
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    res: PackedResources<'a>,
    range: Range<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        self.range.next().map(|i| self.res.entry(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<Entry<'a>> {
        self.range.nth(n).map(|i| self.res.entry(i))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|i| self.res.entry(i))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &PackedResources<'a> {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_comparison() {
        assert_eq!(cmp_concat(b"b0:json", b"b0:", b"json"), Ordering::Equal);
        assert_eq!(cmp_concat(b"b0:", b"b0:", b"json"), Ordering::Less);
        assert_eq!(cmp_concat(b"b0", b"b0:", b""), Ordering::Less);
        assert_eq!(cmp_concat(b"b1:a", b"b0:", b"zzz"), Ordering::Greater);
        assert_eq!(cmp_concat(b"b0:jsoo", b"b0:", b"json"), Ordering::Greater);
        assert_eq!(cmp_concat(b"a", b"b0:", b""), Ordering::Less);
        assert!(starts_with_concat(b"r:pkg\0a/b", b"r:", b"pkg\0a/"));
        assert!(!starts_with_concat(b"r:pkg2\0a", b"r:", b"pkg\0"));
    }

    #[test]
    fn short_inputs_error() {
        assert_eq!(PackedResources::parse(b"").unwrap_err(), FormatError::BadMagic);
        assert_eq!(PackedResources::parse(b"OXDIST").unwrap_err(), FormatError::BadMagic);
        assert!(matches!(
            PackedResources::parse(b"OXDISTPR\x01").unwrap_err(),
            FormatError::Truncated {
                section: "header",
                end: 64,
                len: 9
            }
        ));
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn decompress_rejects_bad_frames() {
        let frame = zstd::bulk::compress(b"hello hello hello", 3).unwrap();
        assert_eq!(decompress(&frame).unwrap(), b"hello hello hello");
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        assert!(decompress(&two).unwrap_err().contains("after the frame"));
        assert!(decompress(&frame[..frame.len() - 1]).is_err());
        assert!(decompress(&ZSTD_FRAME_MAGIC).is_err());
        // A streamed frame without content size.
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        std::io::Write::write_all(&mut enc, b"abc").unwrap();
        let streamed = enc.finish().unwrap();
        if matches!(zstd::zstd_safe::get_frame_content_size(&streamed), Ok(None)) {
            assert!(decompress(&streamed).unwrap_err().contains("content size"));
        }
    }
}
