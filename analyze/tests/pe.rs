//! PE analysis on real Windows binaries from pinned PyPI wheels, each checked
//! against `llvm-readobj` (LLVM's COFF reader) as the oracle.

mod common;

use std::path::{Path, PathBuf};

use oxdist_analyze::pe::{PeAnalysis, PeFormat, PeKind, PeMachine, PeRuntime, PeSubsystem};
use oxdist_analyze::{AnalyzeError, Architecture, Details, Format, analyze};
use oxdist_testing::{cp311_platform_args, fetch_wheel, pip_wheel, wheel_member};

fn markupsafe_win(platform: &str) -> PathBuf {
    fetch_wheel(
        "markupsafe==2.1.5",
        "markupsafe-2.1.5-",
        &["cp311", platform],
        &cp311_platform_args(platform),
    )
}

fn charset_normalizer_win_amd64() -> PathBuf {
    fetch_wheel(
        "charset-normalizer==3.3.2",
        "charset_normalizer-3.3.2-",
        &["cp311", "win_amd64"],
        &cp311_platform_args("win_amd64"),
    )
}

/// Microsoft's Visual C++ runtime DLLs, Authenticode-signed by Microsoft.
fn msvc_runtime_wheel() -> PathBuf {
    fetch_wheel(
        "msvc-runtime==14.40.33807",
        "msvc_runtime-14.40.33807-",
        &["cp311", "win_amd64"],
        &cp311_platform_args("win_amd64"),
    )
}

/// Analyses one member of a wheel and returns it with the member's bytes.
fn analyze_member(wheel: &Path, member: &str) -> (PeAnalysis, Vec<u8>) {
    let bytes = wheel_member(wheel, member);
    let analysis = analyze(&bytes, Path::new(member)).unwrap_or_else(|e| panic!("{member}: {e}"));
    assert_eq!(analysis.format, Format::Pe);
    let Details::Pe(pe) = analysis.details else {
        panic!("{member}: not PE details: {:?}", analysis.details)
    };
    let expected_arch = match pe.machine {
        PeMachine::X86 => vec![Architecture::I686],
        PeMachine::X86_64 => vec![Architecture::X86_64],
        PeMachine::Arm64 => vec![Architecture::Aarch64],
        PeMachine::Other(_) => vec![],
    };
    assert_eq!(analysis.architectures, expected_arch, "{member}");
    (pe, bytes)
}

/// What `llvm-readobj --file-headers --coff-imports` says about a file.
#[derive(Debug, Default)]
struct Oracle {
    machine: String,
    magic: String,
    dll: bool,
    subsystem: String,
    os_version: (u16, u16),
    subsystem_version: (u16, u16),
    certificate_size: u64,
    imports: Vec<String>,
    delay_imports: Vec<String>,
}

fn readobj(bytes: &[u8]) -> Oracle {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    std::fs::write(&path, bytes).unwrap();
    let text = common::llvm_tool(
        "llvm-readobj",
        &["--file-headers", "--coff-imports", path.to_str().unwrap()],
    );
    let mut oracle = Oracle::default();
    let (mut os, mut sub) = ([0u16; 2], [0u16; 2]);
    // Import and DelayImport blocks each start with their kind, then `Name:`.
    let mut in_delay = None;
    for line in text.lines().map(str::trim) {
        let Some((key, value)) = line.split_once(": ") else {
            match line {
                "Import {" => in_delay = Some(false),
                "DelayImport {" => in_delay = Some(true),
                _ => {}
            }
            continue;
        };
        let number = || value.split_whitespace().next().unwrap().parse::<u16>().unwrap();
        match key {
            "Machine" if oracle.machine.is_empty() => oracle.machine = value.to_string(),
            "Magic" if oracle.magic.is_empty() => oracle.magic = value.to_string(),
            "Subsystem" => oracle.subsystem = value.to_string(),
            "MajorOperatingSystemVersion" => os[0] = number(),
            "MinorOperatingSystemVersion" => os[1] = number(),
            "MajorSubsystemVersion" => sub[0] = number(),
            "MinorSubsystemVersion" => sub[1] = number(),
            "CertificateTableSize" => {
                oracle.certificate_size = u64::from_str_radix(value.trim_start_matches("0x"), 16).unwrap()
            }
            "Name" => match in_delay.take() {
                Some(false) => oracle.imports.push(value.to_string()),
                Some(true) => oracle.delay_imports.push(value.to_string()),
                None => {}
            },
            _ => {}
        }
    }
    // Characteristics flags are printed as bare lines.
    oracle.dll = text.lines().any(|l| l.trim() == "IMAGE_FILE_DLL (0x2000)");
    oracle.os_version = (os[0], os[1]);
    oracle.subsystem_version = (sub[0], sub[1]);
    oracle
}

/// Asserts that every field llvm-readobj also reports is the same.
#[track_caller]
fn assert_matches_oracle(name: &str, pe: &PeAnalysis, bytes: &[u8]) {
    let oracle = readobj(bytes);
    // Every file here imports something: an empty list means the parse broke.
    assert!(
        !oracle.imports.is_empty() && !oracle.machine.is_empty(),
        "{name}: llvm-readobj output not understood"
    );
    let machine = match pe.machine {
        PeMachine::X86 => "IMAGE_FILE_MACHINE_I386 (0x14C)".to_string(),
        PeMachine::X86_64 => "IMAGE_FILE_MACHINE_AMD64 (0x8664)".to_string(),
        PeMachine::Arm64 => "IMAGE_FILE_MACHINE_ARM64 (0xAA64)".to_string(),
        PeMachine::Other(raw) => format!("{raw:#X}"),
    };
    assert_eq!(machine, oracle.machine, "{name}: machine");
    let magic = match pe.format {
        PeFormat::Pe32 => "0x10B",
        PeFormat::Pe32Plus => "0x20B",
    };
    assert_eq!(magic, oracle.magic, "{name}: optional header magic");
    assert_eq!(pe.kind == PeKind::Dll, oracle.dll, "{name}: DLL flag");
    let subsystem = match pe.subsystem {
        PeSubsystem::Console => "IMAGE_SUBSYSTEM_WINDOWS_CUI (0x3)".to_string(),
        PeSubsystem::Gui => "IMAGE_SUBSYSTEM_WINDOWS_GUI (0x2)".to_string(),
        PeSubsystem::Other(raw) => format!("{raw}"),
    };
    assert_eq!(subsystem, oracle.subsystem, "{name}: subsystem");
    assert_eq!(pe.versions.operating_system, oracle.os_version, "{name}: OS version");
    assert_eq!(
        pe.versions.subsystem, oracle.subsystem_version,
        "{name}: subsystem version"
    );
    assert_eq!(pe.signed, oracle.certificate_size > 0, "{name}: signed");
    assert_eq!(pe.imports, oracle.imports, "{name}: imports");
    assert_eq!(pe.delay_imports, oracle.delay_imports, "{name}: delay-load imports");
}

#[test]
fn distlib_launchers_match_llvm_readobj() {
    let wheel = pip_wheel();
    // (member, machine, format, subsystem)
    let launchers = [
        ("t32.exe", PeMachine::X86, PeFormat::Pe32, PeSubsystem::Console),
        ("w32.exe", PeMachine::X86, PeFormat::Pe32, PeSubsystem::Gui),
        ("t64.exe", PeMachine::X86_64, PeFormat::Pe32Plus, PeSubsystem::Console),
        ("w64.exe", PeMachine::X86_64, PeFormat::Pe32Plus, PeSubsystem::Gui),
        (
            "t64-arm.exe",
            PeMachine::Arm64,
            PeFormat::Pe32Plus,
            PeSubsystem::Console,
        ),
        ("w64-arm.exe", PeMachine::Arm64, PeFormat::Pe32Plus, PeSubsystem::Gui),
    ];
    for (file, machine, format, subsystem) in launchers {
        let member = format!("pip/_vendor/distlib/{file}");
        let (pe, bytes) = analyze_member(&wheel, &member);
        assert_matches_oracle(&member, &pe, &bytes);
        assert_eq!(
            (pe.machine, pe.format, pe.subsystem),
            (machine, format, subsystem),
            "{member}"
        );
        assert_eq!(pe.kind, PeKind::Executable, "{member}");
        assert!(!pe.signed, "{member}: distlib's launchers are not signed");
        assert!(
            pe.dlls.iter().any(|d| d.eq_ignore_ascii_case("kernel32.dll")),
            "{member}: {pe:?}"
        );
    }
}

#[test]
fn extension_modules_need_python_vc_runtime_and_ucrt() {
    let cases = [
        (
            markupsafe_win("win_amd64"),
            "markupsafe/_speedups.cp311-win_amd64.pyd",
            PeMachine::X86_64,
        ),
        (
            markupsafe_win("win32"),
            "markupsafe/_speedups.cp311-win32.pyd",
            PeMachine::X86,
        ),
        (
            charset_normalizer_win_amd64(),
            "charset_normalizer/md__mypyc.cp311-win_amd64.pyd",
            PeMachine::X86_64,
        ),
    ];
    for (wheel, member, machine) in cases {
        let (pe, bytes) = analyze_member(&wheel, member);
        assert_matches_oracle(member, &pe, &bytes);
        assert_eq!(pe.machine, machine, "{member}");
        assert_eq!(pe.kind, PeKind::Dll, "{member}: a .pyd is a DLL");
        assert!(
            pe.dlls.iter().any(|d| d.eq_ignore_ascii_case("python311.dll")),
            "{member}: {pe:?}"
        );
        assert_eq!(pe.runtimes, [PeRuntime::VcRedist, PeRuntime::UniversalCrt], "{member}");
        // Grouped: every API set once, sorted, none left among the DLLs.
        assert!(
            !pe.api_sets.is_empty() && pe.api_sets.iter().all(|d| d.starts_with("api-ms-win-crt-")),
            "{member}"
        );
        assert!(
            pe.api_sets
                .windows(2)
                .all(|w| w[0].to_lowercase() < w[1].to_lowercase()),
            "{member}"
        );
        assert!(pe.dlls.iter().all(|d| !d.starts_with("api-ms-")), "{member}");
        assert_eq!(pe.dlls.len() + pe.api_sets.len(), pe.imports.len(), "{member}");
        assert!(!pe.signed, "{member}");
    }
    assert_eq!(
        PeRuntime::VcRedist.description(),
        "needs the Visual C++ 2015+ redistributable"
    );
    assert_eq!(
        PeRuntime::UniversalCrt.description(),
        "needs the Universal CRT (Windows 10 has it)"
    );
}

#[test]
fn signed_microsoft_runtime_dlls() {
    let wheel = msvc_runtime_wheel();
    let dir = "msvc_runtime-14.40.33807.data/data";
    for file in ["msvcp140.dll", "vcomp140.dll", "concrt140.dll"] {
        let member = format!("{dir}/{file}");
        let (pe, bytes) = analyze_member(&wheel, &member);
        assert_matches_oracle(&member, &pe, &bytes);
        assert!(pe.signed, "{member}: Microsoft signs its runtime DLLs");
        assert_eq!(pe.kind, PeKind::Dll, "{member}");
    }
    let (pe, _) = analyze_member(&wheel, &format!("{dir}/msvcp140.dll"));
    assert_eq!(pe.min_windows, "Windows Vista / 6.0");
    assert_eq!(pe.runtimes, [PeRuntime::VcRedist, PeRuntime::UniversalCrt]);
    // The extension module in the same wheel is not signed.
    let (pe, bytes) = analyze_member(&wheel, "msvc_runtime.cp311-win_amd64.pyd");
    assert_matches_oracle("msvc_runtime.cp311-win_amd64.pyd", &pe, &bytes);
    assert!(!pe.signed);
}

#[test]
fn minimum_windows_names_the_release() {
    let (pe, _) = analyze_member(&pip_wheel(), "pip/_vendor/distlib/t64-arm.exe");
    // Windows on ARM64 starts at 10, but the header says what the linker wrote.
    assert_eq!(pe.versions.subsystem, (6, 2));
    assert_eq!(pe.min_windows, "Windows 8 / 6.2");
}

#[test]
fn json_output_is_tagged_pe() {
    let bytes = wheel_member(&pip_wheel(), "pip/_vendor/distlib/w64.exe");
    let analysis = analyze(&bytes, Path::new("w64.exe")).unwrap();
    let json = serde_json::to_value(&analysis).unwrap();
    assert_eq!(json["format"], "pe");
    assert_eq!(json["architectures"][0], "x86_64");
    assert_eq!(json["details"]["pe"]["subsystem"], "gui");
    assert_eq!(json["details"]["pe"]["kind"], "executable");
    assert_eq!(json["details"]["pe"]["signed"], false);
}

#[test]
fn truncated_pe_is_a_clear_error() {
    let bytes = wheel_member(&pip_wheel(), "pip/_vendor/distlib/t64.exe");
    let err = analyze(&bytes[..1000], Path::new("dist/t64.exe")).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, AnalyzeError::Damaged { format: "PE", .. }), "{err:?}");
    assert!(
        message.contains("dist/t64.exe") && message.contains("truncated or damaged PE file"),
        "{message}"
    );

    // A signed DLL cut before its certificate table (the last thing in the file).
    let signed = wheel_member(&msvc_runtime_wheel(), "msvc_runtime-14.40.33807.data/data/msvcp140.dll");
    let err = analyze(&signed[..signed.len() - 16], Path::new("msvcp140.dll")).unwrap_err();
    assert!(err.to_string().contains("certificate table"), "{err}");

    // No prefix of a real file panics: each is analysed or refused.
    for len in (0..bytes.len()).step_by(211) {
        let _ = analyze(&bytes[..len], Path::new("t64.exe"));
    }
}
