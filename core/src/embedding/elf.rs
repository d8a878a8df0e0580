//! Extension modules made fit to install: ELF shared objects rewritten
//! without their static symbol table, their debug information and the
//! build machine's library search paths.
//!
//! Why: a Python built from source (pyenv, `./configure -g`, an rpath to
//! its own `lib/`) leaves every `lib-dynload` module with `.symtab`,
//! `.debug_*` sections and a `DT_RUNPATH` such as
//! `/root/.pyenv/versions/3.11.7/lib`. Installed beside an executable, that
//! is dead weight (about 60 % of the modules' size), lintian and rpmlint
//! errors (`unstripped-binary-or-object`, `custom-library-search-path`,
//! `binary-or-shlib-defines-rpath`), and on the end user's machine a library
//! lookup in a directory that does not exist there or that someone else may
//! create. The modules need neither: libpython's symbols come from the
//! executable (linked with `--export-dynamic`), and their other `DT_NEEDED`
//! libraries are system libraries.
//!
//! How: `object`'s ELF builder reads the file, the sections and entries to
//! drop are marked, and the builder writes it again. Allocated sections keep
//! their file offsets and addresses, so code and data are byte for byte what
//! the linker wrote; `.dynamic`, `.dynstr` and the tables derived from the
//! same dynamic symbols (`.gnu.hash`, `.hash`, symbol versions) are
//! regenerated in place and can only shrink. Like `strip --strip-unneeded`,
//! `.dynsym`/`.dynstr` and everything else the dynamic loader reads stay;
//! like Debian's `dh_strip`, the non-allocated `.comment` and `.note`
//! sections (compiler version strings; lintian `binary-has-unneeded-section`)
//! go too. The output depends on the input bytes alone.

use object::build::elf::{Builder, Dynamic, SectionData, SectionId};
use object::elf;

/// The result of [`sanitise`].
#[derive(Debug)]
pub enum Sanitised {
    /// An ELF shared object, rewritten.
    Rewritten(Vec<u8>),
    /// A Mach-O or PE file: installed as it is, because only ELF is rewritten
    /// (a macOS or Windows module is not checked by Linux package linters,
    /// and its debug information lives in separate files anyway).
    NotElf,
}

/// Why an extension module could not be sanitised. `file` names the module
/// as the build saw it (a path, or a wheel member).
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// Not a shared library at all: the build must not install it as one.
    #[error(
        "extension module {file} is not a shared library ({reason}); rebuild it as one (`-shared`) or leave it out of the executable"
    )]
    NotSharedLibrary { file: String, reason: String },
    /// A shared object `object`'s ELF builder cannot rewrite (e.g. program
    /// headers moved by `patchelf`). The module itself may be fine.
    #[error(
        "cannot strip extension module {file}: {message}; it is installed unchanged (with its symbol table, debug information and library search path); set `exe.strip_extension_modules = False` to install every module unchanged without this warning"
    )]
    Unsupported { file: String, message: String },
}

const ELF_MAGIC: &[u8] = b"\x7fELF";

/// Rewrites the extension module `data` (read from `file`) without its
/// static symbol table, debug sections and non-`$ORIGIN` library search
/// paths. See the module documentation for what is kept and why.
pub fn sanitise(data: &[u8], file: &str) -> Result<Sanitised, ElfError> {
    if !data.starts_with(ELF_MAGIC) {
        return if is_macho_or_pe(data) {
            Ok(Sanitised::NotElf)
        } else {
            Err(ElfError::NotSharedLibrary {
                file: file.to_string(),
                reason: "neither ELF, Mach-O nor PE".into(),
            })
        };
    }
    let unsupported = |e: object::build::Error| ElfError::Unsupported {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut builder = Builder::read(data).map_err(unsupported)?;
    if builder.header.e_type != elf::ET_DYN {
        return Err(ElfError::NotSharedLibrary {
            file: file.to_string(),
            reason: format!("an ELF file of type {}, not a shared object", builder.header.e_type),
        });
    }
    strip_symbols_and_debug_info(&mut builder);
    remove_search_paths(&mut builder);
    let mut out = Vec::with_capacity(data.len());
    builder.write(&mut out).map_err(unsupported)?;
    Ok(Sanitised::Rewritten(out))
}

/// Mach-O (thin or fat, either byte order) or a PE/COFF image (`MZ`).
fn is_macho_or_pe(data: &[u8]) -> bool {
    const MACHO: [[u8; 4]; 5] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
        [0xca, 0xfe, 0xba, 0xbe],
    ];
    data.starts_with(b"MZ") || MACHO.iter().any(|magic| data.starts_with(magic))
}

/// Marks `.symtab`, its string table and extended index table, every
/// non-allocated `.debug_*`/`.zdebug_*`/`.comment`/`.note` section, and the
/// non-allocated relocations that apply to them or use the static symbols,
/// as deleted.
fn strip_symbols_and_debug_info(builder: &mut Builder<'_>) {
    let mut symtab: Option<SectionId> = None;
    // Collected here: the table's iterators skip deleted sections.
    let mut deleted: Vec<SectionId> = Vec::new();
    for section in &mut builder.sections {
        let name: &[u8] = &section.name;
        let is_unneeded = !section.is_alloc()
            && (name.starts_with(b".debug_")
                || name.starts_with(b".zdebug_")
                || name == b".comment"
                || name == b".note");
        let is_symbols = matches!(
            section.data,
            SectionData::Symbol | SectionData::SymbolSectionIndex | SectionData::String
        );
        if matches!(section.data, SectionData::Symbol) {
            symtab = Some(section.id());
        }
        if is_unneeded || is_symbols {
            section.delete = true;
            deleted.push(section.id());
        }
    }
    // Relocations against debug sections, or against the static symbols
    // (`--emit-relocs`), would point at nothing once those are gone; the
    // dynamic loader reads only the allocated (`.rela.dyn`, `.rela.plt`) ones.
    for section in &mut builder.sections {
        if matches!(section.data, SectionData::Relocation(_))
            && !section.is_alloc()
            && (section.sh_link_section == symtab || section.sh_info_section.is_some_and(|id| deleted.contains(&id)))
        {
            section.delete = true;
        }
    }
    for symbol in &mut builder.symbols {
        symbol.delete = true;
    }
}

/// Drops the `DT_RPATH`/`DT_RUNPATH` directories that do not start with
/// `$ORIGIN`, and the entry itself when none is left. `$ORIGIN`-relative
/// ones stay: a wheel repaired by auditwheel finds its bundled libraries
/// (`$ORIGIN/../NAME.libs`) that way, and they resolve inside the install
/// tree wherever it is.
fn remove_search_paths(builder: &mut Builder<'_>) {
    let Some(dynamics) = builder.dynamic_data_mut() else {
        return;
    };
    dynamics.retain_mut(|dynamic| match dynamic {
        Dynamic::String { tag, val } if *tag == elf::DT_RPATH || *tag == elf::DT_RUNPATH => {
            match origin_relative(val) {
                Some(kept) => {
                    *val = kept.into();
                    true
                }
                None => false,
            }
        }
        _ => true,
    });
}

/// The `$ORIGIN`-relative directories of a colon-separated search path,
/// or `None` when there are none.
fn origin_relative(search_path: &[u8]) -> Option<Vec<u8>> {
    let kept: Vec<&[u8]> = search_path
        .split(|b| *b == b':')
        .filter(|dir| dir.starts_with(b"$ORIGIN") || dir.starts_with(b"${ORIGIN}"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(&b':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::read::elf::{Dyn, ElfFile64, FileHeader, SectionHeader};
    use object::{Endianness, Object, ObjectSection};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The host Python's `_json` extension module (the interpreter the
    /// other tests build with).
    fn host_json_module() -> PathBuf {
        let out = Command::new("python3")
            .args(["-c", "import _json; print(_json.__file__)"])
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    }

    /// A shared object compiled from C with debug information, a
    /// `DT_RUNPATH` of `search_path` (`DT_RPATH` with `--disable-new-dtags`
    /// among the linker `options`), and one exported function `answer()`,
    /// so the checks do not depend on how the host Python was built.
    fn compile_fixture(dir: &Path, search_path: &str, options: &str) -> PathBuf {
        let source = dir.join("fixture.c");
        std::fs::write(&source, "int answer(void) { return 42; }\n").unwrap();
        let out = dir.join("fixture.so");
        let link = format!("-Wl,-rpath,{search_path}{options}");
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-g", &link, "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .expect("a C compiler (cc) runs; cargo needs one to link anyway");
        assert!(status.success());
        out
    }

    fn rewritten(data: &[u8]) -> Vec<u8> {
        match sanitise(data, "test module").unwrap() {
            Sanitised::Rewritten(out) => out,
            Sanitised::NotElf => panic!("an ELF file was not rewritten"),
        }
    }

    fn section_names(data: &[u8]) -> Vec<String> {
        let file = ElfFile64::<Endianness>::parse(data).unwrap();
        file.sections().map(|s| s.name().unwrap().to_string()).collect()
    }

    /// `(tag, string value)` of the dynamic entries with string values.
    fn dynamic_strings(data: &[u8]) -> Vec<(i64, String)> {
        let file = ElfFile64::<Endianness>::parse(data).unwrap();
        let endian = file.endian();
        let sections = file.elf_header().sections(endian, data).unwrap();
        let mut found = Vec::new();
        for section in sections.iter() {
            let Some((dyns, link)) = section.dynamic(endian, data).unwrap() else {
                continue;
            };
            let strings = sections.strings(endian, data, link).unwrap();
            for d in dyns {
                if d.is_string(endian) {
                    let value = d.string(endian, strings).unwrap();
                    found.push((d.d_tag(endian), String::from_utf8_lossy(value).into_owned()));
                }
            }
        }
        found
    }

    fn dynamic_symbol_names(data: &[u8]) -> Vec<String> {
        let file = ElfFile64::<Endianness>::parse(data).unwrap();
        let mut names: Vec<String> = file
            .dynamic_symbols()
            .map(|s| object::ObjectSymbol::name(&s).unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_host_module_loses_symbols_debug_info_and_runpath_but_not_its_code() {
        let path = host_json_module();
        let original = std::fs::read(&path).unwrap();
        let out = rewritten(&original);

        let names = section_names(&out);
        assert!(!names.iter().any(|n| n == ".symtab" || n == ".strtab"), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with(".debug_")), "{names:?}");
        assert!(!names.iter().any(|n| n == ".comment"), "{names:?}");
        for kept in [
            ".dynsym",
            ".dynstr",
            ".gnu.hash",
            ".text",
            ".rodata",
            ".data",
            ".eh_frame",
        ] {
            assert!(names.iter().any(|n| n == kept), "{kept} missing from {names:?}");
        }
        let strings = dynamic_strings(&out);
        assert!(
            !strings
                .iter()
                .any(|(tag, _)| *tag == elf::DT_RUNPATH || *tag == elf::DT_RPATH),
            "{strings:?}"
        );
        let needed = |d: &[(i64, String)]| -> Vec<String> {
            d.iter()
                .filter(|(t, _)| *t == elf::DT_NEEDED)
                .map(|(_, v)| v.clone())
                .collect()
        };
        assert_eq!(needed(&strings), needed(&dynamic_strings(&original)));
        assert_eq!(dynamic_symbol_names(&out), dynamic_symbol_names(&original));

        // Code and data are what the linker wrote, at the same addresses.
        let before = ElfFile64::<Endianness>::parse(&*original).unwrap();
        let after = ElfFile64::<Endianness>::parse(&*out).unwrap();
        for name in [".text", ".rodata", ".data", ".eh_frame", ".init_array"] {
            let (a, b) = (
                before.section_by_name(name).unwrap(),
                after.section_by_name(name).unwrap(),
            );
            assert_eq!(a.address(), b.address(), "{name}");
            assert_eq!(a.data().unwrap(), b.data().unwrap(), "{name}");
        }
        assert!(out.len() < original.len());
    }

    #[test]
    fn output_is_deterministic_and_a_second_pass_changes_nothing() {
        let original = std::fs::read(host_json_module()).unwrap();
        let once = rewritten(&original);
        assert_eq!(once, rewritten(&original));
        assert_eq!(once, rewritten(&once));
    }

    #[test]
    fn a_stripped_fixture_still_loads_and_keeps_origin_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        // `--emit-relocs` keeps relocations against the static symbols.
        for options in ["", ",--disable-new-dtags", ",--emit-relocs"] {
            let path = compile_fixture(dir.path(), "/build/host/lib:$ORIGIN/../fixture.libs", options);
            let original = std::fs::read(&path).unwrap();
            let tag = if options.contains("disable-new-dtags") {
                elf::DT_RPATH
            } else {
                elf::DT_RUNPATH
            };
            assert!(dynamic_strings(&original).contains(&(tag, "/build/host/lib:$ORIGIN/../fixture.libs".into())));
            assert!(section_names(&original).iter().any(|n| n == ".debug_info"));

            let out = rewritten(&original);
            let strings = dynamic_strings(&out);
            assert!(
                strings.contains(&(tag, "$ORIGIN/../fixture.libs".into())),
                "{strings:?}"
            );
            let names = section_names(&out);
            assert!(
                !names.iter().any(|n| n == ".symtab" || n.starts_with(".debug_")),
                "{names:?}"
            );
            if options.contains("emit-relocs") {
                assert!(section_names(&original).iter().any(|n| n == ".rela.text"));
                assert!(!names.iter().any(|n| n == ".rela.text"), "{names:?}");
            }

            // The dynamic loader still takes it and finds the exported function.
            std::fs::write(&path, &out).unwrap();
            let call = Command::new("python3")
                .arg("-c")
                .arg(format!("import ctypes; print(ctypes.CDLL({:?}).answer())", path))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&call.stdout).trim(),
                "42",
                "{}",
                String::from_utf8_lossy(&call.stderr)
            );
        }
    }

    #[test]
    fn search_paths_keep_only_origin_relative_directories() {
        assert_eq!(origin_relative(b"/root/.pyenv/versions/3.11.7/lib"), None);
        assert_eq!(origin_relative(b""), None);
        assert_eq!(
            origin_relative(b"$ORIGIN/../a.libs:/usr/local/lib:${ORIGIN}"),
            Some(b"$ORIGIN/../a.libs:${ORIGIN}".to_vec())
        );
    }

    #[test]
    fn other_formats_pass_and_non_libraries_are_refused_by_name() {
        assert!(matches!(
            sanitise(b"\xcf\xfa\xed\xfe rest", "m.so"),
            Ok(Sanitised::NotElf)
        ));
        assert!(matches!(sanitise(b"MZ\x90\x00", "m.pyd"), Ok(Sanitised::NotElf)));
        let err = sanitise(b"#!/bin/sh\n", "pkg/fake.so").unwrap_err();
        assert!(matches!(err, ElfError::NotSharedLibrary { .. }));
        assert!(err.to_string().contains("pkg/fake.so"), "{err}");

        // A relocatable object (`cc -c`) is ELF but not something to dlopen.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("o.c"), "int x;\n").unwrap();
        let status = Command::new("cc")
            .current_dir(dir.path())
            .args(["-c", "o.c", "-o", "o.o"])
            .status()
            .unwrap();
        assert!(status.success());
        let err = sanitise(&std::fs::read(dir.path().join("o.o")).unwrap(), "o.o").unwrap_err();
        assert!(err.to_string().contains("o.o is not a shared library"), "{err}");

        let err = sanitise(b"\x7fELF\x02\x01\x01", "truncated.so").unwrap_err();
        assert!(matches!(err, ElfError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("truncated.so"), "{err}");
    }
}
