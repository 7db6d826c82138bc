//! Where jira-patrol keeps things: user config under `$XDG_CONFIG_HOME/jira-patrol/`
//! (default `~/.config/jira-patrol/`), state (the level journals, one per Jira) under
//! `$XDG_STATE_HOME/jira-patrol/` (default `~/.local/state/jira-patrol/`; read only by
//! `journal::Journal::default_location`), and how files that may hold secrets are written
//! (mode 0600, atomically).

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

/// Write `bytes` to `path` with mode 0600, replacing it atomically (temp file in the same
/// directory, fsync, rename), creating the parent directory (0700) if needed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".jira-patrol-")
        .tempfile_in(dir)?;
    // tempfile already creates files 0600 on Unix; set it anyway so the promise is explicit.
    set_mode(tmp.path(), 0o600)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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
}
