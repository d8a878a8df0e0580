//! The final pass: the database and the cabinets copied, one stream after
//! the other, into a fresh compound file (CFB) of version 3.
//!
//! The `msi` crate writes CFB version 4 (4096-byte sectors) and, while it
//! builds tables, frees and reuses mini-stream sectors, which leaves
//! mini-FAT chains osslsigncode refuses ("corrupted sector location").
//! Version 3 (512-byte sectors) is what Windows Installer and WiX write;
//! copying each stream once into an empty file gives contiguous chains.
//! Streams have no timestamps (CFB requires zero), the root storage keeps
//! zero times and the installer CLSID, so the file depends on the stream
//! contents only.

use std::fs;
use std::io::{self, Cursor, Read, Seek, Write};
use std::path::PathBuf;

/// Encodes a stream name as Windows Installer stores it in the compound
/// file: pairs of characters from `[0-9A-Za-z._]` are packed into one
/// character of U+3800–U+47FF, a lone one into U+4800–U+483F.
pub fn encode_stream_name(name: &str) -> String {
    fn value(c: char) -> Option<u32> {
        Some(match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            'a'..='z' => c as u32 - 'a' as u32 + 36,
            '.' => 62,
            '_' => 63,
            _ => return None,
        })
    }
    let mut out = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let Some(first) = value(c) else {
            out.push(c);
            continue;
        };
        let packed = match chars.peek().copied().and_then(value) {
            Some(second) => {
                chars.next();
                0x3800 + (second << 6) + first
            }
            None => 0x4800 + first,
        };
        // Both ranges are below the surrogates.
        out.extend(char::from_u32(packed));
    }
    out
}

/// Writes the compound file: every stream of `database` (a complete MSI
/// written by the `msi` crate), then the cabinet streams, named as given.
pub fn write<W: Read + Write + Seek>(out: W, database: Vec<u8>, cabinets: &mut [(String, fs::File)]) -> io::Result<()> {
    let mut source = cfb::CompoundFile::open(Cursor::new(database))?;
    let mut target = cfb::CompoundFile::create_with_version(cfb::Version::V3, out)?;
    target.set_storage_clsid("/", *source.root_entry().clsid())?;
    let mut streams: Vec<PathBuf> = Vec::new();
    for entry in source.walk() {
        if entry.is_stream() {
            streams.push(entry.path().to_path_buf());
        } else if !entry.is_root() {
            return Err(io::Error::other(format!(
                "the database has a storage ({}); MSI databases written here have none",
                entry.path().display()
            )));
        }
    }
    streams.sort();
    for path in &streams {
        let mut from = source.open_stream(path)?;
        let mut to = target.create_new_stream(path)?;
        io::copy(&mut from, &mut to)?;
        to.flush()?;
    }
    for (name, file) in cabinets.iter_mut() {
        file.rewind()?;
        let mut to = target.create_new_stream(format!("/{}", encode_stream_name(name)))?;
        io::copy(file, &mut to)?;
        to.flush()?;
    }
    target.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding agrees with the `msi` crate's (which the database uses).
    #[test]
    fn stream_names_match_the_msi_crate() {
        let mut package = msi::Package::create(msi::PackageType::Installer, Cursor::new(Vec::new())).unwrap();
        let names = ["cab1.cab", "cab12.cab", "Binary.icon_x", "a-b", "x"];
        for name in names {
            package.write_stream(name).unwrap().write_all(b"1").unwrap();
        }
        let bytes = package.into_inner().unwrap().into_inner();
        let comp = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
        let stored: Vec<String> = comp.walk().map(|e| e.name().to_string()).collect();
        for name in names {
            let encoded = encode_stream_name(name);
            assert!(stored.contains(&encoded), "{name} → {encoded:?} not in {stored:?}");
        }
    }
}
