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
}

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
    let mut g = Gen {
        rng: Rng(cfg.seed),
        ms: cfg.start * 1000,
        counter: 0,
        exp: Expected::default(),
        eol: if cfg.crlf { "\r\n" } else { "\n" },
        buf: String::with_capacity(1024),
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
                g.finish(f);
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
        g.finish(f);
    }
    w.flush()?;
    Ok(g.exp)
}

struct Gen {
    rng: Rng,
    ms: i64,
    counter: u64,
    exp: Expected,
    eol: &'static str,
    buf: String,
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

    fn finish(&mut self, f: InFlight) {
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
