//! The level journal: a crash-safe record of the levels jira-patrol changed on a Jira, so
//! `restore` can always put them back. One file per Jira base URL in the state directory
//! (`$XDG_STATE_HOME/jira-patrol/journal-<host>_<port>_<path>-<hash>.json`, 0600), each
//! holding the Jira base URL and, per logger, its level before the first change (explicit
//! or inherited, and from where), the level set, when and by which command; and the
//! captures running now that hold the raised levels ([`Holder`]). Never a credential.
//! A [`Journal`] names the directory: built at the edge ([`Journal::default_location`]),
//! or anywhere for tests ([`Journal::at`]).
//!
//! Order of operations: the journal is written and fsynced BEFORE the first change; a
//! later apply on top of an unrestored journal keeps each logger's earliest previous level;
//! `restore` deletes the journal only once every logger reads back as it was. Every
//! read-modify-write of a Jira's journal (and the Jira requests it records) happens under
//! that Jira's file lock, so two captures on one machine take turns. A capture that ends
//! while another live one holds the levels leaves them raised for it.
//!
//! An older jira-patrol kept one `journal.json` for every Jira: it is still read, as the
//! journal of the Jira it names, and moved to that Jira's file the first time it is used.

mod holder;
mod name;

pub use holder::Holder;
use holder::Lock;

use crate::jira::{Client, JiraError, LevelsPage, PatError, Revoked, Source};
use crate::level::Level;
use std::path::{Path, PathBuf};

const FORMAT: u32 = 1;
/// The single journal of jira-patrol before one journal per Jira.
const LEGACY_FILE: &str = "journal.json";

/// The contents of one Jira's journal file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalEntry {
    /// File format version ([`FORMAT`](self)).
    pub format: u32,
    /// Base URL of the Jira the levels belong to.
    pub jira_url: String,
    /// Data Center node that answered when the journal was started.
    #[serde(default)]
    pub node: Option<String>,
    /// RFC 3339 time of the first change.
    pub created_at: String,
    /// The loggers changed, each with the level to put back.
    pub loggers: Vec<JournalLogger>,
    /// A temporary token of the capture's self-check not yet revoked. Recorded before it is
    /// created (id unknown) and again once created, before it is used: `restore` revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_check_token: Option<JournalToken>,
    /// Captures that raised these levels for their window and restore them when they end
    /// (the last live one restores everything). Dead ones are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<Holder>,
}

/// Never the token itself: its database id and name are enough to revoke it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalToken {
    /// The token's name in Jira.
    pub name: String,
    /// `None` between asking Jira for it and hearing back: `restore` then revokes our
    /// tokens of that name.
    #[serde(default)]
    pub id: Option<u64>,
    /// RFC 3339 time it was recorded.
    pub created_at: String,
}

/// One changed logger and the level to put back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalLogger {
    /// Logger name (`root` for the root logger).
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

/// What can go wrong with the journal or the level changes it records.
#[allow(missing_docs)] // each variant's message says what it is
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

    #[error("the level journal {} holds levels of {journal_url}, not of {url}\nrun `jira-patrol restore --url {journal_url}`, or move the file away", path.display())]
    OtherJira {
        path: PathBuf,
        journal_url: String,
        url: String,
    },

    #[error("'{logger}' is not a logger name: use a dotted package or class name such as com.atlassian.pats, or root")]
    BadLogger { logger: String },

    #[error("stopped while putting the levels back ({done} of {total} done)\nthe journal keeps the rest: run `jira-patrol restore`")]
    Interrupted { done: usize, total: usize },

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

/// One change made by [`Journal::apply`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// Logger name.
    pub logger: String,
    /// Level and its source just before this change.
    pub before: Level,
    /// Where `before` came from (explicit, an ancestor, root).
    pub before_source: Source,
    /// The level set.
    pub after: Level,
    /// The level `restore` will put back (the earliest recorded one).
    pub restore_to: Level,
}

/// What [`Journal::apply`] (or [`Journal::hold`]) did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    /// Base URL of the Jira changed.
    pub jira_url: String,
    /// The Data Center node that answered.
    pub node: Option<String>,
    /// One per logger asked for.
    pub changes: Vec<Change>,
    /// The journal file that records them.
    pub journal: PathBuf,
    /// Other live captures that held the levels already (this one joined them).
    pub joined: Vec<Holder>,
}

/// What the restore did to one logger.
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

/// One logger put back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    /// Logger name.
    pub logger: String,
    /// Its level just before the restore.
    pub before: Level,
    /// The level put back.
    pub restored_to: Level,
    /// Whether that level was explicit before jira-patrol changed it.
    pub was_explicit: bool,
    /// Where an inherited level came from.
    pub inherited_from: Option<String>,
    /// What was done.
    pub action: Action,
}

/// What a restore did on one Jira.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// Base URL of the Jira.
    pub jira_url: String,
    /// The Data Center node that answered.
    pub node: Option<String>,
    /// Empty when there was no journal (nothing to do).
    pub items: Vec<Restored>,
    /// The journal that was removed, if there was one.
    pub journal_removed: Option<PathBuf>,
    /// Leftover self-check tokens revoked (database ids; empty: none was left).
    pub tokens_revoked: Vec<u64>,
    /// Not empty: nothing was restored, because these other live captures still hold the
    /// levels (the last of them restores them when it ends).
    pub kept_for: Vec<Holder>,
}

impl RestoreReport {
    fn nothing(jira_url: &str) -> RestoreReport {
        RestoreReport {
            jira_url: jira_url.to_string(),
            node: None,
            items: Vec::new(),
            journal_removed: None,
            tokens_revoked: Vec::new(),
            kept_for: Vec::new(),
        }
    }
}

/// Where the level journals live: one file per Jira in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    dir: PathBuf,
}

/// An unrestored journal found on disk, with its file.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The file (a per-Jira file, or the old single `journal.json`).
    pub path: PathBuf,
    /// What it holds.
    pub entry: JournalEntry,
}

/// A Jira's journal under its lock: read it, change it, write it, one process at a time.
struct Locked<'a> {
    journal: &'a Journal,
    jira_url: String,
    path: PathBuf,
    _lock: Lock,
}

impl Journal {
    /// The journals in `dir` (created 0700 when first written).
    pub fn at(dir: impl Into<PathBuf>) -> Journal {
        Journal { dir: dir.into() }
    }

    /// `$XDG_STATE_HOME/jira-patrol` (default `~/.local/state/jira-patrol`): the one place
    /// the library reads the state directory from the environment.
    pub fn default_location() -> Result<Journal, JournalError> {
        crate::paths::state_dir()
            .map(Journal::at)
            .map_err(|cause| JournalError::Io {
                path: PathBuf::from("$XDG_STATE_HOME/jira-patrol"),
                cause,
            })
    }

    /// The directory holding the journals.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal file of the Jira at `jira_url` (whether it exists or not).
    pub fn path_for(&self, jira_url: &str) -> PathBuf {
        self.dir.join(format!("{}.json", name::stem(jira_url)))
    }

    fn lock_path(&self, jira_url: &str) -> PathBuf {
        self.dir.join(format!("{}.lock", name::stem(jira_url)))
    }

    fn legacy_path(&self) -> PathBuf {
        self.dir.join(LEGACY_FILE)
    }

    /// The unrestored journal of the Jira at `jira_url`, if any (its own file, else an old
    /// single `journal.json` naming that Jira). A corrupt old `journal.json` is an error:
    /// it may be this Jira's.
    pub fn pending(&self, jira_url: &str) -> Result<Option<JournalEntry>, JournalError> {
        if let Some(e) = read_file(&self.path_for(jira_url))? {
            return Ok(Some(e));
        }
        match read_file(&self.legacy_path())? {
            Some(e) if same_jira(&e.jira_url, jira_url) => Ok(Some(e)),
            _ => Ok(None),
        }
    }

    /// Every unrestored journal in the directory, one per Jira, sorted by URL.
    pub fn all(&self) -> Result<Vec<Pending>, JournalError> {
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => {
                return Err(JournalError::Io {
                    path: self.dir.clone(),
                    cause,
                })
            }
        };
        let mut out: Vec<Pending> = Vec::new();
        for f in read {
            let f = f.map_err(|cause| JournalError::Io {
                path: self.dir.clone(),
                cause,
            })?;
            let name = f.file_name().to_string_lossy().into_owned();
            let ours =
                name == LEGACY_FILE || (name.starts_with("journal-") && name.ends_with(".json"));
            if !ours {
                continue;
            }
            let path = f.path();
            if let Some(entry) = read_file(&path)? {
                out.push(Pending { path, entry });
            }
        }
        // An old single journal of a Jira that has its own file as well is listed too: it
        // becomes that Jira's file once its own file is restored.
        out.sort_by(|a, b| {
            name::key(&a.entry.jira_url)
                .cmp(&name::key(&b.entry.jira_url))
                .then(a.path.cmp(&b.path))
        });
        Ok(out)
    }

    /// Take the lock of the Jira at `jira_url` (waiting for another process that has it),
    /// moving an old single `journal.json` of that Jira to its own file on the way.
    fn lock(&self, jira_url: &str) -> Result<Locked<'_>, JournalError> {
        let lock_path = self.lock_path(jira_url);
        let lock = Lock::take(&lock_path).map_err(|cause| JournalError::Io {
            path: lock_path,
            cause,
        })?;
        let path = self.path_for(jira_url);
        let legacy = self.legacy_path();
        if let Some(old) = read_file(&legacy)? {
            if same_jira(&old.jira_url, jira_url) && !path.exists() {
                std::fs::rename(&legacy, &path).map_err(|cause| JournalError::Io {
                    path: legacy.clone(),
                    cause,
                })?;
                note(format!(
                    "note: the level journal {} (one for every Jira, from an older jira-patrol) is now the journal of {} only: {}",
                    legacy.display(),
                    old.jira_url,
                    path.display()
                ));
            }
        }
        Ok(Locked {
            journal: self,
            jira_url: jira_url.to_string(),
            path,
            _lock: lock,
        })
    }

    /// Record `changes` in the journal of the client's Jira (merged with an unrestored one:
    /// the earliest previous level of each logger wins), then set each level and read it
    /// back. If the very first change fails, the journal is put back as it was, so a failed
    /// apply leaves no trace. For `level set` and `profile apply`: no holder, the levels
    /// stay until `restore`.
    pub fn apply(
        &self,
        client: &Client,
        changes: &[(String, Level)],
        by: &str,
    ) -> Result<Applied, JournalError> {
        check_names(changes)?;
        let locked = self.lock(client.base_url())?;
        locked.apply(client, changes, by, None)
    }

    /// As [`apply`](Self::apply), for a capture that holds the levels for its window:
    /// `holder` joins the live holders already there. A logger another live capture raised
    /// further than asked keeps that level (a join never lowers another's window).
    pub fn hold(
        &self,
        client: &Client,
        changes: &[(String, Level)],
        by: &str,
        holder: &Holder,
    ) -> Result<Applied, JournalError> {
        check_names(changes)?;
        let locked = self.lock(client.base_url())?;
        locked.apply(client, changes, by, Some(holder))
    }

    /// The end of `holder`'s window: when other live captures hold the levels, only leave
    /// (the report's `kept_for` names them); else restore every level of the journal as
    /// [`restore`](Self::restore) does. `stop` is asked between requests: `true` ends the
    /// restore with [`JournalError::Interrupted`], the journal keeping what is left.
    pub fn release(
        &self,
        client: &Client,
        holder: &Holder,
        stop: &dyn Fn() -> bool,
    ) -> Result<RestoreReport, JournalError> {
        let locked = self.lock(client.base_url())?;
        let Some(mut entry) = locked.read()? else {
            return Ok(RestoreReport::nothing(client.base_url()));
        };
        entry.holders.retain(|h| !h.same_process(holder));
        let others: Vec<Holder> = entry
            .holders
            .iter()
            .filter(|h| h.is_alive())
            .cloned()
            .collect();
        if !others.is_empty() {
            locked.write(&entry)?;
            return Ok(RestoreReport {
                kept_for: others,
                ..RestoreReport::nothing(&entry.jira_url)
            });
        }
        locked.restore(client, entry, stop)
    }

    /// Put back every level in the journal of the client's Jira, read them back, then
    /// delete the journal, whoever holds it. Idempotent: loggers already at their previous
    /// level are left alone, and without a journal there is nothing to do.
    pub fn restore(&self, client: &Client) -> Result<RestoreReport, JournalError> {
        let locked = self.lock(client.base_url())?;
        match locked.read()? {
            None => Ok(RestoreReport::nothing(client.base_url())),
            Some(entry) => locked.restore(client, entry, &|| false),
        }
    }

    /// Record, before asking Jira for it, that a temporary token named `name` is about to
    /// exist (`id: None`), or, once created and before it is used, its id.
    pub fn note_token(
        &self,
        client: &Client,
        name: &str,
        id: Option<u64>,
    ) -> Result<(), JournalError> {
        let locked = self.lock(client.base_url())?;
        let mut entry = locked.read()?.unwrap_or_else(|| JournalEntry {
            format: FORMAT,
            jira_url: client.base_url().to_string(),
            node: client.node(),
            created_at: now(),
            loggers: Vec::new(),
            self_check_token: None,
            holders: Vec::new(),
        });
        entry.self_check_token = Some(JournalToken {
            name: name.to_string(),
            id,
            created_at: now(),
        });
        locked.write(&entry)?;
        Ok(())
    }

    /// The temporary token `id` is revoked (or was never made: `None`): drop it from the
    /// journal of the Jira at `jira_url` (and the journal itself when nothing else is left
    /// in it). Another capture's token noted since is left alone.
    pub fn forget_token(&self, jira_url: &str, id: Option<u64>) -> Result<(), JournalError> {
        let locked = self.lock(jira_url)?;
        let Some(mut entry) = locked.read()? else {
            return Ok(());
        };
        if id.is_some() && entry.self_check_token.as_ref().is_some_and(|t| t.id != id) {
            return Ok(());
        }
        entry.self_check_token = None;
        if entry.loggers.is_empty() && entry.holders.iter().all(|h| !h.is_alive()) {
            locked.remove()?;
        } else {
            locked.write(&entry)?;
        }
        Ok(())
    }
}

/// Things the journal did on its own that the person should hear of (an old journal
/// moved), kept until the edge says them ([`take_notes`]): the journal never prints.
static NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn note(text: String) {
    if let Ok(mut n) = NOTES.lock() {
        n.push(text);
    }
}

/// What the journal has to say since last asked (each line once).
pub fn take_notes() -> Vec<String> {
    NOTES
        .lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default()
}

/// Read one journal file (`None`: there is none).
pub fn read_file(p: &Path) -> Result<Option<JournalEntry>, JournalError> {
    let text = match std::fs::read_to_string(p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => {
            return Err(JournalError::Io {
                path: p.to_path_buf(),
                cause,
            })
        }
    };
    let entry: JournalEntry = serde_json::from_str(&text).map_err(|e| JournalError::Corrupt {
        path: p.to_path_buf(),
        why: e.to_string(),
    })?;
    if entry.format != FORMAT {
        return Err(JournalError::Corrupt {
            path: p.to_path_buf(),
            why: format!(
                "format {} is not {FORMAT} (written by another jira-patrol version)",
                entry.format
            ),
        });
    }
    Ok(Some(entry))
}

fn check_names(changes: &[(String, Level)]) -> Result<(), JournalError> {
    for (logger, _) in changes {
        if !crate::profiles::valid_logger_name(logger) {
            return Err(JournalError::BadLogger {
                logger: logger.clone(),
            });
        }
    }
    Ok(())
}

fn same_jira(a: &str, b: &str) -> bool {
    name::key(a) == name::key(b)
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Locked<'_> {
    /// This Jira's journal. A file that names another Jira (copied by hand) is refused.
    fn read(&self) -> Result<Option<JournalEntry>, JournalError> {
        let Some(e) = read_file(&self.path)? else {
            return self.journal.pending(&self.jira_url);
        };
        if !same_jira(&e.jira_url, &self.jira_url) {
            return Err(JournalError::OtherJira {
                path: self.path.clone(),
                journal_url: e.jira_url,
                url: self.jira_url.clone(),
            });
        }
        Ok(Some(e))
    }

    fn write(&self, entry: &JournalEntry) -> Result<PathBuf, JournalError> {
        let mut bytes = serde_json::to_vec_pretty(entry).expect("journal serialises");
        bytes.push(b'\n');
        crate::paths::write_private(&self.path, &bytes).map_err(|cause| JournalError::Io {
            path: self.path.clone(),
            cause,
        })?;
        Ok(self.path.clone())
    }

    fn remove(&self) -> Result<PathBuf, JournalError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(cause) => {
                return Err(JournalError::Io {
                    path: self.path.clone(),
                    cause,
                })
            }
        }
        if let Some(dir) = self.path.parent().and_then(|d| std::fs::File::open(d).ok()) {
            let _ = dir.sync_all();
        }
        Ok(self.path.clone())
    }

    fn apply(
        &self,
        client: &Client,
        changes: &[(String, Level)],
        by: &str,
        holder: Option<&Holder>,
    ) -> Result<Applied, JournalError> {
        let before_journal = self.read()?;
        let joined: Vec<Holder> = before_journal
            .iter()
            .flat_map(|j| &j.holders)
            .filter(|h| h.is_alive() && !holder.is_some_and(|me| me.same_process(h)))
            .cloned()
            .collect();
        if changes.is_empty() {
            return Ok(Applied {
                jira_url: client.base_url().to_string(),
                node: client.node(),
                changes: Vec::new(),
                journal: self.path.clone(),
                joined,
            });
        }
        let current = client.levels()?;
        let mut entry = before_journal.clone().unwrap_or_else(|| JournalEntry {
            format: FORMAT,
            jira_url: client.base_url().to_string(),
            node: current.node.clone(),
            created_at: now(),
            loggers: Vec::new(),
            self_check_token: None,
            holders: Vec::new(),
        });
        if let Some(h) = holder {
            entry.holders.retain(|x| !x.same_process(h));
            entry.holders.push(h.clone());
        }
        // Joining a live capture never lowers a level it raised further.
        let changes: Vec<(String, Level)> = changes
            .iter()
            .map(|(logger, level)| {
                let theirs = entry
                    .loggers
                    .iter()
                    .find(|l| &l.logger == logger)
                    .map(|l| l.set_to)
                    .filter(|set| !joined.is_empty() && set.enables(*level));
                (logger.clone(), theirs.unwrap_or(*level))
            })
            .collect();
        // Levels as they were before any journaled change: a logger that inherits from one we
        // already changed must record the ancestor's original level, not ours.
        let original = original_view(&current, &entry);
        let mut planned = Vec::new();
        for (logger, level) in &changes {
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
        let journal = self.write(&entry)?;

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
                            self.write(j)?;
                        }
                        None => {
                            self.remove()?;
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
                    self.write(&entry)?;
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
            joined,
        })
    }

    fn restore(
        &self,
        client: &Client,
        entry: JournalEntry,
        stop: &dyn Fn() -> bool,
    ) -> Result<RestoreReport, JournalError> {
        // Ancestors first, so a child that used to inherit sees its parent restored before we
        // decide whether it needs an explicit level.
        let mut order: Vec<&JournalLogger> = entry.loggers.iter().collect();
        order.sort_by_key(|l| (l.logger.matches('.').count(), l.logger.clone()));

        let mut items = Vec::new();
        let total = order.len();
        for (i, l) in order.into_iter().enumerate() {
            if stop() {
                return Err(JournalError::Interrupted { done: i, total });
            }
            let page = client.levels()?;
            let before = page.effective(&l.logger).0;
            let action = if is_restored(&page, l) {
                Action::AlreadyRestored
            } else {
                if stop() {
                    return Err(JournalError::Interrupted { done: i, total });
                }
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
                    holders: Vec::new(),
                    ..entry.clone()
                };
                match self.write(&kept) {
                    Ok(_) => JournalError::TokenNotRevoked {
                        name: t.name.clone(),
                        cause,
                    },
                    Err(e) => e,
                }
            })?,
        };
        let removed = self.remove()?;
        items.sort_by(|a, b| a.logger.cmp(&b.logger));
        Ok(RestoreReport {
            jira_url: entry.jira_url,
            node: page.node.or_else(|| client.node()),
            items,
            journal_removed: Some(removed),
            tokens_revoked,
            kept_for: Vec::new(),
        })
    }
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
            holders: Vec::new(),
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
            holders: Vec::new(),
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

    fn entry(url: &str, holders: Vec<Holder>) -> JournalEntry {
        JournalEntry {
            format: FORMAT,
            jira_url: url.into(),
            node: None,
            created_at: now(),
            loggers: Vec::new(),
            self_check_token: Some(JournalToken {
                name: "t".into(),
                id: Some(7),
                created_at: now(),
            }),
            holders,
        }
    }

    fn put(path: &Path, e: &JournalEntry) {
        crate::paths::write_private(path, &serde_json::to_vec(e).unwrap()).unwrap();
    }

    #[test]
    fn one_file_per_jira_and_an_old_single_journal_is_its_jiras() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::at(d.path());
        let (a, b) = ("https://a.example.com", "https://b.example.com:8443/jira");
        assert_ne!(j.path_for(a), j.path_for(b));
        assert_eq!(j.path_for(a), j.path_for("https://A.example.com/"));
        put(&j.path_for(b), &entry(b, Vec::new()));
        put(&d.path().join(LEGACY_FILE), &entry(a, Vec::new()));
        assert!(j.pending(a).unwrap().is_some(), "the old file is a's");
        assert!(j.pending("https://c.example.com").unwrap().is_none());
        let all: Vec<String> = j
            .all()
            .unwrap()
            .into_iter()
            .map(|p| p.entry.jira_url)
            .collect();
        assert_eq!(all, vec![a.to_string(), b.to_string()]);
        // Used for a: moved to a's own file.
        drop(j.lock(a).unwrap());
        assert!(!d.path().join(LEGACY_FILE).exists());
        assert!(j.path_for(a).exists());
    }

    #[test]
    fn a_dead_holder_is_ignored_and_a_live_one_keeps_the_journal() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::at(d.path());
        let url = "https://jira.example.com";
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = Holder {
            pid: child.id(),
            process_start: Some(u64::MAX),
            since: now(),
            what: "capture pats-trace".into(),
        };
        child.wait().unwrap();
        // Only a crashed capture's entry and a token: once the token is revoked, nothing
        // is left to keep.
        put(&j.path_for(url), &entry(url, vec![dead.clone()]));
        j.forget_token(url, Some(7)).unwrap();
        assert!(j.pending(url).unwrap().is_none());
        // A live capture holds it: the journal stays, without the token.
        put(
            &j.path_for(url),
            &entry(url, vec![dead, Holder::this_process("capture x")]),
        );
        j.forget_token(url, Some(7)).unwrap();
        let left = j.pending(url).unwrap().unwrap();
        assert!(left.self_check_token.is_none() && left.holders.len() == 2);
        // Another capture's token is not ours to forget.
        put(&j.path_for(url), &entry(url, Vec::new()));
        j.forget_token(url, Some(8)).unwrap();
        assert!(j.pending(url).unwrap().unwrap().self_check_token.is_some());
    }
}
