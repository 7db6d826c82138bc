//! Ctrl-C and SIGTERM during a capture. The default action (die at once) would leave
//! Jira's levels raised, so both only count here; the capture loop checks the count.
//! While the levels are being restored, a second signal says what is left and a third
//! leaves it to `jira-patrol restore` (the journal stays on disk): it sets an abort flag
//! that the restore checks between requests ([`Signals::abort_requested`]); the capture
//! then returns [`CaptureError::Interrupted`](super::CaptureError::Interrupted) and the
//! command exits 130. Nothing here ends the process, and nothing here prints: what a
//! signal means now is a [`Notice`], handed to the function the edge installed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where the capture is, which decides what a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Nothing changed yet.
    Before = 0,
    /// The levels are being raised.
    Applying = 1,
    /// The window runs.
    Window = 2,
    /// The levels are being put back.
    Restoring = 3,
    /// The levels are back (or left to `restore`).
    Done = 4,
}

/// What a signal means where the capture is, for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// While the levels are being raised: they will be put back first.
    StoppingWhileApplying,
    /// During the window: the levels go back, then the summary.
    StoppingWindow,
    /// During the restore (or a second signal): what is left, and that a third signal
    /// leaves it to `jira-patrol restore`.
    StillRestoring {
        /// The loggers still raised, as the journal says.
        left: Vec<String>,
    },
    /// A third signal: left without finishing; the journal keeps what is left.
    LeftUnfinished {
        /// The loggers still raised, as the journal says.
        left: Vec<String>,
        /// The journal `jira-patrol restore` replays.
        journal: Option<PathBuf>,
    },
}

/// Who is told of a signal (the output layer; it runs on the signal thread).
pub type OnNotice = Box<dyn Fn(&Notice) + Send + Sync>;

#[derive(Default)]
struct Shared {
    count: AtomicUsize,
    last: AtomicI32,
    phase: AtomicU8,
    ended: AtomicBool,
    aborted: AtomicBool,
    journal: Mutex<Option<PathBuf>>,
    on_notice: Mutex<Option<OnNotice>>,
}

/// The signals a capture received, shared with the thread that catches them.
#[derive(Clone, Default)]
pub struct Signals(Arc<Shared>);

/// Ctrl-C.
pub const SIGINT: i32 = signal_hook::consts::SIGINT;
/// `kill`'s default.
pub const SIGTERM: i32 = signal_hook::consts::SIGTERM;

impl Signals {
    /// Signals received so far.
    pub fn count(&self) -> usize {
        self.0.count.load(Ordering::SeqCst)
    }

    /// The last signal received, if any.
    pub fn last(&self) -> Option<i32> {
        match self.0.last.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// Ends the window early without a signal: the levels are restored and the summary
    /// printed as at the end of the window, with a success status. For callers that know
    /// the window has served its purpose (a guard, a test that wrote all it meant to).
    pub fn end_window(&self) {
        self.0.ended.store(true, Ordering::SeqCst);
    }

    /// A signal arrived or [`Signals::end_window`] was called.
    pub fn stop_requested(&self) -> bool {
        self.count() > 0 || self.0.ended.load(Ordering::SeqCst)
    }

    /// A third signal came: leave without finishing the restore (the journal keeps the
    /// rest for `jira-patrol restore`).
    pub fn abort_requested(&self) -> bool {
        self.0.aborted.load(Ordering::SeqCst)
    }

    /// Where the capture is now.
    pub fn set_phase(&self, p: Phase) {
        self.0.phase.store(p as u8, Ordering::SeqCst);
    }

    /// The journal file the capture wrote, named when a signal leaves the rest to it.
    pub fn set_journal(&self, p: PathBuf) {
        if let Ok(mut j) = self.0.journal.lock() {
            *j = Some(p);
        }
    }

    fn received(&self, sig: i32) {
        let n = self.0.count.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.last.store(sig, Ordering::SeqCst);
        let phase = self.0.phase.load(Ordering::SeqCst);
        let journal = self.0.journal.lock().ok().and_then(|j| j.clone());
        let notice = if phase == Phase::Applying as u8 && n == 1 {
            Some(Notice::StoppingWhileApplying)
        } else if phase == Phase::Window as u8 && n == 1 {
            Some(Notice::StoppingWindow)
        } else if phase == Phase::Restoring as u8 || n >= 2 {
            let left = left_to_restore(journal.as_deref());
            if n >= 3 {
                self.0.aborted.store(true, Ordering::SeqCst);
                Some(Notice::LeftUnfinished { left, journal })
            } else {
                Some(Notice::StillRestoring { left })
            }
        } else {
            None
        };
        if let (Some(notice), Ok(on)) = (notice, self.0.on_notice.lock()) {
            if let Some(f) = on.as_ref() {
                f(&notice);
            }
        }
    }
}

/// The loggers the journal still holds, for the person deciding whether to wait (empty
/// when the journal cannot say).
fn left_to_restore(journal: Option<&std::path::Path>) -> Vec<String> {
    match journal.map(crate::journal::read_file) {
        Some(Ok(Some(e))) => e.loggers.iter().map(|l| l.logger.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Catch SIGINT and SIGTERM for the rest of the process; `on_notice` is told what each
/// one means (on the signal thread, at once).
pub fn install(on_notice: OnNotice) -> std::io::Result<Signals> {
    let s = Signals::default();
    if let Ok(mut on) = s.0.on_notice.lock() {
        *on = Some(on_notice);
    }
    let mut it = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let s2 = s.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in it.forever() {
                s2.received(sig);
            }
        })?;
    Ok(s)
}
