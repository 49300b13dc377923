//! Mutation harness: real inputs (chart archives, index files, `.prov`
//! files, keyrings) are mutated from seeds, and every mutant must
//!
//! - not crash our binaries (no panic, abort or signal),
//! - finish within [`RUN_LIMIT`] and [`PEAK_LIMIT_KIB`] of peak memory,
//! - get the same verdict as Helm 4.1.4 on the same input, unless a named
//!   entry of [`KNOWN`] explains why we differ on purpose.
//!
//! Each kind draws mutants from its own chain of seeds, starting at the
//! base seed (`WHARF_MUTATION_SEED`, default [`BASE_SEED`]); a mutant is
//! named by its seed, so `WHARF_MUTATION_SEED=S WHARF_MUTATION_ONLY=kind:K
//! WHARF_MUTATION_COUNT=1` replays exactly one. The run lasts
//! `WHARF_MUTATION_SECONDS` (default 60) of wall time shared by the kinds
//! (each gets about the same busy time); [`REGRESSIONS`] always run first.
//! [`OPEN`] names bugs of ours not fixed yet, each by what its inputs look
//! like: a mismatch it explains is counted and its seeds printed, but fails
//! the run only with `WHARF_MUTATION_OPEN=1`. Failing inputs are written to
//! `target/mutation-failures/`.
//!
//! The mutators only append new operations at the end of their tables, so a
//! seed keeps naming the same mutant.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::rng::{mix, Rng};
use crate::support::*;

/// The base seed of the CI run.
const BASE_SEED: u64 = 0x5748_4152_465f_4d31;
const DEFAULT_SECONDS: f64 = 60.0;
/// A run of ours or of Helm is killed after this long.
const RUN_LIMIT: Duration = Duration::from_secs(10);
/// Peak RSS allowed to one run of ours.
const PEAK_LIMIT_KIB: u64 = 512 * 1024;
/// Address space given to one run of ours, so that a runaway allocation
/// fails (and is reported) before it takes the machine's memory.
const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;
/// Archive mutants indexed together in one folder.
const ARCHIVE_BATCH: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Archive,
    Index,
    Prov,
    Keyring,
}

const KINDS: [Kind; 4] = [Kind::Archive, Kind::Index, Kind::Prov, Kind::Keyring];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Archive => "archive",
            Kind::Index => "index",
            Kind::Prov => "prov",
            Kind::Keyring => "keyring",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    fn parse(s: &str) -> Kind {
        let s = s.trim();
        let s = s.strip_prefix("kind:").unwrap_or(s);
        *KINDS.iter().find(|k| k.name() == s).unwrap_or_else(|| {
            panic!("unknown mutation kind {s:?} (archive, index, prov, keyring)")
        })
    }
}

/// Seeds of mutants that found differences, run on every run (while a bug
/// is open, its rule in [`OPEN`] explains the mismatch).
const REGRESSIONS: &[(Kind, u64)] = &[
    (Kind::Archive, 0x8e23_f41f_6f42_e10e), // hard link entry with a size
    (Kind::Archive, 0xde72_07a4_4098_e783), // garbage uid field
    (Kind::Archive, 0xe38d_1d49_020f_b97f), // pax size=-1
    (Kind::Archive, 0xbae6_d6ce_f8e6_fd69), // damaged deflate tail, bad CRC
    (Kind::Archive, 0x244f_ab83_41b6_4231), // damaged deflate after the tar end
    (Kind::Archive, 0x9f36_22e9_93da_a678), // tab in values.yaml
    (Kind::Archive, 0x5890_b5f9_816d_ca08), // reserved gzip flag bit
    (Kind::Index, 0x5347_121a_6ac0_4e97),   // icon: yes
    (Kind::Index, 0x466b_1157_e4f4_6c09),   // second BOM
    (Kind::Index, 0x33c5_0982_18ed_4c69),   // a line holding a tab
    (Kind::Prov, 0xd66f_2af5_0ba8_85dc),    // indeterminate-length signature
    (Kind::Prov, 0x8402_0885_1cef_35b1),    // garbage after BEGIN PGP SIGNATURE
    (Kind::Prov, 0xd673_5c5e_55d7_ab3c),    // packet after the signature
    (Kind::Keyring, 0xbc03_558e_5d42_c8ef), // broken user ID self-signature
    (Kind::Keyring, 0x7669_4a3f_b263_ed7f), // indeterminate-length key packet
    (Kind::Archive, 0x084d_8946_bf70_5a33), // two GNU long names in a row
    (Kind::Archive, 0xc2a9_15d6_e765_cda1), // reserved gzip flag in a subchart
    (Kind::Index, 0xf62d_f030_ebcd_9271),   // BOM inside a value
    (Kind::Prov, 0xa594_bddd_cdd3_38a9),    // eight signatures, the first bad
    (Kind::Prov, 0x11d1_6a31_be1e_0a02),    // BOM before the CRC line
    (Kind::Keyring, 0xd935_b285_e201_1995), // short self-signature packet
];

/// A difference from Helm 4.1.4: deliberate ([`KNOWN`]) or a bug of ours
/// not fixed yet ([`OPEN`]).
struct Rule {
    name: &'static str,
    reason: &'static str,
    applies: fn(&Case) -> bool,
}

/// One mutant's two runs, for [`Rule::applies`].
struct Case<'a> {
    kind: Kind,
    sample: &'a str,
    /// What was done to the sample.
    what: &'a str,
    input: &'a [u8],
    ours: &'a Run,
    helm: &'a Run,
}

/// Deliberate differences from Helm 4.1.4.
const KNOWN: &[Rule] = &[
    Rule {
        name: "keybox keyring",
        reason: "Helm reads only binary keyrings (a keybox fails with \"tag byte does not have \
                 MSB set\"); we read GnuPG keyboxes, so a keybox whose signer's record is intact \
                 verifies",
        applies: |c| {
            c.kind == Kind::Keyring && c.sample.ends_with(".kbx") && c.ours.ok() && !c.helm.ok()
        },
    },
    Rule {
        name: "armored keyring",
        reason: "Helm reads only binary keyrings; we also read armored ones, so an armored \
                 keyring whose signer's certificate is intact verifies",
        applies: |c| {
            c.kind == Kind::Keyring && c.sample.ends_with(".asc") && c.ours.ok() && !c.helm.ok()
        },
    },
    Rule {
        name: "damaged keyring, intact signer",
        reason: "Helm fails on the first damaged certificate of a keyring (\"failed to load \
                 keyring\"); we skip a certificate that cannot be read or used and verify with \
                 the others (README: helm prov, differences), so a keyring damaged anywhere but \
                 in the signer's certificate still verifies",
        applies: |c| {
            c.kind == Kind::Keyring
                && c.ours.ok()
                && !c.helm.ok()
                && (c.helm.stderr.contains("failed to load keyring")
                    || c.helm.stderr.contains("signature made by unknown entity"))
        },
    },
    Rule {
        name: "certificate without a valid self-signature",
        reason: "Helm (go-crypto) verifies with a primary key whose user-ID self-signatures \
                 are all broken or missing; we follow OpenPGP (and gpg, which does not import \
                 such a key): without a valid binding signature the key's flags, expiry and \
                 revocation are unknown, so it verifies nothing",
        applies: |c| {
            c.kind == Kind::Keyring
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("No binding signature")
        },
    },
    Rule {
        name: "packet with a wrong length or tag in a certificate",
        reason: "go-crypto reads the fields of a key or signature packet it needs and ignores \
                 the rest: trailing bytes, or the user IDs and binding signatures a length \
                 swallows (then it verifies with a key nothing binds), and resynchronises after \
                 a short one; it also takes a subkey packet as a primary key. We, like gpg, \
                 refuse such a certificate as malformed",
        applies: |c| {
            c.kind == Kind::Keyring
                && !c.ours.ok()
                && c.helm.ok()
                && [
                    "length octets",
                    "old-format indeterminate length",
                    "(tag 6) tag byte: tag 14",
                ]
                .iter()
                .any(|w| c.what.contains(w))
        },
    },
    Rule {
        name: "brainpool curve (crypto backend)",
        reason: "the default crypto backend (RustCrypto, also Nettle) has no brainpool \
                 curves, so such a key is refused with one error naming the key and the curve; \
                 Helm 4 verifies it (README: OpenPGP crypto backend; crypto-openssl has them)",
        applies: |c| {
            matches!(c.kind, Kind::Prov | Kind::Keyring)
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("brainpoolP")
                && c.ours.stderr.contains("does not support")
        },
    },
    Rule {
        name: "gzip reserved flag bits",
        reason: "RFC 1952 requires a decompressor to refuse a gzip member whose reserved FLG \
                 bits (0xe0) are set, and flate2 does; Go's compress/gzip ignores them. No gzip \
                 writer sets them; we skip such an archive with a warning naming it",
        applies: |c| {
            c.kind == Kind::Archive
                && !c.ours.ok()
                && c.helm.ok()
                && (c.input.get(3).is_some_and(|f| f & 0xe0 != 0)
                    || any_entry(c.input, 0, &|h, data| {
                        h[..100]
                            .split(|&b| b == 0)
                            .next()
                            .is_some_and(|n| n.ends_with(b".tgz"))
                            && data.get(3).is_some_and(|f| f & 0xe0 != 0)
                    }))
                && c.ours.stderr.contains("invalid gzip header")
        },
    },
];

/// Bugs of ours not fixed yet, each recognised by its input, so that the
/// run stays green while they are open and fails again once the rule is
/// removed (or with `WHARF_MUTATION_OPEN=1`). Reproducers: the notes.
const OPEN: &[Rule] = &[
    Rule {
        name: "tar: header-only entry with a size",
        reason: "a hard link, symlink, device, directory or FIFO entry whose size field is not \
                 0: Go's archive/tar reads no data for it, so Helm then fails (\"decompressed \
                 chart is larger than the maximum size\" or \"invalid tar header\"); we read \
                 the data as the entry's content and index the chart",
        applies: |c| {
            c.kind == Kind::Archive
                && c.ours.ok()
                && !c.helm.ok()
                && any_header(c.input, 0, &|h| {
                    b"123456".contains(&h[156]) && go_numeric(&h[124..136]) != Some(0)
                })
        },
    },
    Rule {
        name: "tar: numeric field Go refuses",
        reason: "a mode, uid, gid, size or mtime field that is neither octal (spaces and NULs \
                 around it) nor base-256: Go's archive/tar fails with \"invalid tar header\", \
                 we ignore the field and index the chart",
        applies: |c| {
            c.kind == Kind::Archive
                && c.ours.ok()
                && !c.helm.ok()
                && any_header(c.input, 0, &|h| {
                    [(100, 108), (108, 116), (116, 124), (124, 136), (136, 148)]
                        .iter()
                        .any(|&(a, b)| go_numeric(&h[a..b]).is_none())
                })
        },
    },
    Rule {
        name: "tar: pax records Go refuses",
        reason: "a pax header (local or global) with a malformed record (wrong or zero length \
                 prefix, no newline, no '=') or a negative size: Go's archive/tar fails with \
                 \"invalid tar header\", we ignore the record and index the chart",
        applies: |c| {
            c.kind == Kind::Archive
                && c.ours.ok()
                && !c.helm.ok()
                && any_pax(c.input, 0, &|t, recs| !go_pax_ok(t, recs))
        },
    },
    Rule {
        name: "index: BOM not at the start",
        reason: "a second byte-order mark at the start becomes part of a key for Helm \
                 (\"unknown field\"), and we accept the index; a BOM inside a value is part of \
                 the value for Helm, and we refuse the index (\"a byte order mark must not appear \
                 inside a document\")",
        applies: |c| {
            c.kind == Kind::Index
                && c.input.windows(3).skip(1).any(|w| w == b"\xef\xbb\xbf")
                && ((c.ours.ok() && !c.helm.ok())
                    || (!c.ours.ok() && c.helm.ok() && c.ours.stderr.contains("byte order mark")))
        },
    },
    Rule {
        name: "prov: signature packet framing go-crypto tolerates",
        reason: "a signature packet with an old-format indeterminate length, or whose length \
                 octets run past the end of the data: go-crypto reads the packet up to the end \
                 and verifies it, Sequoia refuses the message as malformed",
        applies: |c| {
            c.kind == Kind::Prov
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("Malformed")
                && signature_framing_overruns(c.input)
        },
    },
    Rule {
        name: "prov: extra packet after the signature",
        reason: "a well-formed packet of another type (marker, private or unknown tag) after \
                 the signature packet: go-crypto ignores it, Sequoia refuses the message \
                 (\"Policy rejected packet type\")",
        applies: |c| {
            c.kind == Kind::Prov
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("Policy rejected packet type")
                && find_armor(&split_lines(c.input), b"-----BEGIN PGP SIGNATURE-----")
                    .is_some_and(|a| packets(&a.bytes).iter().any(|p| p.tag != 2))
        },
    },
    Rule {
        name: "yaml: tab in indentation",
        reason: "a line that is only a tab (where a blank line was), or a tab in a line's \
                 indentation between block items: yaml.v2 (Helm) fails with \"found character \
                 that cannot start any token\" or \"found a tab character that violates \
                 indentation\"; we read the document (index files, and values.yaml or \
                 Chart.yaml in archives)",
        applies: |c| {
            let tabbed = |t: &[u8]| {
                t.split(|&b| b == b'\n')
                    .any(|l| l.iter().find(|&&b| b != b' ') == Some(&b'\t'))
            };
            c.ours.ok()
                && !c.helm.ok()
                && match c.kind {
                    Kind::Index => tabbed(c.input),
                    Kind::Archive => any_entry(c.input, 0, &|h, data| {
                        let n = &h[..100];
                        let n = &n[..n.iter().position(|&b| b == 0).unwrap_or(100)];
                        (n.ends_with(b"values.yaml") || n.ends_with(b"Chart.yaml")) && tabbed(data)
                    }),
                    _ => false,
                }
        },
    },
    Rule {
        name: "tar: end of the archive not checked",
        reason: "we stop at the first zero block; Go's archive/tar also reads the next block \
                 (a partial or non-zero one is \"invalid tar header\" or \"unexpected EOF\") and \
                 so reaches the gzip trailer, whose CRC it checks (\"gzip: invalid checksum\"): \
                 Helm skips such an archive, we index it",
        applies: |c| c.kind == Kind::Archive && c.ours.ok() && !c.helm.ok() && !go_end_ok(c.input),
    },
    Rule {
        name: "gzip: damage after the end of the tar stream",
        reason: "Helm's loader stops decompressing once archive/tar has read the end of the \
                 archive, so a damaged deflate stream (or trailer) after that point goes \
                 unnoticed and the chart is indexed; our reader decompresses further and skips \
                 it as a corrupt deflate stream (seed 0x244fab8341b64231)",
        applies: |c| {
            c.kind == Kind::Archive
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("corrupt deflate stream")
        },
    },
    Rule {
        name: "prov: several signature packets, the first one bad",
        reason: "go-crypto verifies only the first signature packet of the armored signature; \
                 we accept when any of them verifies. A leniency rather than a hole (a valid \
                 signature by a key of the keyring is there), but an undocumented verdict \
                 difference: to be decided (document it, or check only the first)",
        applies: |c| {
            c.kind == Kind::Prov
                && c.ours.ok()
                && !c.helm.ok()
                && find_armor(&split_lines(c.input), b"-----BEGIN PGP SIGNATURE-----")
                    .is_some_and(|a| packets(&a.bytes).iter().filter(|p| p.tag == 2).count() > 1)
        },
    },
    Rule {
        name: "prov: bad armor characters after the signature packet",
        reason: "bytes that are not base64 (a BOM before the CRC line, a stray 0x80) in the \
                 armored data: go-crypto decodes lazily, verifies the first signature packet and \
                 never reads that far; we decode the whole armor first and report \"signature \
                 block not found\"",
        applies: |c| {
            c.kind == Kind::Prov
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("signature block not found")
                && armor_has_bad_chars(c.input)
                && split_lines(c.input)
                    .iter()
                    .filter(|l| l.trim_ascii_end() == b"-----BEGIN PGP SIGNATURE-----")
                    .count()
                    == 1
        },
    },
    Rule {
        name: "tar: two GNU long names in a row",
        reason: "two GNU long-name (L) entries before one member: Go's archive/tar uses the \
                 last; the tar crate refuses the archive (\"two long name entries describing the \
                 same member\"), so we skip a chart Helm indexes",
        applies: |c| {
            c.kind == Kind::Archive
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("two long name entries")
        },
    },
    Rule {
        name: "prov: broken armor block before the signature",
        reason: "lines after a BEGIN PGP SIGNATURE line that are not armor headers make \
                 go-crypto's armor decoder skip to the next BEGIN line (goto TryNextBlock); we \
                 report \"signature block not found\"",
        applies: |c| {
            c.kind == Kind::Prov
                && !c.ours.ok()
                && c.helm.ok()
                && c.ours.stderr.contains("signature block not found")
                && split_lines(c.input)
                    .iter()
                    .filter(|l| l.trim_ascii_end() == b"-----BEGIN PGP SIGNATURE-----")
                    .count()
                    > 1
        },
    },
];

// ---------------------------------------------------------------------------
// Configuration

struct Config {
    seconds: f64,
    seed: u64,
    kinds: Vec<Kind>,
    count: Option<usize>,
    jobs: usize,
    open: bool,
    /// Exactly these mutants (`WHARF_MUTATION_REPLAY=kind:seed,...`).
    replay: Vec<(Kind, u64)>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_u64(s: &str) -> u64 {
    let s = s.trim().replace('_', "");
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

impl Config {
    fn from_env() -> Self {
        let kinds = env("WHARF_MUTATION_ONLY")
            .map(|v| v.split(',').map(Kind::parse).collect())
            .unwrap_or_else(|| KINDS.to_vec());
        Config {
            seconds: env("WHARF_MUTATION_SECONDS")
                .map(|s| s.trim().parse().expect("WHARF_MUTATION_SECONDS: seconds"))
                .unwrap_or(DEFAULT_SECONDS),
            seed: env("WHARF_MUTATION_SEED").map_or(BASE_SEED, |s| parse_u64(&s)),
            kinds,
            count: env("WHARF_MUTATION_COUNT").map(|s| parse_u64(&s) as usize),
            jobs: env("WHARF_MUTATION_JOBS").map_or(2, |s| parse_u64(&s).max(1) as usize),
            open: env("WHARF_MUTATION_OPEN").is_some_and(|v| v == "1"),
            replay: env("WHARF_MUTATION_REPLAY")
                .map(|v| {
                    v.split([',', ' ', '\n'])
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| {
                            let (k, seed) = s.rsplit_once(':').expect("kind:seed");
                            (Kind::parse(k), parse_u64(seed))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The seed after `s` in a kind's chain.
fn next_seed(s: u64) -> u64 {
    mix(s.wrapping_add(0x9e37_79b9_7f4a_7c15))
}

fn replay_line(kind: Kind, seed: u64) -> String {
    let open = " WHARF_MUTATION_OPEN=1";
    format!(
        "WHARF_MUTATION_SEED={seed:#018x} WHARF_MUTATION_ONLY=kind:{} WHARF_MUTATION_COUNT=1{open} \
         cargo test --test integration harness::mutation -- --nocapture",
        kind.name()
    )
}

// ---------------------------------------------------------------------------
// Bounded runs

/// A finished, or killed, child process.
struct Run {
    limit: Duration,
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    elapsed: Duration,
    peak_kib: u64,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }

    fn first_error(&self) -> String {
        let line = self
            .stderr
            .lines()
            .chain(self.stdout.lines())
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        line.chars().take(240).collect()
    }

    fn verdict(&self) -> String {
        if self.timed_out {
            format!("killed after {:?}", self.limit)
        } else if let Some(s) = self.signal {
            format!("killed by signal {s}")
        } else if self.ok() {
            "accepted".into()
        } else {
            format!(
                "refused (exit {}): {}",
                self.code.unwrap_or(-1),
                self.first_error()
            )
        }
    }

    /// What is wrong with a run of ours, if anything.
    fn fault(&self) -> Option<String> {
        if self.timed_out {
            return Some(format!("took over {:?} (killed)", self.limit));
        }
        if let Some(s) = self.signal {
            return Some(format!("killed by signal {s}: {}", self.first_error()));
        }
        if self.code == Some(101) || self.stderr.contains("panicked") {
            let at = self.stderr.find("panicked").unwrap_or(0);
            let msg: String = self.stderr[at..].chars().take(400).collect();
            return Some(format!("panicked (exit {:?}): {msg}", self.code));
        }
        if self.peak_kib > PEAK_LIMIT_KIB {
            return Some(format!(
                "peak RSS {} MiB over {} MiB",
                self.peak_kib / 1024,
                PEAK_LIMIT_KIB / 1024
            ));
        }
        None
    }

    /// Helm's own crashes and hangs: such a mutant gets no comparison.
    fn helm_anomaly(&self) -> bool {
        self.timed_out || self.signal.is_some()
    }
}

/// Runs `c` with its own wall-time limit, measuring its peak RSS; ours
/// (`limit_memory`) also gets [`ADDRESS_SPACE_LIMIT`].
fn run_bounded(c: Command, limit_memory: bool) -> Run {
    run_limited(c, limit_memory, RUN_LIMIT)
}

/// [`run_bounded`] with another wall-time limit.
fn run_limited(mut c: Command, limit_memory: bool, limit: Duration) -> Run {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if limit_memory {
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            c.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: ADDRESS_SPACE_LIMIT as libc::rlim_t,
                    rlim_max: ADDRESS_SPACE_LIMIT as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
                Ok(())
            });
        }
    }
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = c.spawn().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let read_all = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).ok();
            v
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    // The watchdog kills the child only while it has not been reaped: the
    // exit is first awaited without reaping (WNOWAIT), so the pid cannot
    // have been reused when the kill is sent.
    let exited = Arc::new(Mutex::new(false));
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = {
        let exited = Arc::clone(&exited);
        std::thread::spawn(move || {
            if rx.recv_timeout(limit).is_ok() {
                return false;
            }
            let exited = exited.lock().unwrap();
            if *exited {
                return false;
            }
            // SAFETY: signals our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        })
    };
    loop {
        // SAFETY: siginfo_t is plain old data; waits for our own child.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "waitid: {err}");
    }
    *exited.lock().unwrap() = true;
    tx.send(()).ok();
    let timed_out = watchdog.join().unwrap();
    let (status, usage) = wait4(pid);
    let elapsed = start.elapsed();
    let peak_kib = u64::try_from(usage.ru_maxrss).unwrap_or(0)
        / if cfg!(target_os = "macos") { 1024 } else { 1 };
    Run {
        limit,
        code: status.code(),
        signal: status.signal(),
        timed_out,
        elapsed,
        peak_kib,
        stdout: lossy(&stdout.join().unwrap()),
        stderr: lossy(&stderr.join().unwrap()),
    }
}

fn wait4(pid: libc::pid_t) -> (ExitStatus, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: reaps our own child into values we own.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (ExitStatus::from_raw(status), usage);
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "wait4: {err}");
    }
}

// ---------------------------------------------------------------------------
// Byte-level mutations

const INTERESTING: [u8; 8] = [0x00, 0xff, 0x7f, 0x80, 0x01, b' ', b'\n', b'0'];
const INTERESTING_U32: [u32; 8] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];

/// One generic mutation of `d` inside `lo..hi` (the whole of `d` if that
/// range is empty).
fn byte_op(rng: &mut Rng, d: &mut Vec<u8>, lo: usize, hi: usize) -> String {
    let (lo, hi) = if lo < hi && hi <= d.len() {
        (lo, hi)
    } else {
        (0, d.len())
    };
    if lo == hi {
        d.insert(lo, *rng.pick(&INTERESTING));
        return format!("insert a byte at {lo}");
    }
    let i = lo + rng.below(hi - lo);
    match rng.below(8) {
        0 => {
            let bit = 1u8 << rng.below(8);
            d[i] ^= bit;
            format!("byte {i} ^= {bit:#04x}")
        }
        1 => {
            let v = *rng.pick(&INTERESTING);
            d[i] = v;
            format!("byte {i} := {v:#04x}")
        }
        2 => {
            d.truncate(i);
            format!("truncate at {i}")
        }
        3 => {
            let len = rng.between(1, (hi - i).min(256));
            let chunk = d[i..i + len].to_vec();
            let times = rng.between(1, 3);
            for _ in 0..times {
                d.splice(i + len..i + len, chunk.iter().copied());
            }
            format!("repeat {len} bytes at {i} {times}x")
        }
        4 => {
            let len = rng.between(1, (hi - i).min(256));
            d.drain(i..i + len);
            format!("delete {len} bytes at {i}")
        }
        5 => {
            let len = rng.between(1, 8).min(d.len() - i);
            for b in &mut d[i..i + len] {
                *b = rng.next_u64() as u8;
            }
            format!("randomise {len} bytes at {i}")
        }
        6 => {
            let v = *rng.pick(&INTERESTING_U32);
            let width = *rng.pick(&[2usize, 4]);
            let be = rng.chance(1, 2);
            let bytes = if be { v.to_be_bytes() } else { v.to_le_bytes() };
            let src = if be {
                &bytes[4 - width..]
            } else {
                &bytes[..width]
            };
            let end = (i + width).min(d.len());
            d[i..end].copy_from_slice(&src[..end - i]);
            format!(
                "u{} {} at {i} := {v:#x}",
                width * 8,
                if be { "BE" } else { "LE" }
            )
        }
        _ => {
            let len = rng.between(1, 4);
            let ins: Vec<u8> = (0..len).map(|_| *rng.pick(&INTERESTING)).collect();
            d.splice(i..i, ins);
            format!("insert {len} bytes at {i}")
        }
    }
}

// ---------------------------------------------------------------------------
// YAML text mutations (index files, Chart.yaml, values.yaml)

const SCALARS: &[&str] = &[
    "",
    "''",
    "\"\"",
    "~",
    "null",
    "true",
    "yes",
    "0",
    "-1",
    "1.0",
    "0x10",
    "1e9999",
    ".inf",
    "2001-12-14",
    "[]",
    "{}",
    "[a, b]",
    "{a: b}",
    "&a x",
    "*a",
    "!!binary eA==",
    "!!str 1",
    "!custom x",
    "|",
    ">-",
    "'unterminated",
    "\"unterminated",
    "\"\\x00\"",
    "\"\\uD800\"",
    "a: b",
    "- a",
    "#",
    "%",
    "@",
    "`",
    "\t",
    "é",
    "\u{feff}x",
];

/// Values that mean something for a given key.
fn key_values(key: &str) -> &'static [&'static str] {
    match key {
        "version" => &[
            "0.1.0",
            "v0.1.0",
            "0.1",
            "1",
            "0.1.0-",
            "0.1.0+",
            "0.1.0-rc.1",
            "0.1.0+build.1",
            "0.1.0-01",
            "01.2.3",
            "1.2.3.4",
            "99999999999999999999.0.0",
            "1.0.0-alpha..1",
            "\"0.1.0\"",
            "0.1.0 ",
            "=0.1.0",
            ">=0.1.0",
            "0.1.x",
            "*",
            "1.10",
            "1.0e3",
        ],
        "name" => &[
            "demo", "Demo", "de mo", "demo/x", "../demo", ".demo", "-demo", "d", "dé", "demo\\x",
            "demo:x", "DEMO", "a.b", "a_b", "123",
        ],
        "apiVersion" => &["v1", "v2", "v3", "V2", "", "2", "v2 ", "\"v2\""],
        "created" => &[
            "\"2021-05-21T13:04:19Z\"",
            "\"2021-05-21T13:04:19.360025134+02:00\"",
            "\"2021-05-21\"",
            "\"0001-01-01T00:00:00Z\"",
            "\"9999-12-31T23:59:59.999999999Z\"",
            "\"2021-13-45T25:61:61Z\"",
            "\"not a time\"",
            "2021-05-21T13:04:19Z",
            "0",
            "\"\"",
        ],
        "generated" => &["\"2021-05-21T13:04:19Z\"", "\"x\"", "0", "\"\"", "[]"],
        "digest" => &[
            "\"\"",
            "0",
            "sha256:abc",
            "51f889dca3437fb4e0a27816f6a473a9358828dbf6f85564b7991fa1458055c2",
        ],
        "type" => &["application", "library", "Library", "other", ""],
        "deprecated" => &["true", "false", "yes", "1", "\"true\""],
        "appVersion" => &["1.10", "1.0", "v1", "1", "true", "\"1.16.0\"", "[]"],
        "urls" => &["[]", "[a.tgz]", "a.tgz", "~", "{}"],
        _ => &[],
    }
}

const KEYS: &[&str] = &[
    "name",
    "version",
    "Name",
    "name ",
    "\"name\"",
    "? name",
    "<<",
    "urls",
    "entries",
    "apiVersion",
    "digest",
    "x-unknown",
    "",
    "dependencies",
    "1",
];

const LINES: &[&str] = &[
    "extra: value",
    "? complex",
    ": value",
    "- item",
    "&anchor",
    "*alias",
    "<<: {}",
    "<<: *a",
    "---",
    "...",
    "%YAML 1.2",
    "%TAG ! tag:x,2000:",
    "# comment",
    "\t",
    "!!map",
    "{",
    "[",
    "'",
    "\"",
    "key: [1, 2",
    "key: {a: 1",
    "a: &a [*a]",
    "x: !!binary |",
];

fn split_lines(t: &[u8]) -> Vec<Vec<u8>> {
    t.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn indent_of(l: &[u8]) -> usize {
    l.iter().take_while(|&&b| b == b' ').count()
}

/// The key of a `key: value` or `key:` line, or of a `- key: value` item.
fn line_key(l: &[u8]) -> Option<(usize, String)> {
    let s = std::str::from_utf8(l).ok()?;
    let body = s.trim_start();
    let body = body.strip_prefix("- ").unwrap_or(body);
    let start = s.len() - body.len();
    let colon = body.find(':')?;
    let key = &body[..colon];
    if key.is_empty() || key.contains(' ') || key.starts_with('#') {
        return None;
    }
    Some((start, key.to_string()))
}

/// One mutation of a YAML text.
fn yaml_op(rng: &mut Rng, t: &mut Vec<u8>) -> String {
    let mut lines = split_lines(t);
    // The empty tail after the final newline is not a line to pick.
    let n = if lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.len() - 1
    } else {
        lines.len()
    };
    let i = rng.below(n);
    let what = match rng.below(13) {
        0 => {
            let j = rng.below(n);
            lines.swap(i, j);
            format!("swap lines {i} and {j}")
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i + 1, l);
            format!("duplicate line {i}")
        }
        2 => {
            lines.remove(i);
            format!("delete line {i}")
        }
        3 => {
            let l = &mut lines[i];
            match rng.below(5) {
                0 => {
                    l.insert(0, b' ');
                    format!("indent line {i} by 1")
                }
                1 => {
                    l.splice(0..0, *b"  ");
                    format!("indent line {i} by 2")
                }
                2 if indent_of(l) > 0 => {
                    l.remove(0);
                    format!("outdent line {i} by 1")
                }
                3 if indent_of(l) > 1 => {
                    l.drain(..2);
                    format!("outdent line {i} by 2")
                }
                _ => {
                    if indent_of(l) > 0 {
                        l[0] = b'\t';
                    } else {
                        l.insert(0, b'\t');
                    }
                    format!("tab at the start of line {i}")
                }
            }
        }
        4 => {
            let k = rng.between(1, 12).min(n - i);
            let block: Vec<Vec<u8>> = lines[i..i + k].to_vec();
            lines.splice(i + k..i + k, block);
            format!("duplicate lines {i}..{}", i + k)
        }
        5 => {
            let new = rng.pick(LINES);
            let ind = indent_of(&lines[i]);
            let mut l = vec![b' '; ind];
            l.extend_from_slice(new.as_bytes());
            lines.insert(i, l);
            format!("insert {new:?} before line {i}")
        }
        6 | 7 => {
            // A value replaced, preferring keys that mean something.
            let keyed: Vec<usize> = (0..n).filter(|&j| line_key(&lines[j]).is_some()).collect();
            if keyed.is_empty() {
                return byte_op(rng, t, 0, 0);
            }
            let j = *rng.pick(&keyed);
            let (start, key) = line_key(&lines[j]).unwrap();
            let special = key_values(&key);
            let v = if !special.is_empty() && rng.chance(2, 3) {
                *rng.pick(special)
            } else {
                *rng.pick(SCALARS)
            };
            let mut l = lines[j][..start + key.len() + 1].to_vec();
            if !v.is_empty() {
                l.push(b' ');
                l.extend_from_slice(v.as_bytes());
            }
            lines[j] = l;
            format!("{key} on line {j} := {v:?}")
        }
        8 => {
            let keyed: Vec<usize> = (0..n).filter(|&j| line_key(&lines[j]).is_some()).collect();
            if keyed.is_empty() {
                return byte_op(rng, t, 0, 0);
            }
            let j = *rng.pick(&keyed);
            let (start, key) = line_key(&lines[j]).unwrap();
            let new = rng.pick(KEYS);
            lines[j].splice(start..start + key.len(), new.bytes());
            format!("key {key} on line {j} renamed {new:?}")
        }
        9 => {
            if rng.chance(1, 2) {
                for l in lines.iter_mut().take(n) {
                    l.push(b'\r');
                }
                "CRLF line endings".into()
            } else {
                lines[i].push(b'\r');
                format!("CR at the end of line {i}")
            }
        }
        10 => {
            if rng.chance(2, 3) {
                lines[0].splice(0..0, *b"\xef\xbb\xbf");
                "BOM at the start".into()
            } else {
                lines[i].splice(0..0, *b"\xef\xbb\xbf");
                format!("BOM at the start of line {i}")
            }
        }
        11 => {
            let k = rng.between(1, 12).min(n - i);
            let block: Vec<Vec<u8>> = lines.drain(i..i + k).collect();
            let j = rng.below(lines.len() + 1);
            lines.splice(j..j, block);
            format!("move lines {i}..{} to {j}", i + k)
        }
        _ => {
            *t = lines.join(&b'\n');
            return byte_op(rng, t, 0, 0);
        }
    };
    *t = lines.join(&b'\n');
    what
}

// ---------------------------------------------------------------------------
// Tar and gzip

#[derive(Clone)]
struct Entry {
    header: [u8; 512],
    data: Vec<u8>,
    /// Leave the header's checksum as it is (a mutation broke it on purpose).
    keep_checksum: bool,
}

impl Entry {
    fn name(&self) -> String {
        let n = &self.header[..100];
        let end = n.iter().position(|&b| b == 0).unwrap_or(100);
        lossy(&n[..end])
    }

    fn regular(name: &str, data: Vec<u8>) -> Entry {
        let mut header = tar_header_for(name, data.len());
        header[156] = b'0';
        Entry {
            header,
            data,
            keep_checksum: false,
        }
    }
}

/// A ustar header like `support::tgz::tar_header`, but for any name bytes
/// (cut at 100).
fn tar_header_for(name: &str, size: usize) -> [u8; 512] {
    let mut h = crate::support::tgz::tar_header("x", size);
    h[..100].fill(0);
    let b = name.as_bytes();
    let n = b.len().min(100);
    h[..n].copy_from_slice(&b[..n]);
    h
}

fn octal(f: &[u8]) -> usize {
    let s: String = f
        .iter()
        .map(|&b| b as char)
        .filter(|c| c.is_ascii_digit())
        .collect();
    usize::from_str_radix(&s, 8).unwrap_or(0)
}

fn parse_tar(tar: &[u8]) -> Vec<Entry> {
    let mut v = Vec::new();
    let mut off = 0;
    while off + 512 <= tar.len() {
        let header: [u8; 512] = tar[off..off + 512].try_into().unwrap();
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let size = octal(&header[124..136]);
        let data = tar[off + 512..off + 512 + size].to_vec();
        v.push(Entry {
            header,
            data,
            keep_checksum: false,
        });
        off += 512 + size.div_ceil(512) * 512;
    }
    v
}

fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
}

fn set_size(h: &mut [u8; 512], n: usize) {
    h[124..136].copy_from_slice(format!("{n:011o}\0").as_bytes());
}

fn write_tar(entries: &[Entry], end_blocks: usize) -> Vec<u8> {
    let mut tar = Vec::new();
    for e in entries {
        let mut h = e.header;
        if !e.keep_checksum {
            set_checksum(&mut h);
        }
        tar.extend_from_slice(&h);
        tar.extend_from_slice(&e.data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 512 * end_blocks, 0);
    tar
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut v)
        .expect("fixture archive is gzip");
    v
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// Size field values: octal, lying, malformed and base-256.
fn size_field(rng: &mut Rng, real: usize) -> (String, [u8; 12]) {
    let mut f = [0u8; 12];
    let octal_of = |n: u64| {
        let mut f = [0u8; 12];
        f[..11].copy_from_slice(format!("{:011o}", n & 0o77777777777).as_bytes());
        f
    };
    let what = match rng.below(12) {
        0 => {
            f = octal_of(0);
            "0".to_string()
        }
        1 => {
            f = octal_of(real.saturating_sub(1) as u64);
            format!("{} (one less)", real.saturating_sub(1))
        }
        2 => {
            f = octal_of(real as u64 + 1);
            format!("{} (one more)", real + 1)
        }
        3 => {
            f = octal_of(real as u64 + 512);
            format!("{} (a block more)", real + 512)
        }
        4 => {
            f = octal_of(0o77777777777);
            "0o77777777777".into()
        }
        5 => {
            f[..11].copy_from_slice(b"0000000012a");
            "non-octal digit".into()
        }
        6 => {
            f.copy_from_slice(format!("{:>11o} ", real).as_bytes());
            "space-padded octal".into()
        }
        7 => {
            f.copy_from_slice(format!("{:012o}", real).as_bytes());
            "12 digits, no terminator".into()
        }
        8 => {
            // base-256: 0x80, then a big-endian value.
            let v: u64 = *rng.pick(&[
                real as u64,
                1 << 33,
                5 << 20,
                (5 << 20) + 1,
                u64::MAX >> 1,
                0,
            ]);
            f[0] = 0x80;
            f[4..].copy_from_slice(&v.to_be_bytes());
            format!("base-256 {v}")
        }
        9 => {
            // base-256 negative.
            f = [0xff; 12];
            f[11] = 0xfe;
            "base-256 -2".into()
        }
        10 => {
            f.fill(b' ');
            "all spaces".into()
        }
        _ => {
            f[..11].copy_from_slice(b"0000000\x00777");
            "NUL in the middle".into()
        }
    };
    (what, f)
}

const TYPEFLAGS: &[u8] = b"\x000123456789xgLKSVDMNAZ\xff";

const NAMES: &[&[u8]] = &[
    b"../evil",
    b"/etc/evil",
    b"demo/../../evil",
    b"demo//evil",
    b"",
    b"demo/Chart.yaml",
    b"Chart.yaml",
    b"other/Chart.yaml",
    b"demo/charts/sub/Chart.yaml",
    b"./demo/Chart.yaml",
    b"demo/./Chart.yaml",
    b"demo\\Chart.yaml",
    b"demo/values.yaml",
    b"demo/.helmignore",
    b"demo/templates/",
    b"demo/charts/",
    b"demo/Chart.yaml/",
    b"demo/\xff.yaml",
    b"demo/Chart.lock",
    b"demo/requirements.yaml",
    b"demo/values.schema.json",
];

/// Pax records, some malformed.
fn pax_records(rng: &mut Rng) -> (String, Vec<u8>) {
    let rec_bytes = |k: &str, v: &[u8]| {
        let mut body = format!(" {k}=").into_bytes();
        body.extend_from_slice(v);
        body.push(b'\n');
        let mut n = body.len() + 1;
        while n.to_string().len() + body.len() != n {
            n += 1;
        }
        let mut r = n.to_string().into_bytes();
        r.extend_from_slice(&body);
        r
    };
    let rec = |k: &str, v: &str| lossy(&rec_bytes(k, v.as_bytes()));
    let (what, s) = match rng.below(9) {
        0 => ("path=../evil", rec("path", "../evil")),
        1 => ("path=demo/Chart.yaml", rec("path", "demo/Chart.yaml")),
        2 => ("size=0", rec("size", "0")),
        3 => ("size=99999999999", rec("size", "99999999999")),
        4 => ("size=-1", rec("size", "-1")),
        5 => ("length prefix too big", "999 path=x\n".to_string()),
        6 => ("length prefix zero", "0 path=x\n".to_string()),
        7 => ("no newline", "10 path=x".to_string()),
        _ => {
            return (
                "path not UTF-8".into(),
                rec_bytes("path", b"demo/\xffx.yaml"),
            )
        }
    };
    (what.to_string(), s.into_bytes())
}

/// One mutation of a chart's tar entries.
fn tar_op(rng: &mut Rng, entries: &mut Vec<Entry>, end_blocks: &mut usize) -> String {
    if entries.is_empty() {
        entries.push(Entry::regular("demo/Chart.yaml", b"name: x\n".to_vec()));
    }
    let k = rng.below(entries.len());
    let name = entries[k].name();
    match rng.below(16) {
        0 | 1 => {
            let (what, f) = size_field(rng, entries[k].data.len());
            entries[k].header[124..136].copy_from_slice(&f);
            format!("{name}: size field := {what}")
        }
        2 => {
            let t = *rng.pick(TYPEFLAGS);
            entries[k].header[156] = t;
            format!("{name}: typeflag := {:?}", t as char)
        }
        3 => {
            let b = *rng.pick(NAMES);
            let new = lossy(b);
            let e = &mut entries[k];
            e.header[..100].fill(0);
            e.header[..b.len()].copy_from_slice(b);
            if rng.chance(1, 3) {
                // The whole name field, no NUL.
                for (i, b) in e.header[b.len()..100].iter_mut().enumerate() {
                    *b = b'a' + (i % 26) as u8;
                }
                format!("{name}: name := {new:?} + padding to 100 bytes")
            } else {
                format!("{name}: name := {new:?}")
            }
        }
        4 => {
            let e = &mut entries[k];
            e.keep_checksum = true;
            set_checksum(&mut e.header);
            let i = 148 + rng.below(6);
            e.header[i] = if e.header[i] == b'7' { b'0' } else { b'7' };
            format!("{name}: checksum wrong")
        }
        5 => {
            let e = &mut entries[k];
            let what = match rng.below(4) {
                0 => {
                    e.header[257..265].copy_from_slice(b"ustar  \0");
                    "GNU magic"
                }
                1 => {
                    e.header[257..265].fill(0);
                    "no magic (v7)"
                }
                2 => {
                    e.header[257..263].copy_from_slice(b"USTAR\0");
                    "wrong magic"
                }
                _ => {
                    e.header[263..265].copy_from_slice(b"99");
                    "version 99"
                }
            };
            format!("{name}: {what}")
        }
        6 => {
            // The ustar prefix field.
            let e = &mut entries[k];
            let what = match rng.below(3) {
                0 => {
                    // Split the name into prefix and name.
                    let n = name.clone();
                    match n.split_once('/') {
                        Some((p, rest)) => {
                            e.header[..100].fill(0);
                            e.header[..rest.len()].copy_from_slice(rest.as_bytes());
                            e.header[345..345 + p.len()].copy_from_slice(p.as_bytes());
                            "prefix/name split"
                        }
                        None => "unchanged",
                    }
                }
                1 => {
                    e.header[345..350].copy_from_slice(b"../..");
                    "prefix ../.."
                }
                _ => {
                    for b in &mut e.header[345..500] {
                        *b = b'p';
                    }
                    "prefix 155 bytes, no NUL"
                }
            };
            format!("{name}: {what}")
        }
        7 => {
            let e = &mut entries[k];
            let (field, at, width) = *rng.pick(&[
                ("mode", 100usize, 8usize),
                ("uid", 108, 8),
                ("gid", 116, 8),
                ("mtime", 136, 12),
            ]);
            let garbage: [&[u8]; 2] = [b"zzzzzzz\0", b"\x80\xff\xff\xff\xff\xff\xff\xff"];
            let v = *rng.pick(&garbage);
            let n = width.min(v.len());
            e.header[at..at + n].copy_from_slice(&v[..n]);
            format!("{name}: {field} field garbage")
        }
        8 => {
            let e = entries[k].clone();
            let at = if rng.chance(1, 2) {
                k + 1
            } else {
                entries.len()
            };
            entries.insert(at, e);
            format!("{name}: entry duplicated")
        }
        9 => {
            entries.remove(k);
            format!("{name}: entry removed")
        }
        10 => {
            let j = rng.below(entries.len());
            entries.swap(k, j);
            format!("entries {k} and {j} swapped")
        }
        11 => {
            let (what, recs) = pax_records(rng);
            let global = rng.chance(1, 4);
            let mut e = Entry::regular("PaxHeaders/x", recs);
            e.header[156] = if global { b'g' } else { b'x' };
            entries.insert(k, e);
            format!(
                "{} pax header ({what}) before {name}",
                if global { "global" } else { "local" }
            )
        }
        12 => {
            let long = *rng.pick(&[
                "demo/Chart.yaml",
                "../evil",
                "demo/templates/a-very-long-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on.yaml",
            ]);
            let mut data = long.as_bytes().to_vec();
            if rng.chance(3, 4) {
                data.push(0);
            }
            let mut e = Entry::regular("././@LongLink", data);
            e.header[156] = b'L';
            entries.insert(k, e);
            format!("GNU long name {long:?} before {name}")
        }
        13 => {
            // Chart.yaml or values.yaml edited, size kept right.
            let yaml: Vec<usize> = (0..entries.len())
                .filter(|&j| {
                    let n = entries[j].name();
                    n.ends_with("/Chart.yaml") || n.ends_with("/values.yaml")
                })
                .collect();
            let j = if yaml.is_empty() { k } else { *rng.pick(&yaml) };
            let e = &mut entries[j];
            let what = yaml_op(rng, &mut e.data);
            let len = e.data.len();
            set_size(&mut e.header, len);
            format!("{}: {what}", e.name())
        }
        14 => {
            let e = &mut entries[k];
            let what = match rng.below(4) {
                0 => {
                    e.header[156] = b'2';
                    e.header[157..165].copy_from_slice(b"../../x\0");
                    "symlink to ../../x"
                }
                1 => {
                    e.header[156] = b'1';
                    e.header[157..173].copy_from_slice(b"demo/Chart.yaml\0");
                    "hard link to demo/Chart.yaml"
                }
                2 => {
                    // A file grown to the per-file limit and around it.
                    let n = *rng.pick(&[(5 << 20) - 1, 5 << 20, (5 << 20) + 1]);
                    e.data.resize(n, b'#');
                    set_size(&mut e.header, n);
                    "grown to 5 MiB"
                }
                _ => {
                    e.data.clear();
                    set_size(&mut e.header, 0);
                    "emptied"
                }
            };
            format!("{name}: {what}")
        }
        _ => {
            *end_blocks = *rng.pick(&[0, 1, 3]);
            format!("{end_blocks} end-of-archive blocks")
        }
    }
}

/// One mutation of gzip bytes, aware of the header and trailer.
fn gzip_op(rng: &mut Rng, gz: &mut Vec<u8>) -> String {
    let len = gz.len();
    match rng.below(10) {
        0 => {
            let bit = *rng.pick(&[1u8, 2, 4, 8, 16, 32, 64, 128]);
            gz[3] ^= bit;
            format!("gzip FLG ^= {bit:#04x}")
        }
        1 => {
            // A well-formed or lying FEXTRA field.
            let xlen: u16 = *rng.pick(&[0, 4, 0xffff, 200]);
            gz[3] |= 4;
            let mut ins = xlen.to_le_bytes().to_vec();
            ins.extend(std::iter::repeat_n(b'x', usize::from(xlen.min(8))));
            gz.splice(10..10, ins);
            format!("gzip FEXTRA with XLEN {xlen}")
        }
        2 => {
            gz[3] |= 8;
            let term = rng.chance(3, 4);
            let mut ins = b"demo-0.1.0.tar".to_vec();
            if term {
                ins.push(0);
            }
            gz.splice(10..10, ins);
            format!("gzip FNAME{}", if term { "" } else { " unterminated" })
        }
        3 => {
            let m = *rng.pick(&[0u8, 7, 9, 0xff]);
            gz[2] = m;
            format!("gzip method := {m}")
        }
        4 => {
            let i = rng.below(2);
            gz[i] ^= 0xff;
            format!("gzip magic byte {i} inverted")
        }
        5 => {
            let i = rng.between(4, 9);
            gz[i] = *rng.pick(&INTERESTING);
            format!("gzip header byte {i} (MTIME/XFL/OS) changed")
        }
        6 => {
            let i = len - 8 + rng.below(8);
            gz[i] ^= 1 << rng.below(8);
            format!(
                "gzip trailer {} changed",
                if i < len - 4 { "CRC32" } else { "ISIZE" }
            )
        }
        7 => {
            let what = match rng.below(3) {
                0 => {
                    let copy = gz.clone();
                    gz.extend_from_slice(&copy);
                    "second gzip member (a copy)"
                }
                1 => {
                    gz.extend_from_slice(b"trailing garbage");
                    "trailing garbage"
                }
                _ => {
                    gz.resize(len + 1024, 0);
                    "1024 zero bytes after the member"
                }
            };
            what.to_string()
        }
        8 => {
            let hi = len.saturating_sub(8);
            byte_op(rng, gz, 10.min(hi), hi)
        }
        _ => byte_op(rng, gz, 0, 0),
    }
}

/// An archive mutant: the gzip layer, the tar layer, or a subchart archive
/// inside the chart.
fn archive_mutant(rng: &mut Rng, sample: &ChartSample) -> (String, Vec<u8>) {
    let layer = rng.below(10);
    if layer < 3 {
        let mut gz = sample.gz.clone();
        let n = rng.between(1, 2);
        let ops: Vec<String> = (0..n).map(|_| gzip_op(rng, &mut gz)).collect();
        return (format!("gzip: {}", ops.join("; ")), gz);
    }
    let mut entries = sample.entries.clone();
    let mut end = 2;
    let mut ops = Vec::new();
    if layer == 9 {
        // A subchart archive, itself mutated, in charts/.
        let (what, inner) = archive_mutant(rng, sample);
        entries.push(Entry::regular("demo/charts/sub-0.1.0.tgz", inner));
        ops.push(format!("subchart archive [{what}]"));
    } else {
        let n = rng.between(1, 3);
        for _ in 0..n {
            ops.push(tar_op(rng, &mut entries, &mut end));
        }
    }
    let mut tar = write_tar(&entries, end);
    if rng.chance(1, 5) {
        ops.push(format!("tar {}", byte_op(rng, &mut tar, 0, 0)));
    }
    (format!("tar: {}", ops.join("; ")), gzip(&tar))
}

// ---------------------------------------------------------------------------
// OpenPGP packets, armor, keyboxes

#[derive(Debug, Clone, Copy)]
struct Packet {
    start: usize,
    hdr: usize,
    body: usize,
    tag: u8,
}

impl Packet {
    fn end(&self) -> usize {
        self.start + self.hdr + self.body
    }
    fn body_start(&self) -> usize {
        self.start + self.hdr
    }
}

/// The packets of `d` up to the first one that is not well formed.
fn packets(d: &[u8]) -> Vec<Packet> {
    let mut v = Vec::new();
    let mut off = 0;
    while off < d.len() {
        let b = d[off];
        if b & 0x80 == 0 {
            break;
        }
        let (tag, hdr, body) = if b & 0x40 != 0 {
            let Some(&o) = d.get(off + 1) else { break };
            match o {
                0..=191 => (b & 0x3f, 2, usize::from(o)),
                192..=223 => {
                    let Some(&o2) = d.get(off + 2) else { break };
                    (
                        b & 0x3f,
                        3,
                        ((usize::from(o) - 192) << 8) + usize::from(o2) + 192,
                    )
                }
                255 => {
                    let Some(l) = d.get(off + 2..off + 6) else {
                        break;
                    };
                    (
                        b & 0x3f,
                        6,
                        u32::from_be_bytes(l.try_into().unwrap()) as usize,
                    )
                }
                _ => break,
            }
        } else {
            let tag = (b >> 2) & 0xf;
            match b & 3 {
                0 => (tag, 2, usize::from(*d.get(off + 1).unwrap_or(&0))),
                1 => {
                    let Some(l) = d.get(off + 1..off + 3) else {
                        break;
                    };
                    (tag, 3, usize::from(u16::from_be_bytes([l[0], l[1]])))
                }
                2 => {
                    let Some(l) = d.get(off + 1..off + 5) else {
                        break;
                    };
                    (tag, 5, u32::from_be_bytes(l.try_into().unwrap()) as usize)
                }
                _ => (tag, 1, d.len() - off - 1),
            }
        };
        if off + hdr + body > d.len() {
            break;
        }
        v.push(Packet {
            start: off,
            hdr,
            body,
            tag,
        });
        off += hdr + body;
    }
    v
}

/// A new-format packet header for `len` body bytes.
fn new_header(tag: u8, len: usize) -> Vec<u8> {
    let mut h = vec![0xc0 | (tag & 0x3f)];
    if len < 192 {
        h.push(len as u8);
    } else if len < 8384 {
        let l = len - 192;
        h.push((l >> 8) as u8 + 192);
        h.push(l as u8);
    } else {
        h.push(255);
        h.extend_from_slice(&(len as u32).to_be_bytes());
    }
    h
}

/// Offsets (absolute) of interesting fields in a packet's body, named.
fn packet_fields(d: &[u8], p: &Packet) -> Vec<(String, usize, usize)> {
    let b = p.body_start();
    let body = &d[b..p.end()];
    let mut f = Vec::new();
    let mut push = |name: &str, at: usize, width: usize| {
        if at + width <= body.len() {
            f.push((name.to_string(), b + at, width));
        }
    };
    match p.tag {
        2 if body.first() == Some(&4) => {
            push("signature version", 0, 1);
            push("signature type", 1, 1);
            push("public-key algorithm", 2, 1);
            push("hash algorithm", 3, 1);
            push("hashed subpackets length", 4, 2);
            push("first hashed subpacket length", 6, 1);
            push("first hashed subpacket type", 7, 1);
            if body.len() >= 6 {
                let hl = usize::from(u16::from_be_bytes([body[4], body[5]]));
                let u = 6 + hl;
                push("unhashed subpackets length", u, 2);
                push("first unhashed subpacket length", u + 2, 1);
                if u + 2 <= body.len() {
                    let ul = usize::from(u16::from_be_bytes([body[u], body[u + 1]]));
                    let m = u + 2 + ul;
                    push("hash prefix", m, 2);
                    push("first MPI bit count", m + 2, 2);
                }
            }
        }
        6 | 14 if body.first() == Some(&4) => {
            push("key version", 0, 1);
            push("key creation time", 1, 4);
            push("key algorithm", 5, 1);
            match body.get(5) {
                Some(1..=3) => push("RSA modulus bit count", 6, 2),
                Some(18 | 19 | 22) => {
                    push("curve OID length", 6, 1);
                    let ol = usize::from(*body.get(6).unwrap_or(&0));
                    push("curve OID byte", 7 + ol.saturating_sub(1), 1);
                    push("point bit count", 7 + ol, 2);
                }
                _ => {}
            }
        }
        _ => push("first body byte", 0, 1),
    }
    f
}

/// One mutation of a sequence of OpenPGP packets.
fn packet_op(rng: &mut Rng, d: &mut Vec<u8>, extra: &[u8]) -> String {
    let ps = packets(d);
    if ps.is_empty() {
        return byte_op(rng, d, 0, 0);
    }
    let pi = rng.below(ps.len());
    let p = ps[pi];
    let tag = p.tag;
    match rng.below(11) {
        0 | 1 => {
            // The length octets.
            let (mut at, mut n) = (p.start + 1, p.hdr - 1);
            if n == 5 {
                // 255, then four octets.
                (at, n) = (at + 1, 4);
            }
            if n == 0 {
                d[p.start] ^= 3;
                return format!("packet {pi} (tag {tag}) length type changed");
            }
            let v: u32 = *rng.pick(&[
                0,
                1,
                (p.body as u32).wrapping_sub(1),
                p.body as u32 + 1,
                0xff,
                0xffff,
                0xffff_ffff,
                0x7fff_ffff,
            ]);
            let bytes = v.to_be_bytes();
            d[at..at + n].copy_from_slice(&bytes[4 - n.min(4)..]);
            format!("packet {pi} (tag {tag}) length octets := {v:#x}")
        }
        2 => {
            // Re-encoded header: new format, partial lengths, or old
            // indeterminate length.
            let body = d[p.body_start()..p.end()].to_vec();
            let what;
            let hdr = match rng.below(3) {
                0 => {
                    what = "new-format header";
                    new_header(tag, body.len())
                }
                1 => {
                    what = "new-format 5-octet length";
                    let mut h = vec![0xc0 | tag, 255];
                    h.extend_from_slice(&(body.len() as u32).to_be_bytes());
                    h
                }
                _ => {
                    what = "old-format indeterminate length";
                    vec![0x80 | ((tag & 0xf) << 2) | 3]
                }
            };
            let mut rebuilt = hdr;
            rebuilt.extend_from_slice(&body);
            d.splice(p.start..p.end(), rebuilt);
            format!("packet {pi} (tag {tag}) {what}")
        }
        3 => {
            let (what, b) = *rng.pick(&[
                ("MSB cleared", d[p.start] & 0x7f),
                ("tag 0", d[p.start] & !0x3c & 0xc0),
                ("tag 6 (public key)", 0xc6),
                ("tag 13 (user ID)", 0xcd),
                ("tag 14 (subkey)", 0xce),
                ("tag 2 (signature)", 0xc2),
                ("tag 60 (private)", 0xfc),
                ("tag 63", 0xff),
            ]);
            d[p.start] = b;
            format!("packet {pi} (tag {tag}) tag byte: {what}")
        }
        4 => {
            d.drain(p.start..p.end());
            format!("packet {pi} (tag {tag}) removed")
        }
        5 => {
            let copy = d[p.start..p.end()].to_vec();
            let times = *rng.pick(&[1usize, 2, 8]);
            let at = if rng.chance(1, 2) { p.end() } else { d.len() };
            for _ in 0..times {
                d.splice(at..at, copy.iter().copied());
            }
            format!("packet {pi} (tag {tag}) duplicated {times}x")
        }
        6 => {
            let q = ps[rng.below(ps.len())];
            if q.start == p.start {
                return format!("packet {pi} left as it is");
            }
            let (a, b) = if p.start < q.start { (p, q) } else { (q, p) };
            let mut out = d[..a.start].to_vec();
            out.extend_from_slice(&d[b.start..b.end()]);
            out.extend_from_slice(&d[a.end()..b.start]);
            out.extend_from_slice(&d[a.start..a.end()]);
            out.extend_from_slice(&d[b.end()..]);
            *d = out;
            format!("packets at {} and {} swapped", a.start, b.start)
        }
        7 => {
            let cut = p.start + rng.below(p.hdr + p.body);
            d.truncate(cut);
            format!("truncated inside packet {pi} (tag {tag}) at {cut}")
        }
        8 => {
            let fields = packet_fields(d, &p);
            if fields.is_empty() {
                return byte_op(rng, d, p.body_start(), p.end());
            }
            let (name, at, width) = rng.pick(&fields).clone();
            let v: u32 = *rng.pick(&INTERESTING_U32);
            let bytes = v.to_be_bytes();
            d[at..at + width].copy_from_slice(&bytes[4 - width..]);
            format!("packet {pi} (tag {tag}) {name} := {v:#x}")
        }
        9 => {
            let what = match rng.below(4) {
                0 => {
                    d.extend_from_slice(&[0xca, 3, b'P', b'G', b'P']);
                    "marker packet appended"
                }
                1 => {
                    d.extend_from_slice(extra);
                    "another keyring appended"
                }
                2 => {
                    d.extend_from_slice(&[0xfd, 4, 1, 2, 3, 4]);
                    "unknown packet (tag 61) appended"
                }
                _ => {
                    d.extend_from_slice(b"\x00\xff garbage");
                    "trailing garbage"
                }
            };
            what.to_string()
        }
        _ => {
            let what = byte_op(rng, d, p.body_start(), p.end());
            format!("packet {pi} (tag {tag}) body: {what}")
        }
    }
}

fn crc24(d: &[u8]) -> u32 {
    let mut crc: u32 = 0xb7_04ce;
    for &b in d {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x186_4cfb;
            }
        }
    }
    crc & 0xff_ffff
}

/// An ASCII-armored block inside a text: the line range of its base64
/// lines and the decoded bytes.
struct Armor {
    /// Lines before the base64 data (up to and including the blank line).
    data_start: usize,
    /// The line after the last base64 line (the CRC line or END).
    data_end: usize,
    has_crc: bool,
    bytes: Vec<u8>,
}

fn find_armor(lines: &[Vec<u8>], begin: &[u8]) -> Option<Armor> {
    let b = lines.iter().position(|l| l.trim_ascii_end() == begin)?;
    let blank = b
        + 1
        + lines[b + 1..]
            .iter()
            .position(|l| l.trim_ascii_end().is_empty())?;
    let data_start = blank + 1;
    let mut data_end = data_start;
    while data_end < lines.len() {
        let l = lines[data_end].trim_ascii_end();
        if l.starts_with(b"=") || l.starts_with(b"-----") {
            break;
        }
        data_end += 1;
    }
    let has_crc = lines
        .get(data_end)
        .is_some_and(|l| l.starts_with(b"=") && !l.starts_with(b"-----"));
    let b64: Vec<u8> = lines[data_start..data_end]
        .iter()
        .flat_map(|l| l.trim_ascii_end().to_vec())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .ok()?;
    Some(Armor {
        data_start,
        data_end,
        has_crc,
        bytes,
    })
}

/// Replaces the armored data with `bytes`, with a fresh, absent, or the old
/// CRC line.
fn rearmor(rng: &mut Rng, lines: &mut Vec<Vec<u8>>, a: &Armor, bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut new: Vec<Vec<u8>> = b64.as_bytes().chunks(64).map(<[u8]>::to_vec).collect();
    let crc_choice = rng.below(3);
    let crc_end = if a.has_crc {
        a.data_end + 1
    } else {
        a.data_end
    };
    let what = match crc_choice {
        0 => {
            let c = crc24(bytes).to_be_bytes();
            new.push(
                format!(
                    "={}",
                    base64::engine::general_purpose::STANDARD.encode(&c[1..])
                )
                .into_bytes(),
            );
            "fresh CRC"
        }
        1 => "no CRC",
        _ => {
            if a.has_crc {
                new.push(lines[a.data_end].clone());
            }
            "old CRC"
        }
    };
    lines.splice(a.data_start..crc_end, new);
    what.to_string()
}

/// SHA-1, for the checksums closing keybox records.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let mut m = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    m.push(0x80);
    while m.len() % 64 != 56 {
        m.push(0);
    }
    m.extend_from_slice(&bits.to_be_bytes());
    for block in m.chunks(64) {
        let mut w = [0u32; 80];
        for (i, c) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes(c.try_into().unwrap());
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// The records of a keybox: (offset, length, type).
fn kbx_records(d: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut v = Vec::new();
    let mut off = 0;
    while off + 5 <= d.len() {
        let len = u32::from_be_bytes(d[off..off + 4].try_into().unwrap()) as usize;
        if len < 5 || off + len > d.len() {
            break;
        }
        v.push((off, len, d[off + 4]));
        off += len;
    }
    v
}

/// One mutation of a keybox, its record checksum recomputed or not.
fn kbx_op(rng: &mut Rng, d: &mut Vec<u8>) -> String {
    let recs = kbx_records(d);
    let openpgp: Vec<(usize, usize, u8)> = recs.iter().copied().filter(|r| r.2 == 2).collect();
    if openpgp.is_empty() {
        return byte_op(rng, d, 0, 0);
    }
    let ri = rng.below(openpgp.len());
    let (off, len, _) = openpgp[ri];
    let mut fix = rng.chance(3, 4);
    let what = match rng.below(8) {
        0 => {
            let (name, at, width) = *rng.pick(&[
                ("record length", 0usize, 4usize),
                ("record type", 4, 1),
                ("record version", 5, 1),
                ("keyblock offset", 8, 4),
                ("keyblock length", 12, 4),
                ("number of keys", 16, 2),
                ("key info size", 18, 2),
            ]);
            let v: u32 = *rng.pick(&[
                0,
                1,
                (len as u32).wrapping_sub(1),
                len as u32 + 1,
                0xffff,
                0xffff_ffff,
                0x7fff_ffff,
                3,
            ]);
            let bytes = v.to_be_bytes();
            d[off + at..off + at + width].copy_from_slice(&bytes[4 - width..]);
            format!("record {ri}: {name} := {v:#x}")
        }
        1..=3 => {
            // Inside the keyblock, with the packet mutations.
            let ko = u32::from_be_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
            let kl = u32::from_be_bytes(d[off + 12..off + 16].try_into().unwrap()) as usize;
            if off + ko + kl > off + len {
                return byte_op(rng, d, off, off + len);
            }
            let mut kb = d[off + ko..off + ko + kl].to_vec();
            let what = packet_op(rng, &mut kb, &[]);
            // Keep the record's frame right around the new keyblock.
            let delta = kb.len() as i64 - kl as i64;
            d.splice(off + ko..off + ko + kl, kb.iter().copied());
            let nl = (len as i64 + delta) as u32;
            d[off..off + 4].copy_from_slice(&nl.to_be_bytes());
            d[off + 12..off + 16].copy_from_slice(&(kb.len() as u32).to_be_bytes());
            if fix && nl as usize >= ko + kb.len() + 20 {
                let end = off + nl as usize;
                let sum = sha1(&d[off..end - 20]);
                d[end - 20..end].copy_from_slice(&sum);
                fix = false;
            }
            format!("record {ri} keyblock: {what}")
        }
        4 => {
            let rec = d[off..off + len].to_vec();
            let at = if rng.chance(1, 2) { off + len } else { d.len() };
            d.splice(at..at, rec);
            format!("record {ri} duplicated")
        }
        5 => {
            d.drain(off..off + len);
            fix = false;
            format!("record {ri} removed")
        }
        6 => {
            let what = byte_op(rng, d, off, off + len);
            format!("record {ri}: {what}")
        }
        _ => {
            fix = false;
            byte_op(rng, d, 0, 0)
        }
    };
    if fix {
        let recs = kbx_records(d);
        if let Some(&(o, l, 2)) = recs.iter().find(|r| r.0 == off) {
            if l > 20 {
                let sum = sha1(&d[o..o + l - 20]);
                d[o + l - 20..o + l].copy_from_slice(&sum);
                return format!("{what} (checksum recomputed)");
            }
        }
    }
    what
}

// ---------------------------------------------------------------------------
// Provenance and keyring mutants

const HASH_HEADERS: &[&str] = &[
    "Hash: SHA1",
    "Hash: SHA256",
    "Hash: SHA512",
    "Hash: MD5",
    "Hash: SHA512,SHA256",
    "Hash: NOPE",
    "Hash:",
    "Hash: SHA512\r",
    "Charset: UTF-8",
    "",
];

fn prov_mutant(rng: &mut Rng, s: &ProvSample) -> (String, Vec<u8>) {
    let prov = &s.prov;
    let mut lines = split_lines(prov);
    let n = rng.between(1, 2);
    let mut ops = Vec::new();
    for _ in 0..n {
        let what = match rng.below(12) {
            0..=3 => {
                // Inside the signature packets, then armored again.
                match find_armor(&lines, b"-----BEGIN PGP SIGNATURE-----") {
                    Some(a) => {
                        let mut bytes = a.bytes.clone();
                        let what = packet_op(rng, &mut bytes, &a.bytes);
                        let crc = rearmor(rng, &mut lines, &a, &bytes);
                        format!("signature: {what} ({crc})")
                    }
                    None => "armor unreadable, left".to_string(),
                }
            }
            4 | 5 => {
                let mut t = lines.join(&b'\n');
                let (a, b) = body_region(&t);
                let w = byte_op(rng, &mut t, a, b);
                lines = split_lines(&t);
                format!("signed text: {w}")
            }
            6 => {
                let mut t = lines.join(&b'\n');
                let w = byte_op(rng, &mut t, 0, 0);
                lines = split_lines(&t);
                format!("anywhere: {w}")
            }
            7 => {
                let mut t = lines.join(&b'\n');
                let w = yaml_op(rng, &mut t);
                lines = split_lines(&t);
                format!("lines: {w}")
            }
            8 => {
                let h = *rng.pick(HASH_HEADERS);
                match lines.iter().position(|l| l.starts_with(b"Hash:")) {
                    Some(i) if rng.chance(2, 3) => {
                        lines[i] = h.as_bytes().to_vec();
                        format!("Hash header := {h:?}")
                    }
                    _ => {
                        lines.insert(1, h.as_bytes().to_vec());
                        format!("header {h:?} inserted")
                    }
                }
            }
            9 => {
                // Dash-escaping in the signed text.
                let body: Vec<usize> = (2..lines.len())
                    .take_while(|&i| !lines[i].starts_with(b"-----BEGIN"))
                    .collect();
                if body.is_empty() {
                    continue;
                }
                let i = *rng.pick(&body);
                let (w, l) = match rng.below(3) {
                    0 => ("dash-escaped", [b"- ".as_slice(), &lines[i]].concat()),
                    1 => (
                        "starts with -----",
                        [b"-----".as_slice(), &lines[i]].concat(),
                    ),
                    _ => ("starts with '- -'", [b"- -".as_slice(), &lines[i]].concat()),
                };
                lines[i] = l;
                format!("body line {i} {w}")
            }
            10 => {
                // Armor lines.
                let what = match rng.below(4) {
                    0 => {
                        let i = lines
                            .iter()
                            .position(|l| l.starts_with(b"-----BEGIN PGP SIGNATURE"))
                            .unwrap_or(0);
                        lines.insert(i + 1, b"Version: x".to_vec());
                        "armor header Version inserted"
                    }
                    1 => {
                        lines.retain(|l| !l.starts_with(b"-----END PGP SIGNATURE"));
                        "END line removed"
                    }
                    2 => {
                        let copy: Vec<Vec<u8>> = lines
                            .iter()
                            .skip_while(|l| !l.starts_with(b"-----BEGIN PGP SIGNATURE"))
                            .cloned()
                            .collect();
                        lines.push(Vec::new());
                        lines.extend(copy);
                        "signature block repeated"
                    }
                    _ => {
                        lines[0] = b"-----BEGIN PGP MESSAGE-----".to_vec();
                        "BEGIN line changed"
                    }
                };
                what.to_string()
            }
            _ => {
                let t = lines.join(&b'\n');
                let cut = rng.below(t.len());
                lines = split_lines(&t[..cut]);
                format!("truncated at {cut}")
            }
        };
        ops.push(what);
    }
    (ops.join("; "), lines.join(&b'\n'))
}

fn body_region(t: &[u8]) -> (usize, usize) {
    let find = |n: &[u8]| t.windows(n.len()).position(|w| w == n);
    let a = find(b"\n\n").map_or(0, |i| i + 2);
    let b = find(b"-----BEGIN PGP SIGNATURE-----").unwrap_or(t.len());
    (a, b.max(a + 1).min(t.len()))
}

fn keyring_mutant(rng: &mut Rng, s: &KeySample, other: &[u8]) -> (String, Vec<u8>) {
    let mut d = s.bytes.clone();
    let n = rng.between(1, 2);
    let mut ops = Vec::new();
    for _ in 0..n {
        let what = if s.name.ends_with(".kbx") {
            kbx_op(rng, &mut d)
        } else if s.name.ends_with(".asc") {
            let mut lines = split_lines(&d);
            let w = match find_armor(&lines, b"-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                Some(a) if rng.chance(3, 4) => {
                    let mut bytes = a.bytes.clone();
                    let what = packet_op(rng, &mut bytes, other);
                    let crc = rearmor(rng, &mut lines, &a, &bytes);
                    format!("{what} ({crc})")
                }
                _ => {
                    let mut t = lines.join(&b'\n');
                    let w = byte_op(rng, &mut t, 0, 0);
                    lines = split_lines(&t);
                    format!("armor text: {w}")
                }
            };
            d = lines.join(&b'\n');
            w
        } else if rng.chance(4, 5) {
            packet_op(rng, &mut d, other)
        } else {
            byte_op(rng, &mut d, 0, 0)
        };
        ops.push(what);
    }
    (ops.join("; "), d)
}

// ---------------------------------------------------------------------------
// The corpus: real inputs from tests/fixtures

struct ChartSample {
    name: String,
    gz: Vec<u8>,
    entries: Vec<Entry>,
}

struct ProvSample {
    name: String,
    chart: PathBuf,
    prov: Vec<u8>,
    keyring: PathBuf,
}

struct KeySample {
    name: String,
    bytes: Vec<u8>,
    /// Signed charts (with their .prov beside them) one of whose signers is
    /// in the keyring.
    charts: Vec<PathBuf>,
}

struct Corpus {
    charts: Vec<ChartSample>,
    indexes: Vec<(String, Vec<u8>)>,
    provs: Vec<ProvSample>,
    keyrings: Vec<KeySample>,
    /// Appended to keyrings by a mutation.
    other_ring: Vec<u8>,
}

/// The `entries` of a real index cut down to `per_chart` versions of each
/// chart chosen by `pick`, the rest of the file as it is.
fn excerpt(text: &str, pick: impl Fn(usize) -> bool, per_chart: usize) -> String {
    let mut out = String::new();
    let mut in_entries = false;
    let mut chart = 0usize;
    let mut keep_chart = false;
    let mut items = 0usize;
    let mut keep_item = false;
    for line in text.split_inclusive('\n') {
        if !line.starts_with(' ') {
            in_entries = line.starts_with("entries:");
            out.push_str(line);
            continue;
        }
        if !in_entries {
            out.push_str(line);
            continue;
        }
        if line.starts_with("  ") && !line.starts_with("   ") && !line.starts_with("  -") {
            keep_chart = pick(chart);
            chart += 1;
            items = 0;
            if keep_chart {
                out.push_str(line);
            }
            continue;
        }
        if line.starts_with("  - ") {
            items += 1;
            keep_item = keep_chart && items <= per_chart;
        }
        if keep_item {
            out.push_str(line);
        }
    }
    out
}

fn load_corpus() -> Corpus {
    let f = fixtures();
    let prov = f.join("prov");
    let read = |p: PathBuf| fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let chart = |name: &str, gz: Vec<u8>| ChartSample {
        name: name.to_string(),
        entries: parse_tar(&gunzip(&gz)),
        gz,
    };
    let h4 = read(prov.join("helm4.1.4-rsa/demo-0.1.0.tgz"));
    let h3 = read(prov.join("helm3.17.3-rsa/demo-0.1.0.tgz"));
    let mut charts = vec![
        chart("helm4-demo", h4.clone()),
        chart("helm3-demo", h3.clone()),
    ];
    // The Helm 4 chart with the Helm 3 one as a subchart archive.
    let mut with_sub = parse_tar(&gunzip(&h4));
    with_sub.push(Entry::regular("demo/charts/demo-0.1.0.tgz", h3));
    charts.push(chart("helm4-demo+subchart", gzip(&write_tar(&with_sub, 2))));

    let argo = String::from_utf8(read(f.join("index/argo-index.yaml"))).unwrap();
    let grafana = String::from_utf8(read(f.join("index/grafana-index.yaml"))).unwrap();
    let indexes = vec![
        ("argo[0..4]x2".to_string(), excerpt(&argo, |c| c < 4, 2)),
        ("argo[odd]x1".to_string(), excerpt(&argo, |c| c % 2 == 1, 1)),
        (
            "grafana[every 8th]x2".to_string(),
            excerpt(&grafana, |c| c % 8 == 3, 2),
        ),
        (
            "grafana[0..2]x6".to_string(),
            excerpt(&grafana, |c| c < 2, 6),
        ),
    ]
    .into_iter()
    .map(|(n, t)| (n, t.into_bytes()))
    .collect();

    let keys = prov.join("keys");
    let sample = |dir: &str, chart: &str, key: &str| ProvSample {
        name: dir.to_string(),
        chart: prov.join(dir).join(chart),
        prov: read(prov.join(dir).join(format!("{chart}.prov"))),
        keyring: keys.join(key),
    };
    let provs = vec![
        sample("helm4.1.4-rsa", "demo-0.1.0.tgz", "rsa.pub.gpg"),
        sample("helm3.17.3-rsa", "demo-0.1.0.tgz", "rsa.pub.gpg"),
        sample("helm4.1.4-ecdsa", "demo-0.1.0.tgz", "ecdsa.pub.gpg"),
        sample("helm4.1.4-ed25519", "demo-0.1.0.tgz", "ed25519.pub.gpg"),
        sample(
            "gpg2.2-clearsign-rsa-sha512",
            "demo-0.1.0.tgz",
            "rsa.pub.gpg",
        ),
        sample(
            "gpg2.2-clearsign-ed25519-signing-subkey",
            "demo-0.1.0.tgz",
            "edsub.pub.gpg",
        ),
        sample(
            "gpg2.2-clearsign-brainpool",
            "demo-0.1.0.tgz",
            "brainpool.pub.gpg",
        ),
        sample("helm4.1.4-plugin-rsa", "hello-0.2.0.tgz", "rsa.pub.gpg"),
    ];
    let signed = |dir: &str| prov.join(dir).join("demo-0.1.0.tgz");
    let ring = |name: &str, charts: Vec<PathBuf>| KeySample {
        name: name.to_string(),
        bytes: read(keys.join(name)),
        charts,
    };
    let keyrings = vec![
        ring(
            "rsa.pub.gpg",
            vec![signed("helm4.1.4-rsa"), signed("helm3.17.3-rsa")],
        ),
        ring("ecdsa.pub.gpg", vec![signed("helm4.1.4-ecdsa")]),
        ring("ed25519.pub.gpg", vec![signed("helm4.1.4-ed25519")]),
        ring(
            "edsub.pub.gpg",
            vec![signed("gpg2.2-clearsign-ed25519-signing-subkey")],
        ),
        ring(
            "brainpool.pub.gpg",
            vec![signed("gpg2.2-clearsign-brainpool")],
        ),
        ring(
            "all.pub.gpg",
            vec![
                signed("helm4.1.4-rsa"),
                signed("helm4.1.4-ecdsa"),
                signed("helm4.1.4-ed25519"),
            ],
        ),
        ring(
            "pubring.kbx",
            vec![
                signed("helm4.1.4-rsa"),
                signed("helm4.1.4-ed25519"),
                signed("gpg2.2-clearsign-ed25519-signing-subkey"),
            ],
        ),
        ring("rsa.pub.asc", vec![signed("helm4.1.4-rsa")]),
    ];
    Corpus {
        charts,
        indexes,
        provs,
        keyrings,
        other_ring: read(keys.join("ed25519.pub.gpg")),
    }
}

// ---------------------------------------------------------------------------
// What an input looks like, for the rules

/// Whether `f` holds for a tar header of a chart archive or of a subchart
/// archive in it, read as far as the gzip and tar framing go.
fn any_header(gz: &[u8], depth: usize, f: &dyn Fn(&[u8; 512]) -> bool) -> bool {
    any_entry(gz, depth, &|h, _| f(h))
}

/// Whether `f` holds for the records of a pax header (its typeflag, the
/// records) of a chart archive or of a subchart archive in it.
fn any_pax(gz: &[u8], depth: usize, f: &dyn Fn(u8, &[u8]) -> bool) -> bool {
    any_entry(gz, depth, &|h, data| {
        matches!(h[156], b'x' | b'g') && f(h[156], data)
    })
}

fn any_entry(gz: &[u8], depth: usize, f: &dyn Fn(&[u8; 512], &[u8]) -> bool) -> bool {
    let mut tar = Vec::new();
    // A damaged stream still yields what came before the damage.
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut tar)
        .ok();
    let mut off = 0;
    while off + 512 <= tar.len() {
        let h: [u8; 512] = tar[off..off + 512].try_into().unwrap();
        off += 512;
        if h.iter().all(|&b| b == 0) {
            continue;
        }
        let size = go_numeric(&h[124..136]).unwrap_or(0).min(tar.len() as u64) as usize;
        let data = &tar[off..(off + size).min(tar.len())];
        if f(&h, data) {
            return true;
        }
        let name = &h[..100];
        let nul = name.iter().position(|&b| b == 0).unwrap_or(100);
        if depth < 2 && name[..nul].ends_with(b".tgz") && any_entry(data, depth + 1, f) {
            return true;
        }
        off += size.div_ceil(512) * 512;
    }
    false
}

/// Whether the end of a chart archive is as Go's archive/tar and
/// compress/gzip want it: the first gzip member's CRC and length right, and
/// the block after the first zero block absent or zero too.
fn go_end_ok(gz: &[u8]) -> bool {
    let mut tar = Vec::new();
    if flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut tar)
        .is_err()
    {
        return false;
    }
    let mut off = 0;
    while off + 512 <= tar.len() {
        let h = &tar[off..off + 512];
        off += 512;
        if h.iter().all(|&b| b == 0) {
            let next = &tar[off..(off + 512).min(tar.len())];
            return next.is_empty() || (next.len() == 512 && next.iter().all(|&b| b == 0));
        }
        let size = go_numeric(&h[124..136]).unwrap_or(0);
        if !b"123456".contains(&h[156]) {
            off = off.saturating_add(
                usize::try_from(size)
                    .unwrap_or(usize::MAX)
                    .div_ceil(512)
                    .saturating_mul(512),
            );
        }
    }
    true
}

/// A numeric tar header field as Go's archive/tar reads it: base-256 when
/// the first byte has its top bit set, else octal between spaces and NULs.
/// None where Go reports "invalid tar header".
fn go_numeric(f: &[u8]) -> Option<u64> {
    if f.first().is_some_and(|b| b & 0x80 != 0) {
        if f[0] == 0xff {
            return None;
        }
        let mut v: u64 = u64::from(f[0] & 0x7f);
        for &b in &f[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let start = f.iter().position(|&b| b != b' ' && b != 0);
    let Some(start) = start else { return Some(0) };
    let end = f.iter().rposition(|&b| b != b' ' && b != 0).unwrap() + 1;
    let s = std::str::from_utf8(&f[start..end]).ok()?;
    u64::from_str_radix(s, 8).ok()
}

/// Whether Go's archive/tar accepts these pax records (`typeflag` x or g).
fn go_pax_ok(typeflag: u8, mut s: &[u8]) -> bool {
    while !s.is_empty() {
        let Some(sp) = s.iter().position(|&b| b == b' ') else {
            return false;
        };
        let n: usize = match std::str::from_utf8(&s[..sp])
            .ok()
            .and_then(|n| n.parse().ok())
        {
            Some(n) => n,
            None => return false,
        };
        if n < 5 || n > s.len() || n <= sp + 1 {
            return false;
        }
        let rec = &s[sp + 1..n];
        let Some(kv) = rec.strip_suffix(b"\n") else {
            return false;
        };
        let Some(eq) = kv.iter().position(|&b| b == b'=') else {
            return false;
        };
        let (k, v) = (&kv[..eq], &kv[eq + 1..]);
        if typeflag == b'x'
            && k == b"size"
            && std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .is_none_or(|n| n < 0)
        {
            return false;
        }
        s = &s[n..];
    }
    true
}

/// Whether a packet of one of `tags` declares more bytes than follow it,
/// or (old format) an indeterminate length, before any packet is broken.
fn packet_overruns(d: &[u8], tags: &[u8]) -> bool {
    let mut off = 0;
    while off < d.len() {
        let b = d[off];
        if b & 0x80 == 0 {
            return false;
        }
        let be = |from: usize, n: usize| -> Option<usize> {
            let s = d.get(from..from + n)?;
            Some(s.iter().fold(0usize, |v, &x| (v << 8) | usize::from(x)))
        };
        let (tag, end) = if b & 0x40 != 0 {
            let Some(&o) = d.get(off + 1) else {
                return false;
            };
            let end = match o {
                0..=191 => Some(off + 2 + usize::from(o)),
                192..=223 => {
                    be(off + 2, 1).map(|o2| off + 3 + ((usize::from(o) - 192) << 8) + o2 + 192)
                }
                255 => be(off + 2, 4).map(|l| off + 6 + l),
                _ => return false,
            };
            (b & 0x3f, end)
        } else {
            let tag = (b >> 2) & 0xf;
            let end = match b & 3 {
                0 => be(off + 1, 1).map(|l| off + 2 + l),
                1 => be(off + 1, 2).map(|l| off + 3 + l),
                2 => be(off + 1, 4).map(|l| off + 5 + l),
                _ => {
                    return tags.contains(&tag);
                }
            };
            (tag, end)
        };
        match end {
            Some(e) if e <= d.len() => off = e,
            _ => return tags.contains(&tag),
        }
    }
    false
}

/// Whether the lines of the armored signature of a .prov hold bytes that
/// are neither base64 nor whitespace.
fn armor_has_bad_chars(prov: &[u8]) -> bool {
    let lines = split_lines(prov);
    let Some(b) = lines
        .iter()
        .position(|l| l.trim_ascii_end() == b"-----BEGIN PGP SIGNATURE-----")
    else {
        return false;
    };
    lines[b + 1..]
        .iter()
        .take_while(|l| !l.starts_with(b"-----END"))
        .filter(|l| !l.contains(&b':'))
        .any(|l| {
            l.iter()
                .any(|&x| !(x.is_ascii_alphanumeric() || b"+/= \t\r".contains(&x)))
        })
}

/// Whether the (first decodable) armored signature of a .prov has a
/// signature packet that overruns the data.
fn signature_framing_overruns(prov: &[u8]) -> bool {
    find_armor(&split_lines(prov), b"-----BEGIN PGP SIGNATURE-----")
        .is_some_and(|a| packet_overruns(&a.bytes, &[2]))
}

// ---------------------------------------------------------------------------
// Running mutants

/// The outcome of one mutant.
enum Outcome {
    /// Same verdict as Helm; `true` when both accepted.
    Agree(bool),
    /// A deliberate difference, by name.
    Known(&'static str),
    /// A mismatch explained by a bug of ours not fixed yet, by name.
    Open(&'static str),
    /// Helm hung or crashed: nothing to compare.
    HelmAnomaly,
    Fail(String),
}

/// A mutant as reported: its kind and seed, what was done, the bytes and
/// the file extension they are saved under.
struct Named<'a> {
    kind: Kind,
    seed: u64,
    what: &'a str,
    input: &'a [u8],
    ext: &'a str,
}

#[derive(Default)]
struct KindStats {
    mutants: usize,
    both_accept: usize,
    both_refuse: usize,
    known: BTreeMap<&'static str, usize>,
    helm_anomalies: usize,
    /// Seeds of the mutants each open bug explains.
    open: BTreeMap<&'static str, Vec<u64>>,
    failures: Vec<String>,
    busy: Duration,
    slowest: Duration,
    /// The mutant (or first of the batch) of the slowest run of ours.
    slowest_seed: u64,
    peak_kib: u64,
    /// Archives whose load verdict from `helm ocipush --dry-run` differs
    /// from the `helm idx build` one (counted, not failed).
    ocipush_disagree: usize,
}

struct Harness {
    cfg: Config,
    corpus: Corpus,
    home: HelmHome,
    failures_dir: PathBuf,
}

impl Harness {
    fn note_ours(&self, stats: &mut KindStats, seed: u64, r: &Run) {
        if r.elapsed > stats.slowest {
            stats.slowest = r.elapsed;
            stats.slowest_seed = seed;
        }
        stats.peak_kib = stats.peak_kib.max(r.peak_kib);
    }

    fn record(&self, stats: &mut KindStats, m: Named, outcome: Outcome) {
        let Named {
            kind,
            seed,
            what,
            input,
            ext,
        } = m;
        stats.mutants += 1;
        match outcome {
            Outcome::Agree(true) => stats.both_accept += 1,
            Outcome::Agree(false) => stats.both_refuse += 1,
            Outcome::Known(name) => *stats.known.entry(name).or_default() += 1,
            Outcome::Open(name) => stats.open.entry(name).or_default().push(seed),
            Outcome::HelmAnomaly => stats.helm_anomalies += 1,
            Outcome::Fail(msg) => {
                fs::create_dir_all(&self.failures_dir).ok();
                let file = self
                    .failures_dir
                    .join(format!("{}-{seed:016x}.{ext}", kind.name()));
                fs::write(&file, input).ok();
                let report = format!(
                    "[{}] seed {seed:#018x}: {what}\n  {}\n  input: {}\n  replay: {}",
                    kind.name(),
                    msg.replace('\n', "\n  "),
                    file.display(),
                    replay_line(kind, seed)
                );
                eprintln!("MUTATION FAILURE {report}");
                stats.failures.push(report);
            }
        }
    }

    /// The rule that explains a mismatch: a deliberate difference, or an
    /// open bug (unless open bugs are to fail the run).
    fn explain(&self, case: &Case) -> Option<Outcome> {
        if let Some(k) = KNOWN.iter().find(|k| (k.applies)(case)) {
            return Some(Outcome::Known(k.name));
        }
        if self.cfg.open {
            return None;
        }
        OPEN.iter()
            .find(|k| (k.applies)(case))
            .map(|k| Outcome::Open(k.name))
    }

    /// Compares one verdict, after checking our run for faults.
    fn judge(
        &self,
        kind: Kind,
        sample: &str,
        what: &str,
        input: &[u8],
        ours: &Run,
        helm: &Run,
    ) -> Outcome {
        if let Some(f) = ours.fault() {
            return Outcome::Fail(format!("ours {f}"));
        }
        if helm.helm_anomaly() {
            return Outcome::HelmAnomaly;
        }
        if ours.ok() == helm.ok() {
            return Outcome::Agree(ours.ok());
        }
        let case = Case {
            kind,
            sample,
            what,
            input,
            ours,
            helm,
        };
        if let Some(o) = self.explain(&case) {
            return o;
        }
        Outcome::Fail(format!(
            "verdicts differ\n  ours: {}\n  helm: {}",
            ours.verdict(),
            helm.verdict()
        ))
    }

    fn helm4(&self) -> Command {
        self.home.command(Helm::V4.bin())
    }

    fn run_single(&self, kind: Kind, seed: u64, stats: &mut KindStats) {
        let mut rng = Rng::new(seed);
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        match kind {
            Kind::Archive => unreachable!("archives run in batches"),
            Kind::Index => {
                let (sname, text) = rng.pick(&self.corpus.indexes);
                let mut m = text.clone();
                let n = rng.between(1, 3);
                let ops: Vec<String> = (0..n).map(|_| yaml_op(&mut rng, &mut m)).collect();
                let what = format!("{sname}: {}", ops.join("; "));
                let merge = w.join("merge.yaml");
                fs::write(&merge, &m).unwrap();
                let (a, b) = (w.join("ours"), w.join("helm"));
                fs::create_dir_all(&a).unwrap();
                fs::create_dir_all(&b).unwrap();
                let mut c = idx(&self.home);
                c.arg("build").arg(&a).arg("--merge").arg(&merge);
                let ours = run_bounded(c, true);
                let mut c = self.helm4();
                c.args(["repo", "index"]).arg(&b).arg("--merge").arg(&merge);
                let helm = run_bounded(c, false);
                self.note_ours(stats, seed, &ours);
                let mut outcome = self.judge(kind, sname, &what, &m, &ours, &helm);
                if let Outcome::Agree(true) = outcome {
                    let read =
                        |d: &Path| fs::read_to_string(d.join("index.yaml")).unwrap_or_default();
                    let (x, y) = (mask_times(&read(&a)), mask_times(&read(&b)));
                    if x != y {
                        outcome = Outcome::Fail(format!(
                            "both accepted, indexes differ\n{}",
                            first_difference(&x, &y)
                        ));
                    }
                }
                self.record(
                    stats,
                    Named {
                        kind,
                        seed,
                        what: &what,
                        input: &m,
                        ext: "yaml",
                    },
                    outcome,
                );
            }
            Kind::Prov => {
                let s = rng.pick(&self.corpus.provs);
                let (ops, m) = prov_mutant(&mut rng, s);
                let what = format!("{}: {ops}", s.name);
                let file = s.chart.file_name().unwrap();
                let chart = w.join(file);
                fs::copy(&s.chart, &chart).unwrap();
                let mut pname = file.to_os_string();
                pname.push(".prov");
                fs::write(w.join(pname), &m).unwrap();
                let (ours, helm) = self.verify_both(&chart, &s.keyring);
                self.note_ours(stats, seed, &ours);
                let outcome = self.judge(kind, &s.name, &what, &m, &ours, &helm);
                self.record(
                    stats,
                    Named {
                        kind,
                        seed,
                        what: &what,
                        input: &m,
                        ext: "prov",
                    },
                    outcome,
                );
            }
            Kind::Keyring => {
                let s = rng.pick(&self.corpus.keyrings);
                let chart = rng.pick(&s.charts).clone();
                let (ops, m) = keyring_mutant(&mut rng, s, &self.corpus.other_ring);
                let what = format!(
                    "{} with {}: {ops}",
                    s.name,
                    chart
                        .parent()
                        .unwrap()
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                );
                let ring = w.join(&s.name);
                fs::write(&ring, &m).unwrap();
                let (ours, helm) = self.verify_both(&chart, &ring);
                self.note_ours(stats, seed, &ours);
                let outcome = self.judge(kind, &s.name, &what, &m, &ours, &helm);
                let ext = s.name.rsplit('.').next().unwrap();
                self.record(
                    stats,
                    Named {
                        kind,
                        seed,
                        what: &what,
                        input: &m,
                        ext,
                    },
                    outcome,
                );
            }
        }
    }

    fn verify_both(&self, chart: &Path, ring: &Path) -> (Run, Run) {
        let mut c = helm_prov(&self.home);
        c.arg("verify").arg(chart).arg("--keyring").arg(ring);
        let ours = run_bounded(c, true);
        let mut c = self.helm4();
        c.arg("verify").arg(chart).arg("--keyring").arg(ring);
        (ours, run_bounded(c, false))
    }

    /// A batch of archive mutants, indexed together by us and by Helm.
    fn run_archives(&self, seeds: &[u64], stats: &mut KindStats, queue: &Mutex<Sched>) {
        let work = tempfile::tempdir().unwrap();
        let (a, b, o) = (
            work.path().join("ours"),
            work.path().join("helm"),
            work.path().join("oci"),
        );
        for d in [&a, &b, &o] {
            fs::create_dir_all(d).unwrap();
        }
        let mut mutants = Vec::new();
        for &seed in seeds {
            let mut rng = Rng::new(seed);
            let s = rng.pick(&self.corpus.charts);
            let (ops, m) = archive_mutant(&mut rng, s);
            let file = format!("m{seed:016x}.tgz");
            for d in [&a, &b, &o] {
                fs::write(d.join(&file), &m).unwrap();
            }
            mutants.push((seed, format!("{}: {ops}", s.name), file, m));
        }
        // A batch gets more time; one that breaks is split into single
        // mutants, which get RUN_LIMIT each.
        let limit = if seeds.len() > 1 {
            RUN_LIMIT * 3
        } else {
            RUN_LIMIT
        };
        let mut c = idx(&self.home);
        c.arg("build").arg(&a);
        let ours = run_limited(c, true, limit);
        let mut c = self.helm4();
        c.args(["repo", "index"]).arg(&b);
        let helm = run_limited(c, false, limit);
        let mut c = ocipush(&self.home);
        c.arg(&o)
            .arg("oci://127.0.0.1:1/x")
            .args(["--dry-run", "--plain-http"]);
        let oci = run_limited(c, true, limit);
        self.note_ours(stats, seeds[0], &ours);
        self.note_ours(stats, seeds[0], &oci);

        let batch_fault = ours
            .fault()
            .map(|f| format!("helm idx build {f}"))
            .or_else(|| oci.fault().map(|f| format!("helm ocipush --dry-run {f}")));
        if seeds.len() > 1
            && (batch_fault.is_some() || !ours.ok() || !helm.ok() || helm.helm_anomaly())
        {
            // Find the mutant that breaks the whole run, one by one.
            let mut q = queue.lock().unwrap();
            for &s in seeds.iter().rev() {
                q.pending.push_front(Unit::Archives(vec![s]));
            }
            return;
        }
        let read = |d: &Path| fs::read_to_string(d.join("index.yaml")).unwrap_or_default();
        let (ix_ours, ix_helm) = (read(&a), read(&b));
        let mut all_agree = true;
        for (seed, what, file, m) in &mutants {
            let outcome = if let Some(f) = &batch_fault {
                Outcome::Fail(f.clone())
            } else if helm.helm_anomaly() {
                Outcome::HelmAnomaly
            } else if !ours.ok() {
                Outcome::Fail(format!("helm idx build failed: {}", ours.verdict()))
            } else {
                let line = format!("- {file}\n");
                let (x, y) = (ix_ours.contains(&line), ix_helm.contains(&line));
                let oci_refused = oci.stderr.contains(&format!("{file}: "));
                if oci_refused == x {
                    stats.ocipush_disagree += 1;
                }
                if x == y {
                    Outcome::Agree(x && helm.ok())
                } else {
                    all_agree = false;
                    let why = |indexed: bool, r: &Run| {
                        if indexed {
                            "indexed".to_string()
                        } else if !r.ok() {
                            r.verdict()
                        } else {
                            let l = r.stderr.lines().find(|l| l.contains(file.as_str()));
                            format!("skipped: {}", l.unwrap_or("(no warning)"))
                        }
                    };
                    // This archive's verdicts, with our warning about it.
                    let warning = ours
                        .stderr
                        .lines()
                        .filter(|l| l.contains(file.as_str()))
                        .collect::<Vec<_>>()
                        .join("\n");
                    let case_ours = Run {
                        code: Some(if x { 0 } else { 1 }),
                        stderr: warning,
                        ..copy_run(&ours)
                    };
                    let case_helm = Run {
                        code: Some(if y { 0 } else { 1 }),
                        ..copy_run(&helm)
                    };
                    let case = Case {
                        kind: Kind::Archive,
                        sample: what,
                        what,
                        input: m,
                        ours: &case_ours,
                        helm: &case_helm,
                    };
                    match self.explain(&case) {
                        Some(o) => o,
                        None => Outcome::Fail(format!(
                            "archive verdicts differ\n  ours: {}\n  helm: {}",
                            why(x, &ours),
                            why(y, &helm)
                        )),
                    }
                }
            };
            self.record(
                stats,
                Named {
                    kind: Kind::Archive,
                    seed: *seed,
                    what,
                    input: m,
                    ext: "tgz",
                },
                outcome,
            );
        }
        if all_agree && batch_fault.is_none() && ours.ok() && helm.ok() {
            let (x, y) = (mask_times(&ix_ours), mask_times(&ix_helm));
            if x != y {
                let report = format!(
                    "[archive] seeds {}: same archives indexed, indexes differ\n{}",
                    seeds
                        .iter()
                        .map(|s| format!("{s:#018x}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    first_difference(&x, &y)
                );
                eprintln!("MUTATION FAILURE {report}");
                stats.failures.push(report);
            }
        }
    }
}

fn copy_run(r: &Run) -> Run {
    Run {
        limit: r.limit,
        code: r.code,
        signal: r.signal,
        timed_out: r.timed_out,
        elapsed: r.elapsed,
        peak_kib: r.peak_kib,
        stdout: r.stdout.clone(),
        stderr: r.stderr.clone(),
    }
}

fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let ctx = |v: &[&str]| v[i.saturating_sub(2)..(i + 3).min(v.len())].join("\n    ");
    format!(
        "  first difference at line {} ({} vs {} lines)\n  --- ours:\n    {}\n  --- helm:\n    {}",
        i + 1,
        la.len(),
        lb.len(),
        ctx(&la),
        ctx(&lb)
    )
}

// ---------------------------------------------------------------------------
// Scheduling

enum Unit {
    Archives(Vec<u64>),
    Single(Kind, u64),
}

impl Unit {
    fn kind(&self) -> Kind {
        match self {
            Unit::Archives(_) => Kind::Archive,
            Unit::Single(k, _) => *k,
        }
    }
}

struct Sched {
    deadline: Instant,
    kinds: Vec<Kind>,
    next: [u64; 4],
    produced: [usize; 4],
    limit: Option<usize>,
    pending: VecDeque<Unit>,
}

impl Sched {
    /// The next seed of `kind`, unless its count is reached.
    fn draw(&mut self, kind: Kind) -> Option<u64> {
        let i = kind.slot();
        if self.limit.is_some_and(|l| self.produced[i] >= l) {
            return None;
        }
        let s = self.next[i];
        self.next[i] = next_seed(s);
        self.produced[i] += 1;
        Some(s)
    }

    /// The next unit: pending ones first, then the kind with the least busy
    /// time so far.
    fn next_unit(&mut self, busy: &[Duration; 4]) -> Option<Unit> {
        if let Some(u) = self.pending.pop_front() {
            return Some(u);
        }
        if Instant::now() >= self.deadline {
            return None;
        }
        let mut kinds = self.kinds.clone();
        kinds.sort_by_key(|k| busy[k.slot()]);
        for k in kinds {
            if k == Kind::Archive {
                let seeds: Vec<u64> = (0..ARCHIVE_BATCH).map_while(|_| self.draw(k)).collect();
                if !seeds.is_empty() {
                    return Some(Unit::Archives(seeds));
                }
            } else if let Some(s) = self.draw(k) {
                return Some(Unit::Single(k, s));
            }
        }
        None
    }
}

#[test]
fn mutants_get_helm_4s_verdict_without_crashing() {
    let started = Instant::now();
    let cfg = Config::from_env();
    let h = Harness {
        corpus: load_corpus(),
        home: HelmHome::new(),
        failures_dir: root().join("target").join("mutation-failures"),
        cfg,
    };
    let mut pending = VecDeque::new();
    let replaying = !h.cfg.replay.is_empty();
    let listed = if replaying {
        &h.cfg.replay[..]
    } else {
        REGRESSIONS
    };
    if h.cfg.count.is_none() {
        for &(k, s) in listed.iter().filter(|r| h.cfg.kinds.contains(&r.0)) {
            pending.push_back(match k {
                Kind::Archive => Unit::Archives(vec![s]),
                _ => Unit::Single(k, s),
            });
        }
    }
    let sched = Mutex::new(Sched {
        deadline: started + Duration::from_secs_f64(h.cfg.seconds),
        kinds: h.cfg.kinds.clone(),
        next: [h.cfg.seed; 4],
        produced: [0; 4],
        limit: if replaying { Some(0) } else { h.cfg.count },
        pending,
    });
    let stats: Mutex<[KindStats; 4]> = Mutex::new(Default::default());
    std::thread::scope(|s| {
        for _ in 0..h.cfg.jobs {
            s.spawn(|| loop {
                let busy = {
                    let st = stats.lock().unwrap();
                    [st[0].busy, st[1].busy, st[2].busy, st[3].busy]
                };
                let Some(unit) = sched.lock().unwrap().next_unit(&busy) else {
                    break;
                };
                let kind = unit.kind();
                let t = Instant::now();
                let mut local = KindStats::default();
                match unit {
                    Unit::Archives(seeds) => h.run_archives(&seeds, &mut local, &sched),
                    Unit::Single(k, seed) => h.run_single(k, seed, &mut local),
                }
                local.busy = t.elapsed();
                merge_stats(&mut stats.lock().unwrap()[kind.slot()], local);
            });
        }
    });
    let stats = stats.into_inner().unwrap();

    println!(
        "mutation harness: base seed {:#018x}, budget {} s, {} jobs",
        h.cfg.seed, h.cfg.seconds, h.cfg.jobs
    );
    println!(
        "{:<8} {:>7} {:>7} {:>7} {:>7} {:>5} {:>5} {:>5} {:>8} {:>8} {:>8}",
        "kind",
        "mutants",
        "agree",
        "both-ok",
        "known",
        "helm?",
        "open",
        "FAIL",
        "busy",
        "slowest",
        "peak"
    );
    let mut failures = Vec::new();
    for k in KINDS.iter().filter(|k| h.cfg.kinds.contains(k)) {
        let st = &stats[k.slot()];
        let known: usize = st.known.values().sum();
        println!(
            "{:<8} {:>7} {:>7} {:>7} {:>7} {:>5} {:>5} {:>5} {:>7.1}s {:>7.2}s {:>5}MiB",
            k.name(),
            st.mutants,
            st.both_accept + st.both_refuse,
            st.both_accept,
            known,
            st.helm_anomalies,
            st.open.values().map(Vec::len).sum::<usize>(),
            st.failures.len(),
            st.busy.as_secs_f64(),
            st.slowest.as_secs_f64(),
            st.peak_kib / 1024
        );
        for (name, n) in &st.known {
            let reason = KNOWN
                .iter()
                .find(|k| k.name == *name)
                .map_or("", |k| k.reason);
            println!("    known difference {name:?}: {n} ({reason})");
        }
        for (name, seeds) in &st.open {
            let shown: Vec<String> = seeds.iter().take(4).map(|s| format!("{s:#018x}")).collect();
            println!(
                "    OPEN BUG {name:?}: {} mutant(s), e.g. seeds {}",
                seeds.len(),
                shown.join(" ")
            );
        }
        if *k == Kind::Archive {
            println!(
                "    helm ocipush --dry-run load verdict differs from helm idx build: {}",
                st.ocipush_disagree
            );
        }
        println!(
            "    slowest run of ours: {:.2} s (seed {:#018x})",
            st.slowest.as_secs_f64(),
            st.slowest_seed
        );
        failures.extend(st.failures.iter().cloned());
    }
    println!("wall time {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} mutant(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn merge_stats(into: &mut KindStats, from: KindStats) {
    into.mutants += from.mutants;
    into.both_accept += from.both_accept;
    into.both_refuse += from.both_refuse;
    for (k, v) in from.known {
        *into.known.entry(k).or_default() += v;
    }
    into.helm_anomalies += from.helm_anomalies;
    for (k, v) in from.open {
        into.open.entry(k).or_default().extend(v);
    }
    into.failures.extend(from.failures);
    into.busy += from.busy;
    if from.slowest > into.slowest {
        into.slowest = from.slowest;
        into.slowest_seed = from.slowest_seed;
    }
    into.peak_kib = into.peak_kib.max(from.peak_kib);
    into.ocipush_disagree += from.ocipush_disagree;
}
