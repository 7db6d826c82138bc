//! `jira-patrol level get|set` (runtime, over HTTP) and `level persist|unpersist`
//! (in the log4j configuration file, implemented in `commands::log4j_file`).

use super::conn::ConnArgs;
use super::output_args::OutputArgs;
use crate::format::OutputFormat;
use crate::jira::Source;
use crate::level::Level;
use crate::output::{Cell, Records};
use clap::Subcommand;

/// `jira-patrol level`: one of its sub-commands.
#[derive(Debug, clap::Args)]
pub struct LevelArgs {
    /// Which sub-command.
    #[command(subcommand)]
    pub command: LevelCommand,
}

/// The `level` sub-commands: runtime (`get`, `set`) and in the log4j file (`persist`, `unpersist`).
#[derive(Debug, Subcommand)]
pub enum LevelCommand {
    /// Read a logger's level from Jira (or all explicit levels)
    Get(GetArgs),
    /// Set a logger's level in Jira at runtime (journaled; `restore` puts it back)
    Set(SetArgs),
    /// Declare a logger permanently in the log4j configuration file
    Persist(super::log4j_file::PersistArgs),
    /// Remove a permanent logger declaration from the log4j configuration file
    Unpersist(super::log4j_file::UnpersistArgs),
}

/// `level get [LOGGER]`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// Logger (package or class) name, or `root`; without it, every explicit level
    pub logger: Option<String>,

    /// Jira connection.
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
}

/// `level set LOGGER LEVEL`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// Logger (package or class) name, e.g. com.atlassian.pats, or `root`
    pub logger: String,

    /// TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF
    pub level: Level,

    /// Jira connection.
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
}

/// `jira-patrol level ...`.
pub fn run(args: LevelArgs) -> anyhow::Result<()> {
    match args.command {
        LevelCommand::Get(a) => run_get(a),
        LevelCommand::Set(a) => run_set(a),
        LevelCommand::Persist(a) => super::log4j_file::run_persist(a),
        LevelCommand::Unpersist(a) => super::log4j_file::run_unpersist(a),
    }
}

fn source_cell(s: &Source) -> (Cell, Cell) {
    match s {
        Source::Explicit => ("explicit".into(), Cell::Null),
        Source::Ancestor(a) => ("inherited".into(), a.as_str().into()),
        Source::Root => ("inherited".into(), "root".into()),
    }
}

fn run_get(args: GetArgs) -> anyhow::Result<()> {
    if let Some(l) = &args.logger {
        if !crate::profiles::valid_logger_name(l) {
            anyhow::bail!("'{l}' is not a logger name: use a dotted package or class name such as com.atlassian.pats, or root");
        }
    }
    args.out.check_paths()?;
    let client = args.conn.connect()?;
    let page = client.levels()?;
    let mut rows = Records::new("loggers", &["logger", "level", "source", "from", "node"]);
    let node: Cell = page.node.clone().into();
    let names: Vec<String> = match &args.logger {
        Some(l) => vec![l.clone()],
        None => std::iter::once(crate::jira::ROOT.to_string())
            .chain(page.explicit.keys().cloned())
            .collect(),
    };
    for name in names {
        if crate::jira::is_hidden_logger(&name) && page.explicit_level(&name).is_none() {
            // Jira's page never lists this logger: whatever it inherits on paper, its real
            // level cannot be known from here.
            rows.push(vec![
                name.into(),
                Cell::Null,
                "hidden by Jira's logging page".into(),
                Cell::Null,
                node.clone(),
            ]);
            continue;
        }
        let (level, source) = page.effective(&name);
        let (src, from) = source_cell(&source);
        rows.push(vec![
            name.into(),
            level.as_str().into(),
            src,
            from,
            node.clone(),
        ]);
    }
    let target = args.out.target();
    args.out
        .write(|w| Ok(rows.render(args.out.format, target, w)?))
}

fn run_set(args: SetArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    let journal = crate::journal::Journal::default_location()?;
    let client = args.conn.connect()?;
    let applied = journal.apply(&client, &[(args.logger.clone(), args.level)], "level set")?;
    super::profile::print_applied(&applied, &args.out)?;
    Ok(())
}
