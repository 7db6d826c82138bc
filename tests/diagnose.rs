//! `jira-patrol diagnose` against the simulated Jira, as the real binary: the bundle says
//! what happened (exchanges, logging page, log4j files, log head) and holds no secret of
//! the simulated Jira — no password, PAT, hashed token, session cookie or XSRF token.

mod common;

use jira_sim::Level;
use jira_sim::{SimConfig, SimJira};
use std::path::Path;

const SYSOP_PASSWORD: &str = "Sys0p-s3cret-pw";
const SMTP_PASSWORD: &str = "Smtp-pa55word-in-log4j";

fn start() -> SimJira {
    SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap()
}

/// A Jira install with a log4j.properties holding a mail appender password.
fn install(dir: &Path) -> std::path::PathBuf {
    let install = dir.join("jira");
    let classes = install.join("atlassian-jira/WEB-INF/classes");
    std::fs::create_dir_all(&classes).unwrap();
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/log4j/jira-7.13.2-log4j.properties"
    ))
    .unwrap();
    text.push_str(&format!(
        "log4j.appender.mailer.SMTPPassword = {SMTP_PASSWORD}\n"
    ));
    std::fs::write(classes.join("log4j.properties"), text).unwrap();
    install
}

/// Make PAT requests so the log's head holds TRACE lines with hashed tokens and ids.
fn pat_traffic(sim: &SimJira) {
    sim.set_level("com.atlassian.pats", Level::Trace);
    let http = reqwest::blocking::Client::new();
    for name in ["test", "ci, deploy (prod)=1"] {
        let raw = &sim.accounts().token(name).unwrap().raw;
        let r = http
            .get(format!("{}/rest/api/2/myself", sim.url()))
            .bearer_auth(raw)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

fn diagnose(
    sim: &SimJira,
    home: &Path,
    output: &Path,
    install: &Path,
    extra: &[&str],
) -> std::process::Output {
    let pat = &sim.accounts().token("test").unwrap().raw;
    let mut c = common::isolated(home);
    c.env("JIRA_URL", sim.url())
        .env("JIRA_TOKEN", pat)
        .env("JIRA_USER", "sysop")
        .env("JIRA_PASSWORD", SYSOP_PASSWORD)
        .stdin(std::process::Stdio::null())
        .arg("diagnose")
        .arg("--output")
        .arg(output)
        .arg("--jira-install")
        .arg(install)
        .arg("--log")
        .arg(sim.log_path())
        .args(extra);
    c.output().unwrap()
}

/// Every value of the simulated Jira that could open a session or identify a secret.
fn secrets(sim: &SimJira) -> Vec<String> {
    let mut s = Vec::new();
    for u in &sim.accounts().users {
        // Most seeded passwords are the user's own name ("admin"), which a bundle shows
        // legitimately (paths, X-AUSERNAME); the account used here has a real one.
        if u.password != u.name {
            s.push(u.password.clone());
        }
    }
    for t in &sim.accounts().tokens {
        s.push(t.raw.clone());
        s.push(t.hashed.trim_start_matches("{PKCS5S2}").to_string());
        s.push(format!("Bearer {}", t.raw));
    }
    let cookies = sim.issued_cookie_values();
    assert!(
        cookies.len() >= 3,
        "the run should have set session and XSRF cookies: {cookies:?}"
    );
    s.extend(cookies);
    use base64::Engine as _;
    s.push(base64::engine::general_purpose::STANDARD.encode(format!("sysop:{SYSOP_PASSWORD}")));
    s.push(SMTP_PASSWORD.to_string());
    assert!(s.contains(&SYSOP_PASSWORD.to_string()));
    s
}

fn assert_no_secret(files: &[(String, String)], secrets: &[String]) {
    for (name, text) in files {
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "secret {secret:?} in bundle file {name}:\n{text}"
            );
        }
    }
}

/// What a user sending the bundle would expect to find in it.
fn assert_useful(files: &[(String, String)]) {
    let get = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "no {name} in {:?}",
                    files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            })
    };
    let ex = get("exchanges.jsonl");
    let lines: Vec<serde_json::Value> = ex
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines
        .iter()
        .any(|e| e["path"] == "/secure/admin/ViewLogging.jspa"
            && e["status"] == 302
            && e["location"]
                .as_str()
                .unwrap_or("")
                .contains("WebSudoAuthenticate")));
    assert!(lines
        .iter()
        .any(|e| e["path"] == "/secure/admin/ViewLogging.jspa"
            && e["status"] == 200
            && e["x_ausername"] == "sysop"));
    assert!(lines
        .iter()
        .any(|e| e["x_atlassian_websudo"] == "Has-Authentication"));
    assert!(lines.iter().any(|e| e["set_cookies"]
        .as_array()
        .is_some_and(|c| c.iter().any(|n| n == "JSESSIONID"))));
    assert!(get("server-info.json").contains("\"version\": \"9.12.2\""));
    let page = get("logging-page.html");
    assert!(page.contains("<td>com.atlassian.pats</td>"), "{page}");
    assert!(page.contains("<strong>TRACE</strong>"));
    assert!(get("log4j/log4j.properties").contains("log4j.logger.com.atlassian = WARN"));
    let head = get("log-head.txt");
    assert_eq!(head.lines().count(), 50);
    assert!(head.contains("Got tokenId: [355510638677]"), "{head}");
    assert!(head.contains("hashedToken={PKCS5S2}<redacted>"), "{head}");
    let readme = get("README.txt");
    assert!(readme.contains(concat!("jira-patrol ", env!("CARGO_PKG_VERSION"))));
    assert!(readme.contains("check:   passed"), "{readme}");
    let summary: serde_json::Value = serde_json::from_str(get("summary.json")).unwrap();
    assert_eq!(summary["tool_version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_tar_gz_bundle_tells_what_happened_and_holds_no_secret() {
    let sim = start();
    pat_traffic(&sim);
    let dir = tempfile::tempdir().unwrap();
    let install = install(dir.path());
    let out = dir.path().join("bundle.tar.gz");
    let r = diagnose(&sim, dir.path(), &out, &install, &["--self-check"]);
    let stdout = String::from_utf8_lossy(&r.stdout);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("bundle.tar.gz"), "{stdout}");
    assert_eq!(
        sim.effective_level("com.atlassian.pats"),
        Level::Trace,
        "the self-check put back the level it found"
    );

    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        assert_eq!(entry.header().mode().unwrap() & 0o777, 0o600, "{name}");
        let name = name
            .strip_prefix("bundle/")
            .expect("under bundle/")
            .to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        files.push((name, text));
    }
    let all = secrets(&sim);
    assert_no_secret(&files, &all);
    assert_no_secret(
        &[
            ("stdout".into(), stdout.into()),
            ("stderr".into(), stderr.into()),
        ],
        &all,
    );
    assert_useful(&files);
    let probe = &files
        .iter()
        .find(|(n, _)| n == "self-check.log")
        .expect("the self-check's lines are bundled")
        .1;
    // The probe used the PAT login ("test", token id 355510638677); its secret is masked.
    assert!(probe.contains("Got tokenId: [355510638677]"), "{probe}");
    assert!(probe.contains("/rest/api/2/myself"), "{probe}");
    assert!(probe.lines().count() >= 3, "{probe}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn a_directory_bundle_is_private_and_holds_no_secret() {
    let sim = start();
    pat_traffic(&sim);
    let dir = tempfile::tempdir().unwrap();
    let install = install(dir.path());
    let out = dir.path().join("bundle");
    let r = diagnose(&sim, dir.path(), &out, &install, &[]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    let mut files = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
            }
            let name = p.strip_prefix(&out).unwrap().display().to_string();
            files.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    assert_no_secret(&files, &secrets(&sim));
    assert_useful(&files);

    // An existing output is never overwritten.
    let again = diagnose(&sim, dir.path(), &out, &install, &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_failing_check_still_gives_a_bundle_that_says_where_it_stopped() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        sso_websudo: Some(jira_sim::SSO_OTHER_HOST.into()),
        ..SimConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let r = common::isolated(dir.path())
        .env("JIRA_URL", sim.url())
        .env("JIRA_USER", "sysop")
        .env("JIRA_PASSWORD", SYSOP_PASSWORD)
        .stdin(std::process::Stdio::null())
        .args(["diagnose", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    assert!(stderr.contains("single sign-on"), "{stderr}");
    let readme = std::fs::read_to_string(out.join("README.txt")).unwrap();
    assert!(readme.contains("check:   failed: Jira sends its administrator re-authentication (websudo) to single sign-on"), "{readme}");
    assert!(
        readme.contains("logging-page.html: /secure/admin/ViewLogging.jspa could not be read"),
        "{readme}"
    );
    assert!(readme.contains("no --jira-install DIR given"), "{readme}");
    assert!(!out.join("logging-page.html").exists());
    let ex = std::fs::read_to_string(out.join("exchanges.jsonl")).unwrap();
    assert!(
        ex.contains(r#""location":"https://idp.example.test/saml/login?redirectTo=%2Fsecure%2Fadmin%2FViewLogging.jspa&SAMLRequest=<redacted>""#),
        "{ex}"
    );
}
