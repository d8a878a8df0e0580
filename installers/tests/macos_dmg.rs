//! Integration tests of `write_dmg` and `hfs_volume`, checked with real
//! readers: 7-Zip (`7zz`) opens the UDIF image and the HFS+ volume inside
//! it, lists attributes and symbolic links and extracts the files;
//! `dmg2img` converts the image to the raw volume; the `hfsplus` crate, a
//! reader written independently of ours, looks every path up through the
//! catalog B-tree (which needs keys in the right order and index nodes that
//! point to the right leaves).
//!
//! The DMG window layout (`.DS_Store`, background, volume icon) is read
//! back with the `ds_store` and `mac_alias` Python packages (pinned wheels
//! from PyPI, run by `python3`), the readers `dmgbuild` builds on.
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
use oxdist_installers::macos::dmg::{DmgError, DmgLayout, DmgOptions, write_dmg};
use oxdist_installers::macos::hfs::{HfsError, catalog_node_ids, hfs_volume};
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

/// A real PNG image (8-bit RGB, one colour) of `width` × `height` pixels.
fn png(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write as _;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    // Each row: filter type 0 (none), then the pixels.
    let mut row = vec![0u8];
    row.extend([0x20, 0x60, 0xa0].repeat(width as usize));
    let rows = row.repeat(height as usize);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&rows).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// An `.icns` file with one (fake) 16×16 PNG element.
fn icns() -> Vec<u8> {
    let element = png(16, 16);
    let mut out = b"icns".to_vec();
    out.extend_from_slice(&(8 + 8 + element.len() as u32).to_be_bytes());
    out.extend_from_slice(b"icp4");
    out.extend_from_slice(&(8 + element.len() as u32).to_be_bytes());
    out.extend_from_slice(&element);
    out
}

fn layout() -> DmgLayout {
    DmgLayout {
        background_png: Some(png(600, 400)),
        icon_positions: BTreeMap::from([("Demo.app".into(), (150, 190)), ("Applications".into(), (450, 190))]),
        volume_icon_icns: Some(icns()),
        ..DmgLayout::default()
    }
}

fn layout_options(layout: DmgLayout) -> DmgOptions {
    DmgOptions {
        layout: Some(layout),
        ..options()
    }
}

/// Dumps a `.DS_Store` with the `ds_store` package as an XML property list:
/// `superblock` (levels, records, nodes) and `records`, each with `name`,
/// `code`, `type` and `value`; aliases in `icvp` are decoded with
/// `mac_alias` into `backgroundImageAlias.decoded`.
const DUMP_DS_STORE: &str = r#"
import plistlib, sys
import mac_alias
from ds_store import DSStore

def alias_fields(raw):
    a = mac_alias.Alias.from_bytes(raw)
    v, t = a.volume, a.target
    fields = dict(volume_name=v.name, volume_date=v.creation_date.isoformat(),
                  fs_type=v.fs_type, disk_type=v.disk_type, volume_posix_path=v.posix_path,
                  kind=t.kind, filename=t.filename, folder_name=t.folder_name,
                  folder_cnid=t.folder_cnid, cnid=t.cnid, cnid_path=list(t.cnid_path or []),
                  carbon_path=t.carbon_path, posix_path=t.posix_path,
                  creation_date=t.creation_date.isoformat(),
                  levels_from=t.levels_from, levels_to=t.levels_to)
    return {k: v for k, v in fields.items() if v is not None}

records = []
with DSStore.open(sys.argv[1], "r") as d:
    superblock = [d._levels, d._records, d._nodes]
    for e in d:
        typ = e.type if isinstance(e.type, bytes) else e.type.__name__.encode()
        value = e.value
        if e.code == b"Iloc":
            value = list(value)
        elif isinstance(value, dict) and "backgroundImageAlias" in value:
            value = dict(value)
            raw = value["backgroundImageAlias"]
            value["backgroundImageAlias"] = {"raw": raw, "decoded": alias_fields(raw)}
        records.append({"name": e.filename, "code": e.code.decode(), "type": typ.decode(), "value": value})
sys.stdout.write(plistlib.dumps({"superblock": superblock, "records": records}).decode())
"#;

/// The `ds_store` and `mac_alias` wheels (pure Python), cached by
/// oxdist-testing; `python3` imports them from the wheel files directly.
fn ds_store_python_path() -> String {
    let ds_store = oxdist_testing::fetch_wheel("ds_store==1.3.1", "ds_store-1.3.1-", &["none-any"], &[]);
    let mac_alias = oxdist_testing::fetch_wheel("mac_alias==2.2.2", "mac_alias-2.2.2-", &["none-any"], &[]);
    format!("{}:{}", ds_store.display(), mac_alias.display())
}

/// What the `ds_store` package reads from `file`.
fn dump_ds_store(file: &Path) -> plist::Dictionary {
    let out = run(
        command("python3")
            .env("PYTHONPATH", ds_store_python_path())
            .arg("-c")
            .arg(DUMP_DS_STORE)
            .arg(file),
        "python3",
    );
    plist::Value::from_reader_xml(out.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {out}"))
        .into_dictionary()
        .unwrap()
}

fn int(v: &plist::Value) -> i64 {
    v.as_signed_integer()
        .or_else(|| v.as_unsigned_integer().map(|u| u as i64))
        .unwrap_or_else(|| panic!("not an integer: {v:?}"))
}

/// The Finder flags of the catalog record (`parent`, `name`), found with the
/// `hfsplus` crate's own B-tree search; `fdFlags`/`frFlags` sit at byte 48 + 8
/// of file and folder records alike (TN1150).
fn finder_flags(volume: &[u8], parent: u32, name: &str) -> (u16, [u8; 4]) {
    let mut cursor = std::io::Cursor::new(volume);
    let header = hfsplus::VolumeHeader::parse(&mut cursor).unwrap();
    let btree = hfsplus::btree::read_btree_header(&mut cursor, &header.catalog_file, header.block_size).unwrap();
    let units: Vec<u16> = name.encode_utf16().collect();
    let compare = |record: &[u8]| -> hfsplus::Result<std::cmp::Ordering> {
        let key_parent = u32::from_be_bytes(record[2..6].try_into().unwrap());
        let len = u16::from_be_bytes([record[6], record[7]]) as usize;
        let key_units: Vec<u16> = (0..len)
            .map(|i| u16::from_be_bytes([record[8 + 2 * i], record[9 + 2 * i]]))
            .collect();
        Ok(key_parent.cmp(&parent).then(key_units.as_slice().cmp(&units)))
    };
    let (node, index) = hfsplus::btree::search_btree(&mut cursor, &btree, &compare)
        .unwrap()
        .unwrap_or_else(|| panic!("no catalog record for {name:?} in {parent}"));
    let record = node.record_data(index).unwrap();
    let data = &record[2 + u16::from_be_bytes([record[0], record[1]]) as usize..];
    (
        u16::from_be_bytes([data[56], data[57]]),
        data[52..56].try_into().unwrap(),
    )
}

#[test]
fn layout_is_read_by_ds_store_7zip_dmg2img_and_hfsplus() {
    let dir = tempfile::tempdir().unwrap();
    let dmg = dir.path().join("Demo.dmg");
    let layout = layout();
    write_dmg("Demo", &app(), &layout_options(layout.clone()), &dmg).unwrap();

    // 7-Zip lists the layout's files on the volume.
    let items = seven_zip_list(&dmg);
    for path in [
        "Demo/.background/background.png",
        "Demo/.DS_Store",
        "Demo/.VolumeIcon.icns",
    ] {
        assert!(items.contains_key(path), "no {path} in {:#?}", items.keys());
    }
    assert_eq!(
        items["Demo/.background/background.png"]["Size"],
        layout.background_png.as_ref().unwrap().len().to_string()
    );

    // dmg2img converts it; the hfsplus crate reads the raw volume.
    let img = dir.path().join("Demo.img");
    let log = run(command("dmg2img").arg(&dmg).arg(&img), DMG2IMG);
    assert!(!log.contains("rror"), "{log}");
    let raw = fs::read(&img).unwrap();
    let mut reader = hfsplus::HfsVolume::open(std::io::Cursor::new(&raw)).unwrap();
    assert!(reader.read_file("/.background/background.png").unwrap() == *layout.background_png.as_ref().unwrap());
    assert!(reader.read_file("/.VolumeIcon.icns").unwrap() == icns());
    assert_eq!(reader.read_file("/Applications").unwrap(), b"/Applications");
    let root = reader.list_directory("/").unwrap();
    let cnid = |entries: &[hfsplus::DirEntry], name: &str| {
        entries
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .cnid
    };
    let background_dir = cnid(&root, ".background");
    let background = cnid(&reader.list_directory("/.background").unwrap(), "background.png");
    let ds_store_file = dir.path().join("DS_Store");
    fs::write(&ds_store_file, reader.read_file("/.DS_Store").unwrap()).unwrap();

    // Finder flags: invisible layout files, the root's custom icon.
    assert_eq!(finder_flags(&raw, 1, "Demo").0, 0x0400, "root: kHasCustomIcon");
    assert_eq!(finder_flags(&raw, 2, ".DS_Store").0, 0x4000);
    assert_eq!(finder_flags(&raw, 2, ".background").0, 0x4000);
    assert_eq!(finder_flags(&raw, 2, ".VolumeIcon.icns"), (0x4000, *b"icnC"));
    assert_eq!(finder_flags(&raw, 2, "Demo.app").0, 0);

    // The ds_store package reads back every record we wrote.
    let dump = dump_ds_store(&ds_store_file);
    let records = dump["records"].as_array().unwrap();
    let keys: Vec<String> = records
        .iter()
        .map(|r| {
            let r = r.as_dictionary().unwrap();
            format!("{} {}", r["name"].as_string().unwrap(), r["code"].as_string().unwrap())
        })
        .collect();
    assert_eq!(
        keys,
        [
            ". bwsp",
            ". icvp",
            ". vSrn",
            ". vstl",
            "Applications Iloc",
            "Demo.app Iloc"
        ]
    );
    let record = |name: &str, code: &str| {
        records
            .iter()
            .map(|r| r.as_dictionary().unwrap())
            .find(|r| r["name"].as_string() == Some(name) && r["code"].as_string() == Some(code))
            .unwrap()
    };
    let iloc = |name: &str| -> Vec<i64> {
        record(name, "Iloc")["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(int)
            .collect()
    };
    assert_eq!(iloc("Demo.app"), [150, 190]);
    assert_eq!(iloc("Applications"), [450, 190]);
    assert_eq!(int(&record(".", "vSrn")["value"]), 1);
    assert_eq!(record(".", "vstl")["value"].as_data(), Some(&b"icnv"[..]));

    let window = record(".", "bwsp")["value"].as_dictionary().unwrap();
    assert_eq!(
        window["WindowBounds"].as_string(),
        Some("{{100, 100}, {600, 400}}"),
        "size of the PNG"
    );
    for key in ["ShowToolbar", "ShowStatusBar", "ShowSidebar", "ShowPathbar"] {
        assert_eq!(window[key].as_boolean(), Some(false), "{key}");
    }

    let view = record(".", "icvp")["value"].as_dictionary().unwrap();
    assert_eq!(view["iconSize"].as_real(), Some(128.0));
    assert_eq!(view["textSize"].as_real(), Some(12.0));
    assert_eq!(view["arrangeBy"].as_string(), Some("none"));
    assert_eq!(view["labelOnBottom"].as_boolean(), Some(true));
    assert_eq!(int(&view["backgroundType"]), 2);
    let alias = view["backgroundImageAlias"].as_dictionary().unwrap()["decoded"]
        .as_dictionary()
        .unwrap();
    let text = |key: &str| {
        alias[key]
            .as_string()
            .unwrap_or_else(|| panic!("{key}: {:?}", alias[key]))
    };
    assert_eq!(text("volume_name"), "Demo");
    assert_eq!(text("filename"), "background.png");
    assert_eq!(text("folder_name"), ".background");
    assert_eq!(text("posix_path"), "/.background/background.png");
    assert_eq!(text("volume_posix_path"), "/Volumes/Demo");
    assert_eq!(
        alias["carbon_path"].as_data(),
        Some(&b"Demo:.background:\0background.png"[..])
    );
    assert_eq!(alias["fs_type"].as_data(), Some(&b"H+"[..]));
    assert_eq!(int(&alias["kind"]), 0, "a file");
    // The node IDs the reader sees on the volume.
    assert_eq!(int(&alias["folder_cnid"]), i64::from(background_dir));
    assert_eq!(int(&alias["cnid"]), i64::from(background));
    let cnid_path: Vec<i64> = alias["cnid_path"].as_array().unwrap().iter().map(int).collect();
    assert_eq!(cnid_path, [i64::from(background_dir)]);
    // Dates: the options' timestamp.
    assert_eq!(text("volume_date"), "2023-11-14T22:13:20+00:00");
    assert_eq!(text("creation_date"), "2023-11-14T22:13:20+00:00");
    let created = reader.stat("/.background/background.png").unwrap();
    assert_eq!(created.create_date as i64, 1_700_000_000 + 2_082_844_800);

    // A single leaf: 0 levels above it.
    let superblock: Vec<i64> = dump["superblock"].as_array().unwrap().iter().map(int).collect();
    assert_eq!(superblock, [0, 6, 1]);
}

#[test]
fn catalog_node_ids_match_the_volume() {
    let m = app();
    let links = [("Applications", "/Applications")];
    let ids = catalog_node_ids(&m, &links).unwrap();
    let volume = hfs_volume("Demo", &m, &links, TIME).unwrap();
    let mut reader = hfsplus::HfsVolume::open(std::io::Cursor::new(&volume)).unwrap();
    let walked = reader.walk().unwrap();
    assert_eq!(walked.len() + 1, ids.len(), "every entry and the root");
    assert_eq!(ids[""], 2);
    for (path, id) in &ids {
        if !path.is_empty() {
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            let name = path.rsplit('/').next().unwrap().nfd().collect::<String>();
            let entries = reader.list_directory(&format!("/{parent}")).unwrap();
            let entry = entries
                .iter()
                .find(|e| e.name == name)
                .unwrap_or_else(|| panic!("{path}"));
            assert_eq!(entry.cnid, *id, "{path}");
        }
    }
}

#[test]
fn many_icon_positions_make_a_multi_level_tree_the_ds_store_package_reads() {
    let mut m = FileManifest::new();
    let names: Vec<String> = (0..300)
        .map(|i| format!("File {i:03} with a longer name.txt"))
        .collect();
    for name in &names {
        add(&mut m, name, name.as_bytes().to_vec(), false);
    }
    let layout = DmgLayout {
        window_size: Some((800, 600)),
        icon_size: 48,
        icon_positions: names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), (i as u32 % 10 * 80, i as u32 / 10 * 80)))
            .collect(),
        ..DmgLayout::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let dmg = dir.path().join("Many.dmg");
    let opts = DmgOptions {
        applications_symlink: false,
        ..layout_options(layout)
    };
    write_dmg("Many", &m, &opts, &dmg).unwrap();
    let img = dir.path().join("Many.img");
    run(command("dmg2img").arg(&dmg).arg(&img), DMG2IMG);
    let raw = fs::read(&img).unwrap();
    let mut reader = hfsplus::HfsVolume::open(std::io::Cursor::new(&raw)).unwrap();
    let file = dir.path().join("DS_Store");
    fs::write(&file, reader.read_file("/.DS_Store").unwrap()).unwrap();
    assert_eq!(
        reader.stat("/.background").ok().map(|_| ()),
        None,
        "no background asked for"
    );

    let dump = dump_ds_store(&file);
    let superblock: Vec<i64> = dump["superblock"].as_array().unwrap().iter().map(int).collect();
    assert_eq!(superblock[0], 1, "leaves and one index node: {superblock:?}");
    assert_eq!(superblock[1], 304);
    assert!(superblock[2] >= 4, "{superblock:?}");
    let records = dump["records"].as_array().unwrap();
    let got: Vec<(String, Vec<i64>)> = records
        .iter()
        .map(|r| r.as_dictionary().unwrap())
        .filter(|r| r["code"].as_string() == Some("Iloc"))
        .map(|r| {
            (
                r["name"].as_string().unwrap().to_string(),
                r["value"].as_array().unwrap().iter().map(int).collect(),
            )
        })
        .collect();
    let expected: Vec<(String, Vec<i64>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), vec![(i % 10 * 80) as i64, (i / 10 * 80) as i64]))
        .collect();
    assert_eq!(got, expected, "every record, in order");
    let view = records
        .iter()
        .map(|r| r.as_dictionary().unwrap())
        .find(|r| r["code"].as_string() == Some("icvp"))
        .unwrap()["value"]
        .as_dictionary()
        .unwrap();
    assert_eq!(int(&view["backgroundType"]), 0);
    assert_eq!(view["iconSize"].as_real(), Some(48.0));
    let window = records
        .iter()
        .map(|r| r.as_dictionary().unwrap())
        .find(|r| r["code"].as_string() == Some("bwsp"))
        .unwrap()["value"]
        .as_dictionary()
        .unwrap();
    assert_eq!(window["WindowBounds"].as_string(), Some("{{100, 100}, {800, 600}}"));
    assert_eq!(finder_flags(&raw, 1, "Many").0, 0, "no volume icon");
}

#[test]
fn building_twice_with_a_layout_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_dmg("Demo", &app(), &layout_options(layout()), &dir.path().join("a.dmg")).unwrap();
    let b = write_dmg("Demo", &app(), &layout_options(layout()), &dir.path().join("b.dmg")).unwrap();
    assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
    let plain = write_dmg("Demo", &app(), &options(), &dir.path().join("p.dmg")).unwrap();
    assert_ne!(a.sha256, plain.sha256);
    let mut moved = layout();
    moved.icon_positions.insert("Demo.app".into(), (151, 190));
    let c = write_dmg("Demo", &app(), &layout_options(moved), &dir.path().join("c.dmg")).unwrap();
    assert_ne!(a.sha256, c.sha256, "the positions are in the image");
}

#[test]
fn bad_layouts_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bad.dmg");
    let fails = |layout: DmgLayout| write_dmg("Demo", &app(), &layout_options(layout), &dest).unwrap_err();

    let err = fails(DmgLayout {
        background_png: Some(b"GIF89a....".to_vec()),
        ..layout()
    });
    assert!(matches!(err, DmgError::BackgroundNotPng { .. }), "{err}");
    assert!(err.to_string().contains("PNG signature"), "{err}");
    let mut truncated = png(10, 10);
    truncated.truncate(12);
    let err = fails(DmgLayout {
        background_png: Some(truncated),
        ..layout()
    });
    assert!(matches!(err, DmgError::BackgroundNotPng { .. }), "{err}");

    let err = fails(DmgLayout {
        volume_icon_icns: Some(png(16, 16)),
        ..layout()
    });
    assert!(matches!(err, DmgError::VolumeIconNotIcns { .. }), "{err}");
    let mut short = icns();
    short.pop();
    let err = fails(DmgLayout {
        volume_icon_icns: Some(short),
        ..layout()
    });
    assert!(err.to_string().contains("header says"), "{err}");

    for name in ["Demo.app/Contents", "Nope"] {
        let mut l = layout();
        l.icon_positions.insert(name.into(), (1, 1));
        let err = fails(l);
        assert!(matches!(err, DmgError::IconPositionNotTopLevel { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("{name:?}"))
                && err.to_string().contains("(those are: \"Applications\", \"Demo.app\")"),
            "{err}"
        );
    }
    // Without the link, "Applications" is not on the volume.
    let opts = DmgOptions {
        applications_symlink: false,
        ..layout_options(layout())
    };
    let err = write_dmg("Demo", &app(), &opts, &dest).unwrap_err();
    assert!(matches!(err, DmgError::IconPositionNotTopLevel { .. }), "{err}");

    let err = fails(DmgLayout {
        icon_size: 8,
        ..layout()
    });
    assert!(err.to_string().contains("icon size is 8; use 16 to 512"), "{err}");

    for taken in [".DS_Store", ".background/old.png", ".VolumeIcon.icns"] {
        let mut m = app();
        add(&mut m, taken, b"x".to_vec(), false);
        let err = write_dmg("Demo", &m, &layout_options(layout()), &dest).unwrap_err();
        assert!(matches!(err, DmgError::LayoutPathTaken { .. }), "{taken}: {err}");
    }
    assert!(!dest.exists(), "nothing written on failure");
}

#[test]
fn the_ds_store_package_reads_a_three_level_tree() {
    use oxdist_installers::macos::ds_store::{Record, Value, write_ds_store};
    let records: Vec<Record> = (0..2000)
        .map(|i| Record::new(&format!("item {i:04}"), b"test", Value::Blob(vec![i as u8; 250])))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("DS_Store");
    fs::write(&file, write_ds_store(records).unwrap()).unwrap();
    let dump = dump_ds_store(&file);
    let superblock: Vec<i64> = dump["superblock"].as_array().unwrap().iter().map(int).collect();
    assert_eq!(superblock[..2], [2, 2000], "two index levels: {superblock:?}");
    let names: Vec<String> = dump["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_dictionary().unwrap()["name"].as_string().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..2000).map(|i| format!("item {i:04}")).collect();
    assert_eq!(names, expected);
}
