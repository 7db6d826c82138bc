//! One capture run from a [`Plan`]: signals caught, the profile chosen (named or `auto`),
//! the window journaled, applied, followed and restored (`crate::capture::run`), the
//! token inventory looked up — and the whole of it returned as a [`Finished`] run. Nothing
//! here prints: what the run says on the way goes to the caller's [`Observer`], and the
//! output layer (`crate::output::capture`) says how it ended and renders the report.

use super::plan::{Plan, PlanError, ProfileChoice, RotationAt};
use super::{signals, Observer, Options, Outcome, RequestHook};
use crate::format::SummaryFormat;
use crate::human;
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
pub const DEFAULT_KEEP: Duration = Duration::from_secs(86400);

/// Who hears a run as it goes: given by the edge, which alone knows how it looks.
pub struct Hooks {
    /// Told what the run and its window say, and how far the window got.
    pub observer: Box<dyn Observer>,
    /// Told at once what a Ctrl-C or SIGTERM means where the capture is.
    pub on_signal: signals::OnNotice,
    /// Handed every request as the window sees it (`--format jsonl` streams them).
    pub on_request: Option<RequestHook>,
}

/// A capture that ran: the window's outcome and what the edge needs to say how it went.
pub struct Finished {
    /// What the window saw and did (the report, the restore, the self-check, the guard).
    pub outcome: Outcome,
    /// The profile applied (named, or the one `auto` chose).
    pub profile: String,
    /// The window asked for.
    pub window: Duration,
    /// How long the logs must keep lines (`--keep`, else a day).
    pub keep: Duration,
    /// The log4j configuration that declares the rotation, when the plan says where.
    pub rotation: Option<crate::log4j::Config>,
    /// Why the report has no token inventory although one was asked for.
    pub inventory_note: Option<String>,
}

/// Run the capture the plan describes with a client already connected.
pub fn run(
    client: &crate::jira::Client,
    plan: &Plan,
    journal: crate::journal::Journal,
    mut hooks: Hooks,
) -> Result<Finished, RunError> {
    // From here on a signal never kills us with levels raised: it ends the window.
    let sig = signals::install(hooks.on_signal).map_err(|e| {
        RunError::Failed(anyhow::Error::new(e).context("cannot catch Ctrl-C/SIGTERM"))
    })?;
    let sig = &sig;
    let obs = hooks.observer.as_mut();
    let window = plan.window.length()?;
    // A node without a log is refused before anything is measured or changed.
    let view = client.cluster_nodes();
    crate::cluster::decide(&view, &plan.logs, &plan.scope)
        .map_err(|e| RunError::Capture(e.into()))?;
    let profile = match &plan.profile {
        ProfileChoice::Auto => auto_profile(client, plan, sig, obs)?,
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
    opts.scope = plan.scope.clone();
    opts.zone = zone;
    opts.self_check = plan.self_check;
    if !plan.guard {
        obs.warning("--no-guard: nothing stops this capture from rotating away older log lines; `jira-patrol rotation plan` says what rotation a window needs");
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
    opts.on_request = hooks.on_request.take();
    let version = client.server_info().ok().map(|i| i.version);
    opts.access = access_plan(plan, &logs, version.as_deref(), obs)?;
    if let Some(a) = &opts.access {
        obs.line(&a.reading.notice());
    }
    opts.cluster = Some(view);
    obs.line(&format!(
        "capture: applying profile {} for {} on {}; following {}",
        opts.profile.name,
        human::duration(window),
        client.base_url(),
        logs.iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let profile_name = opts.profile.name.clone();
    opts.observer = hooks.observer;
    let mut outcome = super::run(client, opts, sig)?;
    let mut inventory_note = None;
    let self_check_failed = matches!(outcome.self_check, super::selfcheck::SelfCheck::Failed(_));
    if plan.inventory && plan.output.format != SummaryFormat::Jsonl && !self_check_failed {
        inventory_note = crate::inventory::attach(client, &mut outcome.report);
    }
    Ok(Finished {
        outcome,
        profile: profile_name,
        window,
        keep,
        rotation,
        inventory_note,
    })
}

/// The profile for the rate Jira serves now (see `estimate::choose`; requests with a token
/// cannot be counted read-only, so all are costed as requests without one). One line says
/// why.
fn auto_profile(
    client: &crate::jira::Client,
    plan: &Plan,
    sig: &signals::Signals,
    obs: &mut dyn Observer,
) -> Result<crate::profiles::Profile, RunError> {
    let len = plan.sample.unwrap_or(Duration::from_secs(5));
    let profiles = crate::profiles::list(plan.profiles_dir.as_deref()).map_err(PlanError::from)?;
    obs.line(&format!(
        "capture: --profile auto: measuring Jira's request rate for {} (read-only)...",
        human::duration(len)
    ));
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
            human::bytes(choice.figure.bytes_per_hour),
            human::bytes(super::estimate::FULL_DETAIL_BYTES_PER_HOUR),
            cheap.profile,
            human::bytes(cheap.bytes_per_hour)
        ),
        (None, Some(full)) => format!(
            "{} lines per request with a token, {} per other request; {} would write {}/hour for the requests without a token",
            best.cost.pat_request,
            best.cost.other_request,
            full.profile,
            human::bytes(full.bytes_per_hour)
        ),
        (None, None) => format!(
            "{} lines per request with a token, {} per other request",
            best.cost.pat_request, best.cost.other_request
        ),
    };
    obs.line(&format!(
        "capture: --profile auto chose {} ({basis}; {why}); it gives up: {} (--profile NAME to choose)",
        best.name,
        best.misses.as_deref().unwrap_or("nothing it says")
    ));
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
pub fn rotation_location(plan: &Plan) -> String {
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

/// The access-log join of a capture: each node's access-log directory (from
/// `--access-log`, one per `--log`, or the install's server.xml), and how to read it.
fn access_plan(
    plan: &Plan,
    logs: &[crate::source::LogSource],
    jira_version: Option<&str>,
    obs: &mut dyn Observer,
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
    let mut reading = crate::access::reading::decide(
        a.pattern.as_deref(),
        a.duration_unit,
        jira_version,
        install,
    )
    .map_err(anyhow::Error::from)?;
    if let Some(note) = &reading.note {
        obs.note(note);
    }
    let dirs: Vec<PathBuf> = if a.paths.is_empty() {
        let Some(dir) = reading.directory.clone() else {
            return Ok(None);
        };
        if !dir.is_dir() {
            obs.note(&format!(
                "{}: no access-log directory; the capture goes on without the access-log join",
                dir.display()
            ));
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
                if p.is_dir() || crate::source::ssh_path_of(p).is_some() {
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
        // Named by the user, not by the install's server.xml: read where they say (each
        // node of a cluster has an install of its own).
        reading.within = None;
        dirs
    };
    Ok(Some(super::access::LiveAccess { reading, dirs }))
}
