//! ELF analysis against real binaries, with `readelf` (binutils) for what
//! the file says and auditwheel for the manylinux/musllinux verdicts.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use oxdist_analyze::manylinux::{self, POLICIES};
use oxdist_analyze::{AnalyzeError, Architecture, ElfAnalysis, ElfKind, Libc, analyze, analyze_file};
use oxdist_testing::{cp311_platform_args, fetch_wheel};

fn elf_of(path: &Path) -> ElfAnalysis {
    let analysis = analyze_file(path).unwrap_or_else(|e| panic!("{e}"));
    analysis.elf().expect("an ELF file").clone()
}

fn readelf(args: &[&str], path: &Path) -> String {
    let mut all: Vec<&str> = vec!["-W"];
    all.extend(args);
    let path = path.to_str().unwrap();
    all.push(path);
    common::run(Path::new("readelf"), &all)
}

/// The text between the first `[` and `]` of each line containing `marker`.
fn bracketed(text: &str, marker: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains(marker))
        .filter_map(|l| Some(l[l.find('[')? + 1..l.rfind(']')?].to_string()))
        .collect()
}

/// Checks every field readelf can also read.
fn check_against_readelf(path: &Path) -> ElfAnalysis {
    let elf = elf_of(path);
    let dynamic = readelf(&["-d"], path);
    assert_eq!(elf.needed, bracketed(&dynamic, "(NEEDED)"), "{}", path.display());
    assert_eq!(elf.soname, bracketed(&dynamic, "(SONAME)").pop(), "{}", path.display());
    let split = |v: Vec<String>| -> Vec<String> { v.iter().flat_map(|s| s.split(':')).map(String::from).collect() };
    assert_eq!(elf.rpath, split(bracketed(&dynamic, "(RPATH)")), "{}", path.display());
    assert_eq!(
        elf.runpath,
        split(bracketed(&dynamic, "(RUNPATH)")),
        "{}",
        path.display()
    );
    let segments = readelf(&["-l"], path);
    let interp = segments.lines().find_map(|l| {
        l.split_once("[Requesting program interpreter: ")
            .map(|(_, r)| r.trim_end_matches(']').to_string())
    });
    assert_eq!(elf.interpreter, interp, "{}", path.display());

    // `readelf -V`: "File: libc.so.6  Cnt: 3" then "Name: GLIBC_2.14  Flags: …".
    let versions = readelf(&["-V"], path);
    let mut expected: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_needs = false;
    for line in versions.lines() {
        if line.starts_with("Version needs section") {
            in_needs = true;
        } else if line.starts_with("Version") {
            in_needs = false;
        } else if in_needs && let Some(rest) = line.split("File: ").nth(1) {
            expected.push((rest.split_whitespace().next().unwrap().to_string(), Vec::new()));
        } else if in_needs && let Some(rest) = line.split("Name: ").nth(1) {
            expected
                .last_mut()
                .unwrap()
                .1
                .push(rest.split_whitespace().next().unwrap().to_string());
        }
    }
    let ours: Vec<(String, Vec<String>)> = elf
        .version_requirements
        .iter()
        .map(|l| (l.library.clone(), l.versions.clone()))
        .collect();
    assert_eq!(ours, expected, "{}", path.display());
    elf
}

#[test]
fn bin_ls_matches_readelf() {
    let elf = check_against_readelf(Path::new("/bin/ls"));
    assert_eq!(elf.architecture, Architecture::X86_64);
    assert_eq!(elf.bits, 64);
    assert_eq!(elf.kind, ElfKind::PieExecutable);
    assert_eq!(elf.libc, Libc::Glibc);
    assert!(elf.needed.contains(&"libc.so.6".to_string()));
    // The floor is the newest GLIBC_ version readelf lists.
    let newest = elf
        .version_requirements
        .iter()
        .flat_map(|l| &l.versions)
        .filter_map(|v| v.strip_prefix("GLIBC_"))
        .filter_map(manylinux::Version::parse)
        .max()
        .unwrap();
    assert_eq!(elf.min_glibc.as_deref(), Some(newest.to_string().as_str()));
    // Debian's ls needs libselinux, which no policy allows: no manylinux tag,
    // and the library named.
    let off_list: Vec<String> = elf
        .needed
        .iter()
        .filter(|l| !manylinux::BASE_LIBRARIES.contains(&l.as_str()) && *l != "libexpat.so.1")
        .cloned()
        .collect();
    let verdict = elf.manylinux.unwrap();
    assert_eq!(verdict.external_libraries, off_list);
    assert_eq!(
        verdict.policy.starts_with("manylinux_2_"),
        off_list.is_empty(),
        "{verdict:?}"
    );
}

#[test]
fn own_test_binary_and_host_extension_modules_match_readelf() {
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    let elf = check_against_readelf(&exe);
    assert!(matches!(elf.kind, ElfKind::PieExecutable | ElfKind::Executable));

    let dynload = common::run(
        Path::new("python3"),
        &[
            "-c",
            "import sysconfig, os; print(os.path.join(sysconfig.get_path('platstdlib'), 'lib-dynload'))",
        ],
    );
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dynload.trim())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "so"))
        .collect();
    modules.sort();
    assert!(modules.len() >= 10, "few extension modules in {}", dynload.trim());
    for module in &modules {
        let elf = check_against_readelf(module);
        assert_eq!(elf.kind, ElfKind::SharedObject, "{}", module.display());
    }
}

/// One wheel: (pip spec, pip `--platform`, file-name prefix, the file name's
/// platform tag: the marker that picks it from the shared wheel cache).
const WHEELS: &[(&str, &str, &str, &str)] = &[
    (
        "numpy==1.26.4",
        "manylinux2014_x86_64",
        "numpy-1.26.4-",
        "manylinux2014_x86_64",
    ),
    (
        "PyYAML==6.0.1",
        "manylinux2014_x86_64",
        "pyyaml-6.0.1-",
        "manylinux2014_x86_64",
    ),
    (
        "MarkupSafe==2.1.5",
        "manylinux2014_x86_64",
        "markupsafe-2.1.5-",
        "manylinux2014_x86_64",
    ),
    (
        "charset-normalizer==3.3.2",
        "manylinux2014_x86_64",
        "charset_normalizer-3.3.2-",
        "manylinux2014_x86_64",
    ),
    (
        "ujson==5.10.0",
        "manylinux2014_x86_64",
        "ujson-5.10.0-",
        "manylinux2014_x86_64",
    ),
    (
        "msgpack==1.0.8",
        "manylinux2014_x86_64",
        "msgpack-1.0.8-",
        "manylinux2014_x86_64",
    ),
    (
        "lxml==5.2.2",
        "manylinux2014_x86_64",
        "lxml-5.2.2-",
        "manylinux2014_x86_64",
    ),
    (
        "lxml==5.2.2",
        "manylinux_2_28_x86_64",
        "lxml-5.2.2-",
        "manylinux_2_28_x86_64",
    ),
    (
        "pillow==10.3.0",
        "manylinux2014_x86_64",
        "pillow-10.3.0-",
        "manylinux2014_x86_64",
    ),
    (
        "cryptography==42.0.8",
        "manylinux2014_x86_64",
        "cryptography-42.0.8-",
        "manylinux2014_x86_64",
    ),
    (
        "cryptography==42.0.8",
        "manylinux_2_28_x86_64",
        "cryptography-42.0.8-",
        "manylinux_2_28_x86_64",
    ),
    (
        "orjson==3.10.3",
        "manylinux2014_x86_64",
        "orjson-3.10.3-",
        "manylinux2014_x86_64",
    ),
    (
        "zstandard==0.22.0",
        "manylinux2014_x86_64",
        "zstandard-0.22.0-",
        "manylinux2014_x86_64",
    ),
    (
        "psutil==5.9.8",
        "manylinux2014_x86_64",
        "psutil-5.9.8-",
        "manylinux2014_x86_64",
    ),
    (
        "regex==2024.5.15",
        "manylinux2014_x86_64",
        "regex-2024.5.15-",
        "manylinux2014_x86_64",
    ),
    (
        "rapidfuzz==3.9.3",
        "manylinux2014_x86_64",
        "rapidfuzz-3.9.3-",
        "manylinux2014_x86_64",
    ),
    (
        "pydantic-core==2.18.4",
        "manylinux2014_x86_64",
        "pydantic_core-2.18.4-",
        "manylinux2014_x86_64",
    ),
    (
        "simplejson==3.19.2",
        "manylinux1_x86_64",
        "simplejson-3.19.2-",
        "manylinux2014_x86_64",
    ),
];

/// The last field: whether auditwheel can check it on this (glibc) machine.
/// orjson's module needs musl's `libc.so` by that name, which auditwheel
/// resolves to glibc's linker script `/usr/lib/x86_64-linux-gnu/libc.so`
/// and fails to parse (ELFError "Magic number does not match").
const MUSL_WHEELS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "msgpack==1.0.8",
        "musllinux_1_1_x86_64",
        "msgpack-1.0.8-",
        "musllinux_1_1_x86_64",
        true,
    ),
    (
        "orjson==3.10.3",
        "musllinux_1_2_x86_64",
        "orjson-3.10.3-",
        "musllinux_1_2_x86_64",
        false,
    ),
];

/// Every ELF file in a wheel, analysed, with its member name.
fn wheel_elves(wheel: &Path) -> Vec<(String, ElfAnalysis)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let name = member.name().unwrap().to_string();
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        if bytes.starts_with(b"\x7fELF") {
            let analysis = analyze(&bytes, Path::new(&name)).unwrap_or_else(|e| panic!("{e}"));
            out.push((name, analysis.elf().expect("an ELF file").clone()));
        }
    }
    out
}

/// A wheel's verdict: its ELF files together, the libraries it bundles
/// (by file name and soname) not counted as external.
fn our_wheel_verdict(elves: &[(String, ElfAnalysis)], musl: bool) -> manylinux::Verdict {
    let bundled: BTreeSet<String> = elves
        .iter()
        .flat_map(|(name, elf)| {
            [name.rsplit('/').next().unwrap().to_string()]
                .into_iter()
                .chain(elf.soname.clone())
        })
        .collect();
    let files: Vec<&ElfAnalysis> = elves.iter().map(|(_, e)| e).collect();
    let is_bundled = |l: &str| bundled.contains(l);
    if musl {
        manylinux::musllinux_verdict_for(&files, &is_bundled)
    } else {
        manylinux::manylinux_verdict_for(&files, &is_bundled)
    }
}

/// auditwheel's wheel-level tag and the newest GLIBC_ version it lists.
fn auditwheel_show(wheel: &Path) -> (String, Option<manylinux::Version>) {
    let python = common::auditwheel_python();
    let auditwheel = python.with_file_name("auditwheel");
    let out = common::run(&auditwheel, &["show", wheel.to_str().unwrap()]);
    let flat = out.replace('\n', " ");
    let tag = flat
        .split("platform tag:")
        .nth(1)
        .and_then(|r| r.split('"').nth(1))
        .unwrap_or_else(|| panic!("no platform tag in auditwheel show:\n{out}"))
        .to_string();
    let glibc = flat
        .split("GLIBC_")
        .skip(1)
        .filter_map(|r| manylinux::Version::parse(r.split(['\'', '"', ',', '}', ' ']).next().unwrap()))
        .max();
    (tag, glibc)
}

#[test]
fn manylinux_wheels_agree_with_auditwheel_show() {
    let mut table =
        String::from("| wheel | .so files | auditwheel | ours | glibc (auditwheel / ours) |\n|---|---|---|---|---|\n");
    let mut so_files = 0;
    let mut disagreements = Vec::new();
    for (spec, platform, prefix, tag) in WHEELS {
        let wheel = fetch_wheel(spec, prefix, &[tag], &cp311_platform_args(platform));
        let elves = wheel_elves(&wheel);
        assert!(!elves.is_empty(), "{} has no ELF files", wheel.display());
        so_files += elves.len();
        let ours = our_wheel_verdict(&elves, false);
        let (theirs, their_glibc) = auditwheel_show(&wheel);
        // auditwheel leaves out what is needed from the loader; so do we here.
        let our_glibc = elves
            .iter()
            .flat_map(|(_, e)| &e.version_requirements)
            .filter(|l| !l.library.starts_with("ld-linux"))
            .filter_map(|l| l.highest.get("GLIBC"))
            .filter_map(|v| manylinux::Version::parse(v))
            .max();
        let show = |v: &Option<manylinux::Version>| v.as_ref().map_or("-".to_string(), ToString::to_string);
        table.push_str(&format!(
            "| {spec} ({platform}) | {} | {theirs} | {} | {} / {} |\n",
            elves.len(),
            ours.tag,
            show(&their_glibc),
            show(&our_glibc)
        ));
        if ours.tag != theirs || our_glibc != their_glibc {
            disagreements.push(format!(
                "{spec}: auditwheel {theirs} {their_glibc:?}, ours {ours:?} {our_glibc:?}"
            ));
        }
    }
    println!("{table}");
    assert!(so_files >= 20, "only {so_files} ELF files");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn musllinux_wheels_agree_with_auditwheel() {
    let python = common::auditwheel_python();
    for (spec, platform, prefix, tag, oracle) in MUSL_WHEELS {
        let wheel = fetch_wheel(spec, prefix, &[tag], &cp311_platform_args(platform));
        let elves = wheel_elves(&wheel);
        assert!(elves.iter().all(|(_, e)| e.libc == Libc::Musl && e.min_glibc.is_none()));
        let ours = our_wheel_verdict(&elves, true);
        // On a glibc machine `auditwheel show` only loads the manylinux
        // policies; its library API takes the musl policy explicitly.
        for policy in manylinux::MUSL_POLICIES.iter().filter(|_| *oracle) {
            let script = format!(
                "from auditwheel.policy import WheelPolicies\nfrom auditwheel.wheel_abi import analyze_wheel_abi\n\
                 p = WheelPolicies(musl_policy='{policy}')\nprint(analyze_wheel_abi(p, '{}', frozenset()).overall_tag)",
                wheel.display()
            );
            let theirs = common::run(&python, &["-c", &script]);
            // auditwheel answers with the policy it was given: the check is the same for both.
            assert_eq!(theirs.trim(), format!("{policy}_x86_64"), "{spec}");
        }
        assert_eq!(ours.tag, "musllinux_1_1_x86_64", "{spec}: {ours:?}");
        assert!(ours.note.is_some());
    }
}

/// The policy table against auditwheel's own policy file: for every policy,
/// architecture and family, our limits allow exactly the versions auditwheel
/// lists, among all versions it lists for that architecture anywhere.
#[test]
fn policy_table_matches_auditwheel_policy_json() {
    let python = common::auditwheel_python();
    let json = common::run(
        &python,
        &[
            "-c",
            "import auditwheel.policy as p, pathlib; print((pathlib.Path(p.__file__).parent / 'manylinux-policy.json').read_text())",
        ],
    );
    let policies: serde_json::Value = serde_json::from_str(&json).unwrap();
    let policies: Vec<&serde_json::Value> = policies
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "linux")
        .collect();
    let names: Vec<&str> = policies.iter().map(|p| p["name"].as_str().unwrap()).collect();
    let ours: Vec<&str> = POLICIES.iter().map(|p| p.name).collect();
    assert_eq!(ours, names);

    let arch_of = |name: &str| -> Architecture {
        match name {
            "x86_64" => Architecture::X86_64,
            "i686" => Architecture::I686,
            "aarch64" => Architecture::Aarch64,
            "armv7l" => Architecture::Armv7l,
            "ppc64le" => Architecture::Ppc64le,
            "ppc64" => Architecture::Ppc64,
            "s390x" => Architecture::S390x,
            "riscv64" => Architecture::Riscv64,
            other => panic!("unknown architecture {other} in auditwheel's policy"),
        }
    };
    // Every (arch, family) → every version auditwheel knows there.
    let mut universe: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for p in &policies {
        for (arch, families) in p["symbol_versions"].as_object().unwrap() {
            for (family, versions) in families.as_object().unwrap() {
                for v in versions.as_array().unwrap() {
                    universe
                        .entry((arch.clone(), family.clone()))
                        .or_default()
                        .insert(v.as_str().unwrap().to_string());
                }
            }
        }
    }
    let mut wrong = Vec::new();
    for (p, ours) in policies.iter().zip(POLICIES) {
        let aliases: Vec<&str> = p["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(ours.alias.into_iter().collect::<Vec<_>>(), aliases, "{}", ours.name);
        let libs: BTreeSet<&str> = p["lib_whitelist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let mut our_libs: BTreeSet<&str> = manylinux::BASE_LIBRARIES.iter().copied().collect();
        if ours.allows_library("libexpat.so.1") {
            our_libs.insert("libexpat.so.1");
        }
        assert_eq!(our_libs, libs, "{}", ours.name);
        let arches: BTreeSet<&String> = p["symbol_versions"].as_object().unwrap().keys().collect();
        for arch in [
            "x86_64", "i686", "aarch64", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64",
        ] {
            assert_eq!(
                ours.supports(arch_of(arch)),
                arches.contains(&arch.to_string()),
                "{} {arch}",
                ours.name
            );
        }
        for (arch, families) in p["symbol_versions"].as_object().unwrap() {
            for (family, versions) in families.as_object().unwrap() {
                let allowed: BTreeSet<&str> = versions
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                for v in &universe[&(arch.clone(), family.clone())] {
                    let full = format!("{family}_{v}");
                    if ours.allows_version(arch_of(arch), &full) != allowed.contains(v.as_str()) {
                        wrong.push(format!(
                            "{} {arch} {full}: auditwheel allows = {}",
                            ours.name,
                            allowed.contains(v.as_str())
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} differences:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn distributions_by_glibc() {
    let names = |g: &str| -> Vec<&str> { manylinux::distributions_satisfying(g).iter().map(|d| d.name).collect() };
    assert_eq!(names("2.36"), ["Debian 12", "Ubuntu 24.04"]);
    assert_eq!(names("2.17").len(), manylinux::DISTRIBUTIONS.len());
    assert!(names("2.40").is_empty());
    assert!(names("2.28").contains(&"Debian 10") && !names("2.28").contains(&"Ubuntu 18.04"));
    assert!(names("not a version").is_empty());
}

fn error_of(bytes: &[u8]) -> AnalyzeError {
    analyze(bytes, Path::new("dist/thing.so")).expect_err("bad input must be refused")
}

#[test]
fn bad_input_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = analyze_file(dir.path()).unwrap_err();
    assert!(matches!(e, AnalyzeError::Directory { .. }));
    assert!(e.to_string().contains(&dir.path().display().to_string()) && e.to_string().contains("directory"));

    let missing = dir.path().join("missing.so");
    let e = analyze_file(&missing).unwrap_err();
    assert!(
        matches!(e, AnalyzeError::Read { .. }) && e.to_string().contains("missing.so"),
        "{e}"
    );

    for bytes in [&b""[..], b"\x7fE", b"#!/bin/sh\necho hello\n"] {
        let e = error_of(bytes);
        assert!(matches!(e, AnalyzeError::NotBinary { .. }), "{e:?}");
        assert!(e.to_string().contains("dist/thing.so is not a binary"), "{e}");
    }

    let ls = std::fs::read("/bin/ls").unwrap();
    // Cut inside the header, inside the program headers, and before the dynamic section.
    for len in [20, 100, 4096] {
        let e = error_of(&ls[..len]);
        assert!(matches!(e, AnalyzeError::Malformed { .. }), "{len}: {e:?}");
        assert!(
            e.to_string()
                .contains("dist/thing.so is a truncated or damaged ELF file"),
            "{e}"
        );
    }

    // e_machine (offset 18, little-endian) set to 0x1234.
    let mut odd = ls.clone();
    odd[18..20].copy_from_slice(&0x1234u16.to_le_bytes());
    let e = error_of(&odd);
    assert!(
        matches!(
            e,
            AnalyzeError::UnknownArchitecture {
                machine: 0x1234,
                bits: 64,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("e_machine 4660"), "{e}");

    let e = error_of(b"MZ\x90\x00\x03\x00\x00\x00");
    assert!(matches!(e, AnalyzeError::Damaged { format: "PE", .. }), "{e:?}");
    let e = error_of(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]);
    assert!(matches!(e, AnalyzeError::Damaged { format: "Mach-O", .. }), "{e:?}");
}

#[test]
fn json_shape() {
    let analysis = analyze_file(Path::new("/bin/ls")).unwrap();
    let json = serde_json::to_value(&analysis).unwrap();
    assert_eq!(json["format"], "elf");
    assert_eq!(json["architectures"], serde_json::json!(["x86_64"]));
    let elf = &json["details"]["elf"];
    assert_eq!(elf["kind"], "pie-executable");
    assert_eq!(elf["libc"], "glibc");
    assert!(elf["manylinux"]["tag"].is_string());
    assert!(elf["version_requirements"][0]["highest"].is_object());
}
