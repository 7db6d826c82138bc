//! Writes a realistic `atlassian-jira.log` of a given size for the benchmark
//! (`benches/scan.sh`), and prints the answers a correct summary must give.
//!
//! `cargo bench --bench genlog -- OUT_FILE SIZE_MIB PAT_SHARE [SEED]`

#[path = "../tests/common/genlog.rs"]
mod genlog;

fn main() {
    // cargo passes `--bench` to harness-less bench targets.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() < 3 {
        eprintln!("usage: cargo bench --bench genlog -- OUT_FILE SIZE_MIB PAT_SHARE [SEED]");
        std::process::exit(2);
    }
    let out = std::path::PathBuf::from(&args[0]);
    let mib: u64 = args[1].parse().expect("SIZE_MIB is a number");
    let share: f64 = args[2]
        .parse()
        .expect("PAT_SHARE is a number between 0 and 1");
    let seed: u64 = args
        .get(3)
        .map_or(42, |s| s.parse().expect("SEED is a number"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create the output directory");
    }
    let f = std::fs::File::create(&out).expect("create the output file");
    let cfg = genlog::Config {
        bytes: mib << 20,
        pat_share: share,
        seed,
        concurrency: 8,
        ..genlog::Config::default()
    };
    let e = genlog::generate(&cfg, &mut std::io::BufWriter::new(f)).expect("write the log");
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
}
