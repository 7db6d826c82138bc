//! The admin pages of the simulated Jira: permission then websudo checks, the logging
//! pages (view, configure) and the websudo form and its password POST; single sign-on
//! redirects.

use super::auth::{random_session_id, Session};
use super::http::{Reply, Req};
use super::{Ctx, State, Via};

use crate::pages::{self, enc};
use crate::Level;
use std::time::Instant;

/// Off to the identity provider, with where to come back to (and, like a real SAML
/// redirect, a request blob in the query).
pub(super) fn sso_redirect(target: &str, back_to: &str) -> Reply {
    Reply::redirect(&format!(
        "{target}?redirectTo={}&SAMLRequest=fZJNT8MwDIbvSPyHKPeu2xhIRGvRGCAm8VFtBSRuXmI2S23SxenG%2FvuVNdPgBfH",
        enc(back_to)
    ))
}

impl State {
    /// Permission, then websudo, then the action (which checks XSRF itself).
    pub(super) fn admin(
        &self,
        req: &Req,
        ctx: &mut Ctx,
        action: fn(&State, &Req, &mut Ctx) -> Reply,
    ) -> Reply {
        let is_admin = ctx.user.as_ref().is_some_and(|u| u.admin);
        if !is_admin {
            if ctx.user.as_ref().is_some_and(|u| u.jira_admin) {
                let t = self.xsrf_token(req, ctx);
                return Reply::html(200, pages::not_system_admin(&t));
            }
            if ctx.user.is_none() {
                if let Some(sso) = &self.cfg.sso_login {
                    return sso_redirect(sso, &req.path_and_query);
                }
            }
            if req.is_get() {
                return Reply::redirect(&format!(
                    "/login.jsp?permissionViolation=true&os_destination={}",
                    enc(&req.path_and_query)
                ));
            }
            let t = self.xsrf_token(req, ctx);
            let status = if ctx.user.is_some() { 403 } else { 401 };
            return Reply::html(status, pages::permission_violation(&t, ctx.user.is_some()));
        }
        if self.cfg.websudo && !self.has_websudo(ctx) {
            if let Some(sso) = &self.cfg.sso_websudo {
                return sso_redirect(sso, &req.path_and_query);
            }
            return Reply::redirect(&format!(
                "/secure/admin/WebSudoAuthenticate!default.jspa?webSudoDestination={}",
                enc(&req.path_and_query)
            ));
        }
        action(self, req, ctx)
    }

    /// `GET ConfigureLogging!default.jspa`: the form to set one logger's level.
    pub(super) fn configure_logging_form(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let t = self.xsrf_token(req, ctx);
        let logger = req.param("loggerName").unwrap_or("");
        Reply::html(200, pages::configure_logging_form(logger, &t, None))
    }

    /// `ViewLogging.jspa`: the levels table clients scrape.
    pub(super) fn view_logging(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let t = self.xsrf_token(req, ctx);
        let levels = self.levels.lock().unwrap().clone();
        Reply::html(200, pages::view_logging(&levels, &t))
    }

    /// `ConfigureLogging.jspa`: XSRF, then sets a level on every node (unknown names become DEBUG) and redirects to the page.
    pub(super) fn configure_logging(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if !self.xsrf_ok(req) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(403, pages::xsrf_error(&t));
        }
        let logger = req.param("loggerName").unwrap_or("").trim().to_string();
        let t = self.xsrf_token(req, ctx);
        if logger.is_empty() {
            return Reply::html(
                200,
                pages::configure_logging_form("", &t, Some("You must specify a logger name.")),
            );
        }
        let Some(level_name) = req.param("levelName") else {
            return Reply::html(200, pages::configure_logging_form(&logger, &t, None));
        };
        // Faithful gotcha: log4j's Level.toLevel(name, DEBUG).
        let level = level_name.parse::<Level>().unwrap_or(Level::Debug);
        let _open = self.shared.level_gate.read();
        self.set_level_everywhere(&logger, level);
        Reply::redirect("/secure/admin/ViewLogging.jspa")
    }

    /// The websudo password form (login first when anonymous; the IdP with SSO websudo).
    pub(super) fn websudo_form(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_websudo {
            return sso_redirect(sso, req.param("webSudoDestination").unwrap_or("/"));
        }
        if ctx.user.is_none() {
            return Reply::redirect(&format!(
                "/login.jsp?permissionViolation=true&os_destination={}",
                enc(&req.path_and_query)
            ));
        }
        let t = self.xsrf_token(req, ctx);
        let dest = req.param("webSudoDestination").unwrap_or("");
        Reply::html(200, pages::websudo_form(dest, &t, None))
    }

    /// The websudo password POST: on the right password a new session id with websudo until the timeout.
    pub(super) fn websudo_submit(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        if let Some(sso) = &self.cfg.sso_websudo {
            // The identity provider re-authenticates; a password here means nothing.
            return sso_redirect(sso, req.param("webSudoDestination").unwrap_or("/"));
        }
        let Some(user) = ctx.user.clone() else {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(401, pages::permission_violation(&t, false));
        };
        if !self.xsrf_ok(req) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(403, pages::xsrf_error(&t));
        }
        let dest = req.param("webSudoDestination").unwrap_or("").to_string();
        if req.param("webSudoPassword") != Some(user.password.as_str()) {
            let t = self.xsrf_token(req, ctx);
            return Reply::html(
                200,
                pages::websudo_form(
                    &dest,
                    &t,
                    Some("The password you entered is incorrect. Please try again."),
                ),
            );
        }
        if ctx.via != Via::Pat {
            // Websudo rotates the session id (session fixation defence).
            let mut sessions = self.sessions.lock().unwrap();
            if let Some(old) = &ctx.session {
                sessions.remove(old);
            }
            let id = random_session_id();
            sessions.insert(
                id.clone(),
                Session {
                    user: user.name.clone(),
                    websudo_until: Some(Instant::now() + self.cfg.websudo_timeout),
                },
            );
            drop(sessions);
            ctx.set_cookies
                .push(format!("JSESSIONID={id}{}; HttpOnly", self.cookie_attrs()));
            ctx.session = Some(id);
            ctx.via = Via::Session;
        }
        let target = if dest.starts_with('/') && !dest.starts_with("//") {
            dest
        } else {
            "/secure/admin/ViewApplicationProperties.jspa".to_string()
        };
        Reply::redirect(&target).with("X-Atlassian-WebSudo", "Has-Authentication")
    }
}
