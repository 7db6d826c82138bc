//! The cluster's nodes (jira-facts §3): `GET /rest/api/2/cluster/nodes` (administrators;
//! a Jira that is not clustered has none), and a probe sent to one node's own address
//! (its `ip` and the connector port, or a URL the user gives) instead of the load balancer.

use super::{Client, JiraError, ProbeAnswer};
use crate::secret::Secret;
use reqwest::{Method, StatusCode};
use std::time::{Duration, Instant};

/// The REST resource listing the nodes.
pub const CLUSTER_NODES: &str = "/rest/api/2/cluster/nodes";

/// One node as Jira lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNode {
    /// `jira.node.id` of the node: what `X-ANODEID` says.
    pub node_id: String,
    /// `ACTIVE`, `PASSIVE`, `ACTIVATING`, `PASSIVATING` or `OFFLINE`.
    #[serde(default)]
    pub state: String,
    /// Whether its heartbeat is fresh; a node that died stays `ACTIVE` a while, not alive.
    #[serde(default)]
    pub alive: Option<bool>,
    /// The address the node says it has.
    #[serde(default)]
    pub ip: Option<String>,
    /// Jira's version on that node.
    #[serde(default)]
    pub node_version: Option<String>,
    /// When its state last changed (epoch milliseconds).
    #[serde(default)]
    pub last_state_change_timestamp: Option<i64>,
}

impl ClusterNode {
    /// Active and alive: a node that serves requests and writes a log of its own.
    pub fn serving(&self) -> bool {
        self.state.eq_ignore_ascii_case("ACTIVE") && self.alive != Some(false)
    }
}

/// What Jira says about its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterView {
    /// Not clustered (an empty list, or no such resource: Server).
    Single,
    /// A cluster with these nodes (in Jira's order).
    Nodes(Vec<ClusterNode>),
    /// The list could not be read (why, one line): not an administrator, a proxy.
    Unknown(String),
}

impl ClusterView {
    /// The nodes, when known.
    pub fn nodes(&self) -> &[ClusterNode] {
        match self {
            ClusterView::Nodes(n) => n,
            _ => &[],
        }
    }

    /// Ids of the nodes that serve requests now.
    pub fn serving(&self) -> Vec<String> {
        self.nodes()
            .iter()
            .filter(|n| n.serving())
            .map(|n| n.node_id.clone())
            .collect()
    }
}

impl Client {
    /// `GET /rest/api/2/cluster/nodes`. Never an error: what cannot be known is
    /// [`ClusterView::Unknown`], with why.
    pub fn cluster_nodes(&self) -> ClusterView {
        let a = match self.rest(Method::GET, CLUSTER_NODES) {
            Ok(a) => a,
            Err(e) => {
                return ClusterView::Unknown(
                    e.to_string().lines().next().unwrap_or_default().to_string(),
                )
            }
        };
        match a.status {
            StatusCode::NOT_FOUND => return ClusterView::Single,
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                return ClusterView::Unknown(format!(
                    "Jira refused to list its nodes (HTTP {}; it needs an administrator)",
                    a.status.as_u16()
                ))
            }
            s if !s.is_success() => {
                return ClusterView::Unknown(format!(
                    "Jira answered HTTP {} to {CLUSTER_NODES}",
                    s.as_u16()
                ))
            }
            _ => {}
        }
        match serde_json::from_str::<Vec<ClusterNode>>(&a.body) {
            Ok(v) if v.is_empty() => ClusterView::Single,
            Ok(v) => ClusterView::Nodes(v),
            Err(e) => {
                ClusterView::Unknown(format!("{CLUSTER_NODES} is not the expected list ({e})"))
            }
        }
    }

    /// Every `X-ANODEID` Jira answered with so far.
    pub fn nodes_seen(&self) -> Vec<String> {
        self.state().nodes_seen.iter().cloned().collect()
    }

    /// The probe ([`Client::probe`]) sent to `base` (a node's own URL) instead of Jira's
    /// URL, waiting at most `connect` for the connection.
    pub fn probe_at(
        &self,
        base: &str,
        path: &str,
        token: Option<&Secret>,
        connect: Duration,
    ) -> Result<ProbeAnswer, JiraError> {
        let token = token
            .or(self.creds.token.as_ref())
            .ok_or(JiraError::WebSudoNeedsPassword)?;
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let http = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .timeout(self.timeout.min(connect * 5))
            .user_agent(concat!("jira-patrol/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| JiraError::Http {
                url: base.to_string(),
                reason: e.to_string(),
            })?;
        let started = Instant::now();
        let resp = http
            .request(Method::GET, &url)
            .bearer_auth(token.expose())
            .header("Accept", "application/json")
            .send()
            .map_err(|e| {
                let mut err = self.transport_error(&e, started);
                // Name the node's address, not Jira's.
                match &mut err {
                    JiraError::Unreachable { url: u, .. }
                    | JiraError::Timeout { url: u, .. }
                    | JiraError::Tls { url: u, .. }
                    | JiraError::Http { url: u, .. } => *u = base.to_string(),
                    _ => {}
                }
                err
            })?;
        Ok(self.probe_answer(&resp))
    }

    /// The answer's headers that find a probe's lines (the self-check watches for them:
    /// they are not noted as the client's own calls, whose ids other nodes may repeat).
    pub(super) fn probe_answer(&self, resp: &reqwest::blocking::Response) -> ProbeAnswer {
        let h = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let answer = ProbeAnswer {
            status: resp.status().as_u16(),
            request_id: h("x-arequestid"),
            node: h("x-anodeid"),
            username: h("x-ausername"),
        };
        if let Some(n) = &answer.node {
            self.state().nodes_seen.insert(n.clone());
        }
        answer
    }
}
