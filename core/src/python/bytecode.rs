//! Compiling Python source to bytecode with the distribution's own interpreter.
//!
//! Bytecode, the marshal format and the `.pyc` magic number change with every
//! CPython minor version, so only the interpreter that will run the code can
//! compile it. Starting that interpreter once per file costs 15–30 ms, more
//! than compiling a typical module, so [`BytecodeCompiler`] keeps `workers`
//! long-lived `python -I -S -E -B -c <bytecode_worker.py>` processes and talks
//! to them over their stdin/stdout.
//!
//! # Protocol (version 2; `bytecode_worker.py` is the other side)
//!
//! All integers are little-endian.
//!
//! - Hello, once, worker → oxdist: `b"OXBC"`, `u32` length, then UTF-8 lines:
//!   protocol version, `sys.version_info` as `major.minor.micro.level.serial`,
//!   `importlib.util.MAGIC_NUMBER` in hex, `sys.implementation.cache_tag`
//!   (empty for none), `sys.implementation.name`, `sys.abiflags` (empty when
//!   missing), `sys.version` on one line, then `n:hex` lines giving
//!   `importlib.util.source_hash(bytes(range(n)))` (`n:-` when missing).
//! - Request, oxdist → worker: `u8` op (`b'C'`), `u8` optimize level,
//!   `u32` filename length, `u32` source length, filename (UTF-8), source.
//! - Response, worker → oxdist: `u8` status, `u32` length, payload. Status 0:
//!   payload is `marshal.dumps(code)`; 1: `SyntaxError`, payload is a `u32`
//!   line (0 = unknown) and the UTF-8 message; 2: another exception, payload
//!   is `"Type: message"`; 3 (retry): no answer, send this request again as
//!   the first one of a fresh worker. Bit `0x80` (retire) means the worker
//!   exits after this response (always set with 3); see "Determinism".
//!
//! The worker answers requests strictly in order, so oxdist only has to
//! remember which request each worker is working on.
//!
//! # Determinism
//!
//! `marshal.dumps(code)` for the same source, filename and optimize level is
//! not a pure function of the code object in CPython; what we found (CPython
//! 3.7–3.13, whole standard libraries compiled in different orders and with
//! different worker counts, compared with fresh processes):
//!
//! - `FLAG_REF` (bit `0x80` of a type byte) is set on an object iff its
//!   reference count is above one while it is written (python/cpython#78274
//!   and #98819, still open). For the top-level code object that is whatever
//!   the caller holds: `marshal.dumps(compile(...))` starts with `0x63`,
//!   importlib/`py_compile` (so every `.pyc` in `__pycache__`) with `0xe3`. The
//!   worker holds two references, so it always matches importlib.
//! - Interned strings always get `FLAG_REF` since 3.11 (python/cpython#8226);
//!   before, only when something else holds them, and compiling can make
//!   modules hold them for good: a non-ASCII identifier imports `unicodedata`
//!   (its `normalize`, `decimal`, … then get `FLAG_REF` in later modules), a
//!   coding cookie imports a codec module.
//! - Strings are written as interned or not according to the object's state.
//!   One-character latin-1 strings are process-wide singletons that CPython
//!   < 3.13 interns for good the first time a module uses one as an
//!   identifier (`ä = 1`), which changes every later constant `"ä"`.
//! - In 3.12 interned strings are immortal; a frozenset constant shared by two
//!   functions of a module (ftplib.py) is written once plus a reference the
//!   first time the module is compiled in a process and twice afterwards.
//! - Before 3.11, frozenset constants (`x in {"a", "b"}`) are written in hash
//!   table order, i.e. depend on the string hash seed (python/cpython#27926
//!   sorted them in 3.11).
//!
//! Round-tripping through `marshal.loads` fixes none of this (loading interns
//! and shares the same way), and forking a fresh child per file costs 2.5×
//! the CPU. What we do instead: every answer is the one a fresh worker gives
//! for that request alone, whatever it compiled before. The worker retires
//! (exits after answering; oxdist starts a new one and re-sends what was in
//! flight) whenever a request changed the state that matters (interned
//! latin-1 singletons; before 3.11 also the loaded modules), and from 3.12 on
//! answers "retry" for the rare module whose output could depend on strings
//! interned by earlier requests (equal str frozensets that are distinct
//! objects), which oxdist then sends first to a fresh worker. Before 3.11
//! workers run with `PYTHONHASHSEED=0` (and every other `PYTHON*` variable
//! removed, `-s -S -B` instead of `-I`, which would ignore the seed). On the
//! standard library that costs a few worker restarts: 1 on 3.11, 6 on 3.12
//! and 3.13, 29 on 3.10 (where every module with a non-ASCII identifier
//! imports unicodedata).
//!
//! So the output depends only on the source, filename, optimize level and
//! interpreter (checked: whole standard libraries of 3.7–3.13 in opposite
//! orders with 1 and 2 workers). From 3.11 on it is also what CPython itself
//! writes: `python -m compileall --invalidation-mode unchecked-hash` gives
//! the same bytes for all 1773 compilable files of the 3.11 standard library.
//! Before 3.11 no two programs agree byte for byte (`FLAG_REF` on interned
//! strings depends on the names the compiling program itself holds: site,
//! py_compile, compileall's process pool, our worker), so there "what
//! CPython gives" means "what a fresh worker gives"; the code objects are of
//! course equal.
//!
//! `.pyc` files are PEP 552 hash-based and unchecked, so they carry no mtime;
//! see [`BytecodeCompiler::pyc_bytes`].
//!
//! Because the output is a function of those inputs, it can be cached:
//! with [`BytecodeCompiler::set_cache`] every request is first looked up in
//! a [`BytecodeCache`] (keyed by the inputs plus
//! [`BytecodeCompiler::cache_identity`]) and only misses reach a worker.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::bytecode_cache::{BytecodeCache, CacheKey};

/// The worker program, passed with `-c`.
const WORKER_SCRIPT: &str = include_str!("bytecode_worker.py");
const PROTOCOL_VERSION: u32 = 2;
const HELLO_MAGIC: &[u8; 4] = b"OXBC";
const OP_COMPILE: u8 = b'C';
const STATUS_OK: u8 = 0;
const STATUS_SYNTAX: u8 = 1;
const STATUS_ERROR: u8 = 2;
const STATUS_RETRY: u8 = 3;
const STATUS_RETIRE: u8 = 0x80;
/// Exit code of a worker that refuses the interpreter (Python < 3.7).
const EXIT_UNSUPPORTED: i32 = 3;
/// A cold start of a big interpreter on a loaded machine can take seconds; a
/// program that is not Python at all may wait on stdin forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a worker gets to exit after its stdin is closed before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for the end of a dead worker's stderr.
const STDERR_GRACE: Duration = Duration::from_millis(500);
/// How much of a worker's stderr is kept for [`BytecodeError::WorkerDied`].
const STDERR_TAIL: usize = 16 * 1024;
/// Requests queued per worker beyond the one it is compiling: one keeps it busy
/// while we read its last answer, more would only unbalance the end of a batch.
const QUEUED_PER_WORKER: usize = 1;

/// Why compiling failed.
#[derive(Debug, thiserror::Error)]
pub enum BytecodeError {
    /// The interpreter path does not exist.
    #[error("Python interpreter `{}` not found", path.display())]
    InterpreterNotFound {
        /// The path given to [`BytecodeCompiler::new`].
        path: PathBuf,
    },
    /// The interpreter exists but could not be started.
    #[error("cannot run Python interpreter `{}`: {source}", path.display())]
    Spawn {
        /// The path given to [`BytecodeCompiler::new`].
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The program started but did not behave like a Python running our worker.
    #[error("`{}` did not start a bytecode worker: {message}{}", path.display(), fmt_stderr(stderr))]
    Handshake {
        /// The path given to [`BytecodeCompiler::new`].
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// The end of what the program wrote to stderr.
        stderr: String,
    },
    /// A Python we cannot produce `.pyc` files for (before 3.7, or a
    /// `source_hash` we cannot reproduce).
    #[error("Python interpreter `{}` is not supported: {reason}", path.display())]
    Unsupported {
        /// The path given to [`BytecodeCompiler::new`].
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The source does not compile. Only this item fails; the worker lives on.
    #[error("{filename}:{}: {message}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Syntax {
        /// The filename given with the source.
        filename: String,
        /// 1-based line of the error, when Python knows it.
        line: Option<u32>,
        /// Python's message (prefixed with the class for `IndentationError`
        /// and `TabError`).
        message: String,
    },
    /// Compiling raised something other than `SyntaxError` (e.g. `ValueError`
    /// for NUL bytes before 3.12, `RecursionError`, `MemoryError`).
    #[error("cannot compile {filename}: {message}")]
    Compile {
        /// The filename given with the source.
        filename: String,
        /// `"ExceptionType: message"`.
        message: String,
    },
    /// Optimization levels are 0, 1 (no asserts) and 2 (no asserts, no docstrings).
    #[error("invalid optimization level {0} (expected 0, 1 or 2)")]
    InvalidOptimize(u8),
    /// The worker process exited (or was killed) while compiling this item.
    #[error("bytecode worker died{}", fmt_stderr(stderr))]
    WorkerDied {
        /// The end of the worker's stderr, then its exit status.
        stderr: String,
    },
    /// The worker sent something that does not follow the protocol.
    #[error("bytecode worker protocol error: {0}")]
    Protocol(String),
}

fn fmt_stderr(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("\n{}", stderr.trim_end())
    }
}

/// `sys.version_info` of the interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonVersion {
    /// 3 for Python 3.11.7.
    pub major: u32,
    /// 11 for Python 3.11.7.
    pub minor: u32,
    /// 7 for Python 3.11.7.
    pub micro: u32,
    /// `"alpha"`, `"beta"`, `"candidate"` or `"final"`.
    pub release_level: String,
    /// The number of the pre-release (0 for final releases).
    pub serial: u32,
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)?;
        match self.release_level.as_str() {
            "alpha" => write!(f, "a{}", self.serial),
            "beta" => write!(f, "b{}", self.serial),
            "candidate" => write!(f, "rc{}", self.serial),
            _ => Ok(()),
        }
    }
}

/// One item for [`BytecodeCompiler::compile_many`].
#[derive(Debug, Clone)]
pub struct CompileRequest<'a> {
    /// The source as bytes, so that coding cookies and BOMs are honoured.
    pub source: Cow<'a, [u8]>,
    /// The name compiled into the code objects (`co_filename`), shown in
    /// tracebacks.
    pub filename: String,
    /// 0, 1 (`-O`: no asserts, `__debug__` false) or 2 (`-OO`: also no docstrings).
    pub optimize: u8,
}

impl<'a> CompileRequest<'a> {
    /// A request for `source` (borrowed `&[u8]` or owned `Vec<u8>`).
    pub fn new(source: impl Into<Cow<'a, [u8]>>, filename: impl Into<String>, optimize: u8) -> Self {
        CompileRequest {
            source: source.into(),
            filename: filename.into(),
            optimize,
        }
    }
}

/// Compiles Python source with a distribution's own interpreter, in
/// long-lived worker processes. See the module documentation for the
/// protocol and what makes the output reproducible.
///
/// Dropping it closes the workers' stdin, which makes them exit.
pub struct BytecodeCompiler {
    spawner: Spawner,
    hash: SipHash,
    workers: Vec<Option<Worker>>,
    /// Where results are looked up and stored, with [`Self::cache_identity`].
    cache: Option<(BytecodeCache, [u8; 32])>,
    stats: CompileStats,
}

/// What a [`BytecodeCompiler`] has done since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompileStats {
    /// Requests answered from the [`BytecodeCache`], without a worker.
    pub from_cache: usize,
    /// Requests sent to a worker (whatever the outcome).
    pub compiled: usize,
}

impl fmt::Debug for BytecodeCompiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytecodeCompiler")
            .field("python_exe", &self.spawner.exe)
            .field("version", &self.spawner.hello.version)
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl BytecodeCompiler {
    /// Starts `workers` (at least one) worker processes of `python_exe` and
    /// checks that they speak our protocol.
    pub fn new(python_exe: &Path, workers: usize) -> Result<Self, BytecodeError> {
        let workers = workers.max(1);
        // One probe in the isolated mode tells us the version, which decides
        // how the others must be started.
        let mut probe = Worker::spawn(python_exe, Launch::Isolated)?;
        let hello = match probe.handshake(python_exe) {
            Ok(hello) => hello,
            // Python 2 and 3 before 3.4 have no -I; without it the worker
            // gets to run its version check and say why it refuses.
            Err(BytecodeError::Handshake { stderr, .. }) if stderr.contains("Unknown option: -I") => {
                let mut old = Worker::spawn(python_exe, Launch::Legacy)?;
                old.handshake(python_exe)?;
                return Err(BytecodeError::Unsupported {
                    path: python_exe.to_path_buf(),
                    reason: "it has no -I option (Python older than 3.4); oxdist needs Python 3.7 or newer".into(),
                });
            }
            Err(err) => return Err(err),
        };
        let version = &hello.version;
        if (version.major, version.minor) < (3, 7) {
            return Err(BytecodeError::Unsupported {
                path: python_exe.to_path_buf(),
                reason: format!("hash-based .pyc files (PEP 552) need Python 3.7 or newer; this is {version}"),
            });
        }
        let hash = SipHash::detect(&hello).ok_or_else(|| BytecodeError::Unsupported {
            path: python_exe.to_path_buf(),
            reason: "its importlib.util.source_hash is neither SipHash-1-3 nor SipHash-2-4 keyed with the magic number"
                .to_string(),
        })?;
        let launch = if hello.implementation == "cpython" && (version.major, version.minor) < (3, 11) {
            Launch::SeededHash
        } else {
            Launch::Isolated
        };
        let spawner = Spawner {
            exe: python_exe.to_path_buf(),
            launch,
            hello,
        };
        let mut slots = Vec::with_capacity(workers);
        if launch == Launch::Isolated {
            slots.push(Some(probe));
        } else {
            drop(probe);
        }
        // Start the rest together, then wait for each: start-up overlaps.
        let mut started = Vec::new();
        while slots.len() + started.len() < workers {
            started.push(Worker::spawn(python_exe, launch)?);
        }
        for mut worker in started {
            spawner.check(worker.handshake(python_exe)?)?;
            slots.push(Some(worker));
        }
        Ok(BytecodeCompiler {
            spawner,
            hash,
            workers: slots,
            cache: None,
            stats: CompileStats::default(),
        })
    }

    /// Looks every request up in `cache` before compiling it, and stores
    /// what the workers compile there. Output is the same with or without
    /// it: entries are keyed by everything the bytes depend on.
    pub fn set_cache(&mut self, cache: BytecodeCache) {
        let identity = self.cache_identity();
        self.cache = Some((cache, identity));
    }

    /// What the output depends on besides a request's own fields, hashed:
    /// the interpreter as its workers describe themselves (implementation,
    /// full version and build, magic number, cache tag, ABI flags), how the
    /// workers are started, the worker program and oxdist's version.
    pub fn cache_identity(&self) -> [u8; 32] {
        let hello = &self.spawner.hello;
        let description = format!(
            "oxdist {}\nprotocol {PROTOCOL_VERSION}\nlaunch {:?}\n{} {:?}\nmagic {:02x?}\ncache tag {:?}\nabiflags {:?}\nbuild {:?}\n",
            env!("CARGO_PKG_VERSION"),
            self.spawner.launch,
            hello.implementation,
            hello.version,
            hello.magic,
            hello.cache_tag,
            hello.abiflags,
            hello.build,
        );
        let mut hasher = Sha256::new();
        hasher.update(description.as_bytes());
        hasher.update(WORKER_SCRIPT.as_bytes());
        hasher.finalize().into()
    }

    /// Counts of what was compiled and what came from the cache.
    pub fn stats(&self) -> CompileStats {
        self.stats
    }

    /// The cache key of `(source, filename, optimize)`, when a cache is set.
    fn cache_key(&self, source: &[u8], filename: &str, optimize: u8) -> Option<CacheKey> {
        let (_, identity) = self.cache.as_ref()?;
        Some(BytecodeCache::key(identity, optimize, filename, source))
    }

    /// The interpreter the workers run.
    pub fn python_exe(&self) -> &Path {
        &self.spawner.exe
    }

    /// The interpreter's `sys.version_info`.
    pub fn python_version(&self) -> &PythonVersion {
        &self.spawner.hello.version
    }

    /// `importlib.util.MAGIC_NUMBER`: the first four bytes of its `.pyc` files.
    pub fn magic_number(&self) -> [u8; 4] {
        self.spawner.hello.magic
    }

    /// `sys.implementation.cache_tag` (e.g. `cpython-311`), which names files
    /// in `__pycache__`; `None` when the interpreter disables the cache.
    pub fn cache_tag(&self) -> Option<&str> {
        self.spawner.hello.cache_tag.as_deref()
    }

    /// How many worker processes [`Self::compile_many`] spreads work over.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Compiles one module: `marshal.dumps(compile(source, filename, "exec",
    /// dont_inherit=True, optimize=optimize))` as importlib writes it after
    /// the `.pyc` header (byte for byte from 3.11 on; see "Determinism" in
    /// the module documentation for older versions).
    pub fn compile(&mut self, source: &[u8], filename: &str, optimize: u8) -> Result<Vec<u8>, BytecodeError> {
        if optimize > 2 {
            return Err(BytecodeError::InvalidOptimize(optimize));
        }
        let key = self.cache_key(source, filename, optimize);
        if let Some(marshal) = key.as_ref().and_then(|k| self.cache.as_ref()?.0.get(k)) {
            self.stats.from_cache += 1;
            return Ok(marshal);
        }
        self.stats.compiled += 1;
        let result = self.compile_uncached(source, filename, optimize);
        remember(self.cache.as_ref().map(|(c, _)| c), key.as_ref(), &result);
        result
    }

    fn compile_uncached(&mut self, source: &[u8], filename: &str, optimize: u8) -> Result<Vec<u8>, BytecodeError> {
        // A worker that answers "retry" exits; its replacement is fresh and
        // never asks for a retry of its first request.
        for _attempt in 0..2 {
            let slot = &mut self.workers[0];
            let worker = match slot {
                Some(worker) => worker,
                None => slot.insert(self.spawner.spawn()?),
            };
            let answer = match worker.stdin.as_mut() {
                Some(stdin) => {
                    write_request(stdin, filename, source, optimize).and_then(|()| read_response(&mut worker.stdout))
                }
                None => Err(io::ErrorKind::BrokenPipe.into()),
            };
            match answer {
                Ok(response) => {
                    if response.retire {
                        *slot = None;
                    }
                    if response.status != STATUS_RETRY {
                        return response.into_result(filename);
                    }
                }
                Err(err) => {
                    let mut worker = slot.take().expect("worker present");
                    return Err(worker.died(&err));
                }
            }
        }
        Err(BytecodeError::Protocol(format!(
            "a fresh worker asked to retry {filename}"
        )))
    }

    /// Compiles every request, spread over all workers, and returns the
    /// results in request order. Each worker has a writer thread feeding it
    /// while this side reads its answers, so neither pipe can fill up while we
    /// wait on the other; a worker that dies fails only the item it was
    /// compiling and is replaced.
    pub fn compile_many(&mut self, requests: &[CompileRequest<'_>]) -> Vec<Result<Vec<u8>, BytecodeError>> {
        type Slot = Mutex<Option<Result<Vec<u8>, BytecodeError>>>;
        let results: Vec<Slot> = requests.iter().map(|_| Mutex::new(None)).collect();
        self.compile_each(requests, |i, result| {
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        });
        results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .expect("compile_each delivers every item")
            })
            .collect()
    }

    /// [`Self::compile_many`] that hands each result to `on_result(index,
    /// result)` as soon as it arrives instead of collecting them, so callers
    /// can write or archive output while the workers compile. `on_result` is
    /// called exactly once per request, from several threads, in completion
    /// order. Use a [`PycBuilder`] (from [`Self::pyc_builder`]) to make `.pyc`
    /// files inside it.
    ///
    /// Larger sources are sent first, so that the batch does not end with one
    /// worker compiling a big module while the others idle; the output does
    /// not depend on the order (see the module documentation).
    pub fn compile_each<F>(&mut self, requests: &[CompileRequest<'_>], on_result: F)
    where
        F: Fn(usize, Result<Vec<u8>, BytecodeError>) + Sync,
    {
        let delivered: Vec<AtomicBool> = requests.iter().map(|_| AtomicBool::new(false)).collect();
        let deliver = |i: usize, result| {
            delivered[i].store(true, Ordering::Relaxed);
            on_result(i, result);
        };
        let keys: Vec<Option<CacheKey>> = requests
            .iter()
            .map(|r| self.cache_key(&r.source, &r.filename, r.optimize))
            .collect();
        let mut todo: Vec<usize> = Vec::with_capacity(requests.len());
        for (i, request) in requests.iter().enumerate() {
            if request.optimize > 2 {
                deliver(i, Err(BytecodeError::InvalidOptimize(request.optimize)));
            } else if let Some(marshal) = keys[i].as_ref().and_then(|k| self.cache.as_ref()?.0.get(k)) {
                self.stats.from_cache += 1;
                deliver(i, Ok(marshal));
            } else {
                todo.push(i);
            }
        }
        self.stats.compiled += todo.len();
        let cache = self.cache.as_ref().map(|(c, _)| c);
        let deliver = |i: usize, result: Result<Vec<u8>, BytecodeError>| {
            remember(cache, keys[i].as_ref(), &result);
            deliver(i, result);
        };
        todo.sort_by_key(|&i| std::cmp::Reverse(requests[i].source.len()));
        let queue = Mutex::new(VecDeque::from(todo));
        let spawner = &self.spawner;
        let deliver = &deliver;
        let spawn_errors: Vec<Option<String>> = thread::scope(|s| {
            let handles: Vec<_> = self
                .workers
                .iter_mut()
                .map(|slot| {
                    let queue = &queue;
                    s.spawn(move || run_lane(slot, spawner, requests, queue, deliver))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("bytecode lane panicked"))
                .collect()
        });
        // Left over only if no worker could be (re)started.
        let spawn_error = spawn_errors.into_iter().flatten().next();
        for (i, done) in delivered.iter().enumerate() {
            if !done.load(Ordering::Relaxed) {
                on_result(
                    i,
                    Err(BytecodeError::WorkerDied {
                        stderr: format!(
                            "no bytecode worker could be started: {}",
                            spawn_error.as_deref().unwrap_or("unknown error")
                        ),
                    }),
                );
            }
        }
    }

    /// What [`Self::pyc_bytes`] needs, detached from the compiler (it is
    /// `Copy`), e.g. for use inside [`Self::compile_each`].
    pub fn pyc_builder(&self) -> PycBuilder {
        PycBuilder {
            magic: self.spawner.hello.magic,
            hash: self.hash,
        }
    }

    /// `importlib.util.source_hash(source)`: SipHash keyed with the magic
    /// number (SipHash-2-4 before 3.11, SipHash-1-3 since), computed here;
    /// [`Self::new`] checks it against the interpreter's own on test inputs.
    pub fn source_hash(&self, source: &[u8]) -> [u8; 8] {
        self.pyc_builder().source_hash(source)
    }

    /// A complete `.pyc` file for `marshal` (from [`Self::compile`]) compiled
    /// from `source`: PEP 552 header with flags `0b01` (hash-based, unchecked)
    /// and the source hash, so no mtime leaks in and the import system never
    /// re-reads the source to validate it.
    pub fn pyc_bytes(&self, marshal: &[u8], source: &[u8]) -> Vec<u8> {
        self.pyc_builder().pyc_bytes(marshal, source)
    }
}

/// Stores a successful result. Failing to is not an error: the cache only
/// saves time, and the next build compiles again.
fn remember(cache: Option<&BytecodeCache>, key: Option<&CacheKey>, result: &Result<Vec<u8>, BytecodeError>) {
    if let (Some(cache), Some(key), Ok(marshal)) = (cache, key, result) {
        let _ = cache.store(key, marshal);
    }
}

/// Makes `.pyc` files for one interpreter; see [`BytecodeCompiler::pyc_builder`].
#[derive(Debug, Clone, Copy)]
pub struct PycBuilder {
    magic: [u8; 4],
    hash: SipHash,
}

impl PycBuilder {
    /// See [`BytecodeCompiler::source_hash`].
    pub fn source_hash(&self, source: &[u8]) -> [u8; 8] {
        self.hash.hash(source).to_le_bytes()
    }

    /// See [`BytecodeCompiler::pyc_bytes`].
    pub fn pyc_bytes(&self, marshal: &[u8], source: &[u8]) -> Vec<u8> {
        let mut pyc = Vec::with_capacity(16 + marshal.len());
        pyc.extend_from_slice(&self.magic);
        pyc.extend_from_slice(&1u32.to_le_bytes());
        pyc.extend_from_slice(&self.source_hash(source));
        pyc.extend_from_slice(marshal);
        pyc
    }
}

impl Drop for BytecodeCompiler {
    fn drop(&mut self) {
        // Close every stdin first so that the workers exit in parallel; each
        // Worker's own drop then waits for it.
        for worker in self.workers.iter_mut().flatten() {
            worker.stdin.take();
        }
    }
}

/// How workers are started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Launch {
    /// `-I -S -E -B`: no site, no user site, no `PYTHON*` variables, no
    /// script directory on `sys.path`, no `.pyc` writing for the worker itself.
    Isolated,
    /// For CPython < 3.11, whose marshal writes frozensets in hash order:
    /// `-s -S -B` with `PYTHONHASHSEED=0` and no other `PYTHON*` variables
    /// (`-E`/`-I` would ignore the seed too).
    SeededHash,
    /// `-E -s -S -B`, only to let Python 2 tell us its version.
    Legacy,
}

/// What a worker told us at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hello {
    version: PythonVersion,
    magic: [u8; 4],
    cache_tag: Option<String>,
    implementation: String,
    /// `sys.abiflags` (`t` free-threaded, `d` debug; empty on most builds).
    abiflags: String,
    /// `sys.version`: version, build date and compiler.
    build: String,
    /// `(n, importlib.util.source_hash(bytes(range(n))))`, `None` if missing.
    hash_vectors: Vec<(usize, Option<[u8; 8]>)>,
}

impl Hello {
    fn parse(payload: &[u8]) -> Result<Hello, String> {
        let text = std::str::from_utf8(payload).map_err(|e| format!("hello is not UTF-8: {e}"))?;
        let mut lines = text.split('\n');
        let mut next = |what: &str| lines.next().ok_or_else(|| format!("hello has no {what}"));
        let protocol = next("protocol version")?;
        if protocol != PROTOCOL_VERSION.to_string() {
            return Err(format!(
                "worker speaks protocol {protocol:?}, expected {PROTOCOL_VERSION}"
            ));
        }
        let version = next("version")?;
        let parts: Vec<&str> = version.split('.').collect();
        let num = |s: &str| s.parse::<u32>().map_err(|_| format!("bad version {version:?}"));
        let version = match parts.as_slice() {
            [major, minor, micro, level, serial] => PythonVersion {
                major: num(major)?,
                minor: num(minor)?,
                micro: num(micro)?,
                release_level: level.to_string(),
                serial: num(serial)?,
            },
            _ => return Err(format!("bad version {version:?}")),
        };
        let magic_hex = next("magic number")?;
        let magic = parse_hex(magic_hex)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or_else(|| format!("bad magic number {magic_hex:?}"))?;
        let cache_tag = Some(next("cache tag")?.to_string()).filter(|t| !t.is_empty());
        let implementation = next("implementation")?.to_string();
        let abiflags = next("abiflags")?.to_string();
        let build = next("sys.version")?.to_string();
        let mut hash_vectors = Vec::new();
        for line in lines {
            let bad = || format!("bad source hash line {line:?}");
            let (n, hex) = line.split_once(':').ok_or_else(bad)?;
            let n = n.parse::<usize>().map_err(|_| bad())?;
            let hash = if hex == "-" {
                None
            } else {
                Some(
                    parse_hex(hex)
                        .and_then(|b| <[u8; 8]>::try_from(b).ok())
                        .ok_or_else(bad)?,
                )
            };
            hash_vectors.push((n, hash));
        }
        Ok(Hello {
            version,
            magic,
            cache_tag,
            implementation,
            abiflags,
            build,
            hash_vectors,
        })
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Starts replacement workers and checks they are the same interpreter.
struct Spawner {
    exe: PathBuf,
    launch: Launch,
    hello: Hello,
}

impl Spawner {
    fn spawn(&self) -> Result<Worker, BytecodeError> {
        let mut worker = Worker::spawn(&self.exe, self.launch)?;
        self.check(worker.handshake(&self.exe)?)?;
        Ok(worker)
    }

    /// A path can be replaced while we run (e.g. a venv rebuilt); mixing two
    /// interpreters' bytecode in one build would be worse than failing.
    fn check(&self, hello: Hello) -> Result<(), BytecodeError> {
        if hello == self.hello {
            Ok(())
        } else {
            Err(BytecodeError::Handshake {
                path: self.exe.clone(),
                message: format!(
                    "a new worker reports Python {} (magic {:02x?}), the first one {} (magic {:02x?})",
                    hello.version, hello.magic, self.hello.version, self.hello.magic
                ),
                stderr: String::new(),
            })
        }
    }
}

/// One worker process.
struct Worker {
    child: Child,
    /// `None` once closed (which tells the worker to exit).
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
    /// Set once the process has been waited for.
    exit: Option<String>,
}

impl Worker {
    fn spawn(exe: &Path, launch: Launch) -> Result<Worker, BytecodeError> {
        let mut command = Command::new(exe);
        match launch {
            Launch::Isolated => {
                command.args(["-I", "-S", "-E", "-B"]);
            }
            Launch::Legacy => {
                command.args(["-E", "-s", "-S", "-B"]);
            }
            Launch::SeededHash => {
                command.args(["-s", "-S", "-B"]);
                for (name, _) in std::env::vars_os() {
                    if name.to_string_lossy().starts_with("PYTHON") {
                        command.env_remove(name);
                    }
                }
                command.env("PYTHONHASHSEED", "0");
            }
        }
        command.arg("-c").arg(WORKER_SCRIPT);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                BytecodeError::InterpreterNotFound {
                    path: exe.to_path_buf(),
                }
            } else {
                BytecodeError::Spawn {
                    path: exe.to_path_buf(),
                    source,
                }
            }
        })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::with_capacity(64 * 1024, child.stdout.take().expect("piped stdout"));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        // Drained continuously: a worker blocked on a full stderr pipe would
        // stall everything; only the tail is kept, for error messages.
        let stderr_thread = child.stderr.take().map(|mut pipe| {
            let tail = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    tail.extend_from_slice(&buf[..n]);
                    if tail.len() > STDERR_TAIL {
                        let excess = tail.len() - STDERR_TAIL;
                        tail.drain(..excess);
                    }
                }
            })
        });
        Ok(Worker {
            child,
            stdin,
            stdout,
            stderr,
            stderr_thread,
            exit: None,
        })
    }

    /// Reads the hello, giving up (and killing the process) after
    /// [`HANDSHAKE_TIMEOUT`] in case the program is not Python and waits on stdin.
    fn handshake(&mut self, exe: &Path) -> Result<Hello, BytecodeError> {
        let Worker { child, stdout, .. } = self;
        let result = thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            s.spawn(move || {
                let _ = tx.send(read_hello(stdout));
            });
            match rx.recv_timeout(HANDSHAKE_TIMEOUT) {
                Ok(result) => result,
                Err(_) => {
                    // Unblocks the reader, which the scope joins.
                    let _ = child.kill();
                    Err(format!("no answer within {} s", HANDSHAKE_TIMEOUT.as_secs()))
                }
            }
        });
        result.map_err(|message| {
            self.stdin.take();
            let code = self.wait();
            let stderr = self.stderr_text();
            if code == Some(EXIT_UNSUPPORTED) {
                BytecodeError::Unsupported {
                    path: exe.to_path_buf(),
                    reason: stderr.trim().to_string(),
                }
            } else {
                let status = self.exit.as_deref().unwrap_or("unknown exit status");
                BytecodeError::Handshake {
                    path: exe.to_path_buf(),
                    message: format!("{message} ({status})"),
                    stderr,
                }
            }
        })
    }

    /// Waits for the process to exit (killing it after [`EXIT_GRACE`]) and
    /// returns its exit code. Idempotent.
    fn wait(&mut self) -> Option<i32> {
        if self.exit.is_none() {
            let deadline = Instant::now() + EXIT_GRACE;
            let mut pause = Duration::from_millis(1);
            let status = loop {
                match self.child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() < deadline => {
                        thread::sleep(pause);
                        pause = (pause * 2).min(Duration::from_millis(50));
                    }
                    Ok(None) => {
                        let _ = self.child.kill();
                        break self.child.wait().ok();
                    }
                    Err(_) => break None,
                }
            };
            self.exit = Some(status.map_or_else(|| "unknown exit status".to_string(), |s| s.to_string()));
            // The process is gone, so its stderr is at end of file, unless a
            // child of a wrapper script inherited it; then we stop waiting.
            if let Some(thread) = self.stderr_thread.take() {
                let deadline = Instant::now() + STDERR_GRACE;
                while !thread.is_finished() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
                if thread.is_finished() {
                    let _ = thread.join();
                }
            }
            return status.and_then(|s| s.code());
        }
        None
    }

    fn stderr_text(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail).into_owned()
    }

    /// The error for the item this worker was compiling when `err` (an I/O
    /// failure or protocol violation on its pipes) happened.
    fn died(&mut self, err: &io::Error) -> BytecodeError {
        self.stdin.take();
        self.wait();
        let status = self.exit.as_deref().unwrap_or("unknown exit status");
        let mut stderr = self.stderr_text();
        if !stderr.is_empty() && !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        if err.kind() == io::ErrorKind::InvalidData {
            stderr.push_str(&format!("[protocol error: {err}]\n"));
        }
        stderr.push_str(&format!("[worker {status}]"));
        BytecodeError::WorkerDied { stderr }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stdin.take();
        self.wait();
    }
}

fn read_hello(stdout: &mut BufReader<ChildStdout>) -> Result<Hello, String> {
    let mut head = [0u8; 8];
    stdout.read_exact(&mut head).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => "it exited before saying hello".to_string(),
        _ => format!("cannot read its output: {e}"),
    })?;
    if &head[..4] != HELLO_MAGIC {
        return Err(format!("unexpected output {:?}", String::from_utf8_lossy(&head)));
    }
    let len = u32::from_le_bytes(head[4..].try_into().expect("4 bytes")) as usize;
    if len > 64 * 1024 {
        return Err(format!("hello of {len} bytes"));
    }
    let mut payload = vec![0u8; len];
    stdout
        .read_exact(&mut payload)
        .map_err(|e| format!("truncated hello: {e}"))?;
    Hello::parse(&payload)
}

fn write_request(stdin: &mut ChildStdin, filename: &str, source: &[u8], optimize: u8) -> io::Result<()> {
    let too_big = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{what} larger than 4 GiB"));
    let name_len = u32::try_from(filename.len()).map_err(|_| too_big("filename"))?;
    let source_len = u32::try_from(source.len()).map_err(|_| too_big("source"))?;
    let mut head = Vec::with_capacity(10 + filename.len());
    head.push(OP_COMPILE);
    head.push(optimize);
    head.extend_from_slice(&name_len.to_le_bytes());
    head.extend_from_slice(&source_len.to_le_bytes());
    head.extend_from_slice(filename.as_bytes());
    // Two writes, no copy of the source; the worker reads with os.read, so
    // the split costs nothing on its side.
    stdin.write_all(&head)?;
    stdin.write_all(source)
}

/// One answer from a worker.
struct Response {
    status: u8,
    retire: bool,
    payload: Vec<u8>,
}

impl Response {
    fn into_result(self, filename: &str) -> Result<Vec<u8>, BytecodeError> {
        match self.status {
            STATUS_OK => Ok(self.payload),
            STATUS_SYNTAX => {
                let line = u32::from_le_bytes(self.payload[..4].try_into().expect("checked in read_response"));
                Err(BytecodeError::Syntax {
                    filename: filename.to_string(),
                    line: Some(line).filter(|&l| l > 0),
                    message: String::from_utf8_lossy(&self.payload[4..]).into_owned(),
                })
            }
            STATUS_ERROR => Err(BytecodeError::Compile {
                filename: filename.to_string(),
                message: String::from_utf8_lossy(&self.payload).into_owned(),
            }),
            other => Err(BytecodeError::Protocol(format!(
                "unexpected status {other} for {filename}"
            ))),
        }
    }
}

/// Reads one response; end of file or garbage is an error (the caller treats
/// either as the worker's death).
fn read_response(stdout: &mut BufReader<ChildStdout>) -> io::Result<Response> {
    let mut head = [0u8; 5];
    stdout.read_exact(&mut head)?;
    let status = head[0] & !STATUS_RETIRE;
    let len = u32::from_le_bytes(head[1..].try_into().expect("4 bytes")) as usize;
    if status > STATUS_RETRY || (status == STATUS_SYNTAX && len < 4) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad response header {head:02x?}"),
        ));
    }
    let mut payload = vec![0u8; len];
    stdout.read_exact(&mut payload)?;
    Ok(Response {
        status,
        retire: head[0] & STATUS_RETIRE != 0,
        payload,
    })
}

/// Where a lane hands results.
type Deliver<'a> = &'a (dyn Fn(usize, Result<Vec<u8>, BytecodeError>) + Sync);

/// How a session with one worker process ended.
enum SessionEnd {
    /// No work left; the worker is fine.
    Drained,
    /// The worker finished a request and exited on purpose.
    Retired,
    /// The worker exited without answering item `item`, which must be the
    /// first request of a fresh worker.
    RetryFresh { item: usize },
    /// Reading an answer failed (the worker died or broke the protocol)
    /// while it was compiling item `culprit`.
    Died { culprit: usize, error: io::Error },
}

/// Feeds one worker slot from the shared queue until the queue is empty,
/// replacing the worker whenever it retires or dies. Returns why it gave up
/// early, if it could not start a worker.
fn run_lane(
    slot: &mut Option<Worker>,
    spawner: &Spawner,
    requests: &[CompileRequest<'_>],
    queue: &Mutex<VecDeque<usize>>,
    deliver: Deliver<'_>,
) -> Option<String> {
    // An item a worker asked to retry: the next (fresh) worker's first request.
    let mut first = None;
    loop {
        if first.is_none() && queue.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
            return None;
        }
        let worker = match slot {
            Some(worker) => worker,
            None => match spawner.spawn() {
                Ok(worker) => slot.insert(worker),
                Err(err) => {
                    // The other lanes take over the queue.
                    if let Some(i) = first.take() {
                        queue.lock().unwrap_or_else(|e| e.into_inner()).push_front(i);
                    }
                    return Some(err.to_string());
                }
            },
        };
        match run_session(worker, first.take(), requests, queue, deliver) {
            SessionEnd::Drained => return None,
            SessionEnd::Retired => *slot = None,
            SessionEnd::RetryFresh { item } => {
                *slot = None;
                first = Some(item);
            }
            SessionEnd::Died { culprit, error } => {
                let mut worker = slot.take().expect("worker present");
                deliver(culprit, Err(worker.died(&error)));
            }
        }
    }
}

/// Pipelines requests through one live worker: a writer thread writes `first`
/// (if any) and then items from the queue to its stdin (at most
/// [`QUEUED_PER_WORKER`] ahead of the answers) while this thread reads the
/// answers. Items written but not answered when the worker stops are put back
/// on the queue, except the one it died on or asked to retry.
fn run_session(
    worker: &mut Worker,
    first: Option<usize>,
    requests: &[CompileRequest<'_>],
    queue: &Mutex<VecDeque<usize>>,
    deliver: Deliver<'_>,
) -> SessionEnd {
    let requeue = |i: usize| queue.lock().unwrap_or_else(|e| e.into_inner()).push_front(i);
    let Some(stdin) = worker.stdin.as_mut() else {
        if let Some(i) = first {
            requeue(i);
        }
        return SessionEnd::Retired;
    };
    let stdout = &mut worker.stdout;
    let stop = AtomicBool::new(false);
    let mut first = first;
    let mut pop = move || {
        first
            .take()
            .or_else(|| queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front())
    };
    // The channel carries the indices in the order they were written, which
    // is the order the worker answers in.
    let (tx, rx) = mpsc::sync_channel::<usize>(QUEUED_PER_WORKER);
    thread::scope(|s| {
        let stop = &stop;
        s.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Some(i) = pop() else { break };
                if tx.send(i).is_err() {
                    requeue(i);
                    break;
                }
                let r = &requests[i];
                if write_request(stdin, &r.filename, &r.source, r.optimize).is_err() {
                    // The reader will find the worker gone.
                    break;
                }
            }
        });
        let mut end = SessionEnd::Drained;
        while let Ok(i) = rx.recv() {
            match read_response(stdout) {
                Ok(response) if response.status == STATUS_RETRY => {
                    end = SessionEnd::RetryFresh { item: i };
                    break;
                }
                Ok(response) => {
                    let retire = response.retire;
                    deliver(i, response.into_result(&requests[i].filename));
                    if retire {
                        end = SessionEnd::Retired;
                        break;
                    }
                }
                Err(error) => {
                    end = SessionEnd::Died { culprit: i, error };
                    break;
                }
            }
        }
        if !matches!(end, SessionEnd::Drained) {
            // Unblocks a writer waiting on the channel; it then finds `stop`
            // set or its pipe broken, and hangs up.
            stop.store(true, Ordering::Relaxed);
            for i in rx.iter() {
                requeue(i);
            }
        }
        end
    })
}

/// CPython's keyed hash for `.pyc` source hashes (`_Py_KeyedHash`):
/// SipHash-c-d with k0 = the magic number as a little-endian integer, k1 = 0.
#[derive(Debug, Clone, Copy)]
struct SipHash {
    c_rounds: usize,
    d_rounds: usize,
    k0: u64,
}

impl SipHash {
    /// The variant that reproduces every test vector of the hello, if any.
    fn detect(hello: &Hello) -> Option<SipHash> {
        let k0 = u64::from(u32::from_le_bytes(hello.magic));
        if hello.hash_vectors.is_empty() {
            return None;
        }
        [(1, 3), (2, 4)]
            .into_iter()
            .map(|(c_rounds, d_rounds)| SipHash { c_rounds, d_rounds, k0 })
            .find(|h| {
                hello.hash_vectors.iter().all(|(n, expected)| {
                    let input: Vec<u8> = (0..*n).map(|i| i as u8).collect();
                    *expected == Some(h.hash(&input).to_le_bytes())
                })
            })
    }

    fn hash(&self, data: &[u8]) -> u64 {
        siphash(self.c_rounds, self.d_rounds, self.k0, 0, data)
    }
}

/// SipHash-c-d (Aumasson & Bernstein), as in CPython's Python/pyhash.c.
fn siphash(c_rounds: usize, d_rounds: usize, k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let rounds = |v: &mut [u64; 4], n: usize| {
        for _ in 0..n {
            v[0] = v[0].wrapping_add(v[1]);
            v[1] = v[1].rotate_left(13) ^ v[0];
            v[0] = v[0].rotate_left(32);
            v[2] = v[2].wrapping_add(v[3]);
            v[3] = v[3].rotate_left(16) ^ v[2];
            v[0] = v[0].wrapping_add(v[3]);
            v[3] = v[3].rotate_left(21) ^ v[0];
            v[2] = v[2].wrapping_add(v[1]);
            v[1] = v[1].rotate_left(17) ^ v[2];
            v[2] = v[2].rotate_left(32);
        }
    };
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let m = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        v[3] ^= m;
        rounds(&mut v, c_rounds);
        v[0] ^= m;
    }
    let mut last = (data.len() as u64) << 56;
    for (i, &b) in chunks.remainder().iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    v[3] ^= last;
    rounds(&mut v, c_rounds);
    v[0] ^= last;
    v[2] ^= 0xff;
    rounds(&mut v, d_rounds);
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash24_paper_vector() {
        // Appendix A of the SipHash paper: key 00..0f, message 00..0e.
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let message: Vec<u8> = (0..15).collect();
        assert_eq!(siphash(2, 4, k0, k1, &message), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn hello_parses() {
        let hello = Hello::parse(
            b"2\n3.12.0.candidate.2\ncb0d0d0a\ncpython-312\ncpython\n\n3.12.0rc2 (main) [GCC]\n0:0011223344556677\n1:-",
        )
        .unwrap();
        assert_eq!(hello.version.to_string(), "3.12.0rc2");
        assert_eq!(hello.magic, [0xcb, 0x0d, 0x0d, 0x0a]);
        assert_eq!(hello.cache_tag.as_deref(), Some("cpython-312"));
        assert_eq!(hello.abiflags, "");
        assert_eq!(hello.build, "3.12.0rc2 (main) [GCC]");
        assert_eq!(hello.hash_vectors[1], (1, None));
        assert!(Hello::parse(b"1\n3.12.0.final.0").is_err());
    }
}
