//! Amazon S3 and S3-compatible stores (MinIO, Ceph, R2, moto): ListObjectsV2,
//! GET, PUT with `If-Match`/`If-None-Match: *`, DELETE, signed with SigV4.
//!
//! With an endpoint set (`AWS_ENDPOINT_URL`), requests go path-style to it
//! and the region is taken as configured: no request ever goes to AWS to
//! find a bucket's region.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::credentials::{self, AwsAuth, AwsConfig, AwsKeys, Env};
use super::{
    encode, md5_from_hex, sigv4, unquote, xml, Location, ObjectMeta, Precondition, PutOptions,
    StorageError, Store, Version, MAX_LISTING_PAGE_BYTES, MAX_OBJECTS,
};
use crate::net::Secret;

pub(crate) struct S3 {
    list_prefix: String,
    prefix_loc: Location,
    config: AwsConfig,
    /// `scheme://host[:port]` and the path before the key.
    origin: String,
    host: String,
    base_path: String,
    /// Keys from web identity, with when they expire.
    assumed: Mutex<Option<(AwsKeys, Instant)>>,
}

/// The most a token file for web identity may hold.
const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;

impl S3 {
    pub fn new(loc: &Location, env: &dyn Env) -> Result<S3, StorageError> {
        let config = credentials::aws(env)?;
        let (origin, base_path) = match &config.endpoint {
            Some(e) => {
                let e = e.trim_end_matches('/');
                let u = url::Url::parse(e).map_err(|_| StorageError::Credentials {
                    store: "S3",
                    message: format!("the endpoint {e:?} is not a URL"),
                })?;
                let origin = u.origin().ascii_serialization();
                let path = u.path().trim_end_matches('/').to_string();
                (origin, format!("{path}/{}", encode(&loc.bucket, false)))
            }
            None => {
                let host = if config.region == "us-east-1" {
                    format!("{}.s3.amazonaws.com", loc.bucket)
                } else {
                    format!("{}.s3.{}.amazonaws.com", loc.bucket, config.region)
                };
                (format!("https://{host}"), String::new())
            }
        };
        let host = origin
            .split_once("://")
            .map(|(_, h)| h.to_string())
            .unwrap_or_default();
        Ok(S3 {
            list_prefix: loc.list_prefix(),
            prefix_loc: loc.clone(),
            config,
            origin,
            host,
            base_path,
            assumed: Mutex::new(None),
        })
    }

    fn key_path(&self, key: &str) -> String {
        format!(
            "{}/{}",
            self.base_path,
            encode(&self.prefix_loc.object_name(key), true)
        )
    }

    /// The keys to sign with, fetching them from STS for web identity.
    fn keys(&self, store: &Store) -> Result<Option<AwsKeys>, StorageError> {
        match &self.config.auth {
            AwsAuth::Keys(k) => Ok(Some(k.clone())),
            AwsAuth::Anonymous => Ok(None),
            AwsAuth::WebIdentity {
                token_file,
                role_arn,
                session_name,
            } => {
                let mut cached = self.assumed.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((k, until)) = &*cached {
                    if Instant::now() < *until {
                        return Ok(Some(k.clone()));
                    }
                }
                let token = crate::fileutil::read_regular(token_file, MAX_TOKEN_FILE_BYTES)
                    .map_err(|e| StorageError::Credentials {
                        store: "S3",
                        message: format!(
                            "cannot read the web identity token {}: {}",
                            token_file.display(),
                            crate::cli::output::io_words(&e)
                        ),
                    })?;
                let token = Secret::new(String::from_utf8_lossy(&token).trim().to_string());
                let k = self.assume_role(store, &token, role_arn, session_name)?;
                *cached = Some((k.clone(), Instant::now() + Duration::from_secs(15 * 60)));
                Ok(Some(k))
            }
        }
    }

    fn assume_role(
        &self,
        store: &Store,
        token: &Secret,
        role_arn: &str,
        session_name: &str,
    ) -> Result<AwsKeys, StorageError> {
        let sts = match &self.config.sts_endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => format!("https://sts.{}.amazonaws.com", self.config.region),
        };
        let form = format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={}&DurationSeconds=3600",
            encode(role_arn, false),
            encode(session_name, false),
            encode(token.expose(), false)
        );
        let a = store.send(
            "POST",
            &format!("{sts}/ (AssumeRoleWithWebIdentity)"),
            1 << 20,
            "an STS answer",
            &|c| {
                c.post(format!("{sts}/"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.clone())
            },
        )?;
        let p = xml::page(&a.body, "Credentials").map_err(|w| StorageError::Credentials {
            store: "S3",
            message: format!("STS answered AssumeRoleWithWebIdentity with {w}"),
        })?;
        let c = p.records.first().ok_or_else(|| StorageError::Credentials {
            store: "S3",
            message: "STS answered AssumeRoleWithWebIdentity without credentials".into(),
        })?;
        match (c.get("AccessKeyId"), c.get("SecretAccessKey")) {
            (Some(id), Some(secret)) => Ok(AwsKeys {
                access_key_id: id.clone(),
                secret_access_key: Secret::new(secret.clone()),
                session_token: c.get("SessionToken").cloned().map(Secret::new),
            }),
            _ => Err(StorageError::Credentials {
                store: "S3",
                message: "STS answered AssumeRoleWithWebIdentity without keys".into(),
            }),
        }
    }

    /// A request builder for METHOD path?query, signed when there are keys.
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        c: &reqwest::blocking::Client,
        keys: Option<&AwsKeys>,
        method: reqwest::Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&[u8]>,
    ) -> reqwest::blocking::RequestBuilder {
        let payload = sigv4::sha256_hex(body.unwrap_or(b""));
        let mut url = format!("{}{}", self.origin, path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(
                &query
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        let mut b = c.request(method.clone(), url);
        if let Some(keys) = keys {
            let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            for (k, v) in sigv4::sign(
                &sigv4::Request {
                    method: method.as_str(),
                    host: &self.host,
                    path,
                    query,
                    payload_sha256: &payload,
                    amz_date: &amz_date,
                },
                keys,
                &self.config.region,
                "s3",
            ) {
                b = b.header(k, v);
            }
        }
        if let Some(body) = body {
            b = b.body(body.to_vec());
        }
        b
    }

    pub fn list(&self, store: &Store) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = super::Pages::default();
        let url = store.location().url();
        let keys = self.keys(store)?;
        let path = format!("{}/", self.base_path);
        let path = if self.base_path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        loop {
            let mut q = vec![
                ("list-type".to_string(), "2".to_string()),
                ("prefix".to_string(), self.list_prefix.clone()),
            ];
            if let Some(t) = &token {
                q.push(("continuation-token".to_string(), t.clone()));
            }
            let a = store.send(
                "list",
                &url,
                MAX_LISTING_PAGE_BYTES,
                "a listing page",
                &|c| self.request(c, keys.as_ref(), reqwest::Method::GET, &path, &q, None),
            )?;
            let p = xml::page(&a.body, "Contents").map_err(|w| StorageError::Invalid {
                url: url.clone(),
                what: format!("the listing is {w}"),
            })?;
            for r in p.records {
                let Some(name) = r.get("Key") else { continue };
                let Some(key) = name.strip_prefix(&self.list_prefix) else {
                    continue;
                };
                let size = r
                    .get("Size")
                    .and_then(|s| s.trim().parse().ok())
                    .ok_or_else(|| StorageError::Invalid {
                        url: url.clone(),
                        what: format!("the listing gives {name:?} no size"),
                    })?;
                let etag = r
                    .get("ETag")
                    .map(|e| unquote(e).to_string())
                    .unwrap_or_default();
                out.push(ObjectMeta {
                    key: key.to_string(),
                    size,
                    md5: md5_from_hex(&etag),
                    version: Version(etag),
                });
                if out.len() > MAX_OBJECTS {
                    return Err(StorageError::Invalid {
                        url,
                        what: format!("more than {MAX_OBJECTS} objects"),
                    });
                }
            }
            let truncated = p.top.get("IsTruncated").map(|s| s.trim()) == Some("true");
            match p.top.get("NextContinuationToken") {
                Some(t) if truncated && pages.follow(t, &url)? => token = Some(t.clone()),
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
        let path = self.key_path(key);
        let keys = self.keys(store)?;
        let a = store.send("GET", &store.url_of(key), limit, what, &|c| {
            self.request(c, keys.as_ref(), reqwest::Method::GET, &path, &[], None)
        })?;
        let version = a.etag();
        Ok((a.body, version))
    }

    pub fn put(
        &self,
        store: &Store,
        key: &str,
        body: &[u8],
        md5: &[u8; 16],
        o: &PutOptions,
    ) -> Result<Version, StorageError> {
        let path = self.key_path(key);
        let keys = self.keys(store)?;
        let url = store.url_of(key);
        let a = store.send_once("PUT", &url, 1 << 20, "an answer", &|c| {
            let mut b = self
                .request(
                    c,
                    keys.as_ref(),
                    reqwest::Method::PUT,
                    &path,
                    &[],
                    Some(body),
                )
                .header("content-type", o.content_type)
                .header("content-md5", super::md5_base64(md5));
            if let Some(cc) = o.cache_control {
                b = b.header("cache-control", cc);
            }
            match &o.precondition {
                Precondition::None => b,
                Precondition::Absent => b.header("if-none-match", "*"),
                Precondition::Matches(v) => b.header("if-match", format!("\"{}\"", v.0)),
            }
        });
        super::written(a, o, url)
    }

    pub fn delete(&self, store: &Store, key: &str) -> Result<(), StorageError> {
        let path = self.key_path(key);
        let keys = self.keys(store)?;
        store.send_once("DELETE", &store.url_of(key), 1 << 20, "an answer", &|c| {
            self.request(c, keys.as_ref(), reqwest::Method::DELETE, &path, &[], None)
        })?;
        Ok(())
    }
}
