//! Node lifecycle of the simulated Jira: what the nodes of one Jira share ([`Shared`]),
//! starting a node (listener, TLS front, worker, background and batcher threads), stopping
//! and restarting it, the scheduled jobs, the background traffic and the server's clock.

use super::http::Req;
use super::State;

use crate::access::{AccessLog, AccessRecord};
use crate::accounts::{java_instant, SimAccounts, SimToken};
use crate::log::{DateStyle, LevelTable, LogFile};
use crate::Level;
use crate::{loggers, SimConfig};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the nodes of one Jira (a Data Center cluster, or a single server) share: the
/// database (users, tokens), XSRF tokens, and the cluster channel that broadcasts level
/// changes. Sessions, logs and levels stay per node.
pub(crate) struct Shared {
    /// The seeded users and tokens, as at start.
    pub seed: SimAccounts,
    /// The token table: seeded rows plus those created over REST, minus revoked.
    pub tokens: Mutex<Vec<SimToken>>,
    /// The next token row id.
    pub(super) next_row: AtomicU64,
    /// Every XSRF token issued (valid on any node).
    pub(super) xsrf_tokens: Mutex<HashSet<String>>,
    /// The nodes started on this database (the cluster channel).
    pub(super) nodes: Mutex<Vec<Weak<State>>>,
    /// Every cookie value ever set, for tests proving none leaks.
    pub issued_cookies: Mutex<Vec<String>>,
    /// Held for writing by a test, it makes level changes through the logging page wait:
    /// a capture's restore then cannot overtake the traffic the test is still sending.
    pub level_gate: std::sync::RwLock<()>,
    /// The cluster's node table (`/rest/api/2/cluster/nodes`): every node that ever
    /// started on this database, with its state; a stopped node stays listed.
    pub(crate) members: Mutex<Vec<Member>>,
}

/// One row of the cluster's node table (jira-facts §3).
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// `nodeId`.
    pub node_id: String,
    /// `ip`: where the node says it lives.
    pub ip: String,
    /// `ACTIVE`, `OFFLINE`, ...
    pub state: &'static str,
    /// Whether its heartbeat is fresh.
    pub alive: bool,
    /// `lastStateChangeTimestamp`, epoch milliseconds.
    pub changed_ms: i64,
    /// `nodeVersion`.
    pub version: String,
}

impl Shared {
    /// A node starts (or starts again): ACTIVE and alive.
    pub(crate) fn member_up(&self, node_id: &str, ip: &str, version: &str) {
        let mut m = self.members.lock().unwrap();
        let now = Timestamp::now().as_millisecond();
        let row = Member {
            node_id: node_id.to_string(),
            ip: ip.to_string(),
            state: "ACTIVE",
            alive: true,
            changed_ms: now,
            version: version.to_string(),
        };
        match m.iter_mut().find(|r| r.node_id == node_id) {
            Some(r) => *r = row,
            None => m.push(row),
        }
    }

    /// A node went away: cleanly (`OFFLINE`, not alive), or by crashing (still `ACTIVE`
    /// in the table, its heartbeat stale: `alive` false), as Jira shows both.
    pub(crate) fn member_down(&self, node_id: &str, clean: bool) {
        let mut m = self.members.lock().unwrap();
        if let Some(r) = m.iter_mut().find(|r| r.node_id == node_id) {
            r.alive = false;
            if clean {
                r.state = "OFFLINE";
                r.changed_ms = Timestamp::now().as_millisecond();
            }
        }
    }
}

impl Shared {
    /// The nodes of this Jira still running (a stopped node's state may still be held).
    pub(super) fn nodes(&self) -> Vec<Arc<State>> {
        self.nodes
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// A fresh database seeded with [`SimAccounts::seeded`], no nodes yet.
    pub fn new() -> Arc<Shared> {
        let seed = SimAccounts::seeded(Timestamp::now());
        Arc::new(Shared {
            tokens: Mutex::new(seed.tokens.clone()),
            next_row: AtomicU64::new(seed.tokens.len() as u64 + 1),
            seed,
            xsrf_tokens: Mutex::new(HashSet::new()),
            nodes: Mutex::new(Vec::new()),
            issued_cookies: Mutex::new(Vec::new()),
            level_gate: std::sync::RwLock::new(()),
            members: Mutex::new(Vec::new()),
        })
    }
}

/// Binds the listener (and TLS front), writes the install files, logs the startup lines and starts the worker, background and batcher threads. Returns the state, the threads to join and the base URL.
pub(crate) fn start(
    cfg: SimConfig,
    home: PathBuf,
    install: PathBuf,
    shared: Arc<Shared>,
) -> std::io::Result<(Arc<State>, Vec<JoinHandle<()>>, String)> {
    let public = TcpListener::bind((cfg.address, cfg.port))?;
    let public_addr = public.local_addr()?;
    let tls = cfg.tls.clone();
    let stop_flag = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    let listener = match &tls {
        None => Some(public.try_clone()?),
        Some(_) => None,
    };
    let server = match &tls {
        None => tiny_http::Server::from_listener(public, None),
        Some(identity) => {
            let internal = TcpListener::bind("127.0.0.1:0")?;
            let backend = internal.local_addr()?;
            workers.push(crate::tls::serve(
                identity,
                public,
                backend,
                stop_flag.clone(),
            )?);
            tiny_http::Server::from_listener(internal, None)
        }
    }
    .map_err(std::io::Error::other)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}:{}", cfg.address, public_addr.port());

    let log_path = home.join("log").join("atlassian-jira.log");
    let log = LogFile::open(&log_path, cfg.log_max_bytes, cfg.log_backups, cfg.rotation)?;
    let with_offset = !version_before(&cfg.version, 8, 1);
    let pattern = cfg
        .access_log_pattern
        .clone()
        .unwrap_or_else(|| crate::access::STOCK_PATTERN.to_string());
    crate::access::write_install_files(
        &install,
        &pattern,
        &cfg.version,
        public_addr.port(),
        &cfg.context_path,
        tls.is_some(),
    )?;
    crate::access::write_log4j_config(
        &install,
        !version_before(&cfg.version, 9, 5),
        cfg.log_max_bytes,
        cfg.log_backups,
    )?;
    let access = AccessLog::open(
        &install,
        &pattern,
        &cfg.version,
        cfg.utc_offset_minutes,
        Timestamp::now(),
    )?;
    let state = Arc::new(State {
        date_style: DateStyle {
            offset_minutes: cfg.utc_offset_minutes,
            with_offset,
        },
        users: shared.seed.users.clone(),
        shared: shared.clone(),
        validated: Mutex::new(HashSet::new()),
        pending_access: Mutex::new(BTreeMap::new()),
        levels: Mutex::new(LevelTable::stock()),
        file_levels: LevelTable::stock(),
        log: Mutex::new(log),
        access: Mutex::new(access),
        install,
        clock_shift_ms: AtomicI64::new(0),
        buckets: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
        counter: AtomicU64::new(0),
        ids: AtomicU64::new(0),
        inflight: AtomicU64::new(0),
        received: AtomicU64::new(0),
        access_lines: AtomicU64::new(0),
        fail_next: AtomicU32::new(0),
        slow_ms: AtomicU64::new(0),
        background_rps: AtomicU32::new(cfg.background_rps),
        background_pat_percent: AtomicU32::new(cfg.background_pat_percent),
        stop_flag,
        server: Arc::new(server),
        listener,
        public_addr,
        tls: tls.is_some(),
        login_count: AtomicU64::new(0),
        home,
        cfg,
    });
    state.startup_lines();
    shared.nodes.lock().unwrap().push(Arc::downgrade(&state));
    if let Some(id) = &state.cfg.node_id {
        let ip = state
            .cfg
            .node_ip
            .clone()
            .unwrap_or_else(|| state.cfg.address.to_string());
        shared.member_up(id, &ip, &state.cfg.version);
    }

    let prefix = if state.tls {
        "https-jsse-nio-8443-exec-"
    } else {
        "http-nio-8080-exec-"
    };
    for i in 1..=state.cfg.threads.max(1) {
        let st = state.clone();
        let thread = format!("{prefix}{i}");
        workers.push(
            std::thread::Builder::new()
                .name(format!("sim-http-{i}"))
                .spawn(move || loop {
                    if st.stop_flag.load(Ordering::SeqCst) {
                        break;
                    }
                    match st.server.recv_timeout(Duration::from_millis(100)) {
                        Ok(Some(rq)) => st.handle(&thread, rq),
                        Ok(None) => {}
                        Err(_) => break,
                    }
                })?,
        );
    }
    let st = state.clone();
    let thread = format!("{prefix}{}", state.cfg.threads.max(1) + 1);
    workers.push(
        std::thread::Builder::new()
            .name("sim-background".into())
            .spawn(move || background(&st, &thread))?,
    );
    let st = state.clone();
    workers.push(
        std::thread::Builder::new()
            .name("sim-batcher".into())
            .spawn(move || {
                let mut last = Instant::now();
                let mut last_pruning = Instant::now();
                while !st.stop_flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    if last.elapsed() >= st.cfg.batch_interval {
                        st.run_batch_job();
                        last = Instant::now();
                    }
                    if st
                        .cfg
                        .pruning_interval
                        .is_some_and(|every| last_pruning.elapsed() >= every)
                    {
                        st.run_pruning_job();
                        st.run_expired_token_pruning_job();
                        last_pruning = Instant::now();
                    }
                }
            })?,
    );
    Ok((state, workers, url))
}

/// The background generator: paced by the clock so the rate holds whatever each request
/// costs; a backlog longer than a second is dropped rather than served in a burst.
pub(super) fn background(st: &State, thread: &str) {
    let mut since = Instant::now();
    let mut rate = 0u32;
    let mut done = 0u64;
    let mut n = 0u64;
    while !st.stop_flag.load(Ordering::SeqCst) {
        let now_rate = st.background_rps.load(Ordering::SeqCst);
        if now_rate != rate {
            (rate, since, done) = (now_rate, Instant::now(), 0);
        }
        if rate == 0 {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        let due = (since.elapsed().as_secs_f64() * rate as f64) as u64;
        if due.saturating_sub(done) > rate as u64 {
            done = due - rate as u64;
        }
        while done < due && !st.stop_flag.load(Ordering::SeqCst) {
            n += 1;
            done += 1;
            st.serve_background(thread, n);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// True when `version` (e.g. "8.0.2") is below `major.minor`.
pub(super) fn version_before(version: &str, major: u32, minor: u32) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (a, b) < (major, minor)
}

impl State {
    /// The live `atlassian-jira.log`.
    pub fn log_path(&self) -> PathBuf {
        self.log.lock().unwrap().path().to_path_buf()
    }

    /// The server's clock: the real one, plus what a test advanced it by.
    pub fn now(&self) -> Timestamp {
        let shift = self.clock_shift_ms.load(Ordering::SeqCst);
        Timestamp::now() + jiff::SignedDuration::from_millis(shift)
    }

    /// Moves the server's clock forward (log dates, request ids, access-log `%t` and file).
    pub fn advance_clock(&self, by: Duration) {
        self.clock_shift_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Moves the clock to the next local midnight (plus a millisecond): the next access line
    /// opens the next day's file. Returns that file.
    pub fn roll_access_log_day(&self) -> PathBuf {
        let now = self.now();
        let off = jiff::tz::Offset::from_seconds(self.cfg.utc_offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC);
        let dt = off.to_datetime(now);
        let next = dt
            .date()
            .tomorrow()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
            .ok()
            .and_then(|m| off.to_timestamp(m).ok())
            .unwrap_or(now);
        let by = next.duration_since(now).as_millis().max(0) as u64 + 1;
        self.advance_clock(Duration::from_millis(by));
        self.access_log_path()
    }

    /// Today's access-log file (by the server's clock and offset).
    pub fn access_log_path(&self) -> PathBuf {
        self.access.lock().unwrap().path_at(self.now())
    }

    /// Writes the access line of a finished request (Tomcat's valve, at completion).
    pub(super) fn access_line(&self, mut r: AccessRecord, started: Instant) {
        r.elapsed = started.elapsed();
        let mut log = self.access.lock().unwrap();
        let _ = log.write(&r, self.now());
        self.access_lines.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a request taken in; its access line is due once it is answered.
    pub(super) fn received(&self) {
        self.received.fetch_add(1, Ordering::SeqCst);
    }

    /// Waits (at most `within`) until every request taken in so far has its access line.
    pub(crate) fn wait_access_lines(&self, within: std::time::Duration) {
        let due = self.received.load(Ordering::SeqCst);
        let deadline = Instant::now() + within;
        while self.access_lines.load(Ordering::SeqCst) < due && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Stops the worker threads (idempotent); the TLS front is woken to see it. The
    /// cluster's table shows the node OFFLINE.
    pub fn stop(&self) {
        self.stop_as(true);
    }

    /// [`State::stop`], leaving the node `ACTIVE` but not alive in the cluster's table
    /// when not `clean` (a crash).
    pub fn stop_as(&self, clean: bool) {
        if self.stop_flag.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(id) = &self.cfg.node_id {
            self.shared.member_down(id, clean);
        }
        self.server.unblock();
        if let Some(l) = &self.listener {
            use std::os::fd::AsRawFd;
            // SAFETY: shutdown(2) on a socket this state owns; no memory is involved.
            unsafe { libc::shutdown(l.as_raw_fd(), libc::SHUT_RDWR) };
        }
        if self.tls {
            // Wake the TLS accept loop so it sees the flag.
            let _ = TcpStream::connect_timeout(&self.public_addr, Duration::from_millis(200));
        }
    }

    /// The lines a starting Jira logs (at start and after a restart).
    pub(super) fn startup_lines(&self) {
        let node = self.cfg.node_id.as_deref().unwrap_or("(not clustered)");
        let startup = "com.atlassian.jira.startup.JiraStartupLogger";
        self.log_entry(
            "Jira-Bootstrap",
            Level::Info,
            None,
            "com.atlassian.jira.config.database.SystemDatabaseConfigurationLoader",
            &format!(
                "Reading database configuration from {}/dbconfig.xml",
                self.home.display()
            ),
            &[],
        );
        self.log_entry(
            "Jira-Bootstrap",
            Level::Info,
            None,
            startup,
            "Running Jira startup checks.",
            &[],
        );
        self.log_entry(
            "localhost-startStop-1",
            Level::Info,
            None,
            startup,
            &format!(
                "\n\n___ Simulated Jira {} ______________________\n\n     Node Id   : {node}\n     Jira Home : {}\n",
                self.cfg.version,
                self.home.display()
            ),
            &[],
        );
        self.log_entry(
            "localhost-startStop-1",
            Level::Info,
            None,
            loggers::FILTER,
            "Initialising: [TokenBasedAuthenticationFilter]",
            &[],
        );
        self.log_entry(
            "localhost-startStop-1",
            Level::Info,
            None,
            "com.atlassian.jira.startup.LauncherContextListener",
            "Startup is complete. Jira is ready to serve.",
            &[],
        );
    }

    /// A level change reaches every live node (Data Center "Log Level" cluster message).
    pub fn set_level_everywhere(&self, logger: &str, level: Level) {
        self.levels.lock().unwrap().set(logger, level);
        let nodes = self.shared.nodes();
        for n in nodes {
            if !std::ptr::eq(Arc::as_ptr(&n), self) && !n.stop_flag.load(Ordering::SeqCst) {
                n.levels.lock().unwrap().set(logger, level);
            }
        }
    }

    /// A restart: runtime levels and sessions are lost, the file configuration is back.
    pub fn restart(&self) {
        *self.levels.lock().unwrap() = self.file_levels.clone();
        self.sessions.lock().unwrap().clear();
        self.validated.lock().unwrap().clear();
        self.startup_lines();
    }

    /// A new JVM counts request ids from 1 again (jira-facts §7: ids repeat across restarts).
    pub fn reset_request_ids(&self) {
        self.ids.store(0, Ordering::SeqCst);
    }

    /// `LastAccessedTimeBatcherJob`: writes the batched last-access times to the "database".
    pub fn run_batch_job(&self) {
        let pending = std::mem::take(&mut *self.pending_access.lock().unwrap());
        if pending.is_empty() {
            return;
        }
        let listed: Vec<String> = pending
            .iter()
            .map(|(id, t)| format!("{id}={}", java_instant(*t)))
            .collect();
        self.log_entry(
            "Caesium-1-3",
            Level::Trace,
            None,
            loggers::BATCH_JOB,
            &format!(
                "Stamping tokens with last accessed times: [{{{}}}]",
                listed.join(", ")
            ),
            &[],
        );
        let mut n = 0;
        for t in self.shared.tokens.lock().unwrap().iter_mut() {
            if let Some(at) = pending.get(&t.id) {
                t.last_accessed_at = Some(*at);
                n += 1;
            }
        }
        self.log_entry(
            "Caesium-1-3",
            Level::Debug,
            None,
            loggers::BATCH_JOB,
            &format!("Updated number tokens: [{n}]"),
            &[],
        );
    }

    /// `DeletedUserPruningJob` (jira-facts §2): on a scheduler thread with every request
    /// field empty, `JiraProductUserProvider` looks up each distinct token owner; tokens of
    /// owners that no longer exist are removed. Once per cluster: the first live node runs it.
    pub fn run_pruning_job(&self) {
        let first = self
            .shared
            .nodes()
            .into_iter()
            .find(|n| !n.stop_flag.load(Ordering::SeqCst));
        if first.is_some_and(|n| !std::ptr::eq(Arc::as_ptr(&n), self)) {
            return;
        }
        let mut owners: Vec<String> = self
            .shared
            .tokens
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.user_key.clone())
            .collect();
        owners.sort();
        owners.dedup();
        for key in owners {
            self.log_entry(
                "Caesium-1-2",
                Level::Debug,
                None,
                loggers::USER_PROVIDER,
                &format!("Looking for Jira user with key: [{key}]"),
                &[],
            );
            if self.users.iter().any(|u| u.key == key) {
                continue;
            }
            self.log_entry(
                "Caesium-1-2",
                Level::Debug,
                None,
                loggers::PRUNING_JOB,
                &format!("Removing tokens for deleted userKey [{key}]"),
                &[],
            );
            self.shared
                .tokens
                .lock()
                .unwrap()
                .retain(|t| t.user_key != key);
        }
    }

    /// `ExpiredTokenPruningJob` (jira-facts §2): tokens expired more than
    /// [`crate::EXPIRED_TOKEN_PRUNING_DAYS`] days ago are deleted; younger expired ones stay
    /// in the table and in the token search. By the server's clock ([`State::now`]), so a test
    /// can move it past the delay. Returns how many went.
    pub fn run_expired_token_pruning_job(&self) -> usize {
        let cutoff =
            self.now() - jiff::SignedDuration::from_hours(24 * crate::EXPIRED_TOKEN_PRUNING_DAYS);
        let mut tokens = self.shared.tokens.lock().unwrap();
        let before = tokens.len();
        tokens.retain(|t| !t.is_expired(cutoff));
        before - tokens.len()
    }

    /// One anonymous request of the background traffic (browsers, monitoring, other
    /// integrations without a token): through the same chain as a socket's request.
    pub(super) fn serve_background(&self, thread: &str, n: u64) {
        self.received();
        // Request n carries a token when the running share of PAT requests crosses an
        // integer: an exact, steady proportion.
        let pct = self.background_pat_percent.load(Ordering::SeqCst).min(100) as u64;
        let token = (n * pct / 100 != (n - 1) * pct / 100)
            .then(|| {
                let now = Timestamp::now();
                let good: Vec<&SimToken> = self
                    .shared
                    .seed
                    .tokens
                    .iter()
                    .filter(|t| !t.is_expired(now) && self.user(&t.owner).is_some_and(|u| u.active))
                    .collect();
                good.get(n as usize % good.len().max(1))
                    .map(|t| t.raw.clone())
            })
            .flatten();
        let (path, agent) = if token.is_some() {
            (
                "/rest/api/2/myself",
                "Apache-HttpClient/4.5.14 (Java/17.0.9)",
            )
        } else if n.is_multiple_of(2) {
            ("/status", "kube-probe/1.29")
        } else {
            ("/rest/api/2/serverInfo", "Prometheus/2.48.1")
        };
        let mut headers = vec![("User-Agent".to_string(), agent.to_string())];
        if let Some(t) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {t}")));
        }
        let req = Req {
            method: "GET".into(),
            path: path.into(),
            path_and_query: path.into(),
            headers,
            cookies: HashMap::new(),
            params: HashMap::new(),
            body: Vec::new(),
        };
        let ip = format!("10.20.{}.{}", n / 250 % 250, n % 250 + 1);
        let started = Instant::now();
        let mut record = AccessRecord {
            remote_addr: ip.clone(),
            start: self.now(),
            method: "GET".into(),
            uri: format!("{}{path}", self.context_path()),
            protocol: "HTTP/1.1".into(),
            thread: thread.to_string(),
            local_port: self.public_addr.port(),
            ..AccessRecord::default()
        };
        let (ctx, reply) = self.serve(thread, &req, ip);
        record.status = reply.status;
        record.bytes = reply.body.len() as u64;
        self.fill_record(&mut record, &ctx);
        record.request_headers = req.headers;
        self.access_line(record, started);
    }

    /// Requests per second of background traffic now (0 = none).
    pub fn set_background_rps(&self, rps: u32) {
        self.background_rps.store(rps, Ordering::SeqCst);
    }

    /// Percentage of the background requests that carry a valid token.
    pub fn set_background_pat_percent(&self, pct: u32) {
        self.background_pat_percent.store(pct, Ordering::SeqCst);
    }
}
