//! Zero-config: a plain `pyproject.toml` project (`examples/hello-pyproject`:
//! src layout, one console script, one dependency) built with no
//! `oxdist.star`, offline from pinned wheels, and run (its packaging is the
//! tutorial's, tests/tutorial.rs); the generated configuration written by
//! `oxdist init --from-pyproject`; and the bad inputs zero-config names.

mod common;

use std::process::Command;

use common::Project;

#[test]
fn a_plain_pyproject_builds_and_runs_without_a_config() {
    let p = common::hello_pyproject();
    p.run(&["build"]).ok();
    let exe = p
        .path()
        .join("build")
        .join(oxdist::HOST_TRIPLE)
        .join("install/bin/hello");
    let out = common::output_retrying(Command::new(&exe).arg("Ada"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello Ada from hello_cli 0.3.1 with six 1.16.0\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    let out = common::output_retrying(Command::new(&exe).arg("fail"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "the entry point's return value is the exit code"
    );

    // Packaging it (tar.zst, deb, rpm, checked with dpkg-deb and rpm) is
    // what docs/tutorial.md shows, run by tests/tutorial.rs.
}

/// `[tool.oxdist]` formats, `[tool.oxdist.linux]` and
/// `[tool.oxdist.license-policy]`: `oxdist package` without `--format`
/// builds the listed formats, the deb carries the settings (read back with
/// dpkg-deb), and the policy gates the build.
#[test]
fn tool_oxdist_sets_formats_linux_package_and_license_policy() {
    let p = common::hello_pyproject();
    let pyproject = std::fs::read_to_string(p.path().join("pyproject.toml")).unwrap();
    let settings = r#"
[tool.oxdist.linux]
prefix = "/opt/hello-cli"
section = "utils"
deb-depends = ["libc6 (>= 2.31)"]
rpm-requires = ["glibc >= 2.28"]

[tool.oxdist.license-policy]
deny = ["MIT"]
"#;
    // formats goes into [tool.oxdist]; the sub-tables come last.
    let with = |tables: &str| {
        assert!(pyproject.contains("[tool.oxdist]\n"), "{pyproject}");
        let formats = "[tool.oxdist]\nformats = [\"tar.gz\", \"deb\"]\n";
        format!("{}{tables}", pyproject.replacen("[tool.oxdist]\n", formats, 1))
    };
    // six is MIT: the policy denies it before anything is packaged.
    p.file("pyproject.toml", &with(settings));
    p.run(&["package"]).fails_with(5, &["six 1.16.0", "MIT is denied"]);
    let settings = settings.replace(
        "deny = [\"MIT\"]",
        "deny = [\"AGPL-3.0-only\"]\nexceptions = { six = \"vendored, reviewed\" }",
    );
    p.file("pyproject.toml", &with(&settings));
    p.run(&["package"]).ok();
    let dist = p.path().join("dist");
    let mut names: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0] == "SHA256SUMS" && names[1].ends_with(".tar.gz") && names[2].ends_with(".deb"),
        "{names:?}"
    );
    let deb = dist.join(&names[2]);
    let fields = common::tool("dpkg-deb", &["-f", deb.to_str().unwrap(), "Depends", "Section"], "dpkg");
    assert!(
        fields.contains("Depends: libc6 (>= 2.31)") && fields.contains("Section: utils"),
        "{fields}"
    );
    let listing = common::tool("dpkg-deb", &["-c", deb.to_str().unwrap()], "dpkg");
    assert!(listing.contains("./opt/hello-cli/bin/hello"), "{listing}");
    // The generated configuration says all of it in Starlark.
    p.run(&["init", "--from-pyproject"]).ok();
    let written = std::fs::read_to_string(p.path().join("oxdist.star")).unwrap();
    for expected in [
        "#   oxdist package --format tar.gz,deb",
        "set_license_policy(\n    deny = [\"AGPL-3.0-only\"],\n    exceptions = {\"six\": \"vendored, reviewed\"},\n)",
        "package.deb_depends = [\"libc6 (>= 2.31)\"]",
        "package.prefix = \"/opt/hello-cli\"",
    ] {
        assert!(written.contains(expected), "{expected} in\n{written}");
    }
    // With an oxdist.star, --format is required again.
    p.run(&["package"]).fails_with(2, &["--format LIST is required"]);
}

/// `[tool.oxdist.signing]` names the variables the secrets are in: the deb
/// is signed with the key from `RELEASE_KEY`, and a missing passphrase is
/// asked for by its variable's name, the secret never echoed.
#[test]
fn tool_oxdist_signing_reads_secrets_from_the_variables_it_names() {
    let p = common::hello_pyproject();
    let pyproject = std::fs::read_to_string(p.path().join("pyproject.toml")).unwrap();
    p.file(
        "pyproject.toml",
        &format!("{pyproject}\n[tool.oxdist.signing]\npgp-key = \"RELEASE_KEY\"\npgp-passphrase = \"RELEASE_PASS\"\n"),
    );
    let key = common::pgp_secret_key("s3cret");
    let run = p
        .run_with_env(
            &["-v", "package", "--format", "deb"],
            &[("RELEASE_KEY", &key), ("RELEASE_PASS", "s3cret")],
        )
        .ok();
    assert!(
        run.stderr.contains("signing with OpenPGP key from RELEASE_KEY"),
        "{}",
        run.stderr
    );
    let deb = p.path().join("dist/hello-cli_0.3.1_amd64.deb");
    let members = common::tool("ar", &["t", deb.to_str().unwrap()], "binutils");
    assert!(members.contains("_gpgorigin"), "{members}");

    let run = p
        .run_with_env(&["package", "--format", "deb"], &[("RELEASE_KEY", &key)])
        .fails_with(
            4,
            &["OpenPGP key from RELEASE_KEY", "passphrase-protected; set RELEASE_PASS"],
        );
    assert!(!run.stderr.contains("BEGIN PGP"), "{}", run.stderr);
}

#[test]
fn init_from_pyproject_writes_what_zero_config_runs() {
    let p = common::hello_pyproject();
    p.run(&["init", "--from-pyproject"]).ok();
    let written = std::fs::read_to_string(p.path().join("oxdist.star")).unwrap();
    assert!(written.contains("set_package_metadata("), "{written}");
    assert!(written.contains("from hello_cli.main import run"), "{written}");
    // The written file is now the configuration, and it lists the same targets.
    let targets = p.run(&["list-targets"]).ok();
    assert!(targets.stdout.contains("install"), "{}", targets.stdout);
    p.run(&["init", "--from-pyproject"]).fails_with(3, &["already exists"]);
}

#[test]
fn bad_pyprojects_are_named_with_what_to_do() {
    let p = Project::new();
    p.file("pyproject.toml", "[tool.black]\nline-length = 100\n");
    p.run(&["build"])
        .fails_with(3, &["pyproject.toml has no [project] table"]);

    p.file(
        "pyproject.toml",
        "[project]\nname = \"two\"\nversion = \"1\"\n[project.scripts]\na = \"two:a\"\nb = \"two:b\"\n",
    );
    p.run(&["build"])
        .fails_with(3, &["several console scripts (a, b)", "entry-point"]);

    p.file(
        "pyproject.toml",
        "[project]\nname = \"two\"\nversion = \"1\"\n[project.scripts]\na = \"two:a\"\n[tool.oxdist]\nentry_point = \"a\"\n",
    );
    p.run(&["build"])
        .fails_with(3, &["no setting `entry_point` (did you mean `entry-point`?)"]);

    // A dynamic version with no way to build the project offline.
    p.file(
        "pyproject.toml",
        "[build-system]\nrequires = [\"nonexistent-backend-oxdist==9\"]\nbuild-backend = \"x\"\n\
         [project]\nname = \"two\"\ndynamic = [\"version\"]\n[project.scripts]\na = \"two:a\"\n\
         [tool.oxdist]\nno-index = true\nfind-links = [\"wheels\"]\n",
    );
    std::fs::create_dir_all(p.path().join("wheels")).unwrap();
    p.run(&["build"]).fails_with(
        3,
        &["the version is dynamic and building the project to learn it failed"],
    );
}
