//! Renderers of a PAT summary: a table for people, JSON (the stable schema), CSV (one row
//! per token), JSONL (one event per request, for Splunk/Elasticsearch/OpenSearch), SQL
//! (the support article's look-up of the seen token ids) and, in [`super::html`], one
//! page. Hashed tokens never reach any of them: the scanner does not keep them.

use super::table::{write_columns, Column};
use super::Target;
use crate::access::join::Http;
pub use crate::format::{Dialect, SummaryFormat};
use crate::human;
use crate::scan::{Outcome, Request};
use crate::summary::{
    Activity, HttpReport, InventoryToken, Latency, NoteKind, Report, EXPIRED_PRUNING_DAYS,
};
use crate::untrusted::Untrusted;
use std::io::{self, Write};

/// How a finished report is printed: `summarize` and `capture` alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rendering {
    /// Which format.
    pub format: SummaryFormat,
    /// SQL quoting (`--format sql`).
    pub dialect: Dialect,
    /// Table: every column, whatever the terminal's width.
    pub wide: bool,
    /// `--csv-raw`, and whether a terminal reads it (a table fits its width).
    pub csv: Target,
}

/// Render the report as `how` says (JSONL events were streamed as they came: nothing is
/// left). Returns the notes for stderr where the format has no place for them.
pub fn render(
    r: &Report,
    how: &Rendering,
    meta: &super::html::HtmlMeta,
    out: &mut dyn Write,
) -> io::Result<Vec<String>> {
    match how.format {
        SummaryFormat::Table => table(r, out, if how.wide { None } else { how.csv.width() })?,
        SummaryFormat::Json => json(r, out)?,
        SummaryFormat::Csv => {
            csv(r, how.csv, out)?;
            return Ok(csv_notes(r));
        }
        SummaryFormat::Sql => sql(r, how.dialect, out)?,
        SummaryFormat::Html => super::html::html(r, meta, out)?,
        // The events were streamed; what they cover goes beside them.
        SummaryFormat::Jsonl => {
            return Ok(coverage_lines(r)
                .into_iter()
                .map(|l| format!("note: {l}"))
                .collect())
        }
    }
    Ok(Vec::new())
}

/// `--format json`: the whole [`Report`], pretty-printed (the stable schema).
pub fn json(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    super::json::pretty(&mut *out, r)?;
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
    coverage_lines(r)
        .into_iter()
        .map(|l| format!("note: {l}"))
        .chain(not_pat)
        .chain(
            r.notes
                .iter()
                .filter(|n| n.kind != NoteKind::NoVerdict)
                .map(|n| format!("note: {}", n.text)),
        )
        .collect()
}

/// What the report covers (nodes read and not, gaps, joins and departures): empty when
/// there is nothing to say (one Jira, read whole).
pub fn coverage_lines(r: &Report) -> Vec<String> {
    r.coverage
        .as_ref()
        .map(super::coverage::lines)
        .unwrap_or_default()
}

/// `--format csv`: one row per token seen (failed ids and not-PAT Bearer values have
/// none; see [`csv_notes`]); the access-log columns are empty without the join. Text from
/// the logs is neutralised for spreadsheets unless `o.raw`.
pub fn csv(r: &Report, o: Target, out: &mut dyn Write) -> io::Result<()> {
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
    let cell = |u: Option<&Untrusted>| u.map(|u| o.cell(u)).unwrap_or_default();
    for t in &r.tokens {
        let ips: Vec<String> = t
            .ips
            .iter()
            .map(|c| format!("{}={}", c.ip.raw(), counts(c.requests, c.failures)))
            .collect();
        let paths: Vec<String> = t
            .paths
            .iter()
            .map(|c| format!("{}={}", c.path.raw(), counts(c.requests, c.failures)))
            .collect();
        let http = t.http.as_ref();
        w.write_record([
            t.token_id.clone(),
            cell(t.name.as_ref()),
            cell(t.user_key.as_ref()),
            cell(t.username.as_ref()),
            t.created_at.clone().unwrap_or_default(),
            t.expires_at
                .clone()
                .unwrap_or_else(|| if t.expires == "never" { "never" } else { "" }.to_string()),
            t.requests.to_string(),
            t.failures.to_string(),
            t.first_seen.clone().unwrap_or_default(),
            t.last_seen.clone().unwrap_or_default(),
            o.cell(&Untrusted::new(ips.join(";"))),
            o.cell(&Untrusted::new(paths.join(";"))),
            t.peak_per_minute.to_string(),
            http_cell(http, |h| h.requests.to_string()),
            http_cell(http, |h| h.statuses_in(200, 299).to_string()),
            http_cell(http, |h| h.statuses_in(400, 499).to_string()),
            http_cell(http, |h| h.statuses_in(500, 599).to_string()),
            http_cell(http, |h| h.statuses_in(429, 429).to_string()),
            latency_cell(http, |l| l.p50),
            latency_cell(http, |l| l.p95),
            latency_cell(http, |l| l.max),
            http_cell(http, |h| h.bytes.to_string()),
            http.map(|h| match h.user_agents.first() {
                Some(a) => o.cell(&a.user_agent),
                None => "-".into(),
            })
            .unwrap_or_default(),
            t.no_verdict.to_string(),
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

/// The most frequent User-Agent as a terminal shows it, `-` without one.
fn top_agent(h: &HttpReport) -> String {
    h.user_agents
        .first()
        .map_or("-".into(), |a| a.user_agent.terminal().into_owned())
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
        ev["user_agent"] = h.user_agent.as_ref().map(Untrusted::raw).into();
    }
    super::json::line(out, &ev)
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
        // Token ids are digits only (checked by the scanner): safe as literals.
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    writeln!(
        out,
        "-- Personal access tokens seen in the logs (jira-patrol). HASHED_TOKEN is not selected."
    )?;
    for l in coverage_lines(r) {
        writeln!(out, "-- {}", l.replace(['\n', '\r'], " "))?;
    }
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
        .map(|c| format!("{} IN ({})", q("TOKEN_ID"), c.join(", ")))
        .collect();
    writeln!(
        out,
        "SELECT {cols}\nFROM {}\nWHERE {};",
        q("AO_81F455_PERSONAL_TOKEN"),
        lists.join("\n   OR ")
    )
}

fn short_time(t: &Option<String>) -> String {
    t.as_deref().map_or_else(|| "-".into(), human::time)
}

/// The first three items with their counts, then how many more.
fn top<T>(items: &[T], f: impl Fn(&T) -> (&Untrusted, u64, u64)) -> String {
    let mut s: Vec<String> = items
        .iter()
        .take(3)
        .map(|i| {
            let (k, n, failed) = f(i);
            let k = k.terminal();
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
/// Characters of a sparkline: the report's timeline is resampled to this so the column
/// stays narrow.
pub const SPARK_WIDTH: usize = 12;

/// A token's activity over the report's window, one character per bucket, on one line:
/// every attempt (the volume), scaled to the token's own busiest bucket, a blank where
/// it made none; and when attempts failed, a second line under it: the failed ones on
/// the same scale (any failure at least `▁`), so a failure never hides the volume.
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
    let max = buckets.iter().map(|b| b.0 + b.1).max().unwrap_or(0).max(1);
    let bar = |v: u64| match v {
        0 => ' ',
        v => BARS[((v * BARS.len() as u64).div_ceil(max) as usize).clamp(1, 8) - 1],
    };
    let mut s: String = buckets.iter().map(|&(ok, bad)| bar(ok + bad)).collect();
    if buckets.iter().any(|b| b.1 > 0) {
        s.push('\n');
        s.extend(buckets.iter().map(|&(_, bad)| bar(bad)));
        // A cell's lines are padded alike: the second must not end early.
        while s.ends_with(' ') {
            s.pop();
        }
    }
    s
}

/// The access-log columns of a token row: top User-Agent, client errors (429s
/// included) and server errors, rate-limited answers and the 95th percentile latency; `-`
/// where nothing joined.
fn http_columns(h: Option<&HttpReport>) -> [String; 5] {
    match h {
        None => ["-".into(), "-".into(), "-".into(), "-".into(), "-".into()],
        Some(h) => [
            top_agent(h),
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

/// `jdoe (JIRAUSER10100)`, the login alone when it is the key, `-` when unknown.
fn owner(username: Option<&Untrusted>, user_key: Option<&Untrusted>) -> String {
    match (username, user_key) {
        (Some(u), Some(k)) if u != k => format!("{} ({})", u.terminal(), k.terminal()),
        (Some(u), _) => u.terminal().into_owned(),
        (None, Some(k)) => k.terminal().into_owned(),
        (None, None) => "-".into(),
    }
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
                    let name = t
                        .name
                        .as_ref()
                        .map_or_else(|| t.token_id.clone(), |n| n.terminal().into_owned());
                    format!("{name} ({})", t.requests)
                })
                .collect();
            vec![
                owner(u.username.as_ref(), Some(&u.user_key)),
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
            Column::name("OWNER", 80),
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
use super::table::write_prose as say;

/// `--format table`: the tokens, fitted to `width` columns (`None`: every column, as for a
/// pipe), then each other section that has content (per-user rates, unidentified users,
/// failed ids, not-PAT Bearer values, nodes, the join's counts, the inventory).
pub fn table(r: &Report, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
    let joined = r.access_log.is_some();
    let covered = coverage_lines(r);
    for l in &covered {
        say(out, width, "", l)?;
    }
    if !covered.is_empty() {
        writeln!(out)?;
    }
    if r.tokens.is_empty() {
        writeln!(out, "No token-authenticated requests found.")?;
    } else {
        let rows: Vec<Vec<String>> = r
            .tokens
            .iter()
            .map(|t| {
                let expires = match t.expires.as_str() {
                    "never" => "never".to_string(),
                    _ => t.expires_at.as_deref().map_or("-".into(), human::day),
                };
                let mut row = vec![
                    t.token_id.clone(),
                    t.name
                        .as_ref()
                        .map_or("-".into(), |n| n.terminal().into_owned()),
                    owner(t.username.as_ref(), t.user_key.as_ref()),
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
                row.push(top(&t.ips, |c| (&c.ip, c.requests, c.failures)));
                row.push(top(&t.paths, |c| (&c.path, c.requests, c.failures)));
                row
            })
            .collect();
        let mut columns = vec![
            Column::id("TOKEN ID"),
            Column::name("NAME", 80),
            Column::name("OWNER", 70),
            Column::count("REQUESTS").short("REQS"),
            Column::count("FAILURES").short("FAILS"),
            Column::time("FIRST SEEN").priority(45),
            Column::time("LAST SEEN"),
            Column::text("ACTIVITY", 50).second_line("failed"),
            Column::time("EXPIRES").priority(40),
        ];
        if joined {
            columns.extend(HTTP_COLUMNS);
        }
        columns.extend([Column::text("IPS", 20), Column::text("PATHS", 10)]);
        write_columns(out, &columns, &rows, width, Some(WIDE_HINT))?;
        if r.tokens.iter().any(|t| t.failures > 0) {
            say(
                out,
                width,
                "",
                "ACTIVITY: each token's attempts over the window, scaled to its own busiest moment; the line under it, the failed ones.",
            )?;
        }
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
            .map(|u| vec![u.user_key.terminal().into_owned(), u.requests.to_string()])
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
                        .map_or("-".into(), |c| c.reason.terminal().into_owned()),
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
            &top(&np.ips, |c| (&c.ip, c.requests, c.failures)),
        )?;
        say(
            out,
            width,
            "  to:   ",
            &top(&np.paths, |c| (&c.path, c.requests, c.failures)),
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
            human::bytes(r.bytes),
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
    inventory(r, out, width)
}

/// An inventory token and its group's two cells.
type GroupRow<'a> = (&'a InventoryToken, [String; 2]);

/// The inventory's sections: "Tokens not used in the window (N of M)", the tokens whose
/// use the logs cannot tell and the expired ones, each with its rows; or why there is no
/// inventory. Nothing when none was looked up. Times are never cut: a column is left out
/// whole (and listed below) before a time is shortened.
pub fn inventory(r: &Report, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
    let Some(inv) = &r.inventory else {
        return Ok(());
    };
    let listed = inv.unused.len() + inv.cannot_tell.len() + inv.expired.len();
    if inv.tokens == 0 && listed == 0 {
        if let Some(n) = &inv.note {
            writeln!(out)?;
            say(out, width, "", &format!("Token inventory: {n}"))?;
        }
        return Ok(());
    }
    let when = |v: &Option<String>| v.as_deref().map_or("never".into(), human::time);
    let of = |n: usize| format!("{n} of {}", inv.tokens);
    // Each group: its heading (the first is always said, even as 0 of N; the others only
    // when they hold any), its two columns after DB ID, NAME and OWNER, and its rows.
    let groups: [(String, [Column; 2], Vec<GroupRow>); 3] = [
        (
            format!("Tokens not used in the window ({})", of(inv.unused.len())),
            [Column::time("LAST USED"), Column::time("EXPIRES")],
            inv.unused
                .iter()
                .map(|t| (t, [when(&t.last_accessed_at), when(&t.expires_at)]))
                .collect(),
        ),
        (
            format!(
                "Tokens the logs cannot call used or unused ({}): their owner made requests not tied to a token",
                of(inv.cannot_tell.len())
            ),
            [Column::count("UNTIED"), Column::text("WHY", 20)],
            inv.cannot_tell
                .iter()
                .map(|u| (&u.token, [u.owner_requests.to_string(), u.why.text().to_string()]))
                .collect(),
        ),
        (
            format!(
                "Expired tokens ({}): unusable{}; Jira removes each {EXPIRED_PRUNING_DAYS} days after its expiry",
                of(inv.expired.len()),
                inv.as_of
                    .as_deref()
                    .map(|t| format!(" by the window's end, {}", human::time(t)))
                    .unwrap_or_default()
            ),
            [Column::time("EXPIRED"), Column::time("REMOVED AFTER")],
            inv.expired
                .iter()
                .map(|e| (&e.token, [when(&e.token.expires_at), human::time(&e.removed_after)]))
                .collect(),
        ),
    ];
    for (i, (heading, [a, b], rows)) in groups.into_iter().enumerate() {
        if i > 0 && rows.is_empty() {
            continue;
        }
        writeln!(out)?;
        say(out, width, "", &heading)?;
        if rows.is_empty() {
            continue;
        }
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|(t, [x, y])| {
                let who = owner(t.username.as_ref(), Some(&t.user_key));
                vec![t.id.to_string(), t.name.terminal().into_owned(), who, x, y]
            })
            .collect();
        let columns = [
            Column::id("DB ID"),
            Column::name("NAME", 80),
            Column::name("OWNER", 70),
            a,
            b,
        ];
        write_columns(out, &columns, &rows, width, Some(WIDE_HINT))?;
    }
    if listed > 0 {
        say(
            out,
            width,
            "",
            "(DB ID is the token's database id: Jira's REST never shows the 12-digit TOKEN ID of the logs. Jira writes the last use in batches about every minute.)",
        )?;
    }
    Ok(())
}

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
    fn a_sparkline_shows_the_volume_and_failures_as_a_second_series() {
        let a = activity(&[0, 1, 4, 8, 0, 2], &[0, 0, 0, 0, 1, 0]);
        assert_eq!(sparkline(&a, 12), " ▁▄█▁▂\n    ▁");
        assert_eq!(sparkline(&activity(&[1, 2], &[0, 0]), 12), "▄█");
        assert_eq!(sparkline(&Activity::default(), 12), "-");
    }

    #[test]
    fn a_long_timeline_is_resampled_to_the_width() {
        let mut req = vec![0; 48];
        req[0] = 5;
        req[47] = 5;
        let mut fail = vec![0; 48];
        fail[20] = 5;
        let s = sparkline(&activity(&req, &fail), 12);
        assert_eq!(s, "█    █     █\n     █");
    }

    #[test]
    fn hostile_names_reach_the_table_escaped() {
        let mut r = crate::summary::Summary::new().report(Vec::new(), &Default::default());
        let mut t: crate::summary::TokenReport = serde_json::from_value(serde_json::json!({
            "token_id": "355510638677", "name": "\u{1b}]0;pwned\u{7}=1", "user_key": "k\u{202e}",
            "username": null, "created_at": null, "expires_at": null, "expires": "unknown",
            "requests": 1, "failures": 0, "first_seen": null, "last_seen": null,
            "ips": [{"ip": "\u{9b}1", "requests": 1}], "paths": []
        }))
        .unwrap();
        t.activity = activity(&[1], &[0]);
        r.tokens.push(t);
        let mut out = Vec::new();
        table(&r, &mut out, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            !s.chars()
                .any(|c| crate::untrusted::needs_escape(c) && c != '\n'),
            "{s:?}"
        );
        assert!(s.contains("\\e]0;pwned\\a=1"), "{s}");
        let mut out = Vec::new();
        csv(&r, Target::default(), &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.contains(",\u{1b}]0;pwned\u{7}=1,"),
            "CSV keeps the bytes: {s:?}"
        );
        assert!(s.contains("k\u{202e}"), "{s:?}");
    }

    #[test]
    fn the_inventory_says_how_many_of_all_are_in_each_group() {
        use jiff::Timestamp;
        let listed = |id, user_key, name| crate::inventory::tests::listed(id, user_key, name, None);
        let mut r = crate::summary::Summary::new().report(Vec::new(), &Default::default());
        r.unidentified = vec![crate::summary::UserCount {
            user_key: "JIRAUSER10100".into(),
            requests: 2,
        }];
        let mut expired = listed(8, "admin", "old laptop");
        expired.expires_at = Some(Timestamp::from_second(60).unwrap());
        r.inventory = Some(crate::inventory::build(
            &mut r.clone(),
            &[
                listed(9, "admin", "idle bot"),
                listed(10, "JIRAUSER10100", "bridge"),
                expired,
            ],
            Timestamp::from_second(86_400).unwrap(),
        ));
        let mut out = Vec::new();
        table(&r, &mut out, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Tokens not used in the window (1 of 3)"),
            "{text}"
        );
        assert!(text.contains("idle bot"), "{text}");
        assert!(
            text.contains("Tokens the logs cannot call used or unused (1 of 3)"),
            "{text}"
        );
        assert!(text.contains("DEBUG lines only"), "{text}");
        assert!(text.contains("Expired tokens (1 of 3)"), "{text}");
        assert!(text.contains("1970-01-31 00:01:00"), "{text}");
    }
}
