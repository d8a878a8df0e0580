//! Signatures for the artifacts oxdist writes.
//!
//! Signing is kept apart from the writers: a writer decides *what* bytes are
//! signed and where the signature goes (a `.deb`'s `_gpgorigin` member, an
//! RPM header, …); this crate turns secret keys and bytes into signatures.
//! Keys arrive as bytes, because where they come from (a file, an
//! environment variable, a secret store) is the command line's business, and
//! key material never appears in an error message, a log line or a file other
//! than the signature itself.
//!
//! Modules:
//! - [`openpgp`]: OpenPGP secret keys and detached signatures (deb, rpm,
//!   checksum files).
//! - [`authenticode`]: Authenticode signatures of Windows PE files (EXE, DLL,
//!   `.pyd`) and MSI packages, RSA keys from PEM or PKCS#12, split signing
//!   for HSMs and RFC 3161 timestamps.
//! - [`apple`]: Apple code signatures of Mach-O files (ad-hoc or with the
//!   same RSA keys), the building block for signed `.app` bundles and DMGs;
//!   Apple's notary service and stapling ([`apple::notary`]).

pub mod apple;
pub mod authenticode;
mod http;
pub mod openpgp;
