//! Which files to read and in what order. Rotated sets (`atlassian-jira.log`, `.1`, `.2`,
//! …, any of them gzipped) are read oldest first (`.N` is the oldest, the live file the
//! newest) as one stream, whatever order they were given in, so a request cut across
//! two files counts once. Gzip is recognised by its magic bytes, not the name.
//! Names are not the last word: log4j2's `fileIndex="max"` numbers backups the other way
//! round (`.1` oldest), so [`order_by_content`] checks the first time inside each file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use super::{Request, Scanner};
use crate::inputfile::{self, FileError, FileId, STDIN_HINT};
use crate::warn::Tally;

/// The live application log's name; rotated backups add `.1`, `.2`, ... (and `.gz`).
pub const LOG_NAME: &str = "atlassian-jira.log";

#[derive(Debug, Clone, PartialEq, Eq)]
/// One thing to read: standard input or a file.
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file (gzip recognised by its content).
    File(PathBuf),
}

impl Source {
    /// The name to show: the path, or `-`.
    pub fn display(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
/// Why a log could not be read; each says what to do.
pub enum InputError {
    #[error("{0}: no such file or directory: check the path")]
    /// The path does not exist.
    Missing(PathBuf),
    #[error(
        "{0}: this directory holds no {LOG_NAME}* files: point at JIRA_HOME/log or at the files"
    )]
    /// A directory without `atlassian-jira.log*`.
    NoLogs(PathBuf),
    #[error("{path}: cannot read it: {source}")]
    /// Opening or reading failed.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    #[error("{path}: not a readable gzip file ({source}): is it complete?")]
    /// A gzip file that does not decompress.
    BadGzip {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: io::Error,
    },
    #[error("no log given: name files or directories, or '-' for standard input")]
    /// No path given.
    Nothing,
    /// Not a regular file (a FIFO, a device), or otherwise refused before any read.
    #[error(transparent)]
    File(#[from] FileError),
}

impl InputError {
    /// A refusal of [`inputfile`], with this module's wording for a missing file.
    pub(crate) fn from_file(e: FileError, path: &Path) -> InputError {
        e.or_missing(|| InputError::Missing(path.to_path_buf()), InputError::File)
    }
}

/// Expand the arguments into streams: each a list of sources, oldest first.
///
/// Every path is checked before anything is read: a FIFO, device or socket, given or met
/// in a directory (a symlink `atlassian-jira.log.1 -> /dev/zero`), is refused, since
/// reading it would never end. Subdirectories of a log directory are passed over.
pub fn discover(args: &[PathBuf]) -> Result<Vec<Vec<Source>>, InputError> {
    if args.is_empty() {
        return Err(InputError::Nothing);
    }
    let mut files: Vec<Source> = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            files.push(Source::Stdin);
            continue;
        }
        let meta = std::fs::metadata(a).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => InputError::Missing(a.clone()),
            _ => InputError::Unreadable {
                path: a.clone(),
                source: e,
            },
        })?;
        if meta.is_dir() {
            let rd = std::fs::read_dir(a).map_err(|e| InputError::Unreadable {
                path: a.clone(),
                source: e,
            })?;
            let mut found: Vec<PathBuf> = Vec::new();
            for e in rd.filter_map(Result::ok) {
                if !e.file_name().to_string_lossy().starts_with(LOG_NAME) {
                    continue;
                }
                let path = e.path();
                if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                    continue;
                }
                inputfile::check_regular(&path, STDIN_HINT)
                    .map_err(|e| InputError::from_file(e, &path))?;
                found.push(path);
            }
            if found.is_empty() {
                return Err(InputError::NoLogs(a.clone()));
            }
            found.sort();
            files.extend(found.into_iter().map(Source::File));
        } else {
            inputfile::check_regular(a, STDIN_HINT).map_err(|e| InputError::from_file(e, a))?;
            files.push(Source::File(a.clone()));
        }
    }
    Ok(group(files))
}

/// Read each file once, whatever names it was given by: the same directory named twice
/// (`logs ./logs`), a rotated name that is a symlink or hard link to another. Within a set
/// the newest name is kept (the live log, not the link to it); across sets, the first.
/// Sets left empty are dropped. Returns the notes to show (repeats counted).
pub fn skip_duplicates(streams: &mut Vec<Vec<Source>>) -> Vec<String> {
    let mut seen: HashMap<FileId, String> = HashMap::new();
    let mut notes = Tally::new();
    for stream in streams.iter_mut() {
        let mut keep = vec![true; stream.len()];
        for (i, src) in stream.iter().enumerate().rev() {
            let Source::File(p) = src else { continue };
            let Some(id) = std::fs::metadata(p).ok().as_ref().and_then(FileId::of) else {
                continue;
            };
            match seen.get(&id) {
                Some(first) => {
                    keep[i] = false;
                    notes.add("duplicate", "files", || {
                        format!(
                            "note: {} is the same file as {first} (a link, or named twice): read once",
                            p.display()
                        )
                    });
                }
                None => {
                    seen.insert(id, p.display().to_string());
                }
            }
        }
        let mut k = keep.into_iter();
        stream.retain(|_| k.next().unwrap_or(true));
    }
    streams.retain(|s| !s.is_empty());
    notes.lines()
}

/// Group files by (directory, base name) and order each group oldest first. Groups keep
/// the order in which they were first named.
fn group(files: Vec<Source>) -> Vec<Vec<Source>> {
    let mut order: Vec<(PathBuf, String)> = Vec::new();
    let mut groups: BTreeMap<(PathBuf, String), Vec<(RotationKey, Source)>> = BTreeMap::new();
    let mut named: HashSet<PathBuf> = HashSet::new();
    let mut stdin_groups = Vec::new();
    for f in files {
        let Source::File(p) = &f else {
            stdin_groups.push(vec![f]);
            continue;
        };
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (base, key) = rotation_key(&name);
        let gk = (dir, base);
        if !groups.contains_key(&gk) {
            order.push(gk.clone());
        }
        if named.insert(p.clone()) {
            groups.entry(gk).or_default().push((key, f));
        }
    }
    let mut out: Vec<Vec<Source>> = order
        .into_iter()
        .map(|k| {
            let mut g = groups.remove(&k).unwrap_or_default();
            g.sort_by(|a, b| a.0.cmp(&b.0));
            g.into_iter().map(|(_, s)| s).collect()
        })
        .collect();
    out.extend(stdin_groups);
    out
}

/// Sorts oldest first: numbered backups by descending number, then other suffixes by
/// name, then the live file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum RotationKey {
    Numbered(std::cmp::Reverse<u64>),
    Other(String),
    Live,
}

fn rotation_key(name: &str) -> (String, RotationKey) {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, n)) = stem.rsplit_once('.') {
        if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = n.parse() {
                return (
                    base.to_string(),
                    RotationKey::Numbered(std::cmp::Reverse(n)),
                );
            }
        }
    }
    if let Some(rest) = stem.strip_prefix(LOG_NAME) {
        if rest.is_empty() {
            return (LOG_NAME.to_string(), RotationKey::Live);
        }
        return (LOG_NAME.to_string(), RotationKey::Other(rest.to_string()));
    }
    (stem.to_string(), RotationKey::Live)
}

/// Bytes read from the head of a file to find its first timestamp.
const HEAD_BYTES: usize = 64 << 10;

/// The first log time in a file (UTC ms), from its first lines; `None` when none parses.
fn first_time(src: &Source) -> Option<i64> {
    let mut r = open(src, None).ok()?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let _ = r.by_ref().take(HEAD_BYTES as u64).read_to_end(&mut head);
    // Offsetless dates are compared with each other only, so any fixed zone will do.
    let mut zone = super::Zone::new(jiff::tz::TimeZone::UTC);
    head.split(|&c| c == b'\n')
        .find_map(|l| super::time::parse_prefix(l, &mut zone))
        .map(|(ts, _)| ts.ms)
}

/// Put each rotated set in the order of the times inside its files when that differs from
/// the order of their names (log4j2 `fileIndex="max"`: `.1` is the oldest backup). The live
/// file stays last. A set with a backup whose time cannot be read keeps its name order.
/// Returns one note per set that was reordered, for the user.
pub fn order_by_content(streams: &mut [Vec<Source>]) -> Vec<String> {
    order_by_times(streams, &first_time)
}

/// Group file names (paths, or names on another host) into rotated sets ordered oldest
/// first, as [`discover`] groups the files it finds.
pub fn group_names(files: Vec<PathBuf>) -> Vec<Vec<PathBuf>> {
    group(files.into_iter().map(Source::File).collect())
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter_map(|s| match s {
                    Source::File(p) => Some(p),
                    Source::Stdin => None,
                })
                .collect()
        })
        .collect()
}

/// [`order_by_content`] with the first time of each file told by `first_time` (a remote
/// set's are read on its node).
pub fn order_by_times(
    streams: &mut [Vec<Source>],
    first_time: &dyn Fn(&Source) -> Option<i64>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for stream in streams.iter_mut().filter(|s| s.len() > 1) {
        let name = |s: &Source| match s {
            Source::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Source::Stdin => "-".into(),
        };
        let live = stream
            .last()
            .is_some_and(|s| rotation_key(&name(s)).1 == RotationKey::Live);
        let backups = if live { stream.len() - 1 } else { stream.len() };
        let times: Option<Vec<i64>> = stream[..backups].iter().map(first_time).collect();
        let Some(times) = times else { continue };
        let mut order: Vec<usize> = (0..backups).collect();
        order.sort_by_key(|&i| times[i]);
        if order.iter().enumerate().all(|(pos, &i)| pos == i) {
            continue;
        }
        let mut reordered: Vec<Source> = order.iter().map(|&i| stream[i].clone()).collect();
        reordered.extend(stream[backups..].iter().cloned());
        *stream = reordered;
        let names: Vec<String> = stream.iter().map(name).collect();
        notes.push(format!(
            "note: {} ordered by the times inside them, not by their numbers (log4j2 with fileIndex=max numbers backups oldest first)",
            names.join(", ")
        ));
    }
    notes
}

/// How far a scan has read, for whoever shows it (the output layer draws a bar on a
/// terminal); the scan itself never draws. Bytes are those read from disk (compressed
/// bytes for gzip), against the total size of the files.
pub trait Progress: Sync {
    /// The scan begins: this many bytes in all files (standard input not counted).
    fn begin(&self, _total_bytes: u64) {}
    /// A file (or `-`) is read next.
    fn file(&self, _name: &str) {}
    /// `bytes` more were read.
    fn read(&self, _bytes: u64) {}
    /// The scan is over (or failed).
    fn end(&self) {}
}

/// A [`Progress`] told nothing.
pub(super) struct Silent;

impl Progress for Silent {}

/// A reader that tells a [`Progress`] how much it read.
pub(super) struct Counted<'a, R> {
    pub(super) inner: R,
    pub(super) progress: &'a dyn Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read(n as u64);
        Ok(n)
    }
}

/// Open a source for reading, decompressing gzip (several members allowed) when the
/// content starts with gzip's magic bytes.
pub fn open<'a>(
    src: &Source,
    progress: Option<&'a dyn Progress>,
) -> Result<Box<dyn Read + 'a>, InputError> {
    let path = PathBuf::from(src.display());
    let mut raw: Box<dyn Read + 'a> = match src {
        Source::Stdin => Box::new(io::stdin().lock()),
        Source::File(p) => Box::new(
            inputfile::open_regular(p, STDIN_HINT)
                .map_err(|e| InputError::from_file(e, p))?
                .0,
        ),
    };
    if let Some(progress) = progress {
        raw = Box::new(Counted {
            inner: raw,
            progress,
        });
    }
    let mut br = BufReader::with_capacity(1 << 16, raw);
    let head = br.fill_buf().map_err(|e| InputError::Unreadable {
        path: path.clone(),
        source: e,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(GzReader {
            inner: flate2::bufread::MultiGzDecoder::new(br),
            path,
        }))
    } else {
        Ok(Box::new(br))
    }
}

/// What a scan read, for the report and for warnings.
#[derive(Debug, Default)]
pub struct ScanRun {
    /// Every source read, in the order read.
    pub files: Vec<String>,
    /// Lines for stderr (without the `warning: ` prefix).
    pub warnings: Vec<String>,
    /// One entry per file that shrank while it was read (copytruncate): the report
    /// covers only the part read before, and must say so.
    pub partial: Vec<String>,
}

/// How [`scan_streams`] reads its sources.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    /// Told how far the scan has read (the caller shows it, or not).
    pub progress: Option<&'a dyn Progress>,
    /// Memory-map large files that look settled (`summarize --no-mmap` turns it off).
    pub mmap: bool,
    /// Threads that read and parse (see [`super::parallel`]); 1 reads on the caller's
    /// thread alone. The report is the same either way.
    pub threads: usize,
    /// Bytes per chunk of the parallel scan; 0 for the default. Tests make it tiny so
    /// that requests straddle every chunk boundary.
    #[doc(hidden)]
    pub chunk: usize,
}

impl Default for ReadOptions<'_> {
    fn default() -> Self {
        ReadOptions {
            progress: None,
            mmap: true,
            threads: 1,
            chunk: 0,
        }
    }
}

/// The threads a scan uses unless told: the cores this process may use (cgroup quotas
/// and CPU affinity included).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Read every stream through `scanner`, telling `opts.progress` how far it got.
pub fn scan_streams(
    streams: &[Vec<Source>],
    scanner: &mut Scanner,
    opts: ReadOptions,
    out: &mut dyn FnMut(Request),
) -> Result<ScanRun, InputError> {
    scan_streams_indexed(streams, scanner, opts, &mut |_, r| out(r))
}

/// [`scan_streams`], telling which stream (node) each request came from.
///
/// A file that shrinks while it is read (a live log rotated by copytruncate) ends the
/// read of that file where it was cut: the bytes read so far are kept, and
/// [`ScanRun::partial`] and [`ScanRun::warnings`] say so. Only files that look settled
/// are memory-mapped (see [`map_reason`]), so such a cut never faults. A file that turns
/// out damaged while read (a truncated `.gz`, an I/O error) is kept up to the damage,
/// said the same way, and the scan goes on with the next file; a file that cannot be
/// opened at all ends the scan with an error.
pub fn scan_streams_indexed(
    streams: &[Vec<Source>],
    scanner: &mut Scanner,
    opts: ReadOptions,
    out: &mut dyn FnMut(usize, Request),
) -> Result<ScanRun, InputError> {
    if opts.threads > 1 && scanner.parallel_ok() {
        return super::parallel::scan(streams, scanner, opts, out);
    }
    let total = total_bytes(streams);
    let pb = opts.progress;
    if let Some(p) = pb {
        p.begin(total);
    }
    let hook = TestPause::from_env();
    let mut run = ScanRun::default();
    let mut said = Tally::new();
    let mut buf = vec![0u8; READ_BUF];
    for (index, stream) in streams.iter().enumerate() {
        let out = &mut |r: Request| out(index, r);
        for src in stream {
            let name = src.display();
            if let Some(pb) = pb {
                pb.file(&name);
            }
            scanner.begin_file();
            let read = match src {
                Source::File(p) => scan_plain(p, opts, scanner, pb, hook.as_ref(), &mut buf, out)?,
                Source::Stdin => None,
            };
            let ended = match read {
                Some(read) => read,
                None => scan_any(src, scanner, pb, &mut buf, out)?,
            };
            end_of_file(scanner, &name, ended, &mut said, &mut run, out);
        }
        scanner.end_stream(out);
    }
    if let Some(pb) = pb {
        pb.end();
    }
    scanner.say_skipped_lines(&mut said);
    run.warnings = said.lines();
    Ok(run)
}

/// The size of all files (standard input not counted), for progress.
pub(super) fn total_bytes(streams: &[Vec<Source>]) -> u64 {
    streams
        .iter()
        .flatten()
        .filter_map(|s| match s {
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Source::Stdin => None,
        })
        .sum()
}

/// What is said of a file whose read ended as `ended`, then the end of the file.
pub(super) fn end_of_file(
    scanner: &mut Scanner,
    name: &str,
    ended: Ended,
    said: &mut Tally,
    run: &mut ScanRun,
    out: &mut dyn FnMut(Request),
) {
    match ended {
        Ended::Whole => {}
        Ended::Shrank { read, size } => {
            let note = shrank(name, read, size);
            said.add("shrank", "files", || note.clone());
            run.partial.push(note);
        }
        Ended::Damaged { read, error } => {
            scanner.cut_file();
            let note = damaged(&error, read);
            said.add("damaged", "files", || note.clone());
            run.partial.push(note);
        }
    }
    finish_file(scanner, name, said, run, out);
}

/// How the read of one file ended.
pub(super) enum Ended {
    /// At its end.
    Whole,
    /// Cut while read (copytruncate): `read` of the `size` bytes it had at the start.
    Shrank { read: u64, size: u64 },
    /// At damage after `read` bytes (decompressed bytes for gzip).
    Damaged { read: u64, error: InputError },
}

/// Read a source the ordinary way (standard input, gzip, what [`scan_plain`] passes on).
pub(super) fn scan_any(
    src: &Source,
    scanner: &mut Scanner,
    pb: Option<&dyn Progress>,
    buf: &mut [u8],
    out: &mut dyn FnMut(Request),
) -> Result<Ended, InputError> {
    let name = src.display();
    let mut r = open(src, pb)?;
    let mut read = 0u64;
    loop {
        let n = match r.read(buf) {
            Ok(0) => return Ok(Ended::Whole),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Ok(Ended::Damaged {
                    read,
                    error: read_error(e, &name),
                })
            }
        };
        read += n as u64;
        scanner.feed(&buf[..n], out);
    }
}

/// The line said (on stderr and in the report) about a file cut while it was read.
fn shrank(name: &str, read: u64, size: u64) -> String {
    format!(
        "{name} shrank while being read (rotated by copytruncate?): the report covers its first {read} of {size} bytes; summarize the rotated copy too for the rest"
    )
}

/// The line said about a file found damaged while it was read.
fn damaged(error: &InputError, read: u64) -> String {
    format!("{error}; skipped the rest of it: the report covers the {read} bytes before the damage")
}

fn finish_file(
    scanner: &mut Scanner,
    name: &str,
    said: &mut Tally,
    run: &mut ScanRun,
    out: &mut dyn FnMut(Request),
) {
    scanner.end_file(out);
    if scanner.looks_like_jira_log() == Some(false) {
        said.add("not a jira log", "files", || format!(
            "{name}: no line in the first lines looks like atlassian-jira.log (date, thread, level, [category]); is this a Jira log?"
        ));
    }
    scanner.note_file_name(looks_like_log_name(name));
    run.files.push(name.to_string());
}

/// Whether a file's name is one a Jira log has (`atlassian-jira.log.3.gz`, `jira.log`):
/// only such files' lines are quoted in warnings, so that a file named by mistake (or by
/// someone else) is not shown on the terminal.
pub fn looks_like_log_name(name: &str) -> bool {
    let base = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    base.starts_with("atlassian-jira") || base.contains(".log") || name == "-"
}

/// Buffer of the `read()` path: large reads keep system calls few.
pub(super) const READ_BUF: usize = 1 << 20;
/// Files at least this large may be scanned through memory maps.
const MAP_MIN: u64 = 4 << 20;
/// Bytes mapped at a time: mapped pages count as resident memory, so a window (not the
/// whole file) keeps memory flat whatever the file's size.
const MAP_WINDOW: u64 = 16 << 20;
/// A file not modified for this long is taken as settled (nothing writes it).
const SETTLED_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a file may be memory-mapped, or `None` to read it with `read()`.
///
/// A mapped file that is truncated under the map kills the process with SIGBUS, which
/// cannot be caught safely; `read()` just returns less. So only files that nothing
/// writes or cuts any more are mapped: rotated backups (`atlassian-jira.log.1`, ...,
/// `atlassian-jira.log.2024-05-01`) at least [`MAP_MIN`] long and not modified for
/// [`SETTLED_AFTER`]. The live log (`atlassian-jira.log`, the only file copytruncate
/// cuts; 20 MiB at most with Jira's stock rotation) and any name without a rotation
/// suffix are always read.
pub fn map_reason(path: &Path, meta: &std::fs::Metadata) -> Option<&'static str> {
    if !meta.is_file() || meta.len() < MAP_MIN {
        return None;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if rotation_key(&name).1 == RotationKey::Live {
        return None;
    }
    let age = meta
        .modified()
        .ok()
        .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())?;
    (age >= SETTLED_AFTER).then_some("a rotated backup nothing writes")
}

/// Scan an uncompressed file: through a moving memory-map window when it looks settled
/// ([`map_reason`]), else with `read()`. Returns `None` (nothing read) for gzip and what
/// cannot be opened here, to read the ordinary way. The size is taken once at the start;
/// before each window the size is taken again, and a file that shrank below the window
/// is read on with `read()` from there, which stops where the file now ends. Mapping
/// saves the copy from the page cache that caps `read()` scans.
fn scan_plain(
    path: &Path,
    opts: ReadOptions,
    scanner: &mut Scanner,
    pb: Option<&dyn Progress>,
    hook: Option<&TestPause>,
    buf: &mut [u8],
    out: &mut dyn FnMut(Request),
) -> Result<Option<Ended>, InputError> {
    let unreadable = |e: io::Error| InputError::Unreadable {
        path: path.to_path_buf(),
        source: e,
    };
    let (mut file, meta) =
        inputfile::open_regular(path, STDIN_HINT).map_err(|e| InputError::from_file(e, path))?;
    let size = meta.len();
    let mut magic = [0u8; 2];
    if io::Read::read_exact(&mut file, &mut magic).is_err() || magic == [0x1f, 0x8b] {
        return Ok(None);
    }
    file.seek(io::SeekFrom::Start(0)).map_err(unreadable)?;
    let mut off = 0u64;
    if opts.mmap && map_reason(path, &meta).is_some() {
        while off < size {
            if let Some(h) = hook {
                h.at(off, "map");
            }
            let n = MAP_WINDOW.min(size - off);
            // The file may have been cut since the size was taken: never map past its end.
            let now = file.metadata().map_err(unreadable)?.len();
            if now < off + n {
                break;
            }
            // SAFETY: the map is read-only and dropped before the next window; the file
            // looked settled and was at least this long just now (see map_reason).
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(off)
                    .len(n as usize)
                    .map(&file)
            };
            let Ok(map) = map else {
                break; // read on with read() from here
            };
            // Read-ahead in large steps and drop pages behind us early.
            let _ = map.advise(memmap2::Advice::Sequential);
            scanner.feed(&map, out);
            if let Some(pb) = pb {
                pb.read(n);
            }
            off += n;
        }
        if off >= size {
            return Ok(Some(Ended::Whole));
        }
        file.seek(io::SeekFrom::Start(off)).map_err(unreadable)?;
    }
    loop {
        if let Some(h) = hook {
            h.at(off, "read");
        }
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Ok(Some(Ended::Damaged {
                    read: off,
                    error: unreadable(e),
                }))
            }
        };
        scanner.feed(&buf[..n], out);
        if let Some(pb) = pb {
            pb.read(n as u64);
        }
        off += n as u64;
    }
    Ok(Some(if off < size {
        Ended::Shrank { read: off, size }
    } else {
        Ended::Whole
    }))
}

/// Test hook (`JIRA_PATROL_TEST_READ_PAUSE=BYTES:GATE`): the first time a read of a file
/// reaches BYTES, create `GATE.reached` and wait until GATE exists, so a test can cut
/// the file at a known point without racing the reader. Not for users.
pub(super) struct TestPause {
    after: u64,
    gate: PathBuf,
    done: std::cell::Cell<bool>,
}

impl TestPause {
    pub(super) fn from_env() -> Option<Self> {
        let v = std::env::var("JIRA_PATROL_TEST_READ_PAUSE").ok()?;
        let (after, gate) = v.split_once(':')?;
        Some(TestPause {
            after: after.parse().ok()?,
            gate: PathBuf::from(gate),
            done: std::cell::Cell::new(false),
        })
    }

    /// Whether a read at `off` would pause.
    pub(super) fn due(&self, off: u64) -> bool {
        !self.done.get() && off >= self.after
    }

    pub(super) fn at(&self, off: u64, how: &str) {
        if !self.due(off) {
            return;
        }
        self.done.set(true);
        let mut reached = self.gate.clone().into_os_string();
        reached.push(".reached");
        let mut tmp = reached.clone();
        tmp.push(".tmp");
        let _ = std::fs::write(&tmp, format!("{off} {how}"));
        let _ = std::fs::rename(&tmp, &reached);
        // Waits on a condition the test sets; capped so a broken test cannot hang forever.
        let cap = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while !self.gate.exists() && std::time::Instant::now() < cap {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// A read error, unwrapping the [`InputError`] a gzip reader put inside it.
pub(super) fn read_error(e: io::Error, name: &str) -> InputError {
    if !e.get_ref().is_some_and(|r| r.is::<InputError>()) {
        return InputError::Unreadable {
            path: PathBuf::from(name),
            source: e,
        };
    }
    let kind = e.kind();
    match e.into_inner().map(|b| b.downcast::<InputError>()) {
        Some(Ok(ie)) => *ie,
        _ => InputError::Unreadable {
            path: PathBuf::from(name),
            source: io::Error::from(kind),
        },
    }
}

/// Turns decoder errors into [`InputError::BadGzip`] naming the file.
pub(super) struct GzReader<R: BufRead> {
    pub(super) inner: flate2::bufread::MultiGzDecoder<R>,
    pub(super) path: PathBuf,
}

impl<R: BufRead> Read for GzReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            io::Error::other(InputError::BadGzip {
                path: self.path.clone(),
                source: e,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(g: &[Source]) -> Vec<String> {
        g.iter()
            .map(|s| match s {
                Source::File(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                Source::Stdin => "-".into(),
            })
            .collect()
    }

    #[test]
    fn rotated_sets_are_ordered_oldest_first_whatever_the_order_given() {
        let given = [
            "atlassian-jira.log",
            "atlassian-jira.log.1.gz",
            "atlassian-jira.log.10",
            "atlassian-jira.log.2",
        ]
        .map(|n| Source::File(PathBuf::from("/x").join(n)));
        let g = group(given.to_vec());
        assert_eq!(g.len(), 1);
        assert_eq!(
            names(&g[0]),
            [
                "atlassian-jira.log.10",
                "atlassian-jira.log.2",
                "atlassian-jira.log.1.gz",
                "atlassian-jira.log"
            ]
        );
    }

    #[test]
    fn nodes_in_different_directories_are_separate_streams() {
        let given = [
            Source::File("/n2/atlassian-jira.log".into()),
            Source::File("/n1/atlassian-jira.log.1".into()),
            Source::File("/n1/atlassian-jira.log".into()),
            Source::File("/n2/atlassian-jira.log".into()),
        ];
        let g = group(given.to_vec());
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].len(), 1, "duplicates are read once");
        assert_eq!(names(&g[1]), ["atlassian-jira.log.1", "atlassian-jira.log"]);
    }
}
