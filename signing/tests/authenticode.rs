//! Authenticode signing checked by osslsigncode: real Windows PE files from
//! pinned PyPI wheels (distlib's launchers in pip's wheel: `t64.exe` PE32+,
//! `t32.exe` PE32; MarkupSafe's `_speedups` `.pyd`, a DLL), a throwaway CA
//! and code-signing certificate made by `openssl` in a temporary directory,
//! and `osslsigncode verify -CAfile ca.pem` as the verifier. Missing tools
//! fail the tests with the command that installs them
//! (scripts/install-oracles.sh).

mod common;

use std::path::PathBuf;

use common::{PFX_PASSWORD, Pki, TsaMode, hex, ok, openssl, tool};
use oxdist_signing::authenticode::{
    AuthenticodeError, CertificateChain, CodeSigner, SignOptions, attach_pe_signature, is_signed_pe, pe_digest,
    pe_signing_request, sign_pe,
};
use oxdist_testing::{cp311_platform_args, fetch_wheel, pip_wheel, wheel_member};

// ---------------------------------------------------------------------------
// Test inputs: pinned wheels from PyPI, in the shared wheel cache of
// oxdist-testing (target/test-data/wheels); pip's wheel carries distlib's
// Windows launchers.

/// A CPython 3.11 extension module for 64-bit Windows.
fn markupsafe_win_amd64() -> PathBuf {
    fetch_wheel(
        "markupsafe==2.1.5",
        "markupsafe-2.1.5-",
        &["cp311", "win_amd64"],
        &cp311_platform_args("win_amd64"),
    )
}

fn t64_exe() -> Vec<u8> {
    wheel_member(&pip_wheel(), "pip/_vendor/distlib/t64.exe")
}

fn t32_exe() -> Vec<u8> {
    wheel_member(&pip_wheel(), "pip/_vendor/distlib/t32.exe")
}

fn speedups_pyd() -> Vec<u8> {
    wheel_member(&markupsafe_win_amd64(), "markupsafe/_speedups.cp311-win_amd64.pyd")
}

// ---------------------------------------------------------------------------
// Oracles.

/// `osslsigncode verify` of `signed` against `ca.pem`: (success, stdout + stderr).
fn verify(pki: &Pki, signed: &[u8]) -> (bool, String) {
    pki.verify("signed.bin", signed)
}

/// Verifies and returns osslsigncode's report, failing the test unless the
/// signature is valid and the PE checksum matches.
fn verify_ok(pki: &Pki, signed: &[u8]) -> String {
    let (success, report) = verify(pki, signed);
    assert!(success, "osslsigncode verify failed:\n{report}");
    assert!(
        report.lines().any(|l| l.trim() == "Signature verification: ok"),
        "{report}"
    );
    // osslsigncode prints "PE checksum : X" when the header's CheckSum is right, and
    // "Current PE checksum" / "Calculated PE checksum" / "Warning: invalid PE checksum" when not.
    assert!(report.lines().any(|l| l.starts_with("PE checksum")), "{report}");
    assert!(
        !report.contains("invalid PE checksum") && !report.contains("MISMATCH"),
        "{report}"
    );
    report
}

/// The "Calculated message digest" osslsigncode reports, in lowercase hex.
fn calculated_digest(report: &str) -> String {
    report
        .lines()
        .find_map(|l| l.strip_prefix("Calculated message digest :"))
        .unwrap_or_else(|| panic!("no calculated digest in:\n{report}"))
        .trim()
        .to_lowercase()
}

fn options() -> SignOptions {
    SignOptions {
        program_name: Some("oxdist test program".into()),
        url: Some("https://example.org/oxdist".into()),
        ..SignOptions::default()
    }
}

// ---------------------------------------------------------------------------
// Signing real PE files.

#[test]
fn signs_a_pe32_plus_exe_that_osslsigncode_verifies() {
    let pki = Pki::new();
    let input = t64_exe();
    assert!(!is_signed_pe(&input).unwrap());
    let signed = sign_pe(&input, &pki.pem_signer(), &options()).unwrap();
    assert!(is_signed_pe(&signed).unwrap());
    assert_eq!(signed.len() % 8, 0, "the certificate table is padded to 8 bytes");
    let report = verify_ok(&pki, &signed);
    assert_eq!(calculated_digest(&report), hex(&pe_digest(&input).unwrap()));
    assert!(report.contains("Text description: oxdist test program"), "{report}");
    assert!(
        report.contains("URL description: https://example.org/oxdist"),
        "{report}"
    );
    assert!(report.contains("Microsoft Individual Code Signing purpose"), "{report}");
    assert!(
        !report.contains("Signing time"),
        "no signing time unless asked:\n{report}"
    );
    // The digest ignores the signature: the signed file hashes like the unsigned one.
    assert_eq!(pe_digest(&signed).unwrap(), pe_digest(&input).unwrap());
}

#[test]
fn signs_a_pe32_exe_with_a_pfx_key() {
    let pki = Pki::new();
    let input = t32_exe();
    let signer = CodeSigner::from_pkcs12(&pki.read("cs.pfx"), PFX_PASSWORD).unwrap();
    assert_eq!(signer.chain().certificates().len(), 2);
    assert_eq!(signer.chain().subject(), "O=oxdist,CN=oxdist test signer");
    let signed = sign_pe(&input, &signer, &SignOptions::default()).unwrap();
    let report = verify_ok(&pki, &signed);
    assert_eq!(calculated_digest(&report), hex(&pe_digest(&input).unwrap()));
}

#[test]
fn signs_a_pyd_dll_with_a_legacy_3des_pfx() {
    let pki = Pki::new();
    let input = speedups_pyd();
    let signer = CodeSigner::from_pkcs12(&pki.read("cs-3des.pfx"), PFX_PASSWORD).unwrap();
    let signed = sign_pe(&input, &signer, &options()).unwrap();
    let report = verify_ok(&pki, &signed);
    assert_eq!(calculated_digest(&report), hex(&pe_digest(&input).unwrap()));
    // Same key, same bytes: PFX and PEM signers are interchangeable.
    assert_eq!(signed, sign_pe(&input, &pki.pem_signer(), &options()).unwrap());
}

#[test]
fn pe_digest_matches_the_digest_osslsigncode_signs() {
    let pki = Pki::new();
    for (name, input) in [("t64.exe", t64_exe()), ("t32.exe", t32_exe()), ("pyd", speedups_pyd())] {
        let unsigned = pki.dir.path().join(name);
        let signed = pki.dir.path().join(format!("{name}.signed"));
        std::fs::write(&unsigned, &input).unwrap();
        let mut command = tool("osslsigncode", "osslsigncode");
        command
            .current_dir(pki.dir.path())
            .args(["sign", "-certs", "cs.pem", "-key", "cs.key", "-h", "sha256"]);
        command.arg("-in").arg(&unsigned).arg("-out").arg(&signed);
        ok(command);
        let theirs = std::fs::read(&signed).unwrap();
        let report = verify_ok(&pki, &theirs);
        assert_eq!(calculated_digest(&report), hex(&pe_digest(&input).unwrap()), "{name}");
        // Re-signing replaces their signature: the result is what signing the unsigned file gives.
        let ours = sign_pe(&theirs, &pki.pem_signer(), &options()).unwrap();
        assert_eq!(ours, sign_pe(&input, &pki.pem_signer(), &options()).unwrap(), "{name}");
    }
}

#[test]
fn signing_is_reproducible_and_replaces_an_existing_signature() {
    let pki = Pki::new();
    let input = t64_exe();
    let signer = pki.pem_signer();
    let once = sign_pe(&input, &signer, &options()).unwrap();
    assert_eq!(once, sign_pe(&input, &signer, &options()).unwrap());
    let twice = sign_pe(&once, &signer, &options()).unwrap();
    assert_eq!(once, twice, "re-signing replaces the signature");
    // A PKCS#1 key file gives the same signer.
    let pkcs1 = CodeSigner::from_pem(&pki.read("cs-rsa.key"), &pki.chain_pem()).unwrap();
    assert_eq!(once, sign_pe(&input, &pkcs1, &options()).unwrap());
}

#[test]
fn a_signing_time_is_written_only_when_asked() {
    let pki = Pki::new();
    let input = t64_exe();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let options = SignOptions {
        signing_time: Some(time),
        ..SignOptions::default()
    };
    let signed = sign_pe(&input, &pki.pem_signer(), &options).unwrap();
    let report = verify_ok(&pki, &signed);
    assert!(report.contains("Signing time: Nov 14 22:13:20 2023 GMT"), "{report}");
}

#[test]
fn a_changed_byte_breaks_the_signature() {
    let pki = Pki::new();
    let input = t64_exe();
    let mut signed = sign_pe(&input, &pki.pem_signer(), &options()).unwrap();
    verify_ok(&pki, &signed);
    // A byte in the middle of the image (code or data), not in the skipped fields.
    signed[input.len() / 2] ^= 0x01;
    let (success, report) = verify(&pki, &signed);
    assert!(!success, "osslsigncode accepted a modified file:\n{report}");
    assert!(!report.contains("Signature verification: ok"), "{report}");
    assert!(report.contains("MISMATCH"), "{report}");
}

// ---------------------------------------------------------------------------
// Split signing: the key stays with "an HSM" (here: openssl).

#[test]
fn split_signing_with_an_external_signer() {
    let pki = Pki::new();
    let input = speedups_pyd();
    let chain = CertificateChain::from_pem(&pki.chain_pem()).unwrap();
    let request = pe_signing_request(&input, &chain, &options()).unwrap();
    let signature = pki.sign_attributes_elsewhere(&request.signed_attributes);
    let signed = attach_pe_signature(&input, &chain, &options(), &signature).unwrap();
    verify_ok(&pki, &signed);
    // Deterministic RSA: the same bytes as signing in process.
    assert_eq!(signed, sign_pe(&input, &pki.pem_signer(), &options()).unwrap());
    // The pre-hashed variant: openssl signs the digest as a SHA-256 DigestInfo.
    assert_eq!(pki.sign_digest_elsewhere(&request.digest), signature);
    // A signature over other options (here: without a program name) is refused.
    let err = attach_pe_signature(&input, &chain, &SignOptions::default(), &signature).unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadSignature { .. }), "{err}");
    assert!(err.to_string().contains("CN=oxdist test signer"), "{err}");
}

// ---------------------------------------------------------------------------
// Keys.

#[test]
fn a_wrong_pfx_password_is_a_clear_error_without_the_password() {
    let pki = Pki::new();
    for file in ["cs.pfx", "cs-3des.pfx"] {
        let wrong = "not-the-Secret-91";
        let err = CodeSigner::from_pkcs12(&pki.read(file), wrong).unwrap_err();
        assert!(matches!(err, AuthenticodeError::WrongPassword), "{file}: {err}");
        let message = format!("{err} {err:?}");
        assert!(message.contains("wrong password"), "{message}");
        assert!(!message.contains(wrong) && !message.contains(PFX_PASSWORD), "{message}");
    }
    // Truncated files are errors, never panics.
    let pfx = pki.read("cs.pfx");
    for len in 0..pfx.len() {
        assert!(
            CodeSigner::from_pkcs12(&pfx[..len], PFX_PASSWORD).is_err(),
            "{len} bytes"
        );
    }
    let err = CodeSigner::from_pkcs12(b"not a pfx", PFX_PASSWORD).unwrap_err();
    assert!(matches!(err, AuthenticodeError::Pkcs12 { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains(PFX_PASSWORD));
}

#[test]
fn key_and_certificate_mistakes_are_clear_errors() {
    let pki = Pki::new();
    // The CA certificate alone does not match the signing key.
    let err = CodeSigner::from_pem(&pki.read("cs.key"), &pki.read("ca.pem")).unwrap_err();
    assert!(matches!(err, AuthenticodeError::KeyCertificateMismatch { .. }), "{err}");
    assert!(err.to_string().contains("CN=oxdist test CA"), "{err}");
    // The chain may come in any order: the leaf is the certificate of the key.
    let reversed = [pki.read("ca.pem"), pki.read("cs.pem")].concat();
    let signer = CodeSigner::from_pem(&pki.read("cs.key"), &reversed).unwrap();
    assert_eq!(signer.chain().subject(), "O=oxdist,CN=oxdist test signer");
    // A certificate where the key belongs, no certificate at all, an EC key, an encrypted key.
    let err = CodeSigner::from_pem(&pki.read("cs.pem"), &pki.read("cs.pem")).unwrap_err();
    assert!(matches!(err, AuthenticodeError::Key { .. }), "{err}");
    let err = CodeSigner::from_pem(&pki.read("cs.key"), b"").unwrap_err();
    assert!(
        matches!(
            err,
            AuthenticodeError::NoCertificates | AuthenticodeError::Certificates { .. }
        ),
        "{err}"
    );
    openssl(
        pki.dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.key",
        ],
    );
    let err = CodeSigner::from_pem(&pki.read("ec.key"), &pki.chain_pem()).unwrap_err();
    assert!(matches!(err, AuthenticodeError::UnsupportedKey { .. }), "{err}");
    openssl(
        pki.dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "cs.key",
            "-passout",
            "pass:secret-x",
            "-out",
            "enc.key",
        ],
    );
    let err = CodeSigner::from_pem(&pki.read("enc.key"), &pki.chain_pem()).unwrap_err();
    assert!(matches!(err, AuthenticodeError::EncryptedPemKey), "{err}");
    // Debug output names certificates, never key material.
    let debug = format!("{signer:?}");
    assert!(debug.contains("CN=oxdist test signer"), "{debug}");
    let key_body: String = String::from_utf8(pki.read("cs.key"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(!debug.contains(&key_body));
}

// ---------------------------------------------------------------------------
// RFC 3161 timestamps from a local TSA (openssl ts behind a loopback HTTP server).

fn timestamped(url: &str) -> SignOptions {
    SignOptions {
        timestamp: Some(url.to_string()),
        ..options()
    }
}

/// Verifies with the TSA's CA trusted and checks that osslsigncode found
/// and verified the timestamp.
fn verify_timestamp_ok(pki: &Pki, signed: &[u8]) -> String {
    let (success, report) = pki.verify_timestamped("signed.bin", signed);
    assert!(success, "osslsigncode verify failed:\n{report}");
    assert!(
        report.lines().any(|l| l.trim() == "Signature verification: ok"),
        "{report}"
    );
    assert!(report.contains("Timestamp time:"), "{report}");
    assert!(report.contains("CN=oxdist test TSA"), "{report}");
    assert!(
        report.contains("Timestamp Server Signature verification: ok"),
        "{report}"
    );
    assert!(!report.contains("MISMATCH"), "{report}");
    report
}

#[test]
fn a_timestamped_pe_verifies_with_the_tsa() {
    let pki = Pki::new();
    let tsa = pki.tsa(TsaMode::Grant);
    let input = t64_exe();
    let signed = sign_pe(&input, &pki.pem_signer(), &timestamped(&tsa.url)).unwrap();
    assert_eq!(tsa.requests(), 1);
    let report = verify_timestamp_ok(&pki, &signed);
    assert_eq!(calculated_digest(&report), hex(&pe_digest(&input).unwrap()));
    // The token is an unsigned attribute: the rest of the signature is unchanged.
    let plain = sign_pe(&input, &pki.pem_signer(), &options()).unwrap();
    assert!(signed.len() > plain.len());
    assert_eq!(pe_digest(&signed).unwrap(), pe_digest(&plain).unwrap());
}

#[test]
fn split_signing_asks_the_tsa_when_attaching() {
    let pki = Pki::new();
    let tsa = pki.tsa(TsaMode::Grant);
    let input = speedups_pyd();
    let chain = CertificateChain::from_pem(&pki.chain_pem()).unwrap();
    let options = timestamped(&tsa.url);
    let request = pe_signing_request(&input, &chain, &options).unwrap();
    assert_eq!(tsa.requests(), 0, "the request step does not contact the TSA");
    assert_eq!(request, pe_signing_request(&input, &chain, &self::options()).unwrap());
    let signature = pki.sign_attributes_elsewhere(&request.signed_attributes);
    let signed = attach_pe_signature(&input, &chain, &options, &signature).unwrap();
    assert_eq!(tsa.requests(), 1);
    verify_timestamp_ok(&pki, &signed);
    // A bad signature is refused before the TSA is asked.
    let err = attach_pe_signature(&input, &chain, &options, &[0; 256]).unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadSignature { .. }), "{err}");
    assert_eq!(tsa.requests(), 1);
}

#[test]
fn timestamp_failures_are_clear_errors() {
    let pki = Pki::new();
    let input = t32_exe();
    let signer = pki.pem_signer();

    let tsa = pki.tsa(TsaMode::Reject);
    let err = sign_pe(&input, &signer, &timestamped(&tsa.url)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AuthenticodeError::TimestampRejected { .. }), "{text}");
    assert!(
        text.contains(&tsa.url) && text.contains("rejection") && text.contains("badAlg"),
        "{text}"
    );

    let tsa = pki.tsa(TsaMode::ServerError);
    let err = sign_pe(&input, &signer, &timestamped(&tsa.url)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AuthenticodeError::TimestampHttp { .. }), "{text}");
    assert!(
        text.contains(&tsa.url) && text.contains("HTTP 500") && text.contains("TSA backend unavailable"),
        "{text}"
    );

    let tsa = pki.tsa(TsaMode::NotTimestamp);
    let err = sign_pe(&input, &signer, &timestamped(&tsa.url)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AuthenticodeError::TimestampResponse { .. }), "{text}");
    assert!(text.contains(&tsa.url) && text.contains("TimeStampResp"), "{text}");

    let url = common::unreachable_url();
    let err = sign_pe(&input, &signer, &timestamped(&url)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AuthenticodeError::TimestampHttp { .. }), "{text}");
    assert!(text.contains(&url), "{text}");

    let err = sign_pe(&input, &signer, &timestamped("ftp://timestamp.example/")).unwrap_err();
    assert!(matches!(err, AuthenticodeError::Option { .. }), "{err}");
    assert!(err.to_string().contains("not an http:// or https:// URL"), "{err}");

    // Credentials in the URL never appear in an error.
    let secret_url = url.replace("http://", "http://user:tsa-Secret-55@");
    let err = sign_pe(&input, &signer, &timestamped(&secret_url)).unwrap_err();
    let message = format!("{err} {err:?}");
    assert!(!message.contains("tsa-Secret-55"), "{message}");
}

// ---------------------------------------------------------------------------
// Input that is not a PE file.

#[test]
fn non_pe_input_is_an_error_never_a_panic() {
    let text = b"This is a text file, not an executable.\n".to_vec();
    let elf = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    for (name, input) in [("text", text), ("ELF", elf), ("empty", Vec::new())] {
        let err = pe_digest(&input).unwrap_err();
        assert!(matches!(err, AuthenticodeError::NotPe { .. }), "{name}: {err}");
        assert!(err.to_string().contains("not a Windows PE file"), "{name}: {err}");
    }
    // Every truncation of the headers is an error; longer ones may hash but must not panic.
    let exe = t64_exe();
    for len in 0..1024.min(exe.len()) {
        let _ = pe_digest(&exe[..len]);
    }
    for len in 0..0x100 {
        assert!(pe_digest(&exe[..len]).is_err(), "{len} bytes");
    }
    // Any single corrupted header byte gives a digest or an error, never a panic.
    for offset in 0..0x400.min(exe.len()) {
        for value in [0x00, 0xff, 0x7f] {
            let mut corrupt = exe.clone();
            corrupt[offset] = value;
            let _ = pe_digest(&corrupt);
        }
    }
    // A certificate table pointing past the end of the file.
    let pki = Pki::new();
    let signed = sign_pe(&exe, &pki.pem_signer(), &SignOptions::default()).unwrap();
    let err = pe_digest(&signed[..signed.len() - 8]).unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadCertificateTable { .. }), "{err}");
    // Data after the certificate table.
    let err = sign_pe(
        &[&signed[..], b"trailing"].concat(),
        &pki.pem_signer(),
        &SignOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, AuthenticodeError::BadCertificateTable { .. }), "{err}");
}
