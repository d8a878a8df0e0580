//! The standard tables this writer fills, with the column types, keys and
//! `_Validation` categories of the Windows Installer schema (the `msi` crate
//! writes a `_Validation` row for every column from these definitions).
//! Key columns come first in every table: rows are stored sorted by all
//! columns in order (string columns by string-pool id), which is the
//! primary-key order msiexec checks when it opens a database.

use msi::{Category, Column};

/// A table's name and columns.
pub struct TableDef {
    pub name: &'static str,
    pub columns: fn() -> Vec<Column>,
}

fn id(name: &str) -> msi::ColumnBuilder {
    Column::build(name).category(Category::Identifier)
}

fn sequence_columns() -> Vec<Column> {
    vec![
        id("Action").primary_key().string(72),
        Column::build("Condition")
            .nullable()
            .category(Category::Condition)
            .string(255),
        Column::build("Sequence").nullable().range(-4, 32767).int16(),
    ]
}

/// Every table, in the order they are created.
pub const TABLES: &[TableDef] = &[
    TableDef {
        name: "Property",
        columns: || {
            vec![
                id("Property").primary_key().string(72),
                Column::build("Value").localizable().category(Category::Text).string(0),
            ]
        },
    },
    TableDef {
        name: "Directory",
        columns: || {
            vec![
                id("Directory").primary_key().string(72),
                id("Directory_Parent").nullable().foreign_key("Directory", 1).string(72),
                Column::build("DefaultDir")
                    .localizable()
                    .category(Category::DefaultDir)
                    .string(255),
            ]
        },
    },
    TableDef {
        name: "Component",
        columns: || {
            vec![
                id("Component").primary_key().string(72),
                Column::build("ComponentId")
                    .nullable()
                    .category(Category::Guid)
                    .string(38),
                id("Directory_").foreign_key("Directory", 1).string(72),
                Column::build("Attributes").int16(),
                Column::build("Condition")
                    .nullable()
                    .category(Category::Condition)
                    .string(255),
                id("KeyPath").nullable().string(72),
            ]
        },
    },
    TableDef {
        name: "Feature",
        columns: || {
            vec![
                id("Feature").primary_key().string(38),
                id("Feature_Parent").nullable().foreign_key("Feature", 1).string(38),
                Column::build("Title")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(64),
                Column::build("Description")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(255),
                Column::build("Display").nullable().range(0, 32767).int16(),
                Column::build("Level").range(0, 32767).int16(),
                Column::build("Directory_")
                    .nullable()
                    .category(Category::UpperCase)
                    .foreign_key("Directory", 1)
                    .string(72),
                Column::build("Attributes").int16(),
            ]
        },
    },
    TableDef {
        name: "FeatureComponents",
        columns: || {
            vec![
                id("Feature_").primary_key().foreign_key("Feature", 1).string(38),
                id("Component_").primary_key().foreign_key("Component", 1).string(72),
            ]
        },
    },
    TableDef {
        name: "File",
        columns: || {
            vec![
                id("File").primary_key().string(72),
                id("Component_").foreign_key("Component", 1).string(72),
                Column::build("FileName")
                    .localizable()
                    .category(Category::Filename)
                    .string(255),
                Column::build("FileSize").range(0, i32::MAX).int32(),
                Column::build("Version")
                    .nullable()
                    .category(Category::Version)
                    .string(72),
                Column::build("Language")
                    .nullable()
                    .category(Category::Language)
                    .string(20),
                Column::build("Attributes").nullable().range(0, 32767).int16(),
                Column::build("Sequence").range(1, i32::MAX).int32(),
            ]
        },
    },
    TableDef {
        name: "Media",
        columns: || {
            vec![
                Column::build("DiskId").primary_key().range(1, 32767).int16(),
                Column::build("LastSequence").range(0, i32::MAX).int32(),
                Column::build("DiskPrompt")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(64),
                Column::build("Cabinet")
                    .nullable()
                    .category(Category::Cabinet)
                    .string(255),
                Column::build("VolumeLabel")
                    .nullable()
                    .category(Category::Text)
                    .string(32),
                Column::build("Source")
                    .nullable()
                    .category(Category::Property)
                    .string(72),
            ]
        },
    },
    TableDef {
        name: "Upgrade",
        columns: || {
            vec![
                Column::build("UpgradeCode")
                    .primary_key()
                    .category(Category::Guid)
                    .string(38),
                Column::build("VersionMin")
                    .primary_key()
                    .nullable()
                    .category(Category::Text)
                    .string(20),
                Column::build("VersionMax")
                    .primary_key()
                    .nullable()
                    .category(Category::Text)
                    .string(20),
                Column::build("Language")
                    .primary_key()
                    .nullable()
                    .category(Category::Language)
                    .string(255),
                Column::build("Attributes").primary_key().range(0, 2147483647).int32(),
                Column::build("Remove")
                    .nullable()
                    .category(Category::Formatted)
                    .string(255),
                Column::build("ActionProperty").category(Category::UpperCase).string(72),
            ]
        },
    },
    TableDef {
        name: "LaunchCondition",
        columns: || {
            vec![
                Column::build("Condition")
                    .primary_key()
                    .category(Category::Condition)
                    .string(255),
                Column::build("Description")
                    .localizable()
                    .category(Category::Formatted)
                    .string(255),
            ]
        },
    },
    TableDef {
        name: "InstallExecuteSequence",
        columns: sequence_columns,
    },
    TableDef {
        name: "InstallUISequence",
        columns: sequence_columns,
    },
    TableDef {
        name: "AdminExecuteSequence",
        columns: sequence_columns,
    },
    TableDef {
        name: "AdminUISequence",
        columns: sequence_columns,
    },
    TableDef {
        name: "AdvtExecuteSequence",
        columns: sequence_columns,
    },
    TableDef {
        name: "Dialog",
        columns: || {
            vec![
                id("Dialog").primary_key().string(72),
                Column::build("HCentering").range(0, 100).int16(),
                Column::build("VCentering").range(0, 100).int16(),
                Column::build("Width").range(0, 32767).int16(),
                Column::build("Height").range(0, 32767).int16(),
                Column::build("Attributes").nullable().range(0, i32::MAX).int32(),
                Column::build("Title")
                    .nullable()
                    .localizable()
                    .category(Category::Formatted)
                    .string(128),
                id("Control_First").foreign_key("Control", 2).string(50),
                id("Control_Default").nullable().foreign_key("Control", 2).string(50),
                id("Control_Cancel").nullable().foreign_key("Control", 2).string(50),
            ]
        },
    },
    TableDef {
        name: "Control",
        columns: || {
            vec![
                id("Dialog_").primary_key().foreign_key("Dialog", 1).string(72),
                id("Control").primary_key().string(50),
                id("Type").string(20),
                Column::build("X").range(0, 32767).int16(),
                Column::build("Y").range(0, 32767).int16(),
                Column::build("Width").range(0, 32767).int16(),
                Column::build("Height").range(0, 32767).int16(),
                Column::build("Attributes").nullable().range(0, i32::MAX).int32(),
                id("Property").nullable().string(72),
                Column::build("Text")
                    .nullable()
                    .localizable()
                    .category(Category::Formatted)
                    .string(0),
                id("Control_Next").nullable().foreign_key("Control", 2).string(50),
                Column::build("Help")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(50),
            ]
        },
    },
    TableDef {
        name: "ControlEvent",
        columns: || {
            vec![
                id("Dialog_").primary_key().foreign_key("Dialog", 1).string(72),
                id("Control_").primary_key().foreign_key("Control", 2).string(50),
                Column::build("Event")
                    .primary_key()
                    .category(Category::Formatted)
                    .string(50),
                Column::build("Argument")
                    .primary_key()
                    .category(Category::Formatted)
                    .string(255),
                Column::build("Condition")
                    .primary_key()
                    .nullable()
                    .category(Category::Condition)
                    .string(255),
                Column::build("Ordering").nullable().range(0, i32::MAX).int16(),
            ]
        },
    },
    TableDef {
        name: "ControlCondition",
        columns: || {
            vec![
                id("Dialog_").primary_key().foreign_key("Dialog", 1).string(72),
                id("Control_").primary_key().foreign_key("Control", 2).string(50),
                Column::build("Action")
                    .primary_key()
                    .enum_values(&["Default", "Disable", "Enable", "Hide", "Show"])
                    .string(50),
                Column::build("Condition")
                    .primary_key()
                    .category(Category::Condition)
                    .string(255),
            ]
        },
    },
    TableDef {
        name: "EventMapping",
        columns: || {
            vec![
                id("Dialog_").primary_key().foreign_key("Dialog", 1).string(72),
                id("Control_").primary_key().foreign_key("Control", 2).string(50),
                id("Event").primary_key().string(50),
                id("Attribute").string(50),
            ]
        },
    },
    TableDef {
        name: "TextStyle",
        columns: || {
            vec![
                id("TextStyle").primary_key().string(72),
                Column::build("FaceName").category(Category::Text).string(32),
                Column::build("Size").range(0, 32767).int16(),
                Column::build("Color").nullable().range(0, 0xFF_FFFF).int32(),
                Column::build("StyleBits").nullable().range(0, 15).int16(),
            ]
        },
    },
    TableDef {
        name: "UIText",
        columns: || {
            vec![
                id("Key").primary_key().string(72),
                Column::build("Text")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(255),
            ]
        },
    },
];

/// Tables created only when they have rows (shortcuts, registry values,
/// the PATH entry, file hashes, the icon), so that packages without them
/// keep the same bytes.
pub const OPTIONAL_TABLES: &[TableDef] = &[
    TableDef {
        name: "Registry",
        columns: || {
            vec![
                id("Registry").primary_key().string(72),
                Column::build("Root").range(-1, 3).int16(),
                Column::build("Key")
                    .localizable()
                    .category(Category::RegPath)
                    .string(255),
                Column::build("Name")
                    .nullable()
                    .localizable()
                    .category(Category::Formatted)
                    .string(255),
                Column::build("Value")
                    .nullable()
                    .localizable()
                    .category(Category::Formatted)
                    .string(0),
                id("Component_").foreign_key("Component", 1).string(72),
            ]
        },
    },
    TableDef {
        name: "Shortcut",
        columns: || {
            vec![
                id("Shortcut").primary_key().string(72),
                id("Directory_").foreign_key("Directory", 1).string(72),
                Column::build("Name")
                    .localizable()
                    .category(Category::Filename)
                    .string(128),
                id("Component_").foreign_key("Component", 1).string(72),
                Column::build("Target").category(Category::Shortcut).string(72),
                Column::build("Arguments")
                    .nullable()
                    .category(Category::Formatted)
                    .string(255),
                Column::build("Description")
                    .nullable()
                    .localizable()
                    .category(Category::Text)
                    .string(255),
                Column::build("Hotkey").nullable().range(0, 32767).int16(),
                id("Icon_").nullable().foreign_key("Icon", 1).string(72),
                Column::build("IconIndex").nullable().range(-32767, 32767).int16(),
                Column::build("ShowCmd")
                    .nullable()
                    .enum_values(&["1", "3", "7"])
                    .int16(),
                id("WkDir").nullable().string(72),
            ]
        },
    },
    TableDef {
        name: "RemoveFile",
        columns: || {
            vec![
                id("FileKey").primary_key().string(72),
                id("Component_").foreign_key("Component", 1).string(72),
                Column::build("FileName")
                    .nullable()
                    .localizable()
                    .category(Category::WildCardFilename)
                    .string(255),
                id("DirProperty").string(72),
                Column::build("InstallMode").enum_values(&["1", "2", "3"]).int16(),
            ]
        },
    },
    TableDef {
        name: "Environment",
        columns: || {
            vec![
                id("Environment").primary_key().string(72),
                Column::build("Name").localizable().category(Category::Text).string(255),
                Column::build("Value")
                    .nullable()
                    .localizable()
                    .category(Category::Formatted)
                    .string(255),
                id("Component_").foreign_key("Component", 1).string(72),
            ]
        },
    },
    TableDef {
        name: "MsiFileHash",
        columns: || {
            vec![
                id("File_").primary_key().foreign_key("File", 1).string(72),
                // Reserved: always 0.
                Column::build("Options").range(0, 0).int16(),
                Column::build("HashPart1").int32(),
                Column::build("HashPart2").int32(),
                Column::build("HashPart3").int32(),
                Column::build("HashPart4").int32(),
            ]
        },
    },
    TableDef {
        name: "Icon",
        columns: || {
            vec![
                id("Name").primary_key().string(72),
                // The icon's bytes live in the stream `Icon.NAME`.
                Column::build("Data").category(Category::Binary).binary(),
            ]
        },
    },
];

/// A row of a sequence table that may carry a condition: the dialogs of
/// the UI sequences. Standard actions are `(action, sequence)` pairs and
/// always run (a Null condition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceRow {
    pub action: &'static str,
    pub condition: Option<&'static str>,
    /// Negative numbers are the terminal dialogs: -1 on success, -2 when
    /// the user cancels, -3 after a fatal error.
    pub sequence: i32,
}

impl SequenceRow {
    pub const fn new(action: &'static str, sequence: i32) -> Self {
        Self {
            action,
            condition: None,
            sequence,
        }
    }

    /// The `Action`, `Condition` and `Sequence` values.
    pub fn values(&self) -> Vec<msi::Value> {
        vec![
            msi::Value::Str(self.action.to_string()),
            self.condition
                .map_or(msi::Value::Null, |c| msi::Value::Str(c.to_string())),
            msi::Value::Int(self.sequence),
        ]
    }
}

/// The dialogs of `InstallUISequence`: the wizard only for a first install
/// (a repair or removal started from the package shows the progress alone),
/// the progress dialog (modeless) just before `ExecuteAction` 1300, and the
/// terminal dialogs, as WiX numbers them.
pub const INSTALL_UI_DIALOGS: &[SequenceRow] = &[
    SequenceRow::new("FatalError", -3),
    SequenceRow::new("UserExit", -2),
    SequenceRow::new("ExitDialog", -1),
    SequenceRow {
        action: "WelcomeDlg",
        condition: Some("NOT Installed"),
        sequence: 1297,
    },
    SequenceRow::new("ProgressDlg", 1299),
];

/// The dialogs of `AdminUISequence`: no wizard (an administrative image
/// goes to `TARGETDIR`, given on the command line), only the progress and
/// the terminal dialogs.
pub const ADMIN_UI_DIALOGS: &[SequenceRow] = &[
    SequenceRow::new("FatalError", -3),
    SequenceRow::new("UserExit", -2),
    SequenceRow::new("ExitDialog", -1),
    SequenceRow::new("ProgressDlg", 1299),
];

/// The standard actions and their sequence numbers (those of the Windows
/// Installer documentation's "suggested sequences", as WiX writes them).
/// `RemoveExistingProducts` right after `InstallValidate` removes the older
/// version completely before anything of the new one is installed.
pub const INSTALL_EXECUTE: &[(&str, i32)] = &[
    ("FindRelatedProducts", 25),
    ("LaunchConditions", 100),
    ("ValidateProductID", 700),
    ("CostInitialize", 800),
    ("FileCost", 900),
    ("CostFinalize", 1000),
    ("MigrateFeatureStates", 1200),
    ("InstallValidate", 1400),
    ("RemoveExistingProducts", 1401),
    ("InstallInitialize", 1500),
    ("ProcessComponents", 1600),
    ("UnpublishFeatures", 1800),
    ("RemoveFiles", 3500),
    ("InstallFiles", 4000),
    ("RegisterUser", 6000),
    ("RegisterProduct", 6100),
    ("PublishFeatures", 6300),
    ("PublishProduct", 6400),
    ("InstallFinalize", 6600),
];

pub const INSTALL_UI: &[(&str, i32)] = &[
    ("FindRelatedProducts", 25),
    ("LaunchConditions", 100),
    ("ValidateProductID", 700),
    ("CostInitialize", 800),
    ("FileCost", 900),
    ("CostFinalize", 1000),
    ("MigrateFeatureStates", 1200),
    ("ExecuteAction", 1300),
];

pub const ADMIN_EXECUTE: &[(&str, i32)] = &[
    ("CostInitialize", 800),
    ("FileCost", 900),
    ("CostFinalize", 1000),
    ("InstallValidate", 1400),
    ("InstallInitialize", 1500),
    ("InstallAdminPackage", 3900),
    ("InstallFiles", 4000),
    ("InstallFinalize", 6600),
];

pub const ADMIN_UI: &[(&str, i32)] = &[
    ("CostInitialize", 800),
    ("FileCost", 900),
    ("CostFinalize", 1000),
    ("ExecuteAction", 1300),
];

pub const ADVT_EXECUTE: &[(&str, i32)] = &[
    ("CostInitialize", 800),
    ("CostFinalize", 1000),
    ("InstallValidate", 1400),
    ("InstallInitialize", 1500),
    ("PublishFeatures", 6300),
    ("PublishProduct", 6400),
    ("InstallFinalize", 6600),
];

/// `InstallExecuteSequence` actions added with shortcuts.
pub const SHORTCUT_ACTIONS: &[(&str, i32)] = &[("RemoveShortcuts", 3200), ("CreateShortcuts", 4500)];

/// `InstallExecuteSequence` actions added with registry values.
pub const REGISTRY_ACTIONS: &[(&str, i32)] = &[("RemoveRegistryValues", 2600), ("WriteRegistryValues", 5000)];

/// `InstallExecuteSequence` actions added with environment variables.
pub const ENVIRONMENT_ACTIONS: &[(&str, i32)] =
    &[("RemoveEnvironmentStrings", 3300), ("WriteEnvironmentStrings", 5200)];
