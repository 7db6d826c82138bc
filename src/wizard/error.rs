//! What can stop the wizard, typed: callers (the `setup` command) branch on a cancel, and
//! every other kind carries the cause that says what happened and what to do.

use std::path::PathBuf;

/// Why setup stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    /// The person cancelled (Ctrl-C or Esc at the first step); what was applied is listed.
    #[error("cancelled")]
    Cancelled,
    /// An answer that cannot be used, or one that is missing, with the fix.
    #[error("{0}")]
    Answer(String),
    /// The saved setup file cannot be read or used (the message names file and field).
    #[error("{0}")]
    Setup(String),
    /// A file that could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What the file is, e.g. "cannot read the token file".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Jira's check failed: the first line of the cause, then the advice for it.
    #[error("{0}")]
    Check(String),
    /// The log4j file could not be written; it was left as it was.
    #[error("{} left unchanged: {source}", path.display())]
    Unchanged {
        /// The log4j file.
        path: PathBuf,
        /// Why writing failed.
        source: crate::log4j::Log4jError,
    },
    /// Talking to Jira failed.
    #[error(transparent)]
    Jira(#[from] crate::jira::JiraError),
    /// Reading or writing the log4j configuration failed.
    #[error(transparent)]
    Log4j(#[from] crate::log4j::Log4jError),
    /// The chosen profile cannot be loaded.
    #[error(transparent)]
    Profile(#[from] crate::profiles::ProfileError),
    /// The level journal cannot be read or written.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// The capture the wizard started ended as the capture command would.
    #[error(transparent)]
    Capture(#[from] crate::capture::run::RunError),
    /// The capture plan built from the answers is refused.
    #[error(transparent)]
    Plan(#[from] crate::capture::plan::PlanError),
}

impl From<super::ui::Cancelled> for WizardError {
    fn from(_: super::ui::Cancelled) -> Self {
        WizardError::Cancelled
    }
}

impl From<crate::duration::DurationError> for WizardError {
    fn from(e: crate::duration::DurationError) -> Self {
        WizardError::Answer(e.to_string())
    }
}

/// The wizard's result type.
pub type Result<T, E = WizardError> = std::result::Result<T, E>;
