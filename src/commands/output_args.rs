//! The output group: `--format` and `-o/--output`, one definition for every command that
//! prints or writes a report (`summarize`, `capture`, `demo`, `tokens`, `check`,
//! `level get|set`, `profile`, `restore`, `rotation show|plan`), so that a flag means the
//! same everywhere. `-o FILE` puts the report in FILE instead of on standard output; the
//! file's place is checked before anything touches Jira (`check_paths`).

use crate::report::{Dialect, Rendering, SummaryFormat};
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

    /// Where the report goes: `-o FILE` (created now) or standard output. Call
    /// [`Sink::finish`] at the end: it flushes and says where a file went.
    pub fn open(&self) -> Result<Sink> {
        let out: Box<dyn Write> = match &self.output {
            Some(p) => Box::new(
                std::fs::File::create(p)
                    .with_context(|| format!("cannot write -o/--output {}", p.display()))?,
            ),
            None => Box::new(io::stdout().lock()),
        };
        Ok(Sink {
            out: BufWriter::with_capacity(1 << 16, out),
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
    path: Option<PathBuf>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Sink {
    /// Flush (an error says which file), and on a terminal say where the report went.
    pub fn finish(mut self) -> Result<()> {
        let what = match &self.path {
            Some(p) => format!("writing -o/--output {}", p.display()),
            None => "writing the report".into(),
        };
        self.out.flush().context(what)?;
        if let Some(p) = &self.path {
            if io::stderr().is_terminal() {
                eprintln!("report written to {}", p.display());
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
        }
    }
}
