//! Putting an edited configuration in place without ever leaving Jira with a broken or
//! half-written file: refuse when the file changed since it was read, copy the old bytes
//! to `<name>.<timestamp>.bak` beside it, write a temp file in the same directory with the
//! original mode and owner, fsync, rename over the original, fsync the directory.

use super::Log4jError;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What `save` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Saved {
    /// The file replaced: the real file, with symlinks resolved.
    pub path: PathBuf,
    /// The copy of the original bytes beside it: `NAME.<UTC yyyymmddThhmmssZ>[-N].bak`.
    pub backup: PathBuf,
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Log4jError + 'a {
    move |source| Log4jError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn not_writable(path: &Path, why: String) -> Log4jError {
    Log4jError::NotWritable {
        path: path.to_path_buf(),
        why,
    }
}

/// Whether the file at `real` still holds exactly `original` (read no further than one byte
/// past it, so a file swapped for something huge costs nothing).
fn holds(real: &Path, original: &[u8]) -> Result<bool, Log4jError> {
    use std::io::Read;
    let (file, _) = crate::inputfile::open_regular(real, "").map_err(Log4jError::File)?;
    let mut on_disk = Vec::with_capacity(original.len() + 1);
    file.take(original.len() as u64 + 1)
        .read_to_end(&mut on_disk)
        .map_err(|e| Log4jError::Unreadable {
            path: real.to_path_buf(),
            source: e,
        })?;
    Ok(on_disk == original)
}

/// Back up `path` beside itself and atomically replace it with `new`, keeping mode and
/// owner; refuses when the file no longer holds `original` or cannot be written.
pub fn save(path: &Path, original: &[u8], new: &[u8]) -> Result<Saved, Log4jError> {
    // Edit the real file, not a symlink to it (a rename would replace the link).
    let real = fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Log4jError::NotFound(path.to_path_buf()),
        _ => Log4jError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let meta = fs::metadata(&real).map_err(io("cannot inspect", &real))?;
    if !holds(&real, original)? {
        return Err(Log4jError::ChangedSinceRead(path.to_path_buf()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Err(not_writable(
            &real,
            format!("the file is read-only (mode {mode:04o}); make it writable (chmod u+w) if you mean to change it"),
        ));
    }
    // Opening for writing (without truncating) changes nothing but tells whether we may.
    OpenOptions::new().write(true).open(&real).map_err(|e| {
        not_writable(
            &real,
            format!("{e}; run as the user that owns it (often 'jira') or root"),
        )
    })?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "log4j".into());

    let backup = backup_path(dir, &name);
    let mut tmp = crate::paths::Staged::new_in(dir, &format!(".{name}."), ".tmp")
        .map_err(|e| not_writable(dir, format!("cannot create a file in the directory: {e}")))?;
    keep_owner(tmp.file(), &meta, &real)?;
    tmp.write(new, mode)
        .map_err(io("cannot write a temporary file for", &real))?;

    write_backup(&backup, original, mode, &meta)?;

    // Last look before the rename narrows the window in which an edit by someone else
    // could be lost.
    if !holds(&real, original).unwrap_or(false) {
        let _ = fs::remove_file(&backup);
        return Err(Log4jError::ChangedSinceRead(path.to_path_buf()));
    }
    tmp.commit(&real)
        .map_err(|e| not_writable(&real, format!("cannot replace the file: {e}")))?;
    Ok(Saved { path: real, backup })
}

fn keep_owner(file: &File, meta: &fs::Metadata, real: &Path) -> Result<(), Log4jError> {
    let tmeta = file
        .metadata()
        .map_err(io("cannot inspect a temporary file for", real))?;
    if tmeta.uid() == meta.uid() && tmeta.gid() == meta.gid() {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        not_writable(
            real,
            format!(
                "cannot keep its owner {}:{} ({e}); run as that user or root",
                meta.uid(),
                meta.gid()
            ),
        )
    })
}

fn backup_path(dir: &Path, name: &str) -> PathBuf {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let first = dir.join(format!("{name}.{stamp}.bak"));
    if !first.exists() {
        return first;
    }
    (1..)
        .map(|n| dir.join(format!("{name}.{stamp}-{n}.bak")))
        .find(|p| !p.exists())
        .expect("some suffix is free")
}

fn write_backup(
    backup: &Path,
    original: &[u8],
    mode: u32,
    meta: &fs::Metadata,
) -> Result<(), Log4jError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(backup)
        .map_err(|e| not_writable(backup, format!("cannot create the backup: {e}")))?;
    let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
    f.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io("cannot set the mode of", backup))?;
    f.write_all(original).map_err(io("cannot write", backup))?;
    f.sync_all().map_err(io("cannot sync", backup))?;
    Ok(())
}

/// A unified diff with three lines of context; empty when nothing changed.
pub fn diff(path: &Path, old: &[u8], new: &[u8]) -> String {
    if old == new {
        return String::new();
    }
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&name, &name)
        .to_string()
}
