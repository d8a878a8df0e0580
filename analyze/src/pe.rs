//! Windows PE files (executables, DLLs, `.pyd` extension modules): what a
//! Windows machine needs to run them.
//!
//! Read with `object`'s PE parser. Only headers and the import directories
//! are read; the Authenticode signature is detected, not validated.

use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader, PeFile};
use serde::Serialize;

/// What a PE file says about the machine that can run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeAnalysis {
    /// The CPU the code is for.
    pub machine: PeMachine,
    /// PE32 (32-bit address space) or PE32+ (64-bit).
    pub format: PeFormat,
    /// Executable or DLL (`.pyd` files are DLLs).
    pub kind: PeKind,
    /// The Windows subsystem from the optional header.
    pub subsystem: PeSubsystem,
    /// DLLs named by the import directory, in table order, as written in
    /// the file (the loader compares them without regard to case).
    pub imports: Vec<String>,
    /// DLLs named by the delay-load import directory: loaded on first
    /// call, so a missing one fails late rather than at start-up.
    pub delay_imports: Vec<String>,
    /// The DLLs of both directories that are files to find (not API sets),
    /// in table order, each once.
    pub dlls: Vec<String>,
    /// The API sets of both directories, sorted, each once.
    pub api_sets: Vec<String>,
    /// The runtimes those imports need installed.
    pub runtimes: Vec<PeRuntime>,
    /// The operating-system and subsystem versions from the optional header.
    pub versions: PeVersions,
    /// The minimum Windows release, e.g. `Windows 7 / 6.1`
    /// ([`PeVersions::minimum_display`]).
    pub min_windows: String,
    /// Whether the file carries an Authenticode signature (a non-empty
    /// certificate table). The signature itself is not validated.
    pub signed: bool,
}

/// The CPU a PE file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeMachine {
    /// `IMAGE_FILE_MACHINE_I386`.
    X86,
    /// `IMAGE_FILE_MACHINE_AMD64`.
    X86_64,
    /// `IMAGE_FILE_MACHINE_ARM64`.
    Arm64,
    /// Any other machine, with its `IMAGE_FILE_MACHINE_*` value.
    Other(u16),
}

impl PeMachine {
    fn from_raw(machine: u16) -> Self {
        match machine {
            pe::IMAGE_FILE_MACHINE_I386 => Self::X86,
            pe::IMAGE_FILE_MACHINE_AMD64 => Self::X86_64,
            pe::IMAGE_FILE_MACHINE_ARM64 => Self::Arm64,
            other => Self::Other(other),
        }
    }

    /// The crate-wide architecture, if it has one.
    pub fn architecture(&self) -> Option<crate::Architecture> {
        match self {
            Self::X86 => Some(crate::Architecture::I686),
            Self::X86_64 => Some(crate::Architecture::X86_64),
            Self::Arm64 => Some(crate::Architecture::Aarch64),
            Self::Other(_) => None,
        }
    }

    /// The name Windows tooling uses (`x86`, `x64`, `arm64`) or the raw value.
    pub fn name(&self) -> String {
        match self {
            Self::X86 => "x86".into(),
            Self::X86_64 => "x64".into(),
            Self::Arm64 => "arm64".into(),
            Self::Other(raw) => format!("machine {raw:#06x}"),
        }
    }
}

/// The optional header's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeFormat {
    /// Magic `0x10b`: 32-bit.
    Pe32,
    /// Magic `0x20b`: 64-bit.
    Pe32Plus,
}

/// Whether a PE file is run or loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeKind {
    /// No `IMAGE_FILE_DLL` flag.
    Executable,
    /// `IMAGE_FILE_DLL` set (DLLs and `.pyd` extension modules).
    Dll,
}

/// The subsystem an image asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeSubsystem {
    /// `IMAGE_SUBSYSTEM_WINDOWS_CUI`: opens or inherits a console.
    Console,
    /// `IMAGE_SUBSYSTEM_WINDOWS_GUI`: no console.
    Gui,
    /// Any other `IMAGE_SUBSYSTEM_*` value.
    Other(u16),
}

/// The version fields of the optional header that bound where a file runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeVersions {
    /// `MajorOperatingSystemVersion.MinorOperatingSystemVersion`.
    pub operating_system: (u16, u16),
    /// `MajorSubsystemVersion.MinorSubsystemVersion`.
    pub subsystem: (u16, u16),
}

impl PeVersions {
    /// The minimum Windows version: the higher of the two fields, because the
    /// loader refuses an image whose subsystem version is newer than the
    /// running Windows, and the OS version states the author's intent.
    pub fn minimum(&self) -> (u16, u16) {
        self.operating_system.max(self.subsystem)
    }

    /// The minimum as a release name and number, e.g. `Windows 7 / 6.1`.
    pub fn minimum_display(&self) -> String {
        let (major, minor) = self.minimum();
        match windows_name(major, minor) {
            Some(name) => format!("{name} / {major}.{minor}"),
            None => format!("Windows {major}.{minor}"),
        }
    }
}

/// The release that introduced NT version `major.minor`.
fn windows_name(major: u16, minor: u16) -> Option<&'static str> {
    Some(match (major, minor) {
        (5, 0) => "Windows 2000",
        (5, 1) => "Windows XP",
        (5, 2) => "Windows XP x64 / Server 2003",
        (6, 0) => "Windows Vista",
        (6, 1) => "Windows 7",
        (6, 2) => "Windows 8",
        (6, 3) => "Windows 8.1",
        (10, 0) => "Windows 10",
        _ => return None,
    })
}

/// A runtime that must be installed on the target machine for a PE file's
/// imports to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeRuntime {
    /// `vcruntime140*.dll` or `msvcp140*.dll`: the Visual C++ 2015+
    /// redistributable (or those DLLs shipped beside the file).
    VcRedist,
    /// `ucrtbase.dll` or `api-ms-win-crt-*`: the Universal CRT, part of
    /// Windows 10 and later, an update on older releases.
    UniversalCrt,
}

impl PeRuntime {
    /// What to tell a user about this requirement.
    pub fn description(&self) -> &'static str {
        match self {
            Self::VcRedist => "needs the Visual C++ 2015+ redistributable",
            Self::UniversalCrt => "needs the Universal CRT (Windows 10 has it)",
        }
    }
}

/// Whether `dll` names an API set (`api-ms-win-*`, `ext-ms-*`): a virtual
/// name Windows maps to a real DLL, so it is never shipped or searched for.
pub fn is_api_set(dll: &str) -> bool {
    let lower = dll.to_ascii_lowercase();
    lower.starts_with("api-ms-win-") || lower.starts_with("ext-ms-")
}

/// The imported DLLs that are real files (both directories, not API sets),
/// in table order, each once.
fn real_dlls(imports: &[String], delay_imports: &[String]) -> Vec<String> {
    let mut dlls: Vec<String> = Vec::new();
    for dll in imports.iter().chain(delay_imports) {
        if !is_api_set(dll) && !dlls.iter().any(|d| d.eq_ignore_ascii_case(dll)) {
            dlls.push(dll.clone());
        }
    }
    dlls
}

/// The imported API sets (both directories), sorted and each once, so they
/// can be shown as one group instead of dozens of lines.
fn api_sets(imports: &[String], delay_imports: &[String]) -> Vec<String> {
    let mut sets: Vec<String> = imports
        .iter()
        .chain(delay_imports)
        .filter(|d| is_api_set(d))
        .cloned()
        .collect();
    sets.sort_by_key(|d| d.to_ascii_lowercase());
    sets.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    sets
}

/// The runtimes the imports need, sorted, each once.
fn runtimes(imports: &[String], delay_imports: &[String]) -> Vec<PeRuntime> {
    let mut runtimes: Vec<PeRuntime> = imports
        .iter()
        .chain(delay_imports)
        .filter_map(|dll| {
            let lower = dll.to_ascii_lowercase();
            if lower.starts_with("vcruntime140") || lower.starts_with("msvcp140") {
                Some(PeRuntime::VcRedist)
            } else if lower == "ucrtbase.dll" || lower.starts_with("api-ms-win-crt-") {
                Some(PeRuntime::UniversalCrt)
            } else {
                None
            }
        })
        .collect();
    runtimes.sort();
    runtimes.dedup();
    runtimes
}

/// Why a PE file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    /// A structure `object` could not parse (usually a truncated file).
    #[error("cannot read the {what}: {source}")]
    Parse {
        /// Which part of the file.
        what: &'static str,
        /// `object`'s reason.
        source: object::read::Error,
    },
    /// A DLL name in an import directory is not a NUL-terminated string
    /// inside the file.
    #[error("the {directory} names a DLL at RVA {rva:#x} that is not inside the file")]
    BadName {
        /// `import directory` or `delay-load import directory`.
        directory: &'static str,
        /// Where the name should be.
        rva: u32,
    },
    /// The certificate table points past the end of the file.
    #[error(
        "the certificate table (file offset {offset:#x}, {size} bytes) ends past the end of the file ({len} bytes)"
    )]
    CertificateOutside {
        /// The table's file offset.
        offset: u32,
        /// The table's size.
        size: u32,
        /// The file's size.
        len: usize,
    },
}

fn parse_err(what: &'static str) -> impl FnOnce(object::read::Error) -> PeError {
    move |source| PeError::Parse { what, source }
}

/// Reads a PE32 file (`pe64 == false`) or a PE32+ file.
pub fn analyze_pe(data: &[u8], pe64: bool) -> Result<PeAnalysis, PeError> {
    if pe64 {
        analyze_generic::<pe::ImageNtHeaders64>(data)
    } else {
        analyze_generic::<pe::ImageNtHeaders32>(data)
    }
}

fn analyze_generic<Pe: ImageNtHeaders>(data: &[u8]) -> Result<PeAnalysis, PeError> {
    let file = PeFile::<Pe>::parse(data).map_err(parse_err("PE headers"))?;
    let nt = file.nt_headers();
    let header = nt.file_header();
    let optional = nt.optional_header();

    let kind = if header.characteristics.get(LE) & pe::IMAGE_FILE_DLL != 0 {
        PeKind::Dll
    } else {
        PeKind::Executable
    };
    let subsystem = match optional.subsystem() {
        pe::IMAGE_SUBSYSTEM_WINDOWS_CUI => PeSubsystem::Console,
        pe::IMAGE_SUBSYSTEM_WINDOWS_GUI => PeSubsystem::Gui,
        other => PeSubsystem::Other(other),
    };

    let sections = file.section_table();
    let directories = file.data_directories();
    let mut imports = Vec::new();
    if let Some(table) = directories
        .import_table(data, &sections)
        .map_err(parse_err("import directory"))?
    {
        let mut descriptors = table.descriptors().map_err(parse_err("import directory"))?;
        while let Some(descriptor) = descriptors.next().map_err(parse_err("import directory"))? {
            let rva = descriptor.name.get(LE);
            let name = table.name(rva).map_err(|_| PeError::BadName {
                directory: "import directory",
                rva,
            })?;
            imports.push(String::from_utf8_lossy(name).into_owned());
        }
    }

    let mut delay_imports = Vec::new();
    if let Some(table) = directories
        .delay_load_import_table(data, &sections)
        .map_err(parse_err("delay-load import directory"))?
    {
        let mut descriptors = table.descriptors().map_err(parse_err("delay-load import directory"))?;
        while let Some(descriptor) = descriptors.next().map_err(parse_err("delay-load import directory"))? {
            let mut rva = descriptor.dll_name_rva.get(LE);
            // Attribute bit 0 clear is the Visual C++ 6 layout, whose
            // "RVAs" are virtual addresses including the image base.
            if descriptor.attributes.get(LE) & 1 == 0 {
                rva = u32::try_from(u64::from(rva).wrapping_sub(optional.image_base())).unwrap_or(u32::MAX);
            }
            let name = table.name(rva).map_err(|_| PeError::BadName {
                directory: "delay-load import directory",
                rva,
            })?;
            delay_imports.push(String::from_utf8_lossy(name).into_owned());
        }
    }

    // The security directory holds a file offset, not an RVA: the
    // certificate table is appended after the image and never mapped.
    let signed = match directories.get(pe::IMAGE_DIRECTORY_ENTRY_SECURITY) {
        Some(dir) if dir.size.get(LE) > 0 => {
            let (offset, size) = (dir.virtual_address.get(LE), dir.size.get(LE));
            let end = u64::from(offset) + u64::from(size);
            if end > data.len() as u64 {
                return Err(PeError::CertificateOutside {
                    offset,
                    size,
                    len: data.len(),
                });
            }
            true
        }
        _ => false,
    };

    let versions = PeVersions {
        operating_system: (
            optional.major_operating_system_version(),
            optional.minor_operating_system_version(),
        ),
        subsystem: (optional.major_subsystem_version(), optional.minor_subsystem_version()),
    };
    Ok(PeAnalysis {
        machine: PeMachine::from_raw(header.machine.get(LE)),
        format: if nt.is_type_64() {
            PeFormat::Pe32Plus
        } else {
            PeFormat::Pe32
        },
        kind,
        subsystem,
        dlls: real_dlls(&imports, &delay_imports),
        api_sets: api_sets(&imports, &delay_imports),
        runtimes: runtimes(&imports, &delay_imports),
        imports,
        delay_imports,
        min_windows: versions.minimum_display(),
        versions,
        signed,
    })
}
