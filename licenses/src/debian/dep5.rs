//! Machine-readable Debian copyright files (DEP-5, "copyright-format 1.0").
//!
//! A package's `/usr/share/doc/PKG/copyright` describes the *source*
//! package: a header paragraph, then `Files:` paragraphs mapping source-tree
//! glob patterns to copyright holders and a license, then stand-alone
//! `License:` paragraphs holding license texts. Several binary packages
//! share one file (all of util-linux's, libuuid1 among them), and nothing in
//! it says which source files end up in which binary. So the license of a
//! shared library has to be read from one chosen paragraph
//! ([`Dep5::governing_stanza`]), never from the union of every `License:`
//! line: libffi's file lists GPL for its test suite and build scripts, and
//! util-linux's catch-all `Files: *` is GPL-2+ while libuuid is BSD-3-clause.
//!
//! Files without a `Format:` header are free text (glibc, libxcrypt, krb5,
//! the X libraries…). They are not an error: [`parse_dep5`] returns a
//! [`Dep5`] that says so, and the caller reports an unknown license rather
//! than guessing one from prose.

/// A parsed copyright file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dep5 {
    /// The header's `Format:` value; `None` when the file has no such
    /// header (free text). See [`Dep5::is_machine_readable`].
    pub format: Option<String>,
    /// The header's `Upstream-Name:`.
    pub upstream_name: Option<String>,
    /// `Files:` paragraphs, in file order (later ones override earlier).
    pub files: Vec<FilesParagraph>,
    /// Stand-alone `License:` paragraphs (texts that `Files:` paragraphs
    /// refer to by short name).
    pub licenses: Vec<LicenseParagraph>,
    /// Every paragraph problem, by line (see [`FilesParagraph::problem`]).
    pub problems: Vec<Dep5Error>,
}

/// A `Files:` paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesParagraph {
    /// The glob patterns, as written (`*`, `libuuid/*`, `src/dlmalloc.c`).
    pub patterns: Vec<String>,
    /// The `Copyright:` statements, one per line, as written.
    pub copyright: Vec<String>,
    /// The `License:` first line: Debian short names and operators.
    pub license: String,
    /// The rest of the `License:` field (a license text or a pointer to
    /// `/usr/share/common-licenses`), if any.
    pub license_text: Option<String>,
    /// The line the paragraph starts on (1-based), for messages.
    pub line: usize,
    /// What is wrong with the paragraph, if anything (no `License:`, a
    /// `License:` without a short name, a line that is not deb822). A
    /// broken paragraph still takes part in choosing the governing one, so
    /// that a library it covers is reported as unknown rather than given the
    /// license of some other paragraph.
    pub problem: Option<Dep5Error>,
}

impl FilesParagraph {
    /// `Files: libuuid/* libuuid/src/*`, as provenance shows it.
    pub fn label(&self) -> String {
        format!("Files: {}", self.patterns.join(" "))
    }

    /// Whether any of its patterns matches `path` (a path relative to the
    /// source tree's root).
    pub fn matches(&self, path: &str) -> bool {
        self.patterns.iter().any(|p| pattern_matches(p, path))
    }
}

/// A stand-alone `License:` paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseParagraph {
    /// The short name it defines (`Expat`, `GPL-2+`).
    pub name: String,
    /// The license text (continuation lines, ` .` turned into blank lines).
    pub text: String,
    /// The line the paragraph starts on (1-based).
    pub line: usize,
}

/// Why a file that declares itself machine-readable could not be read as
/// such. Carries the line, so a report can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct Dep5Error {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl Dep5 {
    /// Whether the header names the copyright-format 1.0 (over `http://` or
    /// `https://`, with or without a trailing slash) or one of the DEP-5
    /// drafts that preceded it. Short names only have a defined meaning
    /// under a known format, so any other `Format:` counts as free text.
    pub fn is_machine_readable(&self) -> bool {
        self.format.as_deref().is_some_and(is_known_format)
    }

    /// The `Files: *` paragraph (the last one, if repeated), which covers
    /// every file no later paragraph claims.
    pub fn catch_all(&self) -> Option<&FilesParagraph> {
        self.files.iter().rev().find(|f| f.patterns.iter().any(|p| p == "*"))
    }

    /// The paragraph that applies to one source file: the last that
    /// matches it ("The last paragraph that matches a particular file
    /// applies to it").
    pub fn stanza_for_file(&self, path: &str) -> Option<&FilesParagraph> {
        self.files.iter().rev().find(|f| f.matches(path))
    }

    /// The paragraph for a shared library's own source directory, found by
    /// the library's stem (`libuuid` for `libuuid.so.1`): a paragraph with a
    /// pattern covering a whole directory named like the library —
    /// `libuuid/*`, `libuuid/src/*`, `lib/libuuid/*`, `lib/uuid/*`,
    /// `src/libfoo/*` (a leading `lib`, `libs` or `src` directory is allowed,
    /// and under it the stem with or without its `lib` prefix). Patterns
    /// naming single files or some files (`libuuid/gen.c`, `libuuid/*.h`)
    /// are ignored: they are exceptions inside a directory, not the
    /// library's license. The last such paragraph wins,
    /// as DEP-5 orders paragraphs from general to specific.
    pub fn library_stanza(&self, stem: &str) -> Option<&FilesParagraph> {
        if stem.is_empty() {
            return None;
        }
        let bare = stem.strip_prefix("lib").filter(|b| !b.is_empty()).unwrap_or(stem);
        self.files
            .iter()
            .rev()
            .find(|f| f.patterns.iter().any(|p| names_library_directory(p, stem, bare)))
    }

    /// The paragraph that governs a shared library: its own directory's
    /// ([`Self::library_stanza`]), else the catch-all `Files: *`
    /// ([`Self::catch_all`]). `None` when neither exists (libnsl's file,
    /// for one, has no `Files: *`): the caller reports an unknown license
    /// rather than picking some other paragraph.
    pub fn governing_stanza(&self, stem: &str) -> Option<&FilesParagraph> {
        self.library_stanza(stem).or_else(|| self.catch_all())
    }

    /// The text of a stand-alone `License:` paragraph, by short name
    /// (case-insensitive).
    pub fn license_text(&self, name: &str) -> Option<&str> {
        self.licenses
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
            .map(|l| l.text.as_str())
    }
}

fn is_known_format(format: &str) -> bool {
    let f = format.trim().to_ascii_lowercase();
    let f = f
        .strip_prefix("https://")
        .or_else(|| f.strip_prefix("http://"))
        .unwrap_or(&f);
    f.trim_end_matches('/') == "www.debian.org/doc/packaging-manuals/copyright-format/1.0"
        || f.contains("/deps/dep5")
        || f.contains("/dep5.mdwn")
}

/// Whether a `Files:` pattern covers a whole directory of the library:
/// `DIR/*` where `DIR` has no wildcard and starts with the stem, or with
/// `lib`, `libs` or `src` and then the stem (with or without its `lib`
/// prefix). A wildcard anywhere else (`src/liblzma/check/crc32_table_?e.h`
/// in xz's file, `libuuid/*.c`) selects some files of the directory, not
/// the library, so it does not count.
fn names_library_directory(pattern: &str, stem: &str, bare: &str) -> bool {
    let Some(directory) = pattern.strip_suffix("/*") else {
        return false;
    };
    if directory.contains(['*', '?', '\\']) {
        return false;
    }
    let components: Vec<&str> = directory.split('/').collect();
    match components.as_slice() {
        [first, ..] if *first == stem => true,
        [first, second, ..] if ["lib", "libs", "src"].contains(first) => *second == stem || *second == bare,
        _ => false,
    }
}

/// DEP-5 glob matching: `*` matches any run of characters (slashes and
/// leading dots included), `?` one character, `\*`, `\?`, `\\` the
/// character itself. Any other escaped character, which the format calls
/// an error, is taken literally here (a pattern is never reason to fail).
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Item {
        Any,
        One,
        Char(char),
    }
    let mut items = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        items.push(match c {
            '*' => Item::Any,
            '?' => Item::One,
            '\\' => Item::Char(chars.next().unwrap_or('\\')),
            c => Item::Char(c),
        });
    }
    let text: Vec<char> = path.chars().collect();
    // Iterative matching with single-star backtracking (linear in practice).
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match items.get(p) {
            Some(Item::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Item::One) => {
                p += 1;
                t += 1;
            }
            Some(Item::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    items[p..].iter().all(|i| *i == Item::Any)
}

/// One field of a paragraph: its first-line value and continuation lines.
struct Field {
    name: String,
    line: usize,
    value: String,
    continuation: Vec<String>,
}

impl Field {
    /// Continuation lines as text: one leading space removed, ` .` → blank.
    fn text(&self) -> String {
        self.continuation.join("\n")
    }

    /// Every line, first included, trimmed, blanks dropped (line-based and
    /// formatted-text fields read as lists: `Copyright:`).
    fn lines(&self) -> Vec<String> {
        std::iter::once(self.value.as_str())
            .chain(self.continuation.iter().map(String::as_str))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }
}

struct Paragraph {
    line: usize,
    fields: Vec<Field>,
    /// The first thing wrong with it, if anything.
    problem: Option<Dep5Error>,
}

impl Paragraph {
    fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    fn fail(&mut self, line: usize, message: String) {
        self.problem.get_or_insert(Dep5Error { line, message });
    }
}

/// Fields whose repetition makes a paragraph ambiguous. Others (a second
/// `Comment:`, seen in real files) are harmless: the first is kept.
const SIGNIFICANT: &[&str] = &["Format", "Files", "License", "Copyright"];

/// Splits deb822 text into paragraphs. Lines starting with `#` are
/// comments; blank (or whitespace-only) lines separate paragraphs. A line
/// that breaks the syntax marks its paragraph as broken and parsing goes
/// on, so that one bad paragraph does not hide the others.
fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current: Option<Paragraph> = None;
    // Continuation lines of a repeated, ignored field are dropped with it.
    let mut skipping = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if raw.trim().is_empty() {
            out.extend(current.take());
            continue;
        }
        if raw.starts_with('#') {
            continue;
        }
        let p = current.get_or_insert_with(|| Paragraph {
            line: number,
            fields: Vec::new(),
            problem: None,
        });
        if raw.starts_with([' ', '\t']) {
            if skipping {
                continue;
            }
            let line = &raw[1..];
            match p.fields.last_mut() {
                Some(field) => field.continuation.push(if line.trim() == "." {
                    String::new()
                } else {
                    line.to_string()
                }),
                None => p.fail(
                    number,
                    "an indented continuation line starts a paragraph, outside any field".into(),
                ),
            }
            continue;
        }
        skipping = false;
        match raw.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                if p.get(name).is_some() {
                    if SIGNIFICANT.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                        let message = format!(
                            "field `{name}` appears twice in the paragraph starting at line {}",
                            p.line
                        );
                        p.fail(number, message);
                    }
                    skipping = true;
                    continue;
                }
                p.fields.push(Field {
                    name: name.to_string(),
                    line: number,
                    value: value.trim().to_string(),
                    continuation: Vec::new(),
                });
            }
            _ => p.fail(number, format!("expected `Field: value`, found `{}`", raw.trim())),
        }
    }
    out.extend(current.take());
    out
}

/// Parses a copyright file.
///
/// A file whose first paragraph has no `Format:` field (or an unknown one)
/// is not machine-readable; that is returned as a value
/// ([`Dep5::is_machine_readable`] is false, no paragraphs), not as an
/// error, since most such files are well-formed prose.
///
/// The error is for a header that claims the format and breaks its syntax.
/// Problems in later paragraphs (a line that is neither a field nor a
/// continuation, `License:` or `Files:` given twice or missing, a `License:`
/// without a short name) stay with their paragraph
/// ([`FilesParagraph::problem`], [`Dep5::problems`]): real files have
/// them (several LLVM and elfutils files on Debian 12), and they only matter
/// when that paragraph is the one that governs a library.
pub fn parse_dep5(text: &str) -> Result<Dep5, Dep5Error> {
    let mut paragraphs = paragraphs(text).into_iter();
    let Some(header) = paragraphs.next() else {
        return Ok(Dep5::default());
    };
    if let Some(problem) = header.problem.clone() {
        // A header that claims the format but breaks the syntax is an
        // error; prose that merely fails to be deb822 is free text.
        return if header_claims_format(text) {
            Err(problem)
        } else {
            Ok(Dep5::default())
        };
    }
    let Some(format) = header.get("Format") else {
        return Ok(Dep5::default());
    };
    let mut dep5 = Dep5 {
        format: Some(format.value.clone()),
        upstream_name: header.get("Upstream-Name").map(|f| f.value.clone()),
        ..Dep5::default()
    };
    if !dep5.is_machine_readable() {
        return Ok(dep5);
    }
    if header.get("Files").is_some() {
        // Tolerated layout: header and first Files paragraph run together.
        dep5.files.push(files_paragraph(&header));
    }
    for paragraph in paragraphs {
        if paragraph.get("Files").is_some() {
            dep5.files.push(files_paragraph(&paragraph));
        } else if let Some(license) = paragraph.get("License") {
            dep5.problems.extend(paragraph.problem.clone());
            dep5.licenses.push(LicenseParagraph {
                name: license.value.clone(),
                text: license.text(),
                line: paragraph.line,
            });
        } else {
            // Without `Files:` or `License:` it says nothing about licenses
            // (a paragraph of comments), unless it is broken.
            dep5.problems.extend(paragraph.problem.clone());
        }
    }
    dep5.problems
        .extend(dep5.files.iter().filter_map(|f| f.problem.clone()));
    dep5.problems.sort_by_key(|p| p.line);
    Ok(dep5)
}

/// Whether the first paragraph has a `Format:` line (looked for without
/// parsing, so that a broken header is reported, not taken for prose).
fn header_claims_format(text: &str) -> bool {
    text.lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .any(|l| l.get(..7).is_some_and(|head| head.eq_ignore_ascii_case("format:")))
}

fn files_paragraph(paragraph: &Paragraph) -> FilesParagraph {
    let mut problem = paragraph.problem.clone();
    let mut fail = |line: usize, message: String| {
        problem.get_or_insert(Dep5Error { line, message });
    };
    let patterns: Vec<String> = paragraph
        .get("Files")
        .map(|files| {
            std::iter::once(files.value.as_str())
                .chain(files.continuation.iter().map(String::as_str))
                .flat_map(str::split_whitespace)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if patterns.is_empty() {
        fail(paragraph.line, "the `Files:` field lists no patterns".into());
    }
    let (license, license_text) = match paragraph.get("License") {
        None => {
            fail(
                paragraph.line,
                format!("the paragraph `Files: {}` has no `License:` field", patterns.join(" ")),
            );
            (String::new(), None)
        }
        Some(license) => {
            if license.value.is_empty() {
                fail(
                    license.line,
                    "the `License:` field has no short name on its first line".into(),
                );
            }
            let text = license.text();
            (
                license.value.clone(),
                if text.trim().is_empty() { None } else { Some(text) },
            )
        }
    };
    FilesParagraph {
        patterns,
        copyright: paragraph.get("Copyright").map(Field::lines).unwrap_or_default(),
        license,
        license_text,
        line: paragraph.line,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like libffi's file: the catch-all is Expat, GPL appears only
    /// for build and test files.
    const LIBFFI_LIKE: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Source: https://github.com/libffi/libffi/releases

Files: *
Copyright:
    Copyright (c) 1996-2011 Red Hat, Inc.
    Copyright (C) 1996-2011 Anthony Green
License: Expat
Comment: See source files for details.

Files: doc/libffi.*
Copyright: (C) 2008-2019, 2021 Anthony Green and Red Hat, Inc.
License: Expat

Files: make_sunver.pl
Copyright: (C) 2009 Free Software Foundation
License: GPL-3+

Files: msvcc.sh
Copyright: 2009 Daniel Witte
License: MPL-1.1 or GPL-2+ or LGPL-2.1+

Files: src/dlmalloc.c
Copyright: none
License: public-domain
 Written by Doug Lea and released to the public domain.

Files: testsuite/*
Copyright: 1996-2019 Free Software Foundation, Inc.
License: GPL-3+

Files: testsuite/libffi.closures/*
Copyright: 1996-2019 Free Software Foundation, Inc.
License: GPL-3+

Files: debian/*
Copyright: (C) 2008, 2011 Matthias Klose <doko@debian.org>
License: GPL
 The Debian packaging is licensed under the GPL.

License: Expat
    Permission is hereby granted, free of charge, to any person obtaining
    a copy of this software
    .
    THE SOFTWARE IS PROVIDED ``AS IS''.
";

    /// Shaped like util-linux's file: the catch-all is GPL-2+, libuuid's
    /// directory is BSD-3-clause, and other sub-stanzas follow it.
    const UTIL_LINUX_LIKE: &str = "\
Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0
Upstream-Name: util-linux

Files: *
Copyright: 1994-2022 Karel Zak <kzak@redhat.com>
License: GPL-2+

Files: sys-utils/flock.c
Copyright: 2003-2005 H. Peter Anvin
License: MIT

Files: libuuid/*
       libuuid/src/*
       libuuid/man/*
Copyright: 1996, 1997, 1998, 1999, 2007 Theodore Ts'o.
           1999 Andreas Dilger (adilger@enel.ucalgary.ca)
License: BSD-3-clause

Files: libuuid/src/test_uuid.c
Copyright: 2020 Somebody
License: GPL-2+

Files: libfdisk/*
Copyright: 2007-2013 Karel Zak <kzak@redhat.com>
License: LGPL-2.1+

License: BSD-3-clause
 Redistribution and use in source and binary forms, with or without
 modification, are permitted.
";

    #[test]
    fn parses_paragraphs_fields_and_texts() {
        let d = parse_dep5(LIBFFI_LIKE).unwrap();
        assert!(d.is_machine_readable());
        assert_eq!(d.files.len(), 8);
        let all = &d.files[0];
        assert_eq!(all.patterns, ["*"]);
        assert_eq!(all.license, "Expat");
        assert_eq!(
            all.copyright,
            [
                "Copyright (c) 1996-2011 Red Hat, Inc.",
                "Copyright (C) 1996-2011 Anthony Green"
            ]
        );
        assert_eq!(all.line, 4);
        assert_eq!(
            d.files[4].license_text.as_deref(),
            Some("Written by Doug Lea and released to the public domain.")
        );
        assert_eq!(d.licenses.len(), 1);
        let expat = d.license_text("expat").unwrap();
        assert!(expat.contains("Permission is hereby granted"), "{expat}");
        assert!(expat.contains("software\n\n"), "` .` is a blank line: {expat:?}");
        let u = parse_dep5(UTIL_LINUX_LIKE).unwrap();
        assert_eq!(u.upstream_name.as_deref(), Some("util-linux"));
        assert_eq!(u.files[2].patterns, ["libuuid/*", "libuuid/src/*", "libuuid/man/*"]);
        assert_eq!(u.files[2].copyright.len(), 2);
    }

    #[test]
    fn libffi_like_is_governed_by_the_catch_all() {
        let d = parse_dep5(LIBFFI_LIKE).unwrap();
        // `doc/libffi.*` and `testsuite/libffi.closures/*` must not be taken
        // for the library's directory.
        assert!(d.library_stanza("libffi").is_none());
        let governing = d.governing_stanza("libffi").unwrap();
        assert_eq!(governing.label(), "Files: *");
        assert_eq!(governing.license, "Expat");
        // GPL is present in the file, for other files only.
        assert!(d.files.iter().any(|f| f.license.contains("GPL")));
        assert_eq!(d.stanza_for_file("testsuite/foo.c").unwrap().license, "GPL-3+");
        assert_eq!(d.stanza_for_file("src/x86/ffi64.c").unwrap().license, "Expat");
    }

    #[test]
    fn util_linux_like_picks_the_library_directory() {
        let d = parse_dep5(UTIL_LINUX_LIKE).unwrap();
        let governing = d.governing_stanza("libuuid").unwrap();
        assert_eq!(governing.license, "BSD-3-clause");
        assert_eq!(governing.label(), "Files: libuuid/* libuuid/src/* libuuid/man/*");
        // The single-file override inside the directory does not govern.
        assert_eq!(d.stanza_for_file("libuuid/src/test_uuid.c").unwrap().license, "GPL-2+");
        assert_eq!(d.governing_stanza("libfdisk").unwrap().license, "LGPL-2.1+");
        // Another library of the same source with no directory of its own.
        assert_eq!(d.governing_stanza("libmount").unwrap().license, "GPL-2+");
    }

    #[test]
    fn library_directory_forms() {
        for (pattern, stem, expected) in [
            ("libuuid/*", "libuuid", true),
            ("libuuid/src/*", "libuuid", true),
            ("libuuid/src/*.c", "libuuid", false),
            ("src/liblzma/check/crc32_table_?e.h", "liblzma", false),
            ("src/liblzma/*", "liblzma", true),
            ("lib/uuid/*", "libuuid", true),
            ("lib/libuuid/*", "libuuid", true),
            ("src/libfoo/*", "libfoo", true),
            ("libuuid/src/gen_uuid.c", "libuuid", false),
            ("libuuid*", "libuuid", false),
            ("doc/libffi.*", "libffi", false),
            ("testsuite/libffi.closures/*", "libffi", false),
            ("*/libuuid/*", "libuuid", false),
            ("lib/et/*", "libcom_err", false),
        ] {
            let bare = stem.strip_prefix("lib").unwrap_or(stem);
            assert_eq!(
                names_library_directory(pattern, stem, bare),
                expected,
                "{pattern} for {stem}"
            );
        }
    }

    #[test]
    fn no_catch_all_and_no_directory_means_no_stanza() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
                    Files: src/*\nCopyright: 2000 A\nLicense: LGPL-2.1+\n";
        let d = parse_dep5(text).unwrap();
        assert!(d.governing_stanza("libnsl").is_none());
    }

    #[test]
    fn free_text_is_not_an_error() {
        for text in [
            "This is the Debian GNU/Linux prepackaged version of libxcrypt.\n\nIt is LGPL.\n",
            "",
            "   \n",
            "Upstream-Name: foo\n\nFiles: *\nLicense: Expat\n",
            "  indented prose first\nmore: things\n",
        ] {
            let d = parse_dep5(text).unwrap();
            assert!(!d.is_machine_readable(), "{text:?}");
            assert!(d.files.is_empty());
        }
        let unknown = parse_dep5("Format: https://example.org/my-format\n\nFiles: *\nLicense: Expat\n").unwrap();
        assert_eq!(unknown.format.as_deref(), Some("https://example.org/my-format"));
        assert!(!unknown.is_machine_readable());
    }

    #[test]
    fn format_urls() {
        for url in [
            "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
            "http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
            "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0",
            "http://dep.debian.net/deps/dep5",
            "http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=174",
        ] {
            assert!(is_known_format(url), "{url}");
        }
        assert!(!is_known_format(
            "https://www.debian.org/doc/packaging-manuals/copyright-format/2.0/"
        ));
    }

    #[test]
    fn broken_paragraphs_keep_their_problem() {
        let head = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n";
        let problem = |body: &str| {
            let d = parse_dep5(&format!("{head}{body}")).unwrap();
            assert_eq!(d.files.len(), 1, "{body}");
            let p = d.files[0]
                .problem
                .clone()
                .unwrap_or_else(|| panic!("no problem in {body:?}"));
            assert_eq!(d.problems, std::slice::from_ref(&p));
            p
        };
        let e = problem("Files: *\nCopyright: me\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("no `License:`"), "{e}");
        let e = problem("Files: *\nthis is not a field\nLicense: Expat\n");
        assert_eq!(e.line, 4);
        assert!(e.to_string().starts_with("line 4: expected `Field: value`"), "{e}");
        let e = problem("Files: *\nLicense: Expat\nLicense: GPL-2+\n");
        assert!(e.message.contains("twice"), "{e}");
        let e = problem("Files:\nLicense: Expat\n");
        assert!(e.message.contains("no patterns"), "{e}");
        let e = problem("Files: *\nLicense:\n Text only\n");
        assert!(e.message.contains("no short name"), "{e}");

        // A repeated Comment is harmless; its continuation goes with it.
        let d = parse_dep5(&format!(
            "{head}Files: *\nComment: one\nLicense: Expat\nComment: two\n more\nCopyright: A\n"
        ))
        .unwrap();
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.files[0].copyright, ["A"]);

        // A broken paragraph does not spoil the others.
        let d = parse_dep5(&format!(
            "{head}Files: *\nCopyright: A\nLicense: Expat\n\nFiles: tests/*\nCopyright: B\n\nLicense: Expat\n text\n"
        ))
        .unwrap();
        assert_eq!(d.catch_all().unwrap().problem, None);
        assert!(d.files[1].problem.is_some());
        assert_eq!(d.licenses.len(), 1);

        // A broken header is an error when it claims the format.
        let e = parse_dep5("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nbroken\n")
            .unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn crlf_comments_and_odd_spacing() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\r\n\
                    \r\n# a comment\r\nfiles:   *  \r\ncopyright: 2001 A\r\nlicense: Zlib\r\n \t\r\n";
        let d = parse_dep5(text).unwrap();
        assert_eq!(d.files.len(), 1);
        assert_eq!(d.files[0].patterns, ["*"]);
        assert_eq!(d.files[0].license, "Zlib");
    }

    #[test]
    fn glob_patterns() {
        for (pattern, path, expected) in [
            ("*", "a/b/c.c", true),
            ("*.in", "sub/dir/Makefile.in", true),
            ("Makefile.in", "sub/Makefile.in", false),
            ("*/Makefile.in", "sub/Makefile.in", true),
            ("libuuid/*", "libuuid/src/gen.c", true),
            ("libuuid/*", "libuuidx/a", false),
            ("doc/*.[03]", "doc/x.[03]", true),
            ("doc/*.[03]", "doc/x.3", false),
            ("?.c", "a.c", true),
            ("?.c", "ab.c", false),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("trailing\\", "trailing\\", true),
            ("*a*b*c", "xxaxxbxxc", true),
            ("*a*b*c", "xxaxxcxxb", false),
            ("", "", true),
        ] {
            assert_eq!(pattern_matches(pattern, path), expected, "{pattern} ~ {path}");
        }
    }
}
