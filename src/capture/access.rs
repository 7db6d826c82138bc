//! The access log during a capture: each node's daily file followed live (through the
//! switch to the next day's file) and joined to that node's PAT requests as they come.

use crate::access::files::DailyFollower;
use crate::access::join::{Joiner, Lines, LAG_MS};
use crate::access::reading::Reading;
use crate::scan::input::InputError;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a capture needs to join: how to read the lines, and each node's access-log
/// directory, in the order of the application logs.
#[derive(Debug, Clone)]
pub struct LiveAccess {
    /// How lines are read: pattern, `%D` unit, file prefix.
    pub reading: Reading,
    /// One access-log directory per node, in the order of the `--log`s.
    pub dirs: Vec<PathBuf>,
}

/// Lines the follower has delivered and the joiner has not yet read.
pub struct LiveLines {
    follower: Daily,
    buf: Vec<u8>,
    pos: usize,
}

/// Where the day's file is followed: here, or on the node through ssh.
enum Daily {
    Local(DailyFollower),
    Remote(crate::source::remote::RemoteTail),
}

impl LiveLines {
    /// Follow the newest `<prefix>*` file of `dir` from its end (an empty `prefix` means
    /// `access_log`); with no such file yet, the first to appear is read from its start.
    /// With `within` (an install and the file that named `dir`), only files inside it.
    pub fn start(
        dir: &std::path::Path,
        prefix: &str,
        within: Option<&(PathBuf, String)>,
    ) -> std::io::Result<LiveLines> {
        let mut follower = DailyFollower::start(dir, prefix)?;
        if let Some((root, asked_by)) = within {
            follower = follower.within(root, asked_by)?;
        }
        Ok(LiveLines {
            follower: Daily::Local(follower),
            buf: Vec::new(),
            pos: 0,
        })
    }

    /// [`LiveLines::start`] for a directory on another host (`ssh://…`), read through the
    /// connection `net` keeps to it.
    pub fn start_remote(
        dir: &crate::source::SshPath,
        prefix: &str,
        net: &mut crate::source::tail::Transports,
    ) -> Result<LiveLines, crate::source::tail::TailError> {
        let label = format!("{dir} (access log)");
        let remote = |source| crate::source::tail::TailError::Remote {
            label: label.clone(),
            source,
        };
        let ssh = net.ssh().map_err(|e| remote(e.into()))?;
        let prefix = if prefix.is_empty() {
            crate::access::files::DEFAULT_PREFIX
        } else {
            prefix
        };
        let tail = crate::source::remote::RemoteTail::start_daily(
            crate::source::remote::Via::Ssh(ssh, dir.clone()),
            prefix,
            label.clone(),
            Duration::from_millis(500),
        )
        .map_err(remote)?;
        Ok(LiveLines {
            follower: Daily::Remote(tail),
            buf: Vec::new(),
            pos: 0,
        })
    }

    /// Take what the follower has now. The joiner holds lines back only as far as the
    /// application log lags (minutes), so the buffer stays a few minutes of traffic.
    pub fn fill(&mut self) -> std::io::Result<()> {
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let buf = &mut self.buf;
        match &mut self.follower {
            Daily::Local(f) => f.poll(&mut |line| {
                buf.extend_from_slice(line);
                buf.push(b'\n');
            }),
            Daily::Remote(r) => {
                r.poll(&mut |m| match m {
                    crate::source::remote::Msg::Data(d) => buf.extend_from_slice(&d),
                    // A day's file ends: a last line without its newline is complete.
                    crate::source::remote::Msg::EndOfFile
                        if buf.last().is_some_and(|&c| c != b'\n') =>
                    {
                        buf.push(b'\n');
                    }
                    _ => {}
                });
                Ok(())
            }
        }
    }
}

impl Lines for LiveLines {
    fn next_line(&mut self) -> Result<Option<&[u8]>, InputError> {
        let rest = &self.buf[self.pos..];
        let Some(end) = memchr::memchr(b'\n', rest) else {
            return Ok(None);
        };
        let start = self.pos;
        self.pos += end + 1;
        let line = &self.buf[start..start + end];
        // As the local follower gives them: without a carriage return.
        Ok(Some(line.strip_suffix(b"\r").unwrap_or(line)))
    }

    fn is_live(&self) -> bool {
        true
    }
}

/// A join of one node's PAT requests to its followed access log.
pub type LiveJoiner = Joiner<LiveLines>;

/// The wall-clock bound up to which a live access log is read: the application log is
/// being written now, so nothing older than the correlator's lag can still be waited for.
pub fn live_bound() -> i64 {
    jiff::Timestamp::now().as_millisecond() - LAG_MS
}

/// Take what the follower has now and read it up to `%t` = `bound`; the follower's
/// error, if any.
pub fn read_up_to(
    j: &mut LiveJoiner,
    bound: i64,
    out: &mut dyn FnMut(crate::scan::Request, Option<crate::access::join::Http>),
) -> Option<String> {
    let err = j.source_mut().fill().err().map(|e| e.to_string());
    // Live lines are read by `fill`: reading them from the buffer cannot fail.
    let _ = j.advance_to(bound, out);
    err
}

/// How long the end of a capture waits for the access lines of its last requests:
/// Tomcat's valve writes through a buffer it flushes every few seconds.
pub const CATCH_UP: Duration = Duration::from_secs(12);

/// After the window: read each node's access log until every request found its line or
/// [`CATCH_UP`] has passed, then give up the rest.
pub fn catch_up(
    joiners: &mut [&mut LiveJoiner],
    poll: Duration,
    out: &mut dyn FnMut(crate::scan::Request, Option<crate::access::join::Http>),
) -> Vec<String> {
    let mut errors = Vec::new();
    let until = Instant::now() + CATCH_UP;
    loop {
        for j in joiners.iter_mut() {
            if let Some(e) = read_up_to(j, i64::MAX, out) {
                if !errors.contains(&e) {
                    errors.push(e);
                }
            }
        }
        if joiners.iter().all(|j| j.waiting() == 0) || Instant::now() >= until {
            break;
        }
        std::thread::sleep(poll);
    }
    for j in joiners.iter_mut() {
        let _ = j.finish(out);
    }
    errors
}
