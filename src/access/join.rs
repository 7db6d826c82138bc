//! The join of PAT requests (from `atlassian-jira.log`) to their access-log lines, one
//! node at a time.
//!
//! Request ids repeat across JVM restarts, days and nodes (jira-facts §7), so a line joins
//! a request only when its id is equal *and* its `%t` is within [`WINDOW_MS`] of the
//! request's first PAT line. Both logs are streamed: the access log is read in file order
//! (Tomcat writes a line when the request completes, so the file is in completion order
//! while `%t` is the start) only as far as the application log has got, less [`LAG_MS`],
//! the longest the correlator may hold a request back. An access line whose id no waiting
//! request has is dropped at once, after a look-up on borrowed bytes; a waiting request
//! that the access log has passed by more than [`WINDOW_MS`] is given up. Memory is the
//! requests of a few minutes, whatever the size of either log.

use super::{DurationUnit, Pattern};
use crate::scan::input::InputError;
use crate::scan::Request;
use crate::untrusted::Untrusted;
use std::collections::{BTreeMap, HashMap};

/// How far apart a request's first PAT line and its `%t` may be ("a few minutes": the
/// PAT lines come at the start of a request, `%t` is when Tomcat received it).
pub const WINDOW_MS: i64 = 5 * 60_000;
/// How far behind the application log the access log is read: the correlator emits a
/// request at its last line, or up to 150 s (quiet time plus sweep period) after it.
pub const LAG_MS: i64 = 3 * 60_000;

/// What the access log tells of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Http {
    /// `%s`; `None` when the pattern lacks it or the line shows `-`.
    pub status: Option<u16>,
    /// `%b`/`%B` response bytes (`%b`'s `-` is 0); `None` when the pattern lacks both.
    pub bytes: Option<u64>,
    /// `%D` or `%T`, converted to microseconds whatever unit Tomcat wrote; `None` without either.
    pub duration_us: Option<u64>,
    /// `%{User-Agent}i`, Tomcat's escapes undone into the one type that cannot be printed
    /// raw; `None` when absent or `-`.
    pub user_agent: Option<Untrusted>,
}

/// Access-log lines in file order.
pub trait Lines {
    /// The next complete line without its newline; `None` when there is none (yet).
    fn next_line(&mut self) -> Result<Option<&[u8]>, InputError>;
    /// Whether more lines may arrive after `None` (a followed live log).
    fn is_live(&self) -> bool {
        false
    }
    /// Whether a line of the current file may be quoted in a warning: only when the
    /// file's name looks like an access log's, so that a file named by mistake (or by
    /// someone else) is never shown.
    fn quotable(&self) -> bool {
        true
    }
}

impl Lines for super::files::LineReader {
    fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        super::files::LineReader::next_line(self)
    }

    fn quotable(&self) -> bool {
        self.current_file()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().contains("access"))
    }
}

/// Counts for the report: how well the join went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JoinStats {
    /// PAT requests that found their access-log line.
    pub joined: u64,
    /// PAT requests that did not.
    pub unjoined: u64,
    /// Of the unjoined, those outside the time the access log covers (a different day's
    /// file, a log that starts later): not a sign of a wrong pattern or node pairing.
    pub outside: u64,
    /// Access-log lines read.
    pub lines: u64,
    /// Lines that do not fit the pattern.
    pub unparsed: u64,
}

/// Waiting requests by request id: keys into the deadline-ordered map.
type ById = HashMap<Box<[u8]>, Vec<(i64, u64)>, rustc_hash::FxBuildHasher>;

struct Waiting {
    request: Request,
    deadline: i64,
}

/// Joins one node's PAT requests to that node's access log.
pub struct Joiner<S: Lines> {
    src: S,
    m: Matcher,
    seq: u64,
    /// Latest first-line time and latest last-line time of the requests pushed.
    hi: i64,
    hi_last: i64,
    /// A line read beyond the current bound, held until the bound passes it.
    peeked: Option<(i64, Vec<u8>)>,
    exhausted: bool,
    first_unparsed: Option<String>,
}

/// The waiting requests and what the lines read so far told; apart from the line source
/// so that a line borrowed from it can be matched here.
struct Matcher {
    pattern: Pattern,
    unit: DurationUnit,
    by_id: ById,
    /// Boxed: a B-tree shifts its values on insert, and a request is a few hundred bytes.
    by_deadline: BTreeMap<(i64, u64), Box<Waiting>>,
    stats: JoinStats,
    /// Latest `%t` consumed, and the span of `%t` seen.
    file_time: i64,
    span: Option<(i64, i64)>,
}

impl<S: Lines> Joiner<S> {
    /// A join that reads `src` by `pattern`, taking `%D` in `unit`; nothing is read yet.
    pub fn new(pattern: Pattern, unit: DurationUnit, src: S) -> Self {
        Joiner {
            src,
            m: Matcher {
                pattern,
                unit,
                by_id: HashMap::default(),
                by_deadline: BTreeMap::new(),
                stats: JoinStats::default(),
                file_time: i64::MIN,
                span: None,
            },
            seq: 0,
            hi: i64::MIN,
            hi_last: i64::MIN,
            peeked: None,
            exhausted: false,
            first_unparsed: None,
        }
    }

    /// How the join went so far: joined, unjoined, outside the access log's time, lines read.
    pub fn stats(&self) -> JoinStats {
        self.m.stats
    }

    /// What the warning about lines that do not fit says of the first one: `, e.g.
    /// `<excerpt>``, or why none is quoted.
    pub fn first_unparsed(&self) -> Option<&str> {
        self.first_unparsed.as_deref()
    }

    /// The line source (a live one is refilled between reads).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.src
    }

    /// Requests waiting for their line now.
    pub fn waiting(&self) -> usize {
        self.m.by_deadline.len()
    }

    /// A PAT request from the application log. Joined (or given-up) requests go to `out`.
    pub fn push(
        &mut self,
        r: Request,
        out: &mut dyn FnMut(Request, Option<Http>),
    ) -> Result<(), InputError> {
        self.hi = self.hi.max(r.ts.ms);
        self.hi_last = self.hi_last.max(r.last_ms.max(r.ts.ms));
        if r.request_id.is_empty() {
            self.m.stats.unjoined += 1;
            out(r, None);
            return Ok(());
        }
        let deadline = r.last_ms.max(r.ts.ms).saturating_add(WINDOW_MS);
        let key = (deadline, self.seq);
        self.seq += 1;
        self.m
            .by_id
            .entry(r.request_id.as_bytes().into())
            .or_default()
            .push(key);
        self.m.by_deadline.insert(
            key,
            Box::new(Waiting {
                request: r,
                deadline,
            }),
        );
        self.advance_to(self.hi.saturating_sub(LAG_MS), out)
    }

    /// Read the access log up to `%t` = `bound` (a live capture also calls this with the
    /// wall clock, so that a quiet application log does not hold the access log back).
    pub fn advance_to(
        &mut self,
        bound: i64,
        out: &mut dyn FnMut(Request, Option<Http>),
    ) -> Result<(), InputError> {
        if let Some((t, _)) = &self.peeked {
            if *t > bound {
                self.expire(out);
                return Ok(());
            }
            let (t, line) = self.peeked.take().expect("checked above");
            let id = self.m.pattern.parse_key(&line).and_then(|(_, id)| id);
            self.m.consume(t, id, &line, out);
        }
        loop {
            let line = match self.src.next_line()? {
                Some(l) => l,
                None => {
                    self.exhausted = !self.src.is_live();
                    break;
                }
            };
            self.m.stats.lines += 1;
            let Some((t, id)) = self.m.pattern.parse_key(line) else {
                self.m.stats.unparsed += 1;
                if self.first_unparsed.is_none() {
                    let shown = crate::warn::excerpt(line);
                    self.first_unparsed = Some(if self.src.quotable() {
                        format!(", e.g. `{shown}`")
                    } else {
                        " (none is quoted: the file's name does not look like an access log)"
                            .to_string()
                    });
                }
                continue;
            };
            if t > bound {
                self.peeked = Some((t, line.to_vec()));
                break;
            }
            self.m.consume(t, id, line, out);
        }
        self.expire(out);
        Ok(())
    }

    /// The application log has ended: read the access log as far as any waiting request
    /// could be, and give up the rest.
    pub fn finish(&mut self, out: &mut dyn FnMut(Request, Option<Http>)) -> Result<(), InputError> {
        if !self.m.by_deadline.is_empty() {
            self.advance_to(self.hi_last.saturating_add(WINDOW_MS), out)?;
        }
        let rest = std::mem::take(&mut self.m.by_deadline);
        self.m.by_id.clear();
        for (_, w) in rest {
            self.give_up(w.request, out);
        }
        Ok(())
    }

    /// Give up the requests the access log has passed by more than the window.
    fn expire(&mut self, out: &mut dyn FnMut(Request, Option<Http>)) {
        let now = match (&self.peeked, self.exhausted) {
            (_, true) => i64::MAX,
            (Some((t, _)), _) => self.m.file_time.max(*t),
            (None, _) => self.m.file_time,
        };
        while let Some(entry) = self.m.by_deadline.first_entry() {
            if entry.get().deadline >= now {
                break;
            }
            let key = *entry.key();
            let w = entry.remove();
            forget(&mut self.m.by_id, w.request.request_id.as_bytes(), key);
            self.give_up(w.request, out);
        }
    }

    fn give_up(&mut self, r: Request, out: &mut dyn FnMut(Request, Option<Http>)) {
        self.m.stats.unjoined += 1;
        let covered = self
            .m
            .span
            .is_some_and(|(lo, hi)| r.ts.ms >= lo - WINDOW_MS && r.ts.ms <= hi + WINDOW_MS);
        if !covered {
            self.m.stats.outside += 1;
        }
        out(r, None);
    }
}

fn forget(by_id: &mut ById, id: &[u8], key: (i64, u64)) {
    if let Some(keys) = by_id.get_mut(id) {
        keys.retain(|k| *k != key);
        if keys.is_empty() {
            by_id.remove(id);
        }
    }
}

impl Matcher {
    /// One line at `%t` = `t`: joined to the waiting request with its id closest in time,
    /// if any is within the window; otherwise dropped.
    fn consume(
        &mut self,
        t: i64,
        id: Option<&[u8]>,
        line: &[u8],
        out: &mut dyn FnMut(Request, Option<Http>),
    ) {
        self.file_time = self.file_time.max(t);
        self.span = Some(match self.span {
            None => (t, t),
            Some((lo, hi)) => (lo.min(t), hi.max(t)),
        });
        let Some(id) = id else {
            return;
        };
        let Some(keys) = self.by_id.get(id) else {
            return;
        };
        let best = keys
            .iter()
            .filter_map(|k| {
                self.by_deadline
                    .get(k)
                    .map(|w| (k, (w.request.ts.ms - t).abs()))
            })
            .filter(|(_, d)| *d <= WINDOW_MS)
            .min_by_key(|(_, d)| *d)
            .map(|(k, _)| *k);
        let Some(key) = best else {
            return;
        };
        let Some(e) = self.pattern.parse_line(line, self.unit) else {
            self.stats.unparsed += 1;
            return;
        };
        let http = Http {
            status: e.status,
            bytes: e.bytes,
            duration_us: e.duration_us,
            user_agent: e.user_agent.map(unescape),
        };
        let w = self.by_deadline.remove(&key).expect("listed by id");
        forget(&mut self.by_id, id, key);
        self.stats.joined += 1;
        out(w.request, Some(http));
    }
}

/// A header value as the client sent it: Tomcat writes `"` as `\"`, `\` as `\\`, and
/// control characters as `\n`, `\t`, … or `\uXXXX`. What they decode to (an ESC, a BEL)
/// is the client's, so it comes back only as [`Untrusted`].
pub fn unescape(v: &[u8]) -> Untrusted {
    Untrusted::new(decode(v))
}

fn decode(v: &[u8]) -> String {
    let s = unescaped(v);
    // Tomcat reads a header as ISO-8859-1 and escapes each byte above 0x7e as `\u00XX`:
    // a client's UTF-8 comes back as one char per byte. Read as bytes, it is UTF-8 again.
    if s.chars().any(|c| c > '\u{7f}') && s.chars().all(|c| c <= '\u{ff}') {
        let bytes: Vec<u8> = s.chars().map(|c| c as u8).collect();
        if let Ok(utf8) = String::from_utf8(bytes) {
            return utf8;
        }
    }
    s
}

fn unescaped(v: &[u8]) -> String {
    if memchr::memchr(b'\\', v).is_none() {
        // Valid UTF-8 is the rule: checked without the lossy decoder's per-chunk walk.
        return match std::str::from_utf8(v) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(v).into_owned(),
        };
    }
    let s = String::from_utf8_lossy(v);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Lines handed out one by one, as a file would.
    struct VecLines {
        lines: VecDeque<Vec<u8>>,
        current: Vec<u8>,
    }

    impl VecLines {
        fn new(lines: Vec<String>) -> Self {
            VecLines {
                lines: lines.into_iter().map(String::into_bytes).collect(),
                current: Vec::new(),
            }
        }
    }

    impl Lines for VecLines {
        fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
            match self.lines.pop_front() {
                Some(l) => {
                    self.current = l;
                    Ok(Some(&self.current))
                }
                None => Ok(None),
            }
        }
    }

    const T0: i64 = 1_795_600_800_000; // 2026-11-25T10:00:00Z

    fn request(id: &str, ms: i64) -> Request {
        Request {
            last_ms: ms + 20,
            ..Request::success_for_tests(id, "355510638677", ms)
        }
    }

    fn line(id: &str, ms: i64, status: u16, agent: &str) -> String {
        let t = jiff::Timestamp::from_millisecond(ms)
            .unwrap()
            .strftime("%d/%b/%Y:%H:%M:%S +0000");
        format!("10.0.0.1 {id} admin [{t}] \"GET /rest/api/2/myself HTTP/1.1\" {status} 1234 57 \"-\" \"{agent}\" \"-\"")
    }

    fn run(
        requests: Vec<Request>,
        lines: Vec<String>,
    ) -> (Vec<(Request, Option<Http>)>, JoinStats) {
        let mut j = Joiner::new(Pattern::stock(), DurationUnit::Ms, VecLines::new(lines));
        let mut got = Vec::new();
        for r in requests {
            j.push(r, &mut |r, h| got.push((r, h))).unwrap();
        }
        j.finish(&mut |r, h| got.push((r, h))).unwrap();
        (got, j.stats())
    }

    #[test]
    fn a_request_joins_its_line_by_id_and_time() {
        let (got, st) = run(
            vec![request("600x7x1", T0 + 300)],
            vec![
                line("600x6x1", T0, 200, "other"),
                line("600x7x1", T0, 404, "python-requests/2.31.0"),
                line("-", T0 + 1000, 200, "no id"),
            ],
        );
        assert_eq!(got.len(), 1);
        let h = got[0].1.as_ref().expect("joined");
        assert_eq!(h.status, Some(404));
        assert_eq!(h.bytes, Some(1234));
        assert_eq!(h.duration_us, Some(57_000));
        assert_eq!(
            h.user_agent.as_ref().map(Untrusted::raw),
            Some("python-requests/2.31.0")
        );
        assert_eq!((st.joined, st.unjoined, st.lines), (1, 0, 3));
    }

    #[test]
    fn agents_read_as_sent() {
        assert_eq!(unescape(br#"curl/8.5.0"#), "curl/8.5.0");
        assert_eq!(unescape(br#"a \"b\" c\\d\u0007"#), "a \"b\" c\\d\u{7}");
        // A right-to-left override sent as UTF-8, logged by Tomcat byte by byte.
        assert_eq!(unescape(br#"x\u00e2\u0080\u00aey"#), "x\u{202e}y");
        assert_eq!(unescape(br#"\u001b]0;t\u0007"#), "\u{1b}]0;t\u{7}");
        // Latin-1 that is no UTF-8 stays what it was.
        assert_eq!(unescape(br#"caf\u00e9"#), "café");
    }

    #[test]
    fn the_same_id_a_day_earlier_is_another_request() {
        let day = 86_400_000;
        let (got, st) = run(
            vec![request("600x7x1", T0 + 300)],
            vec![
                line("600x7x1", T0 - day, 500, "yesterday"),
                line("600x7x1", T0, 200, "today"),
            ],
        );
        assert_eq!(
            got[0]
                .1
                .as_ref()
                .unwrap()
                .user_agent
                .as_ref()
                .map(Untrusted::raw),
            Some("today")
        );
        assert_eq!(st.joined, 1);

        let (got, st) = run(
            vec![request("600x7x1", T0 + 300)],
            vec![line("600x7x1", T0 - day, 500, "yesterday")],
        );
        assert!(got[0].1.is_none(), "never joined by id alone");
        assert_eq!((st.joined, st.unjoined, st.outside), (0, 1, 1));
    }

    #[test]
    fn memory_holds_minutes_of_requests_not_the_whole_log() {
        // Ten requests a second for about three hours of log time, each access line
        // written as its request completes.
        let n = 100_000;
        let lines: Vec<String> = (0..n)
            .map(|i| line(&format!("{}x{i}x1", 600 + i / 600), T0 + i * 100, 200, "a"))
            .collect();
        let mut j = Joiner::new(Pattern::stock(), DurationUnit::Ms, VecLines::new(lines));
        let mut joined = 0u64;
        let mut most = 0;
        for i in 0..n {
            let r = request(&format!("{}x{i}x1", 600 + i / 600), T0 + i * 100 + 5);
            j.push(r, &mut |_, h| joined += u64::from(h.is_some()))
                .unwrap();
            most = most.max(j.waiting());
        }
        j.finish(&mut |_, h| joined += u64::from(h.is_some()))
            .unwrap();
        assert_eq!(joined, n as u64);
        // The lag plus the window at ten a second, with room: far below the 100,000.
        let bound = ((LAG_MS + WINDOW_MS) / 100 + 100) as usize;
        assert!(
            most <= bound,
            "{most} requests waited at once (bound {bound})"
        );
    }
}
