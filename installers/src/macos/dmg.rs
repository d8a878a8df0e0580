//! DMG disk images (UDIF, compressed `UDZO`) holding one HFS+ volume
//! ([`super::hfs`]), written on any host without `hdiutil`.
//!
//! The image is what `hdiutil create -layout NONE -format UDZO` makes: no
//! partition map, the whole disk is the file system, described by one `blkx`
//! table named `whole disk (Apple_HFS : 0)`.
//!
//! # Layout of the file
//!
//! | part | content |
//! |---|---|
//! | data fork (offset 0) | the volume in chunks of 1 MiB (2048 sectors): zlib (`0x80000005`), or stored (`0x00000001`) when zlib does not make it smaller; all-zero chunks store nothing (`0x00000002`, "ignore": read as zeros) |
//! | XML property list | `resource-fork` → `blkx` → one dictionary: `Attributes` `0x0050`, `CFName` and `Name` `whole disk (Apple_HFS : 0)`, `ID` `0`, `Data` the `mish` table (big-endian) |
//! | `koly` trailer (512 bytes) | version 4, flags 1 (flattened), data fork and XML offsets and lengths, segment 1 of 1, image variant 2, sector count |
//!
//! # Checksums (all CRC-32, type 2, 32 bits)
//!
//! | where | over |
//! |---|---|
//! | `mish` table | the bytes the table's data runs produce (stored and zlib runs, in order), as `hdiutil` computes it: "ignore" runs produce nothing |
//! | `koly` data fork checksum | the data fork as stored |
//! | `koly` master checksum | the `mish` table's checksum, 4 bytes big-endian |
//!
//! The segment ID (a UUID) is derived from a SHA-256 of the data fork and the
//! property list; there is no randomness and no clock, so the same tree,
//! options and flate2 backend give byte-identical images. zlib level 9 by
//! default ([`DmgOptions::zlib_level`]): images are built once and
//! downloaded many times.
//!
//! # Window layout
//!
//! With [`DmgOptions::layout`], the volume also holds what Finder reads when
//! it opens the image's window, all invisible (Finder flag `kIsInvisible`):
//!
//! | path on the volume | content |
//! |---|---|
//! | `.DS_Store` | window bounds, icon view settings, background alias, icon positions ([`super::ds_store`]) |
//! | `.background/background.png` | the background image, when given |
//! | `.VolumeIcon.icns` | the volume's icon, when given; the root folder then has `kHasCustomIcon` |
//!
//! The background alias refers to the image by catalog node IDs, which
//! depend only on the volume's paths ([`super::hfs::catalog_node_ids`]), so
//! the `.DS_Store` is written before the volume and everything stays
//! deterministic: every date is [`DmgOptions::timestamp`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use sha2::{Digest, Sha256};

use super::ds_store::{self, DsStoreError, FileAlias, Record, Value};
use super::hfs::{
    FINDER_HAS_CUSTOM_ICON, FINDER_INVISIBLE, FinderInfo, HfsError, catalog_node_ids, hfs_date, hfs_name,
    hfs_volume_with_finder_info,
};
use crate::manifest::{FileEntry, FileManifest, ManifestEntry, ManifestPath};
use crate::output::{OutputError, Timestamp, write_atomically};

/// Sectors per chunk of the data fork (1 MiB).
const CHUNK_SECTORS: u64 = 2048;
const SECTOR: usize = 512;
const PARTITION_NAME: &str = "whole disk (Apple_HFS : 0)";
/// `mish` run types.
const RUN_RAW: u32 = 0x0000_0001;
const RUN_IGNORE: u32 = 0x0000_0002;
const RUN_ZLIB: u32 = 0x8000_0005;
const RUN_END: u32 = 0xFFFF_FFFF;
const CRC32: u32 = 2;

/// How to build a DMG.
#[derive(Clone, Debug)]
pub struct DmgOptions {
    /// Every date on the volume.
    pub timestamp: Timestamp,
    /// Adds `Applications` → `/Applications` at the top of the volume, the
    /// target users drag the app onto.
    pub applications_symlink: bool,
    /// zlib compression level of the chunks, 0–9.
    pub zlib_level: u32,
    /// How Finder shows the volume's window; `None`: Finder's defaults (no
    /// `.DS_Store`).
    pub layout: Option<DmgLayout>,
}

impl DmgOptions {
    /// The `Applications` link, zlib level 9, no window layout.
    pub fn new(timestamp: Timestamp) -> Self {
        Self {
            timestamp,
            applications_symlink: true,
            zlib_level: 9,
            layout: None,
        }
    }
}

/// The Finder window a DMG opens with: an icon view of the volume's top
/// level. Sizes and positions are in points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmgLayout {
    /// Where the window opens on the screen (Finder's `WindowBounds` origin).
    pub window_position: (u32, u32),
    /// Width and height of the window; `None`: the background image's size,
    /// or 640 × 400 without one.
    pub window_size: Option<(u32, u32)>,
    /// Icon size, 16 to 512.
    pub icon_size: u16,
    /// Label text size, 10 to 16.
    pub text_size: u16,
    /// A PNG image shown behind the icons, put at `.background/background.png`.
    pub background_png: Option<Vec<u8>>,
    /// Centre of each icon, from the window's top left, keyed by the name of
    /// an entry at the top of the volume (`Applications` included when the
    /// link is there). Entries not named are placed by Finder.
    pub icon_positions: BTreeMap<String, (u32, u32)>,
    /// An `.icns` file: the volume's icon on the desktop and in Finder's sidebar.
    pub volume_icon_icns: Option<Vec<u8>>,
}

impl Default for DmgLayout {
    /// A 640 × 400 window at (100, 100), 128-point icons, 12-point labels,
    /// no background, no positions, no volume icon.
    fn default() -> Self {
        Self {
            window_position: (100, 100),
            window_size: None,
            icon_size: 128,
            text_size: 12,
            background_png: None,
            icon_positions: BTreeMap::new(),
            volume_icon_icns: None,
        }
    }
}

/// Where the layout's files go on the volume.
const DS_STORE: &str = ".DS_Store";
const BACKGROUND_DIR: &str = ".background";
const BACKGROUND_NAME: &str = "background.png";
const BACKGROUND: &str = ".background/background.png";
const VOLUME_ICON: &str = ".VolumeIcon.icns";
/// The window size without a background image.
const DEFAULT_WINDOW: (u32, u32) = (640, 400);

/// What [`write_dmg`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmgInfo {
    pub path: PathBuf,
    /// Bytes of the image file.
    pub size: u64,
    /// Hex SHA-256 of the image file.
    pub sha256: String,
}

/// Why a DMG could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DmgError {
    #[error(
        "the tree already has an entry named \"Applications\" ({existing}), where the DMG's link to /Applications goes; rename it or turn off the Applications link"
    )]
    ApplicationsTaken { existing: String },
    #[error("zlib level {0} is out of range; use 0 to 9")]
    ZlibLevel(u32),
    #[error("cannot build the DMG's volume: {0}")]
    Hfs(#[from] HfsError),
    #[error("cannot compress the DMG: {0}")]
    Compress(io::Error),
    #[error("the DMG background image is not a PNG file: {reason}")]
    BackgroundNotPng { reason: String },
    #[error("the DMG volume icon is not an .icns file: {reason}")]
    VolumeIconNotIcns { reason: String },
    #[error(
        "the DMG layout positions {name:?}, which is not an entry at the top of the volume (those are: {top_level}); name a top-level file, directory or link"
    )]
    IconPositionNotTopLevel { name: String, top_level: String },
    #[error(
        "the tree already has {path:?} ({existing}), which the DMG window layout writes; remove it from the tree or leave the layout out"
    )]
    LayoutPathTaken { path: String, existing: String },
    #[error("the DMG layout's {what} is {value}; use {min} to {max}")]
    LayoutOutOfRange {
        what: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error("cannot write the DMG's .DS_Store: {0}")]
    DsStore(#[from] DsStoreError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Writes `dest` (atomically): a UDZO image of an HFS+ volume named
/// `volume_name` holding `tree`, plus the `Applications` link when asked.
pub fn write_dmg(
    volume_name: &str,
    tree: &FileManifest,
    options: &DmgOptions,
    dest: &Path,
) -> Result<DmgInfo, DmgError> {
    if options.zlib_level > 9 {
        return Err(DmgError::ZlibLevel(options.zlib_level));
    }
    let mut links = Vec::new();
    if options.applications_symlink {
        let name = ManifestPath::new("Applications").expect("valid path");
        if let Some(entry) = tree.get(&name) {
            let existing = match entry {
                crate::ManifestEntry::File(file) => file.origin.clone(),
                crate::ManifestEntry::Symlink { origin, .. } => origin.clone(),
            };
            return Err(DmgError::ApplicationsTaken { existing });
        }
        if tree.directories().contains("Applications") {
            return Err(DmgError::ApplicationsTaken {
                existing: "a directory".into(),
            });
        }
        links.push(("Applications", "/Applications"));
    }
    let volume = match &options.layout {
        None => hfs_volume_with_finder_info(volume_name, tree, &links, options.timestamp, &BTreeMap::new())?,
        Some(layout) => {
            let (tree, finder_info) = with_layout(volume_name, tree, &links, layout, options.timestamp)?;
            hfs_volume_with_finder_info(volume_name, &tree, &links, options.timestamp, &finder_info)?
        }
    };
    let parts = udzo(&volume, options.zlib_level).map_err(DmgError::Compress)?;

    let mut hasher = Sha256::new();
    let mut size = 0u64;
    for part in &parts {
        hasher.update(part);
        size += part.len() as u64;
    }
    write_atomically(dest, |out| {
        for part in &parts {
            out.write_all(part).map_err(|source| OutputError::Write {
                path: dest.to_path_buf(),
                source,
            })?;
        }
        Ok::<(), DmgError>(())
    })?;
    Ok(DmgInfo {
        path: dest.to_path_buf(),
        size,
        sha256: hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// `tree` plus the layout's files, and the Finder information they need.
fn with_layout(
    volume_name: &str,
    tree: &FileManifest,
    links: &[(&str, &str)],
    layout: &DmgLayout,
    timestamp: Timestamp,
) -> Result<(FileManifest, BTreeMap<String, FinderInfo>), DmgError> {
    let range = |what, value: u32, min, max| {
        if (min..=max).contains(&value) {
            Ok(())
        } else {
            Err(DmgError::LayoutOutOfRange { what, value, min, max })
        }
    };
    // Finder's own limits (View → Show View Options).
    range("icon size", layout.icon_size.into(), 16, 512)?;
    range("text size", layout.text_size.into(), 10, 16)?;
    let background_size = layout.background_png.as_deref().map(png_size).transpose()?;
    let (width, height) = layout.window_size.or(background_size).unwrap_or(DEFAULT_WINDOW);
    range("window width", width, 1, 32_767)?;
    range("window height", height, 1, 32_767)?;
    if let Some(icns) = &layout.volume_icon_icns {
        check_icns(icns)?;
    }

    // Icon positions name entries at the top of the volume.
    let mut top_level: BTreeSet<&str> = tree
        .entries()
        .map(|(path, _)| path.as_str().split('/').next().expect("a component"))
        .collect();
    top_level.extend(links.iter().map(|(path, _)| *path));
    for name in layout.icon_positions.keys() {
        if !top_level.contains(name.as_str()) {
            return Err(DmgError::IconPositionNotTopLevel {
                name: name.clone(),
                top_level: top_level
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }

    // The layout's files, none of which the tree may have.
    let mut extra: Vec<(&str, Vec<u8>, &str)> = vec![(DS_STORE, Vec::new(), "the DMG window layout")];
    if let Some(png) = &layout.background_png {
        extra.push((BACKGROUND, png.clone(), "the DMG background image"));
    }
    if let Some(icns) = &layout.volume_icon_icns {
        extra.push((VOLUME_ICON, icns.clone(), "the DMG volume icon"));
    }
    for (path, _, _) in &extra {
        let top = path.split('/').next().expect("a component");
        if top_level.contains(top) {
            let existing = match tree.get(&ManifestPath::new(top).expect("valid path")) {
                Some(ManifestEntry::File(file)) => file.origin.clone(),
                Some(ManifestEntry::Symlink { origin, .. }) => origin.clone(),
                None => "a directory".to_string(),
            };
            return Err(DmgError::LayoutPathTaken {
                path: top.to_string(),
                existing,
            });
        }
    }
    let volume_tree = |ds_store: &[u8]| -> Result<FileManifest, DmgError> {
        let mut out = tree.clone();
        for (path, bytes, origin) in &extra {
            let bytes = if *path == DS_STORE {
                ds_store.to_vec()
            } else {
                bytes.clone()
            };
            out.add_file(
                ManifestPath::new(path).expect("valid path"),
                FileEntry::from_bytes(bytes, false, *origin),
            )
            .map_err(HfsError::from)?;
        }
        Ok(out)
    };
    // Node IDs depend on the paths only: an empty .DS_Store stands in for
    // the real one, which refers to the background by its IDs.
    let ids = catalog_node_ids(&volume_tree(&[])?, links)?;

    let date = hfs_date(timestamp)?;
    let mut view = plist::Dictionary::new();
    view.insert("viewOptionsVersion".into(), 1.into());
    view.insert("arrangeBy".into(), "none".into());
    view.insert("iconSize".into(), f64::from(layout.icon_size).into());
    view.insert("textSize".into(), f64::from(layout.text_size).into());
    view.insert("labelOnBottom".into(), true.into());
    view.insert("showIconPreview".into(), false.into());
    view.insert("showItemInfo".into(), false.into());
    view.insert("gridSpacing".into(), 100.0.into());
    view.insert("gridOffsetX".into(), 0.0.into());
    view.insert("gridOffsetY".into(), 0.0.into());
    view.insert("scrollPositionX".into(), 0.0.into());
    view.insert("scrollPositionY".into(), 0.0.into());
    for channel in ["backgroundColorRed", "backgroundColorGreen", "backgroundColorBlue"] {
        view.insert(channel.into(), 1.0.into());
    }
    if layout.background_png.is_some() {
        let alias = ds_store::file_alias(&FileAlias {
            volume_name,
            volume_created: date,
            folders: &[(BACKGROUND_DIR, ids[BACKGROUND_DIR])],
            file_name: BACKGROUND_NAME,
            file_id: ids[BACKGROUND],
            file_created: date,
        });
        // 2: a picture (0 is the default white, 1 a colour).
        view.insert("backgroundType".into(), 2.into());
        view.insert("backgroundImageAlias".into(), plist::Value::Data(alias));
    } else {
        view.insert("backgroundType".into(), 0.into());
    }

    let (x, y) = layout.window_position;
    let mut window = plist::Dictionary::new();
    window.insert(
        "WindowBounds".into(),
        format!("{{{{{x}, {y}}}, {{{width}, {height}}}}}").into(),
    );
    // A bare window: the background fills it, nothing to click but icons.
    for key in [
        "ShowToolbar",
        "ShowStatusBar",
        "ShowSidebar",
        "ShowPathbar",
        "ShowTabView",
        "ContainerShowSidebar",
        "PreviewPaneVisibility",
    ] {
        window.insert(key.into(), false.into());
    }
    window.insert("SidebarWidth".into(), 0.into());

    let mut records = vec![
        Record::new(".", b"bwsp", Value::Blob(binary_plist(window))),
        Record::new(".", b"icvp", Value::Blob(binary_plist(view))),
        Record::new(".", b"vSrn", Value::Long(1)),
        Record::new(".", b"vstl", Value::Type(*b"icnv")),
    ];
    for (name, &(x, y)) in &layout.icon_positions {
        // The name as the volume stores it (decomposed), which is what
        // Finder matches records against.
        records.push(Record::icon_location(hfs_name(name), x, y));
    }
    let tree = volume_tree(&ds_store::write_ds_store(records)?)?;

    let invisible = FinderInfo {
        flags: FINDER_INVISIBLE,
        ..FinderInfo::default()
    };
    let mut finder_info = BTreeMap::from([(DS_STORE.to_string(), invisible)]);
    if layout.background_png.is_some() {
        finder_info.insert(BACKGROUND_DIR.to_string(), invisible);
    }
    if layout.volume_icon_icns.is_some() {
        // The creator code Finder gives volume icons.
        let icon = FinderInfo {
            creator: *b"icnC",
            ..invisible
        };
        finder_info.insert(VOLUME_ICON.to_string(), icon);
        finder_info.insert(
            String::new(),
            FinderInfo {
                flags: FINDER_HAS_CUSTOM_ICON,
                ..FinderInfo::default()
            },
        );
    }
    Ok((tree, finder_info))
}

fn binary_plist(dict: plist::Dictionary) -> Vec<u8> {
    let mut out = Vec::new();
    plist::Value::Dictionary(dict)
        .to_writer_binary(&mut out)
        .expect("writing to memory cannot fail");
    out
}

/// Width and height of a PNG image, from its `IHDR` chunk (which must come
/// first, right after the signature).
fn png_size(png: &[u8]) -> Result<(u32, u32), DmgError> {
    let fail = |reason: &str| DmgError::BackgroundNotPng { reason: reason.into() };
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(fail("it does not start with the PNG signature"));
    }
    let ihdr = png.get(8..24).ok_or_else(|| fail("it ends before its IHDR chunk"))?;
    if ihdr[..8] != *b"\0\0\0\x0dIHDR" {
        return Err(fail("it has no IHDR chunk after the signature"));
    }
    let width = u32::from_be_bytes(ihdr[8..12].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(ihdr[12..16].try_into().expect("4 bytes"));
    if width == 0 || height == 0 {
        return Err(fail("its width or height is 0"));
    }
    Ok((width, height))
}

/// An `.icns` file starts with `icns` and its own length.
fn check_icns(icns: &[u8]) -> Result<(), DmgError> {
    let fail = |reason: String| DmgError::VolumeIconNotIcns { reason };
    if icns.len() < 8 || &icns[..4] != b"icns" {
        return Err(fail("it does not start with \"icns\"".into()));
    }
    let declared = u32::from_be_bytes(icns[4..8].try_into().expect("4 bytes"));
    if declared as usize != icns.len() {
        return Err(fail(format!(
            "its header says {declared} bytes, the file has {}",
            icns.len()
        )));
    }
    Ok(())
}

/// A UDZO image of `disk` (a whole-disk HFS+ volume, a multiple of 512
/// bytes): data fork, property list and `koly` trailer, in file order.
pub fn udzo(disk: &[u8], zlib_level: u32) -> io::Result<[Vec<u8>; 3]> {
    assert_eq!(disk.len() % SECTOR, 0, "a disk is whole sectors");
    let sectors = (disk.len() / SECTOR) as u64;
    let mut fork = Vec::new();
    let mut runs = Vec::new();
    let mut produced = crc32fast::Hasher::new();
    let chunk_bytes = CHUNK_SECTORS as usize * SECTOR;
    for (i, chunk) in disk.chunks(chunk_bytes).enumerate() {
        let sector = i as u64 * CHUNK_SECTORS;
        let count = (chunk.len() / SECTOR) as u64;
        let offset = fork.len() as u64;
        if chunk.iter().all(|&b| b == 0) {
            runs.push((RUN_IGNORE, sector, count, offset, 0));
            continue;
        }
        produced.update(chunk);
        let mut encoder = ZlibEncoder::new(Vec::with_capacity(chunk.len() / 2), Compression::new(zlib_level));
        encoder.write_all(chunk)?;
        let compressed = encoder.finish()?;
        if compressed.len() < chunk.len() {
            fork.extend_from_slice(&compressed);
            runs.push((RUN_ZLIB, sector, count, offset, compressed.len() as u64));
        } else {
            fork.extend_from_slice(chunk);
            runs.push((RUN_RAW, sector, count, offset, chunk.len() as u64));
        }
    }
    runs.push((RUN_END, sectors, 0, fork.len() as u64, 0));
    let table_crc = produced.finalize();

    let mut table = Vec::with_capacity(204 + 40 * runs.len());
    table.extend_from_slice(b"mish");
    table.extend_from_slice(&1u32.to_be_bytes()); // version
    table.extend_from_slice(&0u64.to_be_bytes()); // first sector
    table.extend_from_slice(&sectors.to_be_bytes());
    table.extend_from_slice(&0u64.to_be_bytes()); // data offset
    table.extend_from_slice(&(CHUNK_SECTORS as u32 + 8).to_be_bytes()); // buffers needed
    table.extend_from_slice(&0xFFFF_FFFEu32.to_be_bytes()); // block descriptors: whole disk
    table.extend_from_slice(&[0; 24]); // reserved
    table.extend_from_slice(&checksum(table_crc));
    table.extend_from_slice(&(runs.len() as u32).to_be_bytes());
    for (kind, sector, count, offset, length) in runs {
        table.extend_from_slice(&kind.to_be_bytes());
        table.extend_from_slice(&0u32.to_be_bytes()); // comment
        for v in [sector, count, offset, length] {
            table.extend_from_slice(&v.to_be_bytes());
        }
    }

    let plist = plist(&table);
    let data_crc = crc32fast::hash(&fork);
    let master_crc = crc32fast::hash(&table_crc.to_be_bytes());
    let digest = Sha256::new()
        .chain_update(&fork)
        .chain_update(plist.as_bytes())
        .finalize();
    let mut segment_id: [u8; 16] = digest[..16].try_into().expect("16 bytes");
    segment_id[6] = (segment_id[6] & 0x0F) | 0x50; // UUID version 5 layout
    segment_id[8] = (segment_id[8] & 0x3F) | 0x80;

    let mut koly = Vec::with_capacity(512);
    koly.extend_from_slice(b"koly");
    koly.extend_from_slice(&4u32.to_be_bytes()); // version
    koly.extend_from_slice(&512u32.to_be_bytes()); // header size
    koly.extend_from_slice(&1u32.to_be_bytes()); // flags: flattened
    koly.extend_from_slice(&0u64.to_be_bytes()); // running data fork offset
    koly.extend_from_slice(&0u64.to_be_bytes()); // data fork offset
    koly.extend_from_slice(&(fork.len() as u64).to_be_bytes());
    koly.extend_from_slice(&0u64.to_be_bytes()); // resource fork offset
    koly.extend_from_slice(&0u64.to_be_bytes()); // resource fork length
    koly.extend_from_slice(&1u32.to_be_bytes()); // segment number
    koly.extend_from_slice(&1u32.to_be_bytes()); // segment count
    koly.extend_from_slice(&segment_id);
    koly.extend_from_slice(&checksum(data_crc));
    koly.extend_from_slice(&(fork.len() as u64).to_be_bytes()); // XML offset
    koly.extend_from_slice(&(plist.len() as u64).to_be_bytes());
    koly.extend_from_slice(&[0; 120]); // reserved
    koly.extend_from_slice(&checksum(master_crc));
    koly.extend_from_slice(&2u32.to_be_bytes()); // image variant
    koly.extend_from_slice(&sectors.to_be_bytes());
    koly.resize(512, 0);
    Ok([fork, plist.into_bytes(), koly])
}

/// UDIFChecksum: type, size in bits, 32 words.
fn checksum(crc: u32) -> [u8; 136] {
    let mut out = [0u8; 136];
    out[..4].copy_from_slice(&CRC32.to_be_bytes());
    out[4..8].copy_from_slice(&32u32.to_be_bytes());
    out[8..12].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The resource-fork property list, laid out as `hdiutil` writes it (keys
/// sorted, base64 in lines of 52 characters).
fn plist(table: &[u8]) -> String {
    let mut data = String::new();
    for line in base64(table).as_bytes().chunks(52) {
        let _ = writeln!(data, "\t\t\t\t{}", std::str::from_utf8(line).expect("ASCII"));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>resource-fork</key>
	<dict>
		<key>blkx</key>
		<array>
			<dict>
				<key>Attributes</key>
				<string>0x0050</string>
				<key>CFName</key>
				<string>{PARTITION_NAME}</string>
				<key>Data</key>
				<data>
{data}				</data>
				<key>ID</key>
				<string>0</string>
				<key>Name</key>
				<string>{PARTITION_NAME}</string>
			</dict>
		</array>
	</dict>
</dict>
</plist>
"#
    )
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn trailer_layout() {
        let mut disk = vec![0u8; 3 << 20];
        disk[1 << 20] = 1;
        let [fork, plist, koly] = udzo(&disk, 9).unwrap();
        assert_eq!(koly.len(), 512);
        assert_eq!(&koly[..4], b"koly");
        assert_eq!(
            u64::from_be_bytes(koly[224..232].try_into().unwrap()),
            plist.len() as u64
        );
        assert_eq!(
            u64::from_be_bytes(koly[216..224].try_into().unwrap()),
            fork.len() as u64
        );
        assert_eq!(u64::from_be_bytes(koly[492..500].try_into().unwrap()), 3 * 2048);
    }
}
