#!/usr/bin/env python3
"""Benchmark `helm idx build` against the real `helm repo index`.

Runs both side by side on the same inputs and prints, per case, the median
wall time and peak RSS of several runs and the ratios Helm/ours:

  merge-16MB/INPUT   10 new charts merged into a 16 MB index, with no
                     DIR/index.yaml yet (first) and again with the one the
                     first run wrote in place (again); on each input:
                       grafana-x4   grafana-index.yaml replicated 4 times,
                                    charts renamed NAME-rK
                       argo-x10     argo-index.yaml replicated 10 times,
                                    charts renamed tK-NAME
                       mixed        both fixtures replicated and interleaved
                                    chart by chart, renamed NAMExKI
                       small-50k    synthetic: 2000 charts x 25 versions of
                                    small entries
  rebuild-3000       a 3000-chart folder (100 names x 30 versions) indexed
                     again with nothing changed
  first-3000         the same folder indexed for the first time

Inputs are generated into bench-work/ (git-ignored). Needs the peers from
scripts/provision-peers.sh and a release build (cargo build --release).

usage: scripts/bench-idx.py [--runs N] [--helm 3|4|both] [--only CASE-PREFIX]
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
ARGO = os.path.join(ROOT, "tests", "fixtures", "index", "argo-index.yaml")

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


def split_index(path):
    """(entries block, generated line) of a gh-pages index."""
    src = open(path, encoding="utf-8").read()
    _, rest = src.split("entries:\n", 1)
    body, gen = rest.split("\ngenerated:", 1)
    return body, "generated:" + gen


def charts_of(body):
    """The entries block cut into one text per chart (its key line first)."""
    parts = re.split(r"(?m)^(?=  [^ -][^\n]*:$)", body)
    return [p if p.endswith("\n") else p + "\n" for p in parts if p.strip()]


def renamed(chart, new_name):
    old = re.match(r"  (.*):$", chart.split("\n", 1)[0]).group(1)
    text = re.sub(r"^  [^ -].*:$", f"  {new_name}:", chart, count=1, flags=re.M)
    text = re.sub(r"^    name: " + re.escape(old) + r"$", f"    name: {new_name}", text, flags=re.M)
    return text.replace(f"- {old}-", f"- {new_name}-")


def write_index(path, charts, gen):
    with open(path, "w", encoding="utf-8") as f:
        f.write("apiVersion: v1\nentries:\n")
        f.writelines(charts)
        f.write(gen)


def make_big_indexes():
    """The large inputs, built in different ways (see the docstring)."""
    g_body, gen = split_index(GRAFANA)
    a_body, _ = split_index(ARGO)
    g, a = charts_of(g_body), charts_of(a_body)
    name = lambda c: re.match(r"  (.*):$", c.split("\n", 1)[0]).group(1)
    out = {}
    p = os.path.join(WORK, "grafana-x4.yaml")
    if not os.path.exists(p):
        write_index(p, g + [renamed(c, f"{name(c)}-r{k}") for k in range(2, 5) for c in g], gen)
    out["grafana-x4"] = p
    p = os.path.join(WORK, "argo-x10.yaml")
    if not os.path.exists(p):
        write_index(p, [c if k == 0 else renamed(c, f"t{k}-{name(c)}") for k in range(10) for c in a], gen)
    out["argo-x10"] = p
    p = os.path.join(WORK, "mixed.yaml")
    if not os.path.exists(p):
        charts = []
        for k in range(2):
            for i in range(max(len(g), len(a))):
                for src in (g, a, a, a):
                    if i < len(src):
                        charts.append(renamed(src[i], f"{name(src[i])}x{k}{len(charts)}"))
        write_index(p, charts, gen)
    out["mixed"] = p
    p = os.path.join(WORK, "small-50k.yaml")
    if not os.path.exists(p):
        charts = []
        for n in range(2000):
            lines = [f"  s{n:04d}:\n"]
            for v in range(25):
                lines.append(
                    f"  - apiVersion: v2\n    appVersion: 1.{v}.0\n"
                    f"    created: \"2024-01-{1 + v % 28:02d}T10:00:00.{n:04d}Z\"\n"
                    f"    description: Small chart {n}\n"
                    f"    digest: {(n * 131 + v * 7919):064x}\n"
                    f"    name: s{n:04d}\n    type: application\n"
                    f"    urls:\n    - https://charts.example.com/s{n:04d}-1.{v}.0.tgz\n"
                    f"    version: 1.{v}.0\n")
            charts.append("".join(lines))
        write_index(p, charts, gen)
    out["small-50k"] = p
    return out


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
    ap.add_argument("--only", default="", help="run only the cases whose key starts with this")
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
    bigs = make_big_indexes()
    for key, path in bigs.items():
        print(f"  {key}: {os.path.getsize(path) / 2**20:.1f} MiB", file=sys.stderr)
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
    out16 = os.path.join(new10, "index.yaml")
    cases = []
    for key, big in bigs.items():
        # first: no DIR/index.yaml; again: the one the first run wrote.
        cases.append((f"merge-16MB/{key}/first", f"10 new charts into a 16 MB index ({key})", 40, 10,
                      lambda h, big=big: ([h, "repo", "index", new10, "--merge", big], rm(out16)),
                      ([OURS, "build", new10, "--merge", big], rm(out16))))
        cases.append((f"merge-16MB/{key}/again", f"the same, DIR/index.yaml in place ({key})", 40, 10,
                      lambda h, big=big: ([h, "repo", "index", new10, "--merge", big],
                                          lambda: run([h, "repo", "index", new10, "--merge", big], env)
                                          if not os.path.exists(out16) else None),
                      ([OURS, "build", new10, "--merge", big],
                       lambda big=big: run([OURS, "build", new10, "--merge", big], env)
                       if not os.path.exists(out16) else None)))
    cases += [
        ("rebuild-3000", "3000 charts, nothing changed", 30, None,
         lambda h: ([h, "repo", "index", r_h], noop),
         ([OURS, "build", r_o], noop)),
        ("first-3000", "3000 charts, no index yet", 10, None,
         lambda h: ([h, "repo", "index", r_h], rm(os.path.join(r_h, "index.yaml"))),
         ([OURS, "build", r_o], rm(os.path.join(r_o, "index.yaml")))),
    ]
    cases = [c for c in cases if c[0].startswith(args.only)]
    # The rebuild case starts from an existing index in each folder.
    run([OURS, "build", r_o], env)
    run([HELMS["3"], "repo", "index", r_h], env)

    rows = []
    for key, what, time_goal, mem_goal, helm_cmd, ours in cases:
        if key.endswith("/first"):
            rm(out16)()
        o_wall, o_rss = measure(key, ours[0], ours[1], env, args.runs)
        for hv in helms:
            if key.endswith("/again"):
                rm(out16)()
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
