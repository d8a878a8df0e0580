//! Embedding support for oxdist executables.
//!
//! Today this crate holds the **packed-resources format** ([`format`](mod@format)): the
//! blob the oxdist CLI writes at build time (module bytecode and source,
//! package resources, distribution metadata, extension-module locations,
//! interpreter configuration) and that an executable reads in place, without
//! copying, from a memory map of itself at run time. The byte layout is
//! specified in `docs/reference/packed-resources.md`.
//!
//! The crate is a leaf: it depends on no other oxdist crate, and without the
//! `runtime` feature not on pyo3 either, so the CLI writes blobs without
//! linking the runtime. Features:
//!
//! - `zstd` (default): per-entry zstd compression in the writer
//!   (`PackedResourcesBuilder::add_compressed`) and decompression in the
//!   reader ([`Entry::decompressed`]).
//! - `runtime`: the embedded-Python runtime linked into launchers (module
//!   `runtime`), next to [`format`](mod@format).

pub mod format;

/// The runtime linked into launchers: start CPython, serve imports from the
/// packed resources, run the application.
#[cfg(feature = "runtime")]
pub mod runtime;

/// Source of the Python-level importer (`_oxdist_importer`). The CLI compiles
/// it into every executable's resources; the runtime executes it at start-up.
pub const IMPORTER_SOURCE: &str = include_str!("runtime/importer.py");

pub use format::{
    Entry, EntryFlags, EntryKind, FormatError, Iter, PackedResources, PackedResourcesBuilder, append_trailer,
    find_appended,
};
