//! Where and how Tomcat writes the access log, from `<install>/conf/server.xml`, and the
//! versions that decide the unit of `%D`. Admins edit the valve (pattern, directory), so
//! the file on disk is the only reliable answer; the versions are best effort.

use std::io;
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::DurationUnit;

/// The valve class whose lines [`super::Pattern`] reads (`ExtendedAccessLogValve` writes
/// W3C fields instead and is not it).
pub const VALVE_CLASS: &str = "org.apache.catalina.valves.AccessLogValve";

/// One `AccessLogValve` of `server.xml`, with Tomcat's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// `pattern`, entities unescaped (Tomcat's default, `common`, when absent).
    pub pattern: String,
    /// `directory`, resolved against the install directory when relative (`logs`).
    pub directory: PathBuf,
    /// `prefix` (`access_log`).
    pub prefix: String,
    /// `suffix` (empty).
    pub suffix: String,
    /// `fileDateFormat`: Tomcat 8.5+ default `.yyyy-MM-dd`, the dot included, which gives
    /// `access_log.2026-11-25`.
    pub file_date_format: String,
    /// `rotatable` (true): false means one file that never changes name.
    pub rotatable: bool,
    /// `renameOnRotate` (false): true means the live file is `prefix + suffix`, renamed
    /// with its date when the day ends.
    pub rename_on_rotate: bool,
}

/// Why `server.xml` gave no access-log configuration.
#[derive(Debug, thiserror::Error)]
pub enum ServerXmlError {
    /// No `conf/server.xml` where the install should have one.
    #[error("{0}: no such file: is this the Jira installation directory (the one holding conf/ and atlassian-jira/)?")]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("{path}: cannot read it: {source}")]
    Unreadable {
        /// The `conf/server.xml` tried.
        path: PathBuf,
        /// Why the read failed.
        source: io::Error,
    },
    /// The file is not XML quick-xml can read.
    #[error("{path}: not readable as XML: {message}")]
    BadXml {
        /// The `conf/server.xml` read.
        path: PathBuf,
        /// The XML parser's complaint, with the byte position.
        message: String,
    },
    /// Not a regular file, or larger than a configuration can be.
    #[error(transparent)]
    File(crate::inputfile::FileError),
    /// No active valve: the access log is off (or commented out).
    #[error("{0}: no active <Valve className=\"org.apache.catalina.valves.AccessLogValve\"> (missing, disabled or commented out): Tomcat writes no access log")]
    NoValve(PathBuf),
}

/// The first active `AccessLogValve` of `<install>/conf/server.xml`.
pub fn read(install: &Path) -> Result<AccessLogConfig, ServerXmlError> {
    let path = install.join("conf").join("server.xml");
    let mut all = read_all(install)?;
    if all.is_empty() {
        return Err(ServerXmlError::NoValve(path));
    }
    Ok(all.swap_remove(0))
}

/// Every active `AccessLogValve` of `<install>/conf/server.xml`, in file order (possibly
/// none).
pub fn read_all(install: &Path) -> Result<Vec<AccessLogConfig>, ServerXmlError> {
    let path = install.join("conf").join("server.xml");
    let xml = crate::inputfile::read_capped_text(
        &path,
        crate::inputfile::CONFIG_CAP,
        "configuration file",
    )
    .map_err(|e| {
        e.or_missing(
            || ServerXmlError::Missing(path.clone()),
            ServerXmlError::File,
        )
    })?;
    parse(&xml, install).map_err(|message| ServerXmlError::BadXml {
        path,
        // The parser quotes the file: short and escaped.
        message: crate::warn::excerpt_of(message.as_bytes(), 160),
    })
}

/// The active `AccessLogValve`s of a `server.xml` text; relative directories are resolved
/// against `install`. Comments are skipped by the XML reader, so a commented-out valve
/// never counts.
pub fn parse(xml: &str, install: &Path) -> Result<Vec<AccessLogConfig>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{e} (near byte {})", reader.buffer_position()))?;
        match ev {
            Event::Start(t) | Event::Empty(t) if t.name().as_ref() == "Valve" => {
                if let Some(c) = valve(&t, install)? {
                    out.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn valve(t: &BytesStart<'_>, install: &Path) -> Result<Option<AccessLogConfig>, String> {
    let mut class = None;
    let mut enabled = true;
    let mut c = AccessLogConfig {
        // Unconfirmed: Tomcat's own default when `pattern` is absent (Spring Boot's
        // embedded valve defaults to the common alias).
        pattern: "common".into(),
        directory: PathBuf::from("logs"),
        prefix: "access_log".into(),
        suffix: String::new(),
        file_date_format: ".yyyy-MM-dd".into(),
        rotatable: true,
        rename_on_rotate: false,
    };
    for a in t.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        let v = substitute(&v, install);
        match a.key.as_ref() {
            "className" => class = Some(v),
            "pattern" => c.pattern = v,
            "directory" => c.directory = PathBuf::from(v),
            "prefix" => c.prefix = v,
            "suffix" => c.suffix = v,
            "fileDateFormat" => c.file_date_format = v,
            "rotatable" => c.rotatable = !v.trim().eq_ignore_ascii_case("false"),
            "renameOnRotate" => c.rename_on_rotate = v.trim().eq_ignore_ascii_case("true"),
            "enabled" => enabled = !v.trim().eq_ignore_ascii_case("false"),
            _ => {}
        }
    }
    if class.as_deref().map(str::trim) != Some(VALVE_CLASS) || !enabled {
        return Ok(None);
    }
    if c.directory.is_relative() {
        c.directory = install.join(&c.directory);
    }
    Ok(Some(c))
}

/// Tomcat expands `${catalina.base}` / `${catalina.home}` in attributes; both are the
/// install directory in a stock Jira.
fn substitute(v: &str, install: &Path) -> String {
    if !v.contains("${") {
        return v.to_string();
    }
    let dir = install.to_string_lossy();
    v.replace("${catalina.base}", &dir)
        .replace("${catalina.home}", &dir)
}

/// The Tomcat version of an install, e.g. `9.0.75`, from `<install>/RELEASE-NOTES`
/// ("Apache Tomcat Version 9.0.75"). Unconfirmed that every Jira bundle ships that file;
/// `lib/catalina.jar`'s `ServerInfo.properties` would be surer but needs a zip reader.
pub fn tomcat_version(install: &Path) -> Option<String> {
    let text = std::fs::read_to_string(install.join("RELEASE-NOTES")).ok()?;
    text.lines().find_map(|l| {
        let rest = l.split("Apache Tomcat Version").nth(1)?;
        rest.split_whitespace().next().map(str::to_string)
    })
}

/// The Jira version of an install, e.g. `9.12.2`, from the webapp's Maven
/// `pom.properties` (unconfirmed path:
/// `atlassian-jira/META-INF/maven/com.atlassian.jira/jira-webapp-dist/pom.properties`).
pub fn jira_version(install: &Path) -> Option<String> {
    let p = install
        .join("atlassian-jira/META-INF/maven/com.atlassian.jira/jira-webapp-dist/pom.properties");
    let text = std::fs::read_to_string(p).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("version="))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The unit of `%D` for a Tomcat version: microseconds from 10.1, milliseconds before.
pub fn unit_for_tomcat(version: &str) -> Option<DurationUnit> {
    let v = crate::jira::Version::parse(version)?;
    Some(if v.at_least(10, 1) {
        DurationUnit::Us
    } else {
        DurationUnit::Ms
    })
}

/// The unit of `%D` for a Jira version: Jira 11 bundles Tomcat 10.1 (jira-facts §7, [U]).
pub fn unit_for_jira(version: &str) -> Option<DurationUnit> {
    let v = crate::jira::Version::parse(version)?;
    Some(if v.at_least(11, 0) {
        DurationUnit::Us
    } else {
        DurationUnit::Ms
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_version() {
        assert_eq!(unit_for_tomcat("9.0.75"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_tomcat("8.5.93"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_tomcat("10.0.27"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_tomcat("10.1.16"), Some(DurationUnit::Us));
        assert_eq!(unit_for_tomcat("11.0.0-M1"), Some(DurationUnit::Us));
        assert_eq!(unit_for_tomcat("x"), None);
        assert_eq!(unit_for_jira("9.12.2"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_jira("10.3.1"), Some(DurationUnit::Ms));
        assert_eq!(unit_for_jira("11.0.0"), Some(DurationUnit::Us));
        assert_eq!(unit_for_jira(""), None);
    }

    #[test]
    fn defaults_and_placeholders() {
        let xml = r#"<Server><Valve className="org.apache.catalina.valves.AccessLogValve"
            directory="${catalina.base}/alog" prefix="jira" rotatable="false"/>
            <Valve className="org.apache.catalina.valves.AccessLogValve" enabled="false"/></Server>"#;
        let v = parse(xml, Path::new("/opt/jira")).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].directory, PathBuf::from("/opt/jira/alog"));
        assert_eq!(v[0].prefix, "jira");
        assert_eq!(v[0].pattern, "common");
        assert!(!v[0].rotatable);
        assert!(parse("<Server><Valve", Path::new("/")).is_err());
    }
}
