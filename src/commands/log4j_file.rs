//! `jira-patrol rotation show|set|plan` and `level persist|unpersist`: edits of the
//! log4j configuration file (`--log4j-config FILE` or `--jira-install DIR`) (the library side is `crate::log4j`). Every writing command
//! shows a diff with `--dry-run`, otherwise backs up and replaces the file atomically.

use super::output_args::OutputArgs;
use crate::format::OutputFormat;
use crate::level::Level;
use crate::log4j::{self, size, Config, Edit};
use crate::output::Records;
use anyhow::{bail, Context};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the log4j configuration is: `--log4j-config FILE` or `--jira-install DIR`.
#[derive(Debug, Clone, clap::Args)]
pub struct Location {
    /// The log4j configuration file (log4j.properties or log4j2.xml; format read from content)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["jira_install", "config"])]
    pub log4j_config: Option<PathBuf>,
    /// The former spelling of --log4j-config (`setup --config` is the setup file)
    #[arg(
        long,
        value_name = "FILE",
        hide = true,
        conflicts_with = "jira_install"
    )]
    pub config: Option<PathBuf>,
    /// Jira install directory: the live file is found in atlassian-jira/WEB-INF/classes
    #[arg(long, value_name = "DIR")]
    pub jira_install: Option<PathBuf>,
}

/// The note printed when the former `--config` spelling names a log4j file.
pub const CONFIG_RENAMED: &str = "note: --config is now --log4j-config";

impl Location {
    fn given(&self) -> bool {
        self.file().is_some() || self.jira_install.is_some()
    }

    /// The log4j file given, by either spelling (the old one says so on stderr, once).
    pub fn file(&self) -> Option<&PathBuf> {
        static NOTED: std::sync::Once = std::sync::Once::new();
        if self.config.is_some() {
            NOTED.call_once(|| crate::output::say(CONFIG_RENAMED));
        }
        self.log4j_config.as_ref().or(self.config.as_ref())
    }

    /// Load the configuration, saying on stderr which file it is.
    fn load(&self) -> anyhow::Result<Config> {
        let path = match (self.file(), &self.jira_install) {
            (Some(p), _) => p.clone(),
            (None, Some(dir)) => {
                let found = log4j::locate(dir)?;
                crate::output::say(&format!("found {}: {}", found.path.display(), found.note));
                found.path
            }
            (None, None) => {
                bail!("no log4j configuration given: add --log4j-config FILE or --jira-install DIR")
            }
        };
        let cfg = Config::load(&path)?;
        crate::output::say(&format!(
            "config: {} ({})",
            path.display(),
            cfg.format().describe()
        ));
        Ok(cfg)
    }

    /// The same location as command-line arguments, for a printed command.
    fn as_args(&self) -> String {
        match (self.file(), &self.jira_install) {
            (Some(p), _) => format!(" --log4j-config {}", shell_quote(p)),
            (None, Some(d)) => format!(" --jira-install {}", shell_quote(d)),
            _ => String::new(),
        }
    }
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `jira-patrol rotation` arguments.
#[derive(Debug, clap::Args)]
pub struct RotationArgs {
    /// show, set or plan.
    #[command(subcommand)]
    pub command: RotationCommand,
}

/// What `rotation` does.
#[derive(Debug, Subcommand)]
pub enum RotationCommand {
    /// List file appenders: the file each writes, maximum size, backups, the main one
    Show(ShowArgs),
    /// Change maximum file size and/or backup count (of atlassian-jira.log by default)
    Set(SetArgs),
    /// Work out the size and count that keep a given time of log at a measured volume
    Plan(PlanArgs),
}

/// `rotation show` arguments.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The log4j file.
    #[command(flatten)]
    pub location: Location,
    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
}

/// `rotation set` arguments.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["max_size", "backups"])))]
pub struct SetArgs {
    /// The log4j file.
    #[command(flatten)]
    pub location: Location,
    /// Maximum size of each file (log4j spellings: 100MB, 20480KB, 1 GB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, allow_negative_numbers = true)]
    pub max_size: Option<u64>,
    /// Number of rotated files to keep
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub backups: Option<u32>,
    /// The appender to change (default: the one writing atlassian-jira.log)
    #[arg(long, value_name = "NAME")]
    pub appender: Option<String>,
    /// Print the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `rotation plan` arguments.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("volume").required(true).args(["bytes_per_hour", "from_summary"])))]
pub struct PlanArgs {
    /// Log volume per hour (bytes, or 50MB, 1.5GB, ...)
    #[arg(long, value_name = "SIZE", value_parser = parse_volume)]
    pub bytes_per_hour: Option<u64>,
    /// Read the volume from a capture summary (JSON): volume.log_bytes_per_hour,
    /// else volume.pat_bytes_per_hour
    #[arg(long, value_name = "FILE")]
    pub from_summary: Option<PathBuf>,
    /// How much log to keep: 36h, 3d, 2w
    #[arg(long, value_name = "DURATION", value_parser = parse_keep)]
    pub keep: Duration,
    /// Compare with (and plan for) this configuration's appender
    #[command(flatten)]
    pub location: Location,
    /// The appender to plan for (default: the one writing atlassian-jira.log)
    #[arg(long, value_name = "NAME")]
    pub appender: Option<String>,
    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
}

/// `level persist` arguments.
#[derive(Debug, clap::Args)]
pub struct PersistArgs {
    /// Logger (package or class), e.g. com.atlassian.pats
    pub logger: String,
    /// TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF
    pub level: Level,
    /// The log4j file.
    #[command(flatten)]
    pub location: Location,
    /// Attach to this appender (default: the one Jira's own package loggers use)
    #[arg(long, value_name = "NAME")]
    pub appender: Option<String>,
    /// Print the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `level unpersist` arguments.
#[derive(Debug, clap::Args)]
pub struct UnpersistArgs {
    /// Logger (package or class) whose declaration is removed
    pub logger: String,
    /// The log4j file.
    #[command(flatten)]
    pub location: Location,
    /// Print the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_size(s: &str) -> Result<u64, String> {
    size::parse_user(s)
}

fn parse_count(s: &str) -> Result<u32, String> {
    size::parse_count(s)
}

fn parse_volume(s: &str) -> Result<u64, String> {
    if s.trim() == "0" {
        return Ok(0);
    }
    size::parse_user(s)
}

/// `36h`, `3d`, `2w` (a bare number means hours).
pub fn parse_keep(s: &str) -> Result<Duration, String> {
    crate::duration::keep(s).map_err(|e| format!("invalid duration: {e}"))
}

/// `jira-patrol rotation show|set|plan`.
pub fn run_rotation(args: RotationArgs) -> anyhow::Result<()> {
    match args.command {
        RotationCommand::Show(a) => show(a),
        RotationCommand::Set(a) => set(a),
        RotationCommand::Plan(a) => plan(a),
    }
}

fn show(args: ShowArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    let cfg = args.location.load()?;
    let appenders = cfg.appenders_with_notes();
    if appenders.is_empty() {
        crate::output::say(&format!("no file appenders in {}", cfg.path().display()));
    }
    let mut out = args.out.open()?;
    if args.out.format == OutputFormat::Table {
        let mut r = Records::new(
            "appenders",
            &[
                "appender",
                "file",
                "max_size",
                "effective",
                "backups",
                "main",
                "note",
            ],
        );
        for (a, notes) in &appenders {
            r.push(vec![
                a.name.clone().into(),
                a.file.clone().into(),
                a.max_size_raw.clone().into(),
                a.max_size_bytes.map(crate::human::bytes).into(),
                a.backups.map(|b| b as u64).into(),
                (if a.is_main { "yes" } else { "" }).into(),
                notes.join("; ").into(),
            ]);
        }
        r.render(args.out.format, args.out.target(), &mut out)?;
    } else {
        let mut r = Records::new(
            "appenders",
            &[
                "appender",
                "file",
                "max_size_raw",
                "max_size_bytes",
                "backups",
                "is_main",
                "note",
            ],
        );
        for (a, notes) in &appenders {
            r.push(vec![
                a.name.clone().into(),
                a.file.clone().into(),
                a.max_size_raw.clone().into(),
                a.max_size_bytes.into(),
                a.backups.map(|b| b as u64).into(),
                a.is_main.into(),
                (!notes.is_empty()).then(|| notes.join("; ")).into(),
            ]);
        }
        r.render(args.out.format, args.out.target(), &mut out)?;
    }
    out.finish()
}

fn set(args: SetArgs) -> anyhow::Result<()> {
    let cfg = args.location.load()?;
    let target = cfg.appender(args.appender.as_deref())?;
    let edit = Edit::rotation(cfg, Some(&target.name), args.max_size, args.backups)?;
    let after = edit.config().appender(Some(&target.name))?;
    let notes = edit.config().notes(&after);
    finish(
        edit,
        &format!("appender '{}' ({})", target.name, target.file),
        args.dry_run,
    )?;
    if let (Some(size), Some(n)) = (after.max_size_bytes, after.backups) {
        crate::output::say(&format!(
            "{} rotates at {} and keeps {n} old files: up to {} on disk",
            after.file,
            crate::human::bytes(size),
            crate::human::bytes(size.saturating_mul(n as u64 + 1))
        ));
    }
    // What was not asked may still be wrong (an invalid size log4j ignores, say).
    for note in notes {
        crate::output::say(&format!("note: {note}"));
    }
    Ok(())
}

/// `jira-patrol level persist`: declare a logger's level in the file.
pub fn run_persist(args: PersistArgs) -> anyhow::Result<()> {
    let mut cfg = args.location.load()?;
    let changes = cfg.persist_logger(&args.logger, args.level, args.appender.as_deref())?;
    finish(
        Edit::new(cfg, changes),
        &format!("logger '{}'", args.logger),
        args.dry_run,
    )
}

/// `jira-patrol level unpersist`: remove a logger's declaration from the file.
pub fn run_unpersist(args: UnpersistArgs) -> anyhow::Result<()> {
    let mut cfg = args.location.load()?;
    let changes = cfg.unpersist_logger(&args.logger)?;
    if changes.is_empty() {
        println!(
            "logger '{}' is not declared in {}: nothing to remove",
            args.logger,
            cfg.path().display()
        );
        return Ok(());
    }
    finish(
        Edit::new(cfg, changes),
        &format!("logger '{}'", args.logger),
        args.dry_run,
    )
}

/// Dry run: the diff. Otherwise: save, then say what changed, where the backup is and
/// when Jira will notice.
fn finish(edit: Edit, what: &str, dry_run: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let path = edit.config().path().to_path_buf();
    if !edit.is_change() {
        writeln!(
            out,
            "{what}: {} already says so; nothing to change",
            path.display()
        )?;
        return Ok(());
    }
    if dry_run {
        write!(out, "{}", edit.diff())?;
        out.flush()?;
        crate::output::say(&format!(
            "dry run: nothing written; once written: {}",
            edit.reload_note()
        ));
        return Ok(());
    }
    let applied = edit
        .apply()
        .with_context(|| format!("{} left unchanged", path.display()))?;
    writeln!(out, "{what} in {}:", applied.saved.path.display())?;
    for c in &applied.changes {
        writeln!(out, "  {c}")?;
    }
    writeln!(out, "backup: {}", applied.saved.backup.display())?;
    writeln!(out, "{}", applied.reload_note)?;
    writeln!(out, "{}", log4j::edit::INSTALL_NOTE)?;
    Ok(())
}

/// The volume per hour from a capture summary: total log growth first (rotation has to
/// hold the whole log), PAT lines only as a fallback.
fn volume_from_summary(path: &Path) -> anyhow::Result<(u64, &'static str)> {
    // Only `volume` is needed; a file larger than any summary is refused unread.
    let text = crate::inputfile::read_capped_text(path, crate::inputfile::CONFIG_CAP, "summary")
        .context("--from-summary")?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON: give a summary written by `jira-patrol capture` (--format json)",
            path.display()
        )
    })?;
    for key in ["log_bytes_per_hour", "pat_bytes_per_hour"] {
        let field = &v["volume"][key];
        let n = match field {
            serde_json::Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.ceil() as u64)
            }),
            serde_json::Value::String(s) => parse_volume(s).ok(),
            _ => None,
        };
        if let Some(n) = n {
            let name = if key == "log_bytes_per_hour" {
                "volume.log_bytes_per_hour"
            } else {
                "volume.pat_bytes_per_hour (PAT lines only: the whole log grows faster)"
            };
            return Ok((n, name));
        }
    }
    bail!(
        "{} has neither volume.log_bytes_per_hour nor volume.pat_bytes_per_hour: pass --bytes-per-hour",
        path.display()
    )
}

fn plan(args: PlanArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    let (bph, source) = match (&args.from_summary, args.bytes_per_hour) {
        (Some(p), _) => {
            let (n, field) = volume_from_summary(p)?;
            (n, format!("{} {field}", p.display()))
        }
        (None, Some(n)) => (n, "--bytes-per-hour".to_string()),
        (None, None) => bail!("give --bytes-per-hour SIZE or --from-summary FILE"),
    };
    let current = if args.location.given() {
        let cfg = args.location.load()?;
        Some(cfg.appender(args.appender.as_deref())?)
    } else {
        if args.appender.is_some() {
            bail!("--appender needs --log4j-config FILE or --jira-install DIR to read it from");
        }
        None
    };
    let p = log4j::plan(bph, args.keep, current.as_ref());
    let command = format!("{}{}", p.command, args.location.as_args());
    let keep_hours = args.keep.as_secs() / 3600;
    let mut out = args.out.open()?;
    if args.out.format == OutputFormat::Table {
        let approx = crate::human::bytes;
        let mut rows: Vec<Vec<String>> = vec![
            vec![
                "volume".into(),
                format!("{}/h (from {source})", approx(bph)),
            ],
            vec![
                "keep".into(),
                format!("{keep_hours}h: needs {} of log", approx(p.needed_bytes)),
            ],
        ];
        if let Some(a) = &current {
            let keeps = p
                .current_keeps_bytes
                .map(approx)
                .unwrap_or_else(|| "unknown".into());
            rows.push(vec![
                "current".into(),
                format!(
                    "{}: {} x {} keeps {keeps}: {}",
                    a.name,
                    a.max_size_bytes
                        .map(crate::human::bytes)
                        .unwrap_or("-".into()),
                    a.backups.map(|b| b.to_string()).unwrap_or("-".into()),
                    if p.holds_now {
                        "holds"
                    } else {
                        "does not hold"
                    }
                ),
            ]);
        }
        rows.push(vec![
            "plan".into(),
            format!(
                "max size {}, {} backups: keeps {}, up to {} on disk",
                crate::human::bytes(p.max_size_bytes),
                p.backups,
                approx(p.max_size_bytes * p.backups as u64),
                approx(p.disk_bytes)
            ),
        ]);
        rows.push(vec![
            "command".into(),
            if p.holds_now {
                "none needed".into()
            } else {
                command.clone()
            },
        ]);
        for r in rows {
            writeln!(out, "{:<8} {}", r[0], r[1])?;
        }
    } else {
        let mut r = Records::new(
            "plan",
            &[
                "bytes_per_hour",
                "keep_hours",
                "needed_bytes",
                "appender",
                "current_max_size_bytes",
                "current_backups",
                "current_keeps_bytes",
                "holds_now",
                "max_size",
                "max_size_bytes",
                "backups",
                "disk_bytes",
                "command",
            ],
        );
        r.push(vec![
            bph.into(),
            keep_hours.into(),
            p.needed_bytes.into(),
            current.as_ref().map(|a| a.name.clone()).into(),
            current.as_ref().and_then(|a| a.max_size_bytes).into(),
            current
                .as_ref()
                .and_then(|a| a.backups)
                .map(|b| b as u64)
                .into(),
            p.current_keeps_bytes.into(),
            p.holds_now.into(),
            size::human_exact(p.max_size_bytes).into(),
            p.max_size_bytes.into(),
            (p.backups as u64).into(),
            p.disk_bytes.into(),
            command.into(),
        ]);
        r.render(args.out.format, args.out.target(), &mut out)?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_accepts_hours_days_weeks() {
        assert_eq!(parse_keep("3d"), Ok(Duration::from_secs(3 * 86400)));
        assert_eq!(parse_keep("36h"), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse_keep("2w"), Ok(Duration::from_secs(14 * 86400)));
        assert!(parse_keep("0d").is_err());
        assert!(parse_keep("3 months").is_err());
        assert!(parse_keep("1.5d").is_err());
    }

    #[test]
    fn printed_paths_survive_a_shell() {
        assert_eq!(shell_quote(Path::new("/opt/jira/x.xml")), "/opt/jira/x.xml");
        assert_eq!(shell_quote(Path::new("/a b/it's")), "'/a b/it'\\''s'");
    }
}
