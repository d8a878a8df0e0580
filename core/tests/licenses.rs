//! `oxdist licenses` and the license gate of `oxdist package`, on this
//! machine's host CPython: its `readline` module links GNU readline
//! (GPL-3.0-or-later), which the default policy refuses and the
//! `no-copyleft` filter screens out.

mod common;

use common::Project;

/// A project whose executable keeps the extension modules `filter` keeps,
/// with `extra` appended to the configuration.
fn project(filter: &str, extra: &str) -> Project {
    let p = Project::new();
    p.file("src/demo/__init__.py", "def main():\n    print('demo')\n");
    p.config(&format!(
        r#"
set_package_metadata(name = "demo", version = "1.0", license = "MIT", maintainer = "Demo <demo@example.org>")
{extra}
def make_exe():
    dist = default_python_distribution()
    policy = dist.make_python_packaging_policy()
    policy.extension_module_filter = "{filter}"
    config = dist.make_python_interpreter_config()
    config.run_command = "import demo; demo.main()"
    exe = dist.to_python_executable("demo", packaging_policy = policy, config = config)
    exe.add_python_resources(exe.read_package_root("src", ["demo"]))
    return exe

def make_install(exe):
    files = FileManifest()
    files.add_python_resource("bin", exe)
    return files

register_target("exe", make_exe)
register_target("install", make_install, depends = ["exe"], default = True)
resolve_targets()
"#
    ));
    p
}

/// Whether this machine's CPython has a `readline` module linking GNU readline.
fn host_links_gnu_readline() -> bool {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import readline, sys; sys.stdout.write(readline.__file__ if hasattr(readline, '__file__') else '')",
        ])
        .output();
    let Ok(out) = out else { return false };
    let path = String::from_utf8_lossy(&out.stdout).to_string();
    if path.is_empty() {
        return false;
    }
    let needed = std::process::Command::new("objdump").args(["-p", &path]).output();
    needed.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("libreadline.so"))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn component<'a>(report: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    report["components"].as_array().unwrap().iter().find(|c| c["id"] == id)
}

#[test]
fn the_gate_refuses_gnu_readline_and_no_copyleft_screens_it_out() {
    if !host_links_gnu_readline() {
        eprintln!("skipped: the host CPython's readline module does not link GNU readline");
        return;
    }
    // Every extension module: readline (GPL-3.0-or-later) fails the default policy.
    let p = project("all", "");
    let run = p.run(&["licenses", "--check"]).fails_with(
        5,
        &[
            "the license policy rejects what target \"install\" ships",
            "readline",
            "GPL-3.0-or-later",
            "extension_module_filter = \"no-copyleft\"",
        ],
    );
    assert!(run.stdout.contains("License audit of demo 1.0"), "{}", run.stdout);
    // `package` refuses before writing anything.
    p.run(&["package", "--format", "tar.gz"])
        .fails_with(5, &["readline", "GPL-3.0-or-later"]);
    assert!(!p.path().join("dist").exists(), "nothing may be written");

    // The same with no-copyleft: readline is gone, the rest is there with its provenance.
    let p = project("no-copyleft", "");
    let run = p.run(&["licenses", "--check", "--format", "json"]).ok();
    let report = json(&run.stdout);
    assert!(component(&report, "stdlib-extension:readline").is_none(), "{report:#}");
    let ssl = component(&report, "stdlib-extension:_ssl").expect("_ssl is audited");
    assert_eq!(ssl["license"]["expression"], "Apache-2.0", "{ssl:#}");
    assert!(
        ssl["provenance"]
            .as_str()
            .unwrap()
            .contains("/usr/share/doc/libssl3/copyright"),
        "{ssl:#}"
    );
    assert!(
        ssl["depends_on"]
            .as_array()
            .unwrap()
            .contains(&"library:libssl3".into())
    );
    let sqlite = component(&report, "stdlib-extension:_sqlite3").expect("_sqlite3 is audited");
    assert_eq!(sqlite["license"]["kind"], "public-domain", "{sqlite:#}");
    let cpython = component(&report, "python:CPython").expect("CPython");
    assert_eq!(cpython["license"]["expression"], "Python-2.0");
    let crate_ids: Vec<&str> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "rust-crate")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        crate_ids.contains(&"oxdist-embed") && crate_ids.contains(&"pyo3-ffi"),
        "{crate_ids:?}"
    );
    assert_eq!(report["verdict"]["violations"], serde_json::json!([]), "{report:#}");
}

#[test]
fn clarifications_and_exceptions_are_applied_and_reported() {
    if !host_links_gnu_readline() {
        eprintln!("skipped: the host CPython's readline module does not link GNU readline");
        return;
    }
    let p = project(
        "all",
        r#"
set_license_policy(
    weak_copyleft = "allow",
    unknown = "warn",
    exceptions = {"readline": "internal tool, never distributed outside the company"},
)
clarify_license("libssl3", "Apache-2.0 AND LicenseRef-Demo", reason = "checked upstream LICENSE.txt by hand")
"#,
    );
    let run = p.run(&["licenses", "--check", "--format", "json"]).ok();
    let report = json(&run.stdout);
    let exempted = report["verdict"]["exempted"].as_array().unwrap();
    assert!(
        exempted.iter().any(|f| f["component"] == "stdlib-extension:readline"
            && f["reason"].as_str().unwrap().contains("internal tool")),
        "{report:#}"
    );
    // Clarifying the library relicenses the modules that link it.
    let library = component(&report, "library:libssl3").unwrap();
    assert_eq!(library["clarification"], "checked upstream LICENSE.txt by hand");
    let ssl = component(&report, "stdlib-extension:_ssl").unwrap();
    assert_eq!(
        ssl["license"]["expression"], "Apache-2.0 AND LicenseRef-Demo",
        "{ssl:#}"
    );
    assert!(
        ssl["provenance"]
            .as_str()
            .unwrap()
            .contains("libssl3 clarified in configuration")
    );
}

#[test]
fn bad_policy_settings_are_configuration_errors() {
    let cases: [(&str, &[&str]); 5] = [
        (
            r#"clarify_license("libssl3", "Apache-2.0 OR", reason = "x")"#,
            &["oxdist.star:3", "not an SPDX license expression"],
        ),
        (
            r#"clarify_license("libssl3", "Apache-2.0", reason = " ")"#,
            &["oxdist.star:3", "reason must say why"],
        ),
        (
            r#"set_license_policy(copyleft = "maybe")"#,
            &[
                "oxdist.star:3",
                "copyleft = \"maybe\": expected \"allow\", \"warn\" or \"deny\"",
            ],
        ),
        (
            r#"set_license_policy(deny = ["Apache2"])"#,
            &["oxdist.star:3", "Apache2"],
        ),
        (
            r#"set_license_policy(exceptions = {"readline": ""})"#,
            &["oxdist.star:3", "readline"],
        ),
    ];
    for (line, needles) in cases {
        let p = project("no-copyleft", line);
        p.run(&["licenses"]).fails_with(3, needles);
    }
    // A clarification naming nothing in the audit is an error, not a no-op.
    let p = project(
        "no-copyleft",
        r#"clarify_license("no-such-component", "MIT", reason = "typo")"#,
    );
    p.run(&["licenses"]).fails_with(3, &["no-such-component"]);
}

#[test]
fn sboms_are_written_atomically_and_reproducibly() {
    let p = project("no-copyleft", "");
    let out = p.path().join("sbom.spdx.json");
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    p.run_with_env(&["licenses", "--format", "spdx", "--out", out.to_str().unwrap()], &env)
        .ok();
    let first = std::fs::read(&out).unwrap();
    let doc = json(&String::from_utf8_lossy(&first));
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    p.run_with_env(&["licenses", "--format", "spdx", "--out", out.to_str().unwrap()], &env)
        .ok();
    assert!(
        std::fs::read(&out).unwrap() == first,
        "the SPDX document differs between runs"
    );
    let run = p.run_with_env(&["licenses", "--format", "cyclonedx"], &env).ok();
    let bom = json(&run.stdout);
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["component"]["name"], "demo");
}

#[test]
fn archives_carry_the_notices_and_license_texts() {
    let p = project("no-copyleft", "");
    p.run(&["package", "--format", "tar.gz"]).ok();
    let archive = p
        .path()
        .join("dist")
        .join(format!("demo-1.0-{}.tar.gz", oxdist::HOST_TRIPLE));
    let listing = common::tool("tar", &["-tzf", archive.to_str().unwrap()], "tar");
    let root = format!("demo-1.0-{}", oxdist::HOST_TRIPLE);
    for path in ["THIRD-PARTY-NOTICES.txt", "THIRD-PARTY-NOTICES.html"] {
        assert!(listing.contains(&format!("{root}/{path}\n")), "{path}:\n{listing}");
    }
    assert!(listing.contains(&format!("{root}/licenses/")), "{listing}");
    let notices = common::tool(
        "tar",
        &[
            "-xzOf",
            archive.to_str().unwrap(),
            &format!("{root}/THIRD-PARTY-NOTICES.txt"),
        ],
        "tar",
    );
    for needle in ["CPython", "Python-2.0", "Apache-2.0", "libssl3", "oxdist-embed"] {
        assert!(notices.contains(needle), "{needle} missing from the notices");
    }
    assert!(!notices.contains("readline"), "readline was screened out");
}

#[test]
fn distribution_licenses_lists_each_module_s_libraries() {
    if !host_links_gnu_readline() {
        eprintln!("skipped: the host CPython's readline module does not link GNU readline");
        return;
    }
    let p = Project::new();
    let run = p.run(&["distribution", "licenses", "--host", "--json"]).ok();
    let rows = json(&run.stdout);
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row for {name}:\n{rows:#}"))
            .clone()
    };
    let readline = row("readline");
    assert_eq!(readline["license"], "GPL-3.0-or-later", "{readline:#}");
    assert!(
        readline["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("(libreadline8)")),
        "{readline:#}"
    );
    assert_eq!(row("_ssl")["license"], "Apache-2.0");
    let text = p.run(&["distribution", "licenses", "--host"]).ok().stdout;
    assert!(text.contains("  readline: GPL-3.0-or-later"), "{text}");
    // Neither an archive nor --host: a usage error.
    p.run(&["distribution", "licenses"]).fails_with(2, &["--host"]);
}

/// Host extension modules the `no-copyleft` filter drops only because the
/// one package they link has no machine-readable license (Debian 12:
/// `_bz2` → libbz2-1.0, `BSD-variant`), with that package's name.
fn unknown_single_package_modules() -> Vec<(String, String)> {
    let p = Project::new();
    let rows = json(&p.run(&["distribution", "licenses", "--host", "--json"]).ok().stdout);
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|row| row["license"] == "unknown")
        .filter_map(|row| {
            let packages: Vec<&str> = row["libraries"]
                .as_array()?
                .iter()
                .filter_map(|l| l.as_str()?.split_once(" (")?.1.strip_suffix(')'))
                .filter(|package| *package != "platform")
                .collect();
            match packages.as_slice() {
                [package] => Some((row["name"].as_str()?.to_string(), package.to_string())),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn clarifications_reach_the_extension_module_filter() {
    let candidates = unknown_single_package_modules();
    let Some((module, package)) = candidates.first().cloned() else {
        eprintln!("skipped: no host extension module links a single package of unknown license");
        return;
    };
    let module_id = format!("stdlib-extension:{module}");
    // Without a clarification, no-copyleft drops the module: unknown is not permissive.
    let report = json(
        &project("no-copyleft", "")
            .run(&["licenses", "--format", "json"])
            .ok()
            .stdout,
    );
    assert!(component(&report, &module_id).is_none(), "{module} kept:\n{report:#}");

    // Clarifying the library keeps it, licensed as the clarification says.
    let clarified =
        format!(r#"clarify_license("{package}", "MIT", reason = "read /usr/share/doc/{package}/copyright by hand")"#);
    let report = json(
        &project("no-copyleft", &clarified)
            .run(&["licenses", "--check", "--format", "json"])
            .ok()
            .stdout,
    );
    let kept = component(&report, &module_id).unwrap_or_else(|| panic!("{module} dropped:\n{report:#}"));
    assert_eq!(kept["license"]["expression"], "MIT", "{kept:#}");
    let library = component(&report, &format!("library:{package}")).unwrap();
    assert_eq!(library["license"]["expression"], "MIT", "{library:#}");

    // Clarifying the module itself keeps it as well; a copyleft clarification drops it.
    let by_module = format!(r#"clarify_license("{module}", "BSD-2-Clause", reason = "checked upstream")"#);
    let report = json(
        &project("no-copyleft", &by_module)
            .run(&["licenses", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(
        component(&report, &module_id).unwrap()["license"]["expression"],
        "BSD-2-Clause"
    );
    let copyleft = format!(r#"clarify_license("{package}", "GPL-2.0-only", reason = "checked upstream")"#);
    let p = project("no-copyleft", &copyleft);
    // The clarification now names nothing that is shipped, which is an error, not a no-op.
    p.run(&["licenses"]).fails_with(3, &[&package]);
}

#[test]
fn clarifications_after_to_python_executable_are_refused() {
    let p = project("no-copyleft", "");
    let config = std::fs::read_to_string(p.path().join("oxdist.star")).unwrap().replace(
        "    return exe\n",
        "    clarify_license(\"libssl3\", \"Apache-2.0\", reason = \"late\")\n    return exe\n",
    );
    std::fs::write(p.path().join("oxdist.star"), config).unwrap();
    p.run(&["licenses"]).fails_with(
        3,
        &["comes after to_python_executable()", "at the top of the configuration"],
    );
}
