//! Bad input gets a clear error naming the file, line or entry, a documented
//! exit code, no panic, and no partial artifact.

mod common;

use common::Project;

const CONFIG: i32 = 3;
const USAGE: i32 = 2;

/// A config whose default target returns the manifest built by `body`.
fn manifest_config(body: &str) -> String {
    format!(
        "set_package_metadata(name = \"app\", version = \"1.0\")\n\
         def make():\n    m = FileManifest()\n{}\n    return m\n\
         register_target(\"t\", make)\nresolve_targets()\n",
        body.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
    )
}

#[test]
fn syntax_error_points_at_line_and_column() {
    let p = Project::new();
    p.config("x = 1\ndef f(:\n    pass\n");
    p.run(&["build"])
        .fails_with(CONFIG, &["oxdist.star:2:7", "Parse error"]);
}

#[test]
fn evaluation_error_shows_call_stack() {
    let p = Project::new();
    p.config("def inner():\n    return 1 + \"a\"\ndef make():\n    return inner()\nregister_target(\"t\", make)\nresolve_targets()\n");
    p.run(&["build"]).fails_with(
        CONFIG,
        &[
            "Traceback",
            "oxdist.star:4, in make",
            "oxdist.star:2:12",
            "not supported for types `int` and `string`",
        ],
    );
}

#[test]
fn unknown_target_lists_known_ones() {
    let p = Project::new();
    p.config("register_target(\"a\", lambda: None)\nregister_target(\"b\", lambda: None)\nresolve_targets()\n");
    p.run(&["build", "nope"])
        .fails_with(CONFIG, &["unknown target \"nope\"; known targets: a, b"]);
    p.run(&["package", "--format", "zip", "--target", "nope"])
        .fails_with(CONFIG, &["unknown target \"nope\""]);
}

#[test]
fn unknown_dependency_and_cycle() {
    let p = Project::new();
    p.config("register_target(\"a\", lambda x: x, depends = [\"missing\"])\nresolve_targets()\n");
    p.run(&["build"]).fails_with(CONFIG, &["unknown target \"missing\""]);
    p.config("register_target(\"a\", lambda x: x, depends = [\"b\"])\nregister_target(\"b\", lambda x: x, depends = [\"a\"])\nresolve_targets()\n");
    p.run(&["build"]).fails_with(CONFIG, &["depends on itself"]);
}

#[test]
fn duplicate_target_and_no_targets() {
    let p = Project::new();
    p.config("register_target(\"a\", lambda: None)\nregister_target(\"a\", lambda: None)\n");
    p.run(&["build"])
        .fails_with(CONFIG, &["target \"a\" is registered twice", "oxdist.star:2:1"]);
    p.config("x = 1\nresolve_targets()\n");
    p.run(&["build"]).fails_with(CONFIG, &["no targets are registered"]);
    p.config("register_target(\"a\", \"not a function\")\n");
    p.run(&["build"])
        .fails_with(CONFIG, &["must be a function, not string"]);
}

#[test]
fn missing_file() {
    let p = Project::new();
    p.config(&manifest_config("m.add_path(\"nothere.txt\", \"\")"));
    p.run(&["build"])
        .fails_with(CONFIG, &["nothere.txt", "No such file", "oxdist.star:4:5"]);
    p.config(&manifest_config("m.add_file(FileContent(path = \"gone.txt\"))"));
    p.run(&["build"]).fails_with(CONFIG, &["gone.txt"]);
}

#[test]
fn path_traversal_is_refused() {
    let p = Project::new();
    p.file("a.txt", "a");
    p.config(&manifest_config(
        "m.add_file(FileContent(path = \"a.txt\"), path = \"../escape\")",
    ));
    p.run(&["build"]).fails_with(
        CONFIG,
        &["invalid manifest path \"../escape\"", "'..' components are not allowed"],
    );
    p.config(&manifest_config(
        "m.add_file(FileContent(path = \"a.txt\"), path = \"/etc/x\")",
    ));
    p.run(&["build"])
        .fails_with(CONFIG, &["absolute paths are not allowed"]);
    p.config(&manifest_config(
        "m.add_file(FileContent(path = \"a.txt\"), directory = \"a/../..\")",
    ));
    p.run(&["build"])
        .fails_with(CONFIG, &["'..' components are not allowed"]);
    p.config(&manifest_config(
        "m.add_file(FileContent(path = \"a.txt\", filename = \"../x\"))",
    ));
    p.run(&["build"]).fails_with(CONFIG, &["invalid filename \"../x\""]);
    // A glob without strip_prefix over an absolute pattern would install at an absolute path.
    p.config("register_target(\"t\", lambda: glob([\"/etc/passwd\"]))\nresolve_targets()\n");
    p.run(&["build"])
        .fails_with(CONFIG, &["does not start with strip_prefix"]);
    // Installing outside the build path.
    p.config(&manifest_config("m.install(\"../../outside\")"));
    p.run(&["build"])
        .fails_with(CONFIG, &["invalid install path \"../../outside\""]);
}

#[test]
fn symlink_escaping_the_tree_is_refused() {
    let p = Project::new();
    p.symlink("tree/abs", "/etc/passwd");
    p.config("register_target(\"t\", lambda: glob([\"tree/**/*\"], strip_prefix = \"tree/\"))\nresolve_targets()\n");
    p.run(&["build"]).fails_with(
        CONFIG,
        &["symbolic link \"abs\" points to \"/etc/passwd\", which is outside the install tree"],
    );
    std::fs::remove_file(p.path().join("tree/abs")).unwrap();
    p.symlink("tree/up", "../../secret");
    p.run(&["build"])
        .fails_with(CONFIG, &["symbolic link \"up\" points to \"../../secret\""]);
}

#[test]
fn conflicting_duplicate_names_both_sources() {
    let p = Project::new();
    p.file("one/x.txt", "one");
    p.file("two/x.txt", "two");
    p.config(&manifest_config(
        "m.add_path(\"one/x.txt\", \"one\")\nm.add_path(\"two/x.txt\", \"two\")",
    ));
    let run = p
        .run(&["build"])
        .fails_with(CONFIG, &["conflicting content for \"x.txt\""]);
    assert!(
        run.stderr.contains("one/x.txt") && run.stderr.contains("two/x.txt"),
        "{}",
        run.stderr
    );
    // A file where another entry needs a directory.
    p.config(&manifest_config(
        "m.add_file(FileContent(filename = \"a\", content = \"\"))\nm.add_file(FileContent(filename = \"b\", content = \"\"), directory = \"a\")",
    ));
    p.run(&["build"]).fails_with(
        CONFIG,
        &["\"a\" is a file in the manifest but also the parent directory of \"a/b\""],
    );
}

#[test]
fn bad_package_metadata() {
    let p = Project::new();
    for (args, needle) in [
        (
            "name = \"app\", version = \"v1\"",
            "invalid package version \"v1\": it must start with a digit",
        ),
        (
            "name = \"app\", version = \"1.0 beta\"",
            "invalid package version \"1.0 beta\"",
        ),
        (
            "name = \"my app\", version = \"1.0\"",
            "invalid package name \"my app\"",
        ),
        (
            "name = \"\", version = \"1.0\"",
            "invalid package name \"\": it is empty",
        ),
        (
            "name = \"app\", version = \"1.0\", license = \"MIT OR\"",
            "invalid license expression \"MIT OR\"",
        ),
        (
            "name = \"app\", version = \"1.0\", target_triple = \"linux\"",
            "invalid target triple \"linux\"",
        ),
        ("name = \"app\"", "Missing named-only parameter `version`"),
    ] {
        p.config(&format!(
            "set_package_metadata({args})\nregister_target(\"t\", lambda: None)\n"
        ));
        p.run(&["build"]).fails_with(CONFIG, &[needle, "oxdist.star:1:1"]);
    }
    p.config(
        "set_package_metadata(name = \"a\", version = \"1\")\nset_package_metadata(name = \"a\", version = \"1\")\n",
    );
    p.run(&["build"])
        .fails_with(CONFIG, &["already called", "oxdist.star:2:1"]);
}

#[test]
fn pyoxidizer_functions_not_supported_yet() {
    let p = Project::new();
    for name in oxdist::dialect::NOT_SUPPORTED_YET {
        p.config(&format!("x = {name}(\"a\", flavor = \"standalone\")\n"));
        p.run(&["build"])
            .fails_with(CONFIG, &[&format!("not supported yet: {name}"), "oxdist.star:1:5"]);
    }
    p.config(&manifest_config("m.add_python_resource(\".\", None)"));
    p.run(&["build"]).fails_with(
        CONFIG,
        &["add_python_resource takes a PythonExecutable or a Python resource, not NoneType"],
    );
}

#[test]
fn package_needs_a_manifest_metadata_and_known_formats() {
    let p = Project::new();
    p.config("set_package_metadata(name = \"a\", version = \"1\")\nregister_target(\"t\", lambda: 42)\n");
    p.run(&["package", "--format", "zip"])
        .fails_with(CONFIG, &["target \"t\" returned a value of type int"]);
    p.config("register_target(\"t\", lambda: glob([\"oxdist.star\"]))\n");
    p.run(&["package", "--format", "zip"])
        .fails_with(CONFIG, &["no package metadata: call set_package_metadata"]);
    p.config(
        "set_package_metadata(name = \"a\", version = \"1\")\nregister_target(\"t\", lambda: glob([\"*.none\"]))\n",
    );
    p.run(&["package", "--format", "zip"])
        .fails_with(CONFIG, &["returned an empty FileManifest"]);
    p.run(&["package", "--format", "rar"]).fails_with(
        USAGE,
        &["unknown archive format \"rar\"; expected one of tar.gz, tar.xz, tar.zst, zip"],
    );
    // An MSI installs on Windows only: a Linux target is refused, nothing is written.
    p.config("set_package_metadata(name = \"a\", version = \"1\", vendor = \"V\")\nregister_target(\"t\", lambda: glob([\"oxdist.star\"]))\n");
    p.run(&["package", "--format", "msi"])
        .fails_with(CONFIG, &["x86_64-unknown-linux-gnu"]);
    // An .app needs a bundle, not a plain tree.
    p.run(&["package", "--format", "app"])
        .fails_with(CONFIG, &["--format app packages a MacOsApplicationBundleBuilder"]);
    p.run(&["package"]).fails_with(USAGE, &["--format"]);
    assert!(!p.path().join("dist").exists(), "no artifact after failures");
}

#[test]
fn bad_command_line_and_environment() {
    let p = Project::new();
    p.config("set_package_metadata(name = \"a\", version = \"1\")\nregister_target(\"t\", lambda: glob([\"oxdist.star\"]))\n");
    p.run(&["build", "--var", "x", "1", "--var", "x", "2"])
        .fails_with(USAGE, &["variable \"x\" is defined twice"]);
    p.run(&["build", "--var", "x"]).fails_with(USAGE, &["--var"]);
    p.run(&["frobnicate"]).fails_with(USAGE, &["unrecognized subcommand"]);
    p.run_with_env(&["package", "--format", "zip"], &[("SOURCE_DATE_EPOCH", "yesterday")])
        .fails_with(USAGE, &["SOURCE_DATE_EPOCH=\"yesterday\" is not a whole number"]);
    p.run_with_env(&["package", "--format", "zip"], &[("SOURCE_DATE_EPOCH", "0")])
        .fails_with(USAGE, &["cannot be stored in a zip archive"]);
    assert!(
        !p.path()
            .join("dist")
            .join("a-1-".to_string() + oxdist::HOST_TRIPLE + ".zip")
            .exists()
    );
}

#[test]
fn missing_or_unreadable_configuration() {
    let p = Project::new();
    p.run(&["build"])
        .fails_with(CONFIG, &["no configuration found", "oxdist init"]);
    p.run(&["--config", "nope.star", "build"])
        .fails_with(CONFIG, &["configuration file nope.star does not exist"]);
    std::fs::create_dir(p.path().join("dir.star")).unwrap();
    p.run(&["--config", "dir.star", "build"])
        .fails_with(CONFIG, &["dir.star"]);
}

#[test]
fn a_failed_package_leaves_no_partial_artifact() {
    let p = Project::new();
    p.file("app/a.txt", "a");
    p.config(
        "set_package_metadata(name = \"a\", version = \"1\")\n\
         register_target(\"t\", lambda: glob([\"app/**/*\"], strip_prefix = \"app/\"))\n",
    );
    p.run(&["package", "--format", "tar.gz"]).ok();
    let dist = p.path().join("dist");
    let before: Vec<_> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    // The zip writer refuses this timestamp after the tar.gz pass began: nothing new may appear.
    p.run_with_env(&["package", "--format", "tar.xz,zip"], &[("SOURCE_DATE_EPOCH", "100")])
        .fails_with(USAGE, &["cannot be stored in a zip archive"]);
    let mut after: Vec<_> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    after.retain(|n| !before.contains(n));
    // tar.xz was completed (atomically) before zip failed; no temporary files remain.
    assert!(
        after.iter().all(|n| !n.to_string_lossy().contains(".partial")),
        "{after:?}"
    );
}
