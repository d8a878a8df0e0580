//! Reproducible `tar.gz`, `tar.xz`, `tar.zst` and `zip` archives of a manifest.
//!
//! Every archive holds one top-level directory (normally `NAME-VERSION-TRIPLE`)
//! with the manifest below it. Reproducibility rules: entries in path order
//! with each directory before its contents, every mtime set to the given
//! [`Timestamp`], owner and group 0 with empty names, modes 0755 for
//! directories and executables and 0644 for other files, no compressor
//! timestamps or host names. The xz and zstd encoders run multithreaded;
//! their output does not depend on the number of threads.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::manifest::{FileData, FileManifest, ManifestEntry, ManifestError};
use crate::output::{OutputError, Timestamp, write_atomically};

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("while writing {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("while writing {}: {source}", path.display())]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error(
        "the timestamp {0} cannot be stored in a zip archive (years 1980 to 2107 only); set SOURCE_DATE_EPOCH inside that range"
    )]
    ZipTimestamp(u64),
    #[error("unknown archive format {0:?}; expected one of tar.gz, tar.xz, tar.zst, zip")]
    UnknownFormat(String),
}

/// The archive formats [`write_archive`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArchiveFormat {
    TarGz,
    TarXz,
    TarZst,
    Zip,
}

impl ArchiveFormat {
    pub const ALL: [ArchiveFormat; 4] = [Self::TarGz, Self::TarXz, Self::TarZst, Self::Zip];

    /// The file-name extension, without a leading dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::TarGz => "tar.gz",
            Self::TarXz => "tar.xz",
            Self::TarZst => "tar.zst",
            Self::Zip => "zip",
        }
    }
}

impl fmt::Display for ArchiveFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ArchiveFormat {
    type Err = ArchiveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tar.gz" | "tgz" => Ok(Self::TarGz),
            "tar.xz" | "txz" => Ok(Self::TarXz),
            "tar.zst" | "tzst" => Ok(Self::TarZst),
            "zip" => Ok(Self::Zip),
            other => Err(ArchiveError::UnknownFormat(other.to_string())),
        }
    }
}

/// How to write an archive.
#[derive(Clone, Debug)]
pub struct ArchiveOptions {
    /// The directory every entry is placed under, e.g. `hello-1.0-x86_64-unknown-linux-gnu`.
    pub root_dir: String,
    pub mtime: Timestamp,
    /// Worker threads for xz and zstd (at least 1).
    pub threads: u32,
}

/// Writes `manifest` as a `format` archive to `dest`, atomically.
pub fn write_archive(
    manifest: &FileManifest,
    format: ArchiveFormat,
    options: &ArchiveOptions,
    dest: &Path,
) -> Result<(), ArchiveError> {
    check_root_dir(&options.root_dir)?;
    let io_err = |source| ArchiveError::Io {
        path: dest.to_path_buf(),
        source,
    };
    write_atomically(dest, |out| match format {
        ArchiveFormat::TarGz => {
            let encoder = flate2::GzBuilder::new()
                .mtime(0)
                .write(out, flate2::Compression::default());
            write_tar(manifest, options, encoder, dest)?
                .finish()
                .map(drop)
                .map_err(io_err)
        }
        ArchiveFormat::TarXz => {
            let stream = xz2::stream::MtStreamBuilder::new()
                .threads(options.threads.max(1))
                .preset(6)
                .check(xz2::stream::Check::Crc64)
                .encoder()
                .map_err(|e| io_err(e.into()))?;
            let encoder = xz2::write::XzEncoder::new_stream(out, stream);
            write_tar(manifest, options, encoder, dest)?
                .finish()
                .map(drop)
                .map_err(io_err)
        }
        ArchiveFormat::TarZst => {
            let mut encoder = zstd::stream::Encoder::new(out, zstd::DEFAULT_COMPRESSION_LEVEL).map_err(io_err)?;
            // Multithreaded output is the same for any worker count ≥ 1, so the
            // artifact does not depend on the machine's core count.
            encoder.multithread(options.threads.max(1)).map_err(io_err)?;
            encoder.include_checksum(true).map_err(io_err)?;
            write_tar(manifest, options, encoder, dest)?
                .finish()
                .map(drop)
                .map_err(io_err)
        }
        ArchiveFormat::Zip => write_zip(manifest, options, out, dest),
    })
}

/// Refuses a root directory that is not a single plain name. Anything else
/// breaks the one-top-level-directory rule (`a/b` has no `a/` member) or, in a
/// zip, which does not check names, yields absolute or `../` entry names.
fn check_root_dir(root: &str) -> Result<(), ManifestError> {
    if root.is_empty() || root == "." || root == ".." || root.contains(['/', '\\', '\0']) {
        return Err(ManifestError::InvalidPath {
            path: root.to_string(),
            reason: "the archive's root directory must be a single directory name \
                     (not empty, '.' or '..', without '/', '\\' or NUL)",
        });
    }
    Ok(())
}

/// One archive member, in the order it is written.
enum Member<'a> {
    Dir,
    File { data: &'a FileData, mode: u32 },
    Symlink(&'a str),
}

/// The root directory, every implied directory and every entry, sorted so
/// that each directory comes right before its contents.
fn members<'a>(manifest: &'a FileManifest, root: &str) -> Vec<(String, Member<'a>)> {
    let mut members: Vec<(String, Member<'a>)> = Vec::with_capacity(manifest.len() + 16);
    members.push((root.to_string(), Member::Dir));
    for dir in manifest.directories() {
        members.push((format!("{root}/{dir}"), Member::Dir));
    }
    for (path, entry) in manifest.entries() {
        let member = match entry {
            ManifestEntry::File(file) => Member::File {
                data: &file.data,
                mode: file.mode(),
            },
            ManifestEntry::Symlink { target, .. } => Member::Symlink(target),
        };
        members.push((format!("{root}/{path}"), member));
    }
    // Compare by components so that "a/b" sorts before "a.txt" and every
    // directory precedes what it contains.
    members.sort_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')));
    members
}

fn write_tar<W: Write>(
    manifest: &FileManifest,
    options: &ArchiveOptions,
    writer: W,
    dest: &Path,
) -> Result<W, ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let mut builder = tar::Builder::new(writer);
    for (path, member) in members(manifest, &options.root_dir) {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(options.mtime.0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("").map_err(io_err)?;
        header.set_groupname("").map_err(io_err)?;
        match member {
            Member::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder
                    .append_data(&mut header, format!("{path}/"), io::empty())
                    .map_err(io_err)?;
            }
            Member::File { data, mode } => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(mode);
                match data {
                    FileData::Path(src) => {
                        let data = ExactRead::open(src)?;
                        header.set_size(data.len);
                        builder.append_data(&mut header, &path, data).map_err(io_err)?;
                    }
                    FileData::Memory(bytes) => {
                        header.set_size(bytes.len() as u64);
                        builder
                            .append_data(&mut header, &path, bytes.as_slice())
                            .map_err(io_err)?;
                    }
                }
            }
            Member::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, &path, target).map_err(io_err)?;
            }
        }
    }
    builder.into_inner().map_err(io_err)
}

/// Reads exactly the `len` bytes a tar header announced. `tar::Builder` pads
/// short data with zeros without complaint, which would misalign every
/// member after it; a file that shrinks while being archived (or a `/sys`
/// file, whose size is nominal) is therefore an error. A file that grows is
/// cut at `len`.
pub(crate) struct ExactRead<'a> {
    inner: io::Take<fs::File>,
    /// The length the file had when opened: what the header announces.
    pub(crate) len: u64,
    path: &'a Path,
}

impl<'a> ExactRead<'a> {
    /// Opens `path` for reading exactly the length it has now.
    pub(crate) fn open(path: &'a Path) -> Result<Self, ManifestError> {
        let read_err = |source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = fs::File::open(path).map_err(read_err)?;
        let len = file.metadata().map_err(read_err)?.len();
        Ok(Self {
            inner: io::Read::take(file, len),
            len,
            path,
        })
    }
}

impl io::Read for ExactRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.inner.limit() > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} ended after {} of its {} bytes; it changed while being archived",
                    self.path.display(),
                    self.len - self.inner.limit(),
                    self.len
                ),
            ));
        }
        Ok(n)
    }
}

fn write_zip<W: Write + io::Seek>(
    manifest: &FileManifest,
    options: &ArchiveOptions,
    out: W,
    dest: &Path,
) -> Result<(), ArchiveError> {
    let zip_err = |source| ArchiveError::Zip {
        path: dest.to_path_buf(),
        source,
    };
    let (year, month, day, hour, minute, second) = options.mtime.to_utc();
    let datetime = u16::try_from(year)
        .ok()
        .and_then(|year| zip::DateTime::from_date_and_time(year, month, day, hour, minute, second).ok())
        .ok_or(ArchiveError::ZipTimestamp(options.mtime.0))?;
    let base = zip::write::SimpleFileOptions::default()
        .last_modified_time(datetime)
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6));
    let mut zip = zip::ZipWriter::new(out);
    for (path, member) in members(manifest, &options.root_dir) {
        match member {
            Member::Dir => zip
                .add_directory(format!("{path}/"), base.unix_permissions(0o755))
                .map_err(zip_err)?,
            Member::File { data, mode } => {
                let large = data.len()? >= u64::from(u32::MAX);
                zip.start_file(&path, base.unix_permissions(mode).large_file(large))
                    .map_err(zip_err)?;
                match data {
                    FileData::Path(src) => {
                        let mut file = fs::File::open(src).map_err(|source| ManifestError::Read {
                            path: src.clone(),
                            source,
                        })?;
                        io::copy(&mut file, &mut zip).map_err(|source| ArchiveError::Io {
                            path: dest.to_path_buf(),
                            source,
                        })?;
                    }
                    FileData::Memory(bytes) => zip.write_all(bytes).map_err(|source| ArchiveError::Io {
                        path: dest.to_path_buf(),
                        source,
                    })?,
                }
            }
            Member::Symlink(target) => zip
                .add_symlink(&path, target, base.unix_permissions(0o777))
                .map_err(zip_err)?,
        }
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FileEntry, ManifestPath};

    #[test]
    fn members_are_ordered_with_directories_first() {
        let mut m = FileManifest::new();
        for p in ["a.txt", "a/b/c", "a/z", "b"] {
            m.add_file(ManifestPath::new(p).unwrap(), FileEntry::from_bytes(vec![], false, "t"))
                .unwrap();
        }
        let names: Vec<String> = members(&m, "r").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["r", "r/a", "r/a/b", "r/a/b/c", "r/a/z", "r/a.txt", "r/b"]);
    }

    #[test]
    fn format_names_round_trip() {
        for f in ArchiveFormat::ALL {
            assert_eq!(f.extension().parse::<ArchiveFormat>().unwrap(), f);
        }
        assert!("tar.bz2".parse::<ArchiveFormat>().is_err());
    }
}
