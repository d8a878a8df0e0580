//! Python distributions and the resources an application brings.
//!
//! - [`distribution`]: one model for every source of CPython (host install,
//!   python-build-standalone archive): version, ABI, triple, stdlib, extension
//!   modules with their variants, link libraries and license annotations.
//! - [`host`], [`pbs`], [`embeddable`] and [`macos`] fill that model from
//!   the four sources (the last two: CPython's Windows embeddable package,
//!   and python.org's macOS runtime assembled from registry packages).
//! - [`extract`]: what those readers share: digests, safe member paths,
//!   extraction into the cache whole or not at all.
//! - [`resources`]: typed resources (module source, bytecode, package data,
//!   distribution metadata, extension modules, …) and how files map to them.
//! - [`scan`] and [`wheel`] produce resources from directories and `.whl` files.
//! - [`bytecode`]: compiles sources with the distribution's own interpreter;
//!   [`bytecode_cache`] keeps the results between builds.
//! - [`policy`]: which resources a build includes.

pub mod bytecode;
pub mod bytecode_cache;
pub mod distribution;
pub mod embeddable;
pub mod extract;
pub mod host;
pub mod macos;
pub mod pbs;
pub mod pip;
pub mod policy;
pub mod resources;
pub mod scan;
pub mod wheel;

/// Zip archives made in memory, for the distribution readers' tests.
#[cfg(test)]
mod test_zip {
    use std::io::{self, Write};

    /// A zip of `files` (name, contents), in order.
    pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, data) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }
}
