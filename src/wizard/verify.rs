//! Talking to Jira from the wizard: the client from the answers, the checks and advice.

use super::*;

pub(crate) fn client(
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

pub(crate) fn line(verdict: &str, check: &str, detail: impl AsRef<str>) -> String {
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
pub(crate) fn advice(e: &JiraError) -> &'static str {
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
