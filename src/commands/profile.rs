//! `jira-patrol profile list|show|apply|revert`: named verbosity profiles
//! (library side: `crate::profiles`; changes go through `crate::journal`).

use super::conn::ConnArgs;
use super::output_args::OutputArgs;
use crate::format::OutputFormat;
use crate::journal::Applied;
use crate::output::{Records, Target};
use crate::profiles::{self, Profile};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

/// `jira-patrol profile`: one of its sub-commands.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// Which sub-command.
    #[command(subcommand)]
    pub command: ProfileCommand,
}

/// `--profiles DIR`: where user profiles are looked up first.
#[derive(Debug, Clone, clap::Args)]
pub struct ProfilesDir {
    /// Also look for profiles (NAME.toml) in this directory, before
    /// $XDG_CONFIG_HOME/jira-patrol/profiles and the built-in ones
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
}

impl ProfilesDir {
    /// Fails when `--profiles DIR` is no directory that can be read (it would be skipped
    /// silently, and a profile in it not found).
    pub fn check_paths(&self) -> anyhow::Result<()> {
        if let Some(d) = &self.profiles {
            crate::paths::readable_dir("--profiles", d)?;
        }
        Ok(())
    }
}

/// The `profile` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the available profiles
    List {
        /// Extra profiles directory.
        #[command(flatten)]
        dir: ProfilesDir,
        /// Output format and file.
        #[command(flatten)]
        out: OutputArgs<OutputFormat>,
    },
    /// Show a profile: loggers, levels, what it reveals, what it costs
    Show {
        /// Profile name (or a path to a .toml file)
        name: String,
        /// Extra profiles directory.
        #[command(flatten)]
        dir: ProfilesDir,
        /// Output format and file.
        #[command(flatten)]
        out: OutputArgs<OutputFormat>,
    },
    /// Apply a profile's levels to Jira (journaled; `profile revert` puts them back)
    Apply {
        /// Profile name (or a path to a .toml file)
        name: String,
        /// Extra profiles directory.
        #[command(flatten)]
        dir: ProfilesDir,
        /// Jira connection.
        #[command(flatten)]
        conn: ConnArgs,
        /// Output format and file.
        #[command(flatten)]
        out: OutputArgs<OutputFormat>,
    },
    /// Put back the levels changed by `profile apply` / `level set` (same as `restore`)
    Revert(super::restore::RestoreArgs),
}

/// `jira-patrol profile ...`.
pub fn run(args: ProfileArgs) -> anyhow::Result<()> {
    match args.command {
        ProfileCommand::List { dir, out } => {
            dir.check_paths()?;
            out.check_paths()?;
            let all = profiles::list(dir.profiles.as_deref())?;
            let mut rows = Records::new(
                "profiles",
                &[
                    "name",
                    "loggers",
                    "per_pat_request",
                    "per_other_request",
                    "description",
                    "origin",
                ],
            );
            for p in &all {
                rows.push(vec![
                    p.name.as_str().into(),
                    loggers_text(p).into(),
                    u64::from(p.cost.pat_request).into(),
                    u64::from(p.cost.other_request).into(),
                    p.description.as_str().into(),
                    p.origin.to_string().into(),
                ]);
            }
            let target = out.target();
            out.write(|w| Ok(rows.render(out.format, target, w)?))
        }
        ProfileCommand::Show { name, dir, out } => {
            dir.check_paths()?;
            out.check_paths()?;
            let p = profiles::load(&name, dir.profiles.as_deref())?;
            let target = out.target();
            out.write(|w| show(&p, out.format, target, w))
        }
        ProfileCommand::Apply {
            name,
            dir,
            conn,
            out,
        } => {
            // Load (and validate) before connecting: a bad profile never reaches Jira.
            dir.check_paths()?;
            out.check_paths()?;
            let p = profiles::load(&name, dir.profiles.as_deref())?;
            let journal = crate::journal::Journal::default_location()?;
            let client = conn.connect()?;
            let applied =
                journal.apply(&client, &p.loggers, &format!("profile apply {}", p.name))?;
            print_applied(&applied, &out)?;
            if out.format == OutputFormat::Table {
                crate::output::say(&format!("reveals: {}", one_line(&p.reveals)));
                crate::output::say(&format!("cost: {}", p.cost));
            }
            Ok(())
        }
        ProfileCommand::Revert(a) => super::restore::run(a),
    }
}

fn loggers_text(p: &Profile) -> String {
    p.loggers
        .iter()
        .map(|(l, v)| format!("{l}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn show(
    p: &Profile,
    format: OutputFormat,
    target: Target,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => {
            writeln!(out, "name:        {}", p.name)?;
            writeln!(out, "origin:      {}", p.origin)?;
            writeln!(out, "description: {}", p.description)?;
            writeln!(out, "loggers:")?;
            for (l, v) in &p.loggers {
                writeln!(out, "  {l} = {v}")?;
            }
            writeln!(out, "reveals:     {}", one_line(&p.reveals))?;
            if let Some(m) = &p.misses {
                writeln!(out, "misses:      {}", one_line(m))?;
            }
            writeln!(out, "cost:        {}", p.cost)?;
            Ok(())
        }
        _ => {
            let mut rows = Records::new("loggers", &["profile", "logger", "level"]);
            for (l, v) in &p.loggers {
                rows.push(vec![
                    p.name.as_str().into(),
                    l.as_str().into(),
                    v.as_str().into(),
                ]);
            }
            if format == OutputFormat::Json {
                let doc = serde_json::to_value(p)?;
                crate::output::json::pretty(&mut *out, &doc)?;
                writeln!(out)?;
                Ok(())
            } else {
                rows.render(format, target, out)?;
                Ok(())
            }
        }
    }
}

/// The changes `journal::apply` made, as a report; shared with `level set`.
pub fn print_applied(a: &Applied, out: &OutputArgs<OutputFormat>) -> anyhow::Result<()> {
    let format = out.format;
    let mut rows = Records::new(
        "changes",
        &["logger", "before", "source", "after", "restore_to", "node"],
    );
    for c in &a.changes {
        rows.push(vec![
            c.logger.as_str().into(),
            c.before.as_str().into(),
            c.before_source.to_string().into(),
            c.after.as_str().into(),
            c.restore_to.as_str().into(),
            a.node.clone().into(),
        ]);
    }
    let target = out.target();
    out.write(|w| Ok(rows.render(format, target, w)?))?;
    if format == OutputFormat::Table {
        crate::output::say(&format!(
            "set on {} and read back; previous levels journaled in {}\nrun `jira-patrol restore` to put them back",
            a.jira_url,
            a.journal.display()
        ));
    }
    Ok(())
}
