//! The `AccessLogValve` pattern: compiled once, then used to split lines on bytes.
//!
//! A field's value ends where the literal text that follows it in the pattern starts, so
//! a line is cut with a handful of `memchr` calls and nothing is allocated. Quoted fields
//! (headers, the request line) may hold `\"`, which Tomcat writes for a quote inside a
//! value: those do not end the field. Times are parsed by hand because the join reads the
//! time of every line.
//!
//! Speed, measured once by hand (release, one core of a loaded 2-core builder, 572 MB of
//! stock-pattern lines of ~290 bytes, lines split with `memchr`): `parse_key` 1.9-2.5
//! GB/s, `parse_line` 0.6-0.95 GB/s.

use memchr::memchr;

use super::{DurationUnit, Entry};

/// Jira's stock pattern (`conf/server.xml`, jira-facts §7).
pub const STOCK: &str = r#"%a %{jira.request.id}r %{jira.request.username}r %t "%m %U%q %H" %s %b %D "%{Referer}i" "%{User-Agent}i" "%{jira.request.assession.id}r""#;

/// Tomcat's `common` alias (Common Log Format).
pub const COMMON: &str = r#"%h %l %u %t "%r" %s %b"#;

/// Tomcat's `combined` alias: `common` plus Referer and User-Agent.
pub const COMBINED: &str = r#"%h %l %u %t "%r" %s %b "%{Referer}i" "%{User-Agent}i""#;

/// What the reader understands, for error messages.
const SUPPORTED: &str = "%a %A %b %B %D %F %h %H %I %l %m %p %q %r %s %S %t %T %u %U %v %X %%, \
     %{x}i %{x}o %{x}r %{x}s %{x}c %{x}p %{remote|peer}a, %{sec|msec|msec_frac|usec_frac|SimpleDateFormat}t, \
     %{ms|us|s|fracsec}T";

/// Quoted from a pattern (which may come from someone else's server.xml): short, escaped.
fn q(s: &str) -> String {
    crate::warn::excerpt(s.as_bytes())
}

/// A pattern jira-patrol cannot read lines by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A code Tomcat may know but this reader does not (or a typo).
    #[error("access-log pattern: unknown code '{}'; supported: {SUPPORTED}", q(.0))]
    UnknownCode(String),
    /// `%{` without its `}`, or a `%` ending the pattern.
    #[error(
        "access-log pattern: '{}' is cut short (a '%' or '%{{...}}' without its code letter)",
        q(.0)
    )]
    Incomplete(String),
    /// Two fields with nothing between them cannot be told apart in a line.
    #[error("access-log pattern: '{}' and '{}' are written with nothing between them, so their values cannot be told apart", q(.0), q(.1))]
    Adjacent(String, String),
    /// A `%{format}t` this reader cannot turn into an instant.
    #[error(
        "access-log pattern: cannot read times written as '{}': {}",
        q(code),
        q(why)
    )]
    TimeFormat {
        /// The time code as written in the pattern (`%{dd/MMM/yyyy:HH:mm:ss Z}t`).
        code: String,
        /// Why it cannot be read (a letter not supported, a quote not closed, ...).
        why: String,
    },
    /// Nothing to read.
    #[error("access-log pattern is empty")]
    Empty,
}

/// A compiled `AccessLogValve` pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    /// Literal text before the first field.
    prefix: Box<[u8]>,
    items: Vec<Item>,
    /// Items [`Pattern::parse_key`] walks: up to the later of the time and the request id.
    key_items: usize,
    /// `%r` fills the method / path only when `%m` / `%U` are absent.
    r_method: bool,
    r_path: bool,
}

#[derive(Debug, Clone)]
struct Item {
    field: Field,
    /// False when another field fills the same part of [`Entry`] (`%h` next to `%a`, a
    /// second `%t`): the value is still stepped over.
    assign: bool,
    /// The code as written, for messages.
    code: String,
    /// The literal text up to the next field (or the end of the line).
    after: Box<[u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Remote {
        rank: u8,
    },
    User {
        rank: u8,
    },
    RequestId,
    Time(TimeFmt),
    Method,
    Path,
    Query,
    Request,
    Status,
    /// `%b`: `-` for none.
    BytesClf,
    Bytes,
    /// `%D`: unit given at parse time.
    DurationD,
    DurationMs,
    DurationUs,
    /// Decimal seconds (`%T`, `%{s}T`, `%{fracsec}T`).
    DurationSecs,
    UserAgent,
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TimeFmt {
    /// `[dd/MMM/yyyy:HH:mm:ss +hhmm]`.
    Clf,
    EpochSec,
    EpochMs,
    /// A `SimpleDateFormat` with a zone offset.
    Custom(Box<[Tok]>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Year,
    Month,
    MonthName,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
    /// `Z` (`+hhmm`) or `X`/`XX`/`XXX` (which also allow a bare `Z` for UTC).
    Offset {
        colon: bool,
        z: bool,
    },
    Lit(u8),
}

/// Which part of [`Entry`] a field fills, and its rank there (lower wins).
fn slot(f: &Field) -> Option<(u8, u8)> {
    Some(match f {
        Field::Remote { rank } => (0, *rank),
        Field::User { rank } => (1, *rank),
        Field::RequestId => (2, 0),
        Field::Time(_) => (3, 0),
        Field::Method => (4, 0),
        Field::Path => (5, 0),
        Field::Status => (6, 0),
        Field::BytesClf | Field::Bytes => (7, 0),
        Field::DurationD | Field::DurationUs => (8, 0),
        Field::DurationMs => (8, 1),
        Field::DurationSecs => (8, 2),
        Field::UserAgent => (9, 0),
        Field::Query | Field::Request | Field::Skip => return None,
    })
}

impl Pattern {
    /// Jira's stock pattern, for when `server.xml` is not at hand.
    pub fn stock() -> Pattern {
        Pattern::parse(STOCK).expect("the stock pattern compiles")
    }

    /// Compile a pattern as written in `server.xml` (or the aliases `common`, `combined`).
    /// A pattern without `%t` or the request id compiles: ask [`Pattern::has_time`] and
    /// [`Pattern::has_request_id`] to tell the user what it lacks.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let expanded = match text.trim() {
            "common" => COMMON,
            "combined" => COMBINED,
            _ => text,
        };
        let b = expanded.as_bytes();
        let mut prefix: Vec<u8> = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                lit.push(b[i]);
                i += 1;
                continue;
            }
            let start = i;
            let cut = || PatternError::Incomplete(String::from_utf8_lossy(&b[start..]).into());
            let c = *b.get(i + 1).ok_or_else(cut)?;
            if c == b'%' {
                lit.push(b'%');
                i += 2;
                continue;
            }
            let (arg, code) = if c == b'{' {
                let close = memchr(b'}', &b[i + 2..]).ok_or_else(cut)? + i + 2;
                let code = *b.get(close + 1).ok_or_else(cut)?;
                i = close + 2;
                (Some(&expanded[start + 2..close]), code)
            } else {
                i += 2;
                (None, c)
            };
            // A non-ASCII code letter spans more bytes: name all of it.
            while i < b.len() && (b[i] & 0xC0) == 0x80 {
                i += 1;
            }
            let name = String::from_utf8_lossy(&b[start..i]).into_owned();
            let field = field_for(code, arg, &name)?;
            let after = std::mem::take(&mut lit).into_boxed_slice();
            match items.last_mut() {
                Some(last) => last.after = after,
                None => prefix = after.into_vec(),
            }
            items.push(Item {
                field,
                assign: true,
                code: name,
                after: Box::new([]),
            });
        }
        let Some(last) = items.last_mut() else {
            return Err(PatternError::Empty);
        };
        last.after = lit.into_boxed_slice();
        for w in items.windows(2) {
            let self_delimited =
                matches!(w[0].field, Field::Time(TimeFmt::Clf | TimeFmt::Custom(_)));
            if w[0].after.is_empty() && !self_delimited && w[1].field != Field::Query {
                return Err(PatternError::Adjacent(w[0].code.clone(), w[1].code.clone()));
            }
        }
        // The best-ranked field (then the first) fills each part of the entry.
        let mut best: [Option<(u8, usize)>; 10] = [None; 10];
        for (k, it) in items.iter().enumerate() {
            if let Some((s, rank)) = slot(&it.field) {
                let b = &mut best[usize::from(s)];
                if b.is_none_or(|(r, _)| rank < r) {
                    *b = Some((rank, k));
                }
            }
        }
        for (k, it) in items.iter_mut().enumerate() {
            if let Some((s, _)) = slot(&it.field) {
                it.assign = best[usize::from(s)].is_some_and(|(_, j)| j == k);
            }
        }
        let key_items = [2usize, 3]
            .iter()
            .filter_map(|&s| best[s].map(|(_, k)| k + 1))
            .max()
            .unwrap_or(0);
        Ok(Pattern {
            text: text.to_string(),
            prefix: prefix.into_boxed_slice(),
            r_method: best[4].is_none(),
            r_path: best[5].is_none(),
            items,
            key_items,
        })
    }

    /// The pattern as given (an alias stays `common` / `combined`), to tell the user which
    /// pattern lines were read by.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this is Jira's stock pattern, for telling the user an admin changed it.
    pub fn is_stock(&self) -> bool {
        self.text.trim() == STOCK
    }

    fn has(&self, f: impl Fn(&Field) -> bool) -> bool {
        self.items.iter().any(|it| f(&it.field))
    }

    /// Whether lines carry `%{jira.request.id}r`, without which nothing joins.
    pub fn has_request_id(&self) -> bool {
        self.has(|f| *f == Field::RequestId)
    }

    /// Whether lines carry the request time (`%t` or a readable `%{...}t`).
    pub fn has_time(&self) -> bool {
        self.has(|f| matches!(f, Field::Time(_)))
    }

    /// Whether lines carry the HTTP status.
    pub fn has_status(&self) -> bool {
        self.has(|f| *f == Field::Status)
    }

    /// Whether lines carry the time taken (`%D` or `%T`).
    pub fn has_duration(&self) -> bool {
        self.has(|f| slot(f).is_some_and(|(s, _)| s == 8))
    }

    /// Whether the duration read is `%D`, whose unit depends on the Tomcat version, so the
    /// caller must know (or say it guessed) the [`DurationUnit`].
    pub fn duration_needs_unit(&self) -> bool {
        self.items
            .iter()
            .any(|it| it.assign && it.field == Field::DurationD)
    }

    /// Whether lines carry the response size (`%b` or `%B`).
    pub fn has_bytes(&self) -> bool {
        self.has(|f| matches!(f, Field::BytesClf | Field::Bytes))
    }

    /// Whether lines carry the User-Agent header.
    pub fn has_user_agent(&self) -> bool {
        self.has(|f| *f == Field::UserAgent)
    }

    /// Whether lines carry the method (`%m` or `%r`).
    pub fn has_method(&self) -> bool {
        self.has(|f| matches!(f, Field::Method | Field::Request))
    }

    /// Whether lines carry the path (`%U` or `%r`).
    pub fn has_path(&self) -> bool {
        self.has(|f| matches!(f, Field::Path | Field::Request))
    }

    /// Whether lines carry the user (`%{jira.request.username}r` or `%u`).
    pub fn has_username(&self) -> bool {
        self.has(|f| matches!(f, Field::User { .. }))
    }

    /// Whether lines carry the client address (`%a` or `%h`).
    pub fn has_remote(&self) -> bool {
        self.has(|f| matches!(f, Field::Remote { .. }))
    }

    /// Read one line (without its `\n`; a trailing `\r` is ignored). `None` when the line
    /// does not fit the pattern. `unit` is the unit of `%D`.
    pub fn parse_line<'a>(&self, line: &'a [u8], unit: DurationUnit) -> Option<Entry<'a>> {
        let mut e = Entry::default();
        let line = trim_eol(line);
        let pos = self.walk(line, self.items.len(), unit, &mut e)?;
        line[pos..]
            .iter()
            .all(|c| c.is_ascii_whitespace())
            .then_some(e)
    }

    /// The time (UTC ms; 0 when the pattern has none) and request id of a line, reading
    /// only as far as those two: cheaper than [`Pattern::parse_line`] for a join that
    /// looks at every line and wants the rest of a few. It does not check the rest of the
    /// line, so `parse_line` may still refuse a line this accepted.
    pub fn parse_key<'a>(&self, line: &'a [u8]) -> Option<(i64, Option<&'a [u8]>)> {
        let mut e = Entry::default();
        let line = trim_eol(line);
        self.walk(line, self.key_items, DurationUnit::Ms, &mut e)?;
        Some((e.time_ms, e.request_id))
    }

    /// Read the first `n` fields into `e`; the position after them.
    fn walk<'a>(
        &self,
        line: &'a [u8],
        n: usize,
        unit: DurationUnit,
        e: &mut Entry<'a>,
    ) -> Option<usize> {
        if !line.starts_with(&self.prefix) {
            return None;
        }
        let mut pos = self.prefix.len();
        let last = self.items.len() - 1;
        for (k, it) in self.items[..n].iter().enumerate() {
            if let Field::Time(fmt) = &it.field {
                let (ms, used) = fmt.read(&line[pos..])?;
                if it.assign {
                    e.time_ms = ms;
                }
                pos += used;
                if !line[pos..].starts_with(&it.after) {
                    return None;
                }
                pos += it.after.len();
                continue;
            }
            let (end, next) = if it.after.is_empty() {
                if k == last {
                    (line.len(), line.len())
                } else {
                    // Only `%q` may follow without a separator (checked when compiled): the
                    // query starts at the first '?' of the two fields' span.
                    let span_end = self.value_end(line, pos, k + 1)?;
                    let q = memchr(b'?', &line[pos..span_end]).map_or(span_end, |q| pos + q);
                    (q, q)
                }
            } else {
                let end = self.value_end(line, pos, k)?;
                (end, end + it.after.len())
            };
            if it.assign {
                self.assign(&it.field, &line[pos..end], unit, e)?;
            }
            pos = next;
        }
        Some(pos)
    }

    /// Where the value of item `k`, starting at `pos`, ends.
    fn value_end(&self, line: &[u8], pos: usize, k: usize) -> Option<usize> {
        let after = &self.items[k].after;
        if after.is_empty() {
            return Some(line.len());
        }
        if k == self.items.len() - 1 {
            // The last literal closes the line: anchoring it there survives a stray quote
            // inside the last value.
            let end = line.len().checked_sub(after.len())?;
            return (end >= pos && line[end..] == **after).then_some(end);
        }
        let item = &self.items[k];
        if let (Field::User { .. } | Field::Skip, Field::Time(fmt)) =
            (&item.field, &self.items[k + 1].field)
        {
            // A user name (or another free text) before the time may hold its separator
            // ("John Smith"): the value ends where a time follows.
            let mut from = pos;
            loop {
                let end = find(line, from, after)?;
                if fmt.starts(&line[end + after.len()..]) {
                    return Some(end);
                }
                from = end + 1;
            }
        }
        find(line, pos, after)
    }

    fn assign<'a>(
        &self,
        field: &Field,
        v: &'a [u8],
        unit: DurationUnit,
        e: &mut Entry<'a>,
    ) -> Option<()> {
        match field {
            Field::Remote { .. } => e.remote = text(v),
            Field::User { .. } => e.username = text(v),
            Field::RequestId => e.request_id = text(v),
            Field::Method => e.method = text(v),
            Field::Path => e.path = text(v),
            Field::Status => {
                if v != b"-" {
                    e.status = Some(u16::try_from(number(v)?).ok()?);
                }
            }
            Field::BytesClf | Field::Bytes => {
                e.bytes = Some(if v == b"-" { 0 } else { number(v)? });
            }
            Field::DurationD => {
                if v != b"-" {
                    let n = number(v)?;
                    e.duration_us = Some(match unit {
                        DurationUnit::Ms => n.saturating_mul(1000),
                        DurationUnit::Us => n,
                    });
                }
            }
            Field::DurationMs => {
                if v != b"-" {
                    e.duration_us = Some(number(v)?.saturating_mul(1000));
                }
            }
            Field::DurationUs => {
                if v != b"-" {
                    e.duration_us = Some(number(v)?);
                }
            }
            Field::DurationSecs => {
                if v != b"-" {
                    e.duration_us = Some(decimal_secs_us(v)?);
                }
            }
            Field::UserAgent => e.user_agent = text(v),
            Field::Request => {
                if v == b"-" {
                    return Some(());
                }
                let sp = memchr(b' ', v).unwrap_or(v.len());
                if self.r_method {
                    e.method = text(&v[..sp]);
                }
                if self.r_path && sp < v.len() {
                    let rest = &v[sp + 1..];
                    let end = rest
                        .iter()
                        .position(|&c| c == b' ' || c == b'?')
                        .unwrap_or(rest.len());
                    e.path = text(&rest[..end]);
                }
            }
            Field::Time(_) | Field::Query | Field::Skip => {}
        }
        Some(())
    }
}

fn field_for(code: u8, arg: Option<&str>, name: &str) -> Result<Field, PatternError> {
    let unknown = || PatternError::UnknownCode(name.to_string());
    let Some(arg) = arg else {
        return Ok(match code {
            b'a' => Field::Remote { rank: 0 },
            b'h' => Field::Remote { rank: 1 },
            b'u' => Field::User { rank: 1 },
            b't' => Field::Time(TimeFmt::Clf),
            b'm' => Field::Method,
            b'U' => Field::Path,
            b'q' => Field::Query,
            b'r' => Field::Request,
            b's' => Field::Status,
            b'b' => Field::BytesClf,
            b'B' => Field::Bytes,
            b'D' => Field::DurationD,
            b'T' => Field::DurationSecs,
            b'A' | b'l' | b'H' | b'F' | b'I' | b'S' | b'v' | b'p' | b'X' => Field::Skip,
            _ => return Err(unknown()),
        });
    };
    Ok(match code {
        b'r' if arg == "jira.request.id" => Field::RequestId,
        b'r' if arg == "jira.request.username" => Field::User { rank: 0 },
        // Newer Jira ships `%U%{sanitized.query}r`: the query as `%q` writes it, masked.
        b'r' if arg == "sanitized.query" => Field::Query,
        b'i' if arg.eq_ignore_ascii_case("user-agent") => Field::UserAgent,
        b'a' if arg == "peer" => Field::Remote { rank: 2 },
        b'a' if arg == "remote" => Field::Remote { rank: 0 },
        b'i' | b'o' | b'r' | b's' | b'c' | b'p' => Field::Skip,
        b't' => time_field(arg, name)?,
        b'T' => match arg {
            "ms" => Field::DurationMs,
            "us" => Field::DurationUs,
            "s" | "fracsec" => Field::DurationSecs,
            _ => return Err(unknown()),
        },
        _ => return Err(unknown()),
    })
}

fn time_field(arg: &str, name: &str) -> Result<Field, PatternError> {
    let refuse = |why: &str| PatternError::TimeFormat {
        code: name.to_string(),
        why: why.to_string(),
    };
    // `end:` logs when the response was committed rather than when the request came:
    // still a time of the request, a few milliseconds later.
    let f = arg
        .strip_prefix("begin:")
        .or_else(|| arg.strip_prefix("end:"))
        .unwrap_or(arg);
    Ok(match f {
        "" => Field::Time(TimeFmt::Clf),
        "sec" => Field::Time(TimeFmt::EpochSec),
        "msec" => Field::Time(TimeFmt::EpochMs),
        "msec_frac" | "usec_frac" => Field::Skip,
        _ => Field::Time(TimeFmt::Custom(
            simple_date_format(f).map_err(|w| refuse(&w))?,
        )),
    })
}

/// Compile the subset of Java's `SimpleDateFormat` that places a line in time.
fn simple_date_format(f: &str) -> Result<Box<[Tok]>, String> {
    let b = f.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            let close = memchr(b'\'', &b[i + 1..]).ok_or("a quote (') is not closed")? + i + 1;
            if close == i + 1 {
                toks.push(Tok::Lit(b'\''));
            }
            toks.extend(b[i + 1..close].iter().map(|&c| Tok::Lit(c)));
            i = close + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            toks.push(Tok::Lit(c));
            i += 1;
            continue;
        }
        let run = b[i..].iter().take_while(|&&x| x == c).count();
        let tok = match (c, run) {
            (b'y', 4) => Tok::Year,
            (b'M', 2) => Tok::Month,
            (b'M', 3) => Tok::MonthName,
            (b'd', 2) => Tok::Day,
            (b'H', 2) => Tok::Hour,
            (b'm', 2) => Tok::Minute,
            (b's', 2) => Tok::Second,
            (b'S', 3) => Tok::Milli,
            (b'Z', 1) => Tok::Offset {
                colon: false,
                z: false,
            },
            (b'X', 2) => Tok::Offset {
                colon: false,
                z: true,
            },
            (b'X', 3) => Tok::Offset {
                colon: true,
                z: true,
            },
            _ => {
                return Err(format!(
                "'{}' is not among the date letters read (yyyy MM MMM dd HH mm ss SSS Z XX XXX)",
                &f[i..i + run]
            ))
            }
        };
        toks.push(tok);
        i += run;
    }
    let has = |t: &dyn Fn(&Tok) -> bool| toks.iter().any(t);
    if !has(&|t| matches!(t, Tok::Offset { .. })) {
        return Err(
            "it has no UTC offset (add Z to the format), so its times cannot be placed".into(),
        );
    }
    for (tok, what) in [
        (Tok::Year, "yyyy"),
        (Tok::Day, "dd"),
        (Tok::Hour, "HH"),
        (Tok::Minute, "mm"),
        (Tok::Second, "ss"),
    ] {
        if !has(&|t| *t == tok) {
            return Err(format!("it lacks {what}"));
        }
    }
    if !has(&|t| matches!(t, Tok::Month | Tok::MonthName)) {
        return Err("it lacks the month (MM or MMM)".into());
    }
    Ok(toks.into_boxed_slice())
}

impl TimeFmt {
    /// Whether `b` looks like it starts with a time, cheaply (the walk reads it in full).
    fn starts(&self, b: &[u8]) -> bool {
        match self {
            TimeFmt::Clf => b.len() >= 28 && b[0] == b'[' && b[21] == b' ' && b[27] == b']',
            _ => self.read(b).is_some(),
        }
    }

    /// The instant at the start of `b` (UTC ms) and the bytes it took.
    fn read(&self, b: &[u8]) -> Option<(i64, usize)> {
        match self {
            TimeFmt::Clf => clf_time(b).map(|ms| (ms, 28)),
            TimeFmt::EpochSec | TimeFmt::EpochMs => {
                let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let v = i64::try_from(number(&b[..n])?).ok()?;
                let ms = if *self == TimeFmt::EpochSec {
                    v.checked_mul(1000)?
                } else {
                    v
                };
                Some((ms, n))
            }
            TimeFmt::Custom(toks) => custom_time(toks, b),
        }
    }
}

/// `[dd/MMM/yyyy:HH:mm:ss +hhmm]` (English month names, as Tomcat writes them).
fn clf_time(b: &[u8]) -> Option<i64> {
    let b: &[u8; 28] = b.get(..28)?.try_into().ok()?;
    if b[0] != b'['
        || b[3] != b'/'
        || b[7] != b'/'
        || b[12] != b':'
        || b[15] != b':'
        || b[18] != b':'
        || b[21] != b' '
        || b[27] != b']'
    {
        return None;
    }
    let d = digits2(b[1], b[2])?;
    let mo = month(&b[4..7])?;
    let y = i64::from(digits2(b[8], b[9])?) * 100 + i64::from(digits2(b[10], b[11])?);
    let h = digits2(b[13], b[14])?;
    let mi = digits2(b[16], b[17])?;
    let s = digits2(b[19], b[20])?;
    let off = offset(b[22], digits2(b[23], b[24])?, digits2(b[25], b[26])?)?;
    civil_ms(y, mo, d, h, mi, s, 0, off)
}

fn custom_time(toks: &[Tok], b: &[u8]) -> Option<(i64, usize)> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut ms, mut off) = (0i64, 1, 1, 0, 0, 0, 0, 0);
    let mut p = 0;
    let two = |p: usize| -> Option<u32> { digits2(*b.get(p)?, *b.get(p + 1)?) };
    for t in toks {
        match *t {
            Tok::Lit(c) => {
                if *b.get(p)? != c {
                    return None;
                }
                p += 1;
            }
            Tok::Year => {
                y = i64::from(two(p)?) * 100 + i64::from(two(p + 2)?);
                p += 4;
            }
            Tok::Month => (mo, p) = (two(p)?, p + 2),
            Tok::MonthName => (mo, p) = (month(b.get(p..p + 3)?)?, p + 3),
            Tok::Day => (d, p) = (two(p)?, p + 2),
            Tok::Hour => (h, p) = (two(p)?, p + 2),
            Tok::Minute => (mi, p) = (two(p)?, p + 2),
            Tok::Second => (s, p) = (two(p)?, p + 2),
            Tok::Milli => {
                let d1 = *b.get(p)?;
                if !d1.is_ascii_digit() {
                    return None;
                }
                ms = u32::from(d1 - b'0') * 100 + two(p + 1)?;
                p += 3;
            }
            Tok::Offset { colon, z } => {
                let sign = *b.get(p)?;
                if z && sign == b'Z' {
                    off = 0;
                    p += 1;
                    continue;
                }
                let hh = two(p + 1)?;
                p += 3;
                if colon {
                    if *b.get(p)? != b':' {
                        return None;
                    }
                    p += 1;
                }
                let mm = two(p)?;
                p += 2;
                off = offset(sign, hh, mm)?;
            }
        }
    }
    Some((civil_ms(y, mo, d, h, mi, s, ms, off)?, p))
}

/// Signed offset in minutes.
fn offset(sign: u8, hh: u32, mm: u32) -> Option<i64> {
    let m = i64::from(hh * 60 + mm);
    match sign {
        b'+' => Some(m),
        b'-' => Some(-m),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn civil_ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32, off: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let local = days_from_civil(y, mo, d) * 86_400_000
        + i64::from(h) * 3_600_000
        + i64::from(mi) * 60_000
        + i64::from(s) * 1000
        + i64::from(ms);
    Some(local - off * 60_000)
}

use crate::scan::time::days_from_civil;

fn month(b: &[u8]) -> Option<u32> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn digits2(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

/// An unsigned decimal number; `None` for anything else (including empty).
fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in v {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
}

/// `0.057` (seconds, any number of decimals) in microseconds.
fn decimal_secs_us(v: &[u8]) -> Option<u64> {
    let (int, frac) = match memchr(b'.', v) {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &b""[..]),
    };
    let secs = if int.is_empty() { 0 } else { number(int)? };
    let mut us = 0u64;
    for k in 0..6 {
        let d = match frac.get(k) {
            Some(c) if c.is_ascii_digit() => u64::from(c - b'0'),
            Some(_) => return None,
            None => 0,
        };
        us = us * 10 + d;
    }
    if !frac.iter().all(u8::is_ascii_digit) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    secs.checked_mul(1_000_000)?.checked_add(us)
}

/// A text value: `-` is Tomcat's "none".
fn text(v: &[u8]) -> Option<&[u8]> {
    (v != b"-").then_some(v)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The first occurrence of `lit` at or after `from`; a quote with an odd number of
/// backslashes before it is part of the value, not its end.
fn find(hay: &[u8], from: usize, lit: &[u8]) -> Option<usize> {
    let first = lit[0];
    let mut at = from;
    loop {
        let i = at + memchr(first, &hay[at..])?;
        if hay[i..].starts_with(lit) && !(first == b'"' && escaped(hay, from, i)) {
            return Some(i);
        }
        at = i + 1;
    }
}

fn escaped(hay: &[u8], start: usize, i: usize) -> bool {
    hay[start..i]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count()
        % 2
        == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"10.1.2.3 904x1468x1 admin [11/Oct/2022:15:04:28 +0000] "GET /rest/api/2/search?jql=x HTTP/1.1" 200 1234 57 "-" "python-requests/2.31.0" "lnu1vp""#;

    #[test]
    fn key_reads_time_and_id_only() {
        let p = Pattern::stock();
        assert_eq!(
            p.parse_key(LINE),
            Some((1_665_500_668_000, Some(&b"904x1468x1"[..])))
        );
        assert_eq!(p.key_items, 4);
        assert!(p.is_stock());
        let peer = Pattern::parse("%{peer}a %{remote}a %X").unwrap();
        let e = peer
            .parse_line(b"10.0.0.1 203.0.113.9 +", DurationUnit::Ms)
            .unwrap();
        assert_eq!(e.remote, Some(&b"203.0.113.9"[..]));
    }

    #[test]
    fn priorities_pick_the_jira_fields() {
        let p = Pattern::parse("%h %a %u %{jira.request.username}r %t").unwrap();
        let e = p
            .parse_line(
                b"host 1.2.3.4 bob alice [11/Oct/2022:15:04:28 +0200]",
                DurationUnit::Ms,
            )
            .unwrap();
        assert_eq!(e.remote, Some(&b"1.2.3.4"[..]));
        assert_eq!(e.username, Some(&b"alice"[..]));
        assert_eq!(e.time_ms, 1_665_500_668_000 - 2 * 3_600_000);
    }

    #[test]
    fn a_user_name_with_a_space_still_reaches_the_time() {
        let line = br#"10.1.2.3 904x1468x1 John Smith [11/Oct/2022:15:04:28 +0000] "GET /x HTTP/1.1" 200 1 2 "-" "ua" "s""#;
        let p = Pattern::stock();
        let e = p.parse_line(line, DurationUnit::Ms).unwrap();
        assert_eq!(e.username, Some(&b"John Smith"[..]));
        assert_eq!(
            p.parse_key(line),
            Some((1_665_500_668_000, Some(&b"904x1468x1"[..])))
        );
    }

    #[test]
    fn custom_and_epoch_times() {
        let p = Pattern::parse("%{yyyy-MM-dd HH:mm:ss.SSS Z}t %{jira.request.id}r").unwrap();
        let (t, id) = p.parse_key(b"2022-10-11 15:04:28.250 -0100 1x2x3").unwrap();
        assert_eq!(t, 1_665_500_668_250 + 3_600_000);
        assert_eq!(id, Some(&b"1x2x3"[..]));
        let p = Pattern::parse("%{msec}t %s").unwrap();
        assert_eq!(
            p.parse_line(b"1665500668250 404", DurationUnit::Ms)
                .unwrap()
                .time_ms,
            1_665_500_668_250
        );
        let e = Pattern::parse("%{yyyy-MM-dd HH:mm:ss}t").unwrap_err();
        assert!(e.to_string().contains("no UTC offset"), "{e}");
    }

    #[test]
    fn adjacent_fields_and_broken_codes_are_refused() {
        assert!(matches!(
            Pattern::parse("%h%u"),
            Err(PatternError::Adjacent(..))
        ));
        assert!(matches!(
            Pattern::parse("%h %{x"),
            Err(PatternError::Incomplete(_))
        ));
        assert!(matches!(
            Pattern::parse("%h %"),
            Err(PatternError::Incomplete(_))
        ));
        assert!(matches!(Pattern::parse(""), Err(PatternError::Empty)));
        assert!(matches!(
            Pattern::parse("%{x}T"),
            Err(PatternError::UnknownCode(_))
        ));
    }

    #[test]
    fn no_cut_of_a_line_panics() {
        let pats = [
            Pattern::stock(),
            Pattern::parse("combined").unwrap(),
            Pattern::parse("%{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}t %{msec}t %U%q \"%{x}i\"").unwrap(),
        ];
        let lines: [&[u8]; 2] = [
            LINE,
            b"2022-10-11T15:04:28.250+01:00 1665500668250 /a?b \"q\\\"\"",
        ];
        for p in &pats {
            for l in lines {
                for n in 0..=l.len() {
                    let _ = p.parse_line(&l[..n], DurationUnit::Us);
                    let _ = p.parse_key(&l[n..]);
                }
            }
        }
        let e = pats[2].parse_line(lines[1], DurationUnit::Us).unwrap();
        assert_eq!(e.time_ms, 1_665_500_668_250 - 3_600_000);
        assert_eq!(e.path, Some(&b"/a"[..]));
    }

    #[test]
    fn decimal_seconds() {
        assert_eq!(decimal_secs_us(b"0.057"), Some(57_000));
        assert_eq!(decimal_secs_us(b"2"), Some(2_000_000));
        assert_eq!(decimal_secs_us(b"1.2345678"), Some(1_234_567));
        assert_eq!(decimal_secs_us(b"x"), None);
        assert_eq!(decimal_secs_us(b"."), None);
    }
}
