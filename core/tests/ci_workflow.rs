//! `examples/ci/github-actions.yml` stays true to the CLI: every `oxdist`
//! command it runs names a subcommand and options this oxdist has (`--help`
//! appended, so nothing is built).

use std::path::Path;
use std::process::Command;

#[test]
fn every_oxdist_command_of_the_example_workflow_parses() {
    let workflow =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ci/github-actions.yml"))
            .unwrap();
    let commands: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("run: oxdist "))
        .collect();
    assert!(commands.len() >= 3, "found {commands:?}");
    for command in commands {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let out = Command::new(env!("CARGO_BIN_EXE_oxdist")).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "`oxdist {command}` is not accepted:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
