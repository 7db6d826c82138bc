//! The command line. Each sub-command's arguments are defined beside its code in
//! `commands::<name>`; this file only lists them, and hands a parsed one to its command.

use crate::commands;
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// The whole command line: one sub-command.
#[derive(Debug, Parser)]
#[command(
    name = "jira-patrol",
    version,
    about = "Find out which Jira personal access token made which request",
    long_about = "Find out which Jira personal access token (PAT) made which request.\n\n\
        jira-patrol raises Jira's PAT logging for a timed window and always puts it back,\n\
        keeps log rotation large enough, and reports per token: owner, name, expiry,\n\
        requests, first/last seen, source IPs, endpoints and failures.\n\n\
        Credentials come from JIRA_URL, JIRA_TOKEN (a PAT) or JIRA_USER/JIRA_PASSWORD,\n\
        a --token-file, or a prompt; never from the command line."
)]
pub struct Cli {
    /// The sub-command given.
    #[command(subcommand)]
    pub command: Command,
}

/// Every sub-command, each with the arguments its `commands` module defines.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise PAT usage from existing atlassian-jira.log files (rotated, gzipped)
    Summarize(commands::summarize::SummarizeArgs),
    /// Print the 12-digit token id a PAT encodes (PAT read from stdin or JIRA_TOKEN)
    TokenId(commands::token_id::TokenIdArgs),
    /// Apply a profile for a timed window, follow the logs, restore, and summarise
    Capture(Box<commands::capture::CaptureArgs>),
    /// Run the whole job against a built-in simulated Jira
    Demo(commands::demo::DemoArgs),
    /// Check that Jira is reachable and that we may change log levels
    Check(commands::check::CheckArgs),
    /// Write a redacted bundle (check exchanges, logging page, log4j files) to send when Jira differs
    Diagnose(commands::diagnose::DiagnoseArgs),
    /// Read, set, persist or unpersist logger levels
    Level(commands::level::LevelArgs),
    /// List, show, apply and revert verbosity profiles
    Profile(commands::profile::ProfileArgs),
    /// Put back every level recorded in the journal
    Restore(commands::restore::RestoreArgs),
    /// Show, set or plan log4j rotation (max file size, backups)
    Rotation(commands::log4j_file::RotationArgs),
    /// Guided interactive setup, from nothing to a finished capture
    Setup(commands::setup::SetupArgs),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish)
    Completions(commands::completions::CompletionsArgs),
    /// Print the roff man page of the whole command, or of one sub-command
    Man(commands::completions::ManArgs),
    /// Run the simulated Jira (for demos and tests)
    Sim(commands::sim::SimArgs),
    /// List every personal access token in Jira, used or not (System Administrator, Data Center)
    Tokens(commands::tokens::TokensArgs),
}

/// Run one parsed command line and turn its outcome into the process's exit status.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Summarize(a) => commands::summarize::run(a),
        Command::TokenId(a) => commands::token_id::run(a),
        Command::Capture(a) => commands::capture::run(*a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Diagnose(a) => commands::diagnose::run(a),
        Command::Level(a) => commands::level::run(a),
        Command::Profile(a) => commands::profile::run(a),
        Command::Restore(a) => commands::restore::run(a),
        Command::Rotation(a) => commands::log4j_file::run_rotation(a),
        Command::Setup(a) => commands::setup::run(a),
        Command::Completions(a) => commands::completions::run_completions(a, Cli::command()),
        Command::Man(a) => commands::completions::run_man(a, Cli::command()),
        Command::Sim(a) => commands::sim::run(a),
        Command::Tokens(a) => commands::tokens::run(a),
    };
    commands::exit_code(result)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        // clap checks duplicate flags and ids only when a command is built: do it for all.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }

    /// Every (sub-)command with its path, e.g. `level get`.
    fn leaves(c: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        if !c.has_subcommands() {
            out.push((path.clone(), c.clone()));
        }
        for s in c.get_subcommands() {
            leaves(
                s,
                format!("{path} {}", s.get_name()).trim().to_string(),
                out,
            );
        }
    }

    fn arg<'a>(c: &'a clap::Command, id: &str) -> Option<&'a clap::Arg> {
        c.get_arguments().find(|a| a.get_id() == id)
    }

    /// One flag vocabulary: wherever a report is printed, `--format` comes with
    /// `-o/--output`; wherever Jira is reached, the whole connection group is there, with
    /// `--user` the login name (never a filter) and `--login` only as a hidden old spelling.
    #[test]
    fn one_flag_vocabulary() {
        let mut all = Vec::new();
        leaves(
            &<super::Cli as clap::CommandFactory>::command(),
            String::new(),
            &mut all,
        );
        let mut reports = Vec::new();
        let mut connecting = Vec::new();
        for (name, c) in &all {
            if arg(c, "format").is_some() {
                let o = arg(c, "output").unwrap_or_else(|| panic!("{name}: --format without -o"));
                assert_eq!(o.get_short(), Some('o'), "{name}");
                assert_eq!(o.get_long(), Some("output"), "{name}");
                reports.push(name.as_str());
            }
            if let Some(u) = arg(c, "user") {
                assert_eq!(
                    u.get_value_names().unwrap()[0],
                    "NAME",
                    "{name}: --user is a login"
                );
                for id in ["url", "token_file", "ca_cert", "timeout", "login"] {
                    assert!(arg(c, id).is_some(), "{name}: --user without --{id}");
                }
                assert!(arg(c, "login").unwrap().is_hide_set(), "{name}");
                connecting.push(name.as_str());
            }
            if arg(c, "url").is_some() && name != "sim" {
                assert!(
                    arg(c, "user").is_some(),
                    "{name}: --url without the connection group"
                );
            }
        }
        for want in [
            "demo",
            "summarize",
            "capture",
            "tokens",
            "check",
            "level get",
            "restore",
        ] {
            assert!(reports.contains(&want), "{want} has no -o: {reports:?}");
        }
        for want in [
            "tokens",
            "summarize",
            "capture",
            "check",
            "setup",
            "diagnose",
            "restore",
        ] {
            assert!(connecting.contains(&want), "{want}: {connecting:?}");
        }
    }
}
