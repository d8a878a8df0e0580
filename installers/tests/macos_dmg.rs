//! Integration tests of `write_dmg` and `hfs_volume`, checked with real
//! readers: 7-Zip (`7zz`) opens the UDIF image and the HFS+ volume inside
//! it, lists attributes and symbolic links and extracts the files;
//! `dmg2img` converts the image to the raw volume; the `hfsplus` crate, a
//! reader written independently of ours, looks every path up through the
//! catalog B-tree (which needs keys in the right order and index nodes that
//! point to the right leaves).
//!
//! A missing tool fails the test with the `apt-get install` command that
//! provides it.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{command, run};
use oxdist_installers::macos::dmg::{DmgError, DmgOptions, write_dmg};
use oxdist_installers::macos::hfs::{HfsError, hfs_volume};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath};
use oxdist_testing::noise;
use unicode_normalization::UnicodeNormalization;

const SEVEN_ZIP: &str = "7zip";
const DMG2IMG: &str = "dmg2img";

/// 2023-11-14T22:13:20Z.
const TIME: Timestamp = Timestamp(1_700_000_000);

fn p(path: &str) -> ManifestPath {
    ManifestPath::new(path).unwrap()
}

fn add(m: &mut FileManifest, path: &str, bytes: Vec<u8>, executable: bool) {
    m.add_file(
        p(path),
        FileEntry::from_bytes(bytes, executable, format!("test {path}")),
    )
    .unwrap();
}

/// An app bundle with an executable, a large file of noise (several
/// compressed chunks), an empty file, a relative link and a non-ASCII name.
fn app() -> FileManifest {
    let mut m = FileManifest::new();
    add(
        &mut m,
        "Demo.app/Contents/Info.plist",
        b"<?xml version=\"1.0\"?><plist/>\n".to_vec(),
        false,
    );
    add(
        &mut m,
        "Demo.app/Contents/MacOS/demo",
        b"#!/bin/sh\necho demo\n".to_vec(),
        true,
    );
    add(&mut m, "Demo.app/Contents/Resources/big.bin", noise(3 << 20, 7), false);
    add(&mut m, "Demo.app/Contents/Resources/empty", Vec::new(), false);
    add(
        &mut m,
        "Demo.app/Contents/Resources/caf\u{e9}.txt",
        b"caf\xc3\xa9\n".to_vec(),
        false,
    );
    m.add(
        p("Demo.app/Contents/Resources/link"),
        ManifestEntry::Symlink {
            target: "../MacOS/demo".into(),
            origin: "test link".into(),
        },
    )
    .unwrap();
    m
}

/// `7zz l -slt` as one map per item: path → property → value.
fn seven_zip_list(archive: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = run(command("7zz").arg("l").arg("-slt").arg(archive), SEVEN_ZIP);
    let listing = text
        .split_once("----------\n")
        .map(|(_, l)| l)
        .unwrap_or_else(|| panic!("{text}"));
    let mut items = BTreeMap::new();
    for block in listing.split("\n\n") {
        let props: BTreeMap<String, String> = block
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(path) = props.get("Path") {
            items.insert(path.clone(), props);
        }
    }
    items
}

/// Extracts the HFS volume of `image` (a DMG or a raw volume) into `dest`.
/// `-snld`: 7-Zip calls `../MacOS/demo` in `Contents/Resources` "dangerous"
/// and would skip it.
fn seven_zip_extract(image: &Path, dest: &Path) {
    run(
        command("7zz")
            .arg("x")
            .arg("-snld")
            .arg("-y")
            .arg(format!("-o{}", dest.display()))
            .arg(image),
        SEVEN_ZIP,
    );
}

/// The files of `m` as bytes and exec bits, keyed by path.
fn expected_files(m: &FileManifest) -> BTreeMap<String, (Vec<u8>, bool)> {
    m.entries()
        .filter_map(|(path, entry)| match entry {
            ManifestEntry::File(file) => Some((
                path.to_string(),
                (file.data.read().unwrap().into_owned(), file.executable),
            )),
            ManifestEntry::Symlink { .. } => None,
        })
        .collect()
}

/// Compares an extracted tree with the manifest: bytes, exec bits, links.
/// Names come back as the volume stores them, decomposed (NFD).
fn check_extracted(root: &Path, m: &FileManifest, applications: bool) {
    for (path, (bytes, executable)) in expected_files(m) {
        let file = root.join(path.nfd().collect::<String>());
        let got = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            got == bytes,
            "{path}: contents differ ({} vs {} bytes)",
            got.len(),
            bytes.len()
        );
        let mode = fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o111 != 0, executable, "{path}: mode {mode:o}");
    }
    for (path, entry) in m.entries() {
        if let ManifestEntry::Symlink { target, .. } = entry {
            let link = root.join(path.as_str());
            assert_eq!(fs::read_link(&link).unwrap().to_str().unwrap(), target, "{path}");
        }
    }
    if applications {
        // 7-Zip re-roots absolute targets into the extraction directory; the
        // exact target is checked with the hfsplus crate.
        let target = fs::read_link(root.join("Applications")).unwrap();
        assert!(target.ends_with("Applications"), "{}", target.display());
    }
}

fn options() -> DmgOptions {
    DmgOptions::new(TIME)
}

#[test]
fn seven_zip_reads_the_dmg_and_dmg2img_converts_it() {
    let dir = tempfile::tempdir().unwrap();
    let dmg = dir.path().join("Demo.dmg");
    let m = app();
    let info = write_dmg("Demo", &m, &options(), &dmg).unwrap();
    assert_eq!(info.size, fs::metadata(&dmg).unwrap().len());
    assert_eq!(info.sha256, oxdist_installers::output::sha256_file(&dmg).unwrap());

    // 7-Zip through the UDIF layer: the volume's files, their modes, the links.
    let items = seven_zip_list(&dmg);
    let find = |suffix: &str| {
        items
            .iter()
            .find(|(path, _)| path.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in {:#?}", items.keys().collect::<Vec<_>>()))
            .1
    };
    let demo = find("Demo.app/Contents/MacOS/demo");
    assert!(demo["Mode"] == "-rwxr-xr-x", "{demo:?}");
    let plist = find("Demo.app/Contents/Info.plist");
    assert!(plist["Mode"] == "-rw-r--r--", "{plist:?}");
    assert_eq!(find("big.bin")["Size"], (3u64 << 20).to_string());
    assert!(
        items.contains_key("Demo/Demo.app/Contents/Resources/cafe\u{301}.txt"),
        "stored decomposed"
    );
    let apps = find("Applications");
    assert_eq!(apps["Mode"], "lrwxr-xr-x", "{apps:?}");
    assert_eq!(apps["Size"], "13", "{apps:?}");
    let modified = &demo["Modified"];
    assert!(modified.starts_with("2023-11-14 22:13:20"), "{modified}");

    let out = dir.path().join("x");
    seven_zip_extract(&dmg, &out);
    let root = find_volume_root(&out);
    check_extracted(&root, &m, true);

    // dmg2img checks the UDIF checksums and writes the raw volume, which 7-Zip
    // reads as HFS.
    let img = dir.path().join("Demo.img");
    let log = run(command("dmg2img").arg(&dmg).arg(&img), DMG2IMG);
    assert!(!log.contains("rror"), "{log}");
    let raw = fs::read(&img).unwrap();
    assert_eq!(&raw[1024..1026], b"HX");
    let volume = hfs_volume("Demo", &m, &[("Applications", "/Applications")], TIME).unwrap();
    assert!(raw == volume, "dmg2img's volume differs from the one written");
    let items = seven_zip_list(&img);
    assert_eq!(items["Demo/Demo.app/Contents/MacOS/demo"]["Mode"], "-rwxr-xr-x");
    let mut reader = hfsplus::HfsVolume::open(std::io::Cursor::new(&raw)).unwrap();
    assert_eq!(reader.read_file("/Applications").unwrap(), b"/Applications");
    let out = dir.path().join("y");
    seven_zip_extract(&img, &out);
    check_extracted(&find_volume_root(&out), &m, true);
}

/// The directory holding `Demo.app` or `f0000` below an extraction.
fn find_volume_root(out: &Path) -> std::path::PathBuf {
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "Demo.app" || name == "d00" {
                return dir;
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    panic!("no volume root below {}", out.display());
}

#[test]
fn hfsplus_crate_finds_every_path_through_the_catalog() {
    let m = big_tree();
    let volume = hfs_volume("Big", &m, &[("Applications", "/Applications")], TIME).unwrap();
    let mut reader = hfsplus::HfsVolume::open(std::io::Cursor::new(&volume)).unwrap();
    let header = reader.volume_header();
    assert_eq!(header.block_size, 4096);
    for (path, (bytes, executable)) in expected_files(&m) {
        let got = reader
            .read_file(&format!("/{path}"))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(got == bytes, "{path}");
        let stat = reader.stat(&format!("/{path}")).unwrap();
        assert_eq!(
            stat.permissions.mode,
            if executable { 0o100755 } else { 0o100644 },
            "{path}"
        );
    }
    let stat = reader.stat("/Applications").unwrap();
    assert_eq!(stat.kind, hfsplus::EntryKind::Symlink);
    assert_eq!(reader.read_file("/Applications").unwrap(), b"/Applications");
    let walked = reader.walk().unwrap();
    // Files, folders and the link.
    assert_eq!(walked.len(), m.len() + m.directories().len() + 1);
}

/// A few thousand files in nested directories: many catalog leaf nodes and
/// two levels of index nodes.
fn big_tree() -> FileManifest {
    let mut m = FileManifest::new();
    for d in 0..40 {
        for f in 0..100 {
            let path = format!("d{d:02}/sub/f{f:04}-{}.txt", "x".repeat(f % 50));
            add(&mut m, &path, format!("{d} {f}\n").into_bytes(), f % 7 == 0);
        }
    }
    m
}

#[test]
fn thousands_of_files_round_trip_through_seven_zip() {
    let dir = tempfile::tempdir().unwrap();
    let dmg = dir.path().join("Big.dmg");
    let m = big_tree();
    write_dmg("Big", &m, &options(), &dmg).unwrap();
    let volume = hfs_volume("Big", &m, &[("Applications", "/Applications")], TIME).unwrap();
    let catalog_nodes = u32::from_be_bytes(volume[1024 + 272 + 12..1024 + 272 + 16].try_into().unwrap());
    assert!(catalog_nodes > 100, "{catalog_nodes} catalog nodes");
    // The catalog's header node: tree depth 3 (leaves, two index levels).
    let catalog_start = u32::from_be_bytes(volume[1024 + 272 + 16..1024 + 272 + 20].try_into().unwrap()) as usize;
    let header = &volume[catalog_start * 4096..];
    assert_eq!(u16::from_be_bytes([header[14], header[15]]), 3, "tree depth");
    let out = dir.path().join("x");
    seven_zip_extract(&dmg, &out);
    check_extracted(&find_volume_root(&out), &m, true);
}

#[test]
fn building_twice_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_dmg("Demo", &app(), &options(), &dir.path().join("a.dmg")).unwrap();
    let b = write_dmg("Demo", &app(), &options(), &dir.path().join("b.dmg")).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
    let later = DmgOptions {
        timestamp: Timestamp(TIME.0 + 1),
        ..options()
    };
    let c = write_dmg("Demo", &app(), &later, &dir.path().join("c.dmg")).unwrap();
    assert_ne!(a.sha256, c.sha256, "the timestamp is in the image");
}

#[test]
fn without_the_applications_link() {
    let dir = tempfile::tempdir().unwrap();
    let dmg = dir.path().join("NoLink.dmg");
    let opts = DmgOptions {
        applications_symlink: false,
        ..options()
    };
    write_dmg("Demo", &app(), &opts, &dmg).unwrap();
    let items = seven_zip_list(&dmg);
    assert!(
        !items.keys().any(|k| k.ends_with("Applications")),
        "{:#?}",
        items.keys()
    );
}

#[test]
fn bad_inputs_are_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bad.dmg");

    let mut m = app();
    add(&mut m, "Demo.app/Contents/a:b", b"x".to_vec(), false);
    let err = write_dmg("Demo", &m, &options(), &dest).unwrap_err();
    assert!(matches!(err, DmgError::Hfs(HfsError::Colon { .. })), "{err}");
    assert!(err.to_string().contains("Demo.app/Contents/a:b"), "{err}");

    let mut m = app();
    let long = "é".repeat(200); // 400 UTF-16 units once decomposed
    add(&mut m, &format!("dir/{long}"), b"x".to_vec(), false);
    let err = write_dmg("Demo", &m, &options(), &dest).unwrap_err();
    assert!(
        matches!(err, DmgError::Hfs(HfsError::NameTooLong { units: 400, .. })),
        "{err}"
    );
    assert!(err.to_string().contains(&long), "{err}");

    let mut m = app();
    add(&mut m, "Applications", b"x".to_vec(), false);
    let err = write_dmg("Demo", &m, &options(), &dest).unwrap_err();
    assert!(matches!(err, DmgError::ApplicationsTaken { .. }), "{err}");
    assert!(err.to_string().contains("test Applications"), "{err}");

    let mut m = app();
    add(&mut m, "Applications/readme", b"x".to_vec(), false);
    let err = write_dmg("Demo", &m, &options(), &dest).unwrap_err();
    assert!(matches!(err, DmgError::ApplicationsTaken { .. }), "{err}");

    let err = write_dmg("a:b", &app(), &options(), &dest).unwrap_err();
    assert!(matches!(err, DmgError::Hfs(HfsError::VolumeName { .. })), "{err}");

    let err = hfs_volume("V", &app(), &[("Demo.app", "/x")], TIME).unwrap_err();
    assert!(matches!(err, HfsError::LinkTaken { .. }), "{err}");
    assert!(!dest.exists(), "nothing written on failure");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary left behind");
}
