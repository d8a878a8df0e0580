//! Zero-config to Windows from Linux: the plain pyproject project
//! (`examples/hello-pyproject`) packaged with no configuration as a tar.zst,
//! a deb, an rpm and an MSI in one command. The MSI holds the application
//! built for Windows (CPython's embeddable package from PyPI, the launcher
//! cross-compiled, core/src/embedding/cross.rs); the oracles are msitools,
//! dpkg-deb and rpm, then Wine's msiexec installs the MSI and the installed
//! `hello.exe` runs. A second run writes a byte-identical MSI.
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
fn a_plain_pyproject_becomes_linux_packages_and_an_msi_that_runs() {
    let p = common::hello_pyproject();
    let formats = ["package", "--format", "tar.zst,deb,rpm,msi"];
    let run = p.run(&formats).ok();
    assert!(run.stderr.contains("packaging windows as msi"), "{}", run.stderr);
    let dist = p.path().join("dist");
    assert_eq!(
        dist_files(&dist),
        [
            "SHA256SUMS",
            "hello-cli-0.3.1-1.x86_64.rpm",
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

    // Reproducible: the same inputs give the same MSI.
    let first = std::fs::read(&msi).unwrap();
    p.run(&["package", "--format", "msi"]).ok();
    assert!(
        std::fs::read(&msi).unwrap() == first,
        "the MSI differs between two builds"
    );
}

/// Without the cross toolchain, the error names what is missing and the
/// command that installs it; nothing is written.
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
            "apt-get install rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64",
        ],
    );
    assert!(!p.path().join("dist").exists());
}
