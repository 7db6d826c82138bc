//! Steps 9-10: saving the answers and running (or printing) the capture.

use crate::wizard::*;

impl Wizard {
    pub(crate) fn save(&mut self) -> Result<Flow> {
        let path = self.opts.save_to.clone();
        header(
            Step::Save,
            "saving the answers",
            &format!(
                "The answers go to {} (readable by you only), so the next run starts from them.\n\
                 The file holds no secret, only where to read it.",
                path.display()
            ),
        );
        let s = self
            .a
            .saved()
            .ok_or_else(|| WizardError::Answer("answers incomplete".into()))?;
        let text = s.to_toml();
        let old = std::fs::read_to_string(&path).ok();
        if config::load_from(&path).is_ok_and(|o| o == s) {
            ui::say("Already saved with these answers.");
            return Ok(Flow::Next { asked: false });
        }
        match &old {
            Some(o) => {
                ui::say(crate::log4j::write::diff(&path, o.as_bytes(), text.as_bytes()).trim_end())
            }
            None => ui::say(text.trim_end()),
        }
        let items = [
            format!("Save to {}", path.display()),
            "Do not save".to_string(),
        ];
        let pick = ask!(ui::select("Save?", &items, 0));
        if pick == 0 {
            s.save(&path)?;
            ui::say(format!("Saved {} (mode 0600).", path.display()));
        }
        Ok(Flow::Next { asked: true })
    }

    pub(crate) fn run(&mut self, interrupts: &mut Option<ui::Interrupts>) -> Result<Flow> {
        let s = self
            .a
            .saved()
            .ok_or_else(|| WizardError::Answer("answers incomplete".into()))?;
        let d = s.duration;
        header(
            Step::Run,
            "the capture",
            &format!(
                "Raises {} for {}, follows the log, puts every level back, then prints who used which token.",
                s.profile,
                crate::human::duration(d)
            ),
        );
        let (cmd, needs) = capture_command(&s);
        let items = [
            format!("Start the capture now ({})", crate::human::duration(d)),
            "Not now: show the command to run it later".to_string(),
        ];
        let pick = ask!(ui::select("Capture", &items, 0));
        if pick == 1 {
            ui::say("To run the capture later:");
            // Continued with ` \` where it is wider than the terminal: still runs as copied.
            println!("{}", ui::wrap_command(&cmd, ui::width()));
            ui::say(format!("({needs})"));
            if self.opts.save_to.exists() && s.auth.source() != SecretSource::Prompt {
                ui::say("or, from the saved answers:");
                ui::say_command(&format!(
                    "jira-patrol setup --config {} --non-interactive",
                    shell_quote(&self.opts.save_to.display().to_string())
                ));
            }
            return Ok(Flow::Done);
        }
        let plan = capture_plan(&s);
        let client = self
            .client
            .take()
            .ok_or_else(|| WizardError::Answer("not connected".into()))?;
        ui::say("Running:");
        ui::say_command(&cmd);
        // From here the capture owns Ctrl-C: it must put the levels back before leaving.
        if let Some(i) = interrupts.take() {
            i.uninstall();
        }
        let journal = crate::journal::Journal::default_location()?;
        crate::output::capture::run(&client, &plan, journal)?;
        Ok(Flow::Done)
    }
}
