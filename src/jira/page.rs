//! Reading Jira's admin HTML pages: the logger table of `ViewLogging.jspa` (Jira has no
//! JSON for it, jira-facts §3) and the XSRF token a page carries.

use crate::level::Level;
use scraper::{ElementRef, Html, Selector};
use std::collections::BTreeMap;

/// The levels shown by `ViewLogging.jspa`, and the cluster node that served the page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LevelsPage {
    /// The root logger's level (the table's `Default` row).
    pub root: Level,
    /// Loggers with an explicit level, by name. A logger not listed inherits.
    pub explicit: BTreeMap<String, Level>,
    /// `X-ANODEID` of the Data Center node that answered (None on Server).
    pub node: Option<String>,
}

/// Where a logger's effective level comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    /// Set on the logger itself (the root logger always is).
    Explicit,
    /// Inherited from this nearest ancestor with an explicit level.
    Ancestor(String),
    /// Inherited from the root logger (no ancestor has a level).
    Root,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Explicit => f.write_str("explicit"),
            Source::Ancestor(a) => write!(f, "inherited from {a}"),
            Source::Root => f.write_str("inherited from root"),
        }
    }
}

/// The name Jira's setter uses for the root logger.
pub const ROOT: &str = "root";

impl LevelsPage {
    /// The level `logger` runs at and where it comes from: its own explicit level, else the
    /// nearest explicit ancestor by dotted prefix, else root (log4j inheritance).
    pub fn effective(&self, logger: &str) -> (Level, Source) {
        if logger == ROOT {
            return (self.root, Source::Explicit);
        }
        if let Some(l) = self.explicit.get(logger) {
            return (*l, Source::Explicit);
        }
        let mut name = logger;
        while let Some(i) = name.rfind('.') {
            name = &name[..i];
            if let Some(l) = self.explicit.get(name) {
                return (*l, Source::Ancestor(name.to_string()));
            }
        }
        (self.root, Source::Root)
    }

    /// The explicit level of `logger`, root included.
    pub fn explicit_level(&self, logger: &str) -> Option<Level> {
        if logger == ROOT {
            Some(self.root)
        } else {
            self.explicit.get(logger).copied()
        }
    }
}

/// Parse the logger table. Errors say what was missing, for `JiraError::UnexpectedPage`.
pub fn parse_levels(html: &str) -> Result<(Level, BTreeMap<String, Level>), String> {
    let doc = Html::parse_document(html);
    let tables = Selector::parse("table").expect("valid selector");
    let rows = Selector::parse("tr").expect("valid selector");
    let cells = Selector::parse("td").expect("valid selector");

    // The page has other tables (profiling, HTTP/SQL logging); the logger table is the one
    // whose first data row is the root logger, shown as `<i>Default</i>`.
    for table in doc.select(&tables) {
        let mut root = None;
        let mut explicit = BTreeMap::new();
        for row in table.select(&rows) {
            // Skip rows of tables nested inside this one.
            if nearest_table(row) != Some(table) {
                continue;
            }
            let tds: Vec<ElementRef> = row.select(&cells).collect();
            if tds.len() < 2 {
                continue;
            }
            let name = text(tds[0]);
            let level_text = text(tds[1]);
            let Ok(level) = level_text.parse::<Level>() else {
                if root.is_none() {
                    break; // not the logger table
                }
                // A level this tool does not model (log4j's ALL): Jira shows it, we
                // cannot restore it exactly, so refuse rather than guess.
                return Err(format!(
                    "logger '{name}' has level '{level_text}', which jira-patrol does not handle"
                ));
            };
            if root.is_none() {
                if is_root_cell(tds[0]) {
                    root = Some(level);
                    continue;
                }
                break;
            }
            if name.is_empty() {
                return Err("a logger row without a name".to_string());
            }
            explicit.insert(name, level);
        }
        if let Some(root) = root {
            return Ok((root, explicit));
        }
    }
    Err(match kind(html) {
        PageKind::WebSudo => {
            "a websudo (administrator password) form instead of the logger table".into()
        }
        PageKind::Login => "a login form instead of the logger table".into(),
        PageKind::NotSystemAdmin => {
            "a page saying the System Administrators permission is missing".into()
        }
        PageKind::Other => "no logger table (no row for the root logger 'Default')".to_string(),
    })
}

/// What an HTML page Jira answered with is, judged by its fields and title, never by
/// element ids: the logging page's own "mark logs" form has `id="login-form"` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The websudo form (`webSudoPassword`, "Administrator Access").
    WebSudo,
    /// A login form (`os_username`, "Log in").
    Login,
    /// A page telling a Jira Administrator that System Administrators is needed.
    NotSystemAdmin,
    /// Any other page (the logger table, an error page, ...).
    Other,
}

/// What `html` is, for the messages saying why an admin page did not show what we asked.
pub fn kind(html: &str) -> PageKind {
    let doc = Html::parse_document(html);
    let has_field = |name: &str| {
        let sel = Selector::parse(&format!(r#"input[name="{name}"]"#)).expect("valid selector");
        doc.select(&sel).next().is_some()
    };
    let title = Selector::parse("title")
        .ok()
        .and_then(|s| doc.select(&s).next().map(text))
        .unwrap_or_default()
        .to_ascii_lowercase();
    if has_field("webSudoPassword") || title.starts_with("administrator access") {
        return PageKind::WebSudo;
    }
    if has_field("os_username") || title.starts_with("log in") {
        return PageKind::Login;
    }
    let body = doc
        .root_element()
        .text()
        .collect::<String>()
        .to_ascii_lowercase();
    let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let refused = body.contains("permission violation")
        || body.contains("access denied")
        || body.contains("do not have permission")
        || body.contains("do not have the permission")
        || body.contains("don't have permission")
        || body.contains("must be a system administrator")
        || body.contains("only system administrators");
    if refused && body.contains("system administrator") {
        return PageKind::NotSystemAdmin;
    }
    PageKind::Other
}

/// Loggers Jira's logging page never lists even with an explicit level: the SQL, SOAP and
/// HTTP access loggers it switches with its own buttons, and every `com.atlassian.mail`
/// logger (`ViewLogging` of Jira 7.x, jira-facts §3). Their level cannot be read back.
pub fn is_hidden_logger(logger: &str) -> bool {
    const HIDDEN: [&str; 6] = [
        "com.atlassian.jira.ofbiz.LoggingSQLInterceptor",
        "com.atlassian.jira.soap.axis.JiraAxisSoapLog",
        "com.atlassian.jira.soap.axis.JiraAxisSoapLogDump",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilter",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilterDump",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilterIncludeImages",
    ];
    // Jira's own test is a plain string prefix (so `com.atlassian.mailer` is hidden too).
    HIDDEN.contains(&logger) || logger.starts_with("com.atlassian.mail")
}

fn nearest_table(el: ElementRef) -> Option<ElementRef> {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "table")
}

fn is_root_cell(td: ElementRef) -> bool {
    // viewlogging.jsp renders the root row's name as `<i>` + the localised word for
    // "Default"; logger rows are plain text.
    let italic = Selector::parse("i, em").expect("valid selector");
    let t = text(td);
    t.eq_ignore_ascii_case("default")
        || t.eq_ignore_ascii_case(ROOT)
        || (td.select(&italic).next().is_some() && !t.contains('.'))
}

fn text(el: ElementRef) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The XSRF token a Jira page carries (`<meta name="atlassian-token" content="...">`).
pub fn xsrf_token(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(r#"meta[name="atlassian-token"], meta#atlassian-token"#)
        .expect("valid selector");
    doc.select(&sel)
        .find_map(|m| m.value().attr("content"))
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// True when an HTML error page is Jira's XSRF check failure.
pub fn is_xsrf_error(html: &str) -> bool {
    // Every page carries an atl_token, so look for the error page's own words
    // ("XSRF Security Token Missing", "... due to a missing form token").
    let lower = html.to_ascii_lowercase();
    lower.contains("xsrf security token")
        || lower.contains("xsrf check failed")
        || (lower.contains("form token")
            && (lower.contains("missing") || lower.contains("invalid")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><meta name="atlassian-token" content="B1A2-xyz|lin"></head><body>
      <h2>Logging</h2>
      <table class="aui"><tr><th>Appender</th><th>File</th></tr>
        <tr><td>filelog</td><td>/var/atlassian/jira/log/atlassian-jira.log</td></tr></table>
      <table class="aui aui-table-rowhover">
        <thead><tr><th>Package</th><th>Logging Level</th><th>Set Logging Level</th></tr></thead>
        <tbody>
        <tr><td><i>Default</i></td><td><strong>WARN</strong></td><td><a href="x">TRACE</a> | <a>DEBUG</a></td></tr>
        <tr><td>com.atlassian</td><td><strong>WARN</strong></td><td>…</td></tr>
        <tr><td>com.atlassian.pats</td><td><strong>TRACE</strong></td><td><a>INFO</a></td></tr>
        <tr><td>
            com.atlassian.jira.web.filters.accesslog
            </td><td><strong> INFO </strong></td><td></td></tr>
        </tbody></table></body></html>"#;

    #[test]
    fn reads_root_and_explicit_levels_from_the_logger_table() {
        let (root, explicit) = parse_levels(PAGE).unwrap();
        assert_eq!(root, Level::Warn);
        assert_eq!(explicit.len(), 3);
        assert_eq!(explicit["com.atlassian.pats"], Level::Trace);
        assert_eq!(
            explicit["com.atlassian.jira.web.filters.accesslog"],
            Level::Info
        );
    }

    #[test]
    fn a_page_without_the_logger_table_is_an_error_saying_what_it_was() {
        let websudo = r#"<form action="/secure/admin/WebSudoAuthenticate.jspa"><input name="webSudoPassword"></form>"#;
        assert!(parse_levels(websudo).unwrap_err().contains("websudo"));
        let other = "<table><tr><td>a</td><td>b</td></tr></table>";
        assert!(parse_levels(other).unwrap_err().contains("no logger table"));
    }

    #[test]
    fn pages_are_told_apart_by_fields_and_title_not_by_the_login_form_id() {
        // The logging page's "mark logs" form carries id="login-form".
        let logging = format!(
            r#"<html><head><title>Logging &amp; Profiling</title></head><body>
            <form id="login-form" action="ViewLogging!markLogs.jspa"><input name="markMessage"></form>{PAGE}</body></html>"#
        );
        assert_eq!(kind(&logging), PageKind::Other);
        assert!(parse_levels(&logging).is_ok());
        let login = r#"<title>Log in - Jira</title><form id="login-form"><input name="os_username"><input type="password" name="os_password"></form>"#;
        assert_eq!(kind(login), PageKind::Login);
        let websudo = r#"<title>Administrator Access - Jira</title><form id="login-form"><input type="password" name="webSudoPassword"></form>"#;
        assert_eq!(kind(websudo), PageKind::WebSudo);
        let refused = r#"<title>Access denied</title><p>You must be a System Administrator to access this page.</p>"#;
        assert_eq!(kind(refused), PageKind::NotSystemAdmin);
        assert!(parse_levels(refused)
            .unwrap_err()
            .contains("System Administrators"));
    }

    #[test]
    fn sql_http_soap_and_mail_loggers_are_hidden_by_the_page() {
        assert!(is_hidden_logger(
            "com.atlassian.jira.ofbiz.LoggingSQLInterceptor"
        ));
        assert!(is_hidden_logger("com.atlassian.mail.incoming"));
        assert!(is_hidden_logger(
            "com.atlassian.jira.web.filters.accesslog.AccessLogFilter"
        ));
        assert!(!is_hidden_logger("com.atlassian.pats"));
        assert!(!is_hidden_logger("com.atlassian"));
    }

    #[test]
    fn a_localised_root_row_is_recognised_by_its_italics() {
        let page = r#"<table class="aui aui-table-rowhover"><tbody>
            <tr><td><i>Standard</i></td><td><strong>ERROR</strong></td><td></td></tr>
            <tr><td>com.atlassian.pats</td><td><strong>DEBUG</strong></td><td></td></tr>
            </tbody></table>"#;
        let (root, explicit) = parse_levels(page).unwrap();
        assert_eq!(root, Level::Error);
        assert_eq!(explicit["com.atlassian.pats"], Level::Debug);
    }

    #[test]
    fn an_unknown_level_in_the_table_is_refused_not_guessed() {
        let page = r#"<table><tr><td><i>Default</i></td><td><strong>WARN</strong></td></tr>
            <tr><td>x.y</td><td><strong>ALL</strong></td></tr></table>"#;
        assert!(parse_levels(page).unwrap_err().contains("'ALL'"));
    }

    #[test]
    fn effective_level_comes_from_the_nearest_explicit_ancestor() {
        let (root, explicit) = parse_levels(PAGE).unwrap();
        let p = LevelsPage {
            root,
            explicit,
            node: None,
        };
        assert_eq!(
            p.effective("com.atlassian.pats"),
            (Level::Trace, Source::Explicit)
        );
        assert_eq!(
            p.effective("com.atlassian.pats.service.X"),
            (Level::Trace, Source::Ancestor("com.atlassian.pats".into()))
        );
        // Dotted prefix, not string prefix: com.atlassianfoo is not under com.atlassian.
        assert_eq!(p.effective("com.atlassianfoo"), (Level::Warn, Source::Root));
        assert_eq!(p.effective("root"), (Level::Warn, Source::Explicit));
    }

    #[test]
    fn finds_the_xsrf_token_and_recognises_the_xsrf_error_page() {
        assert_eq!(xsrf_token(PAGE).as_deref(), Some("B1A2-xyz|lin"));
        assert_eq!(xsrf_token("<html></html>"), None);
        assert!(is_xsrf_error(
            "<p>XSRF Security Token Missing</p><p>Jira could not complete this action</p>"
        ));
        assert!(!is_xsrf_error(
            r#"<meta name="atlassian-token" content="t"><input name="atl_token"><p>Permission Violation</p>"#
        ));
    }
}
