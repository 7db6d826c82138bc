//! What each profile would cost before any window: from the rate of every request Jira
//! serves and the rate of those with a token, the lines and bytes per hour each profile
//! writes (its `[cost]`: lines per PAT request, lines per other request), and the cheapest
//! that still names the token of every request.
//!
//! The total rate is read from Jira's request counter (the `X-AREQUESTID` of two light
//! requests some seconds apart, read-only): it needs no access to the install's files.

use super::selfcheck;
use crate::jira::{Client, JiraError};
use crate::profiles::Profile;
use crate::source::tail::{Tail, TailError, Transports};
use crate::source::LogSource;
use std::time::{Duration, Instant};

/// A layout line of the filter's `>>>`/`<<<` kind (date, thread, MDC, category, message).
const OTHER_LINE_BYTES: f64 = 185.0;
/// PAT lines are longer on average: the token record line alone is ~450 bytes.
const PAT_LINE_BYTES: f64 = 250.0;

/// Why a read-only sample could not measure the request rate.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// Jira could not be asked (connection, login, TLS).
    #[error(transparent)]
    Jira(#[from] JiraError),
    /// The answers had no `X-AREQUESTID` to read the request counter from.
    #[error("Jira's answers carry no request id (X-AREQUESTID; a proxy may drop it), so its request rate cannot be measured")]
    NoRequestId,
    /// The two counter readings came from different nodes (their `X-ANODEID`s, `?` if absent).
    #[error("the two readings came from different Data Center nodes ({0} then {1}): their counters differ; sample one node directly (its own URL)")]
    NodeChanged(String, String),
    /// A `--log` could not be followed to measure its growth.
    #[error(transparent)]
    Log(#[from] TailError),
}

/// What a read-only sample measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    /// Wall-clock length of the sample, in seconds (shorter than asked after Ctrl-C).
    pub seconds: f64,
    /// Every request the node served, per second (ours left out).
    pub requests_per_sec: f64,
    /// The log's growth per second at the current levels.
    pub log_bytes_per_sec: f64,
    /// The node that answered (`X-ANODEID`); `None` when Jira sent none (a single server).
    pub node: Option<String>,
}

/// Measure for `length` without changing anything: Jira's request counter at both ends,
/// the logs' growth in between. `stop` ends it early (Ctrl-C).
pub fn sample(
    client: &Client,
    logs: &[LogSource],
    length: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<Sample, EstimateError> {
    let mut net = Transports::new();
    let mut followers = Vec::new();
    for l in logs {
        followers.push(Tail::start(l, &mut net, Duration::from_millis(100))?);
    }
    let (c0, n0) = client
        .request_counter()?
        .ok_or(EstimateError::NoRequestId)?;
    let started = Instant::now();
    let mut buf = vec![0u8; 1 << 16];
    while started.elapsed() < length && !stop() {
        std::thread::sleep(Duration::from_millis(100).min(length));
        for f in &mut followers {
            let _ = f.poll(&mut buf, &mut |_, _| {}, &mut |_| {});
        }
    }
    // Behind a balancer the second reading may come from another node, whose counter
    // is its own: ask again (a round-robin balancer comes back within a turn).
    let mut second = client
        .request_counter()?
        .ok_or(EstimateError::NoRequestId)?;
    for _ in 0..16 {
        if second.1 == n0 {
            break;
        }
        second = client
            .request_counter()?
            .ok_or(EstimateError::NoRequestId)?;
    }
    let (c1, n1) = second;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    if n0 != n1 {
        return Err(EstimateError::NodeChanged(
            n0.unwrap_or_else(|| "?".into()),
            n1.unwrap_or_else(|| "?".into()),
        ));
    }
    // The second reading counted itself (and so did any extra one on that node, at most
    // one per turn of the balancer: small against a rate over seconds).
    let served = c1.saturating_sub(c0).saturating_sub(1);
    // A command prints its file from the start: that is no growth.
    let grown: u64 = followers
        .iter()
        .filter(|f| !f.reads_from_start())
        .map(|f| f.bytes)
        .sum();
    Ok(Sample {
        seconds: secs,
        requests_per_sec: served as f64 / secs,
        log_bytes_per_sec: grown as f64 / secs,
        node: n1,
    })
}

/// One profile's expected cost and what it gives.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figure {
    /// The profile's name.
    pub profile: String,
    /// Log lines it would add per hour at the sampled rates.
    pub lines_per_hour: u64,
    /// Bytes per hour, from average line sizes (about 250 bytes a PAT line, 185 another line).
    pub bytes_per_hour: u64,
    /// It names the token (its id) of every PAT request.
    pub names_token: bool,
    /// The profile's `misses`: what it cannot see; `None` when it sees everything.
    pub misses: Option<String>,
}

/// Lines and bytes per hour `p` adds at these rates (requests per second; `pat` of them
/// with a token).
pub fn figure(p: &Profile, requests: f64, pat: f64) -> Figure {
    let pat = pat.min(requests).max(0.0);
    let other = requests - pat;
    let pat_lines = p.cost.pat_request as f64 * pat;
    let other_lines = p.cost.other_request as f64 * other;
    Figure {
        profile: p.name.clone(),
        lines_per_hour: ((pat_lines + other_lines) * 3600.0) as u64,
        bytes_per_hour: ((pat_lines * PAT_LINE_BYTES + other_lines * OTHER_LINE_BYTES) * 3600.0)
            as u64,
        names_token: selfcheck::expectation(p).token_id,
        misses: p.misses.clone(),
    }
}

/// Forecast volume per hour under which `auto` keeps full detail: at this rate the stock
/// rotation (20 MB x 10 backups, jira-facts §6) still holds about ten hours of log, so the
/// lines the cheaper profiles leave out are worth their cost.
pub const FULL_DETAIL_BYTES_PER_HOUR: u64 = 20 * 1024 * 1024;

/// What `--profile auto` takes, with the figures that explain it.
pub struct Choice<'a> {
    /// The profile chosen.
    pub profile: &'a Profile,
    /// Its forecast at the sampled rates.
    pub figure: Figure,
    /// The most detailed profile that names tokens, when another was chosen for its cost.
    pub fuller: Option<Figure>,
    /// The cheapest one, when the fuller was chosen because the traffic is light.
    pub cheaper: Option<Figure>,
}

/// The most detailed profile that names the token of every request (the one writing the
/// most lines) while its forecast stays under [`FULL_DETAIL_BYTES_PER_HOUR`]; else the
/// cheapest that names them.
pub fn choose(profiles: &[Profile], requests: f64, pat: f64) -> Option<Choice<'_>> {
    let (cheap, cheap_fig, _) = cheapest(profiles, requests, pat)?;
    let (full, full_fig) = profiles
        .iter()
        .map(|p| (p, figure(p, requests, pat)))
        .filter(|(_, f)| f.names_token)
        .max_by_key(|(p, _)| (p.cost.pat_request, p.cost.other_request, p.name.clone()))?;
    if full.name != cheap.name && full_fig.bytes_per_hour <= FULL_DETAIL_BYTES_PER_HOUR {
        return Some(Choice {
            profile: full,
            figure: full_fig,
            fuller: None,
            cheaper: Some(cheap_fig),
        });
    }
    let fuller = (full.name != cheap.name).then_some(full_fig);
    Some(Choice {
        profile: cheap,
        figure: cheap_fig,
        fuller,
        cheaper: None,
    })
}

/// The cheapest profile (by bytes) that names the token of every request, and the next
/// cheapest that does, for the one-line explanation.
pub fn cheapest(
    profiles: &[Profile],
    requests: f64,
    pat: f64,
) -> Option<(&Profile, Figure, Option<Figure>)> {
    let mut ranked: Vec<(&Profile, Figure)> = profiles
        .iter()
        .map(|p| (p, figure(p, requests, pat)))
        .filter(|(_, f)| f.names_token)
        .collect();
    // Ties (a quiet Jira costs nothing either way) go to fewer lines per request.
    ranked.sort_by_key(|(p, f)| {
        (
            f.bytes_per_hour,
            f.lines_per_hour,
            p.cost.other_request,
            p.cost.pat_request,
            p.name.clone(),
        )
    });
    let mut it = ranked.into_iter();
    let (p, f) = it.next()?;
    Some((p, f, it.next().map(|(_, f)| f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtins() -> Vec<Profile> {
        crate::profiles::BUILTIN
            .iter()
            .map(|(n, t)| crate::profiles::parse(n, t, crate::profiles::Origin::Builtin).unwrap())
            .collect()
    }

    #[test]
    fn filter_lines_make_non_pat_traffic_cost() {
        let ps = builtins();
        let by = |n: &str| ps.iter().find(|p| p.name == n).unwrap();
        // 100 requests/s, 1 with a token.
        let trace = figure(by("pats-trace"), 100.0, 1.0);
        let service = figure(by("pats-service-trace"), 100.0, 1.0);
        assert_eq!(trace.lines_per_hour, (10 + 2 * 99) * 3600);
        assert_eq!(service.lines_per_hour, 3 * 3600);
        assert!(!figure(by("pats-debug"), 100.0, 1.0).names_token);
        let (best, f, next) = cheapest(&ps, 100.0, 1.0).unwrap();
        assert_eq!(best.name, "pats-service-trace");
        assert_eq!(f.bytes_per_hour, service.bytes_per_hour);
        assert!(next.unwrap().bytes_per_hour > f.bytes_per_hour);
    }

    #[test]
    fn auto_keeps_full_detail_while_the_traffic_is_light() {
        let ps = builtins();
        let quiet = choose(&ps, 0.5, 0.0).unwrap();
        assert_eq!(quiet.profile.name, "pats-trace");
        assert!(quiet.cheaper.is_some() && quiet.fuller.is_none());
        let busy = choose(&ps, 100.0, 0.0).unwrap();
        assert_eq!(busy.profile.name, "pats-service-trace");
        assert_eq!(busy.fuller.unwrap().profile, "pats-trace");
    }
}
