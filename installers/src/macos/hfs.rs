//! HFS+ volumes (the HFSX variant), written in memory on any host: what a
//! DMG ([`super::dmg`]) holds. Unlike FAT, HFS+ keeps the executable bit and
//! symbolic links (the `Applications` → `/Applications` link of a drag-install
//! image).
//!
//! The writer follows Apple's Technical Note TN1150 ("HFS Plus Volume
//! Format"). [`hfs_volume`] returns the whole volume as bytes: the caller
//! compresses it anyway, and the apps we package are tens to hundreds of
//! megabytes, so memory is the simple choice (the volume is the tree's size
//! plus about 1 %).
//!
//! # Layout
//!
//! | allocation blocks (4096 bytes) | content |
//! |---|---|
//! | 0 | boot blocks (zero), volume header at byte 1024 |
//! | 1 … | allocation file: one bit per block, most significant bit first |
//! | next | extents overflow B-tree: its header node only (every fork is one extent) |
//! | next | catalog B-tree: header node, leaf nodes, index nodes (nodes of 4096 bytes) |
//! | next | data forks, one contiguous extent per file in catalog node ID order |
//! | … | free space: 1/64 of the used blocks plus 16, the total rounded up to 1 MiB |
//! | last | alternate volume header at 1024 bytes before the end |
//!
//! No journal, no attributes B-tree (no extended attributes), no startup
//! file, no resource forks, no hard links.
//!
//! # What goes where
//!
//! | field | value |
//! |---|---|
//! | volume signature, version | `HX`, 5 (HFSX) |
//! | catalog `keyCompareType` | `0xBC` (kHFSBinaryCompare): names are ordered by their UTF-16 code units, so names are case-sensitive and no case-folding table is needed |
//! | names | Unicode decomposed (NFD, as HFS+ stores them; characters in U+2000–U+2FFF, U+F900–U+FAFF and U+2F800–U+2FAFF are kept as Apple's decomposition leaves them), UTF-16, at most 255 units; `:` is refused (the HFS path separator) |
//! | volume header attributes | `kHFSVolumeUnmountedMask` (cleanly unmounted) |
//! | `lastMountedVersion` | `10.0` (not journaled, written by "Mac OS X") |
//! | dates (volume, files, folders) | the [`Timestamp`] in seconds since 1904-01-01 (the volume's create date too, which TN1150 says is local time) |
//! | owner, group | 0, 0 (root, wheel); macOS ignores ownership on disk images it mounts, and a drag-copy belongs to the user who copies |
//! | modes | folders `040755`, executables `0100755`, other files `0100644`, symbolic links `0120755` |
//! | symbolic links | file records with type `slnk`, creator `rhap`, the target (UTF-8) as data fork |
//! | catalog node IDs | 2 for the root folder, then 16, 17, … in path order |
//! | Finder info of the volume | zero except the 64-bit volume identifier (words 6 and 7): the first 8 bytes of a SHA-256 of the volume, so the same tree gives the same bytes |
//! | Finder info of files and folders | zero, except what [`hfs_volume_with_finder_info`] is given: Finder flags (`kIsInvisible`, `kHasCustomIcon`, …) and, for files, type and creator codes |
//!
//! Everything is deterministic: the same tree, links, name and timestamp give
//! byte-identical volumes.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::manifest::{FileEntry, FileManifest, ManifestEntry, ManifestError, ManifestPath};
use crate::output::Timestamp;

/// Allocation block size in bytes.
pub const BLOCK_SIZE: u32 = 4096;
/// B-tree node size (catalog and extents overflow files).
const NODE_SIZE: usize = 4096;
/// Seconds from 1904-01-01 (HFS epoch) to 1970-01-01 (Unix epoch).
const HFS_EPOCH_OFFSET: u64 = 2_082_844_800;
/// Catalog node IDs of TN1150.
const ROOT_PARENT_ID: u32 = 1;
const ROOT_FOLDER_ID: u32 = 2;
const FIRST_USER_ID: u32 = 16;
/// Catalog record types.
const FOLDER_RECORD: u16 = 1;
const FILE_RECORD: u16 = 2;
const FOLDER_THREAD_RECORD: u16 = 3;
const FILE_THREAD_RECORD: u16 = 4;
/// Most UTF-16 units in a name (HFSUniStr255).
const MAX_NAME_UNITS: usize = 255;
/// Most bytes of a symbolic link target (PATH_MAX on macOS, less the NUL).
const MAX_LINK_TARGET: usize = 1023;

/// Finder flag `kIsInvisible`: Finder does not show the item (names starting
/// with `.` are hidden anyway; the flag also hides them from Finder users who
/// show dot files).
pub const FINDER_INVISIBLE: u16 = 0x4000;
/// Finder flag `kHasCustomIcon`: on the root folder, Finder shows the
/// volume's `.VolumeIcon.icns` instead of the generic disk icon.
pub const FINDER_HAS_CUSTOM_ICON: u16 = 0x0400;

/// The classic Finder information of one file or folder (TN1150 `FileInfo`
/// and `FolderInfo`): what `SetFile` changes on a Mac.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FinderInfo {
    /// Finder flags, e.g. [`FINDER_INVISIBLE`] | [`FINDER_HAS_CUSTOM_ICON`].
    pub flags: u16,
    /// Four-character file type; files only (folders have none).
    pub file_type: [u8; 4],
    /// Four-character creator code; files only.
    pub creator: [u8; 4],
}

/// Why a volume could not be written; every variant names the entry.
#[derive(Debug, thiserror::Error)]
pub enum HfsError {
    #[error(
        "cannot put {path:?} on an HFS+ volume: its name contains ':', the HFS path separator (Finder shows it as '/'); rename it"
    )]
    Colon { path: String },
    #[error(
        "cannot put {path:?} on an HFS+ volume: its name is {units} UTF-16 code units once decomposed (NFD), more than the 255 HFS+ allows; shorten it"
    )]
    NameTooLong { path: String, units: usize },
    #[error("invalid HFS+ volume name {name:?}: {reason}")]
    VolumeName { name: String, reason: &'static str },
    #[error("{path:?} and {other:?} have the same name on an HFS+ volume once decomposed (NFD); rename one of them")]
    SameName { path: String, other: String },
    #[error(
        "cannot add the symbolic link {path:?} → {target:?}: {path:?} is already in the tree ({existing}); remove it from the tree or do not ask for the link"
    )]
    LinkTaken {
        path: String,
        target: String,
        existing: String,
    },
    #[error("invalid symbolic link {path:?} → {target:?}: {reason}")]
    InvalidLink {
        path: String,
        target: String,
        reason: String,
    },
    #[error(
        "timestamp {0} (seconds since 1970) is after 2040-02-06, the last date HFS+ can hold; set SOURCE_DATE_EPOCH to an earlier time"
    )]
    Timestamp(u64),
    #[error("{path:?} changed while the volume was written: it was {expected} bytes, now {actual}")]
    FileChanged { path: String, expected: u64, actual: u64 },
    #[error("the HFS+ volume would be too large: {0}")]
    TooLarge(String),
    #[error("cannot set Finder information of {path:?}: there is no such entry on the volume")]
    FinderInfoTarget { path: String },
    #[error("cannot set a file type or creator on the folder {path:?}: HFS+ folders have none")]
    FolderTypeCode { path: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// One node of the volume's tree.
enum Kind<'a> {
    Folder { valence: u32 },
    File(&'a FileEntry),
    Link(&'a str),
}

struct Node<'a> {
    /// Path in the tree, for error messages ("" for the root).
    path: String,
    cnid: u32,
    parent: u32,
    /// Decomposed UTF-16 name.
    name: Vec<u16>,
    kind: Kind<'a>,
    /// Data fork: logical size, first block, block count.
    size: u64,
    start_block: u32,
    blocks: u32,
    finder: FinderInfo,
}

/// Writes an HFSX volume named `volume_name` holding `tree` plus
/// `extra_symlinks` (`(path, target)` pairs whose target may be absolute,
/// such as `("Applications", "/Applications")`), every date set to
/// `timestamp`. See the module documentation for the layout.
pub fn hfs_volume(
    volume_name: &str,
    tree: &FileManifest,
    extra_symlinks: &[(&str, &str)],
    timestamp: Timestamp,
) -> Result<Vec<u8>, HfsError> {
    hfs_volume_with_finder_info(volume_name, tree, extra_symlinks, timestamp, &BTreeMap::new())
}

/// The catalog node IDs [`hfs_volume`] gives the paths of `tree` plus
/// `extra_symlinks`, keyed by path (`""` is the root folder, ID 2).
///
/// IDs follow path order, so they depend only on the set of paths, never on
/// file contents: a caller can learn the ID of a file before writing a file
/// that refers to it (the DMG's `.DS_Store` holds an alias to its background
/// image), as long as the set of paths stays the same.
pub fn catalog_node_ids(
    tree: &FileManifest,
    extra_symlinks: &[(&str, &str)],
) -> Result<BTreeMap<String, u32>, HfsError> {
    let items = volume_items(tree, extra_symlinks)?;
    let mut ids = BTreeMap::from([(String::new(), ROOT_FOLDER_ID)]);
    // Same numbering as the node loop of `hfs_volume_with_finder_info`.
    for (id, path) in (FIRST_USER_ID..).zip(items.into_keys()) {
        ids.insert(path, id);
    }
    Ok(ids)
}

/// [`hfs_volume`], with Finder information for some of the volume's paths
/// (`""` for the root folder); every other entry gets zeros.
pub fn hfs_volume_with_finder_info(
    volume_name: &str,
    tree: &FileManifest,
    extra_symlinks: &[(&str, &str)],
    timestamp: Timestamp,
    finder_info: &BTreeMap<String, FinderInfo>,
) -> Result<Vec<u8>, HfsError> {
    let date = hfs_date(timestamp)?;
    let volume_units = check_volume_name(volume_name)?;
    let items = volume_items(tree, extra_symlinks)?;
    for (path, info) in finder_info {
        match items.get(path.as_str()) {
            None if !path.is_empty() => return Err(HfsError::FinderInfoTarget { path: path.clone() }),
            None | Some(Kind::Folder { .. }) if info.file_type != [0; 4] || info.creator != [0; 4] => {
                return Err(HfsError::FolderTypeCode { path: path.clone() });
            }
            _ => {}
        }
    }
    let finder = |path: &str| finder_info.get(path).copied().unwrap_or_default();

    // Nodes in path order: parents come before their children.
    let mut nodes = vec![Node {
        path: String::new(),
        cnid: ROOT_FOLDER_ID,
        parent: ROOT_PARENT_ID,
        name: volume_units,
        kind: Kind::Folder { valence: 0 },
        size: 0,
        start_block: 0,
        blocks: 0,
        finder: finder(""),
    }];
    let mut index_of: HashMap<String, usize> = HashMap::from([(String::new(), 0)]);
    let mut names_seen: HashMap<(u32, Vec<u16>), String> = HashMap::new();
    let mut next_cnid = FIRST_USER_ID;
    for (path, kind) in items {
        let (parent_path, file_name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if file_name.contains(':') {
            return Err(HfsError::Colon { path });
        }
        let name = hfs_name(file_name);
        if name.len() > MAX_NAME_UNITS {
            return Err(HfsError::NameTooLong {
                path,
                units: name.len(),
            });
        }
        let parent_index = index_of[parent_path];
        let parent = nodes[parent_index].cnid;
        if let Kind::Folder { valence } = &mut nodes[parent_index].kind {
            *valence += 1;
        }
        if let Some(other) = names_seen.insert((parent, name.clone()), path.clone()) {
            return Err(HfsError::SameName { path, other });
        }
        let size = match &kind {
            Kind::Folder { .. } => 0,
            Kind::File(file) => file.data.len()?,
            Kind::Link(target) => {
                if target.len() > MAX_LINK_TARGET {
                    return Err(HfsError::InvalidLink {
                        path,
                        target: target.to_string(),
                        reason: format!("the target is longer than {MAX_LINK_TARGET} bytes"),
                    });
                }
                target.len() as u64
            }
        };
        let blocks = u32::try_from(size.div_ceil(u64::from(BLOCK_SIZE)))
            .map_err(|_| HfsError::TooLarge(format!("{path:?} is {size} bytes")))?;
        index_of.insert(path.clone(), nodes.len());
        let info = finder(&path);
        nodes.push(Node {
            path,
            cnid: next_cnid,
            parent,
            name,
            kind,
            size,
            start_block: 0,
            blocks,
            finder: info,
        });
        next_cnid = next_cnid
            .checked_add(1)
            .ok_or_else(|| HfsError::TooLarge("too many entries".into()))?;
    }

    // Catalog size does not depend on where data goes (records have fixed
    // sizes), so count its nodes first, then lay out the volume.
    let catalog_nodes = build_catalog(&nodes, date)?.len() as u32;
    let data_blocks: u64 = nodes.iter().map(|n| u64::from(n.blocks)).sum();
    // Block 0, extents overflow file, catalog, data, last block.
    let fixed = 1 + 1 + u64::from(catalog_nodes) + data_blocks + 1;
    let bits_per_block = u64::from(BLOCK_SIZE) * 8;
    let mut bitmap_blocks = 1u64;
    let total_blocks = loop {
        let used = fixed + bitmap_blocks;
        let total = (used + used / 64 + 16).next_multiple_of(256);
        let needed = total.div_ceil(bits_per_block);
        if needed <= bitmap_blocks {
            break total;
        }
        bitmap_blocks = needed;
    };
    let total_blocks = u32::try_from(total_blocks)
        .map_err(|_| HfsError::TooLarge(format!("{total_blocks} blocks of {BLOCK_SIZE} bytes")))?;
    let bitmap_blocks = bitmap_blocks as u32;
    let extents_start = 1 + bitmap_blocks;
    let catalog_start = extents_start + 1;
    let mut next_block = catalog_start + catalog_nodes;
    for node in &mut nodes {
        if node.blocks > 0 {
            node.start_block = next_block;
            next_block += node.blocks;
        }
    }
    let used_end = next_block;

    let block = BLOCK_SIZE as usize;
    let mut volume = vec![0u8; total_blocks as usize * block];

    // Allocation bitmap.
    let mut allocated = 0u32;
    {
        let bitmap = &mut volume[block..(1 + bitmap_blocks as usize) * block];
        let mut mark = |b: u32| {
            bitmap[b as usize / 8] |= 0x80 >> (b % 8);
            allocated += 1;
        };
        (0..used_end).for_each(&mut mark);
        mark(total_blocks - 1);
    }

    // Extents overflow B-tree: a header node, no records.
    let extents_header = header_node(BTreeHeader {
        depth: 0,
        root: 0,
        leaf_records: 0,
        first_leaf: 0,
        last_leaf: 0,
        max_key_length: 10,
        total_nodes: 1,
        compare_type: 0,
        attributes: BIG_KEYS,
    })?;
    let at = extents_start as usize * block;
    volume[at..at + NODE_SIZE].copy_from_slice(&extents_header);

    // Catalog B-tree.
    let catalog = build_catalog(&nodes, date)?;
    debug_assert_eq!(catalog.len() as u32, catalog_nodes);
    for (i, node) in catalog.iter().enumerate() {
        let at = (catalog_start as usize + i) * block;
        volume[at..at + NODE_SIZE].copy_from_slice(node);
    }

    // Data forks.
    let mut file_count = 0u32;
    let mut folder_count = 0u32;
    for node in &nodes[1..] {
        let at = node.start_block as usize * block;
        match &node.kind {
            Kind::Folder { .. } => folder_count += 1,
            Kind::File(file) => {
                file_count += 1;
                let bytes = file.data.read()?;
                if bytes.len() as u64 != node.size {
                    return Err(HfsError::FileChanged {
                        path: node.path.clone(),
                        expected: node.size,
                        actual: bytes.len() as u64,
                    });
                }
                volume[at..at + bytes.len()].copy_from_slice(&bytes);
            }
            Kind::Link(target) => {
                file_count += 1;
                volume[at..at + target.len()].copy_from_slice(target.as_bytes());
            }
        }
    }

    // Volume header, with the identifier derived from everything else.
    let volume_id: [u8; 8] = Sha256::digest(&volume)[..8].try_into().expect("8 bytes");
    let mut header = Vec::with_capacity(512);
    put16(&mut header, u16::from_be_bytes(*b"HX"));
    put16(&mut header, 5); // version (HFSX)
    put32(&mut header, 1 << 8); // kHFSVolumeUnmountedMask
    put32(&mut header, u32::from_be_bytes(*b"10.0")); // lastMountedVersion
    put32(&mut header, 0); // journalInfoBlock
    for d in [date, date, 0, date] {
        put32(&mut header, d); // create, modify, backup, checked
    }
    put32(&mut header, file_count);
    put32(&mut header, folder_count);
    put32(&mut header, BLOCK_SIZE);
    put32(&mut header, total_blocks);
    put32(&mut header, total_blocks - allocated); // freeBlocks
    put32(&mut header, used_end); // nextAllocation
    put32(&mut header, 65_536); // rsrcClumpSize
    put32(&mut header, 65_536); // dataClumpSize
    put32(&mut header, next_cnid); // nextCatalogID
    put32(&mut header, 0); // writeCount
    put64(&mut header, 1); // encodingsBitmap: MacRoman
    header.extend_from_slice(&[0; 24]); // finderInfo[0..6]
    header.extend_from_slice(&volume_id); // finderInfo[6..8]
    let special =
        |start: u32, blocks: u32| fork_data(u64::from(blocks) * u64::from(BLOCK_SIZE), BLOCK_SIZE, start, blocks);
    header.extend_from_slice(&special(1, bitmap_blocks)); // allocation file
    header.extend_from_slice(&special(extents_start, 1)); // extents overflow file
    header.extend_from_slice(&special(catalog_start, catalog_nodes)); // catalog file
    header.extend_from_slice(&[0; 80]); // attributes file
    header.extend_from_slice(&[0; 80]); // startup file
    debug_assert_eq!(header.len(), 512);
    volume[1024..1536].copy_from_slice(&header);
    let alternate = volume.len() - 1024;
    volume[alternate..alternate + 512].copy_from_slice(&header);
    Ok(volume)
}

/// Every path of the volume with what it is, in path order (the order of
/// catalog node IDs); directories are implied by their contents.
fn volume_items<'a>(
    tree: &'a FileManifest,
    extra_symlinks: &[(&str, &'a str)],
) -> Result<BTreeMap<String, Kind<'a>>, HfsError> {
    let mut items: BTreeMap<String, Kind<'_>> = BTreeMap::new();
    for dir in tree.directories() {
        items.insert(dir, Kind::Folder { valence: 0 });
    }
    for (path, entry) in tree.entries() {
        let kind = match entry {
            ManifestEntry::File(file) => Kind::File(file),
            ManifestEntry::Symlink { target, .. } => Kind::Link(target),
        };
        items.insert(path.to_string(), kind);
    }
    for &(path, target) in extra_symlinks {
        let invalid = |reason: String| HfsError::InvalidLink {
            path: path.to_string(),
            target: target.to_string(),
            reason,
        };
        let valid = ManifestPath::new(path).map_err(|e| invalid(e.to_string()))?;
        if target.is_empty() || target.contains('\0') || target.len() > MAX_LINK_TARGET {
            return Err(invalid(format!(
                "the target must be 1 to {MAX_LINK_TARGET} bytes without NUL"
            )));
        }
        if let Some(existing) = items.get(valid.as_str()) {
            let existing = match (existing, tree.get(&valid)) {
                (_, Some(ManifestEntry::File(file))) => file.origin.clone(),
                (_, Some(ManifestEntry::Symlink { origin, .. })) => origin.clone(),
                (Kind::Folder { .. }, None) => "a directory".to_string(),
                _ => "another extra symbolic link".to_string(),
            };
            return Err(HfsError::LinkTaken {
                path: valid.to_string(),
                target: target.to_string(),
                existing,
            });
        }
        for ancestor in valid.ancestors() {
            match items.get(ancestor) {
                Some(Kind::Folder { .. }) | None => {}
                Some(_) => return Err(invalid(format!("{ancestor:?} is a file, not a directory"))),
            }
        }
        for ancestor in valid.ancestors() {
            items.entry(ancestor.to_string()).or_insert(Kind::Folder { valence: 0 });
        }
        items.insert(valid.to_string(), Kind::Link(target));
    }

    Ok(items)
}

/// Seconds since 1904-01-01 (GMT).
pub(crate) fn hfs_date(timestamp: Timestamp) -> Result<u32, HfsError> {
    u32::try_from(timestamp.0 + HFS_EPOCH_OFFSET).map_err(|_| HfsError::Timestamp(timestamp.0))
}

fn check_volume_name(name: &str) -> Result<Vec<u16>, HfsError> {
    let invalid = |reason| HfsError::VolumeName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.contains(':') || name.contains('\0') {
        return Err(invalid("':' (the HFS path separator) and NUL are not allowed"));
    }
    let units = hfs_name(name);
    if units.len() > MAX_NAME_UNITS {
        return Err(invalid("it is longer than 255 UTF-16 code units once decomposed (NFD)"));
    }
    Ok(units)
}

/// A name as HFS+ stores it: canonically decomposed, UTF-16. Apple's
/// decomposition leaves the characters of U+2000–U+2FFF, U+F900–U+FAFF and
/// U+2F800–U+2FAFF alone (TN1150, "Unicode Subtleties").
pub(crate) fn hfs_name(name: &str) -> Vec<u16> {
    let kept = |c: char| matches!(u32::from(c), 0x2000..=0x2FFF | 0xF900..=0xFAFF | 0x2F800..=0x2FAFF);
    let mut out = String::with_capacity(name.len());
    let mut run = String::new();
    for c in name.chars() {
        if kept(c) {
            out.extend(run.nfd());
            run.clear();
            out.push(c);
        } else {
            run.push(c);
        }
    }
    out.extend(run.nfd());
    out.encode_utf16().collect()
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// HFSPlusForkData: one extent (or none), 80 bytes.
fn fork_data(logical_size: u64, clump_size: u32, start: u32, blocks: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(80);
    put64(&mut out, logical_size);
    put32(&mut out, clump_size);
    put32(&mut out, blocks); // totalBlocks
    if blocks > 0 {
        put32(&mut out, start);
        put32(&mut out, blocks);
    } else {
        put64(&mut out, 0);
    }
    out.resize(80, 0);
    out
}

/// HFSPlusCatalogKey with its keyLength.
fn catalog_key(parent: u32, name: &[u16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + 2 * name.len());
    put16(&mut key, (6 + 2 * name.len()) as u16);
    put32(&mut key, parent);
    put16(&mut key, name.len() as u16);
    for &unit in name {
        put16(&mut key, unit);
    }
    key
}

/// HFSPlusBSDInfo: owner, group, flags, mode, special.
fn bsd_info(out: &mut Vec<u8>, mode: u16) {
    put32(out, 0); // ownerID
    put32(out, 0); // groupID
    out.push(0); // adminFlags
    out.push(0); // ownerFlags
    put16(out, mode);
    put32(out, 0); // special
}

/// Parent ID and name: what kHFSBinaryCompare orders catalog keys by.
type SortKey<'a> = (u32, &'a [u16]);

/// The catalog's leaf records, `(key, record)`, sorted as the B-tree orders them.
fn catalog_records(nodes: &[Node<'_>], date: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut records: Vec<(SortKey<'_>, Vec<u8>, Vec<u8>)> = Vec::with_capacity(nodes.len() * 2);
    for node in nodes {
        let mut record = Vec::with_capacity(248);
        let is_folder = matches!(node.kind, Kind::Folder { .. });
        match &node.kind {
            Kind::Folder { valence } => {
                put16(&mut record, FOLDER_RECORD);
                put16(&mut record, 0); // flags
                put32(&mut record, *valence);
                put32(&mut record, node.cnid);
                for d in [date, date, date, date, 0] {
                    put32(&mut record, d); // create, contentMod, attributeMod, access, backup
                }
                bsd_info(&mut record, 0o040755);
                record.extend_from_slice(&[0; 8]); // userInfo.frRect (window bounds)
                put16(&mut record, node.finder.flags); // userInfo.frFlags
                record.extend_from_slice(&[0; 6]); // userInfo.frLocation, frView
                record.extend_from_slice(&[0; 16]); // finderInfo (extended)
                put32(&mut record, 0); // textEncoding
                put32(&mut record, 0); // reserved
            }
            Kind::File(_) | Kind::Link(_) => {
                let (mode, file_type, creator) = match &node.kind {
                    Kind::File(file) if file.executable => (0o100755, [0; 4], [0; 4]),
                    Kind::File(_) => (0o100644, [0; 4], [0; 4]),
                    _ => (0o120755, *b"slnk", *b"rhap"),
                };
                put16(&mut record, FILE_RECORD);
                put16(&mut record, 0x0002); // kHFSThreadExistsMask
                put32(&mut record, 0); // reserved1
                put32(&mut record, node.cnid);
                for d in [date, date, date, date, 0] {
                    put32(&mut record, d);
                }
                bsd_info(&mut record, mode);
                // A link's type and creator say what it is; others come from the caller.
                let (file_type, creator) = match &node.kind {
                    Kind::Link(_) => (file_type, creator),
                    _ => (node.finder.file_type, node.finder.creator),
                };
                record.extend_from_slice(&file_type);
                record.extend_from_slice(&creator);
                put16(&mut record, node.finder.flags); // fdFlags
                record.extend_from_slice(&[0; 6]); // fdLocation, fdFldr
                record.extend_from_slice(&[0; 16]); // extended finder info
                put32(&mut record, 0); // textEncoding
                put32(&mut record, 0); // reserved2
                record.extend_from_slice(&fork_data(node.size, 0, node.start_block, node.blocks));
                record.extend_from_slice(&[0; 80]); // resource fork
            }
        }
        records.push(((node.parent, &node.name), catalog_key(node.parent, &node.name), record));

        let mut thread = Vec::with_capacity(10 + 2 * node.name.len());
        put16(
            &mut thread,
            if is_folder {
                FOLDER_THREAD_RECORD
            } else {
                FILE_THREAD_RECORD
            },
        );
        put16(&mut thread, 0);
        put32(&mut thread, node.parent);
        put16(&mut thread, node.name.len() as u16);
        for &unit in &node.name {
            put16(&mut thread, unit);
        }
        records.push(((node.cnid, &[]), catalog_key(node.cnid, &[]), thread));
    }
    // kHFSBinaryCompare: parent ID, then the name's UTF-16 units as unsigned numbers.
    records.sort_by(|a, b| a.0.cmp(&b.0));
    records.into_iter().map(|(_, key, record)| (key, record)).collect()
}

const BIG_KEYS: u32 = 2; // kBTBigKeysMask
const VARIABLE_INDEX_KEYS: u32 = 4; // kBTVariableIndexKeysMask
const LEAF_NODE: u8 = 0xFF; // kBTLeafNode (-1)
const INDEX_NODE: u8 = 0;
const HEADER_NODE: u8 = 1;
const NODE_DESCRIPTOR: usize = 14;

struct BTreeHeader {
    depth: u16,
    root: u32,
    leaf_records: u32,
    first_leaf: u32,
    last_leaf: u32,
    max_key_length: u16,
    total_nodes: u32,
    compare_type: u8,
    attributes: u32,
}

/// A B-tree node: descriptor, records, free space, offsets from the end.
fn node(kind: u8, height: u8, forward: u32, backward: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(NODE_SIZE);
    put32(&mut out, forward);
    put32(&mut out, backward);
    out.push(kind);
    out.push(height);
    put16(&mut out, records.len() as u16);
    put16(&mut out, 0);
    let mut offsets = Vec::with_capacity(records.len() + 1);
    for record in records {
        offsets.push(out.len() as u16);
        out.extend_from_slice(record);
    }
    offsets.push(out.len() as u16); // start of free space
    assert!(out.len() + 2 * offsets.len() <= NODE_SIZE, "B-tree node overflow");
    out.resize(NODE_SIZE - 2 * offsets.len(), 0);
    for offset in offsets.iter().rev() {
        put16(&mut out, *offset);
    }
    out
}

/// Whether `records` plus one of `len` bytes fit one node.
fn fits(records: &[Vec<u8>], len: usize) -> bool {
    let used: usize = records.iter().map(Vec::len).sum();
    NODE_DESCRIPTOR + used + len + 2 * (records.len() + 2) <= NODE_SIZE
}

/// The header node (node 0): header record, user data record, map record.
fn header_node(h: BTreeHeader) -> Result<Vec<u8>, HfsError> {
    let mut header = Vec::with_capacity(106);
    put16(&mut header, h.depth);
    put32(&mut header, h.root);
    put32(&mut header, h.leaf_records);
    put32(&mut header, h.first_leaf);
    put32(&mut header, h.last_leaf);
    put16(&mut header, NODE_SIZE as u16);
    put16(&mut header, h.max_key_length);
    put32(&mut header, h.total_nodes);
    put32(&mut header, 0); // freeNodes
    put16(&mut header, 0); // reserved1
    put32(&mut header, h.total_nodes * NODE_SIZE as u32); // clumpSize
    header.push(0); // btreeType: kHFSBTreeType
    header.push(h.compare_type);
    put32(&mut header, h.attributes);
    header.resize(106, 0); // reserved3
    // Map record: the rest of the node (4 offsets at its end).
    let map_len = NODE_SIZE - NODE_DESCRIPTOR - 106 - 128 - 8;
    if h.total_nodes as usize > map_len * 8 {
        return Err(HfsError::TooLarge(format!(
            "the catalog needs {} nodes, more than the {} one header node maps",
            h.total_nodes,
            map_len * 8
        )));
    }
    let mut map = vec![0u8; map_len];
    for n in 0..h.total_nodes as usize {
        map[n / 8] |= 0x80 >> (n % 8);
    }
    Ok(node(HEADER_NODE, 0, 0, 0, &[header, vec![0; 128], map]))
}

/// The catalog B-tree's nodes, node 0 first: header, leaves, then index
/// levels from the bottom up.
fn build_catalog(nodes: &[Node<'_>], date: u32) -> Result<Vec<Vec<u8>>, HfsError> {
    let records = catalog_records(nodes, date);
    let leaf_records = records.len() as u32;

    // Pack leaf records; each group's first key indexes it.
    let mut groups: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    for (key, data) in records {
        let mut record = key.clone();
        record.extend_from_slice(&data);
        match groups.last_mut() {
            Some((_, group)) if fits(group, record.len()) => group.push(record),
            _ => groups.push((key, vec![record])),
        }
    }

    // Levels of (first key, records), leaves first, with node numbers from 1.
    let mut levels = vec![groups];
    while levels.last().expect("leaves").len() > 1 {
        let below = levels.last().expect("level");
        let first_number: usize = 1 + levels[..levels.len() - 1].iter().map(Vec::len).sum::<usize>();
        let mut level: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
        for (i, (key, _)) in below.iter().enumerate() {
            let mut record = key.clone();
            put32(&mut record, (first_number + i) as u32);
            match level.last_mut() {
                Some((_, group)) if fits(group, record.len()) => group.push(record),
                _ => level.push((key.clone(), vec![record])),
            }
        }
        levels.push(level);
    }

    let total_nodes = 1 + levels.iter().map(Vec::len).sum::<usize>();
    let leaves = levels[0].len() as u32;
    let mut out = Vec::with_capacity(total_nodes);
    out.push(header_node(BTreeHeader {
        depth: levels.len() as u16,
        root: total_nodes as u32 - 1,
        leaf_records,
        first_leaf: 1,
        last_leaf: leaves,
        max_key_length: 516,
        total_nodes: total_nodes as u32,
        compare_type: 0xBC, // kHFSBinaryCompare
        attributes: BIG_KEYS | VARIABLE_INDEX_KEYS,
    })?);
    for (height, level) in levels.iter().enumerate() {
        let first = out.len() as u32;
        let last = first + level.len() as u32 - 1;
        let kind = if height == 0 { LEAF_NODE } else { INDEX_NODE };
        for (i, (_, records)) in level.iter().enumerate() {
            let number = first + i as u32;
            let forward = if number == last { 0 } else { number + 1 };
            let backward = if number == first { 0 } else { number - 1 };
            out.push(node(kind, height as u8 + 1, forward, backward, records));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(entries: &[(&str, &[u8], bool)]) -> FileManifest {
        let mut m = FileManifest::new();
        for (path, bytes, exec) in entries {
            m.add_file(
                ManifestPath::new(path).unwrap(),
                FileEntry::from_bytes(bytes.to_vec(), *exec, "test"),
            )
            .unwrap();
        }
        m
    }

    #[test]
    fn names_are_decomposed() {
        assert_eq!(hfs_name("é"), vec![0x65, 0x301]);
        assert_eq!(
            hfs_name("\u{2126}"),
            vec![0x2126],
            "Ohm sign is kept, as Apple's tables do"
        );
    }

    #[test]
    fn header_and_alternate_header() {
        let m = manifest(&[("a/b.txt", b"hello", false), ("run", b"#!/bin/sh\n", true)]);
        let v = hfs_volume("Vol", &m, &[("Applications", "/Applications")], Timestamp::DEFAULT).unwrap();
        assert_eq!(&v[1024..1026], b"HX");
        assert_eq!(v[1024..1536], v[v.len() - 1024..v.len() - 512]);
        assert_eq!(v.len() % (1 << 20), 0);
        let again = hfs_volume("Vol", &m, &[("Applications", "/Applications")], Timestamp::DEFAULT).unwrap();
        assert_eq!(v, again);
    }

    #[test]
    fn same_name_after_decomposition_is_refused() {
        let m = manifest(&[("caf\u{e9}", b"1", false), ("cafe\u{301}", b"2", false)]);
        let err = hfs_volume("V", &m, &[], Timestamp::DEFAULT).unwrap_err();
        assert!(matches!(err, HfsError::SameName { .. }), "{err}");
    }
}
