//! `capture --dry-run` against the simulated Jira: the figures it forecasts for each
//! profile match, within a factor of two, what each profile really writes; `--profile auto`
//! (the default) keeps full detail on a quiet Jira and picks the cheapest profile that names
//! every request's token on a busy one.

mod common;

use jira_sim::{SimConfig, SimJira};
use serde_json::Value;
use std::process::Stdio;

fn run(sim: &SimJira, home: &std::path::Path, args: &[&str]) -> (Value, String) {
    let log = sim.log_path().display().to_string();
    let out = common::isolated(home)
        .env("JIRA_URL", sim.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args(["capture", "--format", "json", "--log", &log])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    (
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}")),
        err,
    )
}

/// Mostly requests without a token, one in ten with one: as on a busy instance.
fn busy() -> SimJira {
    SimJira::start(SimConfig {
        noise: false,
        background_rps: 40,
        background_pat_percent: 10,
        ..SimConfig::default()
    })
    .unwrap()
}

#[test]
fn dry_run_figures_are_within_a_factor_of_two_of_what_each_profile_writes() {
    let sim = busy();
    let home = tempfile::tempdir().unwrap();
    let levels_before = sim.levels();
    let (dry, err) = run(
        &sim,
        home.path(),
        &["--dry-run", "--sample", "3s", "--look", "3s"],
    );
    assert!(err.contains("requests/s in all"), "{err}");
    assert_eq!(
        sim.levels().len(),
        levels_before.len() + 1,
        "only the look's level, restored"
    );
    let rps = dry["sample"]["requests_per_sec"].as_f64().unwrap();
    assert!((20.0..=80.0).contains(&rps), "{rps}");
    for f in dry["profiles"].as_array().unwrap() {
        let name = f["profile"].as_str().unwrap();
        let forecast = f["bytes_per_hour"].as_f64().unwrap();
        // A Jira of its own each: a restored level stays explicit (Jira has no "unset")
        // and would shadow the next profile's package.
        let fresh = busy();
        let (cap, err) = run(
            &fresh,
            home.path(),
            &["--profile", name, "--for", "3s", "--no-self-check"],
        );
        let actual = cap["volume"]["log_bytes_per_hour"].as_f64().unwrap();
        assert!(
            forecast <= 2.0 * actual && actual <= 2.0 * forecast,
            "{name}: forecast {forecast} B/h, written {actual} B/h\n{err}"
        );
    }
}

#[test]
fn profile_auto_picks_the_cheaper_profile_when_non_pat_traffic_dominates() {
    let sim = busy();
    let home = tempfile::tempdir().unwrap();
    let (report, err) = run(
        &sim,
        home.path(),
        &["--for", "2s", "--no-self-check", "--sample", "2s"],
    );
    assert!(
        err.contains("--profile auto chose pats-service-trace"),
        "{err}"
    );
    assert!(
        err.contains("pats-trace would write") && err.contains("without a token"),
        "says why: {err}"
    );
    assert!(
        err.contains("it gives up: failures after the token matched"),
        "{err}"
    );
    // Only the service package was raised (and put back, explicitly: Jira has no unset).
    let levels = sim.levels();
    assert!(
        levels.contains_key("com.atlassian.pats.service"),
        "{levels:?}"
    );
    assert!(!levels.contains_key("com.atlassian.pats"), "{levels:?}");
    assert!(
        !report["tokens"].as_array().unwrap().is_empty(),
        "it still names the tokens"
    );

    // An explicit profile always wins.
    let fresh = busy();
    let (_, err) = run(
        &fresh,
        home.path(),
        &[
            "--profile",
            "pats-trace",
            "--for",
            "1s",
            "--no-self-check",
            "--sample",
            "1s",
        ],
    );
    assert!(!err.contains("--profile auto"), "{err}");
    assert!(
        err.contains("with --profile pats-trace nothing is sampled"),
        "{err}"
    );
    assert!(fresh.levels().contains_key("com.atlassian.pats"));
}

#[test]
fn profile_auto_keeps_full_detail_on_a_quiet_jira() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let (_, err) = run(
        &sim,
        home.path(),
        &["--for", "1s", "--no-self-check", "--sample", "1s"],
    );
    assert!(err.contains("--profile auto chose pats-trace"), "{err}");
    assert!(
        err.contains("pats-service-trace would write"),
        "names the cheaper one: {err}"
    );
    assert!(sim.levels().contains_key("com.atlassian.pats"));
}

#[test]
fn a_level_left_explicit_by_an_earlier_restore_does_not_hide_a_profiles_lines() {
    // What restoring a pats-service-trace capture leaves (Jira has no "unset").
    let sim = busy();
    sim.set_level("com.atlassian.pats.service", jira_sim::Level::Warn);
    let home = tempfile::tempdir().unwrap();
    let (report, err) = run(
        &sim,
        home.path(),
        &["--profile", "pats-trace", "--for", "2s", "--no-self-check"],
    );
    assert!(
        err.contains("com.atlassian.pats.service has an explicit WARN"),
        "{err}"
    );
    let log = std::fs::read_to_string(sim.log_path()).unwrap();
    assert!(
        log.contains("Authentication successful - returning token"),
        "the service's lines are written"
    );
    assert!(
        report["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"].is_string()),
        "names from the token record"
    );
    assert_eq!(
        sim.levels().get("com.atlassian.pats.service"),
        Some(&jira_sim::Level::Warn),
        "put back as it was"
    );
}
