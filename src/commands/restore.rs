//! `jira-patrol restore` (and `profile revert`): put back every level recorded in the
//! journal of one Jira (`--url`) or of every Jira that has one, read them back, then
//! delete the journal. Safe to run any number of times.

use super::conn::ConnArgs;
use super::output_args::{OutputArgs, Sink};
use crate::format::OutputFormat;
use crate::journal::{Journal, RestoreReport};
use crate::output::{Records, Target};

/// `jira-patrol restore` (and `profile revert`).
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Jira connection (without a URL: every Jira that has a journal)
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
}

/// Restore the Jira of `--url` (or `JIRA_URL`), or else every Jira with a journal, one
/// after the other: a Jira that cannot be reached or refuses is reported and the others
/// are still restored; the exit status is non-zero when anything is left.
pub fn run(args: RestoreArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    let journal = Journal::default_location()?;
    let format = args.out.format;
    let target = args.out.target();
    if let Some(url) = &args.conn.url_or_env() {
        if journal.pending(url)?.is_none() {
            crate::output::say(&format!(
                "nothing to restore on {url}: no level journal {}",
                journal.path_for(url).display()
            ));
            return Ok(());
        }
        let client = args.conn.connect()?;
        let mut out = args.out.open()?;
        restore_one(&journal, &client, format, target, &mut out)?;
        return out.finish();
    }
    let pending = journal.all()?;
    if pending.is_empty() {
        crate::output::say(&format!(
            "nothing to restore: no level journal in {}",
            journal.dir().display()
        ));
        return Ok(());
    }
    let mut urls: Vec<String> = Vec::new();
    for p in &pending {
        if !urls.iter().any(|u| same_url(u, &p.entry.jira_url)) {
            urls.push(p.entry.jira_url.clone());
        }
    }
    let mut failed = Vec::new();
    let mut out = args.out.open()?;
    for url in &urls {
        let done = args
            .conn
            .connect_or(Some(url))
            .and_then(|client| restore_one(&journal, &client, format, target, &mut out));
        if let Err(e) = done {
            crate::output::say(&format!("error: {url}: {e:#}"));
            failed.push(url.as_str());
        }
    }
    out.finish()?;
    if failed.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "levels are left on {}: run `jira-patrol restore --url URL` for each once it answers",
        failed.join(", ")
    )
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Restore one Jira's journal and say what was done. Its old single `journal.json` too,
/// when one is left beside its own file.
fn restore_one(
    journal: &Journal,
    client: &crate::jira::Client,
    format: OutputFormat,
    target: Target,
    out: &mut Sink,
) -> anyhow::Result<()> {
    let live: Vec<_> = journal
        .pending(client.base_url())?
        .map(|e| e.holders.into_iter().filter(|h| h.is_alive()).collect())
        .unwrap_or_default();
    if !live.is_empty() {
        crate::output::say(&format!(
            "note: {} still runs on {}: its levels are put back now, before its window ends",
            crate::capture::holders_text(&live),
            client.base_url()
        ));
    }
    let mut report = journal.restore(client)?;
    if journal.pending(client.base_url())?.is_some() {
        let more = journal.restore(client)?;
        report.items.extend(more.items);
        report.tokens_revoked.extend(more.tokens_revoked);
    }
    print_report(&report, format, target, out)
}

fn print_report(
    report: &RestoreReport,
    format: OutputFormat,
    target: Target,
    out: &mut Sink,
) -> anyhow::Result<()> {
    let mut rows = Records::new(
        "restored",
        &["logger", "was", "now", "previously", "action", "node"],
    );
    for i in &report.items {
        let previously = match (&i.inherited_from, i.was_explicit) {
            (_, true) => "explicit".to_string(),
            (Some(from), false) => format!("inherited from {from}"),
            (None, false) => "inherited".to_string(),
        };
        rows.push(vec![
            i.logger.as_str().into(),
            i.before.as_str().into(),
            i.restored_to.as_str().into(),
            previously.into(),
            i.action.to_string().into(),
            report.node.clone().into(),
        ]);
    }
    rows.render(format, target, out)?;
    if format == OutputFormat::Table {
        if let Some(note) = unset_note(report) {
            crate::output::say(&note);
        }
        crate::output::say(&format!(
            "restored {} logger(s) on {}; journal removed",
            report.items.len(),
            report.jira_url
        ));
    }
    if let Some(note) = revoked_note(report) {
        crate::output::say(&note);
    }
    Ok(())
}

pub use crate::output::capture::{revoked_note, unset_note};
