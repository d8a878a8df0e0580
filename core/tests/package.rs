//! `oxdist init` and `oxdist package` end to end, checked with real tools
//! (tar, unzip, zstd, xz, gzip, sha256sum).

mod common;

use std::path::Path;

use common::{Project, tool};

const FORMATS: [&str; 4] = ["tar.gz", "tar.xz", "tar.zst", "zip"];

fn artifact(dir: &Path, ext: &str) -> std::path::PathBuf {
    dir.join(format!("hello-0.1.0-{}.{ext}", oxdist::HOST_TRIPLE))
}

#[test]
fn init_then_package_every_archive_format() {
    let p = Project::new();
    let project = p.path().join("hello");
    p.run(&["init", project.to_str().unwrap()]).ok();
    assert!(project.join("oxdist.star").is_file());
    assert!(project.join("app/README.txt").is_file());
    // Refuses to overwrite.
    p.run(&["init", project.to_str().unwrap()])
        .fails_with(3, &["oxdist.star already exists"]);

    // The generated config installs app/ and a python-like executable bin/hello.
    std::fs::create_dir_all(project.join("app/bin")).unwrap();
    std::fs::write(project.join("app/bin/tool"), "#!/bin/sh\necho hello\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(project.join("app/bin/tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("bin/tool", project.join("app/run")).unwrap();

    let run = std::process::Command::new(env!("CARGO_BIN_EXE_oxdist"))
        .args(["package", "--format", "tar.gz,tar.xz,tar.zst,zip", "--json"])
        .current_dir(&project)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dist = project.join("dist");
    let root = format!("hello-0.1.0-{}", oxdist::HOST_TRIPLE);

    // Every artifact and SHA256SUMS, verified by sha256sum itself.
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let artifacts = summary["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 5);
    for (a, ext) in artifacts.iter().zip(FORMATS) {
        assert_eq!(a["format"], ext);
        assert_eq!(a["path"], artifact(&dist, ext).to_string_lossy().as_ref());
        let digest = oxdist_installers::output::sha256_file(&artifact(&dist, ext)).unwrap();
        assert_eq!(a["sha256"], digest.as_str());
    }
    assert_eq!(artifacts[4]["kind"], "checksums");
    let check = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    assert_eq!(String::from_utf8_lossy(&check.stdout).matches(": OK").count(), 4);

    // Tarballs: sorted, owner 0/0, fixed time, modes and the symlink kept.
    // (The executable's extension modules under bin/lib/ are checked by
    // count; the license texts under licenses/ by core/tests/licenses.rs.)
    let expected = [
        format!("drwxr-xr-x 0/0 0 1980-01-01 00:00:00 {root}/"),
        format!("-rw-r--r-- 0/0 SIZE 1980-01-01 00:00:00 {root}/README.txt"),
        format!("-rw-r--r-- 0/0 SIZE 1980-01-01 00:00:00 {root}/THIRD-PARTY-NOTICES.html"),
        format!("-rw-r--r-- 0/0 SIZE 1980-01-01 00:00:00 {root}/THIRD-PARTY-NOTICES.txt"),
        format!("drwxr-xr-x 0/0 0 1980-01-01 00:00:00 {root}/bin/"),
        format!("-rwxr-xr-x 0/0 SIZE 1980-01-01 00:00:00 {root}/bin/hello"),
        format!("drwxr-xr-x 0/0 0 1980-01-01 00:00:00 {root}/bin/lib/"),
        format!("-rwxr-xr-x 0/0 SIZE 1980-01-01 00:00:00 {root}/bin/tool"),
        format!("drwxr-xr-x 0/0 0 1980-01-01 00:00:00 {root}/licenses/"),
        format!("lrwxrwxrwx 0/0 0 1980-01-01 00:00:00 {root}/run -> bin/tool"),
    ];
    for (ext, flag, checker) in [
        ("tar.gz", "-z", ("gzip", "gzip")),
        ("tar.xz", "-J", ("xz", "xz-utils")),
        ("tar.zst", "--zstd", ("zstd", "zstd")),
    ] {
        let path = artifact(&dist, ext);
        let listing = tool(
            "tar",
            &[
                "-tv",
                "--full-time",
                "--numeric-owner",
                flag,
                "-f",
                path.to_str().unwrap(),
            ],
            "tar",
        );
        let libs = listing
            .lines()
            .filter(|l| l.contains("/bin/lib/") && l.ends_with(".so"))
            .count();
        assert!(libs > 10, "extension modules beside the executable:\n{listing}");
        let normalized: Vec<String> = listing
            .lines()
            .filter(|l| !(l.contains("/bin/lib/") && l.ends_with(".so")))
            .filter(|l| !l.contains(&format!("{root}/licenses/")) || l.ends_with(&format!("{root}/licenses/")))
            .map(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                let size = if fields[0].starts_with('-') { "SIZE" } else { fields[2] };
                format!("{} {} {} {}", fields[0], fields[1], size, fields[3..].join(" "))
            })
            .collect();
        assert_eq!(normalized, expected, "{ext}:\n{listing}");
        tool(checker.0, &["-t", path.to_str().unwrap()], checker.1);
    }
    let zipinfo = tool("unzip", &["-Z", artifact(&dist, "zip").to_str().unwrap()], "unzip");
    assert!(
        zipinfo.contains("-rwxr-xr-x") && zipinfo.contains(&format!("{root}/bin/tool")),
        "{zipinfo}"
    );
    assert!(zipinfo.contains("lrwxrwxrwx"), "{zipinfo}");
    assert!(
        zipinfo.contains("80-Jan-01 00:00") || zipinfo.contains("1980"),
        "{zipinfo}"
    );
    tool("unzip", &["-tq", artifact(&dist, "zip").to_str().unwrap()], "unzip");

    // Extracted bytes match the sources.
    let out = tempfile::tempdir().unwrap();
    tool(
        "tar",
        &[
            "--zstd",
            "-xf",
            artifact(&dist, "tar.zst").to_str().unwrap(),
            "-C",
            out.path().to_str().unwrap(),
        ],
        "tar",
    );
    assert_eq!(
        std::fs::read(out.path().join(&root).join("bin/tool")).unwrap(),
        b"#!/bin/sh\necho hello\n"
    );
    // The unpacked executable is a Python: it runs code, with its extension modules.
    let hello = out.path().join(&root).join("bin/hello");
    let ran = common::output_retrying(
        std::process::Command::new(&hello).args(["-c", "import sys, json, _ssl; print(sys.frozen, json.dumps([1]))"]),
    );
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "True [1]\n",
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
}

#[test]
fn packages_are_byte_identical_when_built_twice_and_honour_source_date_epoch() {
    let p = Project::new();
    p.file("app/a.txt", "alpha\n");
    p.exe("app/bin/tool", "#!/bin/sh\n");
    p.symlink("app/link", "a.txt");
    p.config(
        "set_package_metadata(name = \"hello\", version = \"0.1.0\")\n\
         register_target(\"t\", lambda: glob([\"app/**/*\"], strip_prefix = \"app/\"))\n",
    );
    let epoch = [("SOURCE_DATE_EPOCH", "1700000000")];
    p.run_with_env(
        &["package", "--format", "tar.gz,tar.xz,tar.zst,zip", "--out", "first"],
        &epoch,
    )
    .ok();
    // Touch the sources: mtimes of inputs must not leak into artifacts.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(p.path().join("app/a.txt"), "alpha\n").unwrap();
    p.run_with_env(
        &["package", "--format", "tar.gz,tar.xz,tar.zst,zip", "--out", "second"],
        &epoch,
    )
    .ok();
    for ext in FORMATS {
        let a = std::fs::read(artifact(&p.path().join("first"), ext)).unwrap();
        let b = std::fs::read(artifact(&p.path().join("second"), ext)).unwrap();
        assert!(a == b, "{ext} differs between two builds");
    }
    let listing = tool(
        "tar",
        &[
            "-tv",
            "--full-time",
            "--numeric-owner",
            "-z",
            "-f",
            artifact(&p.path().join("first"), "tar.gz").to_str().unwrap(),
        ],
        "tar",
    );
    assert!(listing.lines().all(|l| l.contains("2023-11-14 22:13:20")), "{listing}");
    let zipinfo = tool(
        "unzip",
        &["-Z", "-T", artifact(&p.path().join("first"), "zip").to_str().unwrap()],
        "unzip",
    );
    assert!(zipinfo.contains("20231114.221320"), "{zipinfo}");
}

#[test]
fn sha256sums_keeps_other_artifacts() {
    let p = Project::new();
    p.file("app/a.txt", "a");
    p.config(
        "set_package_metadata(name = \"hello\", version = \"0.1.0\")\n\
         register_target(\"t\", lambda: glob([\"app/**/*\"], strip_prefix = \"app/\"))\n",
    );
    p.run(&["package", "--format", "zip", "-q"]).ok();
    p.run(&["package", "--format", "tar.gz", "-q"]).ok();
    let sums = std::fs::read_to_string(p.path().join("dist/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 2, "{sums}");
    assert!(sums.contains(".zip") && sums.contains(".tar.gz"));
}

#[test]
fn bundled_example_packages() {
    let p = Project::new();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/oxdist.star");
    let out = p.path().join("dist");
    p.run(&[
        "--config",
        config.to_str().unwrap(),
        "package",
        "--format",
        "tar.zst",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let listing = tool(
        "tar",
        &["--zstd", "-tf", artifact(&out, "tar.zst").to_str().unwrap()],
        "tar",
    );
    let root = format!("hello-0.1.0-{}", oxdist::HOST_TRIPLE);
    for path in [
        "bin/hello",
        "share/hello/hello.py",
        "share/hello/greeting.txt",
        "share/doc/hello/README.md",
        "VERSION",
    ] {
        assert!(
            listing.contains(&format!("{root}/{path}")),
            "{path} missing:\n{listing}"
        );
    }
    // The packaged app runs from the extracted tree.
    let x = tempfile::tempdir().unwrap();
    tool(
        "tar",
        &[
            "--zstd",
            "-xf",
            artifact(&out, "tar.zst").to_str().unwrap(),
            "-C",
            x.path().to_str().unwrap(),
        ],
        "tar",
    );
    let greeting = tool(
        x.path().join(&root).join("bin/hello").to_str().unwrap(),
        &["CI"],
        "python3",
    );
    assert_eq!(greeting, "Hello, CI!\n");
}

/// A project whose default target is a Windows tree of plain files.
fn windows_files_project() -> Project {
    let p = Project::new();
    p.file("payload/app.exe", "MZ not really a program");
    p.config(
        r#"
set_package_metadata(name = "greeter", version = "1.2.3", vendor = "Example Org",
    homepage = "https://example.org/", target_triple = "x86_64-pc-windows-msvc")
register_target("files", lambda: glob(["payload/**/*"], strip_prefix = "payload/"), default = True)
resolve_targets()
"#,
    );
    p
}

/// `--format msi` from this Linux host: a Windows target's manifest
/// (with the license notices) in a per-machine MSI, read back with msitools.
#[test]
fn msi_of_a_windows_target() {
    let p = windows_files_project();
    p.file("payload/data/readme.txt", "hello");
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    p.run_with_env(&["package", "--format", "msi"], &env).ok();
    let msi = p.path().join("dist/greeter-1.2.3-x86_64-pc-windows-msvc.msi");
    let first = std::fs::read(&msi).unwrap();
    let property = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Property"], "msitools");
    for needle in [
        "ProductName\tgreeter",
        "ProductVersion\t1.2.3",
        "Manufacturer\tExample Org",
        "ALLUSERS\t1",
    ] {
        assert!(property.contains(needle), "{needle}:\n{property}");
    }
    let suminfo = common::tool("msiinfo", &["suminfo", msi.to_str().unwrap()], "msitools");
    assert!(suminfo.contains("x64;1033"), "{suminfo}");
    let out = p.path().join("extracted");
    common::tool(
        "msiextract",
        &["-C", out.to_str().unwrap(), msi.to_str().unwrap()],
        "msitools",
    );
    let listing = common::tool("find", &[out.to_str().unwrap(), "-type", "f"], "findutils");
    for file in ["app.exe", "data/readme.txt"] {
        assert!(listing.contains(&format!("/greeter/{file}\n")), "{file}:\n{listing}");
    }
    // Recorded in SHA256SUMS; the same inputs give the same bytes.
    let sums = std::fs::read_to_string(p.path().join("dist/SHA256SUMS")).unwrap();
    assert!(sums.contains("greeter-1.2.3-x86_64-pc-windows-msvc.msi"), "{sums}");
    p.run_with_env(&["package", "--format", "msi"], &env).ok();
    assert!(std::fs::read(&msi).unwrap() == first, "the MSI differs between builds");
}

/// `WiXMSIBuilder` (PyOxidizer's name): a per-user MSI with its own id,
/// name, version, manufacturer and file name; bad settings are refused.
#[test]
fn wix_msi_builder_settings() {
    let p = Project::new();
    p.file("payload/app.exe", "MZ not really a program");
    let config = |extra: &str| {
        format!(
            r#"
set_package_metadata(name = "greeter", version = "1.0", vendor = "Ignored", target_triple = "x86_64-pc-windows-msvc")
def make_msi():
    files = glob(["payload/**/*"], strip_prefix = "payload/")
    msi = WiXMSIBuilder("org.example.greeter", "Greeter App", "2.5.1", "Example Org"{extra})
    msi.add_program_files_manifest(files)
    msi.scope = "per-user"
    msi.help_url = "https://example.org/help"
    msi.msi_filename = "greeter-setup.msi"
    msi.add_shortcut("app.exe", "Greeter", desktop = True, description = "Greets people")
    msi.add_to_path = ""
    print("msi %s %s %s" % (msi.scope, msi.product_version, msi.msi_filename))
    return msi
register_target("msi", make_msi, default = True)
resolve_targets()
"#
        )
    };
    p.config(&config(""));
    let run = p.run(&["package", "--format", "msi"]).ok();
    assert!(
        run.stderr.contains("msi per-user 2.5.1 greeter-setup.msi"),
        "{}",
        run.stderr
    );
    let msi = p.path().join("dist/greeter-setup.msi");
    let property = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Property"], "msitools");
    for needle in [
        "ProductName\tGreeter App",
        "ProductVersion\t2.5.1",
        "Manufacturer\tExample Org",
        "ALLUSERS\t2",
        "MSIINSTALLPERUSER\t1",
        "ARPHELPLINK\thttps://example.org/help",
    ] {
        assert!(property.contains(needle), "{needle}:\n{property}");
    }
    let shortcuts = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Shortcut"], "msitools");
    assert!(
        shortcuts.contains("ProgramMenuDir")
            && shortcuts.contains("DesktopFolder")
            && shortcuts.contains("Greets people"),
        "{shortcuts}"
    );
    let environment = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Environment"], "msitools");
    assert!(
        environment.contains("=-PATH\t[~];[INSTALLDIR]"),
        "per-user PATH entry:\n{environment}"
    );
    // arch must agree with the target triple; unknown scopes are refused at their line.
    p.config(&config(", arch = \"arm64\""));
    p.run(&["package", "--format", "msi"])
        .fails_with(3, &["arch = \"arm64\"", "x86_64-pc-windows-msvc"]);
    p.config(&config("").replace("\"per-user\"", "\"everyone\""));
    p.run(&["package", "--format", "msi"])
        .fails_with(3, &["expected \"per-user\" or \"per-machine\"", "oxdist.star:7"]);
}

/// A throwaway CA and code-signing certificate in `dir` (`ca.pem`,
/// `cs.key`, `cs.pem`, and `cs.pfx` with password `pfx-secret-123`).
fn code_signing_pki(dir: &Path) {
    let script = r#"set -e
printf '[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n[cs]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > ext.cnf
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
openssl req -new -key ca.key -subj '/CN=oxdist test CA' -out ca.csr
openssl x509 -req -in ca.csr -signkey ca.key -days 30 -extfile ext.cnf -extensions ca -out ca.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out cs.key 2>/dev/null
openssl req -new -key cs.key -subj '/CN=oxdist test signer' -out cs.csr
openssl x509 -req -in cs.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 30 -extfile ext.cnf -extensions cs -out cs.pem 2>/dev/null
openssl pkcs12 -export -inkey cs.key -in cs.pem -passout pass:pfx-secret-123 -out cs.pfx
"#;
    let out = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--authenticode-key/--authenticode-cert` and `--authenticode-pfx` sign
/// the MSI; osslsigncode verifies it against the CA.
#[test]
fn msi_is_signed_with_authenticode() {
    let p = windows_files_project();
    let pki = tempfile::tempdir().unwrap();
    code_signing_pki(pki.path());
    let path = |name: &str| pki.path().join(name).to_str().unwrap().to_string();
    let msi = p.path().join("dist/greeter-1.2.3-x86_64-pc-windows-msvc.msi");
    let verify = |msi: &Path| {
        let out = std::process::Command::new("osslsigncode")
            .args(["verify", "-in", msi.to_str().unwrap(), "-CAfile", &path("ca.pem")])
            .output()
            .expect("osslsigncode (apt-get install osslsigncode)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && text.contains("Signature verification: ok"),
            "{text}"
        );
    };
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    let run = p
        .run_with_env(
            &[
                "package",
                "--format",
                "msi",
                "--authenticode-key",
                &path("cs.key"),
                "--authenticode-cert",
                &path("cs.pem"),
            ],
            &env,
        )
        .ok();
    assert!(run.stderr.contains(", signed)"), "{}", run.stderr);
    verify(&msi);
    let pem_signed = std::fs::read(&msi).unwrap();

    // The same key from a PFX gives the same bytes; the password never shows.
    let pfx_args = ["package", "--format", "msi", "--authenticode-pfx", &path("cs.pfx")];
    let with_password = [env[0], ("OXDIST_AUTHENTICODE_PASSWORD", "pfx-secret-123")];
    p.run_with_env(&pfx_args, &with_password).ok();
    verify(&msi);
    assert!(
        std::fs::read(&msi).unwrap() == pem_signed,
        "PEM and PFX signatures differ"
    );
    let wrong = [env[0], ("OXDIST_AUTHENTICODE_PASSWORD", "not-the-password-42")];
    let run = p.run_with_env(&pfx_args, &wrong).fails_with(4, &["cs.pfx"]);
    assert!(!run.stderr.contains("not-the-password-42"), "{}", run.stderr);
    // Half a PEM pair, or a key without an MSI to sign, are usage errors.
    p.run(&["package", "--format", "msi", "--authenticode-key", &path("cs.key")])
        .fails_with(2, &["--authenticode-cert"]);
    p.run(&["package", "--format", "zip", "--authenticode-pfx", &path("cs.pfx")])
        .fails_with(2, &["add msi to --format"]);
    p.run(&["package", "--format", "zip", "--apple-pfx", &path("cs.pfx")])
        .fails_with(2, &["add app or dmg to --format"]);
}

/// distlib's 64-bit Windows launcher from pip 24.0's wheel: a real PE to sign.
fn windows_launcher(dest: &Path) {
    oxdist_testing::extract_member(&oxdist_testing::pip_wheel(), "pip/_vendor/distlib/t64.exe", dest);
}

/// `code_signer_from_pem_files(...).activate()` in the configuration signs
/// the MSI and, before it is packed, the Windows binaries inside; the
/// installed tree's LICENSE becomes the wizard's license page.
#[test]
fn configured_code_signer_signs_the_msi_and_its_binaries() {
    let p = Project::new();
    windows_launcher(&p.path().join("payload/app.exe"));
    p.file("payload/LICENSE", "Greeter license: be kind.\n");
    p.file("payload/data/readme.txt", "hello");
    std::fs::create_dir_all(p.path().join("pki")).unwrap();
    code_signing_pki(&p.path().join("pki"));
    let config = |signer: &str| {
        format!(
            r#"
set_package_metadata(name = "greeter", version = "1.2.3", vendor = "Example Org",
    homepage = "https://example.org/", target_triple = "x86_64-pc-windows-msvc")
{signer}
register_target("files", lambda: glob(["payload/**/*"], strip_prefix = "payload/"), default = True)
resolve_targets()
"#
        )
    };
    p.config(&config(
        r#"signer = code_signer_from_pem_files("pki/cs.pem", "pki/cs.key")
signer.activate()"#,
    ));
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    let run = p.run_with_env(&["package", "--format", "msi"], &env).ok();
    assert!(run.stderr.contains(", signed)"), "{}", run.stderr);
    let msi = p.path().join("dist/greeter-1.2.3-x86_64-pc-windows-msvc.msi");
    let ca = p.path().join("pki/ca.pem");
    let verify = |file: &Path| {
        let out = std::process::Command::new("osslsigncode")
            .args(["verify", "-in", file.to_str().unwrap(), "-CAfile", ca.to_str().unwrap()])
            .output()
            .expect("osslsigncode (apt-get install osslsigncode)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && text.contains("Signature verification: ok"),
            "{}: {text}",
            file.display()
        );
    };
    verify(&msi);
    let out = p.path().join("extracted");
    common::tool(
        "msiextract",
        &["-C", out.to_str().unwrap(), msi.to_str().unwrap()],
        "msitools",
    );
    verify(&out.join("greeter/app.exe"));
    let control = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Control"], "msitools");
    assert!(
        control.contains("Greeter license: be kind."),
        "license page:\n{control}"
    );
    // Signed without a timestamp, the MSI is the same from build to build.
    let first = std::fs::read(&msi).unwrap();
    p.run_with_env(&["package", "--format", "msi"], &env).ok();
    assert!(
        std::fs::read(&msi).unwrap() == first,
        "the signed MSI differs between builds"
    );

    // One active signer; a PFX signer with no password anywhere says where to put it.
    p.config(&config(
        r#"signer = code_signer_from_pem_files("pki/cs.pem", "pki/cs.key")
signer.activate()
signer.activate()"#,
    ));
    p.run(&["package", "--format", "msi"])
        .fails_with(3, &["already active"]);
    p.config(&config(r#"code_signer_from_pfx_file("pki/cs.pfx").activate()"#));
    p.run(&["package", "--format", "msi"])
        .fails_with(4, &["cs.pfx", "OXDIST_AUTHENTICODE_PASSWORD"]);
    // A password in the configuration works and never shows.
    p.config(&config(
        r#"code_signer_from_pfx_file("pki/cs.pfx", "pfx-secret-123").activate()"#,
    ));
    let run = p.run_with_env(&["package", "--format", "msi"], &env).ok();
    assert!(!run.stderr.contains("pfx-secret-123"), "{}", run.stderr);
    assert!(std::fs::read(&msi).unwrap() == first, "PFX and PEM signatures differ");
    // The timestamp authority is asked (here: nobody listens), for the
    // binaries first; the error names it and dist/ keeps the last good MSI.
    p.config(&config(
        r#"signer = code_signer_from_pem_files("pki/cs.pem", "pki/cs.key")
signer.set_time_stamp_server("http://127.0.0.1:9/tsa")
signer.activate()"#,
    ));
    p.run_with_env(&["package", "--format", "msi"], &env)
        .fails_with(1, &["http://127.0.0.1:9/tsa", "app.exe"]);
    assert!(
        std::fs::read(&msi).unwrap() == first,
        "a failed signing replaced the MSI"
    );
    // A timestamp URL needs a key.
    p.config(&config(""));
    p.run(&[
        "package",
        "--format",
        "msi",
        "--authenticode-timestamp-url",
        "http://127.0.0.1:9/",
    ])
    .fails_with(2, &["give a key too"]);
}

/// `license_path` and `product_icon_path` are read relative to the
/// configuration when packaging; missing files are named.
#[test]
fn wix_msi_builder_license_and_icon() {
    let p = Project::new();
    p.file("payload/app.exe", "MZ not really a program");
    p.file("EULA.txt", "Terms {of} use\\n");
    // A 1×1 32-bit icon.
    let mut ico = vec![0u8, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0];
    let bitmap_len = 40 + 4 + 4;
    ico.extend_from_slice(&(bitmap_len as u32).to_le_bytes());
    ico.extend_from_slice(&22u32.to_le_bytes());
    let mut header = vec![0u8; 40];
    header[0] = 40;
    header[4] = 1;
    header[8] = 2;
    header[12] = 1;
    header[14] = 32;
    ico.extend_from_slice(&header);
    ico.extend_from_slice(&[0, 0, 255, 255, 0, 0, 0, 0]);
    std::fs::write(p.path().join("greeter.ico"), &ico).unwrap();
    let config = |license: &str| {
        format!(
            r#"
set_package_metadata(name = "greeter", version = "1.0", target_triple = "x86_64-pc-windows-msvc")
def make_msi():
    msi = WiXMSIBuilder("org.example.greeter", "Greeter", "1.0", "Example Org")
    msi.add_program_files_manifest(glob(["payload/**/*"], strip_prefix = "payload/"))
    msi.license_path = "{license}"
    msi.product_icon_path = "greeter.ico"
    return msi
register_target("msi", make_msi, default = True)
resolve_targets()
"#
        )
    };
    p.config(&config("EULA.txt"));
    p.run(&["package", "--format", "msi"]).ok();
    let msi = p.path().join("dist/greeter-1.0-x86_64-pc-windows-msvc.msi");
    let control = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Control"], "msitools");
    assert!(control.contains(r"Terms \{of\} use"), "license page:\n{control}");
    let property = common::tool("msiinfo", &["export", msi.to_str().unwrap(), "Property"], "msitools");
    assert!(property.contains("ARPPRODUCTICON"), "{property}");
    p.config(&config("missing/EULA.rtf"));
    p.run(&["package", "--format", "msi"])
        .fails_with(3, &["license_path", "missing/EULA.rtf"]);
}

/// `exe.to_wix_msi_builder(...)` (PyOxidizer's shortcut): the executable
/// in the installation folder and a Start-menu shortcut to it. This host
/// builds Linux executables, so packaging stops at the target triple.
#[test]
fn executable_to_wix_msi_builder() {
    let p = Project::new();
    p.file("src/demo/__init__.py", "def main():\n    print('demo')\n");
    p.config(
        r#"
set_package_metadata(name = "demo", version = "1.0", license = "MIT", vendor = "Example Org")
set_license_policy(copyleft = "warn", unknown = "warn")
def make_msi():
    dist = default_python_distribution()
    config = dist.make_python_interpreter_config()
    config.run_command = "import demo; demo.main()"
    exe = dist.to_python_executable("demo", config = config)
    exe.add_python_resources(exe.read_package_root("src", ["demo"]))
    msi = exe.to_wix_msi_builder("org.example.demo", "Demo", "1.0.0", "Example Org")
    print("built %s, product %s %s" % (msi, msi.product_name, msi.product_version))
    return msi
register_target("msi", make_msi, default = True)
resolve_targets()
"#,
    );
    let run = p
        .run(&["package", "--format", "msi"])
        .fails_with(3, &["not a Windows target"]);
    assert!(
        run.stderr.contains("built WiXMSIBuilder<org.example.demo, ") && run.stderr.contains("product Demo 1.0.0"),
        "{}",
        run.stderr
    );
}

/// `MacOsApplicationBundleBuilder` and `AppleUniversalBinary` (PyOxidizer's
/// names) packaged as `app` (a zip of the bundle) and `dmg` from this Linux
/// host; read back with 7-Zip, Python's plistlib and dmg2img.
#[test]
fn macos_bundle_as_app_and_dmg() {
    let p = Project::new();
    common::macos_speedups("macosx_11_0_arm64", &p.path().join("thin/arm64/greeter"));
    common::macos_speedups("macosx_10_9_x86_64", &p.path().join("thin/x86_64/greeter"));
    p.file("res/readme.txt", "hello");
    // A 2x1 PNG for the DMG window's background.
    common::tool(
        "python3",
        &[
            "-c",
            "import struct, sys, zlib\n\
             chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n\
             png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 1, 8, 2, 0, 0, 0)) \
             + chunk(b'IDAT', zlib.compress(b'\\x00' + b'\\xff' * 6)) + chunk(b'IEND', b'')\n\
             open(sys.argv[1], 'wb').write(png)",
            p.path().join("bg.png").to_str().unwrap(),
        ],
        "python3",
    );
    let config = |extra: &str| {
        format!(
            r#"
set_package_metadata(name = "greeter", version = "1.2.3", vendor = "Example Org", target_triple = "aarch64-apple-darwin")
def make_app():
    fat = AppleUniversalBinary("greeter")
    fat.add_path("thin/x86_64/greeter")
    fat.add_path("thin/arm64/greeter")
    bundle = MacOsApplicationBundleBuilder("Greeter")
    bundle.set_info_plist_required_keys("Greeter App", "org.example.greeter", "1.2.3", "GRTR", "greeter")
    bundle.set_info_plist_key("LSMinimumSystemVersion", "12.0")
    bundle.add_macos_file(fat.to_file_content())
    bundle.add_resources_manifest(glob(["res/*"], strip_prefix = "res/"))
{extra}
    return bundle
register_target("app", make_app, default = True)
resolve_targets()
"#
        )
    };
    let layout = r#"    bundle.set_dmg_layout(background_path = "bg.png", window_size = (640, 400),
                          icon_positions = {"Greeter.app": (160, 200), "Applications": (480, 200)})"#;
    p.config(&config(layout));
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    p.run_with_env(&["package", "--format", "app,dmg"], &env).ok();
    let dist = p.path().join("dist");
    let stem = "greeter-1.2.3-aarch64-apple-darwin";
    let zip = dist.join(format!("{stem}.app.zip"));
    let dmg = dist.join(format!("{stem}.dmg"));
    let listing = common::tool("7zz", &["l", "-slt", dmg.to_str().unwrap()], "7zip");
    // 7-Zip lists the volume (named after the display name) as the top folder.
    let entry = |path: &str| {
        listing
            .split("\n\n")
            .find(|block| block.lines().any(|line| line == format!("Path = Greeter App/{path}")))
            .unwrap_or_else(|| panic!("{path} is not in the DMG:\n{listing}"))
            .to_string()
    };
    assert!(entry("Greeter.app/Contents/MacOS/greeter").contains("Mode = -rwxr-xr-x"));
    assert!(entry("Greeter.app/Contents/Info.plist").contains("Mode = -rw-r--r--"));
    entry("Greeter.app/Contents/Resources/readme.txt");
    assert!(entry("Applications").contains("Mode = lrwxr-xr-x"));
    // set_dmg_layout: the Finder window's files (read back in installers/tests/macos_dmg.rs).
    entry(".DS_Store");
    entry(".background/background.png");
    // The fat executable keeps its exec bits; both architectures are in it.
    let out = p.path().join("unzipped");
    common::tool(
        "python3",
        &["-m", "zipfile", "-e", zip.to_str().unwrap(), out.to_str().unwrap()],
        "python3",
    );
    let contents = out.join(stem).join("Greeter.app/Contents");
    let slices = common::tool(
        "7zz",
        &["l", "-slt", contents.join("MacOS/greeter").to_str().unwrap()],
        "7zip",
    );
    assert!(
        slices.contains("Path = greeter~.x64") && slices.contains("Path = greeter~.arm64"),
        "{slices}"
    );
    let plist = common::tool(
        "python3",
        &[
            "-c",
            "import plistlib, sys; d = plistlib.load(open(sys.argv[1], 'rb')); print(d['CFBundleIdentifier'], d['CFBundleExecutable'], d['LSMinimumSystemVersion'])",
            contents.join("Info.plist").to_str().unwrap(),
        ],
        "python3",
    );
    assert_eq!(plist.trim(), "org.example.greeter greeter 12.0");
    // Without a code signer the bundle is signed ad-hoc and sealed: rcodesign
    // re-hashes both architectures (its verifier cannot parse the empty CMS blob
    // of any ad-hoc signature, its own included: the only problem reported).
    assert!(contents.join("_CodeSignature/CodeResources").is_file());
    let verify = oxdist_testing::rcodesign()
        .arg("verify")
        .arg(contents.join("MacOS/greeter"))
        .output()
        .unwrap();
    let problems = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert_eq!(problems.lines().count(), 2, "{problems}");
    assert!(
        problems
            .lines()
            .all(|l| l.ends_with("CMS error: missing further values (at position 0)")),
        "{problems}"
    );
    let img = p.path().join("greeter.img");
    common::tool("dmg2img", &[dmg.to_str().unwrap(), img.to_str().unwrap()], "dmg2img");
    // The same inputs give the same DMG.
    let first = std::fs::read(&dmg).unwrap();
    p.run_with_env(&["package", "--format", "dmg"], &env).ok();
    assert!(std::fs::read(&dmg).unwrap() == first, "the DMG differs between builds");

    // Bad input is named: a missing required key, a non-Mach-O input.
    p.config(&config("").replace(
        "    bundle.set_info_plist_required_keys(\"Greeter App\", \"org.example.greeter\", \"1.2.3\", \"GRTR\", \"greeter\")\n",
        "",
    ));
    p.run(&["package", "--format", "app"])
        .fails_with(3, &["set_info_plist_required_keys"]);
    p.config(&config("").replace("thin/arm64/greeter", "res/readme.txt"));
    p.run(&["package", "--format", "dmg"])
        .fails_with(3, &["readme.txt", "Mach-O"]);
    p.config(&config(
        r#"    bundle.set_dmg_layout(icon_positions = {"Greeter.app": (1, 2, 3)})"#,
    ));
    p.run(&["package", "--format", "dmg"])
        .fails_with(3, &["set_dmg_layout", "icon_positions[\"Greeter.app\"]"]);
    p.config(&config(
        r#"    bundle.set_dmg_layout(icon_positions = {"Nope.app": (1, 2)})"#,
    ));
    let run = p.run(&["package", "--format", "dmg"]);
    assert!(run.code != 0 && run.stderr.contains("Nope.app"), "{}", run.stderr);
}

/// The configuration's active `CodeSigner` signs the bundle (hardened
/// runtime, team ID) and the DMG; rcodesign verifies the executable's
/// signature and reads the DMG's; a wrong PKCS#12 password and a damaged
/// certificate are refused before anything is built.
#[test]
fn macos_bundle_and_dmg_signed_with_the_configured_signer() {
    let p = Project::new();
    common::macos_speedups("macosx_11_0_arm64", &p.path().join("greeter"));
    oxdist_testing::developer_id_p12(p.path(), "ABCDE12345", "right", "cs.p12");
    let config = |signer: &str| common::GREETER_APP_CONFIG.replace("SIGNER", &format!("{signer}.activate()"));
    p.config(&config(r#"code_signer_from_pem_files("cert.pem", "key.pem")"#));
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    let run = p.run_with_env(&["package", "--format", "app,dmg"], &env).ok();
    assert!(
        run.stderr.contains(".app.zip (") && run.stderr.contains("KiB, signed)"),
        "{}",
        run.stderr
    );
    let dist = p.path().join("dist");
    let stem = "greeter-1.2.3-aarch64-apple-darwin";
    let out = p.path().join("unzipped");
    let zip = dist.join(format!("{stem}.app.zip"));
    common::tool(
        "python3",
        &["-m", "zipfile", "-e", zip.to_str().unwrap(), out.to_str().unwrap()],
        "python3",
    );
    let exe = out.join(stem).join("Greeter.app/Contents/MacOS/greeter");
    let verify = oxdist_testing::rcodesign().arg("verify").arg(&exe).output().unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let info = oxdist_testing::signature_info(&exe);
    for expected in [
        "identifier: org.example.greeter",
        "team_name: ABCDE12345",
        "RUNTIME",
        "'Resources (3): ",
    ] {
        assert!(info.contains(expected), "{expected} in\n{info}");
    }
    let dmg = dist.join(format!("{stem}.dmg"));
    let info = oxdist_testing::signature_info(&dmg);
    assert!(
        info.contains(&format!("identifier: {stem}")) && info.contains("cms:"),
        "{info}"
    );
    assert!(!info.contains("cms: null"), "{info}");
    let img = p.path().join("greeter.img");
    common::tool("dmg2img", &[dmg.to_str().unwrap(), img.to_str().unwrap()], "dmg2img");
    // No signing time and no timestamp: the signed DMG is reproducible.
    let first = std::fs::read(&dmg).unwrap();
    p.run_with_env(&["package", "--format", "dmg"], &env).ok();
    assert!(
        std::fs::read(&dmg).unwrap() == first,
        "the signed DMG differs between builds"
    );

    // A wrong PKCS#12 password, a damaged certificate: refused, naming the file.
    p.config(&config(r#"code_signer_from_pfx_file("cs.p12")"#));
    p.run_with_env(
        &["package", "--format", "dmg"],
        &[("OXDIST_AUTHENTICODE_PASSWORD", "wrong")],
    )
    .fails_with(4, &["cs.p12", "wrong password"]);
    let cert = std::fs::read_to_string(p.path().join("cert.pem")).unwrap();
    p.file("damaged.pem", &cert.replacen("MII", "MIA", 1));
    p.config(&config(r#"code_signer_from_pem_files("damaged.pem", "key.pem")"#));
    p.run(&["package", "--format", "app"])
        .fails_with(4, &["cannot read the certificates"]);
}
