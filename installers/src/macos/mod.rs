//! macOS deliverables, written on any host: `.app` bundles
//! ([`bundle`]), universal (fat) Mach-O binaries ([`universal`]), and DMG
//! disk images holding an HFS+ volume ([`hfs`], [`dmg`]). Code signatures
//! come from `oxdist_signing::apple`.

pub mod bundle;
pub mod dmg;
pub mod hfs;
pub mod universal;
