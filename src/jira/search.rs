//! Every personal access token of every user: `POST /rest/pat/latest/tokens/search`
//! (jira-facts §5), for System Administrators on Data Center only.
//!
//! Known: the search reads its JSON body only (query parameters are ignored) with defaults
//! `sortBy` name, `orderBy` asc, `page` 0, `limit` 100; the answer pages as `{values, page,
//! size, isLastPage, totalPages}`; someone who is no System Administrator gets 401 with
//! SAL's `AuthorisationException`; a Server licence an invalid-licence error (403). We ask
//! by creation date, oldest first (tokens made while we read go last, not between pages),
//! and take the next page number from the one Jira says it answered; ids already seen are
//! skipped, so a page served twice cannot double a token.

use super::pat::{is_authorisation_refusal, jira_message, PatError};
use super::{Client, JiraError};
use crate::untrusted::Untrusted;
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use std::collections::HashSet;

/// The path of the all-tokens search (POST, System Administrators on Data Center).
pub const TOKEN_SEARCH: &str = "/rest/pat/latest/tokens/search";

/// Tokens asked for per page.
pub const SEARCH_PAGE_SIZE: u32 = 100;

/// Pages read at most: 100 000 tokens, far beyond 10 per user on any real Jira, and a bound
/// against a server that never says `isLastPage`.
const MAX_PAGES: u32 = 1000;

/// One token as the search lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchedToken {
    /// The database row id (`TokenDTO.id`), not the 12-digit token id (REST never shows that).
    pub id: u64,
    /// The name its owner gave it.
    pub name: Untrusted,
    /// The owner's user key (`USER_KEY`), which may differ from the login name.
    pub user_key: Untrusted,
    /// Login name; `None` when Jira no longer knows the owner.
    pub username: Option<Untrusted>,
    /// Owner's display name; `None` when Jira no longer knows the owner.
    pub full_name: Option<Untrusted>,
    /// When it was created; `None` when Jira gave no date.
    pub created_at: Option<Timestamp>,
    /// Written by Jira in batches about once a minute: a use in the last minute or so may
    /// not show yet.
    pub last_accessed_at: Option<Timestamp>,
    /// `None`: never expires (Jira stores 9999-12-31) or no date given.
    pub expires_at: Option<Timestamp>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    values: Vec<Row>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    is_last_page: Option<bool>,
    #[serde(default)]
    total_pages: Option<i64>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    last_accessed_at: Option<String>,
    #[serde(default)]
    expiring_at: Option<String>,
    #[serde(default)]
    user_profile_resource: Option<Owner>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Owner {
    #[serde(default)]
    user_key: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
}

impl Client {
    /// Every token in Jira, all pages read. The plugin's 401 `AuthorisationException` (or a
    /// 403) is [`JiraError::TokenSearchForbidden`], the invalid-licence answer
    /// [`JiraError::ServerLicence`].
    pub fn search_tokens(&self) -> Result<Vec<SearchedToken>, JiraError> {
        self.search_tokens_paged(SEARCH_PAGE_SIZE)
    }

    /// [`Client::search_tokens`] asking for `limit` tokens a page.
    pub fn search_tokens_paged(&self, limit: u32) -> Result<Vec<SearchedToken>, JiraError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut page: i64 = 0;
        for _ in 0..MAX_PAGES {
            let body = serde_json::json!({
                "sortBy": "createdAt", "orderBy": "asc", "page": page, "limit": limit
            });
            let a = self
                .session_call(Method::POST, TOKEN_SEARCH, Some(body))
                .map_err(|e| match e {
                    PatError::Jira(e) => e,
                    other => JiraError::UnexpectedPage {
                        path: TOKEN_SEARCH.into(),
                        what: other.to_string(),
                    },
                })?;
            if !a.status.is_success() {
                return Err(self.search_refused(&a));
            }
            let p: Page = serde_json::from_str(&a.body).map_err(|e| JiraError::UnexpectedPage {
                path: TOKEN_SEARCH.into(),
                what: format!("not a page of tokens ({e})"),
            })?;
            let answered = p.page.unwrap_or(page);
            let mut new = 0;
            for r in p.values {
                if seen.insert(r.id) {
                    new += 1;
                    out.push(r.into_token());
                }
            }
            // `totalPages` is no stop sign while the numbering's base is unknown.
            let last = p.is_last_page.unwrap_or(false) || new == 0 || p.total_pages == Some(0);
            if last {
                return Ok(out);
            }
            page = answered.max(page) + 1;
        }
        Ok(out)
    }

    fn search_refused(&self, a: &super::Answer) -> JiraError {
        let message = jira_message(&a.body);
        let lower = message.to_ascii_lowercase();
        if lower.contains("licen") {
            return JiraError::ServerLicence {
                message: message.trim_end_matches('.').to_string(),
            };
        }
        let refused = a.status == StatusCode::FORBIDDEN
            || (a.status == StatusCode::UNAUTHORIZED && is_authorisation_refusal(&a.body));
        match a.status {
            _ if refused => {
                let user = self
                    .user()
                    .map(str::to_string)
                    .or_else(|| self.myself().ok().map(|m| m.name))
                    .unwrap_or_else(|| "this account".into());
                JiraError::TokenSearchForbidden { user }
            }
            StatusCode::UNAUTHORIZED => JiraError::AuthFailed {
                user: self.user().map(str::to_string),
            },
            s => JiraError::UnexpectedPage {
                path: TOKEN_SEARCH.into(),
                what: format!("HTTP {}: {message}", s.as_u16()),
            },
        }
    }
}

impl Row {
    fn into_token(self) -> SearchedToken {
        let owner = self.user_profile_resource.unwrap_or_default();
        SearchedToken {
            id: self.id,
            name: self.name.into(),
            user_key: owner.user_key.unwrap_or_default().into(),
            username: owner.username.map(Untrusted::new),
            full_name: owner.full_name.map(Untrusted::new),
            created_at: self.created_at.as_deref().and_then(rest_time),
            last_accessed_at: self.last_accessed_at.as_deref().and_then(rest_time),
            expires_at: self.expiring_at.as_deref().and_then(rest_time),
        }
    }
}

/// A REST date (`2022-10-11T14:51:57.933+0000`, or RFC 3339). The "never" expiry
/// (9999-12-31, beyond the range of dates handled here) and anything unreadable are `None`.
pub fn rest_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.starts_with("9999-") {
        return None;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    // `+0000` → `+00:00`.
    let n = s.len();
    if n > 5 && matches!(&s[n - 5..n - 4], "+" | "-") {
        let fixed = format!("{}:{}", &s[..n - 2], &s[n - 2..]);
        return fixed.parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_dates_in_jira_spelling_and_never() {
        let t = rest_time("2022-10-11T14:51:57.933+0000").unwrap();
        assert_eq!(t.to_string(), "2022-10-11T14:51:57.933Z");
        assert_eq!(
            rest_time("2022-10-11T16:51:57.933+0200"),
            Some(t),
            "offsets are honoured"
        );
        assert_eq!(rest_time("9999-12-31T00:00:00.000+0000"), None);
        assert_eq!(rest_time("tomorrow"), None);
    }
}
