//! What a report covers, in words: the first lines above the table, the banner of the
//! page, the notes beside CSV and JSONL, the comment atop the SQL. Node ids come from
//! Jira and log paths from the command line or a node: they leave through the terminal's
//! escaping (the page escapes what it is given once more, for HTML).

use crate::cluster::{gap_span, Coverage};
use crate::untrusted::{terminal, Untrusted};

/// The report's one line on what it covers, then a line per gap, per node read but
/// never checked, per node that joined or left, per note; empty for a single Jira read
/// whole.
pub fn lines(c: &Coverage) -> Vec<String> {
    let names = |ns: &[&Untrusted]| -> String {
        ns.iter()
            .map(|n| n.terminal().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let read: Vec<&Untrusted> = c.nodes.iter().filter(|n| n.read).map(|n| &n.node).collect();
    let not_read = c.not_read();
    let mut out = Vec::new();
    match c.jira.as_str() {
        "single" if c.complete => {}
        "logs" => {
            if c.nodes.len() > 1 {
                out.push(format!(
                    "Coverage: {} node log(s) read ({}); Jira was not asked which nodes it has.",
                    read.len(),
                    names(&read)
                ));
            }
        }
        _ if not_read.is_empty() => out.push(format!(
            "Coverage: all {} node(s) read ({}){}.",
            read.len(),
            names(&read),
            if c.complete { "" } else { ", with gaps" }
        )),
        _ => out.push(format!(
            "Coverage: PARTIAL: read {} of {} node(s) ({}); NOT read: {} (their requests are not in this report).",
            read.len(),
            read.len() + not_read.len(),
            if read.is_empty() { "none".to_string() } else { names(&read) },
            names(&not_read)
        )),
    }
    for n in &c.nodes {
        let node = n.node.terminal();
        for g in &n.gaps {
            out.push(format!(
                "{node}: {} not read ({})",
                gap_span(g),
                terminal(&g.why)
            ));
        }
        if n.read && n.self_check.as_deref() == Some("not checked") {
            out.push(format!(
                "{node}: its log was read but never checked (the self-check reached no request to it)"
            ));
        }
    }
    for e in &c.events {
        out.push(format!(
            "{} {} at {}{}.",
            e.node.terminal(),
            e.what,
            short_time(&e.at),
            if e.read {
                ""
            } else {
                " (its log was not read)"
            }
        ));
    }
    // The notes quote node ids and errors from the nodes.
    out.extend(c.notes.iter().map(|n| terminal(n).into_owned()));
    if let Some(t) = c.transfer {
        out.push(format!(
            "Read on the nodes: {}; transferred: {} (PAT lines only).",
            crate::human::bytes(t.read_on_nodes),
            crate::human::bytes(t.transferred)
        ));
    }
    out
}

/// An event's time (RFC 3339) as this machine's wall clock shows it.
fn short_time(rfc3339: &str) -> String {
    rfc3339
        .parse::<jiff::Timestamp>()
        .map(|t| {
            jiff::tz::TimeZone::system()
                .to_datetime(t)
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| terminal(rfc3339).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NodeCoverage;

    #[test]
    fn node_ids_from_jira_cannot_move_the_cursor() {
        let c = Coverage {
            jira: "cluster".into(),
            complete: false,
            nodes: vec![
                NodeCoverage {
                    node: Untrusted::new("node1"),
                    read: true,
                    ..NodeCoverage::default()
                },
                NodeCoverage {
                    node: Untrusted::new("evil\u{1b}[2J"),
                    state: Some("ACTIVE".into()),
                    ..NodeCoverage::default()
                },
            ],
            ..Coverage::default()
        };
        let l = lines(&c);
        assert!(l[0].starts_with("Coverage: PARTIAL: read 1 of 2 node(s) (node1); NOT read: evil"));
        assert!(l.iter().all(|l| !l.contains('\u{1b}')), "{l:?}");
    }
}
