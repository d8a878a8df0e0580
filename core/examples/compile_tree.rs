//! Compiles every `.py` file under a directory to `.pyc`, like
//! `python -m compileall`, with oxdist's [`BytecodeCompiler`] (one worker per
//! core, `.pyc` files written as results arrive); used by `bench/bytecode`.
//!
//! ```text
//! cargo run --release --example compile_tree -- PYTHON SRC_DIR OUT_DIR [--workers N]
//! ```
//!
//! `SRC_DIR/a/b.py` becomes `OUT_DIR/a/__pycache__/b.CACHETAG.pyc` (the
//! layout compileall produces in place), with `co_filename` set to the path as
//! compileall would (`SRC_DIR` joined with the relative path), so the files
//! match `compileall --invalidation-mode unchecked-hash` byte for byte. Like
//! compileall it skips `__pycache__` directories and does not follow
//! symlinked directories; files that do not compile are counted and listed,
//! not fatal. Exit status: 0 unless the compiler could not start or an output
//! could not be written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use oxdist::python::bytecode::{BytecodeCompiler, BytecodeError, CompileRequest};

/// How many failures are listed individually.
const SHOWN_ERRORS: usize = 20;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("compile_tree: {err}");
            ExitCode::from(1)
        }
    }
}

fn usage() -> anyhow::Error {
    anyhow::anyhow!("usage: compile_tree PYTHON SRC_DIR OUT_DIR [--workers N]")
}

fn run() -> anyhow::Result<ExitCode> {
    let mut positional = Vec::new();
    let mut workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--workers" {
            let n = args.next().ok_or_else(usage)?;
            workers = n
                .to_str()
                .and_then(|n| n.parse().ok())
                .filter(|&n| n > 0)
                .ok_or_else(usage)?;
        } else if arg == "-h" || arg == "--help" {
            println!("{}", usage());
            return Ok(ExitCode::SUCCESS);
        } else {
            positional.push(PathBuf::from(arg));
        }
    }
    let [python, src_dir, out_dir] = <[PathBuf; 3]>::try_from(positional).map_err(|_| usage())?;
    let started = Instant::now();

    let mut compiler = BytecodeCompiler::new(&python, workers)?;
    let t_started = started.elapsed();
    let tag = compiler
        .cache_tag()
        .ok_or_else(|| anyhow::anyhow!("{} has no cache tag", python.display()))?
        .to_string();

    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    walk(&src_dir, Path::new(""), &mut files, &mut unreadable);
    // Reading everything first keeps the workers busy from the first request
    // to the last; the standard library is ~30 MB of source.
    let mut sources = Vec::with_capacity(files.len());
    let mut relative = Vec::with_capacity(files.len());
    for rel in files {
        match std::fs::read(src_dir.join(&rel)) {
            Ok(source) => {
                sources.push(source);
                relative.push(rel);
            }
            Err(err) => unreadable.push(format!("{}: {err}", src_dir.join(&rel).display())),
        }
    }
    let requests: Vec<CompileRequest> = relative
        .iter()
        .zip(&sources)
        .map(|(rel, source)| CompileRequest::new(&source[..], src_dir.join(rel).to_string_lossy().into_owned(), 0))
        .collect();
    let t_read = started.elapsed();

    // Written from the worker threads as results arrive, while the workers
    // compile the next files.
    let pyc = compiler.pyc_builder();
    let compiled = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let failures = Mutex::new(Failures::default());
    compiler.compile_each(&requests, |i, result| match result {
        Ok(marshal) => {
            let data = pyc.pyc_bytes(&marshal, &sources[i]);
            let target = pyc_path(&out_dir, &relative[i], &tag);
            let dir = target.parent().expect("pyc path has a parent");
            match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&target, &data)) {
                Ok(()) => {
                    compiled.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                Err(e) => failures.lock().unwrap().write = Some(format!("cannot write {}: {e}", target.display())),
            }
        }
        Err(err @ BytecodeError::Syntax { .. }) => failures.lock().unwrap().syntax.push((i, err.to_string())),
        Err(err) => failures.lock().unwrap().other.push((i, err.to_string())),
    });
    let t_compiled = started.elapsed();
    let failures = failures.into_inner().unwrap();
    if let Some(message) = failures.write {
        anyhow::bail!(message);
    }
    let (syntax, other) = (in_file_order(failures.syntax), in_file_order(failures.other));
    let (compiled, bytes) = (compiled.into_inner(), bytes.into_inner());

    println!(
        "{} .py files under {}: {compiled} compiled ({:.1} MB of .pyc in {}), {} syntax errors, {} other errors, {} unreadable",
        relative.len() + unreadable.len(),
        src_dir.display(),
        bytes as f64 / 1e6,
        out_dir.display(),
        syntax.len(),
        other.len(),
        unreadable.len(),
    );
    println!(
        "Python {} ({}), {} workers, {:.2} s (start {:.2}, find and read {:.2}, compile and write {:.2})",
        compiler.python_version(),
        tag,
        compiler.workers(),
        t_compiled.as_secs_f64(),
        t_started.as_secs_f64(),
        (t_read - t_started).as_secs_f64(),
        (t_compiled - t_read).as_secs_f64(),
    );
    for (what, list) in [
        ("syntax error", &syntax),
        ("error", &other),
        ("unreadable", &unreadable),
    ] {
        for line in list.iter().take(SHOWN_ERRORS) {
            println!("  {what}: {}", line.lines().next().unwrap_or(""));
        }
        if list.len() > SHOWN_ERRORS {
            println!("  ... and {} more", list.len() - SHOWN_ERRORS);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What did not turn into a `.pyc`, by request index.
#[derive(Default)]
struct Failures {
    syntax: Vec<(usize, String)>,
    other: Vec<(usize, String)>,
    write: Option<String>,
}

/// Results arrive in completion order; report them in file order.
fn in_file_order(mut list: Vec<(usize, String)>) -> Vec<String> {
    list.sort();
    list.into_iter().map(|(_, message)| message).collect()
}

/// `.py` files under `root/rel`, as paths relative to `root`, sorted. Like
/// compileall: `__pycache__` is skipped, symlinked directories are not
/// followed, symlinked files are compiled.
fn walk(root: &Path, rel: &Path, files: &mut Vec<PathBuf>, unreadable: &mut Vec<String>) {
    let dir = root.join(rel);
    let mut entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(Result::ok).collect::<Vec<_>>(),
        Err(err) => {
            unreadable.push(format!("{}: {err}", dir.display()));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let path = rel.join(&name);
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if name != "__pycache__" {
                walk(root, &path, files, unreadable);
            }
        } else if Path::new(&name).extension().is_some_and(|e| e == "py")
            && (kind.is_file() || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file())))
        {
            files.push(path);
        }
    }
}

/// `OUT/a/b.py` → `OUT/a/__pycache__/b.TAG.pyc`, as `importlib.util.cache_from_source`.
fn pyc_path(out_dir: &Path, rel: &Path, tag: &str) -> PathBuf {
    let stem = rel.file_stem().expect("a .py file has a stem").to_string_lossy();
    let parent = rel.parent().unwrap_or(Path::new(""));
    out_dir
        .join(parent)
        .join("__pycache__")
        .join(format!("{stem}.{tag}.pyc"))
}
