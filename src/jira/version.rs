//! Version numbers of Jira and Tomcat (`9.12.2`, `10.3.0-m0001`, `10.1.0-M1`, `11`), parsed
//! once and ordered: the one comparison the log4j switch (9.5), the `%D` unit (Tomcat 10.1,
//! Jira 11) and the wizard use.

use std::cmp::Ordering;
use std::fmt;

/// `major.minor.patch` with an optional pre-release suffix (`-m0001`, `-M1`, `-rc1`).
///
/// A missing minor or patch is 0; each part is its leading digits (`9.4.0a` is 9.4.0). A
/// pre-release sorts before its release (`10.3.0-m0001 < 10.3.0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    /// The first number.
    pub major: u64,
    /// The second number (0 when absent).
    pub minor: u64,
    /// The third number (0 when absent).
    pub patch: u64,
    /// What follows the first `-`, if anything (`m0001`).
    pub pre: Option<String>,
}

impl Version {
    /// Parse a version; `None` when it does not start with a number.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let (nums, pre) = match s.split_once('-') {
            Some((n, p)) => (n, Some(p.to_string()).filter(|p| !p.is_empty())),
            None => (s, None),
        };
        let mut parts = nums.split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// Whether this is `major.minor` or later (a pre-release of it counts as it).
    pub fn at_least(&self, major: u64, minor: u64) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn parses_releases_milestones_and_short_forms() {
        assert_eq!(
            (v("9.12.2").major, v("9.12.2").minor, v("9.12.2").patch),
            (9, 12, 2)
        );
        assert_eq!(v("10.3.0-m0001").pre.as_deref(), Some("m0001"));
        assert_eq!(v("11"), v("11.0.0"));
        assert_eq!(v(" 10.1.0-M1 ").to_string(), "10.1.0-M1");
        assert_eq!(Version::parse("x"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn orders_numerically_with_pre_releases_first() {
        assert!(v("9.12.2") > v("9.5.0"));
        assert!(v("9.4.8") < v("9.5"));
        assert!(v("10.3.0-m0001") < v("10.3.0"));
        assert!(v("10.3.0-m0001") < v("10.3.0-m0002"));
        assert!(v("10.3.0-m0001") > v("10.2.9"));
        assert!(v("10.3.0-m0001").at_least(10, 3));
        assert!(!v("9.4.8").at_least(9, 5));
        assert!(v("10.0.0").at_least(9, 5));
    }
}
