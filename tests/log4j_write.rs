//! Saving edits safely (backup, atomic replace keeping mode, refusal when the file changed
//! underneath) and finding the live configuration in Jira install trees of each era.

use jira_patrol::log4j::{self, Config, Format, Log4jError};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const MB: u64 = 1024 * 1024;

fn fixture_bytes(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/log4j")
            .join(name),
    )
    .unwrap()
}

fn copy_fixture(dir: &Path, name: &str, as_name: &str) -> PathBuf {
    let p = dir.join(as_name);
    fs::write(&p, fixture_bytes(name)).unwrap();
    p
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bak"))
        .collect();
    v.sort();
    v
}

#[test]
fn save_backs_up_replaces_and_keeps_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(
        dir.path(),
        "jira-7.13.2-log4j.properties",
        "log4j.properties",
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let original = fs::read(&path).unwrap();

    let mut c = Config::load(&path).unwrap();
    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    let saved = c.save().unwrap();

    assert_eq!(fs::read(&path).unwrap(), c.to_bytes());
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    assert_eq!(backups(dir.path()), vec![saved.backup.clone()]);
    assert_eq!(fs::read(&saved.backup).unwrap(), original);
    let name = saved.backup.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("log4j.properties.") && name.ends_with(".bak"),
        "{name}"
    );
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);

    // A second save in the same second gets its own backup.
    let mut c = Config::load(&path).unwrap();
    c.set_rotation(None, None, Some(30)).unwrap();
    let second = c.save().unwrap();
    assert_ne!(second.backup, saved.backup);
    assert_eq!(backups(dir.path()).len(), 2);
}

#[test]
fn save_refuses_when_the_file_changed_since_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(dir.path(), "jira-9.5plus-style-log4j2.xml", "log4j2.xml");
    let mut c = Config::load(&path).unwrap();
    c.persist_logger("com.atlassian.pats", jira_patrol::level::Level::Trace, None)
        .unwrap();

    // Someone else edits the file between our read and our write.
    let theirs = String::from_utf8(fs::read(&path).unwrap())
        .unwrap()
        .replace("level=\"WARN\"", "level=\"INFO\"");
    fs::write(&path, &theirs).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();

    let e = c.save().unwrap_err();
    assert!(matches!(e, Log4jError::ChangedSinceRead(_)), "{e}");
    assert!(e.to_string().contains("changed since it was read"));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        theirs,
        "their edit survives"
    );
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    assert!(backups(dir.path()).is_empty());
}

#[test]
fn save_refuses_a_read_only_file_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(
        dir.path(),
        "jira-7.13.2-log4j.properties",
        "log4j.properties",
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&path).unwrap();
    let mut c = Config::load(&path).unwrap();
    c.set_rotation(None, Some(100 * MB), None).unwrap();
    let e = c.save().unwrap_err();
    assert!(matches!(e, Log4jError::NotWritable { .. }), "{e}");
    assert!(e.to_string().contains("read-only"), "{e}");
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(backups(dir.path()).is_empty());
}

#[test]
fn save_edits_the_target_of_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = copy_fixture(
        dir.path(),
        "jira-7.13.2-log4j.properties",
        "real.properties",
    );
    let link = dir.path().join("log4j.properties");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut c = Config::load(&link).unwrap();
    c.set_rotation(None, None, Some(12)).unwrap();
    c.save().unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .contains("log4j.appender.filelog.MaxBackupIndex=12\n"));
}

fn install(dir: &Path, props: bool, xml: bool) -> PathBuf {
    let classes = dir.join("atlassian-jira/WEB-INF/classes");
    fs::create_dir_all(&classes).unwrap();
    fs::create_dir_all(dir.join("bin")).unwrap();
    if props {
        copy_fixture(&classes, "jira-7.13.2-log4j.properties", "log4j.properties");
    }
    if xml {
        copy_fixture(&classes, "jira-9.5plus-style-log4j2.xml", "log4j2.xml");
    }
    classes
}

#[test]
fn locate_finds_the_live_file_in_each_jira_layout() {
    // Jira 8.x / 9.0–9.4: log4j.properties only.
    let j8 = tempfile::tempdir().unwrap();
    let classes = install(j8.path(), true, false);
    let l = log4j::locate(j8.path()).unwrap();
    assert_eq!(l.path, classes.join("log4j.properties"));
    assert_eq!(l.format, Format::Properties);

    // Jira 9.5+: both files; log4j2.xml is live and the choice is said.
    let j95 = tempfile::tempdir().unwrap();
    let classes = install(j95.path(), true, true);
    let l = log4j::locate(j95.path()).unwrap();
    assert_eq!(l.path, classes.join("log4j2.xml"));
    assert_eq!(l.format, Format::Log4j2Xml);
    assert!(
        l.note.contains("both") && l.note.contains("log4j2.xml"),
        "{}",
        l.note
    );

    // Jira 10: log4j2.xml only.
    let j10 = tempfile::tempdir().unwrap();
    let classes = install(j10.path(), false, true);
    let l = log4j::locate(j10.path()).unwrap();
    assert_eq!(l.path, classes.join("log4j2.xml"));
    assert_eq!(l.format, Format::Log4j2Xml);

    // The classes directory itself is accepted too.
    let l = log4j::locate(&classes).unwrap();
    assert_eq!(l.path, classes.join("log4j2.xml"));
}

#[test]
fn locate_explains_what_is_missing() {
    let empty = tempfile::tempdir().unwrap();
    let e = log4j::locate(empty.path()).unwrap_err().to_string();
    assert!(e.contains("does not look like a Jira install"), "{e}");
    assert!(e.contains("--log4j-config FILE"), "{e}");
    let e = log4j::locate(&empty.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a directory"), "{e}");

    // A file whose content contradicts its name is read by content and said so.
    let odd = tempfile::tempdir().unwrap();
    let classes = odd.path().join("atlassian-jira/WEB-INF/classes");
    fs::create_dir_all(&classes).unwrap();
    fs::write(
        classes.join("log4j2.xml"),
        fixture_bytes("jira-7.13.2-log4j.properties"),
    )
    .unwrap();
    let l = log4j::locate(odd.path()).unwrap();
    assert_eq!(l.format, Format::Properties);
    assert!(l.note.contains("despite its name"), "{}", l.note);
}

#[test]
fn plan_is_callable_with_a_configured_appender() {
    let c = Config::parse(
        "log4j.properties",
        fixture_bytes("jira-7.13.2-log4j.properties"),
    )
    .unwrap();
    let main = c.appender(None).unwrap();
    let quiet = log4j::plan(MB, std::time::Duration::from_secs(3 * 86400), Some(&main));
    assert!(quiet.holds_now, "{quiet:?}");
    let busy = log4j::plan(
        50 * MB,
        std::time::Duration::from_secs(3 * 86400),
        Some(&main),
    );
    assert!(!busy.holds_now);
    assert!(busy
        .command
        .starts_with("jira-patrol rotation set --max-size "));
    assert!(busy.max_size_bytes * busy.backups as u64 >= 50 * MB * 72);
}

#[test]
fn save_keeps_the_owner_when_run_as_root() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(
        dir.path(),
        "jira-7.13.2-log4j.properties",
        "log4j.properties",
    );
    if fs::metadata(&path).unwrap().uid() != 0 {
        // Only root can give a file to another user; the code path is the same.
        return;
    }
    std::os::unix::fs::chown(&path, Some(2001), Some(2002)).unwrap();
    let mut c = Config::load(&path).unwrap();
    c.set_rotation(None, Some(50 * MB), None).unwrap();
    let saved = c.save().unwrap();
    let m = fs::metadata(&path).unwrap();
    assert_eq!((m.uid(), m.gid()), (2001, 2002));
    let b = fs::metadata(&saved.backup).unwrap();
    assert_eq!((b.uid(), b.gid()), (2001, 2002));
}
