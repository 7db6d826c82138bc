//! Generator of realistic `atlassian-jira.log` content with known answers, shared by the
//! tests (small logs) and the benchmark (1 GiB logs: `benches/genlog.rs`).
//!
//! PAT requests follow the support article's ten-line TRACE sequence (and the failure
//! variants of pats-plugin 1.4.7), interleaved across threads, some threads renamed
//! mid-request, among ordinary lines, stack traces (one with a PAT class in a frame, a
//! prefilter trap) and filter lines of requests that carry no token. Also the traps of a
//! real Jira: the nightly `DeletedUserPruningJob` (PAT lines with no request id), Bearer
//! values that are no PAT (a JWT: a Base64 error, no `Got tokenId`), and an old user whose
//! key is twelve digits.
//!
//! With [`generate_with_access`] it also writes the matching Tomcat access log (stock Jira
//! pattern, jira-facts §7): one line per request (PAT or not) with the same request id,
//! `%t` = the request's start, lines in completion order, statuses, bytes, durations and
//! User-Agents drawn from the seed, and the per-token truth in [`Expected::access`].
//! [`generate_previous_day_access`] writes the day before's access log of a JVM whose
//! request ids repeat today's: a join must not take those.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Clone, Debug)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub user_key: String,
    pub username: String,
    pub db_id: u32,
}

pub fn default_tokens() -> Vec<Token> {
    let t = |id: &str, name: &str, key: &str, user: &str, db: u32| Token {
        id: id.into(),
        name: name.into(),
        user_key: key.into(),
        username: user.into(),
        db_id: db,
    };
    vec![
        t("355510638677", "test", "admin", "admin", 2),
        t("012345678901", "ci, deploy (prod)=1", "admin", "admin", 3),
        t(
            "987654321098",
            "Überwachung – nightly",
            "JIRAUSER10100",
            "jdoe",
            4,
        ),
        t("111122223333", "backup", "JIRAUSER10100", "jdoe", 5),
        // An old user's key is the lower-cased user name, here twelve digits; the token's
        // name holds another twelve-digit run.
        t(
            "505050505050",
            "export 100200300401",
            "100200300400",
            "100200300400",
            6,
        ),
    ]
}

/// The owner of a token whose user was deleted: the pruning job removes its tokens.
pub const DELETED_OWNER: &str = "JIRAUSER10900";

#[derive(Clone, Debug)]
pub struct Config {
    /// Stop after about this many bytes.
    pub bytes: u64,
    /// Share of lines that come from PAT classes (0.0 – 1.0).
    pub pat_share: f64,
    /// Share of token requests that fail (bad secret or unknown token id).
    pub failure_share: f64,
    pub tokens: Vec<Token>,
    pub seed: u64,
    /// Requests in flight at once (interleaving).
    pub concurrency: usize,
    pub crlf: bool,
    /// Unix seconds of the first line.
    pub start: i64,
    /// Log-time milliseconds between lines.
    pub step_ms: i64,
    /// Chance per ordinary line that the `DeletedUserPruningJob` runs there.
    pub pruning_share: f64,
    /// Share of requests whose Bearer value is no PAT (a JWT).
    pub not_pat_share: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bytes: 1 << 20,
            pat_share: 0.25,
            failure_share: 0.05,
            tokens: default_tokens(),
            seed: 42,
            concurrency: 4,
            crlf: false,
            start: 1_665_500_000,
            step_ms: 7,
            pruning_share: 0.001,
            not_pat_share: 0.03,
        }
    }
}

/// What a correct scanner must report.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Expected {
    pub lines: u64,
    pub pat_lines: u64,
    pub bytes: u64,
    /// token id → (successful requests, failed requests)
    pub tokens: BTreeMap<String, (u64, u64)>,
    /// unknown token id → attempts
    pub unknown: BTreeMap<String, u64>,
    /// Requests with a Bearer value that is no PAT.
    pub not_pat: u64,
    /// Runs of the pruning job (their lines belong to no request).
    pub pruning_runs: u64,
    /// With an access log: what its lines say, per token id named by a request (the
    /// tokens' and the unknown ids').
    pub access: BTreeMap<String, TokenAccess>,
    /// With an access log: its lines (one per request), and of those, requests without a
    /// PAT (no Bearer value, or one that is no PAT).
    pub access_lines: u64,
    pub access_non_pat_lines: u64,
}

/// The access-log truth of one token id: requests the token authenticated (`Auth
/// SUCCESS`) and requests that named it but failed (they went on anonymous).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TokenAccess {
    pub ok: AccessTruth,
    pub failed: AccessTruth,
}

/// What the access lines of a set of requests say.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AccessTruth {
    pub requests: u64,
    /// status → requests
    pub statuses: BTreeMap<u16, u64>,
    /// Sum of `%b` (`-` counts 0).
    pub bytes: u64,
    /// User-Agent as sent (unescaped) → requests
    pub agents: BTreeMap<String, u64>,
    /// `%D` values as written (milliseconds, or microseconds with
    /// [`AccessOptions::micros`]), sorted ascending.
    pub durations: Vec<u64>,
}

impl AccessTruth {
    /// Nearest-rank percentile of the durations (`p` in 0–100); 0 when there are none.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.durations.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * self.durations.len() as f64).ceil() as usize;
        self.durations[rank.clamp(1, self.durations.len()) - 1]
    }
    pub fn max_duration(&self) -> u64 {
        self.durations.last().copied().unwrap_or(0)
    }
    fn add(&mut self, status: u16, bytes: u64, agent: &str, duration: u64) {
        self.requests += 1;
        *self.statuses.entry(status).or_default() += 1;
        self.bytes += bytes;
        *self.agents.entry(agent.to_string()).or_default() += 1;
        // Sorted once at the end of the run.
        self.durations.push(duration);
    }
}

/// How the access log is written.
#[derive(Debug, Clone, Default)]
pub struct AccessOptions {
    /// `%D` in microseconds (Tomcat 10.1, Jira 11) instead of milliseconds.
    pub micros: bool,
    /// The User-Agent every token's own client sends (else one of [`AGENTS`] each).
    pub agent: Option<&'static str>,
}

/// The User-Agents of today's clients (one carries quotes, escaped `\"` in the log).
pub const AGENTS: [&str; 8] = [
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Jenkins/2.440.3",
    "Go-http-client/1.1",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "PostmanRuntime/7.36.0",
    "Mozilla/5.0 (compatible; \"quoted\" bot/1.0)",
    "okhttp/4.12.0",
];

/// The one User-Agent of the previous day's access log: a line joined with it is wrong.
pub const PREVIOUS_DAY_AGENT: &str = "previous-day-client/0.9";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

enum Kind {
    Success(usize),
    BadSecret(usize),
    UnknownToken(String),
    NotPat,
    NoToken,
}

struct InFlight {
    lines: Vec<(String, String, &'static str, String, String)>, // (thread, user col, level, category, message)
    next: usize,
    /// Log times (ms) of the first and the latest emitted line.
    first_ms: i64,
    last_ms: i64,
    reqid: String,
    session: String,
    ip: String,
    url: String,
    kind: Kind,
}

const PATHS: [&str; 5] = [
    "/rest/api/2/search",
    "/rest/api/2/issue/PROJ-123",
    "/rest/api/2/myself",
    "/rest/agile/1.0/board/7/sprint",
    "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19",
];
const IPS: [&str; 4] = [
    "192.168.0.1",
    "10.1.2.61,172.18.0.6",
    "0:0:0:0:0:0:0:1",
    "203.0.113.9",
];
const FILTER: &str = "c.a.p.web.filter.TokenBasedAuthenticationFilter";
const SVC: &str = "c.a.pats.service.DefaultTokenAuthenticationService";

pub fn generate(cfg: &Config, out: &mut dyn Write) -> io::Result<Expected> {
    run(cfg, out, None)
}

/// [`generate`], and the access log of the same requests into `access` (the app log is
/// byte for byte what [`generate`] writes: access draws use their own random stream).
pub fn generate_with_access(
    cfg: &Config,
    out: &mut dyn Write,
    access: &mut dyn Write,
    opts: &AccessOptions,
) -> io::Result<Expected> {
    run(cfg, out, Some((access, opts, false)))
}

/// The access log of the day before `cfg.start`, of a JVM that served the same sequence of
/// requests: the same request ids (minute of day, counter, concurrency) as today's, with
/// other statuses, sizes, durations and [`PREVIOUS_DAY_AGENT`]. No app log is written.
pub fn generate_previous_day_access(
    cfg: &Config,
    access: &mut dyn Write,
    opts: &AccessOptions,
) -> io::Result<Expected> {
    let day = Config {
        start: cfg.start - 86_400,
        ..cfg.clone()
    };
    run(&day, &mut io::sink(), Some((access, opts, true)))
}

fn run(
    cfg: &Config,
    out: &mut dyn Write,
    access: Option<(&mut dyn Write, &AccessOptions, bool)>,
) -> io::Result<Expected> {
    let (mut aw, acc) = match access {
        Some((w, opts, previous_day)) => {
            let mut rng = Rng(cfg.seed
                ^ if previous_day {
                    0x0ddd_a7e5
                } else {
                    0x00ac_ce55
                });
            let agents = cfg
                .tokens
                .iter()
                .map(|_| {
                    if previous_day {
                        PREVIOUS_DAY_AGENT
                    } else {
                        let pick = AGENTS[rng.below(AGENTS.len() as u64) as usize];
                        opts.agent.unwrap_or(pick)
                    }
                })
                .collect();
            (
                Some(io::BufWriter::with_capacity(1 << 20, w)),
                Some(AccGen {
                    rng,
                    micros: opts.micros,
                    previous_day,
                    token_agents: agents,
                    pending: Vec::new(),
                }),
            )
        }
        None => (None, None),
    };
    let mut g = Gen {
        rng: Rng(cfg.seed),
        ms: cfg.start * 1000,
        counter: 0,
        exp: Expected::default(),
        eol: if cfg.crlf { "\r\n" } else { "\n" },
        buf: String::with_capacity(1024),
        acc,
    };
    let mut flights: Vec<InFlight> = Vec::new();
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    while g.exp.bytes < cfg.bytes {
        if g.rng.chance(cfg.pat_share) {
            if flights.len() < cfg.concurrency {
                flights.push(g.new_flight(cfg));
            }
            let i = g.rng.below(flights.len() as u64) as usize;
            g.emit_flight_line(&mut flights[i], &mut w)?;
            if flights[i].next == flights[i].lines.len() {
                let f = flights.swap_remove(i);
                g.finish(cfg, f);
                g.flush_access(aw.as_mut().map(|w| w as &mut dyn Write), false)?;
            }
        } else if g.rng.chance(cfg.pruning_share) {
            g.pruning_job(cfg, &mut w)?;
        } else {
            g.ordinary(&mut w)?;
        }
    }
    for mut f in flights {
        while f.next < f.lines.len() {
            g.emit_flight_line(&mut f, &mut w)?;
        }
        g.finish(cfg, f);
    }
    g.flush_access(aw.as_mut().map(|w| w as &mut dyn Write), true)?;
    for t in g.exp.access.values_mut() {
        t.ok.durations.sort_unstable();
        t.failed.durations.sort_unstable();
    }
    w.flush()?;
    if let Some(aw) = aw.as_mut() {
        aw.flush()?;
    }
    Ok(g.exp)
}

/// The access log's own random stream and the lines waiting for their completion time.
struct AccGen {
    rng: Rng,
    micros: bool,
    previous_day: bool,
    /// Each token's usual client.
    token_agents: Vec<&'static str>,
    /// (completion ms, line)
    pending: Vec<(i64, String)>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `[11/Oct/2022:15:04:28 +0000]`
fn clf(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap();
    let dt = jiff::tz::Offset::UTC.to_datetime(t);
    format!(
        "[{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000]",
        dt.day(),
        MONTHS[dt.month() as usize - 1],
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Tomcat's escaping of a quoted header value.
/// As Tomcat's AccessLogValve writes a header: it reads the value as ISO-8859-1 (one char
/// per byte), escapes `"` and `\\`, and writes each control character and each byte
/// above `~` as `\\t`, `\\n`, `\\f`, `\\r` or `\\uXXXX`.
fn tomcat_escape(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(b as char),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b => out.push_str(&format!("\\u{b:04x}")),
        }
    }
    out
}

/// Size of the simulator's 401 body (`errorMessages` "You are not authenticated...").
const UNAUTHORIZED_BYTES: u64 = 111;
const NOT_FOUND_BYTES: u64 = 54;

struct Gen {
    rng: Rng,
    ms: i64,
    counter: u64,
    exp: Expected,
    eol: &'static str,
    buf: String,
    acc: Option<AccGen>,
}

impl Gen {
    fn ts(&mut self, step: i64) -> String {
        self.ms += 1 + self.rng.below(step as u64 * 2) as i64;
        let secs = self.ms.div_euclid(1000);
        let dt = jiff::Timestamp::from_second(secs).unwrap();
        format!(
            "{},{:03}+0000",
            dt.strftime("%Y-%m-%d %H:%M:%S"),
            self.ms.rem_euclid(1000)
        )
    }

    fn new_flight(&mut self, cfg: &Config) -> InFlight {
        self.counter += 1;
        let minute = (self.ms / 60_000) % 1440;
        let exec = 1 + self.rng.below(200);
        let thread = format!("http-nio-8080-exec-{exec}");
        let reqid = format!("{minute}x{}x{}", self.counter, 1 + self.rng.below(3));
        let ip = IPS[self.rng.below(IPS.len() as u64) as usize].to_string();
        let url = PATHS[self.rng.below(PATHS.len() as u64) as usize].to_string();
        let roll = self.rng.next() % 1000;
        let not_pat = 100.0 + 900.0 * cfg.not_pat_share;
        let kind = if roll < 100 {
            Kind::NoToken
        } else if (roll as f64) < not_pat {
            Kind::NotPat
        } else if (roll as f64) < not_pat + 900.0 * cfg.failure_share / 2.0 {
            Kind::UnknownToken(format!("{:012}", 500_000_000_000 + self.rng.below(3)))
        } else if (roll as f64) < not_pat + 900.0 * cfg.failure_share {
            Kind::BadSecret(self.rng.below(cfg.tokens.len() as u64) as usize)
        } else {
            Kind::Success(self.rng.below(cfg.tokens.len() as u64) as usize)
        };
        let anon = "anonymous".to_string();
        let mut lines = Vec::new();
        macro_rules! push {
            ($t:expr, $u:expr, $lv:expr, $c:expr, $m:expr) => {
                lines.push(($t.to_string(), $u.to_string(), $lv, $c.to_string(), $m))
            };
        }
        push!(
            &thread,
            &anon,
            "TRACE",
            FILTER,
            ">>> TokenBasedAuthenticationFilter.doFilter".into()
        );
        // A known token id is looked up; a wrong secret logs only the password encoder's
        // line before the failure (pats-plugin 1.4.7: no TokenDTO, no DEBUG line).
        if let Kind::BadSecret(i) | Kind::Success(i) = &kind {
            let t = &cfg.tokens[*i];
            push!(
                &thread,
                &anon,
                "TRACE",
                SVC,
                format!("Got tokenId: [{}] from token", t.id)
            );
        }
        if let Kind::Success(_) = &kind {
            push!(
                &thread,
                &anon,
                "DEBUG",
                "c.a.pats.db.PersonalTokenConfigEnricher",
                "Registering enum types for Querydsl".into()
            );
            push!(&thread, &anon, "TRACE", "c.a.pats.service.CachingTokenValidator", "Verifying user token with hashed token: [{PKCS5S2}iOmgEVwCpHPgaWWxcrfauKEZtLy5Qy/o3gBQTqxuFVqjtG2XD4MzLweWSPI/bw0d]".into());
        }
        match &kind {
            Kind::NoToken => {}
            Kind::NotPat => {
                // A JWT: its dots are no Base64, so the token id is never read.
                push!(
                    &thread,
                    &anon,
                    "TRACE",
                    FILTER,
                    "Auth failure: [Illegal base64 character 2e]".into()
                );
            }
            Kind::UnknownToken(id) => {
                push!(
                    &thread,
                    &anon,
                    "TRACE",
                    SVC,
                    format!("Got tokenId: [{id}] from token")
                );
                push!(
                    &thread,
                    &anon,
                    "TRACE",
                    FILTER,
                    format!("Auth failure: [Authentication failed for token with ID {id}]")
                );
            }
            Kind::BadSecret(i) => {
                let t = &cfg.tokens[*i];
                push!(&thread, &anon, "TRACE", "c.a.pats.service.DefaultTokenValidator", "Using password encoder to see if tokens match with hashed token: [{PKCS5S2}iOmgEVwCpHPgaWWxcrfauKEZtLy5Qy/o3gBQTqxuFVqjtG2XD4MzLweWSPI/bw0d]".into());
                push!(
                    &thread,
                    &anon,
                    "TRACE",
                    FILTER,
                    format!(
                        "Auth failure: [Authentication failed for user {} and token with ID {}]",
                        t.user_key, t.id
                    )
                );
            }
            Kind::Success(i) => {
                let t = &cfg.tokens[*i];
                push!(&thread, &anon, "TRACE", SVC, format!("Authentication successful - returning token: [TokenDTO(id={}, userKey={}, hashedToken={{PKCS5S2}}iOmgEVwCpHPgaWWxcrfauKEZtLy5Qy/o3gBQTqxuFVqjtG2XD4MzLweWSPI/bw0d, tokenId={}, name={}, createdAt=2022-10-11 14:51:57.933, lastAccessedAt=2022-10-11 14:56:45.734685, expiringAt=2023-01-09 14:51:57.933, notificationState=NOT_SENT)]", t.db_id, t.user_key, t.id, t.name));
                push!(
                    &thread,
                    &anon,
                    "DEBUG",
                    "c.a.pats.checker.JiraProductUserProvider",
                    format!("Looking for Jira user with key: [{}]", t.user_key)
                );
                push!(&thread, &anon, "TRACE", FILTER, format!("Auth SUCCESS for user: [{}] and tokenId: [{}] and expiry:[2023-01-09 14:51:57.933]", t.user_key, t.id));
                push!(
                    &thread,
                    &anon,
                    "TRACE",
                    "c.a.p.web.filter.LastAccessedTimeBatcher$TokenBatch",
                    format!(
                        "Storing auth time: [2022-10-11T15:04:09.233632Z] for tokenId: [{}]",
                        t.db_id
                    )
                );
                // Jira renames the request thread once it knows the user.
                let renamed = format!("{thread} url: {url}; user: {}", t.username);
                push!(&renamed, &t.username, "TRACE", FILTER, "Invalidating session authenticated using personal access token with an ID [D290B8011EF91064B5130DBA90E86102]".into());
            }
        }
        let (last_thread, last_user) = lines.last().map(|l| (l.0.clone(), l.1.clone())).unwrap();
        push!(
            &last_thread,
            &last_user,
            "TRACE",
            FILTER,
            "<<< TokenBasedAuthenticationFilter.doFilter".into()
        );
        InFlight {
            lines,
            next: 0,
            first_ms: 0,
            last_ms: 0,
            reqid,
            session: if self.rng.chance(0.5) {
                "-".into()
            } else {
                format!("{:x}", self.rng.below(1 << 24))
            },
            ip,
            url,
            kind,
        }
    }

    fn emit_flight_line(&mut self, f: &mut InFlight, w: &mut dyn Write) -> io::Result<()> {
        let (thread, user, level, cat, msg) = &f.lines[f.next];
        f.next += 1;
        let ts = self.ts(3);
        if f.next == 1 {
            f.first_ms = self.ms;
        }
        f.last_ms = self.ms;
        let session = if user == "anonymous" {
            "-"
        } else {
            f.session.as_str()
        };
        self.buf.clear();
        use std::fmt::Write as _;
        let _ = write!(
            self.buf,
            "{ts} {thread} {level} {user} {} {session} {} {} [{cat}] {msg}{}",
            f.reqid, f.ip, f.url, self.eol
        );
        self.exp.pat_lines += 1;
        self.write_buf(w)
    }

    fn finish(&mut self, cfg: &Config, f: InFlight) {
        self.access_line(cfg, &f);
        match f.kind {
            Kind::Success(_) | Kind::BadSecret(_) => {
                let id = f.lines[1]
                    .4
                    .split('[')
                    .nth(1)
                    .unwrap()
                    .split(']')
                    .next()
                    .unwrap()
                    .to_string();
                let e = self.exp.tokens.entry(id).or_default();
                if matches!(f.kind, Kind::Success(_)) {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            Kind::UnknownToken(id) => *self.exp.unknown.entry(id).or_default() += 1,
            Kind::NotPat => self.exp.not_pat += 1,
            Kind::NoToken => {}
        }
    }

    /// Queues the access line of a finished request: start a little before its first log
    /// line, completion a little (sometimes much) after its last; status, size and agent by
    /// its outcome, drawn from the access stream.
    fn access_line(&mut self, cfg: &Config, f: &InFlight) {
        let Some(acc) = self.acc.as_mut() else {
            return;
        };
        let r = &mut acc.rng;
        let start_ms = f.first_ms - r.below(3) as i64;
        let tail = match r.below(100) {
            0..=89 => r.below(20),
            90..=98 => 50 + r.below(450),
            _ => 1000 + r.below(4000),
        } as i64;
        let end_ms = f.last_ms + tail;
        // The real duration to the microsecond; %D shows it in the log's unit.
        let micros = ((end_ms - start_ms) * 1000 + r.below(1000) as i64) as u64;
        let duration = if acc.micros { micros } else { micros / 1000 };
        let (token, authenticated) = match &f.kind {
            Kind::Success(i) => (Some(cfg.tokens[*i].id.clone()), Some(*i)),
            Kind::BadSecret(i) => (Some(cfg.tokens[*i].id.clone()), None),
            Kind::UnknownToken(id) => (Some(id.clone()), None),
            Kind::NotPat | Kind::NoToken => (None, None),
        };
        let public = f.url == "/rest/api/2/search";
        let status: u16 = match authenticated {
            Some(_) => match r.below(100) {
                0..=1 => 429,
                2 => 500,
                3..=17 if f.url.starts_with("/rest/api/2/issue/") => 404,
                _ => 200,
            },
            None if public || matches!(f.kind, Kind::NoToken) => 200,
            None => 401,
        };
        let bytes = match status {
            200 => 100 + r.below(20_000),
            401 => UNAUTHORIZED_BYTES,
            404 => NOT_FOUND_BYTES,
            500 => 300 + r.below(200),
            _ => 0,
        };
        let agent: &str = if acc.previous_day {
            PREVIOUS_DAY_AGENT
        } else {
            let own = match &f.kind {
                Kind::Success(i) | Kind::BadSecret(i) => Some(*i),
                _ => None,
            };
            match own {
                Some(i) if r.below(10) > 0 => acc.token_agents[i],
                _ => AGENTS[r.below(AGENTS.len() as u64) as usize],
            }
        };
        let query = if public && r.below(2) == 0 {
            "?jql=project%3DPROJ"
        } else {
            ""
        };
        let user = authenticated.map_or("-", |i| cfg.tokens[i].username.as_str());
        let session = if authenticated.is_some() {
            f.session.as_str()
        } else {
            "-"
        };
        let addr = f.ip.rsplit(',').next().unwrap_or("127.0.0.1");
        let b = if bytes == 0 {
            "-".to_string()
        } else {
            bytes.to_string()
        };
        let line = format!(
            "{addr} {} {user} {} \"GET {}{query} HTTP/1.1\" {status} {b} {duration} \"-\" \"{}\" \"{session}\"{}",
            f.reqid,
            clf(start_ms),
            f.url,
            tomcat_escape(agent),
            self.eol
        );
        acc.pending.push((end_ms, line));
        self.exp.access_lines += 1;
        match token {
            Some(id) => {
                let e = self.exp.access.entry(id).or_default();
                let t = if authenticated.is_some() {
                    &mut e.ok
                } else {
                    &mut e.failed
                };
                t.add(status, bytes, agent, duration);
            }
            None => self.exp.access_non_pat_lines += 1,
        }
    }

    /// Writes the queued access lines whose request has completed by now (all at the end),
    /// in completion order.
    fn flush_access(&mut self, w: Option<&mut dyn Write>, all: bool) -> io::Result<()> {
        let (Some(acc), Some(w)) = (self.acc.as_mut(), w) else {
            return Ok(());
        };
        let now = self.ms;
        if !all && !acc.pending.iter().any(|(end, _)| *end <= now) {
            return Ok(());
        }
        acc.pending.sort_by_key(|(end, _)| *end);
        let n = if all {
            acc.pending.len()
        } else {
            acc.pending.partition_point(|(end, _)| *end <= now)
        };
        for (_, line) in acc.pending.drain(..n) {
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// `DeletedUserPruningJob`: one DEBUG line per distinct token owner on a scheduler
    /// thread, all five request fields empty, then the removal for the deleted owner.
    fn pruning_job(&mut self, cfg: &Config, w: &mut dyn Write) -> io::Result<()> {
        let mut owners: Vec<&str> = cfg.tokens.iter().map(|t| t.user_key.as_str()).collect();
        owners.push(DELETED_OWNER);
        owners.sort_unstable();
        owners.dedup();
        let eol = self.eol;
        for key in owners {
            let ts = self.ts(1);
            self.buf.clear();
            use std::fmt::Write as _;
            let _ = write!(
                self.buf,
                "{ts} Caesium-1-2 DEBUG      [c.a.pats.checker.JiraProductUserProvider] Looking for Jira user with key: [{key}]{eol}"
            );
            self.exp.pat_lines += 1;
            self.write_buf(w)?;
        }
        let ts = self.ts(1);
        self.buf.clear();
        use std::fmt::Write as _;
        let _ = write!(
            self.buf,
            "{ts} Caesium-1-2 DEBUG      [c.a.pats.jobs.DeletedUserPruningJob] Removing tokens for deleted userKey [{DELETED_OWNER}]{eol}"
        );
        self.exp.pat_lines += 1;
        self.exp.pruning_runs += 1;
        self.write_buf(w)
    }

    fn ordinary(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let ts = self.ts(7);
        self.buf.clear();
        use std::fmt::Write as _;
        let eol = self.eol;
        let n = self.rng.below(100);
        let _ = match n {
            0..=39 => write!(
                self.buf,
                "{ts} http-nio-8080-exec-{} INFO jdoe {}x{}x1 1a2b3c 10.0.0.{} /secure/RapidBoard.jspa [c.a.j.issue.index.DefaultIndexManager] Re-indexing issue PROJ-{} took {} ms{eol}",
                self.rng.below(200), (self.ms / 60_000) % 1440, self.rng.below(100_000), self.rng.below(255), self.rng.below(9999), self.rng.below(900)
            ),
            40..=64 => write!(
                self.buf,
                "{ts} Caesium-1-{} INFO ServiceRunner     [c.a.j.service.ServiceRunner] Mail Queue Service: sent {} messages{eol}",
                self.rng.below(4), self.rng.below(20)
            ),
            65..=84 => write!(
                self.buf,
                "{ts} https-jsse-nio-8443-exec-49 url: /rest/plugins/1.0/x; user: user.name WARN user.name 539x{}x1 179lvdm 11.22.33.44 /rest/plugins/1.0/x [c.a.plugin.util.WaitUntil] Plugins that have yet to be enabled: (1), 300 seconds remaining{eol}",
                self.rng.below(1_000_000)
            ),
            85..=97 => write!(
                self.buf,
                "{ts} ThreadPoolAsyncTaskExecutor::Thread 39 DEBUG admin     [c.a.activeobjects.osgi.ActiveObjectsServiceFactory] ungetService bundle [com.playsql.requirementyogijira]{eol}"
            ),
            _ => {
                // A stack trace whose frames name a PAT class: not a PAT line.
                self.exp.lines += 3;
                write!(
                    self.buf,
                    "{ts} http-nio-8080-exec-7 ERROR anonymous 1x1x1 - 10.0.0.1 /rest/api/2/search [c.a.j.web.servlet.ErrorServlet] Request failed{eol}java.lang.IllegalStateException: boom{eol}\tat com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter.doFilter(TokenBasedAuthenticationFilter.java:88){eol}\t... 51 filtered{eol}"
                )
            }
        };
        self.write_buf(w)
    }

    fn write_buf(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.exp.lines += 1;
        self.exp.bytes += self.buf.len() as u64;
        w.write_all(self.buf.as_bytes())
    }
}
