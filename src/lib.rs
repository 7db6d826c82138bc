//! jira-patrol: find out which Jira personal access token (PAT) made which request.
//!
//! One module per concern; the binary (`main.rs`) only parses arguments and calls
//! [`cli::run`]. Library modules return typed errors where callers branch on
//! them; `commands` is the edge where they become one-line messages for a person.

#![warn(missing_docs)]

pub mod access; // Tomcat access log: pattern, files, join to PAT requests
pub mod capture; // timed capture windows: apply a profile, follow logs, always restore
pub mod cli; // every clap definition lives here or in the `commands` module that owns it
pub mod cluster; // which nodes Jira has, which of them the logs cover
pub mod commands; // the edge: one module per sub-command, anyhow with context
pub mod diagnose; // the redacted bundle `diagnose` writes for a Jira that differs
pub mod duration; // the one duration parser (jiff friendly format) and its bounds per use
pub mod format; // the output formats a person can ask for (--format, --dialect)
pub mod human; // the one formatter each for durations, byte sizes and times
pub mod inputfile; // regular files only, capped configuration reads, file identity, confined paths
pub mod inventory; // every token in Jira beside a report: matched to the seen ones, the rest listed
pub mod jira; // HTTP client for Jira's admin actions (logging page, websudo, XSRF)
pub mod journal; // crash-safe record of levels changed, replayed by `restore`
pub mod level; // log4j level names, validated (Jira turns unknown names into DEBUG)
pub mod log4j; // format-preserving editors for log4j.properties and log4j2.xml
pub mod output; // every rendering: tables, JSON, CSV, JSONL, SQL, HTML, status lines
pub mod paths; // XDG config/state locations and private (0600) file writes
pub mod profiles; // verbosity profiles (TOML): which loggers at which level
pub mod scan; // streaming byte-level log scanner and PAT request correlator
pub mod secret; // a string type that never shows its value
pub mod source; // where a node's logs live: local, ssh://, exec:; followed and read
pub mod summary; // per-token aggregation of correlated requests
pub mod token; // what can be computed offline from a PAT (its token id)
pub mod untrusted; // text someone else wrote: shown only through its destination's escaping
pub mod warn; // short escaped excerpts of what did not fit, repeated warnings counted
pub mod wizard; // guided interactive setup
