//! python-build-standalone's license annotations (`PYTHON.json`).
//!
//! PBS records, per extension module, the SPDX ids of the *libraries it
//! links* (`licenses`), their texts (`license_paths`) and whether they are
//! public domain (`license_public_domain`); and for the core the CPython
//! license. The semantics differ from what a first reading suggests, and
//! PyOxidizer got one of them wrong:
//!
//! - no `licenses` key means PBS attached no third-party library (only
//!   system ones, or code vendored inside CPython): the module is CPython's
//!   own code, covered by the distribution's license — not "unknown";
//! - several ids are a union over several libraries (`_tkinter`: Tcl, Tk,
//!   X11…), so all of them apply: AND, not OR;
//! - `licenses: []` with `license_public_domain: true` is public domain
//!   (sqlite, xz before 5.6).

use crate::component::{Confidence, License};
use crate::expression::LicenseExpression;

/// The license an annotation states, with the confidence of that answer.
///
/// `ids` are combined with AND. Ids that are not SPDX make the license
/// unknown (PBS writes SPDX ids; anything else is a corrupt file, and the
/// gate must not pass it). An empty list without the public-domain flag
/// says nothing and is unknown too.
pub fn annotated_license(ids: &[String], public_domain: bool) -> (License, Confidence) {
    let mut parts = Vec::new();
    for id in ids {
        match LicenseExpression::parse(id) {
            Ok(expression) => parts.push(License::expression(expression)),
            Err(e) => {
                return (
                    License::unknown(format!("PYTHON.json annotates the unknown license id {id:?}: {e}")),
                    Confidence::None,
                );
            }
        }
    }
    if parts.is_empty() {
        return if public_domain {
            (License::PublicDomain, Confidence::High)
        } else {
            (
                License::unknown("PYTHON.json annotates an empty license list that is not public domain"),
                Confidence::None,
            )
        };
    }
    (License::all_of(parts), Confidence::High)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn several_ids_are_all_present() {
        let (license, confidence) = annotated_license(&ids(&["MIT", "TCL", "X11"]), false);
        assert_eq!(license.to_string(), "MIT AND TCL AND X11");
        assert_eq!(confidence, Confidence::High);
        let (license, _) = annotated_license(&ids(&["Python-2.0", "CNRI-Python"]), false);
        assert_eq!(license.to_string(), "Python-2.0 AND CNRI-Python");
    }

    #[test]
    fn public_domain_and_empty_lists() {
        assert_eq!(annotated_license(&[], true).0, License::PublicDomain);
        assert!(annotated_license(&[], false).0.is_unknown());
        // Ids win over a stale flag: xz 5.6+ is 0BSD.
        assert_eq!(annotated_license(&ids(&["0BSD"]), true).0.to_string(), "0BSD");
    }

    #[test]
    fn non_spdx_ids_are_unknown() {
        let (license, confidence) = annotated_license(&ids(&["MIT", "Tcl/Tk"]), false);
        let License::Unknown { reason } = license else {
            panic!("not unknown")
        };
        assert!(reason.contains("\"Tcl/Tk\""), "{reason}");
        assert_eq!(confidence, Confidence::None);
    }
}
