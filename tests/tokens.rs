//! The token inventory against the simulated Jira: `jira-patrol tokens` lists every token
//! (paged, filtered, as table/json/csv), refuses with one line for a non-admin or a Server
//! licence; a capture and `summarize --inventory` list the tokens not used in the window,
//! by name with their database ids, and give seen tokens their database id.

mod common;

use common::{output, wait_level, Homes};
use jira_patrol::capture::selfcheck::TOKEN_NAME as SELF_CHECK_TOKEN;
use jira_sim::traffic::{self, TrafficOptions};
use jira_sim::Level;
use jira_sim::{SimConfig, SimJira};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn data_center() -> SimJira {
    SimJira::start(SimConfig {
        data_center: true,
        ..SimConfig::default()
    })
    .unwrap()
}

fn cmd(url: &str, homes: &Homes, user: &str, args: &[&str]) -> Command {
    let mut c = common::isolated(homes.0.path());
    c.env("JIRA_URL", url)
        .env("JIRA_USER", user)
        .env("JIRA_PASSWORD", user)
        .args(args)
        .stdin(Stdio::null());
    c
}

fn tokens(sim: &SimJira, user: &str, args: &[&str]) -> Output {
    let homes = Homes::new();
    let mut all = vec!["tokens"];
    all.extend(args);
    cmd(&sim.url(), &homes, user, &all).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A report time as every table shows it: to the second, in its own offset.
fn shown_time(v: &Value) -> String {
    v.as_str().unwrap()[..19].replace('T', " ")
}

/// (id, name) of each listed token.
fn listed(j: &Value) -> BTreeSet<(u64, String)> {
    j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_u64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn all_of(sim: &SimJira) -> BTreeSet<(u64, String)> {
    sim.tokens()
        .iter()
        .map(|t| (t.id, t.name.clone()))
        .collect()
}

#[test]
fn lists_every_token_with_its_owner_as_json_and_csv() {
    let sim = data_center();
    let j = json(&tokens(&sim, "admin", &["--format", "json"]));
    assert_eq!(listed(&j), all_of(&sim));
    for t in sim.tokens() {
        let row = j["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == t.id)
            .unwrap();
        assert_eq!(row["user_key"], t.user_key.as_str());
        assert_eq!(row["name"], t.name.as_str());
        assert_eq!(
            row["last_accessed_at"].is_null(),
            t.last_accessed_at.is_none()
        );
        assert_eq!(row["expires_at"].is_null(), t.expiring_at.is_none());
        assert!(row["days_idle"].as_u64().is_some(), "{row}");
    }
    let jdoe = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "old laptop")
        .unwrap();
    assert_eq!(jdoe["username"], "jdoe");
    assert_eq!(jdoe["user_key"], "JIRAUSER10100");

    let out = tokens(&sim, "admin", &["--format", "csv"]);
    assert!(out.status.success());
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "id",
            "user_key",
            "username",
            "name",
            "created_at",
            "expires_at",
            "last_accessed_at",
            "days_idle"
        ]
    );
    let rows: BTreeSet<(u64, String)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].parse().unwrap(), rec[3].to_string())
        })
        .collect();
    assert_eq!(rows, all_of(&sim));

    let out = tokens(&sim, "admin", &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Jira→Slack «bridge» ü"), "{text}");
    assert!(text.contains("batches about every minute"), "{text}");
}

#[test]
fn filters_by_owner_idleness_and_expiry() {
    let sim = data_center();
    let names = |args: &[&str]| -> BTreeSet<String> {
        let mut a = vec!["--format", "json"];
        a.extend(args);
        listed(&json(&tokens(&sim, "admin", &a)))
            .into_iter()
            .map(|(_, n)| n)
            .collect()
    };
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        names(&["--owner", "jdoe"]),
        set(&["Jira→Slack «bridge» ü", "old laptop"])
    );
    assert_eq!(
        names(&["--owner", "JIRAUSER10100", "--owner", "gone"]),
        set(&["Jira→Slack «bridge» ü", "old laptop", "cron job"])
    );
    // Seeded: last used 60 and 500 days ago; never used, created 40 days ago.
    assert_eq!(
        names(&["--unused-for", "30d"]),
        set(&["old laptop", "legacy sync", "Jira→Slack «bridge» ü"])
    );
    // Expires in 77 days; expired 35 days ago.
    assert_eq!(
        names(&["--expiring-within", "90d"]),
        set(&["test", "old laptop"])
    );
    assert_eq!(
        names(&["--expiring-within", "90d", "--owner", "admin"]),
        set(&["test"])
    );
}

/// `--user` is the login name in every command; `tokens --user NAME` used to pick an owner.
/// Where it cannot be a login (a token logs in, no password set) it still does, with a note;
/// where it contradicts JIRA_USER it is refused before any request (a wrong login counts
/// against that account); `--login`, the former login flag, still logs in.
#[test]
fn user_is_the_login_and_the_former_owner_filter_is_kept_with_a_note() {
    let sim = data_center();
    let homes = Homes::new();
    let admin_pat = sim
        .tokens()
        .into_iter()
        .find(|t| t.owner == "admin")
        .unwrap()
        .raw;
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = common::isolated(homes.0.path());
        c.env("JIRA_URL", sim.url())
            .args(["tokens", "--format", "json"])
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let names = |out: &Output| -> BTreeSet<String> {
        listed(&json(out)).into_iter().map(|(_, n)| n).collect()
    };
    let jdoe = BTreeSet::from(["Jira→Slack «bridge» ü".to_string(), "old laptop".into()]);

    // A token logs in: --user jdoe can only be the owner filter it was.
    let out = run(&[("JIRA_TOKEN", &admin_pat)], &["--user", "jdoe"]);
    assert_eq!(names(&out), jdoe);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("note: --user jdoe is read as --owner jdoe"),
        "{err}"
    );

    // A password login: --user is the login name, and no filter.
    let out = run(&[("JIRA_PASSWORD", "admin")], &["--user", "admin"]);
    assert_eq!(listed(&json(&out)), all_of(&sim));

    // --user and JIRA_USER disagree: refused, nothing sent.
    let before = sim.request_count();
    let out = run(
        &[("JIRA_USER", "admin"), ("JIRA_PASSWORD", "admin")],
        &["--user", "jdoe"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--owner jdoe") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(sim.request_count(), before, "nothing reached Jira");

    // The former login flag.
    let out = run(
        &[("JIRA_PASSWORD", "admin")],
        &["--login", "admin", "--owner", "jdoe"],
    );
    assert_eq!(names(&out), jdoe);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--login is now --user"));
}

#[test]
fn pages_are_all_read() {
    let sim = SimJira::start(SimConfig {
        data_center: true,
        token_search_max_page: 3,
        ..SimConfig::default()
    })
    .unwrap();
    let j = json(&tokens(&sim, "admin", &["--format", "json"]));
    assert_eq!(j["tokens"].as_array().unwrap().len(), sim.tokens().len());
    assert_eq!(listed(&j), all_of(&sim));
    let access = sim.access_log();
    let searches = access
        .lines()
        .filter(|l| l.contains("POST /rest/pat/latest/tokens/search"))
        .count();
    assert_eq!(searches, 3, "8 tokens at 3 a page\n{access}");
}

fn one_line_refusal(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err}");
}

#[test]
fn a_non_admin_and_a_server_licence_get_one_line_and_exit_1() {
    let sim = data_center();
    // The plugin's 401 AuthorisationException: a permission, not a password, and no reason
    // to log in again.
    one_line_refusal(
        &tokens(&sim, "jdoe", &[]),
        "'jdoe' is not a System Administrator",
    );
    let access = sim.access_log();
    let logins = access
        .lines()
        .filter(|l| l.contains("POST /rest/auth/1/session"))
        .count();
    assert_eq!(logins, 1, "{access}");
    let server = SimJira::start(SimConfig::default()).unwrap();
    one_line_refusal(&tokens(&server, "admin", &[]), "Data Center");
}

#[test]
fn the_search_takes_its_defaults_from_the_body_and_wants_an_admin() {
    let sim = data_center();
    let http = reqwest::blocking::Client::new();
    let post = |user: &str, body: &str| {
        http.post(format!("{}/rest/pat/latest/tokens/search", sim.url()))
            .basic_auth(user, Some(user))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    assert_eq!(
        post("admin", "{}").status().as_u16(),
        200,
        "sortBy defaults to name"
    );
    assert_eq!(
        post("admin", r#"{"sortBy":"colour"}"#).status().as_u16(),
        400
    );
    assert_eq!(post("jdoe", r#"{"sortBy":"name"}"#).status().as_u16(), 401);
    let ok = post("admin", r#"{"sortBy":"name","limit":2}"#);
    assert_eq!(ok.status().as_u16(), 200);
    let v: Value = ok.json().unwrap();
    assert_eq!(v["values"].as_array().unwrap().len(), 2);
    assert_eq!(v["isLastPage"], false);
    assert_eq!(v["values"][0]["name"], "Jira→Slack «bridge» ü");
    assert_eq!(v["values"][0]["userProfileResource"]["username"], "jdoe");
}

/// A token made for the test and never used.
const FRESH: &str = "never used by anyone";

/// Jdoe makes a token over REST (Basic auth), then never uses it.
fn make_fresh_token(sim: &SimJira) {
    let a = reqwest::blocking::Client::new()
        .post(format!("{}/rest/pat/latest/tokens", sim.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .header("X-Atlassian-Token", "no-check")
        .json(&serde_json::json!({"name": FRESH, "expirationDuration": 30}))
        .send()
        .unwrap();
    assert_eq!(a.status().as_u16(), 201);
}

/// (id, name) of an inventory group's tokens.
fn group(inv: &Value, name: &str) -> BTreeSet<(u64, String)> {
    inv[name]
        .as_array()
        .unwrap_or_else(|| panic!("no {name}: {inv}"))
        .iter()
        .map(|t| {
            (
                t["id"].as_u64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every seen token has its database id and its name (from the log, else the inventory);
/// no seen token is in any inventory group; the expired token is expired, not unused; the
/// other tokens not seen are unused, and the groups add up to every token.
fn check_inventory(j: &Value, sim: &SimJira) {
    let inv = &j["inventory"];
    let seen: BTreeSet<u64> = j["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["token_id"].as_str().unwrap();
            let db = t["db_id"]
                .as_u64()
                .unwrap_or_else(|| panic!("no db_id: {t}"));
            let row = sim.token(id).unwrap();
            assert_eq!(db, row.id, "{t}");
            assert_eq!(t["name"], row.name.as_str(), "{t}");
            db
        })
        .collect();
    assert!(!seen.is_empty());
    let expired: BTreeSet<(u64, String)> = sim
        .tokens()
        .iter()
        .filter(|t| t.expired())
        .map(|t| (t.id, t.name.clone()))
        .collect();
    assert_eq!(group(inv, "expired"), expired, "{inv}");
    assert!(expired.iter().any(|(_, n)| n == "old laptop"));
    let laptop = &inv["expired"][0];
    assert!(laptop["expires_at"].is_string() && laptop["removed_after"].is_string());
    let expected: BTreeSet<(u64, String)> = sim
        .tokens()
        .iter()
        .filter(|t| !seen.contains(&t.id) && t.name != SELF_CHECK_TOKEN && !t.expired())
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let unused = group(inv, "unused");
    assert_eq!(unused, expected, "{inv}");
    assert!(group(inv, "cannot_tell").is_empty(), "{inv}");
    assert!(unused.contains(&(8, "legacy sync".into())));
    let fresh = sim.tokens().iter().find(|t| t.name == FRESH).unwrap().id;
    assert!(unused.contains(&(fresh, FRESH.into())), "{inv}");
    assert!(!unused.iter().any(|(_, n)| n == SELF_CHECK_TOKEN));
    assert_eq!(
        inv["tokens"].as_u64().unwrap(),
        (seen.len() + unused.len() + expired.len()) as u64
    );
    let fresh = inv["unused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == fresh)
        .unwrap();
    assert_eq!(fresh["user_key"], "JIRAUSER10100");
    assert_eq!(fresh["username"], "jdoe");
    assert!(fresh["last_accessed_at"].is_null());
    assert!(fresh["expires_at"].is_string());
    assert!(
        inv["note"]
            .as_str()
            .unwrap()
            .contains("batches about every minute"),
        "{inv}"
    );
}

/// A capture at `profile` of `sim` while the standard traffic runs, as JSON.
fn capture_during_traffic(sim: &SimJira, profile: &str, raised: (&str, Level)) -> Value {
    let homes = Homes::new();
    let log = sim.log_path().display().to_string();
    let child = cmd(
        &sim.url(),
        &homes,
        "admin",
        &[
            "capture",
            "--profile",
            profile,
            "--for",
            "4s",
            "--format",
            "json",
            "--log",
            &log,
        ],
    )
    .env("JIRA_PATROL_CHECK_EVERY_MS", "300")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_level(sim, raised.0, raised.1, Duration::from_secs(60));
    let gate = sim.hold_level_changes();
    traffic::run(
        &sim.url(),
        &traffic::standard_mix(sim.accounts(), 3),
        &TrafficOptions::default(),
    );
    drop(gate);
    let (out, err) = output(child);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("no token inventory"), "{err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_filter_trace_capture_ties_its_tokens_by_database_id_and_lists_no_used_one() {
    let sim = data_center();
    make_fresh_token(&sim);
    let j = capture_during_traffic(
        &sim,
        "pats-filter-trace",
        ("com.atlassian.pats.web.filter", Level::Trace),
    );
    // The log names no token; `Storing auth time` gives each one's row, the inventory the rest.
    check_inventory(&j, &sim);
    let used = [
        "test",
        "ci, deploy (prod)=1",
        "Jira→Slack «bridge» ü",
        "nightly export",
    ];
    for name in used {
        assert!(
            j["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == name),
            "{name}: {j}"
        );
    }
}

#[test]
fn a_debug_capture_cannot_tell_for_the_users_it_saw_and_says_why() {
    let sim = data_center();
    make_fresh_token(&sim);
    let j = capture_during_traffic(&sim, "pats-debug", ("com.atlassian.pats", Level::Debug));
    assert!(j["tokens"].as_array().unwrap().is_empty(), "{j}");
    let inv = &j["inventory"];
    let undecided: BTreeSet<String> = inv["cannot_tell"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["why"], "owner_seen_without_token", "{t}");
            assert!(t["owner_requests"].as_u64().unwrap() > 0, "{t}");
            t["name"].as_str().unwrap().to_string()
        })
        .collect();
    // Every valid token of the users seen (admin, jdoe, the leaver whose attempt reads
    // like a request at DEBUG, the twelve-digit user); the fresh token is jdoe's too.
    let expected: BTreeSet<String> = sim
        .tokens()
        .iter()
        .filter(|t| {
            ["admin", "jdoe", "gone", "100200300400"].contains(&t.owner.as_str()) && !t.expired()
        })
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(undecided, expected, "{inv}");
    assert!(undecided.contains(FRESH));
    // Not seen at all: unused. Expired: expired, even though its owner was seen.
    assert_eq!(
        group(inv, "unused"),
        BTreeSet::from([(8, "legacy sync".to_string())])
    );
    assert_eq!(
        group(inv, "expired"),
        BTreeSet::from([(4, "old laptop".to_string())])
    );
}

#[test]
fn a_capture_reports_the_unused_tokens_and_the_seen_ones_database_ids() {
    let sim = data_center();
    make_fresh_token(&sim);
    let j = capture_during_traffic(
        &sim,
        "pats-trace",
        (jira_sim::loggers::FILTER, Level::Trace),
    );
    check_inventory(&j, &sim);

    // --no-inventory leaves it out; a Server licence makes it a note, never a failure.
    let server = SimJira::start(SimConfig::default()).unwrap();
    let homes = Homes::new();
    let log = server.log_path().display().to_string();
    let capture = |extra: &[&str]| {
        let mut args = vec![
            "capture",
            "--profile",
            "pats-trace",
            "--for",
            "1s",
            "--format",
            "json",
            "--no-self-check",
            "--log",
            &log,
        ];
        args.extend(extra);
        cmd(&server.url(), &homes, "admin", &args).output().unwrap()
    };
    let out = capture(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no token inventory"), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        j["inventory"]["note"]
            .as_str()
            .unwrap()
            .contains("Data Center"),
        "{j}"
    );
    let out = capture(&["--no-inventory"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("inventory"), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j.get("inventory").is_none(), "{j}");
}

#[test]
fn summarize_with_inventory_lists_unused_tokens_and_prints_the_section() {
    let sim = data_center();
    make_fresh_token(&sim);
    sim.set_level("com.atlassian.pats", Level::Trace);
    traffic::run(
        &sim.url(),
        &traffic::standard_mix(sim.accounts(), 2),
        &TrafficOptions::default(),
    );
    let homes = Homes::new();
    // The logs as they were after the traffic: each summarize's own calls to Jira (the token
    // search, at TRACE) add PAT lines to the live log, and the window's end moves with them.
    let copy = tempfile::tempdir().unwrap();
    let snapshot = copy.path().join("atlassian-jira.log");
    std::fs::copy(sim.log_path(), &snapshot).unwrap();
    let log = snapshot.display().to_string();
    let out = cmd(
        &sim.url(),
        &homes,
        "admin",
        &["summarize", &log, "--format", "json", "--inventory"],
    )
    .output()
    .unwrap();
    let j = json(&out);
    check_inventory(&j, &sim);

    let out = cmd(
        &sim.url(),
        &homes,
        "admin",
        &["summarize", &log, "--inventory"],
    )
    .output()
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let n = j["inventory"]["unused"].as_array().unwrap().len();
    let m = j["inventory"]["tokens"].as_u64().unwrap();
    assert!(
        text.contains(&format!("Tokens not used in the window ({n} of {m})")),
        "{text}"
    );
    assert!(text.contains("legacy sync"), "{text}");
    // The expired token is shown as expired, with when Jira will remove it.
    let expired = j["inventory"]["expired"].as_array().unwrap();
    assert_eq!(expired.len(), 1);
    assert!(
        text.contains(&format!(
            "Expired tokens (1 of {m}): unusable by the window's end, {}; Jira removes each 30 days after its expiry",
            shown_time(&j["inventory"]["as_of"])
        )),
        "{text}"
    );
    let removed = expired[0]["removed_after"].as_str().unwrap();
    let laptop_row = text
        .lines()
        .find(|l| l.contains("old laptop"))
        .unwrap_or_else(|| panic!("{text}"));
    // As every time in a table: to the second, in the offset Jira gave (UTC).
    let removed = removed[..19].replace('T', " ");
    assert!(laptop_row.contains(&removed), "{laptop_row}");

    // With --owner, the other users' tokens were filtered out, not unused.
    let out = cmd(
        &sim.url(),
        &homes,
        "admin",
        &[
            "summarize",
            &log,
            "--format",
            "json",
            "--inventory",
            "--owner",
            "jdoe",
        ],
    )
    .output()
    .unwrap();
    let j = json(&out);
    let owners: BTreeSet<&str> = j["inventory"]["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["username"].as_str().unwrap())
        .collect();
    assert_eq!(owners, BTreeSet::from(["jdoe"]), "{j}");

    // Without --inventory, no look-up at all.
    let out = cmd(
        &sim.url(),
        &homes,
        "admin",
        &["summarize", &log, "--format", "json"],
    )
    .output()
    .unwrap();
    assert!(json(&out).get("inventory").is_none());
}

/// `log` as if written `days` earlier: each line's date moved back (the dates inside the
/// messages, as Jira's database holds them, stay).
fn days_earlier(log: &str, days: i64) -> String {
    log.lines()
        .map(|l| {
            let date = l
                .get(..19)
                .and_then(|d| d.parse::<jiff::civil::DateTime>().ok());
            match date {
                Some(d) => format!(
                    "{}{}\n",
                    (d - jiff::Span::new().days(days)).strftime("%Y-%m-%d %H:%M:%S"),
                    &l[19..]
                ),
                None => format!("{l}\n"),
            }
        })
        .collect()
}

#[test]
fn offline_a_token_is_expired_only_if_it_was_by_the_end_of_the_logs() {
    let sim = data_center();
    sim.set_level("com.atlassian.pats", Level::Trace);
    // Everyone's scripts but the one of the laptop whose token expired five days ago.
    let mix: Vec<_> = traffic::standard_mix(sim.accounts(), 2)
        .into_iter()
        .filter(|c| c.label != "old-laptop")
        .collect();
    traffic::run(&sim.url(), &mix, &TrafficOptions::default());
    let log = std::fs::read_to_string(sim.log_path()).unwrap();
    let laptop = sim
        .tokens()
        .into_iter()
        .find(|t| t.name == "old laptop")
        .unwrap();
    let expiry = laptop.expiring_at.unwrap();
    assert!(laptop.expired());
    let laptop = (laptop.id, laptop.name);
    let homes = Homes::new();
    let dir = tempfile::tempdir().unwrap();
    let summarize = |days: i64, format: &str| {
        let p = dir.path().join(format!("{days}-days-ago.log"));
        std::fs::write(&p, days_earlier(&log, days)).unwrap();
        let p = p.display().to_string();
        cmd(
            &sim.url(),
            &homes,
            "admin",
            &["summarize", &p, "--format", format, "--inventory"],
        )
        .output()
        .unwrap()
    };

    // Logs of ten days ago: the token was usable all through them, and not used.
    let j = json(&summarize(10, "json"));
    let inv = &j["inventory"];
    assert!(!group(inv, "expired").contains(&laptop), "{inv}");
    assert!(group(inv, "unused").contains(&laptop), "{inv}");
    let as_of: jiff::Timestamp = inv["as_of"].as_str().unwrap().parse().unwrap();
    assert!(as_of < expiry, "judged at the logs' end, not now: {inv}");

    // Logs of two days ago: it had expired three days before they end. Expired, and
    // removed by Jira 30 days after its expiry.
    let j = json(&summarize(2, "json"));
    let inv = &j["inventory"];
    let as_of: jiff::Timestamp = inv["as_of"].as_str().unwrap().parse().unwrap();
    assert!(as_of > expiry && as_of < jiff::Timestamp::now(), "{inv}");
    assert_eq!(group(inv, "expired"), BTreeSet::from([laptop.clone()]));
    let removed: jiff::Timestamp = inv["expired"][0]["removed_after"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Report times are to the second.
    let off = removed.as_second() - expiry.as_second() - 30 * 86_400;
    assert!(off.abs() <= 1, "{removed} is not 30 days after {expiry}");
    let out = summarize(2, "table");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "unusable by the window's end, {}",
            shown_time(&inv["as_of"])
        )),
        "{text}"
    );
}
