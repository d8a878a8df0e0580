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

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::{both, command, output, run, tree};
use oxdist_installers::msi::{
    MsiArch, MsiError, MsiInfo, MsiOptions, MsiScope, MsiShortcut, MsiSpec, MsiVersion, msi_file_name, write_msi,
};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath, PackageMetadata};
use oxdist_testing::noise;

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
    common::greeter_metadata(version, triple)
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

/// Writes the MSI of `manifest` at [`TIME`] to `path` (inside `dir`).
fn write_built(
    dir: tempfile::TempDir,
    path: PathBuf,
    meta: &PackageMetadata,
    spec: &MsiSpec,
    manifest: FileManifest,
) -> Built {
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    let info = write_msi(meta, spec, &manifest, &options, &path).unwrap();
    Built {
        _dir: dir,
        path,
        info,
        manifest,
    }
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

/// `msiinfo` in the package's directory: `export` of a table with binary
/// columns (Icon) writes their streams to `TABLE/` in the working directory.
fn msiinfo(args: &[&str], msi: &Path) -> String {
    let dir = msi.parent().expect("a package in a directory");
    run(
        command("msiinfo")
            .arg(args[0])
            .arg(msi)
            .args(&args[1..])
            .current_dir(dir),
        MSITOOLS,
    )
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
        "MsiFileHash",
        "Media",
        "Upgrade",
        "LaunchCondition",
        "InstallExecuteSequence",
        "InstallUISequence",
        "AdminExecuteSequence",
        "AdminUISequence",
        "AdvtExecuteSequence",
        "Dialog",
        "Control",
        "ControlEvent",
        "EventMapping",
        "TextStyle",
        "UIText",
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
    write_built(dir, path, &meta, &spec, manifest)
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

// ---------------------------------------------------------------------------
// File versions, file hashes and the product icon
// ---------------------------------------------------------------------------

/// Microsoft's Visual C++ runtime as a pinned win_amd64 wheel (in the
/// shared wheel cache of oxdist-testing): DLLs with a VERSIONINFO resource,
/// and an extension module without one.
fn msvc_runtime_wheel() -> PathBuf {
    oxdist_testing::fetch_wheel(
        "msvc-runtime==14.40.33807",
        "msvc_runtime-14.40.33807-",
        &["cp311", "win_amd64"],
        &oxdist_testing::cp311_platform_args("win_amd64"),
    )
}

/// `vcruntime140.dll` (PE32+, VERSIONINFO 14.40.33810.0, Translation 0x0409)
/// and `msvc_runtime.cp311-win_amd64.pyd` (PE32+, no VERSIONINFO), as
/// pefile 2024.8.26 reads them (`pe.VS_FIXEDFILEINFO[0].FileVersionMS`/`LS`,
/// `pe.FileInfo` … `VarFileInfo` … `Translation`).
fn runtime_files() -> (Vec<u8>, Vec<u8>) {
    let wheel = msvc_runtime_wheel();
    (
        oxdist_testing::wheel_member(&wheel, "msvc_runtime-14.40.33807.data/data/Scripts/vcruntime140.dll"),
        oxdist_testing::wheel_member(&wheel, "msvc_runtime.cp311-win_amd64.pyd"),
    )
}

/// A real 16×16 32-bit icon: ICONDIR, one ICONDIRENTRY, a BITMAPINFOHEADER
/// (double height for the AND mask), the pixels and the mask.
fn ico_bytes() -> Vec<u8> {
    let image_size: u32 = 40 + 16 * 16 * 4 + 16 * 4;
    let mut ico = vec![0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0];
    ico.extend(image_size.to_le_bytes());
    ico.extend(22u32.to_le_bytes());
    for field in [40u32, 16, 32] {
        ico.extend(field.to_le_bytes());
    }
    ico.extend(1u16.to_le_bytes());
    ico.extend(32u16.to_le_bytes());
    ico.extend([0u8; 24]);
    for pixel in 0..256u32 {
        ico.extend([(pixel % 16 * 16) as u8, (pixel / 16 * 16) as u8, 0x80, 0xff]);
    }
    ico.extend([0u8; 64]);
    ico
}

fn build_with(spec: MsiSpec, manifest: &FileManifest) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.msi");
    let options = MsiOptions {
        timestamp: TIME,
        ..MsiOptions::default()
    };
    write_msi(
        &metadata("1.2.3", "x86_64-pc-windows-msvc"),
        &spec,
        manifest,
        &options,
        &path,
    )
    .unwrap();
    (dir, path)
}

fn manifest_of(files: &[(&str, &[u8])]) -> FileManifest {
    let mut m = FileManifest::new();
    for (path, bytes) in files {
        m.add_file(
            ManifestPath::new(path).unwrap(),
            FileEntry::from_bytes(bytes.to_vec(), false, format!("test data {path}")),
        )
        .unwrap();
    }
    m
}

/// `md5sum` of `bytes` as the four little-endian `HashPart` integers.
fn md5sum_parts(dir: &Path, bytes: &[u8]) -> Vec<String> {
    let file = dir.join("md5sum-input");
    fs::write(&file, bytes).unwrap();
    let out = run(command("md5sum").arg(&file), "coreutils");
    let hex = out.split_whitespace().next().unwrap();
    let digest: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    digest
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string())
        .collect()
}

#[test]
fn file_versions_from_versioninfo_and_hashes_of_the_rest() {
    let (dll, pyd) = runtime_files();
    let readme = b"Run greeter to be greeted.\n".as_slice();
    let fake = b"MZ not really a program\n".as_slice();
    let manifest = manifest_of(&[
        ("vcruntime140.dll", &dll),
        ("msvc_runtime.pyd", &pyd),
        ("README.txt", readme),
        ("greeter.exe", fake),
        ("empty.dat", b""),
    ]);
    let (dir, msi) = build_with(spec(MsiScope::PerMachine), &manifest);

    let file_rows: BTreeMap<String, Vec<String>> = export(&msi, "File")
        .into_iter()
        .map(|row| (row[0].clone(), row))
        .collect();
    let (version, language) = (&file_rows["f_vcruntime140.dll"][4], &file_rows["f_vcruntime140.dll"][5]);
    assert_eq!((version.as_str(), language.as_str()), ("14.40.33810.0", "1033"));
    for key in ["f_msvc_runtime.pyd", "f_README.txt", "f_greeter.exe", "f_empty.dat"] {
        assert_eq!(file_rows[key][4..6], ["", ""], "{key} is unversioned");
    }

    let hashes: BTreeMap<String, Vec<String>> = export(&msi, "MsiFileHash")
        .into_iter()
        .map(|row| (row[0].clone(), row[1..].to_vec()))
        .collect();
    assert_eq!(
        hashes.keys().collect::<Vec<_>>(),
        ["f_README.txt", "f_empty.dat", "f_greeter.exe", "f_msvc_runtime.pyd"],
        "every unversioned file and no versioned one"
    );
    for (key, bytes) in [
        ("f_README.txt", readme),
        ("f_empty.dat", b"".as_slice()),
        ("f_greeter.exe", fake),
        ("f_msvc_runtime.pyd", &pyd),
    ] {
        assert_eq!(hashes[key][0], "0", "{key}: Options");
        assert_eq!(hashes[key][1..], md5sum_parts(dir.path(), bytes), "{key}");
    }
    assert_eq!(extracted(&msi, "Greeter App"), manifest_tree(&manifest));
}

#[test]
fn product_icon_in_arp_and_on_shortcuts() {
    let ico = ico_bytes();
    let dir = tempfile::tempdir().unwrap();
    let ico_path = dir.path().join("oracle.ico");
    fs::write(&ico_path, &ico).unwrap();
    let kind = run(command("file").arg("-b").arg(&ico_path), FILE);
    assert!(kind.contains("icon resource") && kind.contains("16x16"), "{kind}");

    let manifest = one_file("bin/tool.exe");
    let with_icon = |icon: Vec<u8>| MsiSpec {
        shortcuts: vec![shortcut("bin/tool.exe", "Tool", true)],
        icon: Some(icon),
        ..spec(MsiScope::PerUser)
    };
    let (_dir, msi) = build_with(with_icon(ico.clone()), &manifest);
    assert_eq!(export(&msi, "Icon")[0][0], "ProductIcon.ico");
    assert_eq!(properties(&msi)["ARPPRODUCTICON"], "ProductIcon.ico");
    let shortcuts = export(&msi, "Shortcut");
    assert_eq!(shortcuts.len(), 2);
    for row in &shortcuts {
        assert_eq!(row[8], "ProductIcon.ico", "Icon_ of {row:?}");
    }
    assert!(msiinfo(&["streams"], &msi).lines().any(|s| s == "Icon.ProductIcon.ico"));
    assert_eq!(fs::read(extract_stream(&msi, "Icon.ProductIcon.ico")).unwrap(), ico);

    // A PE image holding icons keeps an .exe name, which Windows needs to read it.
    let (_, pyd) = runtime_files();
    let (_dir, msi) = build_with(with_icon(pyd.clone()), &manifest);
    assert_eq!(properties(&msi)["ARPPRODUCTICON"], "ProductIcon.exe");
    assert_eq!(fs::read(extract_stream(&msi, "Icon.ProductIcon.exe")).unwrap(), pyd);

    // Without an icon there is no Icon table and shortcuts show the target's own.
    let (_dir, msi) = build_with(
        MsiSpec {
            icon: None,
            ..with_icon(Vec::new())
        },
        &manifest,
    );
    assert!(!msiinfo(&["tables"], &msi).lines().any(|t| t == "Icon"));
    assert!(!properties(&msi).contains_key("ARPPRODUCTICON"));
    assert!(export(&msi, "Shortcut").iter().all(|row| row[8].is_empty()));
}

#[test]
fn invalid_icons_are_refused() {
    let manifest = one_file("bin/tool.exe");
    let mut no_images = ico_bytes();
    no_images[4] = 0;
    let mut cut_short = ico_bytes();
    cut_short.truncate(100);
    for (icon, needle) in [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "neither with an ICO header"),
        (Vec::new(), "neither with an ICO header"),
        (no_images, "lists no image"),
        (cut_short, "outside the file"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = MsiSpec {
            icon: Some(icon),
            ..spec(MsiScope::PerMachine)
        };
        let err = write_msi(
            &metadata("1.0.0", "x86_64-pc-windows-msvc"),
            &spec,
            &manifest,
            &MsiOptions::default(),
            &dir.path().join("x.msi"),
        )
        .unwrap_err();
        assert!(matches!(err, MsiError::Icon { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(needle) && message.contains(".ico"), "{message}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
    }
}

// ---------------------------------------------------------------------------
// User interface
// ---------------------------------------------------------------------------

/// The license of the UI tests: RTF specials, a property-like reference
/// and characters outside ASCII.
const LICENSE: &str = "Copyright (c) Example Org\n\nPermission {granted} to [ProductName] users, é \\o/\n";

fn build_with_license(license: Option<&str>) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let manifest = files(&dir.path().join("src"));
    let meta = metadata("1.2.3", "x86_64-pc-windows-msvc");
    let path = dir.path().join("out").join(msi_file_name(&meta).unwrap());
    let spec = MsiSpec {
        license: license.map(str::to_string),
        ..spec(MsiScope::PerUser)
    };
    write_built(dir, path, &meta, &spec, manifest)
}

/// The dialogs that `NewDialog` and `SpawnDialog` events reach from the
/// dialogs of `InstallUISequence`.
fn reachable_dialogs(msi: &Path) -> BTreeSet<String> {
    let events = export(msi, "ControlEvent");
    let mut reached: BTreeSet<String> = export(msi, "InstallUISequence")
        .into_iter()
        .filter(|r| r[0].ends_with("Dlg") || ["ExitDialog", "UserExit", "FatalError"].contains(&r[0].as_str()))
        .map(|r| r[0].clone())
        .collect();
    loop {
        let next: Vec<String> = events
            .iter()
            .filter(|e| reached.contains(&e[0]) && (e[2] == "NewDialog" || e[2] == "SpawnDialog"))
            .map(|e| e[3].clone())
            .filter(|d| !reached.contains(d))
            .collect();
        if next.is_empty() {
            return reached;
        }
        reached.extend(next);
    }
}

/// What ICE20 and ICE23 check of the dialogs, and what the wizard's events
/// need: references to controls of the same dialog, one `Control_Next`
/// cycle through each dialog's focusable controls, events naming existing
/// dialogs, the sequences showing existing dialogs.
fn assert_dialogs_are_consistent(msi: &Path) {
    let dialogs = export(msi, "Dialog");
    let controls = export(msi, "Control");
    let names: BTreeSet<&str> = dialogs.iter().map(|d| d[0].as_str()).collect();
    let focusable = |kind: &str| {
        [
            "PushButton",
            "CheckBox",
            "PathEdit",
            "DirectoryCombo",
            "DirectoryList",
            "ScrollableText",
        ]
        .contains(&kind)
    };
    for control in &controls {
        assert!(names.contains(control[0].as_str()), "{control:?} is on no dialog");
    }
    for dialog in &dialogs {
        let name = dialog[0].as_str();
        let own: BTreeMap<&str, &Vec<String>> = controls
            .iter()
            .filter(|c| c[0] == name)
            .map(|c| (c[1].as_str(), c))
            .collect();
        for (column, value) in [("first", 7), ("default", 8), ("cancel", 9)] {
            let control = dialog[value].as_str();
            assert!(
                control.is_empty() || own.contains_key(control),
                "{name}'s {column} control {control:?} is not one of its controls {:?}",
                own.keys()
            );
        }
        assert!(!dialog[7].is_empty(), "{name} has no first control");
        assert_eq!(dialog[6], "[ProductName] Setup", "{name}'s title");
        for (control, row) in &own {
            let next = row[10].as_str();
            assert!(
                next.is_empty() || own.contains_key(next),
                "{name}.{control} -> {next:?}"
            );
        }
        let attributes: i32 = dialog[5].parse().unwrap();
        if attributes & 0x1_0000 != 0 {
            // The error dialog: focus on ErrorText, buttons not chained.
            assert_eq!(dialog[7], "ErrorText", "{dialog:?}");
            assert!(own.values().all(|c| c[10].is_empty()), "{name} is chained");
            for button in ["A", "C", "I", "N", "O", "R", "Y"] {
                assert_eq!(own[button][2], "PushButton", "{name}.{button}");
            }
            continue;
        }
        // Control_First starts one cycle through every focusable control, and nothing else.
        let expected: BTreeSet<&str> = own
            .values()
            .filter(|c| focusable(&c[2]))
            .map(|c| c[1].as_str())
            .collect();
        let mut seen = BTreeSet::new();
        let mut at = dialog[7].as_str();
        while seen.insert(at) {
            at = own[at][10].as_str();
            assert!(!at.is_empty(), "{name}: the tab order ends after {seen:?}");
        }
        assert_eq!(
            at, dialog[7],
            "{name}: the tab order does not come back to its first control"
        );
        assert_eq!(seen, expected, "{name}: tab order");
        for (control, row) in &own {
            assert_eq!(
                row[10].is_empty(),
                !expected.contains(control),
                "{name}.{control} is chained but not focusable, or the reverse"
            );
        }
    }
    for event in export(msi, "ControlEvent") {
        let own = controls.iter().any(|c| c[0] == event[0] && c[1] == event[1]);
        assert!(own, "{event:?}: no such control");
        if event[2] == "NewDialog" || event[2] == "SpawnDialog" {
            assert!(names.contains(event[3].as_str()), "{event:?}: no such dialog");
        }
    }
    for table in ["InstallUISequence", "AdminUISequence"] {
        let standard = [
            "ExecuteAction",
            "FindRelatedProducts",
            "LaunchConditions",
            "ValidateProductID",
            "MigrateFeatureStates",
        ];
        for row in export(msi, table) {
            let action = row[0].as_str();
            if !action.starts_with("Cost") && !action.ends_with("Cost") && !standard.contains(&action) {
                assert!(names.contains(action), "{table} shows {action}, which is no dialog");
            }
        }
    }
}

#[test]
fn user_interface_with_a_license() {
    let built = build_with_license(Some(LICENSE));
    let msi = &built.path;
    let tables = msiinfo(&["tables"], msi);
    for table in [
        "Dialog",
        "Control",
        "ControlEvent",
        "ControlCondition",
        "EventMapping",
        "TextStyle",
        "UIText",
    ] {
        assert!(tables.lines().any(|t| t == table), "{table} missing from {tables}");
    }
    assert!(!tables.lines().any(|t| t == "Binary"), "{tables}");

    let dialogs: BTreeSet<String> = export(msi, "Dialog").into_iter().map(|r| r[0].clone()).collect();
    let expected: BTreeSet<String> = [
        "WelcomeDlg",
        "LicenseDlg",
        "InstallDirDlg",
        "BrowseDlg",
        "ProgressDlg",
        "ExitDialog",
        "UserExit",
        "FatalError",
        "CancelDlg",
        "ErrorDlg",
    ]
    .map(String::from)
    .into();
    assert_eq!(dialogs, expected);
    assert_dialogs_are_consistent(msi);
    assert_eq!(
        reachable_dialogs(msi),
        expected.iter().filter(|d| *d != "ErrorDlg").cloned().collect()
    );

    let props = properties(msi);
    assert_eq!(props["ErrorDialog"], "ErrorDlg");
    assert_eq!(props["DefaultUIFont"], "OxdistUI_Normal");
    assert_eq!(props["OXDIST_INSTALLDIR"], "INSTALLDIR");
    let styles: Vec<String> = export(msi, "TextStyle").into_iter().map(|r| r[0].clone()).collect();
    assert!(styles.contains(&props["DefaultUIFont"]), "{styles:?}");

    let ui: BTreeSet<Vec<String>> = export(msi, "InstallUISequence").into_iter().collect();
    for expected in [
        row(&["WelcomeDlg", "NOT Installed", "1297"]),
        row(&["ProgressDlg", "", "1299"]),
        row(&["ExitDialog", "", "-1"]),
        row(&["UserExit", "", "-2"]),
        row(&["FatalError", "", "-3"]),
        row(&["ExecuteAction", "", "1300"]),
    ] {
        assert!(ui.contains(&expected), "{expected:?} not in {ui:?}");
    }
    let admin: Vec<String> = export(msi, "AdminUISequence")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(admin.contains(&"ProgressDlg".to_string()) && !admin.contains(&"WelcomeDlg".to_string()));

    let controls = export(msi, "Control");
    let control = |dialog: &str, name: &str| {
        controls
            .iter()
            .find(|c| c[0] == dialog && c[1] == name)
            .unwrap_or_else(|| panic!("no {dialog}.{name}"))
            .clone()
    };
    let license = control("LicenseDlg", "LicenseText");
    assert_eq!(license[2], "ScrollableText");
    assert!(license[9].starts_with("{\\rtf1\\ansi\\ansicpg1252"), "{}", license[9]);
    assert!(
        license[9].contains("Copyright (c) Example Org\\par \\par Permission \\{granted\\} to \\'5bProductName\\'5d users, \\u233? \\\\o/"),
        "{}",
        license[9]
    );
    assert_eq!(control("LicenseDlg", "LicenseAcceptedCheckBox")[8], "LicenseAccepted");
    assert_eq!(control("InstallDirDlg", "Folder")[8], "OXDIST_INSTALLDIR");
    assert_eq!(control("ErrorDlg", "ErrorText")[2], "Text");

    let events: BTreeSet<Vec<String>> = export(msi, "ControlEvent").into_iter().collect();
    for expected in [
        row(&["WelcomeDlg", "Next", "NewDialog", "LicenseDlg", "1", "1"]),
        row(&["LicenseDlg", "Back", "NewDialog", "WelcomeDlg", "1", "1"]),
        row(&[
            "LicenseDlg",
            "Next",
            "NewDialog",
            "InstallDirDlg",
            "LicenseAccepted = \"1\"",
            "1",
        ]),
        row(&["InstallDirDlg", "Back", "NewDialog", "LicenseDlg", "1", "1"]),
        row(&[
            "InstallDirDlg",
            "Next",
            "SetTargetPath",
            "[OXDIST_INSTALLDIR]",
            "1",
            "1",
        ]),
        row(&["InstallDirDlg", "Next", "EndDialog", "Return", "1", "2"]),
        row(&[
            "InstallDirDlg",
            "ChangeFolder",
            "[_BrowseProperty]",
            "[OXDIST_INSTALLDIR]",
            "1",
            "1",
        ]),
        row(&["InstallDirDlg", "ChangeFolder", "SpawnDialog", "BrowseDlg", "1", "2"]),
        row(&["BrowseDlg", "OK", "SetTargetPath", "[_BrowseProperty]", "1", "1"]),
        row(&["ProgressDlg", "Cancel", "SpawnDialog", "CancelDlg", "1", "1"]),
        row(&["CancelDlg", "Yes", "EndDialog", "Exit", "1", "1"]),
        row(&["ExitDialog", "Next", "EndDialog", "Return", "1", "1"]),
        row(&["FatalError", "Next", "EndDialog", "Exit", "1", "1"]),
        row(&["ErrorDlg", "R", "EndDialog", "ErrorRetry", "1", "1"]),
    ] {
        assert!(events.contains(&expected), "{expected:?} not in ControlEvent");
    }
    let conditions: BTreeSet<Vec<String>> = export(msi, "ControlCondition").into_iter().collect();
    assert_eq!(
        conditions,
        [
            row(&["LicenseDlg", "Next", "Disable", "LicenseAccepted <> \"1\""]),
            row(&["LicenseDlg", "Next", "Enable", "LicenseAccepted = \"1\""]),
        ]
        .into()
    );
    let mappings: BTreeSet<Vec<String>> = export(msi, "EventMapping").into_iter().collect();
    assert_eq!(
        mappings,
        [
            row(&["ProgressDlg", "ActionText", "ActionText", "Text"]),
            row(&["ProgressDlg", "ProgressBar", "SetProgress", "Progress"]),
        ]
        .into()
    );

    // _Validation as in the Windows Installer SDK.
    let validation = export(msi, "_Validation");
    let rule = |table: &str, column: &str| {
        validation
            .iter()
            .find(|r| r[0] == table && r[1] == column)
            .unwrap_or_else(|| panic!("no _Validation row for {table}.{column}"))
            .clone()
    };
    assert_eq!(rule("Control", "Text")[7], "Formatted");
    assert_eq!(rule("Control", "Control_Next")[5..7], row(&["Control", "2"]));
    assert_eq!(
        rule("Dialog", "Control_First")[5..8],
        row(&["Control", "2", "Identifier"])
    );
    assert_eq!(rule("ControlEvent", "Condition")[7], "Condition");
    assert_eq!(
        rule("ControlCondition", "Action")[8],
        "Default;Disable;Enable;Hide;Show"
    );
    assert_eq!(rule("TextStyle", "StyleBits")[3..5], row(&["0", "15"]));

    // The UI changes nothing of what is installed.
    assert_eq!(extracted(msi, "Programs/Greeter App"), manifest_tree(&built.manifest));
}

#[test]
fn without_a_license_no_license_dialog_is_reachable() {
    let built = build_with_license(None);
    let msi = &built.path;
    assert_dialogs_are_consistent(msi);
    let dialogs: Vec<String> = export(msi, "Dialog").into_iter().map(|r| r[0].clone()).collect();
    assert!(!dialogs.contains(&"LicenseDlg".to_string()), "{dialogs:?}");
    let reached = reachable_dialogs(msi);
    assert!(
        reached.contains("InstallDirDlg") && !reached.contains("LicenseDlg"),
        "{reached:?}"
    );
    let events = export(msi, "ControlEvent");
    assert!(events.contains(&row(&["WelcomeDlg", "Next", "NewDialog", "InstallDirDlg", "1", "1"])));
    assert!(events.contains(&row(&["InstallDirDlg", "Back", "NewDialog", "WelcomeDlg", "1", "1"])));
    assert!(export(msi, "ControlCondition").is_empty());
    assert!(!msiinfo(&["export", "Control"], msi).contains("LicenseAccepted"));
    // The default fixture, per-machine, has the same dialogs.
    assert_dialogs_are_consistent(&default_build().path);
}

#[test]
fn rtf_licenses_are_kept_and_checked() {
    let rtf = "{\\rtf1\\ansi\\ansicpg1252 {\\b Terms} caf\u{e9}\\par }";
    let built = build_with_license(Some(rtf));
    let text = export(&built.path, "Control")
        .into_iter()
        .find(|c| c[1] == "LicenseText")
        .unwrap();
    assert_eq!(text[9], rtf);

    let dir = tempfile::tempdir().unwrap();
    let meta = metadata("1.2.3", "x86_64-pc-windows-msvc");
    for (license, expected) in [("{\\rtf1 Zaż\\par }", "'ż' on line 1"), ("  \n", "it is empty")] {
        let spec = MsiSpec {
            license: Some(license.into()),
            ..spec(MsiScope::PerMachine)
        };
        let err = write_msi(
            &meta,
            &spec,
            &one_file("a.exe"),
            &MsiOptions::default(),
            &dir.path().join("x.msi"),
        )
        .unwrap_err();
        assert!(matches!(err, MsiError::License { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("MSI license") && message.contains(expected),
            "{message}"
        );
    }
}
