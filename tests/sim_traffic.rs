//! Scripted traffic against the simulator: what the clients say they sent per token id
//! matches what the log shows, under concurrency, with whole lines only; and the
//! `jira-patrol sim` command prints where it listens and its test-only accounts.

use jira_sim::traffic::{self, ClientAuth, TrafficOptions};
use jira_sim::Level;
use jira_sim::{SimConfig, SimJira};
use std::collections::BTreeMap;

mod sim_support;
use sim_support::{is_continuation, parse};

#[test]
fn the_standard_mix_is_counted_by_token_id_and_matches_the_log() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let clients = traffic::standard_mix(sim.accounts(), 6);
    let report = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    assert_eq!(report.total_sent(), 6 * clients.len() as u64);

    let a = sim.accounts();
    let id = |name: &str| a.token(name).unwrap().token_id.clone();
    let t = |name: &str| report.by_token_id[&id(name)].clone();
    assert_eq!(t("ci, deploy (prod)=1").ok, 6);
    assert_eq!(t("test").ok, 6);
    assert_eq!(t("Jira→Slack «bridge» ü").ok, 6);
    assert_eq!(t("old laptop").unauthorized, 6);
    assert_eq!(t("cron job").unauthorized, 6);
    assert_eq!(report.by_token_id["424242424242"].unauthorized, 6);
    // Garbage and a JWT: neither is a well-formed token. Refused tokens go on as anonymous,
    // so the JWT's public project listing still answers 200.
    assert_eq!(report.malformed.sent, 12);
    assert_eq!(report.by_client["malformed"].unauthorized, 6);
    assert_eq!(report.by_client["jwt-gateway"].unauthorized, 3);
    assert_eq!(t("nightly export").ok, 6);
    assert_eq!(
        t("nightly export").unauthorized,
        6,
        "the tampered export token"
    );
    assert_eq!(report.without_token.ok, 6);
    // jdoe's tampered token and the bridge share a token id: 6 good + 6 bad.
    assert_eq!(t("Jira→Slack «bridge» ü").sent, 12);
    assert_eq!(t("Jira→Slack «bridge» ü").unauthorized, 6);

    let text = std::fs::read_to_string(sim.log_path()).unwrap();
    let mut got_id: BTreeMap<String, u64> = BTreeMap::new();
    let mut success: BTreeMap<String, u64> = BTreeMap::new();
    let mut enter = 0;
    let mut by_request: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Some(e) = parse(line) else {
            assert!(is_continuation(line), "torn line: {line:?}");
            continue;
        };
        if e.message == ">>> TokenBasedAuthenticationFilter.doFilter" {
            enter += 1;
        }
        let between = |m: &str, pre: &str| -> Option<String> {
            let rest = m.strip_prefix(pre)?;
            Some(rest[..rest.find(']')?].to_string())
        };
        if let Some(v) = between(&e.message, "Got tokenId: [") {
            *got_id.entry(v).or_default() += 1;
        }
        if let Some(rest) = e.message.strip_prefix("Auth SUCCESS for user: [") {
            let v = rest.split("tokenId: [").nth(1).unwrap();
            *success.entry(v[..12].to_string()).or_default() += 1;
        }
        if !e.request_id.is_empty() {
            by_request
                .entry(e.request_id.clone())
                .or_default()
                .push(e.thread.clone());
        }
    }
    assert_eq!(
        enter,
        report.total_sent(),
        "every request passes the filter"
    );
    for (token_id, tally) in &report.by_token_id {
        assert_eq!(
            got_id.get(token_id).copied().unwrap_or(0),
            tally.sent,
            "{token_id}"
        );
        assert_eq!(
            success.get(token_id).copied().unwrap_or(0),
            tally.ok,
            "{token_id}"
        );
    }
    // A request's lines are on its thread (renamed while a plugin works on it) or on an
    // async executor thread carrying the request's MDC: correlate by request id.
    let mut async_lines = 0;
    for threads in by_request.values() {
        let base = threads[0].split(" url: ").next().unwrap();
        for t in threads {
            if t.starts_with("ThreadPoolAsyncTaskExecutor::Thread ") {
                async_lines += 1;
            } else {
                assert!(t.starts_with(base), "{t} vs {base}");
            }
        }
    }
    assert!(
        async_lines > 0,
        "the mix lists projects, which logs from an async thread"
    );
    // Forwarded-for addresses show up as Jira's list form.
    assert!(text.contains(" 10.1.2.61,127.0.0.1 /rest/api/2/"));
}

#[test]
fn a_single_client_without_paths_calls_myself() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let c = traffic::ScriptedClient {
        label: "one".into(),
        auth: ClientAuth::Bearer(sim.accounts().token("test").unwrap().raw.clone()),
        requests: 3,
        paths: vec![],
        forwarded_for: None,
        pause: std::time::Duration::ZERO,
    };
    assert_eq!(c.token_id().as_deref(), Some("355510638677"));
    let r = traffic::run(
        &sim.url(),
        &[c],
        &TrafficOptions {
            concurrent: false,
            ..TrafficOptions::default()
        },
    );
    assert_eq!(r.by_client["one"].ok, 3);
    assert_eq!(sim.request_count(), 3);
}

#[test]
fn sim_command_prints_url_log_and_test_only_accounts() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jira-patrol"))
        .args([
            "sim",
            "--no-websudo",
            "--node-id",
            "n1",
            "--traffic",
            "1",
            "--home",
        ])
        .arg(home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        text.push_str(&line);
        if line.starts_with("Press Ctrl-C") {
            break;
        }
        line.clear();
    }
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_string();
    assert!(text.contains("TEST-ONLY"));
    assert!(text.contains("user admin  password admin"));
    assert!(text.contains("355510638677"));
    let log = home.path().join("log").join("atlassian-jira.log");
    assert!(text.contains(&log.display().to_string()));
    let r = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{url}/secure/admin/ViewLogging.jspa"))
        .basic_auth("admin", Some("admin"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "--no-websudo");
    assert_eq!(r.headers()["X-ANODEID"], "n1");
    // Raise the PAT level like the tool would; the scripted traffic then shows up.
    let r = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{url}/secure/admin/ConfigureLogging.jspa"))
        .basic_auth("admin", Some("admin"))
        .header("X-Atlassian-Token", "no-check")
        .form(&[("loggerName", "com.atlassian.pats"), ("levelName", "TRACE")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("Auth SUCCESS for user: [JIRAUSER10100]") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no PAT traffic logged"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Ctrl-C stops it cleanly.
    unsafe_sigint(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(log.exists(), "the given home is kept");
}

fn unsafe_sigint(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}
