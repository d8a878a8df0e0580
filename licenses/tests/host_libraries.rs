//! `debian::HostLibraries` against two kinds of truth.
//!
//! - The real machine (Debian 12 with a pyenv CPython 3.11): the licenses of
//!   what its extension modules link, as established by hand with
//!   `objdump -p`, `dpkg -S` and the copyright files, and `dpkg -S` /
//!   `dpkg-query` themselves run as oracles. These tests skip, saying why,
//!   when the interpreter, a module or a package is absent.
//! - A synthetic root (a temporary directory with a fake dpkg database,
//!   copyright files and hand-built ELF files), so the resolution and
//!   attribution logic is checked the same way on any machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use oxdist_licenses::debian::{DebianError, ExtensionLibraries, HostLibraries, LinkedLibrary};
use oxdist_licenses::expression::{Family, requirement_family};
use oxdist_licenses::{Confidence, License};

// ---------------------------------------------------------------------------
// The real machine
// ---------------------------------------------------------------------------

/// `lib-dynload` of the `python3` on PATH (pyenv's on the reference
/// machine), else of Debian's python3.
fn lib_dynload() -> Option<PathBuf> {
    let from_python = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_path('platstdlib'))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("lib-dynload"));
    from_python
        .into_iter()
        .chain([PathBuf::from("/usr/lib/python3.11/lib-dynload")])
        .find(|d| d.is_dir())
}

/// The file of extension module `name` in `dir` (`readline.cpython-311-x86_64-linux-gnu.so`).
fn module_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let prefix = format!("{name}.");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".so"))
        })
        .collect();
    files.sort();
    files.into_iter().next()
}

fn is_dpkg_system() -> bool {
    Path::new("/var/lib/dpkg/status").is_file()
}

fn package_installed(package: &str) -> bool {
    Path::new(&format!("/usr/share/doc/{package}/copyright")).exists()
}

/// Analyses one real module, or says why it cannot.
fn real_extension(name: &str, packages: &[&str]) -> Option<(ExtensionLibraries, PathBuf)> {
    if !is_dpkg_system() {
        println!("SKIP {name}: not a dpkg-based system");
        return None;
    }
    let Some(dir) = lib_dynload() else {
        println!("SKIP {name}: no host python3 lib-dynload directory");
        return None;
    };
    let Some(path) = module_file(&dir, name) else {
        println!("SKIP {name}: {} has no {name} module", dir.display());
        return None;
    };
    if let Some(missing) = packages.iter().find(|p| !package_installed(p)) {
        println!("SKIP {name}: package {missing} is not installed");
        return None;
    }
    let mut host = HostLibraries::new();
    let ext = host.extension(name, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!(
        "{name}: {} [{:?}] {}",
        describe(&ext.license),
        ext.confidence,
        ext.provenance
    );
    Some((ext, path))
}

fn describe(license: &Option<License>) -> String {
    match license {
        None => "(platform only)".into(),
        Some(License::Unknown { reason }) => format!("unknown: {reason}"),
        Some(l) => l.to_string(),
    }
}

fn library<'a>(ext: &'a ExtensionLibraries, soname: &str) -> &'a LinkedLibrary {
    ext.libraries
        .iter()
        .find(|l| l.soname == soname)
        .unwrap_or_else(|| panic!("no {soname} in {:?}", ext.libraries))
}

fn expression(ext: &ExtensionLibraries) -> String {
    match &ext.license {
        Some(License::Expression { expression }) => expression.to_string(),
        other => panic!("expected an expression, got {other:?}"),
    }
}

/// The most demanding family among an expression's terms.
fn strongest_family(ext: &ExtensionLibraries) -> Family {
    let Some(License::Expression { expression }) = &ext.license else {
        panic!("expected an expression, got {:?}", ext.license)
    };
    expression
        .requirements()
        .map(requirement_family)
        .max()
        .unwrap_or(Family::Permissive)
}

#[test]
fn readline_links_gnu_readline_gpl3_or_later() {
    let Some((ext, _)) = real_extension("readline", &["libreadline8"]) else {
        return;
    };
    let readline = library(&ext, "libreadline.so.8");
    assert_eq!(readline.package.as_deref(), Some("libreadline8"));
    assert!(!readline.platform);
    assert!(readline.path.is_some());
    assert_eq!(expression(&ext), "GPL-3.0-or-later");
    assert_eq!(strongest_family(&ext), Family::StrongCopyleft);
    assert_eq!(ext.confidence, Confidence::Medium);
    assert_eq!(ext.packages, ["library:libreadline8"]);
    assert!(
        ext.provenance.contains(
            "DT_NEEDED libreadline.so.8 → libreadline8 → /usr/share/doc/libreadline8/copyright (DEP-5, Files: *)"
        ),
        "{}",
        ext.provenance
    );
    let libc = library(&ext, "libc.so.6");
    assert!(libc.platform);
    assert_eq!(libc.package.as_deref(), Some("libc6"));
}

#[test]
fn ssl_links_openssl_apache2() {
    let Some((ext, _)) = real_extension("_ssl", &["libssl3"]) else {
        return;
    };
    for soname in ["libssl.so.3", "libcrypto.so.3"] {
        assert_eq!(library(&ext, soname).package.as_deref(), Some("libssl3"), "{soname}");
    }
    assert_eq!(expression(&ext), "Apache-2.0");
    assert_eq!(strongest_family(&ext), Family::Permissive);
    // Two sonames, one package: one component, one provenance piece.
    assert_eq!(ext.packages, ["library:libssl3"]);
    assert!(
        ext.provenance
            .contains("DT_NEEDED libssl.so.3, libcrypto.so.3 → libssl3 →"),
        "{}",
        ext.provenance
    );
}

#[test]
fn sqlite3_is_public_domain() {
    let Some((ext, _)) = real_extension("_sqlite3", &["libsqlite3-0"]) else {
        return;
    };
    assert_eq!(
        library(&ext, "libsqlite3.so.0").package.as_deref(),
        Some("libsqlite3-0")
    );
    assert_eq!(ext.license, Some(License::PublicDomain));
    assert_eq!(ext.confidence, Confidence::Medium);
}

#[test]
fn ctypes_links_libffi_mit_not_gpl() {
    let Some((ext, _)) = real_extension("_ctypes", &["libffi8"]) else {
        return;
    };
    assert_eq!(library(&ext, "libffi.so.8").package.as_deref(), Some("libffi8"));
    assert_eq!(expression(&ext), "MIT");
    // The trap is real: the file does name GPL licenses, for other files.
    let mut host = HostLibraries::new();
    let component = host.package_component("libffi8").unwrap();
    assert_eq!(component.license.to_string(), "MIT");
    assert!(component.license_texts[0].text.contains("GPL-3+"));
    assert!(
        component.copyright.iter().any(|c| c.contains("Anthony Green")),
        "{:?}",
        component.copyright
    );
}

#[test]
fn uuid_uses_the_libuuid_paragraph_not_util_linux_gpl() {
    let Some((ext, _)) = real_extension("_uuid", &["libuuid1"]) else {
        return;
    };
    assert_eq!(library(&ext, "libuuid.so.1").package.as_deref(), Some("libuuid1"));
    assert_eq!(expression(&ext), "BSD-3-Clause");
    assert!(ext.provenance.contains("Files: libuuid/*"), "{}", ext.provenance);
    let mut host = HostLibraries::new();
    let component = host.package_component("libuuid1").unwrap();
    assert!(
        component.copyright.iter().any(|c| c.contains("Theodore Ts'o")),
        "{:?}",
        component.copyright
    );
    // util-linux's catch-all, which a naive reader would take, is GPL.
    assert!(component.license_texts[0].text.contains("Files: *"));
}

#[test]
fn lzma_reads_the_catch_all_not_a_table_file_paragraph() {
    // xz's file has `Files: src/liblzma/check/crc32_table_?e.h …` (License:
    // none): some files inside liblzma's directory, not the library. The
    // catch-all says `PD`, a custom name, so the answer is unknown.
    let Some((ext, _)) = real_extension("_lzma", &["liblzma5"]) else {
        return;
    };
    assert_eq!(library(&ext, "liblzma.so.5").package.as_deref(), Some("liblzma5"));
    let Some(License::Unknown { reason }) = &ext.license else {
        panic!("expected unknown, got {:?}", ext.license)
    };
    assert!(reason.contains("/usr/share/doc/liblzma5/copyright"), "{reason}");
    assert!(reason.contains("`Files: *`") && reason.contains("`PD`"), "{reason}");
}

#[test]
fn crypt_is_unknown_because_libcrypt1_copyright_is_free_text() {
    let Some((ext, _)) = real_extension("_crypt", &["libcrypt1"]) else {
        return;
    };
    assert_eq!(library(&ext, "libcrypt.so.1").package.as_deref(), Some("libcrypt1"));
    let Some(License::Unknown { reason }) = &ext.license else {
        panic!("expected unknown, got {:?}", ext.license)
    };
    assert!(reason.contains("/usr/share/doc/libcrypt1/copyright"), "{reason}");
    assert!(reason.contains("not machine-readable"), "{reason}");
    assert_eq!(ext.confidence, Confidence::None);
    assert_eq!(ext.packages, ["library:libcrypt1"]);
}

#[test]
fn math_links_only_the_platform() {
    let Some((ext, _)) = real_extension("math", &["libc6"]) else {
        return;
    };
    assert!(!ext.libraries.is_empty());
    assert!(ext.libraries.iter().all(|l| l.platform), "{:?}", ext.libraries);
    assert_eq!(library(&ext, "libm.so.6").package.as_deref(), Some("libc6"));
    assert_eq!(ext.license, None);
    assert_eq!(ext.confidence, Confidence::High);
    assert!(ext.packages.is_empty());
}

/// `dpkg -S` for the first spelling of a path dpkg knows; the package
/// names without architecture.
fn dpkg_owner(path: &Path) -> Option<Vec<String>> {
    let text = path.to_string_lossy().to_string();
    let twin = |p: &str| {
        p.strip_prefix("/usr")
            .filter(|r| r.starts_with("/lib"))
            .map(String::from)
            .or_else(|| p.starts_with("/lib").then(|| format!("/usr{p}")))
    };
    let canonical = std::fs::canonicalize(path)
        .ok()
        .map(|c| c.to_string_lossy().to_string());
    let mut candidates = vec![text.clone()];
    candidates.extend(twin(&text));
    if let Some(c) = canonical {
        candidates.extend(twin(&c));
        candidates.push(c);
    }
    for candidate in candidates {
        let output = Command::new("dpkg").args(["-S", &candidate]).output().ok()?;
        if output.status.success() {
            let out = String::from_utf8_lossy(&output.stdout);
            let line = out.lines().next()?;
            let (packages, _) = line.split_once(": ")?;
            return Some(
                packages
                    .split(", ")
                    .map(|p| p.split(':').next().unwrap_or(p).to_string())
                    .collect(),
            );
        }
    }
    None
}

#[test]
fn owners_and_versions_agree_with_dpkg() {
    if Command::new("dpkg").arg("--version").output().is_err() {
        println!("SKIP: no dpkg command");
        return;
    }
    let mut checked = 0;
    for (name, packages) in [
        ("readline", &["libreadline8"][..]),
        ("_ssl", &["libssl3"]),
        ("_ctypes", &["libffi8"]),
        ("_uuid", &["libuuid1"]),
        ("_crypt", &["libcrypt1"]),
        ("_sqlite3", &["libsqlite3-0"]),
        ("math", &["libc6"]),
    ] {
        let Some((ext, _)) = real_extension(name, packages) else {
            continue;
        };
        for library in &ext.libraries {
            let path = library.path.as_ref().expect("resolved");
            let oracle = dpkg_owner(path).unwrap_or_else(|| panic!("dpkg -S knows no spelling of {}", path.display()));
            let ours = library.package.as_ref().expect("owned");
            assert!(
                oracle.contains(ours),
                "{}: dpkg -S says {oracle:?}, we say {ours}",
                path.display()
            );
            checked += 1;
        }
    }
    println!("{checked} library owners agree with dpkg -S");

    if package_installed("libssl3") {
        let output = Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", "libssl3"])
            .output()
            .unwrap();
        let version = String::from_utf8_lossy(&output.stdout).to_string();
        let component = HostLibraries::new().package_component("libssl3:amd64").unwrap();
        assert_eq!(component.id, "library:libssl3");
        assert_eq!(component.name, "libssl3");
        assert_eq!(component.version.as_deref(), Some(version.as_str()));
        let purl = component.purl.unwrap();
        assert!(purl.starts_with("pkg:deb/debian/libssl3@"), "{purl}");
        assert_eq!(component.license.to_string(), "Apache-2.0");
        assert_eq!(component.confidence, Confidence::Medium);
        assert_eq!(component.license_texts[0].name, "copyright");
        assert_eq!(component.license_texts[0].origin, "/usr/share/doc/libssl3/copyright");
        assert!(component.homepage.is_some());
    }
}

#[test]
fn a_symlinked_doc_directory_is_followed() {
    let doc = Path::new("/usr/share/doc/libgcc-s1");
    if !doc.is_symlink() || !is_dpkg_system() {
        println!("SKIP: /usr/share/doc/libgcc-s1 is not a symlinked doc directory here");
        return;
    }
    let target = std::fs::canonicalize(doc).unwrap();
    let component = HostLibraries::new().package_component("libgcc-s1").unwrap();
    assert!(
        component.provenance.contains(&target.display().to_string()),
        "{} does not name {}",
        component.provenance,
        target.display()
    );
    assert!(!component.license_texts[0].text.is_empty());
    // gcc's copyright file is prose: unknown, never guessed.
    assert!(component.license.is_unknown());
}

#[test]
fn every_lib_dynload_module_and_timing() {
    if !is_dpkg_system() {
        println!("SKIP: not a dpkg-based system");
        return;
    }
    let mut dirs: Vec<PathBuf> = lib_dynload().into_iter().collect();
    let debian = PathBuf::from("/usr/lib/python3.11/lib-dynload");
    if debian.is_dir() && !dirs.contains(&debian) {
        dirs.push(debian);
    }
    if dirs.is_empty() {
        println!("SKIP: no host python3 lib-dynload directory");
        return;
    }
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "so"))
            .collect();
        files.sort();
        let start = Instant::now();
        let mut host = HostLibraries::new();
        let mut strong = Vec::new();
        let mut table = Vec::new();
        for file in &files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('.').next())
                .unwrap()
                .to_string();
            let ext = host
                .extension(&name, file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            // Every DT_NEEDED library of a stock interpreter is found and
            // owned by a package on a Debian system.
            for library in &ext.libraries {
                assert!(library.package.is_some(), "{name}: {library:?}");
            }
            if let Some(License::Expression { expression }) = &ext.license
                && expression.requirements().map(requirement_family).max() >= Some(Family::StrongCopyleft)
            {
                strong.push(name.clone());
            }
            if ext.license.is_some() {
                table.push(format!("  {name:<16} {}", describe(&ext.license)));
            }
        }
        let elapsed = start.elapsed();
        println!(
            "{}: {} modules in {:.1} ms (HostLibraries::new + extension for each)",
            dir.display(),
            files.len(),
            elapsed.as_secs_f64() * 1000.0
        );
        for line in &table {
            println!("{line}");
        }
        println!("  strong copyleft: {strong:?}");
        if files.iter().any(|f| module_file(&dir, "readline").as_ref() == Some(f)) && package_installed("libreadline8")
        {
            assert!(strong.contains(&"readline".to_string()), "{strong:?}");
        }
    }
}

#[test]
fn errors_name_the_module_and_the_file() {
    let mut host = HostLibraries::new();
    let missing = Path::new("/nonexistent/_nothing.so");
    let e = host.extension("_nothing", missing).unwrap_err();
    assert!(matches!(e, DebianError::Module { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.contains("_nothing") && message.contains("/nonexistent/_nothing.so"),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("_text.so");
    std::fs::write(&text, "not an ELF file").unwrap();
    let e = host.extension("_text", &text).unwrap_err();
    assert!(matches!(e, DebianError::Elf { .. }), "{e:?}");
    assert!(e.to_string().contains("_text"), "{e}");
    assert!(e.to_string().contains(&text.display().to_string()), "{e}");
}

// ---------------------------------------------------------------------------
// A synthetic root
// ---------------------------------------------------------------------------

/// A minimal x86-64 (or 32-bit x86) ELF shared object: the header, a
/// `.dynstr`, a `.dynamic` with `DT_NEEDED` / `DT_RUNPATH`, and section
/// headers — all the dynamic-section reader needs.
fn elf(needed: &[&str], runpath: Option<&str>, bits64: bool) -> Vec<u8> {
    if !bits64 {
        // Only the identity matters for a decoy: class 1, machine EM_386.
        let mut header = vec![0u8; 52];
        header[..4].copy_from_slice(b"\x7fELF");
        header[4] = 1;
        header[5] = 1;
        header[6] = 1;
        header[16..18].copy_from_slice(&3u16.to_le_bytes());
        header[18..20].copy_from_slice(&3u16.to_le_bytes());
        return header;
    }
    let mut dynstr = vec![0u8];
    let mut offsets = Vec::new();
    for name in needed.iter().copied().chain(runpath) {
        offsets.push(dynstr.len() as u64);
        dynstr.extend_from_slice(name.as_bytes());
        dynstr.push(0);
    }
    let mut dynamic: Vec<(i64, u64)> = needed.iter().enumerate().map(|(i, _)| (1, offsets[i])).collect();
    if runpath.is_some() {
        dynamic.push((29, offsets[needed.len()]));
    }
    let dynstr_offset = 64u64;
    dynamic.push((5, dynstr_offset)); // DT_STRTAB
    dynamic.push((10, dynstr.len() as u64)); // DT_STRSZ
    dynamic.push((0, 0));
    let shstrtab = b"\0.dynstr\0.dynamic\0.shstrtab\0".to_vec();

    let align = |n: usize| n.div_ceil(8) * 8;
    let dynamic_offset = align(64 + dynstr.len());
    let dynamic_size = dynamic.len() * 16;
    let shstrtab_offset = dynamic_offset + dynamic_size;
    let sections_offset = align(shstrtab_offset + shstrtab.len());

    let mut out = vec![0u8; sections_offset + 4 * 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // 64-bit
    out[5] = 1; // little-endian
    out[6] = 1; // version
    let put16 = |out: &mut Vec<u8>, at: usize, v: u16| out[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |out: &mut Vec<u8>, at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 = |out: &mut Vec<u8>, at: usize, v: u64| out[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put16(&mut out, 16, 3); // ET_DYN
    put16(&mut out, 18, 62); // EM_X86_64
    put32(&mut out, 20, 1);
    put64(&mut out, 40, sections_offset as u64); // e_shoff
    put16(&mut out, 52, 64); // e_ehsize
    put16(&mut out, 54, 56); // e_phentsize
    put16(&mut out, 58, 64); // e_shentsize
    put16(&mut out, 60, 4); // e_shnum
    put16(&mut out, 62, 3); // e_shstrndx
    out[64..64 + dynstr.len()].copy_from_slice(&dynstr);
    for (i, (tag, value)) in dynamic.iter().enumerate() {
        put64(&mut out, dynamic_offset + i * 16, *tag as u64);
        put64(&mut out, dynamic_offset + i * 16 + 8, *value);
    }
    out[shstrtab_offset..shstrtab_offset + shstrtab.len()].copy_from_slice(&shstrtab);
    // (name, type, offset, size, link, entsize)
    let sections = [
        (1u32, 3u32, 64usize, dynstr.len(), 0u32, 0u64),
        (9, 6, dynamic_offset, dynamic_size, 1, 16),
        (18, 3, shstrtab_offset, shstrtab.len(), 0, 0),
    ];
    for (i, (name, kind, offset, size, link, entsize)) in sections.iter().enumerate() {
        let at = sections_offset + (i + 1) * 64;
        put32(&mut out, at, *name);
        put32(&mut out, at + 4, *kind);
        put64(&mut out, at + 24, *offset as u64);
        put64(&mut out, at + 32, *size as u64);
        put32(&mut out, at + 40, *link);
        put64(&mut out, at + 48, 1);
        put64(&mut out, at + 56, *entsize);
    }
    out
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn symlink(target: &str, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

const FORMAT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n";

/// A Debian-like root:
/// - `/lib` → `usr/lib` (merged /usr); `ld.so.conf.d` lists `/lib/x86_64-linux-gnu`;
/// - `libfoo1`: lists only `…/libfoo.so.1.2.3` (the symlink target); its doc
///   directory is a symlink to `foo-common`, whose file says util-linux-like
///   `Files: *` GPL-2+ but `libfoo/*` BSD-3-clause;
/// - `libbar2`: lists `/usr/lib/…/libbar.so.2`, found as `/lib/…`; Expat;
/// - `libpd0`: public domain; `libc6`: the platform;
/// - `libcustom1`: `MIT/X11`; `libnodoc1`: no copyright file;
/// - `/opt/py/deps/libbundled.so.1`: owned by no package;
/// - a 32-bit `libmissing.so.9` decoy.
fn synthetic_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let lib = r.join("usr/lib/x86_64-linux-gnu");
    symlink("usr/lib", &r.join("lib"));
    write(&r.join("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
    write(
        &r.join("etc/ld.so.conf.d/x86_64-linux-gnu.conf"),
        "# Multiarch support\n/lib/x86_64-linux-gnu\n",
    );

    let so = elf(&[], None, true);
    write(&lib.join("libfoo.so.1.2.3"), &so);
    symlink("libfoo.so.1.2.3", &lib.join("libfoo.so.1"));
    write(&lib.join("libbar.so.2"), &so);
    write(&lib.join("libpd.so.0"), &so);
    write(&lib.join("libc.so.6"), &so);
    write(&lib.join("libcustom.so.1"), &so);
    write(&lib.join("libnodoc.so.1"), &so);
    write(&lib.join("libmissing.so.9"), elf(&[], None, false));
    write(&r.join("opt/py/deps/libbundled.so.1"), &so);

    let info = r.join("var/lib/dpkg/info");
    let list = |package: &str, files: &[&str]| {
        let mut text = String::from("/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n");
        for f in files {
            text.push_str(f);
            text.push('\n');
        }
        write(&info.join(format!("{package}.list")), text);
    };
    list(
        "libfoo1:amd64",
        &["/usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3", "/usr/share/doc/libfoo1"],
    );
    list("libbar2:amd64", &["/usr/lib/x86_64-linux-gnu/libbar.so.2"]);
    list("libpd0", &["/usr/lib/x86_64-linux-gnu/libpd.so.0"]);
    list("libc6:amd64", &["/lib/x86_64-linux-gnu/libc.so.6"]);
    list("libcustom1:amd64", &["/usr/lib/x86_64-linux-gnu/libcustom.so.1"]);
    list("libnodoc1:amd64", &["/usr/lib/x86_64-linux-gnu/libnodoc.so.1"]);
    write(&info.join("libfoo1:amd64.md5sums"), "not a list\n");
    write(
        &r.join("var/lib/dpkg/status"),
        "Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.3-4+deb12u1\n\
         Homepage: https://foo.example.org\nDescription: foo\n multi-line\n\n\
         Package: libbar2\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.0-1\n\n\
         Package: libpd0\nStatus: install ok installed\nArchitecture: all\nVersion: 0.1-1\n\n\
         Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n\
         Package: libcustom1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n",
    );

    let doc = r.join("usr/share/doc");
    symlink("foo-common", &doc.join("libfoo1"));
    write(
        &doc.join("foo-common/copyright"),
        format!(
            "{FORMAT}Files: *\nCopyright: 2001 The Foo Project\nLicense: GPL-2+\n\n\
             Files: libfoo/* libfoo/src/*\nCopyright: 1999 Jane Doe\n 2004 John Roe\nLicense: BSD-3-clause\n\n\
             Files: libfoo/src/gpl-bit.c\nCopyright: 2010 Someone\nLicense: GPL-3+\n\n\
             License: BSD-3-clause\n Redistribution and use in source and binary forms…\n"
        ),
    );
    write(
        &doc.join("libbar2/copyright"),
        format!(
            "{FORMAT}Files: *\nCopyright: 2020 Bar Authors\nLicense: Expat\n\nFiles: tests/*\nCopyright: 2020 Bar Authors\nLicense: GPL-3+\n"
        ),
    );
    write(
        &doc.join("libpd0/copyright"),
        format!("{FORMAT}Files: *\nCopyright: none\nLicense: public-domain\n The author disclaims copyright.\n"),
    );
    write(
        &doc.join("libc6/copyright"),
        "This is the Debian prepackaged version of the GNU C Library.\n",
    );
    write(
        &doc.join("libcustom1/copyright"),
        format!("{FORMAT}Files: *\nCopyright: 1998 X Consortium\nLicense: MIT/X11\n"),
    );
    root
}

#[test]
fn synthetic_root_resolves_attributes_and_combines() {
    let root = synthetic_root();
    let r = root.path();
    let module = r.join("opt/py/lib-dynload/_good.so");
    write(
        &module,
        elf(
            &["libfoo.so.1", "libbar.so.2", "libpd.so.0", "libc.so.6"],
            Some("$ORIGIN/../deps"),
            true,
        ),
    );
    let mut host = HostLibraries::with_root(r);
    let ext = host.extension("_good", &module).unwrap();

    let sonames: Vec<&str> = ext.libraries.iter().map(|l| l.soname.as_str()).collect();
    assert_eq!(sonames, ["libfoo.so.1", "libbar.so.2", "libpd.so.0", "libc.so.6"]);
    // Found through ld.so.conf's /lib/x86_64-linux-gnu (the /lib symlink).
    assert_eq!(
        library(&ext, "libbar.so.2").path.as_deref(),
        Some(r.join("lib/x86_64-linux-gnu/libbar.so.2").as_path())
    );
    // Owners: by the symlink target (libfoo), by the /usr twin (libbar),
    // by the path as found (libc6).
    let owners: Vec<Option<&str>> = ext.libraries.iter().map(|l| l.package.as_deref()).collect();
    assert_eq!(
        owners,
        [Some("libfoo1"), Some("libbar2"), Some("libpd0"), Some("libc6")]
    );
    let platform: Vec<bool> = ext.libraries.iter().map(|l| l.platform).collect();
    assert_eq!(platform, [false, false, false, true]);

    // libfoo's own directory (BSD-3-clause) rather than its catch-all
    // (GPL-2+); Expat → MIT; public domain adds nothing.
    assert_eq!(expression(&ext), "BSD-3-Clause AND MIT");
    assert_eq!(ext.confidence, Confidence::Medium);
    assert_eq!(ext.packages, ["library:libfoo1", "library:libbar2", "library:libpd0"]);
    assert!(
        ext.provenance.contains("DT_NEEDED libfoo.so.1 → libfoo1 → "),
        "{}",
        ext.provenance
    );
    assert!(
        ext.provenance.contains("(DEP-5, Files: libfoo/* libfoo/src/*)"),
        "{}",
        ext.provenance
    );
    assert!(
        ext.provenance.contains("libc.so.6 → libc6: platform"),
        "{}",
        ext.provenance
    );

    let foo = host.package_component("libfoo1").unwrap();
    assert_eq!(foo.id, "library:libfoo1");
    assert_eq!(foo.version.as_deref(), Some("1:1.2.3-4+deb12u1"));
    assert_eq!(
        foo.purl.as_deref(),
        Some("pkg:deb/debian/libfoo1@1%3A1.2.3-4%2Bdeb12u1")
    );
    assert_eq!(foo.homepage.as_deref(), Some("https://foo.example.org"));
    assert_eq!(foo.copyright, ["1999 Jane Doe", "2004 John Roe"]);
    assert_eq!(foo.license_texts.len(), 1);
    assert_eq!(foo.license_texts[0].name, "copyright");
    assert!(foo.license_texts[0].origin.ends_with("usr/share/doc/libfoo1/copyright"));
    assert!(foo.license_texts[0].text.contains("Files: libfoo/*"));
    // The symlinked doc directory is named in the provenance.
    assert!(foo.provenance.contains("foo-common/copyright"), "{}", foo.provenance);

    let pd = host.package_component("libpd0:all").unwrap();
    assert_eq!(pd.license, License::PublicDomain);
    assert_eq!(pd.id, "library:libpd0");
}

#[test]
fn synthetic_root_unknowns_are_explained() {
    let root = synthetic_root();
    let r = root.path();
    let module = r.join("opt/py/lib-dynload/_odd.so");
    write(
        &module,
        elf(
            &["libbundled.so.1", "libmissing.so.9"],
            Some("$ORIGIN/../deps:/opt/nowhere:$LIB"),
            true,
        ),
    );
    let mut host = HostLibraries::with_root(r);
    let ext = host.extension("_odd", &module).unwrap();
    // $ORIGIN is expanded; the library there belongs to no package.
    let bundled = library(&ext, "libbundled.so.1");
    assert!(bundled.path.as_ref().unwrap().ends_with("deps/libbundled.so.1"));
    assert_eq!(bundled.package, None);
    assert!(!bundled.platform);
    // The 32-bit decoy is not taken for the 64-bit library.
    assert_eq!(library(&ext, "libmissing.so.9").path, None);
    let Some(License::Unknown { reason }) = &ext.license else {
        panic!("{:?}", ext.license)
    };
    assert!(
        reason.contains("libbundled.so.1") && reason.contains("no Debian package"),
        "{reason}"
    );
    assert_eq!(ext.confidence, Confidence::None);
    assert!(ext.packages.is_empty());
    assert!(
        ext.provenance.contains("libmissing.so.9 → no package"),
        "{}",
        ext.provenance
    );

    // Only the missing library: the reason says where it was looked for.
    let missing_only = r.join("opt/py/lib-dynload/_missing.so");
    write(&missing_only, elf(&["libmissing.so.9"], Some("/opt/nowhere"), true));
    let ext = host.extension("_missing", &missing_only).unwrap();
    let Some(License::Unknown { reason }) = &ext.license else {
        panic!("{:?}", ext.license)
    };
    assert!(
        reason.contains("libmissing.so.9") && reason.contains("not found"),
        "{reason}"
    );
    assert!(reason.contains("RUNPATH") && reason.contains("opt/nowhere"), "{reason}");

    // A custom Debian name: unknown, naming the file and the name.
    let custom = host.package_component("libcustom1").unwrap();
    let License::Unknown { reason } = &custom.license else {
        panic!("{:?}", custom.license)
    };
    assert!(reason.contains("usr/share/doc/libcustom1/copyright"), "{reason}");
    assert!(reason.contains("MIT/X11"), "{reason}");
    assert_eq!(custom.confidence, Confidence::None);
    // Still carries the file, so a notice can quote it.
    assert!(custom.license_texts[0].text.contains("X Consortium"));

    // Free text: unknown.
    let libc = host.package_component("libc6").unwrap();
    assert!(libc.license.is_unknown());
}

#[test]
fn synthetic_root_io_errors_name_the_path() {
    let root = synthetic_root();
    let r = root.path();
    let mut host = HostLibraries::with_root(r);
    let e = host.package_component("libnodoc1").unwrap_err();
    let DebianError::Copyright { package, path, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(package, "libnodoc1");
    assert!(path.ends_with("usr/share/doc/libnodoc1/copyright"));
    assert!(e.to_string().contains("usr/share/doc/libnodoc1/copyright"), "{e}");

    // Through an extension that links it, the same error.
    let module = r.join("opt/py/lib-dynload/_nodoc.so");
    write(&module, elf(&["libnodoc.so.1"], None, true));
    let e = host.extension("_nodoc", &module).unwrap_err();
    assert!(matches!(e, DebianError::Copyright { .. }), "{e:?}");

    // No dpkg database at all.
    let empty = tempfile::tempdir().unwrap();
    let mut host = HostLibraries::with_root(empty.path());
    let e = host.extension("_nodoc", &module).unwrap_err();
    let DebianError::Database { path, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(path.ends_with("var/lib/dpkg/info"), "{}", path.display());
    assert!(e.to_string().contains("Debian-based"), "{e}");
}

#[test]
fn synthetic_root_with_a_copied_real_module() {
    // A real extension module from this machine, in a fake root whose
    // RUNPATH directory holds its first library.
    let Some(dir) = lib_dynload() else {
        println!("SKIP: no host python3 lib-dynload directory");
        return;
    };
    let Some(real) = module_file(&dir, "_uuid").or_else(|| module_file(&dir, "_ctypes")) else {
        println!("SKIP: neither _uuid nor _ctypes in {}", dir.display());
        return;
    };
    let bytes = std::fs::read(&real).unwrap();
    let analysis = oxdist_analyze::elf::analyze_elf(&bytes, &real).unwrap();
    let Some(first) = analysis.needed.first() else {
        println!("SKIP: {} needs nothing", real.display());
        return;
    };
    let root = synthetic_root();
    let r = root.path();
    let module = r.join("opt/copied").join(real.file_name().unwrap());
    write(&module, &bytes);
    // Where the library will be found: the first absolute RUNPATH entry
    // (under the root), else the multiarch directory.
    let lib_dir = analysis
        .runpath
        .iter()
        .chain(&analysis.rpath)
        .find(|d| d.starts_with('/'))
        .map(|d| d.trim_start_matches('/').to_string())
        .unwrap_or_else(|| "usr/lib/x86_64-linux-gnu".into());
    let header = &bytes[..64.min(bytes.len())];
    let mut library_bytes = header.to_vec();
    library_bytes.resize(64, 0);
    write(&r.join(&lib_dir).join(first), &library_bytes);
    let system_path = format!("/{lib_dir}/{first}");
    write(
        &r.join("var/lib/dpkg/info/libcopied1:amd64.list"),
        format!("{system_path}\n"),
    );
    write(
        &r.join("usr/share/doc/libcopied1/copyright"),
        format!("{FORMAT}Files: *\nCopyright: 2024 Copied\nLicense: Zlib\n"),
    );
    let mut host = HostLibraries::with_root(r);
    let ext = host.extension("copied", &module).unwrap();
    let linked = library(&ext, first);
    assert_eq!(linked.package.as_deref(), Some("libcopied1"), "{linked:?}");
    assert_eq!(linked.path.as_deref(), Some(r.join(&lib_dir).join(first).as_path()));
    assert!(
        ext.packages.contains(&"library:libcopied1".to_string()),
        "{:?}",
        ext.packages
    );
}
