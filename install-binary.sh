#!/bin/sh
# Install hook of the helm-wharf plugin pack.
#
# 1. Puts the plugin binaries into $HELM_PLUGIN_DIR/bin, from the first source
#    that works:
#      - release binaries already built in the checkout (target/release);
#      - the release archive for this OS/arch and plugin.yaml's version,
#        checked against its published sha256;
#      - a source build with `cargo build --release --locked`, where cargo exists.
# 2. Registers each plugin of the pack (plugins/<name>) beside this one in
#    Helm's plugin folder, as a symlink, so `helm <name>` works on Helm 3 and 4.
#
# Removing them is the delete hook in plugin.yaml, the one place that rule
# lives: Helm 3 and 4 both delete the plugin folder before they run that hook,
# so it cannot call anything inside the folder.
set -eu

dir=${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
release_base=${HELM_WHARF_RELEASE_URL:-https://github.com/helm-wharf/helm-wharf/releases/download}

say() { printf 'helm-wharf: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -f "$dir/scripts/lib.sh" ] || die "$dir/scripts/lib.sh is missing: reinstall the plugin"
. "$dir/scripts/lib.sh"

version=$(wharf_version "$dir")
[ -n "$version" ] || die "cannot read the version from $dir/plugin.yaml"

names=$(wharf_commands "$dir" | tr '\n' ' ')
[ -n "$names" ] || die "no plugins found under $dir/plugins"
plugins=$(wharf_plugins "$dir" | tr '\n' ' ')

have_all() { # have_all FOLDER
  for n in $names; do [ -x "$1/helm-$n" ] || return 1; done
}

install_from() { # install_from FOLDER
  mkdir -p "$dir/bin"
  for n in $names; do
    cp -f "$1/helm-$n" "$dir/bin/.helm-$n.new"
    chmod 0755 "$dir/bin/.helm-$n.new"
    mv -f "$dir/bin/.helm-$n.new" "$dir/bin/helm-$n"
  done
}

fetch() { # fetch URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 10 --max-time 300 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 30 -O "$2" "$1"
  else
    return 1
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

download() {
  archive="helm-wharf_${version}_$(wharf_platform).tar.gz"
  url="$release_base/v$version/$archive"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  say "downloading $url"
  fetch "$url" "$tmp/$archive" || return 1
  fetch "$url.sha256" "$tmp/$archive.sha256" || return 1
  want=$(cut -d' ' -f1 < "$tmp/$archive.sha256")
  got=$(sha256_of "$tmp/$archive")
  if [ "$want" != "$got" ]; then
    say "checksum mismatch for $archive: expected $want, got $got"
    return 1
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/$archive" -C "$tmp/x"
  have_all "$tmp/x" || { say "$archive lacks a binary"; return 1; }
  install_from "$tmp/x"
}

if have_all "$dir/target/release"; then
  install_from "$dir/target/release"
elif download; then
  :
elif command -v cargo >/dev/null 2>&1; then
  say "building from source with cargo (this takes a few minutes)"
  (cd "$dir" && cargo build --release --locked) || die "cargo build failed"
  # Where cargo put them: CARGO_TARGET_DIR if the user sets one (relative to
  # the folder cargo ran in), else the checkout's target/.
  out=${CARGO_TARGET_DIR:-target}
  case "$out" in /*) ;; *) out="$dir/$out" ;; esac
  install_from "$out/release"
else
  die "no release binaries in $dir/target/release, no release archive for $(wharf_platform) at $release_base/v$version, and no cargo to build from source: install Rust (https://rustup.rs) and run 'helm plugin update wharf', or run 'cargo build --release' in $dir first"
fi

# The getter plugin runs helm-sync as helm-sync-getter, from a path relative
# to its own folder (Helm joins the folder and the command).
if [ -d "$dir/plugins/sync-getter" ] && [ -x "$dir/bin/helm-sync" ]; then
  ln -sfn helm-sync "$dir/bin/helm-sync-getter"
  if [ ! -L "$dir/plugins/sync-getter/bin" ]; then
    rm -rf "$dir/plugins/sync-getter/bin"
    ln -s ../../bin "$dir/plugins/sync-getter/bin"
  fi
fi

# Register the pack's plugins beside this one.
parent=$(dirname "$dir")
for n in $plugins; do
  link="$parent/$n"
  target="$dir/plugins/$n"
  if [ -L "$link" ]; then
    case "$(readlink "$link")" in
      */plugins/"$n") rm -f "$link" ;;
      *) say "a plugin named $n is already installed at $link; not replacing it"; continue ;;
    esac
  elif [ -e "$link" ]; then
    say "a plugin named $n is already installed at $link; not replacing it"
    continue
  fi
  ln -s "$target" "$link"
done
say "installed $version:$(for n in $names; do printf ' helm %s' "$n"; done)"
