//! Every shell command of README.md marked for it (` ```sh test `) runs, against a
//! simulated Jira of its own, and must succeed: the README cannot drift from the tool.
//! The convention (which blocks, what is rewritten, the environment) is CONTRIBUTING.md's
//! "README commands are tests"; a ` ```sh ` block that says neither `test` nor `no-test`
//! fails here.

use jira_sim::{SimConfig, SimJira};
use std::time::Duration;

/// One fenced shell block of the README.
struct Block {
    /// Line of its opening fence (1-based).
    line: usize,
    /// Its lines, as written.
    text: String,
}

/// The `sh test` blocks; panics on a shell block without a marker.
fn test_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Vec<String>, bool)> = None;
    for (i, l) in readme.lines().enumerate() {
        let fence = l.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let info: Vec<&str> = l.trim_start()[3..].split_whitespace().collect();
                let shell = matches!(info.first(), Some(&("sh" | "bash" | "shell" | "console")));
                let run = match info.get(1) {
                    _ if !shell => false,
                    Some(&"test") => true,
                    Some(&"no-test") => false,
                    _ => panic!(
                        "README.md line {}: a shell block says `sh test` or `sh no-test` \
                         (see CONTRIBUTING.md, \"README commands are tests\")",
                        i + 1
                    ),
                };
                open = Some((i + 1, Vec::new(), run));
            }
            (Some(_), true) => {
                let (line, lines, run) = open.take().unwrap();
                if run {
                    blocks.push(Block {
                        line,
                        text: lines.join("\n"),
                    });
                }
            }
            (Some((_, lines, _)), false) => lines.push(l.to_string()),
            (None, false) => {}
        }
    }
    assert!(open.is_none(), "README.md ends inside a fenced block");
    blocks
}

/// The block as run against `sim`: continued lines joined, and what stands for a real
/// Jira rewritten into the simulated one (the table in CONTRIBUTING.md).
fn script(block: &str, sim: &SimJira) -> String {
    let home = sim.home().display().to_string();
    let install = sim.install_dir().display().to_string();
    block
        .replace("\\\n", " ")
        .lines()
        .filter(|l| !l.trim_start().starts_with("cargo test --locked"))
        .map(|l| {
            let mut l = l
                .replace("cargo run --release -- ", "jira-patrol ")
                .replace("https://jira.example.com", &sim.url())
                .replace("/var/atlassian/application-data/jira", &home)
                .replace("JIRA_HOME/", &format!("{home}/"))
                .replace("/opt/atlassian/jira", &install);
            if l.contains("jira-patrol capture") {
                if let Some(at) = l.find("--for ") {
                    let rest = &l[at + 6..];
                    let end = rest.find(' ').unwrap_or(rest.len());
                    l = format!("{}--for 2s{}", &l[..at], &rest[end..]);
                }
            }
            l
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_marked_readme_command_runs_against_the_simulated_jira() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let blocks = test_blocks(&readme);
    assert!(
        blocks
            .first()
            .is_some_and(|b| b.text.contains("cargo run --release -- demo")),
        "the README starts with the demo, run by this test"
    );
    let bin = assert_cmd::cargo::cargo_bin("jira-patrol");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Each block on its own Jira and home, all at once: the demo's window sets the time.
    let failures: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = blocks.iter().map(|b| s.spawn(|| run(b, &path))).collect();
        runs.into_iter()
            .filter_map(|r| r.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Run one block; Err(what to show) when a command failed.
fn run(b: &Block, path: &str) -> Result<(), String> {
    let sim = SimJira::start(SimConfig {
        data_center: true,
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let script = script(&b.text, &sim);
    let mut c = assert_cmd::Command::new("bash");
    c.args(["-e", "-o", "pipefail", "-c", &script]);
    // As `common::isolated`: none of the user's Jira settings, a home of its own.
    for v in ["JIRA_TOKEN", "JIRA_HOME"] {
        c.env_remove(v);
    }
    c.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("PATH", path)
        .env("JIRA_URL", sim.url())
        .env("JIRA_USER", "admin")
        .env("JIRA_PASSWORD", "admin")
        .write_stdin("admin\n")
        .timeout(Duration::from_secs(120));
    let out = c.output().unwrap();
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "README.md block at line {} failed ({}):\n{script}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        b.line,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

#[test]
fn an_unmarked_shell_block_is_refused() {
    let r = std::panic::catch_unwind(|| test_blocks("text\n```sh\nls\n```\n"));
    assert!(r.is_err());
    let b = test_blocks("```sh test\na \\\n  b\n```\n```sh no-test\nc\n```\n```toml\nd\n```\n");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].line, 1);
}
