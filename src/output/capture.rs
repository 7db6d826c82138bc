//! How a capture is seen: its live status while it runs ([`super::status::Live`]), then
//! how it ended — the join, the restore, the self-check, the log's growth and the
//! rotation it needs, the guard's advice — and the report itself, on stdout and in
//! `--output`. `capture`, the setup and the demo all run a capture through [`run`].

use super::status::{self, Live};
use super::{Rendering, Target};
use crate::capture::plan::Plan;
use crate::capture::run::{rotation_location, Finished, Hooks, RunError, DEFAULT_KEEP};
use crate::capture::selfcheck::SelfCheck;
use crate::capture::{holders_text, Outcome};
use crate::format::SummaryFormat;
use crate::human;
use crate::journal::RestoreReport;
use crate::summary::Report;
use std::time::Duration;

/// The rotation guard ended the window early: the report is good but covers less than
/// asked. Not 0, so that a scheduled capture notices the shorter window; not 1, since
/// nothing failed and the levels are back.
pub const EXIT_GUARD: u8 = 3;

/// Run the capture `plan` describes with a connected client, show it as it goes, say how
/// it ended and print its report; `Err` says how it ended when it did not simply finish.
pub fn run(
    client: &crate::jira::Client,
    plan: &Plan,
    journal: crate::journal::Journal,
) -> Result<(), RunError> {
    let window = plan.window.length().unwrap_or(DEFAULT_KEEP);
    let on_request: Option<crate::capture::RequestHook> =
        (plan.output.format == SummaryFormat::Jsonl).then(|| -> crate::capture::RequestHook {
            Box::new(|r, h| {
                let _ = super::report::jsonl_event(r, h, &mut std::io::stdout().lock());
            })
        });
    let hooks = Hooks {
        observer: Box::new(Live::new(window)),
        on_signal: status::on_signal(),
        on_request,
    };
    let f = crate::capture::run::run(client, plan, journal, hooks)?;
    finish(client.base_url(), plan, f)
}

/// Say how a capture ended and print its report (unless its self-check failed: a report
/// would say "nothing happened" about a log that shows nothing).
pub fn finish(jira_url: &str, plan: &Plan, f: Finished) -> Result<(), RunError> {
    let o = &f.outcome;
    if let Some(a) = &o.report.access_log {
        status::say_join(a, None);
    }
    let restored = say_restore(o);
    if let SelfCheck::Failed(fail) = &o.self_check {
        super::say(&format!("error: {fail}"));
        if let Err(left) = &restored {
            super::say(&format!("error: {left}"));
        }
        return Err(RunError::SelfCheckFailed);
    }
    if let Some(w) = super::report::no_verdict_warning(o.report.no_verdict) {
        super::say(&w);
    }
    match &o.guard_trip {
        // Its advice covers the window; a second rotation line would only confuse.
        Some(t) => {
            say_volume(&o.report, None, f.keep, plan);
            say_guard_advice(t, f.window, f.rotation.as_ref(), plan);
        }
        None => say_volume(&o.report, f.rotation.as_ref(), f.keep, plan),
    }
    if let Some(note) = &f.inventory_note {
        super::say(note);
    }
    let mut text = Vec::new();
    let meta = super::html::HtmlMeta::capture(jira_url, &f.profile, o.elapsed);
    let how = Rendering {
        format: plan.output.format,
        dialect: plan.output.dialect,
        wide: plan.output.wide,
        csv: Target::new(plan.output.csv_raw),
    };
    let notes = super::render(&o.report, &how, &meta, &mut text)
        .map_err(|e| anyhow::Error::new(e).context("rendering the summary"))?;
    // `-o FILE` takes the summary off standard output, as in every command.
    super::emit(&text, plan.output.path.as_deref(), false)?;
    if let Some(p) = &plan.output.path {
        super::say(&format!("capture: summary written to {}", p.display()));
    }
    for n in notes {
        super::say(&n);
    }
    if let Err(left) = restored {
        return Err(RunError::NotRestored(left));
    }
    match o.stopped_by {
        Some(s) => Err(RunError::Stopped(s)),
        None if o.guard_trip.is_some() => Err(RunError::GuardTripped),
        None => Ok(()),
    }
}

/// Say how the restore went; Err: the last word of the capture (what is left and what
/// to do).
pub fn say_restore(o: &Outcome) -> Result<(), String> {
    match &o.restore {
        Ok(r) if !r.kept_for.is_empty() => {
            super::say(&format!(
                "capture: Jira's levels stay raised for {}, which puts them back when it ends.",
                holders_text(&r.kept_for)
            ));
            Ok(())
        }
        Ok(r) => {
            let n = r.items.len();
            super::say(&format!(
                "capture: Jira's levels are back as they were ({n} logger(s) restored after {}).",
                human::duration(o.elapsed)
            ));
            if let Some(note) = unset_note(r) {
                super::say(&note);
            }
            if let Some(note) = revoked_note(r) {
                super::say(&note);
            }
            Ok(())
        }
        Err(e @ crate::journal::JournalError::TokenNotRevoked { .. }) => {
            super::say(&format!("error: {e}"));
            Err("the self-check's temporary token is not revoked yet: run `jira-patrol restore` (the journal keeps its id)".into())
        }
        Err(e) => {
            super::say(&format!("error: could not put Jira's levels back: {e}"));
            super::say(&format!(
                "       the journal {} keeps them: run `jira-patrol restore` once Jira answers",
                o.applied.journal.display()
            ));
            Err("the levels were not put back: run `jira-patrol restore` once Jira answers (the journal keeps them)".into())
        }
    }
}

/// The line after the guard's reason: the rotation that would have let the whole window
/// run without losing what was on disk.
fn say_guard_advice(
    t: &crate::capture::guard::Trip,
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
    super::say(&format!(
        "capture: the window ended early to keep the older logs (exit status {EXIT_GUARD}); for the whole {} at this rate: {}{} (then restart Jira), or --no-guard",
        human::duration(window),
        rplan.command,
        rotation_location(plan)
    ));
}

/// How fast the log grew, and whether the rotation keeps `keep` of it at that rate.
fn say_volume(r: &Report, rotation: Option<&crate::log4j::Config>, keep: Duration, plan: &Plan) {
    let (Some(log_h), Some(pat_h)) = (r.volume.log_bytes_per_hour, r.volume.pat_bytes_per_hour)
    else {
        return;
    };
    super::say(&format!(
        "capture: the log grew by {}/hour, {}/hour of it PAT lines ({} PAT lines in {}).",
        human::bytes(log_h),
        human::bytes(pat_h),
        r.volume.pat_lines,
        human::duration(Duration::from_secs(
            r.volume.seconds.unwrap_or(0.0).round() as u64
        ))
    ));
    let Some(cfg) = rotation else { return };
    let Ok(app) = cfg.appender(None) else { return };
    let rplan = crate::log4j::plan(log_h, keep, Some(&app));
    let keep_s = human::duration(keep);
    if rplan.holds_now {
        super::say(&format!(
            "capture: the current rotation ({}) keeps {keep_s} at this rate.",
            app.name
        ));
    } else {
        let loc = rotation_location(plan);
        super::say(&format!(
            "capture: at this rate the current rotation does not keep {keep_s} of log; this would:\n  {}{loc}",
            rplan.command
        ));
    }
}

/// A leftover self-check token that the restore revoked.
pub fn revoked_note(report: &RestoreReport) -> Option<String> {
    (!report.tokens_revoked.is_empty()).then(|| {
        let ids: Vec<String> = report.tokens_revoked.iter().map(u64::to_string).collect();
        format!(
            "revoked the leftover temporary token '{}' of an interrupted self-check (id {})",
            crate::token::SELF_CHECK_NAME,
            ids.join(", ")
        )
    })
}

/// Jira has no "unset": say which loggers now carry their former inherited level
/// explicitly (until Jira restarts).
pub fn unset_note(report: &RestoreReport) -> Option<String> {
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
