//! The conversation with gpg-agent, Unix only: finding the agent's socket
//! and starting the agent as gpg does, following Assuan redirection files,
//! reading lines within libassuan's limits and a deadline, Assuan's
//! escaping, and gpg's sequence of commands and inquiries for a signature
//! (`agent_pksign`). Everything that reads from the agent's socket is here,
//! and with it the caps on lines, on answers and on time.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use openpgp::crypto::mpi;
use openpgp::types::HashAlgorithm;
use sequoia_openpgp as openpgp;

use super::sexp::signature;
use super::{hex_upper, plus_escape, AgentError, AgentSigner};

/// libassuan's `ASSUAN_LINELENGTH`: 1000 bytes and the line end.
const MAX_LINE: usize = 1002;
/// What this client sends: at most 1000 bytes with the LF.
const MAX_SEND: usize = 1000;
/// The data of one answer (a signature is a few hundred bytes).
const MAX_DATA: usize = 64 * 1024;
/// Everything the agent may send for one command, comments and status
/// lines included.
const MAX_ANSWER: usize = 1024 * 1024;
/// An ordinary command.
const COMMAND_TIME: Duration = Duration::from_secs(30);
/// `PKSIGN`, during which the agent's pinentry may wait for a person.
const SIGN_TIME: Duration = Duration::from_secs(5 * 60);
/// gpgconf, which for `--launch` waits for the agent to come up.
const GPGCONF_TIME: Duration = Duration::from_secs(30);
/// libassuan reads at most 511 bytes of a redirection file.
const MAX_REDIRECT: u64 = 511;

// libgpg-error codes, as ERR lines carry them (with the source in the
// top byte).
const BAD_PASSPHRASE: u32 = 11;
const NO_SECKEY: u32 = 17;
const NO_PIN_ENTRY: u32 = 85;
const PIN_ENTRY: u32 = 86;
const BAD_PIN: u32 = 87;
const CANCELED: u32 = 99;
const NO_PASSPHRASE: u32 = 177;
const FULLY_CANCELED: u32 = 198;
const ASS_CANCELED: u32 = 277;
const SOURCE_PINENTRY: u32 = 5;

/// libgcrypt's number for a hash algorithm, as `SETHASH` takes it.
fn gcrypt_hash(algo: HashAlgorithm) -> Option<u32> {
    Some(match algo {
        HashAlgorithm::SHA1 => 2,
        HashAlgorithm::SHA256 => 8,
        HashAlgorithm::SHA384 => 9,
        HashAlgorithm::SHA512 => 10,
        HashAlgorithm::SHA224 => 11,
        _ => return None,
    })
}

/// Assuan's escaping of a parameter or of data: `%`, CR and LF as `%XX`.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'%' | b'\r' | b'\n' => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
            b => out.push(b),
        }
    }
}

/// Undoes `%XX` escapes, which Assuan allows on any byte.
fn unescape_into(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape at byte {i} of a data line"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(())
}

/// The agent socket for a GnuPG home, as gpg finds it: gpgconf's answer
/// for that home (the socket may live under /run/user), else
/// `S.gpg-agent` in the home.
fn agent_socket(home: &Path) -> PathBuf {
    let mut c = Command::new("gpgconf");
    c.env("GNUPGHOME", home)
        .args(["--list-dirs", "agent-socket"]);
    match run_bounded(c, GPGCONF_TIME) {
        Ok((true, out, _)) => {
            let line = out.lines().next().unwrap_or("").trim_end();
            let mut raw = Vec::new();
            if !line.is_empty() && unescape_into(&mut raw, line.as_bytes()).is_ok() {
                return PathBuf::from(String::from_utf8_lossy(&raw).into_owned());
            }
        }
        Ok((false, _, err)) => crate::debug!("gpgconf --list-dirs agent-socket: {err}"),
        Err(e) => crate::debug!("gpgconf --list-dirs agent-socket: {e}"),
    }
    home.join("S.gpg-agent")
}

/// Runs a short-lived program with a time limit: whether it succeeded,
/// its output and the first line of its errors. Its output is read by
/// threads, so a daemon it starts that keeps the pipes open cannot make
/// this wait.
fn run_bounded(mut cmd: Command, limit: Duration) -> Result<(bool, String, String), String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    for (i, pipe) in pipes.into_iter().enumerate() {
        let tx = tx.clone();
        if let Some(pipe) = pipe {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.take(64 * 1024).read_to_end(&mut buf);
                let _ = tx.send((i, buf));
            });
        }
    }
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not finish within {} s", limit.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut out = [String::new(), String::new()];
    for _ in 0..2 {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok((i, buf)) => out[i] = String::from_utf8_lossy(&buf).into_owned(),
            Err(_) => break,
        }
    }
    let [stdout, stderr] = out;
    let err = stderr.lines().next().unwrap_or("").trim().to_string();
    let err = if err.is_empty() {
        status.to_string()
    } else {
        err
    };
    Ok((status.success(), stdout, err))
}

/// The socket a path leads to: the path itself, or the target of an
/// Assuan redirection file (`%Assuan%\nsocket=NAME\n`, with `${VAR}`
/// expanded), which stands in for sockets on file systems without them.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path)?;
    if meta.file_type().is_socket() || !meta.is_file() {
        return Ok(path.to_path_buf());
    }
    let mut text = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_REDIRECT)
        .read_to_end(&mut text)?;
    let invalid = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "neither a socket nor an Assuan redirection file",
        )
    };
    let name = text
        .strip_prefix(b"%Assuan%\nsocket=")
        .and_then(|r| r.strip_suffix(b"\n"))
        .filter(|n| !n.is_empty() && !n.contains(&b'\n'))
        .ok_or_else(invalid)?;
    let name = std::str::from_utf8(name).map_err(|_| invalid())?;
    let mut out = String::new();
    let mut rest = name;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').ok_or_else(invalid)?;
        out.push_str(&std::env::var(&after[..end]).unwrap_or_default());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    crate::debug!("{} redirects to {out}", path.display());
    Ok(PathBuf::from(out))
}

fn connect_once(socket: &Path) -> std::io::Result<UnixStream> {
    UnixStream::connect(resolve(socket)?)
}

/// Connects to the agent, starting it first if it is not running, as
/// gpg does.
fn connect(home: &Path) -> Result<(UnixStream, PathBuf), AgentError> {
    let socket = agent_socket(home);
    let unreachable = |reason: String| AgentError::Unreachable {
        socket: socket.clone(),
        reason,
    };
    let first = match connect_once(&socket) {
        Ok(s) => return Ok((s, socket)),
        Err(e) => e,
    };
    if !matches!(
        first.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
    ) {
        return Err(unreachable(first.to_string()));
    }
    crate::debug!("gpg-agent at {}: {first}; starting it", socket.display());
    let mut c = Command::new("gpgconf");
    c.env("GNUPGHOME", home).args(["--launch", "gpg-agent"]);
    match run_bounded(c, GPGCONF_TIME) {
        Ok((true, _, _)) => {}
        Ok((false, _, err)) | Err(err) => {
            return Err(unreachable(format!(
                "{first}, and gpgconf --launch gpg-agent failed: {err}"
            )))
        }
    }
    // gpgconf returns once the agent listens; allow for a slow start.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match connect_once(&socket) {
            Ok(s) => return Ok((s, socket)),
            Err(e) if Instant::now() >= deadline => {
                return Err(unreachable(format!(
                    "{e} (after gpgconf --launch gpg-agent)"
                )))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// How to answer an `INQUIRE`.
enum Answer {
    /// The passphrase, escaped already; it is never logged.
    Data(Vec<u8>),
    End,
    Cancel,
}

/// A refusal: the ERR line's code and text.
struct Refusal {
    code: u32,
    text: String,
}

enum Failure {
    Refused(Refusal),
    Broken(AgentError),
}

impl From<AgentError> for Failure {
    fn from(e: AgentError) -> Self {
        Failure::Broken(e)
    }
}

struct Conn {
    stream: UnixStream,
    socket: PathBuf,
    pending: Vec<u8>,
}

impl Conn {
    fn broken(&self, reason: impl Into<String>) -> AgentError {
        AgentError::Protocol {
            socket: self.socket.clone(),
            reason: reason.into(),
        }
    }

    fn send(&mut self, line: &[u8], shown: &str) -> Result<(), AgentError> {
        if line.len() + 1 > MAX_SEND {
            return Err(self.broken(format!("a {shown} line would be too long")));
        }
        crate::debug!("gpg-agent> {shown}");
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        let r = self
            .stream
            .set_write_timeout(Some(COMMAND_TIME))
            .and_then(|_| self.stream.write_all(&buf));
        buf.fill(0);
        r.map_err(|e| self.broken(format!("cannot send {}: {e}", first_word(shown))))
    }

    /// The next line, without its line end.
    fn read_line(&mut self, deadline: Instant, budget: &mut usize) -> Result<Vec<u8>, AgentError> {
        loop {
            if let Some(i) = self.pending.iter().take(MAX_LINE).position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.pending.len() >= MAX_LINE {
                return Err(self.broken(format!("a line longer than {MAX_LINE} bytes")));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.broken("no answer in time"));
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .set_read_timeout(Some(left))
                .and_then(|_| self.stream.read(&mut chunk));
            match n {
                Ok(0) => return Err(self.broken("the agent closed the connection")),
                Ok(n) => {
                    if n > *budget {
                        return Err(self.broken("the agent sent too much"));
                    }
                    *budget -= n;
                    self.pending.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(self.broken("no answer in time"))
                }
                Err(e) => return Err(self.broken(format!("cannot read: {e}"))),
            }
        }
    }

    /// Reads up to the OK or ERR that ends the answer to the last
    /// command, collecting its data and answering its inquiries.
    fn answer(
        &mut self,
        time: Duration,
        inquire: &mut dyn FnMut(&str) -> Answer,
    ) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + time;
        let mut budget = MAX_ANSWER;
        let mut data = Vec::new();
        loop {
            let line = self.read_line(deadline, &mut budget)?;
            let (word, rest) = match line.iter().position(|&b| b == b' ') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (&line[..], &[][..]),
            };
            match word {
                b"D" => {
                    crate::debug!("gpg-agent< D [{} bytes]", rest.len());
                    unescape_into(&mut data, rest).map_err(|e| self.broken(e))?;
                    if data.len() > MAX_DATA {
                        return Err(self.broken("the agent's answer is too large").into());
                    }
                    continue;
                }
                _ => crate::debug!("gpg-agent< {}", String::from_utf8_lossy(&line)),
            }
            match word {
                b"OK" => return Ok(data),
                b"ERR" => {
                    let text = String::from_utf8_lossy(rest);
                    let (code, text) = text.split_once(' ').unwrap_or((&text, ""));
                    let code = code
                        .parse()
                        .map_err(|_| self.broken(format!("bad error line: ERR {code}")))?;
                    return Err(Failure::Refused(Refusal {
                        code,
                        text: text.trim().to_string(),
                    }));
                }
                b"INQUIRE" => {
                    let keyword = String::from_utf8_lossy(rest);
                    let keyword = keyword.split(' ').next().unwrap_or("");
                    match inquire(keyword) {
                        Answer::Data(mut escaped) => {
                            let r = self.send_data(&escaped);
                            escaped.fill(0);
                            r?;
                            self.send(b"END", "END")?;
                        }
                        Answer::End => self.send(b"END", "END")?,
                        Answer::Cancel => self.send(b"CAN", "CAN")?,
                    }
                }
                b"S" | b"#" | b"END" | b"" => {}
                _ => {
                    return Err(self
                        .broken(format!(
                            "unexpected line {:?}",
                            String::from_utf8_lossy(&line[..line.len().min(40)])
                        ))
                        .into())
                }
            }
        }
    }

    /// Sends escaped secret data in D lines, never splitting an escape.
    fn send_data(&mut self, escaped: &[u8]) -> Result<(), AgentError> {
        let room = MAX_SEND - 3;
        let mut at = 0;
        while at < escaped.len() {
            let mut end = (at + room).min(escaped.len());
            // Back off so that a %XX stays whole.
            if let Some(p) = escaped[end.saturating_sub(2)..end]
                .iter()
                .position(|&b| b == b'%')
            {
                if end < escaped.len() {
                    end = end - 2 + p;
                }
            }
            let mut line = Vec::with_capacity(end - at + 2);
            line.extend_from_slice(b"D ");
            line.extend_from_slice(&escaped[at..end]);
            let r = self.send(&line, "D [passphrase withheld]");
            line.fill(0);
            r?;
            at = end;
        }
        Ok(())
    }

    /// A command without data or inquiries.
    fn simple(&mut self, line: &str) -> Result<(), Failure> {
        self.send(line.as_bytes(), line)?;
        self.answer(COMMAND_TIME, &mut |_| Answer::Cancel).map(drop)
    }
}

fn first_word(line: &str) -> &str {
    line.split(' ').next().unwrap_or(line)
}

/// The `OPTION`s gpg sends (`send_pinentry_environment`) so that a
/// pinentry can show up on the user's terminal or display.
fn environment_options() -> Vec<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let tty = var("GPG_TTY").or_else(stdin_tty);
    let mut opts = Vec::new();
    let mut add = |name: &str, value: &str| {
        let mut line = format!("OPTION {name}=").into_bytes();
        escape_into(&mut line, value.as_bytes());
        // A value too long for a line is left out, not fatal.
        if line.len() < MAX_SEND {
            if let Ok(s) = String::from_utf8(line) {
                opts.push(s);
            }
        }
    };
    if let Some(t) = &tty {
        add("ttyname", t);
    }
    for (env, option) in [
        ("TERM", Some("ttytype")),
        ("DISPLAY", Some("display")),
        ("XAUTHORITY", Some("xauthority")),
        ("XMODIFIERS", None),
        ("WAYLAND_DISPLAY", None),
        ("XDG_SESSION_TYPE", None),
        ("QT_QPA_PLATFORM", None),
        ("GTK_IM_MODULE", None),
        ("DBUS_SESSION_BUS_ADDRESS", None),
        ("QT_IM_MODULE", None),
        ("INSIDE_EMACS", None),
        ("PINENTRY_USER_DATA", Some("pinentry-user-data")),
        ("PINENTRY_GEOM_HINT", None),
    ] {
        if let Some(v) = var(env) {
            match option {
                Some(o) => add(o, &v),
                None => add(&format!("putenv={env}"), &v),
            }
        }
    }
    // gpg passes its locale only along with a terminal.
    if tty.is_some() {
        for (option, category) in [("lc-ctype", "LC_CTYPE"), ("lc-messages", "LC_MESSAGES")] {
            let locale = var("LC_ALL")
                .or_else(|| var(category))
                .or_else(|| var("LANG"))
                .unwrap_or_else(|| "C".into());
            add(option, &locale);
        }
    }
    opts
}

/// The terminal on standard input, where gpg takes the default of
/// GPG_TTY from. Without /proc (macOS, the BSDs) GPG_TTY has to be set,
/// as gpg's manual asks anyway.
fn stdin_tty() -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let p = std::fs::read_link("/proc/self/fd/0").ok()?;
    let s = p.to_str()?;
    s.starts_with("/dev/").then(|| s.to_string())
}

impl AgentSigner {
    pub(super) fn sign_digest(
        &self,
        algo: HashAlgorithm,
        digest: &[u8],
    ) -> Result<mpi::Signature, AgentError> {
        let number = gcrypt_hash(algo)
            .ok_or_else(|| AgentError::Unsupported(format!("hash algorithm {algo}")))?;
        let (stream, socket) = connect(&self.home)?;
        let mut c = Conn {
            stream,
            socket,
            pending: Vec::new(),
        };
        self.converse(&mut c, number, digest)
    }

    /// gpg's exchange for a signature (`agent_pksign`), from the
    /// greeting on.
    fn converse(
        &self,
        c: &mut Conn,
        number: u32,
        digest: &[u8],
    ) -> Result<mpi::Signature, AgentError> {
        let fpr = self.fingerprint.clone();
        let refused = |command: &str, e: Refusal| -> AgentError {
            match e.code & 0xffff {
                NO_SECKEY => AgentError::NoSecretKey(fpr.clone()),
                BAD_PASSPHRASE | BAD_PIN | NO_PASSPHRASE => {
                    AgentError::WrongPassphrase(fpr.clone())
                }
                CANCELED | FULLY_CANCELED | ASS_CANCELED => AgentError::Cancelled(fpr.clone()),
                NO_PIN_ENTRY | PIN_ENTRY => AgentError::NoPinentry {
                    fingerprint: fpr.clone(),
                    reason: e.text,
                },
                _ if e.code >> 24 == SOURCE_PINENTRY => AgentError::NoPinentry {
                    fingerprint: fpr.clone(),
                    reason: e.text,
                },
                _ => AgentError::Refused {
                    command: command.to_string(),
                    text: format!("{} (code {})", e.text, e.code),
                },
            }
        };
        let run = |c: &mut Conn, line: &str| -> Result<(), AgentError> {
            c.simple(line).map_err(|f| match f {
                Failure::Refused(e) => refused(first_word(line), e),
                Failure::Broken(e) => e,
            })
        };

        // The greeting.
        let socket = c.socket.clone();
        c.answer(COMMAND_TIME, &mut |_| Answer::Cancel)
            .map_err(|f| match f {
                Failure::Refused(e) => AgentError::Unreachable {
                    socket,
                    reason: e.text,
                },
                Failure::Broken(e) => e,
            })?;
        for opt in environment_options() {
            // gpg too carries on when an agent does not know an option.
            if let Err(Failure::Broken(e)) = c.simple(&opt) {
                return Err(e);
            }
        }
        if self.passphrase.is_some() {
            run(c, "OPTION pinentry-mode=loopback")?;
        }
        run(c, "RESET")?;
        run(c, &format!("SIGKEY {}", self.keygrip))?;
        let desc = setkeydesc(&self.description);
        if let Err(Failure::Broken(e)) = c.simple(&desc) {
            return Err(e);
        }
        let mut sethash = format!("SETHASH {number} ");
        sethash.push_str(&hex_upper(digest));
        run(c, &sethash)?;

        let mut asked = 0;
        let mut second_ask = false;
        let passphrase = self.passphrase.as_ref();
        c.send(b"PKSIGN", "PKSIGN")?;
        let data = c
            .answer(SIGN_TIME, &mut |keyword| match keyword {
                "PASSPHRASE" => {
                    asked += 1;
                    match passphrase {
                        Some(pw) if asked == 1 => Answer::Data(pw.map(|p| {
                            let mut out = Vec::with_capacity(p.len() + 8);
                            escape_into(&mut out, p);
                            out
                        })),
                        // Asked again: the passphrase was wrong.
                        Some(_) => {
                            second_ask = true;
                            Answer::Cancel
                        }
                        None => Answer::Cancel,
                    }
                }
                _ => Answer::End,
            })
            .map_err(|f| match f {
                Failure::Refused(_) if second_ask => AgentError::WrongPassphrase(fpr.clone()),
                Failure::Refused(e) => refused("PKSIGN", e),
                Failure::Broken(e) => e,
            })?;
        signature(&data, &self.public).map_err(|e| AgentError::Protocol {
            socket: c.socket.clone(),
            reason: format!("bad signature from PKSIGN: {e}"),
        })
    }
}

/// The `SETKEYDESC` line, with the user ID shortened when the whole
/// would exceed an Assuan line.
fn setkeydesc(description: &str) -> String {
    let mut line = format!("SETKEYDESC {}", plus_escape(description));
    if line.len() < MAX_SEND {
        return line;
    }
    // Drop characters from the end of the user ID (the first line in
    // quotes) until it fits.
    let Some((head, rest)) = description.split_once("\n\"") else {
        return "SETKEYDESC".into();
    };
    let Some((uid, tail)) = rest.split_once("\"\n") else {
        return "SETKEYDESC".into();
    };
    let mut uid: String = uid.to_string();
    while !uid.is_empty() {
        uid.pop();
        line = format!(
            "SETKEYDESC {}",
            plus_escape(&format!("{head}\n\"{uid}…\"\n{tail}"))
        );
        if line.len() < MAX_SEND {
            return line;
        }
    }
    "SETKEYDESC".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::crypto::Password;

    #[test]
    fn long_user_ids_are_shortened_to_fit_a_line() {
        let d = format!(
            "Please enter:\n\"{}\"\n3072-bit RSA key, ID X,\ncreated 2026-01-01.\n",
            "%".repeat(600)
        );
        let line = setkeydesc(&d);
        assert!(line.len() < MAX_SEND, "{}", line.len());
        assert!(line.starts_with("SETKEYDESC Please+enter:%0A%22%25%25"));
        assert!(line.ends_with("created+2026-01-01.%0A"));
    }

    #[test]
    fn redirection_files() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("S.gpg-agent");
        std::fs::write(&f, "%Assuan%\nsocket=${HOME}/x/S.agent\n").unwrap();
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(
            resolve(&f).unwrap(),
            PathBuf::from(format!("{home}/x/S.agent"))
        );
        std::fs::write(&f, "%Assuan%\nsocket=\n").unwrap();
        assert!(resolve(&f).is_err());
        std::fs::write(&f, "not a redirection").unwrap();
        assert!(resolve(&f).is_err());
    }

    #[test]
    fn passphrase_data_lines_keep_escapes_whole() {
        // A fake agent: a socket pair, the other end read back here.
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Conn {
            stream: a,
            socket: PathBuf::from("test"),
            pending: Vec::new(),
        };
        let mut escaped = Vec::new();
        escape_into(&mut escaped, &[b'%'; 700]);
        c.send_data(&escaped).unwrap();
        drop(c);
        let mut got = String::new();
        b.read_to_string(&mut got).unwrap();
        let mut back = Vec::new();
        for line in got.lines() {
            assert!(line.len() < MAX_SEND, "{}", line.len());
            let data = line.strip_prefix("D ").unwrap();
            unescape_into(&mut back, data.as_bytes()).unwrap();
        }
        assert_eq!(back, vec![b'%'; 700]);
    }

    /// A scripted agent on the other end of a socket pair: answers OK to
    /// every command and plays `pksign` (lines to send, or `<` to read
    /// one line) after PKSIGN; returns every line it was sent.
    fn fake_agent(pksign: &'static [&'static str]) -> (Conn, std::thread::JoinHandle<Vec<String>>) {
        let (a, b) = UnixStream::pair().unwrap();
        let agent = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut w = b.try_clone().unwrap();
            let mut r = std::io::BufReader::new(b);
            let mut line = String::new();
            let mut read = |got: &mut Vec<String>| {
                line.clear();
                std::io::BufRead::read_line(&mut r, &mut line).unwrap();
                got.push(line.trim_end().to_string());
            };
            w.write_all(b"OK Pleased to meet you\n").unwrap();
            loop {
                read(&mut got);
                if got.last().unwrap() == "PKSIGN" {
                    for step in pksign {
                        if *step == "<" {
                            read(&mut got);
                        } else {
                            w.write_all(format!("{step}\n").as_bytes()).unwrap();
                        }
                    }
                    return got;
                }
                w.write_all(b"OK\n").unwrap();
            }
        });
        let c = Conn {
            stream: a,
            socket: PathBuf::from("test"),
            pending: Vec::new(),
        };
        (c, agent)
    }

    fn signer(passphrase: Option<&str>) -> AgentSigner {
        let p = crate::test_support::fixture("prov/keys/rsapw.pub.gpg");
        let cert = <openpgp::Cert as openpgp::parse::Parse<_>>::from_file(p).unwrap();
        AgentSigner::new(
            cert.primary_key().key().clone().role_into_unspecified(),
            cert.fingerprint().to_hex(),
            "Helm RSA PW Test <rsapw@example.com>",
            None,
            Path::new("/nonexistent"),
            passphrase.map(Password::from),
        )
        .unwrap()
    }

    #[test]
    fn a_second_passphrase_inquiry_is_cancelled_as_a_wrong_passphrase() {
        let (mut c, agent) = fake_agent(&[
            "S INQUIRE_MAXLEN 255",
            "INQUIRE PASSPHRASE",
            "<",
            "<",
            "INQUIRE PASSPHRASE",
            "<",
            "ERR 83886179 Operation cancelled <GPG Agent>",
        ]);
        let err = signer(Some("pa%ss\rword"))
            .converse(&mut c, 10, &[0xab; 64])
            .unwrap_err();
        assert!(matches!(err, AgentError::WrongPassphrase(_)), "{err}");
        let got = agent.join().unwrap();
        assert!(got.contains(&"OPTION pinentry-mode=loopback".to_string()));
        assert!(got.contains(&format!("SETHASH 10 {}", "AB".repeat(64))));
        assert!(got.contains(&format!(
            "SIGKEY {}",
            "9FD5CFC1EF326E83C806DE489A23EB8E93A9EA8F"
        )));
        let pksign = got.iter().position(|l| l == "PKSIGN").unwrap();
        assert_eq!(got[pksign + 1..], ["D pa%25ss%0Dword", "END", "CAN"]);
    }

    #[test]
    fn other_inquiries_are_ended_and_the_signature_is_read() {
        let (mut c, agent) = fake_agent(&[
            "INQUIRE PINENTRY_LAUNCHED 1234 curses 1.2.1 - - -",
            "<",
            "# a comment",
            "D (7:sig-val(3:rsa(1:s2:%25",
            "D \x01)))",
            "OK",
        ]);
        let sig = signer(None).converse(&mut c, 10, &[1; 64]).unwrap();
        assert_eq!(
            sig,
            mpi::Signature::RSA {
                s: mpi::MPI::new(&[b'%', 1])
            }
        );
        let got = agent.join().unwrap();
        assert!(!got.iter().any(|l| l.contains("pinentry-mode")));
        assert_eq!(got.last().unwrap(), "END");
    }

    #[test]
    fn refusals_keep_their_meaning() {
        for (line, want) in [
            (
                "ERR 67108881 No secret key <GPG Agent>",
                "no secret key for 4558",
            ),
            (
                "ERR 67108875 Bad passphrase <GPG Agent>",
                "wrong passphrase for key 4558",
            ),
            (
                "ERR 83886179 Operation cancelled <Pinentry>",
                "was cancelled",
            ),
            (
                "ERR 67108949 No pinentry <GPG Agent>",
                "could not ask for the passphrase",
            ),
            ("ERR 67108881", "no secret key"),
            (
                "ERR 1 Something else",
                "gpg-agent refused PKSIGN: Something else (code 1)",
            ),
            ("ERR x", "bad error line"),
            ("BOGUS", "unexpected line"),
        ] {
            let script: &'static [&'static str] = Box::leak(Box::new([line]));
            let (mut c, agent) = fake_agent(script);
            let err = signer(None).converse(&mut c, 10, &[1; 64]).unwrap_err();
            assert!(err.to_string().contains(want), "{line}: {err}");
            agent.join().unwrap();
        }
    }

    /// An agent that never ends its line, one that floods, and one that
    /// goes silent: each is an error, none a hang.
    #[test]
    fn hostile_agents_are_bounded() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Conn {
            stream: a,
            socket: PathBuf::from("test"),
            pending: Vec::new(),
        };
        b.write_all(&[b'x'; 2000]).unwrap();
        let err = c
            .answer(Duration::from_secs(5), &mut |_| Answer::End)
            .err()
            .map(|f| match f {
                Failure::Broken(e) => e.to_string(),
                Failure::Refused(e) => e.text,
            });
        assert!(err.unwrap().contains("longer than"));

        let (a, b) = UnixStream::pair().unwrap();
        let mut c = Conn {
            stream: a,
            socket: PathBuf::from("test"),
            pending: Vec::new(),
        };
        let flood = std::thread::spawn(move || {
            let mut b = b;
            let line = [b"D ".as_slice(), &[b'y'; 900], b"\n"].concat();
            for _ in 0..200 {
                if b.write_all(&line).is_err() {
                    break;
                }
            }
        });
        let r = c.answer(Duration::from_secs(5), &mut |_| Answer::End);
        assert!(matches!(
            r,
            Err(Failure::Broken(AgentError::Protocol { .. }))
        ));
        drop(c);
        flood.join().unwrap();

        let (a, _b) = UnixStream::pair().unwrap();
        let mut c = Conn {
            stream: a,
            socket: PathBuf::from("test"),
            pending: Vec::new(),
        };
        let started = Instant::now();
        let r = c.answer(Duration::from_millis(200), &mut |_| Answer::End);
        assert!(
            matches!(r, Err(Failure::Broken(AgentError::Protocol { ref reason, .. })) if reason.contains("in time"))
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn escaping() {
        assert_eq!(plus_escape("a b+c\"%\n"), "a+b%2Bc%22%25%0A");
        let mut out = Vec::new();
        escape_into(&mut out, b"p%\r\nw");
        assert_eq!(out, b"p%25%0D%0Aw");
        let mut back = Vec::new();
        unescape_into(&mut back, &out).unwrap();
        assert_eq!(back, b"p%\r\nw");
        assert!(unescape_into(&mut back, b"%4").is_err());
        assert!(unescape_into(&mut back, b"%zz").is_err());
    }
}
