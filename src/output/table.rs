//! Tables for people: comfy-table draws them (widths by Unicode width, padding,
//! alignment); the one rule that stays ours is which columns a narrow terminal keeps.
//! Ids, counts and times are the answer a user came for and are never cut: a column is
//! left out whole, lowest priority first, and its cells listed per row below the table;
//! names are shortened in the middle, where their distinctive prefixes and suffixes
//! survive. Every cell is escaped for the terminal here, whatever its caller did.

use crate::untrusted::{terminal, width};
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table};
use std::io::{self, Write};

/// What a column holds decides what a narrow terminal may do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier: never shortened (only left out whole, by priority).
    Id,
    /// A number: never shortened, aligned right.
    Count,
    /// A timestamp: never shortened.
    Time,
    /// Shortened in the middle when narrow.
    Name,
    /// Shown whole or left out.
    Text,
}

/// One column of a table: when the terminal is too narrow, columns are left out lowest
/// priority first (ties: the rightmost first), and their cells listed below the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'a> {
    /// The full header.
    pub header: &'a str,
    /// A shorter header (`REQS` for `REQUESTS`), used once the table has to be narrowed,
    /// so a count column is as wide as its numbers.
    pub short: Option<&'a str>,
    /// Higher stays longer on a narrow terminal; [`Column::KEEP`] is never left out.
    pub priority: u8,
    /// What the column holds, which says how it may be narrowed.
    pub kind: Kind,
    /// For cells of more than one line: what the second line is, named when the cell is
    /// listed below the table (`failed` for the activity's second series).
    pub second_line: Option<&'a str>,
}

impl<'a> Column<'a> {
    /// Never left out, whatever the width.
    pub const KEEP: u8 = u8::MAX;

    /// A column of `kind` with `priority` and no short header.
    pub const fn new(header: &'a str, kind: Kind, priority: u8) -> Column<'a> {
        Column {
            header,
            short: None,
            priority,
            kind,
            second_line: None,
        }
    }
    /// An id column, never left out.
    pub const fn id(header: &'a str) -> Column<'a> {
        Column::new(header, Kind::Id, Column::KEEP)
    }
    /// A count column, never left out.
    pub const fn count(header: &'a str) -> Column<'a> {
        Column::new(header, Kind::Count, Column::KEEP)
    }
    /// A time column, never left out.
    pub const fn time(header: &'a str) -> Column<'a> {
        Column::new(header, Kind::Time, Column::KEEP)
    }
    /// A name column, shortened in the middle, left out by `priority`.
    pub const fn name(header: &'a str, priority: u8) -> Column<'a> {
        Column::new(header, Kind::Name, priority)
    }
    /// A text column, shown whole or left out by `priority`.
    pub const fn text(header: &'a str, priority: u8) -> Column<'a> {
        Column::new(header, Kind::Text, priority)
    }
    /// Use `short` as the header once the table has to be narrowed.
    pub const fn short(mut self, short: &'a str) -> Column<'a> {
        self.short = Some(short);
        self
    }
    /// With another priority (e.g. to make an id or count column droppable).
    pub const fn priority(mut self, priority: u8) -> Column<'a> {
        self.priority = priority;
        self
    }
    /// Name the second line of its cells where they are listed below the table.
    pub const fn second_line(mut self, label: &'a str) -> Column<'a> {
        self.second_line = Some(label);
        self
    }

    fn title(&self, short: bool) -> &'a str {
        match (short, self.short) {
            (true, Some(s)) => s,
            _ => self.header,
        }
    }
}

/// A name is not shortened below this many columns while a lower-priority column could
/// make room instead: fewer no longer tells names apart.
const NAME_MIN: usize = 12;
/// Below this a shortened name says nothing; reached only when every column left is one
/// that is never left out.
const NAME_FLOOR: usize = 4;
/// Between two columns.
const GAP: usize = 2;

/// How a table fits a width: each column's width, `None` where it is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Per column, its width in terminal columns; `None` when left out.
    pub widths: Vec<Option<usize>>,
    /// Whether the short headers are used.
    pub short_headers: bool,
}

impl Layout {
    /// Indexes of the left-out columns, in column order.
    pub fn dropped(&self) -> impl Iterator<Item = usize> + '_ {
        self.widths
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_none())
            .map(|(i, _)| i)
    }

    fn total(widths: &[Option<usize>]) -> usize {
        let shown: Vec<usize> = widths.iter().flatten().copied().collect();
        shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
    }
}

/// The widest line of a cell.
fn cell_width(s: &str) -> usize {
    s.lines().map(width).max().unwrap_or(0)
}

/// Fit `columns` to `max_width` (cells already escaped). A table line stops one column
/// short of the terminal's width: a line that fills the last column makes some terminals
/// wrap before the newline.
pub fn layout(columns: &[Column], rows: &[Vec<String>], max_width: Option<usize>) -> Layout {
    let natural = |short: bool| -> Vec<usize> {
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|s| cell_width(s))
                    .fold(width(c.title(short)), usize::max)
            })
            .collect()
    };
    let full = Layout {
        widths: natural(false).into_iter().map(Some).collect(),
        short_headers: false,
    };
    let Some(max) = max_width else { return full };
    let limit = max.saturating_sub(1);
    if Layout::total(&full.widths) <= limit {
        return full;
    }
    let long = fit_to(columns, &natural(false), limit, false);
    let short = fit_to(columns, &natural(true), limit, true);
    // Short headers only when they keep a more important column, or more columns, than
    // full headers.
    let loss = |l: &Layout| {
        let worst = l.dropped().map(|i| columns[i].priority).max();
        (worst, l.dropped().count())
    };
    if loss(&short) < loss(&long) {
        short
    } else {
        long
    }
}

fn fit_to(columns: &[Column], natural: &[usize], limit: usize, short: bool) -> Layout {
    let min = |i: usize| match columns[i].kind {
        Kind::Name => natural[i].min(NAME_MIN.max(width(columns[i].title(short)))),
        _ => natural[i],
    };
    let n = columns.len();
    let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
    // What may give way, least important first: a name is shortened (to a readable
    // minimum) only once every column below it is left out, and every name is shortened
    // before any name column is left out (NAME and OWNER both stay, shortened, rather
    // than one whole); ties go to the rightmost column.
    let first_name_out = columns
        .iter()
        .filter(|c| c.kind == Kind::Name && c.priority != Column::KEEP)
        .map(|c| c.priority)
        .min()
        .unwrap_or(Column::KEEP);
    let mut moves: Vec<(u8, bool, std::cmp::Reverse<usize>)> = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        if c.kind == Kind::Name {
            moves.push((c.priority.min(first_name_out), false, std::cmp::Reverse(i)));
        }
        if c.priority != Column::KEEP {
            moves.push((c.priority, true, std::cmp::Reverse(i)));
        }
    }
    moves.sort();
    // No narrow, less important column comes back into room a wider one left: a column
    // is shown only while every more important one is, so a wider terminal never shows
    // less.
    for &(_, drop, std::cmp::Reverse(i)) in &moves {
        if Layout::total(&widths) <= limit {
            break;
        }
        if drop {
            widths[i] = None;
        } else {
            widths[i] = Some(min(i));
        }
    }
    let mut names: Vec<usize> = (0..n)
        .filter(|&i| columns[i].kind == Kind::Name && widths[i].is_some())
        .collect();
    names.sort_by_key(|&i| (std::cmp::Reverse(columns[i].priority), i));
    // Room left goes to the names, the most important first.
    for &i in &names {
        let spare = limit.saturating_sub(Layout::total(&widths));
        if let Some(w) = widths[i].as_mut() {
            *w += spare.min(natural[i] - *w);
        }
    }
    // Still too wide with only the columns that are never left out: squeeze the names,
    // the least important first.
    for &i in names.iter().rev() {
        let excess = Layout::total(&widths).saturating_sub(limit);
        if let Some(w) = widths[i].as_mut() {
            *w -= excess.min(w.saturating_sub(NAME_FLOOR));
        }
    }
    Layout {
        widths,
        short_headers: short,
    }
}

/// Aligned columns separated by two spaces, fitted to `max_width` by the columns'
/// priorities (`None`: every column, as for a pipe). Cells of columns left out are listed
/// below the table, one paragraph per row named by its id, followed by `hint` (how to see
/// every column) if given.
pub fn write_columns(
    out: &mut dyn Write,
    columns: &[Column],
    rows: &[Vec<String>],
    max_width: Option<usize>,
    hint: Option<&str>,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape_cell(c)).collect())
        .collect();
    let lay = layout(columns, &rows, max_width);
    let mut t = Table::new();
    t.load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(columns.iter().map(|c| c.title(lay.short_headers)));
    for r in &rows {
        t.add_row(r.iter().enumerate().map(|(i, c)| {
            match (
                columns.get(i).map(|c| c.kind),
                lay.widths.get(i).copied().flatten(),
            ) {
                (Some(Kind::Name), Some(w)) => middle(c, w),
                _ => c.clone(),
            }
        }));
    }
    let last_shown = lay.widths.iter().rposition(Option::is_some);
    for (i, c) in columns.iter().enumerate() {
        let Some(col) = t.column_mut(i) else { continue };
        let gap = if Some(i) == last_shown { 0 } else { GAP as u16 };
        col.set_padding((0, gap));
        match lay.widths[i] {
            None => {
                col.set_constraint(ColumnConstraint::Hidden);
            }
            Some(_) if c.kind == Kind::Count => col.set_cell_alignment(CellAlignment::Right),
            Some(_) => {}
        }
    }
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    let dropped: Vec<usize> = lay.dropped().collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let limit = max_width.map_or(usize::MAX, |m| m.saturating_sub(1));
    let names: Vec<&str> = dropped.iter().map(|&i| columns[i].header).collect();
    let mut lead = format!(
        "Left out above to fit the terminal, listed per row: {}.",
        names.join(", ")
    );
    if let Some(h) = hint {
        lead.push(' ');
        lead.push_str(h);
    }
    writeln!(out)?;
    write!(out, "{}", wrap_fields("", &[lead], limit))?;
    let key = (0..columns.len())
        .find(|&i| columns[i].kind == Kind::Id && lay.widths[i].is_some())
        .unwrap_or(0);
    let key_width = rows
        .iter()
        .filter_map(|r| r.get(key))
        .map(|s| width(s))
        .max()
        .unwrap_or(0);
    for r in &rows {
        let fields: Vec<String> = dropped
            .iter()
            .filter_map(|&i| {
                let v = r.get(i)?;
                if v.is_empty() || v == "-" {
                    return None;
                }
                let mut lines = v.lines();
                let mut f = format!(
                    "{}: {}",
                    columns[i].header.to_lowercase(),
                    lines.next().unwrap_or_default()
                );
                for more in lines {
                    f.push_str(&format!(
                        ", {} {more}",
                        columns[i].second_line.unwrap_or("then")
                    ));
                }
                Some(f)
            })
            .collect();
        if fields.is_empty() {
            continue;
        }
        let k = r.get(key).map_or("", String::as_str);
        if key_width + 2 > limit / 2 {
            // Keys as long as the line (paths, long names) leave no room beside them.
            writeln!(out, "{k}")?;
            write!(out, "{}", wrap_fields("    ", &fields, limit))?;
        } else {
            let lead = format!("{k}{}  ", " ".repeat(key_width - width(k)));
            write!(out, "{}", wrap_fields(&lead, &fields, limit))?;
        }
    }
    Ok(())
}

/// Prose beside a table (`lead` then `text`), wrapped to the terminal's `width` as the
/// table is fitted to it (`None`: one line), escaped.
pub fn write_prose(
    out: &mut dyn Write,
    width: Option<usize>,
    lead: &str,
    text: &str,
) -> io::Result<()> {
    let limit = width.map_or(usize::MAX, |w| w.saturating_sub(1));
    write!(out, "{}", wrap_fields(lead, &[text.to_string()], limit))
}

/// A cell as a terminal may show it, each of its lines escaped (a cell of two lines is
/// ours: the activity's second series).
fn escape_cell(c: &str) -> String {
    c.split('\n')
        .map(|l| terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `fields` after `lead`, separated by `; `, continuation lines indented under the first
/// field. A field is kept on one line when it fits one (a sparkline must not be split at
/// its blanks); longer ones break between words, and a word longer than a line between
/// characters, since nothing in the list may be cut. Text is escaped for the terminal.
pub fn wrap_fields(lead: &str, fields: &[String], limit: usize) -> String {
    struct Lines {
        out: String,
        line: String,
        indent: String,
        empty: bool,
        room: usize,
    }
    impl Lines {
        fn break_line(&mut self) {
            self.out.push_str(self.line.trim_end());
            self.out.push('\n');
            self.line = self.indent.clone();
            self.empty = true;
        }
        fn push(&mut self, piece: &str) {
            let need = width(piece) + usize::from(!self.empty);
            if !self.empty && width(&self.line) + need > self.indent.len() + self.room {
                self.break_line();
            }
            if !self.empty {
                self.line.push(' ');
            }
            self.line.push_str(piece);
            self.empty = false;
        }
    }
    let lead = terminal(lead);
    let indent = " ".repeat(width(&lead));
    let room = limit.saturating_sub(indent.len()).max(8);
    let mut l = Lines {
        out: String::new(),
        line: lead.into_owned(),
        indent,
        empty: true,
        room,
    };
    for (n, f) in fields.iter().enumerate() {
        let f = terminal(f);
        let f = if n + 1 < fields.len() {
            format!("{f};")
        } else {
            f.into_owned()
        };
        if width(&f) <= room {
            l.push(&f);
            continue;
        }
        // A list that takes lines of its own starts on one.
        if !l.empty {
            l.break_line();
        }
        for word in f.split(' ').filter(|w| !w.is_empty()) {
            let mut chunk = String::new();
            for c in word.chars() {
                if width(&chunk) + width(c.encode_utf8(&mut [0; 4])) > room {
                    l.push(&std::mem::take(&mut chunk));
                }
                chunk.push(c);
            }
            if !chunk.is_empty() {
                l.push(&chunk);
            }
        }
    }
    l.out.push_str(l.line.trim_end());
    l.out.push('\n');
    l.out
}

/// `s` in at most `max` terminal columns, its middle replaced by `…`.
pub fn middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let keep = max - 1;
    let head_w = keep.div_ceil(2);
    let mut head = String::new();
    for c in s.chars() {
        if width(&head) + width(c.encode_utf8(&mut [0; 4])) > head_w {
            break;
        }
        head.push(c);
    }
    // What a wide character left unused at the head goes to the tail.
    let tail_w = keep - width(&head);
    let mut tail: Vec<char> = Vec::new();
    let mut tw = 0;
    for c in s.chars().rev() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if tw + cw > tail_w {
            break;
        }
        tw += cw;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Vec<Column<'static>> {
        vec![
            Column::id("ID"),
            Column::name("NAME", 80),
            Column::count("REQUESTS").short("REQS"),
            Column::time("SEEN"),
            Column::text("SPARK", 50),
            Column::text("IPS", 20),
            Column::text("PATHS", 10),
        ]
    }

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "355510638677".into(),
                "Überwachung – nightly export".into(),
                "12345".into(),
                "2022-10-11 15:04:09".into(),
                "▁▂▃ █".into(),
                "192.168.0.1 (3), 10.0.0.1 (2)".into(),
                "/rest/api/2/search (4), /rest/api/2/myself (1)".into(),
            ],
            vec![
                "012345678901".into(),
                "ci".into(),
                "7".into(),
                "2022-10-11 15:05:00".into(),
                "-".into(),
                "-".into(),
                "/x (7)".into(),
            ],
        ]
    }

    fn shown(l: &Layout) -> Vec<&'static str> {
        spec()
            .iter()
            .zip(&l.widths)
            .filter(|(_, w)| w.is_some())
            .map(|(c, _)| c.header)
            .collect()
    }

    #[test]
    fn columns_are_left_out_lowest_priority_first() {
        let (spec, rows) = (spec(), rows());
        let wide = layout(&spec, &rows, None);
        assert_eq!(shown(&wide).len(), 7);
        let natural = Layout::total(&wide.widths);
        assert_eq!(layout(&spec, &rows, Some(natural + 1)), wide);
        // One column short: REQS for REQUESTS is enough.
        let l = layout(&spec, &rows, Some(natural));
        assert_eq!(shown(&l).len(), 7);
        assert!(l.short_headers);
        // Shorter: PATHS (the lowest) goes rather than a character of the name.
        let l = layout(&spec, &rows, Some(natural - 3));
        assert_eq!(
            shown(&l),
            ["ID", "NAME", "REQUESTS", "SEEN", "SPARK", "IPS"]
        );
        assert_eq!(l.widths[1], Some(28));
        // Narrower: IPS next, then SPARK; the name is shortened only once nothing below it
        // is left to leave out, and never below a readable minimum while NAME can go.
        let l = layout(&spec, &rows, Some(12 + 28 + 8 + 19 + 5 + 8 + 1));
        assert_eq!(shown(&l), ["ID", "NAME", "REQUESTS", "SEEN", "SPARK"]);
        let l = layout(&spec, &rows, Some(12 + 20 + 8 + 19 + 6 + 1));
        assert_eq!(shown(&l), ["ID", "NAME", "REQUESTS", "SEEN"]);
        assert_eq!(l.widths[1], Some(20));
        // Too narrow for a readable name: it goes too, with short headers if they save it.
        let l = layout(&spec, &rows, Some(12 + 12 + 5 + 19 + 6 + 1));
        assert_eq!(shown(&l), ["ID", "NAME", "REQUESTS", "SEEN"]);
        assert!(l.short_headers);
        let l = layout(&spec, &rows, Some(40));
        assert_eq!(shown(&l), ["ID", "REQUESTS", "SEEN"]);
        // Ids, counts and times are kept whole even when they overflow.
        let l = layout(&spec, &rows, Some(10));
        assert_eq!(l.widths[0], Some(12));
        assert_eq!(l.widths[3], Some(19));
    }

    #[test]
    fn a_narrow_table_lists_what_it_left_out_per_row() {
        let mut out = Vec::new();
        write_columns(
            &mut out,
            &spec(),
            &rows(),
            Some(60),
            Some("--wide shows all."),
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().all(|l| width(l) < 60), "{s}");
        assert!(s.starts_with("ID            NAME"), "{s}");
        for whole in [
            "355510638677",
            "012345678901",
            "12345",
            "2022-10-11 15:05:00",
        ] {
            assert!(s.contains(whole), "{whole}: {s}");
        }
        assert!(s.contains("--wide shows all."), "{s}");
        // The first row's paragraph names it and keeps the sparkline in one piece; the
        // second lists only what it has (no "-").
        assert!(s.contains("\n355510638677  "), "{s}");
        assert!(s.contains("spark: ▁▂▃ █;"), "{s}");
        assert!(s.contains("012345678901  paths: /x (7)\n"), "{s}");
        assert!(s.contains("/rest/api/2/myself"), "{s}");
    }

    #[test]
    fn counts_align_right_and_nothing_trails() {
        let mut out = Vec::new();
        let cols = [Column::id("ID"), Column::count("REQUESTS")];
        let rows = vec![
            vec!["a".into(), "7".into()],
            vec!["b".into(), "12345".into()],
        ];
        write_columns(&mut out, &cols, &rows, None, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "ID  REQUESTS\na          7\nb      12345\n");
    }

    #[test]
    fn cells_are_escaped_and_measured_as_the_terminal_shows_them() {
        let mut out = Vec::new();
        let cols = [Column::name("NAME", 50), Column::count("N")];
        let rows = vec![
            vec!["\u{1b}[2J\u{202e}x".into(), "1".into()],
            vec!["日本語の名前".into(), "2".into()],
        ];
        write_columns(&mut out, &cols, &rows, None, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s:?}");
        let lines: Vec<&str> = s.lines().collect();
        // "N" starts in the same terminal column on every line.
        let at = |l: &str| width(l.trim_end_matches(|c: char| c.is_ascii_digit()));
        assert_eq!(at(lines[1]), at(lines[2]), "{s}");
        assert_eq!(lines[1], "\\e[2J\\u{202e}x  1");
    }

    #[test]
    fn names_are_shortened_in_the_middle() {
        assert_eq!(middle("Überwachung – nightly", 9), "Über…htly");
        assert_eq!(middle("short", 9), "short");
        assert_eq!(middle("abcdef", 5), "ab…ef");
        // Wide characters count two columns.
        assert_eq!(width(&middle("日本語の名前です", 7)), 7);
    }
}
