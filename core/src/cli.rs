//! Command-line arguments and dispatch.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand};

use crate::commands;
use crate::error::{Error, exit};
use crate::report::Reporter;

/// Turn a Python application into executables and installers.
#[derive(Debug, Parser)]
#[command(name = "oxdist", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  producing an artifact failed (I/O, archive writing)
  2  usage error (bad option, unknown format, bad SOURCE_DATE_EPOCH)
  3  configuration error (not found, syntax or evaluation error, unknown target, invalid metadata or paths)
  4  unusable input named on the command line (interpreter, distribution archive, wheel, directory, key)
  5  the license policy is violated (licenses --check, package)
  6  Apple's notary service did not accept the submission or could not be reached (notarize)";

const NOTARIZE_HELP: &str = "\
Needs the network: appstoreconnect.apple.com, S3 in us-west-2 and api.apple-cloudkit.com (tickets).
Apple notarizes Developer ID signatures only: package with a code signer active and a hardened runtime.";

/// Options every command accepts.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Configuration file [default: oxdist.star, else pyoxidizer.bzl, in the current directory or its parents]
    #[arg(long, global = true, env = "OXDIST_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Set VARS["NAME"] = "VALUE" in the configuration
    #[arg(long = "var", global = true, num_args = 2, value_names = ["NAME", "VALUE"], action = ArgAction::Append)]
    pub var: Vec<String>,
    /// Set VARS["NAME"] to the environment variable ENV (None when unset)
    #[arg(long = "var-env", global = true, num_args = 2, value_names = ["NAME", "ENV"], action = ArgAction::Append)]
    pub var_env: Vec<String>,
    /// More detail (repeat for more)
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print a machine-readable summary of what was produced on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Host Python interpreter [default: python3 on PATH]
    #[arg(long, global = true, env = "OXDIST_PYTHON", value_name = "PATH")]
    pub python: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter oxdist.star (and app/) into DIR
    Init {
        /// Directory to initialize [default: .]
        dir: Option<PathBuf>,
        /// Package name [default: the directory's name]
        #[arg(long, conflicts_with = "from_pyproject")]
        name: Option<String>,
        /// Write the configuration zero-config derives from DIR/pyproject.toml, to edit further
        #[arg(long)]
        from_pyproject: bool,
    },
    /// Resolve targets and perform their build actions (install FileManifests under the build path)
    Build {
        /// Targets to build, in order [default: the configuration's default target]
        targets: Vec<String>,
    },
    /// Package a target into distributable artifacts (archives, deb, rpm, msi, app, dmg)
    Package {
        /// Comma-separated formats: tar.gz, tar.xz, tar.zst, zip, deb, rpm, msi, app, dmg
        /// [default, zero-config: pyproject.toml's [tool.oxdist] formats]
        #[arg(long, value_delimiter = ',', value_name = "LIST")]
        format: Vec<String>,
        /// Target to package [default: the configuration's default target]
        #[arg(long)]
        target: Option<String>,
        /// Output directory [default: dist/ beside the configuration]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// OpenPGP secret key to sign deb and rpm packages with (or the key
        /// itself in OXDIST_PGP_KEY; passphrase from OXDIST_PGP_PASSPHRASE or a prompt)
        #[arg(long, value_name = "FILE", env = "OXDIST_PGP_KEY_FILE")]
        pgp_key: Option<PathBuf>,
        /// PKCS#12 (PFX) file to sign MSIs with Authenticode (password from
        /// OXDIST_AUTHENTICODE_PASSWORD or a prompt)
        #[arg(long, value_name = "FILE", env = "OXDIST_AUTHENTICODE_PFX_FILE")]
        authenticode_pfx: Option<PathBuf>,
        /// PEM private key to sign MSIs with Authenticode (with --authenticode-cert)
        #[arg(long, value_name = "FILE", env = "OXDIST_AUTHENTICODE_KEY_FILE")]
        authenticode_key: Option<PathBuf>,
        /// PEM certificate chain for --authenticode-key, the signer's first or anywhere
        #[arg(long, value_name = "FILE", env = "OXDIST_AUTHENTICODE_CERT_FILE")]
        authenticode_cert: Option<PathBuf>,
        /// RFC 3161 timestamp authority for Authenticode signatures (http:// or https://),
        /// e.g. http://timestamp.digicert.com; timestamped artifacts differ per build
        #[arg(long, value_name = "URL", env = "OXDIST_AUTHENTICODE_TIMESTAMP_URL")]
        authenticode_timestamp_url: Option<String>,
        /// PKCS#12 (PFX) file with a Developer ID Application certificate: signs
        /// app bundles and DMGs (password from OXDIST_APPLE_PASSWORD or a prompt)
        #[arg(long, value_name = "FILE", env = "OXDIST_APPLE_PFX_FILE")]
        apple_pfx: Option<PathBuf>,
        /// RFC 3161 timestamp authority for --apple-pfx signatures; notarization
        /// requires one: http://timestamp.apple.com/ts01
        #[arg(long, value_name = "URL", env = "OXDIST_APPLE_TIMESTAMP_URL")]
        apple_timestamp_url: Option<String>,
    },
    /// Build a target, then run the executable it produces
    Run {
        /// Target to run [default: the configuration's default target]
        #[arg(long)]
        target: Option<String>,
        /// Arguments for the executable (after `--`)
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// List the targets the configuration registers
    ListTargets,
    /// Inspect Python distributions
    #[command(subcommand)]
    Distribution(DistributionCommand),
    /// Classify the Python resources in a directory, virtualenv or wheel (for debugging packaging)
    FindResources {
        /// A directory (package root, site-packages), a virtualenv, or a .whl file
        path: PathBuf,
    },
    /// Audit the licenses of what a target ships; gate them with --check
    Licenses {
        /// Target to audit [default: the configuration's default target]
        #[arg(long)]
        target: Option<String>,
        /// Report format
        #[arg(long, value_enum, default_value_t = LicenseFormat::Text)]
        format: LicenseFormat,
        /// Fail (exit 5) when the license policy is violated
        #[arg(long)]
        check: bool,
        /// Write the report to FILE instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Submit a signed DMG or app to Apple's notary service, wait, and staple the ticket
    #[command(after_help = NOTARIZE_HELP)]
    Notarize {
        /// A signed .dmg, a .app.zip from `package --format app`, or a .app directory
        path: PathBuf,
        /// App Store Connect API issuer ID (Users and Access → Integrations)
        #[arg(long, env = "OXDIST_NOTARY_ISSUER", value_name = "UUID")]
        issuer: Option<String>,
        /// App Store Connect API key ID (the KEYID of AuthKey_KEYID.p8)
        #[arg(long, env = "OXDIST_NOTARY_KEY_ID", value_name = "ID")]
        key_id: Option<String>,
        /// The API key's AuthKey_KEYID.p8 file (or its text in OXDIST_NOTARY_KEY)
        #[arg(long, env = "OXDIST_NOTARY_KEY_FILE", value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Submit, print the submission ID and stop (staple later with --staple-only)
        #[arg(long, conflicts_with_all = ["staple_only", "no_staple"])]
        no_wait: bool,
        /// Wait for the verdict but do not staple the ticket
        #[arg(long, conflicts_with = "staple_only")]
        no_staple: bool,
        /// Do not submit: staple the ticket of an accepted submission (no key needed)
        #[arg(long)]
        staple_only: bool,
        /// Give up waiting for the verdict after this many minutes
        #[arg(long, value_name = "MINUTES", default_value_t = 60)]
        timeout: u64,
    },
    /// Report what binaries need to run: libraries, minimum glibc/macOS/Windows, manylinux verdict
    Analyze {
        /// ELF, PE or Mach-O files
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DistributionCommand {
    /// Describe a distribution: version, ABI, libpython, extension modules
    Info {
        /// A python-build-standalone archive (.tar.zst, .tar.gz); omit with --host
        archive: Option<PathBuf>,
        /// Describe the host interpreter (see --python)
        #[arg(long, conflicts_with = "archive")]
        host: bool,
        /// Expected sha256 of the archive
        #[arg(long, requires = "archive")]
        sha256: Option<String>,
    },
    /// Extract a python-build-standalone archive into DEST
    Extract { archive: PathBuf, dest: PathBuf },
    /// List each extension module's linked libraries and their licenses
    Licenses {
        /// A python-build-standalone archive (.tar.zst, .tar.gz); omit with --host
        archive: Option<PathBuf>,
        /// Describe the host interpreter (see --python)
        #[arg(long, conflicts_with = "archive")]
        host: bool,
        /// Expected sha256 of the archive
        #[arg(long, requires = "archive")]
        sha256: Option<String>,
    },
}

/// `oxdist licenses --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LicenseFormat {
    /// A summary and a table for people
    Text,
    /// Components, provenance and verdict as JSON
    Json,
    /// An SPDX 2.3 JSON document
    Spdx,
    /// A CycloneDX 1.6 JSON BOM
    Cyclonedx,
}

impl GlobalArgs {
    /// `VARS` from `--var` and `--var-env`; defining a name twice is an error.
    pub fn vars(&self) -> Result<BTreeMap<String, Option<String>>, Error> {
        let mut vars = BTreeMap::new();
        let pairs = self.var.chunks(2).map(|p| (p[0].clone(), Some(p[1].clone()))).chain(
            self.var_env
                .chunks(2)
                .map(|p| (p[0].clone(), std::env::var(&p[1]).ok())),
        );
        for (name, value) in pairs {
            if vars.insert(name.clone(), value).is_some() {
                return Err(Error::Usage(format!(
                    "variable {name:?} is defined twice by --var/--var-env"
                )));
            }
        }
        Ok(vars)
    }

    pub fn reporter(&self) -> Reporter {
        Reporter::new(if self.quiet { -1 } else { self.verbose.min(100) as i8 })
    }
}

/// Runs oxdist with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return code;
        }
    };
    match run(&cli) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<(), Error> {
    let reporter = cli.global.reporter();
    match &cli.command {
        Command::Init {
            dir,
            name,
            from_pyproject,
        } => commands::init::run(dir.as_deref(), name.as_deref(), *from_pyproject, &cli.global, &reporter),
        Command::Build { targets } => commands::build::run(targets, &cli.global, &reporter),
        Command::Package {
            format,
            target,
            out,
            pgp_key,
            authenticode_pfx,
            authenticode_key,
            authenticode_cert,
            authenticode_timestamp_url,
            apple_pfx,
            apple_timestamp_url,
        } => commands::package::run(
            &commands::package::PackageArgs {
                formats: format,
                target: target.as_deref(),
                out: out.as_deref(),
                pgp_key: pgp_key.as_deref(),
                authenticode: commands::authenticode_key::KeySource {
                    pfx: authenticode_pfx.as_deref(),
                    key: authenticode_key.as_deref(),
                    cert: authenticode_cert.as_deref(),
                },
                authenticode_timestamp_url: authenticode_timestamp_url.as_deref(),
                apple_pfx: apple_pfx.as_deref(),
                apple_timestamp_url: apple_timestamp_url.as_deref(),
            },
            &cli.global,
            &reporter,
        ),
        Command::ListTargets => commands::list_targets::run(&cli.global),
        Command::Run { target, args } => commands::run::run(target.as_deref(), args, &cli.global, &reporter),
        Command::Distribution(DistributionCommand::Info { archive, host, sha256 }) => {
            commands::distribution::info(archive.as_deref(), *host, sha256.as_deref(), &cli.global)
        }
        Command::Distribution(DistributionCommand::Extract { archive, dest }) => {
            commands::distribution::extract(archive, dest, &reporter)
        }
        Command::Distribution(DistributionCommand::Licenses { archive, host, sha256 }) => {
            commands::distribution::licenses(archive.as_deref(), *host, sha256.as_deref(), &cli.global)
        }
        Command::Licenses {
            target,
            format,
            check,
            out,
        } => commands::licenses::run(
            &commands::licenses::LicensesArgs {
                target: target.as_deref(),
                format: *format,
                check: *check,
                out: out.as_deref(),
            },
            &cli.global,
            &reporter,
        ),
        Command::FindResources { path } => commands::find_resources::run(path, &cli.global),
        Command::Analyze { paths } => commands::analyze::run(paths, &cli.global),
        Command::Notarize {
            path,
            issuer,
            key_id,
            key_file,
            no_wait,
            no_staple,
            staple_only,
            timeout,
        } => commands::notarize::run(
            &commands::notarize::NotarizeArgs {
                path,
                issuer: issuer.as_deref(),
                key_id: key_id.as_deref(),
                key_file: key_file.as_deref(),
                no_wait: *no_wait,
                no_staple: *no_staple,
                staple_only: *staple_only,
                timeout: std::time::Duration::from_secs(timeout.saturating_mul(60)),
            },
            &reporter,
        ),
    }
}
