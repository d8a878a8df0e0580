//! Authenticode signing of MSI files checked by osslsigncode and msitools:
//! real installers written by `oxdist-installers` (a dev-dependency only),
//! hand-made compound files with storages and awkward stream names, a
//! throwaway CA and code-signing certificate made by `openssl` in a
//! temporary directory, and `osslsigncode verify -CAfile ca.pem` as the
//! verifier. Missing tools fail the tests with the command that installs
//! them (scripts/install-oracles.sh).

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use common::{Pki, TsaMode, hex, ok, tool};
use oxdist_installers::msi::{MsiOptions, MsiSpec, write_msi};
use oxdist_installers::output::Timestamp;
use oxdist_installers::{FileEntry, FileManifest, ManifestPath, PackageMetadata};
use oxdist_signing::authenticode::{
    AuthenticodeError, CertificateChain, SignOptions, attach_msi_signature, is_signed_msi, msi_digest,
    msi_signing_request, sign_msi,
};
use oxdist_testing::noise;

/// Verifies `signed`, failing unless the signature is valid and the
/// signed imprint equals the recomputed one; returns that imprint (hex).
fn verify_ok(pki: &Pki, signed: &[u8]) -> String {
    let (success, report) = pki.verify("verify.msi", signed);
    assert!(success, "osslsigncode verify failed:\n{report}");
    assert!(
        report.lines().any(|l| l.trim() == "Signature verification: ok"),
        "{report}"
    );
    let current = field(&report, "Current DigitalSignature");
    let calculated = field(&report, "Calculated DigitalSignature");
    assert_eq!(current, calculated, "{report}");
    assert!(!report.contains("MISMATCH"), "{report}");
    calculated
}

/// The value of a `NAME : VALUE` line of osslsigncode's report.
fn field(report: &str, name: &str) -> String {
    report
        .lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim_start().strip_prefix(':'))
        })
        .unwrap_or_else(|| panic!("no {name:?} line in:\n{report}"))
        .trim()
        .to_lowercase()
}

fn options() -> SignOptions {
    SignOptions {
        program_name: Some("Greeter App".into()),
        url: Some("https://example.org/greeter".into()),
        ..SignOptions::default()
    }
}

// ---------------------------------------------------------------------------
// Inputs.

fn manifest_files() -> BTreeMap<String, Vec<u8>> {
    [
        ("greeter.exe", b"MZ not really a program\n".to_vec()),
        ("README.txt", b"Run greeter to be greeted.\n".to_vec()),
        ("python311.dll", noise(150_000, 1)),
        ("share/big.bin", noise(150_000, 2)),
        ("share/empty.dat", Vec::new()),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes))
    .collect()
}

/// A real installer from oxdist's MSI writer: several cabinets (`cab1.cab`
/// is a prefix of `cab10.cab`-style names' encodings), tables, summary
/// information.
fn real_msi() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = FileManifest::new();
    for (path, bytes) in manifest_files() {
        let executable = path.ends_with(".exe");
        manifest
            .add_file(
                ManifestPath::new(&path).unwrap(),
                FileEntry::from_bytes(bytes, executable, format!("test data {path}")),
            )
            .unwrap();
    }
    let metadata = PackageMetadata {
        name: "greeter".into(),
        version: "1.2.3".into(),
        description: Some("Friendly greetings".into()),
        maintainer: Some("Oxdist Tests <tests@example.org>".into()),
        vendor: Some("Example Org".into()),
        homepage: Some("https://example.org/greeter".into()),
        license: Some("MIT".into()),
        target_triple: "x86_64-pc-windows-msvc".into(),
    };
    let spec = MsiSpec {
        product_name: Some("Greeter App".into()),
        ..MsiSpec::new("org.example.greeter")
    };
    let options = MsiOptions {
        timestamp: Timestamp(1_700_000_000),
        cabinet_size: 100_000,
    };
    let path = dir.path().join("greeter.msi");
    write_msi(&metadata, &spec, &manifest, &options, &path).unwrap();
    std::fs::read(&path).unwrap()
}

/// A compound file that is no installer but exercises the imprint's rules:
/// stream names that are prefixes of others, names outside ASCII (UTF-16
/// code units whose low byte sorts differently from the unit), empty and
/// large streams, nested storages with CLSIDs, and a root CLSID.
fn odd_compound_file() -> Vec<u8> {
    let mut file = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    let streams: [(&str, Vec<u8>); 12] = [
        ("/A", b"a".to_vec()),
        ("/AB", b"ab".to_vec()),
        ("/ABC", noise(5000, 3)),
        ("/B", b"b".to_vec()),
        ("/c", b"small c".to_vec()),
        ("/\u{100}", b"U+0100".to_vec()),
        ("/\u{1}x", b"U+0001".to_vec()),
        ("/\u{4800}", b"U+4800".to_vec()),
        ("/\u{3841}\u{4801}", b"encoded".to_vec()),
        ("/empty", Vec::new()),
        ("/\u{5}SummaryInformation", b"summary".to_vec()),
        ("/\u{5}DigitalSignatureX", b"not the signature".to_vec()),
    ];
    for (path, bytes) in &streams {
        file.create_new_stream(path).unwrap().write_all(bytes).unwrap();
    }
    file.create_storage("/S").unwrap();
    file.create_storage("/S/T").unwrap();
    file.create_new_stream("/S/x").unwrap().write_all(b"in S").unwrap();
    file.create_new_stream("/S/T/y")
        .unwrap()
        .write_all(&noise(4096, 4))
        .unwrap();
    file.create_new_stream("/SA").unwrap().write_all(b"after S").unwrap();
    let clsid = |text: &str| uuid::Uuid::parse_str(text).unwrap();
    file.set_storage_clsid("/", clsid("000c1084-0000-0000-c000-000000000046"))
        .unwrap();
    file.set_storage_clsid("/S", clsid("01234567-89ab-cdef-0123-456789abcdef"))
        .unwrap();
    file.set_storage_clsid("/S/T", clsid("fedcba98-7654-3210-fedc-ba9876543210"))
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

/// The streams of a compound file by path, for comparisons.
fn streams(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    let paths: Vec<PathBuf> = file
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| e.path().to_path_buf())
        .collect();
    paths
        .into_iter()
        .map(|path| {
            let mut data = Vec::new();
            file.open_stream(&path).unwrap().read_to_end(&mut data).unwrap();
            (path.display().to_string(), data)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn signs_a_real_msi_that_osslsigncode_and_msitools_accept() {
    let pki = Pki::new();
    let input = real_msi();
    assert!(!is_signed_msi(&input).unwrap());
    let signed = sign_msi(&input, &pki.pem_signer(), &options()).unwrap();
    assert!(is_signed_msi(&signed).unwrap());
    assert_eq!(&signed[26..28], [3, 0], "CFB major version 3");
    assert_eq!(&signed[30..32], [9, 0], "512-byte sectors");

    let calculated = verify_ok(&pki, &signed);
    assert_eq!(calculated, hex(&msi_digest(&input).unwrap()));
    // The imprint ignores the signature stream and the container's layout.
    assert_eq!(msi_digest(&signed).unwrap(), msi_digest(&input).unwrap());
    let (_, report) = pki.verify("verify.msi", &signed);
    assert!(report.contains("Text description: Greeter App"), "{report}");
    assert!(
        report.contains("URL description: https://example.org/greeter"),
        "{report}"
    );

    // Every stream of the input is still there, unchanged; the signature is the only new one.
    let expected = streams(&input);
    let mut actual = streams(&signed);
    let signature = actual
        .remove("/\u{5}DigitalSignature")
        .expect("a DigitalSignature stream");
    assert_eq!(signature[0], 0x30, "a DER ContentInfo");
    assert_eq!(actual, expected);

    let file = pki.file("greeter-signed.msi", &signed);
    let mut command = tool("msiinfo", "msitools");
    command.arg("streams").arg(&file);
    let listed = ok(command);
    assert!(
        listed.lines().any(|l| l == "\u{5}DigitalSignature"),
        "msiinfo streams:\n{listed:?}"
    );

    let out = pki.path("extracted");
    let mut command = tool("msiextract", "msitools");
    command.arg("-C").arg(&out).arg(&file);
    ok(command);
    let mut extracted = BTreeMap::new();
    for entry in walk(&out) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        extracted.insert(name, std::fs::read(&entry).unwrap());
    }
    for (path, bytes) in manifest_files() {
        let name = path.rsplit('/').next().unwrap();
        assert_eq!(extracted.get(name), Some(&bytes), "{path} extracted by msiextract");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_imprint_follows_osslsigncode_for_odd_names_and_storages() {
    let pki = Pki::new();
    let input = odd_compound_file();
    let signed = sign_msi(&input, &pki.pem_signer(), &SignOptions::default()).unwrap();
    let calculated = verify_ok(&pki, &signed);
    assert_eq!(calculated, hex(&msi_digest(&input).unwrap()));
    let expected = streams(&input);
    let mut actual = streams(&signed);
    actual.remove("/\u{5}DigitalSignature").unwrap();
    assert_eq!(actual, expected);
}

#[test]
fn signing_is_reproducible_and_replaces_signatures() {
    let pki = Pki::new();
    let signer = pki.pem_signer();
    let input = real_msi();
    let once = sign_msi(&input, &signer, &options()).unwrap();
    assert_eq!(sign_msi(&input, &signer, &options()).unwrap(), once);
    // Re-signing replaces the signature: same bytes as signing the unsigned file.
    assert_eq!(sign_msi(&once, &signer, &options()).unwrap(), once);

    // A file signed by osslsigncode (with another key) gets our signature instead.
    let unsigned = pki.file("in.msi", &input);
    let other = pki.path("other-signed.msi");
    let mut command = tool("osslsigncode", "osslsigncode");
    command
        .args(["sign", "-h", "sha256"])
        .arg("-certs")
        .arg(pki.path("ca.pem"))
        .arg("-key")
        .arg(pki.path("ca.key"))
        .arg("-in")
        .arg(&unsigned)
        .arg("-out")
        .arg(&other);
    ok(command);
    let theirs = std::fs::read(&other).unwrap();
    assert_eq!(msi_digest(&theirs).unwrap(), msi_digest(&input).unwrap());
    let resigned = sign_msi(&theirs, &signer, &options()).unwrap();
    verify_ok(&pki, &resigned);
    assert_eq!(resigned, once);
}

#[test]
fn a_changed_stream_fails_verification() {
    let pki = Pki::new();
    let signed = sign_msi(&real_msi(), &pki.pem_signer(), &options()).unwrap();
    verify_ok(&pki, &signed);
    // Flip one byte in the middle of the first cabinet, in place.
    let mut file = cfb::CompoundFile::open(Cursor::new(signed.clone())).unwrap();
    let cabinet = file
        .walk()
        .find(|e| e.is_stream() && e.len() > 4096)
        .map(|e| e.path().to_path_buf())
        .expect("a large stream");
    let mut stream = file.open_stream(&cabinet).unwrap();
    let mut byte = [0u8];
    stream.seek(SeekFrom::Start(2000)).unwrap();
    stream.read_exact(&mut byte).unwrap();
    stream.seek(SeekFrom::Start(2000)).unwrap();
    stream.write_all(&[byte[0] ^ 0x01]).unwrap();
    stream.flush().unwrap();
    drop(stream);
    file.flush().unwrap();
    let tampered = file.into_inner().into_inner();
    assert_ne!(tampered, signed);

    let (success, report) = pki.verify("verify.msi", &tampered);
    assert!(!success, "a changed stream must not verify:\n{report}");
    assert_ne!(
        field(&report, "Current DigitalSignature"),
        field(&report, "Calculated DigitalSignature"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------
// Split signing and timestamps.

#[test]
fn split_signing_gives_the_same_msi() {
    let pki = Pki::new();
    let input = real_msi();
    let chain = CertificateChain::from_pem(&pki.chain_pem()).unwrap();
    let request = msi_signing_request(&input, &chain, &options()).unwrap();
    let signature = pki.sign_attributes_elsewhere(&request.signed_attributes);
    let signed = attach_msi_signature(&input, &chain, &options(), &signature).unwrap();
    assert_eq!(signed, sign_msi(&input, &pki.pem_signer(), &options()).unwrap());
    let calculated = verify_ok(&pki, &signed);
    assert_eq!(calculated, hex(&msi_digest(&input).unwrap()));
    // The pre-hashed variant signs the same bytes.
    assert_eq!(pki.sign_digest_elsewhere(&request.digest), signature);
    // A signature over other options, or over another file, is refused.
    let err = attach_msi_signature(&input, &chain, &SignOptions::default(), &signature).unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadSignature { .. }), "{err}");
    let err = attach_msi_signature(&odd_compound_file(), &chain, &options(), &signature).unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadSignature { .. }), "{err}");
    // Not an MSI: the format error, in both steps.
    let err = msi_signing_request(b"text", &chain, &options()).unwrap_err();
    assert!(matches!(err, AuthenticodeError::NotMsi { .. }), "{err}");
    let err = attach_msi_signature(b"text", &chain, &options(), &signature).unwrap_err();
    assert!(matches!(err, AuthenticodeError::NotMsi { .. }), "{err}");
}

#[test]
fn a_timestamped_msi_verifies_with_the_tsa() {
    let pki = Pki::new();
    let tsa = pki.tsa(TsaMode::Grant);
    let input = real_msi();
    let options = SignOptions {
        timestamp: Some(tsa.url.clone()),
        ..options()
    };
    let check = |signed: &[u8]| {
        let (success, report) = pki.verify_timestamped("verify.msi", signed);
        assert!(success, "osslsigncode verify failed:\n{report}");
        assert!(report.contains("Timestamp time:"), "{report}");
        assert!(
            report.contains("Timestamp Server Signature verification: ok"),
            "{report}"
        );
        assert_eq!(
            field(&report, "Current DigitalSignature"),
            field(&report, "Calculated DigitalSignature")
        );
    };
    check(&sign_msi(&input, &pki.pem_signer(), &options).unwrap());
    assert_eq!(tsa.requests(), 1);

    // Split mode: the attach step asks the TSA.
    let chain = CertificateChain::from_pem(&pki.chain_pem()).unwrap();
    let request = msi_signing_request(&input, &chain, &options).unwrap();
    assert_eq!(tsa.requests(), 1);
    let signature = pki.sign_attributes_elsewhere(&request.signed_attributes);
    check(&attach_msi_signature(&input, &chain, &options, &signature).unwrap());
    assert_eq!(tsa.requests(), 2);
}

#[test]
fn non_msi_input_is_refused() {
    let pki = Pki::new();
    let signer = pki.pem_signer();
    let pe = [b"MZ\x90\x00".as_slice(), &[0; 200]].concat();
    for input in [pe.as_slice(), b"just some text\n", b""] {
        assert!(
            matches!(
                sign_msi(input, &signer, &options()),
                Err(AuthenticodeError::NotMsi { .. })
            ),
            "{input:?}"
        );
        let error = msi_digest(input).unwrap_err();
        assert!(matches!(error, AuthenticodeError::NotMsi { .. }), "{error}");
        assert!(error.to_string().contains("not a Windows Installer file"), "{error}");
    }
    // A truncated installer is refused, not a panic.
    let input = real_msi();
    for len in [8, 512, 1024, input.len() / 2] {
        assert!(
            matches!(msi_digest(&input[..len]), Err(AuthenticodeError::NotMsi { .. })),
            "{len}"
        );
    }
}
