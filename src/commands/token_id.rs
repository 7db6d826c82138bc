//! `jira-patrol token-id`: the token id a PAT encodes. The PAT is read from standard
//! input or `JIRA_TOKEN` (a hidden prompt on a terminal), never from the command line.

use crate::secret::Secret;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Read};

/// Arguments of `jira-patrol token-id` (none: the PAT never comes from the command line).
#[derive(Debug, clap::Args)]
pub struct TokenIdArgs {}

/// Read the PAT (stdin, `JIRA_TOKEN` or a hidden prompt) and print its 12-digit token id.
pub fn run(_args: TokenIdArgs) -> Result<()> {
    let pat = read_pat()?;
    let id = crate::token::token_id(pat.expose())?;
    println!("{id}");
    Ok(())
}

fn read_pat() -> Result<Secret> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut s = String::new();
        stdin
            .lock()
            .take(64 * 1024)
            .read_to_string(&mut s)
            .context("reading the token from standard input")?;
        if !s.trim().is_empty() {
            return Ok(Secret::new(s.trim().to_string()));
        }
    }
    if let Ok(t) = std::env::var("JIRA_TOKEN") {
        if !t.trim().is_empty() {
            return Ok(Secret::new(t.trim().to_string()));
        }
    }
    if stdin.is_terminal() {
        let t = dialoguer::Password::new()
            .with_prompt("Personal access token")
            .interact()
            .context("reading the token")?;
        return Ok(Secret::new(t));
    }
    Err(crate::token::TokenError::Empty.into())
}
