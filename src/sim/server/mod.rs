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

use crate::level::Level;
use crate::sim::access::AccessLog;
use crate::sim::accounts::SimUser;
use crate::sim::log::{format_entry, DateStyle, LevelTable, LogFile, Mdc};
use crate::sim::pages::{self, enc};
use crate::sim::SimConfig;
use admin::sso_redirect;
use auth::{Bucket, Session};
use http::{Reply, Req};
use jiff::Timestamp;
pub(crate) use node::{start, Shared};
use rest::{groups_of, user_json};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const NOT_AUTHENTICATED: &str =
    "You are not authenticated. Authentication required to perform this operation.";

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
}
