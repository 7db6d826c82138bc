//! The log4j editors through the library API: byte-identical round trips on every
//! fixture and on awkward files written here, edits that change exactly the expected
//! lines, and the errors a person would meet.

use jira_patrol::level::Level;
use jira_patrol::log4j::{Config, Format, Log4jError};
use std::path::{Path, PathBuf};

const MB: u64 = 1024 * 1024;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/log4j");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 2, "fixtures missing: {v:?}");
    v
}

fn fixture(name: &str) -> Config {
    Config::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/log4j")
            .join(name),
    )
    .unwrap()
}

fn props(text: &str) -> Config {
    Config::parse("test/log4j.properties", text.as_bytes().to_vec()).unwrap()
}

fn xml(text: &str) -> Config {
    Config::parse("test/log4j2.xml", text.as_bytes().to_vec()).unwrap()
}

fn text(c: &Config) -> String {
    String::from_utf8(c.to_bytes().to_vec()).unwrap()
}

/// Lines (with their terminators) that differ, as (old, new) pairs of the changed region.
fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let o: Vec<&str> = old.split_inclusive('\n').collect();
    let n: Vec<&str> = new.split_inclusive('\n').collect();
    let head = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let tail = o[head..]
        .iter()
        .rev()
        .zip(n[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (
        o[head..o.len() - tail]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        n[head..n.len() - tail]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
}

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for path in fixtures() {
        let original = std::fs::read(&path).unwrap();
        let mut c = Config::load(&path).unwrap();
        assert_eq!(c.to_bytes(), original.as_slice(), "{}", path.display());
        assert!(!c.is_changed());
        assert_eq!(c.diff(), "");
        // Setting what is already there changes nothing.
        let main = c.appender(None).unwrap();
        let changes = c
            .set_rotation(None, main.max_size_bytes, main.backups)
            .unwrap();
        assert!(changes.is_empty(), "{}: {changes:?}", path.display());
        assert_eq!(c.to_bytes(), original.as_slice(), "{}", path.display());
    }
}

#[test]
fn every_fixture_takes_a_rotation_change_on_exactly_two_lines() {
    for path in fixtures() {
        let original = std::fs::read_to_string(&path).unwrap();
        let mut c = Config::load(&path).unwrap();
        c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
        let edited = text(&c);
        let old: Vec<&str> = original.split_inclusive('\n').collect();
        let new: Vec<&str> = edited.split_inclusive('\n').collect();
        assert_eq!(old.len(), new.len(), "{}", path.display());
        let differing = old.iter().zip(&new).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 2, "{}:\n{}", path.display(), c.diff());
        let main = c.appender(None).unwrap();
        assert_eq!(main.max_size_bytes, Some(100 * MB));
        assert_eq!(main.backups, Some(20));
        // Reload from the edited text: the file says what was asked.
        let again = Config::parse(path.clone(), c.to_bytes().to_vec()).unwrap();
        assert_eq!(again.appender(None).unwrap(), main);
    }
}

#[test]
fn stock_properties_rotation_edit_keeps_jira_style() {
    let mut c = fixture("jira-7.13.2-log4j.properties");
    assert_eq!(c.format(), Format::Properties);
    let main = c.appender(None).unwrap();
    assert_eq!(main.name, "filelog");
    assert_eq!(main.max_size_raw.as_deref(), Some("20480KB"));
    assert_eq!(main.backups, Some(10));
    assert_eq!(c.appenders().iter().filter(|a| a.is_main).count(), 1);
    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    let (old, new) = changed_lines(std::str::from_utf8(c.original()).unwrap(), &text(&c));
    assert_eq!(
        old,
        [
            "log4j.appender.filelog.MaxFileSize=20480KB\n",
            "log4j.appender.filelog.MaxBackupIndex=10\n"
        ]
    );
    assert_eq!(
        new,
        [
            "log4j.appender.filelog.MaxFileSize=102400KB\n",
            "log4j.appender.filelog.MaxBackupIndex=20\n"
        ]
    );
}

#[test]
fn stock_xml_rotation_edit_keeps_spacing_and_writes_max() {
    let mut c = fixture("jira-9.5plus-style-log4j2.xml");
    assert_eq!(c.format(), Format::Log4j2Xml);
    let main = c.appender(None).unwrap();
    assert_eq!(main.name, "my-filelog");
    assert_eq!(main.max_size_bytes, Some(20 * MB));
    c.set_rotation(Some("my-filelog"), Some(100 * MB), Some(20))
        .unwrap();
    let (old, new) = changed_lines(std::str::from_utf8(c.original()).unwrap(), &text(&c));
    assert_eq!(
        old,
        [
            "                <SizeBasedTriggeringPolicy size=\"20480 KB\"/>\n",
            "            </Policies>\n",
            "            <DefaultRolloverStrategy fileIndex=\"min\" max=\"10\"/>\n"
        ]
    );
    assert_eq!(
        new,
        [
            "                <SizeBasedTriggeringPolicy size=\"102400 KB\"/>\n",
            "            </Policies>\n",
            "            <DefaultRolloverStrategy fileIndex=\"min\" max=\"20\"/>\n"
        ]
    );
}

const AWKWARD_PROPS: &str = concat!(
    "# header comment\r\n",
    "! bang comment \\\r\n",
    "\r\n",
    "log4j.rootLogger\t=\tWARN, filelog\r\n",
    "log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\r\n",
    "log4j.appender.filelog.File : atlassian-jira.log\r\n",
    "log4j.appender.file\\u006Cog.MaxFileSize   20480\\\r\n",
    "        KB   \r\n",
    "log4j.appender.filelog.MaxBackupIndex=\\u0031\\u0030\r\n",
    "log4j.appender.filelog.layout.ConversionPattern=%d %t \\\r\n",
    "\t%p [%q{2}] %m%n\r\n",
    "  # indented comment with caf\u{e9} (latin-1 in a comment)\r\n",
    "log4j.logger.com.atlassian = WARN, filelog\r\n",
    "log4j.additivity.com.atlassian = false\r\n",
    "\r\n",
    "log4j.logger.com.atlassian.jira  =  INFO, filelog\r\n",
    "log4j.additivity.com.atlassian.jira  =  false\r\n",
    "\r\n",
    "log4j.logger.org.apache = ERROR, filelog",
);

#[test]
fn awkward_properties_round_trip_and_parse_like_java() {
    let c = props(AWKWARD_PROPS);
    assert_eq!(text(&c), AWKWARD_PROPS);
    let main = c.appender(None).unwrap();
    assert_eq!(main.name, "filelog");
    assert_eq!(main.file, "atlassian-jira.log");
    // `\u006C` is `l`; the value continues on the next line.
    assert_eq!(main.max_size_raw.as_deref(), Some("20480KB"));
    assert_eq!(main.max_size_bytes, Some(20 * MB));
    assert_eq!(main.backups, Some(10));
}

#[test]
fn awkward_properties_edit_touches_only_the_values() {
    let mut c = props(AWKWARD_PROPS);
    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    let expected = AWKWARD_PROPS
        .replace(
            "MaxFileSize   20480\\\r\n        KB   \r\n",
            "MaxFileSize   102400KB   \r\n",
        )
        .replace("MaxBackupIndex=\\u0031\\u0030\r\n", "MaxBackupIndex=20\r\n");
    assert_eq!(text(&c), expected);
}

#[test]
fn persist_then_unpersist_gives_back_the_original_bytes() {
    let cases: Vec<Config> = fixtures()
        .iter()
        .map(|p| Config::load(p).unwrap())
        .chain([props(AWKWARD_PROPS)])
        .collect();
    for mut c in cases {
        let original = c.original().to_vec();
        let added = c
            .persist_logger("com.atlassian.pats", Level::Trace, None)
            .unwrap();
        assert!(!added.is_empty());
        assert_eq!(
            c.declared_level("com.atlassian.pats").as_deref(),
            Some("TRACE")
        );
        let removed = c.unpersist_logger("com.atlassian.pats").unwrap();
        assert!(!removed.is_empty());
        assert_eq!(
            c.to_bytes(),
            original.as_slice(),
            "{}:\n{}",
            c.path().display(),
            text(&c)
        );
    }
}

#[test]
fn persist_in_properties_follows_jira_package_loggers() {
    let mut c = fixture("jira-7.13.2-log4j.properties");
    c.persist_logger("com.atlassian.pats", Level::Trace, None)
        .unwrap();
    let (old, new) = changed_lines(std::str::from_utf8(c.original()).unwrap(), &text(&c));
    assert!(old.is_empty(), "{old:?}");
    assert_eq!(
        new,
        [
            "log4j.logger.com.atlassian.pats = TRACE, filelog\n",
            "log4j.additivity.com.atlassian.pats = false\n",
            "\n"
        ]
    );
    // Placed right after the com.atlassian block it inherits from.
    let t = text(&c);
    let parent = t.find("log4j.additivity.com.atlassian = false\n").unwrap();
    let ours = t.find("log4j.logger.com.atlassian.pats").unwrap();
    assert!(ours > parent && ours < t.find("log4j.logger.com.atlassian.jira =").unwrap());

    // A second persist updates the level in place and adds nothing.
    let before = text(&c);
    c.persist_logger("com.atlassian.pats", Level::Debug, None)
        .unwrap();
    let (old, new) = changed_lines(&before, &text(&c));
    assert_eq!(old, ["log4j.logger.com.atlassian.pats = TRACE, filelog\n"]);
    assert_eq!(new, ["log4j.logger.com.atlassian.pats = DEBUG, filelog\n"]);
}

#[test]
fn persist_updates_an_existing_declaration_and_adds_missing_additivity() {
    let src = "log4j.appender.filelog=org.apache.log4j.RollingFileAppender\n\
               log4j.appender.filelog.File=atlassian-jira.log\n\
               log4j.logger.com.atlassian.pats=WARN,filelog\n\
               # end\n";
    let mut c = props(src);
    c.persist_logger("com.atlassian.pats", Level::Trace, None)
        .unwrap();
    assert_eq!(
        text(&c),
        "log4j.appender.filelog=org.apache.log4j.RollingFileAppender\n\
         log4j.appender.filelog.File=atlassian-jira.log\n\
         log4j.logger.com.atlassian.pats=TRACE,filelog\n\
         log4j.additivity.com.atlassian.pats=false\n\
         # end\n"
    );
}

#[test]
fn persist_in_xml_uses_the_main_appender_and_the_files_quotes() {
    let src = "<?xml version='1.0' encoding='UTF-8'?>\n\
<Configuration monitorInterval='30'>\n\
\t<Appenders>\n\
\t\t<RollingFile name='main' fileName='atlassian-jira.log' filePattern='atlassian-jira.log.%i'>\n\
\t\t\t<SizeBasedTriggeringPolicy size='20MB'/>\n\
\t\t</RollingFile>\n\
\t</Appenders>\n\
\t<Loggers>\n\
\t\t<Root level='WARN'><AppenderRef ref='main'/></Root>\n\
\t</Loggers>\n\
</Configuration>\n";
    let mut c = xml(src);
    assert!(
        c.reload_note().contains("30 seconds"),
        "{}",
        c.reload_note()
    );
    c.persist_logger("com.atlassian.pats", Level::Trace, None)
        .unwrap();
    let (_, new) = changed_lines(src, &text(&c));
    assert_eq!(
        new,
        [
            "\t\t<Logger name='com.atlassian.pats' level='TRACE' additivity='false'>\n",
            "\t\t\t<AppenderRef ref='main'/>\n",
            "\t\t</Logger>\n"
        ]
    );
    // In-place update of the level only.
    let before = text(&c);
    c.persist_logger("com.atlassian.pats", Level::Info, None)
        .unwrap();
    assert_eq!(text(&c), before.replace("level='TRACE'", "level='INFO'"));
}

const AWKWARD_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone='yes'?>\r\n",
    "<!DOCTYPE Configuration>\r\n",
    "<!-- <Appenders> in a comment must not confuse anything -->\r\n",
    "<Configuration status=\"warn\" packages='com.atlassian.logging.log4j'>\r\n",
    "\t<Properties><Property name=\"p\">%d &amp; %m &#x41;%n</Property></Properties>\r\n",
    "\t<Appenders>\r\n",
    "\t\t<JiraHomeAppender fileName='atlassian-jira.log'\r\n",
    "\t\t                  name = \"filelog\"   filePattern=\"atlassian-jira.log.%i\" >\r\n",
    "\t\t\t<PatternLayout pattern=\"%d &quot;%m&quot;%n\"/>\r\n",
    "\t\t\t<Policies>\r\n",
    "\t\t\t\t<SizeBasedTriggeringPolicy size = '20480 KB' />\r\n",
    "\t\t\t</Policies>\r\n",
    "\t\t\t<![CDATA[ ignored <text> ]]>\r\n",
    "\t\t\t<DefaultRolloverStrategy fileIndex=\"min\"/>\r\n",
    "\t\t</JiraHomeAppender>\r\n",
    "\t\t<File name=\"plain\" fileName=\"other.log\"/>\r\n",
    "\t</Appenders>\r\n",
    "\t<Loggers><Root level=\"WARN\"/></Loggers>\r\n",
    "</Configuration>\r\n",
);

#[test]
fn awkward_xml_round_trips_and_edits_only_attribute_values() {
    let mut c = xml(AWKWARD_XML);
    assert_eq!(text(&c), AWKWARD_XML);
    let main = c.appender(None).unwrap();
    assert_eq!(main.name, "filelog");
    assert_eq!(main.backups, Some(7), "no max means 7");
    assert!(c.notes(&main).iter().any(|n| n.contains("no max")));
    let plain = c.appender(Some("plain")).unwrap();
    assert_eq!((plain.max_size_bytes, plain.backups), (None, None));
    assert!(!c.reload_note().contains("reloads"));

    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    assert_eq!(
        text(&c),
        AWKWARD_XML
            .replace("size = '20480 KB'", "size = '102400 KB'")
            .replace(
                "<DefaultRolloverStrategy fileIndex=\"min\"/>",
                "<DefaultRolloverStrategy fileIndex=\"min\" max=\"20\"/>"
            )
    );
}

#[test]
fn missing_rotation_settings_are_added_in_the_files_style() {
    let src = "log4j.appender.filelog=org.apache.log4j.RollingFileAppender\n\
               log4j.appender.filelog.File = atlassian-jira.log\n\
               log4j.appender.filelog.layout=org.apache.log4j.PatternLayout\n";
    let mut c = props(src);
    let main = c.appender(None).unwrap();
    assert_eq!(main.max_size_bytes, Some(10 * MB), "log4j default");
    assert_eq!(main.backups, Some(1), "log4j default");
    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    assert_eq!(
        text(&c),
        "log4j.appender.filelog=org.apache.log4j.RollingFileAppender\n\
         log4j.appender.filelog.File = atlassian-jira.log\n\
         log4j.appender.filelog.MaxFileSize = 102400KB\n\
         log4j.appender.filelog.MaxBackupIndex = 20\n\
         log4j.appender.filelog.layout=org.apache.log4j.PatternLayout\n"
    );

    let src = "<Configuration>\n  <Appenders>\n    <RollingFile name=\"r\" fileName=\"atlassian-jira.log\" filePattern=\"x.%i\">\n      <PatternLayout/>\n    </RollingFile>\n  </Appenders>\n</Configuration>\n";
    let mut c = xml(src);
    assert_eq!(c.appender(None).unwrap().max_size_bytes, None);
    c.set_rotation(None, Some(100 * MB), Some(20)).unwrap();
    assert_eq!(
        text(&c),
        "<Configuration>\n  <Appenders>\n    <RollingFile name=\"r\" fileName=\"atlassian-jira.log\" filePattern=\"x.%i\">\n      <PatternLayout/>\n      <Policies>\n        <SizeBasedTriggeringPolicy size=\"102400KB\"/>\n      </Policies>\n      <DefaultRolloverStrategy max=\"20\"/>\n    </RollingFile>\n  </Appenders>\n</Configuration>\n"
    );
}

#[test]
fn an_invalid_log4j1_size_is_flagged_and_rewritten_validly() {
    let src = "log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\n\
               log4j.appender.filelog.File=atlassian-jira.log\n\
               log4j.appender.filelog.MaxFileSize=20480 KB\n\
               log4j.appender.filelog.MaxBackupIndex=ten\n";
    let mut c = props(src);
    let main = c.appender(None).unwrap();
    assert_eq!(
        main.max_size_bytes,
        Some(10 * MB),
        "log4j ignores '20480 KB'"
    );
    let notes = c.notes(&main).join("; ");
    assert!(
        notes.contains("ignored by log4j (default applies"),
        "{notes}"
    );
    assert!(notes.contains("MaxBackupIndex 'ten'"), "{notes}");
    c.set_rotation(None, Some(20 * MB), Some(10)).unwrap();
    assert!(text(&c).contains("MaxFileSize=20480KB\n"), "{}", text(&c));
    assert!(text(&c).contains("MaxBackupIndex=10\n"));
}

#[test]
fn errors_name_what_is_wrong() {
    let mut c = fixture("jira-7.13.2-log4j.properties");
    let before = c.to_bytes().to_vec();
    let e = c.set_rotation(Some("nosuch"), Some(MB), None).unwrap_err();
    assert!(matches!(e, Log4jError::AppenderNotFound { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("nosuch") && msg.contains("filelog") && msg.contains("sqllog"),
        "{msg}"
    );
    assert!(matches!(
        c.set_rotation(None, Some(0), None),
        Err(Log4jError::InvalidValue(_))
    ));
    assert!(matches!(
        c.set_rotation(None, None, Some(0)),
        Err(Log4jError::InvalidValue(_))
    ));
    assert!(c.persist_logger("bad name", Level::Trace, None).is_err());
    assert!(c.persist_logger("root", Level::Trace, None).is_err());
    assert!(matches!(
        c.persist_logger("com.x", Level::Trace, Some("nosuch")),
        Err(Log4jError::AppenderNotFound { .. })
    ));
    assert_eq!(
        c.to_bytes(),
        before.as_slice(),
        "failed edits change nothing"
    );

    let shared = "log4j.appender.a=org.apache.log4j.RollingFileAppender\n\
                  log4j.appender.a.File=atlassian-jira.log\n\
                  log4j.appender.b=org.apache.log4j.RollingFileAppender\n\
                  log4j.appender.b.File=atlassian-jira.log\n";
    let mut c = props(shared);
    let e = c.set_rotation(None, Some(MB), None).unwrap_err();
    assert!(matches!(e, Log4jError::SharedFile { .. }), "{e}");
    assert!(e.to_string().contains("a and b"), "{e}");
    let e = c.set_rotation(Some("a"), Some(MB), None).unwrap_err();
    assert!(matches!(e, Log4jError::SharedFile { .. }), "{e}");

    let e = Config::parse(
        "x.xml",
        b"<Configuration>\n  <Appenders>\n  </Loggers>\n</Configuration>\n".to_vec(),
    )
    .unwrap_err();
    match e {
        Log4jError::MalformedXml { line, column, .. } => assert_eq!((line, column), (3, 3)),
        other => panic!("{other}"),
    }
    let e = Config::parse(
        "x.properties",
        b"appender.rolling.type = RollingFile\n".to_vec(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("log4j2 properties"), "{e}");
    let e = Config::load("/nonexistent/log4j.properties").unwrap_err();
    assert!(matches!(e, Log4jError::NotFound(_)), "{e}");
}

#[test]
fn format_comes_from_content_not_name() {
    let c = Config::parse(
        "log4j.properties",
        fixture("jira-9.5plus-style-log4j2.xml").original().to_vec(),
    )
    .unwrap();
    assert_eq!(c.format(), Format::Log4j2Xml);
    let c = Config::parse(
        "log4j2.xml",
        fixture("jira-7.13.2-log4j.properties").original().to_vec(),
    )
    .unwrap();
    assert_eq!(c.format(), Format::Properties);
    let e = Config::parse("a.xml", b"<log4j:configuration/>".to_vec()).unwrap_err();
    assert!(e.to_string().contains("log4j 1.x XML"), "{e}");
}

#[test]
fn persist_in_xml_follows_the_com_atlassian_logger_not_the_console() {
    let src = r#"<Configuration>
    <Appenders>
        <Console name="console"/>
        <RollingFile name="filelog" fileName="${sys:jira.home}/log/atlassian-jira.log" filePattern="x.%i">
            <SizeBasedTriggeringPolicy size="20MB"/>
        </RollingFile>
    </Appenders>
    <Loggers>
        <Root level="WARN">
            <AppenderRef ref="console"/>
            <AppenderRef ref="filelog"/>
        </Root>
        <Logger name="com.atlassian" level="WARN" additivity="false">
            <AppenderRef ref="filelog"/>
        </Logger>
        <Logger name="com.atlassian.pats.service" level="DEBUG"/>
    </Loggers>
</Configuration>
"#;
    let mut c = xml(src);
    assert_eq!(
        c.appender(None).unwrap().name,
        "filelog",
        "found by file, not name"
    );
    c.persist_logger("com.atlassian.pats", Level::Trace, None)
        .unwrap();
    assert_eq!(
        text(&c),
        src.replace(
            "        <Logger name=\"com.atlassian.pats.service\" level=\"DEBUG\"/>\n",
            "        <Logger name=\"com.atlassian.pats.service\" level=\"DEBUG\"/>\n        <Logger name=\"com.atlassian.pats\" level=\"TRACE\" additivity=\"false\">\n            <AppenderRef ref=\"filelog\"/>\n        </Logger>\n"
        )
    );
    // The narrower logger that already exists is updated in place.
    let mut c = xml(src);
    c.persist_logger("com.atlassian.pats.service", Level::Trace, None)
        .unwrap();
    assert_eq!(
        text(&c),
        src.replace(
            "pats.service\" level=\"DEBUG\"",
            "pats.service\" level=\"TRACE\""
        )
    );
    let mut c = xml(src);
    c.unpersist_logger("com.atlassian.pats.service").unwrap();
    assert_eq!(
        text(&c),
        src.replace(
            "        <Logger name=\"com.atlassian.pats.service\" level=\"DEBUG\"/>\n",
            ""
        )
    );
}
