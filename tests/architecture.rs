//! The layering the code promises, checked on the source itself so that a change that
//! breaks it fails here: the library's work never prints (only the output layer, the
//! commands at the edge and the interactive setup write to a terminal), nothing under
//! the capture code — nor any other library module — reaches for a renderer, and no two
//! top-level modules depend on each other.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where a person is spoken to: everything else is the library's work.
const EDGE: [&str; 5] = ["output", "commands", "wizard", "cli", "main"];

/// Every source file with its top-level module (`capture` for src/capture/run.rs) and
/// its text before the unit tests (tests may print what they like).
fn sources() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    common::rust_files(&src)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap();
            let first = rel.components().next().unwrap().as_os_str();
            let module = Path::new(first)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            (module, p, code)
        })
        .collect()
}

/// The lines of `code` that are not comments.
fn code_lines(code: &str) -> impl Iterator<Item = (usize, &str)> {
    code.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

#[test]
fn the_library_never_prints() {
    const PRINTING: [&str; 9] = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "dbg!(",
        "io::stdout()",
        "io::stderr()",
        "indicatif::",
        "ProgressBar",
    ];
    let mut found = Vec::new();
    for (module, path, code) in sources() {
        if EDGE.contains(&module.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&code) {
            for p in PRINTING {
                if line.contains(p) {
                    found.push(format!("{}:{n}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the library prints; return it (a typed outcome, an Observer event) and let `output` say it:\n{}",
        found.join("\n")
    );
}

#[test]
fn nothing_in_the_library_imports_a_renderer() {
    let mut found = Vec::new();
    for (module, path, code) in sources() {
        if EDGE.contains(&module.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&code) {
            if line.contains("crate::output")
                || line.contains("maud::")
                || line.contains("comfy_table")
            {
                found.push(format!("{}:{n}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "library code (the capture's above all) uses the output layer; hand it data instead:\n{}",
        found.join("\n")
    );
}

/// `crate::name` references, `use crate::{a, b}` lists and, in a file directly under
/// src/, `super::name`.
fn references(code: &str, top_level_file: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (_, line) in code_lines(code) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(list) = rest.strip_prefix('{') {
                let end = list.find('}').unwrap_or(list.len());
                for item in list[..end].split(',') {
                    out.insert(ident(item.trim()));
                }
            } else {
                out.insert(ident(rest));
            }
        }
        if top_level_file {
            let mut rest = line;
            while let Some(i) = rest.find("super::") {
                rest = &rest[i + "super::".len()..];
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn no_two_modules_depend_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let modules: BTreeSet<String> = sources().into_iter().map(|(m, _, _)| m).collect();
    for (module, path, code) in sources() {
        let top = path.parent() == Some(src.as_path());
        let refs = references(&code, top);
        let entry = deps.entry(module.clone()).or_default();
        for r in refs {
            if r != module && modules.contains(&r) {
                entry.insert(r);
            }
        }
    }
    // A cycle is a path back to where it started: depth-first from each module.
    let mut cycles = Vec::new();
    for start in deps.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((m, path)) = stack.pop() {
            for d in deps.get(&m).into_iter().flatten() {
                if d == start {
                    cycles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(d.clone()) {
                    let mut p = path.clone();
                    p.push(d.clone());
                    stack.push((d.clone(), p));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that depend on each other:\n{}",
        cycles.join("\n")
    );
    // The check sees what it must: the edge depends on the library, not the reverse.
    assert!(deps["commands"].contains("capture"), "{deps:?}");
    assert!(deps["output"].contains("summary"), "{deps:?}");
}

#[test]
fn the_checks_see_a_print_and_a_cycle() {
    // The parsers above must catch what they exist for, or the tests could never fail.
    let refs = references(
        "use crate::{summary, scan::Request};\nlet x = crate::output::say;",
        false,
    );
    assert_eq!(refs, ["output", "scan", "summary"].map(String::from).into());
    let code = "fn f() {\n    // println!(\"a comment\")\n    eprintln!(\"x\");\n}\n";
    let lines: Vec<_> = code_lines(code)
        .filter(|(_, l)| l.contains("println!"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, 3);
}
