//! The load balancer in front of a simulated cluster, as Data Center needs one (jira-facts
//! §3): requests go round-robin over the nodes that answer, and a request carrying a
//! session cookie the balancer has seen a node set goes to that node (sticky sessions:
//! sessions are per node). It adds `X-Forwarded-For`, as HTTP balancers do, so the nodes
//! log the client's address before their own peer's.
//!
//! A node that refuses the connection (stopped, crashed) is skipped and the next one
//! tried, as a balancer's health check would; its sticky sessions move with the request.

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Cookies a balancer sticks on: Jira's session, and Tomcat's own name for it.
const STICKY_COOKIE: &str = "JSESSIONID";

/// What the worker threads share.
struct Inner {
    server: tiny_http::Server,
    /// Base URLs of the nodes (`http://127.0.0.2:8080`), in node order, and whether the
    /// health check finds them up.
    backends: Mutex<Vec<(String, bool)>>,
    /// Session id → index of the node that set it.
    sticky: Mutex<HashMap<String, usize>>,
    next: AtomicUsize,
    stop: AtomicBool,
    http: reqwest::blocking::Client,
}

/// A running load balancer (stops on drop).
pub(crate) struct Balancer {
    inner: Arc<Inner>,
    workers: Vec<JoinHandle<()>>,
    url: String,
    listener: TcpListener,
}

impl Balancer {
    /// Serve on `listener` (already bound), forwarding to `backends`.
    pub(crate) fn start(listener: TcpListener) -> std::io::Result<Balancer> {
        let addr = listener.local_addr()?;
        let handle = listener.try_clone()?;
        let server =
            tiny_http::Server::from_listener(listener, None).map_err(std::io::Error::other)?;
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(std::io::Error::other)?;
        let inner = Arc::new(Inner {
            server,
            backends: Mutex::new(Vec::new()),
            sticky: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            http,
        });
        let mut workers = Vec::new();
        for i in 0..8 {
            let inner = inner.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("sim-balancer-{i}"))
                    .spawn(move || loop {
                        if inner.stop.load(Ordering::SeqCst) {
                            break;
                        }
                        match inner.server.recv_timeout(Duration::from_millis(100)) {
                            Ok(Some(rq)) => forward(&inner, rq),
                            Ok(None) => {}
                            Err(_) => break,
                        }
                    })?,
            );
        }
        Ok(Balancer {
            inner,
            workers,
            url: format!("http://{addr}"),
            listener: handle,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A node joined: it takes its share of new sessions.
    pub(crate) fn add_backend(&self, url: String) {
        self.inner.backends.lock().unwrap().push((url, true));
    }

    /// Node `i` stopped: the health check takes it out at once (a pooled connection to it
    /// would otherwise wait for an answer that never comes).
    pub(crate) fn set_down(&self, i: usize) {
        if let Some(b) = self.inner.backends.lock().unwrap().get_mut(i) {
            b.1 = false;
        }
    }

    fn stop(&mut self) {
        if self.inner.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        self.inner.server.unblock();
        use std::os::fd::AsRawFd;
        // SAFETY: shutdown(2) on a socket this balancer owns; no memory is involved.
        unsafe { libc::shutdown(self.listener.as_raw_fd(), libc::SHUT_RDWR) };
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cookie(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .find_map(|part| {
            let (n, v) = part.trim().split_once('=')?;
            (n == name).then(|| v.to_string())
        })
}

/// The session id a `Set-Cookie` value sets, if it is the sticky cookie.
fn set_session(value: &str) -> Option<String> {
    let (n, v) = value.split(';').next()?.split_once('=')?;
    (n.trim() == STICKY_COOKIE && !v.is_empty()).then(|| v.to_string())
}

fn forward(inner: &Inner, mut rq: tiny_http::Request) {
    let method = rq.method().as_str().to_string();
    let url = rq.url().to_string();
    let (client_ip, headers) = crate::server::peer_and_headers(&rq);
    let mut body = Vec::new();
    let _ = rq.as_reader().take(1 << 20).read_to_end(&mut body);
    let backends = inner.backends.lock().unwrap().clone();
    if backends.is_empty() {
        let _ = rq.respond(tiny_http::Response::from_string("no node").with_status_code(503));
        return;
    }
    let session = cookie(&headers, STICKY_COOKIE);
    let pinned = session
        .as_ref()
        .and_then(|s| inner.sticky.lock().unwrap().get(s).copied());
    let first = pinned.unwrap_or_else(|| inner.next.fetch_add(1, Ordering::SeqCst));
    let forwarded = match headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
    {
        Some((_, v)) => format!("{v}, {client_ip}"),
        None => client_ip,
    };
    for attempt in 0..backends.len() {
        let node = (first + attempt) % backends.len();
        let (base, up) = &backends[node];
        if !up {
            continue;
        }
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut b = inner
            .http
            .request(m, format!("{base}{url}"))
            .header("X-Forwarded-For", &forwarded)
            .body(body.clone());
        for (k, v) in &headers {
            let skip = [
                "host",
                "connection",
                "content-length",
                "transfer-encoding",
                "x-forwarded-for",
            ];
            if !skip.iter().any(|s| k.eq_ignore_ascii_case(s)) {
                b = b.header(k.as_str(), v.as_str());
            }
        }
        let resp = match b.send() {
            Ok(r) => r,
            // Down: the next node takes it (a balancer's health check).
            Err(e) if e.is_connect() => continue,
            Err(_) => {
                let _ = rq
                    .respond(tiny_http::Response::from_string("bad gateway").with_status_code(502));
                return;
            }
        };
        let status = resp.status().as_u16();
        let mut out: Vec<tiny_http::Header> = Vec::new();
        for (k, v) in resp.headers() {
            let skip = [
                "connection",
                "content-length",
                "transfer-encoding",
                "date",
                "server",
            ];
            if skip.iter().any(|s| k.as_str().eq_ignore_ascii_case(s)) {
                continue;
            }
            let Ok(v) = v.to_str() else { continue };
            if k.as_str().eq_ignore_ascii_case("set-cookie") {
                if let Some(s) = set_session(v) {
                    inner.sticky.lock().unwrap().insert(s, node);
                }
            }
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_str().as_bytes(), v.as_bytes()) {
                out.push(h);
            }
        }
        let data = resp.bytes().map(|b| b.to_vec()).unwrap_or_default();
        let mut r = tiny_http::Response::from_data(data).with_status_code(status);
        for h in out {
            r.add_header(h);
        }
        let _ = rq.respond(r);
        return;
    }
    let _ = rq.respond(tiny_http::Response::from_string("no node answers").with_status_code(503));
}
