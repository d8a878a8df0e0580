//! `.deb` packages: the [`PackageTree`] laid out for Debian, written as an
//! `ar` archive by hand, optionally signed debsigs-style.
//!
//! The archive is what `dpkg-deb --build` writes (deb(5)):
//!
//! | member | contents |
//! |---|---|
//! | `debian-binary` | `2.0\n` |
//! | `control.tar.xz` / `.zst` | `./control`, `./md5sums`, `./conffiles`, the maintainer scripts |
//! | `data.tar.xz` / `.zst` | the installed tree: `./`-prefixed GNU tar entries, every directory listed |
//! | `_gpgorigin` (signed packages only) | a binary OpenPGP signature over the three members above, concatenated (what `debsig-verify` checks) |
//!
//! The `control` fields:
//!
//! | field | from |
//! |---|---|
//! | `Package` | `metadata.name` (Debian's rules: lower case, ≥ 2 characters) |
//! | `Version` | [`LinuxVersion::parse`]`(metadata.version).debian()`: a native version, no `-REVISION` |
//! | `Architecture` | the target triple's architecture ([`deb_arch`]) |
//! | `Maintainer` | `metadata.maintainer`, required, `Full Name <email>` |
//! | `Installed-Size` | KiB, computed as dpkg-gencontrol does |
//! | `Depends`, `Recommends`, `Suggests`, `Conflicts`, `Replaces`, `Provides` | `spec.deb_relations` |
//! | `Section`, `Priority` | `spec.section` (`misc`), `spec.priority` (`optional`) |
//! | `Homepage` | `metadata.homepage` |
//! | `Description` | `metadata.description` (required; a trailing `.` dropped) and `spec.long_description` |
//!
//! Beside the application's tree, the package installs
//! `/usr/share/doc/NAME/copyright` (machine-readable, DEP-5) and
//! `/usr/share/doc/NAME/changelog.gz` (Debian changelog format, compressed
//! like `gzip -9n`). The packages are native (the version has no Debian
//! revision), and Debian policy 12.7 names a native package's changelog
//! `changelog.gz`. When the install prefix is below `/opt`, a lintian
//! override for `dir-or-file-in-opt` is installed too: the FHS reserves
//! `/opt` for add-on application packages, which is what these are, and the
//! tag is about packages in Debian's own archive.
//!
//! `md5sums` lists every regular file except configuration files, as
//! `dh_md5sums` does: dpkg records configuration files' digests in its
//! database when it installs them, which is what `dpkg --verify` compares.
//!
//! # Scripts
//!
//! The maintainer scripts are rendered from `templates/files/deb/` and
//! written only when they have something to do. Each runs the package's own
//! script ([`MaintainerScripts`](crate::linux::MaintainerScripts)) with
//! dpkg's arguments unchanged, through [`scripts::shell_for`] (its `#!`
//! shell, else `sh`), with `set -e`:
//! `preinst` runs `pre_install`, `postinst` `post_install`, `prerm`
//! `pre_remove`, `postrm` `post_remove`. A script that must act only on some
//! steps tests `$1` (`configure`, `remove`, `purge`, `upgrade`, …).
//!
//! With a systemd unit, the scripts do what `dh_installsystemd` generates,
//! with `systemctl` alone (no dependency on init-system-helpers): `postinst
//! configure` enables the unit on first installation (`enable`) and, when
//! systemd runs, reloads it and starts the service on installation or
//! `try-restart`s it on upgrade (`start`); `prerm remove` stops it; `postrm
//! remove` reloads systemd, `postrm purge` disables the unit. The unit is
//! handled after the package's script in `postinst` and `postrm`, before it
//! in `prerm`. When dpkg installs into another root without chroot
//! (`--force-script-chrootless`, `DPKG_ROOT` set), only that root's
//! enablement links are touched, never the running system.
//!
//! # Reproducibility
//!
//! Every mtime (tar entries and `ar` members) is the given [`Timestamp`];
//! owners are numeric 0 with the names of the tree (root, or an attribute's
//! user and group: dpkg looks names up when it unpacks and falls back to
//! the numbers); entries come in path order; the gzip header of the
//! changelog has no name and no time; the xz and zstd encoders run
//! multithreaded with output independent of the thread count; signatures
//! are deterministic (see `oxdist_signing::openpgp`).

use std::fmt;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};
use oxdist_signing::openpgp::{OpenPgpError, Signer};
use oxdist_templates::{Template, TemplateError};

use crate::archive::ExactRead;
use crate::linux::relations::{self, RelationKind};
use crate::linux::scripts::{PackageScript, ScriptError, ScriptTemplateData, UnitData};
use crate::linux::{
    ChangelogEntry, LinuxFormat, LinuxPackageSpec, LinuxVersion, PackageTree, RelationError, TreeEntry, TreeError,
    TreeNode, VersionError,
};
use crate::manifest::{FileData, FileManifest, ManifestError};
use crate::metadata::{MetadataError, PackageMetadata};
use crate::output::{OutputError, Timestamp, destination_dir, sha256_file, write_atomically};

/// The default xz level: what `dpkg-deb` uses, readable by every dpkg.
pub const DEFAULT_XZ_LEVEL: u32 = 6;

/// Why a deb could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DebError {
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Relation(#[from] RelationError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("cannot sign the deb {package}: {source}")]
    Sign { package: String, source: OpenPgpError },
    #[error(
        "the package name {name:?} is not a Debian package name: {reason}; set a name such as \"my-app\" in set_package_metadata()"
    )]
    Name { name: String, reason: &'static str },
    #[error(
        "the target {triple:?} has no Debian architecture: {reason}; debs are built for x86_64, aarch64, i686, armv7 (hard float), arm (soft float), riscv64, powerpc64le, s390x or loongarch64 Linux targets"
    )]
    Arch { triple: String, reason: &'static str },
    #[error(
        "a deb needs a Maintainer (Debian policy 5.6.2): set maintainer = \"Full Name <email@example.org>\" in set_package_metadata()"
    )]
    MissingMaintainer,
    #[error(
        "{field} {value:?} is not in Debian's \"Full Name <email@example.org>\" form; write the name followed by the address in angle brackets"
    )]
    Person { field: &'static str, value: String },
    #[error(
        "a deb needs a Description: set description (one line saying what the package is) in set_package_metadata()"
    )]
    MissingDescription,
    #[error(
        "a deb needs a license for its copyright file: set license in set_package_metadata() to an SPDX expression, e.g. \"MIT\" or \"LicenseRef-Proprietary\""
    )]
    MissingLicense,
    #[error(
        "the newest changelog entry is for version {entry} but the package version is {package}; add an entry for {package} at the top of the changelog"
    )]
    ChangelogVersion { entry: String, package: String },
    #[error("{compression} level {level} is out of range; use {range}")]
    Level {
        compression: &'static str,
        level: i64,
        range: &'static str,
    },
    #[error(
        "the {member} member of {} would be {size} bytes, more than the 9999999999 an ar archive can state; split the application into several packages",
        path.display()
    )]
    TooLarge { path: PathBuf, member: String, size: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// How `control.tar` and `data.tar` are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebCompression {
    /// xz, level 0 to 9: readable by every dpkg (the default, level 6, as
    /// `dpkg-deb` uses).
    Xz { level: u32 },
    /// zstd, level 1 to 19: needs dpkg ≥ 1.21.18 (Debian 12, Ubuntu 18.04
    /// and later); faster to build and to unpack, slightly larger.
    Zstd { level: i32 },
}

impl Default for DebCompression {
    fn default() -> Self {
        DebCompression::Xz {
            level: DEFAULT_XZ_LEVEL,
        }
    }
}

impl DebCompression {
    /// The member name suffix, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            DebCompression::Xz { .. } => "xz",
            DebCompression::Zstd { .. } => "zst",
        }
    }

    fn check(self) -> Result<(), DebError> {
        match self {
            DebCompression::Xz { level } if level > 9 => Err(DebError::Level {
                compression: "xz",
                level: i64::from(level),
                range: "0 to 9",
            }),
            DebCompression::Zstd { level } if !(1..=19).contains(&level) => Err(DebError::Level {
                compression: "zstd",
                level: i64::from(level),
                range: "1 to 19 (levels 20 to 22 need more memory to unpack than dpkg grants)",
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for DebCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DebCompression::Xz { level } => write!(f, "xz -{level}"),
            DebCompression::Zstd { level } => write!(f, "zstd -{level}"),
        }
    }
}

/// How to write a deb.
#[derive(Clone, Debug)]
pub struct DebOptions {
    /// Every mtime in the package and the signature time; when the spec has
    /// no changelog, also the changelog date and the copyright year.
    pub timestamp: Timestamp,
    pub compression: DebCompression,
    /// Compressor worker threads (at least 1; the output does not depend on it).
    pub threads: u32,
    /// Sign the package (a `_gpgorigin` member) with this key; `None`
    /// writes an unsigned package.
    pub signer: Option<Arc<Signer>>,
}

impl Default for DebOptions {
    fn default() -> Self {
        Self {
            timestamp: Timestamp::DEFAULT,
            compression: DebCompression::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            signer: None,
        }
    }
}

/// What [`write_deb`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebInfo {
    pub path: PathBuf,
    pub package: String,
    /// The Debian `Version` (with the epoch, if any).
    pub version: String,
    pub architecture: String,
    /// The `Installed-Size` field, in KiB.
    pub installed_size: u64,
    pub size: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Fingerprint of the key that made the signature (a signing subkey's
    /// when the key has one): what `debsig-verify` names its policy and
    /// keyring directories after.
    pub signed_by: Option<String>,
}

/// The Debian architecture for a Rust target triple, e.g. `amd64` for
/// `x86_64-unknown-linux-gnu`, `armhf` for `armv7-unknown-linux-gnueabihf`.
pub fn deb_arch(triple: &str) -> Result<&'static str, DebError> {
    let err = |reason| DebError::Arch {
        triple: triple.to_string(),
        reason,
    };
    let parts: Vec<&str> = triple.split('-').collect();
    if !parts.iter().skip(1).any(|p| *p == "linux") {
        return Err(err("it is not a Linux target"));
    }
    let hard_float = parts.last().is_some_and(|env| env.ends_with("hf"));
    Ok(match parts[0] {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i486" | "i586" | "i686" => "i386",
        "armv7" | "thumbv7neon" if hard_float => "armhf",
        "arm" | "armv5te" if !hard_float => "armel",
        "riscv64" | "riscv64gc" => "riscv64",
        "powerpc64le" => "ppc64el",
        "s390x" => "s390x",
        "loongarch64" => "loong64",
        _ => return Err(err("its architecture has no Debian port this writer knows")),
    })
}

/// Debian's file name for the package: `NAME_VERSION_ARCH.deb`, the version
/// without its epoch (as `dpkg-name` writes it).
pub fn deb_file_name(metadata: &PackageMetadata) -> Result<String, DebError> {
    let version = LinuxVersion::parse(&metadata.version)?;
    Ok(format!(
        "{}_{}_{}.deb",
        metadata.name,
        version.upstream,
        deb_arch(&metadata.target_triple)?
    ))
}

/// Writes `files` (installed below the spec's prefix) plus everything the
/// spec adds as a deb at `dest`, atomically.
pub fn write_deb(
    metadata: &PackageMetadata,
    spec: &LinuxPackageSpec,
    files: &FileManifest,
    options: &DebOptions,
    dest: &Path,
) -> Result<DebInfo, DebError> {
    metadata.validate()?;
    spec.check_relations()?;
    options.compression.check()?;
    let mut control = Control::new(metadata, spec)?;
    let tree = layout(metadata, spec, files, &control.version, options.timestamp)?;
    let scripts = maintainer_scripts(&metadata.name, spec)?;
    let io_err = |source| DebError::Io {
        path: dest.to_path_buf(),
        source,
    };

    // data.tar first: md5sums and Installed-Size come from it. It goes to an
    // unnamed temporary file beside the destination, because the ar header
    // needs its size before its bytes.
    let mut data = tempfile::tempfile_in(destination_dir(dest)?).map_err(io_err)?;
    let (summary, buffered) = compress(options, io::BufWriter::with_capacity(1 << 20, &mut data), dest, |out| {
        write_data_tar(&tree, options.timestamp, out, dest)
    })?;
    buffered.into_inner().map_err(|e| io_err(e.into_error()))?;
    let data_len = data.seek(SeekFrom::End(0)).map_err(io_err)?;
    control.installed_size = summary.installed_size;

    let mut members = vec![
        ("control", control.to_string().into_bytes(), 0o644),
        ("md5sums", summary.md5sums.into_bytes(), 0o644),
    ];
    if !summary.conffiles.is_empty() {
        members.push(("conffiles", summary.conffiles.into_bytes(), 0o644));
    }
    for (name, text) in scripts {
        members.push((name, text.into_bytes(), 0o755));
    }
    members.sort_by_key(|(name, _, _)| *name);
    let ((), control_tar) = compress(options, Vec::new(), dest, |out| {
        write_control_tar(&members, options.timestamp, out, dest)
    })?;

    let ext = options.compression.extension();
    let control_member = format!("control.tar.{ext}");
    let data_member = format!("data.tar.{ext}");
    for (member, size) in [(&control_member, control_tar.len() as u64), (&data_member, data_len)] {
        if size > 9_999_999_999 {
            return Err(DebError::TooLarge {
                path: dest.to_path_buf(),
                member: member.clone(),
                size,
            });
        }
    }

    let signature = match &options.signer {
        Some(signer) => {
            data.rewind().map_err(io_err)?;
            let signed = DEBIAN_BINARY.chain(control_tar.as_slice()).chain(&mut data);
            let signature = signer
                .detached_signature(signed, options.timestamp.0)
                .map_err(|source| DebError::Sign {
                    package: metadata.name.clone(),
                    source,
                })?;
            Some((signer.signing_fingerprint(), signature))
        }
        None => None,
    };

    data.rewind().map_err(io_err)?;
    let mtime = options.timestamp.0;
    write_atomically(dest, |out| {
        out.write_all(b"!<arch>\n").map_err(io_err)?;
        ar_member(out, "debian-binary", mtime, DEBIAN_BINARY.len() as u64, DEBIAN_BINARY).map_err(io_err)?;
        ar_member(
            out,
            &control_member,
            mtime,
            control_tar.len() as u64,
            control_tar.as_slice(),
        )
        .map_err(io_err)?;
        ar_member(out, &data_member, mtime, data_len, &mut data).map_err(io_err)?;
        if let Some((_, signature)) = &signature {
            ar_member(out, "_gpgorigin", mtime, signature.len() as u64, signature.as_slice()).map_err(io_err)?;
        }
        Ok::<(), DebError>(())
    })?;

    Ok(DebInfo {
        path: dest.to_path_buf(),
        package: metadata.name.clone(),
        version: control.version.debian(),
        architecture: control.architecture.to_string(),
        installed_size: control.installed_size,
        size: fs::metadata(dest).map_err(io_err)?.len(),
        sha256: sha256_file(dest).map_err(io_err)?,
        signed_by: signature.map(|(fingerprint, _)| fingerprint),
    })
}

/// The `debian-binary` member: the format version.
const DEBIAN_BINARY: &[u8] = b"2.0\n";

/// The `control` file's fields.
struct Control {
    package: String,
    version: LinuxVersion,
    architecture: &'static str,
    maintainer: String,
    installed_size: u64,
    relations: Vec<(RelationKind, String)>,
    section: String,
    priority: String,
    homepage: Option<String>,
    synopsis: String,
    extended: String,
}

impl Control {
    fn new(metadata: &PackageMetadata, spec: &LinuxPackageSpec) -> Result<Self, DebError> {
        relations::check_debian_name(&metadata.name).map_err(|reason| DebError::Name {
            name: metadata.name.clone(),
            reason,
        })?;
        let maintainer = metadata.maintainer.clone().ok_or(DebError::MissingMaintainer)?;
        check_person("maintainer", &maintainer)?;
        if metadata.license.is_none() {
            return Err(DebError::MissingLicense);
        }
        let description = metadata
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .ok_or(DebError::MissingDescription)?;
        // The synopsis is a phrase, not a sentence (lintian: synopsis-is-a-sentence).
        let synopsis = match description.strip_suffix('.') {
            Some(phrase) if !phrase.ends_with('.') => phrase.to_string(),
            _ => description.to_string(),
        };
        let version = LinuxVersion::parse(&metadata.version)?;
        let extended = match spec.long_description.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => text.to_string(),
            // Debian requires an extended description, different from the
            // synopsis; say what and where.
            _ => format!(
                "This package installs {} {} in /{}.",
                metadata.name,
                metadata.version,
                spec.prefix_for(&metadata.name)
            ),
        };
        let relations = RelationKind::ALL
            .iter()
            .filter_map(|kind| {
                let entries = spec.deb_relations.get(kind)?;
                (!entries.is_empty()).then(|| (*kind, entries.join(", ")))
            })
            .collect();
        Ok(Self {
            package: metadata.name.clone(),
            version,
            architecture: deb_arch(&metadata.target_triple)?,
            maintainer,
            installed_size: 0,
            relations,
            section: spec.section.clone().unwrap_or_else(|| "misc".into()),
            priority: spec.priority.clone().unwrap_or_else(|| "optional".into()),
            homepage: metadata.homepage.clone(),
            synopsis,
            extended,
        })
    }
}

impl fmt::Display for Control {
    /// The fields in the order dpkg-gencontrol writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Package: {}", self.package)?;
        writeln!(f, "Version: {}", self.version.debian())?;
        writeln!(f, "Architecture: {}", self.architecture)?;
        writeln!(f, "Maintainer: {}", self.maintainer)?;
        writeln!(f, "Installed-Size: {}", self.installed_size)?;
        // dpkg-gencontrol's order: Depends, Recommends, Suggests, Conflicts, Replaces, Provides.
        for kind in [
            RelationKind::Depends,
            RelationKind::Recommends,
            RelationKind::Suggests,
            RelationKind::Conflicts,
            RelationKind::Replaces,
            RelationKind::Provides,
        ] {
            if let Some((_, value)) = self.relations.iter().find(|(k, _)| *k == kind) {
                writeln!(f, "{}: {value}", kind.debian_field())?;
            }
        }
        writeln!(f, "Section: {}", self.section)?;
        writeln!(f, "Priority: {}", self.priority)?;
        if let Some(homepage) = &self.homepage {
            writeln!(f, "Homepage: {homepage}")?;
        }
        writeln!(f, "Description: {}", self.synopsis)?;
        f.write_str(&continuation_lines(&self.extended))
    }
}

/// Text as the continuation lines of a control-style field: each line
/// indented by one space, empty lines written ` .` (deb-control(5)).
fn continuation_lines(text: &str) -> String {
    text.trim_matches('\n')
        .lines()
        .map(|line| {
            let line = line.trim_end();
            if line.is_empty() {
                " .\n".to_string()
            } else {
                format!(" {line}\n")
            }
        })
        .collect()
}

/// Checks `Full Name <local@domain>`.
fn check_person(field: &'static str, value: &str) -> Result<(), DebError> {
    let valid = value
        .strip_suffix('>')
        .and_then(|v| v.split_once('<'))
        .is_some_and(|(name, address)| {
            !name.trim().is_empty()
                && name.ends_with(' ')
                && address
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
                && !address.contains([' ', '<', '>'])
        });
    if valid {
        Ok(())
    } else {
        Err(DebError::Person {
            field,
            value: value.to_string(),
        })
    }
}

/// The package tree plus the files Debian expects of every package.
fn layout(
    metadata: &PackageMetadata,
    spec: &LinuxPackageSpec,
    files: &FileManifest,
    version: &LinuxVersion,
    timestamp: Timestamp,
) -> Result<PackageTree, DebError> {
    let name = &metadata.name;
    let mut tree = PackageTree::build(metadata, spec, files, LinuxFormat::Deb)?;
    let doc = format!("usr/share/doc/{name}");
    tree.add_generated(
        &format!("{doc}/copyright"),
        copyright(metadata, spec, timestamp).into_bytes(),
        "the Debian copyright file",
    )?;
    let changelog = changelog(metadata, spec, version, timestamp)?;
    tree.add_generated(
        &format!("{doc}/changelog.gz"),
        gzip_best(changelog.as_bytes()),
        "the Debian changelog",
    )?;
    let overrides = format!("usr/share/lintian/overrides/{name}");
    let mut text = String::new();
    if spec.prefix_for(name).starts_with("opt/") {
        text.push_str(&format!(
            "# Installed by oxdist into /opt, which the FHS reserves for add-on\n\
             # application packages such as this one.\n\
             {name}: dir-or-file-in-opt\n"
        ));
    }
    for line in &spec.lintian_overrides {
        if line.starts_with('#') {
            text.push_str(&format!("{line}\n"));
        } else {
            text.push_str(&format!("{name}: {line}\n"));
        }
    }
    if !text.is_empty() && tree.get(&overrides).is_none() {
        tree.add_generated(&overrides, text.into_bytes(), "the lintian overrides")?;
    }
    Ok(tree)
}

/// `/usr/share/common-licenses` files, by SPDX license identifier prefix:
/// Debian policy 12.5 asks packages to refer to them instead of copying
/// the text (lintian errors on a copied Apache-2.0 or GPL).
const COMMON_LICENSES: [(&str, &str); 12] = [
    ("Apache-2.0", "Apache-2.0"),
    ("Artistic-1.0", "Artistic"),
    ("CC0-1.0", "CC0-1.0"),
    ("GFDL-1.2", "GFDL-1.2"),
    ("GFDL-1.3", "GFDL-1.3"),
    ("GPL-1.0", "GPL-1"),
    ("GPL-2.0", "GPL-2"),
    ("GPL-3.0", "GPL-3"),
    ("LGPL-2.0", "LGPL-2"),
    ("LGPL-2.1", "LGPL-2.1"),
    ("LGPL-3.0", "LGPL-3"),
    ("MPL-2.0", "MPL-2.0"),
];

/// The Debian file holding the text of SPDX license `id`, if there is one.
fn common_license(id: &str) -> Option<&'static str> {
    COMMON_LICENSES.iter().find_map(|(spdx, file)| {
        let rest = id.strip_prefix(spdx)?;
        ["", "+", "-only", "-or-later"].contains(&rest).then_some(*file)
    })
}

/// `usr/share/doc/NAME/copyright` in the machine-readable format (DEP-5).
fn copyright(metadata: &PackageMetadata, spec: &LinuxPackageSpec, timestamp: Timestamp) -> String {
    let expression = metadata.license.as_deref().unwrap_or_default();
    // SPDX operators in DEP-5 spelling; an exception reads "X with Y exception".
    let mut words: Vec<String> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut after_with = false;
    for token in expression.split_whitespace() {
        match token {
            "OR" | "AND" | "WITH" => {
                after_with = token == "WITH";
                words.push(token.to_lowercase());
            }
            _ => {
                let id = token.trim_matches(['(', ')']);
                if after_with {
                    words.push(format!("{token} exception"));
                } else {
                    words.push(token.to_string());
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                after_with = false;
            }
        }
    }
    let dep5 = words.join(" ");
    let own: Vec<&str> = ids.iter().copied().filter(|id| common_license(id).is_none()).collect();
    let holder = metadata
        .vendor
        .as_deref()
        .or(metadata.maintainer.as_deref())
        .unwrap_or(&metadata.name);
    // The year of the newest release the changelog dates, which is a real
    // date even when SOURCE_DATE_EPOCH is unset (the timestamp then is 1980).
    let released = spec
        .changelog
        .first()
        .map_or(timestamp, |entry| Timestamp(entry.timestamp));
    let (year, ..) = released.to_utc();

    let mut out = String::from("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n");
    out.push_str(&format!("Upstream-Name: {}\n", metadata.name));
    if let Some(maintainer) = &metadata.maintainer {
        out.push_str(&format!("Upstream-Contact: {maintainer}\n"));
    }
    if let Some(homepage) = &metadata.homepage {
        out.push_str(&format!("Source: {homepage}\n"));
    }
    if let Some(notices) = &spec.third_party_notices {
        out.push_str(&format!(
            "Comment: This package contains third-party software; its components, their\n licenses and notices are listed in /{}/{}.\n",
            spec.prefix_for(&metadata.name),
            notices.trim_matches('/')
        ));
    }
    out.push_str(&format!("\nFiles: *\nCopyright: {year} {holder}\nLicense: {dep5}\n"));
    // The text goes where it belongs: to the one license it can be the text
    // of, else (several licenses of our own) under the Files paragraph. A
    // text of a license Debian ships is referred to, never copied.
    let text = spec.license_text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let (Some(text), true) = (text, own.len() > 1) {
        out.push_str(&continuation_lines(text));
        return out;
    }
    for id in &ids {
        out.push_str(&format!("\nLicense: {id}\n"));
        match (common_license(id), text) {
            (Some(file), _) => out.push_str(&format!(
                " On Debian systems, the full text of this license can be found in\n /usr/share/common-licenses/{file}.\n"
            )),
            (None, Some(text)) => out.push_str(&continuation_lines(text)),
            (None, None) if id.starts_with("LicenseRef-") => {
                out.push_str(" The license text was not provided with this package.\n")
            }
            (None, None) => out.push_str(&format!(
                " The license text was not provided with this package; it is published\n at https://spdx.org/licenses/{id}.html.\n"
            )),
        }
    }
    out
}

/// The Debian changelog: `spec.changelog`, or one entry for this version.
fn changelog(
    metadata: &PackageMetadata,
    spec: &LinuxPackageSpec,
    version: &LinuxVersion,
    timestamp: Timestamp,
) -> Result<String, DebError> {
    let generated;
    let entries: &[ChangelogEntry] = if spec.changelog.is_empty() {
        generated = [ChangelogEntry {
            version: metadata.version.clone(),
            author: metadata.maintainer.clone().unwrap_or_default(),
            timestamp: timestamp.0,
            changes: Vec::new(),
        }];
        &generated
    } else {
        &spec.changelog
    };
    let mut out = String::new();
    for (index, entry) in entries.iter().enumerate() {
        let entry_version = LinuxVersion::parse(&entry.version)?;
        if index == 0 && entry_version != *version {
            return Err(DebError::ChangelogVersion {
                entry: entry.version.clone(),
                package: metadata.version.clone(),
            });
        }
        check_person("the changelog author", &entry.author)?;
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{} ({}) unstable; urgency=medium\n\n",
            metadata.name,
            entry_version.debian()
        ));
        // An empty entry is an error to lintian; say which release it is.
        let release = [format!("Release {}.", entry.version)];
        let changes = if entry.changes.is_empty() {
            &release[..]
        } else {
            &entry.changes[..]
        };
        for change in changes {
            out.push_str(&wrap_item(change.trim()));
        }
        out.push_str(&format!("\n -- {}  {}\n", entry.author, rfc2822(entry.timestamp)));
    }
    Ok(out)
}

/// One changelog item: `  * ` then the text wrapped at 78 columns, with
/// continuation lines indented by four spaces.
fn wrap_item(text: &str) -> String {
    let mut out = String::from("  *");
    let mut column = 3;
    for word in text.split_whitespace() {
        if column > 4 && column + 1 + word.len() > 78 {
            out.push_str("\n   ");
            column = 3;
        }
        out.push(' ');
        out.push_str(word);
        column += 1 + word.len();
    }
    out.push('\n');
    out
}

/// `Thu, 14 Nov 2023 22:13:20 +0000`, the date format of Debian changelogs.
fn rfc2822(seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day, hour, minute, second) = Timestamp(seconds).to_utc();
    format!(
        "{}, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} +0000",
        DAYS[(seconds / 86_400 % 7) as usize],
        MONTHS[usize::from(month) - 1]
    )
}

/// gzip at the best level without name or time, like `gzip -9n`
/// (lintian: package-contains-timestamped-gzip).
fn gzip_best(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// The maintainer scripts that have something to do, by control file name.
fn maintainer_scripts(package: &str, spec: &LinuxPackageSpec) -> Result<Vec<(&'static str, String)>, DebError> {
    let phases = [
        (
            "preinst",
            "pre_install",
            &spec.scripts.pre_install,
            Template::DebPreinst,
            false,
        ),
        (
            "postinst",
            "post_install",
            &spec.scripts.post_install,
            Template::DebPostinst,
            true,
        ),
        (
            "prerm",
            "pre_remove",
            &spec.scripts.pre_remove,
            Template::DebPrerm,
            true,
        ),
        (
            "postrm",
            "post_remove",
            &spec.scripts.post_remove,
            Template::DebPostrm,
            true,
        ),
    ];
    let mut out = Vec::new();
    for (file, name, script, template, handles_unit) in phases {
        let unit = spec.systemd_unit.as_ref().filter(|_| handles_unit).map(UnitData::from);
        let script = PackageScript::new(name, script.as_ref())?;
        if script.is_none() && unit.is_none() {
            continue;
        }
        let data = ScriptTemplateData { package, script, unit };
        out.push((file, oxdist_templates::render(template, &data)?));
    }
    Ok(out)
}

/// What writing `data.tar` found out for the control archive.
struct DataSummary {
    md5sums: String,
    conffiles: String,
    installed_size: u64,
}

/// Compresses what `write` writes to `out` as the options say; returns
/// `write`'s result with the finished `out`.
fn compress<W: Write, T>(
    options: &DebOptions,
    out: W,
    dest: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, DebError>,
) -> Result<(T, W), DebError> {
    let io_err = |source| DebError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let threads = options.threads.max(1);
    match options.compression {
        DebCompression::Xz { level } => {
            let stream = xz2::stream::MtStreamBuilder::new()
                .threads(threads)
                .preset(level)
                .check(xz2::stream::Check::Crc64)
                .encoder()
                .map_err(|e| io_err(e.into()))?;
            let mut encoder = xz2::write::XzEncoder::new_stream(out, stream);
            let result = write(&mut encoder)?;
            Ok((result, encoder.finish().map_err(io_err)?))
        }
        DebCompression::Zstd { level } => {
            let mut encoder = zstd::stream::Encoder::new(out, level).map_err(io_err)?;
            encoder.multithread(threads).map_err(io_err)?;
            encoder.include_checksum(true).map_err(io_err)?;
            let result = write(&mut encoder)?;
            Ok((result, encoder.finish().map_err(io_err)?))
        }
    }
}

/// A tar header with the fields every entry shares.
fn tar_header(mtime: u64, mode: u32, user: &str, group: &str) -> io::Result<tar::Header> {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(mtime);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_username(user)?;
    header.set_groupname(group)?;
    header.set_size(0);
    Ok(header)
}

/// Appends one entry named `name` as is (`tar::Builder::append_data` would
/// drop the leading `./` dpkg-deb writes), with GNU long-name (`L`) and
/// long-link (`K`) records for names that do not fit the header, as GNU tar
/// writes them.
fn append(
    builder: &mut tar::Builder<&mut dyn Write>,
    header: &mut tar::Header,
    name: &str,
    link: Option<&str>,
    data: impl Read,
) -> io::Result<()> {
    for (value, kind, field_len) in [(Some(name), b'L', 100), (link, b'K', 100)] {
        let Some(value) = value else { continue };
        if value.len() > field_len {
            let mut long = tar::Header::new_gnu();
            long.as_gnu_mut().expect("GNU header").name[..13].copy_from_slice(b"././@LongLink");
            long.set_mode(0o644);
            long.set_mtime(0);
            long.set_entry_type(tar::EntryType::new(kind));
            long.set_size(value.len() as u64 + 1);
            long.set_cksum();
            builder.append(&long, value.as_bytes().chain(&[0u8][..]))?;
        }
    }
    let name_bytes = name.as_bytes();
    let old = header.as_old_mut();
    old.name.fill(0);
    let n = name_bytes.len().min(old.name.len());
    old.name[..n].copy_from_slice(&name_bytes[..n]);
    if let Some(link) = link {
        let link_bytes = link.as_bytes();
        let old = header.as_old_mut();
        old.linkname.fill(0);
        let n = link_bytes.len().min(old.linkname.len());
        old.linkname[..n].copy_from_slice(&link_bytes[..n]);
    }
    header.set_cksum();
    builder.append(header, data)
}

/// Reads `inner` while computing its MD5 digest (for `md5sums`).
struct Md5Read<R> {
    inner: R,
    md5: Md5,
}

impl<R: Read> Read for Md5Read<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.md5.update(&buf[..n]);
        Ok(n)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the installed tree as `data.tar`.
fn write_data_tar(
    tree: &PackageTree,
    timestamp: Timestamp,
    out: &mut dyn Write,
    dest: &Path,
) -> Result<DataSummary, DebError> {
    let io_err = |source| DebError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let mtime = timestamp.0;
    let mut builder = tar::Builder::new(out);
    let mut md5sums = String::new();
    let mut conffiles = String::new();
    let mut bytes = 0u64;
    let mut directories = 0u64;

    let mut root = tar_header(mtime, 0o755, "root", "root").map_err(io_err)?;
    root.set_entry_type(tar::EntryType::Directory);
    append(&mut builder, &mut root, "./", None, io::empty()).map_err(io_err)?;
    for entry in tree.entries() {
        let TreeEntry {
            path,
            mode,
            user,
            group,
            ..
        } = entry;
        let mut header = tar_header(mtime, *mode, user, group).map_err(io_err)?;
        match &entry.node {
            TreeNode::Directory => {
                directories += 1;
                header.set_entry_type(tar::EntryType::Directory);
                append(&mut builder, &mut header, &format!("./{path}/"), None, io::empty()).map_err(io_err)?;
            }
            TreeNode::Symlink(target) => {
                bytes += target.len() as u64;
                header.set_entry_type(tar::EntryType::Symlink);
                append(
                    &mut builder,
                    &mut header,
                    &format!("./{path}"),
                    Some(target),
                    io::empty(),
                )
                .map_err(io_err)?;
            }
            TreeNode::File(data) => {
                header.set_entry_type(tar::EntryType::Regular);
                let name = format!("./{path}");
                let md5 = match data {
                    FileData::Path(src) => {
                        let file = ExactRead::open(src)?;
                        header.set_size(file.len);
                        bytes += file.len;
                        let mut reader = Md5Read {
                            inner: file,
                            md5: Md5::new(),
                        };
                        append(&mut builder, &mut header, &name, None, &mut reader).map_err(io_err)?;
                        reader.md5.finalize()
                    }
                    FileData::Memory(contents) => {
                        header.set_size(contents.len() as u64);
                        bytes += contents.len() as u64;
                        append(&mut builder, &mut header, &name, None, contents.as_slice()).map_err(io_err)?;
                        Md5::digest(contents.as_slice())
                    }
                };
                if entry.config {
                    conffiles.push_str(&format!("/{path}\n"));
                } else {
                    md5sums.push_str(&format!("{}  {path}\n", hex(&md5)));
                }
            }
        }
    }
    builder.finish().map_err(io_err)?;
    Ok(DataSummary {
        md5sums,
        conffiles,
        // dpkg-gencontrol: file and link sizes summed in KiB and rounded up
        // once, plus 1 KiB for each directory.
        installed_size: bytes.div_ceil(1024) + directories,
    })
}

/// Writes `control.tar`: `./` and the control files, root-owned.
fn write_control_tar(
    members: &[(&str, Vec<u8>, u32)],
    timestamp: Timestamp,
    out: &mut dyn Write,
    dest: &Path,
) -> Result<(), DebError> {
    let io_err = |source| DebError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let mut builder = tar::Builder::new(out);
    let mut root = tar_header(timestamp.0, 0o755, "root", "root").map_err(io_err)?;
    root.set_entry_type(tar::EntryType::Directory);
    append(&mut builder, &mut root, "./", None, io::empty()).map_err(io_err)?;
    for (name, bytes, mode) in members {
        let mut header = tar_header(timestamp.0, *mode, "root", "root").map_err(io_err)?;
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        append(&mut builder, &mut header, &format!("./{name}"), None, bytes.as_slice()).map_err(io_err)?;
    }
    builder.finish().map_err(io_err)
}

/// Writes one `ar` member: the 60-byte header dpkg-deb writes (name without
/// GNU's `/`, owner 0, mode 100644), the data, and a newline pad to an even
/// offset.
fn ar_member(out: &mut impl Write, name: &str, mtime: u64, size: u64, data: impl Read) -> io::Result<()> {
    let header = format!("{name:<16}{mtime:<12}{:<6}{:<6}{:<8}{size:<10}`\n", 0, 0, "100644");
    debug_assert_eq!(header.len(), 60);
    out.write_all(header.as_bytes())?;
    let copied = io::copy(&mut data.take(size), out)?;
    if copied != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the {name} member ended after {copied} of its {size} bytes"),
        ));
    }
    if size % 2 == 1 {
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures() {
        for (triple, arch) in [
            ("x86_64-unknown-linux-gnu", "amd64"),
            ("x86_64-unknown-linux-musl", "amd64"),
            ("aarch64-unknown-linux-gnu", "arm64"),
            ("i686-unknown-linux-gnu", "i386"),
            ("armv7-unknown-linux-gnueabihf", "armhf"),
            ("arm-unknown-linux-gnueabi", "armel"),
            ("riscv64gc-unknown-linux-gnu", "riscv64"),
            ("powerpc64le-unknown-linux-gnu", "ppc64el"),
            ("s390x-unknown-linux-gnu", "s390x"),
        ] {
            assert_eq!(deb_arch(triple).unwrap(), arch, "{triple}");
        }
        for triple in [
            "x86_64-pc-windows-msvc",
            "aarch64-apple-darwin",
            "sparc64-unknown-linux-gnu",
        ] {
            assert!(deb_arch(triple).is_err(), "{triple}");
        }
    }

    #[test]
    fn control_text_formats() {
        assert_eq!(
            continuation_lines("One.\n\n  verbatim\nTwo.  \n"),
            " One.\n .\n   verbatim\n Two.\n"
        );
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        let long = "word ".repeat(30);
        let wrapped = wrap_item(&long);
        assert!(wrapped.lines().all(|l| l.len() <= 78), "{wrapped}");
        assert!(wrapped.starts_with("  * word") && wrapped.lines().nth(1).unwrap().starts_with("    word"));
        for ok in ["Jane Doe <jane@example.org>", "J. R. Doe <j.r+deb@mail.example.org>"] {
            check_person("maintainer", ok).unwrap();
        }
        for bad in [
            "jane@example.org",
            "Jane <jane>",
            "<jane@example.org>",
            "Jane Doe<jane@example.org>",
        ] {
            assert!(check_person("maintainer", bad).is_err(), "{bad}");
        }
        assert_eq!(common_license("GPL-3.0-or-later"), Some("GPL-3"));
        assert_eq!(common_license("Apache-2.0"), Some("Apache-2.0"));
        assert_eq!(common_license("MIT"), None);
        assert_eq!(common_license("GPL-2.0-with-bison-exception"), None);
    }
}
