//! The parts of a thin 64-bit little-endian Mach-O file that code signing
//! reads and rewrites, and the rewrite itself.
//!
//! A signature lives at the end of the `__LINKEDIT` segment, which must be
//! the file's last segment; the `LC_CODE_SIGNATURE` load command
//! (`linkedit_data_command`: `cmd`, `cmdsize` 16, `dataoff`, `datasize`)
//! points at it. Signing a file therefore:
//!
//! 1. cuts an existing signature off (or, without one, needs 16 zero bytes
//!    after the load commands, before the first section's data, for a new
//!    `LC_CODE_SIGNATURE`: linkers leave that room, `-headerpad` sets it);
//! 2. places the new signature at the old end rounded up to 16 bytes
//!    (Apple's alignment for it), and grows `__LINKEDIT`'s `filesize` to
//!    the new end of file and its `vmsize` to that rounded up to 16 KiB,
//!    as `codesign` does;
//! 3. hashes the result up to the signature (the header with its final
//!    load commands included), then writes the signature there.
//!
//! 32-bit and big-endian files are refused: macOS has not run them since
//! 10.15, and every current toolchain writes 64-bit little-endian slices.

use super::AppleSignError;

pub(crate) const MH_MAGIC_64: u32 = 0xfeed_facf;
pub(crate) const MH_EXECUTE: u32 = 0x2;
const MH_HEADER_64: usize = 32;
const LC_SEGMENT_64: u32 = 0x19;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const LC_VERSION_MIN_MACOSX: u32 = 0x24;
const LC_BUILD_VERSION: u32 = 0x32;
const LINKEDIT_DATA_COMMAND: usize = 16;
/// `codesign` rounds `__LINKEDIT`'s `vmsize` to 16 KiB pages.
const LINKEDIT_VM_ROUNDING: u64 = 0x4000;
/// Signatures start at a multiple of 16 bytes.
const SIGNATURE_ALIGNMENT: usize = 16;

/// A segment's place in the file and in the load commands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    /// Offset of its `segment_command_64` in the file.
    command_offset: usize,
    pub(crate) fileoff: u64,
    pub(crate) filesize: u64,
}

/// What signing needs to know about a thin Mach-O file.
#[derive(Debug)]
pub(crate) struct MachO {
    pub(crate) file_type: u32,
    ncmds: u32,
    sizeofcmds: u32,
    pub(crate) text: Segment,
    linkedit: Segment,
    /// Offset of the `LC_CODE_SIGNATURE` command and its `dataoff`, `datasize`.
    code_signature: Option<(usize, u32, u32)>,
    /// The lowest file offset of any section's data (where the header padding ends).
    first_section_offset: u64,
    /// The SDK version (`LC_BUILD_VERSION` or `LC_VERSION_MIN_MACOSX`), nibble-encoded `xxxx.yy.zz`.
    pub(crate) sdk_version: Option<u32>,
}

impl MachO {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, AppleSignError> {
        let not_macho = |reason: &str| AppleSignError::NotMachO {
            reason: reason.to_string(),
        };
        let magic = le32(bytes, 0).ok_or_else(|| not_macho("shorter than a Mach-O header"))?;
        match magic {
            MH_MAGIC_64 => {}
            0xfeed_face | 0xcefa_edfe => {
                return Err(AppleSignError::Unsupported {
                    what: "a 32-bit Mach-O file".into(),
                });
            }
            0xcffa_edfe => {
                return Err(AppleSignError::Unsupported {
                    what: "a big-endian Mach-O file".into(),
                });
            }
            0xcafe_babe | 0xcafe_babf | 0xbeba_feca => {
                return Err(AppleSignError::Unsupported {
                    what: "a universal binary here (sign each architecture, then merge them)".into(),
                });
            }
            _ => return Err(not_macho("no Mach-O magic number")),
        }
        let header = |at: usize| le32(bytes, at).ok_or_else(|| not_macho("truncated header"));
        let file_type = header(12)?;
        let ncmds = header(16)?;
        let sizeofcmds = header(20)?;
        let commands_end = MH_HEADER_64 + sizeofcmds as usize;
        if commands_end > bytes.len() {
            return Err(malformed("the load commands run past the end of the file"));
        }

        let mut text = None;
        let mut linkedit = None;
        let mut code_signature = None;
        let mut first_section_offset = u64::MAX;
        let mut sdk_version = None;
        let mut last_segment_end = 0u64;
        let mut last_segment_name = String::new();
        let mut at = MH_HEADER_64;
        for index in 0..ncmds {
            let cmd = le32(bytes, at).ok_or_else(|| malformed("truncated load command"))?;
            let cmdsize = le32(bytes, at + 4).ok_or_else(|| malformed("truncated load command"))? as usize;
            if cmdsize < 8 || at + cmdsize > commands_end {
                return Err(malformed(&format!(
                    "load command {index} has an invalid size {cmdsize}"
                )));
            }
            let command = &bytes[at..at + cmdsize];
            match cmd {
                LC_SEGMENT_64 => {
                    let field = |off: usize| le64(command, off).ok_or_else(|| malformed("truncated segment command"));
                    let name = fixed_name(&command[8..24.min(command.len())]);
                    let segment = Segment {
                        command_offset: at,
                        fileoff: field(40)?,
                        filesize: field(48)?,
                    };
                    let nsects = le32(command, 64).ok_or_else(|| malformed("truncated segment command"))? as usize;
                    if 72 + nsects * 80 > cmdsize {
                        return Err(malformed(&format!("segment {name} lists more sections than it holds")));
                    }
                    for section in 0..nsects {
                        let offset = le32(command, 72 + section * 80 + 48).unwrap_or(0);
                        // Zero-fill sections have no file data (offset 0).
                        if offset != 0 {
                            first_section_offset = first_section_offset.min(u64::from(offset));
                        }
                    }
                    if segment.filesize > 0 && segment.fileoff + segment.filesize >= last_segment_end {
                        last_segment_end = segment.fileoff + segment.filesize;
                        last_segment_name = name.clone();
                    }
                    match name.as_str() {
                        "__TEXT" => text = Some(segment),
                        "__LINKEDIT" => linkedit = Some(segment),
                        _ => {}
                    }
                }
                LC_CODE_SIGNATURE => {
                    let dataoff = le32(command, 8).ok_or_else(|| malformed("truncated LC_CODE_SIGNATURE"))?;
                    let datasize = le32(command, 12).ok_or_else(|| malformed("truncated LC_CODE_SIGNATURE"))?;
                    code_signature = Some((at, dataoff, datasize));
                }
                LC_BUILD_VERSION => sdk_version = le32(command, 16),
                LC_VERSION_MIN_MACOSX => sdk_version = sdk_version.or(le32(command, 12)),
                _ => {}
            }
            at += cmdsize;
        }

        let text = text.ok_or_else(|| malformed("it has no __TEXT segment"))?;
        let linkedit = linkedit.ok_or_else(|| malformed("it has no __LINKEDIT segment, where the signature goes"))?;
        if last_segment_name != "__LINKEDIT" {
            return Err(malformed(&format!(
                "__LINKEDIT is not its last segment ({last_segment_name} ends later), so a signature cannot be appended"
            )));
        }
        let linkedit_end = linkedit.fileoff + linkedit.filesize;
        if linkedit_end > bytes.len() as u64 {
            return Err(malformed("__LINKEDIT runs past the end of the file"));
        }
        if let Some((_, dataoff, datasize)) = code_signature {
            let end = u64::from(dataoff) + u64::from(datasize);
            if u64::from(dataoff) < linkedit.fileoff || end != linkedit_end {
                return Err(malformed(
                    "its existing code signature is not the last data of __LINKEDIT; rebuild the file unsigned",
                ));
            }
        }
        if linkedit_end != bytes.len() as u64 {
            return Err(malformed(&format!(
                "{} bytes follow the __LINKEDIT segment; the signature must be the end of the file",
                bytes.len() as u64 - linkedit_end
            )));
        }
        Ok(MachO {
            file_type,
            ncmds,
            sizeofcmds,
            text,
            linkedit,
            code_signature,
            first_section_offset,
            sdk_version,
        })
    }

    /// The file without its signature, with load commands that point at a
    /// signature of `signature_len` bytes at the returned offset: the bytes
    /// the code directory hashes (everything before that offset). The
    /// signature itself is then appended at that offset.
    pub(crate) fn unsigned_with_room(
        &self,
        bytes: &[u8],
        signature_len: usize,
    ) -> Result<(Vec<u8>, usize), AppleSignError> {
        let data_end = match self.code_signature {
            Some((_, dataoff, _)) => dataoff as usize,
            None => (self.linkedit.fileoff + self.linkedit.filesize) as usize,
        };
        let signature_offset = data_end.next_multiple_of(SIGNATURE_ALIGNMENT);
        let end = signature_offset as u64 + signature_len as u64;
        let dataoff = u32::try_from(signature_offset).map_err(|_| AppleSignError::TooLarge)?;
        let datasize = u32::try_from(signature_len).map_err(|_| AppleSignError::TooLarge)?;
        if end > u64::from(u32::MAX) {
            return Err(AppleSignError::TooLarge);
        }

        let mut out = bytes[..data_end].to_vec();
        let command_offset = match self.code_signature {
            Some((offset, _, _)) => offset,
            None => {
                let commands_end = MH_HEADER_64 + self.sizeofcmds as usize;
                let room = self
                    .first_section_offset
                    .min(data_end as u64)
                    .saturating_sub(commands_end as u64);
                let padding_is_free = out
                    .get(commands_end..commands_end + LINKEDIT_DATA_COMMAND)
                    .is_some_and(|b| b.iter().all(|&b| b == 0));
                if room < LINKEDIT_DATA_COMMAND as u64 || !padding_is_free {
                    return Err(AppleSignError::NoHeaderRoom { available: room });
                }
                put32(&mut out, 16, self.ncmds + 1);
                put32(&mut out, 20, self.sizeofcmds + LINKEDIT_DATA_COMMAND as u32);
                put32(&mut out, commands_end, LC_CODE_SIGNATURE);
                put32(&mut out, commands_end + 4, LINKEDIT_DATA_COMMAND as u32);
                commands_end
            }
        };
        put32(&mut out, command_offset + 8, dataoff);
        put32(&mut out, command_offset + 12, datasize);

        let linkedit_filesize = end - self.linkedit.fileoff;
        let segment = self.linkedit.command_offset;
        put64(
            &mut out,
            segment + 32,
            linkedit_filesize.next_multiple_of(LINKEDIT_VM_ROUNDING),
        );
        put64(&mut out, segment + 48, linkedit_filesize);
        out.resize(signature_offset, 0);
        Ok((out, signature_offset))
    }

    /// Where the existing signature is, if any: `(dataoff, datasize)`.
    pub(crate) fn signature_range(&self) -> Option<(usize, usize)> {
        self.code_signature
            .map(|(_, dataoff, datasize)| (dataoff as usize, datasize as usize))
    }
}

fn malformed(reason: &str) -> AppleSignError {
    AppleSignError::Malformed {
        reason: reason.to_string(),
    }
}

fn fixed_name(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

pub(crate) fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn put32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}
