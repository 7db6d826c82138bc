//! The fuzz suite: property tests that mutate real inputs — the fixture and generated
//! application logs (plain and gzipped), access logs and their patterns, log4j files and
//! `server.xml` — the way a hostile or careless user would (flipped bits, cut and doubled
//! ranges, floods, NUL runs, invalid UTF-8, the tokens each parser keys on), and assert
//! what must hold whatever the input: no panic, memory and CPU time bounded by the input's
//! size, a byte-identical round trip of an unedited log4j file, and errors of one short
//! line. A failing case is shrunk to a minimal one by proptest and printed; keep it as a
//! test in `tests/hostile.rs`.
//!
//! In the suite each property runs a few seconds' worth of cases. To run longer:
//!
//! ```sh
//! JIRA_PATROL_FUZZ_CASES=20000 cargo test --release --test fuzz
//! ```
//!
//! (`JIRA_PATROL_FUZZ_SEED=N` varies the cases; the same seed gives the same cases.)

mod common;

use jira_patrol::access::join::{Joiner, Lines};
use jira_patrol::access::{serverxml, DurationUnit, Pattern};
use jira_patrol::log4j::Config;
use jira_patrol::scan::input::{scan_streams, InputError, ReadOptions};
use jira_patrol::scan::{Request, Scanner, Zone};
use jira_patrol::summary::Summary;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunConfig, RngAlgorithm, TestRng, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

// ---------- what a case may cost ----------

/// Heap bytes per thread: a case's peak is measured on its own thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Run `f`, then check its peak heap growth against `max_heap` and its CPU time against a
/// second (cases are kilobytes to a few megabytes: milliseconds each when linear).
fn bounded<T>(what: &str, max_heap: usize, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let cpu = thread_cpu();
    let out = f();
    let spent = thread_cpu() - cpu;
    let peak = (PEAK.with(Cell::get) - start).max(0) as usize;
    prop_assert!(
        peak <= max_heap,
        "{what}: {peak} bytes of heap at peak, more than {max_heap}"
    );
    prop_assert!(spent < Duration::from_secs(1), "{what}: {spent:?} of CPU");
    Ok(out)
}

// ---------- mutations ----------

/// Bytes each parser keys on, and the bytes that break naive ones.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00\x00\x00\x00",
    b"\xff\xfe\xc3",
    b"\x1b[2J\x1b]0;t\x07",
    b"\xe2\x80\xae",
    b"[",
    b"]",
    b" ",
    b"-",
    b"2022-10-11 15:04:09,202+0000 ",
    b"2099-01-01 00:00:00,000",
    b" TRACE ",
    b" http-nio-8080-exec-4 ",
    b" 904x1468x1 ",
    b"[c.a.p.web.filter.TokenBasedAuthenticationFilter] ",
    b"[c.a.pats.service.DefaultTokenAuthenticationService] ",
    b">>> TokenBasedAuthenticationFilter.doFilter",
    b"<<< TokenBasedAuthenticationFilter.doFilter",
    b"Got tokenId: [355510638677]",
    b"Got tokenId: [99999999999999999999999]",
    b"Auth SUCCESS for user: [admin] and tokenId: [1] and expiry:[9999-12-31]",
    b"Auth failure: [Authentication failed for token with ID: 012345678901]",
    b"Authentication successful - returning token: [TokenDTO(id=1, name=x, ",
    b"Looking for Jira user with key: [",
    b"{PKCS5S2}",
    b"\x1f\x8b\x08\x00",
    b"<",
    b">",
    b"</",
    b"/>",
    b"\"",
    b"'",
    b"&amp;",
    b"&#0;",
    b"&#x110000;",
    b"<![CDATA[",
    b"<!-- ",
    b" -->",
    b"<!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\"><!ENTITY y \"&x;&x;\">]>",
    b"&x;&y;",
    b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    b"\xef\xbb\xbf",
    b"\\",
    b"\\\n",
    b"\\u00",
    b"\\uZZZZ",
    b"=",
    b":",
    b"#",
    b"!",
    b"${catalina.base}",
    b"${sys:jira.home}",
    b"../../../../etc",
    b"/etc/shadow",
    b"log4j.appender.filelog",
    b"log4j.appender.filelog.File=atlassian-jira.log",
    b".MaxFileSize=",
    b".MaxBackupIndex=",
    b"99999999999999999999GB",
    b"-1",
    b"atlassian-jira.log",
    b"<RollingFile name=\"filelog\" fileName=\"atlassian-jira.log\" filePattern=\"x.%i\">",
    b"<SizeBasedTriggeringPolicy size=\"",
    b"<DefaultRolloverStrategy max=\"",
    b"fileIndex=\"nomax\"",
    b"<Valve className=\"org.apache.catalina.valves.AccessLogValve\" ",
    b"directory=\"",
    b"prefix=\"",
    b"pattern=\"",
    b"%{jira.request.id}r",
    b"%t",
    b"%{User-Agent}i",
    b"%D",
    b"%{",
    b"[11/Oct/2022:15:04:28 +0000]",
    b"\\\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Flip bits of one byte.
    Flip(Index, u8),
    /// Insert one of [`TOKENS`].
    Token(Index, Index),
    /// Insert arbitrary bytes.
    Insert(Index, Vec<u8>),
    /// Delete up to this many bytes.
    Delete(Index, usize),
    /// Repeat a range (a flood): up to 64 bytes, up to this many times.
    Repeat(Index, usize, usize),
    /// Cut the input here.
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| Mutation::Token(i, t)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..32)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        2 => (any::<Index>(), 1usize..256).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1usize..64, 2usize..5_000).prop_map(|(i, n, k)| Mutation::Repeat(i, n, k)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..12)
}

/// Largest mutated input (a flood of repeats stops growing here).
const MAX_INPUT: usize = 4 << 20;

fn mutate(base: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut v = base.to_vec();
    let at = |i: &Index, v: &Vec<u8>| i.index(v.len() + 1);
    for m in muts {
        match m {
            Mutation::Flip(i, b) if !v.is_empty() => {
                let k = i.index(v.len());
                v[k] ^= b;
            }
            Mutation::Flip(..) => {}
            Mutation::Token(i, t) => {
                let k = at(i, &v);
                let tok = TOKENS[t.index(TOKENS.len())];
                v.splice(k..k, tok.iter().copied());
            }
            Mutation::Insert(i, bytes) => {
                let k = at(i, &v);
                v.splice(k..k, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let k = at(i, &v);
                let end = (k + n).min(v.len());
                v.drain(k..end);
            }
            Mutation::Repeat(i, n, times) => {
                let k = at(i, &v);
                let end = (k + n).min(v.len());
                let piece = v[k..end].to_vec();
                if !piece.is_empty() {
                    let times = (*times).min(MAX_INPUT.saturating_sub(v.len()) / piece.len());
                    let flood: Vec<u8> = piece
                        .iter()
                        .copied()
                        .cycle()
                        .take(piece.len() * times)
                        .collect();
                    v.splice(end..end, flood);
                }
            }
            Mutation::Truncate(i) => {
                let k = at(i, &v);
                v.truncate(k);
            }
        }
    }
    v
}

fn fixture(p: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Cases per property: a few seconds' worth in the suite, more on demand.
fn runner(default_cases: u32, salt: u64) -> TestRunner {
    let cases = std::env::var("JIRA_PATROL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let seed = std::env::var("JIRA_PATROL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0x5eed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&salt.to_le_bytes());
    TestRunner::new_with_rng(
        RunConfig {
            cases,
            failure_persistence: None,
            ..RunConfig::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn run_property<S: Strategy>(
    name: &str,
    mut runner: TestRunner,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

/// An error as a user sees it: one line, and short whatever the input held.
fn one_short_line(what: &str, msg: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !msg.contains('\n') && !msg.contains('\r'),
        "{what}: several lines: {msg:?}"
    );
    prop_assert!(
        msg.len() <= 1_000,
        "{what}: {} bytes: {msg:.300}",
        msg.len()
    );
    prop_assert!(!msg.contains('\x1b'), "{what}: a raw escape: {msg:?}");
    Ok(())
}

// ---------- application logs ----------

fn app_log_bases() -> Vec<Vec<u8>> {
    let mut generated = Vec::new();
    common::genlog::generate(
        &common::genlog::Config {
            bytes: 24 << 10,
            pat_share: 0.5,
            seed: 7,
            ..Default::default()
        },
        &mut generated,
    )
    .unwrap();
    vec![
        fixture("tests/fixtures/logs/kb-pat-trace-snippet.log"),
        fixture("tests/fixtures/logs/public-jira-log-lines.txt"),
        generated,
    ]
}

#[test]
fn mutated_application_logs_never_panic_and_stay_bounded() {
    let bases = app_log_bases();
    let strategy = (0..bases.len(), mutations(), 1usize..70_000);
    run_property(
        "application log",
        runner(96, 1),
        strategy,
        |(b, muts, chunk)| {
            let input = mutate(&bases[b], &muts);
            // The scanner keeps at most a 64 KiB line and its requests in flight.
            bounded("scan and report", 8 << 20, || {
                let mut scanner = Scanner::new(Zone::new(jiff::tz::TimeZone::UTC));
                let mut summary = Summary::new();
                let mut take = |r: Request| summary.add(&r);
                scanner.begin_file();
                for c in input.chunks(chunk) {
                    scanner.feed(c, &mut take);
                }
                scanner.end_stream(&mut take);
                let report = summary.report(vec!["x".into()], scanner.stats());
                let json = serde_json::to_vec(&report).unwrap();
                let mut table = Vec::new();
                jira_patrol::output::render(
                    &report,
                    &jira_patrol::output::Rendering {
                        format: jira_patrol::output::SummaryFormat::Table,
                        wide: true,
                        ..Default::default()
                    },
                    &jira_patrol::output::html::HtmlMeta::default(),
                    &mut table,
                )
                .unwrap();
                (json, table)
            })?;
            Ok(())
        },
    );
}

#[test]
fn mutated_rotated_sets_read_to_the_damage_and_go_on() {
    let bases = app_log_bases();
    let strategy = (0..bases.len(), mutations(), any::<bool>(), mutations());
    run_property(
        "rotated set",
        runner(48, 2),
        strategy,
        |(b, muts, zip, damage)| {
            let d = tempfile::tempdir().unwrap();
            let good = &bases[0];
            let mut rotated = mutate(&bases[b], &muts);
            if zip {
                // A gzip member damaged after compression.
                rotated = mutate(&gzip(&rotated), &damage);
            }
            std::fs::write(d.path().join("atlassian-jira.log.1.gz"), &rotated).unwrap();
            std::fs::write(d.path().join("atlassian-jira.log"), good).unwrap();
            let streams = jira_patrol::scan::input::discover(&[d.path().to_path_buf()]).unwrap();
            let run = bounded("scan files", 8 << 20, || {
                let mut scanner = Scanner::new(Zone::new(jiff::tz::TimeZone::UTC));
                let mut n = 0;
                let run = scan_streams(&streams, &mut scanner, ReadOptions::default(), &mut |_| {
                    n += 1
                });
                run.map(|r| (r, n))
            })?;
            // Damage inside a file is never an error of the whole summary.
            let (run, n) = run.map_err(|e: InputError| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(run.files.len(), 2);
            prop_assert!(n >= 1, "the good file's request is counted");
            for w in &run.warnings {
                one_short_line("warning", w)?;
            }
            Ok(())
        },
    );
}

// ---------- access logs ----------

struct VecLines(Vec<Vec<u8>>, usize);

impl Lines for VecLines {
    fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        self.1 += 1;
        Ok(self.0.get(self.1 - 1).map(Vec::as_slice))
    }
}

#[test]
fn mutated_access_logs_and_patterns_never_panic() {
    let mut app = Vec::new();
    let mut access = Vec::new();
    common::genlog::generate_with_access(
        &common::genlog::Config {
            bytes: 16 << 10,
            pat_share: 0.5,
            seed: 11,
            ..Default::default()
        },
        &mut app,
        &mut access,
        &common::genlog::AccessOptions::default(),
    )
    .unwrap();
    let stock = jira_patrol::access::pattern::STOCK.as_bytes().to_vec();
    let strategy = (mutations(), mutations(), any::<bool>());
    run_property(
        "access log",
        runner(64, 3),
        strategy,
        |(muts, pmuts, custom)| {
            let input = mutate(&access, &muts);
            let pattern = if custom {
                let text = String::from_utf8_lossy(&mutate(&stock, &pmuts)).into_owned();
                match Pattern::parse(&text) {
                    Ok(p) => p,
                    Err(e) => {
                        return one_short_line("pattern", &format!("--access-log-pattern: {e}"))
                    }
                }
            } else {
                Pattern::stock()
            };
            bounded("join", 8 << 20, || {
                let lines: Vec<Vec<u8>> =
                    input.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
                for l in &lines {
                    let _ = pattern.parse_line(l, DurationUnit::Ms);
                    let _ = pattern.parse_key(l);
                }
                // Join the generated requests against the mutated lines.
                let mut scanner = Scanner::new(Zone::new(jiff::tz::TimeZone::UTC));
                let mut reqs = Vec::new();
                scanner.feed(&app, &mut |r| reqs.push(r));
                scanner.end_stream(&mut |r| reqs.push(r));
                let mut j = Joiner::new(pattern.clone(), DurationUnit::Ms, VecLines(lines, 0));
                let mut out = 0;
                for r in reqs {
                    j.push(r, &mut |_, _| out += 1).unwrap();
                }
                j.finish(&mut |_, _| out += 1).unwrap();
                if let Some(q) = j.first_unparsed() {
                    assert!(!q.contains('\x1b') && !q.contains('\n'), "{q:?}");
                    assert!(q.chars().count() < 100, "{q}");
                }
                out
            })?;
            Ok(())
        },
    );
}

// ---------- log4j files and server.xml ----------

#[test]
fn mutated_log4j_files_round_trip_edit_or_fail_in_one_line() {
    let bases = [
        (
            "log4j.properties",
            fixture("tests/fixtures/log4j/jira-7.13.2-log4j.properties"),
        ),
        (
            "log4j2.xml",
            fixture("tests/fixtures/log4j/jira-9.5plus-style-log4j2.xml"),
        ),
    ];
    let strategy = (0..bases.len(), mutations());
    run_property("log4j file", runner(128, 4), strategy, |(b, muts)| {
        let (name, base) = &bases[b];
        let input = mutate(base, &muts);
        let max_heap = (32 << 20) + 64 * input.len();
        let outcome = bounded("log4j", max_heap, || -> Result<Vec<String>, String> {
            let mut cfg = Config::parse(*name, input.clone()).map_err(|e| e.to_string())?;
            let mut said = Vec::new();
            // Unedited, the bytes are the file's.
            assert_eq!(cfg.to_bytes(), input.as_slice());
            for (a, notes) in cfg.appenders_with_notes() {
                said.push(a.name);
                said.extend(notes);
            }
            for r in [
                cfg.set_rotation(None, Some(50 << 20), Some(20)),
                cfg.persist_logger("com.atlassian.pats", jira_patrol::level::Level::Trace, None),
                cfg.unpersist_logger("com.atlassian.pats"),
            ] {
                match r {
                    Ok(changes) => said.extend(changes),
                    Err(e) => said.push(format!("error: {e}")),
                }
            }
            said.push(cfg.diff());
            Ok(said)
        })?;
        match outcome {
            Err(e) => one_short_line("log4j error", &e),
            Ok(said) => {
                for s in said.iter().filter(|s| s.starts_with("error: ")) {
                    one_short_line("log4j edit error", s)?;
                }
                Ok(())
            }
        }
    });
}

#[test]
fn mutated_server_xml_never_panics_and_fails_in_one_line() {
    let bases = [
        fixture("tests/fixtures/access/server.xml"),
        fixture("tests/fixtures/access/server-custom.xml"),
    ];
    let strategy = (0..bases.len(), mutations());
    run_property("server.xml", runner(128, 5), strategy, |(b, muts)| {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("conf")).unwrap();
        let input = mutate(&bases[b], &muts);
        std::fs::write(d.path().join("conf/server.xml"), &input).unwrap();
        let r = bounded("server.xml", (8 << 20) + 16 * input.len(), || {
            serverxml::read_all(d.path()).map(|v| v.len())
        })?;
        if let Err(e) = r {
            one_short_line("server.xml", &e.to_string())?;
        }
        Ok(())
    });
}

// ---------- the binary ----------

#[test]
fn the_binary_on_mutated_files_exits_cleanly_with_one_line_errors() {
    let bases = [
        (
            "log4j2.xml",
            fixture("tests/fixtures/log4j/jira-9.5plus-style-log4j2.xml"),
        ),
        (
            "log4j.properties",
            fixture("tests/fixtures/log4j/jira-7.13.2-log4j.properties"),
        ),
        (
            "atlassian-jira.log",
            fixture("tests/fixtures/logs/kb-pat-trace-snippet.log"),
        ),
    ];
    let strategy = (0..bases.len(), mutations());
    run_property("binary", runner(24, 6), strategy, |(b, muts)| {
        let d = tempfile::tempdir().unwrap();
        let (name, base) = &bases[b];
        let p = d.path().join(name);
        std::fs::write(&p, mutate(base, &muts)).unwrap();
        let mut c = common::isolated(d.path());
        if name.ends_with(".log") {
            c.args(["summarize", p.to_str().unwrap(), "--format", "json"]);
        } else {
            c.args(["rotation", "show", "--log4j-config", p.to_str().unwrap()]);
        }
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        prop_assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{:?}: {err}",
            out.status
        );
        for l in err.lines() {
            one_short_line("stderr", l)?;
        }
        if out.status.code() == Some(1) {
            prop_assert_eq!(
                err.lines().filter(|l| l.starts_with("error: ")).count(),
                1,
                "{}",
                err
            );
        }
        Ok(())
    });
}
