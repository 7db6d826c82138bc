//! The one duration parser: what a person types for a length (`90s`, `15m`, `1h30m`, `2d`,
//! `2w`), read by `jiff`'s friendly format, checked against the bounds of each use
//! (capture window, `--keep`, `--sample`, token ages, the saved setup), and printed back
//! the same compact way (`crate::human::duration`).

use std::time::Duration;

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const WEEK: u64 = 7 * DAY;

/// What is wrong with a typed duration; its text is the message a person reads (the
/// caller puts the flag or field in front).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(String);

impl DurationError {
    /// The message itself, for callers that want a `String`.
    pub fn into_message(self) -> String {
        self.0
    }
}

impl From<DurationError> for String {
    fn from(e: DurationError) -> String {
        e.0
    }
}

/// How a use reads a number without a unit: refused, or in this unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bare {
    Refused,
    Hours,
    Days,
}

/// The bounds and wording of one use of a duration.
#[derive(Debug, Clone, Copy)]
struct Use {
    bare: Bare,
    min: Duration,
    max: Duration,
    /// How to write it, for the message: "90s, 15m, 2h or 1h30m".
    examples: &'static str,
    too_long: &'static str,
}

/// Parse `s` in jiff's friendly format (`90s`, `1h30m`, `2d`, `2w`; days are 24 hours),
/// without bounds beyond "positive and representable". Years and months are refused:
/// their length depends on the date.
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    parse_for(
        s,
        Use {
            bare: Bare::Refused,
            min: Duration::from_secs(1),
            max: Duration::MAX,
            examples: "90s, 15m, 2h, 1h30m or 2d",
            too_long: "",
        },
    )
}

/// A capture window (`--for`, `--look`), a sample (`--sample`) or the self-check's wait
/// (`--self-check-timeout`): 1 second to 7 days. The wizard adds its own floor of 10 seconds ([`setup_window`]).
pub fn window(s: &str) -> Result<Duration, DurationError> {
    parse_for(
        s,
        Use {
            bare: Bare::Refused,
            min: Duration::from_secs(1),
            max: Duration::from_secs(WEEK),
            examples: "90s, 15m, 2h or 1h30m",
            too_long: "is longer than a week: split it into several captures",
        },
    )
}

/// A capture window as the setup asks it: as [`window`], and at least 10 seconds (less
/// cannot show anything).
pub fn setup_window(s: &str) -> Result<Duration, DurationError> {
    let d = window(s)?;
    if d < Duration::from_secs(10) {
        return Err(DurationError(format!(
            "'{s}' is too short to see anything: give at least 10s"
        )));
    }
    Ok(d)
}

/// How long logs must be kept (`--keep`): `36h`, `3d`, `2w`, a bare number meaning hours;
/// 1 hour to 5 years.
pub fn keep(s: &str) -> Result<Duration, DurationError> {
    parse_for(
        s,
        Use {
            bare: Bare::Hours,
            min: Duration::from_secs(HOUR),
            max: Duration::from_secs(5 * 365 * DAY),
            examples: "36h, 3d or 2w",
            too_long: "is longer than 5 years: give at most 1825d",
        },
    )
}

/// A token's age (`tokens --unused-for/--expiring-within`): `90d`, `12w`, `36h`, a bare
/// number meaning days; 1 hour to 100 years.
pub fn age(s: &str) -> Result<Duration, DurationError> {
    parse_for(
        s,
        Use {
            bare: Bare::Days,
            min: Duration::from_secs(HOUR),
            max: Duration::from_secs(100 * 365 * DAY),
            examples: "90d, 12w or 36h",
            too_long: "is longer than 100 years",
        },
    )
}

fn parse_for(s: &str, u: Use) -> Result<Duration, DurationError> {
    let bad = || {
        DurationError(format!(
            "'{s}' is not a duration: write e.g. {}",
            u.examples
        ))
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let with_unit;
    let text = if t.bytes().all(|b| b.is_ascii_digit()) {
        match u.bare {
            Bare::Refused => return Err(bad()),
            Bare::Hours => {
                with_unit = format!("{t}h");
                &with_unit
            }
            Bare::Days => {
                with_unit = format!("{t}d");
                &with_unit
            }
        }
    } else {
        t
    };
    let too_long = || {
        DurationError(if u.too_long.is_empty() {
            format!("'{s}' is too long to be a duration")
        } else {
            format!("'{s}' {}", u.too_long)
        })
    };
    let span: jiff::Span = match text.parse() {
        Ok(span) => span,
        // A well-formed number too large for any unit: say so, not "not a duration".
        Err(_) if looks_friendly(text) => return Err(too_long()),
        Err(_) => return Err(bad()),
    };
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(DurationError(format!(
            "'{s}': years and months have no fixed length: write it in days or weeks, e.g. {}",
            u.examples
        )));
    }
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| too_long())?;
    if signed.is_negative() {
        return Err(bad());
    }
    let d = Duration::try_from(signed).map_err(|_| too_long())?;
    if d.is_zero() {
        return Err(bad());
    }
    if d > u.max {
        return Err(too_long());
    }
    if d < u.min {
        return Err(DurationError(format!(
            "'{s}' is too short: give at least {}",
            crate::human::duration(u.min)
        )));
    }
    Ok(d)
}

/// Digits followed by a unit letter, repeated (`5124095576030432h`): jiff refuses it only
/// because a number is out of range.
fn looks_friendly(t: &str) -> bool {
    let mut digits = 0;
    let mut groups = 0;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if c.is_ascii_alphabetic() && digits > 0 {
            digits = 0;
            groups += 1;
        } else if !(c.is_ascii_alphabetic() || c == ' ') {
            return false;
        }
    }
    digits == 0 && groups > 0
}

/// Serde helpers: a [`Duration`] stored as its compact text (`"15m"`), read with
/// [`parse`] (the field's own bounds are checked by whoever loads it).
pub mod text {
    use std::time::Duration;

    /// Write the duration as `"15m"`.
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::human::duration(*d))
    }

    /// Read `"15m"`, `"1h30m"`, `"2d"`.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let t: String = serde::Deserialize::deserialize(d)?;
        super::parse(&t).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_friendly_forms() {
        assert_eq!(window("90s"), Ok(secs(90)));
        assert_eq!(window("15m"), Ok(secs(900)));
        assert_eq!(window("1h30m"), Ok(secs(5400)));
        assert_eq!(window("2d"), Ok(secs(2 * DAY)));
        assert_eq!(window(" 2h "), Ok(secs(7200)));
        assert_eq!(keep("2w"), Ok(secs(2 * WEEK)));
        assert_eq!(keep("36"), Ok(secs(36 * HOUR)));
        assert_eq!(age("90"), Ok(secs(90 * DAY)));
    }

    #[test]
    fn what_is_refused() {
        for bad in [
            "",
            "15",
            "0m",
            "2x",
            "-5m",
            "1.5d",
            "3 months",
            "1y",
            "half an hour",
        ] {
            assert!(window(bad).is_err(), "{bad}");
        }
        assert!(window("30d").unwrap_err().0.contains("longer than a week"));
        assert!(setup_window("5s").unwrap_err().0.contains("at least 10s"));
        assert!(keep("0d").is_err());
        assert!(keep("30m").unwrap_err().0.contains("at least 1h"));
        assert!(keep("3 months").is_err());
        assert!(keep("1.5d").is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let e = window("5124095576030432h").unwrap_err().0;
        assert!(e.contains("longer than a week"), "{e}");
        let e = parse("99999999999999999999s").unwrap_err().0;
        assert!(e.contains("too long"), "{e}");
        assert!(keep("5124095576030432").is_err());
    }
}
