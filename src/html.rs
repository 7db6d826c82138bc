//! `--format html`: the report as one file an admin can mail to a colleague, open
//! offline, and print. Everything is inline (CSS, SVG charts) and nothing points outside
//! the file: a report about credentials must not make a reader's browser call anywhere,
//! and it must read the same in a mail client that blocks scripts and remote content.
//!
//! Every string that came from a log (token names are typed by users, paths and
//! User-Agents by clients) goes through [`esc`], attributes included.

use crate::summary::{HttpReport, IpCount, PathCount, ReasonCount, Report, Timeline, TokenReport};
use std::fmt::Write as _;
use std::io::{self, Write};

/// What the report itself does not know: where it came from and when.
#[derive(Debug, Clone, Default)]
pub struct HtmlMeta {
    /// Heading and page title; `None`: the generic `jira-patrol` one.
    pub title: Option<String>,
    /// The Jira the capture ran against, shown as text (never a link); `None` for a summary.
    pub jira_url: Option<String>,
    /// The verbosity profile a capture applied.
    pub profile: Option<String>,
    /// The capture window; without it the header shows the first and last request seen.
    pub window: Option<String>,
    /// When the report was made, local time with its offset (`2026-11-30 05:26:08 +01:00`).
    pub generated_at: Option<String>,
}

impl HtmlMeta {
    /// All a summary can say about itself: when it was made (its window comes from the
    /// requests seen).
    pub fn now() -> Self {
        HtmlMeta {
            generated_at: Some(
                jiff::ZonedDateTime::now()
                    .strftime("%Y-%m-%d %H:%M:%S %:z")
                    .to_string(),
            ),
            ..HtmlMeta::default()
        }
    }

    /// A capture that just ended after `elapsed`: its window in local time, and the rest.
    pub fn capture(jira_url: &str, profile: &str, elapsed: std::time::Duration) -> Self {
        let end = jiff::ZonedDateTime::now();
        let start = jiff::SignedDuration::try_from(elapsed)
            .ok()
            .and_then(|d| end.checked_sub(d).ok());
        let window = match start {
            Some(s) => format!(
                "capture {} to {} ({})",
                s.strftime("%Y-%m-%d %H:%M:%S"),
                end.strftime("%H:%M:%S %:z"),
                crate::capture::fmt_duration(elapsed)
            ),
            None => format!("capture of {}", crate::capture::fmt_duration(elapsed)),
        };
        HtmlMeta {
            jira_url: Some(jira_url.to_string()),
            profile: Some(profile.to_string()),
            window: Some(window),
            ..HtmlMeta::now()
        }
    }
}

/// Items shown per list cell (IPs, paths, reasons): beyond that, a count, so that 200
/// tokens stay one screen-width table; the JSON format has them all.
const LIST_ITEMS: usize = 2;

/// Timeline chart size in CSS pixels: small enough for one compact row per token.
const CHART_W: f64 = 240.0;
const CHART_H: f64 = 16.0;

const CSS: &str = r#"
:root{--ok:#2b6cb0;--fail:#c53030;--mute:#666;--line:#ddd;--zebra:#f6f8fa}
*{box-sizing:border-box}
body{font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;margin:16px auto;max-width:1400px;padding:0 12px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:15px;margin:0;display:inline}
summary{cursor:pointer;padding:4px 0}
details{margin:14px 0}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 10px}
header dt{color:var(--mute)}
header dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid var(--line);border-radius:4px;padding:4px 10px;min-width:92px}
.card b{display:block;font-size:17px}
.card span{color:var(--mute);font-size:11px}
.card.bad b{color:var(--fail)}
table{border-collapse:collapse;width:100%;margin-top:4px}
th,td{padding:2px 6px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:11px;color:var(--mute);font-weight:600;white-space:nowrap}
tbody tr:nth-child(even){background:var(--zebra)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.id,.ts{white-space:nowrap}
.ts{font-size:11px;font-variant-numeric:tabular-nums}
.fail{color:var(--fail)}
.mute{color:var(--mute)}
.small{font-size:11px}
.list{font-size:11px;overflow-wrap:anywhere;min-width:8em}
td.paths{min-width:12em}
.wide{overflow-x:auto}
svg.tl{display:block}
svg.tl .r{fill:var(--ok)}
svg.tl .f{fill:var(--fail)}
svg.tl .axis{fill:var(--line)}
td.sts{min-width:10em}
.st{display:inline-block;padding:0 3px;border-radius:3px;font-size:11px;margin:0 2px 1px 0;background:#e6f4ea}
.st.s3{background:#e8eefa}.st.s4{background:#fdf0d5}.st.s5,.st.s429{background:#fbe0e0}
.legend i{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px;vertical-align:-1px}
.note{color:var(--mute);font-size:12px;margin:4px 0}
footer{color:var(--mute);font-size:11px;margin-top:20px;border-top:1px solid var(--line);padding-top:6px}
@page{size:A4 landscape;margin:10mm}
@media print{
 body{font-size:8pt;margin:0;max-width:none;padding:0}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 summary{list-style:none}
 summary::-webkit-details-marker{display:none}
 th,td{padding:1px 3px}
 .wide{overflow:visible}
 .list{min-width:6em}
 td.paths{min-width:9em}
 svg.tl{width:160px}
 .id,.mono{font-size:7.5pt}
 .ts,.list,.small,.st{font-size:7pt}
 tr,.card,svg{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 h1,h2,summary{break-after:avoid;page-break-after:avoid}
}
"#;

/// The one escaping function: text and attribute values alike (quotes included, so an
/// attribute can never be closed by a value).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// An RFC 3339 time as people read it: to the second with its offset, the full value
/// (fractions included) kept in the element for whoever needs it.
fn ts(s: &str) -> String {
    format!(
        "<time datetime=\"{}\" title=\"{}\">{}</time>",
        esc(s),
        esc(s),
        esc(&short_ts(s))
    )
}

/// `2026-11-30T02:54:51.163+00:00` → `2026-11-30 02:54:51+00:00`.
fn short_ts(s: &str) -> String {
    let s = s.replacen('T', " ", 1);
    match s.find('.') {
        Some(dot) => {
            let rest = &s[dot + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &s[..dot], &rest[digits..])
        }
        None => s,
    }
}

fn opt_ts(s: Option<&str>) -> String {
    s.map_or_else(|| "<span class=\"mute\">–</span>".to_string(), ts)
}

fn owner(user_key: Option<&str>, username: Option<&str>) -> String {
    match (username, user_key) {
        (Some(u), Some(k)) if !u.eq_ignore_ascii_case(k) => {
            format!("{} <span class=\"mute small\">({})</span>", esc(u), esc(k))
        }
        (Some(u), _) => esc(u),
        (None, Some(k)) => esc(k),
        (None, None) => "<span class=\"mute\">–</span>".to_string(),
    }
}

/// Thousands separated with a thin space: counts must read at a glance.
fn num(n: u64) -> String {
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push('\u{202f}');
        }
        o.push(c);
    }
    o
}

/// Top items of a list with their counts, then how many more there are.
fn list<T>(items: &[T], label: impl Fn(&T) -> (String, u64, u64)) -> String {
    let mut o = String::new();
    for (i, it) in items.iter().take(LIST_ITEMS).enumerate() {
        let (name, ok, failed) = label(it);
        if i > 0 {
            o.push_str("<br>");
        }
        let _ = write!(o, "{} <span class=\"mute\">{}", esc(&name), num(ok));
        if failed > 0 {
            let _ = write!(o, "</span> <span class=\"fail\">✗{}", num(failed));
        }
        o.push_str("</span>");
    }
    if items.len() > LIST_ITEMS {
        let _ = write!(
            o,
            "<br><span class=\"mute\">+{} more</span>",
            items.len() - LIST_ITEMS
        );
    }
    o
}

fn ips(v: &[IpCount]) -> String {
    list(v, |i| (i.ip.clone(), i.requests, i.failures))
}

fn paths(v: &[PathCount]) -> String {
    list(v, |p| (p.path.clone(), p.requests, p.failures))
}

fn reasons(v: &[ReasonCount]) -> String {
    list(v, |r| (r.reason.clone(), r.requests, 0))
}

/// Statuses as small badges, coloured by class (429 as an error: it is the rate limiter).
fn statuses(h: &HttpReport) -> String {
    let mut o = String::new();
    for (s, n) in &h.statuses {
        let class = if s == "429" {
            "s429".to_string()
        } else {
            format!("s{}", s.chars().next().unwrap_or('0'))
        };
        let _ = write!(
            o,
            "<span class=\"st {}\">{}×{}</span>",
            esc(&class),
            esc(s),
            num(*n)
        );
    }
    o
}

fn latency(h: &HttpReport) -> String {
    match &h.latency_ms {
        Some(l) => format!("{} / {} ms", esc(&fmt_ms(l.p50)), esc(&fmt_ms(l.p95))),
        None => "<span class=\"mute\">–</span>".to_string(),
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn top_agent(h: Option<&HttpReport>) -> String {
    match h.and_then(|h| h.user_agents.first()) {
        Some(a) => format!(
            "{} <span class=\"mute\">{}</span>",
            esc(&a.user_agent),
            num(a.requests)
        ),
        None => "<span class=\"mute\">–</span>".to_string(),
    }
}

/// One token's activity as bars: successful requests, failures stacked above in the
/// other colour, scaled to the token's own busiest bucket (the number beside the chart
/// gives that scale) so that a quiet token's pattern is still visible.
fn chart(requests: &[u64], failures: &[u64], label: &str) -> String {
    let n = requests.len().max(failures.len()).max(1);
    let total =
        |i: usize| requests.get(i).copied().unwrap_or(0) + failures.get(i).copied().unwrap_or(0);
    let max = (0..n).map(total).max().unwrap_or(0).max(1) as f64;
    let w = CHART_W / n as f64;
    let gap = if w > 3.0 { 1.0 } else { 0.0 };
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg class=\"tl\" width=\"{CHART_W}\" height=\"{CHART_H}\" viewBox=\"0 0 {CHART_W} {CHART_H}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\"><title>{}</title><rect class=\"axis\" x=\"0\" y=\"{}\" width=\"{CHART_W}\" height=\"1\"/>",
        esc(label),
        esc(label),
        CHART_H - 1.0
    );
    let usable = CHART_H - 1.0;
    for i in 0..n {
        let r = requests.get(i).copied().unwrap_or(0) as f64;
        let f = failures.get(i).copied().unwrap_or(0) as f64;
        if r + f == 0.0 {
            continue;
        }
        let x = i as f64 * w;
        // At least a pixel for any activity: one request in a busy window still shows.
        let rh = if r > 0.0 {
            (r / max * usable).max(1.0)
        } else {
            0.0
        };
        let fh = if f > 0.0 {
            (f / max * usable).max(1.0)
        } else {
            0.0
        };
        if rh > 0.0 {
            let _ = write!(
                o,
                "<rect class=\"r\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{rh:.2}\"/>",
                usable - rh,
                (w - gap).max(0.5)
            );
        }
        if fh > 0.0 {
            let _ = write!(
                o,
                "<rect class=\"f\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{fh:.2}\"/>",
                (usable - rh - fh).max(0.0),
                (w - gap).max(0.5)
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// The end of the timeline, in the start's own offset, for the axis caption.
fn timeline_end(t: &Timeline) -> Option<String> {
    let start: jiff::civil::DateTime = t.start.parse().ok()?;
    let minutes = i64::try_from(t.buckets.checked_mul(t.bucket_minutes)?).ok()?;
    let end = start
        .checked_add(jiff::Span::new().try_minutes(minutes).ok()?)
        .ok()?;
    Some(end.strftime("%Y-%m-%d %H:%M").to_string())
}

fn timeline_caption(t: &Timeline) -> String {
    let start = t.start.parse::<jiff::civil::DateTime>().map_or_else(
        |_| short_ts(&t.start),
        |d| d.strftime("%Y-%m-%d %H:%M").to_string(),
    );
    let per = if t.bucket_minutes == 1 {
        "1 minute".to_string()
    } else {
        format!("{} minutes", t.bucket_minutes)
    };
    let end = timeline_end(t).map_or(String::new(), |e| format!(" to {e}"));
    format!(
        "From {}{}: {} of {} each, every chart scaled to its own busiest bar (the number beside it).",
        esc(&start),
        esc(&end),
        if t.buckets == 1 {
            "1 bar".to_string()
        } else {
            format!("{} bars", t.buckets)
        },
        esc(&per)
    )
}

/// The span of the requests seen, when the caller did not give a capture window.
fn seen_window(r: &Report) -> Option<String> {
    let first = r
        .tokens
        .iter()
        .filter_map(|t| t.first_seen.as_deref())
        .min()?;
    let last = r
        .tokens
        .iter()
        .filter_map(|t| t.last_seen.as_deref())
        .max()?;
    Some(format!(
        "first request seen {}, last {}",
        short_ts(first),
        short_ts(last)
    ))
}

fn card(o: &mut String, value: u64, label: &str, bad: bool) {
    let _ = write!(
        o,
        "<div class=\"card{}\"><b>{}</b><span>{}</span></div>",
        if bad && value > 0 { " bad" } else { "" },
        num(value),
        esc(label)
    );
}

fn header(o: &mut String, r: &Report, meta: &HtmlMeta) {
    let title = meta
        .title
        .clone()
        .unwrap_or_else(|| "jira-patrol: personal access token usage".to_string());
    let _ = write!(o, "<header><h1>{}</h1><dl>", esc(&title));
    let mut row = |k: &str, v: &str| {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    };
    match (&meta.window, seen_window(r)) {
        (Some(w), _) => row("Window", w),
        (None, Some(w)) => row("Window", &w),
        (None, None) => row("Window", "no token request seen"),
    }
    // The URL is text, never a link: the file points nowhere.
    if let Some(u) = &meta.jira_url {
        row("Jira", u);
    }
    if let Some(p) = &meta.profile {
        row("Profile", p);
    }
    if !r.files.is_empty() {
        let more = if r.files.len() > 3 {
            format!(" and {} more", r.files.len() - 3)
        } else {
            String::new()
        };
        row(
            "Logs",
            &format!(
                "{}{more} ({} lines, {} PAT lines)",
                r.files
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                r.lines,
                r.pat_lines
            ),
        );
    }
    for p in &r.partial {
        row("Partial", p);
    }
    for n in &r.notes {
        row("Note", &n.text);
    }
    if let Some(g) = &meta.generated_at {
        row("Generated", g);
    }
    o.push_str("</dl><div class=\"cards\">");
    // jira-patrol's own probe is listed, not counted.
    let theirs = || r.tokens.iter().filter(|t| !t.jira_patrol_probe);
    let requests: u64 = theirs().map(|t| t.requests).sum();
    let failures: u64 = theirs().map(|t| t.failures).sum::<u64>()
        + r.failed_token_ids.iter().map(|f| f.requests).sum::<u64>()
        + r.unattributed_failures;
    card(o, theirs().count() as u64, "tokens seen", false);
    card(o, requests, "token requests", false);
    card(o, failures, "failed attempts", true);
    card(
        o,
        r.failed_token_ids.len() as u64,
        "unknown token ids",
        true,
    );
    card(o, r.not_pat_bearer.requests, "not-PAT Bearer", true);
    if r.no_verdict > 0 {
        card(o, r.no_verdict, "no verdict", true);
    }
    if let Some(a) = &r.access_log {
        card(o, a.joined, "joined to access log", false);
        card(o, a.unjoined, "not joined", a.unjoined > 0);
    }
    if let Some(inv) = &r.inventory {
        card(o, inv.tokens, "tokens in Jira", false);
        card(o, inv.unused.len() as u64, "unused in window", false);
        if !inv.cannot_tell.is_empty() {
            card(o, inv.cannot_tell.len() as u64, "use cannot be told", true);
        }
    }
    o.push_str("</div></header>");
}

/// A section that the reader can fold (plain `<details>`: no script needed).
fn open_section(o: &mut String, id: &str, class: &str, title: &str, count: Option<usize>) {
    let _ = write!(
        o,
        "<details open id=\"{}\" class=\"{}\"><summary><h2>{}</h2>{}</summary>",
        esc(id),
        esc(class),
        esc(title),
        count.map_or(String::new(), |n| format!(
            " <span class=\"mute\">({})</span>",
            num(n as u64)
        ))
    );
}

fn timeline(o: &mut String, r: &Report) {
    if r.tokens.is_empty() {
        return;
    }
    let joined = r.tokens.iter().any(|t| t.http.is_some());
    open_section(
        o,
        "timeline",
        "timeline",
        "Timeline per token",
        Some(r.tokens.len()),
    );
    o.push_str("<p class=\"note\">");
    if let Some(t) = &r.timeline {
        o.push_str(&timeline_caption(t));
    }
    o.push_str("<span class=\"legend\"><i style=\"background:var(--ok)\"></i>requests<i style=\"background:var(--fail)\"></i>failures</span></p>");
    o.push_str("<table><thead><tr><th>Token id</th><th>Name</th><th class=\"n\">Requests</th><th class=\"n\">Failures</th><th>Activity</th><th class=\"n\">Busiest bar</th>");
    if joined {
        o.push_str("<th>Statuses</th><th class=\"n\">p50 / p95</th>");
    }
    o.push_str("</tr></thead><tbody>");
    for t in &r.tokens {
        let a = &t.activity;
        let peak = (0..a.requests.len().max(a.failures.len()))
            .map(|i| {
                a.requests.get(i).copied().unwrap_or(0) + a.failures.get(i).copied().unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        let label = format!(
            "{} {}: {} requests, {} failures",
            t.token_id,
            t.name.as_deref().unwrap_or(""),
            t.requests,
            t.failures
        );
        let _ = write!(
            o,
            "<tr class=\"token\" data-token=\"{}\"><td class=\"id\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td>{}</td><td class=\"n\">{}</td>",
            esc(&t.token_id),
            esc(&t.token_id),
            esc(t.name.as_deref().unwrap_or("")),
            num(t.requests),
            if t.failures > 0 { " fail" } else { "" },
            num(t.failures),
            chart(&a.requests, &a.failures, &label),
            num(peak)
        );
        if joined {
            match &t.http {
                Some(h) => {
                    let _ = write!(
                        o,
                        "<td class=\"sts\">{}</td><td class=\"n\">{}</td>",
                        statuses(h),
                        latency(h)
                    );
                }
                None => o.push_str("<td class=\"mute\">–</td><td></td>"),
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></details>");
}

fn expiry(t: &TokenReport) -> String {
    match (t.expires.as_str(), &t.expires_at) {
        (_, Some(at)) => ts(at),
        ("never", None) => "never".to_string(),
        _ => "<span class=\"mute\">unknown</span>".to_string(),
    }
}

fn tokens(o: &mut String, r: &Report) {
    if r.tokens.is_empty() {
        return;
    }
    // Without the access-log join there is no User-Agent: no empty column for it.
    let joined = r.tokens.iter().any(|t| t.http.is_some());
    open_section(o, "tokens", "tokens", "Tokens", Some(r.tokens.len()));
    o.push_str("<div class=\"wide\"><table><thead><tr><th>Token id</th><th>Name</th><th>Owner</th><th class=\"n\">Requests</th><th class=\"n\">Failures</th><th>Seen first / last</th><th>Expires</th><th class=\"n\">Peak/min</th>");
    if joined {
        o.push_str("<th>Top User-Agent</th>");
    }
    o.push_str("<th>IPs</th><th>Paths</th></tr></thead><tbody>");
    for t in &r.tokens {
        let mut db = t.db_id.map_or(String::new(), |d| {
            format!("<br><span class=\"mute small\">db {d}</span>")
        });
        if t.jira_patrol_probe {
            db.push_str(
                "<br><span class=\"mute small\">jira-patrol's own probe: not counted</span>",
            );
        }
        let _ = write!(
            o,
            "<tr class=\"token\" data-token=\"{}\"><td class=\"id\">{}{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"ts\">{}<br>{}</td><td class=\"ts\">{}</td><td class=\"n\">{}</td>",
            esc(&t.token_id),
            esc(&t.token_id),
            db,
            esc(t.name.as_deref().unwrap_or("")),
            owner(t.user_key.as_deref(), t.username.as_deref()),
            num(t.requests),
            if t.failures > 0 { " fail" } else { "" },
            num(t.failures),
            opt_ts(t.first_seen.as_deref()),
            opt_ts(t.last_seen.as_deref()),
            expiry(t),
            num(t.peak_per_minute),
        );
        if joined {
            let _ = write!(o, "<td class=\"list\">{}</td>", top_agent(t.http.as_ref()));
        }
        let _ = write!(
            o,
            "<td class=\"list mono\">{}</td><td class=\"list mono paths\">{}</td></tr>",
            ips(&t.ips),
            paths(&t.paths),
        );
        if !t.failure_reasons.is_empty() {
            let _ = write!(
                o,
                "<tr class=\"reasons\"><td></td><td colspan=\"{}\" class=\"small fail\">failures: {}</td></tr>",
                if joined { 10 } else { 9 },
                reasons(&t.failure_reasons).replace("<br>", "; ")
            );
        }
    }
    o.push_str("</tbody></table></div></details>");
}

fn failures(o: &mut String, r: &Report) {
    if r.failed_token_ids.is_empty() && r.unattributed_failures == 0 {
        return;
    }
    open_section(
        o,
        "failed",
        "failed",
        "Failed token ids",
        Some(r.failed_token_ids.len()),
    );
    o.push_str("<p class=\"note\">Token ids that were presented but never authenticated: unknown, revoked or deleted tokens, or a wrong secret for an id.</p>");
    if !r.failed_token_ids.is_empty() {
        let joined = r.failed_token_ids.iter().any(|f| f.http.is_some());
        o.push_str(
            "<table><thead><tr><th>Token id</th><th class=\"n\">Attempts</th><th>Reasons</th>",
        );
        if joined {
            o.push_str("<th>Statuses</th><th>Top User-Agent</th>");
        }
        o.push_str("</tr></thead><tbody>");
        for f in &r.failed_token_ids {
            let _ = write!(
                o,
                "<tr class=\"failed\" data-token=\"{}\"><td class=\"id\">{}</td><td class=\"n fail\">{}</td><td class=\"list\">{}</td>",
                esc(&f.token_id),
                esc(&f.token_id),
                num(f.requests),
                reasons(&f.failure_reasons)
            );
            if joined {
                let _ = write!(
                    o,
                    "<td>{}</td><td class=\"list\">{}</td>",
                    f.http.as_ref().map_or(String::new(), statuses),
                    top_agent(f.http.as_ref())
                );
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table>");
    }
    if let Some(f) = &r.other_failed_token_ids {
        let _ = write!(
            o,
            "<p class=\"note\">{}</p>",
            esc(&crate::report::other_failed_line(f))
        );
    }
    if r.unattributed_failures > 0 {
        let _ = write!(
            o,
            "<p class=\"note\">{} failed token authentications whose token id the log does not name.</p>",
            num(r.unattributed_failures)
        );
    }
    o.push_str("</details>");
}

fn not_pat(o: &mut String, r: &Report) {
    let n = &r.not_pat_bearer;
    if n.requests == 0 {
        return;
    }
    open_section(
        o,
        "not-pat",
        "not-pat",
        "Bearer credentials that are not PATs",
        None,
    );
    let _ = write!(
        o,
        "<p class=\"note\">{} requests presented a Bearer value the PAT plugin could not decode (a JWT, another system's token, garbage): never a token id.</p><table><thead><tr><th class=\"n\">Requests</th><th>IPs</th><th>Paths</th>",
        num(n.requests)
    );
    if n.http.is_some() {
        o.push_str("<th>Statuses</th><th>Top User-Agent</th>");
    }
    let _ = write!(
        o,
        "</tr></thead><tbody><tr><td class=\"n\">{}</td><td class=\"list mono\">{}</td><td class=\"list mono\">{}</td>",
        num(n.requests),
        ips(&n.ips),
        paths(&n.paths)
    );
    if let Some(h) = &n.http {
        let _ = write!(
            o,
            "<td>{}</td><td class=\"list\">{}</td>",
            statuses(h),
            top_agent(Some(h))
        );
    }
    o.push_str("</tr></tbody></table></details>");
}

fn users(o: &mut String, r: &Report) {
    if r.users.is_empty() {
        return;
    }
    let joined = r.users.iter().any(|u| u.rate_limited.is_some());
    open_section(
        o,
        "users",
        "users",
        "Per user (Jira's rate limiter)",
        Some(r.users.len()),
    );
    o.push_str("<p class=\"note\">Jira rate-limits per user, all of that user's tokens together: the busiest minute and which tokens made it.</p>");
    o.push_str("<table><thead><tr><th>User</th><th class=\"n\">Tokens</th><th class=\"n\">Requests</th><th class=\"n\">Peak/min</th><th>Peak minute</th>");
    if joined {
        o.push_str("<th class=\"n\">429s</th>");
    }
    o.push_str("<th>Tokens at peak</th></tr></thead><tbody>");
    for u in &r.users {
        let _ = write!(
            o,
            "<tr class=\"user\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"ts\">{}</td>",
            owner(Some(&u.user_key), u.username.as_deref()),
            num(u.tokens),
            num(u.requests),
            num(u.peak_per_minute),
            opt_ts(u.peak_minute.as_deref())
        );
        if joined {
            let n = u.rate_limited.unwrap_or(0);
            let _ = write!(
                o,
                "<td class=\"n{}\">{}</td>",
                if n > 0 { " fail" } else { "" },
                num(n)
            );
        }
        let at_peak = list(&u.tokens_at_peak, |t| {
            (
                match &t.name {
                    Some(n) => format!("{} {n}", t.token_id),
                    None => t.token_id.clone(),
                },
                t.requests,
                0,
            )
        });
        let _ = write!(o, "<td class=\"list\">{at_peak}</td></tr>");
    }
    o.push_str("</tbody></table></details>");
}

fn unidentified(o: &mut String, r: &Report) {
    if r.unidentified.is_empty() {
        return;
    }
    open_section(
        o,
        "unidentified",
        "unidentified",
        "Token requests without a token id",
        Some(r.unidentified.len()),
    );
    o.push_str("<p class=\"note\">Authenticated by a token, but the log does not say which (a lower log level than TRACE on the PAT plugin).</p><table><thead><tr><th>User key</th><th class=\"n\">Requests</th></tr></thead><tbody>");
    for u in &r.unidentified {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&u.user_key),
            num(u.requests)
        );
    }
    o.push_str("</tbody></table></details>");
}

fn access_log(o: &mut String, r: &Report) {
    let Some(a) = &r.access_log else { return };
    open_section(o, "access-log", "access-log", "Access-log join", None);
    let _ = write!(
        o,
        "<table><tbody><tr><th>Files</th><td class=\"list mono\">{}</td></tr><tr><th>Pattern</th><td class=\"mono small\">{} <span class=\"mute\">({})</span></td></tr><tr><th>%D unit</th><td>{} <span class=\"mute\">({})</span></td></tr><tr><th>Joined</th><td>{} of {} PAT requests; {} not joined, {} of them outside the access log's time</td></tr><tr><th>Lines</th><td>{} read, {} not matching the pattern</td></tr></tbody></table></details>",
        a.files.iter().map(|f| esc(f)).collect::<Vec<_>>().join("<br>"),
        esc(&a.pattern),
        esc(&a.pattern_source),
        esc(&format!("{:?}", a.duration_unit).to_lowercase()),
        esc(&a.duration_unit_source),
        num(a.joined),
        num(a.joined + a.unjoined),
        num(a.unjoined),
        num(a.outside_access_log),
        num(a.lines),
        num(a.unparsed_lines)
    );
}

fn inventory(o: &mut String, r: &Report) {
    let Some(inv) = &r.inventory else { return };
    open_section(
        o,
        "inventory",
        "inventory",
        "Inventory: tokens not seen in this window",
        Some(inv.unused.len() + inv.cannot_tell.len() + inv.expired.len()),
    );
    let _ = write!(
        o,
        "<p class=\"note\">Jira has {} tokens; {} were not used in the logs read, {} may or may not have been (their owner made requests the logs do not tie to a token), {} had expired by the window's end (unusable; Jira removes each {} days after its expiry).",
        num(inv.tokens),
        num(inv.unused.len() as u64),
        num(inv.cannot_tell.len() as u64),
        num(inv.expired.len() as u64),
        crate::summary::EXPIRED_PRUNING_DAYS
    );
    if let Some(n) = &inv.note {
        let _ = write!(o, " {}", esc(n));
    }
    o.push_str("</p>");
    let rows = inv
        .unused
        .iter()
        .map(|t| ("unused", t, "not used".to_string()))
        .chain(inv.cannot_tell.iter().map(|u| {
            (
                "cannot-tell",
                &u.token,
                format!(
                    "cannot tell: {} ({} request(s))",
                    u.why.text(),
                    u.owner_requests
                ),
            )
        }))
        .chain(inv.expired.iter().map(|e| {
            (
                "expired",
                &e.token,
                format!("expired; removed after {}", e.removed_after),
            )
        }));
    if !(inv.unused.is_empty() && inv.cannot_tell.is_empty() && inv.expired.is_empty()) {
        o.push_str("<table><thead><tr><th class=\"n\">Db id</th><th>Name</th><th>Owner</th><th>Created</th><th>Last used</th><th>Expires</th><th>Use in window</th></tr></thead><tbody>");
        for (class, t, state) in rows {
            let _ = write!(
                o,
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"ts\">{}</td><td class=\"ts\">{}</td><td class=\"ts\">{}</td><td>{}</td></tr>",
                t.id,
                esc(&t.name),
                owner(Some(&t.user_key), t.username.as_deref()),
                opt_ts(t.created_at.as_deref()),
                t.last_accessed_at
                    .as_deref()
                    .map_or_else(|| "never".to_string(), ts),
                t.expires_at
                    .as_deref()
                    .map_or_else(|| "never".to_string(), ts),
                esc(&state)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</details>");
}

/// The whole page, built in memory first: formatting cannot fail, so the one error left
/// is the write's, and a page is written whole or the command fails.
pub fn html(r: &Report, meta: &HtmlMeta, out: &mut dyn Write) -> io::Result<()> {
    let mut o = String::with_capacity(64 * 1024 + r.tokens.len() * 4096);
    let title = meta
        .title
        .clone()
        .unwrap_or_else(|| "jira-patrol report".to_string());
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"jira-patrol {}\"><title>{}</title><style>{}</style></head><body>",
        esc(env!("CARGO_PKG_VERSION")),
        esc(&title),
        CSS
    );
    header(&mut o, r, meta);
    if r.is_empty() {
        o.push_str("<p class=\"note\">No token request in these logs. Were the com.atlassian.pats loggers at TRACE or DEBUG when they were written? <code>jira-patrol capture</code> sets that up for a window.</p>");
    }
    timeline(&mut o, r);
    tokens(&mut o, r);
    failures(&mut o, r);
    not_pat(&mut o, r);
    users(&mut o, r);
    unidentified(&mut o, r);
    access_log(&mut o, r);
    inventory(&mut o, r);
    let _ = writeln!(
        o,
        "<footer>jira-patrol {}: {} PAT lines of {} read. Token ids are 12 digits computed from a PAT (<code>jira-patrol token-id</code>); the JSON format has every IP, path and User-Agent.</footer></body></html>",
        esc(env!("CARGO_PKG_VERSION")),
        num(r.pat_lines),
        num(r.lines)
    );
    out.write_all(o.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1234567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn chart_has_failures_in_their_own_colour() {
        let svg = chart(&[1, 0, 5], &[0, 2, 0], "<x>");
        assert!(svg.contains("class=\"r\""));
        assert!(svg.contains("class=\"f\""));
        assert!(svg.contains("&lt;x&gt;"));
    }
}
