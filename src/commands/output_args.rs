//! The output group: `--format` and `-o/--output`, one definition for every command that
//! prints or writes a report (`summarize`, `capture`, `demo`, `tokens`, `check`,
//! `level get|set`, `profile`, `restore`, `rotation show|plan`), so that a flag means the
//! same everywhere. `-o FILE` puts the report in FILE instead of on standard output (whole:
//! the file is replaced atomically once the report is complete); the file's place is
//! checked before anything touches Jira (`check_paths`). `--csv-raw` belongs here too: it
//! says how text from outside becomes a CSV cell.

use crate::format::{Dialect, SummaryFormat};
use crate::output::{Rendering, Target};
use anyhow::{Context, Result};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

/// `--format F` and `-o/--output FILE`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs<F>
where
    F: clap::ValueEnum + Default + Clone + Send + Sync + 'static,
{
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: F,
    /// Write the report to this file (replaced if it exists) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV: cells exactly as Jira or the logs had them. By default a cell that a spreadsheet
    /// would take for a formula (starting with =, +, -, @, tab or CR) gets a leading '
    #[arg(long)]
    pub csv_raw: bool,
}

impl<F> OutputArgs<F>
where
    F: clap::ValueEnum + Default + Clone + Send + Sync + 'static,
{
    /// Fails when `-o FILE` cannot be written (no such directory, a directory, no right):
    /// run before anything touches Jira.
    pub fn check_paths(&self) -> Result<()> {
        if let Some(p) = &self.output {
            crate::paths::writable_file("-o/--output", p)?;
        }
        Ok(())
    }

    /// Where the report goes: a terminal (fit tables to it, show CSV controls escaped) or
    /// a file or pipe; with `--csv-raw`.
    pub fn target(&self) -> Target {
        match &self.output {
            Some(_) => Target::file(self.csv_raw),
            None => Target::new(self.csv_raw),
        }
    }

    /// Where the report goes: `-o FILE` (in place once [`Sink::finish`] is called) or
    /// standard output. Call [`Sink::finish`] at the end: it flushes and says where a
    /// file went.
    pub fn open(&self) -> Result<Sink> {
        let (out, file): (Box<dyn Write>, _) = match &self.output {
            Some(p) => (
                Box::new(io::sink()),
                Some(
                    crate::paths::Replacement::start(p)
                        .with_context(|| format!("cannot write -o/--output {}", p.display()))?,
                ),
            ),
            None => (Box::new(io::stdout().lock()), None),
        };
        Ok(Sink {
            out: BufWriter::with_capacity(1 << 16, out),
            file: file.map(|f| BufWriter::with_capacity(1 << 16, f)),
            path: self.output.clone(),
        })
    }

    /// Open the sink, let `f` write the report, finish it.
    pub fn write(&self, f: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        let mut sink = self.open()?;
        f(&mut sink)?;
        sink.finish()
    }
}

/// The report's destination (see [`OutputArgs::open`]).
pub struct Sink {
    out: BufWriter<Box<dyn Write>>,
    file: Option<BufWriter<crate::paths::Replacement>>,
    path: Option<PathBuf>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => self.out.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => self.out.flush(),
        }
    }
}

impl Sink {
    /// Flush (an error says which file), put a file in place, and on a terminal say where
    /// the report went. Dropped without it, a `-o` file is left as it was.
    pub fn finish(mut self) -> Result<()> {
        let what = match &self.path {
            Some(p) => format!("writing -o/--output {}", p.display()),
            None => "writing the report".into(),
        };
        self.out.flush().context(what.clone())?;
        if let Some(f) = self.file.take() {
            let f = f
                .into_inner()
                .map_err(|e| e.into_error())
                .context(what.clone())?;
            f.finish().context(what)?;
        }
        if let Some(p) = &self.path {
            if io::stderr().is_terminal() {
                crate::output::say(&format!("report written to {}", p.display()));
            }
        }
        Ok(())
    }
}

/// The output of a PAT usage report (`summarize`, `capture`, `demo`): the output group and
/// what only that report has (SQL dialect, wide tables).
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Format and file.
    #[command(flatten)]
    pub out: OutputArgs<SummaryFormat>,
    /// SQL quoting for --format sql
    #[arg(long, value_enum, default_value_t)]
    pub dialect: Dialect,
    /// Table: every column, however narrow the terminal (else the least important columns
    /// are listed below the table)
    #[arg(long)]
    pub wide: bool,
}

impl ReportArgs {
    /// How the report is rendered.
    pub fn rendering(&self) -> Rendering {
        Rendering {
            format: self.out.format,
            dialect: self.dialect,
            wide: self.wide,
            csv: self.out.target(),
        }
    }
}
