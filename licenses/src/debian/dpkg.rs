//! The dpkg database: which package installed a file, and package versions.
//!
//! Read directly from the admin directory rather than by running
//! `dpkg -S` / `dpkg-query` once per library: one pass over
//! `info/*.list` (about 900 files on a desktop-sized system) answers every
//! later question from memory, works on a foreign root (a chroot, a test
//! fixture) and does not depend on dpkg being installed where oxdist runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::DebianError;

/// What `status` says about one installed package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackageInfo {
    pub version: Option<String>,
    pub architecture: Option<String>,
    pub homepage: Option<String>,
}

/// The owner index and the status file, loaded once.
#[derive(Debug, Default)]
pub(crate) struct Database {
    /// Installed path → (package, architecture qualifier of its `.list`).
    /// Only shared-library-like paths (a file name with `.so`) are kept:
    /// the index answers questions about libraries, and this keeps it a
    /// tenth of the size of every path on the system.
    owners: HashMap<String, (String, Option<String>)>,
    /// Package → the stems of the shared libraries it installs (`libuuid`
    /// for `libuuid.so.1.3.0`), to find their source directories in the
    /// copyright file.
    libraries: HashMap<String, Vec<String>>,
    /// `Package` and `Package:Architecture` → what `status` records.
    packages: HashMap<String, PackageInfo>,
}

impl Database {
    /// Reads `ADMINDIR/info/*.list` and `ADMINDIR/status`.
    pub fn load(admindir: &Path) -> Result<Self, DebianError> {
        let info = admindir.join("info");
        let database_error = |path: PathBuf, source: std::io::Error| DebianError::Database { path, source };
        let entries = std::fs::read_dir(&info).map_err(|e| database_error(info.clone(), e))?;
        let mut lists: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "list"))
            .collect();
        // Sorted, so that a path listed by two packages has a stable owner.
        lists.sort();

        let mut database = Database::default();
        for list in lists {
            let Some(stem) = list.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let (package, architecture) = split_architecture(stem);
            let bytes = std::fs::read(&list).map_err(|e| database_error(list.clone(), e))?;
            let text = String::from_utf8_lossy(&bytes);
            for path in text.lines() {
                let Some(file_name) = path.rsplit('/').next() else {
                    continue;
                };
                if !file_name.contains(".so") {
                    continue;
                }
                database
                    .owners
                    .entry(path.to_string())
                    .or_insert_with(|| (package.to_string(), architecture.map(String::from)));
                if let Some(stem) = library_stem(file_name) {
                    let stems = database.libraries.entry(package.to_string()).or_default();
                    if !stems.iter().any(|s| s == stem) {
                        stems.push(stem.to_string());
                    }
                }
            }
        }

        let status = admindir.join("status");
        let bytes = std::fs::read(&status).map_err(|e| database_error(status.clone(), e))?;
        database.packages = parse_status(&String::from_utf8_lossy(&bytes));
        Ok(database)
    }

    /// The package that installed `path` (a path as dpkg records it), and
    /// the architecture qualifier of its list file.
    pub fn owner(&self, path: &str) -> Option<(&str, Option<&str>)> {
        self.owners.get(path).map(|(p, a)| (p.as_str(), a.as_deref()))
    }

    /// The stems of the shared libraries a package installs.
    pub fn library_stems(&self, package: &str) -> &[String] {
        self.libraries.get(package).map(Vec::as_slice).unwrap_or_default()
    }

    /// What `status` says about `package` (`libssl3` or `libssl3:amd64`).
    pub fn package(&self, package: &str) -> Option<&PackageInfo> {
        self.packages.get(package).or_else(|| {
            let (bare, _) = split_architecture(package);
            self.packages.get(bare)
        })
    }
}

/// `libssl3:amd64` → (`libssl3`, `Some("amd64")`).
pub(crate) fn split_architecture(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((package, architecture)) => (package, Some(architecture)),
        None => (name, None),
    }
}

/// The stem of a shared library file name: `libuuid.so.1.3.0` → `libuuid`,
/// `libtcl8.6.so` → `libtcl8.6`. Only `lib*` names count: others (Python
/// extension modules, plugins) are not libraries a copyright file would
/// give a directory of their own.
pub(crate) fn library_stem(file_name: &str) -> Option<&str> {
    let (index, _) = file_name.match_indices(".so").find(|(i, _)| {
        let after = &file_name[i + 3..];
        after.is_empty() || after.starts_with('.')
    })?;
    let stem = &file_name[..index];
    (stem.starts_with("lib") && stem.len() > 3).then_some(stem)
}

/// Parses `status`: `Package`, `Architecture`, `Version`, `Homepage` of
/// each paragraph whose `Status` ends in `installed` (packages removed but
/// not purged stay in the file as `config-files` and have no files).
/// Each entry is recorded as `Package` and as `Package:Architecture`; for
/// the bare name the first installed architecture wins.
fn parse_status(text: &str) -> HashMap<String, PackageInfo> {
    let mut packages = HashMap::new();
    let mut record = |fields: &HashMap<String, String>| {
        let Some(name) = fields.get("package") else {
            return;
        };
        let installed = fields
            .get("status")
            .is_some_and(|s| s.split_whitespace().last() == Some("installed"));
        if !installed {
            return;
        }
        let info = PackageInfo {
            version: fields.get("version").cloned(),
            architecture: fields.get("architecture").cloned(),
            homepage: fields.get("homepage").cloned(),
        };
        if let Some(architecture) = &info.architecture {
            packages.insert(format!("{name}:{architecture}"), info.clone());
        }
        packages.entry(name.clone()).or_insert(info);
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            record(&fields);
            fields.clear();
        } else if line.starts_with([' ', '\t']) {
            // Continuation lines (descriptions, conffiles) are not needed.
        } else if let Some((name, value)) = line.split_once(':') {
            let name = name.to_ascii_lowercase();
            if ["package", "status", "version", "architecture", "homepage"].contains(&name.as_str()) {
                fields.insert(name, value.trim().to_string());
            }
        }
    }
    record(&fields);
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(library_stem("libuuid.so.1.3.0"), Some("libuuid"));
        assert_eq!(library_stem("libuuid.so.1"), Some("libuuid"));
        assert_eq!(library_stem("libtcl8.6.so"), Some("libtcl8.6"));
        assert_eq!(library_stem("libsomething.sources"), None);
        assert_eq!(library_stem("_ssl.cpython-311-x86_64-linux-gnu.so"), None);
        assert_eq!(library_stem("lib.so"), None);
        assert_eq!(library_stem("libsound.so.2"), Some("libsound"));
        assert_eq!(library_stem("libfoo.sound.so.2"), Some("libfoo.sound"));
    }

    #[test]
    fn status_paragraphs() {
        let text = "\
Package: libssl3
Status: install ok installed
Architecture: amd64
Version: 3.0.19-1~deb12u2
Description: Secure Sockets Layer toolkit
 Version: not-this-one

Package: libold1
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9
Homepage: https://www.gnu.org/software/libc/libc.html

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u1
";
        let p = parse_status(text);
        assert_eq!(p["libssl3"].version.as_deref(), Some("3.0.19-1~deb12u2"));
        assert_eq!(p["libssl3:amd64"].architecture.as_deref(), Some("amd64"));
        assert!(!p.contains_key("libold1"));
        assert_eq!(p["libc6:amd64"].version.as_deref(), Some("2.36-9+deb12u1"));
        assert_eq!(p["libc6:i386"].version.as_deref(), Some("2.36-9"));
        assert_eq!(p["libc6"].version.as_deref(), Some("2.36-9"));
        assert_eq!(
            p["libc6"].homepage.as_deref(),
            Some("https://www.gnu.org/software/libc/libc.html")
        );
    }
}
