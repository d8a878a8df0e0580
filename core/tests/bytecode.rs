//! `oxdist::python::bytecode` against the host interpreter (`python3` on PATH).
//!
//! The reference for "what CPython gives" is always a separate `python3`
//! process, so these tests also catch output that depends on the worker's
//! history (see the module documentation of `bytecode`). Unix only: some
//! tests wrap the interpreter in shell scripts and look at /proc.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use oxdist::python::bytecode::{BytecodeCompiler, BytecodeError, CompileRequest, CompileStats};
use oxdist::python::bytecode_cache::BytecodeCache;

const PYTHON: &str = "python3";

/// Runs `python3 -c script args...` with `stdin` and returns stdout, panicking
/// with stderr on failure.
fn python(script: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 on PATH");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "python3 -c {script:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn python_text(script: &str, args: &[&str], stdin: &[u8]) -> String {
    String::from_utf8(python(script, args, stdin))
        .unwrap()
        .trim_end()
        .to_string()
}

/// What a fresh CPython process gives, holding the code object in a variable
/// as importlib does (`marshal.dumps(compile(...))` inline would clear
/// FLAG_REF on the top-level code object; see the module docs).
fn reference_marshal(source: &[u8], filename: &str, optimize: u8) -> Vec<u8> {
    reference_marshal_with(Path::new(PYTHON), source, filename, optimize)
}

/// [`reference_marshal`] with another interpreter. `PYTHONHASHSEED=0` is what
/// the workers use before 3.11 (frozenset order); later versions ignore it
/// for marshal.
fn reference_marshal_with(python: &Path, source: &[u8], filename: &str, optimize: u8) -> Vec<u8> {
    let mut child = Command::new(python)
        .arg("-c")
        .arg(
            "import marshal, sys\n\
             source = sys.stdin.buffer.read()\n\
             code = compile(source, sys.argv[1], 'exec', dont_inherit=True, optimize=int(sys.argv[2]))\n\
             sys.stdout.buffer.write(marshal.dumps(code))",
        )
        .args([filename, &optimize.to_string()])
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let mut input = child.stdin.take().unwrap();
    let data = source.to_vec();
    let feeder = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{} failed on {filename}:\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn compiler(workers: usize) -> BytecodeCompiler {
    BytecodeCompiler::new(Path::new(PYTHON), workers).expect("start python3 workers")
}

const DOCS_AND_ASSERTS: &[u8] = br#""""The module docstring."""

def f(x):
    """The function docstring."""
    assert x > 0, 'the assert message'
    if __debug__:
        return 'debug build'
    return x

class C:
    """The class docstring."""
    def m(self):
        return {'alpha', 'beta', 'gamma'}, (1, 2.5, 'three', b'four', None, ...), 10**20
"#;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn matches_a_fresh_python_process_at_every_optimize_level() {
    let sources: &[(&str, &[u8])] = &[
        ("docs.py", DOCS_AND_ASSERTS),
        ("empty.py", b""),
        (
            "pkg/__init__.py",
            b"from .sub import *\n__all__ = ['x']\nx = lambda y: [i * y for i in range(3)]\n",
        ),
        (
            "async_gen.py",
            b"import asyncio\nasync def g():\n    async with asyncio.Lock() as l:\n        yield f'{l!r:>10}'\n\
              try:\n    pass\nexcept* ValueError:\n    pass\n",
        ),
        (
            "unicode.py",
            "s = 'ä'\nt = ('€', 'ä', ',', '')\nu = 'naïve'\n".as_bytes(),
        ),
    ];
    let mut c = compiler(1);
    for (name, source) in sources {
        for optimize in 0..=2 {
            let ours = c
                .compile(source, name, optimize)
                .unwrap_or_else(|e| panic!("{name} -O{optimize}: {e}"));
            assert_eq!(
                ours,
                reference_marshal(source, name, optimize),
                "{name} at optimize {optimize}"
            );
        }
    }
}

#[test]
fn optimize_levels_drop_asserts_then_docstrings() {
    let mut c = compiler(1);
    let levels: Vec<Vec<u8>> = (0..=2)
        .map(|o| c.compile(DOCS_AND_ASSERTS, "docs.py", o).unwrap())
        .collect();
    // Level 0 keeps everything.
    assert!(contains(&levels[0], b"the assert message"));
    assert!(contains(&levels[0], b"The module docstring."));
    assert!(contains(&levels[0], b"debug build"));
    // Level 1 (-O) drops asserts and `if __debug__:` blocks, keeps docstrings.
    assert!(!contains(&levels[1], b"the assert message"));
    assert!(!contains(&levels[1], b"debug build"));
    assert!(contains(&levels[1], b"The module docstring."));
    assert!(contains(&levels[1], b"The function docstring."));
    // Level 2 (-OO) also drops docstrings.
    assert!(!contains(&levels[2], b"the assert message"));
    for doc in [
        &b"The module docstring."[..],
        b"The function docstring.",
        b"The class docstring.",
    ] {
        assert!(!contains(&levels[2], doc));
    }
    // And Python agrees when it runs them.
    let check = "import marshal, sys\n\
                 ns = {}\n\
                 exec(marshal.loads(sys.stdin.buffer.read()), ns)\n\
                 try:\n    r = ns['f'](-1)\nexcept AssertionError:\n    r = 'assert'\n\
                 print(r, ns.get('__doc__'), ns['C'].__doc__, sep='|')";
    assert_eq!(
        python_text(check, &[], &levels[0]),
        "assert|The module docstring.|The class docstring."
    );
    assert_eq!(
        python_text(check, &[], &levels[1]),
        "-1|The module docstring.|The class docstring."
    );
    assert_eq!(python_text(check, &[], &levels[2]), "-1|None|None");
}

#[test]
fn two_compilers_give_identical_bytes() {
    let sources: Vec<CompileRequest> = (0..40)
        .map(|i| {
            let source =
                format!("X{i} = {{'k': {i}, 'v': [{i}.5, 'x' * {i}]}}\ndef f{i}(a=('t', {i})):\n    return a\n");
            CompileRequest::new(source.into_bytes(), format!("m{i}.py"), (i % 3) as u8)
        })
        .chain(std::iter::once(CompileRequest::new(DOCS_AND_ASSERTS, "docs.py", 0)))
        .collect();
    let a: Vec<Vec<u8>> = compiler(1)
        .compile_many(&sources)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let b: Vec<Vec<u8>> = compiler(3)
        .compile_many(&sources)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(a, b);
}

fn stdlib_dir() -> PathBuf {
    PathBuf::from(python_text(
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        &[],
        b"",
    ))
}

/// Every `.py` file under `dir` except site-packages, sorted.
fn py_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && entry.file_name() != "site-packages" && entry.file_name() != "__pycache__" {
            py_files(&path, out);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

/// `n` stdlib files spread over the whole tree, with their sources.
fn stdlib_sample(n: usize) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    py_files(&stdlib_dir(), &mut files);
    assert!(files.len() >= n, "only {} stdlib files", files.len());
    let step = files.len() / n;
    files
        .iter()
        .step_by(step)
        .take(n)
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(p).unwrap()))
        .collect()
}

/// Results comparable with `==` (errors by their message).
fn comparable(results: Vec<Result<Vec<u8>, BytecodeError>>) -> Vec<Result<Vec<u8>, String>> {
    results.into_iter().map(|r| r.map_err(|e| e.to_string())).collect()
}

#[test]
fn compile_many_on_stdlib_matches_one_by_one_in_order() {
    let files = stdlib_sample(240);
    let requests: Vec<CompileRequest> = files
        .iter()
        .map(|(name, source)| CompileRequest::new(&source[..], name.clone(), 0))
        .collect();
    let many = comparable(compiler(2).compile_many(&requests));
    let mut single = compiler(1);
    let one_by_one: Vec<_> = files
        .iter()
        .map(|(name, source)| single.compile(source, name, 0))
        .collect();
    let one_by_one = comparable(one_by_one);
    assert_eq!(many.len(), requests.len());
    for (i, (a, b)) in many.iter().zip(&one_by_one).enumerate() {
        assert!(a == b, "{} differs between compile_many and compile", files[i].0);
    }
    let ok = many.iter().filter(|r| r.is_ok()).count();
    assert!(ok >= 200, "only {ok} of {} stdlib files compiled", many.len());
    // Spot-check a few against fresh processes.
    for (i, (name, source)) in files.iter().enumerate().step_by(60) {
        if let Ok(ours) = &many[i] {
            assert_eq!(ours, &reference_marshal(source, name, 0), "{name}");
        }
    }
}

#[test]
fn pyc_files_are_what_py_compile_writes_for_unchecked_hash() {
    let dir = tempfile::tempdir().unwrap();
    let files = stdlib_sample(25);
    let mut c = compiler(2);
    let requests: Vec<CompileRequest> = files
        .iter()
        .map(|(name, source)| CompileRequest::new(&source[..], name.clone(), 0))
        .collect();
    let results = c.compile_many(&requests);
    let script = "import py_compile, sys\n\
                  src, cfile, dfile = sys.argv[1:4]\n\
                  py_compile.compile(src, cfile, dfile, doraise=True,\n\
                  \x20   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)";
    let mut compared = 0;
    for ((name, source), result) in files.iter().zip(results) {
        let Ok(marshal) = result else { continue };
        let cfile = dir.path().join("ref.pyc");
        python(script, &[name, cfile.to_str().unwrap(), name], b"");
        let reference = std::fs::read(&cfile).unwrap();
        assert_eq!(c.pyc_bytes(&marshal, source), reference, "{name}");
        compared += 1;
    }
    assert!(compared >= 20);
}

#[test]
fn pyc_header_and_import() {
    let mut c = compiler(1);
    let source = b"VALUE = sum(range(10))\n";
    let marshal = c.compile(source, "hashmod.py", 0).unwrap();
    let pyc = c.pyc_bytes(&marshal, source);

    // Magic, flags and hash as Python computes them.
    let info = python_text(
        "import importlib.util, sys\n\
         print(importlib.util.MAGIC_NUMBER.hex(), importlib.util.source_hash(sys.stdin.buffer.read()).hex(),\n\
         sys.implementation.cache_tag, '%d.%d.%d' % sys.version_info[:3])",
        &[],
        source,
    );
    let expected: Vec<&str> = info.split(' ').collect();
    assert_eq!(hex(&pyc[..4]), expected[0]);
    assert_eq!(hex(&c.magic_number()), expected[0]);
    assert_eq!(&pyc[4..8], &[1, 0, 0, 0], "flags: hash-based, unchecked");
    assert_eq!(hex(&pyc[8..16]), expected[1]);
    assert_eq!(c.cache_tag(), Some(expected[2]));
    let v = c.python_version();
    assert_eq!(format!("{}.{}.{}", v.major, v.minor, v.micro), expected[3]);
    assert_eq!(&pyc[16..], &marshal[..]);

    // importlib accepts it: as a sourceless module, and its header parser
    // classifies it as hash-based without source checking.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hashmod.pyc"), &pyc).unwrap();
    let loaded = python_text(
        "import importlib._bootstrap_external as be, marshal, sys\n\
         sys.path.insert(0, sys.argv[1])\n\
         import hashmod\n\
         data = open(hashmod.__file__, 'rb').read()\n\
         flags = be._classify_pyc(data, 'hashmod', {})\n\
         code = marshal.loads(data[16:])\n\
         print(hashmod.VALUE, flags, code.co_filename, type(hashmod.__loader__).__name__)",
        &[dir.path().to_str().unwrap()],
        b"",
    );
    assert_eq!(loaded, "45 1 hashmod.py SourcelessFileLoader");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn bom_and_coding_cookie_are_honoured() {
    let mut c = compiler(1);
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice("# a comment\ns = 'h\u{e9}llo \u{20ac}'\n".as_bytes());
    // 0xe9 is 'é' in latin-1 and not valid UTF-8 on its own.
    let latin1 = b"# -*- coding: latin-1 -*-\ns = 'h\xe9llo \xa4'\n".to_vec();
    let cases = [
        ("bom.py", bom, "h\u{e9}llo \u{20ac}"),
        ("latin1.py", latin1, "h\u{e9}llo \u{a4}"),
    ];
    for (name, source, expected) in cases {
        let ours = c.compile(&source, name, 0).unwrap();
        assert_eq!(ours, reference_marshal(&source, name, 0), "{name}");
        let value = python_text(
            "import marshal, sys\nns = {}\nexec(marshal.loads(sys.stdin.buffer.read()), ns)\n\
             print(ns['s'].encode('utf-8').hex())",
            &[],
            &ours,
        );
        assert_eq!(value, hex(expected.as_bytes()), "{name}");
    }
    // Without the cookie the same bytes are a SyntaxError (invalid UTF-8).
    let err = c.compile(b"s = 'h\xe9llo'\n", "nocookie.py", 0).unwrap_err();
    assert!(matches!(err, BytecodeError::Syntax { .. }), "{err}");
}

#[test]
fn syntax_errors_fail_only_their_item() {
    let mut c = compiler(2);
    let requests = vec![
        CompileRequest::new(&b"a = 1\n"[..], "good1.py", 0),
        CompileRequest::new(&b"x = 1\ny = 2\ndef broken(:\n    pass\n"[..], "bad.py", 0),
        CompileRequest::new(&b"def f():\nreturn 1\n"[..], "indent.py", 0),
        CompileRequest::new(&b"b = 2\n"[..], "good2.py", 1),
        CompileRequest::new(&b"c = 3\n"[..], "bad_level.py", 7),
        CompileRequest::new(&b"d = 4\n"[..], "good3.py", 2),
    ];
    let results = c.compile_many(&requests);
    assert!(results[0].is_ok());
    match &results[1] {
        Err(BytecodeError::Syntax {
            filename,
            line,
            message,
        }) => {
            assert_eq!(filename, "bad.py");
            assert_eq!(*line, Some(3));
            assert!(!message.is_empty());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    match &results[2] {
        Err(BytecodeError::Syntax { line, message, .. }) => {
            assert_eq!(*line, Some(2));
            assert!(message.starts_with("IndentationError: "), "{message}");
        }
        other => panic!("expected an indentation error, got {other:?}"),
    }
    assert!(results[3].is_ok());
    assert!(matches!(results[4], Err(BytecodeError::InvalidOptimize(7))));
    assert!(results[5].is_ok());
    assert_eq!(
        results[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .split(':')
            .take(2)
            .collect::<Vec<_>>(),
        ["bad.py", "3"]
    );

    // The single-item path: the worker survives the error.
    assert!(matches!(
        c.compile(b"1 +\n", "e.py", 0),
        Err(BytecodeError::Syntax { line: Some(1), .. })
    ));
    assert_eq!(
        c.compile(b"z = 26\n", "z.py", 0).unwrap(),
        reference_marshal(b"z = 26\n", "z.py", 0)
    );
    assert!(matches!(
        c.compile(b"z = 26\n", "z.py", 3),
        Err(BytecodeError::InvalidOptimize(3))
    ));
}

#[test]
fn nul_bytes_are_a_compile_error_not_a_crash() {
    let mut c = compiler(1);
    let err = c.compile(b"x = 1\0\n", "nul.py", 0).unwrap_err();
    assert!(
        matches!(err, BytecodeError::Syntax { .. } | BytecodeError::Compile { .. }),
        "{err:?}"
    );
    assert!(c.compile(b"x = 1\n", "ok.py", 0).is_ok());
}

#[test]
fn missing_or_non_python_interpreters_are_clear_errors() {
    let missing = Path::new("/nonexistent/bin/python3.99");
    let err = BytecodeCompiler::new(missing, 2).unwrap_err();
    assert!(matches!(err, BytecodeError::InterpreterNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/bin/python3.99"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let not_python = script(
        dir.path(),
        "not-python",
        "#!/bin/sh\necho 'this is not python' >&2\nexit 1\n",
    );
    let err = BytecodeCompiler::new(&not_python, 1).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BytecodeError::Handshake { .. }), "{err:?}");
    assert!(
        text.contains("not-python") && text.contains("this is not python"),
        "{text}"
    );

    // Not executable at all.
    let plain = dir.path().join("plain-file");
    std::fs::write(&plain, "").unwrap();
    let err = BytecodeCompiler::new(&plain, 1).unwrap_err();
    assert!(matches!(err, BytecodeError::Spawn { .. }), "{err:?}");
    assert!(err.to_string().contains("plain-file"), "{err}");
}

#[test]
fn old_pythons_are_refused_with_a_reason() {
    // Only where PATH or pyenv has them.
    let mut candidates: Vec<PathBuf> = vec!["python2.7".into(), "python3.6".into()];
    candidates.extend(pyenv_pythons("python").into_iter().filter(|p| {
        let version = p
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .unwrap_or_default();
        let version = version.to_string_lossy();
        version.starts_with("2.") || version.starts_with("3.6.")
    }));
    for old in candidates {
        if Command::new(&old)
            .arg("-c")
            .arg("pass")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            let err = BytecodeCompiler::new(&old, 1).unwrap_err();
            assert!(
                matches!(err, BytecodeError::Unsupported { .. }),
                "{}: {err:?}",
                old.display()
            );
            assert!(err.to_string().contains("3.7"), "{err}");
        }
    }
}

/// An executable shell script in `dir`.
fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A child another test thread forked while the file was open for
    // writing holds that descriptor until it execs, and exec of the script
    // fails with ETXTBSY meanwhile: wait until it can be executed (once
    // one exec works, no such descriptor is left).
    for _ in 0..100 {
        match std::process::Command::new(&path).arg("-c").arg("pass").output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            _ => break,
        }
    }
    path
}

/// A source that takes CPython several seconds of CPU time to compile (~9 s
/// on the 2.5 GHz Xeon this was written on), far above the 1 s limit below.
fn slow_source() -> Vec<u8> {
    (0..200_000)
        .map(|i| format!("def f{i}(a, b):\n    return a + b * {i}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn a_worker_that_dies_fails_one_item_and_is_replaced() {
    // `ulimit -t 1`: the kernel kills the worker (SIGXCPU/SIGKILL) after one
    // second of CPU, which only the slow source reaches.
    let dir = tempfile::tempdir().unwrap();
    let limited = script(
        dir.path(),
        "python-cpu-limited",
        "#!/bin/sh\nulimit -t 1\nexec python3 \"$@\"\n",
    );
    let mut c = BytecodeCompiler::new(&limited, 1).unwrap();
    let slow = slow_source();
    let requests = vec![
        CompileRequest::new(&b"a = 1\n"[..], "a.py", 0),
        CompileRequest::new(&slow[..], "slow.py", 0),
        CompileRequest::new(&b"b = 2\n"[..], "b.py", 0),
        CompileRequest::new(&b"c = 3\n"[..], "c.py", 0),
    ];
    let results = c.compile_many(&requests);
    assert!(results[0].is_ok());
    match &results[1] {
        Err(BytecodeError::WorkerDied { stderr }) => assert!(stderr.contains("signal"), "{stderr}"),
        other => panic!("expected WorkerDied, got {other:?}"),
    }
    assert_eq!(results[2].as_ref().unwrap(), &reference_marshal(b"b = 2\n", "b.py", 0));
    assert!(results[3].is_ok());

    // The single-item path too.
    assert!(matches!(
        c.compile(&slow, "slow.py", 0),
        Err(BytecodeError::WorkerDied { .. })
    ));
    assert!(c.compile(b"d = 4\n", "d.py", 0).is_ok());
}

#[test]
fn output_does_not_depend_on_what_the_worker_compiled_before() {
    // `ä = 1` makes CPython < 3.13 intern the one-character singleton "ä" for
    // the rest of the process; a later module's constant "ä" then marshals as
    // interned. The worker must retire instead (see the module docs).
    let polluter = "ä = 1\n".as_bytes();
    let victim = "VALUES = ('ä', 'ö', 'x y')\n".as_bytes();
    let fresh = reference_marshal(victim, "victim.py", 0);
    let mut c = compiler(1);
    assert_eq!(c.compile(victim, "victim.py", 0).unwrap(), fresh);
    assert!(c.compile(polluter, "polluter.py", 0).is_ok());
    assert_eq!(
        c.compile(victim, "victim.py", 0).unwrap(),
        fresh,
        "compile after the polluter"
    );

    // And in the middle of a pipelined batch, where requests already written
    // to the retiring worker must be re-sent to its replacement.
    let mut requests = Vec::new();
    for i in 0..30 {
        if i % 7 == 3 {
            requests.push(CompileRequest::new(polluter, format!("polluter{i}.py"), 0));
        }
        requests.push(CompileRequest::new(victim, "victim.py", 0));
    }
    for workers in [1, 2] {
        let results = compiler(workers).compile_many(&requests);
        for (request, result) in requests.iter().zip(results) {
            let result = result.unwrap();
            if request.filename == "victim.py" {
                assert_eq!(result, fresh, "{workers} workers");
            }
        }
    }
}

#[test]
fn large_sources_and_outputs_do_not_deadlock() {
    // Sources and marshal output far bigger than a pipe buffer (64 KiB), with
    // several in flight per worker.
    let big: Vec<Vec<u8>> = (0..6)
        .map(|k| {
            (0..8_000)
                .map(|i| {
                    format!(
                        "S{i} = 'string constant number {i} in module {k}, padded {}'\n",
                        "#".repeat(i % 50)
                    )
                })
                .collect::<String>()
                .into_bytes()
        })
        .collect();
    let requests: Vec<CompileRequest> = big
        .iter()
        .enumerate()
        .map(|(k, s)| CompileRequest::new(&s[..], format!("big{k}.py"), 0))
        .collect();
    let results = compiler(2).compile_many(&requests);
    for (k, result) in results.into_iter().enumerate() {
        let marshal = result.unwrap();
        assert!(marshal.len() > 256 * 1024);
        if k == 0 {
            assert_eq!(marshal, reference_marshal(&big[0], "big0.py", 0));
        }
    }
}

#[test]
fn source_hash_matches_importlib() {
    let c = compiler(1);
    let inputs: Vec<Vec<u8>> = vec![b"".to_vec(), b"x".to_vec(), (0..=255u8).cycle().take(100_003).collect()];
    for input in inputs {
        let expected = python_text(
            "import importlib.util, sys; print(importlib.util.source_hash(sys.stdin.buffer.read()).hex())",
            &[],
            &input,
        );
        assert_eq!(hex(&c.source_hash(&input)), expected, "{} bytes", input.len());
    }
}

#[test]
fn dropping_the_compiler_ends_its_workers() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // `exec` keeps the PID, so the recorded PID is the worker's.
    let recording = script(
        dir.path(),
        "python-recording",
        &format!("#!/bin/sh\necho $$ >> '{}'\nexec python3 \"$@\"\n", pids.display()),
    );
    // `script` ran it once to check it executes: not a worker.
    let _ = std::fs::remove_file(&pids);
    let mut c = BytecodeCompiler::new(&recording, 3).unwrap();
    assert!(c.compile(b"x = 1\n", "x.py", 0).is_ok());
    let recorded: Vec<String> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(recorded.len(), 3);
    for pid in &recorded {
        assert!(
            Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} should be running"
        );
    }
    drop(c);
    // Waited for, so not even zombies are left.
    for pid in &recorded {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} still exists"
        );
    }
}

/// Other interpreters on this machine: `OXDIST_TEST_PYTHONS` (separated by
/// `:`) or every `$PYENV_ROOT/versions/*/bin/python3` (default `~/.pyenv`).
fn other_pythons() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os("OXDIST_TEST_PYTHONS") {
        return std::env::split_paths(&list).collect();
    }
    pyenv_pythons("python3")
}

/// `$PYENV_ROOT/versions/*/bin/NAME` (default `~/.pyenv`), sorted.
fn pyenv_pythons(name: &str) -> Vec<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    let Some(Ok(versions)) = root.map(|r| std::fs::read_dir(r.join("versions"))) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = versions
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

#[test]
fn every_supported_interpreter_matches_its_own_fresh_process() {
    // Frozenset constants (hash-seed order before 3.11), the latin-1
    // singleton case, docstrings and asserts.
    let frozen = b"def f(x):\n    return x in {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 1.5, b'z'}\n".to_vec();
    let polluter = "\u{e4} = 1\n".as_bytes();
    let victim = "VALUES = ('\u{e4}', '\u{f6}', 'x y')\n".as_bytes();
    for python in other_pythons() {
        let mut c = match BytecodeCompiler::new(&python, 2) {
            Ok(c) => c,
            Err(BytecodeError::Unsupported { .. }) => continue,
            Err(e) => panic!("{}: {e}", python.display()),
        };
        let v = c.python_version().clone();
        let label = format!("{} ({v})", python.display());
        for optimize in 0..=2 {
            for (name, source) in [
                ("frozen.py", &frozen[..]),
                ("docs.py", DOCS_AND_ASSERTS),
                ("victim.py", victim),
            ] {
                let ours = c
                    .compile(source, name, optimize)
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(
                    ours,
                    reference_marshal_with(&python, source, name, optimize),
                    "{label} {name} -O{optimize}"
                );
            }
        }
        // Requests that change the worker's state, each followed by a module
        // whose bytes that state would change (see the module docs of
        // `bytecode`): a latin-1 identifier; a non-ASCII identifier, which
        // imports unicodedata (< 3.11: FLAG_REF on "normalize"); a coding
        // cookie, which imports a codec (< 3.11: "decoding_table"); and the
        // same module twice, whose shared str frozenset is split the second
        // time (3.12: immortal interned strings).
        let twice = b"def a(x):\n    return x in {'q426', 'q225', 'q226'}\n\
                      def b(x):\n    return x not in {'q426', 'q225', 'q226'}\n";
        let cookie = b"# -*- coding: iso8859-3 -*-\nx = 1\n";
        let cases: [(&[u8], &[u8]); 4] = [
            (polluter, victim),
            ("\u{3c9} = 1\n".as_bytes(), b"A = ('normalize', 'decimal', 'NFKC')\n"),
            (cookie, b"T = ('decoding_table', 'encoding_table', 'getregentry')\n"),
            (twice, twice),
        ];
        for (first, second) in cases {
            let _ = c.compile(first, "first.py", 0).unwrap();
            let expected = reference_marshal_with(&python, second, "second.py", 0);
            assert_eq!(
                c.compile(second, "second.py", 0).unwrap(),
                expected,
                "{label}: {} after {}",
                String::from_utf8_lossy(second),
                String::from_utf8_lossy(first)
            );
            // And pipelined, with two workers.
            let batch: Vec<CompileRequest> = (0..8)
                .flat_map(|_| {
                    [
                        CompileRequest::new(first, "first.py", 0),
                        CompileRequest::new(second, "second.py", 0),
                    ]
                })
                .collect();
            for (i, result) in c.compile_many(&batch).into_iter().enumerate() {
                if i % 2 == 1 {
                    assert_eq!(result.unwrap(), expected, "{label}: batch item {i}");
                }
            }
        }
        // The Rust source hash agrees with this version's importlib.
        let marshal = c.compile(&frozen, "frozen.py", 0).unwrap();
        let expected = Command::new(&python)
            .args([
                "-c",
                "import importlib.util, sys; sys.stdout.buffer.write(importlib.util.source_hash(sys.argv[1].encode()))",
            ])
            .arg(std::str::from_utf8(&frozen).unwrap())
            .output()
            .unwrap()
            .stdout;
        assert_eq!(&c.pyc_bytes(&marshal, &frozen)[8..16], &expected[..], "{label}");
    }
}

/// Slow (a minute or two per interpreter): the whole standard library of
/// `OXDIST_TEST_PYTHON` (default `python3`), compiled in sorted order with two
/// workers and in reverse order with one, must give identical bytes, and a
/// sample must match what a worker gives for the file alone. From 3.11 on the
/// sample must also match fresh `python -c` processes; before 3.11 marshal
/// sets FLAG_REF on an interned string only if something else in the process
/// holds it, so the compiling program's own names (site, py_compile,
/// compileall's process pool, our worker) change the bytes and no two
/// programs agree.
/// `cargo test -p oxdist --test bytecode -- --ignored`
#[test]
#[ignore]
fn whole_stdlib_is_independent_of_order_and_worker_count() {
    let python = PathBuf::from(std::env::var_os("OXDIST_TEST_PYTHON").unwrap_or_else(|| PYTHON.into()));
    let stdlib = Command::new(&python)
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
        .output()
        .unwrap()
        .stdout;
    let mut files = Vec::new();
    py_files(Path::new(String::from_utf8(stdlib).unwrap().trim()), &mut files);
    let sources: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(p).unwrap()))
        .collect();
    let forward: Vec<CompileRequest> = sources
        .iter()
        .map(|(name, source)| CompileRequest::new(&source[..], name.clone(), 0))
        .collect();
    let reverse: Vec<CompileRequest> = forward.iter().rev().cloned().collect();
    let mut compiler = BytecodeCompiler::new(&python, 2).unwrap();
    let a = comparable(compiler.compile_many(&forward));
    let mut b = comparable(BytecodeCompiler::new(&python, 1).unwrap().compile_many(&reverse));
    b.reverse();
    let differing: Vec<&str> = (0..a.len())
        .filter(|&i| a[i] != b[i])
        .map(|i| sources[i].0.as_str())
        .collect();
    assert!(differing.is_empty(), "{} files differ: {differing:?}", differing.len());
    let v = compiler.python_version();
    let plain_python_agrees = (v.major, v.minor) >= (3, 11);
    for i in (0..sources.len()).step_by(sources.len() / 25) {
        let (name, source) = &sources[i];
        let Ok(ours) = &a[i] else { continue };
        let alone = BytecodeCompiler::new(&python, 1)
            .unwrap()
            .compile(source, name, 0)
            .unwrap();
        assert!(ours == &alone, "{name}: differs from a fresh worker");
        if plain_python_agrees {
            assert!(
                ours == &reference_marshal_with(&python, source, name, 0),
                "{name}: differs from python -c"
            );
        }
    }
}

#[test]
fn compile_each_delivers_every_item_once_as_compile_many_would() {
    let files = stdlib_sample(60);
    let mut requests: Vec<CompileRequest> = files
        .iter()
        .map(|(name, source)| CompileRequest::new(&source[..], name.clone(), 1))
        .collect();
    requests.push(CompileRequest::new(&b"x = 1\n"[..], "bad_level.py", 9));
    let mut c = compiler(2);
    let expected = comparable(c.compile_many(&requests));
    let pyc = c.pyc_builder();
    let seen = std::sync::Mutex::new(vec![None; requests.len()]);
    let threads = std::sync::Mutex::new(std::collections::HashSet::new());
    c.compile_each(&requests, |i, result| {
        threads.lock().unwrap().insert(std::thread::current().id());
        let result = result
            .map(|marshal| pyc.pyc_bytes(&marshal, &requests[i].source))
            .map_err(|e| e.to_string());
        let mut seen = seen.lock().unwrap();
        assert!(seen[i].is_none(), "item {i} delivered twice");
        seen[i] = Some(result);
    });
    let seen: Vec<_> = seen
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item delivered"))
        .collect();
    for (i, (got, want)) in seen.iter().zip(&expected).enumerate() {
        match (got, want) {
            (Ok(pyc), Ok(marshal)) => {
                assert_eq!(&pyc[16..], &marshal[..]);
                assert_eq!(pyc[..16], c.pyc_bytes(marshal, &requests[i].source)[..16]);
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{}: {got:?} vs {want:?}", requests[i].filename),
        }
    }
    assert!(matches!(seen.last(), Some(Err(e)) if e.contains("invalid optimization level 9")));
    assert!(
        threads.into_inner().unwrap().len() >= 2,
        "results come from the worker threads"
    );
}

/// Requests for `files` at every optimize level, plus one that does not compile.
fn cache_requests(files: &[(String, Vec<u8>)]) -> Vec<CompileRequest<'_>> {
    let mut requests: Vec<CompileRequest> = files
        .iter()
        .flat_map(|(name, source)| (0..3).map(move |level| CompileRequest::new(&source[..], name.clone(), level)))
        .collect();
    requests.push(CompileRequest::new(&b"def broken(:\n"[..], "broken.py", 0));
    requests
}

/// A compiler with its cache in `dir`.
fn cached_compiler(dir: &Path) -> BytecodeCompiler {
    let mut c = compiler(2);
    c.set_cache(BytecodeCache::new(dir));
    c
}

/// Every entry file of the cache in `dir`.
fn cache_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries = Vec::new();
    for shard in std::fs::read_dir(dir.join("v1")).unwrap() {
        for entry in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            entries.push(entry.unwrap().path());
        }
    }
    entries.sort();
    entries
}

#[test]
fn a_second_compile_comes_from_the_cache_with_the_same_bytes() {
    let files = stdlib_sample(40);
    let requests = cache_requests(&files);
    let uncached = comparable(compiler(2).compile_many(&requests));
    let failures = uncached.iter().filter(|r| r.is_err()).count();
    assert!(failures >= 1, "the broken request fails");
    let ok = requests.len() - failures;

    let dir = tempfile::tempdir().unwrap();
    let mut first = cached_compiler(dir.path());
    assert_eq!(comparable(first.compile_many(&requests)), uncached);
    assert_eq!(
        first.stats(),
        CompileStats {
            from_cache: 0,
            compiled: requests.len()
        }
    );
    assert_eq!(
        cache_entries(dir.path()).len(),
        ok,
        "one entry per compiled module and level"
    );

    // A new compiler (as in the next build) compiles only what failed:
    // errors are not cached.
    let mut second = cached_compiler(dir.path());
    assert_eq!(comparable(second.compile_many(&requests)), uncached);
    assert_eq!(
        second.stats(),
        CompileStats {
            from_cache: ok,
            compiled: failures
        }
    );
    // compile() uses it too.
    let (name, source) = &files[0];
    assert_eq!(comparable(vec![second.compile(source, name, 2)]), uncached[2..3]);
    assert_eq!(second.stats().from_cache, ok + 1);

    // The same source under another filename is another module.
    let before = second.stats().compiled;
    assert!(second.compile(source, "elsewhere.py", 0).is_ok());
    assert_eq!(second.stats().compiled, before + 1);
}

#[test]
fn damaged_cache_entries_are_recompiled_and_replaced() {
    let files = stdlib_sample(12);
    let requests = cache_requests(&files);
    let uncached = comparable(compiler(2).compile_many(&requests));
    let dir = tempfile::tempdir().unwrap();
    cached_compiler(dir.path()).compile_many(&requests);
    let entries = cache_entries(dir.path());
    assert!(entries.len() >= 30, "{} entries", entries.len());

    // Truncated, emptied, a flipped payload byte, a flipped header byte,
    // another entry's file: every kind of damage a crash or disk can do.
    let mut damaged = 0;
    for (i, entry) in entries.iter().enumerate().step_by(2) {
        let mut bytes = std::fs::read(entry).unwrap();
        match i / 2 % 5 {
            0 => bytes.truncate(bytes.len() - 7),
            1 => bytes.clear(),
            2 => *bytes.last_mut().unwrap() ^= 0x40,
            3 => bytes[12] ^= 1,
            _ => bytes = std::fs::read(&entries[(i + 1) % entries.len()]).unwrap(),
        }
        std::fs::write(entry, bytes).unwrap();
        damaged += 1;
    }
    let mut c = cached_compiler(dir.path());
    assert_eq!(
        comparable(c.compile_many(&requests)),
        uncached,
        "damage never reaches the output"
    );
    let failures = uncached.iter().filter(|r| r.is_err()).count();
    assert_eq!(c.stats().compiled, damaged + failures);

    // The recompiled results replaced the damaged entries.
    let mut again = cached_compiler(dir.path());
    assert_eq!(comparable(again.compile_many(&requests)), uncached);
    assert_eq!(again.stats().compiled, failures);
}
