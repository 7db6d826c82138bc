//! `jira-patrol sim`: run the simulated Jira in the foreground until Ctrl-C, printing
//! where it listens, where it logs, and its (test-only) accounts.

use anyhow::Context as _;
use jira_sim::{RotationMode, SimConfig, SimJira, TlsIdentity};
use std::path::PathBuf;

/// Arguments of `jira-patrol sim`: how the simulated Jira behaves.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (default: any free port)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// JIRA_HOME of the simulator; the log is DIR/log/atlassian-jira.log
    /// (default: a temporary directory, removed on exit)
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Do not require websudo on admin pages (jira.websudo.is.disabled = true)
    #[arg(long)]
    pub no_websudo: bool,
    /// Let PAT requests use admin pages without websudo
    #[arg(long)]
    pub pat_websudo_exempt: bool,
    /// Answer Basic auth with "disabled" (403), as Jira 8.16+ can
    #[arg(long)]
    pub no_basic_auth: bool,
    /// Act as a Data Center node with this id (X-ANODEID)
    #[arg(long, value_name = "ID")]
    pub node_id: Option<String>,
    /// Act as a one-node Data Center (licence and serverInfo) without a node id: the
    /// token search then answers, as `jira-patrol tokens` needs
    #[arg(long)]
    pub data_center: bool,
    /// Serve HTTPS with the built-in test certificate (not trusted by default)
    #[arg(long)]
    pub tls: bool,
    /// Rotate the log at this many bytes (0 = never)
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub log_max_bytes: u64,
    /// Rotated files to keep (atlassian-jira.log.1 is the newest)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub log_backups: u32,
    /// Rotate like logrotate's copytruncate instead of log4j's rename
    #[arg(long)]
    pub copytruncate: bool,
    /// Serve under a context path, e.g. /jira
    #[arg(long, value_name = "PATH", default_value = "")]
    pub context_path: String,
    /// Jira version to report (below 8.1 log dates have no +hhmm offset)
    #[arg(long, value_name = "X.Y.Z", default_value = "9.12.2")]
    pub jira_version: String,
    /// Accept level changes on the logging page but log as if they were not made (a Jira
    /// 9.5+ that lost its log4j2 JVM arguments): what the capture's self-check catches
    #[arg(long)]
    pub muted: bool,
    /// Refuse to create personal access tokens (403), as a Jira that switched creation off
    #[arg(long)]
    pub no_token_creation: bool,
    /// Serve N anonymous non-PAT requests per second in the background (each writes the
    /// PAT filter's two TRACE lines when it is at TRACE: the cost of a capture)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub background_rps: u32,
    /// Every SECS seconds, send one round of scripted PAT traffic (good and failing tokens)
    #[arg(long, value_name = "SECS")]
    pub traffic: Option<u64>,
    /// Send logins to single sign-on: `saml` (this Jira's SAML servlet) or `idp` (another host)
    #[arg(long, value_name = "WHERE", value_parser = ["saml", "idp"])]
    pub sso_login: Option<String>,
    /// Send websudo to single sign-on: `saml` or `idp`
    #[arg(long, value_name = "WHERE", value_parser = ["saml", "idp"])]
    pub sso_websudo: Option<String>,
    /// Run a Data Center cluster of N nodes behind a load balancer (round-robin, sticky on
    /// the session cookie), each with its own home, logs and access log, one database; it
    /// answers /rest/api/2/cluster/nodes. Node i listens on 127.0.0.<i+1> at the
    /// balancer's port
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub nodes: u16,
    /// With --nodes: the nodes listen on ports of their own on 127.0.0.1, so only the
    /// balancer can be reached (the node table's addresses answer nothing)
    #[arg(long, requires = "nodes")]
    pub balancer_only: bool,
}

/// The simulator running: one Jira, or a cluster behind its balancer.
enum Running {
    One(SimJira),
    Cluster(Box<jira_sim::SimCluster>),
}

impl Running {
    fn url(&self) -> String {
        match self {
            Running::One(s) => s.url(),
            Running::Cluster(c) => c.url(),
        }
    }
    fn accounts(&self) -> &jira_sim::SimAccounts {
        match self {
            Running::One(s) => s.accounts(),
            Running::Cluster(c) => c.accounts(),
        }
    }
    fn first(&self) -> &SimJira {
        match self {
            Running::One(s) => s,
            Running::Cluster(c) => c.node(0),
        }
    }
}

fn sso_target(choice: Option<&str>) -> Option<String> {
    choice.map(|c| {
        if c == "idp" {
            jira_sim::SSO_OTHER_HOST
        } else {
            jira_sim::SSO_SAML
        }
        .to_string()
    })
}

/// Start the simulator, print its URL, log path and accounts, and serve until Ctrl-C
/// or SIGTERM.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let cfg = SimConfig {
        home: args.home.clone(),
        port: args.port,
        websudo: !args.no_websudo,
        pat_websudo_exempt: args.pat_websudo_exempt,
        basic_auth: !args.no_basic_auth,
        node_id: args.node_id.clone(),
        data_center: args.data_center,
        tls: args.tls.then(TlsIdentity::test_identity),
        log_max_bytes: args.log_max_bytes,
        log_backups: args.log_backups,
        rotation: if args.copytruncate {
            RotationMode::CopyTruncate
        } else {
            RotationMode::Rename
        },
        context_path: args.context_path.clone(),
        version: args.jira_version.clone(),
        sso_login: sso_target(args.sso_login.as_deref()),
        sso_websudo: sso_target(args.sso_websudo.as_deref()),
        runtime_levels_apply: !args.muted,
        token_creation: !args.no_token_creation,
        background_rps: args.background_rps,
        ..SimConfig::default()
    };
    if args.nodes > 1 && args.tls {
        anyhow::bail!(
            "--tls and --nodes: the simulated cluster serves plain HTTP only; leave out --tls"
        );
    }
    let started = if args.nodes > 1 {
        let n = usize::from(args.nodes);
        let cfg = SimConfig {
            node_id: args.node_id.clone(),
            ..cfg
        };
        if args.balancer_only {
            jira_sim::SimCluster::start(n, cfg)
        } else {
            jira_sim::SimCluster::start_addressable(n, cfg)
        }
        .map(|c| Running::Cluster(Box::new(c)))
    } else {
        SimJira::start(cfg).map(Running::One)
    };
    let sim = started.with_context(|| {
        format!(
            "could not start the simulated Jira on 127.0.0.1:{}: pick another --port or 0",
            args.port
        )
    })?;
    let signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .context("could not install the Ctrl-C handler")?;

    println!(
        "Simulated Jira {} listening on {}",
        args.jira_version,
        sim.url()
    );
    match &sim {
        Running::One(s) => {
            println!("JIRA_HOME: {}", s.home().display());
            println!("Log:       {}", s.log_path().display());
            println!(
                "Install:   {} (conf/server.xml, logs/access_log.<date>)",
                s.install_dir().display()
            );
        }
        Running::Cluster(c) => {
            println!(
                "Load balancer in front of {} nodes (round-robin, sticky on JSESSIONID){}:",
                c.nodes().len(),
                if args.balancer_only {
                    "; the nodes cannot be reached at their table's addresses"
                } else {
                    ""
                }
            );
            for n in c.nodes() {
                println!(
                    "  {} at {}: JIRA_HOME {}, log {}, install {}",
                    n.node_id().unwrap_or("?"),
                    n.url(),
                    n.home().display(),
                    n.log_path().display(),
                    n.install_dir().display()
                );
            }
        }
    }
    if args.tls {
        let ca = sim.first().home().join("sim-test-ca.pem");
        std::fs::write(&ca, TlsIdentity::test_ca_pem())
            .with_context(|| format!("could not write {}", ca.display()))?;
        println!(
            "TLS:       test-only CA (trust it to connect): {}",
            ca.display()
        );
    }
    println!();
    println!("== TEST-ONLY simulator credentials (not real secrets) ==");
    for u in &sim.accounts().users {
        println!(
            "user {:<6} password {:<6} key {:<14} {}{}",
            u.name,
            u.password,
            u.key,
            if u.admin {
                "System Administrator"
            } else if u.jira_admin {
                "Jira Administrator (not System)"
            } else {
                "user"
            },
            if u.active { "" } else { ", INACTIVE" }
        );
    }
    for t in &sim.accounts().tokens {
        let state = if t.is_expired(jiff::Timestamp::now()) {
            " (expired)"
        } else {
            ""
        };
        println!(
            "PAT  {} token id {} owner {:<6} name {:?}{state}",
            t.raw, t.token_id, t.owner, t.name
        );
    }
    println!("== end of test-only credentials ==");
    println!();
    println!(
        "Example: JIRA_URL={} JIRA_USER=admin JIRA_PASSWORD=admin jira-patrol check",
        sim.url()
    );
    if let Running::Cluster(c) = &sim {
        let logs: Vec<String> = c
            .nodes()
            .iter()
            .map(|n| {
                format!(
                    "--log {}={}",
                    n.node_id().unwrap_or("?"),
                    crate::capture::plan::quote(&n.log_path().display().to_string())
                )
            })
            .collect();
        println!(
            "Capture:  JIRA_URL={} JIRA_USER=admin JIRA_PASSWORD=admin jira-patrol capture --for 1m {}",
            sim.url(),
            logs.join(" ")
        );
    }
    use std::io::Write as _;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let traffic = args.traffic.map(|secs| {
        let (url, clients, stop) = (
            sim.url(),
            jira_sim::traffic::standard_mix(sim.accounts(), 1),
            stop.clone(),
        );
        let opts = jira_sim::traffic::TrafficOptions {
            accept_invalid_certs: args.tls,
            ..Default::default()
        };
        std::thread::spawn(move || {
            let period = std::time::Duration::from_secs(secs.max(1));
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                jira_sim::traffic::run(&url, &clients, &opts);
                let until = std::time::Instant::now() + period;
                while std::time::Instant::now() < until
                    && !stop.load(std::sync::atomic::Ordering::SeqCst)
                {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        })
    });
    if let Some(secs) = args.traffic {
        println!("Sending scripted PAT traffic every {secs}s.");
    }
    if args.background_rps > 0 {
        println!(
            "Serving {} anonymous requests per second in the background.",
            args.background_rps
        );
    }
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();

    let mut signals = signals;
    let _ = signals.forever().next();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(t) = traffic {
        let _ = t.join();
    }
    eprintln!("stopping the simulated Jira");
    drop(sim);
    Ok(())
}
