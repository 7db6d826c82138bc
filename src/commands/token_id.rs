//! `jira-patrol token-id`.

#[derive(Debug, clap::Args)]
pub struct TokenIdArgs {}

pub fn run(_args: TokenIdArgs) -> anyhow::Result<()> {
    anyhow::bail!("'token-id' is not implemented yet")
}
