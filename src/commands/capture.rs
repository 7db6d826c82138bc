//! `jira-patrol capture`.

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {}

pub fn run(_args: CaptureArgs) -> anyhow::Result<()> {
    anyhow::bail!("'capture' is not implemented yet")
}
