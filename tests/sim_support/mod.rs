//! Helpers shared by the simulator tests: a minimal parser of atlassian-jira.log lines
//! (independent of the crate's scanner, so the two check each other).
#![allow(dead_code)]

/// One parsed first line of an entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub date: String,
    pub thread: String,
    pub level: String,
    pub user: String,
    pub request_id: String,
    pub asession: String,
    pub ip: String,
    pub url: String,
    pub category: String,
    pub message: String,
}

const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

pub fn parse(line: &str) -> Option<Entry> {
    // `yyyy-MM-dd HH:mm:ss,SSS[+hhmm] `
    let b = line.as_bytes();
    if b.len() < 24 || b[4] != b'-' || b[10] != b' ' || b[19] != b',' {
        return None;
    }
    let mut rest = &line[23..];
    let mut date = line[..23].to_string();
    if rest.starts_with('+') || rest.starts_with('-') {
        date.push_str(&rest[..5]);
        rest = &rest[5..];
    }
    let rest = rest.strip_prefix(' ')?;
    // The thread may hold spaces: the level is the first level word followed by a space.
    let (thread, level, after) = rest.match_indices(' ').find_map(|(i, _)| {
        let tail = &rest[i + 1..];
        LEVELS.iter().find_map(|l| {
            tail.strip_prefix(l)
                .and_then(|t| t.strip_prefix(' '))
                .map(|t| (&rest[..i], *l, t))
        })
    })?;
    let mut f = after.splitn(6, ' ');
    let (user, rid, asess, ip, url, tail) = (
        f.next()?,
        f.next()?,
        f.next()?,
        f.next()?,
        f.next()?,
        f.next()?,
    );
    let tail = tail.strip_prefix('[')?;
    let close = tail.find("] ")?;
    Some(Entry {
        date,
        thread: thread.into(),
        level: level.into(),
        user: user.into(),
        request_id: rid.into(),
        asession: asess.into(),
        ip: ip.into(),
        url: url.into(),
        category: tail[..close].into(),
        message: tail[close + 2..].into(),
    })
}

pub fn is_continuation(line: &str) -> bool {
    line.starts_with('\t')
        || line.starts_with("    ")
        || line.starts_with("Caused by: ")
        || line.starts_with("java.")
        || line.is_empty()
}
