//! The REST resources of the simulated Jira outside the PAT plugin: serverInfo, myself,
//! mypermissions, search, project, issue, and the 500 answers with their stack traces.

use super::http::{Reply, Req};
use super::{Ctx, State, NOT_AUTHENTICATED};

use crate::accounts::{rest_date, SimUser};
use crate::pages::{self, enc};
use crate::Level;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// The groups a seeded user is in.
pub(super) fn groups_of(u: &SimUser) -> Vec<&'static str> {
    if u.jira_admin && !u.admin {
        return vec!["jira-administrators", "jira-software-users"];
    }
    if u.admin {
        vec![
            "jira-administrators",
            "jira-software-users",
            "jira-system-administrators",
        ]
    } else {
        vec!["jira-software-users"]
    }
}

/// A user as `/rest/api/2/myself` shows it.
pub(super) fn user_json(u: &SimUser) -> Value {
    json!({
        "self": format!("/rest/api/2/user?username={}", enc(&u.name)),
        "key": u.key,
        "name": u.name,
        "emailAddress": u.email,
        "displayName": u.display_name,
        "active": u.active,
        "timeZone": "Etc/UTC",
        "locale": "en_US",
    })
}

impl State {
    /// `mypermissions?permissions=SYSTEM_ADMIN,ADMINISTER`: global permissions of the caller.
    pub(super) fn my_permissions(&self, req: &Req, ctx: &Ctx) -> Reply {
        let admin = ctx.user.as_ref().is_some_and(|u| u.admin);
        let known = [
            ("SYSTEM_ADMIN", "44", "Jira System Administrators", admin),
            (
                "ADMINISTER",
                "0",
                "Jira Administrators",
                ctx.user.as_ref().is_some_and(|u| u.jira_admin),
            ),
            ("USE", "1", "Browse Users", ctx.user.is_some()),
        ];
        let wanted: Option<Vec<&str>> = req.param("permissions").map(|p| p.split(',').collect());
        let mut perms = serde_json::Map::new();
        for (key, id, name, have) in known {
            if wanted.as_ref().is_none_or(|w| w.contains(&key)) {
                perms.insert(
                    key.into(),
                    json!({"id": id, "key": key, "name": name, "type": "GLOBAL",
                           "description": name, "havePermission": have}),
                );
            }
        }
        Reply::json(200, json!({"permissions": perms}))
    }

    /// `GET /rest/api/2/cluster/nodes` (administrators): every node of the cluster with its
    /// state (jira-facts §3); a Jira that is not clustered has no nodes (`[]`).
    pub(super) fn cluster_nodes(&self, ctx: &Ctx) -> Reply {
        let Some(u) = &ctx.user else {
            return Reply::errors(401, NOT_AUTHENTICATED);
        };
        if !(u.admin || u.jira_admin) {
            return Reply::errors(
                403,
                "You do not have the permission to see the specified nodes.",
            );
        }
        if self.cfg.node_id.is_none() {
            return Reply::json(200, json!([]));
        }
        let rows: Vec<Value> = self
            .shared
            .members
            .lock()
            .unwrap()
            .iter()
            .map(|m| {
                let v: Vec<u32> = m
                    .version
                    .split('.')
                    .map(|p| p.parse().unwrap_or(0))
                    .collect();
                let num = |i: usize| v.get(i).copied().unwrap_or(0);
                json!({
                    "nodeId": m.node_id,
                    "state": m.state,
                    "alive": m.alive,
                    "ip": m.ip,
                    "cacheListenerPort": 40001,
                    "nodeBuildNumber": num(0) * 100_000 + num(1) * 1_000 + num(2),
                    "nodeVersion": m.version,
                    "lastStateChangeTimestamp": m.changed_ms,
                })
            })
            .collect();
        Reply::json(200, Value::Array(rows))
    }

    /// `GET /rest/api/2/myself` (`expand=groups` adds the groups), else 401.
    pub(super) fn myself(&self, req: &Req, ctx: &Ctx) -> Reply {
        let Some(u) = &ctx.user else {
            return Reply::errors(401, NOT_AUTHENTICATED);
        };
        let mut v = user_json(u);
        if req.param("expand").is_some_and(|e| e.contains("groups")) {
            let groups: Vec<Value> = groups_of(u).iter().map(|g| json!({"name": g})).collect();
            v["groups"] = json!({"size": groups.len(), "items": groups});
        }
        Reply::json(200, v)
    }

    /// `GET /rest/api/2/project`: two projects for a user, none for anonymous.
    pub(super) fn projects(&self, ctx: &Ctx) -> Reply {
        if self.cfg.noise {
            // Async plugin work logs on another thread but with the request's MDC.
            self.log_entry(
                "ThreadPoolAsyncTaskExecutor::Thread 39",
                Level::Warn,
                Some(&ctx.mdc),
                "com.atlassian.plugin.osgi.factory.OsgiPlugin",
                "Plugin 'com.example.sim.project-badges' took 1204 ms to answer a project listing",
                &[],
            );
        }
        match &ctx.user {
            Some(_) => Reply::json(
                200,
                json!([{"id": "10000", "key": "SCRUM", "name": "Scrum team"},
                       {"id": "10001", "key": "OPS", "name": "Operations"}]),
            ),
            None => Reply::json(200, json!([])),
        }
    }

    /// `GET /rest/api/2/serverInfo`: version, build number, deployment type.
    pub(super) fn server_info(&self) -> Reply {
        let v: Vec<u32> = self
            .cfg
            .version
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let num = |i: usize| v.get(i).copied().unwrap_or(0);
        let dc = self.data_center();
        Reply::json(
            200,
            json!({
                "baseUrl": format!("{}://127.0.0.1:{}{}", if self.tls {"https"} else {"http"}, self.public_addr.port(), self.context_path()),
                "version": self.cfg.version,
                "versionNumbers": v,
                "deploymentType": if dc { "DataCenter" } else { "Server" },
                "buildNumber": num(0) * 100_000 + num(1) * 1_000 + num(2),
                "buildDate": "2023-12-12T00:00:00.000+0000",
                "serverTime": rest_date(Timestamp::now()),
                "scmInfo": "simulated",
                "serverTitle": "Jira (simulated)"
            }),
        )
    }

    /// `/rest/api/2/search` (GET or POST): three issues for a user, none for anonymous; a slow-query line now and then.
    pub(super) fn search(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let jql = if req.method == "POST" {
            serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| v["jql"].as_str().map(String::from))
        } else {
            req.param("jql").map(String::from)
        }
        .unwrap_or_default();
        let n = self.counter.load(Ordering::SeqCst);
        if self.cfg.noise && n.is_multiple_of(5) {
            let msg = format!(
                "JQL query took {} ms: {}",
                800 + n % 700,
                if jql.is_empty() {
                    "ORDER BY created DESC"
                } else {
                    &jql
                }
            );
            self.log_entry(
                &self.busy_thread(req, ctx),
                Level::Info,
                Some(&ctx.mdc),
                "com.atlassian.jira.issue.search.providers.LuceneSearchProvider",
                &msg,
                &[],
            );
        }
        if ctx.user.is_none() {
            return Reply::json(
                200,
                json!({"startAt": 0, "maxResults": 50, "total": 0, "issues": []}),
            );
        }
        let issues: Vec<Value> = (1..=3)
            .map(|i| {
                json!({"id": (10000 + i).to_string(), "key": format!("SCRUM-{i}"),
                            "fields": {"summary": format!("Simulated issue {i}")}})
            })
            .collect();
        Reply::json(
            200,
            json!({"startAt": 0, "maxResults": 50, "total": issues.len(), "issues": issues}),
        )
    }

    /// `GET /rest/api/2/issue/KEY`: `SCRUM-1..20` exist, `BOOM-1` fails with a stack trace.
    pub(super) fn issue(&self, req: &Req, ctx: &mut Ctx) -> Reply {
        let key = req.path.trim_start_matches("/rest/api/2/issue/");
        if ctx.user.is_none() {
            return Reply::errors(401, NOT_AUTHENTICATED);
        }
        if key == "BOOM-1" {
            return self.server_error(req, ctx, "Simulated failure (issue BOOM-1)");
        }
        let n: Option<u32> = key.strip_prefix("SCRUM-").and_then(|n| n.parse().ok());
        match n {
            Some(n @ 1..=20) => Reply::json(
                200,
                json!({"id": (10000 + n).to_string(), "key": key,
                       "fields": {"summary": format!("Simulated issue {n}"), "status": {"name": "To Do"}}}),
            ),
            _ => {
                if self.cfg.noise {
                    self.log_entry(
                        &self.busy_thread(req, ctx),
                        Level::Warn,
                        Some(&ctx.mdc),
                        "com.atlassian.jira.rest.v2.issue.IssueResource",
                        &format!(
                            "Issue {key} does not exist or user has no permission\nrequested by {}",
                            ctx.mdc.ip
                        ),
                        &[],
                    );
                }
                Reply::errors(404, "Issue Does Not Exist")
            }
        }
    }

    /// A 500 with its ERROR line and stack trace in the log (JSON under `/rest/`, else a page).
    pub(super) fn server_error(&self, req: &Req, ctx: &Ctx, what: &str) -> Reply {
        let rest = req.path.starts_with("/rest/");
        let category = if rest {
            "com.atlassian.plugins.rest.common.error.jersey.ThrowableExceptionMapper"
        } else {
            "com.atlassian.jira.web.servlet.InternalServerErrorServlet"
        };
        let msg = if rest {
            "Uncaught exception thrown by REST service: ".to_string() + what
        } else {
            format!("Internal server error: {what}")
        };
        let trace: Vec<String> = [
            format!("java.lang.IllegalStateException: {what}"),
            "\tat com.atlassian.jira.sim.SimulatedFault.raise(SimulatedFault.java:42)".into(),
            "\tat com.atlassian.plugins.rest.module.RestDelegatingServletFilter.doFilter(RestDelegatingServletFilter.java:72)".into(),
            "\t... 51 filtered".into(),
            "\tat com.atlassian.pats.web.filter.TokenBasedAuthenticationFilter.doFilter(TokenBasedAuthenticationFilter.java:73)".into(),
            "\t... 12 filtered".into(),
            "Caused by: java.sql.SQLTransientConnectionException: Connection is not available, request timed out after 30000ms.".into(),
            "\t... 3 more".into(),
        ]
        .into();
        self.log_entry(
            &self.busy_thread(req, ctx),
            Level::Error,
            Some(&ctx.mdc),
            category,
            &msg,
            &trace,
        );
        if rest {
            Reply::errors(500, &msg)
        } else {
            Reply::html(500, pages::simple("Internal server error", "", &msg))
        }
    }

    /// Jira renames request threads while a plugin works on them (`... url: /x; user: y`).
    pub(super) fn busy_thread(&self, req: &Req, ctx: &Ctx) -> String {
        let who = ctx.user.as_ref().map_or("anonymous", |u| u.name.as_str());
        format!("{} url: {}; user: {who}", ctx.thread, req.path)
    }
}
