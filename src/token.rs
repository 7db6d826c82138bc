//! What can be computed offline from a personal access token: its token id. A PAT is the
//! Base64 of 33 bytes, 12 ASCII digits (the `TOKEN_ID` column) + `:` + 20 random bytes
//! (jira-facts §5), so a script's owner can learn which id to look for in a report
//! without anyone querying the database.

use base64::Engine;

/// The name of the temporary token the capture's self-check makes (and revokes): not a
/// user's, so the inventory leaves it out.
pub const SELF_CHECK_NAME: &str = "jira-patrol self-check";

/// Why a string is no PAT; no variant holds the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Nothing given (empty after trimming and a `Bearer ` prefix).
    #[error("no token given: pipe it on standard input or set JIRA_TOKEN")]
    Empty,
    /// Not Base64 in the basic alphabet Jira decodes with.
    #[error("this is not a Jira personal access token: it is not Base64 (copy the whole token, 44 characters)")]
    NotBase64,
    /// URL-safe Base64 (`-`, `_`): Java's basic decoder, which Jira uses, refuses it.
    #[error("this is not a token Jira accepts: it holds '{0}', a URL-safe Base64 character that Jira's decoder refuses (it logs `Illegal base64 character {hex:x}`); Jira's own tokens use '+' and '/' instead: copy the token again as Jira showed it", hex = *.0 as u32)]
    UrlSafe(char),
    /// Decodes to this many bytes instead of 33.
    #[error("this is not a Jira personal access token: it decodes to {0} bytes, not 33 (copy the whole token, 44 characters)")]
    WrongLength(usize),
    /// The 33 bytes do not start with 12 ASCII digits and `:`.
    #[error("this is not a Jira personal access token: it does not start with a 12-digit token id and ':'")]
    NoTokenId,
}

/// The 12-digit token id a PAT encodes. The error never repeats the token.
pub fn token_id(pat: &str) -> Result<String, TokenError> {
    let pat = pat.trim();
    let pat = pat.strip_prefix("Bearer ").unwrap_or(pat).trim();
    if pat.is_empty() {
        return Err(TokenError::Empty);
    }
    // Jira decodes with Java's basic decoder (jira-facts §5): what it refuses, we refuse,
    // rather than print the id of a token that can never authenticate.
    if let Some(c) = pat.chars().find(|c| matches!(c, '-' | '_')) {
        return Err(TokenError::UrlSafe(c));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(pat)
        .map_err(|_| TokenError::NotBase64)?;
    if raw.len() != 33 {
        return Err(TokenError::WrongLength(raw.len()));
    }
    if raw[12] != b':' || !raw[..12].iter().all(u8::is_ascii_digit) {
        return Err(TokenError::NoTokenId);
    }
    Ok(String::from_utf8_lossy(&raw[..12]).into_owned())
}

/// Build a PAT string for a token id (the simulated Jira issues these).
pub fn encode(token_id: &str, secret: &[u8; 20]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.extend_from_slice(token_id.as_bytes());
    raw.push(b':');
    raw.extend_from_slice(secret);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_leading_zeros() {
        let pat = encode("012345678901", &[7u8; 20]);
        assert_eq!(pat.len(), 44);
        assert_eq!(token_id(&pat).unwrap(), "012345678901");
        assert_eq!(
            token_id(&format!("  Bearer {pat}\n")).unwrap(),
            "012345678901"
        );
    }

    #[test]
    fn malformed_tokens_get_clear_errors_without_echoing_them() {
        assert_eq!(token_id(""), Err(TokenError::Empty));
        assert_eq!(token_id("not base64!!"), Err(TokenError::NotBase64));
        assert_eq!(token_id("aGVsbG8="), Err(TokenError::WrongLength(5)));
        let bad = base64::engine::general_purpose::STANDARD.encode([b'a'; 33]);
        let e = token_id(&bad).unwrap_err();
        assert_eq!(e, TokenError::NoTokenId);
        assert!(!e.to_string().contains(&bad));
    }

    #[test]
    fn url_safe_base64_is_refused_as_jira_refuses_it() {
        // A secret whose encoding has '+' and '/': its URL-safe spelling has '-' and '_'.
        let pat = encode("355510638677", &[0xfb; 20]);
        assert!(pat.contains('+') || pat.contains('/'), "{pat}");
        let url_safe = pat.replace('+', "-").replace('/', "_");
        let e = token_id(&url_safe).unwrap_err();
        assert!(matches!(e, TokenError::UrlSafe('-' | '_')), "{e:?}");
        assert!(e.to_string().contains("Illegal base64 character 2"), "{e}");
        assert!(!e.to_string().contains(&url_safe));
        assert_eq!(token_id(&pat).unwrap(), "355510638677");
    }
}
