//! What Windows Installer learns from a file's contents: the version and
//! language of a PE image (`File.Version`, `File.Language`, from its
//! `VERSIONINFO` resource), the MD5 hash of an unversioned file
//! (`MsiFileHash`), and whether icon bytes are an icon at all.
//!
//! Windows Installer replaces an installed versioned file only with a
//! newer or equal version, and skips an unversioned one whose hash already
//! matches (otherwise it goes by modification dates): without these
//! columns every file of a repair or reinstall would count as unversioned
//! and unhashed. Everything here reads untrusted bytes: malformed input
//! gives `None`, never a panic.

use md5::{Digest, Md5};
use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{ImageNtHeaders, PeFile, PeFile32, PeFile64, ResourceDirectoryEntryData, ResourceNameOrId};

/// `File.Version` and `File.Language` of a versioned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FileVersion {
    /// `a.b.c.d` from `dwFileVersionMS` and `dwFileVersionLS`.
    pub version: String,
    /// The decimal LANGID, `0` for a language-neutral file.
    pub language: String,
}

/// `VS_FIXEDFILEINFO.dwSignature`.
const FIXED_FILE_INFO_SIGNATURE: u32 = 0xFEEF_04BD;

/// The version of a PE image with a `VERSIONINFO` resource; `None` for
/// anything else, including malformed images.
pub(super) fn pe_version(bytes: &[u8]) -> Option<FileVersion> {
    if !is_pe(bytes) {
        return None;
    }
    let (resource, resource_language) = match PeFile64::parse(bytes) {
        Ok(file) => version_resource(&file, bytes)?,
        Err(_) => version_resource(&PeFile32::parse(bytes).ok()?, bytes)?,
    };
    let (version, translation) = parse_version_info(resource)?;
    // MsiGetFileVersion reports the first Translation entry; the resource's
    // own language is what a file without one was compiled for.
    let language = translation.unwrap_or(resource_language);
    Some(FileVersion {
        version,
        language: language.to_string(),
    })
}

/// `MZ` and, at `e_lfanew`, `PE\0\0`: a Windows executable or DLL.
pub(super) fn is_pe(bytes: &[u8]) -> bool {
    if bytes.get(..2) != Some(b"MZ") {
        return false;
    }
    let Some(lfanew) = bytes.get(0x3c..0x40) else {
        return false;
    };
    let lfanew = u32::from_le_bytes([lfanew[0], lfanew[1], lfanew[2], lfanew[3]]) as usize;
    lfanew
        .checked_add(4)
        .and_then(|end| bytes.get(lfanew..end))
        .is_some_and(|signature| signature == b"PE\0\0")
}

/// The first `RT_VERSION` resource's bytes and its language id.
fn version_resource<'data, Pe: ImageNtHeaders>(
    file: &PeFile<'data, Pe, &'data [u8]>,
    bytes: &'data [u8],
) -> Option<(&'data [u8], u16)> {
    let sections = file.section_table();
    let directory = file.data_directories().resource_directory(bytes, &sections).ok()??;
    let root = directory.root().ok()?;
    let by_type = root
        .entries
        .iter()
        .find(|e| matches!(e.name_or_id(), ResourceNameOrId::Id(pe::RT_VERSION)))?;
    // Type → name → language → data; the first entry at each level.
    let names = by_type.data(directory).ok()?.table()?;
    let languages = names.entries.first()?.data(directory).ok()?.table()?;
    let language_entry = languages.entries.first()?;
    let language = match language_entry.name_or_id() {
        ResourceNameOrId::Id(id) => id,
        ResourceNameOrId::Name(_) => 0,
    };
    let ResourceDirectoryEntryData::Data(data) = language_entry.data(directory).ok()? else {
        return None;
    };
    let size = data.size.get(LE) as usize;
    let data = sections.pe_data_at(bytes, data.offset_to_data.get(LE))?;
    Some((data.get(..size)?, language))
}

/// One `VS_VERSIONINFO`-style block: `wLength`, `wValueLength`, `wType`,
/// a NUL-terminated UTF-16 key, the value and the children, each aligned
/// to 4 bytes (from the start of the resource).
struct Block<'a> {
    key: Vec<u16>,
    value: &'a [u8],
    /// Offsets of the children, relative to the resource.
    children: std::ops::Range<usize>,
}

fn u16_at(data: &[u8], offset: usize) -> Option<u16> {
    let b = data.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], offset: usize) -> Option<u32> {
    let b = data.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn align4(offset: usize) -> usize {
    offset.saturating_add(3) & !3
}

/// The block at `offset` of `data`; the blocks following it start at
/// `offset + wLength`, aligned.
fn block(data: &[u8], offset: usize) -> Option<(Block<'_>, usize)> {
    let length = u16_at(data, offset)? as usize;
    let value_length = u16_at(data, offset + 2)? as usize;
    let kind = u16_at(data, offset + 4)?;
    let end = offset.checked_add(length)?;
    if length < 6 || end > data.len() {
        return None;
    }
    let mut key = Vec::new();
    let mut at = offset + 6;
    loop {
        let unit = u16_at(&data[..end], at)?;
        at += 2;
        if unit == 0 {
            break;
        }
        key.push(unit);
    }
    let value_start = align4(at).min(end);
    // wValueLength counts bytes in binary values (wType 0), UTF-16 units in text ones.
    let value_bytes = if kind == 1 { value_length * 2 } else { value_length };
    let value_end = value_start.checked_add(value_bytes)?.min(end);
    let children = align4(value_end).min(end)..end;
    Some((
        Block {
            key,
            value: &data[value_start..value_end],
            children,
        },
        align4(end),
    ))
}

/// The blocks in `range` of `data`.
fn children(data: &[u8], range: std::ops::Range<usize>) -> impl Iterator<Item = Block<'_>> {
    let data = &data[..range.end];
    let mut offset = range.start;
    std::iter::from_fn(move || {
        if offset >= data.len() {
            return None;
        }
        let (child, next) = block(data, offset)?;
        offset = next;
        Some(child)
    })
}

fn key_is(key: &[u16], name: &str) -> bool {
    key.iter().copied().eq(name.encode_utf16())
}

/// The file version from `VS_FIXEDFILEINFO` and the first LANGID of
/// `VarFileInfo\Translation`, if there is one.
fn parse_version_info(resource: &[u8]) -> Option<(String, Option<u16>)> {
    let (root, _) = block(resource, 0)?;
    if !key_is(&root.key, "VS_VERSION_INFO") || u32_at(root.value, 0)? != FIXED_FILE_INFO_SIGNATURE {
        return None;
    }
    let ms = u32_at(root.value, 8)?;
    let ls = u32_at(root.value, 12)?;
    let version = format!("{}.{}.{}.{}", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff);
    let translation = children(resource, root.children.clone())
        .filter(|b| key_is(&b.key, "VarFileInfo"))
        .flat_map(|b| children(resource, b.children).collect::<Vec<_>>())
        .find(|b| key_is(&b.key, "Translation"))
        .and_then(|b| u16_at(b.value, 0));
    Some((version, translation))
}

/// The MD5 of `bytes` as `MsiFileHash.HashPart1` … `HashPart4`: four
/// little-endian 32-bit integers, as `MsiGetFileHash` returns them.
pub(super) fn file_hash(bytes: &[u8]) -> [i32; 4] {
    let digest = Md5::digest(bytes);
    let mut parts = [0i32; 4];
    for (part, chunk) in parts.iter_mut().zip(digest.chunks_exact(4)) {
        *part = i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    parts
}

/// The `Icon` table name of the product icon: `ProductIcon.ico` for an ICO
/// file, `ProductIcon.exe` for a PE image holding icons (Windows matches
/// the extension to the contents), or why the bytes are neither.
pub(super) fn icon_name(bytes: &[u8]) -> Result<&'static str, &'static str> {
    if is_pe(bytes) {
        return Ok("ProductIcon.exe");
    }
    if bytes.get(..4) != Some(&[0, 0, 1, 0]) {
        return Err("it starts neither with an ICO header (00 00 01 00) nor with a PE image's MZ header");
    }
    let count = u16_at(bytes, 4).unwrap_or(0) as usize;
    if count == 0 {
        return Err("its ICO header lists no image");
    }
    for index in 0..count {
        // ICONDIRENTRY: 16 bytes, size at 8 and offset at 12.
        let entry = 6 + 16 * index;
        let (Some(size), Some(offset)) = (u32_at(bytes, entry + 8), u32_at(bytes, entry + 12)) else {
            return Err("its ICO directory is cut short");
        };
        let end = u64::from(offset) + u64::from(size);
        if size == 0 || end > bytes.len() as u64 {
            return Err("an image of its ICO directory lies outside the file");
        }
    }
    Ok("ProductIcon.ico")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    }

    fn pad4(v: &mut Vec<u8>) {
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
    }

    /// A block with its `wLength` filled in.
    fn make_block(key: &str, kind: u16, value_length: u16, value: &[u8], children: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend(value_length.to_le_bytes());
        v.extend(kind.to_le_bytes());
        v.extend(utf16z(key));
        pad4(&mut v);
        v.extend(value);
        if !children.is_empty() {
            pad4(&mut v);
            v.extend(children);
        }
        let length = v.len() as u16;
        v[..2].copy_from_slice(&length.to_le_bytes());
        v
    }

    /// A `VS_VERSIONINFO` of version 1.2.3.4 with a `StringFileInfo`
    /// before `VarFileInfo` (as rc.exe writes it) and `translation`.
    fn version_info(translation: Option<u16>) -> Vec<u8> {
        let mut fixed = Vec::new();
        for word in [
            FIXED_FILE_INFO_SIGNATURE,
            0x1_0000,
            0x0001_0002,
            0x0003_0004,
            0x0001_0002,
            0,
            0x3f,
            0,
            4,
            2,
            0,
            0,
            0,
        ] {
            fixed.extend(word.to_le_bytes());
        }
        let mut string = make_block("CompanyName", 1, 4, &utf16z("Ex."), &[]);
        pad4(&mut string);
        let table = make_block("040904b0", 1, 0, &[], &string);
        let mut children = make_block("StringFileInfo", 1, 0, &[], &table);
        pad4(&mut children);
        if let Some(lang) = translation {
            let mut value = lang.to_le_bytes().to_vec();
            value.extend(1200u16.to_le_bytes());
            let var = make_block("Translation", 0, 4, &value, &[]);
            children.extend(make_block("VarFileInfo", 1, 0, &[], &var));
        }
        make_block("VS_VERSION_INFO", 0, 52, &fixed, &children)
    }

    #[test]
    fn version_and_translation() {
        assert_eq!(
            parse_version_info(&version_info(Some(1033))),
            Some(("1.2.3.4".to_string(), Some(1033)))
        );
        assert_eq!(
            parse_version_info(&version_info(None)),
            Some(("1.2.3.4".to_string(), None))
        );
    }

    #[test]
    fn malformed_version_info_is_unversioned() {
        let good = version_info(Some(1033));
        // Every truncation and every single-byte corruption: no panic.
        for len in 0..good.len() {
            let _ = parse_version_info(&good[..len]);
        }
        for at in 0..good.len() {
            for byte in [0x00, 0x01, 0x7f, 0xff] {
                let mut bad = good.clone();
                bad[at] = byte;
                let _ = parse_version_info(&bad);
            }
        }
        let mut wrong_signature = good.clone();
        let at = 6 + utf16z("VS_VERSION_INFO").len() + 2;
        wrong_signature[at] ^= 1;
        assert_eq!(parse_version_info(&wrong_signature), None);
        let mut huge_length = good;
        huge_length[0] = 0xff;
        huge_length[1] = 0xff;
        assert_eq!(parse_version_info(&huge_length), None);
    }

    #[test]
    fn non_pe_files_are_unversioned() {
        assert_eq!(pe_version(b""), None);
        assert_eq!(pe_version(b"MZ not really a program\n"), None);
        let mut header = vec![0u8; 0x100];
        header[..2].copy_from_slice(b"MZ");
        header[0x3c] = 0x80;
        header[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert!(is_pe(&header));
        assert_eq!(pe_version(&header), None);
        header[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!is_pe(&header));
    }

    /// `md5sum` of "abc" is 900150983cd24fb0d6963f7d28e17f72.
    #[test]
    fn hash_parts_are_little_endian() {
        assert_eq!(
            file_hash(b"abc"),
            [
                i32::from_le_bytes([0x90, 0x01, 0x50, 0x98]),
                i32::from_le_bytes([0x3c, 0xd2, 0x4f, 0xb0]),
                i32::from_le_bytes([0xd6, 0x96, 0x3f, 0x7d]),
                i32::from_le_bytes([0x28, 0xe1, 0x7f, 0x72]),
            ]
        );
    }

    #[test]
    fn icons() {
        let mut ico = vec![0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0];
        ico.extend(4u32.to_le_bytes());
        ico.extend(22u32.to_le_bytes());
        ico.extend([1, 2, 3, 4]);
        assert_eq!(icon_name(&ico), Ok("ProductIcon.ico"));
        assert!(icon_name(&ico[..ico.len() - 1]).is_err());
        assert!(icon_name(&[0, 0, 1, 0, 0, 0]).is_err());
        assert!(icon_name(&[0, 0, 1, 0, 1, 0]).is_err());
        assert!(icon_name(b"\x89PNG\r\n\x1a\n").is_err());
        assert!(icon_name(b"").is_err());
    }
}
