//! Recognise the PAT plugin's log messages (jira-facts §2, pats-plugin 1.4.7) in a parsed
//! line. Only classes of `com.atlassian.pats` are considered, whatever the message says.
//!
//! Traps kept apart on purpose: `Storing auth time ... for tokenId: [2]` carries the
//! database row id (read as such, never as a token id) and `Invalidating session ... with
//! an ID [...]` a session id. Hashed tokens are never extracted.

/// A PAT class, judged from the (possibly `%q{2}`-abbreviated) category.
pub fn is_pat_category(cat: &[u8]) -> bool {
    find(cat, b"pats.").is_some()
        || cat.ends_with(b"web.filter.TokenBasedAuthenticationFilter")
        || find(cat, b"web.filter.LastAccessedTimeBatcher").is_some()
}

/// Substring search for the short haystacks of one line. `memchr::memmem::find` builds a
/// searcher on every call, which costs more than the search itself here.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(first, &hay[pos..]) {
        let at = pos + i;
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// Like [`find`], from the right.
pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut end = hay.len();
    while let Some(at) = memchr::memrchr(first, &hay[..end]) {
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        end = at;
    }
    None
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// What a PAT plugin message says.
pub enum PatMessage<'a> {
    /// `Got tokenId: [..] from token` — a token was presented; not yet verified.
    GotTokenId(&'a [u8]),
    /// `Authentication successful - returning token: [TokenDTO(..)]`.
    TokenDto(TokenDto<'a>),
    /// `Auth SUCCESS for user: [..] and tokenId: [..] and expiry:[..]` — proof of use.
    AuthSuccess {
        /// The owner's user key.
        user_key: &'a [u8],
        /// The 12-digit token id.
        token_id: &'a [u8],
        /// The expiry, as logged.
        expiry: &'a [u8],
    },
    /// `Auth failure: [..]` — the reason text (may name the token id or user).
    AuthFailure(&'a [u8]),
    /// `Not a valid password! - error: [..]` — the secret could not be decoded at all (a
    /// plain mismatch logs no such line).
    InvalidPassword,
    /// `Looking for Jira user with key: [..]` — all DEBUG shows: a user, no token.
    LookingForUser(&'a [u8]),
    /// `Storing auth time: [..] for tokenId: [N]` — despite its words, N is the database
    /// row id of the request's token (`TokenDTO.id`, what REST shows), not its token id.
    AuthTimeStored(u64),
    /// `<<< TokenBasedAuthenticationFilter.doFilter` — the filter is done with a request.
    FilterEnd,
    /// Any other PAT message (`>>>`, validator traces, batching, the traps above).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
/// The fields of a `TokenDTO(...)` message, as logged.
pub struct TokenDto<'a> {
    /// The database row id (`id=`): the key REST's token search shows (jira-facts §5).
    pub id: &'a [u8],
    /// The owner's user key.
    pub user_key: &'a [u8],
    /// The 12-digit token id.
    pub token_id: &'a [u8],
    /// The token's name.
    pub name: &'a [u8],
    /// Creation time, as the database prints it.
    pub created_at: &'a [u8],
    /// Last recorded use, as logged.
    pub last_accessed_at: &'a [u8],
    /// Expiry, as logged (`9999-...` for never).
    pub expiring_at: &'a [u8],
}

/// Classify the message of a PAT class's line.
pub fn classify(msg: &[u8]) -> PatMessage<'_> {
    if let Some(rest) = msg.strip_prefix(b"Got tokenId: [") {
        if let Some(id) = bracketed(rest).filter(|id| is_token_id(id)) {
            return PatMessage::GotTokenId(id);
        }
    } else if let Some(rest) = msg.strip_prefix(b"Auth SUCCESS for user: [") {
        return parse_auth_success(rest).unwrap_or(PatMessage::Other);
    } else if let Some(rest) = msg.strip_prefix(b"Auth failure: [") {
        return PatMessage::AuthFailure(rest.strip_suffix(b"]").unwrap_or(rest));
    } else if let Some(rest) =
        msg.strip_prefix(b"Authentication successful - returning token: [TokenDTO(")
    {
        return parse_dto(rest).map_or(PatMessage::Other, PatMessage::TokenDto);
    } else if let Some(rest) = msg.strip_prefix(b"Looking for Jira user with key: [") {
        if let Some(k) = bracketed(rest) {
            return PatMessage::LookingForUser(k);
        }
    } else if msg.starts_with(b"<<< TokenBasedAuthenticationFilter.doFilter") {
        return PatMessage::FilterEnd;
    } else if let Some(rest) = msg.strip_prefix(b"Storing auth time: [") {
        if let Some(id) = rfind(rest, b"] for tokenId: [")
            .and_then(|i| rest[i + 16..].strip_suffix(b"]"))
            .and_then(|id| std::str::from_utf8(id).ok())
            .and_then(|id| id.parse().ok())
        {
            return PatMessage::AuthTimeStored(id);
        }
    } else if msg.starts_with(b"Not a valid password!") {
        return PatMessage::InvalidPassword;
    }
    PatMessage::Other
}

/// Token ids are the 12 ASCII digits at the start of a PAT (jira-facts §5); accept any
/// run of digits so an unexpected width is still reported rather than dropped.
pub fn is_token_id(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 20 && b.iter().all(u8::is_ascii_digit)
}

/// The text up to the last `]` (values may contain `]` themselves).
fn bracketed(rest: &[u8]) -> Option<&[u8]> {
    let end = memchr::memrchr(b']', rest)?;
    Some(&rest[..end])
}

fn parse_auth_success(rest: &[u8]) -> Option<PatMessage<'_>> {
    // `<user>] and tokenId: [<id>] and expiry:[<expiry>]`, parsed from the right because
    // a user key is free text.
    let e = rfind(rest, b"] and expiry:[")?;
    let expiry = rest[e + 14..].strip_suffix(b"]").unwrap_or(&rest[e + 14..]);
    let head = &rest[..e];
    let t = rfind(head, b"] and tokenId: [")?;
    let token_id = &head[t + 16..];
    if !is_token_id(token_id) {
        return None;
    }
    Some(PatMessage::AuthSuccess {
        user_key: &head[..t],
        token_id,
        expiry,
    })
}

/// `id=2, userKey=admin, hashedToken=.., tokenId=355510638677, name=test, createdAt=..,
/// lastAccessedAt=.., expiringAt=.., notificationState=NOT_SENT)]`. The name is free text
/// (`, `, `=`, `(`, `)` allowed), so the fields after it are found from the right, where
/// every value is machine-made.
fn parse_dto(rest: &[u8]) -> Option<TokenDto<'_>> {
    let body = rest.strip_suffix(b")]").unwrap_or(rest);
    let ns = rfind(body, b", notificationState=")?;
    let body = &body[..ns];
    let ex = rfind(body, b", expiringAt=")?;
    let expiring_at = &body[ex + 13..];
    let body = &body[..ex];
    let la = rfind(body, b", lastAccessedAt=")?;
    let last_accessed_at = &body[la + 17..];
    let body = &body[..la];
    let ca = rfind(body, b", createdAt=")?;
    let created_at = &body[ca + 12..];
    let body = &body[..ca];
    let uk = find(body, b", userKey=")? + 10;
    // `id=` comes first and is machine-made; a missing or odd one leaves it empty.
    let id = body[..uk - 10]
        .strip_prefix(b"id=")
        .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
        .unwrap_or_default();
    let hs = uk + find(&body[uk..], b", hashedToken=")?;
    let user_key = &body[uk..hs];
    let ti = hs + find(&body[hs..], b", tokenId=")? + 10;
    let nm = ti + find(&body[ti..], b", name=")?;
    let token_id = &body[ti..nm];
    if !is_token_id(token_id) {
        return None;
    }
    Some(TokenDto {
        id,
        user_key,
        token_id,
        name: &body[nm + 7..],
        created_at,
        last_accessed_at,
        expiring_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_kb_messages() {
        assert_eq!(
            classify(b"Got tokenId: [355510638677] from token"),
            PatMessage::GotTokenId(b"355510638677")
        );
        assert_eq!(
            classify(b"Auth SUCCESS for user: [admin] and tokenId: [355510638677] and expiry:[2023-01-09 14:51:57.933]"),
            PatMessage::AuthSuccess {
                user_key: b"admin",
                token_id: b"355510638677",
                expiry: b"2023-01-09 14:51:57.933"
            }
        );
        assert_eq!(
            classify(b"Looking for Jira user with key: [JIRAUSER10100]"),
            PatMessage::LookingForUser(b"JIRAUSER10100")
        );
        assert_eq!(
            classify(b"<<< TokenBasedAuthenticationFilter.doFilter"),
            PatMessage::FilterEnd
        );
        assert_eq!(
            classify(b">>> TokenBasedAuthenticationFilter.doFilter"),
            PatMessage::Other
        );
    }

    #[test]
    fn traps_are_not_tokens() {
        assert_eq!(
            classify(b"Storing auth time: [2022-10-11T15:04:09.233632Z] for tokenId: [2]"),
            PatMessage::AuthTimeStored(2),
            "a database id, never a token id"
        );
        assert_eq!(
            classify(b"Storing auth time: [2022-10-11T15:04:09.233632Z] for tokenId: [x]"),
            PatMessage::Other
        );
        assert_eq!(
            classify(b"Invalidating session authenticated using personal access token with an ID [D290B8011EF91064B5130DBA90E86102]"),
            PatMessage::Other
        );
        assert_eq!(
            classify(b"Got tokenId: [abc] from token"),
            PatMessage::Other
        );
    }

    #[test]
    fn token_dto_with_a_hostile_name() {
        let m = b"Authentication successful - returning token: [TokenDTO(id=2, userKey=admin, hashedToken={PKCS5S2}iOmg/bw0d, tokenId=012345678901, name=ci, deploy (prod)=1, createdAt=x \xc3\xa9), createdAt=2022-10-11 14:51:57.933, lastAccessedAt=null, expiringAt=2023-01-09 14:51:57.933, notificationState=NOT_SENT)]";
        let PatMessage::TokenDto(d) = classify(m) else {
            panic!("not a dto")
        };
        assert_eq!(d.token_id, b"012345678901");
        assert_eq!(d.id, b"2");
        assert_eq!(d.user_key, b"admin");
        assert_eq!(d.name, "ci, deploy (prod)=1, createdAt=x é)".as_bytes());
        assert_eq!(d.created_at, b"2022-10-11 14:51:57.933");
        assert_eq!(d.last_accessed_at, b"null");
        assert_eq!(d.expiring_at, b"2023-01-09 14:51:57.933");
    }

    #[test]
    fn categories() {
        assert!(is_pat_category(
            b"c.a.pats.service.DefaultTokenAuthenticationService"
        ));
        assert!(is_pat_category(
            b"c.a.p.web.filter.TokenBasedAuthenticationFilter"
        ));
        assert!(is_pat_category(
            b"c.a.p.web.filter.LastAccessedTimeBatcher$TokenBatch"
        ));
        assert!(is_pat_category(
            b"com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter"
        ));
        assert!(!is_pat_category(b"c.a.p.osgi.factory.OsgiPlugin"));
    }
}
