//! Run the binary and measure what it cost: its own peak resident memory and CPU time
//! from `wait4`, which reports one child's figures (unlike `getrusage(RUSAGE_CHILDREN)`,
//! which would mix in every other test's children). CPU time, not wall time: a loaded
//! machine makes a run wait longer, not work longer.
//!
//! One catch: Linux keeps, in a process's peak, the peak of the memory it had before
//! `exec` — and a child spawned by this (large, multi-threaded) test process starts from
//! ours. So the binary is started by `sh`, a small fresh process that forks it and leaves
//! at once; this process, made a subreaper, inherits the binary and reaps it by the pid
//! `sh` wrote down. The fork waits for `sh` to leave before it becomes the binary: `sh`
//! would otherwise reap a binary that ended first (a refusal at once), and the wait here
//! would find no child.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What writes a run's standard input (on a thread of its own).
pub type Feed = Box<dyn FnOnce(&mut dyn Write) + Send>;

/// What a measured run did and cost.
pub struct Measured {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Peak resident set, bytes.
    pub max_rss: u64,
    /// User plus system CPU time.
    pub cpu: Duration,
}

impl Measured {
    pub fn mib(&self) -> f64 {
        self.max_rss as f64 / (1 << 20) as f64
    }
}

/// Run `cmd` to its end, feeding its standard input from `feed` (or nothing), and
/// killing it after `guard` (a hang guard: only reached when something is broken).
pub fn run(cmd: Command, feed: Option<Feed>, guard: Duration) -> Measured {
    // SAFETY: prctl with plain integer arguments.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) },
        0
    );
    let pid_file = tempfile::NamedTempFile::new().unwrap();
    let gate = tempfile::tempdir().unwrap();
    // A background command of a script gets /dev/null as its standard input: it is
    // handed ours again through fd 3. It starts only once `sh` has left (its read of the
    // gate ends when `sh`'s end of it closes): a command that ended first would be reaped
    // by `sh` (dash does), never by us.
    let mut sh = super::through_sh(
        "exec 3<&0; mkfifo \"$MEASURE_GATE\"; ( read _ < \"$MEASURE_GATE\"; exec \"$0\" \"$@\" <&3 3<&- ) & echo $! > \"$MEASURE_PID_FILE\"; exec 4> \"$MEASURE_GATE\"",
        &cmd,
    );
    sh.env("MEASURE_PID_FILE", pid_file.path())
        .env("MEASURE_GATE", gate.path().join("gate"));
    sh.stdin(if feed.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = sh.spawn().expect("spawn sh");
    // Taken before the wait, which would close standard input.
    let stdin = child.stdin.take();
    let out = child.stdout.take();
    let err = child.stderr.take();
    let launched = child.wait().expect("sh ends at once");
    assert!(launched.success(), "sh: {launched}");
    let pid: libc::pid_t = std::fs::read_to_string(pid_file.path())
        .unwrap()
        .trim()
        .parse()
        .expect("the pid sh wrote down");
    let writer = feed.map(|f| {
        let mut stdin = stdin.expect("piped");
        std::thread::spawn(move || {
            f(&mut stdin);
        })
    });
    let mut out = out.expect("piped");
    let mut err = err.expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    // The watchdog may kill only while the child is not reaped (its pid cannot have
    // been reused): it holds the lock to kill, and the child is reaped only after the
    // flag is set under the same lock.
    let finished = Arc::new(Mutex::new(false));
    let dog = {
        let finished = Arc::clone(&finished);
        std::thread::spawn(move || {
            let start = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(20));
                let done = finished.lock().unwrap();
                if *done {
                    return false;
                }
                if start.elapsed() > guard {
                    // SAFETY: plain kill(2) of our own unreaped child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return true;
                }
            }
        })
    };
    // Wait for the end without reaping, then reap with its rusage.
    // SAFETY: waitid and wait4 on our own child, with valid out-pointers.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        while libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        ) != 0
        {
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EINTR)
            );
        }
    }
    *finished.lock().unwrap() = true;
    let killed = dog.join().unwrap();
    let mut status = 0;
    // SAFETY: as above.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4");
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    assert!(
        !killed,
        "still running after {guard:?}: stderr so far:\n{stderr}"
    );
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
    // Seen with --nocapture: the figures the report of a change quotes.
    eprintln!(
        "measured: {:.2} s CPU, {} MiB peak: {:?}",
        cpu.as_secs_f64(),
        ru.ru_maxrss / 1024,
        cmd.get_args().collect::<Vec<_>>()
    );
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout,
        stderr,
        // Linux reports kilobytes.
        max_rss: ru.ru_maxrss as u64 * 1024,
        cpu,
    }
}
