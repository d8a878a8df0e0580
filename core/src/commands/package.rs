//! `oxdist package --format LIST`: a target into artifacts.
//!
//! Archives are `OUT/NAME-VERSION-TRIPLE.EXT`; debs and rpms are named as
//! their ecosystems expect (`NAME_VERSION_ARCH.deb`,
//! `NAME-VERSION-RELEASE.ARCH.rpm`) and packaged with the target's
//! `LinuxPackageBuilder` settings, or the defaults for a plain manifest or
//! executable. Every artifact is written atomically and recorded in
//! `OUT/SHA256SUMS`. Timestamps come from `SOURCE_DATE_EPOCH` (or a fixed
//! default) so that the same inputs give the same bytes.

use std::fmt;
use std::path::{Path, PathBuf};

use oxdist_installers::archive::{ArchiveOptions, write_archive};
use oxdist_installers::deb::{DebOptions, deb_file_name, write_deb};
use oxdist_installers::linux::LinuxPackageSpec;
use oxdist_installers::msi::{MsiArch, MsiOptions, MsiSpec, msi_arch, msi_file_name, write_msi};
use oxdist_installers::output::{sha256_file, update_sha256sums};
use oxdist_installers::rpm::{RpmOptions, rpm_file_name, write_rpm};
use oxdist_installers::{ArchiveFormat, FileManifest, PackageMetadata, Timestamp};

use super::signing_key;
use crate::cli::GlobalArgs;
use crate::dialect::linux_package::default_bin_links;
use crate::dialect::{Resolve, TargetOutput};
use crate::error::Error;
use crate::report::{Artifact, Reporter, Summary, human_size};

/// Every format `--format` accepts, for messages.
const SUPPORTED: &str = "tar.gz, tar.xz, tar.zst, zip, deb, rpm, msi, app, dmg";

/// A format `--format` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageFormat {
    Archive(ArchiveFormat),
    Deb,
    Rpm,
    Msi,
    /// A zip of the tree (a `.app` bundle and its notices): what notarization takes.
    App,
    Dmg,
}

impl fmt::Display for PackageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackageFormat::Archive(format) => format.fmt(f),
            PackageFormat::Deb => f.write_str("deb"),
            PackageFormat::Rpm => f.write_str("rpm"),
            PackageFormat::Msi => f.write_str("msi"),
            PackageFormat::App => f.write_str("app"),
            PackageFormat::Dmg => f.write_str("dmg"),
        }
    }
}

/// Parses `--format` values: known, deduplicated, in the order given.
pub fn parse_formats(values: &[String]) -> Result<Vec<PackageFormat>, Error> {
    let mut formats = Vec::new();
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let format =
            match value {
                "deb" => PackageFormat::Deb,
                "rpm" => PackageFormat::Rpm,
                "msi" => PackageFormat::Msi,
                "app" => PackageFormat::App,
                "dmg" => PackageFormat::Dmg,
                _ => PackageFormat::Archive(value.parse().map_err(|e: oxdist_installers::ArchiveError| {
                    Error::Usage(format!("{e}; supported: {SUPPORTED}"))
                })?),
            };
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    if formats.is_empty() {
        return Err(Error::Usage(format!("--format needs at least one format: {SUPPORTED}")));
    }
    Ok(formats)
}

/// The variables signing secrets are read from: zero-config's
/// `[tool.oxdist.signing]`, else (and for what it leaves out) oxdist's own.
fn signing_env(global: &GlobalArgs) -> Result<crate::pyproject::SigningEnv, Error> {
    Ok(match super::locate_config(global)? {
        super::Located::File(_) => crate::pyproject::SigningEnv::default(),
        super::Located::Pyproject(pyproject) => crate::pyproject::Project::read(&pyproject)?.signing,
    })
}

/// The formats to build without `--format`: zero-config's `[tool.oxdist]
/// formats` (read without evaluating anything, so keys are still checked
/// before the build). A Starlark configuration has no default.
fn default_formats(global: &GlobalArgs) -> Result<Vec<String>, Error> {
    match super::locate_config(global)? {
        super::Located::File(_) => Err(Error::Usage(format!("--format LIST is required: {SUPPORTED}"))),
        super::Located::Pyproject(pyproject) => {
            let formats = crate::pyproject::Project::read(&pyproject)?.formats;
            if formats.is_empty() {
                return Err(Error::Usage(format!(
                    "--format LIST is required ({SUPPORTED}), or set [tool.oxdist] formats in {}",
                    pyproject.display()
                )));
            }
            Ok(formats)
        }
    }
}

/// What `oxdist package` was asked to do.
pub struct PackageArgs<'a> {
    pub formats: &'a [String],
    pub target: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub pgp_key: Option<&'a Path>,
    pub authenticode: super::authenticode_key::KeySource<'a>,
    /// `--authenticode-timestamp-url`.
    pub authenticode_timestamp_url: Option<&'a str>,
    /// `--apple-pfx`: the Developer ID key for app bundles and DMGs.
    pub apple_pfx: Option<&'a Path>,
    /// `--apple-timestamp-url`.
    pub apple_timestamp_url: Option<&'a str>,
}

pub fn run(args: &PackageArgs<'_>, global: &GlobalArgs, reporter: &Reporter) -> Result<(), Error> {
    // Check everything the command line decides before evaluating anything.
    let formats = if args.formats.is_empty() {
        parse_formats(&default_formats(global)?)?
    } else {
        parse_formats(args.formats)?
    };
    let mtime = Timestamp::from_env()?;
    let linux = formats
        .iter()
        .any(|f| matches!(f, PackageFormat::Deb | PackageFormat::Rpm));
    let signing_env = signing_env(global)?;
    let key = if linux {
        signing_key::load(args.pgp_key, &signing_env)?
    } else {
        None
    };
    if let Some(key) = &key {
        reporter.detail(format!("signing with {} ({})", key.origin, key.signer.fingerprint()));
    }
    let msi = formats.contains(&PackageFormat::Msi);
    let authenticode = if msi {
        super::authenticode_key::load(args.authenticode, args.authenticode_timestamp_url, &signing_env)?
    } else if args.authenticode.is_set() || args.authenticode_timestamp_url.is_some() {
        return Err(Error::Usage(
            "--authenticode-pfx, --authenticode-key, --authenticode-cert and --authenticode-timestamp-url sign MSIs: add msi to --format".into(),
        ));
    } else {
        None
    };
    let apple = formats
        .iter()
        .any(|f| matches!(f, PackageFormat::App | PackageFormat::Dmg));
    let apple_key = if apple {
        super::authenticode_key::load_apple(args.apple_pfx, args.apple_timestamp_url, &signing_env)?
    } else if args.apple_pfx.is_some() || args.apple_timestamp_url.is_some() {
        return Err(Error::Usage(
            "--apple-pfx and --apple-timestamp-url sign app bundles and DMGs: add app or dmg to --format".into(),
        ));
    } else {
        None
    };
    let mut artifacts = Vec::new();
    let mut sums = Vec::new();
    let mut packaged = None;
    for (target, formats) in target_groups(&formats, args.target, global)? {
        packaged = Some(package_target(
            args,
            global,
            reporter,
            &formats,
            target,
            mtime,
            &key,
            authenticode.clone(),
            apple_key.clone(),
            &mut artifacts,
            &mut sums,
        )?);
    }
    let (config_path, out_dir) = packaged.expect("at least one format");
    let sums_path = update_sha256sums(&out_dir, &sums)?;
    let sums_sha = sha256_file(&sums_path).map_err(|source| Error::Io {
        path: sums_path.clone(),
        source,
    })?;
    reporter.info(format!("wrote {}", sums_path.display()));
    artifacts.push(Artifact {
        kind: "checksums",
        target: None,
        format: None,
        size: std::fs::metadata(&sums_path).ok().map(|m| m.len()),
        path: sums_path,
        sha256: Some(sums_sha),
        entries: None,
    });
    super::print_summary(
        global,
        &Summary {
            command: "package",
            config: config_path,
            artifacts,
        },
    );
    Ok(())
}

/// Builds `target` (the default when `None`) and packages it as each of
/// `formats`, adding what it wrote to `artifacts` and `sums`; returns the
/// configuration's path and the output directory.
#[allow(clippy::too_many_arguments)]
fn package_target(
    args: &PackageArgs<'_>,
    global: &GlobalArgs,
    reporter: &Reporter,
    formats: &[PackageFormat],
    target: Option<&str>,
    mtime: Timestamp,
    key: &Option<signing_key::SigningKey>,
    authenticode: Option<super::authenticode_key::AuthenticodeKey>,
    apple_key: Option<super::authenticode_key::AuthenticodeKey>,
    artifacts: &mut Vec<Artifact>,
    sums: &mut Vec<(String, String)>,
) -> Result<(PathBuf, PathBuf), Error> {
    let linux = formats
        .iter()
        .any(|f| matches!(f, PackageFormat::Deb | PackageFormat::Rpm));
    let msi = formats.contains(&PackageFormat::Msi);
    let resolve = match target {
        Some(t) => Resolve::Targets(vec![t.to_string()]),
        None => Resolve::Default,
    };
    let evaluation = super::evaluate(global, resolve)?;
    // The command line's key wins; else the configuration's active signer,
    // loaded now, before the target is built.
    let apple = formats
        .iter()
        .any(|f| matches!(f, PackageFormat::App | PackageFormat::Dmg));
    // The configuration's active signer, loaded once (a PKCS#12 password is
    // asked for at most once), also signs macOS bundles and DMGs, as
    // PyOxidizer's CodeSigner does; without one, bundles are signed ad-hoc.
    let configured_key = match &evaluation.code_signer {
        Some(configured) if (apple && apple_key.is_none()) || (msi && authenticode.is_none()) => {
            Some(super::authenticode_key::load_configured(configured)?)
        }
        _ => None,
    };
    let apple_key = apple_key.or_else(|| configured_key.clone().filter(|_| apple));
    let authenticode = match (authenticode, configured_key) {
        (Some(key), _) => Some(key),
        (None, Some(key)) if msi => Some(super::authenticode_key::AuthenticodeKey {
            timestamp_url: args
                .authenticode_timestamp_url
                .map(str::to_string)
                .or(key.timestamp_url),
            ..key
        }),
        (None, _) => None,
    };
    if authenticode.is_none() && args.authenticode_timestamp_url.is_some() {
        return Err(Error::Usage(
            "--authenticode-timestamp-url timestamps Authenticode signatures: give a key too (--authenticode-pfx, or --authenticode-key and --authenticode-cert), or activate a code signer in the configuration".into(),
        ));
    }
    if let Some(key) = &authenticode {
        let timestamp = key
            .timestamp_url
            .as_deref()
            .map_or_else(String::new, |url| format!(", timestamps from {url}"));
        reporter.detail(format!(
            "signing MSIs and the Windows binaries in them with {} ({}){timestamp}",
            key.origin,
            key.signer.chain().subject()
        ));
    }
    let (name, output) = evaluation.outputs.first().expect("one target was resolved");
    // The gate comes before the build: nothing is written for a target
    // whose contents may not be shipped.
    let (audit, verdict) = super::licenses::audit_output(&evaluation, 0, reporter)?;
    for warning in &verdict.warnings {
        reporter.warn(format!("{}: {}", warning.description, warning.reason));
    }
    if !verdict.passed() {
        return Err(Error::LicensePolicy {
            target: name.clone(),
            table: oxdist_licenses::report::render_violations(&verdict),
        });
    }
    let Some(manifest) = super::output_manifest(output, &evaluation.build_path, reporter)? else {
        return Err(Error::NotAManifest {
            target: name.clone(),
            found: match output {
                TargetOutput::Other(t) => format!("a value of type {t}"),
                _ => "None".into(),
            },
        });
    };
    if manifest.is_empty() {
        return Err(Error::EmptyManifest(name.clone()));
    }
    let manifest = match output {
        TargetOutput::AppBundle(bundle) if apple => sign_bundle(manifest, bundle, apple_key.as_ref(), reporter)?,
        _ => manifest,
    };
    let (manifest, notices) = with_notices(manifest, &audit)?;
    let manifest = &manifest;
    let metadata = evaluation
        .metadata
        .as_ref()
        .ok_or_else(|| Error::NoMetadata(evaluation.config_path.clone()))?;
    let metadata = &for_executables(metadata, &evaluation.executables[0]);
    let out_dir: PathBuf = match args.out {
        Some(dir) => dir.to_path_buf(),
        None => evaluation.config_path.parent().unwrap_or(Path::new(".")).join("dist"),
    };
    let stem = metadata.artifact_stem();
    let options = ArchiveOptions {
        root_dir: stem.clone(),
        mtime,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
    };
    reporter.detail(format!(
        "{} entries, {} of file data, mtime {}",
        manifest.len(),
        human_size(manifest.total_size()?),
        mtime.0
    ));

    let spec = if linux {
        let mut spec = linux_spec(output, manifest, metadata);
        spec.third_party_notices = notices;
        spec
    } else {
        LinuxPackageSpec::default()
    };
    for &format in formats {
        let step = reporter.step(format!("packaging {name} as {format}"));
        let (file_name, kind) = match format {
            PackageFormat::Archive(format) => (format!("{stem}.{}", format.extension()), "archive"),
            PackageFormat::Deb => (deb_file_name(metadata)?, "deb"),
            PackageFormat::Rpm => (rpm_file_name(metadata)?, "rpm"),
            PackageFormat::Msi => (msi_file_name_of(output, metadata)?, "msi"),
            PackageFormat::App => (format!("{stem}.app.zip"), "app"),
            PackageFormat::Dmg => (format!("{stem}.dmg"), "dmg"),
        };
        let dest = out_dir.join(&file_name);
        match format {
            PackageFormat::Archive(format) => write_archive(manifest, format, &options, &dest)?,
            PackageFormat::Deb => {
                let mut options = DebOptions {
                    timestamp: mtime,
                    signer: key.as_ref().map(|k| k.signer.clone()),
                    ..DebOptions::default()
                };
                if let TargetOutput::LinuxPackage(package) = output
                    && let Some(compression) = package.deb_compression
                {
                    options.compression = compression;
                }
                write_deb(metadata, &spec, manifest, &options, &dest)?;
            }
            PackageFormat::Rpm => {
                let mut options = RpmOptions {
                    timestamp: mtime,
                    signer: key.as_ref().map(|k| k.signer.clone()),
                    ..RpmOptions::default()
                };
                if let TargetOutput::LinuxPackage(package) = output
                    && let Some(compression) = package.rpm_compression
                {
                    options.compression = compression;
                }
                write_rpm(metadata, &spec, manifest, &options, &dest)?;
            }
            PackageFormat::App => {
                if !matches!(output, TargetOutput::AppBundle(_)) {
                    return Err(Error::Settings(format!(
                        "--format app packages a MacOsApplicationBundleBuilder; target {name:?} returns something else (use zip or dmg for plain trees)"
                    )));
                }
                write_archive(manifest, ArchiveFormat::Zip, &options, &dest)?;
            }
            PackageFormat::Dmg => {
                let volume = match output {
                    TargetOutput::AppBundle(bundle) => {
                        bundle.display_name.clone().unwrap_or(bundle.bundle_name.clone())
                    }
                    _ => metadata.name.clone(),
                };
                let layout = match output {
                    TargetOutput::AppBundle(bundle) => bundle.dmg_layout.as_ref().map(dmg_layout).transpose()?,
                    _ => None,
                };
                let options = oxdist_installers::macos::dmg::DmgOptions {
                    layout,
                    applications_symlink: matches!(output, TargetOutput::AppBundle(_)),
                    ..oxdist_installers::macos::dmg::DmgOptions::new(mtime)
                };
                match &apple_key {
                    None => {
                        oxdist_installers::macos::dmg::write_dmg(&volume, manifest, &options, &dest)?;
                    }
                    Some(key) => {
                        // Unsigned into the build directory, signed into place.
                        let unsigned = evaluation.build_path.join("dmg").join(&file_name);
                        oxdist_installers::macos::dmg::write_dmg(&volume, manifest, &options, &unsigned)?;
                        sign_dmg_into(&unsigned, &dest, key, &stem)?;
                    }
                }
            }
            PackageFormat::Msi => {
                let options = MsiOptions {
                    timestamp: mtime,
                    ..MsiOptions::default()
                };
                let (metadata, spec) = msi_settings(output, manifest, metadata, &evaluation.config_path)?;
                match &authenticode {
                    None => {
                        write_msi(&metadata, &spec, manifest, &options, &dest)?;
                    }
                    Some(key) => {
                        let sign_options = sign_options(key, &metadata);
                        let (signed_manifest, signed) = sign_windows_binaries(manifest, key, &sign_options)?;
                        if signed > 0 {
                            reporter.detail(format!("signed {signed} Windows binaries for the MSI"));
                        }
                        // Unsigned into the build directory, signed into place:
                        // `dest` never holds an unsigned or half-signed MSI.
                        let unsigned = evaluation.build_path.join("msi").join(&file_name);
                        write_msi(&metadata, &spec, &signed_manifest, &options, &unsigned)?;
                        sign_msi_into(&unsigned, &dest, key, &sign_options)?;
                    }
                }
            }
        }
        let sha256 = sha256_file(&dest).map_err(|source| Error::Io {
            path: dest.clone(),
            source,
        })?;
        let size = std::fs::metadata(&dest)
            .map_err(|source| Error::Io {
                path: dest.clone(),
                source,
            })?
            .len();
        let signed = if ((kind == "deb" || kind == "rpm") && key.is_some())
            || (kind == "msi" && authenticode.is_some())
            || (kind == "dmg" && apple_key.is_some())
            || (kind == "app" && apple_key.is_some())
        {
            ", signed"
        } else if kind == "app" {
            ", signed ad-hoc"
        } else {
            ""
        };
        step.finish(
            format!("wrote {} ({}{signed})", dest.display(), human_size(size)),
            reporter,
        );
        sums.push((file_name, sha256.clone()));
        artifacts.push(Artifact {
            kind,
            target: Some(name.clone()),
            format: Some(format.to_string()),
            path: dest,
            sha256: Some(sha256),
            size: Some(size),
            entries: Some(manifest.len()),
        });
    }
    Ok((evaluation.config_path, out_dir))
}

/// The metadata with the target triple of the executables the target
/// contains, when the configuration left it at the default (this
/// machine's) and they were built for another platform: an application
/// built for Windows is packaged as a Windows program.
fn for_executables(
    metadata: &PackageMetadata,
    executables: &[crate::embedding::executable::ExecutableSpec],
) -> PackageMetadata {
    let mut metadata = metadata.clone();
    if metadata.target_triple == crate::HOST_TRIPLE
        && let Some(spec) = executables.first()
        && executables
            .iter()
            .all(|e| e.dist.target_triple == spec.dist.target_triple)
    {
        metadata.target_triple = spec.dist.target_triple.clone();
    }
    metadata
}

/// A target (`None`: the default) and the formats it is packaged as.
type TargetFormats<'a> = (Option<&'a str>, Vec<PackageFormat>);

/// Which target each format packages: the one `--target` names, or the
/// default; in zero-config, MSIs package the `windows` target and DMGs and
/// app archives the `macos` target (the same application built for those
/// platforms), everything else the default one.
fn target_groups<'a>(
    formats: &[PackageFormat],
    target: Option<&'a str>,
    global: &GlobalArgs,
) -> Result<Vec<TargetFormats<'a>>, Error> {
    let zero_config = matches!(super::locate_config(global)?, super::Located::Pyproject(_));
    if target.is_some() || !zero_config {
        return Ok(vec![(target, formats.to_vec())]);
    }
    let (windows, rest): (Vec<PackageFormat>, Vec<PackageFormat>) =
        formats.iter().partition(|f| matches!(f, PackageFormat::Msi));
    let (macos, host): (Vec<PackageFormat>, Vec<PackageFormat>) = rest
        .into_iter()
        .partition(|f| matches!(f, PackageFormat::Dmg | PackageFormat::App));
    Ok([
        (None, host),
        (Some(crate::pyproject::WINDOWS_TARGET), windows),
        (Some(crate::pyproject::MACOS_TARGET), macos),
    ]
    .into_iter()
    .filter(|(_, formats)| !formats.is_empty())
    .collect())
}

/// The metadata and settings an MSI is written with: the target's
/// `WiXMSIBuilder` (its `product_version` replaces the metadata's version,
/// its `arch` must agree with the target triple), else the defaults: per
/// machine, every GUID derived from the package name, the manufacturer from
/// `vendor`, else the maintainer's name. The license page shows
/// `license_path` (relative to the configuration), else the installed
/// tree's top-level `LICENSE`, `LICENSE.txt`, `LICENSE.rtf`, `LICENSE.md`
/// or `COPYING`; without either the wizard has no license page.
fn msi_settings(
    output: &TargetOutput,
    manifest: &FileManifest,
    metadata: &PackageMetadata,
    config_path: &Path,
) -> Result<(PackageMetadata, MsiSpec), Error> {
    let metadata = msi_metadata(output, metadata)?;
    let config_dir = config_path.parent().unwrap_or(Path::new("."));
    let read_setting = |setting: &str, path: &str| {
        let path = config_dir.join(path);
        std::fs::read(&path).map_err(|e| {
            Error::Settings(format!(
                "WiXMSIBuilder.{setting} = {}: cannot read it: {e}",
                path.display()
            ))
        })
    };
    let mut spec = match output {
        TargetOutput::Msi(msi) => {
            let mut spec = msi.spec.clone();
            if let Some(path) = &msi.license_path {
                let bytes = read_setting("license_path", path)?;
                spec.license = Some(String::from_utf8(bytes).map_err(|_| {
                    Error::Settings(format!(
                        "WiXMSIBuilder.license_path = {path}: not UTF-8 text (RTF files are ASCII; save plain text as UTF-8)"
                    ))
                })?);
            }
            if let Some(path) = &msi.product_icon_path {
                spec.icon = Some(read_setting("product_icon_path", path)?);
            }
            spec
        }
        _ => {
            let mut spec = MsiSpec::new(metadata.name.clone());
            spec.manufacturer = metadata.vendor.clone().or_else(|| {
                metadata
                    .maintainer
                    .as_deref()
                    .map(|m| m.split('<').next().unwrap_or(m).trim().to_string())
                    .filter(|m| !m.is_empty())
            });
            spec
        }
    };
    if spec.license.is_none() {
        spec.license = installed_license(manifest)?;
    }
    Ok((metadata, spec))
}

/// The text of the installed tree's own top-level license file, if it has one.
fn installed_license(manifest: &FileManifest) -> Result<Option<String>, Error> {
    use oxdist_installers::{ManifestEntry, ManifestPath};
    for name in ["LICENSE.rtf", "LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"] {
        let path = ManifestPath::new(name)?;
        if let Some(ManifestEntry::File(file)) = manifest.get(&path) {
            let bytes = file.data.read()?;
            // A license in another encoding is installed, not shown.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                return Ok(Some(text.to_string()));
            }
        }
    }
    Ok(None)
}

/// The metadata of the MSI: the `WiXMSIBuilder`'s version and architecture checks.
fn msi_metadata(output: &TargetOutput, metadata: &PackageMetadata) -> Result<PackageMetadata, Error> {
    let TargetOutput::Msi(msi) = output else {
        return Ok(metadata.clone());
    };
    let mut metadata = metadata.clone();
    metadata.version = msi.product_version.clone();
    if let Some(arch) = &msi.arch {
        let triple_arch = match msi_arch(&metadata.target_triple)? {
            MsiArch::X64 => "x64",
            MsiArch::X86 => "x86",
            MsiArch::Arm64 => "arm64",
        };
        if arch != triple_arch {
            return Err(Error::Settings(format!(
                "WiXMSIBuilder(arch = {arch:?}) disagrees with the target triple {} ({triple_arch}); drop arch or change target_triple in set_package_metadata",
                metadata.target_triple
            )));
        }
    }
    Ok(metadata)
}

/// How Authenticode signatures are made: program name and URL from the
/// metadata, the key's timestamp authority.
fn sign_options(
    key: &super::authenticode_key::AuthenticodeKey,
    metadata: &PackageMetadata,
) -> oxdist_signing::authenticode::SignOptions {
    oxdist_signing::authenticode::SignOptions {
        program_name: Some(metadata.name.clone()),
        url: metadata.homepage.clone(),
        timestamp: key.timestamp_url.clone(),
        ..Default::default()
    }
}

/// File name extensions of the Windows binaries signed before they go into an MSI.
const SIGNED_EXTENSIONS: [&str; 3] = ["exe", "dll", "pyd"];

/// `manifest` with every unsigned PE file (`.exe`, `.dll`, `.pyd`) signed,
/// and how many were signed. Binaries that already carry a signature (a
/// vendor's DLL) keep it; files with those extensions that are not PE
/// images are left alone.
fn sign_windows_binaries(
    manifest: &FileManifest,
    key: &super::authenticode_key::AuthenticodeKey,
    options: &oxdist_signing::authenticode::SignOptions,
) -> Result<(FileManifest, usize), Error> {
    use oxdist_installers::{FileEntry, ManifestEntry};
    use oxdist_signing::authenticode::{is_signed_pe, sign_pe};

    let mut signed_manifest = FileManifest::new();
    let mut signed = 0;
    for (path, entry) in manifest.entries() {
        let signable = path
            .as_str()
            .rsplit_once('.')
            .is_some_and(|(_, ext)| SIGNED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
        let ManifestEntry::File(file) = entry else {
            signed_manifest.add(path.clone(), entry.clone())?;
            continue;
        };
        if !signable {
            signed_manifest.add(path.clone(), entry.clone())?;
            continue;
        }
        let bytes = file.data.read()?;
        // Not a PE image (or one the parser cannot read): installed as it is.
        if !bytes.starts_with(b"MZ") || is_signed_pe(&bytes).unwrap_or(true) {
            signed_manifest.add(path.clone(), entry.clone())?;
            continue;
        }
        let signed_bytes = sign_pe(&bytes, &key.signer, options).map_err(|source| Error::Authenticode {
            path: PathBuf::from(path.as_str()),
            source,
        })?;
        signed_manifest.add_file(
            path.clone(),
            FileEntry::from_bytes(signed_bytes, file.executable, format!("{} (signed)", file.origin)),
        )?;
        signed += 1;
    }
    Ok((signed_manifest, signed))
}

/// The DMG window of `set_dmg_layout`, with its files read.
fn dmg_layout(
    settings: &crate::dialect::macos::DmgLayoutSettings,
) -> Result<oxdist_installers::macos::dmg::DmgLayout, Error> {
    let read = |path: &Option<PathBuf>| -> Result<Option<Vec<u8>>, Error> {
        path.as_ref()
            .map(|path| {
                std::fs::read(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })
            })
            .transpose()
    };
    let defaults = oxdist_installers::macos::dmg::DmgLayout::default();
    Ok(oxdist_installers::macos::dmg::DmgLayout {
        window_position: settings.window_position.unwrap_or(defaults.window_position),
        window_size: settings.window_size,
        icon_size: settings.icon_size.unwrap_or(defaults.icon_size),
        background_png: read(&settings.background)?,
        icon_positions: settings.icon_positions.clone(),
        volume_icon_icns: read(&settings.volume_icon)?,
        ..defaults
    })
}

/// Signs the `.app` of a bundle target (nested code, seal, main
/// executable): with the configuration's signer, else ad-hoc.
fn sign_bundle(
    manifest: oxdist_installers::FileManifest,
    bundle: &crate::dialect::macos::AppBundleTarget,
    key: Option<&super::authenticode_key::AuthenticodeKey>,
    reporter: &Reporter,
) -> Result<oxdist_installers::FileManifest, Error> {
    use oxdist_installers::macos::codesign::{BundleSigning, sign_app_bundle};
    let options = &bundle.code_signature;
    let entitlements = match &options.entitlements {
        Some(path) => Some(std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let signing = BundleSigning {
        signer: key.map(|k| k.signer.clone()),
        hardened_runtime: options.hardened_runtime,
        entitlements,
        // Apple's codesign takes the team ID from the certificate's OU.
        team_id: options
            .team_id
            .clone()
            .or_else(|| key.and_then(|k| k.signer.chain().organizational_unit())),
        timestamp: key.and_then(|k| k.timestamp_url.clone()),
    };
    match key {
        Some(key) => reporter.detail(format!(
            "signing {}.app and its Mach-O files with {} ({})",
            bundle.bundle_name,
            key.origin,
            key.signer.chain().subject()
        )),
        None => reporter.detail(format!(
            "signing {}.app ad-hoc (no code signer is active: Gatekeeper will not accept it from a download)",
            bundle.bundle_name
        )),
    }
    Ok(sign_app_bundle(
        &manifest,
        &format!("{}.app", bundle.bundle_name),
        &signing,
    )?)
}

/// Signs the DMG at `unsigned` with the configuration's signer and writes
/// the result to `dest` atomically; the identifier is the artifact's stem.
fn sign_dmg_into(
    unsigned: &Path,
    dest: &Path,
    key: &super::authenticode_key::AuthenticodeKey,
    identifier: &str,
) -> Result<(), Error> {
    let options = oxdist_signing::apple::AppleSignOptions {
        identifier: identifier.to_string(),
        timestamp: key.timestamp_url.clone(),
        ..Default::default()
    };
    sign_into(unsigned, dest, |bytes| {
        oxdist_signing::apple::sign_dmg(bytes, Some(&key.signer), &options).map_err(|source| Error::AppleSign {
            path: dest.to_path_buf(),
            source,
        })
    })
}

/// Signs the MSI at `unsigned` with Authenticode and writes the result to
/// `dest` atomically.
fn sign_msi_into(
    unsigned: &Path,
    dest: &Path,
    key: &super::authenticode_key::AuthenticodeKey,
    options: &oxdist_signing::authenticode::SignOptions,
) -> Result<(), Error> {
    sign_into(unsigned, dest, |bytes| {
        oxdist_signing::authenticode::sign_msi(bytes, &key.signer, options).map_err(|source| Error::Authenticode {
            path: unsigned.to_path_buf(),
            source,
        })
    })
}

/// Reads the unsigned artifact from the build directory, signs it and
/// writes it to `dest` atomically: `dest` never holds an unsigned or
/// half-signed file.
fn sign_into(unsigned: &Path, dest: &Path, sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, Error>) -> Result<(), Error> {
    let bytes = std::fs::read(unsigned).map_err(|source| Error::Io {
        path: unsigned.to_path_buf(),
        source,
    })?;
    let signed = sign(&bytes)?;
    oxdist_installers::output::write_atomically(dest, |out| {
        use std::io::Write;
        out.write_all(&signed)
            .map_err(|source| oxdist_installers::output::OutputError::Write {
                path: dest.to_path_buf(),
                source,
            })
    })?;
    let _ = std::fs::remove_file(unsigned);
    Ok(())
}

/// The MSI's file name: `msi_filename`, else `NAME-VERSION-TRIPLE.msi`.
fn msi_file_name_of(output: &TargetOutput, metadata: &PackageMetadata) -> Result<String, Error> {
    if let TargetOutput::Msi(msi) = output
        && let Some(name) = &msi.file_name
    {
        return Ok(name.clone());
    }
    Ok(msi_file_name(&msi_metadata(output, metadata)?)?)
}

/// Where the notices go in every artifact: the top of the install tree.
const NOTICES: &str = "THIRD-PARTY-NOTICES.txt";

/// `manifest` with the third-party notices (`THIRD-PARTY-NOTICES.txt` and
/// `.html`) and the components' license texts (`licenses/…`) at its top,
/// and the manifest path of the text notices; unchanged when the audit
/// found no third-party component.
fn with_notices(
    mut manifest: FileManifest,
    audit: &oxdist_licenses::Audit,
) -> Result<(FileManifest, Option<String>), Error> {
    use oxdist_installers::{FileEntry, ManifestPath};
    use oxdist_licenses::notices::{license_files, notices_html, notices_text};

    if audit
        .components
        .iter()
        .all(|c| c.kind == oxdist_licenses::ComponentKind::Application)
    {
        return Ok((manifest, None));
    }
    let notices = |e: oxdist_licenses::notices::NoticesError| Error::Notices(e.to_string());
    let mut files = vec![
        (NOTICES.to_string(), notices_text(audit).map_err(notices)?),
        (
            "THIRD-PARTY-NOTICES.html".to_string(),
            notices_html(audit).map_err(notices)?,
        ),
    ];
    files.extend(
        license_files(audit)
            .into_iter()
            .map(|(path, text)| (format!("licenses/{path}"), text)),
    );
    for (path, text) in files {
        manifest.add_file(
            ManifestPath::new(&path)?,
            FileEntry::from_bytes(text.into_bytes(), false, "the license audit".to_string()),
        )?;
    }
    Ok((manifest, Some(NOTICES.to_string())))
}

/// The deb/rpm settings: the target's `LinuxPackageBuilder`, or defaults;
/// with the defaults that depend on the contents and metadata filled in.
fn linux_spec(output: &TargetOutput, manifest: &FileManifest, metadata: &PackageMetadata) -> LinuxPackageSpec {
    let (mut spec, bin_links_set) = match output {
        TargetOutput::LinuxPackage(package) => (package.spec.clone(), package.bin_links_set),
        _ => (LinuxPackageSpec::default(), false),
    };
    if !bin_links_set {
        spec.bin_links = default_bin_links(manifest);
    }
    spec.lintian_overrides
        .extend(extension_module_overrides(manifest, &spec.prefix_for(&metadata.name)));
    let author = metadata
        .maintainer
        .clone()
        .or_else(|| metadata.vendor.clone())
        .unwrap_or_else(|| format!("{} maintainers", metadata.name));
    for entry in &mut spec.changelog {
        if entry.author.is_empty() {
            entry.author = author.clone();
        }
    }
    spec
}

/// lintian overrides for CPython extension modules installed beside an
/// executable. They are loaded into a process that already has libpython
/// and libc (the executable exports both), so some declare no libraries at
/// all, and CPython links its own copy of expat into `pyexpat`; lintian
/// flags all three as errors or warnings meant for public libraries.
fn extension_module_overrides(manifest: &FileManifest, prefix: &str) -> Vec<String> {
    let dirs: std::collections::BTreeSet<String> = manifest
        .entries()
        .map(|(path, _)| path.as_str())
        .filter(|path| path.ends_with(".so") && (path.contains(".cpython-") || path.contains(".abi3.")))
        .map(|path| {
            path.rsplit_once('/')
                .map_or(String::new(), |(dir, _)| format!("{dir}/"))
        })
        .collect();
    if dirs.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        "# CPython extension modules get libpython's and libc's symbols from the".to_string(),
        "# executable that loads them; some declare no library of their own, and".to_string(),
        "# pyexpat carries CPython's bundled copy of expat.".to_string(),
    ];
    for dir in dirs {
        lines.push(format!("library-not-linked-against-libc [{prefix}/{dir}*]"));
        lines.push(format!("shared-library-lacks-prerequisites [{prefix}/{dir}*]"));
        lines.push(format!("embedded-library expat [{prefix}/{dir}pyexpat*]"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_parsed_and_deduplicated() {
        let args: Vec<String> = ["tar.zst", "zip", "tar.zst"].map(String::from).to_vec();
        assert_eq!(
            parse_formats(&args).unwrap(),
            vec![
                PackageFormat::Archive(ArchiveFormat::TarZst),
                PackageFormat::Archive(ArchiveFormat::Zip)
            ]
        );
        let args: Vec<String> = ["rpm", "deb", "rpm"].map(String::from).to_vec();
        assert_eq!(
            parse_formats(&args).unwrap(),
            vec![PackageFormat::Rpm, PackageFormat::Deb]
        );
        let args: Vec<String> = ["msi", "deb", "msi"].map(String::from).to_vec();
        assert_eq!(
            parse_formats(&args).unwrap(),
            vec![PackageFormat::Msi, PackageFormat::Deb]
        );
        let args: Vec<String> = ["dmg", "app", "dmg"].map(String::from).to_vec();
        assert_eq!(
            parse_formats(&args).unwrap(),
            vec![PackageFormat::Dmg, PackageFormat::App]
        );
        let err = parse_formats(&["rar".to_string()]).unwrap_err().to_string();
        assert!(err.contains("unknown archive format \"rar\""), "{err}");
    }
}
