//! JSON and JSONL as every report writes them: exact (a string reads back as the very
//! text Jira or the log had), and safe on a terminal all the same. serde_json escapes C0
//! controls but writes DEL, C1 controls and bidirectional overrides raw, which a terminal
//! acts on; here they are written as `\uXXXX`, which is the same JSON string.

use crate::untrusted::needs_escape;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// `value` pretty-printed (no newline after it).
pub fn pretty<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Safe(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// `value` on one line, then a newline: one JSONL record.
pub fn line<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, Safe(CompactFormatter));
        value.serialize(&mut ser).map_err(io::Error::from)?;
    }
    writeln!(out)
}

/// A formatter that escapes what a terminal would act on, beside what JSON must escape.
struct Safe<F>(F);

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            w.write_all(&rest.as_bytes()[..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_safe_on_a_terminal() {
        let v = serde_json::json!({"name": "\u{1b}]0;x\u{7}\u{202e}é\u{9b}\u{7f}", "n": [1, 2]});
        for text in [
            {
                let mut o = Vec::new();
                pretty(&mut o, &v).unwrap();
                o
            },
            {
                let mut o = Vec::new();
                line(&mut o, &v).unwrap();
                o
            },
        ] {
            let s = String::from_utf8(text).unwrap();
            assert!(!s.chars().any(|c| needs_escape(c) && c != '\n'), "{s:?}");
            assert!(s.contains("\\u202e") && s.contains('é'), "{s}");
            let back: serde_json::Value = serde_json::from_str(&s).unwrap();
            assert_eq!(back, v);
        }
    }
}
