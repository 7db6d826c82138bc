//! Setup without a terminal: the same answers from flags or a saved setup, asking nothing.

use super::*;

/// Flags that answer each question, for the "cannot ask" message.
pub fn missing_answers(a: &Answers) -> Vec<(&'static str, &'static str)> {
    let mut m = Vec::new();
    if a.url.is_none() {
        m.push(("Jira base URL", "--url URL (or JIRA_URL)"));
    }
    if a.auth.is_none() {
        m.push((
            "how to log in",
            "JIRA_USER and JIRA_PASSWORD, or JIRA_TOKEN; or --user NAME --password-env VAR, --token-env VAR, --token-file FILE",
        ));
    }
    if a.logs.is_empty() {
        m.push(("atlassian-jira.log to follow", "--log PATH (once per node)"));
    }
    m
}

/// What the unattended run may do beyond checking.
#[derive(Debug, Clone, Default)]
pub struct Unattended {
    /// Apply the planned rotation change (the flag is the confirmation).
    pub apply_rotation: bool,
    /// Save the answers to this file.
    pub save_to: Option<PathBuf>,
    /// Print the capture command instead of running it.
    pub no_capture: bool,
    /// The answers given, one line each with where it came from.
    pub known: Vec<String>,
}

/// Run setup from flags and/or a saved setup, asking nothing.
pub fn unattended(a: Answers, u: Unattended) -> Result<()> {
    if !u.known.is_empty() {
        eprintln!("setup: the answers given:");
        u.known.iter().for_each(|l| eprintln!("{l}"));
    }
    let missing = missing_answers(&a);
    if !missing.is_empty() {
        eprintln!("setup cannot ask questions here (no terminal, or --non-interactive); give the answers as flags:");
        for (what, flag) in &missing {
            eprintln!("  {what:<30} {flag}");
        }
        eprintln!("  (optional: --jira-install DIR or --log4j-config FILE, --profile NAME, --for DURATION, --keep DURATION)");
        return Err(WizardError::Answer(format!(
            "{} answer{} missing: pass the flags above, or run from a saved setup with --config FILE",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        )));
    }
    let mut s = a
        .saved()
        .ok_or_else(|| WizardError::Answer("answers incomplete".into()))?;
    s.logs = s
        .logs
        .iter()
        .map(|l| resolve_log(l))
        .collect::<Result<_, _>>()
        .map_err(WizardError::Answer)?;
    let keep = s.keep;
    // The capture's own checks (profile, rotation file) before anything is sent.
    capture_plan(&s).check()?;
    let profile = crate::profiles::load(&s.profile, None)?;
    let secret = s.auth.resolve()?;
    let c = client(&s.url, s.ca_cert.as_deref(), &s.auth, &secret, a.timeout)?;
    eprintln!("checking {} ({})", s.url, s.auth.describe());
    match verify(&c) {
        Ok(v) => v.lines.iter().for_each(|l| eprintln!("{l}")),
        Err((lines, e)) => {
            lines.iter().for_each(|l| eprintln!("{l}"));
            let text = e.to_string();
            return Err(WizardError::Check(format!(
                "{}; {}",
                text.lines().next().unwrap_or_default(),
                e.advice()
            )));
        }
    }
    let log4j_path = match (&s.log4j_config, &s.jira_install) {
        (Some(p), _) | (None, Some(p)) => Some(find_log4j(p).map_err(WizardError::Answer)?.0),
        _ => None,
    };
    if let Some(path) = log4j_path {
        let rph = a.requests_per_hour.unwrap_or(DEFAULT_REQUESTS_PER_HOUR);
        if a.requests_per_hour.is_none() {
            eprintln!(
                "rotation: assuming {rph} requests per hour (--requests-per-hour to say otherwise)"
            );
        }
        let planned = log4j::plan_change(&path, None, volume_per_hour(rph, &profile), keep)?;
        match planned.edit {
            None => eprintln!(
                "rotation: {} keeps {} already; nothing to change",
                path.display(),
                crate::human::duration(s.keep)
            ),
            Some(edit) if u.apply_rotation => {
                eprint!("{}", edit.diff());
                let applied = edit
                    .apply()
                    .map_err(|source| WizardError::Unchanged {
                        path: path.clone(),
                        source,
                    })?;
                eprintln!(
                    "rotation: written {}; backup {}",
                    applied.saved.path.display(),
                    applied.saved.backup.display()
                );
                eprintln!("{}", applied.reload_note);
            }
            Some(_) => eprintln!(
                "rotation: {} keeps less than {}; to change it: {} --log4j-config {} (or pass --apply-rotation)",
                path.display(),
                crate::human::duration(s.keep),
                planned.plan.command,
                shell_quote(&path.display().to_string())
            ),
        }
    }
    if let Some(p) = &u.save_to {
        if std::fs::read_to_string(p).ok().as_deref() != Some(s.to_toml().as_str()) {
            s.save(p)?;
            eprintln!("saved {}", p.display());
        }
    }
    let (cmd, needs) = capture_command(&s);
    if u.no_capture {
        println!("{cmd}");
        eprintln!("({needs})");
        return Ok(());
    }
    eprintln!("running: {cmd}");
    let journal = crate::journal::Journal::default_location()?;
    crate::output::capture::run(&c, &capture_plan(&s), journal)?;
    Ok(())
}
