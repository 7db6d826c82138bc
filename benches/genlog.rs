//! Writes a realistic `atlassian-jira.log` of a given size for the benchmark
//! (`benches/scan.sh`), and prints the answers a correct summary must give.
//!
//! `cargo bench --bench genlog -- OUT_FILE SIZE_MIB PAT_SHARE [SEED] [ACCESS_OUT]
//!  [--access-log=PATH] [--previous-day=PATH] [--micros]`
//!
//! With an access-log path it also writes the matching Tomcat access log (same request
//! ids, stock Jira pattern) and prints its per-token truth; `--previous-day=PATH` writes
//! the day before's access log whose request ids repeat today's (a JVM restart);
//! `--micros` writes `%D` in microseconds as Tomcat 10.1 (Jira 11) does.

#[path = "../tests/common/genlog.rs"]
mod genlog;

use std::io::Write;
use std::path::{Path, PathBuf};

fn create(path: &Path) -> std::io::BufWriter<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the output directory");
    }
    std::io::BufWriter::new(std::fs::File::create(path).expect("create the output file"))
}

fn main() {
    let mut access: Option<PathBuf> = None;
    let mut previous: Option<PathBuf> = None;
    let mut micros = false;
    let mut args: Vec<String> = Vec::new();
    // cargo passes `--bench` to harness-less bench targets: other `--` words are ignored.
    for a in std::env::args().skip(1) {
        if let Some(p) = a.strip_prefix("--access-log=") {
            access = Some(p.into());
        } else if let Some(p) = a.strip_prefix("--previous-day=") {
            previous = Some(p.into());
        } else if a == "--micros" {
            micros = true;
        } else if !a.starts_with("--") {
            args.push(a);
        }
    }
    if args.len() < 3 {
        eprintln!("usage: cargo bench --bench genlog -- OUT_FILE SIZE_MIB PAT_SHARE [SEED] [ACCESS_OUT] [--access-log=PATH] [--previous-day=PATH] [--micros]");
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[0]);
    let mib: u64 = args[1].parse().expect("SIZE_MIB is a number");
    let share: f64 = args[2]
        .parse()
        .expect("PAT_SHARE is a number between 0 and 1");
    let seed: u64 = args
        .get(3)
        .map_or(42, |s| s.parse().expect("SEED is a number"));
    if let Some(p) = args.get(4) {
        access = Some(p.into());
    }
    let cfg = genlog::Config {
        bytes: mib << 20,
        pat_share: share,
        seed,
        concurrency: 8,
        ..genlog::Config::default()
    };
    let opts = genlog::AccessOptions {
        micros,
        ..Default::default()
    };
    let mut f = create(&out);
    let e = match &access {
        Some(a) => genlog::generate_with_access(&cfg, &mut f, &mut create(a), &opts),
        None => genlog::generate(&cfg, &mut f),
    }
    .expect("write the log");
    f.flush().expect("write the log");
    let requests: u64 = e.tokens.values().map(|c| c.0).sum();
    println!(
        "{}: {} bytes, {} lines, {} PAT lines ({:.1}%), {} token requests",
        out.display(),
        e.bytes,
        e.lines,
        e.pat_lines,
        100.0 * e.pat_lines as f64 / e.lines as f64,
        requests
    );
    for (id, (ok, failed)) in &e.tokens {
        println!("  {id}: {ok} requests, {failed} failures");
    }
    if let Some(a) = &access {
        println!(
            "{}: {} access lines ({} without a PAT), %D in {}",
            a.display(),
            e.access_lines,
            e.access_non_pat_lines,
            if micros { "µs" } else { "ms" }
        );
        for (id, t) in &e.access {
            let ok = &t.ok;
            let statuses: Vec<String> = ok
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}:{n}"))
                .collect();
            let agents: Vec<String> = ok.agents.iter().map(|(a, n)| format!("{a}:{n}")).collect();
            println!(
                "  {id}: {} authenticated [{}] {} bytes, p50 {} p95 {} max {}; agents {}; {} failed",
                ok.requests,
                statuses.join(" "),
                ok.bytes,
                ok.percentile(50.0),
                ok.percentile(95.0),
                ok.max_duration(),
                agents.join(", "),
                t.failed.requests
            );
        }
    }
    if let Some(p) = &previous {
        let e = genlog::generate_previous_day_access(&cfg, &mut create(p), &opts)
            .expect("write the previous day's access log");
        println!(
            "{}: {} access lines of the day before (request ids repeat today's)",
            p.display(),
            e.access_lines
        );
    }
}
