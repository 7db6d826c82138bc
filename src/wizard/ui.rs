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

fn theme() -> Fit {
    Fit {
        inner: ColorfulTheme::default(),
        width: width(),
    }
}

/// dialoguer's colourful theme, kept inside the terminal's width: a prompt, an answer or
/// an error that would reach the last column goes on on a line of its own, so that the
/// terminal never splits a word (80 columns is the design size).
struct Fit {
    inner: ColorfulTheme,
    width: usize,
}

impl Fit {
    fn fits(&self, s: &str) -> bool {
        console::measure_text_width(s) < self.width
    }
}

impl dialoguer::theme::Theme for Fit {
    fn format_prompt(&self, f: &mut dyn std::fmt::Write, prompt: &str) -> std::fmt::Result {
        self.inner.format_prompt(f, prompt)
    }

    fn format_error(&self, f: &mut dyn std::fmt::Write, err: &str) -> std::fmt::Result {
        let opts = textwrap::Options::new(self.width.saturating_sub(2)).subsequent_indent("  ");
        self.inner.format_error(f, &textwrap::fill(err, opts))
    }

    fn format_input_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        default: Option<&str>,
    ) -> std::fmt::Result {
        let mut whole = String::new();
        self.inner
            .format_input_prompt(&mut whole, prompt, default)?;
        // Room for a short answer typed after it.
        if default.is_none() || console::measure_text_width(&whole) + 16 < self.width {
            return f.write_str(&whole);
        }
        let mut head = String::new();
        self.inner.format_prompt(&mut head, prompt)?;
        writeln!(f, "{head}")?;
        f.write_str("  ")?;
        self.inner.format_input_prompt(f, "", default)
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> std::fmt::Result {
        let mut whole = String::new();
        self.inner
            .format_input_prompt_selection(&mut whole, prompt, sel)?;
        if self.fits(&whole) {
            return f.write_str(&whole);
        }
        // The answer on a line of its own, under the prompt.
        let mut head = String::new();
        self.inner
            .format_input_prompt_selection(&mut head, prompt, "")?;
        write!(
            f,
            "{}\n    {}",
            head.trim_end(),
            self.inner.values_style.apply_to(sel)
        )
    }

    fn format_password_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
    ) -> std::fmt::Result {
        self.inner.format_password_prompt(f, prompt)
    }

    fn format_password_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
    ) -> std::fmt::Result {
        self.inner.format_password_prompt_selection(f, prompt)
    }

    fn format_select_prompt(&self, f: &mut dyn std::fmt::Write, prompt: &str) -> std::fmt::Result {
        self.inner.format_select_prompt(f, prompt)
    }

    // The colourful theme draws a chosen menu item as an input's answer.
    fn format_select_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> std::fmt::Result {
        self.format_input_prompt_selection(f, prompt, sel)
    }

    fn format_select_prompt_item(
        &self,
        f: &mut dyn std::fmt::Write,
        text: &str,
        active: bool,
    ) -> std::fmt::Result {
        self.inner.format_select_prompt_item(f, text, active)
    }
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

/// Say something between prompts (on stderr, beside the prompts), each line wrapped to
/// the terminal's width (see [`wrap`]).
pub fn say(text: impl AsRef<str>) {
    eprint!("{}", wrap(&shown(text.as_ref()), width()));
}

/// What the setup says may quote Jira (a server title, an error's text): each line escaped
/// for the terminal.
fn shown(text: &str) -> String {
    text.split('\n')
        .map(|l| crate::untrusted::terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Say a command as [`wrap_command`] laid it out (not wrapped again: it must run as copied).
pub fn say_command(cmd: &str) {
    eprintln!("{}", wrap_command(cmd, width()));
}

/// Say a paragraph wrapped to the terminal, the first line after `lead`, the others
/// indented to line up under it.
pub fn say_wrapped(lead: &str, text: &str) {
    let indent = " ".repeat(textwrap::core::display_width(lead));
    let opts = textwrap::Options::new(width())
        .initial_indent(lead)
        .subsequent_indent(&indent)
        .break_words(false);
    let text = crate::untrusted::terminal(text);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for l in textwrap::wrap(&text, opts) {
        eprintln!("{l}");
    }
}

/// The width to wrap at: one less than the terminal's (a line that fills the last column
/// wraps again on terminals that wrap before the newline, leaving an empty line), at
/// least 40.
pub fn width() -> usize {
    let cols = console::Term::stderr().size().1 as usize;
    cols.saturating_sub(1).max(40)
}

/// Each line of `text` wrapped to `width` between words (never inside one: a path or a
/// URL longer than the line stays whole), continuation lines indented as the line began,
/// plus two for a list item (`- `, `* `).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let indent = " ".repeat(hanging_indent(line));
        let opts = textwrap::Options::new(width)
            .subsequent_indent(&indent)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for l in textwrap::wrap(line, opts) {
            out.push_str(l.trim_end());
            out.push('\n');
        }
        if line.trim().is_empty() {
            out.push('\n');
        }
    }
    out
}

/// Where a wrapped line's continuation starts: under the last column of a layout such as
/// `  ok   websudo        passed` (text after two or more spaces, within the first 40
/// columns), else under a list item's text (`- `), else at the line's own indent.
fn hanging_indent(line: &str) -> usize {
    let lead = line.len() - line.trim_start().len();
    let b = line.as_bytes();
    let column = (lead.max(2)..b.len().min(40))
        .filter(|&i| b[i] != b' ' && b[i - 1] == b' ' && b[i - 2] == b' ')
        .rfind(|&i| line.is_char_boundary(i));
    match column {
        Some(c) if c > lead => textwrap::core::display_width(&line[..c]),
        _ if line.trim_start().starts_with("- ") => lead + 2,
        _ => lead,
    }
}

/// A shell command wrapped to `width` for a terminal, continued with ` \` between its
/// words (never inside a quoted one), so that it still runs when copied as shown.
pub fn wrap_command(cmd: &str, width: usize) -> String {
    let mut words: Vec<String> = Vec::new();
    let (mut cur, mut quote, mut escaped) = (String::new(), None::<char>, false);
    for c in cmd.chars() {
        match (c, quote) {
            _ if escaped => escaped = false,
            ('\\', q) if q != Some('\'') => escaped = true,
            ('\'' | '"', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (' ', None) => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    // A flag stays on the line of its value.
    let mut units: Vec<String> = Vec::new();
    for w in words {
        match units.last_mut() {
            Some(u) if u.starts_with("--") && !u.contains(' ') && !w.starts_with('-') => {
                u.push(' ');
                u.push_str(&w);
            }
            _ => units.push(w),
        }
    }
    let mut out = String::new();
    let mut line = String::new();
    for w in units {
        let wide = |s: &str| textwrap::core::display_width(s);
        // Room for " \" at the end of a continued line.
        if !line.is_empty() && wide(&line) + 1 + wide(&w) + 2 > width {
            out.push_str(&line);
            out.push_str(" \\\n");
            line = "    ".to_string();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&w);
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_between_words_under_their_indent() {
        let s = wrap("  costs: one two three four five six", 20);
        assert_eq!(s, "  costs: one two\n  three four five\n  six\n");
        let s = wrap(
            "  ok   websudo        passed with the password of admin",
            40,
        );
        assert_eq!(
            s,
            "  ok   websudo        passed with the\n                      password of admin\n"
        );
        let s = wrap("- a list item that wraps", 16);
        assert_eq!(s, "- a list item\n  that wraps\n");
        // A word longer than the line is never cut.
        let long = "/var/atlassian/application-data/jira/log/atlassian-jira.log";
        assert!(wrap(&format!("log: {long}"), 30).contains(long));
        assert!(wrap("one two three four", 23)
            .lines()
            .all(|l| l.chars().count() <= 23));
    }

    #[test]
    fn a_wrapped_command_still_splits_into_the_same_words() {
        let cmd = "JIRA_PASSWORD=\"$MY_PW\" jira-patrol capture --url https://jira.example.com \
                   --user admin --log '/var/it'\\''s here/atlassian-jira.log' --for 15m";
        let w = wrap_command(cmd, 44);
        assert_eq!(
            w,
            "JIRA_PASSWORD=\"$MY_PW\" jira-patrol capture \\\n    \
             --url https://jira.example.com \\\n    \
             --user admin \\\n    \
             --log '/var/it'\\''s here/atlassian-jira.log' \\\n    \
             --for 15m"
        );
        let joined = w.replace(" \\\n", " ");
        assert_eq!(shlex::split(&joined), shlex::split(cmd), "{w}");
        assert_eq!(
            wrap_command(cmd, 500),
            cmd.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
