//! The admin pages of Jiras we have not seen (issue 9 §3), run as the real binary against
//! the simulated Jira: single sign-on in front of login or websudo, a Jira Administrator who
//! is not a System Administrator, loggers the logging page hides, and the logging page's own
//! `id="login-form"`. Each bad case must leave Jira's levels and the journal untouched.

mod common;

use jira_sim::Level;
use jira_sim::{SimConfig, SimJira, SSO_OTHER_HOST, SSO_SAML};
use std::collections::BTreeMap;

const PATS: &str = "com.atlassian.pats";
const SQL: &str = "com.atlassian.jira.ofbiz.LoggingSQLInterceptor";

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

enum Auth<'a> {
    Token(&'a str),
    Password(&'a str, &'a str),
    Both(&'a str, &'a str, &'a str),
}

fn run(sim: &SimJira, home: &tempfile::TempDir, auth: Auth, args: &[&str]) -> Run {
    let mut c = common::isolated(home.path());
    c.env("JIRA_URL", sim.url())
        .args(args)
        .stdin(std::process::Stdio::null());
    match auth {
        Auth::Token(t) => c.env("JIRA_TOKEN", t),
        Auth::Password(u, p) => c.env("JIRA_USER", u).env("JIRA_PASSWORD", p),
        Auth::Both(t, u, p) => c
            .env("JIRA_TOKEN", t)
            .env("JIRA_USER", u)
            .env("JIRA_PASSWORD", p),
    };
    let out = c.output().unwrap();
    Run {
        ok: out.status.success(),
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

fn journal(home: &tempfile::TempDir) -> std::path::PathBuf {
    common::journal_in(&home.path().join("state/jira-patrol"))
}

/// Non-zero exit, one short error naming `what` (and no "please report" shrug), Jira's
/// levels as before, no journal.
fn assert_refused(
    r: &Run,
    what: &str,
    sim: &SimJira,
    before: &BTreeMap<String, Level>,
    home: &tempfile::TempDir,
) {
    assert!(!r.ok, "expected failure:\n{}{}", r.stdout, r.stderr);
    let errors = r.stderr.lines().filter(|l| l.starts_with("error:")).count();
    assert_eq!(errors, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(what),
        "expected '{what}' in:\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("please report"), "{}", r.stderr);
    assert!(r.stderr.lines().count() <= 3, "too long:\n{}", r.stderr);
    assert_eq!(&sim.levels(), before, "Jira's levels changed");
    assert!(!journal(home).exists(), "a journal was left behind");
}

fn pat(sim: &SimJira) -> String {
    sim.accounts().token("test").unwrap().raw.clone()
}

#[test]
fn level_set_against_single_sign_on_websudo_changes_nothing_and_names_the_ways_out() {
    let sim = start(SimConfig {
        sso_websudo: Some(SSO_SAML.into()),
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let before = sim.levels();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "single sign-on", &sim, &before, &home);
    assert!(
        r.stderr.contains("/plugins/servlet/samlsso"),
        "{}",
        r.stderr
    );
    for way_out in [
        "personal access token",
        "local administrator account",
        "jira.websudo.is.disabled = true",
    ] {
        assert!(
            r.stderr.contains(way_out),
            "no '{way_out}' in:\n{}",
            r.stderr
        );
    }
    // The SAML request in the redirect's query is none of the user's business.
    assert!(!r.stderr.contains("SAMLRequest"), "{}", r.stderr);
}

#[test]
fn a_pat_and_a_password_both_sent_to_single_sign_on_say_the_pat_was_tried() {
    let sim = start(SimConfig {
        sso_websudo: Some(SSO_OTHER_HOST.into()),
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let before = sim.levels();
    let pat = pat(&sim);
    let r = run(
        &sim,
        &home,
        Auth::Both(&pat, "admin", "admin"),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(&r, "single sign-on", &sim, &before, &home);
    assert!(
        r.stderr.contains("https://idp.example.test"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("token was tried"), "{}", r.stderr);
    assert!(!r.stderr.contains(&pat));
}

#[test]
fn single_sign_on_login_is_named_as_such() {
    let sim = start(SimConfig {
        sso_login: Some(SSO_SAML.into()),
        sso_websudo: Some(SSO_SAML.into()),
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let before = sim.levels();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(
        &r,
        "sends its login to single sign-on",
        &sim,
        &before,
        &home,
    );
}

#[test]
fn a_pat_that_websudo_lets_through_is_the_way_past_single_sign_on() {
    let sim = start(SimConfig {
        sso_login: Some(SSO_SAML.into()),
        sso_websudo: Some(SSO_SAML.into()),
        pat_websudo_exempt: true,
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Token(&pat(&sim)),
        &["level", "set", PATS, "TRACE"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
}

#[test]
fn check_reports_single_sign_on_on_the_websudo_row() {
    let sim = start(SimConfig {
        sso_websudo: Some(SSO_SAML.into()),
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["check", "--format", "csv"],
    );
    assert!(!r.ok);
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("websudo,"))
        .unwrap_or_else(|| panic!("no websudo row:\n{}", r.stdout));
    assert!(
        row.contains("FAIL") && row.contains("single sign-on"),
        "{row}"
    );
}

#[test]
fn a_jira_administrator_is_told_system_administrators_is_needed() {
    let sim = start(SimConfig::default());
    let home = tempfile::tempdir().unwrap();
    let before = sim.levels();
    // `level set` goes straight to the logging page, which answers 200 "access denied".
    let r = run(
        &sim,
        &home,
        Auth::Password("jadmin", "jadmin"),
        &["level", "set", PATS, "TRACE"],
    );
    assert_refused(
        &r,
        "'jadmin' is not a Jira System Administrator",
        &sim,
        &before,
        &home,
    );
    assert!(
        r.stderr.contains("System Administrators global permission"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_logger_the_page_hides_is_said_to_be_unreadable_not_unapplied() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["level", "set", SQL, "DEBUG"],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "Jira's logging page does not show this logger, so the level cannot be read back"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("reads it back as"), "{}", r.stderr);
    // Jira did take it; the journal does not pretend to know what to put back.
    assert_eq!(sim.levels().get(SQL), Some(&Level::Debug));
    assert!(!journal(&home).exists());
}

#[test]
fn the_logging_page_with_its_mark_logs_login_form_is_read_as_the_logging_page() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["level", "get", "--format", "csv"],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("com.atlassian.jira,INFO,explicit"),
        "{}",
        r.stdout
    );
    // Hidden on the page, so not listed (the simulator holds it as OFF).
    assert!(!r.stdout.contains("AccessLogFilter"), "{}", r.stdout);
}

#[test]
fn level_get_of_a_hidden_logger_does_not_pretend_to_know_its_level() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["level", "get", SQL, "--format", "csv"],
    );
    assert!(r.ok, "{}", r.stderr);
    let row = r.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with(&format!("{SQL},-,hidden by Jira's logging page")),
        "{}",
        r.stdout
    );
}

/// The library gives callers typed errors to branch on, not strings.
mod library {
    use super::*;
    use jira_patrol::jira::{Client, ClientConfig, Credentials, JiraError, SsoStage};
    use jira_patrol::secret::Secret;

    fn client(sim: &SimJira, user: &str, password: &str) -> Client {
        Client::new(ClientConfig::new(
            sim.url(),
            Credentials {
                token: None,
                password: Some((user.into(), Secret::new(password))),
            },
        ))
        .unwrap()
    }

    #[test]
    fn single_sign_on_not_system_admin_and_hidden_loggers_are_typed() {
        let sso = start(SimConfig {
            sso_websudo: Some(SSO_SAML.into()),
            ..SimConfig::default()
        });
        match client(&sso, "admin", "admin").levels() {
            Err(JiraError::SingleSignOn {
                stage: SsoStage::WebSudo,
                token_tried: false,
                target,
            }) => assert_eq!(target, "/plugins/servlet/samlsso"),
            other => panic!("{other:?}"),
        }
        let plain = start(SimConfig {
            websudo: false,
            ..SimConfig::default()
        });
        match client(&plain, "jadmin", "jadmin").levels() {
            Err(JiraError::NotAdmin { user }) => assert_eq!(user, "jadmin"),
            other => panic!("{other:?}"),
        }
        match client(&plain, "admin", "admin")
            .set_level("com.atlassian.mail", jira_patrol::level::Level::Debug)
        {
            Err(JiraError::HiddenLogger { logger, wanted }) => {
                assert_eq!(
                    (logger.as_str(), wanted),
                    ("com.atlassian.mail", jira_patrol::level::Level::Debug)
                )
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_hidden_logger_after_others_leaves_only_the_readable_ones_to_restore() {
    let sim = start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let profiles = home.path().join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("with-mail.toml"),
        "description = \"issue and mail loggers\"\nreveals = \"nothing\"\n\n\
         [cost]\npat_request = 0\nother_request = 0\n\n\
         [loggers]\n\"com.atlassian.jira.issue\" = \"DEBUG\"\n\"com.atlassian.mail\" = \"DEBUG\"\n",
    )
    .unwrap();
    let dir = profiles.to_str().unwrap();
    let r = run(
        &sim,
        &home,
        Auth::Password("admin", "admin"),
        &["profile", "apply", "with-mail", "--profiles", dir],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(
        r.stderr.contains("does not show this logger"),
        "{}",
        r.stderr
    );
    let j = std::fs::read_to_string(journal(&home)).unwrap();
    assert!(j.contains("com.atlassian.jira.issue"), "{j}");
    assert!(!j.contains("com.atlassian.mail"), "{j}");
    // So restore finishes instead of failing on the logger it cannot read back.
    let r = run(&sim, &home, Auth::Password("admin", "admin"), &["restore"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(!journal(&home).exists());
}
