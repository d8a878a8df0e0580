//! Code signatures of DMG disk images, as `codesign --sign` writes them.
//!
//! A UDIF image ends with the 512-byte `koly` trailer, big-endian; the
//! fields signing touches:
//!
//! | offset | field |
//! |---|---|
//! | 0 | `koly` magic |
//! | 216, 224 | offset and length of the XML property list (the `blkx` tables) |
//! | 296, 304 | offset and length of the code signature (0, 0 when unsigned) |
//!
//! The signature, a SuperBlob of a code directory, an empty requirement set
//! and the CMS blob, goes right after the property list, and the trailer
//! follows it. Its code directory (version `0x20100`, page size 0) holds a
//! single hash over the image up to the signature, and special slot 6 holds
//! the hash of the trailer as it will be, except that the signature length
//! reads 0 (the length is not known while the trailer is hashed).
//! Re-signing replaces an existing signature (and a stapled ticket with it).
//! A notarization ticket is stapled into slot `0x10002` ([`staple_dmg`]).

use sha2::{Digest, Sha256};

use super::blobs::{
    self, CodeDirectory, SLOT_CODE_DIRECTORY, SLOT_REP_SPECIFIC, SLOT_REQUIREMENTS, SLOT_SIGNATURE, SLOT_TICKET,
};
use super::{AppleSignError, AppleSignOptions, check_options, cms};
use crate::authenticode::CodeSigner;

const KOLY_LEN: usize = 512;
const PLIST_OFFSET: usize = 216;
const PLIST_LENGTH: usize = 224;
const SIGNATURE_OFFSET: usize = 296;
const SIGNATURE_LENGTH: usize = 304;

/// Signs a DMG (ad-hoc without a `signer`): returns the image with its
/// embedded signature. Of the options, the identifier (conventionally the
/// image's file name without `.dmg`), team ID, signing time and timestamp
/// apply; bundle and runtime settings are refused.
pub fn sign_dmg(
    dmg: &[u8],
    signer: Option<&CodeSigner>,
    options: &AppleSignOptions,
) -> Result<Vec<u8>, AppleSignError> {
    check_options(options, signer.is_some())?;
    if options.hardened_runtime
        || options.entitlements.is_some()
        || options.info_plist.is_some()
        || options.code_resources.is_some()
    {
        return Err(AppleSignError::Option {
            reason: "a DMG's signature has no hardened runtime, entitlements, Info.plist or CodeResources; sign the app inside with those".into(),
        });
    }
    let not_dmg = |reason: &str| AppleSignError::NotDmg {
        reason: reason.to_string(),
    };
    let mut koly: [u8; KOLY_LEN] = trailer(dmg)?.try_into().expect("512 bytes");
    let field = |at: usize| blobs::be64(&koly, at).expect("inside the trailer");
    let content_end = field(PLIST_OFFSET)
        .checked_add(field(PLIST_LENGTH))
        .filter(|&end| end <= (dmg.len() - KOLY_LEN) as u64)
        .ok_or_else(|| not_dmg("its property list lies outside the file"))? as usize;
    let (old_offset, old_length) = (field(SIGNATURE_OFFSET), field(SIGNATURE_LENGTH));
    if old_length != 0 && old_offset != content_end as u64 {
        return Err(not_dmg("its existing code signature does not follow the property list"));
    }
    let content = &dmg[..content_end];

    // The trailer as hashed: signature at its place, length 0.
    koly[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 8].copy_from_slice(&(content_end as u64).to_be_bytes());
    koly[SIGNATURE_LENGTH..SIGNATURE_LENGTH + 8].copy_from_slice(&0u64.to_be_bytes());
    let requirements = blobs::empty_requirements();
    let special = [
        (SLOT_REQUIREMENTS, Sha256::digest(&requirements).into()),
        (SLOT_REP_SPECIFIC, Sha256::digest(koly).into()),
    ];
    let code_limit = u32::try_from(content_end).map_err(|_| AppleSignError::TooLarge)?;
    let code_directory = CodeDirectory {
        identifier: &options.identifier,
        team_id: options.team_id.as_deref(),
        flags: if signer.is_none() { blobs::CS_ADHOC } else { 0 },
        code_limit,
        page_size_log2: 0,
        code_hashes: vec![Sha256::digest(content).into()],
        special: &special,
        exec_seg: None,
        runtime: None,
    }
    .to_blob();
    let cms = match signer {
        Some(signer) => cms::sign_code_directory(
            &code_directory,
            signer,
            options.signing_time,
            options.timestamp.as_deref(),
        )?,
        None => Vec::new(),
    };
    let signature = blobs::super_blob(vec![
        (SLOT_CODE_DIRECTORY, code_directory),
        (SLOT_REQUIREMENTS, requirements),
        (SLOT_SIGNATURE, blobs::signature_wrapper(&cms)),
    ]);
    // Unlike a Mach-O file's, the length is written after hashing: no room is reserved.
    koly[SIGNATURE_LENGTH..SIGNATURE_LENGTH + 8].copy_from_slice(&(signature.len() as u64).to_be_bytes());
    let mut out = Vec::with_capacity(content_end + signature.len() + KOLY_LEN);
    out.extend_from_slice(content);
    out.extend(signature);
    out.extend(koly);
    Ok(out)
}

/// The embedded signature of a DMG, read back (`Ok(None)` when unsigned):
/// the same fields as a Mach-O file's, plus whether the code hash and the
/// trailer hash match the image.
pub fn dmg_signature(dmg: &[u8]) -> Result<Option<(super::EmbeddedSignature, bool)>, AppleSignError> {
    let Some((offset, signature)) = signature_of(dmg)? else {
        return Ok(None);
    };
    let bad = || AppleSignError::NotDmg {
        reason: "its code signature is not a well-formed embedded signature".into(),
    };
    let koly = &dmg[dmg.len() - KOLY_LEN..];
    let info = super::read_super_blob(signature)?;
    let cd = blobs::parse_super_blob(signature)
        .and_then(|b| b.into_iter().find(|(slot, _)| *slot == SLOT_CODE_DIRECTORY))
        .map(|(_, cd)| cd)
        .ok_or_else(bad)?;
    let hash_offset = blobs::be32(cd, 16).ok_or_else(bad)? as usize;
    let code_hash = cd.get(hash_offset..hash_offset + 32).ok_or_else(bad)?;
    let mut hashed_koly: [u8; KOLY_LEN] = koly.try_into().expect("512 bytes");
    hashed_koly[SIGNATURE_LENGTH..SIGNATURE_LENGTH + 8].copy_from_slice(&0u64.to_be_bytes());
    let koly_hash: [u8; 32] = Sha256::digest(hashed_koly).into();
    let matches = code_hash == Sha256::digest(&dmg[..offset]).as_slice()
        && info.special_slots.get(&SLOT_REP_SPECIFIC) == Some(&koly_hash);
    Ok(Some((info, matches)))
}

/// Staples a notarization `ticket` to a signed DMG, as `xcrun stapler
/// staple` does: the ticket, wrapped in a blob, joins the signature in slot
/// `0x10002` (replacing an earlier one) and the trailer's signature length
/// grows. Neither hash the signature holds changes: the code hash covers
/// the image before the signature, and the trailer is hashed with a zero
/// signature length.
pub fn staple_dmg(dmg: &[u8], ticket: &[u8]) -> Result<Vec<u8>, AppleSignError> {
    let (offset, signature) = signature_of(dmg)?.ok_or_else(|| AppleSignError::NotDmg {
        reason: "it is not signed; sign it with a Developer ID certificate, notarize it, then staple".into(),
    })?;
    let mut blobs: Vec<(u32, Vec<u8>)> = blobs::parse_super_blob(signature)
        .expect("checked by signature_of")
        .into_iter()
        .filter(|(slot, _)| *slot != SLOT_TICKET)
        .map(|(slot, blob)| (slot, blob.to_vec()))
        .collect();
    blobs.push((SLOT_TICKET, blobs::signature_wrapper(ticket)));
    let signature = blobs::super_blob(blobs);
    let mut koly: [u8; KOLY_LEN] = dmg[dmg.len() - KOLY_LEN..].try_into().expect("512 bytes");
    koly[SIGNATURE_LENGTH..SIGNATURE_LENGTH + 8].copy_from_slice(&(signature.len() as u64).to_be_bytes());
    let mut out = Vec::with_capacity(offset + signature.len() + KOLY_LEN);
    out.extend_from_slice(&dmg[..offset]);
    out.extend(signature);
    out.extend(koly);
    Ok(out)
}

/// The notarization ticket stapled to a DMG, if any.
pub fn dmg_ticket(dmg: &[u8]) -> Result<Option<Vec<u8>>, AppleSignError> {
    let Some((_, signature)) = signature_of(dmg)? else {
        return Ok(None);
    };
    Ok(blobs::parse_super_blob(signature)
        .expect("checked by signature_of")
        .into_iter()
        .find(|(slot, blob)| *slot == SLOT_TICKET && blob.len() >= 8)
        .map(|(_, blob)| blob[8..].to_vec()))
}

/// Where the signature starts and its bytes (`None` when unsigned).
fn signature_of(dmg: &[u8]) -> Result<Option<(usize, &[u8])>, AppleSignError> {
    let koly = trailer(dmg)?;
    let field = |at: usize| blobs::be64(koly, at).expect("inside the trailer") as usize;
    let (offset, length) = (field(SIGNATURE_OFFSET), field(SIGNATURE_LENGTH));
    if length == 0 {
        return Ok(None);
    }
    let bad = || AppleSignError::NotDmg {
        reason: "its code signature is not a well-formed embedded signature".into(),
    };
    let signature = dmg
        .get(offset..offset.checked_add(length).ok_or_else(bad)?)
        .filter(|s| blobs::parse_super_blob(s).is_some())
        .ok_or_else(bad)?;
    Ok(Some((offset, signature)))
}

/// The 512-byte `koly` trailer that ends every UDIF image.
fn trailer(dmg: &[u8]) -> Result<&[u8], AppleSignError> {
    match dmg.len().checked_sub(KOLY_LEN) {
        Some(start) if &dmg[start..start + 4] == b"koly" => Ok(&dmg[start..]),
        _ => Err(AppleSignError::NotDmg {
            reason: "it does not end with a UDIF \"koly\" trailer".into(),
        }),
    }
}
