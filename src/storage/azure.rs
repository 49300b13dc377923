//! Azure Blob Storage (and Azurite): List Blobs, Get Blob, Put Blob with
//! `If-Match`/`If-None-Match: *`, Delete Blob; Shared Key signing, or a SAS
//! token appended to each URL.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::credentials::{self, AzureAuth, AzureConfig, Env};
use super::{
    encode, md5_base64, md5_from_base64, unquote, xml, Location, ObjectMeta, Precondition,
    PutOptions, StorageError, Store, Version, MAX_LISTING_PAGE_BYTES, MAX_OBJECTS,
};

/// The REST API version every request names.
const API_VERSION: &str = "2021-08-06";

pub(crate) struct Azure {
    container: String,
    location: Location,
    config: AzureConfig,
    /// The decoded account key, for Shared Key.
    key: Option<Vec<u8>>,
}

impl Azure {
    pub fn new(loc: &Location, env: &dyn Env) -> Result<Azure, StorageError> {
        let config = credentials::azure(env)?;
        let key = match &config.auth {
            AzureAuth::Key(k) => {
                use base64::Engine;
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(k.expose().trim())
                        .map_err(|_| StorageError::Credentials {
                            store: "Azure",
                            message: "the account key is not base64".into(),
                        })?,
                )
            }
            AzureAuth::Sas(_) => None,
        };
        Ok(Azure {
            container: loc.bucket.clone(),
            location: loc.clone(),
            config,
            key,
        })
    }

    fn blob_path(&self, key: &str) -> String {
        format!(
            "/{}/{}",
            encode(&self.container, false),
            encode(&self.location.object_name(key), true)
        )
    }

    /// A signed request. `path` is relative to the endpoint, encoded;
    /// `headers` are the ones that take part in the signature.
    fn request(
        &self,
        c: &reqwest::blocking::Client,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> reqwest::blocking::RequestBuilder {
        let mut url = format!("{}{}", self.config.endpoint, path);
        let mut q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v, false)))
            .collect();
        if let AzureAuth::Sas(sas) = &self.config.auth {
            q.push(sas.expose().to_string());
        }
        if !q.is_empty() {
            url.push('?');
            url.push_str(&q.join("&"));
        }
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        all.push(("x-ms-date".into(), date));
        all.push(("x-ms-version".into(), API_VERSION.into()));
        let mut b = c.request(method.clone(), url);
        if let Some(key) = &self.key {
            let get = |name: &str| {
                all.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            let length = match body {
                Some(b) if !b.is_empty() => b.len().to_string(),
                _ => String::new(),
            };
            let mut ms: Vec<&(String, String)> =
                all.iter().filter(|(k, _)| k.starts_with("x-ms-")).collect();
            ms.sort();
            let canonical_headers: String = ms
                .iter()
                .map(|(k, v)| format!("{k}:{}\n", v.trim()))
                .collect();
            let endpoint_path = url::Url::parse(&self.config.endpoint)
                .map(|u| u.path().trim_end_matches('/').to_string())
                .unwrap_or_default();
            let mut resource = format!("/{}{endpoint_path}{path}", self.config.account);
            let mut qs: Vec<(String, &String)> = query
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            qs.sort();
            for (k, v) in qs {
                resource.push_str(&format!("\n{k}:{v}"));
            }
            let to_sign = [
                method.as_str(),
                get("content-encoding"),
                get("content-language"),
                &length,
                get("content-md5"),
                get("content-type"),
                "", // Date: x-ms-date stands in
                get("if-modified-since"),
                get("if-match"),
                get("if-none-match"),
                get("if-unmodified-since"),
                get("range"),
            ]
            .join("\n")
                + "\n"
                + &canonical_headers
                + &resource;
            let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(to_sign.as_bytes());
            use base64::Engine;
            let sig = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
            b = b.header(
                "authorization",
                format!("SharedKey {}:{sig}", self.config.account),
            );
        }
        for (k, v) in all {
            b = b.header(k, v);
        }
        if let Some(body) = body {
            b = b.body(body.to_vec());
        }
        b
    }

    pub fn list(&self, store: &Store) -> Result<Vec<ObjectMeta>, StorageError> {
        let url = store.location().url();
        let list_prefix = self.location.list_prefix();
        let path = format!("/{}", encode(&self.container, false));
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = super::Pages::default();
        loop {
            let mut q = vec![
                ("comp", "list".to_string()),
                ("restype", "container".to_string()),
                ("maxresults", "5000".to_string()),
            ];
            if !list_prefix.is_empty() {
                q.push(("prefix", list_prefix.clone()));
            }
            if let Some(m) = &marker {
                q.push(("marker", m.clone()));
            }
            let a = store.send(
                "list",
                &url,
                MAX_LISTING_PAGE_BYTES,
                "a listing page",
                &|c| self.request(c, reqwest::Method::GET, &path, &q, &[], None),
            )?;
            let p = xml::page(&a.body, "Blob").map_err(|w| StorageError::Invalid {
                url: url.clone(),
                what: format!("the listing is {w}"),
            })?;
            for r in p.records {
                let Some(name) = r.get("Name") else { continue };
                let Some(key) = name.strip_prefix(&list_prefix) else {
                    continue;
                };
                out.push(ObjectMeta {
                    key: key.to_string(),
                    size: r
                        .get("Content-Length")
                        .and_then(|s| s.trim().parse().ok())
                        .ok_or_else(|| StorageError::Invalid {
                            url: url.clone(),
                            what: format!("the listing gives {name:?} no size"),
                        })?,
                    md5: r.get("Content-MD5").and_then(|m| md5_from_base64(m)),
                    version: Version(
                        r.get("Etag")
                            .map(|e| unquote(e).to_string())
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
            match p.top.get("NextMarker") {
                Some(m) if pages.follow(m, &url)? => marker = Some(m.clone()),
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
        let path = self.blob_path(key);
        let a = store.send("GET", &store.url_of(key), limit, what, &|c| {
            self.request(c, reqwest::Method::GET, &path, &[], &[], None)
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
        let path = self.blob_path(key);
        let url = store.url_of(key);
        let mut headers: Vec<(&str, String)> = vec![
            ("x-ms-blob-type", "BlockBlob".into()),
            ("x-ms-blob-content-type", o.content_type.to_string()),
            ("content-md5", md5_base64(md5)),
            ("content-type", o.content_type.to_string()),
        ];
        if let Some(cc) = o.cache_control {
            headers.push(("x-ms-blob-cache-control", cc.to_string()));
        }
        match &o.precondition {
            Precondition::None => {}
            Precondition::Absent => headers.push(("if-none-match", "*".into())),
            Precondition::Matches(v) => headers.push(("if-match", format!("\"{}\"", v.0))),
        }
        let a = store.send_once("PUT", &url, 1 << 20, "an answer", &|c| {
            self.request(c, reqwest::Method::PUT, &path, &[], &headers, Some(body))
        });
        super::written(a, o, url)
    }

    pub fn delete(&self, store: &Store, key: &str) -> Result<(), StorageError> {
        let path = self.blob_path(key);
        store.send_once("DELETE", &store.url_of(key), 1 << 20, "an answer", &|c| {
            self.request(c, reqwest::Method::DELETE, &path, &[], &[], None)
        })?;
        Ok(())
    }
}
