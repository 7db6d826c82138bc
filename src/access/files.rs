//! Daily access-log files: found, ordered by the date in their names, read line by line
//! (gzipped or not), and followed live through the switch to a new day's file.
//!
//! Tomcat names a file `prefix + fileDateFormat + suffix` (`access_log.2026-11-25`) and
//! opens the next day's file at the first request after midnight, after closing the old
//! one; it never renames. So names order the files, and a follower that sees a newer
//! name can drain the old file for good before it moves on.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use memchr::memchr;

use crate::inputfile::{self, FileError};
use crate::scan::input::InputError;

/// Tomcat's default `prefix`.
pub const DEFAULT_PREFIX: &str = "access_log";

/// Longer lines are cut to this length: the fields the join needs come first, and a
/// runaway line must not grow the buffer.
pub const MAX_LINE: usize = 64 << 10;

/// Read buffer; larger than [`MAX_LINE`] so a line of that length plus a read fit.
const BUF: usize = 256 << 10;

/// Expand files and directories into one group per directory (one per node), each
/// ordered by the date in the file names, oldest first. A directory contributes the
/// files whose names start with `prefix`; a file named explicitly counts whatever its
/// name. A file named twice is read once.
pub fn discover(paths: &[PathBuf], prefix: &str) -> Result<Vec<Vec<PathBuf>>, InputError> {
    if paths.is_empty() {
        return Err(InputError::Nothing);
    }
    let prefix = if prefix.is_empty() {
        DEFAULT_PREFIX
    } else {
        prefix
    };
    let mut groups: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    let mut add = |f: PathBuf| {
        let dir = match f.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir_key = std::fs::canonicalize(&dir).unwrap_or(dir);
        let i = match groups.iter().position(|(d, _)| *d == dir_key) {
            Some(i) => i,
            None => {
                groups.push((dir_key, Vec::new()));
                groups.len() - 1
            }
        };
        let g = &mut groups[i].1;
        if !g.iter().any(|x| x.file_name() == f.file_name()) {
            g.push(f);
        }
    };
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => InputError::Missing(p.clone()),
            _ => InputError::Unreadable {
                path: p.clone(),
                source: e,
            },
        })?;
        if !meta.is_dir() {
            inputfile::check_regular(p, "").map_err(InputError::File)?;
            add(p.clone());
            continue;
        }
        let found = list(p, prefix).map_err(|e| match e.downcast::<FileError>() {
            Ok(f) => InputError::File(f),
            Err(e) => InputError::Unreadable {
                path: p.clone(),
                source: e,
            },
        })?;
        if found.is_empty() {
            // InputError::NoLogs speaks of atlassian-jira.log: name what is looked for here
            // (`/opt/jira/logs/access_log.*: no such file or directory`).
            let dot = if prefix.ends_with('.') { "" } else { "." };
            return Err(InputError::Missing(p.join(format!("{prefix}{dot}*"))));
        }
        found.into_iter().for_each(&mut add);
    }
    Ok(groups
        .into_iter()
        .map(|(_, mut g)| {
            g.sort_by_cached_key(|f| name_key(f));
            g
        })
        .collect())
}

/// [`discover`] for a directory that one of Jira's files names (`server.xml`'s valve):
/// every file found must stay inside `root` (the install), symlinks resolved, or nothing
/// is read and the error says which file asked for it.
pub fn discover_within(
    dir: &Path,
    prefix: &str,
    root: &Path,
    asked_by: &str,
) -> Result<Vec<Vec<PathBuf>>, InputError> {
    let groups = discover(std::slice::from_ref(&dir.to_path_buf()), prefix)?;
    for f in groups.iter().flatten() {
        inputfile::confine(f, root, asked_by, OUTSIDE_HINT)?;
    }
    Ok(groups)
}

/// How to read an access log that lies outside the install anyway.
pub const OUTSIDE_HINT: &str = "; if it is really the access log, give it with --access-log";

/// Files of `dir` whose names start with `prefix` (subdirectories passed over). A FIFO,
/// device or socket among them (or a symlink to one) is an error wrapping a
/// [`FileError`]: reading it would never end.
fn list(dir: &Path, prefix: &str) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        if !e.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = e.path();
        // Subdirectories and dangling links are no access logs.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) || !path.exists() {
            continue;
        }
        inputfile::check_regular(&path, "").map_err(io::Error::other)?;
        out.push(path);
    }
    Ok(out)
}

/// Order files (paths, or names on another host) as [`discover`] orders a group: by the
/// date in their names, oldest first.
pub fn order_by_date(files: &mut [PathBuf]) {
    files.sort_by_cached_key(|f| name_key(f));
}

/// Sorts files by the date in their names, files without one last, then by name.
fn name_key(p: &Path) -> (bool, String, String) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match date_in(&name) {
        Some(d) => (false, d.to_string(), name),
        None => (true, String::new(), name),
    }
}

/// The date stamp of a file name: from the first digit, digits and the separators of a
/// date format (`2026-11-25`, `2026-11-25.13`, `20261125`), stopping before `.log`, `.gz`.
/// Zero-padded stamps of one format sort as text.
fn date_in(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let start = b.iter().position(u8::is_ascii_digit)?;
    let mut end = start;
    while end < b.len() {
        let c = b[end];
        let sep_then_digit = matches!(c, b'-' | b'.' | b'_' | b':')
            && b.get(end + 1).is_some_and(u8::is_ascii_digit);
        if !(c.is_ascii_digit() || sep_then_digit) {
            break;
        }
        end += 1;
    }
    Some(&name[start..end])
}

/// Counts the raw (still compressed) bytes read, for progress.
struct Counted<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the lines of one group of files, in order, as one stream of lines; a line does
/// not continue across files. One buffer serves all lines.
pub struct LineReader {
    files: Vec<PathBuf>,
    /// How a file is opened: from this file system, or another host's (its name then a URL).
    opener: Option<Opener>,
    next: usize,
    current: Option<PathBuf>,
    reader: Option<Box<dyn Read + Send>>,
    gz: bool,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Past [`MAX_LINE`] of the current line: drop bytes up to its newline.
    discarding: bool,
    read: Arc<AtomicU64>,
}

/// Opens a file of a [`LineReader`] that is not on this machine's file system.
pub type Opener = Box<dyn FnMut(&Path) -> io::Result<Box<dyn Read + Send>> + Send>;

impl LineReader {
    /// A reader over `files`, read in the order given (see [`discover`]).
    pub fn new(files: Vec<PathBuf>) -> LineReader {
        Self::with_opener(files, None)
    }

    /// A reader over files that `opener` opens (gzip is still told by the bytes it gives).
    pub fn with_opener(files: Vec<PathBuf>, opener: Option<Opener>) -> LineReader {
        LineReader {
            files,
            opener,
            next: 0,
            current: None,
            reader: None,
            gz: false,
            buf: vec![0u8; BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            discarding: false,
            read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Bytes read from the files so far (compressed bytes for gzip), for progress against
    /// the sum of the files' sizes.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The file the last line came from (`None` before the first line).
    pub fn current_file(&self) -> Option<&Path> {
        self.current.as_deref()
    }

    /// The next line without its `\n` (a `\r` stays: the pattern ignores it), cut to
    /// [`MAX_LINE`]; `None` after the last file.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.start..self.end]) {
                let s = self.start;
                self.start = s + i + 1;
                return Ok(Some(&self.buf[s..s + i.min(MAX_LINE)]));
            }
            let Some(reader) = self.reader.as_mut() else {
                if self.start < self.end {
                    // The file's last line had no newline.
                    let s = self.start;
                    self.start = self.end;
                    return Ok(Some(&self.buf[s..self.end.min(s + MAX_LINE)]));
                }
                if !self.open_next()? {
                    return Ok(None);
                }
                continue;
            };
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end >= MAX_LINE && !self.discarding {
                self.end = MAX_LINE;
                self.discarding = true;
            }
            let n = match reader.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            };
            if n == 0 {
                self.reader = None;
                self.discarding = false;
            } else if self.discarding {
                if let Some(p) = memchr(b'\n', &self.buf[self.end..self.end + n]) {
                    self.buf.copy_within(self.end + p..self.end + n, self.end);
                    self.end += n - p;
                    self.discarding = false;
                }
            } else {
                self.end += n;
            }
        }
    }

    fn read_error(&self, e: io::Error) -> InputError {
        let path = self.current.clone().unwrap_or_default();
        if self.gz {
            InputError::BadGzip { path, source: e }
        } else {
            InputError::Unreadable { path, source: e }
        }
    }

    /// Open the next file; false when there is none.
    fn open_next(&mut self) -> Result<bool, InputError> {
        let Some(path) = self.files.get(self.next).cloned() else {
            return Ok(false);
        };
        self.next += 1;
        let unreadable = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => InputError::Missing(path.clone()),
            _ => InputError::Unreadable {
                path: path.clone(),
                source: e,
            },
        };
        let file: Box<dyn Read + Send> = match &mut self.opener {
            Some(open) => open(&path).map_err(unreadable)?,
            None => Box::new(
                inputfile::open_regular(&path, "")
                    .map_err(|e| InputError::from_file(e, &path))?
                    .0,
            ),
        };
        let mut br = BufReader::with_capacity(
            1 << 16,
            Counted {
                inner: file,
                n: Arc::clone(&self.read),
            },
        );
        self.gz = br
            .fill_buf()
            .map_err(unreadable)?
            .starts_with(&[0x1f, 0x8b]);
        self.reader = Some(if self.gz {
            Box::new(flate2::bufread::MultiGzDecoder::new(br))
        } else {
            Box::new(br)
        });
        self.current = Some(path);
        Ok(true)
    }
}

/// Follows today's access-log file live and moves on to the next day's when Tomcat opens
/// it. Only lines written after [`DailyFollower::start`] count.
pub struct DailyFollower {
    dir: PathBuf,
    prefix: String,
    current: Option<Followed>,
    buf: Vec<u8>,
    /// Files must resolve inside this directory (the install), and who asked for them.
    within: Option<(PathBuf, String)>,
}

struct Followed {
    path: PathBuf,
    file: File,
    offset: u64,
    /// A last line whose newline has not been written yet.
    partial: Vec<u8>,
    /// Drop bytes up to the next newline: the rest of a line begun before the start.
    skip_to_newline: bool,
}

impl DailyFollower {
    /// Remember the newest `<prefix>*` file of `dir` and its length. With no file yet,
    /// the first to appear is read from its beginning.
    pub fn start(dir: &Path, prefix: &str) -> io::Result<DailyFollower> {
        let prefix = if prefix.is_empty() {
            DEFAULT_PREFIX
        } else {
            prefix
        };
        let mut f = DailyFollower {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            current: None,
            buf: vec![0u8; 1 << 16],
            within: None,
        };
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such directory", dir.display()),
            ));
        }
        if let Some(newest) = f.files()?.pop() {
            let file = File::open(&newest)?;
            let offset = file.metadata()?.len();
            // Started in the middle of a line being written: its tail is not a line.
            let mut last = [0u8; 1];
            let mid_line = offset > 0 && {
                (&file).seek(SeekFrom::Start(offset - 1))?;
                (&file).read_exact(&mut last)?;
                last[0] != b'\n'
            };
            f.current = Some(Followed {
                path: newest,
                file,
                offset,
                partial: Vec::new(),
                skip_to_newline: mid_line,
            });
        }
        Ok(f)
    }

    /// The file being followed.
    pub fn current_file(&self) -> Option<&Path> {
        self.current.as_ref().map(|c| c.path.as_path())
    }

    /// Follow only files that resolve inside `root` (the directory came from one of
    /// Jira's files, `asked_by`): a file that leads out of it is an error, not read. The
    /// file already chosen by [`DailyFollower::start`] is checked at once.
    pub fn within(mut self, root: &Path, asked_by: &str) -> io::Result<DailyFollower> {
        if let Some(c) = &self.current {
            inputfile::confine(&c.path, root, asked_by, OUTSIDE_HINT).map_err(io::Error::other)?;
        }
        self.within = Some((root.to_path_buf(), asked_by.to_string()));
        Ok(self)
    }

    /// The `<prefix>*` files of the directory, oldest first (uncompressed only: a live
    /// file is never gzipped).
    fn files(&self) -> io::Result<Vec<PathBuf>> {
        let mut v = list(&self.dir, &self.prefix)?;
        v.retain(|p| p.extension().is_none_or(|e| e != "gz"));
        v.sort_by_cached_key(|f| name_key(f));
        Ok(v)
    }

    /// Hand `out` every complete line written since the last poll (without its newline).
    /// When newer files have appeared, the current one is drained (its last line even
    /// without a newline: Tomcat closed it) and each newer one is read from its start.
    pub fn poll(&mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        if let Some(c) = self.current.as_mut() {
            read_new(c, &mut self.buf, out)?;
        }
        if let Some(c) = self.current.as_mut() {
            if replaced(c) {
                // `renameOnRotate`: the live name now belongs to a new file; the old one,
                // renamed, is complete once drained.
                if !c.partial.is_empty() {
                    out(trim_cr(&c.partial));
                }
                let path = c.path.clone();
                admit(self.within.as_ref(), &path)?;
                let mut fresh = Followed {
                    file: File::open(&path)?,
                    path,
                    offset: 0,
                    partial: Vec::new(),
                    skip_to_newline: false,
                };
                read_new(&mut fresh, &mut self.buf, out)?;
                *c = fresh;
            }
        }
        let files = self.files()?;
        let newer: Vec<PathBuf> = match &self.current {
            Some(c) => {
                let k = name_key(&c.path);
                files.into_iter().filter(|f| name_key(f) > k).collect()
            }
            None => files,
        };
        for path in newer {
            admit(self.within.as_ref(), &path)?;
            if let Some(mut old) = self.current.take() {
                read_new(&mut old, &mut self.buf, out)?;
                if !old.partial.is_empty() {
                    out(trim_cr(&old.partial));
                }
            }
            let mut c = Followed {
                file: File::open(&path)?,
                path,
                offset: 0,
                partial: Vec::new(),
                skip_to_newline: false,
            };
            read_new(&mut c, &mut self.buf, out)?;
            self.current = Some(c);
        }
        Ok(())
    }
}

/// Whether a followed file may be opened: a regular file, inside the install when the
/// directory came from one of Jira's files (`within`); it may have been replaced since it
/// was listed.
fn admit(within: Option<&(PathBuf, String)>, path: &Path) -> io::Result<()> {
    inputfile::check_regular(path, "").map_err(io::Error::other)?;
    if let Some((root, asked_by)) = within {
        inputfile::confine(path, root, asked_by, OUTSIDE_HINT).map_err(io::Error::other)?;
    }
    Ok(())
}

/// Whether `c`'s name now holds another file than the one open.
#[cfg(unix)]
fn replaced(c: &Followed) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(&c.path), c.file.metadata()) {
        (Ok(now), Ok(open)) => now.ino() != open.ino() || now.dev() != open.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn replaced(_: &Followed) -> bool {
    false
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Read `c` from its offset to its end, handing out complete lines.
fn read_new(c: &mut Followed, buf: &mut [u8], out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let len = c.file.metadata()?.len();
    if len < c.offset {
        // Truncated in place (copytruncate): start over.
        c.offset = 0;
        c.partial.clear();
        c.skip_to_newline = false;
    }
    c.file.seek(SeekFrom::Start(c.offset))?;
    loop {
        let n = match c.file.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        c.offset += n as u64;
        let mut chunk = &buf[..n];
        if c.skip_to_newline {
            match memchr(b'\n', chunk) {
                Some(i) => {
                    chunk = &chunk[i + 1..];
                    c.skip_to_newline = false;
                }
                None => continue,
            }
        }
        while let Some(i) = memchr(b'\n', chunk) {
            if c.partial.is_empty() {
                out(trim_cr(&chunk[..i]));
            } else {
                let room = MAX_LINE.saturating_sub(c.partial.len());
                c.partial.extend_from_slice(&chunk[..i.min(room)]);
                out(trim_cr(&c.partial));
                c.partial.clear();
            }
            chunk = &chunk[i + 1..];
        }
        let room = MAX_LINE.saturating_sub(c.partial.len());
        c.partial.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_stamps() {
        assert_eq!(date_in("access_log.2026-11-25"), Some("2026-11-25"));
        assert_eq!(date_in("access_log.2026-11-25.gz"), Some("2026-11-25"));
        assert_eq!(date_in("jira_access.2026-11-25.log"), Some("2026-11-25"));
        assert_eq!(date_in("access_log.2026-11-25.13"), Some("2026-11-25.13"));
        assert_eq!(date_in("access_log.20261125"), Some("20261125"));
        assert_eq!(date_in("access_log"), None);
    }
}
