//! Deterministic writer.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};

use super::error::show_key;
use super::reader::ZSTD_FRAME_MAGIC;
use super::{
    CACHE_TAG_KEY, DATA_ALIGN, EntryFlags, EntryKind, FORMAT_VERSION, FROZEN_DIGEST_LEN, FormatError, HEADER_LEN,
    INDEX_RECORD_LEN, MAGIC, cache_tag_is_valid, python_magic_is_plausible,
};

/// Collects entries and writes a packed-resources blob.
///
/// Entries are kept sorted by key, so the output depends only on the set of
/// entries, never on the order they were added: the same entries give the
/// same bytes. Identical payloads are stored once (several index records
/// then point at the same bytes). Every name is validated when added.
#[derive(Clone)]
pub struct PackedResourcesBuilder {
    python_magic: [u8; 4],
    entries: BTreeMap<String, Pending>,
    keys_len: u64,
}

#[derive(Clone)]
struct Pending {
    flags: EntryFlags,
    data: Vec<u8>,
}

impl fmt::Debug for PackedResourcesBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackedResourcesBuilder")
            .field("python_magic", &self.python_magic)
            .field("entries", &self.entries.len())
            .field("keys_len", &self.keys_len)
            .finish_non_exhaustive()
    }
}

/// Where every part goes, computed before writing.
struct Layout {
    index_offset: u64,
    keys_offset: u64,
    keys_len: u64,
    data_offset: u64,
    data_len: u64,
    /// Payload offset (relative to the data section) per entry, in key order.
    payload_offsets: Vec<u64>,
    /// Payloads actually written, with their offsets, in ascending order.
    stored: Vec<(u64, usize)>,
}

impl PackedResourcesBuilder {
    /// A builder for resources of the Python with this
    /// `importlib.util.MAGIC_NUMBER` and `sys.implementation.cache_tag`
    /// (stored as the entry `c:cache_tag`).
    ///
    /// Fails if the magic does not end with `\r\n` or the tag is not 1–32
    /// printable ASCII characters.
    pub fn new(python_magic: [u8; 4], cache_tag: &str) -> Result<Self, FormatError> {
        if !python_magic_is_plausible(python_magic) {
            return Err(FormatError::BadPythonMagic(python_magic));
        }
        if !cache_tag_is_valid(cache_tag.as_bytes()) {
            return Err(FormatError::InvalidCacheTag(show_key(cache_tag)));
        }
        let mut entries = BTreeMap::new();
        entries.insert(
            CACHE_TAG_KEY.to_string(),
            Pending {
                flags: EntryFlags::NONE,
                data: cache_tag.as_bytes().to_vec(),
            },
        );
        Ok(Self {
            python_magic,
            entries,
            keys_len: CACHE_TAG_KEY.len() as u64,
        })
    }

    /// Number of entries, including `c:cache_tag`.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: the cache tag entry is always present.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an entry with this kind and name was added.
    pub fn contains(&self, kind: EntryKind, name: &str) -> bool {
        self.entries.contains_key(&format!("{}{name}", kind.prefix()))
    }

    /// Adds an entry whose payload is stored as given.
    ///
    /// With [`EntryFlags::ZSTD`], `data` must already be one zstd frame that
    /// records its content size (see [`add_compressed`](Self::add_compressed)
    /// to have the builder compress).
    ///
    /// Refused: duplicate keys; empty names; for module kinds (`b0:` … `s:`,
    /// `e:`, `n:`, `f:`) names with NUL, `/`, `\` or empty dotted parts;
    /// for `r:`/`d:` names not of the form `OWNER\0RELATIVE/PATH` or whose
    /// path is absolute, has a drive letter, backslashes, empty, `.` or `..`
    /// components; the reserved `c:cache_tag`; flags not allowed for the
    /// kind ([`EntryKind::allowed_flags`]); a payload on `n:` entries; `e:`
    /// and `f:` payloads that are not relative UTF-8 paths.
    pub fn add(
        &mut self,
        kind: EntryKind,
        name: &str,
        flags: EntryFlags,
        data: impl Into<Vec<u8>>,
    ) -> Result<(), FormatError> {
        let data = data.into();
        let key = self.check(kind, name, flags)?;
        if flags.contains(EntryFlags::ZSTD) {
            check_zstd_frame(&data).map_err(|reason| FormatError::InvalidData {
                key: show_key(&key),
                reason: format!("flagged ZSTD but {reason}"),
            })?;
        }
        check_payload(kind, &key, &data)?;
        self.insert(key, flags, data)
    }

    /// Adds an entry, compressing its payload as one zstd frame at `level`
    /// (1–22; 0 means zstd's default) when that makes it smaller. Returns
    /// whether the stored payload is compressed.
    ///
    /// `flags` must not contain [`EntryFlags::ZSTD`]: the builder sets it.
    /// Only kinds that allow the flag (`b*:`, `s:`, `r:`, `d:`, `c:`) can be
    /// compressed. Output is deterministic for a given zstd version and level.
    #[cfg(feature = "zstd")]
    pub fn add_compressed(
        &mut self,
        kind: EntryKind,
        name: &str,
        flags: EntryFlags,
        data: impl Into<Vec<u8>>,
        level: i32,
    ) -> Result<bool, FormatError> {
        let data = data.into();
        let key = self.check(kind, name, flags | EntryFlags::ZSTD)?;
        if flags.contains(EntryFlags::ZSTD) {
            return Err(FormatError::InvalidData {
                key: show_key(&key),
                reason: "add_compressed sets the ZSTD flag itself; pass uncompressed data without it".into(),
            });
        }
        check_payload(kind, &key, &data)?;
        let frame = compress(&data, level).map_err(|e| FormatError::Compress {
            key: show_key(&key),
            reason: e.to_string(),
        })?;
        if frame.len() < data.len() {
            self.insert(key, flags | EntryFlags::ZSTD, frame)?;
            Ok(true)
        } else {
            self.insert(key, flags, data)?;
            Ok(false)
        }
    }

    /// Validates kind, name and flags and returns the key.
    fn check(&self, kind: EntryKind, name: &str, flags: EntryFlags) -> Result<String, FormatError> {
        validate_name(kind, name).map_err(|reason| FormatError::InvalidName {
            kind,
            name: show_key(name),
            reason,
        })?;
        let key = format!("{}{name}", kind.prefix());
        if key == CACHE_TAG_KEY {
            return Err(FormatError::InvalidName {
                kind,
                name: show_key(name),
                reason: "reserved for the interpreter cache tag given to PackedResourcesBuilder::new",
            });
        }
        let allowed = kind.allowed_flags();
        if !allowed.contains(flags) {
            return Err(FormatError::FlagsNotAllowed {
                key: show_key(&key),
                kind,
                flags,
                allowed,
            });
        }
        if self.entries.contains_key(&key) {
            return Err(FormatError::DuplicateKey { key: show_key(&key) });
        }
        Ok(key)
    }

    fn insert(&mut self, key: String, flags: EntryFlags, data: Vec<u8>) -> Result<(), FormatError> {
        if self.entries.len() >= u32::MAX as usize {
            return Err(FormatError::TooLarge("more than 2^32 - 1 entries"));
        }
        let keys_len = self.keys_len + key.len() as u64;
        if keys_len > u64::from(u32::MAX) {
            return Err(FormatError::TooLarge("the keys section would exceed 4 GiB"));
        }
        self.keys_len = keys_len;
        self.entries.insert(key, Pending { flags, data });
        Ok(())
    }

    fn layout(&self) -> Layout {
        let n = self.entries.len() as u64;
        let index_offset = HEADER_LEN as u64;
        let keys_offset = index_offset + n * INDEX_RECORD_LEN as u64;
        let data_offset = align(keys_offset + self.keys_len);
        let mut seen: HashMap<&[u8], u64> = HashMap::new();
        let mut payload_offsets = Vec::with_capacity(self.entries.len());
        let mut stored = Vec::new();
        let mut cursor = 0u64;
        for (i, p) in self.entries.values().enumerate() {
            if p.data.is_empty() {
                payload_offsets.push(0);
                continue;
            }
            let offset = *seen.entry(&p.data).or_insert_with(|| {
                let at = cursor;
                stored.push((at, i));
                cursor = align(at + p.data.len() as u64);
                at
            });
            payload_offsets.push(offset);
        }
        Layout {
            index_offset,
            keys_offset,
            keys_len: self.keys_len,
            data_offset,
            data_len: cursor,
            payload_offsets,
            stored,
        }
    }

    /// Size in bytes of the blob [`write_to`](Self::write_to) would write.
    pub fn blob_len(&self) -> u64 {
        let l = self.layout();
        l.data_offset + l.data_len
    }

    /// Writes the blob; returns the number of bytes written.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<u64> {
        self.write_layout(&self.layout(), out)
    }

    fn write_layout(&self, l: &Layout, out: &mut impl Write) -> io::Result<u64> {
        let mut header = [0u8; HEADER_LEN];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        // 12..16: header flags, zero.
        header[16..20].copy_from_slice(&self.python_magic);
        header[20..24].copy_from_slice(&(self.entries.len() as u32).to_le_bytes());
        header[24..32].copy_from_slice(&l.index_offset.to_le_bytes());
        header[32..40].copy_from_slice(&l.keys_offset.to_le_bytes());
        header[40..48].copy_from_slice(&l.keys_len.to_le_bytes());
        header[48..56].copy_from_slice(&l.data_offset.to_le_bytes());
        header[56..64].copy_from_slice(&l.data_len.to_le_bytes());
        out.write_all(&header)?;

        let mut key_offset = 0u32;
        for ((key, p), data_offset) in self.entries.iter().zip(&l.payload_offsets) {
            let mut rec = [0u8; INDEX_RECORD_LEN];
            rec[0..4].copy_from_slice(&key_offset.to_le_bytes());
            rec[4..8].copy_from_slice(&(key.len() as u32).to_le_bytes());
            rec[8..12].copy_from_slice(&p.flags.bits().to_le_bytes());
            // 12..16: reserved, zero.
            rec[16..24].copy_from_slice(&data_offset.to_le_bytes());
            rec[24..32].copy_from_slice(&(p.data.len() as u64).to_le_bytes());
            out.write_all(&rec)?;
            // `insert` keeps the total key length within u32.
            key_offset += key.len() as u32;
        }
        for key in self.entries.keys() {
            out.write_all(key.as_bytes())?;
        }
        write_zeros(out, l.data_offset - (l.keys_offset + l.keys_len))?;

        let pendings: Vec<&Pending> = self.entries.values().collect();
        let mut cursor = 0u64;
        for &(at, i) in &l.stored {
            write_zeros(out, at - cursor)?;
            let data = &pendings[i].data;
            out.write_all(data)?;
            cursor = at + data.len() as u64;
        }
        write_zeros(out, l.data_len - cursor)?;
        Ok(l.data_offset + l.data_len)
    }

    /// The blob as a vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let layout = self.layout();
        let mut v = Vec::with_capacity((layout.data_offset + layout.data_len) as usize);
        self.write_layout(&layout, &mut v)
            .expect("writing to a Vec cannot fail");
        v
    }
}

fn align(n: u64) -> u64 {
    n.div_ceil(DATA_ALIGN) * DATA_ALIGN
}

fn write_zeros(out: &mut impl Write, n: u64) -> io::Result<()> {
    const ZEROS: [u8; 8] = [0; 8];
    // Padding is always shorter than the alignment.
    out.write_all(&ZEROS[..n as usize])
}

#[cfg(feature = "zstd")]
fn compress(data: &[u8], level: i32) -> io::Result<Vec<u8>> {
    // The bulk API writes the content size into the frame header; no
    // checksum, no dictionary id.
    zstd::bulk::compress(data, level)
}

/// Checks that `frame` is exactly one zstd frame (with a recorded content
/// size, when the `zstd` feature can tell).
fn check_zstd_frame(frame: &[u8]) -> Result<(), String> {
    if frame.len() < 4 || frame[..4] != ZSTD_FRAME_MAGIC {
        return Err("the payload is not a zstd frame".into());
    }
    #[cfg(feature = "zstd")]
    {
        use zstd::zstd_safe;
        match zstd_safe::get_frame_content_size(frame) {
            Ok(Some(_)) => {}
            Ok(None) => return Err("the zstd frame does not record its content size".into()),
            Err(_) => return Err("the zstd frame header is invalid".into()),
        }
        match zstd_safe::find_frame_compressed_size(frame) {
            Ok(n) if n == frame.len() => {}
            Ok(_) => return Err("the payload is more than one zstd frame".into()),
            Err(code) => {
                return Err(format!(
                    "the zstd frame is invalid: {}",
                    zstd_safe::get_error_name(code)
                ));
            }
        }
    }
    Ok(())
}

fn check_payload(kind: EntryKind, key: &str, data: &[u8]) -> Result<(), FormatError> {
    let invalid = |reason: &str| FormatError::InvalidData {
        key: show_key(key),
        reason: reason.to_string(),
    };
    match kind {
        EntryKind::Namespace if !data.is_empty() => Err(invalid("namespace packages have no payload")),
        EntryKind::Frozen if data.len() != FROZEN_DIGEST_LEN => {
            Err(invalid("the payload must be a 32-byte SHA-256 digest"))
        }
        EntryKind::Extension | EntryKind::FileModule => {
            let path = std::str::from_utf8(data).map_err(|_| invalid("the payload must be a UTF-8 path"))?;
            validate_relative_path(path).map_err(|reason| invalid(&format!("bad payload path {path:?}: {reason}")))
        }
        _ => Ok(()),
    }
}

fn validate_name(kind: EntryKind, name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("names cannot be empty");
    }
    match kind {
        k if k.is_module() => validate_module_name(name),
        EntryKind::Config => {
            if name.contains('\0') {
                Err("configuration names cannot contain NUL")
            } else {
                Ok(())
            }
        }
        EntryKind::Resource | EntryKind::DistMetadata => {
            let Some((owner, path)) = name.split_once('\0') else {
                return Err("the name must be OWNER\\0RELATIVE/PATH (NUL separator missing)");
            };
            if kind == EntryKind::Resource {
                validate_module_name(owner).map_err(|_| "the package before \\0 must be a dotted module name")?;
            } else if owner.is_empty()
                || owner == "."
                || owner == ".."
                || owner.contains(['/', '\\', '\0'])
                || has_drive(owner)
            {
                return Err("the directory before \\0 must be a single plain directory name");
            }
            if path.contains('\0') {
                return Err("the name has more than one NUL separator");
            }
            validate_relative_path(path)
        }
        _ => unreachable!("every kind is a module, path or config kind"),
    }
}

fn validate_module_name(name: &str) -> Result<(), &'static str> {
    if name.contains('\0') {
        return Err("module names cannot contain NUL");
    }
    if name.contains(['/', '\\']) {
        return Err("module names are dotted, not paths ('/' or '\\' found)");
    }
    if name.split('.').any(str::is_empty) {
        return Err("module names cannot have empty dotted parts (leading, trailing or doubled '.')");
    }
    Ok(())
}

fn validate_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("the relative path is empty");
    }
    if path.contains('\0') {
        return Err("paths cannot contain NUL");
    }
    if path.contains('\\') {
        return Err("backslashes are not allowed; separate directories with '/'");
    }
    if path.starts_with('/') {
        return Err("absolute paths are not allowed");
    }
    if has_drive(path) {
        return Err("drive-letter (absolute Windows) paths are not allowed");
    }
    for part in path.split('/') {
        match part {
            "" => return Err("empty path component (trailing or doubled '/')"),
            "." | ".." => return Err("'.' and '..' components are not allowed"),
            _ => {}
        }
    }
    Ok(())
}

fn has_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC311: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn builder() -> PackedResourcesBuilder {
        PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap()
    }

    #[test]
    fn name_validation() {
        let ok = [
            (EntryKind::Bytecode0, "json"),
            (EntryKind::Bytecode0, "email.mime.text"),
            (EntryKind::Source, "pkg.__init__x"),
            (EntryKind::Resource, "pkg\0data/file.txt"),
            (EntryKind::Resource, "pkg.sub\0a b/c:d"),
            (EntryKind::DistMetadata, "foo-1.0.dist-info\0METADATA"),
            (EntryKind::Config, "interpreter"),
        ];
        for (kind, name) in ok {
            assert_eq!(validate_name(kind, name), Ok(()), "{kind} {name:?}");
        }
        let bad = [
            (EntryKind::Bytecode0, ""),
            (EntryKind::Bytecode0, "a\0b"),
            (EntryKind::Bytecode0, "a/b"),
            (EntryKind::Bytecode0, "a..b"),
            (EntryKind::Bytecode0, ".a"),
            (EntryKind::Bytecode0, "a."),
            (EntryKind::Namespace, "a\\b"),
            (EntryKind::Resource, "pkg"),
            (EntryKind::Resource, "\0file"),
            (EntryKind::Resource, "pkg\0"),
            (EntryKind::Resource, "pkg\0a\0b"),
            (EntryKind::Resource, "pkg\0/etc/passwd"),
            (EntryKind::Resource, "pkg\0../x"),
            (EntryKind::Resource, "pkg\0a/../x"),
            (EntryKind::Resource, "pkg\0a/./x"),
            (EntryKind::Resource, "pkg\0a//x"),
            (EntryKind::Resource, "pkg\0a/"),
            (EntryKind::Resource, "pkg\0a\\x"),
            (EntryKind::Resource, "pkg\0C:x"),
            (EntryKind::Resource, "p/kg\0x"),
            (EntryKind::DistMetadata, "..\0METADATA"),
            (EntryKind::DistMetadata, "a/b\0METADATA"),
            (EntryKind::DistMetadata, "C:\0METADATA"),
            (EntryKind::Config, "a\0b"),
        ];
        for (kind, name) in bad {
            assert!(validate_name(kind, name).is_err(), "{kind} {name:?} should be refused");
        }
    }

    #[test]
    fn cache_tag_is_reserved_and_validated() {
        let mut b = builder();
        let err = b
            .add(EntryKind::Config, "cache_tag", EntryFlags::NONE, b"x".to_vec())
            .unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
        assert!(PackedResourcesBuilder::new(MAGIC311, "").is_err());
        assert!(PackedResourcesBuilder::new(MAGIC311, "has space").is_err());
        assert!(PackedResourcesBuilder::new(MAGIC311, &"x".repeat(33)).is_err());
        assert!(PackedResourcesBuilder::new([0xa7, 0x0d, 0, 0], "cpython-311").is_err());
    }

    #[test]
    fn payload_and_flag_checks() {
        let mut b = builder();
        assert!(matches!(
            b.add(EntryKind::Namespace, "ns", EntryFlags::NONE, b"x".to_vec()),
            Err(FormatError::InvalidData { .. })
        ));
        // A frozen module's payload is the 32-byte digest, nothing else.
        let err = b
            .add(EntryKind::Frozen, "enum", EntryFlags::NONE, vec![0; 31])
            .unwrap_err();
        assert!(err.to_string().contains("32-byte SHA-256"), "{err}");
        assert!(b.add(EntryKind::Frozen, "enum", EntryFlags::NONE, vec![0; 32]).is_ok());
        assert!(
            b.add(EntryKind::Extension, "_ssl", EntryFlags::NONE, b"/abs/_ssl.so".to_vec())
                .is_err()
        );
        assert!(
            b.add(EntryKind::FileModule, "m", EntryFlags::NONE, vec![0xff, 0xfe])
                .is_err()
        );
        assert!(matches!(
            b.add(EntryKind::Bytecode0, "m", EntryFlags::EXECUTABLE, Vec::new()),
            Err(FormatError::FlagsNotAllowed { .. })
        ));
        assert!(matches!(
            b.add(EntryKind::Extension, "m", EntryFlags::ZSTD, Vec::new()),
            Err(FormatError::FlagsNotAllowed { .. })
        ));
        assert!(matches!(
            b.add(EntryKind::Resource, "p\0f", EntryFlags::ZSTD, b"not zstd".to_vec()),
            Err(FormatError::InvalidData { .. })
        ));
        b.add(EntryKind::Bytecode0, "m", EntryFlags::NONE, b"code".to_vec())
            .unwrap();
        assert!(matches!(
            b.add(EntryKind::Bytecode0, "m", EntryFlags::NONE, b"code".to_vec()),
            Err(FormatError::DuplicateKey { .. })
        ));
        // The same name under another kind is a different key.
        b.add(EntryKind::Source, "m", EntryFlags::NONE, b"src".to_vec())
            .unwrap();
        assert!(b.contains(EntryKind::Source, "m"));
        assert_eq!(b.len(), 4);
    }

    #[test]
    fn layout_is_aligned_and_deduplicated() {
        let mut b = builder();
        b.add(EntryKind::Bytecode0, "a", EntryFlags::NONE, b"xyz".to_vec())
            .unwrap();
        b.add(EntryKind::Bytecode0, "b", EntryFlags::NONE, b"xyz".to_vec())
            .unwrap();
        b.add(EntryKind::Bytecode0, "c", EntryFlags::NONE, b"12345678".to_vec())
            .unwrap();
        b.add(EntryKind::Namespace, "ns", EntryFlags::NONE, Vec::new()).unwrap();
        let l = b.layout();
        assert_eq!(l.data_offset % 8, 0);
        // b0:a, b0:b, b0:c, c:cache_tag, n:ns
        assert_eq!(l.payload_offsets, vec![0, 0, 8, 16, 0]);
        assert_eq!(l.data_len, 32);
        let v = b.to_vec();
        assert_eq!(v.len() as u64, b.blob_len());
        assert_eq!(v.len() % 8, 0);
    }
}
