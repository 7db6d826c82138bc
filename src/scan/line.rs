//! One `atlassian-jira.log` entry line split into its fields, on bytes, without
//! allocating. Layout (jira-facts §2):
//! `%d %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id}
//!  %X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m`.
//! Thread names hold spaces and colons, so the line is anchored on the date, then on
//! the first level word after it, then on the bracketed category.

use super::time::{parse_prefix, Ts, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub ts: Ts,
    pub thread: &'a [u8],
    pub level: &'a [u8],
    pub username: &'a [u8],
    pub request_id: &'a [u8],
    pub session_id: &'a [u8],
    pub ip: &'a [u8],
    pub url: &'a [u8],
    pub category: &'a [u8],
    pub message: &'a [u8],
}

impl<'a> LogLine<'a> {
    /// The thread's name up to its first space: Jira renames request threads part-way
    /// (`http-nio-8080-exec-4` → `http-nio-8080-exec-4 url: /x; user: admin`).
    pub fn thread_base(&self) -> &'a [u8] {
        match memchr::memchr(b' ', self.thread) {
            Some(i) => &self.thread[..i],
            None => self.thread,
        }
    }
}

const LEVELS: [&[u8]; 6] = [b"TRACE", b"DEBUG", b"INFO", b"WARN", b"ERROR", b"FATAL"];

/// Split `line` (without its line terminator) into fields; `None` for lines that are
/// not the start of a log entry (stack frames, wrapped messages, other formats).
pub fn parse<'a>(line: &'a [u8], zone: &mut Zone) -> Option<LogLine<'a>> {
    let (ts, n) = parse_prefix(line, zone)?;
    if line.get(n) != Some(&b' ') {
        return None;
    }
    let thread_start = n + 1;
    let (thread_end, level_end) = find_level(line, thread_start)?;
    let level = &line[thread_end + 1..level_end];
    // `level_end` is the space after the level; the category starts at the first " ["
    // from there (all five MDC fields may be empty, leaving only spaces before it).
    let cat_space = level_end + super::pat::find(&line[level_end..], b" [")?;
    let mdc = if cat_space > level_end {
        &line[level_end + 1..cat_space]
    } else {
        &line[cat_space..cat_space]
    };
    let cat_start = cat_space + 2;
    let (category, message) = match super::pat::find(&line[cat_start..], b"] ") {
        Some(i) => (&line[cat_start..cat_start + i], &line[cat_start + i + 2..]),
        None if line.last() == Some(&b']') => (&line[cat_start..line.len() - 1], &b""[..]),
        None => return None,
    };
    let mut f = mdc.splitn(5, |&c| c == b' ');
    let mut next = || f.next().unwrap_or(b"");
    let (username, request_id, session_id, ip, url) = (next(), next(), next(), next(), next());
    Some(LogLine {
        ts,
        thread: &line[thread_start..thread_end],
        level,
        username,
        request_id,
        session_id,
        ip,
        url,
        category,
        message,
    })
}

/// Position of the space before the level word and of the space after it.
fn find_level(line: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(i) = memchr::memchr(b' ', &line[pos..]) {
        let sp = pos + i;
        let rest = &line[sp + 1..];
        for lv in LEVELS {
            if rest.len() > lv.len() && rest.starts_with(lv) && rest[lv.len()] == b' ' {
                return Some((sp, sp + 1 + lv.len()));
            }
        }
        pos = sp + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn p(s: &str) -> Option<LogLine<'_>> {
        parse(s.as_bytes(), &mut Zone::new(TimeZone::UTC))
    }

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn splits_the_kb_line() {
        let l = p("2022-10-11 15:04:09,202+0000 http-nio-8080-exec-4 TRACE anonymous 904x1468x1 - 192.168.0.1 /rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19 [c.a.pats.service.DefaultTokenAuthenticationService] Got tokenId: [355510638677] from token").unwrap();
        assert_eq!(s(l.thread), "http-nio-8080-exec-4");
        assert_eq!(s(l.level), "TRACE");
        assert_eq!(s(l.username), "anonymous");
        assert_eq!(s(l.request_id), "904x1468x1");
        assert_eq!(s(l.session_id), "-");
        assert_eq!(s(l.ip), "192.168.0.1");
        assert_eq!(s(l.url), "/rest/bamboo/latest/deploy/SCRUM1/SCRUM1-19");
        assert_eq!(
            s(l.category),
            "c.a.pats.service.DefaultTokenAuthenticationService"
        );
        assert_eq!(s(l.message), "Got tokenId: [355510638677] from token");
    }

    #[test]
    fn thread_names_with_spaces_and_colons() {
        let l = p("2021-04-16 08:59:06,292+0200 https-jsse-nio-8443-exec-49 url: /rest/plugins/1.0/x; user: user.name INFO user.name 539x1474784x1 179lvdm 11.22.33.44 /rest/plugins/1.0/x [c.a.plugin.util.WaitUntil] Plugins").unwrap();
        assert_eq!(
            s(l.thread),
            "https-jsse-nio-8443-exec-49 url: /rest/plugins/1.0/x; user: user.name"
        );
        assert_eq!(s(l.thread_base()), "https-jsse-nio-8443-exec-49");
        assert_eq!(s(l.username), "user.name");
        assert_eq!(s(l.ip), "11.22.33.44");
        let l = p("2021-04-16 08:59:06,362+0200 ThreadPoolAsyncTaskExecutor::Thread 59 ERROR user.name 539x1474784x1 179lvdm 11.22.33.44 /rest/x [c.a.p.osgi.factory.OsgiPlugin] Unable").unwrap();
        assert_eq!(s(l.thread), "ThreadPoolAsyncTaskExecutor::Thread 59");
    }

    #[test]
    fn empty_mdc_fields_and_ip_lists() {
        let l = p("2020-07-28 16:34:37,723 Jira-Bootstrap INFO      [c.a.j.config.database.SystemDatabaseConfigurationLoader] Reading database").unwrap();
        assert_eq!(s(l.username), "");
        assert_eq!(s(l.url), "");
        assert_eq!(
            s(l.category),
            "c.a.j.config.database.SystemDatabaseConfigurationLoader"
        );
        let l = p("2024-09-28 11:15:43,895+0800 UpmAsynchronousTaskManager:thread-1 INFO admin     [c.a.plugin.manager.DefaultPluginManager] Updating").unwrap();
        assert_eq!(s(l.username), "admin");
        assert_eq!(s(l.request_id), "");
        let l = p("2019-04-03 13:10:50,746 http-nio-8080-exec-11 ERROR anonymous 790x43541x1 - 10.1.2.61,172.18.0.6 /plugins/servlet/prometheus/metrics [r.a.a.p.promjiraexporter.service.MetricCollectorImpl] Error").unwrap();
        assert_eq!(s(l.ip), "10.1.2.61,172.18.0.6");
        let l = p("2015-03-17 14:51:09,884 UpmAsynchronousTaskManager:thread-3 INFO admin 882x1649x1 dg71op 0:0:0:0:0:0:0:1 /rest/plugins/1.0/ [atlassian.plugin.loaders.ScanningPluginLoader] No plugins").unwrap();
        assert_eq!(s(l.ip), "0:0:0:0:0:0:0:1");
    }

    #[test]
    fn categories_with_brackets() {
        let l = p("2017-03-23 18:31:14,067 http-nio-8080-exec-7 ERROR      [o.a.c.c.C.[.[localhost].[/].[action]] Servlet.service() for servlet [action]").unwrap();
        assert_eq!(s(l.category), "o.a.c.c.C.[.[localhost].[/].[action]");
        assert!(s(l.message).starts_with("Servlet.service()"));
    }

    #[test]
    fn continuation_and_foreign_lines_are_not_entries() {
        assert!(p(
            "\tat com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter.doFilter(X.java:1)"
        )
        .is_none());
        assert!(p("    ... 51 filtered").is_none());
        assert!(p("2016-04-27 10:56:42,008 ERROR [http-nio-7990-exec-4] xxxx @1PWA01Ox656x81x0 12pbhr8 x.xxx.xx.xxxx \"PUT /rest/x HTTP/1.1\" c.a.plugin.manager.PluginEnabler Unable").is_none());
        assert!(p("2023-05-05 13:35:42,472-0700").is_none());
    }
}
