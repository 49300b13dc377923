//! Object storage (Helm has none; named for what it is): one client for
//! Google Cloud Storage, Amazon S3 and compatibles, Azure Blob Storage and a
//! local folder, chosen by the URL's scheme (`gs://`, `s3://`, `azblob://`
//! or `az://`, `file://`), with the few operations a chart repository needs.
//!
//! The client is written on the pack's own HTTP client rather than on a
//! store library: what `helm sync` has to get right is the precondition on
//! `index.yaml` (GCS generations, S3 and Azure ETags) and each store's
//! checksum, and README ("Choices") records why the libraries of the field
//! did not serve for that. Every answer is read with a cap, every request
//! is retried on 5xx, 429 and dropped connections with backoff and never on
//! another 4xx, and credentials go only to the store they belong to.

mod azure;
mod credentials;
mod file;
mod gcs;
mod location;
mod retry;
mod s3;
mod sigv4;
mod xml;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::net::{self, HttpOptions, NetError};

pub use credentials::{Env, ProcessEnv};
pub use file::{local_files, LocalFile};
pub use location::{Kind, Location};
pub use retry::jitter;

/// The most one listing page may hold; a page of 5,000 entries is ~2 MB.
const MAX_LISTING_PAGE_BYTES: u64 = 32 << 20;
/// The most objects one listing returns: far beyond any chart repository,
/// and a bound on what a hostile store can make us hold.
pub const MAX_OBJECTS: usize = 2_000_000;
/// The most listing pages one listing reads: far more than
/// [`MAX_OBJECTS`] needs at 1,000 a page, and a bound on a store that
/// answers page after empty page.
pub(crate) const MAX_PAGES: usize = 20_000;

/// Continuation tokens already followed, so that a store sending a client
/// round a cycle of tokens is an error, not a loop.
#[derive(Default)]
pub(crate) struct Pages {
    seen: std::collections::HashSet<String>,
}

impl Pages {
    /// Whether to follow `token`: not seen before and under the page cap.
    pub fn follow(&mut self, token: &str, url: &str) -> Result<bool, StorageError> {
        if token.is_empty() {
            return Ok(false);
        }
        if !self.seen.insert(token.to_string()) || self.seen.len() > MAX_PAGES {
            return Err(StorageError::Invalid {
                url: url.to_string(),
                what: "the listing does not end (its continuation tokens repeat or never stop)"
                    .into(),
            });
        }
        Ok(true)
    }
}

/// The most of an error answer kept for the message.
const MAX_ERROR_BODY_BYTES: u64 = 64 << 10;

/// The version of an object a conditional write compares against: GCS's
/// generation, or the ETag of S3 and Azure (quotes removed), or a local
/// file's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub String);

/// One object of a listing, its key relative to the location's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// The MD5 of the content where the store keeps it: GCS's `md5Hash`, a
    /// single-part S3 ETag, Azure's `Content-MD5`.
    pub md5: Option<[u8; 16]>,
    pub version: Version,
}

/// What a write requires of the object it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Write whatever is there.
    None,
    /// Only if there is no such object.
    Absent,
    /// Only if the object is still at this version.
    Matches(Version),
}

/// How an object is written.
#[derive(Debug, Clone)]
pub struct PutOptions<'a> {
    pub content_type: &'a str,
    pub cache_control: Option<&'a str>,
    pub precondition: Precondition,
}

impl<'a> PutOptions<'a> {
    pub fn new(content_type: &'a str) -> PutOptions<'a> {
        PutOptions {
            content_type,
            cache_control: None,
            precondition: Precondition::None,
        }
    }
}

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("{0}: not a storage URL (expected gs://BUCKET[/PREFIX], s3://BUCKET[/PREFIX], azblob://CONTAINER[/PREFIX] or file:///PATH)")]
    BadUrl(String),
    #[error("{store}: {message}")]
    Credentials {
        store: &'static str,
        message: String,
    },
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{op} {url}: {status}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        op: &'static str,
        url: String,
        status: u16,
        message: Option<String>,
    },
    #[error("{op} {url}: {cause}")]
    Unanswered {
        op: &'static str,
        url: String,
        cause: String,
        permanent: bool,
    },
    #[error("{url} was changed by someone else since it was read")]
    Precondition { url: String },
    #[error("{url} does not exist")]
    NotFound { url: String },
    #[error("{url}: no such bucket or container (or no access to it)")]
    NoBucket { url: String },
    #[error("{url}: larger than {} MiB, the most read into memory for {what}", .limit >> 20)]
    TooLarge {
        url: String,
        what: &'static str,
        limit: u64,
    },
    #[error("{url}: {what}")]
    Invalid { url: String, what: String },
    #[error("{path}: {}", crate::cli::output::io_words(.source))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StorageError {
    /// Whether the same request may succeed if sent again: the store was
    /// busy, failing, or the connection dropped.
    fn is_transient(&self) -> bool {
        match self {
            StorageError::Status { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            StorageError::Unanswered { permanent, .. } => !permanent,
            _ => false,
        }
    }
}

/// One backend, its own client state.
enum Backend {
    Gcs(gcs::Gcs),
    S3(s3::S3),
    Azure(azure::Azure),
    File(file::FileStore),
}

/// A bucket (or container, or folder) and the prefix under it, with the
/// client that reaches it.
pub struct Store {
    location: Location,
    backend: Backend,
    http: reqwest::blocking::Client,
    /// Whether the store answered once in this run: a refused connection
    /// after that is a restart worth waiting for, not a wrong address.
    reached: AtomicBool,
    retry: retry::Policy,
}

/// How to reach a store, beyond what its URL and the environment say.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The longest one request may take.
    pub timeout: Option<Duration>,
    /// Give up retrying a request after this long (default two minutes).
    pub retry_for: Option<Duration>,
}

/// What one request got back, for the backends.
pub(crate) struct Answer {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The object's version as S3 and Azure give it: the ETag, unquoted.
    pub fn etag(&self) -> Version {
        Version(
            self.header("etag")
                .map(|e| unquote(e).to_string())
                .unwrap_or_default(),
        )
    }
}

impl Store {
    /// Opens the store `url` names, with credentials found as the store's
    /// own tools find them in `env`.
    pub fn open(url: &str, env: &dyn Env, o: &StoreOptions) -> Result<Store, StorageError> {
        let location = Location::parse(url)?;
        let http = net::client(&HttpOptions {
            max_idle_per_host: Some(16),
            no_redirects: true,
            timeout: Some(o.timeout.unwrap_or(net::DOWNLOAD_TIMEOUT)),
            ..HttpOptions::default()
        })?;
        let backend = match location.kind {
            Kind::Gcs => Backend::Gcs(gcs::Gcs::new(&location, env, &http)?),
            Kind::S3 => Backend::S3(s3::S3::new(&location, env)?),
            Kind::Azure => Backend::Azure(azure::Azure::new(&location, env)?),
            Kind::File => Backend::File(file::FileStore::new(&location)?),
        };
        Ok(Store {
            location,
            backend,
            http,
            reached: AtomicBool::new(false),
            retry: retry::Policy::new(o.retry_for.unwrap_or(Duration::from_secs(120))),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The URL of `key`, for messages (`gs://bucket/prefix/key`).
    pub fn url_of(&self, key: &str) -> String {
        self.location.url_of(key)
    }

    /// Every object under the prefix, sorted by key, keys relative to it.
    pub fn list(&self) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut out = match &self.backend {
            Backend::Gcs(b) => b.list(self)?,
            Backend::S3(b) => b.list(self)?,
            Backend::Azure(b) => b.list(self)?,
            Backend::File(b) => b.list()?,
        };
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out.dedup_by(|a, b| a.key == b.key);
        Ok(out)
    }

    /// The object `key` and its version, at most `limit` bytes, or `None`
    /// when there is none.
    pub fn get(
        &self,
        key: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<Option<(Vec<u8>, Version)>, StorageError> {
        let r = match &self.backend {
            Backend::Gcs(b) => b.get(self, key, limit, what),
            Backend::S3(b) => b.get(self, key, limit, what),
            Backend::Azure(b) => b.get(self, key, limit, what),
            Backend::File(b) => b.get(key, limit, what),
        };
        match r {
            Err(StorageError::NotFound { .. }) => Ok(None),
            r => r.map(Some),
        }
    }

    /// Writes `key`; a failed precondition is [`StorageError::Precondition`].
    ///
    /// A conditional write can land while its answer is lost; the retry
    /// then fails its own precondition. So after a transient failure, a
    /// failed precondition is checked by reading the object back: if it
    /// holds exactly these bytes, the write was ours.
    pub fn put(&self, key: &str, body: &[u8], o: &PutOptions) -> Result<Version, StorageError> {
        let md5 = md5_of(body);
        let mut failed_once = false;
        let r = self.retry.run(
            || {
                let r = match &self.backend {
                    Backend::Gcs(b) => b.put(self, key, body, &md5, o),
                    Backend::S3(b) => b.put(self, key, body, &md5, o),
                    Backend::Azure(b) => b.put(self, key, body, &md5, o),
                    Backend::File(b) => b.put(key, body, o),
                };
                if matches!(&r, Err(e) if e.is_transient()) {
                    failed_once = true;
                }
                r
            },
            &self.reached,
        );
        match r {
            Err(StorageError::Precondition { .. }) if failed_once => {
                // Read at most one byte more than ours: an object larger
                // than that is someone else's write, so the precondition
                // failed (a conflict to report or merge), not the read.
                match self.get(key, body.len() as u64 + 1, "a check") {
                    Ok(Some((now, version))) if now == body => return Ok(version),
                    Ok(_) | Err(StorageError::TooLarge { .. }) => {}
                    Err(e) => return Err(e),
                }
                Err(StorageError::Precondition {
                    url: self.url_of(key),
                })
            }
            r => r,
        }
    }

    /// Deletes `key`; an object already gone is no error.
    pub fn delete(&self, key: &str) -> Result<(), StorageError> {
        let r = self.retry.run(
            || match &self.backend {
                Backend::Gcs(b) => b.delete(self, key),
                Backend::S3(b) => b.delete(self, key),
                Backend::Azure(b) => b.delete(self, key),
                Backend::File(b) => b.delete(key),
            },
            &self.reached,
        );
        match r {
            Err(StorageError::NotFound { .. }) => Ok(()),
            r => r,
        }
    }

    /// The local path of `key`, for a `file://` store (which compares by
    /// reading the file, having no stored checksum).
    pub fn local_path(&self, key: &str) -> Option<std::path::PathBuf> {
        match &self.backend {
            Backend::File(b) => Some(b.path_of(key)),
            _ => None,
        }
    }

    /// Sends one request built by `build`, retrying transient failures, and
    /// reads its answer (at most `limit` bytes of a successful body).
    /// 404 is [`StorageError::NotFound`]; any other status of 300 or more is
    /// [`StorageError::Status`], with the store's message.
    pub(crate) fn send(
        &self,
        op: &'static str,
        url_for_messages: &str,
        limit: u64,
        what: &'static str,
        build: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
    ) -> Result<Answer, StorageError> {
        self.retry.run(
            || self.send_once(op, url_for_messages, limit, what, build),
            &self.reached,
        )
    }

    /// One attempt of [`Store::send`]: for callers that retry themselves
    /// (conditional writes, which [`Store::put`] retries).
    pub(crate) fn send_once(
        &self,
        op: &'static str,
        url: &str,
        limit: u64,
        what: &'static str,
        build: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
    ) -> Result<Answer, StorageError> {
        let started = Instant::now();
        let resp = build(&self.http).send().map_err(|e| {
            let kind = net::classify(&e);
            StorageError::Unanswered {
                op,
                url: url.to_string(),
                cause: net::describe(&e),
                permanent: kind.is_permanent(self.reached.load(Ordering::Relaxed)),
            }
        })?;
        self.reached.store(true, Ordering::Relaxed);
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let ok = (200..300).contains(&status);
        let cap = if ok { limit } else { MAX_ERROR_BODY_BYTES };
        let deadline = started + net::DOWNLOAD_TIMEOUT;
        let body = match net::read_body(resp, cap, deadline) {
            Ok(b) => b,
            Err(net::BodyError::TooLarge) if ok => {
                return Err(StorageError::TooLarge {
                    url: url.to_string(),
                    what,
                    limit,
                })
            }
            Err(net::BodyError::TooLarge) => Vec::new(),
            Err(net::BodyError::TimedOut) => {
                return Err(StorageError::Unanswered {
                    op,
                    url: url.to_string(),
                    cause: "the answer did not end in time".into(),
                    permanent: false,
                })
            }
            Err(net::BodyError::Io(e)) => {
                return Err(StorageError::Unanswered {
                    op,
                    url: url.to_string(),
                    cause: format!("the answer broke off: {}", crate::cli::output::io_words(&e)),
                    permanent: false,
                })
            }
        };
        if ok {
            return Ok(Answer { headers, body });
        }
        if status == 404 {
            // A listing or a write that finds nothing: the bucket is missing.
            if matches!(op, "list" | "PUT" | "upload") {
                return Err(StorageError::NoBucket {
                    url: self.location.url(),
                });
            }
            return Err(StorageError::NotFound {
                url: url.to_string(),
            });
        }
        if status == 412 {
            return Err(StorageError::Precondition {
                url: url.to_string(),
            });
        }
        Err(StorageError::Status {
            op,
            url: url.to_string(),
            status,
            message: error_message(&body),
        })
    }
}

/// What a conditional write's answer means: its new version (the ETag
/// header), or, for the 409 that S3 (a write racing another) and Azurite
/// (`If-None-Match: *` on an existing blob) answer, a failed precondition.
pub(crate) fn written(
    answer: Result<Answer, StorageError>,
    o: &PutOptions,
    url: String,
) -> Result<Version, StorageError> {
    match answer {
        Err(StorageError::Status { status: 409, .. }) if o.precondition != Precondition::None => {
            Err(StorageError::Precondition { url })
        }
        Err(e) => Err(e),
        Ok(a) => Ok(a.etag()),
    }
}

/// The store's own words from an error answer: the `<Message>` of S3 and
/// Azure, the `error.message` of GCS, else the start of the text; clipped,
/// since a hostile store writes what it likes.
fn error_message(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = v.pointer("/error/message").and_then(|m| m.as_str()) {
            return Some(crate::cli::output::clip(m).into_owned());
        }
    }
    if let Some(m) = xml::first_text(body, "Message") {
        let code = xml::first_text(body, "Code");
        let m = match code {
            Some(c) => format!("{c}: {m}"),
            None => m,
        };
        return Some(crate::cli::output::clip(&m).into_owned());
    }
    let text = crate::cli::output::clip_bytes(body);
    (!text.trim().is_empty()).then(|| text.trim().to_string())
}

/// The MD5 of `data`.
pub fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

/// Percent-encodes everything but RFC 3986's unreserved characters, and
/// `/` too unless `keep_slash`.
pub(crate) fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `"abc"` → `abc`: ETags come quoted in headers and, from some stores,
/// unquoted in listings.
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The MD5 an S3 ETag stands for: a single-part upload's ETag is the MD5
/// in hex; a multipart one (`…-N`) is not.
pub(crate) fn md5_from_hex(s: &str) -> Option<[u8; 16]> {
    let s = unquote(s);
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The MD5 in base64, as GCS's `md5Hash` and Azure's `Content-MD5` hold it.
pub(crate) fn md5_from_base64(s: &str) -> Option<[u8; 16]> {
    use base64::Engine;
    let v = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    v.try_into().ok()
}

pub(crate) fn md5_base64(md5: &[u8; 16]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(md5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_checksums_are_read_in_each_stores_form() {
        let md5 = md5_of(b"hello");
        assert_eq!(
            md5_from_hex("\"5d41402abc4b2a76b9719d911017c592\""),
            Some(md5)
        );
        assert_eq!(md5_from_hex("\"5d41402abc4b2a76b9719d911017c592-2\""), None);
        assert_eq!(md5_from_base64("XUFAKrxLKna5cZ2REBfFkg=="), Some(md5));
        assert_eq!(md5_base64(&md5), "XUFAKrxLKna5cZ2REBfFkg==");
        assert_eq!(unquote("W/\"x\""), "x");
        assert_eq!(encode("a b/c~", true), "a%20b/c~");
        assert_eq!(encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn the_stores_own_words_are_kept_from_an_error_answer() {
        let s3 = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access &amp; more</Message></Error>";
        assert_eq!(
            error_message(s3).as_deref(),
            Some("AccessDenied: Access & more")
        );
        let gcs = br#"{"error":{"code":403,"message":"no access"}}"#;
        assert_eq!(error_message(gcs).as_deref(), Some("no access"));
        assert_eq!(error_message(b"").as_deref(), None);
    }
}
