//! Mach-O analysis on real macOS binaries from pinned PyPI wheels, each
//! checked against `llvm-objdump --macho --private-headers` as the oracle.

mod common;

use std::path::{Path, PathBuf};

use oxdist_analyze::macho::{DylibKind, MachOAnalysis, MachOArch, MachOFileType, MinOsSource};
use oxdist_analyze::{AnalyzeError, Architecture, Details, Format, analyze};
use oxdist_testing::{cp311_platform_args, fetch_wheel, wheel_member};

/// ninja's universal2 wheel: a fat executable whose arm64 slice is signed.
fn ninja_wheel() -> PathBuf {
    fetch_wheel(
        "ninja==1.11.1.1",
        "ninja-1.11.1.1-",
        &["macosx_10_9_universal2"],
        &cp311_platform_args("macosx_10_9_universal2"),
    )
}

fn markupsafe_mac(version: &str, platform: &str) -> PathBuf {
    fetch_wheel(
        &format!("markupsafe=={version}"),
        &format!("markupsafe-{version}-"),
        &["cp311", platform],
        &cp311_platform_args(platform),
    )
}

/// numpy's arm64 wheel: dylibs with several `LC_RPATH`s and `@loader_path`
/// install names, left by delocate and the gfortran build.
fn numpy_arm64_wheel() -> PathBuf {
    fetch_wheel(
        "numpy==1.26.4",
        "numpy-1.26.4-",
        &["cp311", "macosx_11_0_arm64"],
        &cp311_platform_args("macosx_11_0_arm64"),
    )
}

fn analyze_member(wheel: &Path, member: &str) -> (MachOAnalysis, Vec<u8>) {
    let bytes = wheel_member(wheel, member);
    let analysis = analyze(&bytes, Path::new(member)).unwrap_or_else(|e| panic!("{member}: {e}"));
    assert_eq!(analysis.format, Format::MachO);
    let Details::MachO(macho) = analysis.details else {
        panic!("{member}: not Mach-O details: {:?}", analysis.details)
    };
    let expected: Vec<Architecture> = macho
        .slices
        .iter()
        .filter_map(|s| match s.arch {
            MachOArch::X86_64 => Some(Architecture::X86_64),
            MachOArch::Arm64 | MachOArch::Arm64e => Some(Architecture::Aarch64),
            MachOArch::I386 => Some(Architecture::I686),
            MachOArch::Other { .. } => None,
        })
        .collect();
    assert_eq!(analysis.architectures, expected, "{member}");
    (macho, bytes)
}

/// One architecture as llvm-objdump prints it, in our terms.
#[derive(Debug, Default, PartialEq)]
struct OracleSlice {
    arch: String,
    file_type: String,
    dylibs: Vec<(String, String)>,
    rpaths: Vec<String>,
    min_os: Option<(String, String)>,
    code_signed: bool,
}

/// Parses `llvm-objdump --macho --private-headers --arch=all`: per slice the
/// Mach header line, then `Load command N` blocks of `key value` lines.
fn objdump(bytes: &[u8]) -> Vec<OracleSlice> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    std::fs::write(&path, bytes).unwrap();
    let text = common::llvm_tool(
        "llvm-objdump",
        &["--macho", "--private-headers", "--arch=all", path.to_str().unwrap()],
    );
    let mut slices: Vec<OracleSlice> = Vec::new();
    let mut cmd = String::new();
    let mut build_platform = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if line.starts_with("Mach header") {
            // Column header, then the values: magic cputype cpusubtype caps filetype …
            lines.next();
            let values: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
            let arch = match (values[1], values[2]) {
                ("X86_64", _) => "x86_64",
                ("ARM64", "E") => "arm64e",
                ("ARM64", _) => "arm64",
                ("I386", _) => "i386",
                (other, _) => other,
            };
            slices.push(OracleSlice {
                arch: arch.into(),
                file_type: values[4].into(),
                ..Default::default()
            });
            continue;
        }
        let Some(slice) = slices.last_mut() else {
            continue;
        };
        let Some((key, value)) = trimmed.split_once(' ') else {
            continue;
        };
        let value = value.trim();
        // Strings print as `name /path (offset 24)`.
        let string = || value.rsplit_once(" (offset ").map_or(value, |(s, _)| s).to_string();
        match (key, cmd.as_str()) {
            ("cmd", _) => {
                cmd = value.to_string();
                if cmd == "LC_CODE_SIGNATURE" {
                    slice.code_signed = true;
                }
            }
            (
                "name",
                "LC_LOAD_DYLIB"
                | "LC_LOAD_WEAK_DYLIB"
                | "LC_REEXPORT_DYLIB"
                | "LC_LAZY_LOAD_DYLIB"
                | "LC_LOAD_UPWARD_DYLIB",
            ) => {
                slice.dylibs.push((cmd.clone(), string()));
            }
            ("path", "LC_RPATH") => slice.rpaths.push(string()),
            ("platform", "LC_BUILD_VERSION") => build_platform = value.to_string(),
            ("minos", "LC_BUILD_VERSION") => slice.min_os = Some((build_platform.clone(), value.to_string())),
            ("version", "LC_VERSION_MIN_MACOSX") if slice.min_os.is_none() => {
                slice.min_os = Some(("macos".into(), value.to_string()))
            }
            _ => {}
        }
    }
    slices
}

#[track_caller]
fn assert_matches_oracle(name: &str, macho: &MachOAnalysis, bytes: &[u8]) {
    let ours: Vec<OracleSlice> = macho
        .slices
        .iter()
        .map(|s| OracleSlice {
            arch: s.arch.name(),
            file_type: match s.file_type {
                MachOFileType::Executable => "EXECUTE".into(),
                MachOFileType::Dylib => "DYLIB".into(),
                MachOFileType::Bundle => "BUNDLE".into(),
                MachOFileType::Other(raw) => raw.to_string(),
            },
            dylibs: s
                .dylibs
                .iter()
                .map(|d| {
                    let cmd = match d.kind {
                        DylibKind::Load => "LC_LOAD_DYLIB",
                        DylibKind::Weak => "LC_LOAD_WEAK_DYLIB",
                        DylibKind::Reexport => "LC_REEXPORT_DYLIB",
                        DylibKind::Lazy => "LC_LAZY_LOAD_DYLIB",
                        DylibKind::Upward => "LC_LOAD_UPWARD_DYLIB",
                    };
                    (cmd.to_string(), d.path.clone())
                })
                .collect(),
            rpaths: s.rpaths.clone(),
            min_os: s.min_os.map(|m| (m.platform.name(), m.version_string())),
            code_signed: s.code_signed,
        })
        .collect();
    let oracle = objdump(bytes);
    // Every file here links libSystem: no dylibs means the parse broke.
    assert!(
        !oracle.is_empty() && oracle.iter().all(|s| !s.dylibs.is_empty()),
        "{name}: llvm-objdump output not understood"
    );
    assert_eq!(ours, oracle, "{name}");
}

#[test]
fn fat_ninja_executable() {
    let member = "ninja/data/bin/ninja";
    let (macho, bytes) = analyze_member(&ninja_wheel(), member);
    assert_matches_oracle(member, &macho, &bytes);
    assert!(macho.fat);
    let archs: Vec<MachOArch> = macho.slices.iter().map(|s| s.arch).collect();
    assert_eq!(archs, [MachOArch::X86_64, MachOArch::Arm64]);
    let (x86, arm) = (&macho.slices[0], &macho.slices[1]);
    // The x86_64 slice predates LC_BUILD_VERSION; only arm64 must be signed.
    assert_eq!(x86.min_os.unwrap().source, MinOsSource::VersionMin);
    assert_eq!(x86.min_os.unwrap().version_string(), "10.9");
    assert!(!x86.code_signed);
    assert_eq!(arm.min_os.unwrap().source, MinOsSource::BuildVersion);
    assert_eq!(arm.min_os.unwrap().version_string(), "11.0");
    assert!(arm.code_signed);
    for slice in &macho.slices {
        assert_eq!(slice.file_type, MachOFileType::Executable);
        let paths: Vec<&str> = slice.dylibs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/usr/lib/libc++.1.dylib", "/usr/lib/libSystem.B.dylib"]);
    }
}

#[test]
fn thin_and_universal_extension_modules() {
    let member = "markupsafe/_speedups.cpython-311-darwin.so";
    // (wheel, slice architectures)
    let cases = [
        (markupsafe_mac("3.0.2", "macosx_11_0_arm64"), vec![MachOArch::Arm64]),
        (markupsafe_mac("2.1.5", "macosx_10_9_x86_64"), vec![MachOArch::X86_64]),
        (
            markupsafe_mac("2.1.5", "macosx_10_9_universal2"),
            vec![MachOArch::X86_64, MachOArch::Arm64],
        ),
    ];
    for (wheel, archs) in cases {
        let (macho, bytes) = analyze_member(&wheel, member);
        assert_matches_oracle(&format!("{}: {member}", wheel.display()), &macho, &bytes);
        assert_eq!(macho.fat, archs.len() > 1);
        assert_eq!(macho.slices.iter().map(|s| s.arch).collect::<Vec<_>>(), archs);
        for slice in &macho.slices {
            assert_eq!(slice.file_type, MachOFileType::Bundle);
            assert!(slice.rpaths.is_empty());
            let paths: Vec<&str> = slice.dylibs.iter().map(|d| d.path.as_str()).collect();
            assert_eq!(paths, ["/usr/lib/libSystem.B.dylib"]);
        }
    }
}

#[test]
fn numpy_dylibs_with_rpaths() {
    let wheel = numpy_arm64_wheel();
    for member in [
        "numpy/.dylibs/libgfortran.5.dylib",
        "numpy/.dylibs/libopenblas64_.0.dylib",
        "numpy/.dylibs/libgcc_s.1.1.dylib",
    ] {
        let (macho, bytes) = analyze_member(&wheel, member);
        assert_matches_oracle(member, &macho, &bytes);
        assert_eq!(macho.slices[0].file_type, MachOFileType::Dylib);
        assert!(macho.slices[0].code_signed, "{member}");
    }
    let (macho, _) = analyze_member(&wheel, "numpy/.dylibs/libgfortran.5.dylib");
    assert_eq!(macho.slices[0].rpaths, ["@loader_path/", "@loader_path"]);
    assert!(
        macho.slices[0]
            .dylibs
            .iter()
            .any(|d| d.path == "@loader_path/libquadmath.0.dylib")
    );
}

#[test]
fn json_output_is_tagged_macho() {
    let bytes = wheel_member(&ninja_wheel(), "ninja/data/bin/ninja");
    let analysis = analyze(&bytes, Path::new("ninja")).unwrap();
    let json = serde_json::to_value(&analysis).unwrap();
    assert_eq!(json["format"], "macho");
    assert_eq!(json["architectures"], serde_json::json!(["x86_64", "aarch64"]));
    assert_eq!(json["details"]["macho"]["slices"][1]["arch"], "arm64");
    assert_eq!(json["details"]["macho"]["slices"][1]["code_signed"], true);
}

#[test]
fn truncated_macho_is_a_clear_error() {
    let bytes = wheel_member(&ninja_wheel(), "ninja/data/bin/ninja");
    let err = analyze(&bytes[..3000], Path::new("bin/ninja")).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, AnalyzeError::Damaged { format: "Mach-O", .. }), "{err:?}");
    assert!(
        message.contains("bin/ninja")
            && message.contains("truncated or damaged Mach-O file")
            && message.contains("x86_64"),
        "{message}"
    );
    let thin = wheel_member(
        &markupsafe_mac("3.0.2", "macosx_11_0_arm64"),
        "markupsafe/_speedups.cpython-311-darwin.so",
    );
    let err = analyze(&thin[..200], Path::new("_speedups.so")).unwrap_err();
    assert!(err.to_string().contains("load commands"), "{err}");
    // No prefix of a real file panics: each is analysed or refused.
    for len in (0..thin.len()).step_by(97) {
        let _ = analyze(&thin[..len], Path::new("_speedups.so"));
    }
}
