//! The PAT filter of the simulated Jira (`TokenBasedAuthenticationFilter`): Bearer tokens
//! checked with the plugin's log lines in its code order (jira-facts §2); a failing token
//! leaves the request anonymous.

use super::auth::random_session_id;
use super::http::{Reply, Req};
use super::{Ctx, State, Via};

use crate::accounts::{
    self, expiry_sql_in, java_instant, now_micros, token_dto_in, SimToken, SimUser,
};
use crate::Level;
use crate::{failures, loggers};
use jiff::Timestamp;

/// `Authorization: Bearer <token>` as the filter reads it: trimmed header starts with
/// `Bearer`, splits on spaces (runs collapse) into exactly two parts.
pub(super) fn bearer(req: &Req) -> Option<String> {
    let h = req.header("Authorization")?;
    if !h.trim().starts_with("Bearer") {
        return None;
    }
    let parts: Vec<&str> = h.split(' ').filter(|p| !p.is_empty()).collect();
    (parts.len() == 2).then(|| parts[1].to_string())
}

impl State {
    /// The PAT filter around the rest of the chain: its `>>>`/`<<<` lines, the token check and the throw-away session of a PAT request.
    pub(super) fn process(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        self.log(
            ctx,
            Level::Trace,
            loggers::FILTER,
            ">>> TokenBasedAuthenticationFilter.doFilter",
        );
        // The PAT filter: a failing token leaves the request anonymous, never answers 401.
        if let Some(token) = bearer(req) {
            if let Some(user) = self.pat_authenticate(ctx, &token) {
                ctx.user = Some(user);
                ctx.via = Via::Pat;
                ctx.session = Some(random_session_id());
            }
        }
        let reply = self.chain(req, ctx);
        if ctx.via == Via::Pat {
            if let Some(s) = &ctx.session {
                let msg = format!(
                    "Invalidating session authenticated using personal access token with an ID [{s}]"
                );
                self.log(ctx, Level::Trace, loggers::FILTER, &msg);
            }
        }
        self.log(
            ctx,
            Level::Trace,
            loggers::FILTER,
            "<<< TokenBasedAuthenticationFilter.doFilter",
        );
        reply
    }

    /// The PAT filter's work and log lines (jira-facts §2; pats-plugin 1.4.7 order).
    /// `DefaultTokenValidator` hashing a presented secret: logged both for a wrong secret
    /// and for the first check of a right one (the caching validator skips it after).
    pub(super) fn log_password_check(&self, ctx: &Ctx, token: &SimToken) {
        self.log(
            ctx,
            Level::Trace,
            loggers::VALIDATOR,
            &format!(
                "Using password encoder to see if tokens match with hashed token: [{}]",
                token.hashed
            ),
        );
    }

    /// Checks a bearer token as the plugin does, with its lines; the token's active owner, or `None` (the request goes on anonymous).
    pub(super) fn pat_authenticate(&self, ctx: &Ctx, raw: &str) -> Option<SimUser> {
        let fail = |msg: &str| {
            self.log(
                ctx,
                Level::Trace,
                loggers::FILTER,
                &format!("Auth failure: [{msg}]"),
            );
            None
        };
        let (token_id, _) = match accounts::decode_token(raw) {
            Ok(v) => v,
            Err(msg) => return fail(&msg),
        };
        self.log(
            ctx,
            Level::Trace,
            loggers::AUTH_SERVICE,
            &format!("Got tokenId: [{token_id}] from token"),
        );
        let now = Timestamp::now();
        let token = self
            .shared
            .tokens
            .lock()
            .unwrap()
            .iter()
            .find(|t| t.token_id == token_id && !t.is_expired(now))
            .cloned();
        let matches = token.as_ref().is_some_and(|t| t.raw == raw);
        if let Some(token) = token.as_ref().filter(|_| !matches) {
            // A wrong secret (pats-plugin 1.4.7): the password encoder's line, then the
            // failure. No TokenDTO, no DEBUG line (`Not a valid password!` is only for a
            // secret that cannot be decoded).
            self.log_password_check(ctx, token);
            return fail(&failures::hash_mismatch(&token.user_key, &token_id));
        }
        self.log(
            ctx,
            Level::Debug,
            loggers::ENRICHER,
            "Registering enum types for Querydsl",
        );
        let Some(token) = token else {
            return fail(&failures::unknown_or_expired(&token_id));
        };
        self.log(
            ctx,
            Level::Trace,
            loggers::CACHING_VALIDATOR,
            &format!("Verifying user token with hashed token: [{}]", token.hashed),
        );
        if !self.validated.lock().unwrap().contains(&token.id) {
            self.log_password_check(ctx, &token);
            self.validated.lock().unwrap().insert(token.id);
        }
        self.log(
            ctx,
            Level::Trace,
            loggers::AUTH_SERVICE,
            &format!(
                "Authentication successful - returning token: [{}]",
                token_dto_in(&token, self.jvm_offset())
            ),
        );
        self.log(
            ctx,
            Level::Debug,
            loggers::USER_PROVIDER,
            &format!("Looking for Jira user with key: [{}]", token.user_key),
        );
        let Some(user) = self
            .users
            .iter()
            .find(|u| u.key == token.user_key && u.active)
            .cloned()
        else {
            return fail(&failures::inactive_user(&token.user_key));
        };
        let expiry = expiry_sql_in(token.expiring_at, self.jvm_offset());
        let success = if self.cfg.reworded_success {
            crate::reworded_success(&token.user_key, &token.token_id, &expiry)
        } else {
            format!(
                "Auth SUCCESS for user: [{}] and tokenId: [{}] and expiry:[{expiry}]",
                token.user_key, token.token_id
            )
        };
        self.log(ctx, Level::Trace, loggers::FILTER, &success);
        let at = now_micros();
        self.pending_access.lock().unwrap().insert(token.id, at);
        self.log(
            ctx,
            Level::Trace,
            loggers::BATCH,
            &format!(
                "Storing auth time: [{}] for tokenId: [{}]",
                java_instant(at),
                token.id
            ),
        );
        Some(user)
    }
}
