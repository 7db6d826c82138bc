//! Request handling of the simulated Jira: the PAT filter (and its log lines), session,
//! Basic and cookie auth, websudo, XSRF, the logging admin pages and a few REST resources.
//! The order of checks follows Jira's filter chain: PAT filter first, then Seraph
//! (session, Basic), then the action (permission, websudo, XSRF, work).

use super::access::{AccessLog, AccessRecord};
use super::accounts::{
    self, expiry_rest, expiry_sql, java_instant, now_micros, rest_date, token_dto, SimAccounts,
    SimToken, SimUser,
};
use super::log::{format_entry, DateStyle, LevelTable, LogFile, Mdc};
use super::pages::{self, enc};
use super::{failures, loggers, RateLimit, SimConfig};
use crate::level::Level;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const NOT_AUTHENTICATED: &str =
    "You are not authenticated. Authentication required to perform this operation.";

struct Session {
    user: String,
    websudo_until: Option<Instant>,
}

/// One user's rate-limiting bucket: `per_minute` capacity, refilled continuously at
/// `per_minute` a minute.
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// What the nodes of one Jira (a Data Center cluster, or a single server) share: the
/// database (users, tokens), XSRF tokens, and the cluster channel that broadcasts level
/// changes. Sessions, logs and levels stay per node.
pub(crate) struct Shared {
    pub seed: SimAccounts,
    pub tokens: Mutex<Vec<SimToken>>,
    next_row: AtomicU64,
    xsrf_tokens: Mutex<HashSet<String>>,
    nodes: Mutex<Vec<Weak<State>>>,
    /// Every cookie value ever set, for tests proving none leaks.
    pub issued_cookies: Mutex<Vec<String>>,
    /// Held for writing by a test, it makes level changes through the logging page wait:
    /// a capture's restore then cannot overtake the traffic the test is still sending.
    pub level_gate: std::sync::RwLock<()>,
}

impl Shared {
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
        })
    }
}

pub(crate) struct State {
    pub cfg: SimConfig,
    pub home: PathBuf,
    pub shared: Arc<Shared>,
    users: Vec<SimUser>,
    /// Token rows whose secret the caching validator has already checked once.
    validated: Mutex<HashSet<u64>>,
    pending_access: Mutex<BTreeMap<u64, Timestamp>>,
    /// What the logging page shows and sets.
    pub levels: Mutex<LevelTable>,
    /// What the appenders obey: the same table, unless runtime changes are configured to be
    /// lost (9.5+ without the log4j2 JVM arguments), then the file configuration.
    file_levels: LevelTable,
    log: Mutex<LogFile>,
    /// Tomcat's access log (`<install>/logs/access_log.<date>`).
    access: Mutex<AccessLog>,
    pub install: PathBuf,
    /// Milliseconds added to the real clock (tests jump to the next day).
    clock_shift_ms: AtomicI64,
    /// Rate limiting's token buckets, per user key (this node's).
    buckets: Mutex<HashMap<String, Bucket>>,
    sessions: Mutex<HashMap<String, Session>>,
    pub counter: AtomicU64,
    /// The request-id counter: restarts with the JVM ([`State::reset_request_ids`]).
    ids: AtomicU64,
    inflight: AtomicU64,
    pub fail_next: AtomicU32,
    /// Milliseconds every answer waits (a Jira under load).
    pub slow_ms: AtomicU64,
    /// Non-PAT requests per second the background generator serves.
    background_rps: AtomicU32,
    background_pat_percent: AtomicU32,
    date_style: DateStyle,
    stop_flag: Arc<AtomicBool>,
    server: Arc<tiny_http::Server>,
    public_addr: SocketAddr,
    tls: bool,
    login_count: AtomicU64,
}

pub(crate) fn start(
    cfg: SimConfig,
    home: PathBuf,
    install: PathBuf,
    shared: Arc<Shared>,
) -> std::io::Result<(Arc<State>, Vec<JoinHandle<()>>, String)> {
    let public = TcpListener::bind(("127.0.0.1", cfg.port))?;
    let public_addr = public.local_addr()?;
    let tls = cfg.tls.clone();
    let stop_flag = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    let server = match &tls {
        None => tiny_http::Server::from_listener(public, None),
        Some(identity) => {
            let internal = TcpListener::bind("127.0.0.1:0")?;
            let backend = internal.local_addr()?;
            workers.push(super::tls::serve(
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
    let url = format!("{scheme}://127.0.0.1:{}", public_addr.port());

    let log_path = home.join("log").join("atlassian-jira.log");
    let log = LogFile::open(&log_path, cfg.log_max_bytes, cfg.log_backups, cfg.rotation)?;
    let with_offset = !version_before(&cfg.version, 8, 1);
    let pattern = cfg
        .access_log_pattern
        .clone()
        .unwrap_or_else(|| super::access::STOCK_PATTERN.to_string());
    super::access::write_install_files(
        &install,
        &pattern,
        &cfg.version,
        public_addr.port(),
        &cfg.context_path,
        tls.is_some(),
    )?;
    super::access::write_log4j_config(
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
        fail_next: AtomicU32::new(0),
        slow_ms: AtomicU64::new(0),
        background_rps: AtomicU32::new(cfg.background_rps),
        background_pat_percent: AtomicU32::new(cfg.background_pat_percent),
        stop_flag,
        server: Arc::new(server),
        public_addr,
        tls: tls.is_some(),
        login_count: AtomicU64::new(0),
        home,
        cfg,
    });
    state.startup_lines();
    shared.nodes.lock().unwrap().push(Arc::downgrade(&state));

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
                        last_pruning = Instant::now();
                    }
                }
            })?,
    );
    Ok((state, workers, url))
}

/// The background generator: paced by the clock so the rate holds whatever each request
/// costs; a backlog longer than a second is dropped rather than served in a burst.
fn background(st: &State, thread: &str) {
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
fn version_before(version: &str, major: u32, minor: u32) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (a, b) < (major, minor)
}

struct Req {
    method: String,
    path: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    cookies: HashMap<String, String>,
    params: HashMap<String, String>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    fn is_get(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
    fn no_check(&self) -> bool {
        self.header("X-Atlassian-Token")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no-check"))
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
    fn json(status: u16, v: Value) -> Reply {
        Reply::new(status, "application/json;charset=UTF-8", v.to_string())
    }
    fn html(status: u16, body: String) -> Reply {
        Reply::new(status, "text/html;charset=UTF-8", body)
    }
    fn redirect(location: &str) -> Reply {
        let mut r = Reply::new(302, "text/html;charset=UTF-8", Vec::new());
        r.headers.push(("Location".into(), location.into()));
        r
    }
    fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
    fn with(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    fn errors(status: u16, msg: &str) -> Reply {
        Reply::json(status, json!({"errorMessages": [msg], "errors": {}}))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    Anonymous,
    Pat,
    Session,
    Basic,
}

/// Who a request runs as, and what it carries along.
struct Ctx {
    thread: String,
    mdc: Mdc,
    user: Option<SimUser>,
    via: Via,
    /// The HTTP session the request uses (cookie, Basic-created or the PAT's throw-away one).
    session: Option<String>,
    set_cookies: Vec<String>,
    /// The XSRF token the page should carry (the request's valid cookie, else a new one).
    xsrf: Option<String>,
}

fn random_session_id() -> String {
    accounts::random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The short id Jira logs for a session (`hkdcdx`): a base-36 hash of the session id.
fn asession_id(session: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in session.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let mut n = h % 36u64.pow(7);
    let mut s = Vec::new();
    loop {
        s.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

impl State {
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
    fn access_line(&self, mut r: AccessRecord, started: Instant) {
        r.elapsed = started.elapsed();
        let mut log = self.access.lock().unwrap();
        let _ = log.write(&r, self.now());
    }

    /// Rate limiting (Jira 8.6+): one bucket per user, shared by all of the user's tokens
    /// (and Basic calls). Ok(remaining) or Err(seconds until a request is allowed).
    fn take_rate_token(&self, user_key: &str, rl: &RateLimit) -> Result<u32, u64> {
        let cap = rl.per_minute.max(1) as f64;
        let mut buckets = self.buckets.lock().unwrap();
        let now = Instant::now();
        let b = buckets.entry(user_key.to_string()).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let refill = now.duration_since(b.last).as_secs_f64() * cap / 60.0;
        b.tokens = (b.tokens + refill).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(b.tokens.floor() as u32)
        } else {
            Err(((1.0 - b.tokens) * 60.0 / cap).ceil().max(1.0) as u64)
        }
    }

    pub fn stop(&self) {
        if self.stop_flag.swap(true, Ordering::SeqCst) {
            return;
        }
        self.server.unblock();
        if self.tls {
            // Wake the TLS accept loop so it sees the flag.
            let _ = TcpStream::connect_timeout(&self.public_addr, Duration::from_millis(200));
        }
    }

    fn log_entry(
        &self,
        thread: &str,
        level: Level,
        mdc: Option<&Mdc>,
        logger: &str,
        msg: &str,
        throwable: &[String],
    ) {
        let enabled = if self.cfg.runtime_levels_apply {
            self.levels.lock().unwrap().enabled(logger, level)
        } else {
            self.file_levels.enabled(logger, level)
        };
        if !enabled {
            return;
        }
        // Take the time under the file lock so the file is in time order.
        let mut log = self.log.lock().unwrap();
        let date = self.date_style.format(self.now());
        let entry = format_entry(&date, thread, level, mdc, logger, msg, throwable);
        let _ = log.write_entry(&entry);
    }

    fn log(&self, ctx: &Ctx, level: Level, logger: &str, msg: &str) {
        self.log_entry(&ctx.thread, level, Some(&ctx.mdc), logger, msg, &[]);
    }

    fn startup_lines(&self) {
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
        let nodes: Vec<Arc<State>> = self
            .shared
            .nodes
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
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
            .nodes
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
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

    fn handle(&self, thread: &str, mut rq: tiny_http::Request) {
        let started = Instant::now();
        let method = rq.method().as_str().to_ascii_uppercase();
        let raw_url = rq.url().to_string();
        let (uri, raw_query) = match raw_url.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (raw_url.clone(), String::new()),
        };
        let version = rq.http_version();
        let remote = rq
            .remote_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "127.0.0.1".into());
        let headers: Vec<(String, String)> = rq
            .headers()
            .iter()
            .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
            .collect();
        let mut record = AccessRecord {
            remote_addr: remote.clone(),
            start: self.now(),
            method: method.clone(),
            uri,
            query: raw_query,
            protocol: format!("HTTP/{}.{}", version.0, version.1),
            thread: thread.to_string(),
            local_port: self.public_addr.port(),
            ..AccessRecord::default()
        };
        let mut path_and_query = raw_url;
        let context = self.context_path();
        if !context.is_empty() {
            // Tomcat serves nothing outside the context path; Jira sees paths without it.
            match path_and_query.strip_prefix(context) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') => {
                    path_and_query = if rest.starts_with('/') {
                        rest.to_string()
                    } else {
                        format!("/{rest}")
                    };
                }
                _ => {
                    // Tomcat answers outside Jira's context: no request id, no user.
                    let body = "Not Found";
                    let resp = tiny_http::Response::from_string(body).with_status_code(404);
                    let _ = rq.respond(resp);
                    record.status = 404;
                    record.bytes = body.len() as u64;
                    record.request_headers = headers;
                    self.access_line(record, started);
                    return;
                }
            }
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (path_and_query.clone(), String::new()),
        };
        let mut body = Vec::new();
        let _ = rq.as_reader().take(1 << 20).read_to_end(&mut body);
        let mut cookies = HashMap::new();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("cookie") {
                for part in v.split(';') {
                    if let Some((n, val)) = part.trim().split_once('=') {
                        cookies.insert(n.to_string(), val.to_string());
                    }
                }
            }
        }
        let mut params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let is_form = headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-type")
                && v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
        });
        if is_form {
            params.extend(url::form_urlencoded::parse(&body).into_owned());
        }
        let ip = match headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
        {
            Some((_, xff)) => format!("{},{remote}", xff.replace(' ', "")),
            None => remote,
        };
        let req = Req {
            method,
            path,
            path_and_query,
            headers,
            cookies,
            params,
            body,
        };
        let (ctx, reply) = self.serve(thread, &req, ip);
        let (status, bytes, response_headers) = self.respond(rq, &req, &ctx, reply);
        record.status = status;
        record.bytes = bytes;
        record.response_headers = response_headers;
        self.fill_record(&mut record, &ctx);
        record.request_headers = req.headers;
        self.access_line(record, started);
    }

    /// The request attributes Jira set (id, user, short session id) and the HTTP session.
    fn fill_record(&self, record: &mut AccessRecord, ctx: &Ctx) {
        record.request_id = Some(ctx.mdc.request_id.clone());
        record.username = ctx.user.as_ref().map(|u| u.name.clone());
        record.asession_id =
            Some(ctx.mdc.asession_id.clone()).filter(|a| !a.is_empty() && a != "-");
        // The PAT filter invalidates its session before the valve looks.
        record.session_id = ctx.session.clone().filter(|_| ctx.via != Via::Pat);
    }

    /// Everything Jira does with a parsed request: request id and MDC, then the filter
    /// chain. Background traffic comes in here too, so it costs the log what real
    /// requests cost.
    fn serve(&self, thread: &str, req: &Req, ip: String) -> (Ctx, Reply) {
        self.counter.fetch_add(1, Ordering::SeqCst);
        let n = self.ids.fetch_add(1, Ordering::SeqCst) + 1;
        let concurrent = self.inflight.fetch_add(1, Ordering::SeqCst) + 1;
        let local = jiff::tz::Offset::from_seconds(self.cfg.utc_offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC)
            .to_datetime(self.now());
        let minute_of_day = local.hour() as u32 * 60 + local.minute() as u32;
        let mut ctx = Ctx {
            thread: thread.to_string(),
            mdc: Mdc {
                username: "anonymous".into(),
                request_id: format!("{minute_of_day}x{n}x{concurrent}"),
                asession_id: "-".into(),
                ip,
                url: req.path.clone(),
            },
            user: None,
            via: Via::Anonymous,
            session: None,
            set_cookies: Vec::new(),
            xsrf: None,
        };
        let reply = self.process(req, &mut ctx);
        self.inflight.fetch_sub(1, Ordering::SeqCst);
        (ctx, reply)
    }

    /// One anonymous request of the background traffic (browsers, monitoring, other
    /// integrations without a token): through the same chain as a socket's request.
    fn serve_background(&self, thread: &str, n: u64) {
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

    /// Sends the answer; returns its status, body size and headers for the access log.
    fn respond(
        &self,
        rq: tiny_http::Request,
        req: &Req,
        ctx: &Ctx,
        reply: Reply,
    ) -> (u16, u64, Vec<(String, String)>) {
        let mut headers = reply.headers;
        let context = self.context_path();
        for (k, v) in headers.iter_mut() {
            if k == "Location" && v.starts_with('/') {
                *v = format!("{context}{v}");
            }
        }
        let who = ctx.user.as_ref().map_or("anonymous", |u| u.name.as_str());
        headers.push(("X-AUSERNAME".into(), who.into()));
        headers.push(("X-AREQUESTID".into(), ctx.mdc.request_id.clone()));
        if let Some(node) = &self.cfg.node_id {
            headers.push(("X-ANODEID".into(), node.clone()));
        }
        if ctx.via != Via::Pat {
            if let Some(s) = &ctx.session {
                headers.push(("X-ASESSIONID".into(), asession_id(s)));
                let websudo = self
                    .sessions
                    .lock()
                    .unwrap()
                    .get(s)
                    .and_then(|s| s.websudo_until)
                    .is_some_and(|until| until > Instant::now());
                if websudo && !headers.iter().any(|(k, _)| k == "X-Atlassian-WebSudo") {
                    headers.push(("X-Atlassian-WebSudo".into(), "Has-Authentication".into()));
                }
            }
        }
        for c in &ctx.set_cookies {
            if let Some((_, v)) = c.split(';').next().and_then(|nv| nv.split_once('=')) {
                self.shared
                    .issued_cookies
                    .lock()
                    .unwrap()
                    .push(v.to_string());
            }
            headers.push(("Set-Cookie".into(), c.clone()));
        }
        let body = if req.method == "HEAD" {
            Vec::new()
        } else {
            reply.body
        };
        let bytes = body.len() as u64;
        let mut resp = tiny_http::Response::from_data(body).with_status_code(reply.status);
        for (k, v) in &headers {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                resp.add_header(h);
            }
        }
        let _ = rq.respond(resp);
        (reply.status, bytes, headers)
    }

    fn process(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        self.log(
            ctx,
            Level::Trace,
            loggers::FILTER,
            ">>> TokenBasedAuthenticationFilter.doFilter",
        );
        // The PAT filter: a failing token leaves the request anonymous, never answers 401.
        if let Some(token) = bearer(req) {
            if let Some(user) = self.pat_authenticate(ctx, &token) {
                ctx.user = Some(user);
                ctx.via = Via::Pat;
                ctx.session = Some(random_session_id());
            }
        }
        let reply = self.chain(req, ctx);
        if ctx.via == Via::Pat {
            if let Some(s) = &ctx.session {
                let msg = format!(
                    "Invalidating session authenticated using personal access token with an ID [{s}]"
                );
                self.log(ctx, Level::Trace, loggers::FILTER, &msg);
            }
        }
        self.log(
            ctx,
            Level::Trace,
            loggers::FILTER,
            "<<< TokenBasedAuthenticationFilter.doFilter",
        );
        reply
    }

    /// Everything after the PAT filter: Seraph (session, Basic), then the resource.
    fn chain(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if ctx.user.is_none() {
            if let Some(reply) = self.seraph(req, ctx) {
                return reply;
            }
        }
        if let Some(u) = &ctx.user {
            ctx.mdc.username = u.name.clone();
        }
        if let Some(s) = &ctx.session {
            ctx.mdc.asession_id = asession_id(s);
        }
        // Rate limiting (Jira 8.6+) comes after authentication: the PAT filter's lines are
        // already logged when a request over the limit gets its 429. Browser sessions are
        // not limited, REST calls with a token or Basic credentials are.
        let mut limit_headers = Vec::new();
        if let (Some(rl), Some(u)) = (&self.cfg.rate_limit, &ctx.user) {
            if matches!(ctx.via, Via::Pat | Via::Basic) {
                let n = rl.per_minute.max(1).to_string();
                limit_headers = vec![
                    ("X-RateLimit-Limit".to_string(), n.clone()),
                    ("X-RateLimit-FillRate".to_string(), n),
                    ("X-RateLimit-Interval-Seconds".to_string(), "60".to_string()),
                ];
                match self.take_rate_token(&u.key, rl) {
                    Ok(left) => {
                        limit_headers.push(("X-RateLimit-Remaining".into(), left.to_string()))
                    }
                    Err(wait) => {
                        let mut r = Reply::json(
                            429,
                            json!({"message": "Rate limit exceeded. Too many requests."}),
                        )
                        .with("Retry-After", &wait.to_string())
                        .with("X-RateLimit-Remaining", "0");
                        r.headers.extend(limit_headers);
                        return r;
                    }
                }
            }
        }
        let fail = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return self.server_error(req, ctx, "Simulated failure (SimJira::fail_next)");
        }
        let slow = self.slow_ms.load(Ordering::SeqCst);
        if slow > 0 {
            std::thread::sleep(std::time::Duration::from_millis(slow));
        }
        let mut reply = self.route(req, ctx);
        reply.headers.extend(limit_headers);
        reply
    }

    /// Session cookie, else Basic auth. Some(reply) ends the request (bad Basic credentials).
    fn seraph(&self, req: &Req, ctx: &mut Ctx) -> Option<Reply> {
        if let Some(id) = req.cookies.get("JSESSIONID") {
            let sessions = self.sessions.lock().unwrap();
            if let Some(s) = sessions.get(id) {
                if let Some(u) = self.user(&s.user).filter(|u| u.active) {
                    ctx.user = Some(u.clone());
                    ctx.via = Via::Session;
                    ctx.session = Some(id.clone());
                    return None;
                }
            }
        }
        let auth = req.header("Authorization")?;
        let (scheme, value) = auth.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        if !self.cfg.basic_auth {
            return Some(Reply::json(
                403,
                json!({"message": "Basic Authentication has been disabled on this instance."}),
            ));
        }
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let user = decoded.and_then(|d| {
            let (name, pw) = d.split_once(':')?;
            self.user(name)
                .filter(|u| u.active && u.password == pw)
                .cloned()
        });
        match user {
            Some(u) => {
                let id = self.new_session(&u.name, ctx);
                ctx.user = Some(u);
                ctx.via = Via::Basic;
                ctx.session = Some(id);
                None
            }
            None => Some(
                Reply::errors(401, NOT_AUTHENTICATED)
                    .with("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
                    .with("WWW-Authenticate", "OAuth realm=\"jira\""),
            ),
        }
    }

    fn user(&self, name: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// `/jira` style context path (no trailing slash), or empty.
    fn context_path(&self) -> &str {
        self.cfg.context_path.trim_end_matches('/')
    }

    fn cookie_attrs(&self) -> String {
        let path = if self.context_path().is_empty() {
            "/"
        } else {
            self.context_path()
        };
        let secure = if self.tls { "; Secure" } else { "" };
        format!("; Path={path}{secure}")
    }

    fn new_session(&self, user: &str, ctx: &mut Ctx) -> String {
        let id = random_session_id();
        self.sessions.lock().unwrap().insert(
            id.clone(),
            Session {
                user: user.into(),
                websudo_until: None,
            },
        );
        ctx.set_cookies
            .push(format!("JSESSIONID={id}{}; HttpOnly", self.cookie_attrs()));
        id
    }

    /// The request's XSRF token if it is one we issued, else a fresh one (set as a cookie).
    fn xsrf_token(&self, req: &Req, ctx: &mut Ctx) -> String {
        if let Some(t) = &ctx.xsrf {
            return t.clone();
        }
        if let Some(t) = req.cookies.get("atlassian.xsrf.token") {
            if self.shared.xsrf_tokens.lock().unwrap().contains(t) {
                ctx.xsrf = Some(t.clone());
                return t.clone();
            }
        }
        self.fresh_xsrf(ctx)
    }

    fn fresh_xsrf(&self, ctx: &mut Ctx) -> String {
        let b = accounts::random_bytes::<28>();
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let group = |o: usize| -> String {
            b[o..o + 4]
                .iter()
                .map(|x| ALNUM[*x as usize % ALNUM.len()] as char)
                .collect()
        };
        let hex: String = b[8..28].iter().map(|x| format!("{x:02x}")).collect();
        let suffix = if ctx.user.is_some() { "lin" } else { "lout" };
        let token = format!(
            "{}-{}-{}-{}_{hex}_{suffix}",
            group(0),
            group(4),
            group(8),
            group(12)
        );
        self.shared
            .xsrf_tokens
            .lock()
            .unwrap()
            .insert(token.clone());
        ctx.set_cookies.push(format!(
            "atlassian.xsrf.token={token}{}",
            self.cookie_attrs()
        ));
        ctx.xsrf = Some(token.clone());
        token
    }

    fn xsrf_ok(&self, req: &Req) -> bool {
        if req.no_check() {
            return true;
        }
        match (
            req.param("atl_token"),
            req.cookies.get("atlassian.xsrf.token"),
        ) {
            (Some(p), Some(c)) => p == c && self.shared.xsrf_tokens.lock().unwrap().contains(c),
            _ => false,
        }
    }

    /// The PAT filter's work and log lines (jira-facts §2; pats-plugin 1.4.7 order).
    /// `DefaultTokenValidator` hashing a presented secret: logged both for a wrong secret
    /// and for the first check of a right one (the caching validator skips it after).
    fn log_password_check(&self, ctx: &Ctx, token: &SimToken) {
        self.log(
            ctx,
            Level::Trace,
            loggers::VALIDATOR,
            &format!(
                "Using password encoder to see if tokens match with hashed token: [{}]",
                token.hashed
            ),
        );
    }

    fn pat_authenticate(&self, ctx: &Ctx, raw: &str) -> Option<SimUser> {
        let fail = |msg: &str| {
            self.log(
                ctx,
                Level::Trace,
                loggers::FILTER,
                &format!("Auth failure: [{msg}]"),
            );
            None
        };
        let (token_id, _) = match accounts::decode_token(raw) {
            Ok(v) => v,
            Err(msg) => return fail(&msg),
        };
        self.log(
            ctx,
            Level::Trace,
            loggers::AUTH_SERVICE,
            &format!("Got tokenId: [{token_id}] from token"),
        );
        let now = Timestamp::now();
        let token = self
            .shared
            .tokens
            .lock()
            .unwrap()
            .iter()
            .find(|t| t.token_id == token_id && !t.is_expired(now))
            .cloned();
        let matches = token.as_ref().is_some_and(|t| t.raw == raw);
        if let Some(token) = token.as_ref().filter(|_| !matches) {
            // A wrong secret (pats-plugin 1.4.7): the password encoder's line, then the
            // failure. No TokenDTO, no DEBUG line (`Not a valid password!` is only for a
            // secret that cannot be decoded).
            self.log_password_check(ctx, token);
            return fail(&failures::hash_mismatch(&token.user_key, &token_id));
        }
        self.log(
            ctx,
            Level::Debug,
            loggers::ENRICHER,
            "Registering enum types for Querydsl",
        );
        let Some(token) = token else {
            return fail(&failures::unknown_or_expired(&token_id));
        };
        self.log(
            ctx,
            Level::Trace,
            loggers::CACHING_VALIDATOR,
            &format!("Verifying user token with hashed token: [{}]", token.hashed),
        );
        if !self.validated.lock().unwrap().contains(&token.id) {
            self.log_password_check(ctx, &token);
            self.validated.lock().unwrap().insert(token.id);
        }
        self.log(
            ctx,
            Level::Trace,
            loggers::AUTH_SERVICE,
            &format!(
                "Authentication successful - returning token: [{}]",
                token_dto(&token)
            ),
        );
        self.log(
            ctx,
            Level::Debug,
            loggers::USER_PROVIDER,
            &format!("Looking for Jira user with key: [{}]", token.user_key),
        );
        let Some(user) = self
            .users
            .iter()
            .find(|u| u.key == token.user_key && u.active)
            .cloned()
        else {
            return fail(&failures::inactive_user(&token.user_key));
        };
        self.log(
            ctx,
            Level::Trace,
            loggers::FILTER,
            &format!(
                "Auth SUCCESS for user: [{}] and tokenId: [{}] and expiry:[{}]",
                token.user_key,
                token.token_id,
                expiry_sql(token.expiring_at)
            ),
        );
        let at = now_micros();
        self.pending_access.lock().unwrap().insert(token.id, at);
        self.log(
            ctx,
            Level::Trace,
            loggers::BATCH,
            &format!(
                "Storing auth time: [{}] for tokenId: [{}]",
                java_instant(at),
                token.id
            ),
        );
        Some(user)
    }

    fn server_error(&self, req: &Req, ctx: &Ctx, what: &str) -> Reply {
        let rest = req.path.starts_with("/rest/");
        let category = if rest {
            "com.atlassian.plugins.rest.common.error.jersey.ThrowableExceptionMapper"
        } else {
            "com.atlassian.jira.web.servlet.InternalServerErrorServlet"
        };
        let msg = if rest {
            "Uncaught exception thrown by REST service: ".to_string() + what
        } else {
            format!("Internal server error: {what}")
        };
        let trace: Vec<String> = [
            format!("java.lang.IllegalStateException: {what}"),
            "\tat com.atlassian.jira.sim.SimulatedFault.raise(SimulatedFault.java:42)".into(),
            "\tat com.atlassian.plugins.rest.module.RestDelegatingServletFilter.doFilter(RestDelegatingServletFilter.java:72)".into(),
            "\t... 51 filtered".into(),
            "\tat com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter.doFilter(TokenBasedAuthenticationFilter.java:73)".into(),
            "\t... 12 filtered".into(),
            "Caused by: java.sql.SQLTransientConnectionException: Connection is not available, request timed out after 30000ms.".into(),
            "\t... 3 more".into(),
        ]
        .into();
        self.log_entry(
            &self.busy_thread(req, ctx),
            Level::Error,
            Some(&ctx.mdc),
            category,
            &msg,
            &trace,
        );
        if rest {
            Reply::errors(500, &msg)
        } else {
            Reply::html(500, pages::simple("Internal server error", "", &msg))
        }
    }

    /// Jira renames request threads while a plugin works on them (`... url: /x; user: y`).
    fn busy_thread(&self, req: &Req, ctx: &Ctx) -> String {
        let who = ctx.user.as_ref().map_or("anonymous", |u| u.name.as_str());
        format!("{} url: {}; user: {who}", ctx.thread, req.path)
    }

    fn route(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let p = req.path.as_str();
        if p.starts_with("/rest/") && !req.is_get() && !req.no_check() {
            // Jira's REST XSRF rule: browsers' "simple" content types need the header.
            let ct = req
                .header("Content-Type")
                .unwrap_or("")
                .to_ascii_lowercase();
            if ct.starts_with("application/x-www-form-urlencoded")
                || ct.starts_with("multipart/form-data")
                || ct.starts_with("text/plain")
            {
                return Reply::new(403, "text/plain;charset=UTF-8", "XSRF check failed");
            }
        }
        match (req.method.as_str(), p) {
            ("POST", "/rest/auth/1/session") => self.rest_login(req, ctx),
            ("GET", "/rest/auth/1/session") => match &ctx.user {
                Some(u) => Reply::json(
                    200,
                    json!({"self": format!("/rest/api/2/user?username={}", enc(&u.name)), "name": u.name,
                           "loginInfo": {"failedLoginCount": 0, "loginCount": self.login_count.load(Ordering::SeqCst)}}),
                ),
                None => Reply::errors(401, NOT_AUTHENTICATED),
            },
            ("DELETE", "/rest/auth/1/session") => match &ctx.session {
                Some(s) if ctx.via == Via::Session => {
                    self.sessions.lock().unwrap().remove(s);
                    Reply::no_content()
                }
                _ => Reply::errors(401, NOT_AUTHENTICATED),
            },
            ("GET", "/status") => Reply::json(200, json!({"state": "RUNNING"})),
            ("GET", "/rest/api/2/serverInfo") => self.server_info(),
            ("GET", "/rest/api/2/myself") => match &ctx.user {
                Some(u) => {
                    let mut v = user_json(u);
                    if req.param("expand").is_some_and(|e| e.contains("groups")) {
                        let groups: Vec<Value> =
                            groups_of(u).iter().map(|g| json!({"name": g})).collect();
                        v["groups"] = json!({"size": groups.len(), "items": groups});
                    }
                    Reply::json(200, v)
                }
                None => Reply::errors(401, NOT_AUTHENTICATED),
            },
            ("GET", "/rest/api/2/mypermissions") => self.my_permissions(req, ctx),
            ("DELETE", "/rest/auth/1/websudo") => {
                // Gives up websudo for the session (Jira's own "drop privileges" call).
                if let Some(id) = &ctx.session {
                    if let Some(s) = self.sessions.lock().unwrap().get_mut(id) {
                        s.websudo_until = None;
                    }
                }
                Reply::no_content()
            }
            ("GET" | "POST", "/rest/api/2/search") => self.search(req, ctx),
            ("GET", "/rest/api/2/project") => {
                if self.cfg.noise {
                    // Async plugin work logs on another thread but with the request's MDC.
                    self.log_entry(
                        "ThreadPoolAsyncTaskExecutor::Thread 39",
                        Level::Warn,
                        Some(&ctx.mdc),
                        "com.atlassian.plugin.osgi.factory.OsgiPlugin",
                        "Plugin 'com.example.sim.project-badges' took 1204 ms to answer a project listing",
                        &[],
                    );
                }
                self.projects(ctx)
            }
            ("GET", _) if p.starts_with("/rest/api/2/issue/") => self.issue(req, ctx),
            (_, _) if p.starts_with("/rest/pat/latest/tokens") => self.pat_rest(req, ctx),
            (_, "/secure/admin/ViewLogging.jspa") => self.admin(req, ctx, Self::view_logging),
            (_, "/secure/admin/ConfigureLogging.jspa") => {
                self.admin(req, ctx, Self::configure_logging)
            }
            ("GET", "/secure/admin/ConfigureLogging!default.jspa") => {
                self.admin(req, ctx, |st, req, ctx| {
                    let t = st.xsrf_token(req, ctx);
                    let logger = req.param("loggerName").unwrap_or("");
                    Reply::html(200, pages::configure_logging_form(logger, &t, None))
                })
            }
            ("GET", "/secure/admin/WebSudoAuthenticate!default.jspa") => {
                self.websudo_form(req, ctx)
            }
            ("POST", "/secure/admin/WebSudoAuthenticate.jspa") => self.websudo_submit(req, ctx),
            ("GET", "/login.jsp") => {
                if let Some(sso) = &self.cfg.sso_login {
                    return sso_redirect(sso, req.param("os_destination").unwrap_or("/"));
                }
                let t = self.xsrf_token(req, ctx);
                let dest = req.param("os_destination").unwrap_or("");
                let pv = req.param("permissionViolation") == Some("true");
                Reply::html(200, pages::login_page(dest, pv, &t))
            }
            ("POST", "/login.jsp") => self.form_login(req, ctx),
            ("GET", "/" | "/secure/Dashboard.jspa") => {
                let t = self.xsrf_token(req, ctx);
                let who = ctx.user.as_ref().map_or("anonymous", |u| u.name.as_str());
                Reply::html(
                    200,
                    pages::simple("System Dashboard", &t, &format!("Logged in as: {who}")),
                )
            }
            _ if p.starts_with("/rest/") => Reply::errors(404, &format!("null for uri: {p}")),
            _ => {
                let t = self.xsrf_token(req, ctx);
                Reply::html(404, pages::simple("Oops, you've found a dead link.", &t, p))
            }
        }
    }

    /// `mypermissions?permissions=SYSTEM_ADMIN,ADMINISTER`: global permissions of the caller.
    fn my_permissions(&self, req: &Req, ctx: &Ctx) -> Reply {
        let admin = ctx.user.as_ref().is_some_and(|u| u.admin);
        let known = [
            ("SYSTEM_ADMIN", "44", "Jira System Administrators", admin),
            (
                "ADMINISTER",
                "0",
                "Jira Administrators",
                ctx.user.as_ref().is_some_and(|u| u.jira_admin),
            ),
            ("USE", "1", "Browse Users", ctx.user.is_some()),
        ];
        let wanted: Option<Vec<&str>> = req.param("permissions").map(|p| p.split(',').collect());
        let mut perms = serde_json::Map::new();
        for (key, id, name, have) in known {
            if wanted.as_ref().is_none_or(|w| w.contains(&key)) {
                perms.insert(
                    key.into(),
                    json!({"id": id, "key": key, "name": name, "type": "GLOBAL",
                           "description": name, "havePermission": have}),
                );
            }
        }
        Reply::json(200, json!({"permissions": perms}))
    }

    fn projects(&self, ctx: &Ctx) -> Reply {
        match &ctx.user {
            Some(_) => Reply::json(
                200,
                json!([{"id": "10000", "key": "SCRUM", "name": "Scrum team"},
                       {"id": "10001", "key": "OPS", "name": "Operations"}]),
            ),
            None => Reply::json(200, json!([])),
        }
    }

    fn server_info(&self) -> Reply {
        let v: Vec<u32> = self
            .cfg
            .version
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let num = |i: usize| v.get(i).copied().unwrap_or(0);
        let dc = self.data_center();
        Reply::json(
            200,
            json!({
                "baseUrl": format!("{}://127.0.0.1:{}{}", if self.tls {"https"} else {"http"}, self.public_addr.port(), self.context_path()),
                "version": self.cfg.version,
                "versionNumbers": v,
                "deploymentType": if dc { "DataCenter" } else { "Server" },
                "buildNumber": num(0) * 100_000 + num(1) * 1_000 + num(2),
                "buildDate": "2023-12-12T00:00:00.000+0000",
                "serverTime": rest_date(Timestamp::now()),
                "scmInfo": "simulated",
                "serverTitle": "Jira (simulated)"
            }),
        )
    }

    fn rest_login(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_login {
            return sso_redirect(sso, "/");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::errors(
                400,
                "Unrecognized request body: expected JSON with username and password",
            );
        };
        let name = body["username"].as_str().unwrap_or("");
        let pw = body["password"].as_str().unwrap_or("");
        let Some(user) = self
            .user(name)
            .filter(|u| u.active && u.password == pw)
            .cloned()
        else {
            return Reply::errors(401, "Login failed")
                .with("X-Seraph-LoginReason", "AUTHENTICATED_FAILED");
        };
        self.login(user, ctx);
        let n = self.login_count.fetch_add(1, Ordering::SeqCst) + 1;
        let id = ctx.session.clone().unwrap_or_default();
        // A new login gets a new XSRF token (`_lin`).
        self.fresh_xsrf(ctx);
        Reply::json(
            200,
            json!({"session": {"name": "JSESSIONID", "value": id},
                   "loginInfo": {"failedLoginCount": 0, "loginCount": n,
                                 "previousLoginTime": rest_date(Timestamp::now())}}),
        )
        .with("X-Seraph-LoginReason", "OK")
    }

    fn login(&self, user: SimUser, ctx: &mut Ctx) {
        if let (Some(old), Via::Session) = (&ctx.session, ctx.via) {
            self.sessions.lock().unwrap().remove(old);
        }
        let id = self.new_session(&user.name, ctx);
        ctx.mdc.username = user.name.clone();
        ctx.mdc.asession_id = asession_id(&id);
        ctx.user = Some(user);
        ctx.via = Via::Session;
        ctx.session = Some(id);
    }

    fn form_login(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_login {
            return sso_redirect(sso, req.param("os_destination").unwrap_or("/"));
        }
        let name = req.param("os_username").unwrap_or("");
        let pw = req.param("os_password").unwrap_or("");
        let dest = req
            .param("os_destination")
            .filter(|d| d.starts_with('/') && !d.starts_with("//"))
            .unwrap_or("/secure/Dashboard.jspa")
            .to_string();
        match self
            .user(name)
            .filter(|u| u.active && u.password == pw)
            .cloned()
        {
            Some(u) => {
                self.login(u, ctx);
                Reply::redirect(&dest).with("X-Seraph-LoginReason", "OK")
            }
            None => {
                let t = self.xsrf_token(req, ctx);
                Reply::html(200, pages::login_page(&dest, false, &t))
                    .with("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
            }
        }
    }

    /// Permission, then websudo, then the action (which checks XSRF itself).
    fn admin(
        &self,
        req: &Req,
        ctx: &mut Ctx,
        action: fn(&State, &Req, &mut Ctx) -> Reply,
    ) -> Reply {
        let is_admin = ctx.user.as_ref().is_some_and(|u| u.admin);
        if !is_admin {
            if ctx.user.as_ref().is_some_and(|u| u.jira_admin) {
                let t = self.xsrf_token(req, ctx);
                return Reply::html(200, pages::not_system_admin(&t));
            }
            if ctx.user.is_none() {
                if let Some(sso) = &self.cfg.sso_login {
                    return sso_redirect(sso, &req.path_and_query);
                }
            }
            if req.is_get() {
                return Reply::redirect(&format!(
                    "/login.jsp?permissionViolation=true&os_destination={}",
                    enc(&req.path_and_query)
                ));
            }
            let t = self.xsrf_token(req, ctx);
            let status = if ctx.user.is_some() { 403 } else { 401 };
            return Reply::html(status, pages::permission_violation(&t, ctx.user.is_some()));
        }
        if self.cfg.websudo && !self.has_websudo(ctx) {
            if let Some(sso) = &self.cfg.sso_websudo {
                return sso_redirect(sso, &req.path_and_query);
            }
            return Reply::redirect(&format!(
                "/secure/admin/WebSudoAuthenticate!default.jspa?webSudoDestination={}",
                enc(&req.path_and_query)
            ));
        }
        action(self, req, ctx)
    }

    /// Websudo is a property of the session and slides with each admin request.
    fn has_websudo(&self, ctx: &Ctx) -> bool {
        if ctx.via == Via::Pat {
            return self.cfg.pat_websudo_exempt;
        }
        let Some(id) = &ctx.session else { return false };
        let mut sessions = self.sessions.lock().unwrap();
        let Some(s) = sessions.get_mut(id) else {
            return false;
        };
        let now = Instant::now();
        match s.websudo_until {
            Some(until) if until > now => {
                s.websudo_until = Some(now + self.cfg.websudo_timeout);
                true
            }
            _ => false,
        }
    }

    fn view_logging(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let t = self.xsrf_token(req, ctx);
        let levels = self.levels.lock().unwrap().clone();
        Reply::html(200, pages::view_logging(&levels, &t))
    }

    fn configure_logging(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if !self.xsrf_ok(req) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(403, pages::xsrf_error(&t));
        }
        let logger = req.param("loggerName").unwrap_or("").trim().to_string();
        let t = self.xsrf_token(req, ctx);
        if logger.is_empty() {
            return Reply::html(
                200,
                pages::configure_logging_form("", &t, Some("You must specify a logger name.")),
            );
        }
        let Some(level_name) = req.param("levelName") else {
            return Reply::html(200, pages::configure_logging_form(&logger, &t, None));
        };
        // Faithful gotcha: log4j's Level.toLevel(name, DEBUG).
        let level = level_name.parse::<Level>().unwrap_or(Level::Debug);
        let _open = self.shared.level_gate.read();
        self.set_level_everywhere(&logger, level);
        Reply::redirect("/secure/admin/ViewLogging.jspa")
    }

    fn websudo_form(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_websudo {
            return sso_redirect(sso, req.param("webSudoDestination").unwrap_or("/"));
        }
        if ctx.user.is_none() {
            return Reply::redirect(&format!(
                "/login.jsp?permissionViolation=true&os_destination={}",
                enc(&req.path_and_query)
            ));
        }
        let t = self.xsrf_token(req, ctx);
        let dest = req.param("webSudoDestination").unwrap_or("");
        Reply::html(200, pages::websudo_form(dest, &t, None))
    }

    fn websudo_submit(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_websudo {
            // The identity provider re-authenticates; a password here means nothing.
            return sso_redirect(sso, req.param("webSudoDestination").unwrap_or("/"));
        }
        let Some(user) = ctx.user.clone() else {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(401, pages::permission_violation(&t, false));
        };
        if !self.xsrf_ok(req) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(403, pages::xsrf_error(&t));
        }
        let dest = req.param("webSudoDestination").unwrap_or("").to_string();
        if req.param("webSudoPassword") != Some(user.password.as_str()) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(
                200,
                pages::websudo_form(
                    &dest,
                    &t,
                    Some("The password you entered is incorrect. Please try again."),
                ),
            );
        }
        if ctx.via != Via::Pat {
            // Websudo rotates the session id (session fixation defence).
            let mut sessions = self.sessions.lock().unwrap();
            if let Some(old) = &ctx.session {
                sessions.remove(old);
            }
            let id = random_session_id();
            sessions.insert(
                id.clone(),
                Session {
                    user: user.name.clone(),
                    websudo_until: Some(Instant::now() + self.cfg.websudo_timeout),
                },
            );
            drop(sessions);
            ctx.set_cookies
                .push(format!("JSESSIONID={id}{}; HttpOnly", self.cookie_attrs()));
            ctx.session = Some(id);
            ctx.via = Via::Session;
        }
        let target = if dest.starts_with('/') && !dest.starts_with("//") {
            dest
        } else {
            "/secure/admin/ViewApplicationProperties.jspa".to_string()
        };
        Reply::redirect(&target).with("X-Atlassian-WebSudo", "Has-Authentication")
    }

    fn search(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let jql = if req.method == "POST" {
            serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| v["jql"].as_str().map(String::from))
        } else {
            req.param("jql").map(String::from)
        }
        .unwrap_or_default();
        let n = self.counter.load(Ordering::SeqCst);
        if self.cfg.noise && n.is_multiple_of(5) {
            let msg = format!(
                "JQL query took {} ms: {}",
                800 + n % 700,
                if jql.is_empty() {
                    "ORDER BY created DESC"
                } else {
                    &jql
                }
            );
            self.log_entry(
                &self.busy_thread(req, ctx),
                Level::Info,
                Some(&ctx.mdc),
                "com.atlassian.jira.issue.search.providers.LuceneSearchProvider",
                &msg,
                &[],
            );
        }
        if ctx.user.is_none() {
            return Reply::json(
                200,
                json!({"startAt": 0, "maxResults": 50, "total": 0, "issues": []}),
            );
        }
        let issues: Vec<Value> = (1..=3)
            .map(|i| {
                json!({"id": (10000 + i).to_string(), "key": format!("SCRUM-{i}"),
                            "fields": {"summary": format!("Simulated issue {i}")}})
            })
            .collect();
        Reply::json(
            200,
            json!({"startAt": 0, "maxResults": 50, "total": issues.len(), "issues": issues}),
        )
    }

    fn issue(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let key = req.path.trim_start_matches("/rest/api/2/issue/");
        if ctx.user.is_none() {
            return Reply::errors(401, NOT_AUTHENTICATED);
        }
        if key == "BOOM-1" {
            return self.server_error(req, ctx, "Simulated failure (issue BOOM-1)");
        }
        let n: Option<u32> = key.strip_prefix("SCRUM-").and_then(|n| n.parse().ok());
        match n {
            Some(n @ 1..=20) => Reply::json(
                200,
                json!({"id": (10000 + n).to_string(), "key": key,
                       "fields": {"summary": format!("Simulated issue {n}"), "status": {"name": "To Do"}}}),
            ),
            _ => {
                if self.cfg.noise {
                    self.log_entry(
                        &self.busy_thread(req, ctx),
                        Level::Warn,
                        Some(&ctx.mdc),
                        "com.atlassian.jira.rest.v2.issue.IssueResource",
                        &format!(
                            "Issue {key} does not exist or user has no permission\nrequested by {}",
                            ctx.mdc.ip
                        ),
                        &[],
                    );
                }
                Reply::errors(404, "Issue Does Not Exist")
            }
        }
    }

    fn pat_rest(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let Some(user) = ctx.user.clone() else {
            return Reply::errors(401, NOT_AUTHENTICATED);
        };
        let rest = req.path.trim_start_matches("/rest/pat/latest/tokens");
        let rest = rest.trim_start_matches('/');
        match (req.method.as_str(), rest) {
            ("GET", "") => {
                let list: Vec<Value> = self
                    .shared
                    .tokens
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|t| t.user_key == user.key)
                    .map(token_json)
                    .collect();
                Reply::json(200, Value::Array(list))
            }
            ("POST", "") => self.create_token(req, ctx, &user),
            ("POST", "search") => self.search_tokens(req, &user),
            (m, id) => {
                let Ok(id) = id.parse::<u64>() else {
                    return Reply::errors(404, "Token not found");
                };
                let mut tokens = self.shared.tokens.lock().unwrap();
                let Some(pos) = tokens
                    .iter()
                    .position(|t| t.id == id && t.user_key == user.key)
                else {
                    return Reply::errors(404, "Token not found");
                };
                match m {
                    "GET" => Reply::json(200, token_json(&tokens[pos])),
                    "DELETE" => {
                        tokens.remove(pos);
                        drop(tokens);
                        self.log(
                            ctx,
                            Level::Trace,
                            loggers::TOKEN_SERVICE,
                            &format!("Token deleted: [{id}]"),
                        );
                        Reply::no_content()
                    }
                    _ => Reply::errors(405, "Method not allowed"),
                }
            }
        }
    }

    /// `POST /rest/pat/latest/tokens/search` as the plugin serves it (jira-facts §5): System
    /// Administrators only (403), Data Center only (an invalid-licence error, guessed as 403
    /// with a message naming the licence), a valid `sortBy` in the JSON body (400 without
    /// one). Paging is guessed: `page` (from 0) and `limit` as query parameters or body
    /// fields, `limit` capped at [`SimConfig::token_search_max_page`]; the answer is
    /// `{values, page, size, isLastPage, totalPages}`. `lastAccessedAt` is what the batcher
    /// job last wrote, as in Jira's database.
    fn search_tokens(&self, req: &Req, user: &SimUser) -> Reply {
        if !user.admin {
            return Reply::errors(403, "You are not a system administrator.");
        }
        if !self.data_center() {
            return Reply::errors(
                403,
                "Invalid license: searching all users' tokens requires a Data Center license.",
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        const SORTS: [&str; 5] = [
            "createdAt",
            "expiringAt",
            "lastAccessedAt",
            "name",
            "userKey",
        ];
        let Some(sort) = body["sortBy"].as_str().filter(|s| SORTS.contains(s)) else {
            return Reply::errors(
                400,
                &format!(
                    "Invalid sortBy value: {}. Valid values: {}",
                    body["sortBy"],
                    SORTS.join(", ")
                ),
            );
        };
        let number = |name: &str| {
            req.param(name)
                .and_then(|v| v.parse::<u64>().ok())
                .or_else(|| body[name].as_u64())
        };
        let page = number("page").unwrap_or(0) as usize;
        let limit = (number("limit").unwrap_or(50) as usize)
            .clamp(1, self.cfg.token_search_max_page.max(1));
        let mut tokens = self.shared.tokens.lock().unwrap().clone();
        tokens.sort_by(|a, b| {
            let by = match sort {
                "createdAt" => a.created_at.cmp(&b.created_at),
                "expiringAt" => a.expiring_at.cmp(&b.expiring_at),
                "lastAccessedAt" => a.last_accessed_at.cmp(&b.last_accessed_at),
                "name" => a.name.cmp(&b.name),
                _ => a.user_key.cmp(&b.user_key),
            };
            by.then(a.id.cmp(&b.id))
        });
        let total_pages = tokens.len().div_ceil(limit);
        let values: Vec<Value> = tokens
            .iter()
            .skip(page.saturating_mul(limit))
            .take(limit)
            .map(|t| {
                let mut v = token_json(t);
                let owner = self.users.iter().find(|u| u.key == t.user_key);
                v["userProfileResource"] = json!({
                    "userKey": t.user_key,
                    "username": owner.map(|u| u.name.clone()),
                    "fullName": owner.map(|u| u.display_name.clone()),
                    "email": owner.map(|u| u.email.clone()),
                });
                v
            })
            .collect();
        Reply::json(
            200,
            json!({"values": values, "page": page, "size": limit,
                   "isLastPage": page + 1 >= total_pages, "totalPages": total_pages}),
        )
    }

    /// Data Center: a node id, or the licence flag of a single node.
    fn data_center(&self) -> bool {
        self.cfg.data_center || self.cfg.node_id.is_some()
    }

    fn create_token(&self, req: &Req, ctx: &mut Ctx, user: &SimUser) -> Reply {
        if !self.cfg.token_creation {
            return Reply::errors(403, "Personal access token creation is disabled.");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::errors(
                400,
                "Request body must be JSON: {\"name\": ..., \"expirationDuration\": days}",
            );
        };
        let name = body["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() || name.chars().count() > 40 {
            return Reply::errors(400, "Token name must be between 1 and 40 characters.");
        }
        let days = body["expirationDuration"].as_i64();
        if days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Reply::errors(400, "Expiration must be between 1 and 365 days.");
        }
        let mut tokens = self.shared.tokens.lock().unwrap();
        if tokens.iter().filter(|t| t.user_key == user.key).count() >= 10 {
            return Reply::errors(400, "You have reached the maximum number of tokens (10).");
        }
        let token_id = loop {
            let id = accounts::random_token_id();
            if !tokens.iter().any(|t| t.token_id == id) {
                break id;
            }
        };
        let secret = accounts::random_bytes::<20>();
        let now = now_micros();
        let t = SimToken {
            id: self.shared.next_row.fetch_add(1, Ordering::SeqCst),
            raw: accounts::encode_token(&token_id, &secret),
            hashed: accounts::fake_hash(&secret),
            token_id,
            user_key: user.key.clone(),
            owner: user.name.clone(),
            name,
            created_at: now,
            last_accessed_at: None,
            expiring_at: days.map(|d| now + jiff::SignedDuration::from_hours(24 * d)),
        };
        tokens.push(t.clone());
        drop(tokens);
        self.log(
            ctx,
            Level::Trace,
            loggers::TOKEN_SERVICE,
            &format!("Token saved: [{}]", token_dto(&t)),
        );
        let mut v = token_json(&t);
        v["rawToken"] = Value::String(t.raw.clone());
        Reply::json(201, v)
    }
}

/// Off to the identity provider, with where to come back to (and, like a real SAML
/// redirect, a request blob in the query).
fn sso_redirect(target: &str, back_to: &str) -> Reply {
    Reply::redirect(&format!(
        "{target}?redirectTo={}&SAMLRequest=fZJNT8MwDIbvSPyHKPeu2xhIRGvRGCAm8VFtBSRuXmI2S23SxenG%2FvuVNdPgBfH",
        enc(back_to)
    ))
}

/// `Authorization: Bearer <token>` as the filter reads it: trimmed header starts with
/// `Bearer`, splits on spaces (runs collapse) into exactly two parts.
fn bearer(req: &Req) -> Option<String> {
    let h = req.header("Authorization")?;
    if !h.trim().starts_with("Bearer") {
        return None;
    }
    let parts: Vec<&str> = h.split(' ').filter(|p| !p.is_empty()).collect();
    (parts.len() == 2).then(|| parts[1].to_string())
}

fn groups_of(u: &SimUser) -> Vec<&'static str> {
    if u.jira_admin && !u.admin {
        return vec!["jira-administrators", "jira-software-users"];
    }
    if u.admin {
        vec![
            "jira-administrators",
            "jira-software-users",
            "jira-system-administrators",
        ]
    } else {
        vec!["jira-software-users"]
    }
}

fn user_json(u: &SimUser) -> Value {
    json!({
        "self": format!("/rest/api/2/user?username={}", enc(&u.name)),
        "key": u.key,
        "name": u.name,
        "emailAddress": u.email,
        "displayName": u.display_name,
        "active": u.active,
        "timeZone": "Etc/UTC",
        "locale": "en_US",
    })
}

fn token_json(t: &SimToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "createdAt": rest_date(t.created_at),
        "lastAccessedAt": t.last_accessed_at.map(rest_date),
        "expiringAt": expiry_rest(t.expiring_at),
    })
}
