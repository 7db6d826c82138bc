//! Follow a log file from its current end, through rotation, without losing a line:
//! - rename rotation (`atlassian-jira.log` → `.1`, a new file): the open handle keeps the
//!   old file, which is drained before the new one is read from its start;
//! - copytruncate (the file is copied to `.1`, then truncated): what was written after
//!   our last read and before the truncation is read back from `.1`;
//! - a file that does not exist yet is read from its start once it appears.
//!
//! Polling (not inotify): one `stat` and one `read` per poll keeps it portable and cheap.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// What the caller must do with the bytes handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// More bytes of the current file.
    Data,
    /// The current file ended (rotated away): flush a partial last line.
    EndOfFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotations {
    pub renamed: u32,
    pub truncated: u32,
}

pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    id: Option<(u64, u64)>,
    offset: u64,
    /// Bytes handed over since following began (the log's growth).
    pub bytes: u64,
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

impl Follower {
    /// Start at the current end of `path` (or at the start of the file it will be).
    pub fn new(path: &Path) -> io::Result<Follower> {
        let mut f = Follower {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            bytes: 0,
            rotations: Rotations::default(),
        };
        match File::open(path) {
            Ok(mut file) => {
                let m = file.metadata()?;
                f.offset = file.seek(SeekFrom::End(0))?;
                f.id = Some(file_id(&m));
                f.file = Some(file);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(f)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn exists(&self) -> bool {
        self.file.is_some()
    }

    /// Hand over everything written since the last poll.
    pub fn poll(&mut self, buf: &mut [u8], sink: &mut dyn FnMut(&[u8], Event)) -> io::Result<()> {
        self.drain(buf, sink)?;
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Between the rename and the new file: keep what we have.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let id = file_id(&meta);
        if self.id != Some(id) {
            if self.file.is_some() {
                // Renamed away: whatever was written to it before the switch is still ours.
                self.drain(buf, sink)?;
                sink(&[], Event::EndOfFile);
                self.rotations.renamed += 1;
            }
            self.file = Some(File::open(&self.path)?);
            self.id = Some(id);
            self.offset = 0;
            return self.drain(buf, sink);
        }
        if meta.len() < self.offset {
            self.recover_truncated(buf, sink)?;
            sink(&[], Event::EndOfFile);
            self.rotations.truncated += 1;
            if let Some(f) = &mut self.file {
                f.seek(SeekFrom::Start(0))?;
            }
            self.offset = 0;
            return self.drain(buf, sink);
        }
        Ok(())
    }

    fn drain(&mut self, buf: &mut [u8], sink: &mut dyn FnMut(&[u8], Event)) -> io::Result<()> {
        let Some(f) = &mut self.file else {
            return Ok(());
        };
        loop {
            let n = match f.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.offset += n as u64;
            self.bytes += n as u64;
            sink(&buf[..n], Event::Data);
        }
    }

    /// copytruncate copied the file to `.1` before truncating it: the bytes after our
    /// offset are there.
    fn recover_truncated(
        &mut self,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8], Event),
    ) -> io::Result<()> {
        let mut copy = self.path.clone().into_os_string();
        copy.push(".1");
        let Ok(mut f) = File::open(PathBuf::from(copy)) else {
            return Ok(());
        };
        if f.metadata()?.len() <= self.offset {
            return Ok(());
        }
        f.seek(SeekFrom::Start(self.offset))?;
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

#[cfg(test)]
mod tests {
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

    fn append(p: &Path, s: &str) {
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
