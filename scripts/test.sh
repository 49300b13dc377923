#!/usr/bin/env bash
# The whole test suite: provisions the real peers (Helm 3.17.3 and 4.1.4)
# into .peers/, builds the release binaries the plugin-install tests install
# into Helm, then runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision-peers.sh
cargo fmt --check
cargo build --release --locked
cargo test --release --locked "$@"
