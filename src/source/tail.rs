//! One live follower whatever the source: a local file (`source::follow`), a log on
//! another host ([`super::remote`]) or a command's output ([`super::exec`]). A capture
//! polls each node's [`Tail`] in turn; the remote and command ones work on threads of
//! their own, so this never waits on a network. Gaps (what could not be read) come with
//! the times of the lines around them ([`LineClock`]).

use super::exec::ExecTail;
use super::follow::{Event, FileSet, Follower};
use super::remote::{Msg, RemoteError, RemoteTail, Snapshot, Via};
use super::ssh::Ssh;
use super::{Location, LogSource};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Why a source could not be followed (said before anything changes on Jira).
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// A local file.
    #[error("{path}: cannot follow it: {source}")]
    Local {
        /// The log.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A local log whose directory does not exist.
    #[error("{0}: its directory does not exist: give the path of atlassian-jira.log (JIRA_HOME/log/atlassian-jira.log)")]
    NoLogDir(PathBuf),
    /// A remote log.
    #[error("{label}: {source}")]
    Remote {
        /// The source as given.
        label: String,
        /// What failed.
        source: RemoteError,
    },
    /// A command that cannot be started.
    #[error("{label}: cannot run the command: {source}")]
    Exec {
        /// The source as given.
        label: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// What a poll hands over besides bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happened {
    /// Bytes were skipped that can no longer be read (why).
    Gap(String),
    /// Worth a line for the person.
    Note(String),
}

enum Kind {
    Local(Follower),
    Remote(RemoteTail),
    Exec(ExecTail),
}

/// A node's log followed live from its current end (a command's output from its start).
pub struct Tail {
    kind: Kind,
    /// Bytes handed over since following began.
    pub bytes: u64,
}

/// Connections to hosts: made on the first `ssh://` source, shared by all of them.
#[derive(Default, Clone)]
pub struct Transports {
    ssh: Option<Ssh>,
}

impl Transports {
    /// No connection yet.
    pub fn new() -> Transports {
        Transports::default()
    }

    /// The ssh client (its control directory made on first use).
    pub fn ssh(&mut self) -> Result<Ssh, super::ssh::SshError> {
        if let Some(s) = &self.ssh {
            return Ok(s.clone());
        }
        let s = Ssh::from_env()?;
        self.ssh = Some(s.clone());
        Ok(s)
    }

    /// End every connection (also on drop of the last clone).
    pub fn close(&self) {
        if let Some(s) = &self.ssh {
            s.close();
        }
    }

    /// The live ssh master connections' process ids (see [`Ssh::master_pids`]).
    pub fn master_pids(&self) -> Vec<u32> {
        self.ssh.as_ref().map(Ssh::master_pids).unwrap_or_default()
    }
}

impl Tail {
    /// Start following `src`: a local file from its end (or from its start once it
    /// appears), a remote one likewise (connecting now), a command from its first byte.
    pub fn start(
        src: &LogSource,
        net: &mut Transports,
        every: Duration,
    ) -> Result<Tail, TailError> {
        let kind = match &src.at {
            Location::Local(p) => {
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                if !dir.is_dir() {
                    return Err(TailError::NoLogDir(p.clone()));
                }
                Kind::Local(Follower::new(p).map_err(|source| TailError::Local {
                    path: p.clone(),
                    source,
                })?)
            }
            Location::Ssh(t) => {
                let label = src.label();
                let ssh = net.ssh().map_err(|e| TailError::Remote {
                    label: label.clone(),
                    source: e.into(),
                })?;
                Kind::Remote(
                    RemoteTail::start(Via::Ssh(ssh, t.clone()), label.clone(), every)
                        .map_err(|source| TailError::Remote { label, source })?,
                )
            }
            Location::Exec(c) => {
                Kind::Exec(
                    ExecTail::start(c, src.label()).map_err(|source| TailError::Exec {
                        label: src.label(),
                        source,
                    })?,
                )
            }
        };
        Ok(Tail { kind, bytes: 0 })
    }

    /// Whether the log exists now (`false` until it appears).
    pub fn exists(&self) -> bool {
        match &self.kind {
            Kind::Local(f) => f.exists(),
            Kind::Remote(r) => r.exists(),
            Kind::Exec(_) => true,
        }
    }

    /// Whether reading starts at the first byte the source prints (a command's output),
    /// not at the end of what exists now: the caller leaves out what predates it.
    pub fn reads_from_start(&self) -> bool {
        matches!(self.kind, Kind::Exec(_))
    }

    /// Hand over what arrived since the last poll.
    pub fn poll(
        &mut self,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8], Event),
        said: &mut dyn FnMut(Happened),
    ) -> std::io::Result<()> {
        let bytes = &mut self.bytes;
        let mut msg = |m: Msg| handle(m, bytes, sink, said);
        match &mut self.kind {
            Kind::Local(f) => {
                let before = f.bytes;
                let r = f.poll(buf, sink);
                *bytes += f.bytes - before;
                r
            }
            Kind::Remote(r) => {
                r.poll(&mut msg);
                Ok(())
            }
            Kind::Exec(e) => {
                e.poll(&mut msg);
                Ok(())
            }
        }
    }

    /// The last poll of a capture: a remote follower reads up to what the node has now,
    /// a command's output is read until it goes quiet (waiting up to `limit` for either).
    pub fn finish(
        &mut self,
        buf: &mut [u8],
        limit: Duration,
        sink: &mut dyn FnMut(&[u8], Event),
        said: &mut dyn FnMut(Happened),
    ) -> std::io::Result<()> {
        let bytes = &mut self.bytes;
        match &mut self.kind {
            Kind::Remote(r) => r.flush(limit, &mut |m| handle(m, bytes, sink, said)),
            Kind::Exec(e) => e.finish(limit, &mut |m| handle(m, bytes, sink, said)),
            Kind::Local(_) => return self.poll(buf, sink, said),
        }
        Ok(())
    }

    /// The rotated set as the rotation guard sees it; `None` for a command's output,
    /// whose files cannot be seen.
    pub fn files(&self, src: &LogSource) -> Option<Box<dyn FileSet>> {
        match (&self.kind, &src.at) {
            (Kind::Local(_), Location::Local(p)) => {
                Some(Box::new(super::follow::LocalSet(p.clone())))
            }
            (Kind::Remote(r), Location::Ssh(t)) => Some(Box::new(RemoteSet {
                name: t.to_string(),
                snapshot: r.snapshot(),
            })),
            _ => None,
        }
    }
}

fn handle(
    m: Msg,
    bytes: &mut u64,
    sink: &mut dyn FnMut(&[u8], Event),
    said: &mut dyn FnMut(Happened),
) {
    match m {
        Msg::Data(d) => {
            *bytes += d.len() as u64;
            sink(&d, Event::Data);
        }
        Msg::EndOfFile => sink(&[], Event::EndOfFile),
        Msg::Gap(why) => said(Happened::Gap(why)),
        Msg::Note(n) => said(Happened::Note(n)),
    }
}

/// A remote set as its follower last listed it.
struct RemoteSet {
    name: String,
    snapshot: Arc<Mutex<Snapshot>>,
}

impl RemoteSet {
    fn get<T>(&self, k: u32, f: impl Fn(&(u64, i64, Vec<u8>)) -> T) -> Option<T> {
        let s = self.snapshot.lock().ok()?;
        s.files.get(k as usize)?.as_ref().map(f)
    }
}

impl FileSet for RemoteSet {
    fn name(&self, k: u32) -> PathBuf {
        if k == 0 {
            PathBuf::from(&self.name)
        } else {
            PathBuf::from(format!("{}.{k}", self.name))
        }
    }
    fn len(&self, k: u32) -> Option<u64> {
        self.get(k, |f| f.0)
    }
    fn modified(&self, k: u32) -> Option<SystemTime> {
        self.get(k, |f| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(f.1.max(0) as u64)
        })
    }
    fn head(&self, k: u32) -> Option<Vec<u8>> {
        self.get(k, |f| f.2.clone())
    }
}

/// The times around gaps: the date of the last line read before one, and of the first
/// line read after it, from the bytes as they pass (the last line start of each chunk,
/// and the first after a gap: nothing per line).
#[derive(Debug, Default)]
pub struct LineClock {
    last: Option<String>,
    /// The unfinished last line's first bytes.
    partial: Vec<u8>,
    /// Gaps whose first line after is awaited.
    waiting: bool,
}

/// A stretch of a node's log that was not read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gap {
    /// The date of the last line read before it (`2024-05-01 12:03:10,123`), if any.
    pub from: Option<String>,
    /// The date of the first line read after it; `None`: nothing was read after it.
    pub to: Option<String>,
    /// Why, in a few words.
    pub why: String,
}

fn date_at(line: &[u8]) -> Option<String> {
    let d = line.get(..23)?;
    crate::scan::time::starts_with_date(d).then(|| String::from_utf8_lossy(d).into_owned())
}

impl LineClock {
    /// Bytes as they are handed over.
    pub fn feed(&mut self, data: &[u8], gaps: &mut [Gap]) {
        if data.is_empty() {
            return;
        }
        // The line under way when this chunk began: its first bytes, completed from here.
        let mut cur = std::mem::take(&mut self.partial);
        let first_nl = memchr::memchr(b'\n', data);
        let fill = 23usize
            .saturating_sub(cur.len())
            .min(first_nl.unwrap_or(data.len()));
        cur.extend_from_slice(&data[..fill]);
        if self.waiting {
            let first = std::iter::once(date_at(&cur))
                .chain(memchr::memchr_iter(b'\n', data).map(|nl| date_at(&data[nl + 1..])));
            if let Some(d) = first.flatten().next() {
                for g in gaps.iter_mut().filter(|g| g.to.is_none()) {
                    g.to = Some(d.clone());
                }
                self.waiting = false;
            }
        }
        let mut last = None;
        for (n, nl) in memchr::memrchr_iter(b'\n', data).enumerate() {
            if n >= 16 {
                break;
            }
            if let Some(d) = date_at(&data[nl + 1..]) {
                last = Some(d);
                break;
            }
        }
        if let Some(d) = last.or_else(|| date_at(&cur)) {
            self.last = Some(d);
        }
        self.partial = match memchr::memrchr(b'\n', data) {
            Some(nl) => data[nl + 1..(nl + 1 + 23).min(data.len())].to_vec(),
            None => cur,
        };
    }

    /// A gap begins here.
    pub fn gap(&mut self, why: String) -> Gap {
        self.waiting = true;
        // A line cut by the gap is not the start of the next one.
        self.partial.clear();
        Gap {
            from: self.last.clone(),
            to: None,
            why,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_timed_by_the_lines_around_it_however_the_bytes_come() {
        let before = "2024-05-01 12:03:09,000 a\n2024-05-01 12:03:10,123 b\n\tat x\n";
        let after = "\tat y\n2024-05-01 12:03:14,456 c\n2024-05-01 12:03:15,000 d\n";
        for chunk in [1, 5, 24, 1000] {
            let mut c = LineClock::default();
            let mut gaps = Vec::new();
            for p in before.as_bytes().chunks(chunk) {
                c.feed(p, &mut gaps);
            }
            gaps.push(c.gap("dropped".into()));
            for p in after.as_bytes().chunks(chunk) {
                c.feed(p, &mut gaps);
            }
            assert_eq!(
                gaps[0].from.as_deref(),
                Some("2024-05-01 12:03:10,123"),
                "chunk {chunk}"
            );
            assert_eq!(
                gaps[0].to.as_deref(),
                Some("2024-05-01 12:03:14,456"),
                "chunk {chunk}"
            );
        }
    }
}
