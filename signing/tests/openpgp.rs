//! OpenPGP signing checked by GnuPG: keys are made by `gpg`, signatures
//! verified by `gpg --verify`. A missing gpg fails the tests with the
//! command that installs it.

use std::path::Path;
use std::process::{Command, Output};

use oxdist_signing::openpgp::{OpenPgpError, Signer};

/// A throwaway GnuPG home; its agent is stopped on drop.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Self {
        let home = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        Gpg { home }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("gpg")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run gpg ({e}); install it with `apt-get install gnupg`"))
    }

    fn ok(&self, args: &[&str]) -> Vec<u8> {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "gpg {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// Makes a key and returns its fingerprint.
    fn generate(&self, uid: &str, algorithm: &str, usage: &str, passphrase: &str) -> String {
        self.ok(&[
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            uid,
            algorithm,
            usage,
            "never",
        ]);
        self.fingerprint(uid)
    }

    fn fingerprint(&self, uid: &str) -> String {
        let listing = String::from_utf8(self.ok(&["--with-colons", "--list-keys", uid])).unwrap();
        listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .expect("a fingerprint")
    }

    fn export_secret(&self, uid: &str, passphrase: &str, armor: bool) -> Vec<u8> {
        let mut args = vec!["--passphrase", passphrase, "--export-secret-keys"];
        if armor {
            args.push("--armor");
        }
        args.push(uid);
        self.ok(&args)
    }

    /// `gpg --verify` of a detached signature; returns gpg's status lines.
    fn verify(&self, signature: &[u8], data: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let sig = dir.path().join("data.sig");
        let file = dir.path().join("data");
        std::fs::write(&sig, signature).unwrap();
        std::fs::write(&file, data).unwrap();
        let output = self.run(&["--status-fd", "1", "--verify", path(&sig), path(&file)]);
        let status = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success() && status.contains("[GNUPG:] GOODSIG"),
            "gpg --verify failed:\n{status}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        status
    }

    /// The digest algorithm number `gpg --list-packets` reports (8 = SHA-256).
    fn digest_algo(&self, signature: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let sig = dir.path().join("data.sig");
        std::fs::write(&sig, signature).unwrap();
        let packets = String::from_utf8(self.ok(&["--list-packets", path(&sig)])).unwrap();
        packets
            .split("digest algo ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("no digest algo in:\n{packets}"))
            .to_string()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const DATA: &[u8] = b"debian-binary, control and data, concatenated\n";

#[test]
fn ed25519_signatures_verify_and_are_reproducible() {
    let gpg = Gpg::new();
    let fingerprint = gpg.generate("Ed Signer <ed@example.org>", "ed25519", "sign", "");
    let signer = Signer::from_bytes(&gpg.export_secret("ed@example.org", "", true), None).unwrap();
    assert_eq!(signer.fingerprint(), fingerprint);
    assert_eq!(signer.signing_fingerprint(), fingerprint);
    assert_eq!(signer.key_id(), fingerprint[24..]);

    let first = signer.detached_signature(DATA, 1_700_000_000).unwrap();
    let second = signer.detached_signature(DATA, 1_700_000_000).unwrap();
    assert_eq!(first, second, "same key, data and time give the same signature");
    let status = gpg.verify(&first, DATA);
    assert!(status.contains(&fingerprint), "{status}");
    assert_eq!(gpg.digest_algo(&first), "8", "SHA-256");

    // A time before the key existed is raised to the key's creation time,
    // which gpg accepts (it refuses signatures older than their key).
    gpg.verify(&signer.detached_signature(DATA, 0).unwrap(), DATA);
    // Debug output names the key, never its material.
    let debug = format!("{signer:?}");
    assert!(debug.contains(&fingerprint) && debug.len() < 200, "{debug}");
}

#[test]
fn protected_rsa_key_in_binary_form() {
    let gpg = Gpg::new();
    let fingerprint = gpg.generate("Rsa Signer <rsa@example.org>", "rsa2048", "sign", "correct horse");
    let exported = gpg.export_secret("rsa@example.org", "correct horse", false);
    assert_ne!(exported[0], b'-', "binary export");
    let key_id = &fingerprint[24..];

    let missing = Signer::from_bytes(&exported, None).unwrap_err();
    assert!(matches!(missing, OpenPgpError::PassphraseRequired { .. }), "{missing}");
    assert_eq!(
        missing.to_string(),
        format!("the OpenPGP key {key_id} is passphrase-protected and no passphrase was given; provide its passphrase")
    );
    let wrong = Signer::from_bytes(&exported, Some("battery staple")).unwrap_err();
    assert_eq!(wrong.to_string(), format!("wrong passphrase for OpenPGP key {key_id}"));
    assert!(
        !format!("{wrong:?}").contains("battery"),
        "the passphrase never appears in errors"
    );

    let signer = Signer::from_bytes(&exported, Some("correct horse")).unwrap();
    let signature = signer.detached_signature(DATA, 1_700_000_000).unwrap();
    assert_eq!(signature, signer.detached_signature(DATA, 1_700_000_000).unwrap());
    gpg.verify(&signature, DATA);
    assert_eq!(gpg.digest_algo(&signature), "8");
}

#[test]
fn signing_subkey_is_preferred() {
    let gpg = Gpg::new();
    let primary = gpg.generate("Sub Signer <sub@example.org>", "ed25519", "cert", "");
    gpg.ok(&[
        "--passphrase",
        "",
        "--quick-add-key",
        &primary,
        "ed25519",
        "sign",
        "never",
    ]);
    let signer = Signer::from_bytes(&gpg.export_secret("sub@example.org", "", true), None).unwrap();
    assert_eq!(signer.fingerprint(), primary);
    assert_ne!(signer.signing_fingerprint(), primary);
    let status = gpg.verify(&signer.detached_signature(DATA, 1_700_000_000).unwrap(), DATA);
    assert!(status.contains(&signer.signing_fingerprint()), "{status}");
}

#[test]
fn refusals_say_what_to_do() {
    let gpg = Gpg::new();
    let primary = gpg.generate("Cert Only <cert@example.org>", "ed25519", "cert", "");
    gpg.ok(&[
        "--passphrase",
        "",
        "--quick-add-key",
        &primary,
        "cv25519",
        "encr",
        "never",
    ]);
    let err = Signer::from_bytes(&gpg.export_secret("cert@example.org", "", true), None).unwrap_err();
    assert!(matches!(err, OpenPgpError::CannotSign { .. }), "{err}");
    assert!(err.to_string().contains("--quick-add-key"), "{err}");

    let public = gpg.ok(&["--export", "--armor", "cert@example.org"]);
    let err = Signer::from_bytes(&public, None).unwrap_err();
    assert!(matches!(err, OpenPgpError::NotSecret { .. }), "{err}");
    assert!(err.to_string().contains(&primary), "{err}");

    gpg.generate("Other <other@example.org>", "ed25519", "sign", "");
    let both = gpg.export_secret("example.org", "", true);
    let err = Signer::from_bytes(&both, None).unwrap_err();
    assert!(matches!(err, OpenPgpError::SeveralKeys { count: 2, .. }), "{err}");

    let err = Signer::from_bytes(b"not a key", None).unwrap_err();
    assert!(err.to_string().starts_with("cannot read the OpenPGP key"), "{err}");
    let err = Signer::from_bytes(b"", None).unwrap_err();
    assert!(matches!(err, OpenPgpError::NoKey | OpenPgpError::Parse { .. }), "{err}");
}
