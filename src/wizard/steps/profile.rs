//! Steps 6-7: the verbosity profile (with a sample of Jira's request rate) and the window.

use crate::wizard::*;

impl Wizard {
    /// The read-only sample `capture --dry-run` takes, once connected and the log known;
    /// `None` when it cannot be taken (no client or log yet), Err(why) when it failed.
    pub(crate) fn request_rate(&mut self) -> Option<Result<Sample, String>> {
        if let Some((logs, r)) = &self.sampled {
            if *logs == self.a.logs {
                return Some(r.clone());
            }
        }
        let c = self.client.as_ref()?;
        if self.a.logs.is_empty() {
            return None;
        }
        // Tests shorten the sample; not a user setting.
        let len = std::env::var("JIRA_PATROL_SAMPLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(PROFILE_SAMPLE, Duration::from_millis);
        ui::say(format!(
            "Measuring Jira's request rate for {} (read-only)…",
            crate::human::duration(len)
        ));
        // Ctrl-C ends the sample at once; the next prompt then cancels.
        let logs: Vec<crate::source::LogSource> =
            self.a.logs.iter().cloned().map(Into::into).collect();
        let r = estimate::sample(c, &logs, len, &|| ui::check_cancel().is_err())
            // One line: the wizard goes on with the static texts whatever the cause.
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string());
        self.sampled = Some((self.a.logs.clone(), r.clone()));
        Some(r)
    }

    pub(crate) fn profile(&mut self) -> Result<Flow> {
        header(
            Step::Profile,
            "what to log",
            "A profile raises some PAT plugin loggers for the capture window only (they are put back after). More detail costs more log lines.",
        );
        let profiles = crate::profiles::list(None)?;
        let rate = match self.request_rate() {
            Some(Ok(s)) => {
                ui::say(format!(
                    "Jira serves {:.1} requests/s now; those with a token cannot be told apart without raising a level, so the figures below count them as none: add each profile's lines per PAT request for them.",
                    s.requests_per_sec
                ));
                Some(s.requests_per_sec)
            }
            Some(Err(e)) => {
                ui::say(format!(
                    "Could not measure Jira's request rate ({e}): costs are given per request."
                ));
                None
            }
            None => None,
        };
        let figures: Vec<Option<estimate::Figure>> = profiles
            .iter()
            .map(|p| rate.map(|r| estimate::figure(p, r, 0.0)))
            .collect();
        // One line per profile; what each shows and misses only when asked for, so that
        // the menu stays on a 40-row screen.
        let mut items: Vec<String> = profiles
            .iter()
            .zip(&figures)
            .map(|(p, f)| match f {
                Some(f) => format!(
                    "{:<20} ≈{}/hour ({} lines), +{} lines per PAT request",
                    p.name,
                    crate::human::bytes(f.bytes_per_hour),
                    f.lines_per_hour,
                    p.cost.pat_request
                ),
                None => format!(
                    "{:<20} ≈{} lines per PAT request, ≈{} per other request",
                    p.name, p.cost.pat_request, p.cost.other_request
                ),
            })
            .collect();
        items.push(EXPLAIN.into());
        let want = self.a.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
        let mut def = profiles.iter().position(|p| p.name == want).unwrap_or(0);
        loop {
            let i = ask!(ui::select("Profile", &items, def));
            if i < profiles.len() {
                self.a.profile = Some(profiles[i].name.clone());
                return Ok(Flow::Next { asked: true });
            }
            let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
            // Back from the question returns to the profile menu.
            if let Ans::Val(j) = ui::select("Explain which profile?", &names, def)? {
                explain(&profiles[j], figures[j].as_ref(), rate);
                def = j;
            }
        }
    }

    pub(crate) fn length(&mut self) -> Result<Flow> {
        header(
            Step::Length,
            "how long to capture",
            "During the window the profile's levels are raised; afterwards, and on Ctrl-C or any error, \
             they are put back. Long enough to catch your scripts' schedules (a nightly job needs a night).",
        );
        let def = crate::human::duration(self.a.duration.unwrap_or(DEFAULT_FOR));
        let d = ask!(ui::input(
            "Capture length (90s, 15m, 2h, 1h30m)",
            Some(&def),
            |s| {
                crate::duration::setup_window(s)
                    .map(|_| ())
                    .map_err(String::from)
            }
        ));
        self.a.duration = Some(crate::duration::setup_window(&d)?);
        Ok(Flow::Next { asked: true })
    }
}

/// The profile menu's item that shows what a profile shows, misses and costs.
const EXPLAIN: &str = "? What does a profile show, miss and cost…";

/// What one profile shows, misses and costs, wrapped to the terminal.
fn explain(p: &crate::profiles::Profile, f: Option<&estimate::Figure>, rate: Option<f64>) {
    ui::say(format!("  {}", p.name));
    ui::say_wrapped("      ", &p.description);
    ui::say_wrapped("      reveals: ", &p.reveals);
    ui::say_wrapped("      costs: ", &p.cost.to_string());
    if let (Some(f), Some(r)) = (f, rate) {
        ui::say_wrapped(
            &format!("      at {r:.1} requests/s: "),
            &format!(
                "≈{} lines/hour, ≈{}/hour, plus {} lines per PAT request; {}",
                f.lines_per_hour,
                crate::human::bytes(f.bytes_per_hour),
                p.cost.pat_request,
                if f.names_token {
                    "names the token of every PAT request"
                } else {
                    "does not name the token"
                }
            ),
        );
    }
    if let Some(m) = &p.misses {
        ui::say_wrapped("      cannot see: ", m);
    }
}
