//! The scanner against what the simulated Jira writes (its own layout, cache misses,
//! failure texts, batcher lines, noise, rotation): the summary of the rotated set equals
//! what the scripted clients sent, token by token.

use assert_cmd::Command;
use jira_patrol::level::Level;
use jira_patrol::sim::traffic::{self, TrafficOptions};
use jira_patrol::sim::{SimConfig, SimJira};
use serde_json::Value;

fn summarize(
    files: &[std::path::PathBuf],
    profile_logger: &str,
    level: Level,
) -> (Value, traffic::TrafficReport, SimJira) {
    let sim = SimJira::start(SimConfig {
        log_max_bytes: 16 * 1024,
        log_backups: 200,
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level(profile_logger, level);
    let clients = traffic::standard_mix(sim.accounts(), 8);
    let report = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    let mut paths = sim.log_files();
    paths.extend_from_slice(files);
    assert!(paths.len() > 2, "the log rotated during the traffic");
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
}

#[test]
fn filter_only_trace_still_names_every_token() {
    let (j, sent, _sim) = summarize(&[], "com.atlassian.pats.web.filter", Level::Trace);
    for (id, tally) in &sent.by_token_id {
        let ok = token(&j, id).map_or(0, |t| t["requests"].as_u64().unwrap());
        assert_eq!(ok, tally.ok, "successful requests of {id}");
    }
}
