//! The Starlark dialect, exercised through the `oxdist` binary: target
//! resolution, VARS and constants, FileManifest/FileContent/glob operations.

mod common;

use common::Project;

#[test]
fn targets_resolve_in_order_once_with_dependencies_as_positional_arguments() {
    let p = Project::new();
    p.config(
        r#"
def make_a():
    print("run a")
    return "A"

def make_b(a):
    print("run b with " + a)
    return "B"

def make_c(a, b):
    print("run c with %s %s" % (a, b))
    return None

register_target("a", make_a)
register_target("b", make_b, depends = ["a"])
register_target("c", make_c, depends = ["a", "b"], default = True)
resolve_targets()
"#,
    );
    let run = p.run(&["build"]).ok();
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(lines, ["run a", "run b with A", "run c with A B"], "{}", run.stderr);
    assert!(run.stderr.contains("target c returned None: nothing to build"));

    // Explicit targets resolve in the order given; a shared dependency runs once.
    let run = p.run(&["build", "b", "a"]).ok();
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(lines, ["run a", "run b with A"], "{}", run.stderr);
}

#[test]
fn default_target_is_last_marked_default_else_first() {
    let p = Project::new();
    p.config(
        r#"
register_target("first", lambda: print("first"))
register_target("second", lambda: print("second"))
resolve_targets()
"#,
    );
    assert!(p.run(&["build"]).ok().stderr.contains("first"));
    p.config(
        r#"
register_target("first", lambda: print("first"))
register_target("second", lambda: print("second"), default = True)
register_target("third", lambda: print("third"), default = True)
register_target("fourth", lambda: print("fourth"), default_build_script = True)
resolve_targets()
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr.contains("third") && !run.stderr.contains("second"),
        "{}",
        run.stderr
    );
    let list = p.run(&["list-targets", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(doc["default"], "third");
    assert_eq!(doc["default_build_script"], "fourth");
    assert_eq!(doc["targets"].as_array().unwrap().len(), 4);
    let text = p.run(&["list-targets"]).ok().stdout;
    assert_eq!(text, "first\nsecond\nthird (default)\nfourth (default build script)\n");
}

#[test]
fn resolve_target_returns_the_cached_value() {
    let p = Project::new();
    p.config(
        r#"
def make_a():
    print("run a")
    return [1, 2]

def make_b():
    x = resolve_target("a")
    y = resolve_target("a")
    print("b sees %s %s" % (x, y))

register_target("a", make_a)
register_target("b", make_b, default = True)
resolve_targets()
"#,
    );
    let run = p.run(&["build"]).ok();
    assert_eq!(run.stderr.matches("run a").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("b sees [1, 2] [1, 2]"), "{}", run.stderr);
}

#[test]
fn vars_and_constants() {
    let p = Project::new();
    p.config(
        r#"
print("VARS=%s" % sorted(VARS.items()))
print("CWD=" + CWD)
print("CONFIG_PATH=" + CONFIG_PATH)
print("TRIPLE=" + BUILD_TARGET_TRIPLE)
register_target("t", lambda: None)
resolve_targets()
"#,
    );
    let run = p
        .run_with_env(
            &[
                "build",
                "--var",
                "version",
                "1.2.3",
                "--var-env",
                "home",
                "OXDIST_TEST_HOME",
                "--var-env",
                "unset",
                "OXDIST_TEST_UNSET",
            ],
            &[("OXDIST_TEST_HOME", "/home/x")],
        )
        .ok();
    assert!(
        run.stderr
            .contains(r#"VARS=[("home", "/home/x"), ("unset", None), ("version", "1.2.3")]"#),
        "{}",
        run.stderr
    );
    let dir = p.path().to_string_lossy().into_owned();
    assert!(run.stderr.contains(&format!("CWD={dir}\n")), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("CONFIG_PATH={dir}/oxdist.star\n")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("TRIPLE={}\n", oxdist::HOST_TRIPLE)),
        "{}",
        run.stderr
    );

    // Global options may come before the command too.
    let run = p.run(&["--var", "version", "9", "build"]).ok();
    assert!(run.stderr.contains(r#"VARS=[("version", "9")]"#), "{}", run.stderr);
}

#[test]
fn config_is_found_in_parent_directories_and_pyoxidizer_bzl_is_accepted() {
    let p = Project::new();
    p.file(
        "pyoxidizer.bzl",
        "register_target('t', lambda: print('from bzl'))\nresolve_targets()\n",
    );
    std::fs::create_dir_all(p.path().join("sub/dir")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxdist"))
        .arg("build")
        .current_dir(p.path().join("sub/dir"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("from bzl"));
}

#[test]
fn file_manifest_operations() {
    let p = Project::new();
    p.file("src/a.txt", "a");
    p.exe("src/tool.sh", "#!/bin/sh\n");
    p.file("src/sub/b.txt", "b");
    p.symlink("src/link", "sub/b.txt");
    p.config(
        r#"
def make():
    m = FileManifest()
    m.add_path("src/a.txt", "src/")
    m.add_path("src/tool.sh", "src", force_read = True)
    m.add_path("src/link", "src/")
    m.add_file(FileContent(path = "src/sub/b.txt"), directory = "docs")
    m.add_file(FileContent(filename = "gen.txt", content = "generated\n", executable = True))
    m.add_file(FileContent(filename = "bytes.bin", content = b"\x00\x01"), path = "data/bytes.bin")
    c = FileContent(path = "src/a.txt", filename = "renamed.txt")
    c.executable = True
    m.add_file(c)
    print("content: %s %s" % (c.filename, c.executable))
    # Identical duplicates are fine.
    m.add_path("src/a.txt", "src/")
    other = FileManifest()
    other.add_file(FileContent(filename = "o.txt", content = "o"))
    m.add_manifest(other)
    m.add_manifest(other, prefix = "nested")
    print("paths: %s" % m.paths())
    print("len: %d" % len(m))
    m.install("copy")
    m.install("copy")  # replace=True leaves exactly the manifest
    return m

register_target("install", make, default = True)
resolve_targets()
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(run.stderr.contains("content: renamed.txt True"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            r#"paths: ["a.txt", "data/bytes.bin", "docs/b.txt", "gen.txt", "link", "nested/o.txt", "o.txt", "renamed.txt", "tool.sh"]"#
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("len: 9"));
    let installed = p.installed("install");
    assert_eq!(
        installed,
        [
            "a.txt",
            "data/bytes.bin",
            "docs/b.txt",
            "gen.txt",
            "link",
            "nested/o.txt",
            "o.txt",
            "renamed.txt",
            "tool.sh"
        ]
    );
    let root = p.path().join("build").join(oxdist::HOST_TRIPLE).join("install");
    use std::os::unix::fs::PermissionsExt;
    let mode = |rel: &str| std::fs::metadata(root.join(rel)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("tool.sh"), 0o755);
    assert_eq!(mode("gen.txt"), 0o755);
    assert_eq!(mode("renamed.txt"), 0o755);
    assert_eq!(mode("a.txt"), 0o644);
    assert_eq!(
        std::fs::read_link(root.join("link")).unwrap().to_str(),
        Some("sub/b.txt")
    );
    assert_eq!(std::fs::read(root.join("data/bytes.bin")).unwrap(), b"\x00\x01");
    // install("copy") goes below the build path.
    assert!(p.path().join("build/copy/gen.txt").is_file());
}

#[test]
fn glob_include_exclude_strip_prefix_and_symlinks() {
    let p = Project::new();
    p.file("tree/a.py", "");
    p.file("tree/a.pyc", "");
    p.file("tree/pkg/b.py", "");
    p.file("tree/pkg/data/c.txt", "");
    p.file("tree/.hidden", "");
    p.file("elsewhere/real/d.txt", "");
    p.symlink("tree/dirlink", "pkg/data");
    p.config(
        r#"
print("all: %s" % glob(["tree/**/*"], strip_prefix = "tree/").paths())
print("py: %s" % glob(["tree/**/*.py"], exclude = ["tree/pkg/**"], strip_prefix = "tree/").paths())
print("kept prefix: %s" % glob(["tree/pkg/*.py"]).paths())
print("absolute: %s" % glob([CWD + "/tree/*.py"], strip_prefix = CWD + "/tree").paths())
print("two includes: %s" % glob(["tree/a.py", "tree/pkg/b.py"], strip_prefix = "tree").paths())
print("nothing: %s" % glob(["tree/*.none"]).paths())
register_target("t", lambda: None)
resolve_targets()
"#,
    );
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr
            .contains(r#"all: [".hidden", "a.py", "a.pyc", "dirlink", "pkg/b.py", "pkg/data/c.txt"]"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(r#"py: ["a.py"]"#), "{}", run.stderr);
    assert!(
        run.stderr.contains(r#"kept prefix: ["tree/pkg/b.py"]"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(r#"absolute: ["a.py"]"#), "{}", run.stderr);
    assert!(
        run.stderr.contains(r#"two includes: ["a.py", "pkg/b.py"]"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing: []"), "{}", run.stderr);
}

#[test]
fn set_build_path_moves_build_outputs() {
    let p = Project::new();
    p.config(
        r#"
set_build_path("out/b")
def make():
    m = FileManifest()
    m.add_file(FileContent(filename = "x", content = "x"))
    return m
register_target("t", make)
resolve_targets()
"#,
    );
    let run = p.run(&["build", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let expected = p.path().join("out/b").join(oxdist::HOST_TRIPLE).join("t");
    assert_eq!(doc["artifacts"][0]["path"], expected.to_string_lossy().as_ref());
    assert_eq!(doc["artifacts"][0]["kind"], "directory");
    assert!(expected.join("x").is_file());
}

#[test]
fn missing_resolve_targets_call_still_builds_the_request() {
    let p = Project::new();
    p.config("register_target('t', lambda: print('ran t'))\n");
    assert!(p.run(&["build"]).ok().stderr.contains("ran t"));
}
