//! What is said about input that did not fit: a short, escaped [`excerpt`] of a line
//! someone else wrote (never raw: it may hold terminal escapes, a password hash, a whole
//! file), and a [`Tally`] that says a repeated warning once with its count instead of once
//! per line or file.
//!
//! The escaping of text read from Jira or a log belongs to one place; [`escape`] is that
//! place for warnings and errors.

use std::fmt::Write as _;

/// Most characters of a line shown in a warning.
pub const EXCERPT_CHARS: usize = 80;

/// Text from a file or from Jira, made safe for one line of a terminal: what
/// [`crate::untrusted::needs_escape`] names becomes the same visible escape a report
/// shows (`\n`, `\e`, `\u{202e}`), bytes that are not UTF-8 become `\xNN`.
pub fn escape(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    escape_into(raw, usize::MAX, &mut out);
    out
}

/// At most [`EXCERPT_CHARS`] characters of `raw` (after escaping), with `…` when cut.
pub fn excerpt(raw: &[u8]) -> String {
    excerpt_of(raw, EXCERPT_CHARS)
}

/// At most `max` characters of `raw` (after escaping), with `…` when cut: for a message
/// of another program that may quote a file (an XML parser's).
pub fn excerpt_of(raw: &[u8], max: usize) -> String {
    let mut out = String::new();
    if escape_into(raw, max, &mut out) {
        out.push('…');
    }
    out
}

/// Escape `raw` into `out` up to `max` characters of output; true when cut.
fn escape_into(raw: &[u8], max: usize, out: &mut String) -> bool {
    let mut shown = 0;
    let mut push = |piece: &str, out: &mut String| -> bool {
        let n = piece.chars().count();
        if shown + n > max {
            return false;
        }
        shown += n;
        out.push_str(piece);
        true
    };
    let mut buf = String::new();
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            buf.clear();
            if crate::untrusted::needs_escape(c) {
                crate::untrusted::push_escape(&mut buf, c);
            } else {
                buf.push(c);
            }
            if !push(&buf, out) {
                return true;
            }
        }
        for b in chunk.invalid() {
            buf.clear();
            let _ = write!(buf, "\\x{b:02x}");
            if !push(&buf, out) {
                return true;
            }
        }
    }
    false
}

/// Warnings of several kinds, each said once however often it happens: the first
/// occurrence in full, then how many more there were.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    kinds: Vec<Kind>,
}

#[derive(Debug, Clone)]
struct Kind {
    key: &'static str,
    noun: &'static str,
    first: String,
    more: u64,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Self {
        Self::default()
    }

    /// One more warning of kind `key`; `noun` names what repeats (`lines`, `files`), and
    /// `say` is called only for the first of its kind.
    pub fn add(&mut self, key: &'static str, noun: &'static str, say: impl FnOnce() -> String) {
        self.add_n(key, noun, 1, say);
    }

    /// `n` warnings of kind `key` at once (a count kept elsewhere).
    pub fn add_n(
        &mut self,
        key: &'static str,
        noun: &'static str,
        n: u64,
        say: impl FnOnce() -> String,
    ) {
        if n == 0 {
            return;
        }
        match self.kinds.iter_mut().find(|k| k.key == key) {
            Some(k) => k.more += n,
            None => self.kinds.push(Kind {
                key,
                noun,
                first: say(),
                more: n - 1,
            }),
        }
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// One line per kind, in the order first seen: `first (… and 49 more such lines)`.
    pub fn lines(&self) -> Vec<String> {
        self.kinds
            .iter()
            .map(|k| match k.more {
                0 => k.first.clone(),
                n => format!("{} (… and {n} more such {})", k.first, k.noun),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_escaped_and_marked_when_cut() {
        assert_eq!(excerpt(b"plain text"), "plain text");
        assert_eq!(
            excerpt(b"a\x1b[31mred\x07\nnext\t\xff\xfe"),
            "a\\e[31mred\\a\\nnext\\t\\xff\\xfe"
        );
        assert_eq!(
            excerpt("caf\u{e9} \u{202e}txt".as_bytes()),
            "caf\u{e9} \\u{202e}txt"
        );
        let long = "x".repeat(500);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
        // An escape is never cut in half.
        let e = excerpt(&[0u8; 100]);
        assert!(e.ends_with("\\0…"), "{e}");
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(escape(b"a\nb"), "a\\nb");
    }

    #[test]
    fn repeated_warnings_are_counted() {
        let mut t = Tally::new();
        let mut said = 0;
        for i in 0..50 {
            t.add("bad", "lines", || {
                said += 1;
                format!("line {i} does not fit")
            });
        }
        t.add("other", "files", || "one file".into());
        assert_eq!(said, 1);
        assert_eq!(
            t.lines(),
            ["line 0 does not fit (… and 49 more such lines)", "one file"]
        );
    }
}
