//! `Contents/_CodeSignature/CodeResources`: the seal over every file of a
//! bundle that is not its main executable. The main executable's code
//! directory holds the SHA-256 of this file (special slot 3), so changing,
//! adding or removing any sealed file breaks the bundle's signature.
//!
//! It is an XML property list with four keys, written as `codesign` writes
//! them (paths relative to `Contents/`):
//!
//! | key | content |
//! |---|---|
//! | `files` | version-1 seal (macOS before 10.9), `Resources/…` and `version.plist` only: path → SHA-1 as `<data>`, or `{hash, optional}` |
//! | `files2` | the seal macOS checks: path → `{hash2}` (SHA-256), `{symlink}` (the target), or for signed code in a nested location `{cdhash, requirement}` |
//! | `rules`, `rules2` | the default rules `codesign` applies, recorded so that the verifier applies the same |
//!
//! How `rules2` sorts a path (highest weight wins):
//!
//! | rule | paths | sealed as |
//! |---|---|---|
//! | omit, 2000 | any `.DS_Store` | not at all |
//! | omit, 1100 | `Resources/*.lproj/locversion.plist` | not at all |
//! | optional, 1000 | `Resources/*.lproj/…` (not `Base.lproj`) | hash, may be missing |
//! | omit, 20 | `Info.plist`, `PkgInfo` | not at all (`Info.plist` is special slot 1) |
//! | 20 | `Resources/…`, `version.plist`, `embedded.provisionprofile` | hash |
//! | 11 | anything inside a `.dSYM` | hash |
//! | nested, 10 | `MacOS/`, `Frameworks/`, `PlugIns/`, `Helpers/`, `XPCServices/`, … and files directly in `Contents/` | signed code: cdhash + requirement; other files: hash |
//! | 1 | everything else | hash |
//!
//! Nested code is pinned by its code directory hashes: `cdhash` is the
//! first 20 bytes of its first architecture's, and `requirement` is the
//! designated requirement `cdhash H"…" or cdhash H"…"` over every
//! architecture, as `codesign` records code that has no explicit
//! designated requirement (oxdist writes none).

use std::collections::BTreeMap;

use plist::{Dictionary, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A file of the bundle, as the seal sees it.
#[derive(Clone, Debug)]
pub enum SealedFile<'a> {
    /// A regular file with its final contents; `cdhashes` are the SHA-256
    /// code directory hashes of each architecture when it is signed
    /// Mach-O code (empty otherwise).
    File { bytes: &'a [u8], cdhashes: Vec<[u8; 32]> },
    /// A symbolic link and its target.
    Symlink { target: &'a str },
}

/// How the default rules treat a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    Omit,
    Optional,
    Hash,
    Nested,
}

const NESTED_DIRECTORIES: [&str; 10] = [
    "Frameworks/",
    "SharedFrameworks/",
    "PlugIns/",
    "Plug-ins/",
    "XPCServices/",
    "Helpers/",
    "MacOS/",
    "Library/Automator/",
    "Library/Spotlight/",
    "Library/LoginItems/",
];

fn rule2(path: &str) -> Rule {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    if file_name == ".DS_Store" {
        return Rule::Omit;
    }
    if let Some(rule) = lproj_rule(path) {
        return rule;
    }
    if matches!(path, "Info.plist" | "PkgInfo") {
        return Rule::Omit;
    }
    if path.starts_with("Resources/") || matches!(path, "version.plist" | "embedded.provisionprofile") {
        return Rule::Hash;
    }
    if path.split('/').any(|part| part.ends_with(".dSYM")) {
        return Rule::Hash;
    }
    if !path.contains('/') || NESTED_DIRECTORIES.iter().any(|dir| path.starts_with(dir)) {
        return Rule::Nested;
    }
    Rule::Hash
}

/// The version-1 rules: only `Resources/` and `version.plist` are sealed.
fn rule1(path: &str) -> Option<Rule> {
    if let Some(rule) = lproj_rule(path) {
        return Some(rule);
    }
    (path.starts_with("Resources/") || path == "version.plist").then_some(Rule::Hash)
}

fn lproj_rule(path: &str) -> Option<Rule> {
    let rest = path.strip_prefix("Resources/")?;
    let (directory, inside) = rest.split_once('/')?;
    if !directory.ends_with(".lproj") {
        return None;
    }
    if inside == "locversion.plist" {
        Some(Rule::Omit)
    } else if directory == "Base.lproj" {
        Some(Rule::Hash)
    } else {
        Some(Rule::Optional)
    }
}

/// The `CodeResources` file sealing `files` (paths relative to the
/// bundle's `Contents/`, without the main executable and without
/// `_CodeSignature/`), as XML.
pub fn code_resources<'a>(files: impl IntoIterator<Item = (&'a str, SealedFile<'a>)>) -> Vec<u8> {
    let mut files1 = Dictionary::new();
    let mut files2 = Dictionary::new();
    let sorted: BTreeMap<&str, SealedFile<'_>> = files.into_iter().collect();
    for (path, file) in sorted {
        match file {
            SealedFile::Symlink { target } => {
                if rule2(path) != Rule::Omit {
                    files2.insert(path.into(), dict([("symlink", Value::String(target.into()))]));
                }
            }
            SealedFile::File { bytes, cdhashes } => {
                match rule1(path) {
                    Some(Rule::Hash) => {
                        files1.insert(path.into(), Value::Data(Sha1::digest(bytes).to_vec()));
                    }
                    Some(Rule::Optional) => {
                        files1.insert(
                            path.into(),
                            dict([
                                ("hash", Value::Data(Sha1::digest(bytes).to_vec())),
                                ("optional", Value::Boolean(true)),
                            ]),
                        );
                    }
                    _ => {}
                }
                let hash2 = ("hash2", Value::Data(Sha256::digest(bytes).to_vec()));
                let entry = match rule2(path) {
                    Rule::Omit => continue,
                    Rule::Nested if !cdhashes.is_empty() => dict([
                        ("cdhash", Value::Data(cdhashes[0][..20].to_vec())),
                        ("requirement", Value::String(cdhash_requirement(&cdhashes))),
                    ]),
                    Rule::Optional => dict([hash2, ("optional", Value::Boolean(true))]),
                    _ => dict([hash2]),
                };
                files2.insert(path.into(), entry);
            }
        }
    }
    let seal = dict([
        ("files", Value::Dictionary(files1)),
        ("files2", Value::Dictionary(files2)),
        ("rules", rules1()),
        ("rules2", rules2()),
    ]);
    let mut xml = Vec::new();
    // Serializing an in-memory dictionary of strings, data and numbers cannot fail.
    seal.to_writer_xml(&mut xml).expect("an in-memory plist serializes");
    xml.push(b'\n');
    xml
}

/// `cdhash H"…" or cdhash H"…"`: the designated requirement `codesign`
/// derives for code without an explicit one.
pub fn cdhash_requirement(cdhashes: &[[u8; 32]]) -> String {
    cdhashes
        .iter()
        .map(|hash| format!("cdhash H\"{}\"", super::cdhash_hex(hash)))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn dict<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Dictionary(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn weighted(pairs: &[(&str, Value)]) -> Value {
    Value::Dictionary(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn rules1() -> Value {
    let t = Value::Boolean(true);
    let w = |n: i64| ("weight", Value::Real(n as f64));
    dict([
        ("^Resources/", t.clone()),
        ("^Resources/.*\\.lproj/", weighted(&[("optional", t.clone()), w(1000)])),
        (
            "^Resources/.*\\.lproj/locversion.plist$",
            weighted(&[("omit", t.clone()), w(1100)]),
        ),
        ("^Resources/Base\\.lproj/", weighted(&[w(1010)])),
        ("^version.plist$", t),
    ])
}

fn rules2() -> Value {
    let t = Value::Boolean(true);
    let w = |n: i64| ("weight", Value::Real(n as f64));
    dict([
        (".*\\.dSYM($|/)", weighted(&[w(11)])),
        ("^(.*/)?\\.DS_Store$", weighted(&[("omit", t.clone()), w(2000)])),
        (
            "^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/",
            weighted(&[("nested", t.clone()), w(10)]),
        ),
        ("^.*", t.clone()),
        ("^Info\\.plist$", weighted(&[("omit", t.clone()), w(20)])),
        ("^PkgInfo$", weighted(&[("omit", t.clone()), w(20)])),
        ("^Resources/", weighted(&[w(20)])),
        ("^Resources/.*\\.lproj/", weighted(&[("optional", t.clone()), w(1000)])),
        (
            "^Resources/.*\\.lproj/locversion.plist$",
            weighted(&[("omit", t.clone()), w(1100)]),
        ),
        ("^Resources/Base\\.lproj/", weighted(&[w(1010)])),
        ("^[^/]+$", weighted(&[("nested", t), w(10)])),
        ("^embedded\\.provisionprofile$", weighted(&[w(20)])),
        ("^version\\.plist$", weighted(&[w(20)])),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_default_rules() {
        assert_eq!(rule2("Resources/icon.icns"), Rule::Hash);
        assert_eq!(rule2("Resources/en.lproj/Main.strings"), Rule::Optional);
        assert_eq!(rule2("Resources/Base.lproj/Main.nib"), Rule::Hash);
        assert_eq!(rule2("Resources/en.lproj/locversion.plist"), Rule::Omit);
        assert_eq!(rule2("MacOS/lib/_speedups.so"), Rule::Nested);
        assert_eq!(rule2("Frameworks/libpython.dylib"), Rule::Nested);
        assert_eq!(rule2("Info.plist"), Rule::Omit);
        assert_eq!(rule2("PkgInfo"), Rule::Omit);
        assert_eq!(rule2("Resources/a/.DS_Store"), Rule::Omit);
        assert_eq!(rule2("SharedSupport/readme.txt"), Rule::Hash);
        assert_eq!(rule2("embedded.provisionprofile"), Rule::Hash);
        assert_eq!(rule2("helper"), Rule::Nested);
        assert_eq!(rule1("MacOS/lib/x.py"), None);
        assert_eq!(rule1("Resources/x"), Some(Rule::Hash));
    }

    #[test]
    fn seal_lists_hashes_symlinks_and_nested_code() {
        let code = [[0xab; 32], [0xcd; 32]];
        let xml = code_resources([
            (
                "Resources/data.txt",
                SealedFile::File {
                    bytes: b"data",
                    cdhashes: vec![],
                },
            ),
            (
                "MacOS/helper",
                SealedFile::File {
                    bytes: b"exe",
                    cdhashes: code.to_vec(),
                },
            ),
            (
                "Resources/lib.so",
                SealedFile::File {
                    bytes: b"so",
                    cdhashes: code.to_vec(),
                },
            ),
            ("MacOS/current", SealedFile::Symlink { target: "helper" }),
            (
                "Info.plist",
                SealedFile::File {
                    bytes: b"x",
                    cdhashes: vec![],
                },
            ),
        ]);
        let value = Value::from_reader_xml(&xml[..]).unwrap();
        let root = value.as_dictionary().unwrap();
        let files = root["files"].as_dictionary().unwrap();
        let files2 = root["files2"].as_dictionary().unwrap();
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["Resources/data.txt", "Resources/lib.so"]
        );
        assert_eq!(
            files["Resources/data.txt"].as_data(),
            Some(Sha1::digest(b"data").as_slice())
        );
        assert_eq!(
            files2.keys().collect::<Vec<_>>(),
            [
                "MacOS/current",
                "MacOS/helper",
                "Resources/data.txt",
                "Resources/lib.so"
            ]
        );
        let helper = files2["MacOS/helper"].as_dictionary().unwrap();
        assert_eq!(helper["cdhash"].as_data(), Some(&[0xab; 20][..]));
        assert_eq!(
            helper["requirement"].as_string(),
            Some(format!("cdhash H\"{}\" or cdhash H\"{}\"", "ab".repeat(20), "cd".repeat(20)).as_str())
        );
        // Signed code outside a nested location is sealed by its bytes.
        let lib = files2["Resources/lib.so"].as_dictionary().unwrap();
        assert_eq!(lib["hash2"].as_data(), Some(Sha256::digest(b"so").as_slice()));
        assert_eq!(
            files2["MacOS/current"].as_dictionary().unwrap()["symlink"].as_string(),
            Some("helper")
        );
        assert_eq!(root["rules2"].as_dictionary().unwrap().len(), 13);
    }
}
