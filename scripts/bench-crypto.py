#!/usr/bin/env python3
"""Compare the OpenPGP crypto backends `helm prov` can be built with.

For each backend (a cargo feature of this package: crypto-rust,
crypto-nettle, crypto-openssl) this builds the release binaries cold, into a
target folder of its own under bench-work/crypto (git-ignored), and reports
the wall time of that build, the size of `helm-prov`, and the median time of
`helm prov verify` over many signed charts (RSA as Helm 3 and 4 sign, and
EdDSA as Helm 4 signs) and of `helm prov sign` with an exported RSA key.

A backend whose build fails (for instance because a system library it needs
is missing) is reported as such; that is one of the things measured.

usage: scripts/bench-crypto.py [--backends rust,nettle,openssl] [--charts N] [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = os.path.join(ROOT, "tests", "fixtures", "prov", "keys")
SAMPLES = os.path.join(ROOT, "tests", "fixtures", "prov")


def run(cmd, env=None, **kw):
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr.decode(errors='replace')[-2000:]}")


def timed(cmd, env):
    start = time.perf_counter()
    run(cmd, env)
    return time.perf_counter() - start


def build(backend, work):
    target = os.path.join(work, backend, "target")
    shutil.rmtree(target, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    cmd = ["cargo", "build", "--release", "--locked", "--no-default-features",
           "--features", f"prov,crypto-{backend}"]
    start = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if r.returncode != 0:
        last = [l for l in r.stderr.decode(errors="replace").splitlines() if l.strip()][-3:]
        return None, took, " / ".join(last)
    return os.path.join(target, "release", "helm-prov"), took, ""


def charts(work, sample, n):
    d = os.path.join(work, "charts-" + os.path.basename(os.path.dirname(sample)))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    paths = []
    for i in range(n):
        p = os.path.join(d, f"demo-{i:04d}.tgz")
        shutil.copyfile(sample, p)
        paths.append(p)
    return d, paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="rust,nettle,openssl")
    ap.add_argument("--charts", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = os.path.join(ROOT, "bench-work", "crypto")
    os.makedirs(work, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    demo = os.path.join(SAMPLES, "helm4.1.4-rsa", "demo-0.1.0.tgz")
    rows = []
    for backend in args.backends.split(","):
        binary, took, why = build(backend, work)
        if binary is None:
            rows.append((backend, took, None, None, None, None, why))
            continue
        size = os.path.getsize(binary) / (1024 * 1024)
        results = {}
        for key in ["rsa", "ed25519"]:
            d, paths = charts(work, demo, args.charts)
            run([binary, "sign", *paths, "--keyring", os.path.join(KEYS, f"{key}.sec.gpg")], env)
            ring = os.path.join(KEYS, f"{key}.pub.gpg")
            results[key] = statistics.median(
                timed([binary, "verify", d, "--keyring", ring], env) for _ in range(args.runs))
        d, paths = charts(work, demo, 200)
        sign = statistics.median(
            timed([binary, "sign", *paths, "--keyring", os.path.join(KEYS, "rsa.sec.gpg")], env)
            for _ in range(args.runs))
        rows.append((backend, took, size, results["rsa"], results["ed25519"], sign, ""))
    print(f"\n{os.cpu_count()} cores; verify: {args.charts} charts in one call, sign: 200 charts "
          f"with an exported RSA-3072 key; medians of {args.runs} runs.\n")
    print("| backend | cold release build | helm-prov size | verify RSA | verify EdDSA | sign RSA | notes |")
    print("|---|---|---|---|---|---|---|")
    for b, took, size, rsa, ed, sign, why in rows:
        if size is None:
            print(f"| crypto-{b} | fails after {took:.0f} s | | | | | {why} |")
        else:
            print(f"| crypto-{b} | {took:.0f} s | {size:.1f} MiB | {rsa:.2f} s | {ed:.2f} s | {sign:.2f} s | |")


if __name__ == "__main__":
    main()
