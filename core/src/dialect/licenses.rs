//! `set_license_policy()` and `clarify_license()`: the license gate's
//! configuration (an oxdist addition; PyOxidizer had only the extension
//! module filter).
//!
//! ```python
//! set_license_policy(
//!     deny = ["SSPL-1.0"],
//!     copyleft = "deny",          # strong and network copyleft
//!     weak_copyleft = "warn",     # LGPL, MPL, EPL, …
//!     unknown = "deny",           # no machine-readable license
//!     exceptions = {"certifi": "MPL-2.0 data file, unmodified"},
//! )
//! clarify_license("libcrypt1", "LGPL-2.1-or-later",
//!     reason = "copyright file is free text; upstream COPYING.LIB is LGPL 2.1+")
//! ```

use std::collections::BTreeMap;

use oxdist_licenses::policy::{Clarification, LicensePolicy, Rule};
use oxdist_licenses::{LicenseExpression, LicenseText};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::dict::UnpackDictEntries;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::NoneType;

use super::file_manifest::config_relative;
use super::state::ConfigState;

fn rule(setting: &str, value: &str) -> anyhow::Result<Rule> {
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("{setting} = {value:?}: expected \"allow\", \"warn\" or \"deny\""))
}

#[starlark_module]
pub(crate) fn license_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// Sets the license gate `oxdist licenses --check` and `oxdist package` apply.
    fn set_license_policy<'v>(
        #[starlark(require = named, default = UnpackListOrTuple::default())] allow: UnpackListOrTuple<String>,
        #[starlark(require = named, default = UnpackListOrTuple::default())] deny: UnpackListOrTuple<String>,
        #[starlark(require = named, default = "deny")] copyleft: &str,
        #[starlark(require = named, default = "warn")] weak_copyleft: &str,
        #[starlark(require = named, default = "deny")] unknown: &str,
        #[starlark(require = named, default = UnpackDictEntries::default())] exceptions: UnpackDictEntries<
            String,
            String,
        >,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let policy = LicensePolicy {
            allow: allow.items,
            deny: deny.items,
            copyleft: rule("copyleft", copyleft)?,
            weak_copyleft: rule("weak_copyleft", weak_copyleft)?,
            unknown: rule("unknown", unknown)?,
            exceptions: exceptions.entries.into_iter().collect::<BTreeMap<_, _>>(),
            clarifications: Vec::new(),
        };
        policy.validate()?;
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        if settings.license_policy.is_some() {
            anyhow::bail!("set_license_policy() was already called; declare the license policy once");
        }
        settings.license_policy = Some(policy);
        Ok(NoneType)
    }

    /// Overrides what the audit found for `component` (a name such as
    /// `libcrypt1`, `tqdm`, `readline`, or an id such as `library:libcrypt1`).
    fn clarify_license<'v>(
        component: &str,
        expression: &str,
        #[starlark(require = named)] reason: &str,
        #[starlark(require = named, default = UnpackListOrTuple::default())] license_files: UnpackListOrTuple<String>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        if reason.trim().is_empty() {
            anyhow::bail!(
                "clarify_license({component:?}, …): reason must say why the clarification is right (e.g. where the license was checked)"
            );
        }
        let expression = LicenseExpression::parse(expression)
            .map_err(|e| anyhow::anyhow!("clarify_license({component:?}, {expression:?}): {e}"))?;
        let mut texts = Vec::new();
        for file in license_files.items {
            let path = config_relative(eval, &file)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("clarify_license({component:?}): cannot read {}: {e}", path.display()))?;
            texts.push(LicenseText {
                name: path
                    .file_name()
                    .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned()),
                origin: path.display().to_string(),
                text,
            });
        }
        let state = ConfigState::get(eval)?;
        let mut settings = state.settings.borrow_mut();
        if settings.executables_created {
            anyhow::bail!(
                "clarify_license({component:?}, …) comes after to_python_executable(), whose extension module filter has already judged the licenses; declare clarifications at the top of the configuration, before register_target()/resolve_targets()"
            );
        }
        settings.clarifications.push(Clarification {
            component: component.to_string(),
            expression,
            reason: reason.trim().to_string(),
            license_files: texts,
        });
        Ok(NoneType)
    }
}
