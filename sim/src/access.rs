//! The simulator's Tomcat access log (jira-facts §7): an `AccessLogValve` writing
//! `<install>/logs/access_log.<yyyy-MM-dd>` (one file a day, rolled at the first line written
//! after local midnight, as Tomcat does), one line per request at its completion, with the
//! pattern of `<install>/conf/server.xml`. Also writes that `server.xml` and the install's
//! `RELEASE-NOTES` (Tomcat version), so install discovery can be tested.

use jiff::Timestamp;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The pattern of Jira's stock `conf/server.xml` (jira-facts §7).
pub const STOCK_PATTERN: &str = "%a %{jira.request.id}r %{jira.request.username}r %t \"%m %U%q %H\" %s %b %D \"%{Referer}i\" \"%{User-Agent}i\" \"%{jira.request.assession.id}r\"";

/// Tomcat's default `prefix` and `fileDateFormat` (the valve in Jira's server.xml sets
/// neither): files are `access_log.yyyy-MM-dd` in `directory="logs"`.
pub const PREFIX: &str = "access_log";

/// Tomcat bundled with a Jira version: 8.5 up to Jira 8, 9.0 for Jira 9 and 10, 10.1 from
/// Jira 11.
pub fn tomcat_version(jira_version: &str) -> &'static str {
    match jira_major(jira_version) {
        0..=8 => "8.5.93",
        9 | 10 => "9.0.96",
        _ => "10.1.34",
    }
}

/// The major number of a Jira version (`9` of `9.12.2`; 0 if unreadable).
pub(crate) fn jira_major(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// `%D` is microseconds from Tomcat 10.1 (Jira 11), milliseconds before.
pub fn duration_in_micros(jira_version: &str) -> bool {
    jira_major(jira_version) >= 11
}

/// What the valve knows of one finished request.
#[derive(Debug, Clone, Default)]
pub struct AccessRecord {
    /// Client address (`%a`/`%h`): the socket peer.
    pub remote_addr: String,
    /// The `jira.request.id` attribute; `None` for requests Jira never saw (`-`).
    pub request_id: Option<String>,
    /// The `jira.request.username` attribute: the authenticated user, `None` = anonymous.
    pub username: Option<String>,
    /// The `jira.request.assession.id` attribute (short session id), if any.
    pub asession_id: Option<String>,
    /// The HTTP session id (`%S`), if any.
    pub session_id: Option<String>,
    /// When the request was received (`%t`).
    pub start: Timestamp,
    /// HTTP method (`%m`).
    pub method: String,
    /// Request URI as sent (context path included), without the query.
    pub uri: String,
    /// Query string without `?`, empty if none.
    pub query: String,
    /// Protocol of the request line (`%H`), e.g. `HTTP/1.1`.
    pub protocol: String,
    /// Status code sent (`%s`).
    pub status: u16,
    /// Body bytes sent (`%b`/`%B`).
    pub bytes: u64,
    /// Time from receipt to the end of the answer (`%D`, `%T`).
    pub elapsed: Duration,
    /// Request headers, for `%{Name}i`.
    pub request_headers: Vec<(String, String)>,
    /// Response headers, for `%{Name}o`.
    pub response_headers: Vec<(String, String)>,
    /// Name of the request thread (`%I`).
    pub thread: String,
    /// Port the request came in on (`%p`).
    pub local_port: u16,
}

impl AccessRecord {
    fn header<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
        list.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum El {
    Lit(String),
    RemoteAddr,
    LocalAddr,
    Dash,
    RemoteUser,
    Time,
    RequestLine,
    Method,
    Uri,
    Query,
    Protocol,
    Status,
    BytesDash,
    Bytes,
    /// `%D` (ms or µs by Tomcat version).
    Elapsed,
    /// `%T` and `%{unit}T`.
    ElapsedUnit(String),
    SessionId,
    Thread,
    LocalPort,
    ServerName,
    Attr(String),
    ReqHeader(String),
    RespHeader(String),
    Cookie(String),
    Unknown(String),
}

/// A parsed `AccessLogValve` pattern (the subset the simulator needs, plus Tomcat's
/// `common` and `combined` aliases).
#[derive(Debug, Clone)]
pub struct AccessPattern {
    els: Vec<El>,
    micros: bool,
    tomcat10: bool,
}

impl AccessPattern {
    /// Parses a valve pattern (or `common`/`combined`); `%D` is in ms before Jira 11, µs from 11.
    pub fn parse(pattern: &str, jira_version: &str) -> AccessPattern {
        let pattern = match pattern {
            "common" => "%h %l %u %t \"%r\" %s %b",
            "combined" => "%h %l %u %t \"%r\" %s %b \"%{Referer}i\" \"%{User-Agent}i\"",
            p => p,
        };
        let mut els = Vec::new();
        let mut lit = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            let mut arg = None;
            if chars.peek() == Some(&'{') {
                chars.next();
                let mut a = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    a.push(c);
                }
                arg = Some(a);
            }
            let Some(code) = chars.next() else {
                lit.push('%');
                break;
            };
            if !lit.is_empty() {
                els.push(El::Lit(std::mem::take(&mut lit)));
            }
            let el = match (code, arg) {
                ('r', Some(a)) => El::Attr(a),
                ('i', Some(a)) => El::ReqHeader(a),
                ('o', Some(a)) => El::RespHeader(a),
                ('c', Some(a)) => El::Cookie(a),
                ('T', Some(a)) => El::ElapsedUnit(a),
                ('t', Some(_)) => El::Time,
                ('a', _) | ('h', _) => El::RemoteAddr,
                ('A', _) => El::LocalAddr,
                ('l', _) => El::Dash,
                ('u', _) => El::RemoteUser,
                ('t', _) => El::Time,
                ('r', _) => El::RequestLine,
                ('m', _) => El::Method,
                ('U', _) => El::Uri,
                ('q', _) => El::Query,
                ('H', _) => El::Protocol,
                ('s', _) => El::Status,
                ('b', _) => El::BytesDash,
                ('B', _) => El::Bytes,
                ('D', _) => El::Elapsed,
                ('T', _) => El::ElapsedUnit(String::new()),
                ('S', _) => El::SessionId,
                ('I', _) => El::Thread,
                ('p', _) => El::LocalPort,
                ('v', _) => El::ServerName,
                ('%', _) => El::Lit("%".into()),
                (c, _) => El::Unknown(format!("???{c}???")),
            };
            els.push(el);
        }
        if !lit.is_empty() {
            els.push(El::Lit(lit));
        }
        AccessPattern {
            els,
            micros: duration_in_micros(jira_version),
            tomcat10: jira_major(jira_version) >= 11,
        }
    }

    /// One line (without the newline) as Tomcat's valve writes it, times in `offset_minutes`.
    pub fn format(&self, r: &AccessRecord, offset_minutes: i32) -> String {
        let mut out = String::with_capacity(256);
        for el in &self.els {
            match el {
                El::Lit(s) => out.push_str(s),
                El::RemoteAddr => out.push_str(&r.remote_addr),
                El::LocalAddr | El::ServerName => out.push_str("127.0.0.1"),
                El::Dash | El::RemoteUser => out.push('-'),
                El::Time => out.push_str(&clf_time(r.start, offset_minutes)),
                El::RequestLine => {
                    out.push_str(&r.method);
                    out.push(' ');
                    out.push_str(&r.uri);
                    if !r.query.is_empty() {
                        out.push('?');
                        out.push_str(&r.query);
                    }
                    out.push(' ');
                    out.push_str(&r.protocol);
                }
                El::Method => out.push_str(&r.method),
                El::Uri => out.push_str(&r.uri),
                El::Query => {
                    if !r.query.is_empty() {
                        out.push('?');
                        out.push_str(&r.query);
                    }
                }
                El::Protocol => out.push_str(&r.protocol),
                El::Status => out.push_str(&r.status.to_string()),
                El::BytesDash => {
                    if r.bytes == 0 {
                        out.push('-')
                    } else {
                        out.push_str(&r.bytes.to_string())
                    }
                }
                El::Bytes => out.push_str(&r.bytes.to_string()),
                El::Elapsed => {
                    let v = if self.micros {
                        r.elapsed.as_micros()
                    } else {
                        r.elapsed.as_millis()
                    };
                    out.push_str(&v.to_string());
                }
                El::ElapsedUnit(unit) => {
                    let us = r.elapsed.as_micros();
                    let s = match unit.as_str() {
                        "ms" => (us / 1000).to_string(),
                        "us" => us.to_string(),
                        "fracsec" => format!("{}.{:03}", us / 1_000_000, us / 1000 % 1000),
                        // Tomcat 8.5/9: seconds with milliseconds; 10.1: whole seconds.
                        _ if self.tomcat10 => (us / 1_000_000).to_string(),
                        _ => format!("{}.{:03}", us / 1_000_000, us / 1000 % 1000),
                    };
                    out.push_str(&s);
                }
                El::SessionId => out.push_str(r.session_id.as_deref().unwrap_or("-")),
                El::Thread => out.push_str(&r.thread),
                El::LocalPort => out.push_str(&r.local_port.to_string()),
                El::Attr(name) => {
                    let v = match name.as_str() {
                        "jira.request.id" => r.request_id.as_deref(),
                        "jira.request.username" => r.username.as_deref(),
                        "jira.request.assession.id" => r.asession_id.as_deref(),
                        _ => None,
                    };
                    escape_java_into(v, &mut out);
                }
                El::ReqHeader(h) => {
                    escape_into(AccessRecord::header(&r.request_headers, h), &mut out)
                }
                El::RespHeader(h) => {
                    escape_into(AccessRecord::header(&r.response_headers, h), &mut out)
                }
                El::Cookie(name) => {
                    let v = AccessRecord::header(&r.request_headers, "Cookie").and_then(|c| {
                        c.split(';')
                            .filter_map(|p| p.trim().split_once('='))
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v)
                    });
                    escape_into(v, &mut out)
                }
                El::Unknown(s) => out.push_str(s),
            }
        }
        out
    }
}

/// Tomcat's `escapeAndAppend`: `-` for a missing or empty value; `"` and `\` escaped with a
/// backslash; `\f \n \r \t` by name; other characters outside printable ASCII as `\uXXXX`
/// (header bytes are read as ISO-8859-1, so each non-ASCII byte becomes one `\u00XX`).
pub fn escape_into(v: Option<&str>, out: &mut String) {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        out.push('-');
        return;
    };
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let mut b = [0u8; 4];
                for byte in c.encode_utf8(&mut b).bytes() {
                    out.push_str(&format!("\\u{:04X}", byte));
                }
            }
        }
    }
}

/// The same escaping of a Java string (request attributes): a character outside printable
/// ASCII is one `\uXXXX` per UTF-16 unit (`ü` → `\u00FC`), not one per byte.
pub fn escape_java_into(v: Option<&str>, out: &mut String) {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        out.push('-');
        return;
    };
    for c in v.chars() {
        if c.is_ascii() {
            escape_into(Some(c.encode_utf8(&mut [0u8; 4])), out);
        } else {
            for unit in c.encode_utf16(&mut [0u16; 2]) {
                out.push_str(&format!("\\u{:04X}", unit));
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `%t`: `[25/Nov/2026:10:00:00 +0000]`.
pub fn clf_time(t: Timestamp, offset_minutes: i32) -> String {
    let dt = offset(offset_minutes).to_datetime(t);
    let m = offset_minutes;
    let sign = if m < 0 { '-' } else { '+' };
    format!(
        "[{:02}/{}/{:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
        dt.day(),
        MONTHS[dt.month() as usize - 1],
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        m.abs() / 60,
        m.abs() % 60
    )
}

fn offset(minutes: i32) -> jiff::tz::Offset {
    jiff::tz::Offset::from_seconds(minutes * 60).unwrap_or(jiff::tz::Offset::UTC)
}

/// `yyyy-MM-dd` of `t` in the server's offset.
pub fn local_date(t: Timestamp, offset_minutes: i32) -> String {
    let d = offset(offset_minutes).to_datetime(t).date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `<install>/logs/access_log.<date>`.
pub fn file_for(install: &Path, date: &str) -> PathBuf {
    install.join("logs").join(format!("{PREFIX}.{date}"))
}

/// The daily access-log file: one append-mode file, switched when the local date of the
/// write changes (Tomcat checks the date at each write; a request that started before
/// midnight and ended after lands in the new day's file with the old day's `%t`).
pub struct AccessLog {
    install: PathBuf,
    pattern: AccessPattern,
    offset_minutes: i32,
    date: String,
    file: Option<File>,
}

impl AccessLog {
    /// Opens today's file (Tomcat creates it when the valve starts).
    pub fn open(
        install: &Path,
        pattern: &str,
        jira_version: &str,
        offset_minutes: i32,
        now: Timestamp,
    ) -> io::Result<AccessLog> {
        std::fs::create_dir_all(install.join("logs"))?;
        let mut log = AccessLog {
            install: install.to_path_buf(),
            pattern: AccessPattern::parse(pattern, jira_version),
            offset_minutes,
            date: String::new(),
            file: None,
        };
        log.switch_to(local_date(now, offset_minutes))?;
        Ok(log)
    }

    fn switch_to(&mut self, date: String) -> io::Result<()> {
        let path = file_for(&self.install, &date);
        self.file = Some(OpenOptions::new().create(true).append(true).open(path)?);
        self.date = date;
        Ok(())
    }

    /// The file a line written at `now` goes to.
    pub fn path_at(&self, now: Timestamp) -> PathBuf {
        file_for(&self.install, &local_date(now, self.offset_minutes))
    }

    /// Writes one line for a finished request; `now` is the completion time.
    pub fn write(&mut self, r: &AccessRecord, now: Timestamp) -> io::Result<()> {
        let date = local_date(now, self.offset_minutes);
        if date != self.date {
            self.switch_to(date)?;
        }
        let mut line = self.pattern.format(r, self.offset_minutes);
        line.push('\n');
        match &mut self.file {
            Some(f) => f.write_all(line.as_bytes()),
            None => Ok(()),
        }
    }
}

/// XML attribute escaping as in Jira's server.xml (`"` as `&quot;`).
fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes `<install>/conf/server.xml` (Jira's stock shape: connector, context, and the
/// `AccessLogValve` with only its pattern, relying on Tomcat's defaults for the directory,
/// prefix and date format) and `<install>/RELEASE-NOTES` (the Tomcat version line).
pub fn write_install_files(
    install: &Path,
    pattern: &str,
    jira_version: &str,
    port: u16,
    context_path: &str,
    tls: bool,
) -> io::Result<()> {
    let conf = install.join("conf");
    std::fs::create_dir_all(&conf)?;
    let connector = if tls {
        format!(
            "        <Connector port=\"{port}\" relaxedPathChars=\"[]|\" relaxedQueryChars=\"[]|{{}}^&#x5c;&#x60;&quot;&lt;&gt;\"\n                   maxThreads=\"150\" minSpareThreads=\"25\" connectionTimeout=\"20000\" enableLookups=\"false\"\n                   maxHttpHeaderSize=\"8192\" protocol=\"org.apache.coyote.http11.Http11NioProtocol\"\n                   useBodyEncodingForURI=\"true\" acceptCount=\"100\" disableUploadTimeout=\"true\" bindOnInit=\"false\"\n                   SSLEnabled=\"true\" scheme=\"https\" secure=\"true\" sslProtocol=\"TLS\"/>\n"
        )
    } else {
        format!(
            "        <Connector port=\"{port}\" relaxedPathChars=\"[]|\" relaxedQueryChars=\"[]|{{}}^&#x5c;&#x60;&quot;&lt;&gt;\"\n                   maxThreads=\"150\" minSpareThreads=\"25\" connectionTimeout=\"20000\" enableLookups=\"false\"\n                   maxHttpHeaderSize=\"8192\" protocol=\"HTTP/1.1\" useBodyEncodingForURI=\"true\" redirectPort=\"8443\"\n                   acceptCount=\"100\" disableUploadTimeout=\"true\" bindOnInit=\"false\"/>\n"
        )
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<!--
  Licensed to the Apache Software Foundation (ASF) under one or more
  contributor license agreements. (Simulated Jira install: jira-patrol's simulator.)
-->
<Server port="8005" shutdown="SHUTDOWN">
    <Listener className="org.apache.catalina.startup.VersionLoggerListener"/>
    <Listener className="org.apache.catalina.core.AprLifecycleListener" SSLEngine="on"/>
    <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener"/>
    <Listener className="org.apache.catalina.mbeans.GlobalResourcesLifecycleListener"/>
    <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener"/>

    <Service name="Catalina">
{connector}
        <Engine name="Catalina" defaultHost="localhost">
            <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="true">

                <Context path="{context}" docBase="${{catalina.home}}/atlassian-jira" reloadable="false" useHttpOnly="true">
                    <Resource name="UserTransaction" auth="Container" type="javax.transaction.UserTransaction"
                              factory="org.objectweb.jotm.UserTransactionFactory" jotm.timeout="60"/>
                    <Manager pathname=""/>
                    <JarScanner scanManifest="false"/>
                    <Valve className="org.apache.catalina.valves.StuckThreadDetectionValve" threshold="120" />
                </Context>

            </Host>
            <Valve className="org.apache.catalina.valves.AccessLogValve"
                   pattern="{pattern}"/>
        </Engine>
    </Service>
</Server>
"#,
        context = xml_attr(context_path.trim_end_matches('/')),
        pattern = xml_attr(pattern),
    );
    std::fs::write(conf.join("server.xml"), xml)?;
    let tomcat = tomcat_version(jira_version);
    let notes = format!(
        "================================================================================\n\
         \x20 Licensed to the Apache Software Foundation (ASF) under one or more\n\
         \x20 contributor license agreements.\n\
         ================================================================================\n\
         \n\n\
         \x20                    Apache Tomcat Version {tomcat}\n\
         \x20                           Release Notes\n\
         \n\n\
         =========\n\
         CONTENTS:\n\
         =========\n\
         \n\
         * Dependency Changes\n\
         * API Stability\n\
         \n\
         (Simulated Jira {jira_version} install.)\n"
    );
    std::fs::write(install.join("RELEASE-NOTES"), notes)?;
    Ok(())
}

/// Writes the install's log4j configuration with the simulator's own rotation, as
/// `<install>/atlassian-jira/WEB-INF/classes/log4j2.xml` (Jira 9.5+) or `log4j.properties`,
/// so a capture given `--jira-install` reads the limits the log really rotates by.
pub fn write_log4j_config(
    install: &Path,
    log4j2: bool,
    max_bytes: u64,
    backups: u32,
) -> io::Result<()> {
    let classes = install.join("atlassian-jira/WEB-INF/classes");
    std::fs::create_dir_all(&classes)?;
    // 0 = never rotate: the largest size log4j accepts stands for it.
    let kb = if max_bytes == 0 {
        u64::from(u32::MAX)
    } else {
        max_bytes.div_ceil(1024)
    };
    if log4j2 {
        std::fs::write(
            classes.join("log4j2.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<Configuration packages="com.atlassian.logging.log4j,com.atlassian.jira.logging">
    <Properties>
        <Property name="MyLogMessagePattern">%d %t %p %X{{jira.username}} %X{{jira.request.id}} %X{{jira.request.assession.id}} %X{{jira.request.ipaddr}} %X{{jira.request.url}} [%q{{2}}] %m%n</Property>
    </Properties>
    <Appenders>
        <JiraHomeAppender name="filelog"
                          fileName="atlassian-jira.log"
                          filePattern="atlassian-jira.log.%i">
            <PatternLayout>
                <Pattern>${{MyLogMessagePattern}}</Pattern>
            </PatternLayout>
            <Policies>
                <SizeBasedTriggeringPolicy size="{kb} KB"/>
            </Policies>
            <DefaultRolloverStrategy fileIndex="min" max="{backups}"/>
        </JiraHomeAppender>
    </Appenders>
    <Loggers>
        <Root level="WARN">
            <AppenderRef ref="filelog"/>
        </Root>
    </Loggers>
</Configuration>
"#
            ),
        )
    } else {
        std::fs::write(
            classes.join("log4j.properties"),
            format!(
                "log4j.rootLogger=WARN, filelog\n\
                 log4j.appender.filelog=com.atlassian.jira.logging.JiraHomeAppender\n\
                 log4j.appender.filelog.File=atlassian-jira.log\n\
                 log4j.appender.filelog.MaxFileSize={kb}KB\n\
                 log4j.appender.filelog.MaxBackupIndex={backups}\n"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> AccessRecord {
        AccessRecord {
            remote_addr: "10.1.2.3".into(),
            request_id: Some("904x1468x1".into()),
            username: Some("admin".into()),
            asession_id: Some("lnu1vp".into()),
            start: "2022-10-11T15:04:28.5Z".parse().unwrap(),
            method: "GET".into(),
            uri: "/rest/api/2/search".into(),
            query: "jql=x".into(),
            protocol: "HTTP/1.1".into(),
            status: 200,
            bytes: 1234,
            elapsed: Duration::from_micros(57_400),
            request_headers: vec![("User-Agent".into(), "python-requests/2.31.0".into())],
            ..AccessRecord::default()
        }
    }

    #[test]
    fn stock_line_is_the_facts_example() {
        let p = AccessPattern::parse(STOCK_PATTERN, "9.12.2");
        assert_eq!(
            p.format(&rec(), 0),
            "10.1.2.3 904x1468x1 admin [11/Oct/2022:15:04:28 +0000] \"GET /rest/api/2/search?jql=x HTTP/1.1\" 200 1234 57 \"-\" \"python-requests/2.31.0\" \"lnu1vp\""
        );
        let p11 = AccessPattern::parse(STOCK_PATTERN, "11.0.1");
        assert!(p11.format(&rec(), 0).contains(" 1234 57400 \"-\""));
    }

    #[test]
    fn dashes_escapes_offsets_and_a_custom_pattern() {
        let mut r = rec();
        r.request_id = None;
        r.username = None;
        r.asession_id = None;
        r.bytes = 0;
        r.query.clear();
        r.request_headers = vec![("User-Agent".into(), "say \"hi\"\\ü".into())];
        let p = AccessPattern::parse(STOCK_PATTERN, "9.12.2");
        assert_eq!(
            p.format(&r, -330),
            "10.1.2.3 - - [11/Oct/2022:09:34:28 -0530] \"GET /rest/api/2/search HTTP/1.1\" 200 - 57 \"-\" \"say \\\"hi\\\"\\\\\\u00C3\\u00BC\" \"-\""
        );
        let custom = AccessPattern::parse(
            "%h %{jira.request.id}r %t \"%r\" %s %B %T \"%{User-Agent}i\"",
            "9.12.2",
        );
        assert_eq!(
            custom.format(&rec(), 60),
            "10.1.2.3 904x1468x1 [11/Oct/2022:16:04:28 +0100] \"GET /rest/api/2/search?jql=x HTTP/1.1\" 200 1234 0.057 \"python-requests/2.31.0\""
        );
    }

    #[test]
    fn attributes_escape_per_utf16_unit_headers_per_byte() {
        let mut a = String::new();
        escape_java_into(Some("jü\"x"), &mut a);
        assert_eq!(a, "j\\u00FC\\\"x");
        let mut h = String::new();
        escape_into(Some("jü"), &mut h);
        assert_eq!(h, "j\\u00C3\\u00BC");
    }

    #[test]
    fn tomcat_versions() {
        assert_eq!(tomcat_version("8.20.1"), "8.5.93");
        assert!(tomcat_version("9.12.2").starts_with("9.0."));
        assert!(tomcat_version("10.3.0").starts_with("9.0."));
        assert!(tomcat_version("11.0.0").starts_with("10.1."));
    }
}
