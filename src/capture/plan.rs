//! The typed capture plan: everything a capture needs (profile, window, logs, access logs,
//! rotation location, keep, guard, self-check, inventory, output), built by `capture`'s
//! arguments, the saved setup, the wizard and the demo alike, checked before any prompt or
//! connection, and printed back as the equivalent `jira-patrol capture` command line.

use crate::access::DurationUnit;
use crate::cluster::Scope;
use crate::format::{Dialect, SummaryFormat};
use crate::source::LogSource;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `--profile auto`: chosen from a sample, not a profile of its own.
pub const AUTO: &str = "auto";

/// How long the self-check waits for its request in the logs unless told otherwise.
pub const DEFAULT_SELF_CHECK: Duration = Duration::from_secs(30);

/// Which verbosity profile the window raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// A profile by name (built-in, user or `--profiles` directory).
    Named(String),
    /// Chosen from a read-only sample of Jira's request rate (`--profile auto`).
    Auto,
}

/// How long the window lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A length from the start (`--for`).
    For(Duration),
    /// Until a point in time (`--until`).
    Until(jiff::Timestamp),
}

impl Window {
    /// The length from now; Err when an `Until` time has passed.
    pub fn length(&self) -> Result<Duration, PlanError> {
        match *self {
            Window::For(d) => Ok(d),
            Window::Until(end) => {
                let secs = end.as_second() - jiff::Timestamp::now().as_second();
                if secs <= 0 {
                    return Err(PlanError::Invalid(format!(
                        "--until: {end} has already passed: use --for to give a length"
                    )));
                }
                Ok(Duration::from_secs(secs as u64))
            }
        }
    }
}

/// Where the log4j configuration that declares the rotation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationAt {
    /// The log4j file itself (`--log4j-config`).
    Log4jFile(PathBuf),
    /// The Jira install directory, the file found inside (`--jira-install`).
    Install(PathBuf),
}

/// The access-log join's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLogs {
    /// `--access-log`: one directory or file per node, in the order of the logs.
    pub paths: Vec<PathBuf>,
    /// `--access-log-duration`: the unit of `%D`.
    pub duration_unit: Option<DurationUnit>,
    /// `--access-log-pattern`.
    pub pattern: Option<String>,
    /// The install whose `conf/server.xml` and `logs/` are read (`--jira-install`, else
    /// the one the setup saved); not printed on its own.
    pub install: Option<PathBuf>,
}

/// How the report is printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// `--format`.
    pub format: SummaryFormat,
    /// `--dialect` (SQL).
    pub dialect: Dialect,
    /// `--wide`: every table column.
    pub wide: bool,
    /// `--csv-raw`: CSV cells exactly as the logs had them (no formula neutralising).
    pub csv_raw: bool,
    /// `--output FILE`: also written there.
    pub path: Option<PathBuf>,
    /// `--tz`: zone of log lines without an offset (`None`: local).
    pub tz: Option<String>,
}

/// One capture, fully decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The profile to raise.
    pub profile: ProfileChoice,
    /// `--profiles DIR`: where else profiles are looked for.
    pub profiles_dir: Option<PathBuf>,
    /// `--sample`: how long `auto` measures (`None`: 5 s).
    pub sample: Option<Duration>,
    /// The window.
    pub window: Window,
    /// `atlassian-jira.log` of each node: a path, `ssh://…` or `exec:…`, perhaps naming
    /// its node (`node2=…`).
    pub logs: Vec<LogSource>,
    /// Which part of a cluster may be read (`--nodes`, `--allow-partial`, `--node-url`).
    pub scope: Scope,
    /// The access-log join.
    pub access: AccessLogs,
    /// Where the rotation is declared (`None`: the guard learns it from the files).
    pub rotation: Option<RotationAt>,
    /// `--keep`: how long the logs must keep lines (`None`: the guard keeps everything on
    /// disk; the end-of-capture check uses a day).
    pub keep: Option<Duration>,
    /// The rotation guard (off with `--no-guard`).
    pub guard: bool,
    /// The self-check's wait (`None`: `--no-self-check`).
    pub self_check: Option<Duration>,
    /// The token inventory after the window (off with `--no-inventory`).
    pub inventory: bool,
    /// How the report is printed.
    pub output: Output,
}

impl Plan {
    /// A plan with the defaults of `capture`: the named profile, guard, self-check and
    /// inventory on, a table on stdout.
    pub fn new(profile: ProfileChoice, window: Window, logs: Vec<LogSource>) -> Plan {
        Plan {
            profile,
            profiles_dir: None,
            sample: None,
            window,
            logs,
            scope: Scope::default(),
            access: AccessLogs::default(),
            rotation: None,
            keep: None,
            guard: true,
            self_check: Some(DEFAULT_SELF_CHECK),
            inventory: true,
            output: Output::default(),
        }
    }

    /// Set where the rotation is declared; an install is also where the access log is.
    pub fn with_rotation(mut self, at: Option<RotationAt>) -> Plan {
        if let Some(RotationAt::Install(d)) = &at {
            self.access.install = Some(d.clone());
        }
        self.rotation = at;
        self
    }

    /// Everything that can be checked without Jira: the window, the profile, the zone, the
    /// access-log pattern, paths and pairing, the rotation file. Run before any prompt or
    /// connection.
    pub fn check(&self) -> Result<(), PlanError> {
        self.window.length()?;
        if self.logs.is_empty() {
            return Err(PlanError::Invalid(
                "which log? give --log JIRA_HOME/log/atlassian-jira.log (once per Data Center node)"
                    .into(),
            ));
        }
        for l in self.logs.iter().filter_map(LogSource::local_path) {
            crate::paths::log_to_follow("--log", l)?;
        }
        if let Some(p) = &self.output.path {
            crate::paths::writable_file("-o/--output", p)?;
        }
        if let Some(d) = &self.profiles_dir {
            crate::paths::readable_dir("--profiles", d)?;
        }
        if let ProfileChoice::Named(name) = &self.profile {
            crate::profiles::load(name, self.profiles_dir.as_deref())?;
        }
        self.zone()?;
        if let Some(p) = &self.access.pattern {
            crate::access::Pattern::parse(p)
                .map_err(|e| PlanError::Invalid(format!("--access-log-pattern: {e}")))?;
        }
        for p in self
            .access
            .paths
            .iter()
            .filter(|p| crate::source::ssh_path_of(p).is_none())
        {
            if !p.exists() && !p.parent().is_some_and(|d| d.is_dir()) {
                return Err(PlanError::Invalid(format!(
                    "--access-log {}: no such file or directory",
                    p.display()
                )));
            }
        }
        if !self.access.paths.is_empty() {
            one_per_node(self.logs.len(), self.access.paths.len())?;
        }
        self.rotation_config()?;
        Ok(())
    }

    /// The zone of log lines without an offset.
    pub fn zone(&self) -> Result<crate::scan::Zone, PlanError> {
        zone(self.output.tz.as_deref())
    }

    /// The log4j configuration the rotation is read from, loaded (a wrong path fails here,
    /// before Jira is touched).
    pub fn rotation_config(&self) -> Result<Option<crate::log4j::Config>, PlanError> {
        let path = match &self.rotation {
            Some(RotationAt::Log4jFile(c)) => c.clone(),
            Some(RotationAt::Install(dir)) => crate::log4j::locate(dir)?.path,
            None => return Ok(None),
        };
        Ok(Some(crate::log4j::Config::load(&path)?))
    }

    /// The `capture` arguments that do what the plan says (connection left out), in the
    /// order a person writes them.
    pub fn argv(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let mut push = |flag: &str, value: String| {
            v.push(flag.to_string());
            v.push(value);
        };
        push(
            "--profile",
            match &self.profile {
                ProfileChoice::Named(n) => n.clone(),
                ProfileChoice::Auto => AUTO.to_string(),
            },
        );
        if let Some(d) = &self.profiles_dir {
            push("--profiles", path(d));
        }
        if let Some(s) = self.sample {
            push("--sample", crate::human::duration(s));
        }
        match self.window {
            Window::For(d) => push("--for", crate::human::duration(d)),
            Window::Until(t) => push("--until", t.to_string()),
        }
        for l in &self.logs {
            push("--log", l.to_string());
        }
        if let Some(n) = &self.scope.nodes {
            push("--nodes", n.join(","));
        }
        for (n, u) in &self.scope.node_urls {
            push("--node-url", format!("{n}={u}"));
        }
        match &self.rotation {
            Some(RotationAt::Log4jFile(c)) => push("--log4j-config", path(c)),
            Some(RotationAt::Install(d)) => push("--jira-install", path(d)),
            None => {}
        }
        if let Some(k) = self.keep {
            push("--keep", crate::human::duration(k));
        }
        for a in &self.access.paths {
            push("--access-log", path(a));
        }
        if let Some(u) = self.access.duration_unit {
            push("--access-log-duration", value_name(u));
        }
        if let Some(p) = &self.access.pattern {
            push("--access-log-pattern", p.clone());
        }
        match self.self_check {
            None => v.push("--no-self-check".into()),
            Some(d) if d != DEFAULT_SELF_CHECK => {
                v.push("--self-check-timeout".into());
                v.push(crate::human::duration(d));
            }
            Some(_) => {}
        }
        if !self.guard {
            v.push("--no-guard".into());
        }
        if self.scope.allow_partial {
            v.push("--allow-partial".into());
        }
        if !self.inventory {
            v.push("--no-inventory".into());
        }
        let o = &self.output;
        if o.format != SummaryFormat::default() {
            v.push("--format".into());
            v.push(value_name(o.format));
        }
        if o.dialect != Dialect::default() {
            v.push("--dialect".into());
            v.push(value_name(o.dialect));
        }
        if o.wide {
            v.push("--wide".into());
        }
        if o.csv_raw {
            v.push("--csv-raw".into());
        }
        if let Some(p) = &o.path {
            v.push("--output".into());
            v.push(path(p));
        }
        if let Some(tz) = &o.tz {
            v.push("--tz".into());
            v.push(tz.clone());
        }
        v
    }
}

/// How a printed command reaches Jira (no secret: those come from the environment, a token
/// file or a prompt).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Jira base URL.
    pub url: String,
    /// User name of a password login.
    pub user: Option<String>,
    /// File holding a personal access token.
    pub token_file: Option<PathBuf>,
    /// Extra CA certificate.
    pub ca_cert: Option<PathBuf>,
}

impl Connection {
    /// The connection flags of `capture`.
    pub fn argv(&self) -> Vec<String> {
        let mut v = vec!["--url".to_string(), self.url.clone()];
        if let Some(u) = &self.user {
            v.extend(["--user".into(), u.clone()]);
        }
        if let Some(f) = &self.token_file {
            v.extend(["--token-file".into(), path(f)]);
        }
        if let Some(c) = &self.ca_cert {
            v.extend(["--ca-cert".into(), path(c)]);
        }
        v
    }
}

/// The shell line `jira-patrol capture ...` that runs this plan on this connection, each
/// argument quoted for a POSIX shell (`shlex`).
pub fn command_line(plan: &Plan, conn: &Connection) -> String {
    let mut words = vec!["jira-patrol".to_string(), "capture".to_string()];
    words.extend(conn.argv());
    words.extend(plan.argv());
    join(&words)
}

/// Words quoted for a POSIX shell and joined by spaces. A word with a NUL byte (which no
/// shell can pass) is printed escaped, so the line never silently drops it.
pub fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// One word quoted for a POSIX shell (`shlex`); unchanged when nothing needs quoting.
pub fn quote(word: &str) -> String {
    match shlex::try_quote(word) {
        Ok(q) => q.into_owned(),
        Err(_) => format!("{word:?}"),
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn value_name<T: clap::ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// Access-log locations pair with application-log streams (nodes) by order, one each.
pub fn one_per_node(nodes: usize, given: usize) -> Result<(), PlanError> {
    if given != nodes {
        return Err(PlanError::Invalid(format!(
            "{nodes} application log(s) (one per node) but {given} access-log location(s): give one --access-log per node, in the order of the application logs"
        )));
    }
    Ok(())
}

/// The zone for log lines without an offset: `--tz NAME`, else the local one.
pub fn zone(tz: Option<&str>) -> Result<crate::scan::Zone, PlanError> {
    match tz {
        None => Ok(crate::scan::Zone::local()),
        Some(name) => jiff::tz::TimeZone::get(name)
            .map(crate::scan::Zone::new)
            .map_err(|_| {
                PlanError::Invalid(format!(
                    "unknown time zone '{name}': use an IANA name such as Europe/Paris or UTC"
                ))
            }),
    }
}

/// What makes a plan unusable; each message says what to give instead.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A value that cannot work (the message names the flag).
    #[error("{0}")]
    Invalid(String),
    /// The profile cannot be found or read.
    #[error(transparent)]
    Profile(#[from] crate::profiles::ProfileError),
    /// The rotation's log4j file cannot be found or read.
    #[error(transparent)]
    Log4j(#[from] crate::log4j::Log4jError),
    /// A log to follow, or the report's file, cannot serve.
    #[error(transparent)]
    Path(#[from] crate::paths::BadPath),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::new(
            ProfileChoice::Named("pats-trace".into()),
            Window::For(Duration::from_secs(900)),
            vec![crate::source::LogSource::local(
                "/var/it's here/log/atlassian-jira.log",
            )],
        )
        .with_rotation(Some(RotationAt::Install("/opt/jira \"x\" install".into())))
    }

    #[test]
    fn the_command_line_round_trips_through_a_shell() {
        let mut p = plan();
        p.keep = Some(Duration::from_secs(86400));
        p.output.path = Some("/tmp/a b/out $HOME.json".into());
        let conn = Connection {
            url: "https://jira.example.com".into(),
            user: Some("ad min".into()),
            token_file: None,
            ca_cert: None,
        };
        let line = command_line(&p, &conn);
        let words = shlex::split(&line).expect("the line splits");
        let mut want = vec!["jira-patrol".to_string(), "capture".to_string()];
        want.extend(conn.argv());
        want.extend(p.argv());
        assert_eq!(words, want);
        assert!(words.contains(&"/opt/jira \"x\" install".to_string()));
        assert!(words.contains(&"/var/it's here/log/atlassian-jira.log".to_string()));
        assert!(words.contains(&"1d".to_string()));
    }

    #[test]
    fn a_missing_log_or_profile_is_refused_before_connecting() {
        let mut p = Plan::new(
            ProfileChoice::Named("no-such-profile".into()),
            Window::For(Duration::from_secs(60)),
            vec![],
        );
        assert!(p.check().unwrap_err().to_string().contains("which log?"));
        p.logs = vec![crate::source::LogSource::local("/tmp/atlassian-jira.log")];
        assert!(p.check().is_err());
        p.profile = ProfileChoice::Auto;
        p.output.tz = Some("Mars/Olympus".into());
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("unknown time zone"));
        p.output.tz = None;
        p.logs = vec![crate::source::LogSource::local(
            "/no/such/atlassian-jira.log",
        )];
        let e = p.check().unwrap_err().to_string();
        assert!(e.starts_with("--log /no/such/atlassian-jira.log: "), "{e}");
        p.logs = vec![crate::source::LogSource::local("/tmp/atlassian-jira.log")];
        p.output.path = Some("/no/such/report.json".into());
        let e = p.check().unwrap_err().to_string();
        assert!(e.contains("create it first"), "{e}");
    }
}
