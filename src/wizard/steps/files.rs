//! Steps 4-5: the log4j configuration and the log to follow.

use crate::wizard::*;

impl Wizard {
    pub(crate) fn log4j(&mut self) -> Result<Flow> {
        let version = self
            .info
            .as_ref()
            .map(|i| i.version.clone())
            .unwrap_or_default();
        let new = version_at_least(&version, 9, 5);
        let file = match new {
            Some(true) => "log4j2.xml (Jira 9.5 and later)",
            Some(false) => "log4j.properties (Jira 9.4 and earlier)",
            None => "log4j2.xml (Jira 9.5+) or log4j.properties (older)",
        };
        header(
            Step::Log4j,
            "the log4j configuration",
            &format!(
                "Jira {version} reads its logging setup from atlassian-jira/WEB-INF/classes/{file} \
                 in its install directory (the one holding bin/ and atlassian-jira/). It says how large \
                 atlassian-jira.log grows and how many old files are kept: a capture must not rotate away.\n\
                 Give the install directory or the file itself; - skips the rotation step."
            ),
        );
        let mut def = self
            .a
            .log4j_config
            .clone()
            .or_else(|| self.a.jira_install.clone())
            .map(|p| p.display().to_string());
        if def.is_none() {
            for guess in [
                "/opt/atlassian/jira",
                "/opt/atlassian/jira/current",
                "/usr/local/atlassian/jira",
            ] {
                if log4j::locate(Path::new(guess)).is_ok() {
                    ui::say(format!("Found a Jira install at {guess}."));
                    def = Some(guess.to_string());
                    break;
                }
            }
        }
        let given = ask!(ui::input(
            "Jira install directory (- skips)",
            def.as_deref(),
            |s| {
                if s == "-" {
                    return Ok(());
                }
                if s.is_empty() {
                    return Err("type the directory, or - to skip".into());
                }
                find_log4j(Path::new(s)).map(|_| ())
            }
        ));
        if given == "-" {
            self.a.jira_install = None;
            self.a.log4j_config = None;
            self.log4j_path = None;
            ui::say("Skipped: the rotation step is left out; the capture cannot check that the log keeps the window.");
            return Ok(Flow::Next { asked: true });
        }
        let p = PathBuf::from(&given);
        let (path, note) = find_log4j(&p).map_err(WizardError::Answer)?;
        ui::say(format!("Using {}: {note}", path.display()));
        let cfg = Config::load(&path)?;
        match (new, cfg.format()) {
            (Some(true), log4j::Format::Properties) => ui::say(format!(
                "warning: Jira {version} uses log4j2.xml; this log4j 1.x file is probably not the live one"
            )),
            (Some(false), log4j::Format::Log4j2Xml) => ui::say(format!(
                "warning: Jira {version} uses log4j.properties; this log4j2 file is probably not the live one"
            )),
            _ => {}
        }
        if p.is_file() {
            self.a.log4j_config = Some(p);
            self.a.jira_install = None;
        } else {
            self.a.jira_install = Some(p);
            self.a.log4j_config = None;
        }
        self.log4j_path = Some(path);
        Ok(Flow::Next { asked: true })
    }

    pub(crate) fn log(&mut self) -> Result<Flow> {
        let dc = self
            .info
            .as_ref()
            .and_then(|i| i.deployment_type.as_deref())
            .is_some_and(|d| d.eq_ignore_ascii_case("DataCenter"));
        header(
            Step::Log,
            "the log to follow",
            &format!(
                "The capture reads atlassian-jira.log in the Jira home directory (JIRA_HOME/log/, not the install).{}",
                if dc {
                    "\nThis is Data Center: each node writes its own log; give each one this machine can read."
                } else {
                    ""
                }
            ),
        );
        let derived = self
            .a
            .jira_install
            .as_deref()
            .and_then(jira_home_of)
            .or_else(|| std::env::var_os("JIRA_HOME").map(PathBuf::from))
            .map(|h| h.join("log/atlassian-jira.log"))
            .filter(|p| resolve_log(p).is_ok());
        if let (Some(d), true) = (&derived, self.a.logs.is_empty()) {
            ui::say(format!("From the install's jira.home: {}", d.display()));
        }
        let first = self
            .a
            .logs
            .first()
            .cloned()
            .or(derived)
            .map(|p| p.display().to_string());
        let check = |s: &str| resolve_log(Path::new(s)).map(|_| ());
        let l = ask!(ui::input("atlassian-jira.log", first.as_deref(), check));
        let mut logs = vec![resolve_log(Path::new(&l)).map_err(WizardError::Answer)?];
        if dc {
            loop {
                let more = ask!(ui::input(
                    "Another node's atlassian-jira.log (empty = done)",
                    None,
                    |s| {
                        if s.is_empty() {
                            Ok(())
                        } else {
                            check(s)
                        }
                    }
                ));
                if more.is_empty() {
                    break;
                }
                logs.push(resolve_log(Path::new(&more)).map_err(WizardError::Answer)?);
            }
        }
        for l in &logs {
            if !l.exists() {
                ui::say(format!(
                    "note: {} does not exist yet; it is followed once Jira writes it",
                    l.display()
                ));
            }
        }
        self.a.logs = logs;
        Ok(Flow::Next { asked: true })
    }
}
