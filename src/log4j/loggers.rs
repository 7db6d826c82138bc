//! Permanent logger declarations: `log4j.logger.X = LEVEL, appender` plus
//! `log4j.additivity.X = false` (log4j 1.x) or `<Logger name="X" level="LEVEL"
//! additivity="false"><AppenderRef ref="..."/></Logger>` (log4j2), attached to the appender
//! Jira's own package loggers use. Declaring and then removing a logger gives back the
//! original bytes.

use super::properties::{self, Document as Props, Kind};
use super::xml::{self, Document as Xml};
use super::{Config, Doc, Log4jError, Splice};
use crate::level::Level;

fn check_name(logger: &str) -> Result<(), Log4jError> {
    let ok = !logger.is_empty()
        && !logger.starts_with('.')
        && !logger.ends_with('.')
        && logger
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'));
    if !ok {
        return Err(Log4jError::InvalidValue(format!(
            "invalid logger name '{logger}': use a Java package or class name such as com.atlassian.pats"
        )));
    }
    if logger.eq_ignore_ascii_case("root") || logger == "rootLogger" {
        return Err(Log4jError::InvalidValue(
            "the root logger is not changed by this command: name a package such as com.atlassian.pats"
                .into(),
        ));
    }
    Ok(())
}

/// `a.b.c` -> `a.b`, `a`.
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    let mut cur = name;
    std::iter::from_fn(move || {
        let (parent, _) = cur.rsplit_once('.')?;
        cur = parent;
        Some(parent)
    })
}

/// Loggers whose appenders a new Jira logger should share, best first.
fn reference_names(logger: &str) -> Vec<&str> {
    let mut v: Vec<&str> = ancestors(logger).collect();
    v.extend(["com.atlassian.jira", "com.atlassian"]);
    v
}

pub(crate) fn declared_level(doc: &Doc, logger: &str) -> Option<String> {
    match doc {
        Doc::Props(d) => {
            let i = props_logger(d, logger)?;
            let v = &d.pair(i)?.value;
            let level = v.split(',').next()?.trim();
            (!level.is_empty()).then(|| level.to_string())
        }
        Doc::Xml(d) => xml_loggers(d, logger)
            .last()
            .and_then(|&i| d.elements[i].attr("level"))
            .map(|a| a.value.clone()),
    }
}

pub(crate) fn persist(
    cfg: &Config,
    logger: &str,
    level: Level,
    appender: Option<&str>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    check_name(logger)?;
    match cfg.doc() {
        Doc::Props(d) => persist_props(cfg, d, logger, level, appender),
        Doc::Xml(d) => persist_xml(cfg, d, logger, level, appender),
    }
}

pub(crate) fn unpersist(
    cfg: &Config,
    logger: &str,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    check_name(logger)?;
    match cfg.doc() {
        Doc::Props(d) => Ok(unpersist_props(d, logger)),
        Doc::Xml(d) => {
            let found = xml_loggers(d, logger);
            let changes = found
                .iter()
                .map(|&i| {
                    format!(
                        "removed <{} name=\"{logger}\"> (line {})",
                        d.elements[i].name,
                        line_of(&d.raw, d.elements[i].start.start)
                    )
                })
                .collect();
            Ok((found.into_iter().map(|i| d.remove(i)).collect(), changes))
        }
    }
}

fn line_of(raw: &[u8], pos: usize) -> usize {
    raw[..pos].iter().filter(|&&b| b == b'\n').count() + 1
}

// ---------- log4j 1.x ----------

fn logger_keys(logger: &str) -> [String; 2] {
    [
        format!("log4j.logger.{logger}"),
        format!("log4j.category.{logger}"),
    ]
}

fn props_logger(d: &Props, logger: &str) -> Option<usize> {
    let keys = logger_keys(logger);
    d.pairs()
        .filter(|(_, p)| keys.contains(&p.key))
        .map(|(i, _)| i)
        .last()
}

/// The appenders a logger declaration names (after its level).
fn props_refs(value: &str) -> Vec<String> {
    value
        .split(',')
        .skip(1)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn props_appender_names(d: &Props) -> Vec<String> {
    d.pairs()
        .filter_map(|(_, p)| p.key.strip_prefix("log4j.appender."))
        .filter(|r| !r.contains('.') && !r.is_empty())
        .map(str::to_string)
        .collect()
}

fn persist_props(
    cfg: &Config,
    d: &Props,
    logger: &str,
    level: Level,
    appender: Option<&str>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    if let Some(a) = appender {
        let present = props_appender_names(d);
        if !present.iter().any(|p| p == a) {
            return Err(Log4jError::AppenderNotFound {
                path: cfg.path().into(),
                name: a.into(),
                present,
            });
        }
    }
    let additivity_key = format!("log4j.additivity.{logger}");
    let mut splices = Vec::new();
    let mut changes = Vec::new();
    if let Some(i) = props_logger(d, logger) {
        let p = d.pair(i).expect("a pair");
        let raw = &d.raw[p.value_span.clone()];
        let refs = props_refs(&p.value);
        if appender.is_some_and(|a| refs.len() != 1 || refs[0] != a) {
            let a = appender.expect("checked");
            let text = format!("{level}, {a}");
            splices.push(d.set_value(i, &text).expect("a pair"));
            changes.push(format!("{}: {} -> {text}", p.key, p.value));
        } else {
            // Only the level token (before the first comma) changes.
            let token_end = raw.iter().position(|&b| b == b',').unwrap_or(raw.len());
            let lead = raw[..token_end]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let trail = raw[..token_end]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let old =
                String::from_utf8_lossy(&raw[lead..token_end.saturating_sub(trail).max(lead)]);
            if !old.eq_ignore_ascii_case(level.as_str()) {
                let start = p.value_span.start + lead;
                let end = (p.value_span.start + token_end - trail).max(start);
                splices.push(Splice::new(start..end, level.as_str()));
                let was = if old.is_empty() {
                    "(inherited)".into()
                } else {
                    old.into_owned()
                };
                changes.push(format!("{}: level {was} -> {level}", p.key));
            }
        }
        let names_appenders = appender.is_some() || !refs.is_empty();
        if names_appenders {
            let sep = d.sep_of(i).unwrap_or_else(|| " = ".into());
            match d.find(&additivity_key) {
                Some(j) => {
                    let v = d.pair(j).expect("a pair").value.trim().to_string();
                    if !v.eq_ignore_ascii_case("false") {
                        splices.push(d.set_value(j, "false").expect("a pair"));
                        changes.push(format!(
                            "{additivity_key}: {v} -> false (else every line is logged twice)"
                        ));
                    }
                }
                None => {
                    let line = format!("{}{sep}false", properties::escape_key(&additivity_key));
                    splices.push(d.insert_after(i, std::slice::from_ref(&line), false));
                    changes.push(format!("added {line}"));
                }
            }
        }
        return Ok((splices, changes));
    }

    // A new declaration, placed after the closest related logger block.
    let mut reference = None;
    for r in reference_names(logger) {
        if let Some(i) = props_logger(d, r) {
            let refs = props_refs(&d.pair(i).expect("a pair").value);
            if !refs.is_empty() {
                reference = Some((i, r.to_string(), refs));
                break;
            }
        }
    }
    let refs = match (appender, &reference) {
        (Some(a), _) => vec![a.to_string()],
        (None, Some((_, _, refs))) => refs.clone(),
        (None, None) => vec![cfg.appender(None)?.name],
    };
    let sep = reference
        .as_ref()
        .and_then(|(i, _, _)| d.sep_of(*i))
        .unwrap_or_else(|| " = ".into());
    let lines = vec![
        format!(
            "{}{sep}{level}, {}",
            properties::escape_key(&format!("log4j.logger.{logger}")),
            refs.join(", ")
        ),
        format!("{}{sep}false", properties::escape_key(&additivity_key)),
    ];
    // After the reference's block (its logger line and an additivity line right after),
    // or after the last logger line, or at the end.
    let block_end = |i: usize, name: &str| {
        let add = format!("log4j.additivity.{name}");
        match d.pair(i + 1) {
            Some(p) if p.key == add => i + 1,
            _ => i,
        }
    };
    let anchor = match &reference {
        Some((i, name, _)) if ancestors(logger).any(|a| a == name) => Some(block_end(*i, name)),
        _ => d
            .pairs()
            .filter(|(_, p)| {
                p.key.starts_with("log4j.logger.") || p.key.starts_with("log4j.additivity.")
            })
            .map(|(i, _)| i)
            .last(),
    };
    let splice = match anchor {
        Some(i) => {
            let blank_after = matches!(d.entries.get(i + 1).map(|e| &e.kind), Some(Kind::Blank));
            d.insert_after(i, &lines, blank_after)
        }
        None => d.insert_at(d.raw.len(), &lines, false),
    };
    changes.extend(lines.iter().map(|l| format!("added {l}")));
    Ok((vec![splice], changes))
}

fn unpersist_props(d: &Props, logger: &str) -> (Vec<Splice>, Vec<String>) {
    let mut keys = logger_keys(logger).to_vec();
    keys.push(format!("log4j.additivity.{logger}"));
    let hits: Vec<usize> = d
        .pairs()
        .filter(|(_, p)| keys.contains(&p.key))
        .map(|(i, _)| i)
        .collect();
    let mut changes = Vec::new();
    let mut splices = Vec::new();
    let mut k = 0;
    while k < hits.len() {
        let first = hits[k];
        let mut last = first;
        while k + 1 < hits.len() && hits[k + 1] == last + 1 {
            k += 1;
            last = hits[k];
        }
        k += 1;
        let is_blank = |i: Option<usize>| {
            i.and_then(|i| d.entries.get(i))
                .is_some_and(|e| matches!(e.kind, Kind::Blank))
        };
        // A block set off by blank lines takes one blank line with it, undoing what
        // `persist` added.
        let mut start = d.entries[first].span.start;
        if first > 0
            && is_blank(Some(first - 1))
            && (last + 1 >= d.entries.len() || is_blank(Some(last + 1)))
        {
            start = d.entries[first - 1].span.start;
        }
        splices.push(Splice::new(start..d.entries[last].span.end, ""));
        for i in first..=last {
            let text = String::from_utf8_lossy(&d.raw[d.entries[i].span.clone()]);
            changes.push(format!("removed {}", text.trim_end()));
        }
    }
    (splices, changes)
}

// ---------- log4j2 ----------

fn xml_loggers(d: &Xml, logger: &str) -> Vec<usize> {
    let Some(root) = d.root else {
        return Vec::new();
    };
    let Some(loggers) = d.child(root, "Loggers") else {
        return Vec::new();
    };
    d.children(loggers)
        .filter(|(_, e)| e.is("Logger") || e.is("AsyncLogger"))
        .filter(|(_, e)| e.attr("name").is_some_and(|n| n.value == logger))
        .map(|(i, _)| i)
        .collect()
}

fn xml_refs(d: &Xml, idx: usize) -> Vec<String> {
    d.children(idx)
        .filter(|(_, e)| e.is("AppenderRef"))
        .filter_map(|(_, e)| e.attr("ref").map(|r| r.value.clone()))
        .collect()
}

fn persist_xml(
    cfg: &Config,
    d: &Xml,
    logger: &str,
    level: Level,
    appender: Option<&str>,
) -> Result<(Vec<Splice>, Vec<String>), Log4jError> {
    let structure = |what: &str| Log4jError::Structure {
        path: cfg.path().into(),
        what: what.into(),
    };
    let root = d.root.ok_or_else(|| structure("no root element"))?;
    let loggers = d
        .child(root, "Loggers")
        .ok_or_else(|| structure("no <Loggers> element"))?;
    if let Some(a) = appender {
        let present: Vec<String> = d
            .child(root, "Appenders")
            .map(|apps| {
                d.children(apps)
                    .filter_map(|(_, e)| e.attr("name").map(|n| n.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if !present.iter().any(|p| p == a) {
            return Err(Log4jError::AppenderNotFound {
                path: cfg.path().into(),
                name: a.into(),
                present,
            });
        }
    }
    let existing = xml_loggers(d, logger);
    if !existing.is_empty() {
        let mut splices = Vec::new();
        let mut changes = Vec::new();
        for i in existing {
            let old = d.elements[i].attr("level").map(|a| a.value.clone());
            if old
                .as_deref()
                .is_some_and(|o| o.trim().eq_ignore_ascii_case(level.as_str()))
            {
                continue;
            }
            splices.push(d.set_attr(i, "level", level.as_str()));
            changes.push(format!(
                "<Logger name=\"{logger}\"> (line {}): level {} -> {level}",
                line_of(&d.raw, d.elements[i].start.start),
                old.as_deref().unwrap_or("(inherited)")
            ));
        }
        return Ok((splices, changes));
    }
    let refs = match appender {
        Some(a) => vec![a.to_string()],
        None => {
            let from_logger = reference_names(logger).into_iter().find_map(|r| {
                xml_loggers(d, r)
                    .last()
                    .map(|&i| xml_refs(d, i))
                    .filter(|v| !v.is_empty())
            });
            match from_logger {
                Some(v) => v,
                None => vec![cfg.appender(None)?.name],
            }
        }
    };
    let q = d.quote() as char;
    let unit = d.indent_unit();
    let e = |s: &str| xml::escape(s, q as u8);
    let mut text = format!(
        "<Logger name={q}{}{q} level={q}{level}{q} additivity={q}false{q}>",
        e(logger)
    );
    for r in &refs {
        text.push_str(&format!("\n{unit}<AppenderRef ref={q}{}{q}/>", e(r)));
    }
    text.push_str("\n</Logger>");
    let splice = d
        .append_child(loggers, &text)
        .ok_or_else(|| structure("<Loggers/> is empty"))?;
    Ok((
        vec![splice],
        vec![format!(
            "added <Logger name=\"{logger}\" level=\"{level}\" additivity=\"false\"> -> {}",
            refs.join(", ")
        )],
    ))
}
