//! The access-log flags shared by `summarize` and `capture`, and how they become a
//! [`Reading`] and one group of access-log files per application-log stream (node).

use crate::access::files::{self, LineReader};
use crate::access::join::{Http, Joiner};
use crate::access::reading::{self, Reading};
use crate::access::DurationUnit;
use crate::scan::Request;
use crate::summary::Report;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// `--access-log`, `--access-log-duration` and `--access-log-pattern`, flattened into the
/// arguments of `summarize` and `capture`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AccessArgs {
    /// Tomcat access logs to join to the PAT requests (files or directories of
    /// access_log.*, here or as ssh://[user@]host[:port]/dir): status, latency, bytes and
    /// User-Agent per token. On Data Center give one per node, in the order of the
    /// application logs
    #[arg(long = "access-log", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Append)]
    pub access_logs: Vec<PathBuf>,
    /// Unit of %D in the access log: ms up to Jira 10, us from Jira 11 [default: from the
    /// Jira or Tomcat version; ms, said so, when unknown]
    #[arg(long, value_enum, value_name = "UNIT")]
    pub access_log_duration: Option<DurationUnit>,
    /// The AccessLogValve pattern the access log was written with [default: from
    /// conf/server.xml under --jira-install, else Jira's stock pattern]
    #[arg(long, value_name = "PATTERN")]
    pub access_log_pattern: Option<String>,
}

impl AccessArgs {
    /// What can be checked before Jira is asked anything: the pattern, the paths, and
    /// one access log per node when they are given.
    pub fn check(&self, nodes: usize) -> Result<()> {
        if let Some(p) = &self.access_log_pattern {
            crate::access::Pattern::parse(p)
                .map_err(|e| anyhow::anyhow!("--access-log-pattern: {e}"))?;
        }
        for p in self.access_logs.iter().filter(|p| remote(p).is_none()) {
            if !p.exists() && !p.parent().is_some_and(|d| d.is_dir()) {
                bail!("--access-log {}: no such file or directory", p.display());
            }
        }
        if !self.access_logs.is_empty() {
            one_per_node(nodes, self.access_logs.len())?;
        }
        Ok(())
    }

    /// Whether a join was asked for, explicitly or through an install directory.
    pub fn wanted(&self, install: Option<&Path>) -> bool {
        !self.access_logs.is_empty() || install.is_some()
    }

    /// Decide the pattern and unit (before any log is read or Jira is touched).
    pub fn reading(&self, connected_jira: Option<&str>, install: Option<&Path>) -> Result<Reading> {
        if let Some(dir) = install {
            if !dir.is_dir() {
                bail!(
                    "--jira-install {}: no such directory (the Jira install holds conf/server.xml and logs/)",
                    dir.display()
                );
            }
        }
        let r = reading::decide(
            self.access_log_pattern.as_deref(),
            self.access_log_duration,
            connected_jira,
            install,
        )?;
        if let Some(note) = &r.note {
            crate::output::say(&format!("note: {note}"));
        }
        Ok(r)
    }

    /// The access-log files, one group per node: from `--access-log`, else from the
    /// install's log directory. `None` when nothing was asked for, or the install has
    /// no access log (said on stderr).
    pub fn groups(
        &self,
        reading: &Reading,
        net: &mut crate::source::tail::Transports,
    ) -> Result<Option<Vec<Vec<PathBuf>>>> {
        if !self.access_logs.is_empty() {
            // Local paths given one after the other are discovered together (files of one
            // directory given apart are one node's); a remote one is listed on its node.
            let mut groups = Vec::new();
            let mut batch: Vec<PathBuf> = Vec::new();
            let prefix = if reading.prefix.is_empty() {
                files::DEFAULT_PREFIX
            } else {
                reading.prefix.as_str()
            };
            for p in &self.access_logs {
                let Some(t) = remote(p) else {
                    batch.push(p.clone());
                    continue;
                };
                if !batch.is_empty() {
                    groups.extend(files::discover(&batch, &reading.prefix)?);
                    batch.clear();
                }
                let ssh = net.ssh()?;
                let mut names: Vec<PathBuf> =
                    crate::source::offline::list_prefixed(&ssh, &t, prefix)?
                        .into_iter()
                        .map(|n| PathBuf::from(t.with_path(n).to_string()))
                        .collect();
                files::order_by_date(&mut names);
                groups.push(names);
            }
            if !batch.is_empty() {
                groups.extend(files::discover(&batch, &reading.prefix)?);
            }
            return Ok(Some(groups));
        }
        let Some(dir) = &reading.directory else {
            return Ok(None);
        };
        let found = match &reading.within {
            Some((root, asked_by)) => files::discover_within(dir, &reading.prefix, root, asked_by),
            None => files::discover(std::slice::from_ref(dir), &reading.prefix),
        };
        match found {
            Err(crate::scan::input::InputError::File(e)) => Err(e.into()),
            Ok(g) => Ok(Some(g)),
            Err(e) => {
                crate::output::say(&format!(
                    "note: {e}; the summary goes on without the access-log join"
                ));
                Ok(None)
            }
        }
    }
}

/// An `--access-log` given as `ssh://…`: where it is on its node.
pub use crate::source::ssh_path_of as remote;

/// Access-log locations pair with application-log streams (nodes) by order, one each.
pub fn one_per_node(nodes: usize, given: usize) -> Result<()> {
    if given != nodes {
        bail!(
            "{nodes} application log(s) (one per node) but {given} access-log location(s): give one --access-log per node, in the order of the application logs"
        );
    }
    Ok(())
}

/// One joiner per stream over its files, and the report section they fill.
pub struct Joins {
    /// One joiner per application-log stream (node), in the order of the streams.
    pub joiners: Vec<Joiner<LineReader>>,
    files: Vec<String>,
    reading: Reading,
}

impl Joins {
    /// One joiner per group of access-log files (one group per node); nothing is read yet.
    /// Files named `ssh://…` are read through `ssh`, as they are stored.
    pub fn new(
        reading: Reading,
        groups: Vec<Vec<PathBuf>>,
        ssh: Option<&crate::source::ssh::Ssh>,
    ) -> Joins {
        let files = groups
            .iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect();
        let joiners = groups
            .into_iter()
            .map(|g| {
                let opener = ssh
                    .filter(|_| g.iter().any(|p| remote(p).is_some()))
                    .map(|ssh| {
                        let ssh = ssh.clone();
                        Box::new(
                            move |p: &Path| -> std::io::Result<Box<dyn std::io::Read + Send>> {
                                match remote(p) {
                                    Some(t) => crate::source::offline::open(&ssh, &t, &t.path),
                                    None => Ok(Box::new(std::fs::File::open(p)?)),
                                }
                            },
                        ) as files::Opener
                    });
                let reader = LineReader::with_opener(g, opener);
                Joiner::new(reading.pattern.clone(), reading.unit, reader)
            })
            .collect();
        Joins {
            joiners,
            files,
            reading,
        }
    }

    /// Hand a PAT request of stream `stream` (an index into the groups) to that node's joiner;
    /// requests whose line was found, or given up, come out through `out` with what it told.
    pub fn push(
        &mut self,
        stream: usize,
        r: Request,
        out: &mut dyn FnMut(Request, Option<Http>),
    ) -> Result<()> {
        self.joiners[stream]
            .push(r, out)
            .context("reading the access log")
    }

    /// The application logs have ended: read each access log as far as a waiting request could
    /// be, and hand out the rest (given up ones with `None`).
    pub fn finish(&mut self, out: &mut dyn FnMut(Request, Option<Http>)) -> Result<()> {
        for j in &mut self.joiners {
            j.finish(out).context("reading the access log")?;
        }
        Ok(())
    }

    /// Fill the report's `access_log` section and say on stderr what needs saying.
    pub fn report(&self, rep: &mut Report) {
        let s = self
            .reading
            .report(self.files.clone(), self.joiners.iter().map(|j| j.stats()));
        let first = self.joiners.iter().find_map(|j| j.first_unparsed());
        say_join(&s, first);
        rep.access_log = Some(s);
    }

    /// The one stderr line that says how the access log is read (pattern and `%D` unit, with
    /// where each came from).
    pub fn notice(&self) -> String {
        self.reading.notice()
    }
}

pub use crate::output::status::{join_line, say_join};
