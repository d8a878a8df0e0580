//! Running a package's own maintainer scripts from the scripts a writer
//! composes.
//!
//! A writer wraps each [`MaintainerScripts`](super::MaintainerScripts) entry
//! with what its format needs (systemd handling, argument mapping), so the
//! package's script cannot simply be pasted in: its `exit` would end the
//! whole composed script and its `#!` line would be ignored. Instead the
//! composed script stores it in a variable and runs it with
//! `SHELL -ec "$script" NAME ARGS…`: `sh`, or the shell its `#!` line
//! names. Only shells can be used that way, so other interpreters are
//! refused, naming the script. The shell is called by name, found on the
//! `PATH` dpkg and rpm set for scripts (Debian policy 6.1: maintainer
//! scripts do not call programs by absolute path).

use serde::Serialize;

use super::SystemdUnit;

/// What both formats' script templates (`templates/files/deb/`,
/// `templates/files/rpm/`) are rendered with.
#[derive(Serialize)]
pub struct ScriptTemplateData<'a> {
    pub package: &'a str,
    pub script: Option<PackageScript>,
    pub unit: Option<UnitData>,
}

/// The package's own script: the shell that runs it, and its text as one
/// quoted shell word.
#[derive(Serialize)]
pub struct PackageScript {
    pub shell: String,
    pub text: String,
}

impl PackageScript {
    /// `text` (the spec's `name` script) ready for a template, if given.
    pub fn new(name: &'static str, text: Option<&String>) -> Result<Option<Self>, ScriptError> {
        text.map(|text| {
            Ok(Self {
                shell: shell_for(name, text)?,
                text: shell_quote(text),
            })
        })
        .transpose()
    }
}

/// The systemd unit as the templates see it (its name quoted for the shell).
#[derive(Clone, Serialize)]
pub struct UnitData {
    pub name: String,
    pub enable: bool,
    pub start: bool,
}

impl From<&SystemdUnit> for UnitData {
    fn from(unit: &SystemdUnit) -> Self {
        Self {
            name: shell_quote(&unit.name),
            enable: unit.enable,
            start: unit.start,
        }
    }
}

/// A package script that cannot be run from a composed script.
#[derive(Debug, thiserror::Error)]
#[error("the {script} script cannot be packaged: {reason}")]
pub struct ScriptError {
    /// `pre_install`, `post_install`, `pre_remove` or `post_remove`.
    pub script: &'static str,
    pub reason: String,
}

/// Shells that accept `-ec SCRIPT NAME ARGS…`.
const SHELLS: [&str; 7] = ["sh", "bash", "dash", "ksh", "zsh", "ash", "mksh"];

/// The shell command (already quoted) that runs `script`: `sh`, or the
/// shell and options its `#!` line names (`#!/bin/bash -u` gives `bash -u`,
/// `#!/usr/bin/env bash` gives `bash`).
pub fn shell_for(name: &'static str, script: &str) -> Result<String, ScriptError> {
    let fail = |reason: String| ScriptError { script: name, reason };
    if script.contains('\0') {
        return Err(fail("it contains a NUL byte".into()));
    }
    let Some(line) = script.lines().next().and_then(|l| l.strip_prefix("#!")) else {
        return Ok("sh".into());
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let (program, options) = match words.as_slice() {
        [env, program, options @ ..] if env.ends_with("/env") => (program, options),
        [program, options @ ..] => (program, options),
        [] => return Err(fail("its #! line names no interpreter".into())),
    };
    let base = program.rsplit('/').next().unwrap_or(program);
    if !SHELLS.contains(&base) {
        return Err(fail(format!(
            "its #! line names {program:?}, but package scripts are run with a shell's -c option; \
             write a shell script (it may call {base})"
        )));
    }
    Ok(std::iter::once(base)
        .chain(options.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" "))
}

/// `text` as one shell word: as is when it needs no quoting, else single-quoted.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.=+:,@".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells() {
        let shell = |text: &str| shell_for("post_install", text).unwrap();
        assert_eq!(shell("echo hi\n"), "sh");
        assert_eq!(shell("#!/bin/bash -u\necho\n"), "bash -u");
        assert_eq!(shell("#!/usr/bin/env bash\n"), "bash");
        let err = shell_for("pre_remove", "#!/usr/bin/python3\nprint()\n").unwrap_err();
        assert!(
            err.to_string().starts_with("the pre_remove script cannot be packaged"),
            "{err}"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("greeter.service"), "greeter.service");
        assert_eq!(shell_quote(""), "''");
    }
}
