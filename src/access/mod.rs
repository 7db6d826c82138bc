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

/// How the access-log join went.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct AccessLogReport {
    /// Access-log files read, in the order read.
    pub files: Vec<String>,
    /// The AccessLogValve pattern lines were read by.
    pub pattern: String,
    /// Where it came from: `stock`, `--access-log-pattern`, or the server.xml path.
    pub pattern_source: String,
    /// Unit of `%D` used to read durations.
    pub duration_unit: DurationUnit,
    /// Why that unit: the option, the Jira or Tomcat version, or an assumption.
    pub duration_unit_source: String,
    /// PAT requests that found their access-log line.
    pub joined: u64,
    /// PAT requests that did not.
    pub unjoined: u64,
    /// Of the unjoined, those outside the time the access logs cover.
    pub outside_access_log: u64,
    /// Access-log lines read.
    pub lines: u64,
    /// Access-log lines that do not fit the pattern.
    pub unparsed_lines: u64,
}
