//! A bearer-token service for registries, in the test process.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine;
use serde_json::{json, Value};

use super::http::{read_request, reason, Acceptor, Request, IDLE_TIMEOUT};
use super::pki::{openssl, OPENSSL_CNF};
use super::registry::{ISSUER, PASSWORD, REFRESH_TOKEN, SERVICE, USER};
use super::{lossy, ok, tool};

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
        ok(openssl(
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
            expires_in: AtomicU64::new(300),
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
            root_cert,
            requests,
            authority,
            _acceptor: acceptor,
            _dir: dir,
        }
    }

    /// Makes the answers from now on state this lifetime (`expires_in`),
    /// as a careless or hostile token service might.
    pub fn set_expires_in(&self, seconds: u64) {
        self.authority.expires_in.store(seconds, Ordering::SeqCst);
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
    /// The `expires_in` the answers state (the JWTs expire after 300 s
    /// whatever this says).
    expires_in: AtomicU64,
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
    let expires_in = authority.expires_in.load(Ordering::SeqCst);
    let body = if request.method == "GET" {
        json!({"token": token, "access_token": token, "expires_in": expires_in})
    } else {
        json!({"access_token": token, "expires_in": expires_in})
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
