//! Authentication of the simulated Jira after the PAT filter: Seraph (session cookie,
//! Basic), REST and form logins, session and XSRF cookies, websudo state and rate limiting.

use super::admin::sso_redirect;
use super::http::{Reply, Req};
use super::{Ctx, State, Via, NOT_AUTHENTICATED};

use crate::accounts::{self, rest_date, SimUser};
use crate::pages::{self, enc};
use crate::RateLimit;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// An HTTP session of this node.
pub(super) struct Session {
    /// Login name of its user.
    pub(super) user: String,
    /// Websudo holds until then (`None` = no websudo).
    pub(super) websudo_until: Option<Instant>,
}

/// One user's rate-limiting bucket: `per_minute` capacity, refilled continuously at
/// `per_minute` a minute.
pub(super) struct Bucket {
    /// Requests left (fractional while refilling).
    pub(super) tokens: f64,
    /// When it was last refilled.
    pub(super) last: Instant,
}

/// A new `JSESSIONID`: 32 upper-case hex digits.
pub(super) fn random_session_id() -> String {
    accounts::random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The short id Jira logs for a session (`hkdcdx`): a base-36 hash of the session id.
pub(super) fn asession_id(session: &str) -> String {
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

// IMPL_STATE

impl State {
    /// Rate limiting (Jira 8.6+): one bucket per user, shared by all of the user's tokens
    /// (and Basic calls). Ok(remaining) or Err(seconds until a request is allowed).
    pub(super) fn take_rate_token(&self, user_key: &str, rl: &RateLimit) -> Result<u32, u64> {
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

    /// Everything after the PAT filter: Seraph (session, Basic), then the resource.
    pub(super) fn chain(&self, req: &Req, ctx: &mut Ctx) -> Reply {
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
    pub(super) fn seraph(&self, req: &Req, ctx: &mut Ctx) -> Option<Reply> {
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

    /// Attributes of the cookies Jira sets: the context path, `Secure` over TLS.
    pub(super) fn cookie_attrs(&self) -> String {
        let path = if self.context_path().is_empty() {
            "/"
        } else {
            self.context_path()
        };
        let secure = if self.tls { "; Secure" } else { "" };
        format!("; Path={path}{secure}")
    }

    /// A session for `user`, its cookie set on the answer; returns its id.
    pub(super) fn new_session(&self, user: &str, ctx: &mut Ctx) -> String {
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
    pub(super) fn xsrf_token(&self, req: &Req, ctx: &mut Ctx) -> String {
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

    /// Issues a new XSRF token (`_lin` logged in, `_lout` not) and sets its cookie.
    pub(super) fn fresh_xsrf(&self, ctx: &mut Ctx) -> String {
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

    /// A form passes XSRF: `no-check` header, or `atl_token` equal to an issued cookie token.
    pub(super) fn xsrf_ok(&self, req: &Req) -> bool {
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

    /// Websudo is a property of the session and slides with each admin request.
    pub(super) fn has_websudo(&self, ctx: &Ctx) -> bool {
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

    /// `POST /rest/auth/1/session`: a JSON login; a new session and XSRF token.
    pub(super) fn rest_login(&self, req: &Req, ctx: &mut Ctx) -> Reply {
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

    /// Logs `user` in: the request's old cookie session ends, a new one starts.
    pub(super) fn login(&self, user: SimUser, ctx: &mut Ctx) {
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

    /// `POST /login.jsp`: on success a redirect to `os_destination`, else the form again.
    pub(super) fn form_login(&self, req: &Req, ctx: &mut Ctx) -> Reply {
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

    /// `GET /rest/auth/1/session`: the caller's name and login count, else 401.
    pub(super) fn current_session(&self, ctx: &Ctx) -> Reply {
        match &ctx.user {
            Some(u) => Reply::json(
                200,
                json!({"self": format!("/rest/api/2/user?username={}", enc(&u.name)), "name": u.name,
                       "loginInfo": {"failedLoginCount": 0, "loginCount": self.login_count.load(Ordering::SeqCst)}}),
            ),
            None => Reply::errors(401, NOT_AUTHENTICATED),
        }
    }

    /// `DELETE /rest/auth/1/session`: ends a cookie session (nothing else can log out).
    pub(super) fn logout(&self, ctx: &Ctx) -> Reply {
        match &ctx.session {
            Some(s) if ctx.via == Via::Session => {
                self.sessions.lock().unwrap().remove(s);
                Reply::no_content()
            }
            _ => Reply::errors(401, NOT_AUTHENTICATED),
        }
    }

    /// `DELETE /rest/auth/1/websudo`: gives up websudo for the session (Jira's own "drop
    /// privileges" call).
    pub(super) fn drop_websudo(&self, ctx: &Ctx) -> Reply {
        if let Some(id) = &ctx.session {
            if let Some(s) = self.sessions.lock().unwrap().get_mut(id) {
                s.websudo_until = None;
            }
        }
        Reply::no_content()
    }

    /// Ends the websudo of every session of this node, as its timeout passing would.
    pub fn expire_websudo(&self) {
        for s in self.sessions.lock().unwrap().values_mut() {
            s.websudo_until = None;
        }
    }

    /// `GET /login.jsp`: the login form, or off to single sign-on.
    pub(super) fn login_page(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_login {
            return sso_redirect(sso, req.param("os_destination").unwrap_or("/"));
        }
        let t = self.xsrf_token(req, ctx);
        let dest = req.param("os_destination").unwrap_or("");
        let pv = req.param("permissionViolation") == Some("true");
        Reply::html(200, pages::login_page(dest, pv, &t))
    }
}

/// Jira's REST XSRF rule: a non-GET REST call with one of the browsers' "simple" content
/// types needs `X-Atlassian-Token: no-check`, else 403 before any resource runs.
pub(super) fn rest_xsrf_refusal(req: &Req) -> Option<Reply> {
    if !req.path.starts_with("/rest/") || req.is_get() || req.no_check() {
        return None;
    }
    let ct = req
        .header("Content-Type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let simple = ct.starts_with("application/x-www-form-urlencoded")
        || ct.starts_with("multipart/form-data")
        || ct.starts_with("text/plain");
    simple.then(|| Reply::new(403, "text/plain;charset=UTF-8", "XSRF check failed"))
}
