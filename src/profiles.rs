//! Verbosity profiles: named sets of logger levels, with what each reveals and what it costs
//! in log lines. Shipped profiles (`profiles/*.toml`) are embedded in the binary; a user's
//! own live in `$XDG_CONFIG_HOME/jira-patrol/profiles/` or a `--profiles DIR`, and win over a
//! shipped one of the same name. Every profile is validated when loaded: a level Jira would
//! silently turn into DEBUG must never reach it.
//!
//! File format:
//! ```toml
//! description = "one line"
//! reveals = "what the lines show"
//! misses = "what it cannot see (optional)"
//! [cost]
//! pat_request = 10    # lines per PAT-authenticated request
//! other_request = 2   # lines per any other request
//! note = "optional"
//! [loggers]
//! "com.atlassian.pats" = "TRACE"
//! ```

use crate::level::Level;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Shipped profiles: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("pats-trace", include_str!("../profiles/pats-trace.toml")),
    ("pats-debug", include_str!("../profiles/pats-debug.toml")),
    (
        "pats-service-trace",
        include_str!("../profiles/pats-service-trace.toml"),
    ),
    (
        "pats-filter-trace",
        include_str!("../profiles/pats-filter-trace.toml"),
    ),
];

/// A verbosity profile: which loggers to raise to which level, and what that shows and costs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    /// Its name: the file stem (`pats-trace`), letters, digits, `-` and `_`.
    pub name: String,
    /// One line for listings.
    pub description: String,
    /// What its lines show (which token, owner, failures...).
    pub reveals: String,
    /// Lines it adds per request, for forecasts.
    pub cost: Cost,
    /// What it cannot see (for the choice between profiles), when said.
    pub misses: Option<String>,
    /// Loggers and levels, in name order (a parent before its children).
    pub loggers: Vec<(String, Level)>,
    /// Where it was loaded from: shipped or a user's file.
    pub origin: Origin,
}

/// Log lines a profile adds to `atlassian-jira.log`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Lines per request authenticated with a personal access token.
    pub pat_request: u32,
    /// Lines per any other request (browser, REST with a password, anonymous).
    pub other_request: u32,
    /// A qualification of the figures, printed in parentheses after them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "≈{} lines per PAT request, ≈{} per other request",
            self.pat_request, self.other_request
        )?;
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

/// Where a profile came from; a user's file wins over a shipped profile of the same name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Shipped inside the binary.
    Builtin,
    /// A user's file.
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Why a profile could not be loaded; each message names the profile and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No profile of that name, shipped or in the profile directories.
    #[error("no profile named '{name}' (known: {})\nsee `jira-patrol profile list`", known.join(", "))]
    NotFound {
        /// The name asked for.
        name: String,
        /// Every profile name found (shipped and the user's).
        known: Vec<String>,
    },

    /// A profile file, or a directory of profiles, exists but cannot be read.
    #[error("cannot read profile {}: {cause}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why it could not be read.
        cause: std::io::Error,
    },

    /// The file is not valid TOML, or has fields a profile does not (`deny_unknown_fields`).
    #[error("profile {origin} is not valid TOML: {message}")]
    Toml {
        /// The profile, as errors name it: `'NAME' (built-in)` or its file's path.
        origin: String,
        /// The TOML parser's message and the line it points at (`(line 3)`).
        message: String,
    },

    /// A logger's level is not a log4j level name.
    #[error("profile {origin}: logger '{logger}' has unknown level '{level}'\nuse one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF (Jira would silently turn it into DEBUG)")]
    UnknownLevel {
        /// The profile, as errors name it: `'NAME' (built-in)` or its file's path.
        origin: String,
        /// The logger given that level.
        logger: String,
        /// The level as written.
        level: String,
    },

    /// The `[loggers]` table is missing or empty.
    #[error("profile {origin} lists no loggers\nadd a [loggers] table, e.g. \"com.atlassian.pats\" = \"TRACE\"")]
    NoLoggers {
        /// The profile, as errors name it: `'NAME' (built-in)` or its file's path.
        origin: String,
    },

    /// A `[loggers]` key is not a logger name.
    #[error("profile {origin}: '{logger}' is not a logger name\nuse a dotted Java package or class name such as com.atlassian.pats, or root")]
    BadLogger {
        /// The profile, as errors name it: `'NAME' (built-in)` or its file's path.
        origin: String,
        /// The key of `[loggers]` that is no dotted Java name (nor `root`).
        logger: String,
    },

    /// Anything else the profile gets wrong (empty description, bad name, a `name` that differs
    /// from the file's).
    #[error("profile {origin}: {what}")]
    Invalid {
        /// The profile, as errors name it: `'NAME' (built-in)` or its file's path.
        origin: String,
        /// What is wrong, with the fix.
        what: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    name: Option<String>,
    description: String,
    reveals: String,
    #[serde(default)]
    misses: Option<String>,
    cost: Cost,
    #[serde(default)]
    loggers: BTreeMap<String, String>,
}

/// Parse and validate one profile. `name` is the file stem (or the shipped name).
pub fn parse(name: &str, text: &str, origin: Origin) -> Result<Profile, ProfileError> {
    let o = origin.to_string();
    let o = if matches!(origin, Origin::Builtin) {
        format!("'{name}' (built-in)")
    } else {
        o
    };
    let raw: RawProfile = toml::from_str(text).map_err(|e| ProfileError::Toml {
        origin: o.clone(),
        message: e.message().to_string() + &line_of(text, e.span()),
    })?;
    if let Some(n) = &raw.name {
        if n != name {
            return Err(ProfileError::Invalid {
                origin: o,
                what: format!("name = '{n}' differs from the file name '{name}'; rename one"),
            });
        }
    }
    if !valid_profile_name(name) {
        return Err(ProfileError::Invalid {
            origin: o,
            what: format!("'{name}' is not a profile name (letters, digits, '-', '_')"),
        });
    }
    if raw.description.trim().is_empty() {
        return Err(ProfileError::Invalid {
            origin: o,
            what: "description is empty".into(),
        });
    }
    if raw.loggers.is_empty() {
        return Err(ProfileError::NoLoggers { origin: o });
    }
    let mut loggers = Vec::with_capacity(raw.loggers.len());
    for (logger, level) in raw.loggers {
        if !valid_logger_name(&logger) {
            return Err(ProfileError::BadLogger { origin: o, logger });
        }
        let lv = level
            .parse::<Level>()
            .map_err(|_| ProfileError::UnknownLevel {
                origin: o.clone(),
                logger: logger.clone(),
                level,
            })?;
        loggers.push((logger, lv));
    }
    Ok(Profile {
        name: name.to_string(),
        description: raw.description.trim().to_string(),
        reveals: raw.reveals.trim().to_string(),
        cost: raw.cost,
        misses: raw.misses.map(|m| m.trim().to_string()),
        loggers,
        origin,
    })
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

fn valid_profile_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A log4j logger name: dotted Java identifiers (`$` for inner classes), or `root`.
pub fn valid_logger_name(n: &str) -> bool {
    !n.is_empty()
        && !n.starts_with('.')
        && !n.ends_with('.')
        && !n.contains("..")
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'))
}

/// Directories searched for user profiles, highest precedence first.
fn user_dirs(extra_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = extra_dir {
        dirs.push(d.to_path_buf());
    }
    if let Ok(c) = crate::paths::config_dir() {
        dirs.push(c.join("profiles"));
    }
    dirs
}

/// Load the profile `name`: from `extra_dir`, then the user's config directory, then the
/// shipped ones. A `name` that is a path to a `.toml` file loads that file.
pub fn load(name: &str, extra_dir: Option<&Path>) -> Result<Profile, ProfileError> {
    let as_path = Path::new(name);
    if name.ends_with(".toml") || name.contains('/') {
        return load_file(as_path);
    }
    for dir in user_dirs(extra_dir) {
        let p = dir.join(format!("{name}.toml"));
        if p.is_file() {
            return load_file(&p);
        }
    }
    if let Some((n, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
        return parse(n, text, Origin::Builtin);
    }
    let known = list(extra_dir)
        .map(|ps| ps.into_iter().map(|p| p.name).collect())
        .unwrap_or_else(|_| BUILTIN.iter().map(|(n, _)| n.to_string()).collect());
    Err(ProfileError::NotFound {
        name: name.to_string(),
        known,
    })
}

fn load_file(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|cause| ProfileError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    parse(stem, &text, Origin::File(path.to_path_buf()))
}

/// Every profile, by name; a user's file replaces a shipped profile of the same name.
/// An invalid user file is an error (naming the file), not silently skipped.
pub fn list(extra_dir: Option<&Path>) -> Result<Vec<Profile>, ProfileError> {
    let mut by_name: BTreeMap<String, Profile> = BTreeMap::new();
    for (n, text) in BUILTIN {
        by_name.insert(n.to_string(), parse(n, text, Origin::Builtin)?);
    }
    // Lowest precedence first so higher ones overwrite.
    for dir in user_dirs(extra_dir).into_iter().rev() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(cause) => return Err(ProfileError::Io { path: dir, cause }),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        for p in files {
            let prof = load_file(&p)?;
            by_name.insert(prof.name.clone(), prof);
        }
    }
    Ok(by_name.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_load_and_state_loggers_reveals_and_cost() {
        for (n, text) in BUILTIN {
            let p = parse(n, text, Origin::Builtin).unwrap();
            assert!(!p.loggers.is_empty() && !p.reveals.is_empty(), "{n}");
        }
        let t = parse("pats-trace", BUILTIN[0].1, Origin::Builtin).unwrap();
        assert_eq!(
            t.loggers,
            vec![("com.atlassian.pats".to_string(), Level::Trace)]
        );
        assert_eq!((t.cost.pat_request, t.cost.other_request), (10, 2));
        let f = parse("pats-filter-trace", BUILTIN[3].1, Origin::Builtin).unwrap();
        assert_eq!(f.loggers[0].0, "com.atlassian.pats.web.filter");
        assert!(f.reveals.contains("Auth SUCCESS"));
        // A hash mismatch logs no DEBUG line: the DEBUG profile must not promise failures.
        let d = parse("pats-debug", BUILTIN[1].1, Origin::Builtin).unwrap();
        assert_eq!(d.loggers[0].1, Level::Debug);
        assert!(d.reveals.contains("No failures"), "{}", d.reveals);
        assert!(!d.reveals.contains("Failed hash checks log"));
    }

    const GOOD: &str = "description = \"d\"\nreveals = \"r\"\n[cost]\npat_request = 1\nother_request = 0\n[loggers]\n\"com.x\" = \"trace\"\n";

    #[test]
    fn levels_are_case_insensitive_but_unknown_levels_are_refused() {
        let p = parse("mine", GOOD, Origin::Builtin).unwrap();
        assert_eq!(p.loggers[0].1, Level::Trace);
        let bad = GOOD.replace("\"trace\"", "\"VERBOSE\"");
        let e = parse("mine", &bad, Origin::File("/p/mine.toml".into())).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, ProfileError::UnknownLevel { .. }));
        assert!(
            msg.contains("/p/mine.toml") && msg.contains("com.x") && msg.contains("VERBOSE"),
            "{msg}"
        );
    }

    #[test]
    fn an_empty_logger_list_is_refused() {
        let bad = GOOD.replace("\"com.x\" = \"trace\"\n", "");
        assert!(matches!(
            parse("mine", &bad, Origin::Builtin),
            Err(ProfileError::NoLoggers { .. })
        ));
    }

    #[test]
    fn bad_toml_names_the_line() {
        let bad = GOOD.replace("pat_request = 1", "pat_request = ");
        let e = parse("mine", &bad, Origin::File("x.toml".into())).unwrap_err();
        assert!(matches!(e, ProfileError::Toml { .. }));
        assert!(e.to_string().contains("line 4"), "{e}");
        let e = parse("mine", &GOOD.replace("reveals", "revaels"), Origin::Builtin).unwrap_err();
        assert!(e.to_string().contains("revaels"), "{e}");
    }

    #[test]
    fn bad_logger_names_are_refused() {
        let bad = GOOD.replace("\"com.x\"", "\"com x\"");
        assert!(matches!(
            parse("mine", &bad, Origin::Builtin),
            Err(ProfileError::BadLogger { .. })
        ));
        assert!(valid_logger_name(
            "com.atlassian.pats.web.filter.LastAccessedTimeBatcher$TokenBatch"
        ));
        assert!(!valid_logger_name("com..x"));
    }

    #[test]
    fn a_user_profile_overrides_a_shipped_one_and_unknown_names_list_the_known() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("pats-trace.toml"), GOOD).unwrap();
        std::fs::write(d.path().join("narrow.toml"), GOOD).unwrap();
        let p = load("pats-trace", Some(d.path())).unwrap();
        assert_eq!(p.loggers[0].0, "com.x");
        assert!(matches!(p.origin, Origin::File(_)));
        let all = list(Some(d.path())).unwrap();
        let names: Vec<_> = all.iter().map(|p| p.name.as_str()).collect();
        assert!(
            names.contains(&"narrow") && names.contains(&"pats-debug"),
            "{names:?}"
        );
        let e = load("nope", Some(d.path())).unwrap_err();
        assert!(e.to_string().contains("narrow") && e.to_string().contains("pats-trace"));
    }
}
