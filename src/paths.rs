//! Where jira-patrol keeps things: user config under `$XDG_CONFIG_HOME/jira-patrol/`
//! (default `~/.config/jira-patrol/`), state (the level journals, one per Jira) under
//! `$XDG_STATE_HOME/jira-patrol/` (default `~/.local/state/jira-patrol/`; read only by
//! `journal::Journal::default_location`), and how files that may hold secrets are written
//! (mode 0600, atomically; [`Staged`] is the one atomic writer, of those files, the reports
//! of `-o/--output` and the log4j files alike). And the checks of local paths given on the
//! command line, run before anything touches Jira: a wrong path must not cost a sample, a
//! prompt or a level.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn xdg_dir(var: &str, fallback: &str) -> io::Result<PathBuf> {
    if let Some(v) = std::env::var_os(var) {
        let p = PathBuf::from(v);
        // The XDG spec says relative values are invalid and must be ignored.
        if p.is_absolute() {
            return Ok(p.join("jira-patrol"));
        }
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("neither {var} nor HOME is set: set one of them"),
            )
        })?;
    Ok(PathBuf::from(home).join(fallback).join("jira-patrol"))
}

/// `$XDG_CONFIG_HOME/jira-patrol` (user profiles, saved setup).
pub fn config_dir() -> io::Result<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_STATE_HOME/jira-patrol` (the level journals). Library code takes a
/// `journal::Journal` instead; this is for `Journal::default_location`.
pub fn state_dir() -> io::Result<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state")
}

/// Write `bytes` to `path` with mode 0600, replacing it atomically (see [`Staged`]),
/// creating the parent directory (0700) if needed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut staged = Staged::new_in(dir, ".jira-patrol-", "")?;
    staged.write(bytes, 0o600)?;
    staged.commit(path)
}

/// Write `bytes` to `path` (a report of `-o/--output`) atomically: see [`Replacement`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut r = Replacement::start(path)?;
    r.write_all(bytes)?;
    r.finish()
}

/// A file being replaced by what is written to it (a report of `-o/--output`, streamed as
/// it is made): a reader never sees half a report, and a failed run leaves the former file
/// as it was. [`Replacement::finish`] puts it in place. New files get mode 0666 less the
/// umask's bits, as a plain create would; an existing file keeps its mode.
pub struct Replacement {
    staged: Staged,
    path: PathBuf,
}

impl Replacement {
    /// Start replacing `path` (nothing is visible there yet).
    pub fn start(path: &Path) -> io::Result<Replacement> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mode = match std::fs::metadata(path) {
            Ok(m) => mode_of(&m),
            Err(_) => 0o666 & !umask(),
        };
        let staged = Staged::new_in(dir, ".jira-patrol-", ".tmp")?;
        set_mode(staged.tmp.path(), mode)?;
        Ok(Replacement {
            staged,
            path: path.to_path_buf(),
        })
    }

    /// Sync what was written and put it in place of the file.
    pub fn finish(mut self) -> io::Result<()> {
        self.staged.tmp.flush()?;
        self.staged.tmp.as_file().sync_all()?;
        self.staged.commit(&self.path)
    }
}

impl Write for Replacement {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.staged.tmp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.staged.tmp.flush()
    }
}

/// The one way jira-patrol replaces a file: a temporary file in the destination's own
/// directory (so the rename cannot cross file systems), written, given its mode and
/// synced, then renamed over the destination and the directory synced. Until
/// [`Staged::commit`] nothing is visible; dropped uncommitted, the temporary file goes.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    dir: PathBuf,
}

impl Staged {
    /// An empty temporary file in `dir`, named `<prefix>XXXXXX<suffix>`.
    pub fn new_in(dir: &Path, prefix: &str, suffix: &str) -> io::Result<Staged> {
        let tmp = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(suffix)
            .tempfile_in(dir)?;
        Ok(Staged {
            tmp,
            dir: dir.to_path_buf(),
        })
    }

    /// The temporary file (to give it an owner before it is renamed).
    pub fn file(&self) -> &std::fs::File {
        self.tmp.as_file()
    }

    /// Give it `mode`, write `bytes` and sync them to disk.
    pub fn write(&mut self, bytes: &[u8], mode: u32) -> io::Result<()> {
        set_mode(self.tmp.path(), mode)?;
        self.tmp.write_all(bytes)?;
        self.tmp.as_file().sync_all()
    }

    /// Rename it over `path` and sync the directory, so the new name survives a crash.
    pub fn commit(self, path: &Path) -> io::Result<()> {
        self.tmp.persist(path).map_err(|e| e.error)?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn mode_of(m: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_m: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(unix)]
fn umask() -> u32 {
    // umask can only be read by setting it: set it back at once (one thread at a time
    // may race here, but only for the mode of a report file).
    // SAFETY: umask has no memory effects; it only swaps the process's mask.
    let old = unsafe { libc::umask(0o022) };
    unsafe { libc::umask(old) };
    old as u32
}

#[cfg(not(unix))]
fn umask() -> u32 {
    0o022
}

/// Create `dir` (and its parents) with mode 0700 when it does not exist yet.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// A local path given on the command line that cannot serve as asked.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {}: {why}", path.display())]
pub struct BadPath {
    /// The flag that named it (`--log`, `-o/--output`, ...).
    pub flag: String,
    /// The path as given.
    pub path: PathBuf,
    /// What is wrong and what to do.
    pub why: String,
}

fn bad(flag: &str, path: &Path, why: impl Into<String>) -> BadPath {
    BadPath {
        flag: flag.to_string(),
        path: path.to_path_buf(),
        why: why.into(),
    }
}

fn unreadable(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            "permission denied: run as a user who may read it (e.g. the one Jira runs as)".into()
        }
        _ => format!("cannot be read: {e}"),
    }
}

/// An existing file that can be read.
pub fn readable_file(flag: &str, path: &Path) -> Result<(), BadPath> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(bad(flag, path, "no such file: check the path"))
        }
        Err(e) => Err(bad(flag, path, unreadable(&e))),
        Ok(m) if m.is_dir() => Err(bad(flag, path, "is a directory: give a file")),
        // Not opened to find out: a FIFO would block the open, a device may act on it.
        Ok(m) => match crate::inputfile::not_regular(m.file_type()) {
            Some(what) => Err(bad(
                flag,
                path,
                format!("{what}, not a regular file: jira-patrol reads only regular files"),
            )),
            None => std::fs::File::open(path)
                .map(drop)
                .map_err(|e| bad(flag, path, unreadable(&e))),
        },
    }
}

/// An existing directory that can be listed.
pub fn readable_dir(flag: &str, path: &Path) -> Result<(), BadPath> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(bad(flag, path, "no such directory: check the path"))
        }
        Err(e) => Err(bad(flag, path, unreadable(&e))),
        Ok(m) if !m.is_dir() => Err(bad(flag, path, "is not a directory")),
        Ok(_) => std::fs::read_dir(path)
            .map(drop)
            .map_err(|e| bad(flag, path, unreadable(&e))),
    }
}

/// A log to follow: a readable file, or one that does not exist yet in a directory that
/// does (a capture reads it from its start once it appears).
pub fn log_to_follow(flag: &str, path: &Path) -> Result<(), BadPath> {
    if path.exists() {
        return readable_file(flag, path);
    }
    let dir = parent(path);
    if dir.is_dir() {
        return Ok(());
    }
    Err(bad(
        flag,
        path,
        format!(
            "no such file, and no directory {}: give the path of atlassian-jira.log \
             (JIRA_HOME/log/atlassian-jira.log)",
            dir.display()
        ),
    ))
}

/// A file that can be written (created, or replaced): its directory exists and takes a
/// new file. Checked by creating and removing a temporary file there.
pub fn writable_file(flag: &str, path: &Path) -> Result<(), BadPath> {
    if path.is_dir() {
        return Err(bad(flag, path, "is a directory: give a file name"));
    }
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(bad(
            flag,
            path,
            format!("no directory {}: create it first", dir.display()),
        ));
    }
    if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| bad(flag, path, format!("cannot be written: {e}")))?;
    }
    tempfile::Builder::new()
        .prefix(".jira-patrol-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            bad(
                flag,
                path,
                format!("cannot write in {}: {e}", dir.display()),
            )
        })
}

/// The directory a path is in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_and_replace_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/state.json");
        write_private(&p, b"one").unwrap();
        write_private(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_report_replaces_its_file_whole_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("report.html");
        write_atomic(&p, b"one").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }

    #[test]
    fn paths_are_checked_for_what_they_will_be_used_for() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.log");
        std::fs::write(&f, "x").unwrap();
        let missing = d.path().join("nope/a.log");
        assert!(readable_file("--log", &f).is_ok());
        let e = readable_file("--token-file", &missing)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--token-file ") && e.contains("no such file"),
            "{e}"
        );
        assert!(readable_file("--x", d.path())
            .unwrap_err()
            .to_string()
            .contains("directory"));
        assert!(readable_dir("--profiles", d.path()).is_ok());
        assert!(readable_dir("--profiles", &f).is_err());
        // A log that does not exist yet is followed once it appears; its directory must be.
        assert!(log_to_follow("--log", &d.path().join("later.log")).is_ok());
        let e = log_to_follow("--log", &missing).unwrap_err().to_string();
        assert!(e.contains("no directory"), "{e}");
        assert!(writable_file("-o", &d.path().join("new.json")).is_ok());
        assert!(writable_file("-o", &f).is_ok());
        assert!(writable_file("-o", d.path()).is_err());
        let e = writable_file("-o", &missing).unwrap_err().to_string();
        assert!(e.contains("create it first"), "{e}");
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "the probe is removed"
        );
    }
}
