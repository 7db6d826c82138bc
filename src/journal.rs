//! The level journal: a crash-safe record of the levels jira-patrol changed on a Jira, so
//! `restore` can always put them back. It lives in `$XDG_STATE_HOME/jira-patrol/journal.json`
//! (0600) and holds the Jira base URL and, per logger, its level before the first change
//! (explicit or inherited, and from where), the level set, when and by which command.
//! Never a credential.
//!
//! Order of operations: the journal is written and fsynced BEFORE the first change; a
//! later apply on top of an unrestored journal keeps each logger's earliest previous level;
//! `restore` deletes the journal only once every logger reads back as it was.

use crate::jira::{Client, JiraError, LevelsPage, PatError, Revoked, Source};
use crate::level::Level;
use std::path::PathBuf;

const FORMAT: u32 = 1;
const FILE: &str = "journal.json";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalEntry {
    pub format: u32,
    /// Base URL of the Jira the levels belong to.
    pub jira_url: String,
    /// Data Center node that answered when the journal was started.
    #[serde(default)]
    pub node: Option<String>,
    /// RFC 3339 time of the first change.
    pub created_at: String,
    pub loggers: Vec<JournalLogger>,
    /// A temporary token of the capture's self-check not yet revoked. Recorded before it is
    /// created (id unknown) and again once created, before it is used: `restore` revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_check_token: Option<JournalToken>,
}

/// Never the token itself: its database id and name are enough to revoke it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalToken {
    pub name: String,
    /// `None` between asking Jira for it and hearing back: `restore` then revokes our
    /// tokens of that name.
    #[serde(default)]
    pub id: Option<u64>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalLogger {
    pub logger: String,
    /// The level before jira-patrol first changed it.
    pub previous: Level,
    /// Whether that level was set on the logger itself (else it was inherited).
    pub previous_explicit: bool,
    /// Where an inherited level came from: an ancestor logger or `root`.
    #[serde(default)]
    pub inherited_from: Option<String>,
    /// The level last set by jira-patrol.
    pub set_to: Level,
    /// The command that last set it (`level set`, `profile apply pats-trace`, `capture`).
    pub by: String,
    /// RFC 3339 time of the last change.
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Jira(#[from] JiraError),

    #[error("cannot use the level journal {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error("the level journal {} is unreadable: {why}\nlook at it (it lists the levels to put back), then fix or delete it", path.display())]
    Corrupt { path: PathBuf, why: String },

    #[error("the level journal holds unrestored levels of another Jira ({journal_url})\nrun `jira-patrol restore --url {journal_url}` first")]
    OtherJira { journal_url: String, url: String },

    #[error("'{logger}' is not a logger name: use a dotted package or class name such as com.atlassian.pats, or root")]
    BadLogger { logger: String },

    #[error("changed {done} of {total} loggers, then {logger} failed: {cause}\nrun `jira-patrol restore` to put the changed ones back")]
    Partial {
        done: usize,
        total: usize,
        logger: String,
        cause: JiraError,
    },

    #[error("restored {done} of {total} loggers, then {logger} failed: {cause}\nthe journal is kept: run `jira-patrol restore` again")]
    RestoreIncomplete {
        done: usize,
        total: usize,
        logger: String,
        cause: JiraError,
    },

    #[error("after restoring, {logger} reads back as {got}, not {want}\nthe journal is kept: run `jira-patrol restore` again, or set it by hand")]
    NotRestored {
        logger: String,
        want: Level,
        got: Level,
    },

    #[error("the levels are back, but the temporary token '{name}' of the self-check could not be revoked: {cause}\nthe journal keeps it: run `jira-patrol restore` again, or revoke it in Jira (Profile > Personal Access Tokens)")]
    TokenNotRevoked { name: String, cause: PatError },
}

/// One change made by [`apply`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub logger: String,
    /// Level and its source just before this change.
    pub before: Level,
    pub before_source: Source,
    pub after: Level,
    /// The level `restore` will put back (the earliest recorded one).
    pub restore_to: Level,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub jira_url: String,
    pub node: Option<String>,
    pub changes: Vec<Change>,
    pub journal: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Set back to its previous explicit level.
    Restored,
    /// Had no explicit level: its former inherited level was set explicitly (Jira has no
    /// "unset"; it stays explicit until Jira restarts).
    RestoredExplicit,
    /// Already at its previous level: nothing sent.
    AlreadyRestored,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Restored => "restored",
            Action::RestoredExplicit => "restored (now explicit)",
            Action::AlreadyRestored => "already as before",
        })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    pub logger: String,
    pub before: Level,
    pub restored_to: Level,
    pub was_explicit: bool,
    pub inherited_from: Option<String>,
    pub action: Action,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    pub jira_url: String,
    pub node: Option<String>,
    /// Empty when there was no journal (nothing to do).
    pub items: Vec<Restored>,
    /// The journal that was removed, if there was one.
    pub journal_removed: Option<PathBuf>,
    /// Leftover self-check tokens revoked (database ids; empty: none was left).
    pub tokens_revoked: Vec<u64>,
}

/// Where the journal lives (`$XDG_STATE_HOME/jira-patrol/journal.json`).
pub fn path() -> Result<PathBuf, JournalError> {
    crate::paths::state_dir()
        .map(|d| d.join(FILE))
        .map_err(|cause| JournalError::Io {
            path: PathBuf::from("$XDG_STATE_HOME/jira-patrol").join(FILE),
            cause,
        })
}

/// The unrestored journal, if any.
pub fn pending() -> Result<Option<JournalEntry>, JournalError> {
    let p = path()?;
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(JournalError::Io { path: p, cause }),
    };
    let entry: JournalEntry = serde_json::from_str(&text).map_err(|e| JournalError::Corrupt {
        path: p.clone(),
        why: e.to_string(),
    })?;
    if entry.format != FORMAT {
        return Err(JournalError::Corrupt {
            path: p,
            why: format!(
                "format {} is not {FORMAT} (written by another jira-patrol version)",
                entry.format
            ),
        });
    }
    Ok(Some(entry))
}

fn write(entry: &JournalEntry) -> Result<PathBuf, JournalError> {
    let p = path()?;
    let mut bytes = serde_json::to_vec_pretty(entry).expect("journal serialises");
    bytes.push(b'\n');
    crate::paths::write_private(&p, &bytes).map_err(|cause| JournalError::Io {
        path: p.clone(),
        cause,
    })?;
    Ok(p)
}

fn remove() -> Result<PathBuf, JournalError> {
    let p = path()?;
    match std::fs::remove_file(&p) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(cause) => return Err(JournalError::Io { path: p, cause }),
    }
    if let Some(dir) = p.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    Ok(p)
}

fn same_jira(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Record `changes` in the journal (merged with an unrestored one: the earliest previous
/// level of each logger wins), then set each level and read it back. If the very first
/// change fails, the journal is put back as it was, so a failed apply leaves no trace.
pub fn apply(
    client: &Client,
    changes: &[(String, Level)],
    by: &str,
) -> Result<Applied, JournalError> {
    for (logger, _) in changes {
        if !crate::profiles::valid_logger_name(logger) {
            return Err(JournalError::BadLogger {
                logger: logger.clone(),
            });
        }
    }
    if changes.is_empty() {
        return Ok(Applied {
            jira_url: client.base_url().to_string(),
            node: client.node(),
            changes: Vec::new(),
            journal: path()?,
        });
    }
    let before_journal = pending()?;
    if let Some(j) = &before_journal {
        if !same_jira(&j.jira_url, client.base_url()) {
            return Err(JournalError::OtherJira {
                journal_url: j.jira_url.clone(),
                url: client.base_url().to_string(),
            });
        }
    }
    let current = client.levels()?;
    let mut entry = before_journal.clone().unwrap_or_else(|| JournalEntry {
        format: FORMAT,
        jira_url: client.base_url().to_string(),
        node: current.node.clone(),
        created_at: now(),
        loggers: Vec::new(),
        self_check_token: None,
    });
    // Levels as they were before any journaled change: a logger that inherits from one we
    // already changed must record the ancestor's original level, not ours.
    let original = original_view(&current, &entry);
    let mut planned = Vec::new();
    for (logger, level) in changes {
        let (before, before_source) = current.effective(logger);
        let (was, was_source) = original.effective(logger);
        let at = now();
        let restore_to = match entry.loggers.iter_mut().find(|l| &l.logger == logger) {
            Some(l) => {
                l.set_to = *level;
                l.by = by.to_string();
                l.at = at;
                l.previous
            }
            None => {
                entry.loggers.push(JournalLogger {
                    logger: logger.clone(),
                    previous: was,
                    previous_explicit: was_source == Source::Explicit,
                    inherited_from: inherited_from(&was_source),
                    set_to: *level,
                    by: by.to_string(),
                    at,
                });
                was
            }
        };
        planned.push(Change {
            logger: logger.clone(),
            before,
            before_source,
            after: *level,
            restore_to,
        });
    }
    let journal = write(&entry)?;

    for (i, (logger, level)) in changes.iter().enumerate() {
        if let Err(e) = client.set_level(logger, *level) {
            // Drop the new journal entries only when Jira demonstrably still holds the old
            // level: a timed-out POST or a level read back wrong may have changed it. A
            // logger the page hides is the exception: its former level was never visible,
            // so `restore` could only guess it; the error tells to set it back by hand.
            let hidden = matches!(e, JiraError::HiddenLogger { .. });
            let unchanged = i == 0
                && (hidden
                    || client.levels().is_ok_and(|p| {
                        p.explicit_level(logger) == current.explicit_level(logger)
                            && p.root == current.root
                    }));
            if unchanged {
                // Nothing (trackable) changed on Jira: leave the journal as we found it.
                match &before_journal {
                    Some(j) => {
                        write(j)?;
                    }
                    None => {
                        remove()?;
                    }
                }
                return Err(JournalError::Jira(e));
            }
            let was_journaled = before_journal
                .as_ref()
                .is_some_and(|j| j.loggers.iter().any(|l| &l.logger == logger));
            if hidden && !was_journaled {
                // As above: `restore` could not verify it, and would retry it forever.
                entry.loggers.retain(|l| &l.logger != logger);
                write(&entry)?;
            }
            return Err(JournalError::Partial {
                done: i,
                total: changes.len(),
                logger: logger.clone(),
                cause: e,
            });
        }
    }
    Ok(Applied {
        jira_url: client.base_url().to_string(),
        node: client.node().or(current.node),
        changes: planned,
        journal,
    })
}

/// `current` with every journaled logger put back as it was before jira-patrol touched it.
fn original_view(current: &LevelsPage, entry: &JournalEntry) -> LevelsPage {
    let mut page = current.clone();
    for l in &entry.loggers {
        if l.logger == crate::jira::ROOT {
            page.root = l.previous;
        } else if l.previous_explicit {
            page.explicit.insert(l.logger.clone(), l.previous);
        } else {
            page.explicit.remove(&l.logger);
        }
    }
    page
}

fn inherited_from(s: &Source) -> Option<String> {
    match s {
        Source::Explicit => None,
        Source::Ancestor(a) => Some(a.clone()),
        Source::Root => Some(crate::jira::ROOT.to_string()),
    }
}

fn is_restored(page: &LevelsPage, l: &JournalLogger) -> bool {
    if l.previous_explicit {
        page.explicit_level(&l.logger) == Some(l.previous)
    } else {
        // Jira cannot unset a level: running at the former inherited level is restored.
        page.effective(&l.logger).0 == l.previous
    }
}

/// Put back every level in the journal, read them back, then delete the journal.
/// Idempotent: loggers already at their previous level are left alone, and without a
/// journal there is nothing to do.
pub fn restore(client: &Client) -> Result<RestoreReport, JournalError> {
    let Some(entry) = pending()? else {
        return Ok(RestoreReport {
            jira_url: client.base_url().to_string(),
            node: None,
            items: Vec::new(),
            journal_removed: None,
            tokens_revoked: Vec::new(),
        });
    };
    if !same_jira(&entry.jira_url, client.base_url()) {
        return Err(JournalError::OtherJira {
            journal_url: entry.jira_url.clone(),
            url: client.base_url().to_string(),
        });
    }
    // Ancestors first, so a child that used to inherit sees its parent restored before we
    // decide whether it needs an explicit level.
    let mut order: Vec<&JournalLogger> = entry.loggers.iter().collect();
    order.sort_by_key(|l| (l.logger.matches('.').count(), l.logger.clone()));

    let mut items = Vec::new();
    let total = order.len();
    for (i, l) in order.into_iter().enumerate() {
        let page = client.levels()?;
        let before = page.effective(&l.logger).0;
        let action = if is_restored(&page, l) {
            Action::AlreadyRestored
        } else {
            client.set_level(&l.logger, l.previous).map_err(|cause| {
                JournalError::RestoreIncomplete {
                    done: i,
                    total,
                    logger: l.logger.clone(),
                    cause,
                }
            })?;
            if l.previous_explicit {
                Action::Restored
            } else {
                Action::RestoredExplicit
            }
        };
        items.push(Restored {
            logger: l.logger.clone(),
            before,
            restored_to: l.previous,
            was_explicit: l.previous_explicit,
            inherited_from: l.inherited_from.clone(),
            action,
        });
    }
    let page = client.levels()?;
    for l in &entry.loggers {
        if !is_restored(&page, l) {
            return Err(JournalError::NotRestored {
                logger: l.logger.clone(),
                want: l.previous,
                got: page.effective(&l.logger).0,
            });
        }
    }
    // Levels first: a raised level costs Jira every minute, a token only its existence.
    let tokens_revoked = match &entry.self_check_token {
        None => Vec::new(),
        Some(t) => revoke_leftover(client, t).map_err(|cause| {
            let kept = JournalEntry {
                loggers: Vec::new(),
                ..entry.clone()
            };
            match write(&kept) {
                Ok(_) => JournalError::TokenNotRevoked {
                    name: t.name.clone(),
                    cause,
                },
                Err(e) => e,
            }
        })?,
    };
    let removed = remove()?;
    items.sort_by(|a, b| a.logger.cmp(&b.logger));
    Ok(RestoreReport {
        jira_url: entry.jira_url,
        node: page.node.or_else(|| client.node()),
        items,
        journal_removed: Some(removed),
        tokens_revoked,
    })
}

fn revoke_leftover(client: &Client, t: &JournalToken) -> Result<Vec<u64>, PatError> {
    let ids = match t.id {
        Some(id) => vec![id],
        // We crashed before hearing the id: the name is ours alone.
        None => client.tokens_named(&t.name)?,
    };
    let mut revoked = Vec::new();
    for id in ids {
        if client.revoke_token(id)? == Revoked::Now {
            revoked.push(id);
        }
    }
    Ok(revoked)
}

/// Record, before asking Jira for it, that a temporary token named `name` is about to
/// exist (`id: None`), or, once created and before it is used, its id.
pub fn note_token(client: &Client, name: &str, id: Option<u64>) -> Result<(), JournalError> {
    let mut entry = match pending()? {
        Some(j) => {
            if !same_jira(&j.jira_url, client.base_url()) {
                return Err(JournalError::OtherJira {
                    journal_url: j.jira_url.clone(),
                    url: client.base_url().to_string(),
                });
            }
            j
        }
        None => JournalEntry {
            format: FORMAT,
            jira_url: client.base_url().to_string(),
            node: client.node(),
            created_at: now(),
            loggers: Vec::new(),
            self_check_token: None,
        },
    };
    entry.self_check_token = Some(JournalToken {
        name: name.to_string(),
        id,
        created_at: now(),
    });
    write(&entry)?;
    Ok(())
}

/// The temporary token is revoked: drop it from the journal (and the journal itself when
/// no level is left in it).
pub fn forget_token() -> Result<(), JournalError> {
    let Some(mut entry) = pending()? else {
        return Ok(());
    };
    entry.self_check_token = None;
    if entry.loggers.is_empty() {
        remove()?;
    } else {
        write(&entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> LevelsPage {
        LevelsPage {
            root: Level::Warn,
            explicit: [
                ("com.atlassian".to_string(), Level::Warn),
                ("com.atlassian.jira".to_string(), Level::Info),
            ]
            .into_iter()
            .collect(),
            node: None,
        }
    }

    fn logger(name: &str, previous: Level, explicit: bool) -> JournalLogger {
        JournalLogger {
            logger: name.into(),
            previous,
            previous_explicit: explicit,
            inherited_from: (!explicit).then(|| "com.atlassian".into()),
            set_to: Level::Trace,
            by: "level set".into(),
            at: now(),
        }
    }

    #[test]
    fn journal_round_trips_through_json() {
        let e = JournalEntry {
            format: FORMAT,
            jira_url: "https://jira.example.com".into(),
            node: Some("node1".into()),
            created_at: now(),
            loggers: vec![logger("com.atlassian.pats", Level::Warn, false)],
            self_check_token: None,
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            text.contains("\"previous\":\"WARN\"") && text.contains("\"set_to\":\"TRACE\""),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<JournalEntry>(&text).unwrap(), e);
    }

    #[test]
    fn inherited_loggers_count_as_restored_when_they_run_at_the_old_level() {
        let p = page();
        // Not explicit, inherits WARN from com.atlassian: as before.
        assert!(is_restored(
            &p,
            &logger("com.atlassian.pats", Level::Warn, false)
        ));
        // Was explicit WARN but now only inherits WARN: the explicit level is gone.
        assert!(!is_restored(
            &p,
            &logger("com.atlassian.pats", Level::Warn, true)
        ));
        assert!(is_restored(
            &p,
            &logger("com.atlassian.jira", Level::Info, true)
        ));
        assert!(!is_restored(
            &p,
            &logger("com.atlassian.jira", Level::Debug, true)
        ));
    }

    #[test]
    fn a_child_of_a_changed_logger_records_the_original_inherited_level() {
        // com.atlassian.pats was inherited WARN and is now TRACE because of us.
        let mut current = page();
        current
            .explicit
            .insert("com.atlassian.pats".into(), Level::Trace);
        let entry = JournalEntry {
            format: FORMAT,
            jira_url: "u".into(),
            node: None,
            created_at: now(),
            loggers: vec![logger("com.atlassian.pats", Level::Warn, false)],
            self_check_token: None,
        };
        let child = "com.atlassian.pats.web.filter";
        assert_eq!(current.effective(child).0, Level::Trace);
        assert_eq!(
            original_view(&current, &entry).effective(child),
            (Level::Warn, Source::Ancestor("com.atlassian".into()))
        );
    }

    #[test]
    fn same_jira_ignores_a_trailing_slash_and_case() {
        assert!(same_jira(
            "https://Jira.example.com/",
            "https://jira.example.com"
        ));
        assert!(!same_jira("https://a.example.com", "https://b.example.com"));
    }
}
