//! On a terminal, missing credentials are asked for with a hidden prompt; the answer is
//! used and never echoed.

mod common;

#[cfg(unix)]
#[test]
fn a_missing_token_is_prompted_for_without_echo_on_a_terminal() {
    use expectrl::{Eof, Expect};
    use std::time::Duration;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let homes = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jira-patrol"));
    for v in ["JIRA_TOKEN", "JIRA_USER", "JIRA_PASSWORD"] {
        cmd.env_remove(v);
    }
    cmd.env("JIRA_URL", format!("http://127.0.0.1:{port}"))
        .env("XDG_STATE_HOME", homes.path())
        .env("XDG_CONFIG_HOME", homes.path())
        .args(["level", "get"]);
    let mut p = common::spawn_with_echo(cmd);
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("personal access token").unwrap();
    common::wait_echo_off(&p);
    let secret = "MzU1NTEwNjM4Njc3OlByb21wdGVkU2VjcmV0VmFsdWUx";
    p.send_line(secret).unwrap();
    let rest = p.expect(Eof).unwrap();
    let out = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    // The token was taken (we got as far as connecting) and never shown.
    assert!(out.contains("cannot reach Jira"), "{out}");
    assert!(!out.contains(secret), "{out}");
}
