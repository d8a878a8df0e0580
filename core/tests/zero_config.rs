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
