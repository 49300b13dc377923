#!/usr/bin/env python3
"""Compare the OpenPGP crypto backends `helm prov` can be built with.

For each backend (a cargo feature of this package: crypto-rust,
crypto-nettle, crypto-openssl) this builds the release binaries cold, into a
target folder of its own under bench-work/crypto (git-ignored), and reports
the wall time of that build, the size of `helm-prov`, and the median time of
`helm prov verify` over many signed charts (RSA as Helm 3 and 4 sign, and
EdDSA as Helm 4 signs) and of `helm prov sign` with an exported RSA key.

Each backend is first built as on a fresh machine, with every system
discovery switched off (scripts/no-system-discovery.sh); whether that works is
the first column. Only when it fails is it built again with the system
libraries this machine has (nettle-dev, libgmp-dev, libclang-dev where
installed), to measure the rest.

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


def build(backend, work, no_system):
    """Cold release build of every binary with one backend, into a target
    folder of its own. With no_system, every system discovery is switched off
    (scripts/no-system-discovery.sh), as on a fresh machine with only Rust and
    a C compiler. Returns (helm-prov or None, seconds, why it failed)."""
    target = os.path.join(work, backend, "target-no-system" if no_system else "target")
    shutil.rmtree(target, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    cargo = ("cargo build --release --locked --no-default-features "
             f"--features prov,crypto-{backend}")
    script = (". scripts/no-system-discovery.sh && " if no_system else "") + cargo
    start = time.perf_counter()
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if r.returncode != 0:
        lines = r.stderr.decode(errors="replace").splitlines()
        lines = [l.strip() for l in lines if l.strip() and not l.strip().startswith(
            ("Compiling", "Downloaded", "Downloading", "warning"))]
        why = [l for l in lines if l.startswith("error") or "not available" in l
               or "libclang" in l or "PKG_CONFIG" in l]
        return None, took, " / ".join((why or lines)[:3])[:300]
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
        # First as a fresh machine builds it; only if that fails, with the
        # system libraries this machine has, to measure the rest.
        binary, took, why = build(backend, work, no_system=True)
        fresh = "yes" if binary else f"no ({why})"
        if binary is None:
            binary, took, why = build(backend, work, no_system=False)
        if binary is None:
            rows.append((backend, fresh, took, None, None, None, None, why))
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
        rows.append((backend, fresh, took, size, results["rsa"], results["ed25519"], sign, ""))
    print(f"\n{os.cpu_count()} cores; verify: {args.charts} charts in one call, sign: 200 charts "
          f"with an exported RSA-3072 key; medians of {args.runs} runs.\n")
    print("| backend | builds with only Rust and a C compiler | cold release build | "
          "helm-prov size | verify RSA | verify EdDSA | sign RSA |")
    print("|---|---|---|---|---|---|---|")
    for b, fresh, took, size, rsa, ed, sign, why in rows:
        if size is None:
            print(f"| crypto-{b} | {fresh} | fails after {took:.0f} s: {why} | | | | |")
        else:
            print(f"| crypto-{b} | {fresh} | {took:.0f} s | {size:.1f} MiB | {rsa:.2f} s | "
                  f"{ed:.2f} s | {sign:.2f} s |")

if __name__ == "__main__":
    main()
