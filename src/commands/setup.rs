//! `jira-patrol setup`: the guided setup on a terminal (`crate::wizard`), or, without one
//! (or with `--non-interactive`), the same steps from flags and/or a saved setup file,
//! never waiting for an answer that cannot come. A cancel or a capture's ending becomes
//! the exit code here.

use super::conn::ConnArgs;
use crate::wizard::config::{self, AuthKind, AuthRef, SecretSource};
use crate::wizard::{self, Answers};
use anyhow::bail;
use std::io::IsTerminal;
use std::path::PathBuf;

/// The flags of `jira-patrol setup`.
#[derive(Debug, clap::Args)]
// One way to log in is saved: a user (and password), or a token from a variable or a file.
#[command(group(clap::ArgGroup::new("auth").args(["user", "login", "token_env", "token_file"])))]
#[command(
    after_help = "On a terminal every flag only pre-fills an answer; each step is shown and confirmed.\n\
Without one (or with --non-interactive) the flags and the setup file are the answers."
)]
pub struct SetupArgs {
    /// Setup file to start from and save to (default: $XDG_CONFIG_HOME/jira-patrol/config.toml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ask nothing: run from the setup file and flags, or fail at once saying which flags are missing
    #[arg(long)]
    pub non_interactive: bool,
    /// Jira URL, login name, token file, CA certificate, timeout: as in every command.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Environment variable holding the password of --user
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Environment variable holding a personal access token
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Jira install directory (its log4j configuration is found inside)
    #[arg(long, value_name = "DIR", conflicts_with = "log4j_config")]
    pub jira_install: Option<PathBuf>,
    /// The log4j configuration file itself
    #[arg(long, value_name = "FILE")]
    pub log4j_config: Option<PathBuf>,
    /// atlassian-jira.log to follow (repeat once per Data Center node)
    #[arg(long = "log", value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// Verbosity profile for the capture
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Capture length, e.g. 15m
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: Option<String>,
    /// How long the log must keep what a capture wrote, e.g. 1d
    #[arg(long, value_name = "DURATION")]
    pub keep: Option<String>,
    /// Expected requests per hour, to plan log rotation (default 20000)
    #[arg(long, value_name = "N")]
    pub requests_per_hour: Option<u64>,
    /// Without a terminal: apply the planned rotation change (backup kept)
    #[arg(long)]
    pub apply_rotation: bool,
    /// Without a terminal: save the answers to the setup file
    #[arg(long)]
    pub save: bool,
    /// Without a terminal: print the capture command instead of running it
    #[arg(long)]
    pub no_capture: bool,
}

impl SetupArgs {
    fn answers(&self) -> anyhow::Result<Answers> {
        if let Some(v) = self.token_env.as_deref().or(self.password_env.as_deref()) {
            if !config::valid_env_name(v) {
                bail!("'{v}' is not an environment variable name: give the variable's name, not its value");
            }
        }
        let user = self.conn.user.clone().or(self.conn.login.clone());
        if self.password_env.is_some() && user.is_none() {
            bail!("--password-env needs --user NAME: whose password it holds");
        }
        let auth = match (&user, &self.token_env, &self.conn.token_file) {
            (Some(u), _, _) => Some(AuthRef::new(
                AuthKind::Password,
                Some(u.clone()),
                self.password_env
                    .clone()
                    .map_or(SecretSource::Prompt, SecretSource::Env),
            )),
            (None, Some(v), _) => Some(AuthRef::new(
                AuthKind::Token,
                None,
                SecretSource::Env(v.clone()),
            )),
            (None, None, Some(f)) => Some(AuthRef::new(
                AuthKind::Token,
                None,
                SecretSource::File(f.clone()),
            )),
            _ => None,
        };
        if let Some(u) = &self.conn.url {
            wizard::validate_url(u).map_err(|e| anyhow::anyhow!("--url {u}: {e}"))?;
        }
        Ok(Answers {
            url: self
                .conn
                .url
                .as_ref()
                .map(|u| u.trim().trim_end_matches('/').to_string()),
            ca_cert: self.conn.ca_cert.clone(),
            auth,
            jira_install: self.jira_install.clone(),
            log4j_config: self.log4j_config.clone(),
            logs: self.logs.clone(),
            profile: self.profile.clone(),
            duration: self
                .duration
                .as_deref()
                .map(crate::duration::setup_window)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--for: {e}"))?,
            keep: match self.keep.as_deref() {
                Some(k) => {
                    crate::duration::keep(k).map_err(|e| anyhow::anyhow!("--keep: {e}"))?;
                    Some(k.to_string())
                }
                None => None,
            },
            requests_per_hour: self.requests_per_hour,
            timeout: self.conn.timeout.map(std::time::Duration::from_secs),
        })
    }
}

/// Where each answer known before the first question came from: the command line, the
/// environment (`JIRA_URL`, `JIRA_USER`, `JIRA_PASSWORD`, `JIRA_TOKEN`, read as every
/// command reads them), or the saved setup, in that order of precedence.
#[derive(Default)]
struct Known(Vec<(&'static str, String)>);

impl Known {
    /// Credit `from` with every answer of `a` not credited yet.
    fn mark(&mut self, a: &Answers, from: &str) {
        for (what, _) in answer_lines(a) {
            if !self.0.iter().any(|(w, _)| *w == what) {
                self.0.push((what, from.to_string()));
            }
        }
    }

    /// One line per answer: what, value, where from.
    fn lines(&self, a: &Answers) -> Vec<String> {
        answer_lines(a)
            .into_iter()
            .filter_map(|(what, value)| {
                let (_, from) = self.0.iter().find(|(w, _)| *w == what)?;
                Some(format!("  {what:<12} {value} (from {from})"))
            })
            .collect()
    }
}

/// The answers given so far, as (what, value) for people.
fn answer_lines(a: &Answers) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(u) = &a.url {
        v.push(("Jira URL", u.clone()));
    }
    if let Some(auth) = &a.auth {
        v.push(("login", auth.describe()));
    }
    if let Some(c) = &a.ca_cert {
        v.push(("CA cert", c.display().to_string()));
    }
    match (&a.log4j_config, &a.jira_install) {
        (Some(c), _) => v.push(("log4j file", c.display().to_string())),
        (None, Some(d)) => v.push(("Jira install", d.display().to_string())),
        _ => {}
    }
    if !a.logs.is_empty() {
        let logs: Vec<String> = a.logs.iter().map(|l| l.display().to_string()).collect();
        v.push(("logs", logs.join(", ")));
    }
    if let Some(p) = &a.profile {
        v.push(("profile", p.clone()));
    }
    if let Some(d) = a.duration {
        v.push(("length", crate::human::duration(d)));
    }
    if let Some(k) = &a.keep {
        v.push(("keep", k.clone()));
    }
    v
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// What the environment answers that the flags did not, as every command reads it: the
/// URL from `JIRA_URL`; a password login from `JIRA_USER` (the password from
/// `JIRA_PASSWORD`, else asked), else a token from `JIRA_TOKEN`. A password login is
/// preferred when both are set, since only a password gets through websudo. A bad
/// `JIRA_URL` is an error when nothing can be asked, else a note.
fn from_environment(a: &mut Answers, known: &mut Known, unattended: bool) -> anyhow::Result<()> {
    if a.url.is_none() {
        if let Some(u) = env_var("JIRA_URL") {
            match wizard::validate_url(&u) {
                Ok(()) => {
                    a.url = Some(u.trim_end_matches('/').to_string());
                    known.mark(a, "JIRA_URL");
                }
                Err(e) if unattended => bail!("JIRA_URL={u}: {e}"),
                Err(e) => crate::output::say(&format!("note: JIRA_URL={u} is not used: {e}")),
            }
        }
    }
    let password = env_var("JIRA_PASSWORD").map(|_| SecretSource::Env("JIRA_PASSWORD".into()));
    match &mut a.auth {
        // `--user NAME` alone: the password comes from where every command reads it.
        Some(auth) if auth.kind == AuthKind::Password && auth.source() == SecretSource::Prompt => {
            if let Some(p) = password {
                *auth = AuthRef::new(AuthKind::Password, auth.user.clone(), p);
                known.0.retain(|(w, _)| *w != "login");
                known.0.push(("login", "--user, JIRA_PASSWORD".into()));
            }
        }
        Some(_) => {}
        None => {
            if let Some(user) = env_var("JIRA_USER") {
                let from = if password.is_some() {
                    "JIRA_USER, JIRA_PASSWORD"
                } else {
                    "JIRA_USER"
                };
                a.auth = Some(AuthRef::new(
                    AuthKind::Password,
                    Some(user),
                    password.unwrap_or(SecretSource::Prompt),
                ));
                known.mark(a, from);
            } else if env_var("JIRA_TOKEN").is_some() {
                a.auth = Some(AuthRef::new(
                    AuthKind::Token,
                    None,
                    SecretSource::Env("JIRA_TOKEN".into()),
                ));
                known.mark(a, "JIRA_TOKEN");
            }
        }
    }
    Ok(())
}

/// `jira-patrol setup`: a cancel exits 130, a capture it ran exits as `capture` would.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    run_setup(args).map_err(|e| match e.downcast::<wizard::WizardError>() {
        Ok(wizard::WizardError::Cancelled) => super::Exit(130).into(),
        Ok(wizard::WizardError::Capture(r)) => match super::capture::exit(Err(r)) {
            Err(e) => e,
            Ok(()) => unreachable!("a capture error is never a success"),
        },
        Ok(e) => e.into(),
        Err(e) => super::capture::exit_from(e),
    })
}

fn run_setup(args: SetupArgs) -> anyhow::Result<()> {
    let mut answers = args.answers()?;
    let mut known = Known::default();
    known.mark(&answers, "the command line");
    let path = match &args.config {
        Some(p) => p.clone(),
        None => config::default_path()?,
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let unattended = args.non_interactive || !terminal;
    from_environment(&mut answers, &mut known, unattended)?;
    // On a terminal a --config FILE that does not exist yet is where the answers will go.
    if path.exists() || (args.config.is_some() && unattended) {
        match config::load_from(&path) {
            Ok(saved) => {
                answers = answers.or_saved(&saved);
                known.mark(&answers, &format!("the saved setup {}", path.display()));
            }
            Err(e) if !unattended => {
                crate::output::say(&format!(
                    "warning: {e:#}
starting without its answers; it is replaced only if you save at the end"
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let known = known.lines(&answers);
    if unattended {
        return Ok(wizard::unattended(
            answers,
            wizard::Unattended {
                apply_rotation: args.apply_rotation,
                save_to: args.save.then_some(path),
                no_capture: args.no_capture,
                known,
            },
        )?);
    }
    Ok(wizard::interactive(
        answers,
        wizard::Options {
            save_to: path,
            known,
        },
    )?)
}
