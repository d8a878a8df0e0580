//! `oxdist init [DIR]`: a starter configuration that packages `app/`; with
//! `--from-pyproject`, the configuration zero-config derives from
//! `DIR/pyproject.toml`.

use std::path::Path;

use oxdist_templates::{Template, render};

use crate::cli::GlobalArgs;
use crate::discover::CONFIG_NAMES;
use crate::error::Error;
use crate::report::{Artifact, Reporter, Summary};

pub fn run(
    dir: Option<&Path>,
    name: Option<&str>,
    from_pyproject: bool,
    global: &GlobalArgs,
    reporter: &Reporter,
) -> Result<(), Error> {
    let dir = dir.unwrap_or(Path::new("."));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    for existing in CONFIG_NAMES.map(|n| dir.join(n)) {
        if existing.exists() {
            return Err(Error::AlreadyExists(existing));
        }
    }
    if from_pyproject {
        let pyproject = dir.join(crate::pyproject::PYPROJECT);
        if !pyproject.is_file() {
            return Err(Error::Usage(format!(
                "--from-pyproject reads {}, which does not exist",
                pyproject.display()
            )));
        }
        let config = super::zero_config(&pyproject, global)?;
        let config_path = dir.join(CONFIG_NAMES[0]);
        oxdist_installers::output::write_atomically(&config_path, |out| {
            use std::io::Write;
            out.write_all(config.as_bytes())
                .map_err(|source| oxdist_installers::output::OutputError::Write {
                    path: config_path.clone(),
                    source,
                })
        })?;
        reporter.info(format!(
            "wrote {}: what zero-config ran from {}; oxdist now uses it instead",
            config_path.display(),
            pyproject.display()
        ));
        super::print_summary(
            global,
            &Summary {
                command: "init",
                config: config_path.clone(),
                artifacts: vec![file_artifact(&config_path)],
            },
        );
        return Ok(());
    }
    let name = match name {
        Some(name) => name.to_string(),
        None => package_name_from_dir(dir),
    };
    let data = serde_json::json!({
        "name": name,
        "version": "0.1.0",
        "description": format!("{name}, packaged by oxdist"),
        "license": "MIT",
    });
    let config = render(Template::InitConfig, &data)?;
    // Validate what we are about to write, so `init --name 'bad name'` fails here.
    oxdist_installers::PackageMetadata {
        name: name.clone(),
        version: "0.1.0".into(),
        description: None,
        maintainer: None,
        vendor: None,
        homepage: None,
        license: None,
        target_triple: crate::HOST_TRIPLE.into(),
    }
    .validate()
    .map_err(|e| Error::Usage(e.to_string()))?;

    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let config_path = dir.join(CONFIG_NAMES[0]);
    std::fs::write(&config_path, config).map_err(io(&config_path))?;
    let mut artifacts = vec![file_artifact(&config_path)];
    let app = dir.join("app");
    if !app.exists() {
        let readme = app.join("README.txt");
        std::fs::create_dir_all(&app).map_err(io(&app))?;
        std::fs::write(&readme, render(Template::InitAppReadme, &data)?).map_err(io(&readme))?;
        artifacts.push(file_artifact(&readme));
    }
    reporter.info(format!("wrote {}", config_path.display()));
    reporter.info(format!(
        "next: put the files to install under {}, then run `oxdist package --format tar.gz` in {}",
        app.display(),
        dir.display()
    ));
    super::print_summary(
        global,
        &Summary {
            command: "init",
            config: config_path,
            artifacts,
        },
    );
    Ok(())
}

fn file_artifact(path: &Path) -> Artifact {
    Artifact {
        kind: "file",
        target: None,
        format: None,
        path: path.to_path_buf(),
        sha256: None,
        size: None,
        entries: None,
    }
}

/// A valid package name from a directory name: lowercase, other characters
/// replaced by '-', "app" when nothing usable is left.
fn package_name_from_dir(dir: &Path) -> String {
    let base = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let cleaned: String = base
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if cleaned.is_empty() { "app".to_string() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_directories() {
        assert_eq!(package_name_from_dir(Path::new("/tmp/My App")), "my-app");
        assert_eq!(package_name_from_dir(Path::new("/tmp/_x")), "x");
        assert_eq!(package_name_from_dir(Path::new("/tmp/___")), "app");
    }
}
