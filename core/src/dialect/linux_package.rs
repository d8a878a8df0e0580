//! `LinuxPackageBuilder`: how an application is packaged as deb and rpm.
//!
//! One builder describes both formats, because they install the same tree:
//! the contents (a `FileManifest` or a `PythonExecutable`) below a prefix,
//! links in `/usr/bin`, system files, scripts, a systemd unit, a desktop
//! entry. Relationships are the one thing written twice (`deb_depends`,
//! `rpm_requires`, …), since package names differ between distributions.
//!
//! A target returning a builder is packaged with
//! `oxdist package --target T --format deb,rpm`; a target returning a plain
//! manifest or executable gets the defaults. Files named by attributes
//! (scripts, unit, license, icon) are read when they are set, so a missing
//! file fails at the line that names it.

// Starlark methods take their keyword arguments as Rust parameters.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use allocative::Allocative;
use oxdist_installers::deb::DebCompression;
use oxdist_installers::linux::{
    ChangelogEntry, DesktopEntry, FileAttributes, LinuxPackageSpec, RelationKind, SystemdUnit, relations,
};
use oxdist_installers::rpm::RpmCompression;
use oxdist_installers::{FileManifest, ManifestEntry};
use oxdist_templates::{Template, render};
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::list::ListRef;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, starlark_value};

use super::file_manifest::{config_relative, manifest_of};
use super::{TargetOutput, executable};

/// Relationship attributes: (Starlark name, deb or rpm, kind).
const RELATIONS: [(&str, bool, RelationKind); 12] = [
    ("deb_depends", true, RelationKind::Depends),
    ("deb_recommends", true, RelationKind::Recommends),
    ("deb_suggests", true, RelationKind::Suggests),
    ("deb_conflicts", true, RelationKind::Conflicts),
    ("deb_provides", true, RelationKind::Provides),
    ("deb_replaces", true, RelationKind::Replaces),
    ("rpm_requires", false, RelationKind::Depends),
    ("rpm_recommends", false, RelationKind::Recommends),
    ("rpm_suggests", false, RelationKind::Suggests),
    ("rpm_conflicts", false, RelationKind::Conflicts),
    ("rpm_provides", false, RelationKind::Provides),
    ("rpm_obsoletes", false, RelationKind::Replaces),
];

/// Attributes holding a script file's path.
const SCRIPTS: [&str; 4] = [
    "pre_install_script",
    "post_install_script",
    "pre_remove_script",
    "post_remove_script",
];

/// Optional strings stored as they are.
const STRINGS: [&str; 5] = ["prefix", "section", "priority", "rpm_group", "long_description"];

/// What a builder packages.
#[derive(Clone, Debug)]
pub enum PackageContents {
    Manifest(FileManifest),
    Executable(crate::embedding::executable::ExecutableSpec),
}

/// A resolved `LinuxPackageBuilder`: the contents and the spec.
#[derive(Clone, Debug)]
pub struct LinuxPackageTarget {
    pub contents: PackageContents,
    /// The executables inside the contents, for the license audit.
    pub executables: Vec<crate::embedding::executable::ExecutableSpec>,
    pub spec: LinuxPackageSpec,
    /// Whether `bin_links` was set (otherwise the defaults apply).
    pub bin_links_set: bool,
    /// `deb_compression`: `None` for the writer's default.
    pub deb_compression: Option<DebCompression>,
    /// `rpm_compression`: `None` for the writer's default.
    pub rpm_compression: Option<RpmCompression>,
    /// The files behind path attributes, for `get_attr`.
    paths: BTreeMap<&'static str, String>,
}

impl LinuxPackageTarget {
    /// The contents as a target output, for building.
    pub fn contents_output(&self) -> TargetOutput {
        match &self.contents {
            PackageContents::Manifest(m) => TargetOutput::FileManifest(m.clone()),
            PackageContents::Executable(e) => TargetOutput::Executable(e.clone()),
        }
    }
}

/// The `/usr/bin` links a package gets when `bin_links` is not set: the
/// executables at the top of the tree and directly in `bin/`.
pub fn default_bin_links(manifest: &FileManifest) -> Vec<String> {
    manifest
        .entries()
        .filter(|(_, e)| matches!(e, ManifestEntry::File(f) if f.executable))
        .map(|(p, _)| p.to_string())
        .filter(|p| !p.contains('/') || p.strip_prefix("bin/").is_some_and(|rest| !rest.contains('/')))
        .collect()
}

/// A `LinuxPackageBuilder` value.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct LinuxPackageValue(#[allocative(skip)] Mutex<LinuxPackageTarget>);

impl LinuxPackageValue {
    fn inner(&self) -> MutexGuard<'_, LinuxPackageTarget> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for LinuxPackageValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinuxPackageBuilder")
    }
}

impl fmt::Display for LinuxPackageValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner();
        let contents = match &inner.contents {
            PackageContents::Manifest(m) => format!("FileManifest<{} entries>", m.len()),
            PackageContents::Executable(e) => format!("PythonExecutable<{}>", e.name),
        };
        write!(f, "LinuxPackageBuilder<{contents}>")
    }
}

starlark_simple_value!(LinuxPackageValue);
starlark::methods_static!(LINUX_PACKAGE_METHODS = linux_package_methods);

fn strings_of(value: Value<'_>, attribute: &str) -> anyhow::Result<Vec<String>> {
    let list = ListRef::from_value(value).ok_or_else(|| {
        anyhow::anyhow!(
            "LinuxPackageBuilder.{attribute} must be a list of strings, not {}",
            value.get_type()
        )
    })?;
    list.iter()
        .map(|v| {
            v.unpack_str().map(str::to_string).ok_or_else(|| {
                anyhow::anyhow!(
                    "LinuxPackageBuilder.{attribute} must be a list of strings, not a list holding {}",
                    v.get_type()
                )
            })
        })
        .collect()
}

fn opt_string(value: Value<'_>, attribute: &str) -> anyhow::Result<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    value.unpack_str().map(|s| Some(s.to_string())).ok_or_else(|| {
        anyhow::anyhow!(
            "LinuxPackageBuilder.{attribute} must be a string or None, not {}",
            value.get_type()
        )
    })
}

/// Reads a file named by an attribute, relative to the configuration's directory.
fn read_config_file(eval: &Evaluator<'_, '_, '_>, attribute: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    let fs_path = config_relative(eval, path)?;
    std::fs::read(&fs_path).map_err(|e| {
        anyhow::anyhow!(
            "LinuxPackageBuilder.{attribute}: cannot read {}: {e}; give a path relative to the configuration's directory",
            fs_path.display()
        )
    })
}

fn text_of(bytes: Vec<u8>, attribute: &str, path: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("LinuxPackageBuilder.{attribute}: {path} is not UTF-8 text"))
}

#[starlark_value(type = "LinuxPackageBuilder")]
impl<'v> StarlarkValue<'v> for LinuxPackageValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(LINUX_PACKAGE_METHODS.methods())
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let inner = self.inner();
        let spec = &inner.spec;
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::new_none(), |s| heap.alloc(s));
        if let Some((_, deb, kind)) = RELATIONS.iter().find(|(name, _, _)| *name == attribute) {
            let map = if *deb { &spec.deb_relations } else { &spec.rpm_relations };
            return Some(heap.alloc(map.get(kind).cloned().unwrap_or_default()));
        }
        if SCRIPTS.contains(&attribute) || attribute == "license_file" {
            return Some(
                inner
                    .paths
                    .get(attribute)
                    .map_or(Value::new_none(), |p| heap.alloc(p.as_str())),
            );
        }
        Some(match attribute {
            "prefix" => opt(&spec.prefix),
            "section" => opt(&spec.section),
            "priority" => opt(&spec.priority),
            "rpm_group" => opt(&spec.rpm_group),
            "long_description" => opt(&spec.long_description),
            "bin_links" if inner.bin_links_set => heap.alloc(spec.bin_links.clone()),
            "bin_links" => Value::new_none(),
            "config_files" => spec.config_files.clone().map_or(Value::new_none(), |c| heap.alloc(c)),
            "lintian_overrides" => heap.alloc(spec.lintian_overrides.clone()),
            "deb_compression" => inner
                .deb_compression
                .map_or(Value::new_none(), |c| heap.alloc(compression_name(&c.to_string()))),
            "rpm_compression" => inner.rpm_compression.map_or(Value::new_none(), |c| {
                heap.alloc(match c {
                    RpmCompression::Gzip { level } => format!("gzip:{level}"),
                    RpmCompression::Zstd { level } => format!("zstd:{level}"),
                })
            }),
            _ => return None,
        })
    }

    fn dir_attr(&self) -> Vec<String> {
        let mut names: Vec<String> = RELATIONS.iter().map(|(n, _, _)| n.to_string()).collect();
        names.extend(SCRIPTS.iter().chain(STRINGS.iter()).map(|s| s.to_string()));
        names.extend(
            [
                "bin_links",
                "config_files",
                "lintian_overrides",
                "license_file",
                "deb_compression",
                "rpm_compression",
            ]
            .map(String::from),
        );
        names.sort();
        names
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        // Attributes naming files are set through methods instead
        // (set_script, set_license): reading the file needs the evaluator,
        // which set_attr does not get.
        let mut inner = self.inner();
        if let Some((_, deb, kind)) = RELATIONS.iter().find(|(name, _, _)| *name == attribute) {
            let entries = strings_of(value, attribute)?;
            // Checked here, so the error points at the configuration line.
            for entry in &entries {
                if *deb {
                    relations::check_debian(*kind, entry).map_err(anyhow::Error::from)?;
                } else {
                    relations::check_rpm(*kind, entry).map_err(anyhow::Error::from)?;
                }
            }
            let map = if *deb {
                &mut inner.spec.deb_relations
            } else {
                &mut inner.spec.rpm_relations
            };
            map.insert(*kind, entries);
            return Ok(());
        }
        match attribute {
            "prefix" => inner.spec.prefix = opt_string(value, attribute)?,
            "section" => inner.spec.section = opt_string(value, attribute)?,
            "priority" => inner.spec.priority = opt_string(value, attribute)?,
            "rpm_group" => inner.spec.rpm_group = opt_string(value, attribute)?,
            "long_description" => inner.spec.long_description = opt_string(value, attribute)?,
            "bin_links" => {
                inner.spec.bin_links = strings_of(value, attribute)?;
                inner.bin_links_set = true;
            }
            "deb_compression" => {
                inner.deb_compression = match opt_string(value, attribute)? {
                    None => None,
                    Some(text) => Some(match parse_compression(&text, attribute, &["xz", "zstd"])? {
                        ("xz", level) => DebCompression::Xz {
                            level: level.unwrap_or(oxdist_installers::deb::DEFAULT_XZ_LEVEL as i32) as u32,
                        },
                        (_, level) => DebCompression::Zstd {
                            level: level.unwrap_or(19),
                        },
                    }),
                }
            }
            "rpm_compression" => {
                inner.rpm_compression = match opt_string(value, attribute)? {
                    None => None,
                    Some(text) => Some(match parse_compression(&text, attribute, &["zstd", "gzip"])? {
                        ("gzip", level) => RpmCompression::Gzip {
                            level: level.unwrap_or(9) as u32,
                        },
                        (_, level) => RpmCompression::Zstd {
                            level: level.unwrap_or(oxdist_installers::rpm::DEFAULT_ZSTD_LEVEL),
                        },
                    }),
                }
            }
            "lintian_overrides" => inner.spec.lintian_overrides = strings_of(value, attribute)?,
            "config_files" => {
                inner.spec.config_files = if value.is_none() {
                    None
                } else {
                    Some(strings_of(value, attribute)?)
                }
            }
            _ if SCRIPTS.contains(&attribute) => {
                return Err(anyhow::anyhow!(
                    "LinuxPackageBuilder.{attribute} is read-only; set it with set_script({:?}, PATH), which reads the file",
                    attribute.trim_end_matches("_script")
                )
                .into());
            }
            "license_file" => {
                return Err(anyhow::anyhow!(
                    "LinuxPackageBuilder.license_file is read-only; set it with set_license(PATH), which reads the file"
                )
                .into());
            }
            _ => {
                return Err(anyhow::anyhow!(
                    "LinuxPackageBuilder has no attribute {attribute:?}; attributes: {}",
                    self.dir_attr().join(", ")
                )
                .into());
            }
        }
        Ok(())
    }
}

#[starlark_module]
fn linux_package_methods(builder: &mut MethodsBuilder) {
    /// Reads a maintainer script: `kind` is `pre_install`, `post_install`,
    /// `pre_remove` or `post_remove`.
    fn set_script<'v>(
        this: &LinuxPackageValue,
        kind: &str,
        path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let attribute = format!("{kind}_script");
        let Some(name) = SCRIPTS.iter().find(|s| **s == attribute) else {
            anyhow::bail!(
                "set_script: unknown script {kind:?}; use pre_install, post_install, pre_remove or post_remove"
            );
        };
        let text = text_of(read_config_file(eval, name, path)?, name, path)?;
        let mut inner = this.inner();
        let scripts = &mut inner.spec.scripts;
        *match kind {
            "pre_install" => &mut scripts.pre_install,
            "post_install" => &mut scripts.post_install,
            "pre_remove" => &mut scripts.pre_remove,
            _ => &mut scripts.post_remove,
        } = Some(text);
        inner.paths.insert(name, path.to_string());
        Ok(NoneType)
    }

    /// Reads the full license text (Debian `copyright`, RPM `%license`).
    fn set_license<'v>(
        this: &LinuxPackageValue,
        path: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let text = text_of(read_config_file(eval, "license_file", path)?, "license_file", path)?;
        let mut inner = this.inner();
        inner.spec.license_text = Some(text);
        inner.paths.insert("license_file", path.to_string());
        Ok(NoneType)
    }

    /// Installs the files of `manifest` at absolute locations (paths relative
    /// to `/`, e.g. `etc/NAME/NAME.conf`).
    fn add_system_files<'v>(this: &LinuxPackageValue, manifest: Value<'v>) -> anyhow::Result<NoneType> {
        let manifest = manifest_of(manifest)
            .ok_or_else(|| anyhow::anyhow!("add_system_files takes a FileManifest, not {}", manifest.get_type()))?;
        this.inner().spec.root_files.add_manifest(&manifest, None)?;
        Ok(NoneType)
    }

    /// Overrides the mode and owner of an installed path (absolute).
    fn set_attributes<'v>(
        this: &LinuxPackageValue,
        path: &str,
        #[starlark(require = named, default = NoneOr::None)] mode: NoneOr<i32>,
        #[starlark(require = named, default = NoneOr::None)] user: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] group: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        if !path.starts_with('/') {
            anyhow::bail!("set_attributes: {path:?} must be an absolute path such as /etc/NAME/NAME.conf");
        }
        let mode = match mode.into_option() {
            Some(mode) if !(0..=0o7777).contains(&mode) => {
                anyhow::bail!("set_attributes: mode {mode} is not a permission mode; write it in octal, e.g. 0o640")
            }
            mode => mode.map(|m| m as u32),
        };
        this.inner().spec.attributes.insert(
            path.to_string(),
            FileAttributes {
                mode,
                user: user.into_option().map(str::to_string),
                group: group.into_option().map(str::to_string),
            },
        );
        Ok(NoneType)
    }

    /// Ships a systemd unit read from `path`, enabled and started on install
    /// (and restarted on upgrade) unless told otherwise.
    fn set_systemd_unit<'v>(
        this: &LinuxPackageValue,
        path: &str,
        #[starlark(require = named, default = NoneOr::None)] name: NoneOr<&str>,
        #[starlark(require = named, default = true)] enable: bool,
        #[starlark(require = named, default = true)] start: bool,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let contents = text_of(read_config_file(eval, "systemd_unit", path)?, "systemd_unit", path)?;
        let name = name.into_option().map(str::to_string).unwrap_or_else(|| {
            std::path::Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        this.inner().spec.systemd_unit = Some(SystemdUnit {
            name,
            contents,
            enable,
            start,
        });
        Ok(NoneType)
    }

    /// A desktop menu entry (`/usr/share/applications/ID.desktop`) with an
    /// optional square PNG icon; `exec` defaults to the first `/usr/bin` link.
    fn set_desktop_entry<'v>(
        this: &LinuxPackageValue,
        name: &str,
        #[starlark(require = named, default = NoneOr::None)] exec: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] icon: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] comment: NoneOr<&str>,
        #[starlark(require = named, default = UnpackListOrTuple::default())] categories: UnpackListOrTuple<String>,
        #[starlark(require = named, default = false)] terminal: bool,
        #[starlark(require = named, default = NoneOr::None)] id: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let icon_png = match icon.into_option() {
            Some(path) => Some(read_config_file(eval, "desktop_entry icon", path)?),
            None => None,
        };
        let package = super::state::ConfigState::get(eval)?
            .settings
            .borrow()
            .metadata
            .as_ref()
            .map(|m| m.name.clone());
        let id = id.into_option().map(str::to_string).or(package).ok_or_else(|| {
            anyhow::anyhow!("set_desktop_entry needs id = \"...\" or set_package_metadata() before it (the id defaults to the package name)")
        })?;
        let exec = match exec.into_option() {
            Some(exec) => exec.to_string(),
            None => {
                let inner = this.inner();
                let links = if inner.bin_links_set {
                    inner.spec.bin_links.clone()
                } else {
                    match &inner.contents {
                        PackageContents::Manifest(m) => default_bin_links(m),
                        PackageContents::Executable(e) => vec![e.name.clone()],
                    }
                };
                let first = links.first().ok_or_else(|| {
                    anyhow::anyhow!("set_desktop_entry: no /usr/bin link to run; pass exec = \"PROGRAM\"")
                })?;
                first.rsplit('/').next().unwrap_or(first).to_string()
            }
        };
        let categories = if categories.items.is_empty() {
            vec!["Utility".to_string()]
        } else {
            categories.items
        };
        let contents = render(
            Template::DesktopEntry,
            &serde_json::json!({
                "name": name,
                "exec": exec,
                "icon": id,
                "comment": comment.into_option(),
                "terminal": terminal,
                "categories": categories.join(";"),
            }),
        )?;
        this.inner().spec.desktop_entry = Some(DesktopEntry {
            file_name: format!("{id}.desktop"),
            contents,
            icon_png,
            icon_name: id,
        });
        Ok(NoneType)
    }

    /// Adds a release to the changelog (newest first): `date` is
    /// `YYYY-MM-DD`; `author` defaults to the package maintainer.
    fn add_changelog<'v>(
        this: &LinuxPackageValue,
        version: &str,
        date: &str,
        changes: UnpackListOrTuple<String>,
        #[starlark(require = named, default = NoneOr::None)] author: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        let timestamp =
            parse_date(date).ok_or_else(|| anyhow::anyhow!("add_changelog: date {date:?} is not YYYY-MM-DD"))?;
        if changes.items.is_empty() {
            anyhow::bail!("add_changelog: list at least one change for {version}");
        }
        this.inner().spec.changelog.push(ChangelogEntry {
            version: version.to_string(),
            author: author.into_option().unwrap_or_default().to_string(),
            timestamp,
            changes: changes.items,
        });
        Ok(NoneType)
    }
}

/// `"NAME"` or `"NAME:LEVEL"` with NAME one of `names`. The writers check
/// the level's range.
fn parse_compression<'a>(text: &str, attribute: &str, names: &[&'a str]) -> anyhow::Result<(&'a str, Option<i32>)> {
    let (name, level) = match text.split_once(':') {
        Some((name, level)) => (
            name,
            Some(level.parse::<i32>().map_err(|_| {
                anyhow::anyhow!("LinuxPackageBuilder.{attribute}: level {level:?} in {text:?} is not a number")
            })?),
        ),
        None => (text, None),
    };
    let name = names.iter().find(|n| **n == name).ok_or_else(|| {
        anyhow::anyhow!(
            "LinuxPackageBuilder.{attribute}: {text:?} is not one of {} (optionally with :LEVEL, e.g. \"{}:9\")",
            names.join(", "),
            names[0]
        )
    })?;
    Ok((name, level))
}

/// `"xz -6"` (how the writers print a compression) as `"xz:6"`.
fn compression_name(display: &str) -> String {
    display.replace(" -", ":")
}

/// Seconds since the epoch of `YYYY-MM-DD` at 00:00 UTC.
fn parse_date(date: &str) -> Option<u64> {
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if parts.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400).ok()
}

#[starlark_module]
pub(crate) fn linux_package_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// A deb/rpm packaging of `contents` (a FileManifest or a PythonExecutable).
    fn LinuxPackageBuilder<'v>(contents: Value<'v>) -> anyhow::Result<LinuxPackageValue> {
        let executables = super::file_manifest::manifest_executables_of(contents)
            .or_else(|| executable::executable_of(contents).map(|spec| vec![spec]))
            .unwrap_or_default();
        let contents = if let Some(manifest) = manifest_of(contents) {
            PackageContents::Manifest(manifest)
        } else if let Some(spec) = executable::executable_of(contents) {
            PackageContents::Executable(spec)
        } else {
            anyhow::bail!(
                "LinuxPackageBuilder takes a FileManifest or a PythonExecutable, not {}",
                contents.get_type()
            );
        };
        Ok(LinuxPackageValue(Mutex::new(LinuxPackageTarget {
            contents,
            executables,
            spec: LinuxPackageSpec::default(),
            bin_links_set: false,
            deb_compression: None,
            rpm_compression: None,
            paths: BTreeMap::new(),
        })))
    }
}

/// The package behind a target's result, if it is a `LinuxPackageBuilder`.
pub(crate) fn linux_package_of(value: Value<'_>) -> Option<LinuxPackageTarget> {
    use starlark::values::ValueLike;
    value.downcast_ref::<LinuxPackageValue>().map(|v| v.inner().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-22"), Some(1_795_305_600));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("22.11.2026"), None);
    }
}
