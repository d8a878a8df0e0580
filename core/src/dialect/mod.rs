//! The Starlark dialect: evaluates an `oxdist.star` (or `pyoxidizer.bzl`) file.
//!
//! A configuration registers named targets (`register_target`) and calls
//! `resolve_targets()`, which runs the targets the command line asked for —
//! each target function receiving its dependencies' results, in order — and
//! caches every result. [`evaluate`] returns those results as Rust values
//! ([`TargetOutput`]) for the commands to act on.
//!
//! Compatibility target: PyOxidizer's documented `pyoxidizer.bzl` API.
//! Names we do not implement yet exist and fail with `not supported yet: NAME`.

pub mod code_signing;
mod executable;
mod file_manifest;
mod globals;
mod interpreter_config;
mod licenses;
pub mod linux_package;
pub mod macos;
pub mod msi;
mod python;
mod state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oxdist_installers::{FileManifest, PackageMetadata};
use starlark::environment::{GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::Evaluator;
use starlark::syntax::{AstModule, Dialect};
use starlark::values::Value;
use starlark::values::dict::AllocDict;

pub use globals::NOT_SUPPORTED_YET;
pub use state::Resolve;
use state::{ConfigState, Settings};

/// Errors raised while evaluating a configuration.
#[derive(Debug, thiserror::Error)]
pub enum DialectError {
    #[error("cannot read configuration {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// A syntax or evaluation error, already rendered with file:line:column and call stack.
    #[error("{0}")]
    Starlark(String),
    #[error("unknown target {name:?}; {}", known_targets_hint(known))]
    UnknownTarget { name: String, known: Vec<String> },
    #[error("target {0:?} depends on itself (directly or through its dependencies)")]
    TargetCycle(String),
    #[error("target {0:?} is registered twice; target names must be unique")]
    DuplicateTarget(String),
    #[error("register_target({name:?}, ...): the second argument must be a function, not {type_name}")]
    NotCallable { name: String, type_name: String },
    #[error("no targets are registered; add register_target(\"NAME\", function) to the configuration")]
    NoTargets,
    #[error("set_build_path() must be called before anything uses the build path")]
    BuildPathUsed,
    #[error("set_package_metadata() was already called; declare the package metadata once")]
    MetadataTwice,
    #[error("not supported yet: {0}")]
    NotSupported(String),
    #[error("cannot read {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{} is not a regular file", .0.display())]
    NotAFile(PathBuf),
    #[error("{} is a directory; add its files with glob([\"DIR/**/*\"], strip_prefix=\"DIR/\")", .0.display())]
    IsDirectory(PathBuf),
    #[error("invalid glob pattern {pattern:?}: {message}")]
    GlobPattern { pattern: String, message: String },
    #[error(
        "{} does not start with strip_prefix {prefix:?}; without a matching prefix it would be installed at an absolute path",
        path.display()
    )]
    StripPrefix { path: PathBuf, prefix: String },
    #[error("invalid install path {0:?}: {1}; give a path relative to the build path")]
    InstallPath(String, String),
}

fn known_targets_hint(known: &[String]) -> String {
    if known.is_empty() {
        "the configuration registers no targets".to_string()
    } else {
        format!("known targets: {}", known.join(", "))
    }
}

/// What to evaluate and what to resolve.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub config_path: PathBuf,
    /// `VARS`: from `--var NAME VALUE` (Some) and `--var-env NAME ENV` (None when unset).
    pub vars: BTreeMap<String, Option<String>>,
    pub resolve: Resolve,
    /// `--python PATH`: the host interpreter for `default_python_distribution()`.
    pub python: Option<PathBuf>,
    /// The configuration's text when it is not read from `config_path`:
    /// zero-config's, generated from the `pyproject.toml` at `config_path`
    /// (whose directory is then `CWD`).
    pub source: Option<String>,
}

/// A registered target, as `list-targets` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TargetInfo {
    pub name: String,
    pub depends: Vec<String>,
    pub default: bool,
    pub default_build_script: bool,
}

/// What a resolved target returned, converted out of Starlark.
#[derive(Clone, Debug)]
pub enum TargetOutput {
    FileManifest(FileManifest),
    /// A `PythonExecutable`, built by the build action.
    Executable(crate::embedding::executable::ExecutableSpec),
    /// A `PythonEmbeddedResources`: the packed resources without a launcher.
    EmbeddedResources(crate::embedding::executable::ExecutableSpec),
    /// A `LinuxPackageBuilder`: contents and deb/rpm settings.
    LinuxPackage(Box<linux_package::LinuxPackageTarget>),
    /// A `WiXMSIBuilder`: the installation folder's contents and MSI settings.
    Msi(Box<msi::MsiTarget>),
    /// A `MacOsApplicationBundleBuilder`: the bundle's parts and Info.plist keys.
    AppBundle(Box<macos::AppBundleTarget>),
    /// The function returned `None`: nothing to build.
    None,
    /// A value with no build action yet; the string is its Starlark type.
    Other(String),
}

/// The outcome of evaluating a configuration.
#[derive(Debug)]
pub struct Evaluation {
    pub config_path: PathBuf,
    pub targets: Vec<TargetInfo>,
    pub default_target: Option<String>,
    pub default_build_script_target: Option<String>,
    /// Requested targets and their results, in request order.
    pub outputs: Vec<(String, TargetOutput)>,
    pub metadata: Option<PackageMetadata>,
    pub build_path: PathBuf,
    /// For each of `outputs`, the executables its result contains (a
    /// `PythonExecutable` itself, those installed into a FileManifest or
    /// packaged by a LinuxPackageBuilder): what the license audit reads.
    pub executables: Vec<Vec<crate::embedding::executable::ExecutableSpec>>,
    /// `set_license_policy` and `clarify_license`, or the default policy.
    pub license_policy: oxdist_licenses::policy::LicensePolicy,
    /// The code signer the configuration activated, if any.
    pub code_signer: Option<code_signing::ConfiguredSigner>,
}

fn globals() -> starlark::environment::Globals {
    use LibraryExtension::*;
    GlobalsBuilder::extended_by(&[StructType, Print, Json, Map, Filter, Partial, SetType, Typing])
        .with(globals::target_globals)
        .with(file_manifest::file_manifest_globals)
        .with(python::python_globals)
        .with(linux_package::linux_package_globals)
        .with(msi::msi_globals)
        .with(macos::macos_globals)
        .with(licenses::license_globals)
        .with(code_signing::code_signing_globals)
        .with(globals::not_supported_globals)
        .build()
}

/// Evaluates the configuration and resolves what `options.resolve` asks for.
pub fn evaluate(options: &EvalOptions) -> Result<Evaluation, DialectError> {
    let config_path = std::path::absolute(&options.config_path).unwrap_or_else(|_| options.config_path.clone());
    let source = match &options.source {
        Some(source) => source.clone(),
        None => std::fs::read_to_string(&config_path).map_err(|e| DialectError::Read {
            path: config_path.clone(),
            message: e.to_string(),
        })?,
    };
    let config_dir = config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let display_name = match options.source {
        Some(_) => format!("{} (zero-config)", options.config_path.display()),
        None => options.config_path.display().to_string(),
    };
    let ast = AstModule::parse(&display_name, source, &Dialect::Extended).map_err(render)?;

    Module::with_temp_heap(|module| {
        let heap = module.heap();
        let vars: Vec<(&str, Value)> = options
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref().map_or(Value::new_none(), |s| heap.alloc(s))))
            .collect();
        module.set("VARS", heap.alloc(AllocDict(vars)));
        module.set("CWD", heap.alloc(config_dir.to_string_lossy().as_ref()));
        module.set("CONFIG_PATH", heap.alloc(config_path.to_string_lossy().as_ref()));
        module.set("BUILD_TARGET_TRIPLE", heap.alloc(crate::HOST_TRIPLE));
        let settings = Settings {
            config_dir: config_dir.clone(),
            build_path: config_dir.join("build"),
            build_path_used: false,
            metadata: None,
            resolve: options.resolve.clone(),
            resolved_requested: Vec::new(),
            resolve_targets_called: false,
            python: options.python.clone(),
            distributions: Default::default(),
            pip_installs: 0,
            license_policy: None,
            clarifications: Vec::new(),
            executables_created: false,
            code_signer: None,
        };
        module.set_extra_value(heap.alloc_complex_no_freeze(ConfigState::new(settings)));

        let globals = globals();
        let mut eval = Evaluator::new(&module);
        // Target functions and results are held by the state outside the
        // evaluator's view of the stack; never collect them.
        eval.disable_gc();
        eval.eval_module(ast, &globals).map_err(render)?;

        let state = ConfigState::get(&eval).map_err(|e| DialectError::Starlark(e.to_string()))?;
        // A configuration that forgets `resolve_targets()` still builds what was asked.
        if !state.settings.borrow().resolve_targets_called && state.settings.borrow().resolve != Resolve::Nothing {
            state.resolve_requested(&mut eval).map_err(render)?;
        }

        let settings = state.settings.borrow();
        let targets = state
            .targets
            .borrow()
            .iter()
            .map(|t| TargetInfo {
                name: t.name.clone(),
                depends: t.depends.clone(),
                default: t.default,
                default_build_script: t.default_build_script,
            })
            .collect();
        let results: Vec<(String, Option<Value>)> = settings
            .resolved_requested
            .iter()
            .map(|name| {
                let value = state
                    .targets
                    .borrow()
                    .iter()
                    .find(|t| &t.name == name)
                    .and_then(|t| t.result);
                (name.clone(), value)
            })
            .collect();
        let executables = results
            .iter()
            .map(|(_, value)| value.map(executables_of).unwrap_or_default())
            .collect();
        let outputs = results
            .into_iter()
            .map(|(name, value)| (name, value.map_or(TargetOutput::None, to_output)))
            .collect();
        Ok(Evaluation {
            config_path,
            targets,
            default_target: state.default_target(),
            default_build_script_target: state.default_build_script_target(),
            outputs,
            metadata: settings.metadata.clone(),
            build_path: settings.build_path.clone(),
            executables,
            license_policy: settings.license_policy(),
            code_signer: settings.code_signer.clone(),
        })
    })
}

/// The executables a target's result contains.
fn executables_of(value: Value<'_>) -> Vec<crate::embedding::executable::ExecutableSpec> {
    if let Some(specs) = file_manifest::manifest_executables_of(value) {
        specs
    } else if let Some(spec) = executable::executable_of(value).or_else(|| executable::embedded_resources_of(value)) {
        vec![spec]
    } else if let Some(package) = linux_package::linux_package_of(value) {
        package.executables
    } else if let Some(msi) = msi::msi_of(value) {
        msi.executables
    } else if let Some(bundle) = macos::app_bundle_of(value) {
        bundle.executables
    } else {
        Vec::new()
    }
}

fn to_output(value: Value<'_>) -> TargetOutput {
    if value.is_none() {
        TargetOutput::None
    } else if let Some(manifest) = file_manifest::manifest_of(value) {
        TargetOutput::FileManifest(manifest)
    } else if let Some(spec) = executable::executable_of(value) {
        TargetOutput::Executable(spec)
    } else if let Some(package) = linux_package::linux_package_of(value) {
        TargetOutput::LinuxPackage(Box::new(package))
    } else if let Some(msi) = msi::msi_of(value) {
        TargetOutput::Msi(Box::new(msi))
    } else if let Some(bundle) = macos::app_bundle_of(value) {
        TargetOutput::AppBundle(Box::new(bundle))
    } else if let Some(spec) = executable::embedded_resources_of(value) {
        TargetOutput::EmbeddedResources(spec)
    } else {
        TargetOutput::Other(value.get_type().to_string())
    }
}

/// Renders a Starlark error with its location, source excerpt and call stack.
fn render(error: starlark::Error) -> DialectError {
    let text = format!("{error:#}");
    // The command prefixes "error: " itself; frames for functions called from
    // Rust (target functions) carry no information.
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let lines: Vec<&str> = text.lines().filter(|l| l.trim() != "File <builtin>, in None").collect();
    DialectError::Starlark(lines.join("\n").trim_end().to_string())
}

pub(crate) use file_manifest::count_entries;
