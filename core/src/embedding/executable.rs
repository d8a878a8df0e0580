//! An application executable: a cached launcher with packed resources
//! appended, and the files installed beside it.
//!
//! Module code goes into the packed resources as bytecode compiled by the
//! distribution's own interpreter (and source, unless `add_source` is off);
//! package data and `.dist-info` files go in as they are. What cannot be
//! loaded from memory on this platform — shared-library extension modules —
//! and resources placed `filesystem-relative:PREFIX` become files beside the
//! executable, recorded in the resources by relative path. Extension modules
//! installed that way are shared libraries: mode 0755, and (unless the spec
//! opts out) stripped of symbols, debug information and build-machine
//! library search paths ([`super::elf`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxdist_embed::format::{EntryFlags, EntryKind, PackedResourcesBuilder, append_trailer};
use oxdist_installers::output::write_atomically;
use oxdist_installers::{FileData, FileEntry, FileManifest, ManifestError, ManifestPath};

use super::elf::{self, ElfError, Sanitised};
use super::frozen::{FreezeError, FrozenStdlib};
use super::launcher::{LauncherError, ensure_launcher};
use super::{AddSettings, ResourceItem};
use crate::python::bytecode::{BytecodeCompiler, BytecodeError, CompileRequest, CompileStats};
use crate::python::bytecode_cache::BytecodeCache;
use crate::python::distribution::{ExtensionKind, PythonDistribution};
use crate::python::policy::ResourceLocation;
use crate::python::resources::PythonResource;

/// Why an executable could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExecutableError {
    #[error(transparent)]
    Launcher(#[from] LauncherError),
    #[error(transparent)]
    Bytecode(#[from] BytecodeError),
    #[error("module name collision: {name} is provided by {first} and by {second}; remove one of them")]
    Collision {
        name: String,
        first: String,
        second: String,
    },
    #[error("invalid resource name {name:?}: {message}")]
    ResourceName { name: String, message: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error(
        "extension module {0} is made of object files to link into libpython; oxdist cannot link those yet: use a distribution with it built in or as a shared library, or exclude it (extension_module_filter)"
    )]
    StaticExtension(String),
    #[error(transparent)]
    ExtensionModule(#[from] ElfError),
    #[error(transparent)]
    Freeze(#[from] FreezeError),
}

impl ExecutableError {
    /// Problems the configuration can fix are configuration errors; the rest are build failures.
    pub fn exit_code(&self) -> i32 {
        use crate::error::exit;
        match self {
            ExecutableError::Collision { .. }
            | ExecutableError::ResourceName { .. }
            | ExecutableError::StaticExtension(_)
            | ExecutableError::ExtensionModule(_)
            | ExecutableError::Manifest(_)
            | ExecutableError::Launcher(LauncherError::Distribution(_))
            | ExecutableError::Launcher(LauncherError::CrossTarget { .. })
            | ExecutableError::Launcher(LauncherError::UnsupportedPython(_))
            | ExecutableError::Freeze(FreezeError::UnsupportedPython { .. }) => exit::CONFIG,
            _ => exit::BUILD,
        }
    }
}

impl From<oxdist_installers::output::OutputError> for ExecutableError {
    fn from(e: oxdist_installers::output::OutputError) -> Self {
        ExecutableError::Write {
            path: PathBuf::new(),
            message: e.to_string(),
        }
    }
}

/// What to build.
#[derive(Clone, Debug)]
pub struct ExecutableSpec {
    pub name: String,
    pub dist: Arc<PythonDistribution>,
    /// `PythonInterpreterConfig` as JSON (`c:interpreter`).
    pub config: serde_json::Value,
    pub resources: Vec<(ResourceItem, AddSettings)>,
    /// zstd level (1–22) for the packed entries; `None`: stored as they are
    /// (zero-copy at run time, the fastest start).
    pub compression_level: Option<i32>,
    /// Strip the ELF extension modules installed beside the executable
    /// (`PythonExecutable.strip_extension_modules`).
    pub strip_extension_modules: bool,
    /// The oldest glibc the executable must start on (`exe.min_glibc`).
    pub min_glibc: Option<String>,
    /// False for `to_embedded_resources()`: the resources alone, no launcher
    /// (so none of its Rust crates either).
    pub with_launcher: bool,
    /// Compile the standard library's code objects into the launcher
    /// (`PythonExecutable.freeze_stdlib`, [`super::frozen`]).
    pub freeze_stdlib: bool,
}

/// A built executable: the file, and what must be installed beside it
/// (paths relative to the executable's directory).
pub struct BuiltExecutable {
    pub path: PathBuf,
    pub beside: FileManifest,
    pub launcher_built: bool,
    pub entries: usize,
    /// How many modules were compiled and how many came from the bytecode cache.
    pub bytecode: CompileStats,
    /// Problems that did not stop the build, for the caller to show.
    pub warnings: Vec<String>,
}

/// The packed resources being assembled, remembering where each key came from.
struct Packer {
    builder: PackedResourcesBuilder,
    origins: BTreeMap<String, String>,
    beside: FileManifest,
    /// zstd level for entries worth compressing, when compression is on.
    compression_level: Option<i32>,
    /// Whether extension modules are stripped ([`elf::sanitise`]).
    strip_extension_modules: bool,
    warnings: Vec<String>,
}

/// Entries smaller than this stay uncompressed: a zstd frame's header would eat the gain.
const COMPRESS_MIN_SIZE: usize = 128;

impl Packer {
    fn add(
        &mut self,
        kind: EntryKind,
        name: &str,
        flags: EntryFlags,
        data: Vec<u8>,
        origin: &str,
    ) -> Result<(), ExecutableError> {
        let key = format!("{}{name}", kind.prefix());
        if let Some(first) = self.origins.get(&key) {
            return Err(ExecutableError::Collision {
                name: name.replace('\0', "/"),
                first: first.clone(),
                second: origin.to_string(),
            });
        }
        let added = match self.compression_level {
            Some(level) if data.len() >= COMPRESS_MIN_SIZE => {
                self.builder.add_compressed(kind, name, flags, data, level).map(|_| ())
            }
            _ => self.builder.add(kind, name, flags, data),
        };
        added.map_err(|e| ExecutableError::ResourceName {
            name: name.replace('\0', "/"),
            message: e.to_string(),
        })?;
        self.origins.insert(key, origin.to_string());
        Ok(())
    }

    fn beside(
        &mut self,
        relative: &str,
        data: FileData,
        executable: bool,
        origin: String,
    ) -> Result<(), ExecutableError> {
        let path = ManifestPath::new(relative)?;
        self.beside.add_file(
            path,
            FileEntry {
                data,
                executable,
                origin,
            },
        )?;
        Ok(())
    }

    /// Installs an extension module's shared library `data` (named `file` in
    /// messages) at `relative` beside the executable.
    ///
    /// Mode 0755: rpm and Fedora's policy expect shared libraries to be
    /// executable (rpmlint `shared-library-not-executable`), and the dynamic
    /// loader does not care. ELF modules are stripped unless the spec opts
    /// out; one `object` cannot rewrite is installed unchanged with a
    /// warning, since the module itself may well be valid.
    fn extension_module(
        &mut self,
        relative: &str,
        data: FileData,
        file: &str,
        origin: String,
    ) -> Result<(), ExecutableError> {
        let data = if self.strip_extension_modules {
            let sanitised = elf::sanitise(&data.read()?, file);
            match sanitised {
                Ok(Sanitised::Rewritten(bytes)) => FileData::Memory(Arc::new(bytes)),
                Ok(Sanitised::NotElf) => data,
                Err(e @ ElfError::Unsupported { .. }) => {
                    self.warnings.push(e.to_string());
                    data
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            data
        };
        self.beside(relative, data, true, origin)
    }
}

/// A module whose source is compiled to bytecode for the resources.
struct ModuleToCompile {
    name: String,
    is_package: bool,
    source: Vec<u8>,
    /// Optimize levels to compile (0, 1, 2).
    levels: Vec<u8>,
    /// `co_filename`: what tracebacks show.
    filename: String,
}

/// A module's source path below an import root: `a/b.py` or `a/b/__init__.py`.
pub(super) fn module_path(name: &str, is_package: bool) -> String {
    let base = name.replace('.', "/");
    if is_package {
        format!("{base}/__init__.py")
    } else {
        format!("{base}.py")
    }
}

/// Builds `spec` into `dest_dir/NAME`.
pub fn build_executable(
    spec: &ExecutableSpec,
    dest_dir: &Path,
    cache: &Path,
) -> Result<BuiltExecutable, ExecutableError> {
    // The launcher first: its errors (unsupported Python, no static
    // libpython) are the ones to report before any compiling, except that a
    // frozen standard library must be compiled to know which launcher.
    let frozen = if spec.freeze_stdlib {
        let mut compiler = bytecode_compiler(spec, cache)?;
        Some(FrozenStdlib::for_distribution(
            &spec.dist,
            &mut compiler,
            config_level(spec),
        )?)
    } else {
        None
    };
    let launcher = ensure_launcher(&spec.dist, cache, frozen.as_ref())?;
    let packed = pack_resources(spec, cache, frozen.as_ref())?;
    let launcher_bytes = std::fs::read(&launcher.path).map_err(|e| ExecutableError::Write {
        path: launcher.path.clone(),
        message: e.to_string(),
    })?;
    let dest = dest_dir.join(executable_file_name(spec));
    let trailer = append_trailer(packed.blob.len() as u64);
    if spec.dist.is_macos() {
        // Inside __LINKEDIT, where code signing accepts it (macho.rs).
        let payload = [packed.blob.as_slice(), &trailer].concat();
        let bytes = super::macho::embed_in_linkedit(&launcher_bytes, &payload).map_err(|e| ExecutableError::Write {
            path: launcher.path.clone(),
            message: e.to_string(),
        })?;
        write_parts(&dest, &[&bytes])?;
    } else {
        write_parts(&dest, &[&launcher_bytes, &packed.blob, &trailer])?;
    }
    set_executable(&dest).map_err(|e| ExecutableError::Write {
        path: dest.clone(),
        message: e.to_string(),
    })?;
    Ok(BuiltExecutable {
        path: dest,
        beside: packed.beside,
        launcher_built: launcher.built,
        entries: packed.entries,
        bytecode: packed.bytecode,
        warnings: packed.warnings,
    })
}

/// The executable's file name: `NAME`, or `NAME.exe` for Windows.
pub fn executable_file_name(spec: &ExecutableSpec) -> String {
    if spec.dist.is_windows() && !spec.name.to_ascii_lowercase().ends_with(".exe") {
        format!("{}.exe", spec.name)
    } else {
        spec.name.clone()
    }
}

/// The file name [`write_embedded_resources`] writes the packed resources to.
pub const EMBEDDED_RESOURCES_FILE: &str = "packed-resources";

/// Writes `spec`'s packed resources, without a launcher, to
/// `dest_dir/packed-resources` (PyOxidizer's `to_embedded_resources()`: for
/// programs that embed Python themselves and read the blob with
/// `oxdist_embed::format::PackedResources::parse`). Returns what must be
/// installed beside the program. `cache` is the user cache (for bytecode).
pub fn write_embedded_resources(
    spec: &ExecutableSpec,
    dest_dir: &Path,
    cache: &Path,
) -> Result<BuiltExecutable, ExecutableError> {
    // No launcher, so nothing frozen: every module is bytecode.
    let packed = pack_resources(spec, cache, None)?;
    let dest = dest_dir.join(EMBEDDED_RESOURCES_FILE);
    write_parts(&dest, &[&packed.blob])?;
    Ok(BuiltExecutable {
        path: dest,
        beside: packed.beside,
        launcher_built: false,
        entries: packed.entries,
        bytecode: packed.bytecode,
        warnings: packed.warnings,
    })
}

/// Writes the concatenation of `parts` to `dest`, atomically.
fn write_parts(dest: &Path, parts: &[&[u8]]) -> Result<(), ExecutableError> {
    write_atomically(dest, |out| {
        parts
            .iter()
            .try_for_each(|part| out.write_all(part))
            .map_err(|e| ExecutableError::Write {
                path: dest.to_path_buf(),
                message: e.to_string(),
            })
    })?;
    Ok(())
}

/// Packed resources and the files that go beside them.
struct PackedOutput {
    blob: Vec<u8>,
    beside: FileManifest,
    entries: usize,
    bytecode: CompileStats,
    warnings: Vec<String>,
}

/// The distribution's interpreter as a bytecode compiler, with the user cache.
fn bytecode_compiler(spec: &ExecutableSpec, cache: &Path) -> Result<BytecodeCompiler, ExecutableError> {
    let python = spec.dist.require_build_interpreter().map_err(LauncherError::from)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let mut compiler = BytecodeCompiler::new(python, workers)?;
    // The standard library is most of what is compiled and rarely changes.
    compiler.set_cache(BytecodeCache::new(cache.join("bytecode")));
    Ok(compiler)
}

/// The optimization level the interpreter runs at (and loads bytecode for).
fn config_level(spec: &ExecutableSpec) -> u8 {
    spec.config
        .get("bytecode_optimization_level")
        .and_then(|v| v.as_u64())
        .unwrap_or(0)
        .min(2) as u8
}

fn pack_resources(
    spec: &ExecutableSpec,
    cache: &Path,
    frozen: Option<&FrozenStdlib>,
) -> Result<PackedOutput, ExecutableError> {
    let dist = &spec.dist;
    let mut compiler = bytecode_compiler(spec, cache)?;
    let config_level = config_level(spec) as usize;

    let mut packer = Packer {
        builder: PackedResourcesBuilder::new(compiler.magic_number(), &dist.cache_tag).map_err(|e| {
            ExecutableError::ResourceName {
                name: dist.cache_tag.clone(),
                message: e.to_string(),
            }
        })?,
        origins: BTreeMap::new(),
        beside: FileManifest::new(),
        compression_level: spec.compression_level,
        strip_extension_modules: spec.strip_extension_modules,
        warnings: Vec::new(),
    };
    if dist.links_shared_libpython() && spec.with_launcher {
        add_shared_runtime(&mut packer, dist)?;
    }
    // Libraries the distribution's extension modules load, once each
    // (Windows looks for them beside the module; macOS modules name them
    // `@loader_path/…`).
    let mut module_dlls = std::collections::BTreeSet::new();

    // Sources to compile: (module name, is_package, source, levels, filename).
    let mut to_compile: Vec<ModuleToCompile> = Vec::new();
    let importer = oxdist_embed::IMPORTER_SOURCE.as_bytes().to_vec();
    to_compile.push(ModuleToCompile {
        name: "_oxdist_importer".into(),
        is_package: false,
        source: importer,
        levels: vec![config_level as u8],
        filename: "<oxdist>/_oxdist_importer.py".into(),
    });

    for (item, add) in &spec.resources {
        if !add.include {
            continue;
        }
        let origin = item.describe();
        match item {
            ResourceItem::Classified(resource) => {
                pack_classified(&mut packer, &mut to_compile, resource, add, config_level, &origin)?
            }
            ResourceItem::Distribution(module) => match &module.kind {
                ExtensionKind::Builtin => {}
                ExtensionKind::SharedLibrary { path } => {
                    let file = path
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let relative = format!("lib/{file}");
                    packer.add(
                        EntryKind::Extension,
                        &module.name,
                        EntryFlags::NONE,
                        relative.clone().into_bytes(),
                        &origin,
                    )?;
                    packer.extension_module(
                        &relative,
                        FileData::Path(path.clone()),
                        &path.display().to_string(),
                        format!("file {}", path.display()),
                    )?;
                    if dist.links_shared_libpython() {
                        for dll in module.links.iter().filter_map(|l| l.path_dynamic.as_ref()) {
                            let name = dll
                                .file_name()
                                .map(|f| f.to_string_lossy().into_owned())
                                .unwrap_or_default();
                            if module_dlls.insert(name.clone()) {
                                packer.beside(
                                    &format!("lib/{name}"),
                                    FileData::Path(dll.clone()),
                                    true,
                                    format!("file {}", dll.display()),
                                )?;
                            }
                        }
                    }
                }
                ExtensionKind::StaticObjects { .. } => {
                    return Err(ExecutableError::StaticExtension(module.name.clone()));
                }
            },
        }
    }

    // Compile every module in one batch with the distribution's interpreter.
    let requests: Vec<CompileRequest<'_>> = to_compile
        .iter()
        .flat_map(|m| {
            m.levels
                .iter()
                .map(move |level| CompileRequest::new(m.source.as_slice(), m.filename.clone(), *level))
        })
        .collect();
    let results = compiler.compile_many(&requests);
    let mut results = results.into_iter();
    for ModuleToCompile {
        name,
        is_package,
        levels,
        ..
    } in &to_compile
    {
        for level in levels {
            let bytecode = results.next().expect("one result per request")?;
            let flags = if *is_package {
                EntryFlags::IS_PACKAGE
            } else {
                EntryFlags::NONE
            };
            let origin = format!("module {name}");
            match frozen.and_then(|f| f.matching_digest(name, *level, &bytecode)) {
                // The launcher holds this very code object.
                Some(digest) => packer.add(EntryKind::Frozen, name, flags, digest.to_vec(), &origin)?,
                None => {
                    let kind = EntryKind::bytecode(*level).expect("levels are 0..=2");
                    packer.add(kind, name, flags, bytecode, &origin)?
                }
            }
        }
    }
    let config = serde_json::to_vec(&spec.config).expect("JSON values serialize");
    packer.add(
        EntryKind::Config,
        "interpreter",
        EntryFlags::NONE,
        config,
        "PythonInterpreterConfig",
    )?;

    Ok(PackedOutput {
        entries: packer.origins.len(),
        blob: packer.builder.to_vec(),
        beside: packer.beside,
        bytecode: compiler.stats(),
        warnings: packer.warnings,
    })
}

/// libpython (`python3X.dll`, `libpython3.X.dylib`) and what it needs (the
/// VC++ runtime, `python3.dll`) beside the executable: where Windows'
/// loader looks first, and the macOS launcher's rpath (`@executable_path`).
fn add_shared_runtime(packer: &mut Packer, dist: &PythonDistribution) -> Result<(), ExecutableError> {
    let libraries = dist
        .libpython
        .shared_lib
        .iter()
        .chain(dist.libpython.links.iter().filter_map(|l| l.path_dynamic.as_ref()));
    for path in libraries {
        let name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        packer.beside(
            &name,
            FileData::Path(path.clone()),
            true,
            format!("file {}", path.display()),
        )?;
    }
    Ok(())
}

fn pack_classified(
    packer: &mut Packer,
    to_compile: &mut Vec<ModuleToCompile>,
    resource: &PythonResource,
    add: &AddSettings,
    config_level: usize,
    origin: &str,
) -> Result<(), ExecutableError> {
    let read = |data: &FileData| -> Result<Vec<u8>, ExecutableError> { Ok(data.read()?.into_owned()) };
    match resource {
        PythonResource::ModuleSource(module) => {
            let source = read(&module.source)?;
            let relative = module_path(&module.name, module.is_package);
            match &add.location {
                ResourceLocation::FilesystemRelative(prefix) => {
                    let path = join_prefix(prefix, &relative);
                    let flags = if module.is_package {
                        EntryFlags::IS_PACKAGE
                    } else {
                        EntryFlags::NONE
                    };
                    packer.add(
                        EntryKind::FileModule,
                        &module.name,
                        flags,
                        path.clone().into_bytes(),
                        origin,
                    )?;
                    packer.beside(&path, FileData::Memory(source.into()), false, origin.to_string())?;
                }
                ResourceLocation::InMemory => {
                    let mut levels: Vec<u8> = (0..3u8).filter(|l| add.bytecode[*l as usize]).collect();
                    // The runtime loads the level the interpreter runs at.
                    if !levels.contains(&(config_level as u8)) {
                        levels.push(config_level as u8);
                    }
                    if add.source {
                        let flags = if module.is_package {
                            EntryFlags::IS_PACKAGE
                        } else {
                            EntryFlags::NONE
                        };
                        packer.add(EntryKind::Source, &module.name, flags, source.clone(), origin)?;
                    }
                    to_compile.push(ModuleToCompile {
                        name: module.name.clone(),
                        is_package: module.is_package,
                        source,
                        levels,
                        filename: relative,
                    });
                }
            }
        }
        PythonResource::ModuleBytecode(module) => {
            let data = read(&module.bytecode)?;
            // A .pyc file: 16-byte header, then marshal data.
            let code = data.get(16..).unwrap_or_default().to_vec();
            let flags = if module.is_package {
                EntryFlags::IS_PACKAGE
            } else {
                EntryFlags::NONE
            };
            packer.add(EntryKind::Bytecode0, &module.name, flags, code, origin)?;
        }
        PythonResource::PackageResource(r) => {
            let data = read(&r.data)?;
            if let ResourceLocation::FilesystemRelative(prefix) = &add.location {
                let path = join_prefix(
                    prefix,
                    &format!("{}/{}", r.leaf_package.replace('.', "/"), r.relative_name),
                );
                packer.beside(&path, FileData::Memory(data.clone().into()), false, origin.to_string())?;
            }
            packer.add(
                EntryKind::Resource,
                &format!("{}\0{}", r.leaf_package, r.relative_name),
                EntryFlags::NONE,
                data,
                origin,
            )?;
        }
        PythonResource::DistributionResource(r) => {
            let data = read(&r.data)?;
            packer.add(
                EntryKind::DistMetadata,
                &format!("{}\0{}", r.directory, r.name),
                EntryFlags::NONE,
                data,
                origin,
            )?;
        }
        PythonResource::ExtensionModule(e) => {
            // Shared libraries cannot be loaded from memory here: a file beside the executable.
            let prefix = match &add.location {
                ResourceLocation::FilesystemRelative(prefix) => prefix.clone(),
                ResourceLocation::InMemory => match &add.location_fallback {
                    Some(ResourceLocation::FilesystemRelative(prefix)) => prefix.clone(),
                    _ => "lib".to_string(),
                },
            };
            let file = format!("{}{}", e.name.replace('.', "/"), e.suffix);
            let path = join_prefix(&prefix, &file);
            packer.add(
                EntryKind::Extension,
                &e.name,
                EntryFlags::NONE,
                path.clone().into_bytes(),
                origin,
            )?;
            packer.extension_module(
                &path,
                e.data.clone(),
                &e.origin.display().to_string(),
                origin.to_string(),
            )?;
        }
        PythonResource::NamespacePackage(name) => {
            packer.add(EntryKind::Namespace, name, EntryFlags::IS_PACKAGE, Vec::new(), origin)?;
        }
        PythonResource::PathExtension(_) => {}
        PythonResource::File(f) => {
            let prefix = match &add.location {
                ResourceLocation::FilesystemRelative(prefix) => prefix.as_str(),
                ResourceLocation::InMemory => "",
            };
            packer.beside(
                &join_prefix(prefix, &f.relative_path),
                f.data.clone(),
                f.executable,
                origin.to_string(),
            )?;
        }
    }
    Ok(())
}

fn join_prefix(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() || prefix == "." {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxdist_installers::ManifestEntry;

    fn packer(strip_extension_modules: bool) -> Packer {
        Packer {
            builder: PackedResourcesBuilder::new([0xa7, 0x0d, 0x0d, 0x0a], "cpython-311").unwrap(),
            origins: BTreeMap::new(),
            beside: FileManifest::new(),
            compression_level: None,
            strip_extension_modules,
            warnings: Vec::new(),
        }
    }

    /// The bytes and executable bit installed at `path`.
    fn installed(packer: &Packer, path: &str) -> (Vec<u8>, bool) {
        match packer.beside.get(&ManifestPath::new(path).unwrap()) {
            Some(ManifestEntry::File(f)) => (f.data.read().unwrap().into_owned(), f.executable),
            other => panic!("{path}: {other:?}"),
        }
    }

    fn add(packer: &mut Packer, bytes: &[u8]) -> Result<(), ExecutableError> {
        let data = FileData::Memory(Arc::new(bytes.to_vec()));
        packer.extension_module("lib/m.so", data, "src/m.so", "test".into())
    }

    #[test]
    fn a_module_object_cannot_rewrite_is_installed_unchanged_with_a_warning() {
        // Starts like ELF, too short to parse: the builder's error path.
        let truncated = b"\x7fELF\x02\x01\x01";
        let mut p = packer(true);
        add(&mut p, truncated).unwrap();
        assert_eq!(installed(&p, "lib/m.so"), (truncated.to_vec(), true));
        assert_eq!(p.warnings.len(), 1);
        let warning = &p.warnings[0];
        assert!(
            warning.contains("src/m.so") && warning.contains("installed unchanged"),
            "{warning}"
        );
    }

    #[test]
    fn without_stripping_any_bytes_are_installed_as_they_are() {
        let mut p = packer(false);
        add(&mut p, b"not a library").unwrap();
        assert_eq!(installed(&p, "lib/m.so"), (b"not a library".to_vec(), true));
        assert!(p.warnings.is_empty());

        let err = add(&mut packer(true), b"not a library").err().unwrap();
        assert!(matches!(
            err,
            ExecutableError::ExtensionModule(ElfError::NotSharedLibrary { .. })
        ));
        assert_eq!(err.exit_code(), crate::error::exit::CONFIG);
    }
}
