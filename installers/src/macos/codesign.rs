//! Apple code signing of `.app` bundles and Mach-O files inside a
//! [`FileManifest`], on any host: what `codesign --sign … --deep` does to a
//! bundle on disk, done to the tree before it is packed.
//!
//! Order (inside out, because each seal covers the final bytes of what it
//! seals):
//!
//! 1. every Mach-O file of the bundle other than the main executable is
//!    signed, with its file name (up to the last `.`) as identifier; a
//!    universal file is split, each architecture signed, and merged again
//!    ([`super::universal`]);
//! 2. `Contents/_CodeSignature/CodeResources` seals every file but the main
//!    executable ([`oxdist_signing::apple::code_resources`]: hashes, symlink
//!    targets, and the cdhashes of nested code);
//! 3. the main executable (`CFBundleExecutable`) is signed last, with the
//!    bundle identifier, the hashes of `Info.plist` and `CodeResources`,
//!    and the entitlements.
//!
//! Nested bundles (`.framework`, `.app`, `.appex`, `.xpc`, `.bundle`
//! directories) would need their own seal first; they are refused rather
//! than sealed wrongly. Files outside the bundle are left as they are.

use std::collections::BTreeMap;

use oxdist_signing::apple::{self, AppleSignError, AppleSignOptions, SealedFile};
use oxdist_signing::authenticode::CodeSigner;

use super::universal::{FAT_MAGIC, FAT_MAGIC_64, UniversalError, is_macho, macho_architectures, universal_binary};
use crate::manifest::{FileEntry, FileManifest, ManifestEntry, ManifestError, ManifestPath};

/// How a bundle is signed.
#[derive(Clone, Debug, Default)]
pub struct BundleSigning {
    /// The Developer ID key and certificate; `None` signs ad-hoc.
    pub signer: Option<CodeSigner>,
    /// The hardened runtime (required for notarization), on every Mach-O file.
    pub hardened_runtime: bool,
    /// XML plist of entitlements, for the main executable.
    pub entitlements: Option<Vec<u8>>,
    /// The Apple team ID written into every code directory.
    pub team_id: Option<String>,
    /// An `http://` RFC 3161 timestamp authority (certificate signing only).
    pub timestamp: Option<String>,
}

/// Why a bundle or file could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum CodesignError {
    #[error("the tree has no bundle {bundle:?} (no {bundle}/Contents/Info.plist)")]
    NoBundle { bundle: String },
    #[error("{path}: {reason}")]
    InfoPlist { path: String, reason: String },
    #[error(
        "{path} is a nested bundle, which needs its own seal; oxdist does not sign nested bundles yet: sign it first (codesign or rcodesign) and add it as files, or move its contents out of the bundle directory"
    )]
    NestedBundle { path: String },
    #[error("cannot sign {path}: {source}")]
    Sign {
        path: String,
        #[source]
        source: AppleSignError,
    },
    #[error("cannot sign {path}: {source}")]
    Universal {
        path: String,
        #[source]
        source: UniversalError,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// Signs the bundle `bundle` (a top-level `NAME.app` directory of `tree`)
/// and returns the tree with the signed files and the bundle's
/// `_CodeSignature/CodeResources`. An existing `_CodeSignature` is replaced.
pub fn sign_app_bundle(
    tree: &FileManifest,
    bundle: &str,
    signing: &BundleSigning,
) -> Result<FileManifest, CodesignError> {
    let contents = format!("{bundle}/Contents/");
    let info_path = format!("{contents}Info.plist");
    let info_plist = match tree.get(&ManifestPath::new(&info_path)?) {
        Some(ManifestEntry::File(file)) => file.data.read()?.into_owned(),
        _ => {
            return Err(CodesignError::NoBundle {
                bundle: bundle.to_string(),
            });
        }
    };
    let plist_error = |reason: String| CodesignError::InfoPlist {
        path: info_path.clone(),
        reason,
    };
    let info = plist::Value::from_reader(std::io::Cursor::new(&info_plist)).map_err(|e| plist_error(e.to_string()))?;
    let key = |name: &str| {
        info.as_dictionary()
            .and_then(|d| d.get(name))
            .and_then(plist::Value::as_string)
            .map(str::to_string)
            .ok_or_else(|| plist_error(format!("it has no string {name}, which code signing needs")))
    };
    let identifier = key("CFBundleIdentifier")?;
    let executable = format!("MacOS/{}", key("CFBundleExecutable")?);

    // The bundle's entries by path below Contents/, without an old seal.
    let mut inside: BTreeMap<String, (ManifestPath, ManifestEntry)> = BTreeMap::new();
    let mut signed = FileManifest::new();
    for (path, entry) in tree.entries() {
        match path.as_str().strip_prefix(&contents) {
            Some(relative) if relative.starts_with("_CodeSignature/") => {}
            Some(relative) => {
                if let Some(nested) = nested_bundle(relative) {
                    return Err(CodesignError::NestedBundle {
                        path: format!("{contents}{nested}"),
                    });
                }
                inside.insert(relative.to_string(), (path.clone(), entry.clone()));
            }
            None => signed.add(path.clone(), entry.clone())?,
        }
    }
    if !matches!(inside.get(&executable), Some((_, ManifestEntry::File(_)))) {
        return Err(plist_error(format!(
            "its CFBundleExecutable {executable:?} is not a file of the bundle"
        )));
    }

    // 1. Nested code, then the seal over everything but the main executable.
    let base = AppleSignOptions {
        team_id: signing.team_id.clone(),
        hardened_runtime: signing.hardened_runtime,
        timestamp: signing.timestamp.clone(),
        ..Default::default()
    };
    let mut contents_now: BTreeMap<String, (Vec<u8>, Vec<[u8; 32]>)> = BTreeMap::new();
    for (relative, (path, entry)) in &inside {
        let ManifestEntry::File(file) = entry else { continue };
        if *relative == executable {
            continue;
        }
        let bytes = file.data.read()?.into_owned();
        if is_macho(&bytes) {
            let options = AppleSignOptions {
                identifier: default_identifier(path.file_name()),
                ..base.clone()
            };
            let (bytes, cdhashes) = sign_file(&bytes, signing.signer.as_ref(), &options, path.as_str())?;
            contents_now.insert(relative.clone(), (bytes, cdhashes));
        } else {
            contents_now.insert(relative.clone(), (bytes, Vec::new()));
        }
    }
    let sealed = inside
        .iter()
        .filter(|(relative, _)| **relative != executable)
        .map(|(relative, (_, entry))| {
            let file = match entry {
                ManifestEntry::Symlink { target, .. } => SealedFile::Symlink { target },
                ManifestEntry::File(_) => {
                    let (bytes, cdhashes) = &contents_now[relative];
                    SealedFile::File {
                        bytes,
                        cdhashes: cdhashes.clone(),
                    }
                }
            };
            (relative.as_str(), file)
        });
    let code_resources = apple::code_resources(sealed);

    // 2. The main executable, over Info.plist and the seal.
    let (exe_path, exe_entry) = &inside[&executable];
    let ManifestEntry::File(exe_file) = exe_entry else {
        unreachable!("checked above")
    };
    let options = AppleSignOptions {
        identifier,
        entitlements: signing.entitlements.clone(),
        info_plist: Some(info_plist),
        code_resources: Some(code_resources.clone()),
        ..base
    };
    let (exe_bytes, _) = sign_file(
        &exe_file.data.read()?,
        signing.signer.as_ref(),
        &options,
        exe_path.as_str(),
    )?;

    for (relative, (path, entry)) in inside {
        let replaced = match (&entry, contents_now.remove(&relative)) {
            (ManifestEntry::File(file), Some((bytes, cdhashes))) if !cdhashes.is_empty() => {
                ManifestEntry::File(FileEntry {
                    data: crate::manifest::FileData::Memory(bytes.into()),
                    ..file.clone()
                })
            }
            (ManifestEntry::File(file), _) if relative == executable => ManifestEntry::File(FileEntry {
                data: crate::manifest::FileData::Memory(exe_bytes.clone().into()),
                ..file.clone()
            }),
            _ => entry,
        };
        signed.add(path, replaced)?;
    }
    signed.add_file(
        ManifestPath::new(&format!("{contents}_CodeSignature/CodeResources"))?,
        FileEntry::from_bytes(code_resources, false, "the bundle's code signature seal"),
    )?;
    Ok(signed)
}

/// Signs a Mach-O file, thin or universal (each architecture with the same
/// options); returns the signed bytes and each architecture's cdhash.
pub fn sign_file(
    bytes: &[u8],
    signer: Option<&CodeSigner>,
    options: &AppleSignOptions,
    label: &str,
) -> Result<(Vec<u8>, Vec<[u8; 32]>), CodesignError> {
    let sign_error = |source| CodesignError::Sign {
        path: label.to_string(),
        source,
    };
    let universal_error = |source| CodesignError::Universal {
        path: label.to_string(),
        source,
    };
    let cdhash = |signed: &[u8]| -> Result<[u8; 32], CodesignError> {
        Ok(apple::embedded_signature(signed)
            .map_err(sign_error)?
            .expect("just signed")
            .cdhash)
    };
    let magic = bytes
        .get(..4)
        .map(|m| u32::from_be_bytes(m.try_into().expect("4 bytes")));
    if !matches!(magic, Some(FAT_MAGIC | FAT_MAGIC_64)) {
        // Thin (or not Mach-O at all: the signer says which).
        let signed = apple::sign_macho(bytes, signer, options).map_err(sign_error)?;
        let hash = cdhash(&signed)?;
        return Ok((signed, vec![hash]));
    }
    let mut slices = Vec::new();
    for arch in macho_architectures(bytes).map_err(universal_error)? {
        let slice = &bytes[arch.offset as usize..(arch.offset + arch.size) as usize];
        let signed = apple::sign_macho(slice, signer, options).map_err(|source| CodesignError::Sign {
            path: format!("{label} ({arch})"),
            source,
        })?;
        slices.push((arch.name, signed));
    }
    let cdhashes = slices.iter().map(|(_, s)| cdhash(s)).collect::<Result<Vec<_>, _>>()?;
    let inputs: Vec<(&str, &[u8])> = slices.iter().map(|(n, s)| (n.as_str(), s.as_slice())).collect();
    Ok((universal_binary(&inputs).map_err(universal_error)?, cdhashes))
}

/// `codesign`'s identifier for code outside a bundle's main executable:
/// the file name without its last extension.
pub fn default_identifier(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => file_name.to_string(),
    }
}

/// The first directory of `relative` (below `Contents/`) that is a bundle.
fn nested_bundle(relative: &str) -> Option<String> {
    let parts: Vec<&str> = relative.split('/').collect();
    let directories = &parts[..parts.len().saturating_sub(1)];
    directories
        .iter()
        .position(|part| {
            [".framework", ".app", ".appex", ".xpc", ".bundle"]
                .iter()
                .any(|ext| part.ends_with(ext))
        })
        .map(|index| directories[..=index].join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_nested_bundles() {
        assert_eq!(
            default_identifier("_speedups.cpython-311-darwin.so"),
            "_speedups.cpython-311-darwin"
        );
        assert_eq!(default_identifier("ninja"), "ninja");
        assert_eq!(default_identifier(".hidden"), ".hidden");
        assert_eq!(
            nested_bundle("Frameworks/Python.framework/Versions/3.11/Python").as_deref(),
            Some("Frameworks/Python.framework")
        );
        assert_eq!(
            nested_bundle("MacOS/lib/foo.bundle"),
            None,
            "a file named .bundle is not a directory"
        );
        assert_eq!(nested_bundle("Resources/data.txt"), None);
    }
}
