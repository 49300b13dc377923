//! What every plugin prints: reports as a table (the text Helm's own commands
//! print) or as JSON, warnings, and errors. Lines on stderr go through
//! [`line`], which keeps them out of a progress line (`cli::progress`).
//!
//! Reports are plain structs deriving `Serialize`; `-o json` writes them
//! pretty-printed with keys in declaration order, so every command's JSON
//! looks the same and stays stable between releases. Errors are typed all the
//! way up and rendered here, once: the error and its `source()` chain on one
//! line, which is what a user reads and what a script can grep.

use std::error::Error;
use std::io::{self, Write};
use std::process::ExitCode;

use serde::Serialize;

/// `-o table|json`, as Helm's commands spell it (`text` is accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable lines, in Helm's wording where Helm has a command.
    #[default]
    #[value(alias = "text")]
    Table,
    /// One pretty-printed JSON document on stdout.
    Json,
}

/// The report could not be written to stdout.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report to standard output")]
pub struct OutputError(#[source] io::Error);

/// Writes `report` as pretty JSON and a newline on stdout.
pub fn print_json<T: Serialize + ?Sized>(report: &T) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, report)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(OutputError)
}

/// Prints `report` in `format`: JSON, or the command's own table form.
pub fn emit<T: Serialize + ?Sized>(
    format: OutputFormat,
    report: &T,
    table: impl FnOnce(&T),
) -> Result<(), OutputError> {
    match format {
        OutputFormat::Json => print_json(report),
        OutputFormat::Table => {
            table(report);
            Ok(())
        }
    }
}

/// One line on stderr, written whole and never into a progress line
/// (which is erased first and drawn again below it).
pub fn line(message: impl std::fmt::Display) {
    super::progress::with_stderr(|err| {
        let _ = writeln!(err, "{message}");
    });
}

/// Text on stderr without a line ending (a question), as [`line`].
pub fn text(message: impl std::fmt::Display) {
    super::progress::with_stderr(|err| {
        let _ = write!(err, "{message}");
    });
}

/// `warning: ...` on stderr.
pub fn warn(message: impl std::fmt::Display) {
    line(format_args!("warning: {message}"));
}

/// `note: ...` on stderr: something the user did not ask about but would
/// want to know, and no fault.
pub fn note(message: impl std::fmt::Display) {
    line(format_args!("note: {message}"));
}

/// `Error: ...` on stderr, for one item of a run that goes on.
pub fn error_line(message: impl std::fmt::Display) {
    line(format_args!("Error: {message}"));
}

/// Bytes as people read them: `512 B`, `3.2 KiB`, `1.0 MiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// An error and its causes on one line: `what: why: deeper why`.
///
/// Errors of this crate never repeat their source in their own message, so
/// each cause appears once; a foreign error that does repeat its source (some
/// libraries do) is not printed twice. Line breaks inside any message are
/// folded, so a library's multi-line text stays one line.
pub fn render_error(e: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(err) = next {
        let text = match err.downcast_ref::<io::Error>() {
            Some(io) => io_words(io),
            None => one_line(&err.to_string()),
        };
        let repeated = parts.last().is_some_and(|last| last.contains(&text));
        if !text.is_empty() && !repeated {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// An I/O error in words, without the `(os error N)` tail the standard
/// library adds: what a user can act on.
pub fn io_words(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let words = match e.kind() {
        K::NotFound => "no such file or folder",
        K::PermissionDenied => "permission denied",
        K::AlreadyExists => "already exists",
        K::IsADirectory => "is a folder, not a file",
        K::NotADirectory => "not a folder",
        K::StorageFull => "no space left on the device",
        K::ReadOnlyFilesystem => "read-only file system",
        K::DirectoryNotEmpty => "folder not empty",
        K::InvalidFilename => "file name too long or invalid",
        K::CrossesDevices => "cannot rename across file systems",
        K::UnexpectedEof => "ends unexpectedly (truncated)",
        K::TimedOut => "timed out",
        K::ConnectionRefused => "connection refused",
        K::Interrupted => "interrupted",
        _ if e.raw_os_error().is_some() => {
            let text = e.to_string();
            return match text.rfind(" (os error ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
        }
        _ => return one_line(&e.to_string()),
    };
    // A custom error of that kind carries its own, better, message.
    if e.raw_os_error().is_none() && e.get_ref().is_some() {
        return one_line(&e.to_string());
    }
    words.to_string()
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints `Error: ...` (Helm's prefix) and returns the failure exit code.
pub fn fail(e: &(dyn Error + 'static)) -> ExitCode {
    error_line(render_error(e));
    ExitCode::FAILURE
}

/// Characters of one piece of input-controlled text (a file name inside an
/// archive, a chart name) that a message shows. Such text can be megabytes
/// long; cut, a message stays one readable line and costs no memory.
pub const SHOWN_CHARS: usize = 200;

/// `s` cut to [`SHOWN_CHARS`] characters, with an ellipsis when cut, and
/// control characters escaped (`\u{1b}`, `\r`): input-controlled text
/// cannot move the cursor, recolour the terminal or fake another line.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    let (cut, more) = match s.char_indices().nth(SHOWN_CHARS) {
        None => (s, false),
        Some((end, _)) => (&s[..end], true),
    };
    let shown: std::borrow::Cow<'_, str> = if cut.chars().any(char::is_control) {
        cut.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        cut.into()
    };
    if more {
        format!("{shown}…").into()
    } else {
        shown
    }
}

/// Bytes (a name that need not be UTF-8) as [`clip`]ped text; invalid
/// UTF-8 shows as U+FFFD.
pub fn clip_bytes(b: &[u8]) -> String {
    let head = &b[..b.len().min(SHOWN_CHARS * 4 + 4)];
    let text = String::from_utf8_lossy(head);
    let clipped = clip(&text);
    if head.len() < b.len() && !clipped.ends_with('…') {
        format!("{clipped}…")
    } else {
        clipped.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {0}")]
    struct Outer(&'static str, #[source] io::Error);

    #[test]
    fn clipped_text_has_its_control_characters_escaped() {
        assert_eq!(clip("plain"), "plain");
        assert_eq!(clip("a\x1b[2Jb\rc\nd"), "a\\u{1b}[2Jb\\rc\\nd");
        let long = "x".repeat(SHOWN_CHARS + 5);
        assert_eq!(clip(&long).chars().count(), SHOWN_CHARS + 1);
    }

    #[test]
    fn chain_on_one_line_without_repeats() {
        let e = Outer("x.tgz", io::Error::other("disk\non fire"));
        assert_eq!(render_error(&e), "cannot read x.tgz: disk on fire");

        #[derive(Debug, thiserror::Error)]
        #[error("wrapper: {0}")]
        struct Repeats(#[source] io::Error);
        let e = Repeats(io::Error::other("inner"));
        assert_eq!(render_error(&e), "wrapper: inner");
    }

    #[test]
    fn io_errors_in_words_without_os_error_tails() {
        let missing = std::fs::read("/no/such/file/anywhere").unwrap_err();
        let e = Outer("x.tgz", missing);
        assert_eq!(
            render_error(&e),
            "cannot read x.tgz: no such file or folder"
        );
        let folder = std::fs::read("/").unwrap_err();
        let e = Outer("/", folder);
        assert_eq!(render_error(&e), "cannot read /: is a folder, not a file");
        let e = Outer("x", io::Error::from_raw_os_error(libc_eloop()));
        assert!(
            !render_error(&e).contains("os error"),
            "{}",
            render_error(&e)
        );
    }

    /// ELOOP on Linux and macOS alike (40 and 62): an error without a kind
    /// of its own.
    fn libc_eloop() -> i32 {
        if cfg!(target_os = "macos") {
            62
        } else {
            40
        }
    }

    #[test]
    fn clip_cuts_long_text_only() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(SHOWN_CHARS + 1);
        let c = clip(&long);
        assert_eq!(c.chars().count(), SHOWN_CHARS + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip(&long[..SHOWN_CHARS * 2]), &long[..SHOWN_CHARS * 2]);
        assert_eq!(clip_bytes(b"a\xffb"), "a\u{fffd}b");
        let c = clip_bytes(&vec![b'a'; 1 << 20]);
        assert_eq!(c.chars().count(), SHOWN_CHARS + 1);
    }
}
