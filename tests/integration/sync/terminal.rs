//! `helm sync` on a terminal (a pseudo-terminal from util-linux `script`):
//! a run that replaces or removes objects prints its plan and asks
//! `[y/N]`; only `y` or `yes` proceeds (`nay`, which the old sync-repo.sh
//! took for yes, declines and changes nothing); `--yes` does not ask; the
//! progress line shows on the terminal and not when stderr is not one.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

const BASE: &str = "https://charts.example.com/t";

/// How long one run on the terminal may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a run on a terminal showed and how it ended.
pub(super) struct Shown {
    pub status: ExitStatus,
    /// Everything the terminal showed (what was typed is echoed), `\r\n`
    /// as `\n`.
    pub text: String,
}

impl Shown {
    pub fn asked(&self) -> bool {
        self.text.contains("[y/N]")
    }
}

/// Runs `helm-sync ARGS` against `emu` with stdin, stdout and stderr on a
/// pseudo-terminal (stderr into `stderr_to` instead, when given). When the
/// question shows, `answer` is typed (the test fails if it never shows);
/// with no answer, stdin ends at once.
pub(super) fn on_terminal(
    home: &HelmHome,
    emu: &Emulator,
    args: &[&str],
    answer: Option<&str>,
    stderr_to: Option<&Path>,
) -> Shown {
    let mut line = format!("exec {}", quote(env!("CARGO_BIN_EXE_helm-sync")));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    if let Some(f) = stderr_to {
        line.push_str(&format!(" 2>{}", quote(f.to_str().unwrap())));
    }
    let mut child = with_store(home.command("script"), emu)
        .args(["-qec", &line, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script");
    let shown = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let shown = shown.clone();
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let started = Instant::now();
    let mut stdin = child.stdin.take();
    if let Some(answer) = answer {
        while !lossy(&shown.lock().unwrap()).contains("[y/N]") {
            let ended = child.try_wait().unwrap().is_some();
            assert!(
                !ended && started.elapsed() < RUN_TIMEOUT,
                "no question to answer {answer:?}: {}",
                lossy(&shown.lock().unwrap())
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let w = stdin.as_mut().unwrap();
        w.write_all(format!("{answer}\n").as_bytes()).unwrap();
        w.flush().unwrap();
    }
    drop(stdin);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{args:?} on a terminal did not end: {}",
                lossy(&shown.lock().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    reader.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty(), "script: {err}");
    let text = lossy(&shown.lock().unwrap()).replace("\r\n", "\n");
    Shown { status, text }
}

/// Replaces `name`'s archive with different content and indexes the folder
/// again.
fn change(home: &HelmHome, repo: &Path, name: &str, description: &str) {
    write_chart(
        repo,
        &format!("{name}-1.0.0.tgz"),
        &format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\ndescription: {description}\n"),
    );
    helm_repo(home, repo, &[], BASE);
}

#[test]
fn a_sync_that_replaces_or_removes_asks_and_only_yes_proceeds() {
    let emu = Emulator::start(Kind::Gcs);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    helm_repo(&home, &repo, &[("a", "1.0.0"), ("b", "1.0.0")], BASE);
    let dir = repo.to_str().unwrap();
    let url = emu.url("charts", "t");

    // Only new objects: no question.
    let run = on_terminal(&home, &emu, &["-d", dir, &url], None, None);
    assert!(run.status.success(), "{}", run.text);
    assert!(!run.asked(), "{}", run.text);
    assert_eq!(objects(&emu, "t"), files(&repo));

    // a replaced, b removed: the plan, the question; `nay`, an empty
    // answer and `no` decline, and nothing changes.
    change(&home, &repo, "a", "changed");
    std::fs::remove_file(repo.join("b-1.0.0.tgz")).unwrap();
    helm_repo(&home, &repo, &[], BASE);
    let before = emu.snapshot("charts");
    for answer in ["nay", "", "no", "yy"] {
        let run = on_terminal(&home, &emu, &["-d", dir, &url], Some(answer), None);
        let text = &run.text;
        assert!(!run.status.success(), "{answer:?}: {text}");
        for line in [
            format!("Would copy file://{dir}/a-1.0.0.tgz to {url}/a-1.0.0.tgz"),
            format!("Would copy file://{dir}/index.yaml to {url}/index.yaml"),
            format!("Would remove {url}/b-1.0.0.tgz"),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{answer:?}: {line} not in {text}"
            );
        }
        let asked = text.find("[y/N]").unwrap();
        assert!(
            text.rfind("Would ").unwrap() < asked,
            "{answer:?}: the plan after the question: {text}"
        );
        assert!(
            text.trim_end()
                .ends_with("Error: Discontinuing sync process."),
            "{answer:?}: {text}"
        );
        assert!(!text.contains("copying"), "{answer:?}: {text}");
        assert_eq!(
            emu.snapshot("charts"),
            before,
            "{answer:?}: changed the store"
        );
    }

    // `yes` (in any case) proceeds.
    let run = on_terminal(&home, &emu, &["-d", dir, &url], Some("YES"), None);
    assert!(run.status.success(), "{}", run.text);
    assert!(run.text.contains("1 removed"), "{}", run.text);
    assert_eq!(objects(&emu, "t"), files(&repo));

    // A replacement alone asks too; `y` proceeds.
    change(&home, &repo, "a", "changed again");
    let run = on_terminal(&home, &emu, &[dir, &url], Some("y"), None);
    assert!(run.status.success(), "{}", run.text);
    assert_eq!(objects(&emu, "t"), files(&repo));

    // --yes (and -y) never ask, replacing and removing alike.
    change(&home, &repo, "a", "and again");
    helm_repo(&home, &repo, &[("c", "1.0.0")], BASE);
    let run = on_terminal(&home, &emu, &["--yes", dir, &url], None, None);
    assert!(run.status.success(), "{}", run.text);
    assert!(!run.asked(), "{}", run.text);
    std::fs::remove_file(repo.join("c-1.0.0.tgz")).unwrap();
    helm_repo(&home, &repo, &[], BASE);
    let run = on_terminal(&home, &emu, &["-d", "-y", dir, &url], None, None);
    assert!(run.status.success(), "{}", run.text);
    assert!(!run.asked(), "{}", run.text);
    assert!(run.text.contains("1 removed"), "{}", run.text);
    assert_eq!(objects(&emu, "t"), files(&repo));
}

#[test]
fn the_progress_line_shows_on_a_terminal_only() {
    let emu = Emulator::start(Kind::Gcs);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    helm_repo(&home, &repo, &[("a", "1.0.0"), ("b", "1.0.0")], BASE);
    let dir = repo.to_str().unwrap();

    // On the terminal: redrawn in place, ending at 3 of 3 (two archives,
    // the index) with the bytes, then erased: the summary alone stays.
    let run = on_terminal(&home, &emu, &[dir, &emu.url("charts", "t1")], None, None);
    assert!(run.status.success(), "{}", run.text);
    assert!(
        run.text.contains("\r\x1b[Kcopying  3/3 objects  "),
        "{:?}",
        run.text
    );
    let shown = crate::support::pty::visible(&run.text);
    assert!(
        shown.starts_with("Synced ") && shown.lines().count() == 1,
        "{shown:?}"
    );

    // stdin a terminal, stderr a file: no progress, the summary only.
    let log = work.path().join("stderr.txt");
    let url = emu.url("charts", "t2");
    let run = on_terminal(&home, &emu, &[dir, &url], None, Some(&log));
    assert!(run.status.success(), "{}", run.text);
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(
        !err.contains("copying") && !run.text.contains("copying"),
        "{err:?}"
    );
    assert!(
        err.starts_with("Synced ") && err.lines().count() == 1,
        "{err:?}"
    );

    // No terminal at all: the same.
    let out = sync(&home, &emu)
        .args([dir, &emu.url("charts", "t3")])
        .output()
        .unwrap();
    let err = lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("copying"), "{err:?}");
    assert!(
        err.starts_with("Synced ") && err.lines().count() == 1,
        "{err:?}"
    );

    // -q on the terminal: neither.
    let run = on_terminal(
        &home,
        &emu,
        &["-q", dir, &emu.url("charts", "t4")],
        None,
        None,
    );
    assert!(run.status.success(), "{}", run.text);
    assert!(run.text.trim().is_empty(), "{:?}", run.text);
    assert_eq!(objects(&emu, "t4"), files(&repo));
}
