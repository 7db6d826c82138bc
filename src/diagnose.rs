//! The diagnostics bundle of `jira-patrol diagnose`: a set of named text files, each
//! redacted before it is added, written as a directory or a `.tar.gz`, every file 0600.
//!
//! Redaction happens in layers, because a bundle goes to people outside the Jira team:
//! values the client knows are secret ([`Recording::scrub`]: cookies, XSRF tokens, its own
//! token and password), then content-specific masks (XSRF tokens and session ids in HTML,
//! password-like settings in log4j files), then shapes that look like credentials
//! ([`redact_line`]: PATs, `{PKCS5S2}` hashes, long hex session ids, long mixed-case
//! alphanumeric runs).

use crate::jira::Recording;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::jira::Exchange;

const MASK: &str = "<redacted>";

/// One file of the bundle, already redacted.
#[derive(Debug, Clone)]
pub struct BundleFile {
    /// File name inside the bundle (`check.txt`, `exchanges.jsonl`, `server-info.json`, ...).
    pub name: String,
    /// Its content, redacted.
    pub text: String,
}

/// The files collected so far, in the order they were added.
#[derive(Debug, Default)]
pub struct Bundle {
    files: Vec<BundleFile>,
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Bundle {
        Bundle::default()
    }

    /// The files added so far, in the order added.
    pub fn files(&self) -> &[BundleFile] {
        &self.files
    }

    /// Add a file whose content the caller has already redacted (or that holds no secret
    /// by construction, such as a summary).
    pub fn add(&mut self, name: &str, text: String) {
        self.files.push(BundleFile {
            name: name.to_string(),
            text,
        });
    }

    /// The one place log lines enter the bundle (the log head today; the PAT lines of a
    /// self-check later): every line goes through [`Recording::scrub`] and [`redact_line`],
    /// which masks hashed tokens and anything token-like.
    pub fn add_log_lines<'a>(
        &mut self,
        name: &str,
        lines: impl IntoIterator<Item = &'a str>,
        recording: &Recording,
    ) {
        let mut text = String::new();
        for l in lines {
            text.push_str(&redact_line(&recording.scrub(l)));
            text.push('\n');
        }
        self.add(name, text);
    }

    /// Write to `out`: a `.tar.gz` when the name ends so, else a new directory. Refuses an
    /// existing path, so a bundle never mixes with (or overwrites) other files.
    pub fn write(&self, out: &Path) -> std::io::Result<PathBuf> {
        if out.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists: choose another --output", out.display()),
            ));
        }
        if is_tar_gz(out) {
            self.write_tar_gz(out)?;
        } else {
            self.write_dir(out)?;
        }
        Ok(out.to_path_buf())
    }

    fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        crate::paths::create_private_dir(dir)?;
        for f in &self.files {
            let p = dir.join(&f.name);
            if let Some(parent) = p.parent() {
                crate::paths::create_private_dir(parent)?;
            }
            private_file(&p)?.write_all(f.text.as_bytes())?;
        }
        Ok(())
    }

    fn write_tar_gz(&self, path: &Path) -> std::io::Result<()> {
        // Entries live under one top directory named like the file, as people expect.
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("bundle");
        let top = name.strip_suffix(".tar.gz").unwrap_or(name);
        let file = private_file(path)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mtime = jiff::Timestamp::now().as_second().max(0) as u64;
        for f in &self.files {
            let mut h = tar::Header::new_gnu();
            h.set_size(f.text.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(mtime);
            h.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut h, format!("{top}/{}", f.name), f.text.as_bytes())?;
        }
        let gz = tar.into_inner()?;
        gz.finish()?.sync_all()
    }
}

fn is_tar_gz(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz"))
}

fn private_file(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(p)
}

/// Mask what looks like a credential in one line of text: a PAT (44 Base64 characters
/// encoding 12 digits, `:` and a secret), a `{PKCS5S2}` hash, a run of 16+ hex digits (a
/// session id), a `Bearer`/`Basic` value, and any 20+ character run mixing upper case,
/// lower case and digits (XSRF tokens, other systems' keys). Token ids (12 digits), user
/// keys, request ids, dates and class names are left alone.
pub fn redact_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut after_scheme = false;
    while !rest.is_empty() {
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let mut end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        // Base64 padding ends a token; `=` inside a run is `key=value` and splits it.
        end += rest[end..].len() - rest[end..].trim_start_matches('=').len();
        if end == 0 {
            break;
        }
        let word = &rest[..end];
        let hashed = out.ends_with("{PKCS5S2}");
        if hashed || after_scheme || looks_secret(word) {
            out.push_str(MASK);
        } else {
            out.push_str(word);
        }
        after_scheme = matches!(word, "Bearer" | "Basic") && rest[end..].starts_with(' ');
        rest = &rest[end..];
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '_' | '-')
}

fn looks_secret(word: &str) -> bool {
    if word.len() >= 40 && crate::token::token_id(word).is_ok() {
        return true;
    }
    let hex = word.chars().filter(char::is_ascii_hexdigit).count();
    let digits = word.chars().filter(char::is_ascii_digit).count();
    if hex == word.len() && word.len() >= 16 && digits > 0 {
        return true;
    }
    word.len() >= 20
        && !word.starts_with('/')
        && digits > 0
        && word.chars().any(|c| c.is_ascii_uppercase())
        && word.chars().any(|c| c.is_ascii_lowercase())
}

/// The logging page as it can be shared: every XSRF token (`atl_token` in links and
/// hidden fields, the `atlassian-token` meta) and session id masked, then token shapes.
pub fn redact_html(html: &str, recording: &Recording) -> String {
    let mut s = recording.scrub(html);
    for marker in ["atl_token=", "jsessionid=", "JSESSIONID="] {
        s = mask_after(&s, marker, &['&', '"', '\'', ' ', '<', '>', ';', '#']);
    }
    s = mask_attribute_values(&s);
    s.lines().map(redact_line).collect::<Vec<_>>().join("\n") + "\n"
}

/// Replace what follows each `marker` up to a terminator.
fn mask_after(s: &str, marker: &str, terminators: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(marker) {
        let from = i + marker.len();
        out.push_str(&rest[..from]);
        rest = &rest[from..];
        let end = rest.find(terminators).unwrap_or(rest.len());
        if end > 0 {
            out.push_str(MASK);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `content="…"` / `value="…"` of any tag that names an XSRF token, a session or a
/// password (`<meta name="atlassian-token" content=…>`, `<input name="atl_token" value=…>`).
fn mask_attribute_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        let lower = tag.to_ascii_lowercase();
        let sensitive = ["token", "session", "password", "secret"]
            .iter()
            .any(|w| lower.contains(w));
        if sensitive && (lower.starts_with("<meta") || lower.starts_with("<input")) {
            let t = mask_after(tag, "content=\"", &['"']);
            out.push_str(&mask_after(&t, "value=\"", &['"']));
        } else {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A log4j file as it can be shared: values of settings whose name speaks of a password,
/// secret, token or credential masked (JDBC and SMTP appenders carry them), then token shapes.
pub fn redact_config(text: &str, recording: &Recording) -> String {
    const WORDS: [&str; 5] = ["password", "passwd", "secret", "token", "credential"];
    let mut out = String::new();
    for line in recording.scrub(text).lines() {
        let lower = line.to_ascii_lowercase();
        let line = if WORDS.iter().any(|w| lower.contains(w)) {
            if line.trim_start().starts_with('<') || line.contains("=\"") {
                // XML: mask every attribute value on the line.
                mask_after(line, "=\"", &['"'])
            } else if let Some((k, _)) = line.split_once(['=', ':']) {
                let sep = &line[k.len()..k.len() + 1];
                format!("{k}{sep} {MASK}")
            } else {
                line.to_string()
            }
        } else {
            line.to_string()
        };
        out.push_str(&redact_line(&line));
        out.push('\n');
    }
    out
}

/// The log4j configuration files under a Jira install (both, when both exist: which one is
/// live is part of what a bundle should show), as (file name, path).
pub fn log4j_files(jira_install: &Path) -> Vec<(String, PathBuf)> {
    let classes = jira_install.join("atlassian-jira/WEB-INF/classes");
    let mut found = Vec::new();
    for dir in [classes.as_path(), jira_install] {
        for name in ["log4j2.xml", "log4j.properties"] {
            let p = dir.join(name);
            if p.is_file() && !found.iter().any(|(_, q): &(String, PathBuf)| q == &p) {
                found.push((name.to_string(), p));
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

/// The first `n` lines of a file (lossy UTF-8; a log may hold anything).
pub fn head(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    use std::io::{BufRead, Read};
    let (file, _) = crate::inputfile::open_regular(path, "").map_err(|e| match e {
        crate::inputfile::FileError::Io { error, .. } => error,
        other => std::io::Error::other(other),
    })?;
    // However long the lines (a file of NUL bytes is one line), no more than this is read.
    let f = std::io::BufReader::new(file.take(1 << 20));
    let mut lines = Vec::new();
    for l in f.split(b'\n').take(n) {
        let l = l?;
        lines.push(
            String::from_utf8_lossy(&l)
                .trim_end_matches('\r')
                .to_string(),
        );
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_lose_tokens_hashes_and_session_ids_but_keep_ids() {
        let pat = crate::token::encode("355510638677", &[7u8; 20]);
        let line = format!(
            "2024-01-01 10:00:00,000+0000 http-nio-8080-exec-1 TRACE admin 600x12x1 1ab2c3 10.0.0.1 /rest/api/2/myself \
             [c.a.p.service.DefaultTokenAuthenticationService] Authentication successful - returning token: \
             [TokenDTO(id=1, userKey=JIRAUSER10100, hashedToken={{PKCS5S2}}q1w2E3r4T5y6U7i8O9p0aSdFgHjKlZxCvBnM1234567890abcdefghijklmnopqrstuvWXyz, tokenId=355510638677, name=ci)] raw {pat} \
             session [0A1B2C3D4E5F60718293A4B5C6D7E8F9] Bearer abc"
        );
        let r = redact_line(&line);
        assert!(!r.contains(&pat), "{r}");
        assert!(!r.contains("q1w2E3r4"), "{r}");
        assert!(!r.contains("0A1B2C3D4E5F"), "{r}");
        assert!(r.contains("hashedToken={PKCS5S2}<redacted>"), "{r}");
        assert!(r.contains("Bearer <redacted>"), "{r}");
        for kept in [
            "tokenId=355510638677",
            "JIRAUSER10100",
            "600x12x1",
            "/rest/api/2/myself",
            "c.a.p.service.DefaultTokenAuthenticationService",
        ] {
            assert!(r.contains(kept), "{kept} lost: {r}");
        }
    }

    #[test]
    fn html_loses_xsrf_tokens_in_meta_inputs_and_links() {
        let rec = Recording::default();
        let html = r#"<meta name="atlassian-token" content="B1A2-xyz|lin">
<a href="ConfigureLogging.jspa?loggerName=x&amp;atl_token=B1A2-xyz%7Clin">TRACE</a>
<input type="hidden" name="atl_token" value="B1A2-xyz|lin"><td>com.atlassian.pats</td>"#;
        let r = redact_html(html, &rec);
        assert!(!r.contains("B1A2"), "{r}");
        assert!(r.contains("<td>com.atlassian.pats</td>"), "{r}");
    }

    #[test]
    fn config_passwords_are_masked_in_properties_and_xml() {
        let rec = Recording::default();
        let text = "log4j.appender.db.password = hunter2hunter2\n\
                    <JDBC name=\"db\" password=\"hunter3hunter3\"/>\n\
                    log4j.logger.com.atlassian = WARN, filelog\n";
        let r = redact_config(text, &rec);
        assert!(!r.contains("hunter2") && !r.contains("hunter3"), "{r}");
        assert!(
            r.contains("log4j.logger.com.atlassian = WARN, filelog"),
            "{r}"
        );
    }

    #[test]
    fn a_bundle_is_a_directory_or_a_tar_gz_of_private_files() {
        let d = tempfile::tempdir().unwrap();
        let mut b = Bundle::new();
        b.add("README.txt", "hello\n".into());
        b.add("log4j/log4j2.xml", "<Configuration/>\n".into());
        let dir = d.path().join("bundle");
        b.write(&dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("log4j/log4j2.xml")).unwrap(),
            "<Configuration/>\n"
        );
        assert!(b.write(&dir).is_err(), "an existing path is refused");
        let tgz = d.path().join("b.tar.gz");
        b.write(&tgz).unwrap();
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&tgz).unwrap());
        let names: Vec<String> = tar::Archive::new(gz)
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["b/README.txt", "b/log4j/log4j2.xml"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&tgz), 0o600);
            assert_eq!(mode(&dir.join("README.txt")), 0o600);
        }
    }
}
