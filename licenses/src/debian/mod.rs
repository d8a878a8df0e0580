//! Host libraries → owning Debian package → license from its copyright file.
//!
//! When oxdist packages a host-built CPython (pyenv, a distribution's
//! python3), the extension modules it keeps link libraries of the build
//! machine: `readline` links GNU readline, `_ssl` OpenSSL, `_ctypes` libffi.
//! Their licenses bind what oxdist ships, and a Debian system records them:
//!
//! 1. the module's `DT_NEEDED` names are resolved the way the loader would
//!    (its `RUNPATH`/`RPATH` with `$ORIGIN`, `/etc/ld.so.conf`, the
//!    multiarch directories);
//! 2. the file found is looked up in dpkg's file lists, under each name it
//!    may be recorded by (merged-`/usr` twin, symlink target);
//! 3. the package's `/usr/share/doc/PKG/copyright` is read; if it is
//!    machine-readable (DEP-5), the paragraph governing the library is
//!    chosen ([`Dep5::governing_stanza`]) and its Debian short names are
//!    translated to SPDX ([`debian_to_spdx`]).
//!
//! Nothing is guessed: free-text copyright files, names outside the
//! format's standard list, and files with no governing paragraph give
//! [`License::Unknown`] with a reason naming the file, so that the policy
//! gate stops and a person decides (with a clarification in the
//! configuration).
//!
//! Known limit: a DEP-5 file can be mechanically correct and still
//! misleading. e2fsprogs' file has no paragraph for `lib/et/` (com_err), so
//! libcom-err2 reads as its catch-all GPL-2. Mapped answers therefore carry
//! [`Confidence::Medium`], never High.

mod dep5;
mod dpkg;
mod ld;
mod names;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use dep5::{Dep5, Dep5Error, FilesParagraph, LicenseParagraph, parse_dep5, pattern_matches};
pub use names::debian_to_spdx;

use crate::component::{Component, ComponentKind, Confidence, License, LicenseText};
use dpkg::{Database, split_architecture};

/// dpkg's administrative directory, relative to the root.
const ADMINDIR: &str = "/var/lib/dpkg";

/// Whether a package is part of the platform rather than something shipped:
/// `libc6` (and the `libc6-*` packages built from glibc: `libc6-dev`,
/// `libc6-i386`, …) and `libgcc-s1`.
///
/// These are the C runtime: every dynamically linked program on the system
/// links glibc and `libgcc_s`, an executable built by oxdist loads the
/// target machine's copies rather than carrying its own, and their licenses
/// exempt them as system libraries (glibc is LGPL-2.1+, `libgcc_s` is
/// GPL-3+ with the GCC Runtime Library Exception). Judging them would flag
/// every extension module for a library nobody redistributes.
///
/// `libstdc++6` is deliberately *not* platform: only C++ code links it, and
/// a module that does so should be judged (it is GPL-3+ with the runtime
/// exception, which a policy may or may not accept).
pub fn is_platform_package(package: &str) -> bool {
    let (name, _) = split_architecture(package);
    name == "libc6" || name.starts_with("libc6-") || name == "libgcc-s1"
}

/// Why libraries or a package's license could not be examined at all.
/// (Files that are readable but say nothing usable are not errors: they
/// give [`License::Unknown`] with a reason.)
#[derive(Debug, thiserror::Error)]
pub enum DebianError {
    /// The extension module could not be read.
    #[error("cannot read extension module `{name}` at {}: {source}", path.display())]
    Module {
        name: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The extension module is not an ELF file that can be analysed.
    #[error("extension module `{name}` at {} cannot be analysed: {source}", path.display())]
    Elf {
        name: String,
        path: PathBuf,
        source: oxdist_analyze::AnalyzeError,
    },
    /// An installed package's copyright file could not be read. Debian
    /// policy requires one for every package, so this means a damaged
    /// installation or an image that strips `/usr/share/doc` (dpkg
    /// `path-exclude`).
    #[error(
        "cannot read the copyright file of Debian package `{package}` at {}: {source}; every installed package has one unless the system excludes /usr/share/doc (dpkg path-exclude), so reinstall the package or keep its copyright file",
        path.display()
    )]
    Copyright {
        package: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The dpkg database (`info/*.list`, `status`) could not be read.
    #[error(
        "cannot read the dpkg database at {}: {source}; host libraries can only be traced to packages on a Debian-based system (or under a root that has /var/lib/dpkg)",
        path.display()
    )]
    Database { path: PathBuf, source: std::io::Error },
}

/// One `DT_NEEDED` entry of an extension module and what it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedLibrary {
    /// The name as recorded in `DT_NEEDED` (`libreadline.so.8`).
    pub soname: String,
    /// The file the loader would load (as found: `/lib/x86_64-linux-gnu/…`,
    /// possibly a symlink); `None` when no searched directory has it.
    pub path: Option<PathBuf>,
    /// The Debian package that installed it (without `:arch`); `None` when
    /// not found or installed outside dpkg.
    pub package: Option<String>,
    /// glibc & friends (packages `libc6`, `libc6-*`, `libgcc-s1`): part of
    /// the platform, not shipped, not judged. See [`is_platform_package`].
    pub platform: bool,
}

/// The libraries one extension module links, and their combined license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionLibraries {
    /// Direct `DT_NEEDED` entries, in file order.
    pub libraries: Vec<LinkedLibrary>,
    /// AND of the non-platform libraries' package licenses
    /// ([`License::all_of`]: one unknown makes it unknown, public domain
    /// adds nothing); `None` when the module links only platform libraries.
    pub license: Option<License>,
    /// The lowest confidence among the parts; [`Confidence::High`] when only
    /// platform libraries are linked (that much is read from the ELF file).
    pub confidence: Confidence,
    /// How the answer was reached, one `;`-separated piece per package:
    /// `DT_NEEDED libreadline.so.8 → libreadline8 → /usr/share/doc/libreadline8/copyright (DEP-5, Files: *)`.
    pub provenance: String,
    /// Ids of the [`ComponentKind::Library`] components it links (see
    /// [`HostLibraries::package_component`]), for SBOM relationships.
    pub packages: Vec<String>,
}

/// A copyright file read once, shared by the packages whose doc directory
/// points at it.
#[derive(Debug)]
struct CopyrightFile {
    /// The path read, with ` → target` when reached through a symlink.
    shown: String,
    /// The path read, for [`LicenseText::origin`].
    origin: String,
    text: String,
    parsed: Result<Dep5, Dep5Error>,
}

/// Traces host libraries to Debian packages and their licenses.
///
/// Everything read is cached: the dpkg file index and `status` (loaded on
/// first use, so constructing one does no I/O and cannot fail), the
/// `ld.so.conf` directories, parsed copyright files and finished package
/// components. One instance should serve a whole audit.
#[derive(Debug)]
pub struct HostLibraries {
    root: PathBuf,
    /// `root` with symlinks resolved, to map canonicalized paths back.
    canonical_root: PathBuf,
    database: Option<Database>,
    ld_conf_dirs: Option<Vec<String>>,
    /// By the copyright file's canonical path.
    copyrights: HashMap<PathBuf, CopyrightFile>,
    /// By package name (without `:arch`).
    components: HashMap<String, Component>,
}

impl Default for HostLibraries {
    fn default() -> Self {
        Self::new()
    }
}

impl HostLibraries {
    /// Reads the running system: the dpkg database under `/` (admindir
    /// `/var/lib/dpkg`), `/etc/ld.so.conf`, `/usr/share/doc`.
    pub fn new() -> Self {
        Self::with_root(Path::new("/"))
    }

    /// The same for a system installed under `root` (a chroot, or a test
    /// fixture with `ROOT/var/lib/dpkg/info/*.list`, `ROOT/var/lib/dpkg/status`,
    /// `ROOT/usr/share/doc/PKG/copyright` and libraries under `ROOT/usr/lib/…`).
    /// Absolute `RUNPATH` entries are read under the root too; `$ORIGIN`
    /// stays the module's real directory.
    pub fn with_root(root: &Path) -> Self {
        HostLibraries {
            root: root.to_path_buf(),
            canonical_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            database: None,
            ld_conf_dirs: None,
            copyrights: HashMap::new(),
            components: HashMap::new(),
        }
    }

    fn ensure_database(&mut self) -> Result<(), DebianError> {
        if self.database.is_none() {
            self.database = Some(Database::load(&ld::rooted(&self.root, ADMINDIR))?);
        }
        Ok(())
    }

    /// The libraries an extension module (`name`, file `path`) links and
    /// their licenses.
    ///
    /// Errors when the module cannot be read or analysed, the dpkg database
    /// is missing, or a linked package's copyright file cannot be read. A
    /// library that cannot be found or belongs to no package is not an
    /// error: it makes the license unknown, with the reason.
    pub fn extension(&mut self, name: &str, path: &Path) -> Result<ExtensionLibraries, DebianError> {
        let bytes = std::fs::read(path).map_err(|source| DebianError::Module {
            name: name.to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        let elf = oxdist_analyze::elf::analyze_elf(&bytes, path).map_err(|source| DebianError::Elf {
            name: name.to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        let identity = ld::ElfIdentity::of(&bytes);
        self.ensure_database()?;
        let conf_dirs = self
            .ld_conf_dirs
            .get_or_insert_with(|| ld::ld_so_conf_dirs(&self.root))
            .clone();
        let dirs = ld::search_dirs(&elf, path, &self.root, &conf_dirs);

        let mut libraries = Vec::new();
        for soname in &elf.needed {
            let found = ld::resolve(soname, &dirs, identity);
            let package = found.as_deref().and_then(|p| self.owner(p));
            libraries.push(LinkedLibrary {
                soname: soname.clone(),
                platform: package.as_deref().is_some_and(is_platform_package),
                path: found,
                package,
            });
        }

        // Group by package, keeping DT_NEEDED order.
        let mut groups: Vec<(Option<String>, Vec<&LinkedLibrary>)> = Vec::new();
        for library in libraries.iter().filter(|l| !l.platform) {
            match &library.package {
                Some(package) => match groups.iter_mut().find(|(p, _)| p.as_ref() == Some(package)) {
                    Some((_, members)) => members.push(library),
                    None => groups.push((Some(package.clone()), vec![library])),
                },
                None => groups.push((None, vec![library])),
            }
        }

        let mut parts = Vec::new();
        let mut pieces = Vec::new();
        let mut packages = Vec::new();
        for (package, members) in &groups {
            let sonames = members.iter().map(|l| l.soname.as_str()).collect::<Vec<_>>().join(", ");
            match package {
                Some(package) => {
                    let component = self.package_component(package)?;
                    pieces.push(format!("DT_NEEDED {sonames} → {package} → {}", component.provenance));
                    parts.push((component.license.clone(), component.confidence));
                    packages.push(component.id);
                }
                None => {
                    let library = members[0];
                    let reason = match &library.path {
                        None => format!(
                            "DT_NEEDED {sonames} of `{name}` was not found (searched {}), so no package owns it",
                            ld::describe(&dirs)
                        ),
                        Some(found) => format!(
                            "{} (DT_NEEDED {sonames} of `{name}`) belongs to no Debian package (it is not in {}/info/*.list): \
                             installed by hand or built locally, nothing records its license",
                            found.display(),
                            ld::rooted(&self.root, ADMINDIR).display()
                        ),
                    };
                    pieces.push(format!("DT_NEEDED {sonames} → no package"));
                    parts.push((License::unknown(reason), Confidence::None));
                }
            }
        }
        let platform: Vec<&LinkedLibrary> = libraries.iter().filter(|l| l.platform).collect();
        if !platform.is_empty() {
            let sonames = platform
                .iter()
                .map(|l| l.soname.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let mut owners: Vec<&str> = Vec::new();
            for owner in platform.iter().filter_map(|l| l.package.as_deref()) {
                if !owners.contains(&owner) {
                    owners.push(owner);
                }
            }
            pieces.push(format!(
                "DT_NEEDED {sonames} → {}: platform C runtime, not judged",
                owners.join(", ")
            ));
        }

        let confidence = parts.iter().map(|(_, c)| *c).min().unwrap_or(Confidence::High);
        let license = if parts.is_empty() {
            None
        } else {
            Some(License::all_of(parts.into_iter().map(|(l, _)| l)))
        };
        Ok(ExtensionLibraries {
            libraries,
            license,
            confidence,
            provenance: pieces.join("; "),
            packages,
        })
    }

    /// The package that installed the file at `real` (a path on this
    /// machine). dpkg records one spelling of each path, so four are tried:
    /// the path as found, its merged-`/usr` twin, the symlink-resolved path
    /// (`libreadline.so.8` → `libreadline.so.8.2`, which is what some
    /// packages list) and that path's twin.
    fn owner(&self, real: &Path) -> Option<String> {
        let database = self.database.as_ref()?;
        let mut candidates = Vec::new();
        let as_found = self.system_path(real);
        candidates.extend(ld::usrmerge_twin(&as_found));
        candidates.insert(0, as_found);
        if let Ok(canonical) = std::fs::canonicalize(real) {
            let canonical = self.system_path(&canonical);
            candidates.extend(ld::usrmerge_twin(&canonical));
            candidates.push(canonical);
        }
        candidates
            .iter()
            .find_map(|c| database.owner(c))
            .map(|(package, _)| package.to_string())
    }

    /// A path on this machine as the system under the root sees it.
    fn system_path(&self, real: &Path) -> String {
        for root in [&self.root, &self.canonical_root] {
            if root.as_path() != Path::new("/")
                && let Ok(rest) = real.strip_prefix(root)
            {
                return format!("/{}", rest.to_string_lossy());
            }
        }
        real.to_string_lossy().into_owned()
    }

    /// A [`ComponentKind::Library`] component for a Debian package
    /// (`libssl3`, or `libssl3:amd64`; the component is named without the
    /// architecture, id `library:PKG`): version and homepage from dpkg's
    /// `status`, purl `pkg:deb/debian/PKG@VERSION`, license, copyright lines
    /// and provenance from the copyright file, whose whole text is the
    /// component's [`LicenseText`] (name `copyright`). Cached.
    ///
    /// The license comes from the paragraph governing the package's shared
    /// libraries: for each library it installs (by stem, `libuuid` for
    /// `libuuid.so.1`), the paragraph of its source directory, else
    /// `Files: *`; several libraries with different paragraphs are ANDed.
    /// Errors only when the database or the copyright file cannot be read.
    pub fn package_component(&mut self, package: &str) -> Result<Component, DebianError> {
        let (name, _) = split_architecture(package);
        if let Some(component) = self.components.get(name) {
            return Ok(component.clone());
        }
        self.ensure_database()?;
        let Self {
            root,
            canonical_root,
            database,
            copyrights,
            components,
            ..
        } = self;
        let database = database.get_or_insert_with(Database::default);
        let file = read_copyright(root, canonical_root, copyrights, name)?;
        let decision = decide(file, database.library_stems(name));
        let info = database.package(package).cloned().unwrap_or_default();

        let mut component = Component::new(
            ComponentKind::Library,
            name,
            info.version.clone(),
            decision.license,
            decision.provenance,
            decision.confidence,
        );
        component.license_texts.push(LicenseText {
            name: "copyright".into(),
            origin: file.origin.clone(),
            text: file.text.clone(),
        });
        component.copyright = decision.copyright;
        component.homepage = info.homepage;
        component.purl = Some(match &info.version {
            Some(version) => format!("pkg:deb/debian/{}@{}", purl_encode(name), purl_encode(version)),
            None => format!("pkg:deb/debian/{}", purl_encode(name)),
        });
        components.insert(name.to_string(), component.clone());
        Ok(component)
    }
}

/// Reads (once) `ROOT/usr/share/doc/PKG/copyright`, following a symlinked
/// doc directory to the package it points at (`libgcc-s1` → `gcc-12-base`).
fn read_copyright<'a>(
    root: &Path,
    canonical_root: &Path,
    cache: &'a mut HashMap<PathBuf, CopyrightFile>,
    package: &str,
) -> Result<&'a CopyrightFile, DebianError> {
    let path = ld::rooted(root, &format!("/usr/share/doc/{package}/copyright"));
    let copyright_error = |source| DebianError::Copyright {
        package: package.to_string(),
        path: path.clone(),
        source,
    };
    let canonical = std::fs::canonicalize(&path).map_err(copyright_error)?;
    if !cache.contains_key(&canonical) {
        let bytes = std::fs::read(&canonical).map_err(copyright_error)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = parse_dep5(&text);
        let origin = path.display().to_string();
        // Reached through a symlinked doc directory if the file is not where
        // its own path says (under the root with symlinks resolved).
        let own = canonical_root.join(format!("usr/share/doc/{package}/copyright"));
        let shown = if canonical != own {
            format!("{origin} → {}", canonical.display())
        } else {
            origin.clone()
        };
        cache.insert(
            canonical.clone(),
            CopyrightFile {
                shown,
                origin,
                text,
                parsed,
            },
        );
    }
    Ok(&cache[&canonical])
}

/// A package's license as its copyright file gives it.
struct Decision {
    license: License,
    confidence: Confidence,
    provenance: String,
    copyright: Vec<String>,
}

fn unknown(reason: String, provenance: String) -> Decision {
    Decision {
        license: License::unknown(reason),
        confidence: Confidence::None,
        provenance,
        copyright: Vec::new(),
    }
}

/// Chooses the governing paragraphs for the package's libraries (`stems`;
/// none for a package without shared libraries: then `Files: *`) and
/// translates their licenses.
fn decide(file: &CopyrightFile, stems: &[String]) -> Decision {
    let shown = &file.shown;
    let dep5 = match &file.parsed {
        Err(e) => {
            return unknown(
                format!(
                    "{shown} declares the machine-readable format but breaks it ({e}), so no license is read from it"
                ),
                format!("{shown} (DEP-5, malformed)"),
            );
        }
        Ok(d) if !d.is_machine_readable() => {
            let what = match &d.format {
                Some(format) => format!("its `Format: {format}` is not the copyright-format 1.0"),
                None => "no DEP-5 `Format:` header".to_string(),
            };
            return unknown(
                format!(
                    "{shown} is not machine-readable ({what}); its license is stated in prose, which is not interpreted: read it and add a clarification"
                ),
                format!("{shown} (free text)"),
            );
        }
        Ok(d) => d,
    };

    let mut chosen: Vec<&FilesParagraph> = Vec::new();
    if stems.is_empty() {
        match dep5.catch_all() {
            Some(paragraph) => chosen.push(paragraph),
            None => {
                return unknown(
                    format!(
                        "{shown} has no `Files: *` paragraph, and the package installs no shared library to look for"
                    ),
                    format!("{shown} (DEP-5, no governing paragraph)"),
                );
            }
        }
    }
    for stem in stems {
        match dep5.governing_stanza(stem) {
            Some(paragraph) => {
                if !chosen.iter().any(|c| std::ptr::eq(*c, paragraph)) {
                    chosen.push(paragraph);
                }
            }
            None => {
                return unknown(
                    format!(
                        "{shown} has neither a `Files: *` paragraph nor one for the source directory of {stem}, so no paragraph governs the library"
                    ),
                    format!("{shown} (DEP-5, no governing paragraph)"),
                );
            }
        }
    }

    let mut licenses = Vec::new();
    for paragraph in &chosen {
        if let Some(problem) = &paragraph.problem {
            return unknown(
                format!(
                    "{shown}, paragraph `{}` governs the library but is malformed ({problem}), so its license is not read",
                    paragraph.label()
                ),
                format!("{shown} (DEP-5, {}, malformed)", paragraph.label()),
            );
        }
        match names::debian_license(&paragraph.license) {
            Ok(license) => licenses.push(license),
            Err(why) => {
                return unknown(
                    format!(
                        "{shown}, paragraph `{}` (line {}): License `{}` has no SPDX translation: {why}",
                        paragraph.label(),
                        paragraph.line,
                        paragraph.license
                    ),
                    format!("{shown} (DEP-5, {})", paragraph.label()),
                );
            }
        }
    }
    let mut copyright: Vec<String> = Vec::new();
    for line in chosen.iter().flat_map(|p| &p.copyright) {
        if !copyright.contains(line) {
            copyright.push(line.clone());
        }
    }
    let labels = chosen.iter().map(|p| p.label()).collect::<Vec<_>>().join("; ");
    Decision {
        license: License::all_of(licenses),
        confidence: Confidence::Medium,
        provenance: format!("{shown} (DEP-5, {labels})"),
        copyright,
    }
}

/// Percent-encodes a purl name or version segment (RFC 3986 unreserved
/// characters stay: `1:1.2.13.dfsg-1` → `1%3A1.2.13.dfsg-1`,
/// `5+deb12u3` → `5%2Bdeb12u3`), as the purl specification asks.
fn purl_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> CopyrightFile {
        CopyrightFile {
            shown: "/usr/share/doc/pkg/copyright".into(),
            origin: "/usr/share/doc/pkg/copyright".into(),
            text: text.into(),
            parsed: parse_dep5(text),
        }
    }

    const HEAD: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n";

    #[test]
    fn platform_packages() {
        for p in [
            "libc6",
            "libc6:amd64",
            "libc6-dev",
            "libc6-i386:amd64",
            "libgcc-s1",
            "libgcc-s1:i386",
        ] {
            assert!(is_platform_package(p), "{p}");
        }
        for p in ["libstdc++6", "libc6x", "libcrypt1", "libgcc1", "libssl3"] {
            assert!(!is_platform_package(p), "{p}");
        }
    }

    #[test]
    fn decisions() {
        let f = file(&format!(
            "{HEAD}Files: *\nCopyright: 2001 A\nLicense: GPL-2+\n\nFiles: libuuid/*\nCopyright: 1996 Ts'o\nLicense: BSD-3-clause\n"
        ));
        let d = decide(&f, &["libuuid".into()]);
        assert_eq!(d.license.to_string(), "BSD-3-Clause");
        assert_eq!(d.confidence, Confidence::Medium);
        assert_eq!(d.copyright, ["1996 Ts'o"]);
        assert_eq!(d.provenance, "/usr/share/doc/pkg/copyright (DEP-5, Files: libuuid/*)");
        // Two libraries of one package with different paragraphs: AND.
        let d = decide(&f, &["libuuid".into(), "libmount".into()]);
        assert_eq!(d.license.to_string(), "BSD-3-Clause AND GPL-2.0-or-later");
        assert_eq!(d.copyright, ["1996 Ts'o", "2001 A"]);
        // No libraries: the catch-all.
        assert_eq!(decide(&f, &[]).license.to_string(), "GPL-2.0-or-later");

        let pd = decide(
            &file(&format!("{HEAD}Files: *\nCopyright: none\nLicense: public-domain\n")),
            &[],
        );
        assert_eq!(pd.license, License::PublicDomain);

        let custom = decide(&file(&format!("{HEAD}Files: *\nCopyright: X\nLicense: MIT/X11\n")), &[]);
        let License::Unknown { reason } = &custom.license else {
            panic!("{:?}", custom.license)
        };
        assert!(
            reason.contains("/usr/share/doc/pkg/copyright") && reason.contains("MIT/X11"),
            "{reason}"
        );
        assert_eq!(custom.confidence, Confidence::None);

        let free = decide(
            &file("This is the Debian prepackaged version of libxcrypt.\n"),
            &["libcrypt".into()],
        );
        let License::Unknown { reason } = &free.license else {
            panic!()
        };
        assert!(reason.contains("not machine-readable"), "{reason}");

        let no_stanza = decide(
            &file(&format!("{HEAD}Files: src/*\nCopyright: X\nLicense: LGPL-2.1+\n")),
            &["libnsl".into()],
        );
        let License::Unknown { reason } = &no_stanza.license else {
            panic!()
        };
        assert!(reason.contains("libnsl") && reason.contains("Files: *"), "{reason}");

        let broken = decide(&file(&format!("{HEAD}Files: *\nCopyright: X\n")), &[]);
        let License::Unknown { reason } = &broken.license else {
            panic!()
        };
        assert!(reason.contains("line 3") && reason.contains("malformed"), "{reason}");
        let broken_header = decide(
            &file("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nbad\n"),
            &[],
        );
        let License::Unknown { reason } = &broken_header.license else {
            panic!()
        };
        assert!(reason.contains("line 2") && reason.contains("breaks it"), "{reason}");
        // A broken paragraph that does not govern the library is no obstacle.
        let other = decide(
            &file(&format!(
                "{HEAD}Files: *\nCopyright: X\nLicense: Zlib\n\nFiles: tests/*\nCopyright: Y\n"
            )),
            &["libz".into()],
        );
        assert_eq!(other.license.to_string(), "Zlib");
    }

    #[test]
    fn purls() {
        assert_eq!(purl_encode("1:1.2.13.dfsg-1"), "1%3A1.2.13.dfsg-1");
        assert_eq!(purl_encode("3.0.19-1~deb12u2"), "3.0.19-1~deb12u2");
        assert_eq!(purl_encode("libstdc++6"), "libstdc%2B%2B6");
    }
}
