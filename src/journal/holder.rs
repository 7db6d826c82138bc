//! Who holds a Jira's raised levels on this machine (captures running now), and the file
//! lock that makes every read-modify-write of a journal one at a time across processes.

use std::fs::File;
use std::path::Path;

/// A process that raised levels for a while and will put them back when it ends (a
/// capture). Its process start time tells a live holder from a reused pid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// The process start time as the kernel counts it (Linux: clock ticks after boot);
    /// `None` where it cannot be read.
    #[serde(default)]
    pub process_start: Option<u64>,
    /// RFC 3339 time it joined.
    pub since: String,
    /// What it is, for messages (`capture pats-trace`).
    pub what: String,
}

impl Holder {
    /// This process, as the holder `what`.
    pub fn this_process(what: impl Into<String>) -> Holder {
        let pid = std::process::id();
        Holder {
            pid,
            process_start: process_start(pid),
            since: jiff::Timestamp::now().to_string(),
            what: what.into(),
        }
    }

    /// The same process (pid and start time).
    pub fn same_process(&self, other: &Holder) -> bool {
        self.pid == other.pid && self.process_start == other.process_start
    }

    /// Whether the process still runs (a crashed holder is dead: its levels wait for the
    /// last live holder or `jira-patrol restore`).
    pub fn is_alive(&self) -> bool {
        if !pid_exists(self.pid) {
            return false;
        }
        match (self.process_start, process_start(self.pid)) {
            // The pid was reused by a process started at another time.
            (Some(want), Some(got)) => want == got,
            _ => true,
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {})", self.what, self.pid)
    }
}

#[cfg(unix)]
fn pid_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn pid_exists(_pid: u32) -> bool {
    true
}

/// Field 22 of `/proc/<pid>/stat` (after the command name, which may hold spaces).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// An exclusive lock on a journal's lock file, released when dropped (or when the process
/// ends, however it ends).
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    /// Wait for, then take, the lock on `path` (created 0600 if needed).
    pub(crate) fn take(path: &Path) -> std::io::Result<Lock> {
        if let Some(dir) = path.parent() {
            crate::paths::create_private_dir(dir)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o.open(path)?;
        flock(&file)?;
        Ok(Lock { _file: file })
    }
}

#[cfg(unix)]
fn flock(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: a valid open descriptor; flock only takes the lock.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn flock(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_not() {
        let me = Holder::this_process("test");
        assert!(me.is_alive());
        assert!(me.same_process(&Holder::this_process("other")));
        // A child that has exited and been reaped: its pid names no process of its own.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = Holder {
            pid,
            process_start: Some(u64::MAX),
            ..me.clone()
        };
        assert!(!dead.is_alive());
        // Our pid with another start time: a reused pid, not us.
        let reused = Holder {
            process_start: me.process_start.map(|s| s + 1),
            ..me.clone()
        };
        if me.process_start.is_some() {
            assert!(!reused.is_alive());
        }
    }

    /// Whether another open file could take the lock now (without waiting).
    fn free(path: &Path) -> bool {
        use std::os::unix::io::AsRawFd;
        let f = std::fs::File::open(path).unwrap();
        // SAFETY: a valid open descriptor; the lock goes with the file.
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
    }

    #[test]
    fn the_lock_is_held_until_dropped_and_a_waiter_gets_it_then() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub/j.lock");
        let first = Lock::take(&path).unwrap();
        // flock locks belong to the open file: another open is refused, as another
        // process would be.
        assert!(!free(&path));
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let second = Lock::take(&path).unwrap();
                tx.send(()).unwrap();
                drop(second);
            })
        };
        drop(first);
        rx.recv().unwrap();
        waiter.join().unwrap();
        assert!(free(&path));
    }
}
