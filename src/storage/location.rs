//! Storage URLs: which store, which bucket, which prefix.

use super::StorageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Gcs,
    S3,
    Azure,
    File,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gcs => "GCS",
            Kind::S3 => "S3",
            Kind::Azure => "Azure Blob Storage",
            Kind::File => "folder",
        }
    }
}

/// `gs://BUCKET/PREFIX`, parsed. The prefix has no leading or trailing
/// `/`; keys under it are joined with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub kind: Kind,
    /// The bucket or container; for `file://`, the folder's path.
    pub bucket: String,
    pub prefix: String,
    /// The scheme as the user wrote it, for messages (`az` stays `az`).
    scheme: String,
}

impl Location {
    /// Whether `url` names a store rather than a local folder.
    pub fn is_store_url(url: &str) -> bool {
        matches!(
            url.split_once("://")
                .map(|(s, _)| s.to_ascii_lowercase())
                .as_deref(),
            Some("gs" | "s3" | "azblob" | "az" | "file")
        )
    }

    pub fn parse(url: &str) -> Result<Location, StorageError> {
        let bad = || StorageError::BadUrl(url.to_string());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        let kind = match scheme.as_str() {
            "gs" => Kind::Gcs,
            "s3" => Kind::S3,
            "azblob" | "az" => Kind::Azure,
            "file" => Kind::File,
            _ => return Err(bad()),
        };
        if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_control()) {
            return Err(bad());
        }
        if kind == Kind::File {
            // file:///abs/path, or file://localhost/abs/path.
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(bad());
            }
            let path = path.trim_end_matches('/');
            return Ok(Location {
                kind,
                bucket: if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                },
                prefix: String::new(),
                scheme,
            });
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = !bucket.is_empty()
            && bucket.len() <= 222
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid_bucket {
            return Err(bad());
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|s| s == "." || s == "..") || prefix.contains("//") {
            return Err(bad());
        }
        Ok(Location {
            kind,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            scheme,
        })
    }

    /// The full object name of `key` (prefix joined).
    pub fn object_name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// The listing prefix: the prefix and a `/`, or nothing.
    pub fn list_prefix(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        }
    }

    /// The URL of the location itself, as the user would write it.
    pub fn url(&self) -> String {
        if self.kind == Kind::File {
            return format!("file://{}", self.bucket);
        }
        if self.prefix.is_empty() {
            format!("{}://{}", self.scheme, self.bucket)
        } else {
            format!("{}://{}/{}", self.scheme, self.bucket, self.prefix)
        }
    }

    /// The URL of `key` under the location.
    pub fn url_of(&self, key: &str) -> String {
        if self.kind == Kind::File {
            return format!("file://{}/{key}", self.bucket.trim_end_matches('/'));
        }
        format!(
            "{}://{}/{}",
            self.scheme,
            self.bucket,
            self.object_name(key)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_names_its_store_bucket_and_prefix() {
        let l = Location::parse("gs://charts/stable/").unwrap();
        assert_eq!(
            (l.kind, &*l.bucket, &*l.prefix),
            (Kind::Gcs, "charts", "stable")
        );
        assert_eq!(l.url_of("a-1.0.0.tgz"), "gs://charts/stable/a-1.0.0.tgz");
        assert_eq!(l.list_prefix(), "stable/");
        let l = Location::parse("az://c").unwrap();
        assert_eq!((l.kind, l.url()), (Kind::Azure, "az://c".to_string()));
        assert_eq!(l.url_of("index.yaml"), "az://c/index.yaml");
        let l = Location::parse("S3://b/x/y").unwrap();
        assert_eq!((l.kind, &*l.prefix), (Kind::S3, "x/y"));
        let l = Location::parse("file:///tmp/repo/").unwrap();
        assert_eq!((l.kind, &*l.bucket), (Kind::File, "/tmp/repo"));
        assert_eq!(l.url_of("index.yaml"), "file:///tmp/repo/index.yaml");
        for bad in [
            "gs://",
            "gs:///x",
            "gs://b/../x",
            "gs://b/a//c",
            "gs://b?x=1",
            "ftp://b",
            "file://relative",
            "gs://bu cket",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
        assert!(Location::is_store_url("azblob://c"));
        assert!(!Location::is_store_url("./dir"));
    }
}
