//! `jira-patrol completions SHELL` and `jira-patrol man [SUBCOMMAND]...`: the shell
//! completion scripts (clap_complete) and the roff manual pages (clap_mangen), both
//! generated from the same clap definition the binary parses with, so they never drift.
//!
//! Both are rendered in memory first and written in one go, so that an error writing to
//! standard output (`| head`) is an ordinary `io::Error` rather than a generator's panic.

use super::Exit;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The name every script completes and every page is titled with, whatever the
/// executable was called when it was run.
const BIN: &str = "jira-patrol";

/// Arguments of `jira-patrol completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, e.g.:\n  \
    jira-patrol completions bash > ~/.local/share/bash-completion/completions/jira-patrol\n  \
    jira-patrol completions zsh > ~/.zfunc/_jira-patrol   # a directory on $fpath\n  \
    jira-patrol completions fish > ~/.config/fish/completions/jira-patrol.fish")]
pub struct CompletionsArgs {
    /// The shell to print the completion script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `jira-patrol man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, e.g.:\n  \
    jira-patrol man > ~/.local/share/man/man1/jira-patrol.1\n  \
    jira-patrol man --out-dir ~/.local/share/man/man1   # and one page per sub-command")]
pub struct ManArgs {
    /// Print this sub-command's page instead of the whole command's (e.g. `capture`,
    /// `profile apply`)
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Vec<String>,
    /// Write the page and one page per sub-command below it (jira-patrol-capture.1, ...)
    /// into this directory instead of printing one; prints the files written
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Print the completion script for one shell on standard output; `cli` is the whole
/// command line as clap builds it (`crate::cli::Cli`'s).
pub fn run_completions(args: CompletionsArgs, cli: clap::Command) -> Result<()> {
    // Names, bin names and the `help` sub-command settled, as the generators expect.
    let mut cmd = cli.name(BIN).bin_name(BIN);
    cmd.build();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut script);
    if args.shell == clap_complete::Shell::Bash {
        script = fix_bash_hyphenated_bin(script);
    }
    write_stdout(&script)
}

/// clap_complete's bash script spells a sub-command's state two ways when the binary's
/// name has a hyphen (clap-rs/clap#6421): the loop over the words sets
/// `jira__patrol__subcmd__capture`, the `case` arm is labelled
/// `jira__subcmd__patrol__subcmd__capture`, so no sub-command's flags ever complete.
/// Relabel the arms the way the loop spells them; a no-op once clap_complete agrees
/// with itself.
fn fix_bash_hyphenated_bin(script: Vec<u8>) -> Vec<u8> {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", BIN.replace('-', SEP));
    let right = format!("{}{SEP}", BIN.replace('-', "__"));
    match String::from_utf8(script) {
        Ok(text) => text.replace(&wrong, &right).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// Print one roff page (the whole command's, or a sub-command's), or with `--out-dir`
/// write one page per command and list the files written; `cli` as for
/// [`run_completions`].
pub fn run_man(args: ManArgs, cli: clap::Command) -> Result<()> {
    // The pages document sub-commands by name: `help` is not one worth a section.
    let mut cmd = cli.name(BIN).bin_name(BIN).disable_help_subcommand(true);
    cmd.build();
    let mut page_of = &cmd;
    for (i, name) in args.subcommand.iter().enumerate() {
        page_of = match page_of.find_subcommand(name) {
            Some(sub) => sub,
            None => {
                let known: Vec<&str> = page_of.get_subcommands().map(|s| s.get_name()).collect();
                let within = match i {
                    0 => BIN.to_string(),
                    _ => format!("{BIN} {}", args.subcommand[..i].join(" ")),
                };
                let msg = if known.is_empty() {
                    format!("`{within}` has no sub-commands, so no page for `{name}`")
                } else {
                    format!(
                        "no sub-command `{name}` in `{within}`; one of: {}",
                        known.join(", ")
                    )
                };
                // A malformed command line: said the way clap says it, with its status.
                let mut all = cmd.clone();
                let man = all
                    .find_subcommand_mut("man")
                    .expect("`man` is a sub-command");
                let _ = man
                    .error(clap::error::ErrorKind::InvalidSubcommand, msg)
                    .print();
                return Err(Exit(2).into());
            }
        };
    }
    match &args.out_dir {
        None => write_stdout(&render(page_of)?),
        Some(dir) => {
            let mut written = Vec::new();
            write_pages(page_of, dir, &mut written)?;
            let list: String = written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect();
            write_stdout(list.as_bytes())
        }
    }
}

fn man(cmd: &clap::Command) -> clap_mangen::Man {
    // Every page says which program and version it documents, not only the top one
    // (clap_mangen would put the sub-command's bare name there).
    clap_mangen::Man::new(cmd.clone()).source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")))
}

fn render(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    man(cmd)
        .render(&mut page)
        .context("rendering the man page")?;
    Ok(page)
}

/// `cmd`'s page and, depth first, those of its visible sub-commands: the pages the
/// SUBCOMMANDS sections refer to (`jira-patrol-capture(1)`).
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let path = dir.join(man(cmd).get_filename());
    crate::paths::write_atomic(&path, &render(cmd)?)
        .with_context(|| format!("writing {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to standard output")
}
