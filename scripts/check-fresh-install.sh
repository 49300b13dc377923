#!/usr/bin/env bash
# README's first Quick start command on a fresh machine: `helm plugin install`
# of a copy of this checkout that has no target/ folder, with every system
# discovery a build script could use turned off (scripts/no-system-discovery.sh),
# so install-binary.sh falls back to `cargo build --release --locked` and that
# build may use nothing but the Rust toolchain and the C compiler. Then runs a
# plugin through Helm, for Helm 3.17.3 and 4.1.4, and uninstalls it.
#
# The build goes to this checkout's target/ (CARGO_TARGET_DIR), so the
# release build that follows in scripts/test.sh reuses every dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

. scripts/no-system-discovery.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/helm-wharf"
mkdir -p "$copy"
# What a clone has: tracked files and new ones not ignored, never target/.
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$copy"
[ ! -e "$copy/target" ] || { echo "check-fresh-install: the copy has a target/" >&2; exit 1; }

fail() { echo "check-fresh-install: $*" >&2; exit 1; }

# Each Helm runs with a HOME of its own; rustup and cargo find the toolchain
# through HOME unless told, so pin them to the caller's before HOME changes.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

for version in 3.17.3 4.1.4; do
  helm="$root/.peers/helm-$version/helm"
  [ -x "$helm" ] || fail "Helm $version is not provisioned: run scripts/provision-peers.sh"
  home="$work/home-$version"
  mkdir -p "$home"
  run_helm() {
    env -u HELM_PLUGINS -u HELM_DEBUG \
      HOME="$home" HELM_CONFIG_HOME="$home/config" HELM_CACHE_HOME="$home/cache" \
      HELM_DATA_HOME="$home/data" CARGO_TARGET_DIR="$root/target" \
      HELM_WHARF_RELEASE_URL="http://127.0.0.1:9/unreachable" \
      "$helm" "$@"
  }
  echo "check-fresh-install: helm $version plugin install (a copy without target/)" >&2
  out=$(run_helm plugin install "$copy" 2>&1) || fail "Helm $version: install failed: $out"
  case "$out" in *"Installed plugin: wharf"*) ;; *) fail "Helm $version: $out" ;; esac
  list=$(run_helm plugin list)
  for p in wharf idx prov ocipush sync sync-getter; do
    grep -q "^$p[[:space:]]" <<<"$list" || fail "Helm $version: $p is not listed: $list"
  done
  run_helm idx --help | grep -q "helm idx" || fail "Helm $version: helm idx does not run"
  run_helm prov --help | grep -q "verify" || fail "Helm $version: helm prov does not run"
  run_helm sync --help | grep -q "helm sync" || fail "Helm $version: helm sync does not run"
  run_helm plugin uninstall wharf >/dev/null
done
echo "check-fresh-install: built and installed with nothing but Rust and a C compiler" >&2
