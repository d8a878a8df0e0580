//! Start-menu and desktop shortcuts and the PATH entry: the rows of the
//! `Shortcut`, `Registry`, `RemoveFile` and `Environment` tables, and the
//! directories, components and actions they need. Nothing at all when the
//! spec asks for none of them.

use std::collections::{BTreeSet, HashMap};

use msi::Value;

use super::{MsiError, MsiScope, MsiSpec, names, tables};

/// The registry key every key-path value lives in.
const REGISTRY_KEY: &str = r"Software\[Manufacturer]\[ProductName]";

/// What [`plan`] needs to know about the package.
pub(super) struct Context<'a> {
    pub spec: &'a MsiSpec,
    /// File key and `Directory` id of every manifest file, by path.
    pub files: HashMap<&'a str, (&'a str, &'a str)>,
    /// `Directory` id of every manifest directory, by path.
    pub directories: HashMap<&'a str, &'a str>,
    /// `DefaultDir` of `INSTALLDIR`, reused for the Start-menu folder.
    pub install_dir_name: &'a str,
    pub guids: &'a names::Guids,
    /// `arch/scope/product name`, lower case: what component GUIDs derive from.
    pub guid_stem: String,
    /// `Attributes` of every component (64-bit or not).
    pub component_attributes: i32,
    /// The `Icon` row of the product icon, which shortcuts show too.
    pub icon: Option<&'a str>,
}

/// Rows to add to the package's tables.
#[derive(Default)]
pub(super) struct Rows {
    pub directory: Vec<Vec<Value>>,
    pub component: Vec<Vec<Value>>,
    pub feature_components: Vec<Vec<Value>>,
    pub registry: Vec<Vec<Value>>,
    pub shortcut: Vec<Vec<Value>>,
    pub remove_file: Vec<Vec<Value>>,
    pub environment: Vec<Vec<Value>>,
    pub install_execute: Vec<(&'static str, i32)>,
    pub advt_execute: Vec<(&'static str, i32)>,
}

/// msidbComponentAttributesRegistryKeyPath.
const REGISTRY_KEY_PATH: i32 = 4;

fn text(s: &str) -> Value {
    Value::Str(s.to_string())
}

/// Checks the spec's shortcuts and PATH entry and returns their rows.
pub(super) fn plan(cx: &Context<'_>) -> Result<Rows, MsiError> {
    let mut rows = Rows::default();
    let spec = cx.spec;
    let component = |key: &str, purpose: &str, directory: &str, key_path: &str| {
        vec![
            text(key),
            Value::Str(cx.guids.guid(&format!("{purpose}/{}", cx.guid_stem))),
            text(directory),
            Value::Int(cx.component_attributes | REGISTRY_KEY_PATH),
            Value::Null,
            text(key_path),
        ]
    };

    if !spec.shortcuts.is_empty() {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut targets = Vec::new();
        for shortcut in &spec.shortcuts {
            let name = shortcut.name.trim();
            let problem = if name.is_empty() {
                Some("it is empty")
            } else if name.contains(['/', '\\']) {
                Some("'/' and '\\' separate folders and cannot be part of a name")
            } else if !seen.insert(name.to_lowercase()) {
                Some("another shortcut has the same name (Windows compares names without case)")
            } else {
                names::windows_name_problem(name)
            };
            if let Some(reason) = problem {
                return Err(MsiError::ShortcutName {
                    name: shortcut.name.clone(),
                    reason,
                });
            }
            let Some(&(file_key, file_dir)) = cx.files.get(shortcut.target.as_str()) else {
                return Err(MsiError::ShortcutTarget {
                    name: name.to_string(),
                    target: shortcut.target.clone(),
                });
            };
            if let Some(description) = &shortcut.description
                && !names::is_windows_1252(description)
            {
                return Err(MsiError::CodePage {
                    field: "the shortcut description",
                    value: description.clone(),
                });
            }
            targets.push((name, file_key, file_dir));
        }

        rows.directory
            .push(vec![text("ProgramMenuFolder"), text("TARGETDIR"), text(".")]);
        rows.directory.push(vec![
            text("ProgramMenuDir"),
            text("ProgramMenuFolder"),
            text(cx.install_dir_name),
        ]);
        let any_desktop = spec.shortcuts.iter().any(|s| s.desktop);
        if any_desktop {
            rows.directory
                .push(vec![text("DesktopFolder"), text("TARGETDIR"), text(".")]);
        }

        // Identifiers from `menu/NAME` and `desktop/NAME`; short names unique per folder.
        let menu_paths: Vec<String> = targets.iter().map(|(name, ..)| format!("menu/{name}")).collect();
        let desktop_paths: Vec<String> = targets
            .iter()
            .zip(&spec.shortcuts)
            .filter(|(_, s)| s.desktop)
            .map(|((name, ..), _)| format!("desktop/{name}"))
            .collect();
        let ids = names::assign_identifiers("s_", menu_paths.iter().chain(&desktop_paths).map(String::as_str))
            .map_err(|(id, first, second)| MsiError::DuplicateId { id, first, second })?;
        let leaf_names: Vec<&str> = targets.iter().map(|(name, ..)| *name).collect();
        let menu_names = names::msi_file_names(&leaf_names);
        let desktop_leaves: Vec<&str> = targets
            .iter()
            .zip(&spec.shortcuts)
            .filter(|(_, s)| s.desktop)
            .map(|((name, ..), _)| *name)
            .collect();
        let mut desktop_names = names::msi_file_names(&desktop_leaves).into_iter();
        let mut desktop_ids = desktop_paths.iter();
        for (((_, file_key, file_dir), shortcut), (menu_path, menu_name)) in targets
            .iter()
            .zip(&spec.shortcuts)
            .zip(menu_paths.iter().zip(menu_names))
        {
            let description = shortcut
                .description
                .as_deref()
                .map_or(Value::Null, |d| Value::Str(d.chars().take(255).collect()));
            let row = |id: &str, directory: &str, name: String| {
                vec![
                    text(id),
                    text(directory),
                    Value::Str(name),
                    text("c_shortcuts"),
                    Value::Str(format!("[#{file_key}]")),
                    Value::Null,
                    description.clone(),
                    Value::Null,
                    cx.icon.map_or(Value::Null, text),
                    Value::Null,
                    Value::Null,
                    text(file_dir),
                ]
            };
            rows.shortcut
                .push(row(&ids[menu_path.as_str()], "ProgramMenuDir", menu_name));
            if shortcut.desktop {
                let id = &ids[desktop_ids.next().map(String::as_str).unwrap_or_default()];
                rows.shortcut
                    .push(row(id, "DesktopFolder", desktop_names.next().unwrap_or_default()));
            }
        }

        rows.component
            .push(component("c_shortcuts", "shortcuts", "ProgramMenuDir", "r_shortcuts"));
        rows.feature_components
            .push(vec![text("Complete"), text("c_shortcuts")]);
        // Shortcut components are per-user data: their key path is an HKCU value (ICE38, ICE43).
        rows.registry.push(vec![
            text("r_shortcuts"),
            Value::Int(1),
            text(REGISTRY_KEY),
            text("installed"),
            text("#1"),
            text("c_shortcuts"),
        ]);
        // The Start-menu folder goes on uninstall (FileName NULL: the folder itself).
        rows.remove_file.push(vec![
            text("rm_ProgramMenuDir"),
            text("c_shortcuts"),
            Value::Null,
            text("ProgramMenuDir"),
            Value::Int(2),
        ]);
        rows.install_execute.extend_from_slice(tables::SHORTCUT_ACTIONS);
        rows.advt_execute.push(("CreateShortcuts", 4500));
    }

    if let Some(dir) = &spec.add_to_path {
        let dir = dir.trim_matches('/');
        let directory = if dir.is_empty() {
            "INSTALLDIR"
        } else if let Some(id) = cx.directories.get(dir) {
            id
        } else {
            return Err(MsiError::PathDirectory {
                path: dir.to_string(),
                reason: if cx.files.contains_key(dir) {
                    "it is a file, not a directory"
                } else {
                    "no file of the manifest is below it"
                },
            });
        };
        // Per-machine: HKLM and the system PATH; per-user: HKCU and the user's PATH.
        let (root, name) = match spec.scope {
            MsiScope::PerMachine => (2, "=-*PATH"),
            MsiScope::PerUser => (1, "=-PATH"),
        };
        rows.component.push(component("c_path", "path", directory, "r_path"));
        rows.feature_components.push(vec![text("Complete"), text("c_path")]);
        rows.registry.push(vec![
            text("r_path"),
            Value::Int(root),
            text(REGISTRY_KEY),
            text("path"),
            text("#1"),
            text("c_path"),
        ]);
        rows.environment.push(vec![
            text("e_PATH"),
            text(name),
            Value::Str(format!("[~];[{directory}]")),
            text("c_path"),
        ]);
        rows.install_execute.extend_from_slice(tables::ENVIRONMENT_ACTIONS);
    }

    if !rows.registry.is_empty() {
        rows.install_execute.extend_from_slice(tables::REGISTRY_ACTIONS);
    }
    Ok(rows)
}
