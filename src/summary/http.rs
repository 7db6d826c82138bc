//! What the access-log join adds to a summary: per token (and per failed token id, and
//! for Bearer values that are no PAT) statuses, latency percentiles, bytes and
//! User-Agents; and per minute counts for the rate-limiting view.

use crate::access::join::Http;
use crate::untrusted::Untrusted;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Distinct User-Agents kept per group; the rest count under `(other)`.
const MAX_AGENTS: usize = 100;
const OTHER: &str = "(other)";

/// Latencies up to an hour, in microseconds, to three significant digits: a fixed
/// few tens of KiB per group whatever the number of requests.
fn histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static bounds")
}

/// The access-log side of one group of requests.
#[derive(Debug, Default)]
pub(crate) struct HttpStats {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    latency: Option<hdrhistogram::Histogram<u64>>,
    bytes: u64,
    agents: HashMap<String, u64, rustc_hash::FxBuildHasher>,
}

impl HttpStats {
    pub(crate) fn add(&mut self, h: &Http) {
        self.requests += 1;
        if let Some(s) = h.status {
            *self.statuses.entry(s).or_default() += 1;
        }
        if let Some(d) = h.duration_us {
            let hist = self.latency.get_or_insert_with(histogram);
            hist.saturating_record(d.max(1));
        }
        self.bytes += h.bytes.unwrap_or(0);
        let ua = h.user_agent.as_ref().map_or("-", Untrusted::raw);
        if let Some(n) = self.agents.get_mut(ua) {
            *n += 1;
        } else if self.agents.len() < MAX_AGENTS {
            self.agents.insert(ua.to_string(), 1);
        } else {
            *self.agents.entry(OTHER.to_string()).or_default() += 1;
        }
    }

    pub(crate) fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn report(&self) -> Option<HttpReport> {
        if self.requests == 0 {
            return None;
        }
        let mut user_agents: Vec<AgentCount> = self
            .agents
            .iter()
            .map(|(a, n)| AgentCount {
                user_agent: a.as_str().into(),
                requests: *n,
            })
            .collect();
        user_agents.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.user_agent.cmp(&b.user_agent))
        });
        let ms = |us: u64| (us as f64 / 100.0).round() / 10.0;
        Some(HttpReport {
            requests: self.requests,
            statuses: self
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            latency_ms: self.latency.as_ref().map(|h| Latency {
                p50: ms(h.value_at_quantile(0.50)),
                p95: ms(h.value_at_quantile(0.95)),
                max: ms(h.max()),
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
