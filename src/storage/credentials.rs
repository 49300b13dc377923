//! Where each store's credentials come from, in the order the store's own
//! tools look (the AWS CLI and SDKs, gcloud and Google's client libraries,
//! the Azure CLI): environment variables first, then the tools' files. What
//! is found is held as [`Secret`]s, which print as `***`.

use std::collections::HashMap;
use std::path::PathBuf;

use super::StorageError;
use crate::net::Secret;

/// The environment, as the credential lookup reads it; tests give their
/// own.
pub trait Env {
    /// A variable's value; empty counts as unset, as the SDKs treat it.
    fn var(&self, name: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
}

/// The process's own environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn home(&self) -> Option<PathBuf> {
        dirs::home_dir()
    }
}

/// The most a credentials or config file may hold.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

fn read_config(
    path: &std::path::Path,
    store: &'static str,
) -> Result<Option<String>, StorageError> {
    // `AWS_CONFIG_FILE=/dev/null` is how people switch a file off.
    if path == std::path::Path::new("/dev/null") {
        return Ok(Some(String::new()));
    }
    match crate::fileutil::read_regular(path, MAX_CONFIG_BYTES) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::Credentials {
            store,
            message: format!(
                "cannot read {}: {}",
                path.display(),
                crate::cli::output::io_words(&e)
            ),
        }),
    }
}

// ---------------------------------------------------------------- AWS

/// Keys for signing S3 requests.
#[derive(Debug, Clone)]
pub struct AwsKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// How S3 requests are authorised.
#[derive(Debug, Clone)]
pub enum AwsAuth {
    Keys(AwsKeys),
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (EKS): keys from
    /// STS's `AssumeRoleWithWebIdentity`, fetched at first use.
    WebIdentity {
        token_file: PathBuf,
        role_arn: String,
        session_name: String,
    },
    /// No credentials anywhere: unsigned requests, for public buckets.
    Anonymous,
}

/// What the AWS environment says: credentials, region, endpoint.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    pub auth: AwsAuth,
    pub region: String,
    /// `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or the profile's
    /// `endpoint_url`: an S3-compatible store, addressed path-style.
    pub endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL`, for web identity.
    pub sts_endpoint: Option<String>,
}

/// The AWS CLI's order: environment keys, web identity, then the profile
/// in the shared credentials and config files.
pub fn aws(env: &dyn Env) -> Result<AwsConfig, StorageError> {
    let profile_name = env
        .var("AWS_PROFILE")
        .or_else(|| env.var("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let explicit_profile = env.var("AWS_PROFILE").is_some();
    let home = env.home().unwrap_or_default();
    let creds_path = env
        .var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let config_path = env
        .var("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let creds_file = read_config(&creds_path, "S3")?.map(|t| ini(&t));
    let config_file = read_config(&config_path, "S3")?.map(|t| ini(&t));
    let mut profile: HashMap<String, String> = HashMap::new();
    if let Some(c) = &config_file {
        let section = if profile_name == "default" {
            "default".to_string()
        } else {
            format!("profile {profile_name}")
        };
        for name in [section.as_str(), profile_name.as_str()] {
            if let Some(s) = c.get(name) {
                for (k, v) in s {
                    profile.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if let Some(c) = &creds_file {
        if let Some(s) = c.get(&profile_name) {
            for (k, v) in s {
                profile.insert(k.clone(), v.clone());
            }
        }
    }
    let found_profile = creds_file
        .as_ref()
        .is_some_and(|c| c.contains_key(&profile_name))
        || !profile.is_empty();
    if explicit_profile && !found_profile {
        return Err(StorageError::Credentials {
            store: "S3",
            message: format!(
                "AWS_PROFILE names the profile {profile_name:?}, which neither {} nor {} has",
                creds_path.display(),
                config_path.display()
            ),
        });
    }
    let region = env
        .var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
        .or_else(|| profile.get("region").cloned())
        .unwrap_or_else(|| "us-east-1".into());
    let endpoint = env
        .var("AWS_ENDPOINT_URL_S3")
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
        .or_else(|| profile.get("endpoint_url").cloned());
    let sts_endpoint = env
        .var("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.var("AWS_ENDPOINT_URL"));
    let keys_from =
        |id: Option<String>, secret: Option<String>, token: Option<String>| match (id, secret) {
            (Some(id), Some(secret)) => Some(AwsKeys {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                session_token: token.map(Secret::new),
            }),
            _ => None,
        };
    let auth = if let Some(k) = keys_from(
        env.var("AWS_ACCESS_KEY_ID"),
        env.var("AWS_SECRET_ACCESS_KEY"),
        env.var("AWS_SESSION_TOKEN"),
    ) {
        AwsAuth::Keys(k)
    } else if let (Some(file), Some(role)) = (
        env.var("AWS_WEB_IDENTITY_TOKEN_FILE")
            .or_else(|| profile.get("web_identity_token_file").cloned()),
        env.var("AWS_ROLE_ARN")
            .or_else(|| profile.get("role_arn").cloned()),
    ) {
        AwsAuth::WebIdentity {
            token_file: PathBuf::from(file),
            role_arn: role,
            session_name: env
                .var("AWS_ROLE_SESSION_NAME")
                .unwrap_or_else(|| "helm-sync".into()),
        }
    } else if let Some(k) = keys_from(
        profile.get("aws_access_key_id").cloned(),
        profile.get("aws_secret_access_key").cloned(),
        profile.get("aws_session_token").cloned(),
    ) {
        AwsAuth::Keys(k)
    } else {
        AwsAuth::Anonymous
    };
    Ok(AwsConfig {
        auth,
        region,
        endpoint,
        sts_endpoint,
    })
}

/// An INI file as the AWS tools read it: `[section]`, `key = value`,
/// comments with `#` or `;`.
fn ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            out.entry(section.clone()).or_default();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

// ---------------------------------------------------------------- Google

/// How GCS requests are authorised.
#[derive(Debug, Clone)]
pub enum GoogleAuth {
    /// `GOOGLE_OAUTH_ACCESS_TOKEN`.
    Token(Secret),
    /// A service account key (`type: service_account`): a signed JWT
    /// exchanged for a token at its `token_uri`.
    ServiceAccount {
        client_email: String,
        private_key: Secret,
        token_uri: String,
    },
    /// A user's refresh token (`type: authorized_user`, what `gcloud auth
    /// application-default login` writes).
    User {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        token_uri: String,
    },
    /// The metadata server of the machine (GCE, GKE, Cloud Run).
    Metadata { host: String },
    /// `STORAGE_EMULATOR_HOST` with no credentials: the emulator takes any.
    Anonymous,
}

#[derive(Debug, Clone)]
pub struct GoogleConfig {
    pub auth: GoogleAuth,
    /// `https://storage.googleapis.com`, or the emulator's URL.
    pub base_url: String,
}

/// Google's order: an explicit token, `GOOGLE_APPLICATION_CREDENTIALS`,
/// gcloud's application-default file, then the metadata server
/// (`GCE_METADATA_HOST`, else the link-local address); with
/// `STORAGE_EMULATOR_HOST` and none of those set, no credentials.
pub fn google(env: &dyn Env) -> Result<GoogleConfig, StorageError> {
    let emulator = env.var("STORAGE_EMULATOR_HOST").map(|h| {
        let h = h.trim_end_matches('/');
        if h.contains("://") {
            h.to_string()
        } else {
            format!("http://{h}")
        }
    });
    let base_url = emulator
        .clone()
        .unwrap_or_else(|| "https://storage.googleapis.com".into());
    if let Some(t) = env.var("GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok(GoogleConfig {
            auth: GoogleAuth::Token(Secret::new(t)),
            base_url,
        });
    }
    let explicit = env.var("GOOGLE_APPLICATION_CREDENTIALS").map(PathBuf::from);
    let adc = env
        .var("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env.home().map(|h| h.join(".config/gcloud")))
        .map(|d| d.join("application_default_credentials.json"));
    for (path, must_exist) in [(explicit, true), (adc, false)] {
        let Some(path) = path else { continue };
        let Some(text) = read_config(&path, "GCS")? else {
            if must_exist {
                return Err(StorageError::Credentials {
                    store: "GCS",
                    message: format!(
                        "GOOGLE_APPLICATION_CREDENTIALS names {}, which does not exist",
                        path.display()
                    ),
                });
            }
            continue;
        };
        return Ok(GoogleConfig {
            auth: google_file(&text, &path)?,
            base_url,
        });
    }
    // A metadata server named explicitly is used even with an emulator;
    // otherwise an emulator needs no credentials.
    let auth = match (env.var("GCE_METADATA_HOST"), &emulator) {
        (Some(host), _) => GoogleAuth::Metadata { host },
        (None, Some(_)) => GoogleAuth::Anonymous,
        (None, None) => GoogleAuth::Metadata {
            host: "169.254.169.254".into(),
        },
    };
    Ok(GoogleConfig { auth, base_url })
}

fn google_file(text: &str, path: &std::path::Path) -> Result<GoogleAuth, StorageError> {
    let bad = |what: &str| StorageError::Credentials {
        store: "GCS",
        message: format!("{}: {what}", path.display()),
    };
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| bad("not a JSON credentials file"))?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let token_uri =
        field("token_uri").unwrap_or_else(|| "https://oauth2.googleapis.com/token".into());
    match field("type").as_deref() {
        Some("service_account") => Ok(GoogleAuth::ServiceAccount {
            client_email: field("client_email").ok_or_else(|| bad("no client_email"))?,
            private_key: Secret::new(field("private_key").ok_or_else(|| bad("no private_key"))?),
            token_uri,
        }),
        Some("authorized_user") => Ok(GoogleAuth::User {
            client_id: field("client_id").ok_or_else(|| bad("no client_id"))?,
            client_secret: Secret::new(
                field("client_secret").ok_or_else(|| bad("no client_secret"))?,
            ),
            refresh_token: Secret::new(
                field("refresh_token").ok_or_else(|| bad("no refresh_token"))?,
            ),
            token_uri,
        }),
        Some(other) => Err(bad(&format!(
            "credentials of type {:?} are not supported (service_account and authorized_user are)",
            crate::cli::output::clip(other)
        ))),
        None => Err(bad("no \"type\" field")),
    }
}

// ---------------------------------------------------------------- Azure

/// How Azure requests are authorised.
#[derive(Debug, Clone)]
pub enum AzureAuth {
    /// Shared Key: the account key, base64.
    Key(Secret),
    /// A SAS token, appended to every URL.
    Sas(Secret),
}

#[derive(Debug, Clone)]
pub struct AzureConfig {
    pub account: String,
    pub auth: AzureAuth,
    /// `https://ACCOUNT.blob.core.windows.net`, or the connection string's
    /// `BlobEndpoint` (Azurite's `http://127.0.0.1:10000/devstoreaccount1`).
    pub endpoint: String,
}

/// The Azure CLI's variables: `AZURE_STORAGE_CONNECTION_STRING`, else
/// `AZURE_STORAGE_ACCOUNT` with `AZURE_STORAGE_KEY` or
/// `AZURE_STORAGE_SAS_TOKEN`.
pub fn azure(env: &dyn Env) -> Result<AzureConfig, StorageError> {
    let bad = |m: String| StorageError::Credentials {
        store: "Azure",
        message: m,
    };
    if let Some(cs) = env.var("AZURE_STORAGE_CONNECTION_STRING") {
        let mut fields: HashMap<String, String> = HashMap::new();
        for part in cs.split(';') {
            if let Some((k, v)) = part.split_once('=') {
                fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if fields.get("usedevelopmentstorage").map(String::as_str) == Some("true") {
            fields
                .entry("accountname".into())
                .or_insert_with(|| "devstoreaccount1".into());
            fields
                .entry("accountkey".into())
                .or_insert_with(|| AZURITE_KEY.into());
            fields
                .entry("blobendpoint".into())
                .or_insert_with(|| "http://127.0.0.1:10000/devstoreaccount1".into());
        }
        let account = fields.get("accountname").cloned();
        let endpoint = match (fields.get("blobendpoint"), &account) {
            (Some(e), _) => e.trim_end_matches('/').to_string(),
            (None, Some(a)) => format!(
                "{}://{a}.blob.{}",
                fields
                    .get("defaultendpointsprotocol")
                    .map_or("https", |s| s.as_str()),
                fields
                    .get("endpointsuffix")
                    .map_or("core.windows.net", |s| s.as_str())
            ),
            (None, None) => {
                return Err(bad(
                    "AZURE_STORAGE_CONNECTION_STRING has neither AccountName nor BlobEndpoint"
                        .into(),
                ))
            }
        };
        let auth = if let Some(k) = fields.get("accountkey") {
            AzureAuth::Key(Secret::new(k.clone()))
        } else if let Some(s) = fields.get("sharedaccesssignature") {
            AzureAuth::Sas(Secret::new(s.trim_start_matches('?').to_string()))
        } else {
            return Err(bad(
                "AZURE_STORAGE_CONNECTION_STRING has neither AccountKey nor SharedAccessSignature"
                    .into(),
            ));
        };
        return Ok(AzureConfig {
            account: account.unwrap_or_default(),
            auth,
            endpoint,
        });
    }
    let Some(account) = env.var("AZURE_STORAGE_ACCOUNT") else {
        return Err(bad("no credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN".into()));
    };
    let auth = if let Some(k) = env.var("AZURE_STORAGE_KEY") {
        AzureAuth::Key(Secret::new(k))
    } else if let Some(s) = env.var("AZURE_STORAGE_SAS_TOKEN") {
        AzureAuth::Sas(Secret::new(s.trim_start_matches('?').to_string()))
    } else {
        return Err(bad(format!(
            "AZURE_STORAGE_ACCOUNT is {account:?} but neither AZURE_STORAGE_KEY nor AZURE_STORAGE_SAS_TOKEN is set"
        )));
    };
    let endpoint = env
        .var("AZURE_STORAGE_BLOB_ENDPOINT")
        .map(|e| e.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://{account}.blob.core.windows.net"));
    Ok(AzureConfig {
        account,
        auth,
        endpoint,
    })
}

/// Azurite's well-known development key (public; in Microsoft's docs).
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub struct MapEnv(pub HashMap<String, String>, pub Option<PathBuf>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned().filter(|v| !v.is_empty())
        }
        fn home(&self) -> Option<PathBuf> {
            self.1.clone()
        }
    }

    pub fn env(vars: &[(&str, &str)], home: Option<PathBuf>) -> MapEnv {
        MapEnv(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home,
        )
    }

    #[test]
    fn aws_keys_come_from_the_environment_then_the_profile() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n[ci]\naws_access_key_id=C\naws_secret_access_key=CS\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile ci]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:9\n",
        )
        .unwrap();
        let h = Some(home.path().to_path_buf());
        let c = aws(&env(
            &[("AWS_ACCESS_KEY_ID", "E"), ("AWS_SECRET_ACCESS_KEY", "ES")],
            h.clone(),
        ))
        .unwrap();
        assert!(matches!(&c.auth, AwsAuth::Keys(k) if k.access_key_id == "E"));
        assert_eq!(c.region, "us-east-1");
        let c = aws(&env(&[], h.clone())).unwrap();
        assert!(matches!(&c.auth, AwsAuth::Keys(k) if k.access_key_id == "D"));
        let c = aws(&env(&[("AWS_PROFILE", "ci")], h.clone())).unwrap();
        assert!(
            matches!(&c.auth, AwsAuth::Keys(k) if k.access_key_id == "C" && k.secret_access_key.expose() == "CS")
        );
        assert_eq!(c.region, "eu-west-3");
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert!(aws(&env(&[("AWS_PROFILE", "nope")], h.clone())).is_err());
        let c = aws(&env(
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ],
            None,
        ))
        .unwrap();
        assert!(matches!(c.auth, AwsAuth::WebIdentity { .. }));
        assert!(matches!(
            aws(&env(&[], None)).unwrap().auth,
            AwsAuth::Anonymous
        ));
        assert!(!format!("{c:?}").contains("CS"));
        // /dev/null switches a file off, as the AWS CLI takes it.
        let c = aws(&env(
            &[
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ],
            h,
        ))
        .unwrap();
        assert!(matches!(c.auth, AwsAuth::Anonymous));
    }

    #[test]
    fn azure_connection_strings_and_account_variables_are_read() {
        let c = azure(&env(&[("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;")], None)).unwrap();
        assert_eq!(c.account, "devstoreaccount1");
        assert_eq!(c.endpoint, "http://127.0.0.1:1/devstoreaccount1");
        assert!(matches!(c.auth, AzureAuth::Key(_)));
        let c = azure(&env(
            &[(
                "AZURE_STORAGE_CONNECTION_STRING",
                "AccountName=acct;SharedAccessSignature=?sv=1&sig=x",
            )],
            None,
        ))
        .unwrap();
        assert_eq!(c.endpoint, "https://acct.blob.core.windows.net");
        assert!(matches!(&c.auth, AzureAuth::Sas(s) if s.expose() == "sv=1&sig=x"));
        let c = azure(&env(
            &[("AZURE_STORAGE_ACCOUNT", "a"), ("AZURE_STORAGE_KEY", "k")],
            None,
        ))
        .unwrap();
        assert_eq!(c.endpoint, "https://a.blob.core.windows.net");
        assert!(azure(&env(&[("AZURE_STORAGE_ACCOUNT", "a")], None)).is_err());
        assert!(azure(&env(&[], None)).is_err());
    }

    #[test]
    fn google_sources_are_taken_in_order() {
        let c = google(&env(&[("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")], None)).unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:4443");
        assert!(matches!(c.auth, GoogleAuth::Anonymous));
        let c = google(&env(&[("GOOGLE_OAUTH_ACCESS_TOKEN", "t")], None)).unwrap();
        assert!(matches!(c.auth, GoogleAuth::Token(_)));
        assert_eq!(c.base_url, "https://storage.googleapis.com");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sa.json");
        std::fs::write(&f, r#"{"type":"service_account","client_email":"a@b","private_key":"k","token_uri":"http://127.0.0.1:1/token"}"#).unwrap();
        let c = google(&env(
            &[("GOOGLE_APPLICATION_CREDENTIALS", f.to_str().unwrap())],
            None,
        ))
        .unwrap();
        assert!(
            matches!(&c.auth, GoogleAuth::ServiceAccount { token_uri, .. } if token_uri == "http://127.0.0.1:1/token")
        );
        assert!(google(&env(
            &[("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent")],
            None
        ))
        .is_err());
        let c = google(&env(&[], None)).unwrap();
        assert!(matches!(c.auth, GoogleAuth::Metadata { .. }));
    }
}
