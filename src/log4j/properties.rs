//! A `java.util.Properties` document that keeps its original bytes (the toml_edit idea at
//! line granularity): each logical entry knows the byte spans of its key, separator and
//! value, so an edit replaces one span and everything else is written back untouched.
//! Parsing follows `Properties.load`: `\n`, `\r\n` or `\r` line ends, `#`/`!` comments,
//! `=`/`:`/whitespace separators, `\` continuation lines, `\uXXXX` and other escapes.
//! Bytes are read as ISO-8859-1, as log4j 1.x's `Properties.load(InputStream)` does.

use super::Splice;
use std::ops::Range;

/// A parsed properties file: the bytes read and their logical entries.
#[derive(Debug, Clone)]
pub struct Document {
    /// The bytes parsed, unchanged.
    pub raw: Vec<u8>,
    /// Every logical entry in file order; spans are contiguous and cover `raw`.
    pub entries: Vec<Entry>,
}

/// One logical entry: a blank line, a comment, or a key/value pair over its continuation lines.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The whole entry, every natural line of it, with the final line terminator.
    pub span: Range<usize>,
    /// What the entry is.
    pub kind: Kind,
}

/// The three kinds of logical line `Properties.load` knows.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Only whitespace.
    Blank,
    /// First non-blank character `#` or `!`.
    Comment,
    /// A key and its (possibly empty) value.
    Pair(Pair),
}

/// A key and its value, with the byte spans an edit splices.
#[derive(Debug, Clone)]
pub struct Pair {
    /// Unescaped key.
    pub key: String,
    /// Byte range of the key as written (escapes included).
    pub key_span: Range<usize>,
    /// From the end of the key to the start of the value (`=`, ` = `, `:`, `\t`).
    pub sep_span: Range<usize>,
    /// Raw value text without trailing unescaped whitespace (which stays as "decor").
    pub value_span: Range<usize>,
    /// Unescaped value, continuation lines joined, trailing whitespace trimmed.
    pub value: String,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0c)
}

impl Document {
    /// Parse any bytes: never fails (a line that is not a comment or blank is a pair).
    pub fn parse(raw: &[u8]) -> Document {
        let mut entries = Vec::new();
        let mut pos = 0;
        while pos < raw.len() {
            let (content_end, next) = natural_line(raw, pos);
            let first = (pos..content_end).find(|&i| !is_ws(raw[i]));
            match first {
                None => entries.push(Entry {
                    span: pos..next,
                    kind: Kind::Blank,
                }),
                Some(i) if raw[i] == b'#' || raw[i] == b'!' => entries.push(Entry {
                    span: pos..next,
                    kind: Kind::Comment,
                }),
                Some(i) => {
                    let (pair, end) = parse_pair(raw, i, content_end, next);
                    entries.push(Entry {
                        span: pos..end,
                        kind: Kind::Pair(pair),
                    });
                    pos = end;
                    continue;
                }
            }
            pos = next;
        }
        Document {
            raw: raw.to_vec(),
            entries,
        }
    }

    /// Every pair, with its entry index.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, &Pair)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.kind {
                Kind::Pair(p) => Some((i, p)),
                _ => None,
            })
    }

    /// The pair at entry `idx`; `None` when out of range or not a pair.
    pub fn pair(&self, idx: usize) -> Option<&Pair> {
        match &self.entries.get(idx)?.kind {
            Kind::Pair(p) => Some(p),
            _ => None,
        }
    }

    /// The entry that defines `key` (the last one: `Properties.load` keeps the last).
    pub fn find(&self, key: &str) -> Option<usize> {
        self.pairs()
            .filter(|(_, p)| p.key == key)
            .map(|(i, _)| i)
            .last()
    }

    /// The unescaped value of `key` (the last definition wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key)
            .and_then(|i| self.pair(i))
            .map(|p| p.value.as_str())
    }

    /// The line terminator most lines use, for lines we add.
    pub fn eol(&self) -> &'static str {
        let crlf = self.raw.windows(2).filter(|w| w == b"\r\n").count();
        let lf = self.raw.iter().filter(|&&b| b == b'\n').count() - crlf;
        let cr = self.raw.iter().filter(|&&b| b == b'\r').count() - crlf;
        if crlf > lf && crlf >= cr {
            "\r\n"
        } else if cr > lf && cr > crlf {
            "\r"
        } else {
            "\n"
        }
    }

    /// The raw separator of entry `idx` (`=`, ` = `), to copy onto lines we add.
    pub fn sep_of(&self, idx: usize) -> Option<String> {
        let p = self.pair(idx)?;
        let s = String::from_utf8_lossy(&self.raw[p.sep_span.clone()]).into_owned();
        // A separator that was only the line's continuation would look odd on a new line.
        (!s.contains('\\') && !s.contains('\n') && !s.contains('\r') && !s.is_empty()).then_some(s)
    }

    /// A splice that replaces the value of entry `idx` with `value` (already escaped).
    pub fn set_value(&self, idx: usize, escaped: &str) -> Option<Splice> {
        let p = self.pair(idx)?;
        if p.sep_span.is_empty() {
            // A bare key: without a separator the new value would join the key.
            return Some(Splice::new(p.value_span.clone(), &format!("={escaped}")));
        }
        Some(Splice::new(p.value_span.clone(), escaped))
    }

    /// A splice that inserts `lines` (each without terminator) after entry `idx`,
    /// adding a terminator to that entry first when it is the file's unterminated last line.
    pub fn insert_after(&self, idx: usize, lines: &[String], blank_before: bool) -> Splice {
        let at = self.entries[idx].span.end;
        self.insert_at(at, lines, blank_before)
    }

    /// A splice inserting `lines` (each without terminator) at byte `at`, terminating the
    /// line before it when needed and adding a blank line first when `blank_before`.
    pub fn insert_at(&self, at: usize, lines: &[String], blank_before: bool) -> Splice {
        let eol = self.eol();
        let mut text = String::new();
        let unterminated = at > 0 && !matches!(self.raw[at - 1], b'\n' | b'\r');
        if unterminated {
            text.push_str(eol);
        }
        if blank_before {
            text.push_str(eol);
        }
        for l in lines {
            text.push_str(l);
            text.push_str(eol);
        }
        Splice::new(at..at, &text)
    }
}

/// `(end of content, start of next line)` of the natural line starting at `pos`.
fn natural_line(raw: &[u8], pos: usize) -> (usize, usize) {
    match memchr::memchr2(b'\n', b'\r', &raw[pos..]) {
        None => (raw.len(), raw.len()),
        Some(k) => {
            let e = pos + k;
            if raw[e] == b'\r' && raw.get(e + 1) == Some(&b'\n') {
                (e, e + 2)
            } else {
                (e, e + 1)
            }
        }
    }
}

fn ends_with_odd_backslashes(raw: &[u8], start: usize, end: usize) -> bool {
    let n = raw[start..end]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    n % 2 == 1
}

/// The bytes of one logical line (continuation backslashes and the leading whitespace of
/// continuation lines left out) and where each natural line's part of it starts in the
/// raw bytes: one byte per byte of the line plus one pair per natural line, so that a
/// long value costs little more than itself.
struct Logical {
    bytes: Vec<u8>,
    /// `(logical index, raw offset)` of each natural line's first byte, ascending.
    parts: Vec<(usize, usize)>,
    /// Raw offset just past the content of the last natural line.
    last_end: usize,
}

impl Logical {
    /// The raw offset of logical byte `l`; `last_end` past the end.
    fn raw(&self, l: usize) -> usize {
        if l >= self.bytes.len() {
            return self.last_end;
        }
        let k = self.parts.partition_point(|&(start, _)| start <= l) - 1;
        let (start, raw) = self.parts[k];
        raw + (l - start)
    }
}

/// Parses the logical line whose first key byte is at `key_start`; returns the pair and
/// the end of the entry (after the last natural line's terminator).
fn parse_pair(raw: &[u8], key_start: usize, first_end: usize, first_next: usize) -> (Pair, usize) {
    let mut logical = Logical {
        bytes: Vec::new(),
        parts: Vec::new(),
        last_end: first_end,
    };
    let (mut start, mut end, mut next) = (key_start, first_end, first_next);
    loop {
        let cont = ends_with_odd_backslashes(raw, start, end);
        let upto = if cont { end - 1 } else { end };
        logical.parts.push((logical.bytes.len(), start));
        logical.bytes.extend_from_slice(&raw[start..upto]);
        if !cont || next >= raw.len() || next == end {
            logical.last_end = end;
            break;
        }
        let (e2, n2) = natural_line(raw, next);
        start = (next..e2).find(|&i| !is_ws(raw[i])).unwrap_or(e2);
        end = e2;
        next = n2;
    }
    let entry_end = next;
    let l = &logical.bytes;

    // Key: up to the first unescaped separator character.
    let mut i = 0;
    let mut key = String::new();
    while i < l.len() {
        let b = l[i];
        if b == b'\\' && i + 1 < l.len() {
            i += 1 + unescape_into(&l[i..], &mut key);
            continue;
        }
        if b == b'=' || b == b':' || is_ws(b) {
            break;
        }
        key.push(b as char);
        i += 1;
    }
    let key_end_l = i;
    while i < l.len() && is_ws(l[i]) {
        i += 1;
    }
    if i < l.len() && (l[i] == b'=' || l[i] == b':') {
        i += 1;
        while i < l.len() && is_ws(l[i]) {
            i += 1;
        }
    }
    let value_start_l = i;
    let key_span = key_start..if key_end_l == 0 {
        key_start
    } else {
        logical.raw(key_end_l - 1) + 1
    };
    let sep_span = key_span.end..logical.raw(value_start_l);

    let mut value = String::new();
    let mut j = value_start_l;
    // Index in `l` after the last byte that is not trailing decor whitespace, and the
    // length of `value` up to there.
    let mut significant_end = value_start_l;
    let mut significant_len = 0;
    while j < l.len() {
        let b = l[j];
        if b == b'\\' && j + 1 < l.len() {
            j += 1 + unescape_into(&l[j..], &mut value);
            significant_end = j;
            significant_len = value.len();
            continue;
        }
        value.push(b as char);
        j += 1;
        if !is_ws(b) {
            significant_end = j;
            significant_len = value.len();
        }
    }
    value.truncate(significant_len);
    let value_span = sep_span.end..if significant_end > value_start_l {
        logical.raw(significant_end - 1) + 1
    } else {
        sep_span.end
    };
    (
        Pair {
            key,
            key_span,
            sep_span,
            value_span,
            value,
        },
        entry_end,
    )
}

/// Decodes the escape at `l[0]` (a backslash); returns how many bytes after the
/// backslash it used.
fn unescape_into(l: &[u8], out: &mut String) -> usize {
    let c = l[1];
    match c {
        b'u' => {
            let hex = l.get(2..6).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(n) = hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                return 5;
            }
            // Java refuses malformed \u; keep the text so nothing is lost.
            out.push('u');
            1
        }
        b't' => {
            out.push('\t');
            1
        }
        b'n' => {
            out.push('\n');
            1
        }
        b'r' => {
            out.push('\r');
            1
        }
        b'f' => {
            out.push('\u{c}');
            1
        }
        other => {
            out.push(other as char);
            1
        }
    }
}

/// A key as `Properties.store` would write it (ASCII only).
pub fn escape_key(key: &str) -> String {
    escape(key, true)
}

/// A value as `Properties.store` would write it (ASCII only).
pub fn escape_value(value: &str) -> String {
    escape(value, false)
}

fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' if is_key || i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(src: &str) -> Vec<(String, String)> {
        Document::parse(src.as_bytes())
            .pairs()
            .map(|(_, p)| (p.key.clone(), p.value.clone()))
            .collect()
    }

    #[test]
    fn separators_comments_and_blank_lines() {
        let src = "# c\n! also c\n\na=1\nb = 2\nc:3\nd 4\n  e\t:  5  \nf\n";
        assert_eq!(
            pairs(src),
            [
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "4"),
                ("e", "5"),
                ("f", "")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let d = Document::parse(src.as_bytes());
        assert_eq!(d.entries.len(), 9);
        let total: usize = d.entries.iter().map(|e| e.span.len()).sum();
        assert_eq!(total, src.len());
    }

    #[test]
    fn continuation_lines_and_escapes() {
        let src =
            "key\\ one = first \\\n    second\\\n\tthird\nu\\u0041 = \\u00e9t\\u00E9\\\\\nlast=x\\";
        let p = pairs(src);
        assert_eq!(p[0], ("key one".into(), "first secondthird".into()));
        assert_eq!(p[1], ("uA".into(), "été\\".into()));
        assert_eq!(p[2], ("last".into(), "x".into()));
        let d = Document::parse(src.as_bytes());
        assert_eq!(d.entries.len(), 3);
        let first = d.pair(0).unwrap();
        assert_eq!(
            &src[first.value_span.clone()],
            "first \\\n    second\\\n\tthird"
        );
        assert_eq!(&src[first.key_span.clone()], "key\\ one");
        assert_eq!(&src[first.sep_span.clone()], " = ");
    }

    #[test]
    fn a_comment_line_does_not_continue_but_a_continued_line_may_look_like_one() {
        let src = "# comment \\\na=1 \\\n# not a comment\nb=2\n";
        let p = pairs(src);
        assert_eq!(p[0], ("a".into(), "1 # not a comment".into()));
        assert_eq!(p[1], ("b".into(), "2".into()));
    }

    #[test]
    fn crlf_and_cr_line_ends() {
        let src = "a=1\r\nb=2\rc=3\r\n";
        assert_eq!(pairs(src).len(), 3);
        let d = Document::parse(src.as_bytes());
        assert_eq!(d.eol(), "\r\n");
        assert_eq!(&src[d.pair(0).unwrap().value_span.clone()], "1");
    }

    #[test]
    fn trailing_whitespace_is_decor_but_escaped_space_is_value() {
        let src = "a=1  \nb=2\\ \n";
        let d = Document::parse(src.as_bytes());
        assert_eq!(&src[d.pair(0).unwrap().value_span.clone()], "1");
        assert_eq!(d.pair(1).unwrap().value, "2 ");
        assert_eq!(&src[d.pair(1).unwrap().value_span.clone()], "2\\ ");
    }

    /// Pseudo-random files built from awkward pieces: entries must tile the input, and
    /// replacing any value must change that value only.
    #[test]
    fn generated_files_tile_and_edit_one_value_at_a_time() {
        let pieces = [
            "# comment",
            "! bang",
            "",
            "   ",
            "a=1",
            "b = 2",
            "c:3",
            "d 4",
            "\tindented\t=\tx",
            "cont = one \\",
            "   two",
            "k\\u0041y=v",
            "esc\\ key = v\\\\",
            "empty=",
            "trail = v \t",
            "colon\\:in\\=key = z",
        ];
        let eols = ["\n", "\r\n", "\r"];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let mut src = String::new();
            for _ in 0..next(12) {
                src.push_str(pieces[next(pieces.len())]);
                src.push_str(eols[next(eols.len())]);
            }
            if next(2) == 0 {
                src.push_str(pieces[next(pieces.len())]);
            }
            let d = Document::parse(src.as_bytes());
            let mut pos = 0;
            for e in &d.entries {
                assert_eq!(e.span.start, pos, "{src:?}");
                pos = e.span.end;
            }
            assert_eq!(pos, src.len(), "{src:?}");
            let keys: Vec<String> = d.pairs().map(|(_, p)| p.key.clone()).collect();
            let idxs: Vec<usize> = d.pairs().map(|(i, _)| i).collect();
            for (n, &i) in idxs.iter().enumerate() {
                let edited = super::super::apply(src.as_bytes(), &[d.set_value(i, "NEW").unwrap()]);
                let d2 = Document::parse(&edited);
                let keys2: Vec<String> = d2.pairs().map(|(_, p)| p.key.clone()).collect();
                assert_eq!(keys, keys2, "{src:?}");
                for (m, (_, p)) in d2.pairs().enumerate() {
                    if m == n {
                        assert_eq!(p.value, "NEW", "{src:?}");
                    } else {
                        assert_eq!(p.value, d.pairs().nth(m).unwrap().1.value, "{src:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn escaping_round_trips_through_the_parser() {
        for (k, v) in [("a b=c:d", " lead\tété"), ("x#!", "\\end")] {
            let line = format!("{}={}\n", escape_key(k), escape_value(v));
            assert!(line.is_ascii());
            assert_eq!(pairs(&line), [(k.to_string(), v.to_string())]);
        }
    }
}
