//! Secrets (tokens, passwords) live in [`Secret`], whose `Debug` and `Display` never
//! show the value, so a stray `{:?}` or error message cannot leak it.

use std::fmt;

/// A token or password: `Debug` and `Display` print `<redacted>`; [`Secret::expose`] is the
/// only way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value; nothing prints it from here on, and its bytes are zeroed when dropped.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: call only where it is sent to Jira.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is the empty string (no secret given).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes so the value does not linger in freed memory.
        // SAFETY: zero bytes are valid UTF-8.
        unsafe { self.0.as_bytes_mut() }.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("NDU2Nzg5MDEyMzQ1OnNlY3JldA==");
        assert!(!format!("{s:?} {s}").contains("NDU2"));
        assert_eq!(s.expose(), "NDU2Nzg5MDEyMzQ1OnNlY3JldA==");
    }
}
