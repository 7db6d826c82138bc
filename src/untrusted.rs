//! Text that someone else wrote: token names typed by any Jira user, User-Agents, paths
//! and addresses sent by any client, lines of a log. [`Untrusted`] holds it and has no
//! `Display`: the only ways out are one per destination, each safe for it — a terminal
//! ([`Untrusted::terminal`]: controls, DEL, C1 and bidirectional controls shown as
//! escapes, widths by Unicode width), a spreadsheet ([`Untrusted::csv`]: a cell that
//! would start a formula gets a leading `'`, as OWASP advises), a page (its `maud::Render`
//! in `output::html`: escaped, controls shown visibly) and JSON (serialized exactly).
//! [`Untrusted::raw`] is for comparing and matching, never for printing.
//!
//! Text that is not yet of this type (a file name read from a directory, an error that
//! quotes a log line) goes to a terminal through [`terminal`].

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A string from Jira or a log. Serialized as the plain string (JSON stays exact); shown
/// only through the escaping of its destination.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Untrusted(String);

impl Untrusted {
    /// Wrap text that came from outside.
    pub fn new(s: impl Into<String>) -> Self {
        Untrusted(s.into())
    }

    /// Bytes from a log or a header: invalid UTF-8 becomes U+FFFD.
    pub fn from_utf8_lossy(b: &[u8]) -> Self {
        Untrusted(String::from_utf8_lossy(b).into_owned())
    }

    /// The exact text, for comparing, matching and serializing. Printing it raw is what
    /// this type exists to prevent.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The exact text, owned (see [`Untrusted::raw`]).
    pub fn into_raw(self) -> String {
        self.0
    }

    /// Whether there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as a terminal may show it: see [`terminal`].
    pub fn terminal(&self) -> Cow<'_, str> {
        terminal(&self.0)
    }

    /// Columns the text takes on a terminal, escapes included (CJK and emoji count two).
    pub fn width(&self) -> usize {
        width(&self.terminal())
    }

    /// The text as a CSV cell: one that would start a formula (`=`, `+`, `-`, `@`, tab,
    /// CR) gets a leading `'`; `raw` (`--csv-raw`) gives the exact text.
    pub fn csv(&self, raw: bool) -> Cow<'_, str> {
        if raw {
            Cow::Borrowed(&self.0)
        } else {
            csv_cell(&self.0)
        }
    }
}

impl std::fmt::Debug for Untrusted {
    // A stray `{:?}` must not reach a terminal raw either.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.terminal())
    }
}

impl From<&str> for Untrusted {
    fn from(s: &str) -> Self {
        Untrusted::new(s)
    }
}

impl From<String> for Untrusted {
    fn from(s: String) -> Self {
        Untrusted(s)
    }
}

impl PartialEq<str> for Untrusted {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Untrusted {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Whether a terminal would act on `c` rather than show it: C0 controls, DEL, C1 controls
/// (U+0080–U+009F, which some terminals read as CSI and OSC), the bidirectional marks,
/// embeddings, overrides and isolates (which reorder the text around them), the line
/// and paragraph separators, and the zero-width characters (which hide text).
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Write the visible escape of `c` (see [`terminal`]).
pub fn push_escape(out: &mut String, c: char) {
    match c {
        '\u{1b}' => out.push_str("\\e"),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{b}' => out.push_str("\\v"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        '\u{0}' => out.push_str("\\0"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// `s` as a terminal may show it: every character of [`needs_escape`] written as its
/// escape (`\e`, `\a`, `\n`, `\x01`, `\u{9b}`, `\u{202e}`), the rest as it is. Borrowed
/// when there is nothing to escape, which is the rule.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Columns `s` takes on a terminal as it is (escape it first: see [`terminal`]).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// A CSV cell that a spreadsheet would not take for a formula (OWASP, CSV injection):
/// text starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}txt.exe\u{9b}2J\u{7f}";

    #[test]
    fn a_terminal_sees_escapes_not_controls() {
        let t = Untrusted::new(HOSTILE);
        let shown = t.terminal();
        assert_eq!(
            shown,
            "\\e]0;pwned\\a\\e[31mRED\\u{202e}txt.exe\\u{9b}2J\\x7f"
        );
        assert!(!shown.chars().any(needs_escape));
        assert_eq!(format!("{t:?}"), format!("\"{shown}\""));
        // Ordinary text is borrowed untouched.
        assert!(matches!(terminal("Überwachung 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn widths_are_what_a_terminal_shows() {
        assert_eq!(Untrusted::new("日本語").width(), 6);
        assert_eq!(Untrusted::new("a\u{1b}b").width(), 4);
        assert_eq!(width("🦀x"), 3);
    }

    #[test]
    fn csv_cells_never_start_a_formula_unless_raw() {
        for f in [
            "=HYPERLINK(\"x\")",
            "+cmd|' /C calc'!A0",
            "-1+1",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let u = Untrusted::new(f);
            assert_eq!(u.csv(false), format!("'{f}"));
            assert_eq!(u.csv(true), f);
        }
        assert_eq!(Untrusted::new("ci token").csv(false), "ci token");
    }

    #[test]
    fn json_is_exact() {
        let u = Untrusted::new(HOSTILE);
        let j = serde_json::to_string(&u).unwrap();
        let back: Untrusted = serde_json::from_str(&j).unwrap();
        assert_eq!(back.raw(), HOSTILE);
    }
}
