//! Provenance (`pkg/provenance`): chart digests and the text of `.prov`
//! files, and with the `prov` feature, signing and verifying them.

#[cfg(feature = "prov")]
pub mod agent;
pub mod clearsign;
#[cfg(feature = "prov")]
pub mod keybox;
#[cfg(feature = "prov")]
pub mod keyring;
pub mod message;
#[cfg(feature = "prov")]
pub mod mpi;
#[cfg(feature = "prov")]
pub mod sign;
#[cfg(feature = "prov")]
pub mod verify;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// `provenance.DigestFile`: lowercase hex SHA-256 of the whole file.
pub fn digest_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match f.read(&mut buf)? {
            0 => break,
            n => h.update(&buf[..n]),
        }
    }
    Ok(hex(&h.finalize()))
}

/// `provenance.Digest` of bytes held in memory.
pub fn digest(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The digest of `parts` in turn with one of Sequoia's hash algorithms, for
/// the checksums and key fingerprints of GnuPG's own formats; `None` when the
/// crypto backend lacks the algorithm.
#[cfg(feature = "prov")]
fn hash(algo: sequoia_openpgp::types::HashAlgorithm, parts: &[&[u8]]) -> Option<Vec<u8>> {
    let mut ctx = algo.context().ok()?.for_digest();
    for p in parts {
        ctx.update(p);
    }
    ctx.into_digest().ok()
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sha256sum() {
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(digest_file(&p).unwrap(), digest(b"abc"));
    }
}
