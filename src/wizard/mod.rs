//! Guided setup (`jira-patrol setup`): from nothing to a finished capture, one explained
//! step at a time. Nothing is changed before it is shown and confirmed; every step can go
//! back or cancel. Only two things are ever written: the log4j rotation change (backup
//! kept, listed with its undo on cancel) and the saved answers (`config`, 0600, no
//! secrets). Without a terminal the same answers come from flags or a saved setup file
//! ([`unattended`]).

pub mod config;
pub mod ui;

use crate::capture::estimate::{self, Sample};
use crate::jira::{Client, ClientConfig, Credentials, JiraError, ServerInfo};
use crate::log4j::{self, size, Config};
use crate::secret::Secret;
use anyhow::{anyhow, bail, Context};
use config::{AuthKind, AuthRef, SavedSetup, SecretSource};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ui::{Ans, Cancelled};

pub const DEFAULT_PROFILE: &str = "pats-trace";
pub const DEFAULT_FOR: &str = "15m";
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
    pub url: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub auth: Option<AuthRef>,
    pub jira_install: Option<PathBuf>,
    pub log4j_config: Option<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub profile: Option<String>,
    pub duration: Option<String>,
    pub keep: Option<String>,
    pub requests_per_hour: Option<u64>,
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
        self.duration = self.duration.or_else(|| Some(s.duration.clone()));
        self.keep = self.keep.or_else(|| Some(s.keep.clone()));
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
            duration: self.duration.clone().unwrap_or_else(|| DEFAULT_FOR.into()),
            keep: self.keep.clone().unwrap_or_else(|| DEFAULT_KEEP.into()),
        })
    }
}

/// How the wizard ends and where it saves.
#[derive(Debug, Clone)]
pub struct Options {
    pub save_to: PathBuf,
}

// ---------------------------------------------------------------- small pure helpers

/// A base URL Jira's client will take: http(s), host, no credentials, query or fragment.
pub fn validate_url(s: &str) -> Result<(), String> {
    let u = url::Url::parse(s.trim()).map_err(|e| {
        format!("not a URL ({e}): write it like https://jira.example.com or http://host:8080/jira")
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("use http:// or https://".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("the URL needs a host name".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("leave credentials out of the URL: they are asked next".into());
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("give the base URL only, without ?query or #fragment".into());
    }
    Ok(())
}

/// A capture window as `capture --for` takes it (`90s`, `15m`, `2h`, `1h30m`), at least
/// 10 seconds: less cannot show anything.
pub fn parse_window(s: &str) -> Result<Duration, String> {
    let d = crate::commands::capture::parse_window(s)?;
    if d < Duration::from_secs(10) {
        return Err(format!(
            "'{s}' is too short to see anything: give at least 10s"
        ));
    }
    Ok(d)
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = match s {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Whether `version` (`9.12.2`) is at least `major.minor`.
pub fn version_at_least(version: &str, major: u64, minor: u64) -> Option<bool> {
    let mut it = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u64>()
    });
    let ma = it.next()?.ok()?;
    let mi = it.next().and_then(Result::ok).unwrap_or(0);
    Some((ma, mi) >= (major, minor))
}

/// Log volume per hour the rotation plan assumes: every request token-authenticated
/// under the profile, plus a couple of Jira's own lines.
pub fn volume_per_hour(requests_per_hour: u64, profile: &crate::profiles::Profile) -> u64 {
    let lines = profile.cost.pat_request.max(profile.cost.other_request) as u64 + 2;
    requests_per_hour
        .saturating_mul(lines)
        .saturating_mul(BYTES_PER_LINE)
}

/// `jira.home` from the install's `jira-application.properties`, where Jira itself reads it.
pub fn jira_home_of(install: &Path) -> Option<PathBuf> {
    let p = install.join("atlassian-jira/WEB-INF/classes/jira-application.properties");
    let bytes = std::fs::read(p).ok()?;
    let doc = log4j::properties::Document::parse(&bytes);
    let home = doc.get("jira.home")?.trim();
    (!home.is_empty()).then(|| PathBuf::from(home))
}

/// The log a path means: a file as is, a directory's `atlassian-jira.log` (or, for a
/// Jira home, `log/atlassian-jira.log`). Err when neither it nor its directory exists.
pub fn resolve_log(p: &Path) -> Result<PathBuf, String> {
    if p.is_dir() {
        for c in [
            p.join("atlassian-jira.log"),
            p.join("log/atlassian-jira.log"),
        ] {
            if c.is_file() {
                return Ok(c);
            }
        }
        if p.join("log").is_dir() {
            return Ok(p.join("log/atlassian-jira.log"));
        }
        return Ok(p.join("atlassian-jira.log"));
    }
    if p.is_file() {
        return Ok(p.to_path_buf());
    }
    match p.parent() {
        Some(d) if d.is_dir() => Ok(p.to_path_buf()),
        _ => Err(format!(
            "neither {} nor its directory exists: give JIRA_HOME/log/atlassian-jira.log",
            p.display()
        )),
    }
}

/// The log4j configuration a path means: an install directory (located inside) or the file.
fn find_log4j(p: &Path) -> Result<(PathBuf, String), String> {
    if p.is_file() {
        let c = Config::load(p).map_err(|e| e.to_string())?;
        return Ok((p.to_path_buf(), c.format().describe().to_string()));
    }
    let found = log4j::locate(p).map_err(|e| e.to_string())?;
    Ok((found.path, found.note))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The `capture` arguments that do what the saved setup says (no secret in them).
pub fn capture_argv(s: &SavedSetup) -> Vec<String> {
    let mut v: Vec<String> = vec!["--url".into(), s.url.clone()];
    match s.auth.kind {
        AuthKind::Password => {
            v.push("--user".into());
            v.push(s.auth.user.clone().unwrap_or_default());
        }
        AuthKind::Token => {
            if let Some(f) = &s.auth.token_file {
                v.push("--token-file".into());
                v.push(f.display().to_string());
            }
        }
    }
    if let Some(c) = &s.ca_cert {
        v.push("--ca-cert".into());
        v.push(c.display().to_string());
    }
    v.extend(["--profile".into(), s.profile.clone()]);
    v.extend(["--for".into(), s.duration.clone()]);
    for l in &s.logs {
        v.push("--log".into());
        v.push(l.display().to_string());
    }
    if let Some(c) = &s.log4j_config {
        v.push("--config".into());
        v.push(c.display().to_string());
    } else if let Some(d) = &s.jira_install {
        v.push("--jira-install".into());
        v.push(d.display().to_string());
    }
    v.extend(["--keep".into(), s.keep.clone()]);
    v
}

/// The exact shell line to run the capture later, and what it needs from the environment.
pub fn capture_command(s: &SavedSetup) -> (String, String) {
    let (var, what) = match s.auth.kind {
        AuthKind::Token => ("JIRA_TOKEN", "the token"),
        AuthKind::Password => ("JIRA_PASSWORD", "the password"),
    };
    let (prefix, needs) = match s.auth.source() {
        SecretSource::Env(v) if v == var => (String::new(), format!("with {what} in ${var}")),
        SecretSource::Env(v) => (format!("{var}=\"${v}\" "), format!("with {what} in ${v}")),
        SecretSource::File(f) => (
            String::new(),
            format!("{what} is read from {}", f.display()),
        ),
        SecretSource::Prompt => (String::new(), format!("it asks for {what} (hidden)")),
    };
    let args: Vec<String> = capture_argv(s).iter().map(|a| shell_quote(a)).collect();
    (
        format!("{prefix}jira-patrol capture {}", args.join(" ")),
        needs,
    )
}

/// The capture arguments, parsed from the very arguments the printed command shows, so
/// what runs now and what runs later are the same.
pub fn capture_args(s: &SavedSetup) -> anyhow::Result<crate::commands::capture::CaptureArgs> {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: crate::commands::capture::CaptureArgs,
    }
    use clap::Parser;
    let argv = std::iter::once("capture".to_string()).chain(capture_argv(s));
    let mut args = Cli::try_parse_from(argv)
        .map_err(|e| anyhow!("the saved answers do not make a capture command: {e}"))?
        .args;
    // clap fills these from JIRA_* when unset; the wizard's answers are what count.
    args.conn.url = Some(s.url.clone());
    args.conn.user = s.auth.user.clone();
    Ok(args)
}

// ---------------------------------------------------------------- talking to Jira

fn client(
    url: &str,
    ca_cert: Option<&Path>,
    auth: &AuthRef,
    secret: &Secret,
) -> anyhow::Result<Client> {
    let credentials = match auth.kind {
        AuthKind::Token => Credentials {
            token: Some(secret.clone()),
            password: None,
        },
        AuthKind::Password => Credentials {
            token: None,
            password: Some((auth.user.clone().unwrap_or_default(), secret.clone())),
        },
    };
    let mut cfg = ClientConfig::new(url.trim(), credentials);
    // A person is waiting: do not sit through long retries.
    cfg.timeout = Duration::from_secs(15);
    cfg.retries = 1;
    if let Some(p) = ca_cert {
        cfg.ca_pem = Some(
            std::fs::read(p)
                .with_context(|| format!("cannot read the CA certificate {}", p.display()))?,
        );
    }
    Ok(Client::new(cfg)?)
}

/// What `check` found, as lines for people.
pub struct Verified {
    pub info: ServerInfo,
    pub lines: Vec<String>,
}

fn line(verdict: &str, check: &str, detail: impl AsRef<str>) -> String {
    format!("  {verdict:<4} {check:<14} {}", detail.as_ref())
}

/// The `check` verdicts: reachable, version, identity, websudo, logging page. Stops at the
/// first failure, returning the lines so far with it.
pub fn verify(c: &Client) -> Result<Verified, (Vec<String>, JiraError)> {
    let mut lines = Vec::new();
    let started = std::time::Instant::now();
    let info = match c.server_info() {
        Ok(i) => i,
        Err(e) => return Err((lines, e)),
    };
    lines.push(line(
        "ok",
        "reachable",
        format!(
            "{} answered in {} ms",
            c.base_url(),
            started.elapsed().as_millis()
        ),
    ));
    let mut v = format!("Jira {}", info.version);
    if let Some(d) = &info.deployment_type {
        v.push_str(&format!(" ({d})"));
    }
    lines.push(line("ok", "version", v));
    let me = match c.myself() {
        Ok(m) => m,
        Err(e) => return Err((lines, e)),
    };
    let via = if c.uses_token() {
        "personal access token".to_string()
    } else {
        format!("password of {}", c.user().unwrap_or("?"))
    };
    let who = match &me.display_name {
        Some(d) => format!("{} ({d}), via {via}", me.name),
        None => format!("{}, via {via}", me.name),
    };
    lines.push(line("ok", "identity", who));
    let page = match c.levels() {
        Ok(p) => p,
        Err(e) => return Err((lines, e)),
    };
    let access = c.admin_access();
    lines.push(line(
        "ok",
        "websudo",
        match (access.websudo_asked, access.websudo_passed) {
            (false, _) => "not required".to_string(),
            (true, true) => format!(
                "required; passed with the password of {}",
                c.user().unwrap_or("?")
            ),
            (true, false) => "required".to_string(),
        },
    ));
    let (pats, src) = page.effective("com.atlassian.pats");
    lines.push(line(
        "ok",
        "logging page",
        format!(
            "root {}, {} explicit levels; com.atlassian.pats is {pats}, {src}",
            page.root,
            page.explicit.len()
        ),
    ));
    lines.push(line("ok", "change levels", "possible"));
    Ok(Verified { info, lines })
}

/// Advice for a failed check, in the wizard's terms.
fn advice(e: &JiraError) -> &'static str {
    match e {
        JiraError::Unreachable { .. } | JiraError::Timeout { .. } | JiraError::BadUrl { .. } => {
            "Check the URL (scheme, host, port, context path such as /jira) and that this machine can reach Jira."
        }
        JiraError::Tls { .. } => {
            "Jira's certificate is signed by a CA this machine does not trust: give that CA's certificate (PEM)."
        }
        JiraError::AuthFailed { user: Some(_) } | JiraError::WebSudoFailed { .. } => {
            "Type the password again (it is case-sensitive), or choose another way to log in."
        }
        JiraError::AuthFailed { user: None } => {
            "The token is unknown, expired or revoked, or its owner is inactive: type it again, or create a new one in Jira (Profile > Personal Access Tokens)."
        }
        JiraError::CaptchaRequired { .. } => {
            "Log in once in a browser to clear the CAPTCHA, then try again."
        }
        JiraError::BasicAuthDisabled { .. } => "Use a personal access token instead.",
        JiraError::NotAdmin { .. } => {
            "Changing log levels needs the System Administrators permission: log in with such an account."
        }
        JiraError::WebSudoNeedsPassword => {
            "Jira asks admins to re-enter their password (websudo) and a token alone cannot: use the user name and password of the same admin account."
        }
        _ => "Try again; if it persists, look at Jira's atlassian-jira.log.",
    }
}

// ---------------------------------------------------------------- the interactive wizard

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

/// Run the guided setup on the terminal.
pub fn interactive(a: Answers, opts: Options) -> anyhow::Result<()> {
    let interrupts = ui::Interrupts::install()?;
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
    let mut i = 0usize;
    let mut history: Vec<usize> = Vec::new();
    let mut interrupts = Some(interrupts);
    loop {
        let step = STEPS[i];
        let flow = ui::check_cancel()
            .map_err(anyhow::Error::from)
            .and_then(|()| w.step(step, &mut interrupts));
        let flow = match flow {
            Ok(f) => f,
            Err(e) if e.is::<Cancelled>() => {
                drop(interrupts);
                eprintln!("\n{}", ui::cancel_summary());
                return Err(crate::commands::Exit(130).into());
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

impl Wizard {
    fn step(&mut self, s: Step, interrupts: &mut Option<ui::Interrupts>) -> anyhow::Result<Flow> {
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

    fn url(&mut self) -> anyhow::Result<Flow> {
        header(
            Step::Url,
            "Jira's address",
            "The base URL you open Jira with in a browser, e.g. https://jira.example.com or http://host:8080/jira.",
        );
        let url = ask!(ui::input(
            "Jira base URL",
            self.a.url.as_deref(),
            validate_url
        ));
        let url = url.trim_end_matches('/').to_string();
        if self.a.url.as_deref() != Some(url.as_str()) {
            self.client = None;
        }
        self.a.url = Some(url);
        Ok(Flow::Next { asked: true })
    }

    fn auth(&mut self) -> anyhow::Result<Flow> {
        header(
            Step::Auth,
            "how to log in",
            "An account with the System Administrators permission. A personal access token (PAT) is simplest,\n\
             but if Jira asks admins to re-enter their password (websudo), only a user name and password get through.\n\
             Secrets are never saved: the setup file only says where to read them.",
        );
        self.client = None;
        self.typed = None;
        let prev = self.a.auth.clone();
        // Questions within the step: going back re-asks the previous one.
        let mut stage = 0;
        let mut kind = prev.as_ref().map_or(AuthKind::Password, |p| p.kind);
        let mut user: Option<String> = None;
        let mut src = 0;
        loop {
            let same_kind = prev.as_ref().filter(|p| p.kind == kind);
            let (what, var) = match kind {
                AuthKind::Token => ("token", "JIRA_TOKEN"),
                AuthKind::Password => ("password", "JIRA_PASSWORD"),
            };
            let back = |stage: usize| -> Option<usize> {
                match stage {
                    0 => None,
                    2 if kind == AuthKind::Token => Some(0),
                    n => Some(n - 1),
                }
            };
            macro_rules! sub {
                ($e:expr) => {
                    match $e? {
                        Ans::Val(v) => v,
                        Ans::Back => match back(stage) {
                            Some(s) => {
                                stage = s;
                                continue;
                            }
                            None => return Ok(Flow::Back),
                        },
                    }
                };
            }
            match stage {
                0 => {
                    let kinds = [
                        "User name and password".to_string(),
                        "Personal access token".to_string(),
                    ];
                    let def = usize::from(kind == AuthKind::Token);
                    let k = sub!(ui::select("Log in with", &kinds, def));
                    kind = if k == 0 {
                        AuthKind::Password
                    } else {
                        AuthKind::Token
                    };
                    stage = if kind == AuthKind::Token { 2 } else { 1 };
                }
                1 => {
                    let def = user
                        .clone()
                        .or_else(|| same_kind.and_then(|p| p.user.clone()))
                        .or_else(|| {
                            std::env::var("JIRA_USER")
                                .ok()
                                .filter(|u| !u.trim().is_empty())
                        });
                    let u = sub!(ui::input("Jira user name", def.as_deref(), |s| {
                        if s.is_empty() || s.chars().any(char::is_control) {
                            Err("type the user name you log in with".into())
                        } else {
                            Ok(())
                        }
                    }));
                    user = Some(u);
                    stage = 2;
                }
                2 => {
                    if kind == AuthKind::Token {
                        user = None;
                    }
                    let env_state = match std::env::var(var) {
                        Ok(s) if !s.trim().is_empty() => "set in this shell",
                        _ => "not set in this shell",
                    };
                    let mut sources = vec![
                        "Type it now (hidden; not saved, asked again at each run)".to_string(),
                        format!("From an environment variable (${var}: {env_state})"),
                    ];
                    if kind == AuthKind::Token {
                        sources.push("From a file holding only the token".to_string());
                    }
                    let def = match same_kind.map(AuthRef::source) {
                        Some(SecretSource::Env(_)) => 1,
                        Some(SecretSource::File(_)) if kind == AuthKind::Token => 2,
                        _ => 0,
                    };
                    src = sub!(ui::select(
                        &format!("Where does the {what} come from?"),
                        &sources,
                        def
                    ));
                    stage = 3;
                }
                _ => {
                    let source = match src {
                        0 => {
                            let label = match &user {
                                Some(u) => format!("Password for {u}"),
                                None => "Personal access token".to_string(),
                            };
                            let s = sub!(ui::secret(&label));
                            self.typed = Some(s);
                            SecretSource::Prompt
                        }
                        1 => {
                            let def = match same_kind.map(AuthRef::source) {
                                Some(SecretSource::Env(v)) => v,
                                _ => var.to_string(),
                            };
                            let v = sub!(ui::input("Environment variable name", Some(&def), |s| {
                                if !config::valid_env_name(s) {
                                    Err("letters, digits and _ only, e.g. JIRA_TOKEN".into())
                                } else if std::env::var(s).map_or(true, |x| x.trim().is_empty()) {
                                    Err(format!("${s} is not set in this shell: export it and run setup again, or type < and choose another way"))
                                } else {
                                    Ok(())
                                }
                            }));
                            SecretSource::Env(v)
                        }
                        _ => {
                            let def = match same_kind.map(AuthRef::source) {
                                Some(SecretSource::File(f)) => Some(f.display().to_string()),
                                _ => None,
                            };
                            let f = sub!(ui::input("Token file", def.as_deref(), |s| {
                                match std::fs::read_to_string(s) {
                                    Ok(t) if !t.trim().is_empty() => Ok(()),
                                    Ok(_) => Err(format!("{s} is empty: put the token in it")),
                                    Err(e) => Err(format!("cannot read {s}: {e}")),
                                }
                            }));
                            SecretSource::File(PathBuf::from(f))
                        }
                    };
                    self.a.auth = Some(AuthRef::new(kind, user, source));
                    return Ok(Flow::Next { asked: true });
                }
            }
        }
    }

    /// The secret for this run: typed, or read from where the reference points.
    fn secret(&mut self, auth: &AuthRef) -> anyhow::Result<Option<Secret>> {
        if let Some(s) = &self.typed {
            return Ok(Some(s.clone()));
        }
        if auth.source() == SecretSource::Prompt {
            let label = match &auth.user {
                Some(u) => format!("Password for {u}"),
                None => "Personal access token".to_string(),
            };
            return Ok(match ui::secret(&label)? {
                Ans::Val(s) => {
                    self.typed = Some(s.clone());
                    Some(s)
                }
                Ans::Back => None,
            });
        }
        auth.resolve().map(Some)
    }

    fn check(&mut self) -> anyhow::Result<Flow> {
        header(
            Step::Check,
            "checking the connection",
            "Read-only: who we are, and whether the logging page (System > Logging and profiling) is open to us.",
        );
        let pending = crate::journal::Journal::default_location().and_then(|j| j.all());
        for p in pending.unwrap_or_default() {
            ui::say(format!(
                "note: a previous run left changed levels on {} in its journal: `jira-patrol restore` puts them back",
                p.entry.jira_url
            ));
        }
        let mut asked = false;
        loop {
            ui::check_cancel()?;
            let url = self.a.url.clone().context("no URL")?;
            let auth = self.a.auth.clone().context("no authentication")?;
            let Some(secret) = (match self.secret(&auth) {
                Ok(s) => s,
                Err(e) if e.is::<Cancelled>() => return Err(e),
                Err(e) => {
                    ui::say(format!("problem: {e:#}"));
                    return Ok(Flow::Back);
                }
            }) else {
                return Ok(Flow::Back);
            };
            let c = match client(&url, self.a.ca_cert.as_deref(), &auth, &secret) {
                Ok(c) => c,
                Err(e) => {
                    ui::say(format!("problem: {e:#}"));
                    return Ok(Flow::Goto(Step::Url));
                }
            };
            ui::say(format!("Connecting to {url} …"));
            match verify(&c) {
                Ok(v) => {
                    for l in &v.lines {
                        ui::say(l);
                    }
                    self.info = Some(v.info);
                    self.client = Some(c);
                    // Another Jira, or another login: the rate measured before is not its.
                    self.sampled = None;
                    return Ok(Flow::Next { asked });
                }
                Err((lines, e)) => {
                    for l in &lines {
                        ui::say(l);
                    }
                    let text = e.to_string();
                    ui::say(format!(
                        "  FAIL {}",
                        text.lines().next().unwrap_or_default()
                    ));
                    ui::say(format!("  what to do: {}", advice(&e)));
                    asked = true;
                    let typed = auth.source() == SecretSource::Prompt;
                    match e {
                        JiraError::AuthFailed { .. } | JiraError::WebSudoFailed { .. } if typed => {
                            // Re-ask the secret right here; empty goes back to the login choice.
                            self.typed = None;
                            continue;
                        }
                        _ => {}
                    }
                    // Offer the login that can work as the default when coming back.
                    match e {
                        JiraError::WebSudoNeedsPassword => {
                            self.a.auth =
                                Some(AuthRef::new(AuthKind::Password, None, SecretSource::Prompt))
                        }
                        JiraError::BasicAuthDisabled { .. } => {
                            self.a.auth =
                                Some(AuthRef::new(AuthKind::Token, None, SecretSource::Prompt))
                        }
                        _ => {}
                    }
                    let mut items = vec!["Try again".to_string()];
                    let mut targets = vec![None];
                    if matches!(e, JiraError::Tls { .. }) {
                        items.push(
                            "Give the CA certificate (PEM) that signed Jira's certificate".into(),
                        );
                        targets.push(Some(Step::Check));
                    }
                    items.push("Change the URL".into());
                    targets.push(Some(Step::Url));
                    items.push("Change how to log in".into());
                    targets.push(Some(Step::Auth));
                    let pick = ask!(ui::select(
                        "What now?",
                        &items,
                        if items.len() > 3 { 1 } else { 0 }
                    ));
                    match targets[pick] {
                        None => continue,
                        Some(Step::Check) => {
                            let def = self.a.ca_cert.as_ref().map(|p| p.display().to_string());
                            let f = ask!(ui::input(
                                "CA certificate file (PEM)",
                                def.as_deref(),
                                |s| {
                                    match std::fs::read_to_string(s) {
                                        Ok(t) if t.contains("-----BEGIN CERTIFICATE-----") => {
                                            Ok(())
                                        }
                                        Ok(_) => Err(format!("{s} holds no PEM certificate")),
                                        Err(e) => Err(format!("cannot read {s}: {e}")),
                                    }
                                }
                            ));
                            self.a.ca_cert = Some(PathBuf::from(f));
                            continue;
                        }
                        Some(s) => return Ok(Flow::Goto(s)),
                    }
                }
            }
        }
    }

    fn log4j(&mut self) -> anyhow::Result<Flow> {
        let version = self
            .info
            .as_ref()
            .map(|i| i.version.clone())
            .unwrap_or_default();
        let new = version_at_least(&version, 9, 5);
        let file = match new {
            Some(true) => "log4j2.xml (Jira 9.5 and later)",
            Some(false) => "log4j.properties (Jira 9.4 and earlier)",
            None => "log4j2.xml (Jira 9.5+) or log4j.properties (older)",
        };
        header(
            Step::Log4j,
            "the log4j configuration",
            &format!(
                "Jira {version} reads its logging setup from atlassian-jira/WEB-INF/classes/{file}\n\
                 in its install directory (the one holding bin/ and atlassian-jira/). It says how large\n\
                 atlassian-jira.log grows and how many old files are kept: a capture must not rotate away.\n\
                 Give the install directory or the file itself; - skips the rotation step."
            ),
        );
        let mut def = self
            .a
            .log4j_config
            .clone()
            .or_else(|| self.a.jira_install.clone())
            .map(|p| p.display().to_string());
        if def.is_none() {
            for guess in [
                "/opt/atlassian/jira",
                "/opt/atlassian/jira/current",
                "/usr/local/atlassian/jira",
            ] {
                if log4j::locate(Path::new(guess)).is_ok() {
                    ui::say(format!("Found a Jira install at {guess}."));
                    def = Some(guess.to_string());
                    break;
                }
            }
        }
        let given = ask!(ui::input(
            "Jira install directory or log4j file (- = skip)",
            def.as_deref(),
            |s| {
                if s == "-" {
                    return Ok(());
                }
                if s.is_empty() {
                    return Err("type the directory, or - to skip".into());
                }
                find_log4j(Path::new(s)).map(|_| ())
            }
        ));
        if given == "-" {
            self.a.jira_install = None;
            self.a.log4j_config = None;
            self.log4j_path = None;
            ui::say("Skipped: the rotation step is left out; the capture cannot check that the log keeps the window.");
            return Ok(Flow::Next { asked: true });
        }
        let p = PathBuf::from(&given);
        let (path, note) = find_log4j(&p).map_err(|e| anyhow!(e))?;
        ui::say(format!("Using {}: {note}", path.display()));
        let cfg = Config::load(&path)?;
        match (new, cfg.format()) {
            (Some(true), log4j::Format::Properties) => ui::say(format!(
                "warning: Jira {version} uses log4j2.xml; this log4j 1.x file is probably not the live one"
            )),
            (Some(false), log4j::Format::Log4j2Xml) => ui::say(format!(
                "warning: Jira {version} uses log4j.properties; this log4j2 file is probably not the live one"
            )),
            _ => {}
        }
        if p.is_file() {
            self.a.log4j_config = Some(p);
            self.a.jira_install = None;
        } else {
            self.a.jira_install = Some(p);
            self.a.log4j_config = None;
        }
        self.log4j_path = Some(path);
        Ok(Flow::Next { asked: true })
    }

    fn log(&mut self) -> anyhow::Result<Flow> {
        let dc = self
            .info
            .as_ref()
            .and_then(|i| i.deployment_type.as_deref())
            .is_some_and(|d| d.eq_ignore_ascii_case("DataCenter"));
        header(
            Step::Log,
            "the log to follow",
            &format!(
                "The capture reads atlassian-jira.log in the Jira home directory (JIRA_HOME/log/, not the install).{}",
                if dc {
                    "\nThis is Data Center: each node writes its own log; give each one this machine can read."
                } else {
                    ""
                }
            ),
        );
        let derived = self
            .a
            .jira_install
            .as_deref()
            .and_then(jira_home_of)
            .or_else(|| std::env::var_os("JIRA_HOME").map(PathBuf::from))
            .map(|h| h.join("log/atlassian-jira.log"))
            .filter(|p| resolve_log(p).is_ok());
        if let (Some(d), true) = (&derived, self.a.logs.is_empty()) {
            ui::say(format!("From the install's jira.home: {}", d.display()));
        }
        let first = self
            .a
            .logs
            .first()
            .cloned()
            .or(derived)
            .map(|p| p.display().to_string());
        let check = |s: &str| resolve_log(Path::new(s)).map(|_| ());
        let l = ask!(ui::input("atlassian-jira.log", first.as_deref(), check));
        let mut logs = vec![resolve_log(Path::new(&l)).map_err(|e| anyhow!(e))?];
        if dc {
            loop {
                let more = ask!(ui::input(
                    "Another node's atlassian-jira.log (empty = done)",
                    None,
                    |s| {
                        if s.is_empty() {
                            Ok(())
                        } else {
                            check(s)
                        }
                    }
                ));
                if more.is_empty() {
                    break;
                }
                logs.push(resolve_log(Path::new(&more)).map_err(|e| anyhow!(e))?);
            }
        }
        for l in &logs {
            if !l.exists() {
                ui::say(format!(
                    "note: {} does not exist yet; it is followed once Jira writes it",
                    l.display()
                ));
            }
        }
        self.a.logs = logs;
        Ok(Flow::Next { asked: true })
    }

    /// The read-only sample `capture --dry-run` takes, once connected and the log known;
    /// `None` when it cannot be taken (no client or log yet), Err(why) when it failed.
    fn request_rate(&mut self) -> Option<Result<Sample, String>> {
        if let Some((logs, r)) = &self.sampled {
            if *logs == self.a.logs {
                return Some(r.clone());
            }
        }
        let c = self.client.as_ref()?;
        if self.a.logs.is_empty() {
            return None;
        }
        // Tests shorten the sample; not a user setting.
        let len = std::env::var("JIRA_PATROL_SAMPLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(PROFILE_SAMPLE, Duration::from_millis);
        ui::say(format!(
            "Measuring Jira's request rate for {} (read-only)…",
            crate::capture::fmt_duration(len)
        ));
        // Ctrl-C ends the sample at once; the next prompt then cancels.
        let r = estimate::sample(c, &self.a.logs, len, &|| ui::check_cancel().is_err())
            // One line: the wizard goes on with the static texts whatever the cause.
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string());
        self.sampled = Some((self.a.logs.clone(), r.clone()));
        Some(r)
    }

    fn profile(&mut self) -> anyhow::Result<Flow> {
        header(
            Step::Profile,
            "what to log",
            "A profile raises some PAT plugin loggers for the capture window only (they are put back after).\nMore detail costs more log lines:",
        );
        let profiles = crate::profiles::list(None)?;
        let rate = match self.request_rate() {
            Some(Ok(s)) => {
                ui::say(format!(
                    "Jira serves {:.1} requests/s now; those with a token cannot be told apart without raising a level,\n\
                     so the figures below count them as none: add each profile's lines per PAT request for them.",
                    s.requests_per_sec
                ));
                Some(s.requests_per_sec)
            }
            Some(Err(e)) => {
                ui::say(format!(
                    "Could not measure Jira's request rate ({e}): costs are given per request."
                ));
                None
            }
            None => None,
        };
        let figures: Vec<Option<estimate::Figure>> = profiles
            .iter()
            .map(|p| rate.map(|r| estimate::figure(p, r, 0.0)))
            .collect();
        for (p, f) in profiles.iter().zip(&figures) {
            ui::say(format!("  {}", p.name));
            ui::say_wrapped("      ", &p.description);
            ui::say_wrapped("      reveals: ", &p.reveals);
            ui::say_wrapped("      costs: ", &p.cost.to_string());
            if let (Some(f), Some(r)) = (f, rate) {
                ui::say_wrapped(
                    &format!("      at {r:.1} requests/s: "),
                    &format!(
                        "≈{} lines/hour, ≈{}/hour, plus {} lines per PAT request; {}",
                        f.lines_per_hour,
                        crate::report::human_bytes(f.bytes_per_hour),
                        p.cost.pat_request,
                        if f.names_token {
                            "names the token of every PAT request"
                        } else {
                            "does not name the token"
                        }
                    ),
                );
            }
            if let Some(m) = &p.misses {
                ui::say_wrapped("      cannot see: ", m);
            }
        }
        let items: Vec<String> = profiles
            .iter()
            .zip(&figures)
            .map(|(p, f)| match f {
                Some(f) => format!(
                    "{:<20} ≈{}/hour ({} lines), +{} lines per PAT request",
                    p.name,
                    crate::report::human_bytes(f.bytes_per_hour),
                    f.lines_per_hour,
                    p.cost.pat_request
                ),
                None => format!(
                    "{:<20} ≈{} lines per PAT request, ≈{} per other request",
                    p.name, p.cost.pat_request, p.cost.other_request
                ),
            })
            .collect();
        let want = self.a.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
        let def = profiles.iter().position(|p| p.name == want).unwrap_or(0);
        let i = ask!(ui::select("Profile", &items, def));
        self.a.profile = Some(profiles[i].name.clone());
        Ok(Flow::Next { asked: true })
    }

    fn length(&mut self) -> anyhow::Result<Flow> {
        header(
            Step::Length,
            "how long to capture",
            "During the window the profile's levels are raised; afterwards, and on Ctrl-C or any error,\n\
             they are put back. Long enough to catch your scripts' schedules (a nightly job needs a night).",
        );
        let def = self
            .a
            .duration
            .clone()
            .unwrap_or_else(|| DEFAULT_FOR.into());
        let d = ask!(ui::input(
            "Capture length (90s, 15m, 2h, 1h30m)",
            Some(&def),
            |s| { parse_window(s).map(|_| ()) }
        ));
        self.a.duration = Some(d);
        Ok(Flow::Next { asked: true })
    }

    fn rotation(&mut self) -> anyhow::Result<Flow> {
        let Some(path) = self.log4j_path.clone() else {
            header(
                Step::Rotation,
                "log rotation",
                "Skipped: no log4j configuration was given.",
            );
            return Ok(Flow::Next { asked: false });
        };
        header(
            Step::Rotation,
            "log rotation",
            "Raised levels write more: the log must keep what the window wrote until you read it.",
        );
        let main = match Config::load(&path)?.appender(None) {
            Ok(a) => a,
            Err(e) => {
                ui::say(format!("problem: {e}"));
                let i = ask!(ui::select(
                    "What now?",
                    &["Go on without changing rotation".to_string()],
                    0
                ));
                let _ = i;
                return Ok(Flow::Next { asked: true });
            }
        };
        match (main.max_size_bytes, main.backups) {
            (Some(s), Some(n)) => ui::say(format!(
                "Now: {} rotates at {} and keeps {n} old files ({} of history).",
                main.file,
                size::human_exact(s),
                size::Approx(s.saturating_mul(n as u64))
            )),
            _ => ui::say(format!(
                "Now: {} ({:?} x {:?}).",
                main.file, main.max_size_raw, main.backups
            )),
        }
        // keep (0) -> requests per hour (1) -> the proposed change (2); < re-asks the previous.
        let mut stage = 0;
        let (cfg, changes) = loop {
            macro_rules! sub {
                ($e:expr) => {
                    match $e? {
                        Ans::Val(v) => v,
                        Ans::Back if stage == 0 => return Ok(Flow::Back),
                        Ans::Back => {
                            stage -= 1;
                            continue;
                        }
                    }
                };
            }
            match stage {
                0 => {
                    let keep_def = self.a.keep.clone().unwrap_or_else(|| DEFAULT_KEEP.into());
                    let keep = sub!(ui::input(
                        "Keep the log for at least (36h, 3d, 2w)",
                        Some(&keep_def),
                        |s| { crate::commands::config::parse_keep(s).map(|_| ()) }
                    ));
                    self.a.keep = Some(keep);
                    stage = 1;
                }
                1 => {
                    ui::say(format!(
                        "How busy is Jira? If you do not know, {DEFAULT_REQUESTS_PER_HOUR} requests per hour is assumed (a busy mid-size Jira);\n\
                         the capture's summary measures it, and `jira-patrol rotation plan --from-summary` re-plans from that."
                    ));
                    let rph_def = self
                        .a
                        .requests_per_hour
                        .unwrap_or(DEFAULT_REQUESTS_PER_HOUR)
                        .to_string();
                    let rph = sub!(ui::input("Requests per hour", Some(&rph_def), |s| {
                        s.replace('_', "")
                            .parse::<u64>()
                            .map(|_| ())
                            .map_err(|_| "a whole number, e.g. 20000".to_string())
                    }));
                    self.a.requests_per_hour = Some(rph.replace('_', "").parse()?);
                    stage = 2;
                }
                _ => {
                    let keep = self.a.keep.clone().unwrap_or_else(|| DEFAULT_KEEP.into());
                    let keep_d =
                        crate::commands::config::parse_keep(&keep).map_err(|e| anyhow!(e))?;
                    let rph = self
                        .a
                        .requests_per_hour
                        .unwrap_or(DEFAULT_REQUESTS_PER_HOUR);
                    let profile = crate::profiles::load(
                        self.a.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
                        None,
                    )?;
                    let bph = volume_per_hour(rph, &profile);
                    let plan = log4j::plan(bph, keep_d, Some(&main));
                    ui::say(format!(
                        "At {rph} requests/hour with {} (assuming every request uses a token): about {}/hour, {} for {keep}.",
                        profile.name,
                        size::Approx(bph),
                        size::Approx(plan.needed_bytes)
                    ));
                    if plan.holds_now {
                        ui::say("The current rotation keeps that: nothing to change.");
                        return Ok(Flow::Next { asked: true });
                    }
                    // A fresh copy each time: going back and forth must not stack edits.
                    let mut cfg = Config::load(&path)?;
                    let changes = cfg.set_rotation(
                        Some(&main.name),
                        Some(plan.max_size_bytes),
                        Some(plan.backups),
                    )?;
                    ui::say(format!(
                        "Proposed: rotate at {} and keep {} old files (up to {} on disk). The change to {}:",
                        size::human_exact(plan.max_size_bytes),
                        plan.backups,
                        size::Approx(plan.disk_bytes),
                        path.display()
                    ));
                    ui::say(cfg.diff().trim_end());
                    let items = [
                        "Apply this change (the current file is backed up beside it)".to_string(),
                        "Skip it: keep the current rotation".to_string(),
                    ];
                    let pick = sub!(ui::select("Apply?", &items, 0));
                    if pick == 1 {
                        ui::say("Left unchanged.");
                        return Ok(Flow::Next { asked: true });
                    }
                    break (cfg, changes);
                }
            }
        };
        let saved = cfg
            .save()
            .with_context(|| format!("{} left unchanged", path.display()))?;
        ui::say(format!(
            "Written {}. Backup: {}",
            saved.path.display(),
            saved.backup.display()
        ));
        for c in &changes {
            ui::say(format!("  {c}"));
        }
        ui::say(format!(
            "{}\nnote: the file belongs to the install: a Jira upgrade replaces it, and each Data Center node has its own copy.",
            cfg.reload_note()
        ));
        ui::record(ui::Applied {
            what: format!(
                "log rotation of {} changed in {}",
                main.file,
                saved.path.display()
            ),
            undo: format!(
                "cp -p {} {}",
                shell_quote(&saved.backup.display().to_string()),
                shell_quote(&saved.path.display().to_string())
            ),
        });
        Ok(Flow::Next { asked: true })
    }

    fn save(&mut self) -> anyhow::Result<Flow> {
        let path = self.opts.save_to.clone();
        header(
            Step::Save,
            "saving the answers",
            &format!(
                "The answers go to {} (readable by you only), so the next run starts from them.\n\
                 The file holds no secret, only where to read it.",
                path.display()
            ),
        );
        let s = self.a.saved().context("answers incomplete")?;
        let text = s.to_toml();
        let old = std::fs::read_to_string(&path).ok();
        if config::load_from(&path).is_ok_and(|o| o == s) {
            ui::say("Already saved with these answers.");
            return Ok(Flow::Next { asked: false });
        }
        match &old {
            Some(o) => {
                ui::say(crate::log4j::write::diff(&path, o.as_bytes(), text.as_bytes()).trim_end())
            }
            None => ui::say(text.trim_end()),
        }
        let items = [
            format!("Save to {}", path.display()),
            "Do not save".to_string(),
        ];
        let pick = ask!(ui::select("Save?", &items, 0));
        if pick == 0 {
            s.save(&path)?;
            ui::say(format!("Saved {} (mode 0600).", path.display()));
        }
        Ok(Flow::Next { asked: true })
    }

    fn run(&mut self, interrupts: &mut Option<ui::Interrupts>) -> anyhow::Result<Flow> {
        let s = self.a.saved().context("answers incomplete")?;
        let d = parse_window(&s.duration).map_err(|e| anyhow!(e))?;
        header(
            Step::Run,
            "the capture",
            &format!(
                "Raises {} for {}, follows the log, puts every level back, then prints who used which token.",
                s.profile,
                human_duration(d)
            ),
        );
        let (cmd, needs) = capture_command(&s);
        let items = [
            format!("Start the capture now ({})", human_duration(d)),
            "Not now: show the command to run it later".to_string(),
        ];
        let pick = ask!(ui::select("Capture", &items, 0));
        if pick == 1 {
            ui::say("To run the capture later:");
            println!("{cmd}");
            ui::say(format!("({needs})"));
            if self.opts.save_to.exists() && s.auth.source() != SecretSource::Prompt {
                ui::say(format!(
                    "or, from the saved answers: jira-patrol setup --config {} --non-interactive",
                    shell_quote(&self.opts.save_to.display().to_string())
                ));
            }
            return Ok(Flow::Done);
        }
        let args = capture_args(&s)?;
        let client = self.client.take().context("not connected")?;
        ui::say(format!("Running: {cmd}"));
        // From here the capture owns Ctrl-C: it must put the levels back before leaving.
        if let Some(i) = interrupts.take() {
            i.uninstall();
        }
        crate::commands::capture::run_with(client, args)?;
        Ok(Flow::Done)
    }
}

// ---------------------------------------------------------------- without a terminal

/// Flags that answer each question, for the "cannot ask" message.
pub fn missing_answers(a: &Answers) -> Vec<(&'static str, &'static str)> {
    let mut m = Vec::new();
    if a.url.is_none() {
        m.push(("Jira base URL", "--url URL"));
    }
    if a.auth.is_none() {
        m.push((
            "how to log in",
            "--user NAME --password-env VAR, or --token-env VAR, or --token-file FILE",
        ));
    }
    if a.logs.is_empty() {
        m.push(("atlassian-jira.log to follow", "--log PATH (once per node)"));
    }
    m
}

/// What the unattended run may do beyond checking.
#[derive(Debug, Clone, Default)]
pub struct Unattended {
    /// Apply the planned rotation change (the flag is the confirmation).
    pub apply_rotation: bool,
    /// Save the answers to this file.
    pub save_to: Option<PathBuf>,
    /// Print the capture command instead of running it.
    pub no_capture: bool,
}

/// Run setup from flags and/or a saved setup, asking nothing.
pub fn unattended(a: Answers, u: Unattended) -> anyhow::Result<()> {
    let missing = missing_answers(&a);
    if !missing.is_empty() {
        eprintln!("setup cannot ask questions here (no terminal, or --non-interactive); give the answers as flags:");
        for (what, flag) in &missing {
            eprintln!("  {what:<30} {flag}");
        }
        eprintln!("  (optional: --jira-install DIR or --log4j-config FILE, --profile NAME, --for DURATION, --keep DURATION)");
        bail!(
            "{} answer{} missing: pass the flags above, or run from a saved setup with --config FILE",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        );
    }
    let mut s = a.saved().context("answers incomplete")?;
    s.logs = s
        .logs
        .iter()
        .map(|l| resolve_log(l))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!(e))?;
    parse_window(&s.duration).map_err(|e| anyhow!("--for: {e}"))?;
    let keep = crate::commands::config::parse_keep(&s.keep).map_err(|e| anyhow!("--keep: {e}"))?;
    let profile = crate::profiles::load(&s.profile, None)?;
    let secret = s.auth.resolve()?;
    let c = client(&s.url, s.ca_cert.as_deref(), &s.auth, &secret)?;
    eprintln!("checking {} ({})", s.url, s.auth.describe());
    match verify(&c) {
        Ok(v) => v.lines.iter().for_each(|l| eprintln!("{l}")),
        Err((lines, e)) => {
            lines.iter().for_each(|l| eprintln!("{l}"));
            let text = e.to_string();
            bail!(
                "{}; {}",
                text.lines().next().unwrap_or_default(),
                advice(&e)
            );
        }
    }
    let log4j_path = match (&s.log4j_config, &s.jira_install) {
        (Some(p), _) | (None, Some(p)) => Some(find_log4j(p).map_err(|e| anyhow!(e))?.0),
        _ => None,
    };
    if let Some(path) = log4j_path {
        let mut cfg = Config::load(&path)?;
        let main = cfg.appender(None)?;
        let rph = a.requests_per_hour.unwrap_or(DEFAULT_REQUESTS_PER_HOUR);
        if a.requests_per_hour.is_none() {
            eprintln!(
                "rotation: assuming {rph} requests per hour (--requests-per-hour to say otherwise)"
            );
        }
        let plan = log4j::plan(volume_per_hour(rph, &profile), keep, Some(&main));
        if plan.holds_now {
            eprintln!(
                "rotation: {} keeps {} already; nothing to change",
                path.display(),
                s.keep
            );
        } else if u.apply_rotation {
            cfg.set_rotation(
                Some(&main.name),
                Some(plan.max_size_bytes),
                Some(plan.backups),
            )?;
            eprint!("{}", cfg.diff());
            let saved = cfg
                .save()
                .with_context(|| format!("{} left unchanged", path.display()))?;
            eprintln!(
                "rotation: written {}; backup {}",
                saved.path.display(),
                saved.backup.display()
            );
            eprintln!("{}", cfg.reload_note());
        } else {
            eprintln!(
                "rotation: {} keeps less than {}; to change it: {} --config {} (or pass --apply-rotation)",
                path.display(),
                s.keep,
                plan.command,
                shell_quote(&path.display().to_string())
            );
        }
    }
    if let Some(p) = &u.save_to {
        if std::fs::read_to_string(p).ok().as_deref() != Some(s.to_toml().as_str()) {
            s.save(p)?;
            eprintln!("saved {}", p.display());
        }
    }
    let (cmd, needs) = capture_command(&s);
    if u.no_capture {
        println!("{cmd}");
        eprintln!("({needs})");
        return Ok(());
    }
    eprintln!("running: {cmd}");
    crate::commands::capture::run_with(c, capture_args(&s)?)
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
        assert_eq!(parse_window("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_window("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_window("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_window("5s").is_err());
        assert_eq!(parse_window("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_window("15").is_err());
        assert!(parse_window("8d").is_err());
        assert_eq!(human_duration(Duration::from_secs(900)), "15 minutes");
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
            duration: "15m".into(),
            keep: "1d".into(),
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
        let args = capture_args(&s).unwrap();
        assert_eq!(args.duration.as_deref(), Some("15m"));
        assert_eq!(
            args.logs,
            vec![PathBuf::from("/var/jira/log/atlassian-jira.log")]
        );
        assert_eq!(args.profile, "pats-trace");
        assert_eq!(args.conn.user.as_deref(), Some("admin"));
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
