//! License auditing for what oxdist ships.
//!
//! An executable built by oxdist contains CPython, the extension modules it
//! keeps (and, through them, the libraries they link), the application's
//! Python packages and the Rust crates of the launcher. This crate knows
//! where each kind of component declares its license, how sure that answer
//! is, whether a policy allows it, and how to write the notices, reports and
//! SBOMs a release needs. It knows nothing of how oxdist builds things: the
//! engine (`core`) hands it facts (annotations, metadata headers, file
//! paths) and gets [`Component`]s back.
//!
//! Modules:
//! - [`component`]: the data model: [`Component`], [`License`], provenance
//!   and confidence.
//! - [`expression`]: SPDX expressions (parsing with errors that say where,
//!   classification into permissive / weak / strong / network copyleft).
//! - [`python`]: Python core metadata (`License-Expression`, `License`,
//!   `License ::` classifiers per PEP 639) and license files in `.dist-info`.
//! - [`pbs`]: python-build-standalone `PYTHON.json` annotations.
//! - [`debian`]: host libraries → owning Debian package → DEP-5 copyright.
//! - [`cargo`]: the Rust crates of a cargo build (`cargo metadata`).
//! - [`policy`]: the gate: allow/deny lists, copyleft rules, unknowns,
//!   exceptions and clarifications.
//! - [`notices`]: `THIRD-PARTY-NOTICES.txt` / `.html`.
//! - [`report`]: text and JSON reports; [`sbom`]: SPDX 2.3 and CycloneDX 1.6.

pub mod cargo;
pub mod component;
pub mod debian;
pub mod expression;
pub mod notices;
pub mod pbs;
pub mod policy;
pub mod python;
pub mod report;
pub mod sbom;

pub use component::{Audit, Component, ComponentKind, Confidence, License, LicenseText, Product};
pub use expression::{ExpressionError, LicenseExpression};
