//! Output formats shared by every command that prints a report, and a small renderer
//! for tabular records (rows of named string/number cells) so each command only builds
//! its rows. The PAT summary has its own richer renderers in `report`. Also the one
//! formatter of byte sizes for people ([`bytes`], binary units).

use std::io::{self, IsTerminal, Write};

/// `--format` of the commands that print records (not the PAT summary: see `report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people (default)
    #[default]
    Table,
    /// One JSON document
    Json,
    /// Comma-separated values with a header row
    Csv,
    /// One JSON object per line
    Jsonl,
}

/// A cell keeps its JSON type so `json`/`jsonl` output is typed while tables and CSV
/// print text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Printed as is.
    Text(String),
    /// A JSON number; printed in decimal.
    Int(i64),
    /// A JSON boolean; printed `yes`/`no`.
    Bool(bool),
    /// No value: JSON `null`, `-` in tables and CSV.
    Null,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Cell::Null => "-".to_string(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::Int(n) => serde_json::Value::from(*n),
            Cell::Bool(b) => serde_json::Value::Bool(*b),
            Cell::Null => serde_json::Value::Null,
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Int(n as i64)
    }
}
impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Cell::Null)
    }
}

/// Rows with named columns. `json` renders `{"<key>": [ {col: value, ...}, ... ]}`.
#[derive(Debug, Clone)]
pub struct Records {
    /// The top-level JSON key holding the rows.
    pub key: &'static str,
    /// Column names: CSV header and JSON object keys (table headers too without `table`).
    pub columns: Vec<&'static str>,
    /// One cell per column, in the order of `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// How the table shows each column on a narrow terminal (headers, kinds, priorities);
    /// without it every column is kept and only text is shortened.
    pub table: Option<Vec<Column<'static>>>,
}

impl Records {
    /// Records with no rows, whose table keeps every column.
    pub fn new(key: &'static str, columns: &[&'static str]) -> Self {
        Records {
            key,
            columns: columns.to_vec(),
            rows: Vec::new(),
            table: None,
        }
    }

    /// Records whose table fits narrow terminals by `table`'s priorities (one spec per
    /// column, in the order of `columns`, which stay the CSV and JSON names).
    pub fn with_table(
        key: &'static str,
        columns: &[&'static str],
        table: &[Column<'static>],
    ) -> Self {
        debug_assert_eq!(columns.len(), table.len());
        Records {
            table: Some(table.to_vec()),
            ..Records::new(key, columns)
        }
    }

    /// Add a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// Write the rows as `format`; a table fits the terminal's width, full width in pipes.
    pub fn render(&self, format: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
        match format {
            OutputFormat::Table => {
                let width = terminal_width();
                match &self.table {
                    Some(t) => write_columns(out, t, &self.text_rows(), width, None),
                    None => write_table(out, &self.columns, &self.text_rows(), width),
                }
            }
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&self.columns)?;
                for r in self.text_rows() {
                    w.write_record(&r)?;
                }
                w.flush()
            }
            OutputFormat::Json => {
                let doc = serde_json::json!({ self.key: self.objects() });
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)
            }
            OutputFormat::Jsonl => {
                for o in self.objects() {
                    serde_json::to_writer(&mut *out, &o)?;
                    writeln!(out)?;
                }
                Ok(())
            }
        }
    }

    fn text_rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect()
    }

    fn objects(&self) -> Vec<serde_json::Value> {
        self.rows
            .iter()
            .map(|r| {
                let m: serde_json::Map<String, serde_json::Value> = self
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| (c.to_string(), v.json()))
                    .collect();
                serde_json::Value::Object(m)
            })
            .collect()
    }
}

/// Terminal width when stdout is a terminal; `None` in pipes (print full width).
pub fn terminal_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| w.0 as usize)
}

/// The terminal width for a table, or `None` (every column at full width) when `--wide`
/// asks for it or stdout is no terminal.
pub fn table_width(wide: bool) -> Option<usize> {
    if wide {
        None
    } else {
        terminal_width()
    }
}

/// What a column holds decides what a narrow terminal may do to it: ids, counts and times
/// are the answer a user came for and are never shortened (only a whole column can be left
/// out, by its priority); names are shortened in the middle, where their distinctive
/// prefixes and suffixes survive; other text is shown whole or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier: never shortened (only left out whole, by priority).
    Id,
    /// A number: never shortened.
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

    fn title(&self, short: bool) -> &'a str {
        match (short, self.short) {
            (true, Some(s)) => s,
            _ => self.header,
        }
    }
}

/// A name is not shortened below this many characters while a lower-priority column
/// could make room instead: fewer no longer tells names apart.
const NAME_MIN: usize = 12;
/// Below this a shortened name says nothing; reached only when every column left is one
/// that is never left out.
const NAME_FLOOR: usize = 4;

/// How a table fits a width: each column's width, `None` where it is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Per column, its width in characters; `None` when left out.
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
        shown.iter().sum::<usize>() + 2 * shown.len().saturating_sub(1)
    }
}

/// Fit `columns` to `max_width`. A table line stops one column short of the terminal's
/// width: a line that fills the last column makes some terminals wrap before the newline.
pub fn layout(columns: &[Column], rows: &[Vec<String>], max_width: Option<usize>) -> Layout {
    let natural = |short: bool| -> Vec<usize> {
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|s| display_width(s))
                    .fold(display_width(c.title(short)), usize::max)
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
        Kind::Name => natural[i].min(NAME_MIN.max(display_width(columns[i].title(short)))),
        _ => natural[i],
    };
    let n = columns.len();
    let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
    // What may give way, least important first: a name is shortened (to a readable
    // minimum) only once every column below it is left out, and before it is left out
    // itself; ties go to the rightmost column.
    let mut moves: Vec<(u8, bool, std::cmp::Reverse<usize>)> = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        if c.kind == Kind::Name {
            moves.push((c.priority, false, std::cmp::Reverse(i)));
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
/// priorities. Cells of columns left out are listed below the table, one paragraph per
/// row named by its id, followed by `hint` (how to see every column) if given.
pub fn write_columns(
    out: &mut dyn Write,
    columns: &[Column],
    rows: &[Vec<String>],
    max_width: Option<usize>,
    hint: Option<&str>,
) -> io::Result<()> {
    let lay = layout(columns, rows, max_width);
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let mut s = String::new();
        for ((i, c), w) in cells.enumerate().zip(&lay.widths) {
            let Some(w) = *w else { continue };
            let cell = match columns[i].kind {
                Kind::Name => middle(c, w),
                _ => c.to_string(),
            };
            if !s.is_empty() {
                s.push_str("  ");
            }
            s.push_str(&cell);
            s.extend(std::iter::repeat_n(
                ' ',
                w.saturating_sub(display_width(&cell)),
            ));
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, &mut columns.iter().map(|c| c.title(lay.short_headers)))?;
    for r in rows {
        line(out, &mut r.iter().map(String::as_str))?;
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
        .map(|s| display_width(s))
        .max()
        .unwrap_or(0);
    for r in rows {
        let fields: Vec<String> = dropped
            .iter()
            .filter_map(|&i| {
                let v = r.get(i)?;
                (!v.is_empty() && v != "-")
                    .then(|| format!("{}: {v}", columns[i].header.to_lowercase()))
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
            let lead = format!("{k}{}  ", " ".repeat(key_width - display_width(k)));
            write!(out, "{}", wrap_fields(&lead, &fields, limit))?;
        }
    }
    Ok(())
}

/// `fields` after `lead`, separated by `; `, continuation lines indented under the first
/// field. A field is kept on one line when it fits one (a sparkline must not be split at
/// its blanks); longer ones break between words, and a word longer than a line between
/// characters, since nothing in the list may be cut.
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
            let need = display_width(piece) + usize::from(!self.empty);
            if !self.empty && display_width(&self.line) + need > self.indent.len() + self.room {
                self.break_line();
            }
            if !self.empty {
                self.line.push(' ');
            }
            self.line.push_str(piece);
            self.empty = false;
        }
    }
    let indent = " ".repeat(display_width(lead));
    let room = limit.saturating_sub(indent.len()).max(8);
    let mut l = Lines {
        out: String::new(),
        line: lead.to_string(),
        indent,
        empty: true,
        room,
    };
    for (n, f) in fields.iter().enumerate() {
        let f = if n + 1 < fields.len() {
            format!("{f};")
        } else {
            f.clone()
        };
        if display_width(&f) <= room {
            l.push(&f);
            continue;
        }
        // A list that takes lines of its own starts on one.
        if !l.empty {
            l.break_line();
        }
        for word in f.split(' ').filter(|w| !w.is_empty()) {
            let chars: Vec<char> = word.chars().collect();
            for chunk in chars.chunks(room) {
                l.push(&chunk.iter().collect::<String>());
            }
        }
    }
    l.out.push_str(l.line.trim_end());
    l.out.push('\n');
    l.out
}

/// Aligned columns for callers that have no column specs: columns whose every cell is a
/// number (or `-`) are never shortened, the others are shortened in the middle; nothing
/// is left out.
pub fn write_table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
    max_width: Option<usize>,
) -> io::Result<()> {
    let numeric = |i: usize| {
        rows.iter().all(|r| {
            r.get(i).is_none_or(|c| {
                c == "-" || (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
            })
        })
    };
    let columns: Vec<Column> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if numeric(i) {
                Column::count(h)
            } else {
                Column::name(h, Column::KEEP)
            }
        })
        .collect();
    write_columns(out, &columns, rows, max_width, None)
}

fn display_width(s: &str) -> usize {
    s.chars().count()
}

/// `s` in at most `width` characters, its middle replaced by `…`.
pub fn middle(s: &str, width: usize) -> String {
    let n = display_width(s);
    if n <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut t: String = s.chars().take(head).collect();
    t.push('…');
    t.extend(s.chars().skip(n - tail));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Records {
        let mut r = Records::new("loggers", &["logger", "level", "explicit"]);
        r.push(vec![
            "com.atlassian.pats".into(),
            "TRACE".into(),
            true.into(),
        ]);
        r.push(vec!["root".into(), "WARN".into(), Cell::Null]);
        r
    }

    fn render(f: OutputFormat) -> String {
        let mut v = Vec::new();
        sample().render(f, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn renders_every_format() {
        assert_eq!(
            render(OutputFormat::Csv),
            "logger,level,explicit\ncom.atlassian.pats,TRACE,yes\nroot,WARN,-\n"
        );
        let j: serde_json::Value = serde_json::from_str(&render(OutputFormat::Json)).unwrap();
        assert_eq!(j["loggers"][0]["explicit"], serde_json::Value::Bool(true));
        assert_eq!(j["loggers"][1]["explicit"], serde_json::Value::Null);
        assert_eq!(render(OutputFormat::Jsonl).lines().count(), 2);
        let t = render(OutputFormat::Table);
        assert!(
            t.starts_with("logger              level  explicit\n"),
            "{t}"
        );
    }

    #[test]
    fn table_cuts_wide_columns_to_fit() {
        let mut out = Vec::new();
        let rows = vec![vec!["a".repeat(50), "b".into()]];
        write_table(&mut out, &["x", "y"], &rows, Some(30)).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().all(|l| l.chars().count() <= 30), "{s}");
        assert!(s.contains('…'));
    }

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
                "▁▂▃ █!".into(),
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
        let l = layout(&spec, &rows, Some(12 + 28 + 8 + 19 + 6 + 8 + 1));
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
        assert!(s.lines().all(|l| l.chars().count() < 60), "{s}");
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
        assert!(s.contains("spark: ▁▂▃ █!;"), "{s}");
        assert!(s.contains("012345678901  paths: /x (7)\n"), "{s}");
        assert!(s.contains("/rest/api/2/myself"), "{s}");
    }

    #[test]
    fn names_are_shortened_in_the_middle() {
        assert_eq!(middle("Überwachung – nightly", 9), "Über…htly");
        assert_eq!(middle("short", 9), "short");
        assert_eq!(middle("abcdef", 5), "ab…ef");
    }

    #[test]
    fn plain_tables_never_cut_numbers() {
        let mut out = Vec::new();
        let rows = vec![vec!["a".repeat(50), "123456789012".into()]];
        write_table(&mut out, &["x", "y"], &rows, Some(20)).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("123456789012"), "{s}");
        assert!(s.contains("a…a"), "{s}");
    }

    #[test]
    fn records_with_a_table_spec_list_left_out_cells_by_id() {
        let mut r = Records::with_table(
            "tokens",
            &["id", "name", "expires"],
            &[
                Column::id("ID"),
                Column::name("NAME", 80),
                Column::time("EXPIRES").priority(10),
            ],
        );
        r.push(vec![
            "7".into(),
            "a token with a long name".into(),
            "2030-01-01".into(),
        ]);
        let mut out = Vec::new();
        write_columns(
            &mut out,
            r.table.as_deref().unwrap(),
            &r.text_rows(),
            Some(30),
            None,
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.starts_with("ID  NAME\n7   a token with a long name\n"),
            "{s}"
        );
        assert!(s.ends_with("\n7  expires: 2030-01-01\n"), "{s}");
        // JSON and CSV keep their own column names.
        let mut j = Vec::new();
        r.render(OutputFormat::Json, &mut j).unwrap();
        assert!(String::from_utf8(j)
            .unwrap()
            .contains("\"expires\": \"2030-01-01\""));
    }
}
