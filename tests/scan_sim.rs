//! The scanner against what the simulated Jira writes (its own layout, cache misses,
//! failure texts, batcher lines, noise, rotation): the summary of the rotated set equals
//! what the scripted clients sent, token by token. The nightly pruning job runs too (on a
//! short period, and once more at the end): its lines are no requests.

use assert_cmd::Command;
use jira_sim::traffic::{self, TrafficOptions};
use jira_sim::Level;
use jira_sim::{SimConfig, SimJira};
use serde_json::Value;

fn summarize(
    files: &[std::path::PathBuf],
    profile_logger: &str,
    level: Level,
) -> (Value, traffic::TrafficReport, SimJira) {
    let sim = SimJira::start(SimConfig {
        log_max_bytes: 16 * 1024,
        log_backups: 200,
        pruning_interval: Some(std::time::Duration::from_millis(100)),
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level(profile_logger, level);
    let clients = traffic::standard_mix(sim.accounts(), 8);
    let report = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    sim.run_pruning_job();
    let mut paths = sim.log_files();
    paths.extend_from_slice(files);
    if level == Level::Trace {
        assert!(paths.len() > 2, "the log rotated during the traffic");
    }
    paths.reverse(); // any order: the scanner orders rotated sets itself
    let out = Command::cargo_bin("jira-patrol")
        .unwrap()
        .arg("summarize")
        .args(&paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), report, sim)
}

fn token<'a>(j: &'a Value, id: &str) -> Option<&'a Value> {
    j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token_id"] == id)
}

#[test]
fn full_trace_summary_equals_what_the_clients_sent() {
    let (j, sent, sim) = summarize(&[], "com.atlassian.pats", Level::Trace);
    let a = sim.accounts();
    for (id, tally) in &sent.by_token_id {
        let reported = token(&j, id);
        let (ok, failed) = match reported {
            Some(t) => (
                t["requests"].as_u64().unwrap(),
                t["failures"].as_u64().unwrap(),
            ),
            None => {
                let f = j["failed_token_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["token_id"] == *id);
                (0, f.map_or(0, |f| f["requests"].as_u64().unwrap()))
            }
        };
        assert_eq!(ok, tally.ok, "successful requests of {id}");
        assert_eq!(failed, tally.unauthorized, "failed requests of {id}");
    }
    let test = a.token("test").unwrap();
    let t = token(&j, &test.token_id).unwrap();
    assert_eq!(t["name"], "test");
    assert_eq!(t["username"], "admin");
    let bridge = a.token("Jira→Slack «bridge» ü").unwrap();
    let b = token(&j, &bridge.token_id).unwrap();
    assert_eq!(b["name"], "Jira→Slack «bridge» ü");
    assert_eq!(b["user_key"], "JIRAUSER10100");
    assert_eq!(b["username"], "jdoe");
    let ci = token(&j, &a.token("ci, deploy (prod)=1").unwrap().token_id).unwrap();
    assert_eq!(ci["expires"], "never");
    // The inactive owner's token is identified (TokenDTO) but every use failed.
    let cron = token(&j, &a.token("cron job").unwrap().token_id).unwrap();
    assert_eq!(cron["requests"], 0);
    assert!(cron["failure_reasons"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("active user"));
    // The old user whose key is twelve digits: its token, not its key, is the token id.
    let export = token(&j, &a.token("nightly export").unwrap().token_id).unwrap();
    assert_eq!(export["user_key"], "100200300400");
    assert!(token(&j, "100200300400").is_none());
    // The JWT and the garbage value: reported apart, with their sources.
    let np = &j["not_pat_bearer"];
    assert_eq!(np["requests"].as_u64(), Some(sent.malformed.sent));
    let ips: Vec<&str> = np["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap())
        .collect();
    assert!(
        ips.iter().any(|i| i.starts_with("198.51.100.23")),
        "{ips:?}"
    );
    assert_eq!(j["unattributed_failures"], 0);
    // The pruning job ran and named every owner, but no request is without a token.
    assert!(
        j["unidentified"].as_array().unwrap().is_empty(),
        "{}",
        j["unidentified"]
    );
    // Per token, the IPs and paths add up to the token's own counts.
    for t in j["tokens"].as_array().unwrap() {
        for list in ["ips", "paths"] {
            let sum = |k: &str| -> u64 {
                t[list]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x[k].as_u64().unwrap())
                    .sum()
            };
            assert_eq!(sum("requests"), t["requests"].as_u64().unwrap(), "{t}");
            assert_eq!(sum("failures"), t["failures"].as_u64().unwrap(), "{t}");
        }
    }
}

#[test]
fn debug_only_names_users_and_the_pruning_job_is_no_request() {
    let (j, sent, sim) = summarize(&[], "com.atlassian.pats", Level::Debug);
    let a = sim.accounts();
    let text: String = sim
        .log_files()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(text.contains("Removing tokens for deleted userKey [JIRAUSER10900]"));
    let by_user = |key: &str| -> u64 {
        j["unidentified"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["user_key"] == key)
            .map_or(0, |u| u["requests"].as_u64().unwrap())
    };
    let ok_of = |key: &str| -> u64 {
        a.tokens
            .iter()
            .filter(|t| t.user_key == key)
            .filter_map(|t| sent.by_token_id.get(&t.token_id))
            .map(|t| t.ok)
            .sum()
    };
    // A wrong secret logs no DEBUG line: only the successful requests count.
    assert_eq!(by_user("admin"), ok_of("admin"));
    assert_eq!(by_user("100200300400"), ok_of("100200300400"));
    assert_eq!(
        by_user("JIRAUSER10900"),
        0,
        "the deleted owner made no request"
    );
    assert!(j["tokens"].as_array().unwrap().is_empty());
}

#[test]
fn filter_only_trace_still_names_every_token() {
    let (j, sent, sim) = summarize(&[], "com.atlassian.pats.web.filter", Level::Trace);
    let inactive = &sim.accounts().token("cron job").unwrap().token_id;
    for (id, tally) in &sent.by_token_id {
        let ok = token(&j, id).map_or(0, |t| t["requests"].as_u64().unwrap());
        assert_eq!(ok, tally.ok, "successful requests of {id}");
        if id == inactive {
            // `Unable to locate active user: KEY` names no token id.
            continue;
        }
        // No `Got tokenId` at this level: the id comes from the failure's text, which
        // for a wrong secret names the (twelve-digit) user key first.
        let failed = token(&j, id).map_or_else(
            || {
                j["failed_token_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["token_id"] == *id)
                    .map_or(0, |f| f["requests"].as_u64().unwrap())
            },
            |t| t["failures"].as_u64().unwrap(),
        );
        assert_eq!(failed, tally.unauthorized, "failed requests of {id}");
    }
    assert!(token(&j, "100200300400").is_none());
    assert!(!j["failed_token_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["token_id"] == "100200300400"));
    assert_eq!(
        j["not_pat_bearer"]["requests"].as_u64(),
        Some(sent.malformed.sent)
    );
}

#[test]
fn token_dates_of_a_jvm_at_another_offset_are_read_at_the_lines_and_said_so() {
    // Jira's JVM at +09:00: the lines carry +0900, the TokenDTO dates are Tokyo time
    // without an offset. Read on a machine in UTC.
    let sim = SimJira::start(SimConfig {
        utc_offset_minutes: 9 * 60,
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let admin_script: Vec<_> = traffic::standard_mix(sim.accounts(), 1)
        .into_iter()
        .filter(|c| c.label == "admin-script")
        .collect();
    traffic::run(&sim.url(), &admin_script, &TrafficOptions::default());
    let t = sim.accounts().token("test").unwrap().clone();
    let run = |extra: &[&str]| -> Value {
        let out = Command::cargo_bin("jira-patrol")
            .unwrap()
            .env("TZ", "UTC")
            .arg("summarize")
            .arg(sim.log_path())
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ms = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    };
    // Without --tz the lines' offset stands for the JVM's zone: right here (no
    // daylight-saving change in between), and said once.
    let j = run(&[]);
    let row = token(&j, &t.token_id).unwrap();
    assert_eq!(
        ms(&row["created_at"]),
        t.created_at.as_millisecond(),
        "{row}"
    );
    assert!(row["created_at"].as_str().unwrap().ends_with("+09:00"));
    assert_eq!(
        ms(&row["expires_at"]),
        t.expiring_at.unwrap().as_millisecond()
    );
    let notes = j["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["kind"], "token_dates_in_line_offset");
    // --tz with the JVM's zone: the same dates, nothing to say.
    let j = run(&["--tz", "Asia/Tokyo"]);
    let row = token(&j, &t.token_id).unwrap();
    assert_eq!(ms(&row["created_at"]), t.created_at.as_millisecond());
    assert!(j.get("notes").is_none(), "{}", j["notes"]);
}
