//! Failures of an oxdist command and the exit codes they map to.

use std::path::PathBuf;

use oxdist_installers::deb::DebError;
use oxdist_installers::msi::MsiError;
use oxdist_installers::output::OutputError;
use oxdist_installers::rpm::RpmError;
use oxdist_installers::{ArchiveError, ManifestError};

use crate::dialect::DialectError;

/// Exit codes, documented in `docs/reference/cli.md`.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Producing an artifact failed (I/O, archive writing).
    pub const BUILD: i32 = 1;
    /// The command line or environment is wrong (unknown option or format, bad `SOURCE_DATE_EPOCH`).
    pub const USAGE: i32 = 2;
    /// The configuration is wrong: not found, syntax or evaluation error, unknown target, invalid metadata or paths.
    pub const CONFIG: i32 = 3;
    /// An input named on the command line is unusable: a Python interpreter, distribution archive, wheel or directory.
    pub const INPUT: i32 = 4;
    /// The license policy is violated (`oxdist licenses --check`, `oxdist package`).
    pub const LICENSE_POLICY: i32 = 5;
    /// Apple's notary service did not accept the submission (`Invalid`, `Rejected`, still in progress
    /// when the wait ended), or it could not be reached (`oxdist notarize`).
    pub const NOTARY: i32 = 6;
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Dialect(#[from] DialectError),
    #[error(
        "no configuration found: looked for oxdist.star, pyoxidizer.bzl and pyproject.toml (zero-config) in {} and its parents; run `oxdist init` to create one, or pass --config PATH",
        .0.display()
    )]
    ConfigNotFound(PathBuf),
    #[error(transparent)]
    Pyproject(#[from] crate::pyproject::PyprojectError),
    #[error("configuration file {} does not exist", .0.display())]
    ConfigMissing(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error(
        "target {target:?} returned {found}; `oxdist package` needs a target that returns a FileManifest, a PythonExecutable or a LinuxPackageBuilder"
    )]
    NotAManifest { target: String, found: String },
    #[error("target {0:?} returned an empty FileManifest; check its glob patterns and paths")]
    EmptyManifest(String),
    #[error("no package metadata: call set_package_metadata(name=..., version=...) in {}", .0.display())]
    NoMetadata(PathBuf),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Template(#[from] oxdist_templates::TemplateError),
    #[error("{} already exists; choose another directory or remove it", .0.display())]
    AlreadyExists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Host(#[from] crate::python::host::HostError),
    #[error(transparent)]
    Standalone(#[from] crate::python::pbs::PbsError),
    #[error(transparent)]
    Scan(#[from] crate::python::scan::ScanError),
    #[error(transparent)]
    Wheel(#[from] crate::python::wheel::WheelError),
    #[error(transparent)]
    Executable(#[from] crate::embedding::executable::ExecutableError),
    #[error("target {target:?} {problem}; `oxdist run` needs a target that produces one executable")]
    NothingToRun { target: String, problem: String },
    #[error(transparent)]
    Deb(#[from] oxdist_installers::deb::DebError),
    #[error(transparent)]
    Rpm(#[from] oxdist_installers::rpm::RpmError),
    #[error(transparent)]
    Msi(#[from] oxdist_installers::msi::MsiError),
    #[error(transparent)]
    Bundle(#[from] oxdist_installers::macos::bundle::BundleError),
    #[error(transparent)]
    Dmg(#[from] oxdist_installers::macos::dmg::DmgError),
    #[error(transparent)]
    Codesign(#[from] oxdist_installers::macos::codesign::CodesignError),
    #[error("cannot sign {}: {source}", path.display())]
    AppleSign {
        path: PathBuf,
        source: oxdist_signing::apple::AppleSignError,
    },
    #[error(transparent)]
    Notarize(#[from] crate::commands::notarize::NotarizeError),
    #[error(transparent)]
    AuthenticodeKey(#[from] crate::commands::authenticode_key::AuthenticodeKeyError),
    #[error("cannot sign {}: {source}", path.display())]
    Authenticode {
        path: PathBuf,
        source: oxdist_signing::authenticode::AuthenticodeError,
    },
    /// Target settings that contradict each other (found when packaging).
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    SigningKey(#[from] crate::commands::signing_key::KeyError),
    #[error(transparent)]
    Analyze(#[from] oxdist_analyze::AnalyzeError),
    #[error("cannot write the license notices: {0}")]
    Notices(String),
    #[error("cannot read the host's library licenses: {0}")]
    HostLicenses(oxdist_licenses::debian::DebianError),
    #[error("license audit of target {target:?}: {source}")]
    Audit {
        target: String,
        source: Box<crate::licensing::AuditError>,
    },
    #[error(
        "the license policy rejects what target {target:?} ships:\n{table}\nScreen the modules out (make_python_packaging_policy: extension_module_filter = \"no-copyleft\"), clarify a license with clarify_license(NAME, EXPRESSION, reason = ...), exempt a component in set_license_policy(exceptions = {{NAME: REASON}}), or relax the rule; `oxdist licenses` shows every component"
    )]
    LicensePolicy { target: String, table: String },
}

/// deb/rpm/msi failures: writing problems are build failures; everything else
/// (metadata, relationships, paths, versions) is the configuration's.
fn installer_exit_code(build_failure: bool) -> i32 {
    if build_failure { exit::BUILD } else { exit::CONFIG }
}

impl Error {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Output(OutputError::SourceDateEpoch { .. }) => exit::USAGE,
            Error::Dialect(_)
            | Error::ConfigNotFound(_)
            | Error::Pyproject(_)
            | Error::ConfigMissing(_)
            | Error::NotAManifest { .. }
            | Error::EmptyManifest(_)
            | Error::NoMetadata(_)
            | Error::Settings(_)
            | Error::AlreadyExists(_) => exit::CONFIG,
            Error::Archive(ArchiveError::ZipTimestamp(_)) => exit::USAGE,
            Error::Archive(ArchiveError::Manifest(_)) | Error::Manifest(_) => exit::CONFIG,
            Error::Archive(_) | Error::Output(_) | Error::Template(_) | Error::Io { .. } => exit::BUILD,
            // A distribution, wheel or directory named on the command line is bad input.
            Error::Host(_) | Error::Standalone(_) | Error::Scan(_) | Error::Wheel(_) => exit::INPUT,
            Error::Executable(e) => e.exit_code(),
            Error::NothingToRun { .. } => exit::CONFIG,
            Error::Deb(e) => installer_exit_code(matches!(
                e,
                DebError::Io { .. } | DebError::Output(_) | DebError::Sign { .. } | DebError::TooLarge { .. }
            )),
            Error::Rpm(e) => installer_exit_code(matches!(
                e,
                RpmError::Write { .. }
                    | RpmError::Output(_)
                    | RpmError::Build { .. }
                    | RpmError::Sign { .. }
                    | RpmError::Entry { .. }
            )),
            Error::Msi(e) => installer_exit_code(matches!(
                e,
                MsiError::Io { .. } | MsiError::Output(_) | MsiError::Database { .. }
            )),
            Error::Bundle(_) => exit::CONFIG,
            Error::Dmg(e) => installer_exit_code(matches!(
                e,
                oxdist_installers::macos::dmg::DmgError::Compress(_)
                    | oxdist_installers::macos::dmg::DmgError::Output(_)
            )),
            // The key was named on the command line or in the environment.
            Error::AuthenticodeKey(crate::commands::authenticode_key::AuthenticodeKeyError::Arguments(_)) => {
                exit::USAGE
            }
            Error::SigningKey(_) | Error::AuthenticodeKey(_) => exit::INPUT,
            Error::Authenticode { .. } | Error::AppleSign { .. } => exit::BUILD,
            // A file of the bundle cannot be signed as it is (not a Mach-O file the
            // signer can extend, a nested bundle): the configuration's inputs.
            Error::Codesign(oxdist_installers::macos::codesign::CodesignError::Manifest(_)) => exit::BUILD,
            Error::Codesign(_) => exit::CONFIG,
            // `oxdist analyze` reads files named on the command line.
            Error::Analyze(_) => exit::INPUT,
            Error::Audit { source, .. } => match **source {
                crate::licensing::AuditError::Policy(_) | crate::licensing::AuditError::Python(_) => exit::CONFIG,
                _ => exit::BUILD,
            },
            Error::LicensePolicy { .. } => exit::LICENSE_POLICY,
            Error::HostLicenses(_) => exit::INPUT,
            Error::Notices(_) => exit::BUILD,
            Error::Notarize(e) => e.exit_code(),
        }
    }
}
