//! The whole Data Center cluster, as a user runs jira-patrol against it: the simulated
//! cluster behind its load balancer, logs given as local paths and over a real OpenSSH
//! server (started here on loopback with throwaway keys: `common::sshd`). A capture that
//! would read only part of the cluster is refused unless asked for, and then says so in
//! every format; every node read is self-checked; a dropped ssh connection is resumed
//! without losing or doubling a line; `summarize ssh://…` filters on the node.

mod common;

use common::sshd::Sshd;
use common::{assert_counts, wait_raised, Homes, Running, PATIENCE};
use jira_sim::traffic::{self, TrafficOptions, TrafficReport};
use jira_sim::{loggers, Level, RotationMode, SimCluster, SimConfig, SimJira};
use serde_json::Value;
use std::process::{Command, Output, Stdio};

fn command(url: &str, homes: &Homes, ssh: Option<&str>, args: &[&str]) -> Command {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", url)
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .env("JIRA_PATROL_CHECK_EVERY_MS", "300")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(s) = ssh {
        c.env("JIRA_PATROL_SSH_COMMAND", s);
    }
    c
}

fn run(c: &mut Command) -> (Output, String) {
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

fn quiet() -> SimConfig {
    SimConfig {
        noise: false,
        ..SimConfig::default()
    }
}

fn send(url: &str, sim: &SimJira, n: u32) -> TrafficReport {
    traffic::run(
        url,
        &traffic::standard_mix(sim.accounts(), n),
        &TrafficOptions::default(),
    )
}

fn untouched(sim: &SimJira) {
    assert!(
        !sim.levels().contains_key("com.atlassian.pats"),
        "nothing was raised"
    );
}

fn put_back(sim: &SimJira) {
    assert_eq!(sim.effective_level(loggers::FILTER), Level::Warn);
}

fn log(sim: &SimJira) -> String {
    sim.log_path().display().to_string()
}

/// A capture (`args`, JSON out) of `cluster` while its clients send `n` rounds through the
/// balancer (the restore waits for them); asserts success and that every node's levels
/// are back. The report, stderr and what was sent.
fn capture_during_traffic(
    cluster: &SimCluster,
    homes: &Homes,
    ssh: Option<&str>,
    args: &[&str],
    n: u32,
) -> (Value, String, TrafficReport) {
    let child = command(&cluster.url(), homes, ssh, args).spawn().unwrap();
    wait_raised(cluster.node(0), PATIENCE);
    let gate = cluster.node(0).hold_level_changes();
    let sent = send(&cluster.url(), cluster.node(0), n);
    drop(gate);
    let (out, err) = common::output(child);
    assert!(out.status.success(), "{err}");
    for node in cluster.nodes() {
        put_back(node);
    }
    (serde_json::from_slice(&out.stdout).unwrap(), err, sent)
}

#[test]
fn one_log_of_three_nodes_is_refused_and_a_partial_capture_says_so_in_every_format() {
    let cluster = SimCluster::start_addressable(3, quiet()).unwrap();
    let one = log(cluster.node(0));
    let homes = Homes::new();
    let args = [
        "capture",
        "--profile",
        "pats-trace",
        "--for",
        "1s",
        "--log",
        &one,
    ];
    let (out, err) = run(&mut command(&cluster.url(), &homes, None, &args));
    assert_eq!(out.status.code(), Some(1), "{err}");
    let said: Vec<&str> = err.lines().collect();
    assert!(
        said[0].starts_with("error: Jira is a cluster of 3 active nodes (node1, node2, node3), and 1 log was given: at least 2 nodes have none"),
        "{err}"
    );
    assert!(
        said[0].contains("only part of the traffic: give each node's log as --log NODE=PATH (e.g. --log node1=ssh://HOST/")
            && said[0].ends_with("or --allow-partial"),
        "{err}"
    );
    untouched(cluster.node(0));
    assert!(!homes.journal().exists());

    // Accepted as a part: the report names the nodes it did not read, in every format.
    let mut partial = args.to_vec();
    partial.push("--allow-partial");
    let mut outputs = Vec::new();
    for format in ["json", "table", "html"] {
        let mut a = partial.clone();
        a.extend(["--format", format]);
        let (out, err) = run(&mut command(&cluster.url(), &homes, None, &a));
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
        assert!(
            err.contains("self-check: our request seen on node1"),
            "{err}"
        );
        outputs.push(String::from_utf8(out.stdout).unwrap());
        put_back(cluster.node(1));
    }
    let j: Value = serde_json::from_str(&outputs[0]).unwrap();
    let c = &j["coverage"];
    assert_eq!(c["jira"], "cluster");
    assert_eq!(c["complete"], false);
    let nodes: Vec<(&str, bool)> = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["node"].as_str().unwrap(), n["read"].as_bool().unwrap()))
        .collect();
    assert_eq!(nodes, [("node1", true), ("node2", false), ("node3", false)]);
    assert_eq!(c["nodes"][0]["self_check"], "passed");
    assert_eq!(c["nodes"][0]["log"], one.as_str());
    let line = "Coverage: PARTIAL: read 1 of 3 node(s) (node1); NOT read: node2, node3";
    assert!(
        outputs[1].lines().next().unwrap().starts_with(line),
        "the first line of the table:\n{}",
        outputs[1]
    );
    assert!(
        outputs[2].contains("<div class=\"coverage partial\" role=\"note\"><p>Coverage: PARTIAL: read 1 of 3 node(s) (node1); NOT read: node2, node3"),
        "{}",
        outputs[2]
    );
}

#[test]
fn three_nodes_two_over_ssh_one_local_count_what_the_balancer_served() {
    let sshd = Sshd::start();
    let cluster = SimCluster::start(3, quiet()).unwrap();
    let homes = Homes::new();
    let n1 = format!("node1=ssh://node1{}", log(cluster.node(0)));
    let n2 = format!("node2=ssh://node2{}", log(cluster.node(1)));
    // The third without its node's name: the self-check finds out which node it is.
    let n3 = log(cluster.node(2));
    // Each node's access log where its application log is read: two over ssh, one here.
    let access = |i: usize| {
        cluster
            .node(i)
            .install_dir()
            .join("logs")
            .display()
            .to_string()
    };
    let a1 = format!("ssh://node1{}", access(0));
    let a2 = format!("ssh://node2{}", access(1));
    let a3 = access(2);
    let (j, err, sent) = capture_during_traffic(
        &cluster,
        &homes,
        Some(&sshd.ssh_command()),
        &[
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "3s",
            "--format",
            "json",
            "--log",
            &n1,
            "--log",
            &n2,
            "--log",
            &n3,
            "--access-log",
            &a1,
            "--access-log",
            &a2,
            "--access-log",
            &a3,
        ],
        3,
    );
    assert_counts(&j, &[&sent]);
    // Every token request found its access-log line on its own node.
    let requests: u64 = j["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(
        (
            j["access_log"]["joined"].as_u64(),
            j["access_log"]["unjoined"].as_u64()
        ),
        (Some(requests), Some(0)),
        "{}",
        j["access_log"]
    );
    // The balancer spread them: every node's log had its share.
    for n in j["nodes"].as_array().unwrap() {
        assert!(n["requests"].as_u64().unwrap() > 0, "{n}");
    }
    let c = &j["coverage"];
    assert_eq!(c["complete"], true, "{c}");
    for (i, n) in c["nodes"].as_array().unwrap().iter().enumerate() {
        assert_eq!(n["node"], format!("node{}", i + 1));
        assert_eq!(
            (n["read"].as_bool(), n["self_check"].as_str()),
            (Some(true), Some("passed")),
            "{n}"
        );
        assert_eq!(n["probed"], "through the load balancer", "{n}");
    }
    assert!(c["nodes"][2]["log"].as_str() == Some(n3.as_str()));
    for node in ["node1", "node2", "node3"] {
        assert!(
            err.contains(&format!("self-check: our request seen on {node}")),
            "{err}"
        );
    }
    assert!(
        sshd.masters().is_empty(),
        "the ssh connection ends with the capture"
    );

    // The same logs read afterwards, the two remote ones filtered on their nodes: the same
    // per-token counts and every request joined again.
    let dir = |i: usize| {
        cluster
            .node(i)
            .log_path()
            .parent()
            .unwrap()
            .display()
            .to_string()
    };
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_PATROL_SSH_COMMAND", sshd.ssh_command()).args([
        "summarize",
        &format!("node1=ssh://node1{}", dir(0)),
        &format!("node2=ssh://node2{}", dir(1)),
        &format!("node3={}", dir(2)),
        "--access-log",
        &a1,
        "--access-log",
        &a2,
        "--access-log",
        &a3,
        "--format",
        "json",
    ]);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let later: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        later["access_log"]["unjoined"].as_u64(),
        Some(0),
        "{}",
        later["access_log"]
    );
    assert!(later["access_log"]["joined"].as_u64().unwrap() >= requests);
}

#[test]
fn a_killed_ssh_connection_is_resumed_and_copytruncate_loses_nothing() {
    let sshd = Sshd::start();
    let sim = SimJira::start(SimConfig {
        // Small enough to be cut in place several times by the traffic below.
        log_max_bytes: 24 * 1024,
        log_backups: 20,
        rotation: RotationMode::CopyTruncate,
        ..quiet()
    })
    .unwrap();
    let homes = Homes::new();
    let remote = format!("ssh://jira-node{}", log(&sim));
    let mut run = Running::spawn(command(
        &sim.url(),
        &homes,
        Some(&sshd.ssh_command()),
        &[
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "10m",
            "--format",
            "json",
            "--log",
            &remote,
            // The guard would (rightly) end the window before the cuts rotate the older
            // backups away: this test is about the cuts.
            "--no-guard",
        ],
    ));
    run.wait_for("self-check: our request seen");
    let first = send(&sim.url(), &sim, 2);
    let masters = sshd.masters();
    assert_eq!(masters.len(), 1, "one connection to the node");
    // SAFETY: kill(2) on the ssh process the capture started (found by its config file).
    unsafe { libc::kill(masters[0] as i32, libc::SIGKILL) };
    run.wait_for("connection was lost");
    run.wait_for("connected again");
    let second = send(&sim.url(), &sim, 2);
    let rotated = sim.log_files().len();
    run.interrupt();
    let (status, err, out) = run.finish();
    assert_eq!(status.code(), Some(130), "{err}");
    put_back(&sim);
    assert!(
        rotated > 2,
        "the log was cut in place during the window ({rotated} files)"
    );
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_counts(&j, &[&first, &second]);
    assert_eq!(j["coverage"]["complete"], true, "{}", j["coverage"]);
    assert!(!err.contains("not read"), "{err}");
}

#[test]
fn ssh_problems_are_one_line_each_naming_the_host_the_path_and_the_fix() {
    let sshd = Sshd::start();
    let sim = SimJira::start(quiet()).unwrap();
    let homes = Homes::new();
    // A log the ssh user cannot open (a socket: even root cannot read one).
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("atlassian-jira.log");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let cases = [
        (
            sshd.ssh_command_unknown_host(),
            log(&sim),
            "the host key of jumpy is not known",
            "ssh ",
        ),
        (
            sshd.ssh_command_other_key(),
            log(&sim),
            "refused our key",
            "authorized_keys",
        ),
        (
            sshd.ssh_command(),
            socket.display().to_string(),
            "cannot read",
            "group that owns the log",
        ),
    ];
    for (ssh, path, what, fix) in cases {
        let src = format!("ssh://jumpy{path}");
        let (out, err) = run(&mut command(
            &sim.url(),
            &homes,
            Some(&ssh),
            &[
                "capture",
                "--profile",
                "pats-trace",
                "--for",
                "5s",
                "--log",
                &src,
            ],
        ));
        assert_eq!(out.status.code(), Some(1), "{err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{err}");
        let e = errors[0];
        assert!(
            e.contains(&src) && e.contains(what) && e.contains(fix) && e.contains("jumpy"),
            "{e}"
        );
        untouched(&sim);
    }
}

#[test]
fn summarize_over_ssh_equals_the_local_summary_and_moves_only_pat_lines() {
    let sshd = Sshd::start();
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("node7/log");
    std::fs::create_dir_all(&log_dir).unwrap();
    // A rotated set: a gzipped backup (20% PAT lines), a plain one and the live file (1%:
    // there the stack-trace frames naming the PAT filter outweigh the PAT lines).
    for (name, seed, pat_share) in [
        ("atlassian-jira.log.2", 1, 0.2),
        ("atlassian-jira.log.1", 2, 0.01),
        ("atlassian-jira.log", 3, 0.01),
    ] {
        let mut f = std::fs::File::create(log_dir.join(name)).unwrap();
        let base = common::genlog::Config::default();
        let cfg = common::genlog::Config {
            bytes: 1 << 20,
            pat_share,
            seed,
            // Each file an hour after the one before, as rotation leaves them.
            start: base.start + 3600 * seed as i64,
            ..base
        };
        common::genlog::generate(&cfg, &mut f).unwrap();
    }
    let gz = Command::new("gzip")
        .arg(log_dir.join("atlassian-jira.log.2"))
        .status()
        .unwrap();
    assert!(gz.success());
    let homes = Homes::new();
    let summarize = |what: &str| -> Value {
        let mut c = common::isolated(homes.0.path());
        c.env("JIRA_PATROL_SSH_COMMAND", sshd.ssh_command()).args([
            "summarize",
            what,
            "--format",
            "json",
        ]);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let local = summarize(&log_dir.display().to_string());
    let remote = summarize(&format!("ssh://node7{}", log_dir.display()));
    let files: Vec<&str> = remote["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 3);
    assert!(
        files[0].ends_with("atlassian-jira.log.2.gz") && files[2].ends_with("atlassian-jira.log"),
        "{files:?}"
    );
    let transfer = &remote["coverage"]["transfer"];
    let on_disk: u64 = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(transfer["read_on_nodes"].as_u64(), Some(on_disk));
    let pat_bytes = local["volume"]["pat_bytes"].as_u64().unwrap();
    let moved = transfer["transferred"].as_u64().unwrap();
    assert!(
        moved * 100 <= pat_bytes * 105,
        "{moved} bytes moved for {pat_bytes} bytes of PAT lines"
    );
    assert!(local["tokens"].as_array().unwrap().len() > 2);
    // Everything but where the lines came from and how many others were skipped.
    let strip = |mut v: Value| {
        for k in ["files", "lines", "bytes", "coverage"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(strip(remote), strip(local));
}

#[test]
fn nodes_that_die_or_join_during_the_window_are_noted_with_their_time() {
    let mut cluster = SimCluster::start_addressable(2, quiet()).unwrap();
    let homes = Homes::new();
    let (a, b) = (log(cluster.node(0)), log(cluster.node(1)));
    let mut run = Running::spawn(command(
        &cluster.url(),
        &homes,
        None,
        &[
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "10m",
            "--format",
            "json",
            "--log",
            &a,
            "--log",
            &b,
        ],
    ));
    run.wait_for("self-check: our request seen on node2");
    cluster.kill_node(1);
    run.wait_for("node node2 died (no heartbeat)");
    cluster.add_node().unwrap();
    run.wait_for("node node3 joined");
    run.interrupt();
    let (status, err, out) = run.finish();
    assert_eq!(status.code(), Some(130), "{err}");
    let j: Value = serde_json::from_slice(&out).unwrap();
    let c = &j["coverage"];
    assert_eq!(c["complete"], false);
    let events: Vec<(&str, &str, bool)> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"].as_str().unwrap(),
                e["what"].as_str().unwrap(),
                e["read"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("node2", "died (no heartbeat)", true),
            ("node3", "joined", false)
        ]
    );
    for e in c["events"].as_array().unwrap() {
        assert!(
            e["at"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok(),
            "{e}"
        );
    }
    // Both probes went to the nodes' own addresses, which the node list gives.
    let port = cluster.url().rsplit(':').next().unwrap().to_string();
    assert_eq!(
        c["nodes"][0]["probed"],
        format!("directly at http://127.0.0.2:{port}")
    );
}

#[test]
fn summarize_names_the_nodes_of_several_directories() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["node1", "node2"] {
        let d = dir.path().join(n).join("log");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(
            "tests/fixtures/logs/kb-pat-trace-snippet.log",
            d.join("atlassian-jira.log"),
        )
        .unwrap();
    }
    let homes = Homes::new();
    let mut c = common::isolated(homes.0.path());
    let one = dir.path().join("node1/log");
    let two = format!("second={}", dir.path().join("node2/log").display());
    c.args(["summarize"])
        .arg(&one)
        .arg(&two)
        .args(["--format", "json"]);
    let out = c.output().unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = j["coverage"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["node1", "second"]);
    let per_node: Vec<u64> = j["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(per_node, [1, 1]);
    let mut t = common::isolated(homes.0.path());
    t.args(["summarize"]).arg(&one).arg(&two);
    let table = String::from_utf8(t.output().unwrap().stdout).unwrap();
    assert!(
        table.starts_with("Coverage: 2 node log(s) read (node1, second)"),
        "{table}"
    );
}

/// One token request as Jira's PAT filter logs it at TRACE (tests/fixtures/logs), every
/// line dated `at`, by token `355510638600 + k`.
fn pat_request(at: &str, k: u32) -> String {
    let p = format!(
        "{at}+0000 http-nio-8080-exec-{} TRACE anonymous 904x{k}x1 - 192.168.0.1 /rest/api/2/myself",
        k % 8
    );
    let id = 355510638600 + u64::from(k);
    format!(
        "{p} [c.a.p.web.filter.TokenBasedAuthenticationFilter] >>> TokenBasedAuthenticationFilter.doFilter\n\
         {p} [c.a.pats.service.DefaultTokenAuthenticationService] Got tokenId: [{id}] from token\n\
         {p} [c.a.p.web.filter.TokenBasedAuthenticationFilter] Auth SUCCESS for user: [admin] and tokenId: [{id}] and expiry:[2099-01-09 14:51:57.933]\n\
         {p} [c.a.p.web.filter.TokenBasedAuthenticationFilter] <<< TokenBasedAuthenticationFilter.doFilter\n"
    )
}

#[test]
fn a_log_rotated_away_while_its_node_was_unreachable_is_a_gap_naming_exactly_what_was_lost() {
    let sshd = Sshd::start();
    let sim = SimJira::start(quiet()).unwrap();
    let homes = Homes::new();
    // A node's log written here, request by request (each in one write, a second apart).
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("atlassian-jira.log");
    let base = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(120);
    let at = |k: u32| {
        jiff::tz::TimeZone::UTC
            .to_datetime(base + jiff::SignedDuration::from_secs(i64::from(k)))
            .strftime("%Y-%m-%d %H:%M:%S,%3f")
            .to_string()
    };
    let write = |path: &std::path::Path, ks: std::ops::Range<u32>| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for k in ks {
            f.write_all(pat_request(&at(k), k).as_bytes()).unwrap();
        }
    };
    std::fs::write(&live, format!("{} main INFO - started\n", at(0))).unwrap();
    let remote = format!("ssh://jira-node{}", live.display());
    let mut run = Running::spawn(command(
        &sim.url(),
        &homes,
        Some(&sshd.ssh_command()),
        &[
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "10m",
            "--format",
            "json",
            "--log",
            &remote,
            "--no-self-check",
            "--no-guard",
        ],
    ));
    // The log is followed from its end before a level is raised.
    wait_raised(&sim, PATIENCE);
    // Read before the drop, or not yet: either way the report must say which.
    write(&live, 1..4);
    // The node stops taking our key, and the connection drops.
    sshd.refuse_client_key(true);
    let masters = sshd.masters();
    assert_eq!(masters.len(), 1, "one connection to the node");
    // SAFETY: kill(2) on the ssh process the capture started (found by its config file).
    unsafe { libc::kill(masters[0] as i32, libc::SIGKILL) };
    run.wait_for("connection was lost");
    let read_to: u64 = run
        .seen
        .lines()
        .find_map(|l| l.split_once("read on from byte "))
        .and_then(|(_, n)| n.split_whitespace().next()?.parse().ok())
        .unwrap();
    let before_drop = std::fs::metadata(&live).unwrap().len();
    // Meanwhile the file being read gets more lines, is rotated, and its backup deleted
    // (after the new log is made: it cannot take the old one's identity).
    write(&live, 4..7);
    let backup = dir.path().join("atlassian-jira.log.1");
    std::fs::rename(&live, &backup).unwrap();
    write(&live, 7..10);
    std::fs::remove_file(&backup).unwrap();
    sshd.refuse_client_key(false);
    run.wait_for("connected again");
    write(&live, 10..12);
    run.wait_for("rotated out of the set");
    run.interrupt();
    let (status, err, out) = run.finish();
    assert_eq!(status.code(), Some(130), "{err}");
    put_back(&sim);
    let j: Value = serde_json::from_slice(&out).unwrap();
    let c = &j["coverage"];
    assert_eq!(c["complete"], false, "{c}");
    let gaps = c["nodes"][0]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{c}");
    // From the last line read before the drop (none when the lines written just before
    // it were not read yet) to the first line of the new log; the report holds exactly the
    // requests outside it: all but the ones lost with the file.
    let (from, to) = (gaps[0]["from"].as_str(), gaps[0]["to"].as_str().unwrap());
    assert_eq!(to, at(7), "{c}");
    // Where the capture said it stopped: after the last line, or before the first.
    let last_read = (read_to == before_drop).then(|| at(3));
    assert_eq!(
        from,
        last_read.as_deref(),
        "read to byte {read_to} of {before_drop}"
    );
    let read: std::collections::BTreeSet<u64> = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["token_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let outside: std::collections::BTreeSet<u64> = (1..12)
        .filter(|&k| from.is_some_and(|f| at(k).as_str() <= f) || at(k).as_str() >= to)
        .map(|k| 355510638600 + u64::from(k))
        .collect();
    assert_eq!(read, outside, "gap {from:?} – {to}");
    assert!((4..7).all(|k| !outside.contains(&(355510638600 + k))));
    let span = match from {
        Some(f) => format!("{}–{} not read", &f[11..19], &to[11..19]),
        None => format!("before {} not read", &to[11..19]),
    };
    assert!(err.contains(&span), "{span}:\n{err}");
}

#[test]
fn a_node_given_its_url_is_probed_there_and_a_log_read_through_a_command_counts_exactly() {
    // The node table's addresses answer nothing here: only the balancer and the URL given.
    let cluster = SimCluster::start(2, quiet()).unwrap();
    let homes = Homes::new();
    let one = log(cluster.node(0));
    // `-s 0.1`: where tail cannot use inotify (a full inotify table) it polls, by default once
    // a second, longer than the quiet the last read waits for.
    let follow = format!("node1=exec:tail -F -s 0.1 -n +1 {one}");
    let direct = format!("node1={}", cluster.node(0).url());
    let (j, _, sent) = capture_during_traffic(
        &cluster,
        &homes,
        None,
        &[
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "3s",
            "--format",
            "json",
            "--log",
            &follow,
            "--log",
            &log(cluster.node(1)),
            "--node-url",
            &direct,
        ],
        2,
    );
    // Every request of the window once, the last ones too (the command's output is read
    // until it goes quiet after the restore).
    assert_counts(&j, &[&sent]);
    let c = &j["coverage"];
    assert_eq!(c["complete"], true, "{c}");
    let how: Vec<(&str, &str, &str)> = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node"].as_str().unwrap(),
                n["self_check"].as_str().unwrap(),
                n["probed"].as_str().unwrap(),
            )
        })
        .collect();
    let at = format!("directly at {}", cluster.node(0).url());
    assert_eq!(
        how,
        [
            ("node1", "passed", at.as_str()),
            ("node2", "passed", "through the load balancer")
        ]
    );
    // The command ends with the capture (signalled as it ends: waited for here).
    let running = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(&one) && c.starts_with("tail "))
            .collect()
    };
    let t = std::time::Instant::now();
    while !running().is_empty() {
        assert!(t.elapsed() < PATIENCE, "{:?}", running());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
