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

#[derive(Debug, Error)]
pub enum KeyringError {
    #[error("cannot read keyring {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("keyring {path} holds no usable OpenPGP certificate{}", if .detail.is_empty() { String::new() } else { format!(" ({})", .detail) })]
    Empty { path: PathBuf, detail: String },
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

/// Whether `data` is a GnuPG keybox: its first blob carries the `KBXf` magic.
fn is_keybox(data: &[u8]) -> bool {
    data.get(8..12) == Some(b"KBXf")
}

/// Loads every usable certificate (public, or with secret key material) from
/// a keyring file.
pub fn load(path: &Path) -> Result<Vec<Cert>, KeyringError> {
    let data = std::fs::read(path).map_err(|source| KeyringError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (certs, skipped) = parse(&data);
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

/// Certificates in `data`, and why others were skipped.
pub fn parse(data: &[u8]) -> (Vec<Cert>, Vec<String>) {
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    if is_keybox(data) {
        match sequoia_ipc::keybox::Keybox::from_reader(std::io::Cursor::new(data.to_vec())) {
            Ok(kbx) => {
                for record in kbx {
                    match record {
                        Ok(sequoia_ipc::keybox::KeyboxRecord::OpenPGP(r)) => match r.cert() {
                            Ok(c) => certs.push(c),
                            Err(e) => skipped.push(e.to_string()),
                        },
                        Ok(_) => {}
                        Err(e) => skipped.push(e.to_string()),
                    }
                }
            }
            Err(e) => skipped.push(e.to_string()),
        }
        return (certs, skipped);
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
    (certs, skipped)
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
    fn garbage_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ring");
        std::fs::write(&p, b"not a keyring").unwrap();
        assert!(matches!(load(&p), Err(KeyringError::Empty { .. })));
    }
}
