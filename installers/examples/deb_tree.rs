//! Packages a directory tree as a deb installed below `/opt/NAME`, for
//! `bench/linux-packages` (the CLI's deb target is not wired up yet).
//!
//! Usage: `deb_tree TREE OUT.deb NAME [xz|zstd] [LEVEL]` (default xz 6);
//! the timestamp is `SOURCE_DATE_EPOCH` (default 1980-01-01); the
//! compressor uses every core, as dpkg-deb does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oxdist_installers::deb::{DEFAULT_XZ_LEVEL, DebCompression, DebOptions, write_deb};
use oxdist_installers::linux::LinuxPackageSpec;
use oxdist_installers::{FileManifest, PackageMetadata, Timestamp};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: deb_tree TREE OUT.deb NAME [xz|zstd] [LEVEL]");
        return ExitCode::from(2);
    }
    let (tree, out, name) = (Path::new(&args[0]), Path::new(&args[1]), &args[2]);
    let level = args.get(4).map(|l| l.parse::<i32>().expect("LEVEL is a number"));
    let compression = match args.get(3).map(String::as_str) {
        None | Some("xz") => DebCompression::Xz {
            level: level.map_or(DEFAULT_XZ_LEVEL, |l| l as u32),
        },
        Some("zstd") => DebCompression::Zstd {
            level: level.unwrap_or(19),
        },
        Some(other) => {
            eprintln!("unknown compression {other:?}; use xz or zstd");
            return ExitCode::from(2);
        }
    };
    match run(tree, out, name, compression) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deb_tree: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(tree: &Path, out: &Path, name: &str, compression: DebCompression) -> Result<(), Box<dyn std::error::Error>> {
    // Every file and link below the tree; the manifest sorts them.
    let mut files = FileManifest::new();
    let mut pending: Vec<PathBuf> = vec![tree.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                files.add_path(&entry.path(), tree, false)?;
            }
        }
    }
    let metadata = PackageMetadata {
        name: name.to_string(),
        version: "1.0.0".into(),
        description: Some("benchmark tree".into()),
        maintainer: Some("oxdist benchmarks <bench@example.org>".into()),
        vendor: None,
        homepage: None,
        license: Some("PSF-2.0".into()),
        target_triple: "x86_64-unknown-linux-gnu".into(),
    };
    let options = DebOptions {
        timestamp: Timestamp::from_env()?,
        compression,
        ..DebOptions::default()
    };
    write_deb(&metadata, &LinuxPackageSpec::default(), &files, &options, out)?;
    Ok(())
}
