//! The capture command a saved setup stands for: as arguments, as a shell line to run later.

use super::*;

pub(crate) fn shell_quote(s: &str) -> String {
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
        v.push("--log4j-config".into());
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
