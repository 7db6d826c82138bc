//! Connection arguments shared by every command that talks to Jira
//! (`check`, `level get|set`, `profile apply|revert`, `restore`, `capture`, `setup`), and
//! where credentials come from: `JIRA_TOKEN` or `--token-file` (a PAT), `JIRA_USER` /
//! `--user` with `JIRA_PASSWORD`, or a hidden prompt when stdin is a terminal. Never from a
//! command-line value.

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
    #[arg(long, env = "JIRA_URL", value_name = "URL")]
    pub url: Option<String>,

    /// Read the personal access token from this file (instead of JIRA_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Trust this CA certificate (PEM) for Jira's TLS, besides the built-in roots
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Jira user name for a password login (password from JIRA_PASSWORD or a prompt)
    #[arg(long, env = "JIRA_USER", value_name = "NAME")]
    pub user: Option<String>,

    /// From a saved setup: (is a token, environment variable holding the secret).
    #[arg(skip)]
    pub saved_secret_env: Option<(bool, String)>,

    /// Seconds to wait for each answer from Jira
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

impl ConnArgs {
    /// The connection the environment configures (JIRA_URL, JIRA_TOKEN or JIRA_USER and
    /// JIRA_PASSWORD, else the saved setup), for a command whose own flags cannot carry
    /// `--url`/`--user` (`summarize --user` filters requests).
    pub fn from_env() -> ConnArgs {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        ConnArgs {
            url: var("JIRA_URL"),
            token_file: None,
            ca_cert: None,
            user: var("JIRA_USER"),
            saved_secret_env: None,
            timeout: 30,
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
        let this = if self.url.is_none() && default_url.is_none() {
            with_saved = self.with_saved_setup()?;
            &with_saved
        } else {
            self
        };
        this.connect_inner(default_url)
    }

    /// Neither `--url` nor `JIRA_URL`: take the connection `jira-patrol setup` saved
    /// (`$XDG_CONFIG_HOME/jira-patrol/config.toml`), whose secrets are only references.
    fn with_saved_setup(&self) -> anyhow::Result<ConnArgs> {
        let mut c = self.clone();
        let Some(saved) = crate::wizard::config::load()? else {
            return Ok(c);
        };
        eprintln!(
            "using the connection saved by `jira-patrol setup` ({})",
            saved.url
        );
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
        let url = match (self.url.as_deref().map(str::trim), default_url) {
            (Some(u), _) if !u.is_empty() => u.to_string(),
            (_, Some(d)) => d.to_string(),
            _ => bail!("no Jira URL: pass --url https://jira.example.com or set JIRA_URL"),
        };
        let credentials = self.credentials()?;
        let mut cfg = ClientConfig::new(url, credentials);
        cfg.timeout = Duration::from_secs(self.timeout);
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
        let user = self
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
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
        eprintln!("warning: {url} is plain http: credentials cross the network unencrypted");
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
                eprintln!(
                    "warning: {} is readable by others (mode {mode:o}): chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
