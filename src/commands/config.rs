//! `jira-patrol rotation show|set|plan` and `level persist|unpersist`: edits of the
//! log4j configuration file (the library side is `crate::log4j`).

#[derive(Debug, clap::Args)]
pub struct RotationArgs {}

#[derive(Debug, clap::Args)]
pub struct PersistArgs {}

#[derive(Debug, clap::Args)]
pub struct UnpersistArgs {}

pub fn run_rotation(_args: RotationArgs) -> anyhow::Result<()> {
    anyhow::bail!("'rotation' is not implemented yet")
}

pub fn run_persist(_args: PersistArgs) -> anyhow::Result<()> {
    anyhow::bail!("'level persist' is not implemented yet")
}

pub fn run_unpersist(_args: UnpersistArgs) -> anyhow::Result<()> {
    anyhow::bail!("'level unpersist' is not implemented yet")
}
