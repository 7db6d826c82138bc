//! Steps 1-3: Jira's address, how to log in, and the check that the account can change levels.

use crate::wizard::*;

impl Wizard {
    pub(crate) fn url(&mut self) -> Result<Flow> {
        header(
            Step::Url,
            "Jira's address",
            "The base URL you open Jira with in a browser, e.g. https://jira.example.com or http://host:8080/jira.",
        );
        let url = ask!(ui::input(
            "Jira base URL",
            self.a.url.as_deref(),
            validate_url
        ));
        let url = url.trim_end_matches('/').to_string();
        if self.a.url.as_deref() != Some(url.as_str()) {
            self.client = None;
        }
        self.a.url = Some(url);
        Ok(Flow::Next { asked: true })
    }

    pub(crate) fn auth(&mut self) -> Result<Flow> {
        header(
            Step::Auth,
            "how to log in",
            "An account with the System Administrators permission. A personal access token (PAT) is simplest, \
             but if Jira asks admins to re-enter their password (websudo), only a user name and password get through.\n\
             Secrets are never saved: the setup file only says where to read them.",
        );
        self.client = None;
        self.typed = None;
        let prev = self.a.auth.clone();
        // Questions within the step: going back re-asks the previous one.
        let mut stage = 0;
        let mut kind = prev.as_ref().map_or(AuthKind::Password, |p| p.kind);
        let mut user: Option<String> = None;
        let mut src = 0;
        loop {
            let same_kind = prev.as_ref().filter(|p| p.kind == kind);
            let (what, var) = match kind {
                AuthKind::Token => ("token", "JIRA_TOKEN"),
                AuthKind::Password => ("password", "JIRA_PASSWORD"),
            };
            let back = |stage: usize| -> Option<usize> {
                match stage {
                    0 => None,
                    2 if kind == AuthKind::Token => Some(0),
                    n => Some(n - 1),
                }
            };
            macro_rules! sub {
                ($e:expr) => {
                    match $e? {
                        Ans::Val(v) => v,
                        Ans::Back => match back(stage) {
                            Some(s) => {
                                stage = s;
                                continue;
                            }
                            None => return Ok(Flow::Back),
                        },
                    }
                };
            }
            match stage {
                0 => {
                    let kinds = [
                        "User name and password".to_string(),
                        "Personal access token".to_string(),
                    ];
                    let def = usize::from(kind == AuthKind::Token);
                    let k = sub!(ui::select("Log in with", &kinds, def));
                    kind = if k == 0 {
                        AuthKind::Password
                    } else {
                        AuthKind::Token
                    };
                    stage = if kind == AuthKind::Token { 2 } else { 1 };
                }
                1 => {
                    let def = user
                        .clone()
                        .or_else(|| same_kind.and_then(|p| p.user.clone()))
                        .or_else(|| {
                            std::env::var("JIRA_USER")
                                .ok()
                                .filter(|u| !u.trim().is_empty())
                        });
                    let u = sub!(ui::input("Jira user name", def.as_deref(), |s| {
                        if s.is_empty() || s.chars().any(char::is_control) {
                            Err("type the user name you log in with".into())
                        } else {
                            Ok(())
                        }
                    }));
                    user = Some(u);
                    stage = 2;
                }
                2 => {
                    if kind == AuthKind::Token {
                        user = None;
                    }
                    let env_state = match std::env::var(var) {
                        Ok(s) if !s.trim().is_empty() => "set in this shell",
                        _ => "not set in this shell",
                    };
                    let mut sources = vec![
                        "Type it now (hidden; not saved, asked again at each run)".to_string(),
                        format!("From an environment variable (${var}: {env_state})"),
                    ];
                    if kind == AuthKind::Token {
                        sources.push("From a file holding only the token".to_string());
                    }
                    let def = match same_kind.map(AuthRef::source) {
                        Some(SecretSource::Env(_)) => 1,
                        Some(SecretSource::File(_)) if kind == AuthKind::Token => 2,
                        _ => 0,
                    };
                    src = sub!(ui::select(
                        &format!("Where does the {what} come from?"),
                        &sources,
                        def
                    ));
                    stage = 3;
                }
                _ => {
                    let source = match src {
                        0 => {
                            let label = match &user {
                                Some(u) => format!("Password for {u}"),
                                None => "Personal access token".to_string(),
                            };
                            let s = sub!(ui::secret(&label));
                            self.typed = Some(s);
                            SecretSource::Prompt
                        }
                        1 => {
                            let def = match same_kind.map(AuthRef::source) {
                                Some(SecretSource::Env(v)) => v,
                                _ => var.to_string(),
                            };
                            let v = sub!(ui::input("Environment variable name", Some(&def), |s| {
                                if !config::valid_env_name(s) {
                                    Err("letters, digits and _ only, e.g. JIRA_TOKEN".into())
                                } else if std::env::var(s).map_or(true, |x| x.trim().is_empty()) {
                                    Err(format!("${s} is not set in this shell: export it and run setup again, or type < and choose another way"))
                                } else {
                                    Ok(())
                                }
                            }));
                            SecretSource::Env(v)
                        }
                        _ => {
                            let def = match same_kind.map(AuthRef::source) {
                                Some(SecretSource::File(f)) => Some(f.display().to_string()),
                                _ => None,
                            };
                            let f = sub!(ui::input("Token file", def.as_deref(), |s| {
                                match std::fs::read_to_string(s) {
                                    Ok(t) if !t.trim().is_empty() => Ok(()),
                                    Ok(_) => Err(format!("{s} is empty: put the token in it")),
                                    Err(e) => Err(format!("cannot read {s}: {e}")),
                                }
                            }));
                            SecretSource::File(PathBuf::from(f))
                        }
                    };
                    self.a.auth = Some(AuthRef::new(kind, user, source));
                    return Ok(Flow::Next { asked: true });
                }
            }
        }
    }

    /// The secret for this run: typed, or read from where the reference points.
    pub(crate) fn secret(&mut self, auth: &AuthRef) -> Result<Option<Secret>> {
        if let Some(s) = &self.typed {
            return Ok(Some(s.clone()));
        }
        if auth.source() == SecretSource::Prompt {
            let label = match &auth.user {
                Some(u) => format!("Password for {u}"),
                None => "Personal access token".to_string(),
            };
            return Ok(match ui::secret(&label)? {
                Ans::Val(s) => {
                    self.typed = Some(s.clone());
                    Some(s)
                }
                Ans::Back => None,
            });
        }
        auth.resolve().map(Some)
    }

    pub(crate) fn check(&mut self) -> Result<Flow> {
        header(
            Step::Check,
            "checking the connection",
            "Read-only: who we are, and whether the logging page (System > Logging and profiling) is open to us.",
        );
        let pending = crate::journal::Journal::default_location().and_then(|j| j.all());
        for p in pending.unwrap_or_default() {
            ui::say(format!(
                "note: a previous run left changed levels on {} in its journal: `jira-patrol restore` puts them back",
                p.entry.jira_url
            ));
        }
        let mut asked = false;
        loop {
            ui::check_cancel()?;
            let url = self
                .a
                .url
                .clone()
                .ok_or_else(|| WizardError::Answer("no URL".into()))?;
            let auth = self
                .a
                .auth
                .clone()
                .ok_or_else(|| WizardError::Answer("no authentication".into()))?;
            let Some(secret) = (match self.secret(&auth) {
                Ok(s) => s,
                Err(WizardError::Cancelled) => return Err(WizardError::Cancelled),
                Err(e) => {
                    ui::say(format!("problem: {e:#}"));
                    return Ok(Flow::Back);
                }
            }) else {
                return Ok(Flow::Back);
            };
            let c = match client(
                &url,
                self.a.ca_cert.as_deref(),
                &auth,
                &secret,
                self.a.timeout,
            ) {
                Ok(c) => c,
                Err(e) => {
                    ui::say(format!("problem: {e:#}"));
                    return Ok(Flow::Goto(Step::Url));
                }
            };
            ui::say(format!("Connecting to {url} …"));
            match verify(&c) {
                Ok(v) => {
                    for l in &v.lines {
                        ui::say(l);
                    }
                    self.info = Some(v.info);
                    self.client = Some(c);
                    // Another Jira, or another login: the rate measured before is not its.
                    self.sampled = None;
                    return Ok(Flow::Next { asked });
                }
                Err((lines, e)) => {
                    for l in &lines {
                        ui::say(l);
                    }
                    let text = e.to_string();
                    ui::say(format!(
                        "  FAIL {}",
                        text.lines().next().unwrap_or_default()
                    ));
                    ui::say(format!("  what to do: {}", e.advice()));
                    asked = true;
                    let typed = auth.source() == SecretSource::Prompt;
                    match e {
                        JiraError::AuthFailed { .. } | JiraError::WebSudoFailed { .. } if typed => {
                            // Re-ask the secret right here; empty goes back to the login choice.
                            self.typed = None;
                            continue;
                        }
                        _ => {}
                    }
                    // Offer the login that can work as the default when coming back.
                    match e {
                        JiraError::WebSudoNeedsPassword => {
                            self.a.auth =
                                Some(AuthRef::new(AuthKind::Password, None, SecretSource::Prompt))
                        }
                        JiraError::BasicAuthDisabled { .. } => {
                            self.a.auth =
                                Some(AuthRef::new(AuthKind::Token, None, SecretSource::Prompt))
                        }
                        _ => {}
                    }
                    let mut items = vec!["Try again".to_string()];
                    let mut targets = vec![None];
                    if matches!(e, JiraError::Tls { .. }) {
                        items.push(
                            "Give the CA certificate (PEM) that signed Jira's certificate".into(),
                        );
                        targets.push(Some(Step::Check));
                    }
                    items.push("Change the URL".into());
                    targets.push(Some(Step::Url));
                    items.push("Change how to log in".into());
                    targets.push(Some(Step::Auth));
                    let pick = ask!(ui::select(
                        "What now?",
                        &items,
                        if items.len() > 3 { 1 } else { 0 }
                    ));
                    match targets[pick] {
                        None => continue,
                        Some(Step::Check) => {
                            let def = self.a.ca_cert.as_ref().map(|p| p.display().to_string());
                            let f = ask!(ui::input(
                                "CA certificate file (PEM)",
                                def.as_deref(),
                                |s| {
                                    match std::fs::read_to_string(s) {
                                        Ok(t) if t.contains("-----BEGIN CERTIFICATE-----") => {
                                            Ok(())
                                        }
                                        Ok(_) => Err(format!("{s} holds no PEM certificate")),
                                        Err(e) => Err(format!("cannot read {s}: {e}")),
                                    }
                                }
                            ));
                            self.a.ca_cert = Some(PathBuf::from(f));
                            continue;
                        }
                        Some(s) => return Ok(Flow::Goto(s)),
                    }
                }
            }
        }
    }
}
