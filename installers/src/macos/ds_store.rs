//! `.DS_Store` files: where Finder keeps a folder's window settings and the
//! positions of its icons. A DMG carries one at the root of its volume so
//! that the window opens with a background image and the app beside the
//! `Applications` link ([`super::dmg::DmgLayout`]).
//!
//! Apple never documented the format; this writer follows the description
//! Wim Lewis and Mark Mentovai reverse-engineered, as the `ds_store` Python
//! package reads it (the tests check our files with that package).
//!
//! # The file: a buddy allocator ("Bud1")
//!
//! The file is a small heap of blocks whose sizes are powers of two. Every
//! offset below is counted from byte 4 (the first four bytes stand outside
//! the heap); a block *address* is its offset with log2(size) in its five
//! low bits (offsets are multiples of 32).
//!
//! | where | bytes | content |
//! |---|---|---|
//! | file start | 4 | `00 00 00 01` |
//! | offset 0 (a 32-byte block) | 32 | `Bud1`, offset of the allocator block, its size, its offset again, 16 bytes Finder writes (`00 00 10 0c 00 00 00 87 00 00 20 0b 00 00 00 00`; meaning unknown) |
//! | allocator block (block 0) | | number of blocks, 0, their addresses padded with zeros to a multiple of 256; the table of contents (count, then name length, name, block number: `DSDB` → 1); 32 free lists (for each size 2^0 … 2^31: count, then offsets) |
//! | block 1 (`DSDB`, 32 bytes) | 20 | B-tree header: root node's block number, levels (tree height − 1), number of records, number of nodes, page size 4096 |
//! | blocks 2 … (4096 bytes each) | | B-tree nodes |
//!
//! Blocks are allocated the way a buddy allocator starting from one free
//! 2 GiB region would hand them out (header, allocator block, `DSDB`, then
//! the nodes), and the free lists say what remains, so Finder could extend
//! the file if it ever wrote to it (on a read-only DMG it never does).
//!
//! # The B-tree
//!
//! | node | layout (big-endian) |
//! |---|---|
//! | leaf | `0`, record count, records |
//! | internal | block number of the rightmost child, record count, then per record: block number of the child holding the smaller records, the record |
//!
//! Records are sorted by file name, compared case-insensitively, then by
//! their four-character code. A record:
//!
//! | field | bytes |
//! |---|---|
//! | file name length, in UTF-16 code units | 4 |
//! | file name, UTF-16BE (`.` for the folder itself) | 2 × length |
//! | record code (`Iloc`, `bwsp`, …) | 4 |
//! | value type and value | `long` u32, `shor` u32, `bool` 1 byte, `type` 4 bytes, `blob` u32 length + bytes, `ustr` u32 length + UTF-16BE, `comp`/`dutc` u64 |
//!
//! # Records a DMG window needs
//!
//! | name | code | type | value |
//! |---|---|---|---|
//! | `.` | `bwsp` | blob | binary property list: `WindowBounds` `{{x, y}, {w, h}}`, toolbar, sidebar, status bar, path bar and tab bar hidden |
//! | `.` | `icvp` | blob | binary property list: icon size, text size, `arrangeBy` `none`, labels below icons, background (type 2 and `backgroundImageAlias`, an [alias](file_alias), for a picture) |
//! | `.` | `vSrn` | long | 1 (the version of these settings) |
//! | `.` | `vstl` | type | `icnv`: the window's view style is the icon view (the one the other settings are for) |
//! | each positioned item | `Iloc` | blob | the icon's centre: x, y (u32 each, points from the window's top left), then `ff ff ff ff ff ff 00 00` |

use std::cmp::Ordering;

/// B-tree page size; Finder uses 4096.
const PAGE_SIZE: usize = 4096;
/// The largest record: two of them, with their child pointers, fill a
/// page, so every node can hold at least one record and its neighbour
/// ([`pack`]).
const MAX_RECORD: usize = (PAGE_SIZE - 8) / 2 - 4;
/// log2 of [`PAGE_SIZE`].
const PAGE_WIDTH: u32 = 12;
/// The bytes Finder writes after the allocator block's address in the
/// file header; readers ignore them.
const HEADER_UNKNOWN: [u8; 16] = [0, 0, 0x10, 0x0c, 0, 0, 0, 0x87, 0, 0, 0x20, 0x0b, 0, 0, 0, 0];

/// A record's value, by its type code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `long`: a 32-bit integer.
    Long(u32),
    /// `bool`.
    Bool(bool),
    /// `type`: a four-character code.
    Type([u8; 4]),
    /// `blob`: bytes (a property list, an icon location, …).
    Blob(Vec<u8>),
    /// `ustr`: a string, stored as UTF-16.
    Ustr(String),
}

/// One `.DS_Store` record: a property (`code`) of the item `name` in the
/// folder (`.` for the folder itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The item's name as UTF-16 code units, exactly as the volume stores
    /// it (HFS+: decomposed, see [`super::hfs`]), since Finder matches
    /// records to directory entries by these units.
    pub name: Vec<u16>,
    pub code: [u8; 4],
    pub value: Value,
}

impl Record {
    /// A record whose name is given as a string (encoded as UTF-16 as is).
    pub fn new(name: &str, code: &[u8; 4], value: Value) -> Self {
        Self {
            name: name.encode_utf16().collect(),
            code: *code,
            value,
        }
    }

    /// An `Iloc` record: the centre of `name`'s icon at (`x`, `y`) points
    /// from the top left of the window's content.
    pub fn icon_location(name: Vec<u16>, x: u32, y: u32) -> Self {
        let mut blob = Vec::with_capacity(16);
        blob.extend_from_slice(&x.to_be_bytes());
        blob.extend_from_slice(&y.to_be_bytes());
        // What Finder writes after the point; meaning unknown.
        blob.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]);
        Self {
            name,
            code: *b"Iloc",
            value: Value::Blob(blob),
        }
    }

    fn encoded_len(&self) -> usize {
        let value = match &self.value {
            Value::Long(_) | Value::Type(_) => 4,
            Value::Bool(_) => 1,
            Value::Blob(bytes) => 4 + bytes.len(),
            Value::Ustr(s) => 4 + 2 * s.encode_utf16().count(),
        };
        4 + 2 * self.name.len() + 8 + value
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.name.len() as u32).to_be_bytes());
        for unit in &self.name {
            out.extend_from_slice(&unit.to_be_bytes());
        }
        out.extend_from_slice(&self.code);
        match &self.value {
            Value::Long(v) => {
                out.extend_from_slice(b"long");
                out.extend_from_slice(&v.to_be_bytes());
            }
            Value::Bool(v) => {
                out.extend_from_slice(b"bool");
                out.push(u8::from(*v));
            }
            Value::Type(v) => {
                out.extend_from_slice(b"type");
                out.extend_from_slice(v);
            }
            Value::Blob(bytes) => {
                out.extend_from_slice(b"blob");
                out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                out.extend_from_slice(bytes);
            }
            Value::Ustr(s) => {
                let units: Vec<u16> = s.encode_utf16().collect();
                out.extend_from_slice(b"ustr");
                out.extend_from_slice(&(units.len() as u32).to_be_bytes());
                for unit in units {
                    out.extend_from_slice(&unit.to_be_bytes());
                }
            }
        }
    }
}

/// Finder's order: names compared case-insensitively, then codes. Equal
/// folded names fall back to the exact units so the order is total.
fn record_order(a: &Record, b: &Record) -> Ordering {
    let fold = |name: &[u16]| -> Vec<u16> {
        let s: String = char::decode_utf16(name.iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .flat_map(char::to_lowercase)
            .collect();
        s.encode_utf16().collect()
    };
    fold(&a.name)
        .cmp(&fold(&b.name))
        .then_with(|| a.code.cmp(&b.code))
        .then_with(|| a.name.cmp(&b.name))
}

/// Why records cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum DsStoreError {
    #[error(
        "the .DS_Store record {code} of {name:?} would be {len} bytes, more than the {MAX_RECORD} a B-tree node holds twice; shorten the names it contains"
    )]
    RecordTooLarge { name: String, code: String, len: usize },
    #[error("two .DS_Store records for {name:?} have the same code {code}")]
    Duplicate { name: String, code: String },
}

/// The bytes of a `.DS_Store` file holding `records` (in any order). The
/// same records always give the same bytes.
pub fn write_ds_store(mut records: Vec<Record>) -> Result<Vec<u8>, DsStoreError> {
    records.sort_by(record_order);
    let describe = |r: &Record| {
        (
            String::from_utf16_lossy(&r.name),
            String::from_utf8_lossy(&r.code).into_owned(),
        )
    };
    for pair in records.windows(2) {
        if pair[0].name == pair[1].name && pair[0].code == pair[1].code {
            let (name, code) = describe(&pair[0]);
            return Err(DsStoreError::Duplicate { name, code });
        }
    }
    for record in &records {
        if record.encoded_len() > MAX_RECORD {
            let (name, code) = describe(record);
            return Err(DsStoreError::RecordTooLarge {
                name,
                code,
                len: record.encoded_len(),
            });
        }
    }
    let tree = build_tree(records);
    Ok(allocate(&tree))
}

/// One B-tree node before block numbers are known: its records and, for
/// internal nodes, the indexes (into the level below) of its children, one
/// more than its records.
struct Node {
    records: Vec<Record>,
    children: Vec<usize>,
}

/// The tree's levels, leaves first, the root (one node) last.
struct Tree {
    levels: Vec<Vec<Node>>,
    record_count: u32,
}

/// Packs sorted records into a B-tree, leaves filled in order, every node
/// holding at least one record. Finder balances its trees more evenly when
/// it edits them; readers only need the order.
fn build_tree(records: Vec<Record>) -> Tree {
    let record_count = records.len() as u32;
    let (leaves, mut separators) = pack(records, 0);
    let mut levels = vec![
        leaves
            .into_iter()
            .map(|records| Node {
                records,
                children: Vec::new(),
            })
            .collect::<Vec<_>>(),
    ];
    // Each level up: children c0 … cn of the level below with the
    // separators s1 … sn between them; a node holding s(a) … s(b) points to
    // c(a-1) … c(b).
    while levels.last().expect("a level").len() > 1 {
        let below = levels.last().expect("a level").len();
        let (groups, up) = pack(std::mem::take(&mut separators), 4);
        let mut first_child = 0;
        let nodes: Vec<Node> = groups
            .into_iter()
            .map(|records| {
                let children = (first_child..=first_child + records.len()).collect();
                first_child += records.len() + 1;
                Node { records, children }
            })
            .collect();
        debug_assert_eq!(first_child, below, "every child has one parent");
        separators = up;
        levels.push(nodes);
    }
    Tree { levels, record_count }
}

/// Splits sorted `items` into runs that fit a page (`overhead` bytes more
/// per item: the child pointer of internal nodes) and the items between
/// the runs, which go one level up: run, separator, run, …, run.
///
/// Every run is non-empty: a run that is full holds two items at least
/// (any two fit, see [`MAX_RECORD`]), so when the item that does not fit is
/// the last one, the run gives up its own last item as the separator and
/// the last item starts the final run.
fn pack(items: Vec<Record>, overhead: usize) -> (Vec<Vec<Record>>, Vec<Record>) {
    let mut runs = vec![Vec::new()];
    let mut separators = Vec::new();
    let mut used = 8;
    let mut items = items.into_iter().peekable();
    while let Some(item) = items.next() {
        let len = overhead + item.encoded_len();
        let run = runs.last_mut().expect("a run");
        if used + len <= PAGE_SIZE {
            used += len;
            run.push(item);
        } else if items.peek().is_some() {
            separators.push(item);
            runs.push(Vec::new());
            used = 8;
        } else {
            let separator = run.pop().expect("a full run holds two items");
            debug_assert!(!run.is_empty());
            separators.push(separator);
            runs.push(vec![item]);
        }
    }
    (runs, separators)
}

/// A buddy allocator over the 2^31-byte address space, handing out the
/// lowest free block of the size asked for, as the `ds_store` package's
/// allocator (and, as far as anyone can tell, Finder's) does.
struct Buddy {
    /// Free offsets per width (log2 of the size), sorted.
    free: Vec<Vec<u32>>,
}

impl Buddy {
    fn new() -> Self {
        let mut free = vec![Vec::new(); 32];
        free[31].push(0);
        Self { free }
    }

    /// Allocates 2^`width` bytes; returns the block's address.
    fn alloc(&mut self, width: u32) -> u32 {
        let mut w = width as usize;
        while self.free[w].is_empty() {
            w += 1;
            assert!(w < 32, "a .DS_Store larger than 2 GiB");
        }
        // Split the smallest larger free block down to the size asked for.
        while w > width as usize {
            let offset = self.free[w].remove(0);
            w -= 1;
            let halves = [offset, offset | (1 << w)];
            self.free[w].extend(halves);
            self.free[w].sort_unstable();
        }
        self.free[w].remove(0) | width
    }
}

/// Lays the tree out in a buddy-allocated file and returns its bytes.
fn allocate(tree: &Tree) -> Vec<u8> {
    let node_count: usize = tree.levels.iter().map(Vec::len).sum();
    // Blocks: 0 the allocator block, 1 `DSDB`, 2… the nodes (leaves first,
    // the root last).
    let block_count = 2 + node_count;

    // The allocator block lists the free blocks left after it is itself
    // allocated; find the smallest size that holds it.
    let (buddy, addresses) = (11..31)
        .find_map(|root_width| {
            let mut buddy = Buddy::new();
            let header = buddy.alloc(5);
            debug_assert_eq!(header, 5, "the header is the 32 bytes at offset 0");
            let mut addresses = vec![buddy.alloc(root_width), buddy.alloc(5)];
            addresses.extend((0..node_count).map(|_| buddy.alloc(PAGE_WIDTH)));
            let len = allocator_block(&addresses, &buddy).len();
            (len <= 1 << root_width).then_some((buddy, addresses))
        })
        .expect("an allocator block under 2 GiB");

    let end = addresses
        .iter()
        .map(|&a| (a & !0x1f) as usize + (1usize << (a & 0x1f)))
        .max()
        .expect("blocks");
    let mut heap = vec![0u8; end];
    let mut put = |address: u32, bytes: &[u8]| {
        let offset = (address & !0x1f) as usize;
        assert!(bytes.len() <= 1 << (address & 0x1f), "block overflow");
        heap[offset..offset + bytes.len()].copy_from_slice(bytes);
    };

    // Header (offset 0).
    let root = addresses[0];
    let mut header = Vec::with_capacity(32);
    header.extend_from_slice(b"Bud1");
    header.extend_from_slice(&(root & !0x1f).to_be_bytes());
    header.extend_from_slice(&(1u32 << (root & 0x1f)).to_be_bytes());
    header.extend_from_slice(&(root & !0x1f).to_be_bytes());
    header.extend_from_slice(&HEADER_UNKNOWN);
    put(5, &header);
    put(root, &allocator_block(&addresses, &buddy));

    // Node block numbers: level by level from the leaves.
    let mut first_block = Vec::with_capacity(tree.levels.len());
    let mut next = 2u32;
    for level in &tree.levels {
        first_block.push(next);
        next += level.len() as u32;
    }
    let root_block = next - 1;
    let mut superblock = Vec::with_capacity(20);
    for v in [
        root_block,
        tree.levels.len() as u32 - 1,
        tree.record_count,
        node_count as u32,
        PAGE_SIZE as u32,
    ] {
        superblock.extend_from_slice(&v.to_be_bytes());
    }
    put(addresses[1], &superblock);

    for (height, level) in tree.levels.iter().enumerate() {
        for (i, node) in level.iter().enumerate() {
            let mut page = Vec::with_capacity(PAGE_SIZE);
            let child_block = |c: usize| first_block[height - 1] + c as u32;
            let rightmost = node.children.last().map_or(0, |&c| child_block(c));
            page.extend_from_slice(&rightmost.to_be_bytes());
            page.extend_from_slice(&(node.records.len() as u32).to_be_bytes());
            for (j, record) in node.records.iter().enumerate() {
                if height > 0 {
                    page.extend_from_slice(&child_block(node.children[j]).to_be_bytes());
                }
                record.encode(&mut page);
            }
            let block = (first_block[height] + i as u32) as usize;
            put(addresses[block], &page);
        }
    }
    debug_assert_eq!(addresses.len(), block_count);

    let mut file = Vec::with_capacity(4 + heap.len());
    file.extend_from_slice(&1u32.to_be_bytes());
    file.extend_from_slice(&heap);
    file
}

/// The allocator block: block addresses, table of contents, free lists.
fn allocator_block(addresses: &[u32], buddy: &Buddy) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(addresses.len() as u32).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    for i in 0..addresses.len().next_multiple_of(256) {
        out.extend_from_slice(&addresses.get(i).copied().unwrap_or(0).to_be_bytes());
    }
    out.extend_from_slice(&1u32.to_be_bytes()); // one table of contents entry
    out.push(4);
    out.extend_from_slice(b"DSDB");
    out.extend_from_slice(&1u32.to_be_bytes()); // block 1
    for list in &buddy.free {
        out.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for offset in list {
            out.extend_from_slice(&offset.to_be_bytes());
        }
    }
    out
}

/// A Finder alias record (version 2, as `Alias Manager` wrote them and
/// Finder still reads them in `backgroundImageAlias`) to a file on an HFS+
/// volume. Finder resolves it by volume name and creation date, then by
/// the catalog node IDs, then by the path.
#[derive(Clone, Debug)]
pub struct FileAlias<'a> {
    /// The volume's name.
    pub volume_name: &'a str,
    /// The volume's creation date, seconds since 1904 (its header's
    /// `createDate`).
    pub volume_created: u32,
    /// The folders from the root down to the file's parent: name and
    /// catalog node ID each. At least one (the alias format names the
    /// parent folder).
    pub folders: &'a [(&'a str, u32)],
    /// The file's name and catalog node ID.
    pub file_name: &'a str,
    pub file_id: u32,
    /// The file's creation date, seconds since 1904.
    pub file_created: u32,
}

/// Alias record tags (the variable part after the fixed 150 bytes).
const TAG_FOLDER_NAME: i16 = 0;
const TAG_CNID_PATH: i16 = 1;
const TAG_CARBON_PATH: i16 = 2;
const TAG_UNICODE_FILE_NAME: i16 = 14;
const TAG_UNICODE_VOLUME_NAME: i16 = 15;
const TAG_HIGH_RES_VOLUME_DATE: i16 = 16;
const TAG_HIGH_RES_CREATION_DATE: i16 = 17;
const TAG_POSIX_PATH: i16 = 18;
const TAG_POSIX_MOUNT_POINT: i16 = 19;
const TAG_END: i16 = -1;

/// The bytes of an alias record to `alias.file_name`: the fixed part of
/// version 2 (150 bytes), then tagged fields in the order Finder writes
/// them, each padded to an even length.
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 4 | application info (zero) |
/// | 4 | 2 | record length |
/// | 6 | 2 | version (2) |
/// | 8 | 2 | kind (0: file) |
/// | 10 | 28 | volume name (Pascal string, at most 27 bytes) |
/// | 38 | 4 | volume creation date |
/// | 42 | 2 | file system (`H+`) |
/// | 44 | 2 | disk type (0: fixed) |
/// | 46 | 4 | parent folder's node ID |
/// | 50 | 64 | file name (Pascal string, at most 63 bytes) |
/// | 114 | 4 | file's node ID |
/// | 118 | 4 | file's creation date |
/// | 122 | 8 | file type, creator (zero) |
/// | 130 | 4 | levels from, to (−1, −1: unknown, as macOS writes them) |
/// | 134 | 16 | volume attributes, file system ID, reserved (zero) |
///
/// The Pascal strings hold UTF-8 (as the `mac_alias` package writes them);
/// Finder reads the full names from the Unicode fields that follow. The
/// file system is `H+` also on HFSX volumes: that is how macOS reports
/// them to the Alias Manager and what `mac_alias` writes.
pub fn file_alias(alias: &FileAlias<'_>) -> Vec<u8> {
    let (parent_name, parent_id) = *alias.folders.last().expect("a parent folder");
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&[0; 4]); // application info
    out.extend_from_slice(&[0; 2]); // record length, set below
    out.extend_from_slice(&2u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // kind: file
    out.extend_from_slice(&pascal(alias.volume_name, 28));
    out.extend_from_slice(&alias.volume_created.to_be_bytes());
    out.extend_from_slice(b"H+");
    out.extend_from_slice(&0u16.to_be_bytes()); // disk type: fixed
    out.extend_from_slice(&parent_id.to_be_bytes());
    out.extend_from_slice(&pascal(alias.file_name, 64));
    out.extend_from_slice(&alias.file_id.to_be_bytes());
    out.extend_from_slice(&alias.file_created.to_be_bytes());
    out.extend_from_slice(&[0; 8]); // file type, creator
    out.extend_from_slice(&(-1i16).to_be_bytes()); // levels from
    out.extend_from_slice(&(-1i16).to_be_bytes()); // levels to
    out.extend_from_slice(&[0; 16]); // volume attributes, file system ID, reserved
    debug_assert_eq!(out.len(), 150);

    let mut tag = |tag: i16, value: &[u8]| {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value);
        if value.len() % 2 == 1 {
            out.push(0);
        }
    };
    let high_res = |seconds: u32| (u64::from(seconds) << 16).to_be_bytes();
    tag(TAG_FOLDER_NAME, parent_name.as_bytes());
    tag(TAG_HIGH_RES_VOLUME_DATE, &high_res(alias.volume_created));
    tag(TAG_HIGH_RES_CREATION_DATE, &high_res(alias.file_created));
    // Node IDs of the folders from the parent up to the root's child.
    let cnids: Vec<u8> = alias
        .folders
        .iter()
        .rev()
        .flat_map(|(_, id)| id.to_be_bytes())
        .collect();
    tag(TAG_CNID_PATH, &cnids);
    // "Volume:folder:\0file": the Carbon path, with the NUL macOS puts
    // between the components after the first.
    let mut carbon = format!("{}:", alias.volume_name).into_bytes();
    let components: Vec<&str> = alias
        .folders
        .iter()
        .map(|(name, _)| *name)
        .chain([alias.file_name])
        .collect();
    carbon.extend_from_slice(components.join(":\0").as_bytes());
    tag(TAG_CARBON_PATH, &carbon);
    tag(TAG_UNICODE_FILE_NAME, &unicode_name(alias.file_name));
    tag(TAG_UNICODE_VOLUME_NAME, &unicode_name(alias.volume_name));
    let posix = format!("/{}", components.join("/"));
    tag(TAG_POSIX_PATH, posix.as_bytes());
    tag(
        TAG_POSIX_MOUNT_POINT,
        format!("/Volumes/{}", alias.volume_name).as_bytes(),
    );
    out.extend_from_slice(&TAG_END.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    let len = out.len() as u16;
    out[4..6].copy_from_slice(&len.to_be_bytes());
    out
}

/// A Pascal string in a field of `field` bytes: length byte, then at most
/// `field - 1` bytes of UTF-8 (cut at a character boundary), zero-padded.
fn pascal(s: &str, field: usize) -> Vec<u8> {
    let mut end = s.len().min(field - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = vec![0u8; field];
    out[0] = end as u8;
    out[1..=end].copy_from_slice(&s.as_bytes()[..end]);
    out
}

/// HFSUniStr255: the count of UTF-16 units, then the units.
fn unicode_name(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = Vec::with_capacity(2 + 2 * units.len());
    out.extend_from_slice(&(units.len() as u16).to_be_bytes());
    for unit in units {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be32(bytes: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn small_file_layout() {
        let file = write_ds_store(vec![
            Record::icon_location("b".encode_utf16().collect(), 1, 2),
            Record::new(".", b"vSrn", Value::Long(1)),
        ])
        .unwrap();
        assert_eq!(&file[..8], b"\0\0\0\x01Bud1");
        // Header, allocator block at 2048 (width 11), DSDB at 32, one leaf at 4096.
        assert_eq!(be32(&file, 8), 2048);
        assert_eq!(be32(&file, 12), 2048);
        assert_eq!(file.len(), 4 + 8192);
        let root = 4 + 2048;
        assert_eq!(be32(&file, root), 3, "three blocks");
        assert_eq!(be32(&file, root + 8), 2048 | 11);
        assert_eq!(be32(&file, root + 12), 32 | 5);
        assert_eq!(be32(&file, root + 16), 4096 | 12);
        // DSDB: root node block 2, 0 levels above the leaves, 2 records, 1 node.
        assert_eq!(
            (0..5).map(|i| be32(&file, 4 + 32 + 4 * i)).collect::<Vec<_>>(),
            [2, 0, 2, 1, 4096]
        );
        // The leaf: "." sorts before "b".
        let leaf = 4 + 4096;
        assert_eq!(be32(&file, leaf), 0);
        assert_eq!(be32(&file, leaf + 4), 2);
        assert_eq!(&file[leaf + 8..leaf + 18], b"\0\0\0\x01\0.vSrn");
    }

    #[test]
    fn records_sort_case_insensitively() {
        let mut records = [
            Record::new("b", b"Iloc", Value::Long(0)),
            Record::new("A", b"Iloc", Value::Long(0)),
            Record::new("a", b"bwsp", Value::Long(0)),
        ];
        records.sort_by(record_order);
        let names: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "{}{}",
                    String::from_utf16_lossy(&r.name),
                    String::from_utf8_lossy(&r.code)
                )
            })
            .collect();
        assert_eq!(names, ["AIloc", "abwsp", "bIloc"]);
    }

    /// Reads the records back in tree order, checking that every node holds
    /// a record and that `DSDB` counts them all.
    fn read_back(file: &[u8]) -> Vec<Record> {
        let heap = &file[4..];
        let root = be32(heap, 4) as usize;
        let count = be32(heap, root) as usize;
        let addresses: Vec<u32> = (0..count).map(|i| be32(heap, root + 8 + 4 * i)).collect();
        let block = |n: u32| {
            let a = addresses[n as usize];
            &heap[(a & !0x1f) as usize..][..1 << (a & 0x1f)]
        };
        fn walk<'a>(block: &dyn Fn(u32) -> &'a [u8], n: u32, out: &mut Vec<Record>) {
            let page = block(n);
            let (rightmost, count) = (be32(page, 0), be32(page, 4));
            assert!(
                count > 0 || n == 2,
                "node {n} is empty (only an empty tree's root may be)"
            );
            let mut at = 8;
            for _ in 0..count {
                if rightmost != 0 {
                    walk(block, be32(page, at), out);
                    at += 4;
                }
                let len = be32(page, at) as usize;
                let name: Vec<u16> = (0..len)
                    .map(|i| u16::from_be_bytes([page[at + 4 + 2 * i], page[at + 5 + 2 * i]]))
                    .collect();
                at += 4 + 2 * len;
                let code: [u8; 4] = page[at..at + 4].try_into().unwrap();
                assert_eq!(&page[at + 4..at + 8], b"blob");
                let blob_len = be32(page, at + 8) as usize;
                let value = Value::Blob(page[at + 12..at + 12 + blob_len].to_vec());
                at += 12 + blob_len;
                out.push(Record { name, code, value });
            }
            if rightmost != 0 {
                walk(block, rightmost, out);
            }
        }
        let dsdb = block(1);
        let mut out = Vec::new();
        walk(&block, be32(dsdb, 0), &mut out);
        assert_eq!(be32(dsdb, 8) as usize, out.len());
        out
    }

    #[test]
    fn trees_of_every_shape_keep_every_record_in_order() {
        // Sizes from tiny to the largest allowed, so runs end in every way,
        // including a last record that fits nowhere but a run of its own.
        for (count, size) in [
            (0, 30),
            (1, 30),
            (2, MAX_RECORD),
            (3, MAX_RECORD),
            (5, 1500),
            (90, 200),
            (2000, 300),
        ] {
            let records: Vec<Record> = (0..count)
                .map(|i| {
                    let name = format!("{i:05}");
                    let blob = vec![0u8; size - (4 + 10 + 8 + 4)];
                    Record::new(&name, b"test", Value::Blob(blob))
                })
                .collect();
            assert!(records.iter().all(|r| r.encoded_len() == size));
            let file = write_ds_store(records.clone()).unwrap();
            assert_eq!(read_back(&file), records, "{count} records of {size} bytes");
        }
        let too_big = Record::new("x", b"test", Value::Blob(vec![0; MAX_RECORD]));
        assert!(matches!(
            write_ds_store(vec![too_big]),
            Err(DsStoreError::RecordTooLarge { .. })
        ));
    }

    #[test]
    fn duplicates_are_refused() {
        let err = write_ds_store(vec![
            Record::new("x", b"Iloc", Value::Long(0)),
            Record::new("x", b"Iloc", Value::Long(1)),
        ])
        .unwrap_err();
        assert!(matches!(err, DsStoreError::Duplicate { .. }), "{err}");
    }

    #[test]
    fn alias_fixed_part() {
        let alias = file_alias(&FileAlias {
            volume_name: "Demo",
            volume_created: 100,
            folders: &[(".background", 17)],
            file_name: "background.png",
            file_id: 18,
            file_created: 100,
        });
        assert_eq!(u16::from_be_bytes([alias[4], alias[5]]) as usize, alias.len());
        assert_eq!(&alias[10..15], b"\x04Demo");
        assert_eq!(be32(&alias, 46), 17);
        assert_eq!(&alias[50..65], b"\x0ebackground.png");
        assert_eq!(be32(&alias, 114), 18);
        assert_eq!(&alias[alias.len() - 4..], b"\xff\xff\0\0");
    }

    #[test]
    fn pascal_strings_cut_at_character_boundaries() {
        let s = "é".repeat(20); // 40 bytes
        let p = pascal(&s, 28);
        assert_eq!(p[0], 26);
        assert!(std::str::from_utf8(&p[1..27]).is_ok());
    }
}
