//! A record of what the client exchanged with Jira, for `jira-patrol diagnose`: one entry
//! per answer with only the parts that tell how this Jira behaves (method, path, status,
//! `Location` and a few `X-` headers), and the answer bodies kept in memory for the bundle
//! to pick from. Never a request header, cookie value, form field or credential: the client
//! hands over the answer only, and every value it saw that could open a session (cookies,
//! XSRF tokens, its own token and password) is collected so [`Recording::scrub`] can
//! remove it from anything written.
//!
//! The client calls [`Hook::seen`] once per answer; recording is off until
//! [`Client::record_to`] switches it on.

use super::{page, Answer, Client};
use reqwest::header::SET_COOKIE;
use reqwest::{Method, Url};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// What one answer showed, safe to write down.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exchange {
    /// The HTTP method (`GET`, `POST`).
    pub method: String,
    /// Path with query; values of query parameters other than harmless ones masked.
    pub path: String,
    /// The HTTP status code.
    pub status: u16,
    /// The `Location` header, with secrets and non-plain query values masked; `None` when absent.
    pub location: Option<String>,
    /// The `Content-Type` header; `None` when absent.
    pub content_type: Option<String>,
    /// `X-AUSERNAME`: who Jira took us for (`anonymous` when not logged in).
    pub x_ausername: Option<String>,
    /// `X-ANODEID`: the Data Center node that answered; `None` on Server.
    pub x_anodeid: Option<String>,
    /// `X-AREQUESTID`: the id the request's log lines carry.
    pub x_arequestid: Option<String>,
    /// `X-Atlassian-WebSudo`: `Has-Authentication` once websudo is passed.
    pub x_atlassian_websudo: Option<String>,
    /// `X-Seraph-LoginReason`: why a login failed or was needed (`AUTHENTICATED_FAILED`, ...).
    pub x_seraph_loginreason: Option<String>,
    /// Names of the cookies the answer set (never their values).
    pub set_cookies: Vec<String>,
}

/// What `Recording::scrub` puts where a secret was.
pub const MASK: &str = "<redacted>";

/// Secrets shorter than this are not scrubbed by value: a four-letter password would blank
/// every word it happens to spell, and no request body (where it travels) is recorded.
const MIN_SCRUB_LEN: usize = 8;

/// Query parameters whose values say where Jira sends us, never who we are.
const PLAIN_PARAMS: [&str; 6] = [
    "os_destination",
    "webSudoDestination",
    "permissionViolation",
    "permissions",
    "expand",
    "redirectTo",
];

#[derive(Debug, Default)]
struct Inner {
    exchanges: Vec<Exchange>,
    /// Answer bodies, index for index with `exchanges`; unredacted, never written as is.
    bodies: Vec<String>,
    secrets: BTreeSet<String>,
}

/// Everything recorded since [`Client::record_to`].
#[derive(Debug, Default)]
pub struct Recording {
    inner: Mutex<Inner>,
}

impl Recording {
    /// An empty recording, shared with the client that fills it.
    pub fn new() -> Arc<Recording> {
        Arc::new(Recording::default())
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every exchange recorded so far, in the order the answers came.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.inner().exchanges.clone()
    }

    /// The body of the last answer to `GET path` with status 200, scrubbed of every secret
    /// seen. Callers mask what is specific to the content (see `diagnose`).
    pub fn last_ok_body(&self, path: &str) -> Option<String> {
        let body = {
            let inner = self.inner();
            inner
                .exchanges
                .iter()
                .zip(&inner.bodies)
                .rev()
                .find(|(e, _)| {
                    e.method == "GET" && e.status == 200 && strip_query(&e.path).ends_with(path)
                })
                .map(|(_, b)| b.clone())
        }?;
        Some(self.scrub(&body))
    }

    /// Remember a value that must never be written (e.g. a token found in a file).
    pub fn add_secret(&self, value: &str) {
        let v = value.trim();
        if v.len() >= MIN_SCRUB_LEN {
            self.inner().secrets.insert(v.to_string());
            // Pages carry XSRF tokens URL-encoded in links (`|` as `%7C`).
            let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            if encoded != v {
                self.inner().secrets.insert(encoded);
            }
        }
    }

    /// `text` with every secret seen replaced by `<redacted>`, longest first (one secret may
    /// contain another).
    pub fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<String> = self.inner().secrets.iter().cloned().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_string();
        for s in secrets {
            if out.contains(&s) {
                out = out.replace(&s, MASK);
            }
        }
        out
    }

    fn push(&self, method: &Method, url: &Url, a: &Answer) {
        for v in a.headers.get_all(SET_COOKIE) {
            if let Some((_, value)) = v
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|nv| nv.split_once('='))
            {
                self.add_secret(value.trim().trim_matches('"'));
            }
        }
        if let Some(t) = page::xsrf_token(&a.body) {
            self.add_secret(&t);
        }
        let header = |name: &str| a.header(name).map(|v| self.scrub(v));
        let path = match url.query() {
            Some(q) => format!("{}?{}", url.path(), mask_query(q)),
            None => url.path().to_string(),
        };
        let exchange = Exchange {
            method: method.as_str().to_string(),
            path: self.scrub(&path),
            status: a.status.as_u16(),
            location: a.location().map(|l| self.scrub(&mask_location(l))),
            content_type: header("content-type"),
            x_ausername: header("x-ausername"),
            x_anodeid: header("x-anodeid"),
            x_arequestid: header("x-arequestid"),
            x_atlassian_websudo: header("x-atlassian-websudo"),
            x_seraph_loginreason: header("x-seraph-loginreason"),
            set_cookies: a
                .headers
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()?.split('=').next().map(str::trim))
                .map(str::to_string)
                .collect(),
        };
        let mut inner = self.inner();
        inner.exchanges.push(exchange);
        inner.bodies.push(a.body.clone());
    }
}

/// The client's slot for a recording: empty (recording off) unless `record_to` was called.
#[derive(Debug, Default)]
pub(super) struct Hook(Mutex<Option<Arc<Recording>>>);

impl Hook {
    /// Called by the client after every answer.
    pub(super) fn seen(&self, method: &Method, url: &Url, a: &Answer) {
        let r = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(r) = r {
            r.push(method, url, a);
        }
    }
}

impl Client {
    /// Record every answer from now on into `recording`, which also learns this client's
    /// own secrets (token, password) so it can scrub them.
    pub fn record_to(&self, recording: Arc<Recording>) {
        if let Some(t) = &self.creds.token {
            recording.add_secret(t.expose());
        }
        if let Some((_, p)) = &self.creds.password {
            recording.add_secret(p.expose());
        }
        *self.recorder.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(recording);
    }
}

fn strip_query(s: &str) -> &str {
    s.split('?').next().unwrap_or(s)
}

/// `a=1&atl_token=X` → `a=1&atl_token=<redacted>`: only [`PLAIN_PARAMS`] keep their value.
pub fn mask_query(q: &str) -> String {
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if !PLAIN_PARAMS.contains(&k) => format!("{k}={MASK}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn mask_location(l: &str) -> String {
    match l.split_once('?') {
        Some((p, q)) => format!("{p}?{}", mask_query(q)),
        None => l.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_query_values_survive() {
        assert_eq!(
            mask_query("loggerName=x&atl_token=B1A2%7Clin&os_destination=%2Fsecure"),
            "loggerName=<redacted>&atl_token=<redacted>&os_destination=%2Fsecure"
        );
        assert_eq!(
            mask_location("https://idp.example/saml?SAMLRequest=abc&redirectTo=%2F"),
            "https://idp.example/saml?SAMLRequest=<redacted>&redirectTo=%2F"
        );
    }

    #[test]
    fn scrubs_known_secrets_and_their_url_encoding_but_not_short_words() {
        let r = Recording::default();
        r.add_secret("B1A2-C3D4|abcdef_lin");
        r.add_secret("admin");
        let s = r.scrub(
            "token B1A2-C3D4|abcdef_lin, link atl_token=B1A2-C3D4%7Cabcdef_lin /secure/admin",
        );
        assert_eq!(
            s,
            "token <redacted>, link atl_token=<redacted> /secure/admin"
        );
    }
}
