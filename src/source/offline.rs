//! Reading a node's whole log set where it lives, for `summarize ssh://host/path`: the
//! node filters, so that only PAT lines cross the network. It runs plain `LC_ALL=C grep -F`
//! with the scanner's own literals ([`crate::scan::PAT_LITERALS`]: every line the scanner
//! would look at holds one, and no other line is looked at) over each file, then keeps the
//! lines that start with a digit (the scanner reads only lines that start with their
//! date), through `gzip -dc` for gzipped ones (told by their first bytes, as locally):
//! tools every Linux node has. The files are listed and ordered as local ones are
//! (rotated sets oldest first, by the times inside when their numbers disagree), and the
//! report says how many bytes were read on the node beside how many were transferred.

use super::ssh::{quote, Ssh, SshError};
use super::SshPath;
use crate::scan::input::{group_names, order_by_times, Source};
use crate::scan::{Request, Scanner};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

/// Why a remote set could not be read; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// The connection.
    #[error("{target}: {source}")]
    Ssh {
        /// The set as given.
        target: String,
        /// What failed.
        source: SshError,
    },
    /// Nothing there.
    #[error("{0}: no such file or directory on the node: check the path")]
    Missing(String),
    /// There, but not for this user.
    #[error("{0}: the ssh user cannot read it: add that user to the group that owns the logs (often `jira`)")]
    Unreadable(String),
    /// A directory without logs.
    #[error("{0}: this directory holds no atlassian-jira.log* files: point at JIRA_HOME/log or at the files")]
    NoLogs(String),
    /// The node's tools failed on a file.
    #[error("{file}: reading it on the node failed: {why}")]
    Failed {
        /// The file.
        file: String,
        /// What the node said.
        why: String,
    },
}

/// One file of a remote set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Its path on the node.
    pub path: String,
    /// Its size there (as stored: compressed for gzip).
    pub size: u64,
}

/// What reading remote sets cost: bytes read on the nodes, bytes transferred.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Bytes of the files read on the nodes.
    pub read_on_nodes: u64,
    /// Bytes received.
    pub transferred: u64,
}

/// Run a POSIX sh script on the host whatever the login shell, collecting its output.
fn run(ssh: &Ssh, t: &SshPath, script: &str) -> Result<(Vec<u8>, String, Option<i32>), SshError> {
    let mut s = ssh.session(t, &format!("exec sh -c {}", quote(script)))?;
    drop(s.child.stdin.take());
    let mut out = Vec::new();
    if let Some(mut o) = s.child.stdout.take() {
        let _ = o.read_to_end(&mut out);
    }
    let status = s.child.wait().ok().and_then(|st| st.code());
    if status == Some(255) {
        return Err(s.failure());
    }
    Ok((out, s.errors(), status))
}

/// The files a path names on its node: a directory's `atlassian-jira.log*`, or the file.
pub fn list(ssh: &Ssh, t: &SshPath) -> Result<Vec<RemoteFile>, OfflineError> {
    let p = quote(&t.path);
    let script = format!(
        "p={p}; if [ -d \"$p\" ]; then if [ -r \"$p\" ] && [ -x \"$p\" ]; then for f in \"$p\"/{}*; do if [ -f \"$f\" ]; then stat -L -c \"%s %n\" -- \"$f\"; fi; done; else echo \"? unreadable\"; fi; elif [ -r \"$p\" ]; then stat -L -c \"%s %n\" -- \"$p\"; elif [ -e \"$p\" ]; then echo \"? unreadable\"; else echo \"? missing\"; fi",
        crate::scan::input::LOG_NAME
    );
    let (out, _, _) = run(ssh, t, &script).map_err(|source| OfflineError::Ssh {
        target: t.to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&out);
    let mut files = Vec::new();
    for l in text.lines() {
        match l {
            "? unreadable" => return Err(OfflineError::Unreadable(t.to_string())),
            "? missing" => return Err(OfflineError::Missing(t.to_string())),
            _ => {}
        }
        if let Some((size, name)) = l.split_once(' ') {
            if let Ok(size) = size.parse() {
                files.push(RemoteFile {
                    path: name.to_string(),
                    size,
                });
            }
        }
    }
    if files.is_empty() {
        return Err(OfflineError::NoLogs(t.to_string()));
    }
    Ok(files)
}

/// The files whose names start with `prefix` in the directory a path names (or the file
/// itself), as paths on the node: Tomcat's daily access logs.
pub fn list_prefixed(ssh: &Ssh, t: &SshPath, prefix: &str) -> Result<Vec<String>, OfflineError> {
    let script = format!(
        "d={}; if [ -d \"$d\" ]; then set +f; for f in \"$d\"/{}*; do if [ -f \"$f\" ]; then printf \"%s\\n\" \"$f\"; fi; done; elif [ -f \"$d\" ]; then printf \"%s\\n\" \"$d\"; else echo \"? missing\"; fi",
        quote(&t.path),
        quote(prefix)
    );
    let (out, _, _) = run(ssh, t, &script).map_err(|source| OfflineError::Ssh {
        target: t.to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&out);
    if text.lines().any(|l| l == "? missing") {
        return Err(OfflineError::Missing(t.to_string()));
    }
    let files: Vec<String> = text.lines().map(str::to_string).collect();
    if files.is_empty() {
        return Err(OfflineError::NoLogs(t.to_string()));
    }
    Ok(files)
}

/// A remote file's bytes as they are stored (gzip stays compressed over the network and is
/// told by its bytes here), for a reader that owns the session until it is dropped.
pub fn open(ssh: &Ssh, t: &SshPath, path: &str) -> std::io::Result<Box<dyn Read + Send>> {
    let mut s = ssh
        .session(t, &format!("exec cat -- {}", quote(path)))
        .map_err(std::io::Error::other)?;
    drop(s.child.stdin.take());
    let out = s
        .child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no output from ssh"))?;
    Ok(Box::new(Streamed { out, _session: s }))
}

/// A session's output, the session kept alive while it is read.
struct Streamed {
    out: std::process::ChildStdout,
    _session: super::ssh::Session,
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.out.read(buf)
    }
}

/// The first log time of each file (UTC ms), read on the node from its first 64 KiB.
fn first_times(ssh: &Ssh, t: &SshPath, files: &[&str]) -> HashMap<String, i64> {
    let mut script = String::new();
    for f in files {
        script.push_str(&format!(
            "f={}; if [ \"$(head -c 2 \"$f\" | od -An -tx1 | tr -d \" \\n\")\" = 1f8b ]; then gzip -dc -- \"$f\" 2>/dev/null | head -c 65536; else head -c 65536 -- \"$f\"; fi | LC_ALL=C grep -m 1 -E \"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} \" | head -c 40; echo; ",
            quote(f)
        ));
    }
    let Ok((out, _, _)) = run(ssh, t, &script) else {
        return HashMap::new();
    };
    let mut zone = crate::scan::Zone::new(jiff::tz::TimeZone::UTC);
    String::from_utf8_lossy(&out)
        .lines()
        .zip(files)
        .filter_map(|(l, f)| {
            crate::scan::time::parse_prefix(l.as_bytes(), &mut zone)
                .map(|(ts, _)| (f.to_string(), ts.ms))
        })
        .collect()
}

/// The name a remote file has in reports and in the grouping of sets.
fn url_of(t: &SshPath, path: &str) -> PathBuf {
    PathBuf::from(t.with_path(path.to_string()).to_string())
}

/// A remote path's rotated sets, oldest file first, each file with its node path and size;
/// notes for sets whose order was taken from the times inside.
pub fn sets(ssh: &Ssh, t: &SshPath) -> Result<(Vec<Vec<RemoteFile>>, Vec<String>), OfflineError> {
    let files = list(ssh, t)?;
    let by_url: HashMap<PathBuf, RemoteFile> = files
        .iter()
        .map(|f| (url_of(t, &f.path), f.clone()))
        .collect();
    let groups = group_names(files.iter().map(|f| url_of(t, &f.path)).collect());
    let mut streams: Vec<Vec<Source>> = groups
        .into_iter()
        .map(|g| g.into_iter().map(Source::File).collect())
        .collect();
    let mut notes = Vec::new();
    if streams.iter().any(|s| s.len() > 1) {
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let times = first_times(ssh, t, &paths);
        let by_url_time: HashMap<String, i64> = files
            .iter()
            .filter_map(|f| {
                times
                    .get(&f.path)
                    .map(|ms| (url_of(t, &f.path).display().to_string(), *ms))
            })
            .collect();
        notes = order_by_times(&mut streams, &|s| by_url_time.get(&s.display()).copied());
    }
    let sets = streams
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter_map(|s| match s {
                    Source::File(p) => by_url.get(&p).cloned(),
                    Source::Stdin => None,
                })
                .collect()
        })
        .collect();
    Ok((sets, notes))
}

/// What reading one remote file gave.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    /// Bytes received.
    pub transferred: u64,
    /// Set when the file could be read only in part (a damaged gzip file): why.
    pub partial: Option<String>,
}

/// What the node's script says on stderr when its `grep -F` failed (not: found nothing).
const GREP_FAILED: &str = "jira-patrol: grep failed";

/// The size of a chunk read from ssh, and how many may wait to be parsed.
const CHUNK: usize = 256 << 10;
const CHUNKS: usize = 16;

/// A larger pipe from ssh (1 MiB, where Linux allows it): fewer wake-ups of ssh and of
/// the reader for the same bytes. Left as it is when refused.
fn widen_pipe(o: &std::process::ChildStdout) {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on a descriptor this process owns; failure changes nothing.
    unsafe {
        libc::fcntl(o.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// Read one remote file through the node's filter into `scanner` (whose file begins and
/// ends here).
pub fn scan_file(
    ssh: &Ssh,
    t: &SshPath,
    file: &RemoteFile,
    scanner: &mut Scanner,
    out: &mut dyn FnMut(Request),
) -> Result<Scanned, OfflineError> {
    let lits: Vec<String> = crate::scan::PAT_LITERALS
        .iter()
        .map(|l| format!("-e {}", quote(l)))
        .collect();
    // The literals also stand in stack-trace frames (`\tat com.atlassian.pats.web.filter.
    // TokenBasedAuthenticationFilter.doFilter`: every exception thrown under the filter),
    // which the scanner never reads (it reads lines that start with their date): a second
    // grep keeps only dated lines, so that the frames stay on the node. A failing first
    // grep is said on stderr, the pipe's status being the second's.
    let grep = format!(
        "{{ LC_ALL=C grep -F {} \"$@\" || [ $? -eq 1 ] || echo \"{GREP_FAILED}\" >&2; }}",
        lits.join(" ")
    );
    let script = format!(
        "f={}; g() {grep}; if [ \"$(head -c 2 \"$f\" | od -An -tx1 | tr -d \" \\n\")\" = 1f8b ]; then {{ gzip -dc -- \"$f\" || echo \"jira-patrol: gzip failed\" >&2; }} | g; else g -- \"$f\"; fi | LC_ALL=C grep \"^[0-9]\"",
        quote(&file.path)
    );
    let url = url_of(t, &file.path).display().to_string();
    let failed = |source| OfflineError::Ssh {
        target: url.clone(),
        source,
    };
    let mut s = ssh
        .session(t, &format!("exec sh -c {}", quote(&script)))
        .map_err(failed)?;
    drop(s.child.stdin.take());
    let mut transferred = 0u64;
    scanner.begin_file();
    if let Some(o) = s.child.stdout.take() {
        // Read on a thread of its own: while a chunk is parsed here, ssh goes on
        // writing the next (a full pipe would stop the node's grep and the connection).
        // The chunks go back to the reader to be filled again: a fresh one each time
        // would be fresh pages from the kernel, a fault for every 4 KiB that crosses.
        widen_pipe(&o);
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(CHUNKS);
        let (back, spare) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        let reader = std::thread::spawn(move || {
            let mut o = o;
            loop {
                let mut buf = spare.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
                match o.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.send(Ok((buf, n))).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        for chunk in rx {
            match chunk {
                Ok((b, n)) => {
                    transferred += n as u64;
                    scanner.feed(&b[..n], out);
                    let _ = back.try_send(b);
                }
                Err(e) => {
                    return Err(OfflineError::Failed {
                        file: url,
                        why: e.to_string(),
                    })
                }
            }
        }
        let _ = reader.join();
    }
    scanner.end_file(out);
    let status = s.child.wait().ok().and_then(|st| st.code());
    let said = s.errors();
    if said.contains("jira-patrol: gzip failed") {
        return Ok(Scanned {
            transferred,
            partial: Some(format!(
                "{url} is not a complete gzip file: the report covers only what could be decompressed"
            )),
        });
    }
    let grep_failed = said.contains(GREP_FAILED);
    match status {
        // grep: 0 lines found, 1 none.
        Some(0) | Some(1) if !grep_failed => Ok(Scanned {
            transferred,
            partial: None,
        }),
        Some(255) => Err(failed(s.failure())),
        _ => Err(OfflineError::Failed {
            file: url,
            why: said
                .lines()
                .rfind(|l| !l.trim().is_empty() && !l.contains(GREP_FAILED))
                .unwrap_or("the node's grep failed")
                .to_string(),
        }),
    }
}
