//! Tomcat's access log as a user meets it: lines of the stock and of edited patterns,
//! the valve found in `server.xml`, the daily files of a node's `logs/` directory, and
//! the live file followed through midnight.

use std::io::Write;
use std::path::{Path, PathBuf};

use jira_patrol::access::files::{discover, DailyFollower, LineReader, MAX_LINE};
use jira_patrol::access::pattern::{Pattern, PatternError, STOCK};
use jira_patrol::access::serverxml::{self, ServerXmlError};
use jira_patrol::access::{DurationUnit, Entry};

/// The example line of jira-facts §7.
const FACTS_LINE: &[u8] = br#"10.1.2.3 904x1468x1 admin [11/Oct/2022:15:04:28 +0000] "GET /rest/api/2/search?jql=x HTTP/1.1" 200 1234 57 "-" "python-requests/2.31.0" "lnu1vp""#;

/// 2022-10-11T15:04:28Z.
const FACTS_MS: i64 = 1_665_500_668_000;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/access")
        .join(name)
}

/// An install directory whose `conf/server.xml` is the named fixture.
fn install_with(server_xml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::copy(fixture(server_xml), dir.path().join("conf/server.xml")).unwrap();
    dir
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn poll_lines(f: &mut DailyFollower) -> Vec<String> {
    let mut v = Vec::new();
    f.poll(&mut |l| v.push(String::from_utf8_lossy(l).into_owned()))
        .unwrap();
    v
}

#[test]
fn the_stock_line_of_the_facts_reads_into_every_field() {
    let p = Pattern::stock();
    assert_eq!(p.text(), STOCK);
    assert!(p.has_request_id() && p.has_time() && p.has_status() && p.has_duration());
    assert!(p.has_user_agent() && p.duration_needs_unit());
    let e = p.parse_line(FACTS_LINE, DurationUnit::Ms).unwrap();
    assert_eq!(
        e,
        Entry {
            time_ms: FACTS_MS,
            request_id: Some(b"904x1468x1"),
            status: Some(200),
            bytes: Some(1234),
            duration_us: Some(57_000),
            user_agent: Some(b"python-requests/2.31.0"),
            method: Some(b"GET"),
            path: Some(b"/rest/api/2/search"),
            remote: Some(b"10.1.2.3"),
            username: Some(b"admin"),
        }
    );
    assert_eq!(
        p.parse_key(FACTS_LINE),
        Some((FACTS_MS, Some(&b"904x1468x1"[..])))
    );
    // Windows line ends and other offsets.
    let mut crlf = FACTS_LINE.to_vec();
    crlf.extend_from_slice(b"\r");
    assert_eq!(p.parse_line(&crlf, DurationUnit::Ms), Some(e));
    let east = String::from_utf8_lossy(FACTS_LINE).replace("+0000", "+0530");
    let e = p.parse_line(east.as_bytes(), DurationUnit::Ms).unwrap();
    assert_eq!(e.time_ms, FACTS_MS - 330 * 60_000);
}

#[test]
fn dashes_mean_none_and_a_dash_size_means_zero_bytes() {
    let line =
        br#"10.1.2.3 - - [11/Oct/2022:15:04:28 +0000] "GET /status HTTP/1.1" 304 - 2 "-" "-" "-""#;
    let e = Pattern::stock().parse_line(line, DurationUnit::Ms).unwrap();
    assert_eq!(e.request_id, None);
    assert_eq!(e.username, None);
    assert_eq!(e.user_agent, None);
    assert_eq!(e.bytes, Some(0));
    assert_eq!(e.status, Some(304));
    assert_eq!(e.path, Some(&b"/status"[..]));
    assert_eq!(Pattern::stock().parse_key(line), Some((FACTS_MS, None)));
}

#[test]
fn an_escaped_quote_inside_the_user_agent_does_not_end_it() {
    let line = br#"10.1.2.3 904x1468x1 admin [11/Oct/2022:15:04:28 +0000] "GET /x HTTP/1.1" 200 10 5 "-" "Mozilla \"quoted\" \\ 5.0" "lnu1vp""#;
    let e = Pattern::stock().parse_line(line, DurationUnit::Ms).unwrap();
    assert_eq!(e.user_agent, Some(&br#"Mozilla \"quoted\" \\ 5.0"#[..]));
    // A quote the valve did not escape in the last field still leaves the line readable.
    let line = br#"10.1.2.3 904x1468x1 admin [11/Oct/2022:15:04:28 +0000] "GET /x HTTP/1.1" 200 10 5 "-" "ua" "a"b""#;
    assert!(Pattern::stock()
        .parse_line(line, DurationUnit::Ms)
        .is_some());
}

#[test]
fn percent_d_is_read_in_the_unit_given() {
    let p = Pattern::stock();
    let ms = p.parse_line(FACTS_LINE, DurationUnit::Ms).unwrap();
    let us = p.parse_line(FACTS_LINE, DurationUnit::Us).unwrap();
    assert_eq!(ms.duration_us, Some(57_000));
    assert_eq!(us.duration_us, Some(57));
}

#[test]
fn percent_t_is_decimal_seconds() {
    let p = Pattern::parse(r#"%{jira.request.id}r %t %T"#).unwrap();
    assert!(!p.duration_needs_unit());
    for (t, us) in [("0.057", 57_000), ("12", 12_000_000), ("1.5", 1_500_000)] {
        let line = format!("1x2x3 [11/Oct/2022:15:04:28 +0000] {t}");
        let e = p.parse_line(line.as_bytes(), DurationUnit::Us).unwrap();
        assert_eq!(e.duration_us, Some(us), "{t}");
    }
}

#[test]
fn the_custom_pattern_of_server_xml_reads_a_line_written_by_it() {
    let install = install_with("server-custom.xml");
    let cfg = serverxml::read(install.path()).unwrap();
    assert_eq!(cfg.directory, install.path().join("logs/http"));
    assert_eq!(cfg.prefix, "jira_access");
    assert_eq!(cfg.suffix, ".log");
    assert_eq!(cfg.file_date_format, ".yyyy-MM-dd");
    assert!(cfg.rotatable && !cfg.rename_on_rotate);
    let p = Pattern::parse(&cfg.pattern).unwrap();
    assert_eq!(
        p.text(),
        r#"%h %{jira.request.id}r %t "%r" %s %B %T "%{User-Agent}i" %I "%{X-Forwarded-For}i""#
    );
    let line = br#"proxy.example.com 600x12x3 [25/Nov/2026:10:00:00 +0100] "POST /rest/api/2/issue?x=1 HTTP/1.1" 201 5120 0.057 "curl/8.4.0" http-nio-8080-exec-7 "203.0.113.5, 10.0.0.1""#;
    let e = p.parse_line(line, DurationUnit::Ms).unwrap();
    assert_eq!(
        e,
        Entry {
            time_ms: 1_795_600_800_000 - 3_600_000, // 10:00 at +0100
            request_id: Some(b"600x12x3"),
            status: Some(201),
            bytes: Some(5120),
            duration_us: Some(57_000),
            user_agent: Some(b"curl/8.4.0"),
            method: Some(b"POST"),
            path: Some(b"/rest/api/2/issue"),
            remote: Some(b"proxy.example.com"),
            username: None,
        }
    );
    assert!(!p.has_username());
    // A line of the stock pattern does not fit.
    assert_eq!(p.parse_line(FACTS_LINE, DurationUnit::Ms), None);
}

#[test]
fn the_stock_server_xml_gives_the_stock_pattern_and_ignores_the_commented_valve() {
    let install = install_with("server.xml");
    let all = serverxml::read_all(install.path()).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    let cfg = &all[0];
    assert_eq!(cfg.pattern, STOCK);
    assert_eq!(cfg.directory, install.path().join("logs"));
    assert_eq!(cfg.prefix, "access_log");
    assert_eq!(cfg.suffix, "");
    assert!(cfg.rotatable);
    assert!(Pattern::parse(&cfg.pattern).unwrap().has_request_id());
}

#[test]
fn server_xml_problems_are_told_apart() {
    let empty = tempfile::tempdir().unwrap();
    let e = serverxml::read(empty.path()).unwrap_err();
    assert!(matches!(e, ServerXmlError::Missing(_)), "{e}");
    std::fs::create_dir(empty.path().join("conf")).unwrap();
    std::fs::write(
        empty.path().join("conf/server.xml"),
        "<Server><!-- <Valve className=\"org.apache.catalina.valves.AccessLogValve\"/> --></Server>",
    )
    .unwrap();
    let e = serverxml::read(empty.path()).unwrap_err();
    assert!(matches!(e, ServerXmlError::NoValve(_)), "{e}");
    assert!(e.to_string().contains("AccessLogValve"), "{e}");
    std::fs::write(
        empty.path().join("conf/server.xml"),
        "<Server><Valve a=\"1\"",
    )
    .unwrap();
    let e = serverxml::read(empty.path()).unwrap_err();
    assert!(matches!(e, ServerXmlError::BadXml { .. }), "{e}");
}

#[test]
fn versions_come_from_the_install_and_pick_the_unit() {
    let install = tempfile::tempdir().unwrap();
    assert_eq!(serverxml::tomcat_version(install.path()), None);
    std::fs::write(
        install.path().join("RELEASE-NOTES"),
        "\n                     Apache Tomcat Version 9.0.75\n                            Release Notes\n",
    )
    .unwrap();
    let pom = install
        .path()
        .join("atlassian-jira/META-INF/maven/com.atlassian.jira/jira-webapp-dist");
    std::fs::create_dir_all(&pom).unwrap();
    std::fs::write(
        pom.join("pom.properties"),
        "#Generated by Maven\nversion=9.12.2\ngroupId=com.atlassian.jira\n",
    )
    .unwrap();
    let tomcat = serverxml::tomcat_version(install.path()).unwrap();
    assert_eq!(tomcat, "9.0.75");
    assert_eq!(serverxml::unit_for_tomcat(&tomcat), Some(DurationUnit::Ms));
    let jira = serverxml::jira_version(install.path()).unwrap();
    assert_eq!(jira, "9.12.2");
    assert_eq!(serverxml::unit_for_jira(&jira), Some(DurationUnit::Ms));
    assert_eq!(
        serverxml::unit_for_tomcat("10.1.28"),
        Some(DurationUnit::Us)
    );
    assert_eq!(serverxml::unit_for_jira("11.0.1"), Some(DurationUnit::Us));
}

#[test]
fn an_unknown_code_is_refused_by_name() {
    for (pattern, code) in [("%a %Z %t", "%Z"), ("%a %{x}Q", "%{x}Q")] {
        let e = Pattern::parse(pattern).unwrap_err();
        assert!(matches!(e, PatternError::UnknownCode(_)), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(&format!("'{code}'")), "{msg}");
        assert!(msg.contains("supported") && msg.contains("%{x}i"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    // Lacking the id or the time is for the caller to report, not an error.
    let p = Pattern::parse("common").unwrap();
    assert!(!p.has_request_id() && p.has_time());
    assert!(!Pattern::parse("%a %s").unwrap().has_time());
}

#[test]
fn common_and_combined_are_tomcats_aliases() {
    let line = br#"10.0.0.1 - bob [11/Oct/2022:15:04:28 +0000] "GET /secure/Dashboard.jspa?a=b HTTP/1.1" 200 512"#;
    let e = Pattern::parse("common")
        .unwrap()
        .parse_line(line, DurationUnit::Ms)
        .unwrap();
    assert_eq!(e.username, Some(&b"bob"[..]));
    assert_eq!(e.method, Some(&b"GET"[..]));
    assert_eq!(e.path, Some(&b"/secure/Dashboard.jspa"[..]));
    assert_eq!(e.time_ms, FACTS_MS);
    let mut combined = line.to_vec();
    combined.extend_from_slice(br#" "-" "Jira-Client/1.0""#);
    let p = Pattern::parse("combined").unwrap();
    assert_eq!(p.text(), "combined");
    let e = p.parse_line(&combined, DurationUnit::Ms).unwrap();
    assert_eq!(e.user_agent, Some(&b"Jira-Client/1.0"[..]));
}

#[test]
fn discover_orders_a_nodes_days_and_ignores_other_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("access_log.2026-11-25"), "b\n").unwrap();
    std::fs::write(d.join("access_log.2026-11-24.gz"), gz(b"a\n")).unwrap();
    std::fs::write(d.join("catalina.out"), "x\n").unwrap();
    std::fs::write(d.join("catalina.2026-11-23.log"), "x\n").unwrap();
    let groups = discover(
        &[d.to_path_buf(), d.join("access_log.2026-11-25")],
        "access_log",
    )
    .unwrap();
    assert_eq!(groups.len(), 1);
    let names: Vec<_> = groups[0]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["access_log.2026-11-24.gz", "access_log.2026-11-25"]);

    // Two nodes are two groups; a directory without the files is named in the error.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("access_log.2026-11-25.log"), "c\n").unwrap();
    let groups = discover(&[d.to_path_buf(), other.path().to_path_buf()], "access_log").unwrap();
    assert_eq!(groups.len(), 2);
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("catalina.out"), "x\n").unwrap();
    let e = discover(&[empty.path().to_path_buf()], "access_log")
        .unwrap_err()
        .to_string();
    assert!(e.contains(&empty.path().display().to_string()), "{e}");
    assert!(e.contains("access_log."), "{e}");
}

#[test]
fn line_reader_reads_gzip_and_plain_days_as_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("access_log.2026-11-24.gz");
    let b = dir.path().join("access_log.2026-11-25");
    std::fs::write(&a, gz(b"one\ntwo\r\nthree")).unwrap();
    std::fs::write(&b, "four\n\nfive\n").unwrap();
    let total = std::fs::metadata(&a).unwrap().len() + std::fs::metadata(&b).unwrap().len();
    let mut r = LineReader::new(vec![a.clone(), b.clone()]);
    let mut got = Vec::new();
    while let Some(l) = r.next_line().unwrap() {
        got.push(String::from_utf8_lossy(l).into_owned());
        let cur = r.current_file().unwrap().to_path_buf();
        assert_eq!(&cur, if got.len() <= 3 { &a } else { &b });
    }
    assert_eq!(got, ["one", "two\r", "three", "four", "", "five"]);
    assert_eq!(r.bytes_read(), total);
}

#[test]
fn line_reader_cuts_a_runaway_line_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access_log.2026-11-25");
    let mut body = vec![b'x'; MAX_LINE * 5 + 17];
    body.extend_from_slice(b"\nnext\n");
    std::fs::write(&f, &body).unwrap();
    let mut r = LineReader::new(vec![f]);
    assert_eq!(r.next_line().unwrap().unwrap().len(), MAX_LINE);
    assert_eq!(r.next_line().unwrap(), Some(&b"next"[..]));
    assert_eq!(r.next_line().unwrap(), None);
}

#[test]
fn line_reader_names_a_broken_gzip_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access_log.2026-11-24.gz");
    let mut bytes = gz(&b"line\n".repeat(1000));
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&f, bytes).unwrap();
    let mut r = LineReader::new(vec![f.clone()]);
    let err = loop {
        match r.next_line() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a cut gzip file read to its end"),
            Err(e) => break e.to_string(),
        }
    };
    assert!(err.contains(&f.display().to_string()), "{err}");
}

#[test]
fn daily_follower_reads_new_lines_then_drains_the_old_day_and_switches() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("access_log.2026-11-24");
    let day2 = dir.path().join("access_log.2026-11-25");
    std::fs::write(dir.path().join("access_log.2026-11-23"), "old\n").unwrap();
    std::fs::write(&day1, "before start\n").unwrap();
    std::fs::write(dir.path().join("catalina.out"), "noise\n").unwrap();

    let mut f = DailyFollower::start(dir.path(), "access_log").unwrap();
    assert_eq!(f.current_file(), Some(day1.as_path()));
    assert!(
        poll_lines(&mut f).is_empty(),
        "lines before start are not read"
    );

    append(&day1, b"a1\na2 par");
    assert_eq!(poll_lines(&mut f), ["a1"]);
    append(&day1, b"tial\r\n");
    assert_eq!(poll_lines(&mut f), ["a2 partial"]);

    // Midnight: the old day's last lines land, then Tomcat opens the new day's file.
    append(&day1, b"a3\na4\n");
    std::fs::write(&day2, "b1\nb2\n").unwrap();
    assert_eq!(poll_lines(&mut f), ["a3", "a4", "b1", "b2"]);
    assert_eq!(f.current_file(), Some(day2.as_path()));
    append(&day2, b"b3\n");
    assert_eq!(poll_lines(&mut f), ["b3"]);
    assert!(poll_lines(&mut f).is_empty());
}

#[test]
fn daily_follower_started_mid_line_skips_that_lines_tail() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("access_log.2026-11-25");
    std::fs::write(&day, "whole\nhalf writ").unwrap();
    let mut f = DailyFollower::start(dir.path(), "access_log").unwrap();
    append(&day, b"ten\nnext\n");
    assert_eq!(poll_lines(&mut f), ["next"]);
}

#[cfg(unix)]
#[test]
fn daily_follower_survives_rename_on_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access_log");
    std::fs::write(&live, "before\n").unwrap();
    let mut f = DailyFollower::start(dir.path(), "access_log").unwrap();
    append(&live, b"a1\n");
    assert_eq!(poll_lines(&mut f), ["a1"]);
    // Midnight with renameOnRotate: the live file gets its date, a new one takes its name.
    append(&live, b"a2\n");
    std::fs::rename(&live, dir.path().join("access_log.2026-11-24")).unwrap();
    std::fs::write(&live, "b1\n").unwrap();
    assert_eq!(poll_lines(&mut f), ["a2", "b1"]);
    append(&live, b"b2\n");
    assert_eq!(poll_lines(&mut f), ["b2"]);
}

#[test]
fn daily_follower_reads_the_first_file_from_its_start_when_none_existed() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = DailyFollower::start(dir.path(), "access_log").unwrap();
    assert_eq!(f.current_file(), None);
    assert!(poll_lines(&mut f).is_empty());
    std::fs::write(dir.path().join("access_log.2026-11-25"), "first\n").unwrap();
    assert_eq!(poll_lines(&mut f), ["first"]);
}
