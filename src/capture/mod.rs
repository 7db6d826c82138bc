//! Timed capture windows: raise the levels of a profile (journaled first), check that the
//! followed logs show a request of ours ([`selfcheck`]), follow the logs while scripts do
//! their work, then put the levels back — at the end, on Ctrl-C, on SIGTERM, on a Jira or
//! file error, on a failed self-check, when the rotation [`guard`] forecasts that the
//! window would rotate away older logs — and only then report which token did what.
//!
//! The window never restores silently half-way: a second Ctrl-C during the restore says
//! what is left; a third leaves it to `jira-patrol restore` (the journal stays), as
//! [`CaptureError::Interrupted`] (the command exits 130).
//!
//! Two captures of one Jira on this machine share its raised levels: the second joins the
//! first's (both are holders in the [`Journal`]), and only the last to end restores them.

/// Joining the access log live during a window.
pub mod access;
/// What a profile would cost, from a sample of Jira's request rate.
pub mod estimate;
/// Following growing, rotating log files.
/// The rotation guard: ends a window before it rotates away lines to keep.
pub mod guard;
pub mod nodecheck;
/// The self-check: one request of ours, looked for in the logs.
/// A typed capture: what the flags, the saved setup and the wizard all build.
pub mod plan;
/// Running a plan: connect-independent orchestration, messages and the outcome.
pub mod run;
pub mod selfcheck;
/// Ctrl-C and SIGTERM during a capture.
pub mod signals;

use crate::access::join::Http;
use crate::cluster::{Coverage, Decision, Membership, NodeCoverage, Scope};
use crate::jira::{Client, ClusterView};
use crate::journal::{self, Applied, Holder, Journal, RestoreReport};
use crate::profiles::Profile;
use crate::scan::{Request, Scanner, Zone};
use crate::source::follow::Event;
use crate::source::tail::{Gap, Happened, LineClock, Tail, TailError, Transports};
use crate::source::LogSource;
use crate::summary::{Filter, NodeCount, Report, Summary};
use crate::untrusted::Untrusted;
use selfcheck::{SelfCheck, Verdict};
use signals::{Phase, Signals};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Why a capture could not run (or was left before its restore finished).
#[allow(missing_docs)] // each variant's message says what it is
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Source(#[from] TailError),
    /// Jira's nodes and the logs given do not match: nothing was changed.
    #[error(transparent)]
    Coverage(#[from] crate::cluster::CoverageError),
    #[error("{path}: cannot follow the access log: {source}")]
    AccessLog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the window was stopped before it began (signal received); nothing was changed")]
    StoppedBeforeStart,
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// A third Ctrl-C or SIGTERM during the restore: left at once (what is left was said
    /// when the signal came; the journal keeps it for `jira-patrol restore`).
    #[error("left without finishing the restore: run `jira-patrol restore` (the journal keeps what is left)")]
    Interrupted,
    /// The restore's own thread could not start or died: the journal keeps the levels.
    #[error(
        "could not put the levels back ({0}): run `jira-patrol restore` (the journal keeps them)"
    )]
    Thread(String),
}

/// Called for every request as the window sees it, with its access-log line when joined.
pub type RequestHook = Box<dyn FnMut(&Request, Option<&Http>)>;

/// How a window runs.
pub struct Options {
    /// Where the levels are journaled (and other captures of the same Jira are seen).
    pub journal: Journal,
    /// The levels raised for the window.
    pub profile: Profile,
    /// How long the window lasts (from the self-check's verdict, or the raise).
    pub window: Duration,
    /// One atlassian-jira.log per node: a path, `ssh://…` or `exec:…`, perhaps naming its node.
    pub logs: Vec<LogSource>,
    /// Which part of a cluster may be read (`--nodes`, `--allow-partial`, `--node-url`).
    pub scope: Scope,
    /// The connections to the nodes' hosts (closed with the capture).
    pub transports: Transports,
    /// Jira's nodes, when already asked (else the window asks).
    pub cluster: Option<ClusterView>,
    /// Time zone of log lines without an offset.
    pub zone: Zone,
    /// Which requests the report counts.
    pub filter: Filter,
    /// How often the logs are read (a request shows in the live count this fast).
    pub poll: Duration,
    /// How often Jira is asked for its levels during the window.
    pub check_every: Duration,
    /// Say what silence can mean when no PAT line came for this long.
    pub quiet_after: Duration,
    /// Called for every request as it is seen (JSONL streaming).
    pub on_request: Option<RequestHook>,
    /// Wait this long for the self-check's request in the logs before the window begins;
    /// `None`: no self-check.
    pub self_check: Option<Duration>,
    /// The command named in the journal (`capture`, `check --self-check`).
    pub by: &'static str,
    /// The rotation guard's limits (`None`: no guard, `--no-guard`).
    pub guard: Option<guard::Limits>,
    /// With the guard: lines younger than this must stay; `None`: everything on disk.
    pub keep: Option<Duration>,
    /// Join each node's access log (`None`: no join).
    pub access: Option<access::LiveAccess>,
    /// Told what the window says and how far it got (the output layer shows it); by
    /// default nobody is.
    pub observer: Box<dyn Observer>,
}

/// What a window tells as it runs. The window never prints: the output layer's observer
/// shows it (a live status line on a terminal, plain lines in a pipe).
pub trait Observer {
    /// Something the person should know now (shown as a note).
    fn note(&mut self, text: &str);
    /// A line of its own, not a note (the guard's limits, the self-check's verdict).
    fn line(&mut self, text: &str);
    /// A warning: something the person asked for that weakens the capture.
    fn warning(&mut self, text: &str) {
        self.note(text);
    }
    /// How far the window got, every poll.
    fn progress(&mut self, _p: &Progress) {}
    /// The window is over: a live status goes.
    fn finish(&mut self) {}
}

/// Nobody listens: the window's words are kept in its [`Outcome`] only.
pub struct Silent;

impl Observer for Silent {
    fn note(&mut self, _text: &str) {}
    fn line(&mut self, _text: &str) {}
}

/// A window's progress at one poll.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Time left in the window.
    pub left: Duration,
    /// Requests counted so far (all nodes).
    pub requests: u64,
    /// Distinct tokens seen so far.
    pub tokens: usize,
    /// Bytes the followed logs grew by.
    pub log_bytes: u64,
    /// Time since the window began.
    pub elapsed: Duration,
}

impl Options {
    /// A window of `window` at `profile`, following `logs`, journaled in `journal`; the
    /// other settings at their defaults.
    pub fn new(
        profile: Profile,
        window: Duration,
        logs: Vec<LogSource>,
        journal: Journal,
    ) -> Options {
        Options {
            journal,
            profile,
            window,
            logs,
            scope: Scope::default(),
            transports: Transports::new(),
            cluster: None,
            zone: Zone::local(),
            filter: Filter::default(),
            poll: Duration::from_millis(200),
            check_every: Duration::from_secs(15),
            quiet_after: Duration::from_secs(60),
            on_request: None,
            self_check: None,
            by: "capture",
            guard: None,
            keep: None,
            access: None,
            observer: Box::new(Silent),
        }
    }
}

/// What a window saw and did.
pub struct Outcome {
    /// The summary of the window's requests.
    pub report: Report,
    /// The levels raised (and the captures joined).
    pub applied: Applied,
    /// `Err` holds why the levels could not be put back, or the self-check's token not
    /// revoked (the journal stays). `Ok` with `kept_for` set: another capture of the same
    /// Jira still runs and restores them when it ends.
    pub restore: Result<RestoreReport, journal::JournalError>,
    /// The signal that ended the window early.
    pub stopped_by: Option<i32>,
    /// When it failed, the report is not to be trusted (nor shown).
    pub self_check: SelfCheck,
    /// Things said during the window (also printed as they happened).
    pub notices: Vec<String>,
    /// How long the window ran.
    pub elapsed: Duration,
    /// Why the rotation guard ended the window early.
    pub guard_trip: Option<guard::Trip>,
    /// Requests the report counts (all nodes).
    pub requests: u64,
}

struct Node {
    source: LogSource,
    /// The node this log is (named by the user, or found by the self-check).
    node: Option<String>,
    /// How the self-check's messages name this log.
    label: PathBuf,
    tail: Tail,
    scanner: Scanner,
    requests: u64,
    join: Option<access::LiveJoiner>,
    clock: LineClock,
    gaps: Vec<Gap>,
    /// Lines dated before this are not the window's (a command prints the whole file).
    since_ms: Option<i64>,
    /// Jira listed several nodes: request ids repeat from node to node.
    clustered: bool,
}

/// How often a remote log is asked for what it gained.
const REMOTE_POLL: Duration = Duration::from_millis(200);
/// A command's output read from its start: lines this much older than the window's
/// start are the file's past, not the window (room for a node clock behind ours).
const EXEC_SKEW_MS: i64 = 300_000;

/// Run one window. Signals must be installed by the caller (see [`signals::install`]) so
/// that a Ctrl-C before the window started already counts.
pub fn run(client: &Client, mut opts: Options, sig: &Signals) -> Result<Outcome, CaptureError> {
    let mut status = Status {
        observer: std::mem::replace(&mut opts.observer, Box::new(Silent)),
        notices: Vec::new(),
    };
    // Which nodes Jira has, and whether the logs cover them: refused before anything
    // changes (exit 1, naming the nodes without a log and the flags that add one).
    let view = opts
        .cluster
        .take()
        .unwrap_or_else(|| client.cluster_nodes());
    let decision = crate::cluster::decide(&view, &opts.logs, &opts.scope)?;
    if let ClusterView::Unknown(why) = &view {
        let seen = client.nodes_seen();
        if !seen.is_empty() {
            status.say(format!(
                "Jira answers as Data Center node {} but its node list cannot be read ({why}): whether the logs cover every node cannot be checked",
                seen.join(", ")
            ));
        }
    }
    // Follow from the current end before anything changes, so no line of the window is
    // missed.
    let started_ms = jiff::Timestamp::now().as_millisecond();
    let mut nodes = Vec::new();
    for src in &opts.logs {
        let tail = Tail::start(src, &mut opts.transports, REMOTE_POLL)?;
        if !tail.exists() {
            status.say(format!(
                "{}: does not exist yet; it will be read once it appears",
                src.label()
            ));
        }
        let since_ms = tail.reads_from_start().then_some(started_ms - EXEC_SKEW_MS);
        nodes.push(Node {
            node: src.node.clone(),
            label: PathBuf::from(src.label()),
            source: src.clone(),
            tail,
            scanner: Scanner::new(opts.zone.clone()),
            requests: 0,
            join: None,
            clock: LineClock::default(),
            gaps: Vec::new(),
            since_ms,
            clustered: decision.nodes.len() > 1,
        });
    }
    let labels: Vec<PathBuf> = nodes.iter().map(|n| n.label.clone()).collect();
    if let Some(a) = &opts.access {
        for (n, dir) in nodes.iter_mut().zip(&a.dirs) {
            let live = match crate::source::ssh_path_of(dir) {
                Some(t) => {
                    access::LiveLines::start_remote(&t, &a.reading.prefix, &mut opts.transports)?
                }
                None => access::LiveLines::start(dir, &a.reading.prefix, a.reading.within.as_ref())
                    .map_err(|source| CaptureError::AccessLog {
                        path: dir.clone(),
                        source,
                    })?,
            };
            n.join = Some(crate::access::join::Joiner::new(
                a.reading.pattern.clone(),
                a.reading.unit,
                live,
            ));
        }
    }
    if sig.count() > 0 {
        return Err(CaptureError::StoppedBeforeStart);
    }
    // What is on disk before anything of ours is written.
    let mut guard = opts.guard.take().map(|limits| {
        let sets = nodes
            .iter()
            .map(|n| {
                n.tail.files(&n.source).unwrap_or_else(|| {
                    Box::new(guard::Unseen(n.source.to_string())) as Box<dyn guard::FileSet>
                })
            })
            .collect();
        guard::Guard::start_sets(sets, limits, opts.keep)
    });
    if let Some(g) = &guard {
        status.line(g.describe());
    }
    sig.set_phase(Phase::Applying);
    let applying = Instant::now();
    let holder = Holder::this_process(format!("{} {}", opts.by, opts.profile.name));
    if let Ok(page) = client.levels() {
        let ours = opts.journal.pending(client.base_url()).ok().flatten();
        for msg in raised_elsewhere(&page, &opts.profile.loggers, ours.as_ref()) {
            status.say(msg);
        }
        for (logger, level, wanted) in shadowing(&page, &opts.profile.loggers) {
            status.say(format!(
                "{logger} has an explicit {level} (Jira has no \"unset\": an earlier restore may have left it) that would hide its lines from this profile; it is raised to {wanted} for the window too"
            ));
            opts.profile.loggers.push((logger, wanted));
        }
    }
    let applied = opts
        .journal
        .hold(client, &opts.profile.loggers, opts.by, &holder)?;
    if !applied.joined.is_empty() {
        status.say(format!(
            "joining the levels {} already raised on this Jira: they stay raised until the last of these captures ends, which puts them back",
            holders_text(&applied.joined)
        ));
    }
    if let Some(g) = &mut guard {
        // Putting the levels back costs about what raising them did.
        g.set_reaction(opts.poll, applying.elapsed());
    }
    sig.set_journal(applied.journal.clone());
    sig.set_phase(Phase::Window);
    let started = Instant::now();
    let mut self_check = SelfCheck::Off;
    let mut probe = None;
    let mut cluster_check: Option<nodecheck::NodeCheck> = None;
    let mut decided_check: Option<nodecheck::NodeCheck> = None;
    if let Some(timeout) = opts.self_check {
        let mut say = |m: String| status.say(m);
        let expect = selfcheck::expectation(&opts.profile);
        let started = if !expect.lines {
            selfcheck::Start::Skipped(format!(
                "profile {} makes Jira log no PAT line for a token request",
                opts.profile.name
            ))
        } else if !decision.to_check.is_empty() {
            match nodecheck::start(
                client,
                &opts.journal,
                expect,
                &decision,
                &opts.scope,
                &labels,
                timeout,
                &mut say,
            ) {
                Ok(c) => {
                    for id in c.request_ids() {
                        for n in &mut nodes {
                            n.scanner.watch(&id);
                        }
                    }
                    cluster_check = Some(c);
                    selfcheck::Start::Skipped(String::new())
                }
                Err(why) => selfcheck::Start::Skipped(why),
            }
        } else {
            selfcheck::start(
                client,
                &opts.journal,
                &opts.profile,
                &labels,
                timeout,
                &mut say,
            )
        };
        match started {
            _ if cluster_check.is_some() => {}
            selfcheck::Start::Probe(p) => {
                for n in &mut nodes {
                    n.scanner.watch(&p.request_id);
                }
                probe = Some(p);
            }
            selfcheck::Start::Skipped(why) => {
                status.say(format!(
                    "self-check skipped: {why}. Without it, a silent log is only hinted at after {}s",
                    opts.quiet_after.as_secs()
                ));
                self_check = SelfCheck::Skipped(why);
            }
        }
    }
    let mut membership = Membership::new(decision.nodes.clone());
    // The window begins once the self-check passed, or once it was given up: minutes lost
    // trying to create its token (Jira unreachable) are not the window's.
    let mut deadline = Instant::now() + opts.window;
    // The wall-clock start of the window, for its timeline (log times are wall-clock).
    let mut window_start_ms = jiff::Timestamp::now().as_millisecond();
    let mut summary = Summary::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut next_check = started + opts.check_every;
    let mut jira_down: Option<String> = None;
    let mut quiet_warned = false;
    let mut file_error: Option<String> = None;
    let mut guard_trip = None;
    let mut access_error: Option<String> = None;
    loop {
        for n in nodes.iter_mut() {
            if let Err(e) = poll_node(
                client,
                n,
                &mut buf,
                &mut summary,
                &opts.filter,
                &mut opts.on_request,
                &mut status,
                false,
            ) {
                file_error = Some(format!("{}: {e}", n.source.label()));
            }
            if let Some(e) = advance_join(n, &mut summary, &mut opts.on_request) {
                if access_error.is_none() {
                    status.say(format!("the access log cannot be read: {e}; the join misses what it could not read"));
                    access_error = Some(e);
                }
            }
        }
        if let Some(g) = &mut guard {
            let grown: Vec<u64> = nodes.iter().map(|n| n.tail.bytes).collect();
            if let Some(t) = g.check(&grown) {
                status.say(format!("{}; ending the window now", t.reason()));
                guard_trip = Some(t);
                break;
            }
        }
        let now = Instant::now();
        if let Some(c) = &mut cluster_check {
            let state = c.verdict(&labels, &|i, id| nodes[i].scanner.watched_of(id));
            match state {
                nodecheck::State::Waiting => {
                    deadline = now + opts.window;
                    window_start_ms = jiff::Timestamp::now().as_millisecond();
                }
                nodecheck::State::Passed => {
                    for (i, n) in nodes.iter_mut().enumerate() {
                        n.node = c.node_of(i);
                    }
                    for (id, at) in c.ours(nodes.len()) {
                        for (i, n) in nodes.iter_mut().enumerate() {
                            if at.contains(&i) {
                                n.scanner.keep_out(&id);
                            } else {
                                release_held(
                                    client,
                                    n,
                                    Some(&id),
                                    &mut summary,
                                    &opts.filter,
                                    &mut opts.on_request,
                                );
                            }
                        }
                    }
                    for p in &c.probes {
                        let Some(f) = &p.found else { continue };
                        status.line(format!(
                            "{}{}",
                            selfcheck::passed_line(&p.node, f.after),
                            p.how
                                .as_deref()
                                .map(|h| format!(" (probed {h})"))
                                .unwrap_or_default()
                        ));
                    }
                    for p in c.probes.iter().filter(|p| p.probe.is_none() || p.missing) {
                        status.say(format!(
                            "self-check: {}: {}",
                            p.node,
                            if p.missing {
                                "its requests are in none of the logs given: it is not read"
                            } else {
                                "not checked (no probe reached it)"
                            }
                        ));
                    }
                    let passed: Vec<&nodecheck::NodeProbe> =
                        c.probes.iter().filter(|p| p.found.is_some()).collect();
                    self_check = SelfCheck::Passed {
                        place: passed
                            .iter()
                            .map(|p| p.node.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                        after: passed
                            .iter()
                            .filter_map(|p| p.found.as_ref().map(|f| f.after))
                            .max()
                            .unwrap_or_default(),
                        lines: passed
                            .first()
                            .and_then(|p| p.found.as_ref().map(|f| f.lines.clone()))
                            .unwrap_or_default(),
                    };
                    deadline = now + opts.window;
                    window_start_ms = jiff::Timestamp::now().as_millisecond();
                    // Lines still held are no probe of ours that counts: release them.
                    release_all(
                        client,
                        &mut nodes,
                        &mut summary,
                        &opts.filter,
                        &mut opts.on_request,
                    );
                }
                nodecheck::State::Failed(f) => {
                    self_check = SelfCheck::Failed(f);
                    decided_check = cluster_check.take();
                    break;
                }
            }
        }
        if matches!(self_check, SelfCheck::Passed { .. }) {
            // Decided: kept for the report, no longer judged.
            if let Some(c) = cluster_check.take() {
                decided_check = Some(c);
            }
        }
        if let Some(p) = &mut probe {
            let watched: Vec<_> = nodes.iter().map(|n| n.scanner.watched()).collect();
            match p.verdict(&labels, &watched) {
                None => {
                    deadline = now + opts.window;
                    window_start_ms = jiff::Timestamp::now().as_millisecond();
                }
                Some(Verdict::Passed {
                    file,
                    place,
                    after,
                    lines,
                }) => {
                    for (i, n) in nodes.iter_mut().enumerate() {
                        if i == file {
                            n.scanner.keep_out_watched();
                        } else {
                            release_held(
                                client,
                                n,
                                None,
                                &mut summary,
                                &opts.filter,
                                &mut opts.on_request,
                            );
                        }
                    }
                    status.line(selfcheck::passed_line(&place, after));
                    self_check = SelfCheck::Passed {
                        place,
                        after,
                        lines,
                    };
                    probe = None;
                    deadline = now + opts.window;
                    window_start_ms = jiff::Timestamp::now().as_millisecond();
                }
                Some(Verdict::Failed(f)) => {
                    self_check = SelfCheck::Failed(f);
                    probe = None;
                    break;
                }
            }
        }
        let checking = probe.is_some() || cluster_check.is_some();
        if file_error.is_some() || sig.stop_requested() || (!checking && now >= deadline) {
            break;
        }
        if now >= next_check {
            next_check = now + opts.check_every;
            check_jira(client, &opts.profile, &mut jira_down, &mut status);
            if !decision.nodes.is_empty() {
                if let ClusterView::Nodes(list) = client.cluster_nodes() {
                    let reading = read_nodes(&nodes, decided_check.as_ref());
                    let read = |id: &str| reading.iter().any(|n| n == id);
                    for e in membership.update(list, &read) {
                        status.say(format!(
                            "node {} {} ({})",
                            e.node.raw(),
                            e.what,
                            if e.read {
                                "its log is read"
                            } else {
                                "its log is not read: its requests are not in this report"
                            }
                        ));
                    }
                }
            }
        }
        let pat_lines: u64 = nodes.iter().map(|n| n.scanner.stats().pat_lines).sum();
        let checked = matches!(self_check, SelfCheck::Passed { .. });
        if !quiet_warned
            && !checked
            && pat_lines == 0
            && now.duration_since(started) >= opts.quiet_after
        {
            quiet_warned = true;
            status.say(format!(
                "no PAT line in the log after {}s although the levels read back as raised. It can mean: no script used a token yet; the wrong --log (each Data Center node writes its own); or a Jira 9.5+ whose log4j2 JVM arguments were lost in an upgrade (runtime level changes then do nothing: check bin/setenv.sh)",
                opts.quiet_after.as_secs()
            ));
        }
        let bytes: u64 = nodes.iter().map(|n| n.tail.bytes).sum();
        status.observer.progress(&Progress {
            left: deadline.saturating_duration_since(now),
            requests: summary.requests(),
            tokens: summary.tokens_seen(),
            log_bytes: bytes,
            elapsed: now.duration_since(started),
        });
        let pause = if checking {
            opts.poll
        } else {
            opts.poll.min(deadline.saturating_duration_since(now))
        };
        std::thread::sleep(pause);
    }
    let elapsed = started.elapsed();
    status.observer.finish();
    if probe.is_some() || cluster_check.is_some() {
        self_check = SelfCheck::Unfinished;
        // Stopped before the verdict: where the held lines are a probe's (its id on its
        // path), they are still ours and stay out of the report.
        let needle = format!(" {} ", selfcheck::PROBE_PATH);
        let ids: Vec<String> = match (&probe, &cluster_check) {
            (Some(p), _) => vec![p.request_id.clone()],
            (None, Some(c)) => c.request_ids(),
            (None, None) => Vec::new(),
        };
        for n in &mut nodes {
            for id in &ids {
                let ours = n.scanner.watched_of(id).is_some_and(|w| {
                    w.lines
                        .iter()
                        .any(|l| crate::scan::pat::find(l, needle.as_bytes()).is_some())
                });
                if ours {
                    n.scanner.keep_out(id);
                }
            }
        }
    }
    // What was held for an unfinished or failed self-check is ordinary traffic again.
    if !matches!(self_check, SelfCheck::Passed { .. }) {
        release_all(
            client,
            &mut nodes,
            &mut summary,
            &opts.filter,
            &mut opts.on_request,
        );
    }
    if let Some(e) = &file_error {
        status.say(format!("stopping early, a log could not be read: {e}"));
    }
    let stopped_by = sig.last();
    // Levels first: the summary can wait, Jira's logging cannot.
    sig.set_phase(Phase::Restoring);
    let restore = release_or_abort(&opts.journal, client, &holder, sig)?;
    sig.set_phase(Phase::Done);
    for n in nodes.iter_mut() {
        if let Err(e) = poll_node(
            client,
            n,
            &mut buf,
            &mut summary,
            &opts.filter,
            &mut opts.on_request,
            &mut status,
            true,
        ) {
            status.say(format!("{}: {e}", n.source.label()));
        }
        let mut sink = RequestSink {
            client,
            summary: &mut summary,
            filter: &opts.filter,
            since_ms: n.since_ms,
            node: n.node.as_deref(),
            clustered: n.clustered,
            on_request: &mut opts.on_request,
            requests: &mut n.requests,
            join: n.join.as_mut(),
        };
        n.scanner.end_stream(&mut |r| sink.add(r));
    }
    // Lines passed over (too long, not in Jira's layout) and requests cut short: said once
    // each, counted, as `summarize` says them.
    for (n, log) in nodes.iter_mut().zip(&opts.logs) {
        n.scanner
            .note_file_name(crate::scan::input::looks_like_log_name(&log.at.to_string()));
        let mut said = crate::warn::Tally::new();
        n.scanner.say_skipped_lines(&mut said);
        for w in said.lines() {
            status.line(format!("warning: {}: {w}", log.label()));
        }
    }
    let mut report_access = None;
    if let Some(a) = &opts.access {
        let mut joins: Vec<&mut access::LiveJoiner> =
            nodes.iter_mut().filter_map(|n| n.join.as_mut()).collect();
        let on_request = &mut opts.on_request;
        let summary = &mut summary;
        for e in access::catch_up(&mut joins, opts.poll, &mut |r, h| {
            joined(on_request, summary, &r, h.as_ref())
        }) {
            status.say(format!("the access log cannot be read: {e}"));
        }
        let files = a.dirs.iter().map(|d| d.display().to_string()).collect();
        let stats: Vec<_> = nodes
            .iter()
            .filter_map(|n| n.join.as_ref().map(|j| j.stats()))
            .collect();
        report_access = Some(a.reading.report(files, stats));
    }
    // Everything is read: the connections to the nodes' hosts end here.
    opts.transports.close();
    let check = decided_check.as_ref().or(cluster_check.as_ref());
    summary.set_window(window_start_ms, jiff::Timestamp::now().as_millisecond());
    let mut report = build_report(&summary, &nodes, elapsed);
    report.access_log = report_access;
    report.coverage = Some(coverage(
        &decision,
        &nodes,
        check,
        &self_check,
        opts.self_check.is_some(),
        membership.events,
    ));
    for g in nodes
        .iter()
        .flat_map(|n| n.gaps.iter().map(move |g| (n, g)))
    {
        status.say(format!(
            "{}: {} not read ({})",
            g.0.source
                .node
                .clone()
                .unwrap_or_else(|| g.0.source.label()),
            crate::cluster::gap_span(g.1),
            g.1.why
        ));
    }
    Ok(Outcome {
        report,
        applied,
        restore,
        stopped_by,
        self_check,
        notices: status.notices,
        elapsed,
        guard_trip,
        requests: summary.requests(),
    })
}

/// The nodes whose logs are read, by node id (named by the user, or found by a probe).
fn read_nodes(nodes: &[Node], check: Option<&nodecheck::NodeCheck>) -> Vec<String> {
    nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            n.source
                .node
                .clone()
                .or_else(|| check.and_then(|c| c.node_of(i)))
        })
        .collect()
}

/// What the report covered, node by node.
fn coverage(
    decision: &Decision,
    nodes: &[Node],
    check: Option<&nodecheck::NodeCheck>,
    self_check: &SelfCheck,
    asked: bool,
    events: Vec<crate::cluster::NodeEvent>,
) -> Coverage {
    let mut cov = Coverage {
        jira: decision.jira.clone(),
        events,
        ..Coverage::default()
    };
    if let Some(why) = &decision.unknown {
        cov.notes.push(format!(
            "Jira's nodes could not be listed ({why}): whether these logs cover every node is not known."
        ));
    }
    let node_of = |i: usize| -> Option<String> {
        nodes[i]
            .source
            .node
            .clone()
            .or_else(|| check.and_then(|c| c.node_of(i)))
    };
    let check_word = |node: &str| -> Option<String> {
        if !asked {
            return Some("off".into());
        }
        match (check, self_check) {
            (Some(c), _) => {
                let p = c.probes.iter().find(|p| p.node == node)?;
                Some(
                    if p.found.is_some() {
                        "passed"
                    } else if matches!(self_check, SelfCheck::Failed(_)) {
                        "failed"
                    } else {
                        "not checked"
                    }
                    .into(),
                )
            }
            (None, SelfCheck::Passed { .. }) => Some("passed".into()),
            (None, SelfCheck::Failed(_)) => Some("failed".into()),
            (None, _) => Some("not checked".into()),
        }
    };
    let probed = |node: &str| -> Option<String> {
        check.and_then(|c| {
            c.probes
                .iter()
                .find(|p| p.node == node)
                .and_then(|p| p.how.clone())
        })
    };
    for c in &decision.nodes {
        let i = (0..nodes.len()).find(|&i| node_of(i).as_deref() == Some(c.node_id.as_str()));
        cov.nodes.push(NodeCoverage {
            node: Untrusted::new(c.node_id.as_str()),
            state: Some(c.state.clone()),
            alive: c.alive,
            read: i.is_some(),
            log: i.map(|i| Untrusted::new(nodes[i].source.at.to_string())),
            self_check: if c.serving() {
                check_word(&c.node_id)
            } else {
                None
            },
            probed: probed(&c.node_id),
            gaps: i.map(|i| nodes[i].gaps.clone()).unwrap_or_default(),
        });
    }
    // Logs not tied to a node Jira lists (not clustered, or not found out).
    for (i, n) in nodes.iter().enumerate() {
        let tied = node_of(i);
        if tied
            .as_ref()
            .is_some_and(|t| decision.nodes.iter().any(|c| &c.node_id == t))
        {
            continue;
        }
        let name = tied.unwrap_or_else(|| n.source.at.to_string());
        cov.nodes.push(NodeCoverage {
            node: Untrusted::new(name.as_str()),
            read: true,
            log: Some(Untrusted::new(n.source.at.to_string())),
            self_check: check_word(&name),
            gaps: n.gaps.clone(),
            ..NodeCoverage::default()
        });
    }
    let serving_unread = decision.nodes.iter().filter(|c| c.serving()).any(|c| {
        !cov.nodes
            .iter()
            .any(|n| n.node.raw() == c.node_id && n.read)
    });
    let late = cov.events.iter().any(|e| !e.read && e.what == "joined");
    cov.complete = !serving_unread
        && !late
        && decision.jira != "unknown"
        && cov.nodes.iter().all(|n| n.gaps.is_empty());
    cov
}

/// One line per profile logger that Jira already runs at (or above) the profile's level
/// explicitly, although this machine's journal did not raise it: someone else did (another
/// machine's jira-patrol, a person), and the restore will leave it as found.
fn raised_elsewhere(
    page: &crate::jira::LevelsPage,
    loggers: &[(String, crate::level::Level)],
    ours: Option<&journal::JournalEntry>,
) -> Vec<String> {
    loggers
        .iter()
        .filter(|(l, _)| !ours.is_some_and(|e| e.loggers.iter().any(|j| &j.logger == l)))
        .filter_map(|(l, wanted)| {
            let level = page.explicit_level(l)?;
            level.enables(*wanted).then(|| {
                format!("{l} is already {level}, set outside this machine's jira-patrol; it will be left at {level}")
            })
        })
        .collect()
}

/// Give the levels back (or leave them to the captures still holding them) on a thread of
/// its own: a third Ctrl-C must leave at once, not after the request in flight answers
/// (up to the client's timeout while Jira is slow). The journal keeps what is left.
fn release_or_abort(
    journal: &Journal,
    client: &Client,
    holder: &Holder,
    sig: &Signals,
) -> Result<Result<RestoreReport, journal::JournalError>, CaptureError> {
    use std::sync::mpsc::{channel, RecvTimeoutError};
    let (tx, rx) = channel();
    let (j, c, h, s) = (journal.clone(), client.clone(), holder.clone(), sig.clone());
    std::thread::Builder::new()
        .name("restore".into())
        .spawn(move || {
            let _ = tx.send(j.release(&c, &h, &|| s.abort_requested()));
        })
        .map_err(|e| CaptureError::Thread(e.to_string()))?;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Err(journal::JournalError::Interrupted { .. })) => {
                return Err(CaptureError::Interrupted)
            }
            Ok(r) => return Ok(r),
            Err(RecvTimeoutError::Timeout) if sig.abort_requested() => {
                return Err(CaptureError::Interrupted)
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(CaptureError::Thread(
                    "the restore stopped without an answer".into(),
                ))
            }
        }
    }
}

/// "capture pats-trace (pid 12), capture pats-service-trace (pid 34)".
pub fn holders_text(holders: &[Holder]) -> String {
    holders
        .iter()
        .map(Holder::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loggers below a profile's that carry a less verbose explicit level: they would keep
/// their part of the package quiet. Each with its level and the profile's.
fn shadowing(
    page: &crate::jira::LevelsPage,
    loggers: &[(String, crate::level::Level)],
) -> Vec<(String, crate::level::Level, crate::level::Level)> {
    let mut out: Vec<(String, crate::level::Level, crate::level::Level)> = Vec::new();
    for (name, level) in &page.explicit {
        // The nearest profile logger above this one decides what it should log.
        let parent = loggers
            .iter()
            .filter(|(l, _)| name.starts_with(&format!("{l}.")))
            .max_by_key(|(l, _)| l.len());
        if let Some((_, wanted)) = parent {
            let own = loggers.iter().any(|(l, _)| l == name);
            if !own && !level.enables(*wanted) && !out.iter().any(|(n, _, _)| n == name) {
                out.push((name.clone(), *level, *wanted));
            }
        }
    }
    out
}

/// Where a node's requests go: the shared summary (and the JSONL stream), counted per node.
struct RequestSink<'a> {
    /// Its own calls (with a PAT login, requests of that token) are no script's traffic.
    client: &'a Client,
    summary: &'a mut Summary,
    filter: &'a Filter,
    /// A command's output: what is dated before the window is the file's past.
    since_ms: Option<i64>,
    /// The node whose log this is, when known (our calls are told apart per node).
    node: Option<&'a str>,
    /// Several nodes: an id and path of one of our calls is ours only in the log of the
    /// node that answered it. One Jira: wherever it is logged.
    clustered: bool,
    on_request: &'a mut Option<RequestHook>,
    requests: &'a mut u64,
    join: Option<&'a mut access::LiveJoiner>,
}

impl RequestSink<'_> {
    fn add(&mut self, r: Request) {
        if !self.filter.accepts(&r)
            || self.since_ms.is_some_and(|s| r.ts.ms < s)
            || if self.clustered {
                self.client
                    .is_own_request_on(&r.request_id, &r.path, self.node)
            } else {
                self.client.is_own_request(&r.request_id, &r.path)
            }
        {
            return;
        }
        *self.requests += 1;
        // Counted at once (the live status shows it); what the access log tells is added
        // when its line has been read.
        self.summary.add(&r);
        let on_request = &mut *self.on_request;
        let summary = &mut *self.summary;
        match &mut self.join {
            // Live lines are read by `fill`: reading them here cannot fail.
            Some(j) => {
                let _ = j.push(r, &mut |r, h| joined(on_request, summary, &r, h.as_ref()));
            }
            None => {
                if let Some(f) = on_request {
                    f(&r, None);
                }
            }
        }
    }
}

/// A request back from the join: its JSONL event, and its access-log side in the summary.
fn joined(
    on_request: &mut Option<RequestHook>,
    summary: &mut Summary,
    r: &Request,
    h: Option<&Http>,
) {
    if let Some(f) = on_request {
        f(r, h);
    }
    if let Some(h) = h {
        summary.add_http(r, h);
    }
}

/// Read a node's access log as far as the clock allows, joining what waits.
fn advance_join(
    n: &mut Node,
    summary: &mut Summary,
    on_request: &mut Option<RequestHook>,
) -> Option<String> {
    let j = n.join.as_mut()?;
    access::read_up_to(j, access::live_bound(), &mut |r, h| {
        joined(on_request, summary, &r, h.as_ref())
    })
}

/// Every node's held lines not decided ours are ordinary traffic ([`release_held`]).
fn release_all(
    client: &Client,
    nodes: &mut [Node],
    summary: &mut Summary,
    filter: &Filter,
    on_request: &mut Option<RequestHook>,
) {
    for n in nodes {
        release_held(client, n, None, summary, filter, on_request);
    }
}

/// Lines a node held for the self-check were another request's: count them after all
/// (`id`: only that request's; `None`: all not decided ours).
fn release_held(
    client: &Client,
    n: &mut Node,
    id: Option<&str>,
    summary: &mut Summary,
    filter: &Filter,
    on_request: &mut Option<RequestHook>,
) {
    let mut sink = RequestSink {
        client,
        summary,
        filter,
        since_ms: n.since_ms,
        node: n.node.as_deref(),
        clustered: n.clustered,
        on_request,
        requests: &mut n.requests,
        join: n.join.as_mut(),
    };
    match id {
        Some(id) => n.scanner.release(id, &mut |r| sink.add(r)),
        None => n.scanner.release_watched(&mut |r| sink.add(r)),
    }
}

/// Read what a node's log gained (`last`: the final read, after the restore, which waits
/// for a remote node to answer). Gaps are timed by the lines around them.
#[allow(clippy::too_many_arguments)]
fn poll_node(
    client: &Client,
    n: &mut Node,
    buf: &mut [u8],
    summary: &mut Summary,
    filter: &Filter,
    on_request: &mut Option<RequestHook>,
    status: &mut Status,
    last: bool,
) -> std::io::Result<()> {
    let Node {
        tail,
        scanner,
        requests,
        join,
        clock,
        gaps,
        since_ms,
        node,
        clustered,
        ..
    } = n;
    let mut sink = RequestSink {
        client,
        summary,
        filter,
        since_ms: *since_ms,
        node: node.as_deref(),
        clustered: *clustered,
        on_request,
        requests,
        join: join.as_mut(),
    };
    let mut add = |r: Request| sink.add(r);
    let mut happened = Vec::new();
    // A gap is timed where it falls among the bytes: a poll that resumes a connection
    // hands over the gap and then what was read after it.
    let timing = std::cell::RefCell::new((clock, gaps));
    let mut data = |bytes: &[u8], ev: Event| match ev {
        Event::Data => {
            let (clock, gaps) = &mut *timing.borrow_mut();
            clock.feed(bytes, gaps);
            scanner.feed(bytes, &mut add)
        }
        Event::EndOfFile => scanner.end_file(&mut add),
    };
    let mut said = |h: Happened| {
        if let Happened::Gap(why) = &h {
            let (clock, gaps) = &mut *timing.borrow_mut();
            let g = clock.gap(why.clone());
            gaps.push(g);
        }
        happened.push(h);
    };
    let r = if last {
        tail.finish(buf, Duration::from_secs(10), &mut data, &mut said)
    } else {
        tail.poll(buf, &mut data, &mut said)
    };
    for h in happened {
        match h {
            Happened::Gap(why) => status.say(format!("{}: {why}", n.source.label())),
            Happened::Note(note) => status.say(note),
        }
    }
    r
}

fn check_jira(client: &Client, profile: &Profile, down: &mut Option<String>, status: &mut Status) {
    match client.levels() {
        Ok(page) => {
            if let Some(since) = down.take() {
                status.say(format!("Jira answers again (it did not since {since})"));
            }
            let lowered: Vec<String> = profile
                .loggers
                .iter()
                .filter(|(l, want)| page.effective(l).0 != *want)
                .map(|(l, want)| format!("{l} (wanted {want}, now {})", page.effective(l).0))
                .collect();
            if !lowered.is_empty() {
                status.say(format!(
                    "levels changed behind our back: {} — was Jira restarted, or did someone change them? The window goes on; lines may be missing",
                    lowered.join(", ")
                ));
            }
        }
        Err(e) => {
            if down.is_none() {
                let at = crate::human::now();
                status.say(format!("Jira does not answer ({e}); still following the logs, restore will be tried at the end"));
                *down = Some(at);
            }
        }
    }
}

fn build_report(summary: &Summary, nodes: &[Node], elapsed: Duration) -> Report {
    let mut stats = crate::scan::Stats::default();
    for n in nodes {
        let s = n.scanner.stats();
        stats.lines += s.lines;
        stats.bytes += s.bytes;
        stats.pat_lines += s.pat_lines;
        stats.pat_bytes += s.pat_bytes;
        stats.first_pat_ms = match (stats.first_pat_ms, s.first_pat_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        stats.last_pat_ms = stats.last_pat_ms.max(s.last_pat_ms);
    }
    let files = nodes.iter().map(|n| n.source.at.to_string()).collect();
    let mut report = summary.report(files, &stats);
    let secs = elapsed.as_secs_f64().max(0.001);
    let per_hour = |b: u64| (b as f64 * 3600.0 / secs) as u64;
    report.volume.seconds = Some((secs * 1000.0).round() / 1000.0);
    report.volume.pat_bytes_per_hour = Some(per_hour(stats.pat_bytes));
    report.volume.log_bytes_per_hour = Some(per_hour(nodes.iter().map(|n| n.tail.bytes).sum()));
    if nodes.len() > 1 {
        report.nodes = nodes
            .iter()
            .map(|n| NodeCount {
                log: n.source.to_string(),
                requests: n.requests,
                pat_lines: n.scanner.stats().pat_lines,
                bytes: n.tail.bytes,
            })
            .collect();
    }
    report
}

/// What the window said, told to its observer and kept for the outcome.
struct Status {
    observer: Box<dyn Observer>,
    notices: Vec<String>,
}

impl Status {
    fn say(&mut self, msg: String) {
        self.observer.note(&msg);
        self.notices.push(msg);
    }

    /// A status line of its own (not a note).
    fn line(&mut self, msg: String) {
        self.observer.line(&msg);
        self.notices.push(msg);
    }
}
