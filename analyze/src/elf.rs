//! ELF files: what the dynamic loader will need on the target machine.
//!
//! Everything comes from the parts the loader itself reads: the program
//! headers (`PT_INTERP`), the dynamic section (`DT_NEEDED`, `DT_RPATH`,
//! `DT_RUNPATH`, `DT_SONAME`, `DT_FLAGS_1`) and the symbol version
//! requirements (`.gnu.version_r`), parsed with the `object` crate's
//! low-level ELF reader. Symbol tables and debug information are not needed,
//! so stripped files give the same answer.

use std::collections::BTreeMap;
use std::path::Path;

use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::{Endianness, FileKind};
use serde::Serialize;

use crate::manylinux::{self, Verdict, Version};
use crate::{AnalyzeError, Architecture};

/// What an ELF file is and needs.
#[derive(Debug, Clone, Serialize)]
pub struct ElfAnalysis {
    /// The CPU architecture.
    pub architecture: Architecture,
    /// 32 or 64.
    pub bits: u8,
    /// Executable, PIE executable, shared object, …
    pub kind: ElfKind,
    /// The dynamic loader named by `PT_INTERP`, if any.
    pub interpreter: Option<String>,
    /// `DT_SONAME`.
    pub soname: Option<String>,
    /// `DT_NEEDED`, in file order.
    pub needed: Vec<String>,
    /// `DT_RPATH` entries (searched before `LD_LIBRARY_PATH`).
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` entries.
    pub runpath: Vec<String>,
    /// Symbol versions required from each library (`.gnu.version_r`), in
    /// file order.
    pub version_requirements: Vec<LibraryVersions>,
    /// Which C library the file is linked against.
    pub libc: Libc,
    /// The oldest glibc that provides every `GLIBC_` version the file needs
    /// (the architecture's first glibc ABI when it needs none); `None` unless
    /// [`Self::libc`] is glibc.
    pub min_glibc: Option<String>,
    /// The most compatible manylinux policy the file satisfies (glibc files).
    pub manylinux: Option<Verdict>,
    /// The most compatible musllinux policy the file satisfies (musl files).
    pub musllinux: Option<Verdict>,
}

/// The role of an ELF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElfKind {
    /// `ET_EXEC`: a position-dependent executable.
    Executable,
    /// `ET_DYN` marked `DF_1_PIE`, or with an interpreter and no soname: a
    /// position-independent executable.
    PieExecutable,
    /// `ET_DYN`: a shared library or extension module.
    SharedObject,
    /// `ET_REL`: an object file, not linked yet.
    Relocatable,
    /// `ET_CORE` or anything else.
    Other,
}

/// The C library an ELF file is linked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// GNU libc (`libc.so.6`, `ld-linux*`).
    Glibc,
    /// musl (`ld-musl-*` interpreter, `libc.musl-*` or `libc.so` needed).
    Musl,
    /// No dynamic C library (static, or a library needing none).
    None,
}

/// The symbol versions one file requires from one library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryVersions {
    /// The library as named in `.gnu.version_r` (its soname).
    pub library: String,
    /// Every version required, in file order (`GLIBC_2.14`, `GLIBCXX_3.4.21`, …).
    pub versions: Vec<String>,
    /// The highest numeric version per family (`GLIBC` → `2.14`); versions
    /// such as `GLIBC_PRIVATE` or `CXXABI_TM_1` have no order and appear
    /// only in [`Self::versions`].
    pub highest: BTreeMap<String, String>,
}

/// Splits a symbol version into family and version the way auditwheel does:
/// at the first underscore (`GLIBCXX_3.4.21` → `GLIBCXX`, `3.4.21`).
pub fn split_version(symbol_version: &str) -> (&str, &str) {
    symbol_version.split_once('_').unwrap_or((symbol_version, ""))
}

/// Parses and analyses one ELF file. Called by [`crate::analyze`] after the
/// magic matched; `path` names the file in errors.
pub fn analyze_elf(bytes: &[u8], path: &Path) -> Result<ElfAnalysis, AnalyzeError> {
    let malformed = |e: object::Error| AnalyzeError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    match FileKind::parse(bytes).map_err(malformed)? {
        FileKind::Elf32 => read::<elf::FileHeader32<Endianness>>(bytes, path),
        FileKind::Elf64 => read::<elf::FileHeader64<Endianness>>(bytes, path),
        // The magic matched but the class byte is neither 1 nor 2.
        _ => Err(AnalyzeError::Malformed {
            path: path.to_path_buf(),
            message: format!(
                "ELF class byte {} is neither 32- nor 64-bit",
                bytes.get(4).copied().unwrap_or(0)
            ),
        }),
    }
}

fn read<Elf: FileHeader<Endian = Endianness>>(bytes: &[u8], path: &Path) -> Result<ElfAnalysis, AnalyzeError> {
    let malformed = |e: object::Error| AnalyzeError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let header = Elf::parse(bytes).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    let bits = if header.is_type_64() { 64 } else { 32 };
    let machine = header.e_machine(endian);
    let architecture = architecture(machine, bits, endian).ok_or_else(|| AnalyzeError::UnknownArchitecture {
        path: path.to_path_buf(),
        machine,
        bits,
    })?;

    let mut interpreter = None;
    for segment in header.program_headers(endian, bytes).map_err(malformed)? {
        if let Some(interp) = segment.interpreter(endian, bytes).map_err(malformed)? {
            interpreter = Some(String::from_utf8_lossy(interp).into_owned());
        }
    }

    let sections = header.sections(endian, bytes).map_err(malformed)?;
    let mut needed = Vec::new();
    let (mut rpath, mut runpath, mut soname, mut pie_flag) = (Vec::new(), Vec::new(), None, false);
    if let Some((entries, strings_index)) = sections.dynamic(endian, bytes).map_err(malformed)? {
        let strings = sections.strings(endian, bytes, strings_index).map_err(malformed)?;
        for entry in entries {
            let tag: i64 = entry.d_tag(endian).into();
            if tag == elf::DT_NULL {
                break;
            }
            let text = || -> Result<String, AnalyzeError> {
                let value = entry.string(endian, strings).map_err(malformed)?;
                Ok(String::from_utf8_lossy(value).into_owned())
            };
            match tag {
                elf::DT_NEEDED => needed.push(text()?),
                elf::DT_SONAME => soname = Some(text()?),
                // Colon-separated lists; empty entries mean the current directory
                // to the loader, but are never written on purpose.
                elf::DT_RPATH => rpath.extend(text()?.split(':').filter(|s| !s.is_empty()).map(String::from)),
                elf::DT_RUNPATH => runpath.extend(text()?.split(':').filter(|s| !s.is_empty()).map(String::from)),
                elf::DT_FLAGS_1 => pie_flag = Into::<u64>::into(entry.d_val(endian)) & u64::from(elf::DF_1_PIE) != 0,
                _ => {}
            }
        }
    }

    let mut version_requirements = Vec::new();
    if let Some((mut needs, strings_index)) = sections.gnu_verneed(endian, bytes).map_err(malformed)? {
        let strings = sections.strings(endian, bytes, strings_index).map_err(malformed)?;
        while let Some((need, mut aux)) = needs.next().map_err(malformed)? {
            let library = String::from_utf8_lossy(need.file(endian, strings).map_err(malformed)?).into_owned();
            let mut versions = Vec::new();
            while let Some(entry) = aux.next().map_err(malformed)? {
                versions.push(String::from_utf8_lossy(entry.name(endian, strings).map_err(malformed)?).into_owned());
            }
            let highest = highest_per_family(&versions);
            version_requirements.push(LibraryVersions {
                library,
                versions,
                highest,
            });
        }
    }

    let kind = match header.e_type(endian) {
        elf::ET_EXEC => ElfKind::Executable,
        elf::ET_DYN if pie_flag || (interpreter.is_some() && soname.is_none()) => ElfKind::PieExecutable,
        elf::ET_DYN => ElfKind::SharedObject,
        elf::ET_REL => ElfKind::Relocatable,
        _ => ElfKind::Other,
    };

    let libc = if interpreter.as_deref().is_some_and(|i| i.contains("ld-musl-"))
        // Binaries linked on musl name `libc.musl-<arch>.so.1`; some name musl's
        // own soname `libc.so`, which glibc never uses (its libc is `libc.so.6`).
        || needed.iter().any(|n| n.starts_with("libc.musl-") || n == "libc.so")
    {
        Libc::Musl
    } else if needed.iter().any(|n| n == "libc.so.6")
        || interpreter.as_deref().is_some_and(is_glibc_loader)
        || version_requirements
            .iter()
            .any(|l| l.versions.iter().any(|v| split_version(v).0 == "GLIBC"))
    {
        Libc::Glibc
    } else {
        Libc::None
    };

    let mut analysis = ElfAnalysis {
        architecture,
        bits,
        kind,
        interpreter,
        soname,
        needed,
        rpath,
        runpath,
        version_requirements,
        libc,
        min_glibc: None,
        manylinux: None,
        musllinux: None,
    };
    if libc == Libc::Glibc {
        analysis.min_glibc = Some(min_glibc(&analysis).to_string());
    }
    match libc {
        Libc::Musl => analysis.musllinux = Some(manylinux::musllinux_verdict(&analysis, &|_| false)),
        _ => analysis.manylinux = Some(manylinux::manylinux_verdict(&analysis, &|_| false)),
    }
    Ok(analysis)
}

/// The loaders glibc installs (`ld-linux-x86-64.so.2`, `ld64.so.2`, …).
fn is_glibc_loader(interpreter: &str) -> bool {
    let name = interpreter.rsplit('/').next().unwrap_or(interpreter);
    name.starts_with("ld-linux") || name.starts_with("ld64.so") || name == "ld.so.1"
}

fn architecture(machine: u16, bits: u8, endian: Endianness) -> Option<Architecture> {
    Some(match (machine, bits) {
        (elf::EM_X86_64, 64) => Architecture::X86_64,
        (elf::EM_386, 32) => Architecture::I686,
        (elf::EM_AARCH64, 64) => Architecture::Aarch64,
        (elf::EM_ARM, 32) => Architecture::Armv7l,
        (elf::EM_PPC64, 64) if endian == Endianness::Little => Architecture::Ppc64le,
        (elf::EM_PPC64, 64) => Architecture::Ppc64,
        (elf::EM_S390, 64) => Architecture::S390x,
        (elf::EM_RISCV, 64) => Architecture::Riscv64,
        _ => return None,
    })
}

fn highest_per_family(versions: &[String]) -> BTreeMap<String, String> {
    let mut highest: BTreeMap<String, (Version, String)> = BTreeMap::new();
    for v in versions {
        let (family, number) = split_version(v);
        let Some(parsed) = Version::parse(number) else {
            continue;
        };
        let slot = highest
            .entry(family.to_string())
            .or_insert_with(|| (parsed.clone(), number.to_string()));
        if parsed > slot.0 {
            *slot = (parsed, number.to_string());
        }
    }
    highest.into_iter().map(|(k, (_, s))| (k, s)).collect()
}

/// The highest `GLIBC_` version required from any library (the loader
/// included: it is part of glibc), or the architecture's first glibc ABI.
fn min_glibc(analysis: &ElfAnalysis) -> Version {
    analysis
        .version_requirements
        .iter()
        .filter_map(|l| l.highest.get("GLIBC"))
        .filter_map(|v| Version::parse(v))
        .max()
        .unwrap_or_else(|| manylinux::glibc_baseline(analysis.architecture))
}
