//! Placeholder until the server.xml reader lands.
use std::path::{Path, PathBuf};

pub struct AccessLogConfig {
    pub pattern: String,
    pub directory: PathBuf,
    pub prefix: String,
}

pub fn read(_install: &Path) -> Result<AccessLogConfig, String> {
    Err("not yet".into())
}
pub fn tomcat_version(_install: &Path) -> Option<String> {
    None
}
pub fn jira_version(_install: &Path) -> Option<String> {
    None
}
