//! The cost of a capture and the logs it must not rotate away: the simulated Jira's
//! background (non-PAT) traffic, and the capture's rotation guard against it.

mod common;

use jira_patrol::level::Level;
use jira_patrol::sim::{loggers, SimConfig, SimJira};
use std::path::Path;
use std::time::{Duration, Instant};

/// Wait for a condition, however slow the machine (the limit only catches a hang).
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

fn count(p: &Path, needle: &str) -> usize {
    read(p).lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn background_traffic_passes_the_pat_filter_and_stops_with_the_sim() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        background_rps: 200,
        ..SimConfig::default()
    })
    .unwrap();
    let log = sim.log_path();
    // At the stock WARN the filter writes nothing for them: the requests are served all
    // the same.
    let before = sim.request_count();
    wait_for("background requests served", || {
        sim.request_count() >= before + 50
    });
    assert_eq!(count(&log, ">>> TokenBasedAuthenticationFilter"), 0);
    sim.set_level(loggers::FILTER, Level::Trace);
    wait_for("the filter's TRACE lines of background requests", || {
        count(&log, "<<< TokenBasedAuthenticationFilter.doFilter") >= 100
    });
    let text = read(&log);
    let line = text
        .lines()
        .find(|l| l.contains(">>> TokenBasedAuthenticationFilter.doFilter"))
        .unwrap();
    // A request of its own: request id, anonymous, an IP and a URL in the MDC columns.
    assert!(line.contains(" TRACE anonymous "), "{line}");
    assert!(
        line.contains(" /status ") || line.contains(" /rest/api/2/serverInfo "),
        "{line}"
    );
    assert!(!text.contains("Auth SUCCESS"), "no token involved");
    sim.set_background_rps(0);
    let t = Instant::now();
    sim.stop();
    assert!(t.elapsed() < Duration::from_secs(10), "the generator stops");
}
