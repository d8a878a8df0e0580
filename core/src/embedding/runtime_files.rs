//! Which files of the runtime crate (`embed/`) oxdist bundles to build
//! launchers with. Shared, through `#[path]`, by `core/build.rs`, which
//! compiles them into the binary, and by the test that checks that table
//! against the files on disk, so both apply the same rule.

use std::io;
use std::path::Path;

/// The runtime crate's manifest and every file below `src/`, as sorted
/// `/`-separated paths relative to `embed_dir`. Tests, examples and
/// benchmarks are left out: the launcher builds the crate as a plain
/// dependency, which never compiles them.
pub fn runtime_files(embed_dir: &Path) -> io::Result<Vec<String>> {
    let mut files = vec!["Cargo.toml".to_string()];
    walk(&embed_dir.join("src"), "src", &mut files)?;
    files.sort();
    Ok(files)
}

/// Editor droppings and bytecode caches are not sources: bundling them
/// would only change the launcher's key.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || name == "__pycache__"
}

fn walk(dir: &Path, relative: &str, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().into_string().map_err(|name| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: the file name {name:?} is not UTF-8", dir.display()),
            )
        })?;
        if skipped(&name) {
            continue;
        }
        let path = format!("{relative}/{name}");
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
