//! Format-preserving editors for Jira's log4j configuration: log4j 1.x
//! `log4j.properties` (Jira ≤ 9.4) and log4j2 XML (Jira ≥ 9.5). A [`Config`] keeps the
//! bytes it read; every edit splices spans of those bytes, so a file written back without
//! a change is byte-identical and a change alters only the lines it must.
//!
//! What lives where: `properties`/`xml` are the document models, `rotation` reads and
//! changes appenders and plans rotation, `loggers` declares permanent loggers, `locate`
//! finds the file in a Jira install, `write` does backup + atomic replace + diff, `edit`
//! takes one edit (a rotation plan, a set, a persist) from memory to disk.

pub mod edit;
pub mod locate;
pub mod loggers;
pub mod properties;
pub mod rotation;
pub mod size;
pub mod write;
pub mod xml;

pub use edit::{plan_change, Applied, Edit, Planned};
pub use locate::{locate, Located};
pub use rotation::{plan, plan_bytes, Plan};
pub use write::Saved;

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Which kind of configuration a file holds (detected from its content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    /// log4j 1.x `log4j.properties` (Jira 8.x–9.4).
    Properties,
    /// log4j2 XML `log4j2.xml` (Jira 9.5+, 10.x).
    Log4j2Xml,
}

impl Format {
    /// How the format is named in messages and reports.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Properties => "log4j 1.x properties",
            Format::Log4j2Xml => "log4j2 XML",
        }
    }
}

/// A file appender as the configuration declares it. Sizes and counts are what log4j
/// will actually use: log4j's defaults where a value is absent or invalid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Appender {
    /// The appender's name (`log4j.appender.NAME`, or the `name` attribute in log4j2 XML).
    pub name: String,
    /// The file it writes, as written in the configuration.
    pub file: String,
    /// Size at which the file rotates; `None` when it does not rotate by size.
    pub max_size_bytes: Option<u64>,
    /// The size exactly as written, when written.
    pub max_size_raw: Option<String>,
    /// Rotated files kept; `None` when the appender does not rotate.
    pub backups: Option<u32>,
    /// Writes `atlassian-jira.log` (the default target of every command).
    pub is_main: bool,
}

/// Everything that can go wrong; each message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Log4jError {
    /// The configuration file does not exist.
    #[error("{}: no such file: check the path, or use --jira-install DIR", .0.display())]
    NotFound(PathBuf),
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file given.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file (or its directory) cannot be written, or its owner and mode kept.
    #[error("cannot write {}: {why}", path.display())]
    NotWritable {
        /// The file, or the directory of the temporary file.
        path: PathBuf,
        /// What failed and what to do (permissions, owner).
        why: String,
    },
    /// The file is XML but not well-formed.
    #[error("{}:{line}:{column}: malformed XML: {message}; fix the file (a backup of a working version may sit beside it)", path.display())]
    MalformedXml {
        /// The file given.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column (in characters) of the fault.
        column: usize,
        /// quick-xml's description of the fault.
        message: String,
    },
    /// Not a log4j configuration Jira uses (log4j 1.x XML, or neither format).
    #[error("{}: {what}", path.display())]
    Unsupported {
        /// The file given.
        path: PathBuf,
        /// What the file is instead, and what to give.
        what: String,
    },
    /// `--appender NAME` names no file appender in the file.
    #[error("no appender named '{}' in {}; appenders present: {}", crate::warn::excerpt(name.as_bytes()), path.display(), list(present))]
    AppenderNotFound {
        /// The configuration file.
        path: PathBuf,
        /// The name asked for.
        name: String,
        /// The names of the file appenders that exist.
        present: Vec<String>,
    },
    /// No appender writes `atlassian-jira.log` and no `--appender` was given.
    #[error("no appender writes atlassian-jira.log in {}; pick one with --appender (file appenders: {})", path.display(), list(present))]
    NoMainAppender {
        /// The configuration file.
        path: PathBuf,
        /// The names of the file appenders that exist.
        present: Vec<String>,
    },
    /// Several appenders write one file: a rotation edit would be ambiguous.
    #[error("appenders {} write the same file '{}' in {}: log4j would rotate it from several places; fix that by hand first", list(appenders), crate::warn::excerpt(file.as_bytes()), path.display())]
    SharedFile {
        /// The configuration file.
        path: PathBuf,
        /// The file they write, as configured.
        file: String,
        /// The appenders writing it.
        appenders: Vec<String>,
    },
    /// The chosen appender is not a size-rolling one, so rotation limits cannot be set.
    #[error("appender '{name}' does not rotate by size ({why}); pick a rolling appender with --appender")]
    NotRotating {
        /// The appender's name.
        name: String,
        /// Its class (properties) or the element lacking a `filePattern` (XML).
        why: String,
    },
    /// A value given by the user (a size, a count, a logger or level) is invalid; the message says which.
    #[error("{0}")]
    InvalidValue(String),
    /// The file is valid but shaped in a way the editor cannot change safely.
    #[error("{}: {what}; edit the file by hand or report this file's shape", path.display())]
    Structure {
        /// The configuration file.
        path: PathBuf,
        /// What is in the way.
        what: String,
    },
    /// The file on disk differs from the bytes read: someone else edited it; nothing was written.
    #[error("{} changed since it was read; nothing written: run the command again", .0.display())]
    ChangedSinceRead(PathBuf),
    /// `--jira-install DIR` holds no log4j file where Jira keeps it (the message says where it looked).
    #[error("{}", .0)]
    NoConfigInInstall(String),
    /// Not a regular file, or larger than a configuration can be: refused before reading.
    #[error(transparent)]
    File(crate::inputfile::FileError),
    /// More lines or elements than a log4j configuration has: refused before parsing.
    #[error("{}: {what}: more than a log4j configuration has; is it the right file?", path.display())]
    TooBig {
        /// The file given.
        path: PathBuf,
        /// How many of what (`2,000,000 lines`).
        what: String,
    },
    /// Another I/O step of a save failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot inspect", ...), the start of the message.
        what: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        rotation::name_list(v.iter().map(String::as_str))
    }
}

/// A replacement of the bytes in `range` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// Byte range of the original document to replace.
    pub range: Range<usize>,
    /// The replacement bytes.
    pub text: Vec<u8>,
}

impl Splice {
    /// Replace `range` by the UTF-8 bytes of `text`.
    pub fn new(range: Range<usize>, text: &str) -> Self {
        Splice {
            range,
            text: text.as_bytes().to_vec(),
        }
    }
}

/// Apply non-overlapping splices; insertions at one position keep their given order.
pub fn apply(raw: &[u8], splices: &[Splice]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..splices.len()).collect();
    order.sort_by_key(|&i| (splices[i].range.start, splices[i].range.end, i));
    let mut out = Vec::with_capacity(raw.len() + 256);
    let mut pos = 0;
    for i in order {
        let s = &splices[i];
        debug_assert!(s.range.start >= pos, "overlapping splices");
        out.extend_from_slice(&raw[pos..s.range.start.max(pos)]);
        out.extend_from_slice(&s.text);
        pos = pos.max(s.range.end);
    }
    out.extend_from_slice(&raw[pos..]);
    out
}

/// A parsed document of either format.
#[derive(Debug, Clone)]
pub(crate) enum Doc {
    Props(properties::Document),
    Xml(xml::Document),
}

/// A log4j configuration file: its path, the bytes read, and the bytes after edits.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    format: Format,
    original: Vec<u8>,
    current: Vec<u8>,
    doc: Doc,
}

impl Config {
    /// Read and parse `path`; the format comes from the content.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, Log4jError> {
        let path = path.as_ref();
        let bytes = crate::inputfile::read_capped(
            path,
            crate::inputfile::CONFIG_CAP,
            "log4j configuration",
        )
        .map_err(|e| {
            e.or_missing(
                || Log4jError::NotFound(path.to_path_buf()),
                Log4jError::File,
            )
        })?;
        Config::parse(path, bytes)
    }

    /// Parse bytes said to come from `path` (nothing is read).
    pub fn parse(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Config, Log4jError> {
        let path = path.into();
        check_size(&path, &bytes)?;
        let format = detect(&path, &bytes)?;
        let doc = parse_doc(&path, format, &bytes)?;
        Ok(Config {
            path,
            format,
            original: bytes.clone(),
            current: bytes,
            doc,
        })
    }

    /// The file as given (not resolved through symlinks).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Detected from the content when loaded.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The bytes as read.
    pub fn original(&self) -> &[u8] {
        &self.original
    }

    /// The bytes with every edit made so far.
    pub fn to_bytes(&self) -> &[u8] {
        &self.current
    }

    /// Whether any edit changed the bytes read.
    pub fn is_changed(&self) -> bool {
        self.current != self.original
    }

    /// Every appender that writes a file, in file order.
    pub fn appenders(&self) -> Vec<Appender> {
        rotation::appenders(&self.doc)
    }

    /// The appender writing `atlassian-jira.log`, or the one named.
    pub fn appender(&self, name: Option<&str>) -> Result<Appender, Log4jError> {
        rotation::pick(&self.path, &self.appenders(), name)
    }

    /// Why log4j would not use a value as written (shown by `rotation show`).
    pub fn notes(&self, appender: &Appender) -> Vec<String> {
        rotation::notes(&self.doc, appender)
    }

    /// Every file appender with its notes, in file order: [`Config::appenders`] and
    /// [`Config::notes`] of each, in time linear in the number of appenders.
    pub fn appenders_with_notes(&self) -> Vec<(Appender, Vec<String>)> {
        rotation::appenders_with_notes(&self.doc)
    }

    /// When (if ever) Jira picks up an edit of this file without a restart.
    pub fn reload_note(&self) -> String {
        match &self.doc {
            Doc::Props(_) => "restart Jira for this to apply: log4j 1.x reads log4j.properties only at start-up".into(),
            Doc::Xml(d) => match rotation::monitor_interval(d) {
                Some(s) => format!("log4j2 reloads this file by itself within {s} seconds (monitorInterval); no restart needed"),
                None => "restart Jira for this to apply: this log4j2 file sets no monitorInterval, so it is read only at start-up".into(),
            },
        }
    }

    /// Set the maximum size and/or backup count of an appender (the main one by default).
    /// Returns a line per value changed (empty when the file already says so).
    pub fn set_rotation(
        &mut self,
        appender: Option<&str>,
        max_size: Option<u64>,
        backups: Option<u32>,
    ) -> Result<Vec<String>, Log4jError> {
        if let Some(n) = max_size {
            if n == 0 || n > size::MAX_SIZE {
                return Err(Log4jError::InvalidValue(format!(
                    "invalid size {n}: must be from 1 byte to 1024GB"
                )));
            }
        }
        if let Some(n) = backups {
            if n == 0 || n > size::MAX_BACKUPS {
                return Err(Log4jError::InvalidValue(format!(
                    "invalid backup count {n}: must be from 1 to {}",
                    size::MAX_BACKUPS
                )));
            }
        }
        let target = self.appender(appender)?;
        let (splices, changes) = rotation::set(&self.path, &self.doc, &target, max_size, backups)?;
        self.apply_checked(splices)?;
        // Read the result back: the edit must say what was asked, or nothing is kept.
        let after = self.appender(Some(&target.name))?;
        let size_ok = max_size.is_none_or(|n| after.max_size_bytes == Some(n));
        let backups_ok = backups.is_none_or(|n| after.backups == Some(n));
        if !size_ok || !backups_ok {
            return Err(Log4jError::Structure {
                path: self.path.clone(),
                what: format!(
                    "after the edit, appender '{}' reads back as {:?} x {:?}",
                    target.name, after.max_size_raw, after.backups
                ),
            });
        }
        Ok(changes)
    }

    /// Declare `logger` at `level` permanently, attached to the appender Jira's own
    /// package loggers use (or `appender`). Updates a declaration in place.
    pub fn persist_logger(
        &mut self,
        logger: &str,
        level: crate::level::Level,
        appender: Option<&str>,
    ) -> Result<Vec<String>, Log4jError> {
        let (splices, changes) = loggers::persist(self, logger, level, appender)?;
        self.apply_checked(splices)?;
        Ok(changes)
    }

    /// Remove every declaration of `logger`. Returns what was removed (empty: none was).
    pub fn unpersist_logger(&mut self, logger: &str) -> Result<Vec<String>, Log4jError> {
        let (splices, changes) = loggers::unpersist(self, logger)?;
        self.apply_checked(splices)?;
        Ok(changes)
    }

    /// The level a logger is declared at in the file, if declared.
    pub fn declared_level(&self, logger: &str) -> Option<String> {
        loggers::declared_level(&self.doc, logger)
    }

    fn apply_checked(&mut self, splices: Vec<Splice>) -> Result<(), Log4jError> {
        if splices.is_empty() {
            return Ok(());
        }
        let next = apply(&self.current, &splices);
        let doc = parse_doc(&self.path, self.format, &next).map_err(|e| Log4jError::Structure {
            path: self.path.clone(),
            what: format!("the edited text no longer parses ({e})"),
        })?;
        self.current = next;
        self.doc = doc;
        Ok(())
    }

    pub(crate) fn doc(&self) -> &Doc {
        &self.doc
    }

    /// A unified diff of the edits (empty when nothing changed).
    pub fn diff(&self) -> String {
        write::diff(&self.path, &self.original, &self.current)
    }

    /// Back up the file beside itself and replace it atomically with the edited bytes,
    /// keeping mode and owner; refuses when the file changed since it was read.
    pub fn save(&self) -> Result<Saved, Log4jError> {
        write::save(&self.path, &self.original, &self.current)
    }
}

/// Lines, tags and attributes a configuration may have at most: Jira's own have a few
/// hundred or thousand, and each costs a parsed entry, element or attribute, so these bound
/// the memory a file can make the parser ask for (besides [`inputfile::CONFIG_CAP`]).
///
/// [`inputfile::CONFIG_CAP`]: crate::inputfile::CONFIG_CAP
const MAX_LINES: usize = 200_000;
const MAX_TAGS: usize = 150_000;
const MAX_ATTRS: usize = 300_000;

fn check_size(path: &Path, bytes: &[u8]) -> Result<(), Log4jError> {
    let too_big = |what: String| Log4jError::TooBig {
        path: path.to_path_buf(),
        what,
    };
    // `\r` alone ends a properties line too.
    let lines = memchr::memchr2_iter(b'\n', b'\r', bytes).count();
    if lines > MAX_LINES {
        return Err(too_big(format!("{lines} line ends")));
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        let tags = memchr::memchr_iter(b'<', bytes).count();
        if tags > MAX_TAGS {
            return Err(too_big(format!("{tags} '<' characters")));
        }
        let attrs = memchr::memchr_iter(b'=', bytes).count();
        if attrs > MAX_ATTRS {
            return Err(too_big(format!("{attrs} '=' characters")));
        }
    }
    Ok(())
}

fn detect(path: &Path, bytes: &[u8]) -> Result<Format, Log4jError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let unsupported = |what: &str| Log4jError::Unsupported {
        path: path.to_path_buf(),
        what: what.into(),
    };
    match first.map(|i| text[i]) {
        Some(b'<') => {
            // The root element decides: log4j 1.x XML and log4j2 XML look alike at the top.
            let doc = xml::Document::parse(bytes).map_err(|e| xml_error(path, e))?;
            let root = doc.root().map(|r| r.name.clone()).unwrap_or_default();
            if root.eq_ignore_ascii_case("Configuration") {
                Ok(Format::Log4j2Xml)
            } else if root.ends_with("configuration") {
                Err(unsupported(
                    "is a log4j 1.x XML file (<log4j:configuration>), which Jira does not use; give log4j.properties or log4j2.xml",
                ))
            } else {
                Err(unsupported(&format!(
                    "is XML but not a log4j2 configuration (root element <{}>, expected <Configuration>)",
                    crate::warn::excerpt(root.as_bytes())
                )))
            }
        }
        Some(b'{') => Err(unsupported(
            "looks like a JSON log4j2 configuration, which is not supported; give log4j.properties or log4j2.xml",
        )),
        _ => {
            let doc = properties::Document::parse(bytes);
            let keys: Vec<&str> = doc.pairs().map(|(_, p)| p.key.as_str()).collect();
            let log4j1 = keys.iter().any(|k| k.starts_with("log4j."));
            let log4j2 = keys.iter().any(|k| {
                k.starts_with("appender.") || k.starts_with("rootLogger") || k.starts_with("logger.")
            });
            if !log4j1 && log4j2 {
                return Err(unsupported(
                    "is a log4j2 properties file, which is not supported; give log4j.properties (log4j 1.x) or log4j2.xml",
                ));
            }
            if !log4j1 && !keys.is_empty() {
                return Err(unsupported(
                    "has no log4j.* keys: it is not a log4j 1.x configuration",
                ));
            }
            Ok(Format::Properties)
        }
    }
}

fn xml_error(path: &Path, e: xml::XmlError) -> Log4jError {
    Log4jError::MalformedXml {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        // The parser quotes the file (tag names, text): short and escaped.
        message: crate::warn::excerpt_of(e.message.as_bytes(), 160),
    }
}

fn parse_doc(path: &Path, format: Format, bytes: &[u8]) -> Result<Doc, Log4jError> {
    Ok(match format {
        Format::Properties => Doc::Props(properties::Document::parse(bytes)),
        Format::Log4j2Xml => Doc::Xml(xml::Document::parse(bytes).map_err(|e| xml_error(path, e))?),
    })
}
