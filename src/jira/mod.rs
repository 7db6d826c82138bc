//! HTTP client for the parts of Jira jira-patrol drives: `serverInfo`/`myself` (REST) and
//! the admin web actions behind System > Logging and profiling (jira-facts §3, §4).
//!
//! Redirects are never followed: a redirect to the websudo form or to `login.jsp` is how
//! Jira says "re-authenticate" or "not allowed", and the client must see it. Cookies live
//! in a `cookie_store` jar ([`cookies`]): websudo rotates `JSESSIONID` and the new one wins.
//! Secrets stay in [`Secret`] and leave it only as a header or form value.

mod check;
mod cluster;
mod cookies;
mod error;
mod page;
mod pat;
mod record;
mod search;
mod version;

pub use check::{check, Check, Checked, Outcome, Verdict};
pub use cluster::{ClusterNode, ClusterView, CLUSTER_NODES};
pub use error::{JiraError, SsoStage};
pub use page::{
    is_hidden_logger, kind as page_kind, parse_levels, xsrf_token, LevelsPage, PageKind, Source,
    ROOT,
};
pub use pat::{PatError, ProbeAnswer, Revoked, TempToken};
pub use record::{Exchange, Recording};
pub use search::{SearchedToken, SEARCH_PAGE_SIZE, TOKEN_SEARCH};
pub use version::Version;

use crate::level::Level;
use crate::secret::Secret;
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode, Url};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The admin logging page (System > Logging and profiling), read for levels.
pub const VIEW_LOGGING: &str = "/secure/admin/ViewLogging.jspa";
/// Where the logging page posts a level change.
pub const CONFIGURE_LOGGING: &str = "/secure/admin/ConfigureLogging.jspa";
const WEBSUDO: &str = "/secure/admin/WebSudoAuthenticate.jspa";
const SESSION: &str = "/rest/auth/1/session";

/// How we prove who we are.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// A personal access token, sent as `Authorization: Bearer`.
    pub token: Option<Secret>,
    /// A user name and password: a session login, and the only way through websudo.
    pub password: Option<(String, Secret)>,
}

/// How to reach Jira and how patient to be.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Jira's base URL (with its context path, if any).
    pub base_url: String,
    /// Who we are.
    pub credentials: Credentials,
    /// Extra trusted CAs (PEM), added to the built-in roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Extra attempts after a 5xx answer or a connection error.
    pub retries: u32,
    /// Pause before the first retry; doubled each time.
    pub backoff: Duration,
}

impl ClientConfig {
    /// Defaults: 30 s per request, two retries 250 ms apart (doubling).
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            credentials,
            ca_pem: None,
            timeout: Duration::from_secs(30),
            retries: 2,
            backoff: Duration::from_millis(250),
        }
    }
}

/// `GET /rest/api/2/serverInfo`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// `9.12.2` (see [`Version`]).
    #[serde(default)]
    pub version: String,
    /// `912002`.
    #[serde(default)]
    pub build_number: Option<i64>,
    /// `Server` or `Cloud` (Data Center says `Server`).
    #[serde(default)]
    pub deployment_type: Option<String>,
    /// The title an admin gave the instance.
    #[serde(default)]
    pub server_title: Option<String>,
    /// The base URL Jira believes it has.
    #[serde(default)]
    pub base_url: Option<String>,
}

/// `GET /rest/api/2/myself`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Myself {
    /// The login name.
    pub name: String,
    /// The user key (`JIRAUSER10100`), which logs and tokens refer to.
    #[serde(default)]
    pub key: Option<String>,
    /// The full name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
}

/// How the last admin page was reached, for `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct AdminAccess {
    /// Jira redirected to the websudo form at least once.
    pub websudo_asked: bool,
    /// We passed websudo with the password.
    pub websudo_passed: bool,
    /// Admin pages are now reached with a password session rather than the PAT.
    pub via_password: bool,
}

#[derive(Debug, Default)]
struct State {
    logged_in: bool,
    /// Switched from the PAT to the password session (websudo needed it).
    use_password: bool,
    access: AdminAccess,
    node: Option<String>,
    /// Every `X-ANODEID` answered with.
    nodes_seen: std::collections::BTreeSet<String>,
    xsrf: Option<String>,
}

/// A Jira connection: one session (cookies, websudo, XSRF) shared by every call. A clone
/// is another handle on the same session (a restore runs on its own thread with one).
#[derive(Clone)]
pub struct Client {
    /// Sends and stores the session's cookies (`jar`).
    http: Http,
    /// The same without cookies, for a token's probe (see `pat`).
    bare: Http,
    jar: Arc<cookies::Jar>,
    base: Url,
    /// Base URL as given (without trailing slash), for messages and the journal.
    base_str: String,
    creds: Credentials,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    state: Arc<Mutex<State>>,
    recorder: Arc<record::Hook>,
    own: Arc<Mutex<OwnRequests>>,
}

/// The request ids (`X-AREQUESTID`) of this client's own recent calls, with their paths.
/// With a PAT login every admin call the tool makes is a request of that token: a report
/// of what scripts did must not count them.
#[derive(Default)]
struct OwnRequests {
    /// Request id, path, and the node that answered (`X-ANODEID`, if any).
    recent: std::collections::VecDeque<(String, String, Option<String>)>,
}

/// Own calls remembered: a capture's polls make a few a minute, and a request is matched
/// within seconds of being made.
const OWN_REQUESTS_KEPT: usize = 4096;

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base_str)
            .field("creds", &self.creds)
            .finish_non_exhaustive()
    }
}

/// One answer, read whole (the pages are small).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn is_redirect(&self) -> bool {
        self.status.is_redirection()
    }
}

enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Json(serde_json::Value),
}

/// What an admin page answer means.
enum PageVerdict {
    Page(Answer),
    WebSudo,
    Login,
    /// Sent to an identity provider (path or host in it).
    SingleSignOn(String),
    /// A page saying the System Administrators permission is missing.
    NotSysAdmin,
}

impl Client {
    /// Whether a logged request (its request id and path, the query left out) was one of
    /// this client's own calls, whichever node answered it (for a Jira of one node).
    /// Request ids repeat across restarts, so the path must agree too; either side may
    /// carry Jira's context path.
    pub fn is_own_request(&self, request_id: &str, path: &str) -> bool {
        if request_id.is_empty() {
            return false;
        }
        let own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        own.recent
            .iter()
            .rev()
            .any(|(id, p, _)| id == request_id && (p.ends_with(path) || path.ends_with(p.as_str())))
    }

    /// [`Client::is_own_request`] for a request logged by `node` (`None`: a log whose node
    /// is not known, or a Jira that names none). A call a named node answered is ours only
    /// in that node's log: every node counts its requests from 1, so a script's request in
    /// a log not yet tied to its node may carry the id and path of one of our calls to
    /// another (`893x3x1 /rest/api/2/serverInfo`), and dropping it would lose a request
    /// silently, where counting one of ours would show under our own token.
    pub fn is_own_request_on(&self, request_id: &str, path: &str, node: Option<&str>) -> bool {
        if request_id.is_empty() {
            return false;
        }
        let own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        own.recent.iter().rev().any(|(id, p, n)| {
            id == request_id
                && (p.ends_with(path) || path.ends_with(p.as_str()))
                && (n.is_none() || n.as_deref() == node)
        })
    }

    /// Remember a request id (its path, the node that answered) as one of this client's
    /// own calls.
    fn note_own(&self, request_id: &str, path: &str, node: Option<&str>) {
        let mut own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        if own.recent.len() == OWN_REQUESTS_KEPT {
            own.recent.pop_front();
        }
        own.recent.push_back((
            request_id.to_string(),
            path.to_string(),
            node.map(str::to_string),
        ));
    }

    /// Check the URL and credentials and build the HTTP client (nothing is sent yet).
    pub fn new(cfg: ClientConfig) -> Result<Client, JiraError> {
        let base_str = cfg.base_url.trim().trim_end_matches('/').to_string();
        let bad = |why: &str| JiraError::BadUrl {
            url: base_str.clone(),
            why: why.to_string(),
        };
        let base = Url::parse(&base_str)
            .map_err(|e| bad(&format!("{e}; expected e.g. https://jira.example.com")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("use http:// or https://"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            // A URL ends up in messages and the journal: credentials must not live there.
            return Err(JiraError::BadUrl {
                url: format!("{}://…@{}", base.scheme(), base.host_str().unwrap_or("")),
                why: "do not put credentials in the URL; use JIRA_TOKEN or JIRA_USER/JIRA_PASSWORD"
                    .into(),
            });
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("the base URL cannot have a query or fragment"));
        }
        if cfg.credentials.token.is_none() && cfg.credentials.password.is_none() {
            return Err(bad("no credentials given"));
        }
        let mut roots = Vec::new();
        if let Some(pem) = &cfg.ca_pem {
            roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| JiraError::Tls {
                url: base_str.clone(),
                reason: format!("the --ca-cert file is not a PEM certificate bundle ({e})"),
            })?;
            if roots.is_empty() {
                return Err(JiraError::Tls {
                    url: base_str.clone(),
                    reason: "the --ca-cert file holds no PEM certificate".into(),
                });
            }
        }
        let builder = || {
            let mut b = Http::builder()
                .use_rustls_tls()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(cfg.timeout)
                .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
                .user_agent(concat!("jira-patrol/", env!("CARGO_PKG_VERSION")));
            for c in &roots {
                b = b.add_root_certificate(c.clone());
            }
            b
        };
        let build_error = |e: reqwest::Error| JiraError::Http {
            url: base_str.clone(),
            reason: e.to_string(),
        };
        let jar = Arc::new(cookies::Jar::default());
        let http = builder()
            .cookie_provider(jar.clone())
            .build()
            .map_err(build_error)?;
        let bare = builder().build().map_err(build_error)?;
        Ok(Client {
            http,
            bare,
            jar,
            base,
            base_str,
            creds: cfg.credentials,
            timeout: cfg.timeout,
            retries: cfg.retries,
            backoff: cfg.backoff,
            state: Arc::default(),
            recorder: Arc::default(),
            own: Arc::default(),
        })
    }

    /// The base URL as configured, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_str
    }

    /// The Data Center node (`X-ANODEID`) that answered last, if any.
    pub fn node(&self) -> Option<String> {
        self.state().node.clone()
    }

    /// How admin pages were reached so far (websudo asked / passed, password session).
    pub fn admin_access(&self) -> AdminAccess {
        self.state().access
    }

    /// The user name we authenticate as with a password, if any.
    pub fn user(&self) -> Option<&str> {
        self.creds.password.as_ref().map(|(u, _)| u.as_str())
    }

    /// True when a token is used (and no password session has replaced it).
    pub fn uses_token(&self) -> bool {
        self.creds.token.is_some() && !self.state().use_password
    }

    /// Jira's request counter now, and the node that answered: the middle part of the
    /// `X-AREQUESTID` (`minute x counter x concurrency`, jira-facts §7) of one light request.
    /// Two readings of the same node some seconds apart give the rate of every request it
    /// served, read-only. `None` when the answer carries no usable id (a proxy dropped it).
    pub fn request_counter(&self) -> Result<Option<(u64, Option<String>)>, JiraError> {
        let a = self.send(Method::GET, "/status", Body::None, false)?;
        let counter = a
            .header("x-arequestid")
            .and_then(|id| id.split('x').nth(1))
            .and_then(|n| n.parse().ok());
        Ok(counter.map(|c| (c, a.header("x-anodeid").map(str::to_string))))
    }

    /// `GET /rest/api/2/serverInfo`: version, build, deployment type. A 404 here (or at the
    /// login) is [`JiraError::NotJira`]: the URL reaches a server, not Jira's REST API.
    pub fn server_info(&self) -> Result<ServerInfo, JiraError> {
        const PATH: &str = "/rest/api/2/serverInfo";
        let a = self.rest(Method::GET, PATH)?;
        if a.status == StatusCode::NOT_FOUND {
            return Err(JiraError::NotJira {
                url: self.base_str.clone(),
                path: PATH.into(),
                status: 404,
            });
        }
        self.json_answer(PATH, &a)
    }

    /// `GET /rest/api/2/myself`: who the credentials log in as.
    pub fn myself(&self) -> Result<Myself, JiraError> {
        self.rest_get("/rest/api/2/myself")
    }

    /// Whether we hold the System Administrators global permission, from
    /// `/rest/api/2/mypermissions`; `None` when this Jira does not answer that.
    pub fn is_system_admin(&self) -> Result<Option<bool>, JiraError> {
        let path = "/rest/api/2/mypermissions?permissions=SYSTEM_ADMIN";
        let a = self.rest(Method::GET, path)?;
        if !a.status.is_success() {
            return Ok(None);
        }
        let v: serde_json::Value = match serde_json::from_str(&a.body) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        };
        Ok(v["permissions"]["SYSTEM_ADMIN"]["havePermission"].as_bool())
    }

    /// Read the logging page: root level, explicit levels, answering node.
    pub fn levels(&self) -> Result<LevelsPage, JiraError> {
        let a = self.admin(Method::GET, VIEW_LOGGING, &[])?;
        if !a.status.is_success() {
            return Err(self.unexpected(VIEW_LOGGING, &a));
        }
        let (root, explicit) = parse_levels(&a.body).map_err(|what| JiraError::UnexpectedPage {
            path: VIEW_LOGGING.into(),
            what,
        })?;
        if let Some(t) = xsrf_token(&a.body) {
            self.state().xsrf = Some(t);
        }
        Ok(LevelsPage {
            root,
            explicit,
            node: a.header("x-anodeid").map(str::to_string),
        })
    }

    /// Set `logger` (`root` for the root logger) to `level` and read it back: Ok only when
    /// the logging page then shows exactly that level for it.
    pub fn set_level(&self, logger: &str, level: Level) -> Result<(), JiraError> {
        let logger = logger.trim();
        if logger.is_empty() || logger.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(JiraError::BadUrl {
                url: self.base_str.clone(),
                why: format!("'{logger}' is not a logger name"),
            });
        }
        // Reading the page first passes websudo/auth problems before the POST and gives
        // us the XSRF token for it.
        self.levels()?;
        let xsrf = self
            .xsrf_cookie()
            .or_else(|| self.state().xsrf.clone())
            .unwrap_or_default();
        let form = [
            ("loggerName", logger),
            ("levelName", level.as_str()),
            ("atl_token", xsrf.as_str()),
        ];
        let a = self.admin(Method::POST, CONFIGURE_LOGGING, &form)?;
        let ok_redirect =
            a.is_redirect() && a.location().is_some_and(|l| l.contains("ViewLogging.jspa"));
        if !ok_redirect {
            if page::is_xsrf_error(&a.body) {
                return Err(JiraError::XsrfRejected {
                    path: CONFIGURE_LOGGING.into(),
                });
            }
            return Err(self.unexpected(CONFIGURE_LOGGING, &a));
        }
        let back = self.levels()?;
        match back.explicit_level(logger) {
            Some(l) if l == level => Ok(()),
            None if page::is_hidden_logger(logger) => Err(JiraError::HiddenLogger {
                logger: logger.to_string(),
                wanted: level,
            }),
            got => Err(JiraError::LevelNotApplied {
                logger: logger.to_string(),
                wanted: level,
                got: got.map_or("not set".to_string(), |l| l.to_string()),
            }),
        }
    }

    /// The XSRF cookie Jira set (`atlassian.xsrf.token`), as the admin pages want it back.
    fn xsrf_cookie(&self) -> Option<String> {
        self.jar
            .get(&self.url(VIEW_LOGGING), "atlassian.xsrf.token")
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data: keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn unexpected(&self, path: &str, a: &Answer) -> JiraError {
        let what = if a.is_redirect() {
            format!(
                "HTTP {} redirect to {}",
                a.status.as_u16(),
                strip_query(a.location().unwrap_or("?"))
            )
        } else {
            format!("HTTP {}", a.status.as_u16())
        };
        JiraError::UnexpectedPage {
            path: path.to_string(),
            what,
        }
    }

    fn rest_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, JiraError> {
        let a = self.rest(Method::GET, path)?;
        self.json_answer(path, &a)
    }

    /// A successful answer's JSON body as `T`; anything else is an unexpected page.
    fn json_answer<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        a: &Answer,
    ) -> Result<T, JiraError> {
        if !a.status.is_success() {
            return Err(self.unexpected(path, a));
        }
        serde_json::from_str(&a.body).map_err(|e| JiraError::UnexpectedPage {
            path: path.to_string(),
            what: format!("not the expected JSON ({e})"),
        })
    }

    /// A REST call with whichever credential we hold; 401 becomes `AuthFailed`.
    fn rest(&self, method: Method, path: &str) -> Result<Answer, JiraError> {
        for relogin in [false, true] {
            let token_mode = self.uses_token();
            if !token_mode {
                self.ensure_login(relogin)?;
            }
            let a = self.send(method.clone(), path, Body::None, token_mode)?;
            if a.status == StatusCode::UNAUTHORIZED {
                if token_mode {
                    return Err(JiraError::AuthFailed { user: None });
                }
                if !relogin {
                    continue; // the session may have expired: log in again, once
                }
                return Err(self.password_failed(&a));
            }
            if a.status == StatusCode::FORBIDDEN {
                if let Some(e) = self.basic_disabled(&a) {
                    return Err(e);
                }
            }
            return Ok(a);
        }
        unreachable!("the loop returns")
    }

    /// An admin web action. Handles websudo (with the password, switching a PAT client to a
    /// password session when it has one) and re-login; returns the final answer.
    fn admin(
        &self,
        method: Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Answer, JiraError> {
        let mut websudo_tried = false;
        let mut relogged = false;
        // Each turn either returns or spends one of the bounded retries above (or the one
        // switch from the PAT to the password).
        for _ in 0..5 {
            let token_mode = self.uses_token();
            if !token_mode {
                self.ensure_login(false)?;
            }
            let body = if form.is_empty() {
                Body::None
            } else {
                Body::Form(form)
            };
            let a = self.send(method.clone(), path, body, token_mode)?;
            match self.classify(a) {
                PageVerdict::Page(a) => return Ok(a),
                PageVerdict::WebSudo => {
                    self.state().access.websudo_asked = true;
                    if websudo_tried {
                        return Err(JiraError::WebSudoFailed {
                            user: self.user().unwrap_or("?").to_string(),
                        });
                    }
                    let Some((user, password)) = self.creds.password.clone() else {
                        return Err(JiraError::WebSudoNeedsPassword);
                    };
                    if token_mode {
                        // The PAT filter drops sessions after each request, so websudo can
                        // only stick to a password session.
                        self.switch_to_password();
                    }
                    self.ensure_login(false)?;
                    self.websudo(&user, &password, path)?;
                    websudo_tried = true;
                }
                PageVerdict::SingleSignOn(target) => {
                    if token_mode && self.creds.password.is_some() {
                        // A local account's password session may still get through.
                        self.switch_to_password();
                        continue;
                    }
                    let stage = if token_mode || self.state().logged_in {
                        SsoStage::WebSudo
                    } else {
                        SsoStage::Login
                    };
                    return Err(self.single_sign_on(stage, target));
                }
                PageVerdict::NotSysAdmin => return Err(self.not_allowed(self.user())),
                PageVerdict::Login => {
                    if token_mode {
                        return Err(self.not_allowed(None));
                    }
                    if relogged {
                        return Err(self.not_allowed(self.user()));
                    }
                    // The session may have timed out: log in again, once.
                    self.ensure_login(true)?;
                    relogged = true;
                }
            }
        }
        Err(JiraError::UnexpectedPage {
            path: path.to_string(),
            what: "Jira kept redirecting to authentication".into(),
        })
    }

    fn switch_to_password(&self) {
        let mut st = self.state();
        st.use_password = true;
        st.access.via_password = true;
    }

    fn single_sign_on(&self, stage: SsoStage, target: String) -> JiraError {
        JiraError::SingleSignOn {
            stage,
            target,
            token_tried: self.creds.token.is_some(),
        }
    }

    /// Where a redirect goes when it is to single sign-on: an SSO servlet of this Jira, or
    /// another host (its name only: the query may carry a SAML request or state).
    fn sso_target(&self, location: &str) -> Option<String> {
        let path = strip_query(location);
        if path.contains("/plugins/servlet/samlsso") || path.contains("/plugins/servlet/oidc") {
            return Some(path.to_string());
        }
        if [".jsp", "/secure/", "/rest/"]
            .iter()
            .any(|p| path.contains(p))
        {
            // An absolute URL back to Jira's own pages, perhaps under another host name
            // (a proxy, a base URL that differs from --url): not an identity provider.
            return None;
        }
        let url = Url::parse(location).ok()?;
        let host = url.host_str()?;
        let same = Some(host) == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        (!same).then(|| format!("{}://{host}", url.scheme()))
    }

    fn classify(&self, a: Answer) -> PageVerdict {
        if a.is_redirect() {
            let loc = a.location().unwrap_or("");
            if let Some(target) = self.sso_target(loc) {
                return PageVerdict::SingleSignOn(target);
            }
            // The query may name other pages (os_destination): judge by the path.
            let path = strip_query(loc);
            if path.contains("WebSudoAuthenticate") {
                return PageVerdict::WebSudo;
            }
            if path.contains("login.jsp") {
                return PageVerdict::Login;
            }
        }
        if (a.status == StatusCode::UNAUTHORIZED || a.status == StatusCode::FORBIDDEN)
            && !page::is_xsrf_error(&a.body)
        {
            return PageVerdict::Login;
        }
        // Some Jiras answer 200 with a form instead of a redirect; a page holding the
        // logger table is the logging page whatever else it carries.
        if a.status.is_success() && is_html(&a) && page::parse_levels(&a.body).is_err() {
            match page::kind(&a.body) {
                PageKind::WebSudo => return PageVerdict::WebSudo,
                PageKind::Login => return PageVerdict::Login,
                PageKind::NotSystemAdmin => return PageVerdict::NotSysAdmin,
                PageKind::Other => {}
            }
        }
        PageVerdict::Page(a)
    }

    /// Redirected to login: anonymous means the credential failed; a user means no admin.
    fn not_allowed(&self, user: Option<&str>) -> JiraError {
        let who = match self.rest(Method::GET, "/rest/api/2/myself") {
            Ok(a) if a.status.is_success() => {
                serde_json::from_str::<Myself>(&a.body).ok().map(|m| m.name)
            }
            Err(e @ JiraError::AuthFailed { .. }) => return e,
            _ => None,
        };
        match who {
            Some(name) if name != "anonymous" => JiraError::NotAdmin { user: name },
            _ => JiraError::AuthFailed {
                user: user.map(str::to_string),
            },
        }
    }

    fn password_failed(&self, a: &Answer) -> JiraError {
        let user = self.user().unwrap_or("?").to_string();
        match a.header("x-seraph-loginreason") {
            Some(r) if r.contains("AUTHENTICATION_DENIED") => JiraError::CaptchaRequired { user },
            _ => JiraError::AuthFailed { user: Some(user) },
        }
    }

    fn basic_disabled(&self, a: &Answer) -> Option<JiraError> {
        let lower = a.body.to_ascii_lowercase();
        (lower.contains("basic authentication") && lower.contains("disabled")).then(|| {
            JiraError::BasicAuthDisabled {
                detail: "Jira says: Basic Authentication has been disabled on this instance".into(),
            }
        })
    }

    /// Log in with the password (`POST /rest/auth/1/session`) unless already done.
    fn ensure_login(&self, force: bool) -> Result<(), JiraError> {
        if self.state().logged_in && !force {
            return Ok(());
        }
        let Some((user, password)) = &self.creds.password else {
            return Err(JiraError::WebSudoNeedsPassword);
        };
        self.jar.remove("JSESSIONID");
        self.state().logged_in = false;
        let body = serde_json::json!({ "username": user, "password": password.expose() });
        let a = self.send(Method::POST, SESSION, Body::Json(body), false)?;
        match a.status {
            s if s.is_success() => {
                self.state().logged_in = true;
                Ok(())
            }
            s if s.is_redirection() => match self.sso_target(a.location().unwrap_or("")) {
                Some(target) => Err(self.single_sign_on(SsoStage::Login, target)),
                None => Err(self.unexpected(SESSION, &a)),
            },
            StatusCode::UNAUTHORIZED => Err(self.password_failed(&a)),
            StatusCode::NOT_FOUND => Err(JiraError::NotJira {
                url: self.base_str.clone(),
                path: SESSION.into(),
                status: 404,
            }),
            StatusCode::FORBIDDEN => Err(self.basic_disabled(&a).unwrap_or_else(|| {
                match a.header("x-seraph-loginreason") {
                    Some(r) if r.contains("AUTHENTICATION_DENIED") => {
                        JiraError::CaptchaRequired { user: user.clone() }
                    }
                    _ => JiraError::AuthFailed {
                        user: Some(user.clone()),
                    },
                }
            })),
            _ => Err(self.unexpected(SESSION, &a)),
        }
    }

    /// Pass websudo with the password. Success rotates JSESSIONID (kept by `send`).
    fn websudo(&self, user: &str, password: &Secret, dest: &str) -> Result<(), JiraError> {
        let xsrf = self.xsrf_cookie().unwrap_or_default();
        let form = [
            ("webSudoPassword", password.expose()),
            ("webSudoDestination", dest),
            ("webSudoIsPost", "false"),
            ("atl_token", xsrf.as_str()),
        ];
        let a = self.send(Method::POST, WEBSUDO, Body::Form(&form), false)?;
        if a.is_redirect() {
            if let Some(target) = self.sso_target(a.location().unwrap_or("")) {
                return Err(self.single_sign_on(SsoStage::WebSudo, target));
            }
        }
        let granted = a
            .header("x-atlassian-websudo")
            .is_some_and(|v| v.contains("Has-Authentication"))
            || (a.is_redirect() && !a.location().unwrap_or("").contains("WebSudoAuthenticate"));
        if granted {
            self.state().access.websudo_passed = true;
            Ok(())
        } else {
            Err(JiraError::WebSudoFailed {
                user: user.to_string(),
            })
        }
    }

    fn url(&self, path: &str) -> Url {
        // Keep a context path (https://host/jira): append, do not replace.
        let mut s = self.base_str.clone();
        s.push_str(path);
        Url::parse(&s).unwrap_or_else(|_| self.base.clone())
    }

    /// One request with retries on 5xx and connection errors. `bearer` sends the PAT.
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Body,
        bearer: bool,
    ) -> Result<Answer, JiraError> {
        self.send_retrying(method, path, body, bearer, self.retries)
    }

    /// [`Client::send`] with at most `retries` retries: 0 for a request that must not be
    /// repeated blindly (one that creates a token).
    fn send_retrying(
        &self,
        method: Method,
        path: &str,
        body: Body,
        bearer: bool,
        retries: u32,
    ) -> Result<Answer, JiraError> {
        let url = self.url(path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(&method, &url, &body, bearer);
            let retry = match &result {
                Ok(a) if a.status.is_server_error() => true,
                Ok(_) => false,
                Err(e) => e.is_transient(),
            };
            if !retry || attempt > retries {
                return match result {
                    Ok(a) if a.status.is_server_error() => Err(JiraError::Server {
                        status: a.status.as_u16(),
                        path: strip_query(path).to_string(),
                        attempts: attempt,
                    }),
                    other => other,
                };
            }
            std::thread::sleep(self.backoff * 2u32.pow(attempt - 1));
        }
    }

    fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
        bearer: bool,
    ) -> Result<Answer, JiraError> {
        let mut rb: RequestBuilder = self
            .http
            .request(method.clone(), url.clone())
            // Accepted by Jira's XSRF check for REST and web actions alike (jira-facts §3).
            .header("X-Atlassian-Token", "no-check");
        if bearer {
            if let Some(t) = &self.creds.token {
                rb = rb.bearer_auth(t.expose());
            }
        }
        rb = match body {
            Body::None => rb,
            Body::Form(f) => rb.form(f),
            Body::Json(v) => rb.json(v),
        };
        let started = Instant::now();
        let resp = rb.send().map_err(|e| self.transport_error(&e, started))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if let Some(n) = headers.get("x-anodeid").and_then(|v| v.to_str().ok()) {
            let mut st = self.state();
            st.node = Some(n.to_string());
            st.nodes_seen.insert(n.to_string());
        }
        if let Some(id) = headers.get("x-arequestid").and_then(|v| v.to_str().ok()) {
            let node = headers.get("x-anodeid").and_then(|v| v.to_str().ok());
            self.note_own(id, url.path(), node);
        }
        let body = resp.text().map_err(|e| self.transport_error(&e, started))?;
        let answer = Answer {
            status,
            headers,
            body,
        };
        self.recorder.seen(method, url, &answer);
        Ok(answer)
    }

    fn transport_error(&self, e: &reqwest::Error, started: Instant) -> JiraError {
        let url = self.base_str.clone();
        if let Some(reason) = tls_reason(e) {
            return JiraError::Tls { url, reason };
        }
        if e.is_timeout() || started.elapsed() >= self.timeout {
            return JiraError::Timeout {
                url,
                secs: self.timeout.as_secs(),
            };
        }
        if e.is_connect() {
            return JiraError::Unreachable {
                url,
                reason: root_cause(e),
            };
        }
        if e.is_request() || e.is_body() || e.is_decode() {
            // A dropped connection mid-answer: as transient as a refused one.
            return JiraError::Unreachable {
                url,
                reason: root_cause(e),
            };
        }
        JiraError::Http {
            url,
            reason: root_cause(e),
        }
    }
}

fn is_html(a: &Answer) -> bool {
    a.header("content-type")
        .is_none_or(|c| c.to_ascii_lowercase().contains("html"))
}

fn strip_query(s: &str) -> &str {
    s.split('?').next().unwrap_or(s)
}

/// The innermost error message (reqwest's own says only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Why the TLS handshake failed, when it did: a `rustls::Error` found by walking the error's
/// sources, including one wrapped in an `std::io::Error` (how hyper-rustls hands it over;
/// `io::Error::source` skips the wrapped error itself, so it is opened with `get_ref`).
fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.to_string());
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(r) = tls_reason(inner) {
                return Some(r);
            }
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_a_named_node_answered_is_ours_only_in_that_nodes_log() {
        let c = Client::new(ClientConfig::new("https://jira.example.com", creds())).unwrap();
        c.note_own("893x3x1", "/rest/api/2/serverInfo", Some("node1"));
        c.note_own("12x1x1", "/rest/api/2/myself", None);
        let own = |id, path, node| c.is_own_request_on(id, path, node);
        assert!(own("893x3x1", "/rest/api/2/serverInfo", Some("node1")));
        assert!(!own("893x3x1", "/rest/api/2/serverInfo", Some("node2")));
        // A log not yet tied to its node: node2's own 893x3x1 is a script's request.
        assert!(!own("893x3x1", "/rest/api/2/serverInfo", None));
        assert!(!own("893x3x1", "/rest/api/2/myself", Some("node1")));
        // A Jira that names no node: the id and path decide, in any log.
        assert!(own("12x1x1", "/rest/api/2/myself", None));
        assert!(own("12x1x1", "/rest/api/2/myself", Some("node1")));
        // One Jira (a single Data Center node names itself too): wherever it is logged.
        assert!(c.is_own_request("893x3x1", "/rest/api/2/serverInfo"));
        assert!(!c.is_own_request("893x3x1", "/rest/api/2/myself"));
    }

    #[test]
    fn tls_failures_are_found_by_type_not_by_words() {
        let bad = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = std::io::Error::new(std::io::ErrorKind::InvalidData, bad.clone());
        assert_eq!(tls_reason(&wrapped), Some(bad.to_string()));
        assert_eq!(tls_reason(&bad), Some(bad.to_string()));
        let words = std::io::Error::other("certificate UnknownIssuer, says the proxy");
        assert_eq!(tls_reason(&words), None);
    }

    fn creds() -> Credentials {
        Credentials {
            token: Some(Secret::new("NDU2Nzg5MDEyMzQ1OnNlY3JldA==")),
            password: None,
        }
    }

    #[test]
    fn refuses_urls_that_carry_credentials_without_echoing_them() {
        let e = Client::new(ClientConfig::new(
            "https://bob:hunter2@jira.example.com",
            creds(),
        ))
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("do not put credentials in the URL"), "{msg}");
        assert!(!msg.contains("hunter2") && !msg.contains("bob"), "{msg}");
        assert!(matches!(
            Client::new(ClientConfig::new("ftp://jira", creds())),
            Err(JiraError::BadUrl { .. })
        ));
    }

    #[test]
    fn keeps_a_context_path() {
        let c = Client::new(ClientConfig::new("https://example.com/jira/", creds())).unwrap();
        assert_eq!(c.base_url(), "https://example.com/jira");
        assert_eq!(
            c.url(VIEW_LOGGING).as_str(),
            "https://example.com/jira/secure/admin/ViewLogging.jspa"
        );
    }

    #[test]
    fn single_sign_on_is_an_sso_servlet_or_another_host_never_jira_itself() {
        let c = Client::new(ClientConfig::new("https://jira.example.com/jira", creds())).unwrap();
        assert_eq!(
            c.sso_target("/jira/plugins/servlet/samlsso?redirectTo=%2Fsecure%2Fadmin%2FWebSudoAuthenticate.jspa")
                .as_deref(),
            Some("/jira/plugins/servlet/samlsso")
        );
        assert_eq!(
            c.sso_target("https://idp.example.org/saml?SAMLRequest=x")
                .as_deref(),
            Some("https://idp.example.org")
        );
        // Jira under another name (a proxy) is not an identity provider.
        assert_eq!(
            c.sso_target(
                "https://jira-internal:8080/jira/secure/admin/WebSudoAuthenticate!default.jspa"
            ),
            None
        );
        assert_eq!(
            c.sso_target("https://jira.example.com/jira/secure/admin/ViewLogging.jspa"),
            None
        );
        assert_eq!(
            c.sso_target("https://jira.public.example/secure/admin/ViewLogging.jspa"),
            None
        );
        assert_eq!(c.sso_target("/jira/login.jsp?os_destination=x"), None);
    }

    #[test]
    fn an_unreachable_host_is_reported_after_bounded_retries() {
        // Bind then drop: the port is free and nobody listens.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cfg = ClientConfig::new(format!("http://127.0.0.1:{port}"), creds());
        cfg.backoff = Duration::from_millis(1);
        let c = Client::new(cfg).unwrap();
        let e = c.server_info().unwrap_err();
        assert!(matches!(e, JiraError::Unreachable { .. }), "{e:?}");
        assert!(!e.to_string().contains("NDU2"));
    }
}
