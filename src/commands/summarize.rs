//! `jira-patrol summarize [PATH...]`: the offline summary over existing logs.

use super::access::{one_per_node, AccessArgs, Joins};
use super::conn::{ConnArgs, UserFlag};
use super::output_args::ReportArgs;
use crate::access::join::Http;
use crate::output;
use crate::scan::input::{
    discover, order_by_content, scan_streams_indexed, skip_duplicates, ReadOptions,
};
use crate::scan::{Outcome, Request, Scanner, Zone};
use crate::summary::{Filter, Summary};
use anyhow::{Context, Result};
use std::io;
use std::path::PathBuf;

pub use crate::format::SummaryFormat;
pub use crate::output::{render, Rendering};

/// Which requests to keep, by who made them.
#[derive(Debug, Clone, clap::Args)]
pub struct WhoArgs {
    /// Only requests with tokens of this owner (user key or login name); repeatable
    #[arg(long = "owner", value_name = "USER")]
    pub users: Vec<String>,
    /// Only this token id; repeatable
    #[arg(long = "token", value_name = "TOKEN_ID")]
    pub tokens: Vec<String>,
    /// Time zone of log lines without a UTC offset (Jira 7.x/8.0) and of the offsetless
    /// dates inside TokenDTO lines (the JVM's), e.g. Europe/Paris [default: local]
    #[arg(long)]
    pub tz: Option<String>,
}

/// The zone for log lines without an offset: `--tz NAME`, else the local one.
pub fn zone(tz: Option<&str>) -> Result<Zone> {
    match tz {
        None => Ok(Zone::local()),
        Some(name) => jiff::tz::TimeZone::get(name).map(Zone::new).map_err(|_| {
            anyhow::anyhow!(
                "unknown time zone '{name}': use an IANA name such as Europe/Paris or UTC"
            )
        }),
    }
}

impl WhoArgs {
    /// The zone of `--tz`, else the local one.
    pub fn zone(&self) -> Result<Zone> {
        zone(self.tz.as_deref())
    }

    /// The user and token filter; errs when a `--token` is not a token id.
    pub fn filter(&self) -> Result<Filter> {
        for t in &self.tokens {
            if !crate::scan::pat::is_token_id(t.as_bytes()) {
                anyhow::bail!("--token {t}: a token id is digits only (e.g. 355510638677); `jira-patrol token-id` computes it from a PAT");
            }
        }
        Ok(Filter {
            users: self.users.clone(),
            tokens: self.tokens.clone(),
            ..Filter::default()
        })
    }
}

/// Which requests to keep, by who and when.
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only requests at or after this time (RFC 3339, or '2024-05-01 14:30' in --tz)
    #[arg(long)]
    pub since: Option<String>,
    /// Only requests before this time
    #[arg(long)]
    pub until: Option<String>,
    /// Which users and tokens.
    #[command(flatten)]
    pub who: WhoArgs,
}

impl FilterArgs {
    /// The whole filter, `--since`/`--until` read in `zone`; errs on a bad time or token id.
    pub fn filter(&self, zone: &Zone) -> Result<Filter> {
        let bound = |v: &Option<String>, flag: &str| -> Result<Option<i64>> {
            v.as_deref()
                .map(|s| crate::scan::time::parse_bound(s, zone.timezone()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        };
        Ok(Filter {
            since_ms: bound(&self.since, "--since")?,
            until_ms: bound(&self.until, "--until")?,
            ..self.who.filter()?
        })
    }
}

/// `jira-patrol summarize PATH...`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--user is the login name of --inventory, as in every command; before, \
it picked an owner here. A --user that cannot be a login (no --inventory, or a token logs in \
and no JIRA_PASSWORD is set) still does, with a note."
)]
pub struct SummarizeArgs {
    /// Log files, directories holding atlassian-jira.log*, or '-' for standard input
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Format, file, SQL dialect, width.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Time, user and token filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Tomcat access logs to join: status, latency, bytes and User-Agent per token.
    #[command(flatten)]
    pub access: AccessArgs,
    /// Jira install directory: its conf/server.xml gives the access log's place and
    /// pattern, and its Tomcat version the unit of %D
    #[arg(long, value_name = "DIR")]
    pub jira_install: Option<PathBuf>,
    /// Add Jira's token inventory (every token; those not seen are listed), over the
    /// connection below (or the saved setup); needs a System Administrator on Data Center
    #[arg(long)]
    pub inventory: bool,
    /// Never memory-map the logs; read them all with read(). By default large rotated
    /// backups (atlassian-jira.log.1, ...) unchanged for 10 s are mapped, which is faster,
    /// and the live log is read, so a copytruncate rotation cannot crash the scan. Use
    /// this when logs sit on a network file system, or when other programs may still cut
    /// rotated files
    #[arg(long)]
    pub no_mmap: bool,
    /// Threads that read and parse the logs [default: the cores available, within any
    /// cgroup quota]; 1 reads on one thread. The report is the same whatever the number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// How to reach Jira for --inventory.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// Summarise the logs of `args.paths` and write the report (stdout or `--output`).
pub fn run(args: SummarizeArgs) -> Result<()> {
    let zone = args.filter.who.zone()?;
    let mut filter = args.filter.filter(&zone)?;
    let conn = match args.conn.user_flag(args.inventory)? {
        UserFlag::Login => args.conn.clone(),
        UserFlag::Owner(u) => {
            filter.users.push(u);
            args.conn.without_user()
        }
    };
    args.report.out.check_paths()?;
    if let Some(d) = &args.jira_install {
        crate::paths::readable_dir("--jira-install", d)?;
    }
    let mut streams = discover(&args.paths)?;
    for note in skip_duplicates(&mut streams) {
        output::say(&note);
    }
    for note in order_by_content(&mut streams) {
        output::say(&note);
    }
    let install = args.jira_install.as_deref();
    let mut joins = if args.access.wanted(install) {
        let reading = args.access.reading(None, install)?;
        match args.access.groups(&reading)? {
            Some(groups) => {
                one_per_node(streams.len(), groups.len())?;
                let j = Joins::new(reading, groups);
                output::say(&j.notice());
                Some(j)
            }
            None => None,
        }
    } else {
        None
    };
    let mut scanner = Scanner::new(zone);
    let mut summary = Summary::new();
    let mut out = args.report.out.open()?;
    let mut write_err: Option<io::Error> = None;
    let mut join_err: Option<anyhow::Error> = None;
    let jsonl = args.report.out.format == SummaryFormat::Jsonl;
    // JSONL builds no summary: its requests without a verdict are counted here.
    let mut jsonl_no_verdict = 0u64;
    let mut take = |r: Request, http: Option<Http>| {
        if jsonl {
            jsonl_no_verdict += u64::from(r.outcome == Some(Outcome::NoVerdict));
            if write_err.is_none() {
                if let Err(e) = output::report::jsonl_event(&r, http.as_ref(), &mut out) {
                    write_err = Some(e);
                }
            }
        } else {
            summary.add_joined(&r, http.as_ref());
        }
    };
    let bar = output::status::ScanBar::new();
    let read = ReadOptions {
        progress: Some(&bar),
        mmap: !args.no_mmap,
        threads: args
            .threads
            .map_or_else(crate::scan::input::default_threads, usize::from),
        chunk: 0,
    };
    let run = scan_streams_indexed(&streams, &mut scanner, read, &mut |stream, r| {
        if !filter.accepts(&r) {
            return;
        }
        match &mut joins {
            Some(j) if join_err.is_none() => {
                if let Err(e) = j.push(stream, r, &mut take) {
                    join_err = Some(e);
                }
            }
            Some(_) => {}
            None => take(r, None),
        }
    })?;
    if let Some(e) = join_err {
        return Err(e);
    }
    if let Some(j) = &mut joins {
        j.finish(&mut take)?;
    }
    if let Some(e) = write_err {
        return Err(e).context("writing the report");
    }
    drop(bar);
    for w in &run.warnings {
        output::say(&format!("warning: {w}"));
    }
    let mut rep = summary.report(run.files, scanner.stats());
    rep.partial = run.partial;
    let no_verdict = if jsonl {
        jsonl_no_verdict
    } else {
        rep.no_verdict
    };
    if let Some(w) = output::report::no_verdict_warning(no_verdict) {
        output::say(&w);
    }
    if let Some(j) = &joins {
        j.report(&mut rep);
    }
    if args.inventory && !jsonl {
        let note = match conn.connect() {
            Ok(client) => crate::inventory::attach_for_users(
                &client,
                &mut rep,
                &filter.users,
                window_end(scanner.stats(), &filter),
            ),
            Err(e) => Some(crate::inventory::unavailable(&mut rep, &format!("{e:#}"))),
        };
        if let Some(n) = note {
            output::say(&n);
        }
    }
    let notes = render(
        &rep,
        &args.report.rendering(),
        &output::html::HtmlMeta::now(),
        &mut out,
    )
    .context("writing the report")?;
    out.finish()?;
    for n in notes {
        output::say(&n);
    }
    if rep.is_empty() && rep.pat_lines == 0 && args.report.out.format == SummaryFormat::Table {
        output::say(
            "hint: no PAT plugin lines at all. Were com.atlassian.pats loggers at TRACE or DEBUG when these logs were written? `jira-patrol capture` sets that up for a window.",
        );
    }
    Ok(())
}

/// The last time the report covers, which the inventory judges expiry at: the last PAT line
/// read (where the logs could last show a use), or `--until` when earlier; now when the
/// logs hold no PAT line and no `--until` is given.
fn window_end(stats: &crate::scan::Stats, filter: &Filter) -> jiff::Timestamp {
    let ms = match (stats.last_pat_ms, filter.until_ms) {
        (Some(last), Some(until)) => Some(last.min(until)),
        (last, until) => last.or(until),
    };
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or_else(jiff::Timestamp::now)
}
