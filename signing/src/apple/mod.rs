//! Apple code signatures of Mach-O files, made in process on any host:
//! what `codesign --sign` embeds, ad-hoc or with a certificate.
//!
//! Design:
//!
//! - **Unit of work: one thin 64-bit Mach-O file** ([`sign_macho`]).
//!   Universal binaries are split, signed per architecture and merged by the
//!   caller (the installers crate owns the universal-binary layout), and
//!   bundles are sealed by the caller too: it hashes the bundle's files
//!   into `_CodeSignature/CodeResources` and passes that file and
//!   `Info.plist` in [`AppleSignOptions`], whose hashes the main
//!   executable's code directory then holds.
//! - **What is signed** ([`blobs`] has the byte layout): the code
//!   directory, a list of SHA-256 hashes of every 4 KiB page of the file up
//!   to the signature, plus special-slot hashes of the requirement set,
//!   the entitlements, `Info.plist` and `CodeResources`. Its SHA-256 is
//!   the *cdhash* by which macOS knows the code.
//! - **Ad-hoc** (no [`CodeSigner`]): flag `CS_ADHOC` and an empty CMS
//!   blob, what `codesign -s -` writes. macOS on Apple Silicon runs
//!   ad-hoc signed code; Gatekeeper still wants a Developer ID signature
//!   and notarization for downloads.
//! - **With a certificate**: a CMS `SignedData` over the code directory
//!   ([`cms`]), RSA keys as for Authenticode (PEM or PKCS#12, the same
//!   [`CodeSigner`]); optional RFC 3161 timestamp and signing time.
//! - **Reproducible**: no clock and no randomness unless a signing time or
//!   timestamp is asked for; the signature is sized exactly (everything but
//!   a timestamp token has a length known in advance), so the same input,
//!   key and options give the same bytes.
//! - **Notarization** ([`notary`]): Apple's notary service client, and
//!   stapling its tickets ([`staple_dmg`], [`BUNDLE_TICKET_PATH`]).
//! - **Not written**: a designated requirement (the requirement set is
//!   empty: macOS derives the implicit one from the certificate), DER
//!   entitlements (macOS reads the XML; iOS 15 wants DER), SHA-1 code
//!   directories (only for macOS before 10.11.4), launch constraints.

mod blobs;
mod cms;
mod dmg;
mod macho;
pub mod notary;
mod resources;

use std::collections::BTreeMap;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::authenticode::{AuthenticodeError, CodeSigner};
use blobs::{
    CS_ADHOC, CS_EXECSEG_MAIN_BINARY, CS_RUNTIME, CSMAGIC_BLOBWRAPPER, CSMAGIC_CODEDIRECTORY, CodeDirectory,
    SLOT_CODE_DIRECTORY, SLOT_ENTITLEMENTS, SLOT_INFO_PLIST, SLOT_REQUIREMENTS, SLOT_RESOURCES, SLOT_SIGNATURE,
};
pub use dmg::{dmg_signature, dmg_ticket, sign_dmg, staple_dmg};
use macho::{MH_EXECUTE, MachO};
pub use resources::{SealedFile, cdhash_requirement, code_resources};

/// Room kept for an RFC 3161 token, whose length is only known once the
/// authority answers (Apple's are ~4.2 KB, commercial ones up to ~7 KB).
const TIMESTAMP_ROOM: usize = 12 * 1024;

/// Why a Mach-O file could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum AppleSignError {
    #[error("the input is not a Mach-O file: {reason}")]
    NotMachO { reason: String },
    #[error("the input is not a DMG disk image: {reason}")]
    NotDmg { reason: String },
    #[error("cannot sign {what}")]
    Unsupported { what: String },
    #[error("the Mach-O file cannot be signed: {reason}")]
    Malformed { reason: String },
    #[error(
        "the Mach-O file has no room for a code signature load command ({available} free bytes after the load commands, 16 needed); relink it with `-Wl,-headerpad,0x100` (or `-headerpad_max_install_names`)"
    )]
    NoHeaderRoom { available: u64 },
    #[error("the signed Mach-O file would be 4 GiB or larger, which a code signature cannot cover")]
    TooLarge,
    #[error("invalid signing option: {reason}")]
    Option { reason: String },
    #[error("the entitlements are not a valid property list: {reason}; give an XML plist with a <dict> at the top")]
    Entitlements { reason: String },
    #[error(
        "the hardened runtime needs the SDK version the binary was built with, but it has no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX load command; rebuild it with a current toolchain"
    )]
    NoSdkVersion,
    #[error("the timestamp token ({len} bytes) is larger than the {room} bytes reserved for it")]
    TimestampTooLarge { len: usize, room: usize },
    #[error(transparent)]
    Signer(#[from] AuthenticodeError),
}

/// What a signature says besides the page hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppleSignOptions {
    /// The code's identifier: a bundle's `CFBundleIdentifier` for its main
    /// executable, conventionally the file name without extension for
    /// other code.
    pub identifier: String,
    /// The Apple team identifier (the `OU` of a Developer ID certificate),
    /// written into the code directory.
    pub team_id: Option<String>,
    /// Sets the hardened runtime flag (`codesign -o runtime`), which
    /// notarization requires.
    pub hardened_runtime: bool,
    /// An XML property list of entitlements.
    pub entitlements: Option<Vec<u8>>,
    /// The bundle's `Contents/Info.plist`, when signing its main executable.
    pub info_plist: Option<Vec<u8>>,
    /// The bundle's `Contents/_CodeSignature/CodeResources`, when signing its
    /// main executable.
    pub code_resources: Option<Vec<u8>>,
    /// Writes a `signingTime` signed attribute (certificate signing only).
    /// Off by default, which keeps signing reproducible.
    pub signing_time: Option<SystemTime>,
    /// The `http://` URL of an RFC 3161 timestamp authority (certificate
    /// signing only); notarization requires a secure timestamp (Apple's is
    /// `http://timestamp.apple.com/ts01`). Makes the output differ per run.
    pub timestamp: Option<String>,
}

/// Signs a thin 64-bit Mach-O file, ad-hoc without a `signer`: returns the
/// file with its embedded signature (replacing any existing one, such as
/// the linker's ad-hoc signature on arm64).
pub fn sign_macho(
    input: &[u8],
    signer: Option<&CodeSigner>,
    options: &AppleSignOptions,
) -> Result<Vec<u8>, AppleSignError> {
    let macho = MachO::parse(input)?;
    check_options(options, signer.is_some())?;
    let entitlement_flags = match &options.entitlements {
        Some(xml) => exec_seg_flags_for(xml)?,
        None => 0,
    };
    let runtime = if options.hardened_runtime {
        Some(macho.sdk_version.ok_or(AppleSignError::NoSdkVersion)?)
    } else {
        None
    };

    let mut special = vec![(SLOT_REQUIREMENTS, blobs::empty_requirements())];
    if let Some(xml) = &options.entitlements {
        special.push((SLOT_ENTITLEMENTS, blobs::entitlements(xml)));
    }
    let mut special_hashes: Vec<(u32, [u8; 32])> = special
        .iter()
        .map(|(slot, blob)| (*slot, Sha256::digest(blob).into()))
        .collect();
    if let Some(info) = &options.info_plist {
        special_hashes.push((SLOT_INFO_PLIST, Sha256::digest(info).into()));
    }
    if let Some(resources) = &options.code_resources {
        special_hashes.push((SLOT_RESOURCES, Sha256::digest(resources).into()));
    }

    let flags = (if signer.is_none() { CS_ADHOC } else { 0 }) | (if runtime.is_some() { CS_RUNTIME } else { 0 });
    let exec_seg_flags = if macho.file_type == MH_EXECUTE {
        CS_EXECSEG_MAIN_BINARY | entitlement_flags
    } else {
        0
    };
    let super_blob = |code: &[u8], timestamp: Option<&str>| -> Result<Vec<u8>, AppleSignError> {
        let code_directory = CodeDirectory {
            identifier: &options.identifier,
            team_id: options.team_id.as_deref(),
            flags,
            code_limit: code.len() as u32,
            page_size_log2: blobs::PAGE_SIZE_LOG2,
            code_hashes: blobs::page_hashes(code),
            special: &special_hashes,
            exec_seg: Some((macho.text.fileoff, macho.text.filesize, exec_seg_flags)),
            runtime,
        }
        .to_blob();
        let cms = match signer {
            Some(signer) => cms::sign_code_directory(&code_directory, signer, options.signing_time, timestamp)?,
            None => Vec::new(),
        };
        let mut all = special.clone();
        all.push((SLOT_CODE_DIRECTORY, code_directory));
        all.push((SLOT_SIGNATURE, blobs::signature_wrapper(&cms)));
        Ok(blobs::super_blob(all))
    };

    // The signature's length is part of the hashed load commands, and every
    // length in it is known before hashing (page count, identifiers, key
    // size): measure it over a placeholder layout, then lay out for real.
    let (draft, _) = macho.unsigned_with_room(input, 0)?;
    let mut length = super_blob(&draft, None)?.len();
    if options.timestamp.is_some() {
        length += TIMESTAMP_ROOM;
    }
    let (mut output, signature_offset) = macho.unsigned_with_room(input, length)?;
    let mut signature = super_blob(&output[..signature_offset], options.timestamp.as_deref())?;
    if signature.len() > length {
        return Err(AppleSignError::TimestampTooLarge {
            len: signature.len() + TIMESTAMP_ROOM - length,
            room: TIMESTAMP_ROOM,
        });
    }
    signature.resize(length, 0);
    output.extend(signature);
    Ok(output)
}

fn check_options(options: &AppleSignOptions, with_certificate: bool) -> Result<(), AppleSignError> {
    let bad = |reason: String| Err(AppleSignError::Option { reason });
    if options.identifier.is_empty() {
        return bad("the identifier is empty; use the bundle identifier or the file name".into());
    }
    for (what, value) in [
        ("identifier", Some(&options.identifier)),
        ("team ID", options.team_id.as_ref()),
    ] {
        if let Some(value) = value
            && (value.contains('\0') || !value.is_ascii())
        {
            return bad(format!("the {what} {value:?} must be ASCII without NUL characters"));
        }
    }
    if !with_certificate && (options.timestamp.is_some() || options.signing_time.is_some()) {
        return bad("a timestamp or signing time needs a certificate; ad-hoc signatures carry neither".into());
    }
    Ok(())
}

/// The executable-segment flags entitlements imply (`cs_blobs.h`
/// `CS_EXECSEG_*`), which the kernel reads from the code directory rather
/// than from the entitlements.
fn exec_seg_flags_for(xml: &[u8]) -> Result<u64, AppleSignError> {
    let value =
        plist::Value::from_reader_xml(xml).map_err(|e| AppleSignError::Entitlements { reason: e.to_string() })?;
    let dict = value.as_dictionary().ok_or_else(|| AppleSignError::Entitlements {
        reason: "the top-level value is not a dictionary".into(),
    })?;
    const FLAGS: [(&str, u64); 6] = [
        ("get-task-allow", 0x10),
        ("run-unsigned-code", 0x10),
        ("com.apple.private.cs.debugger", 0x20),
        ("dynamic-codesigning", 0x40),
        ("com.apple.private.skip-library-validation", 0x80),
        ("com.apple.private.amfi.can-load-cdhash", 0x100),
    ];
    Ok(FLAGS
        .iter()
        .filter(|(key, _)| dict.get(key).and_then(plist::Value::as_boolean) == Some(true))
        .fold(0, |flags, (_, flag)| flags | flag))
}

/// What an embedded signature says, read back from a signed thin Mach-O file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedSignature {
    pub identifier: String,
    pub team_id: Option<String>,
    /// Code directory flags (`0x2` ad-hoc, `0x10000` hardened runtime, …).
    pub flags: u32,
    /// SHA-256 of the code directory: how macOS names this code (the first
    /// 20 bytes appear in `codesign -dv` as `CDHash`).
    pub cdhash: [u8; 32],
    /// Special-slot hashes by slot number (1 `Info.plist`, 2 requirements,
    /// 3 `CodeResources`, 5 entitlements); zero hashes are left out.
    pub special_slots: BTreeMap<u32, [u8; 32]>,
    /// The DER CMS `ContentInfo`; `None` for an ad-hoc signature.
    pub cms: Option<Vec<u8>>,
}

/// Reads the embedded signature of a thin Mach-O file (`Ok(None)` when it
/// has none).
pub fn embedded_signature(input: &[u8]) -> Result<Option<EmbeddedSignature>, AppleSignError> {
    let macho = MachO::parse(input)?;
    let Some((offset, size)) = macho.signature_range() else {
        return Ok(None);
    };
    read_super_blob(&input[offset..offset + size]).map(Some)
}

/// The fields of an embedded signature (a SuperBlob).
fn read_super_blob(signature: &[u8]) -> Result<EmbeddedSignature, AppleSignError> {
    let bad = || AppleSignError::Malformed {
        reason: "its code signature is not a well-formed embedded signature".into(),
    };
    let blobs = blobs::parse_super_blob(signature).ok_or_else(bad)?;
    let cd = blobs
        .iter()
        .find(|(slot, blob)| *slot == SLOT_CODE_DIRECTORY && blobs::be32(blob, 0) == Some(CSMAGIC_CODEDIRECTORY))
        .map(|(_, blob)| *blob)
        .ok_or_else(bad)?;
    let field = |at: usize| blobs::be32(cd, at).ok_or_else(bad);
    let c_string = |at: usize| -> Result<String, AppleSignError> {
        let rest = cd.get(at..).ok_or_else(bad)?;
        let end = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    };
    let flags = field(12)?;
    let hash_offset = field(16)? as usize;
    let identifier = c_string(field(20)? as usize)?;
    let special_count = field(24)?;
    let team_offset = if field(8)? >= 0x20200 { field(48)? } else { 0 };
    let team_id = if team_offset != 0 {
        Some(c_string(team_offset as usize)?)
    } else {
        None
    };
    let mut special_slots = BTreeMap::new();
    for slot in 1..=special_count {
        let at = hash_offset.checked_sub(32 * slot as usize).ok_or_else(bad)?;
        let hash: [u8; 32] = cd.get(at..at + 32).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        if hash != [0; 32] {
            special_slots.insert(slot, hash);
        }
    }
    let cms = blobs
        .iter()
        .find(|(slot, blob)| *slot == SLOT_SIGNATURE && blobs::be32(blob, 0) == Some(CSMAGIC_BLOBWRAPPER))
        .map(|(_, blob)| blob[8..].to_vec())
        .filter(|der| !der.is_empty());
    Ok(EmbeddedSignature {
        identifier,
        team_id,
        flags,
        cdhash: Sha256::digest(cd).into(),
        special_slots,
        cms,
    })
}

/// The first 20 bytes of a cdhash in lower-case hex, as `codesign` and
/// code requirements (`cdhash H"…"`) show it.
pub fn cdhash_hex(cdhash: &[u8; 32]) -> String {
    cdhash[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// The name under which Apple's ticket service keeps the notarization
/// ticket of code whose code directory hashes to `cdhash`: `2/2/` (record
/// format 2, digest type 2 = SHA-256) and the first 20 bytes in hex. For
/// a bundle it is the main executable's (the first slice's when it is
/// universal); for a DMG, the image's own signature's.
pub fn ticket_record_name(cdhash: &[u8; 32]) -> String {
    format!("2/2/{}", cdhash_hex(cdhash))
}

/// Where a bundle keeps its stapled ticket, relative to the `.app`
/// directory (beside `_CodeSignature/`, not sealed by it).
pub const BUNDLE_TICKET_PATH: &str = "Contents/CodeResources";

#[cfg(test)]
mod tests;
