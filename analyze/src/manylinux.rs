//! Portable-Linux policies (PEP 513, 571, 599, 600 for manylinux; PEP 656
//! for musllinux) and the distributions whose C library satisfies them.
//!
//! A policy is a glibc version, an allow-list of system libraries a wheel
//! may link against without bundling them, and the newest symbol version of
//! each system-library family (`GLIBC`, `GLIBCXX`, `CXXABI`, `GCC`, `ZLIB`)
//! the reference distribution of the policy provides. The verdict is
//! computed the way auditwheel computes it: the oldest policy whose symbol
//! versions *and* allow-list the file satisfies, where the dynamic loader
//! (`ld-linux*`, `ld64.so.*`) and `libpython` are never held against a file.
//!
//! The table below is written from the PEPs and the symbol versions each
//! reference distribution's libraries define; `analyze/tests/elf.rs`
//! compares it version by version, for every architecture, with the policy
//! files auditwheel ships.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::Architecture;
use crate::elf::{ElfAnalysis, split_version};

/// A dotted numeric version (`2.17`, `3.4.21`); compared component by
/// component, so `2.2.5 < 2.3 < 2.17`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(Vec<u32>);

impl Version {
    /// Parses `2.17` or `3.4.21`; `None` for anything not purely numeric.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(Self)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Missing components count as 0, so `11.0` equals `11.0.0` for limits.
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| self.0.get(i).unwrap_or(&0).cmp(other.0.get(i).unwrap_or(&0)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// The symbol-version families a policy limits; versions of other families
/// (`OPENSSL_3.0.0`, …) belong to libraries outside every allow-list anyway.
pub const FAMILIES: [&str; 5] = ["GLIBC", "GLIBCXX", "CXXABI", "GCC", "ZLIB"];

/// One manylinux policy.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// `manylinux_2_17`.
    pub name: &'static str,
    /// The legacy name (`manylinux2014`), if any.
    pub alias: Option<&'static str>,
    /// The glibc version, as (major, minor).
    pub glibc: (u32, u32),
    /// Newest `GLIBCXX_`, `CXXABI_`, `GCC_` and `ZLIB_` versions on x86_64
    /// (other architectures: [`ARCH_LIMITS`]). `None`: no version allowed.
    limits: [Option<&'static str>; 4],
    /// Whether `libexpat.so.1` is on the allow-list (PEP 571 added it).
    expat: bool,
    arches: &'static [Architecture],
}

use Architecture::{Aarch64, Armv7l, I686, Ppc64, Ppc64le, Riscv64, S390x, X86_64};

const INTEL: &[Architecture] = &[X86_64, I686];
const PEP599: &[Architecture] = &[X86_64, I686, Aarch64, Armv7l, Ppc64, Ppc64le, S390x];
const PEP600: &[Architecture] = &[X86_64, I686, Aarch64, Armv7l, Ppc64le, S390x];
const PEP600_RISCV: &[Architecture] = &[X86_64, I686, Aarch64, Armv7l, Ppc64le, S390x, Riscv64];

const fn policy(
    name: &'static str,
    alias: Option<&'static str>,
    glibc: (u32, u32),
    limits: [Option<&'static str>; 4],
    arches: &'static [Architecture],
) -> Policy {
    Policy {
        name,
        alias,
        glibc,
        limits,
        expat: glibc.1 >= 12,
        arches,
    }
}

/// The manylinux policies, oldest (most compatible) first. Limits:
/// `[GLIBCXX, CXXABI, GCC, ZLIB]` of the policy's reference distribution
/// (CentOS 5/6/7, Debian 9, Ubuntu 18.04, AlmaLinux 8, …).
pub const POLICIES: &[Policy] = &[
    policy(
        "manylinux_2_5",
        Some("manylinux1"),
        (2, 5),
        [Some("3.4.8"), Some("1.3.1"), Some("4.2.0"), None],
        INTEL,
    ),
    policy(
        "manylinux_2_12",
        Some("manylinux2010"),
        (2, 12),
        [Some("3.4.13"), Some("1.3.3"), Some("4.3.0"), Some("1.2.2.4")],
        INTEL,
    ),
    policy(
        "manylinux_2_17",
        Some("manylinux2014"),
        (2, 17),
        [Some("3.4.19"), Some("1.3.7"), Some("4.8.0"), Some("1.2.5.2")],
        PEP599,
    ),
    policy(
        "manylinux_2_24",
        None,
        (2, 24),
        [Some("3.4.22"), Some("1.3.10"), Some("4.8.0"), Some("1.2.5.2")],
        PEP600,
    ),
    policy(
        "manylinux_2_27",
        None,
        (2, 27),
        [Some("3.4.24"), Some("1.3.11"), Some("7.0.0"), Some("1.2.9")],
        PEP600,
    ),
    policy(
        "manylinux_2_28",
        None,
        (2, 28),
        [Some("3.4.24"), Some("1.3.11"), Some("7.0.0"), Some("1.2.9")],
        PEP600,
    ),
    policy(
        "manylinux_2_31",
        None,
        (2, 31),
        [Some("3.4.28"), Some("1.3.12"), Some("7.0.0"), Some("1.2.9")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_34",
        None,
        (2, 34),
        [Some("3.4.29"), Some("1.3.13"), Some("7.0.0"), Some("1.2.9")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_35",
        None,
        (2, 35),
        [Some("3.4.30"), Some("1.3.13"), Some("12.0.0"), Some("1.2.9")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_36",
        None,
        (2, 36),
        [Some("3.4.30"), Some("1.3.13"), Some("12.0.0"), Some("1.2.9")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_37",
        None,
        (2, 37),
        [Some("3.4.31"), Some("1.3.14"), Some("13.0.0"), Some("1.2.12")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_38",
        None,
        (2, 38),
        [Some("3.4.32"), Some("1.3.14"), Some("13.0.0"), Some("1.2.12")],
        PEP600_RISCV,
    ),
    policy(
        "manylinux_2_39",
        None,
        (2, 39),
        [Some("3.4.32"), Some("1.3.15"), Some("14.0.0"), Some("1.2.12")],
        PEP600_RISCV,
    ),
];

/// Where another architecture's reference libraries define a newer version
/// than x86_64's: (policy, architecture, family, newest version). Older
/// maxima need no entry, because a version the architecture never had
/// cannot be required.
pub const ARCH_LIMITS: &[(&str, Architecture, &str, &str)] = &[
    // CentOS 7's aarch64 glibc is 2.17 with symbols versioned GLIBC_2.18
    // (its port was based on 2.18); auditwheel allows them for manylinux2014.
    ("manylinux_2_17", Aarch64, "GLIBC", "2.18"),
    ("manylinux_2_12", I686, "GCC", "4.5.0"),
    ("manylinux_2_34", Aarch64, "GCC", "11.0"),
    ("manylinux_2_35", Aarch64, "GCC", "11.0"),
    ("manylinux_2_36", Aarch64, "GCC", "11.0"),
    ("manylinux_2_36", I686, "ZLIB", "1.2.12"),
    ("manylinux_2_37", Aarch64, "GCC", "11.0"),
];

/// Symbol versions without a plain number, and the first policy (by glibc
/// minor) that allows them: C++ transactional memory (`CXXABI_TM_1`, GCC
/// 4.7), `__float128` (`CXXABI_FLOAT128`, GCC 5) and glibc's RELR marker
/// (`GLIBC_ABI_DT_RELR`, glibc 2.36). Versions with a numeric tail
/// (`GLIBCXX_LDBL_3.4.21`, `CXXABI_ARM_1.3.3`) follow their number.
/// riscv64's reference distribution for 2.36 and 2.37 lacks the RELR
/// marker, so there it starts at 2.38.
const NAMED_VERSIONS: &[(&str, u32)] = &[("CXXABI_TM_1", 17), ("CXXABI_FLOAT128", 24), ("GLIBC_ABI_DT_RELR", 36)];

/// Libraries every manylinux policy allows (PEP 513's list, which later
/// policies kept), before `libexpat.so.1` (PEP 571 on).
pub const BASE_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libnsl.so.1",
    "libresolv.so.2",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libGL.so.1",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "libz.so.1",
];

impl Policy {
    /// The platform tag for `arch` (`manylinux_2_17_x86_64`).
    pub fn tag(&self, arch: Architecture) -> String {
        format!("{}_{}", self.name, arch)
    }

    /// Whether wheels of this policy exist for `arch`.
    pub fn supports(&self, arch: Architecture) -> bool {
        self.arches.contains(&arch)
    }

    /// Whether `library` may be linked without bundling it.
    pub fn allows_library(&self, library: &str) -> bool {
        BASE_LIBRARIES.contains(&library) || (self.expat && library == "libexpat.so.1")
    }

    /// The newest version of `family` this policy allows on `arch`; `None`
    /// if it allows none, or does not limit the family at all (see
    /// [`FAMILIES`]).
    pub fn limit(&self, arch: Architecture, family: &str) -> Option<Version> {
        let exception = ARCH_LIMITS
            .iter()
            .find(|(p, a, f, _)| *p == self.name && *a == arch && *f == family)
            .map(|(_, _, _, v)| *v);
        if family == "GLIBC" {
            let own = format!("{}.{}", self.glibc.0, self.glibc.1);
            return Version::parse(exception.unwrap_or(&own));
        }
        let index = FAMILIES[1..].iter().position(|f| *f == family)?;
        Version::parse(exception.or(self.limits[index])?)
    }

    /// Whether a required symbol version (`GLIBCXX_3.4.21`) is within this
    /// policy on `arch`. Families the policy does not limit always pass.
    pub fn allows_version(&self, arch: Architecture, symbol_version: &str) -> bool {
        let (family, number) = split_version(symbol_version);
        if !FAMILIES.contains(&family) {
            return true;
        }
        if let Some((name, minor)) = NAMED_VERSIONS.iter().find(|(n, _)| *n == symbol_version) {
            let minor = if *name == "GLIBC_ABI_DT_RELR" && arch == Riscv64 {
                38
            } else {
                *minor
            };
            return self.glibc.1 >= minor;
        }
        // `LDBL_3.4.21`, `IEEE128_1.3.13`, `ARM_1.3.3`: the number after the last `_`.
        let number = number.rsplit('_').next().unwrap_or(number);
        match (Version::parse(number), self.limit(arch, family)) {
            (Some(v), Some(limit)) => v <= limit,
            // `GLIBC_PRIVATE` and other unordered names: no policy promises them.
            _ => false,
        }
    }
}

/// The result of checking a file (or a wheel's files) against a family of
/// policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The most compatible policy satisfied (`manylinux_2_17`), or `linux`
    /// when none is.
    pub policy: String,
    /// Its legacy name (`manylinux2014`), if any.
    pub alias: Option<String>,
    /// The wheel platform tag (`manylinux_2_17_x86_64`, `linux_x86_64`).
    pub tag: String,
    /// The glibc version the policy stands for (manylinux only).
    pub glibc: Option<String>,
    /// Needed libraries on no policy's allow-list: they must be bundled
    /// (what `auditwheel repair` does) before any policy is satisfied.
    pub external_libraries: Vec<String>,
    /// Required symbol versions newer than the newest policy allows.
    pub too_new_versions: Vec<String>,
    /// Why the verdict may be less certain than it looks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Libraries never held against a file: the dynamic loader and libpython
/// (the interpreter provides it), as auditwheel does.
fn always_allowed(library: &str) -> bool {
    library.contains("ld-linux") || library == "ld64.so.1" || library == "ld64.so.2" || is_libpython(library)
}

/// `libpython3.11.so.1.0`, `libpython2.7m.so` (auditwheel's `LIBPYTHON_RE`).
fn is_libpython(library: &str) -> bool {
    let Some(rest) = library.strip_prefix("libpython") else {
        return false;
    };
    let Some((version, tail)) = rest.split_once(".so") else {
        return false;
    };
    let version = version.strip_suffix('m').unwrap_or(version);
    let version_ok = version
        .split_once('.')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()));
    version_ok && (tail.is_empty() || tail.starts_with('.'))
}

/// The manylinux verdict for a set of ELF files shipped together (one file,
/// or every ELF file in a wheel). `bundled` says which needed libraries the
/// set provides itself (a wheel's `.libs` directory): they are not external.
/// The most restrictive file decides, as in `auditwheel show`.
pub fn manylinux_verdict_for(files: &[&ElfAnalysis], bundled: &dyn Fn(&str) -> bool) -> Verdict {
    let Some(arch) = files.first().map(|f| f.architecture) else {
        return linux_verdict(X86_64, Vec::new(), Vec::new(), None);
    };
    let (libraries, versions) = requirements(files, bundled);
    let candidates: Vec<&Policy> = POLICIES.iter().filter(|p| p.supports(arch)).collect();
    // Separately, then the newer of the two, as auditwheel combines its
    // "symbol" and "reference" policies.
    let by_versions = candidates
        .iter()
        .position(|p| versions.iter().all(|v| p.allows_version(arch, v)));
    let by_libraries = candidates
        .iter()
        .position(|p| libraries.iter().all(|l| p.allows_library(l)));
    match (by_versions, by_libraries) {
        (Some(a), Some(b)) => {
            let p = candidates[a.max(b)];
            Verdict {
                policy: p.name.to_string(),
                alias: p.alias.map(String::from),
                tag: p.tag(arch),
                glibc: Some(format!("{}.{}", p.glibc.0, p.glibc.1)),
                external_libraries: Vec::new(),
                too_new_versions: Vec::new(),
                note: None,
            }
        }
        _ => {
            let newest = candidates.last();
            let external = libraries
                .iter()
                .filter(|l| !newest.is_some_and(|p| p.allows_library(l)))
                .cloned()
                .collect();
            let too_new = versions
                .iter()
                .filter(|v| !newest.is_some_and(|p| p.allows_version(arch, v)))
                .cloned()
                .collect();
            linux_verdict(arch, external, too_new, None)
        }
    }
}

/// [`manylinux_verdict_for`] of one file.
pub fn manylinux_verdict(file: &ElfAnalysis, bundled: &dyn Fn(&str) -> bool) -> Verdict {
    manylinux_verdict_for(&[file], bundled)
}

/// The musllinux policies, oldest first (PEP 656). musl defines no symbol
/// versions, so the only check is the allow-list: musl's libc and zlib.
pub const MUSL_POLICIES: &[&str] = &["musllinux_1_1", "musllinux_1_2"];

const MUSL_ARCHES: &[Architecture] = PEP600;

/// musl's `libc.so` under the name binaries record (`libc.musl-x86_64.so.1`).
fn musl_libc_soname(arch: Architecture) -> &'static str {
    match arch {
        X86_64 => "libc.musl-x86_64.so.1",
        I686 => "libc.musl-x86.so.1",
        Aarch64 => "libc.musl-aarch64.so.1",
        S390x => "libc.musl-s390x.so.1",
        Ppc64le => "libc.musl-ppc64le.so.1",
        Armv7l => "libc.musl-armv7.so.1",
        Ppc64 => "libc.musl-ppc64.so.1",
        Riscv64 => "libc.musl-riscv64.so.1",
    }
}

/// The musllinux verdict for a set of ELF files shipped together; see
/// [`manylinux_verdict_for`] for `bundled`.
pub fn musllinux_verdict_for(files: &[&ElfAnalysis], bundled: &dyn Fn(&str) -> bool) -> Verdict {
    let arch = files.first().map_or(X86_64, |f| f.architecture);
    let (libraries, _) = requirements(files, bundled);
    let external: Vec<String> = libraries
        .into_iter()
        .filter(|l| l != musl_libc_soname(arch) && l != "libc.so" && l != "libz.so.1")
        .collect();
    let note = Some(
        "musl records no symbol versions, so the musl release a file needs is not in the file; \
         musllinux_1_1 and musllinux_1_2 allow the same libraries (auditwheel takes the version from the build machine's musl)"
            .to_string(),
    );
    if !MUSL_ARCHES.contains(&arch) || !external.is_empty() {
        return linux_verdict(arch, external, Vec::new(), note);
    }
    let name = MUSL_POLICIES[0];
    Verdict {
        policy: name.to_string(),
        alias: None,
        tag: format!("{name}_{arch}"),
        glibc: None,
        external_libraries: Vec::new(),
        too_new_versions: Vec::new(),
        note,
    }
}

/// [`musllinux_verdict_for`] of one file.
pub fn musllinux_verdict(file: &ElfAnalysis, bundled: &dyn Fn(&str) -> bool) -> Verdict {
    musllinux_verdict_for(&[file], bundled)
}

fn linux_verdict(arch: Architecture, external: Vec<String>, too_new: Vec<String>, note: Option<String>) -> Verdict {
    Verdict {
        policy: "linux".to_string(),
        alias: None,
        tag: format!("linux_{arch}"),
        glibc: None,
        external_libraries: external,
        too_new_versions: too_new,
        note,
    }
}

/// The needed libraries (sorted, deduplicated, loader/libpython/bundled
/// removed) and the required symbol versions (sorted, deduplicated, those
/// required from the loader left out, as auditwheel does) of `files`.
fn requirements(files: &[&ElfAnalysis], bundled: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let mut libraries: Vec<String> = files
        .iter()
        .flat_map(|f| f.needed.iter())
        .filter(|l| !always_allowed(l) && !bundled(l))
        .cloned()
        .collect();
    libraries.sort();
    libraries.dedup();
    let mut versions: Vec<String> = files
        .iter()
        .flat_map(|f| f.version_requirements.iter())
        .filter(|l| !l.library.contains("ld-linux") && l.library != "ld64.so.1" && l.library != "ld64.so.2")
        .flat_map(|l| l.versions.iter())
        .cloned()
        .collect();
    versions.sort();
    versions.dedup();
    (libraries, versions)
}

/// The first glibc version on `arch`: what a file that requires no newer
/// `GLIBC_` symbol version needs.
pub fn glibc_baseline(arch: Architecture) -> Version {
    let text = match arch {
        X86_64 => "2.2.5",
        I686 | Ppc64 => "2.0",
        // EABI ports start at 2.4, the 64-bit ARM and POWER LE ports at 2.17.
        Armv7l => "2.4",
        Aarch64 | Ppc64le => "2.17",
        S390x => "2.2",
        Riscv64 => "2.27",
    };
    Version::parse(text).unwrap_or(Version(vec![2, 0]))
}

/// A Linux distribution release and the glibc it ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Distribution {
    /// `Debian 12`.
    pub name: &'static str,
    /// `2.36`.
    pub glibc: &'static str,
}

/// Well-known releases and their glibc, oldest glibc first (each release's
/// own glibc package version).
pub const DISTRIBUTIONS: &[Distribution] = &[
    Distribution {
        name: "CentOS 7 / RHEL 7",
        glibc: "2.17",
    },
    Distribution {
        name: "Debian 9",
        glibc: "2.24",
    },
    Distribution {
        name: "Amazon Linux 2",
        glibc: "2.26",
    },
    Distribution {
        name: "Ubuntu 18.04",
        glibc: "2.27",
    },
    Distribution {
        name: "RHEL 8 / AlmaLinux 8 / Rocky 8",
        glibc: "2.28",
    },
    Distribution {
        name: "Debian 10",
        glibc: "2.28",
    },
    Distribution {
        name: "Debian 11",
        glibc: "2.31",
    },
    Distribution {
        name: "Ubuntu 20.04",
        glibc: "2.31",
    },
    Distribution {
        name: "RHEL 9 / AlmaLinux 9 / Rocky 9",
        glibc: "2.34",
    },
    Distribution {
        name: "Amazon Linux 2023",
        glibc: "2.34",
    },
    Distribution {
        name: "Ubuntu 22.04",
        glibc: "2.35",
    },
    Distribution {
        name: "Debian 12",
        glibc: "2.36",
    },
    Distribution {
        name: "Ubuntu 24.04",
        glibc: "2.39",
    },
];

/// The releases in [`DISTRIBUTIONS`] whose glibc is at least `min_glibc`
/// (`2.28`); none if `min_glibc` is not a version.
pub fn distributions_satisfying(min_glibc: &str) -> Vec<Distribution> {
    let Some(needed) = Version::parse(min_glibc) else {
        return Vec::new();
    };
    DISTRIBUTIONS
        .iter()
        .filter(|d| Version::parse(d.glibc).is_some_and(|g| g >= needed))
        .copied()
        .collect()
}
