//! The output layer: every byte a report, a table or a status line puts on a terminal, in
//! a pipe or in a file is written here. The library's work (`capture`, `summary`,
//! `inventory`, `jira::check`) returns typed outcomes and never prints; the edge
//! (`commands`) hands them to these renderers, as ripgrep's searcher hands its matches
//! to its printers. Text from Jira and logs arrives as [`Untrusted`] and leaves only
//! through the escaping of its destination.

pub mod capture;
pub mod coverage;
pub mod html;
pub mod json;
pub mod records;
pub mod report;
pub mod status;
pub mod table;

pub use crate::format::{Dialect, OutputFormat, SummaryFormat};
pub use records::{Cell, Records};
pub use report::{render, Rendering};

use crate::untrusted::Untrusted;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// Where a report goes, which decides how text from outside is written into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target {
    /// `--csv-raw`: the exact text, even a cell that would start a spreadsheet formula.
    pub raw: bool,
    /// A person's terminal reads it (standard output is one, and no `-o FILE`): a table is
    /// fitted to its width, and a CSV's controls are shown escaped (never with raw).
    pub terminal: bool,
}

impl Target {
    /// Standard output as it is now, with `--csv-raw` (`raw`).
    pub fn new(raw: bool) -> Target {
        Target {
            raw,
            terminal: io::stdout().is_terminal(),
        }
    }

    /// A file (`-o FILE`): every table column whole, CSV bytes as they are.
    pub fn file(raw: bool) -> Target {
        Target {
            raw,
            terminal: false,
        }
    }

    /// The width a table fits (`None`: every column whole, as for a file or a pipe).
    pub fn width(&self) -> Option<usize> {
        if self.terminal {
            terminal_size::terminal_size().map(|(w, _)| w.0 as usize)
        } else {
            None
        }
    }

    /// The cell for `s`: a leading `'` where a spreadsheet would see a formula (OWASP),
    /// controls escaped on a terminal; exactly `s` when raw.
    pub fn cell(&self, s: &Untrusted) -> String {
        if self.raw {
            return s.raw().to_string();
        }
        let text = if self.terminal {
            s.terminal()
        } else {
            std::borrow::Cow::Borrowed(s.raw())
        };
        crate::untrusted::csv_cell(&text).into_owned()
    }
}

/// Lines for the person at the terminal, on stderr (notes, warnings, the end of a
/// capture): each escaped, since a message may quote a log line or a name.
pub fn say(text: &str) {
    for line in text.split('\n') {
        eprintln!("{}", crate::untrusted::terminal(line));
    }
}

/// A report finished in memory goes out whole: to `path` (atomically: a reader never
/// sees half a report) and, when `also_stdout` or without a path, to standard output.
pub fn emit(bytes: &[u8], path: Option<&Path>, also_stdout: bool) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(p) = path {
        crate::paths::write_atomic(p, bytes)
            .with_context(|| format!("cannot write --output {}", p.display()))?;
    }
    if path.is_none() || also_stdout {
        let mut out = io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .context("writing the report")?;
    }
    Ok(())
}
