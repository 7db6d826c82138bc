//! The cost of a capture and the logs it must not rotate away: the simulated Jira's
//! background (non-PAT) traffic, and the capture's rotation guard against it.

mod common;

use common::{output, Homes};

use jira_sim::Level;
use jira_sim::{loggers, SimConfig, SimJira};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    sim.stop(); // returns once the generator has stopped
}

/// A log4j.properties in `homes` declaring the simulated Jira's rotation.
fn log4j_file(homes: &Homes, max_kib: u64, backups: u32) -> PathBuf {
    let p = homes.0.path().join("log4j.properties");
    std::fs::write(
        &p,
        format!(
            "log4j.rootLogger=WARN, filelog\n\
                 log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\n\
                 log4j.appender.filelog.File=atlassian-jira.log\n\
                 log4j.appender.filelog.MaxFileSize={max_kib}KB\n\
                 log4j.appender.filelog.MaxBackupIndex={backups}\n"
        ),
    )
    .unwrap();
    p
}

fn capture(sim: &SimJira, homes: &Homes, extra: &[&str]) -> Child {
    let log = sim.log_path().display().to_string();
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", sim.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .args([
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "60s",
            "--format",
            "json",
            "--no-self-check",
            "--log",
            &log,
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

/// A simulated Jira rotating at 16 KiB × 3 with two backups already on disk, serving
/// anonymous traffic that costs nothing at the stock levels. Returns what is on disk.
fn busy_jira_with_old_logs() -> (SimJira, Vec<String>) {
    let sim = SimJira::start(SimConfig {
        noise: false,
        log_max_bytes: 16 * 1024,
        log_backups: 3,
        ..SimConfig::default()
    })
    .unwrap();
    // On the package, as the profile sets it (an explicit level on the filter itself
    // would outrank the profile's).
    sim.set_level("com.atlassian.pats", Level::Trace);
    sim.set_background_rps(40);
    wait_for("two backups and a live log", || {
        sim.log_files().len() >= 3 && !read(&sim.log_path()).is_empty()
    });
    sim.set_level("com.atlassian.pats", Level::Warn);
    let on_disk: Vec<String> = sim.log_files().iter().map(|p| read(p)).collect();
    assert!(on_disk.len() >= 2 && on_disk.iter().all(|c| !c.is_empty()));
    // Heavy for these small files once the filter logs at TRACE.
    sim.set_background_rps(15);
    (sim, on_disk)
}

/// Every file that was on disk is still there (a backup renamed, the live log grown).
fn still_on_disk(sim: &SimJira, before: &[String]) -> bool {
    let now: Vec<String> = sim.log_files().iter().map(|p| read(p)).collect();
    before
        .iter()
        .all(|old| now.iter().any(|c| c.starts_with(old.as_str())))
}

fn assert_put_back(sim: &SimJira, homes: &Homes) {
    assert_eq!(sim.effective_level(loggers::FILTER), Level::Warn);
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Warn);
    assert!(
        !homes.journal().exists(),
        "journal removed after the restore"
    );
}

#[test]
fn the_guard_ends_the_window_before_older_logs_are_rotated_away() {
    let (sim, before) = busy_jira_with_old_logs();
    let homes = Homes::new();
    let cfg = log4j_file(&homes, 16, 3).display().to_string();
    let child = capture(&sim, &homes, &["--log4j-config", &cfg]);
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_put_back(&sim, &homes);
    assert!(err.contains("rotation guard: "), "{err}");
    assert!(
        err.contains("jira-patrol rotation set --max-size")
            && err.contains(&format!("--log4j-config {cfg}")),
        "{err}"
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the summary");
    assert!(
        j["volume"]["seconds"].as_f64().unwrap() < 60.0,
        "ended early"
    );
    // After the restore the traffic writes nothing more: what is on disk now stays.
    assert!(still_on_disk(&sim, &before), "every older line is kept");
}

#[test]
fn without_the_guard_the_same_capture_rotates_older_logs_away() {
    let (sim, before) = busy_jira_with_old_logs();
    let homes = Homes::new();
    let cfg = log4j_file(&homes, 16, 3).display().to_string();
    let child = capture(&sim, &homes, &["--log4j-config", &cfg, "--no-guard"]);
    wait_for("an older log rotated away", || {
        !still_on_disk(&sim, &before)
    });
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("warning: --no-guard"), "{err}");
    assert!(!err.contains("rotation guard: "), "{err}");
    assert_put_back(&sim, &homes);
}

#[test]
fn without_the_log4j_file_the_guard_learns_the_limits_and_stops_in_time() {
    let (sim, before) = busy_jira_with_old_logs();
    let homes = Homes::new();
    let child = capture(&sim, &homes, &[]);
    let (out, err) = output(child);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_put_back(&sim, &homes);
    assert!(err.contains("rotation learned from the files"), "{err}");
    assert!(
        err.contains("jira-patrol rotation set --max-size") && err.contains("--jira-install DIR"),
        "{err}"
    );
    assert!(still_on_disk(&sim, &before), "every older line is kept");
}
