//! The PAT inventory beside a report: every token Jira has (its token search, jira-facts
//! §5), matched to the tokens the logs saw, so that a report also says which tokens were
//! *not* used in the window. Matching lives here (the rendering in `output`); the look-up
//! is the client's [`Client::search_tokens`].
//!
//! A seen token matches an inventory entry by its database id (the `TokenDTO(id=..)` line),
//! else by owner and name: REST never shows the 12-digit token id the log is keyed by.

use crate::jira::{Client, SearchedToken};
use crate::summary::{Inventory, InventoryToken, Report};
use crate::token::SELF_CHECK_NAME as SELF_CHECK_TOKEN;
use crate::untrusted::Untrusted;
use jiff::Timestamp;
use std::collections::HashSet;

/// What a reader of `last_accessed_at` must know.
pub const BATCH_NOTE: &str = "last_accessed_at is written by Jira in batches about every minute: a use in the last minute or so may not show yet";

/// Look the inventory up and put it in the report. A failed look-up never fails the
/// caller: it becomes `inventory.note`, and the note for the person is returned, since the
/// report stands without it.
#[must_use = "a failed look-up returns the note to show"]
pub fn attach(client: &Client, report: &mut Report) -> Option<String> {
    attach_for_users(client, report, &[])
}

/// [`attach`] for a report limited to these users (user keys or login names; empty = all):
/// the other users' tokens were left out of the report, not unused, so they are left out
/// of the inventory too.
#[must_use = "a failed look-up returns the note to show"]
pub fn attach_for_users(client: &Client, report: &mut Report, users: &[String]) -> Option<String> {
    match client.search_tokens() {
        Ok(mut tokens) => {
            if !users.is_empty() {
                let hit = |v: &Untrusted| users.iter().any(|u| u.eq_ignore_ascii_case(v.raw()));
                tokens.retain(|t| hit(&t.user_key) || t.username.as_ref().is_some_and(hit));
            }
            report.inventory = Some(build(report, &tokens));
            None
        }
        Err(e) => Some(unavailable(report, &e.to_string())),
    }
}

/// No inventory after all (Jira refused, or no connection): say why in `inventory.note`;
/// returns the note for the person.
#[must_use = "returns the note to show"]
pub fn unavailable(report: &mut Report, why: &str) -> String {
    let why = why.replace('\n', "; ");
    report.inventory = Some(Inventory {
        note: Some(format!("the token inventory could not be read: {why}")),
        ..Inventory::default()
    });
    format!("note: no token inventory in this report: {why}")
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
        let Some(name) = seen.name.as_ref() else {
            continue;
        };
        let owner_is = |t: &SearchedToken| match (&seen.user_key, &seen.username) {
            (Some(k), _) => &t.user_key == k,
            (None, Some(u)) => t.username.as_ref() == Some(u),
            (None, None) => false,
        };
        let candidates: Vec<u64> = all
            .iter()
            .filter(|t| &t.name == name && owner_is(t) && !used.contains(&t.id))
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
    if !report.failed_token_ids.is_empty() {
        note.push_str(&format!(
            "; {} token id(s) only failed in the window and cannot be linked to this list (Jira's REST never shows token ids): a token listed as unused may have been tried without success",
            report.failed_token_ids.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{Summary, TokenReport};

    fn seen(token_id: &str, user_key: &str, name: &str, db_id: Option<u64>) -> TokenReport {
        let mut t: TokenReport = serde_json::from_value(serde_json::json!({
            "token_id": token_id, "name": name, "user_key": user_key, "username": null,
            "created_at": null, "expires_at": null, "expires": "unknown", "requests": 1,
            "failures": 0, "first_seen": null, "last_seen": null, "ips": [], "paths": []
        }))
        .unwrap();
        t.db_id = db_id;
        t
    }

    fn listed(id: u64, user_key: &str, name: &str, last_used_secs: Option<i64>) -> SearchedToken {
        SearchedToken {
            id,
            name: name.into(),
            user_key: user_key.into(),
            username: Some(user_key.to_lowercase().into()),
            full_name: None,
            created_at: None,
            last_accessed_at: last_used_secs.map(|s| Timestamp::from_second(s).unwrap()),
            expires_at: None,
        }
    }

    #[test]
    fn matches_by_database_id_then_owner_and_name_and_leaves_out_the_self_check() {
        let mut r = Summary::new().report(Vec::new(), &Default::default());
        r.tokens = vec![
            seen("111111111111", "admin", "renamed since", Some(1)),
            seen("222222222222", "JIRAUSER10100", "bridge", None),
            seen("333333333333", "admin", "twin", None),
        ];
        let inv = build(
            &mut r,
            &[
                listed(1, "admin", "old name", Some(100)),
                listed(2, "JIRAUSER10100", "bridge", Some(50)),
                listed(3, "admin", "twin", None),
                listed(4, "admin", "twin", None),
                listed(5, "JIRAUSER10100", "unused late", Some(300)),
                listed(6, "JIRAUSER10100", "unused never", None),
                listed(7, "admin", SELF_CHECK_TOKEN, None),
            ],
        );
        assert_eq!(r.tokens[1].db_id, Some(2), "found by owner and name");
        assert_eq!(r.tokens[2].db_id, None, "two candidates: no guess");
        assert_eq!(inv.tokens, 6, "the self-check's token is not counted");
        let ids: Vec<u64> = inv.unused.iter().map(|t| t.id).collect();
        assert_eq!(ids, [6, 5], "never used first, then oldest use");
        let note = inv.note.unwrap();
        assert!(note.contains("batches about every minute"), "{note}");
        assert!(note.contains("2 token(s) share owner and name"), "{note}");
        assert_eq!(
            inv.unused[1].last_accessed_at.as_deref(),
            Some("1970-01-01T00:05:00Z")
        );
    }
}
