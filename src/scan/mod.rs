//! The streaming log scanner. Bytes go in (any chunking: whole files, pipes, the tail of
//! a followed log); [`Request`]s come out. Scanning, matching and reporting are apart:
//! - [`Scanner`] counts lines and finds candidate lines with a literal prefilter
//!   (aho-corasick over the whole chunk), so an uninteresting line costs a newline count
//!   and nothing else: no parsing, no allocation;
//! - [`line`] splits a candidate into fields, [`pat`] recognises the PAT message,
//! - [`correlate`] groups the lines of one request.
//!
//! Memory: one carried partial line (capped at [`MAX_LINE`]) plus requests in flight
//! (capped by the correlator), whatever the log holds.
#![warn(missing_docs)]

mod chunk;
pub mod correlate;
pub mod input;
pub mod line;
mod parallel;
pub mod pat;
pub mod time;

pub use correlate::{Expiry, Outcome, Request, TokenInfo};
pub use time::{Ts, Zone};

use aho_corasick::{packed, AhoCorasick};

/// Literals that every PAT plugin line holds (in its category), whatever the layout's
/// abbreviation of class names. A line holding none of them is never read further (a
/// node filters on them before sending its lines: `source::offline`).
pub const PAT_LITERALS: [&str; 3] = [
    "pats.",
    "TokenBasedAuthenticationFilter",
    "LastAccessedTimeBatcher",
];

/// Finds candidate lines. aho-corasick's automaton picks a rare-byte prefilter for these
/// literals, whose bytes are common in log text (ten times slower than grep); its SIMD
/// "packed" (Teddy) searcher is used directly where the CPU has it.
enum Prefilter {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Prefilter {
    fn new() -> Self {
        match packed::Config::new().builder().extend(PAT_LITERALS).build() {
            Some(s) => Prefilter::Packed(s),
            None => Prefilter::Automaton(AhoCorasick::new(PAT_LITERALS).expect("static patterns")),
        }
    }

    fn find(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Prefilter::Packed(s) => s.find(hay).map(|m| m.start()),
            Prefilter::Automaton(a) => a.find(hay).map(|m| m.start()),
        }
    }
}

/// A line that holds a PAT literal.
enum Candidate<'a> {
    /// The line, without its newline.
    Line(&'a [u8]),
    /// A line longer than [`MAX_LINE`] with a literal within its first [`MAX_LINE`] bytes.
    Long,
}

/// The next candidate line of `region` (whole lines; the last may lack its newline) from
/// `*pos` on; `*pos` moves past it. An uninteresting line is never looked at.
fn next_candidate<'a>(
    prefilter: &Prefilter,
    region: &'a [u8],
    pos: &mut usize,
) -> Option<Candidate<'a>> {
    while *pos < region.len() {
        let at = *pos + prefilter.find(&region[*pos..])?;
        let start = memchr::memrchr(b'\n', &region[..at]).map_or(0, |i| i + 1);
        let end = at + memchr::memchr(b'\n', &region[at..]).unwrap_or(region.len() - at);
        *pos = end + 1;
        if end - start <= MAX_LINE {
            return Some(Candidate::Line(&region[start..end]));
        }
        if at - start < MAX_LINE {
            return Some(Candidate::Long);
        }
    }
    None
}

/// Longest line read; a longer one is counted and skipped whole. PAT lines are a few
/// hundred bytes (Tomcat refuses request lines over 8 KiB), so nothing of interest is lost,
/// and what is kept of a line never grows past this.
pub const MAX_LINE: usize = 64 * 1024;

/// Bytes of a line kept to quote in a warning (the warning shows fewer, escaped).
const ODD_KEPT: usize = 256;

/// Bytes scanned per pass (stays in L2 cache).
const PIECE: usize = 256 * 1024;

/// Lines probed at the start of each file to tell whether it is a Jira log at all.
const PROBE_LINES: u32 = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
/// Counts of what the scanner read.
pub struct Stats {
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines of the PAT plugin's classes.
    pub pat_lines: u64,
    /// Bytes of those lines.
    pub pat_bytes: u64,
    /// First and last timestamp of a PAT line (for rates).
    #[serde(skip)]
    pub first_pat_ms: Option<i64>,
    #[serde(skip)]
    /// Last PAT line's time (UTC ms).
    pub last_pat_ms: Option<i64>,
    /// Lines longer than [`MAX_LINE`] that named a PAT class: skipped.
    #[serde(skip)]
    pub long_lines: u64,
    /// Lines that name a PAT class and start with a date but do not read as a Jira log
    /// line (another layout, a damaged line): not counted as anything.
    #[serde(skip)]
    pub unreadable_pat_lines: u64,
    /// Requests the correlator finalised early because too many were open at once.
    #[serde(skip)]
    pub requests_cut_short: u64,
}

/// The capture's self-check probe: the PAT lines of one request id are held out of the
/// correlator until the self-check knows whether they are its own request (then they are
/// dropped: the probe is no one's usage) or another node's request that shares the id
/// (then they are fed as usual).
struct Watch {
    id: Vec<u8>,
    held: Vec<Vec<u8>>,
    /// The first line naming the id that does not read as a Jira log line with that id in
    /// its request-id field (another layout).
    odd: Option<Vec<u8>>,
    /// Decided ours: the log time of its first line; later lines of the id are dropped.
    ours_from_ms: Option<i64>,
}

/// Lines held per watched request at most (a request writes about ten).
const MAX_HELD: usize = 200;
/// How long after its first line a request's late lines are still taken for it (log time).
const WATCH_SPAN_MS: i64 = 5 * 60_000;

/// What the watch has seen so far.
pub struct Watched<'a> {
    /// Raw PAT lines carrying the watched request id.
    pub lines: &'a [Vec<u8>],
    /// A line naming the id that did not parse as expected.
    pub odd: Option<&'a [u8]>,
}

/// The streaming scanner: bytes in, [`Request`]s out; see the module's text.
pub struct Scanner {
    /// One per probe this log may hold (a cluster's self-check probes every node).
    watch: Vec<Watch>,
    prefilter: Prefilter,
    zone: Zone,
    correlator: correlate::Correlator,
    stats: Stats,
    carry: Vec<u8>,
    carry_truncated: bool,
    probe_left: u32,
    probe_hit: bool,
    /// The first unreadable PAT line of the current file, and whether one was quoted yet.
    odd_line: Option<Vec<u8>>,
    odd_quote: Option<OddQuote>,
}

/// What a warning about unreadable PAT lines quotes.
enum OddQuote {
    /// An excerpt of the first such line.
    Line(String),
    /// The file's name does not look like a log: its content is not shown.
    Withheld,
}

impl Scanner {
    /// A scanner reading offsetless times in `zone`.
    pub fn new(zone: Zone) -> Self {
        let prefilter = Prefilter::new();
        Scanner {
            watch: Vec::new(),
            prefilter,
            correlator: correlate::Correlator::new(zone.clone()),
            zone,
            stats: Stats::default(),
            carry: Vec::new(),
            carry_truncated: false,
            probe_left: PROBE_LINES,
            probe_hit: false,
            odd_line: None,
            odd_quote: None,
        }
    }

    /// What was read so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Hold the PAT lines of `request_id` out of the correlator (see [`Watch`]); several
    /// request ids may be watched at once.
    pub fn watch(&mut self, request_id: &str) {
        if self.watch.iter().any(|w| w.id == request_id.as_bytes()) {
            return;
        }
        self.watch.push(Watch {
            id: request_id.as_bytes().to_vec(),
            held: Vec::new(),
            odd: None,
            ours_from_ms: None,
        });
    }

    /// What the first watch (see [`Scanner::watch`]) has seen, if one is set.
    pub fn watched(&self) -> Option<Watched<'_>> {
        self.watch.first().map(Watch::seen)
    }

    /// What the watch of `request_id` has seen, if it is watched.
    pub fn watched_of(&self, request_id: &str) -> Option<Watched<'_>> {
        self.watch
            .iter()
            .find(|w| w.id == request_id.as_bytes())
            .map(Watch::seen)
    }

    /// The watched request is ours: its lines (held and to come) never reach a report.
    pub fn keep_out_watched(&mut self) {
        for i in 0..self.watch.len() {
            self.keep_out_at(i);
        }
    }

    /// The request `request_id` is ours (see [`Scanner::keep_out_watched`]).
    pub fn keep_out(&mut self, request_id: &str) {
        if let Some(i) = self
            .watch
            .iter()
            .position(|w| w.id == request_id.as_bytes())
        {
            self.keep_out_at(i);
        }
    }

    fn keep_out_at(&mut self, i: usize) {
        let zone = &mut self.zone;
        let w = &mut self.watch[i];
        let first = w
            .held
            .iter()
            .find_map(|l| line::parse(l, zone).map(|l| l.ts.ms));
        w.ours_from_ms = Some(first.unwrap_or(i64::MIN));
        w.held = Vec::new();
    }

    /// The watched requests not decided ours are not ours: feed what was held, as if
    /// never watched.
    pub fn release_watched(&mut self, out: &mut dyn FnMut(Request)) {
        let (ours, others): (Vec<Watch>, Vec<Watch>) = std::mem::take(&mut self.watch)
            .into_iter()
            .partition(|w| w.ours_from_ms.is_some());
        self.watch = ours;
        for w in others {
            for l in &w.held {
                self.line(l, out);
            }
        }
    }

    /// The request `request_id` is not ours here: feed what was held of it.
    pub fn release(&mut self, request_id: &str, out: &mut dyn FnMut(Request)) {
        if let Some(i) = self
            .watch
            .iter()
            .position(|w| w.id == request_id.as_bytes() && w.ours_from_ms.is_none())
        {
            let w = self.watch.remove(i);
            for l in &w.held {
                self.line(l, out);
            }
        }
    }

    /// Start of a new file: the probe that tells a Jira log from something else restarts.
    pub fn begin_file(&mut self) {
        self.probe_left = PROBE_LINES;
        self.probe_hit = false;
        self.odd_line = None;
    }

    /// The current file was found damaged: its unfinished last line is no line.
    pub fn cut_file(&mut self) {
        self.carry.clear();
        self.carry_truncated = false;
    }

    /// Whether the file just read has a name like a log's (see
    /// [`input::looks_like_log_name`]): only then is its first unreadable PAT line quoted.
    pub fn note_file_name(&mut self, log_like: bool) {
        if self.odd_quote.is_some() {
            return;
        }
        if let Some(l) = self.odd_line.take() {
            self.odd_quote = Some(if log_like {
                OddQuote::Line(crate::warn::excerpt(&l))
            } else {
                OddQuote::Withheld
            });
        }
    }

    /// Add the warnings about lines passed over to `said`: over-long ones, unreadable PAT
    /// lines, requests finalised early. One line each, with its count.
    pub fn say_skipped_lines(&self, said: &mut crate::warn::Tally) {
        let st = &self.stats;
        if st.long_lines > 0 {
            said.add("long lines", "lines", || {
                format!(
                    "{} line(s) naming a PAT class were longer than {} KiB and skipped (PAT lines are a few hundred bytes: a damaged or crafted log?)",
                    st.long_lines,
                    MAX_LINE >> 10
                )
            });
        }
        if st.unreadable_pat_lines > 0 {
            let quote = match &self.odd_quote {
                Some(OddQuote::Line(l)) => format!(", e.g. `{l}`"),
                Some(OddQuote::Withheld) => {
                    " (not quoted: the file's name does not look like a log)".to_string()
                }
                None => String::new(),
            };
            said.add("unreadable pat lines", "lines", || {
                format!(
                    "{} line(s) name a PAT class but do not read as atlassian-jira.log lines and were not counted{quote}; a custom log layout?",
                    st.unreadable_pat_lines
                )
            });
        }
        if st.requests_cut_short > 0 {
            said.add("cut short", "requests", || {
                format!(
                    "{} request(s) were finalised before their last line: more than {} were open at once (a log that never ends its requests?)",
                    st.requests_cut_short,
                    correlate::MAX_PENDING
                )
            });
        }
    }

    /// Whether any of the probed first lines of the current file was a Jira log entry
    /// (`None` while nothing was probed yet).
    pub fn looks_like_jira_log(&self) -> Option<bool> {
        if self.probe_hit {
            Some(true)
        } else if self.probe_left == PROBE_LINES {
            None
        } else {
            Some(false)
        }
    }

    /// Feed the next bytes of the current file.
    pub fn feed(&mut self, data: &[u8], out: &mut dyn FnMut(Request)) {
        // Counting lines and searching for candidates are two passes over the bytes: in
        // pieces that stay in the CPU cache, only the first pass waits for memory.
        for piece in data.chunks(PIECE) {
            self.feed_piece(piece, out);
        }
    }

    fn feed_piece(&mut self, mut data: &[u8], out: &mut dyn FnMut(Request)) {
        self.stats.bytes += data.len() as u64;
        if !self.carry.is_empty() || self.carry_truncated {
            match memchr::memchr(b'\n', data) {
                None => {
                    self.extend_carry(data);
                    return;
                }
                Some(i) => {
                    self.extend_carry(&data[..i]);
                    self.flush_carry(out);
                    data = &data[i + 1..];
                }
            }
        }
        match memchr::memrchr(b'\n', data) {
            None => self.extend_carry(data),
            Some(last) => {
                self.complete_lines(&data[..=last], out);
                self.extend_carry(&data[last + 1..]);
            }
        }
    }

    /// End of the current file: a last line without a newline still counts.
    pub fn end_file(&mut self, out: &mut dyn FnMut(Request)) {
        if !self.carry.is_empty() || self.carry_truncated {
            self.flush_carry(out);
        }
    }

    /// End of one log stream (a rotated set, one node): finalise requests in flight.
    pub fn end_stream(&mut self, out: &mut dyn FnMut(Request)) {
        self.end_file(out);
        self.correlator.finish(out);
    }

    fn extend_carry(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let room = MAX_LINE.saturating_sub(self.carry.len());
        if data.len() > room {
            self.carry.extend_from_slice(&data[..room]);
            self.carry_truncated = true;
        } else {
            self.carry.extend_from_slice(data);
        }
    }

    fn flush_carry(&mut self, out: &mut dyn FnMut(Request)) {
        let line = std::mem::take(&mut self.carry);
        self.stats.lines += 1;
        self.probe(&line);
        if !self.carry_truncated {
            self.line(&line, out);
        } else if self.prefilter.find(&line).is_some() {
            self.stats.long_lines += 1;
        }
        self.carry = line;
        self.carry.clear();
        self.carry_truncated = false;
    }

    /// `region` ends with a newline.
    fn complete_lines(&mut self, region: &[u8], out: &mut dyn FnMut(Request)) {
        self.stats.lines += memchr::memchr_iter(b'\n', region).count() as u64;
        if self.probe_left > 0 {
            // The lines of the region, not the empty piece after its last newline.
            let lines = &region[..region.len() - 1];
            for l in lines.split(|&c| c == b'\n').take(self.probe_left as usize) {
                self.probe(l);
            }
        }
        let mut pos = 0;
        while let Some(c) = next_candidate(&self.prefilter, region, &mut pos) {
            match c {
                Candidate::Line(l) => self.line(l, out),
                Candidate::Long => self.stats.long_lines += 1,
            }
        }
    }

    fn probe(&mut self, l: &[u8]) {
        if self.probe_left == 0 {
            return;
        }
        self.probe_left -= 1;
        if !self.probe_hit && line::parse(l, &mut self.zone).is_some() {
            self.probe_hit = true;
            self.probe_left = 0;
        }
    }

    fn line(&mut self, raw: &[u8], out: &mut dyn FnMut(Request)) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let parsed = line::parse(raw, &mut self.zone);
        for w in &mut self.watch {
            if w.hold(raw, parsed.as_ref()) {
                return;
            }
        }
        let Some(l) = parsed else {
            // A dated line naming a PAT class that does not read as a log line: another
            // layout, or damage. Stack-trace frames and continuation lines have no date.
            if self.prefilter.find(raw).is_some()
                && time::parse_prefix(raw, &mut self.zone).is_some()
            {
                self.stats.unreadable_pat_lines += 1;
                if self.odd_line.is_none() {
                    self.odd_line = Some(raw[..raw.len().min(ODD_KEPT)].to_vec());
                }
            }
            return;
        };
        self.pat_line(&l, raw.len(), out);
    }

    /// A line read as a Jira log line: counted and correlated when it is a PAT class's.
    fn pat_line(&mut self, l: &line::LogLine<'_>, raw_len: usize, out: &mut dyn FnMut(Request)) {
        if pat::is_pat_category(l.category) {
            self.known_pat_line(l, raw_len, out);
        }
    }

    /// A PAT class's line: counted and correlated.
    fn known_pat_line(
        &mut self,
        l: &line::LogLine<'_>,
        raw_len: usize,
        out: &mut dyn FnMut(Request),
    ) {
        self.stats.pat_lines += 1;
        self.stats.pat_bytes += raw_len as u64 + 1;
        self.stats.first_pat_ms.get_or_insert(l.ts.ms);
        self.stats.last_pat_ms = Some(l.ts.ms);
        let from_filter = l.category.ends_with(b"TokenBasedAuthenticationFilter");
        let msg = pat::classify(l.message);
        self.correlator.line(l, msg, from_filter, out);
        self.stats.requests_cut_short = self.correlator.cut_short();
    }
}

impl Watch {
    fn seen(&self) -> Watched<'_> {
        Watched {
            lines: &self.held,
            odd: self.odd.as_deref(),
        }
    }

    /// Whether the line is the watched request's (held or dropped) rather than the report's.
    fn hold(&mut self, raw: &[u8], l: Option<&line::LogLine<'_>>) -> bool {
        match l {
            Some(l) if l.request_id == self.id.as_slice() => {
                if !pat::is_pat_category(l.category) {
                    return false;
                }
                match self.ours_from_ms {
                    Some(first) => {
                        l.ts.ms >= first.saturating_sub(60_000)
                            && l.ts.ms <= first.saturating_add(WATCH_SPAN_MS)
                    }
                    None => {
                        if self.held.len() < MAX_HELD {
                            self.held.push(raw.to_vec());
                        }
                        true
                    }
                }
            }
            _ => {
                if self.odd.is_none() && self.ours_from_ms.is_none() && names(raw, &self.id) {
                    self.odd = Some(raw.to_vec());
                }
                false
            }
        }
    }
}

/// `id` in `raw` as a whole word (`1x2x1` is not inside `11x2x13`).
fn names(raw: &[u8], id: &[u8]) -> bool {
    let word = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut pos = 0;
    while let Some(i) = pat::find(&raw[pos..], id) {
        let at = pos + i;
        if !word(at.checked_sub(1).and_then(|p| raw.get(p))) && !word(raw.get(at + id.len())) {
            return true;
        }
        pos = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    const KB: &str = include_str!("../../tests/fixtures/logs/kb-pat-trace-snippet.log");

    fn scan_chunks(data: &[u8], chunk: usize) -> (Vec<Request>, Stats) {
        let mut s = Scanner::new(Zone::new(TimeZone::UTC));
        let mut reqs = Vec::new();
        let mut out = |r: Request| reqs.push(r);
        s.begin_file();
        for c in data.chunks(chunk) {
            s.feed(c, &mut out);
        }
        s.end_stream(&mut out);
        let st = s.stats().clone();
        (reqs, st)
    }

    #[test]
    fn the_kb_request_is_one_success_whatever_the_chunking() {
        for chunk in [1, 7, 100, 4096, 1 << 20] {
            let (reqs, st) = scan_chunks(KB.as_bytes(), chunk);
            assert_eq!(st.lines, 10);
            assert_eq!(st.pat_lines, 10);
            assert_eq!(reqs.len(), 1, "chunk {chunk}");
            let r = &reqs[0];
            assert_eq!(r.outcome, Some(Outcome::Success));
            assert_eq!(r.token_id.as_deref(), Some("355510638677"));
            assert_eq!(r.user_key.as_deref(), Some("admin"));
            assert_eq!(r.username.as_deref(), Some("admin"));
            assert_eq!(r.info.as_ref().unwrap().name, "test");
            assert_eq!(
                r.db_id,
                Some(2),
                "TokenDTO(id=2) and Storing auth time agree"
            );
            assert_eq!(r.ip, "192.168.0.1");
            assert_eq!(r.path, "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19");
        }
    }

    #[test]
    fn the_filter_alone_ties_a_success_to_its_database_id() {
        // pats-filter-trace: the filter's lines and the batcher's, which is under it.
        let filter: String = KB
            .lines()
            .filter(|l| l.contains("[c.a.p.web.filter."))
            .map(|l| format!("{l}\n"))
            .collect();
        let (reqs, _) = scan_chunks(filter.as_bytes(), 4096);
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        let r = &reqs[0];
        assert_eq!(r.outcome, Some(Outcome::Success));
        assert_eq!(r.token_id.as_deref(), Some("355510638677"));
        assert_eq!(r.db_id, Some(2), "the row id, never read as a token id");
        // Alone, the batcher's line makes no request.
        let batch: String = KB
            .lines()
            .filter(|l| l.contains("Storing auth time"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(scan_chunks(batch.as_bytes(), 4096).0.is_empty());
    }

    #[test]
    fn a_watched_request_is_held_then_dropped_or_released() {
        for ours in [true, false] {
            let mut s = Scanner::new(Zone::new(TimeZone::UTC));
            s.watch("904x1468x1");
            let mut reqs = Vec::new();
            s.feed(KB.as_bytes(), &mut |r| reqs.push(r));
            let w = s.watched().unwrap();
            assert_eq!(w.lines.len(), 10);
            assert!(w.odd.is_none());
            if ours {
                s.keep_out_watched();
                // A late line of the same request is still kept out.
                s.feed(KB.lines().last().unwrap().as_bytes(), &mut |r| reqs.push(r));
                s.feed(b"\n", &mut |r| reqs.push(r));
            } else {
                s.release_watched(&mut |r| reqs.push(r));
            }
            s.end_stream(&mut |r| reqs.push(r));
            assert_eq!(reqs.len(), usize::from(!ours), "ours: {ours}");
            assert_eq!(s.stats().pat_lines, if ours { 0 } else { 10 });
        }
    }

    #[test]
    fn a_line_naming_the_watched_id_elsewhere_is_noted() {
        let mut s = Scanner::new(Zone::new(TimeZone::UTC));
        s.watch("904x1468x1");
        let odd = "2022-10-11 15:04:09,202+0000 [exec-4] TRACE 904x1468x1 c.a.pats.service.X Got tokenId: [355510638677] from token\n";
        s.feed(odd.as_bytes(), &mut |_| {});
        assert_eq!(s.watched().unwrap().odd, Some(odd.trim_end().as_bytes()));
        assert!(names(b"a 1x2x1 b", b"1x2x1"));
        assert!(!names(b"a 11x2x13 b", b"1x2x1"));
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let crlf = KB.replace('\n', "\r\n");
        let (reqs, st) = scan_chunks(crlf.trim_end().as_bytes(), 13);
        assert_eq!(st.lines, 10);
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].path, "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19");
        assert_eq!(reqs[0].username.as_deref(), Some("admin"));
    }

    const PRUNING: &str = "\
2022-10-11 15:04:08,000+0000 Caesium-1-2 DEBUG      [c.a.pats.checker.JiraProductUserProvider] Looking for Jira user with key: [admin]
2022-10-11 15:04:08,001+0000 Caesium-1-2 DEBUG      [c.a.pats.checker.JiraProductUserProvider] Looking for Jira user with key: [100200300400]
2022-10-11 15:04:08,002+0000 Caesium-1-2 DEBUG      [c.a.pats.jobs.DeletedUserPruningJob] Removing tokens for deleted userKey [JIRAUSER10900]
";

    #[test]
    fn pat_lines_without_a_request_id_are_no_request() {
        let log = format!("{PRUNING}{KB}");
        let (reqs, st) = scan_chunks(log.as_bytes(), 4096);
        assert_eq!(st.pat_lines, 13);
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        assert_eq!(reqs[0].outcome, Some(Outcome::Success));
        assert_eq!(reqs[0].request_id, "904x1468x1");
        // DEBUG only: the request's own line is one request of that user, the job's none.
        let debug: String = log
            .lines()
            .filter(|l| l.contains(" DEBUG "))
            .map(|l| format!("{l}\n"))
            .collect();
        let (reqs, _) = scan_chunks(debug.as_bytes(), 4096);
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        assert_eq!(reqs[0].outcome, Some(Outcome::Unidentified));
        assert_eq!(reqs[0].user_key.as_deref(), Some("admin"));
    }

    /// A request's lines in the layout, on one thread with one request id.
    fn request(rid: &str, msgs: &[(&str, &str)]) -> String {
        msgs.iter()
            .map(|(cat, m)| format!("2022-10-11 15:04:09,202+0000 http-nio-8080-exec-4 TRACE anonymous {rid} - 10.0.0.9 /rest/api/2/myself [{cat}] {m}\n"))
            .collect()
    }

    const FILTER: &str = "c.a.p.web.filter.TokenBasedAuthenticationFilter";

    #[test]
    fn a_wrong_secret_fails_under_its_token_id_and_a_jwt_is_no_pat() {
        let wrong = request(
            "904x1x1",
            &[
                (FILTER, ">>> TokenBasedAuthenticationFilter.doFilter"),
                ("c.a.pats.service.DefaultTokenAuthenticationService", "Got tokenId: [355510638677] from token"),
                ("c.a.pats.service.DefaultTokenValidator", "Using password encoder to see if tokens match with hashed token: [{PKCS5S2}abc]"),
                (FILTER, "Auth failure: [Authentication failed for user: 100200300400 and token with ID: 355510638677]"),
                (FILTER, "<<< TokenBasedAuthenticationFilter.doFilter"),
            ],
        );
        let jwt = request(
            "904x2x1",
            &[
                (FILTER, ">>> TokenBasedAuthenticationFilter.doFilter"),
                (FILTER, "Auth failure: [Illegal base64 character 2e]"),
                (FILTER, "<<< TokenBasedAuthenticationFilter.doFilter"),
            ],
        );
        let inactive = request(
            "904x3x1",
            &[(
                FILTER,
                "Auth failure: [Unable to locate active user: 100200300400]",
            )],
        );
        let (reqs, _) = scan_chunks(format!("{wrong}{jwt}{inactive}").as_bytes(), 4096);
        assert_eq!(reqs.len(), 3, "{reqs:#?}");
        assert_eq!(reqs[0].outcome, Some(Outcome::Failure));
        assert_eq!(reqs[0].token_id.as_deref(), Some("355510638677"));
        assert_eq!(reqs[1].outcome, Some(Outcome::NotPat));
        assert_eq!(reqs[1].token_id, None);
        assert_eq!(reqs[1].ip, "10.0.0.9");
        // A PAT failure that names no token id, and surely not the twelve-digit user key.
        assert_eq!(reqs[2].outcome, Some(Outcome::Failure));
        assert_eq!(reqs[2].token_id, None);
    }

    /// The KB request with its `Auth SUCCESS` line in other words (another plugin version).
    fn reworded(kb: &str) -> String {
        kb.replace(
            "Auth SUCCESS for user: [admin] and tokenId: [355510638677] and expiry:",
            "Token authentication succeeded: user admin, token 355510638677, expiry ",
        )
    }

    #[test]
    fn a_success_in_other_words_or_cut_short_has_no_verdict_and_real_failures_stay_failures() {
        // Full TRACE, the success line reworded: the filter closed the request with no
        // verdict jira-patrol knows. Never a failure.
        let (reqs, _) = scan_chunks(reworded(KB).as_bytes(), 4096);
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        let r = &reqs[0];
        assert_eq!(r.outcome, Some(Outcome::NoVerdict));
        assert_eq!(r.token_id.as_deref(), Some("355510638677"));
        assert_eq!(r.db_id, Some(2));
        assert!(r
            .reason
            .as_deref()
            .unwrap()
            .contains("without a verdict line"));
        assert_eq!(r.username, None, "not known to have authenticated");
        // The log cut after the token record: no verdict either, at the end of the log.
        let cut: String = KB.lines().take(6).map(|l| format!("{l}\n")).collect();
        let (reqs, _) = scan_chunks(cut.as_bytes(), 4096);
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        assert_eq!(reqs[0].outcome, Some(Outcome::NoVerdict));
        assert!(reqs[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("stop before a verdict"));

        // Each failure sequence of pats-plugin 1.4.7 at full TRACE is still a failure.
        let svc = "c.a.pats.service.DefaultTokenAuthenticationService";
        let open = (FILTER, ">>> TokenBasedAuthenticationFilter.doFilter");
        let close = (FILTER, "<<< TokenBasedAuthenticationFilter.doFilter");
        let got = (svc, "Got tokenId: [355510638677] from token");
        let unknown = request(
            "904x1x1",
            &[
                open,
                got,
                (
                    FILTER,
                    "Auth failure: [Authentication failed for token with ID: 355510638677]",
                ),
                close,
            ],
        );
        let wrong_secret = request(
            "904x2x1",
            &[
                open,
                got,
                ("c.a.pats.service.DefaultTokenValidator", "Using password encoder to see if tokens match with hashed token: [{PKCS5S2}abc]"),
                (FILTER, "Auth failure: [Authentication failed for user: admin and token with ID: 355510638677]"),
                close,
            ],
        );
        let dto = KB.lines().nth(4).unwrap();
        let dto = &dto[dto.find("] Authentication successful").unwrap() + 2..];
        let deactivated = request(
            "904x3x1",
            &[
                open,
                got,
                (svc, dto),
                (
                    "c.a.pats.checker.JiraProductUserProvider",
                    "Looking for Jira user with key: [admin]",
                ),
                (
                    FILTER,
                    "Auth failure: [Unable to locate active user: admin]",
                ),
                close,
            ],
        );
        let not_pat = request(
            "904x4x1",
            &[
                open,
                (FILTER, "Auth failure: [Illegal base64 character 2e]"),
                close,
            ],
        );
        let log = format!("{unknown}{wrong_secret}{deactivated}{not_pat}");
        let (reqs, _) = scan_chunks(log.as_bytes(), 4096);
        let outcomes: Vec<_> = reqs.iter().map(|r| r.outcome.unwrap()).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Failure,
                Outcome::Failure,
                Outcome::Failure,
                Outcome::NotPat
            ],
            "{reqs:#?}"
        );
        assert!(reqs[..3]
            .iter()
            .all(|r| r.token_id.as_deref() == Some("355510638677")));

        // pats-service-trace logs no verdict at all: today's rules, the record is the
        // success and a token id that never reaches one failed.
        let service: String = format!("{KB}{unknown}")
            .lines()
            .filter(|l| l.contains("[c.a.pats.service."))
            .map(|l| format!("{l}\n"))
            .collect();
        let (reqs, _) = scan_chunks(service.as_bytes(), 4096);
        let outcomes: Vec<_> = reqs.iter().map(|r| r.outcome.unwrap()).collect();
        assert_eq!(outcomes, [Outcome::Success, Outcome::Failure], "{reqs:#?}");
    }

    #[test]
    fn token_dates_read_in_the_lines_offset_are_marked() {
        let dates_guessed = |log: &str, zone: TimeZone| {
            let mut s = Scanner::new(Zone::new(zone));
            let mut reqs = Vec::new();
            s.feed(log.as_bytes(), &mut |r| reqs.push(r));
            s.end_stream(&mut |r| reqs.push(r));
            let info = reqs[0].info.clone().unwrap();
            (
                info.dates_in_line_offset,
                info.created_at.unwrap().rfc3339(),
            )
        };
        // The zone gives the lines' offset: taken for the JVM's.
        assert_eq!(
            dates_guessed(KB, TimeZone::UTC),
            (false, "2022-10-11T14:51:57.933+00:00".into())
        );
        // A log written at +09:00 read in UTC: the line's offset is all there is.
        let tokyo = KB.replace("+0000 ", "+0900 ");
        assert_eq!(
            dates_guessed(&tokyo, TimeZone::UTC),
            (true, "2022-10-11T14:51:57.933+09:00".into())
        );
        let tz = TimeZone::get("Asia/Tokyo").unwrap();
        assert!(!dates_guessed(&tokyo, tz).0);
    }

    #[test]
    fn a_huge_line_is_counted_and_skipped_in_bounded_memory() {
        let mut data = Vec::new();
        data.extend_from_slice(b"2022-10-11 15:04:09,100+0000 main INFO      [c.a.Foo] ");
        data.extend(std::iter::repeat_n(b'x', 10 << 20));
        data.push(b'\n');
        data.extend_from_slice(KB.as_bytes());
        let mut s = Scanner::new(Zone::new(TimeZone::UTC));
        let mut n = 0;
        s.begin_file();
        for c in data.chunks(1 << 20) {
            s.feed(c, &mut |_| n += 1);
            assert!(s.carry.capacity() <= 2 * MAX_LINE);
        }
        s.end_stream(&mut |_| n += 1);
        assert_eq!(s.stats().lines, 11);
        assert_eq!(n, 1);
    }
}
