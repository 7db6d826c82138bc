//! The parallel scan gives the one-thread scan's report: the same requests in the same
//! order, the same counts, files, warnings and partial notes, on generated logs cut into
//! chunks so small that requests (and lines) straddle every chunk boundary, and on
//! rotated sets (plain, gzipped, CRLF, a mapped backup) whose requests straddle files.

mod common;

use common::genlog::{self, Config};
use jira_patrol::scan::input::{discover, scan_streams_indexed, ReadOptions, Source};
use jira_patrol::scan::{Request, Scanner, Stats, Zone};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Everything a report is made of.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<(usize, Request)>,
    stats: Stats,
    files: Vec<String>,
    warnings: Vec<String>,
    partial: Vec<String>,
}

fn scan(streams: &[Vec<Source>], threads: usize, chunk: usize, mmap: bool) -> Outcome {
    let mut scanner = Scanner::new(Zone::new(jiff::tz::TimeZone::UTC));
    let mut requests = Vec::new();
    let opts = ReadOptions {
        progress: None,
        mmap,
        threads,
        chunk,
    };
    let run = scan_streams_indexed(streams, &mut scanner, opts, &mut |i, r| {
        requests.push((i, r))
    })
    .unwrap();
    Outcome {
        requests,
        stats: scanner.stats().clone(),
        files: run.files,
        warnings: run.warnings,
        partial: run.partial,
    }
}

/// The parallel scan equals the one-thread scan for every chunk size and thread count.
fn assert_same(dir: &Path, chunks: &[usize], mmap: bool) -> Outcome {
    let streams = discover(&[dir.to_path_buf()]).unwrap();
    let one = scan(&streams, 1, 0, mmap);
    assert!(
        !one.requests.is_empty(),
        "a test with no request proves little"
    );
    for &chunk in chunks {
        for threads in [2, 3] {
            let many = scan(&streams, threads, chunk, mmap);
            if many != one {
                // The first difference, not two pages of requests.
                let at = one
                    .requests
                    .iter()
                    .zip(&many.requests)
                    .position(|(a, b)| a != b);
                panic!(
                    "chunk {chunk}, {threads} threads: {} vs {} requests, first differing at {at:?}: {:#?}\nstats {:?}\nvs    {:?}\nwarnings {:?}\nvs       {:?}",
                    one.requests.len(),
                    many.requests.len(),
                    at.map(|i| (&one.requests[i], &many.requests[i])),
                    one.stats,
                    many.stats,
                    one.warnings,
                    many.warnings
                );
            }
        }
    }
    one
}

fn generate(cfg: &Config) -> Vec<u8> {
    let mut v = Vec::new();
    genlog::generate(cfg, &mut v).unwrap();
    v
}

/// `log` cut at line boundaries into `parts` pieces of about equal size.
fn cut(log: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..parts {
        let at = log.len() * i / parts;
        let end = at + log[at..].iter().position(|&c| c == b'\n').unwrap() + 1;
        out.push(&log[start..end]);
        start = end;
    }
    out.push(&log[start..]);
    out
}

/// Gzip in two members, as `cat a.gz b.gz` makes.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let half = data.len() / 2;
    for part in [&data[..half], &data[half..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(part).unwrap();
        out.extend(e.finish().unwrap());
    }
    out
}

/// A rotated set: `.3` plain, `.2.gz`, `.1` plain, the live log; requests in flight
/// across each cut.
fn rotated_set(dir: &Path, log: &[u8]) {
    let parts = cut(log, 4);
    std::fs::write(dir.join("atlassian-jira.log.3"), parts[0]).unwrap();
    std::fs::write(dir.join("atlassian-jira.log.2.gz"), gzip(parts[1])).unwrap();
    std::fs::write(dir.join("atlassian-jira.log.1"), parts[2]).unwrap();
    std::fs::write(dir.join("atlassian-jira.log"), parts[3]).unwrap();
}

#[test]
fn tiny_chunks_give_the_one_thread_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config {
        bytes: 24 << 10,
        concurrency: 6,
        ..Config::default()
    });
    std::fs::write(dir.path().join("atlassian-jira.log"), &log).unwrap();
    let one = assert_same(dir.path(), &[1, 2, 7, 100], true);
    assert!(one.stats.pat_lines > 20);
}

#[test]
fn a_rotated_set_with_gzip_gives_the_one_thread_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config {
        bytes: 400 << 10,
        concurrency: 8,
        seed: 7,
        ..Config::default()
    });
    rotated_set(dir.path(), &log);
    let one = assert_same(dir.path(), &[61, 4093, 1 << 20], true);
    assert_eq!(one.files.len(), 4);
}

#[test]
fn a_crlf_set_gives_the_one_thread_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config {
        bytes: 200 << 10,
        concurrency: 8,
        crlf: true,
        seed: 11,
        ..Config::default()
    });
    assert!(log.windows(2).any(|w| w == b"\r\n"));
    rotated_set(dir.path(), &log);
    assert_same(dir.path(), &[13, 997], true);
}

#[test]
fn odd_lines_give_the_one_thread_report() {
    // Over-long lines (with and without a PAT literal, one unfinished at the end of the
    // file), unreadable PAT lines, a file that is no Jira log, an empty file.
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config {
        bytes: 60 << 10,
        seed: 3,
        ..Config::default()
    });
    let parts = cut(&log, 2);
    let mut first = parts[0].to_vec();
    first.extend_from_slice(b"2022-10-11 15:04:09,100+0000 main INFO      [c.a.Foo] ");
    first.extend(std::iter::repeat_n(b'x', 150 << 10));
    first.extend_from_slice(b" TokenBasedAuthenticationFilter\n");
    first.extend_from_slice(b"2022-10-11 15:04:09,100+0000 exec-1 TRACE [c.a.pats.X] ");
    first.extend(std::iter::repeat_n(b'y', 70 << 10));
    first.push(b'\n');
    first.extend_from_slice(b"2022-10-11 15:04:09,101+0000 pats. a layout nobody knows\n");
    let mut second = parts[1].to_vec();
    second.extend_from_slice(b"2022-10-11 16:04:09,100+0000 exec-2 TRACE [c.a.pats.Y] ");
    second.extend(std::iter::repeat_n(b'z', 80 << 10));
    std::fs::write(dir.path().join("atlassian-jira.log.1"), first).unwrap();
    std::fs::write(dir.path().join("atlassian-jira.log.2"), b"").unwrap();
    std::fs::write(dir.path().join("atlassian-jira.log"), second).unwrap();
    let notes = "no log here, only pats. and words\n".repeat(300);
    std::fs::write(dir.path().join("atlassian-jira.log.notes"), notes).unwrap();
    let one = assert_same(dir.path(), &[5, 4093, 1 << 20], true);
    // Not the first: its literal is past the longest line kept.
    assert_eq!(one.stats.long_lines, 2, "{:?}", one.stats);
    assert!(one.stats.unreadable_pat_lines >= 1, "{:?}", one.stats);
    assert!(
        one.warnings
            .iter()
            .any(|w| w.contains("is this a Jira log?")),
        "{:?}",
        one.warnings
    );
}

#[test]
fn a_mapped_backup_gives_the_one_thread_report() {
    // Large and settled enough to be mapped; windows of a few KiB then fall everywhere.
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config {
        bytes: 4 << 20 | 100 << 10,
        pat_share: 0.05,
        concurrency: 8,
        seed: 5,
        ..Config::default()
    });
    let parts = cut(&log, 40);
    let backup: Vec<u8> = parts[..39].concat();
    let path = dir.path().join("atlassian-jira.log.1");
    std::fs::write(&path, &backup).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    std::fs::write(dir.path().join("atlassian-jira.log"), parts[39]).unwrap();
    for mmap in [true, false] {
        assert_same(dir.path(), &[4093], mmap);
    }
}

#[test]
fn summarize_threads_gives_the_same_report_and_warnings() {
    // The command as people run it: `--threads 2` (chunks of 97 bytes through the test
    // knob) against `--threads 1`, on a CRLF rotated set with a gzipped backup.
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("log");
    std::fs::create_dir(&logs).unwrap();
    let log = generate(&Config {
        bytes: 120 << 10,
        concurrency: 8,
        crlf: true,
        seed: 13,
        ..Config::default()
    });
    rotated_set(&logs, &log);
    let run = |threads: &str| {
        let out = common::isolated(dir.path())
            .arg("summarize")
            .arg(&logs)
            .args(["--format", "json", "--tz", "UTC", "--threads", threads])
            .env("JIRA_PATROL_TEST_CHUNK", "97")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        (out.stdout, String::from_utf8(out.stderr).unwrap())
    };
    let (one, one_err) = run("1");
    let (two, two_err) = run("2");
    assert_eq!(String::from_utf8_lossy(&one), String::from_utf8_lossy(&two));
    assert_eq!(one_err, two_err);
    let j: serde_json::Value = serde_json::from_slice(&two).unwrap();
    assert_eq!(j["files"].as_array().unwrap().len(), 4);
    assert!(j["pat_lines"].as_u64().unwrap() > 100, "{j}");
    // Standard input, read in its turn between files.
    let stdin = |threads: &str| {
        let mut child = common::isolated(dir.path())
            .arg("summarize")
            .arg(logs.join("atlassian-jira.log.3"))
            .args(["-", "--format", "json", "--tz", "UTC", "--threads", threads])
            .env("JIRA_PATROL_TEST_CHUNK", "97")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let data = std::fs::read(logs.join("atlassian-jira.log.1")).unwrap();
        child.stdin.take().unwrap().write_all(&data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(
        String::from_utf8_lossy(&stdin("1")),
        String::from_utf8_lossy(&stdin("2"))
    );
    // Zero threads is no number of threads.
    let out = common::isolated(dir.path())
        .args(["summarize", "--threads", "0"])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
