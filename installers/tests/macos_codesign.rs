//! Code signing of whole `.app` bundles (installers/src/macos/codesign.rs),
//! checked with tools that are not oxdist: `rcodesign verify` re-hashes
//! every signed Mach-O file, `rcodesign print-signature-info` shows the
//! special-slot hashes, and Python's `plistlib` reads the CodeResources seal,
//! whose hashes the test recomputes from the files.
//!
//! The bundle: ninja's universal executable (`ninja==1.11.1.1`,
//! `macosx_10_9_universal2`) as the main executable, markupsafe's x86_64
//! `_speedups` (`markupsafe==2.1.5`, `macosx_10_9_x86_64`) in
//! `Contents/MacOS/lib` (nested code) and in `Resources` (sealed by hash),
//! a text file, a symlink, and a `.DS_Store` (omitted from the seal).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use oxdist_installers::macos::bundle::{AppBundleSpec, BundleParts, app_bundle};
use oxdist_installers::macos::codesign::{BundleSigning, CodesignError, sign_app_bundle};
use oxdist_installers::{FileEntry, FileManifest, ManifestEntry, ManifestPath};
use oxdist_testing::{cp311_platform_args, fetch_wheel, rcodesign, wheel_member};

fn ninja() -> Vec<u8> {
    let wheel = fetch_wheel(
        "ninja==1.11.1.1",
        "ninja-1.11.1.1-",
        &["macosx_10_9_universal2"],
        &cp311_platform_args("macosx_10_9_universal2"),
    );
    wheel_member(&wheel, "ninja/data/bin/ninja")
}

fn speedups() -> Vec<u8> {
    let wheel = fetch_wheel(
        "markupsafe==2.1.5",
        "markupsafe-2.1.5-",
        &["cp311", "macosx_10_9_x86_64"],
        &cp311_platform_args("macosx_10_9_x86_64"),
    );
    wheel_member(&wheel, "markupsafe/_speedups.cpython-311-darwin.so")
}

fn file(manifest: &mut FileManifest, path: &str, bytes: Vec<u8>, executable: bool) {
    manifest
        .add_file(
            ManifestPath::new(path).unwrap(),
            FileEntry::from_bytes(bytes, executable, path),
        )
        .unwrap();
}

fn bundle() -> FileManifest {
    let spec = AppBundleSpec {
        bundle_name: "Ninja".into(),
        display_name: Some("Ninja".into()),
        identifier: Some("org.example.ninja".into()),
        version: Some("1.11.1".into()),
        executable: Some("ninja".into()),
        ..Default::default()
    };
    let mut parts = BundleParts::default();
    file(&mut parts.macos, "ninja", ninja(), true);
    file(&mut parts.macos, "lib/_speedups.so", speedups(), false);
    file(
        &mut parts.macos,
        "lib/README.txt",
        b"data beside code\n".to_vec(),
        false,
    );
    parts
        .macos
        .add(
            ManifestPath::new("lib/current").unwrap(),
            ManifestEntry::Symlink {
                target: "README.txt".into(),
                origin: "test".into(),
            },
        )
        .unwrap();
    file(&mut parts.resources, "vendored.so", speedups(), false);
    file(
        &mut parts.resources,
        "en.lproj/Main.strings",
        b"\"a\" = \"b\";\n".to_vec(),
        false,
    );
    file(&mut parts.resources, ".DS_Store", b"finder".to_vec(), false);
    let mut tree = app_bundle(&spec, &parts).unwrap();
    file(&mut tree, "README.txt", b"outside the bundle\n".to_vec(), false);
    tree
}

fn read(tree: &FileManifest, path: &str) -> Vec<u8> {
    match tree.get(&ManifestPath::new(path).unwrap()) {
        Some(ManifestEntry::File(file)) => file.data.read().unwrap().into_owned(),
        other => panic!("{path}: {other:?}"),
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `rcodesign verify`'s problems for a file.
fn problems(path: &Path) -> Vec<String> {
    let output = rcodesign().arg("verify").arg(path).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn print_signature_info(path: &Path) -> String {
    let output = rcodesign().arg("print-signature-info").arg(path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The seal as Python's plistlib reads it: path → kind and hex values.
fn seal(code_resources: &[u8], dir: &Path) -> BTreeMap<String, String> {
    std::fs::write(dir.join("CodeResources"), code_resources).unwrap();
    let script = r#"
import plistlib, sys
seal = plistlib.load(open(sys.argv[1], 'rb'))
assert set(seal) == {'files', 'files2', 'rules', 'rules2'}, seal.keys()
for path, entry in sorted(seal['files2'].items()):
    print(path, ' '.join(f"{k}={v.hex() if isinstance(v, bytes) else v}" for k, v in sorted(entry.items())))
for path, entry in sorted(seal['files'].items()):
    print('v1:' + path, entry.hex() if isinstance(entry, bytes) else entry['hash'].hex())
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir.join("CodeResources"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (path, rest) = line.split_once(' ').unwrap();
            (path.to_string(), rest.to_string())
        })
        .collect()
}

fn check_signed_bundle(signed: &FileManifest, with_certificate: bool) {
    let dir = tempfile::tempdir().unwrap();
    signed.install(dir.path(), false).unwrap();
    let contents = dir.path().join("Ninja.app/Contents");
    let expected_problems: Vec<String> = if with_certificate {
        vec![]
    } else {
        // rcodesign's verifier cannot parse the empty CMS blob of ad-hoc signatures
        // (its own included); one such line per architecture.
        vec!["CMS error: missing further values (at position 0)".into()]
    };
    let main_problems = problems(&contents.join("MacOS/ninja"));
    assert_eq!(
        main_problems.len(),
        if with_certificate { 0 } else { 2 },
        "{main_problems:?}"
    );
    assert!(
        main_problems
            .iter()
            .all(|p| p.ends_with("CMS error: missing further values (at position 0)"))
    );
    assert_eq!(problems(&contents.join("MacOS/lib/_speedups.so")), expected_problems);
    assert_eq!(problems(&contents.join("Resources/vendored.so")), expected_problems);
    assert_eq!(
        read(signed, "README.txt"),
        b"outside the bundle\n",
        "files outside the bundle stay"
    );

    // The main executable's special slots hold the hashes of Info.plist and the seal.
    let info = print_signature_info(&contents.join("MacOS/ninja"));
    let code_resources = std::fs::read(contents.join("_CodeSignature/CodeResources")).unwrap();
    let info_plist = std::fs::read(contents.join("Info.plist")).unwrap();
    assert!(info.contains(&format!("'Info (1): {}'", sha256(&info_plist))), "{info}");
    assert!(
        info.contains(&format!("'Resources (3): {}'", sha256(&code_resources))),
        "{info}"
    );
    assert!(info.contains("identifier: org.example.ninja"), "{info}");

    // The seal: hashes of the final bytes, nested code by cdhash, symlinks by target.
    let seal = seal(&code_resources, dir.path());
    let nested = print_signature_info(&contents.join("MacOS/lib/_speedups.so"));
    let cdhash = nested
        .lines()
        .skip_while(|l| !l.contains("slot: CodeDirectory (0)"))
        .find_map(|l| l.trim().strip_prefix("sha256: "))
        .unwrap()
        .to_string();
    assert_eq!(
        seal["MacOS/lib/_speedups.so"],
        format!("cdhash={} requirement=cdhash H\"{}\"", &cdhash[..40], &cdhash[..40])
    );
    let hash2 = |path: &str| format!("hash2={}", sha256(&std::fs::read(contents.join(path)).unwrap()));
    assert_eq!(seal["MacOS/lib/README.txt"], hash2("MacOS/lib/README.txt"));
    assert_eq!(
        seal["Resources/vendored.so"],
        hash2("Resources/vendored.so"),
        "code outside nested places: by hash"
    );
    assert_eq!(
        seal["Resources/en.lproj/Main.strings"],
        format!("{} optional=True", hash2("Resources/en.lproj/Main.strings"))
    );
    assert_eq!(seal["MacOS/lib/current"], "symlink=README.txt");
    for absent in [
        "MacOS/ninja",
        "Info.plist",
        "PkgInfo",
        "Resources/.DS_Store",
        "_CodeSignature/CodeResources",
    ] {
        assert!(!seal.contains_key(absent), "{absent} is not sealed: {seal:?}");
    }
    assert!(
        seal.contains_key("v1:Resources/vendored.so"),
        "version-1 seal lists resources"
    );
    assert!(!seal.contains_key("v1:MacOS/lib/README.txt"));
}

#[test]
fn ad_hoc_bundle_signature_seals_every_file() {
    let tree = bundle();
    let signed = sign_app_bundle(&tree, "Ninja.app", &BundleSigning::default()).unwrap();
    check_signed_bundle(&signed, false);
    // Same tree, same bytes; signing a signed bundle gives it back unchanged.
    let again = sign_app_bundle(&tree, "Ninja.app", &BundleSigning::default()).unwrap();
    let resigned = sign_app_bundle(&signed, "Ninja.app", &BundleSigning::default()).unwrap();
    for (path, entry) in signed.entries() {
        if let ManifestEntry::File(file) = entry {
            let bytes = file.data.read().unwrap();
            assert_eq!(read(&again, path.as_str()), *bytes, "{path:?}");
            assert_eq!(read(&resigned, path.as_str()), *bytes, "{path:?} after re-signing");
        }
    }
}

#[test]
fn certificate_bundle_signature_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = oxdist_testing::developer_id_certificate(dir.path(), "ABCDE12345");
    let signer =
        oxdist_signing::authenticode::CodeSigner::from_pem(&std::fs::read(key).unwrap(), &std::fs::read(cert).unwrap())
            .unwrap();
    let signing = BundleSigning {
        signer: Some(signer),
        hardened_runtime: true,
        team_id: Some("ABCDE12345".into()),
        entitlements: Some(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>com.apple.security.cs.disable-library-validation</key><true/></dict></plist>\n"
                .to_vec(),
        ),
        ..Default::default()
    };
    let signed = sign_app_bundle(&bundle(), "Ninja.app", &signing).unwrap();
    check_signed_bundle(&signed, true);
}

#[test]
fn refused_bundles_name_the_problem() {
    let tree = bundle();
    let err = |tree: &FileManifest, name: &str| sign_app_bundle(tree, name, &BundleSigning::default()).unwrap_err();
    assert!(matches!(err(&tree, "Other.app"), CodesignError::NoBundle { .. }));

    let mut nested = tree.clone();
    file(
        &mut nested,
        "Ninja.app/Contents/Frameworks/Python.framework/Versions/Current/Python",
        speedups(),
        false,
    );
    let e = err(&nested, "Ninja.app");
    assert!(
        e.to_string()
            .starts_with("Ninja.app/Contents/Frameworks/Python.framework is a nested bundle"),
        "{e}"
    );

    let mut broken = tree.clone();
    file(
        &mut broken,
        "Ninja.app/Contents/MacOS/lib/broken.so",
        b"\xcf\xfa\xed\xfe truncated".to_vec(),
        false,
    );
    let e = err(&broken, "Ninja.app").to_string();
    assert!(
        e.starts_with("cannot sign Ninja.app/Contents/MacOS/lib/broken.so:"),
        "{e}"
    );
}
