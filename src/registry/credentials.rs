//! Registry credentials where Helm finds them.
//!
//! `helm registry login` writes a Docker `config.json` at
//! `HELM_REGISTRY_CONFIG`; Helm reads it with oras-go's credential store and
//! falls back to Docker's own config, so whatever `helm registry login` or
//! `docker login` stored works here unchanged: `auths` entries (`auth`,
//! `username`/`password`, `identitytoken`, `registrytoken`), and the
//! credential programs named by `credHelpers` and `credsStore`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;

use super::RegistryError;
use crate::net::Secret;

/// A credential for one registry. Its secrets never print.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credential {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: Secret,
    },
    /// An OAuth2 refresh token (`identitytoken`), traded for access tokens.
    IdentityToken {
        username: String,
        token: Secret,
    },
    /// A bearer access token used as is (`registrytoken`).
    RegistryToken(Secret),
}

impl Credential {
    /// Where the credential came from, for debug logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Anonymous => "none",
            Credential::Basic { .. } => "username and password",
            Credential::IdentityToken { .. } => "identity token",
            Credential::RegistryToken(_) => "registry token",
        }
    }
}

/// The credential for `host`: `--username` with its password when given
/// (one without the other is an error), else what `helm registry login`
/// stored ([`lookup`]).
pub fn given_or_stored(
    host: &str,
    username: Option<&str>,
    password: Option<&crate::net::Secret>,
    registry_config: &Path,
) -> Result<Credential, RegistryError> {
    match (username, password) {
        (Some(u), Some(p)) => Ok(Credential::Basic {
            username: u.to_string(),
            password: p.clone(),
        }),
        (None, None) => lookup(host, registry_config),
        _ => Err(RegistryError::UsernameWithoutPassword),
    }
}

/// Looks up the credential for `host`: Helm's registry config first, then
/// Docker's (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
/// as Helm's `NewStoreWithFallbacks` does.
pub fn lookup(host: &str, registry_config: &Path) -> Result<Credential, RegistryError> {
    let mut files = vec![registry_config.to_path_buf()];
    if let Some(d) = docker_config() {
        if d != registry_config {
            files.push(d);
        }
    }
    for f in files {
        let c = lookup_in(host, &f)?;
        if c != Credential::Anonymous {
            crate::debug!(
                "registry credentials for {host}: {} from {}",
                c.kind(),
                f.display()
            );
            return Ok(c);
        }
    }
    crate::debug!("no registry credentials for {host}");
    Ok(Credential::Anonymous)
}

fn docker_config() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        Some(d) => Some(PathBuf::from(d).join("config.json")),
        None => dirs::home_dir().map(|h| h.join(".docker").join("config.json")),
    }
}

/// The largest registry config (Docker `config.json`) read.
pub const MAX_CONFIG_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// The registries `file` holds credentials for: the hosts of its `auths`
/// keys, sorted. A file that is missing, larger than
/// `max_bytes` or not JSON holds none.
pub fn stored_hosts(file: &Path, max_bytes: u64) -> Vec<String> {
    let Ok(text) = crate::fileutil::read_regular(file, max_bytes) else {
        return Vec::new();
    };
    let Ok(cfg) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let mut hosts: Vec<String> = Vec::new();
    for k in cfg
        .get("auths")
        .and_then(|a| a.as_object())
        .into_iter()
        .flat_map(|a| a.keys())
    {
        let h = to_hostname(k);
        if !h.is_empty() && !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    hosts
}

/// The credential `file` holds for `host`; a missing file holds none.
pub fn lookup_in(host: &str, file: &Path) -> Result<Credential, RegistryError> {
    let text = match crate::fileutil::read_regular(file, MAX_CONFIG_FILE_SIZE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credential::Anonymous),
        Err(source) => {
            return Err(RegistryError::CredentialsRead {
                path: file.to_path_buf(),
                source,
            })
        }
    };
    let cfg: serde_json::Value = if text.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(&text).map_err(|source| RegistryError::CredentialsJson {
            path: file.to_path_buf(),
            source,
        })?
    };
    let key = server_address(host);
    let helper = cfg
        .get("credHelpers")
        .and_then(|h| h.get(&key).or_else(|| h.get(host)))
        .or_else(|| cfg.get("credsStore"))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    if let Some(h) = helper {
        return from_helper(h, &key);
    }
    let Some(auths) = cfg.get("auths").and_then(|a| a.as_object()) else {
        return Ok(Credential::Anonymous);
    };
    let entry = auths.get(&key).or_else(|| {
        auths
            .iter()
            .find(|(k, _)| to_hostname(k) == key)
            .map(|(_, v)| v)
    });
    match entry {
        Some(e) => parse_entry(e).map_err(|problem| RegistryError::CredentialsEntry {
            path: file.to_path_buf(),
            key,
            problem,
        }),
        None => Ok(Credential::Anonymous),
    }
}

/// The key Docker and oras-go file credentials under: Docker Hub's legacy
/// address for docker.io, the host itself otherwise.
fn server_address(host: &str) -> String {
    match host {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" => {
            "https://index.docker.io/v1/".to_string()
        }
        h => h.to_string(),
    }
}

/// `credentials.ToHostname`: a key written as a URL matches its host.
fn to_hostname(key: &str) -> String {
    let k = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k).to_string()
}

/// What is wrong with an `auths` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("\"auth\" is not base64")]
    NotBase64,
    #[error("\"auth\" is not UTF-8")]
    NotUtf8,
    #[error("\"auth\" is not user:password")]
    NoColon,
}

fn parse_entry(e: &serde_json::Value) -> Result<Credential, EntryProblem> {
    let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let (mut username, mut password) = (field("username"), field("password"));
    let auth = field("auth");
    if !auth.is_empty() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| EntryProblem::NotBase64)?;
        let raw = String::from_utf8(raw).map_err(|_| EntryProblem::NotUtf8)?;
        let (u, p) = raw.split_once(':').ok_or(EntryProblem::NoColon)?;
        (username, password) = (u.to_string(), p.to_string());
    }
    let identity = field("identitytoken");
    let registry_token = field("registrytoken");
    Ok(if !registry_token.is_empty() {
        Credential::RegistryToken(Secret::from(registry_token))
    } else if !identity.is_empty() {
        Credential::IdentityToken {
            username,
            token: Secret::from(identity),
        }
    } else if !username.is_empty() || !password.is_empty() {
        Credential::Basic {
            username,
            password: Secret::from(password),
        }
    } else {
        Credential::Anonymous
    })
}

/// Runs `docker-credential-<helper> get` with the server address on stdin,
/// as Docker and oras-go do. "Not found" is no credential, not an error.
fn from_helper(helper: &str, server: &str) -> Result<Credential, RegistryError> {
    let program = format!("docker-credential-{helper}");
    crate::debug!("asking {program} for {server}");
    let fail = |problem: String| RegistryError::Helper {
        program: program.clone(),
        problem,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| RegistryError::HelperRun {
            program: program.clone(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|source| RegistryError::HelperRun {
            program: program.clone(),
            source,
        })?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if msg.contains("credentials not found") || out.stdout.is_empty() {
            return Ok(Credential::Anonymous);
        }
        // A helper's message is its own text, never the secret it guards.
        return Err(fail(format!("get failed: {}", first_line(&msg))));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| fail("get returned invalid JSON".to_string()))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let (user, secret) = (s("Username"), s("Secret"));
    Ok(if user == "<token>" {
        Credential::IdentityToken {
            username: String::new(),
            token: Secret::from(secret),
        }
    } else if user.is_empty() && secret.is_empty() {
        Credential::Anonymous
    } else {
        Credential::Basic {
            username: user,
            password: Secret::from(secret),
        }
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config.json");
        std::fs::write(&p, json).unwrap();
        (d, p)
    }

    #[test]
    fn auths_entries() {
        let (_d, p) = cfg(
            r#"{"auths":{"127.0.0.1:5001":{"auth":"dGVzdHVzZXI6dGVzdHBhc3M="},
                "https://reg.example:443/v2/":{"username":"u","password":"p"},
                "tok.example":{"identitytoken":"refresh"},
                "rt.example":{"registrytoken":"access"},
                "https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"}}}"#,
        );
        let basic = |u: &str, p: &str| Credential::Basic {
            username: u.into(),
            password: Secret::from(p),
        };
        assert_eq!(
            lookup_in("127.0.0.1:5001", &p).unwrap(),
            basic("testuser", "testpass")
        );
        assert_eq!(lookup_in("reg.example:443", &p).unwrap(), basic("u", "p"));
        assert_eq!(
            lookup_in("tok.example", &p).unwrap(),
            Credential::IdentityToken {
                username: String::new(),
                token: Secret::from("refresh")
            }
        );
        assert_eq!(
            lookup_in("rt.example", &p).unwrap(),
            Credential::RegistryToken(Secret::from("access"))
        );
        assert_eq!(lookup_in("docker.io", &p).unwrap(), basic("hub", "hubpw"));
        assert_eq!(lookup_in("other:1", &p).unwrap(), Credential::Anonymous);
        assert_eq!(
            lookup_in("x", Path::new("/nonexistent/config.json")).unwrap(),
            Credential::Anonymous
        );
    }

    #[test]
    fn broken_files_are_named_without_secrets() {
        let (_d, p) = cfg(r#"{"auths":{"h":{"auth":"not base64 secret!"}}}"#);
        let e = lookup_in("h", &p).unwrap_err().to_string();
        assert!(e.contains("config.json") && !e.contains("secret!"), "{e}");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credential::Basic {
            username: "u".into(),
            password: Secret::from("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
