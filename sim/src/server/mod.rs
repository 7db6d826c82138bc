//! The simulated Jira's request handling, one room per endpoint family. The order of
//! checks follows Jira's filter chain: PAT filter first, then Seraph (session, Basic), then
//! the action (permission, websudo, XSRF, work). This file holds what every room shares: a
//! node's [`State`], who a request runs as ([`Ctx`]), the log writer, and the route table.
//!
//! - [`node`]: start/stop/restart, [`Shared`], background threads, jobs and the clock;
//! - [`http`]: the tiny_http adapter ([`http::Req`], [`http::Reply`]), access-log records;
//! - [`pat_filter`]: the PAT filter and its log lines;
//! - [`auth`]: Seraph (session, Basic), logins, cookies, XSRF, websudo state, rate limit;
//! - [`admin`]: the logging and websudo admin pages;
//! - [`rest`]: serverInfo, myself, mypermissions, search, project, issue;
//! - [`pat_rest`]: `/rest/pat/latest/tokens` (create, list, get, revoke, search).

mod admin;
mod auth;
mod http;
mod node;
mod pat_filter;
mod pat_rest;
mod rest;

use crate::access::AccessLog;
use crate::accounts::SimUser;
use crate::log::{format_entry, DateStyle, LevelTable, LogFile, Mdc};
use crate::pages;
use crate::Level;
use crate::SimConfig;
use auth::{rest_xsrf_refusal, Bucket, Session};
/// What the balancer reads of a request as the nodes do.
pub(crate) use http::peer_and_headers;
use http::{Reply, Req};
use jiff::Timestamp;
/// Starting a node, and what the nodes of one Jira share.
pub(crate) use node::{start, Shared};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64};
use std::sync::{Arc, Mutex};

const NOT_AUTHENTICATED: &str =
    "You are not authenticated. Authentication required to perform this operation.";

/// One running node: its configuration, logs, levels, sessions and counters.
pub(crate) struct State {
    /// The configuration this node started with.
    pub cfg: SimConfig,
    /// This node's JIRA_HOME.
    pub home: PathBuf,
    /// What the nodes of this Jira share (database, XSRF tokens).
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
    /// This node's install directory (server.xml, access logs).
    pub install: PathBuf,
    /// Milliseconds added to the real clock (tests jump to the next day).
    clock_shift_ms: AtomicI64,
    /// Rate limiting's token buckets, per user key (this node's).
    buckets: Mutex<HashMap<String, Bucket>>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Requests served so far (background ones included).
    pub counter: AtomicU64,
    /// The request-id counter: restarts with the JVM ([`State::reset_request_ids`]).
    ids: AtomicU64,
    inflight: AtomicU64,
    /// Requests taken in (sockets' and background ones), and access lines written: Tomcat
    /// writes a request's line after its answer, so the two differ while lines are due.
    received: AtomicU64,
    access_lines: AtomicU64,
    /// How many of the next requests answer 500.
    pub fail_next: AtomicU32,
    /// Milliseconds every answer waits (a Jira under load).
    pub slow_ms: AtomicU64,
    /// Non-PAT requests per second the background generator serves.
    background_rps: AtomicU32,
    background_pat_percent: AtomicU32,
    date_style: DateStyle,
    stop_flag: Arc<AtomicBool>,
    server: Arc<tiny_http::Server>,
    /// The plain-HTTP listening socket (a second handle on tiny_http's): shut down on stop,
    /// so that a stopped Jira refuses connections as a real one does instead of leaving
    /// them unanswered until the client's timeout.
    listener: Option<std::net::TcpListener>,
    public_addr: SocketAddr,
    tls: bool,
    login_count: AtomicU64,
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

impl State {
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

    /// The JVM's zone, in which the PAT plugin prints its `Timestamp`s: the log's offset.
    fn jvm_offset(&self) -> jiff::tz::Offset {
        jiff::tz::Offset::from_seconds(self.cfg.utc_offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC)
    }

    fn log(&self, ctx: &Ctx, level: Level, logger: &str, msg: &str) {
        self.log_entry(&ctx.thread, level, Some(&ctx.mdc), logger, msg, &[]);
    }

    fn user(&self, name: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// `/jira` style context path (no trailing slash), or empty.
    fn context_path(&self) -> &str {
        self.cfg.context_path.trim_end_matches('/')
    }

    /// Data Center: a node id, or the licence flag of a single node.
    fn data_center(&self) -> bool {
        self.cfg.data_center || self.cfg.node_id.is_some()
    }

    /// The route table: method and path to the room that answers. Jira's REST XSRF rule
    /// refuses first, before any resource runs.
    fn route(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(refused) = rest_xsrf_refusal(req) {
            return refused;
        }
        let p = req.path.as_str();
        match (req.method.as_str(), p) {
            // auth: sessions, logins, websudo
            ("POST", "/rest/auth/1/session") => self.rest_login(req, ctx),
            ("GET", "/rest/auth/1/session") => self.current_session(ctx),
            ("DELETE", "/rest/auth/1/session") => self.logout(ctx),
            ("DELETE", "/rest/auth/1/websudo") => self.drop_websudo(ctx),
            ("GET", "/login.jsp") => self.login_page(req, ctx),
            ("POST", "/login.jsp") => self.form_login(req, ctx),
            // rest
            ("GET", "/status") => Reply::json(200, json!({"state": "RUNNING"})),
            ("GET", "/rest/api/2/serverInfo") => self.server_info(),
            ("GET", "/rest/api/2/myself") => self.myself(req, ctx),
            ("GET", "/rest/api/2/mypermissions") => self.my_permissions(req, ctx),
            ("GET", "/rest/api/2/cluster/nodes") => self.cluster_nodes(ctx),
            ("GET" | "POST", "/rest/api/2/search") => self.search(req, ctx),
            ("GET", "/rest/api/2/project") => self.projects(ctx),
            ("GET", _) if p.starts_with("/rest/api/2/issue/") => self.issue(req, ctx),
            // pat_rest
            (_, _) if p.starts_with("/rest/pat/latest/tokens") => self.pat_rest(req, ctx),
            // admin: permission, then websudo, then the page
            (_, "/secure/admin/ViewLogging.jspa") => self.admin(req, ctx, Self::view_logging),
            (_, "/secure/admin/ConfigureLogging.jspa") => {
                self.admin(req, ctx, Self::configure_logging)
            }
            ("GET", "/secure/admin/ConfigureLogging!default.jspa") => {
                self.admin(req, ctx, Self::configure_logging_form)
            }
            ("GET", "/secure/admin/WebSudoAuthenticate!default.jspa") => {
                self.websudo_form(req, ctx)
            }
            ("POST", "/secure/admin/WebSudoAuthenticate.jspa") => self.websudo_submit(req, ctx),
            // pages
            ("GET", "/" | "/secure/Dashboard.jspa") => self.dashboard(req, ctx),
            _ => self.not_found(req, ctx),
        }
    }

    /// The dashboard: who the request runs as.
    fn dashboard(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let t = self.xsrf_token(req, ctx);
        let who = ctx.user.as_ref().map_or("anonymous", |u| u.name.as_str());
        Reply::html(
            200,
            pages::simple("System Dashboard", &t, &format!("Logged in as: {who}")),
        )
    }

    /// Nothing here: a JSON 404 under `/rest/`, else Jira's dead-link page.
    fn not_found(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let p = req.path.as_str();
        if p.starts_with("/rest/") {
            return Reply::errors(404, &format!("null for uri: {p}"));
        }
        let t = self.xsrf_token(req, ctx);
        Reply::html(404, pages::simple("Oops, you've found a dead link.", &t, p))
    }
}
