//! Personal access tokens over REST (`/rest/pat/latest/tokens`, jira-facts §5) and the one
//! request the capture's self-check makes with a token, to find that request's lines in the
//! log by the `X-AREQUESTID` Jira answers with (jira-facts §7).
//!
//! Creating and revoking use the password session: creating a token with a token is not
//! known to work [U]. The probe is sent without our cookies: the PAT filter invalidates the
//! session of a token request, and it must not be the session websudo was passed with.

use super::{Body, Client, JiraError};
use crate::secret::Secret;
use reqwest::{Method, StatusCode};

const TOKENS: &str = "/rest/pat/latest/tokens";

/// Why Jira did not give us a token, or did not take one back.
#[derive(Debug, thiserror::Error)]
pub enum PatError {
    /// Jira answered, and said no (limit reached, creation disabled, no PAT plugin, ...).
    #[error("Jira refused to {action} a personal access token (HTTP {status}: {message})")]
    Refused {
        /// What was asked: `create`, `revoke` or `list`.
        action: &'static str,
        /// The HTTP status code.
        status: u16,
        /// Jira's first error message, or the words of an HTML error page, cut short.
        message: String,
    },
    /// Only a password session may create tokens here.
    #[error("a temporary personal access token needs a password login (JIRA_USER/JIRA_PASSWORD)")]
    NeedsPassword,
    /// The request itself failed (see [`JiraError`]).
    #[error(transparent)]
    Jira(#[from] JiraError),
}

/// A token made for the self-check. The secret leaves it only as a Bearer header.
#[derive(Debug)]
pub struct TempToken {
    /// The database row id (what REST shows and `DELETE` takes), not the token id.
    pub id: u64,
    /// The name it was created with.
    pub name: String,
    /// The token itself: sent only as `Authorization: Bearer`.
    pub raw: Secret,
}

/// What `DELETE /tokens/{id}` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// 2xx: the token is revoked now.
    Now,
    /// 404: revoked before, expired and pruned, or never there.
    AlreadyGone,
}

/// Jira's answer to the probe.
#[derive(Debug, Clone)]
pub struct ProbeAnswer {
    /// The HTTP status code.
    pub status: u16,
    /// `X-AREQUESTID`: the request id its log lines carry.
    pub request_id: Option<String>,
    /// `X-ANODEID`: the Data Center node that served it.
    pub node: Option<String>,
    /// `X-AUSERNAME`: `anonymous` when the token was not accepted.
    pub username: Option<String>,
}

/// `{"rawToken": ..., "id": ...}` of a created token (other fields unused).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    id: u64,
    raw_token: String,
}

#[derive(serde::Deserialize)]
struct Listed {
    id: u64,
    #[serde(default)]
    name: String,
}

impl Client {
    /// True when we log in with a personal access token (JIRA_TOKEN).
    pub fn has_token(&self) -> bool {
        self.creds.token.is_some()
    }

    /// The token id our own PAT encodes, when it is a well-formed PAT.
    pub fn own_token_id(&self) -> Option<String> {
        let t = self.creds.token.as_ref()?;
        crate::token::token_id(t.expose()).ok()
    }

    /// `POST /rest/pat/latest/tokens` with the password session. Sent once: a POST that
    /// creates a token is not idempotent, and a 5xx or a lost answer may still have made
    /// one (the caller journals the name first, so `restore` can revoke it).
    pub fn create_token(&self, name: &str, expiry_days: u32) -> Result<TempToken, PatError> {
        let body = serde_json::json!({ "name": name, "expirationDuration": expiry_days });
        let a = self.session_call_with(Method::POST, TOKENS, Some(body), 0)?;
        if a.status != StatusCode::CREATED && a.status != StatusCode::OK {
            return Err(refused("create", &a));
        }
        let c: Created = serde_json::from_str(&a.body).map_err(|e| {
            PatError::Jira(JiraError::UnexpectedPage {
                path: TOKENS.into(),
                what: format!("not the expected JSON with rawToken and id ({e})"),
            })
        })?;
        Ok(TempToken {
            id: c.id,
            name: name.to_string(),
            raw: Secret::new(c.raw_token),
        })
    }

    /// `DELETE /rest/pat/latest/tokens/{id}`. Safe to repeat: the plugin answers 204 whether
    /// the token was there or not (jira-facts §5); a 404 (another version) means gone too.
    pub fn revoke_token(&self, id: u64) -> Result<Revoked, PatError> {
        let path = format!("{TOKENS}/{id}");
        let a = self.session_call(Method::DELETE, &path, None)?;
        match a.status {
            s if s.is_success() => Ok(Revoked::Now),
            StatusCode::NOT_FOUND => Ok(Revoked::AlreadyGone),
            _ => Err(refused("revoke", &a)),
        }
    }

    /// The database ids of our own tokens called `name` (`GET /rest/pat/latest/tokens`).
    pub fn tokens_named(&self, name: &str) -> Result<Vec<u64>, PatError> {
        let a = self.session_call(Method::GET, TOKENS, None)?;
        if !a.status.is_success() {
            return Err(refused("list", &a));
        }
        let list: Vec<Listed> = serde_json::from_str(&a.body).map_err(|e| {
            PatError::Jira(JiraError::UnexpectedPage {
                path: TOKENS.into(),
                what: format!("not a JSON list of tokens ({e})"),
            })
        })?;
        Ok(list
            .into_iter()
            .filter(|t| t.name == name)
            .map(|t| t.id)
            .collect())
    }

    /// One `GET path` authenticated by `token` (our own PAT when `None`), sent once, without
    /// cookies. Any HTTP status is an answer; only no answer at all is an error.
    pub fn probe(&self, path: &str, token: Option<&Secret>) -> Result<ProbeAnswer, PatError> {
        let token = token
            .or(self.creds.token.as_ref())
            .ok_or(PatError::NeedsPassword)?;
        let started = std::time::Instant::now();
        let resp = self
            .bare
            .request(Method::GET, self.url(path))
            .bearer_auth(token.expose())
            .header("Accept", "application/json")
            .send()
            .map_err(|e| self.transport_error(&e, started))?;
        Ok(self.probe_answer(&resp))
    }

    /// A REST call on the password session, logging in again once if it expired. A PAT-only
    /// client sends its token instead (whether Jira lets a token manage tokens is [U]). The
    /// plugin's 401 for a missing permission (SAL's `AuthorisationException`) is answered as
    /// it came: logging in again would not change it.
    pub(super) fn session_call(
        &self,
        method: Method,
        path: &str,
        json: Option<serde_json::Value>,
    ) -> Result<super::Answer, PatError> {
        self.session_call_with(method, path, json, self.retries)
    }

    /// [`Client::session_call`] with at most `retries` retries on a 5xx or a lost answer.
    fn session_call_with(
        &self,
        method: Method,
        path: &str,
        json: Option<serde_json::Value>,
        retries: u32,
    ) -> Result<super::Answer, PatError> {
        let bearer = self.creds.password.is_none();
        if bearer && self.creds.token.is_none() {
            return Err(PatError::NeedsPassword);
        }
        for relogin in [false, true] {
            if !bearer {
                self.ensure_login(relogin)?;
            }
            let body = match &json {
                Some(v) => Body::Json(v.clone()),
                None => Body::None,
            };
            let a = self.send_retrying(method.clone(), path, body, bearer, retries)?;
            if a.status == StatusCode::UNAUTHORIZED
                && !bearer
                && !relogin
                && !is_authorisation_refusal(&a.body)
            {
                continue;
            }
            return Ok(a);
        }
        unreachable!("the loop returns")
    }
}

pub(super) fn refused(action: &'static str, a: &super::Answer) -> PatError {
    PatError::Refused {
        action,
        status: a.status.as_u16(),
        message: jira_message(&a.body),
    }
}

/// The PAT plugin's answer to a caller without the permission (jira-facts §5): 401 with
/// `{"exception": "com.atlassian.sal.api.permission.AuthorisationException", "error": ..}`.
/// Whether Jira's REST layer may answer such a 401 first in another shape is [U]: only this
/// body is taken for a missing permission.
pub(super) fn is_authorisation_refusal(body: &str) -> bool {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v["exception"]
        .as_str()
        .is_some_and(|e| e.ends_with("AuthorisationException"))
}

/// Jira's own words from an error body: the PAT plugin's `{exception, error}`, Jira's REST
/// `errorMessages`, or `message`; else a short excerpt of the page.
pub(super) fn jira_message(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let from_json = v["error"]
        .as_str()
        .filter(|m| !m.trim().is_empty())
        .or_else(|| {
            v["errorMessages"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|m| m.as_str())
        })
        .or_else(|| v["message"].as_str())
        .or_else(|| {
            // An exception without words: its class's own name says something.
            v["exception"]
                .as_str()
                .map(|e| e.rsplit('.').next().unwrap_or(e))
        })
        .map(str::to_string);
    let text = from_json.unwrap_or_else(|| {
        // An HTML error page: its words without the markup, cut short.
        let mut out = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    });
    let text: String = text.chars().take(200).collect();
    if text.is_empty() {
        "no reason given".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_messages_come_from_json_or_plain_text() {
        assert_eq!(
            jira_message(
                r#"{"errorMessages":["You have reached the maximum number of tokens (10)."],"errors":{}}"#
            ),
            "You have reached the maximum number of tokens (10)."
        );
        assert_eq!(jira_message(r#"{"message":"disabled"}"#), "disabled");
        let refusal = r#"{"exception":"com.atlassian.sal.api.permission.AuthorisationException","error":"Requesting user is unauthorized to perform this operation"}"#;
        assert_eq!(
            jira_message(refusal),
            "Requesting user is unauthorized to perform this operation"
        );
        assert!(is_authorisation_refusal(refusal));
        assert!(!is_authorisation_refusal(r#"{"errorMessages":["x"]}"#));
        assert!(!is_authorisation_refusal("<html>401</html>"));
        assert_eq!(
            jira_message(
                r#"{"exception":"com.atlassian.pats.exception.TokenLimitExceededException","error":""}"#
            ),
            "TokenLimitExceededException"
        );
        assert_eq!(
            jira_message("<html><title>Oops</title><p>Not found</p></html>"),
            "Oops Not found"
        );
        assert_eq!(jira_message(""), "no reason given");
    }
}
