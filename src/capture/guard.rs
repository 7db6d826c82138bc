//! The rotation guard: a capture at TRACE can write enough to rotate away lines the admin
//! keeps for other investigations. At the start it notes what is on disk (the live log and
//! its backups, each recognised later by its first bytes, whatever rotation renamed it to)
//! and the rotation limits; at every poll it forecasts, from the measured growth, how many
//! bytes may still be written before a rollover deletes a file it must keep, and trips
//! while that is still more than the growth expected until the levels are back.
//!
//! log4j rolls the live file to `.1` when it reaches the size limit and deletes `.N` (N =
//! number of backups) to make room; so a file now at `.p` is deleted by rollover N−p+1.

pub use crate::source::follow::{FileSet, LocalSet};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// A source whose files cannot be seen (a command's output): nothing to guard.
pub struct Unseen(pub String);

impl FileSet for Unseen {
    fn name(&self, _: u32) -> PathBuf {
        PathBuf::from(&self.0)
    }
    fn len(&self, _: u32) -> Option<u64> {
        None
    }
    fn head(&self, _: u32) -> Option<Vec<u8>> {
        None
    }
    fn modified(&self, _: u32) -> Option<SystemTime> {
        None
    }
}

/// Beyond this many backups nobody runs Jira; a bound for the search.
const MAX_BACKUPS: u32 = 1000;
/// How far back the growth rate is measured.
const RATE_SPAN: Duration = Duration::from_secs(5);

/// Rotation limits and where they come from.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Size at which log4j rolls the live file over, in bytes; `None`: not known (the guard
    /// then takes a backup's size, rounded down to whole KiB).
    pub max_bytes: Option<u64>,
    /// Backups log4j keeps (`MaxBackupIndex`, `max`); `None`: not known (the guard then assumes
    /// as many as it has seen, at least one).
    pub backups: Option<u32>,
    /// The log4j file they were read from; `None`: learned by watching the files.
    pub source: Option<PathBuf>,
}

/// A file on disk when the capture began.
#[derive(Debug, Clone)]
struct Kept {
    head: Vec<u8>,
    size: u64,
    /// Its newest line's time (the file was last written then).
    modified: SystemTime,
    first_line_time: Option<String>,
    /// Where it is now: 0 = the live log, k = `.k`.
    pos: u32,
}

/// Why the guard ended the window.
#[derive(Debug, Clone)]
pub struct Trip {
    /// The live log of the node whose file is in danger, as given to `--log`.
    pub log: PathBuf,
    /// The file that would be deleted, as it is named now.
    pub file: PathBuf,
    /// The date of that file's first line (`2024-01-02 03:04:05,678`); `None` when it does not
    /// start with a date.
    pub first_line_time: Option<String>,
    /// Log growth per second when it tripped.
    pub bytes_per_sec: f64,
    /// Bytes that could still be written before that file goes.
    pub bytes_left: u64,
    /// Bytes on disk at the start that must be kept (all of them, or those younger than
    /// `--keep`).
    pub kept_bytes: u64,
    /// It was already gone when seen (the log grew faster than one poll could catch).
    pub already_lost: bool,
    /// The limits the forecast used, learned ones filled in.
    pub limits: Limits,
}

impl Trip {
    /// One line for the person: which file would go (or went) and at what growth rate.
    pub fn reason(&self) -> String {
        let what = match &self.first_line_time {
            Some(t) => format!("{} (lines from {t})", self.file.display()),
            None => self.file.display().to_string(),
        };
        if self.already_lost {
            format!(
                "rotation guard: {what} was rotated away before the guard could act (the log grows {}/s)",
                crate::human::bytes(self.bytes_per_sec as u64)
            )
        } else {
            format!(
                "rotation guard: at {}/s the next {} of log would rotate away {what}, which was on disk when the capture began",
                crate::human::bytes(self.bytes_per_sec as u64),
                crate::human::bytes(self.bytes_left)
            )
        }
    }
}

struct NodeGuard {
    log: PathBuf,
    set: Box<dyn FileSet>,
    limits: Limits,
    /// Oldest first.
    kept: Vec<Kept>,
    /// Most backups ever seen at once: a lower bound of the limit when it is not known.
    seen_backups: u32,
    samples: std::collections::VecDeque<(Instant, u64)>,
    last_growth: u64,
}

/// The rotation guard of a whole capture: one watch per node's log, checked at every poll.
pub struct Guard {
    nodes: Vec<NodeGuard>,
    keep: Option<Duration>,
    /// The growth expected between a decision and Jira writing at normal levels again,
    /// in time: two polls and the restore.
    reaction: Duration,
}

fn starts_with(set: &dyn FileSet, k: u32, head: &[u8]) -> bool {
    set.head(k)
        .is_some_and(|h| h.len() >= head.len() && h[..head.len()] == *head)
}

/// The date starting the file's first line (`2024-01-02 03:04:05,678`), as the scanner
/// recognises dates.
fn first_time(head: &[u8]) -> Option<String> {
    let date = head.get(..23)?;
    crate::scan::time::starts_with_date(date).then(|| String::from_utf8_lossy(date).into_owned())
}

fn count_backups(set: &dyn FileSet) -> u32 {
    (1..=MAX_BACKUPS)
        .take_while(|&k| set.len(k).is_some())
        .count() as u32
}

impl NodeGuard {
    fn new(set: Box<dyn FileSet>, limits: Limits) -> NodeGuard {
        let backups = count_backups(set.as_ref());
        let mut kept = Vec::new();
        for k in (0..=backups).rev() {
            let Some(size) = set.len(k) else {
                continue;
            };
            let Some(head) = set.head(k).filter(|h| !h.is_empty()) else {
                continue;
            };
            kept.push(Kept {
                first_line_time: first_time(&head),
                head,
                size,
                modified: set.modified(k).unwrap_or_else(SystemTime::now),
                pos: k,
            });
        }
        NodeGuard {
            log: set.name(0),
            set,
            limits,
            kept,
            seen_backups: backups,
            samples: Default::default(),
            last_growth: 0,
        }
    }

    /// The files that must stay: all, or with `keep` those whose newest line is younger.
    fn must_keep(&self, keep: Option<Duration>) -> impl Iterator<Item = &Kept> {
        let now = SystemTime::now();
        self.kept.iter().filter(move |k| match keep {
            None => true,
            Some(d) => now.duration_since(k.modified).unwrap_or_default() < d,
        })
    }

    fn max_bytes(&self) -> Option<u64> {
        self.limits.max_bytes.or_else(|| {
            // A backup is the live file as it was when it rolled: the limit and the last
            // entry's bytes over it. Whole KiB, as sizes are written in log4j files.
            self.set
                .len(1)
                .filter(|&n| n > 0)
                .map(|n| if n >= 1024 { n / 1024 * 1024 } else { n })
        })
    }

    /// Backups Jira keeps. Unknown: as many as were ever seen, and at least one (log4j's
    /// default); a rollover that deletes the oldest would be too late to learn from.
    fn backups(&self, pos: u32) -> u32 {
        self.limits
            .backups
            .unwrap_or(self.seen_backups.max(1))
            .max(pos)
    }

    fn rate(&self) -> f64 {
        let (Some(a), Some(b)) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let secs = b.0.duration_since(a.0).as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        (b.1 - a.1) as f64 / secs
    }

    fn check(&mut self, grown: u64, keep: Option<Duration>, reaction: Duration) -> Option<Trip> {
        let now = Instant::now();
        self.last_growth = self
            .samples
            .back()
            .map_or(0, |&(_, b)| grown.saturating_sub(b));
        self.samples.push_back((now, grown));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| now.duration_since(t) > RATE_SPAN)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
        // No live log (between a rename and the new file, or the directory went away):
        // nothing can be told of rotation now; the follower reports a log that is gone.
        let live = self.set.len(0)?;
        self.seen_backups = self.seen_backups.max(count_backups(self.set.as_ref()));
        // Follow every kept file to where rotation moved it (positions only grow).
        let mut lost = None;
        for (i, k) in self.kept.iter_mut().enumerate() {
            let limit = self.seen_backups.max(k.pos) + 1;
            match (k.pos..=limit).find(|&p| starts_with(self.set.as_ref(), p, &k.head)) {
                Some(p) => k.pos = p,
                None => {
                    lost.get_or_insert(i);
                }
            }
        }
        let kept_bytes: u64 = self.must_keep(keep).map(|k| k.size).sum();
        let rate = self.rate();
        let trip = |k: &Kept, bytes_left: u64, already_lost: bool| Trip {
            log: self.log.clone(),
            file: self.set.name(k.pos),
            first_line_time: k.first_line_time.clone(),
            bytes_per_sec: rate,
            bytes_left,
            kept_bytes,
            already_lost,
            limits: Limits {
                max_bytes: self.max_bytes(),
                backups: Some(self.backups(k.pos)),
                source: self.limits.source.clone(),
            },
        };
        if let Some(i) = lost {
            let k = &self.kept[i];
            if self.must_keep(keep).any(|m| std::ptr::eq(m, k)) {
                return Some(trip(k, 0, true));
            }
        }
        // The oldest file that must stay is the first to go.
        let oldest = self.must_keep(keep).max_by_key(|k| k.pos)?;
        let max = self.max_bytes()?;
        let rolls_left = self.backups(oldest.pos) - oldest.pos;
        let bytes_left = max.saturating_sub(live) + rolls_left as u64 * max;
        let margin = (2 * self.last_growth).max((rate * reaction.as_secs_f64()) as u64);
        (bytes_left <= margin).then(|| trip(oldest, bytes_left, false))
    }
}

impl Guard {
    /// Note what is on disk now. `limits` come from the log4j file when it is known.
    pub fn start(logs: &[PathBuf], limits: Limits, keep: Option<Duration>) -> Guard {
        Self::start_sets(
            logs.iter()
                .map(|l| Box::new(LocalSet(l.clone())) as Box<dyn FileSet>)
                .collect(),
            limits,
            keep,
        )
    }

    /// [`Guard::start`] over sets wherever they are (one per node, in order).
    pub fn start_sets(
        sets: Vec<Box<dyn FileSet>>,
        limits: Limits,
        keep: Option<Duration>,
    ) -> Guard {
        Guard {
            nodes: sets
                .into_iter()
                .map(|s| NodeGuard::new(s, limits.clone()))
                .collect(),
            keep,
            reaction: Duration::from_secs(1),
        }
    }

    /// Polls and restore together take about this long: the margin the guard keeps. The
    /// restore is taken as twice what raising the levels took, and never less than two
    /// seconds: a loaded machine (or Jira) can stall that long, and two seconds of growth
    /// are little against a rotation sized for hours.
    pub fn set_reaction(&mut self, poll: Duration, restore: Duration) {
        self.reaction = 2 * poll + (2 * restore).max(Duration::from_secs(2));
    }

    /// One line on what the guard protects, for the start of the capture.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                let oldest = n
                    .must_keep(self.keep)
                    .max_by_key(|k| k.pos)
                    .map(|k| {
                        format!(
                            "keeps {} from {}",
                            n.set.name(k.pos).display(),
                            k.first_line_time.as_deref().unwrap_or("its first line")
                        )
                    })
                    .unwrap_or_else(|| format!("nothing to keep in {}", n.log.display()));
                let limits = match (&n.limits.source, n.limits.max_bytes, n.limits.backups) {
                    (Some(src), Some(m), Some(b)) => format!(
                        "rotation {} x {b} from {}",
                        crate::human::bytes(m),
                        src.display()
                    ),
                    _ => format!(
                        "rotation learned from the files ({} backup(s) seen; give --log4j-config or --jira-install to let it use more)",
                        n.seen_backups
                    ),
                };
                format!("{oldest}; {limits}")
            })
            .collect();
        format!("rotation guard: {}", parts.join(" | "))
    }

    /// `grown[i]`: bytes node i's log has grown since the capture began (rotations
    /// included). `Some` when the window must end now.
    pub fn check(&mut self, grown: &[u64]) -> Option<Trip> {
        let (keep, reaction) = (self.keep, self.reaction);
        self.nodes
            .iter_mut()
            .zip(grown)
            .find_map(|(n, &g)| n.check(g, keep, reaction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::follow::backup_path as backup;
    use crate::source::follow::tests::append as write;
    use std::path::Path;

    fn line(i: usize) -> String {
        format!(
            "2024-01-02 03:04:{:02},000+0000 t INFO [x] line {i:04} {}\n",
            i % 60,
            "x".repeat(60)
        )
    }

    /// Roll like log4j's rename rotation.
    fn roll(log: &Path, backups: u32) {
        let _ = std::fs::remove_file(backup(log, backups));
        for i in (1..backups).rev() {
            let _ = std::fs::rename(backup(log, i), backup(log, i + 1));
        }
        std::fs::rename(log, backup(log, 1)).unwrap();
        write(log, "");
    }

    #[test]
    fn trips_before_the_rollover_that_deletes_the_oldest_backup() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("atlassian-jira.log");
        let max = 10 * line(0).len() as u64;
        for f in 0..3 {
            for i in 0..10 {
                write(&log, &line(f * 10 + i));
            }
            if f < 2 {
                roll(&log, 3);
            }
        }
        // .2 .1 and a full live file: one rollover moves .2 to .3, the second deletes it.
        let limits = Limits {
            max_bytes: Some(max),
            backups: Some(3),
            source: Some("log4j.properties".into()),
        };
        let mut g = Guard::start(std::slice::from_ref(&log), limits, None);
        g.reaction = Duration::ZERO;
        assert!(
            g.describe()
                .contains("atlassian-jira.log.2 from 2024-01-02 03:04:00,000"),
            "{}",
            g.describe()
        );
        let mut grown = 0;
        assert!(g.check(&[grown]).is_none());
        roll(&log, 3);
        let mut tripped = None;
        for i in 0..10 {
            write(&log, &line(100 + i));
            grown += line(0).len() as u64;
            if let Some(t) = g.check(&[grown]) {
                tripped = Some((i, t));
                break;
            }
        }
        let (i, t) = tripped.expect("tripped before the live file was full");
        assert!(i >= 7, "not long before: after {i} lines");
        assert!(!t.already_lost);
        assert!(t.file.ends_with("atlassian-jira.log.3"), "{:?}", t.file);
        assert!(t.reason().contains("rotate away"), "{}", t.reason());
    }

    #[test]
    fn a_lost_file_trips_at_once_and_old_files_may_go_with_keep() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("atlassian-jira.log");
        for f in 0..2 {
            for i in 0..10 {
                write(&log, &line(f * 10 + i));
            }
            roll(&log, 1);
        }
        let limits = Limits {
            max_bytes: Some(1 << 20),
            backups: Some(1),
            source: None,
        };
        let mut g = Guard::start(std::slice::from_ref(&log), limits.clone(), None);
        write(&log, &line(50));
        roll(&log, 1);
        let t = g.check(&[100]).expect("the old .1 is gone");
        assert!(t.already_lost);
        // Files last written long ago may go when only a day must be kept: nothing here
        // is older than that, so the same loss counts.
        let mut g = Guard::start(
            std::slice::from_ref(&log),
            limits,
            Some(Duration::from_secs(86400)),
        );
        write(&log, &line(51));
        roll(&log, 1);
        assert!(g.check(&[100]).is_some_and(|t| t.already_lost));
        // Last written two hours ago, with an hour to keep: it may go.
        let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(backup(&log, 1))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        let mut g = Guard::start(
            std::slice::from_ref(&log),
            Limits {
                max_bytes: Some(1 << 20),
                backups: Some(1),
                source: None,
            },
            Some(Duration::from_secs(3600)),
        );
        write(&log, &line(52));
        roll(&log, 1);
        assert!(g.check(&[100]).is_none());
    }

    #[test]
    fn unknown_limits_assume_the_backups_seen() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("atlassian-jira.log");
        for i in 0..10 {
            write(&log, &line(i));
        }
        roll(&log, 2);
        let mut g = Guard::start(std::slice::from_ref(&log), Limits::default(), None);
        g.reaction = Duration::ZERO;
        assert!(g.describe().contains("learned"), "{}", g.describe());
        let mut grown = 0;
        let mut tripped = false;
        for i in 0..10 {
            write(&log, &line(20 + i));
            grown += line(0).len() as u64;
            if g.check(&[grown]).is_some() {
                tripped = true;
                break;
            }
        }
        assert!(
            tripped,
            "one backup seen: the next rollover could delete it"
        );
    }
}
