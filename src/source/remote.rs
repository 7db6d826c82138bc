//! Following a log on another host, through rename rotation and copytruncate, with the
//! guarantees of the local follower (`source::follow`): no line lost, none read twice —
//! and when the connection drops, resuming from the byte offset reached, or saying
//! exactly what could not be read.
//!
//! The design, and why:
//! - **Not `tail -F`.** It follows a name, not a file: on copytruncate it starts the file
//!   over and whatever was written between its last read and the cut is lost; after a
//!   rename it may miss the old file's last writes; and a restarted `tail -c +N` has no way
//!   to know whether byte N is still the byte it was. Its stream carries no offsets, so a
//!   dropped connection cannot be resumed exactly either.
//! - **Not the tool's own follower copied to the node.** It would need a binary for the
//!   node's platform, somewhere writable to put it, and an executable no admin asked for on
//!   a production host.
//! - **A small agent in POSIX `sh`**, run through the multiplexed ssh connection with the
//!   tools every Linux node has (`stat`, `head`, `tail`, `od`, `cksum`). It holds the file
//!   being read open (fd 3), so a rename keeps it, exactly as the local follower's handle
//!   does; it keeps **no state of its own**: every request carries the offset, and every
//!   answer carries the identities (device, inode), sizes and times of the live file and
//!   its backups (`.1`, `.2`, …), taken before and after each read. The decisions are all
//!   here, in Rust: a read is kept only when the file was not cut during it (size and the
//!   first bytes' checksum afterwards); a rename is seen as the live name's identity
//!   changing, and the rotated generations in between are read whole from their backups,
//!   each checked by identity before a byte is taken; a copytruncate is seen as the file
//!   shrinking or its first bytes changing, and its tail is read back from the copy,
//!   recognised by its first bytes.
//! - Because the state is here, a **dropped connection** (a killed ssh, a network cut, a
//!   node reboot of sshd) is resumed by a new agent from the same offset: the generation is
//!   found again by identity (still live, or rotated to `.k` meanwhile) and read on from
//!   there. Only when it was rotated out of the set (or cut with no copy) while nobody
//!   could read it are bytes gone; that is reported as a gap, never papered over.
//!
//! The same listings give the rotation guard the remote files' sizes and first bytes
//! ([`Snapshot`]), so it protects a remote node's older logs as it does local ones.

use super::ssh::{quote, Session, Ssh, SshError};
use super::SshPath;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The agent: one line of POSIX sh (so that any login shell passes it to `sh` unchanged:
/// no single quote, no `!`, no line break). The first input line is the log's path; then
/// one request per line:
/// - `O k` opens `.k` (0: the log) as fd 3: `O dev ino size mtime` and the first 256
///   bytes in hex, or `O - missing|unreadable|directory`;
/// - `P off cap hl m` lists the set (fd 3, the log, `.1`…`.m`; `.` ends it), then `D n`
///   and n bytes of fd 3 from `off` (at most `cap`), then when n > 0 the listing again
///   and `C crc len`, the POSIX cksum of fd 3's first `hl` bytes (hl > 0);
/// - `R k dev ino off cap` reads `.k` if it is that file: `D n` and the bytes, or `X`;
/// - `H k` the first bytes of `.k`: `F dev ino size mtime` and hex, or `F -`;
/// - `L m` the listing alone; `N` then a line: follow that path from now on (fd 3 closed);
///   `W` then a line `DIR/PREFIX`: the files whose names start so, one a line, then `.`;
///   `Q` ends.
///
/// A read that comes up short (the file was cut under it) is padded with zeros to the
/// announced length, so the framing holds; such a read is thrown away anyway, since the
/// listing after it shows the cut.
const AGENT: &str = r#"IFS= read -r p || exit 0;
set -f;
exec 2>/dev/null;
fd() { case $1 in 0) f=$p;; *) f=$p.$1;; esac; };
hx() { head -c 256 "$1" | od -An -v -tx1 | tr -d " \n"; echo; };
rd() { if [ "$2" -gt 0 ]; then { tail -c +$(($1+1)) "$3" | head -c "$2"; cat /dev/zero; } | head -c "$2"; fi; };
lst() { m=$1; k=1; set -- /dev/fd/3 "$p"; while [ "$k" -le "$m" ]; do set -- "$@" "$p.$k"; k=$((k+1)); done; stat -L -c "%d %i %s %Y %n" -- "$@"; echo .; };
while read -r c a b d e g; do
case $c in
P) s=$(lst "$e"); printf "%s\n" "$s"; set -- $s; n=0; if [ "$5" = /dev/fd/3 ]; then n=$(($3-a)); fi; if [ "$n" -gt "$b" ]; then n=$b; fi; if [ "$n" -lt 0 ]; then n=0; fi; echo "D $n"; if [ "$n" -gt 0 ]; then rd "$a" "$n" /dev/fd/3; lst "$e"; if [ "$d" -gt 0 ]; then echo "C $(head -c "$d" /dev/fd/3 | cksum)"; fi; fi;;
O) fd "$a"; exec 3<&-; if [ -d "$f" ]; then echo "O - directory"; elif command exec 3<"$f"; then echo "O $(stat -L -c "%d %i %s %Y" /dev/fd/3)"; hx /dev/fd/3; elif [ -e "$f" ]; then echo "O - unreadable"; else echo "O - missing"; fi;;
R) fd "$a"; exec 4<&-; if command exec 4<"$f"; then set -- $(stat -L -c "%d %i %s" /dev/fd/4); if [ "$1 $2" = "$b $d" ]; then n=$(($3-e)); if [ "$n" -gt "$g" ]; then n=$g; fi; if [ "$n" -lt 0 ]; then n=0; fi; echo "D $n"; rd "$e" "$n" /dev/fd/4; else echo X; fi; else echo X; fi;;
H) fd "$a"; exec 4<&-; if command exec 4<"$f"; then echo "F $(stat -L -c "%d %i %s %Y" /dev/fd/4)"; hx /dev/fd/4; else echo "F -"; fi;;
L) lst "$a";;
N) IFS= read -r p; exec 3<&-;;
W) IFS= read -r w; set +f; for x in "$w"*; do if [ -f "$x" ]; then printf "%s\n" "$x"; fi; done; set -f; echo .;;
Q) exit 0;;
*) echo "? $c";;
esac;
done"#;

/// The remote command line that runs the agent.
pub fn agent_command() -> String {
    let one_line: Vec<&str> = AGENT.lines().map(str::trim).collect();
    format!("exec sh -c {}", quote(&one_line.join(" ")))
}

/// Bytes asked for per read: bounds memory and keeps each answer quick.
const CHUNK: u64 = 1 << 20;
/// First bytes that recognise a file (as the local follower's).
const HEAD: usize = 256;
/// Most backups looked at.
const MAX_BACKUPS: u32 = 1000;

/// A file's identity: (device, inode).
pub type Id = (u64, u64);

/// One file of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// (device, inode).
    pub id: Id,
    /// Bytes.
    pub size: u64,
    /// Last modification, seconds since the epoch (the node's clock).
    pub mtime: i64,
}

/// The rotated set as the agent saw it: `files[k]` is `.k` (0: the log itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The file the agent holds open (fd 3), if any.
    pub open: Option<FileStat>,
    /// `.0` … `.m`; `None` where no such file is.
    pub files: Vec<Option<FileStat>>,
}

impl Listing {
    fn live(&self) -> Option<FileStat> {
        self.files.first().copied().flatten()
    }

    /// Where the file with this identity is (`k ≥ 1`: a backup).
    fn backup_of(&self, id: Id) -> Option<(u32, FileStat)> {
        self.files
            .iter()
            .enumerate()
            .skip(1)
            .find_map(|(k, f)| f.filter(|f| f.id == id).map(|f| (k as u32, f)))
    }

    /// Backups whose identity `before` did not have, oldest first: generations rotated
    /// since that listing.
    fn new_since(&self, before: &Listing) -> Vec<(u32, FileStat)> {
        let known: Vec<Id> = before.files.iter().flatten().map(|f| f.id).collect();
        let mut v: Vec<(u32, FileStat)> = self
            .files
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(k, f)| f.map(|f| (k as u32, f)))
            .filter(|(_, f)| !known.contains(&f.id) && Some(f.id) != before.open.map(|o| o.id))
            .collect();
        v.reverse();
        v
    }

    /// The highest `k` present.
    fn last(&self) -> u32 {
        self.files.iter().rposition(Option::is_some).unwrap_or(0) as u32
    }
}

/// POSIX `cksum`: CRC-32 (polynomial 0x04C11DB7, most significant bit first) over the
/// bytes, then over the length, complemented.
pub fn cksum(data: &[u8]) -> u32 {
    fn step(crc: u32, b: u8) -> u32 {
        let mut c = crc ^ (u32::from(b) << 24);
        for _ in 0..8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
        }
        c
    }
    let mut crc = data.iter().fold(0u32, |c, &b| step(c, b));
    let mut len = data.len() as u64;
    while len > 0 {
        crc = step(crc, (len & 0xff) as u8);
        len >>= 8;
    }
    !crc
}

/// How the agent is reached.
#[derive(Clone)]
pub enum Via {
    /// Through an ssh connection to the host of the path.
    Ssh(Ssh, SshPath),
    /// A local `sh` reading a local path: the same agent without a network (tests).
    LocalShell(String),
}

impl Via {
    fn path(&self) -> &str {
        match self {
            Via::Ssh(_, t) => &t.path,
            Via::LocalShell(p) => p,
        }
    }

    fn set_path(&mut self, path: String) {
        match self {
            Via::Ssh(_, t) => t.path = path,
            Via::LocalShell(p) => *p = path,
        }
    }
}

/// Tomcat's daily access logs: `DIR/PREFIX<date>`, one file a day, never renamed. The
/// follower reads the newest and moves on to the next day's when it appears (after
/// reading the old one to its end), as [`crate::access::files::DailyFollower`] does locally.
#[derive(Debug, Clone)]
struct Daily {
    /// `DIR/PREFIX`, what names start with.
    pattern: String,
    /// When to look for a newer file.
    next_look: Instant,
}

/// How often a daily set is listed for a newer file.
const DAILY_LOOK: Duration = Duration::from_secs(2);

/// Why following could not start (each says what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The connection itself.
    #[error(transparent)]
    Ssh(#[from] SshError),
    /// The log exists but the ssh user may not read it.
    #[error("{user} cannot read {path} on {host}: add {user} to the group that owns the log (often `jira`), or follow a copy it can read")]
    Unreadable {
        /// Who we log in as (`the ssh user` when the configuration decides).
        user: String,
        /// The host.
        host: String,
        /// The path.
        path: String,
    },
    /// A directory was given where the log file was expected.
    #[error("{path} on {host} is a directory: give the log file, e.g. {path}/atlassian-jira.log")]
    Directory {
        /// The host.
        host: String,
        /// The path.
        path: String,
    },
    /// The agent answered something it should not (no POSIX sh, no GNU-like stat?).
    #[error("{host}: the remote shell did not answer as expected ({what}): jira-patrol needs sh, stat, head, tail, od and cksum on the node")]
    Protocol {
        /// The host.
        host: String,
        /// What was wrong.
        what: String,
    },
}

/// A running agent.
struct Agent {
    session: Option<Session>,
    local: Option<std::process::Child>,
    tx: ChildStdin,
    rx: BufReader<ChildStdout>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.tx.write_all(b"Q\n");
        if let Some(mut c) = self.local.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What `O` found.
enum Opened {
    File(FileStat, Vec<u8>),
    Missing,
    Unreadable,
    Directory,
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl Agent {
    fn start(via: &Via) -> Result<Agent, SshError> {
        let (session, local, mut tx, rx) = match via {
            Via::Ssh(ssh, target) => {
                let mut s = ssh.session(target, &agent_command())?;
                let tx = s.child.stdin.take();
                let rx = s.child.stdout.take();
                let (Some(tx), Some(rx)) = (tx, rx) else {
                    return Err(s.failure());
                };
                (Some(s), None, tx, rx)
            }
            Via::LocalShell(_) => {
                let one_line: Vec<&str> = AGENT.lines().map(str::trim).collect();
                let mut c = Command::new("sh")
                    .arg("-c")
                    .arg(one_line.join(" "))
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|e| SshError::NoClient {
                        program: "sh".into(),
                        why: e.to_string(),
                    })?;
                let tx = c.stdin.take().expect("piped");
                let rx = c.stdout.take().expect("piped");
                (None, Some(c), tx, rx)
            }
        };
        let path = via.path();
        if writeln!(tx, "{path}").is_err() {
            return Err(session.map_or(
                SshError::Failed {
                    dest: "sh".into(),
                    detail: "the shell ended".into(),
                },
                |s| s.failure(),
            ));
        }
        Ok(Agent {
            session,
            local,
            tx,
            rx: BufReader::with_capacity(1 << 16, rx),
        })
    }

    /// Why the connection ended (ssh's words), once it has.
    fn failure(&self) -> Option<SshError> {
        self.session.as_ref().map(Session::failure)
    }

    fn ask(&mut self, req: &str) -> io::Result<()> {
        self.tx.write_all(req.as_bytes())?;
        self.tx.write_all(b"\n")?;
        self.tx.flush()
    }

    fn line(&mut self) -> io::Result<String> {
        let mut b = Vec::new();
        let n = self.rx.read_until(b'\n', &mut b)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection ended",
            ));
        }
        if b.last() == Some(&b'\n') {
            b.pop();
        }
        String::from_utf8(b).map_err(|_| bad("a listing line that is not text"))
    }

    fn listing(&mut self, path: &str, width: u32) -> io::Result<Listing> {
        let mut l = Listing {
            open: None,
            files: vec![None; width as usize + 1],
        };
        loop {
            let line = self.line()?;
            if line == "." {
                return Ok(l);
            }
            let mut f = line.splitn(5, ' ');
            let mut num = || f.next().and_then(|v| v.parse::<i64>().ok());
            let (Some(dev), Some(ino), Some(size), Some(mtime)) = (num(), num(), num(), num())
            else {
                return Err(bad(format!("not a listing line: {line}")));
            };
            let name = f.next().unwrap_or_default();
            let st = FileStat {
                id: (dev as u64, ino as u64),
                size: size as u64,
                mtime,
            };
            if name == "/dev/fd/3" {
                l.open = Some(st);
            } else if name == path {
                l.files[0] = Some(st);
            } else if let Some(k) = name
                .strip_prefix(path)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|k| k.parse::<usize>().ok())
            {
                if let Some(slot) = l.files.get_mut(k) {
                    *slot = Some(st);
                }
            }
        }
    }

    fn data(&mut self) -> io::Result<Vec<u8>> {
        let line = self.line()?;
        let n: usize = line
            .strip_prefix("D ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad(format!("expected the data's length, got {line}")))?;
        let mut v = vec![0u8; n];
        self.rx.read_exact(&mut v)?;
        Ok(v)
    }

    fn open(&mut self, k: u32) -> io::Result<Opened> {
        self.ask(&format!("O {k}"))?;
        let line = self.line()?;
        match line.as_str() {
            "O - missing" => return Ok(Opened::Missing),
            "O - unreadable" => return Ok(Opened::Unreadable),
            "O - directory" => return Ok(Opened::Directory),
            _ => {}
        }
        let st = parse_stat(line.strip_prefix("O ").unwrap_or(""))
            .ok_or_else(|| bad(format!("expected O dev ino size mtime, got {line}")))?;
        let head = unhex(&self.line()?);
        Ok(Opened::File(st, head))
    }

    fn head(&mut self, k: u32) -> io::Result<Option<(FileStat, Vec<u8>)>> {
        self.ask(&format!("H {k}"))?;
        let line = self.line()?;
        if line == "F -" {
            return Ok(None);
        }
        let st = parse_stat(line.strip_prefix("F ").unwrap_or(""))
            .ok_or_else(|| bad(format!("expected F dev ino size mtime, got {line}")))?;
        Ok(Some((st, unhex(&self.line()?))))
    }

    fn list(&mut self, path: &str, width: u32) -> io::Result<Listing> {
        self.ask(&format!("L {width}"))?;
        self.listing(path, width)
    }

    /// The files whose paths start with `pattern`.
    fn names(&mut self, pattern: &str) -> io::Result<Vec<String>> {
        self.ask("W")?;
        self.ask(pattern)?;
        let mut v = Vec::new();
        loop {
            let l = self.line()?;
            if l == "." {
                return Ok(v);
            }
            v.push(l);
        }
    }

    /// Follow `path` from now on.
    fn switch(&mut self, path: &str) -> io::Result<()> {
        self.ask("N")?;
        self.ask(path)
    }

    /// `.k` from `off` if it is still the file `id`; `None` when it moved.
    fn read(&mut self, k: u32, id: Id, off: u64) -> io::Result<Option<Vec<u8>>> {
        self.ask(&format!("R {k} {} {} {off} {CHUNK}", id.0, id.1))?;
        let peek = self.rx.fill_buf()?;
        if peek.starts_with(b"X\n") {
            self.line()?;
            return Ok(None);
        }
        self.data().map(Some)
    }
}

fn parse_stat(s: &str) -> Option<FileStat> {
    let mut f = s.split(' ').map(|v| v.parse::<i64>().ok());
    let (dev, ino, size, mtime) = (f.next()??, f.next()??, f.next()??, f.next()??);
    Some(FileStat {
        id: (dev as u64, ino as u64),
        size: size as u64,
        mtime,
    })
}

fn unhex(s: &str) -> Vec<u8> {
    s.as_bytes()
        .chunks(2)
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

/// What the follower hands over, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// More bytes of the current generation.
    Data(Vec<u8>),
    /// The current generation ended (rotated away): flush a partial last line.
    EndOfFile,
    /// Bytes that can no longer be read were skipped here (why, in a few words).
    Gap(String),
    /// Something worth a line for the person (connection lost, resumed).
    Note(String),
}

/// The files of the set as last listed, with their first bytes: what the rotation guard
/// needs of a remote node.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `.k`: size, modification time (node's clock) and first bytes.
    pub files: Vec<Option<(u64, i64, Vec<u8>)>>,
}

/// The follower of one remote log: all state is here (see the module text).
pub struct RemoteFollower {
    via: Via,
    label: String,
    agent: Option<Agent>,
    gen: Option<Id>,
    off: u64,
    head: Vec<u8>,
    prev: Listing,
    width: u32,
    started: bool,
    heads: HashMap<Id, Vec<u8>>,
    down: Option<(Instant, String)>,
    next_try: Instant,
    backoff: Duration,
    /// Bytes handed over.
    pub bytes: u64,
    /// Renames seen.
    pub renamed: u32,
    /// Truncations in place (copytruncate) seen.
    pub truncated: u32,
    /// Times the connection was made again after a drop.
    pub reconnects: u32,
    snapshot: Arc<Mutex<Snapshot>>,
    daily: Option<Daily>,
}

/// The newest of a daily set's names (by the date in them).
fn newest(names: Vec<String>) -> Option<String> {
    let mut paths: Vec<std::path::PathBuf> = names.into_iter().map(Into::into).collect();
    crate::access::files::order_by_date(&mut paths);
    paths.pop().map(|p| p.display().to_string())
}

impl RemoteFollower {
    /// Follow the newest of Tomcat's daily files `DIR/PREFIX*` from its end, and each newer
    /// one from its start as it appears; with none yet, the first from its start. `via`
    /// names the directory.
    pub fn start_daily(
        mut via: Via,
        prefix: &str,
        label: String,
    ) -> Result<RemoteFollower, RemoteError> {
        let pattern = format!("{}/{prefix}", via.path().trim_end_matches('/'));
        let mut agent = Agent::start(&via)?;
        let host = match &via {
            Via::Ssh(_, t) => t.host.clone(),
            Via::LocalShell(_) => "this host".into(),
        };
        let names = agent.names(&pattern).map_err(|e| RemoteError::Protocol {
            host: host.clone(),
            what: e.to_string(),
        })?;
        let current = newest(names);
        // Nothing yet: a file that cannot exist holds the place until one appears.
        via.set_path(
            current
                .clone()
                .unwrap_or_else(|| format!("{pattern}\u{1}none")),
        );
        drop(agent);
        let mut f = RemoteFollower::start(via, label)?;
        f.daily = Some(Daily {
            pattern,
            next_look: Instant::now() + DAILY_LOOK,
        });
        Ok(f)
    }

    /// A daily set: move on to a newer day's file once one appears, after reading the
    /// current one to its end.
    fn next_day(&mut self, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        let Some(d) = &mut self.daily else {
            return Ok(());
        };
        if Instant::now() < d.next_look {
            return Ok(());
        }
        d.next_look = Instant::now() + DAILY_LOOK;
        let pattern = d.pattern.clone();
        let names = self.agent()?.names(&pattern)?;
        let Some(newest) = newest(names) else {
            return Ok(());
        };
        if newest == self.via.path() {
            return Ok(());
        }
        if self.gen.is_some() {
            let mut order: Vec<std::path::PathBuf> =
                vec![self.via.path().into(), newest.clone().into()];
            crate::access::files::order_by_date(&mut order);
            if order[1].display().to_string() != newest {
                return Ok(());
            }
        }
        if self.gen.is_some() {
            self.drain(out)?;
            out(Msg::EndOfFile);
        }
        self.agent()?.switch(&newest)?;
        self.via.set_path(newest);
        self.gen = None;
        self.off = 0;
        self.head.clear();
        self.prev = Listing::default();
        if let Opened::File(st, _) = self.agent()?.open(0)? {
            self.gen = Some(st.id);
        }
        Ok(())
    }

    /// Connect and start at the current end of the log (or at the start of the file it
    /// will be, when it does not exist yet). Fails when the host cannot be used or the
    /// log cannot be read: before anything changes on Jira.
    pub fn start(via: Via, label: String) -> Result<RemoteFollower, RemoteError> {
        let mut f = RemoteFollower {
            via,
            label,
            agent: None,
            gen: None,
            off: 0,
            head: Vec::new(),
            prev: Listing::default(),
            width: 2,
            started: false,
            heads: HashMap::new(),
            down: None,
            next_try: Instant::now(),
            backoff: Duration::from_millis(200),
            bytes: 0,
            renamed: 0,
            truncated: 0,
            reconnects: 0,
            snapshot: Arc::default(),
            daily: None,
        };
        let mut agent = Agent::start(&f.via)?;
        let opened = agent.open(0).map_err(|e| f.protocol(&agent, e))?;
        match opened {
            Opened::File(st, head) => {
                f.gen = Some(st.id);
                f.off = st.size;
                f.head = head;
            }
            Opened::Missing => {}
            Opened::Unreadable => return Err(f.unreadable()),
            Opened::Directory => {
                return Err(RemoteError::Directory {
                    host: f.host(),
                    path: f.via.path().to_string(),
                })
            }
        }
        let path = f.via.path().to_string();
        f.prev = agent
            .list(&path, MAX_BACKUPS.min(64))
            .map_err(|e| f.protocol(&agent, e))?;
        f.width = (f.prev.last() + 2).min(MAX_BACKUPS);
        f.agent = Some(agent);
        f.started = true;
        f.refresh_snapshot();
        Ok(f)
    }

    fn host(&self) -> String {
        match &self.via {
            Via::Ssh(_, t) => t.host.clone(),
            Via::LocalShell(_) => "this host".into(),
        }
    }

    fn unreadable(&self) -> RemoteError {
        let user = match &self.via {
            Via::Ssh(_, t) => t.user.clone().unwrap_or_else(|| "the ssh user".into()),
            Via::LocalShell(_) => "this user".into(),
        };
        RemoteError::Unreadable {
            user,
            host: self.host(),
            path: self.via.path().to_string(),
        }
    }

    fn protocol(&self, agent: &Agent, e: io::Error) -> RemoteError {
        if let Some(f) = agent
            .failure()
            .filter(|_| e.kind() == io::ErrorKind::UnexpectedEof)
        {
            return RemoteError::Ssh(f);
        }
        RemoteError::Protocol {
            host: self.host(),
            what: e.to_string(),
        }
    }

    /// Whether the log exists (is open) now.
    pub fn exists(&self) -> bool {
        self.gen.is_some()
    }

    /// The shared view the rotation guard reads.
    pub fn snapshot(&self) -> Arc<Mutex<Snapshot>> {
        self.snapshot.clone()
    }

    /// Whether the connection is down now (and since when, why).
    pub fn is_down(&self) -> bool {
        self.down.is_some()
    }

    /// Hand over everything written since the last poll; a dropped connection is made
    /// again (no more often than a growing back-off allows) and resumed.
    pub fn poll(&mut self, out: &mut dyn FnMut(Msg)) {
        if self.agent.is_none() {
            if Instant::now() < self.next_try {
                return;
            }
            match Agent::start(&self.via) {
                Ok(a) => {
                    self.agent = Some(a);
                    if let Err(e) = self.resume(out) {
                        self.lost(e, out);
                        return;
                    }
                }
                Err(e) => {
                    self.retry_later(e.to_string(), out);
                    return;
                }
            }
        }
        if let Err(e) = self.next_day(out).and_then(|_| self.drain(out)) {
            self.lost(e, out);
        }
    }

    fn lost(&mut self, e: io::Error, out: &mut dyn FnMut(Msg)) {
        let why = self
            .agent
            .as_ref()
            .and_then(Agent::failure)
            .map(|f| f.to_string())
            .filter(|_| {
                e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::BrokenPipe
            })
            .unwrap_or_else(|| e.to_string());
        self.agent = None;
        self.retry_later(why, out);
    }

    fn retry_later(&mut self, why: String, out: &mut dyn FnMut(Msg)) {
        if self.down.is_none() {
            out(Msg::Note(format!(
                "{}: the connection was lost ({why}); reconnecting, the log is read on from byte {} when it is back",
                self.label, self.off
            )));
            self.down = Some((Instant::now(), why));
            self.backoff = Duration::from_millis(200);
        } else {
            self.backoff = (self.backoff * 2).min(Duration::from_secs(5));
        }
        self.next_try = Instant::now() + self.backoff;
    }

    fn agent(&mut self) -> io::Result<&mut Agent> {
        self.agent
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "not connected"))
    }

    fn list(&mut self) -> io::Result<Listing> {
        let (path, width) = (self.via.path().to_string(), self.width);
        let l = self.agent()?.list(&path, width)?;
        self.widen(&l);
        Ok(l)
    }

    fn widen(&mut self, l: &Listing) {
        self.width = (l.last() + 2).clamp(2, MAX_BACKUPS);
    }

    /// A new agent after a drop: find our generation again and go on from `off`.
    fn resume(&mut self, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        let opened = self.agent()?.open(0)?;
        let listing = self.list()?;
        let live = match opened {
            Opened::File(st, _) => Some(st),
            _ => None,
        };
        if let Some((since, _)) = self.down.take() {
            self.reconnects += 1;
            out(Msg::Note(format!(
                "{}: connected again after {:.1} s; reading on from byte {}",
                self.label,
                since.elapsed().as_secs_f64(),
                self.off
            )));
        }
        match (self.gen, live) {
            (Some(g), Some(l)) if g == l.id => {}
            (Some(_), _) => self.renamed(&listing, out)?,
            (None, Some(l)) => {
                self.gen = Some(l.id);
                self.off = 0;
                self.head.clear();
            }
            (None, None) => {}
        }
        self.prev = listing;
        Ok(())
    }

    /// Read what the open generation gained, and follow any rotation.
    fn drain(&mut self, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        // Each turn reads a chunk or handles a rotation; both are bounded by the set.
        for _ in 0..100_000 {
            let (path, width) = (self.via.path().to_string(), self.width);
            let (off, hl) = (self.off, self.head.len());
            let a = self.agent()?;
            a.ask(&format!("P {off} {CHUNK} {hl} {width}"))?;
            let pre = a.listing(&path, width)?;
            let data = a.data()?;
            let post = if data.is_empty() {
                None
            } else {
                let post = a.listing(&path, width)?;
                let crc = if hl > 0 { Some(a.line()?) } else { None };
                Some((post, crc))
            };
            self.widen(&pre);
            let Some(gen) = self.gen else {
                // Nothing open: the log may have appeared since.
                if pre.live().is_some() {
                    if let Opened::File(st, _) = self.agent()?.open(0)? {
                        self.gen = Some(st.id);
                        self.off = 0;
                        self.head.clear();
                        self.prev = pre;
                        continue;
                    }
                }
                self.prev = pre;
                break;
            };
            let mut listing = pre.clone();
            if let Some((post, crc)) = post {
                let n = data.len() as u64;
                let grown = post.open.is_some_and(|o| o.size >= off + n);
                let same_start = match crc {
                    None => true,
                    Some(line) => {
                        line.strip_prefix("C ")
                            .map(|c| c.split(' ').next() == Some(&cksum(&self.head).to_string()))
                            == Some(true)
                    }
                };
                if !grown || !same_start {
                    // Cut under the read: these bytes may be the next generation's.
                    self.cut(&post, out)?;
                    continue;
                }
                if off == 0 && self.head.is_empty() && self.skipped(&data, &post)? {
                    // A later generation than copies not read yet: those first.
                    self.catch_up_copies(&post, out)?;
                    self.truncated += 1;
                    self.off = 0;
                    self.head.clear();
                    self.prev = post;
                    continue;
                }
                if self.head.len() < HEAD && self.head.len() as u64 == off {
                    let take = (HEAD - self.head.len()).min(data.len());
                    self.head.extend_from_slice(&data[..take]);
                }
                self.off += n;
                self.bytes += n;
                out(Msg::Data(data));
                listing = post;
                if n == CHUNK {
                    self.prev = listing;
                    continue;
                }
            } else if pre.open.is_some_and(|o| o.size < off) {
                self.cut(&pre, out)?;
                continue;
            }
            if listing.live().map(|f| f.id) != Some(gen) {
                self.renamed(&listing, out)?;
                continue;
            }
            self.prev = listing;
            break;
        }
        self.refresh_snapshot();
        Ok(())
    }

    /// Nothing of this generation was read yet and `.1` is a new copy that does not start
    /// with what was just read at offset 0: a copytruncate happened before we read the
    /// generation, whose content is in the copies.
    fn skipped(&mut self, first: &[u8], now: &Listing) -> io::Result<bool> {
        let Some(one) = now.files.get(1).copied().flatten() else {
            return Ok(false);
        };
        if self.prev.files.get(1).copied().flatten().map(|f| f.id) == Some(one.id) {
            return Ok(false);
        }
        let Some(h) = self.head_of(1, one.id)? else {
            return Ok(false);
        };
        let n = first.len().min(h.len()).min(HEAD);
        Ok(n == 0 || h[..n] != first[..n])
    }

    /// The first bytes of `.k`, which must be the file `id` (cached by identity).
    fn head_of(&mut self, k: u32, id: Id) -> io::Result<Option<Vec<u8>>> {
        if let Some(h) = self.heads.get(&id) {
            return Ok(Some(h.clone()));
        }
        match self.agent()?.head(k)? {
            Some((st, h)) if st.id == id => {
                self.heads.insert(id, h.clone());
                Ok(Some(h))
            }
            _ => Ok(None),
        }
    }

    /// Read the file `id` from `off` to its end, following it if the set shifts meanwhile.
    /// `false` when it is no longer in the set.
    fn read_file(&mut self, id: Id, mut off: u64, out: &mut dyn FnMut(Msg)) -> io::Result<bool> {
        let mut listing = self.list()?;
        for _ in 0..1000 {
            let Some((k, _)) = listing
                .backup_of(id)
                .or_else(|| listing.live().filter(|f| f.id == id).map(|f| (0, f)))
            else {
                return Ok(false);
            };
            match self.agent()?.read(k, id, off)? {
                Some(d) if d.is_empty() => return Ok(true),
                Some(d) => {
                    off += d.len() as u64;
                    self.bytes += d.len() as u64;
                    out(Msg::Data(d));
                }
                None => listing = self.list()?,
            }
        }
        Ok(true)
    }

    /// Generations rotated since the last listing, read whole, oldest first.
    fn catch_up_copies(&mut self, now: &Listing, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        for (_, f) in now.new_since(&self.prev) {
            if self.read_file(f.id, 0, out)? {
                out(Msg::EndOfFile);
            }
        }
        Ok(())
    }

    /// The live name is another file now: ours was renamed. Read it on from `off` where
    /// it went, then the generations after it, then the new file from its start.
    fn renamed(&mut self, listing: &Listing, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        let gen = self.gen.expect("renamed only with a generation");
        let found = listing.backup_of(gen).map(|(k, _)| (k, gen));
        self.read_on(
            found,
            self.off,
            listing,
            "the file being read was rotated out of the set before it was read to its end",
            out,
        )?;
        self.renamed += 1;
        self.gen = None;
        self.off = 0;
        self.head.clear();
        if let Opened::File(st, _) = self.agent()?.open(0)? {
            self.gen = Some(st.id);
        }
        self.prev = listing.clone();
        Ok(())
    }

    /// Our generation, found as backup `.k` with identity `id`, read on from `off`, then the
    /// generations rotated after it (`.k-1` … `.1`) whole. Not found (or gone meanwhile):
    /// a gap (`why`), then the generations new since the last listing.
    fn read_on(
        &mut self,
        found: Option<(u32, Id)>,
        off: u64,
        listing: &Listing,
        why: &str,
        out: &mut dyn FnMut(Msg),
    ) -> io::Result<()> {
        let Some((k, id)) = found else {
            out(Msg::EndOfFile);
            out(Msg::Gap(why.into()));
            return self.catch_up_copies(listing, out);
        };
        let there = self.read_file(id, off, out)?;
        out(Msg::EndOfFile);
        if !there {
            out(Msg::Gap(why.into()));
        }
        let newer: Vec<FileStat> = (1..k)
            .rev()
            .filter_map(|j| listing.files[j as usize])
            .collect();
        for f in newer {
            if self.read_file(f.id, 0, out)? {
                out(Msg::EndOfFile);
            }
        }
        Ok(())
    }

    /// Our generation was cut in place (copytruncate): its tail is in the copy, found by
    /// its first bytes among the backups; then the generations after the copy, then the
    /// file again from its start.
    fn cut(&mut self, listing: &Listing, out: &mut dyn FnMut(Msg)) -> io::Result<()> {
        let off = self.off;
        let head = self.head.clone();
        let mut copy = None;
        if !head.is_empty() {
            for k in 1..listing.files.len() as u32 {
                let Some(f) = listing.files[k as usize] else {
                    continue;
                };
                if f.size < off {
                    continue;
                }
                if self
                    .head_of(k, f.id)?
                    .is_some_and(|h| h.len() >= head.len() && h[..head.len()] == head[..])
                {
                    copy = Some((k, f));
                    break;
                }
            }
        }
        self.read_on(
            copy.map(|(k, f)| (k, f.id)),
            off,
            listing,
            "the file was cut in place (copytruncate) and no copy holds the part not yet read",
            out,
        )?;
        self.truncated += 1;
        self.off = 0;
        self.head.clear();
        self.prev = listing.clone();
        Ok(())
    }

    fn refresh_snapshot(&mut self) {
        let mut files = Vec::new();
        let listing = self.prev.clone();
        for (k, f) in listing.files.iter().enumerate() {
            let Some(f) = f else {
                files.push(None);
                continue;
            };
            // The live file's first bytes change with a copytruncate: ask each time only
            // for it; backups are known by identity.
            let head = if k == 0 {
                match self.agent.as_mut().map(|a| a.head(0)) {
                    Some(Ok(Some((_, h)))) => h,
                    _ => Vec::new(),
                }
            } else {
                match self.head_of(k as u32, f.id) {
                    Ok(Some(h)) => h,
                    _ => Vec::new(),
                }
            };
            files.push(Some((f.size, f.mtime, head)));
        }
        if let Ok(mut s) = self.snapshot.lock() {
            s.files = files;
        }
    }

    /// Release the connection.
    pub fn stop(&mut self) {
        self.agent = None;
    }
}

/// A remote follower on a thread of its own, so that a slow or dropped connection never
/// holds up the capture's loop (the guard, the status, Ctrl-C).
pub struct RemoteTail {
    rx: Receiver<Event>,
    ctl: SyncSender<Ctl>,
    thread: Option<std::thread::JoinHandle<()>>,
    snapshot: Arc<Mutex<Snapshot>>,
    exists: Arc<std::sync::atomic::AtomicBool>,
    flushes: u64,
}

enum Ctl {
    Flush(u64),
    Stop,
}

enum Event {
    Msg(Msg),
    Flushed(u64),
}

impl RemoteTail {
    /// Start following (connecting now: errors come back before anything changes), then
    /// poll every `every` on a thread.
    pub fn start(via: Via, label: String, every: Duration) -> Result<RemoteTail, RemoteError> {
        Self::spawn(RemoteFollower::start(via, label)?, every)
    }

    /// [`RemoteTail::start`] over a directory of Tomcat's daily access logs
    /// ([`RemoteFollower::start_daily`]).
    pub fn start_daily(
        via: Via,
        prefix: &str,
        label: String,
        every: Duration,
    ) -> Result<RemoteTail, RemoteError> {
        Self::spawn(RemoteFollower::start_daily(via, prefix, label)?, every)
    }

    fn spawn(mut f: RemoteFollower, every: Duration) -> Result<RemoteTail, RemoteError> {
        let snapshot = f.snapshot();
        let exists = Arc::new(std::sync::atomic::AtomicBool::new(f.exists()));
        let (tx, rx) = std::sync::mpsc::sync_channel::<Event>(8);
        let (ctl, ctl_rx) = std::sync::mpsc::sync_channel::<Ctl>(4);
        let ex = exists.clone();
        let thread = std::thread::Builder::new()
            .name("remote-log".into())
            .spawn(move || loop {
                let mut send = |m: Msg| {
                    let _ = tx.send(Event::Msg(m));
                };
                f.poll(&mut send);
                ex.store(f.exists(), std::sync::atomic::Ordering::SeqCst);
                match ctl_rx.recv_timeout(every) {
                    Ok(Ctl::Flush(n)) => {
                        f.poll(&mut send);
                        let _ = tx.send(Event::Flushed(n));
                    }
                    Ok(Ctl::Stop) | Err(RecvTimeoutError::Disconnected) => {
                        f.stop();
                        return;
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
            })
            .map_err(|e| RemoteError::Protocol {
                host: "this machine".into(),
                what: format!("no thread for the follower: {e}"),
            })?;
        Ok(RemoteTail {
            rx,
            ctl,
            thread: Some(thread),
            snapshot,
            exists,
            flushes: 0,
        })
    }

    /// What the follower handed over since the last call (never blocks).
    pub fn poll(&mut self, out: &mut dyn FnMut(Msg)) {
        loop {
            match self.rx.try_recv() {
                Ok(Event::Msg(m)) => out(m),
                Ok(Event::Flushed(_)) => {}
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return,
            }
        }
    }

    /// Read up to what is written now (one more round on the node), waiting at most
    /// `limit` for it.
    pub fn flush(&mut self, limit: Duration, out: &mut dyn FnMut(Msg)) {
        self.flushes += 1;
        let n = self.flushes;
        if self.ctl.send(Ctl::Flush(n)).is_err() {
            return self.poll(out);
        }
        let until = Instant::now() + limit;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Event::Msg(m)) => out(m),
                Ok(Event::Flushed(k)) if k == n => return,
                Ok(Event::Flushed(_)) => {}
                Err(_) => return,
            }
        }
    }

    /// What the guard reads.
    pub fn snapshot(&self) -> Arc<Mutex<Snapshot>> {
        self.snapshot.clone()
    }

    /// Whether the log existed at the last poll.
    pub fn exists(&self) -> bool {
        self.exists.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RemoteTail {
    fn drop(&mut self) {
        let _ = self.ctl.try_send(Ctl::Stop);
        // Unblock a thread waiting to hand over data.
        while self.rx.try_recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            // The thread ends after its current round; a round blocked on a dead
            // connection ends with the connection (the ssh masters are closed by then).
            drop(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn cksum_is_posix_cksum() {
        assert_eq!(cksum(b"hello"), 3_287_646_509);
        assert_eq!(cksum(b""), 4_294_967_295);
    }

    #[test]
    fn the_agent_is_one_line_without_what_login_shells_would_change() {
        let c = agent_command();
        assert!(!c.contains('\n') && !c.contains('!'));
        assert_eq!(c.matches('\'').count(), 2);
    }

    fn follower(p: &Path) -> RemoteFollower {
        RemoteFollower::start(Via::LocalShell(p.display().to_string()), "test".into()).unwrap()
    }

    fn collect(f: &mut RemoteFollower) -> String {
        let mut got = String::new();
        f.poll(&mut |m| match m {
            Msg::Data(d) => got.push_str(&String::from_utf8_lossy(&d)),
            Msg::EndOfFile => got.push('|'),
            Msg::Gap(_) => got.push_str("<gap>"),
            Msg::Note(_) => {}
        });
        got
    }

    use crate::source::follow::tests::{append, rotate_copytruncate, rotate_rename};

    fn rotate(d: &Path, copytruncate: bool) {
        if copytruncate {
            rotate_copytruncate(d)
        } else {
            rotate_rename(d)
        }
    }

    #[test]
    fn follows_from_the_end_through_both_rotations_nothing_lost_or_twice() {
        for copytruncate in [false, true] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("atlassian-jira.log");
            append(&p, "old line before the start\n");
            let mut f = follower(&p);
            append(&p, "a1\n");
            assert_eq!(collect(&mut f), "a1\n");
            append(&p, "a2\n");
            rotate(d.path(), copytruncate);
            append(&p, "b1 which is long enough to pass the old offset\n");
            rotate(d.path(), copytruncate);
            append(&p, "c1 which is also long enough to pass the old offset\n");
            assert_eq!(
                collect(&mut f),
                "a2\n|b1 which is long enough to pass the old offset\n|c1 which is also long enough to pass the old offset\n",
                "copytruncate: {copytruncate}"
            );
            append(&p, "c2\n");
            assert_eq!(collect(&mut f), "c2\n", "copytruncate: {copytruncate}");
            assert_eq!(collect(&mut f), "");
        }
    }

    #[test]
    fn a_dropped_agent_is_resumed_at_its_offset_even_across_a_rotation() {
        for copytruncate in [false, true] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("atlassian-jira.log");
            append(&p, "start\n");
            let mut f = follower(&p);
            append(&p, "x1\n");
            assert_eq!(collect(&mut f), "x1\n");
            // The connection dies; meanwhile the log is written and rotated.
            f.agent = None;
            f.down = Some((Instant::now(), "killed".into()));
            append(&p, "x2\n");
            rotate(d.path(), copytruncate);
            append(&p, "y1\n");
            assert_eq!(collect(&mut f), "x2\n|y1\n", "copytruncate: {copytruncate}");
            assert_eq!(f.reconnects, 1);
        }
    }

    #[test]
    fn a_daily_set_moves_on_to_the_next_days_file_after_reading_the_old_one() {
        let d = tempfile::tempdir().unwrap();
        let day1 = d.path().join("access_log.2024-01-01");
        append(&day1, "before the start\n");
        let mut f = RemoteFollower::start_daily(
            Via::LocalShell(d.path().display().to_string()),
            "access_log",
            "test".into(),
        )
        .unwrap();
        append(&day1, "a\n");
        assert_eq!(collect(&mut f), "a\n");
        append(&day1, "b\n");
        append(&d.path().join("access_log.2024-01-02"), "c\n");
        f.daily.as_mut().unwrap().next_look = Instant::now();
        assert_eq!(collect(&mut f), "b\n|c\n");
        // An empty directory: the first file to appear is read from its start.
        let e = tempfile::tempdir().unwrap();
        let mut g = RemoteFollower::start_daily(
            Via::LocalShell(e.path().display().to_string()),
            "access_log",
            "test".into(),
        )
        .unwrap();
        append(&e.path().join("access_log.2024-01-03"), "first\n");
        g.daily.as_mut().unwrap().next_look = Instant::now();
        assert_eq!(collect(&mut g), "first\n");
    }

    #[test]
    fn a_generation_rotated_away_while_disconnected_is_a_gap() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("atlassian-jira.log");
        append(&p, "start\n");
        let mut f = follower(&p);
        append(&p, "x1\n");
        assert_eq!(collect(&mut f), "x1\n");
        f.agent = None;
        f.down = Some((Instant::now(), "killed".into()));
        append(&p, "x2 never read\n");
        rotate(d.path(), false);
        std::fs::remove_file(d.path().join("atlassian-jira.log.1")).unwrap();
        append(&p, "y1\n");
        assert_eq!(collect(&mut f), "|<gap>y1\n");
    }
}
