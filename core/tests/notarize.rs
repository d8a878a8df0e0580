//! `oxdist notarize` end to end against a local stand-in for Apple's
//! services (oxdist-testing's `notary_mock.py`, HTTPS with a test CA given
//! through `SSL_CERT_FILE`). The stand-in checks what Apple's would, with
//! real implementations: PyJWT verifies the ES256 API tokens, botocore
//! recomputes the S3 upload's SigV4 signature. The ticket record names are
//! checked against the cdhashes `rcodesign` reads; stapled artifacts are
//! read back with rcodesign, dmg2img and Python's zipfile.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::Project;

const ISSUER: &str = "69a6de7e-6b7b-47e3-e053-5b8c7c11a4d1";
const KEY_ID: &str = "2X9R4HXF34";

/// The mock server; killed when dropped.
struct Mock {
    child: Child,
    state: PathBuf,
    port: u16,
    ca: PathBuf,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mock {
    /// Starts the mock with a TLS certificate for 127.0.0.1 from a fresh
    /// CA and the API key's public half.
    fn start(dir: &Path, public_key: &str, ticket: &[u8]) -> Mock {
        let state = dir.join("mock");
        std::fs::create_dir_all(&state).unwrap();
        let openssl = |args: &[&str]| common::tool("openssl", args, "openssl");
        let at = |name: &str| state.join(name).to_str().unwrap().to_string();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=oxdist test CA",
            "-keyout",
            &at("ca.key"),
            "-out",
            &at("ca.pem"),
        ]);
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &at("key.pem"),
            "-out",
            &at("server.csr"),
        ]);
        std::fs::write(
            state.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &at("server.csr"),
            "-CA",
            &at("ca.pem"),
            "-CAkey",
            &at("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &at("server.ext"),
            "-out",
            &at("cert.pem"),
        ]);
        let mock = Mock {
            child: Command::new("python3")
                .arg("-S")
                .arg(oxdist_testing::notary_mock_script())
                .arg(&state)
                .env("PYTHONPATH", oxdist_testing::notary_mock_packages())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs"),
            ca: state.join("ca.pem"),
            state,
            port: 0,
        };
        mock.configure(public_key, ticket, "Accepted", 1);
        let mut mock = mock;
        let mut line = String::new();
        BufReader::new(mock.child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        mock.port = line
            .trim()
            .strip_prefix("port ")
            .unwrap_or_else(|| panic!("the mock did not start: {line:?}"))
            .parse()
            .unwrap();
        mock
    }

    fn configure(&self, public_key: &str, ticket: &[u8], verdict: &str, polls_in_progress: u32) {
        use base64::Engine;
        let config = serde_json::json!({
            "issuer": ISSUER, "key_id": KEY_ID, "public_key": public_key, "verdict": verdict,
            "polls_in_progress": polls_in_progress,
            "ticket_b64": base64::engine::general_purpose::STANDARD.encode(ticket),
        });
        std::fs::write(self.state.join("config.json"), config.to_string()).unwrap();
    }

    /// The environment that points oxdist at the mock, with the key.
    fn env(&self, key_file: &Path) -> Vec<(String, String)> {
        let base = format!("https://127.0.0.1:{}", self.port);
        [
            ("OXDIST_NOTARY_API_URL", format!("{base}/notary/v2")),
            ("OXDIST_NOTARY_S3_URL", base.clone()),
            ("OXDIST_NOTARY_TICKET_URL", format!("{base}/ticket/lookup")),
            ("SSL_CERT_FILE", self.ca.display().to_string()),
            ("OXDIST_NOTARY_ISSUER", ISSUER.to_string()),
            ("OXDIST_NOTARY_KEY_ID", KEY_ID.to_string()),
            ("OXDIST_NOTARY_KEY_FILE", key_file.display().to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .to_vec()
    }

    /// The requests seen since the last call, as JSON objects.
    fn take_requests(&self) -> Vec<serde_json::Value> {
        let path = self.state.join("requests.jsonl");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn run(p: &Project, args: &[&str], env: &[(String, String)]) -> common::Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    p.run_with_env(args, &env)
}

use oxdist_testing::signature_info;

/// The cdhash by rcodesign: the SHA-256 it prints for the (first) code
/// directory blob, its first 40 hex digits.
fn cdhash(info: &str) -> String {
    info.lines()
        .skip_while(|l| !l.contains("slot: CodeDirectory (0)"))
        .find_map(|l| l.trim().strip_prefix("sha256: "))
        .unwrap_or_else(|| panic!("no code directory hash in\n{info}"))
        .chars()
        .take(40)
        .collect()
}

#[test]
fn notarize_submits_waits_and_staples_dmg_and_app_zip() {
    let p = Project::new();
    common::macos_speedups("macosx_11_0_arm64", &p.path().join("greeter"));
    oxdist_testing::developer_id_certificate(p.path(), "ABCDE12345");
    let openssl = |args: &[&str]| common::tool("openssl", args, "openssl");
    let at = |name: &str| p.path().join(name).to_str().unwrap().to_string();
    // An App Store Connect API key is a PKCS#8 P-256 key.
    let api_key = |name: &str| {
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &at(name),
        ]);
    };
    api_key("AuthKey.p8");
    openssl(&["pkey", "-in", &at("AuthKey.p8"), "-pubout", "-out", &at("AuthKey.pub")]);
    let public_key = std::fs::read_to_string(p.path().join("AuthKey.pub")).unwrap();
    let ticket = oxdist_testing::noise(9000, 7);
    let mock = Mock::start(p.path(), &public_key, &ticket);
    let env = mock.env(&p.path().join("AuthKey.p8"));

    // Unsigned and ad-hoc artifacts are refused before anything is sent.
    p.config(&common::GREETER_APP_CONFIG.replace("SIGNER", ""));
    p.run_with_env(
        &["package", "--format", "app,dmg"],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    )
    .ok();
    let stem = "greeter-1.2.3-aarch64-apple-darwin";
    let dist = p.path().join("dist");
    let dmg = dist.join(format!("{stem}.dmg"));
    let zip = dist.join(format!("{stem}.app.zip"));
    run(&p, &["notarize", dmg.to_str().unwrap()], &env).fails_with(4, &[&format!("{stem}.dmg"), "not signed"]);
    run(&p, &["notarize", zip.to_str().unwrap()], &env).fails_with(4, &["signed ad-hoc", "Developer ID"]);
    assert!(mock.take_requests().is_empty());

    p.config(&common::GREETER_APP_CONFIG.replace(
        "SIGNER",
        r#"code_signer_from_pem_files("cert.pem", "key.pem").activate()"#,
    ));
    p.run_with_env(
        &["package", "--format", "app,dmg"],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    )
    .ok();
    let signed_dmg = std::fs::read(&dmg).unwrap();

    // The DMG: uploaded as it is, one "In Progress" poll, accepted, stapled.
    let out = run(&p, &["-v", "notarize", dmg.to_str().unwrap()], &env).ok();
    assert!(
        out.stderr.contains("In Progress") && out.stderr.contains("Accepted"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("stapled the notarization ticket"), "{}", out.stderr);
    let requests = mock.take_requests();
    assert!(requests.iter().all(|r| r["ok"] == true), "{requests:#?}");
    let kinds: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap().split('/').nth(1).unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "POST notary",
            "PUT notary-submissions-test",
            "GET notary",
            "GET notary",
            "POST ticket"
        ],
        "{requests:#?}"
    );
    let uploaded = std::fs::read(mock.state.join("uploads").join(format!("{stem}.dmg"))).unwrap();
    assert!(uploaded == signed_dmg, "the upload differs from the signed DMG");
    let record = requests[4]["records"][0].as_str().unwrap().to_string();
    let unstapled = p.path().join("unstapled.dmg");
    std::fs::write(&unstapled, &signed_dmg).unwrap();
    assert_eq!(record, format!("2/2/{}", cdhash(&signature_info(&unstapled))));

    // Stapled: the ticket in slot 0x10002, everything else as signed.
    let stapled = std::fs::read(&dmg).unwrap();
    assert_eq!(
        oxdist_signing::apple::dmg_ticket(&stapled).unwrap(),
        Some(ticket.clone())
    );
    let (signature, intact) = oxdist_signing::apple::dmg_signature(&stapled).unwrap().unwrap();
    assert!(intact, "code and trailer hashes still match");
    assert_eq!(
        format!("2/2/{}", oxdist_signing::apple::cdhash_hex(&signature.cdhash)),
        record
    );
    let info = signature_info(&dmg);
    let ticket_blob: Vec<&str> = info
        .lines()
        .skip_while(|l| !l.contains("slot: Ticket (65538)"))
        .take(3)
        .collect();
    assert_eq!(ticket_blob.get(1).map(|l| l.trim()), Some("magic: fade0b01"), "{info}");
    assert_eq!(ticket_blob.get(2).map(|l| l.trim()), Some("length: 9008"), "{info}");
    assert_eq!(cdhash(&info), record[4..]);
    let img = p.path().join("stapled.img");
    common::tool("dmg2img", &[dmg.to_str().unwrap(), img.to_str().unwrap()], "dmg2img");

    // Stapling again (a ticket fetched later) replaces the ticket; no key needed.
    let no_key: Vec<_> = env.iter().filter(|(k, _)| !k.contains("KEY")).cloned().collect();
    run(&p, &["notarize", "--staple-only", dmg.to_str().unwrap()], &no_key).ok();
    assert!(std::fs::read(&dmg).unwrap() == stapled);
    assert_eq!(mock.take_requests().len(), 1);

    // The .app.zip: the ticket lands in Greeter.app/Contents/CodeResources,
    // looked up by the main executable's cdhash.
    let before = p.path().join("before.zip");
    std::fs::copy(&zip, &before).unwrap();
    run(&p, &["notarize", zip.to_str().unwrap()], &env).ok();
    let requests = mock.take_requests();
    assert!(requests.iter().all(|r| r["ok"] == true), "{requests:#?}");
    let unzipped = p.path().join("unzipped");
    common::tool(
        "python3",
        &[
            "-m",
            "zipfile",
            "-e",
            before.to_str().unwrap(),
            unzipped.to_str().unwrap(),
        ],
        "python3",
    );
    let exe = unzipped.join(stem).join("Greeter.app/Contents/MacOS/greeter");
    let record = requests.last().unwrap()["records"][0].as_str().unwrap().to_string();
    assert_eq!(record, format!("2/2/{}", cdhash(&signature_info(&exe))));
    let compare = common::tool(
        "python3",
        &[
            "-c",
            "import sys, zipfile\n\
             a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])\n\
             added = sorted(set(b.namelist()) - set(a.namelist()))\n\
             same = all(a.read(n) == b.read(n) and a.getinfo(n).external_attr == b.getinfo(n).external_attr for n in a.namelist())\n\
             print(added, same, b.read(added[0]).hex() if added else '')",
            before.to_str().unwrap(),
            zip.to_str().unwrap(),
        ],
        "python3",
    );
    let hex: String = ticket.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        compare.trim(),
        format!("['{stem}/Greeter.app/Contents/CodeResources'] True {hex}")
    );

    // A .app directory is zipped for the upload and stapled in place.
    let app = unzipped.join(stem).join("Greeter.app");
    run(&p, &["notarize", app.to_str().unwrap()], &env).ok();
    assert_eq!(std::fs::read(app.join("Contents/CodeResources")).unwrap(), ticket);
    let upload = mock.state.join("uploads/Greeter.app.zip");
    let listing = common::tool("python3", &["-m", "zipfile", "-l", upload.to_str().unwrap()], "python3");
    assert!(listing.contains("Greeter.app/Contents/MacOS/greeter"), "{listing}");
    mock.take_requests();

    // --no-wait prints the submission ID and stops.
    let out = run(&p, &["notarize", "--no-wait", dmg.to_str().unwrap()], &env).ok();
    assert_eq!(out.stdout.trim().len(), 36, "{}", out.stdout);
    assert_eq!(mock.take_requests().len(), 2);

    // Apple says Invalid: exit 6 with the log's issues (fetched without the token).
    mock.configure(&public_key, &ticket, "Invalid", 0);
    run(&p, &["notarize", dmg.to_str().unwrap()], &env).fails_with(
        6,
        &[
            "invalid",
            "Archive contains critical validation errors",
            "The signature of the binary is invalid. [arm64]",
        ],
    );
    assert!(mock.take_requests().iter().all(|r| r["ok"] == true));

    // A key App Store Connect does not know: exit 4, nothing uploaded.
    api_key("Other.p8");
    let other = mock.env(&p.path().join("Other.p8"));
    run(&p, &["notarize", dmg.to_str().unwrap()], &other)
        .fails_with(4, &["refused the API key (HTTP 401)", "issuer ID"]);
    let requests = mock.take_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(requests[0]["why"].as_str().unwrap().contains("PyJWT"), "{requests:#?}");

    // No key at all; a key that is not one; not an Apple artifact.
    run(&p, &["notarize", dmg.to_str().unwrap()], &no_key).fails_with(2, &["--issuer", "--key-file"]);
    p.file(
        "bad.p8",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    run(
        &p,
        &["notarize", dmg.to_str().unwrap()],
        &mock.env(&p.path().join("bad.p8")),
    )
    .fails_with(4, &["P-256"]);
    p.file("notes.txt", "hello");
    run(&p, &["notarize", "notes.txt"], &env).fails_with(4, &["notes.txt", "give a signed .dmg"]);
}
