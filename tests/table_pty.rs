//! The tables as a person sees them in a terminal of 80, 100 and 200 columns (a
//! pseudo-terminal of that size): token ids, counts and the last use whole in every row,
//! NAME and OWNER kept at 80 columns, no line wider than the terminal, the columns that
//! did not fit listed per token below the table, `--wide` showing every column; the
//! inventory's and `tokens`' times whole; and names and User-Agents written by someone
//! else reaching the terminal as visible escapes, never as the controls they hold.
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
    let raw = on_terminal_raw(dir, cols, args, &[]);
    String::from_utf8_lossy(&raw).replace('\r', "")
}

/// The bytes the terminal received on stdout, `env` set for the program.
fn on_terminal_raw(dir: &Path, cols: u16, args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
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
    for (k, v) in env {
        sh.env(k, v);
    }
    let mut p = expectrl::Session::spawn(sh).expect("spawn on a pseudo-terminal");
    p.get_process_mut().set_window_size(cols, 50).unwrap();
    p.send_line("go").unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(120)));
    let out = p.expect(Eof).unwrap();
    let raw = out.as_bytes().to_vec();
    match p.get_process().wait().unwrap() {
        expectrl::process::unix::WaitStatus::Exited(_, 0) => {}
        other => panic!(
            "{args:?} at {cols} columns: {other:?}\n{}\n{}",
            String::from_utf8_lossy(&raw),
            std::fs::read_to_string(&err).unwrap_or_default()
        ),
    }
    raw
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

/// Each token's row holds its id, counts and last use whole; its first use is whole too,
/// in the row or listed below the table.
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
        let last = shown_time(&t["last_seen"]);
        assert!(row.contains(&last), "{id} {last} at {cols}:\n{out}");
        let first = shown_time(&t["first_seen"]);
        assert!(
            row.contains(&first) || details(out, id).contains(&format!("first seen: {first}")),
            "{id} {first} at {cols}:\n{out}"
        );
    }
}

fn assert_fits(out: &str, cols: u16) {
    for l in out.lines() {
        assert!(
            width(l) <= cols as usize,
            "a line of {} columns at {cols} columns: {l:?}\n{out}",
            width(l)
        );
    }
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Every row of the table that starts `out` (up to its first blank line) has a column
/// starting at the terminal column where `header` starts in the header line.
fn assert_aligned(out: &str, header: &str) {
    let mut lines = out.lines();
    let head = lines.next().unwrap();
    let at = width(
        &head[..head
            .find(header)
            .unwrap_or_else(|| panic!("{header}:\n{out}"))],
    );
    // Rows start with an id (or, for a cell's second line, blanks); prose ends the table.
    let rows = lines.take_while(|l| l.starts_with(|c: char| c.is_ascii_digit() || c == ' '));
    for row in rows {
        if row.starts_with(' ') {
            continue; // a cell's second line
        }
        let before: String = row
            .chars()
            .scan(0, |w, c| {
                *w += width(c.encode_utf8(&mut [0; 4]));
                (*w <= at).then_some(c)
            })
            .collect();
        assert_eq!(
            width(&before),
            at,
            "{header} out of line in {row:?}:\n{out}"
        );
        let rest = &row[before.len()..];
        assert!(
            !rest.starts_with(' ') && (at == 0 || before.ends_with(' ')),
            "{header} does not start at column {at} in {row:?}:\n{out}"
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
        // NAME (shortened in the middle) and OWNER stay whatever the width; the last use
        // stays in the table, the first may go below it.
        for h in ["TOKEN ID", "NAME", "OWNER", "LAST SEEN"] {
            assert!(header.contains(h), "{h} at {cols}:\n{out}");
        }
        assert_aligned(&out, "LAST SEEN");
        if cols == 80 {
            // The activity is listed with the rest: the volume, then the failed attempts
            // as a second series.
            let failing = tokens
                .iter()
                .find(|t| t["failures"].as_u64().unwrap() > 0)
                .unwrap();
            let more = details(&out, failing["token_id"].as_str().unwrap());
            assert!(more.contains("activity: "), "{more}\n{out}");
            assert!(more.contains(", failed "), "{more}\n{out}");
            assert!(!more.contains('!'), "{more}\n{out}");
            for t in tokens {
                let row = out
                    .lines()
                    .find(|l| l.starts_with(t["token_id"].as_str().unwrap()))
                    .unwrap();
                let owner = t["username"].as_str().unwrap();
                assert!(
                    row.contains(owner) || row.contains(&owner[..6]),
                    "{owner} at 80:\n{out}"
                );
            }
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

/// A token name and a User-Agent as a hostile user and client would choose them: a window
/// title change (OSC 0 … BEL), a colour, a screen clear and a right-to-left override.
const HOSTILE_NAME: &str = "\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}cod.exe";
const HOSTILE_AGENT: &str = "evil/1.0 \u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}gnp.exe";

/// Nothing the data held that a terminal would act on: no ESC, BEL, C1 control or
/// bidirectional override in the bytes the terminal received.
fn assert_inert(raw: &[u8], what: &str) {
    let text = String::from_utf8_lossy(raw);
    for (bad, name) in [
        ('\u{1b}', "ESC"),
        ('\u{7}', "BEL"),
        ('\u{202e}', "U+202E"),
        ('\u{9b}', "CSI"),
    ] {
        assert!(
            !text.contains(bad),
            "{name} reached the terminal in {what}:\n{text:?}"
        );
    }
}

#[test]
fn hostile_names_and_agents_reach_the_terminal_as_visible_escapes() {
    let d = tempfile::tempdir().unwrap();
    let mut tokens = tokens();
    tokens.push(Token {
        id: "424242424242".into(),
        name: HOSTILE_NAME.into(),
        user_key: "JIRAUSER10666".into(),
        username: "mallory".into(),
        db_id: 66,
    });
    let cfg = Config {
        bytes: 200_000,
        seed: 7,
        failure_share: 0.1,
        start: 1_665_500_000,
        tokens,
        ..Config::default()
    };
    let opts = genlog::AccessOptions {
        agent: Some(HOSTILE_AGENT),
        ..Default::default()
    };
    let (mut app, mut acc) = (Vec::new(), Vec::new());
    genlog::generate_with_access(&cfg, &mut app, &mut acc, &opts).unwrap();
    // Tomcat wrote the agent's controls as escapes (`\u001b`), as a real access log has it.
    assert!(!acc.contains(&0x1b) && acc.windows(6).any(|w| w == b"\\u001b"));
    let log = d.path().join("atlassian-jira.log");
    let access = d.path().join("access_log.2022-10-11");
    std::fs::write(&log, app).unwrap();
    std::fs::write(&access, acc).unwrap();
    let args = [
        "summarize",
        log.to_str().unwrap(),
        "--access-log",
        access.to_str().unwrap(),
    ];
    let report = json(&args[1..]);
    let hostile = report["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token_id"] == "424242424242")
        .expect("the hostile token was seen");
    // JSON keeps the exact text: the escaping is the terminal's, not the data's.
    assert_eq!(hostile["name"], HOSTILE_NAME);
    assert_eq!(
        hostile["http"]["user_agents"][0]["user_agent"],
        HOSTILE_AGENT
    );
    for cols in [80u16, 200] {
        for extra in [&[][..], &["--wide"][..]] {
            let all: Vec<&str> = args.iter().chain(extra).copied().collect();
            let raw = on_terminal_raw(d.path(), cols, &all, &[]);
            assert_inert(&raw, &format!("{all:?} at {cols}"));
            let out = String::from_utf8_lossy(&raw).replace('\r', "");
            // Shown as visible escapes (shortened in the middle at 80 columns), the rest of
            // the name readable.
            assert!(
                out.contains("424242424242  \\e]0;pwn"),
                "{cols} {extra:?}:\n{out}"
            );
            if cols == 200 || !extra.is_empty() {
                assert!(
                    out.contains("\\e]0;pwned\\a\\e[31mRED\\u{202e}cod.exe"),
                    "{out}"
                );
            }
            if extra.is_empty() {
                assert_fits(&out, cols);
            }
            for h in ["OWNER", "LAST SEEN"] {
                assert_aligned(&out, h);
            }
        }
    }
    // The whole agent, where the table has room for it.
    let raw = on_terminal_raw(d.path(), 200, &[&args[..], &["--wide"]].concat(), &[]);
    let out = String::from_utf8_lossy(&raw);
    assert!(
        out.contains("evil/1.0 \\e]0;owned\\a\\e[2J\\u{202e}gnp.exe"),
        "{out}"
    );
}

#[test]
fn tokens_and_the_inventory_keep_times_whole_and_names_inert_at_80_columns() {
    let sim = common::data_center_with_tokens_of_jdoe(&[HOSTILE_NAME]);
    let d = tempfile::tempdir().unwrap();
    let url = sim.url();
    let env = [
        ("JIRA_URL", url.as_str()),
        ("JIRA_USER", "admin"),
        ("JIRA_PASSWORD", "admin"),
    ];
    let time = |s: &str| {
        let b = s.as_bytes();
        b.len() == 19 && b[4] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':'
    };
    let whole_times = |row: &str| {
        let words: Vec<&str> = row.split("  ").map(str::trim).collect();
        words.iter().filter(|w| time(w) || **w == "never").count()
    };
    for cols in [80u16, 100, 200] {
        let raw = on_terminal_raw(d.path(), cols, &["tokens"], &env);
        assert_inert(&raw, &format!("tokens at {cols}"));
        let out = String::from_utf8_lossy(&raw).replace('\r', "");
        assert_fits(&out, cols);
        let header = out.lines().next().unwrap();
        for h in ["DB ID", "OWNER", "NAME", "EXPIRES", "LAST USED"] {
            assert!(header.contains(h), "{h} at {cols}:\n{out}");
        }
        assert!(out.contains("\\e]0;pwn"), "{cols}:\n{out}");
        assert!(out.contains("12-digit TOKEN ID"), "{cols}:\n{out}");
        let rows = out.lines().skip(1);
        for row in rows.take_while(|l| l.starts_with(|c: char| c.is_ascii_digit())) {
            // EXPIRES and LAST USED, each a whole time or `never`.
            assert!(whole_times(row) >= 2, "{row:?} at {cols}:\n{out}");
        }
        assert_aligned(&out, "LAST USED");

        let raw = on_terminal_raw(d.path(), cols, &["summarize", KB, "--inventory"], &env);
        assert_inert(&raw, &format!("summarize --inventory at {cols}"));
        let out = String::from_utf8_lossy(&raw).replace('\r', "");
        assert_fits(&out, cols);
        let (_, inv) = out
            .split_once("Tokens not used in the window")
            .unwrap_or_else(|| panic!("no inventory at {cols}:\n{out}"));
        let mut lines = inv.lines().skip(1);
        let head = lines.next().unwrap();
        for h in ["DB ID", "NAME", "OWNER", "LAST USED", "EXPIRES"] {
            assert!(head.contains(h), "{h} at {cols}:\n{inv}");
        }
        let rows: Vec<&str> = lines
            .take_while(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        assert!(rows.len() >= 5, "{inv}");
        for row in &rows {
            assert!(whole_times(row) >= 2, "{row:?} at {cols}:\n{inv}");
        }
        assert!(inv.contains("\\e]0;pwn"), "{cols}:\n{inv}");
    }
}
