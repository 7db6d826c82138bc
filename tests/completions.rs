//! `jira-patrol completions SHELL` and `jira-patrol man`, through the real binary: every
//! script names the sub-commands and their flags under the name `jira-patrol`, the bash
//! one parses and really completes a sub-command's flags, the man pages are roff that
//! groff accepts, and a shell clap does not know is a command-line error (status 2).

use assert_cmd::Command;
use std::process::Output;

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

fn bin() -> Command {
    let mut c = Command::cargo_bin("jira-patrol").unwrap();
    c.env_remove("JIRA_TOKEN").env_remove("JIRA_URL");
    c
}

fn ok(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{args:?} said on stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn completions(shell: &str) -> String {
    ok(&["completions", shell])
}

fn has(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `script` (bash source) and returns its standard output.
fn bash(script: &str) -> Output {
    std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .output()
        .expect("running bash")
}

#[test]
fn every_shell_gets_a_script_naming_the_sub_commands_and_their_flags() {
    for shell in SHELLS {
        let s = completions(shell);
        assert!(s.len() > 1000, "{shell}: {} bytes", s.len());
        for sub in [
            "summarize",
            "capture",
            "token-id",
            "profile",
            "completions",
            "man",
        ] {
            assert!(s.contains(sub), "{shell}: no `{sub}`");
        }
        // fish spells a long flag `-l access-log`, the others `--access-log`.
        let flag = if shell == "fish" {
            "-l access-log"
        } else {
            "--access-log"
        };
        assert!(s.contains(flag), "{shell}: no `{flag}`");
        // Nothing of the development build's own path or name leaks in.
        assert!(!s.contains("target/debug"), "{shell}: names the build path");
    }
}

#[test]
fn every_script_completes_the_command_named_jira_patrol() {
    let registration = [
        ("bash", "-o default jira-patrol\n"),
        ("zsh", "#compdef jira-patrol\n"),
        ("fish", "complete -c jira-patrol "),
        ("powershell", "-CommandName 'jira-patrol'"),
        ("elvish", "arg-completer[jira-patrol]"),
    ];
    for (shell, line) in registration {
        let s = completions(shell);
        assert!(s.contains(line), "{shell}: no `{line}`");
    }
}

#[test]
fn the_bash_script_passes_bash_n() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jira-patrol.bash");
    std::fs::write(&path, completions("bash")).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("running bash -n");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "bash -n: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Loads the script in bash and asks its completion function, as bash would on Tab,
/// for the line `words` with the cursor on the last word: the candidates, one a line.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let run = format!(
        "source '{}' || exit 9\n\
         f=$(complete -p jira-patrol | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')\n\
         [ -n \"$f\" ] || exit 8\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}\n\
         \"$f\" jira-patrol '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words = quoted.join(" "),
        cur = words[cword],
    );
    let out = bash(&run);
    assert!(
        out.status.success(),
        "{words:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_really_completes_sub_commands_their_flags_and_the_shells() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jira-patrol.bash");
    std::fs::write(&path, completions("bash")).unwrap();

    assert_eq!(bash_complete(&path, &["jira-patrol", "cap"]), ["capture"]);
    // A sub-command's own flags: the hyphen in `jira-patrol` once hid them all (clap#6421).
    let flags = bash_complete(&path, &["jira-patrol", "capture", "--access-l"]);
    assert!(flags.contains(&"--access-log".to_string()), "{flags:?}");
    assert!(
        flags.iter().all(|f| f.starts_with("--access-log")),
        "{flags:?}"
    );
    let flags = bash_complete(&path, &["jira-patrol", "summarize", "--acc"]);
    assert!(flags.contains(&"--access-log".to_string()), "{flags:?}");
    // A hyphenated sub-command, and one two levels down.
    let flags = bash_complete(&path, &["jira-patrol", "token-id", "--he"]);
    assert_eq!(flags, ["--help"]);
    let flags = bash_complete(&path, &["jira-patrol", "profile", "apply", "--ur"]);
    assert_eq!(flags, ["--url"]);
    let shells = bash_complete(&path, &["jira-patrol", "completions", ""]);
    for shell in SHELLS {
        assert!(
            shells.iter().any(|s| s == shell),
            "no {shell} in {shells:?}"
        );
    }
    assert_eq!(
        bash_complete(&path, &["jira-patrol", "completions", "f"]),
        ["fish"]
    );
}

#[test]
fn the_zsh_and_fish_scripts_parse_where_those_shells_are_installed() {
    for (shell, program) in [("zsh", "zsh"), ("fish", "fish")] {
        if !has(program) {
            eprintln!("{program} not installed: its script's syntax is not checked");
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("jira-patrol.{shell}"));
        std::fs::write(&path, completions(shell)).unwrap();
        let out = std::process::Command::new(program)
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_unknown_shell_is_refused_by_clap_with_status_2() {
    let out = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "a script was printed anyway");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
    let out = bin().arg("completions").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no shell: {out:?}");
}

/// The page's first request after the string definitions clap_mangen puts before it
/// (`.ie`/`.el` for the apostrophe) must be `.TH`.
fn title_line(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el ") && !l.starts_with(".\\\""))
        .unwrap_or("")
}

#[test]
fn the_man_page_is_roff_titled_jira_patrol_and_names_the_sub_commands() {
    let page = ok(&["man"]);
    assert!(
        page.starts_with('.'),
        "not roff: {:?}",
        &page[..page.len().min(80)]
    );
    let th = title_line(&page);
    assert!(th.starts_with(".TH jira-patrol 1 "), "{th}");
    assert!(th.contains(env!("CARGO_PKG_VERSION")), "{th}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    for sub in ["capture", "summarize", "token\\-id", "completions", "man"] {
        assert!(
            page.contains(&format!("jira\\-patrol\\-{sub}(1)")),
            "no {sub}"
        );
    }
    assert!(!page.contains("jira\\-patrol\\-help"), "a page for `help`");
    groff_accepts(&page);
}

#[test]
fn a_sub_command_page_has_its_flags_and_a_wrong_name_is_a_usage_error() {
    let page = ok(&["man", "capture"]);
    let th = title_line(&page);
    assert!(th.starts_with(".TH jira-patrol-capture 1 "), "{th}");
    assert!(th.contains(env!("CARGO_PKG_VERSION")), "{th}");
    assert!(page.contains("\\-\\-access\\-log"), "no --access-log");
    groff_accepts(&page);

    let page = ok(&["man", "profile", "apply"]);
    assert!(title_line(&page).starts_with(".TH jira-patrol-profile-apply 1 "));

    for args in [&["man", "nope"][..], &["man", "token-id", "nope"]] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: ") && err.contains("nope"), "{err}");
    }
}

#[test]
fn man_out_dir_writes_every_page_the_top_page_refers_to() {
    let dir = tempfile::tempdir().unwrap();
    let listed = ok(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(listed.lines().count(), files.len(), "{listed}");
    for f in [
        "jira-patrol.1",
        "jira-patrol-capture.1",
        "jira-patrol-profile-apply.1",
    ] {
        assert!(files.iter().any(|x| x == f), "no {f} in {files:?}");
    }
    assert!(!files.iter().any(|f| f.contains("help")), "{files:?}");
    let top = std::fs::read_to_string(dir.path().join("jira-patrol.1")).unwrap();
    assert_eq!(
        top,
        ok(&["man"]),
        "the written top page differs from the printed one"
    );
}

fn groff_accepts(page: &str) {
    if !has("groff") {
        eprintln!("groff not installed: the page is not rendered");
        return;
    }
    use std::io::Write;
    let mut child = std::process::Command::new("groff")
        .args(["-man", "-ww", "-z", "-Tutf8"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
