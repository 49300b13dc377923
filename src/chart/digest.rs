//! The chart digest: lowercase hex SHA-256 of the whole archive.
//!
//! One value appears under three names in Helm: `digest` in an index entry,
//! `sha256:<hex>` in a provenance file's `files:` map (`provenance.DigestFile`),
//! and the OCI layer digest of the chart in a registry. Keeping the one
//! computation here means an index, a `.prov` and a manifest can never
//! disagree on how it is spelt.

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::archive::MAX_ARCHIVE_FILE_SIZE;
use crate::fileutil;

/// `provenance.DigestFile`: lowercase hex SHA-256 of the whole file, read in
/// chunks so that an archive is never held in memory just to be hashed. Only
/// a regular file of at most [`MAX_ARCHIVE_FILE_SIZE`] is hashed.
pub fn digest_file(path: &Path) -> io::Result<String> {
    let f = fileutil::open_regular(path)?;
    if f.metadata()?.len() > MAX_ARCHIVE_FILE_SIZE {
        return Err(fileutil::too_large(MAX_ARCHIVE_FILE_SIZE));
    }
    digest_reader(f.take(MAX_ARCHIVE_FILE_SIZE))
}

/// The digest of everything `r` yields.
pub fn digest_reader(mut r: impl Read) -> io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match r.read(&mut buf)? {
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

/// `sha256:<hex>`, the OCI digest form (also the form of a `.prov` entry).
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", digest(data))
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
        assert_eq!(
            sha256_digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(digest_file(&p).unwrap(), digest(b"abc"));
    }
}
