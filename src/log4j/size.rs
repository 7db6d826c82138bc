//! File sizes as log4j spells them: what log4j 1.x accepts (strict), what log4j2 accepts
//! (lenient), what a person may type, and how to write a size back in a file's own style.

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;
const GB: u64 = 1024 * MB;

/// The size log4j 1.x `RollingFileAppender` uses when `MaxFileSize` is absent or invalid.
pub const LOG4J1_DEFAULT_SIZE: u64 = 10 * MB;
/// `MaxBackupIndex` when absent or invalid (log4j 1.x).
pub const LOG4J1_DEFAULT_BACKUPS: u32 = 1;
/// `SizeBasedTriggeringPolicy` without (or with an invalid) `size` (log4j2).
pub const LOG4J2_DEFAULT_SIZE: u64 = 10 * MB;
/// `DefaultRolloverStrategy` without `max` (log4j2).
pub const LOG4J2_DEFAULT_BACKUPS: u32 = 7;

/// Upper bounds that catch typos (`--backups 20000`) before they reach a file; log4j
/// renames every backup on each rollover, so very large counts hurt Jira.
pub const MAX_BACKUPS: u32 = 1000;
/// 1 TiB: the largest file size accepted.
pub const MAX_SIZE: u64 = 1024 * GB;

/// log4j 1.x `OptionConverter.toFileSize`: digits, then optionally `KB`/`MB`/`GB`
/// (any case), no space, no decimals. `None` means log4j ignores the value.
pub fn parse_log4j1(raw: &str) -> Option<u64> {
    let s = raw.trim().to_ascii_uppercase();
    let (digits, mult) = if let Some(d) = s.strip_suffix("KB") {
        (d, KB)
    } else if let Some(d) = s.strip_suffix("MB") {
        (d, MB)
    } else if let Some(d) = s.strip_suffix("GB") {
        (d, GB)
    } else {
        (s.as_str(), 1)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// log4j2 `FileSize.parse`: `([0-9]+([.,][0-9]+)?)\s*(|K|M|G)B?`, case-insensitive.
pub fn parse_log4j2(raw: &str) -> Option<u64> {
    let s = raw.trim();
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(num_end);
    let unit = rest.trim_start().to_ascii_uppercase();
    let mult = match unit.as_str() {
        "" | "B" => 1,
        "K" | "KB" => KB,
        "M" | "MB" => MB,
        "G" | "GB" => GB,
        _ => return None,
    };
    number_times(num, mult)
}

/// What a person may type: anything log4j2 accepts plus `KiB`/`MiB`/`GiB` (still
/// powers of 1024, as log4j counts). Zero and absurd sizes are refused.
pub fn parse_user(raw: &str) -> Result<u64, String> {
    let t = raw.trim();
    let upper = t.to_ascii_uppercase();
    let normalised = upper
        .strip_suffix("IB")
        .map(|s| format!("{s}B"))
        .unwrap_or(upper);
    let n = parse_log4j2(&normalised).ok_or_else(|| {
        format!("invalid size '{raw}': write digits and a unit, e.g. 100MB, 20480KB or 1 GB")
    })?;
    if n == 0 {
        return Err(format!("invalid size '{raw}': must be more than 0"));
    }
    if n > MAX_SIZE {
        return Err(format!(
            "invalid size '{raw}': more than 1024GB is surely a typo"
        ));
    }
    Ok(n)
}

fn number_times(num: &str, mult: u64) -> Option<u64> {
    if num.is_empty() {
        return None;
    }
    let num = num.replace(',', ".");
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num.as_str(), ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (num.contains('.') && frac.is_empty())
    {
        return None;
    }
    let whole = int.parse::<u64>().ok()?.checked_mul(mult)?;
    // Integer arithmetic on the fraction so `0.5GB` is exactly 536870912.
    let mut part = 0u64;
    if !frac.is_empty() {
        let digits = frac.len().min(12) as u32;
        let f: u64 = frac[..digits as usize].parse().ok()?;
        part = (f as u128 * mult as u128 / 10u128.pow(digits)) as u64;
    }
    whole.checked_add(part)
}

/// How an existing value is spelled, so a new value is written the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeStyle {
    /// 1, KB, MB or GB.
    pub unit: u64,
    /// The unit's letters as written (`KB`, `kb`, `K`, `Mb`, empty for bytes).
    pub unit_text: String,
    /// Whitespace between number and unit (only log4j2 allows any).
    pub gap: String,
}

impl SizeStyle {
    /// Jira's own spelling (`20480KB`).
    pub fn jira_default() -> Self {
        SizeStyle {
            unit: KB,
            unit_text: "KB".into(),
            gap: String::new(),
        }
    }

    /// The style of `raw`, or Jira's default when `raw` is not a size.
    pub fn of(raw: &str) -> Self {
        let s = raw.trim();
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(s.len());
        let rest = &s[num_end..];
        let unit_text = rest.trim_start();
        let gap = &rest[..rest.len() - unit_text.len()];
        let unit = match unit_text.to_ascii_uppercase().as_str() {
            "" | "B" => 1,
            "K" | "KB" => KB,
            "M" | "MB" => MB,
            "G" | "GB" => GB,
            _ => return Self::jira_default(),
        };
        if num_end == 0 {
            return Self::jira_default();
        }
        SizeStyle {
            unit,
            unit_text: unit_text.to_string(),
            gap: gap.to_string(),
        }
    }

    /// `bytes` in this style. When the style's unit does not divide `bytes`, the
    /// largest unit that does is used (always a spelling log4j 1.x accepts).
    pub fn format(&self, bytes: u64, log4j1: bool) -> String {
        if self.unit > 1 && bytes.is_multiple_of(self.unit) {
            let mut unit_text = self.unit_text.clone();
            if log4j1 && unit_text.len() == 1 {
                // `20480K` is ignored by log4j 1.x: it needs the B.
                unit_text.push(if unit_text.chars().all(|c| c.is_ascii_lowercase()) {
                    'b'
                } else {
                    'B'
                });
            }
            let gap = if log4j1 { "" } else { self.gap.as_str() };
            return format!("{}{gap}{unit_text}", bytes / self.unit);
        }
        if self.unit == 1 && self.unit_text.is_empty() {
            return bytes.to_string();
        }
        let gap = if log4j1 { "" } else { self.gap.as_str() };
        let lower = self.unit_text.chars().all(|c| c.is_ascii_lowercase()) && self.unit > 1;
        let (n, u) = exact_unit(bytes);
        if u.is_empty() {
            return n.to_string();
        }
        let u = if lower {
            u.to_ascii_lowercase()
        } else {
            u.into()
        };
        format!("{n}{gap}{u}")
    }
}

fn exact_unit(bytes: u64) -> (u64, &'static str) {
    for (m, u) in [(GB, "GB"), (MB, "MB"), (KB, "KB")] {
        if bytes.is_multiple_of(m) && bytes >= m {
            return (bytes / m, u);
        }
    }
    (bytes, "")
}

/// A size for people and for command lines: the largest exact unit (`100MB`,
/// `20480KB` stays `20MB`), or plain bytes.
pub fn human_exact(bytes: u64) -> String {
    let (n, u) = exact_unit(bytes);
    format!("{n}{u}")
}

/// A backup count as typed by a person.
pub fn parse_count(raw: &str) -> Result<u32, String> {
    let n: u32 = raw.trim().parse().map_err(|_| {
        format!("invalid backup count '{raw}': write a whole number from 1 to {MAX_BACKUPS}")
    })?;
    if n == 0 || n > MAX_BACKUPS {
        return Err(format!(
            "invalid backup count '{raw}': write a whole number from 1 to {MAX_BACKUPS}"
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log4j1_is_strict_like_option_converter() {
        assert_eq!(parse_log4j1("20480KB"), Some(20480 * KB));
        assert_eq!(parse_log4j1("100mb"), Some(100 * MB));
        assert_eq!(parse_log4j1(" 1GB "), Some(GB));
        assert_eq!(parse_log4j1("5000"), Some(5000));
        assert_eq!(parse_log4j1("20480 KB"), None);
        assert_eq!(parse_log4j1("1.5GB"), None);
        assert_eq!(parse_log4j1("20480K"), None);
        assert_eq!(parse_log4j1("KB"), None);
    }

    #[test]
    fn log4j2_is_lenient_like_file_size() {
        assert_eq!(parse_log4j2("20480 KB"), Some(20480 * KB));
        assert_eq!(parse_log4j2("20MB"), Some(20 * MB));
        assert_eq!(parse_log4j2("0.5GB"), Some(GB / 2));
        assert_eq!(parse_log4j2("0,5 gb"), Some(GB / 2));
        assert_eq!(parse_log4j2("10 m"), Some(10 * MB));
        assert_eq!(parse_log4j2("12"), Some(12));
        assert_eq!(parse_log4j2("twelve"), None);
        assert_eq!(parse_log4j2("1 TB"), None);
    }

    #[test]
    fn user_sizes_accept_log4j_spellings_and_refuse_nonsense() {
        assert_eq!(parse_user("100MB"), Ok(100 * MB));
        assert_eq!(parse_user("1 GB"), Ok(GB));
        assert_eq!(parse_user("20480KB"), Ok(20480 * KB));
        assert_eq!(parse_user("2GiB"), Ok(2 * GB));
        assert!(parse_user("0MB").is_err());
        assert!(parse_user("-5MB").is_err());
        assert!(parse_user("lots").unwrap_err().contains("lots"));
        assert!(parse_user("5000GB").is_err());
    }

    #[test]
    fn formats_in_the_existing_style() {
        assert_eq!(SizeStyle::of("20480KB").format(100 * MB, true), "102400KB");
        assert_eq!(
            SizeStyle::of("20480 KB").format(100 * MB, false),
            "102400 KB"
        );
        assert_eq!(SizeStyle::of("20480 KB").format(100 * MB, true), "102400KB");
        assert_eq!(SizeStyle::of("20MB").format(GB, false), "1024MB");
        assert_eq!(
            SizeStyle::of("20mb").format(GB + 512 * KB, false),
            "1049088kb"
        );
        assert_eq!(SizeStyle::of("10M").format(GB, true), "1024MB");
        assert_eq!(SizeStyle::of("10M").format(GB, false), "1024M");
        assert_eq!(SizeStyle::of("10485760").format(GB, true), "1073741824");
        assert_eq!(SizeStyle::of("1GB").format(100 * MB, true), "100MB");
        assert_eq!(SizeStyle::of("1GB").format(100 * MB + 1, true), "104857601");
        assert_eq!(SizeStyle::of("garbage").format(100 * MB, true), "102400KB");
        for (style, n) in [("1GB", 3 * GB / 2), ("5 kb", 7 * KB), ("1", 99)] {
            let s = SizeStyle::of(style).format(n, true);
            assert_eq!(parse_log4j1(&s), Some(n), "{s}");
        }
    }

    #[test]
    fn counts_are_bounded() {
        assert_eq!(parse_count("20"), Ok(20));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-1").is_err());
        assert!(parse_count("1001").is_err());
        assert!(parse_count("ten").is_err());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_exact(20480 * KB), "20MB");
        assert_eq!(human_exact(1536 * MB), "1536MB");
        assert_eq!(human_exact(1000), "1000");
    }
}
