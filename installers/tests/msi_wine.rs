//! Installs packages made by `write_msi` with Wine's `msiexec` (Debian's
//! wine64, Wine 8): per-machine and per-user installs and removals, and a
//! major upgrade followed by a refused downgrade.
//!
//! Wine's msi.dll is more lenient than Windows Installer (no ICE validation,
//! no UAC, the user is an administrator), so passing here catches gross
//! errors only; where Wine behaves differently from Windows the assertion
//! checks what Wine does and a comment says so.
//!
//! Each test boots its own prefix in a temporary directory (`wineboot
//! --init`, about 5 s) and stops its wineserver at the end. A missing Wine
//! fails the test with the `apt-get install` command that provides it.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{both, command, output, tree};
use oxdist_installers::msi::{MsiInfo, MsiOptions, MsiScope, MsiShortcut, MsiSpec, msi_file_name, write_msi};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestPath, PackageMetadata};
use oxdist_testing::noise;

/// Debian's wine64 installs its loader here only (no `/usr/bin/wine64`).
const WINE64: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";
const WINE_PACKAGE: &str = "wine64";

const PRODUCT: &str = "Greeter App";
const TIME: Timestamp = Timestamp(1_700_000_000);

const HKLM_UNINSTALL: &str = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall";
const HKCU_UNINSTALL: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall";

// ---------------------------------------------------------------------------
// Packages
// ---------------------------------------------------------------------------

fn metadata(version: &str) -> PackageMetadata {
    common::greeter_metadata(version, "x86_64-pc-windows-msvc")
}

fn spec(scope: MsiScope) -> MsiSpec {
    MsiSpec {
        product_name: Some(PRODUCT.into()),
        scope,
        ..MsiSpec::new("org.example.greeter")
    }
}

/// [`spec`] with a Start-menu and desktop shortcut to `greeter.exe`.
fn spec_with_shortcut(scope: MsiScope) -> MsiSpec {
    MsiSpec {
        shortcuts: vec![MsiShortcut {
            target: "greeter.exe".into(),
            name: "Greeter".into(),
            desktop: true,
            description: None,
        }],
        ..spec(scope)
    }
}

/// The shortcut files named `Greeter.lnk` anywhere below `drive_c`.
fn shortcuts(drive_c: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![drive_c.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if entry.file_name() == "Greeter.lnk" {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The default payload: an executable, nested directories, names that are
/// and are not 8.3, a Windows-1252 name, an empty file and a larger file.
fn payload() -> BTreeMap<&'static str, Vec<u8>> {
    BTreeMap::from([
        ("greeter.exe", b"MZ not really a program\n".to_vec()),
        ("README.txt", b"Run greeter to be greeted.\n".to_vec()),
        ("python311.dll", noise(150_000, 1)),
        ("lib/site-packages/greeter/__init__.py", b"print('hi')\n".to_vec()),
        ("lib/site-packages/greeter/messages.py", b"HELLO = 'hello'\n".to_vec()),
        ("share/empty.dat", Vec::new()),
        ("share/café.txt", "bonjour\n".as_bytes().to_vec()),
    ])
}

/// Writes an MSI of `files` into `dir`.
fn build(dir: &Path, version: &str, scope: MsiScope, files: &BTreeMap<&str, Vec<u8>>) -> MsiInfo {
    build_with(dir, version, &spec(scope), files)
}

/// Writes an MSI of `files` with `spec` into `dir`.
fn build_with(dir: &Path, version: &str, spec: &MsiSpec, files: &BTreeMap<&str, Vec<u8>>) -> MsiInfo {
    let mut manifest = FileManifest::new();
    for (path, bytes) in files {
        let entry = FileEntry::from_bytes(bytes.clone(), path.ends_with(".exe"), format!("test data {path}"));
        manifest.add_file(ManifestPath::new(path).unwrap(), entry).unwrap();
    }
    let meta = metadata(version);
    let dest = dir.join(version).join(msi_file_name(&meta).unwrap());
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    write_msi(&meta, spec, &manifest, &options, &dest).unwrap()
}

#[track_caller]
fn assert_installed(root: &Path, files: &BTreeMap<&str, Vec<u8>>) {
    assert!(root.is_dir(), "{} was not created", root.display());
    let got = tree(root);
    let want: BTreeMap<String, Vec<u8>> = files.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "files below {}",
        root.display()
    );
    for (path, bytes) in &want {
        assert!(got[path] == *bytes, "{path} differs from the packaged bytes");
    }
}

/// Removal leaves no file. Wine, like Windows without `RemoveFile` rows,
/// may leave the empty directories behind; only files are checked.
#[track_caller]
fn assert_removed(root: &Path) {
    if root.exists() {
        let left = tree(root);
        assert!(
            left.is_empty(),
            "files left after removal: {:?}",
            left.keys().collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------
// Wine
// ---------------------------------------------------------------------------

/// A booted Wine prefix in a temporary directory; dropping it stops the
/// prefix's wineserver.
struct Wine {
    dir: tempfile::TempDir,
    prefix: PathBuf,
}

impl Wine {
    fn boot() -> Wine {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("prefix");
        let wine = Wine { dir, prefix };
        let out = wine.wine(&["wineboot", "--init"]);
        assert!(
            out.status.success(),
            "wineboot --init failed: {}\n{}",
            out.status,
            both(&out)
        );
        // wineboot returns before the prefix's registry is written out.
        wine.wineserver_wait();
        wine
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko download prompts.
            // No Mono or Gecko download prompts; no menu entries in the real $HOME.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml,winemenubuilder.exe=")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WINEARCH")
            .current_dir(self.dir.path());
    }

    fn wine(&self, args: &[&str]) -> Output {
        let mut cmd = command(WINE64);
        cmd.args(args);
        self.env(&mut cmd);
        output(&mut cmd, WINE_PACKAGE)
    }

    fn wineserver_wait(&self) {
        let mut cmd = command(WINESERVER);
        cmd.arg("-w");
        self.env(&mut cmd);
        output(&mut cmd, WINE_PACKAGE);
    }

    /// `C:\` of the prefix.
    fn drive_c(&self) -> PathBuf {
        self.prefix.join("drive_c")
    }

    fn per_machine_root(&self) -> PathBuf {
        self.drive_c().join("Program Files").join(PRODUCT)
    }

    /// `%LOCALAPPDATA%\Programs\<ProductName>`: Wine's profile of the Unix user.
    fn per_user_root(&self) -> PathBuf {
        let users = self.drive_c().join("users");
        let names: Vec<String> = fs::read_dir(&users)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "Public")
            .collect();
        assert_eq!(names.len(), 1, "one user profile below {}: {names:?}", users.display());
        users
            .join(&names[0])
            .join("AppData")
            .join("Local")
            .join("Programs")
            .join(PRODUCT)
    }

    /// `msiexec <action> <msi> /qn /l*v <log>`: the exit code and the log.
    fn msiexec(&self, action: &str, msi: &Path, log_name: &str) -> (i32, String) {
        let log = self.dir.path().join(log_name);
        let out = self.wine(&[
            "msiexec",
            action,
            &windows_path(msi),
            "/qn",
            "/l*v",
            &windows_path(&log),
        ]);
        let code = out.status.code().expect("msiexec was killed by a signal");
        let text = fs::read(&log).map(|b| decode_log(&b)).unwrap_or_default();
        (code, format!("{}\nlog {}:\n{text}", both(&out), log.display()))
    }

    /// `msiexec /i`, which must succeed; returns the output and the log.
    #[track_caller]
    fn install(&self, msi: &Path, log_name: &str) -> String {
        let (code, log) = self.msiexec("/i", msi, log_name);
        assert_eq!(code, 0, "msiexec /i {} failed:\n{log}", msi.display());
        log
    }

    #[track_caller]
    fn uninstall(&self, msi: &Path, log_name: &str) {
        let (code, log) = self.msiexec("/x", msi, log_name);
        assert_eq!(code, 0, "msiexec /x {} failed:\n{log}", msi.display());
    }

    /// `reg query <key> /s`: every subkey with its values (name → data).
    fn reg_query(&self, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let out = self.wine(&["reg", "query", key, "/s"]);
        let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
        // A missing key is an error; an empty map says the same.
        if !out.status.success() {
            return BTreeMap::new();
        }
        let mut keys = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.starts_with("HKEY_") {
                current = Some(line.trim().to_string());
                keys.entry(line.trim().to_string()).or_insert_with(BTreeMap::new);
            } else if let (Some(key), Some(rest)) = (&current, line.strip_prefix("    ")) {
                let parts: Vec<&str> = rest.splitn(3, "    ").collect();
                if parts.len() == 3 && parts[1].starts_with("REG_") {
                    keys.get_mut(key)
                        .unwrap()
                        .insert(parts[0].to_string(), parts[2].to_string());
                }
            }
        }
        keys
    }

    fn key_exists(&self, key: &str) -> bool {
        self.wine(&["reg", "query", key]).status.success()
    }

    /// The Uninstall entries whose `DisplayName` is the product's.
    fn arp_entries(&self, root: &str) -> Vec<(String, BTreeMap<String, String>)> {
        self.reg_query(root)
            .into_iter()
            .filter(|(_, values)| values.get("DisplayName").map(String::as_str) == Some(PRODUCT))
            .collect()
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let mut cmd = Command::new(WINESERVER);
        cmd.arg("-k");
        self.env(&mut cmd);
        let _ = cmd.output();
    }
}

/// `Z:\…`, Wine's drive for `/`: msiexec would read a Unix path as an option.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.to_str().unwrap().replace('/', "\\"))
}

/// A GUID the way the Installer keys products: `{12345678-9ABC-DEF0-1234-56789ABCDEF0}`
/// becomes `87654321CBA90FED2143658709BADCFE` (each group reversed, the last
/// eight bytes nibble-swapped).
fn squashed(guid: &str) -> String {
    let hex: String = guid.chars().filter(char::is_ascii_hexdigit).collect();
    assert_eq!(hex.len(), 32, "{guid} is not a GUID");
    let mut out: String = hex[0..8].chars().rev().collect();
    out.extend(hex[8..12].chars().rev());
    out.extend(hex[12..16].chars().rev());
    for pair in hex.as_bytes()[16..].chunks(2) {
        out.push(pair[1] as char);
        out.push(pair[0] as char);
    }
    out
}

/// msiexec logs are UTF-16LE on Windows; Wine writes 8-bit text. Either way
/// return readable text.
fn decode_log(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xff, 0xfe]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).replace('\0', "")
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn per_machine_install_and_uninstall() {
    let wine = Wine::boot();
    let files = payload();
    let info = build_with(
        wine.dir.path(),
        "1.2.3",
        &spec_with_shortcut(MsiScope::PerMachine),
        &files,
    );

    wine.install(&info.path, "install.log");
    assert_installed(&wine.per_machine_root(), &files);
    let entries = wine.arp_entries(HKLM_UNINSTALL);
    assert_eq!(
        entries.len(),
        1,
        "one HKLM Uninstall entry named {PRODUCT}: {entries:#?}"
    );
    let (key, values) = &entries[0];
    assert!(
        key.ends_with(&info.product_code),
        "{key} is not keyed by {}",
        info.product_code
    );
    assert_eq!(
        values.get("DisplayVersion").map(String::as_str),
        Some("1.2.3"),
        "{values:#?}"
    );
    assert_eq!(
        values.get("Publisher").map(String::as_str),
        Some("Example Org"),
        "{values:#?}"
    );
    assert!(
        wine.arp_entries(HKCU_UNINSTALL).is_empty(),
        "a per-machine product is not in HKCU"
    );

    // The Start-menu shortcut, in a folder named after the product. Wine 8
    // puts it in the user's Start menu (AppData/Roaming/…) even for a
    // per-machine package, where Windows uses ProgramData; and it creates no
    // desktop shortcut in a fresh prefix, whose Desktop folder is a link to
    // the (missing) Unix desktop — so the desktop one is checked in the
    // Shortcut table only (tests/msi.rs), not here.
    let links = shortcuts(&wine.drive_c());
    let relative: Vec<String> = links
        .iter()
        .map(|l| l.strip_prefix(wine.drive_c()).unwrap().display().to_string())
        .collect();
    assert!(
        relative
            .iter()
            .any(|l| l.ends_with(&format!("Start Menu/Programs/{PRODUCT}/Greeter.lnk"))),
        "a Start-menu shortcut: {relative:?}"
    );

    wine.uninstall(&info.path, "uninstall.log");
    assert_removed(&wine.per_machine_root());
    assert!(
        wine.arp_entries(HKLM_UNINSTALL).is_empty(),
        "the Uninstall entry is removed"
    );
    assert_eq!(
        shortcuts(&wine.drive_c()),
        Vec::<PathBuf>::new(),
        "shortcuts are removed"
    );
}

#[test]
fn per_user_install_and_uninstall() {
    let wine = Wine::boot();
    let files = payload();
    let info = build(wine.dir.path(), "1.2.3", MsiScope::PerUser, &files);
    let user_product = format!(
        r"HKCU\Software\Microsoft\Installer\Products\{}",
        squashed(&info.product_code)
    );
    let machine_product = format!(
        r"HKLM\Software\Classes\Installer\Products\{}",
        squashed(&info.product_code)
    );

    let install_log = wine.install(&info.path, "install.log");
    assert_installed(&wine.per_user_root(), &files);
    assert!(
        !wine.per_machine_root().exists(),
        "a per-user install wrote to Program Files"
    );
    // Wine quirk: Windows (7 and later) reads ALLUSERS=2 with
    // MSIINSTALLPERUSER=1 as a per-user install: ALLUSERS becomes empty, the
    // product is advertised in HKCU and its Uninstall entry is in HKCU. Wine 8
    // ignores MSIINSTALLPERUSER: the user is an administrator, so ALLUSERS=2
    // resolves to 1 and the product is installed in the machine context
    // (HKLM Products, UserData\S-1-5-18, Uninstall entry in HKLM). The files
    // still land below LocalAppData\Programs because that is where the
    // Directory table points. These checks pin Wine's behaviour: they fail
    // if a later Wine starts honouring MSIINSTALLPERUSER, and must then be
    // turned into the Windows ones.
    assert!(
        install_log.contains("Property(S): ALLUSERS = 1") && install_log.contains("Property(S): MSIINSTALLPERUSER = 1"),
        "ALLUSERS and MSIINSTALLPERUSER in the log:\n{install_log}"
    );
    assert!(
        wine.key_exists(&machine_product),
        "{machine_product} is missing: Wine did not use the machine context"
    );
    assert!(
        !wine.key_exists(&user_product),
        "{user_product} exists: Wine now installs per-user"
    );
    assert!(
        wine.arp_entries(HKCU_UNINSTALL).is_empty(),
        "Wine has started writing HKCU Uninstall entries"
    );
    let entries = wine.arp_entries(HKLM_UNINSTALL);
    assert_eq!(
        entries.len(),
        1,
        "one HKLM Uninstall entry named {PRODUCT}: {entries:#?}"
    );
    let (key, values) = &entries[0];
    assert!(
        key.ends_with(&info.product_code),
        "{key} is not keyed by {}",
        info.product_code
    );
    assert_eq!(
        values.get("DisplayVersion").map(String::as_str),
        Some("1.2.3"),
        "{values:#?}"
    );

    wine.uninstall(&info.path, "uninstall.log");
    assert_removed(&wine.per_user_root());
    assert!(
        !wine.key_exists(&machine_product),
        "{machine_product} is left after removal"
    );
    assert!(
        wine.arp_entries(HKLM_UNINSTALL).is_empty(),
        "the Uninstall entry is removed"
    );
    assert!(wine.arp_entries(HKCU_UNINSTALL).is_empty());
}

#[test]
fn major_upgrade_then_refused_downgrade() {
    let wine = Wine::boot();
    let old_files = BTreeMap::from([("a.txt", b"a, version 1.0.0\n".to_vec()), ("b.txt", b"b\n".to_vec())]);
    let new_files = BTreeMap::from([("a.txt", b"a, version 1.1.0\n".to_vec()), ("c.txt", b"c\n".to_vec())]);
    let old = build(wine.dir.path(), "1.0.0", MsiScope::PerMachine, &old_files);
    let new = build(wine.dir.path(), "1.1.0", MsiScope::PerMachine, &new_files);
    assert_eq!(old.upgrade_code, new.upgrade_code);
    assert_ne!(old.product_code, new.product_code);
    let root = wine.per_machine_root();

    wine.install(&old.path, "install-1.0.0.log");
    assert_installed(&root, &old_files);

    wine.install(&new.path, "install-1.1.0.log");
    assert_installed(&root, &new_files);
    let entries = wine.arp_entries(HKLM_UNINSTALL);
    assert_eq!(
        entries.len(),
        1,
        "exactly one Uninstall entry named {PRODUCT}: {entries:#?}"
    );
    let (key, values) = &entries[0];
    assert!(
        key.ends_with(&new.product_code),
        "{key} is not the new product {}",
        new.product_code
    );
    assert_eq!(
        values.get("DisplayVersion").map(String::as_str),
        Some("1.1.0"),
        "{values:#?}"
    );

    let (code, log) = wine.msiexec("/i", &old.path, "downgrade.log");
    // msiexec exits with ERROR_INSTALL_FAILURE (1603); a Unix exit status
    // keeps its low 8 bits only, so wine64 exits with 1603 & 0xff = 67.
    assert_eq!(
        code,
        1603 & 0xff,
        "installing 1.0.0 over 1.1.0 did not fail with 1603:\n{log}"
    );
    // Wine quirk: with /qn Wine 8 does not write the LaunchCondition's
    // message ("A newer version of … is already installed") to the log, and
    // it logs a failed action as "Return value 0" (Windows: 3). Check that
    // LaunchConditions is the action that stopped the install.
    assert!(
        log.contains("Found application: ") && log.contains("LaunchConditions. Return value 0."),
        "the downgrade was not stopped by FindRelatedProducts and LaunchConditions:\n{log}"
    );
    assert!(
        !log.contains("InstallFiles"),
        "the refused downgrade got as far as InstallFiles:\n{log}"
    );
    assert_installed(&root, &new_files);
    let entries = wine.arp_entries(HKLM_UNINSTALL);
    assert_eq!(
        entries.len(),
        1,
        "the refused downgrade changed the Uninstall entries: {entries:#?}"
    );
    assert!(entries[0].0.ends_with(&new.product_code));
}
