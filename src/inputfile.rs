//! What jira-patrol agrees to read from the local file system, checked before a byte is
//! read: regular files only (a FIFO blocks forever, `/dev/zero` never ends, a device may
//! act on being opened), configuration files no larger than [`CONFIG_CAP`], one identity
//! per file (device and inode) so that a link is not read twice, and paths taken from
//! Jira's own files kept inside the directory they came from (the install is often
//! writable by the Jira service account, the admin running jira-patrol is often root).
//!
//! Standard input (`-`) is the one stream allowed, and only when asked for explicitly.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest configuration file read (`server.xml`, log4j files, `--from-summary`): stock
/// ones are tens of KiB; anything this large is not what was meant.
pub const CONFIG_CAP: u64 = 16 << 20;

/// Why a file was not read; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A FIFO, device, socket or directory where a regular file was expected.
    #[error("{}: {}, not a regular file: jira-patrol reads only regular files{}", .path.display(), what_via(.what, .via.as_deref()), .hint)]
    NotRegular {
        /// The path as given or found.
        path: PathBuf,
        /// What it is (`a FIFO (named pipe)`, `a character device`, ...).
        what: &'static str,
        /// The symlink's target when the path is a symlink.
        via: Option<PathBuf>,
        /// What to do instead (`; give '-' to read standard input`), or empty.
        hint: &'static str,
    },
    /// Larger than a file of its kind can sensibly be.
    #[error("{}: {} is more than the {} a {what} can be: is it the right file?", .path.display(), crate::human::bytes(*.size), crate::human::bytes(*.cap))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the bytes read before it passed the cap).
        size: u64,
        /// The cap.
        cap: u64,
        /// What the file was read as (`configuration file`, `summary`).
        what: &'static str,
    },
    /// A path from one of Jira's files that leads outside the directory it belongs to.
    #[error("{}: outside {}, so not read although {asked_by} names it{}", .path.display(), .root.display(), .hint)]
    Outside {
        /// Where the path leads (symlinks resolved).
        path: PathBuf,
        /// The directory it must stay in.
        root: PathBuf,
        /// The file (and setting) that named it.
        asked_by: String,
        /// How to read it anyway (`; if it is the access log, give it with --access-log`).
        hint: &'static str,
    },
    /// The system refused (missing, permission, I/O error).
    #[error("{}: {}", .path.display(), os_text(.error))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said (in the message already, so not a `source` to print again).
        error: io::Error,
    },
}

fn what_via(what: &str, via: Option<&Path>) -> String {
    match via {
        Some(t) => format!("a symlink to {} ({what})", t.display()),
        None => what.to_string(),
    }
}

/// The system's words without Rust's `(os error 2)` suffix.
pub fn os_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

impl FileError {
    /// Whether the file does not exist (callers that have their own wording for it).
    pub fn is_missing(&self) -> bool {
        matches!(self, FileError::Io { error, .. } if error.kind() == io::ErrorKind::NotFound)
    }

    /// `missing()` when the file does not exist (for a caller with its own wording for
    /// that), else `other(self)`.
    pub fn or_missing<E>(self, missing: impl FnOnce() -> E, other: impl FnOnce(Self) -> E) -> E {
        if self.is_missing() {
            missing()
        } else {
            other(self)
        }
    }

    fn io(path: &Path, error: io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// What a file type is when it is not a regular file; `None` for a regular file.
pub fn not_regular(ft: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    if ft.is_file() {
        return None;
    }
    Some("not a file")
}

/// The hint of a refused log path: standard input is the way to read a stream.
pub const STDIN_HINT: &str = "; give '-' to read standard input";

/// `stat` (through symlinks) and refuse anything but a regular file. Nothing is opened:
/// opening a FIFO blocks until a writer comes, and some devices act on being opened.
pub fn check_regular(path: &Path, hint: &'static str) -> Result<Metadata, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    refuse_unless_regular(path, &meta, hint)?;
    Ok(meta)
}

fn refuse_unless_regular(
    path: &Path,
    meta: &Metadata,
    hint: &'static str,
) -> Result<(), FileError> {
    match not_regular(meta.file_type()) {
        None => Ok(()),
        Some(what) => Err(FileError::NotRegular {
            path: path.to_path_buf(),
            what,
            via: std::fs::read_link(path).ok(),
            hint,
        }),
    }
}

/// Open a regular file for reading, refusing anything else before it is opened, and again
/// on the opened handle (the path may have been swapped in between).
pub fn open_regular(path: &Path, hint: &'static str) -> Result<(File, Metadata), FileError> {
    check_regular(path, hint)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Should a FIFO be swapped in after the check, O_NONBLOCK keeps the open from
        // waiting for a writer; on a regular file the flag changes nothing (open(2)).
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(path).map_err(|e| FileError::io(path, e))?;
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    refuse_unless_regular(path, &meta, hint)?;
    Ok((file, meta))
}

/// Read a whole configuration-like file of at most `cap` bytes: refused by its size
/// before anything is allocated, and by what was read should it grow while read.
pub fn read_capped(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let (file, meta) = open_regular(path, "")?;
    let too_large = |size| FileError::TooLarge {
        path: path.to_path_buf(),
        size,
        cap,
        what,
    };
    if meta.len() > cap {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_capped`] as text (invalid UTF-8 is an error naming the file).
pub fn read_capped_text(path: &Path, cap: u64, what: &'static str) -> Result<String, FileError> {
    let bytes = read_capped(path, cap, what)?;
    String::from_utf8(bytes).map_err(|e| {
        FileError::io(
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            ),
        )
    })
}

/// One file whatever the name it is reached by: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes (`None` where the platform has none).
    pub fn of(meta: &Metadata) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId {
                dev: meta.dev(),
                ino: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }
}

/// Keep a path named by one of Jira's files inside `root`: both are resolved (symlinks,
/// `..`) first, so a link planted in the install does not lead out of it either. Returns
/// the resolved path. A path that does not exist yet is resolved through its parent.
pub fn confine(
    path: &Path,
    root: &Path,
    asked_by: &str,
    hint: &'static str,
) -> Result<PathBuf, FileError> {
    let root = std::fs::canonicalize(root).map_err(|e| FileError::io(root, e))?;
    let resolved = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            let name = path.file_name();
            match (parent.map(std::fs::canonicalize), name) {
                (Some(Ok(p)), Some(n)) if n != ".." => p.join(n),
                _ => return Err(FileError::io(path, e)),
            }
        }
        Err(e) => return Err(FileError::io(path, e)),
    };
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(FileError::Outside {
            path: resolved,
            root,
            asked_by: asked_by.to_string(),
            hint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_and_a_device_are_refused_without_opening_them() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_regular(&fifo, STDIN_HINT).unwrap_err();
        assert!(
            e.to_string()
                .contains("a FIFO (named pipe), not a regular file"),
            "{e}"
        );
        assert!(
            e.to_string().ends_with("give '-' to read standard input"),
            "{e}"
        );
        let link = d.path().join("atlassian-jira.log.1");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_capped(&link, CONFIG_CAP, "configuration file").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: a symlink to /dev/zero (a character device), not a regular file: jira-patrol reads only regular files",
                link.display()
            )
        );
        let e = read_capped(d.path(), CONFIG_CAP, "configuration file").unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_by_its_size() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.xml");
        let f = File::create(&p).unwrap();
        // Sparse: a terabyte costs nothing on disk, and must cost nothing in memory.
        f.set_len(1 << 40).unwrap();
        let e = read_capped(&p, CONFIG_CAP, "configuration file").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: 1 TiB is more than the 16 MiB a configuration file can be: is it the right file?",
                p.display()
            )
        );
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_capped(&p, 5, "x").unwrap(), b"12345");
        assert!(matches!(
            read_capped(&p, 4, "x"),
            Err(FileError::TooLarge { .. })
        ));
        let missing = read_capped(&d.path().join("nope"), 5, "x").unwrap_err();
        assert!(missing.is_missing());
        assert_eq!(
            missing.to_string(),
            format!(
                "{}: No such file or directory",
                d.path().join("nope").display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn confinement_resolves_links_and_dots() {
        let d = tempfile::tempdir().unwrap();
        let install = d.path().join("jira");
        std::fs::create_dir_all(install.join("logs")).unwrap();
        let ok = confine(&install.join("logs"), &install, "server.xml", "").unwrap();
        assert!(ok.ends_with("jira/logs"));
        assert!(confine(&install.join("logs/../../.."), &install, "x", "").is_err());
        std::os::unix::fs::symlink("/etc", install.join("evil")).unwrap();
        let e = confine(
            &install.join("evil"),
            &install,
            "conf/server.xml",
            "; name it",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("/etc: outside ")
                && e.to_string()
                    .ends_with("so not read although conf/server.xml names it; name it"),
            "{e}"
        );
        // Not there yet: judged by where its parent is.
        assert!(confine(&install.join("logs/new"), &install, "x", "").is_ok());
        assert!(confine(Path::new("/etc/nope"), &install, "x", "").is_err());
    }
}
