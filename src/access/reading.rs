//! How an access log is to be read, decided once and said once: the pattern (given, from
//! the install's `server.xml`, or Jira's stock one) and the unit of `%D` (given, from the
//! Jira or Tomcat version, or assumed), each with where it came from.

use super::{DurationUnit, Pattern, PatternError};
use std::path::{Path, PathBuf};

/// The decisions, with their reasons for the report and the one-line notice.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The pattern lines are split by.
    pub pattern: Pattern,
    /// `stock`, `--access-log-pattern`, or the server.xml path.
    pub pattern_source: String,
    /// The unit `%D` is read in.
    pub unit: DurationUnit,
    /// Why that unit, for the report and notice: `--access-log-duration`, `Jira 10.3.1, from
    /// serverInfo`, `Tomcat 9.0.x, from <install>`, or the assumption and how to override it.
    pub unit_source: String,
    /// Where the install says its access logs are (`<install>/logs` on a stock Jira),
    /// and their file-name prefix.
    pub directory: Option<PathBuf>,
    /// File-name prefix of the daily files: the valve's `prefix`, else `access_log`.
    pub prefix: String,
    /// Why the install's pattern was not used (its server.xml could not be read).
    pub note: Option<String>,
    /// When `directory` comes from the install's `server.xml`: the install, which every
    /// access-log file must stay inside, and the file that named the directory.
    pub within: Option<(PathBuf, String)>,
}

/// What can stop a join before any line is read.
#[derive(Debug, thiserror::Error)]
pub enum ReadingError {
    /// The pattern is not one the reader understands.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// The pattern (named by its source) has no `%{jira.request.id}r` to join by.
    #[error("the access-log pattern ({0}) has no %{{jira.request.id}}r: its lines cannot be joined to PAT requests. Add it to the AccessLogValve pattern in conf/server.xml (Jira's stock pattern has it)")]
    NoRequestId(String),
    /// `server.xml` names an access-log directory outside the install.
    #[error(transparent)]
    Outside(#[from] crate::inputfile::FileError),
    /// The pattern (named by its source) has no `%t` to tell days apart.
    #[error("the access-log pattern ({0}) has no %t: without the request time a line cannot be told from one of another day with the same request id")]
    NoTime(String),
}

use super::files::DEFAULT_PREFIX;
use super::serverxml::{unit_for_jira, unit_for_tomcat};

/// Decide the unit of `%D`: the option, else the connected Jira's version, else the
/// install's Tomcat version, else the install's Jira version, else milliseconds, assumed
/// and said.
pub fn choose_unit(
    given: Option<DurationUnit>,
    connected_jira: Option<&str>,
    install: Option<&Path>,
) -> (DurationUnit, String) {
    if let Some(u) = given {
        return (u, "--access-log-duration".into());
    }
    if let Some(v) = connected_jira {
        if let Some(u) = unit_for_jira(v) {
            return (u, format!("Jira {v}, from serverInfo"));
        }
    }
    if let Some(dir) = install {
        if let Some(v) = super::serverxml::tomcat_version(dir) {
            if let Some(u) = unit_for_tomcat(&v) {
                return (u, format!("Tomcat {v}, from {}", dir.display()));
            }
        }
        if let Some(v) = super::serverxml::jira_version(dir) {
            if let Some(u) = unit_for_jira(&v) {
                return (u, format!("Jira {v}, from {}", dir.display()));
            }
        }
    }
    (
        DurationUnit::Ms,
        "assumed: the Jira version is unknown; Jira 11 logs microseconds, give --access-log-duration us"
            .into(),
    )
}

/// Decide the pattern (the option, else the install's server.xml, else Jira's stock
/// one), the unit of `%D` (see [`choose_unit`]) and where the install keeps its access
/// logs. An install whose server.xml cannot be read still gives its version and its
/// `logs/` directory; the stock pattern is then used, and [`Reading::note`] says why.
pub fn decide(
    pattern: Option<&str>,
    given_unit: Option<DurationUnit>,
    connected_jira: Option<&str>,
    install: Option<&Path>,
) -> Result<Reading, ReadingError> {
    let (unit, unit_source) = choose_unit(given_unit, connected_jira, install);
    let valve = install.map(|dir| (dir, super::serverxml::read(dir)));
    let mut note = None;
    let (pattern, pattern_source) = match (pattern, &valve) {
        (Some(p), _) => (Pattern::parse(p)?, "--access-log-pattern".to_string()),
        (None, Some((dir, Ok(cfg)))) => (
            Pattern::parse(&cfg.pattern)?,
            dir.join("conf/server.xml").display().to_string(),
        ),
        (None, Some((_, Err(e)))) => {
            note = Some(format!(
                "{e}; reading the access log with Jira's stock pattern"
            ));
            (Pattern::stock(), "stock".to_string())
        }
        (None, None) => (Pattern::stock(), "stock".to_string()),
    };
    let (directory, prefix) = match &valve {
        Some((_, Ok(cfg))) => (Some(cfg.directory.clone()), cfg.prefix.clone()),
        Some((dir, Err(_))) => (Some(dir.join("logs")), DEFAULT_PREFIX.to_string()),
        None => (None, DEFAULT_PREFIX.to_string()),
    };
    // The install is often writable by Jira's service account, and whoever runs this is
    // often root: a valve saying `directory="/etc" prefix="shadow"` must not make us read
    // (and quote) /etc/shadow. The directory, and later each file in it, stays inside.
    let within = match (&valve, &directory) {
        (Some((dir, Ok(_))), Some(logs)) => {
            let asked_by = format!(
                "{} (AccessLogValve directory)",
                dir.join("conf/server.xml").display()
            );
            match crate::inputfile::confine(logs, dir, &asked_by, super::files::OUTSIDE_HINT) {
                // Not there: said where the files are looked for.
                Err(e) if !e.is_missing() => return Err(e.into()),
                _ => Some((dir.to_path_buf(), asked_by)),
            }
        }
        _ => None,
    };
    if !pattern.has_request_id() {
        return Err(ReadingError::NoRequestId(pattern_source));
    }
    if !pattern.has_time() {
        return Err(ReadingError::NoTime(pattern_source));
    }
    Ok(Reading {
        pattern,
        pattern_source,
        unit,
        unit_source,
        directory,
        prefix,
        note,
        within,
    })
}

impl Reading {
    /// The one line that says how the access log is read.
    pub fn notice(&self) -> String {
        let pattern = if self.pattern_source == "stock" {
            "Jira's stock AccessLogValve pattern".to_string()
        } else {
            format!("the pattern from {}", self.pattern_source)
        };
        format!(
            "access log: read with {pattern}; %D taken as {} ({})",
            self.unit.name(),
            self.unit_source
        )
    }
}

impl Reading {
    /// The report's `access_log` section from the joiners' counts.
    pub fn report(
        &self,
        files: Vec<String>,
        stats: impl IntoIterator<Item = super::join::JoinStats>,
    ) -> super::AccessLogReport {
        let mut s = super::AccessLogReport {
            files,
            pattern: self.pattern.text().to_string(),
            pattern_source: self.pattern_source.clone(),
            duration_unit: self.unit,
            duration_unit_source: self.unit_source.clone(),
            joined: 0,
            unjoined: 0,
            outside_access_log: 0,
            lines: 0,
            unparsed_lines: 0,
        };
        for st in stats {
            s.joined += st.joined;
            s.unjoined += st.unjoined;
            s.outside_access_log += st.outside;
            s.lines += st.lines;
            s.unparsed_lines += st.unparsed;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_versions() {
        assert_eq!(unit_for_jira("9.12.2"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_jira("10.3.1"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_jira("11.0.0"), Some(DurationUnit::Us));
        assert_eq!(unit_for_jira("x"), None);
        assert_eq!(unit_for_tomcat("9.0.75"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_tomcat("10.0.27"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_tomcat("10.1.18"), Some(DurationUnit::Us));
        let (u, why) = choose_unit(None, None, None);
        assert_eq!(u, DurationUnit::Ms);
        assert!(why.contains("assumed"), "{why}");
        let (u, _) = choose_unit(Some(DurationUnit::Us), Some("9.12.2"), None);
        assert_eq!(u, DurationUnit::Us, "the option wins");
    }

    #[test]
    fn an_install_without_a_readable_server_xml_still_gives_its_logs_and_version() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("RELEASE-NOTES"),
            "Apache Tomcat Version 10.1.28\n",
        )
        .unwrap();
        let r = decide(None, None, None, Some(dir.path())).unwrap();
        assert_eq!(r.pattern_source, "stock");
        assert!(
            r.note.as_deref().unwrap().contains("stock pattern"),
            "{:?}",
            r.note
        );
        assert_eq!(r.directory, Some(dir.path().join("logs")));
        assert_eq!(r.unit, DurationUnit::Us, "the version is read all the same");
        // A given pattern does not make the install's directory and version unknown.
        let r = decide(
            Some(super::super::pattern::STOCK),
            None,
            None,
            Some(dir.path()),
        )
        .unwrap();
        assert_eq!(r.pattern_source, "--access-log-pattern");
        assert!(r.note.is_none());
        assert_eq!(r.directory, Some(dir.path().join("logs")));
        assert_eq!(r.unit, DurationUnit::Us);
    }
}
