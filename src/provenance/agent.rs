//! Signing through the user's gpg-agent, which holds the secret keys of a
//! GnuPG home: a small client of the Assuan protocol (libassuan's manual)
//! speaking the few gpg-agent commands gpg itself uses to sign (GnuPG's
//! `agent/command.c`).
//!
//! The agent is found and started as gpg finds and starts it, and is given
//! what gpg gives it so that its pinentry appears where the user is. Nothing
//! the agent sends is trusted to be well formed or to arrive: every line is
//! bounded, the data of an answer is capped, and every exchange has a
//! deadline, generous only where a person may be typing a passphrase.
//!
//! Only Unix: the agent's socket is a Unix domain socket there (Windows has
//! its own emulation, which this client does not speak).

#![cfg_attr(not(unix), allow(dead_code))]

use std::path::{Path, PathBuf};

use openpgp::crypto::{mpi, Password};
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::Key;
use openpgp::types::{Curve, HashAlgorithm};
use openpgp::KeyID;
use sequoia_openpgp as openpgp;
use thiserror::Error;

use super::hash;

#[derive(Debug, Error)]
pub enum AgentError {
    #[error("unsupported key type for gpg-agent: {0}")]
    Unsupported(String),
    #[error("signing through gpg-agent is only supported on Unix; sign with --keyring and an exported secret key")]
    NotSupported,
    #[error("cannot reach gpg-agent at {}: {reason}", .socket.display())]
    Unreachable { socket: PathBuf, reason: String },
    #[error("gpg-agent at {}: {reason}", .socket.display())]
    Protocol { socket: PathBuf, reason: String },
    #[error("gpg-agent refused {command}: {text}")]
    Refused { command: String, text: String },
    #[error("wrong passphrase for key {0}")]
    WrongPassphrase(String),
    #[error("passphrase entry for key {0} was cancelled")]
    Cancelled(String),
    #[error("gpg-agent holds no secret key for {0} (import it with gpg --import, or sign with --keyring)")]
    NoSecretKey(String),
    #[error("gpg-agent could not ask for the passphrase of key {fingerprint} ({reason}); give it with --passphrase-file, or set GPG_TTY or DISPLAY for the agent's pinentry")]
    NoPinentry { fingerprint: String, reason: String },
}

/// Signs with a key whose secret the agent of a GnuPG home holds. Each
/// signature is one connection; the agent caches an entered passphrase
/// between them as it does for gpg.
#[derive(Clone)]
pub struct AgentSigner {
    public: Key<PublicParts, UnspecifiedRole>,
    keygrip: String,
    /// The certificate's fingerprint, for messages.
    fingerprint: String,
    description: String,
    home: PathBuf,
    passphrase: Option<Password>,
}

impl std::fmt::Debug for AgentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSigner")
            .field("key", &self.public.fingerprint())
            .field("keygrip", &self.keygrip)
            .field("home", &self.home)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "[withheld]"),
            )
            .finish()
    }
}

impl AgentSigner {
    /// `key` signs for the certificate `fingerprint`, whose primary key ID
    /// is `primary` when `key` is a subkey; `user_id` names the certificate
    /// in the pinentry's text. With a passphrase the agent is asked for it
    /// in loopback mode instead of through its pinentry.
    pub fn new(
        key: Key<PublicParts, UnspecifiedRole>,
        fingerprint: String,
        user_id: &str,
        primary: Option<KeyID>,
        home: &Path,
        passphrase: Option<Password>,
    ) -> Result<AgentSigner, AgentError> {
        let keygrip = hex_upper(&keygrip(&key)?);
        let description = description(&key, user_id, primary.as_ref());
        Ok(AgentSigner {
            public: key,
            keygrip,
            fingerprint,
            description,
            home: home.to_path_buf(),
            passphrase,
        })
    }
}

impl openpgp::crypto::Signer for AgentSigner {
    fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    fn acceptable_hashes(&self) -> &[HashAlgorithm] {
        &[
            HashAlgorithm::SHA512,
            HashAlgorithm::SHA384,
            HashAlgorithm::SHA256,
            HashAlgorithm::SHA224,
        ]
    }

    fn sign(&mut self, hash_algo: HashAlgorithm, digest: &[u8]) -> openpgp::Result<mpi::Signature> {
        Ok(self.sign_digest(hash_algo, digest)?)
    }
}

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

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Domain parameters as libgcrypt hashes them into an ECC keygrip: p, a, b,
/// the base point (uncompressed, `04 || x || y`) and n, in hex.
struct Domain {
    bits: u32,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    g: &'static str,
    n: &'static str,
}

const NIST_P256: Domain = Domain {
    bits: 256,
    p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    g: "04\
        6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
        4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
};

const NIST_P384: Domain = Domain {
    bits: 384,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
        ffffffff0000000000000000ffffffff",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
        ffffffff0000000000000000fffffffc",
    b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a\
        c656398d8a2ed19d2a85c8edd3ec2aef",
    g: "04\
        aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38\
        5502f25dbf55296c3a545e3872760ab7\
        3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0\
        0a60b1ce1d7e819d7a431d7c90ea0e5f",
    n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf\
        581a0db248b0a77aecec196accc52973",
};

const NIST_P521: Domain = Domain {
    bits: 521,
    p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    a: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
    // b has a leading zero byte; libgcrypt hashes numbers without them.
    b: "51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1\
        09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    // The coordinates keep their full 66 bytes inside the point.
    g: "04\
        00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d\
        3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66\
        011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e\
        662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
    n: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
};

/// libgcrypt writes Ed25519's a (-1) and d as negative numbers and hashes
/// their magnitudes, so these are 1 and p - d, not the field elements.
const ED25519: Domain = Domain {
    bits: 255,
    p: "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed",
    a: "01",
    b: "2dfc9311d490018c7338bf8688861767ff8ff5b2bebe27548a14b235eca6874a",
    g: "04\
        216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a\
        6666666666666666666666666666666666666666666666666666666666666658",
    n: "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
};

fn domain(curve: &Curve) -> Option<&'static Domain> {
    match curve {
        Curve::NistP256 => Some(&NIST_P256),
        Curve::NistP384 => Some(&NIST_P384),
        Curve::NistP521 => Some(&NIST_P521),
        _ => None,
    }
}

/// The keygrip by which gpg-agent knows a key: libgcrypt's SHA-1 of the
/// public key, over RSA's modulus in its signed form (a leading zero when
/// the top bit is set), or for ECC over `(1:p<len>:<bytes>)` for each of p,
/// a, b, g, n and the public point (for EdDSA the 32-byte compressed one).
pub fn keygrip(key: &Key<PublicParts, UnspecifiedRole>) -> Result<[u8; 20], AgentError> {
    let unsupported = || AgentError::Unsupported(describe_algo(key));
    let digest = match key.mpis() {
        mpi::PublicKey::RSA { n, .. } => {
            let n = n.value();
            let zero: &[u8] = if n.first().is_some_and(|b| b & 0x80 != 0) {
                &[0]
            } else {
                &[]
            };
            hash(HashAlgorithm::SHA1, &[zero, n])
        }
        mpi::PublicKey::ECDSA { curve, q } => {
            let d = domain(curve).ok_or_else(unsupported)?;
            ecc_grip(d, q.value())
        }
        mpi::PublicKey::EdDSA {
            curve: Curve::Ed25519,
            q,
        } => {
            let q = q.value();
            let q = match q {
                [0x40, rest @ ..] if rest.len() == 32 => rest,
                _ if q.len() == 32 => q,
                _ => return Err(unsupported()),
            };
            ecc_grip(&ED25519, q)
        }
        _ => return Err(unsupported()),
    };
    digest
        .and_then(|d| <[u8; 20]>::try_from(d.as_slice()).ok())
        .ok_or_else(|| {
            AgentError::Unsupported(format!(
                "{} (the crypto backend lacks the SHA-1 of its keygrip)",
                describe_algo(key)
            ))
        })
}

fn ecc_grip(d: &Domain, q: &[u8]) -> Option<Vec<u8>> {
    let values = [d.p, d.a, d.b, d.g, d.n].map(unhex);
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (name, value) in "pabgnq"
        .chars()
        .zip(values.iter().map(Vec::as_slice).chain([q]))
    {
        parts.push(format!("(1:{name}{}:", value.len()).into_bytes());
        parts.push(value.to_vec());
        parts.push(b")".to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    hash(HashAlgorithm::SHA1, &refs)
}

fn describe_algo(key: &Key<PublicParts, UnspecifiedRole>) -> String {
    match key.mpis() {
        mpi::PublicKey::ECDSA { curve, .. } | mpi::PublicKey::EdDSA { curve, .. } => {
            format!("{} on {curve}", key.pk_algo())
        }
        _ => key.pk_algo().to_string(),
    }
}

/// gpg's text for the pinentry (`gpg_format_keydesc`), before escaping.
fn description(
    key: &Key<PublicParts, UnspecifiedRole>,
    user_id: &str,
    primary: Option<&KeyID>,
) -> String {
    let (bits, algo) = match key.mpis() {
        mpi::PublicKey::RSA { n, .. } => (n.bits() as u32, "RSA"),
        mpi::PublicKey::ECDSA { curve, .. } => (domain(curve).map_or(0, |d| d.bits), "ECDSA"),
        mpi::PublicKey::EdDSA { .. } => (ED25519.bits, "EDDSA"),
        _ => (0, "?"),
    };
    let created = chrono::DateTime::<chrono::Utc>::from(key.creation_time()).format("%Y-%m-%d");
    let main = primary
        .map(|k| format!(" (main key ID {})", k.to_hex()))
        .unwrap_or_default();
    format!(
        "Please enter the passphrase to unlock the OpenPGP secret key:\n\
         \"{user_id}\"\n\
         {bits}-bit {algo} key, ID {},\n\
         created {created}{main}.\n",
        key.keyid().to_hex()
    )
}

/// gpg's `percent_plus_escape`: `SETKEYDESC` takes its text with spaces as
/// `+` and `+`, `"`, `%` and control characters as `%XX`.
fn plus_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '+' | '"' | '%' | '\0'..='\x1f' => out.push_str(&format!("%{:02X}", c as u32)),
            ' ' => out.push('+'),
            c => out.push(c),
        }
    }
    out
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

/// A canonical S-expression (`(7:sig-val(3:rsa(1:s…)))`), as the agent
/// answers `PKSIGN`.
#[derive(Debug, PartialEq)]
enum Sexp<'a> {
    Atom(&'a [u8]),
    List(Vec<Sexp<'a>>),
}

/// Far deeper and larger than any signature the agent returns.
const SEXP_MAX_DEPTH: usize = 8;
const SEXP_MAX_ITEMS: usize = 64;

fn parse_sexp(data: &[u8]) -> Result<Sexp<'_>, String> {
    let mut at = 0;
    let mut items = 0;
    let s = sexp_list(data, &mut at, 1, &mut items)?;
    if at != data.len() {
        return Err(format!("{} bytes after the S-expression", data.len() - at));
    }
    Ok(s)
}

fn sexp_list<'a>(
    data: &'a [u8],
    at: &mut usize,
    depth: usize,
    items: &mut usize,
) -> Result<Sexp<'a>, String> {
    if depth > SEXP_MAX_DEPTH {
        return Err("S-expression nested too deeply".into());
    }
    if data.get(*at) != Some(&b'(') {
        return Err(format!("expected '(' at byte {at}"));
    }
    *at += 1;
    let mut list = Vec::new();
    loop {
        *items += 1;
        if *items > SEXP_MAX_ITEMS {
            return Err("S-expression has too many elements".into());
        }
        match data.get(*at) {
            None => return Err("S-expression ends early".into()),
            Some(b')') => {
                *at += 1;
                return Ok(Sexp::List(list));
            }
            Some(b'(') => list.push(sexp_list(data, at, depth + 1, items)?),
            Some(b'0'..=b'9') => {
                let start = *at;
                while data.get(*at).is_some_and(u8::is_ascii_digit) {
                    *at += 1;
                    if *at - start > 6 {
                        return Err(format!("atom length at byte {start} is too long"));
                    }
                }
                if data.get(*at) != Some(&b':') {
                    return Err(format!("expected ':' at byte {at}"));
                }
                let len: usize = std::str::from_utf8(&data[start..*at])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("bad atom length at byte {start}"))?;
                *at += 1;
                let end = at
                    .checked_add(len)
                    .filter(|&e| e <= data.len())
                    .ok_or_else(|| format!("atom at byte {start} runs past the end"))?;
                list.push(Sexp::Atom(&data[*at..end]));
                *at = end;
            }
            Some(&c) => return Err(format!("unexpected byte {c:#04x} at byte {at}")),
        }
    }
}

/// The signature values of `(sig-val(<algo>(r …)(s …)))` for the key's
/// algorithm.
fn signature(
    data: &[u8],
    key: &Key<PublicParts, UnspecifiedRole>,
) -> Result<mpi::Signature, String> {
    let sexp = parse_sexp(data)?;
    let Sexp::List(top) = &sexp else {
        return Err("not a list".into());
    };
    let Some((Sexp::Atom(b"sig-val"), rest)) = top.split_first() else {
        return Err("not a sig-val".into());
    };
    let want: &[u8] = match key.mpis() {
        mpi::PublicKey::RSA { .. } => b"rsa",
        mpi::PublicKey::ECDSA { .. } => b"ecdsa",
        mpi::PublicKey::EdDSA { .. } => b"eddsa",
        _ => return Err("a key type the agent does not sign for".into()),
    };
    let params = rest
        .iter()
        .find_map(|s| match s {
            Sexp::List(l) => match l.split_first() {
                Some((Sexp::Atom(name), params)) if *name == want => Some(params),
                _ => None,
            },
            _ => None,
        })
        .ok_or_else(|| format!("no {} signature", String::from_utf8_lossy(want)))?;
    let value = |name: &[u8]| -> Result<mpi::MPI, String> {
        params
            .iter()
            .find_map(|p| match p {
                Sexp::List(l) => match l.as_slice() {
                    [Sexp::Atom(n), Sexp::Atom(v)] if *n == name && !v.is_empty() => {
                        Some(mpi::MPI::new(v))
                    }
                    _ => None,
                },
                _ => None,
            })
            .ok_or_else(|| format!("no value {}", String::from_utf8_lossy(name)))
    };
    Ok(match want {
        b"rsa" => mpi::Signature::RSA { s: value(b"s")? },
        b"ecdsa" => mpi::Signature::ECDSA {
            r: value(b"r")?,
            s: value(b"s")?,
        },
        _ => mpi::Signature::EdDSA {
            r: value(b"r")?,
            s: value(b"s")?,
        },
    })
}

#[cfg(not(unix))]
impl AgentSigner {
    fn sign_digest(&self, _: HashAlgorithm, _: &[u8]) -> Result<mpi::Signature, AgentError> {
        Err(AgentError::NotSupported)
    }
}

#[cfg(unix)]
mod unix {
    use super::*;

    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

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
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
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
        fn read_line(
            &mut self,
            deadline: Instant,
            budget: &mut usize,
        ) -> Result<Vec<u8>, AgentError> {
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
        fn fake_agent(
            pksign: &'static [&'static str],
        ) -> (Conn, std::thread::JoinHandle<Vec<String>>) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::parse::Parse;
    use openpgp::Cert;

    fn cert(name: &str) -> Cert {
        let p = crate::test_support::fixture("prov/keys").join(name);
        Cert::from_file(p).unwrap()
    }

    /// Expected keygrips, as GnuPG 2.2.40 (libgcrypt 1.10.1) prints them:
    /// `gpg --with-keygrip --with-colons --import-options show-only
    /// --import KEY.pub.gpg`, the `grp` line after each `fpr` line.
    #[test]
    fn keygrips_match_gnupg() {
        for (file, fingerprint, grip) in [
            (
                "rsa.pub.gpg",
                "938D25173643C1D935E3D9B5F16D692B5491590B",
                "357632794727FAB75BB9A0D9BBA7643EA8C5BD69",
            ),
            (
                "ecdsa.pub.gpg",
                "1F882E4F36FEECE3B132D35CCAFD42F230DCC119",
                "FCF3FACBB7F02ACACBF4AE4C4C59ECF929CAAB2F",
            ),
            (
                "ed25519.pub.gpg",
                "628781AF57955C3B85BADABED8A67297ED082F83",
                "EC101A5BE9A9F90EE58BB2C24AD692908DD437A0",
            ),
            (
                "edsub.pub.gpg",
                "1970DFE7CDDC7DA3B5096F6AB4A501331924D819",
                "53D864FFD4A7C43E2F3AD181A4FFFC725A4693DF",
            ),
            (
                "edsub.pub.gpg",
                "C8E81C5812D9C01D39B2AE485E6CB5632CEEA31C",
                "3280836C16696516FD875354CDF067DD06ED86B5",
            ),
            (
                "default.pub.gpg",
                "A8B5093246FB09D9D3E4B6BE5B87E8CAA1E1D8E7",
                "4E603E6D94CF77BBE81CEB502903DA242ACEA5CE",
            ),
            (
                "default.pub.gpg",
                "ADD21FA48CEAF7A4B7EA599E5BF0DA033B0136C8",
                "995DCFE9FAE84B17E7B1C37A3BE463D30680BE8B",
            ),
            (
                "rsapw.pub.gpg",
                "45585922C07372B30CD480067CCF44FD445A794D",
                "9FD5CFC1EF326E83C806DE489A23EB8E93A9EA8F",
            ),
        ] {
            let c = cert(file);
            let key = c
                .keys()
                .find(|k| k.key().fingerprint().to_hex() == fingerprint)
                .unwrap();
            let got = hex_upper(&keygrip(key.key().role_as_unspecified()).unwrap());
            assert_eq!(got, grip, "{file} {fingerprint}");
        }
    }

    /// P-384 and P-521 keys made with `gpg --quick-gen-key test
    /// nistp384|nistp521 sign`, and their keygrips as gpg printed them.
    #[test]
    fn keygrips_of_the_larger_nist_curves() {
        for (point, curve, grip) in NIST_POINTS {
            let key: Key<PublicParts, UnspecifiedRole> = Key::from(
                openpgp::packet::key::Key4::new(
                    std::time::SystemTime::UNIX_EPOCH,
                    openpgp::types::PublicKeyAlgorithm::ECDSA,
                    mpi::PublicKey::ECDSA {
                        curve: curve.clone(),
                        q: mpi::MPI::new(&unhex(point)),
                    },
                )
                .unwrap(),
            );
            assert_eq!(hex_upper(&keygrip(&key).unwrap()), *grip, "{curve}");
        }
    }

    const NIST_POINTS: &[(&str, Curve, &str)] = &[
        (
            "0445C9E85A3D3A2DA78506E4DAAE41DB4F55E413444DDFD2EA81A216D6F17BAF7E\
             275C4F348E8AC594E034998FCEF920100A70FCE0FC1EEF98826BDC3F1DD445C9FE\
             EE88D090E145436EF877EA4C601D1C4295CBAEF0DB70D788A9E2DC16D26680",
            Curve::NistP384,
            "22B97E25B7A823E717640AC43738500D68385806",
        ),
        (
            "0400A986B588F6F9F49D2FFFD7F717C7E0A7A570F3F2184FB4A01FA87E69BDF990\
             25388432BBD1554FEA1E339985200CBD4845F0B3B40F251316B54324D8B026AF3F\
             33002658EDBBF28E699DD684C7F46D06F7D40CBB6DA70EFBB628B13E89C4276B69\
             1EC9DBF7AD75F35F7BB72DB62956B283E926588399B169F79FE852805E1F0515ED4F",
            Curve::NistP521,
            "E3E2F3EF1A2270EC90F82988026EDF05848AE4F2",
        ),
    ];

    #[test]
    fn other_key_types_are_a_clear_error() {
        let key: Key<PublicParts, UnspecifiedRole> = Key::from(
            openpgp::packet::key::Key4::new(
                std::time::SystemTime::UNIX_EPOCH,
                openpgp::types::PublicKeyAlgorithm::ECDSA,
                mpi::PublicKey::ECDSA {
                    curve: Curve::BrainpoolP256,
                    q: mpi::MPI::new(&[4; 65]),
                },
            )
            .unwrap(),
        );
        let err = keygrip(&key).unwrap_err().to_string();
        assert!(
            err.starts_with("unsupported key type for gpg-agent: ECDSA on brainpoolP256r1"),
            "{err}"
        );
    }

    #[test]
    fn signature_sexps() {
        let rsa = cert("rsa.pub.gpg");
        let rsa = rsa.primary_key().key().role_as_unspecified();
        let ed = cert("ed25519.pub.gpg");
        let ed = ed.primary_key().key().role_as_unspecified();
        let mut s = b"(7:sig-val(3:rsa(1:s4:".to_vec();
        s.extend([0, 1, 2, 3]);
        s.extend(b")))");
        assert_eq!(
            signature(&s, rsa).unwrap(),
            mpi::Signature::RSA {
                s: mpi::MPI::new(&[1, 2, 3])
            }
        );
        let mut s = b"(7:sig-val(5:eddsa(1:r2:".to_vec();
        s.extend([7, 8]);
        s.extend(b")(1:s1:");
        s.push(b')');
        s.extend(b")))");
        assert_eq!(
            signature(&s, ed).unwrap(),
            mpi::Signature::EdDSA {
                r: mpi::MPI::new(&[7, 8]),
                s: mpi::MPI::new(b")")
            }
        );
        for bad in [
            &b""[..],
            b"(",
            b"(7:sig-val(3:rsa(1:s999:x)))",
            b"(7:sig-val(3:rsa(1:s99999999999999999999:x)))",
            b"(7:sig-val(5:ecdsa(1:r1:x)(1:s1:x)))",
            b"(7:sig-val(3:rsa(1:s1:x)))trailing",
            b"(7:sig-val(3:rsa(1:s0:)))",
            b"(7:sig-vol(3:rsa(1:s1:x)))",
            b"(7:sig-val[3]rsa)",
        ] {
            assert!(
                signature(bad, rsa).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse_sexp(deep.as_bytes()).unwrap_err().contains("deeply"));
        let wide = format!("({})", "1:x".repeat(100_000));
        assert!(parse_sexp(wide.as_bytes()).unwrap_err().contains("many"));
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

    #[test]
    fn pinentry_text_is_gpgs() {
        let c = cert("edsub.pub.gpg");
        let sub = c
            .keys()
            .subkeys()
            .next()
            .unwrap()
            .key()
            .role_as_unspecified()
            .clone();
        let d = description(&sub, "Helm Edsub <e@example.com>", Some(&c.keyid()));
        assert!(
            d.starts_with(
                "Please enter the passphrase to unlock the OpenPGP secret key:\n\
             \"Helm Edsub <e@example.com>\"\n255-bit EDDSA key, ID 5E6CB5632CEEA31C,\ncreated "
            ),
            "{d}"
        );
        assert!(d.ends_with(" (main key ID B4A501331924D819).\n"), "{d}");
    }
}
