//! Mach-O files (macOS executables, dylibs, `.so` extension modules), thin or
//! fat (universal): per architecture, what a Mac needs to run them.
//!
//! Read with `object`'s Mach-O parser: the fat header, each slice's header
//! and its load commands. The code signature is detected, not validated.

use object::macho;
use object::read::macho::{FatArch, LoadCommandVariant, MachHeader, MachOFatFile32, MachOFatFile64};
use object::{Endianness, FileKind};
use serde::Serialize;

/// What a Mach-O file says about the machines that can run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachOAnalysis {
    /// Whether the file is a fat (universal) file holding several slices.
    pub fat: bool,
    /// One entry per architecture, in file order (one for a thin file).
    pub slices: Vec<MachOSlice>,
}

/// One architecture's code in a Mach-O file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachOSlice {
    /// The CPU this slice is for.
    pub arch: MachOArch,
    /// Executable, dylib, bundle (what `.so` extension modules are), ...
    pub file_type: MachOFileType,
    /// The libraries the dynamic loader binds, in load-command order.
    pub dylibs: Vec<LinkedDylib>,
    /// `LC_RPATH` entries, in order: where `@rpath/` names are looked up.
    pub rpaths: Vec<String>,
    /// The oldest OS release the slice runs on, if it says.
    pub min_os: Option<MinOs>,
    /// Whether `LC_CODE_SIGNATURE` is present (arm64 code must be signed,
    /// at least ad hoc, to run on macOS). The signature is not validated.
    pub code_signed: bool,
}

/// A slice's CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MachOArch {
    /// `CPU_TYPE_X86_64`.
    X86_64,
    /// `CPU_TYPE_ARM64` (any subtype but arm64e).
    Arm64,
    /// `CPU_TYPE_ARM64`, `CPU_SUBTYPE_ARM64E`: pointer authentication.
    Arm64e,
    /// `CPU_TYPE_X86`.
    I386,
    /// Any other CPU type and subtype (capability bits removed).
    Other {
        /// `cputype`.
        cputype: u32,
        /// `cpusubtype` without `CPU_SUBTYPE_MASK` bits.
        cpusubtype: u32,
    },
}

impl MachOArch {
    fn from_raw(cputype: u32, cpusubtype: u32) -> Self {
        // The top byte of the subtype holds capability flags (e.g. the
        // arm64e ABI version), not the subtype.
        let cpusubtype = cpusubtype & !macho::CPU_SUBTYPE_MASK;
        match cputype {
            macho::CPU_TYPE_X86_64 => Self::X86_64,
            macho::CPU_TYPE_X86 => Self::I386,
            macho::CPU_TYPE_ARM64 if cpusubtype == macho::CPU_SUBTYPE_ARM64E => Self::Arm64e,
            macho::CPU_TYPE_ARM64 => Self::Arm64,
            _ => Self::Other { cputype, cpusubtype },
        }
    }

    /// The crate-wide architecture, if it has one (arm64e is aarch64).
    pub fn architecture(&self) -> Option<crate::Architecture> {
        match self {
            Self::X86_64 => Some(crate::Architecture::X86_64),
            Self::Arm64 | Self::Arm64e => Some(crate::Architecture::Aarch64),
            Self::I386 => Some(crate::Architecture::I686),
            Self::Other { .. } => None,
        }
    }

    /// Apple's name for the architecture (`x86_64`, `arm64`, `arm64e`,
    /// `i386`), or the raw numbers.
    pub fn name(&self) -> String {
        match self {
            Self::X86_64 => "x86_64".into(),
            Self::Arm64 => "arm64".into(),
            Self::Arm64e => "arm64e".into(),
            Self::I386 => "i386".into(),
            Self::Other { cputype, cpusubtype } => format!("cputype {cputype:#x} subtype {cpusubtype:#x}"),
        }
    }
}

/// The header's `filetype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MachOFileType {
    /// `MH_EXECUTE`.
    Executable,
    /// `MH_DYLIB`.
    Dylib,
    /// `MH_BUNDLE`: loaded with `dlopen`, like Python extension modules.
    Bundle,
    /// Any other `MH_*` value.
    Other(u32),
}

/// How a slice links a library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DylibKind {
    /// `LC_LOAD_DYLIB`: required at load time.
    Load,
    /// `LC_LOAD_WEAK_DYLIB`: may be missing.
    Weak,
    /// `LC_REEXPORT_DYLIB`: required, and its symbols are re-exported.
    Reexport,
    /// `LC_LAZY_LOAD_DYLIB`: loaded on first use.
    Lazy,
    /// `LC_LOAD_UPWARD_DYLIB`: required, with a dependency cycle allowed.
    Upward,
}

/// One linked library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedDylib {
    /// The install name, e.g. `/usr/lib/libSystem.B.dylib` or
    /// `@rpath/libfoo.dylib`.
    pub path: String,
    /// Which load command named it.
    pub kind: DylibKind,
}

/// A minimum OS release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MinOs {
    /// The platform.
    pub platform: ApplePlatform,
    /// The release: major, minor, patch.
    pub version: (u16, u8, u8),
    /// Which load command said so.
    pub source: MinOsSource,
}

impl MinOs {
    /// `major.minor`, with `.patch` when it is not zero, as Apple writes it.
    pub fn version_string(&self) -> String {
        let (major, minor, patch) = self.version;
        if patch == 0 {
            format!("{major}.{minor}")
        } else {
            format!("{major}.{minor}.{patch}")
        }
    }
}

/// Where a minimum OS release came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MinOsSource {
    /// `LC_BUILD_VERSION` (macOS 10.14 SDKs and later).
    BuildVersion,
    /// `LC_VERSION_MIN_*` (older toolchains).
    VersionMin,
}

/// An Apple platform as `LC_BUILD_VERSION` numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplePlatform {
    /// `PLATFORM_MACOS`.
    MacOs,
    /// `PLATFORM_IOS`.
    Ios,
    /// `PLATFORM_TVOS`.
    TvOs,
    /// `PLATFORM_WATCHOS`.
    WatchOs,
    /// `PLATFORM_MACCATALYST`.
    MacCatalyst,
    /// `PLATFORM_IOSSIMULATOR`.
    IosSimulator,
    /// Any other `PLATFORM_*` value.
    Other(u32),
}

impl ApplePlatform {
    fn from_raw(platform: u32) -> Self {
        match platform {
            macho::PLATFORM_MACOS => Self::MacOs,
            macho::PLATFORM_IOS => Self::Ios,
            macho::PLATFORM_TVOS => Self::TvOs,
            macho::PLATFORM_WATCHOS => Self::WatchOs,
            macho::PLATFORM_MACCATALYST => Self::MacCatalyst,
            macho::PLATFORM_IOSSIMULATOR => Self::IosSimulator,
            other => Self::Other(other),
        }
    }

    /// The platform's name as `llvm-objdump` and `vtool` print it.
    pub fn name(&self) -> String {
        match self {
            Self::MacOs => "macos".into(),
            Self::Ios => "ios".into(),
            Self::TvOs => "tvos".into(),
            Self::WatchOs => "watchos".into(),
            Self::MacCatalyst => "maccatalyst".into(),
            Self::IosSimulator => "iossimulator".into(),
            Self::Other(raw) => format!("platform {raw}"),
        }
    }
}

/// Why a Mach-O file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MachOError {
    /// A structure `object` could not parse (usually a truncated file).
    #[error("cannot read the {what}: {source}")]
    Parse {
        /// Which part of the file.
        what: String,
        /// `object`'s reason.
        source: object::read::Error,
    },
    /// A fat file whose slice is not a Mach-O file, or a file that is not
    /// Mach-O at all.
    #[error("{what} is not a Mach-O image")]
    NotMachO {
        /// Which part of the file.
        what: String,
    },
}

/// Reads a thin or fat Mach-O file.
pub fn analyze_macho(data: &[u8]) -> Result<MachOAnalysis, MachOError> {
    let kind = FileKind::parse(data).map_err(|source| MachOError::Parse {
        what: "Mach-O header".into(),
        source,
    })?;
    let fat_err = |source| MachOError::Parse {
        what: "fat header".into(),
        source,
    };
    let slices = match kind {
        FileKind::MachO32 | FileKind::MachO64 => {
            return Ok(MachOAnalysis {
                fat: false,
                slices: vec![slice(data, "Mach-O header")?],
            });
        }
        FileKind::MachOFat32 => fat_slices(MachOFatFile32::parse(data).map_err(fat_err)?.arches(), data)?,
        FileKind::MachOFat64 => fat_slices(MachOFatFile64::parse(data).map_err(fat_err)?.arches(), data)?,
        _ => {
            return Err(MachOError::NotMachO {
                what: "the file".into(),
            });
        }
    };
    Ok(MachOAnalysis { fat: true, slices })
}

fn fat_slices<A: FatArch>(arches: &[A], data: &[u8]) -> Result<Vec<MachOSlice>, MachOError> {
    arches
        .iter()
        .enumerate()
        .map(|(index, arch)| {
            let name = MachOArch::from_raw(arch.cputype(), arch.cpusubtype()).name();
            let what = format!("fat slice {index} ({name})");
            let bytes = arch.data(data).map_err(|source| MachOError::Parse {
                what: what.clone(),
                source,
            })?;
            slice(bytes, &what)
        })
        .collect()
}

/// Reads one thin image; `what` names it in errors.
fn slice(data: &[u8], what: &str) -> Result<MachOSlice, MachOError> {
    match FileKind::parse(data) {
        Ok(FileKind::MachO32) => slice_generic::<macho::MachHeader32<Endianness>>(data, what),
        Ok(FileKind::MachO64) => slice_generic::<macho::MachHeader64<Endianness>>(data, what),
        Ok(_) => Err(MachOError::NotMachO { what: what.into() }),
        Err(source) => Err(MachOError::Parse {
            what: what.into(),
            source,
        }),
    }
}

fn slice_generic<Mach: MachHeader<Endian = Endianness>>(data: &[u8], what: &str) -> Result<MachOSlice, MachOError> {
    let err = |part: &str| {
        let what = format!("{what}: {part}");
        move |source| MachOError::Parse { what, source }
    };
    let header = Mach::parse(data, 0).map_err(err("header"))?;
    let endian = header.endian().map_err(err("header"))?;
    let mut slice = MachOSlice {
        arch: MachOArch::from_raw(header.cputype(endian), header.cpusubtype(endian)),
        file_type: match header.filetype(endian) {
            macho::MH_EXECUTE => MachOFileType::Executable,
            macho::MH_DYLIB => MachOFileType::Dylib,
            macho::MH_BUNDLE => MachOFileType::Bundle,
            other => MachOFileType::Other(other),
        },
        dylibs: Vec::new(),
        rpaths: Vec::new(),
        min_os: None,
        code_signed: false,
    };
    let mut commands = header.load_commands(endian, data, 0).map_err(err("load commands"))?;
    while let Some(command) = commands.next().map_err(err("load commands"))? {
        let string = |s| {
            command
                .string(endian, s)
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .map_err(err("load command string"))
        };
        match command.variant().map_err(err("load command"))? {
            LoadCommandVariant::Dylib(dylib) => {
                let kind = match command.cmd() {
                    macho::LC_LOAD_WEAK_DYLIB => DylibKind::Weak,
                    macho::LC_REEXPORT_DYLIB => DylibKind::Reexport,
                    macho::LC_LAZY_LOAD_DYLIB => DylibKind::Lazy,
                    macho::LC_LOAD_UPWARD_DYLIB => DylibKind::Upward,
                    _ => DylibKind::Load,
                };
                slice.dylibs.push(LinkedDylib {
                    path: string(dylib.dylib.name)?,
                    kind,
                });
            }
            LoadCommandVariant::Rpath(rpath) => slice.rpaths.push(string(rpath.path)?),
            LoadCommandVariant::BuildVersion(build) => {
                slice.min_os = Some(MinOs {
                    platform: ApplePlatform::from_raw(build.platform.get(endian)),
                    version: decode_version(build.minos.get(endian)),
                    source: MinOsSource::BuildVersion,
                });
            }
            // LC_BUILD_VERSION wins where a file has both, as in dyld.
            LoadCommandVariant::VersionMin(min)
                if slice.min_os.is_none_or(|m| m.source != MinOsSource::BuildVersion) =>
            {
                let platform = match command.cmd() {
                    macho::LC_VERSION_MIN_MACOSX => ApplePlatform::MacOs,
                    macho::LC_VERSION_MIN_IPHONEOS => ApplePlatform::Ios,
                    macho::LC_VERSION_MIN_TVOS => ApplePlatform::TvOs,
                    _ => ApplePlatform::WatchOs,
                };
                slice.min_os = Some(MinOs {
                    platform,
                    version: decode_version(min.version.get(endian)),
                    source: MinOsSource::VersionMin,
                });
            }
            LoadCommandVariant::LinkeditData(_) if command.cmd() == macho::LC_CODE_SIGNATURE => {
                slice.code_signed = true;
            }
            _ => {}
        }
    }
    Ok(slice)
}

/// Decodes Apple's `xxxx.yy.zz` nibble-packed version.
fn decode_version(raw: u32) -> (u16, u8, u8) {
    ((raw >> 16) as u16, (raw >> 8) as u8, raw as u8)
}
