#!/usr/bin/env python3
"""Benchmark `helm ocipush` against a loop of the real `helm push`.

Pushes 200 signed charts (the `helm create` chart under 200 names, each with
its .prov) to a real registry (Debian's docker-registry on 127.0.0.1): once
with one `helm ocipush` call, and with `helm push` run once per chart (what
CI jobs and migration scripts do today). Every run pushes into a fresh
repository path, so nothing is already there. Prints the median wall time
of several runs and the ratio. Inputs go to bench-work/ocipush (git-ignored).

The registry keeps its storage in /dev/shm when there is one: on a small VM
its file writes to disk, not either client, would otherwise set the pace.

usage: scripts/bench-ocipush.py [--runs N] [--charts N]
"""
import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "helm-ocipush")
PROV = os.path.join(ROOT, "target", "release", "helm-prov")
HELMS = {
    "3.17.3": os.path.join(ROOT, ".peers", "helm-3.17.3", "helm"),
    "4.1.4": os.path.join(ROOT, ".peers", "helm-4.1.4", "helm"),
}
KEYS = os.path.join(ROOT, "tests", "fixtures", "prov", "keys")
GOAL = 5.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_registry(work):
    port = free_port()
    storage = tempfile.mkdtemp(dir="/dev/shm") if os.path.isdir("/dev/shm") else f"{work}/storage"
    cfg = os.path.join(work, "registry.yml")
    with open(cfg, "w") as f:
        f.write(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
    proc = subprocess.Popen(["docker-registry", "serve", cfg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            return proc, f"127.0.0.1:{port}", storage
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("docker-registry did not start: run scripts/provision-peers.sh")


def make_charts(helm, work, n, env):
    """The `helm create` chart packaged under n names, each signed."""
    base = os.path.join(work, "src")
    subprocess.run([helm, "create", base], env=env, check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(work, "charts")
    os.makedirs(out)
    for i in range(n):
        name = f"bench-{i:03d}"
        path = os.path.join(out, f"{name}-1.0.{i}.tgz")
        with tarfile.open(path, "w:gz") as tar:
            for dirpath, _, files in os.walk(base):
                for fn in sorted(files):
                    full = os.path.join(dirpath, fn)
                    rel = os.path.relpath(full, base)
                    data = open(full, "rb").read()
                    if rel == "Chart.yaml":
                        text = data.decode()
                        text = text.replace("name: src", f"name: {name}")
                        text = text.replace("version: 0.1.0", f"version: 1.0.{i}")
                        data = text.encode()
                    info = tarfile.TarInfo(f"{name}/{rel}")
                    info.size = len(data)
                    info.mtime = 1_700_000_000
                    tar.addfile(info, io.BytesIO(data))
    charts = sorted(os.path.join(out, f) for f in os.listdir(out))
    subprocess.run([PROV, "sign", *charts, "--keyring", os.path.join(KEYS, "rsa.sec.gpg")],
                   env=env, check=True)
    return out, charts


def timed(cmds, env):
    start = time.perf_counter()
    for cmd in cmds:
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr.decode(errors='replace')}")
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--charts", type=int, default=200)
    args = ap.parse_args()
    for p in [OURS, PROV] + list(HELMS.values()):
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run scripts/provision-peers.sh and cargo build --release")
    if shutil.which("docker-registry") is None:
        sys.exit("docker-registry is not installed: run scripts/provision-peers.sh")
    work = os.path.join(ROOT, "bench-work", "ocipush")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = tempfile.mkdtemp(dir=work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    env.update(HOME=home, HELM_CONFIG_HOME=f"{home}/config", HELM_CACHE_HOME=f"{home}/cache",
               HELM_DATA_HOME=f"{home}/data")
    env.pop("DOCKER_CONFIG", None)
    folder, charts = make_charts(HELMS["4.1.4"], work, args.charts, env)
    proc, host, storage = start_registry(work)
    try:
        run = iter(range(1_000_000))
        ours = statistics.median(
            timed([[OURS, folder, f"oci://{host}/ours{next(run)}", "--plain-http"]], env)
            for _ in range(args.runs))
        print(f"\nPushing {args.charts} signed charts to a fresh repository path, "
              f"median of {args.runs} runs, {os.cpu_count()} cores.\n")
        print("| against | Helm (one `helm push` per chart) | helm ocipush (one call) | speed-up | goal | met |")
        print("|---|---|---|---|---|---|")
        met = True
        for version, helm in HELMS.items():
            def loop():
                path = f"oci://{host}/helm{next(run)}"
                return timed([[helm, "push", c, path, "--plain-http"] for c in charts], env)
            theirs = statistics.median(loop() for _ in range(args.runs))
            ratio = theirs / ours
            met &= ratio >= GOAL
            print(f"| Helm {version} | {theirs:.2f} s | {ours:.2f} s | {ratio:.1f}x | "
                  f"≥{GOAL:.0f}x | {'yes' if ratio >= GOAL else 'NO'} |")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(storage, ignore_errors=True)
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
