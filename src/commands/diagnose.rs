//! `jira-patrol diagnose`: run `check` against Jira while recording each HTTP answer, and
//! write what is needed to understand a Jira that differs from what jira-patrol knows into
//! one redacted bundle (a directory, or a `.tar.gz`) to send along with a report.

use super::conn::ConnArgs;
use crate::diagnose::{self, Bundle};
use crate::format::OutputFormat;
use crate::jira::{Client, Recording, VIEW_LOGGING};
use crate::output::Target;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const LOG_HEAD_LINES: usize = 50;
const SERVER_INFO: &str = "/rest/api/2/serverInfo";

/// Arguments of `jira-patrol diagnose`.
#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// Where Jira is and how to log in.
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Where to write the bundle: a new directory, or a .tar.gz file
    /// [default: jira-patrol-diagnose-TIME.tar.gz]
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Jira install directory: its log4j configuration files go into the bundle
    #[arg(long, value_name = "DIR")]
    pub jira_install: Option<PathBuf>,

    /// atlassian-jira.log: its first 50 lines go into the bundle
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Also run the self-check (raise the pats-trace levels, make one token request, put the
    /// levels back) and bundle its log lines, masked
    #[arg(long, requires = "log")]
    pub self_check: bool,

    /// How long the self-check waits for its request's lines, e.g. 30s
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        requires = "self_check"
    )]
    pub self_check_timeout: String,
}

/// Write the bundle: refuses an existing `--output`, checks the arguments before any
/// prompt, then records `check` (and the self-check when asked) into it.
pub fn run(args: DiagnoseArgs) -> anyhow::Result<()> {
    let out = args.output.clone().unwrap_or_else(default_output);
    if out.exists() {
        anyhow::bail!("{} already exists: choose another --output", out.display());
    }
    // Every local path before Jira: a wrong one must not cost a prompt or a check.
    crate::paths::writable_file("-o/--output", &out)?;
    if let Some(d) = &args.jira_install {
        crate::paths::readable_dir("--jira-install", d)?;
    }
    if let Some(l) = &args.log {
        crate::paths::readable_file("--log", l)?;
    }
    // Wrong arguments should not cost a password prompt first.
    let self_check = if args.self_check {
        let timeout = super::capture::parse_window(&args.self_check_timeout)
            .map_err(|e| anyhow::anyhow!("--self-check-timeout: {e}"))?;
        Some((crate::profiles::load("pats-trace", None)?, timeout))
    } else {
        None
    };
    let client = args.conn.connect()?;
    let recording = Recording::new();
    client.record_to(recording.clone());
    let mut report = super::check::check(&client);
    let mut probe_lines = None;
    if let (None, Some((profile, timeout)), Some(log)) = (&report.failure, self_check, &args.log) {
        let run = super::check::run_self_check(
            &client,
            profile,
            timeout,
            &[crate::source::LogSource::local(log.clone())],
            // One log, whatever the cluster: the bundle is about how this one reads.
            &crate::cluster::Scope {
                allow_partial: true,
                ..Default::default()
            },
            &mut report,
        )?;
        if let Some(why) = &run.failure {
            report
                .failure
                .get_or_insert_with(|| why.lines().next().unwrap_or_default().to_string());
        }
        probe_lines = Some(run.lines);
    }

    let mut bundle = Bundle::new();
    let mut missing = Vec::new();
    let check_text = {
        let mut v = Vec::new();
        report.rows.table(&mut v, None)?;
        recording.scrub(&String::from_utf8_lossy(&v))
    };
    bundle.add("check.txt", check_text);

    let mut exchanges = String::new();
    for e in recording.exchanges() {
        exchanges.push_str(&serde_json::to_string(&e)?);
        exchanges.push('\n');
    }
    bundle.add("exchanges.jsonl", exchanges);

    let server_info = recording.last_ok_body(SERVER_INFO);
    match &server_info {
        Some(json) => {
            let pretty = serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| json.clone());
            bundle.add_log_lines("server-info.json", pretty.lines(), &recording);
        }
        None => missing.push(format!("server-info.json: {SERVER_INFO} gave no answer")),
    }

    match recording.last_ok_body(VIEW_LOGGING) {
        Some(html) => bundle.add(
            "logging-page.html",
            diagnose::redact_html(&html, &recording),
        ),
        None => missing.push(format!(
            "logging-page.html: {VIEW_LOGGING} could not be read (see check.txt)"
        )),
    }

    match &args.jira_install {
        Some(dir) => add_log4j_files(&mut bundle, dir, &recording, &mut missing),
        None => missing.push("log4j/: no --jira-install DIR given".into()),
    }

    match &args.log {
        Some(log) => match diagnose::head(log, LOG_HEAD_LINES) {
            Ok(lines) => {
                bundle.add_log_lines("log-head.txt", lines.iter().map(String::as_str), &recording)
            }
            Err(e) => missing.push(format!("log-head.txt: cannot read {}: {e}", log.display())),
        },
        None => missing.push("log-head.txt: no --log FILE given".into()),
    }

    match probe_lines {
        Some(lines) if !lines.is_empty() => {
            let lines: Vec<String> = lines
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect();
            bundle.add_log_lines(
                "self-check.log",
                lines.iter().map(String::as_str),
                &recording,
            )
        }
        Some(_) => missing.push(
            "self-check.log: the self-check saw no line of its request (see check.txt)".into(),
        ),
        None => missing.push("self-check.log: no --self-check given".into()),
    }

    let summary = summary(&client, &report, server_info.as_deref(), &bundle, &missing);
    bundle.add(
        "summary.json",
        recording.scrub(&serde_json::to_string_pretty(&summary)?) + "\n",
    );
    bundle.add("README.txt", recording.scrub(&readme(&summary, &bundle)));

    let written = bundle
        .write(&out)
        .with_context(|| format!("cannot write the bundle {}", out.display()))?;
    if let Some(why) = &report.failure {
        crate::output::say(&format!(
            "note: the check failed ({why}); the bundle shows how far it got"
        ));
    }
    println!(
        "wrote {} ({} files, redacted: no password, token, cookie or XSRF token; see README.txt inside)",
        written.display(),
        bundle.files().len()
    );
    Ok(())
}

fn add_log4j_files(
    bundle: &mut Bundle,
    dir: &Path,
    rec: &Arc<Recording>,
    missing: &mut Vec<String>,
) {
    let files = diagnose::log4j_files(dir);
    if files.is_empty() {
        missing.push(format!(
            "log4j/: neither log4j2.xml nor log4j.properties under {}",
            dir.display()
        ));
        return;
    }
    for (name, path) in files {
        match crate::inputfile::read_capped(
            &path,
            crate::inputfile::CONFIG_CAP,
            "log4j configuration",
        ) {
            Ok(bytes) => bundle.add(
                &format!("log4j/{name}"),
                diagnose::redact_config(&String::from_utf8_lossy(&bytes), rec),
            ),
            Err(e) => missing.push(format!("log4j/{name}: {e}")),
        }
    }
    match crate::log4j::locate(dir) {
        Ok(l) => bundle.add(
            "log4j/LIVE.txt",
            format!("{}\n{}\n", l.path.display(), l.note),
        ),
        Err(e) => missing.push(format!("log4j/LIVE.txt: {e}")),
    }
}

fn summary(
    client: &Client,
    report: &super::check::Report,
    server_info: Option<&str>,
    bundle: &Bundle,
    missing: &[String],
) -> serde_json::Value {
    let mut checks = Vec::new();
    let _ = report
        .rows
        .render(OutputFormat::Json, Target::default(), &mut checks);
    let checks: serde_json::Value =
        serde_json::from_slice(&checks).unwrap_or(serde_json::Value::Null);
    let jira: serde_json::Value = server_info
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .map(|v| {
            serde_json::json!({
                "version": v["version"],
                "build_number": v["buildNumber"],
                "deployment_type": v["deploymentType"],
            })
        })
        .unwrap_or(serde_json::Value::Null);
    let mut files: Vec<&str> = bundle.files().iter().map(|f| f.name.as_str()).collect();
    files.extend(["summary.json", "README.txt"]);
    serde_json::json!({
        "tool": "jira-patrol",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "created_at": jiff::Timestamp::now().to_string(),
        "jira_url": client.base_url(),
        "jira": jira,
        "check_passed": report.failure.is_none(),
        "check_failure": report.failure,
        "checks": checks["checks"],
        "files": files,
        "missing": missing,
    })
}

fn readme(summary: &serde_json::Value, bundle: &Bundle) -> String {
    let s = |k: &str| summary[k].as_str().unwrap_or("-").to_string();
    let jira = &summary["jira"];
    let mut r = format!(
        "jira-patrol diagnostics bundle\n\n\
         tool:    jira-patrol {}\n\
         created: {}\n\
         Jira:    {} (version {}, {})\n\
         check:   {}\n\n",
        s("tool_version"),
        s("created_at"),
        s("jira_url"),
        jira["version"].as_str().unwrap_or("unknown"),
        jira["deployment_type"]
            .as_str()
            .unwrap_or("deployment unknown"),
        match summary["check_failure"].as_str() {
            None => "passed".to_string(),
            Some(why) => format!("failed: {why}"),
        }
    );
    r.push_str("Files:\n");
    // README.txt is written last, so it names itself.
    for f in bundle
        .files()
        .iter()
        .map(|f| f.name.as_str())
        .chain(["README.txt"])
    {
        r.push_str(&format!("  {f:<20} {}\n", describe(f)));
    }
    if let Some(m) = summary["missing"].as_array().filter(|m| !m.is_empty()) {
        r.push_str("\nNot included:\n");
        for line in m.iter().filter_map(|v| v.as_str()) {
            r.push_str(&format!("  {line}\n"));
        }
    }
    r.push_str(
        "\nRedacted: no request header, request body, cookie value, password, personal access\n\
         token or XSRF token was recorded. Values the tool saw that could open a session were\n\
         replaced by <redacted> wherever they appeared, as were query values other than\n\
         redirect destinations, password-like settings of log4j files, {PKCS5S2} hashes and\n\
         anything shaped like a token or session id. Look through the files before sending.\n",
    );
    r
}

fn describe(name: &str) -> &'static str {
    match name {
        "check.txt" => "the verdicts of `jira-patrol check` against this Jira",
        "exchanges.jsonl" => {
            "each HTTP answer of that check: method, path, status, Location, X-AUSERNAME, X-ANODEID, X-AREQUESTID, X-Atlassian-WebSudo, X-Seraph-LoginReason, content type, names of cookies set"
        }
        "server-info.json" => "GET /rest/api/2/serverInfo",
        "logging-page.html" => "the logging page (ViewLogging.jspa) as Jira served it",
        "log-head.txt" => "the first 50 lines of the --log file",
        "self-check.log" => {
            "the log lines of the self-check's one token request (pats-trace), hashes and tokens masked"
        }
        "log4j/LIVE.txt" => "which log4j file jira-patrol takes as the live one, and why",
        "summary.json" => "the facts of this README, for tools",
        "README.txt" => "this file",
        n if n.starts_with("log4j/") => "a log4j configuration file from --jira-install",
        _ => "log lines",
    }
}

fn default_output() -> PathBuf {
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    PathBuf::from(format!("jira-patrol-diagnose-{now}.tar.gz"))
}
