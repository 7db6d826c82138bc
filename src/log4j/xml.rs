//! A log4j2 XML document read with quick-xml's event reader into a small element tree
//! of byte spans (start tag, end tag, each attribute value and its quote). Nothing is
//! re-serialised: edits splice new attribute values or new elements into the original
//! bytes, so comments, entities, quote style, attribute order and the XML declaration
//! of every untouched event stay byte-identical.

use super::Splice;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::ops::Range;

/// A parsed XML document: the bytes read and their elements as a tree of spans.
#[derive(Debug, Clone)]
pub struct Document {
    /// The bytes parsed, unchanged (even when not UTF-8).
    pub raw: Vec<u8>,
    /// Every element in the order of its start tag; indexes into this are element ids.
    pub elements: Vec<Element>,
    /// Index of the root element; always `Some` after a successful [`Document::parse`].
    pub root: Option<usize>,
}

/// One element: its name, spans and attributes.
#[derive(Debug, Clone)]
pub struct Element {
    /// The tag name as written, prefix included.
    pub name: String,
    /// `<Name ...>` or `<Name .../>`.
    pub start: Range<usize>,
    /// `</Name>`; `None` for an empty element.
    pub end: Option<Range<usize>>,
    /// Attributes in the order written.
    pub attrs: Vec<Attr>,
    /// Indexes (in [`Document::elements`]) of the child elements, in document order.
    pub children: Vec<usize>,
    /// Index of the enclosing element; `None` for the root.
    pub parent: Option<usize>,
}

/// One attribute of a start tag.
#[derive(Debug, Clone)]
pub struct Attr {
    /// The name as written.
    pub name: String,
    /// Unescaped value.
    pub value: String,
    /// The value between the quotes.
    pub value_span: Range<usize>,
    /// The quote byte around the value: `b'"'` or `b'\''`.
    pub quote: u8,
}

/// Where and why the XML could not be read.
#[derive(Debug, Clone)]
pub struct XmlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// quick-xml's message, or what is structurally wrong (unclosed element, two roots).
    pub message: String,
}

impl Element {
    /// The attribute named `name`, case-insensitively as log4j2 matches them.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        // log4j2 matches plugin attribute names case-insensitively.
        self.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether the tag name is `name`, case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The whole element, start tag to end tag.
    pub fn span(&self) -> Range<usize> {
        self.start.start..self.end.as_ref().map_or(self.start.end, |e| e.end)
    }
}

fn line_col(raw: &[u8], pos: usize) -> (usize, usize) {
    let pos = pos.min(raw.len());
    let before = &raw[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&raw[line_start..pos])
        .chars()
        .count()
        + 1;
    (line, column)
}

impl Document {
    /// Parse `raw` (UTF-8, or a single-byte encoding whose non-ASCII bytes are kept as is).
    pub fn parse(raw: &[u8]) -> Result<Document, XmlError> {
        let err = |pos: usize, message: String| {
            let (line, column) = line_col(raw, pos);
            XmlError {
                line,
                column,
                message,
            }
        };
        // quick-xml reads UTF-8 only. A file in a single-byte encoding (ISO-8859-1 is
        // legal XML) is parsed from a copy with every non-ASCII byte replaced by `?`:
        // same length, so every position still points into the original bytes, which
        // are what gets written back.
        let masked: Vec<u8>;
        let scan: &[u8] = if std::str::from_utf8(raw).is_ok() {
            raw
        } else {
            masked = raw
                .iter()
                .map(|&b| if b.is_ascii() { b } else { b'?' })
                .collect();
            &masked
        };
        let mut reader = Reader::from_reader(scan);
        reader.config_mut().check_end_names = true;
        let mut elements: Vec<Element> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut root = None;
        loop {
            let before = reader.buffer_position() as usize;
            let ev = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => return Err(err(reader.error_position() as usize, e.to_string())),
            };
            let after = reader.buffer_position() as usize;
            match ev {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(ev, Event::Empty(_));
                    let attrs = read_attrs(scan, s).map_err(|m| err(before, m))?;
                    let idx = elements.len();
                    let parent = stack.last().copied();
                    elements.push(Element {
                        name: s.name().as_ref().to_string(),
                        start: before..after,
                        end: None,
                        attrs,
                        children: Vec::new(),
                        parent,
                    });
                    match parent {
                        Some(p) => elements[p].children.push(idx),
                        None if root.is_none() => root = Some(idx),
                        None => {
                            return Err(err(before, "more than one root element".into()));
                        }
                    }
                    if !empty {
                        stack.push(idx);
                    }
                }
                Event::End(_) => {
                    let Some(idx) = stack.pop() else {
                        return Err(err(before, "end tag without a start tag".into()));
                    };
                    elements[idx].end = Some(before..after);
                }
                Event::Eof => {
                    if let Some(&open) = stack.last() {
                        let e = &elements[open];
                        return Err(err(e.start.start, format!("<{}> is never closed", e.name)));
                    }
                    break;
                }
                _ => {}
            }
        }
        if root.is_none() {
            return Err(err(0, "no root element".into()));
        }
        Ok(Document {
            raw: raw.to_vec(),
            elements,
            root,
        })
    }

    /// The root element; `None` only for a document not made by [`Document::parse`].
    pub fn root(&self) -> Option<&Element> {
        self.root.map(|r| &self.elements[r])
    }

    /// The direct children of element `idx`, with their indexes, in document order.
    pub fn children<'a>(&'a self, idx: usize) -> impl Iterator<Item = (usize, &'a Element)> + 'a {
        self.elements[idx]
            .children
            .iter()
            .map(move |&c| (c, &self.elements[c]))
    }

    /// The first direct child of `idx` named `name` (case-insensitively).
    pub fn child(&self, idx: usize, name: &str) -> Option<usize> {
        self.children(idx).find(|(_, e)| e.is(name)).map(|(i, _)| i)
    }

    /// Every element under `idx` (not `idx` itself), in document order.
    pub fn descendants(&self, idx: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut todo: Vec<usize> = self.elements[idx].children.iter().rev().copied().collect();
        while let Some(i) = todo.pop() {
            out.push(i);
            todo.extend(self.elements[i].children.iter().rev().copied());
        }
        out
    }

    /// The line ending most used in the file: `"\r\n"` or `"\n"`.
    pub fn eol(&self) -> &'static str {
        let crlf = self.raw.windows(2).filter(|w| w == b"\r\n").count();
        let lf = self.raw.iter().filter(|&&b| b == b'\n').count() - crlf;
        if crlf > lf {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// The quote most attributes use.
    pub fn quote(&self) -> u8 {
        let single = self
            .elements
            .iter()
            .flat_map(|e| &e.attrs)
            .filter(|a| a.quote == b'\'')
            .count();
        let double = self.elements.iter().map(|e| e.attrs.len()).sum::<usize>() - single;
        if single > double {
            b'\''
        } else {
            b'"'
        }
    }

    /// The whitespace before the element on its line (empty when something else
    /// precedes it on that line).
    pub fn indent_of(&self, idx: usize) -> Option<String> {
        // Back over blanks only: a line holding other things first is not scanned
        // (asked of every element, a scan to the line's start would be quadratic).
        let s = self.elements[idx].start.start;
        let blanks = self.raw[..s]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let line_start = s - blanks;
        (line_start == 0 || matches!(self.raw[line_start - 1], b'\n' | b'\r'))
            .then(|| String::from_utf8_lossy(&self.raw[line_start..s]).into_owned())
    }

    /// One level of indentation as the document writes it.
    pub fn indent_unit(&self) -> String {
        for (i, e) in self.elements.iter().enumerate() {
            if let (Some(p), Some(ci)) = (e.parent, self.indent_of(i)) {
                if let Some(pi) = self.indent_of(p) {
                    if ci.len() > pi.len() && ci.starts_with(&pi) {
                        return ci[pi.len()..].to_string();
                    }
                }
            }
        }
        "    ".into()
    }

    /// Replace an attribute's value, or add the attribute after the last one.
    pub fn set_attr(&self, idx: usize, name: &str, value: &str) -> Splice {
        let e = &self.elements[idx];
        if let Some(a) = e.attr(name) {
            return Splice::new(a.value_span.clone(), &escape(value, a.quote));
        }
        let q = e.attrs.last().map_or_else(|| self.quote(), |a| a.quote) as char;
        let at = e
            .attrs
            .last()
            .map_or(e.start.start + 1 + e.name.len(), |a| a.value_span.end + 1);
        Splice::new(at..at, &format!(" {name}={q}{}{q}", escape(value, q as u8)))
    }

    /// Insert `xml` (one element, possibly several lines joined with `\n`) as the last
    /// child of `parent`, indented like its siblings.
    pub fn append_child(&self, parent: usize, xml: &str) -> Option<Splice> {
        let p = &self.elements[parent];
        p.end.as_ref()?;
        let eol = self.eol();
        let parent_indent = self.indent_of(parent).unwrap_or_default();
        let (at, indent) = match p.children.last() {
            Some(&last) => (
                self.elements[last].span().end,
                self.indent_of(last)
                    .unwrap_or_else(|| format!("{parent_indent}{}", self.indent_unit())),
            ),
            None => (
                p.start.end,
                format!("{parent_indent}{}", self.indent_unit()),
            ),
        };
        let mut text = String::new();
        for line in xml.split('\n') {
            text.push_str(eol);
            text.push_str(&indent);
            text.push_str(line);
        }
        Some(Splice::new(at..at, &text))
    }

    /// Remove an element with the line break and indentation before it, so that removing
    /// what [`Document::append_child`] added gives back the original bytes.
    pub fn remove(&self, idx: usize) -> Splice {
        let span = self.elements[idx].span();
        let mut start = span.start;
        while start > 0 && matches!(self.raw[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        if start > 0 && self.raw[start - 1] == b'\n' {
            start -= 1;
            if start > 0 && self.raw[start - 1] == b'\r' {
                start -= 1;
            }
        } else if start > 0 && self.raw[start - 1] == b'\r' {
            start -= 1;
        } else {
            start = span.start;
        }
        Splice::new(start..span.end, "")
    }
}

fn read_attrs(raw: &[u8], s: &BytesStart<'_>) -> Result<Vec<Attr>, String> {
    let base = raw.as_ptr() as usize;
    let mut out = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let v: &[u8] = a.value.as_bytes();
        let off = (v.as_ptr() as usize).wrapping_sub(base);
        // Values are borrowed from the input when reading a slice; an owned value would
        // have no position to splice at.
        if off > raw.len() || off + v.len() > raw.len() || off == 0 {
            return Err("attribute value not found in the input".into());
        }
        let quote = raw[off - 1];
        let text = String::from_utf8_lossy(v);
        let value = quick_xml::escape::unescape(&text)
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| text.to_string());
        out.push(Attr {
            name: a.key.as_ref().to_string(),
            value,
            value_span: off..off + v.len(),
            quote,
        });
    }
    Ok(out)
}

/// Escape an attribute value for the given quote.
pub fn escape(value: &str, quote: u8) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote == b'"' => out.push_str("&quot;"),
            '\'' if quote == b'\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_attribute_values_and_tags() {
        let src = "<?xml version='1.0'?>\n<a x='1' y=\"t&amp;u\">\n  <b z=\"2\"/>\n</a>\n";
        let d = Document::parse(src.as_bytes()).unwrap();
        let a = d.root().unwrap();
        assert_eq!(a.name, "a");
        assert_eq!(&src[a.attrs[0].value_span.clone()], "1");
        assert_eq!(a.attrs[0].quote, b'\'');
        assert_eq!(a.attr("Y").unwrap().value, "t&u");
        assert_eq!(&src[a.attrs[1].value_span.clone()], "t&amp;u");
        let b = &d.elements[a.children[0]];
        assert_eq!(&src[b.start.clone()], "<b z=\"2\"/>");
        assert_eq!(d.indent_of(a.children[0]).as_deref(), Some("  "));
        assert_eq!(&src[a.end.clone().unwrap()], "</a>");
    }

    #[test]
    fn malformed_xml_reports_line_and_column() {
        let e = Document::parse(b"<a>\n  <b>\n</a>\n").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        let e = Document::parse(b"<a>\n  <b x=\"1\">\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3), "{e:?}");
    }

    #[test]
    fn a_latin1_file_is_read_and_its_bytes_kept() {
        let src =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!-- caf\xe9 -->\n<a x=\"1\"/>\n";
        let d = Document::parse(src).unwrap();
        let a = d.root().unwrap();
        assert_eq!(&src[a.attrs[0].value_span.clone()], b"1");
        let out = super::super::apply(src, &[d.set_attr(d.root.unwrap(), "x", "2")]);
        let expected: &[u8] =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!-- caf\xe9 -->\n<a x=\"2\"/>\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn append_then_remove_is_identity() {
        let src = "<a>\r\n    <b/>\r\n    <!-- c -->\r\n</a>\r\n";
        let d = Document::parse(src.as_bytes()).unwrap();
        let s = d.append_child(0, "<n k=\"v\">\n    <r/>\n</n>").unwrap();
        let added = super::super::apply(src.as_bytes(), &[s]);
        let added_s = String::from_utf8(added.clone()).unwrap();
        assert_eq!(
            added_s,
            "<a>\r\n    <b/>\r\n    <n k=\"v\">\r\n        <r/>\r\n    </n>\r\n    <!-- c -->\r\n</a>\r\n"
        );
        let d2 = Document::parse(&added).unwrap();
        let n = d2.elements.iter().position(|e| e.name == "n").unwrap();
        let back = super::super::apply(&added, &[d2.remove(n)]);
        assert_eq!(back, src.as_bytes());
    }

    #[test]
    fn set_attr_keeps_quotes_and_adds_missing_ones() {
        let src = "<a x='1'/>";
        let d = Document::parse(src.as_bytes()).unwrap();
        let out = super::super::apply(
            src.as_bytes(),
            &[d.set_attr(0, "x", "it's"), d.set_attr(0, "max", "20")],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a x='it&apos;s' max='20'/>"
        );
    }
}
