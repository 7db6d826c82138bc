//! `jira-patrol setup` without a terminal: it never waits for an answer. It fails at once
//! naming the flag for each missing answer, or runs from flags and/or a saved setup file
//! against the simulated Jira, writing only what the flags confirm.

mod common;

use assert_cmd::Command;
use jira_sim::{SimConfig, SimJira};
use std::path::PathBuf;
use std::time::Duration;

const FIXTURE: &str = "tests/fixtures/log4j/jira-9.5plus-style-log4j2.xml";

struct World {
    sim: SimJira,
    dir: tempfile::TempDir,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl World {
    fn new(websudo: bool) -> World {
        let sim = SimJira::start(SimConfig {
            noise: false,
            websudo,
            ..SimConfig::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let classes = dir.path().join("install/atlassian-jira/WEB-INF/classes");
        std::fs::create_dir_all(&classes).unwrap();
        std::fs::copy(FIXTURE, classes.join("log4j2.xml")).unwrap();
        World { sim, dir }
    }
    fn install(&self) -> PathBuf {
        self.dir.path().join("install")
    }
    fn log4j(&self) -> PathBuf {
        self.install()
            .join("atlassian-jira/WEB-INF/classes/log4j2.xml")
    }
    fn config_file(&self) -> PathBuf {
        self.dir.path().join("config/jira-patrol/config.toml")
    }
    fn backups(&self) -> usize {
        std::fs::read_dir(self.log4j().parent().unwrap())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .to_string_lossy()
                    .ends_with(".bak")
            })
            .count()
    }
    fn log(&self) -> String {
        self.sim.log_path().display().to_string()
    }
    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut c = Command::from_std(common::isolated(self.dir.path()));
        c.arg("setup")
            .args(args)
            .timeout(Duration::from_secs(30))
            .write_stdin("");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn token(sim: &SimJira, name: &str) -> String {
    sim.accounts().token(name).unwrap().raw.clone()
}

#[test]
fn without_a_terminal_it_fails_at_once_naming_the_flag_for_each_question() {
    let w = World::new(true);
    let r = w.run(&[], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for flag in [
        "--url URL",
        "--user NAME --password-env VAR",
        "--token-env VAR",
        "--token-file FILE",
        "--log PATH",
    ] {
        assert!(r.stderr.contains(flag), "no {flag} in:\n{}", r.stderr);
    }
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains("3 answers missing"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(!w.config_file().exists());

    // --non-interactive means the same on a terminal-less run with some answers given.
    let r = w.run(&[], &["--non-interactive", "--url", &w.sim.url()]);
    assert_eq!(r.code, Some(1));
    assert!(!r.stderr.contains("--url URL"), "{}", r.stderr);
    assert!(r.stderr.contains("2 answers missing"), "{}", r.stderr);
}

#[test]
fn flags_answer_everything_rotation_is_only_reported_and_the_secret_only_referenced() {
    let w = World::new(false);
    let raw = token(&w.sim, "test");
    let original = std::fs::read(w.log4j()).unwrap();
    let install = w.install().display().to_string();
    let log = w.log();
    let r = w.run(
        &[("MY_JIRA_PAT", &raw)],
        &[
            "--url",
            &w.sim.url(),
            "--token-env",
            "MY_JIRA_PAT",
            "--jira-install",
            &install,
            "--log",
            &log,
            "--for",
            "10m",
            "--save",
            "--no-capture",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("identity       admin (Administrator), via personal access token"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("change levels  possible"), "{}", r.stderr);
    // Rotation needs a change, but nothing was confirmed: reported, not written.
    assert!(r.stderr.contains("pass --apply-rotation"), "{}", r.stderr);
    assert!(
        r.stderr.contains("assuming 20000 requests per hour"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(w.log4j()).unwrap(), original);
    assert_eq!(w.backups(), 0);
    // The capture command, exactly, on stdout; the token's variable mapped for it.
    assert_eq!(
        r.stdout.trim(),
        format!(
            "JIRA_TOKEN=\"$MY_JIRA_PAT\" jira-patrol capture --url {} --profile pats-trace --for 10m --log {log} --jira-install {install} --keep 1d",
            w.sim.url()
        )
    );
    let saved = std::fs::read_to_string(w.config_file()).unwrap();
    assert!(saved.contains("env = \"MY_JIRA_PAT\""), "{saved}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.config_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    for (what, text) in [
        ("stdout", &r.stdout),
        ("stderr", &r.stderr),
        ("config", &saved),
    ] {
        assert!(!text.contains(&raw), "token in {what}:\n{text}");
    }

    // The saved file alone is enough for the next run.
    let r2 = w.run(
        &[("MY_JIRA_PAT", &raw)],
        &[
            "--config",
            &w.config_file().display().to_string(),
            "--no-capture",
        ],
    );
    assert_eq!(r2.code, Some(0), "{}", r2.stderr);
    assert_eq!(r2.stdout, r.stdout);
    // ... and it says what is missing when the variable is not set.
    let r3 = w.run(&[], &["--no-capture"]);
    assert_eq!(r3.code, Some(1));
    assert!(
        r3.stderr.contains("$MY_JIRA_PAT is not set"),
        "{}",
        r3.stderr
    );
}

/// `setup` reads JIRA_URL, JIRA_USER and JIRA_PASSWORD as every command does: with only
/// those exported (and the log) it reaches the end without a flag for them, saying where
/// each answer came from, and saves the password by reference to $JIRA_PASSWORD.
#[test]
fn the_environment_answers_as_for_every_command() {
    let w = World::new(true);
    let url = w.sim.url();
    let r = w.run(
        &[
            ("JIRA_URL", &url),
            ("JIRA_USER", "admin"),
            ("JIRA_PASSWORD", "admin"),
        ],
        &[
            "--non-interactive",
            "--log",
            &w.log(),
            "--save",
            "--no-capture",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for said in [
        format!("Jira URL     {url} (from JIRA_URL)"),
        "login        password of admin, read from $JIRA_PASSWORD (from JIRA_USER, JIRA_PASSWORD)"
            .into(),
        format!("logs         {} (from the command line)", w.log()),
        "websudo        required; passed with the password of admin".into(),
    ] {
        assert!(r.stderr.contains(&said), "no {said:?} in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("answers missing"), "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        format!(
            "jira-patrol capture --url {url} --user admin --profile pats-trace --for 15m --log {} --keep 1d",
            w.log()
        )
    );
    let saved = std::fs::read_to_string(w.config_file()).unwrap();
    assert!(saved.contains("env = \"JIRA_PASSWORD\""), "{saved}");

    // Flags still win over the environment, and a token alone answers the login too.
    let raw = token(&w.sim, "test");
    let r = w.run(
        &[
            ("JIRA_URL", "https://elsewhere.example"),
            ("JIRA_TOKEN", &raw),
        ],
        &[
            "--non-interactive",
            "--url",
            &url,
            "--log",
            &w.log(),
            "--no-capture",
        ],
    );
    assert!(
        r.stderr
            .contains(&format!("Jira URL     {url} (from the command line)")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("(from JIRA_TOKEN)"), "{}", r.stderr);
    assert!(!r.stderr.contains(&raw));
}

#[test]
fn apply_rotation_writes_the_planned_change_with_a_backup() {
    let w = World::new(true);
    let original = std::fs::read(w.log4j()).unwrap();
    let r = w.run(
        &[("PW", "admin")],
        &[
            "--url",
            &w.sim.url(),
            "--user",
            "admin",
            "--password-env",
            "PW",
            "--jira-install",
            &w.install().display().to_string(),
            "--log",
            &w.log(),
            "--requests-per-hour",
            "50000",
            "--keep",
            "3d",
            "--apply-rotation",
            "--no-capture",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("websudo        required; passed with the password of admin"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("-                <SizeBasedTriggeringPolicy size=\"20480 KB\"/>"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("restart Jira"), "{}", r.stderr);
    let now = std::fs::read_to_string(w.log4j()).unwrap();
    assert_ne!(now.as_bytes(), original.as_slice());
    assert!(!now.contains("size=\"20480 KB\""), "{now}");
    assert_eq!(w.backups(), 1);
    // Without --save nothing is saved.
    assert!(!w.config_file().exists());
}

#[test]
fn a_wrong_password_fails_with_one_line_and_saves_nothing() {
    let w = World::new(true);
    let r = w.run(
        &[("PW", "Wr0ng-Pa55word-x7")],
        &[
            "--url",
            &w.sim.url(),
            "--user",
            "admin",
            "--password-env",
            "PW",
            "--log",
            &w.log(),
            "--save",
            "--no-capture",
        ],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(
        errors[0].contains("Jira rejected the user name or password for 'admin'"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Wr0ng-Pa55word-x7"));
    assert!(!w.config_file().exists());
}

#[test]
fn a_saved_setup_that_asks_for_the_password_says_which_flag_to_use() {
    let w = World::new(true);
    let cfg = w.dir.path().join("mine.toml");
    std::fs::write(
        &cfg,
        format!(
            "url = \"{}\"\nlogs = [\"{}\"]\nprofile = \"pats-trace\"\nfor = \"15m\"\nkeep = \"1d\"\n[auth]\nkind = \"password\"\nuser = \"admin\"\n",
            w.sim.url(),
            w.log()
        ),
    )
    .unwrap();
    let r = w.run(
        &[],
        &["--config", cfg.to_str().unwrap(), "--non-interactive"],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("--password-env VAR"), "{}", r.stderr);
    // A broken file is named with what is wrong.
    std::fs::write(&cfg, "url = 3\n").unwrap();
    let r = w.run(&[], &["--config", cfg.to_str().unwrap()]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("is not a valid jira-patrol setup"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_saved_setup_runs_the_capture_to_its_summary_without_a_terminal() {
    use jira_sim::traffic;
    use jira_sim::Level;
    use std::sync::atomic::{AtomicBool, Ordering};
    let w = World::new(true);
    let cfg = w.dir.path().join("setup.toml");
    std::fs::write(
        &cfg,
        format!(
            "url = \"{}\"\nlogs = [\"{}\"]\nprofile = \"pats-filter-trace\"\nfor = \"10s\"\nkeep = \"1d\"\n[auth]\nkind = \"password\"\nuser = \"admin\"\nenv = \"PW\"\n",
            w.sim.url(),
            w.log()
        ),
    )
    .unwrap();
    let stop = AtomicBool::new(false);
    let r = std::thread::scope(|s| {
        s.spawn(|| {
            if !traffic::wait_for_window(&w.sim, &stop) {
                return;
            }
            let clients = traffic::paced_mix(w.sim.accounts(), 3, Duration::from_millis(200));
            traffic::run(&w.sim.url(), &clients, &traffic::TrafficOptions::default());
        });
        let r = w.run(&[("PW", "admin")], &["--config", cfg.to_str().unwrap()]);
        stop.store(true, Ordering::SeqCst);
        r
    });
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("running: JIRA_PASSWORD=\"$PW\" jira-patrol capture --url"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("levels are back as they were"),
        "{}",
        r.stderr
    );
    // pats-filter-trace shows user and token id (not the name): the summary has the ids.
    assert!(r.stdout.contains("355510638677"), "{}", r.stdout);
    assert!(r.stdout.contains("104857600013"), "{}", r.stdout);
    assert_eq!(
        w.sim.effective_level("com.atlassian.pats.web.filter"),
        Level::Warn
    );
}

#[test]
fn the_printed_command_runs_in_a_shell_with_spaces_and_quotes_in_its_paths() {
    let w = World::new(false);
    let raw = token(&w.sim, "test");
    // The sim's log, seen through a directory whose name a shell would split and unquote.
    let odd = w.dir.path().join("it's a \"log\" $dir");
    std::fs::create_dir_all(&odd).unwrap();
    let log = odd.join("atlassian-jira.log");
    std::os::unix::fs::symlink(w.sim.log_path(), &log).unwrap();
    let log = log.display().to_string();
    let r = w.run(
        &[("MY_JIRA_PAT", &raw)],
        &[
            "--url",
            &w.sim.url(),
            "--token-env",
            "MY_JIRA_PAT",
            "--log",
            &log,
            "--for",
            "10s",
            "--no-capture",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = r.stdout.trim();
    let words = shlex::split(line).expect("the printed line is one shell command");
    assert_eq!(
        &words[..3],
        ["JIRA_TOKEN=$MY_JIRA_PAT", "jira-patrol", "capture"]
    );
    let at = words.iter().position(|a| a == "--log").unwrap();
    assert_eq!(words[at + 1], log);

    // A shell runs it as it is printed: the capture follows the odd path to its summary.
    let bin = assert_cmd::cargo::cargo_bin("jira-patrol");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .env("PATH", path)
        .env("MY_JIRA_PAT", &raw)
        .env("XDG_CONFIG_HOME", w.dir.path().join("config"))
        .env("XDG_STATE_HOME", w.dir.path().join("state"))
        .env("HOME", w.dir.path())
        .env_remove("JIRA_URL")
        .env_remove("JIRA_TOKEN")
        .env_remove("JIRA_USER")
        .env_remove("JIRA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("following {log}")), "{err}");
    assert!(err.contains("levels are back as they were"), "{err}");
}
