//! Guided setup (`jira-patrol setup`): from nothing to a finished capture, one explained
//! step at a time. Nothing is changed before it is shown and confirmed; every step can go
//! back or cancel. Only two things are ever written: the log4j rotation change (backup
//! kept, listed with its undo on cancel) and the saved answers (`config`, 0600, no
//! secrets). Without a terminal the same answers come from flags or a saved setup file
//! ([`unattended`]).

mod command;
pub mod config;
pub mod error;
mod inputs;
pub mod ui;
mod unattended;
mod verify;

use command::shell_quote;
pub use command::{capture_command, capture_plan, connection};
use error::Result;
pub use error::WizardError;
use inputs::find_log4j;
pub use inputs::{jira_home_of, resolve_log, validate_url, version_at_least, volume_per_hour};
pub use unattended::{missing_answers, unattended, Unattended};
use verify::client;
pub use verify::{verify, Verified};

use crate::capture::estimate::{self, Sample};
use crate::jira::{Client, ClientConfig, Credentials, JiraError, ServerInfo};
use crate::log4j::{self, Config};
use crate::secret::Secret;
use config::{AuthKind, AuthRef, SavedSetup, SecretSource};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ui::Ans;
pub use ui::Cancelled;

/// The profile proposed when none is known.
pub const DEFAULT_PROFILE: &str = "pats-trace";
/// The capture length proposed when none is known.
pub const DEFAULT_FOR: Duration = Duration::from_secs(15 * 60);
/// How long the log must keep a capture's lines, proposed when none is known (the
/// rotation step asks it as text).
pub const DEFAULT_KEEP: &str = "1d";
/// Requests per hour assumed when planning rotation and nobody says otherwise: a busy
/// mid-size Jira. Said so whenever it is used.
pub const DEFAULT_REQUESTS_PER_HOUR: u64 = 20_000;
/// How long the profile step measures Jira's request rate: short, since a person waits.
const PROFILE_SAMPLE: Duration = Duration::from_secs(5);
/// Bytes of an `atlassian-jira.log` line with the PAT plugin's messages (a TokenDTO line is
/// longer, a filter line shorter).
const BYTES_PER_LINE: u64 = 300;

/// What is known before asking: from flags, a saved setup, the environment.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    /// Jira base URL.
    pub url: Option<String>,
    /// Extra CA certificate for Jira's TLS.
    pub ca_cert: Option<PathBuf>,
    /// How to log in.
    pub auth: Option<AuthRef>,
    /// Jira install directory.
    pub jira_install: Option<PathBuf>,
    /// The log4j file itself.
    pub log4j_config: Option<PathBuf>,
    /// `atlassian-jira.log` of each node.
    pub logs: Vec<PathBuf>,
    /// Verbosity profile of the capture.
    pub profile: Option<String>,
    /// Capture window.
    pub duration: Option<Duration>,
    /// How long the log must keep a capture's lines, as typed (`36h`, `3d`, `2w`).
    pub keep: Option<String>,
    /// Expected requests per hour, for the rotation plan.
    pub requests_per_hour: Option<u64>,
    /// `--timeout`: how long to wait for each answer from Jira (not saved).
    pub timeout: Option<Duration>,
}

impl Answers {
    /// Fill what `self` lacks from a saved setup.
    pub fn or_saved(mut self, s: &SavedSetup) -> Answers {
        self.url = self.url.or_else(|| Some(s.url.clone()));
        self.ca_cert = self.ca_cert.or_else(|| s.ca_cert.clone());
        self.auth = self.auth.or_else(|| Some(s.auth.clone()));
        if self.jira_install.is_none() && self.log4j_config.is_none() {
            self.jira_install = s.jira_install.clone();
            self.log4j_config = s.log4j_config.clone();
        }
        if self.logs.is_empty() {
            self.logs = s.logs.clone();
        }
        self.profile = self.profile.or_else(|| Some(s.profile.clone()));
        self.duration = self.duration.or(Some(s.duration));
        self.keep = self.keep.or_else(|| Some(crate::human::duration(s.keep)));
        self
    }

    fn saved(&self) -> Option<SavedSetup> {
        Some(SavedSetup {
            url: self.url.clone()?,
            ca_cert: self.ca_cert.clone(),
            auth: self.auth.clone()?,
            jira_install: self.jira_install.clone(),
            log4j_config: self.log4j_config.clone(),
            logs: self.logs.clone(),
            profile: self
                .profile
                .clone()
                .unwrap_or_else(|| DEFAULT_PROFILE.into()),
            duration: self.duration.unwrap_or(DEFAULT_FOR),
            keep: crate::duration::keep(self.keep.as_deref().unwrap_or(DEFAULT_KEEP)).ok()?,
        })
    }
}

/// How the wizard ends and where it saves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the answers are saved.
    pub save_to: PathBuf,
    /// The answers known before asking, one line each with where it came from.
    pub known: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Url,
    Auth,
    Check,
    Log4j,
    Log,
    Profile,
    Length,
    Rotation,
    Save,
    Run,
}

const STEPS: [Step; 10] = [
    Step::Url,
    Step::Auth,
    Step::Check,
    Step::Log4j,
    Step::Log,
    Step::Profile,
    Step::Length,
    Step::Rotation,
    Step::Save,
    Step::Run,
];

enum Flow {
    /// Go on; `asked`: a question was put (going back stops here).
    Next {
        asked: bool,
    },
    Back,
    Goto(Step),
    Done,
}

struct Wizard {
    a: Answers,
    opts: Options,
    /// The secret typed during this run (never saved).
    typed: Option<Secret>,
    client: Option<Client>,
    info: Option<ServerInfo>,
    log4j_path: Option<PathBuf>,
    /// The profile step's sample of Jira's request rate, for the logs it watched: going
    /// back and forth must not make the person wait for a new one each time.
    sampled: Option<(Vec<PathBuf>, Result<Sample, String>)>,
}

/// Run the guided setup on the terminal. A cancel ends with [`Cancelled`] (its summary
/// already printed); a capture it ran ends with its `capture::run::RunError`.
pub fn interactive(a: Answers, opts: Options) -> Result<()> {
    let interrupts = ui::Interrupts::install().map_err(|source| WizardError::Io {
        what: "cannot catch Ctrl-C on",
        path: "the terminal".into(),
        source,
    })?;
    let mut w = Wizard {
        a,
        opts,
        typed: None,
        client: None,
        info: None,
        log4j_path: None,
        sampled: None,
    };
    ui::say(
        "jira-patrol setup: from nothing to a finished capture of who uses which personal access token.\n\
         Each step explains itself; nothing is changed on Jira or on disk before you see it and confirm.\n\
         Type < (or press Esc in a menu) to go back a step; Ctrl-C cancels at any point.",
    );
    if !w.opts.known.is_empty() {
        ui::say("Known already (each step shows it for you to confirm or change):");
        for l in &w.opts.known {
            ui::say(l);
        }
    }
    let mut i = 0usize;
    let mut history: Vec<usize> = Vec::new();
    let mut interrupts = Some(interrupts);
    loop {
        let step = STEPS[i];
        let flow = ui::check_cancel()
            .map_err(WizardError::from)
            .and_then(|()| w.step(step, &mut interrupts));
        let flow = match flow {
            Ok(f) => f,
            Err(WizardError::Cancelled) => {
                drop(interrupts);
                eprintln!("\n{}", ui::cancel_summary());
                // The edge turns it into exit status 130 (said above, not again).
                return Err(WizardError::Cancelled);
            }
            Err(e) => {
                // Stopped by an error: still say what was already applied and its undo.
                for a in ui::applied() {
                    eprintln!("applied before this error: {}\n  undo: {}", a.what, a.undo);
                }
                return Err(e);
            }
        };
        match flow {
            Flow::Next { asked } => {
                if asked {
                    history.push(i);
                }
                i += 1;
            }
            Flow::Back => match history.pop() {
                Some(prev) => i = prev,
                None => ui::say("(this is the first step)"),
            },
            Flow::Goto(s) => {
                i = STEPS.iter().position(|x| *x == s).unwrap_or(0);
                history.retain(|&h| h < i);
            }
            Flow::Done => return Ok(()),
        }
    }
}

fn header(n: Step, title: &str, text: &str) {
    let idx = STEPS.iter().position(|s| *s == n).unwrap_or(0) + 1;
    ui::say(format!("\n── Step {idx} of {}: {title} ──", STEPS.len()));
    if !text.is_empty() {
        ui::say(text);
    }
}

macro_rules! ask {
    ($e:expr) => {
        match $e? {
            Ans::Val(v) => v,
            Ans::Back => return Ok(Flow::Back),
        }
    };
}

// The steps come after `ask!`: a macro is visible only below its definition.
mod steps;

impl Wizard {
    fn step(&mut self, s: Step, interrupts: &mut Option<ui::Interrupts>) -> Result<Flow> {
        match s {
            Step::Url => self.url(),
            Step::Auth => self.auth(),
            Step::Check => self.check(),
            Step::Log4j => self.log4j(),
            Step::Log => self.log(),
            Step::Profile => self.profile(),
            Step::Length => self.length(),
            Step::Rotation => self.rotation(),
            Step::Save => self.save(),
            Step::Run => self.run(interrupts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        assert!(validate_url("https://jira.example.com").is_ok());
        assert!(validate_url("http://127.0.0.1:8080/jira").is_ok());
        assert!(validate_url("jira.example.com").is_err());
        assert!(validate_url("ftp://jira").unwrap_err().contains("http"));
        assert!(validate_url("https://u:p@jira")
            .unwrap_err()
            .contains("credentials"));
        assert!(validate_url("https://jira/?x=1").is_err());
    }

    #[test]
    fn windows_and_versions() {
        let parse_window = crate::duration::setup_window;
        assert_eq!(parse_window("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_window("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_window("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_window("5s").is_err());
        assert_eq!(parse_window("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_window("15").is_err());
        assert!(parse_window("8d").is_err());
        assert_eq!(crate::human::duration(Duration::from_secs(900)), "15m");
        assert_eq!(version_at_least("9.12.2", 9, 5), Some(true));
        assert_eq!(version_at_least("9.4.8", 9, 5), Some(false));
        assert_eq!(version_at_least("10.3.0", 9, 5), Some(true));
        assert_eq!(version_at_least("x", 9, 5), None);
    }

    fn sample(auth: AuthRef) -> SavedSetup {
        SavedSetup {
            url: "https://jira.example.com".into(),
            ca_cert: None,
            auth,
            jira_install: Some("/opt/jira install".into()),
            log4j_config: None,
            logs: vec!["/var/jira/log/atlassian-jira.log".into()],
            profile: "pats-trace".into(),
            duration: Duration::from_secs(900),
            keep: Duration::from_secs(86400),
        }
    }

    #[test]
    fn the_printed_command_parses_as_capture_and_holds_no_secret() {
        let s = sample(AuthRef::new(
            AuthKind::Password,
            Some("admin".into()),
            SecretSource::Env("MY_PW".into()),
        ));
        let (cmd, needs) = capture_command(&s);
        assert!(cmd.starts_with("JIRA_PASSWORD=\"$MY_PW\" jira-patrol capture --url https://jira.example.com --user admin"), "{cmd}");
        assert!(cmd.contains("--jira-install '/opt/jira install'"), "{cmd}");
        assert!(needs.contains("$MY_PW"));
        let p = capture_plan(&s);
        assert_eq!(
            p.window,
            crate::capture::plan::Window::For(Duration::from_secs(900))
        );
        assert_eq!(
            p.logs,
            vec![crate::source::LogSource::local(
                "/var/jira/log/atlassian-jira.log"
            )]
        );
        assert_eq!(
            p.profile,
            crate::capture::plan::ProfileChoice::Named("pats-trace".into())
        );
        assert_eq!(connection(&s).user.as_deref(), Some("admin"));
        // What runs now is what the printed line runs later.
        let words = shlex::split(&cmd).unwrap();
        assert_eq!(
            &words[..3],
            ["JIRA_PASSWORD=$MY_PW", "jira-patrol", "capture"]
        );
        let mut want = connection(&s).argv();
        want.extend(p.argv());
        assert_eq!(words[3..], want[..]);
        let t = sample(AuthRef::new(
            AuthKind::Token,
            None,
            SecretSource::File("/t".into()),
        ));
        assert!(capture_command(&t).0.contains("--token-file /t"));
    }

    #[test]
    fn logs_resolve_from_a_home_a_directory_or_a_future_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("log")).unwrap();
        assert_eq!(
            resolve_log(d.path()).unwrap(),
            d.path().join("log/atlassian-jira.log")
        );
        let f = d.path().join("log/atlassian-jira.log");
        assert_eq!(resolve_log(&f).unwrap(), f);
        assert!(resolve_log(&d.path().join("nope/atlassian-jira.log")).is_err());
    }

    #[test]
    fn jira_home_is_read_from_the_install() {
        let d = tempfile::tempdir().unwrap();
        let classes = d.path().join("atlassian-jira/WEB-INF/classes");
        std::fs::create_dir_all(&classes).unwrap();
        std::fs::write(
            classes.join("jira-application.properties"),
            "# comment\njira.home = /var/atlassian/application-data/jira\n",
        )
        .unwrap();
        assert_eq!(
            jira_home_of(d.path()),
            Some(PathBuf::from("/var/atlassian/application-data/jira"))
        );
    }

    #[test]
    fn unattended_names_the_flag_for_each_missing_answer() {
        let m = missing_answers(&Answers::default());
        let flags: Vec<&str> = m.iter().map(|(_, f)| *f).collect();
        assert!(flags[0].contains("--url"));
        assert!(flags[1].contains("--token-env"));
        assert!(flags[2].contains("--log"));
    }
}
