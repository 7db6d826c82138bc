//! `rotation show|set|plan` and `level persist|unpersist` end to end: the real binary on
//! temp copies of the fixtures and on fake Jira install trees.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const PROPS: &str = "jira-7.13.2-log4j.properties";
const XML: &str = "jira-9.5plus-style-log4j2.xml";

fn bin() -> Command {
    let mut c = Command::cargo_bin("jira-patrol").unwrap();
    c.env_remove("JIRA_URL").env_remove("JIRA_TOKEN");
    c
}

fn copy(dir: &Path, fixture: &str, as_name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/log4j")
        .join(fixture);
    let dst = dir.join(as_name);
    fs::copy(src, &dst).unwrap();
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o644)).unwrap();
    dst
}

/// Bytes and mtime, to prove a file was not touched.
fn snapshot(p: &Path) -> (Vec<u8>, SystemTime) {
    (
        fs::read(p).unwrap(),
        fs::metadata(p).unwrap().modified().unwrap(),
    )
}

fn files_in(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn show_lists_appenders_and_marks_the_main_one() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    let a = bin()
        .args(["rotation", "show", "--log4j-config"])
        .arg(&p)
        .assert()
        .success()
        .stderr(predicate::str::contains("log4j 1.x properties"));
    let out = stdout_of(&a);
    let filelog = out.lines().find(|l| l.starts_with("filelog ")).unwrap();
    assert!(filelog.contains("atlassian-jira.log"), "{filelog}");
    assert!(
        filelog.contains("20480KB") && filelog.contains("yes"),
        "{filelog}"
    );
    assert!(out.lines().any(|l| l.starts_with("sqllog ")));

    let a = bin()
        .args(["rotation", "show", "--format", "json", "--log4j-config"])
        .arg(copy(d.path(), XML, "log4j2.xml"))
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    let main = &v["appenders"][0];
    assert_eq!(main["appender"], "my-filelog");
    assert_eq!(main["max_size_bytes"], 20480 * 1024);
    assert_eq!(main["max_size_raw"], "20480 KB");
    assert_eq!(main["backups"], 10);
    assert_eq!(main["is_main"], true);

    let a = bin()
        .args(["rotation", "show", "--format", "csv", "--log4j-config"])
        .arg(&p)
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(out.starts_with("appender,file,max_size_raw,max_size_bytes,backups,is_main,note\n"));
    assert!(
        out.contains("filelog,atlassian-jira.log,20480KB,20971520,10,yes,"),
        "{out}"
    );
}

#[test]
fn show_flags_a_size_log4j_ignores() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("log4j.properties");
    fs::write(
        &p,
        "log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\n\
         log4j.appender.filelog.File=atlassian-jira.log\n\
         log4j.appender.filelog.MaxFileSize=20480 KB\n\
         log4j.appender.filelog.MaxBackupIndex=10\n",
    )
    .unwrap();
    bin()
        .args(["rotation", "show", "--log4j-config"])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ignored by log4j (default applies",
        ));
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), XML, "log4j2.xml");
    let before = snapshot(&p);
    let a = bin()
        .args([
            "rotation",
            "set",
            "--max-size",
            "100MB",
            "--backups",
            "20",
            "--dry-run",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success()
        .stderr(predicate::str::contains("dry run: nothing written"));
    let out = stdout_of(&a);
    assert!(
        out.contains("-                <SizeBasedTriggeringPolicy size=\"20480 KB\"/>\n"),
        "{out}"
    );
    assert!(
        out.contains("+                <SizeBasedTriggeringPolicy size=\"102400 KB\"/>\n"),
        "{out}"
    );
    assert!(out.contains("-            <DefaultRolloverStrategy fileIndex=\"min\" max=\"10\"/>\n"));
    assert!(out.contains("+            <DefaultRolloverStrategy fileIndex=\"min\" max=\"20\"/>\n"));
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count(),
        2
    );
    assert_eq!(snapshot(&p), before);
    assert_eq!(files_in(d.path()), 1, "no backup on a dry run");
}

#[test]
fn set_writes_a_backup_keeps_the_mode_and_says_to_restart() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    let original = fs::read(&p).unwrap();
    bin()
        .args([
            "rotation",
            "set",
            "--max-size",
            "1 GB",
            "--backups",
            "20",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "MaxFileSize: 20480KB -> 1048576KB",
        ))
        .stdout(predicate::str::contains("MaxBackupIndex: 10 -> 20"))
        .stdout(predicate::str::contains("restart Jira"))
        .stdout(predicate::str::contains("backup: "));
    let now = fs::read_to_string(&p).unwrap();
    assert!(now.contains("\nlog4j.appender.filelog.MaxFileSize=1048576KB\n"));
    assert!(now.contains("\nlog4j.appender.filelog.MaxBackupIndex=20\n"));
    assert!(
        now.contains("\nlog4j.appender.sqllog.MaxFileSize=20480KB\n"),
        "others untouched"
    );
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    let bak: Vec<PathBuf> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(bak.len(), 1);
    assert_eq!(fs::read(&bak[0]).unwrap(), original);

    // Asking again for what is there writes nothing.
    let again = snapshot(&p);
    bin()
        .args([
            "rotation",
            "set",
            "--max-size",
            "1GB",
            "--backups",
            "20",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to change"));
    assert_eq!(snapshot(&p), again);
}

#[test]
fn set_on_a_named_appender_and_monitor_interval_note() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("log4j2.xml");
    fs::write(
        &p,
        "<Configuration monitorInterval=\"60\">\n  <Appenders>\n    <RollingFile name=\"main\" fileName=\"atlassian-jira.log\" filePattern=\"a.%i\">\n      <SizeBasedTriggeringPolicy size=\"20MB\"/>\n      <DefaultRolloverStrategy max=\"5\"/>\n    </RollingFile>\n    <RollingFile name=\"sql\" fileName=\"sql.log\" filePattern=\"s.%i\">\n      <SizeBasedTriggeringPolicy size=\"20MB\"/>\n    </RollingFile>\n  </Appenders>\n  <Loggers/>\n</Configuration>\n",
    )
    .unwrap();
    bin()
        .args([
            "rotation",
            "set",
            "--appender",
            "sql",
            "--backups",
            "3",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("within 60 seconds"));
    let now = fs::read_to_string(&p).unwrap();
    assert!(now.contains("      <SizeBasedTriggeringPolicy size=\"20MB\"/>\n      <DefaultRolloverStrategy max=\"3\"/>\n    </RollingFile>\n  </Appenders>"), "{now}");
    assert!(
        now.contains("<DefaultRolloverStrategy max=\"5\"/>"),
        "main untouched"
    );
}

#[test]
fn errors_exit_non_zero_and_leave_the_file_untouched() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    let before = snapshot(&p);

    // Appender not found: lists those present.
    bin()
        .args([
            "rotation",
            "set",
            "--max-size",
            "100MB",
            "--appender",
            "nosuch",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no appender named 'nosuch'"))
        .stderr(predicate::str::contains("filelog, httpaccesslog"));
    // Invalid size and count: refused before anything is read.
    for args in [
        ["--max-size", "20 XB"],
        ["--max-size", "0"],
        ["--backups", "-1"],
        ["--backups", "0"],
    ] {
        bin()
            .args(["rotation", "set"])
            .args(args)
            .arg("--log4j-config")
            .arg(&p)
            .assert()
            .failure()
            .stderr(predicate::str::contains("invalid"));
    }
    // Nothing asked.
    bin()
        .args(["rotation", "set", "--log4j-config"])
        .arg(&p)
        .assert()
        .failure();
    // Unknown level.
    bin()
        .args([
            "level",
            "persist",
            "com.atlassian.pats",
            "VERBOSE",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("VERBOSE"));
    assert_eq!(snapshot(&p), before);
    assert_eq!(files_in(d.path()), 1);

    // Missing file.
    bin()
        .args(["rotation", "show", "--log4j-config"])
        .arg(d.path().join("missing.properties"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no such file"));
    // A directory where a file was expected.
    bin()
        .args(["rotation", "show", "--log4j-config"])
        .arg(d.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("a directory, not a regular file"));
    // No location at all.
    bin()
        .args(["rotation", "show"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--log4j-config FILE or --jira-install DIR",
        ));
}

#[test]
fn malformed_xml_is_reported_with_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("log4j2.xml");
    fs::write(
        &p,
        "<?xml version=\"1.0\"?>\n<Configuration>\n  <Appenders>\n  </Appender>\n</Configuration>\n",
    )
    .unwrap();
    let before = snapshot(&p);
    bin()
        .args(["rotation", "set", "--backups", "20", "--log4j-config"])
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("log4j2.xml:4:"))
        .stderr(predicate::str::contains("malformed XML"));
    assert_eq!(snapshot(&p), before);
}

#[test]
fn two_appenders_writing_one_file_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("log4j.properties");
    fs::write(
        &p,
        "log4j.appender.a=org.apache.log4j.RollingFileAppender\n\
         log4j.appender.a.File=atlassian-jira.log\n\
         log4j.appender.b=org.apache.log4j.RollingFileAppender\n\
         log4j.appender.b.File=atlassian-jira.log\n",
    )
    .unwrap();
    let before = snapshot(&p);
    bin()
        .args(["rotation", "set", "--backups", "20", "--log4j-config"])
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("a and b"));
    bin()
        .args(["rotation", "show", "--log4j-config"])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("same file as b"));
    assert_eq!(snapshot(&p), before);
}

#[test]
fn read_only_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot(&p);
    bin()
        .args([
            "level",
            "persist",
            "com.atlassian.pats",
            "TRACE",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("read-only"))
        .stderr(predicate::str::contains("left unchanged"));
    assert_eq!(snapshot(&p), before);
    assert_eq!(files_in(d.path()), 1);
}

fn install(dir: &Path, props: bool, xml: bool) -> PathBuf {
    let classes = dir.join("atlassian-jira/WEB-INF/classes");
    fs::create_dir_all(&classes).unwrap();
    if props {
        copy(&classes, PROPS, "log4j.properties");
    }
    if xml {
        copy(&classes, XML, "log4j2.xml");
    }
    classes
}

#[test]
fn jira_install_layouts_pick_the_live_file() {
    let j8 = tempfile::tempdir().unwrap();
    install(j8.path(), true, false);
    bin()
        .args(["rotation", "show", "--jira-install"])
        .arg(j8.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "log4j.properties (Jira 9.4 or older layout)",
        ))
        .stdout(predicate::str::contains("filelog "));

    let j95 = tempfile::tempdir().unwrap();
    let classes = install(j95.path(), true, true);
    bin()
        .args([
            "level",
            "persist",
            "com.atlassian.pats",
            "TRACE",
            "--jira-install",
        ])
        .arg(j95.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("chose log4j2.xml"))
        .stdout(predicate::str::contains("restart Jira"));
    assert!(fs::read_to_string(classes.join("log4j2.xml"))
        .unwrap()
        .contains("<Logger name=\"com.atlassian.pats\" level=\"TRACE\" additivity=\"false\">"));
    assert_eq!(
        fs::read(classes.join("log4j.properties")).unwrap(),
        fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/log4j")
                .join(PROPS)
        )
        .unwrap(),
        "the ignored file is left alone"
    );

    let j10 = tempfile::tempdir().unwrap();
    install(j10.path(), false, true);
    bin()
        .args(["rotation", "show", "--format", "jsonl", "--jira-install"])
        .arg(j10.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("\"appender\":\"my-filelog\""));

    let none = tempfile::tempdir().unwrap();
    bin()
        .args(["rotation", "show", "--jira-install"])
        .arg(none.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "does not look like a Jira install",
        ));
}

#[test]
fn persist_and_unpersist_round_trip_through_the_cli() {
    for (fixture, name) in [(PROPS, "log4j.properties"), (XML, "log4j2.xml")] {
        let d = tempfile::tempdir().unwrap();
        let p = copy(d.path(), fixture, name);
        let original = fs::read(&p).unwrap();

        let a = bin()
            .args([
                "level",
                "persist",
                "com.atlassian.pats",
                "trace",
                "--dry-run",
                "--log4j-config",
            ])
            .arg(&p)
            .assert()
            .success();
        assert!(stdout_of(&a).contains("+"), "a diff is shown");
        assert_eq!(fs::read(&p).unwrap(), original);

        bin()
            .args([
                "level",
                "persist",
                "com.atlassian.pats",
                "TRACE",
                "--log4j-config",
            ])
            .arg(&p)
            .assert()
            .success()
            .stdout(predicate::str::contains("added"));
        assert_ne!(fs::read(&p).unwrap(), original);

        bin()
            .args(["level", "unpersist", "com.atlassian.pats", "--log4j-config"])
            .arg(&p)
            .assert()
            .success()
            .stdout(predicate::str::contains("removed"));
        assert_eq!(fs::read(&p).unwrap(), original, "{name}");

        bin()
            .args(["level", "unpersist", "com.atlassian.pats", "--log4j-config"])
            .arg(&p)
            .assert()
            .success()
            .stdout(predicate::str::contains("nothing to remove"));
    }
}

#[test]
fn plan_from_the_command_line_and_from_a_summary() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    let a = bin()
        .args([
            "rotation",
            "plan",
            "--bytes-per-hour",
            "50MB",
            "--keep",
            "3d",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(out.contains("does not hold"), "{out}");
    assert!(
        out.contains("jira-patrol rotation set --max-size 200MB --backups 18 --log4j-config "),
        "{out}"
    );

    // The printed command does what the plan says.
    let summary = d.path().join("summary.json");
    fs::write(
        &summary,
        r#"{"volume": {"log_bytes_per_hour": 52428800, "pat_bytes_per_hour": 1000}}"#,
    )
    .unwrap();
    let a = bin()
        .args([
            "rotation",
            "plan",
            "--keep",
            "3d",
            "--format",
            "json",
            "--from-summary",
        ])
        .arg(&summary)
        .arg("--log4j-config")
        .arg(&p)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    let plan = &v["plan"][0];
    assert_eq!(plan["bytes_per_hour"], 52428800);
    assert_eq!(plan["holds_now"], false);
    assert_eq!(plan["max_size"], "200MB");
    assert_eq!(plan["backups"], 18);
    assert_eq!(plan["disk_bytes"], 200u64 * 1024 * 1024 * 19);
    bin()
        .args([
            "rotation",
            "set",
            "--max-size",
            "200MB",
            "--backups",
            "18",
            "--log4j-config",
        ])
        .arg(&p)
        .assert()
        .success();
    let a = bin()
        .args([
            "rotation",
            "plan",
            "--keep",
            "3d",
            "--format",
            "jsonl",
            "--from-summary",
        ])
        .arg(&summary)
        .arg("--log4j-config")
        .arg(&p)
        .assert()
        .success();
    assert!(stdout_of(&a).contains("\"holds_now\":true"));

    // PAT-only volume is the fallback.
    fs::write(&summary, r#"{"volume": {"pat_bytes_per_hour": 1048576}}"#).unwrap();
    bin()
        .args(["rotation", "plan", "--keep", "1w", "--from-summary"])
        .arg(&summary)
        .assert()
        .success()
        .stdout(predicate::str::contains("pat_bytes_per_hour"));
    fs::write(&summary, r#"{"tokens": []}"#).unwrap();
    bin()
        .args(["rotation", "plan", "--keep", "1w", "--from-summary"])
        .arg(&summary)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--bytes-per-hour"));
    bin()
        .args([
            "rotation",
            "plan",
            "--bytes-per-hour",
            "1MB",
            "--keep",
            "3 months",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid duration"));
}

#[test]
fn the_former_config_spelling_still_works_with_one_note() {
    let d = tempfile::tempdir().unwrap();
    let p = copy(d.path(), PROPS, "log4j.properties");
    let before = snapshot(&p);
    // Both spellings make the same dry run; only the old one adds the note.
    let run = |flag: &str| {
        let a = bin()
            .args(["rotation", "set", "--backups", "20", "--dry-run", flag])
            .arg(&p)
            .assert()
            .success();
        let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
        (stdout_of(&a), err)
    };
    let (new_out, new_err) = run("--log4j-config");
    let (old_out, old_err) = run("--config");
    assert!(
        new_out.contains("+log4j.appender.filelog.MaxBackupIndex=20"),
        "{new_out}"
    );
    assert_eq!(old_out, new_out);
    assert!(!new_err.contains("--config is now"), "{new_err}");
    assert_eq!(
        old_err
            .matches("note: --config is now --log4j-config")
            .count(),
        1,
        "{old_err}"
    );
    assert_eq!(snapshot(&p), before);
    // level persist takes it too; the help shows only the new name.
    bin()
        .args([
            "level",
            "persist",
            "com.atlassian.pats",
            "TRACE",
            "--dry-run",
            "--config",
        ])
        .arg(&p)
        .assert()
        .success()
        .stderr(predicate::str::contains("--config is now --log4j-config"));
    let help = bin().args(["rotation", "set", "--help"]).assert().success();
    let help = stdout_of(&help);
    assert!(help.contains("--log4j-config <FILE>"), "{help}");
    assert!(!help.contains("--config <FILE>"), "{help}");
    // Both at once is a mistake, said as such.
    bin()
        .args(["rotation", "show", "--config"])
        .arg(&p)
        .arg("--log4j-config")
        .arg(&p)
        .assert()
        .code(2);
}
