//! Throwaway certificate authorities, made with the openssl CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ok, tool};

/// A throwaway CA with a server certificate (SAN `IP:127.0.0.1`,
/// `DNS:localhost`) and a client certificate (`CN=helm-test-client`), all
/// EC P-256 keys in PKCS#8 PEM. Certificates are X.509 v3 with the
/// extensions rustls and Go insist on (key identifiers, key usage,
/// extended key usage).
#[derive(Debug, Clone)]
pub struct Pki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// openssl sections for the certificates the rig makes.
pub const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[signer]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";

impl Pki {
    /// Generates the CA and both certificates into `dir` with the openssl CLI.
    pub fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("openssl.cnf"), OPENSSL_CNF).unwrap();
        ec_key(dir, "ca.key");
        ok(openssl(
            dir,
            &["req", "-new", "-x509", "-key", "ca.key", "-out", "ca.pem"],
        )
        .args(["-days", "2", "-subj", "/CN=wharf-test-ca"])
        .args(["-config", "openssl.cnf", "-extensions", "ca"]));
        sign_leaf(dir, "server", "/CN=localhost");
        sign_leaf(dir, "client", "/CN=helm-test-client");
        Pki {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        }
    }

    /// The client certificate and key as a reqwest identity.
    pub fn client_identity(&self) -> reqwest::Identity {
        let mut pem = std::fs::read(&self.client_cert).unwrap();
        pem.extend(std::fs::read(&self.client_key).unwrap());
        reqwest::Identity::from_pem(&pem).expect("client identity")
    }
}

/// An openssl command run in `dir` (so relative names land there).
pub fn openssl(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(tool("openssl"));
    cmd.current_dir(dir).args(args);
    cmd
}

/// A fresh EC P-256 key (genpkey writes PKCS#8).
fn ec_key(dir: &Path, name: &str) {
    ok(openssl(dir, &["genpkey", "-algorithm", "EC", "-out", name])
        .args(["-pkeyopt", "ec_paramgen_curve:P-256"]));
}

/// `<kind>.key` and `<kind>.pem` signed by the CA with the `[kind]` section.
fn sign_leaf(dir: &Path, kind: &str, subject: &str) {
    let (key, csr, pem) = (
        format!("{kind}.key"),
        format!("{kind}.csr"),
        format!("{kind}.pem"),
    );
    ec_key(dir, &key);
    ok(
        openssl(dir, &["req", "-new", "-key", &key, "-subj", subject]).args([
            "-config",
            "openssl.cnf",
            "-out",
            &csr,
        ]),
    );
    ok(openssl(
        dir,
        &[
            "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key",
        ],
    )
    .args(["-CAcreateserial", "-days", "2", "-sha256"])
    .args(["-extfile", "openssl.cnf", "-extensions", kind, "-out", &pem]));
}
