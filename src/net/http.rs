//! The one HTTP client builder: every request the pack makes (chart
//! repositories, registries, token services, and object storage) goes
//! through a client built here, so timeouts, the user agent and TLS handling
//! are the same everywhere.

use std::path::Path;
use std::time::Duration;

use super::tls::read_tls_files;
use super::NetError;

/// How to reach a server.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpOptions<'a> {
    pub insecure_skip_tls_verify: bool,
    pub ca_file: Option<&'a Path>,
    /// Trust only the CA file's certificates, as `helm push --ca-file` does;
    /// otherwise they are added to the system's roots, as the chart getter
    /// has always done here.
    pub ca_only: bool,
    pub cert_and_key: Option<(&'a Path, &'a Path)>,
    /// Idle connections kept per host, for clients that upload in parallel.
    pub max_idle_per_host: Option<usize>,
    /// The longest one request may take, answer included (default 10 min).
    pub timeout: Option<Duration>,
    /// Never follow a redirect: for signed requests (object storage), whose
    /// session tokens and signed query strings a redirect would carry to
    /// wherever the answer points.
    pub no_redirects: bool,
}

/// The longest a request may take by default, answer included.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// Builds a blocking client for `o`.
pub fn client(o: &HttpOptions) -> Result<reqwest::blocking::Client, NetError> {
    let tls = read_tls_files(o.ca_file, o.cert_and_key)?;
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("helm-wharf/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(o.timeout.unwrap_or(DOWNLOAD_TIMEOUT))
        .danger_accept_invalid_certs(o.insecure_skip_tls_verify);
    if o.no_redirects {
        b = b.redirect(reqwest::redirect::Policy::none());
    }
    if let Some(n) = o.max_idle_per_host {
        b = b.pool_max_idle_per_host(n);
    }
    if let (Some(ca), true) = (o.ca_file, o.ca_only) {
        if tls.roots.is_empty() {
            return Err(NetError::NoCertificate(ca.to_path_buf()));
        }
        b = b.tls_built_in_root_certs(false);
    }
    for cert in tls.roots {
        b = b.add_root_certificate(cert);
    }
    if let Some(id) = tls.identity {
        b = b.identity(id);
    }
    b.build().map_err(|e| NetError::Client(e.without_url()))
}

/// Why a body could not be read into memory whole.
#[derive(Debug)]
pub enum BodyError {
    /// More than the limit.
    TooLarge,
    /// Not finished by the deadline: a server sending a byte at a time
    /// would otherwise hold the reader for as long as it likes, since each
    /// read only waits for the next byte.
    TimedOut,
    Io(std::io::Error),
}

/// Reads `r` to its end, at most `limit` bytes, by `deadline`.
pub fn read_body(
    mut r: impl std::io::Read,
    limit: u64,
    deadline: std::time::Instant,
) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BodyError::Io(e)),
        };
        if body.len() as u64 + n as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk[..n]);
        if std::time::Instant::now() > deadline {
            return Err(BodyError::TimedOut);
        }
    }
}

/// Why a request got no answer, as far as trying again is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    Timeout,
    /// Nothing listens on the port.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// The server answered a TLS hello in plain HTTP.
    PlainHttp,
    /// The TLS handshake failed: an untrusted or wrong certificate, say.
    Tls,
    /// The request could not even be built (an invalid port, say).
    Invalid,
    /// Dropped or reset connections, and everything else.
    Other,
}

impl Unanswered {
    /// Whether trying the same request again cannot help: a wrong address,
    /// scheme or certificate stays wrong. A refused connection is permanent
    /// only for a server never reached in this run; one that answered before
    /// may be restarting.
    pub fn is_permanent(self, reached_before: bool) -> bool {
        match self {
            Unanswered::Dns | Unanswered::PlainHttp | Unanswered::Tls | Unanswered::Invalid => true,
            Unanswered::Refused => !reached_before,
            Unanswered::Timeout | Unanswered::Other => false,
        }
    }
}

/// Sorts a failed request by its cause, from the error's source chain.
pub fn classify(e: &reqwest::Error) -> Unanswered {
    if e.is_builder() {
        return Unanswered::Invalid;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut texts = String::new();
    while let Some(inner) = src {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return Unanswered::Refused;
            }
        }
        texts.push_str(&inner.to_string());
        texts.push('\n');
        src = inner.source();
    }
    if texts.contains("InvalidContentType") {
        Unanswered::PlainHttp
    } else if texts.contains("dns error") || texts.contains("failed to lookup address") {
        Unanswered::Dns
    } else if texts.contains("invalid peer certificate")
        || texts.contains("certificate")
        || texts.contains("HandshakeFailure")
    {
        Unanswered::Tls
    } else if texts.contains("invalid port") || texts.contains("invalid URL") {
        Unanswered::Invalid
    } else if e.is_timeout() {
        Unanswered::Timeout
    } else {
        Unanswered::Other
    }
}

/// What went wrong with a request, without its URL (which may carry
/// credentials or an upload state): the cause in words, then the innermost
/// error the libraries gave.
pub fn describe(e: &reqwest::Error) -> String {
    let mut s = match classify(e) {
        Unanswered::Timeout => "timed out",
        Unanswered::Refused => "connection refused",
        Unanswered::Dns => "cannot resolve the host name",
        Unanswered::PlainHttp => "the server speaks plain HTTP, not HTTPS",
        Unanswered::Tls => "TLS handshake failed",
        Unanswered::Invalid => "invalid request",
        Unanswered::Other if e.is_connect() => "cannot connect",
        Unanswered::Other => "connection failed",
    }
    .to_string();
    let mut src = std::error::Error::source(e);
    let mut last = None;
    while let Some(inner) = src {
        last = Some(inner.to_string());
        src = inner.source();
    }
    match last {
        // The refusal and the plain-HTTP answer say all there is.
        _ if matches!(classify(e), Unanswered::Refused | Unanswered::PlainHttp) => {}
        Some(l) => {
            s.push_str(": ");
            s.push_str(&l);
        }
        None => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn send(url: &str) -> reqwest::Error {
        let c = client(&HttpOptions::default()).unwrap();
        c.get(url).send().unwrap_err()
    }

    #[test]
    fn a_body_is_capped_in_size_and_in_time() {
        use std::time::{Duration, Instant};
        struct Drip;
        impl std::io::Read for Drip {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_millis(1));
                buf[0] = b' ';
                Ok(1)
            }
        }
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(matches!(
            read_body(Drip, 1 << 20, soon),
            Err(BodyError::TimedOut)
        ));
        let later = Instant::now() + Duration::from_secs(60);
        assert!(matches!(
            read_body(Drip, 10, later),
            Err(BodyError::TooLarge)
        ));
        assert_eq!(read_body(&b"abc"[..], 3, later).unwrap(), b"abc");
    }

    #[test]
    fn refused_plain_http_and_dns_are_told_apart() {
        // A port nobody listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = send(&format!("http://127.0.0.1:{port}/"));
        assert_eq!(classify(&e), Unanswered::Refused);
        assert_eq!(describe(&e), "connection refused");
        assert!(Unanswered::Refused.is_permanent(false));
        assert!(!Unanswered::Refused.is_permanent(true));

        // A plain HTTP server asked for TLS.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let e = send(&format!("https://{addr}/"));
        assert_eq!(classify(&e), Unanswered::PlainHttp, "{}", describe(&e));

        let e = send("http://no-such-host.invalid/");
        assert_eq!(classify(&e), Unanswered::Dns, "{}", describe(&e));
        assert!(Unanswered::Dns.is_permanent(true));
    }
}
