//! The agent's answer to `PKSIGN`: a canonical S-expression holding the
//! signature values. It comes from outside the process, so the parser caps
//! nesting and size and checks every length against the data before taking
//! a byte; what it finds becomes the `mpi::Signature` Sequoia builds the
//! signature packet from.

use openpgp::crypto::mpi;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::Key;
use sequoia_openpgp as openpgp;

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
pub(super) fn signature(
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

#[cfg(test)]
mod tests {
    use super::super::tests::cert;
    use super::*;

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
}
