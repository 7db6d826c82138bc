//! One `atlassian-jira.log` entry line split into its fields, on bytes, without
//! allocating. Layout (jira-facts §2):
//! `%d %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id}
//!  %X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m`.
//! Thread names hold spaces and colons, so the line is anchored on the date, then on
//! the first level word after it, then on the bracketed category.

use super::time::{parse_prefix, Ts, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The fields of one log entry line, borrowed from the line.
pub struct LogLine<'a> {
    /// The entry's time.
    pub ts: Ts,
    /// The thread's name (may hold spaces).
    pub thread: &'a [u8],
    /// The level word (`TRACE` ... `FATAL`).
    pub level: &'a [u8],
    /// `%X{jira.username}` (empty when unset).
    pub username: &'a [u8],
    /// `%X{jira.request.id}` (`904x1468x1`).
    pub request_id: &'a [u8],
    /// `%X{jira.request.assession.id}`.
    pub session_id: &'a [u8],
    /// `%X{jira.request.ipaddr}`.
    pub ip: &'a [u8],
    /// `%X{jira.request.url}`.
    pub url: &'a [u8],
    /// The logger category between the brackets.
    pub category: &'a [u8],
    /// The message after the category.
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
    // A logger name has letters; a bracketed number (`[355510638677]`) in a layout we do
    // not know is no category, and taking it for one would misread every field.
    if !category.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    let m = split_mdc(mdc);
    Some(LogLine {
        ts,
        thread: &line[thread_start..thread_end],
        level,
        username: m.username,
        request_id: m.request_id,
        session_id: m.session_id,
        ip: m.ip,
        url: m.url,
        category,
        message,
    })
}

struct Mdc<'a> {
    username: &'a [u8],
    request_id: &'a [u8],
    session_id: &'a [u8],
    ip: &'a [u8],
    url: &'a [u8],
}

/// Words of the MDC region kept for the split; the layout has five fields, a few more
/// tolerate a surprise without allocating.
const MAX_WORDS: usize = 8;

/// The five MDC fields, told apart by shape rather than position: fields are empty when
/// absent (runs of spaces), `%-5p` pads the level (`INFO  admin`), and admins edit the
/// layout. The request id (`904x1468x1`) anchors the split: the user name is what comes
/// before it; after it come session id, IP and URL, any of them possibly missing, so
/// the URL is recognised by its leading `/` and the IP by its characters.
fn split_mdc(mdc: &[u8]) -> Mdc<'_> {
    let mut words: [&[u8]; MAX_WORDS] = [b""; MAX_WORDS];
    let mut n = 0;
    for w in mdc.split(|&c| c == b' ').filter(|w| !w.is_empty()) {
        if n == MAX_WORDS {
            break;
        }
        words[n] = w;
        n += 1;
    }
    let words = &words[..n];
    let mut m = Mdc {
        username: b"",
        request_id: b"",
        session_id: b"",
        ip: b"",
        url: b"",
    };
    // The request id is normally the second word; a user name shaped like one must not
    // take its place, so that position is tried first.
    let rid = if words.len() > 1 && is_request_id(words[1]) {
        Some(1)
    } else {
        words.iter().position(|w| is_request_id(w))
    };
    let Some(rid) = rid else {
        // No request: a background thread, at most a user name.
        if let Some(u) = words.first() {
            m.username = u;
        }
        return m;
    };
    if rid > 0 {
        // Everything before the request id, so a (rare) user name with a space survives.
        let start = words[0].as_ptr() as usize - mdc.as_ptr() as usize;
        let end = words[rid].as_ptr() as usize - mdc.as_ptr() as usize;
        m.username = trim_spaces(&mdc[start..end]);
    }
    m.request_id = words[rid];
    let rest = &words[rid + 1..];
    match rest {
        [] => {}
        [a] => {
            if a.starts_with(b"/") {
                m.url = a;
            } else if is_ip(a) {
                m.ip = a;
            } else {
                m.session_id = a;
            }
        }
        [a, b] => {
            if is_ip(a) && !is_ip(b) {
                m.ip = a;
                m.url = b;
            } else if b.starts_with(b"/") {
                m.session_id = a;
                m.url = b;
            } else {
                m.session_id = a;
                m.ip = b;
            }
        }
        [a, b, c, ..] => {
            m.session_id = a;
            m.ip = b;
            m.url = c;
        }
    }
    m
}

fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    &b[start..end]
}

/// `\d+x\d+x\d+`: Jira's request id (minute of day x counter x concurrency).
pub fn is_request_id(w: &[u8]) -> bool {
    let mut parts = 0;
    let mut digits = 0;
    for &c in w {
        if c.is_ascii_digit() {
            digits += 1;
        } else if c == b'x' && digits > 0 && parts < 2 {
            parts += 1;
            digits = 0;
        } else {
            return false;
        }
    }
    parts == 2 && digits > 0
}

/// An IPv4 or IPv6 address, or a forwarded list of them (`10.1.2.61,172.18.0.6`).
fn is_ip(w: &[u8]) -> bool {
    w.iter().any(|&c| c == b'.' || c == b':')
        && w.first()
            .is_some_and(|c| c.is_ascii_hexdigit() || *c == b':')
        && w.iter()
            .all(|&c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b','))
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
    fn a_padded_level_does_not_shift_the_fields() {
        let l = p("2024-01-02 03:04:05,006+0000 http-nio-8080-exec-1 INFO  admin 904x1468x1 lnu1vp 192.168.0.1 /rest/api/2/myself [c.a.pats.service.DefaultTokenAuthenticationService] Got tokenId: [355510638677] from token").unwrap();
        assert_eq!(s(l.level), "INFO");
        assert_eq!(s(l.username), "admin");
        assert_eq!(s(l.request_id), "904x1468x1");
        assert_eq!(s(l.session_id), "lnu1vp");
        assert_eq!(s(l.ip), "192.168.0.1");
        assert_eq!(s(l.url), "/rest/api/2/myself");
        let l = p("2024-01-02 03:04:05,006+0000 http-nio-8080-exec-1 WARN  anonymous 904x1468x1 - 10.0.0.1 /x [c.a.p.web.filter.TokenBasedAuthenticationFilter] Auth failure: [x]").unwrap();
        assert_eq!(s(l.level), "WARN");
        assert_eq!(s(l.username), "anonymous");
        assert_eq!(s(l.request_id), "904x1468x1");
        assert_eq!(s(l.ip), "10.0.0.1");
    }

    #[test]
    fn several_spaces_and_empty_or_dash_fields_are_told_apart_by_shape() {
        // No user name: the request id comes first.
        let l = p("2024-01-02 03:04:05,006+0000 exec-1 TRACE  904x1468x1 - 192.168.0.1 /rest/x [c.a.pats.X] m").unwrap();
        assert_eq!(s(l.username), "");
        assert_eq!(s(l.request_id), "904x1468x1");
        assert_eq!(s(l.session_id), "-");
        assert_eq!(s(l.ip), "192.168.0.1");
        assert_eq!(s(l.url), "/rest/x");
        // No session id (empty field): the IP is not taken for one.
        let l = p("2024-01-02 03:04:05,006+0000 exec-1 TRACE anonymous 904x1468x1  10.1.2.61,172.18.0.6 /rest/x [c.a.pats.X] m").unwrap();
        assert_eq!(s(l.session_id), "");
        assert_eq!(s(l.ip), "10.1.2.61,172.18.0.6");
        assert_eq!(s(l.url), "/rest/x");
        // No IP.
        let l = p("2024-01-02 03:04:05,006+0000 exec-1 TRACE anonymous 904x1468x1 hkdcdx  /rest/x [c.a.pats.X] m").unwrap();
        assert_eq!(s(l.session_id), "hkdcdx");
        assert_eq!(s(l.ip), "");
        assert_eq!(s(l.url), "/rest/x");
        // No URL, an IPv6 address.
        let l = p("2024-01-02 03:04:05,006+0000 exec-1 TRACE anonymous 904x1468x1 - 0:0:0:0:0:0:0:1  [c.a.pats.X] m").unwrap();
        assert_eq!(s(l.ip), "0:0:0:0:0:0:0:1");
        assert_eq!(s(l.url), "");
        // `-` everywhere.
        let l = p("2024-01-02 03:04:05,006+0000 exec-1 TRACE - 904x1468x1 - - - [c.a.pats.X] m")
            .unwrap();
        assert_eq!(s(l.username), "-");
        assert_eq!(s(l.request_id), "904x1468x1");
        assert_eq!(s(l.url), "-");
    }

    #[test]
    fn a_line_without_a_request_id_has_none() {
        let l = p("2024-01-02 01:00:00,000+0000 Caesium-1-2 DEBUG      [c.a.pats.checker.JiraProductUserProvider] Looking for Jira user with key: [admin]").unwrap();
        assert_eq!(s(l.request_id), "");
        assert_eq!(s(l.username), "");
        let l =
            p("2024-01-02 01:00:00,000+0000 Caesium-1-2 DEBUG ServiceRunner     [c.a.pats.X] m")
                .unwrap();
        assert_eq!(s(l.username), "ServiceRunner");
        assert_eq!(s(l.request_id), "");
        // A user name shaped like a request id does not take the request id's place.
        let l = p("2024-01-02 01:00:00,000+0000 exec-1 TRACE 1x2x3 904x1468x1 - 10.0.0.1 /x [c.a.pats.X] m").unwrap();
        assert_eq!(s(l.username), "1x2x3");
        assert_eq!(s(l.request_id), "904x1468x1");
    }

    #[test]
    fn request_id_shape() {
        for ok in ["904x1468x1", "0x0x0", "1439x123456789x12"] {
            assert!(is_request_id(ok.as_bytes()), "{ok}");
        }
        for no in [
            "", "x1x1", "1x1x", "1x1", "1x1x1x1", "1xx1x1", "admin", "-", "12a4x1x1",
        ] {
            assert!(!is_request_id(no.as_bytes()), "{no}");
        }
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
