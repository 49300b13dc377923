#!/usr/bin/env python3
"""Benchmark `helm idx build` against the real `helm repo index`.

Runs both side by side on the same inputs and prints, per case, the median
wall time and peak RSS of several runs and the ratios Helm/ours:

  merge-16MB   10 new charts merged into a 16 MB index (grafana-index.yaml
               replicated 4 times under renamed charts)
  rebuild-3000 a 3000-chart folder (100 names x 30 versions) indexed again
               with nothing changed
  first-3000   the same folder indexed for the first time

Inputs are generated into bench-work/ (git-ignored). Needs the peers from
scripts/provision-peers.sh and a release build (cargo build --release).

usage: scripts/bench-idx.py [--runs N] [--helm 3|4|both]
"""
import argparse
import gzip
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench-work")
OURS = os.path.join(ROOT, "target", "release", "helm-idx")
HELMS = {
    "3": os.path.join(ROOT, ".peers", "helm-3.17.3", "helm"),
    "4": os.path.join(ROOT, ".peers", "helm-4.1.4", "helm"),
}
GRAFANA = os.path.join(ROOT, "tests", "fixtures", "index", "grafana-index.yaml")

# The files of `helm create`'s chart, abridged but of the same size (~4 KB
# compressed), so loading costs what a real small chart costs.
TEMPLATE = {
    "values.yaml": ("replicaCount: 1\nimage:\n  repository: nginx\n  pullPolicy: IfNotPresent\n  tag: \"\"\n"
                    "imagePullSecrets: []\nnameOverride: \"\"\nfullnameOverride: \"\"\nserviceAccount:\n"
                    "  create: true\n  automount: true\n  annotations: {}\n  name: \"\"\npodAnnotations: {}\n"
                    "podLabels: {}\npodSecurityContext: {}\nsecurityContext: {}\nservice:\n  type: ClusterIP\n"
                    "  port: 80\ningress:\n  enabled: false\n  className: \"\"\n  annotations: {}\n  hosts:\n"
                    "    - host: chart-example.local\n      paths:\n        - path: /\n          pathType: ImplementationSpecific\n"
                    "  tls: []\nresources: {}\nlivenessProbe:\n  httpGet:\n    path: /\n    port: http\n"
                    "readinessProbe:\n  httpGet:\n    path: /\n    port: http\nautoscaling:\n  enabled: false\n"
                    "  minReplicas: 1\n  maxReplicas: 100\n  targetCPUUtilizationPercentage: 80\nvolumes: []\n"
                    "volumeMounts: []\nnodeSelector: {}\ntolerations: []\naffinity: {}\n"),
    ".helmignore": "# Patterns to ignore when building packages.\n.DS_Store\n.git/\n.gitignore\n*.swp\n*.bak\n*.tmp\n",
    "templates/_helpers.tpl": ("{{- define \"x.name\" -}}\n{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix \"-\" }}\n{{- end }}\n" * 12),
    "templates/deployment.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n"
                                  "spec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n"
                                  "      containers:\n        - name: {{ .Chart.Name }}\n          image: \"{{ .Values.image.repository }}\"\n") * 4,
    "templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"x.fullname\" . }}\nspec:\n  type: {{ .Values.service.type }}\n",
    "templates/NOTES.txt": "1. Get the application URL by running these commands:\n" * 10,
}


def chart_tgz(name, version):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            files = dict(TEMPLATE)
            files["Chart.yaml"] = (f"apiVersion: v2\nname: {name}\ndescription: A Helm chart for Kubernetes\n"
                                   f"type: application\nversion: {version}\nappVersion: \"1.16.0\"\n")
            for path, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(f"{name}/{path}")
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_folder(path, names, versions):
    if os.path.isdir(path) and len(os.listdir(path)) >= names * len(versions):
        return
    os.makedirs(path, exist_ok=True)
    for n in range(names):
        for v in versions:
            with open(os.path.join(path, f"chart{n:03d}-{v}.tgz"), "wb") as f:
                f.write(chart_tgz(f"chart{n:03d}", v))


def make_big_index(path):
    if os.path.exists(path):
        return
    src = open(GRAFANA, encoding="utf-8").read()
    head, rest = src.split("entries:\n", 1)
    body, gen = rest.split("\ngenerated:", 1)
    out = [head + "entries:\n", body, "\n"]
    for k in range(2, 5):
        b = re.sub(r"^  ([^ -].*):$", lambda m: f"  {m.group(1)}-r{k}:", body, flags=re.M)
        b = re.sub(r"^    name: (.*)$", lambda m: f"    name: {m.group(1)}-r{k}", b, flags=re.M)
        out.append(b + "\n")
    out.append("generated:" + gen)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(out))


TIME = "/usr/bin/time"


def run(cmd, env):
    """Wall seconds and peak RSS (MiB) of one run.

    The peak comes from GNU time, not from wait4 here: a child's ru_maxrss
    starts at the peak of the process that forked it (Linux carries the old
    address space's high-water mark across exec, vfork included), so this
    script's own memory would be a floor under every figure."""
    start = time.perf_counter()
    p = subprocess.Popen([TIME, "-f", "wharf-maxrss-kib %M", *cmd], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    status = p.wait()
    wall = time.perf_counter() - start
    p.stderr.close()
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    kib = [l for l in err.splitlines() if l.startswith("wharf-maxrss-kib ")][-1]
    return wall, int(kib.split()[1]) / 1024


def measure(label, cmd, prepare, env, runs):
    walls, rss = [], []
    for _ in range(runs):
        prepare()
        w, m = run(cmd, env)
        walls.append(w)
        rss.append(m)
    return statistics.median(walls), max(rss)


def main():
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} (GNU time) is missing: run scripts/provision-peers.sh, "
                 "or apt-get install time")
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--helm", default="both", choices=["3", "4", "both"])
    args = ap.parse_args()
    for p in [OURS] + list(HELMS.values()):
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run scripts/provision-peers.sh and cargo build --release")
    os.makedirs(WORK, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    home = os.path.join(WORK, "home")
    env.update(HELM_CONFIG_HOME=home + "/c", HELM_CACHE_HOME=home + "/k", HELM_DATA_HOME=home + "/d")

    print("preparing inputs in bench-work/ ...", file=sys.stderr)
    versions = [f"1.{m}.{p}" for m in range(6) for p in range(5)]  # 30 versions
    make_folder(os.path.join(WORK, "r3000"), 100, versions)
    new10 = os.path.join(WORK, "new10")
    make_folder(new10, 10, ["9.9.9"])
    big = os.path.join(WORK, "grafana-x4.yaml")
    make_big_index(big)
    for copy in ("r3000-helm", "r3000-ours"):
        dst = os.path.join(WORK, copy)
        if not os.path.isdir(dst):
            shutil.copytree(os.path.join(WORK, "r3000"), dst, copy_function=os.link)

    def rm(path):
        return lambda: os.path.exists(path) and os.remove(path)

    def noop():
        pass

    helms = ["3", "4"] if args.helm == "both" else [args.helm]
    r_h, r_o = os.path.join(WORK, "r3000-helm"), os.path.join(WORK, "r3000-ours")
    cases = [
        ("merge-16MB", "10 new charts into a 16 MB index", 20, 5,
         lambda h: ([h, "repo", "index", new10, "--merge", big], rm(os.path.join(new10, "index.yaml"))),
         ([OURS, "build", new10, "--merge", big], rm(os.path.join(new10, "index.yaml")))),
        ("rebuild-3000", "3000 charts, nothing changed", 10, None,
         lambda h: ([h, "repo", "index", r_h], noop),
         ([OURS, "build", r_o], noop)),
        ("first-3000", "3000 charts, no index yet", 3, None,
         lambda h: ([h, "repo", "index", r_h], rm(os.path.join(r_h, "index.yaml"))),
         ([OURS, "build", r_o], rm(os.path.join(r_o, "index.yaml")))),
    ]
    # The rebuild case starts from an existing index in each folder.
    run([OURS, "build", r_o], env)
    run([HELMS["3"], "repo", "index", r_h], env)

    rows = []
    for key, what, time_goal, mem_goal, helm_cmd, ours in cases:
        o_wall, o_rss = measure(key, ours[0], ours[1], env, args.runs)
        for hv in helms:
            cmd, prep = helm_cmd(HELMS[hv])
            h_wall, h_rss = measure(key, cmd, prep, env, args.runs)
            if key == "rebuild-3000":
                run([OURS, "build", r_o], env)
            t_ratio, m_ratio = h_wall / o_wall, h_rss / o_rss
            ok = t_ratio >= time_goal and (mem_goal is None or m_ratio >= mem_goal)
            rows.append((what, f"Helm {'3.17.3' if hv == '3' else '4.1.4'}", h_wall, h_rss, o_wall, o_rss,
                         t_ratio, m_ratio, f"≥{time_goal}x" + (f", ≥{mem_goal}x less memory" if mem_goal else ""),
                         "yes" if ok else "NO"))
            print(f"{key} vs Helm {hv}: {t_ratio:.1f}x faster, {m_ratio:.1f}x less memory", file=sys.stderr)

    print(f"\nMedian of {args.runs} runs, peak RSS the largest; {os.cpu_count()} cores.\n")
    print("| case | against | Helm time | Helm RSS | helm idx time | helm idx RSS | speed-up | memory | goal | met |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (what, against, hw, hr, ow, orss, tr, mr, goal, met) in rows:
        print(f"| {what} | {against} | {hw:.2f} s | {hr:.0f} MiB | {ow:.3f} s | {orss:.0f} MiB | "
              f"{tr:.1f}x | {mr:.1f}x | {goal} | {met} |")
    if any(r[-1] != "yes" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
