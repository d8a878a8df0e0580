//! `LinuxPackageBuilder` in Starlark: attributes, methods and the errors
//! that point at the configuration line.

mod common;

use common::Project;

const HEADER: &str = r##"
set_package_metadata(name = "hello", version = "1.2.0rc1", maintainer = "Ada <ada@example.org>", license = "MIT")
m = FileManifest()
m.add_file(FileContent(filename = "hello", content = "#!/bin/sh\necho hello\n", executable = True), directory = "bin")
pkg = LinuxPackageBuilder(m)
"##;

#[test]
fn attributes_and_methods() {
    let p = Project::new();
    p.file("packaging/postinst.sh", "echo installed\n");
    p.file("packaging/hello.service", "[Service]\nExecStart=/usr/bin/hello\n");
    p.file("LICENSE", "MIT License\n");
    p.config(&format!(
        r##"{HEADER}
print("defaults", pkg.prefix, pkg.bin_links, pkg.config_files, pkg.deb_depends, pkg.post_install_script)
pkg.prefix = "/opt/hello"
pkg.bin_links = ["bin/hello"]
pkg.deb_depends = ["libc6 (>= 2.31)", "python3 | python3-minimal"]
pkg.rpm_requires = ["glibc >= 2.28"]
pkg.config_files = ["/etc/hello/hello.conf"]
pkg.set_script("post_install", "packaging/postinst.sh")
pkg.set_license("LICENSE")
pkg.set_systemd_unit("packaging/hello.service", start = False)
pkg.set_attributes("/etc/hello/hello.conf", mode = 0o640, group = "adm")
pkg.set_desktop_entry("Hello", comment = "Says hello", categories = ["Utility", "Education"])
pkg.add_changelog("1.2.0rc1", "2026-11-22", ["First release candidate"])
pkg.deb_compression = "zstd:3"
pkg.rpm_compression = "gzip"
pkg.long_description = "Prints a greeting.\n\nNothing more."
etc = FileManifest()
etc.add_file(FileContent(filename = "hello.conf", content = "greeting = hello\n"), directory = "etc/hello")
pkg.add_system_files(etc)
print("set", pkg.prefix, pkg.bin_links, pkg.deb_depends, pkg.rpm_requires, pkg.post_install_script, pkg.license_file)
print("compression", pkg.deb_compression, pkg.rpm_compression, len(pkg.long_description))
print(pkg)
register_target("linux", lambda: pkg)
"##
    ));
    let run = p.run(&["build", "linux"]).ok();
    assert!(run.stderr.contains("defaults None None None [] None"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            r#"set /opt/hello ["bin/hello"] ["libc6 (>= 2.31)", "python3 | python3-minimal"] ["glibc >= 2.28"] packaging/postinst.sh LICENSE"#
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("LinuxPackageBuilder<FileManifest<1 entries>>"),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_name_the_entry_and_the_line() {
    let p = Project::new();
    for (line, needles) in [
        (
            "pkg.deb_depends = [\"libc6 >= 2.31\"]",
            &["invalid deb depends entry \"libc6 >= 2.31\"", "oxdist.star:6:1"][..],
        ),
        (
            "pkg.rpm_requires = [\"glibc >> 2\"]",
            &["invalid rpm depends entry \"glibc >> 2\"", "operator"][..],
        ),
        (
            "pkg.set_script(\"post_install\", \"missing.sh\")",
            &["post_install_script: cannot read", "missing.sh"][..],
        ),
        (
            "pkg.set_script(\"postinst\", \"x.sh\")",
            &["unknown script \"postinst\""][..],
        ),
        (
            "pkg.set_attributes(\"etc/x\", mode = 0o600)",
            &["must be an absolute path"][..],
        ),
        (
            "pkg.set_attributes(\"/etc/x\", mode = 99999)",
            &["not a permission mode"][..],
        ),
        (
            "pkg.add_changelog(\"1.0\", \"22.11.2026\", [\"x\"])",
            &["date \"22.11.2026\" is not YYYY-MM-DD"][..],
        ),
        (
            "pkg.add_changelog(\"1.0\", \"2026-11-22\", [])",
            &["at least one change"][..],
        ),
        ("pkg.colour = \"red\"", &["no attribute \"colour\"", "deb_depends"][..]),
        (
            "pkg.post_install_script = \"x.sh\"",
            &["set_script(\"post_install\", PATH)"][..],
        ),
        (
            "pkg.bin_links = \"hello\"",
            &["bin_links must be a list of strings"][..],
        ),
        (
            "LinuxPackageBuilder(42)",
            &["takes a FileManifest or a PythonExecutable, not int"][..],
        ),
        (
            "pkg.set_desktop_entry(\"Hello\", icon = \"none.png\")",
            &["desktop_entry icon: cannot read", "none.png"][..],
        ),
    ] {
        p.config(&format!("{HEADER}{line}\n"));
        p.run(&["build"]).fails_with(3, needles);
    }
}

// ---------------------------------------------------------------------------
// The bundled example as deb and rpm, with the real package managers
// ---------------------------------------------------------------------------

use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of `examples/app` at `version` (the config's `VERSION`); `fast`
/// picks quick compression levels (the install tests do not need the
/// release defaults, which cost most of a packaging run; the deb stays xz,
/// because Debian 12's lintian cannot read zstd debs).
fn example_project(version: &str, fast: bool) -> Project {
    let p = Project::new();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/app");
    copy_tree(&source.join("src"), &p.path().join("src"));
    let config = std::fs::read_to_string(source.join("oxdist.star")).unwrap();
    assert!(config.contains("VERSION = \"1.0.0\""));
    let mut config = config.replace("VERSION = \"1.0.0\"", &format!("VERSION = \"{version}\""));
    if fast {
        assert!(config.contains("    return pkg\n"));
        config = config.replace(
            "    return pkg\n",
            "    pkg.deb_compression = \"xz:1\"\n    pkg.rpm_compression = \"zstd:3\"\n    return pkg\n",
        );
    }
    p.config(&config);
    p
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Packages the example at `version` as deb and rpm; returns their paths.
fn example_packages(version: &str, fast: bool, env: &[(&str, &str)]) -> (PathBuf, PathBuf, Project) {
    let p = example_project(version, fast);
    let run = p
        .run_with_env(&["package", "--target", "linux", "--format", "deb,rpm", "--json"], env)
        .ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let path_of = |kind: &str| {
        summary["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == kind)
            .map(|a| PathBuf::from(a["path"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("no {kind} artifact in {}", run.stdout))
    };
    (path_of("deb"), path_of("rpm"), p)
}

fn output(cmd: &mut Command, apt_package: &str) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}); install it with: apt-get install -y {apt_package}"))
}

#[track_caller]
fn ok(out: std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// Asserts every `E:`/`W:` line of a linter's output starts with an allowed prefix.
#[track_caller]
fn check_findings(linter: &str, report: &str, allowed: &[&str]) {
    let unexplained: Vec<&str> = report
        .lines()
        .filter(|line| {
            let finding = line.split_once(": ").map_or("", |(_, rest)| rest);
            let tag_line = if line.starts_with("E: ") || line.starts_with("W: ") {
                *line
            } else if finding.starts_with("E: ") || finding.starts_with("W: ") {
                // rpmlint prefixes the package file: "greeter.x86_64: E: tag ...".
                finding
            } else {
                return false;
            };
            let tag_line = tag_line.replace("greeter.x86_64: ", "");
            !allowed.iter().any(|a| {
                let kind_tag = a.replace("greeter: ", "");
                tag_line.starts_with(a) || tag_line.replace("greeter: ", "").starts_with(&kind_tag)
            })
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "{linter} findings without a reason:\n{}\n\nfull report:\n{report}",
        unexplained.join("\n")
    );
}

#[test]
fn example_deb_installs_runs_upgrades_and_purges() {
    let (v1, _, _p1) = example_packages("1.0.0", true, &[]);
    let (v2, _, _p2) = example_packages("1.1.0rc1", true, &[]);
    assert!(
        v1.ends_with("greeter_1.0.0_amd64.deb") || !cfg!(target_arch = "x86_64"),
        "{}",
        v1.display()
    );
    assert!(v2.to_string_lossy().contains("greeter_1.1.0~rc1_"), "{}", v2.display());

    let info = common::tool("dpkg-deb", &["--info", v1.to_str().unwrap()], "dpkg");
    for field in [
        "Package: greeter",
        "Version: 1.0.0",
        "Maintainer: oxdist developers <oxdist@example.org>",
        "Depends: libc6 (>= 2.31)",
        "Homepage: https://example.org/greeter",
    ] {
        assert!(info.contains(field), "{field}:\n{info}");
    }
    let contents = common::tool("dpkg-deb", &["--contents", v1.to_str().unwrap()], "dpkg");
    assert!(contents.contains("./opt/greeter/bin/greeter"), "{contents}");
    assert!(
        contents.contains("./usr/bin/greeter -> /opt/greeter/bin/greeter"),
        "{contents}"
    );
    // The license notices are installed, and the copyright file names them.
    assert!(contents.contains("./opt/greeter/THIRD-PARTY-NOTICES.txt"), "{contents}");
    assert!(contents.contains("./opt/greeter/licenses/"), "{contents}");
    let unpacked = tempfile::tempdir().unwrap();
    ok(output(
        Command::new("dpkg-deb").arg("-x").arg(&v1).arg(unpacked.path()),
        "dpkg",
    ));
    let copyright = std::fs::read_to_string(unpacked.path().join("usr/share/doc/greeter/copyright")).unwrap();
    assert!(
        copyright.contains("/opt/greeter/THIRD-PARTY-NOTICES.txt"),
        "{copyright}"
    );

    // lintian: no errors; each warning allowed here has its reason.
    let lintian = output(
        Command::new("lintian")
            .args(["--allow-root", "--tag-display-limit", "0"])
            .arg(&v1),
        "lintian",
    );
    let allowed_lintian = [
        // The example application ships no manual page.
        "W: greeter: no-manual-page",
    ];
    check_findings("lintian", &String::from_utf8_lossy(&lintian.stdout), &allowed_lintian);

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(root.join("var/lib/dpkg").join(sub)).unwrap();
    }
    for file in ["status", "available"] {
        std::fs::write(root.join("var/lib/dpkg").join(file), "").unwrap();
    }
    let dpkg = |args: &[&str]| {
        output(
            Command::new("dpkg")
                .arg(format!("--root={}", root.display()))
                .args([
                    "--log=/dev/null",
                    "--force-script-chrootless",
                    "--force-not-root",
                    "--force-depends",
                ])
                .args(args),
            "dpkg",
        )
    };
    ok(dpkg(&["-i", v1.to_str().unwrap()]));
    let exe = root.join("opt/greeter/bin/greeter");
    let run = output(Command::new(&exe).arg("Ada"), "dpkg");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "Hello, Ada! (greeter 1.0.0, frozen=True)\n"
    );
    ok(dpkg(&["--verify", "greeter"]));
    ok(dpkg(&["-i", v2.to_str().unwrap()]));
    let status = ok(dpkg(&["-s", "greeter"]));
    assert!(status.contains("Version: 1.1.0~rc1"), "{status}");
    assert!(output(Command::new(&exe).arg("Ada"), "dpkg").status.success());
    ok(dpkg(&["--purge", "greeter"]));
    assert!(!root.join("opt/greeter").exists(), "purge removes the tree");
    assert!(!root.join("usr/bin/greeter").exists());
}

#[test]
fn example_rpm_installs_runs_upgrades_and_erases() {
    let (_, v1, _p1) = example_packages("1.0.0", true, &[]);
    let (_, v2, _p2) = example_packages("1.1.0", true, &[]);
    let rpm = |args: &[&str]| output(Command::new("rpm").args(args), "rpm");
    let info = ok(rpm(&["-qpi", v1.to_str().unwrap()]));
    for field in ["Name        : greeter", "Version     : 1.0.0", "License     : MIT"] {
        assert!(info.contains(field), "{field}:\n{info}");
    }
    // rpmlint: every finding is listed here with its reason; none is unexplained.
    let rpmlint = output(Command::new("rpmlint").arg(&v1), "rpmlint");
    let allowed_rpmlint = [
        // The default prefix is /opt/NAME, where the FHS puts add-on applications.
        "E: dir-or-file-in-opt",
        // rpmlint takes any /lib/NAME.so for a public shared library (and the
        // package for a library package): CPython extension modules in the
        // executable's lib/ have no SONAME, no version in their path, and
        // CPython links them with GNU hash tables only (no SysV .hash).
        "W: no-soname",
        "E: missing-hash-section",
        "E: non-versioned-file-in-library-package",
        // This test packages unsigned; the signed case is checked below.
        "E: no-signature",
        // _socket implements socket.gethostbyname.
        "W: binary-or-shlib-calls-gethostbyname",
        // /usr/bin/greeter -> /opt/greeter/bin/greeter crosses top-level
        // directories: absolute, as Debian policy asks (both formats share the tree).
        "W: symlink-should-be-relative",
        // Debian's rpmlint has no license list to check "MIT" against.
        "W: invalid-license",
        // The example ships no documentation or manual page.
        "W: no-documentation",
        "W: no-manual-page-for-binary",
    ];
    check_findings("rpmlint", &String::from_utf8_lossy(&rpmlint.stdout), &allowed_rpmlint);
    // The same list as an rpmlintrc, the way packagers record such
    // decisions: rpmlint itself then reports no errors and no warnings.
    let rc = tempfile::NamedTempFile::new().unwrap();
    let filters: String = allowed_rpmlint
        .iter()
        .map(|f| format!("addFilter(r\"{f}\\b\")\n"))
        .collect();
    std::fs::write(rc.path(), filters).unwrap();
    let filtered = output(Command::new("rpmlint").arg("-r").arg(rc.path()).arg(&v1), "rpmlint");
    let report = String::from_utf8_lossy(&filtered.stdout);
    assert!(report.contains(" 0 errors, 0 warnings"), "{report}");
    assert!(filtered.status.success(), "{report}");
    let requires = ok(rpm(&["-qp", "--requires", v1.to_str().unwrap()]));
    assert!(requires.contains("glibc >= 2.28"), "{requires}");
    // The notices are the package's license files (`%license`).
    let license_files = ok(rpm(&["-qpL", v1.to_str().unwrap()]));
    assert!(
        license_files.contains("/opt/greeter/THIRD-PARTY-NOTICES.txt"),
        "{license_files}"
    );

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_string();
    ok(rpm(&["--root", &root, "--initdb"]));
    ok(rpm(&["--root", &root, "-i", "--nodeps", v1.to_str().unwrap()]));
    let exe = dir.path().join("opt/greeter/bin/greeter");
    let run = output(Command::new(&exe).arg("Ada"), "rpm");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "Hello, Ada! (greeter 1.0.0, frozen=True)\n"
    );
    assert_eq!(
        std::fs::read_link(dir.path().join("usr/bin/greeter")).unwrap(),
        Path::new("/opt/greeter/bin/greeter")
    );
    ok(rpm(&["--root", &root, "-V", "--nodeps", "greeter"]));
    ok(rpm(&["--root", &root, "-U", "--nodeps", v2.to_str().unwrap()]));
    let q = ok(rpm(&["--root", &root, "-q", "greeter"]));
    assert!(q.contains("greeter-1.1.0-1"), "{q}");
    ok(rpm(&["--root", &root, "-e", "--nodeps", "greeter"]));
    assert!(!dir.path().join("opt/greeter").exists(), "erase removes the tree");
}

/// Packaging twice gives the same bytes, signed too; the key comes from the
/// environment and its passphrase must be right.
#[test]
fn packages_are_reproducible_and_signed_from_the_environment() {
    let key = common::pgp_secret_key("s3cret");
    let key = key.as_str();
    let env = [
        ("OXDIST_PGP_KEY", key),
        ("OXDIST_PGP_PASSPHRASE", "s3cret"),
        ("SOURCE_DATE_EPOCH", "1795305600"),
    ];
    let (deb1, rpm1, _p1) = example_packages("1.0.0", false, &env);
    let (deb2, rpm2, _p2) = example_packages("1.0.0", false, &env);
    assert!(
        std::fs::read(&deb1).unwrap() == std::fs::read(&deb2).unwrap(),
        "deb differs between builds"
    );
    assert!(
        std::fs::read(&rpm1).unwrap() == std::fs::read(&rpm2).unwrap(),
        "rpm differs between builds"
    );
    let members = common::tool("ar", &["t", deb1.to_str().unwrap()], "binutils");
    assert!(members.contains("_gpgorigin"), "{members}");
    let info = ok(output(
        Command::new("rpm").args(["-qpi", rpm1.to_str().unwrap()]),
        "rpm",
    ));
    assert!(info.contains("Signature   : RSA/SHA256"), "{info}");

    // Wrong passphrase: refused before anything is built, secret not echoed.
    let p = example_project("1.0.0", true);
    let run = p
        .run_with_env(
            &["package", "--target", "linux", "--format", "deb"],
            &[("OXDIST_PGP_KEY", key), ("OXDIST_PGP_PASSPHRASE", "wrong")],
        )
        .fails_with(4, &["OpenPGP key from OXDIST_PGP_KEY", "wrong passphrase"]);
    assert!(
        !run.stderr.contains("s3cret") && !run.stderr.contains("BEGIN PGP"),
        "{}",
        run.stderr
    );
    // No passphrase and no terminal.
    p.run_with_env(
        &["package", "--target", "linux", "--format", "rpm"],
        &[("OXDIST_PGP_KEY", key)],
    )
    .fails_with(4, &["passphrase-protected", "OXDIST_PGP_PASSPHRASE"]);
    p.run(&[
        "package",
        "--target",
        "linux",
        "--format",
        "deb",
        "--pgp-key",
        "/nonexistent/key.asc",
    ])
    .fails_with(4, &["cannot read the OpenPGP key file /nonexistent/key.asc"]);
}
