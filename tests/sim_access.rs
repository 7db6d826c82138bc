//! The simulated Jira's Tomcat access log (jira-facts §7), over real HTTP: one line per
//! request with the request id the client got in `X-AREQUESTID`, its User-Agent, status and
//! bytes; 401 for a failing PAT; 429 from the per-user rate limiter (with the PAT lines still
//! in the app log); `%D` and the Tomcat version by Jira version; server.xml's pattern; the
//! daily file switch.

#[path = "common/genlog.rs"]
mod genlog;

use jira_sim::Level;
use jira_sim::{encode_token, RateLimit, SimCluster, SimConfig, SimJira};
use reqwest::blocking::{Client, Response};
use std::path::Path;
use std::time::{Duration, Instant};

const STOCK_XML: &str = "pattern=\"%a %{jira.request.id}r %{jira.request.username}r %t &quot;%m %U%q %H&quot; %s %b %D &quot;%{Referer}i&quot; &quot;%{User-Agent}i&quot; &quot;%{jira.request.assession.id}r&quot;\"";

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn get(sim: &SimJira, path: &str, bearer: Option<&str>, agent: &str) -> Response {
    let mut rb = client()
        .get(format!("{}{path}", sim.url()))
        .header("User-Agent", agent);
    if let Some(t) = bearer {
        rb = rb.header("Authorization", format!("Bearer {t}"));
    }
    rb.send().unwrap()
}

fn request_id(r: &Response) -> String {
    r.headers()["x-arequestid"].to_str().unwrap().to_string()
}

/// Polls `path` until a line satisfies `pred` (the valve writes after the response is
/// sent, so the client can be faster than the file).
fn wait_line(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(l) = text.lines().find(|l| pred(l)) {
            return l.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no access line {what} in {}:\n{text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The access line of request `id` (second field, stock and test patterns).
fn line_of(path: &Path, id: &str) -> String {
    wait_line(path, id, |l| l.split(' ').nth(1) == Some(id))
}

/// Fields of a line: space-separated, `"..."` (with `\"` escapes) and `[...]` kept whole,
/// quotes and brackets removed.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut f = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => f.push(chars.next().unwrap()),
                    '"' => break,
                    c => f.push(c),
                }
            }
        } else if c == '[' {
            chars.next();
            for c in chars.by_ref() {
                if c == ']' {
                    break;
                }
                f.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                f.push(c);
                chars.next();
            }
        }
        out.push(f);
    }
    out
}

fn app_log_lines_of(sim: &SimJira, id: &str) -> Vec<String> {
    std::fs::read_to_string(sim.log_path())
        .unwrap()
        .lines()
        .filter(|l| l.split(' ').any(|f| f == id))
        .map(String::from)
        .collect()
}

#[test]
fn the_access_line_carries_the_request_id_agent_status_and_bytes() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let token = sim.accounts().token("test").unwrap().raw.clone();
    let r = get(
        &sim,
        "/rest/api/2/myself",
        Some(&token),
        "python-requests/2.31.0",
    );
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let body = r.bytes().unwrap();
    let path = sim.access_log_path();
    assert_eq!(path.parent().unwrap(), sim.install_dir().join("logs"));
    let date = path.file_name().unwrap().to_str().unwrap();
    let date = date.strip_prefix("access_log.").unwrap();
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let parsed: jiff::civil::Date = date.parse().unwrap();
    assert!(
        date == today || parsed.tomorrow().unwrap().to_string() == today,
        "{date}"
    );
    let line = line_of(&path, &id);
    let f = fields(&line);
    assert_eq!(f.len(), 11, "{line}");
    assert_eq!(f[0], "127.0.0.1");
    assert_eq!(f[1], id);
    assert_eq!(f[2], "admin");
    assert!(f[3].ends_with(" +0000") && f[3].len() == 26, "{line}");
    assert_eq!(f[4], "GET /rest/api/2/myself HTTP/1.1");
    assert_eq!(f[5], "200");
    assert_eq!(f[6], body.len().to_string());
    assert!(f[7].parse::<u64>().is_ok(), "%D is an integer: {line}");
    assert_eq!(f[8], "-");
    assert_eq!(f[9], "python-requests/2.31.0");
    // The PAT's throw-away session, as in the app log's MDC.
    assert_ne!(f[10], "-");
    // The same id in the app log: the PAT lines of that request.
    let app = app_log_lines_of(&sim, &id);
    assert!(
        app.iter()
            .any(|l| l.contains("Auth SUCCESS for user: [admin] and tokenId: [355510638677]")),
        "{app:?}"
    );
    assert!(app.iter().any(|l| l.contains(&f[10])), "{app:?}");

    // Anonymous, with a query and a User-Agent holding quotes: `-` user, Tomcat's escapes.
    let r = get(
        &sim,
        "/rest/api/2/search?jql=project%3DSCRUM",
        None,
        "Mozilla/5.0 (compatible; \"scanner\")",
    );
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let line = line_of(&path, &id);
    assert!(
        line.contains(" - [")
            && line.contains("\"GET /rest/api/2/search?jql=project%3DSCRUM HTTP/1.1\" 200 ")
            && line.contains("\"Mozilla/5.0 (compatible; \\\"scanner\\\")\""),
        "{line}"
    );
}

#[test]
fn a_bad_pat_is_401_in_the_answer_and_in_the_access_line() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let forged = encode_token("424242424242", &[7u8; 20]);
    let r = get(&sim, "/rest/api/2/myself", Some(&forged), "curl/8.5.0");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-ausername"], "anonymous");
    let id = request_id(&r);
    let body = r.bytes().unwrap();
    let f = fields(&line_of(&sim.access_log_path(), &id));
    assert_eq!(f[2], "-", "a failing PAT goes on anonymous");
    assert_eq!(f[5], "401");
    assert_eq!(f[6], body.len().to_string());
    assert_eq!(f[9], "curl/8.5.0");
}

#[test]
fn the_rate_limit_is_per_user_across_tokens_and_comes_after_the_pat_filter() {
    let sim = SimJira::start(SimConfig {
        rate_limit: Some(RateLimit { per_minute: 3 }),
        ..SimConfig::default()
    })
    .unwrap();
    sim.set_level("com.atlassian.pats", Level::Trace);
    let test = sim.accounts().token("test").unwrap().clone();
    let ci = sim.accounts().token("ci, deploy (prod)=1").unwrap().clone();
    assert_eq!(test.owner, ci.owner);
    for _ in 0..3 {
        let r = get(
            &sim,
            "/rest/api/2/myself",
            Some(&test.raw),
            "Jenkins/2.440.3",
        );
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
    }
    // The fourth request of the same user, with its other token: over the limit.
    let r = get(
        &sim,
        "/rest/api/2/myself",
        Some(&ci.raw),
        "Go-http-client/1.1",
    );
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let id = request_id(&r);
    let f = fields(&line_of(&sim.access_log_path(), &id));
    assert_eq!(f[5], "429");
    assert_eq!(f[2], ci.owner, "the request was authenticated");
    assert_eq!(f[9], "Go-http-client/1.1");
    let app = app_log_lines_of(&sim, &id);
    assert!(
        app.iter().any(|l| l.contains(&format!(
            "Auth SUCCESS for user: [{}] and tokenId: [{}]",
            ci.user_key, ci.token_id
        ))),
        "{app:?}"
    );
    assert!(app
        .iter()
        .any(|l| l.contains("<<< TokenBasedAuthenticationFilter")));
    // Another user has a bucket of its own.
    let other = sim
        .accounts()
        .tokens
        .iter()
        .find(|t| {
            t.owner != test.owner
                && sim
                    .accounts()
                    .users
                    .iter()
                    .any(|u| u.name == t.owner && u.active)
                && t.expiring_at.is_none_or(|e| e > jiff::Timestamp::now())
        })
        .unwrap()
        .raw
        .clone();
    let r = get(&sim, "/rest/api/2/myself", Some(&other), "curl/8.5.0");
    assert_eq!(r.status(), 200);
}

#[test]
fn jira_11_bundles_tomcat_10_1_and_logs_integer_durations() {
    let sim = SimJira::start(SimConfig {
        version: "11.0.1".into(),
        ..SimConfig::default()
    })
    .unwrap();
    let notes = std::fs::read_to_string(sim.install_dir().join("RELEASE-NOTES")).unwrap();
    assert!(notes.contains("Apache Tomcat Version 10.1."), "{notes}");
    let xml = std::fs::read_to_string(sim.install_dir().join("conf/server.xml")).unwrap();
    assert!(xml.contains(STOCK_XML), "{xml}");
    let r = get(&sim, "/rest/api/2/serverInfo", None, "curl/8.5.0");
    let id = request_id(&r);
    let f = fields(&line_of(&sim.access_log_path(), &id));
    assert_eq!(f[5], "200");
    assert!(f[7].parse::<u64>().is_ok(), "{f:?}");

    let nine = SimJira::start(SimConfig::default()).unwrap();
    let notes = std::fs::read_to_string(nine.install_dir().join("RELEASE-NOTES")).unwrap();
    assert!(notes.contains("Apache Tomcat Version 9.0."), "{notes}");
}

#[test]
fn server_xml_holds_the_stock_valve_and_a_custom_pattern_is_used() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let xml = std::fs::read_to_string(sim.install_dir().join("conf/server.xml")).unwrap();
    assert!(xml.contains("className=\"org.apache.catalina.valves.AccessLogValve\""));
    assert!(xml.contains(STOCK_XML), "{xml}");
    assert!(xml.contains(&format!(
        "<Connector port=\"{}\"",
        sim.url().rsplit(':').next().unwrap()
    )));

    let custom = "%h %{jira.request.id}r %t \"%r\" %s %B %T \"%{User-Agent}i\"";
    let sim = SimJira::start(SimConfig {
        access_log_pattern: Some(custom.into()),
        ..SimConfig::default()
    })
    .unwrap();
    let xml = std::fs::read_to_string(sim.install_dir().join("conf/server.xml")).unwrap();
    assert!(
        xml.contains("pattern=\"%h %{jira.request.id}r %t &quot;%r&quot; %s %B %T &quot;%{User-Agent}i&quot;\""),
        "{xml}"
    );
    let r = get(&sim, "/status", None, "kube-probe/1.29");
    let id = request_id(&r);
    let body = r.bytes().unwrap();
    let f = fields(&line_of(&sim.access_log_path(), &id));
    assert_eq!(f.len(), 8, "{f:?}");
    assert_eq!(f[2].len(), 26);
    assert_eq!(f[3], "GET /status HTTP/1.1");
    assert_eq!(f[4], "200");
    assert_eq!(f[5], body.len().to_string());
    assert!(f[6].contains('.'), "%T in seconds with milliseconds: {f:?}");
    assert_eq!(f[7], "kube-probe/1.29");
}

#[test]
fn every_request_gets_a_line_in_completion_order_files() {
    let sim = SimJira::start(SimConfig {
        context_path: "/jira".into(),
        ..SimConfig::default()
    })
    .unwrap();
    for p in ["/rest/api/2/serverInfo", "/status", "/login.jsp"] {
        get(&sim, p, None, "curl/8.5.0");
    }
    // Outside the context path Tomcat answers alone: no request id, no user.
    let base = sim.url().trim_end_matches("/jira").to_string();
    let r = client().get(format!("{base}/other")).send().unwrap();
    assert_eq!(r.status(), 404);
    let path = sim.access_log_path();
    let line = wait_line(&path, "for /other", |l| {
        l.contains("\"GET /other HTTP/1.1\"")
    });
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    // %U carries the context path; one line per request served.
    let n = sim.request_count() as usize;
    wait_line(&path, "count", |_| {
        std::fs::read_to_string(&path).unwrap().lines().count() == n + 1
    });
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"GET /jira/status HTTP/1.1\" 200"), "{text}");
}

#[test]
fn background_traffic_is_logged_too() {
    let sim = SimJira::start(SimConfig {
        background_rps: 50,
        // Every fourth request carries a token; the others alternate /status, serverInfo.
        background_pat_percent: 25,
        ..SimConfig::default()
    })
    .unwrap();
    let path = sim.access_log_path();
    wait_line(&path, "of a background PAT request", |l| {
        l.contains("\"GET /rest/api/2/myself HTTP/1.1\" 200") && l.contains("Apache-HttpClient")
    });
    wait_line(&path, "of a probe", |l| {
        l.contains("\"GET /status HTTP/1.1\" 200") && l.contains("\"kube-probe/1.29\"")
    });
}

#[test]
fn the_file_switches_at_local_midnight() {
    let sim = SimJira::start(SimConfig {
        utc_offset_minutes: 330,
        ..SimConfig::default()
    })
    .unwrap();
    let first = sim.access_log_path();
    let r = get(&sim, "/status", None, "curl/8.5.0");
    let id1 = request_id(&r);
    let l1 = line_of(&first, &id1);
    assert!(l1.contains(" +0530] "), "{l1}");
    let next = sim.roll_access_log_day();
    assert_ne!(first, next);
    assert_eq!(sim.access_log_path(), next);
    let r = get(&sim, "/status", None, "curl/8.5.0");
    let id2 = request_id(&r);
    let l2 = line_of(&next, &id2);
    // The new day's first minutes: the request id's minute of day and %t agree.
    let minute: u32 = id2.split('x').next().unwrap().parse().unwrap();
    assert!(minute < 5, "{id2}");
    let date = next
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_start_matches("access_log.")
        .to_string();
    let d: jiff::civil::Date = date.parse().unwrap();
    assert!(
        l2.contains(&format!(
            "[{:02}/{}/{}:00:",
            d.day(),
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                [d.month() as usize - 1],
            d.year()
        )),
        "{l2}"
    );
    let old = std::fs::read_to_string(&first).unwrap();
    assert!(!old.contains(&format!(" {id2} ")), "{old}");
    assert_eq!(sim.access_log_files(), vec![first, next]);
}

#[test]
fn cluster_nodes_have_their_own_install_and_access_log() {
    let c = SimCluster::start(2, SimConfig::default()).unwrap();
    let dirs = c.install_dirs();
    assert_ne!(dirs[0], dirs[1]);
    for d in &dirs {
        assert!(d.join("conf/server.xml").is_file());
    }
    let r = get(c.node(1), "/status", None, "curl/8.5.0");
    let id = request_id(&r);
    line_of(&c.access_log_paths()[1], &id);
}

/// The generator's access log: one line per request with the app log's request ids, in
/// completion order, and truth that matches what the lines say; the previous day repeats
/// the ids with other clients; the app log is the same with or without the access log.
#[test]
fn the_generator_writes_the_matching_access_log_and_its_truth() {
    let cfg = genlog::Config {
        bytes: 2_000_000,
        ..genlog::Config::default()
    };
    let mut plain = Vec::new();
    let e0 = genlog::generate(&cfg, &mut plain).unwrap();
    let (mut app, mut acc) = (Vec::new(), Vec::new());
    let opts = genlog::AccessOptions::default();
    let e = genlog::generate_with_access(&cfg, &mut app, &mut acc, &opts).unwrap();
    assert_eq!(app, plain, "the access log does not change the app log");
    assert_eq!((e.tokens.clone(), e.lines), (e0.tokens.clone(), e0.lines));
    let app = String::from_utf8(app).unwrap();
    let acc = String::from_utf8(acc).unwrap();
    let lines: Vec<&str> = acc.lines().collect();
    assert_eq!(lines.len() as u64, e.access_lines);
    assert!(e.access_non_pat_lines > 0 && e.access_non_pat_lines < e.access_lines);

    // Request ids: each once, each one of the app log's PAT filter requests.
    let app_ids: std::collections::HashSet<&str> = app
        .lines()
        .filter(|l| l.contains("TokenBasedAuthenticationFilter.doFilter"))
        .filter_map(|l| l.split(' ').nth(5))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let month = |m: &str| {
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|x| *x == m)
        .unwrap() as i8
            + 1
    };
    let mut last_end = i64::MIN;
    let mut truth: std::collections::BTreeMap<String, (u64, u64, Vec<u64>)> = Default::default();
    let success_ids: std::collections::HashMap<&str, &str> = app
        .lines()
        .filter(|l| l.contains("Auth SUCCESS for user"))
        .map(|l| {
            let id = l.split(' ').nth(5).unwrap();
            let token = l
                .split("tokenId: [")
                .nth(1)
                .unwrap()
                .split(']')
                .next()
                .unwrap();
            (id, token)
        })
        .collect();
    for l in &lines {
        let f = fields(l);
        assert_eq!(f.len(), 11, "{l}");
        assert!(app_ids.contains(f[1].as_str()), "{l}");
        assert!(seen.insert(f[1].clone()), "one line per request: {l}");
        // %t (seconds) + %D (ms) never goes back by more than the truncated second.
        let (d, rest) = f[3].split_once('/').unwrap();
        let (mo, rest) = rest.split_once('/').unwrap();
        let (y, rest) = rest.split_once(':').unwrap();
        let hms: Vec<i8> = rest[..8].split(':').map(|x| x.parse().unwrap()).collect();
        let dt = jiff::civil::date(y.parse().unwrap(), month(mo), d.parse().unwrap())
            .at(hms[0], hms[1], hms[2], 0);
        let t = jiff::tz::Offset::UTC
            .to_timestamp(dt)
            .unwrap()
            .as_millisecond();
        let end = t + f[7].parse::<i64>().unwrap();
        assert!(end + 1000 >= last_end, "completion order: {l}");
        last_end = last_end.max(end);
        if let Some(token) = success_ids.get(f[1].as_str()) {
            assert_ne!(f[2], "-", "{l}");
            let e = truth.entry(token.to_string()).or_default();
            e.0 += 1;
            e.1 += f[6].parse::<u64>().unwrap_or(0);
            e.2.push(f[7].parse().unwrap());
        }
    }
    for (token, (ok, _)) in &e.tokens {
        let t = &e.access[token].ok;
        assert_eq!(t.requests, *ok, "{token}");
        let (n, bytes, mut durations) = truth.remove(token).unwrap_or_default();
        durations.sort_unstable();
        assert_eq!((t.requests, t.bytes, &t.durations), (n, bytes, &durations));
        assert_eq!(t.statuses.values().sum::<u64>(), n);
        assert_eq!(t.agents.values().sum::<u64>(), n);
        assert!(t.percentile(50.0) <= t.percentile(95.0));
        assert!(t.percentile(95.0) <= t.max_duration());
    }
    assert!(
        e.access
            .values()
            .any(|t| t.failed.statuses.contains_key(&401)),
        "failing PATs answer 401"
    );
    assert!(
        acc.contains("\\\"quoted\\\""),
        "Tomcat escapes quotes in agents"
    );

    // The day before: the same ids, another client, a day earlier.
    let mut prev = Vec::new();
    let p = genlog::generate_previous_day_access(&cfg, &mut prev, &opts).unwrap();
    let prev = String::from_utf8(prev).unwrap();
    assert_eq!(p.access_lines, e.access_lines);
    let first = fields(prev.lines().next().unwrap());
    assert!(seen.contains(&first[1]), "ids repeat: {}", first[1]);
    assert!(prev.lines().all(|l| l.contains(genlog::PREVIOUS_DAY_AGENT)));
    assert!(!acc.contains(genlog::PREVIOUS_DAY_AGENT));

    // Jira 11: %D in microseconds.
    let mut micro = Vec::new();
    let m = genlog::generate_with_access(
        &cfg,
        &mut Vec::new(),
        &mut micro,
        &genlog::AccessOptions {
            micros: true,
            ..Default::default()
        },
    )
    .unwrap();
    let token = e.tokens.keys().next().unwrap();
    assert!(m.access[token].ok.max_duration() >= 1000 * e.access[token].ok.max_duration());
}

#[test]
fn a_new_jvm_counts_request_ids_from_one_again() {
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let a = request_id(&get(&sim, "/status", None, "curl/8.5.0"));
    get(&sim, "/status", None, "curl/8.5.0");
    sim.restart_jvm();
    let b = request_id(&get(&sim, "/status", None, "curl/8.5.0"));
    let counter = |id: &str| id.split('x').nth(1).unwrap().to_string();
    assert_eq!(counter(&a), "1");
    assert_eq!(counter(&b), "1", "{a} then {b}");
    assert_eq!(sim.request_count(), 3);
    // Both counters 1 in the access log (lines come at completion: wait for all three).
    let path = sim.access_log_path();
    wait_line(&path, "of the three requests", |_| {
        std::fs::read_to_string(&path).unwrap().lines().count() == 3
    });
    let text = std::fs::read_to_string(&path).unwrap();
    let ones = text
        .lines()
        .filter(|l| counter(l.split(' ').nth(1).unwrap()) == "1")
        .count();
    assert_eq!(ones, 2, "{text}");
}

/// The scripted clients of the demo each send their own User-Agent, which the access log
/// shows (Tomcat-escaped) on every one of their requests.
#[test]
fn each_scripted_client_shows_its_own_agent() {
    use jira_sim::traffic::{self, TrafficOptions};
    let sim = SimJira::start(SimConfig::default()).unwrap();
    let clients = traffic::standard_mix(sim.accounts(), 1);
    let mut agents: Vec<&str> = clients.iter().map(|c| c.user_agent()).collect();
    agents.sort_unstable();
    agents.dedup();
    assert_eq!(agents.len(), clients.len(), "distinct agents");
    assert!(!agents.contains(&traffic::DEFAULT_USER_AGENT));
    let r = traffic::run(&sim.url(), &clients, &TrafficOptions::default());
    let n = r.total_sent() as usize;
    let path = sim.access_log_path();
    wait_line(&path, "for every request", |_| {
        std::fs::read_to_string(&path).unwrap().lines().count() >= n
    });
    let text = std::fs::read_to_string(&path).unwrap();
    for c in &clients {
        let escaped = c.user_agent().replace('\\', "\\\\").replace('"', "\\\"");
        assert!(
            text.contains(&format!("\"{escaped}\"")),
            "{} {escaped}:\n{text}",
            c.label
        );
    }
}
