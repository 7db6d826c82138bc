//! Renderers of a PAT summary: a table for people, JSON (the stable schema), CSV (one row
//! per token), JSONL (one event per request, for Splunk/Elasticsearch/OpenSearch) and
//! SQL (the support article's look-up of the seen token ids). Hashed tokens never reach
//! any of them: the scanner does not keep them.

use crate::access::join::Http;
use crate::scan::{Outcome, Request};
use crate::summary::{HttpReport, Latency, Report};
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Dialect {
    #[default]
    Postgres,
    Mysql,
    Sqlserver,
    Oracle,
}

pub fn json(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

/// CSV has one row per token, so requests whose Bearer value was no PAT have no row:
/// the line to tell the user so (on stderr), if there were any.
pub fn csv_note(r: &Report) -> Option<String> {
    let n = r.not_pat_bearer.requests;
    (n > 0).then(|| {
        format!("note: {n} request(s) carried Bearer credentials that are not personal access tokens; the CSV lists tokens only: --format json or table shows their IPs and paths.")
    })
}

pub fn csv(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "token_id",
        "name",
        "user_key",
        "username",
        "created_at",
        "expires_at",
        "requests",
        "failures",
        "first_seen",
        "last_seen",
        "ips",
        "paths",
        "peak_per_minute",
        "http_requests",
        "status_2xx",
        "status_4xx",
        "status_5xx",
        "status_429",
        "p50_ms",
        "p95_ms",
        "max_ms",
        "bytes",
        "top_user_agent",
    ])?;
    for t in &r.tokens {
        let ips: Vec<String> = t
            .ips
            .iter()
            .map(|c| format!("{}={}", c.ip, counts(c.requests, c.failures)))
            .collect();
        let paths: Vec<String> = t
            .paths
            .iter()
            .map(|c| format!("{}={}", c.path, counts(c.requests, c.failures)))
            .collect();
        w.write_record([
            t.token_id.as_str(),
            t.name.as_deref().unwrap_or(""),
            t.user_key.as_deref().unwrap_or(""),
            t.username.as_deref().unwrap_or(""),
            t.created_at.as_deref().unwrap_or(""),
            t.expires_at
                .as_deref()
                .unwrap_or(if t.expires == "never" { "never" } else { "" }),
            &t.requests.to_string(),
            &t.failures.to_string(),
            t.first_seen.as_deref().unwrap_or(""),
            t.last_seen.as_deref().unwrap_or(""),
            &ips.join(";"),
            &paths.join(";"),
            &t.peak_per_minute.to_string(),
            &http_cell(t.http.as_ref(), |h| h.requests.to_string()),
            &http_cell(t.http.as_ref(), |h| h.statuses_in(200, 299).to_string()),
            &http_cell(t.http.as_ref(), |h| h.statuses_in(400, 499).to_string()),
            &http_cell(t.http.as_ref(), |h| h.statuses_in(500, 599).to_string()),
            &http_cell(t.http.as_ref(), |h| h.statuses_in(429, 429).to_string()),
            &latency_cell(t.http.as_ref(), |l| l.p50),
            &latency_cell(t.http.as_ref(), |l| l.p95),
            &latency_cell(t.http.as_ref(), |l| l.max),
            &http_cell(t.http.as_ref(), |h| h.bytes.to_string()),
            &http_cell(t.http.as_ref(), |h| top_agent(h).to_string()),
        ])?;
    }
    w.flush()
}

/// A cell from the access-log join; empty without one.
fn http_cell(h: Option<&HttpReport>, f: impl Fn(&HttpReport) -> String) -> String {
    h.map(f).unwrap_or_default()
}

fn latency_cell(h: Option<&HttpReport>, f: impl Fn(&Latency) -> f64) -> String {
    h.and_then(|h| h.latency_ms.as_ref())
        .map(|l| f(l).to_string())
        .unwrap_or_default()
}

fn top_agent(h: &HttpReport) -> &str {
    h.user_agents.first().map_or("-", |a| a.user_agent.as_str())
}

/// `5`, or `5 (+1 failed)` when there were failed attempts.
fn counts(requests: u64, failures: u64) -> String {
    if failures == 0 {
        requests.to_string()
    } else {
        format!("{requests} (+{failures} failed)")
    }
}

/// One JSON object per request, written as the scanner finds them.
pub fn jsonl_event(r: &Request, http: Option<&Http>, out: &mut dyn Write) -> io::Result<()> {
    let mut ev = serde_json::json!({
        "time": r.ts.rfc3339(),
        "outcome": r.outcome.unwrap_or(Outcome::Failure),
        "token_id": r.token_id,
        "name": r.info.as_ref().map(|i| i.name.as_str()).filter(|n| !n.is_empty()),
        "user_key": r.user_key,
        "username": r.username,
        "ip": r.ip,
        "path": r.path,
        "reason": r.reason,
    });
    if let Some(h) = http {
        ev["status"] = h.status.into();
        ev["duration_ms"] = h.duration_us.map(|us| us as f64 / 1000.0).into();
        ev["bytes"] = h.bytes.into();
        ev["user_agent"] = h.user_agent.as_deref().into();
    }
    serde_json::to_writer(&mut *out, &ev)?;
    writeln!(out)
}

pub fn sql(r: &Report, dialect: Dialect, out: &mut dyn Write) -> io::Result<()> {
    let q = |name: &str| match dialect {
        Dialect::Postgres | Dialect::Oracle => format!("\"{name}\""),
        Dialect::Mysql => format!("`{name}`"),
        Dialect::Sqlserver => format!("[{name}]"),
    };
    let mut ids: Vec<&str> = r
        .tokens
        .iter()
        .map(|t| t.token_id.as_str())
        .chain(r.failed_token_ids.iter().map(|t| t.token_id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    writeln!(
        out,
        "-- Personal access tokens seen in the logs (jira-patrol). HASHED_TOKEN is not selected."
    )?;
    if r.not_pat_bearer.requests > 0 {
        writeln!(
            out,
            "-- {} request(s) carried Bearer credentials that are not personal access tokens: nothing to look up for them.",
            r.not_pat_bearer.requests
        )?;
    }
    if let Some(a) = &r.access_log {
        writeln!(
            out,
            "-- Access log joined: {} of {} request(s); statuses, latency and User-Agents are in --format json or csv.",
            a.joined,
            a.joined + a.unjoined
        )?;
    }
    if ids.is_empty() {
        return writeln!(out, "-- No token ids were seen: nothing to look up.");
    }
    let cols = [
        "ID",
        "NAME",
        "TOKEN_ID",
        "USER_KEY",
        "CREATED_AT",
        "LAST_ACCESSED_AT",
        "EXPIRING_AT",
    ]
    .map(q)
    .join(", ");
    // Oracle accepts at most 1000 expressions in one IN list.
    let lists: Vec<String> = ids
        .chunks(1000)
        .map(|c| {
            // Token ids are digits only (checked by the scanner): safe as literals.
            format!("{} IN ({})", q("TOKEN_ID"), c.join(", "))
        })
        .collect();
    writeln!(
        out,
        "SELECT {cols}\nFROM {}\nWHERE {};",
        q("AO_81F455_PERSONAL_TOKEN"),
        lists.join("\n   OR ")
    )
}

fn short_time(t: &Option<String>) -> String {
    // RFC 3339 → `2022-10-11 15:04:09` (the log's own offset) for narrow tables.
    t.as_deref()
        .map(|s| s.get(..19).unwrap_or(s).replace('T', " "))
        .unwrap_or_else(|| "-".into())
}

fn top<T>(items: &[T], f: impl Fn(&T) -> (String, u64, u64)) -> String {
    let mut s: Vec<String> = items
        .iter()
        .take(3)
        .map(|i| {
            let (k, n, failed) = f(i);
            match (n, failed) {
                (n, 0) => format!("{k} ({n})"),
                (0, failed) => format!("{k} ({failed} failed)"),
                (n, failed) => format!("{k} ({n}, {failed} failed)"),
            }
        })
        .collect();
    if items.len() > 3 {
        s.push(format!("+{} more", items.len() - 3));
    }
    s.join(", ")
}

const HTTP_HEADERS: [&str; 5] = ["USER-AGENT", "4XX", "5XX", "429", "P95 MS"];

/// The access-log columns of a token row: top User-Agent, client errors (429s
/// included) and server errors, rate-limited answers and the 95th percentile latency; `-` where nothing joined.
fn http_columns(h: Option<&HttpReport>) -> [String; 5] {
    match h {
        None => ["-".into(), "-".into(), "-".into(), "-".into(), "-".into()],
        Some(h) => [
            top_agent(h).to_string(),
            h.statuses_in(400, 499).to_string(),
            h.statuses_in(500, 599).to_string(),
            h.statuses_in(429, 429).to_string(),
            h.latency_ms.map_or("-".into(), |l| format!("{:.1}", l.p95)),
        ],
    }
}

/// `401 (3), 200 (1); python-requests/2.31.0`: statuses, most first, and the top agent.
fn statuses_and_agent(h: &HttpReport) -> String {
    let mut st: Vec<(&String, &u64)> = h.statuses.iter().collect();
    st.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let st: Vec<String> = st.iter().map(|(s, n)| format!("{s} ({n})")).collect();
    format!("{}; {}", st.join(", "), top_agent(h))
}

/// Per user, all tokens together: shown when a user has several tokens or was
/// rate-limited, the cases where "which token empties the bucket" is a question.
fn rate_table(r: &Report, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
    let users: Vec<_> = r
        .users
        .iter()
        .filter(|u| u.tokens > 1 || u.rate_limited.unwrap_or(0) > 0)
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nPer user, all tokens together (Jira rate-limits per user, one bucket for all of a user's tokens):"
    )?;
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            let at_peak: Vec<String> = u
                .tokens_at_peak
                .iter()
                .take(3)
                .map(|t| {
                    let name = t.name.as_deref().unwrap_or(&t.token_id);
                    format!("{name} ({})", t.requests)
                })
                .collect();
            vec![
                u.username.clone().unwrap_or_else(|| u.user_key.clone()),
                u.tokens.to_string(),
                u.requests.to_string(),
                u.peak_per_minute.to_string(),
                short_time(&u.peak_minute),
                u.rate_limited.map_or("-".into(), |n| n.to_string()),
                at_peak.join(", "),
            ]
        })
        .collect();
    crate::format::write_table(
        out,
        &[
            "USER",
            "TOKENS",
            "REQUESTS",
            "PEAK/MIN",
            "PEAK MINUTE",
            "429",
            "TOKENS IN THE PEAK MINUTE",
        ],
        &rows,
        width,
    )
}

pub fn table(r: &Report, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
    let joined = r.access_log.is_some();
    if r.tokens.is_empty() {
        writeln!(out, "No token-authenticated requests found.")?;
    } else {
        let rows: Vec<Vec<String>> = r
            .tokens
            .iter()
            .map(|t| {
                let owner = match (&t.username, &t.user_key) {
                    (Some(u), Some(k)) if u != k => format!("{u} ({k})"),
                    (Some(u), _) => u.clone(),
                    (None, Some(k)) => k.clone(),
                    (None, None) => "-".into(),
                };
                let expires = match t.expires.as_str() {
                    "never" => "never".to_string(),
                    _ => t
                        .expires_at
                        .as_deref()
                        .map_or("-".into(), |e| e.get(..10).unwrap_or(e).to_string()),
                };
                let mut row = vec![
                    t.token_id.clone(),
                    t.name.clone().unwrap_or_else(|| "-".into()),
                    owner,
                    t.requests.to_string(),
                    t.failures.to_string(),
                    short_time(&t.first_seen),
                    short_time(&t.last_seen),
                    expires,
                ];
                if joined {
                    row.extend(http_columns(t.http.as_ref()));
                }
                row.push(top(&t.ips, |c| (c.ip.clone(), c.requests, c.failures)));
                row.push(top(&t.paths, |c| (c.path.clone(), c.requests, c.failures)));
                row
            })
            .collect();
        let mut headers = vec![
            "TOKEN ID",
            "NAME",
            "OWNER",
            "REQUESTS",
            "FAILURES",
            "FIRST SEEN",
            "LAST SEEN",
            "EXPIRES",
        ];
        if joined {
            headers.extend(HTTP_HEADERS);
        }
        headers.extend(["IPS", "PATHS"]);
        crate::format::write_table(out, &headers, &rows, width)?;
    }
    rate_table(r, out, width)?;
    if !r.unidentified.is_empty() {
        writeln!(
            out,
            "\nRequests by user whose token the log does not name (DEBUG lines only):"
        )?;
        let rows: Vec<Vec<String>> = r
            .unidentified
            .iter()
            .map(|u| vec![u.user_key.clone(), u.requests.to_string()])
            .collect();
        crate::format::write_table(out, &["USER KEY", "REQUESTS"], &rows, width)?;
    }
    if !r.failed_token_ids.is_empty() {
        writeln!(
            out,
            "\nToken ids presented that did not authenticate (unknown, expired or revoked):"
        )?;
        let rows: Vec<Vec<String>> = r
            .failed_token_ids
            .iter()
            .map(|f| {
                let mut row = vec![
                    f.token_id.clone(),
                    f.requests.to_string(),
                    f.failure_reasons
                        .first()
                        .map(|c| c.reason.clone())
                        .unwrap_or_else(|| "-".into()),
                ];
                if joined {
                    row.push(f.http.as_ref().map_or("-".into(), statuses_and_agent));
                }
                row
            })
            .collect();
        let mut headers = vec!["TOKEN ID", "ATTEMPTS", "REASON"];
        if joined {
            headers.push("ANSWERS");
        }
        crate::format::write_table(out, &headers, &rows, width)?;
    }
    let np = &r.not_pat_bearer;
    if np.requests > 0 {
        writeln!(
            out,
            "\nBearer credentials that are not personal access tokens (e.g. a JWT): {} request(s), no PAT involved.",
            np.requests
        )?;
        writeln!(
            out,
            "  from: {}",
            top(&np.ips, |c| (c.ip.clone(), c.requests, c.failures))
        )?;
        writeln!(
            out,
            "  to:   {}",
            top(&np.paths, |c| (c.path.clone(), c.requests, c.failures))
        )?;
        if let Some(h) = &np.http {
            writeln!(out, "  answers: {}", statuses_and_agent(h))?;
        }
    }
    if r.unattributed_failures > 0 {
        writeln!(
            out,
            "\n{} failed token authentication(s) did not name a token id.",
            r.unattributed_failures
        )?;
    }
    if !r.nodes.is_empty() {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = r
            .nodes
            .iter()
            .map(|n| {
                vec![
                    n.log.clone(),
                    n.requests.to_string(),
                    n.pat_lines.to_string(),
                    n.bytes.to_string(),
                ]
            })
            .collect();
        crate::format::write_table(
            out,
            &["LOG (NODE)", "REQUESTS", "PAT LINES", "BYTES"],
            &rows,
            width,
        )?;
    }
    writeln!(
        out,
        "\n{} file(s), {} lines, {}, {} PAT lines.",
        r.files.len(),
        r.lines,
        human_bytes(r.bytes),
        r.pat_lines
    )?;
    if let Some(a) = &r.access_log {
        writeln!(
            out,
            "Access log: {} file(s); {} of {} PAT request(s) joined; latency from %D in {}.",
            a.files.len(),
            a.joined,
            a.joined + a.unjoined,
            a.duration_unit.name()
        )?;
    }
    crate::inventory::table(r, out, width)?;
    Ok(())
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
