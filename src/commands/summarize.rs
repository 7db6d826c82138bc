//! `jira-patrol summarize [PATH...]`: the offline summary over existing logs.

use super::access::{one_per_node, AccessArgs, Joins};
use super::conn::{ConnArgs, UserFlag};
use super::output_args::ReportArgs;
use crate::access::join::Http;
use crate::output;
use crate::scan::input::{
    discover, order_by_content, scan_streams_indexed, skip_duplicates, ReadOptions, Source,
};
use crate::scan::{Outcome, Request, Scanner, Zone};
use crate::source::{Location, LogSource};
use crate::summary::{Filter, Summary};
use crate::untrusted::Untrusted;
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
    /// Log files, directories holding atlassian-jira.log*, '-' for standard input,
    /// ssh://[user@]host[:port]/path (filtered on the node: only PAT lines cross the
    /// network) or exec:COMMAND (its output); NODE=... names a node's logs (node2=/copy/of/node2)
    #[arg(value_name = "[NODE=]PATH", required = true)]
    pub paths: Vec<LogSource>,
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

/// One node's logs as `summarize` reads them.
enum Input {
    /// Local rotated sets (files read here).
    Local(Vec<Source>),
    /// A set on another host, filtered there.
    Remote(
        crate::source::SshPath,
        Vec<crate::source::offline::RemoteFile>,
    ),
    /// A command's output, read to its end.
    Exec(String),
}

struct Stream {
    /// Its name in the report: the node given, else the host or the directory.
    name: String,
    /// The name was given (`NODE=...`).
    given: bool,
    input: Input,
}

/// The name a set of local files gets when none was given: the directory holding them,
/// or the one above when that is `log` (`/srv/node2/log/atlassian-jira.log` → `node2`).
fn local_name(files: &[Source]) -> String {
    let Some(Source::File(p)) = files.first() else {
        return "-".into();
    };
    let dir = p.parent().unwrap_or(std::path::Path::new("."));
    let base = |d: &std::path::Path| d.file_name().map(|n| n.to_string_lossy().into_owned());
    match base(dir) {
        Some(n) if n == "log" || n == "logs" => dir.parent().and_then(base).unwrap_or(n),
        Some(n) => n,
        None => p.display().to_string(),
    }
}

/// The streams the arguments name, in their order (consecutive local paths without a
/// node are grouped together, as one `discover`, so files of one set may be given apart).
fn streams(
    args: &[LogSource],
    net: &mut crate::source::tail::Transports,
) -> Result<(Vec<Stream>, Vec<String>)> {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut batch: Vec<PathBuf> = Vec::new();
    let flush =
        |batch: &mut Vec<PathBuf>, out: &mut Vec<Stream>, notes: &mut Vec<String>| -> Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let mut found = discover(batch)?;
            notes.extend(skip_duplicates(&mut found));
            notes.extend(order_by_content(&mut found));
            for g in found {
                out.push(Stream {
                    name: local_name(&g),
                    given: false,
                    input: Input::Local(g),
                });
            }
            batch.clear();
            Ok(())
        };
    for a in args {
        match (&a.node, &a.at) {
            (None, Location::Local(p)) => batch.push(p.clone()),
            (Some(n), Location::Local(p)) => {
                flush(&mut batch, &mut out, &mut notes)?;
                let mut found = discover(std::slice::from_ref(p))?;
                notes.extend(skip_duplicates(&mut found));
                notes.extend(order_by_content(&mut found));
                let several = found.len() > 1;
                for (i, g) in found.into_iter().enumerate() {
                    out.push(Stream {
                        name: if several {
                            format!("{n} ({})", i + 1)
                        } else {
                            n.clone()
                        },
                        given: true,
                        input: Input::Local(g),
                    });
                }
            }
            (n, Location::Ssh(t)) => {
                flush(&mut batch, &mut out, &mut notes)?;
                let ssh = net.ssh()?;
                let (sets, more) = crate::source::offline::sets(&ssh, t)?;
                notes.extend(more);
                let several = sets.len() > 1;
                for (i, g) in sets.into_iter().enumerate() {
                    let name = n.clone().unwrap_or_else(|| t.host.clone());
                    out.push(Stream {
                        name: if several {
                            format!("{name} ({})", i + 1)
                        } else {
                            name
                        },
                        given: n.is_some(),
                        input: Input::Remote(t.clone(), g),
                    });
                }
            }
            (n, Location::Exec(c)) => {
                flush(&mut batch, &mut out, &mut notes)?;
                out.push(Stream {
                    name: n.clone().unwrap_or_else(|| format!("exec:{c}")),
                    given: n.is_some(),
                    input: Input::Exec(c.clone()),
                });
            }
        }
    }
    flush(&mut batch, &mut out, &mut notes)?;
    Ok((out, notes))
}

/// A command's output, to its end, as one file.
fn scan_exec(command: &str, scanner: &mut Scanner, out: &mut dyn FnMut(Request)) -> Result<()> {
    use std::io::Read;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("exec:{command}: cannot run it"))?;
    let mut buf = vec![0u8; 1 << 20];
    scanner.begin_file();
    if let Some(mut o) = child.stdout.take() {
        loop {
            let n = o
                .read(&mut buf)
                .with_context(|| format!("exec:{command}: reading its output"))?;
            if n == 0 {
                break;
            }
            scanner.feed(&buf[..n], out);
        }
    }
    scanner.end_file(out);
    let status = child.wait()?;
    if !status.success() {
        output::say(&format!(
            "warning: exec:{command} ended with {status}: the report covers what it printed"
        ));
    }
    Ok(())
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
    let mut net = crate::source::tail::Transports::new();
    let (streams, notes) = streams(&args.paths, &mut net)?;
    for note in notes {
        output::say(&note);
    }
    let install = args.jira_install.as_deref();
    let mut joins = if args.access.wanted(install) {
        let reading = args.access.reading(None, install)?;
        match args.access.groups(&reading, &mut net)? {
            Some(groups) => {
                one_per_node(streams.len(), groups.len())?;
                let ssh = groups
                    .iter()
                    .flatten()
                    .any(|p| super::access::remote(p).is_some())
                    .then(|| net.ssh())
                    .transpose()?;
                let j = Joins::new(reading, groups, ssh.as_ref());
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
    let mut run = crate::scan::input::ScanRun::default();
    let mut cost = crate::source::offline::Cost::default();
    let mut per_stream = vec![0u64; streams.len()];
    for (index, st) in streams.iter().enumerate() {
        let mut add = |r: Request| {
            if !filter.accepts(&r) {
                return;
            }
            per_stream[index] += 1;
            match &mut joins {
                Some(j) if join_err.is_none() => {
                    if let Err(e) = j.push(index, r, &mut take) {
                        join_err = Some(e);
                    }
                }
                Some(_) => {}
                None => take(r, None),
            }
        };
        match &st.input {
            Input::Local(files) => {
                let r = scan_streams_indexed(
                    std::slice::from_ref(files),
                    &mut scanner,
                    read,
                    &mut |_, r| add(r),
                )?;
                run.files.extend(r.files);
                run.warnings.extend(r.warnings);
                run.partial.extend(r.partial);
            }
            Input::Remote(t, files) => {
                let ssh = net.ssh()?;
                for f in files {
                    let got =
                        crate::source::offline::scan_file(&ssh, t, f, &mut scanner, &mut add)?;
                    cost.read_on_nodes += f.size;
                    cost.transferred += got.transferred;
                    run.files.push(t.with_path(f.path.clone()).to_string());
                    if let Some(p) = got.partial {
                        run.warnings.push(p.clone());
                        run.partial.push(p);
                    }
                }
                scanner.end_stream(&mut add);
            }
            Input::Exec(c) => {
                scan_exec(c, &mut scanner, &mut add)?;
                run.files.push(format!("exec:{c}"));
                scanner.end_stream(&mut add);
            }
        }
    }
    net.close();
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
    let remote = streams.iter().any(|s| matches!(s.input, Input::Remote(..)));
    if streams.len() > 1 || remote || streams.iter().any(|s| s.given) {
        rep.coverage = Some(crate::cluster::Coverage {
            jira: "logs".into(),
            complete: rep.partial.is_empty(),
            nodes: streams
                .iter()
                .map(|s| crate::cluster::NodeCoverage {
                    node: s.name.as_str().into(),
                    read: true,
                    log: Some(Untrusted::new(match &s.input {
                        Input::Local(f) => f
                            .first()
                            .map(|x| match x {
                                Source::File(p) => p.parent().map_or_else(
                                    || p.display().to_string(),
                                    |d| d.display().to_string(),
                                ),
                                Source::Stdin => "-".into(),
                            })
                            .unwrap_or_default(),
                        Input::Remote(t, _) => t.to_string(),
                        Input::Exec(c) => format!("exec:{c}"),
                    })),
                    ..Default::default()
                })
                .collect(),
            transfer: remote.then_some(crate::cluster::Transfer {
                read_on_nodes: cost.read_on_nodes,
                transferred: cost.transferred,
            }),
            ..Default::default()
        });
    }
    if streams.len() > 1 {
        rep.nodes = streams
            .iter()
            .zip(&per_stream)
            .map(|(s, n)| crate::summary::NodeCount {
                log: s.name.clone(),
                requests: *n,
                pat_lines: 0,
                bytes: 0,
            })
            .collect();
    }
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
