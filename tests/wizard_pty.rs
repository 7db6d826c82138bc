//! The guided setup driven through a real pseudo-terminal (expectrl) against the simulated
//! Jira, as an administrator would: answers typed, menus chosen with arrows and Enter,
//! a wrong password, going back, cancelling. Asserts on what a person sees and on what
//! is left on Jira and on disk.
#![cfg(unix)]

mod common;

use expectrl::{Eof, Expect};
use jira_sim::{SimConfig, SimJira};
use std::path::PathBuf;
use std::time::Duration;

const FIXTURE: &str = "tests/fixtures/log4j/jira-9.5plus-style-log4j2.xml";
const DOWN: &str = "\x1b[B";

struct World {
    sim: SimJira,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        Self::with(SimConfig::default())
    }
    fn with(cfg: SimConfig) -> World {
        let sim = SimJira::start(SimConfig {
            noise: false,
            ..cfg
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let classes = dir.path().join("install/atlassian-jira/WEB-INF/classes");
        std::fs::create_dir_all(&classes).unwrap();
        std::fs::copy(FIXTURE, classes.join("log4j2.xml")).unwrap();
        // Where a real install says where JIRA_HOME is: the wizard derives the log from it.
        std::fs::write(
            classes.join("jira-application.properties"),
            format!("jira.home = {}\n", sim.home().display()),
        )
        .unwrap();
        World { sim, dir }
    }
    fn install(&self) -> PathBuf {
        self.dir.path().join("install")
    }
    fn log4j(&self) -> PathBuf {
        self.install()
            .join("atlassian-jira/WEB-INF/classes/log4j2.xml")
    }
    fn config_file(&self) -> PathBuf {
        self.dir.path().join("config/jira-patrol/config.toml")
    }
    fn backups(&self) -> Vec<PathBuf> {
        let dir = self.log4j().parent().unwrap().to_path_buf();
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".bak"))
            .collect();
        v.sort();
        v
    }

    fn spawn(&self, args: &[&str]) -> Wiz {
        // Wide enough for the summary table's columns.
        self.spawn_sized(args, 220, 50)
    }

    /// On a terminal of `cols` x `rows`, whose screen the test reads as a person would.
    fn spawn_sized(&self, args: &[&str], cols: u16, rows: u16) -> Wiz {
        let mut cmd = common::isolated(self.dir.path());
        // The profile step's sample of Jira's request rate: 5 s is for people.
        cmd.env("TERM", "xterm-256color")
            .env("JIRA_PATROL_SAMPLE_MS", "1000")
            .arg("setup")
            .args(args);
        let mut p = common::spawn_with_echo(cmd);
        p.get_process_mut().set_window_size(cols, rows).unwrap();
        // A cap against a hang, not a speed limit: a loaded machine must not trip it.
        p.set_expect_timeout(Some(Duration::from_secs(120)));
        Wiz {
            p,
            seen: String::new(),
            screen: vt100::Parser::new(rows.try_into().unwrap(), cols.try_into().unwrap(), 0),
            no_wrap: false,
        }
    }
}

/// A running wizard and everything it has shown so far.
struct Wiz {
    p: expectrl::session::OsSession,
    seen: String,
    /// The terminal's screen, from every byte shown.
    screen: vt100::Parser,
    /// Fail as soon as the terminal wraps a line (the 80-column test).
    no_wrap: bool,
}

impl Wiz {
    fn expect(&mut self, text: &str) {
        match self.p.expect(text) {
            Ok(c) => {
                self.seen.push_str(&String::from_utf8_lossy(c.before()));
                self.seen.push_str(text);
                self.screen.process(c.before());
                self.screen.process(text.as_bytes());
                if self.no_wrap {
                    self.no_line_wrapped_by_the_terminal();
                }
            }
            Err(e) => panic!(
                "waiting for {text:?}: {e}\n--- seen so far ---\n{}",
                plain(&self.seen)
            ),
        }
    }
    /// Answer a text prompt once it is shown.
    fn answer(&mut self, prompt: &str, text: &str) {
        self.expect(prompt);
        self.p.send(format!("{text}\r")).unwrap();
    }
    /// A hidden prompt: wait until echo is really off (the prompt flushes pending input).
    fn secret(&mut self, prompt: &str, text: &str) {
        self.expect(prompt);
        common::wait_echo_off(&self.p);
        self.p.send(format!("{text}\r")).unwrap();
    }
    /// Choose the `n`th item (0 = the highlighted default) of a menu once it is drawn.
    fn choose(&mut self, prompt: &str, n: usize) {
        self.expect(prompt);
        self.expect("cancel setup");
        for _ in 0..n {
            self.p.send(DOWN).unwrap();
        }
        self.p.send("\r").unwrap();
    }
    /// Read to the end; the exit code.
    fn finish(&mut self) -> i32 {
        let rest = self.p.expect(Eof).unwrap();
        self.seen
            .push_str(&String::from_utf8_lossy(rest.as_bytes()));
        match self.p.get_process().wait().unwrap() {
            expectrl::process::unix::WaitStatus::Exited(_, code) => code,
            other => panic!(
                "wizard did not exit normally: {other:?}\n{}",
                plain(&self.seen)
            ),
        }
    }
    fn text(&self) -> String {
        plain(&self.seen)
    }

    /// What the terminal shows now, one string per row.
    fn rows(&self) -> Vec<String> {
        let s = self.screen.screen();
        let (_, cols) = s.size();
        s.rows(0, cols.get()).collect()
    }

    /// Every line fits: none reached the last column and went on on the next row, which
    /// is where a terminal splits a word.
    fn no_line_wrapped_by_the_terminal(&self) {
        let s = self.screen.screen();
        let (rows, _) = s.size();
        for r in 0..rows.get() {
            assert!(
                !s.row_wrapped(r),
                "row {r} was wrapped by the terminal:\n{}",
                self.rows().join("\n")
            );
        }
    }

    /// The step `n`'s header and the whole menu (prompt and every item, back and cancel
    /// included) are on the screen at once: nothing a person needs scrolled away.
    fn menu_on_screen(&mut self, n: usize, prompt: &str, items: &[&str]) {
        self.expect(prompt);
        self.expect("cancel setup");
        let rows = self.rows();
        let on = |t: &str| rows.iter().any(|r| r.contains(t));
        let header = format!("Step {n} of 10");
        assert!(on(&header), "{header} scrolled away:\n{}", rows.join("\n"));
        for t in items.iter().chain(&[prompt, "back", "cancel setup"]) {
            assert!(on(t), "{t:?} not on screen:\n{}", rows.join("\n"));
        }
    }

    /// A text prompt of step `n` is shown with the step's header still on the screen.
    fn prompt_on_screen(&mut self, n: usize, prompt: &str) {
        self.expect(prompt);
        let rows = self.rows();
        let header = format!("Step {n} of 10");
        assert!(
            rows.iter().any(|r| r.contains(&header)),
            "{header} scrolled away:\n{}",
            rows.join("\n")
        );
    }

    fn send(&mut self, keys: &str) {
        self.p.send(keys).unwrap();
    }
}

/// The output without ANSI escapes.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for n in chars.by_ref() {
                    if n.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Steps 1–3 with the admin's password typed (sim passwords are the user names).
fn log_in(w: &mut Wiz, world: &World, password: &str) {
    w.answer("Jira base URL", &world.sim.url());
    w.choose("Log in with", 0);
    w.answer("Jira user name", "admin");
    w.choose("Where does the password come from?", 0);
    w.secret("Password for admin", password);
}

#[test]
fn happy_path_checks_plans_rotation_saves_and_prints_the_capture_command_for_later() {
    // Browsers and monitoring without a token: what the profiles' figures are made of.
    let world = World::with(SimConfig {
        background_rps: 20,
        ..SimConfig::default()
    });
    let original = std::fs::read(world.log4j()).unwrap();
    let levels_before = world.sim.levels();
    let mut w = world.spawn(&[]);
    w.answer("Jira base URL", &world.sim.url());
    w.choose("Log in with", 0);
    w.answer("Jira user name", "jdoe");
    // Esc in a menu goes back to the previous question, which keeps its answer as default.
    w.expect("Where does the password come from?");
    w.expect("cancel setup");
    w.p.send("\x1b").unwrap();
    w.expect("Jira user name");
    w.expect("jdoe");
    w.p.send("\x7f\x7f\x7f\x7fadmin\r").unwrap();
    w.choose("Where does the password come from?", 0);
    w.secret("Password for admin", "admin");
    w.expect("change levels");
    w.answer(
        "Jira install directory",
        &world.install().display().to_string(),
    );
    w.expect("log4j2.xml (Jira 9.5+ layout)");
    // The log is derived from the install's jira.home: accept the default.
    w.expect("From the install's jira.home");
    w.answer("atlassian-jira.log", "");
    // Connected and the log known: each profile's cost at the rate Jira serves now.
    w.expect("Measuring Jira's request rate");
    w.expect("requests/s now");
    w.choose("Profile", 0);
    let shown = w.text();
    let item = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(&format!("{name:<20} ≈")))
            .unwrap_or_else(|| panic!("no menu item with figures for {name}:\n{shown}"))
            .to_string()
    };
    // The filter's two lines for every request cost pats-trace; pats-service-trace writes
    // nothing for requests without a token.
    assert!(
        item("pats-trace").contains("/hour (") && !item("pats-trace").contains("≈0 B/hour"),
        "{}",
        item("pats-trace")
    );
    assert!(
        item("pats-service-trace").contains("≈0 B/hour (0 lines), +3 lines per PAT request"),
        "{}",
        item("pats-service-trace")
    );
    assert!(
        !shown.contains("cannot see:"),
        "details only when asked:\n{shown}"
    );
    // Going back from the length re-asks the profile, without measuring again.
    w.answer("Capture length", "<");
    w.choose("Profile", 0);
    w.answer("Capture length", "10m");
    w.expect("rotates at 20 MiB and keeps 10 old files");
    w.answer("Keep the log for at least", "");
    // < in a text answer goes back one question.
    w.answer("Requests per hour", "<");
    w.answer("Keep the log for at least", "");
    w.answer("Requests per hour", "");
    w.expect("+                <SizeBasedTriggeringPolicy size=\"102400 KB\"/>");
    w.choose("Apply?", 0);
    w.expect("Backup:");
    w.choose("Save?", 0);
    w.expect("mode 0600");
    w.choose("Capture", 1);
    w.expect("To run the capture later:");
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 0, "{text}");

    // The check's verdicts were shown.
    for v in [
        "reachable",
        "identity       admin (Administrator)",
        "websudo",
        "logging page",
    ] {
        assert!(text.contains(v), "missing verdict {v}:\n{text}");
    }
    // The printed command names everything the capture needs, and no secret.
    let log = world.sim.log_path().display().to_string();
    let install = world.install().display().to_string();
    let cmd = format!(
        "jira-patrol capture --url {} --user admin --profile pats-trace --for 10m --log {log} --jira-install {install} --keep 1d",
        world.sim.url()
    );
    assert!(text.contains(&cmd), "expected\n{cmd}\nin:\n{text}");

    // Rotation: changed, with the original kept as the backup that was shown.
    let now = std::fs::read_to_string(world.log4j()).unwrap();
    assert!(
        now.contains("size=\"102400 KB\"") && now.contains("max=\"17\""),
        "{now}"
    );
    let baks = world.backups();
    assert_eq!(baks.len(), 1);
    assert_eq!(std::fs::read(&baks[0]).unwrap(), original);
    assert!(text.contains(&baks[0].display().to_string()));

    // The saved setup: 0600, every answer, the secret only by reference.
    let saved = std::fs::read_to_string(world.config_file()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(world.config_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    for want in [
        format!("url = \"{}\"", world.sim.url()),
        "kind = \"password\"".into(),
        "user = \"admin\"".into(),
        format!("logs = [\"{log}\"]"),
        "for = \"10m\"".into(),
        "profile = \"pats-trace\"".into(),
    ] {
        assert!(saved.contains(&want), "missing {want} in:\n{saved}");
    }
    assert!(!saved.contains("password ="), "{saved}");
    // Nothing was done on Jira: no capture was started, and the sample only read.
    assert_eq!(world.sim.levels(), levels_before);
    assert_eq!(
        text.matches("Measuring Jira's request rate").count(),
        1,
        "{text}"
    );
}

#[test]
fn a_wrong_password_is_explained_and_asked_again_never_shown() {
    let world = World::new();
    let mut w = world.spawn(&[]);
    let wrong = "Wr0ng-Pa55word-x7";
    log_in(&mut w, &world, wrong);
    w.expect("Jira rejected the user name or password for 'admin'");
    w.expect("what to do: Type the password again");
    w.secret("Password for admin", "admin");
    w.expect("change levels  possible");
    w.expect("Jira install directory");
    // Leave with Ctrl-C: nothing was applied yet.
    w.p.send("\x03").unwrap();
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    assert!(!text.contains(wrong), "the password was echoed:\n{text}");
    assert!(text.contains("Nothing was changed"), "{text}");
    assert!(!world.config_file().exists());
}

#[test]
fn cancelling_midway_leaves_jira_log4j_and_config_unchanged() {
    let world = World::new();
    let original = std::fs::read(world.log4j()).unwrap();
    let levels_before = world.sim.levels();
    let mut w = world.spawn(&[]);
    log_in(&mut w, &world, "admin");
    w.answer(
        "Jira install directory",
        &world.install().display().to_string(),
    );
    w.answer("atlassian-jira.log", "");
    w.choose("Profile", 0);
    w.answer("Capture length", "");
    w.answer("Keep the log for at least", "3d");
    w.answer("Requests per hour", "50000");
    // The change is shown, then refused by cancelling.
    w.expect("@@");
    w.choose("Apply?", 3);
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    assert!(text.contains("Setup cancelled."), "{text}");
    assert!(text.contains("Nothing was changed"), "{text}");
    assert_eq!(std::fs::read(world.log4j()).unwrap(), original);
    assert!(world.backups().is_empty());
    assert!(!world.config_file().exists());
    assert_eq!(world.sim.levels(), levels_before);
}

#[test]
fn ctrl_c_after_the_rotation_change_lists_it_with_its_undo() {
    let world = World::new();
    let original = std::fs::read(world.log4j()).unwrap();
    let mut w = world.spawn(&[]);
    log_in(&mut w, &world, "admin");
    w.answer(
        "Jira install directory",
        &world.install().display().to_string(),
    );
    w.answer("atlassian-jira.log", "");
    w.choose("Profile", 0);
    w.answer("Capture length", "");
    w.answer("Keep the log for at least", "");
    w.answer("Requests per hour", "");
    w.choose("Apply?", 0);
    w.expect("Backup:");
    w.expect("Save?");
    w.expect("cancel setup");
    w.p.send("\x03").unwrap();
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    let baks = world.backups();
    assert_eq!(baks.len(), 1);
    let undo = format!(
        "undo: cp -p {} {}",
        baks[0].display(),
        world.log4j().display()
    );
    assert!(text.contains("Already applied before cancelling"), "{text}");
    assert!(text.contains(&undo), "expected {undo} in:\n{text}");
    // The undo restores the file exactly.
    assert_eq!(std::fs::read(&baks[0]).unwrap(), original);
    assert!(
        !world.config_file().exists(),
        "config saved without confirmation"
    );
}

#[test]
fn a_saved_setup_prefills_every_answer() {
    let world = World::new();
    let cfg = world.config_file();
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    let log = world.sim.log_path();
    std::fs::write(
        &cfg,
        format!(
            "url = \"{}\"\nlogs = [\"{}\"]\nprofile = \"pats-debug\"\nfor = \"20m\"\nkeep = \"1d\"\n\n[auth]\nkind = \"password\"\nuser = \"admin\"\n",
            world.sim.url(),
            log.display()
        ),
    )
    .unwrap();
    let mut w = world.spawn(&[]);
    w.answer("Jira base URL", "");
    w.choose("Log in with", 0);
    w.answer("Jira user name", "");
    w.choose("Where does the password come from?", 0);
    w.secret("Password for admin", "admin");
    w.expect("change levels");
    w.answer("Jira install directory", "-");
    w.expect("Skipped");
    w.answer("atlassian-jira.log", "");
    w.choose("Profile", 0);
    w.answer("Capture length", "");
    w.expect("Skipped: no log4j configuration was given.");
    w.expect("Already saved with these answers.");
    w.choose("Capture", 1);
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "capture --url {} --user admin --profile pats-debug --for 20m",
            world.sim.url()
        )),
        "saved answers not used:\n{text}"
    );
}

#[test]
fn a_token_blocked_by_websudo_is_explained_and_leads_back_to_the_login_choice() {
    let world = World::new();
    let raw = world.sim.accounts().token("test").unwrap().raw.clone();
    let mut w = world.spawn(&[]);
    w.answer("Jira base URL", &world.sim.url());
    w.choose("Log in with", 1);
    w.choose("Where does the token come from?", 0);
    w.secret("Personal access token", &raw);
    w.expect("identity       admin (Administrator), via personal access token");
    w.expect("FAIL Jira asks for administrator re-authentication (websudo)");
    w.expect("what to do: Jira asks admins to re-enter their password (websudo)");
    w.choose("What now?", 2);
    w.choose("Log in with", 0);
    w.answer("Jira user name", "admin");
    w.choose("Where does the password come from?", 0);
    w.secret("Password for admin", "admin");
    w.expect("websudo        required; passed with the password of admin");
    w.expect("Jira install directory");
    w.p.send("\x03").unwrap();
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    assert!(!text.contains(&raw), "the token was shown:\n{text}");
}

#[test]
fn an_untrusted_certificate_is_explained_and_a_ca_file_fixes_it() {
    let world = World::with(SimConfig {
        tls: Some(jira_sim::TlsIdentity::test_identity()),
        ..SimConfig::default()
    });
    assert!(world.sim.url().starts_with("https://"));
    let ca = std::fs::canonicalize("tests/fixtures/tls/ca.pem").unwrap();
    let mut w = world.spawn(&[]);
    log_in(&mut w, &world, "admin");
    w.expect("is not trusted");
    w.expect("what to do: Jira's certificate is signed by a CA this machine does not trust");
    // The CA choice is offered first for a TLS problem.
    w.choose("What now?", 0);
    w.answer("CA certificate file (PEM)", &ca.display().to_string());
    w.expect("change levels  possible");
    w.answer("Jira install directory", "-");
    // A Jira home is enough: the log inside it is found.
    w.answer(
        "atlassian-jira.log",
        &world.sim.home().display().to_string(),
    );
    w.choose("Profile", 0);
    w.answer("Capture length", "");
    w.choose("Save?", 0);
    w.choose("Capture", 1);
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("--ca-cert {}", ca.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("--log {}", world.sim.log_path().display())),
        "{text}"
    );
    let saved = std::fs::read_to_string(world.config_file()).unwrap();
    assert!(
        saved.contains(&format!("ca_cert = \"{}\"", ca.display())),
        "{saved}"
    );
}

#[test]
fn full_happy_path_ends_in_a_capture_summary() {
    use jira_sim::traffic;
    use std::sync::atomic::{AtomicBool, Ordering};
    let world = World::new();
    let pats_before = world.sim.effective_level("com.atlassian.pats");
    let mut w = world.spawn(&[]);
    log_in(&mut w, &world, "admin");
    w.answer(
        "Jira install directory",
        &world.install().display().to_string(),
    );
    w.answer("atlassian-jira.log", "");
    w.choose("Profile", 0);
    w.answer("Capture length", "10s");
    w.answer("Keep the log for at least", "");
    w.answer("Requests per hour", "");
    w.choose("Apply?", 1);
    w.expect("Left unchanged.");
    w.choose("Save?", 0);
    w.choose("Capture", 0);
    w.expect("Running:");
    w.expect("jira-patrol capture");

    // Scripted PAT clients while the window is open (as in the demo).
    let stop = AtomicBool::new(false);
    let code = std::thread::scope(|s| {
        s.spawn(|| {
            if !traffic::wait_for_window(&world.sim, &stop) {
                return;
            }
            let clients = traffic::paced_mix(world.sim.accounts(), 4, Duration::from_millis(200));
            traffic::run(
                &world.sim.url(),
                &clients,
                &traffic::TrafficOptions::default(),
            );
        });
        w.p.set_expect_timeout(Some(Duration::from_secs(180)));
        w.expect("levels are back as they were");
        let code = w.finish();
        stop.store(true, Ordering::SeqCst);
        code
    });
    let text = w.text();
    assert_eq!(code, 0, "{text}");
    // The summary names the seeded tokens that were used, with owners.
    for row in ["355510638677  test", "104857600013  ci, deploy (prod)=1"] {
        assert!(text.contains(row), "no summary row {row:?}:\n{text}");
    }
    // Jira is as it was (the level now explicit: Jira has no "unset").
    assert_eq!(world.sim.effective_level("com.atlassian.pats"), pats_before);
    assert!(!common::journal_in(&world.dir.path().join("state/jira-patrol")).exists());
}

#[test]
fn a_failed_sample_is_said_in_one_line_and_the_profiles_are_offered_as_before() {
    let world = World::new();
    // A "log" that cannot be read (a directory where the file should be): the sample
    // fails, as with a log this machine cannot follow.
    let odd = world.dir.path().join("odd");
    std::fs::create_dir_all(odd.join("atlassian-jira.log")).unwrap();
    let mut w = world.spawn(&[]);
    log_in(&mut w, &world, "admin");
    w.answer(
        "Jira install directory",
        &world.install().display().to_string(),
    );
    w.answer("atlassian-jira.log", &odd.display().to_string());
    w.expect("Could not measure Jira's request rate");
    w.expect("costs are given per request");
    // From the default (pats-trace, the last of four): explain, back, then cancel.
    w.choose("Profile", 3);
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    // The static costs, as before.
    assert!(
        text.contains("pats-trace           ≈10 lines per PAT request, ≈2 per other request"),
        "{text}"
    );
    assert!(!text.contains("/hour ("), "{text}");
}

/// The wizard as the issue's design size has it, 80 columns by 40 rows: no line is wider
/// than the terminal (so no word is split by it), every menu and its step's header are on
/// the screen together, the profiles are one line each with details on request, and from
/// every step going back reaches the step before, then every earlier step in turn.
#[test]
fn at_80x40_every_line_fits_every_menu_shows_and_back_works_from_every_step() {
    let world = World::new();
    let levels_before = world.sim.levels();
    let mut w = world.spawn_sized(&[], 80, 40);
    w.no_wrap = true;
    let install = world.install().display().to_string();
    let esc = "\x1b";

    // 1 -> 2, and back from 2 (its first question) to 1.
    w.prompt_on_screen(1, "Jira base URL");
    w.send(&format!("{}\r", world.sim.url()));
    w.menu_on_screen(
        2,
        "Log in with",
        &["User name and password", "Personal access token"],
    );
    w.send(esc);
    w.prompt_on_screen(1, "Jira base URL");
    w.send("\r");
    w.menu_on_screen(2, "Log in with", &["User name and password"]);
    w.send("\r");
    w.answer("Jira user name", "admin");
    w.menu_on_screen(2, "Where does the password come from?", &["Type it now"]);
    w.send("\r");
    w.secret("Password for admin", "admin");
    // 3 (the check) asks nothing when it passes: back from 4 reaches 2.
    w.expect("change levels");
    w.prompt_on_screen(4, "Jira install directory");
    w.send("<\r");
    w.menu_on_screen(2, "Log in with", &["User name and password"]);
    w.send("\r");
    w.answer("Jira user name", "");
    w.choose("Where does the password come from?", 0);
    w.secret("Password for admin", "admin");
    w.prompt_on_screen(4, "Jira install directory");
    w.send(&format!("{install}\r"));
    // Back from 5 to 4.
    w.prompt_on_screen(5, "atlassian-jira.log");
    w.send("<\r");
    w.prompt_on_screen(4, "Jira install directory");
    w.send("\r");
    w.prompt_on_screen(5, "atlassian-jira.log");
    w.send("\r");
    // 6: one line per profile, details on request; back to 5.
    w.menu_on_screen(
        6,
        "Profile",
        &[
            "pats-trace",
            "pats-debug",
            "pats-service-trace",
            "pats-filter-trace",
            "What does a profile show",
        ],
    );
    assert!(!w.text().contains("cannot see:"), "details shown unasked");
    w.send(esc);
    w.prompt_on_screen(5, "atlassian-jira.log");
    w.send("\r");
    w.menu_on_screen(6, "Profile", &["pats-trace"]);
    // pats-trace, the default, is the last profile: the next item explains.
    w.send(&format!("{DOWN}\r"));
    w.choose("Explain which profile?", 0);
    w.expect("cannot see:");
    w.menu_on_screen(6, "Profile", &["pats-trace", "What does a profile show"]);
    w.send("\r");
    // Back from 7 to 6.
    w.prompt_on_screen(7, "Capture length");
    w.send("<\r");
    w.menu_on_screen(6, "Profile", &["pats-trace"]);
    w.send("\r");
    w.prompt_on_screen(7, "Capture length");
    w.send("10m\r");
    // Back from 8 to 7.
    w.prompt_on_screen(8, "Keep the log for at least");
    w.send("<\r");
    w.prompt_on_screen(7, "Capture length");
    w.send("\r");
    w.prompt_on_screen(8, "Keep the log for at least");
    w.send("\r");
    w.answer("Requests per hour", "");
    w.menu_on_screen(8, "Apply?", &["Apply this change", "Skip it"]);
    w.send(&format!("{DOWN}\r"));
    // Back from 9 to 8.
    w.menu_on_screen(9, "Save?", &["Save to", "Do not save"]);
    w.send(esc);
    w.prompt_on_screen(8, "Keep the log for at least");
    w.send("\r");
    w.answer("Requests per hour", "");
    w.choose("Apply?", 1);
    w.menu_on_screen(9, "Save?", &["Do not save"]);
    w.send(&format!("{DOWN}\r"));
    // Back from 10 to 9, then from 10 all the way to 1, one step at a time.
    w.menu_on_screen(10, "Capture", &["Start the capture now", "Not now"]);
    w.send(esc);
    w.menu_on_screen(9, "Save?", &["Do not save"]);
    w.send(&format!("{DOWN}\r"));
    w.menu_on_screen(10, "Capture", &["Not now"]);
    w.send(esc);
    w.menu_on_screen(9, "Save?", &["Do not save"]);
    w.send(esc);
    w.prompt_on_screen(8, "Keep the log for at least");
    w.send("<\r");
    w.prompt_on_screen(7, "Capture length");
    w.send("<\r");
    w.menu_on_screen(6, "Profile", &["pats-trace"]);
    w.send(esc);
    w.prompt_on_screen(5, "atlassian-jira.log");
    w.send("<\r");
    w.prompt_on_screen(4, "Jira install directory");
    w.send("<\r");
    w.menu_on_screen(2, "Log in with", &["User name and password"]);
    w.send(esc);
    w.prompt_on_screen(1, "Jira base URL");
    w.send("<\r");
    w.expect("(this is the first step)");
    w.prompt_on_screen(1, "Jira base URL");
    w.send("\x03");
    let code = w.finish();
    let text = w.text();
    assert_eq!(code, 130, "{text}");
    assert!(text.contains("Nothing was changed"), "{text}");
    assert_eq!(world.sim.levels(), levels_before);
    assert!(!world.config_file().exists());
}
