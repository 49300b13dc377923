# Sourced by the scripts that build the pack: turns off every way a build
# script could find a system library or tool beyond the Rust toolchain and
# the C compiler, so that a build which needs one fails here, not on a user's
# fresh machine.
#
#   PKG_CONFIG=false           pkg-config lookups fail
#   LIBCLANG_PATH=<empty dir>  bindgen finds no libclang
#   capnp, pkg-config, clang, llvm-config on PATH: commands that fail
#
# Usage: . scripts/no-system-discovery.sh   (from the project root)

_wharf_shadow=$(pwd)/target/no-system-discovery
mkdir -p "$_wharf_shadow/bin" "$_wharf_shadow/empty"
for _wharf_tool in capnp pkg-config clang llvm-config; do
  printf '#!/bin/sh\necho "%s is not available to this build (scripts/no-system-discovery.sh)" >&2\nexit 1\n' \
    "$_wharf_tool" > "$_wharf_shadow/bin/$_wharf_tool"
  chmod 0755 "$_wharf_shadow/bin/$_wharf_tool"
done
export PATH="$_wharf_shadow/bin:$PATH"
export PKG_CONFIG=false
export LIBCLANG_PATH="$_wharf_shadow/empty"
unset _wharf_shadow _wharf_tool
