//! Binary analysis: what an executable or shared library needs from the
//! machine it runs on, and which portable-Linux policy it satisfies.
//!
//! [`analyze`] detects the format from the first bytes and hands the file to
//! the module for that format: ELF ([`elf`], with the manylinux/musllinux
//! policies in [`manylinux`]), PE ([`pe`]) and Mach-O ([`macho`]). [`Analysis`] is the same shape for every format (format,
//! architectures, format-specific [`Details`]) so `--json` output can grow a
//! variant without changing what is already there.

pub mod elf;
pub mod macho;
pub mod manylinux;
pub mod pe;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use elf::{ElfAnalysis, ElfKind, Libc, LibraryVersions};
pub use manylinux::{Distribution, Verdict};

/// What [`analyze`] found in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The file as the caller named it.
    pub path: PathBuf,
    /// The container format.
    pub format: Format,
    /// The architectures the file has code for (one for ELF; a universal
    /// Mach-O will list several).
    pub architectures: Vec<Architecture>,
    /// What only this format has.
    pub details: Details,
}

impl Analysis {
    /// The ELF details, if the file is ELF.
    pub fn elf(&self) -> Option<&ElfAnalysis> {
        match &self.details {
            Details::Elf(elf) => Some(elf),
            _ => None,
        }
    }

    /// The PE details, if the file is PE.
    pub fn pe(&self) -> Option<&pe::PeAnalysis> {
        match &self.details {
            Details::Pe(pe) => Some(pe),
            _ => None,
        }
    }

    /// The Mach-O details, if the file is Mach-O.
    pub fn macho(&self) -> Option<&macho::MachOAnalysis> {
        match &self.details {
            Details::MachO(macho) => Some(macho),
            _ => None,
        }
    }
}

/// A binary container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// Executable and Linkable Format (Linux and most Unix systems).
    Elf,
    /// Portable Executable (Windows executables, DLLs, `.pyd` files).
    Pe,
    /// Mach-O, thin or fat (macOS executables, dylibs, `.so` files).
    #[serde(rename = "macho")]
    MachO,
}

/// Format-specific results, tagged by format in JSON (`{"elf": {...}}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
// One value per analysed file, never in bulk: boxing the ELF variant would
// only make matching on it clumsier.
#[allow(clippy::large_enum_variant)]
pub enum Details {
    /// An ELF file.
    Elf(ElfAnalysis),
    /// A PE file.
    Pe(pe::PeAnalysis),
    /// A Mach-O file: one entry per architecture slice.
    #[serde(rename = "macho")]
    MachO(macho::MachOAnalysis),
}

/// A CPU architecture, named the way wheel platform tags and auditwheel
/// name it (`x86_64`, `aarch64`, `i686`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub enum Architecture {
    /// AMD64 / Intel 64.
    #[serde(rename = "x86_64")]
    X86_64,
    /// 32-bit x86.
    #[serde(rename = "i686")]
    I686,
    /// 64-bit ARM.
    #[serde(rename = "aarch64")]
    Aarch64,
    /// 32-bit ARM (hard-float EABI as wheels use it).
    #[serde(rename = "armv7l")]
    Armv7l,
    /// 64-bit POWER, little-endian.
    #[serde(rename = "ppc64le")]
    Ppc64le,
    /// 64-bit POWER, big-endian.
    #[serde(rename = "ppc64")]
    Ppc64,
    /// IBM Z.
    #[serde(rename = "s390x")]
    S390x,
    /// 64-bit RISC-V.
    #[serde(rename = "riscv64")]
    Riscv64,
}

impl Architecture {
    /// The name used in wheel tags and policy files.
    pub fn name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::I686 => "i686",
            Self::Aarch64 => "aarch64",
            Self::Armv7l => "armv7l",
            Self::Ppc64le => "ppc64le",
            Self::Ppc64 => "ppc64",
            Self::S390x => "s390x",
            Self::Riscv64 => "riscv64",
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file could not be analysed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyzeError {
    /// The file could not be read.
    #[error("cannot read {}: {source}; check that the path exists and is readable", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A directory was given where a file was expected.
    #[error("{} is a directory; name an executable or shared library inside it", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
    },
    /// Not an executable or library of any known format.
    #[error(
        "{} is not a binary (no ELF, PE or Mach-O header{}); name an executable or shared library",
        path.display(),
        if *.len < 4 { format!(": only {} bytes", len) } else { String::new() }
    )]
    NotBinary {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        len: usize,
    },
    /// The header says ELF but the file is cut short or inconsistent.
    #[error("{} is a truncated or damaged ELF file ({message}); copy it again from its source", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        message: String,
    },
    /// The header says PE or Mach-O but the file is cut short or
    /// inconsistent.
    #[error("{} is a truncated or damaged {format} file ({message}); copy it again from its source", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// `PE` or `Mach-O`.
        format: &'static str,
        /// What did not parse.
        message: String,
    },
    /// An ELF machine this crate has no name for.
    #[error(
        "{} is an ELF file for an unknown architecture (e_machine {machine}, {bits}-bit); supported: x86_64, i686, aarch64, armv7l, ppc64le, ppc64, s390x, riscv64",
        path.display()
    )]
    UnknownArchitecture {
        /// The file.
        path: PathBuf,
        /// The raw `e_machine` value.
        machine: u16,
        /// 32 or 64.
        bits: u8,
    },
}

/// Analyses the bytes of one file; `path` is only used to name it in the
/// result and in errors.
pub fn analyze(bytes: &[u8], path: &Path) -> Result<Analysis, AnalyzeError> {
    match detect(bytes) {
        Some(Detected::Elf) => {
            let elf = elf::analyze_elf(bytes, path)?;
            Ok(Analysis {
                path: path.to_path_buf(),
                format: Format::Elf,
                architectures: vec![elf.architecture],
                details: Details::Elf(elf),
            })
        }
        Some(Detected::Pe) => {
            let damaged = |message: String| AnalyzeError::Damaged {
                path: path.to_path_buf(),
                format: "PE",
                message,
            };
            // "MZ" alone is also a DOS program; object's detection looks
            // for the PE header behind it and says which optional header.
            let pe = match object::FileKind::parse(bytes) {
                Ok(object::FileKind::Pe32) => pe::analyze_pe(bytes, false),
                Ok(object::FileKind::Pe64) => pe::analyze_pe(bytes, true),
                Ok(_) | Err(_) => return Err(damaged("no PE header after the MZ stub".into())),
            }
            .map_err(|e| damaged(e.to_string()))?;
            Ok(Analysis {
                path: path.to_path_buf(),
                format: Format::Pe,
                architectures: pe.machine.architecture().into_iter().collect(),
                details: Details::Pe(pe),
            })
        }
        Some(Detected::MachO) => {
            let macho = macho::analyze_macho(bytes).map_err(|e| AnalyzeError::Damaged {
                path: path.to_path_buf(),
                format: "Mach-O",
                message: e.to_string(),
            })?;
            Ok(Analysis {
                path: path.to_path_buf(),
                format: Format::MachO,
                architectures: macho.slices.iter().filter_map(|s| s.arch.architecture()).collect(),
                details: Details::MachO(macho),
            })
        }
        None => Err(AnalyzeError::NotBinary {
            path: path.to_path_buf(),
            len: bytes.len(),
        }),
    }
}

/// Reads `path` and analyses it; a directory or unreadable file is an error
/// naming it.
pub fn analyze_file(path: &Path) -> Result<Analysis, AnalyzeError> {
    // Checked first: reading a directory fails with an OS message ("Is a
    // directory") that does not say what to do instead.
    if path.is_dir() {
        return Err(AnalyzeError::Directory {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| AnalyzeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    analyze(&bytes, path)
}

enum Detected {
    Elf,
    Pe,
    MachO,
}

fn detect(bytes: &[u8]) -> Option<Detected> {
    let magic: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    match magic {
        [0x7f, b'E', b'L', b'F'] => Some(Detected::Elf),
        [b'M', b'Z', ..] => Some(Detected::Pe),
        // 32/64-bit Mach-O in either byte order, and the universal (fat) header.
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe] => {
            Some(Detected::MachO)
        }
        _ => None,
    }
}
