//! Integration tests of the packed-resources format: round trips, determinism,
//! prefix listings, zstd, appended blobs, error messages and corruption.

use std::borrow::Cow;

use oxdist_embed::format::{
    CACHE_TAG_KEY, EntryFlags, EntryKind, FORMAT_VERSION, FormatError, HEADER_LEN, INDEX_RECORD_LEN, PackedResources,
    PackedResourcesBuilder, append_trailer, find_appended,
};

const MAGIC311: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

/// A small deterministic PRNG (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 16
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

type Spec = (EntryKind, &'static str, EntryFlags, Vec<u8>);

/// One or more entries of every kind.
fn sample_entries() -> Vec<Spec> {
    vec![
        (
            EntryKind::Bytecode0,
            "json",
            EntryFlags::IS_PACKAGE,
            b"\xe3json-code".to_vec(),
        ),
        (
            EntryKind::Bytecode0,
            "json.decoder",
            EntryFlags::NONE,
            b"\xe3decoder".to_vec(),
        ),
        (
            EntryKind::Bytecode0,
            "json.encoder",
            EntryFlags::NONE,
            b"\xe3encoder!".to_vec(),
        ),
        (EntryKind::Bytecode0, "os", EntryFlags::NONE, vec![0x42; 1000]),
        (
            EntryKind::Bytecode1,
            "json",
            EntryFlags::IS_PACKAGE,
            b"\xe3json-o1".to_vec(),
        ),
        (
            EntryKind::Bytecode2,
            "json",
            EntryFlags::IS_PACKAGE,
            b"\xe3json-o2".to_vec(),
        ),
        (EntryKind::Source, "json", EntryFlags::IS_PACKAGE, b"# json\n".to_vec()),
        (
            EntryKind::Source,
            "app.main",
            EntryFlags::NONE,
            "print('héllo')\n".as_bytes().to_vec(),
        ),
        (
            EntryKind::Resource,
            "app\0data/config.toml",
            EntryFlags::NONE,
            b"x = 1\n".to_vec(),
        ),
        (
            EntryKind::Resource,
            "app\0bin/tool",
            EntryFlags::EXECUTABLE,
            b"#!/bin/sh\n".to_vec(),
        ),
        (EntryKind::Resource, "app\0empty.txt", EntryFlags::NONE, Vec::new()),
        (
            EntryKind::DistMetadata,
            "app-1.0.dist-info\0METADATA",
            EntryFlags::NONE,
            b"Metadata-Version: 2.1\nName: app\n".to_vec(),
        ),
        (
            EntryKind::DistMetadata,
            "app-1.0.dist-info\0entry_points.txt",
            EntryFlags::NONE,
            b"[console_scripts]\n".to_vec(),
        ),
        (
            EntryKind::Extension,
            "_ssl",
            EntryFlags::NONE,
            b"lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so".to_vec(),
        ),
        (EntryKind::Namespace, "nspkg", EntryFlags::NONE, Vec::new()),
        (EntryKind::Frozen, "enum", EntryFlags::NONE, vec![0xab; 32]),
        (
            EntryKind::FileModule,
            "plugins.local",
            EntryFlags::NONE,
            b"plugins/local.py".to_vec(),
        ),
        (
            EntryKind::FileModule,
            "plugins",
            EntryFlags::IS_PACKAGE,
            b"plugins/__init__.py".to_vec(),
        ),
        (
            EntryKind::Config,
            "interpreter",
            EntryFlags::NONE,
            br#"{"optimize":0}"#.to_vec(),
        ),
    ]
}

fn build(entries: &[Spec]) -> Vec<u8> {
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    for (kind, name, flags, data) in entries {
        b.add(*kind, name, *flags, data.clone()).unwrap();
    }
    b.to_vec()
}

fn put_u32(blob: &mut [u8], at: usize, v: u32) {
    blob[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(blob: &mut [u8], at: usize, v: u64) {
    blob[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(blob: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(blob[at..at + 8].try_into().unwrap())
}

/// Asserts every slice a parsed blob hands out lies inside `blob`, and
/// exercises every accessor (none may panic).
fn assert_contained(blob: &[u8], res: &PackedResources<'_>) {
    let range = blob.as_ptr_range();
    let inside = |s: &[u8]| {
        let r = s.as_ptr_range();
        range.start <= r.start && r.end <= range.end
    };
    assert!(inside(res.cache_tag().as_bytes()));
    let mut n = 0;
    for e in res.iter() {
        n += 1;
        assert!(inside(e.data), "data of {:?} escapes the blob", e.name);
        assert!(inside(e.name.as_bytes()), "name {:?} escapes the blob", e.name);
        let found = res.get(e.kind, e.name).expect("every iterated entry can be found");
        assert_eq!(found, e);
        let _ = e.decompressed();
        let _ = e.owner_and_path();
        let _ = res.iter_prefix(e.kind, e.name).count();
    }
    assert_eq!(n, res.len());
    assert_eq!(res.iter().rev().count(), res.len());
}

#[test]
fn round_trip_of_every_kind() {
    let entries = sample_entries();
    let blob = build(&entries);
    let res = PackedResources::parse(&blob).unwrap();
    assert_eq!(res.python_magic(), MAGIC311);
    assert_eq!(res.cache_tag(), "cpython-311");
    assert_eq!(res.len(), entries.len() + 1, "plus c:cache_tag");
    assert!(res.check_python(MAGIC311, "cpython-311").is_ok());
    let debug = format!("{res:?}");
    assert!(
        debug.contains("cpython-311") && debug.len() < 200,
        "Debug does not dump the blob: {debug}"
    );

    for (kind, name, flags, data) in &entries {
        let e = res.get(*kind, name).unwrap_or_else(|| panic!("{kind}{name:?} missing"));
        assert_eq!((e.kind, e.name, e.flags, e.data), (*kind, *name, *flags, &data[..]));
        assert_eq!(e.decompressed().unwrap(), Cow::Borrowed(&data[..]));
        assert_eq!(
            e.data.as_ptr() as usize % 8,
            (blob.as_ptr() as usize) % 8,
            "payloads are 8-aligned"
        );
    }
    let mut seen_kinds: Vec<EntryKind> = res.iter().map(|e| e.kind).collect();
    seen_kinds.dedup();
    assert_eq!(
        seen_kinds,
        EntryKind::ALL.to_vec(),
        "every kind present, in prefix order"
    );

    // Keys come back strictly sorted.
    let keys: Vec<String> = res.iter().map(|e| e.key()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    assert!(keys.contains(&CACHE_TAG_KEY.to_string()));

    // Accessors.
    assert!(res.get(EntryKind::Bytecode0, "json").unwrap().is_package());
    assert!(!res.get(EntryKind::Bytecode0, "json.decoder").unwrap().is_package());
    assert!(res.get(EntryKind::Namespace, "nspkg").unwrap().is_package());
    assert!(res.get(EntryKind::Resource, "app\0bin/tool").unwrap().is_executable());
    let ext = res.get(EntryKind::Extension, "_ssl").unwrap();
    assert_eq!(ext.data_str(), Some("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"));
    let md = res.get(EntryKind::DistMetadata, "app-1.0.dist-info\0METADATA").unwrap();
    assert_eq!(md.owner_and_path(), Some(("app-1.0.dist-info", "METADATA")));
    assert_eq!(res.get(EntryKind::Bytecode0, "json").unwrap().owner_and_path(), None);

    // Misses, including prefixes and extensions of existing keys.
    for (kind, name) in [
        (EntryKind::Bytecode0, "jso"),
        (EntryKind::Bytecode0, "json.decoderx"),
        (EntryKind::Bytecode0, ""),
        (EntryKind::Bytecode1, "os"),
        (EntryKind::Source, "zzz"),
        (EntryKind::Bytecode0, "\u{10ffff}"),
        (EntryKind::Resource, "app\0data"),
        (EntryKind::Config, "cache_ta"),
    ] {
        assert!(res.get(kind, name).is_none(), "{kind}{name:?}");
    }
    assert_contained(&blob, &res);
}

#[test]
fn empty_builder_round_trips() {
    let blob = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap().to_vec();
    let res = PackedResources::parse(&blob).unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(res.iter_kind(EntryKind::Bytecode0).count(), 0);
    assert_eq!(res.iter_kind(EntryKind::Config).next().unwrap().name, "cache_tag");
}

#[test]
fn output_is_deterministic_across_insertion_orders() {
    let entries = sample_entries();
    let reference = build(&entries);
    let mut rng = Lcg(7);
    for _ in 0..20 {
        let mut shuffled = entries.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        assert_eq!(build(&shuffled), reference);
    }
    let mut reversed = entries.clone();
    reversed.reverse();
    assert_eq!(build(&reversed), reference);

    // write_to and to_vec agree, and report the length.
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    for (kind, name, flags, data) in &entries {
        b.add(*kind, name, *flags, data.clone()).unwrap();
    }
    let mut out = Vec::new();
    let n = b.write_to(&mut out).unwrap();
    assert_eq!(n as usize, out.len());
    assert_eq!(out, reference);
    assert_eq!(b.blob_len(), n);
}

#[test]
fn header_fields_are_where_the_docs_say() {
    let blob = build(&sample_entries());
    assert_eq!(&blob[0..8], b"OXDISTPR");
    assert_eq!(u32::from_le_bytes(blob[8..12].try_into().unwrap()), FORMAT_VERSION);
    assert_eq!(&blob[12..16], &[0; 4]);
    assert_eq!(&blob[16..20], &MAGIC311);
    let count = u32::from_le_bytes(blob[20..24].try_into().unwrap()) as u64;
    assert_eq!(count, sample_entries().len() as u64 + 1);
    assert_eq!(get_u64(&blob, 24), HEADER_LEN as u64, "index right after the header");
    assert_eq!(get_u64(&blob, 32), HEADER_LEN as u64 + count * INDEX_RECORD_LEN as u64);
    let keys_end = get_u64(&blob, 32) + get_u64(&blob, 40);
    let data_offset = get_u64(&blob, 48);
    assert!(data_offset >= keys_end && data_offset < keys_end + 8 && data_offset.is_multiple_of(8));
    assert_eq!(data_offset + get_u64(&blob, 56), blob.len() as u64);
    assert!(blob[keys_end as usize..data_offset as usize].iter().all(|&b| b == 0));
}

#[test]
fn identical_payloads_are_stored_once() {
    let payload = vec![7u8; 4096];
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    for name in ["a", "b", "c", "d"] {
        b.add(EntryKind::Bytecode0, name, EntryFlags::NONE, payload.clone())
            .unwrap();
    }
    let blob = b.to_vec();
    assert!(blob.len() < 2 * payload.len());
    let res = PackedResources::parse(&blob).unwrap();
    let ptrs: Vec<*const u8> = res.iter_kind(EntryKind::Bytecode0).map(|e| e.data.as_ptr()).collect();
    assert!(ptrs.windows(2).all(|w| w[0] == w[1]));
    assert!(res.iter_kind(EntryKind::Bytecode0).all(|e| e.data == payload));
}

#[test]
fn iter_prefix_lists_resource_directories() {
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    let resources = [
        "pk\0z",
        "pkg\0a.txt",
        "pkg\0sub/b.txt",
        "pkg\0sub/deeper/c.txt",
        "pkg\0sub2/d.txt",
        "pkg\0subway.txt",
        "pkg.sub\0x.txt",
        "pkg2\0y.txt",
    ];
    for r in resources {
        b.add(EntryKind::Resource, r, EntryFlags::NONE, r.as_bytes().to_vec())
            .unwrap();
    }
    for m in ["pkg", "pkg.sub", "pkg.sub.inner", "pkg.zed", "pkg2", "pkgx"] {
        b.add(EntryKind::Bytecode0, m, EntryFlags::NONE, m.as_bytes().to_vec())
            .unwrap();
    }
    let blob = b.to_vec();
    let res = PackedResources::parse(&blob).unwrap();
    let names = |kind, prefix| res.iter_prefix(kind, prefix).map(|e| e.name).collect::<Vec<_>>();

    assert_eq!(
        names(EntryKind::Resource, "pkg\0"),
        [
            "pkg\0a.txt",
            "pkg\0sub/b.txt",
            "pkg\0sub/deeper/c.txt",
            "pkg\0sub2/d.txt",
            "pkg\0subway.txt"
        ]
    );
    assert_eq!(
        names(EntryKind::Resource, "pkg\0sub/"),
        ["pkg\0sub/b.txt", "pkg\0sub/deeper/c.txt"]
    );
    assert_eq!(
        names(EntryKind::Resource, "pkg\0sub/deeper/"),
        ["pkg\0sub/deeper/c.txt"]
    );
    assert_eq!(names(EntryKind::Resource, "pkg.sub\0"), ["pkg.sub\0x.txt"]);
    assert!(names(EntryKind::Resource, "nope\0").is_empty());
    assert!(names(EntryKind::Resource, "pkg\0zzz/").is_empty());
    assert_eq!(names(EntryKind::Resource, "").len(), resources.len());
    assert_eq!(res.iter_kind(EntryKind::Resource).len(), resources.len());
    assert_eq!(res.iter_kind(EntryKind::Source).len(), 0);
    assert_eq!(res.iter_kind(EntryKind::Config).len(), 1);

    // Submodules for pkgutil.iter_modules: prefix scan, then keep direct children.
    assert_eq!(
        names(EntryKind::Bytecode0, "pkg."),
        ["pkg.sub", "pkg.sub.inner", "pkg.zed"]
    );
    let children: Vec<&str> = res
        .iter_prefix(EntryKind::Bytecode0, "pkg.")
        .map(|e| &e.name["pkg.".len()..])
        .filter(|rest| !rest.contains('.'))
        .collect();
    assert_eq!(children, ["sub", "zed"]);

    // Double-ended and exact-size.
    let mut it = res.iter_prefix(EntryKind::Resource, "pkg\0");
    assert_eq!(it.len(), 5);
    assert_eq!(it.next_back().unwrap().name, "pkg\0subway.txt");
    assert_eq!(it.next().unwrap().name, "pkg\0a.txt");
    assert_eq!(it.len(), 3);
    // Data travels with the name.
    for e in res.iter_kind(EntryKind::Resource) {
        assert_eq!(e.data, e.name.as_bytes());
    }
}

#[test]
fn zstd_entries_decompress() {
    let big: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 97).to_le_bytes()).collect();
    let tiny = b"ab".to_vec();
    let frame = zstd::bulk::compress(b"precompressed precompressed precompressed", 5).unwrap();

    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    assert!(
        b.add_compressed(EntryKind::Bytecode0, "big", EntryFlags::IS_PACKAGE, big.clone(), 19)
            .unwrap()
    );
    assert!(
        !b.add_compressed(EntryKind::Source, "tiny", EntryFlags::NONE, tiny.clone(), 3)
            .unwrap()
    );
    assert!(
        b.add_compressed(EntryKind::Resource, "p\0f.bin", EntryFlags::EXECUTABLE, big.clone(), 3)
            .unwrap()
    );
    b.add(EntryKind::Config, "pre", EntryFlags::ZSTD, frame.clone())
        .unwrap();
    // Kinds whose payload is a path cannot be compressed; ZSTD may not be passed in.
    assert!(
        b.add_compressed(EntryKind::Extension, "e", EntryFlags::NONE, b"x.so".to_vec(), 3)
            .is_err()
    );
    assert!(
        b.add_compressed(EntryKind::Source, "z", EntryFlags::ZSTD, big.clone(), 3)
            .is_err()
    );
    // A frame without content size, or two frames, is refused.
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    assert!(b.add(EntryKind::Config, "two", EntryFlags::ZSTD, two).is_err());

    let blob = b.to_vec();
    assert!(blob.len() < big.len() / 4, "compressed blob is small: {}", blob.len());
    let res = PackedResources::parse(&blob).unwrap();

    let e = res.get(EntryKind::Bytecode0, "big").unwrap();
    assert!(e.is_compressed() && e.is_package());
    assert!(e.data.len() < big.len());
    assert!(matches!(e.decompressed().unwrap(), Cow::Owned(ref v) if *v == big));

    let e = res.get(EntryKind::Source, "tiny").unwrap();
    assert!(!e.is_compressed());
    assert!(matches!(e.decompressed().unwrap(), Cow::Borrowed(d) if d == tiny));

    let e = res.get(EntryKind::Resource, "p\0f.bin").unwrap();
    assert_eq!(e.flags, EntryFlags::EXECUTABLE | EntryFlags::ZSTD);
    assert_eq!(e.decompressed().unwrap().as_ref(), &big[..]);

    let e = res.get(EntryKind::Config, "pre").unwrap();
    assert_eq!(
        e.decompressed().unwrap().as_ref(),
        b"precompressed precompressed precompressed"
    );

    // Compression is deterministic too.
    let mut b2 = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    b2.add(EntryKind::Config, "pre", EntryFlags::ZSTD, frame).unwrap();
    b2.add_compressed(EntryKind::Resource, "p\0f.bin", EntryFlags::EXECUTABLE, big.clone(), 3)
        .unwrap();
    b2.add_compressed(EntryKind::Source, "tiny", EntryFlags::NONE, tiny, 3)
        .unwrap();
    b2.add_compressed(EntryKind::Bytecode0, "big", EntryFlags::IS_PACKAGE, big, 19)
        .unwrap();
    assert_eq!(b2.to_vec(), blob);
}

#[test]
fn corrupt_zstd_payload_is_an_error_not_a_panic() {
    let big = vec![1u8; 100_000];
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    b.add_compressed(EntryKind::Bytecode0, "m", EntryFlags::NONE, big, 3)
        .unwrap();
    let blob = b.to_vec();
    let res = PackedResources::parse(&blob).unwrap();
    let data = res.get(EntryKind::Bytecode0, "m").unwrap().data;
    let start = data.as_ptr() as usize - blob.as_ptr() as usize;
    for i in 4..data.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = blob.clone();
            bad[start + i] ^= mask;
            let res = PackedResources::parse(&bad).expect("payload bytes are not validated by parse");
            let e = res.get(EntryKind::Bytecode0, "m").unwrap();
            if let Ok(out) = e.decompressed() {
                // zstd has no checksum here: a flip in a literal can go unnoticed,
                // but the size is always the recorded one.
                assert_eq!(out.len(), 100_000);
            }
        }
    }
}

#[test]
fn appended_blob_is_found_after_a_launcher() {
    let blob = build(&sample_entries());
    let mut launcher = b"\x7fELF".to_vec();
    let mut rng = Lcg(99);
    launcher.extend((0..10_001).map(|_| rng.next() as u8));

    let mut exe = launcher.clone();
    exe.extend_from_slice(&blob);
    exe.extend_from_slice(&append_trailer(blob.len() as u64));
    let found = find_appended(&exe).unwrap().expect("trailer present");
    assert_eq!(found, &blob[..]);
    assert_eq!(found.as_ptr() as usize - exe.as_ptr() as usize, launcher.len());
    let res = PackedResources::parse(found).unwrap();
    assert_eq!(res.get(EntryKind::Bytecode0, "os").unwrap().data, &[0x42; 1000][..]);
    assert_contained(&exe, &res);

    // A launcher without a blob.
    assert_eq!(find_appended(&launcher).unwrap(), None);
    // A stripped-then-truncated exe: the trailer claims more than the file holds.
    let cut = [&exe[exe.len() - 100..]].concat();
    assert!(matches!(find_appended(&cut), Err(FormatError::BadTrailer { .. })));
    // A trailer that points at something that is not a blob.
    let mut wrong = launcher.clone();
    wrong.extend_from_slice(&append_trailer(64));
    let inner = find_appended(&wrong).unwrap().unwrap();
    assert_eq!(PackedResources::parse(inner).unwrap_err(), FormatError::BadMagic);
}

/// A signed macOS executable: a thin 64-bit Mach-O whose `__LINKEDIT` ends
/// with `blob · trailer`, zero padding to 16 bytes, and the code signature
/// an `LC_CODE_SIGNATURE` load command points at.
#[test]
fn appended_blob_is_found_before_a_macho_code_signature() {
    let blob = build(&sample_entries());
    let mut exe = Vec::new();
    // mach_header_64: MH_MAGIC_64, CPU_TYPE_ARM64, subtype, MH_EXECUTE,
    // ncmds 1, sizeofcmds 16, flags, reserved.
    for v in [0xfeed_facf_u32, 0x0100_000c, 0, 2, 1, 16, 0, 0] {
        exe.extend_from_slice(&v.to_le_bytes());
    }
    let signature_cmd = exe.len();
    exe.extend_from_slice(&[0; 16]);
    let mut rng = Lcg(7);
    exe.extend((0..5_003).map(|_| rng.next() as u8));
    // Where the blob starts is chosen so that 8 bytes of padding follow the
    // trailer.
    let mut launcher_len = exe.len().next_multiple_of(16);
    if (launcher_len + blob.len()).is_multiple_of(16) {
        launcher_len += 8;
    }
    exe.resize(launcher_len, 0);
    exe.extend_from_slice(&blob);
    exe.extend_from_slice(&append_trailer(blob.len() as u64));
    let dataoff = exe.len().next_multiple_of(16);
    assert_eq!(dataoff - exe.len(), 8);
    exe.resize(dataoff, 0);
    exe.extend_from_slice(&[0xfa; 200]);
    for (i, v) in [0x1d_u32, 16, dataoff as u32, 200].into_iter().enumerate() {
        exe[signature_cmd + 4 * i..signature_cmd + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }

    let found = find_appended(&exe).unwrap().expect("trailer before the signature");
    assert_eq!(found, &blob[..]);
    assert_eq!(found.as_ptr() as usize - exe.as_ptr() as usize, launcher_len);
    let res = PackedResources::parse(found).unwrap();
    assert_eq!(res.get(EntryKind::Bytecode0, "os").unwrap().data, &[0x42; 1000][..]);

    // Without the LC_CODE_SIGNATURE command (an LC_UUID-sized no-op in its
    // place) nothing is found, as for any file not ending with a trailer.
    let mut unsigned = exe.clone();
    unsigned[signature_cmd..signature_cmd + 4].copy_from_slice(&0x1b_u32.to_le_bytes());
    assert_eq!(find_appended(&unsigned).unwrap(), None);
}

#[test]
fn error_messages() {
    let blob = build(&sample_entries());
    let count = (get_u64(&blob, 16) >> 32) as usize; // bytes 20..24
    assert_eq!(count, sample_entries().len() + 1);

    let msg = |bytes: &[u8]| PackedResources::parse(bytes).unwrap_err().to_string();

    let mut bad = blob.clone();
    bad[0] = b'X';
    assert_eq!(msg(&bad), "not an oxdist resources blob (bad magic)");

    let mut bad = blob.clone();
    put_u32(&mut bad, 8, 2);
    assert_eq!(
        msg(&bad),
        "format version 2 is newer than this runtime supports (1); rebuild the executable with a matching oxdist"
    );
    put_u32(&mut bad, 8, 0);
    assert!(msg(&bad).contains("version 0"));

    let mut bad = blob.clone();
    put_u32(&mut bad, 12, 1);
    assert!(msg(&bad).contains("header flags 0x1"));

    let mut bad = blob.clone();
    bad[18] = 0;
    assert!(msg(&bad).contains("MAGIC_NUMBER"));

    let cut = &blob[..blob.len() - 8];
    assert_eq!(
        msg(cut),
        format!(
            "truncated: section data ends at {} but the blob is {} bytes",
            blob.len(),
            blob.len() - 8
        )
    );
    assert_eq!(
        msg(&blob[..40]),
        "truncated: section header ends at 64 but the blob is 40 bytes"
    );
    let cut = &blob[..HEADER_LEN + 10];
    assert!(msg(cut).starts_with("truncated: section index ends at"), "{}", msg(cut));

    let mut longer = blob.clone();
    longer.extend_from_slice(&[0; 8]);
    assert!(msg(&longer).contains("8 bytes follow the data section"));

    // Swap the first two index records: keys out of order.
    let mut bad = blob.clone();
    let (a, b) = (HEADER_LEN, HEADER_LEN + INDEX_RECORD_LEN);
    let first: Vec<u8> = bad[a..b].to_vec();
    bad.copy_within(b..b + INDEX_RECORD_LEN, a);
    bad[b..b + INDEX_RECORD_LEN].copy_from_slice(&first);
    assert_eq!(
        msg(&bad),
        "index entry 1 is out of order: \"b0:json\" sorts before the previous key \"b0:json.decoder\""
    );

    // Record 1 pointing at record 0's key: duplicate.
    let mut bad = blob.clone();
    bad.copy_within(a..a + 8, b);
    assert_eq!(msg(&bad), "index entry 1 duplicates the previous key \"b0:json\"");

    // Unknown flag bit.
    let mut bad = blob.clone();
    put_u32(&mut bad, b + 8, 1 << 7);
    assert!(msg(&bad).contains("unknown flag bits 0x80"), "{}", msg(&bad));
    // EXECUTABLE on a module.
    put_u32(&mut bad, b + 8, EntryFlags::EXECUTABLE.bits());
    assert!(msg(&bad).contains("not allowed for b0: entries"), "{}", msg(&bad));
    // ZSTD on something that is not a frame: parse does not read payloads,
    // decompression refuses it.
    put_u32(&mut bad, b + 8, EntryFlags::ZSTD.bits());
    let res = PackedResources::parse(&bad).unwrap();
    let err = res
        .get(EntryKind::Bytecode0, "json.decoder")
        .unwrap()
        .decompressed()
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("entry \"b0:json.decoder\": cannot decompress"),
        "{err}"
    );
    // Reserved field.
    let mut bad = blob.clone();
    put_u32(&mut bad, b + 12, 1);
    assert!(msg(&bad).contains("reserved"));
    // Payload out of bounds.
    let mut bad = blob.clone();
    put_u64(&mut bad, b + 24, u64::MAX);
    assert!(msg(&bad).contains("outside the data section"), "{}", msg(&bad));
    // Misaligned payload.
    let mut bad = blob.clone();
    put_u64(&mut bad, b + 16, 3);
    assert!(msg(&bad).contains("not 8-byte aligned"), "{}", msg(&bad));
    // Key out of bounds.
    let mut bad = blob.clone();
    put_u32(&mut bad, b, u32::MAX);
    assert!(msg(&bad).contains("outside the keys section"), "{}", msg(&bad));

    // A blob without the cache tag entry (hand-made: drop it from the index).
    let res = PackedResources::parse(&blob).unwrap();
    let tag_pos = res
        .iter()
        .position(|e| e.kind == EntryKind::Config && e.name == "cache_tag")
        .unwrap();
    let mut bad = blob.clone();
    let at = HEADER_LEN + tag_pos * INDEX_RECORD_LEN;
    // Rename the key "c:cache_tag" in place to "c:cache_taf" (still sorted).
    let key_off = u32::from_le_bytes(bad[at..at + 4].try_into().unwrap()) as usize;
    let keys_offset = get_u64(&blob, 32) as usize;
    bad[keys_offset + key_off + CACHE_TAG_KEY.len() - 1] = b'f';
    assert_eq!(msg(&bad), "the blob has no `c:cache_tag` entry (corrupt blob)");

    // Python mismatch.
    let err = res.check_python([0xcb, 0x0d, 0x0d, 0x0a], "cpython-312").unwrap_err();
    assert!(
        err.to_string().starts_with("the resources were built for cpython-311"),
        "{err}"
    );
}

#[test]
fn builder_errors_name_the_entry() {
    let mut b = PackedResourcesBuilder::new(MAGIC311, "cpython-311").unwrap();
    b.add(EntryKind::Resource, "pkg\0a.txt", EntryFlags::NONE, b"a".to_vec())
        .unwrap();
    let err = b
        .add(EntryKind::Resource, "pkg\0a.txt", EntryFlags::NONE, b"b".to_vec())
        .unwrap_err();
    assert_eq!(err.to_string(), "duplicate entry \"r:pkg\\0a.txt\"");
    let err = b
        .add(EntryKind::Resource, "pkg\0../evil", EntryFlags::NONE, Vec::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid name for r: entry \"pkg\\0../evil\": '.' and '..' components are not allowed"
    );
    let err = b
        .add(EntryKind::DistMetadata, "METADATA", EntryFlags::NONE, Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("NUL separator missing"), "{err}");
    let err = b
        .add(EntryKind::Source, "a\0b", EntryFlags::NONE, Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("cannot contain NUL"), "{err}");
    let err = b.add(EntryKind::Source, "", EntryFlags::NONE, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

/// Checks that parsing `bytes` never panics and that a success only hands out
/// in-bounds slices.
fn parse_must_not_misbehave(bytes: &[u8]) -> bool {
    match PackedResources::parse(bytes) {
        Ok(res) => {
            assert_contained(bytes, &res);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

#[test]
fn corruption_never_panics() {
    let mut entries = sample_entries();
    entries.push((
        EntryKind::Bytecode0,
        "zzz",
        EntryFlags::ZSTD,
        zstd::bulk::compress(&[5u8; 5000], 3).unwrap(),
    ));
    let blob = build(&entries);
    let res = PackedResources::parse(&blob).unwrap();
    let structure_end = get_u64(&blob, 48) as usize; // header + index + keys
    assert!(structure_end > HEADER_LEN + res.len() * INDEX_RECORD_LEN);

    let mut accepted = 0;
    let mut total = 0;
    // Every byte of the header, index and keys, with several masks.
    for pos in 0..structure_end {
        for mask in [0x01u8, 0x02, 0x10, 0x80, 0xff] {
            let mut bad = blob.clone();
            bad[pos] ^= mask;
            accepted += parse_must_not_misbehave(&bad) as usize;
            total += 1;
        }
        // Extreme values written over each aligned field.
        if pos % 4 == 0 && pos + 8 <= structure_end {
            for v in [
                0u64,
                1,
                7,
                8,
                u32::MAX as u64,
                u64::MAX,
                blob.len() as u64,
                blob.len() as u64 - 8,
            ] {
                let mut bad = blob.clone();
                put_u64(&mut bad, pos, v);
                accepted += parse_must_not_misbehave(&bad) as usize;
                let mut bad = blob.clone();
                put_u32(&mut bad, pos, v as u32);
                accepted += parse_must_not_misbehave(&bad) as usize;
                total += 2;
            }
        }
    }
    // Every truncation.
    for len in 0..blob.len() {
        assert!(!parse_must_not_misbehave(&blob[..len]), "truncated to {len} must fail");
        total += 1;
    }
    // Random multi-byte corruption anywhere, fixed seed.
    let mut rng = Lcg(0x5eed);
    for _ in 0..20_000 {
        let mut bad = blob.clone();
        for _ in 0..1 + rng.below(4) {
            let pos = rng.below(bad.len());
            bad[pos] = rng.next() as u8;
        }
        if rng.below(10) == 0 {
            let keep = rng.below(bad.len());
            bad.truncate(keep);
        }
        accepted += parse_must_not_misbehave(&bad) as usize;
        total += 1;
    }
    // Plenty of corruptions are caught; the ones accepted are harmless.
    eprintln!("corruptions tried: {total}, parsed anyway (harmlessly): {accepted}");
    assert!(accepted < total, "{accepted} of {total} accepted");
}
