//! Finding the live log4j configuration in a Jira install directory: Jira ≤ 9.4 reads
//! `atlassian-jira/WEB-INF/classes/log4j.properties`, Jira ≥ 9.5 `log4j2.xml` beside it.
//! When both exist log4j2.xml is the live one (jira-facts §6); the choice is reported.

use super::{Format, Log4jError};
use std::path::{Path, PathBuf};

/// The configuration file found, its format (from content) and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located {
    /// `log4j2.xml` or `log4j.properties` in the classes directory.
    pub path: PathBuf,
    /// From the file's content, which may disagree with its name (the note then says so).
    pub format: Format,
    /// Which file was chosen and why, for the user.
    pub note: String,
}

const CLASSES: &str = "atlassian-jira/WEB-INF/classes";

/// Find the live log4j file under a Jira install directory (or its classes directory itself).
pub fn locate(jira_install: &Path) -> Result<Located, Log4jError> {
    if !jira_install.is_dir() {
        return Err(Log4jError::NoConfigInInstall(format!(
            "{}: not a directory; give the Jira install directory (the one holding atlassian-jira/ and bin/)",
            jira_install.display()
        )));
    }
    // Accept the classes directory itself too: people often paste that path.
    let classes = [jira_install.join(CLASSES), jira_install.to_path_buf()]
        .into_iter()
        .find(|c| c.join("log4j2.xml").is_file() || c.join("log4j.properties").is_file());
    let Some(classes) = classes else {
        let tried = jira_install.join(CLASSES);
        let hint = if jira_install.join("atlassian-jira").is_dir() {
            "the install looks incomplete"
        } else {
            "this does not look like a Jira install directory (no atlassian-jira/)"
        };
        return Err(Log4jError::NoConfigInInstall(format!(
            "neither log4j2.xml nor log4j.properties in {}: {hint}; give the file with --log4j-config FILE",
            tried.display()
        )));
    };
    let xml = classes.join("log4j2.xml");
    let props = classes.join("log4j.properties");
    let (path, note) = match (xml.is_file(), props.is_file()) {
        (true, true) => (
            xml,
            "both log4j2.xml and log4j.properties exist; chose log4j2.xml (Jira 9.5+ reads it, the other is ignored)".to_string(),
        ),
        (true, false) => (xml, "log4j2.xml (Jira 9.5+ layout)".to_string()),
        (false, _) => (props, "log4j.properties (Jira 9.4 or older layout)".to_string()),
    };
    let config = super::Config::load(&path)?;
    let expected = if path.extension().is_some_and(|e| e == "xml") {
        Format::Log4j2Xml
    } else {
        Format::Properties
    };
    let note = if config.format() != expected {
        format!(
            "{note}; its content is {} despite its name",
            config.format().describe()
        )
    } else {
        note
    };
    Ok(Located {
        path,
        format: config.format(),
        note,
    })
}
