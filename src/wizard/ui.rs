//! The wizard's prompts (dialoguer on stderr) with the two ways out every step offers:
//! going back (`<` in a text field, Esc or "← back" in a menu, an empty secret) and
//! cancelling (Ctrl-C anywhere, or "✗ cancel setup"). A cancel lists what was already
//! applied and how to undo it; nothing else was changed.

use crate::secret::Secret;
use dialoguer::console;
use dialoguer::theme::ColorfulTheme;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// An answer, or the wish to go one step back.
pub enum Ans<T> {
    /// The answer given.
    Val(T),
    /// Go back to the previous step (`<`, Esc, "← back" or an empty secret).
    Back,
}

/// Setup was cancelled (its summary is printed by whoever stops the process).
#[derive(Debug)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("setup cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Something the wizard changed, and how to undo it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// What was changed, for the user (one line).
    pub what: String,
    /// A command that undoes it (e.g. `cp -p BACKUP FILE`).
    pub undo: String,
}

static APPLIED: Mutex<Vec<Applied>> = Mutex::new(Vec::new());
static PROMPTING: AtomicBool = AtomicBool::new(false);
static CANCEL_ASKED: AtomicBool = AtomicBool::new(false);
// Held by whoever prints the cancel summary, until the process exits.
static CANCELLING: Mutex<()> = Mutex::new(());

/// Note a change, so that a cancel or an error can list it with its undo.
pub fn record(a: Applied) {
    APPLIED.lock().unwrap_or_else(|p| p.into_inner()).push(a);
}

/// Every change noted so far, in order.
pub fn applied() -> Vec<Applied> {
    APPLIED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// What to say when setup stops early.
pub fn cancel_summary() -> String {
    let done = applied();
    let mut s = String::from("Setup cancelled.\n");
    if done.is_empty() {
        s.push_str(
            "Nothing was changed: Jira's log levels, the log4j configuration and the jira-patrol \
             configuration are as they were.\n",
        );
    } else {
        s.push_str("Already applied before cancelling (everything else is unchanged):\n");
        for a in &done {
            s.push_str(&format!("  - {}\n    undo: {}\n", a.what, a.undo));
        }
    }
    s
}

#[cfg(unix)]
mod tty {
    use std::sync::Mutex;
    static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

    pub fn save() {
        let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the struct when it returns 0.
        if unsafe { libc::tcgetattr(0, t.as_mut_ptr()) } == 0 {
            *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(unsafe { t.assume_init() });
        }
    }

    /// A Ctrl-C inside a hidden prompt leaves echo off: put the terminal back.
    pub fn restore() {
        if let Some(t) = *SAVED.lock().unwrap_or_else(|p| p.into_inner()) {
            // SAFETY: t came from tcgetattr on the same descriptor.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) };
        }
    }
}

#[cfg(not(unix))]
mod tty {
    pub fn save() {}
    pub fn restore() {}
}

/// How the process leaves when a person cancels at a prompt: set by the executable (only
/// `main` ends the process). Without it the wizard dies of the signal as a program without
/// a handler would.
static LEAVE: std::sync::OnceLock<fn(i32) -> !> = std::sync::OnceLock::new();

/// Called by the executable before the wizard runs: `leave(130)` ends the process.
pub fn on_cancel(leave: fn(i32) -> !) {
    let _ = LEAVE.set(leave);
}

/// Print the summary and leave with status 130 (as after SIGINT). A prompt blocks in a
/// read that no error can interrupt, so the wizard cannot unwind to `main` from here.
pub fn cancel_exit() -> ! {
    let _hold = CANCELLING.lock().unwrap_or_else(|p| p.into_inner());
    tty::restore();
    let term = console::Term::stderr();
    let _ = term.show_cursor();
    eprintln!("\n{}", cancel_summary());
    if let Some(leave) = LEAVE.get() {
        leave(130)
    }
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGINT);
    unreachable!("SIGINT's default action ends the process")
}

/// Ctrl-C while a prompt waits cancels at once; during work (HTTP, file writes) it is
/// remembered and honoured at the next step, so no write is cut in half.
pub struct Interrupts {
    handle: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Interrupts {
    /// Handle Ctrl-C and SIGTERM on a thread until [`Interrupts::uninstall`] or drop; saves the
    /// terminal's modes so a cancel can put them back.
    pub fn install() -> std::io::Result<Interrupts> {
        tty::save();
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
        ])?;
        let handle = signals.handle();
        let thread = std::thread::spawn(move || {
            for _ in signals.forever() {
                if PROMPTING.load(Ordering::SeqCst) {
                    cancel_exit();
                }
                CANCEL_ASKED.store(true, Ordering::SeqCst);
            }
        });
        Ok(Interrupts {
            handle,
            thread: Some(thread),
        })
    }

    /// Stop handling Ctrl-C (before the capture, which restores levels on its own Ctrl-C).
    pub fn uninstall(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Err(Cancelled) when Ctrl-C came while working.
pub fn check_cancel() -> Result<(), Cancelled> {
    if CANCEL_ASKED.load(Ordering::SeqCst) {
        Err(Cancelled)
    } else {
        Ok(())
    }
}

struct Prompting;
impl Prompting {
    fn start() -> Result<Prompting, Cancelled> {
        check_cancel()?;
        PROMPTING.store(true, Ordering::SeqCst);
        Ok(Prompting)
    }
}
impl Drop for Prompting {
    fn drop(&mut self) {
        PROMPTING.store(false, Ordering::SeqCst);
    }
}

fn io_out(e: dialoguer::Error) -> Cancelled {
    let dialoguer::Error::IO(io) = &e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        // console raised SIGINT; the signal thread prints and exits.
        cancel_exit();
    }
    // The terminal went away: nothing more can be asked.
    eprintln!("\nerror: cannot read the terminal: {io}");
    Cancelled
}

fn theme() -> ColorfulTheme {
    ColorfulTheme::default()
}

/// The menu item that goes back one step (listed after a menu's own items).
pub const BACK: &str = "← back";
/// The menu item that cancels the whole setup (listed last).
pub const CANCEL: &str = "✗ cancel setup";

/// A text answer. `<` goes back. `validate` returns an error to show and ask again.
pub fn input(
    prompt: &str,
    default: Option<&str>,
    validate: impl Fn(&str) -> Result<(), String>,
) -> Result<Ans<String>, Cancelled> {
    let _p = Prompting::start()?;
    let t = theme();
    let mut i = dialoguer::Input::<String>::with_theme(&t)
        .with_prompt(format!("{prompt} (< back)"))
        .allow_empty(default.is_none())
        .validate_with(|s: &String| -> Result<(), String> {
            let s = s.trim();
            if s == "<" {
                return Ok(());
            }
            validate(s)
        });
    if let Some(d) = default {
        i = i.default(d.to_string());
    }
    let v = i.interact_text().map_err(io_out)?;
    let v = v.trim().to_string();
    Ok(if v == "<" { Ans::Back } else { Ans::Val(v) })
}

/// A menu; "← back" and "✗ cancel setup" are added. Esc goes back.
pub fn select(prompt: &str, items: &[String], default: usize) -> Result<Ans<usize>, Cancelled> {
    let _p = Prompting::start()?;
    let t = theme();
    let mut all: Vec<&str> = items.iter().map(String::as_str).collect();
    all.push(BACK);
    all.push(CANCEL);
    let got = dialoguer::Select::with_theme(&t)
        .with_prompt(prompt)
        .items(&all)
        .default(default.min(items.len().saturating_sub(1)))
        .interact_opt()
        .map_err(io_out)?;
    match got {
        None => Ok(Ans::Back),
        Some(i) if i == items.len() => Ok(Ans::Back),
        Some(i) if i == items.len() + 1 => Err(Cancelled),
        Some(i) => Ok(Ans::Val(i)),
    }
}

/// A hidden answer, never echoed. Empty goes back.
pub fn secret(prompt: &str) -> Result<Ans<Secret>, Cancelled> {
    let _p = Prompting::start()?;
    let t = theme();
    let v = dialoguer::Password::with_theme(&t)
        .with_prompt(format!("{prompt} (hidden; empty = back)"))
        .allow_empty_password(true)
        .interact()
        .map_err(io_out)?;
    let s = Secret::new(v.trim());
    drop(v);
    Ok(if s.is_empty() { Ans::Back } else { Ans::Val(s) })
}

/// Say something between prompts (on stderr, beside the prompts).
pub fn say(text: impl AsRef<str>) {
    // What the setup says may quote Jira (a server title, an error's text): escaped.
    for line in text.as_ref().split('\n') {
        eprintln!("{}", crate::untrusted::terminal(line));
    }
}

/// Say a paragraph wrapped to the terminal, the first line after `lead`, the others
/// indented to line up under it.
pub fn say_wrapped(lead: &str, text: &str) {
    let width = console::Term::stderr().size().1 as usize;
    let text = crate::untrusted::terminal(text);
    eprint!("{}", wrap(lead, &text, width.clamp(40, 120)));
}

/// Lines stay below `width`: a line that fills the terminal's last column wraps again on
/// terminals that wrap before the newline, leaving an empty line.
fn wrap(lead: &str, text: &str, width: usize) -> String {
    let indent = " ".repeat(lead.chars().count());
    let mut out = String::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for w in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + w.chars().count() >= width {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(w);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_under_the_lead() {
        let s = super::wrap("  costs: ", "one two three four five six", 20);
        assert_eq!(
            s,
            "  costs: one two\n         three four\n         five six\n"
        );
    }

    #[test]
    fn a_line_never_fills_the_terminal() {
        // "  costs: one two three" is 22 characters: on a 22-column terminal it would fill
        // the last column, so "three" goes to the next line.
        let s = super::wrap("  costs: ", "one two three four", 22);
        assert_eq!(s, "  costs: one two\n         three four\n");
        assert!(s.lines().all(|l| l.chars().count() < 22), "{s}");
        let s = super::wrap("  costs: ", "one two three four", 23);
        assert_eq!(s, "  costs: one two three\n         four\n");
    }
}
