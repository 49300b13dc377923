#!/bin/sh
# The pack's version: Cargo.toml's [package] version is the one source of
# truth.
#
#   scripts/version.sh            prints it
#   scripts/version.sh set X.Y.Z  writes it to Cargo.toml (and Cargo.lock)
#                                 and stamps it into every plugin.yaml
set -eu
cd "$(dirname "$0")/.."

current() {
  sed -n '/^\[package\]/,/^\[/s/^version = "\([^"]*\)"$/\1/p' Cargo.toml | head -n 1
}

case "${1:-}" in
  "")
    current
    ;;
  set)
    new=${2:?usage: scripts/version.sh set X.Y.Z}
    case "$new" in
      *[!0-9A-Za-z.+-]* | "") echo "not a version: $new" >&2; exit 2 ;;
    esac
    old=$(current)
    sed -i.bak "/^\[package\]/,/^\[/s/^version = \"$old\"\$/version = \"$new\"/" Cargo.toml
    rm -f Cargo.toml.bak
    for f in plugin.yaml plugins/*/plugin.yaml; do
      sed -i.bak "s/^version: .*/version: \"$new\"/" "$f"
      rm -f "$f.bak"
    done
    if command -v cargo >/dev/null 2>&1; then
      cargo metadata --format-version 1 --offline >/dev/null 2>&1 || true
    fi
    echo "$old -> $new"
    ;;
  *)
    echo "usage: scripts/version.sh [set X.Y.Z]" >&2
    exit 2
    ;;
esac
