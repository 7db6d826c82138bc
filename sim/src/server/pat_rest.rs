//! The PAT plugin's REST resource of the simulated Jira, `/rest/pat/latest/tokens`: list,
//! create, get, revoke and the administrators' search (jira-facts §5).

use super::http::{Reply, Req};
use super::{Ctx, State, NOT_AUTHENTICATED};

use crate::accounts::{self, expiry_rest, now_micros, rest_date, token_dto, SimToken, SimUser};
use crate::loggers;
use crate::Level;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

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
                    return Reply::errors(404, "Token not found");
                };
                let mut tokens = self.shared.tokens.lock().unwrap();
                let Some(pos) = tokens
                    .iter()
                    .position(|t| t.id == id && t.user_key == user.key)
                else {
                    return Reply::errors(404, "Token not found");
                };
                match m {
                    "GET" => Reply::json(200, token_json(&tokens[pos])),
                    "DELETE" => {
                        tokens.remove(pos);
                        drop(tokens);
                        self.log(
                            ctx,
                            Level::Trace,
                            loggers::TOKEN_SERVICE,
                            &format!("Token deleted: [{id}]"),
                        );
                        Reply::no_content()
                    }
                    _ => Reply::errors(405, "Method not allowed"),
                }
            }
        }
    }

    /// `POST /rest/pat/latest/tokens/search` as the plugin serves it (jira-facts §5): System
    /// Administrators only (403), Data Center only (an invalid-licence error, guessed as 403
    /// with a message naming the licence), a valid `sortBy` in the JSON body (400 without
    /// one). Paging is guessed: `page` (from 0) and `limit` as query parameters or body
    /// fields, `limit` capped at [`SimConfig::token_search_max_page`]; the answer is
    /// `{values, page, size, isLastPage, totalPages}`. `lastAccessedAt` is what the batcher
    /// job last wrote, as in Jira's database.
    pub(super) fn search_tokens(&self, req: &Req, user: &SimUser) -> Reply {
        if !user.admin {
            return Reply::errors(403, "You are not a system administrator.");
        }
        if !self.data_center() {
            return Reply::errors(
                403,
                "Invalid license: searching all users' tokens requires a Data Center license.",
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        const SORTS: [&str; 5] = [
            "createdAt",
            "expiringAt",
            "lastAccessedAt",
            "name",
            "userKey",
        ];
        let Some(sort) = body["sortBy"].as_str().filter(|s| SORTS.contains(s)) else {
            return Reply::errors(
                400,
                &format!(
                    "Invalid sortBy value: {}. Valid values: {}",
                    body["sortBy"],
                    SORTS.join(", ")
                ),
            );
        };
        let number = |name: &str| {
            req.param(name)
                .and_then(|v| v.parse::<u64>().ok())
                .or_else(|| body[name].as_u64())
        };
        let page = number("page").unwrap_or(0) as usize;
        let limit = (number("limit").unwrap_or(50) as usize)
            .clamp(1, self.cfg.token_search_max_page.max(1));
        let mut tokens = self.shared.tokens.lock().unwrap().clone();
        tokens.sort_by(|a, b| {
            let by = match sort {
                "createdAt" => a.created_at.cmp(&b.created_at),
                "expiringAt" => a.expiring_at.cmp(&b.expiring_at),
                "lastAccessedAt" => a.last_accessed_at.cmp(&b.last_accessed_at),
                "name" => a.name.cmp(&b.name),
                _ => a.user_key.cmp(&b.user_key),
            };
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
            return Reply::errors(403, "Personal access token creation is disabled.");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::errors(
                400,
                "Request body must be JSON: {\"name\": ..., \"expirationDuration\": days}",
            );
        };
        let name = body["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() || name.chars().count() > 40 {
            return Reply::errors(400, "Token name must be between 1 and 40 characters.");
        }
        let days = body["expirationDuration"].as_i64();
        if days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Reply::errors(400, "Expiration must be between 1 and 365 days.");
        }
        let mut tokens = self.shared.tokens.lock().unwrap();
        if tokens.iter().filter(|t| t.user_key == user.key).count() >= 10 {
            return Reply::errors(400, "You have reached the maximum number of tokens (10).");
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
            &format!("Token saved: [{}]", token_dto(&t)),
        );
        let mut v = token_json(&t);
        v["rawToken"] = Value::String(t.raw.clone());
        Reply::json(201, v)
    }
}
