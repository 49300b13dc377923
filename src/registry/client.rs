//! A registry client for the distribution API calls a chart push needs.
//!
//! oci-client (the maintained successor of oci-distribution) was the first
//! candidate; it cannot present client certificates (`--cert-file`), has no
//! retries, no OAuth2 refresh-token exchange, re-serialises manifests, and
//! would bring a second HTTP stack (reqwest 0.13, tokio) beside the one the
//! other plugins use. The calls needed are few (HEAD and monolithic
//! POST-then-PUT for blobs, HEAD/GET/PUT for manifests, the token exchange),
//! so they are made here directly, in the exact shape Helm uses.
//!
//! Every call goes through [`Client::call`], which adds credentials after the
//! registry's first challenge (Basic, or Bearer tokens cached per repository
//! with `pull,push` scope requested up front), and retries with exponential
//! backoff on connection errors, 429 and 5xx. Secrets go only into
//! `Authorization` headers and token requests; nothing logged or returned in
//! an error contains them.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::{Body, RequestBuilder, Response};
use reqwest::header::{
    HeaderMap, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};

use super::credentials::Credential;
use super::manifest::{Blob, INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE};
use super::RegistryError;
use crate::net::{self, describe, BodyError, HttpOptions, SafeUrl, Unanswered};

/// The largest manifest read into memory: Helm's limit (4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The largest token service answer read into memory.
pub const MAX_TOKEN_RESPONSE_BYTES: u64 = 1 << 20;
/// The longest a bearer token is reused, whatever its stated lifetime.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How to reach the registry.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Speak plain HTTP to the registry. TLS options still apply to an
    /// HTTPS token service.
    pub plain_http: bool,
    pub insecure_skip_tls_verify: bool,
    /// Trust only these CAs, as Helm's `--ca-file` does.
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Attempts after the first one for a failing call.
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub backoff: Duration,
    /// The longest one request may take, answer included: with `retries`,
    /// what bounds a registry that answers one byte at a time.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            plain_http: false,
            insecure_skip_tls_verify: false,
            ca_file: None,
            cert_file: None,
            key_file: None,
            retries: 5,
            backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(300),
        }
    }
}

/// A manifest or index as the registry served it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// `sha256:` of the bytes (not the registry's word for it).
    pub digest: String,
    /// The `Content-Type` the registry gave, without parameters.
    pub media_type: String,
}

/// A response's media type, without parameters.
fn content_type(r: &Response) -> String {
    r.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
        .unwrap_or_default()
}

/// The authentication scheme a registry asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer { realm: String, service: String },
}

#[derive(Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by scope, with the time they stop being used.
    tokens: HashMap<String, (String, Instant)>,
}

/// A client for one registry host, shared by all upload threads.
pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    host: String,
    credential: Credential,
    auth: Mutex<AuthState>,
    /// Whether the registry has answered any request of this run, so that
    /// a refused connection afterwards is a restart worth waiting for.
    reached: AtomicBool,
    retries: u32,
    backoff: Duration,
    timeout: Duration,
    /// Repositories whose referrers request got a 404: the registry has no
    /// referrers API there, and is not asked again in this run.
    no_referrers: Mutex<std::collections::HashSet<String>>,
}

/// What one request carried, to tell after a 401 whether credentials were
/// refused or the request went out before the challenge was known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Nothing,
    Basic,
    Bearer { challenge: Challenge, token: String },
}

/// Why one attempt failed: worth another try, or not.
enum Failure {
    Transient(String, Option<Duration>),
    Fatal(RegistryError),
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        Failure::Fatal(e)
    }
}

/// A request body that can be sent again on retry without copying.
type Payload = Option<(Arc<[u8]>, &'static str)>;

impl Client {
    pub fn new(
        host: &str,
        credential: Credential,
        opts: &ClientOptions,
    ) -> Result<Client, RegistryError> {
        let cert_and_key = match (&opts.cert_file, &opts.key_file) {
            (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
            (None, None) => None,
            _ => return Err(RegistryError::CertWithoutKey),
        };
        let http = net::client(&HttpOptions {
            insecure_skip_tls_verify: opts.insecure_skip_tls_verify,
            ca_file: opts.ca_file.as_deref(),
            ca_only: true,
            cert_and_key,
            max_idle_per_host: Some(32),
            timeout: Some(opts.timeout),
            no_redirects: false,
        })?;
        let scheme = if opts.plain_http { "http" } else { "https" };
        Ok(Client {
            http,
            base: format!("{scheme}://{host}"),
            host: host.to_string(),
            credential,
            auth: Mutex::new(AuthState::default()),
            reached: AtomicBool::new(false),
            retries: opts.retries,
            backoff: opts.backoff,
            timeout: opts.timeout,
            no_referrers: Mutex::default(),
        })
    }

    /// Whether the blob is in the repository already.
    pub fn blob_exists(&self, repo: &str, digest: &str) -> Result<bool, RegistryError> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        self.retrying(&format!("check blob {digest}"), || {
            let r = self.call(Method::HEAD, &url, repo, None, &[])?;
            match r.status() {
                s if s.is_success() => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                _ => Err(self.unexpected(r, "checking a blob").into()),
            }
        })
    }

    /// Uploads a blob as Helm does: POST an upload session, then PUT the
    /// whole content with its digest. A failed PUT restarts with a new
    /// session, since the old one may be gone with a restarted registry.
    pub fn upload_blob(&self, repo: &str, blob: &Blob) -> Result<(), RegistryError> {
        let start = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        self.retrying(&format!("upload blob {}", blob.digest), || {
            let r = self.call(Method::POST, &start, repo, None, &[])?;
            if r.status() != StatusCode::ACCEPTED {
                return Err(self.unexpected(r, "starting a blob upload").into());
            }
            let location = r
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| self.error("blob upload started without a Location header"))?;
            let mut url = url::Url::parse(&start)
                .and_then(|base| base.join(location))
                .map_err(|_| self.error("blob upload started with an invalid Location header"))?
                .to_string();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("digest=");
            url.push_str(&blob.digest.replace(':', "%3A"));
            let body = Some((blob.data.clone(), "application/octet-stream"));
            let r = self.call(Method::PUT, &url, repo, body, &[])?;
            match r.status() {
                StatusCode::CREATED | StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
                StatusCode::NOT_FOUND => {
                    Err(Failure::Transient("upload session lost".into(), None))
                }
                _ => Err(self.unexpected(r, "uploading a blob").into()),
            }
        })
    }

    /// The digest a tag points at, or `None` if the tag does not exist.
    pub fn manifest_digest(&self, repo: &str, tag: &str) -> Result<Option<String>, RegistryError> {
        Ok(self.get_manifest(repo, tag)?.map(|(_, d)| d))
    }

    /// The manifest a tag or digest names, with its digest.
    pub fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<(Vec<u8>, String)>, RegistryError> {
        Ok(self
            .get_manifest_as(repo, reference, MANIFEST_MEDIA_TYPE)?
            .map(|m| (m.bytes, m.digest)))
    }

    /// The manifest or index a tag or digest names, asked for as the media
    /// types in `accept` (comma-separated), with its digest and the media
    /// type the registry gave.
    pub fn get_manifest_as(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
    ) -> Result<Option<Fetched>, RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let accept = [("accept", accept)];
        self.retrying(&format!("read manifest {repo}:{reference}"), || {
            let r = self.call(Method::GET, &url, repo, None, &accept)?;
            match r.status() {
                s if s.is_success() => Ok(Some(self.fetched(r, "manifest")?)),
                StatusCode::NOT_FOUND => Ok(None),
                _ => Err(self.unexpected(r, "reading a manifest").into()),
            }
        })
    }

    /// The referrers API's index of the manifests whose `subject` is
    /// `digest`, or `None` when the registry does not serve the API (a 404,
    /// as registries without it answer, or a 405).
    pub fn referrers(&self, repo: &str, digest: &str) -> Result<Option<Fetched>, RegistryError> {
        let absent = || self.no_referrers.lock().unwrap_or_else(|p| p.into_inner());
        if absent().contains(repo) {
            return Ok(None);
        }
        let url = format!("{}/v2/{repo}/referrers/{digest}", self.base);
        let accept = [("accept", INDEX_MEDIA_TYPE)];
        self.retrying(&format!("read the referrers of {repo}@{digest}"), || {
            let r = self.call(Method::GET, &url, repo, None, &accept)?;
            match r.status() {
                // Some registries answer unknown paths with a page.
                StatusCode::OK if content_type(&r) != INDEX_MEDIA_TYPE => Ok(None),
                StatusCode::OK => Ok(Some(self.fetched(r, "referrers index")?)),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                    absent().insert(repo.to_string());
                    Ok(None)
                }
                _ => Err(self.unexpected(r, "reading referrers").into()),
            }
        })
    }

    /// A manifest or index answer, read within [`MAX_MANIFEST_BYTES`].
    fn fetched(&self, r: Response, what: &str) -> Result<Fetched, Failure> {
        let media_type = content_type(&r);
        let bytes = self.read_body(r, MAX_MANIFEST_BYTES, what)?;
        Ok(Fetched {
            digest: crate::chart::sha256_digest(&bytes),
            bytes,
            media_type,
        })
    }

    /// The blob `digest` names, read into memory up to `limit` bytes and
    /// checked against its digest (only `sha256:` digests are read).
    pub fn get_blob(&self, repo: &str, digest: &str, limit: u64) -> Result<Vec<u8>, RegistryError> {
        if !digest.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }) {
            return Err(self.error(&format!("blob digest {digest:?} is not a sha256 digest")));
        }
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        self.retrying(&format!("read blob {digest}"), || {
            let r = self.call(Method::GET, &url, repo, None, &[])?;
            match r.status() {
                s if s.is_success() => {
                    let body = self.read_body(r, limit, "blob")?;
                    let got = crate::chart::sha256_digest(&body);
                    if got != digest {
                        return Err(self
                            .error(&format!("blob {digest} arrived with digest {got}"))
                            .into());
                    }
                    Ok(body)
                }
                StatusCode::NOT_FOUND => Err(self
                    .error(&format!("blob {digest} is not in {repo}"))
                    .into()),
                _ => Err(self.unexpected(r, "reading a blob").into()),
            }
        })
    }

    /// PUTs the manifest bytes under `tag`. Its blobs must be in place. A
    /// registry that says it stored other bytes (by its
    /// `Docker-Content-Digest`) is an error, not a success.
    pub fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        manifest: &[u8],
    ) -> Result<(), RegistryError> {
        self.put_manifest_as(repo, tag, manifest, MANIFEST_MEDIA_TYPE)
            .map(|_| ())
    }

    /// PUTs a manifest or index of `media_type` under a tag or its digest.
    /// Whether the registry answered with `OCI-Subject`, which says it
    /// indexed the manifest's `subject` for the referrers API.
    pub fn put_manifest_as(
        &self,
        repo: &str,
        reference: &str,
        manifest: &[u8],
        media_type: &'static str,
    ) -> Result<bool, RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let data: Arc<[u8]> = manifest.into();
        let expected = crate::chart::sha256_digest(manifest);
        self.retrying(&format!("push manifest {repo}:{reference}"), || {
            let r = self.call(
                Method::PUT,
                &url,
                repo,
                Some((data.clone(), media_type)),
                &[],
            )?;
            match r.status() {
                StatusCode::CREATED | StatusCode::OK | StatusCode::ACCEPTED => {
                    let stored = r
                        .headers()
                        .get("docker-content-digest")
                        .and_then(|d| d.to_str().ok());
                    match stored {
                        Some(d) if d != expected => Err(self
                            .error(&format!(
                                "the registry stored {repo}:{reference} as {d}, not {expected}"
                            ))
                            .into()),
                        _ => Ok(r.headers().contains_key("oci-subject")),
                    }
                }
                _ => Err(self.unexpected(r, "pushing the manifest").into()),
            }
        })
    }

    /// Runs `f` until it succeeds, fails for good, or retries run out.
    fn retrying<T>(
        &self,
        what: &str,
        f: impl Fn() -> Result<T, Failure>,
    ) -> Result<T, RegistryError> {
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(why, retry_after)) => {
                    if attempt >= self.retries {
                        return Err(self.error(&format!(
                            "{what}: {why} (gave up after {} attempts)",
                            attempt + 1
                        )));
                    }
                    attempt += 1;
                    let pause = retry_after.unwrap_or(wait).min(Duration::from_secs(30));
                    crate::debug!(
                        "{what}: {why}; retry {attempt}/{} in {pause:?}",
                        self.retries
                    );
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(Duration::from_secs(8));
                }
            }
        }
    }

    /// One request, authenticated as the registry asks. Connection errors,
    /// 429 and 5xx are transient; any other status goes to the caller.
    ///
    /// A 401 is a refusal only when the request carried what the registry's
    /// challenge asks for: requests sent in parallel before the first
    /// challenge was learned are sent again with credentials. Credentials go
    /// only to the registry's own scheme, host and port; an upload location
    /// elsewhere gets the request without them.
    fn call(
        &self,
        method: Method,
        url: &str,
        repo: &str,
        body: Payload,
        headers: &[(&str, &str)],
    ) -> Result<Response, Failure> {
        let own = same_origin(url, &self.base);
        let path = if own {
            url.split('?')
                .next()
                .unwrap_or(url)
                .trim_start_matches(&self.base)
                .to_string()
        } else {
            format!("{} (outside the registry)", SafeUrl::from(url))
        };
        let mut fresh_token = false;
        for _ in 0..4 {
            let mut req = self.http.request(method.clone(), url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req = match &body {
                Some((data, content_type)) => req
                    .header(CONTENT_TYPE, *content_type)
                    .header(CONTENT_LENGTH, data.len())
                    .body(Body::sized(Cursor::new(data.clone()), data.len() as u64)),
                None if method == Method::POST || method == Method::PUT => {
                    req.header(CONTENT_LENGTH, 0)
                }
                None => req,
            };
            let (req, sent) = if own {
                self.authorize(req, repo)?
            } else {
                (req, Sent::Nothing)
            };
            let resp = req
                .send()
                .map_err(|e| self.unanswered(&method, &path, &e))?;
            self.reached.store(true, Ordering::Relaxed);
            let status = resp.status();
            crate::debug!(
                "{method} {}{path}: {status}",
                if own { &self.host } else { "" }
            );
            if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT
                || status.is_server_error()
            {
                return Err(Failure::Transient(
                    // What failed is named by the caller; the path (with the
                    // digest again) is in the debug log.
                    status.to_string(),
                    retry_after(resp.headers()),
                ));
            }
            if status != StatusCode::UNAUTHORIZED {
                return Ok(resp);
            }
            // Redirects are followed without credentials (reqwest drops them
            // for another host); a server elsewhere asking for them is an error.
            if !own || !same_origin(resp.url().as_str(), &self.base) {
                return Err(self
                    .error(&format!(
                        "{method} {path}: {} asks for credentials; registry credentials are sent only to {}",
                        SafeUrl::from(resp.url().as_str()),
                        self.base
                    ))
                    .into());
            }
            let Some(challenge) = parse_challenge(resp.headers()) else {
                return Err(self
                    .error("401 Unauthorized without a WWW-Authenticate challenge")
                    .into());
            };
            let mut st = self.auth.lock().unwrap_or_else(|p| p.into_inner());
            if st.challenge.as_ref() != Some(&challenge) {
                crate::debug!(
                    "{} asks for {} authentication",
                    self.host,
                    scheme_name(&challenge)
                );
                st.challenge = Some(challenge);
                st.tokens.clear();
                continue;
            }
            match sent {
                // Sent before the challenge was known, or under another.
                Sent::Nothing => continue,
                Sent::Bearer {
                    challenge: used, ..
                } if used != challenge => continue,
                Sent::Bearer { token, .. } if !fresh_token => {
                    // The token may have expired early; get a new one once,
                    // unless another request has already replaced it.
                    let scope = push_scope(repo);
                    if st.tokens.get(&scope).is_some_and(|(t, _)| *t == token) {
                        st.tokens.remove(&scope);
                    }
                    fresh_token = true;
                }
                _ => return Err(self.denied(true).into()),
            }
        }
        Err(self.denied(true).into())
    }

    /// The failure for a request that got no answer: permanent when trying
    /// again cannot help (a wrong scheme, host or certificate).
    fn unanswered(&self, method: &Method, path: &str, e: &reqwest::Error) -> Failure {
        let cause = net::classify(e);
        let mut why = describe(e);
        if cause == Unanswered::PlainHttp {
            why.push_str("; pass --plain-http for this registry");
        }
        if cause.is_permanent(self.reached.load(Ordering::Relaxed)) {
            Failure::Fatal(self.error(&why))
        } else {
            crate::debug!("{method} {path}: {why}");
            Failure::Transient(why, None)
        }
    }

    /// Reads a response body into memory, refusing one over `limit` bytes
    /// (a cap is not a transient error: the same server sends the same).
    fn read_body(&self, r: Response, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
        if r.content_length().is_some_and(|n| n > limit) {
            return Err(self.too_large(what, limit).into());
        }
        let deadline = Instant::now() + self.timeout;
        net::read_body(r, limit, deadline).map_err(|e| match e {
            BodyError::TooLarge => self.too_large(what, limit).into(),
            BodyError::TimedOut => Failure::Transient(
                format!("reading the {what}: timed out after {:?}", self.timeout),
                None,
            ),
            BodyError::Io(e) => Failure::Transient(format!("reading the {what}: {e}"), None),
        })
    }

    fn too_large(&self, what: &str, limit: u64) -> RegistryError {
        self.error(&format!(
            "the {what} is larger than {} MiB, the most read into memory",
            limit >> 20
        ))
    }

    /// Adds the `Authorization` header the known challenge calls for, and
    /// says what was sent.
    fn authorize(
        &self,
        req: RequestBuilder,
        repo: &str,
    ) -> Result<(RequestBuilder, Sent), Failure> {
        let challenge = self
            .auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .challenge
            .clone();
        match challenge {
            None => Ok((req, Sent::Nothing)),
            Some(Challenge::Basic) => match &self.credential {
                Credential::Basic { username, password } => {
                    Ok((req.basic_auth(username, Some(password.expose())), Sent::Basic))
                }
                Credential::Anonymous => Err(self.denied(false).into()),
                _ => Err(self
                    .error("the registry asks for a username and password, but the stored credential is a token")
                    .into()),
            },
            Some(c @ Challenge::Bearer { .. }) => {
                let Challenge::Bearer { realm, service } = &c else {
                    unreachable!()
                };
                let token = self.token(realm, service, &push_scope(repo))?;
                let req = req.header(AUTHORIZATION, format!("Bearer {token}"));
                Ok((req, Sent::Bearer { challenge: c, token }))
            }
        }
    }

    /// A bearer token for `scope`, from the cache or the token service.
    fn token(&self, realm: &str, service: &str, scope: &str) -> Result<String, Failure> {
        if let Credential::RegistryToken(t) = &self.credential {
            return Ok(t.expose().to_string());
        }
        let mut st = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, until)) = st.tokens.get(scope) {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let shown = SafeUrl::from(realm);
        // A registry spoken to over HTTPS that names a plain-HTTP token
        // service would have the credentials cross the network in clear.
        let clear = realm
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://"));
        if clear && !self.base.starts_with("http://") && self.credential != Credential::Anonymous {
            return Err(self
                .error(&format!(
                    "the registry's token service {shown} is plain HTTP; credentials are not sent \
                     over it (only with --plain-http)"
                ))
                .into());
        }
        let params = [("service", service), ("scope", scope)];
        let req = match &self.credential {
            Credential::IdentityToken { token, .. } => self.http.post(realm).form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token.expose()),
                ("client_id", "helm-wharf"),
                ("service", service),
                ("scope", scope),
            ]),
            Credential::Basic { username, password } => self
                .http
                .get(realm)
                .query(&params)
                .basic_auth(username, Some(password.expose())),
            _ => self.http.get(realm).query(&params),
        };
        let resp = req.send().map_err(|e| {
            let cause = net::classify(&e);
            let why = format!("token service {shown}: {}", describe(&e));
            if cause.is_permanent(false) {
                Failure::Fatal(self.error(&why))
            } else {
                Failure::Transient(why, None)
            }
        })?;
        let status = resp.status();
        crate::debug!(
            "token for {scope} from {shown} ({}): {status}",
            self.credential.kind()
        );
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Failure::Transient(
                format!("token service {shown}: {status}"),
                retry_after(resp.headers()),
            ));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(self.denied(self.credential != Credential::Anonymous).into());
        }
        if !status.is_success() {
            return Err(self
                .error(&format!("token service {shown} answered {status}"))
                .into());
        }
        let body = self.read_body(resp, MAX_TOKEN_RESPONSE_BYTES, "token service's answer")?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| self.error(&format!("token service {shown} answered invalid JSON")))?;
        let token = ["access_token", "token"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|t| t.as_str()).filter(|t| !t.is_empty()))
            .ok_or_else(|| self.error(&format!("token service {shown} answered without a token")))?
            .to_string();
        // Used until 10 s before it expires, for at most an hour whatever
        // the service claims (a lifetime of 2^64-1 s is no reason to panic).
        let lifetime = v
            .get("expires_in")
            .and_then(|e| e.as_u64())
            .unwrap_or(60)
            .clamp(20, MAX_TOKEN_LIFETIME.as_secs());
        let until = Instant::now() + Duration::from_secs(lifetime - 10);
        st.tokens.insert(scope.to_string(), (token.clone(), until));
        Ok(token)
    }

    fn error(&self, message: &str) -> RegistryError {
        RegistryError::Http {
            host: self.host.clone(),
            message: message.to_string(),
        }
    }

    fn denied(&self, sent_credentials: bool) -> RegistryError {
        RegistryError::Auth {
            host: self.host.clone(),
            message: if sent_credentials {
                format!(
                    "the registry refused the credentials ({})",
                    self.credential.kind()
                )
            } else {
                format!(
                    "the registry requires credentials; run `helm registry login {}` or pass --username and --password-stdin",
                    self.host
                )
            },
        }
    }

    /// An error for an unexpected answer, with the registry's own error
    /// code and message when it sent the standard JSON error body.
    fn unexpected(&self, r: Response, doing: &str) -> RegistryError {
        let status = r.status();
        // The error body is a detail: at most 64 KiB, and 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        let body = net::read_body(r, 64 * 1024, deadline).unwrap_or_default();
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let e = v.get("errors")?.get(0)?;
                Some(format!(
                    ": {} {}",
                    crate::cli::output::clip(e.get("code")?.as_str()?),
                    crate::cli::output::clip(
                        e.get("message").and_then(|m| m.as_str()).unwrap_or("")
                    )
                ))
            })
            .unwrap_or_default();
        if status == StatusCode::FORBIDDEN {
            return RegistryError::Auth {
                host: self.host.clone(),
                message: format!("access denied while {doing}{detail}"),
            };
        }
        self.error(&format!("{doing}: {status}{detail}"))
    }
}

/// The scope asked for every repository: pull and push up front, so one
/// token serves a whole push.
fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

/// Whether `url` is on the registry's own scheme, host and port.
fn same_origin(url: &str, base: &str) -> bool {
    let (Ok(u), Ok(b)) = (url::Url::parse(url), url::Url::parse(base)) else {
        return false;
    };
    u.scheme() == b.scheme()
        && u.host_str() == b.host_str()
        && u.port_or_known_default() == b.port_or_known_default()
}

fn scheme_name(c: &Challenge) -> &'static str {
    match c {
        Challenge::Basic => "basic",
        Challenge::Bearer { .. } => "bearer token",
    }
}

fn retry_after(h: &HeaderMap) -> Option<Duration> {
    h.get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Parses `WWW-Authenticate: Basic realm=...` or `Bearer realm=...,service=...`.
fn parse_challenge(h: &HeaderMap) -> Option<Challenge> {
    let v = h.get(WWW_AUTHENTICATE)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = auth_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service").unwrap_or_default(),
    })
}

/// `key=value` and `key="quoted, value"` pairs separated by commas.
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i] == b' ') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        let key = s[ks..i].trim().to_string();
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                val.push(b[i] as char);
                i += 1;
            }
            i += 1;
        } else {
            let vs = i.min(b.len());
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = s[vs..i.min(b.len())].trim().to_string();
        }
        if !key.is_empty() {
            out.push((key, val));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn challenge(v: &str) -> Option<Challenge> {
        let mut h = HeaderMap::new();
        h.insert(WWW_AUTHENTICATE, HeaderValue::from_str(v).unwrap());
        parse_challenge(&h)
    }

    #[test]
    fn challenges() {
        assert_eq!(
            challenge("Basic realm=\"basic-realm\""),
            Some(Challenge::Basic)
        );
        assert_eq!(
            challenge(
                r#"Bearer realm="http://127.0.0.1:5003/token",service="fake-registry",scope="repository:x/y:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:5003/token".into(),
                service: "fake-registry".into()
            })
        );
        assert_eq!(
            challenge("bearer realm=https://auth.example/token, service=reg"),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: "reg".into()
            })
        );
        assert_eq!(challenge("Negotiate"), None);
        assert_eq!(challenge("Bearer service=x"), None);
    }

    #[test]
    fn cert_and_key_go_together() {
        let opts = ClientOptions {
            cert_file: Some("/x".into()),
            ..ClientOptions::default()
        };
        let e = Client::new("h", Credential::Anonymous, &opts)
            .err()
            .unwrap();
        assert!(e.to_string().contains("together"), "{e}");
    }
}
