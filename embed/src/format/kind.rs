//! Entry kinds (the key prefixes) and entry flags.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// What an entry holds. The kind is stored as a prefix of the entry's key
/// ([`EntryKind::prefix`]); the rest of the key is the entry's name.
///
/// Variants are listed in the byte order of their prefixes, which is the
/// order [`PackedResources::iter`](super::PackedResources::iter) visits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// `b0:` module bytecode compiled with `optimize=0`: `marshal` data of
    /// the code object, without the 16-byte `.pyc` header.
    Bytecode0,
    /// `b1:` module bytecode compiled with `optimize=1`.
    Bytecode1,
    /// `b2:` module bytecode compiled with `optimize=2`.
    Bytecode2,
    /// `c:` a configuration blob, e.g. `c:interpreter` (JSON). The name
    /// `cache_tag` is reserved for the interpreter cache tag.
    Config,
    /// `d:` a file of a distribution's metadata directory; the name is
    /// `DIST-INFO-DIR\0RELATIVE/PATH`, e.g. `foo-1.0.dist-info\0METADATA`.
    DistMetadata,
    /// `e:` an extension module; the payload is the UTF-8 path of its shared
    /// library relative to the executable's directory.
    Extension,
    /// `f:` a module located on the filesystem; the payload is the UTF-8
    /// relative path of its `.py` file (used for `__file__`).
    FileModule,
    /// `n:` a namespace package (empty payload).
    Namespace,
    /// `r:` a package resource; the name is `PACKAGE\0RELATIVE/PATH`, e.g.
    /// `certifi\0cacert.pem`.
    Resource,
    /// `s:` module source (`.py` bytes).
    Source,
    /// `z:` a module whose code object is deep-frozen into the launcher
    /// (`PythonExecutable.freeze_stdlib`); the payload is the SHA-256 of the
    /// `marshal` data it replaces, which the launcher's copy must match.
    Frozen,
}

impl EntryKind {
    /// Every kind, in prefix byte order.
    pub const ALL: [EntryKind; 11] = [
        EntryKind::Bytecode0,
        EntryKind::Bytecode1,
        EntryKind::Bytecode2,
        EntryKind::Config,
        EntryKind::DistMetadata,
        EntryKind::Extension,
        EntryKind::FileModule,
        EntryKind::Namespace,
        EntryKind::Resource,
        EntryKind::Source,
        EntryKind::Frozen,
    ];

    /// The key prefix, including the trailing `:`.
    pub const fn prefix(self) -> &'static str {
        match self {
            EntryKind::Bytecode0 => "b0:",
            EntryKind::Bytecode1 => "b1:",
            EntryKind::Bytecode2 => "b2:",
            EntryKind::Config => "c:",
            EntryKind::DistMetadata => "d:",
            EntryKind::Extension => "e:",
            EntryKind::FileModule => "f:",
            EntryKind::Namespace => "n:",
            EntryKind::Resource => "r:",
            EntryKind::Source => "s:",
            EntryKind::Frozen => "z:",
        }
    }

    /// The bytecode kind for an `optimize` level (0, 1 or 2).
    pub const fn bytecode(optimize: u8) -> Option<EntryKind> {
        match optimize {
            0 => Some(EntryKind::Bytecode0),
            1 => Some(EntryKind::Bytecode1),
            2 => Some(EntryKind::Bytecode2),
            _ => None,
        }
    }

    /// Splits a key into its kind and name; `None` for an unknown prefix.
    pub fn split_key(key: &str) -> Option<(EntryKind, &str)> {
        let b = key.as_bytes();
        let (kind, len) = match (b.first()?, b.get(1)?) {
            (b'b', b'0') => (EntryKind::Bytecode0, 3),
            (b'b', b'1') => (EntryKind::Bytecode1, 3),
            (b'b', b'2') => (EntryKind::Bytecode2, 3),
            (b'c', b':') => (EntryKind::Config, 2),
            (b'd', b':') => (EntryKind::DistMetadata, 2),
            (b'e', b':') => (EntryKind::Extension, 2),
            (b'f', b':') => (EntryKind::FileModule, 2),
            (b'n', b':') => (EntryKind::Namespace, 2),
            (b'r', b':') => (EntryKind::Resource, 2),
            (b's', b':') => (EntryKind::Source, 2),
            (b'z', b':') => (EntryKind::Frozen, 2),
            _ => return None,
        };
        if len == 3 && b.get(2) != Some(&b':') {
            return None;
        }
        // The prefix is ASCII, so `len` is a character boundary.
        Some((kind, &key[len..]))
    }

    /// Whether names of this kind are dotted module names (as opposed to
    /// `OWNER\0RELATIVE/PATH` pairs or configuration names).
    pub const fn is_module(self) -> bool {
        matches!(
            self,
            EntryKind::Bytecode0
                | EntryKind::Bytecode1
                | EntryKind::Bytecode2
                | EntryKind::Source
                | EntryKind::Extension
                | EntryKind::Namespace
                | EntryKind::FileModule
                | EntryKind::Frozen
        )
    }

    /// Whether names of this kind are `OWNER\0RELATIVE/PATH` pairs (`r:`, `d:`).
    pub const fn has_path(self) -> bool {
        matches!(self, EntryKind::Resource | EntryKind::DistMetadata)
    }

    /// The flags an entry of this kind may carry.
    pub const fn allowed_flags(self) -> EntryFlags {
        match self {
            EntryKind::Bytecode0 | EntryKind::Bytecode1 | EntryKind::Bytecode2 | EntryKind::Source => {
                EntryFlags(EntryFlags::IS_PACKAGE.0 | EntryFlags::ZSTD.0)
            }
            EntryKind::Extension | EntryKind::FileModule | EntryKind::Namespace | EntryKind::Frozen => {
                EntryFlags::IS_PACKAGE
            }
            EntryKind::Resource => EntryFlags(EntryFlags::ZSTD.0 | EntryFlags::EXECUTABLE.0),
            EntryKind::DistMetadata | EntryKind::Config => EntryFlags::ZSTD,
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// Per-entry flags (the `flags` field of an index record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EntryFlags(u32);

impl EntryFlags {
    /// No flags.
    pub const NONE: EntryFlags = EntryFlags(0);
    /// Bit 0: the module is a package (`__init__`).
    pub const IS_PACKAGE: EntryFlags = EntryFlags(1);
    /// Bit 1: the payload is one zstd frame that records its content size.
    pub const ZSTD: EntryFlags = EntryFlags(1 << 1);
    /// Bit 2: the resource is an executable file.
    pub const EXECUTABLE: EntryFlags = EntryFlags(1 << 2);
    /// Every bit this version of the format defines.
    pub const KNOWN: EntryFlags = EntryFlags(0b111);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Flags from raw bits; `None` if an unknown bit is set.
    pub const fn from_bits(bits: u32) -> Option<EntryFlags> {
        if bits & !Self::KNOWN.0 == 0 {
            Some(EntryFlags(bits))
        } else {
            None
        }
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: EntryFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags without the bits of `other`.
    pub const fn without(self, other: EntryFlags) -> EntryFlags {
        EntryFlags(self.0 & !other.0)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for EntryFlags {
    type Output = EntryFlags;
    fn bitor(self, rhs: EntryFlags) -> EntryFlags {
        EntryFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for EntryFlags {
    fn bitor_assign(&mut self, rhs: EntryFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Display for EntryFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (EntryFlags::IS_PACKAGE, "IS_PACKAGE"),
            (EntryFlags::ZSTD, "ZSTD"),
            (EntryFlags::EXECUTABLE, "EXECUTABLE"),
        ];
        let mut first = true;
        for (flag, name) in names {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        let unknown = self.0 & !Self::KNOWN.0;
        if unknown != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{unknown:#x}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_sorted_and_round_trip() {
        for pair in EntryKind::ALL.windows(2) {
            assert!(pair[0].prefix() < pair[1].prefix(), "{:?} vs {:?}", pair[0], pair[1]);
        }
        for kind in EntryKind::ALL {
            let key = format!("{}x.y", kind.prefix());
            assert_eq!(EntryKind::split_key(&key), Some((kind, "x.y")));
            assert_eq!(EntryKind::split_key(kind.prefix()), Some((kind, "")));
        }
        for bad in ["", "b", "b0", "b3:x", "bx:x", "x:y", "B0:x", "s", "s;x", "é:x"] {
            assert_eq!(EntryKind::split_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn flags() {
        assert_eq!(EntryFlags::from_bits(0b111), Some(EntryFlags::KNOWN));
        assert_eq!(EntryFlags::from_bits(0b1000), None);
        let f = EntryFlags::IS_PACKAGE | EntryFlags::ZSTD;
        assert!(f.contains(EntryFlags::ZSTD));
        assert!(!f.contains(EntryFlags::EXECUTABLE));
        assert_eq!(f.without(EntryFlags::ZSTD), EntryFlags::IS_PACKAGE);
        assert_eq!(f.to_string(), "IS_PACKAGE|ZSTD");
        assert_eq!(EntryFlags::NONE.to_string(), "none");
        assert_eq!(EntryKind::bytecode(2), Some(EntryKind::Bytecode2));
        assert_eq!(EntryKind::bytecode(3), None);
    }
}
