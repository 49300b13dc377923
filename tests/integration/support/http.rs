//! The one loopback HTTP server of the tests and its minimal HTTP/1.1
//! plumbing: an accept loop ([`Acceptor`]), requests and responses read and
//! written by hand. The token service and the fault proxy are built on it,
//! and so is [`FileServer`], which serves a folder.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Socket read timeout of the in-test servers, so idle threads end.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Accept loop on its own thread, one thread per connection. Dropping it
/// stops accepting (connections already open finish on their own).
pub struct Acceptor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    pub fn start(
        listener: TcpListener,
        handle: impl Fn(TcpStream) + Send + Sync + 'static,
    ) -> Acceptor {
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let handle = handle.clone();
                    thread::spawn(move || handle(stream));
                }
            }
        });
        Acceptor {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocked accept so the loop sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A request as read off the wire, body de-chunked.
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the client asked to close the connection after this answer.
    pub fn wants_close(&self) -> bool {
        let connection = self.header("connection").unwrap_or("");
        connection.eq_ignore_ascii_case("close")
            || (self.version == "HTTP/1.0" && !connection.eq_ignore_ascii_case("keep-alive"))
    }
}

/// A response to relay (or made up), body complete.
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Response {
    /// A bodiless answer (429 and 503 carry `Retry-After: 0`).
    pub fn status_only(status: u16) -> Response {
        let mut headers = Vec::new();
        if status == 429 || status == 503 {
            headers.push(("Retry-After".to_string(), "0".to_string()));
        }
        Response {
            status,
            reason: reason(status).to_string(),
            headers,
            body: Vec::new(),
        }
    }

    /// Wire form for the client: hop-by-hop headers dropped, the body
    /// re-framed with Content-Length (kept as is for HEAD, 204 and 304,
    /// whose Content-Length describes a body not sent).
    pub fn serialize(&self, method: &str, close: bool) -> Vec<u8> {
        let keep_length = method == "HEAD" || matches!(self.status, 204 | 304);
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            if is_hop_by_hop(name) || (!keep_length && name.eq_ignore_ascii_case("content-length"))
            {
                continue;
            }
            head += &format!("{name}: {value}\r\n");
        }
        if !keep_length {
            head += &format!("Content-Length: {}\r\n", self.body.len());
        }
        if close {
            head += "Connection: close\r\n";
        }
        head += "\r\n";
        let mut bytes = head.into_bytes();
        if method != "HEAD" {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// Header (name, value) pairs in wire order.
pub type Headers = Vec<(String, String)>;

pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads one request; `None` when the connection closed between requests.
/// A client that sent `Expect: 100-continue` is told to go on through
/// `interim` before the body is read.
pub fn read_request(
    reader: &mut impl BufRead,
    interim: &mut impl Write,
) -> io::Result<Option<Request>> {
    let Some((line, headers)) = read_head(reader)? else {
        return Ok(None);
    };
    let mut parts = line.split_whitespace();
    let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) => (m.to_string(), t.to_string(), v.to_string()),
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, line)),
    };
    let expect = find_header(&headers, "expect");
    if expect.is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = read_framed_body(reader, &headers)?.unwrap_or_default();
    Ok(Some(Request {
        method,
        target,
        version,
        headers,
        body,
    }))
}

/// Start line and headers; `None` on EOF before a start line.
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Option<(String, Headers)>> {
    let mut line = String::new();
    // Tolerate empty lines before the start line (RFC 9112 section 2.2).
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let start = line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "in headers"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(Some((start, headers)));
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
}

/// A body framed by `Transfer-Encoding: chunked` or `Content-Length`;
/// `None` when neither is present.
pub fn read_framed_body(
    reader: &mut impl BufRead,
    headers: &[(String, String)],
) -> io::Result<Option<Vec<u8>>> {
    let chunked = find_header(headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(reader).map(Some);
    }
    let Some(length) = find_header(headers, "content-length") else {
        return Ok(None);
    };
    let length: usize = length
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(body))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            break;
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(&mut line)?; // CRLF after the chunk
    }
    // Trailers, up to the empty line.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(body);
        }
    }
}

pub fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

/// Headers that describe one connection, not the message.
pub fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Serves the files of a folder on 127.0.0.1 (GET and HEAD), optionally
/// requiring basic credentials; one request per connection. It stops
/// accepting when dropped.
pub struct FileServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The target (path and query) of every request, in arrival order.
    pub requests: Arc<Mutex<Vec<String>>>,
    _acceptor: Acceptor,
}

impl FileServer {
    pub fn start(root: &Path, basic_auth: Option<(&str, &str)>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind file server");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let expected = basic_auth.map(|(u, p)| {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            format!("Basic {encoded}")
        });
        let (root, log) = (root.to_path_buf(), requests.clone());
        let acceptor = Acceptor::start(listener, move |stream| {
            serve_file(stream, &root, expected.as_deref(), &log)
        });
        FileServer {
            url,
            requests,
            _acceptor: acceptor,
        }
    }
}

/// What a release server says its files are: Helm 3 installs a plugin from
/// a URL only when the answer says gzip.
fn content_type(path: &str) -> &'static str {
    if path.ends_with(".tgz") || path.ends_with(".tar.gz") {
        "application/gzip"
    } else {
        "application/octet-stream"
    }
}

/// Answers one request for a file under `root` (`Connection: close`).
fn serve_file(stream: TcpStream, root: &Path, auth: Option<&str>, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let Ok(Some(request)) = read_request(&mut reader, &mut writer) else {
        return;
    };
    log.lock().unwrap().push(request.target.clone());
    // A proxy's request names the whole URL (absolute form): the file
    // server is then the proxy, and serves the path.
    let target = match request.target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => request.target.as_str(),
    };
    let path = target.split('?').next().unwrap_or("");
    let file = root.join(path.trim_start_matches('/'));
    let response = if auth.is_some() && request.header("authorization") != auth {
        Response::status_only(401)
    } else if let Ok(body) = std::fs::read(&file) {
        Response {
            status: 200,
            reason: reason(200).to_string(),
            headers: vec![
                ("Content-Length".to_string(), body.len().to_string()),
                ("Content-Type".to_string(), content_type(path).to_string()),
            ],
            body,
        }
    } else {
        Response::status_only(404)
    };
    let _ = writer.write_all(&response.serialize(&request.method, true));
    let _ = writer.shutdown(Shutdown::Both);
}
