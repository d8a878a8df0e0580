//! `oxdist analyze` on real binaries (checked against `readelf`), its bad
//! inputs, and the glibc check `oxdist build` runs on executables.

mod common;

use std::process::Command;

use common::Project;

fn oxdist_analyze(args: &[&str]) -> common::Run {
    Project::new().run(&[&["analyze"], args].concat())
}

/// `readelf -d`'s NEEDED libraries, in order.
fn readelf_needed(path: &str) -> Vec<String> {
    common::tool("readelf", &["-d", path], "binutils")
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1).map(|s| s.trim_end_matches(']').to_string()))
        .collect()
}

#[test]
fn analyzes_oxdists_own_binary_like_readelf() {
    let exe = env!("CARGO_BIN_EXE_oxdist");
    let run = oxdist_analyze(&[exe, "--json"]).ok();
    let analyses: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let elf = &analyses[0]["details"]["elf"];
    let needed: Vec<String> = elf["needed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(needed, readelf_needed(exe));
    assert_eq!(elf["libc"], "glibc");
    assert!(elf["min_glibc"].as_str().is_some_and(|v| v.starts_with("2.")), "{elf}");
    assert!(
        elf["manylinux"]["tag"].as_str().unwrap().starts_with("manylinux_2_"),
        "{elf}"
    );

    let human = oxdist_analyze(&[exe]).ok().stdout;
    for needle in ["format: elf", "needed: ", "min_glibc: 2.", "runs on (glibc ≥ 2."] {
        assert!(human.contains(needle), "{needle}:\n{human}");
    }
}

#[test]
fn analyzes_several_files_at_once() {
    let python = Command::new("python3")
        .args(["-c", "import _json, _csv; print(_json.__file__); print(_csv.__file__)"])
        .output()
        .unwrap();
    let text = String::from_utf8(python.stdout).unwrap();
    let paths: Vec<&str> = text.lines().collect();
    let run = oxdist_analyze(&[paths[0], paths[1], "--json"]).ok();
    let analyses: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(analyses.as_array().unwrap().len(), 2);
    for (analysis, path) in analyses.as_array().unwrap().iter().zip(&paths) {
        assert_eq!(analysis["path"], *path);
        assert_eq!(analysis["details"]["elf"]["kind"], "shared-object");
    }
}

#[test]
fn bad_inputs_name_the_file() {
    let p = Project::new();
    p.file("notes.txt", "not a binary\n");
    p.run(&["analyze", p.path().to_str().unwrap()])
        .fails_with(4, &["is a directory", "name an executable or shared library inside it"]);
    p.run(&["analyze", p.path().join("notes.txt").to_str().unwrap()])
        .fails_with(4, &["notes.txt is not a binary"]);
    p.run(&["analyze", "/nonexistent/prog"])
        .fails_with(4, &["/nonexistent/prog"]);
    let truncated = p.path().join("truncated");
    std::fs::write(&truncated, &std::fs::read(env!("CARGO_BIN_EXE_oxdist")).unwrap()[..200]).unwrap();
    p.run(&["analyze", truncated.to_str().unwrap()])
        .fails_with(4, &["truncated"]);
    p.run(&["analyze"]).fails_with(2, &["PATHS"]);
}

/// `oxdist build` reports the glibc an executable needs and warns when it is
/// newer than `exe.min_glibc`.
#[test]
fn build_warns_when_the_glibc_floor_is_above_min_glibc() {
    let p = Project::new();
    let config = |min: &str| {
        format!(
            r#"
def make_exe():
    exe = default_python_distribution().to_python_executable("py")
    exe.min_glibc = {min}
    return exe
register_target("exe", make_exe)
resolve_targets()
"#
        )
    };
    p.config(&config("\"2.17\""));
    let run = p.run(&["build"]).ok();
    assert!(
        run.stderr.contains("newer than min_glibc = \"2.17\"") && run.stderr.contains("py needs glibc 2."),
        "{}",
        run.stderr
    );
    p.config(&config("\"2.99\""));
    let run = p.run(&["build"]).ok();
    assert!(!run.stderr.contains("newer than min_glibc"), "{}", run.stderr);
    p.config(&config("\"2\""));
    p.run(&["build"])
        .fails_with(3, &["min_glibc must be a glibc version such as \"2.17\""]);
}
