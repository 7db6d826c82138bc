//! Output formats shared by every command that prints a report, and a small renderer
//! for tabular records (rows of named string/number cells) so each command only builds
//! its rows. The PAT summary has its own richer renderers in `report`.

use std::io::{self, IsTerminal, Write};

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
    Text(String),
    Int(i64),
    Bool(bool),
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
    pub key: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Records {
    pub fn new(key: &'static str, columns: &[&'static str]) -> Self {
        Records {
            key,
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn render(&self, format: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
        match format {
            OutputFormat::Table => {
                let widths = terminal_width();
                write_table(out, &self.columns, &self.text_rows(), widths)
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

/// Aligned columns separated by two spaces. When `max_width` is given and the table is
/// wider, the widest columns are cut (with `…`) until it fits, so a row stays one line.
pub fn write_table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
    max_width: Option<usize>,
) -> io::Result<()> {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(display_width(c));
        }
    }
    if let Some(max) = max_width {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        while total(&widths) > max {
            let (i, &w) = widths.iter().enumerate().max_by_key(|(_, w)| **w).unwrap();
            if w <= 8 {
                break;
            }
            widths[i] = w - 1;
        }
    }
    let line = |out: &mut dyn Write, cells: Vec<&str>| -> io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let cell = fit(c, widths[i]);
            s.push_str(&cell);
            if i + 1 < n {
                let pad = widths[i] - display_width(&cell);
                s.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, headers.to_vec())?;
    for r in rows {
        line(out, r.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

fn display_width(s: &str) -> usize {
    s.chars().count()
}

fn fit(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
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
}
