//! `jira-patrol check`: can we reach Jira, who are we, and may we change log levels?
//! The verdicts are `jira::check`'s, printed here as rows (table, JSON, CSV); the command
//! fails when levels cannot be changed.
//! Nothing is changed on Jira (passing websudo is only an authentication), unless
//! `--self-check` is asked for: then the profile is applied, one request is made with a
//! token and looked for in the logs, and the levels are put back (as a capture does).

use super::conn::ConnArgs;
use super::output_args::OutputArgs;
use crate::format::OutputFormat;
use crate::jira::{Client, JiraError, Outcome};
use crate::output::Records;

/// `jira-patrol check` arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Jira URL, credentials, CA, timeout.
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,

    /// Also check that the logs show our requests: apply the profile, make one request with
    /// a token, wait for its lines in --log, put the levels back
    #[arg(long, requires = "logs")]
    pub self_check: bool,
    /// atlassian-jira.log to look in, once per Data Center node (a path, ssh://... or
    /// exec:..., NODE=... names its node); with --self-check
    #[arg(long = "log", value_name = "[NODE=]SOURCE", requires = "self_check")]
    pub logs: Vec<crate::source::LogSource>,
    /// Which nodes of a Data Center cluster to check.
    #[command(flatten)]
    pub cluster: super::capture::ClusterArgs,
    /// Profile to apply for the self-check
    #[arg(long, default_value = "pats-trace", requires = "self_check")]
    pub profile: String,
    /// Where profiles beyond the built-in ones are.
    #[command(flatten)]
    pub profiles: super::profile::ProfilesDir,
    /// How long to wait for the request's lines, e.g. 30s
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub self_check_timeout: String,
}

/// The verdicts of one check run (`diagnose` runs it too and bundles the rows).
pub(crate) struct Report {
    /// One row per verdict: check, verdict, detail.
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

/// Run the check (and the self-check when asked), print the verdicts, fail when levels
/// cannot be changed.
pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    args.profiles.check_paths()?;
    for l in &args.logs {
        if let Some(l) = l.local_path() {
            crate::paths::log_to_follow("--log", l)?;
        }
    }
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
        failed_self_check = run_self_check(
            &client,
            profile,
            timeout,
            &args.logs,
            &args.cluster.scope(),
            &mut report,
        )?
        .failure;
    }
    let target = args.out.target();
    args.out
        .write(|w| Ok(report.rows.render(args.out.format, target, w)?))?;
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
    logs: &[crate::source::LogSource],
    scope: &crate::cluster::Scope,
    r: &mut Report,
) -> anyhow::Result<SelfCheckRun> {
    use crate::capture::selfcheck::{passed_line, SelfCheck};
    use anyhow::Context as _;
    let sig = crate::capture::signals::install(crate::output::status::on_signal())
        .context("cannot catch Ctrl-C/SIGTERM")?;
    let journal = crate::journal::Journal::default_location()?;
    let mut opts =
        crate::capture::Options::new(profile, std::time::Duration::ZERO, logs.to_vec(), journal);
    opts.self_check = Some(timeout);
    opts.scope = scope.clone();
    opts.by = "check --self-check";
    opts.observer = Box::new(crate::output::status::Live::new(timeout));
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

/// The verdicts of [`crate::jira::check`] as rows: `check`, `verdict` (`ok`, `FAIL`,
/// `unknown`), `detail`; a failure's detail is its message and what to do, in one line.
pub(crate) fn check(client: &Client) -> Report {
    let mut r = Report {
        rows: Records::new("checks", &["check", "verdict", "detail"]),
        failure: None,
    };
    for v in crate::jira::check(client).verdicts {
        let name = v.check.name();
        match v.outcome {
            Outcome::Ok(detail) => r.row(name, "ok", detail),
            Outcome::Unknown(why) => r.row(name, "unknown", why),
            Outcome::Blocked(why) => r.row(name, "FAIL", why),
            Outcome::Failed(e) => r.fail(name, &e),
        }
    }
    if r.failure.is_none() {
        cluster_row(client, &mut r);
    }
    r
}

/// Jira's nodes (`/rest/api/2/cluster/nodes`): each writes its own log, so a capture needs
/// one log per active node.
fn cluster_row(client: &Client, r: &mut Report) {
    use crate::jira::ClusterView;
    match client.cluster_nodes() {
        ClusterView::Single => r.row("cluster", "ok", "not clustered: one log to read".into()),
        ClusterView::Unknown(why) => {
            let seen = client.nodes_seen();
            let also = if seen.is_empty() {
                String::new()
            } else {
                format!("; answers came from node {}", seen.join(", "))
            };
            r.row("cluster", "unknown", format!("{why}{also}"))
        }
        ClusterView::Nodes(nodes) => {
            let list: Vec<String> = nodes
                .iter()
                .map(|n| {
                    let mut s = format!("{} {}", n.node_id, n.state);
                    if n.alive == Some(false) {
                        s.push_str(" (not alive)");
                    }
                    if let Some(ip) = &n.ip {
                        s.push_str(&format!(" at {ip}"));
                    }
                    s
                })
                .collect();
            let serving = nodes.iter().filter(|n| n.serving()).count();
            r.row(
                "cluster",
                "ok",
                format!(
                    "{serving} active node(s), each writes its own log: give a capture one --log NODE=... per node ({})",
                    list.join("; ")
                ),
            )
        }
    }
}
