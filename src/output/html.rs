//! `--format html`: the report as one file an admin can mail to a colleague, open
//! offline, and print. Everything is inline (CSS, SVG charts) and nothing points outside
//! the file: a report about credentials must not make a reader's browser call anywhere,
//! and it must read the same in a mail client that blocks scripts and remote content.
//!
//! The page is a maud template: every value is escaped by default, attributes included,
//! and text from the logs is [`Untrusted`], whose rendering also shows control and
//! bidirectional characters as visible escapes. Lists (IPs, paths) break only between
//! their values, one per line; a table wider than the page scrolls inside its section.

use crate::human;
use crate::summary::{HttpReport, IpCount, PathCount, ReasonCount, Report, Timeline, TokenReport};
use crate::untrusted::Untrusted;
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
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
            generated_at: Some(human::now()),
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
                human::local(&s),
                human::local(&end),
                human::duration(elapsed)
            ),
            None => format!("capture of {}", human::duration(elapsed)),
        };
        HtmlMeta {
            jira_url: Some(jira_url.to_string()),
            profile: Some(profile.to_string()),
            window: Some(window),
            ..HtmlMeta::now()
        }
    }
}

/// In a page: escaped by maud's escaper, each character a terminal would not show as it
/// is written as its visible escape in a `<span class="esc">`, so a right-to-left override
/// cannot reorder the text around it.
impl maud::Render for Untrusted {
    fn render_to(&self, buffer: &mut String) {
        let mut rest = self.raw();
        while let Some((i, c)) = rest
            .char_indices()
            .find(|&(_, c)| crate::untrusted::needs_escape(c))
        {
            push_html(buffer, &rest[..i]);
            buffer.push_str("<span class=\"esc\">");
            crate::untrusted::push_escape(buffer, c);
            buffer.push_str("</span>");
            rest = &rest[i + c.len_utf8()..];
        }
        push_html(buffer, rest);
    }
}

fn push_html(buffer: &mut String, s: &str) {
    use std::fmt::Write as _;
    let _ = maud::Escaper::new(buffer).write_str(s);
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
details{margin:14px 0;min-width:0}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 10px}
header dt{color:var(--mute)}
header dd{margin:0;overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid var(--line);border-radius:4px;padding:4px 10px;min-width:92px}
.card b{display:block;font-size:17px}
.card span{color:var(--mute);font-size:11px}
.card.bad b{color:var(--fail)}
.wide{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin-top:4px}
th,td{padding:2px 5px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:11px;color:var(--mute);font-weight:600;white-space:nowrap}
tbody tr:nth-child(even){background:var(--zebra)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.id,.ts{white-space:nowrap}
.ts{font-size:11px;font-variant-numeric:tabular-nums}
.fail{color:var(--fail)}
.mute{color:var(--mute)}
.small{font-size:11px}
.name{overflow-wrap:anywhere;min-width:9em}
.list{font-size:11px}
.list .v{display:block;white-space:nowrap}
.agent{font-size:11px;min-width:10em;overflow-wrap:anywhere}
.esc{color:var(--fail);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
svg.tl{display:block}
svg.tl .r{fill:var(--ok)}
svg.tl .f{fill:var(--fail)}
svg.tl .axis{fill:var(--line)}
td.sts{min-width:9em}
.st{display:inline-block;padding:0 3px;border-radius:3px;font-size:11px;margin:0 2px 1px 0;background:#e6f4ea;white-space:nowrap}
.st.s3{background:#e8eefa}.st.s4{background:#fdf0d5}.st.s5,.st.s429{background:#fbe0e0}
.legend i{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px;vertical-align:-1px}
.note{color:var(--mute);font-size:12px;margin:4px 0}
.coverage{border:1px solid var(--line);border-left:4px solid var(--ok);padding:4px 10px;margin:8px 0}
.coverage.partial{border-left-color:var(--fail);background:#fdf3f3}
.coverage p{margin:2px 0}
footer{color:var(--mute);font-size:11px;margin-top:20px;border-top:1px solid var(--line);padding-top:6px}
@page{size:A4 landscape;margin:10mm}
@media print{
 body{font-size:8pt;margin:0;max-width:none;padding:0}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 summary{list-style:none}
 summary::-webkit-details-marker{display:none}
 th,td{padding:1px 3px}
 .wide{overflow:visible}
 svg.tl{width:160px}
 .id,.mono{font-size:7.5pt}
 .ts,.list,.small,.st,.agent{font-size:7pt}
 tr,.card,svg{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 h1,h2,summary{break-after:avoid;page-break-after:avoid}
}
"#;

/// Text of ours that may quote someone else's (a file name, a note with Jira's words):
/// rendered like [`Untrusted`].
fn shown(s: &str) -> Untrusted {
    Untrusted::new(s)
}

/// An RFC 3339 time as people read it: to the second, the full value (offset, fractions)
/// kept in the element for whoever needs it.
fn ts(s: &str) -> Markup {
    html! { time datetime=(s) title=(s) { (human::time(s)) } }
}

fn opt_ts(s: Option<&str>) -> Markup {
    match s {
        Some(s) => ts(s),
        None => dash(),
    }
}

fn dash() -> Markup {
    html! { span.mute { "–" } }
}

fn owner(user_key: Option<&Untrusted>, username: Option<&Untrusted>) -> Markup {
    match (username, user_key) {
        (Some(u), Some(k)) if !u.raw().eq_ignore_ascii_case(k.raw()) => {
            html! { (u) " " span.mute.small { "(" (k) ")" } }
        }
        (Some(u), _) => html! { (u) },
        (None, Some(k)) => html! { (k) },
        (None, None) => dash(),
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

/// Top items of a list, one value per line (a value never breaks), with their counts,
/// then how many more there are.
fn list<T>(items: &[T], label: impl Fn(&T) -> (Markup, u64, u64)) -> Markup {
    html! {
        @for it in items.iter().take(LIST_ITEMS) {
            @let (name, ok, failed) = label(it);
            span.v {
                (name) " " span.mute { (num(ok)) }
                @if failed > 0 { " " span.fail { "✗" (num(failed)) } }
            }
        }
        @if items.len() > LIST_ITEMS {
            span.v.mute { "+" (items.len() - LIST_ITEMS) " more" }
        }
    }
}

fn ips(v: &[IpCount]) -> Markup {
    list(v, |i| (i.ip.render(), i.requests, i.failures))
}

fn paths(v: &[PathCount]) -> Markup {
    list(v, |p| (p.path.render(), p.requests, p.failures))
}

fn reasons(v: &[ReasonCount]) -> Markup {
    list(v, |r| (r.reason.render(), r.requests, 0))
}

/// Statuses as small badges, coloured by class (429 as an error: it is the rate limiter).
fn statuses(h: &HttpReport) -> Markup {
    html! {
        @for (s, n) in &h.statuses {
            @let class = if s == "429" { "s429".to_string() } else { format!("s{}", s.chars().next().unwrap_or('0')) };
            span class={ "st " (class) } { (s) "×" (num(*n)) }
            " "
        }
    }
}

fn latency(h: &HttpReport) -> Markup {
    match &h.latency_ms {
        Some(l) => html! { (fmt_ms(l.p50)) " / " (fmt_ms(l.p95)) " ms" },
        None => dash(),
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn top_agent(h: Option<&HttpReport>) -> Markup {
    match h.and_then(|h| h.user_agents.first()) {
        Some(a) => html! { (a.user_agent) " " span.mute { (num(a.requests)) } },
        None => dash(),
    }
}

/// One token's activity as bars of its volume (every attempt), the failed part of each
/// bar in the other colour on top — two series, neither hiding the other — scaled to the
/// token's own busiest bucket (the number beside the chart gives that scale) so that a
/// quiet token's pattern is still visible.
fn chart(requests: &[u64], failures: &[u64], label: &str) -> Markup {
    let n = requests.len().max(failures.len()).max(1);
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let max = (0..n)
        .map(|i| at(requests, i) + at(failures, i))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let w = CHART_W / n as f64;
    let gap = if w > 3.0 { 1.0 } else { 0.0 };
    let bar_w = format!("{:.2}", (w - gap).max(0.5));
    let usable = CHART_H - 1.0;
    // At least a pixel for any activity: one request in a busy window still shows.
    let h = |v: u64| {
        if v > 0 {
            (v as f64 / max * usable).max(1.0)
        } else {
            0.0
        }
    };
    html! {
        svg.tl width=(CHART_W) height=(CHART_H) viewBox={ "0 0 " (CHART_W) " " (CHART_H) }
            preserveAspectRatio="none" role="img" aria-label=(label) {
            title { (label) }
            rect.axis x="0" y=(CHART_H - 1.0) width=(CHART_W) height="1" {}
            @for i in 0..n {
                @let (rh, fh) = (h(at(requests, i)), h(at(failures, i)));
                @let x = format!("{:.2}", i as f64 * w);
                @if rh > 0.0 {
                    rect.r x=(x) y=(format!("{:.2}", usable - rh)) width=(bar_w) height=(format!("{rh:.2}")) {}
                }
                @if fh > 0.0 {
                    rect.f x=(x) y=(format!("{:.2}", (usable - rh - fh).max(0.0))) width=(bar_w) height=(format!("{fh:.2}")) {}
                }
            }
        }
    }
}

fn timeline_caption(t: &Timeline) -> String {
    // In the log's own offset, as every time of the report: the start's civil time, and
    // the end as far after it as the buckets reach.
    let start = t
        .start
        .get(..19)
        .and_then(|s| s.parse::<jiff::civil::DateTime>().ok());
    let end = start.and_then(|s| {
        let span = jiff::SignedDuration::from_millis((t.buckets * t.bucket_ms) as i64);
        s.checked_add(span).ok()
    });
    let show = |d: Option<jiff::civil::DateTime>| {
        d.map_or_else(|| human::time(&t.start), |d| human::time(&d.to_string()))
    };
    let per = human::duration(std::time::Duration::from_millis(t.bucket_ms));
    format!(
        "From {} to {}: {} bars of {per} each, every chart scaled to its own busiest bar (the number beside it).",
        show(start),
        show(end),
        t.buckets
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
        human::time(first),
        human::time(last)
    ))
}

fn card(value: u64, label: &str, bad: bool) -> Markup {
    html! {
        div.card.bad[bad && value > 0] { b { (num(value)) } span { (label) } }
    }
}

/// The banner saying which nodes the report covers (red when only a part, or with gaps).
fn coverage(r: &Report) -> Markup {
    let Some(c) = &r.coverage else {
        return html! {};
    };
    let lines = super::coverage::lines(c);
    html! {
        @if !lines.is_empty() {
            div.coverage.partial[!c.complete] role="note" {
                @for l in &lines { p { (shown(l)) } }
            }
        }
    }
}

fn header(r: &Report, meta: &HtmlMeta) -> Markup {
    let title = meta
        .title
        .clone()
        .unwrap_or_else(|| "jira-patrol: personal access token usage".to_string());
    let window = match (&meta.window, seen_window(r)) {
        (Some(w), _) => w.clone(),
        (None, Some(w)) => w,
        (None, None) => "no token request seen".into(),
    };
    let logs = (!r.files.is_empty()).then(|| {
        let more = if r.files.len() > 3 {
            format!(" and {} more", r.files.len() - 3)
        } else {
            String::new()
        };
        format!(
            "{}{more} ({} lines, {} PAT lines)",
            r.files
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            r.lines,
            r.pat_lines
        )
    });
    // jira-patrol's own probe is listed, not counted.
    let theirs = || r.tokens.iter().filter(|t| !t.jira_patrol_probe);
    let requests: u64 = theirs().map(|t| t.requests).sum();
    let failures: u64 = theirs().map(|t| t.failures).sum::<u64>()
        + r.failed_token_ids.iter().map(|f| f.requests).sum::<u64>()
        + r.unattributed_failures;
    html! {
        header {
            h1 { (shown(&title)) }
            dl {
                dt { "Window" } dd { (shown(&window)) }
                // The URL is text, never a link: the file points nowhere.
                @if let Some(u) = &meta.jira_url { dt { "Jira" } dd { (shown(u)) } }
                @if let Some(p) = &meta.profile { dt { "Profile" } dd { (shown(p)) } }
                @if let Some(l) = &logs { dt { "Logs" } dd { (shown(l)) } }
                @for p in &r.partial { dt { "Partial" } dd { (shown(p)) } }
                @for n in &r.notes { dt { "Note" } dd { (shown(&n.text)) } }
                @if let Some(g) = &meta.generated_at { dt { "Generated" } dd { (g) } }
            }
            div.cards {
                (card(theirs().count() as u64, "tokens seen", false))
                (card(requests, "token requests", false))
                (card(failures, "failed attempts", true))
                (card(r.failed_token_ids.len() as u64, "unknown token ids", true))
                (card(r.not_pat_bearer.requests, "not-PAT Bearer", true))
                @if r.no_verdict > 0 { (card(r.no_verdict, "no verdict", true)) }
                @if let Some(a) = &r.access_log {
                    (card(a.joined, "joined to access log", false))
                    (card(a.unjoined, "not joined", a.unjoined > 0))
                }
                @if let Some(inv) = &r.inventory {
                    (card(inv.tokens, "tokens in Jira", false))
                    (card(inv.unused.len() as u64, "unused in window", false))
                    @if !inv.cannot_tell.is_empty() {
                        (card(inv.cannot_tell.len() as u64, "use cannot be told", true))
                    }
                }
            }
        }
    }
}

/// A section that the reader can fold (plain `<details>`: no script needed); its table
/// scrolls inside it when wider than the page.
fn section(id: &str, title: &str, count: Option<usize>, body: Markup) -> Markup {
    html! {
        details open id=(id) class=(id) {
            summary {
                h2 { (title) }
                @if let Some(n) = count { " " span.mute { "(" (num(n as u64)) ")" } }
            }
            (body)
        }
    }
}

fn timeline(r: &Report) -> Markup {
    if r.tokens.is_empty() {
        return html! {};
    }
    let joined = r.tokens.iter().any(|t| t.http.is_some());
    let body = html! {
        p.note {
            @if let Some(t) = &r.timeline { (timeline_caption(t)) }
            span.legend {
                i style="background:var(--ok)" {} "requests"
                i style="background:var(--fail)" {} "failures"
            }
        }
        div.wide { table {
            thead { tr {
                th { "Token id" } th { "Name" } th.n { "Requests" } th.n { "Failures" }
                th { "Activity" } th.n { "Busiest bar" }
                @if joined { th { "Statuses" } th.n { "p50 / p95" } }
            } }
            tbody {
                @for t in &r.tokens {
                    @let a = &t.activity;
                    @let peak = (0..a.requests.len().max(a.failures.len()))
                        .map(|i| a.requests.get(i).copied().unwrap_or(0) + a.failures.get(i).copied().unwrap_or(0))
                        .max()
                        .unwrap_or(0);
                    @let label = format!(
                        "{} {}: {} requests, {} failures",
                        t.token_id,
                        t.name.as_ref().map(|n| n.terminal().into_owned()).unwrap_or_default(),
                        t.requests,
                        t.failures
                    );
                    tr.token data-token=(t.token_id) {
                        td.id { (t.token_id) }
                        td.name { @if let Some(n) = &t.name { (n) } }
                        td.n { (num(t.requests)) }
                        td.n.fail[t.failures > 0] { (num(t.failures)) }
                        td { (chart(&a.requests, &a.failures, &label)) }
                        td.n { (num(peak)) }
                        @if joined {
                            @match &t.http {
                                Some(h) => { td.sts { (statuses(h)) } td.n { (latency(h)) } }
                                None => { td.mute { "–" } td {} }
                            }
                        }
                    }
                }
            }
        } }
    };
    section("timeline", "Timeline per token", Some(r.tokens.len()), body)
}

/// The day a token expires (the time of day is in the element).
fn expiry(t: &TokenReport) -> Markup {
    match (t.expires.as_str(), &t.expires_at) {
        (_, Some(at)) => html! { time datetime=(at) title=(at) { (human::day(at)) } },
        ("never", None) => html! { "never" },
        _ => html! { span.mute { "unknown" } },
    }
}

fn tokens(r: &Report) -> Markup {
    if r.tokens.is_empty() {
        return html! {};
    }
    // Without the access-log join there is no User-Agent: no empty column for it.
    let joined = r.tokens.iter().any(|t| t.http.is_some());
    let body = html! {
        div.wide { table {
            thead { tr {
                th { "Token id" } th { "Name" } th { "Owner" }
                th.n title="successful requests; under them, the busiest minute's" { "Requests" }
                th.n { "Failures" } th { "Seen first / last" } th { "Expires" }
                @if joined { th { "Top User-Agent" } }
                th { "IPs" } th { "Paths" }
            } }
            tbody {
                @for t in &r.tokens {
                    tr.token data-token=(t.token_id) {
                        td.id {
                            (t.token_id)
                            @if let Some(d) = t.db_id { br; span.mute.small { "db " (d) } }
                            @if t.jira_patrol_probe { br; span.mute.small { "jira-patrol's own probe: not counted" } }
                        }
                        td.name { @if let Some(n) = &t.name { (n) } }
                        td { (owner(t.user_key.as_ref(), t.username.as_ref())) }
                        td.n {
                            (num(t.requests))
                            @if t.peak_per_minute > 0 { br; span.mute.small { (num(t.peak_per_minute)) "/min" } }
                        }
                        td.n.fail[t.failures > 0] { (num(t.failures)) }
                        td.ts { (opt_ts(t.first_seen.as_deref())) br; (opt_ts(t.last_seen.as_deref())) }
                        td.ts { (expiry(t)) }
                        @if joined { td.agent { (top_agent(t.http.as_ref())) } }
                        td.list { (ips(&t.ips)) }
                        td.list { (paths(&t.paths)) }
                    }
                    @if !t.failure_reasons.is_empty() {
                        tr.reasons {
                            td {}
                            td.small.fail colspan=(if joined { 9 } else { 8 }) {
                                "failures: "
                                @for (i, c) in t.failure_reasons.iter().take(LIST_ITEMS).enumerate() {
                                    @if i > 0 { "; " }
                                    (c.reason) " " (num(c.requests))
                                }
                                @if t.failure_reasons.len() > LIST_ITEMS {
                                    "; +" (t.failure_reasons.len() - LIST_ITEMS) " more"
                                }
                            }
                        }
                    }
                }
            }
        } }
    };
    section("tokens", "Tokens", Some(r.tokens.len()), body)
}

fn failures(r: &Report) -> Markup {
    if r.failed_token_ids.is_empty() && r.unattributed_failures == 0 {
        return html! {};
    }
    let joined = r.failed_token_ids.iter().any(|f| f.http.is_some());
    let body = html! {
        p.note { "Token ids that were presented but never authenticated: unknown, revoked or deleted tokens, or a wrong secret for an id." }
        @if !r.failed_token_ids.is_empty() {
            div.wide { table {
                thead { tr {
                    th { "Token id" } th.n { "Attempts" } th { "Reasons" }
                    @if joined { th { "Statuses" } th { "Top User-Agent" } }
                } }
                tbody {
                    @for f in &r.failed_token_ids {
                        tr.failed data-token=(f.token_id) {
                            td.id { (f.token_id) }
                            td.n.fail { (num(f.requests)) }
                            td.list { (reasons(&f.failure_reasons)) }
                            @if joined {
                                td { @if let Some(h) = &f.http { (statuses(h)) } }
                                td.agent { (top_agent(f.http.as_ref())) }
                            }
                        }
                    }
                }
            } }
        }
        @if let Some(o) = &r.other_failed_token_ids {
            p.note { (super::report::other_failed_line(o)) }
        }
        @if r.unattributed_failures > 0 {
            p.note { (num(r.unattributed_failures)) " failed token authentications whose token id the log does not name." }
        }
    };
    section(
        "failed",
        "Failed token ids",
        Some(r.failed_token_ids.len()),
        body,
    )
}

fn not_pat(r: &Report) -> Markup {
    let n = &r.not_pat_bearer;
    if n.requests == 0 {
        return html! {};
    }
    let body = html! {
        p.note { (num(n.requests)) " requests presented a Bearer value the PAT plugin could not decode (a JWT, another system's token, garbage): never a token id." }
        div.wide { table {
            thead { tr {
                th.n { "Requests" } th { "IPs" } th { "Paths" }
                @if n.http.is_some() { th { "Statuses" } th { "Top User-Agent" } }
            } }
            tbody { tr {
                td.n { (num(n.requests)) }
                td.list.mono { (ips(&n.ips)) }
                td.list.mono { (paths(&n.paths)) }
                @if let Some(h) = &n.http {
                    td { (statuses(h)) }
                    td.agent { (top_agent(Some(h))) }
                }
            } }
        } }
    };
    section(
        "not-pat",
        "Bearer credentials that are not PATs",
        None,
        body,
    )
}

fn users(r: &Report) -> Markup {
    if r.users.is_empty() {
        return html! {};
    }
    let joined = r.users.iter().any(|u| u.rate_limited.is_some());
    let body = html! {
        p.note { "Jira rate-limits per user, all of that user's tokens together: the busiest minute and which tokens made it." }
        div.wide { table {
            thead { tr {
                th { "Owner" } th.n { "Tokens" } th.n { "Requests" } th.n { "Peak/min" } th { "Peak minute" }
                @if joined { th.n { "429s" } }
                th { "Tokens at peak" }
            } }
            tbody {
                @for u in &r.users {
                    tr.user {
                        td { (owner(Some(&u.user_key), u.username.as_ref())) }
                        td.n { (num(u.tokens)) }
                        td.n { (num(u.requests)) }
                        td.n { (num(u.peak_per_minute)) }
                        td.ts { (opt_ts(u.peak_minute.as_deref())) }
                        @if joined {
                            @let n = u.rate_limited.unwrap_or(0);
                            td.n.fail[n > 0] { (num(n)) }
                        }
                        td.list {
                            (list(&u.tokens_at_peak, |t| (
                                html! { (t.token_id) @if let Some(n) = &t.name { " " (n) } },
                                t.requests,
                                0,
                            )))
                        }
                    }
                }
            }
        } }
    };
    section(
        "users",
        "Per user (Jira's rate limiter)",
        Some(r.users.len()),
        body,
    )
}

fn unidentified(r: &Report) -> Markup {
    if r.unidentified.is_empty() {
        return html! {};
    }
    let body = html! {
        p.note { "Authenticated by a token, but the log does not say which (a lower log level than TRACE on the PAT plugin)." }
        div.wide { table {
            thead { tr { th { "User key" } th.n { "Requests" } } }
            tbody {
                @for u in &r.unidentified {
                    tr { td { (u.user_key) } td.n { (num(u.requests)) } }
                }
            }
        } }
    };
    section(
        "unidentified",
        "Token requests without a token id",
        Some(r.unidentified.len()),
        body,
    )
}

fn access_log(r: &Report) -> Markup {
    let Some(a) = &r.access_log else {
        return html! {};
    };
    let body = html! {
        div.wide { table { tbody {
            tr { th { "Files" } td.list.mono { @for f in &a.files { span.v { (shown(f)) } } } }
            tr { th { "Pattern" } td.mono.small { (shown(&a.pattern)) " " span.mute { "(" (shown(&a.pattern_source)) ")" } } }
            tr { th { "%D unit" } td { (format!("{:?}", a.duration_unit).to_lowercase()) " " span.mute { "(" (shown(&a.duration_unit_source)) ")" } } }
            tr { th { "Joined" } td { (num(a.joined)) " of " (num(a.joined + a.unjoined)) " PAT requests; " (num(a.unjoined)) " not joined, " (num(a.outside_access_log)) " of them outside the access log's time" } }
            tr { th { "Lines" } td { (num(a.lines)) " read, " (num(a.unparsed_lines)) " not matching the pattern" } }
        } } }
    };
    section("access-log", "Access-log join", None, body)
}

fn inventory(r: &Report) -> Markup {
    let Some(inv) = &r.inventory else {
        return html! {};
    };
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
                format!("expired; removed after {}", human::time(&e.removed_after)),
            )
        }));
    let listed = inv.unused.len() + inv.cannot_tell.len() + inv.expired.len();
    let body = html! {
        p.note {
            "Jira has " (num(inv.tokens)) " tokens; " (num(inv.unused.len() as u64))
            " were not used in the logs read, " (num(inv.cannot_tell.len() as u64))
            " may or may not have been (their owner made requests the logs do not tie to a token), "
            (num(inv.expired.len() as u64)) " had expired by the window's end (unusable; Jira removes each "
            (crate::summary::EXPIRED_PRUNING_DAYS) " days after its expiry)."
            @if let Some(n) = &inv.note { " " (shown(n)) }
        }
        @if listed > 0 {
            div.wide { table {
                thead { tr {
                    th.n title="the database id, not the 12-digit token id of the logs" { "DB id" }
                    th { "Name" } th { "Owner" } th { "Created" } th { "Last used" } th { "Expires" }
                    th { "Use in window" }
                } }
                tbody {
                    @for (class, t, state) in rows {
                        tr class=(class) {
                            td.n { (t.id) }
                            td.name { (t.name) }
                            td { (owner(Some(&t.user_key), t.username.as_ref())) }
                            td.ts { (opt_ts(t.created_at.as_deref())) }
                            td.ts { @match &t.last_accessed_at { Some(s) => (ts(s)), None => "never" } }
                            td.ts { @match &t.expires_at { Some(s) => (ts(s)), None => "never" } }
                            td { (state) }
                        }
                    }
                }
            } }
        }
    };
    section(
        "inventory",
        "Inventory: tokens not seen in this window",
        Some(listed),
        body,
    )
}

/// The whole page, built in memory first: formatting cannot fail, so the one error left
/// is the write's, and a page is written whole or the command fails.
pub fn html(r: &Report, meta: &HtmlMeta, out: &mut dyn Write) -> io::Result<()> {
    let title = meta
        .title
        .clone()
        .unwrap_or_else(|| "jira-patrol report".to_string());
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "jira-patrol " (env!("CARGO_PKG_VERSION")) };
                title { (shown(&title)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (header(r, meta))
                (coverage(r))
                @if r.is_empty() {
                    p.note { "No token request in these logs. Were the com.atlassian.pats loggers at TRACE or DEBUG when they were written? " code { "jira-patrol capture" } " sets that up for a window." }
                }
                (timeline(r))
                (tokens(r))
                (failures(r))
                (not_pat(r))
                (users(r))
                (unidentified(r))
                (access_log(r))
                (inventory(r))
                footer {
                    "jira-patrol " (env!("CARGO_PKG_VERSION")) ": " (num(r.pat_lines)) " PAT lines of " (num(r.lines)) " read. Token ids are 12 digits computed from a PAT ("
                    code { "jira-patrol token-id" } "); the JSON format has every IP, path and User-Agent."
                }
            }
        }
    };
    let mut text = page.into_string();
    text.push('\n');
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_shows_markup_and_controls_as_text() {
        let html = maud::html! { td { (Untrusted::new("<b>\u{202e}&\u{1b}")) } }.into_string();
        assert_eq!(
            html,
            "<td>&lt;b&gt;<span class=\"esc\">\\u{202e}</span>&amp;<span class=\"esc\">\\e</span></td>"
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
        let svg = chart(&[1, 0, 5], &[0, 2, 0], "<x>").into_string();
        assert!(svg.contains("class=\"r\""));
        assert!(svg.contains("class=\"f\""));
        assert!(svg.contains("&lt;x&gt;"));
    }

    #[test]
    fn list_values_never_break_inside() {
        let v = [
            IpCount {
                ip: "10.20.0.7,127.0.0.1".into(),
                requests: 3,
                failures: 1,
            },
            IpCount {
                ip: "<b>".into(),
                requests: 1,
                failures: 0,
            },
        ];
        let h = ips(&v).into_string();
        assert_eq!(
            h,
            "<span class=\"v\">10.20.0.7,127.0.0.1 <span class=\"mute\">3</span> <span class=\"fail\">✗1</span></span><span class=\"v\">&lt;b&gt; <span class=\"mute\">1</span></span>"
        );
    }
}
