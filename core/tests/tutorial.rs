//! docs/tutorial.md, executed: every `$` command of its `console` blocks
//! runs, in order, in a copy of `examples/hello-pyproject` (offline, with the
//! pinned wheels the tutorial downloads), must succeed, and must print the
//! output lines shown under it (in order; `…` in a line matches any text, a
//! line `…` stands for lines left out). A changed command or output fails
//! here until the page is updated.

mod common;

use std::path::Path;
use std::process::Command;

/// The tutorial's commands, each with the output lines it shows.
fn console_commands(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_console = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_console = line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            commands.push((command.to_string(), Vec::new()));
        } else if let Some((_, expected)) = commands.last_mut()
            && line != "…"
            && !line.trim().is_empty()
        {
            expected.push(line.to_string());
        }
    }
    commands
}

/// Whether `line` matches `pattern`, where `…` matches any text.
fn matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('…').collect();
    let (first, rest) = (pieces[0], &pieces[1..]);
    let Some(mut remaining) = line.strip_prefix(first) else {
        return false;
    };
    match rest.split_last() {
        None => remaining.is_empty(),
        Some((last, middle)) => {
            for piece in middle {
                match remaining.find(piece) {
                    Some(at) => remaining = &remaining[at + piece.len()..],
                    None => return false,
                }
            }
            remaining.ends_with(last)
        }
    }
}

#[test]
fn the_tutorial_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tutorial = std::fs::read_to_string(root.join("docs/tutorial.md")).unwrap();
    // The setup block is mirrored here (no network download in tests): the
    // same pinned wheels, fetched once into the test cache.
    let specs = common::HELLO_PYPROJECT_WHEELS;
    assert!(
        tutorial.contains(&format!("--dest wheels {}", specs.join(" "))),
        "the tutorial's download command no longer fetches {specs:?}: update this test"
    );
    let p = common::hello_pyproject();

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_oxdist")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let commands = console_commands(&tutorial);
    assert!(commands.len() >= 8, "found only {} commands", commands.len());
    for (command, expected) in commands {
        let out = Command::new("sh")
            .args(["-c", &command])
            .current_dir(p.path())
            .env("PATH", &path)
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "`{command}` failed:\n{text}");
        let mut lines = text.lines();
        for pattern in &expected {
            assert!(
                lines.any(|line| matches(pattern, line)),
                "`{command}` did not print {pattern:?} (in this order); it printed:\n{text}"
            );
        }
    }
    // The signing section's keyring started a gpg-agent: stop it.
    let keyring = p.path().join("keyring");
    if keyring.is_dir() {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&keyring)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

#[test]
fn ellipses_match_any_text() {
    assert!(matches("wrote …/dist/a.deb (…)", "wrote /tmp/x/dist/a.deb (8.5 MiB)"));
    assert!(!matches("wrote …/dist/a.deb (…)", "wrote /tmp/x/dist/b.deb (8.5 MiB)"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
    assert!(matches("a…b…c", "a-x-b-y-c"));
    assert!(!matches("a…b…c", "a-x-c-y-b"));
}
