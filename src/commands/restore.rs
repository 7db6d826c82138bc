//! `jira-patrol restore` (and `profile revert`): put back every level recorded in the
//! journal, read them back, then delete the journal. Safe to run any number of times.

use super::conn::ConnArgs;
use crate::format::{OutputFormat, Records};
use crate::journal;

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Jira connection (the URL defaults to the one in the journal)
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

pub fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let Some(entry) = journal::pending()? else {
        eprintln!(
            "nothing to restore: no level journal at {}",
            journal::path()?.display()
        );
        return Ok(());
    };
    let client = args.conn.connect_or(Some(&entry.jira_url))?;
    let report = journal::restore(&client)?;
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
    rows.render(args.format, &mut std::io::stdout().lock())?;
    if args.format == OutputFormat::Table {
        if let Some(note) = unset_note(&report) {
            eprintln!("{note}");
        }
        eprintln!(
            "restored {} logger(s) on {}; journal removed",
            report.items.len(),
            report.jira_url
        );
    }
    if let Some(note) = revoked_note(&report) {
        eprintln!("{note}");
    }
    Ok(())
}

pub use crate::capture::run::{revoked_note, unset_note};
