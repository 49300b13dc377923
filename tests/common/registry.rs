//! A real OCI registry for the integration tests: distribution 2.8.2 (the
//! Debian `docker-registry` that `scripts/provision-peers.sh` installs),
//! started per test on 127.0.0.1 with filesystem storage in a temp dir.
//!
//! Options put it behind basic auth (htpasswd), TLS with a throwaway CA
//! (optionally requiring client certificates), or bearer tokens issued by
//! [`TokenServer`], an in-test token service the real registry trusts. A
//! [`FaultProxy`] can sit in front of a registry to inject HTTP failures.
//!
//! The `Registry` helpers (`manifest`, `tags`, `dangling`, ...) read the
//! registry as an administrator would, so a test can check what a client
//! really stored without trusting the client under test.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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
/// Socket read timeout of the in-test servers, so idle threads end.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

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

    fn get_manifest(
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

/// Path of a provisioned tool; fails the test (never skips) when missing.
fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("`{name}` is not installed: run scripts/provision-peers.sh"))
}

/// Runs a command to completion; fails the test with its output on error.
fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        lossy(&out.stderr)
    );
    out.stdout
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// Writes a bcrypt htpasswd file with one user.
fn write_htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let line = run(Command::new(tool("htpasswd")).args(["-Bbn", user, password]));
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

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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

// ---------------------------------------------------------------------------
// PKI
// ---------------------------------------------------------------------------

/// A throwaway CA with a server certificate (SAN `IP:127.0.0.1`,
/// `DNS:localhost`) and a client certificate (`CN=helm-test-client`), all
/// EC P-256 keys in PKCS#8 PEM. Certificates are X.509 v3 with the
/// extensions rustls and Go insist on (key identifiers, key usage,
/// extended key usage).
#[derive(Debug, Clone)]
pub struct Pki {
    pub dir: PathBuf,
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// openssl sections for the certificates the rig makes.
const OPENSSL_CNF: &str = "\
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
        run(openssl(
            dir,
            &["req", "-new", "-x509", "-key", "ca.key", "-out", "ca.pem"],
        )
        .args(["-days", "2", "-subj", "/CN=wharf-test-ca"])
        .args(["-config", "openssl.cnf", "-extensions", "ca"]));
        sign_leaf(dir, "server", "/CN=localhost");
        sign_leaf(dir, "client", "/CN=helm-test-client");
        Pki {
            dir: dir.to_path_buf(),
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
fn openssl(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(tool("openssl"));
    cmd.current_dir(dir).args(args);
    cmd
}

/// A fresh EC P-256 key (genpkey writes PKCS#8).
fn ec_key(dir: &Path, name: &str) {
    run(openssl(dir, &["genpkey", "-algorithm", "EC", "-out", name])
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
    run(
        openssl(dir, &["req", "-new", "-key", &key, "-subj", subject]).args([
            "-config",
            "openssl.cnf",
            "-out",
            &csr,
        ]),
    );
    run(openssl(
        dir,
        &[
            "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key",
        ],
    )
    .args(["-CAcreateserial", "-days", "2", "-sha256"])
    .args(["-extfile", "openssl.cnf", "-extensions", kind, "-out", &pem]));
}

// ---------------------------------------------------------------------------
// Token server
// ---------------------------------------------------------------------------

/// One request the [`TokenServer`] received, so tests can assert which
/// flow a client used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The form's `grant_type` (POST only).
    pub grant_type: Option<String>,
    /// Every `scope` value, space-separated lists split.
    pub scopes: Vec<String>,
    /// The user of an `Authorization: Basic` header, valid or not.
    pub basic_user: Option<String>,
    /// `client_id` from the query or form.
    pub client_id: Option<String>,
}

/// A bearer-token service (the Docker token protocol) the real registry
/// trusts: it issues RS256 JWTs whose `x5c` chains to the registry's
/// `rootcertbundle`, granting whatever scopes valid credentials ask for.
///
/// `GET /token?service&scope` takes HTTP Basic credentials; `POST /token`
/// takes an OAuth2 form with `grant_type=password` (username, password) or
/// `grant_type=refresh_token`. Missing or wrong credentials get 401; an
/// unknown `grant_type` or a `service` other than [`SERVICE`] gets 400.
/// Every request is recorded in `requests` first. The public fields
/// describe the server; changing them does not change what it accepts.
pub struct TokenServer {
    /// `http://127.0.0.1:PORT/token`.
    pub realm: String,
    pub service: String,
    pub issuer: String,
    pub user: String,
    pub password: String,
    pub refresh_token: String,
    /// The self-signed certificate (PEM) whose key signs the tokens; the
    /// registry's `rootcertbundle`.
    pub root_cert: PathBuf,
    /// Every request to `/token`, in arrival order.
    pub requests: Arc<Mutex<Vec<TokenRequest>>>,
    authority: Arc<Authority>,
    _acceptor: Acceptor,
    _dir: tempfile::TempDir,
}

impl TokenServer {
    /// Generates a signing key and certificate and starts serving on a free
    /// port of 127.0.0.1, with the fixed test credentials ([`USER`],
    /// [`PASSWORD`], [`REFRESH_TOKEN`]), [`SERVICE`] and [`ISSUER`].
    pub fn start() -> TokenServer {
        let dir = tempfile::tempdir().expect("token temp dir");
        std::fs::write(dir.path().join("openssl.cnf"), OPENSSL_CNF).unwrap();
        run(openssl(
            dir.path(),
            &["req", "-x509", "-newkey", "rsa:2048", "-nodes"],
        )
        .args(["-keyout", "signer.key", "-out", "signer.pem", "-days", "2"])
        .args(["-subj", "/CN=wharf-test-token-signer"])
        .args(["-config", "openssl.cnf", "-extensions", "signer"]));
        let root_cert = dir.path().join("signer.pem");
        let pem = std::fs::read_to_string(&root_cert).unwrap();
        let authority = Arc::new(Authority {
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            user: USER.into(),
            password: PASSWORD.into(),
            refresh_token: REFRESH_TOKEN.into(),
            key: dir.path().join("signer.key"),
            // A PEM body is the base64 (standard alphabet) of the DER.
            x5c: pem.lines().filter(|l| !l.starts_with("-----")).collect(),
        });
        let requests = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        let realm = format!("http://{}/token", listener.local_addr().unwrap());
        let (auth, log) = (authority.clone(), requests.clone());
        let acceptor = Acceptor::start(listener, move |stream| serve_token(stream, &auth, &log));
        TokenServer {
            realm,
            service: authority.service.clone(),
            issuer: authority.issuer.clone(),
            user: authority.user.clone(),
            password: authority.password.clone(),
            refresh_token: authority.refresh_token.clone(),
            root_cert,
            requests,
            authority,
            _acceptor: acceptor,
            _dir: dir,
        }
    }

    /// Mints a token for [`USER`] granting `scopes` (`repository:<name>:<actions>`
    /// or `registry:catalog:*`) directly, without HTTP and without being
    /// recorded in `requests`.
    pub fn issue(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.authority.issue(&self.authority.user, &scopes)
    }
}

/// What signs tokens and decides who gets them.
struct Authority {
    service: String,
    issuer: String,
    user: String,
    password: String,
    refresh_token: String,
    key: PathBuf,
    /// Base64 (standard) DER of the signing certificate.
    x5c: String,
}

impl Authority {
    /// A JWT for `sub` granting the requested scopes, signed RS256.
    fn issue(&self, sub: &str, scopes: &[String]) -> String {
        static JTI: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = json!({"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]});
        let claims = json!({
            "iss": self.issuer,
            "sub": sub,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": format!("wharf-{now}-{}", JTI.fetch_add(1, Ordering::Relaxed)),
            "access": scopes.iter().filter_map(|s| grant(s)).collect::<Vec<_>>(),
        });
        let signing_input = format!(
            "{}.{}",
            BASE64URL.encode(header.to_string().as_bytes()),
            BASE64URL.encode(claims.to_string().as_bytes())
        );
        let signature = self.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", BASE64URL.encode(&signature))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (= RS256) by `openssl dgst`.
    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut child = Command::new(tool("openssl"))
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openssl dgst");
        child.stdin.take().unwrap().write_all(data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl dgst: {}", lossy(&out.stderr));
        out.stdout
    }

    /// The user a token request authenticates as, or `None` (401).
    fn authenticate(
        &self,
        method: &str,
        params: &[(String, String)],
        basic: Option<&(String, String)>,
    ) -> Option<String> {
        let param = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let password_ok = |u: &str, p: &str| u == self.user && p == self.password;
        match (method, param("grant_type")) {
            ("GET", _) => basic
                .filter(|(u, p)| password_ok(u, p))
                .map(|(u, _)| u.clone()),
            ("POST", Some("password")) => {
                let (u, p) = (param("username")?, param("password")?);
                password_ok(u, p).then(|| u.to_string())
            }
            ("POST", Some("refresh_token")) => {
                (param("refresh_token")? == self.refresh_token).then(|| self.user.clone())
            }
            _ => None,
        }
    }
}

/// The `access` entry a scope asks for: `repository:<name>:<actions>` (a
/// name may contain `:` only before the actions; a `(class)` suffix on the
/// type is dropped) or `registry:catalog:*`. Unknown types get nothing.
fn grant(scope: &str) -> Option<Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let kind = kind.split('(').next().unwrap_or(kind);
    if kind != "repository" && kind != "registry" {
        return None;
    }
    let actions: Vec<&str> = actions.split(',').filter(|a| !a.is_empty()).collect();
    Some(json!({"type": kind, "name": name, "actions": actions}))
}

/// Answers one token request on `stream` (`Connection: close`).
fn serve_token(stream: TcpStream, authority: &Authority, log: &Mutex<Vec<TokenRequest>>) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    let request = match read_request(&mut reader, &mut writer) {
        Ok(Some(r)) => r,
        _ => return,
    };
    let (status, body) = token_response(&request, authority, log);
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    if status == 401 {
        head += "WWW-Authenticate: Basic realm=\"wharf-test-token\"\r\n";
    }
    let _ = writer.write_all(format!("{head}\r\n{body}").as_bytes());
    let _ = writer.shutdown(Shutdown::Both);
}

/// (status, JSON body) for a request to the token server.
fn token_response(
    request: &Request,
    authority: &Authority,
    log: &Mutex<Vec<TokenRequest>>,
) -> (u16, String) {
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    if path != "/token" {
        return (404, r#"{"error":"not_found"}"#.into());
    }
    let params = match request.method.as_str() {
        "GET" => parse_params(query),
        "POST" => parse_params(&lossy(&request.body)),
        _ => return (405, r#"{"error":"method_not_allowed"}"#.into()),
    };
    let basic = request.header("authorization").and_then(parse_basic);
    let param = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' '))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    log.lock().unwrap().push(TokenRequest {
        method: request.method.clone(),
        grant_type: if request.method == "POST" {
            param("grant_type")
        } else {
            None
        },
        scopes: scopes.clone(),
        basic_user: basic.as_ref().map(|(u, _)| u.clone()),
        client_id: param("client_id"),
    });
    if param("service").is_some_and(|s| s != authority.service) {
        return (
            400,
            r#"{"error":"invalid_request","error_description":"unknown service"}"#.into(),
        );
    }
    let grant_type = param("grant_type");
    let known_grant = matches!(grant_type.as_deref(), Some("password" | "refresh_token"));
    if request.method == "POST" && !known_grant {
        return (400, r#"{"error":"unsupported_grant_type"}"#.into());
    }
    let Some(user) = authority.authenticate(&request.method, &params, basic.as_ref()) else {
        return (401, r#"{"error":"unauthorized"}"#.into());
    };
    let token = authority.issue(&user, &scopes);
    let body = if request.method == "GET" {
        json!({"token": token, "access_token": token, "expires_in": 300})
    } else {
        json!({"access_token": token, "expires_in": 300})
    };
    (200, body.to_string())
}

/// (user, password) of an `Authorization: Basic ...` value.
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// `k=v&k=v` (query string or urlencoded form), percent- and `+`-decoded.
fn parse_params(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Fault proxy
// ---------------------------------------------------------------------------

/// What a [`FaultProxy`] does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it to the upstream and relay the answer.
    Pass,
    /// Answer this status with no body (429 and 503 carry `Retry-After: 0`),
    /// without contacting the upstream.
    Status(u16),
    /// Read the request, then close the connection without answering.
    Drop,
}

/// `(method, request target, status returned)` per request; status 0 for
/// [`Fault::Drop`], 502 when the upstream could not be reached.
pub type ProxyLog = Arc<Mutex<Vec<(String, String, u16)>>>;

/// A plain HTTP/1.1 reverse proxy in front of a registry that injects
/// failures by plan, to test how clients retry and recover. Client
/// connections are kept alive (reqwest pools them); each request goes
/// upstream on a fresh connection. Absolute `Location` headers naming the
/// upstream are rewritten to the proxy, so uploads keep going through it.
/// Stops accepting when dropped.
pub struct FaultProxy {
    /// `127.0.0.1:PORT`.
    pub host: String,
    pub log: ProxyLog,
    _acceptor: Acceptor,
}

/// Decides a request's fate from (request number, method, target).
type Plan = dyn Fn(usize, &str, &str) -> Fault + Send + Sync;

/// Per-connection view of the proxy's configuration.
struct ProxyState {
    upstream: String,
    own_host: String,
    plan: Box<Plan>,
    count: AtomicUsize,
    log: ProxyLog,
}

impl FaultProxy {
    /// Starts a proxy for `upstream` (`http://127.0.0.1:PORT`). `plan` gets
    /// the request number (0-based, over all connections, in arrival order),
    /// the method and the request target (path and query) and decides.
    pub fn start(
        upstream: &str,
        plan: impl Fn(usize, &str, &str) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("FaultProxy speaks plain HTTP only, not {upstream}"))
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let host = listener.local_addr().unwrap().to_string();
        let log = ProxyLog::default();
        let state = Arc::new(ProxyState {
            upstream,
            own_host: host.clone(),
            plan: Box::new(plan),
            count: AtomicUsize::new(0),
            log: log.clone(),
        });
        let acceptor = Acceptor::start(listener, move |stream| proxy_connection(stream, &state));
        FaultProxy {
            host,
            log,
            _acceptor: acceptor,
        }
    }

    /// `http://HOST`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }
}

/// Serves requests on one client connection until it closes.
fn proxy_connection(client: TcpStream, state: &ProxyState) {
    let _ = client.set_read_timeout(Some(IDLE_TIMEOUT));
    let Ok(read_half) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = client;
    while let Ok(Some(request)) = read_request(&mut reader, &mut writer) {
        let n = state.count.fetch_add(1, Ordering::SeqCst);
        let fault = (state.plan)(n, &request.method, &request.target);
        let record = |status: u16| {
            let entry = (request.method.clone(), request.target.clone(), status);
            state.log.lock().unwrap().push(entry);
        };
        let answer = match fault {
            Fault::Drop => {
                record(0);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::Status(status) => {
                record(status);
                status_only(status)
            }
            Fault::Pass => {
                let response = forward(&request, &state.upstream).unwrap_or_else(|e| {
                    let mut r = status_only(502);
                    r.body = e.to_string().into_bytes();
                    r
                });
                record(response.status);
                response
            }
        };
        let close = request.wants_close();
        let bytes = answer.serialize(&request.method, close, &state.upstream, &state.own_host);
        if writer.write_all(&bytes).is_err() || close {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// A bodiless answer the proxy makes up itself.
fn status_only(status: u16) -> Response {
    let mut headers = Vec::new();
    if status == 429 || status == 503 {
        headers.push(("Retry-After".to_string(), "0".to_string()));
    }
    Response {
        status,
        reason: reason(status).to_string(),
        headers,
        body: Vec::new(),
    }
}

/// Sends `request` upstream on a fresh connection and reads the whole
/// response.
fn forward(request: &Request, upstream: &str) -> io::Result<Response> {
    let mut conn = TcpStream::connect(upstream)?;
    conn.set_read_timeout(Some(IDLE_TIMEOUT))?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {upstream}\r\n",
        request.method, request.target
    );
    for (name, value) in &request.headers {
        let skip = ["host", "content-length", "expect"];
        if !is_hop_by_hop(name) && !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            head += &format!("{name}: {value}\r\n");
        }
    }
    if !request.body.is_empty() || matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") {
        head += &format!("Content-Length: {}\r\n", request.body.len());
    }
    head += "Connection: close\r\n\r\n";
    conn.write_all(head.as_bytes())?;
    conn.write_all(&request.body)?;
    let mut reader = BufReader::new(conn);
    let (status_line, headers) = read_head(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "upstream closed"))?;
    let mut parts = status_line.splitn(3, ' ').skip(1);
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.clone()))?;
    let reason = parts.next().unwrap_or("").to_string();
    let no_body = request.method == "HEAD" || matches!(status, 100..=199 | 204 | 304);
    let body = if no_body {
        Vec::new()
    } else if let Some(body) = read_framed_body(&mut reader, &headers)? {
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

/// Headers that describe one connection, not the message.
fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

// ---------------------------------------------------------------------------
// Minimal HTTP/1.1 plumbing for the in-test servers
// ---------------------------------------------------------------------------

/// Accept loop on its own thread, one thread per connection. Dropping it
/// stops accepting (connections already open finish on their own).
struct Acceptor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    fn start(
        listener: TcpListener,
        handle: impl Fn(TcpStream) + Send + Sync + 'static,
    ) -> Acceptor {
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let handle = handle.clone();
                    thread::spawn(move || handle(stream));
                }
            }
        });
        Acceptor {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocked accept so the loop sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A request as read off the wire, body de-chunked.
struct Request {
    method: String,
    target: String,
    version: String,
    headers: Headers,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the client asked to close the connection after this answer.
    fn wants_close(&self) -> bool {
        let connection = self.header("connection").unwrap_or("");
        connection.eq_ignore_ascii_case("close")
            || (self.version == "HTTP/1.0" && !connection.eq_ignore_ascii_case("keep-alive"))
    }
}

/// A response to relay (or made up), body complete.
struct Response {
    status: u16,
    reason: String,
    headers: Headers,
    body: Vec<u8>,
}

impl Response {
    /// Wire form for the client: hop-by-hop headers dropped, the body
    /// re-framed with Content-Length (kept as is for HEAD, 204 and 304,
    /// whose Content-Length describes a body not sent), `Location`s naming
    /// `upstream` pointed at `own_host`.
    fn serialize(&self, method: &str, close: bool, upstream: &str, own_host: &str) -> Vec<u8> {
        let keep_length = method == "HEAD" || matches!(self.status, 204 | 304);
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            if is_hop_by_hop(name) || (!keep_length && name.eq_ignore_ascii_case("content-length"))
            {
                continue;
            }
            let value = if name.eq_ignore_ascii_case("location") {
                value.replacen(&format!("//{upstream}"), &format!("//{own_host}"), 1)
            } else {
                value.clone()
            };
            head += &format!("{name}: {value}\r\n");
        }
        if !keep_length {
            head += &format!("Content-Length: {}\r\n", self.body.len());
        }
        if close {
            head += "Connection: close\r\n";
        }
        head += "\r\n";
        let mut bytes = head.into_bytes();
        if method != "HEAD" {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// Header (name, value) pairs in wire order.
type Headers = Vec<(String, String)>;

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads one request; `None` when the connection closed between requests.
/// A client that sent `Expect: 100-continue` is told to go on through
/// `interim` before the body is read.
fn read_request(
    reader: &mut impl BufRead,
    interim: &mut impl Write,
) -> io::Result<Option<Request>> {
    let Some((line, headers)) = read_head(reader)? else {
        return Ok(None);
    };
    let mut parts = line.split_whitespace();
    let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) => (m.to_string(), t.to_string(), v.to_string()),
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, line)),
    };
    let expect = find_header(&headers, "expect");
    if expect.is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = read_framed_body(reader, &headers)?.unwrap_or_default();
    Ok(Some(Request {
        method,
        target,
        version,
        headers,
        body,
    }))
}

/// Start line and headers; `None` on EOF before a start line.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<(String, Headers)>> {
    let mut line = String::new();
    // Tolerate empty lines before the start line (RFC 9112 section 2.2).
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let start = line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "in headers"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(Some((start, headers)));
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
}

/// A body framed by `Transfer-Encoding: chunked` or `Content-Length`;
/// `None` when neither is present.
fn read_framed_body(
    reader: &mut impl BufRead,
    headers: &[(String, String)],
) -> io::Result<Option<Vec<u8>>> {
    let chunked = find_header(headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(reader).map(Some);
    }
    let Some(length) = find_header(headers, "content-length") else {
        return Ok(None);
    };
    let length: usize = length
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(body))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            break;
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(&mut line)?; // CRLF after the chunk
    }
    // Trailers, up to the empty line.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(body);
        }
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}
