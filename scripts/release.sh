#!/usr/bin/env bash
# Builds the release archive install-binary.sh downloads:
#   dist/helm-wharf_<version>_<os>_<arch>.tar.gz and its .sha256
# (version from plugin.yaml; the archive holds the plugin binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' plugin.yaml)
os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
cargo build --release --locked
names=()
for p in plugins/*/plugin.yaml; do names+=("helm-$(basename "$(dirname "$p")")"); done
mkdir -p dist
archive="dist/helm-wharf_${version}_${os}_${arch}.tar.gz"
tar -czf "$archive" -C target/release "${names[@]}"
(cd dist && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "$archive"
