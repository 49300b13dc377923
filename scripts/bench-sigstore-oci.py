#!/usr/bin/env python3
"""Benchmark `helm prov verify --sigstore` of charts in a registry.

Pushes 300 charts to a real registry (Debian's docker-registry on 127.0.0.1,
no referrers API, so the tag index is read), signs each with a cosign key in
both of cosign's forms (`helm prov sign --sigstore`, one call, no log
entry), then times verifying all their Sigstore signatures:

  - with one `helm prov verify` call for all 300 charts;
  - with one `helm prov verify` per chart (what a CI loop over `cosign
    verify` does; no cosign binary exists for these machines);
  - against the limit: fetching the 300 chart manifests alone with curl,
    8 at once (the same concurrency), which any verifier must do first.

A verification reads 4 documents per chart when its bundle verifies (the
manifest, the tag index, the referrer and the bundle; the referrers API's
404 is asked once per registry, the .sig manifest only when no bundle
verifies), so it cannot come within 4x of the limit; the figures say how
close it comes. Prints the median wall time
of several runs and the ratios. Inputs go to bench-work/sigstore-oci
(git-ignored).

usage: scripts/bench-sigstore-oci.py [--runs N] [--charts N]
"""
import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROV = os.path.join(ROOT, "target", "release", "helm-prov")
OCIPUSH = os.path.join(ROOT, "target", "release", "helm-ocipush")
HELM = os.path.join(ROOT, ".peers", "helm-4.1.4", "helm")

# The registry and chart helpers of the push benchmark.
_spec = importlib.util.spec_from_file_location(
    "bench_ocipush", os.path.join(ROOT, "scripts", "bench-ocipush.py"))
bench_ocipush = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_ocipush)


timed = bench_ocipush.timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--charts", type=int, default=300)
    args = ap.parse_args()
    for p in [PROV, OCIPUSH, HELM]:
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run scripts/provision-peers.sh and cargo build --release")
    if shutil.which("docker-registry") is None:
        sys.exit("docker-registry is not installed: run scripts/provision-peers.sh")
    if shutil.which("curl") is None:
        sys.exit("curl is not installed (apt-get install curl)")
    work = os.path.join(ROOT, "bench-work", "sigstore-oci")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = tempfile.mkdtemp(dir=work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    env.update(HOME=home, HELM_CONFIG_HOME=f"{home}/config", HELM_CACHE_HOME=f"{home}/cache",
               HELM_DATA_HOME=f"{home}/data", COSIGN_PASSWORD="bench")
    env.pop("DOCKER_CONFIG", None)
    folder, charts = bench_ocipush.make_charts(HELM, work, args.charts, env)
    proc, host, storage = bench_ocipush.start_registry(work)
    try:
        timed([[OCIPUSH, folder, f"oci://{host}/bench", "--plain-http"]], env)
        prefix = os.path.join(work, "cosign")
        timed([[PROV, "keygen", "--sigstore", "--output-key-prefix", prefix]], env)
        refs = []
        for c in charts:
            name, version = os.path.basename(c)[:-len(".tgz")].rsplit("-", 1)
            refs.append(f"oci://{host}/bench/{name}:{version}")
        timed([[PROV, "sign", *refs, "--sigstore", "--key", f"{prefix}.key",
                "--tlog-upload=false", "--plain-http"]], env)
        policy = ["--key", f"{prefix}.pub", "--insecure-ignore-tlog", "--plain-http"]
        one = statistics.median(timed([[PROV, "verify", *refs, *policy]], env)
                                for _ in range(args.runs))
        loop = statistics.median(timed([[PROV, "verify", r, *policy] for r in refs], env)
                                 for _ in range(args.runs))
        curl = ["curl", "-sf", "--parallel", "--parallel-max", "8",
                "-H", "Accept: application/vnd.oci.image.manifest.v1+json"]
        for r in refs:
            repo, tag = r[len(f"oci://{host}/"):].rsplit(":", 1)
            curl += [f"http://{host}/v2/{repo}/manifests/{tag}", "-o", "/dev/null"]
        limit = statistics.median(timed([curl], env) for _ in range(args.runs))
    finally:
        proc.kill()
        shutil.rmtree(storage, ignore_errors=True)
    print(f"\nVerifying the Sigstore signatures (both forms) of {args.charts} charts in a "
          f"registry, median of {args.runs} runs, {os.cpu_count()} cores.\n")
    print("| way | wall time | vs one call |")
    print("|---|---|---|")
    print(f"| `helm prov verify` once per chart | {loop:.2f} s | {loop / one:.1f}x slower |")
    print(f"| `helm prov verify` one call | {one:.2f} s | 1x |")
    print(f"| limit: the {args.charts} manifests alone (curl, 8 at once) | {limit:.2f} s "
          f"| one call takes {one / limit:.1f}x the limit |")


if __name__ == "__main__":
    main()
