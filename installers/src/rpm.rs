//! `.rpm` packages: the [`PackageTree`] laid out for RPM, serialised with the
//! `rpm` crate, optionally signed with an OpenPGP key.
//!
//! What goes where:
//!
//! | RPM | from |
//! |---|---|
//! | `Name` | `metadata.name` |
//! | `Epoch`, `Version`, `Release` | [`LinuxVersion::parse`]`(metadata.version)`: PEP 440's `N!` epoch, the upstream version with `~` before pre- and dev-releases, release `1` |
//! | `Arch` | the target triple's architecture ([`rpm_arch`]) |
//! | `Summary` | the description (one line, a trailing `.` dropped), else the name |
//! | `Description` | the description, else the summary |
//! | `License` | `metadata.license`, the SPDX expression as is (required) |
//! | `URL`, `Vendor`, `Packager` | `homepage`, `vendor`, `maintainer` |
//! | `Group` | `spec.rpm_group`, default `Applications/System` |
//! | `Requires`, `Recommends`, `Suggests`, `Conflicts`, `Provides` | `spec.rpm_relations` of the same kind |
//! | `Obsoletes` | `spec.rpm_relations[Replaces]`: RPM's way of saying "this package takes over that one" |
//! | files | every [`TreeEntry`]; directories only when [`TreeEntry::owned`]; `%config(noreplace)`, `%doc`, `%license` from the entry's flags |
//! | `%changelog` | `spec.changelog`, or one entry for this version |
//!
//! # Scripts
//!
//! [`MaintainerScripts`](crate::linux::MaintainerScripts) have Debian's
//! meaning in both formats, so one script serves the deb and the rpm. RPM
//! passes a number instead of Debian's action words: `$1` is how many
//! instances of the package are installed once the step is over. Each
//! scriptlet (rendered from `templates/files/rpm/`) turns that number back
//! into Debian's arguments and runs the package's script with them, with
//! `set -e`, through its own shell ([`scripts::shell_for`]):
//!
//! | script | RPM scriptlet | RPM `$1` | the script's arguments (as Debian's) |
//! |---|---|---|---|
//! | `pre_install` | `%pre` of the new package | `1` / `≥ 2` | `install` / `upgrade` (`preinst`) |
//! | `post_install` | `%post` of the new package | `1` / `≥ 2` | `configure` / `configure unknown` (`postinst`) |
//! | `pre_remove` | `%preun` of the old package | `0` / `≥ 1` | `remove` / `upgrade` (`prerm`) |
//! | `post_remove` | `%postun` of the old package | `0` / `≥ 1` | `remove` / `upgrade` (`postrm`) |
//!
//! So `pre_remove` and `post_remove` also run on the old package's side of
//! an upgrade, like Debian's `prerm upgrade` and `postrm upgrade`; a script
//! that must act only on real removal tests `[ "$1" = remove ]`. Debian
//! passes the other version as `$2`; RPM does not tell its scriptlets, so
//! `$2` is absent, except for `post_install` on upgrade where it is
//! `unknown`: non-empty, so Debian's usual first-installation test
//! `[ -z "$2" ]` keeps working. RPM has no purge: erasing removes unmodified
//! configuration files, keeps changed ones as `.rpmsave`, and `post_remove`
//! gets `remove`.
//!
//! The order differs from Debian's on upgrade: RPM runs the new package's
//! `%pre`, installs its files, runs its `%post`, then the old package's
//! `%preun`, removes the old files the new package does not have, and runs
//! the old `%postun`. A failing `%pre` or `%preun` stops the installation or
//! erase; a failing `%post` or `%postun` is reported and the transaction
//! goes on.
//!
//! # systemd
//!
//! With `spec.systemd_unit` set, the scriptlets do what rpm's
//! `%systemd_post`, `%systemd_preun` and `%systemd_postun_with_restart`
//! macros do, after the package's own script (before it in `%preun`, so the
//! service is stopped before `pre_remove` cleans up):
//!
//! - `%post`, first installation: `systemctl --no-reload enable` when
//!   `enable` (this only needs `systemctl`, so units are enabled in image
//!   builds too, where systemd does not run); `daemon-reload` and `start`
//!   when `start` and systemd runs (`[ -d /run/systemd/system ]`).
//! - `%preun`, erase: `stop` when systemd runs, and `--no-reload disable`.
//! - `%postun`: `daemon-reload` when systemd runs; after an upgrade
//!   `try-restart` when `start`.
//!
//! Every `systemctl` call ends in `|| :`: a service that fails to start does
//! not fail the package transaction (as with the macros).
//!
//! # Reproducibility and signatures
//!
//! Every mtime, the build time and the signature time are the given
//! [`Timestamp`] (rpm stores 32-bit times: up to 2106); the build host is
//! [`BUILD_HOST`]; entries are in path order; files hard-linked to each
//! other in the input are packaged as separate files, so the output does not
//! depend on how the input tree was linked. A signature is an OpenPGP v4
//! signature over the header (which holds the payload's SHA-256), made by
//! [`oxdist_signing::openpgp::Signer`], which keeps signatures
//! deterministic; so a signed package is byte-identical too.

//! # Compression
//!
//! [`RpmCompression::default`] is zstd level [`DEFAULT_ZSTD_LEVEL`]. zstd
//! payloads need rpm ≥ 4.14 (RHEL 8, every current Fedora, openSUSE and
//! Amazon Linux 2023); gzip is the choice for older systems. Compression is
//! single-threaded: the `rpm` crate flushes the compressor after every file,
//! which would serialise zstd's workers anyway and cost about 20 % in size.
//! xz is not available: the `rpm` crate's xz support links a second liblzma
//! that clashes with the one this workspace uses.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxdist_signing::openpgp::{OpenPgpError, Signer};
use oxdist_templates::{Template, TemplateError};

use crate::linux::relations::RelationKind;
use crate::linux::scripts::{PackageScript, ScriptError, ScriptTemplateData, UnitData};
use crate::linux::{
    LinuxFormat, LinuxPackageSpec, LinuxVersion, PackageTree, RelationError, TreeEntry, TreeError, TreeNode,
    VersionError,
};
use crate::manifest::{FileData, FileManifest};
use crate::metadata::{MetadataError, PackageMetadata};
use crate::output::{OutputError, Timestamp, sha256_file, write_atomically};

/// The default zstd level: 19, what Fedora and RHEL build their packages
/// with (`w19.zstdio`). On an 86 MB Python tree (`bench/rpm`) it gives
/// 16.2 MB in 33 s of one core; level 12 gives 17.9 MB in 5.7 s, level 9
/// 18.0 MB in 3.9 s, gzip 9 26.7 MB in 6.1 s. Decompression is as fast at
/// every level, so the smaller download wins for release packages; pick a
/// lower [`RpmCompression::Zstd`] level for quick builds.
pub const DEFAULT_ZSTD_LEVEL: i32 = 19;

/// The build host written into every package: a fixed name, so packages do
/// not depend on the machine that built them.
pub const BUILD_HOST: &str = "localhost";

/// Why an rpm could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RpmError {
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Relation(#[from] RelationError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "the target {triple:?} has no rpm architecture: {reason}; rpm packages are built for x86_64, aarch64, i686, armv7hl, ppc64le, s390x or riscv64 Linux targets"
    )]
    Arch { triple: String, reason: &'static str },
    #[error(
        "an rpm needs a License: set the package's license to an SPDX expression, e.g. \"MIT\" or \"LicenseRef-Proprietary\""
    )]
    MissingLicense,
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Signature(#[from] OpenPgpError),
    #[error(
        "{what} {value} is after 2106-02-07, the last time an rpm can hold (32-bit seconds); set SOURCE_DATE_EPOCH or the changelog date to an earlier time"
    )]
    Time { what: &'static str, value: u64 },
    #[error("cannot add /{path} ({origin}) to the rpm: {source}")]
    Entry {
        path: String,
        origin: String,
        // Boxed: rpm's error is large and this enum travels in every Result.
        source: Box<rpm::Error>,
    },
    #[error("cannot build the rpm {package}: {source}")]
    Build { package: String, source: Box<rpm::Error> },
    #[error("cannot sign the rpm {package}: {source}")]
    Sign { package: String, source: Box<rpm::Error> },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Payload compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpmCompression {
    /// gzip, level 1 to 9: readable by every rpm version.
    Gzip { level: u32 },
    /// zstd, level 1 to 22: rpm ≥ 4.14.
    Zstd { level: i32 },
}

impl Default for RpmCompression {
    fn default() -> Self {
        RpmCompression::Zstd {
            level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

impl RpmCompression {
    fn to_rpm(self) -> rpm::CompressionWithLevel {
        match self {
            // Out-of-range levels are clamped rather than refused: every
            // level in range is valid, and the extremes are what was meant.
            RpmCompression::Gzip { level } => rpm::CompressionWithLevel::Gzip(level.clamp(1, 9)),
            RpmCompression::Zstd { level } => rpm::CompressionWithLevel::Zstd(level.clamp(1, 22)),
        }
    }
}

/// How to write an rpm.
#[derive(Clone, Debug)]
pub struct RpmOptions {
    /// Every mtime, the build time and the signature time.
    pub timestamp: Timestamp,
    pub compression: RpmCompression,
    /// Sign the package (an OpenPGP header signature) with this unlocked
    /// key; `None` writes an unsigned package, which still carries SHA-256
    /// header and payload digests.
    pub signer: Option<Arc<Signer>>,
}

impl Default for RpmOptions {
    fn default() -> Self {
        Self {
            timestamp: Timestamp::DEFAULT,
            compression: RpmCompression::default(),
            signer: None,
        }
    }
}

/// What [`write_rpm`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmInfo {
    pub path: PathBuf,
    /// `NAME-[EPOCH:]VERSION-RELEASE.ARCH`.
    pub nevra: String,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub size: u64,
    /// Fingerprint (upper-case hex) of the key that made the signature: a
    /// signing subkey's when the key has one, as for debs. `rpmkeys -Kv`
    /// names it by its last 16 digits ("key ID").
    pub signed_by: Option<String>,
}

/// The RPM architecture for a Rust target triple, e.g. `x86_64` for
/// `x86_64-unknown-linux-gnu`, `armv7hl` for `armv7-unknown-linux-gnueabihf`.
pub fn rpm_arch(triple: &str) -> Result<&'static str, RpmError> {
    let err = |reason| RpmError::Arch {
        triple: triple.to_string(),
        reason,
    };
    let mut parts = triple.split('-');
    let arch = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    if !rest.contains(&"linux") {
        return Err(err("it is not a Linux target"));
    }
    let hard_float = rest.last().is_some_and(|env| env.ends_with("hf"));
    Ok(match arch {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        "i686" => "i686",
        "i586" => "i586",
        "armv7" if hard_float => "armv7hl",
        "armv7" => "armv7l",
        "powerpc64le" => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64gc" | "riscv64" => "riscv64",
        "loongarch64" => "loongarch64",
        _ => return Err(err("its architecture has no rpm name oxdist knows")),
    })
}

/// The conventional file name `NAME-VERSION-RELEASE.ARCH.rpm` (no epoch, as
/// rpmbuild names files).
pub fn rpm_file_name(metadata: &PackageMetadata) -> Result<String, RpmError> {
    let version = LinuxVersion::parse(&metadata.version)?;
    Ok(format!(
        "{}-{}-{}.{}.rpm",
        metadata.name,
        version.rpm_version(),
        version.rpm_release(),
        rpm_arch(&metadata.target_triple)?
    ))
}

/// Writes the rpm of `files` (installed below the spec's prefix) plus what
/// the spec adds, to `dest`, atomically.
pub fn write_rpm(
    metadata: &PackageMetadata,
    spec: &LinuxPackageSpec,
    files: &FileManifest,
    options: &RpmOptions,
    dest: &Path,
) -> Result<RpmInfo, RpmError> {
    metadata.validate()?;
    spec.check_relations()?;
    let version = LinuxVersion::parse(&metadata.version)?;
    let arch = rpm_arch(&metadata.target_triple)?;
    let license = metadata.license.as_deref().ok_or(RpmError::MissingLicense)?;
    let time = rpm_time("SOURCE_DATE_EPOCH", options.timestamp.0)?;
    let tree = PackageTree::build(metadata, spec, files, LinuxFormat::Rpm)?;

    let summary = summary(metadata);
    let evr = rpm_evr(&version);
    let nevra = format!("{}-{evr}.{arch}", metadata.name);

    let mut builder = rpm::PackageBuilder::new(&metadata.name, version.rpm_version(), license, arch, &summary);
    builder
        .using_config(
            rpm::BuildConfig::v4()
                .compression(options.compression.to_rpm())
                .source_date(time),
        )
        .release(version.rpm_release())
        .description(description(metadata, spec, &summary))
        .group(spec.rpm_group.as_deref().unwrap_or("Applications/System"))
        .build_host(BUILD_HOST);
    if let Some(epoch) = version.epoch {
        builder.epoch(epoch);
    }
    if let Some(url) = &metadata.homepage {
        builder.url(url);
    }
    if let Some(vendor) = &metadata.vendor {
        builder.vendor(vendor);
    }
    if let Some(maintainer) = &metadata.maintainer {
        builder.packager(maintainer);
    }

    for (kind, entries) in &spec.rpm_relations {
        for entry in entries {
            let dependency = dependency(entry);
            match kind {
                RelationKind::Depends => builder.requires(dependency),
                RelationKind::Recommends => builder.recommends(dependency),
                RelationKind::Suggests => builder.suggests(dependency),
                RelationKind::Conflicts => builder.conflicts(dependency),
                RelationKind::Provides => builder.provides(dependency),
                RelationKind::Replaces => builder.obsoletes(dependency),
            };
        }
    }

    add_entries(&mut builder, &tree, time)?;
    add_scriptlets(&mut builder, &metadata.name, spec)?;

    let author = metadata
        .maintainer
        .as_deref()
        .or(metadata.vendor.as_deref())
        .unwrap_or("oxdist");
    if spec.changelog.is_empty() {
        builder.add_changelog_entry(
            format!("{author} - {evr}"),
            format!("- Package of {} {}", metadata.name, metadata.version),
            time,
        );
    }
    for entry in &spec.changelog {
        let entry_evr = rpm_evr(&LinuxVersion::parse(&entry.version)?);
        let text: Vec<String> = entry.changes.iter().map(|c| format!("- {}", c.trim())).collect();
        builder.add_changelog_entry(
            format!("{} - {entry_evr}", entry.author),
            text.join("\n"),
            rpm_time("a changelog entry's timestamp", entry.timestamp)?,
        );
    }

    let mut package = builder.build().map_err(|source| RpmError::Build {
        package: nevra.clone(),
        source: Box::new(source),
    })?;
    let mut signed_by = None;
    if let Some(signer) = &options.signer {
        // An OpenPGP signature over the header, which holds the payload's
        // digest: what rpmsign writes (RPMSIGTAG_RSA/DSA, "header V4").
        let header = package.header_bytes().map_err(|source| RpmError::Build {
            package: nevra.clone(),
            source: Box::new(source),
        })?;
        let signature = signer.detached_signature(header.as_slice(), options.timestamp.0)?;
        package.apply_signature(signature).map_err(|source| RpmError::Sign {
            package: nevra.clone(),
            source: Box::new(source),
        })?;
        signed_by = Some(signer.signing_fingerprint());
    }

    write_atomically(dest, |out| {
        package.write(out).map_err(|source| RpmError::Write {
            path: dest.to_path_buf(),
            source: match source {
                rpm::Error::Io(e) => e,
                other => io::Error::other(other),
            },
        })
    })?;
    let write_err = |source| RpmError::Write {
        path: dest.to_path_buf(),
        source,
    };
    Ok(RpmInfo {
        path: dest.to_path_buf(),
        nevra,
        sha256: sha256_file(dest).map_err(write_err)?,
        size: std::fs::metadata(dest).map_err(write_err)?.len(),
        signed_by,
    })
}

/// `[EPOCH:]VERSION-RELEASE`, as rpm prints it.
fn rpm_evr(version: &LinuxVersion) -> String {
    let epoch = version.epoch.map(|e| format!("{e}:")).unwrap_or_default();
    format!("{epoch}{}-{}", version.rpm_version(), version.rpm_release())
}

fn rpm_time(what: &'static str, value: u64) -> Result<u32, RpmError> {
    u32::try_from(value).map_err(|_| RpmError::Time { what, value })
}

/// One line, without the trailing period RPM summaries do not have.
fn summary(metadata: &PackageMetadata) -> String {
    let line = metadata
        .description
        .as_deref()
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or(&metadata.name);
    let line = line.strip_suffix('.').filter(|l| !l.ends_with('.')).unwrap_or(line);
    line.to_string()
}

/// `%description`: the spec's long description, else the one-line description.
fn description(metadata: &PackageMetadata, spec: &LinuxPackageSpec, summary: &str) -> String {
    spec.long_description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .or(metadata.description.as_deref())
        .unwrap_or(summary)
        .to_string()
}

/// An entry already checked by [`crate::linux::relations::check_rpm`]:
/// `name`, `name OP version`, or a rich dependency in parentheses (which
/// rpm reads from the name, as rpmbuild stores it).
fn dependency(entry: &str) -> rpm::Dependency {
    let entry = entry.trim();
    let parts: Vec<&str> = entry.split_whitespace().collect();
    match parts.as_slice() {
        [name, op, version] if !entry.starts_with('(') => {
            let (name, version) = (name.to_string(), version.to_string());
            match *op {
                "<" => rpm::Dependency::less(name, version),
                "<=" => rpm::Dependency::less_eq(name, version),
                "=" => rpm::Dependency::eq(name, version),
                ">=" => rpm::Dependency::greater_eq(name, version),
                _ => rpm::Dependency::greater(name, version),
            }
        }
        _ => rpm::Dependency::any(entry),
    }
}

/// Adds every file, link and owned directory of `tree`.
fn add_entries(builder: &mut rpm::PackageBuilder, tree: &PackageTree, time: u32) -> Result<(), RpmError> {
    let linked = hard_linked_sources(tree);
    for entry in tree.entries() {
        let dest = format!("/{}", entry.path);
        let entry_err = |source| RpmError::Entry {
            path: entry.path.clone(),
            origin: entry.origin.clone(),
            source: Box::new(source),
        };
        let attributes = |options: rpm::FileOptionsBuilder| {
            options
                .permissions(entry.mode as u16)
                .user(&entry.user)
                .group(&entry.group)
                .modified_at(time.into())
        };
        match &entry.node {
            TreeNode::Directory if entry.owned => {
                builder
                    .with_dir_entry(attributes(rpm::FileOptions::dir(dest)))
                    .map_err(entry_err)?;
            }
            TreeNode::Directory => {}
            TreeNode::Symlink(target) => {
                builder
                    .with_symlink(attributes(rpm::FileOptions::symlink(dest, target)))
                    .map_err(entry_err)?;
            }
            TreeNode::File(data) => {
                let options = file_flags(entry, attributes(rpm::FileOptions::new(dest)));
                match data {
                    // Streamed from disk, unless the source is hard-linked to
                    // another source: the rpm crate would turn those into a
                    // hard-link set, so the package would depend on how the
                    // input tree happened to be linked.
                    FileData::Path(path) if !linked.contains(path) => {
                        builder.with_file(path, options).map_err(entry_err)?;
                    }
                    _ => {
                        let bytes = data.read().map_err(TreeError::from)?.into_owned();
                        builder.with_file_contents(bytes, options).map_err(entry_err)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn file_flags(entry: &TreeEntry, mut options: rpm::FileOptionsBuilder) -> rpm::FileOptionsBuilder {
    if entry.config {
        options = options.config().noreplace();
    }
    if entry.doc {
        options = options.doc();
    }
    if entry.license {
        options = options.license();
    }
    options
}

/// Source paths that share an inode with another source path of the tree.
fn hard_linked_sources(tree: &PackageTree) -> BTreeSet<PathBuf> {
    #[cfg(unix)]
    {
        use std::collections::HashMap;
        use std::os::unix::fs::MetadataExt;
        let mut by_inode: HashMap<(u64, u64), BTreeSet<PathBuf>> = HashMap::new();
        for entry in tree.entries() {
            if let TreeNode::File(FileData::Path(path)) = &entry.node
                && let Ok(meta) = std::fs::metadata(path)
                && meta.nlink() > 1
            {
                by_inode
                    .entry((meta.dev(), meta.ino()))
                    .or_default()
                    .insert(path.clone());
            }
        }
        by_inode
            .into_values()
            .filter(|paths| paths.len() > 1)
            .flatten()
            .collect()
    }
    #[cfg(not(unix))]
    {
        let _ = tree;
        BTreeSet::new()
    }
}

/// The scriptlets that have something to do, applied to `builder`.
fn add_scriptlets(builder: &mut rpm::PackageBuilder, package: &str, spec: &LinuxPackageSpec) -> Result<(), RpmError> {
    let unit = spec.systemd_unit.as_ref().map(UnitData::from);
    let phases = [
        ("pre_install", &spec.scripts.pre_install, Template::RpmPre),
        ("post_install", &spec.scripts.post_install, Template::RpmPost),
        ("pre_remove", &spec.scripts.pre_remove, Template::RpmPreun),
        ("post_remove", &spec.scripts.post_remove, Template::RpmPostun),
    ];
    for (name, script, template) in phases {
        let script = PackageScript::new(name, script.as_ref())?;
        // The unit has nothing to do before installation, something on
        // installation only when enabled or started, and always on removal
        // (stop, disable, reload).
        let unit = unit.clone().filter(|u| match template {
            Template::RpmPre => false,
            Template::RpmPost => u.enable || u.start,
            _ => true,
        });
        if script.is_none() && unit.is_none() {
            continue;
        }
        let text = oxdist_templates::render(template, &ScriptTemplateData { package, script, unit })?;
        // The interpreter tag, as rpmbuild writes it (rpm would default to
        // /bin/sh anyway; `rpm -q --scripts` shows it).
        let scriptlet = rpm::Scriptlet::new(text).prog(vec!["/bin/sh"]);
        match template {
            Template::RpmPre => builder.pre_install_script(scriptlet),
            Template::RpmPost => builder.post_install_script(scriptlet),
            Template::RpmPreun => builder.pre_uninstall_script(scriptlet),
            _ => builder.post_uninstall_script(scriptlet),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches() {
        for (triple, arch) in [
            ("x86_64-unknown-linux-gnu", "x86_64"),
            ("x86_64-unknown-linux-musl", "x86_64"),
            ("aarch64-unknown-linux-gnu", "aarch64"),
            ("i686-unknown-linux-gnu", "i686"),
            ("armv7-unknown-linux-gnueabihf", "armv7hl"),
            ("powerpc64le-unknown-linux-gnu", "ppc64le"),
            ("s390x-unknown-linux-gnu", "s390x"),
            ("riscv64gc-unknown-linux-gnu", "riscv64"),
        ] {
            assert_eq!(rpm_arch(triple).unwrap(), arch, "{triple}");
        }
        for bad in [
            "x86_64-pc-windows-msvc",
            "aarch64-apple-darwin",
            "mips-unknown-linux-gnu",
        ] {
            assert!(rpm_arch(bad).unwrap_err().to_string().contains(bad));
        }
    }

    #[test]
    fn dependencies() {
        let d = dependency("glibc >= 2.28");
        assert_eq!((d.name.as_str(), d.version.as_str()), ("glibc", "2.28"));
        assert_eq!(d.flags, rpm::DependencyFlags::GREATER | rpm::DependencyFlags::EQUAL);
        let d = dependency("(python3 or python3.11)");
        assert_eq!(
            (d.name.as_str(), d.flags),
            ("(python3 or python3.11)", rpm::DependencyFlags::ANY)
        );
        assert_eq!(dependency("/bin/sh").name, "/bin/sh");
    }

    #[test]
    fn scriptlets_only_where_needed() {
        let scriptlets = |spec: &LinuxPackageSpec| {
            let mut builder = rpm::PackageBuilder::new("greeter", "1.0", "MIT", "x86_64", "greeter");
            add_scriptlets(&mut builder, "greeter", spec).unwrap();
            let package = builder.build().unwrap();
            let header = &package.metadata.header;
            [
                rpm::IndexTag::RPMTAG_PREIN,
                rpm::IndexTag::RPMTAG_POSTIN,
                rpm::IndexTag::RPMTAG_PREUN,
                rpm::IndexTag::RPMTAG_POSTUN,
            ]
            .map(|tag| header.get_entry_data_as_string(tag).ok().map(str::to_string))
        };
        assert_eq!(scriptlets(&LinuxPackageSpec::default()), [None, None, None, None]);
        let mut spec = LinuxPackageSpec::default();
        spec.scripts.post_remove = Some("echo bye".into());
        let [pre, post, preun, postun] = scriptlets(&spec);
        assert!(pre.is_none() && post.is_none() && preun.is_none());
        let postun = postun.unwrap();
        assert!(
            postun.contains("set -- remove") && postun.contains("sh -ec \"$oxdist_script\" post_remove \"$@\""),
            "{postun}"
        );
        assert!(!postun.contains("systemctl"), "{postun}");

        // A unit neither enabled nor started still needs stopping and
        // reloading on removal, but nothing on installation.
        spec.systemd_unit = Some(crate::linux::SystemdUnit {
            name: "greeter.service".into(),
            contents: String::new(),
            enable: false,
            start: false,
        });
        let [pre, post, preun, postun] = scriptlets(&spec);
        assert!(pre.is_none() && post.is_none(), "{post:?}");
        assert!(preun.unwrap().contains("systemctl stop greeter.service"));
        let postun = postun.unwrap();
        assert!(
            postun.contains("daemon-reload") && !postun.contains("try-restart"),
            "{postun}"
        );
    }

    #[test]
    fn summaries() {
        let mut m = PackageMetadata {
            name: "greeter".into(),
            version: "1.0".into(),
            description: None,
            maintainer: None,
            vendor: None,
            homepage: None,
            license: None,
            target_triple: "x86_64-unknown-linux-gnu".into(),
        };
        assert_eq!(summary(&m), "greeter");
        m.description = Some("Greets people.".into());
        assert_eq!(summary(&m), "Greets people");
        m.description = Some("Wait...".into());
        assert_eq!(summary(&m), "Wait...");
    }
}
