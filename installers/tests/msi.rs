//! Integration tests of `write_msi`, checked with real tools: msitools
//! (`msiinfo` lists tables, streams and summary information and exports
//! tables, `msiextract` installs the files the way Windows Installer
//! resolves Directory, File and Media, `msidump` dumps every table),
//! `cabextract -t` and `gcab -l` read the embedded cabinets, and
//! `osslsigncode` must be able to read the compound file (it refuses the
//! CFB layout the `msi` crate writes by itself).
//!
//! A missing tool fails the test with the `apt-get install` command that
//! provides it.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{both, command, noise, output, run, tree};
use oxdist_installers::msi::{
    MsiArch, MsiError, MsiInfo, MsiOptions, MsiScope, MsiShortcut, MsiSpec, MsiVersion, msi_file_name, write_msi,
};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath, PackageMetadata};

const MSITOOLS: &str = "msitools";
const CABEXTRACT: &str = "cabextract";
const GCAB: &str = "gcab";
const OSSLSIGNCODE: &str = "osslsigncode";
const OPENSSL: &str = "openssl";
const FILE: &str = "file";

/// 2023-11-14T22:13:20Z.
const TIME: Timestamp = Timestamp(1_700_000_000);

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

fn metadata(version: &str, triple: &str) -> PackageMetadata {
    PackageMetadata {
        name: "greeter".into(),
        version: version.into(),
        description: Some("Friendly greetings for the command line".into()),
        maintainer: Some("Oxdist Tests <tests@example.org>".into()),
        vendor: Some("Example Org".into()),
        homepage: Some("https://example.org/greeter".into()),
        license: Some("MIT".into()),
        target_triple: triple.into(),
    }
}

fn spec(scope: MsiScope) -> MsiSpec {
    MsiSpec {
        product_name: Some("Greeter App".into()),
        scope,
        help_url: Some("https://example.org/greeter/help".into()),
        ..MsiSpec::new("org.example.greeter")
    }
}

/// The application: an executable read from disk, nested directories, names
/// that are and are not 8.3 (two sharing a short-name prefix), a
/// Windows-1252 name, an empty file and two larger files.
fn files(src: &Path) -> FileManifest {
    fs::create_dir_all(src).unwrap();
    let exe = src.join("greeter.exe");
    fs::write(&exe, b"MZ not really a program\n").unwrap();
    let mut m = FileManifest::new();
    m.add_file(
        ManifestPath::new("greeter.exe").unwrap(),
        FileEntry::from_path(&exe, true),
    )
    .unwrap();
    let mut add = |path: &str, bytes: Vec<u8>| {
        m.add_file(
            ManifestPath::new(path).unwrap(),
            FileEntry::from_bytes(bytes, false, format!("test data {path}")),
        )
        .unwrap();
    };
    add("README.txt", b"Run greeter to be greeted.\n".to_vec());
    add("python311.dll", noise(300_000, 1));
    add(
        "lib/python3.11/site-packages/greeter/__init__.py",
        b"print('hi')\n".to_vec(),
    );
    add(
        "lib/python3.11/site-packages/greeter/messages.py",
        b"HELLO = 'hello'\n".to_vec(),
    );
    add(
        "lib/python3.11/site-packages/greeter-1.2.3.dist-info/RECORD",
        b"greeter/__init__.py,,\n".to_vec(),
    );
    add(
        "lib/python3.11/site-packages/greeter-1.2.3.dist-info/METADATA",
        b"Name: greeter\n".to_vec(),
    );
    add("share/empty.dat", Vec::new());
    add("share/café.txt", "bonjour\n".as_bytes().to_vec());
    add("share/big.bin", noise(200_000, 2));
    m
}

struct Built {
    _dir: tempfile::TempDir,
    path: PathBuf,
    info: MsiInfo,
    manifest: FileManifest,
}

fn build(version: &str, triple: &str, scope: MsiScope, options: &MsiOptions) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let manifest = files(&dir.path().join("src"));
    let meta = metadata(version, triple);
    let path = dir.path().join("out").join(msi_file_name(&meta).unwrap());
    let info = write_msi(&meta, &spec(scope), &manifest, options, &path).unwrap();
    Built {
        _dir: dir,
        path,
        info,
        manifest,
    }
}

fn default_build() -> Built {
    build(
        "1.2.3rc1",
        "x86_64-pc-windows-msvc",
        MsiScope::PerMachine,
        &MsiOptions {
            timestamp: TIME,
            ..MsiOptions::default()
        },
    )
}

// ---------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------

fn msiinfo(args: &[&str], msi: &Path) -> String {
    run(command("msiinfo").arg(args[0]).arg(msi).args(&args[1..]), MSITOOLS)
}

/// `msiinfo export` of a table: rows (after the three header lines) split at tabs.
fn export(msi: &Path, table: &str) -> Vec<Vec<String>> {
    msiinfo(&["export", table], msi)
        .lines()
        .skip(3)
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

fn properties(msi: &Path) -> BTreeMap<String, String> {
    export(msi, "Property")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect()
}

fn suminfo(msi: &Path) -> BTreeMap<String, String> {
    msiinfo(&["suminfo"], msi)
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn manifest_tree(manifest: &FileManifest) -> BTreeMap<String, Vec<u8>> {
    manifest
        .entries()
        .map(|(path, entry)| match entry {
            ManifestEntry::File(file) => (path.to_string(), file.data.read().unwrap().into_owned()),
            ManifestEntry::Symlink { .. } => panic!("no links in the fixture"),
        })
        .collect()
}

/// Extracts stream `name` to a file beside the MSI.
fn extract_stream(msi: &Path, name: &str) -> PathBuf {
    let bytes = output(command("msiinfo").arg("extract").arg(msi).arg(name), MSITOOLS);
    assert!(bytes.status.success(), "msiinfo extract {name}: {}", both(&bytes));
    let path = msi.with_file_name(name);
    fs::write(&path, &bytes.stdout).unwrap();
    path
}

/// `msiextract -C` of the package: the installed tree below `install_dir`
/// (msiextract resolves the well-known folders to nothing, so per-machine
/// packages land in `Greeter App`, per-user ones in `Programs/Greeter App`).
fn extracted(msi: &Path, install_dir: &str) -> BTreeMap<String, Vec<u8>> {
    let out = msi.with_extension("extracted");
    run(command("msiextract").arg("-C").arg(&out).arg(msi), MSITOOLS);
    let top: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    let install = out.join(install_dir);
    assert!(install.is_dir(), "no {install_dir} in {top:?}");
    assert_eq!(tree(&out).len(), tree(&install).len(), "files outside {install_dir}");
    tree(&install)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn tables_properties_and_summary_information() {
    let built = default_build();
    let msi = &built.path;
    assert!(msi.ends_with("greeter-1.2.3rc1-x86_64-pc-windows-msvc.msi"));

    let tables: Vec<String> = msiinfo(&["tables"], msi).lines().map(str::to_string).collect();
    for table in [
        "_Validation",
        "Property",
        "Directory",
        "Component",
        "Feature",
        "FeatureComponents",
        "File",
        "Media",
        "Upgrade",
        "LaunchCondition",
        "InstallExecuteSequence",
        "InstallUISequence",
        "AdminExecuteSequence",
        "AdminUISequence",
        "AdvtExecuteSequence",
    ] {
        assert!(tables.iter().any(|t| t == table), "{table} missing from {tables:?}");
    }

    let props = properties(msi);
    assert_eq!(props["ProductName"], "Greeter App");
    assert_eq!(props["ProductVersion"], "1.2.3");
    assert_eq!(props["Manufacturer"], "Example Org");
    assert_eq!(props["ProductLanguage"], "1033");
    assert_eq!(props["ALLUSERS"], "1");
    assert!(!props.contains_key("MSIINSTALLPERUSER"));
    assert_eq!(props["ARPURLINFOABOUT"], "https://example.org/greeter");
    assert_eq!(props["ARPHELPLINK"], "https://example.org/greeter/help");
    assert_eq!(props["ARPCOMMENTS"], "Friendly greetings for the command line");
    assert_eq!(props["ProductCode"], built.info.product_code);
    assert_eq!(props["UpgradeCode"], built.info.upgrade_code);
    for code in [
        &built.info.product_code,
        &built.info.upgrade_code,
        &built.info.package_code,
    ] {
        assert!(
            code.len() == 38 && code.starts_with('{') && *code == code.to_uppercase(),
            "{code}"
        );
    }

    // _Validation describes every column of every table, with categories.
    let validation = export(msi, "_Validation");
    let described: Vec<(String, String)> = validation.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    for table in tables.iter().filter(|t| !t.starts_with('_')) {
        let columns = msiinfo(&["export", table], msi);
        let names = columns.lines().next().unwrap();
        for column in names.split('\t') {
            assert!(
                described.contains(&(table.clone(), column.to_string())),
                "_Validation has no row for {table}.{column}"
            );
        }
    }
    let category = |table: &str, column: &str| {
        validation
            .iter()
            .find(|r| r[0] == table && r[1] == column)
            .map(|r| r[7].clone())
            .unwrap()
    };
    assert_eq!(category("File", "FileName"), "Filename");
    assert_eq!(category("Component", "ComponentId"), "GUID");
    assert_eq!(category("Directory", "DefaultDir"), "DefaultDir");
    assert_eq!(category("Component", "KeyPath"), "Identifier");

    let summary = suminfo(msi);
    assert_eq!(summary["Template"], "x64;1033");
    assert_eq!(summary["Revision number (UUID)"], built.info.package_code);
    // msiinfo calls the page count "Version" and the word count "Source".
    assert_eq!(summary["Version"], "200 (c8)");
    assert_eq!(summary["Source"], "2 (2)");
    assert_eq!(summary["Application"], "oxdist");
    let described = run(command("file").arg(msi), FILE);
    assert!(described.contains("Code page: 1252"), "{described}");
    assert_eq!(summary["Author"], "Example Org");
    assert!(
        summary["Created"].starts_with("Tue Nov 14 22:13:20 2023"),
        "{summary:?}"
    );

    let streams = msiinfo(&["streams"], msi);
    assert!(streams.lines().any(|s| s == "cab1.cab"), "{streams}");
    assert!(streams.lines().any(|s| s == "\u{5}SummaryInformation"), "{streams}");

    // Major upgrade: older and same versions removed, newer detected and refused.
    let upgrade = export(msi, "Upgrade");
    assert!(upgrade.contains(&vec![
        built.info.upgrade_code.clone(),
        String::new(),
        "1.2.3".into(),
        String::new(),
        "513".into(),
        String::new(),
        "OLDERVERSIONBEINGUPGRADED".into(),
    ]));
    assert!(
        upgrade
            .iter()
            .any(|r| r[1] == "1.2.3" && r[4] == "2" && r[6] == "NEWERVERSIONDETECTED")
    );
    let conditions = export(msi, "LaunchCondition");
    assert_eq!(conditions[0][0], "NOT NEWERVERSIONDETECTED OR Installed");
    let execute: BTreeMap<String, String> = export(msi, "InstallExecuteSequence")
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    assert_eq!(execute["FindRelatedProducts"], "25");
    assert_eq!(execute["InstallValidate"], "1400");
    assert_eq!(execute["RemoveExistingProducts"], "1401");
    assert_eq!(execute["InstallFiles"], "4000");
    assert_eq!(execute["InstallFinalize"], "6600");

    // Components: one per file, 64-bit, keyed by their file.
    let components = export(msi, "Component");
    assert_eq!(components.len(), built.manifest.len());
    for row in &components {
        assert_eq!(row[3], "256", "{row:?}");
        assert_eq!(row[0], row[5], "KeyPath is the component's file: {row:?}");
    }
    let file_rows = export(msi, "File");
    let names: Vec<&str> = file_rows.iter().map(|r| r[2].as_str()).collect();
    assert!(names.contains(&"README.txt"), "{names:?}");
    assert!(names.contains(&"PYTHON~1.DLL|python311.dll"), "{names:?}");
}

#[test]
fn msiextract_installs_exactly_the_manifest() {
    let built = default_build();
    assert_eq!(built.info.cabinets, 1);
    assert_eq!(extracted(&built.path, "Greeter App"), manifest_tree(&built.manifest));
}

#[test]
fn cabinets_pass_cabextract_and_gcab() {
    let built = default_build();
    let cab = extract_stream(&built.path, "cab1.cab");
    let test = run(command("cabextract").arg("-t").arg(&cab), CABEXTRACT);
    assert!(test.contains("All done, no errors"), "{test}");
    // Members are the File keys, in Sequence order.
    let listed = run(command("gcab").arg("-t").arg(&cab), GCAB);
    let mut files = export(&built.path, "File");
    files.sort_by_key(|r| r[7].parse::<u32>().unwrap());
    let keys: Vec<&str> = files.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), keys);
    let verbose = run(command("cabextract").arg("-l").arg(&cab), CABEXTRACT);
    assert!(verbose.contains("14.11.2023 22:13:20"), "{verbose}");
}

#[test]
fn large_payloads_split_into_several_cabinets() {
    let options = MsiOptions {
        timestamp: TIME,
        cabinet_size: 250_000,
    };
    let built = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerMachine, &options);
    let media = export(&built.path, "Media");
    assert!(media.len() >= 2, "{media:?}");
    assert_eq!(built.info.cabinets, media.len());
    let mut last = 0;
    for (index, row) in media.iter().enumerate() {
        let name = format!("cab{}.cab", index + 1);
        assert_eq!(row[0], (index + 1).to_string());
        assert_eq!(row[3], format!("#{name}"));
        let sequence: u32 = row[1].parse().unwrap();
        assert!(sequence > last, "{media:?}");
        last = sequence;
        let cab = extract_stream(&built.path, &name);
        let test = run(command("cabextract").arg("-t").arg(&cab), CABEXTRACT);
        assert!(test.contains("All done, no errors"), "{name}: {test}");
    }
    assert_eq!(last as usize, built.manifest.len());
    assert_eq!(extracted(&built.path, "Greeter App"), manifest_tree(&built.manifest));
}

#[test]
fn builds_are_byte_identical() {
    let options = MsiOptions {
        timestamp: TIME,
        cabinet_size: 250_000,
    };
    let a = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerUser, &options);
    let b = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerUser, &options);
    assert_eq!(a.info.sha256, b.info.sha256);
    assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
    assert_eq!(a.info.package_code, b.info.package_code);

    // Another time changes the cabinets' dates, so the package code too.
    let later = MsiOptions {
        timestamp: Timestamp(TIME.0 + 86_400),
        ..options
    };
    let c = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerUser, &later);
    assert_ne!(a.info.sha256, c.info.sha256);
    assert_ne!(a.info.package_code, c.info.package_code);
    assert_eq!(a.info.product_code, c.info.product_code);
}

#[test]
fn per_user_and_per_machine_differ_where_they_must() {
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    let user = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerUser, &options);
    let machine = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerMachine, &options);

    let up = properties(&user.path);
    assert_eq!(up["ALLUSERS"], "2");
    assert_eq!(up["MSIINSTALLPERUSER"], "1");
    assert_eq!(properties(&machine.path)["ALLUSERS"], "1");
    assert_eq!(suminfo(&user.path)["Source"], "10 (a)");
    assert_eq!(suminfo(&machine.path)["Source"], "2 (2)");

    let parent_of_install = |msi: &Path| {
        let dirs = export(msi, "Directory");
        let install = dirs.iter().find(|r| r[0] == "INSTALLDIR").unwrap().clone();
        assert_eq!(install[2], "GREETE~1|Greeter App");
        let parent = dirs.iter().find(|r| r[0] == install[1]).unwrap().clone();
        (parent, dirs)
    };
    let (parent, dirs) = parent_of_install(&user.path);
    assert_eq!(parent, ["UserProgramsFolder", "LocalAppDataFolder", "Programs"]);
    assert!(dirs.iter().any(|r| r[0] == "LocalAppDataFolder" && r[1] == "TARGETDIR"));
    assert!(!dirs.iter().any(|r| r[0] == "ProgramFiles64Folder"));
    let (parent, _) = parent_of_install(&machine.path);
    assert_eq!(parent, ["ProgramFiles64Folder", "TARGETDIR", "."]);

    // One product line, two products; components are per install location.
    assert_eq!(user.info.upgrade_code, machine.info.upgrade_code);
    assert_ne!(user.info.product_code, machine.info.product_code);
    assert_ne!(user.info.package_code, machine.info.package_code);
    let guids = |msi: &Path| {
        export(msi, "Component")
            .into_iter()
            .map(|r| r[1].clone())
            .collect::<Vec<_>>()
    };
    let (ug, mg) = (guids(&user.path), guids(&machine.path));
    assert!(ug.iter().all(|g| !mg.contains(g)));

    // msiextract follows the Directory table: LocalAppDataFolder\Programs.
    assert_eq!(
        extracted(&user.path, "Programs/Greeter App"),
        manifest_tree(&user.manifest)
    );
}

#[test]
fn versions_and_architectures() {
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    let v1 = build("1.2.3", "x86_64-pc-windows-msvc", MsiScope::PerMachine, &options);
    let v2 = build("1.3.0", "x86_64-pc-windows-msvc", MsiScope::PerMachine, &options);
    assert_eq!(v1.info.upgrade_code, v2.info.upgrade_code);
    assert_ne!(v1.info.product_code, v2.info.product_code);
    // Component GUIDs follow the install path, not the version.
    let guids = |msi: &Path| {
        export(msi, "Component")
            .into_iter()
            .map(|r| r[1].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(guids(&v1.path), guids(&v2.path));

    let x86 = build("1.2.3", "i686-pc-windows-msvc", MsiScope::PerMachine, &options);
    assert_eq!(x86.info.arch, MsiArch::X86);
    assert_eq!(suminfo(&x86.path)["Template"], "Intel;1033");
    assert!(export(&x86.path, "Component").iter().all(|r| r[3] == "0"));
    assert!(
        export(&x86.path, "Directory")
            .iter()
            .any(|r| r[0] == "ProgramFilesFolder")
    );

    let arm = build("1.2.3", "aarch64-pc-windows-msvc", MsiScope::PerMachine, &options);
    let summary = suminfo(&arm.path);
    assert_eq!(summary["Template"], "Arm64;1033");
    assert_eq!(summary["Version"], "500 (1f4)");

    assert_eq!(MsiVersion::parse("1.2.3rc1").unwrap().to_string(), "1.2.3");
    assert_eq!(MsiVersion::parse("2.0").unwrap().to_string(), "2.0.0");
}

fn try_build(meta: &PackageMetadata, manifest: &FileManifest) -> Result<MsiInfo, MsiError> {
    let dir = tempfile::tempdir().unwrap();
    write_msi(
        meta,
        &spec(MsiScope::PerUser),
        manifest,
        &MsiOptions::default(),
        &dir.path().join("x.msi"),
    )
}

fn one_file(path: &str) -> FileManifest {
    let mut m = FileManifest::new();
    m.add_file(
        ManifestPath::new(path).unwrap(),
        FileEntry::from_bytes(b"x".to_vec(), false, "test"),
    )
    .unwrap();
    m
}

#[test]
fn bad_input_is_refused_with_useful_messages() {
    let ok = metadata("1.0.0", "x86_64-pc-windows-msvc");
    let check = |result: Result<MsiInfo, MsiError>, needles: &[&str]| {
        let text = result.unwrap_err().to_string();
        for needle in needles {
            assert!(text.contains(needle), "{needle:?} not in {text:?}");
        }
    };
    check(
        try_build(&metadata("256.1.0", "x86_64-pc-windows-msvc"), &one_file("a.txt")),
        &["\"256.1.0\"", "major field 256 is larger than 255"],
    );
    check(
        try_build(&metadata("1.2.3.4", "x86_64-pc-windows-msvc"), &one_file("a.txt")),
        &["\"1.2.3.4\"", "third"],
    );
    check(
        try_build(&metadata("1.0", "x86_64-unknown-linux-gnu"), &one_file("a.txt")),
        &["x86_64-unknown-linux-gnu", "not a Windows target"],
    );
    check(
        try_build(&metadata("1.0", "riscv64gc-pc-windows-msvc"), &one_file("a.txt")),
        &["riscv64gc-pc-windows-msvc", "no platform"],
    );
    let mut linked = one_file("bin/tool.exe");
    linked
        .add(
            ManifestPath::new("tool.exe").unwrap(),
            ManifestEntry::Symlink {
                target: "bin/tool.exe".into(),
                origin: "test link".into(),
            },
        )
        .unwrap();
    check(
        try_build(&ok, &linked),
        &["\"tool.exe\"", "symbolic link", "bin/tool.exe"],
    );
    check(try_build(&ok, &one_file("lib/aux.py")), &["\"lib/aux.py\"", "reserves"]);
    check(
        try_build(&ok, &one_file("docs/what?.txt")),
        &["\"what?.txt\"", "rename it"],
    );
    check(try_build(&ok, &one_file("snow\u{2603}.txt")), &["Windows-1252"]);
    let mut clash = one_file("Docs/a.txt");
    clash
        .add_file(
            ManifestPath::new("docs/b.txt").unwrap(),
            FileEntry::from_bytes(vec![], false, "t"),
        )
        .unwrap();
    check(try_build(&ok, &clash), &["\"docs\"", "\"Docs\"", "differ only in case"]);
    let long = format!("{}/file.txt", ["directory"; 25].join("/"));
    check(
        try_build(&ok, &one_file(&long)),
        &["260-character", "Greeter App\\directory\\"],
    );
    check(try_build(&ok, &FileManifest::new()), &["nothing to install"]);
    let mut anonymous = ok.clone();
    anonymous.vendor = None;
    check(try_build(&anonymous, &one_file("a.txt")), &["Manufacturer"]);
    let mut bad_id = spec(MsiScope::PerUser);
    bad_id.app_id = " ".into();
    let dir = tempfile::tempdir().unwrap();
    check(
        write_msi(
            &ok,
            &bad_id,
            &one_file("a.txt"),
            &MsiOptions::default(),
            &dir.path().join("x.msi"),
        ),
        &["app id", "org.example.myapp"],
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
}

/// osslsigncode reads the compound file (it refuses the `msi` crate's own
/// CFB v4 layout with "corrupted sector"), finds no signature, and can sign
/// it: the signed package verifies and msitools still read it.
#[test]
fn osslsigncode_reads_and_signs_the_compound_file() {
    let built = default_build();
    let out = output(
        command("osslsigncode").arg("verify").arg("-in").arg(&built.path),
        OSSLSIGNCODE,
    );
    let text = both(&out);
    assert!(!out.status.success(), "an unsigned MSI cannot verify: {text}");
    for refusal in ["Unable to read", "corrupted", "Failed to get", "Unrecognized file type"] {
        assert!(!text.contains(refusal), "osslsigncode could not read the MSI: {text}");
    }
    assert!(text.contains("MSI file has no signature"), "{text}");

    let dir = built.path.parent().unwrap();
    let (key, cert, signed) = (dir.join("key.pem"), dir.join("cert.pem"), dir.join("signed.msi"));
    run(
        command("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=oxdist test",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        OPENSSL,
    );
    run(
        command("osslsigncode")
            .args(["sign", "-h", "sha256", "-n", "Greeter App"])
            .arg("-certs")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .arg("-in")
            .arg(&built.path)
            .arg("-out")
            .arg(&signed),
        OSSLSIGNCODE,
    );
    let verified = run(
        command("osslsigncode")
            .arg("verify")
            .arg("-in")
            .arg(&signed)
            .arg("-CAfile")
            .arg(&cert),
        OSSLSIGNCODE,
    );
    assert!(verified.contains("Signature verification: ok"), "{verified}");
    assert!(
        msiinfo(&["streams"], &signed)
            .lines()
            .any(|s| s.ends_with("DigitalSignature"))
    );
    assert_eq!(extracted(&signed, "Greeter App"), manifest_tree(&built.manifest));
}

#[test]
fn table_dump_snapshot() {
    let built = default_build();
    let dump = built.path.with_extension("dump");
    fs::create_dir_all(&dump).unwrap();
    run(command("msidump").arg("-d").arg(&dump).arg(&built.path), MSITOOLS);
    let mut text = String::new();
    for table in [
        "Property",
        "Directory",
        "Component",
        "Feature",
        "FeatureComponents",
        "File",
        "Media",
        "Upgrade",
        "LaunchCondition",
        "InstallExecuteSequence",
        "InstallUISequence",
        "AdminExecuteSequence",
        "AdminUISequence",
        "AdvtExecuteSequence",
        "_Validation",
    ] {
        // msidump converts the database code page (Windows-1252) to UTF-8.
        let idt = fs::read_to_string(dump.join(format!("{table}.idt"))).unwrap();
        text.push_str(&format!("=== {table}.idt\n{}\n", idt.replace("\r\n", "\n")));
    }
    insta::assert_snapshot!(text);
}

// ---------------------------------------------------------------------------
// Shortcuts and PATH
// ---------------------------------------------------------------------------

fn shortcut(target: &str, name: &str, desktop: bool) -> MsiShortcut {
    MsiShortcut {
        target: target.into(),
        name: name.into(),
        desktop,
        description: Some(format!("Start {name}")),
    }
}

/// The fixture with a Start-menu shortcut to `greeter.exe` (also on the
/// desktop), one to `README.txt`, and `share` on PATH.
fn build_integrated(scope: MsiScope) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let manifest = files(&dir.path().join("src"));
    let meta = metadata("1.2.3", "x86_64-pc-windows-msvc");
    let path = dir.path().join("out").join(msi_file_name(&meta).unwrap());
    let spec = MsiSpec {
        shortcuts: vec![
            shortcut("greeter.exe", "Greeter App", true),
            shortcut("README.txt", "Read me", false),
        ],
        add_to_path: Some("share".into()),
        ..spec(scope)
    };
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    let info = write_msi(&meta, &spec, &manifest, &options, &path).unwrap();
    Built {
        _dir: dir,
        path,
        info,
        manifest,
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn shortcuts_and_path_entry() {
    for scope in [MsiScope::PerMachine, MsiScope::PerUser] {
        let built = build_integrated(scope);
        let msi = &built.path;

        let shortcuts = export(msi, "Shortcut");
        assert_eq!(shortcuts.len(), 3, "{shortcuts:?}");
        for expected in [
            row(&[
                "s_menu.Greeter_App",
                "ProgramMenuDir",
                "GREETE~1|Greeter App",
                "c_shortcuts",
                "[#f_greeter.exe]",
                "",
                "Start Greeter App",
                "",
                "",
                "",
                "",
                "INSTALLDIR",
            ]),
            row(&[
                "s_desktop.Greeter_App",
                "DesktopFolder",
                "GREETE~1|Greeter App",
                "c_shortcuts",
                "[#f_greeter.exe]",
                "",
                "Start Greeter App",
                "",
                "",
                "",
                "",
                "INSTALLDIR",
            ]),
            row(&[
                "s_menu.Read_me",
                "ProgramMenuDir",
                "README~1|Read me",
                "c_shortcuts",
                "[#f_README.txt]",
                "",
                "Start Read me",
                "",
                "",
                "",
                "",
                "INSTALLDIR",
            ]),
        ] {
            assert!(shortcuts.contains(&expected), "{expected:?} not in {shortcuts:?}");
        }

        let directories = export(msi, "Directory");
        for expected in [
            row(&["ProgramMenuFolder", "TARGETDIR", "."]),
            row(&["ProgramMenuDir", "ProgramMenuFolder", "GREETE~1|Greeter App"]),
            row(&["DesktopFolder", "TARGETDIR", "."]),
        ] {
            assert!(directories.contains(&expected), "{expected:?} not in {directories:?}");
        }

        let (root, env_name) = match scope {
            MsiScope::PerMachine => ("2", "=-*PATH"),
            MsiScope::PerUser => ("1", "=-PATH"),
        };
        let registry = export(msi, "Registry");
        assert_eq!(
            registry,
            vec![
                row(&[
                    "r_shortcuts",
                    "1",
                    r"Software\[Manufacturer]\[ProductName]",
                    "installed",
                    "#1",
                    "c_shortcuts"
                ]),
                row(&[
                    "r_path",
                    root,
                    r"Software\[Manufacturer]\[ProductName]",
                    "path",
                    "#1",
                    "c_path"
                ]),
            ]
        );
        assert_eq!(
            export(msi, "Environment"),
            vec![row(&["e_PATH", env_name, "[~];[d_share]", "c_path"])]
        );
        assert_eq!(
            export(msi, "RemoveFile"),
            vec![row(&["rm_ProgramMenuDir", "c_shortcuts", "", "ProgramMenuDir", "2"])]
        );

        // The components: registry key paths (4) on top of 64-bit (256), in the feature.
        let components = export(msi, "Component");
        assert_eq!(components.len(), built.manifest.len() + 2);
        let shortcuts_component = components.iter().find(|r| r[0] == "c_shortcuts").unwrap();
        assert_eq!(
            shortcuts_component[2..],
            row(&["ProgramMenuDir", "260", "", "r_shortcuts"])
        );
        let path_component = components.iter().find(|r| r[0] == "c_path").unwrap();
        assert_eq!(path_component[2..], row(&["d_share", "260", "", "r_path"]));
        let features = export(msi, "FeatureComponents");
        for key in ["c_shortcuts", "c_path"] {
            assert!(features.contains(&row(&["Complete", key])), "{key} not in {features:?}");
        }

        let execute: BTreeMap<String, String> = export(msi, "InstallExecuteSequence")
            .into_iter()
            .map(|r| (r[0].clone(), r[2].clone()))
            .collect();
        for (action, sequence) in [
            ("RemoveRegistryValues", "2600"),
            ("RemoveShortcuts", "3200"),
            ("RemoveEnvironmentStrings", "3300"),
            ("RemoveFiles", "3500"),
            ("CreateShortcuts", "4500"),
            ("WriteRegistryValues", "5000"),
            ("WriteEnvironmentStrings", "5200"),
        ] {
            assert_eq!(execute.get(action).map(String::as_str), Some(sequence), "{action}");
        }

        // _Validation describes the new tables' columns, with categories.
        let validation = export(msi, "_Validation");
        let tables: Vec<String> = msiinfo(&["tables"], msi).lines().map(str::to_string).collect();
        for table in ["Shortcut", "Registry", "Environment", "RemoveFile"] {
            assert!(tables.iter().any(|t| t == table), "{table} missing from {tables:?}");
            let header = msiinfo(&["export", table], msi);
            for column in header.lines().next().unwrap().split('\t') {
                assert!(
                    validation.iter().any(|r| r[0] == table && r[1] == column),
                    "_Validation has no row for {table}.{column}"
                );
            }
        }
        let category = |table: &str, column: &str| {
            validation
                .iter()
                .find(|r| r[0] == table && r[1] == column)
                .map(|r| r[7].clone())
                .unwrap()
        };
        assert_eq!(category("Shortcut", "Target"), "Shortcut");
        assert_eq!(category("Shortcut", "Name"), "Filename");
        assert_eq!(category("Registry", "Key"), "RegPath");
        assert_eq!(category("Registry", "Value"), "Formatted");
        assert_eq!(category("Environment", "Value"), "Formatted");
        assert_eq!(category("RemoveFile", "FileName"), "WildCardFilename");

        // msiextract still installs exactly the manifest (shortcuts are not files).
        let install_dir = match scope {
            MsiScope::PerMachine => "Greeter App",
            MsiScope::PerUser => "Programs/Greeter App",
        };
        assert_eq!(extracted(msi, install_dir), manifest_tree(&built.manifest));
    }
}

#[test]
fn without_shortcuts_or_path_no_tables_are_added() {
    let built = default_build();
    let tables: Vec<String> = msiinfo(&["tables"], &built.path).lines().map(str::to_string).collect();
    for table in ["Shortcut", "Registry", "Environment", "RemoveFile"] {
        assert!(!tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    let execute = export(&built.path, "InstallExecuteSequence");
    assert!(!execute.iter().any(|r| r[0] == "CreateShortcuts"), "{execute:?}");
}

#[test]
fn path_entry_of_the_installation_folder_alone() {
    let dir = tempfile::tempdir().unwrap();
    let meta = metadata("1.0.0", "i686-pc-windows-msvc");
    let spec = MsiSpec {
        add_to_path: Some(String::new()),
        ..spec(MsiScope::PerUser)
    };
    let path = dir.path().join("x.msi");
    write_msi(&meta, &spec, &one_file("bin/tool.exe"), &MsiOptions::default(), &path).unwrap();
    assert_eq!(
        export(&path, "Environment"),
        vec![row(&["e_PATH", "=-PATH", "[~];[INSTALLDIR]", "c_path"])]
    );
    let tables = msiinfo(&["tables"], &path);
    assert!(!tables.lines().any(|t| t == "Shortcut"), "{tables}");
    let components = export(&path, "Component");
    let path_component = components.iter().find(|r| r[0] == "c_path").unwrap();
    // 32-bit: no 256, only the registry key path.
    assert_eq!(path_component[2..], row(&["INSTALLDIR", "4", "", "r_path"]));
}

#[test]
fn integrated_builds_are_byte_identical() {
    let a = build_integrated(MsiScope::PerMachine);
    let b = build_integrated(MsiScope::PerMachine);
    assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
    assert_eq!(a.info.package_code, b.info.package_code);
    // Shortcuts change the package, not the product.
    let plain = build(
        "1.2.3",
        "x86_64-pc-windows-msvc",
        MsiScope::PerMachine,
        &MsiOptions {
            timestamp: TIME,
            ..MsiOptions::default()
        },
    );
    assert_ne!(a.info.package_code, plain.info.package_code);
    assert_eq!(a.info.product_code, plain.info.product_code);
}

#[test]
fn bad_shortcuts_and_path_entries_are_refused() {
    let ok = metadata("1.0.0", "x86_64-pc-windows-msvc");
    let manifest = one_file("bin/tool.exe");
    let check = |spec: MsiSpec, needles: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let err = write_msi(&ok, &spec, &manifest, &MsiOptions::default(), &dir.path().join("x.msi"))
            .unwrap_err()
            .to_string();
        for needle in needles {
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
    };
    let with = |shortcuts: Vec<MsiShortcut>, path: Option<&str>| MsiSpec {
        shortcuts,
        add_to_path: path.map(str::to_string),
        ..spec(MsiScope::PerMachine)
    };
    check(
        with(vec![shortcut("tool.exe", "Tool", false)], None),
        &["\"Tool\"", "\"tool.exe\"", "not a file of the manifest"],
    );
    check(
        with(vec![shortcut("bin", "Tool", false)], None),
        &["\"bin\"", "not a file of the manifest"],
    );
    check(
        with(vec![shortcut("bin/tool.exe", " ", false)], None),
        &["shortcut name", "empty"],
    );
    check(
        with(vec![shortcut("bin/tool.exe", "a/b", false)], None),
        &["\"a/b\"", "shortcut name"],
    );
    check(
        with(vec![shortcut("bin/tool.exe", "What?", false)], None),
        &["\"What?\"", "not allow"],
    );
    check(
        with(
            vec![
                shortcut("bin/tool.exe", "Tool", false),
                shortcut("bin/tool.exe", "TOOL", true),
            ],
            None,
        ),
        &["\"TOOL\"", "same name"],
    );
    let mut snowman = shortcut("bin/tool.exe", "Tool", false);
    snowman.description = Some("\u{2603}".into());
    check(with(vec![snowman], None), &["shortcut description", "Windows-1252"]);
    check(
        with(vec![], Some("bin/tool.exe")),
        &["\"bin/tool.exe\"", "PATH", "is a file, not a directory"],
    );
    check(
        with(vec![], Some("lib")),
        &["\"lib\"", "PATH", "no file of the manifest"],
    );
}
