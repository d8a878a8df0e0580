//! Integration tests of `write_archive`, checked with the real tools users
//! extract archives with (GNU tar, gzip, xz, zstd, unzip/zipinfo) rather than
//! with a reader from this crate's own dependencies.
//!
//! A missing tool is a test failure that names the Debian package to install,
//! never a silent skip.
//!
//! Unix only: the oracles are Unix tools and the fixture has symbolic links
//! and permission bits.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::command;
use oxdist_installers::archive::{ArchiveFormat, ArchiveOptions, write_archive};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath};

const ROOT: &str = "hello-1.0-x86_64-unknown-linux-gnu";

// ---------------------------------------------------------------------------
// Running the oracle tools
// ---------------------------------------------------------------------------

/// `(program, Debian package)` for every tool these tests run.
const TOOLS: &[(&str, &str)] = &[
    ("tar", "tar"),
    ("gzip", "gzip"),
    ("xz", "xz-utils"),
    ("zstd", "zstd"),
    ("unzip", "unzip"),
];

fn package_of(program: &str) -> &'static str {
    TOOLS
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, pkg)| *pkg)
        .unwrap_or("?")
}

/// Runs `cmd` (made with [`command`]), failing the test unless it exits
/// successfully; a missing program names the Debian package to install.
/// Returns stdout.
fn run(cmd: &mut Command) -> String {
    let program = cmd.get_program().to_string_lossy().into_owned();
    common::run(cmd, package_of(&program))
}

/// Checks that the tar on PATH is GNU tar (the listing format and
/// `--full-time` below are GNU tar's).
fn require_gnu_tar() {
    let version = run(command("tar").arg("--version"));
    assert!(
        version.contains("GNU tar"),
        "these tests need GNU tar (`apt-get install -y tar`), found:\n{version}"
    );
}

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

/// What one path of the archive should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    Dir,
    File { bytes: Vec<u8>, mode: u32 },
    Symlink(String),
}

struct Fixture {
    /// Holds the source files; removed on drop.
    _src: tempfile::TempDir,
    manifest: FileManifest,
    /// Every member of the archive, keyed by its path inside the archive
    /// (starting with `ROOT`), directories included.
    expected: BTreeMap<String, Expect>,
}

/// A directory name of 40 characters, so that nested paths pass the 100-byte
/// limit of a tar header's name field.
const LONG_DIR: &str = "a_rather_long_directory_name_0123456789_";

fn long_file_path() -> String {
    format!("deep/{LONG_DIR}/{LONG_DIR}/{LONG_DIR}/the_file_at_the_bottom.txt")
}

/// Text whose archive path (`ROOT/` + it) is exactly `len` bytes long.
fn path_of_archive_len(prefix: &str, len: usize) -> String {
    let used = ROOT.len() + 1 + prefix.len();
    format!("{prefix}{}", "x".repeat(len - used))
}

/// Collects a manifest and what each of its paths should hold.
struct Builder {
    src: tempfile::TempDir,
    manifest: FileManifest,
    files: BTreeMap<String, Expect>,
}

impl Builder {
    /// A file written under the source directory with permission bits `mode`,
    /// then added with `FileManifest::add_path` (read when the archive is
    /// written). Installed modes are 0755 for anything executable, else 0644.
    fn disk(&mut self, rel: &str, bytes: &[u8], mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let root = self.src.path();
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        self.manifest.add_path(&path, root, false).unwrap();
        let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
        let bytes = bytes.to_vec();
        self.files.insert(rel.into(), Expect::File { bytes, mode });
    }

    /// A file held in memory (`FileEntry::from_bytes`).
    fn memory(&mut self, rel: &str, bytes: &[u8], executable: bool) {
        let entry = FileEntry::from_bytes(bytes.to_vec(), executable, "test");
        let path = ManifestPath::new(rel).unwrap();
        self.manifest.add_file(path, entry).unwrap();
        let mode = if executable { 0o755 } else { 0o644 };
        let bytes = bytes.to_vec();
        self.files.insert(rel.into(), Expect::File { bytes, mode });
    }

    /// A real symbolic link in the source directory, added with `add_path`.
    fn disk_link(&mut self, rel: &str, target: &str) {
        let root = self.src.path();
        std::os::unix::fs::symlink(target, root.join(rel)).unwrap();
        self.manifest.add_path(&root.join(rel), root, false).unwrap();
        self.files.insert(rel.into(), Expect::Symlink(target.into()));
    }

    /// A symbolic link declared directly (`ManifestEntry::Symlink`).
    fn link(&mut self, rel: &str, target: &str) {
        let entry = ManifestEntry::Symlink {
            target: target.into(),
            origin: "test".into(),
        };
        self.manifest.add(ManifestPath::new(rel).unwrap(), entry).unwrap();
        self.files.insert(rel.into(), Expect::Symlink(target.into()));
    }
}

fn fixture() -> Fixture {
    let mut b = Builder {
        src: tempfile::tempdir().unwrap(),
        manifest: FileManifest::new(),
        files: BTreeMap::new(),
    };
    // A regular file and an executable one; the executable bit comes from the
    // source file's mode. The source modes are unusual (0600, 0700) to show
    // that only the executable bit is kept.
    b.disk("README.txt", b"hello, world\n", 0o600);
    b.disk("bin/tool", b"#!/bin/sh\necho hello\n", 0o700);
    // Binary content with every byte value, nested three directories deep.
    let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    b.disk("lib/python3/pkg/data.bin", &binary, 0o644);
    b.disk("lib/python3/pkg/__init__.py", b"", 0o644);
    // A path longer than the 100 bytes of a tar name field (GNU long name),
    // below directories whose own paths are longer than 100 bytes too.
    b.disk(&long_file_path(), b"deep down\n", 0o644);
    // Paths of exactly 99, 100 and 101 bytes inside the archive: the edge of
    // the name field (100 bytes fit without a terminating NUL).
    for len in [99, 100, 101] {
        let path = path_of_archive_len("edge/", len);
        b.disk(&path, format!("{len}\n").as_bytes(), 0o644);
    }
    // A directory whose member name (with its trailing '/') is exactly 100 bytes.
    let edge_dir = path_of_archive_len("edgedir/", 99);
    b.disk(&format!("{edge_dir}/f"), b"f\n", 0o644);
    // Non-ASCII UTF-8 names.
    b.disk("données/café ünï 日本語.txt", "naïve\n".as_bytes(), 0o644);

    // In-memory files.
    b.memory("etc/config.toml", b"[settings]\nverbose = true\n", false);
    b.memory("bin/from-memory", b"#!/bin/sh\nexec true\n", true);
    // "lib.txt" sorts between "lib" and "lib/…" as plain strings ('.' < '/'),
    // but after everything in "lib/" component by component.
    b.memory("lib.txt", b"xxx", false);

    // A relative symbolic link on disk, and links declared directly: one to a
    // directory, one whose target is longer than 100 bytes (GNU long link name).
    b.disk_link("bin/tool-link", "tool");
    b.link("lib/current", "python3/pkg");
    b.link("shortcut", &long_file_path());

    let Builder { src, manifest, files } = b;
    let mut expected = BTreeMap::new();
    expected.insert(ROOT.to_string(), Expect::Dir);
    for (path, entry) in files {
        for (slash, _) in path.match_indices('/') {
            expected.insert(format!("{ROOT}/{}", &path[..slash]), Expect::Dir);
        }
        expected.insert(format!("{ROOT}/{path}"), entry);
    }
    let long_dirs = expected.iter().filter(|(k, e)| k.len() > 100 && **e == Expect::Dir);
    assert!(long_dirs.count() > 0, "the fixture has directories with long names");
    Fixture {
        _src: src,
        manifest,
        expected,
    }
}

fn options(mtime: Timestamp, threads: u32) -> ArchiveOptions {
    ArchiveOptions {
        root_dir: ROOT.to_string(),
        mtime,
        threads,
    }
}

/// 1980-01-01 00:00:00 UTC, and a recent time with non-zero fields.
const TIMES: [(Timestamp, &str); 2] = [
    (Timestamp::DEFAULT, "1980-01-01 00:00:00"),
    (Timestamp(1_700_000_000), "2023-11-14 22:13:20"),
];

// ---------------------------------------------------------------------------
// Checking listings and extracted trees
// ---------------------------------------------------------------------------

fn mode_string(expect: &Expect) -> &'static str {
    match expect {
        Expect::Dir => "drwxr-xr-x",
        Expect::File { mode: 0o755, .. } => "-rwxr-xr-x",
        Expect::File { mode: 0o644, .. } => "-rw-r--r--",
        Expect::File { mode, .. } => panic!("unexpected mode {mode:o}"),
        Expect::Symlink(_) => "lrwxrwxrwx",
    }
}

/// Members must be sorted component by component, so that every directory
/// comes right before its contents, and everything must sit below `ROOT`.
fn assert_order(names: &[String]) {
    assert_eq!(
        names.first().map(String::as_str),
        Some(ROOT),
        "the root directory comes first"
    );
    for name in names {
        assert!(
            name == ROOT || name.starts_with(&format!("{ROOT}/")),
            "{name:?} is outside {ROOT}/"
        );
    }
    for pair in names.windows(2) {
        assert!(
            pair[0].split('/').lt(pair[1].split('/')),
            "{:?} is listed before {:?}",
            pair[0],
            pair[1]
        );
    }
    for (i, name) in names.iter().enumerate() {
        if let Some((parent, _)) = name.rsplit_once('/') {
            assert!(
                names[..i].iter().any(|n| n == parent),
                "{name:?} is listed before its directory {parent:?}"
            );
        }
    }
}

/// Splits the first `n` blank-separated fields off `line`; returns them and
/// the rest of the line after the single space that follows the last one.
fn split_fields(line: &str, n: usize) -> (Vec<&str>, &str) {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line;
    for _ in 0..n {
        rest = rest.trim_start_matches(' ');
        let end = rest.find(' ').unwrap_or_else(|| panic!("too few fields in {line:?}"));
        fields.push(&rest[..end]);
        rest = &rest[end..];
    }
    (
        fields,
        rest.strip_prefix(' ').unwrap_or_else(|| panic!("no name in {line:?}")),
    )
}

/// Checks `tar -tv --full-time --numeric-owner` output against `expected`.
fn check_tar_listing(listing: &str, expected: &BTreeMap<String, Expect>, time: &str) {
    let mut names = Vec::new();
    for line in listing.lines() {
        // drwxr-xr-x 0/0               0 1980-01-01 00:00:00 root/dir/
        let (fields, rest) = split_fields(line, 5);
        let (mode, owner, size, date, clock) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
        let (name, link) = match rest.split_once(" -> ") {
            Some((name, link)) => (name, Some(link)),
            None => (rest, None),
        };
        let is_dir = name.ends_with('/');
        let name = name.trim_end_matches('/').to_string();
        let expect = expected
            .get(&name)
            .unwrap_or_else(|| panic!("unexpected member {name:?} in\n{listing}"));
        assert_eq!(owner, "0/0", "owner of {name}");
        assert_eq!(format!("{date} {clock}"), time, "mtime of {name}");
        assert_eq!(mode, mode_string(expect), "mode of {name}");
        match expect {
            Expect::Dir => assert!(is_dir && size == "0" && link.is_none(), "directory {name}: {line}"),
            Expect::File { bytes, .. } => {
                assert!(!is_dir && link.is_none(), "file {name}: {line}");
                assert_eq!(size, bytes.len().to_string(), "size of {name}");
            }
            Expect::Symlink(target) => {
                assert!(!is_dir && size == "0", "symbolic link {name}: {line}");
                assert_eq!(link, Some(target.as_str()), "target of {name}");
            }
        }
        names.push(name);
    }
    assert_eq!(names.len(), expected.len(), "member count in\n{listing}");
    assert_order(&names);
}

/// Checks `unzip -Z -T` (zipinfo, short format, sortable times) output.
fn check_zip_listing(listing: &str, expected: &BTreeMap<String, Expect>, time: &str) {
    let time = time.replace(['-', ':'], "").replace(' ', ".");
    let mut names = Vec::new();
    let mut lines = listing.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("Archive:")), "{listing}");
    assert!(
        lines.next().is_some_and(|l| l.starts_with("Zip file size:")),
        "{listing}"
    );
    let summary = lines.next_back().unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{} files,", expected.len())),
        "member count in\n{listing}"
    );
    for line in lines {
        // -rw-r--r--  3.0 unx       13 tx defN 19800101.000000 root/README.txt
        let (fields, name) = split_fields(line, 7);
        let (mode, os, size, stamp) = (fields[0], fields[2], fields[3], fields[6]);
        let is_dir = name.ends_with('/');
        let name = name.trim_end_matches('/').to_string();
        let expect = expected
            .get(&name)
            .unwrap_or_else(|| panic!("unexpected member {name:?} in\n{listing}"));
        assert_eq!(os, "unx", "{name} must carry Unix permissions: {line}");
        assert_eq!(stamp, time, "mtime of {name}");
        assert_eq!(mode, mode_string(expect), "mode of {name}");
        match expect {
            Expect::Dir => assert!(is_dir, "directory {name}: {line}"),
            Expect::File { bytes, .. } => {
                assert!(!is_dir, "file {name}: {line}");
                assert_eq!(size, bytes.len().to_string(), "size of {name}");
            }
            // A zip symbolic link stores its target as the member's data.
            Expect::Symlink(target) => {
                assert_eq!(size, target.len().to_string(), "size of link {name}")
            }
        }
        names.push(name);
    }
    assert_eq!(names.len(), expected.len(), "member count in\n{listing}");
    assert_order(&names);
}

/// Reads back an extracted tree: every directory, file (bytes and permission
/// bits) and symbolic link below `dir`, keyed by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Expect> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Expect>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_str()
                .expect("UTF-8 name")
                .to_string();
            let meta = fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap().to_str().unwrap().to_string();
                out.insert(rel, Expect::Symlink(target));
            } else if meta.is_dir() {
                assert_eq!(mode, 0o755, "extracted directory {rel} has mode {mode:o}");
                out.insert(rel, Expect::Dir);
                walk(base, &path, out);
            } else {
                out.insert(
                    rel,
                    Expect::File {
                        bytes: fs::read(&path).unwrap(),
                        mode,
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_tree(actual: &BTreeMap<String, Expect>, expected: &BTreeMap<String, Expect>) {
    let missing: Vec<_> = expected.keys().filter(|k| !actual.contains_key(*k)).collect();
    let extra: Vec<_> = actual.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing after extraction: {missing:?}; unexpected: {extra:?}"
    );
    for (path, expect) in expected {
        assert!(
            actual[path] == *expect,
            "{path}: extracted {:?}, expected {expect:?}",
            actual[path]
        );
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

fn build(manifest: &FileManifest, format: ArchiveFormat, options: &ArchiveOptions, dir: &Path) -> PathBuf {
    let dest = dir.join(format!("{ROOT}.{}", format.extension()));
    write_archive(manifest, format, options, &dest).unwrap_or_else(|e| panic!("writing {format}: {e}"));
    dest
}

/// GNU tar's flag for a compressed format, and the compressor that tests it.
fn tar_codec(format: ArchiveFormat) -> (&'static str, &'static str) {
    match format {
        ArchiveFormat::TarGz => ("--gzip", "gzip"),
        ArchiveFormat::TarXz => ("--xz", "xz"),
        ArchiveFormat::TarZst => ("--zstd", "zstd"),
        ArchiveFormat::Zip => unreachable!(),
    }
}

fn check_tar_format(format: ArchiveFormat) {
    require_gnu_tar();
    let fixture = fixture();
    let (flag, compressor) = tar_codec(format);
    for (mtime, time) in TIMES {
        let out = tempfile::tempdir().unwrap();
        let archive = build(&fixture.manifest, format, &options(mtime, 2), out.path());
        // The compressed stream is intact (and its checksum, for xz and zstd, matches).
        run(command(compressor).arg("-t").arg("-q").arg(&archive));
        let listing = run(command("tar")
            .args([
                "-tv",
                "--full-time",
                "--numeric-owner",
                "--quoting-style=literal",
                flag,
                "-f",
            ])
            .arg(&archive));
        check_tar_listing(&listing, &fixture.expected, time);
        // Without --numeric-owner, tar shows user and group names; empty
        // names make it fall back to the numbers.
        let named = run(command("tar").args(["-tv", flag, "-f"]).arg(&archive));
        for line in named.lines() {
            assert_eq!(split_fields(line, 2).0[1], "0/0", "owner names must be empty: {line}");
        }
        let extracted = tempfile::tempdir().unwrap();
        run(command("tar")
            .args(["-x", flag, "-f"])
            .arg(&archive)
            .arg("-C")
            .arg(extracted.path()));
        assert_same_tree(&read_tree(extracted.path()), &fixture.expected);
    }
}

#[test]
fn tar_gz_lists_tests_and_extracts_as_expected() {
    check_tar_format(ArchiveFormat::TarGz);
}

#[test]
fn tar_xz_lists_tests_and_extracts_as_expected() {
    check_tar_format(ArchiveFormat::TarXz);
}

#[test]
fn tar_zst_lists_tests_and_extracts_as_expected() {
    check_tar_format(ArchiveFormat::TarZst);
}

#[test]
fn zip_lists_tests_and_extracts_as_expected() {
    let fixture = fixture();
    for (mtime, time) in TIMES {
        let out = tempfile::tempdir().unwrap();
        let archive = build(&fixture.manifest, ArchiveFormat::Zip, &options(mtime, 2), out.path());
        let tested = run(command("unzip").arg("-t").arg(&archive));
        assert!(tested.contains("No errors detected"), "{tested}");
        let listing = run(command("unzip").args(["-Z", "-T"]).arg(&archive));
        check_zip_listing(&listing, &fixture.expected, time);
        let extracted = tempfile::tempdir().unwrap();
        run(command("unzip").arg("-q").arg(&archive).arg("-d").arg(extracted.path()));
        assert_same_tree(&read_tree(extracted.path()), &fixture.expected);
    }
}

#[test]
fn compressor_headers_carry_no_time_and_checksums_are_on() {
    let fixture = fixture();
    let out = tempfile::tempdir().unwrap();
    let opts = options(Timestamp(1_700_000_000), 2);
    // gzip: `gzip -lv` prints the header's time, which must be the epoch
    // (MTIME = 0, "no time stamp"), whatever the archive's timestamp.
    let gz = build(&fixture.manifest, ArchiveFormat::TarGz, &opts, out.path());
    let bytes = fs::read(&gz).unwrap();
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip MTIME field");
    assert_eq!(bytes[3] & 0x08, 0, "no file name in the gzip header");
    run(command("gzip").args(["-t"]).arg(&gz));
    let xz = build(&fixture.manifest, ArchiveFormat::TarXz, &opts, out.path());
    let info = run(command("xz").args(["--list", "--robot"]).arg(&xz));
    assert!(
        info.lines().any(|l| l.starts_with("file\t") && l.contains("\tCRC64\t")),
        "xz check:\n{info}"
    );
    let zst = build(&fixture.manifest, ArchiveFormat::TarZst, &opts, out.path());
    let info = run(command("zstd").args(["-l", "-v"]).arg(&zst));
    assert!(info.contains("Check: XXH64"), "zstd checksum:\n{info}");
}

#[test]
fn every_format_is_byte_identical_when_built_twice() {
    // The second build uses a fresh copy of the sources: other paths, other
    // file times. Neither may reach the archive.
    let first = fixture();
    let second = fixture();
    for format in ArchiveFormat::ALL {
        for (mtime, _) in TIMES {
            let out = tempfile::tempdir().unwrap();
            let a = build(&first.manifest, format, &options(mtime, 2), &out.path().join("a"));
            let b = build(&first.manifest, format, &options(mtime, 2), &out.path().join("b"));
            let c = build(&second.manifest, format, &options(mtime, 2), &out.path().join("c"));
            let a = fs::read(a).unwrap();
            assert!(a == fs::read(b).unwrap(), "{format}: two builds differ");
            assert!(
                a == fs::read(c).unwrap(),
                "{format}: builds from two copies of the sources differ"
            );
        }
    }
}

/// Deterministic data that xz compresses quickly (preset 6 is slow on most
/// real data, and this test needs tens of megabytes): zeros with 4 KiB of
/// pseudo-random bytes every 128 KiB.
fn sparse_data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = vec![0u8; len];
    for chunk in out.chunks_mut(128 << 10) {
        for byte in chunk.iter_mut().take(4 << 10) {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            *byte = (state >> 56) as u8;
        }
    }
    out
}

#[test]
fn xz_and_zstd_output_does_not_depend_on_thread_count() {
    // Large enough for several zstd jobs and two xz blocks (liblzma's
    // multithreaded encoder cuts blocks of 3 × the 8 MiB dictionary of
    // preset 6), so that the workers really split the work.
    let mut manifest = FileManifest::new();
    for (i, len) in [(0, 20 << 20), (1, 9 << 20)] {
        let entry = FileEntry::from_bytes(sparse_data(len, i), false, "test");
        manifest
            .add_file(ManifestPath::new(&format!("big/{i}.txt")).unwrap(), entry)
            .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    // xz is slow enough that two builds are all this test affords.
    let cases: [(ArchiveFormat, &[u32]); 2] = [(ArchiveFormat::TarXz, &[1, 2]), (ArchiveFormat::TarZst, &[1, 2, 3])];
    for (format, thread_counts) in cases {
        let builds: Vec<(u32, Vec<u8>)> = thread_counts
            .iter()
            .copied()
            .map(|threads| {
                let dir = out.path().join(format!("{format}-{threads}"));
                (
                    threads,
                    fs::read(build(&manifest, format, &options(Timestamp::DEFAULT, threads), &dir)).unwrap(),
                )
            })
            .collect();
        for (threads, bytes) in &builds[1..] {
            assert!(
                *bytes == builds[0].1,
                "{format}: threads={threads} gives {} bytes, threads=1 gives {} bytes",
                bytes.len(),
                builds[0].1.len()
            );
        }
        let archive = out
            .path()
            .join(format!("{format}-1"))
            .join(format!("{ROOT}.{}", format.extension()));
        let (flag, compressor) = tar_codec(format);
        run(command(compressor).arg("-t").arg("-q").arg(&archive));
        if format == ArchiveFormat::TarXz {
            let info = run(command("xz").args(["--list", "--robot"]).arg(&archive));
            let blocks: u64 = info
                .lines()
                .find_map(|l| l.strip_prefix("totals\t"))
                .and_then(|l| l.split('\t').nth(1))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no block count in\n{info}"));
            assert!(
                blocks >= 2,
                "the xz stream has {blocks} block(s); the test needs several:\n{info}"
            );
        }
        let listing = run(command("tar").args(["-t", flag, "-f"]).arg(&archive));
        assert_eq!(listing.lines().count(), 4, "{listing}");
    }
}

#[test]
fn missing_source_file_fails_naming_it_and_leaves_nothing_behind() {
    let src = tempfile::tempdir().unwrap();
    fs::write(src.path().join("present.txt"), b"here\n").unwrap();
    let missing = src.path().join("not-there.bin");
    let mut manifest = FileManifest::new();
    // The missing file sorts last, so the writer has already written part of
    // the archive when it fails.
    let present = FileEntry::from_path(src.path().join("present.txt"), false);
    manifest
        .add_file(ManifestPath::new("a/present.txt").unwrap(), present)
        .unwrap();
    manifest
        .add_file(
            ManifestPath::new("z/not-there.bin").unwrap(),
            FileEntry::from_path(&missing, false),
        )
        .unwrap();
    for format in ArchiveFormat::ALL {
        for existing in [None, Some(&b"previous artifact"[..])] {
            let out = tempfile::tempdir().unwrap();
            let dest = out.path().join(format!("{ROOT}.{}", format.extension()));
            if let Some(old) = existing {
                fs::write(&dest, old).unwrap();
            }
            let err = write_archive(&manifest, format, &options(Timestamp::DEFAULT, 2), &dest)
                .expect_err("a missing source file must fail the build");
            let message = err.to_string();
            assert!(
                message.contains(missing.to_str().unwrap()),
                "{format}: error does not name the file: {message}"
            );
            let left: Vec<String> = fs::read_dir(out.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            match existing {
                None => assert!(left.is_empty(), "{format}: left behind {left:?}"),
                Some(old) => {
                    assert_eq!(
                        left,
                        [dest.file_name().unwrap().to_str().unwrap()],
                        "{format}: left behind {left:?}"
                    );
                    assert_eq!(
                        fs::read(&dest).unwrap(),
                        old,
                        "{format}: the previous artifact was changed"
                    );
                }
            }
        }
    }
}

#[test]
fn root_dir_must_be_a_single_directory_name() {
    let mut manifest = FileManifest::new();
    let entry = FileEntry::from_bytes(b"x".to_vec(), false, "test");
    manifest.add_file(ManifestPath::new("f.txt").unwrap(), entry).unwrap();
    // Each would put entries outside one top-level directory: zip writers
    // take such names as they are ("/f.txt", "../evil/f.txt").
    for root in ["", ".", "..", "../evil", "/abs", "a/b", "./x", "a\\b", "a\0b"] {
        for format in ArchiveFormat::ALL {
            let out = tempfile::tempdir().unwrap();
            let dest = out.path().join(format!("out.{}", format.extension()));
            let opts = ArchiveOptions {
                root_dir: root.to_string(),
                mtime: Timestamp::DEFAULT,
                threads: 1,
            };
            let err = write_archive(&manifest, format, &opts, &dest)
                .expect_err(&format!("{format}: root_dir {root:?} must be refused"));
            let message = err.to_string();
            assert!(
                message.contains("root directory") && message.contains(&format!("{root:?}")),
                "{format}: {message}"
            );
            assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0, "{format}: {root:?}");
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn tar_refuses_a_file_that_is_shorter_than_its_size() {
    // sysfs files claim 4096 bytes and hold a few: like a file that shrinks
    // between the header being written and its data being read. Padding the
    // data would shift every following member; the writer must fail instead.
    let source = Path::new("/sys/devices/system/cpu/online");
    let claimed = fs::metadata(source)
        .unwrap_or_else(|e| panic!("this test needs sysfs mounted at /sys: {e}"))
        .len();
    let actual = fs::read(source).unwrap().len() as u64;
    assert!(
        actual < claimed,
        "{} is no longer shorter than its size",
        source.display()
    );
    let mut manifest = FileManifest::new();
    let entry = FileEntry::from_path(source, false);
    manifest.add_file(ManifestPath::new("online").unwrap(), entry).unwrap();
    for format in [ArchiveFormat::TarGz, ArchiveFormat::TarXz, ArchiveFormat::TarZst] {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join(format!("out.{}", format.extension()));
        let err = write_archive(&manifest, format, &options(Timestamp::DEFAULT, 1), &dest)
            .expect_err("a short read must fail");
        let message = err.to_string();
        assert!(
            message.contains(source.to_str().unwrap()) && message.contains("changed while being archived"),
            "{format}: {message}"
        );
        assert_eq!(
            fs::read_dir(out.path()).unwrap().count(),
            0,
            "{format}: left files behind"
        );
    }
    // A zip stores what it read, with the size it read: the archive is sound.
    let out = tempfile::tempdir().unwrap();
    let archive = build(
        &manifest,
        ArchiveFormat::Zip,
        &options(Timestamp::DEFAULT, 1),
        out.path(),
    );
    run(command("unzip").arg("-tq").arg(&archive));
}
