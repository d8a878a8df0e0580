//! Read `.whl` files (PEP 427) directly, without pip.
//!
//! [`read_wheel`] checks the member names, the `WHEEL` file and every hash in
//! `RECORD` before classifying the members with [`classify_tree`]; nothing
//! is extracted to disk. [`parse_entry_points`] and [`parse_metadata`] read
//! the `entry_points.txt` and `METADATA` files of a `.dist-info` directory.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxdist_installers::FileData;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::resources::{DistributionResource, PythonResource, PythonSuffixes};
use super::scan::{ScanError, TreeFile, check_relative_path, classify_tree};

/// A wheel's identity and its classified contents.
#[derive(Clone, Debug)]
pub struct Wheel {
    /// Distribution name as written in the file name (escaped, e.g. `MarkupSafe`).
    pub name: String,
    /// Version from the file name.
    pub version: String,
    /// Compatibility tags from the `Tag:` lines of `WHEEL` (e.g.
    /// `py3-none-any`); expanded from the file name if there are none.
    pub tags: Vec<String>,
    /// `Root-Is-Purelib` of `WHEEL`.
    pub root_is_purelib: bool,
    /// The `.dist-info` directory, e.g. `pyflakes-3.2.0.dist-info`.
    pub dist_info: String,
    /// Every member, classified as if installed into site-packages:
    /// `NAME.data/purelib/…` and `NAME.data/platlib/…` are moved to the root,
    /// while `NAME.data/scripts/…`, `…/data/…` and `…/headers/…` stay
    /// [`PythonResource::File`]s under their path in the wheel (where they go
    /// is up to the consumer: a bin directory, the prefix, an include dir).
    pub resources: Vec<PythonResource>,
}

impl Wheel {
    /// The `.dist-info` file `name` (e.g. `METADATA`, `licenses/LICENSE`).
    pub fn dist_info_file(&self, name: &str) -> Option<&DistributionResource> {
        self.resources.iter().find_map(|r| match r {
            PythonResource::DistributionResource(d) if d.directory == self.dist_info && d.name == name => Some(d),
            _ => None,
        })
    }

    /// The parsed `METADATA` file (empty if the wheel has none).
    pub fn metadata(&self) -> CoreMetadata {
        self.dist_info_file("METADATA")
            .map(|d| parse_metadata(&text_of(d)))
            .unwrap_or_default()
    }

    /// The entry points of `entry_points.txt` (none if the wheel has no such file).
    pub fn entry_points(&self) -> Result<Vec<EntryPoint>, WheelError> {
        let Some(file) = self.dist_info_file("entry_points.txt") else {
            return Ok(Vec::new());
        };
        parse_entry_points(&text_of(file)).map_err(|e| match e {
            WheelError::EntryPointSyntax { line, reason, .. } => WheelError::EntryPointSyntax {
                origin: file.origin.display().to_string(),
                line,
                reason,
            },
            other => other,
        })
    }
}

/// Wheel members are held in memory, so reading never fails; stray bytes
/// that are not UTF-8 are replaced rather than failing a whole build.
fn text_of(file: &DistributionResource) -> String {
    match &file.data {
        FileData::Memory(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        FileData::Path(path) => fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default(),
    }
}

/// One line of `entry_points.txt`: `name = value` in section `[group]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPoint {
    /// The section, e.g. `console_scripts`.
    pub group: String,
    /// The name before `=`, e.g. `pyflakes`.
    pub name: String,
    /// Everything after `=`, trimmed: `module:attr [extra1,extra2]`.
    pub value: String,
}

impl EntryPoint {
    fn object_ref(&self) -> &str {
        self.value.split('[').next().unwrap_or_default().trim()
    }

    /// The module to import, e.g. `pyflakes.api`.
    pub fn module(&self) -> &str {
        self.object_ref().split(':').next().unwrap_or_default().trim()
    }

    /// The attribute path after `:`, e.g. `main` (`None` for a bare module).
    pub fn attr(&self) -> Option<&str> {
        self.object_ref().split_once(':').map(|(_, attr)| attr.trim())
    }

    /// The extras in brackets, e.g. `["cli"]`.
    pub fn extras(&self) -> Vec<&str> {
        let Some((_, rest)) = self.value.split_once('[') else {
            return Vec::new();
        };
        let inside = rest.split(']').next().unwrap_or_default();
        inside.split(',').map(str::trim).filter(|e| !e.is_empty()).collect()
    }
}

/// Core metadata (`METADATA`, `PKG-INFO`): RFC 822 style headers, then the
/// description as the body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    fields: Vec<(String, String)>,
    body: Option<String>,
}

impl CoreMetadata {
    /// The first value of `field` (names are case-insensitive).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.get_all(field).into_iter().next()
    }

    /// Every value of a multiple-use field (`Classifier`, `Requires-Dist`,
    /// `License-File`, …) in file order.
    pub fn get_all(&self, field: &str) -> Vec<&str> {
        let matching = self.fields.iter().filter(|(name, _)| name.eq_ignore_ascii_case(field));
        matching.map(|(_, value)| value.as_str()).collect()
    }

    /// The description: the body after the headers, else the `Description` field.
    pub fn description(&self) -> Option<&str> {
        self.body.as_deref().or_else(|| self.get("Description"))
    }

    /// All `(field, value)` pairs in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Why a wheel was refused. Every message names the wheel file and, where
/// there is one, the member.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    #[error(
        "{}: not a wheel file name ({reason}); expected NAME-VERSION(-BUILD)-PYTAG-ABITAG-PLATTAG.whl (PEP 427)",
        .wheel.display()
    )]
    FileName { wheel: PathBuf, reason: String },
    #[error("cannot read wheel {}: {source}", .wheel.display())]
    Io { wheel: PathBuf, source: std::io::Error },
    #[error("{} is not a valid zip archive ({source}); it may be truncated, download it again", .wheel.display())]
    Zip {
        wheel: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("{}: cannot read member {member}: {reason}; the wheel is damaged, download it again", .wheel.display())]
    Member {
        wheel: PathBuf,
        member: String,
        reason: String,
    },
    #[error("{}: unsafe member name {member:?}: it {reason}; refusing the whole wheel", .wheel.display())]
    UnsafePath {
        wheel: PathBuf,
        member: String,
        reason: &'static str,
    },
    #[error("{}: member {member} appears twice; refusing the wheel", .wheel.display())]
    DuplicateMember { wheel: PathBuf, member: String },
    #[error(
        "{}: the zip central directory lists a member name twice; refusing the wheel",
        .wheel.display()
    )]
    DuplicateNames { wheel: PathBuf },
    #[error("{}: {reason}", .wheel.display())]
    DistInfo { wheel: PathBuf, reason: String },
    #[error("{}: {member} is missing; this is not a complete wheel", .wheel.display())]
    MissingMetadata { wheel: PathBuf, member: String },
    #[error("{}: {member} says Wheel-Version {version:?}; only 1.x wheels are supported", .wheel.display())]
    UnsupportedVersion {
        wheel: PathBuf,
        member: String,
        version: String,
    },
    #[error("{}: {member} line {line}: {reason}", .wheel.display())]
    RecordSyntax {
        wheel: PathBuf,
        member: String,
        line: usize,
        reason: String,
    },
    #[error("{}: member {member} is not listed in RECORD; the wheel was modified after it was built", .wheel.display())]
    NotInRecord { wheel: PathBuf, member: String },
    #[error("{}: RECORD lists {member} but the wheel has no such member", .wheel.display())]
    MissingMember { wheel: PathBuf, member: String },
    #[error("{}: RECORD entry for {member}: {reason}", .wheel.display())]
    RecordEntry {
        wheel: PathBuf,
        member: String,
        reason: String,
    },
    #[error(
        "{}: hash mismatch for {member}: RECORD says {expected}, the member has {actual}; \
         the wheel was modified or damaged",
        .wheel.display()
    )]
    HashMismatch {
        wheel: PathBuf,
        member: String,
        expected: String,
        actual: String,
    },
    #[error("{}: size mismatch for {member}: RECORD says {expected} bytes, the member has {actual}", .wheel.display())]
    SizeMismatch {
        wheel: PathBuf,
        member: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "{}: member {member} is in unknown data scheme {scheme:?}; \
         expected purelib, platlib, scripts, data or headers",
        .wheel.display()
    )]
    UnknownDataScheme {
        wheel: PathBuf,
        member: String,
        scheme: String,
    },
    #[error("{}: {source}", .wheel.display())]
    Classify { wheel: PathBuf, source: ScanError },
    #[error("{origin} line {line}: {reason}")]
    EntryPointSyntax {
        origin: String,
        line: usize,
        reason: String,
    },
}

/// PEP 503 normalization, so `MarkupSafe` matches `markupsafe` and `foo_bar` `foo-bar`.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(['-', '_', '.']).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&part.to_ascii_lowercase());
    }
    out
}

/// `(name, version, tags expanded from the file name)`.
fn parse_file_name(wheel: &Path) -> Result<(String, String, Vec<String>), WheelError> {
    let err = |reason: &str| WheelError::FileName {
        wheel: wheel.to_path_buf(),
        reason: reason.into(),
    };
    let file_name = wheel
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| err("no UTF-8 file name"))?;
    let stem = file_name
        .strip_suffix(".whl")
        .ok_or_else(|| err("does not end with .whl"))?;
    let parts: Vec<&str> = stem.split('-').collect();
    let (name, version, tags) = match parts.as_slice() {
        [name, version, py, abi, plat] => (name, version, [py, abi, plat]),
        [name, version, build, py, abi, plat] => {
            if !build.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(err("the build tag must start with a digit"));
            }
            (name, version, [py, abi, plat])
        }
        _ => return Err(err("wrong number of `-`-separated parts")),
    };
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err("empty part"));
    }
    // Compressed tag sets (`py2.py3`) expand to their product.
    let mut expanded = Vec::new();
    for py in tags[0].split('.') {
        for abi in tags[1].split('.') {
            for plat in tags[2].split('.') {
                expanded.push(format!("{py}-{abi}-{plat}"));
            }
        }
    }
    Ok((name.to_string(), version.to_string(), expanded))
}

/// One CSV row and the line it starts on.
type CsvRow = (usize, Vec<String>);

/// Splits CSV text (RFC 4180 as Python's `csv` module writes it: quoted
/// fields may contain commas, `""` and newlines) into rows; blank lines are
/// skipped. Errors carry the 1-based line number.
fn parse_csv(text: &str) -> Result<Vec<CsvRow>, (usize, String)> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut line, mut row_line) = (1, 1);
    let mut chars = text.chars().peekable();
    let mut quoted_field = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !quoted_field => {
                quoted_field = true;
                loop {
                    match chars.next() {
                        None => return Err((row_line, "unterminated quoted field".into())),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            line += usize::from(c == '\n');
                            field.push(c);
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(',' | '\r' | '\n')) {
                    return Err((line, "text after a closing quote".into()));
                }
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                quoted_field = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if !row.is_empty() || !field.is_empty() || quoted_field {
                    row.push(std::mem::take(&mut field));
                    rows.push((row_line, std::mem::take(&mut row)));
                }
                quoted_field = false;
                line += 1;
                row_line = line;
            }
            c if quoted_field => {
                return Err((line, format!("unexpected {c:?} after a closing quote")));
            }
            c => field.push(c),
        }
    }
    if !row.is_empty() || !field.is_empty() || quoted_field {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

/// Why a zip member name is unsafe, or `Ok`. Directory entries end in `/`.
fn check_member_name(name: &str) -> Result<(), &'static str> {
    check_relative_path(name.strip_suffix('/').unwrap_or(name))
}

/// Verifies `RECORD` against the members: every member is listed (except
/// RECORD and its signatures), every listed file exists, hashes and sizes match.
fn verify_record(wheel: &Path, record_name: &str, record: &str, members: &Members) -> Result<(), WheelError> {
    let signature_files = [
        record_name.to_string(),
        format!("{record_name}.jws"),
        format!("{record_name}.p7s"),
    ];
    let rows = parse_csv(record).map_err(|(line, reason)| WheelError::RecordSyntax {
        wheel: wheel.to_path_buf(),
        member: record_name.into(),
        line,
        reason,
    })?;
    let mut listed = HashSet::new();
    for (line, row) in rows {
        let entry_err = |member: &str, reason: String| WheelError::RecordEntry {
            wheel: wheel.to_path_buf(),
            member: member.into(),
            reason,
        };
        let [path, hash, size] = row.as_slice() else {
            return Err(WheelError::RecordSyntax {
                wheel: wheel.to_path_buf(),
                member: record_name.into(),
                line,
                reason: format!("expected 3 fields (path,hash,size), found {}", row.len()),
            });
        };
        if !listed.insert(path.clone()) {
            return Err(entry_err(path, "listed twice".into()));
        }
        if signature_files.contains(path) {
            continue;
        }
        let Some((data, _)) = members.get(path) else {
            return Err(WheelError::MissingMember {
                wheel: wheel.to_path_buf(),
                member: path.clone(),
            });
        };
        let Some((algorithm, expected)) = hash.split_once('=') else {
            return Err(entry_err(path, format!("no hash (found {hash:?}, expected sha256=…)")));
        };
        let digest = match algorithm {
            "sha256" => Sha256::digest(data.as_slice()).to_vec(),
            "sha384" => Sha384::digest(data.as_slice()).to_vec(),
            "sha512" => Sha512::digest(data.as_slice()).to_vec(),
            other => {
                return Err(entry_err(
                    path,
                    format!("unsupported hash algorithm {other:?}; PEP 427 requires sha256 or stronger"),
                ));
            }
        };
        let actual = URL_SAFE_NO_PAD.encode(digest);
        // Some writers keep base64 padding; it carries no information.
        if expected.trim_end_matches('=') != actual {
            return Err(WheelError::HashMismatch {
                wheel: wheel.to_path_buf(),
                member: path.clone(),
                expected: hash.clone(),
                actual: format!("{algorithm}={actual}"),
            });
        }
        let expected_size: u64 = size
            .parse()
            .map_err(|_| entry_err(path, format!("size {size:?} is not a number")))?;
        if expected_size != data.len() as u64 {
            return Err(WheelError::SizeMismatch {
                wheel: wheel.to_path_buf(),
                member: path.clone(),
                expected: expected_size,
                actual: data.len() as u64,
            });
        }
    }
    let mut names: Vec<&String> = members.keys().collect();
    names.sort();
    for name in names {
        if !listed.contains(name) && !signature_files[1..].contains(name) {
            return Err(WheelError::NotInRecord {
                wheel: wheel.to_path_buf(),
                member: name.clone(),
            });
        }
    }
    Ok(())
}

/// Reads the wheel at `path`, verifies it and classifies its members.
///
/// Member names are checked before anything else is done with them
/// ([`WheelError::UnsafePath`]); then the wheel needs exactly one
/// `.dist-info` directory matching its file name, a `WHEEL` file with
/// `Wheel-Version: 1.x`, and a `RECORD` whose sha256 (or stronger) hashes
/// and sizes match every member. See [`Wheel::resources`] for how `.data`
/// directories are placed.
pub fn read_wheel(path: &Path, suffixes: &PythonSuffixes) -> Result<Wheel, WheelError> {
    let (name, version, file_name_tags) = parse_file_name(path)?;
    let file = fs::File::open(path).map_err(|source| WheelError::Io {
        wheel: path.into(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(|source| WheelError::Zip {
        wheel: path.into(),
        source,
    })?;
    let names = member_names(path, &archive)?;
    let dist_info = find_dist_info(path, &names, &name)?;
    let members = read_members(path, &mut archive, &names)?;

    let text = |member: &str| -> Result<String, WheelError> {
        let missing = || WheelError::MissingMetadata {
            wheel: path.into(),
            member: member.into(),
        };
        let (data, _) = members.get(member).ok_or_else(missing)?;
        let reason = "not valid UTF-8".into();
        String::from_utf8(data.to_vec()).map_err(|_| WheelError::Member {
            wheel: path.into(),
            member: member.into(),
            reason,
        })
    };
    let wheel_name = format!("{dist_info}/WHEEL");
    let wheel_metadata = parse_metadata(&text(&wheel_name)?);
    let wheel_version = wheel_metadata.get("Wheel-Version").unwrap_or_default();
    if wheel_version.split('.').next() != Some("1") {
        let version = wheel_version.into();
        return Err(WheelError::UnsupportedVersion {
            wheel: path.into(),
            member: wheel_name,
            version,
        });
    }
    let root_is_purelib = wheel_metadata
        .get("Root-Is-Purelib")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut tags: Vec<String> = wheel_metadata.get_all("Tag").into_iter().map(String::from).collect();
    if tags.is_empty() {
        tags = file_name_tags;
    }
    let record_name = format!("{dist_info}/RECORD");
    verify_record(path, &record_name, &text(&record_name)?, &members)?;

    let files = place_members(path, &dist_info, members)?;
    let resources = classify_tree(files, suffixes).map_err(|source| WheelError::Classify {
        wheel: path.into(),
        source,
    })?;
    Ok(Wheel {
        name,
        version,
        tags,
        root_is_purelib,
        dist_info,
        resources,
    })
}

/// Every member name, checked: nothing may be read from a wheel with an unsafe member.
fn member_names(wheel: &Path, archive: &zip::ZipArchive<fs::File>) -> Result<Vec<String>, WheelError> {
    // The reader keeps one entry per name; two would mean two possible contents.
    if archive.has_duplicate_names() {
        return Err(WheelError::DuplicateNames { wheel: wheel.into() });
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut unique = HashSet::new();
    for index in 0..archive.len() {
        let name = match archive.name_for_index(index) {
            Some(Ok(name)) => name.into_owned(),
            Some(Err(source)) => {
                return Err(WheelError::Zip {
                    wheel: wheel.into(),
                    source,
                });
            }
            None => unreachable!("index {index} is below the archive's length"),
        };
        check_member_name(&name).map_err(|reason| WheelError::UnsafePath {
            wheel: wheel.into(),
            member: name.clone(),
            reason,
        })?;
        // `pkg` and `pkg/` would be a file and a directory at one path.
        if !unique.insert(name.trim_end_matches('/').to_string()) {
            return Err(WheelError::DuplicateMember {
                wheel: wheel.into(),
                member: name,
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// The single top-level `.dist-info` directory, which must belong to `name`.
fn find_dist_info(wheel: &Path, names: &[String], name: &str) -> Result<String, WheelError> {
    let found: BTreeSet<&str> = names
        .iter()
        .filter_map(|n| {
            n.split('/')
                .next()
                .filter(|top| top.ends_with(".dist-info") && n.len() > top.len())
        })
        .collect();
    let err = |reason: String| WheelError::DistInfo {
        wheel: wheel.into(),
        reason,
    };
    let dist_info = match found.into_iter().collect::<Vec<_>>().as_slice() {
        [one] => one.to_string(),
        [] => return Err(err("no .dist-info directory".into())),
        many => return Err(err(format!("several .dist-info directories: {}", many.join(", ")))),
    };
    let stem = dist_info.strip_suffix(".dist-info").expect("filtered on this suffix");
    let dist_name = stem.rsplit_once('-').map_or(stem, |(n, _)| n);
    if canonical_name(dist_name) != canonical_name(name) {
        return Err(err(format!(
            "{dist_info} does not belong to distribution {name} named by the file name"
        )));
    }
    Ok(dist_info)
}

/// Member bytes and executable bits, by name (directory entries skipped).
type Members = HashMap<String, (Arc<Vec<u8>>, bool)>;

fn read_members(
    wheel: &Path,
    archive: &mut zip::ZipArchive<fs::File>,
    names: &[String],
) -> Result<Members, WheelError> {
    let mut members = Members::new();
    for (index, member) in names.iter().enumerate() {
        if member.ends_with('/') {
            continue;
        }
        let member_err = |reason: String| WheelError::Member {
            wheel: wheel.into(),
            member: member.clone(),
            reason,
        };
        // Header consistency: a local header whose name differs from the central
        // directory's would show other tools different contents than we checked.
        let options = zip::ZipReadOptions::new().enforce_header_consistency(true);
        let mut entry = archive
            .by_index_with_options(index, options)
            .map_err(|e| member_err(e.to_string()))?;
        if entry.is_symlink() {
            let reason = "is a symlink";
            return Err(WheelError::UnsafePath {
                wheel: wheel.into(),
                member: member.clone(),
                reason,
            });
        }
        let mut data = Vec::with_capacity(entry.size().min(1 << 26) as usize);
        // The zip reader checks the CRC-32 at the end, so corruption surfaces here.
        entry.read_to_end(&mut data).map_err(|e| member_err(e.to_string()))?;
        let executable = entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        members.insert(member.clone(), (Arc::new(data), executable));
    }
    Ok(members)
}

/// Where each member sits below the import root, as [`classify_tree`] input.
fn place_members(wheel: &Path, dist_info: &str, members: Members) -> Result<Vec<TreeFile>, WheelError> {
    let stem = dist_info.strip_suffix(".dist-info").expect("a .dist-info name");
    let data_prefix = format!("{stem}.data/");
    let mut files: Vec<TreeFile> = Vec::with_capacity(members.len());
    for (member, (data, executable)) in members {
        let relative = match member.strip_prefix(&data_prefix) {
            None => member.clone(),
            Some(rest) => match rest.split_once('/') {
                Some(("purelib" | "platlib", inner)) => inner.to_string(),
                // The `.data` component is never an identifier, so these classify as plain files.
                Some(("scripts" | "data" | "headers", _)) => member.clone(),
                other => {
                    let scheme = other.map_or(rest, |(scheme, _)| scheme).to_string();
                    return Err(WheelError::UnknownDataScheme {
                        wheel: wheel.into(),
                        member,
                        scheme,
                    });
                }
            },
        };
        files.push((relative, FileData::Memory(data), wheel.join(&member), executable));
    }
    Ok(files)
}

/// Parses `entry_points.txt`: `[group]` sections of `name = value` lines,
/// `#`/`;` comments and blank lines ignored (as `importlib.metadata` does).
/// Errors name the line; [`Wheel::entry_points`] adds the file.
pub fn parse_entry_points(text: &str) -> Result<Vec<EntryPoint>, WheelError> {
    let err = |line: usize, reason: &str| WheelError::EntryPointSyntax {
        origin: "entry_points.txt".into(),
        line,
        reason: reason.into(),
    };
    let mut group: Option<String> = None;
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            let name = section
                .strip_suffix(']')
                .ok_or_else(|| err(index + 1, "section header without `]`"))?;
            group = Some(name.trim().to_string());
            continue;
        }
        let group = group
            .as_ref()
            .ok_or_else(|| err(index + 1, "entry point before any [group] header"))?;
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| err(index + 1, "expected `name = module:attr`"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(err(index + 1, "empty entry point name or value"));
        }
        out.push(EntryPoint {
            group: group.clone(),
            name: name.into(),
            value: value.into(),
        });
    }
    Ok(out)
}

/// Parses core metadata (`METADATA`/`PKG-INFO`, also `WHEEL`): `Name: value`
/// headers until the first blank line, the rest is the description.
///
/// A continuation line (starting with a space or tab) is appended to the
/// previous value after a newline, without the up-to-8-space (or one tab)
/// indent that writers add when folding. Lines that are neither are ignored
/// rather than failing: this metadata is informational.
pub fn parse_metadata(text: &str) -> CoreMetadata {
    let mut metadata = CoreMetadata::default();
    let mut lines = text.split_inclusive('\n');
    for raw in lines.by_ref() {
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = metadata.fields.last_mut() {
                let unindented = line.strip_prefix('\t').unwrap_or_else(|| {
                    let spaces = line.len() - line.trim_start_matches(' ').len();
                    &line[spaces.min(8)..]
                });
                value.push('\n');
                value.push_str(unindented);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            metadata
                .fields
                .push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let body: String = lines.collect();
    if !body.trim().is_empty() {
        metadata.body = Some(body);
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let (name, version, tags) = parse_file_name(Path::new("/x/pyflakes-3.2.0-py2.py3-none-any.whl")).unwrap();
        assert_eq!((name.as_str(), version.as_str()), ("pyflakes", "3.2.0"));
        assert_eq!(tags, ["py2-none-any", "py3-none-any"]);
        assert!(parse_file_name(Path::new("a-1.0-1b-py3-none-any.whl")).is_ok());
        for bad in [
            "a-1.0-x-py3-none-any.whl",
            "a-1.0-py3-none.whl",
            "a-1.0-py3-none-any.zip",
        ] {
            let err = parse_file_name(Path::new(bad)).unwrap_err().to_string();
            assert!(err.starts_with(bad) && err.contains("PEP 427"), "{err}");
        }
    }

    #[test]
    fn csv_quotes() {
        let text = "a.py,sha256=x,1\r\n\"dir/with,comma \"\"q\"\".txt\",sha256=y,2\n\nR,,\n";
        let rows = parse_csv(text).unwrap();
        let fields: Vec<_> = rows.iter().map(|(line, row)| (*line, row.join("|"))).collect();
        assert_eq!(
            fields,
            [
                (1, "a.py|sha256=x|1".into()),
                (2, "dir/with,comma \"q\".txt|sha256=y|2".to_string()),
                (4, "R||".into())
            ]
        );
        assert_eq!(parse_csv("\"open,x\n").unwrap_err().0, 1);
        assert!(parse_csv("\"a\"b,c\n").unwrap_err().1.contains("closing quote"));
    }

    #[test]
    fn entry_points() {
        let text = "# comment\n[console_scripts]\nfoo = foo.cli:main [color, extra]\n\n[gui_scripts]\nbar=bar\n";
        let eps = parse_entry_points(text).unwrap();
        assert_eq!(eps.len(), 2);
        assert_eq!(
            (eps[0].group.as_str(), eps[0].name.as_str()),
            ("console_scripts", "foo")
        );
        assert_eq!(
            (eps[0].module(), eps[0].attr(), eps[0].extras()),
            ("foo.cli", Some("main"), vec!["color", "extra"])
        );
        assert_eq!((eps[1].module(), eps[1].attr()), ("bar", None));
        let err = parse_entry_points("foo = bar\n").unwrap_err().to_string();
        assert_eq!(err, "entry_points.txt line 1: entry point before any [group] header");
        assert!(
            parse_entry_points("[g]\nnoequals\n")
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
    }

    #[test]
    fn metadata() {
        let text = "Metadata-Version: 2.1\nName: demo\nLicense: Line one\n        Line two\nclassifier: A :: B\n\
                    Classifier: C\nLicense-File: LICENSE\n\nThe description.\n\nMore.\n";
        let md = parse_metadata(text);
        assert_eq!(md.get("name"), Some("demo"));
        assert_eq!(md.get("License"), Some("Line one\nLine two"));
        assert_eq!(md.get_all("Classifier"), ["A :: B", "C"]);
        assert_eq!(md.get_all("License-File"), ["LICENSE"]);
        assert_eq!(md.description(), Some("The description.\n\nMore.\n"));
        assert_eq!(md.get("Missing"), None);
        assert_eq!(parse_metadata("Description: inline\n").description(), Some("inline"));
    }

    #[test]
    fn names() {
        assert_eq!(canonical_name("MarkupSafe"), "markupsafe");
        assert_eq!(canonical_name("foo__bar.baz"), "foo-bar-baz");
        assert!(check_member_name("pkg/").is_ok());
        assert!(check_member_name("../x").is_err());
    }
}
