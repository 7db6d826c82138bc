//! The parallel scan's first stage: a chunk of whole lines turned into compact events on
//! any thread, and their application, in order, to the one [`Scanner`] that correlates.
//!
//! A worker does what costs per byte (counting lines, the literal prefilter, parsing the
//! candidate lines); what it hands on is small: counts, the first unreadable line, and
//! each PAT line copied once with the offsets of its fields. The correlator rebuilds the
//! [`LogLine`]s from those offsets and treats them exactly as [`Scanner::feed`] does, so
//! the report does not depend on how the input was cut or how many threads read it.

use super::line::{self, LogLine};
use super::{next_candidate, pat, time, Candidate, Prefilter, Request, Scanner, Zone};
use super::{MAX_LINE, ODD_KEPT, PROBE_LINES};
use std::ops::Range;

/// Bytes past a chunk's end that finish its last line: more than [`MAX_LINE`], so a line
/// cut there is known to be over-long, with room for a literal that starts before it.
pub(crate) const LINE_TAIL: usize = MAX_LINE + 64;

/// Part of an event's line: start and length.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn of(part: &[u8], whole: &[u8]) -> Span {
        if part.is_empty() {
            // Empty fields may point anywhere (a static empty slice).
            return Span::default();
        }
        Span {
            start: (part.as_ptr() as usize - whole.as_ptr() as usize) as u32,
            len: part.len() as u32,
        }
    }

    fn get(self, b: &[u8]) -> &[u8] {
        &b[self.start as usize..(self.start + self.len) as usize]
    }
}

/// One PAT line: its bytes in the chunk's arena and its fields within them.
#[derive(Debug)]
struct Event {
    ts: time::Ts,
    raw: Span,
    /// thread, level, username, request id, session id, ip, url, category, message.
    fields: [Span; 9],
}

/// What a worker made of one chunk.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    /// Bytes of the input this stands for.
    pub(crate) bytes: u64,
    /// Newlines in the chunk's own bytes.
    lines: u64,
    /// Whether the chunk's last byte is a newline; `None` for no bytes.
    pub(crate) ends_with_newline: Option<bool>,
    /// Of the lines starting in the chunk (the first [`PROBE_LINES`]), how many were
    /// probed and which first read as a Jira log line.
    probe_seen: u32,
    probe_first: Option<u32>,
    long_lines: u64,
    unreadable: u64,
    odd: Option<Vec<u8>>,
    arena: Vec<u8>,
    events: Vec<Event>,
}

/// The buffers of a spent [`Prepared`], to be filled again: fresh ones would cost a
/// page fault per page for every chunk.
#[derive(Default)]
pub(crate) struct Spare {
    arena: Vec<u8>,
    events: Vec<Event>,
}

impl Prepared {
    /// Its buffers, emptied.
    pub(crate) fn into_spare(self) -> Spare {
        let (mut arena, mut events) = (self.arena, self.events);
        arena.clear();
        events.clear();
        Spare { arena, events }
    }
}

/// A worker's prefilter and zone (a cache only: any copy reads times alike).
pub(crate) struct Preparer {
    prefilter: Prefilter,
    zone: Zone,
}

impl Preparer {
    /// A preparer reading offsetless times in `zone`.
    pub(crate) fn new(zone: Zone) -> Self {
        Preparer {
            prefilter: Prefilter::new(),
            zone,
        }
    }

    /// The chunk `data[own]`: the lines that start in it, whole. The byte before `own`
    /// (when there is one) tells whether a line starts at its first byte; the bytes after
    /// it finish its last line (up to [`LINE_TAIL`] of them, or the end of the input).
    /// Lines are counted by the newlines inside `own`, so each is counted once.
    pub(crate) fn prepare(&mut self, data: &[u8], own: Range<usize>, spare: Spare) -> Prepared {
        let mut p = Prepared {
            arena: spare.arena,
            events: spare.events,
            ..Prepared::default()
        };
        let bytes = &data[own.clone()];
        p.bytes = bytes.len() as u64;
        let Some(&last) = bytes.last() else {
            return p;
        };
        p.ends_with_newline = Some(last == b'\n');
        p.lines = memchr::memchr_iter(b'\n', bytes).count() as u64;
        let first = if own.start == 0 || data[own.start - 1] == b'\n' {
            own.start
        } else {
            match memchr::memchr(b'\n', bytes) {
                Some(i) => own.start + i + 1,
                None => return p,
            }
        };
        if first >= own.end {
            return p;
        }
        let end = match memchr::memchr(b'\n', &data[own.end - 1..]) {
            Some(i) => own.end + i,
            None => data.len(),
        };
        let region = &data[first..end];
        self.probe(region, &mut p);
        let mut pos = 0;
        while let Some(c) = next_candidate(&self.prefilter, region, &mut pos) {
            match c {
                Candidate::Line(l) => self.line(l, &mut p),
                Candidate::Long => p.long_lines += 1,
            }
        }
        p
    }

    fn probe(&mut self, region: &[u8], p: &mut Prepared) {
        let lines = region.strip_suffix(b"\n").unwrap_or(region);
        for (i, l) in lines
            .split(|&c| c == b'\n')
            .take(PROBE_LINES as usize)
            .enumerate()
        {
            p.probe_seen = i as u32 + 1;
            if line::parse(l, &mut self.zone).is_some() {
                p.probe_first = Some(i as u32);
                break;
            }
        }
    }

    /// As Scanner::line, up to the correlator.
    fn line(&mut self, raw: &[u8], p: &mut Prepared) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        match line::parse(raw, &mut self.zone) {
            Some(l) if pat::is_pat_category(l.category) => {
                let base = p.arena.len() as u32;
                p.arena.extend_from_slice(raw);
                let f = |part: &[u8]| Span::of(part, raw);
                p.events.push(Event {
                    ts: l.ts,
                    raw: Span {
                        start: base,
                        len: raw.len() as u32,
                    },
                    fields: [
                        f(l.thread),
                        f(l.level),
                        f(l.username),
                        f(l.request_id),
                        f(l.session_id),
                        f(l.ip),
                        f(l.url),
                        f(l.category),
                        f(l.message),
                    ],
                });
            }
            Some(_) => {}
            None => {
                if self.prefilter.find(raw).is_some()
                    && time::parse_prefix(raw, &mut self.zone).is_some()
                {
                    p.unreadable += 1;
                    if p.odd.is_none() {
                        p.odd = Some(raw[..raw.len().min(ODD_KEPT)].to_vec());
                    }
                }
            }
        }
    }
}

impl Scanner {
    /// Take the next chunk of the current file, prepared by a worker.
    pub(crate) fn apply(&mut self, p: &Prepared, out: &mut dyn FnMut(Request)) {
        self.stats.bytes += p.bytes;
        self.stats.lines += p.lines;
        if self.probe_left > 0 && p.probe_seen > 0 {
            match p.probe_first {
                Some(i) if i < self.probe_left => {
                    self.probe_hit = true;
                    self.probe_left = 0;
                }
                _ => self.probe_left -= p.probe_seen.min(self.probe_left),
            }
        }
        self.stats.long_lines += p.long_lines;
        self.stats.unreadable_pat_lines += p.unreadable;
        if self.odd_line.is_none() {
            self.odd_line.clone_from(&p.odd);
        }
        for e in &p.events {
            let raw = e.raw.get(&p.arena);
            let [thread, level, username, request_id, session_id, ip, url, category, message] =
                e.fields.map(|s| s.get(raw));
            let l = LogLine {
                ts: e.ts,
                thread,
                level,
                username,
                request_id,
                session_id,
                ip,
                url,
                category,
                message,
            };
            // The worker kept only PAT classes' lines.
            self.known_pat_line(&l, raw.len(), out);
        }
    }

    /// The current file ended in a line without a newline: one more line.
    pub(crate) fn count_unterminated_line(&mut self) {
        self.stats.lines += 1;
    }

    /// Whether lines may be prepared apart from this scanner (no watch holds lines back).
    pub(crate) fn parallel_ok(&self) -> bool {
        self.watch.is_empty()
    }

    /// A preparer for a worker, reading times as this scanner does.
    pub(crate) fn preparer(&self) -> Preparer {
        Preparer::new(self.zone.clone())
    }
}
