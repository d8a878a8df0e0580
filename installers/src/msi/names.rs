//! Names inside an MSI: identifiers (table keys), 8.3 short file names,
//! Windows file-name rules, stable GUIDs and the database code page.

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The longest identifier the standard schema's key columns hold.
pub const MAX_IDENTIFIER: usize = 72;

/// The namespace of every oxdist GUID: UUIDv5 of `oxdist.msi` in the DNS namespace.
fn root_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, b"oxdist.msi")
}

/// Stable GUIDs for one application (its `app_id`), in the registry format
/// MSI wants: upper case in braces.
pub struct Guids {
    namespace: Uuid,
}

impl Guids {
    pub fn new(app_id: &str) -> Self {
        Self {
            namespace: Uuid::new_v5(&root_namespace(), app_id.as_bytes()),
        }
    }

    /// The GUID named `purpose` (e.g. `upgrade`, `product/x64/per-user/1.2.3`).
    pub fn guid(&self, purpose: &str) -> String {
        braced(self.uuid(purpose))
    }

    pub fn uuid(&self, purpose: &str) -> Uuid {
        Uuid::new_v5(&self.namespace, purpose.as_bytes())
    }
}

pub fn braced(uuid: Uuid) -> String {
    format!("{{{}}}", uuid.hyphenated().to_string().to_ascii_uppercase())
}

/// Short hex digest of `text`, to make truncated identifiers unique.
pub fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Assigns an identifier (`prefix` + the path with every character outside
/// `[A-Za-z0-9_.]` turned into `_`, `/` into `.`) to each path. Identifiers
/// that would be longer than [`MAX_IDENTIFIER`], or that two paths would
/// share, are truncated and end in `_` and 8 hex digits of the path's
/// SHA-256. Returns the map, or the two paths that still share one.
pub fn assign_identifiers<'a>(
    prefix: &str,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<&'a str, String>, (String, String, String)> {
    let readable: Vec<(&str, String)> = paths
        .into_iter()
        .map(|path| {
            let mut id = String::from(prefix);
            id.extend(path.chars().map(|c| match c {
                '/' => '.',
                c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => c,
                _ => '_',
            }));
            (path, id)
        })
        .collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (_, id) in &readable {
        *uses.entry(id.as_str()).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    let mut owner: HashMap<String, &str> = HashMap::new();
    for (path, id) in &readable {
        let id = if id.len() > MAX_IDENTIFIER || uses[id.as_str()] > 1 {
            let keep = MAX_IDENTIFIER - 9;
            let cut = if id.len() > keep { &id[..keep] } else { id.as_str() };
            format!("{cut}_{}", short_hash(path))
        } else {
            id.clone()
        };
        if let Some(first) = owner.insert(id.clone(), path) {
            return Err((id, first.to_string(), path.to_string()));
        }
        out.insert(*path, id);
    }
    Ok(out)
}

/// Characters allowed in 8.3 short names besides ASCII letters and digits.
const SHORT_NAME_SPECIALS: &str = "!#$%&'()-@^_`{}~";

fn short_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || SHORT_NAME_SPECIALS.contains(c)
}

/// Whether `name` is a valid 8.3 name as it is.
pub fn is_short_name(name: &str) -> bool {
    let (base, ext) = match name.rsplit_once('.') {
        Some((base, ext)) => (base, Some(ext)),
        None => (name, None),
    };
    !base.is_empty()
        && base.len() <= 8
        && base.chars().all(short_char)
        && ext.is_none_or(|ext| !ext.is_empty() && ext.len() <= 3 && ext.chars().all(short_char))
}

/// The MSI `Filename`/`DefaultDir` value for the names of one directory's
/// entries, in order: the long name alone when it is a valid 8.3 name,
/// else `SHORT~N.EXT|long name` with short names unique in the directory
/// (case-insensitively, as Windows compares them).
pub fn msi_file_names(names: &[&str]) -> Vec<String> {
    let mut used: HashSet<String> = names
        .iter()
        .filter(|name| is_short_name(name))
        .map(|name| name.to_ascii_uppercase())
        .collect();
    names
        .iter()
        .map(|&name| {
            if is_short_name(name) {
                return name.to_string();
            }
            let (base, ext) = match name.rsplit_once('.') {
                Some((base, ext)) if !base.is_empty() => (base, ext),
                _ => (name, ""),
            };
            let clean = |s: &str| -> String {
                s.chars()
                    .filter(|&c| short_char(c))
                    .map(|c| c.to_ascii_uppercase())
                    .collect()
            };
            let mut base = clean(base);
            if base.is_empty() {
                base.push('_');
            }
            let ext: String = clean(ext).chars().take(3).collect();
            let short = (1u32..)
                .map(|n| {
                    let suffix = format!("~{n}");
                    let keep = 8usize.saturating_sub(suffix.len()).min(base.len());
                    let mut short = format!("{}{suffix}", &base[..keep]);
                    if !ext.is_empty() {
                        short.push('.');
                        short.push_str(&ext);
                    }
                    short
                })
                .find(|candidate| !used.contains(candidate))
                .unwrap_or_default();
            used.insert(short.clone());
            format!("{short}|{name}")
        })
        .collect()
}

/// Device names Windows reserves in every directory, with or without an extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why `name` cannot be a file or directory name on Windows, if it cannot.
pub fn windows_name_problem(name: &str) -> Option<&'static str> {
    if let Some(c) = name.chars().find(|c| "<>:\"|?*".contains(*c) || (*c as u32) < 0x20) {
        return Some(if c == '|' {
            "'|' is not allowed in Windows file names (and separates short and long names in MSI tables)"
        } else {
            "it contains a character Windows does not allow in file names (< > : \" | ? * or a control character)"
        });
    }
    if name.ends_with(['.', ' ']) {
        return Some("Windows file names cannot end with '.' or a space");
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Some("it is a device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9)");
    }
    if !is_windows_1252(name) {
        return Some("it has characters outside Windows-1252, the code page of the MSI database");
    }
    None
}

/// Whether every character of `text` exists in Windows-1252, the code page
/// the database is written in (Windows Installer refuses UTF-8 databases).
pub fn is_windows_1252(text: &str) -> bool {
    const HIGH: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
    text.chars()
        .all(|c| (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) || HIGH.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_stable_and_formatted() {
        let a = Guids::new("org.example.greeter");
        let g = a.guid("upgrade");
        assert_eq!(g, Guids::new("org.example.greeter").guid("upgrade"));
        assert_ne!(g, Guids::new("org.example.other").guid("upgrade"));
        assert_eq!(g.len(), 38);
        assert!(g.starts_with('{') && g.ends_with('}') && !g.chars().any(|c| c.is_ascii_lowercase()));
        // The namespace is part of the format: changing it changes every
        // upgrade code ever shipped.
        assert_eq!(
            braced(root_namespace()),
            braced(Uuid::new_v5(&Uuid::NAMESPACE_DNS, b"oxdist.msi"))
        );
    }

    #[test]
    fn short_names() {
        assert!(is_short_name("python.exe"));
        assert!(is_short_name("README"));
        assert!(!is_short_name("python311.dll"));
        assert!(!is_short_name("a.b.c"));
        assert!(!is_short_name(".gitignore"));
        let names = msi_file_names(&[
            "LICENSE.txt",
            "Program Files.txt",
            "PROGRA~1.TXT",
            "program_data.txt",
            "python311.dll",
            ".gitignore",
            "x",
        ]);
        assert_eq!(
            names,
            [
                "LICENSE.txt",
                "PROGRA~2.TXT|Program Files.txt",
                "PROGRA~1.TXT",
                "PROGRA~3.TXT|program_data.txt",
                "PYTHON~1.DLL|python311.dll",
                "GITIGN~1|.gitignore",
                "x",
            ]
        );
    }

    #[test]
    fn identifiers() {
        let long = format!("lib/{}/x.py", "a".repeat(80));
        let paths = ["bin/app.exe", "a-b", "a_b", "x y", long.as_str()];
        let ids = assign_identifiers("f_", paths).unwrap();
        assert_eq!(ids["bin/app.exe"], "f_bin.app.exe");
        assert_eq!(ids["x y"], "f_x_y");
        assert!(
            ids["a-b"].starts_with("f_a_b_") && ids["a-b"].len() == 14,
            "{}",
            ids["a-b"]
        );
        assert_ne!(ids["a-b"], ids["a_b"]);
        assert_eq!(ids[long.as_str()].len(), MAX_IDENTIFIER);
        for id in ids.values() {
            assert!(msi::Category::Identifier.validate(id), "{id}");
        }
    }

    #[test]
    fn windows_names() {
        assert!(windows_name_problem("app.exe").is_none());
        assert!(windows_name_problem("café.txt").is_none());
        for bad in ["a|b", "a:b", "con", "NUL.txt", "x.", "snow\u{2603}"] {
            assert!(windows_name_problem(bad).is_some(), "{bad}");
        }
    }
}
