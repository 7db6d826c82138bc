//! What following a busy log costs: a writer appends ~50 MB/min of ordinary lines with a
//! PAT request every half second while a capture follows the file; prints the capture
//! thread's CPU share and the worst delay between writing a request and counting it.
//! Timing figures live here, not in the tests, because they depend on machine load.
//!
//! `cargo bench --bench follow [-- SECONDS]`

use jira_sim::{SimConfig, SimJira};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn thread_cpu() -> Duration {
    // utime + stime of this thread, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("Linux /proc");
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn main() {
    let secs: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(10, |s| s.parse().expect("SECONDS is a number"));
    let window = Duration::from_secs(secs);
    let sim = SimJira::start(SimConfig::default()).expect("start the simulated Jira");
    let state = tempfile::tempdir().unwrap();
    let client = jira_patrol::jira::Client::new(jira_patrol::jira::ClientConfig::new(
        sim.url(),
        jira_patrol::jira::Credentials {
            token: None,
            password: Some(("admin".into(), jira_patrol::secret::Secret::new("admin"))),
        },
    ))
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("atlassian-jira.log");
    std::fs::write(&log, "").unwrap();
    let kb = include_str!("../tests/fixtures/logs/kb-pat-trace-snippet.log");
    let filler = "2022-10-11 15:04:09,100+0000 http-nio-8080-exec-9 INFO jdoe 904x1x1 abc 10.0.0.1 /secure/Dashboard.jspa [c.a.j.web.action.Dashboard] Rendered dashboard 10010 for user jdoe in 12 ms\n";
    let seen: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let mut opts = jira_patrol::capture::Options::new(
        jira_patrol::profiles::load("pats-trace", None).unwrap(),
        window,
        vec![log.clone().into()],
        jira_patrol::journal::Journal::at(state.path()),
    );
    let seen2 = seen.clone();
    opts.on_request = Some(Box::new(move |_, _| {
        seen2.lock().unwrap().push(Instant::now())
    }));
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        let per_tick = 50_000_000 / 60 / 10; // bytes per 100 ms
        let chunk: String = filler.repeat(per_tick / filler.len());
        let mut written = Vec::new();
        let start = Instant::now();
        let mut i = 0u32;
        while start.elapsed() < window - Duration::from_secs(1) {
            f.write_all(chunk.as_bytes()).unwrap();
            if i.is_multiple_of(5) {
                let req = kb.replace("904x1468x1", &format!("904x{}x1", 5000 + i));
                f.write_all(req.as_bytes()).unwrap();
                written.push(Instant::now());
            }
            i += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        written
    });
    let sig = jira_patrol::capture::signals::Signals::default();
    let cpu0 = thread_cpu();
    let outcome = jira_patrol::capture::run(&client, opts, &sig).expect("capture");
    let cpu = thread_cpu() - cpu0;
    let written = writer.join().unwrap();
    let seen = seen.lock().unwrap();
    let worst = written
        .iter()
        .zip(seen.iter())
        .map(|(w, s)| s.duration_since(*w))
        .max()
        .unwrap_or_default();
    let grew = outcome.report.bytes as f64 / outcome.elapsed.as_secs_f64() * 60.0;
    println!(
        "follow: {:.0} MB/min for {:.1} s: {} of {} requests seen, {:.2}% of one core, worst write-to-count latency {} ms",
        grew / 1e6,
        outcome.elapsed.as_secs_f64(),
        seen.len(),
        written.len(),
        cpu.as_secs_f64() / outcome.elapsed.as_secs_f64() * 100.0,
        worst.as_millis()
    );
}
