//! File appenders and their rotation: reading them from either format (with log4j's own
//! defaults where a value is absent or invalid), changing maximum size and backup count
//! in place, and planning a rotation that keeps a given number of hours of log.

use super::properties::{self, Document as Props};
use super::size::{self, SizeStyle};
use super::xml::{self, Document as Xml};
use super::{Appender, Doc, Log4jError, Splice};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

const MAIN_LOG: &str = "atlassian-jira.log";

fn is_main_file(file: &str) -> bool {
    file.trim()
        .rsplit(['/', '\\'])
        .next()
        .is_some_and(|base| base == MAIN_LOG)
}

/// A log4j 1.x appender and the entries that configure it.
struct PropsAppender {
    name: String,
    class: String,
    file: Option<usize>,
    size: Option<usize>,
    backups: Option<usize>,
}

/// The appenders in file order, found in two passes over the entries with an index by
/// name (linear, whatever the number of appenders).
fn props_appenders(d: &Props) -> Vec<PropsAppender> {
    let mut out: Vec<PropsAppender> = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (_, p) in d.pairs() {
        if let Some(rest) = p.key.strip_prefix("log4j.appender.") {
            if !rest.contains('.') && !rest.is_empty() {
                match by_name.get(rest) {
                    Some(&i) => out[i].class = p.value.trim().to_string(),
                    None => {
                        by_name.insert(rest, out.len());
                        out.push(PropsAppender {
                            name: rest.to_string(),
                            class: p.value.trim().to_string(),
                            file: None,
                            size: None,
                            backups: None,
                        });
                    }
                }
            }
        }
    }
    for (i, p) in d.pairs() {
        let Some(rest) = p.key.strip_prefix("log4j.appender.") else {
            continue;
        };
        let Some((name, opt)) = rest.split_once('.') else {
            continue;
        };
        let Some(a) = by_name.get(name).map(|&k| &mut out[k]) else {
            continue;
        };
        // log4j 1.x sets bean properties; `MaxFileSize` and `maxFileSize` both work.
        match opt {
            "File" | "file" => a.file = Some(i),
            "MaxFileSize" | "maxFileSize" => a.size = Some(i),
            "MaxBackupIndex" | "maxBackupIndex" => a.backups = Some(i),
            _ => {}
        }
    }
    out
}

fn props_rolling(a: &PropsAppender) -> bool {
    !a.class.contains("DailyRolling")
        && (a.class.contains("Rolling")
            || a.class.contains("JiraHomeAppender")
            || a.size.is_some()
            || a.backups.is_some())
}

fn props_value(d: &Props, idx: Option<usize>) -> Option<String> {
    idx.and_then(|i| d.pair(i))
        .map(|p| p.value.trim().to_string())
}

fn props_to_appender(d: &Props, a: &PropsAppender) -> Option<Appender> {
    let file = props_value(d, a.file)?;
    let rolling = props_rolling(a);
    let raw = props_value(d, a.size);
    let (max_size_bytes, backups) = if rolling {
        let size = raw
            .as_deref()
            .and_then(size::parse_log4j1)
            .unwrap_or(size::LOG4J1_DEFAULT_SIZE);
        let backups = props_value(d, a.backups)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(size::LOG4J1_DEFAULT_BACKUPS);
        (Some(size), Some(backups))
    } else {
        (None, None)
    };
    Some(Appender {
        name: a.name.clone(),
        is_main: is_main_file(&file),
        file,
        max_size_bytes,
        max_size_raw: raw,
        backups,
    })
}

/// A log4j2 appender element and the elements that configure its rotation.
struct XmlAppender {
    idx: usize,
    name: String,
    file: String,
    rolling: bool,
    policies: Option<usize>,
    size_policy: Option<usize>,
    strategy: Option<usize>,
}

fn xml_section(d: &Xml, name: &str) -> Option<usize> {
    let root = d.root?;
    d.child(root, name)
}

fn xml_appenders(d: &Xml) -> Vec<XmlAppender> {
    let Some(apps) = xml_section(d, "Appenders") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, e) in d.children(apps) {
        let Some(file) = e.attr("fileName") else {
            continue;
        };
        let policies = d.child(i, "Policies");
        let size_policy = d
            .descendants(i)
            .into_iter()
            .find(|&c| d.elements[c].is("SizeBasedTriggeringPolicy"));
        let strategy = d.children(i).find_map(|(c, e)| {
            (e.name.ends_with("RolloverStrategy") || e.is("Strategy")).then_some(c)
        });
        let rolling = e.attr("filePattern").is_some()
            || e.name.contains("Rolling")
            || e.name.contains("JiraHomeAppender");
        out.push(XmlAppender {
            idx: i,
            name: e.attr("name").map(|a| a.value.clone()).unwrap_or_default(),
            file: file.value.clone(),
            rolling,
            policies,
            size_policy,
            strategy,
        });
    }
    out
}

fn xml_to_appender(d: &Xml, a: &XmlAppender) -> Appender {
    let raw = a
        .size_policy
        .and_then(|p| d.elements[p].attr("size"))
        .map(|s| s.value.clone());
    let max_size_bytes = match (a.rolling, a.size_policy) {
        (true, Some(_)) => Some(
            raw.as_deref()
                .and_then(size::parse_log4j2)
                .unwrap_or(size::LOG4J2_DEFAULT_SIZE),
        ),
        _ => None,
    };
    let backups = if !a.rolling {
        None
    } else {
        match a.strategy.map(|s| &d.elements[s]) {
            Some(s) if s.is("DefaultRolloverStrategy") => {
                let nomax = s
                    .attr("fileIndex")
                    .is_some_and(|f| f.value.eq_ignore_ascii_case("nomax"));
                if nomax {
                    None
                } else {
                    Some(
                        s.attr("max")
                            .and_then(|m| m.value.trim().parse::<u32>().ok())
                            .unwrap_or(size::LOG4J2_DEFAULT_BACKUPS),
                    )
                }
            }
            Some(_) => None,
            None => Some(size::LOG4J2_DEFAULT_BACKUPS),
        }
    };
    Appender {
        name: a.name.clone(),
        is_main: is_main_file(&a.file),
        file: a.file.clone(),
        max_size_bytes,
        max_size_raw: raw,
        backups,
    }
}

pub(crate) fn appenders(doc: &Doc) -> Vec<Appender> {
    match doc {
        Doc::Props(d) => props_appenders(d)
            .iter()
            .filter_map(|a| props_to_appender(d, a))
            .collect(),
        Doc::Xml(d) => xml_appenders(d)
            .iter()
            .map(|a| xml_to_appender(d, a))
            .collect(),
    }
}

pub(crate) fn pick(
    path: &Path,
    all: &[Appender],
    name: Option<&str>,
) -> Result<Appender, Log4jError> {
    let names = || all.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    match name {
        Some(n) => {
            all.iter()
                .find(|a| a.name == n)
                .cloned()
                .ok_or_else(|| Log4jError::AppenderNotFound {
                    path: path.into(),
                    name: n.into(),
                    present: names(),
                })
        }
        None => {
            let mains: Vec<&Appender> = all.iter().filter(|a| a.is_main).collect();
            match mains.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Log4jError::NoMainAppender {
                    path: path.into(),
                    present: names(),
                }),
                many => Err(Log4jError::SharedFile {
                    path: path.into(),
                    file: MAIN_LOG.into(),
                    appenders: many.iter().map(|a| a.name.clone()).collect(),
                }),
            }
        }
    }
}

fn same_file(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

/// Names listed in a note at most; the rest are counted.
const NAMES_SHOWN: usize = 5;

/// `a, b, c and 17 more`.
pub(crate) fn name_list<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = names.len();
    let mut out: Vec<String> = names
        .take(NAMES_SHOWN)
        .map(|s| crate::warn::excerpt(s.as_bytes()))
        .collect();
    if n > NAMES_SHOWN {
        out.push(format!("{} more", n - NAMES_SHOWN));
    }
    match out.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => out.join(""),
    }
}

/// Appenders by the file they write (trimmed), to find those sharing one in one pass.
fn by_file<'a>(all: impl Iterator<Item = &'a Appender>) -> HashMap<&'a str, Vec<&'a str>> {
    let mut m: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in all {
        m.entry(a.file.trim()).or_default().push(&a.name);
    }
    m
}

fn shared_note(files: &HashMap<&str, Vec<&str>>, a: &Appender) -> Option<String> {
    let others: Vec<&str> = files
        .get(a.file.trim())
        .into_iter()
        .flatten()
        .copied()
        .filter(|n| *n != a.name)
        .collect();
    (!others.is_empty()).then(|| format!("same file as {}", name_list(others.into_iter())))
}

/// Why log4j would not use a value of `a` as written.
pub(crate) fn notes(doc: &Doc, a: &Appender) -> Vec<String> {
    let all = appenders(doc);
    let files = by_file(all.iter());
    let mut out: Vec<String> = shared_note(&files, a).into_iter().collect();
    match doc {
        Doc::Props(d) => {
            if let Some(pa) = props_appenders(d).into_iter().find(|p| p.name == a.name) {
                props_notes(d, &pa, a, &mut out);
            }
        }
        Doc::Xml(d) => {
            if let Some(xa) = xml_appenders(d).into_iter().find(|x| x.name == a.name) {
                xml_notes(d, &xa, a, &mut out);
            }
        }
    }
    out
}

/// Every file appender with its notes, in one pass over the document: what `rotation
/// show` lists (linear in the number of appenders, not quadratic).
pub(crate) fn appenders_with_notes(doc: &Doc) -> Vec<(Appender, Vec<String>)> {
    match doc {
        Doc::Props(d) => {
            let found: Vec<(Appender, PropsAppender)> = props_appenders(d)
                .into_iter()
                .filter_map(|pa| props_to_appender(d, &pa).map(|a| (a, pa)))
                .collect();
            let files = by_file(found.iter().map(|(a, _)| a));
            found
                .iter()
                .map(|(a, pa)| {
                    let mut notes: Vec<String> = shared_note(&files, a).into_iter().collect();
                    props_notes(d, pa, a, &mut notes);
                    (a.clone(), notes)
                })
                .collect()
        }
        Doc::Xml(d) => {
            let found: Vec<(Appender, XmlAppender)> = xml_appenders(d)
                .into_iter()
                .map(|xa| (xml_to_appender(d, &xa), xa))
                .collect();
            // `notes` of one appender looks up the first element of its name.
            let mut first: HashMap<&str, usize> = HashMap::new();
            for (i, (a, _)) in found.iter().enumerate() {
                first.entry(a.name.as_str()).or_insert(i);
            }
            let files = by_file(found.iter().map(|(a, _)| a));
            found
                .iter()
                .map(|(a, _)| {
                    let mut notes: Vec<String> = shared_note(&files, a).into_iter().collect();
                    let (_, xa) = &found[first[a.name.as_str()]];
                    xml_notes(d, xa, a, &mut notes);
                    (a.clone(), notes)
                })
                .collect()
        }
    }
}

fn props_notes(d: &Props, pa: &PropsAppender, a: &Appender, out: &mut Vec<String>) {
    if !props_rolling(pa) {
        out.push(format!(
            "does not rotate by size ({})",
            crate::warn::excerpt(pa.class.as_bytes())
        ));
        return;
    }
    match &a.max_size_raw {
        Some(raw) if size::parse_log4j1(raw).is_none() => out.push(format!(
            "MaxFileSize '{}' is ignored by log4j (default applies: 10MB)",
            crate::warn::excerpt(raw.as_bytes())
        )),
        None => out.push("no MaxFileSize: log4j default 10MB applies".into()),
        _ => {}
    }
    match props_value(d, pa.backups) {
        Some(v) if v.parse::<u32>().is_err() => out.push(format!(
            "MaxBackupIndex '{}' is ignored by log4j (default applies: 1)",
            crate::warn::excerpt(v.as_bytes())
        )),
        None => out.push("no MaxBackupIndex: log4j default 1 applies".into()),
        _ => {}
    }
}

fn xml_notes(d: &Xml, xa: &XmlAppender, a: &Appender, out: &mut Vec<String>) {
    if !xa.rolling {
        out.push("does not rotate".into());
        return;
    }
    match (&a.max_size_raw, xa.size_policy) {
        (_, None) => out.push("no SizeBasedTriggeringPolicy: does not rotate by size".into()),
        (Some(raw), _) if size::parse_log4j2(raw).is_none() => out.push(format!(
            "size '{}' is ignored by log4j2 (default applies: 10MB)",
            crate::warn::excerpt(raw.as_bytes())
        )),
        (None, Some(_)) => out.push("no size: log4j2 default 10MB applies".into()),
        _ => {}
    }
    match xa.strategy.map(|s| &d.elements[s]) {
        None => out.push("no DefaultRolloverStrategy: log4j2 keeps 7".into()),
        Some(s) if !s.is("DefaultRolloverStrategy") => out.push(format!(
            "{} is not supported",
            crate::warn::excerpt(s.name.as_bytes())
        )),
        Some(_) if a.backups.is_none() => {
            out.push("fileIndex=\"nomax\": no limit on backups".into())
        }
        Some(s) if s.attr("max").is_none() => {
            out.push("DefaultRolloverStrategy has no max: log4j2 keeps 7".into())
        }
        _ => {}
    }
}

pub(crate) fn monitor_interval(d: &Xml) -> Option<u64> {
    d.root()?
        .attr("monitorInterval")?
        .value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|&s| s > 0)
}

/// The splices that give `target` the requested size and count, and a line per change.
pub(crate) fn set(
    path: &Path,
    doc: &Doc,
    target: &Appender,
    max_size: Option<u64>,
    backups: Option<u32>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    let shared: Vec<String> = appenders(doc)
        .into_iter()
        .filter(|o| same_file(&o.file, &target.file))
        .map(|o| o.name)
        .collect();
    if shared.len() > 1 {
        return Err(Log4jError::SharedFile {
            path: path.into(),
            file: target.file.clone(),
            appenders: shared,
        });
    }
    match doc {
        Doc::Props(d) => set_props(d, target, max_size, backups),
        Doc::Xml(d) => set_xml(path, d, target, max_size, backups),
    }
}

fn set_props(
    d: &Props,
    target: &Appender,
    max_size: Option<u64>,
    backups: Option<u32>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    let a = props_appenders(d)
        .into_iter()
        .find(|a| a.name == target.name)
        .expect("picked from the same document");
    if !props_rolling(&a) {
        return Err(Log4jError::NotRotating {
            name: a.name,
            why: format!("class {}", a.class),
        });
    }
    let file_idx = a.file.expect("file appenders have a File entry");
    let sep = d.sep_of(file_idx).unwrap_or_else(|| "=".into());
    let key = |opt: &str| properties::escape_key(&format!("log4j.appender.{}.{opt}", a.name));
    let mut splices = Vec::new();
    let mut changes = Vec::new();
    let mut new_lines = Vec::new();
    if let Some(n) = max_size {
        let raw = props_value(d, a.size);
        let style = raw
            .as_deref()
            .map(SizeStyle::of)
            .unwrap_or_else(SizeStyle::jira_default);
        let text = style.format(n, true);
        match (a.size, raw) {
            (Some(i), Some(raw)) => {
                if size::parse_log4j1(&raw) != Some(n) {
                    splices.push(d.set_value(i, &text).expect("a pair"));
                    changes.push(format!("MaxFileSize: {raw} -> {text}"));
                }
            }
            _ => {
                new_lines.push(format!("{}{sep}{text}", key("MaxFileSize")));
                changes.push(format!("MaxFileSize: (absent, 10MB) -> {text}"));
            }
        }
    }
    let size_lines_after_file = !new_lines.is_empty();
    if let Some(n) = backups {
        let text = n.to_string();
        match (a.backups, props_value(d, a.backups)) {
            (Some(i), Some(raw)) => {
                if raw.parse::<u32>().ok() != Some(n) {
                    splices.push(d.set_value(i, &text).expect("a pair"));
                    changes.push(format!("MaxBackupIndex: {raw} -> {text}"));
                }
            }
            _ => {
                let line = format!("{}{sep}{text}", key("MaxBackupIndex"));
                changes.push(format!("MaxBackupIndex: (absent, 1) -> {text}"));
                match a.size {
                    Some(i) if !size_lines_after_file => {
                        splices.push(d.insert_after(i, &[line], false))
                    }
                    _ => new_lines.push(line),
                }
            }
        }
    }
    if !new_lines.is_empty() {
        splices.push(d.insert_after(file_idx, &new_lines, false));
    }
    Ok((splices, changes))
}

fn set_xml(
    path: &Path,
    d: &Xml,
    target: &Appender,
    max_size: Option<u64>,
    backups: Option<u32>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    let a = xml_appenders(d)
        .into_iter()
        .find(|a| a.name == target.name)
        .expect("picked from the same document");
    let el = &d.elements[a.idx];
    if !a.rolling {
        return Err(Log4jError::NotRotating {
            name: a.name,
            why: format!("<{}> has no filePattern", el.name),
        });
    }
    let structure = |what: String| Log4jError::Structure {
        path: path.into(),
        what,
    };
    let q = d.quote() as char;
    let unit = d.indent_unit();
    let mut splices = Vec::new();
    let mut changes = Vec::new();
    if let Some(n) = max_size {
        match a.size_policy {
            Some(p) => {
                let raw = d.elements[p].attr("size").map(|s| s.value.clone());
                let style = raw
                    .as_deref()
                    .map(SizeStyle::of)
                    .unwrap_or_else(SizeStyle::jira_default);
                let text = style.format(n, false);
                if raw.as_deref().and_then(size::parse_log4j2) != Some(n) {
                    splices.push(d.set_attr(p, "size", &text));
                    changes.push(format!(
                        "SizeBasedTriggeringPolicy size: {} -> {text}",
                        raw.as_deref().unwrap_or("(absent, 10MB)")
                    ));
                }
            }
            None => {
                let text = SizeStyle::jira_default().format(n, false);
                let policy = format!(
                    "<SizeBasedTriggeringPolicy size={q}{}{q}/>",
                    xml::escape(&text, q as u8)
                );
                let splice = match a.policies {
                    Some(p) => d.append_child(p, &policy),
                    None => {
                        d.append_child(a.idx, &format!("<Policies>\n{unit}{policy}\n</Policies>"))
                    }
                };
                splices.push(splice.ok_or_else(|| {
                    structure(format!("<{}> has no children to add a policy to", el.name))
                })?);
                changes.push(format!(
                    "SizeBasedTriggeringPolicy size: (absent) -> {text}"
                ));
            }
        }
    }
    if let Some(n) = backups {
        let text = n.to_string();
        match a.strategy {
            Some(s) if !d.elements[s].is("DefaultRolloverStrategy") => {
                return Err(structure(format!(
                    "appender '{}' uses <{}>; only DefaultRolloverStrategy is supported",
                    a.name, d.elements[s].name
                )));
            }
            Some(s) => {
                let raw = d.elements[s].attr("max").map(|m| m.value.clone());
                if raw.as_deref().and_then(|r| r.trim().parse::<u32>().ok()) != Some(n) {
                    splices.push(d.set_attr(s, "max", &text));
                    changes.push(format!(
                        "DefaultRolloverStrategy max: {} -> {text}",
                        raw.as_deref().unwrap_or("(absent, 7)")
                    ));
                }
            }
            None => {
                let s = format!("<DefaultRolloverStrategy max={q}{text}{q}/>");
                splices.push(d.append_child(a.idx, &s).ok_or_else(|| {
                    structure(format!(
                        "<{}> has no children to add a strategy to",
                        el.name
                    ))
                })?);
                changes.push(format!(
                    "DefaultRolloverStrategy max: (absent, 7) -> {text}"
                ));
            }
        }
    }
    Ok((splices, changes))
}

/// A rotation that keeps the hours asked for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// Size at which a file rotates, in bytes.
    pub max_size_bytes: u64,
    /// Rotated files kept (log4j 1.x `MaxBackupIndex`, log4j2 `DefaultRolloverStrategy max`).
    pub backups: u32,
    /// Worst case on disk: every backup plus a full current file.
    pub disk_bytes: u64,
    /// The current rotation already keeps what is asked.
    pub holds_now: bool,
    /// The `jira-patrol rotation set ...` line that applies this plan.
    pub command: String,
    /// Bytes of log the retention wish amounts to.
    pub needed_bytes: u64,
    /// Bytes the current rotation is sure to keep (its full backups), when known.
    pub current_keeps_bytes: Option<u64>,
}

/// More backups than this make each rollover slow (log4j renames every file), so the
/// plan grows the file size instead.
const PLAN_MAX_BACKUPS: u64 = 20;

/// Plan a rotation that keeps `keep` of log written at `bytes_per_hour`. Only full
/// backups count as kept (the current file may have just rotated); a plan never lowers
/// the current size or count.
pub fn plan(bytes_per_hour: u64, keep: Duration, current: Option<&Appender>) -> Plan {
    let needed = (bytes_per_hour as u128 * keep.as_secs() as u128).div_ceil(3600);
    plan_bytes(needed.min(u64::MAX as u128) as u64, current)
}

/// Plan a rotation whose full backups hold `needed` bytes of log.
pub fn plan_bytes(needed: u64, current: Option<&Appender>) -> Plan {
    const MB: u64 = 1024 * 1024;
    let cur_size = current.and_then(|a| a.max_size_bytes);
    let cur_backups = current.and_then(|a| a.backups);
    let current_keeps = match (cur_size, cur_backups) {
        (Some(s), Some(b)) => Some(s.saturating_mul(b as u64)),
        _ => None,
    };
    let holds_now = current_keeps.is_some_and(|k| k >= needed);
    let (max_size, backups) = if holds_now {
        (cur_size.unwrap_or(20 * MB), cur_backups.unwrap_or(1))
    } else {
        let floor = cur_size.unwrap_or(0);
        let ladder = [20, 50, 100, 200, 500, 1024, 2048, 5120, 10240, 20480, 51200].map(|m| m * MB);
        let candidates = std::iter::once(floor)
            .filter(|&s| s > 0)
            .chain(ladder.into_iter().filter(|&s| s > floor));
        let mut choice = None;
        for s in candidates {
            if needed.div_ceil(s) <= PLAN_MAX_BACKUPS {
                choice = Some(s);
                break;
            }
        }
        let s = choice.unwrap_or_else(|| {
            needed
                .div_ceil(PLAN_MAX_BACKUPS)
                .div_ceil(MB)
                .saturating_mul(MB)
                .min(size::MAX_SIZE)
        });
        let n = needed
            .div_ceil(s)
            .max(cur_backups.unwrap_or(0) as u64)
            .clamp(1, size::MAX_BACKUPS as u64) as u32;
        (s, n)
    };
    let mut command = format!(
        "jira-patrol rotation set --max-size {} --backups {backups}",
        size::human_exact(max_size)
    );
    if let Some(a) = current.filter(|a| !a.is_main) {
        command.push_str(&format!(" --appender {}", a.name));
    }
    Plan {
        max_size_bytes: max_size,
        backups,
        disk_bytes: max_size.saturating_mul(backups as u64 + 1),
        holds_now,
        command,
        needed_bytes: needed,
        current_keeps_bytes: current_keeps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const MB: u64 = 1024 * 1024;

    fn main(size: u64, backups: u32) -> Appender {
        Appender {
            name: "filelog".into(),
            file: "atlassian-jira.log".into(),
            max_size_bytes: Some(size),
            max_size_raw: Some(format!("{}KB", size / 1024)),
            backups: Some(backups),
            is_main: true,
        }
    }

    #[test]
    fn stock_rotation_holds_a_quiet_instance() {
        // 20MB x 10 keeps 200MB; 1MB/h for 3 days is 72MB.
        let p = plan(MB, Duration::from_secs(3 * 86400), Some(&main(20 * MB, 10)));
        assert!(p.holds_now);
        assert_eq!((p.max_size_bytes, p.backups), (20 * MB, 10));
        assert_eq!(p.disk_bytes, 220 * MB);
    }

    #[test]
    fn busy_instance_gets_bigger_files_and_never_less_than_now() {
        // 50MB/h for 3 days = 3600MB: 20MB would need 180 files, 200MB needs 18.
        let p = plan(
            50 * MB,
            Duration::from_secs(3 * 86400),
            Some(&main(20 * MB, 10)),
        );
        assert!(!p.holds_now);
        assert_eq!(p.needed_bytes, 3600 * MB);
        assert_eq!((p.max_size_bytes, p.backups), (200 * MB, 18));
        assert!(p.max_size_bytes * p.backups as u64 >= p.needed_bytes);
        assert_eq!(
            p.command,
            "jira-patrol rotation set --max-size 200MB --backups 18"
        );
        assert_eq!(p.disk_bytes, 200 * MB * 19);
        let q = plan(MB, Duration::from_secs(3600), Some(&main(20 * MB, 30)));
        assert!(q.holds_now);
        let r = plan(10 * MB, Duration::from_secs(86400), Some(&main(5 * MB, 30)));
        assert!(!r.holds_now);
        assert!(r.backups >= 30 && r.max_size_bytes >= 5 * MB);
        assert!(r.max_size_bytes * r.backups as u64 >= r.needed_bytes);
    }

    #[test]
    fn without_a_current_appender_and_for_a_named_one() {
        let p = plan(2 * MB, Duration::from_secs(7 * 86400), None);
        assert!(!p.holds_now);
        assert!(p.max_size_bytes * p.backups as u64 >= p.needed_bytes);
        let mut a = main(20 * MB, 5);
        a.is_main = false;
        a.name = "sqllog".into();
        let p = plan(100 * MB, Duration::from_secs(86400), Some(&a));
        assert!(p.command.ends_with("--appender sqllog"), "{}", p.command);
        let huge = plan(u64::MAX / 2, Duration::from_secs(86400 * 365), None);
        assert!(huge.backups <= size::MAX_BACKUPS);
    }
}
