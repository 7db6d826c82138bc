//! `jira-patrol summarize` and `token-id`, end to end through the binary, over the
//! shared fixtures and over generated logs whose right answers are known.

mod common;

use assert_cmd::Command;
use common::genlog::{self, Config, Expected};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

const KB: &str = "tests/fixtures/logs/kb-pat-trace-snippet.log";

fn bin() -> Command {
    let mut c = Command::cargo_bin("jira-patrol").unwrap();
    c.env_remove("JIRA_TOKEN").env("TZ", "UTC");
    c
}

fn summarize_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("summarize")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn generated(cfg: &Config) -> (Vec<u8>, Expected) {
    let mut v = Vec::new();
    let e = genlog::generate(cfg, &mut v).unwrap();
    (v, e)
}

/// Token id → (requests, failures) as reported, failed-only ids included as (0, n).
fn counts(
    j: &Value,
) -> (
    std::collections::BTreeMap<String, (u64, u64)>,
    std::collections::BTreeMap<String, u64>,
) {
    let mut tokens = std::collections::BTreeMap::new();
    for t in j["tokens"].as_array().unwrap() {
        tokens.insert(
            t["token_id"].as_str().unwrap().to_string(),
            (
                t["requests"].as_u64().unwrap(),
                t["failures"].as_u64().unwrap(),
            ),
        );
    }
    let mut unknown = std::collections::BTreeMap::new();
    for f in j["failed_token_ids"].as_array().unwrap() {
        unknown.insert(
            f["token_id"].as_str().unwrap().to_string(),
            f["requests"].as_u64().unwrap(),
        );
    }
    (tokens, unknown)
}

fn assert_matches(j: &Value, e: &Expected) {
    let (tokens, unknown) = counts(j);
    assert_eq!(tokens, e.tokens, "per-token (requests, failures)");
    assert_eq!(unknown, e.unknown, "unknown token ids");
    assert_eq!(j["pat_lines"].as_u64().unwrap(), e.pat_lines);
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn the_support_article_request_is_reported_with_owner_name_and_expiry() {
    let j = summarize_json(&[KB]);
    let t = &j["tokens"][0];
    assert_eq!(t["token_id"], "355510638677");
    assert_eq!(t["name"], "test");
    assert_eq!(t["user_key"], "admin");
    assert_eq!(t["username"], "admin");
    assert_eq!(t["requests"], 1);
    assert_eq!(t["failures"], 0);
    assert_eq!(t["created_at"], "2022-10-11T14:51:57.933+00:00");
    assert_eq!(t["expires_at"], "2023-01-09T14:51:57.933+00:00");
    assert_eq!(t["first_seen"], "2022-10-11T15:04:09.202+00:00");
    assert_eq!(t["ips"][0]["ip"], "192.168.0.1");
    assert_eq!(
        t["paths"][0]["path"],
        "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19"
    );
    // The traps: the batcher's row id 2 and the session id are not tokens.
    assert_eq!(j["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(j["failed_token_ids"].as_array().unwrap().len(), 0);
    assert_eq!(
        (j["lines"].as_u64(), j["pat_lines"].as_u64()),
        (Some(10), Some(10))
    );

    let table = bin().args(["summarize", KB]).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("355510638677") && table.contains("test") && table.contains("admin"),
        "{table}"
    );
}

#[test]
fn a_generated_busy_log_is_counted_exactly() {
    let (log, e) = generated(&Config {
        bytes: 3 << 20,
        ..Config::default()
    });
    assert!(
        e.tokens.values().map(|c| c.0).sum::<u64>() > 200,
        "enough traffic to mean something"
    );
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, &log);
    let j = summarize_json(&[p.to_str().unwrap()]);
    assert_matches(&j, &e);
    assert_eq!(j["lines"].as_u64().unwrap(), e.lines);
    assert_eq!(j["bytes"].as_u64().unwrap(), e.bytes);
    // Names with ", ", "=", "(" and non-ASCII survive; renamed threads still correlate.
    let names: Vec<&str> = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ci, deploy (prod)=1"), "{names:?}");
    assert!(names.contains(&"Überwachung – nightly"), "{names:?}");
    let jdoe = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user_key"] == "JIRAUSER10100")
        .unwrap();
    assert_eq!(jdoe["username"], "jdoe");
}

/// Split `log` at line boundaries into `n` nearly equal parts.
fn split_lines(log: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..n {
        let target = log.len() * i / n;
        let cut = target + log[target..].iter().position(|&c| c == b'\n').unwrap() + 1;
        parts.push(log[start..cut].to_vec());
        start = cut;
    }
    parts.push(log[start..].to_vec());
    parts
}

#[test]
fn rotated_and_gzipped_sets_given_in_any_order_read_as_one_stream() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 7,
        ..Config::default()
    });
    let parts = split_lines(&log, 4);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // Oldest is .3; .2 is gzipped as two members (logrotate + concatenation does that).
    write(&dir.join("atlassian-jira.log.3"), &parts[0]);
    let half = parts[1].len() / 2;
    let mut two_members = gzip(&parts[1][..half]);
    two_members.extend(gzip(&parts[1][half..]));
    write(&dir.join("atlassian-jira.log.2.gz"), &two_members);
    write(&dir.join("atlassian-jira.log.1"), &parts[2]);
    write(&dir.join("atlassian-jira.log"), &parts[3]);
    let names = [
        "atlassian-jira.log.1",
        "atlassian-jira.log",
        "atlassian-jira.log.3",
        "atlassian-jira.log.2.gz",
    ];
    let shuffled: Vec<String> = names
        .iter()
        .map(|n| dir.join(n).to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = shuffled.iter().map(String::as_str).collect();
    let j = summarize_json(&args);
    assert_matches(&j, &e);
    let files: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files[0].ends_with(".log.3") && files[3].ends_with("atlassian-jira.log"),
        "{files:?}"
    );
    // The directory form finds the same set.
    let j2 = summarize_json(&[dir.to_str().unwrap()]);
    assert_eq!(counts(&j2), counts(&j));
}

#[test]
fn crlf_invalid_utf8_a_truncated_last_line_and_a_10_mb_line() {
    let (mut log, e) = generated(&Config {
        bytes: 1 << 20,
        crlf: true,
        seed: 9,
        ..Config::default()
    });
    // A 10 MB line in the middle, and invalid UTF-8 in an ordinary line.
    let mid = log.len() / 2;
    let mid = mid + log[mid..].iter().position(|&c| c == b'\n').unwrap() + 1;
    let mut huge = b"2022-10-11 15:04:09,100+0000 main INFO      [c.a.Foo] ".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 << 20));
    huge.extend_from_slice(b" \xff\xfe\r\n");
    log.splice(mid..mid, huge);
    // A truncated last line (a crash mid-write).
    log.extend_from_slice(b"2022-10-11 15:04:09,100+0000 http-nio-8080-exec-1 TRACE anonymous 1x9x1 - 10.0.0.1 /rest/api/2/x [c.a.pats.service.DefaultTok");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, &log);
    let j = summarize_json(&[p.to_str().unwrap()]);
    assert_matches(&j, &e);
    assert_eq!(j["lines"].as_u64().unwrap(), e.lines + 2);
}

#[test]
fn invalid_utf8_in_a_token_name_is_shown_lossily() {
    let kb = std::fs::read(KB).unwrap();
    let bad = String::from_utf8_lossy(&kb)
        .replace("name=test", "name=t\u{1}st")
        .into_bytes();
    let bad: Vec<u8> = bad.iter().map(|&c| if c == 1 { 0xff } else { c }).collect();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.log");
    write(&p, &bad);
    let j = summarize_json(&[p.to_str().unwrap()]);
    assert_eq!(j["tokens"][0]["name"], "t\u{fffd}st");
}

/// Keep only the lines a profile would have let through.
fn only(log: &[u8], keep: impl Fn(&str) -> bool) -> Vec<u8> {
    String::from_utf8_lossy(log)
        .lines()
        .filter(|l| !l.contains("[c.a.p") || keep(l))
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

#[test]
fn what_each_profile_leaves_in_the_log_is_understood() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 11,
        ..Config::default()
    });
    let d = tempfile::tempdir().unwrap();
    let run = |name: &str, bytes: Vec<u8>| {
        let p = d.path().join(name);
        write(&p, &bytes);
        summarize_json(&[p.to_str().unwrap()])
    };
    let successes: std::collections::BTreeMap<String, u64> =
        e.tokens.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let requests = |j: &Value| -> std::collections::BTreeMap<String, u64> {
        counts(j)
            .0
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .filter(|(_, v)| *v > 0)
            .collect()
    };

    // pats-filter-trace: Auth SUCCESS alone names user and token.
    let j = run("filter.log", only(&log, |l| l.contains("web.filter.")));
    assert_eq!(requests(&j), successes, "filter TRACE");
    assert_eq!(counts(&j).1, e.unknown, "failures name their token id");
    assert_eq!(j["no_verdict"], 0, "the filter logs every verdict");

    // pats-service-trace: TokenDTO is the success; no filter lines at all.
    let j = run(
        "service.log",
        only(&log, |l| l.contains("[c.a.pats.service.")),
    );
    assert_eq!(requests(&j), successes, "service TRACE");
    // No verdict is logged at this level: a token id that never reaches its record failed.
    assert_eq!(j["no_verdict"], 0);
    let failed: u64 = e.tokens.values().map(|c| c.1).sum();
    assert_eq!(counts(&j).0.values().map(|c| c.1).sum::<u64>(), failed);
    assert!(j["tokens"][0]["name"].is_string());

    // pats-debug: users, no tokens.
    let j = run("debug.log", only(&log, |l| l.contains(" DEBUG ")));
    assert!(j["tokens"].as_array().unwrap().is_empty());
    let by_user: u64 = j["unidentified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(by_user, successes.values().sum::<u64>());
}

#[test]
fn jsonl_csv_and_sql_and_no_hash_anywhere() {
    let (log, e) = generated(&Config {
        bytes: 512 << 10,
        seed: 3,
        ..Config::default()
    });
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, &log);
    let p = p.to_str().unwrap();
    let mut all = String::new();
    for f in ["table", "json", "csv", "jsonl", "sql"] {
        let out = bin()
            .args(["summarize", p, "--format", f])
            .output()
            .unwrap();
        assert!(out.status.success());
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        if f == "jsonl" {
            let s = String::from_utf8_lossy(&out.stdout).into_owned();
            let ok = s
                .lines()
                .filter(|l| l.contains("\"outcome\":\"success\""))
                .count() as u64;
            assert_eq!(ok, e.tokens.values().map(|c| c.0).sum::<u64>());
            for l in s.lines() {
                let _: Value = serde_json::from_str(l).unwrap();
            }
        }
        if f == "csv" {
            let s = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(s.starts_with("token_id,name,user_key,username,"));
            assert_eq!(s.lines().count(), 1 + e.tokens.len());
            assert!(s.contains("\"ci, deploy (prod)=1\""));
        }
        if f == "sql" {
            let s = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(s.contains("FROM \"AO_81F455_PERSONAL_TOKEN\""));
            assert!(s.contains("012345678901"), "leading zero kept: {s}");
        }
    }
    assert!(
        !all.contains("PKCS5S2") && !all.contains("iOmgEVwCp"),
        "a hashed token leaked"
    );
    let my = bin()
        .args(["summarize", p, "--format", "sql", "--dialect", "mysql"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&my.stdout).contains("FROM `AO_81F455_PERSONAL_TOKEN`"));
}

#[test]
fn filters_by_time_user_and_token() {
    let j = summarize_json(&[KB, "--owner", "ADMIN"]);
    assert_eq!(j["tokens"].as_array().unwrap().len(), 1);
    let j = summarize_json(&[KB, "--owner", "jdoe"]);
    assert!(j["tokens"].as_array().unwrap().is_empty());
    // The former spelling: nothing logs in here, so --user is still the owner, with a note.
    let out = bin()
        .args(["summarize", KB, "--format", "json", "--user", "jdoe"])
        .env_remove("JIRA_USER")
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["tokens"].as_array().unwrap().is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--user jdoe is read as --owner jdoe"), "{err}");
    let j = summarize_json(&[
        KB,
        "--token",
        "355510638677",
        "--since",
        "2022-10-11T15:00:00Z",
    ]);
    assert_eq!(j["tokens"].as_array().unwrap().len(), 1);
    let j = summarize_json(&[KB, "--until", "2022-10-11 15:04"]);
    assert!(j["tokens"].as_array().unwrap().is_empty());
    bin()
        .args(["summarize", KB, "--since", "yesterday"])
        .assert()
        .failure();
}

#[test]
fn stdin_plain_and_gzipped() {
    let kb = std::fs::read(KB).unwrap();
    for input in [kb.clone(), gzip(&kb)] {
        let out = bin()
            .args(["summarize", "-", "--format", "json"])
            .write_stdin(input)
            .output()
            .unwrap();
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["tokens"][0]["token_id"], "355510638677");
    }
}

fn one_line_error(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn bad_input_gets_one_clear_line_and_a_failure_exit() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope.log");
    assert!(one_line_error(&["summarize", missing.to_str().unwrap()]).contains("no such file"));
    assert!(one_line_error(&["summarize", d.path().to_str().unwrap()])
        .contains("no atlassian-jira.log"));
    let gz = d.path().join("atlassian-jira.log.1.gz");
    let mut broken = gzip(&std::fs::read(KB).unwrap());
    broken.truncate(broken.len() / 2);
    write(&gz, &broken);
    // A damaged file is no error: it is read up to the damage, and the report says so.
    let out = bin()
        .args(["summarize", gz.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("warning: ") && e.contains("gzip") && e.contains("atlassian-jira.log.1.gz"),
        "{e}"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["partial"][0].as_str().unwrap().contains("gzip"), "{j}");
}

#[test]
fn a_file_that_is_not_a_jira_log_gives_an_empty_summary_and_a_warning() {
    let out = bin()
        .args(["summarize", "Cargo.toml", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["tokens"].as_array().unwrap().is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: Cargo.toml"));
}

fn pat_for(id: &str) -> String {
    use base64::Engine;
    let mut raw = id.as_bytes().to_vec();
    raw.push(b':');
    raw.extend([0xA5u8; 20]);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[test]
fn token_id_reads_stdin_or_the_environment_never_argv() {
    let pat = pat_for("012345678901");
    bin()
        .arg("token-id")
        .write_stdin(format!("{pat}\n"))
        .assert()
        .success()
        .stdout("012345678901\n");
    bin()
        .arg("token-id")
        .env("JIRA_TOKEN", &pat)
        .write_stdin("")
        .assert()
        .success()
        .stdout("012345678901\n");
    let out = bin()
        .arg("token-id")
        .write_stdin("bm90IGEgdG9rZW4=")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("not a Jira personal access token") && !err.contains("bm90IGEgdG9rZW4="),
        "{err}"
    );
    // There is no way to pass the token as an argument.
    bin().args(["token-id", &pat]).assert().failure();
}

#[allow(dead_code)]
fn _paths(_: PathBuf) {}

fn summarize_full(args: &[&str]) -> (Value, String) {
    let out = bin()
        .arg("summarize")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn users_without_token(j: &Value) -> u64 {
    j["unidentified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["requests"].as_u64().unwrap())
        .sum()
}

#[test]
fn the_nightly_pruning_job_is_no_request_of_anyone() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 21,
        pruning_share: 0.01,
        ..Config::default()
    });
    assert!(e.pruning_runs > 3, "the job ran: {}", e.pruning_runs);
    let d = tempfile::tempdir().unwrap();
    let full = d.path().join("full.log");
    write(&full, &log);
    let j = summarize_json(&[full.to_str().unwrap()]);
    assert_matches(&j, &e);
    assert_eq!(users_without_token(&j), 0, "{}", j["unidentified"]);
    // DEBUG only: each request's `Looking for Jira user` is one request of that user; the
    // job's lines (scheduler thread, no request id) are none.
    let debug = d.path().join("debug.log");
    write(&debug, &only(&log, |l| l.contains(" DEBUG ")));
    let j = summarize_json(&[debug.to_str().unwrap()]);
    let successes: u64 = e.tokens.values().map(|c| c.0).sum();
    assert_eq!(users_without_token(&j), successes);
    assert!(!j["unidentified"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["user_key"] == genlog::DELETED_OWNER));
}

#[test]
fn a_wrong_secret_is_a_failure_of_its_token_id_even_when_the_user_key_is_twelve_digits() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 5,
        failure_share: 0.4,
        ..Config::default()
    });
    let numeric = e.tokens["505050505050"];
    assert!(
        numeric.0 > 0 && numeric.1 > 0,
        "the twelve-digit user's token succeeded and failed: {numeric:?}"
    );
    let d = tempfile::tempdir().unwrap();
    let full = d.path().join("full.log");
    write(&full, &log);
    let j = summarize_json(&[full.to_str().unwrap()]);
    assert_matches(&j, &e);
    // Filter TRACE only: no `Got tokenId`, the token id comes from the failure's text,
    // which names the user key `100200300400` first.
    let filter = d.path().join("filter.log");
    write(&filter, &only(&log, |l| l.contains("web.filter.")));
    let j = summarize_json(&[filter.to_str().unwrap()]);
    assert_matches_ignoring_pat_lines(&j, &e);
    assert_eq!(j["unattributed_failures"], 0);
    // A DEBUG-only view sees no failure at all (no `Not a valid password!` for a mismatch).
    let debug = d.path().join("debug.log");
    write(&debug, &only(&log, |l| l.contains(" DEBUG ")));
    let j = summarize_json(&[debug.to_str().unwrap()]);
    assert_eq!(j["unattributed_failures"], 0);
    assert!(j["tokens"].as_array().unwrap().is_empty());
    assert!(j["failed_token_ids"].as_array().unwrap().is_empty());
}

fn assert_matches_ignoring_pat_lines(j: &Value, e: &Expected) {
    let (tokens, unknown) = counts(j);
    assert_eq!(tokens, e.tokens, "per-token (requests, failures)");
    assert_eq!(unknown, e.unknown, "unknown token ids");
}

#[test]
fn bearer_values_that_are_no_pat_are_reported_apart() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 13,
        not_pat_share: 0.1,
        ..Config::default()
    });
    assert!(e.not_pat > 3, "{}", e.not_pat);
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, &log);
    let p = p.to_str().unwrap();
    let j = summarize_json(&[p]);
    assert_matches(&j, &e);
    let np = &j["not_pat_bearer"];
    assert_eq!(np["requests"].as_u64(), Some(e.not_pat));
    for (list, key) in [("ips", "ip"), ("paths", "path")] {
        let entries = np[list].as_array().unwrap();
        assert!(entries.iter().all(|x| x[key].is_string()));
        let sum: u64 = entries
            .iter()
            .map(|x| x["requests"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, e.not_pat, "{list}");
    }
    assert_eq!(j["unattributed_failures"], 0, "no PAT failure");

    let run = |f: &str| {
        let out = bin()
            .args(["summarize", p, "--format", f])
            .output()
            .unwrap();
        assert!(out.status.success());
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (table, _) = run("table");
    assert!(
        table.contains("Bearer credentials that are not personal access tokens")
            && table.contains(&format!("{} request(s)", e.not_pat)),
        "{table}"
    );
    let (jsonl, _) = run("jsonl");
    let events: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let not_pat: Vec<&Value> = events
        .iter()
        .filter(|v| v["outcome"] == "not_pat")
        .collect();
    assert_eq!(not_pat.len() as u64, e.not_pat);
    assert!(not_pat.iter().all(|v| v["token_id"].is_null()));
    let (csv, note) = run("csv");
    assert_eq!(csv.lines().count(), 1 + e.tokens.len(), "tokens only");
    assert!(note.contains("not personal access tokens"), "{note}");
    let (sql, _) = run("sql");
    assert!(
        sql.contains(&format!("-- {} request(s)", e.not_pat)),
        "{sql}"
    );
}

#[test]
fn per_token_ips_and_paths_add_up_to_its_requests_and_failures() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 17,
        failure_share: 0.3,
        ..Config::default()
    });
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, &log);
    let j = summarize_json(&[p.to_str().unwrap()]);
    assert_matches(&j, &e);
    let tokens = j["tokens"].as_array().unwrap();
    assert!(tokens.iter().any(|t| t["failures"].as_u64().unwrap() > 0));
    for t in tokens {
        for list in ["ips", "paths"] {
            let entries = t[list].as_array().unwrap();
            let sum = |k: &str| -> u64 { entries.iter().map(|x| x[k].as_u64().unwrap()).sum() };
            assert_eq!(
                sum("requests"),
                t["requests"].as_u64().unwrap(),
                "{list} {t}"
            );
            assert_eq!(
                sum("failures"),
                t["failures"].as_u64().unwrap(),
                "{list} {t}"
            );
        }
    }
    // Table and CSV show failed attempts beside the successes, not mixed into them.
    let text = |f: &str| {
        let out = bin()
            .args(["summarize", p.to_str().unwrap(), "--format", f])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(text("table").contains(" failed)"));
    assert!(text("csv").contains(" failed)"));
}

#[test]
fn a_set_numbered_the_log4j2_max_way_is_read_in_time_order_and_said_so() {
    let (log, e) = generated(&Config {
        bytes: 1 << 20,
        seed: 19,
        concurrency: 16,
        ..Config::default()
    });
    let parts = split_lines(&log, 4);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // fileIndex="max": `.1` is the oldest backup, `.3` the newest.
    write(&dir.join("atlassian-jira.log.1"), &parts[0]);
    write(&dir.join("atlassian-jira.log.2.gz"), &gzip(&parts[1]));
    write(&dir.join("atlassian-jira.log.3"), &parts[2]);
    write(&dir.join("atlassian-jira.log"), &parts[3]);
    let (j, err) = summarize_full(&[dir.to_str().unwrap()]);
    assert_matches(&j, &e);
    let files: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files[0].ends_with(".log.1")
            && files[1].ends_with(".log.2.gz")
            && files[2].ends_with(".log.3")
            && files[3].ends_with("atlassian-jira.log"),
        "{files:?}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("note:")).count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("times inside") && err.contains("fileIndex=max"),
        "{err}"
    );

    // Numbered the usual way round: no note.
    let d2 = tempfile::tempdir().unwrap();
    write(&d2.path().join("atlassian-jira.log.2"), &parts[0]);
    write(&d2.path().join("atlassian-jira.log.1"), &parts[1]);
    write(&d2.path().join("atlassian-jira.log"), &parts[2]);
    let (_, err) = summarize_full(&[d2.path().to_str().unwrap()]);
    assert!(!err.contains("note:"), "{err}");
}

/// `summarize PATH --format FORMAT` plus `extra`: stdout and stderr, the run a success.
fn summarize_as(path: &str, format: &str, extra: &[&str]) -> (String, String) {
    let out = bin()
        .args(["summarize", path, "--format", format])
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

/// The stderr lines about requests without a verdict.
fn no_verdict_warnings(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.contains("no verdict")).collect()
}

#[test]
fn a_success_in_another_wording_has_no_verdict_in_every_format_and_is_never_a_failure() {
    let (log, e) = generated(&Config {
        bytes: 384 << 10,
        seed: 5,
        ..Config::default()
    });
    let successes: u64 = e.tokens.values().map(|c| c.0).sum();
    let failures: u64 =
        e.tokens.values().map(|c| c.1).sum::<u64>() + e.unknown.values().sum::<u64>();
    assert!(successes > 20 && failures > 0, "{e:?}");
    let d = tempfile::tempdir().unwrap();
    let known = d.path().join("known.log");
    write(&known, &log);
    // Another plugin version words the success line otherwise (jira-facts §2: the wording
    // is known from 1.4.7 only). Everything else is the same log.
    let other = d.path().join("reworded.log");
    let reworded = String::from_utf8_lossy(&log).replace(
        "] Auth SUCCESS for user: [",
        "] Token authentication succeeded for user: [",
    );
    write(&other, reworded.as_bytes());

    let (out, err) = summarize_as(known.to_str().unwrap(), "json", &[]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["no_verdict"], 0);
    assert!(no_verdict_warnings(&err).is_empty(), "{err}");

    let other = other.to_str().unwrap();
    let (out, err) = summarize_as(other, "json", &[]);
    let j: Value = serde_json::from_str(&out).unwrap();
    // What was a success has no verdict; every failure is still one, under its token.
    let want: std::collections::BTreeMap<String, (u64, u64, u64)> = e
        .tokens
        .iter()
        .map(|(id, (ok, failed))| (id.clone(), (0, *failed, *ok)))
        .collect();
    assert_eq!(common::outcomes_per_token(&j), want);
    assert_eq!(counts(&j).1, e.unknown, "unknown ids still failed");
    assert_eq!(j["not_pat_bearer"]["requests"].as_u64().unwrap(), e.not_pat);
    assert_eq!(j["no_verdict"].as_u64().unwrap(), successes);
    assert_eq!(j["notes"][0]["kind"], "no_verdict", "{}", j["notes"]);
    // One warning line: how many, why, and what to run.
    let warned = no_verdict_warnings(&err);
    assert_eq!(warned.len(), 1, "{err}");
    let w = warned[0];
    assert!(
        w.starts_with(&format!(
            "warning: {successes} token request(s) have no verdict"
        )),
        "{w}"
    );
    for why in [
        "another PAT plugin version's wording",
        "a log cut mid-request",
        "counted neither as requests nor as failures",
        "jira-patrol diagnose",
    ] {
        assert!(w.contains(why), "{why}: {w}");
    }

    let (table, err) = summarize_as(other, "table", &[]);
    assert_eq!(no_verdict_warnings(&err).len(), 1, "{err}");
    assert!(
        table.contains(&format!(
            "Note: {successes} token request(s) have no verdict"
        )),
        "{table}"
    );

    let (csv_text, err) = summarize_as(other, "csv", &[]);
    assert_eq!(no_verdict_warnings(&err).len(), 1, "{err}");
    let mut csv = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (req, fail, nv) = (col("requests"), col("failures"), col("no_verdict"));
    let mut sums = (0, 0, 0);
    for row in csv.records() {
        let row = row.unwrap();
        let n = |i: usize| row[i].parse::<u64>().unwrap();
        sums = (sums.0 + n(req), sums.1 + n(fail), sums.2 + n(nv));
    }
    let token_failures: u64 = e.tokens.values().map(|c| c.1).sum();
    assert_eq!(sums, (0, token_failures, successes));

    let (events, err) = summarize_as(other, "jsonl", &[]);
    assert_eq!(no_verdict_warnings(&err).len(), 1, "{err}");
    let outcome = |o: &str| {
        events
            .lines()
            .filter(|l| l.contains(&format!("\"outcome\":\"{o}\"")))
            .count() as u64
    };
    assert_eq!(outcome("no_verdict"), successes);
    assert_eq!(outcome("success"), 0);
    assert_eq!(outcome("failure"), failures);
}

#[test]
fn a_log_cut_mid_request_gives_no_verdict_never_a_failure() {
    let (log, _) = generated(&Config {
        bytes: 128 << 10,
        seed: 8,
        concurrency: 8,
        ..Config::default()
    });
    let text = String::from_utf8_lossy(&log);
    let lines: Vec<&str> = text.lines().collect();
    // Cut right after a `Got tokenId` of a request that was to succeed, halfway through.
    let field = |l: &str, i: usize| l.split_whitespace().nth(i).unwrap_or("").to_string();
    let cut = (lines.len() / 2..lines.len())
        .find(|&i| {
            lines[i].contains("] Got tokenId: [")
                && lines[i..]
                    .iter()
                    .find(|l| field(l, 5) == field(lines[i], 5) && l.contains("] Auth "))
                    .is_some_and(|l| l.contains("Auth SUCCESS"))
        })
        .unwrap();
    let kept = &lines[..=cut];
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("atlassian-jira.log");
    write(&p, format!("{}\n", kept.join("\n")).as_bytes());
    let (out, err) = summarize_as(p.to_str().unwrap(), "json", &[]);
    let j: Value = serde_json::from_str(&out).unwrap();

    // At full TRACE every verdict is a line: what the cut log holds is what is reported.
    let count = |f: &dyn Fn(&str) -> bool| kept.iter().filter(|l| f(l)).count() as u64;
    let successes = count(&|l| l.contains("] Auth SUCCESS for user: ["));
    let failures = count(&|l| l.contains("] Auth failure: [") && !l.contains("base64"));
    let read: std::collections::BTreeSet<String> = kept
        .iter()
        .filter(|l| l.contains("] Got tokenId: ["))
        .map(|l| field(l, 5))
        .collect();
    let tokens = common::outcomes_per_token(&j);
    let reported_failures = tokens.values().map(|t| t.1).sum::<u64>()
        + counts(&j).1.values().sum::<u64>()
        + j["unattributed_failures"].as_u64().unwrap();
    assert_eq!(tokens.values().map(|t| t.0).sum::<u64>(), successes);
    assert_eq!(
        reported_failures, failures,
        "no cut request became a failure"
    );
    let no_verdict = j["no_verdict"].as_u64().unwrap();
    assert!(no_verdict >= 1, "the request cut after its token id");
    assert_eq!(successes + failures + no_verdict, read.len() as u64);
    assert_eq!(no_verdict_warnings(&err).len(), 1, "{err}");
}

#[test]
fn token_dates_read_in_their_lines_offset_are_noted_once() {
    let note =
        "(created and expiry in TokenDTO, expiry in Auth SUCCESS) are in Jira's JVM time zone";
    // Lines at +00:00 read on a machine in Tokyo, without --tz: the dates are read at the
    // lines' offset, and the report says so.
    let run = |tz: &str, extra: &[&str], format: &str| {
        let out = bin()
            .env("TZ", tz)
            .args(["summarize", KB, "--format", format])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (out, _) = run("Asia/Tokyo", &[], "json");
    let j: Value = serde_json::from_str(&out).unwrap();
    let notes = j["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["kind"], "token_dates_in_line_offset");
    let text = notes[0]["text"].as_str().unwrap();
    assert!(
        text.contains(note) && text.contains("an hour off") && text.contains("--tz"),
        "{text}"
    );
    assert_eq!(
        j["tokens"][0]["created_at"],
        "2022-10-11T14:51:57.933+00:00"
    );
    let (table, _) = run("Asia/Tokyo", &[], "table");
    assert_eq!(table.matches(note).count(), 1, "once: {table}");
    let (_, err) = run("Asia/Tokyo", &[], "csv");
    assert_eq!(err.matches(note).count(), 1, "{err}");
    // --tz names the JVM's zone: nothing to say. Nor when the machine's zone gives the
    // lines' offset.
    for (tz, extra) in [("Asia/Tokyo", &["--tz", "UTC"][..]), ("UTC", &[])] {
        let (out, _) = run(tz, extra, "json");
        let j: Value = serde_json::from_str(&out).unwrap();
        assert!(j.get("notes").is_none(), "{tz} {extra:?}: {}", j["notes"]);
    }
}
