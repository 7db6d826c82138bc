//! Where a node's logs live, and how they are read: a path on this machine, a path on
//! another host reached through the system's OpenSSH client (`ssh://[user@]host[:port]/path`),
//! or a command that prints the file and keeps following it (`exec:COMMAND`, e.g.
//! `kubectl exec … -- tail -F -n +1 …`). Each may name the Data Center node it belongs to
//! (`node2=ssh://…`); an unnamed source is tied to its node by the self-check.
//!
//! - [`ssh`]: the OpenSSH transport (one multiplexed connection per host, closed at the end);
//! - [`remote`]: following a log on another host through rotation, resuming after a drop;
//! - [`exec`]: following the output of a command;
//! - [`tail`]: one live follower whatever the source, as a capture polls it;
//! - [`offline`]: reading a whole remote set for `summarize`, filtered on the node.

pub mod exec;
pub mod follow;
pub mod offline;
pub mod remote;
pub mod ssh;
pub mod tail;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A path on another host, as `ssh://[user@]host[:port]/path` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshPath {
    /// The login name (`ssh -l`); `None`: the user's ssh configuration decides.
    pub user: Option<String>,
    /// A host name, an address or an alias of the user's `~/.ssh/config`.
    pub host: String,
    /// `None`: the ssh configuration's (22 by default).
    pub port: Option<u16>,
    /// Absolute, or relative to the login directory (`ssh://host/~/logs/x`).
    pub path: String,
}

impl SshPath {
    /// `[user@]host`, as ssh takes it.
    pub fn destination(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The same host, another path.
    pub fn with_path(&self, path: String) -> SshPath {
        SshPath {
            path,
            ..self.clone()
        }
    }
}

impl fmt::Display for SshPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if self.path.starts_with('/') {
            f.write_str(&self.path)
        } else {
            write!(f, "/~/{}", self.path)
        }
    }
}

/// How a log is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A path this machine can open.
    Local(PathBuf),
    /// A path on another host, read through OpenSSH.
    Ssh(SshPath),
    /// A command (run by `sh -c`) that prints the log and keeps following it.
    Exec(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::Ssh(s) => write!(f, "{s}"),
            Location::Exec(c) => write!(f, "exec:{c}"),
        }
    }
}

/// One node's log: where it is, and the node it belongs to when the user said so.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// The Data Center node id (`node2=…`); `None`: found out by the self-check.
    pub node: Option<String>,
    /// Where the log is.
    pub at: Location,
}

impl LogSource {
    /// A local file, not tied to a node.
    pub fn local(p: impl Into<PathBuf>) -> LogSource {
        LogSource {
            node: None,
            at: Location::Local(p.into()),
        }
    }

    /// The local path, when the source is one.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        match &self.at {
            Location::Local(p) => Some(p),
            _ => None,
        }
    }

    /// What to call it in messages: the location, after the node when one is given.
    pub fn label(&self) -> String {
        match &self.node {
            Some(n) => format!("{n} ({})", self.at),
            None => self.at.to_string(),
        }
    }
}

impl From<PathBuf> for LogSource {
    fn from(p: PathBuf) -> LogSource {
        LogSource::local(p)
    }
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.node {
            write!(f, "{n}=")?;
        }
        write!(f, "{}", self.at)
    }
}

/// Why a log source was not understood; each says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// An empty value.
    #[error("an empty log source: give a path, ssh://[user@]host[:port]/path or exec:COMMAND")]
    Empty,
    /// A `ssh://` URL that does not parse.
    #[error("'{0}': not an ssh URL: write ssh://[user@]host[:port]/path/to/atlassian-jira.log")]
    BadSsh(String),
    /// `exec:` without a command.
    #[error("exec: needs a command that prints the log, e.g. exec:kubectl exec -n jira jira-1 -- tail -F -n +1 /var/atlassian/application-data/jira/log/atlassian-jira.log")]
    EmptyExec,
    /// A path the line-based remote protocol cannot carry.
    #[error("'{0}': a path with a line break cannot be read over ssh: rename the file or give a link to it")]
    NewlineInPath(String),
}

/// A node id as Jira allows it in `cluster.properties` (`jira.node.id`): letters, digits,
/// `.`, `_`, `-`. A `name=` prefix of anything else is part of a path.
pub fn is_node_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl FromStr for LogSource {
    type Err = SourceError;

    /// `[NODE=]PATH`, `[NODE=]ssh://[user@]host[:port]/path`, `[NODE=]exec:COMMAND`. A local
    /// path whose first part holds `=` (`a=b/log`) is written `./a=b/log`.
    fn from_str(s: &str) -> Result<LogSource, SourceError> {
        let (node, rest) = match s.split_once('=') {
            Some((n, rest)) if is_node_id(n) && !rest.is_empty() => (Some(n.to_string()), rest),
            _ => (None, s),
        };
        if rest.is_empty() {
            return Err(SourceError::Empty);
        }
        let at = if let Some(cmd) = rest.strip_prefix("exec:") {
            if cmd.trim().is_empty() {
                return Err(SourceError::EmptyExec);
            }
            Location::Exec(cmd.to_string())
        } else if rest.starts_with("ssh://") {
            Location::Ssh(parse_ssh(rest)?)
        } else {
            Location::Local(PathBuf::from(rest))
        };
        Ok(LogSource { node, at })
    }
}

/// A path given as `ssh://…` (where a `PathBuf` is taken, e.g. `--access-log`): where it is
/// on its node; `None` for a local path.
pub fn ssh_path_of(p: &std::path::Path) -> Option<SshPath> {
    let s = p.to_str()?;
    s.starts_with("ssh://").then(|| parse_ssh(s).ok()).flatten()
}

/// `ssh://[user@]host[:port]/path`; `/~/x` is `x` in the login directory.
pub fn parse_ssh(s: &str) -> Result<SshPath, SourceError> {
    let bad = || SourceError::BadSsh(s.to_string());
    let u = url::Url::parse(s).map_err(|_| bad())?;
    if u.scheme() != "ssh" || u.password().is_some() || u.query().is_some() {
        return Err(bad());
    }
    let host = match u.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(h) => h.to_string(),
        None => return Err(bad()),
    };
    let path: String = percent_decode(u.path()).ok_or_else(bad)?;
    if path.is_empty() || path == "/" {
        return Err(bad());
    }
    let path = match path.strip_prefix("/~/") {
        Some(rel) if !rel.is_empty() => rel.to_string(),
        _ => path,
    };
    if path.contains('\n') || path.contains('\r') {
        return Err(SourceError::NewlineInPath(path));
    }
    let user = (!u.username().is_empty())
        .then(|| percent_decode(u.username()))
        .flatten();
    Ok(SshPath {
        user,
        host,
        port: u.port(),
        path,
    })
}

/// `%20` → space; `None` when the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_print_back() {
        for s in [
            "/var/atlassian/application-data/jira/log/atlassian-jira.log",
            "node2=/srv/node2/log/atlassian-jira.log",
            "ssh://jira@10.0.0.12:2222/var/atlassian/application-data/jira/log/atlassian-jira.log",
            "node1=ssh://node1.example.com/var/log/jira/atlassian-jira.log",
            "ssh://host/~/logs/atlassian-jira.log",
            "ssh://[::1]:22/x/atlassian-jira.log",
            "node3=exec:kubectl exec -n jira jira-1 -- tail -F -n +1 /l/atlassian-jira.log",
        ] {
            let p: LogSource = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
        let p: LogSource = "jira-node.2=ssh://u@h/a%20b/atlassian-jira.log"
            .parse()
            .unwrap();
        assert_eq!(p.node.as_deref(), Some("jira-node.2"));
        let Location::Ssh(s) = &p.at else { panic!() };
        assert_eq!(
            (s.user.as_deref(), s.host.as_str(), s.path.as_str()),
            (Some("u"), "h", "/a b/atlassian-jira.log")
        );
        assert_eq!(s.destination(), "u@h");
        let rel: LogSource = "ssh://h/~/l".parse().unwrap();
        assert!(matches!(&rel.at, Location::Ssh(s) if s.path == "l"));
        // `=` in a path is not a node.
        let p: LogSource = "/var/a=b/atlassian-jira.log".parse().unwrap();
        assert_eq!(p.node, None);
        let p: LogSource = "./a=b".parse().unwrap();
        assert_eq!(p.at, Location::Local("./a=b".into()));
        assert!(matches!(
            "ssh://".parse::<LogSource>(),
            Err(SourceError::BadSsh(_))
        ));
        assert!(matches!(
            "ssh://host".parse::<LogSource>(),
            Err(SourceError::BadSsh(_))
        ));
        assert!(matches!(
            "ssh://u:pw@host/x".parse::<LogSource>(),
            Err(SourceError::BadSsh(_))
        ));
        assert_eq!("exec: ".parse::<LogSource>(), Err(SourceError::EmptyExec));
        assert!(matches!(
            "ssh://h/a%0Ab".parse::<LogSource>(),
            Err(SourceError::NewlineInPath(_))
        ));
    }
}
