//! `oxdist find-resources PATH`: show how oxdist classifies files, to debug
//! packaging problems.

use std::path::Path;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::python::resources::{PythonResource, PythonSuffixes};
use crate::python::{host, scan, wheel};

pub fn run(path: &Path, global: &GlobalArgs) -> Result<(), Error> {
    // Suffixes come from the host interpreter, so extension modules for it are recognised.
    let python = host::find_interpreter(global.python.as_deref(), None);
    let suffixes = host::read_host(&python, None)
        .map(|d| d.suffixes)
        .unwrap_or_else(|_| PythonSuffixes::for_unix("3.11", "x86_64-linux-gnu"));
    let resources = if path.is_file() {
        wheel::read_wheel(path, &suffixes)?.resources
    } else if path.join("pyvenv.cfg").is_file() {
        scan::scan_directory(&scan::find_site_packages(path)?, &suffixes)?
    } else {
        scan::scan_directory(path, &suffixes)?
    };
    if global.json {
        let rows: Vec<serde_json::Value> = resources
            .iter()
            .map(|r| serde_json::json!({ "type": r.type_name(), "name": r.full_name() }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows).expect("serializable"));
        return Ok(());
    }
    for resource in &resources {
        let note = match resource {
            PythonResource::PathExtension(_) => "  (.pth file: reported, not executed)",
            PythonResource::ExtensionModule(e) => &format!("  ({})", e.suffix),
            _ => "",
        };
        println!("{:<34} {}{note}", resource.type_name(), resource.full_name());
    }
    Ok(())
}
