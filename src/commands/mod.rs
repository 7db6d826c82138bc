//! The edge between the person at the terminal and the library: every sub-command
//! lives in its own module with its arguments and a `run` returning `anyhow::Result`.
//! Errors are printed here, once, as one line: `error: what happened: why`.

pub mod access;
pub mod capture;
pub mod check;
pub mod completions;
pub mod conn;
pub mod demo;
pub mod diagnose;
pub mod level;
pub mod log4j_file;
pub mod output_args;
pub mod profile;
pub mod restore;
pub mod setup;
pub mod sim;
pub mod summarize;
pub mod token_id;
pub mod tokens;

use std::process::ExitCode;

/// An error whose message was already shown (or needs none): exit with this code.
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// The process's exit status for how a command ended, printing an error as one
/// `error: ...` line ([`Exit`] carries a status already said).
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    for note in crate::journal::take_notes() {
        crate::output::say(&note);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
                return ExitCode::from(*code);
            }
            if let Some(crate::capture::CaptureError::Interrupted) = e.downcast_ref() {
                // What is left was said when the third signal came.
                return ExitCode::from(130);
            }
            if is_broken_pipe(&e) {
                // `jira-patrol summarize | head` is not an error.
                return ExitCode::SUCCESS;
            }
            crate::output::say(&format!("error: {}", one_line(&e)));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: many errors already quote the
/// system's words (`cannot read X: Permission denied`) that their cause would repeat.
/// Control characters from whatever the message quotes are shown escaped.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let bare = match text.rfind(" (os error ") {
            Some(i) if text.ends_with(')') => &text[..i],
            _ => text.as_str(),
        };
        if line.contains(bare) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    crate::warn::escape(line.as_bytes())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn an_error_says_the_systems_words_once_on_one_line() {
        #[derive(Debug, thiserror::Error)]
        #[error("x.log: cannot read it: {source}")]
        struct Unreadable {
            source: std::io::Error,
        }
        let os = std::io::Error::from_raw_os_error(libc::EACCES);
        let e = anyhow::Error::new(Unreadable { source: os }).context("summary");
        assert_eq!(
            one_line(&e),
            "summary: x.log: cannot read it: Permission denied (os error 13)"
        );
        let e = anyhow::anyhow!("bad\nline\x1b[2J").context("reading");
        assert_eq!(one_line(&e), "reading: bad\\nline\\e[2J");
    }
}
