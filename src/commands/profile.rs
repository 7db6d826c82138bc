//! `jira-patrol profile`.

#[derive(Debug, clap::Args)]
pub struct ProfileArgs {}

pub fn run(_args: ProfileArgs) -> anyhow::Result<()> {
    anyhow::bail!("'profile' is not implemented yet")
}
