//! A simulated Data Center cluster: shared database, broadcast level changes, per-node
//! sessions and logs, late joiners starting from the file configuration.

use jira_sim::Level;
use jira_sim::{SimCluster, SimConfig};
use reqwest::blocking::Client;

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[test]
fn levels_broadcast_but_sessions_and_logs_stay_per_node() {
    let mut cluster = SimCluster::start(
        2,
        SimConfig {
            websudo: false,
            noise: false,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    assert_ne!(n1.url(), n2.url());
    assert_ne!(n1.log_path(), n2.log_path());

    // An admin sets TRACE through node 1's page; node 2 gets it too.
    let r = client()
        .post(format!("{}/secure/admin/ConfigureLogging.jspa", n1.url()))
        .basic_auth("admin", Some("admin"))
        .header("X-Atlassian-Token", "no-check")
        .form(&[("loggerName", "com.atlassian.pats"), ("levelName", "TRACE")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["X-ANODEID"], "node1");
    assert_eq!(n2.levels()["com.atlassian.pats"], Level::Trace);

    // A PAT request served by node 2 is logged only in node 2's log.
    let token = cluster.accounts().token("test").unwrap().raw.clone();
    let before1 = std::fs::read_to_string(n1.log_path()).unwrap();
    let r = client()
        .get(format!("{}/rest/api/2/myself", n2.url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["X-ANODEID"], "node2");
    let log2 = std::fs::read_to_string(n2.log_path()).unwrap();
    assert!(log2.contains("Auth SUCCESS for user: [admin] and tokenId: [355510638677]"));
    assert_eq!(std::fs::read_to_string(n1.log_path()).unwrap(), before1);

    // A session made on node 1 means nothing on node 2.
    let r = client()
        .post(format!("{}/rest/auth/1/session", n1.url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let jsession = cookie.split(';').next().unwrap().to_string();
    let on = |url: &str| {
        client()
            .get(format!("{url}/rest/api/2/myself"))
            .header("Cookie", &jsession)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!((on(&n1.url()), on(&n2.url())), (200, 401));

    // A token made on node 1 works on node 2 (one database).
    let v: serde_json::Value = client()
        .post(format!("{}/rest/pat/latest/tokens", n1.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .json(&serde_json::json!({"name": "made on node1"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let r = client()
        .get(format!("{}/rest/api/2/myself", n2.url()))
        .bearer_auth(v["rawToken"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(r.headers()["X-AUSERNAME"], "jdoe");

    // A node joining now starts from the file configuration.
    let n3 = cluster.add_node().unwrap();
    assert_eq!(n3.node_id(), Some("node3"));
    assert!(!n3.levels().contains_key("com.atlassian.pats"));
    assert_eq!(n3.effective_level("com.atlassian.pats"), Level::Warn);
    // ...and still receives later broadcasts.
    cluster
        .node(0)
        .set_level("com.atlassian.pats", Level::Debug);
    assert_eq!(cluster.node(2).levels()["com.atlassian.pats"], Level::Debug);
    assert_eq!(cluster.log_paths().len(), 3);
}

fn node_of(r: &reqwest::blocking::Response) -> String {
    r.headers()["X-ANODEID"].to_str().unwrap().to_string()
}

#[test]
fn a_balancer_spreads_requests_keeps_sessions_and_the_node_table_follows_the_nodes() {
    let mut cluster = SimCluster::start_addressable(
        3,
        SimConfig {
            websudo: false,
            noise: false,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let url = cluster.url();
    // Round-robin without a session: every node in turn.
    let mut seen: Vec<String> = (0..6)
        .map(|_| node_of(&client().get(format!("{url}/status")).send().unwrap()))
        .collect();
    assert_eq!(seen[..3], seen[3..], "round-robin: {seen:?}");
    seen.truncate(3);
    seen.sort();
    assert_eq!(seen, ["node1", "node2", "node3"]);

    // A session sticks to the node that made it.
    let r = client()
        .post(format!("{url}/rest/auth/1/session"))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .unwrap();
    let home = node_of(&r);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let jsession = cookie.split(';').next().unwrap().to_string();
    for _ in 0..4 {
        let r = client()
            .get(format!("{url}/rest/api/2/myself"))
            .header("Cookie", &jsession)
            .send()
            .unwrap();
        assert_eq!((r.status().as_u16(), node_of(&r)), (200, home.clone()));
    }

    // Each node answers at its table address and the balancer's port.
    let nodes: Vec<serde_json::Value> = client()
        .get(format!("{url}/rest/api/2/cluster/nodes"))
        .header("Cookie", &jsession)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(nodes.len(), 3);
    let port = url.rsplit(':').next().unwrap();
    for n in &nodes {
        assert_eq!(
            (n["state"].as_str(), n["alive"].as_bool()),
            (Some("ACTIVE"), Some(true))
        );
        let direct = client()
            .get(format!(
                "http://{}:{port}/status",
                n["ip"].as_str().unwrap()
            ))
            .send()
            .unwrap();
        assert_eq!(node_of(&direct), n["nodeId"].as_str().unwrap());
    }
    // Anonymous callers and plain users do not see the table.
    let anon = client()
        .get(format!("{url}/rest/api/2/cluster/nodes"))
        .send()
        .unwrap();
    assert_eq!(anon.status(), 401);

    // One node leaves cleanly, one dies; the balancer skips both.
    cluster.stop_node(1);
    cluster.kill_node(2);
    let states: Vec<(String, String, bool)> = client()
        .get(format!("{url}/rest/api/2/cluster/nodes"))
        .basic_auth("admin", Some("admin"))
        .send()
        .unwrap()
        .json::<Vec<serde_json::Value>>()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["nodeId"].as_str().unwrap().to_string(),
                n["state"].as_str().unwrap().to_string(),
                n["alive"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("node1".into(), "ACTIVE".into(), true),
            ("node2".into(), "OFFLINE".into(), false),
            ("node3".into(), "ACTIVE".into(), false)
        ]
    );
    for _ in 0..3 {
        assert_eq!(
            node_of(&client().get(format!("{url}/status")).send().unwrap()),
            "node1"
        );
    }
    // A node that joins is in the table and takes its share.
    cluster.add_node().unwrap();
    let seen: Vec<String> = (0..4)
        .map(|_| node_of(&client().get(format!("{url}/status")).send().unwrap()))
        .collect();
    assert!(seen.contains(&"node4".to_string()), "{seen:?}");
}
