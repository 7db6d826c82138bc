//! The read-only Jira check, run once and printed by each caller its own way (`jira-patrol
//! check`, `diagnose`, the setup wizard, unattended setup): reachable, version, identity,
//! administrator, websudo, logging page, node, change levels — each a typed [`Verdict`].
//! Nothing is changed on Jira (passing websudo is only an authentication).

use super::{Client, JiraError, LevelsPage, ServerInfo};

/// One thing the check looks at, in the order it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Jira answers `serverInfo`.
    Reachable,
    /// Jira's version, build and deployment type.
    Version,
    /// Who the credentials log in as.
    Identity,
    /// The System Administrators global permission.
    Administrator,
    /// Administrator re-authentication (websudo), required and passed or not.
    Websudo,
    /// The admin logging page can be read.
    LoggingPage,
    /// The Data Center node that answered.
    Node,
    /// The verdict that matters: may levels be changed.
    ChangeLevels,
}

impl Check {
    /// The name people see (`logging page`).
    pub fn name(self) -> &'static str {
        match self {
            Check::Reachable => "reachable",
            Check::Version => "version",
            Check::Identity => "identity",
            Check::Administrator => "administrator",
            Check::Websudo => "websudo",
            Check::LoggingPage => "logging page",
            Check::Node => "node",
            Check::ChangeLevels => "change levels",
        }
    }
}

/// What one check found.
#[derive(Debug)]
pub enum Outcome {
    /// Passed; what was found.
    Ok(String),
    /// Failed with this error (which says what to do).
    Failed(JiraError),
    /// Did not pass because of an earlier failure (said there); why, in a few words.
    Blocked(String),
    /// Could not be told; why.
    Unknown(String),
}

/// One check and its outcome.
#[derive(Debug)]
pub struct Verdict {
    /// What was checked.
    pub check: Check,
    /// What it found.
    pub outcome: Outcome,
}

/// Every verdict of one run, and what was read on the way.
#[derive(Debug, Default)]
pub struct Checked {
    /// In order; a check not reached (an earlier failure ended the run) has no verdict.
    pub verdicts: Vec<Verdict>,
    /// `serverInfo`, when Jira answered it.
    pub info: Option<ServerInfo>,
    /// The logging page, when it could be read.
    pub levels: Option<LevelsPage>,
}

impl Checked {
    /// The first failure's error, if any.
    pub fn failure(&self) -> Option<&JiraError> {
        self.verdicts.iter().find_map(|v| match &v.outcome {
            Outcome::Failed(e) => Some(e),
            _ => None,
        })
    }

    /// Whether levels can be changed (every verdict passed or could not be told).
    pub fn passed(&self) -> bool {
        self.verdicts
            .iter()
            .all(|v| matches!(v.outcome, Outcome::Ok(_) | Outcome::Unknown(_)))
    }

    fn ok(&mut self, check: Check, detail: String) {
        self.push(check, Outcome::Ok(detail));
    }

    fn push(&mut self, check: Check, outcome: Outcome) {
        self.verdicts.push(Verdict { check, outcome });
    }
}

/// Errors after which nothing else can be asked.
fn ends_the_run(e: &JiraError) -> bool {
    matches!(
        e,
        JiraError::Unreachable { .. }
            | JiraError::Tls { .. }
            | JiraError::Timeout { .. }
            | JiraError::BadUrl { .. }
    )
}

fn websudo_blocked(e: &JiraError) -> bool {
    matches!(
        e,
        JiraError::WebSudoNeedsPassword
            | JiraError::WebSudoFailed { .. }
            | JiraError::SingleSignOn { .. }
    )
}

/// Run the check: read-only requests, stopping where nothing more can be learnt.
pub fn check(client: &Client) -> Checked {
    let mut r = Checked::default();
    let started = std::time::Instant::now();
    let info = match client.server_info() {
        Err(e) if ends_the_run(&e) => {
            r.push(Check::Reachable, Outcome::Failed(e));
            return r;
        }
        // Any other answer, whatever it said, is an answer: a failure belongs to what it
        // was about.
        other => other,
    };
    r.ok(
        Check::Reachable,
        format!(
            "{} answered in {} ms",
            client.base_url(),
            started.elapsed().as_millis()
        ),
    );
    match info {
        Ok(info) => {
            let mut v = format!("Jira {}", info.version);
            if let Some(b) = info.build_number {
                v.push_str(&format!(" (build {b})"));
            }
            if let Some(d) = &info.deployment_type {
                v.push_str(&format!(", {d}"));
            }
            r.ok(Check::Version, v);
            r.info = Some(info);
        }
        Err(e @ JiraError::NotJira { .. }) => {
            r.push(Check::Version, Outcome::Failed(e));
            return r;
        }
        // The login failed: asking again would only count another failed login.
        Err(
            e @ (JiraError::AuthFailed { .. }
            | JiraError::CaptchaRequired { .. }
            | JiraError::BasicAuthDisabled { .. }
            | JiraError::SingleSignOn { .. }),
        ) => {
            r.push(Check::Identity, Outcome::Failed(e));
            return r;
        }
        Err(e) => r.push(Check::Version, Outcome::Failed(e)),
    }
    let via = if client.uses_token() {
        "personal access token".to_string()
    } else {
        format!("password of {}", client.user().unwrap_or("?"))
    };
    let me = match client.myself() {
        Ok(me) => me,
        Err(e) => {
            r.push(Check::Identity, Outcome::Failed(e));
            return r;
        }
    };
    let name = match &me.display_name {
        Some(d) => format!("{} ({d})", me.name),
        None => me.name.clone(),
    };
    r.ok(Check::Identity, format!("{name}, via {via}"));
    let mut admin_known = false;
    match client.is_system_admin() {
        Ok(Some(true)) => {
            admin_known = true;
            r.ok(Check::Administrator, "System Administrator".into());
        }
        Ok(Some(false)) => {
            let e = JiraError::NotAdmin { user: me.name };
            r.push(Check::Administrator, Outcome::Failed(e));
            return r;
        }
        Ok(None) | Err(_) => {}
    }
    let levels = client.levels();
    let access = client.admin_access();
    match &levels {
        Ok(_) if !admin_known => {
            r.ok(
                Check::Administrator,
                "the logging page is open to us".into(),
            );
        }
        Err(JiraError::WebSudoNeedsPassword) if !admin_known => r.push(
            Check::Administrator,
            Outcome::Unknown("websudo stands before the logging page".into()),
        ),
        _ => {}
    }
    let levels = match levels {
        Err(e) if websudo_blocked(&e) => {
            r.push(Check::Websudo, Outcome::Failed(e));
            r.push(
                Check::ChangeLevels,
                Outcome::Blocked("websudo not passed".into()),
            );
            return r;
        }
        other => other,
    };
    match (access.websudo_asked, access.websudo_passed) {
        (false, _) => r.ok(Check::Websudo, "not required".into()),
        (true, true) => r.ok(
            Check::Websudo,
            format!(
                "required; passed with the password of {}",
                client.user().unwrap_or("?")
            ),
        ),
        (true, false) => r.push(
            Check::Websudo,
            Outcome::Blocked("required and not passed".into()),
        ),
    }
    match levels {
        Ok(page) => {
            let (pats, src) = page.effective("com.atlassian.pats");
            r.ok(
                Check::LoggingPage,
                format!(
                    "root {}, {} explicit levels; com.atlassian.pats is {pats}, {src}",
                    page.root,
                    page.explicit.len()
                ),
            );
            if let Some(n) = &page.node {
                r.ok(Check::Node, format!("Data Center node {n} answered"));
            }
            r.ok(Check::ChangeLevels, "possible".into());
            r.levels = Some(page);
        }
        Err(e) => {
            let check = if matches!(e, JiraError::NotAdmin { .. }) {
                Check::Administrator
            } else {
                Check::LoggingPage
            };
            r.push(check, Outcome::Failed(e));
            r.push(Check::ChangeLevels, Outcome::Blocked("not possible".into()));
        }
    }
    r
}
