//! Helpers shared by the Authenticode tests: the real tools (openssl,
//! osslsigncode) and a throwaway PKI made with openssl.

#![allow(dead_code)] // each test binary uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// The split mode's "sign elsewhere": openssl signs the signed attributes
    /// of a signing request with the signer's key (`openssl dgst -sha256 -sign`).
    pub fn sign_attributes_elsewhere(&self, signed_attributes: &[u8]) -> Vec<u8> {
        self.file("attributes.der", signed_attributes);
        openssl(
            self.dir.path(),
            &[
                "dgst",
                "-sha256",
                "-sign",
                "cs.key",
                "-out",
                "signature.bin",
                "attributes.der",
            ],
        );
        self.read("signature.bin")
    }

    /// The pre-hashed variant: openssl signs a request's SHA-256 digest as a
    /// DigestInfo (`openssl pkeyutl -sign -pkeyopt digest:sha256`).
    pub fn sign_digest_elsewhere(&self, digest: &[u8]) -> Vec<u8> {
        self.file("digest.bin", digest);
        openssl(
            self.dir.path(),
            &[
                "pkeyutl",
                "-sign",
                "-inkey",
                "cs.key",
                "-pkeyopt",
                "digest:sha256",
                "-in",
                "digest.bin",
                "-out",
                "sig2.bin",
            ],
        );
        self.read("sig2.bin")
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
        self.verify_with(name, signed, &[])
    }

    /// [`verify`](Self::verify) that also trusts `ca.pem` for timestamps
    /// (`-TSA-CAfile`), so a token from [`Pki::tsa`] verifies.
    pub fn verify_timestamped(&self, name: &str, signed: &[u8]) -> (bool, String) {
        let ca = self.path("ca.pem");
        self.verify_with(name, signed, &["-TSA-CAfile".as_ref(), ca.as_os_str()])
    }

    fn verify_with(&self, name: &str, signed: &[u8], extra: &[&std::ffi::OsStr]) -> (bool, String) {
        let file = self.file(name, signed);
        let mut command = tool("osslsigncode", "osslsigncode");
        command
            .arg("verify")
            .arg("-in")
            .arg(&file)
            .arg("-CAfile")
            .arg(self.path("ca.pem"))
            .args(extra);
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

// ---------------------------------------------------------------------------
// A local RFC 3161 timestamp authority: `openssl ts -reply` behind a
// minimal HTTP/1.1 server on 127.0.0.1 (no internet needed).

/// How the local TSA answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsaMode {
    /// A token from `openssl ts -reply`.
    Grant,
    /// `openssl ts -reply` with a configuration that accepts SHA-1 only:
    /// a `rejection` status with failure info `badAlg`.
    Reject,
    /// HTTP 500 with a text body.
    ServerError,
    /// HTTP 200 with an HTML page.
    NotTimestamp,
}

pub struct Tsa {
    pub url: String,
    requests: Arc<AtomicUsize>,
}

impl Tsa {
    /// How many timestamp requests reached the server.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Pki {
    /// Starts a local TSA whose certificate (`tsa.crt`, key `tsa.key`,
    /// extended key usage critical timeStamping) the test CA issued. The
    /// server thread lives until the test process ends.
    pub fn tsa(&self, mode: TsaMode) -> Tsa {
        let p = self.dir.path();
        if !p.join("tsa.crt").exists() {
            std::fs::write(
                p.join("tsa-ext.cnf"),
                "[tsa]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
                 extendedKeyUsage = critical, timeStamping\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
            )
            .unwrap();
            openssl(
                p,
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                    "tsa.key",
                ],
            );
            openssl(
                p,
                &[
                    "req",
                    "-new",
                    "-key",
                    "tsa.key",
                    "-subj",
                    "/CN=oxdist test TSA",
                    "-out",
                    "tsa.csr",
                ],
            );
            openssl(
                p,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "tsa.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    "4343",
                    "-days",
                    "3650",
                    "-extfile",
                    "tsa-ext.cnf",
                    "-extensions",
                    "tsa",
                    "-out",
                    "tsa.crt",
                ],
            );
            std::fs::write(p.join("tsaserial"), "01\n").unwrap();
            for (name, digests) in [("tsa.cnf", "sha256, sha384, sha512"), ("tsa-sha1.cnf", "sha1")] {
                let config = format!(
                    "[tsa]\ndefault_tsa = tsa_config\n[tsa_config]\nserial = {dir}/tsaserial\n\
                     crypto_device = builtin\nsigner_cert = {dir}/tsa.crt\ncerts = {dir}/ca.pem\n\
                     signer_key = {dir}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
                     digests = {digests}\naccuracy = secs:1\nordering = no\ntsa_name = yes\n\
                     ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                    dir = p.display()
                );
                std::fs::write(p.join(name), config).unwrap();
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let dir = p.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if let Err(e) = serve(stream, &dir, mode, n) {
                    eprintln!("local TSA: {e}");
                }
            }
        });
        Tsa { url, requests }
    }
}

/// One HTTP exchange of the local TSA.
fn serve(stream: TcpStream, dir: &Path, mode: TsaMode, n: usize) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut content_length = None;
    let mut content_type = String::new();
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse::<usize>().ok(),
                "content-type" => content_type = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length.unwrap_or(0)];
    reader.read_exact(&mut body)?;
    let (status, reply_type, reply) = if !request_line.starts_with("POST ")
        || content_type != "application/timestamp-query"
        || content_length.is_none()
    {
        (
            "400 Bad Request",
            "text/plain",
            format!("bad request: {request_line:?} {content_type:?}").into_bytes(),
        )
    } else {
        match mode {
            TsaMode::Grant | TsaMode::Reject => {
                let query = format!("query-{n}.tsq");
                let reply = format!("reply-{n}.tsr");
                std::fs::write(dir.join(&query), &body)?;
                let config = if mode == TsaMode::Grant {
                    "tsa.cnf"
                } else {
                    "tsa-sha1.cnf"
                };
                openssl(
                    dir,
                    &["ts", "-reply", "-config", config, "-queryfile", &query, "-out", &reply],
                );
                (
                    "200 OK",
                    "application/timestamp-reply",
                    std::fs::read(dir.join(&reply))?,
                )
            }
            TsaMode::ServerError => (
                "500 Internal Server Error",
                "text/plain",
                b"TSA backend unavailable".to_vec(),
            ),
            TsaMode::NotTimestamp => ("200 OK", "text/html", b"<html><body>Welcome</body></html>".to_vec()),
        }
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {reply_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    )?;
    stream.write_all(&reply)?;
    stream.flush()
}

/// An http:// URL where nothing listens (a port just released).
pub fn unreachable_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/tsa")
}
