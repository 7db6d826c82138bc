//! The scan on several threads, in order (in the manner of hl): files are cut into
//! chunks at line boundaries, worker threads read and prepare the chunks (line counts,
//! prefilter, parsing: see [`super::chunk`]), and the calling thread, the only one that
//! correlates, takes the prepared chunks in the order of the input. A request whose lines
//! straddle chunks or files is correlated whole, as on one thread, and the report is the
//! same as the one-thread scan's.
//!
//! Reading:
//! - a settled rotated backup ([`map_reason`]) is mapped in windows, each checked against
//!   the file's size first, as on one thread;
//! - any other uncompressed file is read in regions with `pread`, in parallel: a region
//!   that comes back short means the file shrank (copytruncate), and the file ends there
//!   with a warning and a partial report, as on one thread;
//! - a gzipped file is decompressed by one worker, whole, while other workers take the
//!   next files (a rotated set is read in parallel), each running ahead a bounded way;
//! - standard input is read by the calling thread, in its turn.
//!
//! Memory stays bounded: at most [`AHEAD_PER_THREAD`] chunks per thread are in flight,
//! and a chunk's prepared form holds only its PAT lines.

use super::chunk::{Prepared, Preparer, Spare, LINE_TAIL};
use super::input::{
    end_of_file, map_reason, read_error, scan_any, total_bytes, Counted, Ended, GzReader,
    InputError, Progress, ReadOptions, ScanRun, Silent, Source, TestPause, READ_BUF,
};
use super::{Request, Scanner};
use crate::inputfile::{self, STDIN_HINT};
use crate::warn::Tally;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

/// Bytes per chunk: large enough that handing one to a thread costs little against
/// reading it, small enough that a few per thread keep memory low.
const CHUNK: usize = 1 << 20;
/// Chunks per memory-map window (mapped pages count as the process's memory while
/// mapped, so a window, not the file, is mapped at a time).
const CHUNKS_PER_WINDOW: usize = 8;
/// Chunks (or files being decompressed) in flight per thread.
const AHEAD_PER_THREAD: usize = 4;
/// Prepared chunks a gzip file's worker may run ahead of the correlator.
const GZ_AHEAD: usize = 16;
/// Bytes first read past a region's end to finish its last line; more only when needed.
const TAIL_FIRST: usize = 4096;

/// A chunk of a plain file, read and prepared.
struct ChunkDone {
    prepared: Prepared,
    /// The file ended inside this chunk (it shrank since its size was taken).
    short: bool,
    /// Reading failed.
    error: Option<io::Error>,
}

/// What a gzipped file's worker hands on: prepared chunks, then how the file ended.
enum GzMsg {
    Chunk(Prepared),
    /// Whole, or damaged after this many decompressed bytes.
    End(Option<(u64, InputError)>),
}

enum Job {
    Mapped {
        map: Arc<memmap2::Mmap>,
        own: std::ops::Range<usize>,
        reply: SyncSender<ChunkDone>,
    },
    Pread {
        file: Arc<File>,
        start: u64,
        end: u64,
        size: u64,
        reply: SyncSender<ChunkDone>,
    },
    Gz {
        file: File,
        path: PathBuf,
        chunk: usize,
        reply: SyncSender<GzMsg>,
    },
}

/// What the correlator takes next, in the input's order.
enum Item {
    Begin {
        stream: usize,
        name: String,
    },
    Chunk(Receiver<ChunkDone>),
    Gz(Receiver<GzMsg>),
    End {
        name: String,
        size: u64,
    },
    /// Standard input: read here, in its turn.
    Serial {
        stream: usize,
        src: Source,
    },
    StreamEnd(usize),
}

/// The current file, as far as the correlator took it.
#[derive(Default)]
struct FileState {
    stream: usize,
    read: u64,
    shrank: bool,
    damaged: Option<(u64, InputError)>,
    ends_with_newline: Option<bool>,
}

/// Read every stream on `opts.threads` threads; see the module's text.
pub(super) fn scan(
    streams: &[Vec<Source>],
    scanner: &mut Scanner,
    opts: ReadOptions,
    out: &mut dyn FnMut(usize, Request),
) -> Result<ScanRun, InputError> {
    let chunk = match opts.chunk {
        0 => std::env::var("JIRA_PATROL_TEST_CHUNK")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(CHUNK),
        n => n,
    };
    let threads = opts.threads.max(1);
    let pb = opts.progress;
    if let Some(p) = pb {
        p.begin(total_bytes(streams));
    }
    let (jobs, queue) = channel::<Job>();
    let queue = Mutex::new(queue);
    let spares = Spares::default();
    let result = std::thread::scope(|s| {
        for _ in 0..threads {
            let mut w = Worker {
                prep: scanner.preparer(),
                spares: &spares,
                pb: pb.unwrap_or(&Silent),
                buf: Vec::new(),
            };
            let queue = &queue;
            s.spawn(move || w.work(queue));
        }
        let mut c = Coordinator {
            scanner: &mut *scanner,
            out,
            pb,
            jobs,
            pending: VecDeque::new(),
            cap: threads * AHEAD_PER_THREAD,
            file: FileState::default(),
            said: Tally::new(),
            run: ScanRun::default(),
            buf: Vec::new(),
            hook: TestPause::from_env(),
            spares: &spares,
            chunk,
            window: chunk.saturating_mul(CHUNKS_PER_WINDOW),
            mmap: opts.mmap,
        };
        let r = c.scan_all(streams);
        // Dropping the queue's sender and the pending receivers lets every worker end.
        let Coordinator { said, run, .. } = c;
        r.map(|()| (said, run))
    });
    if let Some(pb) = pb {
        pb.end();
    }
    let (mut said, mut run) = result?;
    scanner.say_skipped_lines(&mut said);
    run.warnings = said.lines();
    Ok(run)
}

/// Buffers of prepared chunks the correlator is done with.
#[derive(Default)]
struct Spares(Mutex<Vec<Spare>>);

impl Spares {
    fn take(&self) -> Spare {
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }

    fn give(&self, p: Prepared, keep: usize) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < keep {
                v.push(p.into_spare());
            }
        }
    }
}

struct Coordinator<'s, 'o, 'p> {
    scanner: &'s mut Scanner,
    out: &'o mut dyn FnMut(usize, Request),
    pb: Option<&'p dyn Progress>,
    jobs: Sender<Job>,
    pending: VecDeque<Item>,
    cap: usize,
    file: FileState,
    said: Tally,
    run: ScanRun,
    buf: Vec<u8>,
    hook: Option<TestPause>,
    spares: &'p Spares,
    chunk: usize,
    window: usize,
    mmap: bool,
}

impl Coordinator<'_, '_, '_> {
    fn scan_all(&mut self, streams: &[Vec<Source>]) -> Result<(), InputError> {
        for (stream, sources) in streams.iter().enumerate() {
            for src in sources {
                match src {
                    Source::File(path) => self.dispatch_file(stream, path)?,
                    Source::Stdin => self.push(Item::Serial {
                        stream,
                        src: src.clone(),
                    })?,
                }
            }
            self.push(Item::StreamEnd(stream))?;
        }
        self.drain()
    }

    /// Queue `item`, first taking items in order while too many are in flight.
    fn push(&mut self, item: Item) -> Result<(), InputError> {
        while self.pending.len() >= self.cap {
            self.take_front()?;
        }
        self.pending.push_back(item);
        Ok(())
    }

    fn drain(&mut self) -> Result<(), InputError> {
        while !self.pending.is_empty() {
            self.take_front()?;
        }
        Ok(())
    }

    /// The test hook pauses here; all that was read before is taken first, so that no
    /// mapped page is touched while the test cuts the file.
    fn pause_point(&mut self, off: u64, how: &str) -> Result<(), InputError> {
        if self.hook.as_ref().is_some_and(|h| h.due(off)) {
            self.drain()?;
            if let Some(h) = &self.hook {
                h.at(off, how);
            }
        }
        Ok(())
    }

    fn job(&mut self, job: Job) {
        // Workers end only when the coordinator is gone, so the queue is open.
        let _ = self.jobs.send(job);
    }

    fn dispatch_file(&mut self, stream: usize, path: &Path) -> Result<(), InputError> {
        let unreadable = |e: io::Error| InputError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        };
        let (mut file, meta) = inputfile::open_regular(path, STDIN_HINT)
            .map_err(|e| InputError::from_file(e, path))?;
        let name = path.display().to_string();
        let size = meta.len();
        let mut magic = [0u8; 2];
        let gz = io::Read::read_exact(&mut file, &mut magic).is_ok() && magic == [0x1f, 0x8b];
        file.seek(io::SeekFrom::Start(0)).map_err(unreadable)?;
        self.push(Item::Begin {
            stream,
            name: name.clone(),
        })?;
        if gz {
            let (reply, rx) = sync_channel(GZ_AHEAD);
            self.push(Item::Gz(rx))?;
            self.job(Job::Gz {
                file,
                path: path.to_path_buf(),
                chunk: self.chunk,
                reply,
            });
            return self.push(Item::End { name, size });
        }
        let file = Arc::new(file);
        let mut off = 0u64;
        if self.mmap && map_reason(path, &meta).is_some() {
            off = self.dispatch_mapped(&file, size, path)?;
        }
        while off < size {
            self.pause_point(off, "read")?;
            let end = (off + self.chunk as u64).min(size);
            let (reply, rx) = sync_channel(1);
            self.push(Item::Chunk(rx))?;
            self.job(Job::Pread {
                file: Arc::clone(&file),
                start: off,
                end,
                size,
                reply,
            });
            off = end;
        }
        self.push(Item::End { name, size })
    }

    /// Map windows of a settled file while it is as long as it was; returns where the
    /// mapping stopped (the file's size, or where it must be read on with `pread`).
    fn dispatch_mapped(&mut self, file: &File, size: u64, path: &Path) -> Result<u64, InputError> {
        let mut off = 0u64;
        while off < size {
            self.pause_point(off, "map")?;
            let own_end = (off + self.window as u64).min(size);
            let lo = off.saturating_sub(1);
            let hi = (own_end + LINE_TAIL as u64).min(size);
            // The file may have been cut since the size was taken: never map past its end.
            let now = file.metadata().map_err(|e| InputError::Unreadable {
                path: path.to_path_buf(),
                source: e,
            })?;
            if now.len() < hi {
                break;
            }
            // SAFETY: the map is read-only; the file looked settled and was at least
            // this long just now (see map_reason), as on the one-thread path.
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(lo)
                    .len((hi - lo) as usize)
                    .map(file)
            };
            let Ok(map) = map else {
                break; // read on with pread from here
            };
            let _ = map.advise(memmap2::Advice::Sequential);
            let map = Arc::new(map);
            let mut c = off;
            while c < own_end {
                let d = (c + self.chunk as u64).min(own_end);
                let (reply, rx) = sync_channel(1);
                self.push(Item::Chunk(rx))?;
                self.job(Job::Mapped {
                    map: Arc::clone(&map),
                    own: (c - lo) as usize..(d - lo) as usize,
                    reply,
                });
                c = d;
            }
            off = own_end;
        }
        Ok(off)
    }

    /// Take the oldest item in flight, waiting for its worker.
    fn take_front(&mut self) -> Result<(), InputError> {
        let Some(item) = self.pending.pop_front() else {
            return Ok(());
        };
        match item {
            Item::Begin { stream, name } => self.begin_file(stream, &name),
            Item::Chunk(rx) => {
                let done = rx.recv().unwrap_or_else(|_| lost());
                if self.file.shrank || self.file.damaged.is_some() {
                    return Ok(());
                }
                if let Some(e) = done.error {
                    self.file.damaged = Some((
                        self.file.read,
                        InputError::Unreadable {
                            path: PathBuf::new(),
                            source: e,
                        },
                    ));
                    return Ok(());
                }
                self.apply(done.prepared);
                self.file.shrank = done.short;
            }
            Item::Gz(rx) => loop {
                match rx.recv() {
                    Ok(GzMsg::Chunk(p)) => self.apply(p),
                    Ok(GzMsg::End(damage)) => {
                        self.file.damaged = damage;
                        break;
                    }
                    Err(_) => {
                        self.file.damaged = Some((self.file.read, lost_gz()));
                        break;
                    }
                }
            },
            Item::End { name, size } => {
                let f = std::mem::take(&mut self.file);
                let ended = match f.damaged {
                    Some((read, error)) => Ended::Damaged {
                        read,
                        error: name_error(error, &name),
                    },
                    None => {
                        if f.ends_with_newline == Some(false) {
                            self.scanner.count_unterminated_line();
                        }
                        if f.shrank {
                            Ended::Shrank { read: f.read, size }
                        } else {
                            Ended::Whole
                        }
                    }
                };
                self.end_file(f.stream, &name, ended);
            }
            Item::Serial { stream, src } => {
                let name = src.display();
                self.begin_file(stream, &name);
                if self.buf.is_empty() {
                    self.buf = vec![0; READ_BUF];
                }
                let out = &mut *self.out;
                let ended = scan_any(&src, self.scanner, self.pb, &mut self.buf, &mut |r| {
                    out(stream, r)
                })?;
                self.end_file(stream, &name, ended);
            }
            Item::StreamEnd(stream) => {
                let out = &mut *self.out;
                self.scanner.end_stream(&mut |r| out(stream, r));
            }
        }
        Ok(())
    }

    fn begin_file(&mut self, stream: usize, name: &str) {
        if let Some(pb) = self.pb {
            pb.file(name);
        }
        self.scanner.begin_file();
        self.file = FileState {
            stream,
            ..FileState::default()
        };
    }

    fn end_file(&mut self, stream: usize, name: &str, ended: Ended) {
        let out = &mut *self.out;
        end_of_file(
            self.scanner,
            name,
            ended,
            &mut self.said,
            &mut self.run,
            &mut |r| out(stream, r),
        );
    }

    fn apply(&mut self, p: Prepared) {
        let out = &mut *self.out;
        let index = self.file.stream;
        self.scanner.apply(&p, &mut |r| out(index, r));
        self.file.read += p.bytes;
        if p.ends_with_newline.is_some() {
            self.file.ends_with_newline = p.ends_with_newline;
        }
        self.spares.give(p, self.cap + 4);
    }
}

/// A worker that ended without answering: it panicked, and the scope will say so.
fn lost() -> ChunkDone {
    ChunkDone {
        prepared: Prepared::default(),
        short: false,
        error: Some(io::Error::other("a reading thread failed")),
    }
}

fn lost_gz() -> InputError {
    InputError::Unreadable {
        path: PathBuf::new(),
        source: io::Error::other("a reading thread failed"),
    }
}

/// A read error of a worker, which did not know the file's name.
fn name_error(e: InputError, name: &str) -> InputError {
    match e {
        InputError::Unreadable { path, source } if path.as_os_str().is_empty() => {
            InputError::Unreadable {
                path: PathBuf::from(name),
                source,
            }
        }
        e => e,
    }
}

/// A reading and preparing thread.
struct Worker<'a> {
    prep: Preparer,
    spares: &'a Spares,
    pb: &'a dyn Progress,
    /// The `pread` buffer, used again for every region.
    buf: Vec<u8>,
}

impl Worker<'_> {
    /// Take jobs until the queue closes.
    fn work(&mut self, queue: &Mutex<Receiver<Job>>) {
        loop {
            let job = match queue.lock() {
                Ok(q) => q.recv(),
                Err(_) => return,
            };
            let Ok(job) = job else { return };
            match job {
                Job::Mapped { map, own, reply } => {
                    let prepared = self.prep.prepare(&map, own, self.spares.take());
                    drop(map);
                    self.pb.read(prepared.bytes);
                    let _ = reply.send(ChunkDone {
                        prepared,
                        short: false,
                        error: None,
                    });
                }
                Job::Pread {
                    file,
                    start,
                    end,
                    size,
                    reply,
                } => {
                    let done = self.pread(&file, start, end, size);
                    self.pb.read(done.prepared.bytes);
                    let _ = reply.send(done);
                }
                Job::Gz {
                    file,
                    path,
                    chunk,
                    reply,
                } => self.gz(file, path, chunk, &reply),
            }
        }
    }
    /// `buf[..]` from `at` in `file`, as far as the file goes.
    fn read_full(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match file.read_at(&mut buf[got..], at + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }

    /// Read and prepare the region `start..end` of a file `size` long (when its size was
    /// taken): the byte before it and the bytes that finish its last line come along.
    fn pread(&mut self, file: &File, start: u64, end: u64, size: u64) -> ChunkDone {
        let buf = &mut self.buf;
        let lo = start.saturating_sub(1);
        let hi = (end + LINE_TAIL as u64).min(size);
        let first_hi = (end + TAIL_FIRST as u64).min(hi);
        buf.resize((hi - lo) as usize, 0);
        let failed = |e| ChunkDone {
            prepared: Prepared::default(),
            short: false,
            error: Some(e),
        };
        let mut got = match Self::read_full(file, &mut buf[..(first_hi - lo) as usize], lo) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        let own_end = (end - lo) as usize;
        if lo + got as u64 == first_hi
            && first_hi < hi
            && memchr::memchr(b'\n', &buf[own_end - 1..got]).is_none()
        {
            // The last line goes on: read up to the longest line kept.
            match Self::read_full(file, &mut buf[got..], lo + got as u64) {
                Ok(n) => got += n,
                Err(e) => return failed(e),
            }
        }
        let own_start = ((start - lo) as usize).min(got);
        let prepared =
            self.prep
                .prepare(&buf[..got], own_start..own_end.min(got), self.spares.take());
        ChunkDone {
            prepared,
            short: lo + (got as u64) < end,
            error: None,
        }
    }

    /// Decompress a gzipped file and prepare it in chunks of whole lines, handing them on
    /// as the correlator takes them. A partial line is carried to the next chunk; past the
    /// longest line kept only its start is, the rest skipped to its newline.
    fn gz(&mut self, file: File, path: PathBuf, chunk: usize, reply: &SyncSender<GzMsg>) {
        let (prep, pb, spares) = (&mut self.prep, self.pb, self.spares);
        let name = path.display().to_string();
        let counted = Counted {
            inner: file,
            progress: pb,
        };
        let mut r = GzReader {
            inner: flate2::bufread::MultiGzDecoder::new(io::BufReader::with_capacity(
                1 << 16,
                counted,
            )),
            path,
        };
        let mut scratch = vec![0u8; chunk.clamp(1, 256 << 10)];
        let mut buf: Vec<u8> = Vec::new();
        // Bytes read but not in `buf` (the skipped middle of over-long lines).
        let mut skipped = 0u64;
        let mut skipping = false;
        let mut total = 0u64;
        let send = |buf: &[u8], skipped: &mut u64, prep: &mut Preparer| {
            let mut p = prep.prepare(buf, 0..buf.len(), spares.take());
            p.bytes += std::mem::take(skipped);
            reply.send(GzMsg::Chunk(p)).is_ok()
        };
        loop {
            let n = match r.read(&mut scratch) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Whole lines up to the damage; the partial one is no line (as cut_file).
                    let cut = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                    skipped += (buf.len() - cut) as u64;
                    buf.truncate(cut);
                    if send(&buf, &mut skipped, prep) {
                        let _ = reply.send(GzMsg::End(Some((total, read_error(e, &name)))));
                    }
                    return;
                }
            };
            total += n as u64;
            let mut data = &scratch[..n];
            if skipping {
                match memchr::memchr(b'\n', data) {
                    None => {
                        skipped += n as u64;
                        continue;
                    }
                    Some(i) => {
                        skipped += i as u64;
                        data = &data[i..];
                        skipping = false;
                    }
                }
            }
            buf.extend_from_slice(data);
            let cut = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
            if buf.len() - cut > LINE_TAIL {
                skipped += (buf.len() - cut - LINE_TAIL) as u64;
                buf.truncate(cut + LINE_TAIL);
                skipping = true;
            }
            if cut >= chunk {
                if !send(&buf[..cut], &mut skipped, prep) {
                    return;
                }
                buf.drain(..cut);
            }
        }
        if (!buf.is_empty() || skipped > 0) && !send(&buf, &mut skipped, prep) {
            return;
        }
        let _ = reply.send(GzMsg::End(None));
    }
}
