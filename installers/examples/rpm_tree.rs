//! Packages a directory tree as an rpm installed below `/opt/NAME`, for
//! `bench/rpm` (the CLI's rpm target is not wired up yet).
//!
//! Usage: `rpm_tree TREE OUT.rpm NAME [gzip|zstd] [LEVEL]`; the timestamp
//! is `SOURCE_DATE_EPOCH` (default 1980-01-01).

use std::path::Path;
use std::process::ExitCode;

use oxdist_installers::linux::LinuxPackageSpec;
use oxdist_installers::rpm::{DEFAULT_ZSTD_LEVEL, RpmCompression, RpmOptions, write_rpm};
use oxdist_installers::{FileManifest, PackageMetadata, Timestamp};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: rpm_tree TREE OUT.rpm NAME [gzip|zstd] [LEVEL]");
        return ExitCode::from(2);
    }
    let (tree, out, name) = (Path::new(&args[0]), Path::new(&args[1]), &args[2]);
    let level = args.get(4).map(|l| l.parse::<i32>().expect("LEVEL is a number"));
    let compression = match args.get(3).map(String::as_str) {
        None | Some("zstd") => RpmCompression::Zstd {
            level: level.unwrap_or(DEFAULT_ZSTD_LEVEL),
        },
        Some("gzip") => RpmCompression::Gzip {
            level: level.unwrap_or(9) as u32,
        },
        Some(other) => {
            eprintln!("unknown compression {other:?}; use gzip or zstd");
            return ExitCode::from(2);
        }
    };
    match run(tree, out, name, compression) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rpm_tree: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(tree: &Path, out: &Path, name: &str, compression: RpmCompression) -> Result<(), Box<dyn std::error::Error>> {
    let mut files = FileManifest::new();
    add_dir(&mut files, tree, tree)?;
    let metadata = PackageMetadata {
        name: name.to_string(),
        version: "1.0.0".into(),
        description: Some("Benchmark tree.".into()),
        maintainer: None,
        vendor: None,
        homepage: None,
        license: Some("PSF-2.0".into()),
        target_triple: "x86_64-unknown-linux-gnu".into(),
    };
    let options = RpmOptions {
        timestamp: Timestamp::from_env()?,
        compression,
        signer: None,
    };
    write_rpm(&metadata, &LinuxPackageSpec::default(), &files, &options, out)?;
    Ok(())
}

/// Every file and link below `dir`, in directory order (the manifest sorts).
fn add_dir(files: &mut FileManifest, root: &Path, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if std::fs::symlink_metadata(&path)?.is_dir() {
            add_dir(files, root, &path)?;
        } else {
            files.add_path(&path, root, false)?;
        }
    }
    Ok(())
}
