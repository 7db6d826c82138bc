//! `jira-patrol check`: can we reach Jira, who are we, and may we change log levels?
//! Each step gets a plain verdict; the command fails when levels cannot be changed.
//! Nothing is changed on Jira (passing websudo is only an authentication), unless
//! `--self-check` is asked for: then the profile is applied, one request is made with a
//! token and looked for in the logs, and the levels are put back (as a capture does).

use super::conn::ConnArgs;
use crate::format::{OutputFormat, Records};
use crate::jira::{Client, JiraError};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,

    /// Also check that the logs show our requests: apply the profile, make one request with
    /// a token, wait for its lines in --log, put the levels back
    #[arg(long, requires = "logs")]
    pub self_check: bool,
    /// atlassian-jira.log to look in (repeat once per Data Center node); with --self-check
    #[arg(long = "log", value_name = "PATH", requires = "self_check")]
    pub logs: Vec<std::path::PathBuf>,
    /// Profile to apply for the self-check
    #[arg(long, default_value = "pats-trace", requires = "self_check")]
    pub profile: String,
    #[command(flatten)]
    pub profiles: super::profile::ProfilesDir,
    /// How long to wait for the request's lines, e.g. 30s
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub self_check_timeout: String,
}

/// The verdicts of one check run (`diagnose` runs it too and bundles the rows).
pub(crate) struct Report {
    pub rows: Records,
    /// The first failure, in one line.
    pub failure: Option<String>,
}

impl Report {
    fn row(&mut self, check: &str, verdict: &str, detail: String) {
        self.rows
            .push(vec![check.into(), verdict.into(), detail.into()]);
    }
    fn fail(&mut self, check: &str, e: &JiraError) {
        let text = e.to_string();
        let mut lines = text.lines();
        let what = lines.next().unwrap_or_default().to_string();
        let todo = lines.collect::<Vec<_>>().join(" ");
        let detail = if todo.is_empty() {
            what.clone()
        } else {
            format!("{what}; {todo}")
        };
        self.row(check, "FAIL", detail);
        self.failure.get_or_insert(what);
    }
}

pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    let self_check = if args.self_check {
        // Wrong arguments should not cost a password prompt first.
        let timeout = super::capture::parse_window(&args.self_check_timeout)
            .map_err(|e| anyhow::anyhow!("--self-check-timeout: {e}"))?;
        let profile = crate::profiles::load(&args.profile, args.profiles.profiles.as_deref())?;
        Some((profile, timeout))
    } else {
        None
    };
    let client = args.conn.connect()?;
    let mut report = check(&client);
    let mut failed_self_check = None;
    if let (None, Some((profile, timeout))) = (&report.failure, self_check) {
        failed_self_check =
            run_self_check(&client, profile, timeout, &args.logs, &mut report)?.failure;
    }
    let mut out = std::io::stdout().lock();
    report.rows.render(args.format, &mut out)?;
    if let Some(why) = failed_self_check {
        return Err(anyhow::anyhow!(why));
    }
    match report.failure {
        None => Ok(()),
        Some(why) => anyhow::bail!(
            "jira-patrol cannot change log levels on {}: {why}",
            client.base_url()
        ),
    }
}

/// What a self-check without a window ended with.
pub(crate) struct SelfCheckRun {
    /// What to tell the user when it did not pass.
    pub failure: Option<String>,
    /// The probe's log lines (raw) when it passed.
    pub lines: Vec<Vec<u8>>,
}

/// A capture without a window: apply, probe, wait, restore; its verdict rows go to `r`.
pub(crate) fn run_self_check(
    client: &Client,
    profile: crate::profiles::Profile,
    timeout: std::time::Duration,
    logs: &[std::path::PathBuf],
    r: &mut Report,
) -> anyhow::Result<SelfCheckRun> {
    use crate::capture::selfcheck::{passed_line, SelfCheck};
    use anyhow::Context as _;
    let sig = crate::capture::signals::install().context("cannot catch Ctrl-C/SIGTERM")?;
    let journal = crate::journal::Journal::default_location()?;
    let mut opts =
        crate::capture::Options::new(profile, std::time::Duration::ZERO, logs.to_vec(), journal);
    opts.self_check = Some(timeout);
    opts.by = "check --self-check";
    let outcome = match crate::capture::run(client, opts, &sig) {
        Ok(o) => o,
        Err(e @ crate::capture::CaptureError::Interrupted) => return Err(e.into()),
        Err(e) => {
            let text = e.to_string();
            r.row(
                "self-check",
                "FAIL",
                text.lines().next().unwrap_or_default().to_string(),
            );
            return Ok(SelfCheckRun {
                failure: Some(text),
                lines: Vec::new(),
            });
        }
    };
    // Each journal error says what is left and what to do.
    let restore_failed = outcome.restore.as_ref().err().map(|e| e.to_string());
    let mut lines = Vec::new();
    let verdict = match outcome.self_check {
        SelfCheck::Passed {
            place,
            after,
            lines: seen,
        } => {
            lines = seen;
            let line = passed_line(&place, after);
            let detail = line.trim_start_matches("self-check: ").to_string();
            r.row("self-check", "ok", detail);
            None
        }
        SelfCheck::Failed(f) => {
            let text = f.to_string();
            let first = text.lines().next().unwrap_or_default();
            r.row(
                "self-check",
                "FAIL",
                first.trim_start_matches("self-check failed: ").to_string(),
            );
            Some(text)
        }
        SelfCheck::Skipped(why) => {
            // Here the self-check is the point: not made is not passed.
            r.row("self-check", "FAIL", format!("not made: {why}"));
            Some(format!(
                "the self-check could not be made: {why}\nrun it with a personal access token (JIRA_TOKEN) of an administrator, or free a token slot"
            ))
        }
        SelfCheck::Unfinished | SelfCheck::Off => {
            r.row("self-check", "FAIL", "interrupted".into());
            Some("the self-check was interrupted".into())
        }
    };
    match &outcome.restore {
        Ok(_) => r.row("levels restored", "ok", "as they were".into()),
        Err(e) => r.row(
            "levels restored",
            "FAIL",
            e.to_string().lines().next().unwrap_or_default().to_string(),
        ),
    }
    let failure = match (verdict, restore_failed) {
        (Some(v), Some(rf)) => Some(format!("{v}\n{rf}")),
        (v, rf) => v.or(rf),
    };
    Ok(SelfCheckRun { failure, lines })
}

pub(crate) fn check(client: &Client) -> Report {
    let mut r = Report {
        rows: Records::new("checks", &["check", "verdict", "detail"]),
        failure: None,
    };
    let started = std::time::Instant::now();
    match client.server_info() {
        Ok(info) => {
            r.row(
                "reachable",
                "ok",
                format!(
                    "{} answered in {} ms",
                    client.base_url(),
                    started.elapsed().as_millis()
                ),
            );
            let mut v = format!("Jira {}", info.version);
            if let Some(b) = info.build_number {
                v.push_str(&format!(" (build {b})"));
            }
            if let Some(d) = &info.deployment_type {
                v.push_str(&format!(", {d}"));
            }
            r.row("version", "ok", v);
        }
        Err(e) => {
            r.fail("reachable", &e);
            if matches!(
                e,
                JiraError::Unreachable { .. }
                    | JiraError::Tls { .. }
                    | JiraError::Timeout { .. }
                    | JiraError::BadUrl { .. }
            ) {
                return r;
            }
        }
    }
    let via = if client.uses_token() {
        "personal access token".to_string()
    } else {
        format!("password of {}", client.user().unwrap_or("?"))
    };
    match client.myself() {
        Ok(me) => {
            let name = match &me.display_name {
                Some(d) => format!("{} ({d})", me.name),
                None => me.name.clone(),
            };
            r.row("identity", "ok", format!("{name}, via {via}"));
        }
        Err(e) => {
            r.fail("identity", &e);
            return r;
        }
    }
    let mut admin_known = false;
    match client.is_system_admin() {
        Ok(Some(true)) => {
            admin_known = true;
            r.row("administrator", "ok", "System Administrator".into());
        }
        Ok(Some(false)) => {
            let e = JiraError::NotAdmin {
                user: client.myself().map(|m| m.name).unwrap_or_default(),
            };
            r.fail("administrator", &e);
            return r;
        }
        Ok(None) | Err(_) => {}
    }
    let levels = client.levels();
    let access = client.admin_access();
    match &levels {
        Err(JiraError::NotAdmin { .. }) => {}
        Ok(_) if !admin_known => {
            r.row(
                "administrator",
                "ok",
                "the logging page is open to us".into(),
            );
        }
        Err(JiraError::WebSudoNeedsPassword) if !admin_known => {
            r.row(
                "administrator",
                "unknown",
                "websudo stands before the logging page".into(),
            );
        }
        _ => {}
    }
    match (&levels, access.websudo_asked, access.websudo_passed) {
        (Err(e @ JiraError::WebSudoNeedsPassword), _, _)
        | (Err(e @ JiraError::WebSudoFailed { .. }), _, _)
        | (Err(e @ JiraError::SingleSignOn { .. }), _, _) => r.fail("websudo", e),
        (_, false, _) => r.row("websudo", "ok", "not required".into()),
        (_, true, true) => r.row(
            "websudo",
            "ok",
            format!(
                "required; passed with the password of {}",
                client.user().unwrap_or("?")
            ),
        ),
        (_, true, false) => r.row("websudo", "FAIL", "required and not passed".into()),
    }
    match levels {
        Ok(page) => {
            r.row(
                "logging page",
                "ok",
                format!(
                    "root {}, {} explicit levels",
                    page.root,
                    page.explicit.len()
                ),
            );
            if let Some(n) = &page.node {
                r.row("node", "ok", format!("Data Center node {n} answered"));
            }
            r.row("change levels", "ok", "possible".into());
        }
        Err(JiraError::WebSudoNeedsPassword)
        | Err(JiraError::WebSudoFailed { .. })
        | Err(JiraError::SingleSignOn { .. }) => {
            r.row("change levels", "FAIL", "websudo not passed".into());
        }
        Err(e) => {
            let check = if matches!(e, JiraError::NotAdmin { .. }) {
                "administrator"
            } else {
                "logging page"
            };
            r.fail(check, &e);
            r.row("change levels", "FAIL", "not possible".into());
        }
    }
    r
}
