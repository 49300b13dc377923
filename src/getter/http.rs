//! The HTTP(S) getter (`pkg/getter/httpgetter.go`): basic credentials and
//! TLS files from the repository's entry in repositories.yaml.

use super::{Body, GetError, Getter, GetterOptions};
use crate::net::{self, BodyError, HttpOptions, SafeUrl};

pub(super) struct HttpGetter;

impl Getter for HttpGetter {
    fn get(&self, url: &SafeUrl, o: &GetterOptions, kind: Body) -> Result<Vec<u8>, GetError> {
        crate::debug!("GET {url}");
        let client = net::client(&HttpOptions {
            insecure_skip_tls_verify: o.insecure_skip_tls_verify,
            ca_file: o.ca_file.as_deref(),
            cert_and_key: o.cert_file.as_deref().zip(o.key_file.as_deref()),
            ..HttpOptions::default()
        })?;
        let mut req = client.get(url.expose());
        if o.has_credentials() {
            req = req.basic_auth(&o.username, Some(o.password.expose()));
        }
        let fetch = |e: reqwest::Error| GetError::Fetch {
            url: url.clone(),
            cause: net::describe(&e),
        };
        let resp = req.send().map_err(fetch)?;
        let status = resp.status();
        crate::debug!("GET {url}: {status}");
        if !status.is_success() {
            return Err(GetError::Status {
                url: url.clone(),
                status,
            });
        }
        let too_large = || GetError::TooLarge {
            url: url.clone(),
            what: kind.what(),
            limit: kind.limit(),
        };
        if resp.content_length().is_some_and(|n| n > kind.limit()) {
            return Err(too_large());
        }
        let deadline = std::time::Instant::now() + net::DOWNLOAD_TIMEOUT;
        net::read_body(resp, kind.limit(), deadline).map_err(|e| match e {
            BodyError::TooLarge => too_large(),
            BodyError::TimedOut => GetError::Fetch {
                url: url.clone(),
                cause: format!("timed out after {:?}", net::DOWNLOAD_TIMEOUT),
            },
            BodyError::Io(source) => GetError::Read {
                url: url.clone(),
                source,
            },
        })
    }
}
