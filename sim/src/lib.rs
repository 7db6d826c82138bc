//! The simulated Jira: a real HTTP(S) server on 127.0.0.1 that answers the admin pages,
//! auth and PAT REST calls the way jira-facts.md §2–§5 describe, and writes
//! `atlassian-jira.log` lines (PAT filter TRACE/DEBUG sequences, ordinary noise) according
//! to the logger levels set through its own logging page. Tests, the demo and
//! `jira-patrol sim` run against it.
//!
//! Simulator secrets (seeded passwords and tokens, see [`SimAccounts::seeded`]) are meant
//! to be shown: they exist only here.
//!
//! What it serves:
//! - `POST|GET|DELETE /rest/auth/1/session`, `POST /login.jsp` (form login), Basic auth
//!   (or 403 "disabled"), `Authorization: Bearer` PATs (a failing PAT goes on anonymous).
//! - `GET /rest/api/2/{serverInfo,myself,search,project,issue/KEY}` (`issue/BOOM-1` = 500
//!   with a stack trace in the log), `GET /status`.
//! - `/rest/pat/latest/tokens` (GET, POST, `GET|DELETE /{id}` (204 even when gone), `POST
//!   /search`: System Administrators on Data Center, paged, read from the JSON body only),
//!   with the plugin's error bodies `{exception, error}` (401 `AuthorisationException` for
//!   a search by someone who is no System Administrator).
//! - `/secure/admin/ViewLogging.jspa`, `ConfigureLogging.jspa` (GET or POST), websudo form
//!   and `WebSudoAuthenticate.jspa`, with Jira's permission, websudo and XSRF answers; the
//!   logging page's "mark logs" form (`id="login-form"`) and its hidden loggers (SQL, SOAP,
//!   HTTP access, mail); a 200 "access denied" page for a Jira Administrator; single
//!   sign-on redirects of login and websudo when configured ([`SimConfig::sso_login`]).
//!
//! - Tomcat's access log: `<install>/logs/access_log.<yyyy-MM-dd>` (a line per request at its
//!   completion, the stock pattern or [`SimConfig::access_log_pattern`], `%D` in ms before
//!   Jira 11, µs from 11), `<install>/conf/server.xml` with that valve and
//!   `<install>/RELEASE-NOTES` naming the bundled Tomcat; rate limiting per user
//!   ([`SimConfig::rate_limit`], 429 with `Retry-After`).
//!
//! Faithful: status codes, redirects, cookies and headers of the facts; the PAT plugin's
//! log lines in its code order, with its categories, MDC columns and Java value spellings;
//! validator cache (first use of a token logs one more line); batched last-access times;
//! expired tokens kept until `ExpiredTokenPruningJob` removes them 30 days after expiry;
//! unknown level names becoming DEBUG; log4j inheritance; rotation. Guessed (facts \[U\]):
//! the English of the two i18n failure messages ([`failures`]), the success line of plugin
//! versions other than 1.4.7 ([`SimConfig::reworded_success`]), whether PATs skip websudo
//! ([`SimConfig::pat_websudo_exempt`]), exact error-page statuses, noise line texts.

#![warn(missing_docs)]

mod access;
mod accounts;
mod balancer;
mod level;
mod log;
mod pages;
mod server;
mod tls;
/// Scripted clients that send PAT traffic and count the answers.
pub mod traffic;

/// Tomcat access log: pattern, line writer, escapes (the access module's tools).
pub use access::{
    clf_time, duration_in_micros, escape_into, escape_java_into, tomcat_version, AccessPattern,
    AccessRecord, STOCK_PATTERN as STOCK_ACCESS_LOG_PATTERN,
};
/// Seeded users and tokens, and the token encoding.
pub use accounts::{decode_token, encode_token, token_dto, SimAccounts, SimToken, SimUser};
/// Logger levels as the simulated logging page knows them.
pub use level::Level;
/// Logger levels, category abbreviation and rotation of the simulator's log.
pub use log::{abbreviate, LevelTable, RotationMode};
/// The certificate a TLS simulator serves.
pub use tls::TlsIdentity;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Logger names the PAT plugin logs under (jira-facts §2).
pub mod loggers {
    /// The PAT filter: `>>>`/`<<<`, `Auth SUCCESS`, `Auth failure`.
    pub const FILTER: &str = "com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter";
    /// `Got tokenId`, `Authentication successful`.
    pub const AUTH_SERVICE: &str = "com.atlassian.pats.service.DefaultTokenAuthenticationService";
    /// `Registering enum types for Querydsl`.
    pub const ENRICHER: &str = "com.atlassian.pats.db.PersonalTokenConfigEnricher";
    /// `Verifying user token with hashed token`.
    pub const CACHING_VALIDATOR: &str = "com.atlassian.pats.service.CachingTokenValidator";
    /// `Using password encoder ...`: first check of a secret, or a wrong one.
    pub const VALIDATOR: &str = "com.atlassian.pats.service.DefaultTokenValidator";
    /// `Looking for Jira user with key`.
    pub const USER_PROVIDER: &str = "com.atlassian.pats.checker.JiraProductUserProvider";
    /// `Storing auth time`.
    pub const BATCH: &str = "com.atlassian.pats.web.filter.LastAccessedTimeBatcher$TokenBatch";
    /// `Stamping tokens with last accessed times`.
    pub const BATCH_JOB: &str = "com.atlassian.pats.jobs.LastAccessedTimeBatcherJob";
    /// `Removing tokens for deleted userKey`.
    pub const PRUNING_JOB: &str = "com.atlassian.pats.jobs.DeletedUserPruningJob";
    /// `Token saved`, `Token deleted`.
    pub const TOKEN_SERVICE: &str = "com.atlassian.pats.service.DefaultTokenService";
}

/// `Auth failure: [...]` texts. The plugin's English for the two i18n keys is not known
/// (jira-facts §2 \[U\]); these guesses name the token id (and user key) as the keys' arguments
/// do. The other two are the plugin's literal messages.
pub mod failures {
    /// No valid token with this id (unknown, expired or revoked).
    pub fn unknown_or_expired(token_id: &str) -> String {
        format!("Authentication failed for token with ID: {token_id}")
    }
    /// The id is known but the secret does not match.
    pub fn hash_mismatch(user_key: &str, token_id: &str) -> String {
        format!("Authentication failed for user: {user_key} and token with ID: {token_id}")
    }
    /// The token's owner is deactivated or deleted.
    pub fn inactive_user(user_key: &str) -> String {
        format!("Unable to locate active user: {user_key}")
    }
    /// The bearer value is not a well-formed token.
    pub const FORMAT: &str = "Token format is invalid";
}

/// The filter's success line as [`SimConfig::reworded_success`] writes it: the same facts
/// as pats-plugin 1.4.7's `Auth SUCCESS for user: [..] and tokenId: [..]`, in words
/// jira-patrol does not know (as another plugin version might word it).
pub fn reworded_success(user_key: &str, token_id: &str, expiry: &str) -> String {
    format!("Token authentication succeeded (user={user_key}, token={token_id}, expires={expiry})")
}

/// Days after its expiry that `ExpiredTokenPruningJob` removes a token
/// (`atlassian.pats.pruning.delay.days`, jira-facts §2).
pub const EXPIRED_TOKEN_PRUNING_DAYS: i64 = 30;

/// Everything a test or the demo may want to vary. Start from `SimConfig::default()`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// JIRA_HOME; the log is `<home>/log/atlassian-jira.log`. `None`: a temporary directory
    /// removed when the server stops.
    pub home: Option<PathBuf>,
    /// 0 = any free port (tests must never use fixed ports).
    pub port: u16,
    /// The loopback address to listen on (`127.0.0.1`; a cluster's nodes may take
    /// `127.0.0.2`, ... so that each can be addressed by its own IP, as on a real network).
    pub address: std::net::Ipv4Addr,
    /// The `ip` that `/rest/api/2/cluster/nodes` shows for this node; `None`: the address
    /// it listens on. A node that cannot be reached at its `ip` and the connector port is
    /// what many sites have (only the load balancer is reachable).
    pub node_ip: Option<String>,
    /// Admin pages require a websudo session (`jira.websudo.is.disabled` not set).
    pub websudo: bool,
    /// How long websudo lasts after the last admin request (Jira: 10 minutes); tests end it at once with [`SimJira::expire_websudo`].
    pub websudo_timeout: Duration,
    /// Whether a PAT-authenticated request may use admin pages without websudo (the \[U\] fact
    /// of §3): false = it gets the websudo redirect like a session without websudo.
    pub pat_websudo_exempt: bool,
    /// Basic auth allowed (false = Jira 8.16+ "disabled" answer, 403).
    pub basic_auth: bool,
    /// Rotation size of atlassian-jira.log; 0 = never rotate.
    pub log_max_bytes: u64,
    /// Rotated backups kept (`.1` ... `.n`).
    pub log_backups: u32,
    /// How the log rotates: log4j rename, or copytruncate.
    pub rotation: RotationMode,
    /// Serve HTTPS with this certificate (`None` = plain HTTP).
    pub tls: Option<TlsIdentity>,
    /// Data Center node id: sent as `X-ANODEID`, makes the deployment type "DataCenter".
    pub node_id: Option<String>,
    /// A Data Center licence without a node id (a one-node Data Center): the deployment
    /// type is "DataCenter" and the token search answers. A node id implies it.
    pub data_center: bool,
    /// Most tokens one page of the token search holds, whatever `limit` asks (tests make
    /// it small to see paging).
    pub token_search_max_page: usize,
    /// Jira version reported by serverInfo; below 8.1 log dates have no `+hhmm` offset.
    pub version: String,
    /// Server time zone offset used in log dates (minutes east of UTC).
    pub utc_offset_minutes: i32,
    /// How often the last-accessed batcher job runs (Jira: every minute).
    pub batch_interval: Duration,
    /// How often `DeletedUserPruningJob` runs (Jira: nightly, once per cluster); `None` =
    /// only when [`SimJira::run_pruning_job`] is called.
    pub pruning_interval: Option<Duration>,
    /// Emit occasional ordinary (non-PAT) INFO/WARN/ERROR lines, stack traces and renamed
    /// threads, as a real log has.
    pub noise: bool,
    /// Context path Jira is deployed under (`/jira`); empty = root. Redirects and cookie
    /// paths carry it; log URLs and websudo/login destinations do not.
    pub context_path: String,
    /// Whether levels set on the logging page change what is logged. false simulates a
    /// 9.5+ upgrade that lost the log4j2 JVM arguments (jira-facts §6): the page accepts and
    /// shows the change, the log does not follow.
    pub runtime_levels_apply: bool,
    /// Request-handling threads (`http-nio-8080-exec-1..N`).
    pub threads: usize,
    /// Single sign-on for logins: where `login.jsp`, the REST session login and anonymous
    /// admin requests are sent instead (e.g. [`SSO_SAML`], [`SSO_OTHER_HOST`]). Basic auth
    /// and PATs still work, as local accounts do behind Atlassian's SSO.
    pub sso_login: Option<String>,
    /// Single sign-on for websudo: where admin pages send a session without websudo, and
    /// where the websudo form and its password POST go instead.
    pub sso_websudo: Option<String>,
    /// Whether `POST /rest/pat/latest/tokens` may create tokens. false answers 403 as a Jira
    /// whose administrators switched token creation off.
    pub token_creation: bool,
    /// Write the PAT filter's success line in another wording than pats-plugin 1.4.7's
    /// (`Auth SUCCESS for user: ...`), as a plugin version whose wording is not known might
    /// (jira-facts §2 \[U\]): the request still succeeds.
    pub reworded_success: bool,
    /// Anonymous non-PAT requests per second served in the background (browsers,
    /// monitoring), through the same filter chain as real ones: at TRACE on the PAT filter
    /// each writes its `>>>`/`<<<` lines, the real cost of TRACE. 0 = none.
    pub background_rps: u32,
    /// Percentage of the background requests that carry a valid token of a seeded user
    /// (`GET /rest/api/2/myself`): a steady PAT rate.
    pub background_pat_percent: u32,
    /// The Jira install directory (`conf/server.xml`, `logs/access_log.<date>`,
    /// `RELEASE-NOTES`). `None`: `<home>-install` beside a given home, else a temporary
    /// directory removed when the server stops.
    pub install: Option<PathBuf>,
    /// The `AccessLogValve` pattern written into server.xml and used for the access log;
    /// `None` = Jira's stock pattern ([`STOCK_ACCESS_LOG_PATTERN`]).
    pub access_log_pattern: Option<String>,
    /// Jira's rate limiting (8.6+); `None` = off, as on a fresh install.
    pub rate_limit: Option<RateLimit>,
}

/// Rate limiting settings: a token bucket per user (shared by all of the user's tokens and
/// Basic calls; this node's), of capacity `per_minute`, refilled continuously at
/// `per_minute` requests a minute. A request with no token left answers 429 with
/// `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Capacity of a user's bucket and its refill a minute.
    pub per_minute: u32,
}

/// Atlassian Data Center SSO's SAML servlet (jira-facts §3 \[U\]).
pub const SSO_SAML: &str = "/plugins/servlet/samlsso";
/// An identity provider on another host; the query stands for a SAML request.
pub const SSO_OTHER_HOST: &str = "https://idp.example.test/saml/login";

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            home: None,
            port: 0,
            address: std::net::Ipv4Addr::LOCALHOST,
            node_ip: None,
            websudo: true,
            websudo_timeout: Duration::from_secs(600),
            pat_websudo_exempt: false,
            basic_auth: true,
            log_max_bytes: 1024 * 1024,
            log_backups: 5,
            rotation: RotationMode::Rename,
            tls: None,
            node_id: None,
            data_center: false,
            token_search_max_page: 100,
            version: "9.12.2".into(),
            utc_offset_minutes: 0,
            batch_interval: Duration::from_secs(60),
            pruning_interval: None,
            noise: true,
            context_path: String::new(),
            runtime_levels_apply: true,
            threads: 8,
            sso_login: None,
            sso_websudo: None,
            token_creation: true,
            reworded_success: false,
            background_rps: 0,
            background_pat_percent: 0,
            install: None,
            access_log_pattern: None,
            rate_limit: None,
        }
    }
}

/// A running simulated Jira. Stops on [`SimJira::stop`] or drop.
pub struct SimJira {
    state: Arc<server::State>,
    workers: Vec<std::thread::JoinHandle<()>>,
    url: String,
    // Dropped last: the temporary JIRA_HOME and install, when none was given.
    _home: Option<tempfile::TempDir>,
    _install: Option<tempfile::TempDir>,
}

impl SimJira {
    /// Binds 127.0.0.1 (port from the config, 0 = any) and serves on background threads.
    pub fn start(cfg: SimConfig) -> std::io::Result<SimJira> {
        Self::start_shared(cfg, server::Shared::new())
    }

    fn start_shared(cfg: SimConfig, shared: Arc<server::Shared>) -> std::io::Result<SimJira> {
        let (home, tmp) = match &cfg.home {
            Some(h) => (h.clone(), None),
            None => {
                let t = tempfile::Builder::new().prefix("jira-sim-home").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let (install, install_tmp) = match (&cfg.install, &cfg.home) {
            (Some(i), _) => (i.clone(), None),
            (None, Some(h)) => {
                let mut p = h.clone().into_os_string();
                p.push("-install");
                (PathBuf::from(p), None)
            }
            (None, None) => {
                let t = tempfile::Builder::new()
                    .prefix("jira-sim-install")
                    .tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let (state, workers, url) = server::start(cfg, home, install, shared)?;
        Ok(SimJira {
            state,
            workers,
            url,
            _home: tmp,
            _install: install_tmp,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (`https://` with TLS), with the context path.
    pub fn url(&self) -> String {
        format!(
            "{}{}",
            self.url,
            self.state.cfg.context_path.trim_end_matches('/')
        )
    }

    /// The live `atlassian-jira.log`.
    pub fn log_path(&self) -> PathBuf {
        self.state.log_path()
    }

    /// The live log then its rotated backups that exist, newest first (`.1`, `.2`, ...).
    pub fn log_files(&self) -> Vec<PathBuf> {
        let live = self.log_path();
        let mut files = vec![live.clone()];
        for i in 1..=self.state.cfg.log_backups {
            let mut p = live.clone().into_os_string();
            p.push(format!(".{i}"));
            let p = PathBuf::from(p);
            if !p.exists() {
                break;
            }
            files.push(p);
        }
        files
    }

    /// JIRA_HOME (`log/atlassian-jira.log` lives under it).
    pub fn home(&self) -> PathBuf {
        self.state.home.clone()
    }

    /// The Jira install directory: `conf/server.xml`, `RELEASE-NOTES`, `logs/`.
    pub fn install_dir(&self) -> PathBuf {
        self.state.install.clone()
    }

    /// Today's access log, `<install>/logs/access_log.<yyyy-MM-dd>` (the server's date in
    /// its offset, by its clock: see [`SimJira::roll_access_log_day`]).
    pub fn access_log_path(&self) -> PathBuf {
        self.state.access_log_path()
    }

    /// Today's access log once every request taken in so far has its line. Tomcat writes a
    /// request's line after sending its answer, so a client holding the answer may read
    /// the file before the line is there: tests read it through this.
    pub fn access_log(&self) -> String {
        self.state.wait_access_lines(Duration::from_secs(30));
        std::fs::read_to_string(self.access_log_path()).unwrap_or_default()
    }

    /// Every `access_log.*` file of the install, oldest first.
    pub fn access_log_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.install_dir().join("logs"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("access_log."))
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Jumps the server's clock to just after the next local midnight: later requests get
    /// the next day's dates and request ids (minute of day restarts near 0) in both logs,
    /// and their access lines open the next day's file, which is returned. Lines go there
    /// from the next request on (Tomcat rolls at the first write of the new day).
    pub fn roll_access_log_day(&self) -> PathBuf {
        self.state.roll_access_log_day()
    }

    /// Moves the server's clock forward (log dates, request ids, access-log times).
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance_clock(by);
    }

    /// The seeded users and tokens (secrets of the simulator, for tests and the demo).
    pub fn accounts(&self) -> &SimAccounts {
        &self.state.shared.seed
    }

    /// Explicitly set levels as the server holds them, root under the key `"root"`.
    pub fn levels(&self) -> BTreeMap<String, Level> {
        let t = self.state.levels.lock().unwrap();
        let mut m = t.explicit.clone();
        m.insert("root".into(), t.root);
        m
    }

    /// The level a logger gets by inheritance.
    pub fn effective_level(&self, logger: &str) -> Level {
        self.state.levels.lock().unwrap().effective(logger)
    }

    /// Sets a level directly (as if an admin had used the page: in a cluster every node
    /// gets it), for test setup.
    pub fn set_level(&self, logger: &str, level: Level) {
        self.state.set_level_everywhere(logger, level);
    }

    /// The Data Center node id, if any.
    pub fn node_id(&self) -> Option<&str> {
        self.state.cfg.node_id.as_deref()
    }

    /// Simulates a Jira restart: levels set at runtime are lost (back to the file
    /// configuration), sessions are dropped, startup lines are logged.
    pub fn restart(&self) {
        self.state.restart();
    }

    /// [`SimJira::restart`] as a new JVM: also the request-id counter starts over, so the
    /// ids of later requests repeat earlier ones (`<minute>x1x1`, ...) as after a real
    /// restart; the access log goes on in the same day's file.
    pub fn restart_jvm(&self) {
        self.state.restart();
        self.state.reset_request_ids();
    }

    /// Ends the websudo of every session on this node now, as [`SimConfig::websudo_timeout`]
    /// passing would: the next admin page sends them to the websudo form again. Tests call
    /// this instead of sleeping past a short timeout.
    pub fn expire_websudo(&self) {
        self.state.expire_websudo();
    }

    /// Answer the next `n` requests with 500 (they still pass the PAT filter's log lines).
    pub fn fail_next(&self, n: u32) {
        self.state.fail_next.store(n, Ordering::SeqCst);
    }

    /// Make every answer wait this long (a Jira under load; `ZERO` = normal).
    pub fn slow_down(&self, by: Duration) {
        self.state
            .slow_ms
            .store(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// Until the guard is dropped, level changes through the logging page wait (on every
    /// node of a cluster). A test sending traffic during a capture holds it so that the
    /// capture's restore, whenever its window ends, comes after the last request: the
    /// report can then be compared with what was sent, however slow the machine.
    pub fn hold_level_changes(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.state
            .shared
            .level_gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Change the background traffic's rate (requests per second, 0 = none).
    pub fn set_background_rps(&self, rps: u32) {
        self.state.set_background_rps(rps);
    }

    /// Change the percentage of background requests that carry a valid token.
    pub fn set_background_pat_percent(&self, pct: u32) {
        self.state.set_background_pat_percent(pct);
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.state.counter.load(Ordering::SeqCst)
    }

    /// Run the last-accessed batcher job now (instead of waiting for `batch_interval`).
    pub fn flush_last_accessed(&self) {
        self.state.run_batch_job();
    }

    /// Every cookie value this Jira ever set (session ids, XSRF tokens), including ones
    /// since rotated away: what a test checks never leaks.
    pub fn issued_cookie_values(&self) -> Vec<String> {
        self.state.shared.issued_cookies.lock().unwrap().clone()
    }

    /// Every token row in the database (all users), as `GET /rest/pat/latest/tokens` of each
    /// owner would list them.
    pub fn tokens(&self) -> Vec<SimToken> {
        self.state.shared.tokens.lock().unwrap().clone()
    }

    /// Run `DeletedUserPruningJob` now: one `Looking for Jira user` line per token owner,
    /// with no request id, and the removal of deleted owners' tokens.
    pub fn run_pruning_job(&self) {
        self.state.run_pruning_job();
    }

    /// Run `ExpiredTokenPruningJob` now: tokens expired more than
    /// [`EXPIRED_TOKEN_PRUNING_DAYS`] days ago leave the database (until then an expired
    /// token stays listed, unusable). Returns how many went.
    pub fn run_expired_token_pruning_job(&self) -> usize {
        self.state.run_expired_token_pruning_job()
    }

    /// Current state of a token (last access, revocation), by token id.
    pub fn token(&self, token_id: &str) -> Option<SimToken> {
        self.state
            .shared
            .tokens
            .lock()
            .unwrap()
            .iter()
            .find(|t| t.token_id == token_id)
            .cloned()
    }

    /// Stops serving and joins the threads (also done on drop).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.state.stop();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for SimJira {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A Data Center cluster of simulated nodes behind a load balancer (round-robin, sticky on
/// the session cookie): one database (users, tokens), level changes broadcast to every
/// node, but per-node sessions (no replication: a session or websudo made on one node
/// means nothing on another), per-node JIRA_HOME, install, logs and access log,
/// `X-ANODEID`, and the node table of `/rest/api/2/cluster/nodes`.
pub struct SimCluster {
    nodes: Vec<SimJira>,
    cfg: SimConfig,
    shared: Arc<server::Shared>,
    balancer: balancer::Balancer,
    /// Nodes listen on their own address (`127.0.0.<i+1>`) at the balancer's port.
    addressable: bool,
    port: u16,
}

/// Most nodes a cluster gets (one loopback address each).
pub const MAX_NODES: usize = 200;

impl SimCluster {
    /// Starts `n` nodes `node1..n` (`cfg.node_id`, if set, is used as the name prefix) on
    /// 127.0.0.1 at ports of their own, and the load balancer (on `cfg.port`, 0 = any). The
    /// node table gives node i the address `127.0.0.<i+1>`, where nothing answers: as on
    /// a site where only the balancer can be reached. With `cfg.home` set, node i lives in
    /// `<home>/node<i>`.
    pub fn start(n: usize, cfg: SimConfig) -> std::io::Result<SimCluster> {
        Self::start_with(n, cfg, false)
    }

    /// [`SimCluster::start`], each node listening on its own address `127.0.0.<i+1>` at
    /// the balancer's port: what the node table says, so each node can be addressed
    /// directly (as where the nodes' connectors are reachable from the admin's machine).
    pub fn start_addressable(n: usize, cfg: SimConfig) -> std::io::Result<SimCluster> {
        Self::start_with(n, cfg, true)
    }

    fn start_with(n: usize, cfg: SimConfig, addressable: bool) -> std::io::Result<SimCluster> {
        let n = n.clamp(1, MAX_NODES);
        if cfg.tls.is_some() {
            return Err(std::io::Error::other(
                "a simulated cluster serves plain HTTP only",
            ));
        }
        // The same port must be free on every node's address too: another port if not.
        let mut last = None;
        for _ in 0..20 {
            let listener = std::net::TcpListener::bind(("127.0.0.1", cfg.port))?;
            let port = listener.local_addr()?.port();
            let balancer = balancer::Balancer::start(listener)?;
            let mut c = SimCluster {
                nodes: Vec::new(),
                cfg: cfg.clone(),
                shared: server::Shared::new(),
                balancer,
                addressable,
                port,
            };
            let mut ok = true;
            for _ in 0..n {
                match c.add_node() {
                    Ok(_) => {}
                    Err(e)
                        if addressable
                            && e.kind() == std::io::ErrorKind::AddrInUse
                            && cfg.port == 0 =>
                    {
                        last = Some(e);
                        ok = false;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if ok {
                return Ok(c);
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free port for the cluster")))
    }

    /// A node joining later starts from its file configuration (stock levels), not from the
    /// levels the running nodes were given at runtime; the balancer sends it its share.
    pub fn add_node(&mut self) -> std::io::Result<&SimJira> {
        let i = self.nodes.len() + 1;
        if i > MAX_NODES {
            return Err(std::io::Error::other("too many nodes"));
        }
        let ip = std::net::Ipv4Addr::new(127, 0, 0, i as u8 + 1);
        let prefix = self.cfg.node_id.clone().unwrap_or_else(|| "node".into());
        let cfg = SimConfig {
            node_id: Some(format!("{prefix}{i}")),
            home: self.cfg.home.as_ref().map(|h| h.join(format!("node{i}"))),
            install: self
                .cfg
                .install
                .as_ref()
                .map(|d| d.join(format!("node{i}"))),
            address: if self.addressable {
                ip
            } else {
                std::net::Ipv4Addr::LOCALHOST
            },
            port: if self.addressable { self.port } else { 0 },
            node_ip: Some(ip.to_string()),
            ..self.cfg.clone()
        };
        let node = SimJira::start_shared(cfg, self.shared.clone())?;
        self.balancer.add_backend(node.url.clone());
        self.nodes.push(node);
        Ok(&self.nodes[i - 1])
    }

    /// The load balancer's base URL (with the context path): what users and scripts use.
    pub fn url(&self) -> String {
        format!(
            "{}{}",
            self.balancer.url(),
            self.cfg.context_path.trim_end_matches('/')
        )
    }

    /// Node `i` (from 0) leaves the cluster cleanly: it stops serving and the node table
    /// shows it `OFFLINE`.
    pub fn stop_node(&mut self, i: usize) {
        self.balancer.set_down(i);
        self.nodes[i].state.stop_as(true);
    }

    /// Node `i` (from 0) dies: it stops serving, and the node table still shows it
    /// `ACTIVE`, but no longer alive (its heartbeat stopped).
    pub fn kill_node(&mut self, i: usize) {
        self.balancer.set_down(i);
        self.nodes[i].state.stop_as(false);
    }

    /// Every node, in start order.
    pub fn nodes(&self) -> &[SimJira] {
        &self.nodes
    }

    /// Node `i` (from 0); panics past the last.
    pub fn node(&self, i: usize) -> &SimJira {
        &self.nodes[i]
    }

    /// Every node's live log.
    pub fn log_paths(&self) -> Vec<PathBuf> {
        self.nodes.iter().map(SimJira::log_path).collect()
    }

    /// Every node's install directory (each node has its own Tomcat and access log).
    pub fn install_dirs(&self) -> Vec<PathBuf> {
        self.nodes.iter().map(SimJira::install_dir).collect()
    }

    /// Every node's access log of today.
    pub fn access_log_paths(&self) -> Vec<PathBuf> {
        self.nodes.iter().map(SimJira::access_log_path).collect()
    }

    /// The seeded users and tokens the nodes share.
    pub fn accounts(&self) -> &SimAccounts {
        &self.shared.seed
    }
}
