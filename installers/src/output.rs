//! Writing artifacts safely: fixed timestamps, atomic files, `SHA256SUMS`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why writing an output file failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("SOURCE_DATE_EPOCH={value:?} is not a whole number of seconds since 1970-01-01")]
    SourceDateEpoch { value: String },
}

/// The modification time stamped on every entry of an artifact, in seconds
/// since the Unix epoch. Fixed so that builds are reproducible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// 1980-01-01T00:00:00Z: the earliest time a zip archive can hold, used
    /// when `SOURCE_DATE_EPOCH` is not set.
    pub const DEFAULT: Timestamp = Timestamp(315_532_800);

    /// `SOURCE_DATE_EPOCH` when set (see reproducible-builds.org), else [`Self::DEFAULT`].
    pub fn from_env() -> Result<Self, OutputError> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(value) if !value.trim().is_empty() => value
                .trim()
                .parse()
                .map(Timestamp)
                .map_err(|_| OutputError::SourceDateEpoch { value }),
            _ => Ok(Self::DEFAULT),
        }
    }

    /// Calendar fields (UTC): year, month, day, hour, minute, second.
    pub fn to_utc(self) -> (i64, u8, u8, u8, u8, u8) {
        let days = (self.0 / 86_400) as i64;
        let secs = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, (secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes `dest` through `write`, into a temporary file in the same directory
/// that is renamed over `dest` only when `write` succeeded: readers never see
/// a half-written artifact. The file gets mode 0644.
pub fn write_atomically<E>(
    dest: &Path,
    write: impl FnOnce(&mut BufWriter<&mut fs::File>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<OutputError>,
{
    let err = |source| OutputError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let dir = destination_dir(dest)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".oxdist-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(err)?;
    {
        let mut out = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        write(&mut out)?;
        out.flush().map_err(err)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    temp.persist(dest).map_err(|e| err(e.error))?;
    Ok(())
}

/// The directory `dest` goes into (`.` for a bare file name), created if
/// missing: where temporary files for `dest` belong, so that renaming them
/// into place never crosses file systems.
pub(crate) fn destination_dir(dest: &Path) -> Result<&Path, OutputError> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| OutputError::Write {
        path: dest.to_path_buf(),
        source,
    })?;
    Ok(dir)
}

/// Hex SHA-256 of a file's contents.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds or replaces `entries` (file name → hex digest) in `dir/SHA256SUMS`,
/// in the format `sha256sum -c` reads. Lines for files that no longer exist
/// in `dir` are dropped; lines are sorted by file name.
pub fn update_sha256sums(dir: &Path, entries: &[(String, String)]) -> Result<PathBuf, OutputError> {
    let path = dir.join("SHA256SUMS");
    let mut sums = BTreeMap::new();
    if let Ok(existing) = fs::read_to_string(&path) {
        for line in existing.lines() {
            if let Some((digest, name)) = line.split_once("  ")
                && dir.join(name).is_file()
            {
                sums.insert(name.to_string(), digest.to_string());
            }
        }
    }
    for (name, digest) in entries {
        sums.insert(name.clone(), digest.clone());
    }
    let text: String = sums
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect();
    write_atomically(&path, |out| {
        out.write_all(text.as_bytes()).map_err(|source| OutputError::Write {
            path: path.clone(),
            source,
        })
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(Timestamp(0).to_utc(), (1970, 1, 1, 0, 0, 0));
        assert_eq!(Timestamp::DEFAULT.to_utc(), (1980, 1, 1, 0, 0, 0));
        assert_eq!(Timestamp(1_700_000_000).to_utc(), (2023, 11, 14, 22, 13, 20));
        assert_eq!(Timestamp(951_782_400).to_utc(), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.bin");
        let result: Result<(), OutputError> = write_atomically(&dest, |out| {
            out.write_all(b"partial").unwrap();
            Err(OutputError::SourceDateEpoch { value: "x".into() })
        });
        assert!(result.is_err());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file, no temporary left behind"
        );
    }

    #[test]
    fn sha256sums_merge() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "a").unwrap();
        fs::write(dir.path().join("b"), "b").unwrap();
        update_sha256sums(dir.path(), &[("b".into(), "22".into()), ("gone".into(), "33".into())]).unwrap();
        update_sha256sums(dir.path(), &[("a".into(), "11".into())]).unwrap();
        let text = fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
        assert_eq!(text, "11  a\n22  b\n");
    }
}
