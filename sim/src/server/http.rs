//! The HTTP adapter of the simulated Jira: a tiny_http request becomes a [`Req`], the
//! answer a [`Reply`]; the context path, Jira's response headers, cookies and the
//! access-log record of each request are handled here.

use super::auth::asession_id;
use super::{Ctx, State, Via};

use crate::access::AccessRecord;
use crate::log::Mdc;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// A request as the handlers see it (context path removed).
pub(super) struct Req {
    /// Upper-case method.
    pub(super) method: String,
    /// Path without the context path or query.
    pub(super) path: String,
    /// Path and query, without the context path (websudo and login destinations).
    pub(super) path_and_query: String,
    /// Headers of this answer.
    pub(super) headers: Vec<(String, String)>,
    /// Cookies of the `Cookie` headers, by name.
    pub(super) cookies: HashMap<String, String>,
    /// Query parameters, then form fields of a form body.
    pub(super) params: HashMap<String, String>,
    /// Body bytes.
    pub(super) body: Vec<u8>,
}

impl Req {
    /// The first header of that name (any case).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// A query or form parameter.
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    /// GET or HEAD.
    pub(super) fn is_get(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
    /// Carries `X-Atlassian-Token: no-check` (skips XSRF checks).
    pub(super) fn no_check(&self) -> bool {
        self.header("X-Atlassian-Token")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no-check"))
    }
}

/// An answer before Jira's common headers are added.
pub(super) struct Reply {
    /// Status code.
    pub(super) status: u16,
    /// Headers of this answer.
    pub(super) headers: Vec<(String, String)>,
    /// Body bytes.
    pub(super) body: Vec<u8>,
}

impl Reply {
    /// An answer with a content type and body.
    pub(super) fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
    /// A JSON answer.
    pub(super) fn json(status: u16, v: Value) -> Reply {
        Reply::new(status, "application/json;charset=UTF-8", v.to_string())
    }
    /// An HTML page.
    pub(super) fn html(status: u16, body: String) -> Reply {
        Reply::new(status, "text/html;charset=UTF-8", body)
    }
    /// A 302 to `location` (the context path is added when sent).
    pub(super) fn redirect(location: &str) -> Reply {
        let mut r = Reply::new(302, "text/html;charset=UTF-8", Vec::new());
        r.headers.push(("Location".into(), location.into()));
        r
    }
    /// A 204 without a body or content type.
    pub(super) fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
    /// The answer with one more header.
    pub(super) fn with(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    /// Jira's REST error body: `{errorMessages: [msg], errors: {}}`.
    pub(super) fn errors(status: u16, msg: &str) -> Reply {
        Reply::json(status, json!({"errorMessages": [msg], "errors": {}}))
    }
    /// The PAT plugin's own error body (its exception mapper, jira-facts §5):
    /// `{exception: <Java class>, error: <message>}`.
    pub(super) fn pat_error(status: u16, exception: &str, msg: &str) -> Reply {
        Reply::json(status, json!({"exception": exception, "error": msg}))
    }
}

/// The client's address (127.0.0.1 when unknown) and the request's headers.
pub(crate) fn peer_and_headers(rq: &tiny_http::Request) -> (String, Vec<(String, String)>) {
    let remote = rq
        .remote_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let headers = rq
        .headers()
        .iter()
        .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
        .collect();
    (remote, headers)
}

impl State {
    /// Serves one tiny_http request on a worker thread and writes its access line.
    pub(super) fn handle(&self, thread: &str, mut rq: tiny_http::Request) {
        let started = Instant::now();
        self.received();
        let method = rq.method().as_str().to_ascii_uppercase();
        let raw_url = rq.url().to_string();
        let (uri, raw_query) = match raw_url.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (raw_url.clone(), String::new()),
        };
        let version = rq.http_version();
        let (remote, headers) = peer_and_headers(&rq);
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
    pub(super) fn fill_record(&self, record: &mut AccessRecord, ctx: &Ctx) {
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
    pub(super) fn serve(&self, thread: &str, req: &Req, ip: String) -> (Ctx, Reply) {
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

    /// Sends the answer; returns its status, body size and headers for the access log.
    pub(super) fn respond(
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
}
