#!/usr/bin/env python3
"""Benchmark `helm prov verify` against a loop of the real `helm verify`.

Verifies 300 signed charts: once with one `helm prov verify` call, and with
`helm verify` run once per chart (what a CI job does today), and prints the
median wall time of several runs and the ratio. Inputs are generated into
bench-work/prov (git-ignored): the demo chart of tests/fixtures/prov under 300
names, signed with the fixtures' throwaway RSA key.

usage: scripts/bench-prov.py [--runs N] [--charts N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "helm-prov")
HELMS = {
    "3.17.3": os.path.join(ROOT, ".peers", "helm-3.17.3", "helm"),
    "4.1.4": os.path.join(ROOT, ".peers", "helm-4.1.4", "helm"),
}
FIX = os.path.join(ROOT, "tests", "fixtures", "prov")
KEYS = os.path.join(FIX, "keys")


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
    ap.add_argument("--charts", type=int, default=300)
    args = ap.parse_args()
    for p in [OURS] + list(HELMS.values()):
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run scripts/provision-peers.sh and cargo build --release")
    work = os.path.join(ROOT, "bench-work", "prov")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    demo = os.path.join(FIX, "helm4.1.4-rsa", "demo-0.1.0.tgz")
    charts = []
    for i in range(args.charts):
        p = os.path.join(work, f"demo-{i:04d}.tgz")
        shutil.copyfile(demo, p)
        charts.append(p)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    subprocess.run([OURS, "sign", *charts, "--keyring", os.path.join(KEYS, "rsa.sec.gpg")], env=env, check=True)
    ring = os.path.join(KEYS, "rsa.pub.gpg")

    ours = statistics.median(
        timed([[OURS, "verify", work, "--keyring", ring]], env) for _ in range(args.runs))
    print(f"\nVerifying {args.charts} charts, median of {args.runs} runs, {os.cpu_count()} cores.\n")
    print("| against | Helm (one `helm verify` per chart) | helm prov verify (one call) | speed-up | goal | met |")
    print("|---|---|---|---|---|---|")
    met = True
    for version, helm in HELMS.items():
        loop = [[helm, "verify", c, "--keyring", ring] for c in charts]
        theirs = statistics.median(timed(loop, env) for _ in range(args.runs))
        ratio = theirs / ours
        met &= ratio >= 10
        print(f"| Helm {version} | {theirs:.2f} s | {ours:.3f} s | {ratio:.1f}x | ≥10x | {'yes' if ratio >= 10 else 'NO'} |")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
