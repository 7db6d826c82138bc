//! The `AccessLogValve` pattern: compiled once, then used to split lines on bytes.

/// A pattern jira-patrol cannot read lines by.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("access-log pattern: unknown code '{0}'")]
    UnknownCode(String),
}

/// A compiled `AccessLogValve` pattern.
#[derive(Debug, Clone)]
pub struct Pattern {}
