//! Follow a log file from its current end, through rotation, without losing a line:
//! - rename rotation (`atlassian-jira.log` → `.1`, a new file): the open handle keeps the
//!   old file, which is drained before the new one is read from its start;
//! - copytruncate (the file is copied to `.1`, then truncated): what was written after
//!   our last read and before the truncation is read back from the copy;
//! - several rotations between two polls: the files rotated in between (`.k-1` … `.1`)
//!   are read whole, oldest first;
//! - a file that does not exist yet is read from its start once it appears.
//!
//! Polling (not inotify): a `stat`, a 256-byte `pread` and a `read` per poll keep it
//! portable and cheap.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What the caller must do with the bytes handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// More bytes of the current file.
    Data,
    /// The current file ended (rotated away): flush a partial last line.
    EndOfFile,
}

/// How often the followed log rotated while followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotations {
    /// Renames seen: the live file was moved to `.1` and a new one began.
    pub renamed: u32,
    /// Truncations in place seen (copytruncate).
    pub truncated: u32,
}

/// Bytes kept from the start of each file, to recognise it (and its copy) later.
pub(crate) const HEAD: usize = 256;
/// How far down the rotated set to look.
const MAX_BACKUPS: u32 = 1000;

type Sink<'a> = &'a mut dyn FnMut(&[u8], Event);

/// One log file followed from its end through rotations: [`Follower::poll`] hands over
/// every byte written since the previous poll, none twice.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    id: Option<(u64, u64)>,
    offset: u64,
    /// The first bytes of the current file.
    head: Vec<u8>,
    /// When the previous poll began: files last written before it were dealt with then.
    prev_poll: SystemTime,
    /// The newest rotated file whose content was handed over (or that existed when
    /// following began): a newer `.1` means generations were rotated that are not read yet.
    last_copy: Option<(u64, u64)>,
    /// Bytes handed over since following began (the log's growth).
    pub bytes: u64,
    /// Rotations seen since following began.
    pub rotations: Rotations,
}

fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        (0, 0)
    }
}

/// Open a log (or a backup) for reading, but only a regular file: a FIFO would block the
/// open until a writer comes, a device would never end.
fn open_log(p: &Path) -> io::Result<File> {
    if let Ok(m) = std::fs::metadata(p) {
        if let Some(what) = crate::inputfile::not_regular(m.file_type()) {
            return Err(io::Error::other(format!(
                "{what}, not a regular file: jira-patrol reads only regular files"
            )));
        }
    }
    File::open(p)
}

/// `log.k`: the k-th rotated file (`log` itself for 0), as log4j and logrotate name them.
pub(crate) fn backup_path(log: &Path, k: u32) -> PathBuf {
    if k == 0 {
        return log.to_path_buf();
    }
    let mut p = log.as_os_str().to_owned();
    p.push(format!(".{k}"));
    PathBuf::from(p)
}

/// The first [`HEAD`] bytes of a file (fewer if it is shorter): what recognises it after a
/// rename or a copy.
pub(crate) fn head_of(p: &Path) -> io::Result<Vec<u8>> {
    let mut f = open_log(p)?;
    let mut b = vec![0u8; HEAD];
    let n = read_full(&mut f, &mut b)?;
    b.truncate(n);
    Ok(b)
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

impl Follower {
    /// Start at the current end of `path` (or at the start of the file it will be).
    pub fn new(path: &Path) -> io::Result<Follower> {
        let mut f = Follower {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            head: Vec::new(),
            prev_poll: SystemTime::now(),
            last_copy: None,
            bytes: 0,
            rotations: Rotations::default(),
        };
        f.last_copy = std::fs::metadata(f.backup(1)).ok().map(|m| file_id(&m));
        match open_log(path) {
            Ok(mut file) => {
                let m = file.metadata()?;
                let mut head = vec![0u8; HEAD];
                let n = read_full(&mut file, &mut head)?;
                head.truncate(n);
                f.head = head;
                f.offset = file.seek(SeekFrom::End(0))?;
                f.id = Some(file_id(&m));
                f.file = Some(file);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(f)
    }

    /// Whether a file is open at the path: `false` while the log does not exist yet (or between
    /// a rename and the new file).
    pub fn exists(&self) -> bool {
        self.file.is_some()
    }

    /// Hand over everything written since the last poll.
    pub fn poll(&mut self, buf: &mut [u8], sink: Sink<'_>) -> io::Result<()> {
        let started = SystemTime::now();
        let r = self.poll_inner(buf, sink);
        self.prev_poll = started;
        r
    }

    fn poll_inner(&mut self, buf: &mut [u8], sink: Sink<'_>) -> io::Result<()> {
        self.drain(buf, sink)?;
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Between the rename and the new file: keep what we have.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let id = file_id(&meta);
        // Equal (device, inode) is proof of the same file only because we hold it open:
        // an inode number is reused once a file is gone, and ours cannot be gone while
        // open. Truncation in place is recognised by size and first bytes in `drain`.
        if self.id == Some(id) {
            return Ok(());
        }
        if self.file.is_some() {
            // Renamed away: whatever was written to it before the switch is still ours.
            self.drain(buf, sink)?;
            sink(&[], Event::EndOfFile);
            self.rotations.renamed += 1;
            let old = self.id;
            self.last_copy = old;
            let (_, skipped) =
                self.rotated_since(|f, _| Ok(old == f.metadata().ok().map(|m| file_id(&m))))?;
            self.read_whole(skipped, buf, sink)?;
        }
        self.offset = 0;
        self.head.clear();
        match open_log(&self.path) {
            Ok(f) => {
                // The handle's own id: the path may have rotated again since the stat.
                self.id = Some(f.metadata().map_or(id, |m| file_id(&m)));
                self.file = Some(f);
                self.drain(buf, sink)
            }
            // Rotated again since the stat: the next poll opens whatever is there then.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.file = None;
                self.id = None;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn drain(&mut self, buf: &mut [u8], sink: Sink<'_>) -> io::Result<()> {
        loop {
            if self.was_truncated()? {
                self.truncated(buf, sink)?;
            }
            // Nothing read of this generation yet: it has no head to recognise it by, so a
            // copytruncate now would go unseen; the newest copy tells instead (below).
            let fresh = self.head.is_empty() && self.offset == 0;
            let Some(f) = &mut self.file else {
                return Ok(());
            };
            let n = match f.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            // Checked after the read too: if the file was truncated meanwhile these bytes
            // may be a torn piece of the next generation; drop them and take the tail of
            // ours from its copy instead.
            if self.was_truncated()? {
                if let Some(f) = &mut self.file {
                    f.seek(SeekFrom::Start(self.offset))?;
                }
                continue;
            }
            if fresh && self.skipped_generations(&buf[..n.min(HEAD)])? {
                // These bytes are of a later generation than copies not read yet: read
                // those copies first, then this file from its start again.
                let last = self.last_copy;
                let (_, newer) = self.rotated_since(|f, _| {
                    Ok(last.is_some() && last == f.metadata().ok().map(|m| file_id(&m)))
                })?;
                self.read_whole(newer, buf, sink)?;
                self.rotations.truncated += 1;
                if let Some(f) = &mut self.file {
                    f.seek(SeekFrom::Start(0))?;
                }
                continue;
            }
            if self.head.len() < HEAD {
                let take = (HEAD - self.head.len()).min(n);
                self.head.extend_from_slice(&buf[..take]);
            }
            self.offset += n as u64;
            self.bytes += n as u64;
            sink(&buf[..n], Event::Data);
        }
    }

    /// Whether `.1` is newer than the last copy handed over and is not the generation
    /// `first` (the first bytes just read at offset 0) belongs to.
    fn skipped_generations(&self, first: &[u8]) -> io::Result<bool> {
        let Ok(mut f) = open_log(&self.backup(1)) else {
            return Ok(false);
        };
        if Some(file_id(&f.metadata()?)) == self.last_copy {
            return Ok(false);
        }
        Ok(!handle_starts_with(&mut f, first)?)
    }

    fn backup(&self, k: u32) -> PathBuf {
        backup_path(&self.path, k)
    }

    /// Shorter than what we read, or (grown back already) no longer starting with the
    /// bytes we read: copytruncate happened.
    fn was_truncated(&mut self) -> io::Result<bool> {
        let Some(f) = &mut self.file else {
            return Ok(false);
        };
        if f.metadata()?.len() < self.offset {
            return Ok(true);
        }
        if self.head.is_empty() {
            return Ok(false);
        }
        let mut b = vec![0u8; self.head.len()];
        let pos = f.stream_position()?;
        f.seek(SeekFrom::Start(0))?;
        let n = read_full(f, &mut b)?;
        f.seek(SeekFrom::Start(pos))?;
        Ok(n < self.head.len() || b != self.head)
    }

    /// Our generation was copied to `.k`: read its tail from there, then the newer
    /// generations `.k-1` … `.1`, then start the file over.
    fn truncated(&mut self, buf: &mut [u8], sink: Sink<'_>) -> io::Result<()> {
        let (head, offset) = (std::mem::take(&mut self.head), self.offset);
        let (ours, newer) = self.rotated_since(|f, len| {
            Ok(!head.is_empty() && len >= offset && handle_starts_with(f, &head)?)
        })?;
        if let Some(copy) = ours {
            self.last_copy = Some(file_id(&copy.metadata()?));
            self.read_from(copy, offset, buf, sink)?;
        }
        sink(&[], Event::EndOfFile);
        self.read_whole(newer, buf, sink)?;
        self.rotations.truncated += 1;
        if let Some(f) = &mut self.file {
            f.seek(SeekFrom::Start(0))?;
        }
        self.offset = 0;
        Ok(())
    }

    /// The rotated file `is_ours` recognises (if it is still there), and the files
    /// rotated after it, oldest first. When ours is not found (rotated past the number of
    /// backups, or renamed under our feet), the files written since the previous poll
    /// are the ones not seen yet.
    ///
    /// Files are opened as they are looked at and read through those handles: the set
    /// may shift (`.k` → `.k+1`) while we look, and a path read later could name another
    /// generation than the one recognised. A file met twice while it shifts is read once.
    fn rotated_since(
        &self,
        is_ours: impl Fn(&mut File, u64) -> io::Result<bool>,
    ) -> io::Result<(Option<File>, Vec<File>)> {
        let mut newer: Vec<(File, Option<SystemTime>, (u64, u64))> = Vec::new();
        let mut missing = 0;
        for k in 1..=MAX_BACKUPS {
            let Ok(mut f) = open_log(&self.backup(k)) else {
                // While the set shifts (`.k` → `.k+1`, newest last) one number is briefly
                // free: only two in a row mean the end of the set.
                missing += 1;
                if missing == 2 {
                    break;
                }
                continue;
            };
            missing = 0;
            let m = f.metadata()?;
            let id = file_id(&m);
            if is_ours(&mut f, m.len())? {
                newer.reverse();
                return Ok((Some(f), dedup(newer)));
            }
            newer.push((f, m.modified().ok(), id));
        }
        newer.reverse();
        let fresh = newer
            .into_iter()
            .filter(|(_, t, _)| t.is_none_or(|t| t >= self.prev_poll))
            .collect();
        Ok((None, dedup(fresh)))
    }

    fn read_whole(&mut self, files: Vec<File>, buf: &mut [u8], sink: Sink<'_>) -> io::Result<()> {
        for f in files {
            self.last_copy = Some(file_id(&f.metadata()?));
            self.read_from(f, 0, buf, sink)?;
            sink(&[], Event::EndOfFile);
        }
        Ok(())
    }

    fn read_from(
        &mut self,
        mut f: File,
        offset: u64,
        buf: &mut [u8],
        sink: Sink<'_>,
    ) -> io::Result<()> {
        f.seek(SeekFrom::Start(offset))?;
        loop {
            let n = f.read(buf)?;
            if n == 0 {
                return Ok(());
            }
            self.bytes += n as u64;
            sink(&buf[..n], Event::Data);
        }
    }
}

/// Keep the first of the handles naming the same file, in order.
fn dedup(files: Vec<(File, Option<SystemTime>, (u64, u64))>) -> Vec<File> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (f, _, id) in files {
        if !seen.contains(&id) {
            seen.push(id);
            out.push(f);
        }
    }
    out
}

/// Whether the open file starts with `head` (read from its start, whatever its position).
fn handle_starts_with(f: &mut File, head: &[u8]) -> io::Result<bool> {
    f.seek(SeekFrom::Start(0))?;
    let mut b = vec![0u8; head.len()];
    let n = read_full(f, &mut b)?;
    Ok(n == head.len() && b == head)
}

/// A log and its backups as the guard sees them, wherever they are: `k = 0` is the log,
/// `k` its backup `.k`. A remote node's set answers from its follower's last listing.
pub trait FileSet: Send {
    /// How to call `.k` in messages.
    fn name(&self, k: u32) -> PathBuf;
    /// Its size, `None` when there is no such file.
    fn len(&self, k: u32) -> Option<u64>;
    /// Its first bytes (up to 256).
    fn head(&self, k: u32) -> Option<Vec<u8>>;
    /// When it was last written.
    fn modified(&self, k: u32) -> Option<SystemTime>;
}

/// A set on this machine's file system.
pub struct LocalSet(pub PathBuf);

impl FileSet for LocalSet {
    fn name(&self, k: u32) -> PathBuf {
        backup_path(&self.0, k)
    }
    fn len(&self, k: u32) -> Option<u64> {
        std::fs::metadata(backup_path(&self.0, k))
            .ok()
            .map(|m| m.len())
    }
    fn head(&self, k: u32) -> Option<Vec<u8>> {
        head_of(&backup_path(&self.0, k)).ok()
    }
    fn modified(&self, k: u32) -> Option<SystemTime> {
        std::fs::metadata(backup_path(&self.0, k))
            .ok()
            .and_then(|m| m.modified().ok())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    fn collect(f: &mut Follower) -> String {
        let mut buf = vec![0u8; 7];
        let mut got = String::new();
        f.poll(&mut buf, &mut |b, e| {
            got.push_str(&String::from_utf8_lossy(b));
            if e == Event::EndOfFile {
                got.push('|');
            }
        })
        .unwrap();
        got
    }

    /// Append `s` to the file `p` (made when missing).
    pub(crate) fn append(p: &Path, s: &str) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap()
            .write_all(s.as_bytes())
            .unwrap();
    }

    #[test]
    fn starts_at_the_end_and_follows_rename_rotation() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("atlassian-jira.log");
        append(&p, "old\n");
        let mut f = Follower::new(&p).unwrap();
        append(&p, "a\n");
        assert_eq!(collect(&mut f), "a\n");
        append(&p, "b\n");
        std::fs::rename(&p, d.path().join("atlassian-jira.log.1")).unwrap();
        append(
            &d.path().join("atlassian-jira.log.1"),
            "late write to the old file\n",
        );
        assert_eq!(collect(&mut f), "b\nlate write to the old file\n");
        append(&p, "c\n");
        assert_eq!(collect(&mut f), "|c\n");
        assert_eq!(f.rotations.renamed, 1);
    }

    #[test]
    fn copytruncate_loses_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("atlassian-jira.log");
        append(&p, "");
        let mut f = Follower::new(&p).unwrap();
        append(&p, "one\n");
        assert_eq!(collect(&mut f), "one\n");
        append(&p, "two\n");
        std::fs::copy(&p, d.path().join("atlassian-jira.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        append(&p, "3\n");
        assert_eq!(collect(&mut f), "two\n|3\n");
        assert_eq!(f.rotations.truncated, 1);
    }

    /// Rotate `d/atlassian-jira.log` as log4j does: backups shift, the log is renamed `.1`.
    pub(crate) fn rotate_rename(d: &Path) {
        for k in (1..5).rev() {
            let from = d.join(format!("atlassian-jira.log.{k}"));
            if from.exists() {
                std::fs::rename(&from, d.join(format!("atlassian-jira.log.{}", k + 1))).unwrap();
            }
        }
        std::fs::rename(d.join("atlassian-jira.log"), d.join("atlassian-jira.log.1")).unwrap();
    }

    /// Rotate `d/atlassian-jira.log` as logrotate's copytruncate does.
    pub(crate) fn rotate_copytruncate(d: &Path) {
        for k in (1..5).rev() {
            let from = d.join(format!("atlassian-jira.log.{k}"));
            if from.exists() {
                std::fs::rename(&from, d.join(format!("atlassian-jira.log.{}", k + 1))).unwrap();
            }
        }
        let p = d.join("atlassian-jira.log");
        std::fs::copy(&p, d.join("atlassian-jira.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(0)
            .unwrap();
    }

    #[test]
    fn several_rotations_between_two_polls_are_caught_up_both_ways() {
        for copytruncate in [false, true] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("atlassian-jira.log");
            append(&p, "start\n");
            let mut f = Follower::new(&p).unwrap();
            append(&p, "a1\n");
            assert_eq!(collect(&mut f), "a1\n");
            append(&p, "a2\n");
            let rotate = |d: &Path| {
                if copytruncate {
                    rotate_copytruncate(d)
                } else {
                    rotate_rename(d)
                }
            };
            rotate(d.path());
            append(&p, "b1 and some more text so that it is longer\n");
            rotate(d.path());
            append(&p, "c1 which is also long enough to pass the old offset\n");
            assert_eq!(
                collect(&mut f),
                "a2\n|b1 and some more text so that it is longer\n|c1 which is also long enough to pass the old offset\n",
                "copytruncate: {copytruncate}"
            );
        }
    }

    #[test]
    fn a_generation_copied_away_before_any_of_it_was_read_is_not_lost() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("atlassian-jira.log");
        append(&p, "start\n");
        let mut f = Follower::new(&p).unwrap();
        append(&p, "a1\n");
        assert_eq!(collect(&mut f), "a1\n");
        append(&p, "a2\n");
        rotate_copytruncate(d.path());
        // Caught up with an empty new generation: nothing of it read, so no head.
        assert_eq!(collect(&mut f), "a2\n|");
        append(&p, "b1\n");
        rotate_copytruncate(d.path());
        append(&p, "c1\n");
        assert_eq!(collect(&mut f), "b1\n|c1\n");
        // And the same once more, then quiet: nothing twice.
        assert_eq!(collect(&mut f), "");
    }

    #[test]
    fn a_file_that_appears_late_is_read_from_its_start() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("atlassian-jira.log");
        let mut f = Follower::new(&p).unwrap();
        assert_eq!(collect(&mut f), "");
        append(&p, "first\n");
        assert_eq!(collect(&mut f), "first\n");
    }
}
