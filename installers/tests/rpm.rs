//! Integration tests of `write_rpm`, checked with the real rpm tools:
//! `rpm -q…` reads the package, `rpmlint` judges it, and `rpm --root`
//! installs, verifies, upgrades and erases it in a throwaway root, running
//! the scriptlets for real (chrooted into that root, so they cannot touch
//! the host). `rpmkeys` checks the signatures.
//!
//! A missing tool fails the test with the `apt-get install` command that
//! provides it.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{both, command, output, run};
use oxdist_installers::linux::{
    ChangelogEntry, FileAttributes, LinuxPackageSpec, LinuxVersion, MaintainerScripts, RelationKind, SystemdUnit,
};
use oxdist_installers::output::Timestamp;
use oxdist_installers::rpm::{RpmCompression, RpmOptions, rpm_file_name, write_rpm};
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath, PackageMetadata};
use oxdist_signing::openpgp::{OpenPgpError, Signer};

const RPM: &str = "rpm";
const RPMLINT: &str = "rpmlint";
const GNUPG: &str = "gnupg";

/// 2023-11-14T22:13:20Z.
const TIME: Timestamp = Timestamp(1_700_000_000);

fn rpm_cmd() -> Command {
    command("rpm")
}

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

fn metadata(version: &str) -> PackageMetadata {
    PackageMetadata {
        name: "greeter".into(),
        version: version.into(),
        description: Some("Greets people from the command line.".into()),
        maintainer: Some("Oxdist Tests <tests@example.com>".into()),
        vendor: Some("Example Corp".into()),
        homepage: Some("https://example.com/greeter".into()),
        license: Some("MIT".into()),
        target_triple: "x86_64-unknown-linux-gnu".into(),
    }
}

/// A script that appends its name and arguments to the file named by
/// `OXDIST_TEST_MARKERS`, which only these tests set: on a real system it
/// does nothing.
fn marker(name: &str) -> String {
    format!("if [ -n \"${{OXDIST_TEST_MARKERS:-}}\" ]; then\n  echo \"{name} $*\" >> \"$OXDIST_TEST_MARKERS\"\nfi\n")
}

/// The application: a shell-script executable that reads a data file, a
/// relative link, and a 0600 token owned by the `greeter` user.
fn files(src: &Path, greeting: &str) -> FileManifest {
    let mut m = FileManifest::new();
    // Read from disk (streamed into the package) …
    let exe = src.join("greeter");
    fs::write(
        &exe,
        "#!/bin/sh\nread -r greeting < /opt/greeter/share/data.txt\necho \"$greeting from greeter\"\n",
    )
    .unwrap();
    m.add_file(ManifestPath::new("greeter").unwrap(), FileEntry::from_path(&exe, true))
        .unwrap();
    // … and from memory.
    m.add_file(
        ManifestPath::new("share/data.txt").unwrap(),
        FileEntry::from_bytes(format!("{greeting}\n").into_bytes(), false, "test data"),
    )
    .unwrap();
    m.add(
        ManifestPath::new("share/greeting.txt").unwrap(),
        ManifestEntry::Symlink {
            target: "data.txt".into(),
            origin: "test link".into(),
        },
    )
    .unwrap();
    m.add_file(
        ManifestPath::new("share/token").unwrap(),
        FileEntry::from_bytes(b"s3cret\n".to_vec(), false, "test token"),
    )
    .unwrap();
    m
}

fn spec(config: &str) -> LinuxPackageSpec {
    let mut root = FileManifest::new();
    root.add_file(
        ManifestPath::new("etc/greeter/greeter.conf").unwrap(),
        FileEntry::from_bytes(config.as_bytes().to_vec(), false, "test config"),
    )
    .unwrap();
    root.add_file(
        ManifestPath::new("usr/share/doc/greeter/README").unwrap(),
        FileEntry::from_bytes(b"Run greeter.\n".to_vec(), false, "test readme"),
    )
    .unwrap();
    let mut relations = BTreeMap::new();
    relations.insert(
        RelationKind::Depends,
        vec![
            "/bin/sh".to_string(),
            "glibc >= 2.17".into(),
            "(python3 or python3.11)".into(),
        ],
    );
    relations.insert(RelationKind::Recommends, vec!["less".to_string()]);
    relations.insert(RelationKind::Conflicts, vec!["greeter-legacy < 1.0".to_string()]);
    relations.insert(RelationKind::Provides, vec!["greeting-service = 1.0".to_string()]);
    relations.insert(RelationKind::Replaces, vec!["old-greeter".to_string()]);
    let mut attributes = BTreeMap::new();
    attributes.insert(
        "/opt/greeter/share/token".to_string(),
        FileAttributes {
            mode: Some(0o600),
            user: Some("greeter".into()),
            group: Some("greeter".into()),
        },
    );
    LinuxPackageSpec {
        root_files: root,
        bin_links: vec!["greeter".into()],
        rpm_relations: relations,
        scripts: MaintainerScripts {
            pre_install: Some(marker("pre_install")),
            post_install: Some(marker("post_install")),
            pre_remove: Some(marker("pre_remove")),
            post_remove: Some(marker("post_remove")),
        },
        attributes,
        systemd_unit: Some(SystemdUnit {
            name: "greeter.service".into(),
            contents: "[Unit]\nDescription=Greeter\n\n[Service]\nExecStart=/usr/bin/greeter\n\n[Install]\nWantedBy=multi-user.target\n".into(),
            enable: true,
            start: true,
        }),
        changelog: vec![ChangelogEntry {
            version: "1.2.0".into(),
            author: "Oxdist Tests <tests@example.com>".into(),
            timestamp: 1_699_999_000,
            changes: vec!["First packaged release.".into()],
        }],
        long_description: Some("Greeter greets people.\n\nIt is the rpm writer's test fixture.\n".into()),
        license_text: Some("MIT License\n\nPermission is hereby granted, free of charge, ...\n".into()),
        ..Default::default()
    }
}

/// Builds `greeter-VERSION` into `dir`.
fn build(dir: &Path, version: &str, options: &RpmOptions) -> PathBuf {
    let src = dir.join(format!("src-{version}"));
    fs::create_dir_all(&src).unwrap();
    let meta = metadata(version);
    let dest = dir.join(rpm_file_name(&meta).unwrap());
    let mut spec = spec(&format!("greeting = hello {version}\n"));
    spec.changelog[0].version = version.into();
    let info = write_rpm(&meta, &spec, &files(&src, &format!("hello {version}")), options, &dest)
        .unwrap_or_else(|e| panic!("write_rpm: {e}"));
    assert_eq!(info.path, dest);
    dest
}

fn options() -> RpmOptions {
    RpmOptions {
        timestamp: TIME,
        ..Default::default()
    }
}

fn query(pkg: &Path, args: &[&str]) -> String {
    run(rpm_cmd().arg("-qp").args(args).arg(pkg), RPM)
}

/// One line of `rpm -qpi`, e.g. `field(info, "Build Host")`.
fn field<'a>(info: &'a str, name: &str) -> &'a str {
    info.lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
        .unwrap_or_else(|| panic!("no {name} in:\n{info}"))
}

/// A throwaway root for `rpm --root`: an initialised database, a `/bin/sh`
/// (the host's, with its libraries) for the scriptlets rpm runs chrooted
/// into the root, and the `greeter` user the fixture's token belongs to.
/// There is no `/dev` (scripts must cope) and no systemd.
struct Root {
    dir: tempfile::TempDir,
    markers: PathBuf,
}

impl Root {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        run(rpm_cmd().arg("--root").arg(root).arg("--initdb"), RPM);
        let sh = fs::canonicalize("/bin/sh").unwrap();
        let mut needed = vec![sh.clone()];
        let ldd = run(command("ldd").arg(&sh), "libc-bin");
        needed.extend(ldd.split_whitespace().filter(|w| w.starts_with('/')).map(PathBuf::from));
        for path in &needed {
            let inside = root.join(path.strip_prefix("/").unwrap());
            fs::create_dir_all(inside.parent().unwrap()).unwrap();
            fs::copy(path, &inside).unwrap();
        }
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::copy(&sh, root.join("bin/sh")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\ngreeter:x:990:990::/:/bin/sh\n",
        )
        .unwrap();
        fs::write(root.join("etc/group"), "root:x:0:\ngreeter:x:990:\n").unwrap();
        Self {
            markers: root.join("markers"),
            dir,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rpm --root ROOT ARGS` with the scripts' marker file set (a path
    /// inside the root: scriptlets run chrooted there).
    fn rpm(&self, args: &[&str]) -> std::process::Output {
        output(
            rpm_cmd()
                .arg("--root")
                .arg(self.path())
                .args(args)
                .env("OXDIST_TEST_MARKERS", "/markers"),
            RPM,
        )
    }

    #[track_caller]
    fn rpm_ok(&self, args: &[&str]) -> String {
        let out = self.rpm(args);
        assert!(out.status.success(), "rpm {args:?} failed:\n{}", both(&out));
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// The markers the scripts wrote since the last call.
    fn take_markers(&self) -> Vec<String> {
        let text = fs::read_to_string(&self.markers).unwrap_or_default();
        let _ = fs::remove_file(&self.markers);
        text.lines().map(str::to_string).collect()
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}

// ---------------------------------------------------------------------------
// What the package says
// ---------------------------------------------------------------------------

#[test]
fn header_fields_files_and_relations() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = build(dir.path(), "1.2.0", &options());
    assert_eq!(pkg.file_name().unwrap(), "greeter-1.2.0-1.x86_64.rpm");

    let info = query(&pkg, &["-i"]);
    for (name, value) in [
        ("Name", "greeter"),
        ("Version", "1.2.0"),
        ("Release", "1"),
        ("Architecture", "x86_64"),
        ("Group", "Applications/System"),
        ("License", "MIT"),
        ("Signature", "(none)"),
        ("Build Date", "Tue Nov 14 22:13:20 2023"),
        ("Build Host", "localhost"),
        ("Packager", "Oxdist Tests <tests@example.com>"),
        ("Vendor", "Example Corp"),
        ("URL", "https://example.com/greeter"),
        ("Summary", "Greets people from the command line"),
    ] {
        assert_eq!(field(&info, name), value, "{name} in:\n{info}");
    }
    assert!(
        info.ends_with("Description :\nGreeter greets people.\n\nIt is the rpm writer's test fixture.\n"),
        "{info}"
    );
    assert_eq!(query(&pkg, &["--qf", "%{PAYLOADCOMPRESSOR} %{EPOCH}"]), "zstd (none)");

    // Modes, owners, links; only the directories the package owns (not
    // /usr/bin, /usr/lib/systemd/system, …).
    let listing: Vec<String> = query(&pkg, &["-lv"])
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            // mode, owner, group, path [-> target]; skip links count, size, date.
            format!("{} {} {} {}", w[0], w[2], w[3], w[8..].join(" "))
        })
        .collect();
    assert_eq!(
        listing,
        [
            "drwxr-xr-x root root /etc/greeter",
            "-rw-r--r-- root root /etc/greeter/greeter.conf",
            "drwxr-xr-x root root /opt/greeter",
            "-rwxr-xr-x root root /opt/greeter/greeter",
            "drwxr-xr-x root root /opt/greeter/share",
            "-rw-r--r-- root root /opt/greeter/share/data.txt",
            "lrwxrwxrwx root root /opt/greeter/share/greeting.txt -> data.txt",
            "-rw------- greeter greeter /opt/greeter/share/token",
            "lrwxrwxrwx root root /usr/bin/greeter -> /opt/greeter/greeter",
            "-rw-r--r-- root root /usr/lib/systemd/system/greeter.service",
            "drwxr-xr-x root root /usr/share/doc/greeter",
            "-rw-r--r-- root root /usr/share/doc/greeter/README",
            "drwxr-xr-x root root /usr/share/licenses/greeter",
            "-rw-r--r-- root root /usr/share/licenses/greeter/LICENSE",
        ]
    );
    // --dump: path size mtime digest mode owner group isconfig isdoc rdev symlink.
    let dump = query(&pkg, &["--dump"]);
    let row = |path: &str| -> Vec<String> {
        dump.lines()
            .find(|l| l.starts_with(&format!("{path} ")))
            .unwrap_or_else(|| panic!("{path} not in:\n{dump}"))
            .split(' ')
            .map(str::to_string)
            .collect()
    };
    let conf = row("/etc/greeter/greeter.conf");
    assert_eq!(
        (conf[2].as_str(), conf[4].as_str(), conf[7].as_str()),
        ("1700000000", "0100644", "1")
    );
    assert_eq!(row("/usr/share/doc/greeter/README")[8], "1", "README is %doc");
    assert_eq!(row("/opt/greeter/greeter")[7..9], ["0", "0"]);
    assert_eq!(row("/usr/bin/greeter")[10], "/opt/greeter/greeter");
    assert_eq!(query(&pkg, &["-c"]), "/etc/greeter/greeter.conf\n");
    assert_eq!(query(&pkg, &["-d"]), "/usr/share/doc/greeter/README\n");
    assert_eq!(query(&pkg, &["-L"]), "/usr/share/licenses/greeter/LICENSE\n");
    // noreplace: RPMFILE_CONFIG (1) | RPMFILE_NOREPLACE (16).
    let flags = query(&pkg, &["--qf", "[%{FILEFLAGS} %{FILENAMES}\n]"]);
    assert!(flags.contains("17 /etc/greeter/greeter.conf\n"), "{flags}");

    let requires = query(&pkg, &["--requires"]);
    for entry in [
        "/bin/sh",
        "glibc >= 2.17",
        "(python3 or python3.11)",
        "rpmlib(PayloadIsZstd)",
    ] {
        assert!(requires.contains(entry), "{entry} not in requires:\n{requires}");
    }
    assert!(query(&pkg, &["--recommends"]).contains("less\n"));
    assert_eq!(query(&pkg, &["--conflicts"]), "greeter-legacy < 1.0\n");
    assert_eq!(query(&pkg, &["--obsoletes"]), "old-greeter\n");
    let provides = query(&pkg, &["--provides"]);
    for entry in [
        "greeter = 1.2.0-1",
        "greeter(x86-64) = 1.2.0-1",
        "greeting-service = 1.0",
    ] {
        assert!(provides.contains(entry), "{entry} not in provides:\n{provides}");
    }
    assert_eq!(
        query(&pkg, &["--changelog"]),
        "* Tue Nov 14 2023 Oxdist Tests <tests@example.com> - 1.2.0-1\n- First packaged release.\n\n"
    );

    let scripts = query(&pkg, &["--scripts"]);
    for (scriptlet, expected) in [
        ("preinstall", "set -- install ;; *) set -- upgrade"),
        ("postinstall", "systemctl --no-reload enable greeter.service"),
        ("postinstall", "systemctl start greeter.service"),
        ("preuninstall", "systemctl stop greeter.service"),
        ("preuninstall", "systemctl --no-reload disable greeter.service"),
        ("postuninstall", "systemctl try-restart greeter.service"),
        ("postuninstall", "post_remove \"$@\""),
    ] {
        let body = scripts
            .split("scriptlet (using /bin/sh):\n")
            .zip(scripts.split("scriptlet (using /bin/sh):\n").skip(1))
            .find(|(head, _)| head.trim_end().ends_with(scriptlet))
            .map(|(_, body)| body)
            .unwrap_or_else(|| panic!("no {scriptlet} scriptlet:\n{scripts}"));
        assert!(body.contains(expected), "{scriptlet} lacks {expected:?}:\n{scripts}");
        assert!(body.contains("[ -d /run/systemd/system ]") || !expected.contains("start"));
    }
}

/// What rpmlint (Debian 12's 2.4.0, with no distribution profile) may
/// report about the fixture, and why each is not a defect of the writer.
const LINT_ALLOWED: &[(&str, &str)] = &[
    (
        "E: dir-or-file-in-opt",
        "FHS puts add-on application packages, which oxdist builds, in /opt; the rule is for distribution packages",
    ),
    (
        "E: no-binary",
        "the fixture's executable is a shell script; real apps ship an ELF file",
    ),
    (
        "E: non-readable /opt/greeter/share/token",
        "the fixture's token is 0600 on purpose",
    ),
    (
        "W: non-standard-uid /opt/greeter/share/token",
        "the token's owner is `greeter` on purpose",
    ),
    (
        "W: non-standard-gid /opt/greeter/share/token",
        "the token's group is `greeter` on purpose",
    ),
    (
        "W: invalid-license MIT",
        "Debian's rpmlint has no license list (its `ValidLicenses` is empty)",
    ),
    (
        "W: symlink-should-be-relative /usr/bin/greeter",
        "/usr/bin → /opt crosses top-level directories, where Debian policy wants absolute links",
    ),
    (
        "W: only-non-binary-in-usr-lib",
        "the one file in /usr/lib is the systemd unit, where units belong",
    ),
    ("W: no-manual-page-for-binary greeter", "the fixture has no man page"),
    (
        "W: obsolete-not-provided old-greeter",
        "`replaces` maps to Obsoletes; also providing the old name is the package author's call",
    ),
];

/// rpmlint's findings about `pkg` that neither [`LINT_ALLOWED`] nor `extra` explain.
fn unexplained_lint(pkg: &Path, extra: &[(&str, &str)]) -> Vec<String> {
    let out = output(command("rpmlint").arg(pkg), RPMLINT);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("1 packages and 0 specfiles checked"),
        "rpmlint did not check the package:\n{}",
        both(&out)
    );
    text.lines()
        .filter_map(|l| l.strip_prefix("greeter.x86_64: "))
        .filter(|f| {
            !LINT_ALLOWED
                .iter()
                .chain(extra)
                .any(|(prefix, _)| f.starts_with(prefix))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn rpmlint_finds_nothing_unexplained() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = build(dir.path(), "1.2.0", &options());
    let unexplained = unexplained_lint(&pkg, &[("E: no-signature", "this package is unsigned on purpose")]);
    assert!(unexplained.is_empty(), "rpmlint reported {unexplained:#?}");
}

// ---------------------------------------------------------------------------
// Installing, upgrading, erasing
// ---------------------------------------------------------------------------

#[test]
fn install_upgrade_and_erase_in_a_throwaway_root() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = build(dir.path(), "1.2.0", &options());
    let v2 = build(dir.path(), "1.3.0", &options());
    let root = Root::new();
    let r = root.path();

    // --nodeps: the throwaway root has no glibc or python3 package.
    root.rpm_ok(&["-i", "--nodeps", v1.to_str().unwrap()]);
    assert_eq!(root.take_markers(), ["pre_install install", "post_install configure"]);
    // The /usr/bin link, through the chroot's /bin/sh.
    let out = run(command("chroot").arg(r).arg("/usr/bin/greeter"), "coreutils");
    assert_eq!(out, "hello 1.2.0 from greeter\n");
    let token = fs::symlink_metadata(r.join("opt/greeter/share/token")).unwrap();
    assert_eq!(token.permissions().mode() & 0o7777, 0o600);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (token.uid(), token.gid()),
        (990, 990),
        "owner from the root's /etc/passwd"
    );
    assert_eq!(
        fs::read_link(r.join("opt/greeter/share/greeting.txt")).unwrap(),
        Path::new("data.txt")
    );
    // Every file as packaged: digests, modes, owners, links, mtimes.
    root.rpm_ok(&["-V", "--nodeps", "greeter"]);
    assert_eq!(
        root.rpm_ok(&["-q", "--qf", "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n", "greeter"])
            .lines()
            .find(|l| l.starts_with("greeter "))
            .unwrap(),
        "greeter 1.2.0-1 x86_64"
    );

    // The administrator edits the config file; the upgrade keeps the edit
    // and puts the new default beside it.
    fs::write(r.join("etc/greeter/greeter.conf"), "greeting = edited\n").unwrap();
    let verify = root.rpm(&["-V", "--nodeps", "greeter"]);
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(
        report.contains("c /etc/greeter/greeter.conf") && report.lines().count() == 1,
        "only the edited config file differs:\n{}",
        both(&verify)
    );
    let log = root.rpm_ok(&["-U", "--nodeps", v2.to_str().unwrap()]);
    assert!(
        log.contains("greeter.conf created as /etc/greeter/greeter.conf.rpmnew"),
        "{log}"
    );
    assert_eq!(root.read("etc/greeter/greeter.conf"), "greeting = edited\n");
    assert_eq!(root.read("etc/greeter/greeter.conf.rpmnew"), "greeting = hello 1.3.0\n");
    // New %pre and %post, then the old package's %preun and %postun, each
    // with Debian's upgrade arguments.
    assert_eq!(
        root.take_markers(),
        [
            "pre_install upgrade",
            "post_install configure unknown",
            "pre_remove upgrade",
            "post_remove upgrade",
        ]
    );
    let out = run(command("chroot").arg(r).arg("/usr/bin/greeter"), "coreutils");
    assert_eq!(out, "hello 1.3.0 from greeter\n");
    let installed = root.rpm_ok(&["-qa", "--qf", "%{NAME}-%{VERSION}\n"]);
    assert!(
        installed.contains("greeter-1.3.0") && !installed.contains("greeter-1.2.0"),
        "{installed}"
    );
    // Installing the older package over the newer one is refused: rpm
    // orders the versions as LinuxVersion intends.
    let downgrade = root.rpm(&["-U", "--nodeps", v1.to_str().unwrap()]);
    assert!(!downgrade.status.success(), "downgrade accepted:\n{}", both(&downgrade));
    assert!(
        String::from_utf8_lossy(&downgrade.stderr).contains("newer"),
        "{}",
        both(&downgrade)
    );
    root.take_markers();

    root.rpm_ok(&["-e", "--nodeps", "greeter"]);
    assert_eq!(root.take_markers(), ["pre_remove remove", "post_remove remove"]);
    for gone in [
        "opt/greeter",
        "usr/bin/greeter",
        "usr/lib/systemd/system/greeter.service",
        "usr/share/doc/greeter",
    ] {
        assert!(!r.join(gone).exists(), "/{gone} left after erase");
    }
    // The edited config file is kept as .rpmsave.
    assert_eq!(root.read("etc/greeter/greeter.conf.rpmsave"), "greeting = edited\n");
    assert!(!r.join("etc/greeter/greeter.conf").exists());
}

/// rpm orders the mapped versions of PEP 440's ordering the same way.
#[test]
fn rpm_orders_versions_like_pep_440() {
    let ordered = [
        "1.0.dev1",
        "1.0a1.dev1",
        "1.0a1",
        "1.0a2",
        "1.0b1",
        "1.0rc1.dev1",
        "1.0rc1",
        "1.0",
        "1.0+local",
        "1.0.post1.dev1",
        "1.0.post1",
        "1.1",
        "1.10",
        "1!0.1",
    ];
    let evr = |v: &str| {
        let v = LinuxVersion::parse(v).unwrap();
        let epoch = v.epoch.map(|e| format!("{e}:")).unwrap_or_default();
        format!("{epoch}{}-{}", v.rpm_version(), v.rpm_release())
    };
    let lua: String = ordered
        .windows(2)
        // rpm's Lua `print` adds no newline.
        .map(|pair| format!("print(rpm.vercmp(\"{}\", \"{}\") .. \" \")", evr(pair[0]), evr(pair[1])))
        .collect::<Vec<_>>()
        .join(" ");
    let results = run(rpm_cmd().arg("--eval").arg(format!("%{{lua: {lua}}}")), RPM);
    let results: Vec<&str> = results.split_whitespace().collect();
    assert_eq!(results.len(), ordered.len() - 1, "{results:?}");
    for (pair, result) in ordered.windows(2).zip(&results) {
        assert_eq!(
            *result,
            "-1",
            "rpm says {} is not older than {}",
            evr(pair[0]),
            evr(pair[1])
        );
    }

    // An epoch in the package version reaches the header.
    let dir = tempfile::tempdir().unwrap();
    let pkg = build(dir.path(), "1!0.5", &options());
    assert_eq!(query(&pkg, &["--qf", "%{EPOCH}:%{VERSION}-%{RELEASE}"]), "1:0.5-1");
}

// ---------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------

/// A throwaway OpenPGP signing key made by gpg in a temporary GNUPGHOME.
struct GpgKey {
    _home: tempfile::TempDir,
    secret: Vec<u8>,
    public: PathBuf,
    fingerprint: String,
}

impl GpgKey {
    fn new(passphrase: &str) -> Self {
        let home = tempfile::tempdir().unwrap();
        let gpg = |args: &[&str]| {
            let out = run(
                command("gpg")
                    .arg("--homedir")
                    .arg(home.path())
                    .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase])
                    .args(args),
                GNUPG,
            );
            out.into_bytes()
        };
        gpg(&[
            "--quick-gen-key",
            "Oxdist Test Signing <signing@example.com>",
            "rsa3072",
            "sign",
            "never",
        ]);
        let secret = gpg(&["--armor", "--export-secret-keys"]);
        let public = home.path().join("public.asc");
        fs::write(&public, gpg(&["--armor", "--export"])).unwrap();
        let listing = String::from_utf8(gpg(&["--with-colons", "--list-secret-keys"])).unwrap();
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .expect("a fingerprint");
        // gpg started an agent for this home; it is not needed any more.
        let _ = command("gpgconf")
            .arg("--homedir")
            .arg(home.path())
            .args(["--kill", "gpg-agent"])
            .status();
        Self {
            _home: home,
            secret,
            public,
            fingerprint,
        }
    }

    /// Options that sign with this key, unlocked as the command line does.
    fn signing(&self, passphrase: Option<&str>) -> RpmOptions {
        let signer = Signer::from_bytes(&self.secret, passphrase).unwrap_or_else(|e| panic!("{e}"));
        RpmOptions {
            signer: Some(std::sync::Arc::new(signer)),
            ..options()
        }
    }
}

#[test]
fn signed_packages_verify_with_rpmkeys() {
    let key = GpgKey::new("");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let meta = metadata("1.2.0");
    let pkg = dir.path().join(rpm_file_name(&meta).unwrap());
    let info = write_rpm(&meta, &spec("a = 1\n"), &files(&src, "hi"), &key.signing(None), &pkg).unwrap();
    assert_eq!(info.signed_by.as_deref(), Some(key.fingerprint.as_str()));
    assert_eq!(info.nevra, "greeter-1.2.0-1.x86_64");
    assert_eq!(info.size, fs::metadata(&pkg).unwrap().len());
    assert_eq!(info.sha256, oxdist_installers::output::sha256_file(&pkg).unwrap());

    let root = Root::new();
    // Without the public key: digests fine, the signature cannot be checked.
    let unknown = root.rpm(&["-Kv", pkg.to_str().unwrap()]);
    let text = both(&unknown);
    assert!(!unknown.status.success() && text.contains("NOKEY"), "{text}");
    let out = output(
        command("rpmkeys")
            .arg("--root")
            .arg(root.path())
            .arg("--import")
            .arg(&key.public),
        RPM,
    );
    assert!(out.status.success(), "import: {}", both(&out));
    let out = output(
        command("rpmkeys").arg("--root").arg(root.path()).arg("-Kv").arg(&pkg),
        RPM,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", both(&out));
    let short_id = key.fingerprint[key.fingerprint.len() - 8..].to_ascii_lowercase();
    assert!(
        text.contains(&format!("Header V4 RSA/SHA256 Signature, key ID {short_id}: OK")),
        "{text}"
    );
    for digest in ["Header SHA256 digest: OK", "Payload SHA256 digest: OK"] {
        assert!(text.contains(digest), "{digest}:\n{text}");
    }
    assert_eq!(
        run(
            command("rpmkeys").arg("--root").arg(root.path()).arg("-K").arg(&pkg),
            RPM
        ),
        format!("{}: digests signatures OK\n", pkg.display())
    );
    let signature = field(&query(&pkg, &["-i"]), "Signature").to_string();
    assert!(
        signature.starts_with("RSA/SHA256, ")
            && signature.ends_with(&format!("Key ID {}", key.fingerprint[24..].to_ascii_lowercase())),
        "{signature}"
    );
    // And rpm installs it with signature checking on.
    root.rpm_ok(&["-i", "--nodeps", pkg.to_str().unwrap()]);

    // rpmlint checks signatures against the host's rpm keyring, which does
    // not hold the throwaway key.
    let unexplained = unexplained_lint(&pkg, &[("E: unknown-key", "the test key is not in the host's keyring")]);
    assert!(unexplained.is_empty(), "rpmlint reported {unexplained:#?}");
}

#[test]
fn protected_keys_need_the_right_passphrase() {
    const PASSPHRASE: &str = "correct horse battery staple";
    let key = GpgKey::new(PASSPHRASE);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let meta = metadata("1.2.0");
    let pkg = dir.path().join("p.rpm");

    // The key is unlocked before anything is built: a missing or wrong
    // passphrase fails there, naming the key, never showing the passphrase.
    let err = Signer::from_bytes(&key.secret, None).unwrap_err();
    assert!(matches!(err, OpenPgpError::PassphraseRequired { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("passphrase-protected and no passphrase was given"),
        "{err}"
    );
    let err = Signer::from_bytes(&key.secret, Some("wrong horse")).unwrap_err();
    assert!(matches!(err, OpenPgpError::WrongPassphrase { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with("wrong passphrase for OpenPGP key"), "{message}");
    assert!(!message.contains("wrong horse") && !format!("{err:?}").contains("wrong horse"));
    // Debug output of the options shows the key's fingerprint, never its
    // secret parts.
    let options = key.signing(Some(PASSPHRASE));
    let debug = format!("{options:?}");
    assert!(
        !debug.contains(PASSPHRASE) && debug.contains(&key.fingerprint),
        "{debug}"
    );

    write_rpm(&meta, &spec("a = 1\n"), &files(&src, "hi"), &options, &pkg).unwrap();
    let root = Root::new();
    run(
        command("rpmkeys")
            .arg("--root")
            .arg(root.path())
            .arg("--import")
            .arg(&key.public),
        RPM,
    );
    let text = run(
        command("rpmkeys").arg("--root").arg(root.path()).arg("-K").arg(&pkg),
        RPM,
    );
    assert!(text.ends_with("digests signatures OK\n"), "{text}");

    // A public key cannot sign.
    let err = Signer::from_bytes(&fs::read(&key.public).unwrap(), None).unwrap_err();
    assert!(err.to_string().contains("--export-secret-keys"), "{err}");
}

// ---------------------------------------------------------------------------
// Reproducibility
// ---------------------------------------------------------------------------

#[test]
fn builds_are_byte_identical() {
    let key = GpgKey::new("");
    for (label, base) in [
        ("unsigned zstd", options()),
        ("signed zstd", key.signing(None)),
        (
            "signed gzip",
            RpmOptions {
                compression: RpmCompression::Gzip { level: 9 },
                ..key.signing(None)
            },
        ),
    ] {
        let mut digests = Vec::new();
        for attempt in 0..2 {
            // Different source directories and file mtimes each time.
            let dir = tempfile::tempdir().unwrap();
            let src = dir.path().join(format!("source-{attempt}"));
            fs::create_dir_all(&src).unwrap();
            let manifest = files(&src, "hi");
            let stamp = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 * (attempt + 1));
            fs::File::options()
                .write(true)
                .open(src.join("greeter"))
                .unwrap()
                .set_modified(stamp)
                .unwrap();
            let pkg = dir.path().join("out.rpm");
            let info = write_rpm(&metadata("1.2.0"), &spec("a = 1\n"), &manifest, &base, &pkg).unwrap();
            digests.push(info.sha256);
        }
        assert_eq!(digests[0], digests[1], "{label}: two builds differ");
    }
    // The timestamp is an input: another one gives another package.
    let dir = tempfile::tempdir().unwrap();
    let a = build(&dir.path().join("a"), "1.2.0", &options());
    let b = build(
        &dir.path().join("b"),
        "1.2.0",
        &RpmOptions {
            timestamp: Timestamp(TIME.0 + 1),
            ..options()
        },
    );
    assert_ne!(fs::read(a).unwrap(), fs::read(b).unwrap());
}

#[test]
fn gzip_payloads_for_old_systems() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = build(
        dir.path(),
        "1.2.0",
        &RpmOptions {
            compression: RpmCompression::Gzip { level: 6 },
            ..options()
        },
    );
    assert_eq!(query(&pkg, &["--qf", "%{PAYLOADCOMPRESSOR}"]), "gzip");
    assert!(!query(&pkg, &["--requires"]).contains("PayloadIsZstd"));
    let root = Root::new();
    root.rpm_ok(&["-i", "--nodeps", pkg.to_str().unwrap()]);
    root.rpm_ok(&["-V", "--nodeps", "greeter"]);
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

#[test]
fn bad_inputs_fail_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let dest = dir.path().join("out.rpm");
    let attempt = |meta: &PackageMetadata, spec: &LinuxPackageSpec| {
        let err = write_rpm(meta, spec, &files(&src, "hi"), &options(), &dest).unwrap_err();
        assert!(!dest.exists(), "{dest:?} written despite {err}");
        err.to_string()
    };
    let good = spec("a = 1\n");

    let mut bad = good.clone();
    bad.rpm_relations
        .insert(RelationKind::Depends, vec!["glibc >> 2.17".to_string()]);
    let e = attempt(&metadata("1.2.0"), &bad);
    assert!(
        e.contains("invalid rpm depends entry \"glibc >> 2.17\"") && e.contains("not one of"),
        "{e}"
    );

    let e = attempt(&metadata("1.2.0 final"), &good);
    assert!(e.contains("invalid package version \"1.2.0 final\""), "{e}");
    let e = attempt(&metadata("1.2.0-garbage_"), &good);
    assert!(e.contains("invalid package version"), "{e}");

    let mut bad = good.clone();
    bad.config_files = Some(vec!["/etc/greeter/missing.conf".into()]);
    let e = attempt(&metadata("1.2.0"), &bad);
    assert!(e.contains("config_files names \"/etc/greeter/missing.conf\""), "{e}");

    let mut meta = metadata("1.2.0");
    meta.license = None;
    let e = attempt(&meta, &good);
    assert!(e.contains("an rpm needs a License"), "{e}");

    let mut meta = metadata("1.2.0");
    meta.target_triple = "x86_64-pc-windows-msvc".into();
    let e = attempt(&meta, &good);
    assert!(e.contains("\"x86_64-pc-windows-msvc\" has no rpm architecture"), "{e}");

    let mut bad = good.clone();
    bad.scripts.post_install = Some("#!/usr/bin/python3\nprint('hi')\n".into());
    let e = attempt(&metadata("1.2.0"), &bad);
    assert!(
        e.contains("the post_install script cannot be packaged") && e.contains("python3"),
        "{e}"
    );

    let options = RpmOptions {
        timestamp: Timestamp(u64::from(u32::MAX) + 1),
        ..options()
    };
    let err = write_rpm(&metadata("1.2.0"), &good, &files(&src, "hi"), &options, &dest).unwrap_err();
    assert!(err.to_string().contains("2106"), "{err}");

    // A file that disappeared before the package was written.
    let mut manifest = files(&src, "hi");
    let gone = src.join("gone.txt");
    fs::write(&gone, "x").unwrap();
    manifest
        .add_file(
            ManifestPath::new("gone.txt").unwrap(),
            FileEntry::from_path(&gone, false),
        )
        .unwrap();
    fs::remove_file(&gone).unwrap();
    let err = write_rpm(&metadata("1.2.0"), &good, &manifest, &RpmOptions::default(), &dest)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/opt/greeter/gone.txt") && err.contains(gone.to_str().unwrap()),
        "{err}"
    );
    assert!(!dest.exists());
}
