//! A log cut while `summarize` reads it (a live log under copytruncate): the process
//! ends by its own exit status, never by a signal (SIGBUS under a memory map), and says
//! on stderr and in the report that the report covers only the start of the file. The
//! cut happens at a known point: the binary's test hook pauses the read after N bytes
//! until the test has cut the file, so nothing depends on timing.

mod common;

use common::genlog::{self, Config};
use jira_patrol::scan::input::map_reason;
use serde_json::Value;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

const MIB: u64 = 1 << 20;

/// A generated Jira log of at least `bytes`, named `name` in `dir`.
fn write_log(dir: &Path, name: &str, bytes: u64) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
    genlog::generate(
        &Config {
            bytes,
            pat_share: 0.05,
            ..Config::default()
        },
        &mut f,
    )
    .unwrap();
    drop(f);
    assert!(std::fs::metadata(&path).unwrap().len() >= bytes);
    path
}

/// Date the file back an hour, as a rotated backup nothing writes any more.
fn settle(path: &Path) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

/// Wait for `path` to exist (the reader reached the pause point). The cap only keeps a
/// broken build from hanging the suite.
fn wait_for(path: &Path, child: &mut std::process::Child) -> String {
    let cap = Instant::now() + Duration::from_secs(300);
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.is_empty() {
                return s;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("summarize ended ({status}) before reaching the pause point");
        }
        assert!(
            Instant::now() < cap,
            "summarize never reached the pause point"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Run `summarize --format json` on `log`, cut the file to `cut_to` bytes once the read
/// reached `pause_at`, and return (how the read went at the pause, status, stdout, stderr).
fn cut_while_reading(
    log: &Path,
    pause_at: u64,
    cut_to: u64,
    extra: &[&str],
) -> (String, std::process::ExitStatus, Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("go");
    let reached = dir.path().join("go.reached");
    let mut child = common::isolated(dir.path())
        .arg("summarize")
        .arg(log)
        .args(["--format", "json", "--tz", "UTC"])
        .args(extra)
        .env(
            "JIRA_PATROL_TEST_READ_PAUSE",
            format!("{pause_at}:{}", gate.display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let at = wait_for(&reached, &mut child);
    // What copytruncate does once it has copied the file: cut it in place.
    File::options()
        .write(true)
        .open(log)
        .unwrap()
        .set_len(cut_to)
        .unwrap();
    File::create(&gate).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (at, out.status, out.stdout, err)
}

fn assert_partial(status: std::process::ExitStatus, stdout: &[u8], err: &str, name: &str) {
    assert_eq!(status.signal(), None, "killed by a signal: {err}");
    assert!(status.success(), "{err}");
    assert!(
        err.contains(&format!("{name} shrank while being read"))
            && err.contains("the report covers its first"),
        "{err}"
    );
    let j: Value = serde_json::from_slice(stdout).unwrap();
    let partial = j["partial"]
        .as_array()
        .expect("the report says it is partial");
    assert_eq!(partial.len(), 1, "{j}");
    assert!(partial[0].as_str().unwrap().contains("shrank"), "{j}");
}

/// Each cut is tried on one thread and on the parallel scan (which reads regions and
/// windows on worker threads).
const THREADS: [&str; 2] = ["1", "2"];

#[test]
fn a_mapped_backup_cut_while_read_ends_with_a_warning_not_sigbus() {
    for threads in THREADS {
        let dir = tempfile::tempdir().unwrap();
        // Two 16 MiB windows and more: the pause falls between the first and the second.
        let log = write_log(dir.path(), "atlassian-jira.log.1", 40 * MIB);
        settle(&log);
        let (at, status, stdout, err) =
            cut_while_reading(&log, 16 * MIB, MIB, &["--threads", threads]);
        assert_eq!(
            at.trim(),
            format!("{} map", 16 * MIB),
            "read through the map"
        );
        assert_partial(status, &stdout, &err, "atlassian-jira.log.1");
        assert!(err.contains(&format!("first {} of", 16 * MIB)), "{err}");
        let j: Value = serde_json::from_slice(&stdout).unwrap();
        assert!(j["lines"].as_u64().unwrap() > 0);
    }
}

#[test]
fn the_live_log_cut_while_read_ends_with_a_warning() {
    for threads in THREADS {
        let dir = tempfile::tempdir().unwrap();
        let log = write_log(dir.path(), "atlassian-jira.log", 8 * MIB);
        settle(&log); // even unchanged for an hour, the live log is read, not mapped
        let (at, status, stdout, err) =
            cut_while_reading(&log, 4 * MIB, 0, &["--threads", threads]);
        assert_eq!(
            at.trim(),
            format!("{} read", 4 * MIB),
            "the live log is read()"
        );
        assert_partial(status, &stdout, &err, "atlassian-jira.log");
        assert!(err.contains(&format!("first {} of", 4 * MIB)), "{err}");
    }
}

#[test]
fn no_mmap_reads_even_a_settled_backup() {
    for threads in THREADS {
        let dir = tempfile::tempdir().unwrap();
        let log = write_log(dir.path(), "atlassian-jira.log.2", 8 * MIB);
        settle(&log);
        let (at, status, stdout, err) =
            cut_while_reading(&log, 2 * MIB, 0, &["--no-mmap", "--threads", threads]);
        assert_eq!(at.trim(), format!("{} read", 2 * MIB));
        assert_partial(status, &stdout, &err, "atlassian-jira.log.2");
    }
}

#[test]
fn an_uncut_log_reads_whole_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "atlassian-jira.log.1", 8 * MIB);
    settle(&log);
    let out = common::isolated(dir.path())
        .arg("summarize")
        .arg(&log)
        .args(["--format", "json", "--tz", "UTC"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("shrank"), "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j.get("partial").is_none(), "{j}");
    assert_eq!(
        j["bytes"].as_u64().unwrap(),
        std::fs::metadata(&log).unwrap().len()
    );
}

#[test]
fn only_settled_large_files_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let live = write_log(dir.path(), "atlassian-jira.log", 5 * MIB);
    let backup = write_log(dir.path(), "atlassian-jira.log.3", 5 * MIB);
    let small = write_log(dir.path(), "atlassian-jira.log.4", MIB);
    let meta = |p: &Path| std::fs::metadata(p).unwrap();
    assert_eq!(map_reason(&live, &meta(&live)), None, "being written");
    assert_eq!(map_reason(&backup, &meta(&backup)), None, "just written");
    settle(&live);
    settle(&backup);
    settle(&small);
    assert_eq!(
        map_reason(&live, &meta(&live)),
        None,
        "the live log is never mapped: copytruncate cuts it"
    );
    assert!(map_reason(&backup, &meta(&backup)).is_some());
    assert_eq!(map_reason(&small, &meta(&small)), None, "small: read");
}
