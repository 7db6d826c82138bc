//! How quantities read for people: the one formatter each for durations, byte sizes and
//! times, used by every message and every renderer. (Sizes in log4j's own spelling, `20MB`
//! in a file or a `rotation set` command, are `log4j::size::human_exact`; the RFC 3339
//! times of the JSON schema are data, not this.)

use std::time::Duration;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// A duration the compact way a person types it: `45s`, `2m5s`, `15m`, `1h30m`, `2d`
/// (whole seconds; under a minute, a fraction to a tenth: `0.4s`, `1.6s`).
/// `crate::duration::parse` reads the whole ones back to the same length, so it also
/// writes the durations of printed commands (`--for 15m`).
pub fn duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".into();
    }
    if d < Duration::from_secs(60) && d.subsec_millis() >= 50 {
        let t = format!("{:.1}s", d.as_secs_f64());
        return t.replace(".0s", "s");
    }
    let mut s = d.as_secs();
    let mut out = String::new();
    for (unit, name) in [(DAY, "d"), (HOUR, "h"), (MINUTE, "m"), (1, "s")] {
        if s >= unit {
            out.push_str(&format!("{}{name}", s / unit));
            s %= unit;
        }
    }
    out
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `20 MiB`, `1.5 GiB`. One decimal,
/// left out when the value is whole (within 0.05).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if (v - v.round()).abs() < 0.05 {
        format!("{} {}", v.round() as u64, UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A report's RFC 3339 time (`2022-10-11T15:04:09.163+02:00`, `2026-01-13T03:07:00Z`) as
/// people read it: `2022-10-11 15:04:09`, to the second, in the offset it was written in
/// (the log's own; UTC for Jira's REST). Text that is no such time is returned as it is.
pub fn time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if head.as_bytes().get(10) == Some(&b'T') => head.replacen('T', " ", 1),
        _ => rfc3339.to_string(),
    }
}

/// The day of a report's RFC 3339 time, where only the day matters (an expiry in a narrow
/// column): `2023-01-09`.
pub fn day(rfc3339: &str) -> String {
    match rfc3339.get(..10) {
        Some(head) if head.as_bytes().get(4) == Some(&b'-') => head.to_string(),
        _ => rfc3339.to_string(),
    }
}

/// A moment in the machine's time zone, for what happens here and now (when a report was
/// made, when Jira stopped answering): `2026-11-30 05:26:08 +01:00`.
pub fn local(t: &jiff::ZonedDateTime) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// Now, as [`local`] writes it.
pub fn now() -> String {
    local(&jiff::ZonedDateTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_back() {
        for (d, t) in [
            (900, "15m"),
            (5400, "1h30m"),
            (DAY, "1d"),
            (90, "1m30s"),
            (0, "0s"),
        ] {
            assert_eq!(duration(Duration::from_secs(d)), t);
            if d > 0 {
                assert_eq!(crate::duration::parse(t), Ok(Duration::from_secs(d)));
            }
        }
        assert_eq!(duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(duration(Duration::from_millis(1600)), "1.6s");
        assert_eq!(duration(Duration::from_millis(10_020)), "10s");
    }

    #[test]
    fn bytes_are_binary_units_one_decimal_when_not_whole() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(20 * 1024 * 1024), "20 MiB");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024 * 1024), "3 TiB");
    }

    #[test]
    fn times_to_the_second_in_their_own_offset() {
        assert_eq!(time("2022-10-11T15:04:09.163+02:00"), "2022-10-11 15:04:09");
        assert_eq!(time("2026-01-13T03:07:00Z"), "2026-01-13 03:07:00");
        assert_eq!(time("never"), "never");
        assert_eq!(day("2023-01-09T14:51:57.933+01:00"), "2023-01-09");
    }
}
