//! Tomcat's HTTP access log (`<install>/logs/access_log.<yyyy-MM-dd>`, jira-facts §7): its
//! `AccessLogValve` pattern ([`pattern`]), its daily files ([`files`]), and the join of PAT
//! requests to their access-log lines by node, request id and time ([`join`]).

pub mod files;
pub mod join;
pub mod pattern;
pub mod reading;
pub mod serverxml;

pub use pattern::{Pattern, PatternError};
pub use serverxml::{AccessLogConfig, ServerXmlError};

/// The unit of `%D`: milliseconds up to Tomcat 9 (Jira up to 10), microseconds from
/// Tomcat 10.1 (Jira 11).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    /// Milliseconds (Tomcat 8.5/9, Jira up to 10)
    Ms,
    /// Microseconds (Tomcat 10.1+, Jira 11)
    Us,
}

impl DurationUnit {
    /// The unit spelled out for messages (`milliseconds`, `microseconds`).
    pub fn name(self) -> &'static str {
        match self {
            DurationUnit::Ms => "milliseconds",
            DurationUnit::Us => "microseconds",
        }
    }
}

/// One access-log line; text fields borrow from the line. A field the pattern lacks, or
/// logged as `-`, is `None` (`%b`'s `-` is `Some(0)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `%t`: when the request was received, milliseconds since the epoch (UTC).
    pub time_ms: i64,
    /// `%{jira.request.id}r`, the MDC request id of `atlassian-jira.log`.
    pub request_id: Option<&'a [u8]>,
    /// `%s`.
    pub status: Option<u16>,
    /// `%b` or `%B`.
    pub bytes: Option<u64>,
    /// `%D` (in the unit given to the parser) or `%T`, in microseconds.
    pub duration_us: Option<u64>,
    /// `%{User-Agent}i`.
    pub user_agent: Option<&'a [u8]>,
    /// `%m`, or from `%r`.
    pub method: Option<&'a [u8]>,
    /// `%U` (without the query), or from `%r`.
    pub path: Option<&'a [u8]>,
    /// `%a` or `%h`.
    pub remote: Option<&'a [u8]>,
    /// `%{jira.request.username}r` or `%u`.
    pub username: Option<&'a [u8]>,
}

/// The join's outcome on stderr: the counts, and one warning when lines do not fit
/// (`quote`: what [`join::Joiner::first_unparsed`] says of the first).
pub fn say_join(s: &crate::summary::AccessLogReport, quote: Option<&str>) {
    eprintln!("{}", join_line(s));
    if s.unparsed_lines > 0 {
        eprintln!(
            "warning: {} of {} access-log line(s) do not fit the pattern{}; is it the pattern of this log? (--access-log-pattern, or --jira-install to read server.xml)",
            s.unparsed_lines,
            s.lines,
            quote.unwrap_or_default()
        );
    }
}

/// `access log: 120 of 124 PAT requests joined; 4 not found (3 outside the access logs' time)`.
pub fn join_line(s: &crate::summary::AccessLogReport) -> String {
    let total = s.joined + s.unjoined;
    let mut line = format!(
        "access log: {} of {total} PAT request(s) joined to their access-log line",
        s.joined
    );
    if s.unjoined > 0 {
        line.push_str(&format!("; {} not found", s.unjoined));
        if s.outside_access_log > 0 {
            line.push_str(&format!(
                " ({} outside the time the access logs cover)",
                s.outside_access_log
            ));
        }
    }
    line
}
