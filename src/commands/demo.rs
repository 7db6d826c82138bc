//! `jira-patrol demo`: the whole job on a built-in simulated Jira, with nothing to set up.
//! It starts the simulator on a free loopback port with a temporary JIRA_HOME, lets
//! scripted clients use the PATs of two users (some requests fail on purpose), runs a
//! short capture window and prints the summary beside what the clients really sent.

use super::output_args::ReportArgs;
use crate::capture::plan::{Plan, ProfileChoice, RotationAt, Window};
use crate::jira::{Client, ClientConfig, Credentials};
use crate::secret::Secret;
use anyhow::{Context, Result};
use jira_sim::traffic::{self, TrafficOptions, TrafficReport};
use jira_sim::{SimConfig, SimJira};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The flags of `jira-patrol demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Length of the capture window
    #[arg(long = "for", value_name = "DURATION", default_value = "10s")]
    pub duration: String,
    /// Format, file, SQL dialect, width of the summary.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Run it on a simulated Data Center cluster of N nodes behind a load balancer: the
    /// capture follows every node's log and access log and says what it covered
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub nodes: u16,
}

/// `jira-patrol demo`.
pub fn run(args: DemoArgs) -> Result<()> {
    let window =
        crate::duration::window(&args.duration).map_err(|e| anyhow::anyhow!("--for: {e}"))?;
    // Before the simulator starts: a wrong -o must not cost the window.
    args.report.out.check_paths()?;
    // The demo's journal must never meet a real one: keep its state in a temporary place.
    let state = tempfile::tempdir().context("cannot create a temporary directory")?;
    let journal = crate::journal::Journal::at(state.path().join("jira-patrol"));

    let cfg = SimConfig {
        // Small enough to rotate during the window: the capture follows it through.
        log_max_bytes: 256 * 1024,
        log_backups: 50,
        // Licensed as Data Center, so that the report shows the token inventory.
        data_center: true,
        ..SimConfig::default()
    };
    let cluster = if args.nodes > 1 {
        Some(
            jira_sim::SimCluster::start_addressable(usize::from(args.nodes), cfg.clone())
                .context("cannot start the simulated cluster")?,
        )
    } else {
        None
    };
    let single = match &cluster {
        Some(_) => None,
        None => Some(SimJira::start(cfg).context("cannot start the simulated Jira")?),
    };
    let (sim, url): (&SimJira, String) = match (&cluster, &single) {
        (Some(c), _) => (c.node(0), c.url()),
        (None, Some(s)) => (s, s.url()),
        (None, None) => unreachable!("one of them was started"),
    };
    crate::output::say(&format!(
        "demo: simulated Jira {} at {} (JIRA_HOME {})",
        SimConfig::default().version,
        url,
        sim.home().display()
    ));
    if let Some(c) = &cluster {
        crate::output::say(&format!(
            "demo: a Data Center cluster of {} nodes behind a load balancer (round-robin, sticky on the session cookie); each node writes its own log, all of them are followed:",
            c.nodes().len()
        ));
        for n in c.nodes() {
            crate::output::say(&format!(
                "demo:   {} at {}: {}",
                n.node_id().unwrap_or("?"),
                n.url(),
                n.log_path().display()
            ));
        }
    }
    crate::output::say(&format!(
        "demo: Tomcat's access log {} (each scripted client sends its own User-Agent: {})",
        sim.access_log_path().display(),
        traffic::USER_AGENTS
            .iter()
            .map(|(_, ua)| *ua)
            .take(4)
            .collect::<Vec<_>>()
            .join(", ")
            + ", ..."
    ));
    crate::output::say("demo: logging in as the simulator's admin (password login, websudo, XSRF as on a real Jira)");
    let client = Client::new(ClientConfig::new(
        url.clone(),
        Credentials {
            token: None,
            password: Some(("admin".into(), Secret::new("admin"))),
        },
    ))?;

    // The simulator's install holds what a real one does: conf/server.xml (the access
    // log's pattern), logs/access_log.<date>, and the log4j file declaring its rotation
    // (so the rotation guard knows the limits instead of learning them from the files).
    let install = sim.install_dir();
    crate::output::say(&format!(
        "demo: Jira install {} (server.xml, access logs, log4j configuration)",
        install.display()
    ));

    let sent = Mutex::new(TrafficReport::default());
    let stop = AtomicBool::new(false);
    let logs: Vec<crate::source::LogSource> = match &cluster {
        Some(c) => c
            .nodes()
            .iter()
            .map(|n| crate::source::LogSource {
                node: n.node_id().map(str::to_string),
                at: crate::source::Location::Local(n.log_path()),
            })
            .collect(),
        None => vec![sim.log_path().into()],
    };
    let mut plan = Plan::new(
        ProfileChoice::Named("pats-trace".into()),
        Window::For(window),
        logs,
    )
    .with_rotation(Some(RotationAt::Install(install.to_path_buf())));
    if let Some(c) = &cluster {
        // One access log per node, in the order of the logs.
        plan.access.paths = c.install_dirs().iter().map(|d| d.join("logs")).collect();
    }
    plan.output.format = args.report.out.format;
    plan.output.dialect = args.report.dialect;
    plan.output.wide = args.report.wide;
    plan.output.csv_raw = args.report.out.csv_raw;
    plan.output.path = args.report.out.output.clone();
    plan.check()?;
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            // Only traffic inside the window is compared: wait until the profile is on.
            if !traffic::wait_for_window(sim, &stop) {
                return;
            }
            let end = Instant::now() + window.saturating_sub(Duration::from_secs(2));
            while Instant::now() < end && !stop.load(Ordering::SeqCst) {
                let clients = traffic::paced_mix(sim.accounts(), 2, Duration::from_millis(150));
                let r = traffic::run(&url, &clients, &TrafficOptions::default());
                if let Ok(mut s) = sent.lock() {
                    merge(&mut s, &r);
                }
            }
        });
        let r = crate::output::capture::run(&client, &plan, journal);
        stop.store(true, Ordering::SeqCst);
        r
    });
    super::capture::exit(result)?;
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let tokens: u64 = sent.by_token_id.values().map(|t| t.sent).sum();
    let ok: u64 = sent.by_token_id.values().map(|t| t.ok).sum();
    let summary = match &args.report.out.output {
        Some(p) => format!("the summary in {}", p.display()),
        None => "the summary above".into(),
    };
    crate::output::say(&format!(
        "demo: the scripted clients sent {tokens} requests with well-formed tokens ({ok} accepted, {} refused), {} with Bearer values that are no PAT (garbage, a JWT) and {} without a token; compare with {summary}.",
        tokens - ok,
        sent.malformed.sent,
        sent.without_token.sent
    ));
    let clients = traffic::paced_mix(sim.accounts(), 1, Duration::ZERO);
    let agents: Vec<String> = clients
        .iter()
        .filter(|c| c.token_id().is_some())
        .map(|c| format!("{} ({})", c.user_agent(), c.label))
        .collect();
    crate::output::say(&format!(
        "demo: each script sent its own User-Agent, which the access-log join shows per token: {}",
        agents.join(", ")
    ));
    crate::output::say("demo: on a real Jira: jira-patrol check, then jira-patrol capture --for 15m --log JIRA_HOME/log/atlassian-jira.log (or jira-patrol setup)");
    Ok(())
}

fn merge(into: &mut TrafficReport, r: &TrafficReport) {
    for (k, t) in &r.by_token_id {
        let e = into.by_token_id.entry(k.clone()).or_default();
        e.sent += t.sent;
        e.ok += t.ok;
        e.unauthorized += t.unauthorized;
        e.other += t.other;
        e.transport_errors += t.transport_errors;
    }
    into.malformed.sent += r.malformed.sent;
    into.without_token.sent += r.without_token.sent;
}
