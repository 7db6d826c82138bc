//! The capture's self-check. A Jira that writes no PAT line (a wrong `--log`, another
//! node's file, a 9.5+ whose log4j2 JVM arguments were lost, a layout we do not know) must
//! never yield a confident "no token-authenticated requests". So, once the profile is
//! applied, one request is made with a token and its lines are looked for in the followed
//! logs by the request id Jira answered with (`X-AREQUESTID`, the id its log lines carry:
//! jira-facts §7). That works at every profile; where the profile logs a token id, that id
//! must also read back as the probe token's. And since Jira answered the probe as a user,
//! its lines must read back, through the report's own scanner, as a success of its token
//! ([`read_back`]): a success line worded in a way this version does not know would
//! otherwise turn every token request of the window into a "failure".
//!
//! With a password login the probe token is a temporary one (1 day), journaled before it is
//! used and revoked right after the probe, so `restore` can revoke a leftover after a crash.
//! The probe is nobody's usage: its lines are kept out of the report, on the node where they
//! were seen only (request ids repeat across nodes).

use crate::jira::{Client, JiraError, PatError, ProbeAnswer};
use crate::journal::Journal;
use crate::level::Level;
use crate::profiles::Profile;
use crate::scan::{line, pat, Outcome, Scanner, Watched, Zone};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Name of the temporary token; `restore` revokes our tokens of this name when it never
/// heard the id.
pub use crate::token::SELF_CHECK_NAME as TOKEN_NAME;
/// The probe: cheap, authenticated, and every Jira has it.
pub const PROBE_PATH: &str = "/rest/api/2/myself";
/// How long after our request's first line the rest of its lines (the token id) may take.
const GRACE: Duration = Duration::from_secs(3);

/// PAT plugin classes that log while authenticating a token request, with the level their
/// per-request line needs (jira-facts §2), and whether that line names the token id.
const REQUEST_LOGGERS: [(&str, Level, bool); 7] = [
    (
        "com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter",
        Level::Trace,
        true,
    ),
    (
        "com.atlassian.pats.service.DefaultTokenAuthenticationService",
        Level::Trace,
        true,
    ),
    (
        "com.atlassian.pats.checker.JiraProductUserProvider",
        Level::Debug,
        false,
    ),
    (
        "com.atlassian.pats.db.PersonalTokenConfigEnricher",
        Level::Debug,
        false,
    ),
    (
        "com.atlassian.pats.service.CachingTokenValidator",
        Level::Trace,
        false,
    ),
    (
        "com.atlassian.pats.service.DefaultTokenValidator",
        Level::Trace,
        false,
    ),
    (
        "com.atlassian.pats.web.filter.LastAccessedTimeBatcher$TokenBatch",
        Level::Trace,
        false,
    ),
];

/// What a profile makes Jira log for one token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// Some request logger the profile raises reaches the level that logs a token request.
    pub lines: bool,
    /// One of those loggers' lines carries the token id (not only the user).
    pub token_id: bool,
}

/// Judged from the profile's own loggers: a class the profile does not cover keeps Jira's
/// level, which we do not rely on.
pub fn expectation(profile: &Profile) -> Expect {
    let level_of = |logger: &str| {
        profile
            .loggers
            .iter()
            .filter(|(name, _)| {
                name == crate::jira::ROOT
                    || logger == name
                    || logger.starts_with(&format!("{name}."))
                    || logger.starts_with(&format!("{name}$"))
            })
            .max_by_key(|(name, _)| {
                if name == crate::jira::ROOT {
                    0
                } else {
                    name.len()
                }
            })
            .map(|(_, l)| *l)
    };
    let mut e = Expect {
        lines: false,
        token_id: false,
    };
    for (logger, needs, names_token) in REQUEST_LOGGERS {
        if level_of(logger).is_some_and(|l| l.enables(needs)) {
            e.lines = true;
            e.token_id |= names_token;
        }
    }
    e
}

/// How the self-check ended.
#[derive(Debug)]
pub enum SelfCheck {
    /// `--no-self-check`.
    Off,
    /// It could not be made (why); the capture goes on with the "no PAT line yet" hint.
    Skipped(String),
    /// Our request's lines were found where expected (and with our token id where the profile logs one).
    Passed {
        /// The node (`X-ANODEID`) or, without one, the log file.
        place: String,
        /// From sending the probe to first seeing its lines.
        after: Duration,
        /// The probe's log lines as they stood when it passed, raw: `diagnose` bundles
        /// them after masking.
        lines: Vec<Vec<u8>>,
    },
    /// The lines were missing, unreadable, in another node's file or named another token.
    Failed(SelfCheckFailure),
    /// A signal or a log error ended the capture before the self-check did.
    Unfinished,
}

/// Why the logs did not show our request as the profile says they should. Each message: the
/// case, then what to look at.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SelfCheckFailure {
    /// No line with our request id in any followed file before the timeout.
    #[error("self-check failed: no log line of our test request ({request_id}{node}) within {secs} s in {files}\nlikely a wrong --log path, another node's file (each Data Center node writes its own), or a Jira 9.5+ whose log4j2 JVM arguments were lost in an upgrade (runtime levels then do nothing: see bin/setenv.sh)", node = on_node(.node.as_deref()), files = list(.files))]
    NoLine {
        /// Jira's `X-AREQUESTID` of the probe.
        request_id: String,
        /// The answering node (`X-ANODEID`); `None` on a single-node Jira.
        node: Option<String>,
        /// The self-check timeout, whole seconds.
        secs: u64,
        /// Every followed log file.
        files: Vec<PathBuf>,
    },
    /// A line of our request was seen but not parsed (or gave no token id where one was due).
    #[error("self-check failed: a log line of our test request ({request_id}) in {} could not be read: {line}\nthe log layout may differ from Jira's stock one ({why}): run `jira-patrol diagnose --self-check --log FILE` and send the bundle", file.display())]
    Unparsed {
        /// Jira's `X-AREQUESTID` of the probe.
        request_id: String,
        /// The log file that held the line.
        file: PathBuf,
        /// What did not parse, in a few words.
        why: String,
        /// Hashes and token-like strings masked.
        line: String,
    },
    /// The lines appeared only in a file not named after the node that answered.
    #[error("self-check failed: our test request ({request_id}) was served by node {node}, but its lines are in {}, not in {}\ngive each node's own atlassian-jira.log with --log", found.display(), expected.display())]
    Elsewhere {
        /// Jira's `X-AREQUESTID` of the probe.
        request_id: String,
        /// The answering node (`X-ANODEID`).
        node: String,
        /// The followed file that held the lines.
        found: PathBuf,
        /// The followed file whose path names the node.
        expected: PathBuf,
    },
    /// Nodes whose probes showed in none of the logs given, although every node must be
    /// read (no `--allow-partial`, no `--nodes`).
    #[error("self-check failed: the requests of {} showed in none of the logs given: each node writes its own log\ngive each node's log with --log NODE=PATH, or accept a part with --allow-partial", .nodes.join(", "))]
    Uncovered {
        /// The nodes not covered.
        nodes: Vec<String>,
    },
    /// Jira answered the probe as a user, and its lines read as something else than a
    /// success of its token: a wording this version does not know, never to be reported as
    /// failures.
    #[error("self-check failed: Jira answered our test request ({request_id}) as {user} (HTTP {status}), but its lines in {} read as {read_as}, not as a success of its token\nthis Jira's PAT plugin may word its lines in a way this version of jira-patrol does not know, so the capture stops rather than report its requests wrongly: run `jira-patrol diagnose --self-check --log FILE` and send the bundle\nthe request's lines (hashes masked):\n{}", file.display(), indent(.lines))]
    NotASuccess {
        /// Jira's `X-AREQUESTID` of the probe.
        request_id: String,
        /// The log file that held the lines.
        file: PathBuf,
        /// The HTTP status Jira answered.
        status: u16,
        /// Whom Jira answered as (`X-AUSERNAME`), or `a user` when it did not say.
        user: String,
        /// What the lines read as, in words.
        read_as: String,
        /// The probe's lines, hashes and token-like strings masked.
        lines: Vec<String>,
    },
    /// The lines name a token id other than the probe's own.
    #[error("self-check failed: the lines of our test request ({request_id}) in {} name token id {got}, not {want}\nthis Jira logs differently from what jira-patrol knows: run `jira-patrol diagnose --self-check --log FILE` and send the bundle", file.display())]
    WrongToken {
        /// Jira's `X-AREQUESTID` of the probe.
        request_id: String,
        /// The log file that held the lines.
        file: PathBuf,
        /// The token id the lines name.
        got: String,
        /// The probe token's id.
        want: String,
    },
}

fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn on_node(n: Option<&str>) -> String {
    n.map(|n| format!(", served by node {n}"))
        .unwrap_or_default()
}

fn list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The probe was answered: now its lines are awaited.
pub struct Probe {
    /// Jira's `X-AREQUESTID` of the probe answer, trimmed.
    pub request_id: String,
    /// The answering node (`X-ANODEID`); `None` on a single-node Jira.
    pub node: Option<String>,
    /// The probe token's id, when known; compared where the profile logs one.
    pub token_id: Option<String>,
    /// What the profile should make Jira log for the probe.
    pub expect: Expect,
    /// Jira's answer (status, `X-AUSERNAME`) when it authenticated the probe by its token
    /// (a 2xx from `/myself`, not as anonymous); `None` when it did not.
    pub accepted: Option<(u16, Option<String>)>,
    sent_at: Instant,
    timeout: Duration,
    /// The followed file whose path names the answering node, if exactly one does.
    expected_file: Option<usize>,
    first_seen: Option<Instant>,
    zone: Zone,
}

/// What [`start`] gives: a probe to watch for, or why there is none.
pub enum Start {
    /// The probe was answered: await its lines with [`Probe::verdict`].
    Probe(Probe),
    /// No self-check (why, one line): the capture goes on without it.
    Skipped(String),
}

/// Make the probe request (creating, journaling and revoking a temporary token with a
/// password login). `say` gets notes worth a line on stderr.
pub fn start(
    client: &Client,
    journal: &Journal,
    profile: &Profile,
    logs: &[PathBuf],
    timeout: Duration,
    say: &mut dyn FnMut(String),
) -> Start {
    let expect = expectation(profile);
    if !expect.lines {
        return Start::Skipped(format!(
            "profile {} makes Jira log no PAT line for a token request",
            profile.name
        ));
    }
    let sent = with_probe_token(client, journal, say, &mut |token| {
        let sent_at = Instant::now();
        (client.probe(PROBE_PATH, token), sent_at)
    });
    let ((answer, sent_at), token_id) = match sent {
        Ok(v) => v,
        Err(why) => return Start::Skipped(why),
    };
    match Probe::from_answer(answer, token_id, expect, sent_at, timeout, say) {
        Ok(mut p) => {
            p.expected_file = p.node.as_deref().and_then(|n| file_of_node(logs, n));
            Start::Probe(p)
        }
        Err(why) => Start::Skipped(why),
    }
}

impl Probe {
    /// The probe for an answer Jira gave; Err: why its lines cannot be looked for.
    pub fn from_answer(
        answer: Result<ProbeAnswer, PatError>,
        token_id: Option<String>,
        expect: Expect,
        sent_at: Instant,
        timeout: Duration,
        say: &mut dyn FnMut(String),
    ) -> Result<Probe, String> {
        let answer: ProbeAnswer = match answer {
            Ok(a) => a,
            Err(e) => {
                return Err(format!(
                    "our test request got no answer ({})",
                    first_line(&e)
                ))
            }
        };
        let Some(request_id) = answer.request_id.filter(|r| !r.trim().is_empty()) else {
            return Err(
                "Jira's answer to our test request carries no X-AREQUESTID header (a proxy may drop it), so its log lines cannot be found".into(),
            );
        };
        let anonymous = answer.username.as_deref() == Some("anonymous");
        if answer.status == 401 || anonymous {
            say(format!(
                "self-check: Jira did not accept our test token (HTTP {}); looking for the request's lines all the same",
                answer.status
            ));
        }
        // `/myself` answers 2xx only to someone authenticated: here, by the probe's token.
        let accepted = ((200..300).contains(&answer.status) && !anonymous)
            .then(|| (answer.status, answer.username.clone()));
        Ok(Probe {
            request_id: request_id.trim().to_string(),
            node: answer.node,
            token_id,
            expect,
            accepted,
            sent_at,
            timeout,
            expected_file: None,
            first_seen: None,
            zone: Zone::new(jiff::tz::TimeZone::UTC),
        })
    }

    /// The followed log (index) that must hold the lines: the one of the answering node.
    pub fn expect_in(&mut self, file: Option<usize>) {
        self.expected_file = file;
    }
}

/// Run `send` with the token probes are made with: our own PAT, else a temporary token
/// (journaled before use, revoked right after `send`), whose token id comes back beside
/// what `send` gave. Err: why no probe can be made (one line).
pub fn with_probe_token<T>(
    client: &Client,
    journal: &Journal,
    say: &mut dyn FnMut(String),
    send: &mut dyn FnMut(Option<&crate::secret::Secret>) -> T,
) -> Result<(T, Option<String>), String> {
    if client.has_token() {
        return Ok((send(None), client.own_token_id()));
    }
    with_temporary_token(client, journal, say, send)
}

/// Create, journal, use, revoke. Err: why the self-check cannot be made.
fn with_temporary_token<T>(
    client: &Client,
    journal: &Journal,
    say: &mut dyn FnMut(String),
    send: &mut dyn FnMut(Option<&crate::secret::Secret>) -> T,
) -> Result<(T, Option<String>), String> {
    if let Err(e) = journal.note_token(client, TOKEN_NAME, None) {
        return Err(format!(
            "the temporary token could not be recorded in the journal ({})",
            first_line(&e)
        ));
    }
    let token = match client.create_token(TOKEN_NAME, 1) {
        Ok(t) => t,
        Err(e) => {
            // Jira said no: nothing exists to revoke. Without an answer it may exist: the
            // journal keeps the name for `restore`.
            if matches!(e, PatError::Refused { .. } | PatError::NeedsPassword) {
                let _ = journal.forget_token(client.base_url(), None);
            }
            return Err(match e {
                PatError::Refused { status, message, .. } => format!(
                    "Jira refused a temporary token (HTTP {status}: {message}; the 10-token limit, tokens disabled, or no Data Center licence)"
                ),
                PatError::Jira(e @ JiraError::Server { .. }) => format!(
                    "no temporary token ({}; not sent again: Jira may have made one, and the restore at the end revokes any token named '{TOKEN_NAME}')",
                    first_line(&e)
                ),
                e => format!("no temporary token ({})", first_line(&e)),
            });
        }
    };
    if let Err(e) = journal.note_token(client, TOKEN_NAME, Some(token.id)) {
        revoke(client, journal, token.id, say);
        return Err(format!(
            "the temporary token could not be recorded in the journal ({e})"
        ));
    }
    let token_id = crate::token::token_id(token.raw.expose()).ok();
    let sent = send(Some(&token.raw));
    revoke(client, journal, token.id, say);
    Ok((sent, token_id))
}

/// A note is one line: the first of a two-line error (what happened, not what to do).
fn first_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn revoke(client: &Client, journal: &Journal, id: u64, say: &mut dyn FnMut(String)) {
    match client.revoke_token(id) {
        Ok(_) => {
            if let Err(e) = journal.forget_token(client.base_url(), Some(id)) {
                say(format!("self-check: {e}"));
            }
        }
        Err(e) => say(format!(
            "self-check: the temporary token '{TOKEN_NAME}' could not be revoked yet ({}); the restore at the end tries again (or `jira-patrol restore`)",
            first_line(&e)
        )),
    }
}

/// The one followed file whose path names `node` as a word (`.../node2/log/...`).
pub(crate) fn file_of_node(logs: &[PathBuf], node: &str) -> Option<usize> {
    if logs.len() < 2 {
        return None;
    }
    let named: Vec<usize> = logs
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.to_string_lossy()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.eq_ignore_ascii_case(node))
        })
        .map(|(i, _)| i)
        .collect();
    (named.len() == 1).then(|| named[0])
}

/// A verdict on the lines seen so far.
#[derive(Debug)]
pub enum Verdict {
    /// Seen in `logs[file]`.
    Passed {
        /// Index of the followed file (in `logs`) that held the lines.
        file: usize,
        /// The node (`X-ANODEID`) or, without one, the log file.
        place: String,
        /// From sending the probe to first seeing its lines.
        after: Duration,
        /// The probe's lines, raw (not masked).
        lines: Vec<Vec<u8>>,
    },
    /// Missing, unreadable, elsewhere or another token: the error tells the user.
    Failed(SelfCheckFailure),
}

impl Probe {
    /// `None` while it is too early to tell. `watched[i]` is what the scanner of `logs[i]`
    /// holds of the probe's request id.
    pub fn verdict(
        &mut self,
        logs: &[PathBuf],
        watched: &[Option<Watched<'_>>],
    ) -> Option<Verdict> {
        let now = Instant::now();
        let timed_out = now.duration_since(self.sent_at) >= self.timeout;
        // Lines of our request: the id, and our path where the layout logs one (another
        // node's request can share the id, not also the path).
        let mut found: Option<(usize, Vec<&[u8]>)> = None;
        for (i, w) in watched.iter().enumerate() {
            let Some(w) = w else { continue };
            let ours: Vec<&[u8]> = w
                .lines
                .iter()
                .map(Vec::as_slice)
                .filter(|l| {
                    line::parse(l, &mut self.zone).is_some_and(|p| {
                        let url = p.url.split(|&c| c == b'?').next().unwrap_or(b"");
                        url.is_empty() || url == PROBE_PATH.as_bytes()
                    })
                })
                .collect();
            if ours.is_empty() {
                continue;
            }
            // The node's own file wins over a coincidence elsewhere (request ids repeat
            // across nodes); failing that, the file whose lines name our token.
            let ours_by_token =
                |s: &mut Self, l: &[&[u8]]| s.token_id.is_some() && s.token_id_in(l) == s.token_id;
            let better = match &found {
                None => true,
                Some((f, _)) if Some(*f) == self.expected_file => false,
                Some((_, prev)) => {
                    Some(i) == self.expected_file
                        || (ours_by_token(self, &ours) && !ours_by_token(self, prev))
                }
            };
            if better {
                found = Some((i, ours));
            }
        }
        let Some((file, lines)) = found else {
            if !timed_out {
                return None;
            }
            if let Some((i, odd)) = watched
                .iter()
                .enumerate()
                .find_map(|(i, w)| w.as_ref().and_then(|w| w.odd).map(|o| (i, o)))
            {
                return Some(Verdict::Failed(SelfCheckFailure::Unparsed {
                    request_id: self.request_id.clone(),
                    file: logs[i].clone(),
                    why: "the request id is not where the stock layout puts it".into(),
                    line: mask(odd),
                }));
            }
            return Some(Verdict::Failed(SelfCheckFailure::NoLine {
                request_id: self.request_id.clone(),
                node: self.node.clone(),
                secs: self.timeout.as_secs(),
                files: logs.to_vec(),
            }));
        };
        let first_seen = *self.first_seen.get_or_insert(now);
        if let (Some(exp), Some(node)) = (self.expected_file, &self.node) {
            if exp != file {
                // Its own node's file may just be slower to show it.
                if !timed_out && now.duration_since(first_seen) < GRACE {
                    return None;
                }
                return Some(Verdict::Failed(SelfCheckFailure::Elsewhere {
                    request_id: self.request_id.clone(),
                    node: node.clone(),
                    found: logs[file].clone(),
                    expected: logs[exp].clone(),
                }));
            }
        }
        let settled = timed_out || now.duration_since(first_seen) >= GRACE;
        if self.expect.token_id {
            match self.token_id_in(&lines) {
                Some(got) => {
                    if let Some(want) = self.token_id.as_ref().filter(|w| **w != got) {
                        return Some(Verdict::Failed(SelfCheckFailure::WrongToken {
                            request_id: self.request_id.clone(),
                            file: logs[file].clone(),
                            got,
                            want: want.clone(),
                        }));
                    }
                }
                // Jira accepted the token: the outcome check below says what the lines are.
                None if self.accepted.is_some() => {}
                None => {
                    if !timed_out && now.duration_since(first_seen) < GRACE {
                        return None;
                    }
                    let shown = lines
                        .iter()
                        .find(|l| pat::find(l, b"okenId").is_some())
                        .unwrap_or(&lines[0]);
                    return Some(Verdict::Failed(SelfCheckFailure::Unparsed {
                        request_id: self.request_id.clone(),
                        file: logs[file].clone(),
                        why: "the profile logs the token id, and no line of the request gave one"
                            .into(),
                        line: mask(shown),
                    }));
                }
            }
        }
        match self.check_outcome(&logs[file], &lines, settled)? {
            Ok(()) => {}
            Err(f) => return Some(Verdict::Failed(f)),
        }
        let place = match &self.node {
            Some(n) => n.clone(),
            None => logs[file].display().to_string(),
        };
        Some(Verdict::Passed {
            file,
            place,
            after: first_seen.duration_since(self.sent_at),
            lines: lines.iter().map(|l| l.to_vec()).collect(),
        })
    }

    /// The outcome check, on the probe's lines as found in `file`: when Jira accepted the
    /// probe's token, they must read back as a success of it ([`read_back`]). `None` while
    /// the request may still be writing lines (`settled` false); `Ok` when Jira did not
    /// accept the token (nothing to compare with) or the lines agree. One node's lines at a
    /// time: a cluster-aware caller calls it per node.
    pub fn check_outcome(
        &self,
        file: &std::path::Path,
        lines: &[&[u8]],
        settled: bool,
    ) -> Option<Result<(), SelfCheckFailure>> {
        let Some((status, user)) = &self.accepted else {
            return Some(Ok(()));
        };
        match read_back(lines, self.expect, settled) {
            ReadBack::Pending => None,
            ReadBack::Success => Some(Ok(())),
            ReadBack::Other(read_as) => Some(Err(SelfCheckFailure::NotASuccess {
                request_id: self.request_id.clone(),
                file: file.to_path_buf(),
                status: *status,
                user: user
                    .as_deref()
                    .map_or_else(|| "a user".to_string(), |u| format!("user {u}")),
                read_as,
                lines: lines.iter().map(|l| mask(l)).collect(),
            })),
        }
    }

    fn token_id_in(&mut self, lines: &[&[u8]]) -> Option<String> {
        lines.iter().find_map(|l| {
            let p = line::parse(l, &mut self.zone)?;
            let id: &[u8] = match pat::classify(p.message) {
                pat::PatMessage::GotTokenId(id) => id,
                pat::PatMessage::AuthSuccess { token_id, .. } => token_id,
                pat::PatMessage::TokenDto(d) => d.token_id,
                _ => return None,
            };
            pat::is_token_id(id).then(|| String::from_utf8_lossy(id).into_owned())
        })
    }
}

/// How a request's lines read through the report's scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    /// The request is not finished yet (its verdict or the filter's end may still come).
    Pending,
    /// A success of a token; where the profile logs no token id, a request of its user.
    Success,
    /// Anything else, in words (`a failed attempt (…)`, `no request at all`, …).
    Other(String),
}

/// Read one request's PAT lines (the self-check probe's) exactly as a report would: through
/// a fresh [`Scanner`]. Until `settled`, a request the scanner still holds open is
/// [`ReadBack::Pending`]; once settled it is finalised as at the end of a log.
pub fn read_back(lines: &[&[u8]], expect: Expect, settled: bool) -> ReadBack {
    let mut scanner = Scanner::new(Zone::new(jiff::tz::TimeZone::UTC));
    let mut read = Vec::new();
    for l in lines {
        scanner.feed(l, &mut |r| read.push(r));
        scanner.feed(b"\n", &mut |r| read.push(r));
    }
    if read.is_empty() {
        if !settled {
            return ReadBack::Pending;
        }
        scanner.end_stream(&mut |r| read.push(r));
    }
    let Some(r) = read.first() else {
        return ReadBack::Other(
            "no request at all (none of them is a line jira-patrol reads as a token request's verdict)".into(),
        );
    };
    match r.outcome {
        Some(Outcome::Success) if r.token_id.is_some() => ReadBack::Success,
        Some(Outcome::Unidentified) if !expect.token_id => ReadBack::Success,
        Some(Outcome::Unidentified) => ReadBack::Other(format!(
            "a request of user {} whose token the log does not name",
            r.user_key.as_deref().unwrap_or("?")
        )),
        Some(Outcome::Failure) => ReadBack::Other(format!(
            "a failed attempt ({})",
            r.reason.as_deref().unwrap_or("no reason logged")
        )),
        Some(Outcome::NotPat) => {
            ReadBack::Other("a Bearer value that is no personal access token".into())
        }
        Some(Outcome::NoVerdict) => ReadBack::Other(format!(
            "a token request with no verdict ({})",
            r.reason.as_deref().unwrap_or("no verdict line")
        )),
        Some(Outcome::Success) | None => ReadBack::Other("a request without an outcome".into()),
    }
}

/// A log line fit to print: hashes and anything shaped like a token replaced by `***`,
/// cut to a readable length.
pub fn mask(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut rest: &str = &s;
    // Values after these markers are hashes and session ids (jira-facts §2): never shown.
    while let Some((i, marker)) = ["hashedToken=", "hashed token: [", "with an ID ["]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min()
    {
        out.push_str(&rest[..i + marker.len()]);
        out.push_str("***");
        let after = &rest[i + marker.len()..];
        let end = after.find([',', ')', ']']).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    let masked = mask_token_shaped(&out);
    let mut cut: String = masked.chars().take(400).collect();
    if cut.len() < masked.len() {
        cut.push('…');
    }
    cut
}

/// Base64 runs as long as a PAT (44) or a hash, with upper, lower case and digits mixed:
/// paths and class names are not like that.
fn mask_token_shaped(s: &str) -> String {
    let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let w = word.as_str();
        let mixed = w.chars().any(|c| c.is_ascii_uppercase())
            && w.chars().any(|c| c.is_ascii_lowercase())
            && w.chars().any(|c| c.is_ascii_digit())
            && w.matches('/').count() <= 3;
        if w.len() >= 40 && mixed {
            out.push_str("***");
        } else {
            out.push_str(w);
        }
        word.clear();
    };
    for c in s.chars() {
        if b64(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The self-check's one status line.
pub fn passed_line(place: &str, after: Duration) -> String {
    format!(
        "self-check: our request seen on {place} after {:.1} s",
        after.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(loggers: &[(&str, Level)]) -> Profile {
        let mut p = crate::profiles::load("pats-trace", None).unwrap();
        p.loggers = loggers.iter().map(|(l, v)| (l.to_string(), *v)).collect();
        p
    }

    #[test]
    fn what_each_profile_should_log_for_the_probe() {
        for (name, lines, token_id) in [
            ("pats-trace", true, true),
            ("pats-debug", true, false),
            ("pats-service-trace", true, true),
            ("pats-filter-trace", true, true),
        ] {
            let p = crate::profiles::load(name, None).unwrap();
            assert_eq!(expectation(&p), Expect { lines, token_id }, "{name}");
        }
        let none = profile(&[("com.atlassian.jira", Level::Trace)]);
        assert!(!expectation(&none).lines);
        let root = profile(&[("root", Level::Debug)]);
        assert_eq!(
            expectation(&root),
            Expect {
                lines: true,
                token_id: false
            }
        );
        let narrowed = profile(&[
            ("com.atlassian.pats", Level::Trace),
            ("com.atlassian.pats.web.filter", Level::Warn),
            ("com.atlassian.pats.service", Level::Warn),
        ]);
        assert_eq!(
            expectation(&narrowed),
            Expect {
                lines: true,
                token_id: false
            }
        );
    }

    #[test]
    fn masked_lines_show_no_hash_or_token() {
        let pat = crate::token::encode("355510638677", &[0xab; 20]);
        let line = format!("2022-10-11 15:04:09,202+0000 exec-4 TRACE admin 904x1468x1 - 1.2.3.4 /rest/api/2/myself [c.a.pats.service.DefaultTokenAuthenticationService] Authentication successful - returning token: [TokenDTO(id=2, userKey=admin, hashedToken={{PKCS5S2}}iOmg/bw0dXyz, tokenId=355510638677, name=test)] Bearer {pat}");
        let m = mask(line.as_bytes());
        assert!(!m.contains("iOmg") && !m.contains(&pat), "{m}");
        assert!(m.contains("hashedToken=***, tokenId=355510638677"), "{m}");
        assert!(m.contains("/rest/api/2/myself"), "{m}");
        let v = mask(b"Verifying user token with hashed token: [{PKCS5S2}abc]");
        assert_eq!(v, "Verifying user token with hashed token: [***]");
        let v = mask(b"Invalidating session authenticated using personal access token with an ID [26E8A1ACB0071FE7F02B9458D1F1C588]");
        assert!(v.ends_with("with an ID [***]"), "{v}");
    }

    const KB: &str = include_str!("../../tests/fixtures/logs/kb-pat-trace-snippet.log");

    fn probe(node: Option<&str>, token_id: &str, expected_file: Option<usize>) -> Probe {
        Probe {
            request_id: "904x1468x1".into(),
            node: node.map(str::to_string),
            token_id: Some(token_id.into()),
            expect: Expect {
                lines: true,
                token_id: true,
            },
            accepted: None,
            sent_at: Instant::now(),
            timeout: Duration::ZERO,
            expected_file,
            first_seen: None,
            zone: Zone::new(jiff::tz::TimeZone::UTC),
        }
    }

    /// The KB request as if it were our probe (its URL made ours).
    fn kb_lines() -> Vec<Vec<u8>> {
        KB.replace("/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19", PROBE_PATH)
            .lines()
            .map(|l| l.as_bytes().to_vec())
            .collect()
    }

    fn logs() -> Vec<PathBuf> {
        vec![
            PathBuf::from("/j/node1/a.log"),
            PathBuf::from("/j/node2/a.log"),
        ]
    }

    #[test]
    fn verdicts_name_each_case() {
        let lines = kb_lines();
        let seen = |i: usize| -> Vec<Option<Watched<'_>>> {
            (0..2)
                .map(|j| {
                    Some(Watched {
                        lines: if i == j { &lines[..] } else { &[] },
                        odd: None,
                    })
                })
                .collect()
        };
        let v = probe(Some("node1"), "355510638677", Some(0)).verdict(&logs(), &seen(0));
        assert!(
            matches!(&v, Some(Verdict::Passed { file: 0, place, .. }) if place == "node1"),
            "{v:?}"
        );
        let v = probe(None, "111111111111", None).verdict(&logs(), &seen(1));
        assert!(
            matches!(
                v,
                Some(Verdict::Failed(SelfCheckFailure::WrongToken { .. }))
            ),
            "{v:?}"
        );
        let v = probe(Some("node1"), "355510638677", Some(0)).verdict(&logs(), &seen(1));
        assert!(
            matches!(v, Some(Verdict::Failed(SelfCheckFailure::Elsewhere { .. }))),
            "{v:?}"
        );
        let none: Vec<Option<Watched<'_>>> = vec![None, None];
        let v = probe(None, "355510638677", None).verdict(&logs(), &none);
        let Some(Verdict::Failed(f @ SelfCheckFailure::NoLine { .. })) = v else {
            panic!("{v:?}")
        };
        assert!(
            f.to_string().contains("/j/node1/a.log, /j/node2/a.log"),
            "{f}"
        );
        // Lines of our request, none with a token id it can read: shown, masked.
        let no_id: Vec<Vec<u8>> = lines
            .iter()
            .filter(|l| !String::from_utf8_lossy(l).contains("okenId"))
            .cloned()
            .collect();
        let w = vec![Some(Watched {
            lines: &no_id,
            odd: None,
        })];
        let v = probe(None, "355510638677", None).verdict(&logs()[..1], &w);
        let Some(Verdict::Failed(f @ SelfCheckFailure::Unparsed { .. })) = v else {
            panic!("{v:?}")
        };
        assert!(!f.to_string().contains("PKCS5S2}"), "{f}");
        // Another node's request with the same id but another path is not ours.
        let other: Vec<Vec<u8>> = KB.lines().map(|l| l.as_bytes().to_vec()).collect();
        let w = vec![Some(Watched {
            lines: &other,
            odd: None,
        })];
        let v = probe(None, "355510638677", None).verdict(&logs()[..1], &w);
        assert!(
            matches!(v, Some(Verdict::Failed(SelfCheckFailure::NoLine { .. }))),
            "{v:?}"
        );
    }

    #[test]
    fn an_accepted_probe_must_read_back_as_a_success_of_its_token() {
        let lines = kb_lines();
        let accepted = |mut p: Probe| {
            p.accepted = Some((200, Some("admin".into())));
            p
        };
        fn w(l: &[Vec<u8>]) -> Vec<Option<Watched<'_>>> {
            vec![Some(Watched {
                lines: l,
                odd: None,
            })]
        }
        let v = accepted(probe(None, "355510638677", None)).verdict(&logs()[..1], &w(&lines));
        assert!(matches!(v, Some(Verdict::Passed { .. })), "{v:?}");
        // Another wording of the success line: the same request now reads as no verdict.
        let reworded: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| {
                String::from_utf8_lossy(l)
                    .replace(
                        "Auth SUCCESS for user: [admin] and tokenId: [355510638677] and expiry:",
                        "Token authentication succeeded: user admin, token 355510638677, expiry ",
                    )
                    .into_bytes()
            })
            .collect();
        let v = accepted(probe(None, "355510638677", None)).verdict(&logs()[..1], &w(&reworded));
        let Some(Verdict::Failed(f @ SelfCheckFailure::NotASuccess { .. })) = v else {
            panic!("{v:?}")
        };
        let text = f.to_string();
        assert!(
            text.contains("read as a token request with no verdict"),
            "{text}"
        );
        assert!(text.contains("as user admin (HTTP 200)"), "{text}");
        assert!(text.contains("diagnose --self-check"), "{text}");
        assert!(
            text.contains("Token authentication succeeded"),
            "the lines: {text}"
        );
        assert!(!text.contains("PKCS5S2}iOmg"), "hashes masked: {text}");
        // Not accepted by Jira: nothing to compare the lines with.
        let v = probe(None, "355510638677", None).verdict(&logs()[..1], &w(&reworded));
        assert!(matches!(v, Some(Verdict::Passed { .. })), "{v:?}");
    }

    #[test]
    fn read_back_waits_for_the_verdict_and_knows_what_each_profile_can_tell() {
        let lines = kb_lines();
        let refs = |f: &dyn Fn(&str) -> bool| -> Vec<Vec<u8>> {
            lines
                .iter()
                .filter(|l| f(&String::from_utf8_lossy(l)))
                .cloned()
                .collect()
        };
        fn as_refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
            v.iter().map(Vec::as_slice).collect()
        }
        let full = Expect {
            lines: true,
            token_id: true,
        };
        // Up to `Auth SUCCESS`, without the filter's end: not over yet, then a success.
        let head = refs(&|l| !l.contains("<<<") && !l.contains("Invalidating"));
        assert_eq!(read_back(&as_refs(&head), full, false), ReadBack::Pending);
        assert_eq!(read_back(&as_refs(&head), full, true), ReadBack::Success);
        // DEBUG only: a user, no token: a success where the profile names no token.
        let debug = refs(&|l| l.contains(" DEBUG "));
        let user_only = Expect {
            lines: true,
            token_id: false,
        };
        assert_eq!(
            read_back(&as_refs(&debug), user_only, false),
            ReadBack::Success
        );
        assert!(matches!(
            read_back(&as_refs(&debug), full, true),
            ReadBack::Other(_)
        ));
        // The filter's lines without a success line it knows: no request at all.
        let filter = refs(&|l| l.contains("web.filter") && !l.contains("Auth SUCCESS"));
        let ReadBack::Other(what) = read_back(&as_refs(&filter), full, true) else {
            panic!()
        };
        assert!(what.contains("no request"), "{what}");
    }

    #[test]
    fn the_file_of_a_node_is_the_one_path_naming_it() {
        let logs = vec![
            PathBuf::from("/srv/jira/node1/log/atlassian-jira.log"),
            PathBuf::from("/srv/jira/node2/log/atlassian-jira.log"),
        ];
        assert_eq!(file_of_node(&logs, "node2"), Some(1));
        assert_eq!(file_of_node(&logs, "node3"), None);
        assert_eq!(file_of_node(&logs[..1], "node1"), None);
    }
}
