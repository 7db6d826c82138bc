//! Step 8: the rotation the window needs, planned, shown and applied with a backup.

use crate::wizard::*;

impl Wizard {
    pub(crate) fn rotation(&mut self) -> Result<Flow> {
        let Some(path) = self.log4j_path.clone() else {
            header(
                Step::Rotation,
                "log rotation",
                "Skipped: no log4j configuration was given.",
            );
            return Ok(Flow::Next { asked: false });
        };
        header(
            Step::Rotation,
            "log rotation",
            "Raised levels write more: the log must keep what the window wrote until you read it.",
        );
        let main = match Config::load(&path)?.appender(None) {
            Ok(a) => a,
            Err(e) => {
                ui::say(format!("problem: {e}"));
                let i = ask!(ui::select(
                    "What now?",
                    &["Go on without changing rotation".to_string()],
                    0
                ));
                let _ = i;
                return Ok(Flow::Next { asked: true });
            }
        };
        match (main.max_size_bytes, main.backups) {
            (Some(s), Some(n)) => ui::say(format!(
                "Now: {} rotates at {} and keeps {n} old files ({} of history).",
                main.file,
                crate::human::bytes(s),
                crate::human::bytes(s.saturating_mul(n as u64))
            )),
            _ => ui::say(format!(
                "Now: {} ({:?} x {:?}).",
                main.file, main.max_size_raw, main.backups
            )),
        }
        // keep (0) -> requests per hour (1) -> the proposed change (2); < re-asks the previous.
        let mut stage = 0;
        let edit = loop {
            macro_rules! sub {
                ($e:expr) => {
                    match $e? {
                        Ans::Val(v) => v,
                        Ans::Back if stage == 0 => return Ok(Flow::Back),
                        Ans::Back => {
                            stage -= 1;
                            continue;
                        }
                    }
                };
            }
            match stage {
                0 => {
                    let keep_def = self.a.keep.clone().unwrap_or_else(|| DEFAULT_KEEP.into());
                    let keep = sub!(ui::input(
                        "Keep the log for at least (36h, 3d, 2w)",
                        Some(&keep_def),
                        |s| { crate::duration::keep(s).map(|_| ()).map_err(String::from) }
                    ));
                    self.a.keep = Some(keep);
                    stage = 1;
                }
                1 => {
                    ui::say(format!(
                        "How busy is Jira? If you do not know, {DEFAULT_REQUESTS_PER_HOUR} requests per hour is assumed (a busy mid-size Jira); \
                         the capture's summary measures it, and `jira-patrol rotation plan --from-summary` re-plans from that."
                    ));
                    let rph_def = self
                        .a
                        .requests_per_hour
                        .unwrap_or(DEFAULT_REQUESTS_PER_HOUR)
                        .to_string();
                    let rph = sub!(ui::input("Requests per hour", Some(&rph_def), |s| {
                        s.replace('_', "")
                            .parse::<u64>()
                            .map(|_| ())
                            .map_err(|_| "a whole number, e.g. 20000".to_string())
                    }));
                    // Checked by the prompt: a whole number.
                    self.a.requests_per_hour = rph.replace('_', "").parse().ok();
                    stage = 2;
                }
                _ => {
                    let keep = self.a.keep.clone().unwrap_or_else(|| DEFAULT_KEEP.into());
                    let keep_d = crate::duration::keep(&keep)?;
                    let rph = self
                        .a
                        .requests_per_hour
                        .unwrap_or(DEFAULT_REQUESTS_PER_HOUR);
                    let profile = crate::profiles::load(
                        self.a.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
                        None,
                    )?;
                    let bph = volume_per_hour(rph, &profile);
                    // A fresh copy each time: going back and forth must not stack edits.
                    let planned = log4j::plan_change(&path, Some(&main.name), bph, keep_d)?;
                    let plan = &planned.plan;
                    ui::say(format!(
                        "At {rph} requests/hour with {} (assuming every request uses a token): about {}/hour, {} for {keep}.",
                        profile.name,
                        crate::human::bytes(bph),
                        crate::human::bytes(plan.needed_bytes)
                    ));
                    let Some(edit) = planned.edit else {
                        ui::say("The current rotation keeps that: nothing to change.");
                        return Ok(Flow::Next { asked: true });
                    };
                    ui::say(format!(
                        "Proposed: rotate at {} and keep {} old files (up to {} on disk). The change to {}:",
                        crate::human::bytes(plan.max_size_bytes),
                        plan.backups,
                        crate::human::bytes(plan.disk_bytes),
                        path.display()
                    ));
                    ui::say(edit.diff().trim_end());
                    let items = [
                        "Apply this change (the current file is backed up beside it)".to_string(),
                        "Skip it: keep the current rotation".to_string(),
                    ];
                    let pick = sub!(ui::select("Apply?", &items, 0));
                    if pick == 1 {
                        ui::say("Left unchanged.");
                        return Ok(Flow::Next { asked: true });
                    }
                    break edit;
                }
            }
        };
        let applied = edit.apply().map_err(|source| WizardError::Unchanged {
            path: path.clone(),
            source,
        })?;
        let saved = &applied.saved;
        ui::say(format!(
            "Written {}. Backup: {}",
            saved.path.display(),
            saved.backup.display()
        ));
        for c in &applied.changes {
            ui::say(format!("  {c}"));
        }
        ui::say(format!(
            "{}\n{}",
            applied.reload_note,
            log4j::edit::INSTALL_NOTE
        ));
        ui::record(ui::Applied {
            what: format!(
                "log rotation of {} changed in {}",
                main.file,
                saved.path.display()
            ),
            undo: format!(
                "cp -p {} {}",
                shell_quote(&saved.backup.display().to_string()),
                shell_quote(&saved.path.display().to_string())
            ),
        });
        Ok(Flow::Next { asked: true })
    }
}
