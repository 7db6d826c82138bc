//! The connection saved by `jira-patrol setup` is what the other commands use when no
//! `--url`/`JIRA_URL` is given; the secret is read from the variable it names.

mod common;

use jira_patrol::sim::{SimConfig, SimJira};

#[test]
fn other_commands_read_the_saved_connection() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("config/jira-patrol");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "url = \"{}\"\nlogs = [\"/tmp/atlassian-jira.log\"]\nprofile = \"pats-trace\"\nfor = \"15m\"\nkeep = \"1d\"\n\n[auth]\nkind = \"password\"\nuser = \"admin\"\nenv = \"MY_JIRA_PW\"\n",
            sim.url()
        ),
    )
    .unwrap();
    let run = |pw: Option<&str>| {
        let mut c = common::isolated(d.path());
        c.env_remove("MY_JIRA_PW");
        if let Some(pw) = pw {
            c.env("MY_JIRA_PW", pw);
        }
        c.args(["level", "get", "com.atlassian.pats", "--format", "json"])
            .output()
            .unwrap()
    };
    let ok = run(Some("admin"));
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("saved by `jira-patrol setup`"), "{err}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("WARN"));
    // Without the variable it names, it says what is missing instead of hanging.
    let missing = run(None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no password for Jira user 'admin'"));
}
