//! Apple code signatures of real Mach-O files, checked by other tools:
//! `rcodesign` (apple-codesign 0.29.0, built from crates.io into
//! target/oracles by scripts/install-oracles.sh) re-hashes the pages and checks the CMS
//! signature, and `openssl cms -verify` checks the CMS signature over the
//! code directory against the test CA.
//!
//! | file | from | kind |
//! |---|---|---|
//! | x86_64 `_speedups` | `markupsafe==2.1.5`, `macosx_10_9_x86_64` | MH_BUNDLE, unsigned |
//! | arm64 `_speedups` | `markupsafe==3.0.2`, `macosx_11_0_arm64` | MH_BUNDLE, the linker's ad-hoc signature |
//! | `ninja` | `ninja==1.11.1.1`, `macosx_10_9_universal2` | MH_EXECUTE, universal (x86_64 + arm64) |

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Pki, TsaMode, ok, run};
use oxdist_installers::macos::universal::{macho_architectures, universal_binary};
use oxdist_signing::apple::{AppleSignOptions, dmg_signature, embedded_signature, sign_dmg, sign_macho};
use oxdist_testing::{cp311_platform_args, fetch_wheel, rcodesign, wheel_member};
use sha2::{Digest, Sha256};

const SPEEDUPS: &str = "markupsafe/_speedups.cpython-311-darwin.so";

fn x86_so() -> Vec<u8> {
    let wheel = fetch_wheel(
        "markupsafe==2.1.5",
        "markupsafe-2.1.5-",
        &["cp311", "macosx_10_9_x86_64"],
        &cp311_platform_args("macosx_10_9_x86_64"),
    );
    wheel_member(&wheel, SPEEDUPS)
}

fn arm_so() -> Vec<u8> {
    let wheel = fetch_wheel(
        "markupsafe==3.0.2",
        "markupsafe-3.0.2-",
        &["cp311", "macosx_11_0_arm64"],
        &cp311_platform_args("macosx_11_0_arm64"),
    );
    wheel_member(&wheel, SPEEDUPS)
}

/// The slices of ninja's universal executable.
fn ninja_slices() -> Vec<(String, Vec<u8>)> {
    let wheel = fetch_wheel(
        "ninja==1.11.1.1",
        "ninja-1.11.1.1-",
        &["macosx_10_9_universal2"],
        &cp311_platform_args("macosx_10_9_universal2"),
    );
    let fat = wheel_member(&wheel, "ninja/data/bin/ninja");
    macho_architectures(&fat)
        .unwrap()
        .into_iter()
        .map(|arch| {
            let slice = fat[arch.offset as usize..(arch.offset + arch.size) as usize].to_vec();
            (arch.name, slice)
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `rcodesign verify`: the problems it reports (empty when it is satisfied).
fn rcodesign_problems(path: &Path) -> Vec<String> {
    let mut command = rcodesign();
    command.arg("verify").arg(path);
    let output = run(command);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problems: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(
        output.status.success(),
        problems.is_empty(),
        "exit status and report disagree:\n{stdout}\n{stderr}"
    );
    if problems.is_empty() {
        assert!(stderr.contains("no problems detected"), "{stderr}");
    }
    problems
}

fn options(identifier: &str) -> AppleSignOptions {
    AppleSignOptions {
        identifier: identifier.into(),
        ..Default::default()
    }
}

#[test]
fn ad_hoc_signatures_of_wheel_binaries_pass_rcodesign() {
    let dir = tempfile::tempdir().unwrap();
    for (name, input) in [("x86_64.so", x86_so()), ("arm64.so", arm_so())] {
        let signed = sign_macho(&input, None, &options("_speedups")).unwrap();
        let path = write(dir.path(), name, &signed);
        // rcodesign's own ad-hoc signature of the same file, for comparison.
        let unsigned = write(dir.path(), &format!("unsigned-{name}"), &input);
        let theirs = dir.path().join(format!("rcodesign-{name}"));
        let mut sign = rcodesign();
        sign.args(["sign", "--binary-identifier", "_speedups"])
            .arg(&unsigned)
            .arg(&theirs);
        ok(sign);
        // Every page and slot hash checks out. An ad-hoc signature has an empty CMS
        // blob, which rcodesign's verifier reports as a CMS parse error for its own
        // ad-hoc signatures too: that must be the only problem, as it is for theirs.
        let problems = rcodesign_problems(&path);
        assert_eq!(problems, rcodesign_problems(&theirs), "{name}");
        assert_eq!(
            problems,
            ["CMS error: missing further values (at position 0)"],
            "{name}"
        );

        let info = embedded_signature(&signed).unwrap().unwrap();
        assert_eq!(info.identifier, "_speedups");
        assert_eq!(info.flags, 0x2, "ad-hoc, and no longer the linker's signature");
        let mut print = rcodesign();
        print.arg("print-signature-info").arg(&path);
        let printed = ok(print);
        for expected in [
            "identifier: _speedups",
            "digest_type: sha256",
            "flags: CodeSignatureFlags(ADHOC)",
            "version: '0x20400'",
        ] {
            assert!(printed.contains(expected), "{name}: {expected} in\n{printed}");
        }
        assert!(
            printed.contains("linkedit_bytes_after_signature: 0 "),
            "the signature ends the file:\n{printed}"
        );

        // Signing is reproducible and idempotent.
        assert_eq!(sign_macho(&input, None, &options("_speedups")).unwrap(), signed);
        assert_eq!(sign_macho(&signed, None, &options("_speedups")).unwrap(), signed);
    }
}

#[test]
fn certificate_signatures_verify_with_rcodesign_and_openssl() {
    let pki = Pki::new();
    let signer = pki.pem_signer();
    let dir = pki.dir.path();
    for (name, input) in [("x86_64.so", x86_so()), ("arm64.so", arm_so())] {
        let signed = sign_macho(&input, Some(&signer), &options("_speedups")).unwrap();
        let path = write(dir, name, &signed);
        assert_eq!(rcodesign_problems(&path), Vec::<String>::new(), "{name}");
        let info = embedded_signature(&signed).unwrap().unwrap();
        assert_eq!(info.flags, 0, "not ad-hoc");
        assert!(info.cms.is_some());
        assert_eq!(
            sign_macho(&input, Some(&signer), &options("_speedups")).unwrap(),
            signed,
            "no signing time: reproducible"
        );

        // openssl: the CMS signature is over this code directory, by the test CA's certificate.
        for (what, file) in [("cms-raw", "cms.der"), ("code-directory-raw", "cd.bin")] {
            let mut extract = rcodesign();
            extract.args(["extract", what]).arg(&path);
            let bytes = run(extract).stdout;
            assert!(!bytes.is_empty(), "rcodesign extract {what}");
            write(dir, file, &bytes);
        }
        let mut verify = Command::new("openssl");
        verify.current_dir(dir).args([
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "cms.der",
            "-binary",
            "-content",
            "cd.bin",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ]);
        let output = run(verify);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The cdhash attribute names this code directory.
        let mut print = Command::new("openssl");
        print
            .current_dir(dir)
            .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "cms.der"]);
        let printed = ok(print);
        assert!(printed.contains("1.2.840.113635.100.9.1"), "cdhashes plist attribute");
        assert!(printed.contains("1.2.840.113635.100.9.2"), "cdhashes attribute");
    }
}

#[test]
fn timestamped_signature_carries_the_token_and_verifies() {
    let pki = Pki::new();
    let tsa = pki.tsa(TsaMode::Grant);
    let signed = sign_macho(
        &x86_so(),
        Some(&pki.pem_signer()),
        &AppleSignOptions {
            timestamp: Some(tsa.url.clone()),
            ..options("_speedups")
        },
    )
    .unwrap();
    assert_eq!(tsa.requests(), 1);
    let path = write(pki.dir.path(), "stamped.so", &signed);
    assert_eq!(rcodesign_problems(&path), Vec::<String>::new());
    let mut extract = rcodesign();
    extract.args(["extract", "cms"]).arg(&path);
    let printed = ok(extract);
    assert!(
        printed.contains("time_stamp_token")
            || printed.contains("1.2.840.113549.1.9.16.2.14")
            || printed.contains("TimeStamp"),
        "{printed}"
    );
}

#[test]
fn universal_executable_with_hardened_runtime_and_entitlements() {
    let pki = Pki::new();
    let signer = pki.pem_signer();
    let entitlements = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key><true/></dict></plist>
"#;
    let options = AppleSignOptions {
        hardened_runtime: true,
        entitlements: Some(entitlements.to_vec()),
        team_id: Some("ABCDE12345".into()),
        ..options("org.ninja-build.ninja")
    };
    let mut signed_slices = Vec::new();
    for (arch, slice) in ninja_slices() {
        let signed = sign_macho(&slice, Some(&signer), &options).unwrap();
        let info = embedded_signature(&signed).unwrap().unwrap();
        assert_eq!(info.flags, 0x10000, "{arch}: hardened runtime");
        assert_eq!(info.team_id.as_deref(), Some("ABCDE12345"));
        assert!(info.special_slots.contains_key(&5), "{arch}: entitlements slot");
        signed_slices.push((arch, signed));
    }
    let inputs: Vec<(&str, &[u8])> = signed_slices.iter().map(|(a, s)| (a.as_str(), s.as_slice())).collect();
    let fat = universal_binary(&inputs).unwrap();
    let path = write(pki.dir.path(), "ninja", &fat);
    // rcodesign checks each architecture of the universal file.
    assert_eq!(rcodesign_problems(&path), Vec::<String>::new());
    let mut code_directory = rcodesign();
    code_directory.args(["extract", "code-directory"]).arg(&path);
    let printed = ok(code_directory);
    assert!(printed.contains("RUNTIME"), "{printed}");
    let mut entitlements_out = rcodesign();
    entitlements_out.args(["print-signature-info"]).arg(&path);
    let printed = ok(entitlements_out);
    assert!(printed.contains("com.apple.security.cs.allow-jit"), "{printed}");
}

#[test]
fn signed_dmg_is_read_by_rcodesign_and_dmg2img() {
    use oxdist_installers::macos::dmg::{DmgOptions, write_dmg};
    use oxdist_installers::manifest::{FileEntry, FileManifest, ManifestPath};
    use oxdist_installers::output::Timestamp;

    let pki = Pki::new();
    let dir = pki.dir.path();
    let mut tree = FileManifest::new();
    tree.add_file(
        ManifestPath::new("Greeter.app/Contents/MacOS/greeter").unwrap(),
        FileEntry::from_bytes(x86_so(), true, "test"),
    )
    .unwrap();
    let unsigned = dir.join("unsigned.dmg");
    write_dmg("Greeter", &tree, &DmgOptions::new(Timestamp(1_700_000_000)), &unsigned).unwrap();
    let image = std::fs::read(&unsigned).unwrap();
    assert_eq!(dmg_signature(&image).unwrap(), None);

    for (name, signer) in [("adhoc.dmg", None), ("signed.dmg", Some(pki.pem_signer()))] {
        let signed = sign_dmg(&image, signer.as_ref(), &options("greeter-1.0")).unwrap();
        let (info, hashes_match) = dmg_signature(&signed).unwrap().expect("signed");
        assert!(hashes_match, "{name}: content and trailer hashes");
        assert_eq!(info.identifier, "greeter-1.0");
        assert_eq!(info.cms.is_some(), signer.is_some());
        assert_eq!(
            sign_dmg(&signed, signer.as_ref(), &options("greeter-1.0")).unwrap(),
            signed,
            "re-signing"
        );
        let path = write(dir, name, &signed);

        let mut print = rcodesign();
        print.arg("print-signature-info").arg(&path);
        let printed = ok(print);
        assert!(printed.contains("greeter-1.0"), "{printed}");
        // The digests rcodesign reads equal ones computed here from the file: the
        // image up to the signature, and the trailer with the signature length zeroed.
        let offset = signed.len() - 512;
        let mut koly = signed[offset..].to_vec();
        let signature_offset = u64::from_be_bytes(koly[296..304].try_into().unwrap()) as usize;
        koly[304..312].fill(0);
        let rep_specific = common::hex(&Sha256::digest(&koly));
        assert!(
            printed.contains(&format!("'Rep Specific (6): {rep_specific}'")),
            "{printed}"
        );
        // rcodesign prints the code directory's own SHA-256 (the cdhash), not its
        // code hash: find the code directory by that, and read its one code hash.
        let superblob = &signed[signature_offset..offset];
        let be32 = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let cd_at = be32(superblob, 16);
        let cd = &superblob[cd_at..cd_at + be32(superblob, cd_at + 4)];
        assert!(
            printed.contains(&format!("sha256: {}", common::hex(&Sha256::digest(cd)))),
            "{printed}"
        );
        let hash_offset = be32(cd, 16);
        assert_eq!(
            cd[hash_offset..hash_offset + 32],
            Sha256::digest(&signed[..signature_offset])[..]
        );

        let raw = dir.join(format!("{name}.img"));
        let mut convert = Command::new("dmg2img");
        convert.arg(&path).arg(&raw);
        ok(convert);
        assert!(std::fs::metadata(&raw).unwrap().len() > 0);
    }
}

#[test]
fn wrong_password_and_unreadable_certificate_are_clear_errors() {
    let pki = Pki::new();
    let e = oxdist_signing::authenticode::CodeSigner::from_pkcs12(&pki.read("cs.pfx"), "wrong").unwrap_err();
    assert_eq!(e.to_string(), "wrong password for the PKCS#12 (PFX) file");
    // A certificate whose PEM armour holds damaged DER.
    let pem = String::from_utf8(pki.read("cs.pem")).unwrap();
    let damaged = pem.replacen("MII", "MIA", 1);
    let e = oxdist_signing::authenticode::CodeSigner::from_pem(&pki.read("cs.key"), damaged.as_bytes()).unwrap_err();
    assert!(e.to_string().starts_with("cannot read the certificates"), "{e}");
}
