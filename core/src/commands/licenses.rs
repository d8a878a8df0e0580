//! `oxdist licenses`: the license audit of a target, as a report, an SBOM,
//! or (with `--check`) a gate.

use std::path::Path;

use oxdist_installers::Timestamp;
use oxdist_installers::output::write_atomically;
use oxdist_licenses::Audit;
use oxdist_licenses::policy::Verdict;
use oxdist_licenses::report::{render_json, render_text, render_violations};
use oxdist_licenses::sbom::{SbomOptions, cyclonedx_json, spdx_json};

use crate::cli::{GlobalArgs, LicenseFormat};
use crate::dialect::{Evaluation, Resolve};
use crate::error::Error;
use crate::report::Reporter;

/// What `oxdist licenses` was asked to do.
pub struct LicensesArgs<'a> {
    pub target: Option<&'a str>,
    pub format: LicenseFormat,
    pub check: bool,
    pub out: Option<&'a Path>,
}

pub fn run(args: &LicensesArgs<'_>, global: &GlobalArgs, reporter: &Reporter) -> Result<(), Error> {
    let created = Timestamp::from_env()?;
    let resolve = match args.target {
        Some(t) => Resolve::Targets(vec![t.to_string()]),
        None => Resolve::Default,
    };
    let evaluation = super::evaluate(global, resolve)?;
    let (audit, verdict) = audit_output(&evaluation, 0, reporter)?;
    let text = match args.format {
        LicenseFormat::Text => render_text(&audit, Some(&verdict)),
        LicenseFormat::Json => render_json(&audit, Some(&verdict)),
        LicenseFormat::Spdx => spdx_json(&audit, &sbom_options(created)),
        LicenseFormat::Cyclonedx => cyclonedx_json(&audit, &sbom_options(created)),
    };
    match args.out {
        Some(path) => {
            write_atomically(path, |out| {
                use std::io::Write as _;
                out.write_all(text.as_bytes())
                    .map_err(|source| oxdist_installers::output::OutputError::Write {
                        path: path.to_path_buf(),
                        source,
                    })
            })?;
            reporter.info(format!("wrote {}", path.display()));
        }
        None => print!("{text}"),
    }
    for warning in &verdict.warnings {
        reporter.warn(format!("{}: {}", warning.description, warning.reason));
    }
    if args.check && !verdict.passed() {
        let (name, _) = &evaluation.outputs[0];
        return Err(Error::LicensePolicy {
            target: name.clone(),
            table: render_violations(&verdict),
        });
    }
    Ok(())
}

/// The SBOM settings for artifacts made at `created` (`SOURCE_DATE_EPOCH`).
pub(crate) fn sbom_options(created: Timestamp) -> SbomOptions {
    SbomOptions {
        created: created.0,
        tool: format!("oxdist-{}", env!("CARGO_PKG_VERSION")),
    }
}

/// Audits output `index` of `evaluation` and checks it against the
/// configuration's policy.
pub(crate) fn audit_output(
    evaluation: &Evaluation,
    index: usize,
    reporter: &Reporter,
) -> Result<(Audit, Verdict), Error> {
    let (name, _) = &evaluation.outputs[index];
    let step = reporter.step(format!("auditing the licenses of {name}"));
    let product = crate::licensing::product(evaluation.metadata.as_ref(), name);
    let audit = crate::licensing::audit(
        product,
        &evaluation.executables[index],
        &evaluation.license_policy,
        &crate::cache::cache_dir(),
    )
    .map_err(|source| Error::Audit {
        target: name.clone(),
        source: Box::new(source),
    })?;
    let verdict = evaluation.license_policy.check(&crate::licensing::judged(&audit));
    step.finish(
        format!(
            "audited {} components: {} violations, {} warnings",
            audit.components.len(),
            verdict.violations.len(),
            verdict.warnings.len()
        ),
        reporter,
    );
    Ok((audit, verdict))
}
