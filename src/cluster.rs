//! Which nodes Jira has, and which of them the logs cover. A Data Center cluster spreads
//! requests over its nodes and each node writes its own log (jira-facts §3): a report
//! built from some nodes' logs covers only their share, so the tool never lets that pass
//! silently. Before a capture changes anything, [`decide`] compares the nodes Jira lists
//! with the logs given and refuses when an active node has none, unless a part was asked
//! for (`--nodes`, `--allow-partial`). The report then carries a [`Coverage`]: every node,
//! whether its log was read, how its self-check went, what could not be read (gaps), and
//! the nodes that joined, left or died during the window ([`Membership`]).

use crate::jira::{ClusterNode, ClusterView};
use crate::source::tail::Gap;
use crate::source::LogSource;
use crate::untrusted::Untrusted;
use serde::{Deserialize, Serialize};

/// Which part of the cluster the user accepts to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// `--nodes`: exactly these nodes are read (the others knowingly left out).
    pub nodes: Option<Vec<String>>,
    /// `--allow-partial`: whatever the logs cover; the rest is named in the report.
    pub allow_partial: bool,
    /// `--node-url NODE=URL`: where a node answers directly (for its self-check probe).
    pub node_urls: Vec<(String, String)>,
}

impl Scope {
    /// Whether a report may leave active nodes out.
    pub fn partial_ok(&self) -> bool {
        self.allow_partial || self.nodes.is_some()
    }
}

/// What a report covered, node by node. Its JSON form is the report's `coverage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// What is known of Jira's nodes: `cluster` (Jira listed them), `single` (not
    /// clustered), `unknown` (Jira could not be asked; see `notes`), `logs` (offline: only
    /// the logs given are known).
    pub jira: String,
    /// Every active node was read for the whole window, without a gap.
    pub complete: bool,
    /// One entry per node (Jira's, and any log not tied to one).
    pub nodes: Vec<NodeCoverage>,
    /// Nodes that joined, left or died during the window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<NodeEvent>,
    /// What else the reader must know (one sentence each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Offline reads over ssh: bytes read on the nodes and bytes that crossed the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
}

/// Bytes read on the nodes beside the bytes transferred (`summarize ssh://…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Bytes of the files read on the nodes (as stored: compressed for `.gz`).
    pub read_on_nodes: u64,
    /// Bytes that crossed the network: the PAT lines only.
    pub transferred: u64,
}

/// One node's part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeCoverage {
    /// The node id (`X-ANODEID`), or for a log tied to no known node, its name.
    pub node: Untrusted,
    /// Its state in Jira's list when the capture began (`ACTIVE`, `OFFLINE`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Whether its heartbeat was fresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive: Option<bool>,
    /// Its log was read.
    pub read: bool,
    /// The log read, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<Untrusted>,
    /// `passed`, `failed`, `not checked` (why in `notes`), or `off` (`--no-self-check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_check: Option<String>,
    /// How its self-check probe reached it: `directly at URL` or `through the load balancer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed: Option<String>,
    /// Stretches of its log that could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// A change of the cluster during the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEvent {
    /// When it was noticed (RFC 3339, this machine's clock).
    pub at: String,
    /// The node (its id, as Jira lists it).
    pub node: Untrusted,
    /// `joined`, `left` (offline), `died` (no heartbeat), `back`.
    pub what: String,
    /// Whether that node's log was being read.
    pub read: bool,
}

impl Coverage {
    /// The active nodes not read.
    pub fn not_read(&self) -> Vec<&Untrusted> {
        self.nodes
            .iter()
            .filter(|n| !n.read && n.state.as_deref().is_none_or(|s| s == "ACTIVE"))
            .map(|n| &n.node)
            .collect()
    }
}

/// `12:03:10–12:03:14`, `after 12:03:10`, `before 12:03:14`, or `some lines`.
pub fn gap_span(g: &Gap) -> String {
    let t = |d: &str| d.get(11..19).unwrap_or(d).to_string();
    match (&g.from, &g.to) {
        (Some(a), Some(b)) => format!("{}–{}", t(a), t(b)),
        (Some(a), None) => format!("after {}", t(a)),
        (None, Some(b)) => format!("before {}", t(b)),
        (None, None) => "some lines".into(),
    }
}

/// Why a capture will not start: nodes without a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageError {
    /// Active nodes would not be read.
    #[error("{}", refusal(.nodes, .missing, *.logs, *.untagged, .named))]
    Missing {
        /// Every active node.
        nodes: Vec<String>,
        /// Those without a log of their own (untagged logs may cover some of them).
        missing: Vec<String>,
        /// Logs given.
        logs: usize,
        /// Logs given without a node.
        untagged: usize,
        /// The nodes the logs name.
        named: Vec<String>,
    },
    /// A log names a node Jira does not list.
    #[error("--log {log}: Jira has no node {node} (its nodes: {}): check the node id (X-ANODEID)", .known.join(", "))]
    UnknownNode {
        /// The node named.
        node: String,
        /// The log.
        log: String,
        /// Jira's nodes.
        known: Vec<String>,
    },
    /// `--nodes` names a node Jira does not list, or lists a node twice.
    #[error("--nodes {0}: not an active node of this Jira (its active nodes: {1})")]
    NotANode(String, String),
    /// `--nodes` and the logs disagree.
    #[error("--nodes names {want} node(s) but {given} log(s) were given: give one --log NODE=PATH for each of {nodes}")]
    Count {
        /// Nodes named.
        want: usize,
        /// Logs given.
        given: usize,
        /// The nodes named.
        nodes: String,
    },
    /// Two logs for one node.
    #[error("two logs name node {0}: give one --log per node")]
    Twice(String),
}

fn refusal(
    nodes: &[String],
    missing: &[String],
    logs: usize,
    untagged: usize,
    named: &[String],
) -> String {
    let first = missing.first().map(String::as_str).unwrap_or("node2");
    let who = if untagged == 0 {
        format!(
            "{} {} none",
            missing.join(", "),
            if missing.len() == 1 { "has" } else { "have" }
        )
    } else {
        let k = missing.len() - untagged;
        format!(
            "at least {k} node{} none",
            if k == 1 { " has" } else { "s have" }
        )
    };
    let part = if named.is_empty() {
        "NODE,...".to_string()
    } else {
        named.join(",")
    };
    format!(
        "Jira is a cluster of {} active nodes ({}), and {logs} log{} given: {who}. Each node writes its own log: a report from these would count only part of the traffic: \
         give each node's log as --log NODE=PATH (e.g. --log {first}=ssh://HOST/var/atlassian/application-data/jira/log/atlassian-jira.log), or accept a part with --nodes {part} (the nodes whose logs you give) or --allow-partial",
        nodes.len(),
        nodes.join(", "),
        if logs == 1 { " was" } else { "s were" },
    )
}

/// The nodes a capture will read and check, decided before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Jira's nodes when it listed them (empty otherwise).
    pub nodes: Vec<ClusterNode>,
    /// The nodes each self-check probe must reach: the tagged ones, and with untagged
    /// logs every other node in scope. Empty: not clustered or unknown (one probe).
    pub to_check: Vec<String>,
    /// For each log: the node it names.
    pub tagged: Vec<Option<String>>,
    /// Nodes knowingly left out (`--nodes`, `--allow-partial`).
    pub partial_ok: bool,
    /// What Jira said (`cluster`, `single`, `unknown`).
    pub jira: String,
    /// Why the nodes are unknown, when they are.
    pub unknown: Option<String>,
}

/// Compare Jira's nodes with the logs given. Err: a capture must not start.
pub fn decide(
    view: &ClusterView,
    sources: &[LogSource],
    scope: &Scope,
) -> Result<Decision, CoverageError> {
    let tagged: Vec<Option<String>> = sources.iter().map(|s| s.node.clone()).collect();
    let mut seen = Vec::new();
    for n in tagged.iter().flatten() {
        if seen.contains(n) {
            return Err(CoverageError::Twice(n.clone()));
        }
        seen.push(n.clone());
    }
    let (nodes, jira, unknown) = match view {
        ClusterView::Nodes(n) => (n.clone(), "cluster", None),
        ClusterView::Single => (Vec::new(), "single", None),
        ClusterView::Unknown(why) => (Vec::new(), "unknown", Some(why.clone())),
    };
    let mut d = Decision {
        nodes: nodes.clone(),
        to_check: Vec::new(),
        tagged: tagged.clone(),
        partial_ok: scope.partial_ok(),
        jira: jira.into(),
        unknown,
    };
    if nodes.is_empty() {
        return Ok(d);
    }
    let known: Vec<String> = nodes.iter().map(|n| n.node_id.clone()).collect();
    let serving = view.serving();
    for (s, t) in sources.iter().zip(&tagged) {
        if let Some(n) = t {
            if !known.contains(n) {
                return Err(CoverageError::UnknownNode {
                    node: n.clone(),
                    log: s.to_string(),
                    known,
                });
            }
        }
    }
    let untagged = tagged.iter().filter(|t| t.is_none()).count();
    let in_scope: Vec<String> = match &scope.nodes {
        Some(want) => {
            for w in want {
                if !serving.contains(w) {
                    return Err(CoverageError::NotANode(w.clone(), serving.join(", ")));
                }
            }
            if want.len() != sources.len() {
                return Err(CoverageError::Count {
                    want: want.len(),
                    given: sources.len(),
                    nodes: want.join(", "),
                });
            }
            want.clone()
        }
        None => serving.clone(),
    };
    let untagged_scope: Vec<String> = in_scope
        .iter()
        .filter(|n| !seen.contains(n))
        .cloned()
        .collect();
    if untagged_scope.len() > untagged && !scope.partial_ok() {
        return Err(CoverageError::Missing {
            nodes: serving,
            missing: untagged_scope,
            logs: sources.len(),
            untagged,
            named: seen.clone(),
        });
    }
    // Tagged nodes are checked on their own logs; with untagged logs every other node in
    // scope is probed, to find which of them each belongs to.
    d.to_check = seen
        .iter()
        .filter(|n| serving.contains(n))
        .cloned()
        .collect();
    if untagged > 0 {
        d.to_check.extend(untagged_scope);
    }
    Ok(d)
}

/// Jira's node list over the window: changes become [`NodeEvent`]s.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    last: Vec<ClusterNode>,
    /// What changed, in order.
    pub events: Vec<NodeEvent>,
}

impl Membership {
    /// Start from the list at the start.
    pub fn new(nodes: Vec<ClusterNode>) -> Membership {
        Membership {
            last: nodes,
            events: Vec::new(),
        }
    }

    /// A newer list: what changed since the last one, as events (also kept). `read`
    /// says whether a node's log is read.
    pub fn update(&mut self, now: Vec<ClusterNode>, read: &dyn Fn(&str) -> bool) -> Vec<NodeEvent> {
        let at = jiff::Timestamp::now().to_string();
        let mut new = Vec::new();
        for n in &now {
            let before = self.last.iter().find(|o| o.node_id == n.node_id);
            let what = match before {
                None if n.serving() => Some("joined"),
                None => None,
                Some(o) if o.serving() && !n.serving() => {
                    Some(if n.state.eq_ignore_ascii_case("ACTIVE") {
                        "died (no heartbeat)"
                    } else {
                        "left"
                    })
                }
                Some(o) if !o.serving() && n.serving() => Some("came back"),
                Some(_) => None,
            };
            if let Some(what) = what {
                new.push(NodeEvent {
                    at: at.clone(),
                    node: Untrusted::new(n.node_id.as_str()),
                    what: what.into(),
                    read: read(&n.node_id),
                });
            }
        }
        for o in &self.last {
            if o.serving() && !now.iter().any(|n| n.node_id == o.node_id) {
                new.push(NodeEvent {
                    at: at.clone(),
                    node: Untrusted::new(o.node_id.as_str()),
                    what: "left".into(),
                    read: read(&o.node_id),
                });
            }
        }
        self.last = now;
        self.events.extend(new.iter().cloned());
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, state: &str, alive: bool) -> ClusterNode {
        ClusterNode {
            node_id: id.into(),
            state: state.into(),
            alive: Some(alive),
            ip: Some("10.0.0.1".into()),
            node_version: None,
            last_state_change_timestamp: None,
        }
    }

    fn three() -> ClusterView {
        ClusterView::Nodes(vec![
            node("node1", "ACTIVE", true),
            node("node2", "ACTIVE", true),
            node("node3", "ACTIVE", true),
            node("node4", "OFFLINE", false),
        ])
    }

    fn src(s: &str) -> LogSource {
        s.parse().unwrap()
    }

    #[test]
    fn one_log_for_three_nodes_is_refused_naming_them_and_the_flags() {
        let e = decide(
            &three(),
            &[src("/n1/atlassian-jira.log")],
            &Scope::default(),
        )
        .unwrap_err();
        let msg = e.to_string();
        for w in [
            "node1, node2, node3",
            "at least 2 nodes have none",
            "--log node1=",
            "--allow-partial",
            "--nodes",
        ] {
            assert!(msg.contains(w), "{w}: {msg}");
        }
        assert!(
            !msg.contains("node4"),
            "an offline node needs no log: {msg}"
        );
        // Tagged logs name exactly the nodes missing.
        let e = decide(
            &three(),
            &[src("node1=/a"), src("node3=/b")],
            &Scope::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, CoverageError::Missing { missing, .. } if missing == &["node2"]),
            "{e:?}"
        );
    }

    #[test]
    fn a_part_may_be_asked_for_and_every_node_in_scope_is_checked() {
        let partial = Scope {
            allow_partial: true,
            ..Scope::default()
        };
        let d = decide(&three(), &[src("/n1/atlassian-jira.log")], &partial).unwrap();
        assert_eq!(d.to_check, ["node1", "node2", "node3"]);
        let d = decide(&three(), &[src("node2=/x")], &partial).unwrap();
        assert_eq!(d.to_check, ["node2"]);
        let some = Scope {
            nodes: Some(vec!["node1".into(), "node3".into()]),
            ..Scope::default()
        };
        let d = decide(&three(), &[src("node1=/a"), src("/b")], &some).unwrap();
        assert_eq!(d.to_check, ["node1", "node3"]);
        assert!(matches!(
            decide(&three(), &[src("/a")], &some),
            Err(CoverageError::Count { .. })
        ));
        assert!(matches!(
            decide(
                &three(),
                &[src("node9=/a"), src("/b"), src("/c")],
                &Scope::default()
            ),
            Err(CoverageError::UnknownNode { .. })
        ));
        assert!(matches!(
            decide(
                &three(),
                &[src("node1=/a"), src("node1=/b"), src("/c")],
                &Scope::default()
            ),
            Err(CoverageError::Twice(_))
        ));
        let all = decide(
            &three(),
            &[src("/a"), src("/b"), src("/c")],
            &Scope::default(),
        )
        .unwrap();
        assert_eq!(all.to_check.len(), 3);
        assert!(
            decide(&ClusterView::Single, &[src("/a")], &Scope::default())
                .unwrap()
                .to_check
                .is_empty()
        );
    }

    #[test]
    fn joins_departures_and_deaths_become_events() {
        let mut m = Membership::new(vec![
            node("node1", "ACTIVE", true),
            node("node2", "ACTIVE", true),
        ]);
        let ev = m.update(
            vec![
                node("node1", "ACTIVE", true),
                node("node2", "ACTIVE", false),
                node("node3", "ACTIVE", true),
            ],
            &|n| n == "node2",
        );
        let got: Vec<(&str, &str, bool)> = ev
            .iter()
            .map(|e| (e.node.raw(), e.what.as_str(), e.read))
            .collect();
        assert_eq!(
            got,
            [
                ("node2", "died (no heartbeat)", true),
                ("node3", "joined", false)
            ]
        );
        let ev = m.update(vec![node("node1", "OFFLINE", false)], &|_| false);
        let got: Vec<(&str, &str)> = ev.iter().map(|e| (e.node.raw(), e.what.as_str())).collect();
        assert_eq!(got, [("node1", "left"), ("node3", "left")]);
    }
}
