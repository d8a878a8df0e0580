//! Benchmark of the packed-resources reader on a stdlib-sized blob.
//!
//! Builds a blob with a `b0:` and an `s:` entry per `.py` file of the host
//! Python's stdlib (names from paths; `site-packages` skipped). The `b0:`
//! payload is the matching `__pycache__/*.pyc` minus its 16-byte header when
//! one exists (real marshal data), else the source bytes. Then it reports the median time of
//! `PackedResources::parse` and of `parse` + 1,000 random `get`s, with the
//! blob size and entry count; then the same for a blob whose entries are
//! each zstd-compressed.
//!
//! ```text
//! cargo run --release -p oxdist-embed --example index_bench -- [--iterations N] [--zstd-level L] [--python PATH]
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use oxdist_embed::format::{EntryFlags, EntryKind, PackedResources, PackedResourcesBuilder};

const GETS: usize = 1_000;

struct Module {
    name: String,
    package: bool,
    bytecode: Option<Vec<u8>>,
    source: Vec<u8>,
}

impl Module {
    fn code(&self) -> &[u8] {
        self.bytecode.as_deref().unwrap_or(&self.source)
    }
}

struct Args {
    iterations: usize,
    zstd_level: i32,
    python: String,
}

fn parse_args() -> Args {
    let mut args = Args {
        iterations: 500,
        zstd_level: 3,
        python: "python3".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--iterations" => args.iterations = value().parse().expect("--iterations N"),
            "--zstd-level" => args.zstd_level = value().parse().expect("--zstd-level L"),
            "--python" => args.python = value(),
            other => panic!("unknown argument {other}; see the example's doc comment"),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let (stdlib, magic, cache_tag) = probe(&args.python);
    println!("stdlib: {} ({cache_tag}, magic {magic:02x?})", stdlib.display());

    let mut files = Vec::new();
    walk(&stdlib, &stdlib, &mut files);
    files.sort();
    println!(".py files found: {}", files.len());

    let mut modules = Vec::new();
    for rel in &files {
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let stem = rel_str.strip_suffix(".py").expect(".py");
        let (name, package) = match stem.strip_suffix("/__init__") {
            Some(pkg) => (pkg.replace('/', "."), true),
            None if stem == "__init__" => continue,
            None => (stem.replace('/', "."), false),
        };
        let path = stdlib.join(rel);
        let source = std::fs::read(&path).expect("read .py");
        // Real marshal data when the stdlib was compiled at install time.
        let pyc = path.parent().expect("parent").join("__pycache__").join(format!(
            "{}.{cache_tag}.pyc",
            path.file_stem().expect("stem").to_string_lossy()
        ));
        let bytecode = std::fs::read(pyc)
            .ok()
            .filter(|b| b.len() > 16)
            .map(|b| b[16..].to_vec());
        modules.push(Module {
            name,
            package,
            bytecode,
            source,
        });
    }
    let with_pyc = modules.iter().filter(|m| m.bytecode.is_some()).count();

    // Plain blob.
    let t = Instant::now();
    let mut b = PackedResourcesBuilder::new(magic, &cache_tag).expect("builder");
    let mut skipped = 0;
    for m in &modules {
        let flags = if m.package {
            EntryFlags::IS_PACKAGE
        } else {
            EntryFlags::NONE
        };
        if b.add(EntryKind::Bytecode0, &m.name, flags, m.code().to_vec()).is_err()
            || b.add(EntryKind::Source, &m.name, flags, m.source.clone()).is_err()
        {
            skipped += 1; // duplicate (foo.py next to foo/) or odd name
        }
    }
    let blob = b.to_vec();
    let build_time = t.elapsed();
    let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
    let queries = random_queries(&names);
    let source_bytes: usize = modules.iter().map(|m| m.source.len()).sum();
    let code_bytes: usize = modules.iter().map(|m| m.code().len()).sum();
    println!(
        "modules: {} ({skipped} skipped as duplicates/invalid names); one b0: entry (the __pycache__ .pyc \
         without its header for {with_pyc}, else the source) and one s: entry each",
        modules.len()
    );
    println!("bytecode bytes: {code_bytes}, source bytes: {source_bytes}");
    println!("\n== uncompressed blob ==");
    println!(
        "entries: {}, blob: {} bytes ({:.2} MB), build + write: {:.1} ms",
        b.len(),
        blob.len(),
        mb(blob.len()),
        ms(build_time)
    );
    bench_reader(&blob, &queries, args.iterations, false);

    // Per-entry zstd.
    let t = Instant::now();
    let mut bz = PackedResourcesBuilder::new(magic, &cache_tag).expect("builder");
    let mut compressed = 0;
    for m in &modules {
        let flags = if m.package {
            EntryFlags::IS_PACKAGE
        } else {
            EntryFlags::NONE
        };
        for (kind, data) in [(EntryKind::Bytecode0, m.code()), (EntryKind::Source, &m.source[..])] {
            if let Ok(true) = bz.add_compressed(kind, &m.name, flags, data.to_vec(), args.zstd_level) {
                compressed += 1;
            }
        }
    }
    let zblob = bz.to_vec();
    let zbuild = t.elapsed();
    println!("\n== per-entry zstd level {} ==", args.zstd_level);
    println!(
        "entries: {} ({compressed} compressed), blob: {} bytes ({:.2} MB, {:.1}% of uncompressed), build + write: {:.1} ms",
        bz.len(),
        zblob.len(),
        mb(zblob.len()),
        100.0 * zblob.len() as f64 / blob.len() as f64,
        ms(zbuild)
    );
    bench_reader(&zblob, &queries, args.iterations.min(30), true);
    let res = PackedResources::parse(&zblob).expect("parse");
    let t = Instant::now();
    let mut total = 0usize;
    for e in res.iter_kind(EntryKind::Bytecode0) {
        total += e.decompressed().expect("decompress").len();
    }
    let all = t.elapsed();
    println!(
        "decompress every b0: entry once: {:.1} ms for {total} bytes ({:.0} MB/s, {:.1} µs per entry)",
        ms(all),
        mb(total) / all.as_secs_f64(),
        all.as_secs_f64() * 1e6 / res.iter_kind(EntryKind::Bytecode0).len() as f64
    );

    // For comparison: the whole blob as one frame.
    let t = Instant::now();
    let whole = zstd::bulk::compress(&blob, args.zstd_level).expect("compress");
    let whole_c = t.elapsed();
    let t = Instant::now();
    let back = zstd::bulk::decompress(&whole, blob.len()).expect("decompress");
    let whole_d = t.elapsed();
    assert_eq!(back.len(), blob.len());
    println!(
        "\n== whole-blob zstd level {} (comparison) ==\nsize: {} bytes ({:.2} MB), compress {:.1} ms, decompress {:.1} ms (paid at every start)",
        args.zstd_level,
        whole.len(),
        mb(whole.len()),
        ms(whole_c),
        ms(whole_d)
    );
}

fn bench_reader(blob: &[u8], queries: &[&str], iterations: usize, decompress: bool) {
    let mut parse_times = Vec::with_capacity(iterations);
    let mut total_times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        let res = PackedResources::parse(black_box(blob)).expect("parse");
        let parsed = t.elapsed();
        let mut hits = 0usize;
        for q in queries {
            if let Some(e) = res.get(EntryKind::Bytecode0, black_box(q)) {
                hits += if decompress {
                    e.decompressed().expect("decompress").len()
                } else {
                    e.data.len()
                };
            }
        }
        black_box(hits);
        total_times.push(t.elapsed());
        parse_times.push(parsed);
    }
    let (p, t) = (stats(&mut parse_times), stats(&mut total_times));
    println!(
        "parse (validate): median {:.1} µs, p10 {:.1} µs, p90 {:.1} µs, min {:.1} µs over {iterations} runs",
        us(p.median),
        us(p.p10),
        us(p.p90),
        us(p.min)
    );
    println!(
        "parse + {GETS} random get{}: median {:.1} µs (≈ {:.0} ns per get{})",
        if decompress { " + decompress" } else { "" },
        us(t.median),
        (t.median.as_nanos() as f64 - p.median.as_nanos() as f64).max(0.0) / GETS as f64,
        if decompress { " incl. decompression" } else { "" },
    );
}

struct Stats {
    median: Duration,
    p10: Duration,
    p90: Duration,
    min: Duration,
}

fn stats(v: &mut [Duration]) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p10: at(0.1),
        p90: at(0.9),
        min: v[0],
    }
}

/// 1,000 names picked with a fixed-seed LCG (every run asks the same).
fn random_queries<'n>(names: &[&'n str]) -> Vec<&'n str> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..GETS)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            names[(state >> 33) as usize % names.len()]
        })
        .collect()
}

fn probe(python: &str) -> (PathBuf, [u8; 4], String) {
    let out = Command::new(python)
        .args([
            "-c",
            "import sysconfig, sys, importlib.util; \
             print(sysconfig.get_paths()['stdlib']); \
             print(importlib.util.MAGIC_NUMBER.hex()); \
             print(sys.implementation.cache_tag)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "{python} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let stdlib = PathBuf::from(lines.next().expect("stdlib"));
    let hex = lines.next().expect("magic");
    let mut magic = [0u8; 4];
    for (i, m) in magic.iter_mut().enumerate() {
        *m = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    (stdlib, magic, lines.next().expect("cache tag").to_string())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        let name = entry.file_name();
        if ft.is_dir() {
            if name != "site-packages" && name != "__pycache__" {
                walk(root, &path, out);
            }
        } else if ft.is_file()
            && path.extension().is_some_and(|e| e == "py")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
}

fn mb(n: usize) -> f64 {
    n as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
