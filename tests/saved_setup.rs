//! The connection saved by `jira-patrol setup` is what the other commands use when no
//! `--url`/`JIRA_URL` is given; the secret is read from the variable it names; `capture`
//! follows the saved logs when no `--log` is given.

mod common;

use jira_sim::{SimConfig, SimJira};

#[test]
fn other_commands_read_the_saved_connection() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("config/jira-patrol");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "url = \"{}\"\nlogs = [\"{}\"]\nprofile = \"pats-trace\"\nfor = \"15m\"\nkeep = \"1d\"\n\n[auth]\nkind = \"password\"\nuser = \"admin\"\nenv = \"MY_JIRA_PW\"\n",
            sim.url(),
            sim.log_path().display()
        ),
    )
    .unwrap();
    let run_args = |pw: Option<&str>, args: &[&str]| {
        let mut c = common::isolated(d.path());
        c.env_remove("MY_JIRA_PW");
        if let Some(pw) = pw {
            c.env("MY_JIRA_PW", pw);
        }
        c.args(args).output().unwrap()
    };
    let run = |pw: Option<&str>| {
        run_args(
            pw,
            &["level", "get", "com.atlassian.pats", "--format", "json"],
        )
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

    let cap = run_args(
        Some("admin"),
        &["capture", "--for", "1s", "--format", "json"],
    );
    let err = String::from_utf8_lossy(&cap.stderr);
    assert!(cap.status.success(), "{err}");
    assert!(
        err.contains(&format!("following {}", sim.log_path().display())),
        "{err}"
    );
}

#[test]
fn without_a_saved_setup_capture_asks_for_the_log() {
    let d = tempfile::tempdir().unwrap();
    let out = common::isolated(d.path())
        .env("JIRA_URL", "http://127.0.0.1:9")
        .args(["capture", "--for", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --log"));
}

#[test]
fn a_bad_duration_in_the_saved_setup_is_refused_naming_file_and_field() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("config/jira-patrol");
    std::fs::create_dir_all(&cfg).unwrap();
    let file = cfg.join("config.toml");
    std::fs::write(
        &file,
        "url = \"http://127.0.0.1:9\"\nlogs = [\"/tmp/atlassian-jira.log\"]\nprofile = \"pats-trace\"\nfor = \"5124095576030432h\"\nkeep = \"1d\"\n\n[auth]\nkind = \"token\"\nenv = \"MY_PAT\"\n",
    )
    .unwrap();
    let out = common::isolated(d.path())
        .args(["capture", "--for", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&file.display().to_string()) && err.contains("for: '5124095576030432h'"),
        "{err}"
    );
}
