//! What is said on stderr while work runs: the capture's live status line and notes,
//! the scan's progress bar, what a Ctrl-C means, and the access-log join's outcome. On a
//! terminal the status is one line redrawn in place; in a pipe, a plain line now and
//! then, so a log of the run stays readable.

use crate::access::AccessLogReport;
use crate::capture::signals::Notice;
use crate::capture::{Observer, Progress};
use crate::human;
use crate::untrusted::terminal;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The capture's status: a one-line spinner on a terminal, periodic plain lines otherwise.
pub struct Live {
    bar: Option<indicatif::ProgressBar>,
    plain_every: Duration,
    next_plain: Instant,
}

impl Live {
    /// For a window of `window` (plain lines come about six times in it, 5 s to 1 min
    /// apart).
    pub fn new(window: Duration) -> Live {
        let plain_every = (window / 6).clamp(Duration::from_secs(5), Duration::from_secs(60));
        Live {
            bar: None,
            plain_every,
            next_plain: Instant::now() + plain_every,
        }
    }

    /// The spinner exists only while the window runs: before it, lines are plain.
    fn bar(&mut self) -> Option<&indicatif::ProgressBar> {
        if self.bar.is_none() && std::io::stderr().is_terminal() {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} capture: {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            self.bar = Some(b);
        }
        self.bar.as_ref()
    }

    fn print(&self, line: &str) {
        let line = line
            .split('\n')
            .map(|l| terminal(l).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Observer for Live {
    fn note(&mut self, text: &str) {
        self.print(&format!("note: {text}"));
    }

    fn line(&mut self, text: &str) {
        self.print(text);
    }

    fn warning(&mut self, text: &str) {
        self.print(&format!("warning: {text}"));
    }

    fn progress(&mut self, p: &Progress) {
        let per_min = p.log_bytes as f64 * 60.0 / p.elapsed.as_secs_f64().max(1.0);
        let msg = format!(
            "{} left · {} requests · {} tokens · log +{}/min",
            human::duration(Duration::from_secs(p.left.as_secs())),
            p.requests,
            p.tokens,
            human::bytes(per_min as u64)
        );
        if let Some(b) = self.bar() {
            b.set_message(msg);
            b.tick();
        } else if Instant::now() >= self.next_plain {
            self.next_plain = Instant::now() + self.plain_every;
            eprintln!("capture: {msg}");
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// What a signal means, said at once on stderr (called on the signal thread).
pub fn signal(n: &Notice) {
    let left = |l: &[String]| {
        if l.is_empty() {
            "the journal's loggers".to_string()
        } else {
            format!("left: {}", l.join(", "))
        }
    };
    let text = match n {
        Notice::StoppingWhileApplying => {
            "stopping: the levels being raised will be put back first".to_string()
        }
        Notice::StoppingWindow => {
            "stopping the window early: putting Jira's levels back, then the summary".to_string()
        }
        Notice::StillRestoring { left: l } => format!(
            "still putting Jira's levels back ({}); stopping now would leave them raised. Press Ctrl-C again to leave that to `jira-patrol restore`",
            left(l)
        ),
        Notice::LeftUnfinished { left: l, journal } => format!(
            "left without finishing the restore: {} may still be raised. Run `jira-patrol restore` (it replays {})",
            left(l),
            journal
                .as_ref()
                .map_or_else(|| "the journal".to_string(), |p| p.display().to_string())
        ),
    };
    eprintln!("\n{}", terminal(&text));
}

/// The signal notice printer, boxed as `signals::install` takes it.
pub fn on_signal() -> crate::capture::signals::OnNotice {
    Box::new(signal)
}

/// The scan's progress bar on stderr (only when stderr is a terminal): compressed bytes
/// of all files, the file being read.
pub struct ScanBar(Option<indicatif::ProgressBar>);

impl ScanBar {
    /// A bar on a terminal; nothing in a pipe.
    pub fn new() -> ScanBar {
        ScanBar(std::io::stderr().is_terminal().then(|| {
            let pb = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bytes}/{total_bytes} {bar:30} {bytes_per_sec} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        }))
    }
}

impl Default for ScanBar {
    fn default() -> Self {
        ScanBar::new()
    }
}

impl crate::scan::input::Progress for ScanBar {
    fn begin(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn file(&self, name: &str) {
        if let Some(b) = &self.0 {
            b.set_message(terminal(name).into_owned());
        }
    }
    fn read(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    fn end(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Drop for ScanBar {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// `access log: 120 of 124 PAT requests joined; 4 not found (3 outside the access logs' time)`.
pub fn join_line(s: &AccessLogReport) -> String {
    let total = s.joined + s.unjoined;
    let mut line = format!(
        "access log: {} of {total} PAT request(s) joined to their access-log line",
        s.joined
    );
    if s.unjoined > 0 {
        line.push_str(&format!("; {} not found", s.unjoined));
        if s.outside_access_log > 0 {
            line.push_str(&format!(
                " ({} outside the time the access logs cover)",
                s.outside_access_log
            ));
        }
    }
    line
}

/// The join's outcome on stderr: the counts, and a warning when lines do not fit (with
/// what the join says of the first such line: an escaped excerpt, or why none is quoted).
pub fn say_join(s: &AccessLogReport, first_unparsed: Option<&str>) {
    super::say(&join_line(s));
    if s.unparsed_lines > 0 {
        super::say(&format!(
            "warning: {} of {} access-log line(s) do not fit the pattern{}; is it the pattern of this log? (--access-log-pattern, or --jira-install to read server.xml)",
            s.unparsed_lines,
            s.lines,
            first_unparsed.unwrap_or_default()
        ));
    }
}
