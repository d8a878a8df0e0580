//! Per-evaluation state of a configuration file: registered targets, their
//! cached results, the build path and the package metadata.
//!
//! It lives on the Starlark heap as the module's "extra value" so that the
//! target functions and results it holds are ordinary traced values; native
//! functions reach it through [`ConfigState::get`].

use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;

use allocative::Allocative;
use oxdist_installers::PackageMetadata;
use starlark::any::ProvidesStaticType;
use starlark::eval::Evaluator;
use starlark::values::{NoSerialize, StarlarkValue, Trace, Value, ValueLike, starlark_value};

use super::DialectError;

/// A target registered with `register_target`.
#[derive(Trace, Allocative, Debug)]
pub(crate) struct Target<'v> {
    #[trace(unsafe_ignore)]
    pub name: String,
    pub func: Value<'v>,
    #[trace(unsafe_ignore)]
    pub depends: Vec<String>,
    #[trace(unsafe_ignore)]
    pub default: bool,
    #[trace(unsafe_ignore)]
    pub default_build_script: bool,
    /// Set once the target function has returned.
    pub result: Option<Value<'v>>,
    /// True while the target function runs, to report dependency cycles.
    #[trace(unsafe_ignore)]
    pub resolving: bool,
}

/// What the caller of the evaluation asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolve {
    /// Resolve these targets, in order.
    Targets(Vec<String>),
    /// Resolve the default target.
    Default,
    /// Resolve nothing (e.g. `oxdist list-targets`).
    Nothing,
}

/// Settings that are not Starlark values.
#[derive(Debug, Allocative)]
pub(crate) struct Settings {
    /// Directory of the configuration file: `CWD`, and the base of relative paths.
    pub config_dir: PathBuf,
    pub build_path: PathBuf,
    /// Set once something has used the build path; `set_build_path` must come first.
    pub build_path_used: bool,
    #[allocative(skip)]
    pub metadata: Option<PackageMetadata>,
    #[allocative(skip)]
    pub resolve: Resolve,
    /// Targets resolved because they were requested, in request order.
    pub resolved_requested: Vec<String>,
    pub resolve_targets_called: bool,
    /// `--python PATH`: the host interpreter to use.
    pub python: Option<PathBuf>,
    /// Distributions loaded so far, by what identifies them.
    #[allocative(skip)]
    pub distributions:
        std::collections::BTreeMap<String, std::sync::Arc<crate::python::distribution::PythonDistribution>>,
    /// `pip_install` calls so far, naming their target directories.
    pub pip_installs: usize,
    /// `set_license_policy`, once.
    #[allocative(skip)]
    pub license_policy: Option<oxdist_licenses::policy::LicensePolicy>,
    /// `clarify_license` calls, in order.
    #[allocative(skip)]
    pub clarifications: Vec<oxdist_licenses::policy::Clarification>,
    /// Set by the first `to_python_executable`, whose extension module
    /// filter has read the clarifications: later ones would come too late.
    pub executables_created: bool,
    /// The `CodeSigner` whose `activate()` was called.
    #[allocative(skip)]
    pub code_signer: Option<super::code_signing::ConfiguredSigner>,
}

impl Settings {
    /// The policy the configuration set (or the default) with its clarifications.
    pub fn license_policy(&self) -> oxdist_licenses::policy::LicensePolicy {
        let mut policy = self.license_policy.clone().unwrap_or_default();
        policy.clarifications.extend(self.clarifications.iter().cloned());
        policy
    }
}

#[derive(ProvidesStaticType, Trace, Allocative, NoSerialize)]
pub(crate) struct ConfigState<'v> {
    pub targets: RefCell<Vec<Target<'v>>>,
    #[trace(unsafe_ignore)]
    pub settings: RefCell<Settings>,
}

impl fmt::Debug for ConfigState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfigState")
    }
}

impl fmt::Display for ConfigState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<config state>")
    }
}

#[starlark_value(type = "ConfigState")]
impl<'v> StarlarkValue<'v> for ConfigState<'v> {}

impl<'v> ConfigState<'v> {
    pub fn new(settings: Settings) -> Self {
        Self {
            targets: RefCell::new(Vec::new()),
            settings: RefCell::new(settings),
        }
    }

    /// The state of the module being evaluated.
    pub fn get(eval: &Evaluator<'v, '_, '_>) -> anyhow::Result<&'v ConfigState<'v>> {
        eval.module()
            .extra_value()
            .and_then(|v| v.downcast_ref::<ConfigState<'v>>())
            .ok_or_else(|| anyhow::anyhow!("internal error: configuration state is missing"))
    }

    /// Names of registered targets, in registration order.
    pub fn target_names(&self) -> Vec<String> {
        self.targets.borrow().iter().map(|t| t.name.clone()).collect()
    }

    /// The default target: the last one registered with `default=True`, else the first one.
    pub fn default_target(&self) -> Option<String> {
        let targets = self.targets.borrow();
        targets
            .iter()
            .rev()
            .find(|t| t.default)
            .or_else(|| targets.first())
            .map(|t| t.name.clone())
    }

    /// The default build-script target: the last with `default_build_script=True`, else the default target.
    pub fn default_build_script_target(&self) -> Option<String> {
        let targets = self.targets.borrow();
        match targets.iter().rev().find(|t| t.default_build_script) {
            Some(t) => Some(t.name.clone()),
            None => {
                drop(targets);
                self.default_target()
            }
        }
    }

    /// Resolves `name`: runs its dependencies, then its function, once.
    pub fn resolve(&self, name: &str, eval: &mut Evaluator<'v, '_, '_>) -> starlark::Result<Value<'v>> {
        let (func, depends) = {
            let mut targets = self.targets.borrow_mut();
            let Some(target) = targets.iter_mut().find(|t| t.name == name) else {
                let known: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
                return Err(anyhow::Error::from(DialectError::UnknownTarget {
                    name: name.to_string(),
                    known,
                })
                .into());
            };
            if let Some(result) = target.result {
                return Ok(result);
            }
            if target.resolving {
                return Err(anyhow::Error::from(DialectError::TargetCycle(name.to_string())).into());
            }
            target.resolving = true;
            (target.func, target.depends.clone())
        };
        let outcome = (|| {
            let mut args = Vec::with_capacity(depends.len());
            for dep in &depends {
                args.push(self.resolve(dep, eval)?);
            }
            eval.eval_function(func, &args, &[])
        })();
        let mut targets = self.targets.borrow_mut();
        let target = targets
            .iter_mut()
            .find(|t| t.name == name)
            .expect("targets are never removed");
        target.resolving = false;
        let value = outcome?;
        target.result = Some(value);
        Ok(value)
    }

    /// Resolves what the command line asked for (`resolve_targets()`).
    pub fn resolve_requested(&self, eval: &mut Evaluator<'v, '_, '_>) -> starlark::Result<()> {
        let requested = {
            let mut settings = self.settings.borrow_mut();
            settings.resolve_targets_called = true;
            settings.resolve.clone()
        };
        let names = match requested {
            Resolve::Nothing => Vec::new(),
            Resolve::Targets(names) => names,
            Resolve::Default => match self.default_target() {
                Some(name) => vec![name],
                None => return Err(anyhow::Error::from(DialectError::NoTargets).into()),
            },
        };
        let known = self.target_names();
        if let Some(unknown) = names.iter().find(|n| !known.contains(n)) {
            return Err(anyhow::Error::from(DialectError::UnknownTarget {
                name: unknown.clone(),
                known,
            })
            .into());
        }
        for name in names {
            self.resolve(&name, eval)?;
            let mut settings = self.settings.borrow_mut();
            if !settings.resolved_requested.contains(&name) {
                settings.resolved_requested.push(name);
            }
        }
        Ok(())
    }
}
