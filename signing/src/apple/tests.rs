use super::*;

/// A minimal thin arm64 executable: `__PAGEZERO`, `__TEXT` with one
/// section at `text_offset`, `__LINKEDIT` at the end, `LC_BUILD_VERSION`
/// (macOS 11.0, SDK 14.2), `size` bytes in all.
fn tiny_macho(text_offset: u32, linkedit_len: u64) -> Vec<u8> {
    let text_len = 0x4000u64;
    let mut commands = Vec::new();
    let segment = |name: &str, fileoff: u64, filesize: u64, sections: &[(&str, u32, u64)]| {
        let mut c = Vec::new();
        c.extend(0x19u32.to_le_bytes());
        c.extend(((72 + 80 * sections.len()) as u32).to_le_bytes());
        let mut n = [0u8; 16];
        n[..name.len()].copy_from_slice(name.as_bytes());
        c.extend(n);
        c.extend((0x1_0000_0000u64 + fileoff).to_le_bytes()); // vmaddr
        c.extend(filesize.next_multiple_of(0x4000).to_le_bytes()); // vmsize
        c.extend(fileoff.to_le_bytes());
        c.extend(filesize.to_le_bytes());
        c.extend([5u32, 5, sections.len() as u32, 0].iter().flat_map(|v| v.to_le_bytes()));
        for (sect, offset, size) in sections {
            let mut s = [0u8; 16];
            s[..sect.len()].copy_from_slice(sect.as_bytes());
            c.extend(s);
            c.extend(n);
            c.extend((0x1_0000_0000u64 + u64::from(*offset)).to_le_bytes());
            c.extend(size.to_le_bytes());
            c.extend(offset.to_le_bytes());
            c.extend([2u32, 0, 0, 0x8000_0400, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        }
        c
    };
    commands.extend(segment("__PAGEZERO", 0, 0, &[]));
    commands.extend(segment("__TEXT", 0, text_len, &[("__text", text_offset, 64)]));
    commands.extend(segment("__LINKEDIT", text_len, linkedit_len, &[]));
    commands.extend(
        [0x32u32, 24, 1, 0x000b_0000, 0x000e_0200, 0]
            .iter()
            .flat_map(|v| v.to_le_bytes()),
    );
    let ncmds = 4u32;
    let mut file = Vec::new();
    file.extend(
        [
            super::macho::MH_MAGIC_64,
            0x0100_000c,
            0,
            2,
            ncmds,
            commands.len() as u32,
            0x0020_0085,
            0,
        ]
        .iter()
        .flat_map(|v| v.to_le_bytes()),
    );
    file.extend(commands);
    file.resize(text_offset as usize, 0);
    file.extend((0..64u8).map(|b| b.wrapping_mul(7)));
    file.resize(text_len as usize, 0);
    file.extend((0..linkedit_len).map(|b| (b % 251) as u8));
    file
}

fn options(identifier: &str) -> AppleSignOptions {
    AppleSignOptions {
        identifier: identifier.into(),
        ..Default::default()
    }
}

#[test]
fn ad_hoc_signature_adds_the_load_command_and_hashes_every_page() {
    let input = tiny_macho(0x1000, 0x123);
    let signed = sign_macho(&input, None, &options("org.example.tiny")).unwrap();
    let macho = MachO::parse(&signed).unwrap();
    let (offset, size) = macho.signature_range().expect("a signature");
    assert_eq!(offset % 16, 0);
    assert_eq!(offset, (0x4000 + 0x123usize).next_multiple_of(16));
    assert_eq!(offset + size, signed.len());
    // The original bytes survive, apart from the patched header.
    assert_eq!(signed[0x1000..0x4123], input[0x1000..0x4123]);
    assert_eq!(
        u32::from_le_bytes(signed[16..20].try_into().unwrap()),
        5,
        "ncmds grew by one"
    );

    let info = embedded_signature(&signed).unwrap().unwrap();
    assert_eq!(info.identifier, "org.example.tiny");
    assert_eq!(info.flags, blobs::CS_ADHOC);
    assert_eq!(info.cms, None);
    assert_eq!(info.team_id, None);
    let requirements: [u8; 32] = Sha256::digest(blobs::empty_requirements()).into();
    assert_eq!(info.special_slots, BTreeMap::from([(SLOT_REQUIREMENTS, requirements)]));

    // Page hashes: read the code directory back and hash the pages ourselves.
    let blobs = blobs::parse_super_blob(&signed[offset..]).unwrap();
    let cd = blobs.iter().find(|(slot, _)| *slot == 0).unwrap().1;
    let hash_offset = blobs::be32(cd, 16).unwrap() as usize;
    let code_slots = blobs::be32(cd, 28).unwrap() as usize;
    assert_eq!(
        blobs::be32(cd, 32).unwrap() as usize,
        offset,
        "codeLimit is the signature offset"
    );
    assert_eq!(code_slots, offset.div_ceil(4096));
    for (index, page) in signed[..offset].chunks(4096).enumerate() {
        let at = hash_offset + 32 * index;
        assert_eq!(&cd[at..at + 32], Sha256::digest(page).as_slice(), "page {index}");
    }
    assert_eq!(
        blobs::be64(cd, 80),
        Some(CS_EXECSEG_MAIN_BINARY),
        "an executable is the main binary"
    );
    assert_eq!(blobs::be64(cd, 72), Some(0x4000), "execSegLimit is __TEXT's size");
}

#[test]
fn resigning_replaces_the_signature_and_is_reproducible() {
    let input = tiny_macho(0x1000, 0x2000);
    let once = sign_macho(&input, None, &options("tiny")).unwrap();
    let again = sign_macho(&input, None, &options("tiny")).unwrap();
    assert_eq!(once, again, "same input, same bytes");
    let twice = sign_macho(&once, None, &options("tiny")).unwrap();
    assert_eq!(once, twice, "signing a signed file replaces its signature in place");
    let renamed = sign_macho(&once, None, &options("other")).unwrap();
    assert_eq!(embedded_signature(&renamed).unwrap().unwrap().identifier, "other");
}

#[test]
fn bundle_slots_entitlements_and_hardened_runtime() {
    let input = tiny_macho(0x1000, 0x80);
    let entitlements = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>get-task-allow</key><true/></dict></plist>"#;
    let signed = sign_macho(
        &input,
        None,
        &AppleSignOptions {
            identifier: "org.example.app".into(),
            team_id: Some("ABCDE12345".into()),
            hardened_runtime: true,
            entitlements: Some(entitlements.to_vec()),
            info_plist: Some(b"<plist/>".to_vec()),
            code_resources: Some(b"resources".to_vec()),
            ..Default::default()
        },
    )
    .unwrap();
    let info = embedded_signature(&signed).unwrap().unwrap();
    assert_eq!(info.flags, blobs::CS_ADHOC | blobs::CS_RUNTIME);
    assert_eq!(info.team_id.as_deref(), Some("ABCDE12345"));
    let sha = |b: &[u8]| -> [u8; 32] { Sha256::digest(b).into() };
    assert_eq!(info.special_slots[&SLOT_INFO_PLIST], sha(b"<plist/>"));
    assert_eq!(info.special_slots[&SLOT_RESOURCES], sha(b"resources"));
    assert_eq!(
        info.special_slots[&SLOT_ENTITLEMENTS],
        sha(&blobs::entitlements(entitlements))
    );
    let (offset, _) = MachO::parse(&signed).unwrap().signature_range().unwrap();
    let blobs = blobs::parse_super_blob(&signed[offset..]).unwrap();
    let cd = blobs.iter().find(|(slot, _)| *slot == 0).unwrap().1;
    assert_eq!(blobs::be32(cd, 8), Some(0x20500));
    assert_eq!(blobs::be32(cd, 88), Some(0x000e_0200), "runtime version = SDK 14.2");
    assert_eq!(
        blobs::be64(cd, 80),
        Some(CS_EXECSEG_MAIN_BINARY | 0x10),
        "get-task-allow allows unsigned pages"
    );
}

#[test]
fn refused_inputs_say_why() {
    let err = |bytes: &[u8], options: &AppleSignOptions| sign_macho(bytes, None, options).unwrap_err().to_string();
    assert!(err(b"\x7fELF......................................", &options("x")).contains("not a Mach-O file"));
    assert!(err(&0xcafe_babeu32.to_be_bytes().repeat(8), &options("x")).contains("sign each architecture"));
    assert!(err(&0xfeed_faceu32.to_le_bytes().repeat(8), &options("x")).contains("32-bit"));

    // Load commands end at 32 + 4 segments/commands; a section right behind them leaves no room.
    let commands_end = 32 + 72 + (72 + 80) + 72 + 24;
    let no_room = tiny_macho(commands_end + 8, 0x40);
    let message = err(&no_room, &options("x"));
    assert!(
        message.contains("no room") && message.contains("headerpad"),
        "{message}"
    );

    let mut trailing = tiny_macho(0x1000, 0x40);
    trailing.extend([1, 2, 3]);
    assert!(err(&trailing, &options("x")).contains("3 bytes follow the __LINKEDIT segment"));

    let input = tiny_macho(0x1000, 0x40);
    assert!(err(&input, &options("")).contains("identifier is empty"));
    let mut timed = options("x");
    timed.timestamp = Some("http://timestamp.example".into());
    assert!(err(&input, &timed).contains("needs a certificate"));
    let mut bad_entitlements = options("x");
    bad_entitlements.entitlements = Some(b"<plist><array/></plist>".to_vec());
    assert!(err(&input, &bad_entitlements).contains("not a dictionary"));
}

#[test]
fn hardened_runtime_needs_the_sdk_version() {
    let mut input = tiny_macho(0x1000, 0x40);
    // Turn LC_BUILD_VERSION into an unknown command.
    let at = 32 + 72 + (72 + 80) + 72;
    input[at..at + 4].copy_from_slice(&0x7777u32.to_le_bytes());
    let mut runtime = options("x");
    runtime.hardened_runtime = true;
    assert!(matches!(
        sign_macho(&input, None, &runtime),
        Err(AppleSignError::NoSdkVersion)
    ));
}
