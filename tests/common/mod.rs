//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod genlog;
pub mod measure;
pub mod sshd;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Long enough for a machine shared with other builds; only ever reached on a failure.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The binary with none of the user's Jira settings, and its XDG directories and HOME
/// inside `dir`: a test never sees, nor touches, a real journal, setup or credential.
pub fn isolated(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("jira-patrol"));
    for v in [
        "JIRA_URL",
        "JIRA_TOKEN",
        "JIRA_USER",
        "JIRA_PASSWORD",
        "JIRA_HOME",
    ] {
        c.env_remove(v);
    }
    c.env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("HOME", dir);
    c
}

/// Spawn `cmd` on a pseudo-terminal with echo on, as a person's terminal has it. expectrl
/// starts its child with echo off, which would make [`wait_echo_off`] see "off" before a
/// hidden prompt has done anything; `stty echo` runs before the program itself starts.
#[cfg(unix)]
pub fn spawn_with_echo(cmd: Command) -> expectrl::session::OsSession {
    let sh = through_sh("stty echo && exec \"$0\" \"$@\"", &cmd);
    expectrl::Session::spawn(sh).expect("spawn on a pseudo-terminal")
}

/// `cmd` run by `sh -c script`, with the program as `$0` and its arguments as `$@`, and
/// `cmd`'s environment and directory.
pub fn through_sh(script: &str, cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(script)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        sh.current_dir(d);
    }
    sh
}

/// A hidden prompt turns echo off with TCSAFLUSH, which throws away input typed before
/// it: once its text is shown, wait until echo is really off before typing a secret,
/// however slow the machine. Only meaningful for a child spawned by [`spawn_with_echo`].
#[cfg(unix)]
pub fn wait_echo_off(p: &expectrl::session::OsSession) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while p
        .get_process()
        .get_echo()
        .expect("read the terminal's echo flag")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the hidden prompt never turned echo off"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Private XDG homes for the runs of one test, and where the journal lands in them.
pub struct Homes(pub tempfile::TempDir);

impl Homes {
    pub fn new() -> Homes {
        Homes(tempfile::tempdir().unwrap())
    }
    /// The journals' directory.
    pub fn journals(&self) -> jira_patrol::journal::Journal {
        jira_patrol::journal::Journal::at(self.0.path().join("state/jira-patrol"))
    }
    /// The journal file there is (one per Jira; a test uses one Jira), else the old
    /// single `journal.json`, which a test may write to plant a journal.
    pub fn journal(&self) -> PathBuf {
        journal_in(&self.0.path().join("state/jira-patrol"))
    }
}

/// The one journal file in `dir`, else `dir/journal.json` (whether it exists or not).
pub fn journal_in(dir: &Path) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("journal") && n.ends_with(".json"))
        })
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| dir.join("journal.json"))
}

/// Wait for a spawned run to end: its output, and its stderr as text.
pub fn output(child: Child) -> (Output, String) {
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

/// A running capture whose stderr is read line by line as it comes.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stderr line read so far.
    pub seen: String,
    stdout: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().unwrap();
        let err = child.stderr.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let stdout = std::thread::spawn(move || {
            let mut v = Vec::new();
            out.read_to_end(&mut v).unwrap();
            v
        });
        Running {
            child,
            lines,
            seen: String::new(),
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait until stderr shows a line containing `what`.
    pub fn wait_for(&mut self, what: &str) {
        let t = Instant::now();
        while t.elapsed() < PATIENCE {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(l) => {
                    self.seen.push_str(&l);
                    self.seen.push('\n');
                    if l.contains(what) {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("never said {what:?}:\n{}", self.seen);
    }

    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    /// Send `signal` (`-INT`, `-TERM`) with kill(1).
    pub fn signal(&self, signal: &str) {
        Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap();
    }

    /// Wait for the end: exit status, all of stderr, stdout.
    pub fn finish(mut self) -> (ExitStatus, String, Vec<u8>) {
        let status = self.child.wait().unwrap();
        for l in self.lines.iter() {
            self.seen.push_str(&l);
            self.seen.push('\n');
        }
        let out = self.stdout.join().unwrap();
        (status, self.seen, out)
    }
}

/// Wait until `sim` shows `logger` at `want`, failing after `within` (a hang guard, not a
/// speed limit).
pub fn wait_level(sim: &jira_sim::SimJira, logger: &str, want: jira_sim::Level, within: Duration) {
    let t = Instant::now();
    while sim.effective_level(logger) != want {
        assert!(t.elapsed() < within, "{logger} never became {want}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Wait until a capture has raised the PAT filter logger to TRACE on `sim`.
pub fn wait_raised(sim: &jira_sim::SimJira, within: Duration) {
    wait_level(
        sim,
        jira_sim::loggers::FILTER,
        jira_sim::Level::Trace,
        within,
    );
}

/// Every token's successes and failures in a JSON summary equal what the clients of
/// `sent` did (summed over all of them).
pub fn assert_counts(j: &serde_json::Value, sent: &[&jira_sim::traffic::TrafficReport]) {
    let mut want: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for s in sent {
        for (id, t) in &s.by_token_id {
            let e = want.entry(id.as_str()).or_default();
            e.0 += t.ok;
            e.1 += t.unauthorized;
        }
    }
    for (id, (ok, unauthorized)) in want {
        let t = j["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["token_id"] == id);
        let got = match t {
            Some(t) => (
                t["requests"].as_u64().unwrap(),
                t["failures"].as_u64().unwrap(),
            ),
            None => (
                0,
                j["failed_token_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["token_id"] == id)
                    .map_or(0, |f| f["requests"].as_u64().unwrap()),
            ),
        };
        assert_eq!(got, (ok, unauthorized), "token {id}");
    }
}

/// A Data Center simulator (one whose token search answers) where jdoe has made one more
/// token for each of `names`, through the tool's own client as a user would.
pub fn data_center_with_tokens_of_jdoe(names: &[&str]) -> jira_sim::SimJira {
    use jira_patrol::jira::{Client, ClientConfig, Credentials};
    use jira_patrol::secret::Secret;
    let sim = jira_sim::SimJira::start(jira_sim::SimConfig {
        data_center: true,
        ..jira_sim::SimConfig::default()
    })
    .unwrap();
    let jdoe = Client::new(ClientConfig::new(
        sim.url(),
        Credentials {
            token: None,
            password: Some(("jdoe".into(), Secret::new("jdoe"))),
        },
    ))
    .unwrap();
    for name in names {
        jdoe.create_token(name, 30).unwrap();
    }
    sim
}

/// Per token id of a JSON report: (requests, failures, no_verdict), absent counts as 0.
pub fn outcomes_per_token(
    j: &serde_json::Value,
) -> std::collections::BTreeMap<String, (u64, u64, u64)> {
    j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let n = |k: &str| t[k].as_u64().unwrap_or(0);
            (
                t["token_id"].as_str().unwrap().to_string(),
                (n("requests"), n("failures"), n("no_verdict")),
            )
        })
        .collect()
}

/// Every `.rs` file below `dir`, sorted: for the tests that read the source itself.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}
