//! Compiled bytecode kept in the user cache between builds.
//!
//! Most of an application build's bytecode is the standard library's, which
//! does not change between builds; compiling it again was most of the CPU of
//! a rebuild. [`BytecodeCompiler`](super::bytecode::BytecodeCompiler) looks
//! every request up here before sending it to a worker and stores what the
//! workers compiled.
//!
//! An entry is named by the SHA-256 of everything the output depends on: the
//! interpreter (see [`BytecodeCompiler::cache_identity`](super::bytecode::BytecodeCompiler::cache_identity)),
//! the worker program, the optimize level, the filename compiled into the
//! code objects and the source bytes. Entries are written to a temporary file
//! and renamed, so concurrent builds (other processes included) only ever see
//! whole files; a file that is short, damaged or for another key anyway is a
//! miss and gets recompiled and replaced. Nothing is ever evicted: delete the
//! directory to reclaim the space.
//!
//! Layout: `DIR/v1/KEY[..2]/KEY[2..]`, each file
//!
//! ```text
//! b"OXBCACHE" | key (32 B) | SHA-256 of the payload (32 B) | payload length (u64 LE) | payload
//! ```
//!
//! where the payload is the marshalled code object (the `.pyc` body).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Bump when the entry format or the meaning of a key changes.
const FORMAT_DIR: &str = "v1";
const MAGIC: &[u8; 8] = b"OXBCACHE";
const HEADER_LEN: usize = 8 + 32 + 32 + 8;

/// The SHA-256 naming one compiled module.
pub type CacheKey = [u8; 32];

/// A directory of compiled bytecode; see the module documentation.
#[derive(Debug, Clone)]
pub struct BytecodeCache {
    dir: PathBuf,
}

impl BytecodeCache {
    /// A cache in `dir` (created when the first entry is stored).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        BytecodeCache { dir: dir.into() }
    }

    /// The directory given to [`Self::new`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key for compiling `source` as `filename` at `optimize` with the
    /// interpreter and worker summed up by `identity`. Every part is
    /// length-prefixed so that no two inputs hash the same bytes.
    pub fn key(identity: &[u8], optimize: u8, filename: &str, source: &[u8]) -> CacheKey {
        let mut hasher = Sha256::new();
        for part in [identity, &[optimize], filename.as_bytes(), source] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(FORMAT_DIR).join(&hex[..2]).join(&hex[2..])
    }

    /// The stored payload for `key`, if there is a valid one. A missing,
    /// unreadable, truncated or damaged entry is a miss, never an error:
    /// the caller compiles instead and [`Self::store`] replaces it.
    pub fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        let data = fs::read(self.path(key)).ok()?;
        let (header, payload) = data.split_at_checked(HEADER_LEN)?;
        let length = u64::from_le_bytes(header[72..80].try_into().expect("8 bytes"));
        let valid = &header[..8] == MAGIC
            && header[8..40] == key[..]
            && length == payload.len() as u64
            && header[40..72] == Sha256::digest(payload)[..];
        valid.then(|| payload.to_vec())
    }

    /// Stores `payload` under `key`: written to a temporary file in the
    /// entry's directory, then renamed over any previous entry.
    pub fn store(&self, key: &CacheKey, payload: &[u8]) -> io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().expect("entries live in a subdirectory");
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new().prefix(".entry-").tempfile_in(dir)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(key);
        header.extend_from_slice(&Sha256::digest(payload));
        header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        temp.write_all(&header)?;
        temp.write_all(payload)?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BytecodeCache::new(dir.path());
        let key = BytecodeCache::key(b"python", 0, "a.py", b"x = 1\n");
        assert_eq!(cache.get(&key), None);
        cache.store(&key, b"\xe3marshal").unwrap();
        assert_eq!(cache.get(&key).as_deref(), Some(&b"\xe3marshal"[..]));

        let path = cache.path(&key);
        let good = fs::read(&path).unwrap();
        // Truncated, a flipped payload byte, an entry renamed to another key.
        fs::write(&path, &good[..good.len() - 1]).unwrap();
        assert_eq!(cache.get(&key), None);
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        fs::write(&path, &flipped).unwrap();
        assert_eq!(cache.get(&key), None);
        let other = BytecodeCache::key(b"python", 1, "a.py", b"x = 1\n");
        fs::create_dir_all(cache.path(&other).parent().unwrap()).unwrap();
        fs::write(cache.path(&other), &good).unwrap();
        assert_eq!(cache.get(&other), None);
        fs::write(&path, b"").unwrap();
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn keys_separate_every_input() {
        let base = BytecodeCache::key(b"id", 0, "a.py", b"src");
        assert_ne!(base, BytecodeCache::key(b"id2", 0, "a.py", b"src"));
        assert_ne!(base, BytecodeCache::key(b"id", 1, "a.py", b"src"));
        assert_ne!(base, BytecodeCache::key(b"id", 0, "b.py", b"src"));
        assert_ne!(base, BytecodeCache::key(b"id", 0, "a.py", b"src2"));
        // Moving bytes between filename and source changes the key.
        assert_ne!(
            BytecodeCache::key(b"id", 0, "a.py", b"xsrc"),
            BytecodeCache::key(b"id", 0, "a.pyx", b"src")
        );
    }
}
