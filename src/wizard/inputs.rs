//! What a person types, checked and resolved before anything is sent: URLs, durations,
//! versions, log and log4j paths.

use super::*;

/// A base URL Jira's client will take: http(s), host, no credentials, query or fragment.
pub fn validate_url(s: &str) -> Result<(), String> {
    let u = url::Url::parse(s.trim()).map_err(|e| {
        format!("not a URL ({e}): write it like https://jira.example.com or http://host:8080/jira")
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("use http:// or https://".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("the URL needs a host name".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("leave credentials out of the URL: they are asked next".into());
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("give the base URL only, without ?query or #fragment".into());
    }
    Ok(())
}

/// Whether `version` (`9.12.2`) is at least `major.minor`.
pub fn version_at_least(version: &str, major: u64, minor: u64) -> Option<bool> {
    crate::jira::Version::parse(version).map(|v| v.at_least(major, minor))
}

/// Log volume per hour the rotation plan assumes: every request token-authenticated
/// under the profile, plus a couple of Jira's own lines.
pub fn volume_per_hour(requests_per_hour: u64, profile: &crate::profiles::Profile) -> u64 {
    let lines = profile.cost.pat_request.max(profile.cost.other_request) as u64 + 2;
    requests_per_hour
        .saturating_mul(lines)
        .saturating_mul(BYTES_PER_LINE)
}

/// `jira.home` from the install's `jira-application.properties`, where Jira itself reads it.
pub fn jira_home_of(install: &Path) -> Option<PathBuf> {
    let p = install.join("atlassian-jira/WEB-INF/classes/jira-application.properties");
    let bytes = std::fs::read(p).ok()?;
    let doc = log4j::properties::Document::parse(&bytes);
    let home = doc.get("jira.home")?.trim();
    (!home.is_empty()).then(|| PathBuf::from(home))
}

/// The log a path means: a file as is, a directory's `atlassian-jira.log` (or, for a
/// Jira home, `log/atlassian-jira.log`). Err when neither it nor its directory exists.
pub fn resolve_log(p: &Path) -> Result<PathBuf, String> {
    if p.is_dir() {
        for c in [
            p.join("atlassian-jira.log"),
            p.join("log/atlassian-jira.log"),
        ] {
            if c.is_file() {
                return Ok(c);
            }
        }
        if p.join("log").is_dir() {
            return Ok(p.join("log/atlassian-jira.log"));
        }
        return Ok(p.join("atlassian-jira.log"));
    }
    if p.is_file() {
        return Ok(p.to_path_buf());
    }
    match p.parent() {
        Some(d) if d.is_dir() => Ok(p.to_path_buf()),
        _ => Err(format!(
            "neither {} nor its directory exists: give JIRA_HOME/log/atlassian-jira.log",
            p.display()
        )),
    }
}

/// The log4j configuration a path means: an install directory (located inside) or the file.
pub(crate) fn find_log4j(p: &Path) -> Result<(PathBuf, String), String> {
    if p.is_file() {
        let c = Config::load(p).map_err(|e| e.to_string())?;
        return Ok((p.to_path_buf(), c.format().describe().to_string()));
    }
    let found = log4j::locate(p).map_err(|e| e.to_string())?;
    Ok((found.path, found.note))
}
