//! `FileManifest`, `FileContent` and `glob()`: install trees in Starlark.
//!
//! The values wrap [`oxdist_installers::FileManifest`], which enforces the
//! path rules (no absolute paths, no `..`, no escaping symbolic links, no
//! conflicting duplicates); this module only maps Starlark arguments onto it
//! and resolves relative filesystem paths against the configuration's
//! directory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use allocative::Allocative;
use anyhow::Context as _;
use oxdist_installers::{FileData, FileEntry, FileManifest, ManifestEntry, ManifestPath};
use starlark::any::ProvidesStaticType;
use starlark::environment::{Methods, MethodsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::list_or_tuple::UnpackListOrTuple;
use starlark::values::none::{NoneOr, NoneType};
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, ValueLike, starlark_value};

use super::DialectError;
use super::state::ConfigState;
use crate::embedding::executable::ExecutableSpec;

/// A `FileManifest` value: a mutable install tree.
#[derive(ProvidesStaticType, NoSerialize, Allocative, Default)]
pub(crate) struct FileManifestValue {
    #[allocative(skip)]
    inner: Mutex<FileManifest>,
    /// The executables installed into it (directly or through another
    /// manifest): the license audit needs what they contain, which the
    /// install tree alone no longer tells.
    #[allocative(skip)]
    executables: Mutex<Vec<ExecutableSpec>>,
}

impl FileManifestValue {
    pub fn new(manifest: FileManifest) -> Self {
        Self {
            inner: Mutex::new(manifest),
            executables: Mutex::new(Vec::new()),
        }
    }

    pub fn manifest(&self) -> MutexGuard<'_, FileManifest> {
        // A poisoned lock means a panic elsewhere already aborted evaluation.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn executables(&self) -> MutexGuard<'_, Vec<ExecutableSpec>> {
        self.executables.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add_executables(&self, specs: &[ExecutableSpec]) {
        let mut executables = self.executables();
        for spec in specs {
            if !executables
                .iter()
                .any(|e| e.name == spec.name && Arc::ptr_eq(&e.dist, &spec.dist))
            {
                executables.push(spec.clone());
            }
        }
    }
}

impl fmt::Debug for FileManifestValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileManifest({} entries)", self.manifest().len())
    }
}

impl fmt::Display for FileManifestValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileManifest<{} entries>", self.manifest().len())
    }
}

starlark_simple_value!(FileManifestValue);

starlark::methods_static!(FILE_MANIFEST_METHODS = file_manifest_methods);

#[starlark_value(type = "FileManifest")]
impl<'v> StarlarkValue<'v> for FileManifestValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(FILE_MANIFEST_METHODS.methods())
    }

    fn length(&self) -> starlark::Result<i32> {
        Ok(self.manifest().len() as i32)
    }
}

/// A `FileContent` value: one file's bytes, name and executable bit.
#[derive(ProvidesStaticType, NoSerialize, Allocative)]
pub(crate) struct FileContentValue {
    #[allocative(skip)]
    inner: Mutex<FileContent>,
}

#[derive(Clone, Debug)]
pub(crate) struct FileContent {
    pub data: FileData,
    pub filename: String,
    pub executable: bool,
    pub origin: String,
}

impl FileContentValue {
    pub fn new(content: FileContent) -> Self {
        Self {
            inner: Mutex::new(content),
        }
    }

    pub fn content(&self) -> MutexGuard<'_, FileContent> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for FileContentValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.content())
    }
}

impl fmt::Display for FileContentValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.content();
        write!(f, "FileContent<filename={:?}, executable={}>", c.filename, c.executable)
    }
}

starlark_simple_value!(FileContentValue);

#[starlark_value(type = "FileContent")]
impl<'v> StarlarkValue<'v> for FileContentValue {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        let c = self.content();
        match attribute {
            "filename" => Some(heap.alloc(c.filename.as_str())),
            "executable" => Some(Value::new_bool(c.executable)),
            _ => None,
        }
    }

    fn dir_attr(&self) -> Vec<String> {
        vec!["executable".into(), "filename".into()]
    }

    fn set_attr(&self, attribute: &str, value: Value<'v>) -> starlark::Result<()> {
        let mut c = self.content();
        match attribute {
            "filename" => {
                let name = value
                    .unpack_str()
                    .ok_or_else(|| anyhow::anyhow!("FileContent.filename must be a string"))?;
                c.filename = validate_filename(name)?;
            }
            "executable" => {
                c.executable = value
                    .unpack_bool()
                    .ok_or_else(|| anyhow::anyhow!("FileContent.executable must be True or False"))?;
            }
            other => {
                return Err(anyhow::anyhow!(
                    "FileContent has no settable attribute {other:?}; use filename or executable"
                )
                .into());
            }
        }
        Ok(())
    }
}

fn validate_filename(name: &str) -> anyhow::Result<String> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        anyhow::bail!("invalid filename {name:?}: a file name is one path component, without '/'");
    }
    ManifestPath::new(name)?;
    Ok(name.to_string())
}

/// Resolves a path given in the configuration: relative paths are relative to
/// the configuration file's directory.
pub(crate) fn config_relative(eval: &Evaluator<'_, '_, '_>, path: &str) -> anyhow::Result<PathBuf> {
    let state = ConfigState::get(eval)?;
    let dir = state.settings.borrow().config_dir.clone();
    Ok(dir.join(path))
}

#[starlark_module]
pub(crate) fn file_manifest_globals(builder: &mut starlark::environment::GlobalsBuilder) {
    /// An empty install tree.
    #[starlark(as_type = FileManifestValue)]
    fn FileManifest() -> anyhow::Result<FileManifestValue> {
        Ok(FileManifestValue::default())
    }

    /// A file's content: read from `path`, or given as `content` with a `filename`.
    fn FileContent<'v>(
        #[starlark(require = named, default = NoneOr::None)] path: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] filename: NoneOr<&str>,
        #[starlark(require = named, default = NoneOr::None)] content: NoneOr<Value<'v>>,
        #[starlark(require = named, default = NoneOr::None)] executable: NoneOr<bool>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<FileContentValue> {
        let content = match (path.into_option(), content.into_option()) {
            (Some(path), None) => {
                let fs_path = config_relative(eval, path)?;
                let meta = std::fs::metadata(&fs_path).map_err(|e| DialectError::Io {
                    path: fs_path.clone(),
                    message: e.to_string(),
                })?;
                if !meta.is_file() {
                    return Err(DialectError::NotAFile(fs_path).into());
                }
                let default_name = fs_path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                FileContent {
                    filename: validate_filename(filename.into_option().unwrap_or(&default_name))?,
                    executable: executable.into_option().unwrap_or_else(|| is_executable(&meta)),
                    origin: format!("file {}", fs_path.display()),
                    data: FileData::Path(fs_path),
                }
            }
            (None, Some(content)) => {
                let Some(filename) = filename.into_option() else {
                    anyhow::bail!("FileContent(content=...) needs filename=...");
                };
                let bytes = if let Some(s) = content.unpack_str() {
                    s.as_bytes().to_vec()
                } else if let Some(b) = starlark::values::bytes::StarlarkBytes::from_value(content) {
                    b.as_bytes().to_vec()
                } else {
                    anyhow::bail!(
                        "FileContent content must be a string or bytes, not {}",
                        content.get_type()
                    );
                };
                FileContent {
                    filename: validate_filename(filename)?,
                    executable: executable.into_option().unwrap_or(false),
                    origin: format!("FileContent(filename={filename:?})"),
                    data: FileData::Memory(bytes.into()),
                }
            }
            (Some(_), Some(_)) => {
                anyhow::bail!("FileContent takes path=... or content=..., not both")
            }
            (None, None) => anyhow::bail!("FileContent needs path=... or content=..."),
        };
        Ok(FileContentValue {
            inner: Mutex::new(content),
        })
    }

    /// Files matching `include` patterns (minus `exclude`), as a FileManifest.
    fn glob<'v>(
        include: UnpackListOrTuple<String>,
        #[starlark(default = NoneOr::None)] exclude: NoneOr<UnpackListOrTuple<String>>,
        #[starlark(default = NoneOr::None)] strip_prefix: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<FileManifestValue> {
        let exclude = exclude.into_option().map(|e| e.items).unwrap_or_default();
        let manifest = glob_manifest(eval, &include.items, &exclude, strip_prefix.into_option())?;
        Ok(FileManifestValue::new(manifest))
    }
}

#[starlark_module]
fn file_manifest_methods(builder: &mut MethodsBuilder) {
    /// Adds the file (or symbolic link) at `path`, installed at `path` minus `strip_prefix`.
    fn add_path<'v>(
        this: &FileManifestValue,
        path: &str,
        strip_prefix: &str,
        #[starlark(default = false)] force_read: bool,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let fs_path = config_relative(eval, path)?;
        let prefix = config_relative(eval, strip_prefix)?;
        let meta = std::fs::symlink_metadata(&fs_path).map_err(|e| DialectError::Io {
            path: fs_path.clone(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            return Err(DialectError::IsDirectory(fs_path).into());
        }
        this.manifest().add_path(&fs_path, &prefix, force_read)?;
        Ok(NoneType)
    }

    /// Adds a FileContent at `path`, or `directory/filename`, or `filename`.
    fn add_file<'v>(
        this: &FileManifestValue,
        content: &FileContentValue,
        #[starlark(default = NoneOr::None)] path: NoneOr<&str>,
        #[starlark(default = NoneOr::None)] directory: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        let content = content.content().clone();
        let dest = match (path.into_option(), directory.into_option()) {
            (Some(path), None) => ManifestPath::new(path)?,
            (None, Some(dir)) => ManifestPath::new(&format!("{dir}/{}", content.filename))?,
            (None, None) => ManifestPath::new(&content.filename)?,
            (Some(_), Some(_)) => {
                anyhow::bail!("add_file takes path=... or directory=..., not both")
            }
        };
        let entry = FileEntry {
            data: content.data,
            executable: content.executable,
            origin: content.origin,
        };
        this.manifest().add_file(dest, entry)?;
        Ok(NoneType)
    }

    /// Adds every entry of another manifest, optionally under `prefix`.
    fn add_manifest<'v>(
        this: &FileManifestValue,
        manifest: &FileManifestValue,
        #[starlark(default = NoneOr::None)] prefix: NoneOr<&str>,
    ) -> anyhow::Result<NoneType> {
        let prefix = prefix.into_option().map(ManifestPath::new).transpose()?;
        if std::ptr::eq(this, manifest) {
            // Adding a manifest to itself changes nothing.
            if prefix.is_none() {
                return Ok(NoneType);
            }
            let other = manifest.manifest().clone();
            this.manifest().add_manifest(&other, prefix.as_ref())?;
        } else {
            let other = manifest.manifest();
            this.manifest().add_manifest(&other, prefix.as_ref())?;
            let executables = manifest.executables().clone();
            this.add_executables(&executables);
        }
        Ok(NoneType)
    }

    /// The installed paths, sorted.
    fn paths(this: &FileManifestValue) -> anyhow::Result<Vec<String>> {
        Ok(this.manifest().entries().map(|(p, _)| p.to_string()).collect())
    }

    /// Writes the tree to `path` below the build path.
    fn install<'v>(
        this: &FileManifestValue,
        path: &str,
        #[starlark(default = true)] replace: bool,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let relative =
            ManifestPath::new(path).map_err(|e| DialectError::InstallPath(path.to_string(), e.to_string()))?;
        let dest = {
            let state = ConfigState::get(eval)?;
            let mut settings = state.settings.borrow_mut();
            settings.build_path_used = true;
            settings.build_path.join(relative.as_str())
        };
        this.manifest().install(&dest, replace)?;
        Ok(NoneType)
    }

    /// Installs a `PythonExecutable` (built now) with the files it needs beside
    /// it under `prefix`, or a Python resource as a file in standard layout.
    fn add_python_resource<'v>(
        this: &FileManifestValue,
        prefix: &str,
        value: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        add_python_value(this, prefix, value, eval)?;
        Ok(NoneType)
    }

    /// `add_python_resource` for each value of a list.
    fn add_python_resources<'v>(
        this: &FileManifestValue,
        prefix: &str,
        values: UnpackListOrTuple<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        for value in values.items {
            add_python_value(this, prefix, value, eval)?;
        }
        Ok(NoneType)
    }
}

/// The manifest under `prefix` ("." or "" for the root).
fn prefixed(prefix: &str) -> anyhow::Result<Option<ManifestPath>> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        Ok(None)
    } else {
        Ok(Some(ManifestPath::new(trimmed)?))
    }
}

pub(crate) fn add_python_value<'v>(
    this: &FileManifestValue,
    prefix: &str,
    value: Value<'v>,
    eval: &mut Evaluator<'v, '_, '_>,
) -> anyhow::Result<()> {
    let prefix = prefixed(prefix)?;
    if let Some(spec) = super::executable::executable_of(value) {
        let staging = {
            let state = ConfigState::get(eval)?;
            let mut settings = state.settings.borrow_mut();
            settings.build_path_used = true;
            settings.build_path.join("executables").join(&spec.name)
        };
        let built = crate::embedding::executable::build_executable(&spec, &staging, &crate::cache::cache_dir())?;
        // No reporter during evaluation; warnings go where `.pth` warnings go.
        for warning in &built.warnings {
            eprintln!("warning: {warning}");
        }
        let mut files = FileManifest::new();
        files.add_file(
            ManifestPath::new(&crate::embedding::executable::executable_file_name(&spec))?,
            FileEntry::from_bytes(std::fs::read(&built.path)?, true, format!("executable {}", spec.name)),
        )?;
        files.add_manifest(&built.beside, None)?;
        this.manifest().add_manifest(&files, prefix.as_ref())?;
        this.add_executables(std::slice::from_ref(&spec));
        return Ok(());
    }
    let Some((item, _)) = super::python::resource_of(value) else {
        anyhow::bail!(
            "add_python_resource takes a PythonExecutable or a Python resource, not {}",
            value.get_type()
        );
    };
    let (path, data, executable) = match &item {
        crate::embedding::ResourceItem::Classified(resource) => match resource_file(resource) {
            Some(file) => file,
            None => return Ok(()),
        },
        crate::embedding::ResourceItem::Distribution(module) => match &module.kind {
            crate::python::distribution::ExtensionKind::SharedLibrary { path } => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, FileData::Path(path.clone()), true)
            }
            _ => return Ok(()),
        },
    };
    let mut path = ManifestPath::new(&path)?;
    if let Some(prefix) = &prefix {
        path = path.under(prefix);
    }
    this.manifest().add_file(
        path,
        FileEntry {
            data,
            executable,
            origin: item.describe(),
        },
    )?;
    Ok(())
}

/// Where a classified resource lives in a standard `site-packages` layout.
fn resource_file(resource: &crate::python::resources::PythonResource) -> Option<(String, FileData, bool)> {
    use crate::python::resources::PythonResource as R;
    Some(match resource {
        R::ModuleSource(m) => {
            let base = m.name.replace('.', "/");
            let path = if m.is_package {
                format!("{base}/__init__.py")
            } else {
                format!("{base}.py")
            };
            (path, m.source.clone(), false)
        }
        R::PackageResource(r) => (
            format!("{}/{}", r.leaf_package.replace('.', "/"), r.relative_name),
            r.data.clone(),
            false,
        ),
        R::DistributionResource(r) => (format!("{}/{}", r.directory, r.name), r.data.clone(), false),
        R::ExtensionModule(e) => (
            format!("{}{}", e.name.replace('.', "/"), e.suffix),
            e.data.clone(),
            true,
        ),
        R::File(f) => (f.relative_path.clone(), f.data.clone(), f.executable),
        R::ModuleBytecode(_) | R::NamespacePackage(_) | R::PathExtension(_) => return None,
    })
}

/// Evaluates `glob(include, exclude, strip_prefix)`.
fn glob_manifest(
    eval: &Evaluator<'_, '_, '_>,
    include: &[String],
    exclude: &[String],
    strip_prefix: Option<&str>,
) -> anyhow::Result<FileManifest> {
    let config_dir = ConfigState::get(eval)?.settings.borrow().config_dir.clone();
    let exclude: Vec<glob::Pattern> = exclude
        .iter()
        .map(|p| {
            let absolute = absolute_pattern(&config_dir, p);
            glob::Pattern::new(&absolute).map_err(|e| DialectError::GlobPattern {
                pattern: p.clone(),
                message: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    // Without strip_prefix, relative patterns install relative to the config directory.
    let prefix = match strip_prefix {
        Some(prefix) => config_dir.join(prefix),
        None => config_dir.clone(),
    };
    let mut manifest = FileManifest::new();
    for pattern in include {
        let absolute = absolute_pattern(&config_dir, pattern);
        let paths = glob::glob(&absolute).map_err(|e| DialectError::GlobPattern {
            pattern: pattern.clone(),
            message: e.to_string(),
        })?;
        for path in paths {
            let path = path.with_context(|| format!("while expanding glob pattern {pattern:?}"))?;
            if exclude.iter().any(|e| e.matches_path(&path)) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).map_err(|e| DialectError::Io {
                path: path.clone(),
                message: e.to_string(),
            })?;
            if meta.is_dir() || below_symlinked_dir(&path, &prefix) {
                // Directories are implied by their files; files seen through a
                // symbolic link to a directory are kept as that link.
                continue;
            }
            if !path.starts_with(&prefix) {
                return Err(DialectError::StripPrefix {
                    path,
                    prefix: strip_prefix.unwrap_or_default().to_string(),
                }
                .into());
            }
            manifest.add_path(&path, &prefix, false)?;
        }
    }
    Ok(manifest)
}

fn absolute_pattern(config_dir: &Path, pattern: &str) -> String {
    if Path::new(pattern).is_absolute() {
        pattern.to_string()
    } else {
        format!("{}/{}", glob::Pattern::escape(&config_dir.to_string_lossy()), pattern)
    }
}

/// Whether a directory between `root` and `path` is a symbolic link.
fn below_symlinked_dir(path: &Path, root: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let mut current = root.to_path_buf();
    let components: Vec<_> = relative.components().collect();
    for component in &components[..components.len().saturating_sub(1)] {
        current.push(component);
        if std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink()) {
            return true;
        }
    }
    false
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// The install tree behind a target's result, if it is a FileManifest.
pub(crate) fn manifest_of(value: Value<'_>) -> Option<FileManifest> {
    value.downcast_ref::<FileManifestValue>().map(|m| m.manifest().clone())
}

/// The executables inside a FileManifest value (for the license audit).
pub(crate) fn manifest_executables_of(value: Value<'_>) -> Option<Vec<ExecutableSpec>> {
    value
        .downcast_ref::<FileManifestValue>()
        .map(|m| m.executables().clone())
}

/// Number of symbolic links and files, for summaries.
pub(crate) fn count_entries(manifest: &FileManifest) -> (usize, usize) {
    manifest.entries().fold((0, 0), |(files, links), (_, e)| match e {
        ManifestEntry::File(_) => (files + 1, links),
        ManifestEntry::Symlink { .. } => (files, links + 1),
    })
}
