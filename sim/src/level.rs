//! log4j level names as the simulated Jira's logging page knows them. The simulator keeps
//! its own type: like Jira, it turns a level name it does not know into DEBUG (jira-facts
//! §3), which the tool's own validated type would never let through.

use std::fmt;

/// A log4j level, from the most verbose (`Trace`) to `Off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Everything.
    Trace,
    /// Debug and above.
    Debug,
    /// Info and above.
    Info,
    /// Warnings and above.
    Warn,
    /// Errors and above.
    Error,
    /// Fatal errors only.
    Fatal,
    /// Nothing.
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

    /// The upper-case name the page shows (`TRACE`).
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

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("unknown log level '{s}'"))
    }
}
