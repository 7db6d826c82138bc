//! The `summarize` table as a person sees it in a terminal of 80, 100 and 200 columns
//! (a pseudo-terminal of that size): token ids, counts and times whole in every row, no
//! line wider than the terminal, the columns that did not fit listed per token below the
//! table, and `--wide` showing every column.
#![cfg(unix)]

mod common;

use common::genlog::{self, Config, Token};
use expectrl::{Eof, Expect};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const KB: &str = "tests/fixtures/logs/kb-pat-trace-snippet.log";

/// Long names and owners, as real instances have them.
fn tokens() -> Vec<Token> {
    let t = |id: &str, name: &str, key: &str, user: &str, db: u32| Token {
        id: id.into(),
        name: name.into(),
        user_key: key.into(),
        username: user.into(),
        db_id: db,
    };
    vec![
        t(
            "355510638677",
            "Nightly Überwachung export to the data warehouse (prod)",
            "admin",
            "admin",
            2,
        ),
        t(
            "012345678901",
            "ci, deploy (prod)=1 for the release pipeline of every team",
            "admin",
            "admin",
            3,
        ),
        t(
            "987654321098",
            "backup",
            "JIRAUSER10100",
            "jdoe.with.a.rather.long.login",
            4,
        ),
        t("111122223333", "x", "JIRAUSER10101", "ann", 5),
    ]
}

/// An app log and its access log in `dir`: several IPs and paths per token, failures, and
/// three bursts over about half an hour (a timeline with idle stretches).
fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let (mut app, mut acc) = (Vec::new(), Vec::new());
    for (n, offset) in [0i64, 600, 1500].into_iter().enumerate() {
        let cfg = Config {
            bytes: 150_000,
            seed: 11 + n as u64,
            failure_share: 0.1,
            start: 1_665_500_000 + offset,
            tokens: tokens(),
            ..Config::default()
        };
        genlog::generate_with_access(&cfg, &mut app, &mut acc, &genlog::AccessOptions::default())
            .unwrap();
    }
    let log = dir.join("atlassian-jira.log");
    let access = dir.join("access_log.2022-10-11");
    std::fs::write(&log, app).unwrap();
    std::fs::write(&access, acc).unwrap();
    (log, access)
}

/// `args` run on a pseudo-terminal `cols` wide: what it printed on stdout (stderr, with
/// its progress bar, goes to a file), lines without the terminal's `\r`.
fn on_terminal(dir: &Path, cols: u16, args: &[&str]) -> String {
    let err = dir.join(format!("stderr-{cols}"));
    let mut sh = Command::new("sh");
    // The program reads the terminal's size once, when it prints: the shell waits for a
    // line until the size is set (spawning sets a default one of its own).
    sh.arg("-c")
        .arg(format!(
            "read go && exec \"$0\" \"$@\" 2>'{}'",
            err.display()
        ))
        .arg(assert_cmd::cargo::cargo_bin("jira-patrol"))
        .args(args)
        .env("TZ", "UTC")
        .env("TERM", "xterm-256color")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("HOME", dir)
        .env_remove("JIRA_URL")
        .env_remove("JIRA_TOKEN");
    let mut p = expectrl::Session::spawn(sh).expect("spawn on a pseudo-terminal");
    p.get_process_mut().set_window_size(cols, 50).unwrap();
    p.send_line("go").unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(120)));
    let out = p.expect(Eof).unwrap();
    let text = String::from_utf8_lossy(out.as_bytes()).replace('\r', "");
    match p.get_process().wait().unwrap() {
        expectrl::process::unix::WaitStatus::Exited(_, 0) => {}
        other => panic!(
            "{args:?} at {cols} columns: {other:?}\n{text}\n{}",
            std::fs::read_to_string(&err).unwrap_or_default()
        ),
    }
    text
}

fn json(args: &[&str]) -> Value {
    let out = common::isolated(Path::new("/nonexistent"))
        .env("TZ", "UTC")
        .arg("summarize")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// As the table prints a time: `2022-10-11 15:04:09`.
fn shown_time(v: &Value) -> String {
    v.as_str().unwrap()[..19].replace('T', " ")
}

/// Each token's row holds its id, counts and first/last seen whole.
fn assert_rows_whole(out: &str, report: &Value, cols: u16) {
    for t in report["tokens"].as_array().unwrap() {
        let id = t["token_id"].as_str().unwrap();
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("{id}  ")))
            .unwrap_or_else(|| panic!("no row for {id} at {cols} columns:\n{out}"));
        let words: Vec<&str> = row.split_whitespace().collect();
        for n in ["requests", "failures"] {
            let n = t[n].as_u64().unwrap().to_string();
            assert!(words.contains(&n.as_str()), "{id} {n} at {cols}:\n{out}");
        }
        for s in ["first_seen", "last_seen"] {
            let ts = shown_time(&t[s]);
            assert!(row.contains(&ts), "{id} {ts} at {cols}:\n{out}");
        }
    }
}

fn assert_fits(out: &str, cols: u16) {
    for l in out.lines() {
        assert!(
            l.chars().count() <= cols as usize,
            "a line of {} characters at {cols} columns: {l:?}\n{out}",
            l.chars().count()
        );
    }
}

/// The columns the token table says it left out.
fn dropped(out: &str) -> Vec<String> {
    let (_, rest) = out.split_once("listed per row: ").unwrap();
    let (list, _) = rest.split_once(". --wide").unwrap();
    list.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .split(", ")
        .map(String::from)
        .collect()
}

/// The paragraph of `id` below the table (its lines up to the next id or blank line).
fn details(out: &str, id: &str) -> String {
    let below = out
        .split_once("Left out above")
        .unwrap_or_else(|| panic!("nothing listed below the table:\n{out}"))
        .1;
    let mut lines = below
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{id}  ")));
    let mut s = lines.next().unwrap_or_default().to_string();
    for l in lines.take_while(|l| l.starts_with(' ')) {
        s.push(' ');
        s.push_str(l.trim());
    }
    s
}

#[test]
fn narrow_terminals_keep_ids_counts_and_times_and_list_the_rest_below() {
    let d = tempfile::tempdir().unwrap();
    let (log, access) = fixture(d.path());
    let args = [
        "summarize",
        log.to_str().unwrap(),
        "--access-log",
        access.to_str().unwrap(),
    ];
    let report = json(&args[1..]);
    let tokens = report["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 4, "{report}");
    let mut previous: Option<Vec<String>> = None;
    for cols in [80u16, 100, 200] {
        let out = on_terminal(d.path(), cols, &args);
        assert_fits(&out, cols);
        assert_rows_whole(&out, &report, cols);
        assert!(out.contains("--wide shows all columns"), "{cols}:\n{out}");
        let header = out.lines().next().unwrap();
        for t in tokens {
            let id = t["token_id"].as_str().unwrap();
            let more = details(&out, id);
            // IPs and paths are the first to go; each token's are listed whole.
            assert!(!header.contains("PATHS"), "{cols}:\n{out}");
            assert!(
                more.contains("paths: /rest/"),
                "{id} at {cols}: {more}\n{out}"
            );
            assert!(more.contains("ips: "), "{id} at {cols}: {more}\n{out}");
            let top_ip = t["ips"][0]["ip"].as_str().unwrap();
            assert!(more.contains(top_ip), "{id} at {cols}: {more}");
        }
        let left_out = dropped(&out);
        // A wider terminal never leaves out more.
        if let Some(narrower) = &previous {
            assert!(
                left_out.iter().all(|h| narrower.contains(h)),
                "{cols}:\n{out}"
            );
        }
        previous = Some(left_out);
        if cols == 200 {
            // Wide enough for every name and owner whole, and the activity; with names
            // this long, the expiry, the access log's columns and the IP and path lists
            // are below.
            for h in ["NAME", "OWNER", "REQUESTS", "FAILURES", "ACTIVITY"] {
                assert!(header.contains(h), "{h} at {cols}:\n{out}");
            }
            for t in tokens {
                assert!(out.contains(t["name"].as_str().unwrap()), "{cols}:\n{out}");
            }
        }
        if cols == 80 {
            // The activity sparkline is listed with the rest, failures marked.
            let failing = tokens
                .iter()
                .find(|t| t["failures"].as_u64().unwrap() > 0)
                .unwrap();
            let more = details(&out, failing["token_id"].as_str().unwrap());
            assert!(more.contains("activity: "), "{more}\n{out}");
            assert!(more.contains('!'), "{more}\n{out}");
        }
    }
    // --wide: every column in the table, nothing below it, even at 80 columns.
    let wide: Vec<&str> = args.iter().copied().chain(["--wide"]).collect();
    let out = on_terminal(d.path(), 80, &wide);
    assert_rows_whole(&out, &report, 80);
    let header = out.lines().next().unwrap();
    for h in ["NAME", "OWNER", "ACTIVITY", "USER-AGENT", "IPS", "PATHS"] {
        assert!(header.contains(h), "--wide: {h}\n{out}");
    }
    assert!(!out.contains("Left out above"), "{out}");
    for t in tokens {
        assert!(out.contains(t["name"].as_str().unwrap()), "{out}");
    }
}

#[test]
fn names_are_shortened_in_the_middle_never_ids() {
    let d = tempfile::tempdir().unwrap();
    let (log, _) = fixture(d.path());
    let args = ["summarize", log.to_str().unwrap()];
    let report = json(&args[1..]);
    let out = on_terminal(d.path(), 100, &args);
    assert_fits(&out, 100);
    assert_rows_whole(&out, &report, 100);
    let row = out
        .lines()
        .find(|l| l.starts_with("012345678901  "))
        .unwrap();
    // "ci, deploy (prod)=1 for the release pipeline of every team": its start and its end.
    assert!(
        row.contains("ci, deploy") && row.contains('…') && row.contains("team"),
        "{out}"
    );
}

#[test]
fn a_table_that_fits_leaves_nothing_out() {
    let d = tempfile::tempdir().unwrap();
    let out = on_terminal(d.path(), 200, &["summarize", KB]);
    assert_fits(&out, 200);
    let header = out.lines().next().unwrap();
    for h in [
        "TOKEN ID", "NAME", "OWNER", "ACTIVITY", "EXPIRES", "IPS", "PATHS",
    ] {
        assert!(header.contains(h), "{h}:\n{out}");
    }
    assert!(out.contains("/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19 (1)"));
    assert!(!out.contains("Left out above"), "{out}");
}
