//! The PAT inventory beside a report: every token Jira has (its token search, jira-facts
//! §5), matched to the tokens the logs saw, so that a report also says which tokens were
//! *not* used in the window. Matching lives here (the rendering in `output`); the look-up
//! is the client's [`Client::search_tokens`].
//!
//! A seen token matches an inventory entry by its database id (the `TokenDTO(id=..)` or
//! `Storing auth time ... for tokenId: [N]` line), else by owner (and name, when logged):
//! REST never shows the 12-digit token id the log is keyed by. A token not seen is called
//! unused only when the logs could have shown its use.

use crate::jira::{Client, SearchedToken};
use crate::summary::{
    ExpiredToken, Inventory, InventoryToken, Report, Undecided, UndecidedToken,
    EXPIRED_PRUNING_DAYS,
};
use crate::token::SELF_CHECK_NAME as SELF_CHECK_TOKEN;
use crate::untrusted::Untrusted;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};

/// What a reader of `last_accessed_at` must know.
pub const BATCH_NOTE: &str = "last_accessed_at is written by Jira in batches about every minute: a use in the last minute or so may not show yet";

/// Look the inventory up and put it in the report of a window that ends now (a capture's).
/// A failed look-up never fails the caller: it becomes `inventory.note`, and the note for
/// the person is returned, since the report stands without it.
#[must_use = "a failed look-up returns the note to show"]
pub fn attach(client: &Client, report: &mut Report) -> Option<String> {
    attach_for_users(client, report, &[], Timestamp::now())
}

/// [`attach`] for a report limited to these users (user keys or login names; empty = all)
/// whose window ended at `window_end`: the other users' tokens were left out of the report,
/// not unused, so they are left out of the inventory too; a token is expired when it was by
/// `window_end` (a token of old logs that expired since was usable in their window).
#[must_use = "a failed look-up returns the note to show"]
pub fn attach_for_users(
    client: &Client,
    report: &mut Report,
    users: &[String],
    window_end: Timestamp,
) -> Option<String> {
    match client.search_tokens() {
        Ok(mut tokens) => {
            if !users.is_empty() {
                let hit = |v: &Untrusted| users.iter().any(|u| u.eq_ignore_ascii_case(v.raw()));
                tokens.retain(|t| hit(&t.user_key) || t.username.as_ref().is_some_and(hit));
            }
            report.inventory = Some(build(report, &tokens, window_end));
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

/// Match the report's seen tokens to `tokens` (giving them their database id, and their
/// name when the log did not carry it) and sort the rest into three groups, as of
/// `window_end`, the last time the report covers: expired by then (unusable, whatever the
/// logs say), cannot tell (their owner made requests the
/// logs could not tie to a token: pats-debug, or a token seen without its database id) and
/// unused. The self-check's temporary token is not the user's: it is left out altogether.
pub fn build(report: &mut Report, tokens: &[SearchedToken], window_end: Timestamp) -> Inventory {
    let all: Vec<&SearchedToken> = tokens
        .iter()
        .filter(|t| t.name != SELF_CHECK_TOKEN)
        .collect();
    let mut used: HashSet<u64> = report.tokens.iter().filter_map(|t| t.db_id).collect();
    for seen in report.tokens.iter_mut() {
        if let (Some(id), None) = (seen.db_id, &seen.name) {
            seen.name = all.iter().find(|t| t.id == id).map(|t| t.name.clone());
        }
    }
    // Database id per inventory token whose use cannot be told, with why and how many of
    // its owner's requests were left untied.
    let mut undecided: HashMap<u64, (Undecided, u64)> = HashMap::new();
    // Named tokens first: a name narrows the candidates, and each match leaves fewer for
    // the tokens seen without one.
    let mut order: Vec<usize> = (0..report.tokens.len()).collect();
    order.sort_by_key(|&i| report.tokens[i].name.is_none());
    for i in order {
        let seen = &mut report.tokens[i];
        if seen.db_id.is_some() {
            continue;
        }
        let owner_is = |t: &SearchedToken| match (&seen.user_key, &seen.username) {
            (Some(k), _) => &t.user_key == k,
            (None, Some(u)) => t.username.as_ref() == Some(u),
            (None, None) => false,
        };
        // A token that had expired by the seen token's last request was not that token.
        let last_seen: Option<Timestamp> = seen.last_seen.as_deref().and_then(|l| l.parse().ok());
        let candidates: Vec<u64> = all
            .iter()
            .filter(|t| owner_is(t) && !used.contains(&t.id))
            .filter(|t| seen.name.as_ref().is_none_or(|n| *n == t.name))
            .filter(|t| match (t.expires_at, last_seen) {
                (Some(e), Some(l)) => e > l,
                _ => true,
            })
            .map(|t| t.id)
            .collect();
        if let [id] = candidates[..] {
            seen.db_id = Some(id);
            used.insert(id);
            continue;
        }
        for id in candidates {
            undecided
                .entry(id)
                .or_insert((Undecided::TokenSeenWithoutDbId, 0))
                .1 += seen.requests;
        }
    }
    for u in &report.unidentified {
        for t in all
            .iter()
            .filter(|t| t.user_key == u.user_key && !used.contains(&t.id))
        {
            undecided.insert(t.id, (Undecided::OwnerSeenWithoutToken, u.requests));
        }
    }
    let mut inv = Inventory {
        tokens: all.len() as u64,
        as_of: Some(time(window_end)),
        ..Inventory::default()
    };
    let mut rest: Vec<&SearchedToken> = all
        .iter()
        .copied()
        .filter(|t| !used.contains(&t.id))
        .collect();
    rest.sort_by_key(|t| (t.last_accessed_at, t.id));
    for t in rest {
        match (t.expires_at, undecided.get(&t.id)) {
            // An expired token cannot authenticate: it was not one of the untied requests.
            // Judged at the window's end: one that expired since was usable in the window.
            (Some(at), _) if at <= window_end => inv.expired.push(ExpiredToken {
                token: entry(t),
                removed_after: time(at + SignedDuration::from_hours(24 * EXPIRED_PRUNING_DAYS)),
            }),
            (_, Some(&(why, owner_requests))) => inv.cannot_tell.push(UndecidedToken {
                token: entry(t),
                why,
                owner_requests,
            }),
            _ => inv.unused.push(entry(t)),
        }
    }
    inv.expired
        .sort_by(|a, b| a.token.expires_at.cmp(&b.token.expires_at));
    let mut note = BATCH_NOTE.to_string();
    if !report.failed_token_ids.is_empty() {
        note.push_str(&format!(
            "; {} token id(s) only failed in the window and cannot be linked to this list (Jira's REST never shows token ids): a token listed as unused may have been tried without success",
            report.failed_token_ids.len()
        ));
    }
    if report.unattributed_failures > 0 {
        note.push_str(&format!(
            "; {} failed attempt(s) named no token id (e.g. a deactivated owner's, at the filter's level): their tokens authenticated nothing, and may be listed as unused",
            report.unattributed_failures
        ));
    }
    inv.note = Some(note);
    inv
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
pub(crate) mod tests {
    use super::*;
    use crate::summary::{Summary, TokenReport, UserCount};

    fn seen(token_id: &str, user_key: &str, name: Option<&str>, db_id: Option<u64>) -> TokenReport {
        let mut t: TokenReport = serde_json::from_value(serde_json::json!({
            "token_id": token_id, "name": name, "user_key": user_key, "username": null,
            "created_at": null, "expires_at": null, "expires": "unknown", "requests": 1,
            "failures": 0, "first_seen": null, "last_seen": null, "ips": [], "paths": []
        }))
        .unwrap();
        t.db_id = db_id;
        t
    }

    /// A token as Jira's token search lists it (also for the output layer's tests).
    pub(crate) fn listed(
        id: u64,
        user_key: &str,
        name: &str,
        last_used_secs: Option<i64>,
    ) -> SearchedToken {
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

    /// 1970-01-02: every `listed` date is before it.
    fn now() -> Timestamp {
        Timestamp::from_second(86_400).unwrap()
    }

    fn ids(v: &[InventoryToken]) -> Vec<u64> {
        v.iter().map(|t| t.id).collect()
    }

    #[test]
    fn matches_by_database_id_then_owner_and_name_and_leaves_out_the_self_check() {
        let mut r = Summary::new().report(Vec::new(), &Default::default());
        r.tokens = vec![
            seen("111111111111", "admin", Some("renamed since"), Some(1)),
            seen("222222222222", "JIRAUSER10100", Some("bridge"), None),
            seen("333333333333", "admin", Some("twin"), None),
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
            now(),
        );
        assert_eq!(r.tokens[1].db_id, Some(2), "found by owner and name");
        assert_eq!(r.tokens[2].db_id, None, "two candidates: no guess");
        assert_eq!(inv.tokens, 6, "the self-check's token is not counted");
        assert_eq!(
            ids(&inv.unused),
            [6, 5],
            "never used first, then oldest use"
        );
        // Same owner, same name: which one was used is unknown, so neither is unused.
        let twins: Vec<(u64, Undecided)> = inv
            .cannot_tell
            .iter()
            .map(|u| (u.token.id, u.why))
            .collect();
        assert_eq!(
            twins,
            [
                (3, Undecided::TokenSeenWithoutDbId),
                (4, Undecided::TokenSeenWithoutDbId)
            ]
        );
        let note = inv.note.unwrap();
        assert!(note.contains("batches about every minute"), "{note}");
        assert_eq!(
            inv.unused[1].last_accessed_at.as_deref(),
            Some("1970-01-01T00:05:00Z")
        );
    }

    #[test]
    fn a_database_id_names_a_token_the_log_did_not_and_no_used_token_is_unused() {
        // pats-filter-trace: no name in the log, the database id from `Storing auth time`.
        let mut r = Summary::new().report(Vec::new(), &Default::default());
        r.tokens = vec![seen("111111111111", "admin", None, Some(2))];
        let inv = build(
            &mut r,
            &[
                listed(1, "admin", "idle", None),
                listed(2, "admin", "ci", Some(9)),
            ],
            now(),
        );
        assert_eq!(r.tokens[0].name.as_ref().map(Untrusted::raw), Some("ci"));
        assert_eq!(ids(&inv.unused), [1]);
        assert!(inv.cannot_tell.is_empty());
    }

    #[test]
    fn a_token_seen_without_name_or_database_id_leaves_its_owners_tokens_undecided() {
        let mut r = Summary::new().report(Vec::new(), &Default::default());
        r.tokens = vec![seen("111111111111", "admin", None, None)];
        let tokens = [
            listed(1, "admin", "a", None),
            listed(2, "admin", "b", None),
            listed(3, "JIRAUSER10100", "c", None),
        ];
        let inv = build(&mut r.clone(), &tokens, now());
        assert_eq!(ids(&inv.unused), [3]);
        assert_eq!(inv.cannot_tell.len(), 2);
        // With one candidate left, it is that one.
        let inv = build(&mut r, &tokens[1..], now());
        assert_eq!(r.tokens[0].db_id, Some(2));
        assert_eq!(ids(&inv.unused), [3]);
    }

    #[test]
    fn debug_users_make_their_tokens_undecided_and_expired_tokens_are_their_own_group() {
        let mut r = Summary::new().report(Vec::new(), &Default::default());
        r.unidentified = vec![UserCount {
            user_key: "JIRAUSER10100".into(),
            requests: 7,
        }];
        let mut gone = listed(4, "JIRAUSER10100", "old laptop", Some(10));
        gone.expires_at = Some(Timestamp::from_second(3_600).unwrap());
        let mut later = listed(5, "admin", "expires tomorrow", None);
        later.expires_at = Some(Timestamp::from_second(2 * 86_400).unwrap());
        let inv = build(
            &mut r,
            &[listed(3, "JIRAUSER10100", "bridge", None), gone, later],
            now(),
        );
        assert_eq!(inv.cannot_tell.len(), 1);
        assert_eq!(inv.cannot_tell[0].token.id, 3);
        assert_eq!(inv.cannot_tell[0].why, Undecided::OwnerSeenWithoutToken);
        assert_eq!(inv.cannot_tell[0].owner_requests, 7);
        assert_eq!(inv.expired.len(), 1, "an expired token is no DEBUG user's");
        assert_eq!(inv.expired[0].token.id, 4);
        assert_eq!(inv.expired[0].removed_after, "1970-01-31T01:00:00Z");
        assert_eq!(ids(&inv.unused), [5]);
        let j = serde_json::to_value(&inv).unwrap();
        assert_eq!(j["cannot_tell"][0]["why"], "owner_seen_without_token");
        assert_eq!(j["cannot_tell"][0]["name"], "bridge");
        assert_eq!(j["expired"][0]["expires_at"], "1970-01-01T01:00:00Z");
    }
}
