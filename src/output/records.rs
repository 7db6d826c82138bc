//! Rows of named, typed cells, as the commands that are no PAT summary print them
//! (`tokens`, `level`, `profile`, `check`, `restore`, `rotation`): each command only
//! builds its rows; this renders them as a table, JSON, CSV or JSONL.

use super::table::{write_columns, Column, Kind};
use super::Target;
use crate::format::OutputFormat;
use crate::untrusted::Untrusted;
use std::io::{self, Write};

/// A cell keeps its JSON type so `json`/`jsonl` output is typed while tables and CSV
/// print text. Text is [`Untrusted`] unless the command says it is its own word: a
/// logger name from Jira's page and a token name alike are escaped for a terminal and
/// neutralised for a spreadsheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text from Jira, a log or a person.
    Text(Untrusted),
    /// The tool's own word (a verdict, a level, a time it formatted): printed as is.
    Word(String),
    /// An RFC 3339 time: as is in JSON and CSV, to the second for people in a table.
    Time(String),
    /// A JSON number; printed in decimal.
    Int(i64),
    /// A JSON boolean; printed `yes`/`no`.
    Bool(bool),
    /// No value: JSON `null`, `-` in tables and CSV.
    Null,
}

impl Cell {
    /// The tool's own text (see [`Cell::Word`]).
    pub fn word(s: impl Into<String>) -> Cell {
        Cell::Word(s.into())
    }

    fn table(&self) -> String {
        match self {
            Cell::Text(s) => s.terminal().into_owned(),
            Cell::Word(s) => s.clone(),
            Cell::Time(t) => crate::human::time(t),
            Cell::Int(n) => n.to_string(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Cell::Null => "-".to_string(),
        }
    }

    fn csv(&self, o: Target) -> String {
        match self {
            Cell::Text(s) => o.cell(s),
            Cell::Time(t) => t.clone(),
            other => other.table(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.raw().to_string()),
            Cell::Word(s) | Cell::Time(s) => serde_json::Value::String(s.clone()),
            Cell::Int(n) => serde_json::Value::from(*n),
            Cell::Bool(b) => serde_json::Value::Bool(*b),
            Cell::Null => serde_json::Value::Null,
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(Untrusted::new(s))
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(Untrusted::new(s))
    }
}
impl From<&Untrusted> for Cell {
    fn from(s: &Untrusted) -> Self {
        Cell::Text(s.clone())
    }
}
impl From<Untrusted> for Cell {
    fn from(s: Untrusted) -> Self {
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
    /// Column names: CSV header and JSON object keys.
    pub columns: Vec<&'static str>,
    /// One cell per column, in the order of `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// How the table shows each column (headers, kinds, priorities); without it the
    /// headers are the column names in capitals, counts are never cut and the rest is
    /// shortened in the middle.
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
    pub fn render(&self, format: OutputFormat, csv: Target, out: &mut dyn Write) -> io::Result<()> {
        match format {
            OutputFormat::Table => self.table(out, csv.width()),
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&self.columns)?;
                for r in &self.rows {
                    w.write_record(r.iter().map(|c| c.csv(csv)))?;
                }
                w.flush()
            }
            OutputFormat::Json => {
                let doc = serde_json::json!({ self.key: self.objects() });
                super::json::pretty(&mut *out, &doc)?;
                writeln!(out)
            }
            OutputFormat::Jsonl => {
                for o in self.objects() {
                    super::json::line(&mut *out, &o)?;
                }
                Ok(())
            }
        }
    }

    /// The table at `width` columns (`None`: every column whole).
    pub fn table(&self, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::table).collect())
            .collect();
        let headers: Vec<String>;
        let columns: Vec<Column> = match &self.table {
            Some(t) => t.clone(),
            None => {
                headers = self.columns.iter().map(|c| header(c)).collect();
                headers
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let numeric = self
                            .rows
                            .iter()
                            .all(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Null) | None));
                        if numeric {
                            Column::count(h)
                        } else {
                            Column::new(h, Kind::Name, Column::KEEP)
                        }
                    })
                    .collect()
            }
        };
        write_columns(out, &columns, &rows, width, None)
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

/// A column's key as a table header: `last_accessed_at` → `LAST ACCESSED AT`.
pub fn header(key: &str) -> String {
    key.replace('_', " ").to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Records {
        let mut r = Records::new("loggers", &["logger", "level", "explicit"]);
        r.push(vec![
            "com.atlassian.pats".into(),
            Cell::word("TRACE"),
            true.into(),
        ]);
        r.push(vec!["root".into(), Cell::word("WARN"), Cell::Null]);
        r.push(vec![
            "=cmd|' /C calc'!A0".into(),
            Cell::word("-"),
            Cell::Null,
        ]);
        r
    }

    fn render(f: OutputFormat, raw: bool) -> String {
        let mut v = Vec::new();
        sample()
            .render(
                f,
                Target {
                    raw,
                    terminal: false,
                },
                &mut v,
            )
            .unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn renders_every_format() {
        assert_eq!(
            render(OutputFormat::Csv, false),
            "logger,level,explicit\ncom.atlassian.pats,TRACE,yes\nroot,WARN,-\n'=cmd|' /C calc'!A0,-,-\n"
        );
        assert!(render(OutputFormat::Csv, true).ends_with("\n=cmd|' /C calc'!A0,-,-\n"));
        let j: serde_json::Value =
            serde_json::from_str(&render(OutputFormat::Json, false)).unwrap();
        assert_eq!(j["loggers"][0]["explicit"], serde_json::Value::Bool(true));
        assert_eq!(j["loggers"][1]["explicit"], serde_json::Value::Null);
        assert_eq!(j["loggers"][2]["logger"], "=cmd|' /C calc'!A0");
        assert_eq!(render(OutputFormat::Jsonl, false).lines().count(), 3);
        let mut t = Vec::new();
        sample().table(&mut t, None).unwrap();
        let t = String::from_utf8(t).unwrap();
        assert!(
            t.starts_with("LOGGER              LEVEL  EXPLICIT\n"),
            "{t}"
        );
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
            7u64.into(),
            "a token with a long name".into(),
            Cell::word("2030-01-01"),
        ]);
        let mut out = Vec::new();
        r.table(&mut out, Some(30)).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.starts_with("ID  NAME\n7   a token with a long name\n"),
            "{s}"
        );
        assert!(s.ends_with("\n7  expires: 2030-01-01\n"), "{s}");
    }
}
