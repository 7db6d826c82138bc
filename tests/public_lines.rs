//! The real `atlassian-jira.log` lines of `tests/fixtures/logs/public-jira-log-lines.txt`
//! (Jira 4.4 to 9.12, from public trackers; see `tests/fixtures/SOURCES.md`) read whole
//! through the scanner: every line is counted, none is taken for a PAT line, entry lines
//! split into the right fields, and the PAT lines of a real request (the support
//! article's snippet) still read right among them.

use jira_patrol::scan::input::{scan_streams, ReadOptions, Source};
use jira_patrol::scan::line::parse;
use jira_patrol::scan::{Outcome, Request, Scanner, Zone};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

fn utc() -> Zone {
    Zone::new(jiff::tz::TimeZone::UTC)
}

/// Scan `files` as one stream; the requests and the scanner's counts.
fn scan(files: &[PathBuf]) -> (Vec<Request>, jira_patrol::scan::input::ScanRun, u64, u64) {
    let mut scanner = Scanner::new(utc());
    let mut seen = Vec::new();
    let streams = vec![files.iter().cloned().map(Source::File).collect::<Vec<_>>()];
    let run = scan_streams(&streams, &mut scanner, ReadOptions::default(), &mut |r| {
        seen.push(r)
    })
    .unwrap();
    let s = scanner.stats();
    (seen, run, s.lines, s.pat_lines)
}

#[test]
fn every_public_line_is_counted_and_none_is_a_pat_request() {
    let path = fixture("public-jira-log-lines.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let (requests, run, lines, pat_lines) = scan(std::slice::from_ref(&path));
    assert_eq!(lines, text.lines().count() as u64);
    assert_eq!(
        pat_lines, 0,
        "no line of the file comes from the PAT plugin"
    );
    assert!(requests.is_empty(), "{requests:?}");
    assert!(
        run.warnings.is_empty(),
        "real Jira lines are recognised as a Jira log: {:?}",
        run.warnings
    );
}

#[test]
fn jira_entry_lines_split_into_their_fields() {
    let text = std::fs::read_to_string(fixture("public-jira-log-lines.txt")).unwrap();
    let mut zone = utc();
    let find = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("fixture line {start}"))
    };

    // 9.12: log4j2 era, empty request fields.
    let l = find("2024-09-28 11:15:43,895+0800");
    let p = parse(l.as_bytes(), &mut zone).expect("9.12 line");
    assert_eq!(p.thread, b"UpmAsynchronousTaskManager:thread-1");
    assert_eq!(p.level, b"INFO");
    assert_eq!(p.username, b"admin");
    assert_eq!(p.category, b"c.a.plugin.manager.DefaultPluginManager");
    assert_eq!(p.ts.offset_min, 480);
    assert_eq!(p.ts.rfc3339(), "2024-09-28T11:15:43.895+08:00");

    // 8.9.1: a thread renamed with spaces, " url: ...; user: ..." after it.
    let l = find("2021-04-16 08:59:06,292+0200");
    let p = parse(l.as_bytes(), &mut zone).expect("8.9.1 line");
    assert_eq!(p.thread_base(), b"https-jsse-nio-8443-exec-49");
    assert_eq!(p.level, b"INFO");
    assert_eq!(p.username, b"user.name");
    assert_eq!(p.request_id, b"539x1474784x1");
    assert_eq!(p.ip, b"11.22.33.44");
    assert_eq!(p.category, b"c.a.plugin.util.WaitUntil");

    // 8.9.1: a thread name with a space and "::".
    let l = find("2021-04-16 08:59:06,362+0200");
    let p = parse(l.as_bytes(), &mut zone).expect("thread with spaces");
    assert_eq!(p.thread, b"ThreadPoolAsyncTaskExecutor::Thread 59");
    assert_eq!(p.level, b"ERROR");
    assert_eq!(p.request_id, b"539x1474784x1");

    // 8.0.2: no offset, "-" session, an X-Forwarded-For list of addresses.
    let l = find("2019-04-03 13:10:50,746 ");
    let p = parse(l.as_bytes(), &mut zone).expect("8.0 line");
    assert_eq!(p.thread, b"http-nio-8080-exec-11");
    assert_eq!(p.username, b"anonymous");
    assert_eq!(p.request_id, b"790x43541x1");
    assert_eq!(p.ip, b"10.1.2.61,172.18.0.6");
    assert_eq!(p.url, b"/plugins/servlet/prometheus/metrics");
    assert_eq!(
        p.category,
        b"r.a.a.p.promjiraexporter.service.MetricCollectorImpl"
    );

    // Data Center startup: every request field empty.
    let l = find("2020-07-28 16:34:37,899 Jira-Bootstrap FATAL");
    let p = parse(l.as_bytes(), &mut zone).expect("empty MDC");
    assert_eq!(p.level, b"FATAL");
    assert_eq!(p.username, b"");
    assert_eq!(p.request_id, b"");
    assert_eq!(p.category, b"c.a.jira.startup.JiraStartupLogger");

    // A Tomcat category with brackets inside (%q{2} of o.a.c.c.C.[.[localhost]...).
    let l = find("2017-03-23 18:31:14,067");
    let p = parse(l.as_bytes(), &mut zone).expect("bracketed category");
    assert_eq!(p.level, b"ERROR");
    assert!(p.category.starts_with(b"o.a.c.c.C.[.[localhost]"), "{l}");

    // 6.x: an IPv6 address field.
    let l = find("2015-03-17 14:51:09,884");
    let p = parse(l.as_bytes(), &mut zone).expect("6.x line");
    assert_eq!(p.request_id, b"882x1649x1");
    assert_eq!(p.ip, b"0:0:0:0:0:0:0:1");
    assert_eq!(p.category, b"atlassian.plugin.loaders.ScanningPluginLoader");

    // Not entry lines: stack frames, wrapped messages, bare timestamps, comments.
    for l in text.lines().filter(|l| {
        l.starts_with('#')
            || l.starts_with(char::is_whitespace)
            || l.starts_with("java.")
            || l.starts_with("Caused by")
            || l.starts_with("com.atlassian")
            || l.starts_with("-- url")
            || l.starts_with("2023-0")
    }) {
        assert!(parse(l.as_bytes(), &mut zone).is_none(), "{l}");
    }
}

#[test]
fn the_pat_lines_of_a_request_read_right_among_the_public_lines() {
    let (requests, _, _, pat_lines) = scan(&[
        fixture("public-jira-log-lines.txt"),
        fixture("kb-pat-trace-snippet.log"),
    ]);
    assert!(pat_lines >= 8, "{pat_lines}");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.token_id.as_deref(), Some("355510638677"));
    assert_eq!(r.user_key.as_deref(), Some("admin"));
    assert_eq!(r.outcome, Some(Outcome::Success));
    assert_eq!(r.request_id, "904x1468x1");
    assert_eq!(r.ip, "192.168.0.1");
    assert_eq!(r.path, "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19");
}
