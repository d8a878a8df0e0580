//! Zero-config: a plain `pyproject.toml` project (`examples/hello-pyproject`:
//! src layout, one console script, one dependency) built and packaged with no
//! `oxdist.star`, offline from pinned wheels; the generated configuration written by
//! `oxdist init --from-pyproject`; and the bad inputs zero-config names.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::Project;

/// The wheels the project installs from: its dependency and its build backend.
fn wheels() -> Vec<PathBuf> {
    vec![
        oxdist_testing::fetch_wheel("six==1.16.0", "six-1.16.0-", &["none-any"], &[]),
        oxdist_testing::fetch_wheel("flit_core==3.9.0", "flit_core-3.9.0-", &["none-any"], &[]),
    ]
}

/// `examples/hello-pyproject` copied into a temporary directory, with the
/// pinned wheels it needs in `wheels/` and `no-index = true`: built offline.
fn plain_project() -> Project {
    let p = Project::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello-pyproject");
    let pyproject = std::fs::read_to_string(example.join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("find-links = [\"wheels\"]"), "{pyproject}");
    p.file("pyproject.toml", &format!("{pyproject}no-index = true\n"));
    for file in ["LICENSE", "src/hello_cli/__init__.py", "src/hello_cli/main.py"] {
        p.file(file, &std::fs::read_to_string(example.join(file)).unwrap());
    }
    std::fs::create_dir_all(p.path().join("wheels")).unwrap();
    for wheel in wheels() {
        std::fs::copy(&wheel, p.path().join("wheels").join(wheel.file_name().unwrap())).unwrap();
    }
    p
}

#[test]
fn a_plain_pyproject_builds_runs_and_packages_without_a_config() {
    let p = plain_project();
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

    let run = p.run(&["package", "--format", "tar.zst,deb,rpm"]).ok();
    let dist = p.path().join("dist");
    let names: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let find = |suffix: &str| {
        names
            .iter()
            .find(|n| n.ends_with(suffix))
            .map(|n| dist.join(n))
            .unwrap_or_else(|| panic!("no *{suffix} in {names:?}\n{}", run.stderr))
    };
    let deb = find(".deb");
    let info = common::tool("dpkg-deb", &["--info", deb.to_str().unwrap()], "dpkg");
    for needle in [
        "Package: hello-cli",
        "Version: 0.3.1",
        "Maintainer: Ada Lovelace <ada@example.org>",
        "Homepage: https://example.org/hello",
        "Says hello from a plain pyproject",
    ] {
        assert!(info.contains(needle), "{needle:?} missing:\n{info}");
    }
    let contents = common::tool("dpkg-deb", &["--contents", deb.to_str().unwrap()], "dpkg");
    assert!(contents.contains("/bin/hello"), "{contents}");
    let rpm = find(".rpm");
    let query = common::tool(
        "rpm",
        &[
            "-qp",
            "--queryformat",
            "%{NAME} %{VERSION} %{LICENSE}\n",
            rpm.to_str().unwrap(),
        ],
        "rpm",
    );
    assert!(query.starts_with("hello-cli 0.3.1 MIT"), "{query}");
    assert!(find(".tar.zst").is_file());
}

#[test]
fn init_from_pyproject_writes_what_zero_config_runs() {
    let p = plain_project();
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
