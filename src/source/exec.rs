//! Following the output of a command: `exec:COMMAND`, run by `sh -c` on this machine,
//! prints a node's log and keeps following it (`kubectl exec … -- tail -F -n +1 FILE`,
//! `docker logs -f`, a fluentd tap). What the command sees of rotation is its own affair;
//! what jira-patrol guarantees is about the stream:
//! - a command that ends (a pod restarted, the API server dropped the stream) is started
//!   again; when its new output begins with exactly the bytes already read (checked by a
//!   checksum over all of them) reading goes on after them, nothing twice;
//! - when it does not (the file rotated meanwhile), the lines not newer than the last
//!   line read are skipped as already read, and the time between that line and the first
//!   new one is reported as a gap.
//!
//! The command runs in a process group of its own, ended with the capture.

use super::remote::Msg;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a command's output stays silent before the last read takes it as complete.
pub const QUIET: Duration = Duration::from_millis(500);

/// A running `exec:` source.
pub struct ExecTail {
    rx: Receiver<Msg>,
    stop: Arc<AtomicBool>,
    pgid: Arc<AtomicI32>,
}

/// 64-bit FNV-1a, running over everything read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn add(&mut self, data: &[u8]) {
        for &b in data {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The date that starts a log line (`2024-01-02 03:04:05,678`), if it starts with one.
fn line_date(line: &[u8]) -> Option<&[u8]> {
    let d = line.get(..23)?;
    crate::scan::time::starts_with_date(d).then_some(d)
}

/// The date of the last dated line handed over (the unfinished last line's start kept
/// until its newline comes).
#[derive(Default)]
struct LastDate {
    date: Option<Vec<u8>>,
    partial: Vec<u8>,
}

impl LastDate {
    fn add(&mut self, data: &[u8]) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', data) {
            let mut l = std::mem::take(&mut self.partial);
            let take = 23usize.saturating_sub(l.len()).min(nl - start);
            l.extend_from_slice(&data[start..start + take]);
            if let Some(d) = line_date(&l) {
                self.date = Some(d.to_vec());
            }
            start = nl + 1;
        }
        if start < data.len() && self.partial.len() < 23 {
            let take = (23 - self.partial.len()).min(data.len() - start);
            self.partial.extend_from_slice(&data[start..start + take]);
        }
    }
}

impl ExecTail {
    /// Start the command now; `label` names the source in notes.
    pub fn start(command: &str, label: String) -> std::io::Result<ExecTail> {
        let child = spawn(command)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let stop = Arc::new(AtomicBool::new(false));
        let pgid = Arc::new(AtomicI32::new(child.id() as i32));
        let (s, g, cmd) = (stop.clone(), pgid.clone(), command.to_string());
        std::thread::Builder::new()
            .name("exec-log".into())
            .spawn(move || run(child, &cmd, &label, &tx, &s, &g))?;
        Ok(ExecTail { rx, stop, pgid })
    }

    /// The last read of a capture: what the command prints until it has been quiet for
    /// [`QUIET`], at most `limit`. The lines Jira wrote before the restore may still be on
    /// their way through the command (a `kubectl exec` stream, `tail -F`'s next wake-up)
    /// and its pipe: a read that took only what had arrived would drop them unsaid.
    pub fn finish(&mut self, limit: Duration, out: &mut dyn FnMut(Msg)) {
        let until = Instant::now() + limit;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match self.rx.recv_timeout(QUIET.min(left)) {
                Ok(m) => out(m),
                Err(_) => return,
            }
        }
    }

    /// What the command printed since the last call (never blocks).
    pub fn poll(&mut self, out: &mut dyn FnMut(Msg)) {
        loop {
            match self.rx.try_recv() {
                Ok(m) => out(m),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return,
            }
        }
    }
}

impl Drop for ExecTail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let g = self.pgid.load(Ordering::SeqCst);
        if g > 0 {
            // SAFETY: kill(2) on the process group of a command this tail started.
            unsafe { libc::kill(-g, libc::SIGTERM) };
        }
        while self.rx.try_recv().is_ok() {}
    }
}

fn spawn(command: &str) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
}

/// The last words a command said on stderr (a line), for the note when it ends.
fn last_words(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(e) = child.stderr.as_mut() {
        let _ = e.take(64 << 10).read_to_string(&mut s);
    }
    s.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

fn run(
    mut child: Child,
    command: &str,
    label: &str,
    tx: &SyncSender<Msg>,
    stop: &AtomicBool,
    pgid: &AtomicI32,
) {
    let mut last = LastDate::default();
    let mut buf = vec![0u8; 256 << 10];
    let mut restarts = 0u32;
    // Everything this run of the command printed: how much, and its running checksum.
    let (mut printed, mut sum) = (0u64, Fnv::new());
    // When restarted: how much the previous run printed, its checksum, and the new run's
    // bytes held until they can be compared.
    let mut replay: Option<(u64, Fnv, Vec<u8>)> = None;
    // After a mismatch: lines are skipped until one is newer than this date.
    let mut skip_until: Option<Vec<u8>> = None;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let Some(mut out) = child.stdout.take() else {
            return;
        };
        loop {
            let n = match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            printed += n as u64;
            sum.add(&buf[..n]);
            let mut data = &buf[..n];
            if let Some((want, want_sum, mut kept)) = replay.take() {
                kept.extend_from_slice(data);
                data = &[];
                // A line newer than the last one read cannot be a replay: the output differs.
                let newer = last
                    .date
                    .as_deref()
                    .is_some_and(|d| first_newer(&kept, d).is_some());
                if printed < want && !newer {
                    replay = Some((want, want_sum, kept));
                    continue;
                }
                let mut head = Fnv::new();
                head.add(&kept[..(want as usize).min(kept.len())]);
                if !newer && head == want_sum {
                    // The same bytes again: read on after them.
                    carry = kept[want as usize..].to_vec();
                } else {
                    let _ = tx.send(Msg::EndOfFile);
                    let _ = tx.send(Msg::Gap(format!(
                        "{label}: the restarted command printed something else than what was read (the log rotated?): lines not newer than the last one read are skipped"
                    )));
                    skip_until = last.date.clone();
                    carry = kept;
                }
            }
            let mut chunk = std::mem::take(&mut carry);
            chunk.extend_from_slice(data);
            let chunk = match &skip_until {
                Some(d) => match first_newer(&chunk, d) {
                    Some(at) => {
                        skip_until = None;
                        chunk[at..].to_vec()
                    }
                    None => {
                        // Keep an unfinished last line: its date may come with the next read.
                        let tail = memchr::memrchr(b'\n', &chunk).map_or(0, |i| i + 1);
                        carry = chunk[tail..].to_vec();
                        continue;
                    }
                },
                None => chunk,
            };
            if chunk.is_empty() {
                continue;
            }
            last.add(&chunk);
            if tx.send(Msg::Data(chunk)).is_err() {
                return;
            }
        }
        let status = child.wait().ok();
        let said = last_words(&mut child);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        restarts += 1;
        let how = match status.and_then(|s| s.code()) {
            Some(c) => format!("exited with status {c}"),
            None => "was ended by a signal".to_string(),
        };
        let _ = tx.send(Msg::Note(format!(
            "{label}: the command {how}{}; starting it again",
            if said.is_empty() {
                String::new()
            } else {
                format!(" ({said})")
            }
        )));
        // Back off a little more each time, up to 5 s, so a command that cannot run does
        // not spin.
        let pause = Duration::from_millis(200 * u64::from(restarts.min(25)));
        let until = std::time::Instant::now() + pause;
        while std::time::Instant::now() < until {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        match spawn(command) {
            Ok(c) => {
                pgid.store(c.id() as i32, Ordering::SeqCst);
                child = c;
                if printed > 0 {
                    replay = Some((printed, sum, Vec::new()));
                }
                (printed, sum) = (0, Fnv::new());
            }
            Err(e) => {
                let _ = tx.send(Msg::Note(format!(
                    "{label}: cannot start the command again: {e}"
                )));
                return;
            }
        }
    }
}

/// Where the first line dated later than `last` starts in `chunk` (complete lines only).
fn first_newer(chunk: &[u8], last: &[u8]) -> Option<usize> {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', chunk) {
        if line_date(&chunk[start..nl]).is_some_and(|d| d > last) {
            return Some(start);
        }
        start = nl + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for(t: &mut ExecTail, want: &str) -> String {
        let mut got = String::new();
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while !got.contains(want) && std::time::Instant::now() < until {
            t.poll(&mut |m| match m {
                Msg::Data(d) => got.push_str(&String::from_utf8_lossy(&d)),
                Msg::EndOfFile => got.push('|'),
                Msg::Gap(_) => got.push_str("<gap>"),
                Msg::Note(_) => {}
            });
            std::thread::sleep(Duration::from_millis(5));
        }
        got
    }

    #[test]
    fn a_restarted_command_is_read_on_after_what_it_printed_before() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("log");
        let gate = d.path().join("gate");
        std::fs::write(&log, "2024-01-01 00:00:01,000 a\n").unwrap();
        // Prints the file, then (the first time only) dies; the second run prints the
        // file again and then a marker once the file has grown.
        let cmd = format!(
            "cat {l}; if [ -e {g} ]; then echo 2024-01-01 00:00:09,000 end; sleep 30; fi; touch {g}",
            l = log.display(),
            g = gate.display()
        );
        let mut t = ExecTail::start(&cmd, "node".into()).unwrap();
        let got = wait_for(&mut t, "end");
        assert_eq!(
            got,
            "2024-01-01 00:00:01,000 a\n2024-01-01 00:00:09,000 end\n"
        );
    }

    #[test]
    fn output_that_differs_after_a_restart_skips_what_was_read_and_says_so() {
        let d = tempfile::tempdir().unwrap();
        let gate = d.path().join("gate");
        let cmd = format!(
            "if [ -e {g} ]; then printf '2024-01-01 00:00:01,000 old\\n2024-01-01 00:00:05,000 new\\n'; sleep 30; else printf '2024-01-01 00:00:01,000 old\\n2024-01-01 00:00:02,000 lost later\\n'; touch {g}; fi",
            g = gate.display()
        );
        let mut t = ExecTail::start(&cmd, "node".into()).unwrap();
        let got = wait_for(&mut t, "new");
        assert_eq!(
            got,
            "2024-01-01 00:00:01,000 old\n2024-01-01 00:00:02,000 lost later\n|<gap>2024-01-01 00:00:05,000 new\n"
        );
    }
}
