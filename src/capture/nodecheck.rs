//! The self-check on every node read. In a cluster one probe proves only the node that
//! served it (the tool's own session sticks to one node), so each node whose log is
//! followed gets a probe of its own, and each probe is judged on its own by
//! [`selfcheck::Probe`] (what is checked per probe lives there; this module is the loop
//! over nodes):
//! - a node that can be addressed directly (its `ip` and the connector port from Jira's
//!   node list, or `--node-url NODE=URL`) is probed there, and the answer must come from
//!   that node (`X-ANODEID`); which address worked is said;
//! - the others are probed through the load balancer, without the session cookie, until
//!   each has answered once (or the self-check's time is up): round-robin balancers reach
//!   every node in a few tries;
//! - a probe's lines found in a log tie that log to the node (a log given without a node
//!   name is found out this way); a node named for a log must show its probe there;
//! - a node never reached is named in the report as not checked.

use super::selfcheck::{self, Expect, Probe, SelfCheckFailure, Verdict, PROBE_PATH};
use crate::cluster::{Decision, Scope};
use crate::jira::{Client, PatError, ProbeAnswer};
use crate::journal::Journal;
use crate::scan::Watched;
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a direct probe may take to connect: a node's address that answers nothing
/// (a firewall) must not hold the self-check up.
const DIRECT_CONNECT: Duration = Duration::from_secs(2);

/// One node's probe and how it went.
pub struct NodeProbe {
    /// The node id.
    pub node: String,
    /// The answered probe (`None`: no answer came from this node).
    pub probe: Option<Probe>,
    /// `directly at URL` or `through the load balancer`.
    pub how: Option<String>,
    /// Why no direct address worked, when one was tried.
    pub direct_failed: Option<String>,
    /// Where its lines were found, once they were.
    pub found: Option<Found>,
    /// Its lines were not found by the end (not a failure for a node with no log of its
    /// own when a part was accepted).
    pub missing: bool,
}

/// A probe's lines found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The log (index) that holds them.
    pub source: usize,
    /// From sending the probe to seeing them.
    pub after: Duration,
    /// The lines, raw.
    pub lines: Vec<Vec<u8>>,
}

/// The probes of a cluster's self-check.
pub struct NodeCheck {
    /// One per node to check, in the decision's order.
    pub probes: Vec<NodeProbe>,
    /// Probes answered by a node that had answered one already (request id, node): ours
    /// too, kept out of that node's log.
    pub extras: Vec<(String, String)>,
    /// The node each log names (`None`: to be found out).
    tagged: Vec<Option<String>>,
    /// Logs tied to a node no probe reached, by their path or as the one left (not checked).
    assumed: Vec<Option<String>>,
    partial_ok: bool,
    timeout: Duration,
    started: Instant,
}

/// The base URLs a node may answer at directly: the one given for it, else its `ip`
/// at Jira's URL's port and at Tomcat's stock 8080 (same scheme and context path).
pub fn direct_urls(base: &str, node: &crate::jira::ClusterNode, scope: &Scope) -> Vec<String> {
    if let Some((_, u)) = scope.node_urls.iter().find(|(n, _)| *n == node.node_id) {
        return vec![u.trim_end_matches('/').to_string()];
    }
    let Some(ip) = node.ip.as_deref().filter(|i| !i.is_empty()) else {
        return Vec::new();
    };
    let Ok(u) = url::Url::parse(base) else {
        return Vec::new();
    };
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    let context = u.path().trim_end_matches('/');
    let mut ports = vec![u.port_or_known_default().unwrap_or(80), 8080];
    ports.dedup();
    ports
        .into_iter()
        .map(|p| format!("{}://{host}:{p}{context}", u.scheme()))
        .collect()
}

/// An answer to a probe, and when the probe was sent.
type Answered = (Result<ProbeAnswer, PatError>, Instant);

/// A direct probe's outcome: the answer and the URL that gave it, or why none did.
type Direct = (Option<(Answered, String)>, Option<String>);

/// What sending the probes gave: per node, and the extra answers (id, node).
type Sent = (Vec<Attempt>, Vec<(String, String)>);

/// What sending the probes gave one node.
struct Attempt {
    node: String,
    answer: Option<Answered>,
    /// `directly at URL` or `through the load balancer`.
    how: Option<String>,
    /// Why no direct address answered as this node.
    direct_failed: Option<String>,
}

/// Probe every node to check (see the module text). Err: why no probe could be made.
#[allow(clippy::too_many_arguments)]
pub fn start(
    client: &Client,
    journal: &Journal,
    expect: Expect,
    decision: &Decision,
    scope: &Scope,
    labels: &[PathBuf],
    timeout: Duration,
    say: &mut dyn FnMut(String),
) -> Result<NodeCheck, String> {
    let started = Instant::now();
    let mut notes = Vec::new();
    let mut send = |token: Option<&Secret>| -> Sent {
        let mut extras = Vec::new();
        let targets: Vec<(String, Vec<String>)> = decision
            .to_check
            .iter()
            .map(|n| {
                let urls = decision
                    .nodes
                    .iter()
                    .find(|c| &c.node_id == n)
                    .map(|c| direct_urls(client.base_url(), c, scope))
                    .unwrap_or_default();
                (n.clone(), urls)
            })
            .collect();
        // Direct probes at once, one thread per node: an address that answers nothing
        // costs its connect timeout once, not once per node.
        let direct: Vec<Direct> = std::thread::scope(|s| {
            let handles: Vec<_> = targets
                .iter()
                .map(|(node, urls)| {
                    s.spawn(move || {
                        let mut why = None;
                        for u in urls {
                            let sent_at = Instant::now();
                            match client.probe_at(u, PROBE_PATH, token, DIRECT_CONNECT) {
                                Ok(a) if a.node.as_deref() == Some(node.as_str()) => {
                                    return (Some(((Ok(a), sent_at), u.clone())), None)
                                }
                                Ok(a) => {
                                    why.get_or_insert(format!(
                                        "{u} answered as {}",
                                        a.node.as_deref().unwrap_or("a Jira without a node id")
                                    ));
                                }
                                Err(e) => {
                                    why.get_or_insert(format!(
                                        "{u}: {}",
                                        e.to_string().lines().next().unwrap_or_default()
                                    ));
                                }
                            }
                        }
                        (None, why)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or((None, None)))
                .collect()
        });
        let mut out: Vec<Attempt> = targets
            .iter()
            .zip(direct)
            .map(|((node, _), (hit, why))| match hit {
                Some((answer, u)) => Attempt {
                    node: node.clone(),
                    answer: Some(answer),
                    how: Some(format!("directly at {u}")),
                    direct_failed: None,
                },
                None => Attempt {
                    node: node.clone(),
                    answer: None,
                    how: None,
                    direct_failed: why,
                },
            })
            .collect();
        // The rest through the balancer, without cookies, until each answered once. A
        // round-robin balancer reaches every node within a turn; a run of answers from
        // nodes already heard means the rest cannot be reached this way.
        let limit = started + timeout / 2;
        let patience = 2 * decision.nodes.len().max(out.len()) + 2;
        let mut in_vain = 0;
        let mut answered_by = std::collections::BTreeSet::new();
        while out.iter().any(|o| o.answer.is_none()) && in_vain < patience && Instant::now() < limit
        {
            let sent_at = Instant::now();
            let a = client.probe(PROBE_PATH, token);
            let node = a.as_ref().ok().and_then(|a| a.node.clone());
            match (&a, node) {
                (Ok(_), Some(n)) => {
                    answered_by.insert(n.clone());
                    match out.iter_mut().find(|o| o.node == n && o.answer.is_none()) {
                        Some(o) => {
                            o.answer = Some((a, sent_at));
                            o.how = Some("through the load balancer".into());
                            in_vain = 0;
                        }
                        None => {
                            if let Some(id) = a.as_ref().ok().and_then(|a| a.request_id.clone()) {
                                extras.push((id.trim().to_string(), n));
                            }
                            in_vain += 1;
                        }
                    }
                }
                (Ok(_), None) => {
                    notes.push(
                        "Jira's answers carry no X-ANODEID: the nodes cannot be told apart"
                            .to_string(),
                    );
                    break;
                }
                (Err(e), _) => {
                    notes.push(format!(
                        "a probe through the load balancer got no answer ({})",
                        e.to_string().lines().next().unwrap_or_default()
                    ));
                    break;
                }
            }
        }
        // Request ids repeat across nodes: a probe whose id another node also answered one
        // of ours with could not be told apart in logs not named after their node. Probe
        // that node again (the first probe stays ours, as an extra) until its id is its own.
        let id_of = |o: &Attempt| {
            o.answer
                .as_ref()
                .and_then(|(a, _)| a.as_ref().ok())
                .and_then(|a| a.request_id.as_deref().map(str::trim))
                .map(str::to_string)
        };
        for i in 0..out.len() {
            let node = out[i].node.clone();
            let direct = out[i]
                .how
                .as_deref()
                .and_then(|h| h.strip_prefix("directly at "))
                .map(str::to_string);
            for _ in 0..patience {
                let Some(id) = id_of(&out[i]) else { break };
                let shared = extras.iter().any(|(a, n)| *a == id && *n != node)
                    || out
                        .iter()
                        .any(|o| o.node != node && id_of(o).as_deref() == Some(id.as_str()));
                if !shared {
                    break;
                }
                let sent_at = Instant::now();
                let a = match &direct {
                    Some(u) => client.probe_at(u, PROBE_PATH, token, DIRECT_CONNECT),
                    None => client.probe(PROBE_PATH, token).map_err(|e| match e {
                        PatError::Jira(j) => j,
                        other => crate::jira::JiraError::Http {
                            url: client.base_url().to_string(),
                            reason: other.to_string(),
                        },
                    }),
                };
                let Ok(a) = a else { break };
                let (Some(n), Some(new)) = (a.node.clone(), a.request_id.clone()) else {
                    break;
                };
                if n != node {
                    extras.push((new.trim().to_string(), n));
                    continue;
                }
                extras.push((id, node.clone()));
                out[i].answer = Some((Ok(a), sent_at));
            }
        }
        if answered_by.len() == 1 && out.iter().any(|o| o.answer.is_none()) {
            notes.push(format!(
                "every probe sent to {} was answered by {}: is that one node's own address rather than the load balancer's?",
                client.base_url(),
                answered_by.iter().next().map(String::as_str).unwrap_or("?")
            ));
        }
        (out, extras)
    };
    let ((sent, extras), token_id) = selfcheck::with_probe_token(client, journal, say, &mut send)?;
    for n in notes {
        say(format!("self-check: {n}"));
    }
    let mut probes = Vec::new();
    for Attempt {
        node,
        answer,
        how,
        direct_failed,
    } in sent
    {
        if let Some(why) = &direct_failed {
            if how.is_some() || answer.is_none() {
                say(format!(
                    "self-check: {node} cannot be addressed directly ({why}){}",
                    if answer.is_some() {
                        "; probed through the load balancer"
                    } else {
                        ""
                    }
                ));
            }
        }
        let probe = match answer {
            Some((a, at)) => {
                match Probe::from_answer(a, token_id.clone(), expect, at, timeout, say) {
                    Ok(mut p) => {
                        p.expect_in(
                            decision
                                .tagged
                                .iter()
                                .position(|t| t.as_deref() == Some(node.as_str()))
                                .or_else(|| {
                                    // A log whose path names the node (`…/node2/log/…`).
                                    selfcheck::file_of_node(labels, &node)
                                        .filter(|&i| decision.tagged[i].is_none())
                                }),
                        );
                        Some(p)
                    }
                    Err(why) => {
                        say(format!("self-check: {node}: {why}"));
                        None
                    }
                }
            }
            None => {
                say(format!(
                    "self-check: no probe reached {node}, directly or through the load balancer; it is not checked"
                ));
                None
            }
        };
        probes.push(NodeProbe {
            node,
            probe,
            how,
            direct_failed,
            found: None,
            missing: false,
        });
    }
    Ok(NodeCheck {
        probes,
        extras,
        assumed: vec![None; decision.tagged.len()],
        tagged: decision.tagged.clone(),
        partial_ok: decision.partial_ok,
        timeout,
        started,
    })
}

/// Where the cluster's self-check stands.
#[derive(Debug)]
pub enum State {
    /// Some probe's lines are still awaited.
    Waiting,
    /// Every node in scope showed its probe where it should; the logs are tied to nodes.
    Passed,
    /// A node's probe was missing, misplaced or misread, or a node in scope has no log.
    Failed(SelfCheckFailure),
}

impl NodeCheck {
    /// The request ids to hold out of the report on every log until judged: every probe
    /// answered, the extra ones included.
    pub fn request_ids(&self) -> Vec<String> {
        self.probes
            .iter()
            .filter_map(|p| p.probe.as_ref().map(|p| p.request_id.clone()))
            .chain(self.extras.iter().map(|(id, _)| id.clone()))
            .collect()
    }

    /// Where each probe's lines are ours: (request id, the logs that hold them). Ids
    /// repeat across nodes (two probes may share one), so an id can be ours in several
    /// logs; in every other log a request with that id is someone else's.
    pub fn ours(&self, logs: usize) -> Vec<(String, Vec<usize>)> {
        let designated = self.probes.iter().filter_map(|p| {
            let id = p.probe.as_ref()?.request_id.clone();
            Some((id, p.found.as_ref().map(|f| f.source)))
        });
        let extra = self.extras.iter().map(|(id, node)| {
            (
                id.clone(),
                (0..logs).find(|&i| self.node_of(i).as_deref() == Some(node.as_str())),
            )
        });
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for (id, at) in designated.chain(extra) {
            let i = match out.iter().position(|(o, _)| *o == id) {
                Some(i) => i,
                None => {
                    out.push((id, Vec::new()));
                    out.len() - 1
                }
            };
            if let Some(a) = at {
                if !out[i].1.contains(&a) {
                    out[i].1.push(a);
                }
            }
        }
        out
    }

    /// The node each log belongs to: named by the user, or found by a probe.
    pub fn node_of(&self, source: usize) -> Option<String> {
        self.tagged
            .get(source)
            .cloned()
            .flatten()
            .or_else(|| {
                self.probes
                    .iter()
                    .find(|p| p.found.as_ref().is_some_and(|f| f.source == source))
                    .map(|p| p.node.clone())
            })
            .or_else(|| self.assumed.get(source).cloned().flatten())
    }

    /// Logs no probe's lines tie to a node, given to the nodes no probe reached: by the
    /// node named in their path, else one log for one node. Those stay unchecked.
    fn assume(&mut self, labels: &[PathBuf]) {
        let mut unreached: Vec<String> = self
            .probes
            .iter()
            .filter(|p| {
                p.probe.is_none()
                    && !self
                        .tagged
                        .iter()
                        .any(|t| t.as_deref() == Some(p.node.as_str()))
            })
            .map(|p| p.node.clone())
            .collect();
        let mut unclaimed: Vec<usize> = (0..labels.len())
            .filter(|&i| self.node_of(i).is_none())
            .collect();
        for n in unreached.clone() {
            if let Some(i) = selfcheck::file_of_node(labels, &n).filter(|i| unclaimed.contains(i)) {
                self.assumed[i] = Some(n.clone());
                unclaimed.retain(|&u| u != i);
                unreached.retain(|u| *u != n);
            }
        }
        if unclaimed.len() == 1 && unreached.len() == 1 {
            self.assumed[unclaimed[0]] = Some(unreached[0].clone());
        }
    }

    /// Judge what the logs hold so far. `watched(i, id)`: what log `i`'s scanner holds of
    /// request `id`; `labels[i]` names log `i`.
    pub fn verdict<'a>(
        &mut self,
        labels: &[PathBuf],
        watched: &dyn Fn(usize, &str) -> Option<Watched<'a>>,
    ) -> State {
        let timed_out = self.started.elapsed() >= self.timeout;
        for np in &mut self.probes {
            if np.found.is_some() || np.missing {
                continue;
            }
            let Some(p) = np.probe.as_mut() else {
                continue;
            };
            let id = p.request_id.clone();
            let seen: Vec<Option<Watched<'a>>> =
                (0..labels.len()).map(|i| watched(i, &id)).collect();
            match p.verdict(labels, &seen) {
                None => {}
                Some(Verdict::Passed {
                    file, after, lines, ..
                }) => {
                    if let Some(other) = self.tagged[file].as_ref().filter(|t| **t != np.node) {
                        return State::Failed(SelfCheckFailure::Elsewhere {
                            request_id: p.request_id.clone(),
                            node: np.node.clone(),
                            found: labels[file].clone(),
                            expected: PathBuf::from(format!(
                                "a log of {} (that one was given as {other}'s)",
                                np.node
                            )),
                        });
                    }
                    np.found = Some(Found {
                        source: file,
                        after,
                        lines,
                    });
                }
                Some(Verdict::Failed(SelfCheckFailure::NoLine { .. }))
                    if !self
                        .tagged
                        .iter()
                        .any(|t| t.as_deref() == Some(np.node.as_str())) =>
                {
                    // No log of its own: it may simply not be among those given.
                    np.missing = true;
                }
                Some(Verdict::Failed(f)) => return State::Failed(f),
            }
        }
        let pending = self
            .probes
            .iter()
            .any(|p| p.probe.is_some() && p.found.is_none() && !p.missing);
        // Each log is one node's: once every log shows its node's probe, the probes not
        // seen yet are of nodes whose logs were not given, and will never show.
        let all_tied = (0..labels.len()).all(|i| {
            self.probes
                .iter()
                .any(|p| p.found.as_ref().is_some_and(|f| f.source == i))
        });
        if pending && !timed_out && !all_tied {
            return State::Waiting;
        }
        if pending {
            for p in &mut self.probes {
                if p.probe.is_some() && p.found.is_none() {
                    p.missing = true;
                }
            }
        }
        self.assume(labels);
        // Every log must be some node's.
        for (i, label) in labels.iter().enumerate() {
            if self.node_of(i).is_none() {
                let ids = self.request_ids();
                if ids.is_empty() {
                    continue;
                }
                return State::Failed(SelfCheckFailure::NoLine {
                    request_id: ids.join(", "),
                    node: None,
                    secs: self.timeout.as_secs(),
                    files: vec![label.clone()],
                });
            }
        }
        if !self.partial_ok {
            let uncovered: Vec<String> = self
                .probes
                .iter()
                .filter(|p| p.missing)
                .map(|p| p.node.clone())
                .collect();
            if !uncovered.is_empty() {
                return State::Failed(SelfCheckFailure::Uncovered { nodes: uncovered });
            }
        }
        State::Passed
    }
}
