//! Per-token aggregation of correlated requests, and the report it yields (whose JSON
//! form is the stable `--format json` schema). Plain data in, plain data out: the
//! renderers live in `report`.

mod fold;
pub mod http;

pub use http::{AgentCount, HttpReport, Latency};

use crate::access::join::Http;
pub use crate::access::AccessLogReport;
use crate::scan::{Expiry, Outcome, Request, Stats, Ts};
use crate::untrusted::Untrusted;
use fold::Folding;
use http::{HttpStats, Minutes};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Distinct IPs, paths or reasons listed per token; the rarest past that are counted
/// under `(other)`, so memory does not grow with the log.
const MAX_DISTINCT: usize = 500;
/// The same for a token id that only failed (anyone can present one): it gets little.
const MAX_DISTINCT_FAILED: usize = 20;
/// Distinct failed token ids listed; the rarest past that are folded into
/// [`Report::other_failed_token_ids`] (random Bearer values from anonymous clients
/// would otherwise make one entry each).
pub const MAX_FAILED_IDS: usize = 10_000;
/// Users listed among the requests whose token the log does not name.
const MAX_USERS: usize = 10_000;
const OTHER: &str = "(other)";

/// Which requests a report counts (`summarize --since/--until/--user/--token`); an empty
/// field lets every request through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only requests at or after this instant (UTC milliseconds since the epoch); `None`:
    /// no lower bound.
    pub since_ms: Option<i64>,
    /// Only requests before this instant (UTC milliseconds, exclusive); `None`: no upper bound.
    pub until_ms: Option<i64>,
    /// User keys or login names (case-insensitive).
    pub users: Vec<String>,
    /// Token ids (12 digits, exact match); a request without a token id never passes a
    /// non-empty list.
    pub tokens: Vec<String>,
}

impl Filter {
    /// Whether the request passes every bound set: time, user (key or login) and token id.
    pub fn accepts(&self, r: &Request) -> bool {
        if self.since_ms.is_some_and(|s| r.ts.ms < s) || self.until_ms.is_some_and(|u| r.ts.ms >= u)
        {
            return false;
        }
        if !self.users.is_empty() {
            let hit = |v: &Option<String>| {
                v.as_deref()
                    .is_some_and(|v| self.users.iter().any(|u| u.eq_ignore_ascii_case(v)))
            };
            if !hit(&r.user_key) && !hit(&r.username) {
                return false;
            }
        }
        if !self.tokens.is_empty()
            && !r
                .token_id
                .as_deref()
                .is_some_and(|t| self.tokens.iter().any(|f| f == t))
        {
            return false;
        }
        true
    }
}

/// Keys with their (successful requests, failures), most frequent first.
type Ranked = Vec<(String, (u64, u64))>;

/// Successful requests and failures per key (IP, path, reason), the rarest folded past
/// a limit.
#[derive(Debug, Default)]
struct Counter(Folding<(u64, u64)>);

impl Counter {
    fn add(&mut self, key: &str, success: bool, limit: usize) {
        let n = self.0.entry(key, limit);
        if success {
            n.0 += 1;
        } else {
            n.1 += 1;
        }
    }

    /// The kept keys, most first, then `(other)` for what was folded.
    fn sorted(&self) -> Ranked {
        let r = self.0.ranked(MAX_DISTINCT);
        let mut v = r.kept;
        if let Some((n, _)) = r.other {
            v.push((OTHER.to_string(), n));
        }
        v
    }

    fn ips(&self) -> Vec<IpCount> {
        self.sorted()
            .into_iter()
            .map(|(ip, (requests, failures))| IpCount {
                ip: ip.into(),
                requests,
                failures,
            })
            .collect()
    }

    fn paths(&self) -> Vec<PathCount> {
        self.sorted()
            .into_iter()
            .map(|(path, (requests, failures))| PathCount {
                path: path.into(),
                requests,
                failures,
            })
            .collect()
    }

    fn reasons(&self) -> Vec<ReasonCount> {
        self.sorted()
            .into_iter()
            .map(|(reason, (_, requests))| ReasonCount {
                reason: reason.into(),
                requests,
            })
            .collect()
    }
}

#[derive(Debug, Default)]
struct TokenStats {
    /// Identified as a token of the instance (it authenticated a request, or its TokenDTO
    /// was logged); otherwise only an id that was presented and failed.
    known: bool,
    name: Option<String>,
    user_key: Option<String>,
    username: Option<String>,
    /// `TokenDTO(id=..)`, the database id.
    db_id: Option<u64>,
    created_at: Option<Ts>,
    expiry: Expiry,
    requests: u64,
    failures: u64,
    /// Requests with this token whose verdict the log does not show.
    no_verdict: u64,
    first_seen: Option<Ts>,
    last_seen: Option<Ts>,
    ips: Counter,
    paths: Counter,
    reasons: Counter,
    /// Successful requests per minute (what Jira's per-user rate limiter counts).
    minutes: Minutes,
    /// Successful requests and failures per fine bin of [`Summary::bin_ms`] (the activity
    /// timeline).
    bins: BTreeMap<i64, (u64, u64)>,
    http: HttpStats,
}

impl TokenStats {
    fn seen(&mut self, ts: Ts) {
        if self.first_seen.is_none_or(|f| ts < f) {
            self.first_seen = Some(ts);
        }
        if self.last_seen.is_none_or(|l| ts > l) {
            self.last_seen = Some(ts);
        }
    }
}

/// Requests whose Bearer value was no PAT at all.
#[derive(Debug, Default)]
struct NotPatStats {
    requests: u64,
    ips: Counter,
    paths: Counter,
    http: HttpStats,
}

/// The running aggregate of a log's requests, per token id; [`Summary::report`] turns it
/// into the [`Report`] the renderers print. Memory is bounded whatever the log holds: per
/// token (500 IPs, paths and reasons; 20 for an id that only failed), and in the number
/// of ids that only failed (past [`MAX_FAILED_IDS`] the rarest are folded).
#[derive(Debug, Default)]
pub struct Summary {
    /// Every token id seen, known tokens and ids that only failed alike (boxed: tens of
    /// thousands of ids may come and go, and the table should not move them).
    tokens: HashMap<String, Box<TokenStats>, rustc_hash::FxBuildHasher>,
    /// When `tokens` holds this many, the ids that only failed are folded (see
    /// [`Summary::fold_failed_ids`]); 0 before the first fold.
    next_fold_at: usize,
    /// Failed ids folded away: how many ids, how many attempts.
    folded_ids: OtherFailedIds,
    unidentified: Folding<u64>,
    not_pat: NotPatStats,
    unattributed_failures: u64,
    requests: u64,
    /// Width of the activity's fine bins: doubled (and every token's bins merged in pairs)
    /// whenever the span seen needs more than [`FINE_BINS`] of them, so a token's timeline
    /// takes a bounded few KiB however long the window.
    bin_ms: i64,
    /// First and last instant of token activity (or the capture's window), milliseconds.
    span: Option<(i64, i64)>,
    /// The capture's window, when the report covers one: its timeline spans that.
    window: Option<(i64, i64)>,
    /// Requests whose TokenDTO dates were read in their line's offset.
    dates_in_line_offset: u64,
}

/// The finest activity bin: a 10-second window still gets about 60 of them.
const FIRST_BIN_MS: i64 = 100;
/// Fine bins per token at most (before their width doubles); a report shows about
/// [`TIMELINE_BUCKETS`] of them, each a few fine bins wide.
const FINE_BINS: i64 = 480;

/// An id listed under `failed_token_ids`: never identified, and every request with it
/// failed (an id whose requests had no verdict may have authenticated: it is a token).
fn is_failed_id(t: &TokenStats) -> bool {
    !t.known && t.no_verdict == 0
}

impl TokenStats {
    /// IPs, paths and reasons kept for this token.
    fn limit(&self) -> usize {
        if self.known {
            MAX_DISTINCT
        } else {
            MAX_DISTINCT_FAILED
        }
    }
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Summary {
            bin_ms: FIRST_BIN_MS,
            ..Self::default()
        }
    }

    /// The capture window this summary covers (UTC milliseconds): its timeline spans
    /// the whole window, quiet start and end included, not only the requests seen.
    pub fn set_window(&mut self, start_ms: i64, end_ms: i64) {
        let end_ms = end_ms.max(start_ms + 1);
        self.window = Some((start_ms, end_ms));
        self.widen(start_ms);
        self.widen(end_ms);
    }

    /// The fine bin of an attempt at `ms` (the span widened to it first).
    fn bin_of(&mut self, ms: i64) -> i64 {
        self.widen(ms);
        ms.div_euclid(self.bin_ms)
    }

    /// Take `ms` into the span, doubling the bins' width while the span needs more than
    /// [`FINE_BINS`] of them.
    fn widen(&mut self, ms: i64) {
        let (lo, hi) = match self.span {
            Some((lo, hi)) => (lo.min(ms), hi.max(ms)),
            None => (ms, ms),
        };
        self.span = Some((lo, hi));
        if self.bin_ms == 0 {
            self.bin_ms = FIRST_BIN_MS;
        }
        while hi.div_euclid(self.bin_ms) - lo.div_euclid(self.bin_ms) >= FINE_BINS {
            self.bin_ms *= 2;
            for t in self.tokens.values_mut() {
                let old = std::mem::take(&mut t.bins);
                for (k, (ok, bad)) in old {
                    let b = t.bins.entry(k.div_euclid(2)).or_default();
                    b.0 += ok;
                    b.1 += bad;
                }
            }
        }
    }

    /// Requests added so far (for live status).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Distinct tokens known to the instance so far (ids that only failed are not counted).
    pub fn tokens_seen(&self) -> usize {
        self.tokens.values().filter(|t| t.known).count()
    }

    /// A request with what its access-log line told, if the join found it.
    pub fn add_joined(&mut self, r: &Request, http: Option<&Http>) {
        self.add(r);
        if let Some(h) = http {
            self.add_http(r, h);
        }
    }

    /// What the access log told of a request already added (a live capture counts a
    /// request at once and learns its status when the access log has caught up).
    pub fn add_http(&mut self, r: &Request, h: &Http) {
        match (r.outcome, &r.token_id) {
            (Some(Outcome::Success | Outcome::Failure), Some(id)) => {
                if let Some(t) = self.tokens.get_mut(id) {
                    let limit = t.limit();
                    t.http.add(h, limit);
                }
            }
            (Some(Outcome::NotPat), _) => self.not_pat.http.add(h, MAX_DISTINCT),
            _ => {}
        }
    }

    /// Count one finished request under its token id, its failed id, the not-PAT group or its
    /// user (when the log names no token); IPs, paths and minutes are counted too.
    pub fn add(&mut self, r: &Request) {
        self.requests += 1;
        if r.info.as_ref().is_some_and(|i| i.dates_in_line_offset) {
            self.dates_in_line_offset += 1;
        }
        match r.outcome {
            Some(Outcome::Success) => {
                let Some(id) = &r.token_id else { return };
                let bin = self.bin_of(r.ts.ms);
                let t = self.token(id, r);
                t.known = true;
                t.requests += 1;
                t.seen(r.ts);
                let limit = t.limit();
                t.ips.add(&r.ip, true, limit);
                t.paths.add(&r.path, true, limit);
                t.minutes.add(r.ts.ms);
                t.bins.entry(bin).or_default().0 += 1;
            }
            Some(Outcome::Failure) => match &r.token_id {
                // Identified by its TokenDTO (e.g. the owner was deactivated), by an
                // earlier success, or only presented: which of these is decided when the
                // report is made, since a later success identifies the id too.
                Some(id) => {
                    let bin = self.bin_of(r.ts.ms);
                    let t = self.token(id, r);
                    t.known |= r.info.is_some();
                    t.failures += 1;
                    t.seen(r.ts);
                    let limit = t.limit();
                    t.ips.add(&r.ip, false, limit);
                    t.paths.add(&r.path, false, limit);
                    if let Some(reason) = &r.reason {
                        t.reasons.add(reason, false, limit);
                    }
                    t.bins.entry(bin).or_default().1 += 1;
                }
                None => self.unattributed_failures += 1,
            },
            // Neither a success nor a failure: counted apart, under the token read.
            Some(Outcome::NoVerdict) => {
                let Some(id) = &r.token_id else { return };
                let t = self.token(id, r);
                t.known |= r.info.is_some();
                t.no_verdict += 1;
                t.seen(r.ts);
            }
            Some(Outcome::NotPat) => {
                self.not_pat.requests += 1;
                self.not_pat.ips.add(&r.ip, true, MAX_DISTINCT);
                self.not_pat.paths.add(&r.path, true, MAX_DISTINCT);
            }
            Some(Outcome::Unidentified) | None => {
                if let Some(k) = &r.user_key {
                    *self.unidentified.entry(k, MAX_USERS) += 1;
                }
            }
        }
    }

    /// The entry of token id `id`; a new id may first fold the rarest of the ids that only
    /// failed (see [`MAX_FAILED_IDS`]).
    fn token(&mut self, id: &str, r: &Request) -> &mut TokenStats {
        if !self.tokens.contains_key(id) {
            let due = self.next_fold_at.max(MAX_FAILED_IDS + MAX_FAILED_IDS / 2);
            if self.tokens.len() >= due {
                self.fold_failed_ids(MAX_FAILED_IDS);
                // Known tokens (and ids without a verdict) are never folded: the next fold
                // is half a limit of new ids away, whatever stays.
                self.next_fold_at = self.tokens.len() + MAX_FAILED_IDS / 2;
            }
            self.tokens.insert(id.to_string(), Box::default());
        }
        let t = self.tokens.get_mut(id).expect("inserted above");
        if r.db_id.is_some() {
            t.db_id = r.db_id;
        }
        if let Some(info) = &r.info {
            if !info.name.is_empty() {
                t.name = Some(info.name.clone());
            }
            if info.created_at.is_some() {
                t.created_at = info.created_at;
            }
            if info.expiry != Expiry::Unknown {
                t.expiry = info.expiry;
            }
        }
        if let Some(k) = &r.user_key {
            t.user_key = Some(k.clone());
        }
        if let Some(u) = &r.username {
            t.username = Some(u.clone());
        }
        t
    }

    /// Fold all but the `keep` most tried ids that only failed into
    /// `folded_ids`: linear in the ids held, and run once every `MAX_FAILED_IDS / 2` new
    /// ones, so a constant amortised cost per id.
    fn fold_failed_ids(&mut self, keep: usize) {
        let mut unknown: Vec<(u64, &String)> = self
            .tokens
            .iter()
            .filter(|(_, t)| is_failed_id(t))
            .map(|(id, t)| (t.failures, id))
            .collect();
        if unknown.len() <= keep {
            return;
        }
        // Among ids tried equally often any may go: by weight only (the table's order is
        // fixed, FxHash has no random seed, so the same log folds the same ids).
        unknown.select_nth_unstable_by(keep, |a, b| b.0.cmp(&a.0));
        let gone: Vec<(u64, String)> = unknown[keep..]
            .iter()
            .map(|(n, id)| (*n, (*id).clone()))
            .collect();
        for (n, id) in gone {
            self.tokens.remove(&id);
            self.folded_ids.ids += 1;
            self.folded_ids.requests += n;
        }
    }

    /// The report so far: tokens sorted by requests and failures, most first; `files` are the
    /// logs read (as the report lists them) and `stats` the scanner's counts. The caller fills
    /// `nodes`, `access_log`, `inventory` and `volume.log_bytes_per_hour` when it has them.
    pub fn report(&self, files: Vec<String>, stats: &Stats) -> Report {
        let mut tokens: Vec<TokenReport> = Vec::new();
        let mut failed: Vec<(&String, &TokenStats)> = self
            .tokens
            .iter()
            .filter(|(_, t)| is_failed_id(t))
            .map(|(id, t)| (id, &**t))
            .collect();
        failed.sort_by(|a, b| b.1.failures.cmp(&a.1.failures).then_with(|| a.0.cmp(b.0)));
        let mut other_failed = self.folded_ids;
        for (_, t) in failed.iter().skip(MAX_FAILED_IDS) {
            other_failed.ids += 1;
            other_failed.requests += t.failures;
        }
        failed.truncate(MAX_FAILED_IDS);
        let failed_token_ids: Vec<FailedToken> = failed
            .into_iter()
            .map(|(id, t)| FailedToken {
                token_id: id.clone(),
                requests: t.failures,
                failure_reasons: t.reasons.reasons(),
                http: t.http.report(),
            })
            .collect();
        for (id, t) in &self.tokens {
            if is_failed_id(t) {
                continue;
            }
            tokens.push(TokenReport {
                token_id: id.clone(),
                name: t.name.clone().map(Untrusted::new),
                user_key: t.user_key.clone().map(Untrusted::new),
                username: t.username.clone().map(Untrusted::new),
                created_at: t.created_at.map(Ts::rfc3339),
                expires_at: match t.expiry {
                    Expiry::At(ts) => Some(ts.rfc3339()),
                    _ => None,
                },
                expires: match t.expiry {
                    Expiry::At(_) => "date".to_string(),
                    Expiry::Never => "never".to_string(),
                    Expiry::Unknown => "unknown".to_string(),
                },
                requests: t.requests,
                failures: t.failures,
                no_verdict: t.no_verdict,
                first_seen: t.first_seen.map(Ts::rfc3339),
                last_seen: t.last_seen.map(Ts::rfc3339),
                ips: t.ips.ips(),
                paths: t.paths.paths(),
                failure_reasons: t.reasons.reasons(),
                peak_per_minute: t.minutes.peak().map_or(0, |p| p.1),
                activity: Activity::default(),
                db_id: t.db_id,
                http: t.http.report(),
                jira_patrol_probe: is_probe(t),
            });
        }
        let users = self.user_rates();
        let timeline = self.timeline(&tokens);
        if let Some(tl) = &timeline {
            for t in &mut tokens {
                if let Some(s) = self.tokens.get(&t.token_id) {
                    t.activity = tl.activity(&s.bins, self.bin_ms);
                }
            }
        }
        tokens.sort_by(|a, b| {
            a.jira_patrol_probe
                .cmp(&b.jira_patrol_probe)
                .then_with(|| {
                    (b.requests + b.failures + b.no_verdict)
                        .cmp(&(a.requests + a.failures + a.no_verdict))
                })
                .then_with(|| a.token_id.cmp(&b.token_id))
        });
        let users_ranked = self.unidentified.ranked(MAX_USERS);
        let mut unidentified: Vec<UserCount> = users_ranked
            .kept
            .into_iter()
            .map(|(user_key, requests)| UserCount {
                user_key: user_key.into(),
                requests,
            })
            .collect();
        if let Some((requests, _)) = users_ranked.other {
            unidentified.push(UserCount {
                user_key: OTHER.into(),
                requests,
            });
        }
        // jira-patrol's own probe is listed, not counted.
        let no_verdict: u64 = tokens
            .iter()
            .filter(|t| !t.jira_patrol_probe)
            .map(|t| t.no_verdict)
            .sum();
        let mut notes = Vec::new();
        if no_verdict > 0 {
            notes.push(Note::no_verdict(no_verdict));
        }
        if self.dates_in_line_offset > 0 {
            notes.push(Note::dates_in_line_offset(self.dates_in_line_offset));
        }
        let seconds = match (stats.first_pat_ms, stats.last_pat_ms) {
            (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1000.0),
            _ => None,
        };
        Report {
            files,
            lines: stats.lines,
            bytes: stats.bytes,
            pat_lines: stats.pat_lines,
            tokens,
            unidentified,
            failed_token_ids,
            other_failed_token_ids: (other_failed.ids > 0).then_some(other_failed),
            unattributed_failures: self.unattributed_failures,
            no_verdict,
            not_pat_bearer: NotPatBearer {
                requests: self.not_pat.requests,
                ips: self.not_pat.ips.ips(),
                paths: self.not_pat.paths.paths(),
                http: self.not_pat.http.report(),
            },
            volume: Volume {
                pat_lines: stats.pat_lines,
                pat_bytes: stats.pat_bytes,
                seconds,
                pat_bytes_per_hour: seconds
                    .filter(|s| *s >= 1.0)
                    .map(|s| (stats.pat_bytes as f64 * 3600.0 / s) as u64),
                log_bytes_per_hour: None,
            },
            nodes: Vec::new(),
            coverage: None,
            users,
            access_log: None,
            timeline,
            inventory: None,
            partial: Vec::new(),
            notes,
        }
    }

    /// The window (a capture's, else the span of all token activity) cut into about
    /// [`TIMELINE_BUCKETS`] buckets, each a whole number of fine bins; `None` when no token
    /// was seen.
    fn timeline(&self, tokens: &[TokenReport]) -> Option<Timeline> {
        if tokens.is_empty() {
            return None;
        }
        // The window, widened to the requests seen if a clock was off: none falls outside.
        let (lo, hi) = match (self.window, self.span) {
            (Some(w), Some(s)) => (w.0.min(s.0), w.1.max(s.1)),
            (w, s) => w.or(s)?,
        };
        let bin = self.bin_ms.max(1);
        let first = lo.div_euclid(bin);
        let fine = hi.div_euclid(bin) - first + 1;
        let per_bucket = ((fine as f64 / TIMELINE_BUCKETS as f64).round() as i64).max(1);
        let buckets = (fine + per_bucket - 1) / per_bucket;
        let bucket_ms = per_bucket * bin;
        let start_ms = first * bin;
        let offset = self
            .tokens
            .values()
            .filter_map(|t| t.last_seen)
            .map(|ts| ts.offset_min)
            .next()
            .unwrap_or(0);
        Some(Timeline {
            start: Ts {
                ms: start_ms,
                offset_min: offset,
            }
            .rfc3339(),
            start_minute: start_ms.div_euclid(60_000),
            bucket_minutes: (bucket_ms as u64).div_ceil(60_000),
            buckets: buckets as u64,
            start_ms,
            bucket_ms: bucket_ms as u64,
        })
    }

    /// Per user, the requests of all their tokens together per minute: Jira's rate limiter
    /// has one bucket per user, shared by all of that user's tokens.
    fn user_rates(&self) -> Vec<UserRate> {
        let mut by_user: BTreeMap<&str, Vec<(&String, &TokenStats)>> = BTreeMap::new();
        for (id, t) in &self.tokens {
            if !t.known || t.requests == 0 || is_probe(t) {
                continue;
            }
            let Some(user) = t.user_key.as_deref().or(t.username.as_deref()) else {
                continue;
            };
            by_user.entry(user).or_default().push((id, t));
        }
        let mut users: Vec<UserRate> = by_user
            .into_iter()
            .map(|(user, tokens)| {
                let mut minutes = Minutes::default();
                for (_, t) in &tokens {
                    for (m, n) in &t.minutes.0 {
                        *minutes.0.entry(*m).or_default() += n;
                    }
                }
                let peak = minutes.peak();
                let offset = tokens
                    .iter()
                    .filter_map(|(_, t)| t.last_seen)
                    .map(|ts| ts.offset_min)
                    .next()
                    .unwrap_or(0);
                let mut at_peak: Vec<TokenAtPeak> = tokens
                    .iter()
                    .filter_map(|(id, t)| {
                        let n = *t.minutes.0.get(&peak?.0)?;
                        Some(TokenAtPeak {
                            token_id: (*id).clone(),
                            name: t.name.clone().map(Untrusted::new),
                            requests: n,
                            rate_limited: t.http.count(429),
                        })
                    })
                    .collect();
                at_peak.sort_by(|a, b| {
                    b.requests
                        .cmp(&a.requests)
                        .then_with(|| a.token_id.cmp(&b.token_id))
                });
                let joined = tokens.iter().any(|(_, t)| t.http.report().is_some());
                UserRate {
                    user_key: user.into(),
                    username: tokens
                        .iter()
                        .find_map(|(_, t)| t.username.clone())
                        .map(Untrusted::new),
                    tokens: tokens.len() as u64,
                    requests: tokens.iter().map(|(_, t)| t.requests).sum(),
                    peak_per_minute: peak.map_or(0, |p| p.1),
                    peak_minute: peak.map(|(m, _)| {
                        Ts {
                            ms: m * 60_000,
                            offset_min: offset,
                        }
                        .rfc3339()
                    }),
                    rate_limited: joined
                        .then(|| tokens.iter().map(|(_, t)| t.http.count(429)).sum()),
                    tokens_at_peak: at_peak,
                }
            })
            .collect();
        users.sort_by(|a, b| {
            b.peak_per_minute
                .cmp(&a.peak_per_minute)
                .then_with(|| a.user_key.cmp(&b.user_key))
        });
        users
    }
}

/// A token named like the capture's self-check token: jira-patrol's own probe (a capture
/// keeps its requests out; an offline summary over such a window sees them), nobody's usage.
fn is_probe(t: &TokenStats) -> bool {
    t.name.as_deref() == Some(crate::token::SELF_CHECK_NAME)
}

/// A whole summary: what was read, and per token what it did. Its JSON form is the stable
/// `--format json` schema: fields are added, never renamed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Report {
    /// The logs read, in the order read (paths, or `-` for standard input).
    pub files: Vec<String>,
    /// Lines read in all files, PAT or not.
    pub lines: u64,
    /// Bytes read in all files.
    pub bytes: u64,
    /// Lines written by the PAT plugin's loggers (`com.atlassian.pats`), request or not.
    pub pat_lines: u64,
    /// Tokens that authenticated at least one request (or that the log identified by their
    /// `TokenDTO` line, or whose requests had no verdict), most requests and failures first.
    pub tokens: Vec<TokenReport>,
    /// Per user key, requests authenticated by a token the log does not name (only the
    /// DEBUG `Looking for Jira user` line was logged), most first.
    pub unidentified: Vec<UserCount>,
    /// Token ids presented that never authenticated and the log never identified (unknown,
    /// expired, revoked or mistyped), most attempts first.
    pub failed_token_ids: Vec<FailedToken>,
    /// Failed token ids past the first [`MAX_FAILED_IDS`] (the rarest), folded together:
    /// how many ids and attempts. Absent when every id is listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_failed_token_ids: Option<OtherFailedIds>,
    /// Failed token authentications whose token id the log does not name.
    pub unattributed_failures: u64,
    /// Token requests whose log shows no verdict (the token was read, then neither `Auth
    /// SUCCESS` nor `Auth failure`): neither successes nor failures; per token in the
    /// tokens' `no_verdict` (jira-patrol's own probe left out here).
    #[serde(default)]
    pub no_verdict: u64,
    /// Bearer credentials that are not personal access tokens (a JWT, another system's
    /// token): never a PAT failure, never under a token id.
    #[serde(default)]
    pub not_pat_bearer: NotPatBearer,
    /// How much the PAT lines weigh: what a profile costs in log space.
    pub volume: Volume,
    /// Per Data Center node (one per followed log) in a capture; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeCount>,
    /// Which nodes the logs read cover, and what of them could not be read; absent when
    /// nothing was known of nodes (one file summarised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<crate::cluster::Coverage>,
    /// Per user, all their tokens together: the view of Jira's per-user rate limiter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserRate>,
    /// How the access-log join went; absent without `--access-log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log: Option<AccessLogReport>,
    /// The buckets of every token's `activity`; absent when no token was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// Every token in Jira, from its token search (capture by default, `summarize
    /// --inventory`); absent when not looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// Files cut while they were read (copytruncate): the report covers only their start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<String>,
    /// What the reader must know about how the logs were read, each said once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// One thing the reader of a report must know, for programs (`kind`) and people (`text`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Note {
    /// What it is about.
    pub kind: NoteKind,
    /// The same in one line of words.
    pub text: String,
}

/// What a [`Note`] is about.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Token requests with no verdict in the log ([`Report::no_verdict`]).
    NoVerdict,
    /// Token dates (`TokenDTO`, `Auth SUCCESS`) read in their line's offset, the JVM's zone
    /// not known.
    TokenDatesInLineOffset,
}

impl Note {
    /// `n` token requests without a verdict: why that happens and what to do.
    pub fn no_verdict(n: u64) -> Note {
        Note {
            kind: NoteKind::NoVerdict,
            text: format!(
                "{n} token request(s) have no verdict in the log: the token was read, then neither `Auth SUCCESS` nor `Auth failure` came, which happens with another PAT plugin version's wording or a log cut mid-request. They are counted neither as requests nor as failures (no_verdict per token); `jira-patrol diagnose --self-check --log FILE` shows how this Jira words its lines."
            ),
        }
    }

    /// `n` requests whose token dates (`TokenDTO`, `Auth SUCCESS`) were read in their
    /// line's offset.
    pub fn dates_in_line_offset(n: u64) -> Note {
        Note {
            kind: NoteKind::TokenDatesInLineOffset,
            text: format!(
                "The token dates of {n} request(s) (created and expiry in TokenDTO, expiry in Auth SUCCESS) are in Jira's JVM time zone, without an offset, and the zone of --tz (else this machine's) does not give the lines' offsets: they were read in the offset of the line carrying them, so across a daylight-saving change they may be an hour off. --tz with the JVM's zone (e.g. Europe/Paris) reads them exactly."
            ),
        }
    }
}

/// The PAT inventory beside the report: how many tokens Jira has, and what became of those
/// the window did not see. A token is called unused only when the logs could have shown
/// its use: the others are `cannot_tell` or `expired`.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Inventory {
    /// Tokens in Jira (the self-check's temporary token left out).
    pub tokens: u64,
    /// The time the groups are judged at (RFC 3339, UTC): the window's end, the last time
    /// the report covers (the capture's end; offline, the last PAT line read, or `--until`
    /// when earlier). A token expired by then is `expired`; one that expired later was
    /// usable in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Tokens not seen in the logs read, valid, and of owners whose every request was tied
    /// to a token: not used in the window. Oldest use first.
    pub unused: Vec<InventoryToken>,
    /// Tokens not seen, but whose owner made requests the logs could not tie to a token:
    /// used or not, the logs cannot tell.
    #[serde(default)]
    pub cannot_tell: Vec<UndecidedToken>,
    /// Tokens past their expiry by `as_of`: unusable, listed by Jira until it prunes them.
    #[serde(default)]
    pub expired: Vec<ExpiredToken>,
    /// What the reader should know (e.g. `last_accessed_at` is written in batches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One token as Jira's token search lists it.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct InventoryToken {
    /// The database id (`TokenDTO.id`), not the 12-digit token id.
    pub id: u64,
    /// Token name as its owner typed it (free text, up to 40 characters).
    pub name: Untrusted,
    /// Owner's user key (`JIRAUSER10100`, or the lower-cased login for older users).
    pub user_key: Untrusted,
    /// Owner's login name; `None` when Jira no longer knows the owner.
    pub username: Option<Untrusted>,
    /// When the token was made: RFC 3339 in UTC, to the second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Jira's last use of the token (RFC 3339, UTC; written in batches, about a minute
    /// late); `None`: never used, or Jira gave no date.
    pub last_accessed_at: Option<String>,
    /// Expiry (RFC 3339, UTC); `None` when it never expires or Jira gave no date.
    pub expires_at: Option<String>,
}

/// A token the logs cannot call used or unused, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct UndecidedToken {
    /// The token as Jira's search lists it.
    #[serde(flatten)]
    pub token: InventoryToken,
    /// Why its use cannot be told.
    pub why: Undecided,
    /// The owner's requests in the window that could not be tied to one of their tokens.
    pub owner_requests: u64,
}

/// Why a token's use cannot be told from the logs read.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Undecided {
    /// The owner's requests were logged without their token (`pats-debug`: only `Looking
    /// for Jira user with key`).
    OwnerSeenWithoutToken,
    /// A token of the owner was seen without its database id (neither its `TokenDTO` nor a
    /// `Storing auth time` line) and nothing else tells it from this one.
    TokenSeenWithoutDbId,
}

impl Undecided {
    /// The reason in words, for the table and the page.
    pub fn text(self) -> &'static str {
        match self {
            Undecided::OwnerSeenWithoutToken => {
                "the owner's requests were logged without their token (DEBUG lines only)"
            }
            Undecided::TokenSeenWithoutDbId => {
                "a token of the owner was used, and the log does not say which"
            }
        }
    }
}

/// Days after its expiry that Jira's `ExpiredTokenPruningJob` removes a token, unless
/// `atlassian.pats.pruning.delay.days` says otherwise (jira-facts §2).
pub const EXPIRED_PRUNING_DAYS: i64 = 30;

/// An expired token: kept by Jira (and listed by its search) until it is pruned.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ExpiredToken {
    /// The token as Jira's search lists it (`expires_at` in the past).
    #[serde(flatten)]
    pub token: InventoryToken,
    /// When Jira removes it: [`EXPIRED_PRUNING_DAYS`] days after expiry (RFC 3339, UTC),
    /// unless the site changed `atlassian.pats.pruning.delay.days`.
    pub removed_after: String,
}

/// Buckets a timeline has, about: whatever the window's length, its bars are about this
/// many (between 40 and 80).
pub const TIMELINE_BUCKETS: u64 = 60;

/// The time axis shared by the tokens' activity: `buckets` buckets of `bucket_ms`
/// milliseconds from `start`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Timeline {
    /// The first bucket's start, RFC 3339 in the log's offset.
    pub start: String,
    /// The same as a UTC minute number (minutes since the epoch), rounded down.
    pub start_minute: i64,
    /// Minutes per bucket, rounded up (a bucket may be shorter than a minute: see
    /// `bucket_ms`).
    pub bucket_minutes: u64,
    /// Number of buckets (about [`TIMELINE_BUCKETS`]); each token's `activity` has this many.
    pub buckets: u64,
    /// The first bucket's start, UTC milliseconds since the epoch.
    #[serde(default)]
    pub start_ms: i64,
    /// Milliseconds per bucket.
    #[serde(default)]
    pub bucket_ms: u64,
}

impl Timeline {
    /// A token's fine bins (each `bin_ms` wide, keyed by start / `bin_ms`) in buckets.
    fn activity(&self, bins: &BTreeMap<i64, (u64, u64)>, bin_ms: i64) -> Activity {
        let n = self.buckets as usize;
        let mut a = Activity {
            requests: vec![0; n],
            failures: vec![0; n],
        };
        let bucket = self.bucket_ms.max(1) as i64;
        for (k, (ok, bad)) in bins {
            let i = ((k * bin_ms - self.start_ms).max(0) / bucket) as usize;
            let i = i.min(n.saturating_sub(1));
            a.requests[i] += ok;
            a.failures[i] += bad;
        }
        a
    }

    /// When the bucket `i` starts, UTC milliseconds.
    pub fn bucket_start_ms(&self, i: u64) -> i64 {
        self.start_ms + (i * self.bucket_ms) as i64
    }
}

/// A token's successful requests and failed attempts per timeline bucket.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Activity {
    /// Successful requests per bucket.
    pub requests: Vec<u64>,
    /// Failed attempts per bucket.
    pub failures: Vec<u64>,
}

impl Report {
    /// Whether the logs showed no token activity at all: no token, no failed id, no
    /// unidentified user, no unattributed failure, no not-PAT Bearer and no request
    /// without a verdict.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
            && self.unidentified.is_empty()
            && self.failed_token_ids.is_empty()
            && self.unattributed_failures == 0
            && self.not_pat_bearer.requests == 0
            && self.no_verdict == 0
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One token seen in the logs: who owns it, what it did, and (with the join) how it went.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct TokenReport {
    /// The 12-digit token id (`TOKEN_ID` column): what the log shows, not the database id.
    pub token_id: String,
    /// Token name from its `TokenDTO` line, else from the inventory by database id; `None`
    /// when neither says.
    pub name: Option<Untrusted>,
    /// Owner's user key (`JIRAUSER10100`, or the lower-cased login for older users).
    pub user_key: Option<Untrusted>,
    /// Owner's login name, from the log's user column of a successful request; `None` otherwise.
    pub username: Option<Untrusted>,
    /// When the token was made (RFC 3339, from its `TokenDTO` line); `None` when not logged.
    pub created_at: Option<String>,
    /// `null` when the token never expires or the log does not say; see `expires`.
    pub expires_at: Option<String>,
    /// `date`, `never` or `unknown`.
    pub expires: String,
    /// Requests the token authenticated.
    pub requests: u64,
    /// Attempts with this token that failed (deactivated owner, wrong secret, expired).
    pub failures: u64,
    /// Requests with this token whose verdict the log does not show (another plugin
    /// version's wording, a log cut mid-request): neither requests nor failures.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub no_verdict: u64,
    /// First request or attempt, RFC 3339 in the log's offset.
    pub first_seen: Option<String>,
    /// Last request or attempt, RFC 3339 in the log's offset.
    pub last_seen: Option<String>,
    /// Source addresses, most first (at most 500, the rest under `(other)`).
    pub ips: Vec<IpCount>,
    /// Paths, most first (at most 500, the rest under `(other)`).
    pub paths: Vec<PathCount>,
    /// Why attempts failed, the plugin's `Auth failure` text per reason, most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_reasons: Vec<ReasonCount>,
    /// Successful requests in the token's busiest minute.
    #[serde(default)]
    pub peak_per_minute: u64,
    /// Per bucket of the report's `timeline`.
    #[serde(default)]
    pub activity: Activity,
    /// The database id (`TokenDTO(id=…)`, `Storing auth time … for tokenId: [N]`) when the
    /// log or the inventory names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_id: Option<u64>,
    /// From the access-log join; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpReport>,
    /// The token is named like the capture's self-check token (`jira-patrol self-check`):
    /// jira-patrol's own probe, not a script's. Listed last, left out of the per-user rates
    /// and the totals; absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jira_patrol_probe: bool,
}

/// Per source address: `requests` counts successful requests only, `failures` the failed
/// attempts, so over a token's entries they sum to the token's own two counts.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct IpCount {
    /// Source address as Jira logged it (may be a forwarded list `10.1.2.61,172.18.0.6`),
    /// or `(other)`.
    pub ip: Untrusted,
    /// Successful requests from it.
    pub requests: u64,
    /// Failed attempts from it.
    #[serde(default)]
    pub failures: u64,
}

/// Per path (query string cut), counted like [`IpCount`].
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct PathCount {
    /// Request path without its query string, or `(other)`.
    pub path: Untrusted,
    /// Successful requests to it.
    pub requests: u64,
    /// Failed attempts to it.
    #[serde(default)]
    pub failures: u64,
}

/// Requests that presented a Bearer value the PAT plugin could not decode as a token.
/// Their IPs and paths count them as `requests` (`failures` stays 0).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct NotPatBearer {
    /// Requests with such a Bearer value.
    pub requests: u64,
    /// Their source addresses, most first.
    pub ips: Vec<IpCount>,
    /// Their paths, most first.
    pub paths: Vec<PathCount>,
    /// From the access-log join; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpReport>,
}

/// Failed attempts for one reason.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ReasonCount {
    /// The reason as logged by the PAT plugin (`Auth failure: [...]` text), or one the tool
    /// inferred (e.g. the secret could not be decoded).
    pub reason: Untrusted,
    /// Failed attempts with that reason.
    pub requests: u64,
}

/// Requests of one user whose token the log does not name.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct UserCount {
    /// The user key from `Looking for Jira user with key: [...]`.
    pub user_key: Untrusted,
    /// Such requests of that user.
    pub requests: u64,
}

/// A token id that was presented but never authenticated: unknown, expired, revoked or
/// mistyped.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct FailedToken {
    /// The 12-digit id, as the request presented it.
    pub token_id: String,
    /// Failed attempts with that id.
    pub requests: u64,
    /// Why they failed, most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_reasons: Vec<ReasonCount>,
    /// From the access-log join (typically 401s); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpReport>,
}

/// Token ids that only failed, past the ones listed: folded together so that random
/// Bearer values (anyone can send them) cannot grow a report without bound. An id folded
/// away and presented again is counted anew.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct OtherFailedIds {
    /// Distinct ids folded.
    pub ids: u64,
    /// Their failed attempts.
    pub requests: u64,
}

/// One user's tokens together, per minute (Jira 8.6+ rate-limits per user).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct UserRate {
    /// The owner's user key (or login name when the log gave no key).
    pub user_key: Untrusted,
    /// The owner's login name, from the log's user column; `None` when never logged.
    pub username: Option<Untrusted>,
    /// Tokens of this user seen authenticating.
    pub tokens: u64,
    /// Successful requests of all this user's tokens.
    pub requests: u64,
    /// Successful token requests in the user's busiest minute, all tokens together.
    pub peak_per_minute: u64,
    /// Start of the busiest minute, RFC 3339 in the log's offset; `None` without requests.
    pub peak_minute: Option<String>,
    /// Answers 429 over all the user's tokens; `null` without the access-log join.
    pub rate_limited: Option<u64>,
    /// Which tokens made the busiest minute, most first.
    pub tokens_at_peak: Vec<TokenAtPeak>,
}

/// One token's share of its owner's busiest minute.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct TokenAtPeak {
    /// The 12-digit token id.
    pub token_id: String,
    /// Token name; `None` when the log did not name it.
    pub name: Option<Untrusted>,
    /// This token's requests in the user's busiest minute.
    pub requests: u64,
    /// This token's 429 answers over the whole window.
    pub rate_limited: u64,
}

/// Log volume of the PAT plugin's lines over the logs read.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Volume {
    /// Lines written by the PAT plugin's loggers.
    pub pat_lines: u64,
    /// Bytes of those lines (newlines included).
    pub pat_bytes: u64,
    /// Time between the first and last PAT line.
    pub seconds: Option<f64>,
    /// PAT bytes per hour over that time; `None` when the lines span less than a second.
    pub pat_bytes_per_hour: Option<u64>,
    /// Growth of the whole log (PAT lines included), measured by a capture.
    pub log_bytes_per_hour: Option<u64>,
}

/// One Data Center node's share of a capture: one per followed `--log`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct NodeCount {
    /// The log file followed, as given.
    pub log: String,
    /// Requests counted from this node's log.
    pub requests: u64,
    /// PAT plugin lines read from it.
    pub pat_lines: u64,
    /// Bytes read from it during the window.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn success(token: &str, ms: i64) -> Request {
        Request::success_for_tests(&format!("{ms}x1x1"), token, ms)
    }

    /// About 60 bars whatever the window: 10 seconds, 15 minutes or a week.
    #[test]
    fn the_timeline_has_about_sixty_bins_whatever_the_window() {
        const T0: i64 = 1_700_000_000_000;
        for window_ms in [10_000, 15 * 60_000, 7 * 86_400_000] {
            let mut s = Summary::new();
            s.set_window(T0, T0 + window_ms);
            s.add(&success("355510638677", T0 + window_ms / 4));
            s.add(&success("355510638677", T0 + window_ms / 2));
            s.add(&success("104857600013", T0 + window_ms - 1));
            let r = s.report(Vec::new(), &Stats::default());
            let tl = r.timeline.expect("a timeline");
            assert!(
                (40..=80).contains(&tl.buckets),
                "{} bins for {window_ms} ms",
                tl.buckets
            );
            // The bins cover the window, each request in the bin of its time.
            assert!(tl.start_ms <= T0);
            assert!(tl.bucket_start_ms(tl.buckets) >= T0 + window_ms);
            let busy = r
                .tokens
                .iter()
                .find(|t| t.token_id == "355510638677")
                .unwrap();
            assert_eq!(busy.activity.requests.iter().sum::<u64>(), 2);
            let at = |ms: i64| ((ms - tl.start_ms) / tl.bucket_ms as i64) as usize;
            assert_eq!(busy.activity.requests[at(T0 + window_ms / 4)], 1);
            assert_eq!(busy.activity.requests[at(T0 + window_ms / 2)], 1);
        }
    }

    /// Without a window (a summary of old logs) the span of the requests is the axis, and
    /// a token's bins stay few however long it is.
    #[test]
    fn a_long_span_merges_bins_and_keeps_every_request() {
        let mut s = Summary::new();
        for i in 0..10_000i64 {
            s.add(&success("355510638677", 1_700_000_000_000 + i * 60_000));
        }
        assert!(s.tokens["355510638677"].bins.len() as i64 <= FINE_BINS);
        let r = s.report(Vec::new(), &Stats::default());
        let tl = r.timeline.unwrap();
        assert!((40..=80).contains(&tl.buckets), "{}", tl.buckets);
        assert_eq!(r.tokens[0].activity.requests.iter().sum::<u64>(), 10_000);
    }

    fn request(id: &str, outcome: Outcome, info: bool) -> Request {
        Request {
            ts: Ts {
                ms: 1_665_500_668_000,
                offset_min: 0,
            },
            request_id: "1x1x1".into(),
            last_ms: 1_665_500_668_000,
            token_id: Some(id.into()),
            db_id: None,
            info: info.then(TokenInfo::default),
            user_key: None,
            username: None,
            ip: "10.0.0.1".into(),
            path: "/rest/api/2/myself".into(),
            outcome: Some(outcome),
            reason: Some("no such token".into()),
        }
    }

    use crate::scan::TokenInfo;

    #[test]
    fn failed_ids_fold_past_the_limit_and_known_tokens_and_no_verdicts_stay() {
        let mut s = Summary::new();
        // A known token, ids without a verdict, then a flood of ids tried once and one
        // tried often.
        s.add(&request("355510638677", Outcome::Success, true));
        for i in 0..100 {
            s.add(&request(&format!("9{i:011}"), Outcome::NoVerdict, false));
        }
        for i in 0..50_000u64 {
            s.add(&request(
                &format!("{:012}", 100_000 + i),
                Outcome::Failure,
                false,
            ));
            s.add(&request("012345678901", Outcome::Failure, false));
            assert!(s.tokens.len() <= 101 + MAX_FAILED_IDS + MAX_FAILED_IDS / 2 + 1);
        }
        let r = s.report(Vec::new(), &Stats::default());
        assert_eq!(r.failed_token_ids.len(), MAX_FAILED_IDS);
        assert_eq!(r.failed_token_ids[0].token_id, "012345678901");
        assert_eq!(r.failed_token_ids[0].requests, 50_000);
        let other = r.other_failed_token_ids.unwrap();
        let listed: u64 = r.failed_token_ids.iter().map(|f| f.requests).sum();
        assert_eq!(listed + other.requests, 100_000, "no attempt lost");
        assert_eq!(other.ids, 50_000 - (MAX_FAILED_IDS as u64 - 1));
        assert_eq!(
            r.tokens.len(),
            101,
            "the known token and the ids without verdict"
        );
    }
}
