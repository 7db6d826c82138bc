//! Renderers of a PAT summary: a table for people, JSON (the stable schema), CSV (one row
//! per token), JSONL (one event per request, for Splunk/Elasticsearch/OpenSearch) and
//! SQL (the support article's look-up of the seen token ids). Hashed tokens never reach
//! any of them: the scanner does not keep them.

use crate::access::join::Http;
use crate::format::{wrap_fields, write_columns, Column};
use crate::scan::{Outcome, Request};
use crate::summary::{Activity, HttpReport, Latency, NoteKind, Report};
use std::io::{self, Write};

/// SQL dialect of `--format sql`: how table and column names are quoted (each variant's
/// line is also its `--help` text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Dialect {
    /// PostgreSQL (names in double quotes)
    #[default]
    Postgres,
    /// MySQL or MariaDB (names in backticks)
    Mysql,
    /// Microsoft SQL Server (names in brackets)
    Sqlserver,
    /// Oracle (names in double quotes, at most 1000 ids per IN list)
    Oracle,
}

/// `--format json`: the whole [`Report`], pretty-printed (the stable schema).
pub fn json(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

/// The one warning line (for stderr, whatever the format) on `n` token requests whose log
/// shows no verdict; `None` when there were none.
pub fn no_verdict_warning(n: u64) -> Option<String> {
    (n > 0).then(|| format!("warning: {}", crate::summary::Note::no_verdict(n).text))
}

/// CSV has one row per token, so requests whose Bearer value was no PAT have no row, and
/// the report's notes no place: the lines to tell the user (on stderr). The note on
/// requests without a verdict is left out: every command warns of those itself.
pub fn csv_notes(r: &Report) -> Vec<String> {
    let n = r.not_pat_bearer.requests;
    let not_pat = (n > 0).then(|| {
        format!("note: {n} request(s) carried Bearer credentials that are not personal access tokens; the CSV lists tokens only: --format json or table shows their IPs and paths.")
    });
    not_pat
        .into_iter()
        .chain(
            r.notes
                .iter()
                .filter(|n| n.kind != NoteKind::NoVerdict)
                .map(|n| format!("note: {}", n.text)),
        )
        .collect()
}

/// `--format csv`: one row per token seen (failed ids and not-PAT Bearer values have
/// none; see [`csv_notes`]); the access-log columns are empty without the join.
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
        "no_verdict",
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
            &t.no_verdict.to_string(),
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
        "db_id": r.db_id,
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

/// What a report says of the failed token ids folded together.
pub fn other_failed_line(o: &crate::summary::OtherFailedIds) -> String {
    format!(
        "… and {} other token id(s) with {} failed attempt(s), folded together: only the {} most tried are listed",
        o.ids,
        o.requests,
        crate::summary::MAX_FAILED_IDS
    )
}

/// `--format sql`: a `SELECT` of the seen token ids from `AO_81F455_PERSONAL_TOKEN`
/// (never `HASHED_TOKEN`), quoted for `dialect`; a comment when no id was seen.
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
    if let Some(o) = &r.other_failed_token_ids {
        writeln!(out, "-- {}", other_failed_line(o))?;
    }
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

/// Columns left out first on a narrow terminal: what the access log adds, then expiry;
/// the sparkline outranks them, names outrank the sparkline.
const HTTP_COLUMNS: [Column; 5] = [
    Column::name("USER-AGENT", 25),
    Column::count("4XX").priority(35),
    Column::count("5XX").priority(35),
    Column::count("429").priority(35),
    Column::count("P95 MS").priority(30),
];

/// Glyphs of a sparkline, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A bucket with failed attempts: shown whatever the successes, because failures are what
/// an admin looks for and a bar height would hide one failure among hundreds.
const FAILED_BAR: char = '!';
/// Characters of a sparkline: the report's timeline (up to 48 buckets) is resampled to
/// this so the column stays narrow.
pub const SPARK_WIDTH: usize = 12;

/// A token's requests over the report's window, one character per bucket: bars scaled to
/// the token's own busiest bucket (the REQUESTS column has the volume; this shows when),
/// a blank where it made no request, `!` where attempts failed.
pub fn sparkline(a: &Activity, width: usize) -> String {
    let n = a.requests.len().max(a.failures.len());
    if n == 0 || width == 0 {
        return "-".into();
    }
    let out = n.min(width);
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let buckets: Vec<(u64, u64)> = (0..out)
        .map(|j| {
            let (lo, hi) = (j * n / out, (j + 1) * n / out);
            (lo..hi).fold((0, 0), |(ok, bad), i| {
                (ok + at(&a.requests, i), bad + at(&a.failures, i))
            })
        })
        .collect();
    let max = buckets.iter().map(|b| b.0).max().unwrap_or(0).max(1);
    buckets
        .iter()
        .map(|&(ok, bad)| match (ok, bad) {
            (_, b) if b > 0 => FAILED_BAR,
            (0, _) => ' ',
            (ok, _) => BARS[((ok * BARS.len() as u64).div_ceil(max) as usize).clamp(1, 8) - 1],
        })
        .collect()
}

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
    writeln!(out)?;
    say(
        out,
        width,
        "",
        "Per user, all tokens together (Jira rate-limits per user, one bucket for all of a user's tokens):",
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
    write_columns(
        out,
        &[
            Column::name("USER", 80),
            Column::count("TOKENS"),
            Column::count("REQUESTS").short("REQS"),
            Column::count("PEAK/MIN"),
            Column::time("PEAK MINUTE"),
            Column::count("429"),
            Column::text("TOKENS IN THE PEAK MINUTE", 10),
        ],
        &rows,
        width,
        Some(WIDE_HINT),
    )
}

const WIDE_HINT: &str = "--wide shows all columns.";

/// Prose between the tables, wrapped to the terminal like the tables are fitted to it.
fn say(out: &mut dyn Write, width: Option<usize>, lead: &str, text: &str) -> io::Result<()> {
    let limit = width.map_or(usize::MAX, |w| w.saturating_sub(1));
    write!(out, "{}", wrap_fields(lead, &[text.to_string()], limit))
}

/// `--format table`: the tokens, fitted to `width` columns (`None`: every column, as for a
/// pipe), then each other section that has content (per-user rates, unidentified users,
/// failed ids, not-PAT Bearer values, nodes, the join's counts, the inventory).
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
                    sparkline(&t.activity, SPARK_WIDTH),
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
        let mut columns = vec![
            Column::id("TOKEN ID"),
            Column::name("NAME", 80),
            Column::name("OWNER", 70),
            Column::count("REQUESTS").short("REQS"),
            Column::count("FAILURES").short("FAILS"),
            Column::time("FIRST SEEN"),
            Column::time("LAST SEEN"),
            Column::text("ACTIVITY", 50),
            Column::time("EXPIRES").priority(40),
        ];
        if joined {
            columns.extend(HTTP_COLUMNS);
        }
        columns.extend([Column::text("IPS", 20), Column::text("PATHS", 10)]);
        write_columns(out, &columns, &rows, width, Some(WIDE_HINT))?;
        for t in r.tokens.iter().filter(|t| t.jira_patrol_probe) {
            say(
                out,
                width,
                "",
                &format!("Token {} is jira-patrol's own self-check probe, not a script's: left out of the per-user rates and the totals.", t.token_id),
            )?;
        }
    }
    for n in &r.notes {
        writeln!(out)?;
        say(out, width, "Note: ", &n.text)?;
    }
    rate_table(r, out, width)?;
    if !r.unidentified.is_empty() {
        writeln!(out)?;
        say(
            out,
            width,
            "",
            "Requests by user whose token the log does not name (DEBUG lines only):",
        )?;
        let rows: Vec<Vec<String>> = r
            .unidentified
            .iter()
            .map(|u| vec![u.user_key.clone(), u.requests.to_string()])
            .collect();
        write_columns(
            out,
            &[Column::id("USER KEY"), Column::count("REQUESTS")],
            &rows,
            width,
            None,
        )?;
    }
    if !r.failed_token_ids.is_empty() {
        writeln!(out)?;
        say(
            out,
            width,
            "",
            "Token ids presented that did not authenticate (unknown, expired or revoked):",
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
        let mut columns = vec![
            Column::id("TOKEN ID"),
            Column::count("ATTEMPTS"),
            Column::text("REASON", 20),
        ];
        if joined {
            columns.push(Column::text("ANSWERS", 10));
        }
        write_columns(out, &columns, &rows, width, Some(WIDE_HINT))?;
    }
    if let Some(o) = &r.other_failed_token_ids {
        say(out, width, "", &other_failed_line(o))?;
    }
    let np = &r.not_pat_bearer;
    if np.requests > 0 {
        writeln!(out)?;
        say(
            out,
            width,
            "",
            &format!("Bearer credentials that are not personal access tokens (e.g. a JWT): {} request(s), no PAT involved.",
            np.requests),
        )?;
        say(
            out,
            width,
            "  from: ",
            &top(&np.ips, |c| (c.ip.clone(), c.requests, c.failures)),
        )?;
        say(
            out,
            width,
            "  to:   ",
            &top(&np.paths, |c| (c.path.clone(), c.requests, c.failures)),
        )?;
        if let Some(h) = &np.http {
            say(out, width, "  answers: ", &statuses_and_agent(h))?;
        }
    }
    if r.unattributed_failures > 0 {
        writeln!(out)?;
        say(
            out,
            width,
            "",
            &format!(
                "{} failed token authentication(s) did not name a token id.",
                r.unattributed_failures
            ),
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
        write_columns(
            out,
            &[
                Column::name("LOG (NODE)", Column::KEEP),
                Column::count("REQUESTS"),
                Column::count("PAT LINES"),
                Column::count("BYTES"),
            ],
            &rows,
            width,
            None,
        )?;
    }
    writeln!(out)?;
    say(
        out,
        width,
        "",
        &format!(
            "{} file(s), {} lines, {}, {} PAT lines.",
            r.files.len(),
            r.lines,
            human_bytes(r.bytes),
            r.pat_lines
        ),
    )?;
    if let Some(a) = &r.access_log {
        say(
            out,
            width,
            "",
            &format!(
                "Access log: {} file(s); {} of {} PAT request(s) joined; latency from %D in {}.",
                a.files.len(),
                a.joined,
                a.joined + a.unjoined,
                a.duration_unit.name()
            ),
        )?;
    }
    for p in &r.partial {
        say(out, width, "", &format!("PARTIAL: {p}."))?;
    }
    crate::inventory::table(r, out, width)?;
    Ok(())
}

/// A size for people: the one byte formatter, [`crate::format::bytes`].
pub use crate::format::bytes as human_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(requests: &[u64], failures: &[u64]) -> Activity {
        Activity {
            requests: requests.to_vec(),
            failures: failures.to_vec(),
        }
    }

    #[test]
    fn a_sparkline_scales_to_the_busiest_bucket_and_marks_failures() {
        let a = activity(&[0, 1, 4, 8, 0, 2], &[0, 0, 0, 0, 1, 0]);
        assert_eq!(sparkline(&a, 12), " ▁▄█!▂");
        assert_eq!(sparkline(&Activity::default(), 12), "-");
    }

    #[test]
    fn a_long_timeline_is_resampled_to_the_width() {
        let mut req = vec![0; 48];
        req[0] = 5;
        req[47] = 5;
        let mut fail = vec![0; 48];
        fail[20] = 1;
        let s = sparkline(&activity(&req, &fail), 12);
        assert_eq!(s.chars().count(), 12);
        assert_eq!(s, "█    !     █");
    }
}

/// The summary formats of `summarize` and `capture` (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Aligned columns for people (default)
    #[default]
    Table,
    /// The stable JSON schema
    Json,
    /// One row per token
    Csv,
    /// One event per request (for Splunk, Elasticsearch, OpenSearch)
    Jsonl,
    /// The SELECT that fetches the seen tokens' database rows
    Sql,
    /// One self-contained page to read, send or print
    Html,
}

/// How a finished report is printed: `summarize` and `capture` alike.
pub struct Rendering {
    /// Which format.
    pub format: SummaryFormat,
    /// SQL quoting (`--format sql`).
    pub dialect: Dialect,
    /// Table: every column, whatever the terminal's width.
    pub wide: bool,
}

/// Print the report (JSONL events were streamed as they came: nothing is left).
pub fn render(
    r: &crate::summary::Report,
    how: &Rendering,
    meta: &crate::html::HtmlMeta,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match how.format {
        SummaryFormat::Table => table(r, out, crate::format::table_width(how.wide))?,
        SummaryFormat::Json => json(r, out)?,
        SummaryFormat::Csv => {
            csv(r, out)?;
            for note in csv_notes(r) {
                eprintln!("{note}");
            }
        }
        SummaryFormat::Sql => sql(r, how.dialect, out)?,
        SummaryFormat::Html => crate::html::html(r, meta, out)?,
        SummaryFormat::Jsonl => {}
    }
    Ok(())
}
