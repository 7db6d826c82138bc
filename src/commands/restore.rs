//! `jira-patrol restore`.

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {}

pub fn run(_args: RestoreArgs) -> anyhow::Result<()> {
    anyhow::bail!("'restore' is not implemented yet")
}
