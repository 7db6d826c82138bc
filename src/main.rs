//! The `jira-patrol` executable: parses the command line and hands it to
//! [`jira_patrol::cli::run`], whose exit status it returns.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = jira_patrol::cli::Cli::parse();
    // The one place that ends the process early: a person cancelling setup at a prompt.
    jira_patrol::wizard::ui::on_cancel(|code| std::process::exit(code));
    jira_patrol::cli::run(cli)
}
