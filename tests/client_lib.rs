//! The library API the capture command uses (`jira::Client`, `journal`), against the
//! simulated Jira: long windows (websudo expiring), two Jiras, and the journal calls.

use jira_patrol::jira::{Client, ClientConfig, Credentials, JiraError, Source};
use jira_patrol::journal::{Action, Journal};
use jira_patrol::level::Level;
use jira_patrol::secret::Secret;
use jira_sim::Level as SimLevel;
use jira_sim::{SimConfig, SimJira};
use std::time::Duration;

const PATS: &str = "com.atlassian.pats";

fn password_client(sim: &SimJira) -> Client {
    let creds = Credentials {
        token: None,
        password: Some(("admin".into(), Secret::new("admin"))),
    };
    let mut cfg = ClientConfig::new(sim.url(), creds);
    cfg.backoff = Duration::from_millis(10);
    Client::new(cfg).unwrap()
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Client>();
}

#[test]
fn an_expired_websudo_is_passed_again_without_asking() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let c = password_client(&sim);
    let page = c.levels().unwrap();
    assert!(c.admin_access().websudo_passed);
    assert_eq!(
        page.effective(PATS).1,
        Source::Ancestor("com.atlassian".into())
    );
    // A capture window outlives websudo (10 min in Jira): restoring must still work.
    sim.expire_websudo();
    c.set_level(PATS, Level::Trace).unwrap();
    assert_eq!(sim.levels().get(PATS), Some(&SimLevel::Trace));
}

#[test]
fn journal_apply_pending_restore_and_a_second_jira() {
    let state = tempfile::tempdir().unwrap();
    let journal = Journal::at(state.path().join("jira-patrol"));

    let cfg = || SimConfig {
        websudo: false,
        noise: false,
        ..SimConfig::default()
    };
    let sim = SimJira::start(cfg()).unwrap();
    let c = password_client(&sim);
    assert!(journal.pending(&sim.url()).unwrap().is_none());
    let original = sim.effective_level("com.atlassian.pats.service");
    let changes = vec![
        (PATS.to_string(), Level::Trace),
        ("com.atlassian.pats.service".to_string(), Level::Debug),
    ];
    let applied = journal.apply(&c, &changes, "capture").unwrap();
    assert_eq!(applied.changes.len(), 2);
    assert_eq!(applied.journal, journal.path_for(&sim.url()));
    assert_eq!(sim.levels().get(PATS), Some(&SimLevel::Trace));
    let pending = journal
        .pending(&sim.url())
        .unwrap()
        .expect("journal written");
    assert_eq!(pending.jira_url, sim.url());
    assert!(pending
        .loggers
        .iter()
        .all(|l| l.by == "capture" && !l.previous_explicit));

    // Another Jira while this journal is unrestored: a journal of its own.
    let other = SimJira::start(cfg()).unwrap();
    let other_original = other.effective_level(PATS);
    let oc = password_client(&other);
    journal.apply(&oc, &changes, "capture").unwrap();
    assert_eq!(other.levels().get(PATS), Some(&SimLevel::Trace));
    assert_ne!(journal.path_for(&other.url()), journal.path_for(&sim.url()));
    let urls: Vec<String> = journal
        .all()
        .unwrap()
        .into_iter()
        .map(|p| p.entry.jira_url)
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls.contains(&other.url()) && urls.contains(&sim.url()));
    journal.restore(&oc).unwrap();
    assert_eq!(other.effective_level(PATS), other_original);
    assert!(journal.pending(&other.url()).unwrap().is_none());
    assert_eq!(journal.pending(&sim.url()).unwrap(), Some(pending));

    // Someone puts one logger back by hand: restore leaves it and fixes the other.
    sim.set_level("com.atlassian.pats.service", original);
    let report = journal.restore(&c).unwrap();
    let action = |l: &str| report.items.iter().find(|i| i.logger == l).unwrap().action;
    assert_eq!(action(PATS), Action::RestoredExplicit);
    assert_eq!(
        action("com.atlassian.pats.service"),
        Action::AlreadyRestored
    );
    assert_eq!(sim.effective_level(PATS), original);
    assert!(journal.pending(&sim.url()).unwrap().is_none());
    assert!(journal.restore(&c).unwrap().items.is_empty());
}

#[test]
fn a_websudo_redirect_with_only_a_pat_is_a_typed_error() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let pat = sim.accounts().token("test").unwrap().raw.clone();
    let c = Client::new(ClientConfig::new(
        sim.url(),
        Credentials {
            token: Some(Secret::new(pat.clone())),
            password: None,
        },
    ))
    .unwrap();
    let served = sim.request_count();
    let e = c.set_level(PATS, Level::Trace).unwrap_err();
    assert!(matches!(e, JiraError::WebSudoNeedsPassword), "{e:?}");
    // Detected on the first answer: no loop, no retries.
    assert_eq!(sim.request_count(), served + 1);
    assert!(!format!("{e} {e:?} {c:?}").contains(&pat));
}

#[test]
fn an_untrusted_certificate_is_a_typed_tls_error() {
    let sim = SimJira::start(SimConfig {
        tls: Some(jira_sim::TlsIdentity::test_identity()),
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let mut cfg = ClientConfig::new(
        sim.url(),
        Credentials {
            token: None,
            password: Some(("admin".into(), Secret::new("admin"))),
        },
    );
    cfg.backoff = Duration::from_millis(10);
    let e = Client::new(cfg.clone()).unwrap().server_info().unwrap_err();
    assert!(matches!(e, JiraError::Tls { .. }), "{e:?}");
    // With the CA that signed it, the same Jira answers, cookies and all.
    cfg.ca_pem = Some(jira_sim::TlsIdentity::test_ca_pem().into());
    let c = Client::new(cfg).unwrap();
    c.levels().unwrap();
    assert!(c.admin_access().websudo_passed);
}

#[test]
fn the_check_gives_typed_verdicts_in_order() {
    use jira_patrol::jira::{check, Check, Outcome};
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let checked = check(&password_client(&sim));
    let names: Vec<Check> = checked.verdicts.iter().map(|v| v.check).collect();
    assert_eq!(
        names,
        [
            Check::Reachable,
            Check::Version,
            Check::Identity,
            Check::Administrator,
            Check::Websudo,
            Check::LoggingPage,
            Check::ChangeLevels
        ]
    );
    assert!(checked.passed() && checked.failure().is_none());
    assert!(checked.info.is_some() && checked.levels.is_some());

    // A token alone stops at websudo: that verdict carries the error, levels are blocked.
    let pat = sim.accounts().token("test").unwrap().raw.clone();
    let c = Client::new(ClientConfig::new(
        sim.url(),
        Credentials {
            token: Some(Secret::new(pat)),
            password: None,
        },
    ))
    .unwrap();
    let checked = check(&c);
    assert!(!checked.passed());
    assert!(matches!(
        checked.failure(),
        Some(JiraError::WebSudoNeedsPassword)
    ));
    let last = checked.verdicts.last().unwrap();
    assert_eq!(last.check, Check::ChangeLevels);
    assert!(matches!(last.outcome, Outcome::Blocked(_)));
    assert!(!checked.failure().unwrap().advice().is_empty());
}

#[test]
fn reachable_is_ok_whenever_jira_answered_and_the_failure_names_what_it_was_about() {
    use jira_patrol::jira::{check, Check, Outcome};
    let sim = SimJira::start(SimConfig {
        noise: false,
        context_path: "/jira".into(),
        ..SimConfig::default()
    })
    .unwrap();
    let verdict = |checked: &jira_patrol::jira::Checked, c: Check| {
        checked
            .verdicts
            .iter()
            .find(|v| v.check == c)
            .map(|v| match &v.outcome {
                Outcome::Ok(d) => format!("ok: {d}"),
                Outcome::Failed(e) => format!("FAIL: {e}"),
                other => format!("{other:?}"),
            })
    };
    // The context path left out: Tomcat answers 404, which is an answer, but not Jira's.
    let root = sim.url().trim_end_matches("/jira").to_string();
    let client = |url: &str, password: &str| {
        let mut cfg = ClientConfig::new(
            url,
            Credentials {
                token: None,
                password: Some(("admin".into(), Secret::new(password))),
            },
        );
        cfg.backoff = Duration::from_millis(10);
        Client::new(cfg).unwrap()
    };
    let checked = check(&client(&root, "admin"));
    let reachable = verdict(&checked, Check::Reachable).unwrap();
    assert!(
        reachable.starts_with("ok: ") && reachable.contains("answered"),
        "{reachable}"
    );
    let version = verdict(&checked, Check::Version).unwrap();
    assert!(
        version.starts_with("FAIL: ")
            && version.contains("not as Jira")
            && version.contains("context path"),
        "{version}"
    );
    assert!(matches!(checked.failure(), Some(JiraError::NotJira { .. })));
    // A wrong password: answered (401), the identity failed, and only one login was tried.
    let checked = check(&client(&sim.url(), "wrong"));
    assert!(verdict(&checked, Check::Reachable)
        .unwrap()
        .starts_with("ok: "));
    let identity = verdict(&checked, Check::Identity).unwrap();
    assert!(
        identity.starts_with("FAIL: ") && identity.contains("rejected"),
        "{identity}"
    );
    let access = sim.access_log();
    let logins = access
        .lines()
        .filter(|l| l.contains("POST /jira/rest/auth/1/session"))
        .count();
    assert_eq!(logins, 1, "{access}");
}

#[test]
fn a_post_that_creates_a_token_is_sent_once_even_on_a_5xx() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let c = password_client(&sim);
    // Logged in first: the one failing answer must be the creation's.
    c.tokens_named("anything").unwrap();
    sim.fail_next(1);
    let e = c.create_token("jira-patrol self-check", 1).unwrap_err();
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    let access = sim.access_log();
    let posts = access
        .lines()
        .filter(|l| l.contains("\"POST /rest/pat/latest/tokens HTTP"))
        .count();
    assert_eq!(posts, 1, "not retried: {access}");
    // Revoking is safe to repeat: the plugin answers 204 whether the token was there or not.
    let t = c.create_token("jira-patrol self-check", 1).unwrap();
    assert_eq!(
        c.revoke_token(t.id).unwrap(),
        jira_patrol::jira::Revoked::Now
    );
    assert_eq!(
        c.revoke_token(t.id).unwrap(),
        jira_patrol::jira::Revoked::Now
    );
}
