//! `check`, `level get|set`, `profile apply|revert` and `restore` run as the real binary
//! against the simulated Jira, asserting on Jira's real state (`sim.levels()`), the
//! journal, the output, and that no secret ever shows up in any of them.

mod common;

use assert_cmd::Command;
use jira_sim::Level;
use jira_sim::{SimConfig, SimJira, TlsIdentity};
use std::path::{Path, PathBuf};

const PATS: &str = "com.atlassian.pats";

struct Run {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A test's private XDG homes, so journals and profiles never leak between tests.
struct Homes {
    dir: tempfile::TempDir,
}

impl Homes {
    fn new() -> Homes {
        Homes {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }
    fn journal(&self) -> PathBuf {
        common::journal_in(&self.state().join("jira-patrol"))
    }
    fn journal_text(&self) -> Option<String> {
        std::fs::read_to_string(self.journal()).ok()
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Token(&'a str),
    Password(&'a str, &'a str),
    Both(&'a str, &'a str, &'a str),
    None,
}

fn run(sim_url: &str, homes: &Homes, auth: Auth, args: &[&str]) -> Run {
    let mut c = Command::from_std(common::isolated(homes.dir.path()));
    c.env("JIRA_URL", sim_url).args(args).write_stdin("");
    match auth {
        Auth::Token(t) => {
            c.env("JIRA_TOKEN", t);
        }
        Auth::Password(u, p) => {
            c.env("JIRA_USER", u).env("JIRA_PASSWORD", p);
        }
        Auth::Both(t, u, p) => {
            c.env("JIRA_TOKEN", t)
                .env("JIRA_USER", u)
                .env("JIRA_PASSWORD", p);
        }
        Auth::None => {}
    }
    let out = c.output().unwrap();
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn start(cfg: SimConfig) -> SimJira {
    SimJira::start(SimConfig {
        noise: false,
        ..cfg
    })
    .unwrap()
}

fn token(sim: &SimJira, name: &str) -> String {
    sim.accounts()
        .token(name)
        .unwrap_or_else(|| panic!("seeded token {name}"))
        .raw
        .clone()
}

/// The secret appears nowhere the tool writes: stdout, stderr, the journal.
fn assert_secret_absent(secret: &str, r: &Run, homes: &Homes) {
    assert!(
        !r.stdout.contains(secret),
        "secret in stdout:\n{}",
        r.stdout
    );
    assert!(
        !r.stderr.contains(secret),
        "secret in stderr:\n{}",
        r.stderr
    );
    if let Some(j) = homes.journal_text() {
        assert!(!j.contains(secret), "secret in journal:\n{j}");
    }
}

/// A bad case: non-zero exit, one `error:` message saying `what`, Jira unchanged, no journal.
fn assert_refused(
    r: &Run,
    what: &str,
    sim: &SimJira,
    before: &std::collections::BTreeMap<String, Level>,
    homes: &Homes,
) {
    assert!(
        !r.ok,
        "expected failure, got success:\n{}{}",
        r.stdout, r.stderr
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected:\n{}", r.stderr);
    assert!(
        r.stderr.contains(what),
        "expected '{what}' in:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("{ "),
        "{}",
        r.stderr
    );
    assert_eq!(&sim.levels(), before, "Jira's levels changed");
    assert!(homes.journal_text().is_none(), "a journal was left behind");
}

fn journal_json(homes: &Homes) -> serde_json::Value {
    serde_json::from_str(&homes.journal_text().expect("journal exists")).unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn pat_set_get_restore_when_jira_exempts_pats_from_websudo() {
    let sim = start(SimConfig {
        websudo: true,
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let url = sim.url();
    let before = sim.levels();
    assert!(!before.contains_key(PATS), "precondition: {PATS} inherits");
    let inherited = sim.effective_level(PATS);

    let r = run(
        &url,
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "trace"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
    assert_secret_absent(&pat, &r, &homes);
    let j = journal_json(&homes);
    assert_eq!(j["jira_url"], url.as_str());
    assert_eq!(j["loggers"][0]["logger"], PATS);
    assert_eq!(j["loggers"][0]["previous"], inherited.as_str());
    assert_eq!(j["loggers"][0]["previous_explicit"], false);
    assert_eq!(j["loggers"][0]["by"], "level set");
    #[cfg(unix)]
    assert_eq!(mode(&homes.journal()), 0o600);

    let r = run(
        &url,
        &homes,
        Auth::Token(&pat),
        &["level", "get", PATS, "--format", "csv"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        r.stdout.lines().nth(1),
        Some("com.atlassian.pats,TRACE,explicit,-,-")
    );

    let r = run(&url, &homes, Auth::Token(&pat), &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert_secret_absent(&pat, &r, &homes);
    // Jira has no "unset": the former inherited level comes back explicitly, and we say so.
    assert_eq!(sim.levels().get(PATS), Some(&inherited));
    assert!(r.stderr.contains("no \"unset\""), "{}", r.stderr);
    assert!(r.stdout.contains("restored (now explicit)"), "{}", r.stdout);
    assert!(
        homes.journal_text().is_none(),
        "journal removed after restore"
    );

    // Idempotent: a second restore has nothing to do and says so.
    let r = run(&url, &homes, Auth::Token(&pat), &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to restore"), "{}", r.stderr);
}

#[test]
fn password_session_passes_websudo_and_restores_an_explicit_level() {
    // Websudo required; Basic auth disabled does not matter: we log in with a session.
    let sim = start(SimConfig {
        basic_auth: false,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    sim.set_level(PATS, Level::Info);
    let url = sim.url();
    let auth = Auth::Password("admin", "admin");

    let r = run(&url, &homes, auth, &["profile", "apply", "pats-trace"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
    assert!(r.stderr.contains("cost:"), "{}", r.stderr);
    let j = journal_json(&homes);
    assert_eq!(j["loggers"][0]["previous"], "INFO");
    assert_eq!(j["loggers"][0]["previous_explicit"], true);
    assert_eq!(j["loggers"][0]["by"], "profile apply pats-trace");

    let r = run(&url, &homes, auth, &["profile", "revert"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Info));
    assert!(r.stdout.contains("restored"), "{}", r.stdout);
    assert!(homes.journal_text().is_none());
}

#[test]
fn a_pat_with_a_password_falls_back_to_a_session_for_websudo() {
    let sim = start(SimConfig::default()); // websudo required, PATs not exempt
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let auth = Auth::Both(&pat, "admin", "admin");
    let r = run(
        &sim.url(),
        &homes,
        auth,
        &["level", "set", "com.atlassian.pats.service", "DEBUG"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        sim.levels().get("com.atlassian.pats.service"),
        Some(&Level::Debug)
    );
    assert_secret_absent(&pat, &r, &homes);
    let r = run(&sim.url(), &homes, auth, &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(homes.journal_text().is_none());
}

#[test]
fn websudo_disabled_lets_a_pat_alone_change_levels() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["profile", "apply", "pats-filter-trace"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        sim.levels().get("com.atlassian.pats.web.filter"),
        Some(&Level::Trace)
    );
    let r = run(&sim.url(), &homes, Auth::Token(&pat), &["restore"]);
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn a_pat_alone_facing_websudo_is_told_to_give_a_password() {
    let sim = start(SimConfig::default());
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let before = sim.levels();
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "websudo", &sim, &before, &homes);
    assert!(r.stderr.contains("JIRA_PASSWORD"), "{}", r.stderr);
    assert_secret_absent(&pat, &r, &homes);
}

#[test]
fn a_wrong_password_is_refused_and_never_shown() {
    let sim = start(SimConfig::default());
    let homes = Homes::new();
    let before = sim.levels();
    let wrong = "Wr0ng-pa55word-zq";
    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("admin", wrong),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(
        &r,
        "rejected the user name or password",
        &sim,
        &before,
        &homes,
    );
    assert_secret_absent(wrong, &r, &homes);
}

#[test]
fn a_non_admin_is_refused_with_either_credential() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let before = sim.levels();
    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("jdoe", "jdoe"),
        &["profile", "apply", "pats-debug"],
    );
    assert_refused(&r, "not a Jira System Administrator", &sim, &before, &homes);
    let jdoe_pat = sim
        .accounts()
        .tokens_of("jdoe")
        .find(|t| !t.is_expired(jiff::Timestamp::now()))
        .unwrap()
        .raw
        .clone();
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&jdoe_pat),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "not a Jira System Administrator", &sim, &before, &homes);
    assert_secret_absent(&jdoe_pat, &r, &homes);
}

#[test]
fn expired_and_unknown_pats_are_refused() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let before = sim.levels();
    let expired = token(&sim, "old laptop");
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&expired),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(
        &r,
        "did not accept the personal access token",
        &sim,
        &before,
        &homes,
    );
    assert_secret_absent(&expired, &r, &homes);
    // A valid token whose owner was deactivated: also anonymous to Jira.
    let orphan = token(&sim, "cron job");
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&orphan),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "its owner is inactive", &sim, &before, &homes);
    // The inactive user's password is refused like a wrong one.
    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("gone", "gone"),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(
        &r,
        "rejected the user name or password for 'gone'",
        &sim,
        &before,
        &homes,
    );
    // Well-formed (12 digits + ':' + 20 bytes, Base64) but unknown to Jira.
    let unknown = "MTExMTExMTExMTExOkFBQUFBQUFBQUFBQUFBQUFBQUFB";
    let r = run(&sim.url(), &homes, Auth::Token(unknown), &["level", "get"]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains("did not accept the personal access token"),
        "{}",
        r.stderr
    );
    assert_secret_absent(unknown, &r, &homes);
}

#[test]
fn an_unreachable_jira_fails_fast_with_one_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let homes = Homes::new();
    let url = format!("http://127.0.0.1:{port}");
    let r = run(
        &url,
        &homes,
        Auth::Token("MTExMTExMTExMTExOkFBQUFBQUFBQUFBQUFBQUFBQUFB"),
        &["level", "set", PATS, "TRACE"],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("cannot reach Jira"), "{}", r.stderr);
    assert!(homes.journal_text().is_none());
}

#[test]
fn an_untrusted_certificate_is_refused_and_ca_cert_trusts_it() {
    let sim = start(SimConfig {
        tls: Some(TlsIdentity::test_identity()),
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    assert!(sim.url().starts_with("https://"));
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let before = sim.levels();
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "not trusted", &sim, &before, &homes);
    assert!(r.stderr.contains("--ca-cert"), "{}", r.stderr);

    let ca = homes.dir.path().join("ca.pem");
    std::fs::write(&ca, TlsIdentity::test_ca_pem()).unwrap();
    let ca = ca.to_str().unwrap();
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "TRACE", "--ca-cert", ca],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["restore", "--ca-cert", ca],
    );
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn a_server_answering_500_then_200_is_retried() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    sim.fail_next(2);
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "DEBUG"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Debug));
    run(&sim.url(), &homes, Auth::Token(&pat), &["restore"]);

    // A server that keeps failing: bounded retries, then one message, nothing changed.
    let before = sim.levels();
    sim.fail_next(50);
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "HTTP 500", &sim, &before, &homes);
    sim.fail_next(0);
}

#[test]
fn a_second_apply_keeps_the_earliest_previous_level() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    sim.set_level(PATS, Level::Error);
    let url = sim.url();
    let r = run(
        &url,
        &homes,
        Auth::Token(&pat),
        &["level", "set", PATS, "DEBUG"],
    );
    assert!(r.ok, "{}", r.stderr);
    let r = run(
        &url,
        &homes,
        Auth::Token(&pat),
        &["profile", "apply", "pats-trace", "--format", "json"],
    );
    assert!(r.ok, "{}", r.stderr);
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["changes"][0]["before"], "DEBUG");
    assert_eq!(out["changes"][0]["restore_to"], "ERROR");
    let j = journal_json(&homes);
    assert_eq!(j["loggers"].as_array().unwrap().len(), 1);
    assert_eq!(j["loggers"][0]["previous"], "ERROR");
    assert_eq!(j["loggers"][0]["set_to"], "TRACE");
    let r = run(&url, &homes, Auth::Token(&pat), &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Error));
}

#[test]
fn level_get_shows_inheritance_and_the_data_center_node() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        node_id: Some("node-b".into()),
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    sim.set_level(PATS, Level::Info);
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &[
            "level",
            "get",
            "com.atlassian.pats.service.X",
            "--format",
            "json",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = &v["loggers"][0];
    assert_eq!(row["level"], "INFO");
    assert_eq!(row["source"], "inherited");
    assert_eq!(row["from"], PATS);
    assert_eq!(row["node"], "node-b");

    // Without a logger: root first, then every explicit level the page shows (Jira
    // hides a few, such as the HTTP access logger).
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["level", "get", "--format", "csv"],
    );
    assert!(r.ok, "{}", r.stderr);
    let shown = sim
        .levels()
        .keys()
        .filter(|n| !jira_patrol::jira::is_hidden_logger(n))
        .count();
    assert_eq!(r.stdout.lines().count(), 1 + shown, "{}", r.stdout);
    assert!(r.stdout.lines().nth(1).unwrap().starts_with("root,"));
}

#[test]
fn check_gives_verdicts_and_fails_when_levels_cannot_change() {
    let sim = start(SimConfig {
        node_id: Some("n1".into()),
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let before = sim.levels();

    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("admin", "admin"),
        &["check", "--format", "json"],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let verdict = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| {
                (
                    c["verdict"].as_str().unwrap().to_string(),
                    c["detail"].as_str().unwrap().to_string(),
                )
            })
            .unwrap_or_else(|| panic!("no {name} row in {v}"))
    };
    assert_eq!(verdict("reachable").0, "ok");
    assert!(verdict("version").1.contains("Jira"));
    assert!(verdict("identity").1.starts_with("admin"));
    assert!(verdict("websudo").1.contains("passed with the password"));
    assert!(verdict("node").1.contains("n1"));
    assert_eq!(verdict("change levels").0, "ok");

    // A PAT alone cannot pass websudo: check says so and fails.
    let r = run(&sim.url(), &homes, Auth::Token(&pat), &["check"]);
    assert!(!r.ok);
    assert!(
        r.stdout.contains("websudo") && r.stdout.contains("FAIL"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("cannot change log levels"),
        "{}",
        r.stderr
    );
    assert_secret_absent(&pat, &r, &homes);

    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("jdoe", "jdoe"),
        &["check"],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("not a Jira System Administrator"),
        "{}",
        r.stderr
    );
    assert_eq!(sim.levels(), before, "check changes nothing");
}

#[test]
fn bad_profiles_are_refused_before_jira_is_contacted() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let dir = homes.config().join("jira-patrol/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let head = "description = \"d\"\nreveals = \"r\"\n[cost]\npat_request = 1\nother_request = 0\n";
    std::fs::write(
        dir.join("loud.toml"),
        format!("{head}[loggers]\n\"com.atlassian.pats\" = \"VERBOSE\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("empty.toml"), format!("{head}[loggers]\n")).unwrap();
    std::fs::write(dir.join("broken.toml"), "description = \"d\n").unwrap();
    let before = sim.levels();
    let served = sim.request_count();
    for (name, what) in [
        ("loud", "unknown level 'VERBOSE'"),
        ("empty", "lists no loggers"),
        ("broken", "not valid TOML"),
        ("nonesuch", "no profile named 'nonesuch'"),
    ] {
        let r = run(
            &sim.url(),
            &homes,
            Auth::Token(&pat),
            &["profile", "apply", name],
        );
        assert_refused(&r, what, &sim, &before, &homes);
    }
    assert_eq!(sim.request_count(), served, "Jira was contacted");

    // A good user profile in --profiles DIR is listed and applied.
    let extra = homes.dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("batcher.toml"),
        format!("{head}[loggers]\n\"com.atlassian.pats.jobs\" = \"DEBUG\"\n"),
    )
    .unwrap();
    std::fs::remove_file(dir.join("broken.toml")).unwrap();
    std::fs::remove_file(dir.join("loud.toml")).unwrap();
    std::fs::remove_file(dir.join("empty.toml")).unwrap();
    let extra_s = extra.to_str().unwrap();
    let r = run(
        &sim.url(),
        &homes,
        Auth::None,
        &["profile", "list", "--profiles", extra_s, "--format", "csv"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("batcher,com.atlassian.pats.jobs=DEBUG"),
        "{}",
        r.stdout
    );
    let r = run(
        &sim.url(),
        &homes,
        Auth::Token(&pat),
        &["profile", "apply", "batcher", "--profiles", extra_s],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        sim.levels().get("com.atlassian.pats.jobs"),
        Some(&Level::Debug)
    );
}

#[test]
fn no_credentials_and_no_terminal_fails_fast() {
    let sim = start(SimConfig::default());
    let homes = Homes::new();
    let r = run(&sim.url(), &homes, Auth::None, &["level", "get"]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("no Jira credentials: set JIRA_TOKEN"),
        "{}",
        r.stderr
    );
    let r = run(
        &sim.url(),
        &homes,
        Auth::Password("admin", ""),
        &["level", "get"],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("no password for Jira user 'admin'"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_token_file_is_read_and_an_invalid_level_never_reaches_jira() {
    let sim = start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let pat = token(&sim, "test");
    let f = homes.dir.path().join("pat");
    std::fs::write(&f, format!("{pat}\n")).unwrap();
    let f = f.to_str().unwrap();
    let served = sim.request_count();
    let r = run(
        &sim.url(),
        &homes,
        Auth::None,
        &["level", "set", PATS, "VERBOSE", "--token-file", f],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("unknown log level 'VERBOSE'"),
        "{}",
        r.stderr
    );
    assert_eq!(sim.request_count(), served);
    let r = run(
        &sim.url(),
        &homes,
        Auth::None,
        &["level", "set", PATS, "WARN", "--token-file", f],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Warn));
    assert_secret_absent(&pat, &r, &homes);
}

#[test]
fn a_child_of_a_changed_logger_gets_its_original_level_back() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    let auth = Auth::Password("admin", "admin");
    let filter = "com.atlassian.pats.web.filter";
    let original = sim.effective_level(filter);
    assert_ne!(original, Level::Trace, "precondition");
    let r = run(
        &sim.url(),
        &homes,
        auth,
        &["profile", "apply", "pats-trace"],
    );
    assert!(r.ok, "{}", r.stderr);
    // The filter now inherits TRACE from our change; its own change must not record that.
    let r = run(&sim.url(), &homes, auth, &["level", "set", filter, "DEBUG"]);
    assert!(r.ok, "{}", r.stderr);
    let j = journal_json(&homes);
    assert_eq!(j["loggers"][1]["previous"], original.as_str(), "{j}");
    let r = run(&sim.url(), &homes, auth, &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.effective_level(filter), original);
    assert_eq!(sim.effective_level(PATS), original);
}

#[test]
fn a_corrupt_journal_is_reported_not_overwritten() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let homes = Homes::new();
    std::fs::create_dir_all(homes.journal().parent().unwrap()).unwrap();
    std::fs::write(homes.journal(), "{ not json").unwrap();
    let before = sim.levels();
    let auth = Auth::Password("admin", "admin");
    for args in [&["restore"][..], &["level", "set", PATS, "TRACE"][..]] {
        let r = run(&sim.url(), &homes, auth, args);
        assert!(!r.ok);
        assert!(
            r.stderr.contains("journal") && r.stderr.contains("unreadable"),
            "{}",
            r.stderr
        );
        assert_eq!(homes.journal_text().as_deref(), Some("{ not json"));
    }
    assert_eq!(sim.levels(), before);
}
