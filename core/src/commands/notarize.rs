//! `oxdist notarize PATH`: submits a signed DMG or app bundle to Apple's
//! notary service, waits for the verdict and staples the ticket.
//!
//! What can be notarized, and where its ticket goes:
//!
//! | input | uploaded as | ticket stapled into |
//! |---|---|---|
//! | `NAME.dmg` (signed) | the file | the DMG's signature (slot `0x10002`) |
//! | `NAME.app.zip` (`package --format app`) | the file | `NAME.app/Contents/CodeResources` inside the zip |
//! | `NAME.app/` directory | a zip of it | `NAME.app/Contents/CodeResources` |
//!
//! The signature is checked before anything is sent: Apple only notarizes
//! Developer ID signatures, so unsigned and ad-hoc input is refused here,
//! where the message can say what to do. Stapled files are rewritten
//! atomically.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use oxdist_installers::macos::universal::macho_architectures;
use oxdist_installers::output::{OutputError, write_atomically};
use oxdist_signing::apple::notary::{ApiKey, Endpoints, NotaryClient, NotaryError};
use oxdist_signing::apple::{self, BUNDLE_TICKET_PATH, EmbeddedSignature};

use crate::error::Error;
use crate::report::Reporter;

/// How often, and how long apart, a ticket is asked for once the
/// submission is accepted: the ticket service can lag the verdict.
const TICKET_ATTEMPTS: u32 = 5;
const TICKET_PAUSE: Duration = Duration::from_secs(5);

/// `oxdist notarize`'s options.
#[derive(Debug)]
pub struct NotarizeArgs<'a> {
    pub path: &'a Path,
    pub issuer: Option<&'a str>,
    pub key_id: Option<&'a str>,
    pub key_file: Option<&'a Path>,
    /// Submit, print the submission ID and stop.
    pub no_wait: bool,
    /// Do not staple after acceptance.
    pub no_staple: bool,
    /// Skip the submission: staple the ticket of an accepted one.
    pub staple_only: bool,
    pub timeout: Duration,
}

/// Why `oxdist notarize` failed.
#[derive(Debug, thiserror::Error)]
pub enum NotarizeError {
    #[error("cannot notarize {}: {reason}", path.display())]
    Artifact { path: PathBuf, reason: String },
    #[error(
        "no App Store Connect API key: give --issuer, --key-id and --key-file (or OXDIST_NOTARY_ISSUER, OXDIST_NOTARY_KEY_ID and OXDIST_NOTARY_KEY_FILE, or the .p8 text in OXDIST_NOTARY_KEY); missing: {missing}"
    )]
    MissingKey { missing: String },
    #[error("cannot read the API key {}: {source}", path.display())]
    KeyFile { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Service(#[from] NotaryError),
}

impl NotarizeError {
    pub fn exit_code(&self) -> i32 {
        use crate::error::exit;
        match self {
            NotarizeError::MissingKey { .. } => exit::USAGE,
            NotarizeError::Artifact { .. }
            | NotarizeError::KeyFile { .. }
            | NotarizeError::Service(NotaryError::ApiKey { .. } | NotaryError::Unauthorized { .. }) => exit::INPUT,
            NotarizeError::Service(_) => exit::NOTARY,
        }
    }
}

/// What is being notarized.
enum Artifact {
    Dmg(Vec<u8>),
    /// A zip holding one `.app`, and that bundle's directory in it.
    AppZip {
        zip: Vec<u8>,
        app: String,
    },
    AppDir,
}

pub fn run(args: &NotarizeArgs<'_>, reporter: &Reporter) -> Result<(), Error> {
    let path = args.path;
    let (artifact, record) = inspect(path)?;
    let name = file_name(path);
    // Tickets are public: stapling alone needs no key.
    let key = if args.staple_only {
        api_key(args).ok()
    } else {
        Some(api_key(args)?)
    };
    let client = NotaryClient::new(key, Endpoints::from_env()).map_err(NotarizeError::from)?;
    if !args.staple_only {
        // A directory is zipped for the upload; files go as they are.
        let zipped;
        let (upload_name, upload): (String, &[u8]) = match &artifact {
            Artifact::Dmg(bytes) | Artifact::AppZip { zip: bytes, .. } => (name.clone(), bytes),
            Artifact::AppDir => {
                zipped = zip_bundle(path)?;
                (format!("{name}.zip"), &zipped)
            }
        };
        let step = reporter.step(format!("uploading {upload_name} to Apple's notary service"));
        let id = client.submit(&upload_name, upload).map_err(NotarizeError::from)?;
        step.finish(format!("submitted {upload_name}: submission {id}"), reporter);
        if args.no_wait {
            println!("{id}");
            reporter.info(format!(
                "not waiting; once Apple accepts it, staple with `oxdist notarize --staple-only {}`",
                path.display()
            ));
            return Ok(());
        }
        let step = reporter.step(format!("waiting for Apple's verdict on {id}"));
        let mut last = String::new();
        let status = client
            .wait(&id, args.timeout, |status| {
                if status.status != last {
                    reporter.detail(format!("submission {id}: {}", status.status));
                    last.clone_from(&status.status);
                }
            })
            .map_err(NotarizeError::from)?;
        if !status.accepted() {
            return Err(NotarizeError::from(client.refusal(&status)).into());
        }
        step.finish(format!("Apple accepted {upload_name} (submission {id})"), reporter);
    }
    if args.no_staple {
        return Ok(());
    }
    let ticket = fetch_ticket(&client, &record, reporter)?;
    staple(path, &artifact, &ticket)?;
    reporter.info(format!(
        "stapled the notarization ticket ({} bytes, {record}) to {}",
        ticket.len(),
        path.display()
    ));
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The artifact, checked to carry a Developer ID signature, and the
/// ticket record name its signature gives.
fn inspect(path: &Path) -> Result<(Artifact, String), NotarizeError> {
    let bad = |reason: String| NotarizeError::Artifact {
        path: path.to_path_buf(),
        reason,
    };
    let name = file_name(path);
    if path.is_dir() {
        if !name.ends_with(".app") {
            return Err(bad("a directory must be an app bundle (NAME.app)".into()));
        }
        let read = |relative: &str| fs::read(path.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"));
        let signature = bundle_signature(read).map_err(bad)?;
        return Ok((Artifact::AppDir, record_of(&signature, "the app").map_err(bad)?));
    }
    let bytes = fs::read(path).map_err(|e| bad(e.to_string()))?;
    if name.ends_with(".dmg") {
        let (signature, intact) = apple::dmg_signature(&bytes)
            .map_err(|e| bad(e.to_string()))?
            .ok_or_else(|| {
                bad("the DMG is not signed; package it with a code signer active (code_signer_from_pfx_file(...).activate()), then notarize".into())
            })?;
        if !intact {
            return Err(bad(
                "the DMG's signature does not match its contents (changed after signing?); package it again".into(),
            ));
        }
        let record = record_of(&signature, "the DMG").map_err(bad)?;
        return Ok((Artifact::Dmg(bytes), record));
    }
    if name.ends_with(".zip") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes))
            .map_err(|e| bad(format!("it is not a readable zip archive ({e})")))?;
        // The outermost bundles: each name's path up to its first `*.app` directory.
        let apps: std::collections::BTreeSet<String> = archive
            .file_names()
            .filter_map(|n| n.ok())
            .filter_map(|name| {
                let parts: Vec<&str> = name.split('/').collect();
                let app = parts.iter().position(|part| part.ends_with(".app"))?;
                (app + 1 < parts.len()).then(|| parts[..=app].join("/"))
            })
            .collect();
        let [app] = apps
            .into_iter()
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|apps: Vec<String>| {
                bad(format!(
                    "the zip must hold exactly one NAME.app bundle (as `oxdist package --format app` writes), found {}",
                    if apps.is_empty() {
                        "none".to_string()
                    } else {
                        apps.join(", ")
                    }
                ))
            })?;
        let read = |relative: &str| {
            let member = format!("{app}/{relative}");
            let mut file = archive.by_name(&member).map_err(|_| format!("{member} is missing"))?;
            let mut out = Vec::new();
            file.read_to_end(&mut out)
                .map_err(|e| format!("cannot read {member}: {e}"))?;
            Ok(out)
        };
        let signature = bundle_signature(read).map_err(bad)?;
        let record = record_of(&signature, &app).map_err(bad)?;
        return Ok((Artifact::AppZip { zip: bytes, app }, record));
    }
    Err(bad(
        "give a signed .dmg, a .app.zip (`oxdist package --format app`) or a .app directory".into(),
    ))
}

/// The signature of a bundle's main executable (its first slice when
/// universal), found through `Info.plist`'s `CFBundleExecutable`.
fn bundle_signature(mut read: impl FnMut(&str) -> Result<Vec<u8>, String>) -> Result<EmbeddedSignature, String> {
    let info = read("Contents/Info.plist")?;
    let info: plist::Value =
        plist::from_bytes(&info).map_err(|e| format!("Contents/Info.plist is not a property list ({e})"))?;
    let executable = info
        .as_dictionary()
        .and_then(|d| d.get("CFBundleExecutable"))
        .and_then(plist::Value::as_string)
        .ok_or("Contents/Info.plist has no CFBundleExecutable")?;
    let relative = format!("Contents/MacOS/{executable}");
    let binary = read(&relative)?;
    let first = macho_architectures(&binary)
        .map_err(|e| format!("{relative}: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{relative} has no architecture"))?;
    let slice = &binary[first.offset as usize..(first.offset + first.size) as usize];
    apple::embedded_signature(slice)
        .map_err(|e| format!("{relative}: {e}"))?
        .ok_or_else(|| {
            format!(
                "{relative} is not signed; package the app with a code signer active (code_signer_from_pfx_file(...).activate())"
            )
        })
}

/// The ticket record name, once the signature is known to be one Apple
/// notarizes.
fn record_of(signature: &EmbeddedSignature, what: &str) -> Result<String, String> {
    if signature.cms.is_none() {
        return Err(format!(
            "{what} is signed ad-hoc; Apple notarizes only Developer ID signatures: package it with a Developer ID Application certificate active (code_signer_from_pfx_file(...).activate())"
        ));
    }
    Ok(apple::ticket_record_name(&signature.cdhash))
}

fn api_key(args: &NotarizeArgs<'_>) -> Result<ApiKey, NotarizeError> {
    let env_key = std::env::var("OXDIST_NOTARY_KEY").ok().filter(|k| !k.trim().is_empty());
    let (Some(issuer), Some(key_id), true) = (args.issuer, args.key_id, args.key_file.is_some() || env_key.is_some())
    else {
        let missing = [
            (args.issuer.is_none(), "--issuer"),
            (args.key_id.is_none(), "--key-id"),
            (args.key_file.is_none() && env_key.is_none(), "--key-file"),
        ];
        return Err(NotarizeError::MissingKey {
            missing: missing
                .iter()
                .filter(|(absent, _)| *absent)
                .map(|(_, option)| *option)
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let pem = match (args.key_file, env_key) {
        (Some(file), _) => fs::read_to_string(file).map_err(|source| NotarizeError::KeyFile {
            path: file.to_path_buf(),
            source,
        })?,
        (None, pem) => pem.expect("checked above"),
    };
    Ok(ApiKey::new(issuer, key_id, &pem)?)
}

fn fetch_ticket(client: &NotaryClient, record: &str, reporter: &Reporter) -> Result<Vec<u8>, NotarizeError> {
    let mut attempt = 1;
    loop {
        match client.ticket(record) {
            Err(NotaryError::NoTicket { reason, .. }) if attempt < TICKET_ATTEMPTS => {
                reporter.detail(format!("no ticket for {record} yet ({reason}); asking again"));
                std::thread::sleep(TICKET_PAUSE);
                attempt += 1;
            }
            other => return Ok(other?),
        }
    }
}

fn staple(path: &Path, artifact: &Artifact, ticket: &[u8]) -> Result<(), Error> {
    let write_err = |source: std::io::Error| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    match artifact {
        Artifact::Dmg(bytes) => {
            let stapled = apple::staple_dmg(bytes, ticket).map_err(|source| Error::AppleSign {
                path: path.to_path_buf(),
                source,
            })?;
            write_atomically(path, |out| out.write_all(&stapled).map_err(write_err))?;
        }
        Artifact::AppZip { zip, app } => {
            let stapled = zip_with_ticket(zip, &format!("{app}/{BUNDLE_TICKET_PATH}"), ticket).map_err(|reason| {
                NotarizeError::Artifact {
                    path: path.to_path_buf(),
                    reason,
                }
            })?;
            write_atomically(path, |out| out.write_all(&stapled).map_err(write_err))?;
        }
        Artifact::AppDir => {
            let dest = path.join(BUNDLE_TICKET_PATH);
            write_atomically(&dest, |out| {
                out.write_all(ticket).map_err(|source| OutputError::Write {
                    path: dest.clone(),
                    source,
                })
            })?;
        }
    }
    Ok(())
}

/// The zip with `member` holding `ticket` (replacing an earlier one),
/// every other entry copied as it is, compressed bytes and all.
fn zip_with_ticket(zip: &[u8], member: &str, ticket: &[u8]) -> Result<Vec<u8>, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|e| e.to_string())?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut modified = None;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| e.to_string())?;
        if entry.name().map_err(|e| e.to_string())? == member {
            continue;
        }
        modified = modified.max(entry.last_modified());
        out.raw_copy_file(entry).map_err(|e| e.to_string())?;
    }
    let mut options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    if let Some(time) = modified {
        options = options.last_modified_time(time);
    }
    out.start_file(member, options).map_err(|e| e.to_string())?;
    out.write_all(ticket).map_err(|e| e.to_string())?;
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

/// A zip of the bundle directory with the bundle at its top, as `ditto -c
/// -k --keepParent` makes for notarization: modes and symbolic links kept.
fn zip_bundle(app: &Path) -> Result<Vec<u8>, Error> {
    let io = |path: &Path, source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let top = file_name(app);
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let zip_err = |e: zip::result::ZipError| Error::Io {
        path: app.to_path_buf(),
        source: std::io::Error::other(e),
    };
    for entry in walkdir::WalkDir::new(app).sort_by_file_name().min_depth(1) {
        let entry = entry.map_err(|e| io(app, e.into()))?;
        let relative = entry.path().strip_prefix(app).expect("under the bundle");
        let name = format!("{top}/{}", relative.to_string_lossy());
        let metadata = entry.path().symlink_metadata().map_err(|e| io(entry.path(), e))?;
        #[cfg(unix)]
        let mode = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o7777;
        #[cfg(not(unix))]
        let mode = 0o644;
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        if metadata.file_type().is_symlink() {
            let target = fs::read_link(entry.path()).map_err(|e| io(entry.path(), e))?;
            out.add_symlink(name, target.to_string_lossy(), options)
                .map_err(zip_err)?;
        } else if metadata.is_dir() {
            out.add_directory(name, options).map_err(zip_err)?;
        } else {
            out.start_file(name, options).map_err(zip_err)?;
            out.write_all(&fs::read(entry.path()).map_err(|e| io(entry.path(), e))?)
                .map_err(|e| io(entry.path(), e))?;
        }
    }
    Ok(out.finish().map_err(zip_err)?.into_inner())
}
