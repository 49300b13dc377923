//! The live progress line of long runs (bulk pushes, migrations, syncs,
//! verifying and indexing many charts), and the `-q` switch.
//!
//! A [`Progress`] counts what the work reports from any thread (atomics,
//! no lock) and one drawing thread shows it on stderr, redrawn in place at
//! most ten times a second:
//!
//! ```text
//! pushing  37/200 charts  12.4 MiB  3.1 MiB/s  ETA 0:42
//! ```
//!
//! It shows only when stderr is a terminal and `-q` is off; otherwise it
//! counts and draws nothing, and starts no thread. Every other message on
//! stderr goes through [`with_stderr`] (the output module's functions and
//! the debug log do), which erases the line first, so a warning or an error
//! is never written into it; the next frame draws it again below. Finishing
//! (or dropping) a `Progress` stops and joins the drawing thread and erases
//! the line, so a summary printed afterwards starts on a clean line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::output::human_bytes;

/// Time between two frames: at most ten a second.
const INTERVAL: Duration = Duration::from_millis(100);

/// Back to the start of the line, and clear to its end.
const ERASE: &[u8] = b"\r\x1b[K";

/// The width assumed when the terminal does not say.
const DEFAULT_WIDTH: usize = 80;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether a progress line is on the terminal now. Every write to stderr
/// that goes through this module holds it, so lines never interleave.
static SHOWN: Mutex<bool> = Mutex::new(false);

/// `-q`: no progress (and, by each command's print functions, no summary)
/// for the whole process; set once by the binary.
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed);
}

/// Whether `-q` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

fn shown() -> MutexGuard<'static, bool> {
    SHOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` with stderr locked and no progress line on it: the line, if
/// shown, is erased first. What `f` writes is flushed.
pub fn with_stderr<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    let mut shown = shown();
    let mut err = std::io::stderr().lock();
    if *shown {
        let _ = err.write_all(ERASE);
        *shown = false;
    }
    let r = f(&mut err);
    let _ = err.flush();
    r
}

/// Counts of one long run, and the line that shows them.
pub struct Progress {
    shared: Option<Arc<Shared>>,
    drawer: Option<JoinHandle<()>>,
}

struct Shared {
    verb: &'static str,
    unit: &'static str,
    total: u64,
    /// Bytes the whole run moves, when known in advance (0: not known);
    /// the time left is then reckoned in bytes rather than objects.
    total_bytes: AtomicU64,
    done: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Progress {
    /// A line `VERB  DONE/TOTAL UNIT ...`, shown when stderr is a terminal,
    /// `-q` is off and there is anything to count.
    pub fn start(verb: &'static str, unit: &'static str, total: u64) -> Progress {
        if quiet() || total == 0 || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let shared = Arc::new(Shared {
            verb,
            unit,
            total,
            total_bytes: AtomicU64::new(0),
            done: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let drawer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || shared.draw_until_stopped())
                .ok()
        };
        Progress {
            // Without a drawing thread there is nothing to show.
            shared: drawer.is_some().then_some(shared),
            drawer,
        }
    }

    /// Counts nothing, shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            shared: None,
            drawer: None,
        }
    }

    /// Whether the line is shown: work that costs something only to be
    /// counted (sizing files up front) is done only then.
    pub fn is_shown(&self) -> bool {
        self.shared.is_some()
    }

    /// The bytes the whole run moves, when they are known in advance.
    pub fn set_total_bytes(&self, bytes: u64) {
        if let Some(s) = &self.shared {
            s.total_bytes.store(bytes, Ordering::Relaxed);
        }
    }

    /// `objects` more done, and `bytes` more moved; from any thread.
    pub fn advance(&self, objects: u64, bytes: u64) {
        if let Some(s) = &self.shared {
            s.done.fetch_add(objects, Ordering::Relaxed);
            s.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Stops drawing and erases the line; also done on drop.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        *shared.stop.lock().unwrap_or_else(|p| p.into_inner()) = true;
        shared.wake.notify_all();
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
        // The last counts, so that the terminal's record of the run ends
        // with them, then a clean line for what follows.
        let mut shown = shown();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(ERASE);
        let _ = err.write_all(shared.line(terminal_width()).as_bytes());
        let _ = err.write_all(ERASE);
        let _ = err.flush();
        *shown = false;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    /// A frame every [`INTERVAL`], the first after one: work done sooner
    /// shows no line that flickers and goes.
    fn draw_until_stopped(&self) {
        let mut stopped = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            stopped = self
                .wake
                .wait_timeout(stopped, INTERVAL)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
            if *stopped {
                return;
            }
            drop(stopped);
            self.draw();
            stopped = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        }
    }

    fn draw(&self) {
        let line = self.line(terminal_width());
        let mut shown = shown();
        let mut err = std::io::stderr().lock();
        let ok = err
            .write_all(ERASE)
            .and_then(|()| err.write_all(line.as_bytes()))
            .and_then(|()| err.flush());
        *shown = ok.is_ok();
    }

    /// The line for the counts now, cut to fit `width` columns.
    fn line(&self, width: usize) -> String {
        let counts = Counts {
            done: self.done.load(Ordering::Relaxed).min(self.total),
            total: self.total,
            bytes: self.bytes.load(Ordering::Relaxed),
            total_bytes: self.total_bytes.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        };
        let mut line = counts.render(self.verb, self.unit);
        // One column short of the width: a line that fills the last column
        // wraps on some terminals, and `\r` then no longer reaches its start.
        let max = width.saturating_sub(1).max(1);
        if line.len() > max {
            let mut cut = max;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        line
    }
}

/// A snapshot of the counts, rendered.
struct Counts {
    done: u64,
    total: u64,
    bytes: u64,
    total_bytes: u64,
    elapsed: Duration,
}

impl Counts {
    fn render(&self, verb: &str, unit: &str) -> String {
        let mut line = format!("{verb}  {}/{} {unit}", self.done, self.total);
        if self.total_bytes > 0 {
            line.push_str(&format!(
                "  {}/{}",
                human_bytes(self.bytes),
                human_bytes(self.total_bytes)
            ));
        } else if self.bytes > 0 {
            line.push_str(&format!("  {}", human_bytes(self.bytes)));
        }
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 && (self.done > 0 || self.bytes > 0) {
            if self.bytes > 0 {
                line.push_str(&format!(
                    "  {}/s",
                    human_bytes((self.bytes as f64 / secs) as u64)
                ));
            } else {
                line.push_str(&format!("  {:.1} {unit}/s", self.done as f64 / secs));
            }
        }
        line.push_str(&format!("  ETA {}", self.eta()));
        line
    }

    /// The time left, reckoned from the share done so far.
    fn eta(&self) -> String {
        let share = if self.total_bytes > 0 {
            self.bytes as f64 / self.total_bytes as f64
        } else {
            self.done as f64 / self.total as f64
        };
        if self.done >= self.total {
            return clock(0);
        }
        if share <= 0.0 || !share.is_finite() {
            return "-:--".into();
        }
        let left = self.elapsed.as_secs_f64() * (1.0 - share.min(1.0)) / share;
        // Beyond 99 hours the figure says nothing.
        clock(left.min(99.0 * 3600.0) as u64)
    }
}

/// `0:42`, `12:05`, `1:02:03`.
fn clock(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Columns of the terminal on stderr.
fn terminal_width() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ writes a `winsize` into the one passed, and
        // only reads the descriptor.
        let mut size: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
        if ok && size.ws_col > 0 {
            return usize::from(size.ws_col);
        }
    }
    DEFAULT_WIDTH
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(done: u64, total: u64, bytes: u64, total_bytes: u64, secs: u64) -> Counts {
        Counts {
            done,
            total,
            bytes,
            total_bytes,
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn the_line_has_counts_bytes_rate_and_time_left() {
        let c = counts(37, 200, 13 << 20, 0, 4);
        assert_eq!(
            c.render("pushing", "charts"),
            "pushing  37/200 charts  13.0 MiB  3.2 MiB/s  ETA 0:17"
        );
        let c = counts(50, 200, 0, 0, 10);
        assert_eq!(
            c.render("verifying", "charts"),
            "verifying  50/200 charts  5.0 charts/s  ETA 0:30"
        );
        let c = counts(1, 3, 1024, 4096, 3);
        assert_eq!(
            c.render("copying", "objects"),
            "copying  1/3 objects  1.0 KiB/4.0 KiB  341 B/s  ETA 0:09"
        );
        assert_eq!(
            counts(0, 5, 0, 0, 0).render("indexing", "charts"),
            "indexing  0/5 charts  ETA -:--"
        );
        assert_eq!(
            counts(5, 5, 0, 0, 0).render("indexing", "charts"),
            "indexing  5/5 charts  ETA 0:00"
        );
    }

    #[test]
    fn clocks_and_bounds() {
        assert_eq!(clock(42), "0:42");
        assert_eq!(clock(725), "12:05");
        assert_eq!(clock(3723), "1:02:03");
        // A crawl of one object in an hour out of a million: bounded.
        let c = counts(1, 1_000_000, 0, 0, 3600);
        assert!(c.eta().starts_with("99:"), "{}", c.eta());
    }

    #[test]
    fn a_hidden_progress_counts_nothing_and_starts_no_thread() {
        let p = Progress::hidden();
        p.advance(1, 10);
        p.set_total_bytes(100);
        assert!(!p.is_shown());
        p.finish();
    }

    #[test]
    fn quiet_hides_it() {
        set_quiet(true);
        let p = Progress::start("pushing", "charts", 10);
        assert!(!p.is_shown());
        set_quiet(false);
    }
}
