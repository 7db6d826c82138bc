//! Timestamps of log lines: `yyyy-MM-dd HH:mm:ss,SSS` with a `+hhmm` offset (Jira 8+) or
//! without one (7.x/8.0: then the offset comes from a time zone, local by default).
//! Parsed by hand from bytes because it runs on every candidate line.

use jiff::tz::TimeZone;

/// An instant as UTC milliseconds, plus the UTC offset it was logged in, so reports can
/// show times the way the log did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts {
    /// UTC milliseconds since the epoch.
    pub ms: i64,
    /// The UTC offset the line was logged in, minutes.
    pub offset_min: i16,
}

impl Ts {
    /// RFC 3339 with the logged offset, millisecond precision.
    pub fn rfc3339(self) -> String {
        let local = self.ms + i64::from(self.offset_min) * 60_000;
        let days = local.div_euclid(86_400_000);
        let rem = local.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, mi, s, ms) = (
            rem / 3_600_000,
            rem / 60_000 % 60,
            rem / 1000 % 60,
            rem % 1000,
        );
        let sign = if self.offset_min < 0 { '-' } else { '+' };
        let off = self.offset_min.unsigned_abs();
        format!(
            "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{sign}{:02}:{:02}",
            off / 60,
            off % 60
        )
    }
}

/// Converts civil times without an offset, caching the offset per hour because zone
/// look-ups are far slower than the parse itself.
#[derive(Clone)]
pub struct Zone {
    tz: TimeZone,
    cached_hour: i64,
    cached_offset_min: i16,
}

impl Zone {
    /// Offsetless times are in `tz`.
    pub fn new(tz: TimeZone) -> Self {
        Zone {
            tz,
            cached_hour: i64::MIN,
            cached_offset_min: 0,
        }
    }

    /// Offsetless times are in the system's zone.
    pub fn local() -> Self {
        Zone::new(TimeZone::system())
    }

    /// The zone offsetless times are read in.
    pub fn timezone(&self) -> &TimeZone {
        &self.tz
    }

    fn offset_for_local(&mut self, local_ms: i64) -> i16 {
        let hour = local_ms.div_euclid(3_600_000);
        if hour != self.cached_hour {
            self.cached_hour = hour;
            self.cached_offset_min = self.lookup(local_ms);
        }
        self.cached_offset_min
    }

    fn lookup(&self, local_ms: i64) -> i16 {
        let days = local_ms.div_euclid(86_400_000);
        let rem = local_ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let dt = jiff::civil::DateTime::new(
            y as i16,
            m as i8,
            d as i8,
            (rem / 3_600_000) as i8,
            (rem / 60_000 % 60) as i8,
            0,
            0,
        );
        match dt {
            Ok(dt) => match self.tz.to_timestamp(dt) {
                Ok(ts) => (self.tz.to_offset(ts).seconds() / 60) as i16,
                Err(_) => 0,
            },
            Err(_) => 0,
        }
    }
}

/// Length of the timestamp at the start of `b`, and the instant, or `None` when `b` does
/// not start with a Jira log timestamp (a continuation line).
pub fn parse_prefix(b: &[u8], zone: &mut Zone) -> Option<(Ts, usize)> {
    let local = parse_civil(b)?;
    if b.len() >= 28 && (b[23] == b'+' || b[23] == b'-') {
        if let (Some(oh), Some(om)) = (digits(&b[24..26]), digits(&b[26..28])) {
            let mut off = (oh * 60 + om) as i16;
            if b[23] == b'-' {
                off = -off;
            }
            return Some((
                Ts {
                    ms: local - i64::from(off) * 60_000,
                    offset_min: off,
                },
                28,
            ));
        }
    }
    let off = zone.offset_for_local(local);
    Some((
        Ts {
            ms: local - i64::from(off) * 60_000,
            offset_min: off,
        },
        23,
    ))
}

/// `yyyy-MM-dd HH:mm:ss,SSS` (or `.SSS`) as milliseconds of local civil time.
/// Whether `b` starts with a log date (`2024-01-02 03:04:05,678`), as the scanner reads it.
pub(crate) fn starts_with_date(b: &[u8]) -> bool {
    parse_civil(b).is_some()
}

fn parse_civil(b: &[u8]) -> Option<i64> {
    if b.len() < 23 {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let ms = digits(&b[20..23])?;
    if b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || !(b[19] == b',' || b[19] == b'.')
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    Some(
        days_from_civil(i64::from(y), mo, d) * 86_400_000
            + i64::from(h) * 3_600_000
            + i64::from(mi) * 60_000
            + i64::from(s) * 1000
            + i64::from(ms),
    )
}

/// Parse `2022-10-11 14:51:57.933` (TokenDTO fields: Java `Timestamp` text in the JVM's
/// zone, no offset: jira-facts §2) carried by a line logged at `line`. Read in `zone` when
/// that is the log's own zone (at the line's time it gives the line's offset, as it must
/// for offsetless lines), so a date on the other side of a daylight-saving change gets its
/// own offset; otherwise in the line's offset, the JVM's at the line's time only.
pub fn parse_db_time_in(s: &str, zone: &mut Zone, line: Ts) -> Option<Ts> {
    let t = parse_db_time(s, line.offset_min)?;
    if !zone_gives_line_offset(zone, line) {
        return Some(t);
    }
    let local = t.ms + i64::from(line.offset_min) * 60_000;
    let offset_min = zone.offset_for_local(local);
    Some(Ts {
        ms: local - i64::from(offset_min) * 60_000,
        offset_min,
    })
}

/// Whether `zone` gives the offset `line` was logged in: then it is taken for the JVM's
/// zone; otherwise [`parse_db_time_in`] can only use the line's own offset.
pub fn zone_gives_line_offset(zone: &mut Zone, line: Ts) -> bool {
    let line_local = line.ms + i64::from(line.offset_min) * 60_000;
    zone.offset_for_local(line_local) == line.offset_min
}

/// Parse `2022-10-11 14:51:57.933` (a database time, no zone) in a fixed offset.
pub fn parse_db_time(s: &str, offset_min: i16) -> Option<Ts> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let mut padded = [b'0'; 23];
    padded[..19].copy_from_slice(&b[..19]);
    padded[19] = b',';
    if b.len() > 20 && b[19] == b'.' {
        for (i, c) in b[20..].iter().take(3).enumerate() {
            padded[20 + i] = *c;
        }
    }
    let local = parse_civil(&padded)?;
    Some(Ts {
        ms: local - i64::from(offset_min) * 60_000,
        offset_min,
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

// Howard Hinnant's civil calendar algorithms (public domain).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse a `--since`/`--until` value: RFC 3339, or a civil date/time in `tz`
/// (`2024-05-01`, `2024-05-01 14:30`, `2024-05-01T14:30:00`).
pub fn parse_bound(s: &str, tz: &TimeZone) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let civil = t.parse::<jiff::civil::DateTime>().or_else(|_| {
        t.parse::<jiff::civil::Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    match civil {
        Ok(dt) => tz
            .to_timestamp(dt)
            .map(|t| t.as_millisecond())
            .map_err(|e| format!("'{s}' does not exist in the time zone: {e}")),
        Err(_) => Err(format!(
            "'{s}' is not a time: use e.g. 2024-05-01, '2024-05-01 14:30' or 2024-05-01T14:30:00+02:00"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Zone {
        Zone::new(TimeZone::UTC)
    }

    #[test]
    fn parses_offset_and_renders_it_back() {
        let (ts, n) = parse_prefix(b"2022-10-11 15:04:09,202+0000 http", &mut utc()).unwrap();
        assert_eq!(n, 28);
        assert_eq!(ts.rfc3339(), "2022-10-11T15:04:09.202+00:00");
        let (ts, _) = parse_prefix(b"2021-04-16 08:59:06,292+0200 x", &mut utc()).unwrap();
        assert_eq!(ts.rfc3339(), "2021-04-16T08:59:06.292+02:00");
        assert_eq!(ts.ms, 1_618_556_346_292);
        let (ts, _) = parse_prefix(b"2023-05-05 13:35:42,472-0700", &mut utc()).unwrap();
        assert_eq!(ts.rfc3339(), "2023-05-05T13:35:42.472-07:00");
    }

    #[test]
    fn lines_without_offset_take_the_zone() {
        let mut z = Zone::new(TimeZone::get("Europe/Paris").unwrap());
        let (ts, n) = parse_prefix(b"2019-04-03 13:10:50,746 http", &mut z).unwrap();
        assert_eq!(n, 23);
        assert_eq!(ts.rfc3339(), "2019-04-03T13:10:50.746+02:00");
        let (ts, _) = parse_prefix(b"2019-01-03 13:10:50,746 http", &mut z).unwrap();
        assert_eq!(ts.rfc3339(), "2019-01-03T13:10:50.746+01:00");
    }

    #[test]
    fn rejects_continuation_lines() {
        for l in [
            &b"\tat com.atlassian.Foo(Foo.java:1)"[..],
            b"java.lang.NoSuchMethodError: x",
            b"    ___ FAILED PLUGIN REPORT",
            b"2022-13-11 15:04:09,202+0000",
            b"",
        ] {
            assert!(parse_prefix(l, &mut utc()).is_none());
        }
    }

    #[test]
    fn db_times_and_bounds() {
        let t = parse_db_time("2022-10-11 14:51:57.933", 60).unwrap();
        assert_eq!(t.rfc3339(), "2022-10-11T14:51:57.933+01:00");
        let t = parse_db_time("2022-10-11 14:56:45.734685", 0).unwrap();
        assert_eq!(t.rfc3339(), "2022-10-11T14:56:45.734+00:00");
        assert_eq!(
            parse_bound("2022-10-11T15:04:09.202Z", &TimeZone::UTC).unwrap(),
            1_665_500_649_202
        );
        assert_eq!(
            parse_bound("2022-10-11", &TimeZone::UTC).unwrap(),
            1_665_446_400_000
        );
        assert!(parse_bound("yesterday", &TimeZone::UTC).is_err());
    }

    #[test]
    fn db_times_across_a_daylight_saving_change_take_their_own_offset() {
        let mut paris = Zone::new(TimeZone::get("Europe/Paris").unwrap());
        let (summer_line, _) = parse_prefix(b"2022-10-11 15:04:09,202+0200 x", &mut utc()).unwrap();
        // Created in winter, carried by a summer line: +01:00, not the line's +02:00.
        let t = parse_db_time_in("2022-01-10 14:51:57.933", &mut paris, summer_line).unwrap();
        assert_eq!(t.rfc3339(), "2022-01-10T14:51:57.933+01:00");
        let t = parse_db_time_in("2022-10-01 09:00:00.000", &mut paris, summer_line).unwrap();
        assert_eq!(t.rfc3339(), "2022-10-01T09:00:00.000+02:00");
        // A log written in another zone than `zone` (Tokyo's): the line's offset is all there is.
        let (tokyo_line, _) = parse_prefix(b"2022-10-11 15:04:09,202+0900 x", &mut utc()).unwrap();
        let t = parse_db_time_in("2022-01-10 14:51:57.933", &mut paris, tokyo_line).unwrap();
        assert_eq!(t.rfc3339(), "2022-01-10T14:51:57.933+09:00");
    }
}
