# Shell helpers shared by install-binary.sh, wharf.sh and scripts/*.sh.
# POSIX sh: install-binary.sh runs under whatever /bin/sh the user has.
#
# The pack's version has one source of truth, Cargo.toml's [package]
# version; scripts/version.sh stamps it into every plugin.yaml, and a test
# checks that they agree. Everything installed reads it from plugin.yaml,
# which every copy of the plugin carries.

# wharf_field FILE KEY: a top-level scalar of a plugin.yaml.
wharf_field() {
  sed -n "s/^$2: *\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$1"
}

# wharf_version DIR: the pack's version, from DIR/plugin.yaml.
wharf_version() {
  wharf_field "$1/plugin.yaml" version
}

# wharf_plugins DIR: the names of the pack's plugins (DIR/plugins/<name>).
wharf_plugins() {
  for p in "$1"/plugins/*/plugin.yaml; do
    [ -f "$p" ] || continue
    basename "$(dirname "$p")"
  done
}

# wharf_commands DIR: the plugins that are commands (`helm <name>`), each with
# its binary helm-<name>; the others (getters: a `downloaders:` plugin is a
# getter only on Helm 4) run a mode of one of those binaries.
wharf_commands() {
  for p in "$1"/plugins/*/plugin.yaml; do
    [ -f "$p" ] || continue
    grep -q '^command:' "$p" || continue
    basename "$(dirname "$p")"
  done
}

# wharf_platform: <os>_<arch> as release archives are named (linux_amd64).
wharf_platform() {
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  arch=$(uname -m)
  case "$arch" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
  esac
  echo "${os}_${arch}"
}
