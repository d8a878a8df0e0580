//! Installers: turn a [`FileManifest`] (a tree of files to install) plus
//! [`PackageMetadata`] into artifacts end users install.
//!
//! This crate knows nothing about Python or about the configuration language:
//! the engine in `oxdist` (the `core/` crate) builds manifests and metadata and
//! hands them over. Every writer here is reproducible: the same manifest,
//! metadata and [`Timestamp`] give byte-identical output.
//!
//! Modules:
//! - [`manifest`]: the validated install tree (relative paths, files, symlinks).
//! - [`msi`]: `.msi` packages (Windows Installer), written on any host.
//! - [`metadata`]: name, version and the other facts every format shares.
//! - [`archive`]: `tar.gz`, `tar.xz`, `tar.zst` and `zip` writers.
//! - [`deb`]: `.deb` packages (signed or not).
//! - [`linux`]: what deb and rpm share (spec, versions, relationships, installed tree).
//! - [`output`]: atomic file output and `SHA256SUMS`.
//! - [`rpm`]: `.rpm` packages (signed or not).

pub mod archive;
pub mod deb;
pub mod linux;
pub mod macos;
pub mod manifest;
pub mod metadata;
pub mod msi;
pub mod output;
pub mod rpm;

pub use archive::{ArchiveError, ArchiveFormat};
pub use manifest::{FileData, FileEntry, FileManifest, ManifestEntry, ManifestError, ManifestPath};
pub use metadata::{MetadataError, PackageMetadata};
pub use output::Timestamp;
