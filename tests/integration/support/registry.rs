//! A real OCI registry for the integration tests: distribution 2.8.2 (the
//! Debian `docker-registry` that `scripts/provision-peers.sh` installs),
//! started per test on 127.0.0.1 with filesystem storage in a temp dir.
//!
//! Options put it behind basic auth (htpasswd), TLS with a throwaway CA
//! (optionally requiring client certificates), or bearer tokens issued by
//! [`TokenServer`], an in-test token service the real registry trusts. A
//! `FaultProxy` (`super::fault_proxy`) can sit in front of a registry to
//! inject HTTP failures.
//!
//! The `Registry` helpers (`manifest`, `tags`, `dangling`, ...) read the
//! registry as an administrator would, so a test can check what a client
//! really stored without trusting the client under test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::pki::Pki;
use super::token::TokenServer;
use super::{lossy, ok, tool};

/// Test user for htpasswd and token registries.
pub const USER: &str = "alice";
/// Password of [`USER`].
pub const PASSWORD: &str = "s3cret-pass";
/// The refresh token the [`TokenServer`] accepts for [`USER`].
pub const REFRESH_TOKEN: &str = "refresh-xyz-123";
/// `service` of the token registries (the JWT audience).
pub const SERVICE: &str = "wharf-test-registry";
/// `issuer` of the token registries (the JWT `iss`).
pub const ISSUER: &str = "wharf-test-issuer";

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// How long a registry gets to answer `GET /v2/` after it is spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------

/// What a [`Registry`] is protected by. `Default` is plain HTTP, no auth.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Basic auth: the only (user, password) in the registry's htpasswd.
    pub htpasswd: Option<(String, String)>,
    /// Serve HTTPS with a certificate from a throwaway CA ([`Pki`]).
    pub tls: bool,
    /// Require client certificates signed by the CA (implies `tls`).
    pub client_certs: bool,
    /// Bearer-token auth; tokens come from the registry's [`TokenServer`].
    pub token: bool,
}

/// A `docker-registry` process with its own temp dir (config, storage, log,
/// keys). The process is killed when this is dropped.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Filesystem storage root (`storage.filesystem.rootdirectory`).
    pub storage: PathBuf,
    /// The CA and certificates, when serving TLS.
    pub pki: Option<Pki>,
    /// The token service the registry trusts, when `token` was asked for.
    pub token: Option<TokenServer>,
    /// The registry's `config.yml`.
    pub config: PathBuf,
    /// The registry's stdout and stderr (appended across restarts).
    pub log: PathBuf,
    credentials: Option<(String, String)>,
    htpasswd: Option<PathBuf>,
    client_certs: bool,
    child: Option<Child>,
    /// Client for the rig's own reads; rebuilt on restart so no pooled
    /// connection to the old process is reused.
    admin: Client,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry on a free port of 127.0.0.1 and waits until it
    /// answers `GET /v2/`. Fails the test (with the registry's log) when it
    /// does not come up within about 10 s.
    pub fn start(opts: RegistryOptions) -> Registry {
        let bin = tool("docker-registry");
        assert!(
            !(opts.token && opts.htpasswd.is_some()),
            "a registry has one auth method: choose htpasswd or token"
        );
        let dir = tempfile::tempdir().expect("registry temp dir");
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let tls = opts.tls || opts.client_certs;
        let pki = tls.then(|| Pki::generate(&dir.path().join("pki")));
        let htpasswd = opts
            .htpasswd
            .as_ref()
            .map(|(user, password)| write_htpasswd(dir.path(), user, password));
        let mut registry = Registry {
            host: String::new(),
            storage,
            admin: build_client(pki.as_ref(), opts.client_certs),
            pki,
            token: opts.token.then(TokenServer::start),
            config: dir.path().join("config.yml"),
            log: dir.path().join("registry.log"),
            credentials: opts.htpasswd,
            htpasswd,
            client_certs: opts.client_certs,
            child: None,
            _dir: dir,
        };
        // The port is free when we pick it but another process may take it
        // before the registry binds it: then try another one.
        for attempt in 1..=5 {
            registry.host = format!("127.0.0.1:{}", free_port());
            std::fs::write(&registry.config, registry.config_yaml()).unwrap();
            match registry.launch(&bin) {
                Ok(()) => return registry,
                Err(e) if e.port_taken && attempt < 5 => continue,
                Err(e) => registry.fail(&e.reason),
            }
        }
        unreachable!()
    }

    /// Kills the registry process (SIGKILL) and waits for it, as a crash
    /// would; storage is left as it is.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the registry again on the same port and storage (killing it
    /// first if it runs) and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        self.admin = build_client(self.pki.as_ref(), self.client_certs);
        let bin = tool("docker-registry");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.launch(&bin) {
                Ok(()) => return,
                Err(e) if e.port_taken && Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(200))
                }
                Err(e) => self.fail(&e.reason),
            }
        }
    }

    /// `http://HOST` or `https://HOST`.
    pub fn base_url(&self) -> String {
        let scheme = if self.pki.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    /// A fresh client that trusts only the throwaway CA (when TLS) and
    /// presents the client certificate (when client certificates are
    /// required). It adds no credentials.
    pub fn client(&self) -> Client {
        build_client(self.pki.as_ref(), self.client_certs)
    }

    /// The registry's log so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Adds administrator credentials to a request: the htpasswd user, or a
    /// token for `scope` minted by the [`TokenServer`] (without going
    /// through HTTP, so `TokenServer::requests` records only the client
    /// under test). Plain registries get the request unchanged.
    pub fn authorize(&self, request: RequestBuilder, scope: &str) -> RequestBuilder {
        if let Some((user, password)) = &self.credentials {
            request.basic_auth(user, Some(password))
        } else if let Some(token) = &self.token {
            request.bearer_auth(token.issue(&[scope]))
        } else {
            request
        }
    }

    /// GETs a manifest (`Accept: application/vnd.oci.image.manifest.v1+json`)
    /// with administrator credentials: `Some((raw bytes,
    /// Docker-Content-Digest))`, or `None` when the registry answers 404.
    pub fn manifest(&self, repo: &str, reference: &str) -> Option<(Vec<u8>, String)> {
        self.get_manifest(repo, reference, OCI_MANIFEST)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether `HEAD /v2/<repo>/blobs/<digest>` finds the blob.
    pub fn blob_exists(&self, repo: &str, digest: &str) -> bool {
        self.head_blob(repo, digest)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The repository's tags (`/v2/<repo>/tags/list`), sorted (the
    /// registry lists them in directory order); empty when the repository
    /// is unknown.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let path = format!("/v2/{repo}/tags/list");
        let scope = format!("repository:{repo}:pull");
        let mut tags = match self.admin_get(&path, &scope) {
            (404, _, _) => Vec::new(),
            (200, _, body) => string_list(&body, "tags"),
            (status, _, body) => panic!("GET {path}: {status} {}", lossy(&body)),
        };
        tags.sort();
        tags
    }

    /// Every repository, following the catalog's pagination (distribution
    /// 2.8.2 refuses pages over 1000 entries, so `n=10000` is not possible).
    pub fn catalog(&self) -> Vec<String> {
        let mut path = "/v2/_catalog?n=1000".to_string();
        let mut repositories = Vec::new();
        loop {
            let (status, next, body) = self.admin_get(&path, "registry:catalog:*");
            assert_eq!(status, 200, "GET {path}: {}", lossy(&body));
            repositories.extend(string_list(&body, "repositories"));
            match next {
                Some(next) => path = next,
                None => return repositories,
            }
        }
    }

    /// Checks that every tag of every repository resolves to a manifest
    /// whose config and layer blobs all exist (for an index: whose child
    /// manifests exist and are complete). Returns the problems found; empty
    /// means the registry is consistent.
    pub fn dangling(&self) -> Vec<String> {
        let accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(", ");
        let mut problems = Vec::new();
        for repo in self.catalog() {
            for tag in self.tags(&repo) {
                let label = format!("{repo}:{tag}");
                match self.get_manifest(&repo, &tag, &accept) {
                    Ok(Some((body, _))) => self.check_manifest(&repo, &label, &body, &mut problems),
                    Ok(None) => problems.push(format!("{label}: manifest not found")),
                    Err(e) => problems.push(format!("{label}: {e}")),
                }
            }
        }
        problems
    }

    /// Whether the filesystem driver's link file for `repo:tag` is missing
    /// or not a whole digest: what a registry killed while writing the tag
    /// leaves behind (it then lists the tag but answers 404 or 500 for it).
    pub fn tag_link_is_torn(&self, repo: &str, tag: &str) -> bool {
        let link = self
            .storage
            .join("docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests/tags")
            .join(tag)
            .join("current/link");
        let text = std::fs::read_to_string(link).unwrap_or_default();
        let hex = text.trim().strip_prefix("sha256:").unwrap_or("");
        !(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// Where the filesystem driver keeps a blob's bytes.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Uploads a blob with administrator credentials (see [`upload_blob`]);
    /// returns its digest. For seeding a registry.
    pub fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let scope = format!("repository:{repo}:pull,push");
        let auth = |r: RequestBuilder| self.authorize(r, &scope);
        upload_blob(&self.admin, &self.base_url(), repo, data, auth)
            .unwrap_or_else(|e| panic!("seeding {repo}: {e}"))
    }

    /// PUTs a manifest with administrator credentials (see
    /// [`put_manifest`]); returns its digest. For seeding a registry.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let scope = format!("repository:{repo}:pull,push");
        let auth = |r: RequestBuilder| self.authorize(r, &scope);
        put_manifest(
            &self.admin,
            &self.base_url(),
            repo,
            reference,
            media_type,
            body,
            auth,
        )
        .unwrap_or_else(|e| panic!("seeding {repo}:{reference}: {e}"))
    }

    /// The registry's configuration. Distribution has no log-file setting:
    /// `launch` sends its stdout and stderr to `log` instead. The HTTP
    /// secret is fixed so that uploads begun before `restart()` stay valid
    /// (their state is signed with it); upload purging is off so nothing
    /// touches storage behind a test's back.
    fn config_yaml(&self) -> String {
        let mut y = format!(
            r#"version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: "{storage}"
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {host}
  secret: wharf-test-http-secret
"#,
            storage = self.storage.display(),
            host = self.host
        );
        if let Some(pki) = &self.pki {
            y += &format!(
                r#"  tls:
    certificate: "{}"
    key: "{}"
"#,
                pki.server_cert.display(),
                pki.server_key.display()
            );
            if self.client_certs {
                y += &format!("    clientcas:\n      - \"{}\"\n", pki.ca_cert.display());
            }
        }
        if let Some(path) = &self.htpasswd {
            y += &format!(
                r#"auth:
  htpasswd:
    realm: wharf-test
    path: "{}"
"#,
                path.display()
            );
        }
        if let Some(t) = &self.token {
            y += &format!(
                r#"auth:
  token:
    realm: "{}"
    service: {}
    issuer: {}
    rootcertbundle: "{}"
"#,
                t.realm,
                t.service,
                t.issuer,
                t.root_cert.display()
            );
        }
        y
    }

    /// Spawns the process and waits for it to answer.
    fn launch(&mut self, bin: &Path) -> Result<(), LaunchError> {
        let log_start = std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("registry log");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // REGISTRY_* variables override the config file.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("REGISTRY_") {
                cmd.env_remove(k);
            }
        }
        self.child = Some(cmd.spawn().expect("spawn docker-registry"));
        let result = self.wait_ready();
        if let Err(reason) = result {
            self.kill();
            let new_log = self.log_text().get(log_start..).unwrap_or("").to_string();
            let port_taken = new_log.contains("address already in use");
            return Err(LaunchError { reason, port_taken });
        }
        Ok(())
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = format!("{}/v2/", self.base_url());
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                return Err(format!("docker-registry exited ({status})"));
            }
            let probe = self.admin.get(&url).timeout(Duration::from_secs(2)).send();
            if probe.is_ok_and(|r| matches!(r.status().as_u16(), 200 | 401)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer to GET {url} within {READY_TIMEOUT:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn fail(&self, reason: &str) -> ! {
        panic!(
            "registry on {}: {reason}\n--- config:\n{}\n--- log:\n{}",
            self.host,
            std::fs::read_to_string(&self.config).unwrap_or_default(),
            self.log_text()
        )
    }

    /// GET with administrator credentials: (status, path of the next page
    /// from a `Link: <...>; rel="next"` header, body).
    fn admin_get(&self, path: &str, scope: &str) -> (u16, Option<String>, Vec<u8>) {
        let url = format!("{}{path}", self.base_url());
        let response = self
            .authorize(self.admin.get(&url), scope)
            .send()
            .unwrap_or_else(|e| panic!("GET {url}: {e}\n--- log:\n{}", self.log_text()));
        let status = response.status().as_u16();
        let link = header_str(response.headers(), "Link");
        let next = link
            .split_once('<')
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(target, _)| target.to_string());
        (
            status,
            next,
            response.bytes().expect("response body").to_vec(),
        )
    }

    /// GETs a manifest as `accept`, with administrator credentials.
    pub fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
    ) -> Result<Option<(Vec<u8>, String)>, String> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base_url());
        let scope = format!("repository:{repo}:pull,push");
        let request = self.authorize(self.admin.get(&url), &scope);
        let response = request
            .header("Accept", accept)
            .send()
            .map_err(|e| format!("GET {url}: {e}"))?;
        match response.status().as_u16() {
            404 => Ok(None),
            200 => {
                let digest = header_str(response.headers(), "Docker-Content-Digest");
                let body = response.bytes().map_err(|e| format!("GET {url}: {e}"))?;
                Ok(Some((body.to_vec(), digest)))
            }
            status => Err(format!(
                "GET {url}: {status} {}",
                response.text().unwrap_or_default()
            )),
        }
    }

    fn head_blob(&self, repo: &str, digest: &str) -> Result<bool, String> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base_url());
        let scope = format!("repository:{repo}:pull");
        let response = self
            .authorize(self.admin.head(&url), &scope)
            .send()
            .map_err(|e| format!("HEAD {url}: {e}"))?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(format!("HEAD {url}: {status}")),
        }
    }

    /// Adds to `problems` what `manifest` references but the registry lacks.
    fn check_manifest(&self, repo: &str, label: &str, manifest: &[u8], problems: &mut Vec<String>) {
        let v: Value = match serde_json::from_slice(manifest) {
            Ok(v) => v,
            Err(e) => return problems.push(format!("{label}: manifest is not JSON: {e}")),
        };
        let digests = |list: &Value| -> Vec<String> {
            let items = list.as_array().into_iter().flatten();
            items
                .filter_map(|d| d["digest"].as_str().map(String::from))
                .collect()
        };
        let config = v["config"]["digest"].as_str().map(String::from);
        let mut blobs: Vec<(&str, String)> = config.map(|d| ("config", d)).into_iter().collect();
        blobs.extend(digests(&v["layers"]).into_iter().map(|d| ("layer", d)));
        for (what, digest) in blobs {
            match self.head_blob(repo, &digest) {
                Ok(true) => {}
                Ok(false) => problems.push(format!("{label}: {what} blob {digest} is missing")),
                Err(e) => problems.push(format!("{label}: {what} blob {digest}: {e}")),
            }
        }
        let accept = [OCI_MANIFEST, DOCKER_MANIFEST].join(", ");
        for child in digests(&v["manifests"]) {
            let child_label = format!("{label} -> {child}");
            match self.get_manifest(repo, &child, &accept) {
                Ok(Some((body, _))) => self.check_manifest(repo, &child_label, &body, problems),
                Ok(None) => problems.push(format!("{child_label}: manifest not found")),
                Err(e) => problems.push(format!("{child_label}: {e}")),
            }
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

struct LaunchError {
    reason: String,
    port_taken: bool,
}

/// A port of 127.0.0.1 that was free a moment ago, for a server that binds
/// it itself. It lies below the kernel's ephemeral range, so that neither
/// another server binding port 0 nor an outgoing connection of this or
/// another process can take it before the registry binds it, or while it is
/// down between `kill()` and `restart()`.
pub fn free_port() -> u16 {
    const LOWEST: u16 = 10_000;
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .filter(|&p| p > LOWEST + 1000)
        .unwrap_or(32_768);
    let span = u64::from(ephemeral - LOWEST);
    // Start somewhere different in every call and every process.
    let seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    };
    (0..span)
        .map(|i| LOWEST + ((seed + i) % span) as u16)
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("no free port on 127.0.0.1 below the ephemeral range")
}

/// Writes a bcrypt htpasswd file with one user.
fn write_htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let line = ok(Command::new(tool("htpasswd")).args(["-Bbn", user, password]));
    let path = dir.join("htpasswd");
    std::fs::write(&path, line).unwrap();
    path
}

fn build_client(pki: Option<&Pki>, client_certs: bool) -> Client {
    let mut builder = Client::builder().timeout(Duration::from_secs(30));
    if let Some(pki) = pki {
        let ca = std::fs::read(&pki.ca_cert).unwrap();
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA certificate"));
        if client_certs {
            builder = builder.identity(pki.client_identity());
        }
    }
    builder.build().expect("reqwest client")
}

fn header_str(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The strings of `key` in a JSON object (`null` or absent: none).
fn string_list(body: &[u8], key: &str) -> Vec<String> {
    let v: Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", lossy(body)));
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Pushing
// ---------------------------------------------------------------------------

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    let hash = Sha256::digest(data);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// An OCI image manifest for a config and layers given as (media type,
/// bytes), in a fixed serialisation.
pub fn oci_manifest(config: (&str, &[u8]), layers: &[(&str, &[u8])]) -> Vec<u8> {
    let descriptor = |(media_type, data): (&str, &[u8])| json!({"mediaType": media_type, "digest": sha256_digest(data), "size": data.len()});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(config),
        "layers": layers.iter().map(|l| descriptor(*l)).collect::<Vec<_>>(),
    });
    serde_json::to_vec(&manifest).unwrap()
}

/// Resolves an upload `Location` (absolute, or a path) against `base`.
pub fn resolve_location(base: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_string()
    }
}

/// Monolithic blob upload as registry clients do it: `POST
/// /v2/<repo>/blobs/uploads/`, then `PUT <Location>&digest=...` with the
/// bytes. `auth` is applied to both requests; `base` may be a proxy.
/// Returns the digest, or the failing step.
pub fn upload_blob(
    client: &Client,
    base: &str,
    repo: &str,
    data: &[u8],
    auth: impl Fn(RequestBuilder) -> RequestBuilder,
) -> Result<String, String> {
    let digest = sha256_digest(data);
    let url = format!("{base}/v2/{repo}/blobs/uploads/");
    let started = auth(client.post(&url))
        .send()
        .map_err(|e| format!("POST {url}: {e}"))?;
    if started.status().as_u16() != 202 {
        return Err(format!("POST {url}: {}", started.status()));
    }
    let location = header_str(started.headers(), "Location");
    let separator = if location.contains('?') { '&' } else { '?' };
    let put_url = format!(
        "{}{separator}digest={digest}",
        resolve_location(base, &location)
    );
    let put = auth(client.put(&put_url))
        .header("Content-Type", "application/octet-stream")
        .body(data.to_vec())
        .send()
        .map_err(|e| format!("PUT {put_url}: {e}"))?;
    if put.status().as_u16() != 201 {
        return Err(format!(
            "PUT {put_url}: {} {}",
            put.status(),
            put.text().unwrap_or_default()
        ));
    }
    Ok(digest)
}

/// `PUT /v2/<repo>/manifests/<reference>`; returns the
/// `Docker-Content-Digest` the registry answers.
pub fn put_manifest(
    client: &Client,
    base: &str,
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &[u8],
    auth: impl Fn(RequestBuilder) -> RequestBuilder,
) -> Result<String, String> {
    let url = format!("{base}/v2/{repo}/manifests/{reference}");
    let response = auth(client.put(&url))
        .header("Content-Type", media_type)
        .body(body.to_vec())
        .send()
        .map_err(|e| format!("PUT {url}: {e}"))?;
    if response.status().as_u16() != 201 {
        let status = response.status();
        return Err(format!(
            "PUT {url}: {status} {}",
            response.text().unwrap_or_default()
        ));
    }
    Ok(header_str(response.headers(), "Docker-Content-Digest"))
}
