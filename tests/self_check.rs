//! The capture's self-check as a user meets it, against the simulated Jira: a Jira whose log
//! stays silent stops the capture early with the case named, levels back and the temporary
//! token revoked; a working one passes with one status line and leaves no trace of the
//! probe in the report; a PAT login probes with its own token; `restore` revokes a token a
//! crash left behind; a Jira that refuses tokens falls back to the old hint; and
//! `check --self-check` passes and fails.

mod common;

use common::{output, wait_raised, Homes};

use jira_patrol::capture::selfcheck::TOKEN_NAME;
use jira_patrol::scan::{line, Zone};
use jira_sim::traffic::{self, TrafficOptions, TrafficReport};
use jira_sim::Level;
use jira_sim::{loggers, SimConfig, SimJira};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

enum Login<'a> {
    Password,
    Token(&'a str),
}

fn command(url: &str, homes: &Homes, login: Login<'_>, args: &[&str]) -> Command {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", url)
        .env("JIRA_PATROL_CHECK_EVERY_MS", "300")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match login {
        Login::Password => c.env("JIRA_USER", "admin").env("JIRA_PASSWORD", "admin"),
        Login::Token(t) => c.env("JIRA_TOKEN", t),
    };
    c
}

fn capture(url: &str, homes: &Homes, login: Login<'_>, log: &Path, extra: &[&str]) -> Child {
    let log = log.display().to_string();
    let mut args = vec![
        "capture",
        "--profile",
        "pats-trace",
        "--format",
        "json",
        "--log",
        &log,
    ];
    args.extend(extra);
    command(url, homes, login, &args).spawn().unwrap()
}

/// Jira has no "unset": a restored level may now be explicit, at its former value.
fn assert_put_back(sim: &SimJira) {
    assert_eq!(sim.effective_level(loggers::FILTER), Level::Warn);
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Warn);
}

fn self_check_tokens(sim: &SimJira) -> usize {
    sim.tokens().iter().filter(|t| t.name == TOKEN_NAME).count()
}

/// Every token's successes and failures in the summary equal what the clients sent, and
/// nothing else is in it.
fn assert_exact(j: &Value, sent: &TrafficReport) {
    let tokens = j["tokens"].as_array().unwrap();
    let failed = j["failed_token_ids"].as_array().unwrap();
    for (id, tally) in &sent.by_token_id {
        let t = tokens.iter().find(|t| t["token_id"] == *id);
        let (ok, fails) = match t {
            Some(t) => (
                t["requests"].as_u64().unwrap(),
                t["failures"].as_u64().unwrap(),
            ),
            None => (
                0,
                failed
                    .iter()
                    .find(|f| f["token_id"] == *id)
                    .map_or(0, |f| f["requests"].as_u64().unwrap()),
            ),
        };
        assert_eq!((ok, fails), (tally.ok, tally.unauthorized), "token {id}");
    }
    for t in tokens.iter().chain(failed) {
        let id = t["token_id"].as_str().unwrap();
        assert!(
            sent.by_token_id.contains_key(id),
            "token {id} is in the report but no client used it"
        );
    }
    assert_eq!(j["unidentified"].as_array().unwrap().len(), 0, "{j}");
}

/// The probe's request id and token id, as the simulated Jira logged them: the request to
/// `/rest/api/2/myself` whose token is not one the clients hold.
fn probe_in_log(sim: &SimJira, client_tokens: &[String]) -> Vec<(String, String)> {
    let mut zone = Zone::new(jiff::tz::TimeZone::UTC);
    let mut found = Vec::new();
    for f in sim.log_files() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for raw in text.lines() {
            let Some(l) = line::parse(raw.as_bytes(), &mut zone) else {
                continue;
            };
            let msg = String::from_utf8_lossy(l.message);
            let Some(rest) = msg.strip_prefix("Got tokenId: [") else {
                continue;
            };
            let id = rest.split(']').next().unwrap().to_string();
            if l.url == b"/rest/api/2/myself" && !client_tokens.contains(&id) {
                found.push((String::from_utf8_lossy(l.request_id).into_owned(), id));
            }
        }
    }
    found
}

#[test]
fn a_muted_jira_stops_the_capture_early_with_levels_back_and_the_token_revoked() {
    let sim = SimJira::start(SimConfig {
        runtime_levels_apply: false,
        ..SimConfig::default()
    })
    .unwrap();
    let homes = Homes::new();
    let child = capture(
        &sim.url(),
        &homes,
        Login::Password,
        &sim.log_path(),
        &["--for", "1h", "--self-check-timeout", "3s"],
    );
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("self-check failed: no log line of our test request"),
        "{err}"
    );
    assert!(
        err.contains("log4j2 JVM arguments") && err.contains("wrong --log path"),
        "{err}"
    );
    assert!(
        err.contains(&sim.log_path().display().to_string()),
        "names the followed file: {err}"
    );
    assert_stopped_clean(&sim, &homes, &out, &err);
}

/// A capture stopped by its self-check: no summary, levels back, the temporary token
/// revoked, nothing left to restore.
fn assert_stopped_clean(sim: &SimJira, homes: &Homes, out: &std::process::Output, err: &str) {
    assert!(out.stdout.is_empty(), "no summary: {err}");
    assert_put_back(sim);
    assert!(err.contains("levels are back"), "{err}");
    assert_eq!(self_check_tokens(sim), 0, "temporary token revoked");
    assert!(!homes.journal().exists(), "nothing left to restore");
}

#[test]
fn a_working_jira_passes_and_the_probe_leaves_no_trace_in_the_report() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let tokens_before = sim.tokens().len();
    let child = capture(
        &sim.url(),
        &homes,
        Login::Password,
        &sim.log_path(),
        &["--for", "4s"],
    );
    wait_raised(&sim, Duration::from_secs(60));
    let gate = sim.hold_level_changes();
    let sent = traffic::run(
        &sim.url(),
        &traffic::standard_mix(sim.accounts(), 4),
        &TrafficOptions::default(),
    );
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("self-check: our request seen on "), "{err}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let j: Value = serde_json::from_str(&text).unwrap();
    assert_exact(&j, &sent);
    let client_tokens: Vec<String> = sent.by_token_id.keys().cloned().collect();
    let probes = probe_in_log(&sim, &client_tokens);
    assert_eq!(probes.len(), 1, "one probe request, with its own token");
    let (request_id, token_id) = &probes[0];
    assert!(!text.contains(token_id.as_str()), "probe token in {text}");
    assert!(
        !text.contains(request_id.as_str()),
        "probe request in {text}"
    );
    assert_eq!(self_check_tokens(&sim), 0, "temporary token revoked");
    assert_eq!(sim.tokens().len(), tokens_before);
    assert!(!homes.journal().exists());
}

#[test]
fn a_pat_login_probes_with_its_own_token_which_the_report_does_not_count() {
    let sim = SimJira::start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    })
    .unwrap();
    let homes = Homes::new();
    // The admin's "test" token: the scripted admin client uses it too, on the same path.
    let token = sim.accounts().token("test").unwrap().clone();
    let tokens_before = sim.tokens().len();
    let child = capture(
        &sim.url(),
        &homes,
        Login::Token(&token.raw),
        &sim.log_path(),
        &["--for", "4s"],
    );
    wait_raised(&sim, Duration::from_secs(60));
    let gate = sim.hold_level_changes();
    let sent = traffic::run(
        &sim.url(),
        &traffic::standard_mix(sim.accounts(), 3),
        &TrafficOptions::default(),
    );
    drop(gate);
    assert!(sent.by_token_id[&token.token_id].ok > 0);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("self-check: our request seen on "), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The login's own admin calls (the logging page, every few seconds) are requests of its
    // token too, in the log; the report counts only what the scripted clients did with it.
    assert_exact(&j, &sent);
    let text = j.to_string();
    assert!(
        !text.contains("/secure/admin/"),
        "the tool's own calls: {text}"
    );
    // The probe used the login's token on the admin client's path: the log shows one
    // more such request than the report counts.
    let mut zone = Zone::new(jiff::tz::TimeZone::UTC);
    let success = format!(
        "Auth SUCCESS for user: [{}] and tokenId: [{}]",
        token.user_key, token.token_id
    );
    let mut in_log = 0u64;
    for f in sim.log_files() {
        for raw in std::fs::read_to_string(&f).unwrap_or_default().lines() {
            if let Some(l) = line::parse(raw.as_bytes(), &mut zone) {
                if l.url == b"/rest/api/2/myself" && raw.contains(&success) {
                    in_log += 1;
                }
            }
        }
    }
    let t = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token_id"] == token.token_id.as_str())
        .unwrap();
    let counted = t["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "/rest/api/2/myself")
        .map_or(0, |p| p["requests"].as_u64().unwrap());
    assert!(counted > 0, "the admin client's own requests are counted");
    assert_eq!(counted + 1, in_log, "all but the probe counted: {t}");
    assert_eq!(sim.tokens().len(), tokens_before, "no token created");
}

fn create_token(sim: &SimJira, name: &str) -> u64 {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/rest/pat/latest/tokens", sim.url()))
        .basic_auth("admin", Some("admin"))
        .json(&serde_json::json!({"name": name, "expirationDuration": 1}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().unwrap()["id"].as_u64().unwrap()
}

fn write_journal(homes: &Homes, url: &str, id: Option<u64>) {
    let j = serde_json::json!({
        "format": 1,
        "jira_url": url,
        "created_at": "2026-01-01T00:00:00Z",
        "loggers": [],
        "self_check_token": {"name": TOKEN_NAME, "id": id, "created_at": "2026-01-01T00:00:00Z"},
    });
    std::fs::create_dir_all(homes.journal().parent().unwrap()).unwrap();
    std::fs::write(homes.journal(), j.to_string()).unwrap();
}

#[test]
fn restore_revokes_a_temporary_token_a_crash_left_behind() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    // Crashed after journaling the id, before revoking; then before hearing the id at all.
    for by_id in [true, false] {
        let id = create_token(&sim, TOKEN_NAME);
        write_journal(&homes, &sim.url(), by_id.then_some(id));
        let out = command(&sim.url(), &homes, Login::Password, &["restore"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains(&format!(
                "revoked the leftover temporary token '{TOKEN_NAME}'"
            )),
            "{err}"
        );
        assert_eq!(self_check_tokens(&sim), 0, "by id: {by_id}");
        assert!(!homes.journal().exists());
    }
    // Already gone (revoked by hand): restore still succeeds and clears the journal.
    write_journal(&homes, &sim.url(), Some(999_999));
    let out = command(&sim.url(), &homes, Login::Password, &["restore"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!homes.journal().exists());
}

#[test]
fn a_jira_that_refuses_the_temporary_token_falls_back_to_the_silence_hint() {
    let refusing = SimJira::start(SimConfig {
        token_creation: false,
        ..SimConfig::default()
    })
    .unwrap();
    let full = SimJira::start(SimConfig::default()).unwrap();
    let mine = full.tokens().iter().filter(|t| t.owner == "admin").count();
    for i in mine..10 {
        create_token(&full, &format!("filler {i}"));
    }
    for (sim, says) in [
        (&refusing, "creation is disabled"),
        (&full, "maximum number of tokens"),
    ] {
        let homes = Homes::new();
        let child = capture(
            &sim.url(),
            &homes,
            Login::Password,
            &sim.log_path(),
            &["--for", "2s"],
        );
        let (out, err) = output(child);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("self-check skipped: Jira refused a temporary token")
                && err.contains(says),
            "{err}"
        );
        assert!(!homes.journal().exists());
    }
    // With the self-check skipped, silence is hinted at as before (a file no node writes).
    let homes = Homes::new();
    let d = tempfile::tempdir().unwrap();
    let wrong_log = d.path().join("atlassian-jira.log");
    let out = command(
        &refusing.url(),
        &homes,
        Login::Password,
        &[
            "capture",
            "--for",
            "2s",
            "--log",
            wrong_log.to_str().unwrap(),
        ],
    )
    .env("JIRA_PATROL_QUIET_AFTER_MS", "300")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("self-check skipped"), "{err}");
    assert!(err.contains("no PAT line in the log after"), "{err}");
}

#[test]
fn check_self_check_passes_on_a_working_jira_and_fails_on_a_muted_one() {
    for muted in [false, true] {
        let sim = SimJira::start(SimConfig {
            runtime_levels_apply: !muted,
            ..SimConfig::default()
        })
        .unwrap();
        let homes = Homes::new();
        let log = sim.log_path().display().to_string();
        let out = command(
            &sim.url(),
            &homes,
            Login::Password,
            &[
                "check",
                "--self-check",
                "--log",
                &log,
                "--self-check-timeout",
                "3s",
            ],
        )
        .output()
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let table = String::from_utf8_lossy(&out.stdout);
        if muted {
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(err.contains("no log line of our test request"), "{err}");
        } else {
            assert!(out.status.success(), "{err}\n{table}");
            assert!(table.contains("our request seen on"), "{table}");
        }
        assert_put_back(&sim);
        assert_eq!(self_check_tokens(&sim), 0);
        assert!(!homes.journal().exists());
    }
}

#[test]
fn another_nodes_log_fails_the_self_check_and_names_where_the_request_went() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = jira_sim::SimCluster::start(
        2,
        SimConfig {
            home: Some(dir.path().to_path_buf()),
            ..SimConfig::default()
        },
    )
    .unwrap();
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    // Only node 2's log for a cluster of two: refused before anything changes, naming the
    // nodes and the flags.
    let homes = Homes::new();
    let child = capture(
        &n1.url(),
        &homes,
        Login::Password,
        &n2.log_path(),
        &["--for", "1h", "--self-check-timeout", "3s"],
    );
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cluster of 2 active nodes (node1, node2)")
            && err.contains("--log NODE=PATH")
            && err.contains("--allow-partial"),
        "{err}"
    );
    assert!(!err.contains("applying profile"), "{err}");
    assert!(!n1.levels().contains_key("com.atlassian.pats"));
    assert_eq!(self_check_tokens(n1), 0);

    // Both logs, but under each other's names: the request shows in the file that names
    // the other node.
    let swapped = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("node2"), swapped.path().join("node1")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("node1"), swapped.path().join("node2")).unwrap();
    let named = |n: &str| swapped.path().join(n).join("log/atlassian-jira.log");
    let homes = Homes::new();
    let second = named("node2").display().to_string();
    let child = capture(
        &n1.url(),
        &homes,
        Login::Password,
        &named("node1"),
        &["--for", "1h", "--log", &second],
    );
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was served by node node1, but its lines are in")
            && err.contains(&format!("{second}, not in")),
        "{err}"
    );
    assert_put_back(n1);
    assert_eq!(self_check_tokens(n1), 0);
}

#[test]
fn a_success_line_in_another_wording_stops_the_capture_at_the_self_check() {
    // Another plugin version's wording: at full TRACE the probe reads as a request with no
    // verdict, at the filter's level as nothing; either way never as failures in a report.
    for (profile, read_as) in [
        ("pats-trace", "read as a token request with no verdict"),
        ("pats-filter-trace", "read as no request at all"),
    ] {
        let sim = SimJira::start(SimConfig {
            reworded_success: true,
            ..SimConfig::default()
        })
        .unwrap();
        let homes = Homes::new();
        let log = sim.log_path().display().to_string();
        let args = [
            "capture",
            "--profile",
            profile,
            "--for",
            "1h",
            "--log",
            &log,
        ];
        let child = command(&sim.url(), &homes, Login::Password, &args)
            .spawn()
            .unwrap();
        let (out, err) = output(child);
        assert_eq!(out.status.code(), Some(1), "{profile}: {err}");
        assert!(
            err.contains("Jira answered our test request")
                && err.contains("as user admin (HTTP 200)")
                && err.contains(read_as)
                && err.contains("not as a success of its token"),
            "{profile}: {err}"
        );
        assert!(err.contains("jira-patrol diagnose --self-check"), "{err}");
        // The probe's lines are shown, hashes masked.
        assert!(
            err.contains("Token authentication succeeded (user=admin"),
            "{profile}: {err}"
        );
        assert!(!err.contains("{PKCS5S2}"), "{err}");
        assert_stopped_clean(&sim, &homes, &out, &err);
    }
}

/// `summarize LOG --format FORMAT`, offline: stdout and stderr of a successful run.
fn summarize(homes: &Homes, log: &str, format: &str) -> (String, String) {
    let out = common::isolated(homes.0.path())
        .args(["summarize", log, "--format", format])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

#[test]
fn an_offline_summary_marks_the_self_checks_probe_and_leaves_it_out_of_the_totals() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let log = sim.log_path().display().to_string();
    let out = command(
        &sim.url(),
        &homes,
        Login::Password,
        &["check", "--self-check", "--log", &log],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Someone else's script, for comparison.
    sim.set_level("com.atlassian.pats", Level::Trace);
    traffic::run(
        &sim.url(),
        &[traffic::standard_mix(sim.accounts(), 2).remove(2)],
        &TrafficOptions::default(),
    );
    let summarize = |format: &str| summarize(&homes, &log, format).0;
    let j: Value = serde_json::from_str(&summarize("json")).unwrap();
    let tokens = j["tokens"].as_array().unwrap();
    let probe = tokens.iter().find(|t| t["name"] == TOKEN_NAME).unwrap();
    assert_eq!(probe["jira_patrol_probe"], true, "{probe}");
    assert_eq!(tokens.last().unwrap()["name"], TOKEN_NAME, "listed last");
    let bridge = tokens
        .iter()
        .find(|t| t["name"] == "Jira→Slack «bridge» ü")
        .unwrap();
    assert!(bridge.get("jira_patrol_probe").is_none(), "{bridge}");
    let users: Vec<&str> = j["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_key"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        ["JIRAUSER10100"],
        "the probe's admin is no user of its own"
    );
    let table = summarize("table");
    assert!(
        table.contains(&format!(
            "Token {} is jira-patrol's own self-check probe",
            probe["token_id"].as_str().unwrap()
        )),
        "{table}"
    );
}

#[test]
fn offline_a_jira_wording_its_success_otherwise_gets_no_verdict_and_keeps_its_failures() {
    // The same traffic (successes, an expired token, a deactivated owner, an unknown id,
    // wrong secrets, a JWT) against a Jira writing the 1.4.7 success line and one writing
    // it in other words; each log summarised offline, as JSON and as a table.
    let run = |reworded: bool| {
        let sim = SimJira::start(SimConfig {
            reworded_success: reworded,
            noise: false,
            ..SimConfig::default()
        })
        .unwrap();
        sim.set_level("com.atlassian.pats", Level::Trace);
        traffic::run(
            &sim.url(),
            &traffic::standard_mix(sim.accounts(), 2),
            &TrafficOptions::default(),
        );
        let homes = Homes::new();
        let log = sim.log_path().display().to_string();
        let (json, err) = summarize(&homes, &log, "json");
        let (table, _) = summarize(&homes, &log, "table");
        (serde_json::from_str::<Value>(&json).unwrap(), err, table)
    };
    let (known, known_err, _) = run(false);
    let (other, err, table) = run(true);
    let successes: u64 = common::outcomes_per_token(&known)
        .values()
        .map(|t| t.0)
        .sum();
    assert!(successes >= 8, "{known}");

    // Each success has no verdict; each failure is still a failure of the same token.
    let want: std::collections::BTreeMap<String, (u64, u64, u64)> =
        common::outcomes_per_token(&known)
            .into_iter()
            .map(|(id, (ok, failed, _))| (id, (0, failed, ok)))
            .collect();
    assert_eq!(common::outcomes_per_token(&other), want);
    assert_eq!(known["no_verdict"], 0);
    assert!(!known_err.contains("no verdict"), "{known_err}");
    assert!(
        want.values().any(|t| t.1 > 0),
        "a deactivated owner and a wrong secret failed: {known}"
    );
    for same in [
        "failed_token_ids",
        "unattributed_failures",
        "not_pat_bearer",
    ] {
        assert_eq!(other[same], known[same], "{same}");
    }
    assert_eq!(other["no_verdict"].as_u64().unwrap(), successes);
    let warned: Vec<&str> = err.lines().filter(|l| l.contains("no verdict")).collect();
    assert_eq!(warned.len(), 1, "{err}");
    assert!(
        warned[0].starts_with(&format!("warning: {successes} token request(s)"))
            && warned[0].contains("another PAT plugin version's wording")
            && warned[0].contains("jira-patrol diagnose"),
        "{err}"
    );
    assert!(
        table.contains(&format!(
            "Note: {successes} token request(s) have no verdict"
        )),
        "{table}"
    );
}
