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
//! The agent knows keys by their libgcrypt keygrip, not by anything OpenPGP
//! names them by, so `keygrip` computes it; it answers with a canonical
//! S-expression, which `sexp` reads; `assuan` holds the conversation. Left
//! here are the signer Sequoia calls, its errors, and the text the pinentry
//! shows.
//!
//! Only Unix: the agent's socket is a Unix domain socket there (Windows has
//! its own emulation, which this client does not speak).

#![cfg_attr(not(unix), allow(dead_code))]

#[cfg(unix)]
mod assuan;
mod keygrip;
mod sexp;

use std::path::{Path, PathBuf};

use openpgp::crypto::{mpi, Password};
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::Key;
use openpgp::types::HashAlgorithm;
use openpgp::KeyID;
use sequoia_openpgp as openpgp;
use thiserror::Error;

use keygrip::{domain, ED25519};

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
        let keygrip = hex_upper(&keygrip::keygrip(&key)?);
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

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
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

#[cfg(not(unix))]
impl AgentSigner {
    fn sign_digest(&self, _: HashAlgorithm, _: &[u8]) -> Result<mpi::Signature, AgentError> {
        Err(AgentError::NotSupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::parse::Parse;
    use openpgp::Cert;

    /// A certificate from the repository's fixtures, for the tests of every
    /// file of this module.
    pub(super) fn cert(name: &str) -> Cert {
        let p = crate::test_support::fixture("prov/keys").join(name);
        Cert::from_file(p).unwrap()
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
