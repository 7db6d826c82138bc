//! log4j level names. Jira's logging page silently turns an unknown level name into
//! DEBUG (jira-facts §3), so every level is validated here before it is sent or written.

use std::fmt;
use std::str::FromStr;

/// A log4j level, ordered from the most verbose (`Trace`) to `Off`; parsed case-insensitively
/// from the names Jira's logging page accepts, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Everything, the PAT plugin's per-request lines included.
    Trace,
    /// Debug messages and above.
    Debug,
    /// Informational messages and above.
    Info,
    /// Warnings and above: Jira's stock level for `com.atlassian`.
    Warn,
    /// Errors and above.
    Error,
    /// Fatal errors only.
    Fatal,
    /// Nothing at all.
    Off,
}

impl Level {
    /// Every level, most verbose first.
    pub const ALL: [Level; 7] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
        Level::Off,
    ];

    /// The upper-case name Jira's logging page and log4j files use (`TRACE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
            Level::Off => "OFF",
        }
    }

    /// True when a logger at `self` lets a message of `msg` through.
    pub fn enables(self, msg: Level) -> bool {
        self != Level::Off && msg >= self
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A level name that is none of log4j's (kept as given, for the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log level '{0}': use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownLevel(s.to_string()))
    }
}

impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_rejects_unknown_names() {
        assert_eq!("trace".parse::<Level>(), Ok(Level::Trace));
        assert_eq!(" Warn ".parse::<Level>(), Ok(Level::Warn));
        let err = "VERBOSE".parse::<Level>().unwrap_err();
        assert!(err.to_string().contains("VERBOSE"));
        assert!("ALL".parse::<Level>().is_err());
    }

    #[test]
    fn enables_follows_log4j_ordering() {
        assert!(Level::Trace.enables(Level::Debug));
        assert!(!Level::Debug.enables(Level::Trace));
        assert!(!Level::Off.enables(Level::Fatal));
    }
}
