//! macOS deliverables, written on any host: `.app` bundles
//! ([`bundle`]), universal (fat) Mach-O binaries ([`universal`]), and DMG
//! disk images holding an HFS+ volume ([`hfs`], [`dmg`]), and the code
//! signatures of bundles and the Mach-O files in them ([`codesign`], on
//! `oxdist_signing::apple`).

pub mod bundle;
pub mod codesign;
pub mod dmg;
pub mod ds_store;
pub mod hfs;
pub mod universal;
