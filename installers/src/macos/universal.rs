//! Universal ("fat") Mach-O binaries, written on any host: what
//! `lipo -create` does, with the same layout, so that the slices of a
//! universal binary split and merged again come back byte for byte.
//!
//! # Layout
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | `fat_header`: `FAT_MAGIC` `0xCAFEBABE`, number of slices (big-endian, like every field below) |
//! | 8..8+20·n | one `fat_arch` per slice: `cputype`, `cpusubtype` (as in the slice's own header), `offset`, `size`, `align` (a power of two, as its exponent) |
//! | then | each slice at an `offset` that is a multiple of 2^`align`, zero bytes in between |
//!
//! # Alignment and order (as `lipo` computes them)
//!
//! | | rule |
//! |---|---|
//! | `align` of an executable, dylib or bundle | the smallest alignment of its segments' `vmaddr` (the number of trailing zero bits; a segment at 0 counts as 2^15), clamped to 2^2..2^15 (2^3 for 64-bit slices); for the usual arm64 binaries 2^14 (16 KiB pages), for x86_64 2^12 or 2^14 depending on the linker |
//! | `align` of an object file (`MH_OBJECT`) | the largest section alignment, at most 2^15 |
//! | order | as cctools' `lipo`: arm64 slices (any `cpusubtype`) last; others by `align`, then `cputype`; one `cputype` by `cpusubtype` |
//! | first offset | after the header and the `fat_arch` table, rounded up to the slice's alignment |
//!
//! The layout is a function of the slices alone (never of the order of the
//! inputs), so merging is deterministic.
//!
//! # Refused input
//!
//! No input at all; input that is not a Mach-O file (naming its label);
//! two slices of one architecture (naming both labels); slices of different
//! file types (an executable with a dylib, …); results of 4 GiB or more
//! (they would need `FAT_MAGIC_64`, which this writer does not produce).
//! Universal inputs are split into their slices first, so a universal
//! binary and a thin one can be merged.

use std::fmt;

/// `fat_header.magic` of a universal binary (big-endian on disk).
pub const FAT_MAGIC: u32 = 0xcafe_babe;
/// `fat_header.magic` of a universal binary with 64-bit offsets.
pub const FAT_MAGIC_64: u32 = 0xcafe_babf;

const MH_MAGIC: u32 = 0xfeed_face;
const MH_CIGAM: u32 = 0xcefa_edfe;
const MH_MAGIC_64: u32 = 0xfeed_facf;
const MH_CIGAM_64: u32 = 0xcffa_edfe;

const LC_SEGMENT: u32 = 0x1;
const LC_SEGMENT_64: u32 = 0x19;

/// `cputype` values (`<mach/machine.h>`).
pub const CPU_TYPE_X86: u32 = 7;
pub const CPU_TYPE_X86_64: u32 = 0x0100_0007;
pub const CPU_TYPE_ARM: u32 = 12;
pub const CPU_TYPE_ARM64: u32 = 0x0100_000c;
pub const CPU_TYPE_ARM64_32: u32 = 0x0200_000c;
pub const CPU_TYPE_POWERPC: u32 = 18;
pub const CPU_TYPE_POWERPC64: u32 = 0x0100_0012;
/// The capability bits of `cpusubtype` (e.g. arm64e's pointer-authentication ABI version).
pub const CPU_SUBTYPE_MASK: u32 = 0xff00_0000;

/// `filetype` values (`<mach-o/loader.h>`).
pub const MH_OBJECT: u32 = 0x1;
pub const MH_EXECUTE: u32 = 0x2;
pub const MH_DYLIB: u32 = 0x6;
pub const MH_BUNDLE: u32 = 0x8;

/// The largest alignment exponent `lipo` uses (`MAXSECTALIGN`).
const MAX_ALIGN: u32 = 15;

/// Why a Mach-O file was refused.
#[derive(Debug, thiserror::Error)]
pub enum UniversalError {
    #[error("a universal binary needs at least one Mach-O file; none was given")]
    NoInput,
    #[error("{label} is not a Mach-O file: {reason}; give a macOS executable, dylib or bundle (thin or universal)")]
    NotMachO { label: String, reason: String },
    #[error(
        "{first} and {second} both hold the {arch} architecture; a universal binary holds one slice per architecture, so drop one of them"
    )]
    DuplicateArch {
        arch: String,
        first: String,
        second: String,
    },
    #[error(
        "{first} is {first_type} but {second} is {second_type}; the slices of a universal binary must be of one file type"
    )]
    FileTypeMismatch {
        first: String,
        first_type: String,
        second: String,
        second_type: String,
    },
    #[error(
        "the universal binary would be {size} bytes, past the 4 GiB that 32-bit fat offsets address; ship the architectures as separate files"
    )]
    TooLarge { size: u64 },
}

/// One architecture of a Mach-O file: the whole file when it is thin, one
/// slice when it is universal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachoArch {
    /// `cputype`, e.g. [`CPU_TYPE_ARM64`].
    pub cputype: u32,
    /// `cpusubtype`, capability bits included (arm64e's is `0x80000002`).
    pub cpusubtype: u32,
    /// The name `lipo -archs` prints: `x86_64`, `x86_64h`, `arm64`, `arm64e`, `i386`, …;
    /// `cputype=N cpusubtype=M` for architectures without one.
    pub name: String,
    /// `filetype`: [`MH_EXECUTE`], [`MH_DYLIB`], [`MH_BUNDLE`], …
    pub file_type: u32,
    /// Where the slice starts in the file (0 for a thin file).
    pub offset: u64,
    /// The slice's length in bytes (the file's for a thin file).
    pub size: u64,
    /// Alignment exponent: the `fat_arch`'s for a slice, what `lipo` would
    /// use for a thin file.
    pub align: u32,
}

impl fmt::Display for MachoArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The name `lipo` and `otool` give an architecture (cctools' `arch.c`).
pub fn arch_name(cputype: u32, cpusubtype: u32) -> String {
    let sub = cpusubtype & !CPU_SUBTYPE_MASK;
    let name = match (cputype, sub) {
        (CPU_TYPE_X86, 3) => "i386",
        (CPU_TYPE_X86_64, 3) => "x86_64",
        (CPU_TYPE_X86_64, 8) => "x86_64h",
        (CPU_TYPE_ARM64, 0) => "arm64",
        (CPU_TYPE_ARM64, 1) => "arm64v8",
        (CPU_TYPE_ARM64, 2) => "arm64e",
        (CPU_TYPE_ARM64_32, 1) => "arm64_32",
        (CPU_TYPE_ARM, 6) => "armv6",
        (CPU_TYPE_ARM, 9) => "armv7",
        (CPU_TYPE_ARM, 11) => "armv7s",
        (CPU_TYPE_ARM, 12) => "armv7k",
        (CPU_TYPE_ARM, 14) => "armv6m",
        (CPU_TYPE_ARM, 15) => "armv7m",
        (CPU_TYPE_ARM, 16) => "armv7em",
        (CPU_TYPE_POWERPC, 0) => "ppc",
        (CPU_TYPE_POWERPC64, 0) => "ppc64",
        _ => return format!("cputype={cputype} cpusubtype={cpusubtype}"),
    };
    name.to_string()
}

/// What a `filetype` is called in messages.
pub fn file_type_name(file_type: u32) -> String {
    match file_type {
        MH_OBJECT => "an object file (MH_OBJECT)".into(),
        MH_EXECUTE => "an executable (MH_EXECUTE)".into(),
        MH_DYLIB => "a dynamic library (MH_DYLIB)".into(),
        MH_BUNDLE => "a bundle (MH_BUNDLE)".into(),
        other => format!("Mach-O file type {other}"),
    }
}

/// Whether `bytes` start like a Mach-O file, thin or universal. A cheap
/// check of the magic number; [`macho_architectures`] validates the rest.
pub fn is_macho(bytes: &[u8]) -> bool {
    let Some(magic) = bytes.get(..4) else { return false };
    let be = u32::from_be_bytes(magic.try_into().unwrap());
    matches!(
        be,
        FAT_MAGIC | FAT_MAGIC_64 | MH_MAGIC | MH_CIGAM | MH_MAGIC_64 | MH_CIGAM_64
    )
}

/// The architectures of a Mach-O file: one for a thin file, one per slice
/// (in file order) for a universal one. Each slice is itself checked to be
/// a thin Mach-O file of the `cputype` its `fat_arch` announces.
pub fn macho_architectures(bytes: &[u8]) -> Result<Vec<MachoArch>, UniversalError> {
    macho_architectures_labelled("the input", bytes)
}

fn macho_architectures_labelled(label: &str, bytes: &[u8]) -> Result<Vec<MachoArch>, UniversalError> {
    let not = |reason: String| UniversalError::NotMachO {
        label: label.to_string(),
        reason,
    };
    if bytes.len() < 4 {
        return Err(not(format!("it is only {} bytes long", bytes.len())));
    }
    let magic = be32(bytes, 0).unwrap_or(0);
    if magic != FAT_MAGIC && magic != FAT_MAGIC_64 {
        return Ok(vec![thin_arch(label, bytes, 0)?]);
    }
    let wide = magic == FAT_MAGIC_64;
    let count = be32(bytes, 4).unwrap_or(0);
    // Java class files share 0xCAFEBABE; their "count" (versions) is ≥ 45.
    if count == 0 || count > 32 {
        return Err(not(format!("its universal header announces {count} architectures")));
    }
    let entry = if wide { 32 } else { 20 };
    let mut archs = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let at = 8 + i * entry;
        let field = |n: usize| be32(bytes, at + 4 * n);
        let (cputype, cpusubtype) = (field(0), field(1));
        let (offset, size, align) = if wide {
            (be64(bytes, at + 8), be64(bytes, at + 16), field(6))
        } else {
            (field(2).map(u64::from), field(3).map(u64::from), field(4))
        };
        let (Some(cputype), Some(cpusubtype), Some(offset), Some(size), Some(align)) =
            (cputype, cpusubtype, offset, size, align)
        else {
            return Err(not("its universal header is cut short".into()));
        };
        let slice = offset
            .checked_add(size)
            .filter(|end| *end <= bytes.len() as u64)
            .map(|end| &bytes[offset as usize..end as usize])
            .ok_or_else(|| {
                not(format!(
                    "slice {i} ({}) lies outside the file",
                    arch_name(cputype, cpusubtype)
                ))
            })?;
        let thin = thin_arch(label, slice, offset)?;
        if thin.cputype != cputype {
            return Err(not(format!(
                "slice {i} is announced as {} but holds {}",
                arch_name(cputype, cpusubtype),
                thin.name
            )));
        }
        archs.push(MachoArch {
            cpusubtype,
            name: arch_name(cputype, cpusubtype),
            align,
            ..thin
        });
    }
    Ok(archs)
}

/// The architecture of a thin Mach-O file starting at `offset` of its container.
fn thin_arch(label: &str, bytes: &[u8], offset: u64) -> Result<MachoArch, UniversalError> {
    let not = |reason: String| UniversalError::NotMachO {
        label: label.to_string(),
        reason,
    };
    let Some(raw) = bytes.get(..4) else {
        return Err(not("it is cut short before its magic number".into()));
    };
    let (wide, little) = match u32::from_be_bytes(raw.try_into().unwrap()) {
        MH_MAGIC => (false, false),
        MH_MAGIC_64 => (true, false),
        MH_CIGAM => (false, true),
        MH_CIGAM_64 => (true, true),
        FAT_MAGIC | FAT_MAGIC_64 => return Err(not("a universal binary is nested inside another".into())),
        other => return Err(not(format!("its magic number is {other:#010x}"))),
    };
    let read = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let read64 = |at: usize| -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let header = if wide { 32 } else { 28 };
    let (Some(cputype), Some(cpusubtype), Some(file_type), Some(ncmds), Some(sizeofcmds)) =
        (read(4), read(8), read(12), read(16), read(20))
    else {
        return Err(not("its Mach-O header is cut short".into()));
    };
    if header + sizeofcmds as usize > bytes.len() {
        return Err(not("its load commands run past the end of the file".into()));
    }
    // lipo's alignment: the least-aligned segment address (or, in object
    // files, the most-aligned section).
    let min_align = if wide { 3 } else { 2 };
    let mut align = MAX_ALIGN;
    let mut at = header;
    for _ in 0..ncmds {
        let (Some(cmd), Some(cmdsize)) = (read(at), read(at + 4)) else {
            return Err(not("a load command is cut short".into()));
        };
        if cmdsize < 8 || at + cmdsize as usize > header + sizeofcmds as usize {
            return Err(not(format!("a load command has the invalid size {cmdsize}")));
        }
        if cmd == LC_SEGMENT || cmd == LC_SEGMENT_64 {
            let (vmaddr, nsects, sections, section_size, align_field) = if cmd == LC_SEGMENT_64 {
                (read64(at + 24), read(at + 64), at + 72, 80, 52)
            } else {
                (read(at + 24).map(u64::from), read(at + 48), at + 56, 68, 44)
            };
            let (Some(vmaddr), Some(nsects)) = (vmaddr, nsects) else {
                return Err(not("a segment command is cut short".into()));
            };
            let segment_align = if file_type == MH_OBJECT {
                let mut most = if nsects == 0 { MAX_ALIGN } else { min_align };
                for s in 0..nsects as usize {
                    let Some(a) = read(sections + s * section_size + align_field) else {
                        return Err(not("a section header is cut short".into()));
                    };
                    most = most.max(a);
                }
                most.min(MAX_ALIGN)
            } else if vmaddr == 0 {
                MAX_ALIGN
            } else {
                vmaddr.trailing_zeros().clamp(min_align, MAX_ALIGN)
            };
            align = align.min(segment_align);
        }
        at += cmdsize as usize;
    }
    Ok(MachoArch {
        cputype,
        cpusubtype,
        name: arch_name(cputype, cpusubtype),
        file_type,
        offset,
        size: bytes.len() as u64,
        align,
    })
}

/// Merges Mach-O files into one universal binary, laid out as `lipo -create`
/// lays it out (see the module documentation). Each input is a label for
/// messages (a path, say) and its bytes; universal inputs contribute each
/// of their slices. A single thin input still gives a universal binary of
/// one slice.
pub fn universal_binary(inputs: &[(&str, &[u8])]) -> Result<Vec<u8>, UniversalError> {
    if inputs.is_empty() {
        return Err(UniversalError::NoInput);
    }
    struct Slice<'a> {
        label: &'a str,
        arch: MachoArch,
        bytes: &'a [u8],
    }
    let mut slices: Vec<Slice<'_>> = Vec::new();
    for &(label, bytes) in inputs {
        for mut arch in macho_architectures_labelled(label, bytes)? {
            let data = &bytes[arch.offset as usize..(arch.offset + arch.size) as usize];
            // Recompute as lipo does, whatever alignment the input's fat_arch claimed.
            arch.align = thin_arch(label, data, 0)?.align;
            if let Some(first) = slices.first()
                && first.arch.file_type != arch.file_type
            {
                return Err(UniversalError::FileTypeMismatch {
                    first: first.label.to_string(),
                    first_type: file_type_name(first.arch.file_type),
                    second: label.to_string(),
                    second_type: file_type_name(arch.file_type),
                });
            }
            // lipo compares the cpusubtype without its capability bits.
            if let Some(other) = slices.iter().find(|s| {
                s.arch.cputype == arch.cputype
                    && s.arch.cpusubtype & !CPU_SUBTYPE_MASK == arch.cpusubtype & !CPU_SUBTYPE_MASK
            }) {
                return Err(UniversalError::DuplicateArch {
                    arch: arch.name.clone(),
                    first: other.label.to_string(),
                    second: label.to_string(),
                });
            }
            slices.push(Slice {
                label,
                arch,
                bytes: data,
            });
        }
    }
    slices.sort_by(|a, b| lipo_order(&a.arch, &b.arch));

    let mut offset = 8 + 20 * slices.len() as u64;
    let mut placed = Vec::with_capacity(slices.len());
    for slice in &slices {
        offset = offset.next_multiple_of(1 << slice.arch.align);
        placed.push(offset);
        offset += slice.arch.size;
    }
    if offset > u64::from(u32::MAX) {
        return Err(UniversalError::TooLarge { size: offset });
    }
    let mut out = Vec::with_capacity(offset as usize);
    out.extend_from_slice(&FAT_MAGIC.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    for (slice, &at) in slices.iter().zip(&placed) {
        for field in [
            slice.arch.cputype,
            slice.arch.cpusubtype,
            at as u32,
            slice.arch.size as u32,
            slice.arch.align,
        ] {
            out.extend_from_slice(&field.to_be_bytes());
        }
    }
    for (slice, &at) in slices.iter().zip(&placed) {
        out.resize(at as usize, 0);
        out.extend_from_slice(slice.bytes);
    }
    Ok(out)
}

/// cctools `lipo`'s `cmp_qsort`, made total: one `cputype` by `cpusubtype`;
/// arm64 after everything else; the rest by alignment, then `cputype`.
fn lipo_order(a: &MachoArch, b: &MachoArch) -> std::cmp::Ordering {
    let sub = |arch: &MachoArch| arch.cpusubtype & !CPU_SUBTYPE_MASK;
    if a.cputype == b.cputype {
        return sub(a).cmp(&sub(b)).then(a.cpusubtype.cmp(&b.cpusubtype));
    }
    let arm64 = |arch: &MachoArch| arch.cputype == CPU_TYPE_ARM64;
    arm64(a)
        .cmp(&arm64(b))
        .then(a.align.cmp(&b.align))
        .then(a.cputype.cmp(&b.cputype))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal thin 64-bit Mach-O: header plus one LC_SEGMENT_64 at `vmaddr`.
    fn thin(cputype: u32, cpusubtype: u32, file_type: u32, vmaddr: u64) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [MH_MAGIC_64, cputype, cpusubtype, file_type, 1, 72, 0, 0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&LC_SEGMENT_64.to_le_bytes());
        b.extend_from_slice(&72u32.to_le_bytes());
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&vmaddr.to_le_bytes());
        b.extend_from_slice(&[0; 40]);
        b.extend_from_slice(&[0xaa; 100]);
        b
    }

    #[test]
    fn names() {
        assert_eq!(arch_name(CPU_TYPE_X86_64, 3), "x86_64");
        assert_eq!(arch_name(CPU_TYPE_ARM64, 0x8000_0002), "arm64e");
        assert_eq!(arch_name(CPU_TYPE_X86, 3), "i386");
        assert_eq!(arch_name(99, 1), "cputype=99 cpusubtype=1");
    }

    #[test]
    fn thin_alignment_follows_segments() {
        let a = macho_architectures(&thin(CPU_TYPE_X86_64, 3, MH_EXECUTE, 0x1000)).unwrap();
        assert_eq!((a[0].name.as_str(), a[0].align, a[0].size), ("x86_64", 12, 204));
        let a = macho_architectures(&thin(CPU_TYPE_ARM64, 0, MH_EXECUTE, 0x1_0000_4000)).unwrap();
        assert_eq!(a[0].align, 14);
        let a = macho_architectures(&thin(CPU_TYPE_ARM64, 0, MH_EXECUTE, 0)).unwrap();
        assert_eq!(a[0].align, 15);
    }

    #[test]
    fn merge_orders_aligns_and_is_order_independent() {
        let x = thin(CPU_TYPE_X86_64, 3, MH_EXECUTE, 0x1000);
        let a = thin(CPU_TYPE_ARM64, 0, MH_EXECUTE, 0x4000);
        let fat = universal_binary(&[("a", &a), ("x", &x)]).unwrap();
        assert_eq!(fat, universal_binary(&[("x", &x), ("a", &a)]).unwrap());
        let archs = macho_architectures(&fat).unwrap();
        let got: Vec<_> = archs.iter().map(|a| (a.name.as_str(), a.offset, a.align)).collect();
        assert_eq!(got, [("x86_64", 4096, 12), ("arm64", 16384, 14)]);
        // Merging a universal binary again with nothing new is the identity.
        assert_eq!(universal_binary(&[("fat", &fat)]).unwrap(), fat);
    }

    #[test]
    fn refusals() {
        let x = thin(CPU_TYPE_X86_64, 3, MH_EXECUTE, 0x1000);
        let d = thin(CPU_TYPE_ARM64, 0, MH_DYLIB, 0x4000);
        assert!(matches!(universal_binary(&[]), Err(UniversalError::NoInput)));
        let e = universal_binary(&[("one", &x), ("two", &x)]).unwrap_err().to_string();
        assert!(e.contains("one") && e.contains("two") && e.contains("x86_64"), "{e}");
        let e = universal_binary(&[("exe", &x), ("lib", &d)]).unwrap_err().to_string();
        assert!(e.contains("MH_EXECUTE") && e.contains("MH_DYLIB"), "{e}");
        let e = universal_binary(&[("script.sh", b"#!/bin/sh\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("script.sh is not a Mach-O file"), "{e}");
        // A Java class file shares the universal magic.
        let e = macho_architectures(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]).unwrap_err();
        assert!(matches!(e, UniversalError::NotMachO { .. }));
    }
}
