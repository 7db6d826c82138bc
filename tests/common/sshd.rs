//! A real OpenSSH server for the tests: Debian's `sshd`, started on a free loopback port
//! as the current user, with a throwaway host key, client key, `authorized_keys` and its
//! own `sshd_config`, all in a temporary directory (nothing of the machine's own ssh
//! configuration is read or touched). The client side is `ssh -F <config>` (given to
//! jira-patrol as `JIRA_PATROL_SSH_COMMAND`), where every host name maps to this server.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sshd (stopped on drop).
pub struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Who logs in (the current user).
    pub user: String,
}

fn sshd_path() -> PathBuf {
    let p = PathBuf::from("/usr/sbin/sshd");
    assert!(
        p.exists(),
        "sshd is not installed: apt-get install openssh-server (.ci/run does it when it is missing)"
    );
    p
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "jira-patrol-test",
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success(), "ssh-keygen failed");
}

fn current_user() -> String {
    // SAFETY: getpwuid returns a pointer into static storage, read at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        assert!(!pw.is_null(), "the current user has no passwd entry");
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}

impl Sshd {
    /// Start one; panics (with what to install) when sshd is missing.
    pub fn start() -> Sshd {
        let sshd = sshd_path();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        keygen(&d.join("other_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        if unsafe { libc::getuid() } == 0 {
            // sshd run by root insists on its privilege separation directory, which a
            // machine that never ran sshd has not made yet.
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let user = current_user();
        let mut last = String::new();
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = d.join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "ListenAddress 127.0.0.1:{port}\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nStrictModes no\nAllowUsers {user}\nMaxSessions 64\nMaxStartups 64\nLogLevel ERROR\n",
                    d.join("host_key").display(),
                    d.join("authorized_keys").display(),
                    d.join("sshd.pid").display(),
                ),
            )
            .unwrap();
            let log = std::fs::File::create(d.join("sshd.log")).unwrap();
            let mut child = Command::new(&sshd)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("sshd starts");
            // Up once it accepts connections; gone when the port was taken meanwhile.
            let t = Instant::now();
            let up = loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break true;
                }
                if child.try_wait().unwrap().is_some() || t.elapsed() > super::PATIENCE {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            if up {
                let s = Sshd {
                    dir,
                    child,
                    port,
                    user,
                };
                s.write_client_configs();
                return s;
            }
            let _ = child.kill();
            let _ = child.wait();
            last = std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default();
        }
        panic!("sshd would not start: {last}");
    }

    fn write_client_configs(&self) {
        let d = self.dir.path();
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let mut it = host_pub.split_whitespace();
        let (kind, key) = (it.next().unwrap(), it.next().unwrap());
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{} {kind} {key}\n", self.port),
        )
        .unwrap();
        std::fs::write(d.join("empty_known_hosts"), "").unwrap();
        for (name, key, known) in [
            ("ssh_config", "client_key", "known_hosts"),
            ("ssh_config_unknown_host", "client_key", "empty_known_hosts"),
            ("ssh_config_other_key", "other_key", "known_hosts"),
        ] {
            std::fs::write(
                d.join(name),
                format!(
                    "Host *\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n",
                    self.port,
                    self.user,
                    d.join(key).display(),
                    d.join(known).display()
                ),
            )
            .unwrap();
        }
    }

    /// `JIRA_PATROL_SSH_COMMAND` reaching this server under any host name.
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.dir.path().join("ssh_config").display())
    }

    /// The same, with a known_hosts that does not know this server's key.
    pub fn ssh_command_unknown_host(&self) -> String {
        format!(
            "ssh -F {}",
            self.dir.path().join("ssh_config_unknown_host").display()
        )
    }

    /// The same, offering a key the server does not accept.
    pub fn ssh_command_other_key(&self) -> String {
        format!(
            "ssh -F {}",
            self.dir.path().join("ssh_config_other_key").display()
        )
    }

    /// Refuse (`true`) or accept again (`false`) the client key of [`Sshd::ssh_command`]
    /// for new connections, as a host whose `authorized_keys` was changed does; the
    /// connections already made stay up.
    pub fn refuse_client_key(&self, refuse: bool) {
        let d = self.dir.path();
        let key = if refuse {
            "other_key.pub"
        } else {
            "client_key.pub"
        };
        let tmp = d.join("authorized_keys.new");
        std::fs::copy(d.join(key), &tmp).unwrap();
        std::fs::rename(tmp, d.join("authorized_keys")).unwrap();
    }

    /// The process ids of the ssh master connections that use this server's client
    /// configuration (jira-patrol's `ControlMaster=yes` processes), found in /proc.
    pub fn masters(&self) -> Vec<u32> {
        let config = self.dir.path().join("ssh_config").display().to_string();
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<String> = cmd
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if args.contains(&config) && args.iter().any(|a| a == "ControlMaster=yes") {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
