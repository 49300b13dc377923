//! Shared rig for the integration tests: the real Helm binaries provisioned
//! by `scripts/provision-peers.sh`, throwaway Helm homes, and chart archives.
#![allow(dead_code)]

pub mod registry;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The Helm releases the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helm {
    V3,
    V4,
}

pub const BOTH: [Helm; 2] = [Helm::V3, Helm::V4];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's test data, `tests/fixtures/` (see its README).
pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

impl Helm {
    pub fn version(self) -> &'static str {
        match self {
            Helm::V3 => "3.17.3",
            Helm::V4 => "4.1.4",
        }
    }

    /// Path of the provisioned binary; fails the test with instructions when
    /// it is missing.
    pub fn bin(self) -> PathBuf {
        let p = root()
            .join(".peers")
            .join(format!("helm-{}", self.version()))
            .join("helm");
        assert!(
            p.is_file(),
            "Helm {} is not provisioned at {}: run scripts/provision-peers.sh (or scripts/test.sh)",
            self.version(),
            p.display()
        );
        p
    }
}

/// A throwaway set of Helm homes (config, cache, data) for one test.
pub struct HelmHome {
    pub dir: tempfile::TempDir,
}

impl HelmHome {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["config", "cache", "data"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        HelmHome { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Environment a Helm or plugin process gets: only these homes.
    pub fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HELM_CONFIG_HOME", self.path().join("config")),
            ("HELM_CACHE_HOME", self.path().join("cache")),
            ("HELM_DATA_HOME", self.path().join("data")),
            ("HOME", self.path().to_path_buf()),
        ]
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        for (k, v) in self.envs() {
            c.env(k, v);
        }
        for k in [
            "HELM_DEBUG",
            "HELM_PLUGINS",
            "HELM_REPOSITORY_CONFIG",
            "HELM_REPOSITORY_CACHE",
            "HELM_REGISTRY_CONFIG",
            "HELM_BIN",
            "HELM_PLUGIN_DIR",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
            "SOURCE_DATE_EPOCH",
        ] {
            c.env_remove(k);
        }
        c
    }

    pub fn helm(&self, helm: Helm, args: &[&str]) -> Output {
        self.command(helm.bin())
            .args(args)
            .output()
            .expect("run helm")
    }

    /// Runs Helm and fails the test on a non-zero exit.
    pub fn helm_ok(&self, helm: Helm, args: &[&str]) -> String {
        let out = self.helm(helm, args);
        assert!(
            out.status.success(),
            "helm {} {:?} failed: {}{}",
            helm.version(),
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The `helm-idx` binary under test, run directly (not through Helm).
pub fn idx(home: &HelmHome) -> Command {
    home.command(env!("CARGO_BIN_EXE_helm-idx"))
}

/// The `helm-ocipush` binary under test, run directly, seeing neither the
/// user's Docker config nor their Helm settings.
pub fn ocipush(home: &HelmHome) -> Command {
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-ocipush"));
    c.env_remove("DOCKER_CONFIG");
    c
}

/// A finished command's stdout and stderr, for assertions and messages.
pub fn output_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs a command, asserting success; returns stdout.
pub fn ok(mut c: Command) -> String {
    let out = c.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed ({}): {}{}",
        c,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Replaces the values of `created` and `generated` (YAML or JSON) so two
/// indexes can be compared byte for byte otherwise.
pub fn mask_times(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let masked = [
            "created: \"",
            "generated: \"",
            "\"created\": \"",
            "\"generated\": \"",
        ]
        .iter()
        .find(|p| t.starts_with(*p))
        .map(|p| {
            let rest = &t[p.len()..];
            let end = rest.find('"').map_or(rest.len(), |i| i + 1);
            format!("{indent}{p}TIME\"{}", &rest[end..])
        });
        match masked {
            Some(m) => out.push_str(&m),
            None => out.push_str(line),
        }
    }
    out
}

/// Asserts two index texts are equal apart from timestamps, showing the
/// first differing line.
pub fn assert_same_index(ours: &str, helm: &str, what: &str) {
    let (a, b) = (mask_times(ours), mask_times(helm));
    if a != b {
        let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let i = la
            .iter()
            .zip(&lb)
            .position(|(x, y)| x != y)
            .unwrap_or(la.len().min(lb.len()));
        let ctx = |v: &[&str]| v[i.saturating_sub(3)..(i + 3).min(v.len())].join("\n");
        panic!(
            "{what}: output differs from Helm at line {} ({} vs {} lines)\n--- ours:\n{}\n--- helm:\n{}",
            i + 1,
            la.len(),
            lb.len(),
            ctx(&la),
            ctx(&lb)
        );
    }
}

/// Builds a .tgz from (path, content) pairs; paths are written verbatim
/// (so hostile names are possible), as regular files.
pub fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (path, data) in files {
        let mut h = [0u8; 512];
        assert!(path.len() <= 100, "path too long for this helper");
        h[..path.len()].copy_from_slice(path.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        tar.extend_from_slice(&h);
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// A minimal valid chart archive with the given Chart.yaml text.
pub fn chart_tgz(dir_name: &str, chart_yaml: &str) -> Vec<u8> {
    let cy = format!("{dir_name}/Chart.yaml");
    let vy = format!("{dir_name}/values.yaml");
    let tp = format!("{dir_name}/templates/cm.yaml");
    tgz(&[
        (&cy, chart_yaml.as_bytes()),
        (&vy, b"replicas: 1\n"),
        (&tp, b"apiVersion: v1\nkind: ConfigMap\n"),
    ])
}

/// Writes `chart_tgz` to `dir/file`.
pub fn write_chart(dir: &Path, file: &str, chart_yaml: &str) {
    let p = dir.join(file);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let name = file.rsplit('/').next().unwrap().trim_end_matches(".tgz");
    std::fs::write(p, chart_tgz(name, chart_yaml)).unwrap();
}

/// A static file server on 127.0.0.1 for the tests, optionally requiring
/// basic credentials. It stops when dropped.
pub struct FileServer {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FileServer {
    pub fn start(root: &Path, basic_auth: Option<(&str, &str)>) -> FileServer {
        use std::io::{BufRead, BufReader};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (root, stop2, reqs) = (root.to_path_buf(), stop.clone(), requests.clone());
        let expected = basic_auth.map(|(u, p)| {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            format!("Basic {encoded}")
        });
        let handle = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let (stream, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                };
                stream.set_nonblocking(false).unwrap();
                let mut r = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut auth = None;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("authorization") {
                            auth = Some(v.trim().to_string());
                        }
                    }
                }
                reqs.lock().unwrap().push(path.clone());
                let mut s = stream;
                let file = root.join(path.split('?').next().unwrap().trim_start_matches('/'));
                let resp: Vec<u8> = if expected.is_some() && auth != expected {
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                } else if let Ok(body) = std::fs::read(&file) {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                } else {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                };
                let _ = s.write_all(&resp);
            }
        });
        FileServer {
            url,
            stop,
            handle: Some(handle),
            requests,
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Runs `c`, returning its output, wall time and peak RSS in KiB, measured
/// for that child alone with wait4(2).
pub fn run_measured(mut c: Command) -> (Output, Duration, u64) {
    use std::io::Read;
    use std::process::Stdio;
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let read_all = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).ok();
            v
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let (status, usage) = wait4(child.id());
    let elapsed = start.elapsed();
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, elapsed, max_rss_kib(&usage))
}

/// Waits for child `pid` and takes its resource usage.
fn wait4(pid: u32) -> (std::process::ExitStatus, libc::rusage) {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(pid).expect("pid");
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child; the kernel fills the two values
        // we own and pass by pointer.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (std::process::ExitStatus::from_raw(status), usage);
        }
        let err = std::io::Error::last_os_error();
        assert!(
            err.kind() == std::io::ErrorKind::Interrupted,
            "wait4({pid}): {err}"
        );
    }
}

/// `ru_maxrss` in KiB: Linux counts KiB, macOS bytes.
fn max_rss_kib(usage: &libc::rusage) -> u64 {
    let raw = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    if cfg!(target_os = "macos") {
        raw / 1024
    } else {
        raw
    }
}
