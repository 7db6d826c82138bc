//! `capture` checks its whole plan before any prompt or connection: a value that cannot
//! work (an overflowing `--for`, an unknown profile or zone, a bad `--keep`) is refused
//! with one line naming the flag, and Jira's URL is never connected to.

mod common;

use std::net::TcpListener;
use std::process::Stdio;

/// A loopback port with a listener that never accepts: had the command connected, the
/// connection would wait in its backlog, and `accept` would find it.
fn silent_listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

fn nothing_connected(l: &TcpListener) -> bool {
    matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn an_overflowing_window_is_refused_before_connecting() {
    let d = tempfile::tempdir().unwrap();
    let (listener, url) = silent_listener();
    let out = common::isolated(d.path())
        .env("JIRA_TOKEN", "not-used")
        .args([
            "capture",
            "--url",
            &url,
            "--for",
            "5124095576030432h",
            "--log",
            d.path().join("atlassian-jira.log").to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The code of the other refused values (`--for 5x`, a missing `--log`).
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(
        lines[0].starts_with("error: --for: '5124095576030432h'")
            && lines[0].contains("longer than a week"),
        "{err}"
    );
    assert!(nothing_connected(&listener), "capture connected to Jira");
}

#[test]
fn every_value_is_checked_before_connecting() {
    let d = tempfile::tempdir().unwrap();
    let (listener, url) = silent_listener();
    let log = d.path().join("atlassian-jira.log");
    let log = log.to_str().unwrap();
    for (extra, says) in [
        (&["--for", "15m", "--profile", "nope"][..], "nope"),
        (
            &["--for", "15m", "--tz", "Mars/Olympus"][..],
            "unknown time zone",
        ),
        (&["--for", "15m", "--keep", "3 months"][..], "--keep:"),
        (
            &["--for", "15m", "--keep", "99999999999999999999d"][..],
            "--keep:",
        ),
        (&["--for", "15m", "--sample", "0s"][..], "--sample:"),
        (
            &["--for", "15m", "--config", "/nonexistent/log4j2.xml"][..],
            "/nonexistent/log4j2.xml",
        ),
        (&["--until", "2000-01-01T00:00:00Z"][..], "already passed"),
    ] {
        let out = common::isolated(d.path())
            .env("JIRA_TOKEN", "not-used")
            .args(["capture", "--url", &url, "--log", log])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    assert!(nothing_connected(&listener), "capture connected to Jira");
}
