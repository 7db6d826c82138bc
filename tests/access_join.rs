//! The access-log join as a user runs it: `summarize --access-log` over generated pairs
//! of logs whose right answers are known (statuses, latency, bytes and User-Agents per
//! token), an older day whose request ids repeat today's, gzip, a custom pattern from an
//! install's server.xml, microseconds; and a capture against the simulated Jira whose
//! per-token statuses and agents are what the test's clients sent.

mod common;

use assert_cmd::Command;
use common::genlog::{self, AccessOptions, AccessTruth, Config, Expected};
use common::{output, wait_raised, Homes};
use jira_sim::traffic::{self, TrafficOptions};
use jira_sim::{RateLimit, SimConfig, SimJira};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::cargo_bin("jira-patrol").unwrap();
    c.env_remove("JIRA_TOKEN").env("TZ", "UTC");
    c
}

/// `summarize` with these arguments: (stdout as JSON, stderr).
fn summarize(args: &[&str]) -> (Value, String) {
    let out = bin()
        .arg("summarize")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// `summarize APP --access-log DIR EXTRA...` over a pair, as run.
fn summarize_pair(p: &Pair, extra: &[&str]) -> std::process::Output {
    bin()
        .args([
            "summarize",
            &Pair::s(&p.app()),
            "--access-log",
            &Pair::s(&p.access_dir()),
        ])
        .args(extra)
        .output()
        .unwrap()
}

struct Pair {
    dir: tempfile::TempDir,
    expected: Expected,
}

impl Pair {
    fn app(&self) -> PathBuf {
        self.dir.path().join("log/atlassian-jira.log")
    }
    fn access_dir(&self) -> PathBuf {
        self.dir.path().join("install/logs")
    }
    fn s(p: &Path) -> String {
        p.display().to_string()
    }
}

const DAY: &str = "2022-10-11"; // genlog's default start (1_665_500_000)

fn config() -> Config {
    Config {
        bytes: 600 << 10,
        pat_share: 0.3,
        ..Config::default()
    }
}

/// A generated application log and the access log of the same requests.
fn pair(cfg: &Config, opts: &AccessOptions) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("log")).unwrap();
    std::fs::create_dir_all(dir.path().join("install/logs")).unwrap();
    let mut app = Vec::new();
    let mut access = Vec::new();
    let expected = genlog::generate_with_access(cfg, &mut app, &mut access, opts).unwrap();
    std::fs::write(dir.path().join("log/atlassian-jira.log"), app).unwrap();
    std::fs::write(
        dir.path().join(format!("install/logs/access_log.{DAY}")),
        access,
    )
    .unwrap();
    Pair { dir, expected }
}

/// A token's truth over its successes and failures together (the report's `http` is
/// every joined request that named the token).
fn both(t: &genlog::TokenAccess) -> AccessTruth {
    let mut a = t.ok.clone();
    a.requests += t.failed.requests;
    a.bytes += t.failed.bytes;
    for (s, n) in &t.failed.statuses {
        *a.statuses.entry(*s).or_default() += n;
    }
    for (g, n) in &t.failed.agents {
        *a.agents.entry(g.clone()).or_default() += n;
    }
    a.durations.extend(&t.failed.durations);
    a.durations.sort_unstable();
    a
}

/// The `http` section of a token id, wherever the report lists it.
fn http_of<'a>(j: &'a Value, id: &str) -> &'a Value {
    j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .chain(j["failed_token_ids"].as_array().unwrap())
        .find(|t| t["token_id"] == id)
        .map(|t| &t["http"])
        .unwrap_or_else(|| panic!("token {id} not in the report"))
}

/// User-Agent → requests of an `http` section.
fn agents_of(h: &Value) -> BTreeMap<String, u64> {
    h["user_agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user_agent"].as_str().unwrap().to_string(),
                a["requests"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    // Latencies are kept to three significant digits (and shown to 0.1 ms).
    let tol = want.abs() * 0.01 + 0.1;
    assert!(
        (got - want).abs() <= tol,
        "{what}: {got} reported, {want} expected"
    );
}

/// Every token's statuses, bytes, agents and latency equal the generator's truth.
fn assert_http_matches(j: &Value, e: &Expected, per_ms: f64) {
    assert!(!e.access.is_empty());
    for (id, t) in &e.access {
        let truth = both(t);
        let h = http_of(j, id);
        assert_eq!(h["requests"].as_u64().unwrap(), truth.requests, "{id}");
        let statuses: BTreeMap<String, u64> =
            serde_json::from_value(h["statuses"].clone()).unwrap();
        let want: BTreeMap<String, u64> = truth
            .statuses
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect();
        assert_eq!(statuses, want, "statuses of {id}");
        assert_eq!(h["bytes"].as_u64().unwrap(), truth.bytes, "bytes of {id}");
        let agents = agents_of(h);
        assert_eq!(agents, truth.agents, "agents of {id}");
        let l = &h["latency_ms"];
        close(
            l["p50"].as_f64().unwrap(),
            truth.percentile(50.0) as f64 / per_ms,
            &format!("p50 of {id}"),
        );
        close(
            l["p95"].as_f64().unwrap(),
            truth.percentile(95.0) as f64 / per_ms,
            &format!("p95 of {id}"),
        );
        close(
            l["max"].as_f64().unwrap(),
            truth.max_duration() as f64 / per_ms,
            &format!("max of {id}"),
        );
    }
}

/// Requests the correlator finds: those that named a token id, and those whose Bearer
/// value was no PAT (they have an access line too).
fn total_pat_requests(e: &Expected) -> u64 {
    e.access
        .values()
        .map(|t| t.ok.requests + t.failed.requests)
        .sum::<u64>()
        + e.not_pat
}

#[test]
fn statuses_latency_bytes_and_agents_per_token_equal_the_truth() {
    let p = pair(&config(), &AccessOptions::default());
    let (j, err) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
    ]);
    assert_http_matches(&j, &p.expected, 1.0);
    let a = &j["access_log"];
    assert_eq!(
        a["joined"].as_u64().unwrap(),
        total_pat_requests(&p.expected)
    );
    assert_eq!(a["unjoined"], 0);
    assert_eq!(a["unparsed_lines"], 0);
    assert_eq!(a["lines"].as_u64().unwrap(), p.expected.access_lines);
    assert_eq!(a["pattern_source"], "stock");
    assert!(err.contains("Jira's stock AccessLogValve pattern"), "{err}");
    assert!(err.contains("%D taken as milliseconds (assumed"), "{err}");

    // The table carries the top agent and p95; the CSV the same columns.
    let out = summarize_pair(&p, &[]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("USER-AGENT") && table.contains("P95 MS"),
        "{table}"
    );
    assert!(table.contains("PAT request(s) joined"), "{table}");
    let out = summarize_pair(&p, &["--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.lines().next().unwrap().contains("top_user_agent"),
        "{csv}"
    );

    // Each JSONL event carries what its access line said.
    let out = summarize_pair(&p, &["--format", "jsonl"]);
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let with_status = events.iter().filter(|e| e["status"].is_u64()).count() as u64;
    assert_eq!(with_status, total_pat_requests(&p.expected));
    assert_eq!(events.len() as u64, with_status, "every request joined");
    assert!(events
        .iter()
        .filter(|e| e["status"].is_u64())
        .all(|e| e["user_agent"].is_string() && e["duration_ms"].is_number()));
}

#[test]
fn an_older_day_with_the_same_request_ids_is_never_joined() {
    let cfg = config();
    let p = pair(&cfg, &AccessOptions::default());
    let mut older = Vec::new();
    genlog::generate_previous_day_access(&cfg, &mut older, &AccessOptions::default()).unwrap();
    std::fs::write(p.access_dir().join("access_log.2022-10-10"), &older).unwrap();
    let (j, _) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
    ]);
    assert_http_matches(&j, &p.expected, 1.0);
    assert!(
        !j.to_string().contains(genlog::PREVIOUS_DAY_AGENT),
        "a line of the day before was joined"
    );

    // Only the older day: every id is there, none joins.
    std::fs::remove_file(p.access_dir().join(format!("access_log.{DAY}"))).unwrap();
    let (j, err) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
    ]);
    let total = total_pat_requests(&p.expected);
    assert_eq!(j["access_log"]["joined"], 0);
    assert_eq!(j["access_log"]["unjoined"].as_u64().unwrap(), total);
    assert_eq!(
        j["access_log"]["outside_access_log"].as_u64().unwrap(),
        total
    );
    assert!(
        err.contains(&format!("0 of {total} PAT request(s) joined")),
        "{err}"
    );
    assert!(
        err.contains("outside the time the access logs cover"),
        "{err}"
    );
}

#[test]
fn gzipped_access_logs_join_alike() {
    let p = pair(&config(), &AccessOptions::default());
    let plain = p.access_dir().join(format!("access_log.{DAY}"));
    let data = std::fs::read(&plain).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &data).unwrap();
    std::fs::write(plain.with_extension("2022-10-11.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&plain).unwrap();
    let (j, _) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
    ]);
    assert_http_matches(&j, &p.expected, 1.0);
}

#[test]
fn microseconds_come_from_the_install_or_the_option() {
    let p = pair(
        &config(),
        &AccessOptions {
            micros: true,
            ..Default::default()
        },
    );
    // Told.
    let (j, err) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
        "--access-log-duration",
        "us",
    ]);
    assert_http_matches(&j, &p.expected, 1000.0);
    assert!(
        err.contains("microseconds (--access-log-duration)"),
        "{err}"
    );
    // Found: a Jira 11 install runs Tomcat 10.1.
    let install = p.dir.path().join("install");
    std::fs::write(
        install.join("RELEASE-NOTES"),
        "                     Apache Tomcat Version 10.1.28\n",
    )
    .unwrap();
    let (j, err) = summarize(&[&Pair::s(&p.app()), "--jira-install", &Pair::s(&install)]);
    assert_http_matches(&j, &p.expected, 1000.0);
    assert!(err.contains("microseconds (Tomcat 10.1.28, from"), "{err}");
    assert_eq!(j["access_log"]["duration_unit"], "us");
}

/// The custom pattern of tests/fixtures/access/server-custom.xml, and a line in it for the
/// one request of the support article's snippet (904x1468x1 at 15:04:09).
#[test]
fn a_custom_pattern_is_read_from_the_install_s_server_xml() {
    let dir = tempfile::tempdir().unwrap();
    let install = dir.path().join("jira");
    std::fs::create_dir_all(install.join("conf")).unwrap();
    std::fs::copy(
        "tests/fixtures/access/server-custom.xml",
        install.join("conf/server.xml"),
    )
    .unwrap();
    let cfg = jira_patrol::access::serverxml::read(&install).unwrap();
    std::fs::create_dir_all(&cfg.directory).unwrap();
    let name = format!(
        "{}.2022-10-11{}",
        cfg.prefix.trim_end_matches('.'),
        cfg.suffix
    );
    std::fs::write(
        cfg.directory.join(name),
        "192.168.0.1 904x1467x1 [11/Oct/2022:15:04:08 +0000] \"GET /secure/Dashboard.jspa HTTP/1.1\" 200 5120 0.012 \"Mozilla/5.0\" http-nio-8080-exec-3 \"-\"\n\
         192.168.0.1 - [11/Oct/2022:15:04:09 +0000] \"GET /status HTTP/1.1\" 200 20 0.001 \"kube-probe/1.29\" http-nio-8080-exec-9 \"-\"\n\
         192.168.0.1 904x1468x1 [11/Oct/2022:15:04:09 +0000] \"GET /rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19?expand=all HTTP/1.1\" 404 321 0.057 \"python-requests/2.31.0\" http-nio-8080-exec-4 \"10.1.2.61\"\n",
    )
    .unwrap();
    let (j, err) = summarize(&[
        "tests/fixtures/logs/kb-pat-trace-snippet.log",
        "--jira-install",
        &install.display().to_string(),
    ]);
    assert!(err.contains("conf/server.xml"), "{err}");
    let h = http_of(&j, "355510638677");
    assert_eq!(h["statuses"]["404"], 1);
    assert_eq!(h["bytes"], 321);
    assert_eq!(h["latency_ms"]["max"], 57.0);
    assert_eq!(h["user_agents"][0]["user_agent"], "python-requests/2.31.0");
    assert_eq!(j["access_log"]["lines"], 3);
    assert_eq!(j["access_log"]["joined"], 1);
}

#[test]
fn unreadable_patterns_and_unpaired_nodes_are_refused_plainly() {
    let p = pair(&config(), &AccessOptions::default());
    let out = summarize_pair(&p, &["--access-log-pattern", "%h %t %Z"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown code '%Z'"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = summarize_pair(&p, &["--access-log-pattern", "%h %t \"%r\" %s"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("%{jira.request.id}r"), "{err}");

    // A wrong pattern for the lines: said, with an example line, never silently empty.
    let (j, err) = summarize(&[
        &Pair::s(&p.app()),
        "--access-log",
        &Pair::s(&p.access_dir()),
        "--access-log-pattern",
        "combined-with-id %{jira.request.id}r %t",
    ]);
    assert!(err.contains("do not fit the pattern"), "{err}");
    assert_eq!(j["access_log"]["joined"], 0);

    // Two application logs (nodes), one access log.
    let node2 = p.dir.path().join("node2");
    std::fs::create_dir_all(&node2).unwrap();
    std::fs::copy(p.app(), node2.join("atlassian-jira.log")).unwrap();
    let out = bin()
        .args(["summarize", &Pair::s(&p.app()), &Pair::s(&node2)])
        .args(["--access-log", &Pair::s(&p.access_dir())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("one --access-log per node"), "{err}");
}

fn capture_cmd(sim: &SimJira, homes: &Homes, window: &str, extra: &[&str]) -> std::process::Child {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", sim.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args([
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            window,
            "--format",
            "json",
        ])
        .args(["--log", &sim.log_path().display().to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

#[test]
fn a_capture_joins_the_live_access_log_statuses_and_agents_equal_what_was_sent() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let install = sim.install_dir();
    let child = capture_cmd(
        &sim,
        &homes,
        "4s",
        &["--jira-install", &install.display().to_string()],
    );
    wait_raised(&sim, Duration::from_secs(20));
    let clients = traffic::standard_mix(sim.accounts(), 4);
    let gate = sim.hold_level_changes();
    let sent = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("conf/server.xml"), "{err}");
    assert!(
        err.contains("milliseconds (Jira 9.12.2, from serverInfo"),
        "{err}"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();

    // What each token id was sent with: its clients' agents, its answers.
    let mut agents: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in &clients {
        if let (Some(id), Some(t)) = (c.token_id(), sent.by_client.get(&c.label)) {
            *agents
                .entry(id)
                .or_default()
                .entry(c.user_agent().to_string())
                .or_default() += t.sent;
        }
    }
    let mut checked = 0;
    for (id, tally) in &sent.by_token_id {
        let h = http_of(&j, id);
        let got = agents_of(h);
        assert_eq!(got, agents[id], "agents of {id}");
        let st = &h["statuses"];
        let ok: u64 = st
            .as_object()
            .unwrap()
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum();
        assert_eq!(ok, tally.ok, "2xx of {id}");
        assert_eq!(
            st["401"].as_u64().unwrap_or(0),
            tally.unauthorized,
            "401 of {id}"
        );
        checked += 1;
    }
    assert!(checked >= 4, "{checked} tokens checked");
    // Bearer values that are no PAT are requests of the report too (`not_pat_bearer`).
    let total: u64 = sent.by_token_id.values().map(|t| t.sent).sum::<u64>() + sent.malformed.sent;
    assert_eq!(j["access_log"]["joined"].as_u64().unwrap(), total, "{err}");
    let np = &j["not_pat_bearer"]["http"];
    assert_eq!(np["requests"].as_u64().unwrap(), sent.malformed.sent);
    assert_eq!(
        np["statuses"]["401"].as_u64().unwrap_or(0),
        sent.malformed.unauthorized
    );
    assert_eq!(j["access_log"]["unjoined"], 0, "{err}");
}

#[test]
fn rate_limited_tokens_show_their_429s_and_the_user_s_shared_bucket() {
    let sim = SimJira::start(SimConfig {
        rate_limit: Some(RateLimit { per_minute: 3 }),
        ..SimConfig::default()
    })
    .unwrap();
    let homes = Homes::new();
    let access = sim.access_log_path();
    let child = capture_cmd(
        &sim,
        &homes,
        "3s",
        &[
            "--access-log",
            &access.display().to_string(),
            "--no-self-check",
        ],
    );
    wait_raised(&sim, Duration::from_secs(20));
    // Two tokens of one user, three requests each: the bucket holds three in a minute.
    let accounts = sim.accounts();
    let admins: Vec<_> = accounts
        .tokens_of("admin")
        .filter(|t| !t.expired())
        .take(2)
        .cloned()
        .collect();
    assert_eq!(admins.len(), 2, "the sim's admin holds two usable tokens");
    let client = |t: &jira_sim::SimToken| traffic::ScriptedClient {
        label: format!("limited-{}", t.name),
        auth: traffic::ClientAuth::Bearer(t.raw.clone()),
        requests: 3,
        paths: vec!["/rest/api/2/myself".into()],
        forwarded_for: None,
        pause: Duration::ZERO,
    };
    let clients: Vec<_> = admins.iter().map(client).collect();
    let gate = sim.hold_level_changes();
    let sent = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let limited: u64 = admins
        .iter()
        .map(|t| {
            http_of(&j, &t.token_id)["statuses"]["429"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    let refused: u64 = sent.by_client.values().map(|t| t.other).sum();
    assert_eq!(limited, refused, "429s per token as the clients got them");
    assert!(
        limited >= 3,
        "six requests against a bucket of three: {limited} refused"
    );
    let user = j["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_key"] == "admin")
        .expect("admin in the per-user view");
    assert_eq!(user["rate_limited"].as_u64().unwrap(), limited);
    assert_eq!(user["tokens"], 2);
    assert_eq!(
        user["requests"], 6,
        "429s are authenticated requests of the user"
    );
    // Six requests inside a second or two: one minute, or two when they straddle one.
    let peak = user["peak_per_minute"].as_u64().unwrap();
    assert!((3..=6).contains(&peak), "{user}");
}

#[test]
fn a_capture_follows_the_access_log_into_the_next_day_s_file() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let dir = sim.install_dir().join("logs");
    let child = capture_cmd(
        &sim,
        &homes,
        "4s",
        &["--access-log", &dir.display().to_string()],
    );
    wait_raised(&sim, Duration::from_secs(20));
    let clients = traffic::standard_mix(sim.accounts(), 2);
    let gate = sim.hold_level_changes();
    let before = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    let next = sim.roll_access_log_day();
    let after = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(next.exists(), "the next day's file was written");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent = |r: &traffic::TrafficReport| {
        r.by_token_id.values().map(|t| t.sent).sum::<u64>() + r.malformed.sent
    };
    assert_eq!(
        j["access_log"]["joined"].as_u64().unwrap(),
        sent(&before) + sent(&after),
        "requests of both days joined: {err}"
    );
    assert_eq!(j["access_log"]["unjoined"], 0);
}

#[test]
fn each_data_center_node_joins_its_own_access_log() {
    let cluster = jira_sim::SimCluster::start(2, SimConfig::default()).unwrap();
    let (a, b) = (&cluster.nodes()[0], &cluster.nodes()[1]);
    let homes = Homes::new();
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", a.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args([
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "4s",
            "--format",
            "json",
        ]);
    for n in [a, b] {
        c.args(["--log", &n.log_path().display().to_string()]);
    }
    for n in [a, b] {
        c.args([
            "--access-log",
            &n.install_dir().join("logs").display().to_string(),
        ]);
    }
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_raised(b, Duration::from_secs(20));
    let gate = a.hold_level_changes();
    // Request ids of the two nodes overlap (each counts from its own start): only the
    // node pairing keeps them apart.
    let sent_a = traffic::run(
        &a.url(),
        &traffic::standard_mix(a.accounts(), 2),
        &TrafficOptions::default(),
    );
    let sent_b = traffic::run(
        &b.url(),
        &traffic::standard_mix(b.accounts(), 3),
        &TrafficOptions::default(),
    );
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent = |r: &traffic::TrafficReport| {
        r.by_token_id.values().map(|t| t.sent).sum::<u64>() + r.malformed.sent
    };
    assert_eq!(
        j["access_log"]["joined"].as_u64().unwrap(),
        sent(&sent_a) + sent(&sent_b),
        "{err}"
    );
    assert_eq!(j["access_log"]["unjoined"], 0);
    // Per token, the 2xx answers are the sum of both nodes' answers.
    for (id, ta) in &sent_a.by_token_id {
        let tb = &sent_b.by_token_id[id];
        let st = &http_of(&j, id)["statuses"];
        assert_eq!(
            st["401"].as_u64().unwrap_or(0),
            ta.unauthorized + tb.unauthorized,
            "{id}"
        );
    }

    // One access log for two nodes is refused before Jira is touched.
    let out = common::isolated(homes.0.path())
        .env("JIRA_URL", a.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args(["capture", "--profile", "pats-trace", "--for", "4s"])
        .args(["--log", &a.log_path().display().to_string()])
        .args(["--log", &b.log_path().display().to_string()])
        .args([
            "--access-log",
            &a.install_dir().join("logs").display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("one --access-log per node"), "{err}");
}
