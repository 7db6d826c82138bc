//! `jira-patrol check`: can we reach Jira, who are we, and may we change log levels?
//! Each step gets a plain verdict; the command fails when levels cannot be changed.
//! Nothing is changed on Jira (passing websudo is only an authentication).

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
    let client = args.conn.connect()?;
    let report = check(&client);
    let mut out = std::io::stdout().lock();
    report.rows.render(args.format, &mut out)?;
    match report.failure {
        None => Ok(()),
        Some(why) => anyhow::bail!(
            "jira-patrol cannot change log levels on {}: {why}",
            client.base_url()
        ),
    }
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
