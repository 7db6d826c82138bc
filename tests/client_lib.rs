//! The library API the capture command uses (`jira::Client`, `journal`), against the
//! simulated Jira: long windows (websudo expiring), two Jiras, and the journal calls.

use jira_patrol::jira::{Client, ClientConfig, Credentials, JiraError, Source};
use jira_patrol::journal::{self, Action, JournalError};
use jira_patrol::level::Level;
use jira_patrol::secret::Secret;
use jira_patrol::sim::{SimConfig, SimJira};
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
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
}

#[test]
fn journal_apply_pending_restore_and_a_second_jira() {
    // The only test in this binary that touches the environment.
    let state = tempfile::tempdir().unwrap();
    std::env::set_var("XDG_STATE_HOME", state.path());

    let cfg = || SimConfig {
        websudo: false,
        noise: false,
        ..SimConfig::default()
    };
    let sim = SimJira::start(cfg()).unwrap();
    let c = password_client(&sim);
    assert!(journal::pending().unwrap().is_none());
    let original = sim.effective_level("com.atlassian.pats.service");
    let changes = vec![
        (PATS.to_string(), Level::Trace),
        ("com.atlassian.pats.service".to_string(), Level::Debug),
    ];
    let applied = journal::apply(&c, &changes, "capture").unwrap();
    assert_eq!(applied.changes.len(), 2);
    assert_eq!(sim.levels().get(PATS), Some(&Level::Trace));
    let pending = journal::pending().unwrap().expect("journal written");
    assert_eq!(pending.jira_url, sim.url());
    assert!(pending
        .loggers
        .iter()
        .all(|l| l.by == "capture" && !l.previous_explicit));

    // Another Jira while this journal is unrestored: refused, that Jira untouched.
    let other = SimJira::start(cfg()).unwrap();
    let before = other.levels();
    let e = journal::apply(&password_client(&other), &changes, "capture").unwrap_err();
    assert!(matches!(e, JournalError::OtherJira { .. }), "{e}");
    assert!(e.to_string().contains(&sim.url()));
    assert_eq!(other.levels(), before);
    assert!(matches!(
        journal::restore(&password_client(&other)),
        Err(JournalError::OtherJira { .. })
    ));

    // Someone puts one logger back by hand: restore leaves it and fixes the other.
    sim.set_level("com.atlassian.pats.service", original);
    let report = journal::restore(&c).unwrap();
    let action = |l: &str| report.items.iter().find(|i| i.logger == l).unwrap().action;
    assert_eq!(action(PATS), Action::RestoredExplicit);
    assert_eq!(
        action("com.atlassian.pats.service"),
        Action::AlreadyRestored
    );
    assert_eq!(sim.effective_level(PATS), original);
    assert!(journal::pending().unwrap().is_none());
    assert!(journal::restore(&c).unwrap().items.is_empty());
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
