//! The simulated Jira's HTTP behaviour, driven over real HTTP: login, cookies, XSRF,
//! websudo, permission answers, the logging page, PAT and Basic auth answers, TLS.

mod common;

use jira_sim::Level;
use jira_sim::{SimConfig, SimJira, TlsIdentity};
use reqwest::blocking::{Client, Response};
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::time::Duration;

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookies(h: &HeaderMap) -> HashMap<String, String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| {
            let s = v.to_str().ok()?;
            let (nv, _) = s.split_once(';').unwrap_or((s, ""));
            let (n, v) = nv.split_once('=')?;
            Some((n.to_string(), v.to_string()))
        })
        .collect()
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// A browser-like session: cookies kept by hand so each step is visible.
struct Session<'a> {
    sim: &'a SimJira,
    c: Client,
    jsession: String,
    xsrf: String,
}

impl<'a> Session<'a> {
    fn login(sim: &'a SimJira, user: &str, password: &str) -> Session<'a> {
        let c = client();
        let r = c
            .post(format!("{}/rest/auth/1/session", sim.url()))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let ck = set_cookies(r.headers());
        Session {
            sim,
            c,
            jsession: ck["JSESSIONID"].clone(),
            xsrf: ck["atlassian.xsrf.token"].clone(),
        }
    }

    fn cookie(&self) -> String {
        format!(
            "JSESSIONID={}; atlassian.xsrf.token={}",
            self.jsession, self.xsrf
        )
    }

    fn get(&self, path: &str) -> Response {
        self.c
            .get(format!("{}{path}", self.sim.url()))
            .header("Cookie", self.cookie())
            .send()
            .unwrap()
    }

    fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.c
            .post(format!("{}{path}", self.sim.url()))
            .header("Cookie", self.cookie())
            .form(form)
            .send()
            .unwrap()
    }

    fn websudo(&mut self, password: &str) -> Response {
        let xsrf = self.xsrf.clone();
        let r = self.post_form(
            "/secure/admin/WebSudoAuthenticate.jspa",
            &[
                ("webSudoPassword", password),
                ("webSudoDestination", "/secure/admin/ViewLogging.jspa"),
                ("webSudoIsPost", "false"),
                ("atl_token", &xsrf),
            ],
        );
        if let Some(id) = set_cookies(r.headers()).get("JSESSIONID") {
            self.jsession = id.clone();
        }
        r
    }
}

#[test]
fn login_sets_session_and_xsrf_cookies_and_bad_credentials_get_401() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let s = Session::login(&sim, "admin", "admin");
    assert_eq!(s.jsession.len(), 32);
    assert!(s.xsrf.ends_with("_lin"), "{}", s.xsrf);
    let me: serde_json::Value = s.get("/rest/api/2/myself").json().unwrap();
    assert_eq!(me["name"], "admin");

    let r = client()
        .post(format!("{}/rest/auth/1/session", sim.url()))
        .json(&serde_json::json!({"username": "admin", "password": "nope"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "X-Seraph-LoginReason").as_deref(),
        Some("AUTHENTICATED_FAILED")
    );
    assert!(!set_cookies(r.headers()).contains_key("JSESSIONID"));
    // An inactive user cannot log in either.
    let r = client()
        .post(format!("{}/rest/auth/1/session", sim.url()))
        .json(&serde_json::json!({"username": "gone", "password": "gone"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn websudo_redirects_then_rotates_the_session_on_the_right_password() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let mut s = Session::login(&sim, "admin", "admin");
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 302);
    assert_eq!(
        header(&r, "Location").unwrap(),
        "/secure/admin/WebSudoAuthenticate!default.jspa?webSudoDestination=%2Fsecure%2Fadmin%2FViewLogging.jspa"
    );

    let form = s.get("/secure/admin/WebSudoAuthenticate!default.jspa?webSudoDestination=%2Fsecure%2Fadmin%2FViewLogging.jspa");
    assert_eq!(form.status(), 200);
    assert!(form.text().unwrap().contains("name=\"webSudoPassword\""));

    let before = s.jsession.clone();
    let r = s.websudo("wrong");
    assert_eq!(r.status(), 200, "wrong password shows the form again");
    assert!(r.text().unwrap().contains("incorrect"));
    assert_eq!(s.jsession, before);
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 302);

    let r = s.websudo("admin");
    assert_eq!(r.status(), 302);
    assert_eq!(
        header(&r, "Location").unwrap(),
        "/secure/admin/ViewLogging.jspa"
    );
    assert_eq!(
        header(&r, "X-Atlassian-WebSudo").as_deref(),
        Some("Has-Authentication")
    );
    assert_ne!(s.jsession, before, "JSESSIONID must rotate");
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 200);

    // The pre-websudo session id is gone: using it is anonymous.
    let old = client()
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .header("Cookie", format!("JSESSIONID={before}"))
        .send()
        .unwrap();
    assert_eq!(old.status(), 401);
    assert_eq!(header(&old, "X-AUSERNAME").as_deref(), Some("anonymous"));
}

#[test]
fn an_expired_websudo_sends_admin_pages_back_to_the_websudo_form() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let mut s = Session::login(&sim, "admin", "admin");
    s.websudo("admin");
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 200);
    sim.expire_websudo();
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 302);
    assert!(
        header(&r, "Location")
            .unwrap()
            .starts_with("/secure/admin/WebSudoAuthenticate!default.jspa?webSudoDestination="),
        "{:?}",
        header(&r, "Location")
    );
    // The session itself is still logged in; only websudo ended.
    assert_eq!(s.get("/rest/api/2/myself").status(), 200);
}

#[test]
fn websudo_lasts_its_timeout_and_no_longer() {
    // A zero timeout has passed by the next request, without waiting for any clock.
    let sim = SimJira::start(SimConfig {
        websudo_timeout: std::time::Duration::ZERO,
        ..SimConfig::default()
    })
    .unwrap();
    let mut s = Session::login(&sim, "admin", "admin");
    assert_eq!(s.websudo("admin").status(), 302);
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 302);
}

#[test]
fn xsrf_failure_is_an_html_error_not_a_redirect_and_changes_nothing() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let mut s = Session::login(&sim, "admin", "admin");
    s.websudo("admin");
    let r = s.get("/secure/admin/ConfigureLogging.jspa?loggerName=com.atlassian.pats&levelName=TRACE&atl_token=forged");
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("Location").is_none());
    assert!(r.text().unwrap().contains("XSRF Security Token Missing"));
    // No token at all, by POST.
    let r = s.post_form(
        "/secure/admin/ConfigureLogging.jspa",
        &[("loggerName", "com.atlassian.pats"), ("levelName", "TRACE")],
    );
    assert_eq!(r.status(), 403);
    assert!(!sim.levels().contains_key("com.atlassian.pats"));

    // The header works instead of the token.
    let r =
        s.c.post(format!("{}/secure/admin/ConfigureLogging.jspa", sim.url()))
            .header("Cookie", format!("JSESSIONID={}", s.jsession))
            .header("X-Atlassian-Token", "no-check")
            .form(&[("loggerName", "com.atlassian.pats"), ("levelName", "TRACE")])
            .send()
            .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(sim.levels()["com.atlassian.pats"], Level::Trace);
}

#[test]
fn set_level_by_get_redirects_to_the_page_and_unknown_levels_become_debug() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let mut s = Session::login(&sim, "admin", "admin");
    s.websudo("admin");
    let t = s.xsrf.clone();
    let r = s.get(&format!("/secure/admin/ConfigureLogging.jspa?loggerName=com.atlassian.pats&levelName=TRACE&atl_token={t}"));
    assert_eq!(r.status(), 302);
    assert_eq!(
        header(&r, "Location").unwrap(),
        "/secure/admin/ViewLogging.jspa"
    );
    assert_eq!(sim.levels()["com.atlassian.pats"], Level::Trace);

    let r = s.get(&format!("/secure/admin/ConfigureLogging.jspa?loggerName=com.atlassian.pats&levelName=VERBOSE&atl_token={t}"));
    assert_eq!(r.status(), 302, "Jira accepts the unknown name silently");
    assert_eq!(sim.levels()["com.atlassian.pats"], Level::Debug);

    let r = s.get(&format!(
        "/secure/admin/ConfigureLogging.jspa?loggerName=root&levelName=ERROR&atl_token={t}"
    ));
    assert_eq!(r.status(), 302);
    assert_eq!(sim.levels()["root"], Level::Error);
}

#[test]
fn logging_page_lists_root_first_then_explicit_loggers_sorted() {
    let sim = SimJira::start(SimConfig {
        websudo: false,
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    sim.set_level("aaa.first", Level::Info);
    let s = Session::login(&sim, "admin", "admin");
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 200, "websudo disabled: no redirect");
    let html = scraper::Html::parse_document(&r.text().unwrap());
    let rows = scraper::Selector::parse("table.aui.aui-table-rowhover tbody tr").unwrap();
    let td = scraper::Selector::parse("td").unwrap();
    let parsed: Vec<(String, String, String)> = html
        .select(&rows)
        .map(|tr| {
            let cells: Vec<_> = tr.select(&td).collect();
            (
                cells[0].inner_html(),
                cells[1].text().collect(),
                cells[1].inner_html(),
            )
        })
        .collect();
    assert_eq!(parsed[0].0, "<i>Default</i>");
    assert_eq!(parsed[0].2, "<strong>WARN</strong>");
    let names: Vec<&str> = parsed[1..].iter().map(|r| r.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names[0], "aaa.first");
    let pats = parsed.iter().find(|r| r.0 == "com.atlassian.pats").unwrap();
    assert_eq!(pats.2, "<strong>TRACE</strong>");
    assert!(parsed
        .iter()
        .any(|r| r.0 == "com.atlassian" && r.1 == "WARN"));
    // Every explicit level is listed but those Jira hides (the stock HTTP access logger).
    let shown = sim
        .levels()
        .keys()
        .filter(|n| !jira_patrol::jira::is_hidden_logger(n))
        .count();
    assert_eq!(parsed.len(), shown);
}

#[test]
fn non_admins_and_anonymous_are_sent_to_login_on_get_and_refused_on_post() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let s = Session::login(&sim, "jdoe", "jdoe");
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 302);
    assert_eq!(
        header(&r, "Location").unwrap(),
        "/login.jsp?permissionViolation=true&os_destination=%2Fsecure%2Fadmin%2FViewLogging.jspa"
    );
    let xsrf = s.xsrf.clone();
    let r = s.post_form(
        "/secure/admin/ConfigureLogging.jspa",
        &[
            ("loggerName", "com.atlassian.pats"),
            ("levelName", "TRACE"),
            ("atl_token", &xsrf),
        ],
    );
    assert!(r.status().is_client_error());
    assert!(r.headers().get("Location").is_none());
    assert!(r.text().unwrap().contains("Permission Violation"));
    assert!(!sim.levels().contains_key("com.atlassian.pats"));

    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(header(&r, "Location")
        .unwrap()
        .starts_with("/login.jsp?permissionViolation=true&os_destination="));
}

#[test]
fn pat_answers_good_expired_unknown_inactive_and_malformed() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let a = sim.accounts();
    let get = |path: &str, token: &str| {
        client()
            .get(format!("{}{path}", sim.url()))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    let r = get("/rest/api/2/myself", &a.token("test").unwrap().raw);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("admin"));
    assert!(
        !set_cookies(r.headers()).contains_key("JSESSIONID"),
        "PAT calls build no session"
    );
    let me: serde_json::Value = r.json().unwrap();
    assert_eq!(me["key"], "admin");

    let r = get(
        "/rest/api/2/myself",
        &a.token("Jira→Slack «bridge» ü").unwrap().raw,
    );
    assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("jdoe"));

    let bad = [
        a.token("old laptop").unwrap().raw.clone(),
        a.token("cron job").unwrap().raw.clone(),
        jira_sim::encode_token("424242424242", &[1; 20]),
        "garbage!".to_string(),
    ];
    for t in &bad {
        let r = get("/rest/api/2/myself", t);
        assert_eq!(r.status(), 401, "protected resource");
        assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("anonymous"));
        assert!(header(&r, "X-Seraph-LoginReason").is_none());
        let r = get("/rest/api/2/serverInfo", t);
        assert_eq!(r.status(), 200, "public resource stays reachable");
        assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("anonymous"));
    }
}

#[test]
fn pat_on_admin_pages_gets_the_websudo_redirect_unless_exempt() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let token = sim.accounts().token("test").unwrap().raw.clone();
    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(header(&r, "Location")
        .unwrap()
        .starts_with("/secure/admin/WebSudoAuthenticate!default.jspa"));

    let sim = SimJira::start(SimConfig {
        pat_websudo_exempt: true,
        ..SimConfig::default()
    })
    .unwrap();
    let token = sim.accounts().token("test").unwrap().raw.clone();
    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{}/secure/admin/ConfigureLogging.jspa", sim.url()))
        .bearer_auth(&token)
        .header("X-Atlassian-Token", "no-check")
        .form(&[("loggerName", "com.atlassian.pats"), ("levelName", "DEBUG")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(sim.levels()["com.atlassian.pats"], Level::Debug);
    // A non-admin's PAT is still refused.
    let jdoe = sim
        .accounts()
        .token("Jira→Slack «bridge» ü")
        .unwrap()
        .raw
        .clone();
    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .bearer_auth(&jdoe)
        .send()
        .unwrap();
    assert!(header(&r, "Location")
        .unwrap()
        .starts_with("/login.jsp?permissionViolation=true"));
}

#[test]
fn basic_auth_wrong_disabled_and_right() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let get = |u: &str, p: &str| {
        client()
            .get(format!("{}/rest/api/2/myself", sim.url()))
            .basic_auth(u, Some(p))
            .send()
            .unwrap()
    };
    let r = get("admin", "admin");
    assert_eq!(r.status(), 200);
    assert!(set_cookies(r.headers()).contains_key("JSESSIONID"));
    let r = get("admin", "wrong");
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "X-Seraph-LoginReason").as_deref(),
        Some("AUTHENTICATED_FAILED")
    );

    let sim = SimJira::start(SimConfig {
        basic_auth: false,
        ..SimConfig::default()
    })
    .unwrap();
    let r = client()
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(
        v["message"],
        "Basic Authentication has been disabled on this instance."
    );
}

#[test]
fn every_response_names_the_user_and_data_center_nodes_say_which() {
    let sim = SimJira::start(SimConfig {
        node_id: Some("node-2".into()),
        ..SimConfig::default()
    })
    .unwrap();
    let r = client()
        .get(format!("{}/rest/api/2/serverInfo", sim.url()))
        .send()
        .unwrap();
    assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("anonymous"));
    assert_eq!(header(&r, "X-ANODEID").as_deref(), Some("node-2"));
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["version"], "9.12.2");
    assert_eq!(v["deploymentType"], "DataCenter");
    let r = client()
        .get(format!("{}/nowhere", sim.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(header(&r, "X-ANODEID").as_deref(), Some("node-2"));

    let plain = SimJira::start(SimConfig::default()).unwrap();
    let r = client()
        .get(format!("{}/rest/api/2/serverInfo", plain.url()))
        .send()
        .unwrap();
    assert!(r.headers().get("X-ANODEID").is_none());
}

#[test]
fn fail_next_answers_500_then_recovers() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let get = || {
        client()
            .get(format!("{}/rest/api/2/serverInfo", sim.url()))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    sim.fail_next(2);
    assert_eq!((get(), get(), get()), (500, 500, 200));
}

#[test]
fn pat_rest_lists_creates_and_revokes_tokens() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let c = client();
    let list: Vec<serde_json::Value> = c
        .get(format!("{}/rest/pat/latest/tokens", sim.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|t| t.get("tokenId").is_none()));

    let r = c
        .post(format!("{}/rest/pat/latest/tokens", sim.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .json(&serde_json::json!({"name": "new (x)=1", "expirationDuration": 30}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().unwrap();
    let raw = v["rawToken"].as_str().unwrap().to_string();
    assert_eq!(raw.len(), 44);
    let r = c
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .bearer_auth(&raw)
        .send()
        .unwrap();
    assert_eq!(header(&r, "X-AUSERNAME").as_deref(), Some("jdoe"));

    let id = v["id"].as_u64().unwrap();
    let r = c
        .delete(format!("{}/rest/pat/latest/tokens/{id}", sim.url()))
        .basic_auth("jdoe", Some("jdoe"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .bearer_auth(&raw)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401, "a revoked token is just anonymous");
}

#[test]
fn tls_uses_a_certificate_clients_do_not_trust_by_default() {
    let sim = SimJira::start(SimConfig {
        tls: Some(TlsIdentity::test_identity()),
        ..SimConfig::default()
    })
    .unwrap();
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let err = client()
        .get(format!("{}/rest/api/2/serverInfo", sim.url()))
        .send()
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");

    let ca = reqwest::Certificate::from_pem(TlsIdentity::test_ca_pem()).unwrap();
    let trusting = Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..3 {
        let r = trusting
            .get(format!("{}/rest/api/2/myself", sim.url()))
            .basic_auth("admin", Some("admin"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["name"], "admin");
    }
    let r = trusting
        .post(format!("{}/rest/auth/1/session", sim.url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");
}

#[test]
fn a_context_path_prefixes_redirects_and_cookies_but_not_destinations() {
    let sim = SimJira::start(SimConfig {
        context_path: "/jira".into(),
        ..SimConfig::default()
    })
    .unwrap();
    assert!(sim.url().ends_with("/jira"));
    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .send()
        .unwrap();
    assert_eq!(
        header(&r, "Location").unwrap(),
        "/jira/login.jsp?permissionViolation=true&os_destination=%2Fsecure%2Fadmin%2FViewLogging.jspa"
    );
    let r = client()
        .post(format!("{}/rest/auth/1/session", sim.url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .unwrap();
    let c = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(c.contains("Path=/jira"), "{c}");
    let outside = sim.url().trim_end_matches("/jira").to_string() + "/rest/api/2/serverInfo";
    assert_eq!(client().get(outside).send().unwrap().status(), 404);
    let v: serde_json::Value = client()
        .get(format!("{}/rest/api/2/serverInfo", sim.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["baseUrl"], sim.url());
}

#[test]
fn permissions_groups_and_dropping_websudo() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let perms = |auth: Option<(&str, &str)>| -> serde_json::Value {
        let mut rb = client().get(format!(
            "{}/rest/api/2/mypermissions?permissions=SYSTEM_ADMIN",
            sim.url()
        ));
        if let Some((u, p)) = auth {
            rb = rb.basic_auth(u, Some(p));
        }
        rb.send().unwrap().json().unwrap()
    };
    let v = perms(Some(("admin", "admin")));
    assert_eq!(v["permissions"]["SYSTEM_ADMIN"]["havePermission"], true);
    assert!(v["permissions"].get("USE").is_none());
    assert_eq!(
        perms(Some(("jdoe", "jdoe")))["permissions"]["SYSTEM_ADMIN"]["havePermission"],
        false
    );
    assert_eq!(
        perms(None)["permissions"]["SYSTEM_ADMIN"]["havePermission"],
        false
    );
    let me: serde_json::Value = client()
        .get(format!("{}/rest/api/2/myself?expand=groups", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(me["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "jira-administrators"));

    let mut s = Session::login(&sim, "admin", "admin");
    s.websudo("admin");
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 200);
    let r =
        s.c.delete(format!("{}/rest/auth/1/websudo", sim.url()))
            .header("Cookie", s.cookie())
            .send()
            .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.get("/secure/admin/ViewLogging.jspa").status(), 302);
}

#[test]
fn the_logging_page_carries_a_mark_logs_form_with_id_login_form_and_hides_sql_and_mail() {
    let sim = SimJira::start(SimConfig {
        websudo: false,
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level("com.atlassian.mail.incoming", Level::Debug);
    let s = Session::login(&sim, "admin", "admin");
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains(r#"id="login-form""#), "{html}");
    assert!(!html.contains("os_username") && !html.contains("webSudoPassword"));
    assert!(!html.contains("com.atlassian.mail.incoming"));
    assert!(!html.contains("AccessLogFilter"));
    assert_eq!(
        sim.levels().get("com.atlassian.mail.incoming"),
        Some(&Level::Debug)
    );
}

#[test]
fn single_sign_on_sends_login_and_websudo_to_the_identity_provider() {
    use jira_sim::{SSO_OTHER_HOST, SSO_SAML};
    let sim = SimJira::start(SimConfig {
        sso_login: Some(SSO_SAML.into()),
        sso_websudo: Some(SSO_OTHER_HOST.into()),
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let r = client()
        .post(format!("{}/rest/auth/1/session", sim.url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(header(&r, "location")
        .unwrap()
        .contains("/plugins/servlet/samlsso?"));
    let r = client()
        .get(format!("{}/secure/admin/ViewLogging.jspa", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(header(&r, "location")
        .unwrap()
        .starts_with("https://idp.example.test/"));
}

#[test]
fn a_jira_administrator_gets_a_200_page_saying_system_administrator_is_needed() {
    let sim = SimJira::start(SimConfig {
        noise: false,
        ..SimConfig::default()
    })
    .unwrap();
    let s = Session::login(&sim, "jadmin", "jadmin");
    let r = s.get("/secure/admin/ViewLogging.jspa");
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("System Administrator"), "{html}");
    assert_eq!(
        jira_patrol::jira::page_kind(&html),
        jira_patrol::jira::PageKind::NotSystemAdmin
    );
}

#[test]
fn pat_rest_and_request_ids_answer_what_the_self_check_needs() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    sim.set_level("com.atlassian.pats", jira_sim::Level::Trace);
    let c = client();
    let tokens = format!("{}/rest/pat/latest/tokens", sim.url());
    let create = |days: i64| {
        c.post(&tokens)
            .basic_auth("jdoe", Some("jdoe"))
            .json(
                &serde_json::json!({"name": "jira-patrol self-check", "expirationDuration": days}),
            )
            .send()
            .unwrap()
    };
    for bad in [0, 366] {
        assert_eq!(create(bad).status(), 400, "{bad} days");
    }
    let r = create(1);
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().unwrap();
    assert!(
        !v["expiringAt"].as_str().unwrap().starts_with("9999"),
        "{v}"
    );
    let raw = v["rawToken"].as_str().unwrap().to_string();

    // Every answer carries the request id its log lines carry.
    let r = c
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .bearer_auth(&raw)
        .send()
        .unwrap();
    let id = header(&r, "X-AREQUESTID").unwrap();
    let log = std::fs::read_to_string(sim.log_path()).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&format!(" {id} ")) && l.contains("Auth SUCCESS for user")),
        "{id} not in the log"
    );
    for path in ["/nowhere", "/secure/admin/ViewLogging.jspa"] {
        let r = c.get(format!("{}{path}", sim.url())).send().unwrap();
        assert!(header(&r, "X-AREQUESTID").is_some(), "{path}");
    }

    // Revoking twice: the plugin answers 204 whether the row was there or not.
    let row = v["id"].as_u64().unwrap();
    let delete = || {
        c.delete(format!("{tokens}/{row}"))
            .basic_auth("jdoe", Some("jdoe"))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!((delete(), delete()), (204, 204));

    // Ten tokens per user at most.
    let held = sim.tokens().iter().filter(|t| t.owner == "jdoe").count();
    for _ in held..10 {
        assert_eq!(create(1).status(), 201);
    }
    let r = create(1);
    assert_eq!(
        r.status(),
        403,
        "the per-user limit is a 403 (jira-facts §5)"
    );
    let v: serde_json::Value = r.json().unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("maximum number of tokens"),
        "{v}"
    );
    assert!(
        v["exception"].as_str().is_some(),
        "the plugin's error shape: {v}"
    );

    // An instance that does not let anyone create tokens.
    let closed = SimJira::start(SimConfig {
        token_creation: false,
        ..SimConfig::default()
    })
    .unwrap();
    let r = c
        .post(format!("{}/rest/pat/latest/tokens", closed.url()))
        .basic_auth("admin", Some("admin"))
        .json(&serde_json::json!({"name": "x", "expirationDuration": 1}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[test]
fn the_token_search_reads_its_body_only_and_answers_errors_as_the_plugin_does() {
    let sim = SimJira::start(SimConfig {
        data_center: true,
        ..SimConfig::default()
    })
    .unwrap();
    let c = client();
    let search = |user: &str, query: &str, body: &str| {
        let r = c
            .post(format!(
                "{}/rest/pat/latest/tokens/search{query}",
                sim.url()
            ))
            .basic_auth(user, Some(user))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().unwrap())
    };
    // Defaults: by name, ascending, page 0, 100 a page; query parameters are ignored.
    let (status, v) = search("admin", "?limit=1&sortBy=userKey", "{}");
    assert_eq!(status, 200);
    let names: Vec<&str> = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), sim.tokens().len());
    assert_eq!(
        (v["page"].as_u64(), v["size"].as_u64()),
        (Some(0), Some(100))
    );
    let (_, v) = search(
        "admin",
        "",
        r#"{"sortBy":"name","orderBy":"desc","limit":2}"#,
    );
    assert_eq!(v["values"][0]["name"], *sorted.last().unwrap());
    assert_eq!(v["values"].as_array().unwrap().len(), 2);
    for bad in [
        r#"{"sortBy":"colour"}"#,
        r#"{"orderBy":"up"}"#,
        r#"{"page":-1}"#,
    ] {
        let (status, v) = search("admin", "", bad);
        assert_eq!(status, 400, "{bad}");
        assert!(v["error"].is_string() && v["exception"].is_string(), "{v}");
    }
    // Not a System Administrator: SAL's AuthorisationException, as a 401.
    let (status, v) = search("jdoe", "", "{}");
    assert_eq!(status, 401);
    assert_eq!(
        v["exception"],
        "com.atlassian.sal.api.permission.AuthorisationException"
    );
    assert_eq!(
        v["error"],
        "Requesting user is unauthorized to perform this operation"
    );
}

#[test]
fn expired_tokens_stay_listed_until_pruned_thirty_days_after_expiry() {
    let sim = SimJira::start(SimConfig {
        data_center: true,
        ..SimConfig::default()
    })
    .unwrap();
    let expired = sim.accounts().token("old laptop").unwrap().clone();
    assert!(expired.expired());
    let r = client()
        .get(format!("{}/rest/api/2/myself", sim.url()))
        .bearer_auth(&expired.raw)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401, "unusable");
    assert_eq!(sim.run_expired_token_pruning_job(), 0, "expired 5 days ago");
    assert!(sim.token(&expired.token_id).is_some(), "still listed");
    sim.advance_clock(Duration::from_secs(26 * 86_400));
    assert_eq!(sim.run_expired_token_pruning_job(), 1);
    assert!(sim.token(&expired.token_id).is_none());
}

#[test]
fn the_filter_logs_the_database_id_and_can_word_its_success_otherwise() {
    for reworded in [false, true] {
        let sim = SimJira::start(SimConfig {
            noise: false,
            reworded_success: reworded,
            ..SimConfig::default()
        })
        .unwrap();
        sim.set_level("com.atlassian.pats.web.filter", jira_sim::Level::Trace);
        let t = sim.accounts().token("test").unwrap().clone();
        let r = client()
            .get(format!("{}/rest/api/2/myself", sim.url()))
            .bearer_auth(&t.raw)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "the request succeeds either way");
        let id = header(&r, "X-AREQUESTID").unwrap();
        let log = std::fs::read_to_string(sim.log_path()).unwrap();
        let ours: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&format!(" {id} ")))
            .collect();
        // At the filter's level: the batcher's line with the row id, never the token id.
        assert!(
            ours.iter().any(|l| l.contains(
                "[c.a.p.web.filter.LastAccessedTimeBatcher$TokenBatch] Storing auth time: ["
            ) && l.ends_with(&format!("for tokenId: [{}]", t.id))),
            "{ours:#?}"
        );
        assert_eq!(
            ours.iter()
                .any(|l| l.contains("Auth SUCCESS for user: [admin]")),
            !reworded,
            "{ours:#?}"
        );
        assert_eq!(
            ours.iter()
                .any(|l| l
                    .contains("Token authentication succeeded (user=admin, token=355510638677")),
            reworded,
            "{ours:#?}"
        );
    }
}

/// The simulator is for the edge (`demo`, `sim`) and the tests: no library module may
/// depend on it, so that nothing a user runs against a real Jira can reach simulated code.
#[test]
fn only_the_edge_commands_use_the_simulator() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = common::rust_files(&src);
    let allowed = [
        src.join("commands").join("demo.rs"),
        src.join("commands").join("sim.rs"),
    ];
    let users: Vec<String> = files
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.contains("jira_sim")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        users.is_empty(),
        "library code uses the simulator: {users:?}"
    );
}

/// The stand-in must not borrow the code it tests: a bug in the tool's token encoding, HTML
/// escaping or hidden-logger list would otherwise be copied into the simulator and hidden.
#[test]
fn the_simulator_crate_does_not_depend_on_the_tool() {
    let sim = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sim");
    let manifest: toml::Table = std::fs::read_to_string(sim.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) {
            assert!(
                !deps.contains_key("jira-patrol"),
                "sim/Cargo.toml [{section}] names jira-patrol"
            );
        }
    }
    let mut stack = vec![sim.join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(
                    !text.contains("jira_patrol"),
                    "{} uses the tool",
                    p.display()
                );
            }
        }
    }
}
