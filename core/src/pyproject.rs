//! Zero-config: the configuration a plain `pyproject.toml` implies.
//!
//! In a directory with a `pyproject.toml` (PEP 621) and no `oxdist.star`,
//! oxdist renders the Starlark a user would have written (from the template
//! `templates/files/pyproject/oxdist.star.hbs`) and evaluates it
//! as if it were the file: one model, so `oxdist init --from-pyproject`
//! writes exactly what zero-config runs. Metadata comes from `[project]`;
//! the project and its dependencies are installed from wheels by the
//! distribution's pip (with `[tool.oxdist] find-links` / `no-index` for
//! offline builds); one console script becomes the executable.
//!
//! `[tool.oxdist]` settings (all optional):
//!
//! | key | meaning |
//! |---|---|
//! | `entry-point` | a `[project.scripts]` name, or `module:function` |
//! | `executable` | the executable's file name (default: the script's name) |
//! | `find-links` | directories (relative to the project) or URLs of wheels |
//! | `no-index` | true: install from `find-links` only |
//! | `extension-module-filter` | the packaging policy's filter (`all`, `minimal`, `no-copyleft`, …; default `no-copyleft`) |
//! | `freeze-stdlib` | `PythonExecutable.freeze_stdlib` |
//! | `formats` | `oxdist package`'s formats when `--format` is not given |
//! | `[tool.oxdist.linux]` | `LinuxPackageBuilder` attributes ([`LINUX_KEYS`]) |
//! | `[tool.oxdist.windows]` | the MSI's `WiXMSIBuilder` ([`WindowsSettings`]) |
//! | `[tool.oxdist.macos]` | the app bundle in the DMG ([`MACOS_KEYS`]) |
//! | `[tool.oxdist.signing]` | the environment variables signing secrets are read from ([`SigningEnv`]) |
//! | `[tool.oxdist.license-policy]` | `set_license_policy` arguments ([`POLICY_KEYS`]) |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// `extension-module-filter` when `[tool.oxdist]` does not set it.
pub const DEFAULT_FILTER: &str = "no-copyleft";

/// The file zero-config reads.
pub const PYPROJECT: &str = "pyproject.toml";

/// The `[tool.oxdist]` keys, in the order the docs list them.
/// The target of the generated configuration that builds the application
/// for Windows (what `oxdist package` packages as an MSI).
pub const WINDOWS_TARGET: &str = "windows";

/// The target of the generated configuration that builds the application
/// for macOS as an app bundle (what `oxdist package` packages as a DMG).
pub const MACOS_TARGET: &str = "macos";

pub const TOOL_KEYS: [&str; 12] = [
    "entry-point",
    "executable",
    "find-links",
    "no-index",
    "extension-module-filter",
    "freeze-stdlib",
    "formats",
    "linux",
    "windows",
    "macos",
    "signing",
    "license-policy",
];

/// What a `[tool.oxdist.*]` value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Strings,
    /// A table of strings (names to reasons).
    StringTable,
}

/// `[tool.oxdist.linux]` keys and the `LinuxPackageBuilder` attributes they set.
pub const LINUX_KEYS: [(&str, &str, Kind); 9] = [
    ("prefix", "prefix", Kind::String),
    ("section", "section", Kind::String),
    ("long-description", "long_description", Kind::String),
    ("deb-depends", "deb_depends", Kind::Strings),
    ("deb-recommends", "deb_recommends", Kind::Strings),
    ("rpm-requires", "rpm_requires", Kind::Strings),
    ("rpm-recommends", "rpm_recommends", Kind::Strings),
    ("deb-compression", "deb_compression", Kind::String),
    ("rpm-compression", "rpm_compression", Kind::String),
];

/// `[tool.oxdist.macos]` keys: the bundle's `CFBundleIdentifier` (default
/// `com.example.NAME`, which a release should replace), its display name
/// (default: the project's normalized name, as in the artifacts' names) and the Mac it runs on (`arm64`, the
/// default, or `x86_64`).
pub const MACOS_KEYS: [(&str, &str, Kind); 3] = [
    ("identifier", "identifier", Kind::String),
    ("display-name", "display_name", Kind::String),
    ("architecture", "architecture", Kind::String),
];

/// `[tool.oxdist.windows]`: the MSI. Any setting turns the `windows`
/// target into a `WiXMSIBuilder` (GUIDs still derived from the package
/// name, as without one); strings are quoted for Starlark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowsSettings {
    /// `product_manufacturer` (default: the maintainer's name, else the project's).
    pub manufacturer: Option<String>,
    /// `WiXMSIBuilder` attributes: `scope`, `help_url`, `license_path`,
    /// `product_icon_path`, `add_to_path`.
    pub attributes: Vec<(String, String)>,
    /// A Start-menu shortcut to the executable.
    pub start_menu_shortcut: bool,
    /// A desktop shortcut too.
    pub desktop_shortcut: bool,
}

/// `[tool.oxdist.windows]` keys.
pub const WINDOWS_KEYS: [&str; 8] = [
    "manufacturer",
    "scope",
    "help-url",
    "license",
    "icon",
    "add-to-path",
    "start-menu-shortcut",
    "desktop-shortcut",
];

/// `[tool.oxdist.signing]`: the names of the environment variables that
/// hold the signing secrets, in place of oxdist's own (`OXDIST_PGP_KEY`, …).
/// Only names live in `pyproject.toml`, never a secret: a value must be an
/// environment variable's name (letters, digits, `_`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningEnv {
    /// Holds the ASCII-armored OpenPGP secret key (deb, rpm).
    pub pgp_key: String,
    /// Holds its passphrase.
    pub pgp_passphrase: String,
    /// Holds the path of the PKCS#12 file (MSI, Authenticode).
    pub authenticode_pfx: String,
    /// Holds its password.
    pub authenticode_password: String,
    /// Holds the path of the Developer ID PKCS#12 file (app, DMG).
    pub apple_pfx: String,
    /// Holds its password.
    pub apple_password: String,
}

impl Default for SigningEnv {
    fn default() -> Self {
        use crate::commands::{authenticode_key, signing_key};
        Self {
            pgp_key: signing_key::KEY_ENV.into(),
            pgp_passphrase: signing_key::PASSPHRASE_ENV.into(),
            authenticode_pfx: "OXDIST_AUTHENTICODE_PFX_FILE".into(),
            authenticode_password: authenticode_key::PASSWORD_ENV.into(),
            apple_pfx: "OXDIST_APPLE_PFX_FILE".into(),
            apple_password: authenticode_key::APPLE_PASSWORD_ENV.into(),
        }
    }
}

/// `[tool.oxdist.signing]` keys.
pub const SIGNING_KEYS: [&str; 6] = [
    "pgp-key",
    "pgp-passphrase",
    "authenticode-pfx",
    "authenticode-password",
    "apple-pfx",
    "apple-password",
];

/// `[tool.oxdist.license-policy]` keys and the `set_license_policy` arguments they set.
pub const POLICY_KEYS: [(&str, &str, Kind); 6] = [
    ("allow", "allow", Kind::Strings),
    ("deny", "deny", Kind::Strings),
    ("copyleft", "copyleft", Kind::String),
    ("weak-copyleft", "weak_copyleft", Kind::String),
    ("unknown", "unknown", Kind::String),
    ("exceptions", "exceptions", Kind::StringTable),
];

/// Why `pyproject.toml` cannot be turned into a configuration.
#[derive(Debug, thiserror::Error)]
pub enum PyprojectError {
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error(
        "{} has no [project] table: zero-config reads the name, version and scripts from it (PEP 621); add one, or write an oxdist.star (`oxdist init`)",
        path.display()
    )]
    NoProject { path: PathBuf },
    #[error("{}: {field} {message}", path.display())]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error(
        "{}: {table} has no setting `{key}`{}; the settings are: {known}",
        path.display(),
        suggestion.as_ref().map_or(String::new(), |s| format!(" (did you mean `{s}`?)"))
    )]
    UnknownSetting {
        path: PathBuf,
        table: String,
        key: String,
        suggestion: Option<String>,
        known: String,
    },
    #[error(
        "{}: the project has several console scripts ({}) and none is chosen; set [tool.oxdist] entry-point = \"NAME\" to one of them",
        path.display(),
        scripts.join(", ")
    )]
    SeveralScripts { path: PathBuf, scripts: Vec<String> },
    #[error(
        "{}: the project has no [project.scripts] entry to run; add one (NAME = \"module:function\") or set [tool.oxdist] entry-point = \"module:function\"",
        path.display()
    )]
    NoScripts { path: PathBuf },
    #[error(
        "{}: the version is dynamic and building the project to learn it failed: {message}\nset [project] version, or make the build work offline ([tool.oxdist] find-links with the build backend's wheel)",
        path.display()
    )]
    DynamicVersion { path: PathBuf, message: String },
}

/// The nearest `pyproject.toml` in `start` or a parent directory.
pub fn find(start: &Path) -> Option<PathBuf> {
    start.ancestors().map(|d| d.join(PYPROJECT)).find(|p| p.is_file())
}

/// What `[project]` and `[tool.oxdist]` say, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub name: String,
    /// `None` when `[project] dynamic` lists it: learnt by building the project.
    pub version: Option<String>,
    pub description: Option<String>,
    /// An SPDX expression (PEP 639), or the text of `license = {text = …}`.
    pub license: Option<String>,
    /// `Name <email>` of the first maintainer, else the first author.
    pub maintainer: Option<String>,
    pub homepage: Option<String>,
    /// The script to run: (executable name, `module:function` or `module`).
    pub entry_point: (String, String),
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub extension_module_filter: Option<String>,
    pub freeze_stdlib: bool,
    /// `oxdist package`'s formats without `--format` (checked names).
    pub formats: Vec<String>,
    /// `LinuxPackageBuilder` attribute assignments: (attribute, Starlark value).
    pub linux: Vec<(String, String)>,
    /// `[tool.oxdist.windows]`; `None` when absent.
    pub windows: Option<WindowsSettings>,
    /// `[tool.oxdist.macos]`, quoted for Starlark.
    pub macos: Vec<(String, String)>,
    /// `[tool.oxdist.signing]`, with oxdist's names for what it leaves out.
    pub signing: SigningEnv,
    /// `set_license_policy` arguments: (argument, Starlark value).
    pub license_policy: Vec<(String, String)>,
}

impl Project {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self, PyprojectError> {
        let text = std::fs::read_to_string(path).map_err(|e| PyprojectError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// Parses pyproject text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, PyprojectError> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| PyprojectError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let field = |field: &str, message: &str| PyprojectError::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            message: message.to_string(),
        };
        let Some(project) = table.get("project").and_then(Value::as_table) else {
            return Err(PyprojectError::NoProject {
                path: path.to_path_buf(),
            });
        };
        let string = |key: &str| -> Result<Option<String>, PyprojectError> {
            match project.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(field(&format!("[project] {key}"), "must be a string")),
            }
        };
        let name = string("name")?.ok_or_else(|| field("[project] name", "is missing"))?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            return Err(field(
                "[project] name",
                &format!("{name:?} is not a valid project name (letters, digits, '.', '_', '-')"),
            ));
        }
        let dynamic: Vec<&str> = match project.get("dynamic") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| field("[project] dynamic", "must list strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(field("[project] dynamic", "must be a list of strings")),
        };
        let version = match (string("version")?, dynamic.contains(&"version")) {
            (Some(_), true) => {
                return Err(field(
                    "[project] version",
                    "is set and also listed in dynamic; keep one (PEP 621)",
                ));
            }
            (Some(v), false) => Some(v),
            (None, true) => None,
            (None, false) => {
                return Err(field(
                    "[project] version",
                    "is missing; set it, or list \"version\" in dynamic to take it from the build backend",
                ));
            }
        };
        let license = match project.get("license") {
            None => None,
            Some(Value::String(expression)) => Some(expression.clone()),
            // `{file = …}`: the file goes into the package through the
            // wheel's license files; the metadata has no expression.
            Some(Value::Table(t)) => t
                .get("text")
                .and_then(Value::as_str)
                .map(|text| text.trim().to_string()),
            Some(_) => return Err(field("[project] license", "must be an SPDX expression or a table")),
        };
        let person = |key: &str| -> Result<Option<String>, PyprojectError> {
            let Some(list) = project.get(key) else { return Ok(None) };
            let list = list
                .as_array()
                .ok_or_else(|| field(&format!("[project] {key}"), "must be a list of {name, email} tables"))?;
            let Some(first) = list.first() else { return Ok(None) };
            let first = first
                .as_table()
                .ok_or_else(|| field(&format!("[project] {key}"), "must be a list of {name, email} tables"))?;
            let name = first.get("name").and_then(Value::as_str);
            let email = first.get("email").and_then(Value::as_str);
            Ok(match (name, email) {
                (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
                (Some(n), None) => Some(n.to_string()),
                (None, Some(e)) => Some(format!("<{e}>")),
                (None, None) => None,
            })
        };
        let maintainer = match person("maintainers")? {
            Some(m) => Some(m),
            None => person("authors")?,
        };
        let homepage = project.get("urls").and_then(Value::as_table).and_then(|urls| {
            [
                "Homepage",
                "homepage",
                "Home",
                "Source",
                "source",
                "Repository",
                "repository",
            ]
            .iter()
            .find_map(|k| urls.get(*k).and_then(Value::as_str))
            .or_else(|| urls.values().find_map(Value::as_str))
            .map(str::to_string)
        });
        let mut scripts = BTreeMap::new();
        for key in ["scripts", "gui-scripts"] {
            match project.get(key) {
                None => {}
                Some(Value::Table(t)) => {
                    for (name, target) in t {
                        let target = target.as_str().ok_or_else(|| {
                            field(
                                &format!("[project.{key}] {name}"),
                                "must be a \"module:function\" string",
                            )
                        })?;
                        scripts.insert(name.clone(), target.to_string());
                    }
                }
                Some(_) => return Err(field(&format!("[project.{key}]"), "must be a table")),
            }
        }

        let empty = Table::new();
        let tool = match table.get("tool").and_then(|t| t.get("oxdist")) {
            None => &empty,
            Some(Value::Table(t)) => t,
            Some(_) => return Err(field("[tool.oxdist]", "must be a table")),
        };
        check_keys(path, "[tool.oxdist]", tool, &TOOL_KEYS)?;
        let tool_string = |key: &str| -> Result<Option<String>, PyprojectError> {
            match tool.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(field(&format!("[tool.oxdist] {key}"), "must be a string")),
            }
        };
        let tool_bool = |key: &str| -> Result<bool, PyprojectError> {
            match tool.get(key) {
                None => Ok(false),
                Some(Value::Boolean(b)) => Ok(*b),
                Some(_) => Err(field(&format!("[tool.oxdist] {key}"), "must be true or false")),
            }
        };
        let find_links = match tool.get("find-links") {
            None => Vec::new(),
            Some(value) => strings(value)
                .ok_or_else(|| field("[tool.oxdist] find-links", "must be a string or a list of strings"))?,
        };

        let entry_point = match tool_string("entry-point")? {
            Some(chosen) if chosen.contains(':') && !scripts.contains_key(&chosen) => (name.clone(), chosen),
            Some(chosen) => match scripts.get(&chosen) {
                Some(target) => (chosen, target.clone()),
                None => {
                    return Err(field(
                        "[tool.oxdist] entry-point",
                        &format!(
                            "{chosen:?} is neither a [project.scripts] name ({}) nor module:function (e.g. \"{}.cli:main\")",
                            scripts.keys().cloned().collect::<Vec<_>>().join(", "),
                            name.replace('-', "_")
                        ),
                    ));
                }
            },
            None => match scripts.len() {
                0 => {
                    return Err(PyprojectError::NoScripts {
                        path: path.to_path_buf(),
                    });
                }
                1 => scripts.into_iter().next().expect("one script"),
                _ => {
                    return Err(PyprojectError::SeveralScripts {
                        path: path.to_path_buf(),
                        scripts: scripts.into_keys().collect(),
                    });
                }
            },
        };
        let entry_point = match tool_string("executable")? {
            Some(exe) => (exe, entry_point.1),
            None => entry_point,
        };
        if entry_point.0.is_empty() || entry_point.0.contains(['/', '\\', '\0']) {
            return Err(field(
                "[tool.oxdist] executable",
                &format!("{:?} is not a file name", entry_point.0),
            ));
        }
        parse_entry_point(&entry_point.1)
            .ok_or_else(|| field("entry point", &format!("{:?} is not module:function", entry_point.1)))?;

        Ok(Project {
            name,
            version,
            description: string("description")?,
            license,
            maintainer,
            homepage,
            entry_point,
            find_links,
            no_index: tool_bool("no-index")?,
            extension_module_filter: match tool_string("extension-module-filter")? {
                Some(filter) => Some(
                    filter
                        .parse::<crate::python::policy::ExtensionModuleFilter>()
                        .map(|_| filter)
                        .map_err(|e| field("[tool.oxdist] extension-module-filter", &e.to_string()))?,
                ),
                None => None,
            },
            freeze_stdlib: tool_bool("freeze-stdlib")?,
            formats: match tool.get("formats") {
                None => Vec::new(),
                Some(value) => {
                    let formats = strings(value).ok_or_else(|| {
                        field(
                            "[tool.oxdist] formats",
                            "must be a list of format names (e.g. [\"tar.zst\", \"deb\"])",
                        )
                    })?;
                    crate::commands::package::parse_formats(&formats)
                        .map_err(|e| field("[tool.oxdist] formats", &e.to_string()))?;
                    formats
                }
            },
            linux: subtable(path, tool, "linux", &LINUX_KEYS)?,
            macos: {
                let macos = subtable(path, tool, "macos", &MACOS_KEYS)?;
                if let Some((_, arch)) = macos.iter().find(|(k, _)| k == "architecture")
                    && !matches!(arch.as_str(), "\"arm64\"" | "\"x86_64\"")
                {
                    return Err(PyprojectError::Field {
                        path: path.to_path_buf(),
                        field: "[tool.oxdist.macos] architecture".into(),
                        message: format!("must be \"arm64\" or \"x86_64\", not {arch}"),
                    });
                }
                macos
            },
            signing: signing_env(path, tool)?,
            windows: windows_settings(path, tool)?,
            license_policy: subtable(path, tool, "license-policy", &POLICY_KEYS)?,
        })
    }

    /// The Starlark configuration this project implies, with `version` (the
    /// resolved one when `[project]` declares it dynamic), from
    /// `templates/files/pyproject/oxdist.star.hbs`.
    pub fn starlark(&self, version: &str) -> Result<String, oxdist_templates::TemplateError> {
        let q = quote;
        let metadata: Vec<serde_json::Value> = [
            ("description", &self.description),
            ("maintainer", &self.maintainer),
            ("homepage", &self.homepage),
            ("license", &self.license),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| serde_json::json!({"key": key, "value": q(v)})))
        .collect();
        let (exe, target) = &self.entry_point;
        let (module, function) = parse_entry_point(target).expect("checked when read");
        let run_command = function.map(|function| {
            let head = function.split('.').next().unwrap_or(function);
            q(&format!(
                "import sys; from {module} import {head}; sys.exit({function}())"
            ))
        });
        let mut pip = vec!["CWD".to_string()];
        for link in &self.find_links {
            pip.push(q("--find-links"));
            // URLs and absolute paths as they are; relative paths below the project.
            pip.push(if link.contains("://") || Path::new(link).is_absolute() {
                q(link)
            } else {
                format!("CWD + \"/\" + {}", q(link))
            });
        }
        if self.no_index {
            pip.push(q("--no-index"));
        }
        let data = serde_json::json!({
            // The PEP 503 form (`Hello_CLI` -> `hello-cli`): valid as a deb and rpm name.
            "name": q(&normalized(&self.name)),
            "version": q(version),
            "metadata": metadata,
            // Without a choice, no extension module that links a copyleft
            // library or one whose license is not machine-readable: what
            // passes the default license policy (`oxdist licenses` shows the rest).
            "filter": q(self.extension_module_filter.as_deref().unwrap_or(DEFAULT_FILTER)),
            "run_module": if function.is_none() { Some(q(module)) } else { None },
            "entry_point": format!("{module}:{}", function.unwrap_or_default()),
            "run_command": run_command,
            "exe": q(exe),
            "freeze_stdlib": self.freeze_stdlib,
            "formats": self.formats.join(","),
            "linux": self.linux.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "license_policy": self
                .license_policy
                .iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
                .collect::<Vec<_>>(),
            "pip_args": pip.join(", "),
            "macos": self.macos_settings(exe),
            "windows": self.windows.as_ref().map(|windows| self.windows_data(windows, exe)),
        });
        oxdist_templates::render(oxdist_templates::Template::PyprojectConfig, &data)
    }

    /// The MSI's settings for the template, quoted for Starlark.
    fn windows_data(&self, windows: &WindowsSettings, exe: &str) -> serde_json::Value {
        let manufacturer = windows.manufacturer.clone().unwrap_or_else(|| {
            let maintainer = self
                .maintainer
                .as_deref()
                .map(|m| m.split(" <").next().unwrap_or(m).trim());
            quote(maintainer.filter(|m| !m.is_empty()).unwrap_or(&self.name))
        });
        serde_json::json!({
            "manufacturer": manufacturer,
            "attributes": windows
                .attributes
                .iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
                .collect::<Vec<_>>(),
            "shortcut": windows.start_menu_shortcut,
            "desktop": if windows.desktop_shortcut { "True" } else { "False" },
            "exe": quote(&format!("{exe}.exe")),
        })
    }

    /// The app bundle's settings for the template, quoted for Starlark.
    fn macos_settings(&self, exe: &str) -> serde_json::Value {
        let setting = |key: &str| self.macos.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let triple = match setting("architecture").as_deref() {
            Some("\"x86_64\"") => "x86_64-apple-darwin",
            _ => "aarch64-apple-darwin",
        };
        serde_json::json!({
            "target": quote(triple),
            "bundle_name": setting("display_name").unwrap_or_else(|| quote(&normalized(&self.name))),
            "identifier": setting("identifier").unwrap_or_else(|| quote(&format!("com.example.{}", normalized(&self.name)))),
            "executable": quote(exe),
        })
    }

    /// `pip install` arguments that find the project's wheels (for
    /// building it to learn a dynamic version).
    pub fn index_args(&self, project_dir: &Path) -> Vec<String> {
        let mut args = Vec::new();
        for link in &self.find_links {
            args.push("--find-links".to_string());
            args.push(if link.contains("://") {
                link.clone()
            } else {
                project_dir.join(link).display().to_string()
            });
        }
        if self.no_index {
            args.push("--no-index".to_string());
        }
        args
    }
}

/// Refuses keys of `table` that are not `known`, suggesting the nearest.
fn check_keys(path: &Path, name: &str, table: &Table, known: &[&str]) -> Result<(), PyprojectError> {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            let suggestion = known
                .iter()
                .map(|k| (strsim::jaro_winkler(k, key), *k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k.to_string());
            return Err(PyprojectError::UnknownSetting {
                path: path.to_path_buf(),
                table: name.to_string(),
                key: key.clone(),
                suggestion,
                known: known.join(", "),
            });
        }
    }
    Ok(())
}

/// A string or a list of strings, as a list.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|v| v.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// `[tool.oxdist.NAME]`, checked against `keys`, as (Starlark name,
/// Starlark value) pairs in `keys`' order.
fn subtable(
    path: &Path,
    tool: &Table,
    name: &str,
    keys: &[(&str, &str, Kind)],
) -> Result<Vec<(String, String)>, PyprojectError> {
    let table_name = format!("[tool.oxdist.{name}]");
    let Some(value) = tool.get(name) else {
        return Ok(Vec::new());
    };
    let table = value.as_table().ok_or_else(|| PyprojectError::Field {
        path: path.to_path_buf(),
        field: table_name.clone(),
        message: "must be a table".into(),
    })?;
    let known: Vec<&str> = keys.iter().map(|(key, _, _)| *key).collect();
    check_keys(path, &table_name, table, &known)?;
    let mut out = Vec::new();
    for (key, starlark, kind) in keys {
        let Some(value) = table.get(*key) else { continue };
        let bad = |what: &str| PyprojectError::Field {
            path: path.to_path_buf(),
            field: format!("{table_name} {key}"),
            message: format!("must be {what}"),
        };
        let list = |items: &[String]| format!("[{}]", items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", "));
        let rendered = match kind {
            Kind::String => quote(value.as_str().ok_or_else(|| bad("a string"))?),
            Kind::Strings => list(&strings(value).ok_or_else(|| bad("a list of strings"))?),
            Kind::StringTable => {
                let entries = value
                    .as_table()
                    .ok_or_else(|| bad("a table of strings (NAME = \"reason\")"))?;
                let pairs = entries
                    .iter()
                    .map(|(k, v)| {
                        v.as_str()
                            .map(|v| format!("{}: {}", quote(k), quote(v)))
                            .ok_or_else(|| bad("a table of strings (NAME = \"reason\")"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                format!("{{{}}}", pairs.join(", "))
            }
        };
        out.push((starlark.to_string(), rendered));
    }
    Ok(out)
}

/// `[tool.oxdist.windows]`, each value checked.
fn windows_settings(path: &Path, tool: &Table) -> Result<Option<WindowsSettings>, PyprojectError> {
    let Some(value) = tool.get("windows") else {
        return Ok(None);
    };
    let field = |key: &str, message: &str| PyprojectError::Field {
        path: path.to_path_buf(),
        field: format!("[tool.oxdist.windows]{key}"),
        message: message.to_string(),
    };
    let table = value.as_table().ok_or_else(|| field("", "must be a table"))?;
    check_keys(path, "[tool.oxdist.windows]", table, &WINDOWS_KEYS)?;
    let mut settings = WindowsSettings::default();
    for (key, value) in table {
        let key_field = format!(" {key}");
        let string = || value.as_str().ok_or_else(|| field(&key_field, "must be a string"));
        let boolean = || {
            value
                .as_bool()
                .ok_or_else(|| field(&key_field, "must be true or false"))
        };
        let attribute = match key.as_str() {
            "manufacturer" => {
                settings.manufacturer = Some(quote(string()?));
                None
            }
            "scope" => match string()? {
                scope @ ("per-user" | "per-machine") => Some(("scope", quote(scope))),
                _ => return Err(field(&key_field, "must be \"per-user\" or \"per-machine\"")),
            },
            "help-url" => Some(("help_url", quote(string()?))),
            "license" => Some(("license_path", quote(string()?))),
            "icon" => Some(("product_icon_path", quote(string()?))),
            // The installation folder itself on PATH.
            "add-to-path" => boolean()?.then(|| ("add_to_path", quote(""))),
            "start-menu-shortcut" => {
                settings.start_menu_shortcut = boolean()?;
                None
            }
            _ => {
                settings.desktop_shortcut = boolean()?;
                None
            }
        };
        if let Some((name, value)) = attribute {
            settings.attributes.push((name.to_string(), value));
        }
    }
    if settings.desktop_shortcut && !settings.start_menu_shortcut {
        return Err(field(
            " desktop-shortcut",
            "needs start-menu-shortcut = true (the desktop shortcut is made beside the Start-menu one)",
        ));
    }
    Ok(Some(settings))
}

/// `[tool.oxdist.signing]`: variable names, each checked to be one.
fn signing_env(path: &Path, tool: &Table) -> Result<SigningEnv, PyprojectError> {
    let mut env = SigningEnv::default();
    let Some(value) = tool.get("signing") else {
        return Ok(env);
    };
    let field = |key: &str, message: String| PyprojectError::Field {
        path: path.to_path_buf(),
        field: format!("[tool.oxdist.signing]{key}"),
        message,
    };
    let table = value.as_table().ok_or_else(|| field("", "must be a table".into()))?;
    check_keys(path, "[tool.oxdist.signing]", table, &SIGNING_KEYS)?;
    for (key, value) in table {
        let name = value
            .as_str()
            .filter(|name| {
                name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .ok_or_else(|| {
                field(
                    &format!(" {key}"),
                    "must be the name of an environment variable (e.g. \"RELEASE_PGP_KEY\"), never the secret itself"
                        .into(),
                )
            })?;
        let slot = match key.as_str() {
            "pgp-key" => &mut env.pgp_key,
            "pgp-passphrase" => &mut env.pgp_passphrase,
            "authenticode-pfx" => &mut env.authenticode_pfx,
            "authenticode-password" => &mut env.authenticode_password,
            "apple-pfx" => &mut env.apple_pfx,
            _ => &mut env.apple_password,
        };
        *slot = name.to_string();
    }
    Ok(env)
}

/// `module:function` (function may be dotted) or a bare `module`; extras
/// (`[extra]`) are ignored, as pip's script wrappers do.
fn parse_entry_point(target: &str) -> Option<(&str, Option<&str>)> {
    let target = target.split('[').next().unwrap_or(target).trim();
    let (module, function) = match target.split_once(':') {
        Some((m, f)) => (m.trim(), Some(f.trim())),
        None => (target, None),
    };
    let dotted = |s: &str| is_module_path(s);
    (dotted(module) && function.is_none_or(dotted)).then_some((module, function))
}

fn is_module_path(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(crate::python::scan::is_identifier)
}

/// A project name as PEP 503 normalizes it: lower case, runs of `-`, `_`
/// and `.` as one `-`.
fn normalized(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if "-_.".contains(c) {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A Starlark string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Project, PyprojectError> {
        Project::parse(Path::new("proj/pyproject.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("refused").to_string()
    }

    const PLAIN: &str = r#"
[project]
name = "hello-cli"
version = "1.2.0"
description = "Says hello"
license = "MIT OR Apache-2.0"
authors = [{ name = "Ada", email = "ada@example.org" }]
urls = { Repository = "https://example.org/src", Homepage = "https://example.org" }
dependencies = ["six==1.16.0"]

[project.scripts]
hello = "hello_cli.main:run"

[tool.oxdist]
find-links = ["wheels"]
no-index = true
"#;

    #[test]
    fn a_plain_project_becomes_the_configuration_a_user_would_write() {
        let project = parse(PLAIN).unwrap();
        assert_eq!(
            project.entry_point,
            ("hello".to_string(), "hello_cli.main:run".to_string())
        );
        assert_eq!(project.maintainer.as_deref(), Some("Ada <ada@example.org>"));
        assert_eq!(project.homepage.as_deref(), Some("https://example.org"));
        insta::assert_snapshot!(project.starlark("1.2.0").unwrap());
    }

    #[test]
    fn entry_points_can_be_chosen_and_the_executable_renamed() {
        let text = PLAIN.replace(
            "no-index = true",
            "no-index = true\nentry-point = \"hello_cli.main:other\"\nexecutable = \"hi\"",
        );
        let project = parse(&text).unwrap();
        assert_eq!(
            project.entry_point,
            ("hi".to_string(), "hello_cli.main:other".to_string())
        );
        let with_two = PLAIN.replace("[tool.oxdist]", "bye = \"hello_cli.main:bye\"\n\n[tool.oxdist]");
        let project = parse(&with_two.replace("no-index = true", "entry-point = \"bye\"")).unwrap();
        assert_eq!(
            project.entry_point,
            ("bye".to_string(), "hello_cli.main:bye".to_string())
        );
        // A bare module runs with run_module.
        let project = parse(&PLAIN.replace("hello_cli.main:run", "hello_cli")).unwrap();
        let starlark = project.starlark("1").unwrap();
        assert!(starlark.contains("config.run_module = \"hello_cli\""), "{starlark}");
        assert!(
            starlark.contains("\n    config.run_module = \"hello_cli\"\n    exe = "),
            "{starlark}"
        );
        assert!(!starlark.contains("run_command"), "{starlark}");
        let frozen = parse(&PLAIN.replace("no-index = true", "freeze-stdlib = true")).unwrap();
        let starlark = frozen.starlark("1").unwrap();
        assert!(
            starlark.contains("\n    exe.freeze_stdlib = True\n    # The project"),
            "{starlark}"
        );
    }

    #[test]
    fn bad_projects_are_refused_with_what_to_do() {
        assert!(error("[tool.black]\nline-length = 100\n").contains("has no [project] table"));
        assert!(
            error("[project\nname = 1").contains("pyproject.toml: "),
            "syntax errors name the file"
        );
        assert!(error("[project]\nname = \"x\"\n").contains("[project] version is missing"));
        assert!(
            error("[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"version\"]\n")
                .contains("also listed in dynamic")
        );
        let several = PLAIN.replace("[tool.oxdist]", "bye = \"hello_cli.main:bye\"\n\n[tool.oxdist]");
        let message = error(&several);
        assert!(message.contains("several console scripts (bye, hello)"), "{message}");
        assert!(message.contains("entry-point = \"NAME\""), "{message}");
        let message = error(&PLAIN.replace("[project.scripts]\nhello = \"hello_cli.main:run\"\n", ""));
        assert!(message.contains("no [project.scripts] entry"), "{message}");
        let message = error(&PLAIN.replace("no-index", "no_index"));
        assert!(
            message.contains("no setting `no_index` (did you mean `no-index`?)"),
            "{message}"
        );
        let message = error(&PLAIN.replace("no-index = true", "entry-point = \"nope\""));
        assert!(
            message.contains("neither a [project.scripts] name (hello)"),
            "{message}"
        );
        let message = error(&PLAIN.replace("hello_cli.main:run", "not a module"));
        assert!(message.contains("is not module:function"), "{message}");
        assert!(error(&PLAIN.replace("no-index = true", "no-index = \"yes\"")).contains("must be true or false"));
        let message = error(&PLAIN.replace("no-index = true", "extension-module-filter = \"none\""));
        assert!(message.contains("[tool.oxdist] extension-module-filter"), "{message}");
    }

    #[test]
    fn formats_linux_and_license_policy_settings() {
        let text = PLAIN.replace(
            "no-index = true",
            r#"no-index = true
formats = ["tar.zst", "deb", "rpm"]

[tool.oxdist.linux]
deb-depends = "libc6 (>= 2.31)"
rpm-requires = ["glibc >= 2.28", "zlib"]
prefix = "/usr/lib/hello"

[tool.oxdist.license-policy]
allow = ["MIT"]
copyleft = "warn"
exceptions = { six = "reviewed \"by legal\"" }
"#,
        );
        let project = parse(&text).unwrap();
        assert_eq!(project.formats, ["tar.zst", "deb", "rpm"]);
        insta::assert_snapshot!(project.starlark("1.2.0").unwrap());

        let with = |extra: &str| PLAIN.replace("no-index = true", &format!("no-index = true\n{extra}"));
        let err = error(&with("formats = [\"deb\", \"rar\"]"));
        assert!(err.contains("[tool.oxdist] formats") && err.contains("rar"), "{err}");
        let err = error(&with("\n[tool.oxdist.linux]\ndeb-depend = [\"x\"]"));
        assert!(
            err.contains("[tool.oxdist.linux] has no setting `deb-depend` (did you mean `deb-depends`?)"),
            "{err}"
        );
        let err = error(&with("\n[tool.oxdist.linux]\nprefix = 1"));
        assert!(err.contains("[tool.oxdist.linux] prefix must be a string"), "{err}");
        let err = error(&with("\n[tool.oxdist.license-policy]\nexceptions = [\"six\"]"));
        assert!(err.contains("exceptions must be a table of strings"), "{err}");
        let err = error(&with("linux = true"));
        assert!(err.contains("[tool.oxdist.linux] must be a table"), "{err}");
    }

    #[test]
    fn signing_names_environment_variables_never_secrets() {
        let with = |extra: &str| PLAIN.replace("no-index = true", &format!("no-index = true\n{extra}"));
        let project = parse(&with(
            "\n[tool.oxdist.signing]\npgp-key = \"RELEASE_KEY\"\nauthenticode-password = \"PFX_PW\"",
        ))
        .unwrap();
        assert_eq!(
            project.signing,
            SigningEnv {
                pgp_key: "RELEASE_KEY".into(),
                authenticode_password: "PFX_PW".into(),
                ..SigningEnv::default()
            }
        );
        assert_eq!(parse(PLAIN).unwrap().signing, SigningEnv::default());
        let err = error(&with(
            "\n[tool.oxdist.signing]\npgp-key = \"-----BEGIN PGP PRIVATE KEY BLOCK-----\"",
        ));
        assert!(
            err.contains("[tool.oxdist.signing] pgp-key must be the name of an environment variable"),
            "{err}"
        );
        let err = error(&with("\n[tool.oxdist.signing]\npgp-passphrase-env = \"X\""));
        assert!(err.contains("did you mean `pgp-passphrase`?"), "{err}");
    }

    #[test]
    fn windows_settings_make_the_msi_builder() {
        let with = |extra: &str| PLAIN.replace("no-index = true", &format!("no-index = true\n{extra}"));
        let config = parse(&with(
            "\n[tool.oxdist.windows]\nscope = \"per-user\"\nadd-to-path = true\nstart-menu-shortcut = true\nhelp-url = \"https://example.org/help\"",
        ))
        .unwrap()
        .starlark("1.2.0")
        .unwrap();
        for line in [
            "    msi = WiXMSIBuilder(\"hello-cli\", \"hello-cli\", \"1.2.0\", \"Ada\")",
            "    msi.scope = \"per-user\"",
            "    msi.add_to_path = \"\"",
            "    msi.help_url = \"https://example.org/help\"",
            "    msi.add_shortcut(\"hello.exe\", \"hello-cli\", desktop = False)",
            "    return msi",
        ] {
            assert!(config.contains(line), "{line} not in\n{config}");
        }
        assert!(!parse(PLAIN).unwrap().starlark("1").unwrap().contains("WiXMSIBuilder"));
        for (setting, message) in [
            (
                "scope = \"everyone\"",
                "[tool.oxdist.windows] scope must be \"per-user\" or \"per-machine\"",
            ),
            (
                "desktop-shortcut = true",
                "desktop-shortcut needs start-menu-shortcut = true",
            ),
            (
                "add-to-path = \"yes\"",
                "[tool.oxdist.windows] add-to-path must be true or false",
            ),
            ("start-menu-shortcuts = true", "did you mean `start-menu-shortcut`?"),
        ] {
            let err = error(&with(&format!("\n[tool.oxdist.windows]\n{setting}")));
            assert!(err.contains(message), "{setting}: {err}");
        }
    }

    #[test]
    fn macos_settings_choose_the_bundle_and_the_architecture() {
        let with = |extra: &str| PLAIN.replace("no-index = true", &format!("no-index = true\n{extra}"));
        let config = parse(&with(
            "\n[tool.oxdist.macos]\nidentifier = \"org.example.hello\"\ndisplay-name = \"Hello\"\narchitecture = \"x86_64\"",
        ))
        .unwrap()
        .starlark("1.2.0")
        .unwrap();
        for line in [
            "default_python_distribution(build_target = \"x86_64-apple-darwin\")",
            "MacOsApplicationBundleBuilder(\"Hello\")",
            "identifier = \"org.example.hello\",",
        ] {
            assert!(config.contains(line), "{line} not in\n{config}");
        }
        let err = error(&with("\n[tool.oxdist.macos]\narchitecture = \"ppc\""));
        assert!(
            err.contains("[tool.oxdist.macos] architecture must be \"arm64\" or \"x86_64\", not \"ppc\""),
            "{err}"
        );
        let err = error(&with("\n[tool.oxdist.macos]\nidentifer = \"x\""));
        assert!(err.contains("did you mean `identifier`?"), "{err}");
    }

    #[test]
    fn find_links_may_be_relative_absolute_or_urls() {
        let text = PLAIN.replace(
            "find-links = [\"wheels\"]",
            "find-links = [\"wheels\", \"/srv/wheels\", \"https://example.org/w/\"]",
        );
        let starlark = parse(&text).unwrap().starlark("1").unwrap();
        assert!(
            starlark.contains(
                "\"--find-links\", CWD + \"/\" + \"wheels\", \"--find-links\", \"/srv/wheels\", \"--find-links\", \"https://example.org/w/\""
            ),
            "{starlark}"
        );
    }

    #[test]
    fn a_dynamic_version_is_left_to_the_build() {
        let text = PLAIN.replace("version = \"1.2.0\"", "dynamic = [\"version\"]");
        assert_eq!(parse(&text).unwrap().version, None);
    }

    #[test]
    fn package_names_are_normalized() {
        assert_eq!(normalized("Hello__CLI.x"), "hello-cli-x");
    }

    #[test]
    fn strings_are_quoted_for_starlark() {
        assert_eq!(quote("a \"b\" \\ c\nd"), "\"a \\\"b\\\" \\\\ c\\nd\"");
    }
}
