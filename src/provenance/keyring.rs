//! Keyrings for verification and signing.
//!
//! Helm reads only binary OpenPGP keyrings and stops at the first key it
//! cannot parse (an ed25519 key poisons a Helm 3 ring). Here a keyring may be
//! binary, ASCII-armored (several blocks concatenated) or a GnuPG keybox
//! (`pubring.kbx`), and a certificate that cannot be used is skipped, not fatal.

use std::path::{Path, PathBuf};

use sequoia_openpgp::cert::{Cert, CertParser};
use sequoia_openpgp::parse::Parse;
use thiserror::Error;

use super::{keybox, FileError};

#[derive(Debug, Error)]
pub enum KeyringError {
    #[error("cannot read keyring {}", .path.display())]
    Read { path: PathBuf, source: FileError },
    #[error("keyring {path} holds no usable OpenPGP certificate{}", if .detail.is_empty() { String::new() } else { format!(" ({})", .detail) })]
    Empty { path: PathBuf, detail: String },
    #[error("keyring {path}")]
    Damaged {
        path: PathBuf,
        source: keybox::Damaged,
    },
}

/// The user's GnuPG home: `$GNUPGHOME`, else `~/.gnupg`.
pub fn gnupg_home() -> PathBuf {
    std::env::var_os("GNUPGHOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".gnupg")))
        .unwrap_or_default()
}

/// The default public keyring: Helm's `pubring.gpg` in the GnuPG home, or
/// GnuPG 2's `pubring.kbx` when there is no `pubring.gpg`.
pub fn default_keyring() -> PathBuf {
    let home = gnupg_home();
    let gpg = home.join("pubring.gpg");
    let kbx = home.join("pubring.kbx");
    if !gpg.exists() && kbx.exists() {
        kbx
    } else {
        gpg
    }
}

/// A certificate's user IDs as text, in the certificate's order.
pub fn user_ids(cert: &Cert) -> Vec<String> {
    cert.userids()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        .collect()
}

/// What `--key` accepts for each certificate, as shell completion offers
/// it: the key ID and the e-mail address of each user ID, each with the user
/// ID it stands for.
pub fn selectors(certs: &[Cert]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for c in certs {
        let uids = user_ids(c);
        out.push((
            c.keyid().to_hex(),
            uids.first().cloned().unwrap_or_default(),
        ));
        for u in &uids {
            let mail = u.rsplit_once('<').and_then(|(_, r)| r.strip_suffix('>'));
            if let Some(m) = mail.filter(|m| !m.is_empty()) {
                if !out.iter().any(|(v, _)| v == m) {
                    out.push((m.to_string(), u.clone()));
                }
            }
        }
    }
    out
}

/// What in `cert` this build's crypto backend cannot compute with (a curve
/// such as brainpoolP256r1, or an algorithm), if anything: Sequoia then
/// reports only that no binding signature or no signing key is valid, which
/// hides that a build with another backend would work.
pub fn unsupported_crypto(cert: &Cert) -> Option<String> {
    use sequoia_openpgp::crypto::mpi::PublicKey;
    cert.keys().find_map(|ka| {
        let key = ka.key();
        let curve = match key.mpis() {
            PublicKey::ECDSA { curve, .. }
            | PublicKey::EdDSA { curve, .. }
            | PublicKey::ECDH { curve, .. } => Some(curve),
            _ => None,
        };
        let what = match curve {
            Some(c) if !c.is_supported() => format!("{} on {c}", key.pk_algo()),
            _ if !key.pk_algo().is_supported() => key.pk_algo().to_string(),
            _ => return None,
        };
        Some(format!(
            "key {} uses {what}, which this build's crypto backend ({}) does not support \
             (README: OpenPGP crypto backend)",
            key.fingerprint().to_hex(),
            sequoia_openpgp::crypto::backend()
        ))
    })
}

/// Whether `data` is a GnuPG keybox: its first blob carries the `KBXf` magic.
fn is_keybox(data: &[u8]) -> bool {
    data.get(8..12) == Some(b"KBXf")
}

/// The largest keyring file read. GnuPG's own pubring of thousands of keys
/// stays well below it.
pub const MAX_KEYRING_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Loads every usable certificate (public, or with secret key material) from
/// a keyring file.
pub fn load(path: &Path) -> Result<Vec<Cert>, KeyringError> {
    let data = crate::fileutil::read_regular(path, MAX_KEYRING_FILE_SIZE).map_err(|e| {
        KeyringError::Read {
            path: path.to_path_buf(),
            source: FileError(e),
        }
    })?;
    let (certs, skipped) = parse(&data).map_err(|source| KeyringError::Damaged {
        path: path.to_path_buf(),
        source,
    })?;
    if certs.is_empty() {
        return Err(KeyringError::Empty {
            path: path.to_path_buf(),
            detail: skipped.into_iter().next().unwrap_or_default(),
        });
    }
    for s in skipped {
        crate::debug!("{}: skipped a certificate: {s}", path.display());
    }
    Ok(certs)
}

/// Certificates in `data`, and why others were skipped. Only a keybox can be
/// damaged beyond use: its records are framed by lengths, and one broken
/// length leaves nothing after it to read.
pub fn parse(data: &[u8]) -> Result<(Vec<Cert>, Vec<String>), keybox::Damaged> {
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    if is_keybox(data) {
        for entry in keybox::entries(data)? {
            match entry {
                keybox::Entry::Keyblock { offset, data } => match Cert::from_bytes(data) {
                    Ok(c) => certs.push(c),
                    Err(e) => skipped.push(format!("keybox record at offset {offset}: {e}")),
                },
                keybox::Entry::Skipped { reason, .. } => skipped.push(reason),
            }
        }
        return Ok((certs, skipped));
    }
    match CertParser::from_bytes(data) {
        Ok(parser) => {
            for c in parser {
                match c {
                    Ok(c) => certs.push(c),
                    Err(e) => skipped.push(e.to_string()),
                }
            }
        }
        Err(e) => skipped.push(e.to_string()),
    }
    Ok((certs, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> PathBuf {
        crate::test_support::fixture("prov/keys")
    }

    #[test]
    fn reads_binary_armored_and_keybox() {
        assert_eq!(load(&keys().join("rsa.pub.gpg")).unwrap().len(), 1);
        assert_eq!(load(&keys().join("ed25519.pub.asc")).unwrap().len(), 1);
        assert_eq!(load(&keys().join("all.pub.gpg")).unwrap().len(), 6);
        assert_eq!(load(&keys().join("pubring.kbx")).unwrap().len(), 6);
        assert!(load(&keys().join("rsa.sec.gpg")).unwrap()[0].is_tsk());
    }

    #[test]
    fn selectors_are_key_ids_and_mails() {
        let certs = load(&keys().join("rsa.pub.gpg")).unwrap();
        let s = selectors(&certs);
        assert_eq!(s[0].0, "F16D692B5491590B");
        assert_eq!(
            s[1],
            (
                "rsa@example.com".into(),
                "Helm RSA Test <rsa@example.com>".into()
            )
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ring");
        std::fs::write(&p, b"not a keyring").unwrap();
        assert!(matches!(load(&p), Err(KeyringError::Empty { .. })));
    }

    #[test]
    fn a_damaged_keybox_is_one_error_naming_the_file_and_offset() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pubring.kbx");
        let mut data = std::fs::read(keys().join("pubring.kbx")).unwrap();
        let end = data.len();
        data.extend([0u8; 4096]);
        std::fs::write(&p, &data).unwrap();
        let err = crate::cli::render_error(&load(&p).unwrap_err());
        assert_eq!(
            err,
            format!(
                "keyring {}: damaged keybox record at offset {end}: \
                 record length 0 is below the minimum of 5",
                p.display()
            )
        );
    }

    #[test]
    fn a_keyblock_that_does_not_parse_is_skipped() {
        let mut data = std::fs::read(keys().join("pubring.kbx")).unwrap();
        // The second record's keyblock starts at the offset it names; break
        // its first packet tag and fix the checksum.
        let at = 32;
        let len = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        let kb = u32::from_be_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        data[at + kb] = 0;
        let sum = super::super::hash(
            sequoia_openpgp::types::HashAlgorithm::SHA1,
            &[&data[at..at + len - 20]],
        )
        .unwrap();
        data[at + len - 20..at + len].copy_from_slice(&sum);
        let (certs, skipped) = parse(&data).unwrap();
        assert_eq!(certs.len(), 5);
        assert!(
            skipped[0].starts_with("keybox record at offset 32: "),
            "{skipped:?}"
        );
    }
}
