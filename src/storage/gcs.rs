//! Google Cloud Storage through its JSON API: list with `pageToken`,
//! download with `alt=media`, upload with `uploadType=multipart` and
//! `ifGenerationMatch` (0 for "absent"), delete.
//!
//! The JSON API rather than the XML one: it is the API fake-gcs-server
//! implements, so every request here is tested against a real emulator, and
//! its multipart upload is the one whose generation precondition the
//! emulator applies atomically.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::credentials::{self, Env, GoogleAuth, GoogleConfig};
use super::{
    encode, md5_from_base64, Location, ObjectMeta, Precondition, PutOptions, StorageError, Store,
    Version, MAX_LISTING_PAGE_BYTES, MAX_OBJECTS,
};
use crate::net::Secret;

pub(crate) struct Gcs {
    bucket: String,
    location: Location,
    config: GoogleConfig,
    /// The access token and when to fetch a new one.
    token: Mutex<Option<(Secret, Instant)>>,
}

/// The most a token answer may hold.
const MAX_TOKEN_ANSWER: u64 = 1 << 20;

impl Gcs {
    pub fn new(
        loc: &Location,
        env: &dyn Env,
        _http: &reqwest::blocking::Client,
    ) -> Result<Gcs, StorageError> {
        Ok(Gcs {
            bucket: loc.bucket.clone(),
            location: loc.clone(),
            config: credentials::google(env)?,
            token: Mutex::new(None),
        })
    }

    fn base(&self) -> &str {
        &self.config.base_url
    }

    fn object_url(&self, key: &str) -> String {
        format!(
            "{}/storage/v1/b/{}/o/{}",
            self.base(),
            encode(&self.bucket, false),
            encode(&self.location.object_name(key), false)
        )
    }

    /// The bearer token for the next request, if the configuration has one.
    fn token(&self, store: &Store) -> Result<Option<Secret>, StorageError> {
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, until)) = &*cached {
            if Instant::now() < *until {
                return Ok(Some(t.clone()));
            }
        }
        let (token, lifetime) = match &self.config.auth {
            GoogleAuth::Anonymous => return Ok(None),
            GoogleAuth::Token(t) => return Ok(Some(t.clone())),
            GoogleAuth::ServiceAccount {
                client_email,
                private_key,
                token_uri,
            } => {
                let jwt = jwt(client_email, private_key, token_uri)?;
                let form = format!(
                    "grant_type={}&assertion={}",
                    encode("urn:ietf:params:oauth:grant-type:jwt-bearer", false),
                    encode(jwt.expose(), false)
                );
                exchange(store, token_uri, &form)?
            }
            GoogleAuth::User {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
            } => {
                let form = format!(
                    "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
                    encode(client_id, false),
                    encode(client_secret.expose(), false),
                    encode(refresh_token.expose(), false)
                );
                exchange(store, token_uri, &form)?
            }
            GoogleAuth::Metadata { host } => {
                let url = format!(
                    "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
                );
                token_answer(
                    store
                        .send_once("GET", &url, MAX_TOKEN_ANSWER, "a token answer", &|c| {
                            c.get(&url)
                                .header("metadata-flavor", "Google")
                                .timeout(Duration::from_secs(5))
                        })
                        .map_err(|e| StorageError::Credentials {
                            store: "GCS",
                            message: format!("no credentials: GOOGLE_OAUTH_ACCESS_TOKEN and GOOGLE_APPLICATION_CREDENTIALS are unset, gcloud's application-default file is missing, and the metadata server did not answer ({e})"),
                        })?,
                )?
            }
        };
        // Renew a minute early, and at least every hour whatever was said.
        let lifetime = lifetime.clamp(60, 3600) - 30;
        *cached = Some((
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(Some(token))
    }

    fn auth(
        &self,
        b: reqwest::blocking::RequestBuilder,
        token: &Option<Secret>,
    ) -> reqwest::blocking::RequestBuilder {
        match token {
            Some(t) => b.bearer_auth(t.expose()),
            None => b,
        }
    }

    pub fn list(&self, store: &Store) -> Result<Vec<ObjectMeta>, StorageError> {
        let token = self.token(store)?;
        let url = store.location().url();
        let list_prefix = self.location.list_prefix();
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        let mut pages = super::Pages::default();
        loop {
            let mut u = format!(
                "{}/storage/v1/b/{}/o?prefix={}&maxResults=1000&projection=noAcl",
                self.base(),
                encode(&self.bucket, false),
                encode(&list_prefix, false)
            );
            if let Some(p) = &page {
                u.push_str("&pageToken=");
                u.push_str(&encode(p, false));
            }
            let a = store.send(
                "list",
                &url,
                MAX_LISTING_PAGE_BYTES,
                "a listing page",
                &|c| self.auth(c.get(&u), &token),
            )?;
            let v: serde_json::Value =
                serde_json::from_slice(&a.body).map_err(|_| StorageError::Invalid {
                    url: url.clone(),
                    what: "the listing is not JSON".into(),
                })?;
            for item in v
                .get("items")
                .and_then(|i| i.as_array())
                .into_iter()
                .flatten()
            {
                let Some(name) = item.get("name").and_then(|n| n.as_str()) else {
                    continue;
                };
                let Some(key) = name.strip_prefix(&list_prefix) else {
                    continue;
                };
                out.push(ObjectMeta {
                    key: key.to_string(),
                    size: number(item.get("size")).ok_or_else(|| StorageError::Invalid {
                        url: url.clone(),
                        what: format!("the listing gives {name:?} no size"),
                    })?,
                    md5: item
                        .get("md5Hash")
                        .and_then(|m| m.as_str())
                        .and_then(md5_from_base64),
                    version: Version(
                        number(item.get("generation"))
                            .map(|g| g.to_string())
                            .unwrap_or_default(),
                    ),
                });
                if out.len() > MAX_OBJECTS {
                    return Err(StorageError::Invalid {
                        url,
                        what: format!("more than {MAX_OBJECTS} objects"),
                    });
                }
            }
            match v.get("nextPageToken").and_then(|t| t.as_str()) {
                Some(t) if pages.follow(t, &url)? => page = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    pub fn get(
        &self,
        store: &Store,
        key: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<(Vec<u8>, Version), StorageError> {
        let token = self.token(store)?;
        let u = format!("{}?alt=media", self.object_url(key));
        let a = store.send("GET", &store.url_of(key), limit, what, &|c| {
            self.auth(c.get(&u), &token)
        })?;
        let generation = match a.header("x-goog-generation") {
            Some(g) => g.trim().to_string(),
            None => self.generation(store, key, &token)?,
        };
        Ok((a.body, Version(generation)))
    }

    /// The object's generation from its metadata, for a download that did
    /// not carry `x-goog-generation`.
    fn generation(
        &self,
        store: &Store,
        key: &str,
        token: &Option<Secret>,
    ) -> Result<String, StorageError> {
        let u = self.object_url(key);
        let a = store.send(
            "GET",
            &store.url_of(key),
            1 << 20,
            "object metadata",
            &|c| self.auth(c.get(&u), token),
        )?;
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
        number(v.get("generation"))
            .map(|g| g.to_string())
            .ok_or_else(|| StorageError::Invalid {
                url: store.url_of(key),
                what: "the store gives the object no generation".into(),
            })
    }

    pub fn put(
        &self,
        store: &Store,
        key: &str,
        body: &[u8],
        _md5: &[u8; 16],
        o: &PutOptions,
    ) -> Result<Version, StorageError> {
        let token = self.token(store)?;
        let mut u = format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=multipart",
            self.base(),
            encode(&self.bucket, false)
        );
        match &o.precondition {
            Precondition::None => {}
            Precondition::Absent => u.push_str("&ifGenerationMatch=0"),
            Precondition::Matches(v) => {
                u.push_str("&ifGenerationMatch=");
                u.push_str(&encode(&v.0, false));
            }
        }
        let mut meta = serde_json::json!({
            "name": self.location.object_name(key),
            "contentType": o.content_type,
        });
        if let Some(cc) = o.cache_control {
            meta["cacheControl"] = cc.into();
        }
        let boundary = format!("wharf-{:016x}", body.len() as u64 ^ 0x5bd1e995);
        let mut payload = Vec::with_capacity(body.len() + 512);
        payload.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n--{boundary}\r\ncontent-type: {}\r\n\r\n",
                o.content_type
            )
            .as_bytes(),
        );
        payload.extend_from_slice(body);
        payload.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let a = store.send_once("upload", &store.url_of(key), 1 << 20, "an answer", &|c| {
            self.auth(
                c.post(&u)
                    .header(
                        "content-type",
                        format!("multipart/related; boundary={boundary}"),
                    )
                    .body(payload.clone()),
                &token,
            )
        })?;
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
        Ok(Version(
            number(v.get("generation"))
                .map(|g| g.to_string())
                .unwrap_or_default(),
        ))
    }

    pub fn delete(&self, store: &Store, key: &str) -> Result<(), StorageError> {
        let token = self.token(store)?;
        let u = self.object_url(key);
        store.send_once("DELETE", &store.url_of(key), 1 << 20, "an answer", &|c| {
            self.auth(c.delete(&u), &token)
        })?;
        Ok(())
    }
}

/// An OAuth2 token request (RFC 6749 §4): the form goes only to the
/// token service the credentials name.
fn exchange(store: &Store, token_uri: &str, form: &str) -> Result<(Secret, u64), StorageError> {
    token_answer(store.send(
        "POST",
        &crate::net::redact(token_uri),
        MAX_TOKEN_ANSWER,
        "a token answer",
        &|c| {
            c.post(token_uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_string())
        },
    )?)
}

/// GCS writes 64-bit numbers as JSON strings.
fn number(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn token_answer(a: super::Answer) -> Result<(Secret, u64), StorageError> {
    let v: serde_json::Value =
        serde_json::from_slice(&a.body).map_err(|_| StorageError::Credentials {
            store: "GCS",
            message: "the token service answered with something that is not JSON".into(),
        })?;
    let token = v
        .get("access_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| StorageError::Credentials {
            store: "GCS",
            message: "the token service answered without an access_token".into(),
        })?;
    let lifetime = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(3600);
    Ok((Secret::new(token.to_string()), lifetime))
}

/// A service account's signed assertion (RFC 7523), RS256 over the
/// header and claims, valid for an hour, for the storage scope.
fn jwt(client_email: &str, private_key: &Secret, token_uri: &str) -> Result<Secret, StorageError> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key.expose()).map_err(|_| {
        StorageError::Credentials {
            store: "GCS",
            message: "the service account's private_key is not an RSA key in PKCS#8 PEM".into(),
        }
    })?;
    let now = chrono::Utc::now().timestamp();
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = b64(serde_json::json!({
        "iss": client_email,
        "scope": "https://www.googleapis.com/auth/devstorage.read_write",
        "aud": token_uri,
        "iat": now,
        "exp": now + 3600,
    })
    .to_string()
    .as_bytes());
    let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let input = format!("{header}.{claims}");
    let sig = signing.sign(input.as_bytes());
    Ok(Secret::new(format!("{input}.{}", b64(&sig.to_bytes()))))
}
