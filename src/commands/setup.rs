//! `jira-patrol setup`.

#[derive(Debug, clap::Args)]
pub struct SetupArgs {}

pub fn run(_args: SetupArgs) -> anyhow::Result<()> {
    anyhow::bail!("'setup' is not implemented yet")
}
