//! One journal file per Jira: a readable, safe file name from the base URL's host, port
//! and path, plus a short hash of the whole URL so two URLs never share a file.

/// The key two spellings of one Jira share: no trailing slash, any case.
pub(crate) fn key(jira_url: &str) -> String {
    jira_url.trim_end_matches('/').to_ascii_lowercase()
}

/// FNV-1a (64 bits): stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The journal file's stem for `jira_url`, e.g. `journal-jira.example.com_8443_jira-1a2b3c4d`:
/// host, explicit port and path (characters other than letters, digits, `.` and `-` become
/// `_`, at most 64 of them), then 8 hex digits of the URL's hash.
pub(crate) fn stem(jira_url: &str) -> String {
    let key = key(jira_url);
    let readable = match url::Url::parse(&key) {
        Ok(u) => {
            let mut s = u.host_str().unwrap_or("jira").to_string();
            if let Some(p) = u.port() {
                s.push_str(&format!("_{p}"));
            }
            let path = u.path().trim_matches('/');
            if !path.is_empty() {
                s.push('_');
                s.push_str(path);
            }
            s
        }
        Err(_) => key.clone(),
    };
    let mut safe: String = readable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    // Never a hidden file nor `..`.
    if safe.starts_with('.') {
        safe.replace_range(0..1, "_");
    }
    format!("journal-{safe}-{:08x}", fnv1a(key.as_bytes()) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_safe_and_distinct() {
        let a = stem("https://jira.example.com");
        assert!(a.starts_with("journal-jira.example.com-"), "{a}");
        assert_eq!(a.len(), "journal-jira.example.com-".len() + 8);
        // One Jira, two spellings: one file.
        assert_eq!(a, stem("https://Jira.Example.com/"));
        let b = stem("https://jira.example.com:8443/jira");
        assert!(b.starts_with("journal-jira.example.com_8443_jira-"), "{b}");
        // Same readable part, different URL: the hash tells them apart.
        assert_ne!(stem("http://jira.example.com"), a);
        let odd = stem("http://127.0.0.1:9/a b/../c?x=1");
        assert!(
            odd.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{odd}"
        );
        assert!(!odd.contains('/'));
        let long = stem(&format!("https://jira.example.com/{}", "x".repeat(300)));
        assert!(long.len() <= "journal-".len() + 64 + 9, "{long}");
    }
}
