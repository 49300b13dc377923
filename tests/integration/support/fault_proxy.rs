//! A fault-injecting reverse proxy to put in front of a registry or a
//! storage emulator (`super::storage` keeps a passing one in front of each,
//! to count requests).

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::http::{
    is_hop_by_hop, read_framed_body, read_head, read_request, Acceptor, Request, Response,
    IDLE_TIMEOUT,
};

/// What a [`FaultProxy`] does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it to the upstream and relay the answer.
    Pass,
    /// Forward it, and point the answer's `Location` at this `HOST:PORT`
    /// instead of the proxy (a registry sending uploads elsewhere).
    PassLocationTo(String),
    /// Answer `307 Temporary Redirect` to the same target on `HOST:PORT`.
    RedirectTo(String),
    /// Answer 200 with a body that never ends (chunked, zeros), until the
    /// client hangs up.
    Endless,
    /// Answer 200 and then one byte of body every 100 ms, until the client
    /// hangs up.
    Drip,
    /// Answer this status with no body (429 and 503 carry `Retry-After: 0`),
    /// without contacting the upstream.
    Status(u16),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Forward it, then close the connection without relaying the answer:
    /// the request took effect upstream, the client never learns it.
    PassThenDrop,
}

/// `(method, request target, status returned)` per request; status 0 for
/// [`Fault::Drop`] (and for [`Fault::PassThenDrop`], whatever the upstream
/// answered), 502 when the upstream could not be reached.
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
    /// `METHOD target` of every request that carried an `Authorization`
    /// header, to check where credentials went.
    pub authorized: Arc<Mutex<Vec<String>>>,
    /// The `Authorization` header values themselves, in arrival order, to
    /// check which credentials signed the requests.
    pub credentials: Arc<Mutex<Vec<String>>>,
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
    authorized: Arc<Mutex<Vec<String>>>,
    credentials: Arc<Mutex<Vec<String>>>,
    /// With [`FaultProxy::serving_referrers`]: descriptors of the manifests
    /// pushed with a `subject`, by (repository, subject digest).
    referrers: Option<Referrers>,
}

/// The referrers the proxy has seen pushed, for its referrers API.
type Referrers = Mutex<std::collections::BTreeMap<(String, String), Vec<serde_json::Value>>>;

impl FaultProxy {
    /// A passing proxy that adds the OCI 1.1 referrers API to a registry
    /// without one (distribution 2.8): a manifest pushed with a `subject` is
    /// answered with `OCI-Subject` and listed by `GET
    /// /v2/<name>/referrers/<digest>`, as a registry with the API does.
    pub fn serving_referrers(upstream: &str) -> FaultProxy {
        Self::start_with(upstream, Box::new(|_, _, _| Fault::Pass), true)
    }

    /// Starts a proxy for `upstream` (`http://127.0.0.1:PORT`). `plan` gets
    /// the request number (0-based, over all connections, in arrival order),
    /// the method and the request target (path and query) and decides.
    pub fn start(
        upstream: &str,
        plan: impl Fn(usize, &str, &str) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        Self::start_with(upstream, Box::new(plan), false)
    }

    fn start_with(upstream: &str, plan: Box<Plan>, referrers: bool) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("FaultProxy speaks plain HTTP only, not {upstream}"))
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let host = listener.local_addr().unwrap().to_string();
        let log = ProxyLog::default();
        let authorized = Arc::new(Mutex::new(Vec::new()));
        let credentials = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(ProxyState {
            upstream,
            own_host: host.clone(),
            plan,
            count: AtomicUsize::new(0),
            log: log.clone(),
            authorized: authorized.clone(),
            credentials: credentials.clone(),
            referrers: referrers.then(Referrers::default),
        });
        let acceptor = Acceptor::start(listener, move |stream| proxy_connection(stream, &state));
        FaultProxy {
            host,
            log,
            authorized,
            credentials,
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
        if let Some(value) = request.header("authorization") {
            let entry = format!("{} {}", request.method, request.target);
            state.authorized.lock().unwrap().push(entry);
            state.credentials.lock().unwrap().push(value.to_string());
        }
        let mut location_host = state.own_host.clone();
        let answer = match fault {
            Fault::Endless => {
                record(200);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n";
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
                chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
                chunk.extend_from_slice(b"\r\n");
                while writer.write_all(&chunk).is_ok() {}
                return;
            }
            Fault::Drip => {
                record(200);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 1000000\r\n\r\n";
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while writer.write_all(b" ").and_then(|()| writer.flush()).is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                return;
            }
            Fault::RedirectTo(other) => {
                record(307);
                let mut r = Response::status_only(307);
                let to = format!("http://{other}{}", request.target);
                r.headers.push(("Location".to_string(), to));
                r
            }
            Fault::Drop => {
                record(0);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::PassThenDrop => {
                let _ = forward(&request, &state.upstream);
                record(0);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::Status(status) => {
                record(status);
                Response::status_only(status)
            }
            Fault::Pass | Fault::PassLocationTo(_) => {
                if let Fault::PassLocationTo(other) = &fault {
                    location_host = other.clone();
                }
                let response = match referrers_answer(&request, state) {
                    Some(r) => r,
                    None => {
                        let mut r = forward(&request, &state.upstream).unwrap_or_else(|e| {
                            let mut r = Response::status_only(502);
                            r.body = e.to_string().into_bytes();
                            r
                        });
                        note_referrer(&request, &mut r, state);
                        r
                    }
                };
                record(response.status);
                response
            }
        };
        let close = request.wants_close();
        let bytes = answer
            .pointed_at(&state.upstream, &location_host)
            .serialize(&request.method, close);
        if writer.write_all(&bytes).is_err() || close {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// `GET /v2/<name>/referrers/<digest>`, answered from what was pushed
/// through the proxy (when it serves referrers).
fn referrers_answer(request: &Request, state: &ProxyState) -> Option<Response> {
    let known = state.referrers.as_ref()?;
    let path = request.target.split('?').next()?;
    let (repo, digest) = path.strip_prefix("/v2/")?.rsplit_once("/referrers/")?;
    if request.method != "GET" {
        return None;
    }
    let list = known
        .lock()
        .unwrap()
        .get(&(repo.to_string(), digest.to_string()))
        .cloned()
        .unwrap_or_default();
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": list,
    });
    let mut r = Response::status_only(200);
    r.headers.push((
        "Content-Type".into(),
        "application/vnd.oci.image.index.v1+json".into(),
    ));
    r.body = body.to_string().into_bytes();
    Some(r)
}

/// Records a manifest with a `subject` that the upstream stored, and says
/// so with `OCI-Subject`.
fn note_referrer(request: &Request, response: &mut Response, state: &ProxyState) {
    let Some(known) = state.referrers.as_ref() else {
        return;
    };
    let Some((repo, _)) = request
        .target
        .strip_prefix("/v2/")
        .and_then(|p| p.rsplit_once("/manifests/"))
    else {
        return;
    };
    if request.method != "PUT" || response.status != 201 {
        return;
    }
    let Ok(m) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
        return;
    };
    let Some(subject) = m.pointer("/subject/digest").and_then(|d| d.as_str()) else {
        return;
    };
    let digest = super::registry::sha256_digest(&request.body);
    let mut entry = serde_json::json!({
        "mediaType": m.get("mediaType").cloned().unwrap_or_default(),
        "digest": digest,
        "size": request.body.len(),
    });
    for k in ["artifactType", "annotations"] {
        if let Some(v) = m.get(k) {
            entry[k] = v.clone();
        }
    }
    let mut map = known.lock().unwrap();
    let list = map
        .entry((repo.to_string(), subject.to_string()))
        .or_default();
    if !list.iter().any(|e| e["digest"] == entry["digest"]) {
        list.push(entry);
    }
    response
        .headers
        .push(("OCI-Subject".into(), subject.to_string()));
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

impl Response {
    /// The response with `Location`s naming `upstream` pointed at
    /// `own_host`, so that clients keep going through the proxy.
    fn pointed_at(mut self, upstream: &str, own_host: &str) -> Response {
        for (name, value) in &mut self.headers {
            if name.eq_ignore_ascii_case("location") {
                *value = value.replacen(&format!("//{upstream}"), &format!("//{own_host}"), 1);
            }
        }
        self
    }
}
