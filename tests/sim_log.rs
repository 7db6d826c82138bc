//! What the simulated Jira writes to atlassian-jira.log: the KB's PAT TRACE sequence line
//! for line, the subsets other levels give, failure sequences, the batcher job, noise with
//! stack traces, date styles, and rotation in both modes.

use jira_sim::Level;
use jira_sim::{RotationMode, SimConfig, SimJira};
use reqwest::blocking::Client;
use std::path::Path;

mod sim_support;
use sim_support::{is_continuation, parse, Entry};

/// Replaces the contents of each outermost `[...]` with nothing (values vary, shape stays).
fn mask(msg: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in msg.chars() {
        match c {
            '[' => {
                if depth == 0 {
                    out.push('[');
                }
                depth += 1;
            }
            ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(']');
                }
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn kb() -> Vec<Entry> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs/kb-pat-trace-snippet.log"),
    )
    .unwrap();
    text.lines().map(|l| parse(l).expect(l)).collect()
}

struct Tail {
    path: std::path::PathBuf,
    offset: u64,
}

impl Tail {
    fn at_end(sim: &SimJira) -> Tail {
        let path = sim.log_path();
        let offset = std::fs::metadata(&path).unwrap().len();
        Tail { path, offset }
    }
    fn lines(&self) -> Vec<String> {
        let all = std::fs::read(&self.path).unwrap();
        String::from_utf8(all[self.offset as usize..].to_vec())
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }
    fn entries(&self) -> Vec<Entry> {
        self.lines().iter().filter_map(|l| parse(l)).collect()
    }
}

fn pat_get(sim: &SimJira, path: &str, token: &str) -> u16 {
    Client::new()
        .get(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn raw(sim: &SimJira, name: &str) -> String {
    sim.accounts().token(name).unwrap().raw.clone()
}

fn quiet() -> SimConfig {
    SimConfig {
        noise: false,
        ..SimConfig::default()
    }
}

#[test]
fn a_pat_request_at_trace_writes_the_kb_sequence_line_for_line() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let token = raw(&sim, "test");
    // The first use of a token misses the validator cache (one more line); the KB shows a hit.
    assert_eq!(pat_get(&sim, "/rest/api/2/myself", &token), 200);
    let tail = Tail::at_end(&sim);
    assert_eq!(pat_get(&sim, "/rest/api/2/issue/SCRUM-19", &token), 200);
    let got = tail.entries();
    assert_eq!(
        tail.lines().len(),
        got.len(),
        "only whole single-line entries"
    );
    let want = kb();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.level, w.level, "{}", g.message);
        assert_eq!(g.category, w.category);
        assert_eq!(mask(&g.message), mask(&w.message));
        assert_eq!(g.user, w.user, "{}", g.message);
        assert_eq!(g.asession == "-", w.asession == "-", "{}", g.message);
        assert_eq!(g.thread, got[0].thread);
        assert_eq!(g.request_id, got[0].request_id);
        assert_eq!(g.url, "/rest/api/2/issue/SCRUM-19");
        assert_eq!(g.ip, "127.0.0.1");
        assert_eq!(g.date.len(), w.date.len(), "date with +0000 offset");
    }
    assert!(got[0].thread.starts_with("http-nio-8080-exec-"));
    let rid: Vec<&str> = got[0].request_id.split('x').collect();
    assert_eq!(rid.len(), 3);
    assert!(rid.iter().all(|p| p.parse::<u32>().is_ok()));

    // Values carried by the lines.
    let t = sim.accounts().token("test").unwrap();
    assert_eq!(
        got[1].message,
        format!("Got tokenId: [{}] from token", t.token_id)
    );
    assert!(got[3].message.contains(&format!("[{}]", t.hashed)));
    assert!(t.hashed.starts_with("{PKCS5S2}") && t.hashed.len() == 73);
    let dto = &got[4].message;
    let keys = |m: &str| -> Vec<String> {
        let inner = &m[m.find("TokenDTO(").unwrap() + 9..];
        inner
            .split(", ")
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
            .collect()
    };
    assert_eq!(keys(dto), keys(&want[4].message));
    assert!(dto.contains(&format!("id={}, userKey=admin,", t.id)));
    assert!(dto.contains(&format!("tokenId={}, name=test,", t.token_id)));
    assert_eq!(
        got[6].message,
        format!(
            "Auth SUCCESS for user: [admin] and tokenId: [{}] and expiry:[{}]",
            t.token_id,
            jira_sim::token_dto(t)
                .split("expiringAt=")
                .nth(1)
                .unwrap()
                .split(", notificationState")
                .next()
                .unwrap()
        )
    );
    // `Storing auth time` names the database row id, not the token id.
    assert!(got[7]
        .message
        .ends_with(&format!("for tokenId: [{}]", t.id)));
    assert!(got[7].message.contains("Z] for"));
    let sid = got[8]
        .message
        .rsplit('[')
        .next()
        .unwrap()
        .trim_end_matches(']');
    assert_eq!(sid.len(), 32);
    assert!(sid
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
}

#[test]
fn the_first_use_of_a_token_also_runs_the_password_encoder() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &raw(&sim, "test"));
    let e = tail.entries();
    assert_eq!(e.len(), 11);
    assert_eq!(e[4].category, "c.a.pats.service.DefaultTokenValidator");
    assert!(e[4].message.starts_with(
        "Using password encoder to see if tokens match with hashed token: [{PKCS5S2}"
    ));
}

#[test]
fn debug_gives_only_the_two_debug_lines_and_warn_gives_nothing() {
    let sim = SimJira::start(quiet()).unwrap();
    let token = raw(&sim, "test");
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &token);
    assert!(
        tail.lines().is_empty(),
        "stock levels: com.atlassian.pats inherits WARN"
    );

    sim.set_level("com.atlassian.pats", Level::Debug);
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &token);
    let e = tail.entries();
    let shape: Vec<(&str, &str)> = e
        .iter()
        .map(|e| (e.level.as_str(), e.category.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            ("DEBUG", "c.a.pats.db.PersonalTokenConfigEnricher"),
            ("DEBUG", "c.a.pats.checker.JiraProductUserProvider"),
        ]
    );
    assert_eq!(e[1].message, "Looking for Jira user with key: [admin]");
}

#[test]
fn trace_on_the_service_package_only_gives_service_lines() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats.service", Level::Trace);
    let token = raw(&sim, "test");
    pat_get(&sim, "/rest/api/2/myself", &token);
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &token);
    let msgs: Vec<String> = tail.entries().iter().map(|e| mask(&e.message)).collect();
    assert_eq!(
        msgs,
        [
            "Got tokenId: [] from token",
            "Verifying user token with hashed token: []",
            "Authentication successful - returning token: []",
        ]
    );
}

#[test]
fn failing_tokens_log_their_failure_and_never_auth_success() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let run = |token: &str| {
        let tail = Tail::at_end(&sim);
        assert_eq!(pat_get(&sim, "/rest/api/2/myself", token), 401);
        let e = tail.entries();
        assert!(e.iter().all(|e| e.user == "anonymous" && e.asession == "-"));
        assert!(!e.iter().any(|e| e.message.starts_with("Auth SUCCESS")
            || e.message.starts_with("Invalidating")
            || e.message.starts_with("Storing auth time")));
        assert_eq!(
            e.first().unwrap().message,
            ">>> TokenBasedAuthenticationFilter.doFilter"
        );
        assert_eq!(
            e.last().unwrap().message,
            "<<< TokenBasedAuthenticationFilter.doFilter"
        );
        e.iter().map(|e| e.message.clone()).collect::<Vec<_>>()
    };
    let expired = sim.accounts().token("old laptop").unwrap();
    let m = run(&expired.raw);
    assert_eq!(m.len(), 5, "{m:#?}");
    assert_eq!(
        m[1],
        format!("Got tokenId: [{}] from token", expired.token_id)
    );
    assert_eq!(m[2], "Registering enum types for Querydsl");
    assert!(m[3].starts_with("Auth failure: [") && m[3].contains(&expired.token_id));

    let leaver = sim.accounts().token("cron job").unwrap();
    let m = run(&leaver.raw);
    let dto = m
        .iter()
        .position(|l| l.starts_with("Authentication successful"))
        .unwrap();
    assert!(m[dto].contains("userKey=JIRAUSER10200"));
    assert_eq!(
        m[dto + 1],
        "Looking for Jira user with key: [JIRAUSER10200]"
    );
    assert_eq!(
        m[dto + 2],
        "Auth failure: [Unable to locate active user: JIRAUSER10200]"
    );

    let jdoe = sim.accounts().token("Jira→Slack «bridge» ü").unwrap();
    let tampered = jira_sim::encode_token(&jdoe.token_id, &[9; 20]);
    let m = run(&tampered);
    let fail = m.iter().find(|l| l.starts_with("Auth failure")).unwrap();
    assert!(
        fail.contains("JIRAUSER10100") && fail.contains(&jdoe.token_id),
        "{fail}"
    );
    assert!(!m.iter().any(|l| l.starts_with("Authentication successful")));
    // A wrong secret, exactly as pats-plugin 1.4.7 logs it: the password encoder's line
    // and the failure; no TokenDTO, and no DEBUG line (`Not a valid password!` included).
    let tail = Tail::at_end(&sim);
    assert_eq!(pat_get(&sim, "/rest/api/2/myself", &tampered), 401);
    let e = tail.entries();
    let masked: Vec<String> = e.iter().map(|e| mask(&e.message)).collect();
    assert_eq!(
        masked,
        [
            ">>> TokenBasedAuthenticationFilter.doFilter",
            "Got tokenId: [] from token",
            "Using password encoder to see if tokens match with hashed token: []",
            "Auth failure: []",
            "<<< TokenBasedAuthenticationFilter.doFilter",
        ]
    );
    assert!(e.iter().all(|e| e.level == "TRACE"));

    let m = run("not-a-token!");
    assert_eq!(m.len(), 3);
    assert_eq!(m[1], "Auth failure: [Illegal base64 character 2d]");
}

#[test]
fn the_pruning_job_names_every_owner_without_a_request_and_removes_deleted_owners_tokens() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Debug);
    let tail = Tail::at_end(&sim);
    sim.run_pruning_job();
    let e = tail.entries();
    assert!(e.iter().all(|e| e.thread == "Caesium-1-2"
        && e.level == "DEBUG"
        && e.user.is_empty()
        && e.request_id.is_empty()
        && e.ip.is_empty()
        && e.url.is_empty()));
    let lines: Vec<(&str, &str)> = e
        .iter()
        .map(|e| (e.category.as_str(), e.message.as_str()))
        .collect();
    let look = |k: &str| {
        (
            "c.a.pats.checker.JiraProductUserProvider",
            format!("Looking for Jira user with key: [{k}]"),
        )
    };
    let expected: Vec<(String, String)> = ["100200300400", "JIRAUSER10100", "JIRAUSER10200"]
        .iter()
        .map(|k| {
            let (c, m) = look(k);
            (c.to_string(), m)
        })
        .chain([
            (look("JIRAUSER10900").0.to_string(), look("JIRAUSER10900").1),
            (
                "c.a.pats.jobs.DeletedUserPruningJob".to_string(),
                "Removing tokens for deleted userKey [JIRAUSER10900]".to_string(),
            ),
            (look("admin").0.to_string(), look("admin").1),
        ])
        .collect();
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|(c, m)| (c.to_string(), m.to_string()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        sim.token("313131313131").is_none(),
        "the deleted owner's token is gone"
    );
    // Next run: the owner is gone with its tokens.
    let tail = Tail::at_end(&sim);
    sim.run_pruning_job();
    assert!(!tail
        .lines()
        .iter()
        .any(|l| l.contains("Removing tokens") || l.contains("JIRAUSER10900")));
    sim.set_level("com.atlassian.pats", Level::Warn);
    let tail = Tail::at_end(&sim);
    sim.run_pruning_job();
    assert!(tail.lines().is_empty(), "nothing at WARN");
}

#[test]
fn session_requests_log_only_the_filter_brackets() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let tail = Tail::at_end(&sim);
    let r = Client::new()
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = tail.entries();
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].user.as_str(), e[0].asession.as_str()),
        ("anonymous", "-")
    );
    assert_eq!(e[1].user, "jdoe");
    assert_ne!(e[1].asession, "-");
    assert_eq!(e[1].message, "<<< TokenBasedAuthenticationFilter.doFilter");
}

#[test]
fn the_batcher_job_stamps_last_access_times_in_the_database() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let token = raw(&sim, "ci, deploy (prod)=1");
    let t = sim.accounts().token("ci, deploy (prod)=1").unwrap().clone();
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &token);
    let stored = tail
        .entries()
        .into_iter()
        .find(|e| e.message.starts_with("Storing auth time"))
        .unwrap()
        .message;
    let when = stored
        .split('[')
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .to_string();
    let before = sim.token(&t.token_id).unwrap().last_accessed_at;
    assert_eq!(
        before, t.last_accessed_at,
        "written in batches, not per request"
    );

    let tail = Tail::at_end(&sim);
    sim.flush_last_accessed();
    let e = tail.entries();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].thread, "Caesium-1-3");
    assert_eq!(e[0].user, "", "background threads have no MDC");
    assert_eq!(
        e[0].message,
        format!(
            "Stamping tokens with last accessed times: [{{{}={when}}}]",
            t.id
        )
    );
    assert_eq!(e[1].message, "Updated number tokens: [1]");
    let after = sim.token(&t.token_id).unwrap().last_accessed_at.unwrap();
    assert_eq!(after, when.parse::<jiff::Timestamp>().unwrap());

    // The next TokenDTO shows the stamped time; the name's ", " and "=" are kept verbatim.
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &token);
    let dto = tail
        .entries()
        .into_iter()
        .find(|e| e.message.starts_with("Authentication successful"))
        .unwrap()
        .message;
    assert!(
        dto.contains("name=ci, deploy (prod)=1, createdAt="),
        "{dto}"
    );
    // java.sql.Timestamp spelling of the same instant: no `T`, no `Z`, no trailing zeros.
    let sql = when.replace('T', " ");
    let sql = sql.trim_end_matches('Z').trim_end_matches('0');
    assert!(dto.contains(&format!("lastAccessedAt={sql},")), "{dto}");
    assert!(dto.contains("expiringAt=9999-12-31 00:00:00.0"));
}

#[test]
fn noise_has_renamed_threads_and_stack_traces() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let tail = Tail::at_end(&sim);
    let r = Client::new()
        .get(format!("{}/rest/api/2/issue/BOOM-1", sim.url()))
        .basic_auth("admin", Some("admin"))
        .header("X-Forwarded-For", "10.1.2.61")
        .send()
        .unwrap();
    assert_eq!(r.status(), 500);
    let lines = tail.lines();
    let first = parse(&lines[0]).unwrap();
    assert_eq!(first.level, "ERROR");
    assert!(
        first
            .thread
            .ends_with(" url: /rest/api/2/issue/BOOM-1; user: admin"),
        "{}",
        first.thread
    );
    assert_eq!(first.ip, "10.1.2.61,127.0.0.1");
    assert_eq!(
        first.category,
        "c.a.p.r.c.error.jersey.ThrowableExceptionMapper"
    );
    assert!(lines.len() > 3);
    assert!(lines[1..].iter().all(|l| is_continuation(l)), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("\tat ")));
    assert!(lines.iter().any(|l| l.starts_with("Caused by: ")));
}

#[test]
fn date_styles_follow_version_and_time_zone() {
    let old = SimJira::start(SimConfig {
        version: "8.0.2".into(),
        ..SimConfig::default()
    })
    .unwrap();
    let text = std::fs::read_to_string(old.log_path()).unwrap();
    let e = parse(text.lines().next().unwrap()).unwrap();
    assert_eq!(e.date.len(), 23, "no offset before 8.1: {}", e.date);

    let east = SimJira::start(SimConfig {
        utc_offset_minutes: 120,
        ..SimConfig::default()
    })
    .unwrap();
    let text = std::fs::read_to_string(east.log_path()).unwrap();
    let e = parse(text.lines().next().unwrap()).unwrap();
    assert!(e.date.ends_with("+0200"), "{}", e.date);
}

fn rotation_run(mode: RotationMode) -> (SimJira, Vec<String>) {
    let sim = SimJira::start(SimConfig {
        log_max_bytes: 6 * 1024,
        log_backups: 3,
        rotation: mode,
        ..quiet()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let token = raw(&sim, "test");
    // A handle opened before the traffic tells the two modes apart without inode numbers
    // (a new file may get the number the deleted oldest backup just freed): a renamed file
    // keeps its first line, a copytruncated one is written over from the start.
    let first_line = |f: &mut std::fs::File| {
        use std::io::{BufRead, Seek};
        f.rewind().unwrap();
        let mut l = String::new();
        std::io::BufReader::new(f).read_line(&mut l).unwrap();
        l
    };
    let mut before = std::fs::File::open(sim.log_path()).unwrap();
    let first = first_line(&mut before);
    assert!(!first.is_empty());
    for _ in 0..40 {
        pat_get(&sim, "/rest/api/2/myself", &token);
    }
    assert_eq!(
        first_line(&mut before) == first,
        mode == RotationMode::Rename,
        "{mode:?}: the file open before the traffic was renamed away, not written over"
    );
    let path = sim.log_path();
    let mut files = vec![std::fs::read_to_string(&path).unwrap()];
    for i in 1..=3 {
        files.push(std::fs::read_to_string(format!("{}.{i}", path.display())).unwrap());
    }
    assert!(!Path::new(&format!("{}.4", path.display())).exists());
    assert_eq!(sim.log_files().len(), 4);
    (sim, files)
}

fn check_rotated(files: &[String]) {
    // Whole lines only, each file a tail of the one after it in time: .3 < .2 < .1 < log.
    let mut last_date = String::new();
    for f in files.iter().rev() {
        assert!(f.is_empty() || f.ends_with('\n'));
        for l in f.lines() {
            let e = parse(l).unwrap_or_else(|| panic!("not a whole entry: {l:?}"));
            assert!(e.date >= last_date, "{} < {}", e.date, last_date);
            last_date = e.date;
        }
        assert!(f.len() < 6 * 1024 + 2048, "rotated near the limit");
    }
    // Requests are not split across files mid-line; each backup is full.
    for f in &files[1..] {
        assert!(f.len() >= 6 * 1024);
    }
}

#[test]
fn rotation_by_rename_shifts_backups_with_dot_one_newest() {
    let (_sim, files) = rotation_run(RotationMode::Rename);
    check_rotated(&files);
}

#[test]
fn rotation_by_copytruncate_keeps_the_same_file() {
    let (_sim, files) = rotation_run(RotationMode::CopyTruncate);
    check_rotated(&files);
}

#[test]
fn lost_log4j2_jvm_arguments_make_runtime_levels_do_nothing() {
    let sim = SimJira::start(SimConfig {
        runtime_levels_apply: false,
        ..quiet()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    assert_eq!(sim.levels()["com.atlassian.pats"], Level::Trace);
    let tail = Tail::at_end(&sim);
    pat_get(&sim, "/rest/api/2/myself", &raw(&sim, "test"));
    assert!(
        tail.lines().is_empty(),
        "the page says TRACE, the log stays quiet"
    );
}

#[test]
fn a_restart_forgets_runtime_levels() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    sim.restart();
    assert!(!sim.levels().contains_key("com.atlassian.pats"));
    assert_eq!(sim.effective_level("com.atlassian.pats"), Level::Warn);
    let text = std::fs::read_to_string(sim.log_path()).unwrap();
    assert_eq!(text.matches("Running Jira startup checks.").count(), 2);
}

#[test]
fn tricky_token_names_and_never_used_tokens_are_logged_verbatim() {
    let sim = SimJira::start(quiet()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let name = "release-bot [eu], expiringAt=never";
    let tail = Tail::at_end(&sim);
    assert_eq!(pat_get(&sim, "/rest/api/2/project", &raw(&sim, name)), 200);
    let dto = tail
        .entries()
        .into_iter()
        .find(|e| e.message.starts_with("Authentication successful"))
        .unwrap()
        .message;
    assert!(dto.contains(&format!("name={name}, createdAt=")), "{dto}");
    assert!(dto.contains(", lastAccessedAt=null, "), "{dto}");
    assert!(dto.ends_with(", notificationState=NOT_SENT)]"));
    // The real expiry is the last expiringAt= in the line, not the one inside the name.
    let t = sim.accounts().token(name).unwrap();
    let expiry = jira_sim::token_dto(t);
    let expiry = expiry.rsplit("expiringAt=").next().unwrap();
    assert!(expiry.starts_with(&t.expiring_at.unwrap().to_string()[..10]));
}

#[test]
fn no_backups_means_the_log_starts_over() {
    let sim = SimJira::start(SimConfig {
        log_max_bytes: 2048,
        log_backups: 0,
        ..quiet()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    for _ in 0..10 {
        pat_get(&sim, "/rest/api/2/myself", &raw(&sim, "test"));
    }
    let len = std::fs::metadata(sim.log_path()).unwrap().len();
    assert!(len < 2048 + 1024, "{len}");
    assert!(!Path::new(&format!("{}.1", sim.log_path().display())).exists());
}
