//! One capture run from a [`Plan`]: signals caught, the profile chosen (named or `auto`),
//! the window journaled, applied, followed and restored (`crate::capture::run_window`),
//! then the restore, the log's growth, the guard's advice and the summary printed. The
//! caller (the `capture` command, the setup, the demo) maps the [`RunError`] to an exit code.

use super::plan::{Plan, PlanError, ProfileChoice, RotationAt};
use super::selfcheck::SelfCheck;
use super::{signals, Options, Outcome};
use crate::report::{self, Rendering, SummaryFormat};
use crate::summary::Report;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// How a capture ended when it did not simply finish. The report (if any) is printed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The self-check did not see its request in the logs; said on stderr, no summary.
    #[error("the self-check failed")]
    SelfCheckFailed,
    /// Ctrl-C or SIGTERM ended the window; the summary of what was captured is printed.
    #[error("stopped by signal {0}")]
    Stopped(i32),
    /// The rotation guard ended the window early; the summary is printed.
    #[error("the window ended early to keep the older logs")]
    GuardTripped,
    /// What is left to do (the levels or the self-check's token are not back).
    #[error("{0}")]
    NotRestored(String),
    /// The plan cannot run.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The window itself failed, or a third Ctrl-C left the restore to `jira-patrol restore`.
    #[error(transparent)]
    Capture(#[from] super::CaptureError),
    /// Anything else (Jira, the logs, the journal, writing the report).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// How long the end-of-capture rotation check keeps without `--keep`.
const DEFAULT_KEEP: Duration = Duration::from_secs(86400);

/// Run the capture the plan describes with a client already connected.
pub fn run(
    client: crate::jira::Client,
    plan: &Plan,
    journal: crate::journal::Journal,
) -> Result<(), RunError> {
    // From here on a signal never kills us with levels raised: it ends the window.
    let sig = signals::install().map_err(|e| {
        RunError::Failed(anyhow::Error::new(e).context("cannot catch Ctrl-C/SIGTERM"))
    })?;
    let sig = &sig;
    let window = plan.window.length()?;
    let profile = match &plan.profile {
        ProfileChoice::Auto => auto_profile(&client, plan, sig)?,
        ProfileChoice::Named(name) => {
            crate::profiles::load(name, plan.profiles_dir.as_deref()).map_err(PlanError::from)?
        }
    };
    let zone = plan.zone()?;
    let keep = plan.keep.unwrap_or(DEFAULT_KEEP);
    // Read the rotation settings now: a wrong path should fail before Jira is touched.
    let rotation = plan.rotation_config()?;
    let logs = plan.logs.clone();
    let mut opts = Options::new(profile, window, logs.clone(), journal);
    opts.zone = zone;
    opts.self_check = plan.self_check;
    if !plan.guard {
        eprintln!("warning: --no-guard: nothing stops this capture from rotating away older log lines; `jira-patrol rotation plan` says what rotation a window needs");
    } else {
        opts.guard = Some(guard_limits(rotation.as_ref(), plan));
        opts.keep = plan.keep;
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
    if plan.output.format == SummaryFormat::Jsonl {
        opts.on_request = Some(Box::new(|r, h| {
            let _ = report::jsonl_event(r, h, &mut std::io::stdout().lock());
        }));
    }
    let version = client.server_info().ok().map(|i| i.version);
    opts.access = access_plan(plan, &logs, version.as_deref())?;
    if let Some(a) = &opts.access {
        eprintln!("{}", a.reading.notice());
    }
    eprintln!(
        "capture: applying profile {} for {} on {}; following {}",
        opts.profile.name,
        super::fmt_duration(window),
        client.base_url(),
        logs.iter()
            .map(|l| l.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let profile_name = opts.profile.name.clone();
    let mut outcome = super::run(&client, opts, sig)?;
    if let Some(a) = &outcome.report.access_log {
        crate::access::say_join(a, None);
    }
    let restored = print_restore(&outcome);
    if let SelfCheck::Failed(f) = &outcome.self_check {
        // No summary: it would say "nothing happened" about a log that shows nothing.
        eprintln!("error: {f}");
        if let Err(left) = &restored {
            eprintln!("error: {left}");
        }
        return Err(RunError::SelfCheckFailed);
    }
    if let Some(w) = report::no_verdict_warning(outcome.report.no_verdict) {
        eprintln!("{w}");
    }
    match &outcome.guard_trip {
        // Its advice covers the window; a second rotation line would only confuse.
        Some(t) => {
            print_volume(&outcome.report, None, keep, plan);
            print_guard_advice(t, window, rotation.as_ref(), plan);
        }
        None => print_volume(&outcome.report, rotation.as_ref(), keep, plan),
    }
    if plan.inventory && plan.output.format != SummaryFormat::Jsonl {
        crate::inventory::attach(&client, &mut outcome.report);
    }
    let mut text = Vec::new();
    let meta = crate::html::HtmlMeta::capture(client.base_url(), &profile_name, outcome.elapsed);
    let how = Rendering {
        format: plan.output.format,
        dialect: plan.output.dialect,
        wide: plan.output.wide,
    };
    report::render(&outcome.report, &how, &meta, &mut text)?;
    // `-o FILE` takes the summary off standard output, as in every command.
    match &plan.output.path {
        Some(p) => {
            std::fs::write(p, &text).map_err(|e| {
                anyhow::Error::new(e).context(format!("cannot write -o/--output {}", p.display()))
            })?;
            eprintln!("capture: summary written to {}", p.display());
        }
        None => std::io::stdout()
            .write_all(&text)
            .map_err(|e| anyhow::Error::new(e).context("writing the summary"))?,
    }
    if let Err(left) = restored {
        return Err(RunError::NotRestored(left));
    }
    match outcome.stopped_by {
        Some(s) => Err(RunError::Stopped(s)),
        None if outcome.guard_trip.is_some() => Err(RunError::GuardTripped),
        None => Ok(()),
    }
}

/// The profile for the rate Jira serves now (see `estimate::choose`; requests with a token
/// cannot be counted read-only, so all are costed as requests without one). One line says
/// why.
fn auto_profile(
    client: &crate::jira::Client,
    plan: &Plan,
    sig: &signals::Signals,
) -> Result<crate::profiles::Profile, RunError> {
    let len = plan.sample.unwrap_or(Duration::from_secs(5));
    let profiles = crate::profiles::list(plan.profiles_dir.as_deref()).map_err(PlanError::from)?;
    eprintln!(
        "capture: --profile auto: measuring Jira's request rate for {} (read-only)...",
        super::fmt_duration(len)
    );
    let stop = || sig.stop_requested();
    let (rps, basis) = match super::estimate::sample(client, &plan.logs, len, &stop) {
        Ok(s) => (
            s.requests_per_sec,
            format!("{:.1} requests/s", s.requests_per_sec),
        ),
        // Unknown rate: rank by lines per request, as if one request a second came in.
        Err(e) => (1.0, format!("request rate unknown: {e}")),
    };
    let Some(choice) = super::estimate::choose(&profiles, rps, 0.0) else {
        return Err(PlanError::Invalid("no profile names the token of a request: give --profile NAME (see `jira-patrol profile list`)".into()).into());
    };
    let best = choice.profile;
    let why = match (&choice.cheaper, &choice.fuller) {
        (Some(cheap), _) => format!(
            "full detail costs {}/hour here, under the {}/hour it allows; {} would write {}/hour",
            report::human_bytes(choice.figure.bytes_per_hour),
            report::human_bytes(super::estimate::FULL_DETAIL_BYTES_PER_HOUR),
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

/// The rotation guard ended the window early: the report is good but covers less than
/// asked. Not 0, so that a scheduled capture notices the shorter window; not 1, since
/// nothing failed and the levels are back.
pub const EXIT_GUARD: u8 = 3;

/// The rotation limits the guard works with: the log4j file's when known, else none (the
/// guard learns them from the files).
pub fn guard_limits(rotation: Option<&crate::log4j::Config>, plan: &Plan) -> super::guard::Limits {
    let Some(app) = rotation.and_then(|c| c.appender(None).ok()) else {
        return Default::default();
    };
    super::guard::Limits {
        max_bytes: app.max_size_bytes,
        backups: app.backups,
        source: rotation
            .map(|c| c.path().to_path_buf())
            .or_else(|| match &plan.rotation {
                Some(RotationAt::Log4jFile(c)) => Some(c.clone()),
                _ => None,
            }),
    }
}

/// Where `rotation set` should edit, as given to this capture.
fn rotation_location(plan: &Plan) -> String {
    match &plan.rotation {
        Some(RotationAt::Log4jFile(c)) => {
            format!(
                " --log4j-config {}",
                super::plan::quote(&c.display().to_string())
            )
        }
        Some(RotationAt::Install(d)) => format!(
            " --jira-install {}",
            super::plan::quote(&d.display().to_string())
        ),
        None => " --jira-install DIR".to_string(),
    }
}

/// The line after the guard's reason: the rotation that would have let the whole window
/// run without losing what was on disk.
fn print_guard_advice(
    t: &super::guard::Trip,
    window: Duration,
    rotation: Option<&crate::log4j::Config>,
    plan: &Plan,
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
    let rplan = crate::log4j::plan_bytes(needed, current.as_ref());
    eprintln!(
        "capture: the window ended early to keep the older logs (exit status {EXIT_GUARD}); for the whole {} at this rate: {}{} (then restart Jira), or --no-guard",
        super::fmt_duration(window),
        rplan.command,
        rotation_location(plan)
    );
}

/// The access-log join of a capture: each node's access-log directory (from
/// `--access-log`, one per `--log`, or the install's server.xml), and how to read it.
fn access_plan(
    plan: &Plan,
    logs: &[PathBuf],
    jira_version: Option<&str>,
) -> Result<Option<super::access::LiveAccess>, RunError> {
    let a = &plan.access;
    let install = a.install.as_deref();
    if a.paths.is_empty() && install.is_none() {
        return Ok(None);
    }
    if let Some(dir) = install {
        if !dir.is_dir() {
            return Err(PlanError::Invalid(format!(
                "--jira-install {}: no such directory (the Jira install holds conf/server.xml and logs/)",
                dir.display()
            ))
            .into());
        }
    }
    let reading = crate::access::reading::decide(
        a.pattern.as_deref(),
        a.duration_unit,
        jira_version,
        install,
    )
    .map_err(anyhow::Error::from)?;
    if let Some(note) = &reading.note {
        eprintln!("note: {note}");
    }
    let dirs: Vec<PathBuf> = if a.paths.is_empty() {
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
            return Err(PlanError::Invalid(format!("{} logs (Data Center nodes) but one install directory: give one --access-log per node, in the order of --log", logs.len())).into());
        }
        vec![dir]
    } else {
        let dirs = a
            .paths
            .iter()
            .map(|p| {
                if p.is_dir() {
                    Ok(p.clone())
                } else if p.parent().is_some_and(|d| d.is_dir()) {
                    // A file of the day: its directory is followed through the days.
                    Ok(p.parent().map(PathBuf::from).unwrap_or_default())
                } else {
                    Err(PlanError::Invalid(format!(
                        "--access-log {}: neither a directory nor a file in one (Tomcat writes <install>/logs/access_log.<date>)",
                        p.display()
                    )))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        super::plan::one_per_node(logs.len(), dirs.len())?;
        dirs
    };
    Ok(Some(super::access::LiveAccess { reading, dirs }))
}

/// Print how the restore went; Err: the last word of the capture (what is left and what
/// to do).
pub fn print_restore(o: &Outcome) -> Result<(), String> {
    match &o.restore {
        Ok(r) if !r.kept_for.is_empty() => {
            eprintln!(
                "capture: Jira's levels stay raised for {}, which puts them back when it ends.",
                super::holders_text(&r.kept_for)
            );
            Ok(())
        }
        Ok(r) => {
            let n = r.items.len();
            eprintln!(
                "capture: Jira's levels are back as they were ({n} logger(s) restored after {}).",
                super::fmt_duration(o.elapsed)
            );
            if let Some(note) = unset_note(r) {
                eprintln!("{note}");
            }
            if let Some(note) = revoked_note(r) {
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

fn print_volume(r: &Report, rotation: Option<&crate::log4j::Config>, keep: Duration, plan: &Plan) {
    let (Some(log_h), Some(pat_h)) = (r.volume.log_bytes_per_hour, r.volume.pat_bytes_per_hour)
    else {
        return;
    };
    eprintln!(
        "capture: the log grew by {}/hour, {}/hour of it PAT lines ({} PAT lines in {}).",
        report::human_bytes(log_h),
        report::human_bytes(pat_h),
        r.volume.pat_lines,
        super::fmt_duration(Duration::from_secs_f64(r.volume.seconds.unwrap_or(0.0)))
    );
    let Some(cfg) = rotation else { return };
    let Ok(app) = cfg.appender(None) else { return };
    let rplan = crate::log4j::plan(log_h, keep, Some(&app));
    let keep_s = super::fmt_duration(keep);
    if rplan.holds_now {
        eprintln!(
            "capture: the current rotation ({}) keeps {keep_s} at this rate.",
            app.name
        );
    } else {
        let loc = rotation_location(plan);
        eprintln!(
            "capture: at this rate the current rotation does not keep {keep_s} of log; this would:\n  {}{loc}",
            rplan.command
        );
    }
}

/// A leftover self-check token that the restore revoked.
pub fn revoked_note(report: &crate::journal::RestoreReport) -> Option<String> {
    (!report.tokens_revoked.is_empty()).then(|| {
        let ids: Vec<String> = report.tokens_revoked.iter().map(u64::to_string).collect();
        format!(
            "revoked the leftover temporary token '{}' of an interrupted self-check (id {})",
            crate::capture::selfcheck::TOKEN_NAME,
            ids.join(", ")
        )
    })
}

/// Jira has no "unset": say which loggers now carry their former inherited level
/// explicitly (until Jira restarts).
pub fn unset_note(report: &crate::journal::RestoreReport) -> Option<String> {
    let explicit: Vec<&str> = report
        .items
        .iter()
        .filter(|i| i.action == crate::journal::Action::RestoredExplicit)
        .map(|i| i.logger.as_str())
        .collect();
    (!explicit.is_empty()).then(|| {
        format!(
            "note: Jira has no \"unset\": {} had no explicit level and now carries its former inherited level explicitly, until Jira restarts",
            explicit.join(", ")
        )
    })
}
