//! Packed resources embedded in a macOS (Mach-O) launcher so that the
//! executable can still be code signed.
//!
//! Why: on Linux and Windows an executable is `launcher · blob · trailer`,
//! the blob and its 16-byte trailer simply appended to the file (see
//! `oxdist_embed::format::find_appended`). macOS code signing does not
//! accept that. `codesign` (and the `apple-codesign` crate we sign with)
//! hashes the file page by page up to the code signature, and requires that
//! every byte of the file belongs to a segment and that the signature is the
//! last thing in the `__LINKEDIT` segment, which is the last segment in the
//! file. Bytes after the end of `__LINKEDIT` make signing fail ("main
//! executable failed strict validation"), and since the signature is
//! written at the end of `__LINKEDIT`, a trailer that was at the end of the
//! file before signing no longer is afterwards. arm64 Macs refuse to run
//! unsigned code at all, so signing (at least ad hoc) is not optional.
//!
//! How ([`embed_in_linkedit`]): the payload (`blob · trailer`) becomes the
//! tail of `__LINKEDIT`, the way PyInstaller does it.
//!
//! 1. A thin, 64-bit, little-endian image (`MH_MAGIC_64`, arm64 or x86_64)
//!    is required; fat (universal), 32-bit and big-endian files are refused.
//! 2. If the launcher is already signed (`ld` signs ad hoc by default on
//!    Apple silicon), its `LC_CODE_SIGNATURE` load command is removed (the
//!    following load commands move up, `ncmds` and `sizeofcmds` shrink and
//!    the freed bytes are zeroed) and the file is cut at the signature's
//!    `dataoff`. The old signature would not match the new contents anyway;
//!    the signer writes a new one.
//! 3. The file is padded with zeros to a multiple of 16 bytes and the
//!    payload appended.
//! 4. `__LINKEDIT`'s `filesize` is extended to the new end of the file and
//!    its `vmsize` to that rounded up to the page size (16 KiB on arm64,
//!    4 KiB on x86_64).
//!
//! Nothing else moves: the code, the data and the link-edit information the
//! dynamic loader reads keep their offsets, and the loader ignores
//! `__LINKEDIT` bytes no load command points at. The signer then appends its
//! signature after the payload, aligned (it pads with zeros), and adds a
//! new `LC_CODE_SIGNATURE`. At run time `find_appended` looks for the
//! trailer at the end of the file and, failing that, right before the
//! signature's `dataoff`, skipping up to 15 bytes of zero padding.
//!
//! Every read is bounds-checked: a malformed or truncated file gives a
//! [`MachoError`], never a panic.
//!
//! [`set_dylib_install_name`] is the other edit oxdist makes to Mach-O
//! files: python.org's libpython names itself by its framework path, and
//! becomes `@rpath/libpython3.X.dylib` so launchers find it beside them.

/// `MH_MAGIC_64`: a 64-bit Mach-O header (as a little-endian `u32`).
const MH_MAGIC_64: u32 = 0xfeed_facf;
/// `MH_MAGIC`: a 32-bit Mach-O header.
const MH_MAGIC: u32 = 0xfeed_face;
/// `FAT_MAGIC` / `FAT_MAGIC_64`: a universal binary (stored big-endian).
const FAT_MAGIC: u32 = 0xcafe_babe;
const FAT_MAGIC_64: u32 = 0xcafe_babf;

const LC_SEGMENT_64: u32 = 0x19;
const LC_CODE_SIGNATURE: u32 = 0x1d;

const CPU_TYPE_X86_64: u32 = 0x0100_0007;
const CPU_TYPE_ARM64: u32 = 0x0100_000c;

/// Size of `mach_header_64`.
const HEADER_LEN: usize = 32;
/// Size of `segment_command_64` without its sections.
const SEGMENT_64_LEN: usize = 72;
/// Size of `linkedit_data_command`.
const LINKEDIT_DATA_LEN: usize = 16;
/// The file is padded to this before the payload is appended.
const PAYLOAD_ALIGN: usize = 16;

/// Why a launcher cannot carry embedded resources in its `__LINKEDIT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MachoError {
    /// No Mach-O magic at all.
    #[error("the launcher is not a Mach-O file")]
    NotMacho,
    /// A universal binary: each architecture would need its own payload.
    #[error(
        "the launcher is a universal (fat) Mach-O binary; resources can only be embedded in a thin binary (one architecture; `lipo -thin ARCH`)"
    )]
    Fat,
    /// `MH_MAGIC` (32-bit).
    #[error("the launcher is a 32-bit Mach-O file; only 64-bit (arm64, x86_64) launchers are supported")]
    ThirtyTwoBit,
    /// `MH_CIGAM_64`.
    #[error("the launcher is a big-endian Mach-O file; only little-endian (arm64, x86_64) launchers are supported")]
    BigEndian,
    /// Neither arm64 nor x86_64: the page size is unknown.
    #[error("the launcher's Mach-O CPU type {0:#x} is not supported (only arm64 and x86_64)")]
    UnsupportedCpu(u32),
    /// The file ends early or its load commands are inconsistent.
    #[error("the launcher is a truncated or malformed Mach-O file: {0}")]
    Malformed(String),
    /// No `__LINKEDIT` segment to extend.
    #[error("the launcher has no __LINKEDIT segment to embed resources in")]
    NoLinkedit,
    /// Another segment's file contents follow `__LINKEDIT`'s.
    #[error(
        "__LINKEDIT is not the last segment in the launcher file (segment {segment} ends at file offset {end:#x}, after __LINKEDIT starts at {linkedit_fileoff:#x})"
    )]
    LinkeditNotLast {
        segment: String,
        end: u64,
        linkedit_fileoff: u64,
    },
    /// The code signature does not end where `__LINKEDIT` ends.
    #[error(
        "the launcher's code signature ({dataoff:#x}..{end:#x}) is not at the end of __LINKEDIT (which ends at {linkedit_end:#x}); remove the signature first (`codesign --remove-signature`)"
    )]
    SignatureNotLast { dataoff: u64, end: u64, linkedit_end: u64 },
    /// Bytes the segments do not cover follow `__LINKEDIT` (e.g. data
    /// appended by something else).
    #[error(
        "the launcher has {extra} bytes after the end of __LINKEDIT (file offset {linkedit_end:#x}) that no segment covers; rebuild the launcher"
    )]
    TrailingData { extra: u64, linkedit_end: u64 },
    /// Mach-O file offsets of the code signature are 32-bit.
    #[error(
        "the executable would be {0} bytes; a signed Mach-O file must stay below 4 GiB (leave some resources on the filesystem)"
    )]
    TooLarge(u64),
}

/// Whether `bytes` starts like a Mach-O file of any kind: thin or universal,
/// 32- or 64-bit, either byte order. The unsupported kinds are included so
/// that a caller routes every Mach-O file to [`embed_in_linkedit`], which
/// refuses them with a clear message, instead of appending to it.
pub fn is_macho(bytes: &[u8]) -> bool {
    let Some(m) = bytes.get(..4) else {
        return false;
    };
    let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
    let be = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    [MH_MAGIC_64, MH_MAGIC, FAT_MAGIC, FAT_MAGIC_64]
        .iter()
        .any(|&magic| le == magic || be == magic)
}

/// `launcher` with `payload` (blob · trailer) as the tail of its
/// `__LINKEDIT` segment, any existing code signature removed. See the
/// module documentation.
pub fn embed_in_linkedit(launcher: &[u8], payload: &[u8]) -> Result<Vec<u8>, MachoError> {
    let image = Image::parse(launcher)?;
    let mut out = launcher.to_vec();

    let mut linkedit = image.linkedit;
    let linkedit_end = linkedit
        .fileoff
        .checked_add(linkedit.filesize)
        .ok_or_else(|| malformed("__LINKEDIT's end overflows"))?;
    let file_len = launcher.len() as u64;
    if linkedit_end < file_len {
        return Err(MachoError::TrailingData {
            extra: file_len - linkedit_end,
            linkedit_end,
        });
    }

    // Where the kept part of the file ends: the signature's start, or the end.
    let cut = match image.signature {
        Some(sig) => {
            let end = u64::from(sig.dataoff) + u64::from(sig.datasize);
            if end != linkedit_end || u64::from(sig.dataoff) < linkedit.fileoff {
                return Err(MachoError::SignatureNotLast {
                    dataoff: u64::from(sig.dataoff),
                    end,
                    linkedit_end,
                });
            }
            // Remove the load command: move the following ones up, zero the
            // freed bytes at the end of the load commands.
            let cmds_end = HEADER_LEN + image.sizeofcmds as usize;
            let (start, size) = (sig.cmd_offset, sig.cmd_size);
            out.copy_within(start + size..cmds_end, start);
            out[cmds_end - size..cmds_end].fill(0);
            put_u32(&mut out, 16, image.ncmds - 1);
            // `size` <= sizeofcmds: the command lies within them.
            put_u32(&mut out, 20, image.sizeofcmds - size as u32);
            if linkedit.cmd_offset > start {
                linkedit.cmd_offset -= size;
            }
            sig.dataoff as usize
        }
        None => launcher.len(),
    };
    out.truncate(cut);
    out.resize(cut.next_multiple_of(PAYLOAD_ALIGN), 0);
    out.extend_from_slice(payload);

    let new_len = out.len() as u64;
    if new_len > u64::from(u32::MAX) {
        return Err(MachoError::TooLarge(new_len));
    }
    // `fileoff` <= `cut` <= `new_len`: checked above.
    let filesize = new_len - linkedit.fileoff;
    let vmsize = filesize.next_multiple_of(image.page_size);
    if linkedit.vmaddr.checked_add(vmsize).is_none() {
        return Err(malformed("__LINKEDIT's address range overflows"));
    }
    put_u64(&mut out, linkedit.cmd_offset + 32, vmsize);
    put_u64(&mut out, linkedit.cmd_offset + 48, filesize);
    Ok(out)
}

/// What [`embed_in_linkedit`] needs to know about a thin 64-bit image. All
/// offsets have been checked against the file.
struct Image {
    ncmds: u32,
    sizeofcmds: u32,
    page_size: u64,
    linkedit: Segment,
    signature: Option<Signature>,
}

#[derive(Clone, Copy)]
struct Segment {
    /// File offset of the `segment_command_64`.
    cmd_offset: usize,
    vmaddr: u64,
    fileoff: u64,
    filesize: u64,
}

#[derive(Clone, Copy)]
struct Signature {
    /// File offset and size of the `linkedit_data_command`.
    cmd_offset: usize,
    cmd_size: usize,
    dataoff: u32,
    datasize: u32,
}

impl Image {
    fn parse(file: &[u8]) -> Result<Self, MachoError> {
        let magic_bytes = file.get(..4).ok_or(MachoError::NotMacho)?;
        let le = u32::from_le_bytes([magic_bytes[0], magic_bytes[1], magic_bytes[2], magic_bytes[3]]);
        let be = u32::from_be_bytes([magic_bytes[0], magic_bytes[1], magic_bytes[2], magic_bytes[3]]);
        match (le, be) {
            (MH_MAGIC_64, _) => {}
            (_, FAT_MAGIC | FAT_MAGIC_64) | (FAT_MAGIC | FAT_MAGIC_64, _) => return Err(MachoError::Fat),
            (MH_MAGIC, _) | (_, MH_MAGIC) => return Err(MachoError::ThirtyTwoBit),
            (_, MH_MAGIC_64) => return Err(MachoError::BigEndian),
            _ => return Err(MachoError::NotMacho),
        }
        if file.len() < HEADER_LEN {
            return Err(malformed(format!(
                "{} bytes, shorter than the {HEADER_LEN}-byte header",
                file.len()
            )));
        }
        let cputype = get_u32(file, 4)?;
        let page_size = match cputype {
            CPU_TYPE_ARM64 => 0x4000,
            CPU_TYPE_X86_64 => 0x1000,
            other => return Err(MachoError::UnsupportedCpu(other)),
        };
        let ncmds = get_u32(file, 16)?;
        let sizeofcmds = get_u32(file, 20)?;
        let cmds_end = HEADER_LEN
            .checked_add(sizeofcmds as usize)
            .filter(|&end| end <= file.len())
            .ok_or_else(|| {
                malformed(format!(
                    "the load commands ({sizeofcmds} bytes) extend past the end of the file"
                ))
            })?;

        let mut segments: Vec<(String, Segment)> = Vec::new();
        let mut linkedit: Option<Segment> = None;
        let mut signature: Option<Signature> = None;
        let mut offset = HEADER_LEN;
        for index in 0..ncmds {
            if offset + 8 > cmds_end {
                return Err(malformed(format!(
                    "load command {index} of {ncmds} starts past the end of the load commands"
                )));
            }
            let cmd = get_u32(file, offset)?;
            let cmdsize = get_u32(file, offset + 4)? as usize;
            if cmdsize < 8 || cmdsize > cmds_end - offset {
                return Err(malformed(format!(
                    "load command {index} ({cmd:#x}) has an invalid size {cmdsize}"
                )));
            }
            match cmd {
                LC_SEGMENT_64 => {
                    if cmdsize < SEGMENT_64_LEN {
                        return Err(malformed(format!(
                            "LC_SEGMENT_64 command {index} is only {cmdsize} bytes"
                        )));
                    }
                    let name = &file[offset + 8..offset + 24];
                    let name_len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                    let name = String::from_utf8_lossy(&name[..name_len]).into_owned();
                    let segment = Segment {
                        cmd_offset: offset,
                        vmaddr: get_u64(file, offset + 24)?,
                        fileoff: get_u64(file, offset + 40)?,
                        filesize: get_u64(file, offset + 48)?,
                    };
                    let end = segment.fileoff.checked_add(segment.filesize);
                    if end.is_none_or(|end| end > file.len() as u64) {
                        return Err(malformed(format!(
                            "segment {name} (file offset {:#x}, {:#x} bytes) extends past the end of the file ({:#x} bytes)",
                            segment.fileoff,
                            segment.filesize,
                            file.len()
                        )));
                    }
                    if name == "__LINKEDIT" {
                        if linkedit.is_some() {
                            return Err(malformed("two __LINKEDIT segments"));
                        }
                        linkedit = Some(segment);
                    } else {
                        segments.push((name, segment));
                    }
                }
                LC_CODE_SIGNATURE => {
                    if cmdsize < LINKEDIT_DATA_LEN {
                        return Err(malformed(format!("LC_CODE_SIGNATURE is only {cmdsize} bytes")));
                    }
                    if signature.is_some() {
                        return Err(malformed("two LC_CODE_SIGNATURE commands"));
                    }
                    let sig = Signature {
                        cmd_offset: offset,
                        cmd_size: cmdsize,
                        dataoff: get_u32(file, offset + 8)?,
                        datasize: get_u32(file, offset + 12)?,
                    };
                    if u64::from(sig.dataoff) + u64::from(sig.datasize) > file.len() as u64 {
                        return Err(malformed(format!(
                            "the code signature ({:#x} bytes at {:#x}) extends past the end of the file",
                            sig.datasize, sig.dataoff
                        )));
                    }
                    signature = Some(sig);
                }
                _ => {}
            }
            offset += cmdsize;
        }

        let linkedit = linkedit.ok_or(MachoError::NoLinkedit)?;
        if linkedit.fileoff < cmds_end as u64 {
            return Err(malformed(format!(
                "__LINKEDIT (file offset {:#x}) overlaps the header and load commands (up to {cmds_end:#x})",
                linkedit.fileoff
            )));
        }
        for (name, segment) in &segments {
            if segment.filesize == 0 {
                continue;
            }
            // Checked when the segment was read.
            let end = segment.fileoff + segment.filesize;
            if end > linkedit.fileoff {
                return Err(MachoError::LinkeditNotLast {
                    segment: name.clone(),
                    end,
                    linkedit_fileoff: linkedit.fileoff,
                });
            }
        }
        Ok(Image {
            ncmds,
            sizeofcmds,
            page_size,
            linkedit,
            signature,
        })
    }
}

/// `LC_ID_DYLIB`: a dylib's own install name.
const LC_ID_DYLIB: u32 = 0xd;

/// Rewrites the install name (`LC_ID_DYLIB`) of a Mach-O dylib, thin or
/// universal, in place. The new name must fit in the command's existing
/// space (it is padded with NULs), which holds for `@rpath/NAME` replacing
/// a framework path; nothing else in the file moves.
pub fn set_dylib_install_name(bytes: &mut [u8], name: &str) -> Result<(), String> {
    let be = |b: &[u8], at: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?)) };
    match be(bytes, 0) {
        Some(FAT_MAGIC) => {
            let count = be(bytes, 4).ok_or("truncated universal header")? as usize;
            for i in 0..count {
                let entry = 8 + i * 20;
                let offset = be(bytes, entry + 8).ok_or("truncated universal header")? as usize;
                let size = be(bytes, entry + 12).ok_or("truncated universal header")? as usize;
                let slice = bytes
                    .get_mut(offset..offset.saturating_add(size))
                    .ok_or("a slice lies outside the file")?;
                set_thin_install_name(slice, name)?;
            }
            Ok(())
        }
        _ => set_thin_install_name(bytes, name),
    }
}

fn set_thin_install_name(bytes: &mut [u8], name: &str) -> Result<(), String> {
    let le = |b: &[u8], at: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)) };
    if le(bytes, 0) != Some(MH_MAGIC_64) {
        return Err("not a 64-bit little-endian Mach-O file".into());
    }
    let count = le(bytes, 16).ok_or("truncated header")?;
    let mut at = 32usize;
    for _ in 0..count {
        let cmd = le(bytes, at).ok_or("truncated load commands")?;
        let size = le(bytes, at + 4).ok_or("truncated load commands")? as usize;
        if size < 8 {
            return Err("a load command has a bad size".into());
        }
        if cmd == LC_ID_DYLIB {
            let offset = le(bytes, at + 8).ok_or("truncated LC_ID_DYLIB")? as usize;
            let field = bytes
                .get_mut(at + offset..at + size)
                .filter(|f| !f.is_empty())
                .ok_or("LC_ID_DYLIB's name lies outside it")?;
            if name.len() >= field.len() {
                return Err(format!("the install name {name:?} does not fit in LC_ID_DYLIB"));
            }
            field.fill(0);
            field[..name.len()].copy_from_slice(name.as_bytes());
            return Ok(());
        }
        at += size;
    }
    Err("no LC_ID_DYLIB: not a dylib".into())
}

fn malformed(message: impl Into<String>) -> MachoError {
    MachoError::Malformed(message.into())
}

fn get_u32(b: &[u8], at: usize) -> Result<u32, MachoError> {
    b.get(at..at.saturating_add(4))
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| malformed(format!("a 4-byte field at {at:#x} is past the end of the file")))
}

fn get_u64(b: &[u8], at: usize) -> Result<u64, MachoError> {
    b.get(at..at.saturating_add(8))
        .map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
        .ok_or_else(|| malformed(format!("an 8-byte field at {at:#x} is past the end of the file")))
}

/// Only called on offsets [`Image::parse`] has checked.
fn put_u32(b: &mut [u8], at: usize, value: u32) {
    b[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Only called on offsets [`Image::parse`] has checked.
fn put_u64(b: &mut [u8], at: usize, value: u64) {
    b[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thin Mach-O dylib with one LC_ID_DYLIB naming `name` in `space` bytes.
    fn dylib(name: &str, space: usize) -> Vec<u8> {
        let mut b = Vec::new();
        let cmdsize = 24 + space;
        for v in [MH_MAGIC_64, 0x0100_000c, 0, 6, 1, cmdsize as u32, 0, 0] {
            b.extend(v.to_le_bytes());
        }
        for v in [LC_ID_DYLIB, cmdsize as u32, 24, 0, 0, 0] {
            b.extend(v.to_le_bytes());
        }
        let mut field = name.as_bytes().to_vec();
        field.resize(space, 0);
        b.extend(field);
        b
    }

    #[test]
    fn the_install_name_is_rewritten_in_thin_and_universal_files() {
        let framework = "/Library/Frameworks/Python.framework/Versions/3.11/Python";
        let mut thin = dylib(framework, 64);
        set_dylib_install_name(&mut thin, "@rpath/libpython3.11.dylib").unwrap();
        assert_eq!(&thin[56..56 + 26], b"@rpath/libpython3.11.dylib");
        assert!(thin[56 + 26..].iter().all(|&b| b == 0));

        let slice = dylib(framework, 64);
        let mut fat = Vec::new();
        for v in [FAT_MAGIC, 1, 0x0100_000c, 0, 64, slice.len() as u32, 0] {
            fat.extend(v.to_be_bytes());
        }
        fat.resize(64, 0);
        fat.extend(&slice);
        set_dylib_install_name(&mut fat, "@rpath/libpython3.11.dylib").unwrap();
        assert_eq!(&fat[64 + 56..64 + 56 + 26], b"@rpath/libpython3.11.dylib");

        let err = set_dylib_install_name(&mut dylib("short", 8), "@rpath/libpython3.11.dylib").unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
        assert!(set_dylib_install_name(&mut b"not mach-o".to_vec(), "x").is_err());
        let mut truncated = dylib(framework, 64);
        truncated.truncate(40);
        assert!(set_dylib_install_name(&mut truncated, "x").is_err());
    }

    use oxdist_embed::format::{append_trailer, find_appended};

    /// Builds a minimal thin 64-bit Mach-O: header, `__TEXT` (the first
    /// page, holding the header), `__LINKEDIT` (`linkedit_len` bytes of
    /// 0xAB after the page), and, if `signature_len` > 0, an
    /// `LC_CODE_SIGNATURE` for that many bytes of 0xCD at the end of
    /// `__LINKEDIT`, followed by a dummy load command (so removal shifts
    /// something).
    fn synthetic(cputype: u32, linkedit_len: usize, signature_len: usize) -> Vec<u8> {
        let page = 0x1000usize;
        let mut cmds: Vec<u8> = Vec::new();
        let segment = |cmds: &mut Vec<u8>, name: &str, vmaddr: u64, vmsize: u64, fileoff: u64, filesize: u64| {
            cmds.extend_from_slice(&LC_SEGMENT_64.to_le_bytes());
            cmds.extend_from_slice(&(SEGMENT_64_LEN as u32).to_le_bytes());
            let mut n = [0u8; 16];
            n[..name.len()].copy_from_slice(name.as_bytes());
            cmds.extend_from_slice(&n);
            for v in [vmaddr, vmsize, fileoff, filesize] {
                cmds.extend_from_slice(&v.to_le_bytes());
            }
            cmds.extend_from_slice(&[0u8; 16]); // maxprot, initprot, nsects, flags
        };
        let total_linkedit = linkedit_len + signature_len;
        segment(&mut cmds, "__TEXT", 0x1_0000_0000, page as u64, 0, page as u64);
        segment(
            &mut cmds,
            "__LINKEDIT",
            0x1_0000_1000,
            (total_linkedit as u64).next_multiple_of(page as u64),
            page as u64,
            total_linkedit as u64,
        );
        let mut ncmds = 2u32;
        if signature_len > 0 {
            cmds.extend_from_slice(&LC_CODE_SIGNATURE.to_le_bytes());
            cmds.extend_from_slice(&(LINKEDIT_DATA_LEN as u32).to_le_bytes());
            cmds.extend_from_slice(&((page + linkedit_len) as u32).to_le_bytes());
            cmds.extend_from_slice(&(signature_len as u32).to_le_bytes());
            // LC_UUID-like dummy after it.
            cmds.extend_from_slice(&0x1bu32.to_le_bytes());
            cmds.extend_from_slice(&24u32.to_le_bytes());
            cmds.extend_from_slice(&[0x11; 16]);
            ncmds += 2;
        }
        let mut file = Vec::new();
        for v in [MH_MAGIC_64, cputype, 0, 2, ncmds, cmds.len() as u32, 0, 0] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.extend_from_slice(&cmds);
        file.resize(page, 0);
        file.resize(page + linkedit_len, 0xAB);
        file.resize(page + total_linkedit, 0xCD);
        file
    }

    fn payload(blob: &[u8]) -> Vec<u8> {
        [blob, &append_trailer(blob.len() as u64)[..]].concat()
    }

    fn linkedit(file: &[u8]) -> Segment {
        Image::parse(file).unwrap().linkedit
    }

    #[test]
    fn detects_mach_o() {
        assert!(is_macho(&synthetic(CPU_TYPE_ARM64, 10, 0)));
        assert!(is_macho(&[0xca, 0xfe, 0xba, 0xbe]));
        assert!(is_macho(&[0xfe, 0xed, 0xfa, 0xce]));
        assert!(!is_macho(b"\x7fELF\x02\x01"));
        assert!(!is_macho(b"MZ"));
        assert!(!is_macho(b""));
    }

    #[test]
    fn signed_launcher_loses_its_signature_and_gains_the_payload() {
        let launcher = synthetic(CPU_TYPE_ARM64, 0x123, 0x40);
        let blob = b"the packed resources".to_vec();
        let out = embed_in_linkedit(&launcher, &payload(&blob)).unwrap();

        let image = Image::parse(&out).unwrap();
        assert!(image.signature.is_none());
        assert_eq!(image.ncmds, 3);
        assert_eq!(image.sizeofcmds as usize, 2 * SEGMENT_64_LEN + 24);
        // The dummy command moved up, the freed bytes are zero.
        let dummy = HEADER_LEN + 2 * SEGMENT_64_LEN;
        assert_eq!(get_u32(&out, dummy).unwrap(), 0x1b);
        assert_eq!(&out[dummy + 8..dummy + 24], &[0x11; 16]);
        assert!(out[dummy + 24..dummy + 24 + LINKEDIT_DATA_LEN].iter().all(|&b| b == 0));

        // Signature cut off, padded to 16, payload at the end.
        let cut = 0x1000_usize + 0x123;
        let start = cut.next_multiple_of(16);
        let cmds_end = HEADER_LEN + 2 * SEGMENT_64_LEN + LINKEDIT_DATA_LEN + 24;
        assert_eq!(&out[cmds_end..cut], &launcher[cmds_end..cut]);
        assert!(out[cut..start].iter().all(|&b| b == 0));
        assert_eq!(&out[start..], &payload(&blob)[..]);

        let le = image.linkedit;
        assert_eq!(le.fileoff + le.filesize, out.len() as u64);
        assert_eq!(get_u64(&out, le.cmd_offset + 32).unwrap(), 0x4000);
        assert_eq!(find_appended(&out).unwrap(), Some(&blob[..]));
    }

    #[test]
    fn unsigned_launcher_gains_the_payload() {
        let launcher = synthetic(CPU_TYPE_X86_64, 0x2000, 0);
        let blob = vec![7u8; 0x1234];
        let out = embed_in_linkedit(&launcher, &payload(&blob)).unwrap();
        // Only __LINKEDIT's vmsize and filesize change before the payload.
        let sizes = HEADER_LEN + SEGMENT_64_LEN + 32..HEADER_LEN + SEGMENT_64_LEN + 56;
        assert_eq!(&out[..sizes.start], &launcher[..sizes.start]);
        assert_eq!(&out[sizes.end..launcher.len()], &launcher[sizes.end..]);
        assert_eq!(launcher.len() % 16, 0);
        assert_eq!(&out[launcher.len()..], &payload(&blob)[..]);
        let le = linkedit(&out);
        assert_eq!(le.fileoff + le.filesize, out.len() as u64);
        // x86_64 pages are 4 KiB.
        assert_eq!(
            get_u64(&out, le.cmd_offset + 32).unwrap(),
            le.filesize.next_multiple_of(0x1000)
        );
        assert_eq!(find_appended(&out).unwrap(), Some(&blob[..]));
    }

    #[test]
    fn signature_command_before_linkedit_command() {
        // Load commands reordered: __TEXT, LC_CODE_SIGNATURE, __LINKEDIT, dummy.
        let mut launcher = synthetic(CPU_TYPE_ARM64, 0x100, 0x20);
        let text = HEADER_LEN..HEADER_LEN + SEGMENT_64_LEN;
        let linkedit_cmd = text.end..text.end + SEGMENT_64_LEN;
        let sig_cmd = linkedit_cmd.end..linkedit_cmd.end + LINKEDIT_DATA_LEN;
        let reordered = [&launcher[sig_cmd.clone()], &launcher[linkedit_cmd.clone()]].concat();
        launcher[linkedit_cmd.start..sig_cmd.end].copy_from_slice(&reordered);

        let blob = b"BLOB".to_vec();
        let out = embed_in_linkedit(&launcher, &payload(&blob)).unwrap();
        let image = Image::parse(&out).unwrap();
        assert!(image.signature.is_none());
        assert_eq!(image.linkedit.cmd_offset, linkedit_cmd.start);
        assert_eq!(image.linkedit.fileoff + image.linkedit.filesize, out.len() as u64);
        assert_eq!(find_appended(&out).unwrap(), Some(&blob[..]));
    }

    #[test]
    fn refuses_other_kinds_of_files() {
        let payload = payload(b"x");
        let err = |file: &[u8]| embed_in_linkedit(file, &payload).unwrap_err();
        assert_eq!(err(b""), MachoError::NotMacho);
        assert_eq!(err(b"\x7fELF\x02\x01\x01\x00"), MachoError::NotMacho);
        assert_eq!(err(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), MachoError::Fat);
        assert_eq!(err(&[0xbe, 0xba, 0xfe, 0xca]), MachoError::Fat);
        assert_eq!(err(&[0xca, 0xfe, 0xba, 0xbf]), MachoError::Fat);
        assert_eq!(err(&[0xce, 0xfa, 0xed, 0xfe, 7, 0, 0, 0]), MachoError::ThirtyTwoBit);
        assert_eq!(err(&[0xfe, 0xed, 0xfa, 0xce]), MachoError::ThirtyTwoBit);
        assert_eq!(err(&[0xfe, 0xed, 0xfa, 0xcf]), MachoError::BigEndian);

        let mut ppc = synthetic(CPU_TYPE_ARM64, 16, 0);
        put_u32(&mut ppc, 4, 0x12);
        assert_eq!(err(&ppc), MachoError::UnsupportedCpu(0x12));
    }

    #[test]
    fn refuses_truncated_files_without_panicking() {
        let launcher = synthetic(CPU_TYPE_ARM64, 0x100, 0x20);
        let payload = payload(b"x");
        for len in 0..launcher.len() {
            let result = embed_in_linkedit(&launcher[..len], &payload);
            assert!(result.is_err(), "truncated to {len} bytes");
        }
        // Every single-byte corruption of the header and load commands: an
        // error or a result, never a panic.
        for at in 0..HEADER_LEN + 2 * SEGMENT_64_LEN + 40 {
            for value in [0x00, 0x01, 0x7f, 0xff] {
                let mut bad = launcher.clone();
                bad[at] = value;
                let _ = embed_in_linkedit(&bad, &payload);
            }
        }
        // Random corruption of several header and load command fields, and
        // random truncation: an error or a result, never a panic.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let cmds_end = HEADER_LEN + 2 * SEGMENT_64_LEN + LINKEDIT_DATA_LEN + 24;
        for _ in 0..20_000 {
            let mut bad = launcher.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % (cmds_end as u64 - 4)) as usize & !3;
                let value = match next() % 4 {
                    0 => 0,
                    1 => u32::MAX,
                    2 => (next() % 0x1200) as u32,
                    _ => next() as u32,
                };
                put_u32(&mut bad, at, value);
            }
            if next() % 4 == 0 {
                bad.truncate((next() % bad.len() as u64) as usize);
            }
            if let Ok(out) = embed_in_linkedit(&bad, &payload) {
                let le = Image::parse(&out).expect("the output parses").linkedit;
                assert_eq!(le.fileoff + le.filesize, out.len() as u64);
            }
        }
        // __LINKEDIT covering the header, the signature inside the load
        // commands.
        let mut bad = launcher.clone();
        let linkedit_cmd = HEADER_LEN + SEGMENT_64_LEN;
        put_u64(&mut bad, HEADER_LEN + 48, 0); // __TEXT filesize
        put_u64(&mut bad, linkedit_cmd + 40, 0);
        put_u64(&mut bad, linkedit_cmd + 48, launcher.len() as u64);
        put_u32(&mut bad, linkedit_cmd + SEGMENT_64_LEN + 8, 4);
        put_u32(&mut bad, linkedit_cmd + SEGMENT_64_LEN + 12, launcher.len() as u32 - 4);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload),
            Err(MachoError::Malformed(_))
        ));
        // Load commands larger than the file.
        let mut bad = launcher.clone();
        put_u32(&mut bad, 20, u32::MAX);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload),
            Err(MachoError::Malformed(_))
        ));
        // More commands than sizeofcmds holds.
        let mut bad = launcher.clone();
        put_u32(&mut bad, 16, 1000);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload),
            Err(MachoError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_layouts_it_cannot_extend() {
        let payload = payload(b"x");
        let launcher = synthetic(CPU_TYPE_ARM64, 0x100, 0x20);
        let linkedit_cmd = HEADER_LEN + SEGMENT_64_LEN;

        // No __LINKEDIT.
        let mut bad = launcher.clone();
        bad[linkedit_cmd + 8..linkedit_cmd + 18].copy_from_slice(b"__NOTLINKE");
        assert_eq!(embed_in_linkedit(&bad, &payload).unwrap_err(), MachoError::NoLinkedit);

        // __TEXT reaching past the start of __LINKEDIT.
        let mut bad = launcher.clone();
        put_u64(&mut bad, HEADER_LEN + 48, 0x1001);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload).unwrap_err(),
            MachoError::LinkeditNotLast { ref segment, .. } if segment == "__TEXT"
        ));

        // Bytes after __LINKEDIT.
        let mut bad = launcher.clone();
        bad.extend_from_slice(&[0; 5]);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload).unwrap_err(),
            MachoError::TrailingData { extra: 5, .. }
        ));

        // A signature that is not at the end of __LINKEDIT.
        let mut bad = launcher.clone();
        let sig_cmd = HEADER_LEN + 2 * SEGMENT_64_LEN;
        put_u32(&mut bad, sig_cmd + 12, 0x10);
        assert!(matches!(
            embed_in_linkedit(&bad, &payload).unwrap_err(),
            MachoError::SignatureNotLast { .. }
        ));
    }
}
