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
etc = FileManifest()
etc.add_file(FileContent(filename = "hello.conf", content = "greeting = hello\n"), directory = "etc/hello")
pkg.add_system_files(etc)
print("set", pkg.prefix, pkg.bin_links, pkg.deb_depends, pkg.rpm_requires, pkg.post_install_script, pkg.license_file)
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
