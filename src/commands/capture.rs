//! `jira-patrol capture`: its arguments, turned into a checked [`Plan`] before any prompt
//! or connection; then it connects, runs the plan (`crate::capture::run`) and maps how
//! the capture ended to an exit code. `--dry-run` (measure, change nothing) lives here too.

use super::access::AccessArgs;
use super::conn::ConnArgs;
use super::log4j_file::Location;
use super::output_args::ReportArgs;
use super::profile::ProfilesDir;
use super::summarize::SummaryFormat;
use crate::capture::plan::{self, Plan, ProfileChoice, RotationAt, Window};
use crate::capture::run::{guard_limits, RunError};
use crate::capture::{self, signals, Options};
use crate::cluster::Scope;
use crate::output::{self, status};
use crate::source::LogSource;
use anyhow::{bail, Context, Result};
use std::time::Duration;

pub use crate::capture::plan::AUTO;
pub use crate::output::capture::EXIT_GUARD;

/// The flags of `jira-patrol capture`.
#[derive(Debug, Clone, clap::Args)]
pub struct CaptureArgs {
    /// Verbosity profile to apply for the window (see `jira-patrol profile list`), or
    /// `auto`: full detail while the traffic is light, else the cheapest that names the
    /// token of every request, from a read-only --sample of Jira's request rate
    #[arg(long, default_value = AUTO)]
    pub profile: String,
    /// Where else profiles are looked for.
    #[command(flatten)]
    pub profiles: ProfilesDir,
    /// Length of the window, e.g. 90s, 15m, 2h
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
    pub duration: Option<String>,
    /// End of the window, a local time like 14:30 (or an RFC 3339 time)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// atlassian-jira.log to follow, once per Data Center node: a path, an
    /// ssh://[user@]host[:port]/path (read through OpenSSH) or exec:COMMAND (a command
    /// printing the log and following it); NODE=... names the node it belongs to
    /// [default: the logs saved by `jira-patrol setup`]
    #[arg(long = "log", value_name = "[NODE=]SOURCE")]
    pub logs: Vec<LogSource>,
    /// Which nodes of a Data Center cluster to read.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where the log4j configuration is, to check that log rotation keeps what the window
    /// writes
    #[command(flatten)]
    pub location: Location,
    /// How long the logs should be kept (e.g. 3d): the rotation guard then keeps every line
    /// younger than that [default: the guard keeps everything on disk at the start; the
    /// end-of-capture rotation check uses 1d]
    #[arg(long, value_name = "DURATION")]
    pub keep: Option<String>,
    /// Turn off the rotation guard (on by default: it ends the window early, levels
    /// restored, before the capture's volume rotates away a line it must keep)
    #[arg(long)]
    pub no_guard: bool,
    /// Change nothing: measure Jira's request rate for --sample and print, per profile, the
    /// lines and bytes per hour it would write and what it cannot see
    #[arg(long)]
    pub dry_run: bool,
    /// How long --dry-run and --profile auto measure Jira's request rate (read-only)
    /// [default: 10s for --dry-run, 5s for auto]
    #[arg(long, value_name = "DURATION")]
    pub sample: Option<String>,
    /// With --dry-run: also count the requests with a token during a short window at
    /// pats-service-trace (the cheapest: no line for requests without a token). This one
    /// raises a level, journaled and restored as in any capture
    #[arg(long, value_name = "DURATION", requires = "dry_run")]
    pub look: Option<String>,
    /// Format, file, SQL dialect, width of the summary.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Time zone of log lines without a UTC offset (Jira 7.x/8.0) and of the offsetless
    /// dates inside TokenDTO lines (the JVM's), e.g. Europe/Paris [default: local]
    #[arg(long)]
    pub tz: Option<String>,
    /// Leave out the inventory (every token in Jira, the unused ones listed), looked up
    /// after the window; it needs a System Administrator on Data Center
    #[arg(long)]
    pub no_inventory: bool,
    /// The self-check's flags.
    #[command(flatten)]
    pub self_check: SelfCheckArgs,
    /// The access-log join's flags.
    #[command(flatten)]
    pub access: AccessArgs,
    /// How to reach Jira.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// Which nodes of a cluster to read, shared by `capture` and `check`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClusterArgs {
    /// Read only these nodes of a Data Center cluster (comma-separated node ids, one --log
    /// each); the others are named as not read in the report
    #[arg(long, value_name = "NODE,...", value_delimiter = ',')]
    pub nodes: Option<Vec<String>>,
    /// Capture even when some active nodes have no --log: the report names them as not read
    #[arg(long)]
    pub allow_partial: bool,
    /// Where a node answers directly, for its self-check probe (repeatable), e.g.
    /// node2=http://10.0.0.12:8080 [default: its address in Jira's node list, at Jira's
    /// port and at 8080]
    #[arg(long = "node-url", value_name = "NODE=URL", value_parser = node_url)]
    pub node_urls: Vec<(String, String)>,
}

impl ClusterArgs {
    /// The scope these flags describe.
    pub fn scope(&self) -> Scope {
        Scope {
            nodes: self.nodes.clone(),
            allow_partial: self.allow_partial,
            node_urls: self.node_urls.clone(),
        }
    }
}

fn node_url(s: &str) -> Result<(String, String), String> {
    let (n, u) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}': write NODE=URL, e.g. node2=http://10.0.0.12:8080"))?;
    if !crate::source::is_node_id(n) {
        return Err(format!("'{n}' is not a node id (letters, digits, . _ -)"));
    }
    let parsed = url::Url::parse(u).map_err(|e| format!("'{u}': not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("'{u}': use http:// or https://"));
    }
    Ok((n.to_string(), u.trim_end_matches('/').to_string()))
}

/// The self-check's flags, shared by `capture` and `check`.
#[derive(Debug, Clone, clap::Args)]
pub struct SelfCheckArgs {
    /// Skip the self-check (one request with a token, looked for in the logs before the
    /// window begins)
    #[arg(long, conflicts_with = "self_check_timeout")]
    pub no_self_check: bool,
    /// How long the self-check waits for its request's lines in the logs, e.g. 30s, 2m
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub self_check_timeout: String,
}

impl SelfCheckArgs {
    /// `None` with --no-self-check.
    pub fn timeout(&self) -> Result<Option<Duration>> {
        if self.no_self_check {
            return Ok(None);
        }
        crate::duration::window(&self.self_check_timeout)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--self-check-timeout: {e}"))
    }
}

impl CaptureArgs {
    /// The plan these arguments describe, checked (window, profile, zone, keep, sample,
    /// access-log pairing, rotation file) before any prompt or connection. Missing logs
    /// come from the saved setup, as does the install whose access log is joined.
    pub fn plan(&self) -> Result<Plan> {
        let window = match (&self.duration, &self.until) {
            (Some(d), _) => {
                Window::For(crate::duration::window(d).map_err(|e| anyhow::anyhow!("--for: {e}"))?)
            }
            (None, Some(u)) => {
                Window::Until(until(u).map_err(|e| anyhow::anyhow!("--until: {e}"))?)
            }
            (None, None) => bail!("how long? give --for 15m or --until 14:30"),
        };
        let saved = if self.logs.is_empty()
            || (self.location.file().is_none() && self.location.jira_install.is_none())
        {
            crate::wizard::config::load()?
        } else {
            None
        };
        let logs = if self.logs.is_empty() {
            match &saved {
                Some(s) if !s.logs.is_empty() => {
                    s.logs.iter().cloned().map(LogSource::from).collect()
                }
                _ => bail!(
                    "which log? give --log JIRA_HOME/log/atlassian-jira.log (once per Data Center node)"
                ),
            }
        } else {
            self.logs.clone()
        };
        let profile = if self.profile == AUTO {
            ProfileChoice::Auto
        } else {
            ProfileChoice::Named(self.profile.clone())
        };
        let rotation = match (self.location.file(), &self.location.jira_install) {
            (Some(c), _) => Some(RotationAt::Log4jFile(c.clone())),
            (None, Some(d)) => Some(RotationAt::Install(d.clone())),
            (None, None) => None,
        };
        let mut p = Plan::new(profile, window, logs).with_rotation(rotation);
        p.scope = self.cluster.scope();
        if p.rotation.is_none() {
            p.access.install = saved.and_then(|s| s.jira_install);
        }
        p.profiles_dir = self.profiles.profiles.clone();
        p.sample = self
            .sample
            .as_deref()
            .map(crate::duration::window)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--sample: {e}"))?;
        p.keep = self
            .keep
            .as_deref()
            .map(crate::duration::keep)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--keep: {e}"))?;
        p.guard = !self.no_guard;
        p.self_check = self.self_check.timeout()?;
        p.inventory = !self.no_inventory;
        p.access.paths = self.access.access_logs.clone();
        p.access.duration_unit = self.access.access_log_duration;
        p.access.pattern = self.access.access_log_pattern.clone();
        p.output = plan::Output {
            format: self.report.out.format,
            dialect: self.report.dialect,
            wide: self.report.wide,
            csv_raw: self.report.out.csv_raw,
            path: self.report.out.output.clone(),
            tz: self.tz.clone(),
        };
        p.check()?;
        Ok(p)
    }
}

/// `jira-patrol capture`.
pub fn run(args: CaptureArgs) -> Result<()> {
    if args.dry_run {
        // Paths first: a wrong one must not cost a prompt or a sample.
        let logs = logs(&args)?;
        args.report.out.check_paths()?;
        let client = args.conn.connect()?;
        return dry_run(&client, &args, &logs);
    }
    // Wrong arguments should not cost a password prompt first.
    let plan = args.plan()?;
    if args.sample.is_some() && args.profile != AUTO {
        crate::output::say(&format!(
            "note: --sample only sets how long the automatic choice and --dry-run measure; with --profile {} nothing is sampled",
            args.profile
        ));
    }
    let client = args.conn.connect()?;
    let journal = crate::journal::Journal::default_location()?;
    exit(output::capture::run(&client, &plan, journal))
}

/// How a capture ended, as the process exits: 130 after Ctrl-C, 143 after SIGTERM,
/// [`EXIT_GUARD`] when the guard ended the window, 1 on a failed self-check (each already
/// said on stderr), else the error to print.
pub fn exit(r: Result<(), RunError>) -> Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(RunError::Stopped(s)) if s == signals::SIGTERM => Err(super::Exit(143).into()),
        Err(RunError::Stopped(_)) => Err(super::Exit(130).into()),
        Err(RunError::GuardTripped) => Err(super::Exit(EXIT_GUARD).into()),
        Err(RunError::SelfCheckFailed) => Err(super::Exit(1).into()),
        Err(RunError::Capture(capture::CaptureError::Interrupted)) => Err(super::Exit(130).into()),
        Err(RunError::Failed(e)) => Err(e),
        Err(e) => Err(e.into()),
    }
}

/// An error from the setup or the demo, with a capture's ending turned into its exit code.
pub fn exit_from(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<RunError>() {
        Ok(r) => exit(Err(r)).err().unwrap_or_else(|| super::Exit(0).into()),
        Err(e) => e,
    }
}

fn sample_len(args: &CaptureArgs, default: Duration) -> Result<Duration> {
    match &args.sample {
        Some(s) => crate::duration::window(s).map_err(|e| anyhow::anyhow!("--sample: {e}")),
        None => Ok(default),
    }
}

/// `--dry-run`: a read-only sample of the request rate, then each profile's cost.
fn dry_run(client: &crate::jira::Client, args: &CaptureArgs, logs: &[LogSource]) -> Result<()> {
    let sample_len = sample_len(args, Duration::from_secs(10))?;
    let look = args
        .look
        .as_deref()
        .map(crate::duration::window)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--look: {e}"))?;
    let profiles = crate::profiles::list(args.profiles.profiles.as_deref())?;
    let sig = signals::install(status::on_signal()).context("cannot catch Ctrl-C/SIGTERM")?;
    crate::output::say(&format!(
        "dry run: measuring {}'s request rate for {} (nothing is changed)...",
        client.base_url(),
        crate::human::duration(sample_len)
    ));
    let stop = || sig.stop_requested();
    let s = capture::estimate::sample(client, logs, sample_len, &stop)
        .context("the dry run's sample")?;
    let node = s
        .node
        .as_deref()
        .map(|n| format!(" on {n}"))
        .unwrap_or_default();
    crate::output::say(&format!(
        "dry run: {:.1} requests/s in all{node} (Jira's request counter over {:.0}s); the log grows {}/hour at the current levels.",
        s.requests_per_sec,
        s.seconds,
        crate::human::bytes((s.log_bytes_per_sec * 3600.0) as u64)
    ));
    let view = client.cluster_nodes();
    if let Some(line) = cluster_line(&view, logs, &args.cluster.scope()) {
        crate::output::say(&format!("dry run: {line}"));
    }
    let pat = match look {
        Some(d) => Some(look_for_pats(
            client,
            args,
            logs,
            d,
            &sig,
            s.requests_per_sec,
        )?),
        None => {
            crate::output::say("dry run: the requests with a token cannot be seen at the current levels: figures below count them as 0; add --look 30s for a short look at pats-service-trace.");
            None
        }
    };
    let figures: Vec<_> = profiles
        .iter()
        .map(|p| capture::estimate::figure(p, s.requests_per_sec, pat.unwrap_or(0.0)))
        .collect();
    let width = args.report.out.target().width();
    args.report.out.write(|out| {
        if args.report.out.format == SummaryFormat::Json {
            output::json::pretty(
                &mut *out,
                &serde_json::json!({"sample": s, "pat_requests_per_sec": pat, "profiles": figures, "cluster_nodes": view.nodes()}),
            )?;
            writeln!(out)?;
        } else {
            let mut r = output::Records::with_table(
                "profiles",
                &[
                    "profile",
                    "lines_per_hour",
                    "bytes_per_hour",
                    "names_token",
                    "misses",
                ],
                &[
                    output::table::Column::name("PROFILE", output::table::Column::KEEP),
                    output::table::Column::count("LINES/HOUR"),
                    output::table::Column::count("BYTES/HOUR"),
                    output::table::Column::text("NAMES THE TOKEN", output::table::Column::KEEP),
                    output::table::Column::text("CANNOT SEE", 10),
                ],
            );
            for f in &figures {
                r.push(vec![
                    f.profile.as_str().into(),
                    f.lines_per_hour.into(),
                    output::Cell::word(crate::human::bytes(f.bytes_per_hour)),
                    output::Cell::word(if f.names_token { "yes" } else { "no" }),
                    f.misses.clone().into(),
                ]);
            }
            r.table(out, width)?;
        }
        Ok(())
    })
}

/// One line on Jira's nodes and what the logs cover (a capture with these logs would be
/// refused when it says so); `None` for a Jira that is not clustered.
fn cluster_line(
    view: &crate::jira::ClusterView,
    logs: &[LogSource],
    scope: &Scope,
) -> Option<String> {
    use crate::jira::ClusterView;
    let nodes = match view {
        ClusterView::Single => return None,
        ClusterView::Unknown(why) => {
            return Some(format!(
                "Jira's nodes could not be listed ({why}): whether the logs cover every node cannot be checked"
            ))
        }
        ClusterView::Nodes(n) => n,
    };
    let serving = view.serving();
    let mut line = format!(
        "Jira is a cluster of {} node(s), {} active ({}); the figures are per node, each writing its own log",
        nodes.len(),
        serving.len(),
        serving.join(", ")
    );
    if let Err(e) = crate::cluster::decide(view, logs, scope) {
        let first = e.to_string();
        line.push_str(&format!(
            "; a capture with these logs would be refused: {}",
            first.lines().next().unwrap_or_default()
        ));
    }
    Some(line)
}

/// The PAT request rate from a short capture at pats-service-trace (journaled, restored);
/// `total` is the rate of all requests the sample measured before it.
fn look_for_pats(
    client: &crate::jira::Client,
    args: &CaptureArgs,
    logs: &[LogSource],
    d: Duration,
    sig: &signals::Signals,
    total: f64,
) -> Result<f64> {
    let profile = crate::profiles::load("pats-service-trace", args.profiles.profiles.as_deref())?;
    let journal = crate::journal::Journal::default_location()?;
    let mut opts = Options::new(profile, d, logs.to_vec(), journal);
    opts.scope = args.cluster.scope();
    opts.zone = plan::zone(args.tz.as_deref())?;
    let p = Plan::new(ProfileChoice::Auto, Window::For(d), logs.to_vec()).with_rotation(
        match (args.location.file(), &args.location.jira_install) {
            (Some(c), _) => Some(RotationAt::Log4jFile(c.clone())),
            (None, Some(dir)) => Some(RotationAt::Install(dir.clone())),
            (None, None) => None,
        },
    );
    let rotation = p.rotation_config()?;
    opts.guard = Some(guard_limits(rotation.as_ref(), &p));
    crate::output::say(&format!(
        "dry run: a {} look at pats-service-trace to count the requests with a token...",
        crate::human::duration(d)
    ));
    opts.observer = Box::new(status::Live::new(d));
    let o = capture::run(client, opts, sig)?;
    output::capture::say_restore(&o).map_err(|e| anyhow::anyhow!(e))?;
    let per_sec = o.requests as f64 / o.elapsed.as_secs_f64().max(0.001);
    crate::output::say(&token_rate_line(
        per_sec,
        o.requests,
        o.elapsed.as_secs_f64(),
        total,
    ));
    Ok(per_sec)
}

/// The look's rate, in the precision of the total it is read against; a rate above the total
/// is no paradox to leave unexplained: the two were measured one after the other.
fn token_rate_line(per_sec: f64, requests: u64, secs: f64, total: f64) -> String {
    let mut line =
        format!("dry run: {per_sec:.1} requests/s with a token ({requests} in {secs:.0}s).");
    if format!("{per_sec:.1}") != format!("{total:.1}") && per_sec > total {
        line.push_str(&format!(
            " That is more than the {total:.1} requests/s in all measured just before: the traffic changed between the two measurements, so the figures below take every request as one with a token."
        ));
    }
    line
}

/// `--log`, else the logs `jira-patrol setup` saved; each checked (see
/// [`crate::paths::log_to_follow`]).
fn logs(args: &CaptureArgs) -> Result<Vec<LogSource>> {
    let logs: Vec<LogSource> = if !args.logs.is_empty() {
        args.logs.clone()
    } else {
        match crate::wizard::config::load()? {
            Some(saved) if !saved.logs.is_empty() => {
                saved.logs.into_iter().map(LogSource::from).collect()
            }
            _ => bail!(
                "which log? give --log JIRA_HOME/log/atlassian-jira.log (once per Data Center node)"
            ),
        }
    };
    for l in logs.iter().filter_map(LogSource::local_path) {
        crate::paths::log_to_follow("--log", l)?;
    }
    Ok(logs)
}

/// `90s`, `15m`, `2h`, `1h30m`: a capture window (see [`crate::duration::window`]).
pub fn parse_window(s: &str) -> Result<Duration, String> {
    crate::duration::window(s).map_err(String::from)
}

/// `--until`: a local time today like `14:30`, or an RFC 3339 time; in the future.
fn until(s: &str) -> Result<jiff::Timestamp, String> {
    let now = jiff::Timestamp::now();
    let end = if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        ts
    } else {
        let t: jiff::civil::Time = s
            .parse()
            .map_err(|_| format!("'{s}' is not a time: write e.g. 14:30 (today, local time)"))?;
        let tz = jiff::tz::TimeZone::system();
        let today = tz.to_datetime(now).date();
        tz.to_timestamp(today.to_datetime(t))
            .map_err(|e| e.to_string())?
    };
    if end.as_second() - now.as_second() <= 0 {
        return Err(format!(
            "{s} has already passed: use --for to give a length"
        ));
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_rate_reads_like_the_total_and_never_exceeds_it_unexplained() {
        let line = token_rate_line(14.4, 432, 30.0, 14.3);
        assert!(
            line.starts_with("dry run: 14.4 requests/s with a token (432 in 30s)."),
            "{line}"
        );
        assert!(
            line.contains("more than the 14.3 requests/s in all"),
            "{line}"
        );
        let line = token_rate_line(2.04, 61, 30.0, 14.3);
        assert_eq!(line, "dry run: 2.0 requests/s with a token (61 in 30s).");
        // Equal as printed: nothing to explain.
        assert!(!token_rate_line(14.34, 430, 30.0, 14.3).contains("more than"));
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_window("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_window("15").is_err());
        assert!(parse_window("0m").is_err());
        assert!(parse_window("2x").is_err());
        assert!(parse_window("30d").is_err());
        assert!(parse_window("5124095576030432h").is_err());
    }

    #[test]
    fn the_printed_command_parses_as_capture_to_the_same_plan() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: CaptureArgs,
        }
        use clap::Parser;
        let d = tempfile::tempdir().unwrap();
        let odd = d.path().join("it's a \"jira\" $HOME");
        std::fs::create_dir_all(&odd).unwrap();
        // A second node's log, in a directory of its own (the plan checks each one exists).
        let b = d.path().join("b");
        std::fs::create_dir_all(&b).unwrap();
        let log4j = odd.join("log4j.properties");
        std::fs::copy("tests/fixtures/log4j/jira-7.13.2-log4j.properties", &log4j).unwrap();
        let mut p = Plan::new(
            ProfileChoice::Named("pats-service-trace".into()),
            Window::For(Duration::from_secs(5400)),
            vec![
                odd.join("atlassian-jira.log").into(),
                b.join("atlassian-jira.log").into(),
            ],
        )
        .with_rotation(Some(RotationAt::Log4jFile(log4j)));
        p.keep = Some(Duration::from_secs(3 * 86400));
        p.guard = false;
        p.self_check = Some(Duration::from_secs(90));
        p.inventory = false;
        p.output.format = SummaryFormat::Sql;
        p.output.dialect = crate::format::Dialect::Mysql;
        p.output.tz = Some("Europe/Paris".into());
        p.output.path = Some(odd.join("out put.sql"));
        let conn = plan::Connection {
            url: "https://jira.example.com".into(),
            ..Default::default()
        };
        let line = plan::command_line(&p, &conn);
        let words = shlex::split(&line).unwrap();
        assert_eq!(&words[..2], ["jira-patrol", "capture"]);
        let args = Cli::try_parse_from(&words[1..]).unwrap().args;
        assert_eq!(args.conn.url.as_deref(), Some("https://jira.example.com"));
        assert_eq!(args.plan().unwrap(), p);
    }

    #[test]
    fn until_is_a_future_time() {
        let e = until("2000-01-01T00:00:00Z").unwrap_err();
        assert!(e.contains("already passed"), "{e}");
        let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        let d = Window::Until(until(&in_an_hour.to_string()).unwrap())
            .length()
            .unwrap();
        assert!((3590..=3600).contains(&d.as_secs()), "{d:?}");
        assert!(until("half past two").is_err());
    }
}
