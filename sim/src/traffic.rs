//! Scripted clients that send PAT (and other) requests to a Jira, counting what they sent
//! per token id, so the demo and capture tests can compare a log summary with the truth.
//! Some are meant to fail: unknown, expired, tampered and malformed tokens, an inactive
//! owner, a JWT sent as Bearer (no PAT at all), and a browser-like Basic client whose
//! requests are not PAT usage at all.

use super::accounts::{decode_token, encode_token, SimAccounts};
use std::collections::BTreeMap;
use std::time::Duration;

/// The `User-Agent` each client of [`standard_mix`] sends, by label: each its own, as the
/// scripts, bots and browsers of a real Jira (one carries a `"`, which Tomcat's access log
/// escapes as `\"`).
pub const USER_AGENTS: &[(&str, &str)] = &[
    ("ci-deploy", "Jenkins/2.440.3"),
    ("admin-script", "python-requests/2.31.0"),
    ("slack-bridge", "Go-http-client/1.1"),
    (
        "release-bot",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    ),
    ("old-laptop", "curl/8.5.0"),
    ("cron-of-leaver", "Wget/1.21.4"),
    (
        "forged",
        "Mozilla/5.0 (compatible; \"scanner\"; +http://scanner.example.test)",
    ),
    ("tampered", "PostmanRuntime/7.36.0"),
    ("malformed", "okhttp/4.12.0"),
    ("export-job", "Faraday v2.7.11"),
    (
        "export-tampered",
        "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.0",
    ),
    ("jwt-gateway", "axios/1.6.2"),
    (
        "browser-jdoe",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ),
];

/// The `User-Agent` of a client whose label is not in [`USER_AGENTS`].
pub const DEFAULT_USER_AGENT: &str = "jira-patrol-traffic/1.0";

/// The `User-Agent` a scripted client with this label sends.
pub fn user_agent(label: &str) -> &'static str {
    USER_AGENTS
        .iter()
        .find(|(l, _)| *l == label)
        .map_or(DEFAULT_USER_AGENT, |(_, ua)| ua)
}

/// How a client authenticates.
#[derive(Clone)]
pub enum ClientAuth {
    /// `Authorization: Bearer <value>` (the value need not be a valid token).
    Bearer(String),
    /// Basic auth with a login name and password.
    Basic {
        /// Login name.
        user: String,
        /// Password (never shown by `Debug`).
        password: String,
    },
    /// No credentials.
    Anonymous,
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAuth::Bearer(_) => f.write_str("Bearer(<token>)"),
            ClientAuth::Basic { user, .. } => write!(f, "Basic({user})"),
            ClientAuth::Anonymous => f.write_str("Anonymous"),
        }
    }
}

/// One scripted client: sends `requests` GETs, cycling through `paths`.
#[derive(Debug, Clone)]
pub struct ScriptedClient {
    /// Name in reports; also picks the `User-Agent`.
    pub label: String,
    /// What the client authenticates with.
    pub auth: ClientAuth,
    /// How many requests it sends.
    pub requests: u32,
    /// Paths it cycles through (after the base URL).
    pub paths: Vec<String>,
    /// Sent as `X-Forwarded-For`, so the log shows this client's own source address.
    pub forwarded_for: Option<String>,
    /// Wait between two of its requests.
    pub pause: Duration,
}

impl ScriptedClient {
    /// The `User-Agent` header this client sends ([`user_agent`] of its label).
    pub fn user_agent(&self) -> &'static str {
        user_agent(&self.label)
    }

    /// The token id this client's bearer value encodes, if it is a well-formed token.
    pub fn token_id(&self) -> Option<String> {
        match &self.auth {
            ClientAuth::Bearer(raw) => decode_token(raw).ok().map(|(id, _)| id),
            _ => None,
        }
    }
}

/// How [`run`] sends the clients' requests.
#[derive(Debug, Clone)]
pub struct TrafficOptions {
    /// Run the clients at the same time (one thread each) rather than one after another.
    pub concurrent: bool,
    /// For a TLS simulator with its test certificate.
    pub accept_invalid_certs: bool,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for TrafficOptions {
    fn default() -> Self {
        TrafficOptions {
            concurrent: true,
            accept_invalid_certs: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Answers counted by class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests sent.
    pub sent: u64,
    /// 2xx answers.
    pub ok: u64,
    /// 401 answers.
    pub unauthorized: u64,
    /// Any other status.
    pub other: u64,
    /// No answer (connection error, timeout).
    pub transport_errors: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.unauthorized += o.unauthorized;
        self.other += o.other;
        self.transport_errors += o.transport_errors;
    }
}

/// What the clients sent and how Jira answered, by token id and by client.
#[derive(Debug, Clone, Default)]
pub struct TrafficReport {
    /// Per token id encoded in a well-formed bearer value (valid or not).
    pub by_token_id: BTreeMap<String, Tally>,
    /// Per client label.
    pub by_client: BTreeMap<String, Tally>,
    /// Requests whose bearer value was not a well-formed token (garbage, a JWT): Jira's
    /// log reports them as Bearer credentials that are no personal access tokens.
    pub malformed: Tally,
    /// Requests without a bearer value (Basic, anonymous).
    pub without_token: Tally,
}

impl TrafficReport {
    /// Requests sent by every client.
    pub fn total_sent(&self) -> u64 {
        self.by_client.values().map(|t| t.sent).sum()
    }
}

/// Sends every client's requests to `url` and counts the answers.
pub fn run(url: &str, clients: &[ScriptedClient], opts: &TrafficOptions) -> TrafficReport {
    let base = url.trim_end_matches('/').to_string();
    let results: Vec<(ScriptedClient, Tally)> = if opts.concurrent {
        std::thread::scope(|s| {
            let handles: Vec<_> = clients
                .iter()
                .map(|c| {
                    let base = &base;
                    s.spawn(move || (c.clone(), run_one(base, c, opts)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("traffic client panicked"))
                .collect()
        })
    } else {
        clients
            .iter()
            .map(|c| (c.clone(), run_one(&base, c, opts)))
            .collect()
    };
    let mut report = TrafficReport::default();
    for (c, tally) in results {
        report
            .by_client
            .entry(c.label.clone())
            .or_default()
            .add(&tally);
        match (&c.auth, c.token_id()) {
            (ClientAuth::Bearer(_), Some(id)) => {
                report.by_token_id.entry(id).or_default().add(&tally)
            }
            (ClientAuth::Bearer(_), None) => report.malformed.add(&tally),
            _ => report.without_token.add(&tally),
        }
    }
    report
}

fn run_one(base: &str, c: &ScriptedClient, opts: &TrafficOptions) -> Tally {
    let mut tally = Tally::default();
    let client = match reqwest::blocking::Client::builder()
        .user_agent(c.user_agent())
        .timeout(opts.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(opts.accept_invalid_certs)
        .build()
    {
        Ok(c) => c,
        Err(_) => {
            tally.sent = c.requests as u64;
            tally.transport_errors = c.requests as u64;
            return tally;
        }
    };
    for i in 0..c.requests {
        let path = if c.paths.is_empty() {
            "/rest/api/2/myself"
        } else {
            &c.paths[i as usize % c.paths.len()]
        };
        let mut rb = client.get(format!("{base}{path}"));
        rb = match &c.auth {
            ClientAuth::Bearer(t) => rb.header("Authorization", format!("Bearer {t}")),
            ClientAuth::Basic { user, password } => rb.basic_auth(user, Some(password)),
            ClientAuth::Anonymous => rb,
        };
        if let Some(xff) = &c.forwarded_for {
            rb = rb.header("X-Forwarded-For", xff);
        }
        tally.sent += 1;
        match rb.send() {
            Ok(r) if r.status().is_success() => tally.ok += 1,
            Ok(r) if r.status().as_u16() == 401 => tally.unauthorized += 1,
            Ok(_) => tally.other += 1,
            Err(_) => tally.transport_errors += 1,
        }
        if !c.pause.is_zero() {
            std::thread::sleep(c.pause);
        }
    }
    tally
}

/// A realistic mix against the simulator's seeded accounts, `n` requests per client:
/// two admin scripts, a jdoe bridge and the export job of a user whose key is twelve digits
/// that succeed; an expired token, an inactive owner, an unknown token id, two tampered
/// secrets (one of the twelve-digit user's token), a malformed value, a JWT from a gateway,
/// and a Basic-auth browser.
pub fn standard_mix(accounts: &SimAccounts, n: u32) -> Vec<ScriptedClient> {
    let raw = |name: &str| {
        accounts
            .token(name)
            .map(|t| t.raw.clone())
            .unwrap_or_default()
    };
    let mk = |label: &str, auth: ClientAuth, paths: &[&str], xff: Option<&str>| ScriptedClient {
        label: label.into(),
        auth,
        requests: n,
        paths: paths.iter().map(|p| p.to_string()).collect(),
        forwarded_for: xff.map(String::from),
        pause: Duration::ZERO,
    };
    let numeric_id = accounts
        .token("nightly export")
        .map(|t| t.token_id.clone())
        .unwrap_or_else(|| "405060708090".into());
    let jdoe_id = accounts
        .token("Jira→Slack «bridge» ü")
        .map(|t| t.token_id.clone())
        .unwrap_or_else(|| "230419881234".into());
    vec![
        mk(
            "ci-deploy",
            ClientAuth::Bearer(raw("ci, deploy (prod)=1")),
            &[
                "/rest/api/2/search?jql=project%3DSCRUM",
                "/rest/api/2/issue/SCRUM-1",
            ],
            Some("10.1.2.61"),
        ),
        mk(
            "admin-script",
            ClientAuth::Bearer(raw("test")),
            &["/rest/api/2/myself", "/rest/api/2/serverInfo"],
            Some("192.168.0.1"),
        ),
        mk(
            "slack-bridge",
            ClientAuth::Bearer(raw("Jira→Slack «bridge» ü")),
            &[
                "/rest/api/2/issue/SCRUM-2",
                "/rest/api/2/search",
                "/rest/api/2/project",
            ],
            Some("10.20.0.7"),
        ),
        mk(
            "release-bot",
            ClientAuth::Bearer(raw("release-bot [eu], expiringAt=never")),
            &["/rest/api/2/project"],
            Some("10.1.2.62"),
        ),
        mk(
            "old-laptop",
            ClientAuth::Bearer(raw("old laptop")),
            &["/rest/api/2/myself"],
            Some("172.16.5.9"),
        ),
        mk(
            "cron-of-leaver",
            ClientAuth::Bearer(raw("cron job")),
            &["/rest/api/2/issue/SCRUM-3"],
            Some("10.1.2.99"),
        ),
        mk(
            "forged",
            ClientAuth::Bearer(encode_token("424242424242", &[7u8; 20])),
            &["/rest/api/2/myself"],
            Some("203.0.113.9"),
        ),
        mk(
            "tampered",
            ClientAuth::Bearer(encode_token(&jdoe_id, &[0u8; 20])),
            &["/rest/api/2/myself"],
            Some("203.0.113.10"),
        ),
        mk(
            "malformed",
            ClientAuth::Bearer("not-a-token!".into()),
            &["/rest/api/2/myself"],
            None,
        ),
        mk(
            "export-job",
            ClientAuth::Bearer(raw("nightly export")),
            &["/rest/api/2/search?jql=updated%3E-1d"],
            Some("10.30.0.5"),
        ),
        mk(
            "export-tampered",
            ClientAuth::Bearer(encode_token(&numeric_id, &[1u8; 20])),
            &["/rest/api/2/myself"],
            Some("203.0.113.11"),
        ),
        // Another system's OAuth/JWT bearer token sent to Jira: its dots are no Base64.
        mk(
            "jwt-gateway",
            ClientAuth::Bearer(
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJnYXRld2F5In0.c2lnbmF0dXJlLW5vdC1hLXBhdA".into(),
            ),
            &["/rest/api/2/myself", "/rest/api/2/project"],
            Some("198.51.100.23"),
        ),
        mk(
            "browser-jdoe",
            ClientAuth::Basic {
                user: "jdoe".into(),
                password: "jdoe".into(),
            },
            &["/rest/api/2/myself", "/secure/Dashboard.jspa"],
            None,
        ),
    ]
}

/// Block until `sim` logs the PAT filter at TRACE (a capture window has opened), so that
/// the traffic sent next is all inside the window. `false` when `stop` was set first.
pub fn wait_for_window(sim: &super::SimJira, stop: &std::sync::atomic::AtomicBool) -> bool {
    use std::sync::atomic::Ordering;
    while sim.effective_level(super::loggers::FILTER) != crate::Level::Trace {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// [`standard_mix`] with a pause after every request, to spread the traffic over a window.
pub fn paced_mix(accounts: &SimAccounts, n: u32, pause: Duration) -> Vec<ScriptedClient> {
    let mut clients = standard_mix(accounts, n);
    for c in &mut clients {
        c.pause = pause;
    }
    clients
}
