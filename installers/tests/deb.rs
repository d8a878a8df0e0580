//! Integration tests of `write_deb`, checked with the real Debian tools:
//! `dpkg-deb` reads the package, `lintian` judges it, `dpkg --root`
//! installs, verifies, upgrades, removes and purges it in a throwaway root
//! (running the maintainer scripts), `dpkg --compare-versions` orders
//! versions, and `debsig-verify` checks signatures made with keys from
//! `gpg`.
//!
//! dpkg runs the scripts without chroot (`--force-script-chrootless`), so on
//! this host: the test scripts write only below `$DPKG_ROOT` (and fail if it
//! is unset), and the systemd handling touches only that root.
//!
//! A missing tool fails the test with the `apt-get install` command that
//! provides it.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{both, command, output, run};
use oxdist_installers::deb::{DebCompression, DebError, DebOptions, deb_file_name, write_deb};
use oxdist_installers::linux::{
    ChangelogEntry, FileAttributes, LinuxPackageSpec, LinuxVersion, MaintainerScripts, RelationKind, SystemdUnit,
};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath, PackageMetadata};
use oxdist_signing::openpgp::{OpenPgpError, Signer};

const DPKG: &str = "dpkg";
const DPKG_DEV: &str = "dpkg-dev";
const LINTIAN: &str = "lintian";
const DEBSIG: &str = "debsig-verify";
const GNUPG: &str = "gnupg";
const BINUTILS: &str = "binutils";
const SYSTEMD: &str = "systemd";

/// 2023-11-14T22:13:20Z.
const TIME: Timestamp = Timestamp(1_700_000_000);

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

fn metadata(version: &str) -> PackageMetadata {
    PackageMetadata {
        name: "greeter".into(),
        version: version.into(),
        description: Some("friendly greetings for the command line".into()),
        maintainer: Some("Oxdist Tests <tests@example.org>".into()),
        vendor: Some("Example Org".into()),
        homepage: Some("https://example.org/greeter".into()),
        license: Some("MIT".into()),
        target_triple: "x86_64-unknown-linux-gnu".into(),
    }
}

/// A script that appends its name and dpkg's arguments to
/// `$DPKG_ROOT/scripts.log`; `${DPKG_ROOT:?}` makes it fail rather than
/// write on the host if dpkg did not set the variable.
fn marker(name: &str, shebang: &str) -> String {
    format!("{shebang}echo \"{name} $*\" >> \"${{DPKG_ROOT:?}}/scripts.log\"\n")
}

/// The application: a shell-script executable (read from disk) printing
/// its data file, the data file, and a relative link to it.
fn files(src: &Path, greeting: &str) -> FileManifest {
    fs::create_dir_all(src).unwrap();
    let exe = src.join("greeter");
    // Finds its data beside itself, so it runs from the throwaway root.
    fs::write(
        &exe,
        "#!/bin/sh\nhere=$(dirname \"$(readlink -f \"$0\")\")\nread -r greeting < \"$here/share/message.txt\"\necho \"$greeting from greeter\"\n",
    )
    .unwrap();
    let mut m = FileManifest::new();
    m.add_file(ManifestPath::new("greeter").unwrap(), FileEntry::from_path(&exe, true))
        .unwrap();
    m.add_file(
        ManifestPath::new("share/message.txt").unwrap(),
        FileEntry::from_bytes(format!("{greeting}\n").into_bytes(), false, "test data"),
    )
    .unwrap();
    m.add(
        ManifestPath::new("share/latest.txt").unwrap(),
        ManifestEntry::Symlink {
            target: "message.txt".into(),
            origin: "test link".into(),
        },
    )
    .unwrap();
    m
}

fn spec(version: &str) -> LinuxPackageSpec {
    let mut root = FileManifest::new();
    let mut add = |path: &str, bytes: &[u8]| {
        root.add_file(
            ManifestPath::new(path).unwrap(),
            FileEntry::from_bytes(bytes.to_vec(), false, "test root file"),
        )
        .unwrap();
    };
    add("etc/greeter/greeter.conf", b"greeting = hello\n");
    add("var/lib/greeter/state", b"private state\n");
    add("usr/share/doc/greeter/README", b"Run greeter to be greeted.\n");
    let mut relations = BTreeMap::new();
    for (kind, entries) in [
        (
            RelationKind::Depends,
            vec!["libc6 (>= 2.17)", "sensible-utils | xdg-utils"],
        ),
        (RelationKind::Recommends, vec!["curl"]),
        (RelationKind::Suggests, vec!["python3"]),
        (RelationKind::Conflicts, vec!["greeter-legacy"]),
        (RelationKind::Replaces, vec!["greeter-legacy"]),
        (RelationKind::Provides, vec!["greeting-app"]),
    ] {
        relations.insert(kind, entries.into_iter().map(String::from).collect());
    }
    let mut attributes = BTreeMap::new();
    attributes.insert(
        "/var/lib/greeter/state".to_string(),
        FileAttributes {
            mode: Some(0o600),
            user: Some("nobody".into()),
            group: Some("nogroup".into()),
        },
    );
    LinuxPackageSpec {
        root_files: root,
        bin_links: vec!["greeter".into()],
        deb_relations: relations,
        scripts: MaintainerScripts {
            pre_install: Some(marker("pre_install", "")),
            // A bash script: its #! line picks the shell.
            post_install: Some(format!(
                "{}[[ -n \"$1\" ]]\n",
                marker("post_install", "#!/bin/bash\n")
            )),
            pre_remove: Some(marker("pre_remove", "")),
            post_remove: Some(marker("post_remove", "")),
        },
        attributes,
        systemd_unit: Some(SystemdUnit {
            name: "greeter.service".into(),
            contents: "[Unit]\nDescription=Greeter\n\n[Service]\nExecStart=/usr/bin/greeter\n\n[Install]\nWantedBy=multi-user.target\n".into(),
            enable: true,
            start: true,
        }),
        changelog: vec![
            ChangelogEntry {
                version: version.into(),
                author: "Oxdist Tests <tests@example.org>".into(),
                timestamp: 1_699_999_000,
                changes: vec![format!("Release {version}, with a change line long enough to be wrapped by the writer at seventy-eight columns.")],
            },
            ChangelogEntry {
                version: "0.9.0rc1".into(),
                author: "Oxdist Tests <tests@example.org>".into(),
                timestamp: 1_600_000_000,
                changes: vec!["First preview.".into()],
            },
        ],
        license_text: Some("Permission is hereby granted, free of charge, to any person obtaining a copy\nof this software, to deal in the Software without restriction.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND.\n".into()),
        long_description: Some("Greeter says hello, and then some.\n\nIt is the test package of oxdist's deb writer.".into()),
        ..Default::default()
    }
}

fn options() -> DebOptions {
    DebOptions {
        timestamp: TIME,
        threads: 2,
        ..Default::default()
    }
}

/// Builds `greeter` `version` into `dir` (its sources in `dir/src-VERSION`).
fn build(dir: &Path, version: &str, options: &DebOptions) -> PathBuf {
    let meta = metadata(version);
    let dest = dir.join(deb_file_name(&meta).unwrap());
    let files = files(&dir.join(format!("src-{version}")), &format!("hello {version}"));
    let info = write_deb(&meta, &spec(version), &files, options, &dest).unwrap_or_else(|e| panic!("write_deb: {e}"));
    assert_eq!(info.path, dest);
    assert_eq!(info.size, fs::metadata(&dest).unwrap().len());
    dest
}

fn tool(program: &str, args: &[&str], apt_package: &str) -> String {
    run(command(program).args(args), apt_package)
}

// ---------------------------------------------------------------------------
// Reading the package
// ---------------------------------------------------------------------------

#[test]
fn control_fields_members_and_contents() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path(), "1.0.0", &options());
    assert_eq!(deb.file_name().unwrap(), "greeter_1.0.0_amd64.deb");
    let deb_str = deb.to_str().unwrap();

    let members = tool("ar", &["t", deb_str], BINUTILS);
    assert_eq!(members, "debian-binary\ncontrol.tar.xz\ndata.tar.xz\n");

    let info = tool("dpkg-deb", &["--info", deb_str], DPKG);
    for line in [
        " Package: greeter",
        " Version: 1.0.0",
        " Architecture: amd64",
        " Maintainer: Oxdist Tests <tests@example.org>",
        " Depends: libc6 (>= 2.17), sensible-utils | xdg-utils",
        " Recommends: curl",
        " Suggests: python3",
        " Conflicts: greeter-legacy",
        " Replaces: greeter-legacy",
        " Provides: greeting-app",
        " Section: misc",
        " Priority: optional",
        " Homepage: https://example.org/greeter",
        " Description: friendly greetings for the command line",
        "  Greeter says hello, and then some.",
        "  .",
        "  It is the test package of oxdist's deb writer.",
    ] {
        assert!(info.lines().any(|l| l == line), "no {line:?} in:\n{info}");
    }
    // Every script dpkg-deb lists, executable.
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        assert!(
            info.lines()
                .any(|l| l.trim_start().contains(&format!(" {script} ")) && l.contains("#!/bin/sh")),
            "{script} missing:\n{info}"
        );
    }
    let size: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix(" Installed-Size: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((15..40).contains(&size), "Installed-Size {size}");

    let conffiles = tool("dpkg-deb", &["--info", deb_str, "conffiles"], DPKG);
    assert_eq!(conffiles, "/etc/greeter/greeter.conf\n");
    let md5sums = tool("dpkg-deb", &["--info", deb_str, "md5sums"], DPKG);
    assert!(
        md5sums
            .lines()
            .any(|l| l.ends_with("  opt/greeter/greeter") && l.len() == 32 + 2 + 19),
        "{md5sums}"
    );
    assert!(
        !md5sums.contains("etc/greeter"),
        "conffiles are not in md5sums:\n{md5sums}"
    );
    let postinst = tool("dpkg-deb", &["--info", deb_str, "postinst"], DPKG);
    assert!(
        postinst.contains("\nbash -ec \"$oxdist_script\" post_install \"$@\"\n"),
        "{postinst}"
    );
    assert!(
        postinst.contains("systemctl --root=\"$DPKG_ROOT\" enable greeter.service"),
        "{postinst}"
    );

    // tar -tv columns: mode, owner/group, size, date, time, name [-> target].
    let contents = tool("dpkg-deb", &["--contents", deb_str], DPKG);
    let listing: BTreeMap<String, (String, String)> = contents
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(&fields[3..5], ["2023-11-14", "22:13"], "mtime of {line}");
            assert!(fields[5].starts_with("./"), "every entry is ./-prefixed: {line}");
            (fields[5..].join(" "), (fields[0].to_string(), fields[1].to_string()))
        })
        .collect();
    for (name, mode, owner) in [
        ("./", "drwxr-xr-x", "root/root"),
        ("./etc/greeter/", "drwxr-xr-x", "root/root"),
        ("./etc/greeter/greeter.conf", "-rw-r--r--", "root/root"),
        ("./opt/greeter/greeter", "-rwxr-xr-x", "root/root"),
        ("./opt/greeter/share/message.txt", "-rw-r--r--", "root/root"),
        (
            "./opt/greeter/share/latest.txt -> message.txt",
            "lrwxrwxrwx",
            "root/root",
        ),
        ("./usr/bin/greeter -> /opt/greeter/greeter", "lrwxrwxrwx", "root/root"),
        ("./lib/systemd/system/greeter.service", "-rw-r--r--", "root/root"),
        ("./var/lib/greeter/state", "-rw-------", "nobody/nogroup"),
        ("./usr/share/doc/greeter/README", "-rw-r--r--", "root/root"),
        ("./usr/share/doc/greeter/copyright", "-rw-r--r--", "root/root"),
        ("./usr/share/doc/greeter/changelog.gz", "-rw-r--r--", "root/root"),
        ("./usr/share/lintian/overrides/greeter", "-rw-r--r--", "root/root"),
    ] {
        assert_eq!(
            listing.get(name),
            Some(&(mode.to_string(), owner.to_string())),
            "{name} in:\n{contents}"
        );
    }

    // The generated documents, as dpkg extracts them.
    let root = dir.path().join("x");
    tool("dpkg-deb", &["-x", deb_str, root.to_str().unwrap()], DPKG);
    let copyright = fs::read_to_string(root.join("usr/share/doc/greeter/copyright")).unwrap();
    assert!(copyright.starts_with("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"));
    for line in [
        "Files: *",
        "Copyright: 2023 Example Org",
        "License: MIT",
        " Permission is hereby granted, free of charge, to any person obtaining a copy",
        " .",
    ] {
        assert!(copyright.lines().any(|l| l == line), "no {line:?} in:\n{copyright}");
    }
    let changelog = tool(
        "zcat",
        &[root.join("usr/share/doc/greeter/changelog.gz").to_str().unwrap()],
        "gzip",
    );
    assert!(
        changelog.starts_with("greeter (1.0.0) unstable; urgency=medium\n\n  * Release 1.0.0, with a change"),
        "{changelog}"
    );
    assert!(changelog.contains("greeter (0.9.0~rc1) unstable"), "{changelog}");
    assert!(
        changelog.contains(" -- Oxdist Tests <tests@example.org>  Tue, 14 Nov 2023 21:56:40 +0000\n"),
        "{changelog}"
    );
    // dpkg's own parser reads it.
    let unpacked = dir.path().join("changelog");
    fs::write(&unpacked, &changelog).unwrap();
    let unpacked = unpacked.to_str().unwrap();
    assert_eq!(
        tool("dpkg-parsechangelog", &["-l", unpacked, "-S", "Version"], DPKG_DEV),
        "1.0.0\n"
    );
    assert_eq!(
        tool("dpkg-parsechangelog", &["-l", unpacked, "-S", "Timestamp"], DPKG_DEV),
        "1699999000\n"
    );
}

/// Warnings lintian may give on the test package, each with the reason it
/// is acceptable. Anything else, and every error, fails the test.
const ALLOWED_LINTIAN: [(&str, &str); 4] = [
    (
        "maintainer-script-calls-systemctl",
        "by design: the unit is handled with systemctl alone, so packages do not depend on init-system-helpers",
    ),
    (
        "no-manual-page",
        "the test application has no manual page; applications add theirs with root_files",
    ),
    (
        "non-standard-file-perm",
        "the test asks for a 0600 file, to check that modes reach the package",
    ),
    (
        "possible-bashism-in-maintainer-script",
        "the post_install script is a bash script run by bash; lintian reads its text inside the sh wrapper",
    ),
];

#[test]
fn lintian_finds_no_errors() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path(), "1.0.0", &options());
    let out = output(
        command(LINTIAN)
            .args(["--allow-root", "--tag-display-limit", "0", "--no-cfg"])
            .arg(&deb),
        LINTIAN,
    );
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut unexpected = Vec::new();
    for line in report.lines() {
        let Some((severity, rest)) = line.split_once(": ") else {
            continue;
        };
        let tag = rest.split_whitespace().nth(1).unwrap_or_default();
        match severity {
            "E" => unexpected.push(line),
            "W" if !ALLOWED_LINTIAN.iter().any(|(t, _)| *t == tag) => unexpected.push(line),
            _ => {}
        }
    }
    assert!(
        unexpected.is_empty(),
        "lintian:\n{}\n{}",
        unexpected.join("\n"),
        both(&out)
    );
    assert!(out.status.success(), "lintian failed:\n{}", both(&out));
}

// ---------------------------------------------------------------------------
// Installing, upgrading, removing
// ---------------------------------------------------------------------------

/// A throwaway dpkg root: an empty database below `root`.
struct Root {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Root {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for sub in ["info", "updates", "triggers"] {
            fs::create_dir_all(root.join("var/lib/dpkg").join(sub)).unwrap();
        }
        for file in ["status", "available"] {
            fs::write(root.join("var/lib/dpkg").join(file), "").unwrap();
        }
        Root { _dir: dir, root }
    }

    /// `dpkg --root=ROOT ARGS` without chroot (the scripts run on this host,
    /// with DPKG_ROOT set), as a non-root-aware dpkg would; the database has
    /// none of the package's dependencies, hence --force-depends.
    fn dpkg(&self, args: &[&str]) -> std::process::Output {
        output(
            command("dpkg")
                .arg(format!("--root={}", self.root.display()))
                .args([
                    "--log=/dev/null",
                    "--force-script-chrootless",
                    "--force-not-root",
                    "--force-depends",
                    "--force-unsafe-io",
                ])
                .args(args),
            DPKG,
        )
    }

    fn dpkg_ok(&self, args: &[&str]) -> String {
        let out = self.dpkg(args);
        assert!(out.status.success(), "dpkg {args:?} failed:\n{}", both(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// The script log, emptied.
    fn take_log(&self) -> Vec<String> {
        let log = self.path("scripts.log");
        let text = fs::read_to_string(&log).unwrap_or_default();
        let _ = fs::remove_file(&log);
        // `$*` ends in a space when dpkg passes an empty argument
        // (`configure ""` on first installation).
        text.lines().map(|l| l.trim_end().to_string()).collect()
    }

    /// Runs the installed executable (its data is found beside it).
    fn greet(&self) -> String {
        run(&mut Command::new(self.path("opt/greeter/greeter")), DPKG)
    }
}

#[test]
fn install_upgrade_verify_remove_purge() {
    // The unit's enablement is done by systemctl --root, so it must exist.
    tool("systemctl", &["--version"], SYSTEMD);
    let dir = tempfile::tempdir().unwrap();
    let v1 = build(dir.path(), "1.0.0", &options());
    let v2 = build(dir.path(), "1.1.0", &options());
    let r = Root::new();
    let wants = "etc/systemd/system/multi-user.target.wants/greeter.service";

    r.dpkg_ok(&["-i", v1.to_str().unwrap()]);
    assert_eq!(r.take_log(), ["pre_install install", "post_install configure"]);
    assert_eq!(r.greet(), "hello 1.0.0 from greeter\n");
    assert_eq!(
        fs::read_link(r.path("usr/bin/greeter")).unwrap(),
        Path::new("/opt/greeter/greeter")
    );
    let state = fs::metadata(r.path("var/lib/greeter/state")).unwrap();
    let nobody: u32 = tool("id", &["-u", "nobody"], "coreutils").trim().parse().unwrap();
    assert_eq!(
        (state.mode() & 0o7777, state.uid()),
        (0o600, nobody),
        "mode and owner by name"
    );
    assert_eq!(
        fs::read_link(r.path(wants)).unwrap(),
        Path::new("/lib/systemd/system/greeter.service"),
        "enabled in the root, not on the host"
    );
    assert_eq!(r.dpkg_ok(&["--verify", "greeter"]), "");

    // The administrator edits the configuration; the upgrade keeps it.
    fs::write(r.path("etc/greeter/greeter.conf"), "greeting = edited\n").unwrap();
    r.dpkg_ok(&["-i", v2.to_str().unwrap()]);
    assert_eq!(
        r.take_log(),
        [
            "pre_remove upgrade 1.1.0",
            "pre_install upgrade 1.0.0 1.1.0",
            "post_remove upgrade 1.1.0",
            "post_install configure 1.0.0",
        ]
    );
    assert_eq!(r.greet(), "hello 1.1.0 from greeter\n");
    assert_eq!(
        fs::read_to_string(r.path("etc/greeter/greeter.conf")).unwrap(),
        "greeting = edited\n"
    );
    // Only the edited configuration file differs from what dpkg installed.
    let verify = r.dpkg(&["--verify", "greeter"]);
    assert_eq!(
        String::from_utf8_lossy(&verify.stdout),
        "??5?????? c /etc/greeter/greeter.conf\n",
        "{}",
        both(&verify)
    );
    let status = r.dpkg_ok(&["-s", "greeter"]);
    assert!(
        status.contains("Status: install ok installed\n") && status.contains("Version: 1.1.0\n"),
        "{status}"
    );

    r.dpkg_ok(&["-r", "greeter"]);
    assert_eq!(r.take_log(), ["pre_remove remove", "post_remove remove"]);
    assert!(!r.path("opt/greeter").exists() && !r.path("usr/bin/greeter").exists());
    assert!(
        r.path("etc/greeter/greeter.conf").exists(),
        "removal keeps configuration"
    );
    assert!(r.path(wants).is_symlink(), "removal keeps the unit's enablement");

    r.dpkg_ok(&["-P", "greeter"]);
    assert_eq!(r.take_log(), ["post_remove purge"]);
    assert!(!r.path("etc/greeter").exists(), "purge removes configuration");
    assert!(!r.path(wants).is_symlink(), "purge disables the unit");
    assert!(!r.dpkg(&["-s", "greeter"]).status.success());
}

/// dpkg orders the mapped versions as PEP 440 orders the originals.
#[test]
fn versions_order_as_dpkg_compares_them() {
    let ascending = [
        "0.9",
        "1.0.dev1",
        "1.0a1.dev2",
        "1.0a1",
        "1.0a2",
        "1.0b1",
        "1.0rc1.dev1",
        "1.0rc1",
        "1.0",
        "1.0.post1",
        "1.0.post2.dev1",
        "1.0.post2",
        "1.0.1",
        "1.1.0-alpha.1",
        "1.1.0-beta",
        "1.1.0",
        "1.1.0+local.1",
        "1.10",
        "2!0.1",
    ];
    let debian: Vec<String> = ascending
        .iter()
        .map(|v| LinuxVersion::parse(v).unwrap().debian())
        .collect();
    for pair in debian.windows(2) {
        let out = output(
            command("dpkg").args(["--compare-versions", &pair[0], "lt", &pair[1]]),
            DPKG,
        );
        assert!(out.status.success(), "dpkg says {} is not before {}", pair[0], pair[1]);
    }
}

// ---------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------

/// A throwaway Ed25519 key made by gpg in a temporary GNUPGHOME; with
/// `subkey`, a certification-only primary key with a signing subkey.
struct GpgKey {
    home: tempfile::TempDir,
    secret: Vec<u8>,
    /// The fingerprint of the (sub)key that signs.
    fingerprint: String,
}

impl GpgKey {
    fn new(passphrase: &str, subkey: bool) -> Self {
        let home = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        let mut key = GpgKey {
            home,
            secret: Vec::new(),
            fingerprint: String::new(),
        };
        let pass = ["--passphrase", passphrase];
        let usage = if subkey { "cert" } else { "sign" };
        let uid = "Oxdist Deb Signing <deb-signing@example.org>";
        key.gpg(&[&pass[..], &["--quick-gen-key", uid, "ed25519", usage, "never"]].concat());
        let fingerprints = |key: &GpgKey| -> Vec<String> {
            let listing = String::from_utf8(key.gpg(&["--with-colons", "--list-keys"])).unwrap();
            listing
                .lines()
                .filter_map(|l| l.strip_prefix("fpr:"))
                .map(|l| l.trim_matches(':').to_string())
                .collect()
        };
        if subkey {
            let primary = fingerprints(&key).remove(0);
            key.gpg(&[&pass[..], &["--quick-add-key", &primary, "ed25519", "sign", "never"]].concat());
        }
        key.secret = key.gpg(&[&pass[..], &["--armor", "--export-secret-keys"]].concat());
        // The primary key's, or the signing subkey's (listed after it).
        key.fingerprint = fingerprints(&key).pop().expect("a fingerprint");
        key
    }

    fn gpg(&self, args: &[&str]) -> Vec<u8> {
        let mut cmd = command("gpg");
        cmd.arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--pinentry-mode", "loopback"])
            .args(args);
        let out = output(&mut cmd, GNUPG);
        assert!(out.status.success(), "gpg {args:?}:\n{}", both(&out));
        out.stdout
    }

    /// `debsig-verify` with a policy trusting this key, from a policies
    /// and a keyrings directory of the test's own.
    fn debsig_verify(&self, deb: &Path) -> std::process::Output {
        let dir = tempfile::tempdir().unwrap();
        let (policies, keyrings) = (dir.path().join("policies"), dir.path().join("keyrings"));
        // debsig-verify names both directories after the fingerprint of
        // the key that made the origin signature.
        fs::create_dir_all(policies.join(&self.fingerprint)).unwrap();
        fs::create_dir_all(keyrings.join(&self.fingerprint)).unwrap();
        fs::write(
            keyrings.join(&self.fingerprint).join("pubring.gpg"),
            self.gpg(&["--export", &self.fingerprint]),
        )
        .unwrap();
        let policy = format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE Policy SYSTEM "https://www.debian.org/debsig/1.0/policy.dtd">
<Policy xmlns="https://www.debian.org/debsig/1.0/">
  <Origin Name="oxdist-tests" id="{fpr}" Description="oxdist test packages"/>
  <Selection>
    <Required Type="origin" File="pubring.gpg" id="{fpr}"/>
  </Selection>
  <Verification MinOptional="0">
    <Required Type="origin" File="pubring.gpg" id="{fpr}"/>
  </Verification>
</Policy>
"#,
            fpr = self.fingerprint
        );
        fs::write(policies.join(&self.fingerprint).join("oxdist.pol"), policy).unwrap();
        output(
            command(DEBSIG)
                .arg("--policies-dir")
                .arg(&policies)
                .arg("--keyrings-dir")
                .arg(&keyrings)
                .arg(deb),
            DEBSIG,
        )
    }

    /// Options that sign with this key, unlocked as the command line does.
    fn signing(&self, passphrase: Option<&str>) -> DebOptions {
        let signer = Signer::from_bytes(&self.secret, passphrase).unwrap_or_else(|e| panic!("{e}"));
        DebOptions {
            signer: Some(Arc::new(signer)),
            ..options()
        }
    }
}

impl Drop for GpgKey {
    fn drop(&mut self) {
        // gpg started an agent for this home.
        let _ = command("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

#[test]
fn signed_packages_verify_with_debsig_verify() {
    let key = GpgKey::new("", false);
    let dir = tempfile::tempdir().unwrap();
    let signed = build(&dir.path().join("a"), "1.0.0", &key.signing(None));
    let signed_str = signed.to_str().unwrap();
    assert_eq!(
        tool("ar", &["t", signed_str], BINUTILS),
        "debian-binary\ncontrol.tar.xz\ndata.tar.xz\n_gpgorigin\n"
    );
    let verified = key.debsig_verify(&signed);
    assert!(
        verified.status.success() && String::from_utf8_lossy(&verified.stdout).contains("Verified package from"),
        "debsig-verify:\n{}",
        both(&verified)
    );
    // Reproducible when signed too.
    let again = build(&dir.path().join("b"), "1.0.0", &key.signing(None));
    assert_eq!(fs::read(&signed).unwrap(), fs::read(&again).unwrap());

    // dpkg ignores the signature member: the signed package installs.
    tool("dpkg-deb", &["--info", signed_str], DPKG);
    let r = Root::new();
    r.dpkg_ok(&["-i", signed_str]);
    assert_eq!(r.greet(), "hello 1.0.0 from greeter\n");

    // A changed byte in data.tar fails verification (exit 13).
    let mut bytes = fs::read(&signed).unwrap();
    let data = bytes
        .windows(11)
        .position(|w| w == b"data.tar.xz")
        .expect("the data member");
    bytes[data + 60 + 200] ^= 0x20;
    let tampered = dir.path().join("tampered.deb");
    fs::write(&tampered, bytes).unwrap();
    let failed = key.debsig_verify(&tampered);
    assert_eq!(failed.status.code(), Some(13), "{}", both(&failed));

    // An unsigned package has no origin signature (exit 10).
    let unsigned = build(&dir.path().join("c"), "1.0.0", &options());
    let failed = key.debsig_verify(&unsigned);
    assert_eq!(failed.status.code(), Some(10), "{}", both(&failed));
}

#[test]
fn protected_keys_need_the_right_passphrase() {
    let key = GpgKey::new("correct horse", false);
    let key_id = &key.fingerprint[24..];
    let missing = Signer::from_bytes(&key.secret, None).unwrap_err();
    assert!(matches!(missing, OpenPgpError::PassphraseRequired { .. }));
    assert_eq!(
        missing.to_string(),
        format!("the OpenPGP key {key_id} is passphrase-protected and no passphrase was given; provide its passphrase")
    );
    let wrong = Signer::from_bytes(&key.secret, Some("battery staple")).unwrap_err();
    assert_eq!(wrong.to_string(), format!("wrong passphrase for OpenPGP key {key_id}"));

    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path(), "1.0.0", &key.signing(Some("correct horse")));
    let verified = key.debsig_verify(&deb);
    assert!(verified.status.success(), "debsig-verify:\n{}", both(&verified));
}

/// A key whose primary key only certifies signs with its subkey. Debian
/// 12's debsig-verify (0.28) cannot look subkeys up in its keyrings, so gpg
/// itself checks the `_gpgorigin` signature over the members, as
/// debsig-verify would feed them to it.
#[test]
fn signing_subkeys_make_valid_signatures() {
    let key = GpgKey::new("", true);
    let options = key.signing(None);
    let signer = options.signer.clone().unwrap();
    assert_ne!(signer.fingerprint(), signer.signing_fingerprint());
    assert_eq!(signer.signing_fingerprint(), key.fingerprint);
    let dir = tempfile::tempdir().unwrap();
    let meta = metadata("1.0.0");
    let dest = dir.path().join(deb_file_name(&meta).unwrap());
    let files = files(&dir.path().join("src"), "hello");
    let info = write_deb(&meta, &spec("1.0.0"), &files, &options, &dest).unwrap();
    assert_eq!(info.signed_by.as_deref(), Some(key.fingerprint.as_str()));

    let deb = dest.to_str().unwrap();
    let member = |name: &str| output(command("ar").args(["p", deb, name]), BINUTILS).stdout;
    let signed = [member("debian-binary"), member("control.tar.xz"), member("data.tar.xz")].concat();
    let (data, sig) = (dir.path().join("signed"), dir.path().join("signature"));
    fs::write(&data, signed).unwrap();
    fs::write(&sig, member("_gpgorigin")).unwrap();
    let status = key.gpg(&[
        "--status-fd",
        "1",
        "--verify",
        sig.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    let status = String::from_utf8_lossy(&status);
    assert!(
        status.contains(&format!("[GNUPG:] VALIDSIG {}", key.fingerprint)),
        "{status}"
    );
}

// ---------------------------------------------------------------------------
// Reproducibility and compression
// ---------------------------------------------------------------------------

#[test]
fn builds_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [DebCompression::default(), DebCompression::Zstd { level: 19 }] {
        let one = DebOptions {
            compression,
            threads: 1,
            ..options()
        };
        let four = DebOptions {
            threads: 4,
            ..one.clone()
        };
        let tag = compression.extension();
        let first = build(&dir.path().join(format!("{tag}-1")), "1.0.0", &one);
        // Sources in another place, with other mtimes, built with more threads.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = build(&dir.path().join(format!("{tag}-2")), "1.0.0", &four);
        assert_eq!(
            fs::read(&first).unwrap(),
            fs::read(&second).unwrap(),
            "{compression} builds differ"
        );
    }
}

#[test]
fn zstd_packages_install() {
    let dir = tempfile::tempdir().unwrap();
    let options = DebOptions {
        compression: DebCompression::Zstd { level: 3 },
        ..options()
    };
    let deb = build(dir.path(), "1.0.0", &options);
    let deb_str = deb.to_str().unwrap();
    assert_eq!(
        tool("ar", &["t", deb_str], BINUTILS),
        "debian-binary\ncontrol.tar.zst\ndata.tar.zst\n"
    );
    let info = tool("dpkg-deb", &["--info", deb_str], DPKG);
    assert!(info.contains(" Package: greeter\n"), "{info}");
    let r = Root::new();
    r.dpkg_ok(&["-i", deb_str]);
    assert_eq!(r.greet(), "hello 1.0.0 from greeter\n");
    assert_eq!(r.dpkg_ok(&["--verify", "greeter"]), "");
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

#[test]
fn bad_inputs_fail_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let dest = dir.path().join("out").join("greeter.deb");
    let attempt = |meta: &PackageMetadata, spec: &LinuxPackageSpec, options: &DebOptions| -> DebError {
        let err = write_deb(meta, spec, &files(&src, "hello"), options, &dest).unwrap_err();
        assert!(!dest.exists(), "nothing is written when the build fails");
        if let Ok(entries) = fs::read_dir(dest.parent().unwrap()) {
            assert_eq!(entries.count(), 0, "no temporary file is left behind");
        }
        err
    };
    let good = || (metadata("1.0.0"), spec("1.0.0"), options());

    let (mut meta, spec_ok, opts) = good();
    meta.maintainer = None;
    let err = attempt(&meta, &spec_ok, &opts);
    assert!(matches!(err, DebError::MissingMaintainer));
    assert!(
        err.to_string()
            .contains("set maintainer = \"Full Name <email@example.org>\" in set_package_metadata()"),
        "{err}"
    );

    meta.maintainer = Some("tests@example.org".into());
    let err = attempt(&meta, &spec_ok, &opts);
    assert!(
        err.to_string()
            .starts_with("maintainer \"tests@example.org\" is not in Debian's"),
        "{err}"
    );

    let (mut meta, _, _) = good();
    meta.description = None;
    assert!(matches!(attempt(&meta, &spec_ok, &opts), DebError::MissingDescription));
    let (mut meta, _, _) = good();
    meta.license = None;
    assert!(matches!(attempt(&meta, &spec_ok, &opts), DebError::MissingLicense));
    let (mut meta, _, _) = good();
    meta.name = "Greeter".into();
    let err = attempt(&meta, &spec_ok, &opts);
    assert!(
        err.to_string().contains("\"Greeter\" is not a Debian package name"),
        "{err}"
    );
    let (mut meta, _, _) = good();
    meta.target_triple = "x86_64-pc-windows-msvc".into();
    assert!(matches!(attempt(&meta, &spec_ok, &opts), DebError::Arch { .. }));

    let (meta, mut spec, _) = good();
    spec.deb_relations
        .insert(RelationKind::Depends, vec!["libc6 (>> )".into()]);
    let err = attempt(&meta, &spec, &opts);
    assert!(
        err.to_string().starts_with("invalid deb depends entry \"libc6 (>> )\""),
        "{err}"
    );

    let (meta, mut spec, _) = good();
    spec.config_files = Some(vec!["/etc/greeter/missing.conf".into()]);
    let err = attempt(&meta, &spec, &opts);
    assert!(
        err.to_string()
            .contains("config_files names \"/etc/greeter/missing.conf\""),
        "{err}"
    );

    let (meta, mut spec, _) = good();
    spec.scripts.post_install = Some("#!/usr/bin/python3\nprint('hi')\n".into());
    let err = attempt(&meta, &spec, &opts);
    assert!(
        err.to_string()
            .starts_with("the post_install script cannot be packaged"),
        "{err}"
    );

    let (meta, mut spec, _) = good();
    spec.changelog[0].version = "0.9.9".into();
    let err = attempt(&meta, &spec, &opts);
    assert_eq!(
        err.to_string(),
        "the newest changelog entry is for version 0.9.9 but the package version is 1.0.0; add an entry for 1.0.0 at the top of the changelog"
    );

    let (meta, spec, _) = good();
    let opts = DebOptions {
        compression: DebCompression::Zstd { level: 25 },
        ..options()
    };
    assert!(
        attempt(&meta, &spec, &opts)
            .to_string()
            .starts_with("zstd level 25 is out of range")
    );
}
