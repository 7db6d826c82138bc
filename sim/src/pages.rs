//! HTML the simulator serves: the logging page (the one table clients scrape), the websudo
//! and login forms, and Jira's error pages (XSRF, permission violation).

use super::log::LevelTable;
use crate::Level;

/// Jira's JSPs escape text and attribute values alike (`TextUtils.htmlEncode`).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The loggers `ViewLogging` of Jira 7.x never lists even with an explicit level: those it
/// switches with its own buttons (SQL, SOAP, HTTP access) and, by a plain string prefix,
/// every `com.atlassian.mail*` logger (jira-facts §3).
fn hidden_by_page(logger: &str) -> bool {
    const BUTTONS: [&str; 6] = [
        "com.atlassian.jira.ofbiz.LoggingSQLInterceptor",
        "com.atlassian.jira.soap.axis.JiraAxisSoapLog",
        "com.atlassian.jira.soap.axis.JiraAxisSoapLogDump",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilter",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilterDump",
        "com.atlassian.jira.web.filters.accesslog.AccessLogFilterIncludeImages",
    ];
    BUTTONS.contains(&logger) || logger.starts_with("com.atlassian.mail")
}

/// URL-encodes a query value (form encoding).
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn page(title: &str, atl_token: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{} - Jira (simulated)</title>\n\
         <meta name=\"application-name\" content=\"JIRA\" data-name=\"jira\" data-version=\"sim\">\n\
         <meta id=\"atlassian-token\" name=\"atlassian-token\" content=\"{}\">\n</head>\n\
         <body id=\"jira\" class=\"aui-layout aui-theme-default\">\n<div id=\"page\">\n<section id=\"content\" role=\"main\">\n{}\n</section>\n</div>\n</body>\n</html>\n",
        esc(title),
        esc(atl_token),
        body
    )
}

fn level_links(logger: &str, atl_token: &str) -> String {
    let mut s = String::new();
    for l in Level::ALL {
        s.push_str(&format!(
            "<a href=\"ConfigureLogging.jspa?loggerName={}&amp;levelName={}&amp;atl_token={}\">{}</a> ",
            esc(&enc(logger)),
            l,
            esc(&enc(atl_token)),
            l
        ));
    }
    s.push_str(&format!(
        "| <a href=\"ConfigureLogging!default.jspa?loggerName={}\">Edit</a>",
        esc(&enc(logger))
    ));
    s
}

/// `ViewLogging.jspa`: a decoy table first (mail/profiling settings), then the logger table
/// `<table class="aui aui-table-rowhover">`: root as `<i>Default</i>`, explicit loggers sorted.
pub fn view_logging(levels: &LevelTable, atl_token: &str) -> String {
    let mut rows = format!(
        "<tr><td><i>Default</i></td><td><strong>{}</strong></td><td>{}</td></tr>\n",
        levels.root,
        level_links("root", atl_token)
    );
    // Jira's ViewLogging leaves out the loggers it switches with its own buttons (SQL,
    // SOAP, HTTP access) and every mail logger (jira-facts §3).
    for (name, level) in levels.explicit.iter().filter(|(n, _)| !hidden_by_page(n)) {
        rows.push_str(&format!(
            "<tr><td>{}</td><td><strong>{}</strong></td><td>{}</td></tr>\n",
            esc(name),
            level,
            level_links(name, atl_token)
        ));
    }
    let body = format!(
        "<h2>Logging &amp; Profiling</h2>\n\
         <h3>Mark logs</h3>\n<form id=\"login-form\" class=\"aui\" action=\"ViewLogging!markLogs.jspa\" method=\"post\">\n\
         <input type=\"text\" name=\"markMessage\">\n<input type=\"checkbox\" name=\"rollOver\" value=\"true\">\n\
         <input type=\"hidden\" name=\"atl_token\" value=\"{}\">\n<input type=\"submit\" value=\"Mark\">\n</form>\n\
         <table class=\"aui\" id=\"profiling\"><tbody>\n<tr><td>Profiling</td><td><strong>OFF</strong></td></tr>\n<tr><td>HTTP access logging</td><td><strong>ON</strong></td></tr>\n</tbody></table>\n\
         <h3>Default Loggers</h3>\n\
         <p><a href=\"ConfigureLogging!default.jspa?loggerName=\">Configure logging level for another package</a></p>\n\
         <table class=\"aui aui-table-rowhover\" id=\"logging\">\n<thead><tr><th>Package name</th><th>Logging level</th><th>Set logging level</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n",
        esc(atl_token)
    );
    page("Logging & Profiling", atl_token, &body)
}

/// `ConfigureLogging!default.jspa`: one logger's level form, with an error if any.
pub fn configure_logging_form(logger: &str, atl_token: &str, error: Option<&str>) -> String {
    let err = error
        .map(|e| format!("<div class=\"aui-message error\">{}</div>\n", esc(e)))
        .unwrap_or_default();
    let options: String = Level::ALL
        .iter()
        .map(|l| format!("<option value=\"{l}\">{l}</option>"))
        .collect();
    let body = format!(
        "<h2>Set logging level</h2>\n{err}<form class=\"aui\" action=\"ConfigureLogging.jspa\" method=\"post\">\n\
         <input type=\"text\" name=\"loggerName\" value=\"{}\">\n<select name=\"levelName\">{options}</select>\n\
         <input type=\"hidden\" name=\"atl_token\" value=\"{}\">\n<input type=\"submit\" value=\"Update\">\n</form>\n",
        esc(logger),
        esc(atl_token)
    );
    page("Set logging level", atl_token, &body)
}

/// The websudo password form, back to `destination` once passed.
pub fn websudo_form(destination: &str, atl_token: &str, error: Option<&str>) -> String {
    let err = error
        .map(|e| {
            format!(
                "<div class=\"aui-message aui-message-error error\">{}</div>\n",
                esc(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h2>Administrator Access</h2>\n<p>You have requested access to an administrative function in Jira and are required to validate your credentials below.</p>\n{err}\
         <form id=\"login-form\" class=\"aui\" action=\"/secure/admin/WebSudoAuthenticate.jspa\" method=\"post\">\n\
         <input type=\"password\" id=\"login-form-authenticatePassword\" name=\"webSudoPassword\">\n\
         <input type=\"hidden\" name=\"webSudoDestination\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"webSudoIsPost\" value=\"false\">\n\
         <input type=\"hidden\" name=\"atl_token\" value=\"{}\">\n\
         <input type=\"submit\" id=\"login-form-submit\" value=\"Confirm\">\n</form>\n",
        esc(destination),
        esc(atl_token)
    );
    page("Administrator Access", atl_token, &body)
}

/// `login.jsp`: the login form, with the permission-violation note when sent there.
pub fn login_page(destination: &str, permission_violation: bool, atl_token: &str) -> String {
    let warn = if permission_violation {
        "<div class=\"aui-message warning\">You must log in to access this page.</div>\n"
    } else {
        ""
    };
    let body = format!(
        "<h1>Log in</h1>\n{warn}<form id=\"login-form\" class=\"aui\" action=\"/login.jsp\" method=\"post\">\n\
         <input type=\"text\" name=\"os_username\">\n<input type=\"password\" name=\"os_password\">\n\
         <input type=\"hidden\" name=\"os_destination\" value=\"{}\">\n<input type=\"submit\" name=\"login\" value=\"Log In\">\n</form>\n",
        esc(destination)
    );
    page("Log in", atl_token, &body)
}

/// What a Jira Administrator (not a System Administrator) gets on a System Administrators
/// page: a 200 page saying so, not a redirect (wording \[U\]).
pub fn not_system_admin(atl_token: &str) -> String {
    page(
        "Access denied",
        atl_token,
        "<h1>Access denied</h1>\n<div class=\"aui-message warning\">You do not have permission to access this page. \
         You must be a System Administrator to configure logging and profiling.</div>\n",
    )
}

/// Jira's XSRF error page (a reissued token in its meta).
pub fn xsrf_error(atl_token: &str) -> String {
    page(
        "XSRF Security Token Missing",
        atl_token,
        "<h1>XSRF Security Token Missing</h1>\n<div class=\"aui-message error\">Jira could not complete this action due to a missing form token.</div>\n\
         <p>You may have cleared your browser cookies, which could have resulted in the expiry of your current form token. A new form token has been reissued.</p>\n",
    )
}

/// Jira's permission-violation page, worded for a logged-in user or not.
pub fn permission_violation(atl_token: &str, logged_in: bool) -> String {
    let msg = if logged_in {
        "You do not have the permission to see the specified page."
    } else {
        "You are not logged in, and do not have the permissions required to act on the selected page."
    };
    page(
        "Permission Violation",
        atl_token,
        &format!("<h1>Permission Violation</h1>\n<div class=\"aui-message warning\">{msg}</div>\n"),
    )
}

/// A page with a title and one paragraph (dashboard, dead link, 500).
pub fn simple(title: &str, atl_token: &str, text: &str) -> String {
    page(
        title,
        atl_token,
        &format!("<h1>{}</h1>\n<p>{}</p>\n", esc(title), esc(text)),
    )
}
