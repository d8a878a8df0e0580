//! macOS universal binaries and `.app` bundles, checked on real Mach-O
//! files from pinned PyPI wheels:
//!
//! | input | wheel | Mach-O |
//! |---|---|---|
//! | thin x86_64 | `markupsafe==2.1.5`, `macosx_10_9_x86_64` | `_speedups` bundle (MH_BUNDLE) |
//! | thin arm64 | `markupsafe==3.0.2`, `macosx_11_0_arm64` (2.1.5 has no thin arm64 wheel for 3.11) | `_speedups` bundle |
//! | universal (made by Apple's `lipo`) | `markupsafe==2.1.5`, `macosx_10_9_universal2` | `_speedups` bundle, x86_64 + arm64 |
//! | universal executable | `ninja==1.11.1.1` (universal2) | `ninja` (MH_EXECUTE), x86_64 + arm64 |
//!
//! Oracles: 7-Zip (`7zz l -slt` lists a universal binary's slices with
//! their offsets and alignment, `7zz e` extracts them), goblin (parses
//! the fat header and every slice), the universal2 wheel's own file (split
//! and merged again, it must come back byte for byte: the layout is
//! `lipo`'s), Python's `plistlib` (reads Info.plist), and insta snapshots of
//! Info.plist and of the bundle's paths and modes. Missing tools fail the
//! tests with the command that installs them (scripts/install-oracles.sh).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{command, run};
use oxdist_installers::macos::bundle::{AppBundleSpec, BundleError, BundleParts, app_bundle, info_plist_xml};
use oxdist_installers::macos::universal::{
    CPU_TYPE_ARM64, CPU_TYPE_X86_64, MH_BUNDLE, MH_EXECUTE, UniversalError, macho_architectures, universal_binary,
};
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath};

// ---------------------------------------------------------------------------
// Test inputs: pinned wheels from PyPI, in the shared wheel cache of
// oxdist-testing (target/test-data/wheels).

/// (pip requirement, pip `--platform`, wheel file name prefix, the markers
/// that pick the wheel from the shared cache)
type Wheel = (&'static str, &'static str, &'static str, &'static [&'static str]);

const X86_WHEEL: Wheel = (
    "markupsafe==2.1.5",
    "macosx_10_9_x86_64",
    "markupsafe-2.1.5-",
    &["cp311", "macosx_10_9_x86_64"],
);
const ARM_WHEEL: Wheel = (
    "markupsafe==3.0.2",
    "macosx_11_0_arm64",
    "markupsafe-3.0.2-",
    &["cp311", "macosx_11_0_arm64"],
);
const FAT_WHEEL: Wheel = (
    "markupsafe==2.1.5",
    "macosx_10_9_universal2",
    "markupsafe-2.1.5-",
    &["cp311", "macosx_10_9_universal2"],
);
const NINJA_WHEEL: Wheel = (
    "ninja==1.11.1.1",
    "macosx_10_9_universal2",
    "ninja-1.11.1.1-",
    &["macosx_10_9_universal2"],
);

const SPEEDUPS: &str = "markupsafe/_speedups.cpython-311-darwin.so";

/// One member of a pinned wheel.
fn wheel_member((spec, platform, prefix, markers): Wheel, member: &str) -> Vec<u8> {
    let wheel = oxdist_testing::fetch_wheel(spec, prefix, markers, &oxdist_testing::cp311_platform_args(platform));
    oxdist_testing::wheel_member(&wheel, member)
}

fn x86_so() -> Vec<u8> {
    wheel_member(X86_WHEEL, SPEEDUPS)
}

fn arm_so() -> Vec<u8> {
    wheel_member(ARM_WHEEL, SPEEDUPS)
}

fn fat_so() -> Vec<u8> {
    wheel_member(FAT_WHEEL, SPEEDUPS)
}

fn ninja() -> Vec<u8> {
    wheel_member(NINJA_WHEEL, "ninja/data/bin/ninja")
}

/// A Python source file of the same wheel: not Mach-O.
fn not_macho() -> Vec<u8> {
    wheel_member(X86_WHEEL, "markupsafe/__init__.py")
}

// ---------------------------------------------------------------------------
// Oracles.

/// One slice as `7zz l -slt` lists it.
#[derive(Debug, PartialEq)]
struct SevenZipSlice {
    name: String,
    size: u64,
    offset: u64,
    cluster: u64,
}

/// `7zz l -slt` of a universal binary: its type and slices.
fn seven_zip_list(path: &Path) -> (String, Vec<SevenZipSlice>) {
    let out = run(command("7zz").arg("l").arg("-slt").arg(path), "7zip");
    let (head, entries) = out
        .split_once("----------")
        .unwrap_or_else(|| panic!("no entries:\n{out}"));
    let kind = head
        .lines()
        .find_map(|l| l.strip_prefix("Type = "))
        .unwrap_or_else(|| panic!("no type:\n{out}"))
        .to_string();
    let mut slices = Vec::new();
    for block in entries.split("\n\n").filter(|b| b.contains("Path = ")) {
        let field = |name: &str| -> String {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name} = ")))
                .unwrap_or_else(|| panic!("no {name} in:\n{block}"))
                .to_string()
        };
        slices.push(SevenZipSlice {
            name: field("Path"),
            size: field("Size").parse().unwrap(),
            offset: field("Offset").parse().unwrap(),
            cluster: field("Cluster Size").parse().unwrap(),
        });
    }
    (kind, slices)
}

/// The slices `7zz e` extracts, by name.
fn seven_zip_extract(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    run(
        command("7zz")
            .arg("e")
            .arg("-y")
            .arg(format!("-o{}", out.path().display()))
            .arg(path),
        "7zip",
    );
    common::tree(out.path())
}

/// goblin's view: (cputype, offset, size, align) of each fat_arch, after
/// checking that every slice parses as a Mach-O of that cputype and `file_type`.
fn goblin_slices(bytes: &[u8], file_type: u32) -> Vec<(u32, u32, u32, u32)> {
    let goblin::mach::Mach::Fat(fat) = goblin::mach::Mach::parse(bytes).expect("goblin parses the file") else {
        panic!("goblin does not see a universal binary");
    };
    let arches = fat.arches().expect("goblin reads the fat_arch table");
    for (i, arch) in arches.iter().enumerate() {
        let goblin::mach::SingleArch::MachO(macho) = fat.get(i).expect("goblin parses the slice") else {
            panic!("slice {i} is an archive");
        };
        assert_eq!(macho.header.cputype, arch.cputype);
        assert_eq!(macho.header.filetype, file_type);
        assert!(!macho.segments.is_empty(), "slice {i} has no segments");
    }
    arches.iter().map(|a| (a.cputype, a.offset, a.size, a.align)).collect()
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

// ---------------------------------------------------------------------------
// Universal binaries.

#[test]
fn thin_files_are_recognised() {
    let x86 = macho_architectures(&x86_so()).unwrap();
    assert_eq!(x86.len(), 1);
    assert_eq!(
        (x86[0].name.as_str(), x86[0].cputype, x86[0].file_type),
        ("x86_64", CPU_TYPE_X86_64, MH_BUNDLE)
    );
    let arm = macho_architectures(&arm_so()).unwrap();
    assert_eq!(
        (arm[0].name.as_str(), arm[0].cputype, arm[0].file_type),
        ("arm64", CPU_TYPE_ARM64, MH_BUNDLE)
    );
    assert_eq!(arm[0].align, 14, "arm64 binaries are laid out in 16 KiB pages");
    let fat: Vec<_> = macho_architectures(&ninja())
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.file_type))
        .collect();
    assert_eq!(
        fat,
        [("x86_64".to_string(), MH_EXECUTE), ("arm64".to_string(), MH_EXECUTE)]
    );
}

#[test]
fn thin_files_merge_into_a_universal_binary_that_7zip_and_goblin_read() {
    let (x86, arm) = (x86_so(), arm_so());
    let fat = universal_binary(&[("x86_64.so", &x86), ("arm64.so", &arm)]).unwrap();
    // Deterministic, and independent of the order of the inputs.
    assert_eq!(
        fat,
        universal_binary(&[("x86_64.so", &x86), ("arm64.so", &arm)]).unwrap()
    );
    assert_eq!(
        fat,
        universal_binary(&[("arm64.so", &arm), ("x86_64.so", &x86)]).unwrap()
    );
    assert_eq!(&fat[..4], &[0xca, 0xfe, 0xba, 0xbe]);

    let ours: Vec<_> = macho_architectures(&fat)
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.offset, a.size, a.align))
        .collect();
    // Both wheels' linkers aligned the segments to 16 KiB, x86_64's too (2^14).
    let x86_offset = 16384;
    let arm_offset = (x86_offset + x86.len() as u64).next_multiple_of(1 << 14);
    assert_eq!(arm_offset, 65536);
    assert_eq!(
        ours,
        [
            ("x86_64".to_string(), x86_offset, x86.len() as u64, 14),
            ("arm64".to_string(), arm_offset, arm.len() as u64, 14),
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "speedups.so", &fat);
    let (kind, slices) = seven_zip_list(&path);
    assert_eq!(kind, "Mub", "7-Zip's name for a universal Mach-O");
    assert_eq!(
        slices,
        [
            SevenZipSlice {
                name: "speedups.x64".into(),
                size: x86.len() as u64,
                offset: x86_offset,
                cluster: 16384
            },
            SevenZipSlice {
                name: "speedups.arm64".into(),
                size: arm.len() as u64,
                offset: arm_offset,
                cluster: 16384
            },
        ]
    );
    let extracted = seven_zip_extract(&path);
    assert_eq!(extracted.get("speedups.x64"), Some(&x86));
    assert_eq!(extracted.get("speedups.arm64"), Some(&arm));

    assert_eq!(
        goblin_slices(&fat, MH_BUNDLE),
        [
            (CPU_TYPE_X86_64, x86_offset as u32, x86.len() as u32, 14),
            (CPU_TYPE_ARM64, arm_offset as u32, arm.len() as u32, 14),
        ]
    );
    assert_eq!(fat.len() as u64, arm_offset + arm.len() as u64);
}

#[test]
fn lipo_made_universal_binary_splits_and_merges_back_byte_for_byte() {
    let original = fat_so();
    let archs = macho_architectures(&original).unwrap();
    let layout: Vec<_> = archs.iter().map(|a| (a.name.as_str(), a.offset, a.align)).collect();
    assert_eq!(layout, [("x86_64", 16384, 14), ("arm64", 65536, 14)]);
    let slices: Vec<(String, Vec<u8>)> = archs
        .iter()
        .map(|a| {
            let slice = original[a.offset as usize..(a.offset + a.size) as usize].to_vec();
            (format!("slice {}", a.name), slice)
        })
        .collect();
    // Each slice is a thin Mach-O whose own alignment is the one lipo wrote.
    for (arch, (_, slice)) in archs.iter().zip(&slices) {
        assert_eq!(macho_architectures(slice).unwrap()[0].align, arch.align);
    }
    let borrowed: Vec<(&str, &[u8])> = slices.iter().rev().map(|(l, b)| (l.as_str(), b.as_slice())).collect();
    assert!(
        universal_binary(&borrowed).unwrap() == original,
        "re-merged slices differ from lipo's file"
    );
    // A universal input is split into its slices.
    assert!(universal_binary(&[("universal2.so", &original)]).unwrap() == original);
    let (x86_slice, arm) = (&slices[0].1, arm_so());
    let mixed = universal_binary(&[("arm64.so", &arm), ("x86 slice", x86_slice)]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, listed) = seven_zip_list(&write_temp(dir.path(), "mixed.so", &mixed));
    let names: Vec<_> = listed.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["mixed.x64", "mixed.arm64"]);
}

#[test]
fn universal_executable_from_a_wheel_is_read_by_goblin_and_7zip_like_ours() {
    let ninja = ninja();
    let archs = macho_architectures(&ninja).unwrap();
    let theirs: Vec<_> = goblin_slices(&ninja, MH_EXECUTE);
    let ours: Vec<_> = archs
        .iter()
        .map(|a| (a.cputype, a.offset as u32, a.size as u32, a.align))
        .collect();
    assert_eq!(ours, theirs);
    let rebuilt = universal_binary(&[("ninja", &ninja)]).unwrap();
    assert!(
        rebuilt == ninja,
        "ninja's universal binary is not laid out as lipo would"
    );
}

#[test]
fn bad_inputs_are_refused_with_the_files_named() {
    let (x86, arm, fat) = (x86_so(), arm_so(), fat_so());
    let text = |e: UniversalError| e.to_string();

    assert!(matches!(universal_binary(&[]), Err(UniversalError::NoInput)));

    let e = universal_binary(&[("arm64.so", &arm), ("markupsafe/__init__.py", &not_macho())]).unwrap_err();
    assert!(matches!(e, UniversalError::NotMachO { .. }));
    assert!(text(e).starts_with("markupsafe/__init__.py is not a Mach-O file"));

    let e = universal_binary(&[("cut.so", &x86[..100])]).unwrap_err();
    assert!(text(e).contains("cut.so is not a Mach-O file"));

    let e = universal_binary(&[("thin/x86_64.so", &x86), ("universal2.so", &fat)]).unwrap_err();
    assert!(matches!(&e, UniversalError::DuplicateArch { arch, .. } if arch == "x86_64"));
    let message = text(e);
    assert!(
        message.contains("thin/x86_64.so") && message.contains("universal2.so"),
        "{message}"
    );

    let e = universal_binary(&[("a.so", &arm), ("b.so", &arm)]).unwrap_err();
    assert!(text(e).starts_with("a.so and b.so both hold the arm64 architecture"));

    let ninja = ninja();
    let ninja_x86 = &macho_architectures(&ninja).unwrap()[0];
    let ninja_x86 = &ninja[ninja_x86.offset as usize..(ninja_x86.offset + ninja_x86.size) as usize];
    let e = universal_binary(&[("bin/ninja", ninja_x86), ("arm64.so", &arm)]).unwrap_err();
    assert!(matches!(e, UniversalError::FileTypeMismatch { .. }));
    let message = text(e);
    assert!(
        message.contains("bin/ninja is an executable (MH_EXECUTE)")
            && message.contains("arm64.so is a bundle (MH_BUNDLE)"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// Bundles.

fn spec() -> AppBundleSpec {
    AppBundleSpec {
        bundle_name: "Greeter".into(),
        display_name: Some("Greeter Deluxe".into()),
        identifier: Some("org.example.greeter".into()),
        version: Some("1.2.3".into()),
        short_version: None,
        executable: Some("greeter".into()),
        signature: Some("GRTR".into()),
        minimum_system_version: None,
        icon: Some(icns()),
        extra_keys: BTreeMap::from([
            (
                "LSApplicationCategoryType".to_string(),
                plist::Value::String("public.app-category.utilities".into()),
            ),
            (
                "NSAppTransportSecurity".to_string(),
                plist::Value::Dictionary(plist::Dictionary::from_iter([
                    ("NSAllowsArbitraryLoads".to_string(), plist::Value::Boolean(false)),
                    ("NSAllowsLocalNetworking".to_string(), plist::Value::Boolean(true)),
                ])),
            ),
        ]),
    }
}

/// A small `.icns`: the header and one `ic04` element (its payload is not decoded).
fn icns() -> Vec<u8> {
    let payload = b"\x89PNG\r\n\x1a\n not a real image";
    let element_len = 8 + payload.len() as u32;
    let mut icon = b"icns".to_vec();
    icon.extend_from_slice(&(8 + element_len).to_be_bytes());
    icon.extend_from_slice(b"ic04");
    icon.extend_from_slice(&element_len.to_be_bytes());
    icon.extend_from_slice(payload);
    icon
}

fn manifest(files: &[(&str, Vec<u8>, bool)]) -> FileManifest {
    let mut m = FileManifest::new();
    for (path, bytes, executable) in files {
        m.add_file(
            ManifestPath::new(path).unwrap(),
            FileEntry::from_bytes(bytes.clone(), *executable, format!("test {path}")),
        )
        .unwrap();
    }
    m
}

fn parts() -> BundleParts {
    let (x86, arm) = (x86_so(), arm_so());
    let speedups = universal_binary(&[("x86_64", &x86), ("arm64", &arm)]).unwrap();
    BundleParts {
        // Not marked executable: the bundle makes CFBundleExecutable 0755.
        macos: manifest(&[
            ("greeter", ninja(), false),
            ("helper.txt", b"beside the executable\n".to_vec(), false),
        ]),
        resources: manifest(&[("lib/markupsafe/_speedups.cpython-311-darwin.so", speedups, false)]),
        frameworks: manifest(&[(
            "Python.framework/Versions/3.11/Resources/Info.plist",
            b"<plist/>".to_vec(),
            false,
        )]),
        other: vec![(
            "SharedSupport/docs".into(),
            manifest(&[("README.txt", b"hello\n".to_vec(), false)]),
        )],
    }
}

/// Path, mode (or link target) and size of every entry.
fn listing(m: &FileManifest) -> String {
    let mut out = String::new();
    for (path, entry) in m.entries() {
        match entry {
            ManifestEntry::File(f) => {
                out += &format!("{:o} {:>7} {path}\n", f.mode(), f.data.len().unwrap());
            }
            ManifestEntry::Symlink { target, .. } => out += &format!("link {path} -> {target}\n"),
        }
    }
    out
}

fn file_bytes(m: &FileManifest, path: &str) -> Vec<u8> {
    match m.get(&ManifestPath::new(path).unwrap()) {
        Some(ManifestEntry::File(f)) => f.data.read().unwrap().into_owned(),
        other => panic!("{path}: {other:?}"),
    }
}

/// Python's plistlib reading Info.plist: each top-level key and its value as JSON.
fn plistlib(xml: &[u8]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "Info.plist", xml);
    let script = "import json, plistlib, sys\n\
                  for k, v in plistlib.loads(open(sys.argv[1], 'rb').read()).items():\n\
                  \x20   print(k + '\\t' + json.dumps(v, sort_keys=True))";
    let out = run(command("python3").args(["-c", script]).arg(&path), "python3");
    out.lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn bundle_layout_info_plist_and_pkginfo() {
    let bundle = app_bundle(&spec(), &parts()).unwrap();
    insta::assert_snapshot!("bundle_listing", listing(&bundle));

    let xml = file_bytes(&bundle, "Greeter.app/Contents/Info.plist");
    assert_eq!(xml, info_plist_xml(&spec()).unwrap());
    insta::assert_snapshot!("info_plist", String::from_utf8(xml.clone()).unwrap());
    let parsed = plistlib(&xml);
    let expected = [
        ("CFBundleDevelopmentRegion", r#""en""#),
        ("CFBundleDisplayName", r#""Greeter Deluxe""#),
        ("CFBundleExecutable", r#""greeter""#),
        ("CFBundleIconFile", r#""Greeter.icns""#),
        ("CFBundleIdentifier", r#""org.example.greeter""#),
        ("CFBundleInfoDictionaryVersion", r#""6.0""#),
        ("CFBundleName", r#""Greeter""#),
        ("CFBundlePackageType", r#""APPL""#),
        ("CFBundleShortVersionString", r#""1.2.3""#),
        ("CFBundleSignature", r#""GRTR""#),
        ("CFBundleVersion", r#""1.2.3""#),
        ("LSApplicationCategoryType", r#""public.app-category.utilities""#),
        ("LSMinimumSystemVersion", r#""11.0""#),
        (
            "NSAppTransportSecurity",
            r#"{"NSAllowsArbitraryLoads": false, "NSAllowsLocalNetworking": true}"#,
        ),
        ("NSHighResolutionCapable", "true"),
    ];
    let expected: BTreeMap<String, String> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(parsed, expected);
    // Keys in sorted order in the file itself.
    let text = String::from_utf8(xml).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("\t<key>"))
        .map(|l| l.trim().trim_start_matches("<key>").trim_end_matches("</key>"))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    assert_eq!(file_bytes(&bundle, "Greeter.app/Contents/PkgInfo"), b"APPLGRTR");
    assert_eq!(
        file_bytes(&bundle, "Greeter.app/Contents/Resources/Greeter.icns"),
        icns()
    );
    assert_eq!(file_bytes(&bundle, "Greeter.app/Contents/MacOS/greeter"), ninja());

    // Installed, the executable is 0755 and the tree is the listing.
    let dir = tempfile::tempdir().unwrap();
    bundle.install(&dir.path().join("out"), true).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let exe = dir.path().join("out/Greeter.app/Contents/MacOS/greeter");
        assert_eq!(std::fs::metadata(exe).unwrap().permissions().mode() & 0o777, 0o755);
    }
    assert_eq!(common::tree(&dir.path().join("out")).len(), bundle.len());
}

#[test]
fn bundles_are_deterministic() {
    let a = app_bundle(&spec(), &parts()).unwrap();
    let b = app_bundle(&spec(), &parts()).unwrap();
    assert_eq!(listing(&a), listing(&b));
    for (path, _) in a.entries() {
        assert_eq!(file_bytes(&a, path.as_str()), file_bytes(&b, path.as_str()), "{path}");
    }
}

#[test]
fn defaults_and_overrides() {
    let mut s = spec();
    s.signature = None;
    s.icon = None;
    s.extra_keys = BTreeMap::from([
        ("NSHighResolutionCapable".to_string(), plist::Value::Boolean(false)),
        (
            "LSMinimumSystemVersion".to_string(),
            plist::Value::String("12.0".into()),
        ),
    ]);
    s.short_version = Some("1.2".into());
    let bundle = app_bundle(&s, &parts()).unwrap();
    let parsed = plistlib(&file_bytes(&bundle, "Greeter.app/Contents/Info.plist"));
    assert_eq!(parsed["CFBundleSignature"], r#""????""#);
    assert_eq!(parsed["NSHighResolutionCapable"], "false");
    assert_eq!(parsed["LSMinimumSystemVersion"], r#""12.0""#);
    assert_eq!(parsed["CFBundleShortVersionString"], r#""1.2""#);
    assert!(!parsed.contains_key("CFBundleIconFile"));
    assert_eq!(file_bytes(&bundle, "Greeter.app/Contents/PkgInfo"), b"APPL????");
    assert!(!listing(&bundle).contains(".icns"));
}

#[test]
fn bad_bundles_are_refused_with_what_to_do() {
    let parts = parts();
    let refuse = |change: &dyn Fn(&mut AppBundleSpec)| -> BundleError {
        let mut s = spec();
        change(&mut s);
        app_bundle(&s, &parts).expect_err("should be refused")
    };

    for (key, change) in [
        (
            "CFBundleDisplayName",
            (|s: &mut AppBundleSpec| s.display_name = None) as fn(&mut AppBundleSpec),
        ),
        ("CFBundleIdentifier", |s| s.identifier = Some(" ".into())),
        ("CFBundleVersion", |s| s.version = None),
        ("CFBundleExecutable", |s| s.executable = None),
    ] {
        let e = refuse(&change);
        assert!(matches!(e, BundleError::MissingKey { key: k, .. } if k == key), "{e}");
        assert!(e.to_string().contains("set_info_plist_required_keys("), "{e}");
    }

    for identifier in [
        "greeter",
        "org.example/greeter",
        "org..greeter",
        "org.example.greeter.",
        "org.ex ample",
    ] {
        let e = refuse(&|s| s.identifier = Some(identifier.into()));
        assert!(matches!(e, BundleError::Identifier { .. }), "{identifier}: {e}");
        assert!(e.to_string().contains(identifier), "{e}");
    }

    for version in ["1.2.3rc1", "1.2.3.4", "v1", "1..2", "1.2.3+local"] {
        let e = refuse(&|s| s.version = Some(version.into()));
        assert!(
            matches!(
                e,
                BundleError::Version {
                    key: "CFBundleVersion",
                    ..
                }
            ),
            "{version}: {e}"
        );
    }
    let e = refuse(&|s| s.short_version = Some("2.0b1".into()));
    assert!(
        matches!(
            e,
            BundleError::Version {
                key: "CFBundleShortVersionString",
                ..
            }
        ),
        "{e}"
    );

    let e = refuse(&|s| s.signature = Some("GRT".into()));
    assert!(matches!(e, BundleError::Signature { .. }), "{e}");

    let e = refuse(&|s| s.executable = Some("helper.txt".into()));
    assert!(matches!(e, BundleError::ExecutableNotMachO { .. }), "{e}");
    assert!(e.to_string().contains("Contents/MacOS/helper.txt"), "{e}");
    let e = refuse(&|s| s.executable = Some("missing".into()));
    assert!(matches!(e, BundleError::ExecutableMissing { .. }), "{e}");
    assert!(e.to_string().contains("\"greeter\", \"helper.txt\""), "{e}");

    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let e = refuse(&|s| s.icon = Some(png.clone()));
    assert!(matches!(e, BundleError::Icon { .. }), "{e}");
    let mut short = icns();
    short.pop();
    let e = refuse(&|s| s.icon = Some(short.clone()));
    assert!(e.to_string().contains("length"), "{e}");

    let e = refuse(&|s| {
        s.extra_keys
            .insert("CFBundleIdentifier".into(), plist::Value::String("org.other".into()));
    });
    assert!(matches!(e, BundleError::ReservedKey { .. }), "{e}");
    let e = refuse(&|s| {
        s.minimum_system_version = Some("11.0".into());
        s.extra_keys
            .insert("LSMinimumSystemVersion".into(), plist::Value::String("12.0".into()));
    });
    assert!(matches!(e, BundleError::KeySetTwice { .. }), "{e}");

    for name in ["", "Greeter.app", "a/b", "a:b"] {
        let e = refuse(&|s| s.bundle_name = name.into());
        assert!(matches!(e, BundleError::BundleName { .. }), "{name}: {e}");
    }

    // The icon's path is taken by a resource of the same name.
    let mut clash = parts.clone();
    clash.resources = manifest(&[("Greeter.icns", b"other".to_vec(), false)]);
    let e = app_bundle(&spec(), &clash).unwrap_err();
    assert!(matches!(e, BundleError::Manifest(_)), "{e}");
}
