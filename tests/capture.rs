//! `jira-patrol capture` as a user runs it, against the simulated Jira: the window ends
//! on time, on SIGINT, on SIGTERM or with Jira gone, and Jira's levels are put back (or a
//! journal is left that `restore` replays); logs rotating both ways lose no request; two
//! Data Center nodes merge into one summary with per-node counts.

mod common;

use common::{output, wait_raised, Homes, Running};

use jira_sim::traffic::{self, TrafficOptions, TrafficReport};
use jira_sim::Level;
use jira_sim::{loggers, RotationMode, SimCluster, SimConfig, SimJira};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn command(url: &str, homes: &Homes, args: &[&str]) -> Command {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", url)
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .env("JIRA_PATROL_CHECK_EVERY_MS", "300")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn spawn_capture(
    url: &str,
    homes: &Homes,
    window: &str,
    logs: &[PathBuf],
    extra: &[&str],
) -> Child {
    capture_command(url, homes, window, logs, extra)
        .spawn()
        .unwrap()
}

/// The `capture` command line `spawn_capture` runs, for a test that reads its stderr live.
fn capture_command(
    url: &str,
    homes: &Homes,
    window: &str,
    logs: &[PathBuf],
    extra: &[&str],
) -> Command {
    let mut args = vec![
        "capture",
        "--profile",
        "pats-trace",
        "--for",
        window,
        "--format",
        "json",
    ];
    let logs: Vec<String> = logs.iter().map(|l| l.display().to_string()).collect();
    for l in &logs {
        args.extend(["--log", l.as_str()]);
    }
    args.extend(extra);
    command(url, homes, &args)
}

/// A 10-minute capture of `sim`, read live, once its window is open: the self-check has
/// seen our own request.
fn window_open(sim: &SimJira, homes: &Homes) -> Running {
    let mut run = Running::spawn(capture_command(
        &sim.url(),
        homes,
        "10m",
        &[sim.log_path()],
        &[],
    ));
    run.wait_for("self-check: our request seen");
    run
}

fn assert_put_back(sim: &SimJira, homes: &Homes) {
    assert_eq!(
        sim.effective_level(loggers::FILTER),
        Level::Warn,
        "levels restored"
    );
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Warn);
    assert!(
        !homes.journal().exists(),
        "journal removed after the restore"
    );
}

fn send(url: &str, sim: &SimJira, n: u32) -> TrafficReport {
    traffic::run(
        url,
        &traffic::standard_mix(sim.accounts(), n),
        &TrafficOptions::default(),
    )
}

/// Every token's successes and failures in the summary equal what the clients sent.
fn assert_counts(j: &Value, sent: &TrafficReport) {
    common::assert_counts(j, &[sent]);
}

#[test]
fn a_window_that_ends_on_time_restores_and_reports_what_the_clients_did() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let child = spawn_capture(&sim.url(), &homes, "4s", &[sim.log_path()], &[]);
    wait_raised(&sim, Duration::from_secs(20));
    assert!(
        homes.journal().exists(),
        "journal written while the levels are raised"
    );
    let gate = sim.hold_level_changes();
    let sent = send(&sim.url(), &sim, 5);
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert_put_back(&sim, &homes);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_counts(&j, &sent);
    assert!(j["volume"]["log_bytes_per_hour"].as_u64().unwrap() > 0);
    assert!(err.contains("levels are back"), "{err}");
}

fn interrupted_by(signal: &str, code: i32) {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let run = window_open(&sim, &homes);
    // Sent before the signal: the capture reads the log once more after restoring.
    let sent = send(&sim.url(), &sim, 3);
    run.signal(signal);
    // Stopped by the signal, not by the 10-minute window: its exit status says so
    // (benches/capture.sh measures how fast).
    let (status, err, out) = run.finish();
    assert_eq!(status.code(), Some(code), "{err}");
    assert_put_back(&sim, &homes);
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_counts(&j, &sent);
}

#[test]
fn sigint_ends_the_window_restores_and_still_reports() {
    interrupted_by("-INT", 130);
}

#[test]
fn sigterm_ends_the_window_restores_and_still_reports() {
    interrupted_by("-TERM", 143);
}

#[test]
fn jira_gone_mid_window_is_reported_and_restore_replays_the_journal_later() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let url = sim.url();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let home = sim.home();
    let homes = Homes::new();
    // A pooled connection to the stopped Jira is never answered: --timeout bounds the wait.
    let mut run = Running::spawn(capture_command(
        &url,
        &homes,
        "3s",
        &[sim.log_path()],
        &["--timeout", "3"],
    ));
    // Gone once the window is open: before, the self-check would wait out its timeout.
    run.wait_for("self-check: our request seen");
    sim.stop();
    let (status, err, stdout) = run.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("Jira does not answer"),
        "said during the window: {err}"
    );
    assert!(err.contains("jira-patrol restore"), "{err}");
    assert!(
        serde_json::from_slice::<Value>(&stdout).is_ok(),
        "the summary is still printed"
    );
    assert!(homes.journal().exists(), "the journal stays for `restore`");

    // Jira is back (restarted: its levels are the file's again); `restore` replays.
    let sim = SimJira::start(SimConfig {
        port,
        home: Some(home),
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let out = command(&url, &homes, &["restore"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_put_back(&sim, &homes);
}

fn rotating(mode: RotationMode) {
    let sim = SimJira::start(SimConfig {
        log_max_bytes: 32 * 1024,
        log_backups: 100,
        rotation: mode,
        ..SimConfig::default()
    })
    .unwrap();
    let homes = Homes::new();
    // The install's log4j file declares the rotation (32 KiB x 100): without it the guard
    // only knows the backups it has seen, and would rightly end this window at the first
    // rollover it cannot prove safe.
    let install = sim.install_dir().display().to_string();
    let child = spawn_capture(
        &sim.url(),
        &homes,
        "5s",
        &[sim.log_path()],
        &["--jira-install", &install],
    );
    wait_raised(&sim, Duration::from_secs(20));
    let gate = sim.hold_level_changes();
    let sent = send(&sim.url(), &sim, 8);
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(
        sim.log_files().len() > 3,
        "the log rotated during the window"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_counts(&j, &sent);
}

#[test]
fn rename_rotation_during_the_window_loses_no_request() {
    rotating(RotationMode::Rename);
}

#[test]
fn copytruncate_rotation_during_the_window_loses_no_request() {
    rotating(RotationMode::CopyTruncate);
}

#[test]
fn two_nodes_merge_into_one_summary_with_per_node_counts() {
    let cluster = SimCluster::start(2, SimConfig::default()).unwrap();
    let (a, b) = (&cluster.nodes()[0], &cluster.nodes()[1]);
    let homes = Homes::new();
    let child = spawn_capture(&a.url(), &homes, "4s", &[a.log_path(), b.log_path()], &[]);
    wait_raised(b, Duration::from_secs(20));
    let gate = a.hold_level_changes();
    let sent_a = send(&a.url(), a, 2);
    let sent_b = send(&b.url(), b, 3);
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = j["nodes"].as_array().unwrap();
    let token_requests = |s: &TrafficReport| s.by_token_id.values().map(|t| t.sent).sum::<u64>();
    let node_requests = |i: usize| nodes[i]["requests"].as_u64().unwrap();
    // Malformed bearer values name no token id: everything else is one request each.
    assert!(
        node_requests(0) >= token_requests(&sent_a) && node_requests(0) < token_requests(&sent_b)
    );
    assert!(node_requests(1) >= token_requests(&sent_b));
    assert_eq!(b.effective_level(loggers::FILTER), Level::Warn);
}

#[test]
fn bad_arguments_change_nothing() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let before = sim.levels();
    for (args, says) in [
        (
            vec!["capture", "--for", "5x", "--log", "/tmp/x.log"],
            "--for",
        ),
        (
            vec![
                "capture",
                "--for",
                "5s",
                "--log",
                "/nonexistent-dir/atlassian-jira.log",
            ],
            "no directory /nonexistent-dir",
        ),
        (
            vec![
                "capture",
                "--for",
                "5s",
                "--profile",
                "nope",
                "--log",
                "/tmp/x.log",
            ],
            "nope",
        ),
        (vec!["capture", "--log", "/tmp/x.log"], "--for"),
    ] {
        let out = command(&sim.url(), &homes, &args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(sim.levels(), before);
    assert!(!homes.journal().exists());
}

#[test]
fn silence_is_explained_during_the_window() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let d = tempfile::tempdir().unwrap();
    let wrong_log = d.path().join("atlassian-jira.log");
    let out = command(
        &sim.url(),
        &homes,
        &[
            "capture",
            "--for",
            "2s",
            "--no-self-check",
            "--log",
            wrong_log.to_str().unwrap(),
        ],
    )
    .env("JIRA_PATROL_QUIET_AFTER_MS", "500")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("does not exist yet"), "{err}");
    assert!(
        err.contains("no PAT line") && err.contains("log4j2 JVM arguments"),
        "{err}"
    );
}

#[test]
fn a_fast_growing_log_loses_no_request() {
    // How fast and how cheaply is measured by `cargo bench --bench follow`; here only that
    // nothing written while the log grows fast is missed.
    use std::io::Write;
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let client = jira_patrol::jira::Client::new(jira_patrol::jira::ClientConfig::new(
        sim.url(),
        jira_patrol::jira::Credentials {
            token: None,
            password: Some(("admin".into(), jira_patrol::secret::Secret::new("admin"))),
        },
    ))
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("atlassian-jira.log");
    std::fs::write(&log, "").unwrap();
    let kb = std::fs::read_to_string("tests/fixtures/logs/kb-pat-trace-snippet.log").unwrap();
    let filler = "2022-10-11 15:04:09,100+0000 http-nio-8080-exec-9 INFO jdoe 904x1x1 abc 10.0.0.1 /secure/Dashboard.jspa [c.a.j.web.action.Dashboard] Rendered dashboard 10010 for user jdoe in 12 ms\n";
    let opts = jira_patrol::capture::Options::new(
        jira_patrol::profiles::load("pats-trace", None).unwrap(),
        Duration::from_secs(600),
        vec![log.clone().into()],
        homes.journals(),
    );
    let sig = jira_patrol::capture::signals::Signals::default();
    const REQUESTS: u32 = 40;
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            // The capture follows from the end of the file it found: write once it has
            // raised the levels, which it does after opening the file.
            wait_raised(&sim, Duration::from_secs(20));
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            let chunk = filler.repeat(2_000);
            for i in 0..REQUESTS {
                f.write_all(chunk.as_bytes()).unwrap();
                // A distinct request each time (thread + request id).
                let req = kb.replace("904x1468x1", &format!("904x{}x1", 5000 + i));
                f.write_all(req.as_bytes()).unwrap();
            }
            // The window is long on purpose: it ends when everything is written.
            sig.end_window();
        });
        jira_patrol::capture::run(&client, opts, &sig).unwrap()
    });
    assert!(outcome.restore.is_ok());
    let tokens = &outcome.report.tokens;
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(
        tokens[0].requests,
        u64::from(REQUESTS),
        "every request seen"
    );
    assert!(outcome.report.bytes > 2_000 * u64::from(REQUESTS) * filler.len() as u64);
}

#[test]
fn the_measured_volume_is_checked_against_the_rotation_settings() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let d = tempfile::tempdir().unwrap();
    let props = d.path().join("log4j.properties");
    std::fs::copy("tests/fixtures/log4j/jira-7.13.2-log4j.properties", &props).unwrap();
    let before = std::fs::read(&props).unwrap();
    let props_arg = props.display().to_string();
    let child = spawn_capture(
        &sim.url(),
        &homes,
        "3s",
        &[sim.log_path()],
        &["--config", &props_arg, "--keep", "2w"],
    );
    wait_raised(&sim, Duration::from_secs(20));
    let gate = sim.hold_level_changes();
    send(&sim.url(), &sim, 10);
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("the log grew by"), "{err}");
    // 20 MB x 10 backups cannot hold two weeks of this traffic: the fix is spelled out.
    assert!(
        err.contains("does not keep") && err.contains("jira-patrol rotation set --max-size"),
        "{err}"
    );
    // The former spelling still works, says so once, and the fix uses the new one.
    assert_eq!(
        err.matches("--config is now --log4j-config").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains(&format!("--log4j-config {props_arg}")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&props).unwrap(),
        before,
        "a capture only advises"
    );
}

#[test]
fn ctrl_c_during_a_slow_restore_says_what_is_left_and_a_third_leaves_it_to_restore() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let mut run = window_open(&sim, &homes);
    // Slow enough that the signals below all land while the first restore request is
    // still in flight, however loaded the machine.
    sim.slow_down(Duration::from_secs(10));
    run.interrupt();
    run.wait_for("stopping the window early");
    run.interrupt();
    run.wait_for("still putting Jira's levels back (left: com.atlassian.pats)");
    run.interrupt();
    // The third Ctrl-C leaves at once: the restore's request is still in flight.
    let (status, err, _) = run.finish();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("left without finishing the restore"), "{err}");
    assert!(err.contains("Run `jira-patrol restore`"), "{err}");
    assert!(homes.journal().exists(), "the journal stays for `restore`");

    sim.slow_down(Duration::ZERO);
    let out = command(&sim.url(), &homes, &["restore"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_put_back(&sim, &homes);
}
