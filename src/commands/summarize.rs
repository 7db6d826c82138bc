//! `jira-patrol summarize`.

#[derive(Debug, clap::Args)]
pub struct SummarizeArgs {}

pub fn run(_args: SummarizeArgs) -> anyhow::Result<()> {
    anyhow::bail!("'summarize' is not implemented yet")
}
