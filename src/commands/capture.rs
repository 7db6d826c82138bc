//! `jira-patrol capture`: journal and apply a profile, follow the logs for a window,
//! always restore, then print the summary (library side: `crate::capture`).

use super::access::AccessArgs;
use super::conn::ConnArgs;
use super::profile::ProfilesDir;
use super::summarize::SummaryFormat;
use crate::capture::selfcheck::SelfCheck;
use crate::capture::{self, signals, Options, Outcome};
use crate::report::{self, Dialect};
use crate::summary::Report;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct CaptureArgs {
    /// Verbosity profile to apply for the window (see `jira-patrol profile list`), or
    /// `auto`: full detail while the traffic is light, else the cheapest that names the
    /// token of every request, from a read-only --sample of Jira's request rate
    #[arg(long, default_value = AUTO)]
    pub profile: String,
    #[command(flatten)]
    pub profiles: ProfilesDir,
    /// Length of the window, e.g. 90s, 15m, 2h
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
    pub duration: Option<String>,
    /// End of the window, a local time like 14:30 (or an RFC 3339 time)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// atlassian-jira.log to follow (JIRA_HOME/log/atlassian-jira.log); repeat once per Data
    /// Center node [default: the logs saved by `jira-patrol setup`]
    #[arg(long = "log", value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// Jira install directory, to check that log rotation keeps what the window writes
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub jira_install: Option<PathBuf>,
    /// log4j configuration file, to check that log rotation keeps what the window writes
    #[arg(long = "log4j-config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The former spelling of --log4j-config
    #[arg(long = "config", value_name = "FILE", hide = true, conflicts_with_all = ["config", "jira_install"])]
    pub old_config: Option<PathBuf>,
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
    #[arg(long, value_enum, default_value_t)]
    pub format: SummaryFormat,
    /// SQL quoting for --format sql
    #[arg(long, value_enum, default_value_t)]
    pub dialect: Dialect,
    /// Table: every column, however narrow the terminal (else the least important columns
    /// are listed below the table)
    #[arg(long)]
    pub wide: bool,
    /// Also write the summary to this file
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Time zone of log lines without a UTC offset (Jira 7.x/8.0), e.g. Europe/Paris [default: local]
    #[arg(long)]
    pub tz: Option<String>,
    /// Leave out the inventory (every token in Jira, the unused ones listed), looked up
    /// after the window; it needs a System Administrator on Data Center
    #[arg(long)]
    pub no_inventory: bool,
    #[command(flatten)]
    pub self_check: SelfCheckArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
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
        parse_window(&self.self_check_timeout)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--self-check-timeout: {e}"))
    }
}

pub fn run(mut args: CaptureArgs) -> Result<()> {
    if let Some(p) = args.old_config.take() {
        eprintln!("{}", super::log4j_file::CONFIG_RENAMED);
        args.config = Some(p);
    }
    if args.dry_run {
        let client = args.conn.connect()?;
        return dry_run(&client, &args);
    }
    // Wrong arguments should not cost a password prompt first.
    window(&args)?;
    args.self_check.timeout()?;
    args.access.check(logs(&args)?.len())?;
    sample_len(&args, Duration::ZERO)?;
    if args.sample.is_some() && args.profile != AUTO {
        eprintln!(
            "note: --sample only sets how long the automatic choice and --dry-run measure; with --profile {} nothing is sampled",
            args.profile
        );
    }
    let client = args.conn.connect()?;
    run_with(client, args)
}

/// Run a capture with a client already connected (the wizard and the demo use this).
pub fn run_with(client: crate::jira::Client, args: CaptureArgs) -> Result<()> {
    // From here on a signal never kills us with levels raised: it ends the window.
    let sig = signals::install().context("cannot catch Ctrl-C/SIGTERM")?;
    let sig = &sig;
    let window = window(&args)?;
    let profile = if args.profile == AUTO {
        auto_profile(&client, &args, sig)?
    } else {
        crate::profiles::load(&args.profile, args.profiles.profiles.as_deref())?
    };
    let zone = super::summarize::zone(args.tz.as_deref())?;
    let keep_asked = args
        .keep
        .as_deref()
        .map(super::log4j_file::parse_keep)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--keep: {e}"))?;
    let keep = keep_asked.unwrap_or(Duration::from_secs(86400));
    // Read the rotation settings now: a wrong path should fail before Jira is touched.
    let rotation = rotation_config(&args)?;
    let logs = logs(&args)?;
    let journal = crate::journal::Journal::default_location()?;
    let mut opts = Options::new(profile, window, logs.clone(), journal);
    opts.zone = zone;
    opts.self_check = args.self_check.timeout()?;
    if args.no_guard {
        eprintln!("warning: --no-guard: nothing stops this capture from rotating away older log lines; `jira-patrol rotation plan` says what rotation a window needs");
    } else {
        opts.guard = Some(guard_limits(rotation.as_ref(), &args));
        opts.keep = keep_asked;
    }
    if let Some(ms) = std::env::var("JIRA_PATROL_QUIET_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        // Tests shorten the "no PAT line yet" delay; not a user setting.
        opts.quiet_after = Duration::from_millis(ms);
    }
    if let Some(ms) = std::env::var("JIRA_PATROL_CHECK_EVERY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.check_every = Duration::from_millis(ms);
    }
    if args.format == SummaryFormat::Jsonl {
        opts.on_request = Some(Box::new(|r, h| {
            let _ = report::jsonl_event(r, h, &mut std::io::stdout().lock());
        }));
    }
    let version = client.server_info().ok().map(|i| i.version);
    opts.access = access_plan(&args, &logs, version.as_deref())?;
    if let Some(a) = &opts.access {
        eprintln!("{}", a.reading.notice());
    }
    eprintln!(
        "capture: applying profile {} for {} on {}; following {}",
        opts.profile.name,
        capture::fmt_duration(window),
        client.base_url(),
        logs.iter()
            .map(|l| l.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let profile_name = opts.profile.name.clone();
    let mut outcome = capture::run(&client, opts, sig)?;
    if let Some(a) = &outcome.report.access_log {
        super::access::say_join(a, None);
    }
    let restored = print_restore(&outcome);
    if let SelfCheck::Failed(f) = &outcome.self_check {
        // No summary: it would say "nothing happened" about a log that shows nothing.
        eprintln!("error: {f}");
        if let Err(left) = &restored {
            eprintln!("error: {left}");
        }
        return Err(super::Exit(1).into());
    }
    match &outcome.guard_trip {
        // Its advice covers the window; a second rotation line would only confuse.
        Some(t) => {
            print_volume(&outcome.report, None, keep, &args);
            print_guard_advice(t, window, rotation.as_ref(), &args);
        }
        None => print_volume(&outcome.report, rotation.as_ref(), keep, &args),
    }
    if !args.no_inventory && args.format != SummaryFormat::Jsonl {
        crate::inventory::attach(&client, &mut outcome.report);
    }
    let mut text = Vec::new();
    let meta = crate::html::HtmlMeta::capture(client.base_url(), &profile_name, outcome.elapsed);
    let how = super::summarize::Rendering {
        format: args.format,
        dialect: args.dialect,
        wide: args.wide,
    };
    super::summarize::render(&outcome.report, &how, &meta, &mut text)?;
    std::io::stdout()
        .write_all(&text)
        .context("writing the summary")?;
    if let Some(p) = &args.output {
        std::fs::write(p, &text)
            .with_context(|| format!("cannot write --output {}", p.display()))?;
    }
    if let Err(left) = restored {
        bail!(left);
    }
    match outcome.stopped_by {
        Some(s) if s == signals::SIGTERM => Err(super::Exit(143).into()),
        Some(_) => Err(super::Exit(130).into()),
        None if outcome.guard_trip.is_some() => Err(super::Exit(EXIT_GUARD).into()),
        None => Ok(()),
    }
}

/// `--profile auto`: chosen from a sample, not a profile of its own.
pub const AUTO: &str = "auto";

fn sample_len(args: &CaptureArgs, default: Duration) -> Result<Duration> {
    match &args.sample {
        Some(s) => parse_window(s).map_err(|e| anyhow::anyhow!("--sample: {e}")),
        None => Ok(default),
    }
}

/// The profile for the rate Jira serves now (see `estimate::choose`; requests with a token
/// cannot be counted read-only, so all are costed as requests without one). One line says
/// why.
fn auto_profile(
    client: &crate::jira::Client,
    args: &CaptureArgs,
    sig: &signals::Signals,
) -> Result<crate::profiles::Profile> {
    let len = sample_len(args, Duration::from_secs(5))?;
    let logs = logs(args)?;
    let profiles = crate::profiles::list(args.profiles.profiles.as_deref())?;
    eprintln!(
        "capture: --profile auto: measuring Jira's request rate for {} (read-only)...",
        capture::fmt_duration(len)
    );
    let stop = || sig.stop_requested();
    let (rps, basis) = match capture::estimate::sample(client, &logs, len, &stop) {
        Ok(s) => (
            s.requests_per_sec,
            format!("{:.1} requests/s", s.requests_per_sec),
        ),
        // Unknown rate: rank by lines per request, as if one request a second came in.
        Err(e) => (1.0, format!("request rate unknown: {e}")),
    };
    let Some(choice) = capture::estimate::choose(&profiles, rps, 0.0) else {
        bail!("no profile names the token of a request: give --profile NAME (see `jira-patrol profile list`)");
    };
    let best = choice.profile;
    let why = match (&choice.cheaper, &choice.fuller) {
        (Some(cheap), _) => format!(
            "full detail costs {}/hour here, under the {}/hour it allows; {} would write {}/hour",
            report::human_bytes(choice.figure.bytes_per_hour),
            report::human_bytes(capture::estimate::FULL_DETAIL_BYTES_PER_HOUR),
            cheap.profile,
            report::human_bytes(cheap.bytes_per_hour)
        ),
        (None, Some(full)) => format!(
            "{} lines per request with a token, {} per other request; {} would write {}/hour for the requests without a token",
            best.cost.pat_request,
            best.cost.other_request,
            full.profile,
            report::human_bytes(full.bytes_per_hour)
        ),
        (None, None) => format!(
            "{} lines per request with a token, {} per other request",
            best.cost.pat_request, best.cost.other_request
        ),
    };
    eprintln!(
        "capture: --profile auto chose {} ({basis}; {why}); it gives up: {} (--profile NAME to choose)",
        best.name,
        best.misses.as_deref().unwrap_or("nothing it says")
    );
    Ok(best.clone())
}

/// `--dry-run`: a read-only sample of the request rate, then each profile's cost.
fn dry_run(client: &crate::jira::Client, args: &CaptureArgs) -> Result<()> {
    let sample_len = sample_len(args, Duration::from_secs(10))?;
    let look = args
        .look
        .as_deref()
        .map(parse_window)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--look: {e}"))?;
    let logs = logs(args)?;
    let profiles = crate::profiles::list(args.profiles.profiles.as_deref())?;
    let sig = signals::install().context("cannot catch Ctrl-C/SIGTERM")?;
    eprintln!(
        "dry run: measuring {}'s request rate for {} (nothing is changed)...",
        client.base_url(),
        capture::fmt_duration(sample_len)
    );
    let stop = || sig.stop_requested();
    let s = capture::estimate::sample(client, &logs, sample_len, &stop)
        .context("the dry run's sample")?;
    let node = s
        .node
        .as_deref()
        .map(|n| format!(" on {n}"))
        .unwrap_or_default();
    eprintln!(
        "dry run: {:.1} requests/s in all{node} (Jira's request counter over {:.0}s); the log grows {}/hour at the current levels.",
        s.requests_per_sec,
        s.seconds,
        report::human_bytes((s.log_bytes_per_sec * 3600.0) as u64)
    );
    let pat = match look {
        Some(d) => Some(look_for_pats(client, args, &logs, d, &sig)?),
        None => {
            eprintln!("dry run: the requests with a token cannot be seen at the current levels: figures below count them as 0; add --look 30s for a short look at pats-service-trace.");
            None
        }
    };
    let figures: Vec<_> = profiles
        .iter()
        .map(|p| capture::estimate::figure(p, s.requests_per_sec, pat.unwrap_or(0.0)))
        .collect();
    let mut out = Vec::new();
    if args.format == SummaryFormat::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({"sample": s, "pat_requests_per_sec": pat, "profiles": figures}),
        )?;
        out.push(b'\n');
    } else {
        writeln!(
            out,
            "{:<22} {:>12} {:>12}  names the token  cannot see",
            "profile", "lines/hour", "bytes/hour"
        )?;
        for f in &figures {
            writeln!(
                out,
                "{:<22} {:>12} {:>12}  {:<15}  {}",
                f.profile,
                f.lines_per_hour,
                report::human_bytes(f.bytes_per_hour),
                if f.names_token { "yes" } else { "no" },
                f.misses.as_deref().unwrap_or("-")
            )?;
        }
    }
    std::io::stdout()
        .write_all(&out)
        .context("writing the figures")?;
    Ok(())
}

/// The PAT request rate from a short capture at pats-service-trace (journaled, restored).
fn look_for_pats(
    client: &crate::jira::Client,
    args: &CaptureArgs,
    logs: &[PathBuf],
    d: Duration,
    sig: &signals::Signals,
) -> Result<f64> {
    let profile = crate::profiles::load("pats-service-trace", args.profiles.profiles.as_deref())?;
    let journal = crate::journal::Journal::default_location()?;
    let mut opts = Options::new(profile, d, logs.to_vec(), journal);
    opts.zone = super::summarize::zone(args.tz.as_deref())?;
    let rotation = rotation_config(args)?;
    opts.guard = Some(guard_limits(rotation.as_ref(), args));
    eprintln!(
        "dry run: a {} look at pats-service-trace to count the requests with a token...",
        capture::fmt_duration(d)
    );
    let o = capture::run(client, opts, sig)?;
    print_restore(&o).map_err(|e| anyhow::anyhow!(e))?;
    let per_sec = o.requests as f64 / o.elapsed.as_secs_f64().max(0.001);
    eprintln!(
        "dry run: {:.2} requests/s with a token ({} in {:.0}s).",
        per_sec,
        o.requests,
        o.elapsed.as_secs_f64()
    );
    Ok(per_sec)
}

/// The rotation guard ended the window early: the report is good but covers less than
/// asked. Not 0, so that a scheduled capture notices the shorter window; not 1, since
/// nothing failed and the levels are back.
pub const EXIT_GUARD: u8 = 3;

/// The rotation limits the guard works with: the log4j file's when known, else none (the
/// guard learns them from the files).
fn guard_limits(
    rotation: Option<&crate::log4j::Config>,
    args: &CaptureArgs,
) -> capture::guard::Limits {
    let Some(app) = rotation.and_then(|c| c.appender(None).ok()) else {
        return Default::default();
    };
    capture::guard::Limits {
        max_bytes: app.max_size_bytes,
        backups: app.backups,
        source: rotation
            .map(|c| c.path().to_path_buf())
            .or_else(|| args.config.clone()),
    }
}

/// Where `rotation set` should edit, as given to this capture.
fn rotation_location(args: &CaptureArgs) -> String {
    match (&args.config, &args.jira_install) {
        (Some(c), _) => format!(" --log4j-config {}", c.display()),
        (None, Some(d)) => format!(" --jira-install {}", d.display()),
        _ => " --jira-install DIR".to_string(),
    }
}

/// The line after the guard's reason: the rotation that would have let the whole window
/// run without losing what was on disk.
fn print_guard_advice(
    t: &capture::guard::Trip,
    window: Duration,
    rotation: Option<&crate::log4j::Config>,
    args: &CaptureArgs,
) {
    let needed = (t.bytes_per_sec * window.as_secs_f64()) as u64 + t.kept_bytes;
    let current = rotation.and_then(|c| c.appender(None).ok()).or_else(|| {
        Some(crate::log4j::Appender {
            name: "filelog".into(),
            file: "atlassian-jira.log".into(),
            max_size_bytes: t.limits.max_bytes,
            max_size_raw: None,
            backups: t.limits.backups,
            is_main: true,
        })
    });
    let plan = crate::log4j::plan_bytes(needed, current.as_ref());
    eprintln!(
        "capture: the window ended early to keep the older logs (exit status {EXIT_GUARD}); for the whole {} at this rate: {}{} (then restart Jira), or --no-guard",
        capture::fmt_duration(window),
        plan.command,
        rotation_location(args)
    );
}

/// The install directory: `--jira-install`, else the one `jira-patrol setup` saved.
fn install_dir(args: &CaptureArgs) -> Result<Option<PathBuf>> {
    if args.jira_install.is_some() || args.config.is_some() {
        return Ok(args.jira_install.clone());
    }
    Ok(crate::wizard::config::load()?.and_then(|s| s.jira_install))
}

/// The access-log join of a capture: each node's access-log directory (from
/// `--access-log`, one per `--log`, or the install's server.xml), and how to read it.
fn access_plan(
    args: &CaptureArgs,
    logs: &[PathBuf],
    jira_version: Option<&str>,
) -> Result<Option<capture::access::LiveAccess>> {
    let install = install_dir(args)?;
    if !args.access.wanted(install.as_deref()) {
        return Ok(None);
    }
    let reading = args.access.reading(jira_version, install.as_deref())?;
    let dirs: Vec<PathBuf> = if args.access.access_logs.is_empty() {
        let Some(dir) = reading.directory.clone() else {
            return Ok(None);
        };
        if !dir.is_dir() {
            eprintln!(
                "note: {}: no access-log directory; the capture goes on without the access-log join",
                dir.display()
            );
            return Ok(None);
        }
        if logs.len() > 1 {
            bail!("{} logs (Data Center nodes) but one install directory: give one --access-log per node, in the order of --log", logs.len());
        }
        vec![dir]
    } else {
        let dirs = args
            .access
            .access_logs
            .iter()
            .map(|p| {
                if p.is_dir() {
                    Ok(p.clone())
                } else if p.parent().is_some_and(|d| d.is_dir()) {
                    // A file of the day: its directory is followed through the days.
                    Ok(p.parent().map(PathBuf::from).unwrap_or_default())
                } else {
                    bail!(
                        "--access-log {}: neither a directory nor a file in one (Tomcat writes <install>/logs/access_log.<date>)",
                        p.display()
                    )
                }
            })
            .collect::<Result<Vec<_>>>()?;
        super::access::one_per_node(logs.len(), dirs.len())?;
        dirs
    };
    Ok(Some(capture::access::LiveAccess { reading, dirs }))
}

/// `--log`, else the logs `jira-patrol setup` saved.
fn logs(args: &CaptureArgs) -> Result<Vec<PathBuf>> {
    if !args.logs.is_empty() {
        return Ok(args.logs.clone());
    }
    match crate::wizard::config::load()? {
        Some(saved) if !saved.logs.is_empty() => Ok(saved.logs),
        _ => bail!(
            "which log? give --log JIRA_HOME/log/atlassian-jira.log (once per Data Center node)"
        ),
    }
}

fn window(args: &CaptureArgs) -> Result<Duration> {
    if let Some(d) = &args.duration {
        return parse_window(d).map_err(|e| anyhow::anyhow!("--for: {e}"));
    }
    if let Some(u) = &args.until {
        return until(u).map_err(|e| anyhow::anyhow!("--until: {e}"));
    }
    bail!("how long? give --for 15m or --until 14:30")
}

/// `90s`, `15m`, `2h`, `1h30m`.
pub fn parse_window(s: &str) -> Result<Duration, String> {
    let bad = || format!("'{s}' is not a duration: write e.g. 90s, 15m, 2h or 1h30m");
    let mut total = 0u64;
    let mut num = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        any = true;
    }
    if !num.is_empty() || !any || total == 0 {
        return Err(bad());
    }
    if total > 7 * 86400 {
        return Err(format!(
            "'{s}' is longer than a week: split it into several captures"
        ));
    }
    Ok(Duration::from_secs(total))
}

fn until(s: &str) -> Result<Duration, String> {
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
    let secs = end.as_second() - now.as_second();
    if secs <= 0 {
        return Err(format!(
            "{s} has already passed: use --for to give a length"
        ));
    }
    Ok(Duration::from_secs(secs as u64))
}

fn rotation_config(args: &CaptureArgs) -> Result<Option<crate::log4j::Config>> {
    let path = match (&args.config, &args.jira_install) {
        (Some(c), _) => c.clone(),
        (None, Some(dir)) => crate::log4j::locate(dir)?.path,
        (None, None) => return Ok(None),
    };
    Ok(Some(crate::log4j::Config::load(&path)?))
}

/// Err: the last word of the capture (what is left and what to do).
fn print_restore(o: &Outcome) -> Result<(), String> {
    match &o.restore {
        Ok(r) if !r.kept_for.is_empty() => {
            eprintln!(
                "capture: Jira's levels stay raised for {}, which puts them back when it ends.",
                capture::holders_text(&r.kept_for)
            );
            Ok(())
        }
        Ok(r) => {
            let n = r.items.len();
            eprintln!(
                "capture: Jira's levels are back as they were ({n} logger(s) restored after {}).",
                capture::fmt_duration(o.elapsed)
            );
            if let Some(note) = super::restore::unset_note(r) {
                eprintln!("{note}");
            }
            if let Some(note) = super::restore::revoked_note(r) {
                eprintln!("{note}");
            }
            Ok(())
        }
        Err(e @ crate::journal::JournalError::TokenNotRevoked { .. }) => {
            eprintln!("error: {e}");
            Err("the self-check's temporary token is not revoked yet: run `jira-patrol restore` (the journal keeps its id)".into())
        }
        Err(e) => {
            eprintln!("error: could not put Jira's levels back: {e}");
            eprintln!(
                "       the journal {} keeps them: run `jira-patrol restore` once Jira answers",
                o.applied.journal.display()
            );
            Err("the levels were not put back: run `jira-patrol restore` once Jira answers (the journal keeps them)".into())
        }
    }
}

fn print_volume(
    r: &Report,
    rotation: Option<&crate::log4j::Config>,
    keep: Duration,
    args: &CaptureArgs,
) {
    let (Some(log_h), Some(pat_h)) = (r.volume.log_bytes_per_hour, r.volume.pat_bytes_per_hour)
    else {
        return;
    };
    eprintln!(
        "capture: the log grew by {}/hour, {}/hour of it PAT lines ({} PAT lines in {}).",
        report::human_bytes(log_h),
        report::human_bytes(pat_h),
        r.volume.pat_lines,
        capture::fmt_duration(Duration::from_secs_f64(r.volume.seconds.unwrap_or(0.0)))
    );
    let Some(cfg) = rotation else { return };
    let Ok(app) = cfg.appender(None) else { return };
    let plan = crate::log4j::plan(log_h, keep, Some(&app));
    let keep_s = capture::fmt_duration(keep);
    if plan.holds_now {
        eprintln!(
            "capture: the current rotation ({}) keeps {keep_s} at this rate.",
            app.name
        );
    } else {
        let loc = rotation_location(args);
        eprintln!(
            "capture: at this rate the current rotation does not keep {keep_s} of log; this would:\n  {}{loc}",
            plan.command
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_window("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_window("15").is_err());
        assert!(parse_window("0m").is_err());
        assert!(parse_window("2x").is_err());
        assert!(parse_window("30d").is_err());
    }

    #[test]
    fn until_is_a_future_time() {
        let e = until("2000-01-01T00:00:00Z").unwrap_err();
        assert!(e.contains("already passed"), "{e}");
        let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        let d = until(&in_an_hour.to_string()).unwrap();
        assert!((3590..=3600).contains(&d.as_secs()), "{d:?}");
        assert!(until("half past two").is_err());
    }
}
