//! The blobs of an embedded code signature (`<Security/CSCommon.h>`,
//! `cs_blobs.h`), all big-endian, each starting with its magic number and
//! its length in bytes.
//!
//! | blob | magic | content |
//! |---|---|---|
//! | embedded signature (SuperBlob) | `0xfade0cc0` | count, then `(slot, offset)` pairs sorted by slot, then the blobs |
//! | code directory | `0xfade0c02` | the table below |
//! | requirement set | `0xfade0c01` | count and `(type, offset)` pairs; oxdist writes it empty (count 0), as ad-hoc signing does |
//! | entitlements | `0xfade7171` | the XML property list |
//! | CMS wrapper | `0xfade0b01` | DER `ContentInfo`, or nothing for an ad-hoc signature |
//!
//! Slots: 0 code directory, 2 requirements, 5 entitlements, `0x10000` CMS.
//! The code directory also holds *special slot* hashes, at negative
//! indices before its page hashes: −1 `Info.plist`, −2 the requirement
//! set, −3 `_CodeSignature/CodeResources`, −5 the entitlements; slots
//! without content hash as zeros.
//!
//! Code directory of a Mach-O file, version `0x20400` (`0x20500` with the
//! hardened runtime); a DMG's is version `0x20100` (the first 48 bytes, or
//! `0x20200`, 52, with a team) with one hash over the whole image, page size 0:
//!
//! | offset | field | value |
//! |---|---|---|
//! | 8 | version | `0x20400` / `0x20500` |
//! | 12 | flags | `0x2` ad-hoc, `0x10000` hardened runtime |
//! | 16 | hashOffset | where page hash 0 starts |
//! | 20 | identOffset | the identifier, NUL-terminated, right after the header |
//! | 24 | nSpecialSlots, 28 nCodeSlots | |
//! | 32 | codeLimit | bytes hashed: the signature's file offset |
//! | 36 | hashSize 32, hashType 2 (SHA-256), platform 0, pageSize 12 (4 KiB pages, even on arm64) | |
//! | 40 | spare2, 44 scatterOffset (0), 48 teamOffset (0 without a team), 52 spare3, 56 codeLimit64 (0) | |
//! | 64 | execSegBase, 72 execSegLimit, 80 execSegFlags | `__TEXT`'s file offset and size; flags `0x1` (main binary) for executables, plus what entitlements imply |
//! | 88 | runtime, 92 preEncryptOffset | only in `0x20500`: the SDK version the hardened runtime applies |

use sha2::{Digest, Sha256};

pub(crate) const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
pub(crate) const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
const CSMAGIC_REQUIREMENTS: u32 = 0xfade_0c01;
const CSMAGIC_EMBEDDED_ENTITLEMENTS: u32 = 0xfade_7171;
pub(crate) const CSMAGIC_BLOBWRAPPER: u32 = 0xfade_0b01;

pub(crate) const SLOT_CODE_DIRECTORY: u32 = 0;
pub(crate) const SLOT_INFO_PLIST: u32 = 1;
pub(crate) const SLOT_REQUIREMENTS: u32 = 2;
pub(crate) const SLOT_RESOURCES: u32 = 3;
pub(crate) const SLOT_ENTITLEMENTS: u32 = 5;
pub(crate) const SLOT_REP_SPECIFIC: u32 = 6;
pub(crate) const SLOT_SIGNATURE: u32 = 0x10000;
/// A stapled notarization ticket (DMGs only; a bundle keeps it in
/// `Contents/CodeResources`).
pub(crate) const SLOT_TICKET: u32 = 0x10002;

pub(crate) const CS_ADHOC: u32 = 0x2;
pub(crate) const CS_RUNTIME: u32 = 0x1_0000;
pub(crate) const CS_EXECSEG_MAIN_BINARY: u64 = 0x1;

const HASH_TYPE_SHA256: u8 = 2;
pub(crate) const PAGE_SIZE_LOG2: u8 = 12;

/// The fields of a code directory oxdist writes.
pub(crate) struct CodeDirectory<'a> {
    pub(crate) identifier: &'a str,
    pub(crate) team_id: Option<&'a str>,
    pub(crate) flags: u32,
    /// How many bytes the code hashes cover (the signature's offset).
    pub(crate) code_limit: u32,
    /// `log2` of the page size the code hashes cover; 0 (no pages) for one
    /// hash over everything, as for DMGs.
    pub(crate) page_size_log2: u8,
    pub(crate) code_hashes: Vec<[u8; 32]>,
    /// Special slot hashes by slot number (1-based); gaps hash as zeros.
    pub(crate) special: &'a [(u32, [u8; 32])],
    /// `execSegBase`, `execSegLimit`, `execSegFlags`, for Mach-O files.
    pub(crate) exec_seg: Option<(u64, u64, u64)>,
    /// The hardened runtime's version; `Some` writes version `0x20500`.
    pub(crate) runtime: Option<u32>,
}

impl CodeDirectory<'_> {
    /// The oldest version holding every field in use, and its header length.
    fn version(&self) -> (u32, usize) {
        if self.runtime.is_some() {
            (0x20500, 96)
        } else if self.exec_seg.is_some() {
            (0x20400, 88)
        } else if self.team_id.is_some() {
            (0x20200, 52)
        } else {
            (0x20100, 48)
        }
    }

    pub(crate) fn to_blob(&self) -> Vec<u8> {
        let (version, header_len) = self.version();
        let special_slots = self.special.iter().map(|(slot, _)| *slot).max().unwrap_or(0);
        let ident_offset = header_len;
        let team_offset = ident_offset + self.identifier.len() + 1;
        let hash_offset = team_offset + self.team_id.map_or(0, |t| t.len() + 1) + 32 * special_slots as usize;
        let length = hash_offset + 32 * self.code_hashes.len();

        let mut blob = Vec::with_capacity(length);
        for value in [
            CSMAGIC_CODEDIRECTORY,
            length as u32,
            version,
            self.flags,
            hash_offset as u32,
            ident_offset as u32,
            special_slots,
            self.code_hashes.len() as u32,
            self.code_limit,
        ] {
            blob.extend(value.to_be_bytes());
        }
        blob.extend([32, HASH_TYPE_SHA256, 0, self.page_size_log2]);
        blob.extend(0u32.to_be_bytes()); // spare2
        blob.extend(0u32.to_be_bytes()); // scatterOffset
        if version >= 0x20200 {
            blob.extend((if self.team_id.is_some() { team_offset as u32 } else { 0 }).to_be_bytes());
        }
        if version >= 0x20400 {
            let (base, limit, flags) = self.exec_seg.unwrap_or_default();
            blob.extend(0u32.to_be_bytes()); // spare3
            blob.extend(0u64.to_be_bytes()); // codeLimit64
            blob.extend(base.to_be_bytes());
            blob.extend(limit.to_be_bytes());
            blob.extend(flags.to_be_bytes());
        }
        if let Some(runtime) = self.runtime {
            blob.extend(runtime.to_be_bytes());
            blob.extend(0u32.to_be_bytes()); // preEncryptOffset
        }
        debug_assert_eq!(blob.len(), header_len);
        blob.extend(self.identifier.as_bytes());
        blob.push(0);
        if let Some(team) = self.team_id {
            blob.extend(team.as_bytes());
            blob.push(0);
        }
        // Special slots sit in reverse: slot N first, slot 1 right before code hash 0.
        for slot in (1..=special_slots).rev() {
            let hash = self
                .special
                .iter()
                .find(|(s, _)| *s == slot)
                .map_or([0; 32], |(_, h)| *h);
            blob.extend(hash);
        }
        for hash in &self.code_hashes {
            blob.extend(hash);
        }
        debug_assert_eq!(blob.len(), length);
        blob
    }
}

/// SHA-256 of each `2^page_size_log2`-byte page of `code`.
pub(crate) fn page_hashes(code: &[u8]) -> Vec<[u8; 32]> {
    code.chunks(1 << PAGE_SIZE_LOG2)
        .map(|page| Sha256::digest(page).into())
        .collect()
}

/// An empty requirement set: no designated requirement, so macOS derives
/// one from the certificate (or the code directory hash when ad-hoc).
pub(crate) fn empty_requirements() -> Vec<u8> {
    blob(CSMAGIC_REQUIREMENTS, &0u32.to_be_bytes())
}

pub(crate) fn entitlements(xml: &[u8]) -> Vec<u8> {
    blob(CSMAGIC_EMBEDDED_ENTITLEMENTS, xml)
}

/// The CMS wrapper: a DER `ContentInfo`, or empty for ad-hoc signing.
pub(crate) fn signature_wrapper(der: &[u8]) -> Vec<u8> {
    blob(CSMAGIC_BLOBWRAPPER, der)
}

fn blob(magic: u32, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + content.len());
    out.extend(magic.to_be_bytes());
    out.extend(((8 + content.len()) as u32).to_be_bytes());
    out.extend(content);
    out
}

/// The SuperBlob of `(slot, blob)` pairs, indexed in slot order.
pub(crate) fn super_blob(mut blobs: Vec<(u32, Vec<u8>)>) -> Vec<u8> {
    blobs.sort_by_key(|(slot, _)| *slot);
    let index_len = 12 + 8 * blobs.len();
    let length = index_len + blobs.iter().map(|(_, b)| b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(length);
    out.extend(CSMAGIC_EMBEDDED_SIGNATURE.to_be_bytes());
    out.extend((length as u32).to_be_bytes());
    out.extend((blobs.len() as u32).to_be_bytes());
    let mut offset = index_len;
    for (slot, blob) in &blobs {
        out.extend(slot.to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        offset += blob.len();
    }
    for (_, blob) in blobs {
        out.extend(blob);
    }
    out
}

/// The blobs of a SuperBlob by slot, each with its magic and length;
/// `None` when the bytes are not a well-formed SuperBlob.
pub(crate) fn parse_super_blob(bytes: &[u8]) -> Option<Vec<(u32, &[u8])>> {
    if be32(bytes, 0)? != CSMAGIC_EMBEDDED_SIGNATURE {
        return None;
    }
    let length = be32(bytes, 4)? as usize;
    let bytes = bytes.get(..length)?;
    let count = be32(bytes, 8)? as usize;
    let mut out = Vec::with_capacity(count.min(64));
    for index in 0..count {
        let slot = be32(bytes, 12 + 8 * index)?;
        let offset = be32(bytes, 16 + 8 * index)? as usize;
        let blob_len = be32(bytes, offset + 4)? as usize;
        out.push((slot, bytes.get(offset..offset.checked_add(blob_len)?)?));
    }
    Some(out)
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

pub(crate) fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at.checked_add(8)?)?.try_into().ok()?))
}
