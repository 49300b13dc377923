//! Running a binary with its stderr (and optionally stdout) on a real
//! pseudo-terminal (`openpty(3)`), and reading back what the terminal was
//! sent and what a person would see on it.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one run on the terminal may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// How long the terminal may stay open after the process ended (a
/// grandchild still holding it), before reading stops anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the process's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// The same terminal as stderr.
    Terminal,
    /// A pipe, read into [`OnTerminal::stdout`].
    Pipe,
}

/// What a run on a terminal showed and how it ended.
#[derive(Debug)]
pub struct OnTerminal {
    pub status: ExitStatus,
    /// The bytes the terminal was sent, `\r\n` (the terminal's line
    /// ending) as `\n`; a lone `\r` and escape sequences are kept.
    pub raw: String,
    /// stdout, when it was a pipe.
    pub stdout: String,
}

impl OnTerminal {
    /// What the terminal shows at the end, line by line: `\r` returns to
    /// the line's start, `ESC [ K` clears to its end, other characters
    /// overwrite. A progress line that was erased leaves nothing.
    pub fn visible(&self) -> String {
        visible(&self.raw)
    }
}

/// Renders `raw` as a terminal would (see [`OnTerminal::visible`]).
pub fn visible(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut at = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                lines.push(line.iter().collect::<String>().trim_end().to_string());
                line.clear();
                at = 0;
            }
            '\r' => at = 0,
            '\x1b' => {
                // CSI: ESC [ parameters final-byte.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    let mut fin = None;
                    for d in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&d) {
                            fin = Some(d);
                            break;
                        }
                    }
                    if fin == Some('K') {
                        line.truncate(at);
                    }
                }
            }
            c => {
                if at < line.len() {
                    line[at] = c;
                } else {
                    line.push(c);
                }
                at += 1;
            }
        }
    }
    let mut out: String = lines.iter().map(|l| format!("{l}\n")).collect();
    out.push_str(line.iter().collect::<String>().trim_end());
    out
}

fn cloexec(fd: &OwnedFd) {
    // SAFETY: F_SETFD on a descriptor this process owns.
    unsafe {
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
    }
}

/// A terminal pair: (master, slave), both close-on-exec, so that processes
/// other tests start meanwhile do not inherit either.
fn open_terminal() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors; name and termios may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both were just opened and are owned by nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    cloexec(&master);
    cloexec(&slave);
    (master, slave)
}

/// Reads the terminal's master side until every holder of the slave side
/// has closed it (EIO), or `stop` is set and nothing more comes.
fn read_terminal(master: OwnedFd, stop: Arc<AtomicBool>) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let mut p = libc::pollfd {
            fd: master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, a descriptor this thread owns.
        let n = unsafe { libc::poll(&mut p, 1, 100) };
        if n == 0 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            continue;
        }
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        // SAFETY: reads into a buffer of the given length.
        let r = unsafe { libc::read(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if r <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..r as usize]);
    }
    got
}

/// Runs `cmd` with stdin empty and stderr (and `stdout`, when
/// [`Stdout::Terminal`]) on a new pseudo-terminal. Fails the test when the
/// run takes longer than [`RUN_TIMEOUT`].
pub fn run(mut cmd: Command, stdout: Stdout) -> OnTerminal {
    let (master, slave) = open_terminal();
    cmd.stdin(Stdio::null())
        .stderr(Stdio::from(slave.try_clone().unwrap()));
    match stdout {
        Stdout::Terminal => cmd.stdout(Stdio::from(slave.try_clone().unwrap())),
        Stdout::Pipe => cmd.stdout(Stdio::piped()),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || read_terminal(master, stop))
    };
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{:?}: {e}", cmd.get_program()));
    // The child has its copies: ours must go, or the terminal never ends.
    drop(cmd);
    drop(slave);
    let out_reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        })
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            stop.store(true, Ordering::Relaxed);
            let raw = reader.join().unwrap();
            panic!(
                "the run on a terminal did not end: {}",
                String::from_utf8_lossy(&raw)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let ended = Instant::now();
    let stopper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(DRAIN_TIMEOUT);
            stop.store(true, Ordering::Relaxed);
        })
    };
    let raw = reader.join().unwrap();
    assert!(ended.elapsed() <= DRAIN_TIMEOUT + Duration::from_secs(1));
    drop(stopper);
    let stdout = out_reader
        .map(|r| String::from_utf8_lossy(&r.join().unwrap()).into_owned())
        .unwrap_or_default();
    OnTerminal {
        status,
        raw: String::from_utf8_lossy(&raw).replace("\r\n", "\n"),
        stdout,
    }
}

#[test]
fn what_a_terminal_shows() {
    assert_eq!(visible("a\rb\n"), "b\n");
    assert_eq!(visible("\r\x1b[Kdoing 1/2\r\x1b[KDone\n"), "Done\n");
    assert_eq!(
        visible("\r\x1b[Kdoing 1/2\r\x1b[Kwarning: x\n\r\x1b[Kdoing 2/2\r\x1b[K"),
        "warning: x\n"
    );
    assert_eq!(visible("long line\rab\n"), "abng line\n");
}
