//! The PAT inventory beside a report: every token Jira has (its token search, jira-facts
//! §5), matched to the tokens the logs saw, so that a report also says which tokens were
//! *not* used in the window. Matching and the text rendering live here; the look-up is
//! the client's [`Client::search_tokens`].
//!
//! A seen token matches an inventory entry by its database id (the `TokenDTO(id=..)` line),
//! else by owner and name: REST never shows the 12-digit token id the log is keyed by.

use crate::capture::selfcheck::TOKEN_NAME as SELF_CHECK_TOKEN;
use crate::jira::{Client, SearchedToken};
use crate::summary::{Inventory, InventoryToken, Report};
use jiff::Timestamp;
use std::collections::HashSet;
use std::io::{self, Write};

/// What a reader of `last_accessed_at` must know.
pub const BATCH_NOTE: &str = "last_accessed_at is written by Jira in batches about every minute: a use in the last minute or so may not show yet";

/// Look the inventory up and put it in the report. A failed look-up never fails the
/// caller: it becomes `inventory.note` and a note on stderr, since the report stands
/// without it.
pub fn attach(client: &Client, report: &mut Report) {
    match client.search_tokens() {
        Ok(tokens) => {
            report.inventory = Some(build(report, &tokens));
        }
        Err(e) => unavailable(report, &e.to_string()),
    }
}

/// No inventory after all (Jira refused, or no connection): say why on stderr and in
/// `inventory.note`.
pub fn unavailable(report: &mut Report, why: &str) {
    let why = why.replace('\n', "; ");
    eprintln!("note: no token inventory in this report: {why}");
    report.inventory = Some(Inventory {
        note: Some(format!("the token inventory could not be read: {why}")),
        ..Inventory::default()
    });
}

/// Match the report's seen tokens to `tokens` (giving them their database id when only the
/// inventory knows it) and list the rest as unused, oldest use first. The self-check's
/// temporary token is not the user's: it is left out altogether.
pub fn build(report: &mut Report, tokens: &[SearchedToken]) -> Inventory {
    let all: Vec<&SearchedToken> = tokens
        .iter()
        .filter(|t| t.name != SELF_CHECK_TOKEN)
        .collect();
    let mut used: HashSet<u64> = report.tokens.iter().filter_map(|t| t.db_id).collect();
    let mut ambiguous = 0;
    for seen in report.tokens.iter_mut().filter(|t| t.db_id.is_none()) {
        let Some(name) = seen.name.as_deref() else {
            continue;
        };
        let owner_is = |t: &SearchedToken| match (&seen.user_key, &seen.username) {
            (Some(k), _) => &t.user_key == k,
            (None, Some(u)) => t.username.as_ref() == Some(u),
            (None, None) => false,
        };
        let candidates: Vec<u64> = all
            .iter()
            .filter(|t| t.name == name && owner_is(t) && !used.contains(&t.id))
            .map(|t| t.id)
            .collect();
        if let [id] = candidates[..] {
            seen.db_id = Some(id);
        } else {
            // Same owner, same name: which one was used is unknown, so neither is called
            // unused.
            ambiguous += candidates.len();
        }
        used.extend(candidates);
    }
    let mut unused: Vec<&SearchedToken> = all
        .iter()
        .copied()
        .filter(|t| !used.contains(&t.id))
        .collect();
    unused.sort_by_key(|t| (t.last_accessed_at, t.id));
    let mut note = BATCH_NOTE.to_string();
    if ambiguous > 0 {
        note.push_str(&format!(
            "; {ambiguous} token(s) share owner and name with a token seen without its database id, and are not listed as unused"
        ));
    }
    Inventory {
        tokens: all.len() as u64,
        unused: unused.into_iter().map(entry).collect(),
        note: Some(note),
    }
}

fn entry(t: &SearchedToken) -> InventoryToken {
    InventoryToken {
        id: t.id,
        name: t.name.clone(),
        user_key: t.user_key.clone(),
        username: t.username.clone(),
        created_at: t.created_at.map(time),
        last_accessed_at: t.last_accessed_at.map(time),
        expires_at: t.expires_at.map(time),
    }
}

/// RFC 3339 in UTC, to the second: the form every report time has.
pub fn time(t: Timestamp) -> String {
    t.round(jiff::Unit::Second).unwrap_or(t).to_string()
}

/// The text report's inventory section: "Tokens not used in the window (N of M)" and
/// their rows, or why there is no inventory. Nothing when none was looked up.
pub fn table(r: &Report, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
    let Some(inv) = &r.inventory else {
        return Ok(());
    };
    if inv.tokens == 0 && inv.unused.is_empty() {
        if let Some(n) = &inv.note {
            writeln!(out, "\nToken inventory: {n}")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "\nTokens not used in the window ({} of {})",
        inv.unused.len(),
        inv.tokens
    )?;
    if inv.unused.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = inv
        .unused
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.name.clone(),
                t.username.clone().unwrap_or_else(|| t.user_key.clone()),
                t.last_accessed_at.clone().unwrap_or_else(|| "never".into()),
                t.expires_at.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    crate::format::write_table(
        out,
        &["DB ID", "NAME", "OWNER", "LAST USED", "EXPIRES"],
        &rows,
        width,
    )?;
    writeln!(
        out,
        "(Jira writes the last use in batches about every minute.)"
    )
}
