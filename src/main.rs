use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = jira_patrol::cli::Cli::parse();
    jira_patrol::commands::main(cli)
}
