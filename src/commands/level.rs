//! `jira-patrol level get|set` (runtime, over HTTP) and `level persist|unpersist`
//! (in the log4j configuration file, implemented in `commands::config`).

use clap::Subcommand;

#[derive(Debug, clap::Args)]
pub struct LevelArgs {
    #[command(subcommand)]
    pub command: LevelCommand,
}

#[derive(Debug, Subcommand)]
pub enum LevelCommand {
    /// Read a logger's level from Jira (or all explicit levels)
    Get(GetArgs),
    /// Set a logger's level in Jira at runtime (journaled; `restore` puts it back)
    Set(SetArgs),
    /// Declare a logger permanently in the log4j configuration file
    Persist(super::config::PersistArgs),
    /// Remove a permanent logger declaration from the log4j configuration file
    Unpersist(super::config::UnpersistArgs),
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {}

#[derive(Debug, clap::Args)]
pub struct SetArgs {}

pub fn run(args: LevelArgs) -> anyhow::Result<()> {
    match args.command {
        LevelCommand::Get(_) | LevelCommand::Set(_) => {
            anyhow::bail!("'level get/set' is not implemented yet")
        }
        LevelCommand::Persist(a) => super::config::run_persist(a),
        LevelCommand::Unpersist(a) => super::config::run_unpersist(a),
    }
}
