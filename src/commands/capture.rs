//! `jira-patrol capture`: journal and apply a profile, follow the logs for a window,
//! always restore, then print the summary (library side: `crate::capture`).

use super::conn::ConnArgs;
use super::profile::ProfilesDir;
use super::summarize::{FilterArgs, SummaryFormat};
use crate::report::Dialect;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct CaptureArgs {
    /// Verbosity profile to apply for the window (see `jira-patrol profile list`)
    #[arg(long, default_value = "pats-trace")]
    pub profile: String,
    #[command(flatten)]
    pub profiles: ProfilesDir,
    /// Length of the window, e.g. 90s, 15m, 2h
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
    pub duration: Option<String>,
    /// End of the window, a local time like 14:30 (or an RFC 3339 time)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// atlassian-jira.log to follow (JIRA_HOME/log/atlassian-jira.log); repeat once per Data Center node
    #[arg(long = "log", value_name = "PATH", required = true)]
    pub logs: Vec<PathBuf>,
    /// Jira install directory, to check that log rotation keeps what the window writes
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub jira_install: Option<PathBuf>,
    /// log4j configuration file, to check that log rotation keeps what the window writes
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How long the logs should be kept, for the rotation check (e.g. 3d)
    #[arg(long, value_name = "DURATION", default_value = "1d")]
    pub keep: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: SummaryFormat,
    /// SQL quoting for --format sql
    #[arg(long, value_enum, default_value_t)]
    pub dialect: Dialect,
    /// Also write the summary to this file
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
}

pub fn run(args: CaptureArgs) -> anyhow::Result<()> {
    let client = args.conn.connect()?;
    run_with(client, args)
}

/// Run a capture with a client already connected (the wizard and the demo use this).
pub fn run_with(_client: crate::jira::Client, _args: CaptureArgs) -> anyhow::Result<()> {
    anyhow::bail!("'capture' is not implemented yet")
}
