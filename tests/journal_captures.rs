//! One journal per Jira, and captures that share it: two overlapping captures of one Jira
//! from this machine (the second joins the first's raised levels, the last restores them),
//! a leftover journal of one Jira that does not block a capture on another (`restore`
//! without `--url` restores both), and a level raised outside this machine's journal,
//! said at start. Synchronised on what the processes print and on the sim's levels.

mod common;

use common::{wait_level, Homes, Running, PATIENCE};
use jira_sim::traffic::{self, TrafficOptions, TrafficReport};
use jira_sim::Level;
use jira_sim::{loggers, SimConfig, SimJira};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, ExitStatus, Stdio};

fn command(url: &str, homes: &Homes, args: &[&str]) -> Command {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", url)
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn capture_args<'a>(window: &'a str, log: &'a str) -> Vec<&'a str> {
    vec![
        "capture",
        "--profile",
        "pats-trace",
        "--for",
        window,
        "--format",
        "json",
        "--no-inventory",
        "--log",
        log,
    ]
}

/// Wait for the end: exit status, stderr, the JSON report.
fn finish(r: Running) -> (ExitStatus, String, Value) {
    let (status, err, out) = r.finish();
    let j = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("no JSON report ({e}):\n{err}"));
    (status, err, j)
}

/// `jira-patrol level set com.atlassian.pats TRACE` on `sim`: journaled, left raised.
fn level_set_trace(sim: &SimJira, homes: &Homes) {
    let out = command(
        &sim.url(),
        homes,
        &["level", "set", "com.atlassian.pats", "TRACE"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn send(sim: &SimJira, n: u32) -> TrafficReport {
    traffic::run(
        &sim.url(),
        &traffic::standard_mix(sim.accounts(), n),
        &TrafficOptions::default(),
    )
}

/// Requests per token id (successes, failures) in a JSON report.
fn counts(j: &Value) -> BTreeMap<String, (u64, u64)> {
    let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for t in j["tokens"].as_array().unwrap() {
        if let Some(id) = t["token_id"].as_str() {
            m.entry(id.to_string()).or_default().0 += t["requests"].as_u64().unwrap();
            m.entry(id.to_string()).or_default().1 += t["failures"].as_u64().unwrap_or(0);
        }
    }
    for f in j["failed_token_ids"].as_array().into_iter().flatten() {
        if let Some(id) = f["token_id"].as_str() {
            m.entry(id.to_string()).or_default().1 += f["requests"].as_u64().unwrap();
        }
    }
    m
}

/// Every token the clients used is in the report with what they sent.
fn assert_saw(j: &Value, sent: &[&TrafficReport], who: &str) {
    let got = counts(j);
    let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in sent {
        for (id, t) in &s.by_token_id {
            let e = want.entry(id.clone()).or_default();
            e.0 += t.ok;
            e.1 += t.unauthorized;
        }
    }
    for (id, w) in &want {
        assert_eq!(
            got.get(id).copied().unwrap_or_default(),
            *w,
            "{who}: token {id}"
        );
    }
}

#[test]
fn two_overlapping_captures_share_the_levels_and_the_last_one_restores() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let log = sim.log_path().display().to_string();
    let before = sim.effective_level(loggers::FILTER);
    assert_ne!(before, Level::Trace);

    let mut first = Running::spawn(command(&sim.url(), &homes, &capture_args("10m", &log)));
    wait_level(&sim, loggers::FILTER, Level::Trace, PATIENCE);
    first.wait_for("self-check: our request seen");
    let mut second = Running::spawn(command(&sim.url(), &homes, &capture_args("10m", &log)));
    second.wait_for(&format!("pid {})", first.pid()));
    assert!(
        second.seen.contains("joining the levels"),
        "{}",
        second.seen
    );
    second.wait_for("self-check: our request seen");

    // Both windows are open.
    let both = send(&sim, 3);
    first.interrupt();
    let (status, err, j1) = finish(first);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains(&format!(
            "levels stay raised for capture pats-trace (pid {})",
            second.pid()
        )),
        "{err}"
    );
    assert!(!err.contains("levels are back"), "{err}");
    assert_saw(&j1, &[&both], "the first capture");
    // The first is gone, the levels are not: the second's window goes on.
    assert_eq!(sim.effective_level(loggers::FILTER), Level::Trace);
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Trace);
    assert!(homes.journal().exists(), "the journal holds the second");

    let after = send(&sim, 3);
    second.interrupt();
    let (status, err, j2) = finish(second);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("levels are back"), "{err}");
    assert!(!err.contains("levels changed behind our back"), "{err}");
    assert_saw(&j2, &[&both, &after], "the second capture");
    assert_eq!(sim.effective_level(loggers::FILTER), before);
    assert_eq!(sim.effective_level("com.atlassian.pats"), before);
    assert!(!homes.journal().exists(), "journal removed by the last");
}

#[test]
fn a_leftover_journal_of_one_jira_does_not_block_another_and_restore_restores_both() {
    let a = SimJira::start(SimConfig::default()).unwrap();
    let b = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let before = a.effective_level("com.atlassian.pats");
    level_set_trace(&a, &homes);
    // A capture on B with A's journal left: it runs and puts B back, A untouched.
    let log = b.log_path().display().to_string();
    let mut args = capture_args("1s", &log);
    args.push("--no-self-check");
    let out = command(&b.url(), &homes, &args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("levels are back"), "{err}");
    assert_eq!(b.effective_level(loggers::FILTER), before);
    assert_eq!(a.effective_level("com.atlassian.pats"), Level::Trace);
    let journals = homes.journals();
    assert!(journals.pending(&a.url()).unwrap().is_some());
    assert!(journals.pending(&b.url()).unwrap().is_none());

    // Both left raised; `restore` without a URL puts both back.
    level_set_trace(&b, &homes);
    assert_eq!(journals.all().unwrap().len(), 2);
    let mut restore = command(&a.url(), &homes, &["restore"]);
    restore.env_remove("JIRA_URL");
    let out = restore.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for sim in [&a, &b] {
        assert_eq!(sim.effective_level("com.atlassian.pats"), before, "{err}");
        assert!(
            err.contains(&format!("on {}; journal removed", sim.url())),
            "{err}"
        );
    }
    assert!(journals.all().unwrap().is_empty());
}

#[test]
fn restore_reports_a_jira_it_cannot_reach_and_still_restores_the_others() {
    let a = SimJira::start(SimConfig::default()).unwrap();
    let b = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    for sim in [&a, &b] {
        level_set_trace(sim, &homes);
    }
    let gone = a.url();
    a.stop();
    let mut restore = command(&b.url(), &homes, &["restore", "--timeout", "5"]);
    restore.env_remove("JIRA_URL");
    let out = restore.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&format!("error: {gone}")), "{err}");
    assert!(err.contains("levels are left on"), "{err}");
    assert_ne!(
        b.effective_level("com.atlassian.pats"),
        Level::Trace,
        "{err}"
    );
    let left: Vec<String> = homes
        .journals()
        .all()
        .unwrap()
        .into_iter()
        .map(|p| p.entry.jira_url)
        .collect();
    assert_eq!(left, vec![gone]);
}

#[test]
fn a_level_raised_outside_this_machines_journal_is_said_at_start_and_left_as_found() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    // Another machine's capture (or a person) raised it.
    sim.set_level("com.atlassian.pats", Level::Trace);
    let log = sim.log_path().display().to_string();
    let mut args = capture_args("1s", &log);
    args.push("--no-self-check");
    let out = command(&sim.url(), &homes, &args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("com.atlassian.pats is already TRACE, set outside this machine's jira-patrol; it will be left at TRACE"),
        "{err}"
    );
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Trace);
    assert!(!homes.journal().exists());
}

#[test]
fn an_old_single_journal_is_read_as_its_jiras_and_restored() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let before = sim.effective_level("com.atlassian.pats");
    let out = command(
        &sim.url(),
        &homes,
        &["level", "set", "com.atlassian.pats", "TRACE"],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    // As an older jira-patrol left it.
    let file = homes.journal();
    let old = file.with_file_name("journal.json");
    std::fs::rename(&file, &old).unwrap();
    let mut restore = command(&sim.url(), &homes, &["restore"]);
    restore.env_remove("JIRA_URL");
    let out = restore.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("from an older jira-patrol"), "{err}");
    assert_eq!(sim.effective_level("com.atlassian.pats"), before);
    assert!(!old.exists() && !homes.journal().exists(), "{err}");
}
