//! Connection arguments shared by every command that talks to Jira
//! (`check`, `level get|set`, `profile apply|revert`, `restore`, `capture`, `setup`).

#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// Jira base URL, e.g. https://jira.example.com (or JIRA_URL)
    #[arg(long, env = "JIRA_URL")]
    pub url: Option<String>,
}
