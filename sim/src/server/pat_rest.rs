//! The PAT plugin's REST resource of the simulated Jira, `/rest/pat/latest/tokens`: list,
//! create, get, revoke and the administrators' search (jira-facts §5).

use super::http::{Reply, Req};
use super::{Ctx, State, NOT_AUTHENTICATED};

use crate::accounts::{self, expiry_rest, now_micros, rest_date, token_dto_in, SimToken, SimUser};
use crate::loggers;
use crate::Level;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// The plugin's error bodies `{exception, error}` (jira-facts §5): the class of the
/// exception its mapper answered. SAL's `AuthorisationException` and its message are the
/// plugin's; the other class names are guessed (the statuses are not).
mod errors {
    /// Not a System Administrator: 401, whatever the password.
    pub const AUTHORISATION: &str = "com.atlassian.sal.api.permission.AuthorisationException";
    /// Its message.
    pub const UNAUTHORISED: &str = "Requesting user is unauthorized to perform this operation";
    /// A Server licence asking for every user's tokens: 403.
    pub const LICENCE: &str = "com.atlassian.pats.exception.InvalidLicenseException";
    /// Ten tokens already: 403.
    pub const TOKEN_LIMIT: &str = "com.atlassian.pats.exception.TokenLimitExceededException";
    /// Token creation switched off: 403.
    pub const FORBIDDEN: &str = "com.atlassian.pats.exception.PermissionException";
    /// Bad sort, dates or arguments: 400.
    pub const BAD_ARGUMENT: &str = "java.lang.IllegalArgumentException";
    /// No such token of the caller: 404.
    pub const NOT_FOUND: &str = "com.atlassian.pats.exception.TokenNotFoundException";
}

/// A token as REST shows it (no secret, no token id).
pub(super) fn token_json(t: &SimToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "createdAt": rest_date(t.created_at),
        "lastAccessedAt": t.last_accessed_at.map(rest_date),
        "expiringAt": expiry_rest(t.expiring_at),
    })
}

impl State {
    /// `/rest/pat/latest/tokens[/...]`: the caller's tokens (list, create, get, revoke) or the search.
    pub(super) fn pat_rest(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let Some(user) = ctx.user.clone() else {
            return Reply::errors(401, NOT_AUTHENTICATED);
        };
        let rest = req.path.trim_start_matches("/rest/pat/latest/tokens");
        let rest = rest.trim_start_matches('/');
        match (req.method.as_str(), rest) {
            ("GET", "") => {
                let list: Vec<Value> = self
                    .shared
                    .tokens
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|t| t.user_key == user.key)
                    .map(token_json)
                    .collect();
                Reply::json(200, Value::Array(list))
            }
            ("POST", "") => self.create_token(req, ctx, &user),
            ("POST", "search") => self.search_tokens(req, &user),
            (m, id) => {
                let Ok(id) = id.parse::<u64>() else {
                    return Reply::pat_error(404, errors::NOT_FOUND, "Token not found");
                };
                let mut tokens = self.shared.tokens.lock().unwrap();
                let pos = tokens
                    .iter()
                    .position(|t| t.id == id && t.user_key == user.key);
                match (m, pos) {
                    ("GET", Some(pos)) => Reply::json(200, token_json(&tokens[pos])),
                    ("GET", None) => Reply::pat_error(404, errors::NOT_FOUND, "Token not found"),
                    // The plugin deletes by id and owner and answers 204 whether a row went
                    // or not (jira-facts §5).
                    ("DELETE", pos) => {
                        if let Some(pos) = pos {
                            tokens.remove(pos);
                            drop(tokens);
                            self.log(
                                ctx,
                                Level::Trace,
                                loggers::TOKEN_SERVICE,
                                &format!("Token deleted: [{id}]"),
                            );
                        }
                        Reply::no_content()
                    }
                    _ => Reply::errors(405, "Method not allowed"),
                }
            }
        }
    }

    /// `POST /rest/pat/latest/tokens/search` as the plugin serves it (jira-facts §5): System
    /// Administrators only (401 with SAL's `AuthorisationException`), Data Center only (an
    /// invalid-licence error, 403; its class and words are guessed). It reads its JSON body
    /// only, query parameters are ignored: `sortBy` (createdAt, expiringAt, lastAccessedAt,
    /// name, userKey; default name), `orderBy` (asc, desc; default asc), `page` (from 0) and
    /// `limit` (default 100, capped at [`SimConfig::token_search_max_page`]); anything else
    /// there is a 400. The answer is `{values, page, size, isLastPage, totalPages}`.
    /// `lastAccessedAt` is what the batcher job last wrote, as in Jira's database.
    pub(super) fn search_tokens(&self, req: &Req, user: &SimUser) -> Reply {
        if !user.admin {
            return Reply::pat_error(401, errors::AUTHORISATION, errors::UNAUTHORISED);
        }
        if !self.data_center() {
            return Reply::pat_error(
                403,
                errors::LICENCE,
                "Invalid license: searching all users' tokens requires a Data Center license.",
            );
        }
        let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return Reply::pat_error(
                        400,
                        errors::BAD_ARGUMENT,
                        "The request body must be a JSON object.",
                    )
                }
            }
        };
        const SORTS: [&str; 5] = [
            "createdAt",
            "expiringAt",
            "lastAccessedAt",
            "name",
            "userKey",
        ];
        let sort = match &body["sortBy"] {
            Value::Null => "name",
            v => match v.as_str().filter(|s| SORTS.contains(s)) {
                Some(s) => s,
                None => {
                    return Reply::pat_error(
                        400,
                        errors::BAD_ARGUMENT,
                        &format!(
                            "Invalid sortBy value: {v}. Valid values: {}",
                            SORTS.join(", ")
                        ),
                    )
                }
            },
        };
        let descending = match &body["orderBy"] {
            Value::Null => false,
            v => match v.as_str() {
                Some("asc") => false,
                Some("desc") => true,
                _ => {
                    return Reply::pat_error(
                        400,
                        errors::BAD_ARGUMENT,
                        &format!("Invalid orderBy value: {v}. Valid values: asc, desc"),
                    )
                }
            },
        };
        let number = |name: &str, default: u64| match &body[name] {
            Value::Null => Some(default),
            v => v.as_u64(),
        };
        let (Some(page), Some(limit)) = (number("page", 0), number("limit", 100)) else {
            return Reply::pat_error(
                400,
                errors::BAD_ARGUMENT,
                "page and limit must be whole numbers from 0",
            );
        };
        let page = page as usize;
        let limit = (limit as usize).clamp(1, self.cfg.token_search_max_page.max(1));
        let mut tokens = self.shared.tokens.lock().unwrap().clone();
        tokens.sort_by(|a, b| {
            let by = match sort {
                "createdAt" => a.created_at.cmp(&b.created_at),
                "expiringAt" => a.expiring_at.cmp(&b.expiring_at),
                "lastAccessedAt" => a.last_accessed_at.cmp(&b.last_accessed_at),
                "name" => a.name.cmp(&b.name),
                _ => a.user_key.cmp(&b.user_key),
            };
            let by = if descending { by.reverse() } else { by };
            by.then(a.id.cmp(&b.id))
        });
        let total_pages = tokens.len().div_ceil(limit);
        let values: Vec<Value> = tokens
            .iter()
            .skip(page.saturating_mul(limit))
            .take(limit)
            .map(|t| {
                let mut v = token_json(t);
                let owner = self.users.iter().find(|u| u.key == t.user_key);
                v["userProfileResource"] = json!({
                    "userKey": t.user_key,
                    "username": owner.map(|u| u.name.clone()),
                    "fullName": owner.map(|u| u.display_name.clone()),
                    "email": owner.map(|u| u.email.clone()),
                });
                v
            })
            .collect();
        Reply::json(
            200,
            json!({"values": values, "page": page, "size": limit,
                   "isLastPage": page + 1 >= total_pages, "totalPages": total_pages}),
        )
    }

    /// `POST /rest/pat/latest/tokens`: a new token for the caller (name 1-40 characters, 1-365 days, at most 10), its secret shown once.
    pub(super) fn create_token(&self, req: &Req, ctx: &mut Ctx, user: &SimUser) -> Reply {
        if !self.cfg.token_creation {
            return Reply::pat_error(
                403,
                errors::FORBIDDEN,
                "Personal access token creation is disabled.",
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::pat_error(
                400,
                errors::BAD_ARGUMENT,
                "Request body must be JSON: {\"name\": ..., \"expirationDuration\": days}",
            );
        };
        let name = body["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() || name.chars().count() > 40 {
            return Reply::pat_error(
                400,
                errors::BAD_ARGUMENT,
                "Token name must be between 1 and 40 characters.",
            );
        }
        let days = body["expirationDuration"].as_i64();
        if days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Reply::pat_error(
                400,
                errors::BAD_ARGUMENT,
                "Expiration must be between 1 and 365 days.",
            );
        }
        let mut tokens = self.shared.tokens.lock().unwrap();
        if tokens.iter().filter(|t| t.user_key == user.key).count() >= 10 {
            return Reply::pat_error(
                403,
                errors::TOKEN_LIMIT,
                "You have reached the maximum number of tokens (10).",
            );
        }
        let token_id = loop {
            let id = accounts::random_token_id();
            if !tokens.iter().any(|t| t.token_id == id) {
                break id;
            }
        };
        let secret = accounts::random_bytes::<20>();
        let now = now_micros();
        let t = SimToken {
            id: self.shared.next_row.fetch_add(1, Ordering::SeqCst),
            raw: accounts::encode_token(&token_id, &secret),
            hashed: accounts::fake_hash(&secret),
            token_id,
            user_key: user.key.clone(),
            owner: user.name.clone(),
            name,
            created_at: now,
            last_accessed_at: None,
            expiring_at: days.map(|d| now + jiff::SignedDuration::from_hours(24 * d)),
        };
        tokens.push(t.clone());
        drop(tokens);
        self.log(
            ctx,
            Level::Trace,
            loggers::TOKEN_SERVICE,
            &format!("Token saved: [{}]", token_dto_in(&t, self.jvm_offset())),
        );
        let mut v = token_json(&t);
        v["rawToken"] = Value::String(t.raw.clone());
        Reply::json(201, v)
    }
}
