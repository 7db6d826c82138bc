//! Talking to Jira from the wizard: the client from the answers, and the check's verdicts
//! as the wizard shows them (the check is `jira::check`, the advice `JiraError::advice`).

use super::*;
use crate::jira::Outcome;

pub(crate) fn client(
    url: &str,
    ca_cert: Option<&Path>,
    auth: &AuthRef,
    secret: &Secret,
    timeout: Option<Duration>,
) -> Result<Client> {
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
    cfg.timeout = timeout.unwrap_or(Duration::from_secs(15));
    cfg.retries = 1;
    if let Some(p) = ca_cert {
        cfg.ca_pem = Some(std::fs::read(p).map_err(|source| WizardError::Io {
            what: "cannot read the CA certificate",
            path: p.to_path_buf(),
            source,
        })?);
    }
    Ok(Client::new(cfg)?)
}

/// What `check` found, as lines for people.
pub struct Verified {
    /// Jira's `serverInfo`.
    pub info: ServerInfo,
    /// One line per verdict, as the wizard shows them.
    pub lines: Vec<String>,
}

pub(crate) fn line(verdict: &str, check: &str, detail: impl AsRef<str>) -> String {
    format!("  {verdict:<4} {check:<14} {}", detail.as_ref())
}

/// The `check` verdicts ([`crate::jira::check`]) as the wizard's lines, up to the first
/// failure, which is returned with the lines before it.
pub fn verify(c: &Client) -> Result<Verified, (Vec<String>, JiraError)> {
    let mut checked = crate::jira::check(c);
    let mut lines = Vec::new();
    for v in std::mem::take(&mut checked.verdicts) {
        let name = v.check.name();
        match v.outcome {
            Outcome::Ok(detail) => lines.push(line("ok", name, detail)),
            Outcome::Unknown(why) => lines.push(line("?", name, why)),
            Outcome::Failed(e) => return Err((lines, e)),
            Outcome::Blocked(why) => lines.push(line("FAIL", name, why)),
        }
    }
    match checked.info {
        Some(info) if checked.levels.is_some() => Ok(Verified { info, lines }),
        // Every check that failed carries its error; this is a guard, not a case.
        _ => Err((
            lines,
            JiraError::UnexpectedPage {
                path: crate::jira::VIEW_LOGGING.into(),
                what: "the check ended without a verdict".into(),
            },
        )),
    }
}
