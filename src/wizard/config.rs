//! The saved answers of `jira-patrol setup`: `$XDG_CONFIG_HOME/jira-patrol/config.toml`,
//! written 0600. It never holds a secret, only where to read one: an environment
//! variable, a token file, or "ask when needed".

use super::error::{Result, WizardError};
use crate::secret::Secret;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The setup file's name in the configuration directory.
pub const FILE: &str = "config.toml";

/// The answers of `jira-patrol setup`, as saved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSetup {
    /// Jira base URL.
    pub url: String,
    /// Extra CA certificate (PEM) trusted for Jira's TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// How to log in (the secret by reference only).
    pub auth: AuthRef,
    /// Jira install directory (log4j configuration found inside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_install: Option<PathBuf>,
    /// The log4j configuration file, when given directly instead of an install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log4j_config: Option<PathBuf>,
    /// `atlassian-jira.log` of each node.
    pub logs: Vec<PathBuf>,
    /// Verbosity profile of the capture.
    pub profile: String,
    /// Capture window, stored as `"15m"`.
    #[serde(
        rename = "for",
        serialize_with = "crate::duration::text::serialize",
        deserialize_with = "window_field"
    )]
    pub duration: Duration,
    /// How long the logs must keep what a capture wrote, stored as `"1d"`.
    #[serde(
        serialize_with = "crate::duration::text::serialize",
        deserialize_with = "keep_field"
    )]
    pub keep: Duration,
}

/// `for = "15m"`: a window the setup would accept, the field named when it is not.
fn window_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let t: String = serde::Deserialize::deserialize(d)?;
    crate::duration::setup_window(&t).map_err(|e| serde::de::Error::custom(format!("for: {e}")))
}

/// `keep = "1d"`: as `--keep`, the field named when it is not.
fn keep_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let t: String = serde::Deserialize::deserialize(d)?;
    crate::duration::keep(&t).map_err(|e| serde::de::Error::custom(format!("keep: {e}")))
}

/// What kind of secret logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// A personal access token.
    Token,
    /// A user name and password.
    Password,
}

/// How to authenticate, with the secret only by reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthRef {
    /// Token or password.
    pub kind: AuthKind,
    /// User name (password logins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Read the secret from this environment variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Read the token from this file (tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
}

/// Where a secret comes from, as the wizard asks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// This environment variable.
    Env(String),
    /// This file (tokens only).
    File(PathBuf),
    /// Asked for (hidden) at each run.
    Prompt,
}

impl AuthRef {
    /// Where the secret comes from.
    pub fn source(&self) -> SecretSource {
        match (&self.env, &self.token_file) {
            (Some(v), _) => SecretSource::Env(v.clone()),
            (None, Some(f)) => SecretSource::File(f.clone()),
            (None, None) => SecretSource::Prompt,
        }
    }

    /// A reference of this kind, user and source.
    pub fn new(kind: AuthKind, user: Option<String>, source: SecretSource) -> AuthRef {
        let (env, token_file) = match source {
            SecretSource::Env(v) => (Some(v), None),
            SecretSource::File(f) => (None, Some(f)),
            SecretSource::Prompt => (None, None),
        };
        AuthRef {
            kind,
            user,
            env,
            token_file,
        }
    }

    /// One line for people: "password of admin, from $JIRA_PASSWORD".
    pub fn describe(&self) -> String {
        let what = match (self.kind, &self.user) {
            (AuthKind::Token, _) => "personal access token".to_string(),
            (AuthKind::Password, Some(u)) => format!("password of {u}"),
            (AuthKind::Password, None) => "password".to_string(),
        };
        let from = match self.source() {
            SecretSource::Env(v) => format!("read from ${v}"),
            SecretSource::File(f) => format!("read from {}", f.display()),
            SecretSource::Prompt => "asked for (hidden) at each run".to_string(),
        };
        format!("{what}, {from}")
    }

    fn validate(&self) -> Result<(), String> {
        match self.kind {
            AuthKind::Token if self.user.is_some() => {
                Err("auth.user is only for kind = \"password\"".into())
            }
            AuthKind::Password if self.user.as_deref().is_none_or(|u| u.trim().is_empty()) => {
                Err("kind = \"password\" needs auth.user".into())
            }
            AuthKind::Password if self.token_file.is_some() => Err(
                "auth.token_file is only for kind = \"token\"; use auth.env for a password".into(),
            ),
            _ if self.env.is_some() && self.token_file.is_some() => {
                Err("give auth.env or auth.token_file, not both".into())
            }
            _ if self.env.as_deref().is_some_and(|v| !valid_env_name(v)) => Err(format!(
                "auth.env '{}' is not an environment variable name",
                self.env.as_deref().unwrap_or_default()
            )),
            _ => Ok(()),
        }
    }

    /// Read the secret from the environment variable or file the reference points to;
    /// [`SecretSource::Prompt`] is an error here (the wizard asks on its own terminal).
    pub fn resolve(&self) -> Result<Secret> {
        let what = match self.kind {
            AuthKind::Token => "personal access token".to_string(),
            AuthKind::Password => format!(
                "Jira password for {}",
                self.user.as_deref().unwrap_or_default()
            ),
        };
        let s = match self.source() {
            SecretSource::Env(v) => match std::env::var(&v) {
                Ok(s) if !s.trim().is_empty() => Secret::new(s.trim()),
                _ => return Err(WizardError::Setup(format!("${v} is not set: the saved setup reads the {what} from it; export {v}=... and run again"))),
            },
            SecretSource::File(f) => {
                let text = std::fs::read_to_string(&f).map_err(|source| WizardError::Io {
                    what: "cannot read the token file",
                    path: f.clone(),
                    source,
                })?;
                let s = Secret::new(text.trim());
                if s.is_empty() {
                    return Err(WizardError::Setup(format!("the token file {} is empty: put the personal access token in it", f.display())));
                }
                s
            }
            SecretSource::Prompt => return Err(WizardError::Setup(format!(
                "the setup asks for the {what} at each run, and nothing can be asked here; \
                 put it in an environment variable and pass --{} VAR",
                if self.kind == AuthKind::Token { "token-env" } else { "password-env" }
            ))),
        };
        Ok(s)
    }
}

/// Whether `v` can name an environment variable (letters, digits, `_`; no leading digit).
pub fn valid_env_name(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `$XDG_CONFIG_HOME/jira-patrol/config.toml`.
pub fn default_path() -> Result<PathBuf> {
    Ok(crate::paths::config_dir()
        .map_err(|source| WizardError::Io {
            what: "cannot tell where the jira-patrol configuration lives",
            path: PathBuf::from("$XDG_CONFIG_HOME/jira-patrol"),
            source,
        })?
        .join(FILE))
}

/// The saved setup at the default place, if one was saved.
pub fn load() -> Result<Option<SavedSetup>> {
    let p = default_path()?;
    if !p.exists() {
        return Ok(None);
    }
    load_from(&p).map(Some)
}

/// The saved setup in `path`, checked: auth consistent, logs given, the window and keep
/// within their bounds (a bad value names the file and the field).
pub fn load_from(path: &Path) -> Result<SavedSetup> {
    let text = std::fs::read_to_string(path).map_err(|source| WizardError::Io {
        what: "cannot read the setup file",
        path: path.to_path_buf(),
        source,
    })?;
    let s: SavedSetup = toml::from_str(&text).map_err(|e| {
        WizardError::Setup(format!(
            "{} is not a valid jira-patrol setup: {}; fix it or run `jira-patrol setup` again",
            path.display(),
            e.message()
        ))
    })?;
    s.auth
        .validate()
        .map_err(|why| WizardError::Setup(format!("{}: {why}", path.display())))?;
    if s.logs.is_empty() {
        return Err(WizardError::Setup(format!(
            "{}: logs is empty: list atlassian-jira.log of each node",
            path.display()
        )));
    }
    Ok(s)
}

impl SavedSetup {
    /// The file's text: a comment, then the answers.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("setup serialises");
        format!(
            "# jira-patrol setup: written by `jira-patrol setup`, read by `jira-patrol setup --config`.\n\
             # It holds no secret, only where to read it (auth.env, auth.token_file, or a prompt).\n\n{body}"
        )
    }

    /// Write 0600, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::paths::write_private(path, self.to_toml().as_bytes()).map_err(|source| {
            WizardError::Io {
                what: "cannot write",
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(auth: AuthRef) -> SavedSetup {
        SavedSetup {
            url: "https://jira.example.com".into(),
            ca_cert: None,
            auth,
            jira_install: Some("/opt/atlassian/jira".into()),
            log4j_config: None,
            logs: vec!["/var/atlassian/application-data/jira/log/atlassian-jira.log".into()],
            profile: "pats-trace".into(),
            duration: Duration::from_secs(900),
            keep: Duration::from_secs(86400),
        }
    }

    #[test]
    fn round_trips_and_holds_only_references() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("jira-patrol/config.toml");
        let s = sample(AuthRef::new(
            AuthKind::Password,
            Some("admin".into()),
            SecretSource::Env("JIRA_PASSWORD".into()),
        ));
        s.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("env = \"JIRA_PASSWORD\""), "{text}");
        assert!(text.contains("for = \"15m\""), "{text}");
        assert_eq!(load_from(&p).unwrap(), s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_secret_field_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        let mut text = sample(AuthRef::new(AuthKind::Token, None, SecretSource::Prompt)).to_toml();
        text = text.replace("kind = \"token\"", "kind = \"token\"\ntoken = \"abc\"");
        std::fs::write(&p, text).unwrap();
        let e = load_from(&p).unwrap_err().to_string();
        assert!(
            e.contains("not a valid jira-patrol setup") && e.contains("token"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_duration_is_refused_at_load_naming_file_and_field() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        let good = sample(AuthRef::new(AuthKind::Token, None, SecretSource::Prompt)).to_toml();
        for (from, to, field) in [
            ("for = \"15m\"", "for = \"5124095576030432h\"", "for:"),
            ("for = \"15m\"", "for = \"15\"", "for:"),
            ("keep = \"1d\"", "keep = \"3 months\"", "keep:"),
        ] {
            std::fs::write(&p, good.replace(from, to)).unwrap();
            let e = load_from(&p).unwrap_err().to_string();
            assert!(
                e.contains(&p.display().to_string()) && e.contains(field),
                "{e}"
            );
        }
        std::fs::write(&p, good.replace("for = \"15m\"", "for = \"1h30m\"")).unwrap();
        assert_eq!(load_from(&p).unwrap().duration, Duration::from_secs(5400));
    }

    #[test]
    fn inconsistent_auth_is_refused() {
        let mut a = AuthRef::new(AuthKind::Password, None, SecretSource::Prompt);
        assert!(a.validate().unwrap_err().contains("needs auth.user"));
        a.user = Some("admin".into());
        a.token_file = Some("/t".into());
        assert!(a.validate().is_err());
        let t = AuthRef::new(AuthKind::Token, None, SecretSource::Env("1BAD".into()));
        assert!(t.validate().is_err());
    }

    #[test]
    fn resolve_reads_env_and_file_and_says_what_is_missing() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("tok");
        std::fs::write(&f, "  secret-token\n").unwrap();
        let a = AuthRef::new(AuthKind::Token, None, SecretSource::File(f));
        assert_eq!(a.resolve().unwrap().expose(), "secret-token");
        let e = AuthRef::new(
            AuthKind::Token,
            None,
            SecretSource::Env("JIRA_PATROL_TEST_SURELY_UNSET".into()),
        );
        let msg = e.resolve().unwrap_err().to_string();
        assert!(
            msg.contains("$JIRA_PATROL_TEST_SURELY_UNSET is not set"),
            "{msg}"
        );
        let p = AuthRef::new(
            AuthKind::Password,
            Some("admin".into()),
            SecretSource::Prompt,
        );
        let msg = p.resolve().unwrap_err().to_string();
        assert!(msg.contains("--password-env"), "{msg}");
    }
}
