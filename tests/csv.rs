//! CSV for a spreadsheet: a token name or User-Agent that would start a formula (`=`,
//! `+`, `-`, `@`, as OWASP lists them) gets a leading `'` in `summarize` and `tokens`
//! alike, and `--csv-raw` gives the bytes as Jira and the logs had them.

mod common;

use common::genlog::{self, Config, Token};
use std::path::Path;
use std::process::Stdio;

/// Names and an agent a spreadsheet would run as formulas.
const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://e.vil/\",\"open\")",
    "+cmd|' /C calc'!A0",
    "-2+3*cmd|' /C notepad'!A1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
];
const AGENT: &str = "=cmd|' /C calc'!A0 (curl)";

/// Cells of `column` in a CSV document.
fn column(csv: &[u8], name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv);
    let i = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    r.records().map(|rec| rec.unwrap()[i].to_string()).collect()
}

/// A cell a spreadsheet may evaluate (`-` alone is the tool's "no value": no formula).
fn starts_a_formula(cell: &str) -> bool {
    cell != "-" && cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn summarize_csv(dir: &Path, raw: bool) -> Vec<u8> {
    let (log, access) = (dir.join("atlassian-jira.log"), dir.join("access_log.txt"));
    let mut c = common::isolated(dir);
    c.env("TZ", "UTC")
        .arg("summarize")
        .arg(&log)
        .arg("--access-log")
        .arg(&access)
        .args(["--format", "csv"]);
    if raw {
        c.arg("--csv-raw");
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn summarize_neutralises_formula_cells_and_csv_raw_keeps_them() {
    let d = tempfile::tempdir().unwrap();
    let tokens: Vec<Token> = FORMULAS
        .iter()
        .enumerate()
        .map(|(i, name)| Token {
            id: format!("{:012}", 424_242_424_240u64 + i as u64),
            name: (*name).into(),
            user_key: format!("JIRAUSER1066{i}"),
            username: format!("user{i}"),
            db_id: 60 + i as u32,
        })
        .collect();
    let cfg = Config {
        bytes: 150_000,
        tokens,
        ..Config::default()
    };
    let opts = genlog::AccessOptions {
        agent: Some(AGENT),
        ..Default::default()
    };
    let (mut app, mut acc) = (Vec::new(), Vec::new());
    genlog::generate_with_access(&cfg, &mut app, &mut acc, &opts).unwrap();
    std::fs::write(d.path().join("atlassian-jira.log"), app).unwrap();
    std::fs::write(d.path().join("access_log.txt"), acc).unwrap();

    let safe = summarize_csv(d.path(), false);
    let names = column(&safe, "name");
    assert_eq!(
        names.len(),
        FORMULAS.len(),
        "{}",
        String::from_utf8_lossy(&safe)
    );
    for name in &names {
        let formula = name
            .strip_prefix('\'')
            .unwrap_or_else(|| panic!("{name:?}"));
        assert!(FORMULAS.contains(&formula), "{name:?}");
    }
    let agents = column(&safe, "top_user_agent");
    assert!(
        agents.iter().all(|a| a == &format!("'{AGENT}")),
        "{agents:?}"
    );
    let mut r = csv::Reader::from_reader(&safe[..]);
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !starts_a_formula(cell),
                "{cell:?} in\n{}",
                String::from_utf8_lossy(&safe)
            );
        }
    }

    let raw = summarize_csv(d.path(), true);
    let mut names = column(&raw, "name");
    names.sort();
    let mut want: Vec<String> = FORMULAS.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(names, want, "--csv-raw: the names as they were");
    assert!(column(&raw, "top_user_agent").iter().all(|a| a == AGENT));
}

#[test]
fn tokens_neutralises_formula_names_and_csv_raw_keeps_them() {
    let sim = common::data_center_with_tokens_of_jdoe(&FORMULAS);
    let homes = common::Homes::new();
    let run = |extra: &[&str]| {
        let out = common::isolated(homes.0.path())
            .env("JIRA_URL", sim.url())
            .env("JIRA_USER", "admin")
            .env("JIRA_PASSWORD", "admin")
            .args(["tokens", "--format", "csv"])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let safe = run(&[]);
    let names = column(&safe, "name");
    for f in FORMULAS {
        assert!(names.contains(&format!("'{f}")), "{f} in {names:?}");
    }
    let mut r = csv::Reader::from_reader(&safe[..]);
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(!starts_a_formula(cell), "{cell:?}");
        }
    }
    let names = column(&run(&["--csv-raw"]), "name");
    for f in FORMULAS {
        assert!(
            names.contains(&f.to_string()),
            "--csv-raw: {f} in {names:?}"
        );
    }
}
