//! One log4j file edit from plan to disk, written once for `rotation set`, `level
//! persist|unpersist`, `rotation plan`'s counterpart in `setup` and unattended setup: the
//! edit is made on a copy ([`Edit`]: the changes and the diff to show), then written with a
//! backup ([`Edit::apply`]: where, the backup, when Jira notices). A rotation for a volume
//! and a retention is planned and prepared in one call ([`plan_change`]).

use super::{plan, Appender, Config, Log4jError, Plan, Saved};
use std::path::Path;
use std::time::Duration;

/// Said after every write: the file is the install's, not ours.
pub const INSTALL_NOTE: &str = "note: this file is part of the install: a Jira upgrade replaces it, and each Data Center node has its own copy";

/// An edit made in memory: nothing is written until [`Edit::apply`].
#[derive(Debug, Clone)]
pub struct Edit {
    config: Config,
    /// One line per value changed (empty when the file already says so).
    pub changes: Vec<String>,
}

/// What [`Edit::apply`] wrote.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The file written and its backup.
    pub saved: Saved,
    /// One line per value changed.
    pub changes: Vec<String>,
    /// When (if ever) Jira picks the change up without a restart.
    pub reload_note: String,
}

impl Edit {
    /// An edit already made on `config` (its `changes` as the editor returned them).
    pub fn new(config: Config, changes: Vec<String>) -> Edit {
        Edit { config, changes }
    }

    /// Set the maximum size and/or backup count of an appender (the main one by default).
    pub fn rotation(
        mut config: Config,
        appender: Option<&str>,
        max_size: Option<u64>,
        backups: Option<u32>,
    ) -> Result<Edit, Log4jError> {
        let changes = config.set_rotation(appender, max_size, backups)?;
        Ok(Edit { config, changes })
    }

    /// The edited configuration (path, format, appenders after the edit).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the bytes differ from the file's.
    pub fn is_change(&self) -> bool {
        self.config.is_changed()
    }

    /// The unified diff to show before writing (empty when nothing changes).
    pub fn diff(&self) -> String {
        self.config.diff()
    }

    /// When Jira will notice, once written.
    pub fn reload_note(&self) -> String {
        self.config.reload_note()
    }

    /// Back the file up beside itself and write the edit (refused when the file changed
    /// since it was read).
    pub fn apply(self) -> Result<Applied, Log4jError> {
        let saved = self.config.save()?;
        Ok(Applied {
            saved,
            reload_note: self.config.reload_note(),
            changes: self.changes,
        })
    }
}

/// A rotation planned for a volume and a retention, against a file's appender.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The appender as the file has it now.
    pub current: Appender,
    /// The size and count that keep the retention, and the command that sets them.
    pub plan: Plan,
    /// The change to the file; `None` when the current rotation already holds.
    pub edit: Option<Edit>,
}

/// Plan the rotation of `appender` (the main one by default) in the file at `path` for
/// `bytes_per_hour` kept `keep`, and prepare the change when the current one falls short.
pub fn plan_change(
    path: &Path,
    appender: Option<&str>,
    bytes_per_hour: u64,
    keep: Duration,
) -> Result<Planned, Log4jError> {
    let config = Config::load(path)?;
    let current = config.appender(appender)?;
    let plan = plan(bytes_per_hour, keep, Some(&current));
    let edit = if plan.holds_now {
        None
    } else {
        Some(Edit::rotation(
            config,
            Some(&current.name),
            Some(plan.max_size_bytes),
            Some(plan.backups),
        )?)
    };
    Ok(Planned {
        current,
        plan,
        edit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPS: &str = "log4j.rootLogger=WARN, filelog\n\
        log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\n\
        log4j.appender.filelog.File=atlassian-jira.log\n\
        log4j.appender.filelog.MaxFileSize=20480KB\n\
        log4j.appender.filelog.MaxBackupIndex=10\n";

    #[test]
    fn a_plan_that_falls_short_is_prepared_shown_and_written_with_a_backup() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("log4j.properties");
        std::fs::write(&p, PROPS).unwrap();
        let day = Duration::from_secs(86400);
        // 1 MiB an hour for a day fits 20 MiB x 10.
        let small = plan_change(&p, None, 1 << 20, day).unwrap();
        assert!(small.plan.holds_now && small.edit.is_none());
        // 100 MiB an hour for three days does not.
        let big = plan_change(&p, None, 100 << 20, 3 * day).unwrap();
        let edit = big.edit.expect("a change");
        assert!(edit.is_change() && !edit.changes.is_empty());
        assert!(edit.diff().contains("+log4j.appender.filelog.MaxFileSize="));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            PROPS,
            "nothing written yet"
        );
        let applied = edit.apply().unwrap();
        assert_eq!(
            std::fs::read_to_string(&applied.saved.backup).unwrap(),
            PROPS
        );
        assert!(applied.reload_note.contains("restart Jira"));
        let again = plan_change(&p, None, 100 << 20, 3 * day).unwrap();
        assert!(again.plan.holds_now, "the written plan holds");
    }
}
