#!/usr/bin/env bash
# The whole test suite: provisions the real peers (Helm 3.17.3 and 4.1.4,
# gpg, a registry) into .peers/ and from apt, proves that a copy of the
# checkout without target/ installs into Helm 3 and 4 with nothing but the
# Rust toolchain and a C compiler, builds the release binaries (with system
# discovery still off) that the plugin-install tests install into Helm, then
# runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision-peers.sh
cargo fmt --check
scripts/check-fresh-install.sh
. scripts/no-system-discovery.sh
cargo build --release --locked
cargo test --release --locked "$@"
