//! `oxdist list-targets`: the targets a configuration registers.

use crate::cli::GlobalArgs;
use crate::dialect::Resolve;
use crate::error::Error;

pub fn run(global: &GlobalArgs) -> Result<(), Error> {
    let evaluation = super::evaluate(global, Resolve::Nothing)?;
    if global.json {
        let doc = serde_json::json!({
            "config": evaluation.config_path,
            "default": evaluation.default_target,
            "default_build_script": evaluation.default_build_script_target,
            "targets": evaluation.targets,
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("serializable"));
        return Ok(());
    }
    for target in &evaluation.targets {
        let mut notes = Vec::new();
        if evaluation.default_target.as_deref() == Some(target.name.as_str()) {
            notes.push("default".to_string());
        }
        if target.default_build_script {
            notes.push("default build script".to_string());
        }
        if !target.depends.is_empty() {
            notes.push(format!("depends: {}", target.depends.join(", ")));
        }
        if notes.is_empty() {
            println!("{}", target.name);
        } else {
            println!("{} ({})", target.name, notes.join("; "));
        }
    }
    Ok(())
}
