//! The connection group: the arguments of every command that talks to Jira (`check`,
//! `diagnose`, `level get|set`, `profile apply|revert`, `restore`, `capture`, `tokens`,
//! `summarize --inventory`, `setup`), and where credentials come from: `JIRA_TOKEN` or
//! `--token-file` (a PAT), `--user` / `JIRA_USER` with `JIRA_PASSWORD`, or a hidden prompt
//! when stdin is a terminal. Never from a command-line value. `--user` is the login name
//! in every command; who owns a token is `--owner`.

use crate::jira::{Client, ClientConfig, Credentials};
use crate::secret::Secret;
use anyhow::{bail, Context};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach Jira and who to log in as; secrets come from the environment, a file or a prompt.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// Jira base URL, e.g. https://jira.example.com (or JIRA_URL)
    // No `env = "JIRA_URL"` either: `setup` says where each answer came from.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Read the personal access token from this file (instead of JIRA_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Trust this CA certificate (PEM) for Jira's TLS, besides the built-in roots
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Jira login name for a password login (or JIRA_USER); the password comes from
    /// JIRA_PASSWORD or a prompt
    // No `env = "JIRA_USER"`: `tokens` and `summarize` must tell a --user typed on the
    // command line (perhaps their former owner filter) from the environment's.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// The former spelling of --user in `tokens`
    #[arg(long, value_name = "NAME", hide = true, conflicts_with = "user")]
    pub login: Option<String>,

    /// From a saved setup: (is a token, environment variable holding the secret).
    #[arg(skip)]
    pub saved_secret_env: Option<(bool, String)>,

    /// Seconds to wait for each answer from Jira [default: 30; setup: 15]
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
}

/// The note printed when the former `tokens --login` spelling is used.
pub const LOGIN_RENAMED: &str = "note: --login is now --user (the login name in every command)";

/// How long to wait for each answer from Jira without `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn env_secret(name: &str) -> Option<Secret> {
    env_var(name).map(Secret::new)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Who a `--user` given to `tokens` or `summarize` stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFlag {
    /// No `--user` on the command line, or one that logs in.
    Login,
    /// A `--user` that cannot be a login here: the owner filter it used to be.
    Owner(String),
}

impl ConnArgs {
    /// Fails when `--token-file` or `--ca-cert` cannot be read (`connect` checks them before
    /// any prompt; commands with other paths check these first too).
    pub fn check_paths(&self) -> anyhow::Result<()> {
        if let Some(f) = &self.token_file {
            crate::paths::readable_file("--token-file", f)?;
        }
        if let Some(f) = &self.ca_cert {
            crate::paths::readable_file("--ca-cert", f)?;
        }
        Ok(())
    }

    /// The Jira URL: `--url`, else `JIRA_URL`.
    pub fn url_or_env(&self) -> Option<String> {
        self.url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| env_var("JIRA_URL"))
    }

    /// The login name: `--user` (or its former spelling `--login`), else `JIRA_USER`.
    pub fn login_name(&self) -> Option<String> {
        if self.login.is_some() {
            static NOTED: std::sync::Once = std::sync::Once::new();
            NOTED.call_once(|| crate::output::say(LOGIN_RENAMED));
        }
        self.user
            .as_deref()
            .or(self.login.as_deref())
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| env_var("JIRA_USER"))
    }

    /// `tokens --user NAME` and `summarize --user NAME` picked an owner before `--user`
    /// named the login in every command. A `--user` typed here that cannot be a login
    /// (nothing logs in, or a token does and no password is set) keeps that meaning, with
    /// a note naming `--owner`; one that disagrees with `JIRA_USER` is refused rather than
    /// guessed, since a wrong login name counts as a failed login on that account.
    /// `logs_in`: whether the command connects at all.
    pub fn user_flag(&self, logs_in: bool) -> anyhow::Result<UserFlag> {
        let Some(u) = self
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(UserFlag::Login);
        };
        let owner = |why: &str| {
            crate::output::say(&format!(
                "note: --user {u} is read as --owner {u}, its former meaning here ({why}); \
                 --user is the login name in every command"
            ));
            Ok(UserFlag::Owner(u.to_string()))
        };
        if !logs_in {
            return owner("nothing logs in to Jira");
        }
        if let Some(env) = env_var("JIRA_USER").filter(|e| !e.eq_ignore_ascii_case(u)) {
            bail!(
                "--user {u} disagrees with JIRA_USER={env}: --user is the login name (it used to \
                 pick an owner here); to list {u}'s tokens give --owner {u}, to log in as {u} \
                 unset JIRA_USER"
            );
        }
        let c = self.with_saved_setup_if_no_url()?;
        let password =
            env_var("JIRA_PASSWORD").is_some() || matches!(&c.saved_secret_env, Some((false, _)));
        let token = env_var("JIRA_TOKEN").is_some()
            || c.token_file.is_some()
            || matches!(&c.saved_secret_env, Some((true, _)));
        if token && !password {
            return owner("a token logs in, and no JIRA_PASSWORD is set");
        }
        Ok(UserFlag::Login)
    }

    fn with_saved_setup_if_no_url(&self) -> anyhow::Result<ConnArgs> {
        if self.url_or_env().is_none() {
            self.with_saved_setup(false)
        } else {
            Ok(self.clone())
        }
    }

    /// These arguments without a login name: a `--user` read as an owner (see
    /// [`user_flag`](Self::user_flag)) must not be sent as one.
    pub fn without_user(&self) -> ConnArgs {
        ConnArgs {
            user: None,
            ..self.clone()
        }
    }

    /// Build a client from the arguments and environment. Prompts (hidden) only when stdin
    /// is a terminal; otherwise fails at once saying which variable to set.
    pub fn connect(&self) -> anyhow::Result<Client> {
        self.connect_or(None)
    }

    /// As [`connect`](Self::connect), using `default_url` when neither `--url` nor
    /// `JIRA_URL` is given (`restore` takes the URL from the journal).
    pub fn connect_or(&self, default_url: Option<&str>) -> anyhow::Result<Client> {
        let with_saved;
        let this = if self.url_or_env().is_none() && default_url.is_none() {
            with_saved = self.with_saved_setup(true)?;
            &with_saved
        } else {
            self
        };
        this.connect_inner(default_url)
    }

    /// Neither `--url` nor `JIRA_URL`: take the connection `jira-patrol setup` saved
    /// (`$XDG_CONFIG_HOME/jira-patrol/config.toml`), whose secrets are only references.
    fn with_saved_setup(&self, say: bool) -> anyhow::Result<ConnArgs> {
        let mut c = self.clone();
        c.user = c.login_name();
        let Some(saved) = crate::wizard::config::load()? else {
            return Ok(c);
        };
        if say {
            crate::output::say(&format!(
                "using the connection saved by `jira-patrol setup` ({})",
                saved.url
            ));
        }
        c.url = Some(saved.url);
        c.ca_cert = c.ca_cert.or(saved.ca_cert);
        let auth = saved.auth;
        match auth.kind {
            crate::wizard::config::AuthKind::Password => {
                c.user = c.user.or(auth.user);
                c.saved_secret_env = auth.env.map(|v| (false, v));
            }
            crate::wizard::config::AuthKind::Token => {
                c.token_file = c.token_file.or(auth.token_file);
                c.saved_secret_env = auth.env.map(|v| (true, v));
            }
        }
        Ok(c)
    }

    fn connect_inner(&self, default_url: Option<&str>) -> anyhow::Result<Client> {
        // Before any prompt: a wrong path must not cost a typed password.
        self.check_paths()?;
        let url = match (self.url_or_env(), default_url) {
            (Some(u), _) => u,
            (_, Some(d)) => d.to_string(),
            _ => bail!("no Jira URL: pass --url https://jira.example.com or set JIRA_URL"),
        };
        let credentials = self.credentials()?;
        let mut cfg = ClientConfig::new(url, credentials);
        cfg.timeout = self.timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        if let Some(p) = &self.ca_cert {
            cfg.ca_pem = Some(
                std::fs::read(p)
                    .with_context(|| format!("cannot read --ca-cert {}", p.display()))?,
            );
        }
        let client = Client::new(cfg)?;
        warn_if_cleartext(client.base_url());
        Ok(client)
    }

    fn credentials(&self) -> anyhow::Result<Credentials> {
        let mut token = env_secret("JIRA_TOKEN");
        let mut saved_password = None;
        match &self.saved_secret_env {
            Some((true, var)) if token.is_none() => token = env_secret(var),
            Some((false, var)) => saved_password = env_secret(var),
            _ => {}
        }
        if let Some(f) = &self.token_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read --token-file {}", f.display()))?;
            warn_if_shared(f);
            let t = Secret::new(text.trim());
            drop(text);
            if t.is_empty() {
                bail!(
                    "--token-file {} is empty: put the personal access token in it",
                    f.display()
                );
            }
            token = Some(t);
        }
        let user = self.login_name();
        let mut password = env_secret("JIRA_PASSWORD").or(saved_password);
        if password.is_some() && user.is_none() {
            bail!("JIRA_PASSWORD is set but no user name: set JIRA_USER or pass --user");
        }
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if let (Some(u), None, None) = (&user, &password, &token) {
            if !interactive {
                bail!("no password for Jira user '{u}': set JIRA_PASSWORD (or use a PAT in JIRA_TOKEN)");
            }
            password = Some(prompt(&format!("Jira password for {u}"))?);
        }
        if token.is_none() && user.is_none() {
            if !interactive {
                bail!(
                    "no Jira credentials: set JIRA_TOKEN (a personal access token) or \
                     JIRA_USER and JIRA_PASSWORD, or use --token-file FILE"
                );
            }
            token = Some(prompt("Jira personal access token")?);
        }
        Ok(Credentials {
            token,
            password: user.zip(password),
        })
    }
}

fn prompt(what: &str) -> anyhow::Result<Secret> {
    let v = dialoguer::Password::new()
        .with_prompt(what)
        .interact()
        .context("no answer read from the terminal")?;
    let s = Secret::new(v.trim());
    drop(v);
    if s.is_empty() {
        bail!("nothing entered");
    }
    Ok(s)
}

fn warn_if_cleartext(url: &str) {
    let Ok(u) = reqwest::Url::parse(url) else {
        return;
    };
    let host = u
        .host_str()
        .unwrap_or("")
        .trim_matches(|c| c == '[' || c == ']');
    let local = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if u.scheme() == "http" && !local {
        crate::output::say(&format!(
            "warning: {url} is plain http: credentials cross the network unencrypted"
        ));
    }
}

/// A token file others can read is a leaked token waiting to happen: say so (once).
fn warn_if_shared(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                crate::output::say(&format!(
                    "warning: {} is readable by others (mode {mode:o}): chmod 600 {}",
                    path.display(),
                    path.display()
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
