//! The simulator's `atlassian-jira.log`: logger levels with log4j inheritance, the stock
//! layout (`%d %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id}
//! %X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m%n`, jira-facts §2), and
//! size-based rotation in the two ways a log can be rotated (log4j rename, copytruncate).

use crate::Level;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How the log is rotated when it reaches `log_max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotationMode {
    /// log4j's RollingFileAppender: `.N-1`→`.N`, …, log→`.1` (`.1` newest), new empty log.
    #[default]
    Rename,
    /// logrotate's copytruncate: copy the log to `.1` (after shifting), truncate in place.
    CopyTruncate,
}

/// Explicitly set levels (what `ViewLogging.jspa` lists) and the root level.
#[derive(Debug, Clone)]
pub struct LevelTable {
    /// The root logger's level.
    pub root: Level,
    /// Loggers with a level of their own, by name.
    pub explicit: BTreeMap<String, Level>,
}

impl LevelTable {
    /// A realistic subset of the stock `log4j.properties` loggers (Jira 7.13–9.x), so that
    /// `com.atlassian.pats` inherits WARN from `com.atlassian` as on a fresh install.
    pub fn stock() -> LevelTable {
        use Level::*;
        let explicit = [
            ("com.atlassian", Warn),
            ("com.atlassian.jira", Info),
            ("com.atlassian.jira.issue.index", Info),
            ("com.atlassian.jira.issue.search.providers", Info),
            ("com.atlassian.jira.login", Warn),
            ("com.atlassian.jira.plugin", Info),
            ("com.atlassian.jira.security", Info),
            ("com.atlassian.jira.startup", Info),
            ("com.atlassian.jira.upgrade", Info),
            ("com.atlassian.jira.util.log.LogMarker", Info),
            (
                "com.atlassian.jira.web.dispatcher.JiraWebworkActionDispatcher",
                Warn,
            ),
            (
                "com.atlassian.jira.web.filters.accesslog.AccessLogFilter",
                Off,
            ),
            ("com.atlassian.plugin", Info),
            ("com.atlassian.plugin.osgi.factory", Warn),
            ("com.atlassian.plugin.servlet", Warn),
            ("com.atlassian.seraph", Warn),
            ("com.atlassian.util.profiling", Debug),
            ("com.opensymphony", Warn),
            ("net.java.ao", Warn),
            ("org.apache.shindig", Error),
            ("org.ofbiz", Warn),
            ("webwork", Warn),
        ];
        LevelTable {
            root: Warn,
            explicit: explicit
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// The level a logger actually has: its own, else its nearest dotted ancestor's, else root.
    pub fn effective(&self, logger: &str) -> Level {
        let mut name = logger;
        loop {
            if let Some(l) = self.explicit.get(name) {
                return *l;
            }
            match name.rfind('.') {
                Some(i) => name = &name[..i],
                None => return self.root,
            }
        }
    }

    /// Whether `logger` writes a line at `level` (by its effective level).
    pub fn enabled(&self, logger: &str, level: Level) -> bool {
        self.effective(logger).enables(level)
    }

    /// `loggerName=root` is the root logger, as on the logging page.
    pub fn set(&mut self, logger: &str, level: Level) {
        if logger == "root" {
            self.root = level;
        } else {
            self.explicit.insert(logger.to_string(), level);
        }
    }
}

/// `%q{2}`: every package part but the last two shortened to its first letter
/// (`com.atlassian.pats.web.filter.X` → `c.a.p.web.filter.X`).
pub fn abbreviate(category: &str) -> String {
    let parts: Vec<&str> = category.split('.').collect();
    let keep_from = parts.len().saturating_sub(3);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i < keep_from {
                p.chars().next().map(String::from).unwrap_or_default()
            } else {
                (*p).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The five MDC fields of a request; background threads log with none of them.
#[derive(Debug, Clone, Default)]
pub struct Mdc {
    /// Login name, `anonymous` before authentication.
    pub username: String,
    /// Jira's request id (`<minute>x<n>x<concurrent>`).
    pub request_id: String,
    /// Short session id, `-` without a session.
    pub asession_id: String,
    /// Client address, with `X-Forwarded-For` in front when sent.
    pub ip: String,
    /// Request path, without the context path or query.
    pub url: String,
}

/// How dates are written: Jira 8.x+ appends `+hhmm`, 7.x/8.0 do not (jira-facts §2).
#[derive(Debug, Clone, Copy)]
pub struct DateStyle {
    /// Server time zone offset (minutes east of UTC).
    pub offset_minutes: i32,
    /// Whether dates end with `+hhmm` (Jira 8.1+).
    pub with_offset: bool,
}

impl DateStyle {
    /// A log date: `2024-01-31 13:45:12,345+0000` (or without the offset).
    pub fn format(&self, t: Timestamp) -> String {
        let offset = jiff::tz::Offset::from_seconds(self.offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC);
        let dt = offset.to_datetime(t);
        let mut s = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.subsec_nanosecond() / 1_000_000
        );
        if self.with_offset {
            let m = self.offset_minutes;
            let sign = if m < 0 { '-' } else { '+' };
            s.push_str(&format!("{sign}{:02}{:02}", m.abs() / 60, m.abs() % 60));
        }
        s
    }
}

/// One log entry: the first line in the layout, then continuation lines (message lines
/// indented by 4 spaces, stack frames as given).
pub fn format_entry(
    date: &str,
    thread: &str,
    level: Level,
    mdc: Option<&Mdc>,
    category: &str,
    message: &str,
    throwable: &[String],
) -> String {
    let empty = Mdc::default();
    let m = mdc.unwrap_or(&empty);
    let mut lines = message.split('\n');
    let first = lines.next().unwrap_or("");
    let mut out = format!(
        "{date} {thread} {level} {} {} {} {} {} [{}] {first}\n",
        m.username,
        m.request_id,
        m.asession_id,
        m.ip,
        m.url,
        abbreviate(category)
    );
    for l in lines {
        out.push_str("    ");
        out.push_str(l);
        out.push('\n');
    }
    for l in throwable {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The file writer: whole entries per `write` on an append-mode file (a follower never sees
/// half a line), rotation by size after the write that crosses the limit (as log4j does).
pub struct LogFile {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    backups: u32,
    mode: RotationMode,
}

impl LogFile {
    /// Opens (creates) the log for appending; `max_bytes` 0 = never rotate.
    pub fn open(path: &Path, max_bytes: u64, backups: u32, mode: RotationMode) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            size,
            max_bytes,
            backups,
            mode,
        })
    }

    /// The live file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one whole entry, then rotates if the size crossed the limit.
    pub fn write_entry(&mut self, entry: &str) -> io::Result<()> {
        self.file.write_all(entry.as_bytes())?;
        self.file.flush()?;
        self.size += entry.len() as u64;
        if self.max_bytes > 0 && self.size >= self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    fn backup(&self, n: u32) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    }

    /// Rotates now: backups shift up one (`.1` becomes `.2` ...) and the oldest goes; with no
    /// backups the log starts over.
    pub fn rotate(&mut self) -> io::Result<()> {
        if self.backups > 0 {
            let oldest = self.backup(self.backups);
            if oldest.exists() {
                std::fs::remove_file(&oldest)?;
            }
            for i in (1..self.backups).rev() {
                let from = self.backup(i);
                if from.exists() {
                    std::fs::rename(&from, self.backup(i + 1))?;
                }
            }
        }
        match self.mode {
            RotationMode::Rename => {
                if self.backups > 0 {
                    std::fs::rename(&self.path, self.backup(1))?;
                    self.file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&self.path)?;
                } else {
                    // log4j with MaxBackupIndex=0 keeps no backup: the log starts over.
                    self.file.set_len(0)?;
                }
            }
            RotationMode::CopyTruncate => {
                if self.backups > 0 {
                    std::fs::copy(&self.path, self.backup(1))?;
                }
                self.file.set_len(0)?;
            }
        }
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviates_like_the_kb() {
        assert_eq!(
            abbreviate("com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter"),
            "c.a.p.web.filter.TokenBasedAuthenticationFilter"
        );
        assert_eq!(
            abbreviate("com.atlassian.pats.service.DefaultTokenAuthenticationService"),
            "c.a.pats.service.DefaultTokenAuthenticationService"
        );
        assert_eq!(
            abbreviate("com.atlassian.jira.config.database.SystemDatabaseConfigurationLoader"),
            "c.a.j.config.database.SystemDatabaseConfigurationLoader"
        );
        assert_eq!(abbreviate("webwork.Foo"), "webwork.Foo");
    }

    #[test]
    fn inheritance_follows_dotted_prefixes_not_string_prefixes() {
        let mut t = LevelTable::stock();
        assert_eq!(t.effective("com.atlassian.pats.service.X"), Level::Warn);
        assert_eq!(t.effective("org.example"), Level::Warn);
        t.set("com.atlassian.pats", Level::Trace);
        assert_eq!(t.effective("com.atlassian.pats.service.X"), Level::Trace);
        assert_eq!(t.effective("com.atlassian.patsy"), Level::Warn);
        t.set("root", Level::Error);
        assert_eq!(t.effective("org.example"), Level::Error);
    }

    #[test]
    fn empty_mdc_gives_runs_of_spaces() {
        let e = format_entry(
            "2020-07-28 16:34:37,723",
            "Jira-Bootstrap",
            Level::Info,
            None,
            "com.atlassian.jira.startup.JiraStartupLogger",
            "Running Jira startup checks.",
            &[],
        );
        assert_eq!(
            e,
            "2020-07-28 16:34:37,723 Jira-Bootstrap INFO      [c.a.jira.startup.JiraStartupLogger] Running Jira startup checks.\n"
        );
    }

    #[test]
    fn dates_with_and_without_offset() {
        let t: Timestamp = "2022-10-11T15:04:09.202Z".parse().unwrap();
        let utc = DateStyle {
            offset_minutes: 0,
            with_offset: true,
        };
        assert_eq!(utc.format(t), "2022-10-11 15:04:09,202+0000");
        let plus2 = DateStyle {
            offset_minutes: 120,
            with_offset: true,
        };
        assert_eq!(plus2.format(t), "2022-10-11 17:04:09,202+0200");
        let old = DateStyle {
            offset_minutes: -330,
            with_offset: false,
        };
        assert_eq!(old.format(t), "2022-10-11 09:34:09,202");
    }
}
