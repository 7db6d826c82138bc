//! The capture a saved setup stands for: as a typed [`Plan`] to run now, and as the shell
//! line (`crate::capture::plan::command_line`) to run it later.

use super::*;
use crate::capture::plan::{self, Connection, Plan, ProfileChoice, RotationAt, Window};

/// One word quoted for a POSIX shell, for the commands the wizard prints.
pub(crate) fn shell_quote(s: &str) -> String {
    plan::quote(s)
}

/// The capture plan that does what the saved setup says: its profile, window, logs,
/// rotation location and keep; everything else as `capture` defaults it.
pub fn capture_plan(s: &SavedSetup) -> Plan {
    let rotation = match (&s.log4j_config, &s.jira_install) {
        (Some(c), _) => Some(RotationAt::Log4jFile(c.clone())),
        (None, Some(d)) => Some(RotationAt::Install(d.clone())),
        (None, None) => None,
    };
    let mut p = Plan::new(
        ProfileChoice::Named(s.profile.clone()),
        Window::For(s.duration),
        s.logs.iter().cloned().map(Into::into).collect(),
    )
    .with_rotation(rotation);
    p.keep = Some(s.keep);
    p
}

/// How the printed command reaches Jira (no secret in it).
pub fn connection(s: &SavedSetup) -> Connection {
    Connection {
        url: s.url.clone(),
        user: match s.auth.kind {
            AuthKind::Password => Some(s.auth.user.clone().unwrap_or_default()),
            AuthKind::Token => None,
        },
        token_file: match s.auth.kind {
            AuthKind::Token => s.auth.token_file.clone(),
            AuthKind::Password => None,
        },
        ca_cert: s.ca_cert.clone(),
    }
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
    (
        format!(
            "{prefix}{}",
            plan::command_line(&capture_plan(s), &connection(s))
        ),
        needs,
    )
}
