//! Finding the file the dynamic loader would load for a `DT_NEEDED` name.
//!
//! The order follows ld.so(8) for a build machine: `DT_RPATH` (only when
//! there is no `DT_RUNPATH`), `DT_RUNPATH`, the directories of
//! `/etc/ld.so.conf` (what `ld.so.cache` is built from), then the default
//! directories. `LD_LIBRARY_PATH` is left out on purpose: it belongs to the
//! shell oxdist happens to run in, not to the interpreter being packaged.
//! Candidates built for another ELF class or machine are skipped, as the
//! loader skips them (a 32-bit `/usr/lib/libfoo.so.1` next to the 64-bit one).

use std::io::Read;
use std::path::{Path, PathBuf};

use oxdist_analyze::{Architecture, ElfAnalysis};

use super::dep5::pattern_matches;

/// The ELF identity a library must share with the module that needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ElfIdentity {
    class: u8,
    data: u8,
    machine: u16,
}

impl ElfIdentity {
    /// From the first 20 bytes of an ELF file; `None` if not ELF.
    pub fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
            return None;
        }
        let (class, data) = (bytes[4], bytes[5]);
        let raw = [bytes[18], bytes[19]];
        let machine = if data == 2 {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        };
        Some(ElfIdentity { class, data, machine })
    }

    /// Whether the file at `path` is an ELF file of this identity. Files
    /// that cannot be read, or are not ELF (a linker script named
    /// `libc.so`), are not candidates.
    fn matches_file(&self, path: &Path) -> bool {
        let mut header = [0u8; 20];
        let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
        read.is_ok() && ElfIdentity::of(&header) == Some(*self)
    }
}

/// One directory to search, and why it is searched (for messages).
#[derive(Debug, Clone)]
pub(crate) struct SearchDir {
    /// Where to look on this machine (under the root for system paths).
    pub real: PathBuf,
    /// `RUNPATH`, `RPATH`, `ld.so.conf`, `default`.
    pub origin: &'static str,
}

/// What was searched, for a "not found" message: explicit `RUNPATH` /
/// `RPATH` directories by name, the others counted.
pub(crate) fn describe(dirs: &[SearchDir]) -> String {
    let mut parts: Vec<String> = dirs
        .iter()
        .filter(|d| d.origin == "RUNPATH" || d.origin == "RPATH")
        .map(|d| format!("{} {}", d.origin, d.real.display()))
        .collect();
    for origin in ["ld.so.conf", "default"] {
        let count = dirs.iter().filter(|d| d.origin == origin).count();
        if count > 0 {
            parts.push(format!("{count} {origin} directories"));
        }
    }
    parts.join(", ")
}

/// The multiarch tuple Debian uses for an architecture's library dirs.
fn multiarch(architecture: Architecture) -> Option<&'static str> {
    Some(match architecture {
        Architecture::X86_64 => "x86_64-linux-gnu",
        Architecture::I686 => "i386-linux-gnu",
        Architecture::Aarch64 => "aarch64-linux-gnu",
        Architecture::Armv7l => "arm-linux-gnueabihf",
        Architecture::Ppc64le => "powerpc64le-linux-gnu",
        Architecture::Ppc64 => "powerpc64-linux-gnu",
        Architecture::S390x => "s390x-linux-gnu",
        Architecture::Riscv64 => "riscv64-linux-gnu",
        _ => return None,
    })
}

/// Every multiarch tuple above, for an architecture without one of its
/// own: the identity check rejects the wrong ones.
const ALL_MULTIARCH: &[&str] = &[
    "x86_64-linux-gnu",
    "i386-linux-gnu",
    "aarch64-linux-gnu",
    "arm-linux-gnueabihf",
    "powerpc64le-linux-gnu",
    "powerpc64-linux-gnu",
    "s390x-linux-gnu",
    "riscv64-linux-gnu",
];

/// A system path (`/usr/lib`) under `root`.
pub(crate) fn rooted(root: &Path, system_path: &str) -> PathBuf {
    root.join(system_path.trim_start_matches('/'))
}

/// The directories to search for the libraries of one module, in order.
pub(crate) fn search_dirs(elf: &ElfAnalysis, module: &Path, root: &Path, conf_dirs: &[String]) -> Vec<SearchDir> {
    let origin = module.parent().unwrap_or(Path::new("."));
    let mut dirs = Vec::new();
    let add_paths = |entries: &[String], label: &'static str, dirs: &mut Vec<SearchDir>| {
        for entry in entries {
            if let Some(real) = expand(entry, origin, root) {
                dirs.push(SearchDir { real, origin: label });
            }
        }
    };
    if elf.runpath.is_empty() {
        add_paths(&elf.rpath, "RPATH", &mut dirs);
    } else {
        add_paths(&elf.runpath, "RUNPATH", &mut dirs);
    }
    for dir in conf_dirs {
        dirs.push(SearchDir {
            real: rooted(root, dir),
            origin: "ld.so.conf",
        });
    }
    let tuples: Vec<&str> = match multiarch(elf.architecture) {
        Some(tuple) => vec![tuple],
        None => ALL_MULTIARCH.to_vec(),
    };
    let mut defaults: Vec<String> = Vec::new();
    for tuple in &tuples {
        defaults.push(format!("/lib/{tuple}"));
        defaults.push(format!("/usr/lib/{tuple}"));
    }
    if elf.bits == 64 {
        defaults.extend(["/lib64".to_string(), "/usr/lib64".to_string()]);
    }
    defaults.extend(["/lib".to_string(), "/usr/lib".to_string()]);
    for dir in defaults {
        dirs.push(SearchDir {
            real: rooted(root, &dir),
            origin: "default",
        });
    }
    dirs
}

/// One `RUNPATH`/`RPATH` entry as a directory: `$ORIGIN` (or `${ORIGIN}`)
/// becomes the module's own directory, a real path; absolute entries are
/// system paths, read under the root. Entries the loader would resolve from
/// the process (`$LIB`, `$PLATFORM`, relative paths, which depend on the
/// working directory) cannot be known here and are skipped.
fn expand(entry: &str, origin: &Path, root: &Path) -> Option<PathBuf> {
    let origin_text = origin.to_string_lossy();
    let expanded = entry
        .replace("${ORIGIN}", &origin_text)
        .replace("$ORIGIN", &origin_text);
    if expanded.contains('$') {
        return None;
    }
    if entry.starts_with("$ORIGIN") || entry.starts_with("${ORIGIN}") {
        Some(PathBuf::from(expanded))
    } else if expanded.starts_with('/') {
        Some(rooted(root, &expanded))
    } else {
        None
    }
}

/// Finds `soname` in `dirs`: the first file of the module's ELF identity.
pub(crate) fn resolve(soname: &str, dirs: &[SearchDir], identity: Option<ElfIdentity>) -> Option<PathBuf> {
    let usable = |path: &Path| path.is_file() && identity.is_none_or(|id| id.matches_file(path));
    if soname.contains('/') {
        // A path in DT_NEEDED is used as is, without searching.
        let path = PathBuf::from(soname);
        return usable(&path).then_some(path);
    }
    dirs.iter().map(|d| d.real.join(soname)).find(|p| usable(p))
}

/// The library directories `ROOT/etc/ld.so.conf` lists, following
/// `include` lines (globs allowed in the file name, relative patterns
/// taken from the including file's directory). Unreadable files are
/// skipped: the configuration only adds directories.
pub(crate) fn ld_so_conf_dirs(root: &Path) -> Vec<String> {
    let mut dirs = Vec::new();
    read_conf(root, "/etc/ld.so.conf", 0, &mut dirs);
    dirs
}

fn read_conf(root: &Path, system_path: &str, depth: usize, dirs: &mut Vec<String>) {
    // Include cycles would otherwise recurse forever.
    if depth > 8 {
        return;
    }
    let Ok(text) = std::fs::read_to_string(rooted(root, system_path)) else {
        return;
    };
    let base = system_path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with("hwcap") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("include").filter(|r| r.starts_with([' ', '\t'])) {
            for pattern in rest.split_whitespace() {
                let pattern = if pattern.starts_with('/') {
                    pattern.to_string()
                } else {
                    format!("{base}/{pattern}")
                };
                for file in expand_file_glob(root, &pattern) {
                    read_conf(root, &file, depth + 1, dirs);
                }
            }
            continue;
        }
        // Directories, separated by white space, colons or commas; the old
        // `dir=TYPE` suffix is dropped.
        for dir in line.split([' ', '\t', ':', ',']).filter(|d| d.starts_with('/')) {
            let dir = dir.split('=').next().unwrap_or(dir).trim_end_matches('/');
            let dir = if dir.is_empty() { "/" } else { dir };
            if !dirs.iter().any(|d| d == dir) {
                dirs.push(dir.to_string());
            }
        }
    }
}

/// Expands a glob in the last component of a system path (`/etc/ld.so.conf.d/*.conf`), sorted.
fn expand_file_glob(root: &Path, pattern: &str) -> Vec<String> {
    let Some((dir, name)) = pattern.rsplit_once('/') else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return vec![pattern.to_string()];
    }
    let Ok(entries) = std::fs::read_dir(rooted(root, if dir.is_empty() { "/" } else { dir })) else {
        return Vec::new();
    };
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| pattern_matches(name, n))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    files.sort();
    files
}

/// The other spelling of a path on a merged-`/usr` system: `/lib/x` ↔
/// `/usr/lib/x` (also `lib32`, `lib64`, `libx32`, `bin`, `sbin`). dpkg
/// records whichever the package shipped, while the loader may find the
/// file through the other.
pub(crate) fn usrmerge_twin(path: &str) -> Option<String> {
    const MERGED: &[&str] = &["lib/", "lib32/", "lib64/", "libx32/", "bin/", "sbin/"];
    if let Some(rest) = path.strip_prefix("/usr/") {
        MERGED.iter().any(|m| rest.starts_with(m)).then(|| format!("/{rest}"))
    } else {
        let rest = path.strip_prefix('/')?;
        MERGED
            .iter()
            .any(|m| rest.starts_with(m))
            .then(|| format!("/usr/{rest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twins() {
        assert_eq!(
            usrmerge_twin("/lib/x86_64-linux-gnu/libc.so.6").as_deref(),
            Some("/usr/lib/x86_64-linux-gnu/libc.so.6")
        );
        assert_eq!(
            usrmerge_twin("/usr/lib/x86_64-linux-gnu/libssl.so.3").as_deref(),
            Some("/lib/x86_64-linux-gnu/libssl.so.3")
        );
        assert_eq!(
            usrmerge_twin("/lib64/ld-linux-x86-64.so.2").as_deref(),
            Some("/usr/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(usrmerge_twin("/usr/local/lib/libfoo.so"), None);
        assert_eq!(usrmerge_twin("/opt/lib/libfoo.so"), None);
        assert_eq!(usrmerge_twin("/library/x"), None);
    }

    #[test]
    fn ld_so_conf_with_includes() {
        let root = tempfile::tempdir().unwrap();
        let etc = root.path().join("etc");
        std::fs::create_dir_all(etc.join("ld.so.conf.d")).unwrap();
        std::fs::write(
            etc.join("ld.so.conf"),
            "include /etc/ld.so.conf.d/*.conf\n/opt/one # trailing\n",
        )
        .unwrap();
        std::fs::write(
            etc.join("ld.so.conf.d/b.conf"),
            "/opt/b1:/opt/b2\n# comment\nhwcap 0 nosegneg\n",
        )
        .unwrap();
        std::fs::write(
            etc.join("ld.so.conf.d/a.conf"),
            "/opt/a/\ninclude ld.so.conf.d/a.conf\n",
        )
        .unwrap();
        std::fs::write(etc.join("ld.so.conf.d/ignored.txt"), "/opt/never\n").unwrap();
        assert_eq!(
            ld_so_conf_dirs(root.path()),
            ["/opt/a", "/opt/b1", "/opt/b2", "/opt/one"]
        );
        assert!(ld_so_conf_dirs(&root.path().join("missing")).is_empty());
    }

    #[test]
    fn origin_and_unknowable_tokens() {
        let root = Path::new("/fake");
        let origin = Path::new("/opt/py/lib-dynload");
        assert_eq!(
            expand("$ORIGIN/../lib", origin, root),
            Some(PathBuf::from("/opt/py/lib-dynload/../lib"))
        );
        assert_eq!(
            expand("${ORIGIN}", origin, root),
            Some(PathBuf::from("/opt/py/lib-dynload"))
        );
        assert_eq!(
            expand("/usr/local/lib", origin, root),
            Some(PathBuf::from("/fake/usr/local/lib"))
        );
        assert_eq!(expand("$LIB/foo", origin, root), None);
        assert_eq!(expand("relative/dir", origin, root), None);
    }

    #[test]
    fn identity() {
        let mut header = [0u8; 20];
        header[..4].copy_from_slice(b"\x7fELF");
        header[4] = 2;
        header[5] = 1;
        header[18] = 62;
        let id = ElfIdentity::of(&header).unwrap();
        assert_eq!(id.machine, 62);
        assert!(ElfIdentity::of(b"INPUT(libc.so.6)").is_none());
        assert!(ElfIdentity::of(b"\x7fELF").is_none());
    }
}
