//! A child's wall time and peak memory, measured for that child alone.
//!
//! The peak comes from GNU time (`/usr/bin/time`, provisioned), which runs
//! the command as its own child: a child forked from the test process
//! starts with the test process's resident size as its recorded peak, and
//! the test process may hold hundreds of MiB of generated archives, so
//! `wait4` on a direct child would report that floor instead.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `c`, returning its output, wall time and peak RSS in KiB, measured
/// for that child alone with wait4(2).
pub fn run_measured(c: Command) -> (Output, Duration, u64) {
    let report = tempfile::NamedTempFile::new().expect("time report");
    let mut c = under_time(&c, report.path());
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let read_all = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).ok();
            v
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let (status, _) = wait4(child.id());
    let elapsed = start.elapsed();
    let (status, peak) = read_report(report.path(), status);
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, elapsed, peak)
}

/// `c` run by GNU time, which writes the command's peak RSS and exit to
/// `report`; in its own process group, so a kill reaches the command too.
fn under_time(c: &Command, report: &std::path::Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f")
        .arg("wharf-maxrss-kib %M %x")
        .arg("-o")
        .arg(report)
        .arg(c.get_program())
        .args(c.get_args())
        .process_group(0);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    if let Some(d) = c.get_current_dir() {
        t.current_dir(d);
    }
    t
}

/// The command's exit and peak RSS (KiB) from GNU time's report; the exit
/// of time itself when there is no report (time was killed).
fn read_report(report: &std::path::Path, time_status: ExitStatus) -> (ExitStatus, u64) {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    let signal = text
        .lines()
        .find_map(|l| l.strip_prefix("Command terminated by signal "))
        .and_then(|s| s.trim().parse::<i32>().ok());
    let Some(rest) = text
        .lines()
        .find_map(|l| l.strip_prefix("wharf-maxrss-kib "))
    else {
        return (time_status, 0);
    };
    let mut parts = rest.split_whitespace();
    let peak = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let code: i32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let status = match signal {
        Some(sig) => ExitStatus::from_raw(sig),
        None => ExitStatus::from_raw(code << 8),
    };
    (status, peak)
}

/// Waits for child `pid` and takes its resource usage.
fn wait4(pid: u32) -> (ExitStatus, libc::rusage) {
    let pid = libc::pid_t::try_from(pid).expect("pid");
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child; the kernel fills the two values
        // we own and pass by pointer.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (ExitStatus::from_raw(status), usage);
        }
        let err = std::io::Error::last_os_error();
        assert!(
            err.kind() == std::io::ErrorKind::Interrupted,
            "wait4({pid}): {err}"
        );
    }
}

/// [`run_measured`] with a deadline: a child still running after `limit` is
/// killed, so a hang fails the test (its elapsed time is then `limit` or
/// more) instead of stalling the run.
pub fn run_measured_for(c: Command, limit: Duration) -> (Output, Duration, u64) {
    let report = tempfile::NamedTempFile::new().expect("time report");
    let mut c = under_time(&c, report.path());
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let read_all = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).ok();
            v
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: polls our own child; the kernel fills the two values we
        // own and pass by pointer.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if r < 0 {
            let err = std::io::Error::last_os_error();
            assert!(
                err.kind() == std::io::ErrorKind::Interrupted,
                "wait4({pid}): {err}"
            );
        }
        if !killed && start.elapsed() >= limit {
            // SAFETY: signals the process group of our own child, not yet
            // reaped (so its id, the group's, is not reused).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = start.elapsed();
    let (status, peak) = read_report(report.path(), ExitStatus::from_raw(status));
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, elapsed, peak)
}
