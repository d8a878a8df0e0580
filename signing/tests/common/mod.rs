//! Helpers shared by the Authenticode tests: the real tools (openssl,
//! osslsigncode) and a throwaway PKI made with openssl.

#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use oxdist_signing::authenticode::CodeSigner;

// ---------------------------------------------------------------------------
// Oracles.

pub fn tool(program: &str, package: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "{program} is not installed; install it with `apt-get install {package}` (scripts/install-oracles.sh)"
    );
    Command::new(program)
}

pub fn run(mut command: Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

pub fn ok(command: Command) -> String {
    let debug = format!("{command:?}");
    let output = run(command);
    assert!(
        output.status.success(),
        "{debug} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let mut command = tool("openssl", "openssl");
    command.current_dir(dir).args(args);
    ok(command);
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// A throwaway PKI, removed with its temporary directory.

pub const PFX_PASSWORD: &str = "pfx-Pa55word-7f3c";

pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// A CA, a code-signing certificate it issued (`cs.pem`, key `cs.key`,
    /// PKCS#8), the same key as PKCS#1 (`cs-rsa.key`), and PFX files with
    /// OpenSSL 3's default (`cs.pfx`) and the legacy 3DES/SHA-1 protection
    /// (`cs-3des.pfx`).
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("authenticode").tempdir().unwrap();
        let p = dir.path();
        std::fs::write(
            p.join("ext.cnf"),
            "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n\
             [cs]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = codeSigning\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
        )
        .unwrap();
        let pass = format!("pass:{PFX_PASSWORD}");
        openssl(
            p,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "ca.key",
            ],
        );
        openssl(
            p,
            &[
                "req",
                "-new",
                "-key",
                "ca.key",
                "-subj",
                "/CN=oxdist test CA",
                "-out",
                "ca.csr",
            ],
        );
        openssl(
            p,
            &[
                "x509",
                "-req",
                "-in",
                "ca.csr",
                "-signkey",
                "ca.key",
                "-days",
                "3650",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "ca",
                "-out",
                "ca.pem",
            ],
        );
        openssl(
            p,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "cs.key",
            ],
        );
        openssl(p, &["rsa", "-in", "cs.key", "-traditional", "-out", "cs-rsa.key"]);
        openssl(
            p,
            &[
                "req",
                "-new",
                "-key",
                "cs.key",
                "-subj",
                "/CN=oxdist test signer/O=oxdist",
                "-out",
                "cs.csr",
            ],
        );
        openssl(
            p,
            &[
                "x509",
                "-req",
                "-in",
                "cs.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "4242",
                "-days",
                "3650",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "cs",
                "-out",
                "cs.pem",
            ],
        );
        openssl(
            p,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "cs.key",
                "-in",
                "cs.pem",
                "-certfile",
                "ca.pem",
                "-passout",
                &pass,
                "-out",
                "cs.pfx",
            ],
        );
        openssl(
            p,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "cs.key",
                "-in",
                "cs.pem",
                "-certfile",
                "ca.pem",
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
                "-passout",
                &pass,
                "-out",
                "cs-3des.pfx",
            ],
        );
        Pki { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Writes `bytes` to a file in the PKI's directory and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `osslsigncode verify` of `signed` (written to `name`) against
    /// `ca.pem`: (success, stdout + stderr).
    pub fn verify(&self, name: &str, signed: &[u8]) -> (bool, String) {
        let file = self.file(name, signed);
        let mut command = tool("osslsigncode", "osslsigncode");
        command
            .arg("verify")
            .arg("-in")
            .arg(&file)
            .arg("-CAfile")
            .arg(self.path("ca.pem"));
        let output = run(command);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    /// The signer from the PEM key and the chain (leaf, then CA).
    pub fn pem_signer(&self) -> CodeSigner {
        CodeSigner::from_pem(&self.read("cs.key"), &self.chain_pem()).unwrap()
    }

    pub fn chain_pem(&self) -> Vec<u8> {
        [self.read("cs.pem"), self.read("ca.pem")].concat()
    }
}
