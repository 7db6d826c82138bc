//! One flag vocabulary, as a user meets it: `-o/--output` writes the report of every
//! command (`demo` included) to a file instead of standard output, and every local path a
//! command is given is checked before anything reaches Jira: a wrong one costs no sample,
//! no prompt and no level, only one line naming the flag.

mod common;

use jira_sim::{SimConfig, SimJira};
use std::process::Stdio;

#[test]
fn demo_writes_the_html_report_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::isolated(dir.path())
        .current_dir(dir.path())
        .args([
            "demo",
            "--for",
            "2s",
            "--format",
            "html",
            "--output",
            "report.html",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        out.stdout.is_empty(),
        "the page went to the file, not stdout"
    );
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("</html>"));
    assert!(err.contains("report.html"), "{err}");
}

#[test]
fn every_local_path_is_checked_before_jira_is_touched() {
    let sim = SimJira::start(SimConfig {
        data_center: true,
        ..SimConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = sim.log_path().display().to_string();
    let no_dir = "/no/such/dir/report.json";
    let no_log = "/no/such/dir/atlassian-jira.log";
    let bundle = dir.path().join("bundle.tar.gz").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["capture", "--for", "1m", "--log", no_log], "--log"),
        (vec!["capture", "--dry-run", "--log", no_log], "--log"),
        (
            vec!["capture", "--for", "1m", "--log", &log, "-o", no_dir],
            "-o/--output",
        ),
        (
            vec![
                "capture",
                "--for",
                "1m",
                "--log",
                &log,
                "--profiles",
                "/no/such",
            ],
            "--profiles",
        ),
        (
            vec![
                "capture",
                "--for",
                "1m",
                "--log",
                &log,
                "--token-file",
                "/no/such/t",
            ],
            "--token-file",
        ),
        (vec!["check", "-o", no_dir], "-o/--output"),
        (vec!["check", "--self-check", "--log", no_log], "--log"),
        (vec!["check", "--ca-cert", "/no/such/ca.pem"], "--ca-cert"),
        (vec!["tokens", "--output", no_dir], "-o/--output"),
        (vec!["level", "get", "-o", no_dir], "-o/--output"),
        (
            vec!["level", "set", "com.atlassian.pats", "TRACE", "-o", no_dir],
            "-o/--output",
        ),
        (
            vec!["profile", "apply", "pats-trace", "-o", no_dir],
            "-o/--output",
        ),
        (vec!["restore", "-o", no_dir], "-o/--output"),
        (
            vec!["summarize", &log, "--inventory", "-o", no_dir],
            "-o/--output",
        ),
        (vec!["diagnose", "--log", no_log, "-o", &bundle], "--log"),
        (
            vec!["diagnose", "--jira-install", "/no/such", "-o", &bundle],
            "--jira-install",
        ),
    ];
    for (args, flag) in cases {
        let before = sim.request_count();
        let out = common::isolated(dir.path())
            .env("JIRA_URL", sim.url())
            .env("JIRA_USER", "admin")
            .env("JIRA_PASSWORD", "admin")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {flag} /no/such")) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
        assert_eq!(sim.request_count(), before, "{args:?} reached Jira");
        assert!(!sim.levels().contains_key("com.atlassian.pats"), "{args:?}");
    }
}
