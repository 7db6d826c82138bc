//! What the access-log join adds to a summary: per token (and per failed token id, and
//! for Bearer values that are no PAT) statuses, latency percentiles, bytes and
//! User-Agents; and per minute counts for the rate-limiting view.

use super::fold::Folding;
use crate::access::join::Http;
use crate::untrusted::Untrusted;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Distinct User-Agents listed per group; the rarest past that count under `(other)`.
const MAX_AGENTS: usize = 100;
const OTHER: &str = "(other)";
/// Longest latency told apart (an hour, in microseconds).
const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Distinct latency buckets a group keeps in its sparse form before it takes a full
/// histogram.
const SPARSE_BUCKETS: usize = 256;

/// Latencies up to an hour, in microseconds, to three significant digits: a fixed
/// size (about 190 KiB) per group whatever the number of requests.
fn histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("static bounds")
}

/// A group's latencies. Most groups (a failed token id: a few 401s) see few distinct
/// values, so they start as counts per histogram bucket (a few bytes each) and take a
/// full histogram only past [`SPARSE_BUCKETS`] buckets; the percentiles are the same
/// either way, since the sparse counts are recorded into a histogram to be read.
#[derive(Debug)]
enum Latencies {
    Sparse(BTreeMap<u64, u64>),
    Dense(Box<hdrhistogram::Histogram<u64>>),
}

impl Latencies {
    fn record(&mut self, us: u64) {
        static SHAPE: OnceLock<hdrhistogram::Histogram<u64>> = OnceLock::new();
        let v = us.clamp(1, MAX_LATENCY_US);
        match self {
            Latencies::Dense(h) => h.saturating_record(v),
            Latencies::Sparse(m) => {
                let bucket = SHAPE.get_or_init(histogram).lowest_equivalent(v);
                *m.entry(bucket).or_default() += 1;
                if m.len() > SPARSE_BUCKETS {
                    *self = Latencies::Dense(Box::new(self.histogram()));
                }
            }
        }
    }

    fn histogram(&self) -> hdrhistogram::Histogram<u64> {
        match self {
            Latencies::Dense(h) => (**h).clone(),
            Latencies::Sparse(m) => {
                let mut h = histogram();
                for (v, n) in m {
                    h.saturating_record_n(*v, *n);
                }
                h
            }
        }
    }
}

/// The access-log side of one group of requests.
#[derive(Debug, Default)]
pub(crate) struct HttpStats {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    latency: Option<Latencies>,
    bytes: u64,
    agents: Folding<u64>,
}

impl HttpStats {
    /// One joined request; `limit` caps the User-Agents kept (with [`MAX_AGENTS`]).
    pub(crate) fn add(&mut self, h: &Http, limit: usize) {
        self.requests += 1;
        if let Some(s) = h.status {
            *self.statuses.entry(s).or_default() += 1;
        }
        if let Some(d) = h.duration_us {
            self.latency
                .get_or_insert_with(|| Latencies::Sparse(BTreeMap::new()))
                .record(d);
        }
        self.bytes += h.bytes.unwrap_or(0);
        let ua = h.user_agent.as_ref().map_or("-", Untrusted::raw);
        *self.agents.entry(ua, limit.min(MAX_AGENTS)) += 1;
    }

    pub(crate) fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn report(&self) -> Option<HttpReport> {
        if self.requests == 0 {
            return None;
        }
        let ranked = self.agents.ranked(MAX_AGENTS);
        let mut user_agents: Vec<AgentCount> = ranked
            .kept
            .into_iter()
            .map(|(user_agent, requests)| AgentCount {
                user_agent: user_agent.into(),
                requests,
            })
            .collect();
        if let Some((requests, _)) = ranked.other {
            user_agents.push(AgentCount {
                user_agent: OTHER.into(),
                requests,
            });
        }
        let ms = |us: u64| (us as f64 / 100.0).round() / 10.0;
        Some(HttpReport {
            requests: self.requests,
            statuses: self
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            latency_ms: self.latency.as_ref().map(|l| {
                let h = l.histogram();
                Latency {
                    p50: ms(h.value_at_quantile(0.50)),
                    p95: ms(h.value_at_quantile(0.95)),
                    max: ms(h.max()),
                }
            }),
            bytes: self.bytes,
            user_agents,
        })
    }
}

/// The `http` section of a token, a failed token id or the not-PAT group.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct HttpReport {
    /// Requests joined to their access-log line.
    pub requests: u64,
    /// Per HTTP status, as text (`"200"`), for JSON object keys.
    pub statuses: BTreeMap<String, u64>,
    /// `null` when the access-log pattern has no duration.
    pub latency_ms: Option<Latency>,
    /// Response bytes over the joined requests (`%b`; `-` counts as 0).
    pub bytes: u64,
    /// Distinct User-Agents, most requests first; past 100 the rest count under `(other)`.
    pub user_agents: Vec<AgentCount>,
}

impl HttpReport {
    /// Requests with a status in `lo..=hi`.
    pub fn statuses_in(&self, lo: u16, hi: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| s.parse::<u16>().is_ok_and(|s| (lo..=hi).contains(&s)))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Percentiles to 0.1 ms (recorded to three significant digits).
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq)]
pub struct Latency {
    /// Median duration, milliseconds.
    pub p50: f64,
    /// 95th percentile duration, milliseconds.
    pub p95: f64,
    /// Longest duration, milliseconds.
    pub max: f64,
}

/// Requests per User-Agent (`-` when the line had none).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AgentCount {
    /// The `User-Agent` header as logged, or `(other)` for the ones past the cap.
    pub user_agent: Untrusted,
    /// Joined requests that sent it.
    pub requests: u64,
}

/// Requests per minute (UTC minute number), for peaks.
#[derive(Debug, Default, Clone)]
pub(crate) struct Minutes(pub(crate) BTreeMap<i64, u64>);

impl Minutes {
    pub(crate) fn add(&mut self, ms: i64) {
        *self.0.entry(ms.div_euclid(60_000)).or_default() += 1;
    }

    /// The busiest minute and its count.
    pub(crate) fn peak(&self) -> Option<(i64, u64)> {
        self.0
            .iter()
            .map(|(m, n)| (*m, *n))
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
    }
}
