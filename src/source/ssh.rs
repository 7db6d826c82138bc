//! Reaching other hosts the admins' way: the system's OpenSSH client, so the user's
//! `~/.ssh/config`, keys, agent, `ProxyJump` and `known_hosts` apply. The command can be
//! replaced with `JIRA_PATROL_SSH_COMMAND` (as git's `GIT_SSH_COMMAND`, e.g. `ssh -F FILE`).
//!
//! What jira-patrol adds to it, and nothing else: `BatchMode=yes` (nothing prompts: no
//! password is ever asked for, an unknown host key fails instead of being accepted), and
//! one multiplexed connection per host: a master (`ControlMaster=yes`) whose control
//! socket lives in a private 0700 directory, through which every session to that host
//! goes; the masters are ended and the directory removed when the [`Ssh`] is dropped.
//! Host-key checking is never weakened: `StrictHostKeyChecking` is the user's.

use super::SshPath;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable that replaces `ssh` (split like a shell would).
pub const SSH_COMMAND_ENV: &str = "JIRA_PATROL_SSH_COMMAND";

/// How long a connection may take to come up (name lookup, TCP, key exchange, auth).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a host could not be used. Each message names the host and what to do; the caller
/// adds which log it was for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    /// The ssh program cannot be run.
    #[error("cannot run {program} ({why}): install OpenSSH's client, or set {SSH_COMMAND_ENV}")]
    NoClient {
        /// What was run.
        program: String,
        /// What the system said.
        why: String,
    },
    /// `JIRA_PATROL_SSH_COMMAND` does not split into words.
    #[error("{SSH_COMMAND_ENV} is not a command line (unbalanced quotes?): {0}")]
    BadCommand(String),
    /// The host's key is not in known_hosts (and ssh may not ask).
    #[error("the host key of {host} is not known: check it and accept it once with `ssh {dest}` (jira-patrol never turns host-key checking off)")]
    UnknownHostKey {
        /// `[user@]host`.
        dest: String,
        /// The host.
        host: String,
    },
    /// The host's key differs from the one in known_hosts.
    #[error("the host key of {host} has CHANGED since it was accepted: find out why before connecting (see `ssh {dest}`); jira-patrol will not connect")]
    ChangedHostKey {
        /// `[user@]host`.
        dest: String,
        /// The host.
        host: String,
    },
    /// Authentication failed: no key (or agent) the server accepts.
    #[error("{dest} refused our key ({detail}): add your public key to that user's ~/.ssh/authorized_keys on {host}, or load the right key into ssh-agent (jira-patrol never asks for an SSH password)")]
    KeyRefused {
        /// `[user@]host`.
        dest: String,
        /// The host.
        host: String,
        /// ssh's own words.
        detail: String,
    },
    /// Name lookup, TCP or the network failed.
    #[error(
        "cannot reach {host} ({detail}): check the host name, the port and that sshd runs there"
    )]
    Unreachable {
        /// The host.
        host: String,
        /// ssh's own words.
        detail: String,
    },
    /// No answer within the time allowed.
    #[error(
        "no ssh connection to {host} within {secs} s: check the network path (ProxyJump?) to it"
    )]
    Timeout {
        /// The host.
        host: String,
        /// Seconds waited.
        secs: u64,
    },
    /// Anything else ssh said.
    #[error("ssh to {dest} failed: {detail}")]
    Failed {
        /// `[user@]host`.
        dest: String,
        /// ssh's last words.
        detail: String,
    },
}

/// ssh's words about a failed connection, made into the case they describe.
pub fn classify(target: &SshPath, stderr: &str) -> SshError {
    let dest = target.destination();
    let host = target.host.clone();
    let detail = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .unwrap_or("the connection ended")
        .to_string();
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return SshError::ChangedHostKey { dest, host };
    }
    if stderr.contains("Host key verification failed") || stderr.contains("host key is known") {
        return SshError::UnknownHostKey { dest, host };
    }
    if stderr.contains("Permission denied") || stderr.contains("Too many authentication failures") {
        return SshError::KeyRefused { dest, host, detail };
    }
    let unreachable = [
        "Could not resolve hostname",
        "Connection refused",
        "No route to host",
        "Network is unreachable",
        "Connection timed out",
        "Connection closed by",
        "Connection reset",
        "kex_exchange_identification",
    ];
    if unreachable.iter().any(|w| stderr.contains(w)) {
        return SshError::Unreachable { host, detail };
    }
    SshError::Failed { dest, detail }
}

/// One master connection: the child, its control socket, where it says why it ended.
struct Master {
    child: Child,
    socket: PathBuf,
    errors: PathBuf,
}

impl Master {
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The master's process id (tests end "the connection" by it).
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The OpenSSH client, with one multiplexed connection per host. Clones share them.
#[derive(Clone)]
pub struct Ssh {
    inner: Arc<Inner>,
}

struct Inner {
    program: Vec<String>,
    dir: tempfile::TempDir,
    masters: Mutex<HashMap<(String, Option<u16>), Master>>,
    next: Mutex<u32>,
    connecting: Mutex<()>,
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(&self.errors);
    }
}

impl Ssh {
    /// `ssh`, or `JIRA_PATROL_SSH_COMMAND`; control sockets in a new private directory.
    pub fn from_env() -> Result<Ssh, SshError> {
        let program = match std::env::var(SSH_COMMAND_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                shlex::split(&v).ok_or_else(|| SshError::BadCommand(v.clone()))?
            }
            _ => vec!["ssh".to_string()],
        };
        if program.is_empty() {
            return Err(SshError::BadCommand(String::new()));
        }
        // tempfile makes directories 0700: the sockets inside let anyone who can reach
        // them use the connection, so nobody else may.
        let dir = tempfile::Builder::new()
            .prefix("jira-patrol-ssh-")
            .tempdir()
            .map_err(|e| SshError::NoClient {
                program: "a private directory for ssh's control sockets".into(),
                why: e.to_string(),
            })?;
        Ok(Ssh {
            inner: Arc::new(Inner {
                program,
                dir,
                masters: Mutex::new(HashMap::new()),
                next: Mutex::new(0),
                connecting: Mutex::new(()),
            }),
        })
    }

    /// Where the control sockets are (mode 0700).
    pub fn control_dir(&self) -> &Path {
        self.inner.dir.path()
    }

    /// The process ids of the live master connections (a test kills one to drop a
    /// connection).
    pub fn master_pids(&self) -> Vec<u32> {
        let mut masters = self.inner.masters.lock().unwrap_or_else(|p| p.into_inner());
        masters
            .values_mut()
            .filter_map(|m| m.alive().then(|| m.pid()))
            .collect()
    }

    /// A file in the private directory for an ssh process's stderr.
    fn errors_file(&self, name: &str) -> Result<(PathBuf, std::fs::File), SshError> {
        let path = self.control_dir().join(name);
        let f = std::fs::File::create(&path).map_err(|e| self.cannot_run(e))?;
        Ok((path, f))
    }

    fn cannot_run(&self, e: std::io::Error) -> SshError {
        SshError::NoClient {
            program: self.inner.program[0].clone(),
            why: e.to_string(),
        }
    }

    fn slot(&self) -> u32 {
        let mut n = self.inner.next.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        *n
    }

    /// End every master connection now (also done on drop).
    pub fn close(&self) {
        self.inner
            .masters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn base(&self, target: &SshPath, socket: &Path) -> Command {
        let mut c = Command::new(&self.inner.program[0]);
        c.args(&self.inner.program[1..]);
        c.arg("-o")
            .arg("BatchMode=yes")
            .arg("-o")
            .arg(format!("ControlPath={}", socket.display()))
            .arg("-o")
            .arg("ServerAliveInterval=10")
            .arg("-o")
            .arg("ServerAliveCountMax=3");
        if let Some(p) = target.port {
            c.arg("-p").arg(p.to_string());
        }
        c
    }

    /// The master for this host, started (and waited for) when there is none or it died.
    fn master(&self, target: &SshPath) -> Result<PathBuf, SshError> {
        // One connection attempt at a time: two sessions to a new host share one master.
        let _one = self
            .inner
            .connecting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let key = (target.destination(), target.port);
        {
            let mut masters = self.inner.masters.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(m) = masters.get_mut(&key) {
                if m.alive() && m.socket.exists() {
                    return Ok(m.socket.clone());
                }
                // Dropping it ends what is left of it.
                masters.remove(&key);
            }
        }
        let slot = self.slot();
        let socket = self.control_dir().join(format!("m{slot}"));
        let (errors, err_file) = self.errors_file(&format!("m{slot}.err"))?;
        let mut c = self.base(target, &socket);
        c.arg("-o")
            .arg("ControlMaster=yes")
            .arg("-o")
            .arg("ControlPersist=no")
            .arg("-N")
            .arg("--")
            .arg(target.destination())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file);
        let child = c.spawn().map_err(|e| self.cannot_run(e))?;
        let mut m = Master {
            child,
            socket: socket.clone(),
            errors,
        };
        // ssh opens the control socket once the connection is authenticated.
        let started = Instant::now();
        loop {
            if socket.exists() {
                break;
            }
            if !m.alive() {
                let said = std::fs::read_to_string(&m.errors).unwrap_or_default();
                return Err(classify(target, &said));
            }
            if started.elapsed() > CONNECT_TIMEOUT {
                let _ = m.child.kill();
                let _ = m.child.wait();
                return Err(SshError::Timeout {
                    host: target.host.clone(),
                    secs: CONNECT_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.inner
            .masters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, m);
        Ok(socket)
    }

    /// Run `remote` (a command line for the remote user's shell) on the target's host
    /// through its master connection: stdin and stdout piped, stderr to a file the caller
    /// reads when the session fails ([`Session::errors`]).
    pub fn session(&self, target: &SshPath, remote: &str) -> Result<Session, SshError> {
        let socket = self.master(target)?;
        let (errors, err_file) = self.errors_file(&format!("s{}.err", self.slot()))?;
        let mut c = self.base(target, &socket);
        c.arg("-o")
            .arg("ControlMaster=no")
            .arg("--")
            .arg(target.destination())
            .arg(remote)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err_file);
        let child = c.spawn().map_err(|e| self.cannot_run(e))?;
        Ok(Session {
            child,
            errors,
            target: target.clone(),
        })
    }
}

/// One command running on a host.
pub struct Session {
    /// The local ssh process (stdin and stdout piped).
    pub child: Child,
    errors: PathBuf,
    target: SshPath,
}

impl Session {
    /// What ssh (or the remote command) wrote on stderr so far.
    pub fn errors(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.errors) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Why the session ended, as ssh put it.
    pub fn failure(&self) -> SshError {
        classify(&self.target, &self.errors())
    }

    /// End it now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.errors);
    }
}

/// A word quoted for any POSIX-like login shell (sh, bash, zsh, and csh's single quotes
/// alike): the remote side of a session is a command line, never an argument vector.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SshPath {
        SshPath {
            user: Some("jira".into()),
            host: "node2.example.com".into(),
            port: None,
            path: "/var/log/atlassian-jira.log".into(),
        }
    }

    #[test]
    fn ssh_failures_are_told_apart_by_what_ssh_says() {
        let t = target();
        let unknown = "No ED25519 host key is known for node2.example.com and you have requested strict checking.\r\nHost key verification failed.\r\n";
        let e = classify(&t, unknown);
        assert!(matches!(e, SshError::UnknownHostKey { .. }), "{e:?}");
        assert!(e.to_string().contains("ssh jira@node2.example.com"), "{e}");
        let refused = "jira@node2.example.com: Permission denied (publickey).\r\n";
        let e = classify(&t, refused);
        assert!(matches!(e, SshError::KeyRefused { .. }), "{e:?}");
        assert!(e.to_string().contains("authorized_keys"), "{e}");
        let e = classify(
            &t,
            "ssh: connect to host node2.example.com port 22: Connection refused\r\n",
        );
        assert!(matches!(e, SshError::Unreachable { .. }), "{e:?}");
        let e = classify(
            &t,
            "@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n",
        );
        assert!(matches!(e, SshError::ChangedHostKey { .. }), "{e:?}");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
