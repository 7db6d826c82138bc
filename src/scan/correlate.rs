//! Correlate the PAT lines of one HTTP request into one [`Request`]. Requests interleave
//! across threads, so lines are grouped by the thread's base name plus the request id
//! (`904x1468x1`), never by adjacency.
//!
//! What each profile leaves in the log decides when a request is complete:
//! - full TRACE: `>>>`, `Got tokenId`, `TokenDTO`, `Auth SUCCESS`|`Auth failure`, `<<<`
//!   — complete at `<<<` (the login name shows up on the lines after success). A token read
//!   with neither verdict line by then is [`Outcome::NoVerdict`], never a failure: the
//!   plugin logs one of the two for every token it reads, so their absence means words
//!   this version does not know (another plugin version) or a log cut mid-request;
//! - service TRACE only: `Got tokenId`, `TokenDTO` — no filter lines, so `TokenDTO` is
//!   the success and a token id that never reaches it is a failure;
//! - DEBUG only: `Looking for Jira user with key` — a user, no token.
//!
//! `Storing auth time: [..] for tokenId: [N]` (the filter's batcher, TRACE) names the
//! database id of the request's token, whatever its words say: with `TokenDTO(id=..)` it is
//! what ties a request to Jira's token inventory, and at `pats-filter-trace` the only one.
//!
//! A line without a request id is never a request: the nightly `DeletedUserPruningJob`
//! asks `JiraProductUserProvider` about every token owner on a scheduler thread with all
//! request fields empty, and those lines must not become requests of anyone.
//!
//! Requests that never complete (truncated logs) are finalised when they go quiet, so
//! memory stays bounded by the requests in flight, not by the log's size; and however
//! many a log opens and never ends, no more than [`MAX_PENDING`] are kept: past that the
//! longest-open is finalised as it stands (and counted, so the report can say so).
//!
//! Time and memory per line are constant whatever the log says: open requests sit in a
//! map by key and in a queue ordered by when they were last looked at, so the quiet ones
//! are found at the queue's front without a scan (see [`Open`]). Only the log's own times
//! drive expiry, so the correlator gives the same answer for the same lines in the same
//! order, whoever parsed them.

use super::line::LogLine;
use super::pat::{PatMessage, TokenDto};
use super::time::{Ts, Zone};
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// How a token-authenticated request ended.
pub enum Outcome {
    /// Authenticated by the token.
    Success,
    /// A token was presented and did not authenticate the request.
    Failure,
    /// A user authenticated by some token, but the log does not say which (DEBUG only).
    Unidentified,
    /// A Bearer credential that is no personal access token at all (a JWT, another
    /// system's token, garbage): the plugin failed to decode it.
    #[serde(rename = "not_pat")]
    NotPat,
    /// A token was read where the filter logs its verdict, and no verdict line this version
    /// knows followed: another plugin version's wording, or a log cut mid-request. Neither
    /// a success nor a failure.
    #[serde(rename = "no_verdict")]
    NoVerdict,
}

/// Why a request is [`Outcome::NoVerdict`]: the filter finished it (`<<<`) without one.
const NO_VERDICT_CLOSED: &str = "the filter finished the request without a verdict line jira-patrol knows: no Auth SUCCESS, no Auth failure";
/// Why a request is [`Outcome::NoVerdict`]: its lines stop before a verdict.
const NO_VERDICT_CUT: &str =
    "the request's lines stop before a verdict: the log ends, or was cut mid-request";

/// What the TokenDTO line tells about a token (database fields, as logged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token's name, as its owner gave it.
    pub name: String,
    /// When the token was created.
    pub created_at: Option<Ts>,
    /// When Jira last recorded a use (written in batches about every minute).
    pub last_accessed_at: Option<Ts>,
    /// When the token expires.
    pub expiry: Expiry,
    /// A date above was read in the offset of the line carrying it, because the zone
    /// offsetless times are read in does not give the line's offset (jira-facts §2: these
    /// dates are in the JVM's zone, which the line shows only at its own time).
    pub dates_in_line_offset: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
/// A token's expiry as the TokenDTO line gives it.
pub enum Expiry {
    #[default]
    /// Not logged, or not readable.
    Unknown,
    /// Never expires (`9999-...`).
    Never,
    /// Expires at this time.
    At(Ts),
}

impl Expiry {
    fn parse(raw: &[u8], zone: &mut Zone, line: Ts) -> Expiry {
        let s = String::from_utf8_lossy(raw);
        if s.starts_with("9999-") {
            return Expiry::Never;
        }
        super::time::parse_db_time_in(&s, zone, line).map_or(Expiry::Unknown, Expiry::At)
    }

    fn is_date(self) -> bool {
        matches!(self, Expiry::At(_))
    }
}

/// One token-authenticated (or attempted) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Time of the request's first PAT line.
    pub ts: Ts,
    /// Jira's request id (`904x1468x1`), as the log and `X-AREQUESTID` show it. Not unique
    /// across restarts, days or nodes.
    pub request_id: String,
    /// Time of its last PAT line (UTC ms).
    pub last_ms: i64,
    /// The 12-digit token id, when the log names it.
    pub token_id: Option<String>,
    /// The database row id of its token (`TokenDTO(id=..)`, or `Storing auth time ... for
    /// tokenId: [N]`): the key Jira's token search shows, which never shows token ids.
    pub db_id: Option<u64>,
    /// What the TokenDTO line told about the token.
    pub info: Option<TokenInfo>,
    /// The owner's user key (`JIRAUSER10100`, or the name for older users).
    pub user_key: Option<String>,
    /// The owner's login name, from the lines after a success.
    pub username: Option<String>,
    /// The client address field (may be an X-Forwarded-For list).
    pub ip: String,
    /// The request's URL path.
    pub path: String,
    /// How it ended; `None` while nothing says.
    pub outcome: Option<Outcome>,
    /// A failure's reason, as logged.
    pub reason: Option<String>,
}

#[cfg(test)]
impl Request {
    /// For unit tests elsewhere: admin's request `request_id` with token `token_id` at
    /// `ms` (UTC), from 10.0.0.1 to `/rest/api/2/myself`, a success.
    pub(crate) fn success_for_tests(request_id: &str, token_id: &str, ms: i64) -> Request {
        Request {
            ts: Ts { ms, offset_min: 0 },
            request_id: request_id.into(),
            last_ms: ms,
            token_id: Some(token_id.into()),
            db_id: None,
            info: None,
            user_key: Some("admin".into()),
            username: Some("admin".into()),
            ip: "10.0.0.1".into(),
            path: "/rest/api/2/myself".into(),
            outcome: Some(Outcome::Success),
            reason: None,
        }
    }
}

/// Requests not heard of for this long (log time) are finalised as they stand.
const QUIET_MS: i64 = 120_000;
/// Filter lines seen this recently mean the filter logs at TRACE right now.
const FILTER_ACTIVE_MS: i64 = 60_000;
/// The most requests in flight at once, against logs that never complete their requests
/// (a real Jira has a few hundred threads).
pub const MAX_PENDING: usize = 20_000;

/// Groups PAT lines into [`Request`]s by thread and request id; bounded time and memory.
pub struct Correlator {
    open: Open,
    key: Vec<u8>,
    filter_last_ms: Option<i64>,
    /// The JVM's zone as far as known, for the offsetless dates inside `TokenDTO`.
    zone: Zone,
}

/// The requests in flight: a map from key to slot, and a queue of slots in the order they
/// were last looked at. A request's queue entry keeps the time it was queued at; when it
/// reaches the front past the quiet time, the request is finalised if it stayed quiet,
/// else queued again at the back with its latest time (each request is re-queued at most
/// once per quiet time). Entries of requests already gone are skipped at the front and
/// swept out whenever they outnumber the live ones, so every operation is constant
/// amortised time and the queue never outgrows twice the map.
#[derive(Default)]
struct Open {
    by_key: HashMap<Box<[u8]>, usize, rustc_hash::FxBuildHasher>,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    queue: VecDeque<Queued>,
    next_seq: u64,
    /// Requests finalised early to keep [`MAX_PENDING`].
    cut_short: u64,
}

struct Slot {
    key: Box<[u8]>,
    request: Request,
    /// Tells this request from a later one in the same slot.
    seq: u64,
}

#[derive(Clone, Copy)]
struct Queued {
    slot: usize,
    seq: u64,
    at_ms: i64,
}

impl Open {
    fn len(&self) -> usize {
        self.by_key.len()
    }

    fn get_mut(&mut self, key: &[u8]) -> Option<&mut Request> {
        let i = *self.by_key.get(key)?;
        self.slots[i].as_mut().map(|s| &mut s.request)
    }

    fn contains(&self, key: &[u8]) -> bool {
        self.by_key.contains_key(key)
    }

    fn insert(&mut self, key: &[u8], request: Request) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let at_ms = request.last_ms;
        let slot = Slot {
            key: key.into(),
            request,
            seq,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.by_key.insert(key.into(), i);
        self.queue.push_back(Queued {
            slot: i,
            seq,
            at_ms,
        });
    }

    fn remove(&mut self, key: &[u8]) -> Option<Request> {
        let i = self.by_key.remove(key)?;
        let slot = self.slots[i].take()?;
        self.free.push(i);
        if self.queue.len() > 2 * self.by_key.len() + 1024 {
            let slots = &self.slots;
            self.queue
                .retain(|q| slots[q.slot].as_ref().is_some_and(|s| s.seq == q.seq));
        }
        Some(slot.request)
    }

    /// The live slot a queue entry stands for.
    fn live(&self, q: &Queued) -> Option<&Slot> {
        self.slots[q.slot].as_ref().filter(|s| s.seq == q.seq)
    }

    /// Take out the requests quiet since before `cutoff` (log time), oldest first.
    fn expire(&mut self, cutoff: i64, out: &mut dyn FnMut(Request)) {
        while let Some(&q) = self.queue.front() {
            let Some(last) = self.live(&q).map(|s| s.request.last_ms) else {
                self.queue.pop_front();
                continue;
            };
            if q.at_ms >= cutoff {
                break;
            }
            self.queue.pop_front();
            if last >= cutoff {
                // Heard of since it was queued: to the back with its latest time.
                self.queue.push_back(Queued { at_ms: last, ..q });
                continue;
            }
            let key = self.live(&q).map(|s| s.key.clone());
            if let Some(r) = key.and_then(|k| self.remove(&k)) {
                out(r);
            }
        }
    }

    /// Take out the longest-waiting request (to keep the cap).
    fn evict_one(&mut self) -> Option<Request> {
        while let Some(q) = self.queue.pop_front() {
            if let Some(key) = self.live(&q).map(|s| s.key.clone()) {
                self.cut_short += 1;
                return self.remove(&key);
            }
        }
        None
    }

    fn drain(&mut self) -> Vec<Request> {
        self.by_key.clear();
        self.free.clear();
        self.queue.clear();
        std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .map(|s| s.request)
            .collect()
    }
}

impl Correlator {
    /// An empty correlator; `zone` is the zone offsetless log times are read in, taken for
    /// the JVM's when it agrees with the lines' offsets (see [`super::time::parse_db_time_in`]).
    pub fn new(zone: Zone) -> Self {
        Correlator {
            open: Open::default(),
            key: Vec::new(),
            filter_last_ms: None,
            zone,
        }
    }

    /// Requests finalised before their last line because [`MAX_PENDING`] were open.
    pub fn cut_short(&self) -> u64 {
        self.open.cut_short
    }

    /// Requests in flight now (at most [`MAX_PENDING`]).
    pub fn in_flight(&self) -> usize {
        self.open.len()
    }

    /// Feed one PAT line; completed requests go to `out`.
    pub fn line(
        &mut self,
        l: &LogLine<'_>,
        msg: PatMessage<'_>,
        from_filter: bool,
        out: &mut dyn FnMut(Request),
    ) {
        let now = l.ts.ms;
        if from_filter {
            self.filter_last_ms = Some(now);
        }
        self.expire(now, out);
        if l.request_id.is_empty() || l.request_id == b"-" {
            return;
        }
        self.key.clear();
        self.key.extend_from_slice(l.thread_base());
        self.key.push(0);
        self.key.extend_from_slice(l.request_id);
        match msg {
            PatMessage::GotTokenId(id) => {
                let r = self.entry(l, out);
                r.token_id = Some(lossy(id));
            }
            PatMessage::TokenDto(d) => {
                let filter_active = self.filter_active(now);
                let info = dto_info(&d, &mut self.zone, l.ts);
                let r = self.entry(l, out);
                r.token_id = Some(lossy(d.token_id));
                r.user_key = Some(lossy(d.user_key));
                if let Some(id) = std::str::from_utf8(d.id).ok().and_then(|v| v.parse().ok()) {
                    r.db_id = Some(id);
                }
                r.info = Some(info);
                if !filter_active {
                    r.outcome = Some(Outcome::Success);
                    self.complete(out);
                }
            }
            PatMessage::AuthSuccess {
                user_key,
                token_id,
                expiry,
            } => {
                let expiry = Expiry::parse(expiry, &mut self.zone, l.ts);
                let guessed =
                    expiry.is_date() && !super::time::zone_gives_line_offset(&mut self.zone, l.ts);
                let r = self.entry(l, out);
                r.token_id = Some(lossy(token_id));
                r.user_key.get_or_insert_with(|| lossy(user_key));
                let info = r.info.get_or_insert_with(TokenInfo::default);
                if info.expiry == Expiry::Unknown {
                    info.expiry = expiry;
                    info.dates_in_line_offset |= guessed;
                }
                r.outcome = Some(Outcome::Success);
            }
            PatMessage::AuthFailure(reason) => {
                let r = self.entry(l, out);
                r.outcome = Some(Outcome::Failure);
                let reason = sanitize_reason(reason);
                if r.token_id.is_none() {
                    r.token_id = token_id_in(&reason, r.user_key.as_deref());
                }
                // No `Got tokenId`, no TokenDTO, no id in the text, and the decoder's own
                // words: the credential never was a PAT.
                if r.token_id.is_none()
                    && r.info.is_none()
                    && r.user_key.is_none()
                    && is_decoding_error(&reason)
                {
                    r.outcome = Some(Outcome::NotPat);
                }
                r.reason = Some(reason);
                self.complete(out);
            }
            PatMessage::InvalidPassword => {
                let filter_active = self.filter_active(now);
                if let Some(r) = self.open.get_mut(&self.key) {
                    r.outcome = Some(Outcome::Failure);
                    // The validator logs this only when the secret part cannot be decoded;
                    // a plain mismatch logs no DEBUG line at all.
                    r.reason = Some("the token's secret could not be decoded".into());
                    if !filter_active {
                        self.complete(out);
                    }
                }
            }
            PatMessage::LookingForUser(key) => match self.open.get_mut(&self.key) {
                Some(r) => {
                    r.user_key.get_or_insert_with(|| lossy(key));
                    r.last_ms = r.last_ms.max(now);
                }
                None => {
                    // `Got tokenId` always precedes this line when TRACE is on, so with no
                    // request in flight all the log can say is "this user, some token".
                    let mut r = new_request(l);
                    r.user_key = Some(lossy(key));
                    r.outcome = Some(Outcome::Unidentified);
                    out(r);
                }
            },
            PatMessage::AuthTimeStored(db_id) => {
                // Logged after the verdict, on the request's own thread: it names the row of
                // the token that request used. Alone it makes no request.
                if let Some(r) = self.open.get_mut(&self.key) {
                    r.db_id.get_or_insert(db_id);
                    r.last_ms = r.last_ms.max(now);
                }
            }
            PatMessage::FilterEnd => {
                if let Some(r) = self.open.get_mut(&self.key) {
                    note_username(r, l);
                    // The filter writes `Auth SUCCESS` or `Auth failure` before its `<<<` for
                    // every token it read; without either, the words were not ones this
                    // version knows, and a success must not become a failure.
                    if r.outcome.is_none() && r.token_id.is_some() {
                        r.outcome = Some(Outcome::NoVerdict);
                        r.reason = Some(NO_VERDICT_CLOSED.into());
                    }
                    self.complete(out);
                }
            }
            PatMessage::Other => {
                if let Some(r) = self.open.get_mut(&self.key) {
                    note_username(r, l);
                    r.last_ms = r.last_ms.max(now);
                }
            }
        }
    }

    /// End of one log stream (a rotated set): finalise everything in flight.
    pub fn finish(&mut self, out: &mut dyn FnMut(Request)) {
        let filter_active = self.filter_last_ms.is_some();
        let mut rest = self.open.drain();
        rest.sort_by_key(|r| r.ts);
        for r in rest {
            out(finalise(r, filter_active));
        }
        self.filter_last_ms = None;
    }

    fn filter_active(&self, now: i64) -> bool {
        self.filter_last_ms
            .is_some_and(|t| now - t <= FILTER_ACTIVE_MS)
    }

    /// The request of the current key, opened when new (keeping the cap).
    fn entry(&mut self, l: &LogLine<'_>, out: &mut dyn FnMut(Request)) -> &mut Request {
        if !self.open.contains(&self.key) {
            while self.open.len() >= MAX_PENDING {
                match self.open.evict_one() {
                    Some(r) => self.finalise_out(r, out),
                    None => break,
                }
            }
            self.open.insert(&self.key, new_request(l));
        }
        let r = self.open.get_mut(&self.key).expect("inserted above");
        r.last_ms = r.last_ms.max(l.ts.ms);
        note_username(r, l);
        r
    }

    fn complete(&mut self, out: &mut dyn FnMut(Request)) {
        if let Some(r) = self.open.remove(&self.key) {
            self.finalise_out(r, out);
        }
    }

    fn finalise_out(&self, r: Request, out: &mut dyn FnMut(Request)) {
        let filter_active = self.filter_active(r.last_ms);
        out(finalise(r, filter_active));
    }

    fn expire(&mut self, now: i64, out: &mut dyn FnMut(Request)) {
        let mut quiet = Vec::new();
        self.open
            .expire(now.saturating_sub(QUIET_MS), &mut |r| quiet.push(r));
        for r in quiet {
            self.finalise_out(r, out);
        }
    }
}

fn new_request(l: &LogLine<'_>) -> Request {
    let url = match memchr::memchr(b'?', l.url) {
        Some(i) => &l.url[..i],
        None => l.url,
    };
    Request {
        ts: l.ts,
        request_id: lossy(l.request_id),
        last_ms: l.ts.ms,
        token_id: None,
        db_id: None,
        info: None,
        user_key: None,
        username: None,
        ip: lossy(l.ip),
        path: lossy(url),
        outcome: None,
        reason: None,
    }
}

/// The token's record in a `TokenDTO` line, its dates read as the JVM wrote them.
fn dto_info(d: &TokenDto<'_>, zone: &mut Zone, line: Ts) -> TokenInfo {
    let mut db_time =
        |b: &[u8]| super::time::parse_db_time_in(&String::from_utf8_lossy(b), zone, line);
    let created_at = db_time(d.created_at);
    let last_accessed_at = db_time(d.last_accessed_at);
    let expiry = Expiry::parse(d.expiring_at, zone, line);
    let dated = created_at.is_some() || last_accessed_at.is_some() || expiry.is_date();
    TokenInfo {
        name: lossy(d.name),
        created_at,
        last_accessed_at,
        expiry,
        dates_in_line_offset: dated && !super::time::zone_gives_line_offset(zone, line),
    }
}

/// Once the token authenticated the request, Jira's USERNAME column shows the login.
fn note_username(r: &mut Request, l: &LogLine<'_>) {
    let u = l.username;
    if !u.is_empty() && u != b"-" && u != b"anonymous" && r.username.is_none() {
        r.username = Some(lossy(u));
    }
}

/// Decide what a request that ended without an explicit verdict was.
fn finalise(mut r: Request, filter_active: bool) -> Request {
    if r.outcome.is_none() {
        r.outcome = Some(match (&r.token_id, &r.info) {
            // Only the service logs: the TokenDTO line is the success.
            (Some(_), Some(_)) if !filter_active => Outcome::Success,
            // The filter logs its verdict here, and the request's lines stopped before it.
            (Some(_), _) if filter_active => {
                r.reason = Some(NO_VERDICT_CUT.into());
                Outcome::NoVerdict
            }
            // Service lines only: a token id that never reached its record failed.
            (Some(_), _) => {
                r.reason.get_or_insert_with(|| {
                    "the token was read but no successful authentication was logged".into()
                });
                Outcome::Failure
            }
            (None, _) if r.user_key.is_some() => Outcome::Unidentified,
            (None, _) => Outcome::Failure,
        });
    }
    if r.outcome != Some(Outcome::Success) {
        r.username = None;
    }
    r
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Failure texts are exception messages; keep them, but never a password hash.
fn sanitize_reason(b: &[u8]) -> String {
    let s = lossy(b);
    match s.find("{PKCS5S2}") {
        Some(i) => {
            let end = s[i..].find([' ', ']', ',']).map_or(s.len(), |e| i + e);
            format!("{}<hash>{}", &s[..i], &s[end..])
        }
        None => s,
    }
}

/// The token id a failure text names. The plugin's English for the two i18n messages is
/// unconfirmed (jira-facts §2 [U]); what is known is that one names the token id and the
/// other the user key and the token id, and that a user key can itself be twelve digits
/// (`100200300400`). So a twelve-digit run right after a token-ish word (`token`,
/// `tokenId`, `ID`) is the token id; a run after a user-ish word (`user`, `key`), or equal
/// to the request's known user key, never is; an unmarked run is taken only when it is
/// the only candidate, so an unexpected wording gives no id rather than a wrong one.
fn token_id_in(s: &str, user_key: Option<&str>) -> Option<String> {
    let b = s.as_bytes();
    let mut unmarked: Option<&str> = None;
    let mut unmarked_count = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let run = &s[start..i];
        if run.len() != 12 || user_key == Some(run) {
            continue;
        }
        match word_before(&s[..start]) {
            Marker::Token => return Some(run.to_string()),
            Marker::User => {}
            Marker::None => {
                unmarked_count += 1;
                unmarked.get_or_insert(run);
            }
        }
    }
    (unmarked_count == 1)
        .then(|| unmarked.map(str::to_string))
        .flatten()
}

enum Marker {
    Token,
    User,
    None,
}

/// What the word just before a digit run (past `: [ = # '"` and spaces) says it is.
fn word_before(head: &str) -> Marker {
    let head = head.trim_end_matches([' ', ':', '[', '=', '#', '\'', '"', '(']);
    let word_start = head
        .rfind(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .map_or(0, |i| i + 1);
    let word = head[word_start..].to_ascii_lowercase();
    if word == "id" || word.ends_with("tokenid") || word.ends_with("token") || word == "tokens" {
        Marker::Token
    } else if word.contains("user") || word.ends_with("key") {
        Marker::User
    } else {
        Marker::None
    }
}

/// Messages of Java's Base64 decoder (and of a token that decodes to the wrong shape):
/// what the filter logs for a Bearer value that is no PAT.
fn is_decoding_error(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("base64")
        || r.starts_with("input byte array")
        || r.starts_with("last unit does not have enough valid bits")
        || r.contains("token format")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(ms: i64, thread: &'a [u8], rid: &'a [u8]) -> LogLine<'a> {
        LogLine {
            ts: Ts { ms, offset_min: 0 },
            thread,
            level: b"TRACE",
            username: b"anonymous",
            request_id: rid,
            session_id: b"-",
            ip: b"10.0.0.1",
            url: b"/rest/api/2/myself",
            category: b"c.a.pats.service.DefaultTokenAuthenticationService",
            message: b"",
        }
    }

    /// A million requests opened within five seconds of log time and never ended: the
    /// cap holds at every line, each line costs a constant number of queue steps, and all
    /// come out, those finalised early counted.
    #[test]
    fn a_million_open_requests_keep_the_cap_in_constant_work() {
        let mut c = Correlator::new(Zone::new(jiff::tz::TimeZone::UTC));
        let mut out = 0u64;
        let mut rid = Vec::new();
        let mut most_queued = 0;
        for i in 0..1_000_000u64 {
            rid.clear();
            rid.extend_from_slice(format!("{i}x1x1").as_bytes());
            let l = line(1_000_000 + (i as i64) / 200_000, b"exec-1", &rid);
            c.line(
                &l,
                PatMessage::GotTokenId(b"355510638677"),
                false,
                &mut |_| out += 1,
            );
            assert!(c.in_flight() <= MAX_PENDING);
            most_queued = most_queued.max(c.open.queue.len());
        }
        assert!(most_queued <= 2 * MAX_PENDING + 1024, "{most_queued}");
        assert_eq!(c.cut_short(), 1_000_000 - MAX_PENDING as u64);
        c.finish(&mut |_| out += 1);
        assert_eq!(out, 1_000_000);
        assert_eq!(c.in_flight(), 0);
    }

    #[test]
    fn quiet_requests_expire_and_busy_ones_wait() {
        let mut c = Correlator::new(Zone::new(jiff::tz::TimeZone::UTC));
        let mut done: Vec<Request> = Vec::new();
        let got = || PatMessage::GotTokenId(b"355510638677");
        c.line(&line(0, b"t1", b"1x1x1"), got(), false, &mut |r| {
            done.push(r)
        });
        c.line(&line(0, b"t2", b"2x1x1"), got(), false, &mut |r| {
            done.push(r)
        });
        // The second one is still heard of at 100 s; at 130 s only the first is quiet.
        c.line(
            &line(100_000, b"t2", b"2x1x1"),
            PatMessage::Other,
            false,
            &mut |r| done.push(r),
        );
        c.line(&line(130_000, b"t3", b"3x1x1"), got(), false, &mut |r| {
            done.push(r)
        });
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].request_id, "1x1x1");
        assert_eq!(done[0].outcome, Some(Outcome::Failure));
        c.line(&line(221_000, b"t9", b"9x1x1"), got(), false, &mut |r| {
            done.push(r)
        });
        assert_eq!(done.len(), 2);
        assert_eq!(done[1].request_id, "2x1x1");
        assert_eq!(c.in_flight(), 2);
        assert_eq!(c.cut_short(), 0);
        // Ended requests leave stale queue entries that never outnumber the live ones.
        for i in 0..10_000 {
            let rid = format!("{i}x2x1");
            let l = line(300_000, b"t5", rid.as_bytes());
            c.line(&l, got(), false, &mut |r| done.push(r));
            c.line(&l, PatMessage::AuthFailure(b"no"), false, &mut |r| {
                done.push(r)
            });
        }
        assert!(c.open.queue.len() <= 2 * c.in_flight() + 1024);
    }

    #[test]
    fn reasons_never_keep_hashes_and_name_token_ids() {
        assert_eq!(
            sanitize_reason(b"mismatch {PKCS5S2}abc/def= for user admin"),
            "mismatch <hash> for user admin"
        );
        assert_eq!(
            token_id_in("Authentication failed for token with ID 012345678901", None),
            Some("012345678901".into())
        );
        assert_eq!(
            token_id_in("Unable to locate active user: JIRAUSER10100", None),
            None
        );
    }

    #[test]
    fn a_twelve_digit_user_key_is_never_a_token_id() {
        for text in [
            "Authentication failed for user: 100200300400 and token with ID: 355510638677",
            "Authentication failed for user 100200300400 and token with ID 355510638677",
            "Token 355510638677 of user 100200300400 does not match",
            "tokenId=355510638677, userKey=100200300400",
        ] {
            assert_eq!(
                token_id_in(text, None),
                Some("355510638677".into()),
                "{text}"
            );
        }
        assert_eq!(
            token_id_in("Unable to locate active user: 100200300400", None),
            None
        );
        // Unmarked: the known user key is left out; two unmarked candidates are ambiguous.
        assert_eq!(
            token_id_in("failed: 100200300400 / 355510638677", Some("100200300400")),
            Some("355510638677".into())
        );
        assert_eq!(
            token_id_in("failed: 100200300400 / 355510638677", None),
            None
        );
    }

    #[test]
    fn decoding_errors_are_told_from_pat_failures() {
        assert!(is_decoding_error("Illegal base64 character 2e"));
        assert!(is_decoding_error(
            "Input byte array has wrong 4-byte ending unit"
        ));
        assert!(is_decoding_error(
            "Last unit does not have enough valid bits"
        ));
        assert!(!is_decoding_error(
            "Unable to locate active user: JIRAUSER10100"
        ));
        assert!(!is_decoding_error(
            "Authentication failed for token with ID: 355510638677"
        ));
    }
}
