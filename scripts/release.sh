#!/usr/bin/env bash
# Builds the release archive install-binary.sh downloads:
#   dist/helm-wharf_<version>_<os>_<arch>.tar.gz and its .sha256
# (version from Cargo.toml, see scripts/version.sh; the archive holds the
# plugin binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
version=$(scripts/version.sh)
cargo build --release --locked
names=()
for n in $(wharf_commands .); do names+=("helm-$n"); done
mkdir -p dist
archive="dist/helm-wharf_${version}_$(wharf_platform).tar.gz"
tar -czf "$archive" -C target/release "${names[@]}"
(cd dist && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "$archive"
