//! The installer's dialogs, text only (no `Binary` table, no bitmaps or
//! icons): the rows of `Dialog`, `Control`, `ControlEvent`,
//! `ControlCondition`, `EventMapping`, `TextStyle` and `UIText`, and the
//! properties they need. The flow is WiX's `WixUI_InstallDir` reduced to
//! what an application package needs:
//!
//! `WelcomeDlg` → `LicenseDlg` (only with a license) → `InstallDirDlg`
//! (with `BrowseDlg` behind its Change button) → `ProgressDlg` →
//! `ExitDialog`; `CancelDlg` asks before cancelling, `UserExit` and
//! `FatalError` end a cancelled or failed installation, and `ErrorDlg` is
//! the `ErrorDialog` that shows the installer's messages.
//!
//! Every dialog's focusable controls are chained through `Control_Next`
//! in the order they are added, the last back to the first (ICE23); the
//! error dialog's buttons are not chained, as Windows Installer requires.

use msi::Value;

use super::{MsiError, names};

pub(super) const WELCOME: &str = "WelcomeDlg";
pub(super) const LICENSE: &str = "LicenseDlg";
pub(super) const INSTALL_DIR: &str = "InstallDirDlg";
pub(super) const BROWSE: &str = "BrowseDlg";
pub(super) const PROGRESS: &str = "ProgressDlg";
pub(super) const EXIT: &str = "ExitDialog";
pub(super) const USER_EXIT: &str = "UserExit";
pub(super) const FATAL_ERROR: &str = "FatalError";
pub(super) const CANCEL: &str = "CancelDlg";
pub(super) const ERROR: &str = "ErrorDlg";

/// The property naming the directory the directory dialog edits (its
/// `PathEdit` and `SetTargetPath` go through it indirectly), like WiX's
/// `WIXUI_INSTALLDIR`.
const INSTALL_DIR_PROPERTY: &str = "OXDIST_INSTALLDIR";
/// Set by the license dialog's check box ("1" when ticked).
const LICENSE_ACCEPTED: &str = "LicenseAccepted";

const FONT_NORMAL: &str = "OxdistUI_Normal";
const FONT_TITLE: &str = "OxdistUI_Title";
const FONT_BIGGER: &str = "OxdistUI_Bigger";

/// The wizard's size, in installer units, as WiX's dialogs.
const WIDTH: i32 = 370;
const HEIGHT: i32 = 270;
const TITLE: &str = "[ProductName] Setup";

// Dialog attributes.
const DIALOG_VISIBLE: i32 = 0x1;
const DIALOG_MODAL: i32 = 0x2;
const DIALOG_MINIMIZE: i32 = 0x4;
const DIALOG_ERROR: i32 = 0x1_0000;
const WIZARD: i32 = DIALOG_VISIBLE | DIALOG_MODAL | DIALOG_MINIMIZE;
const POPUP: i32 = DIALOG_VISIBLE | DIALOG_MODAL;

// Control attributes.
const VISIBLE: i32 = 0x1;
const ENABLED: i32 = 0x2;
const SUNKEN: i32 = 0x4;
const INDIRECT: i32 = 0x8;
/// Text: no background. ProgressBar: the Windows 95 (continuous) bar.
const TRANSPARENT: i32 = 0x1_0000;
const PROGRESS_95: i32 = 0x1_0000;
/// Text: `&` is shown, not a mnemonic (product names may hold one).
const NO_PREFIX: i32 = 0x2_0000;
/// DirectoryCombo: the volumes it lists.
const FIXED_VOLUME: i32 = 0x2_0000;
const REMOTE_VOLUME: i32 = 0x4_0000;
/// PushButton: the UAC shield, shown only when the installation needs elevation.
const ELEVATION_SHIELD: i32 = 0x80_0000;

const LABEL: i32 = VISIBLE | ENABLED | TRANSPARENT;
const PLAIN_TEXT: i32 = LABEL | NO_PREFIX;
const ACTIVE: i32 = VISIBLE | ENABLED;

/// Rows of the user-interface tables and the properties they need.
pub(super) struct Rows {
    pub properties: Vec<(&'static str, String)>,
    /// `(table, rows)` for every user-interface table.
    pub tables: Vec<(&'static str, Vec<Vec<Value>>)>,
}

struct Control {
    name: &'static str,
    kind: &'static str,
    rect: [i32; 4],
    attributes: i32,
    property: Option<&'static str>,
    text: Option<String>,
    /// Takes the keyboard focus: part of the `Control_Next` cycle.
    focus: bool,
}

fn control(name: &'static str, kind: &'static str, rect: [i32; 4], attributes: i32) -> Control {
    Control {
        name,
        kind,
        rect,
        attributes,
        property: None,
        text: None,
        focus: matches!(
            kind,
            "PushButton" | "CheckBox" | "PathEdit" | "DirectoryCombo" | "DirectoryList" | "ScrollableText"
        ),
    }
}

fn text(name: &'static str, rect: [i32; 4], attributes: i32, value: &str) -> Control {
    Control {
        text: Some(value.to_string()),
        ..control(name, "Text", rect, attributes)
    }
}

fn button(name: &'static str, x: i32, y: i32, label: &str, attributes: i32) -> Control {
    Control {
        text: Some(label.to_string()),
        ..control(name, "PushButton", [x, y, 56, 17], attributes)
    }
}

fn line(name: &'static str, y: i32) -> Control {
    control(name, "Line", [0, y, WIDTH, 0], VISIBLE)
}

struct Dialog {
    name: &'static str,
    size: [i32; 2],
    attributes: i32,
    first: &'static str,
    default: Option<&'static str>,
    cancel: Option<&'static str>,
    controls: Vec<Control>,
    /// `(control, event, argument, condition)`, ordered per control as listed.
    events: Vec<(&'static str, &'static str, String, String)>,
    /// The error dialog's buttons must not be chained.
    chained: bool,
}

impl Dialog {
    fn wizard(name: &'static str, first: &'static str, default: &'static str) -> Self {
        Self {
            name,
            size: [WIDTH, HEIGHT],
            attributes: WIZARD,
            first,
            default: Some(default),
            cancel: Some("Cancel"),
            controls: Vec::new(),
            events: Vec::new(),
            chained: true,
        }
    }

    fn add(&mut self, control: Control) -> &mut Self {
        self.controls.push(control);
        self
    }

    fn on(&mut self, control: &'static str, event: &'static str, argument: &str, condition: &str) -> &mut Self {
        self.events
            .push((control, event, argument.to_string(), condition.to_string()));
        self
    }

    /// A page's heading: a bold title, a description and the line below them.
    fn banner(&mut self, title: &str, description: &str) -> &mut Self {
        self.add(text(
            "Title",
            [15, 6, 340, 15],
            PLAIN_TEXT,
            &format!("{{\\{FONT_TITLE}}}{title}"),
        ))
        .add(text("Description", [25, 23, 330, 15], PLAIN_TEXT, description))
        .add(line("BannerLine", 44))
    }

    /// The line above the buttons and Back, Next (`next` labelled) and Cancel,
    /// each enabled or not.
    fn buttons(&mut self, back: bool, next: (&str, i32), cancel: bool) -> &mut Self {
        let state = |enabled: bool| if enabled { ACTIVE } else { VISIBLE };
        self.add(line("BottomLine", 234))
            .add(button("Back", 180, 243, "&Back", state(back)))
            .add(button("Next", 236, 243, next.0, next.1))
            .add(button("Cancel", 304, 243, "Cancel", state(cancel)))
    }
}

/// The dialogs and their rows. With `license`, the wizard shows it (as RTF,
/// see [`license_rtf`]) and installs only once it is accepted.
pub(super) fn plan(license: Option<&str>) -> Result<Rows, MsiError> {
    let license = license.map(license_rtf).transpose()?;
    let after_welcome = if license.is_some() { LICENSE } else { INSTALL_DIR };
    let mut dialogs = Vec::new();

    let mut welcome = Dialog::wizard(WELCOME, "Next", "Next");
    welcome
        .add(text(
            "Title",
            [20, 20, 330, 40],
            PLAIN_TEXT,
            &format!("{{\\{FONT_BIGGER}}}Welcome to the [ProductName] Setup Wizard"),
        ))
        .add(text(
            "Description",
            [20, 70, 330, 60],
            PLAIN_TEXT,
            "The Setup Wizard will install [ProductName] on your computer. Click Next to continue or Cancel to exit the Setup Wizard.",
        ))
        .buttons(false, ("&Next", ACTIVE), true)
        .on("Next", "NewDialog", after_welcome, "1")
        .on("Cancel", "SpawnDialog", CANCEL, "1");
    dialogs.push(welcome);

    let mut conditions = Vec::new();
    if let Some(rtf) = license {
        let mut page = Dialog::wizard(LICENSE, "LicenseAcceptedCheckBox", "Next");
        let accepted = format!("{LICENSE_ACCEPTED} = \"1\"");
        page.banner(
            "End-User License Agreement",
            "Please read the following license agreement carefully.",
        )
        .add(Control {
            text: Some("I &accept the terms in the License Agreement".into()),
            property: Some(LICENSE_ACCEPTED),
            ..control("LicenseAcceptedCheckBox", "CheckBox", [20, 207, 330, 18], ACTIVE)
        })
        .buttons(true, ("&Next", ACTIVE), true)
        .add(Control {
            text: Some(rtf),
            ..control("LicenseText", "ScrollableText", [20, 52, 330, 150], ACTIVE | SUNKEN)
        })
        .on("Back", "NewDialog", WELCOME, "1")
        .on("Next", "NewDialog", INSTALL_DIR, &accepted)
        .on("Cancel", "SpawnDialog", CANCEL, "1");
        // Next is enabled only while the box is ticked.
        conditions.push((LICENSE, "Next", "Disable", format!("{LICENSE_ACCEPTED} <> \"1\"")));
        conditions.push((LICENSE, "Next", "Enable", accepted));
        dialogs.push(page);
    }

    let mut install_dir = Dialog::wizard(INSTALL_DIR, "Next", "Next");
    install_dir
        .banner(
            "Destination Folder",
            "Click Install to install to this folder, or Change to choose another.",
        )
        .add(text(
            "FolderLabel",
            [20, 60, 330, 15],
            PLAIN_TEXT,
            "Install [ProductName] to:",
        ))
        .add(Control {
            property: Some(INSTALL_DIR_PROPERTY),
            ..control("Folder", "PathEdit", [20, 76, 330, 18], ACTIVE | SUNKEN | INDIRECT)
        })
        .add(button("ChangeFolder", 20, 100, "&Change...", ACTIVE))
        .buttons(true, ("&Install", ACTIVE | ELEVATION_SHIELD), true)
        .on(
            "Back",
            "NewDialog",
            if after_welcome == LICENSE { LICENSE } else { WELCOME },
            "1",
        )
        .on(
            "ChangeFolder",
            "[_BrowseProperty]",
            &format!("[{INSTALL_DIR_PROPERTY}]"),
            "1",
        )
        .on("ChangeFolder", "SpawnDialog", BROWSE, "1")
        // SetTargetPath blocks the events after it when the path cannot be written to.
        .on("Next", "SetTargetPath", &format!("[{INSTALL_DIR_PROPERTY}]"), "1")
        .on("Next", "EndDialog", "Return", "1")
        .on("Cancel", "SpawnDialog", CANCEL, "1");
    dialogs.push(install_dir);

    let mut browse = Dialog::wizard(BROWSE, "PathEdit", "OK");
    browse.attributes = POPUP;
    browse
        .banner("Change Destination Folder", "Browse to the destination folder.")
        .add(text("ComboLabel", [25, 58, 44, 10], LABEL, "&Look in:"))
        .add(Control {
            property: Some("_BrowseProperty"),
            ..control(
                "DirectoryCombo",
                "DirectoryCombo",
                [70, 55, 190, 80],
                ACTIVE | INDIRECT | FIXED_VOLUME | REMOTE_VOLUME,
            )
        })
        .add(Control {
            rect: [265, 55, 38, 17],
            ..button("Up", 0, 0, "&Up", ACTIVE)
        })
        .add(Control {
            rect: [307, 55, 38, 17],
            ..button("NewFolder", 0, 0, "&New", ACTIVE)
        })
        .add(Control {
            property: Some("_BrowseProperty"),
            ..control(
                "DirectoryList",
                "DirectoryList",
                [25, 78, 320, 115],
                ACTIVE | SUNKEN | INDIRECT,
            )
        })
        .add(text("PathLabel", [25, 205, 59, 10], LABEL, "&Folder name:"))
        .add(Control {
            property: Some("_BrowseProperty"),
            ..control("PathEdit", "PathEdit", [84, 202, 261, 18], ACTIVE | SUNKEN | INDIRECT)
        })
        .add(line("BottomLine", 234))
        .add(button("OK", 240, 243, "OK", ACTIVE))
        .add(button("Cancel", 304, 243, "Cancel", ACTIVE))
        .on("Up", "DirectoryListUp", "0", "1")
        .on("NewFolder", "DirectoryListNew", "0", "1")
        .on("OK", "SetTargetPath", "[_BrowseProperty]", "1")
        .on("OK", "EndDialog", "Return", "1")
        .on("Cancel", "Reset", "0", "1")
        .on("Cancel", "EndDialog", "Return", "1");
    dialogs.push(browse);

    let mut progress = Dialog::wizard(PROGRESS, "Cancel", "Next");
    // Modeless: the UI sequence goes on to ExecuteAction while it shows.
    progress.attributes = DIALOG_VISIBLE | DIALOG_MINIMIZE;
    progress
        .banner(
            "Installing [ProductName]",
            "Please wait while the Setup Wizard installs [ProductName].",
        )
        .add(text("StatusLabel", [20, 70, 50, 10], LABEL, "Status:"))
        .add(text("ActionText", [70, 70, 280, 10], PLAIN_TEXT, ""))
        .add(Control {
            text: Some("Progress done".into()),
            ..control("ProgressBar", "ProgressBar", [20, 85, 330, 10], VISIBLE | PROGRESS_95)
        })
        .buttons(false, ("&Next", VISIBLE), true)
        .on("Cancel", "SpawnDialog", CANCEL, "1");
    dialogs.push(progress);

    for (name, title, description, end) in [
        (
            EXIT,
            "Completed the [ProductName] Setup Wizard",
            "Click the Finish button to exit the Setup Wizard.",
            "Return",
        ),
        (
            USER_EXIT,
            "[ProductName] Setup Wizard was interrupted",
            "[ProductName] setup was interrupted. Your system has not been modified. To install this program at a later time, run the installation again. Click the Finish button to exit the Setup Wizard.",
            "Exit",
        ),
        (
            FATAL_ERROR,
            "[ProductName] Setup Wizard ended prematurely",
            "[ProductName] Setup Wizard ended prematurely because of an error. Your system has not been modified. To install this program at a later time, run the installation again. Click the Finish button to exit the Setup Wizard.",
            "Exit",
        ),
    ] {
        let mut dialog = Dialog::wizard(name, "Next", "Next");
        dialog.cancel = Some("Next");
        dialog
            .add(text(
                "Title",
                [20, 20, 330, 40],
                PLAIN_TEXT,
                &format!("{{\\{FONT_BIGGER}}}{title}"),
            ))
            .add(text("Description", [20, 70, 330, 80], PLAIN_TEXT, description))
            .buttons(false, ("&Finish", ACTIVE), false)
            .on("Next", "EndDialog", end, "1");
        dialogs.push(dialog);
    }

    let mut cancel = Dialog {
        size: [260, 85],
        attributes: POPUP,
        cancel: Some("No"),
        ..Dialog::wizard(CANCEL, "No", "No")
    };
    cancel
        .add(text(
            "Text",
            [20, 10, 220, 30],
            PLAIN_TEXT,
            "Are you sure you want to cancel the installation of [ProductName]?",
        ))
        .add(button("No", 132, 57, "&No", ACTIVE))
        .add(button("Yes", 72, 57, "&Yes", ACTIVE))
        .on("No", "EndDialog", "Return", "1")
        .on("Yes", "EndDialog", "Exit", "1");
    dialogs.push(cancel);

    // Windows Installer fills ErrorText, shows the buttons the message
    // needs and spaces them out along their row; Control_Default and
    // Control_Cancel are ignored.
    let mut error = Dialog {
        size: [270, 105],
        attributes: DIALOG_ERROR | POPUP,
        default: None,
        cancel: None,
        chained: false,
        ..Dialog::wizard(ERROR, "ErrorText", "O")
    };
    error.add(text("ErrorText", [15, 15, 240, 60], PLAIN_TEXT, "Information text"));
    for (name, label, result) in [
        ("Y", "&Yes", "ErrorYes"),
        ("A", "&Abort", "ErrorAbort"),
        ("C", "Cancel", "ErrorCancel"),
        ("I", "&Ignore", "ErrorIgnore"),
        ("N", "&No", "ErrorNo"),
        ("O", "OK", "ErrorOk"),
        ("R", "&Retry", "ErrorRetry"),
    ] {
        error
            .add(button(name, 100, 80, label, ACTIVE))
            .on(name, "EndDialog", result, "1");
    }
    dialogs.push(error);

    let mut rows = Rows {
        properties: vec![
            ("DefaultUIFont", FONT_NORMAL.to_string()),
            ("ErrorDialog", ERROR.to_string()),
            (INSTALL_DIR_PROPERTY, "INSTALLDIR".to_string()),
        ],
        tables: Vec::new(),
    };
    let s = |s: &str| Value::Str(s.to_string());
    let opt = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Str(s.to_string()));
    let mut dialog_rows = Vec::new();
    let mut control_rows = Vec::new();
    let mut event_rows = Vec::new();
    for dialog in &dialogs {
        dialog_rows.push(vec![
            s(dialog.name),
            Value::Int(50),
            Value::Int(50),
            Value::Int(dialog.size[0]),
            Value::Int(dialog.size[1]),
            Value::Int(dialog.attributes),
            s(TITLE),
            s(dialog.first),
            opt(dialog.default),
            opt(dialog.cancel),
        ]);
        let focusable: Vec<&str> = dialog
            .controls
            .iter()
            .filter(|c| c.focus && dialog.chained)
            .map(|c| c.name)
            .collect();
        for control in &dialog.controls {
            let next = focusable
                .iter()
                .position(|name| *name == control.name)
                .map(|i| focusable[(i + 1) % focusable.len()]);
            let [x, y, width, height] = control.rect;
            control_rows.push(vec![
                s(dialog.name),
                s(control.name),
                s(control.kind),
                Value::Int(x),
                Value::Int(y),
                Value::Int(width),
                Value::Int(height),
                Value::Int(control.attributes),
                opt(control.property),
                opt(control.text.as_deref()),
                opt(next),
                Value::Null,
            ]);
        }
        let mut ordering: Vec<(&str, i32)> = Vec::new();
        for (control, event, argument, condition) in &dialog.events {
            let order = match ordering.iter_mut().find(|(c, _)| c == control) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    ordering.push((control, 1));
                    1
                }
            };
            event_rows.push(vec![
                s(dialog.name),
                s(control),
                s(event),
                s(argument),
                s(condition),
                Value::Int(order),
            ]);
        }
    }
    rows.tables.push(("Dialog", dialog_rows));
    rows.tables.push(("Control", control_rows));
    rows.tables.push(("ControlEvent", event_rows));
    rows.tables.push((
        "ControlCondition",
        conditions
            .into_iter()
            .map(|(dialog, control, action, condition)| vec![s(dialog), s(control), s(action), Value::Str(condition)])
            .collect(),
    ));
    rows.tables.push((
        "EventMapping",
        vec![
            vec![s(PROGRESS), s("ActionText"), s("ActionText"), s("Text")],
            vec![s(PROGRESS), s("ProgressBar"), s("SetProgress"), s("Progress")],
        ],
    ));
    // StyleBits 1: bold.
    rows.tables.push((
        "TextStyle",
        [
            (FONT_NORMAL, 8, None),
            (FONT_BIGGER, 12, None),
            (FONT_TITLE, 9, Some(1)),
        ]
        .into_iter()
        .map(|(name, size, bits)| {
            vec![
                s(name),
                s("Tahoma"),
                Value::Int(size),
                Value::Int(0),
                bits.map_or(Value::Null, Value::Int),
            ]
        })
        .collect(),
    ));
    // What the directory controls show: a missing path, a new folder's
    // name, and the units of sizes.
    rows.tables.push((
        "UIText",
        [
            ("AbsentPath", None),
            ("NewFolder", Some("Folder|New Folder")),
            ("bytes", Some("bytes")),
            ("KB", Some("KB")),
            ("MB", Some("MB")),
            ("GB", Some("GB")),
        ]
        .into_iter()
        .map(|(key, value)| vec![s(key), opt(value)])
        .collect(),
    ));
    Ok(rows)
}

/// The license as the RTF a `ScrollableText` control shows. RTF (text
/// starting with `{\rtf`) is kept as it is, and must be Windows-1252 like
/// every string of the database. Plain text becomes RTF in a monospace
/// font on one line (the space after `\par` ends the control word; a
/// newline would only split exports): `\`, `{` and `}` escaped, line
/// breaks as `\par`, tabs as `\tab`,
/// `[` and `]` as hex escapes (the text never holds a property reference
/// Windows Installer could expand), and anything outside ASCII as `\uN?`.
pub(super) fn license_rtf(license: &str) -> Result<String, MsiError> {
    let err = |reason: String| MsiError::License { reason };
    if license.trim().is_empty() {
        return Err(err("it is empty".into()));
    }
    if license.trim_start().starts_with("{\\rtf") {
        if let Some((line, character)) = license.lines().enumerate().find_map(|(i, l)| {
            l.chars()
                .find(|c| !names::is_windows_1252(&c.to_string()))
                .map(|c| (i + 1, c))
        }) {
            return Err(err(format!(
                "the RTF has {character:?} on line {line}, a character outside Windows-1252 (the code page of the MSI database); write it as an RTF \\uN? escape"
            )));
        }
        return Ok(license.to_string());
    }
    let mut rtf = String::from(
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fmodern\\fcharset0 Courier New;}}\\uc1\\pard\\f0\\fs16 ",
    );
    let text = license.replace("\r\n", "\n").replace('\r', "\n");
    for c in text.trim_end().chars() {
        match c {
            '\\' | '{' | '}' => {
                rtf.push('\\');
                rtf.push(c);
            }
            '[' => rtf.push_str("\\'5b"),
            ']' => rtf.push_str("\\'5d"),
            '\n' => rtf.push_str("\\par "),
            '\t' => rtf.push_str("\\tab "),
            c if c.is_ascii_control() => {}
            c if c.is_ascii() => rtf.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // \uN takes a signed 16-bit number; `?` is what readers without Unicode show.
                    rtf.push_str(&format!("\\u{}?", *unit as i16));
                }
            }
        }
    }
    rtf.push_str("\\par }");
    Ok(rtf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fmodern\\fcharset0 Courier New;}}\\uc1\\pard\\f0\\fs16 ";

    fn body(license: &str) -> String {
        let rtf = license_rtf(license).unwrap();
        assert!(rtf.starts_with(HEADER), "{rtf}");
        assert!(rtf.ends_with("\\par }"), "{rtf}");
        assert!(!rtf.contains('\n'), "{rtf}");
        rtf[HEADER.len()..rtf.len() - "\\par }".len()].to_string()
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(body("MIT License"), "MIT License");
        assert_eq!(body(r"a\b {c} [d]"), r"a\\b \{c\} \'5bd\'5d");
        assert_eq!(body("one\ntwo\r\nthree\rfour\n\n"), "one\\par two\\par three\\par four");
        assert_eq!(body("a\tb\u{c}c"), "a\\tab bc");
        // Only the first space after a control word is its delimiter: indentation stays.
        assert_eq!(body("a\n  b"), "a\\par   b");
    }

    #[test]
    fn non_ascii_becomes_unicode_escapes() {
        assert_eq!(body("café"), "caf\\u233?");
        assert_eq!(body("© €"), "\\u169? \\u8364?");
        // Above U+7FFF: negative; outside the BMP: a surrogate pair.
        assert_eq!(body("\u{FFFD}"), "\\u-3?");
        assert_eq!(body("😀"), "\\u-10179?\\u-8704?");
        assert!(license_rtf("Grüße, Łódź").unwrap().is_ascii());
    }

    #[test]
    fn rtf_is_kept_if_windows_1252() {
        let rtf = "{\\rtf1\\ansi {\\b Terms} caf\u{e9} \u{20ac}\\par}";
        assert_eq!(license_rtf(rtf).unwrap(), rtf);
        assert_eq!(license_rtf("  {\\rtf1 x}").unwrap(), "  {\\rtf1 x}");
        let err = license_rtf("{\\rtf1\\ansi\nok\\par\nZa\u{17c}\u{f3}\u{142}\u{107}}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("license"), "{err}");
        assert!(err.contains("'ż' on line 3"), "{err}");
    }

    #[test]
    fn empty_licenses_are_refused() {
        for license in ["", " \n\t"] {
            let err = license_rtf(license).unwrap_err().to_string();
            assert!(err.contains("license") && err.contains("empty"), "{err}");
        }
    }

    #[test]
    fn without_a_license_there_is_no_license_dialog() {
        let rows = plan(None).unwrap();
        let mentions_license = rows
            .tables
            .iter()
            .flat_map(|(_, rows)| rows.iter().flatten())
            .any(|v| v.as_str().is_some_and(|s| s == LICENSE || s.contains(LICENSE_ACCEPTED)));
        assert!(!mentions_license);
        let conditions = &rows.tables.iter().find(|(t, _)| *t == "ControlCondition").unwrap().1;
        assert!(conditions.is_empty());
    }
}
