#!/bin/sh
# Install (and update) hook of the helm-wharf plugin pack.
#
#   install-binary.sh [install|update]
#
# 1. Puts the plugin binaries into $HELM_PLUGIN_DIR/bin, from the first source
#    that applies:
#      - HELM_WHARF_ARCHIVE=PATH: a release archive
#        (helm-wharf_<version>_<os>_<arch>.tar.gz), or a folder holding one
#        (with its SHA256SUMS, checked when present) or holding the binaries;
#        for machines without network, nothing is downloaded;
#      - release binaries built in the checkout (target/release); on update,
#        rebuilt first with cargo, so an updated checkout never keeps old
#        binaries;
#      - the binaries the pack tarball carries (release/<os>_<arch>/), which
#        Helm 4 verified against the tarball's .prov before this runs;
#      - the release archive for this OS/arch and plugin.yaml's version,
#        checked against the release's SHA256SUMS, and SHA256SUMS against
#        the project's key (keys/release.asc) when gpg is installed;
#      - a source build with `cargo build --release --locked`, where cargo
#        exists.
#    A download that does not match its checksum or signature stops the
#    install; nothing falls back after it.
# 2. Registers each plugin of the pack (plugins/<name>) beside this one in
#    Helm's plugin folder, as a symlink, so `helm <name>` works on Helm 3 and 4.
#
# Removing them is the delete hook in plugin.yaml, the one place that rule
# lives: Helm 3 and 4 both delete the plugin folder before they run that hook,
# so it cannot call anything inside the folder.
#
# Downloads go through curl or wget, which honour http_proxy, https_proxy and
# no_proxy (the upper-case names are passed on to wget too).
set -eu

mode=${1:-install}
dir=${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
release_base=${HELM_WHARF_RELEASE_URL:-https://github.com/helm-wharf/helm-wharf/releases/download}
release_key=${HELM_WHARF_RELEASE_KEY:-$dir/keys/release.asc}

say() { printf 'helm-wharf: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -f "$dir/scripts/lib.sh" ] || die "$dir/scripts/lib.sh is missing: reinstall the plugin"
. "$dir/scripts/lib.sh"

version=$(wharf_version "$dir")
[ -n "$version" ] || die "cannot read the version from $dir/plugin.yaml"

names=$(wharf_commands "$dir" | tr '\n' ' ')
[ -n "$names" ] || die "no plugins found under $dir/plugins"
plugins=$(wharf_plugins "$dir" | tr '\n' ' ')

# The platform, as release archives name it; empty when uname says something
# no release is built for (the reason is in $platform_problem).
platform_problem=""
platform=""
detect_platform() {
  os=$(uname -s 2>/dev/null || echo unknown)
  arch=$(uname -m 2>/dev/null || echo unknown)
  case "$os" in
    Linux) o=linux ;;
    Darwin) o=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) o=windows ;;
    *) platform_problem="no release is built for the operating system $os"; return ;;
  esac
  case "$arch" in
    x86_64 | amd64 | x64) a=amd64 ;;
    aarch64 | arm64 | armv8*) a=arm64 ;;
    *) platform_problem="no release is built for $o on $arch (builds: linux and darwin on amd64 and arm64, windows on amd64)"; return ;;
  esac
  if [ "$o" = windows ] && [ "$a" = arm64 ]; then
    platform_problem="no release is built for windows on arm64"
    return
  fi
  platform="${o}_$a"
}
detect_platform
ext=""
case "$platform" in windows_*) ext=.exe ;; esac

have_all() { # have_all FOLDER
  for n in $names; do [ -f "$1/helm-$n$ext" ] || return 1; done
}

install_from() { # install_from FOLDER
  mkdir -p "$dir/bin"
  for n in $names; do
    cp -f "$1/helm-$n$ext" "$dir/bin/.helm-$n$ext.new"
    chmod 0755 "$dir/bin/.helm-$n$ext.new"
    mv -f "$dir/bin/.helm-$n$ext.new" "$dir/bin/helm-$n$ext"
  done
}

# Proxies: curl reads both spellings of https_proxy; wget only lower case.
[ -n "${https_proxy:-}" ] || [ -z "${HTTPS_PROXY:-}" ] || export https_proxy="$HTTPS_PROXY"
[ -n "${http_proxy:-}" ] || [ -z "${HTTP_PROXY:-}" ] || export http_proxy="$HTTP_PROXY"
[ -n "${no_proxy:-}" ] || [ -z "${NO_PROXY:-}" ] || export no_proxy="$NO_PROXY"

downloader=""
if command -v curl >/dev/null 2>&1; then
  downloader=curl
elif command -v wget >/dev/null 2>&1; then
  downloader=wget
fi

# fetch URL FILE: 0, or 2 when the server has no such file, 1 otherwise.
fetch() {
  case "$downloader" in
    curl)
      rc=0
      curl -fsSL --retry 2 --connect-timeout 10 --max-time 600 -o "$2" "$1" 2>/dev/null || rc=$?
      case $rc in 0) return 0 ;; 22) return 2 ;; *) return 1 ;; esac
      ;;
    wget)
      rc=0
      wget -q -t 2 -T 30 -O "$2" "$1" 2>/dev/null || rc=$?
      case $rc in 0) return 0 ;; 8) return 2 ;; *) return 1 ;; esac
      ;;
  esac
  return 1
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else
    die "no sha256sum, shasum or openssl to check $1 with: install coreutils"
  fi
}

# check_sums FOLDER FILE: FILE's line in FOLDER/SHA256SUMS must match it, and
# SHA256SUMS.asc must verify against the project's key when gpg exists.
check_sums() {
  sums="$1/SHA256SUMS"
  want=$(awk -v f="$2" '$2 == f || $2 == "*" f { print $1; exit }' "$sums")
  [ -n "$want" ] || die "$2 is not listed in SHA256SUMS: refusing to install it"
  got=$(sha256_of "$1/$2")
  [ "$want" = "$got" ] || die "checksum mismatch for $2: SHA256SUMS says $want, the file is $got: refusing to install it"
  if [ -f "$1/SHA256SUMS.asc" ] && command -v gpg >/dev/null 2>&1; then
    [ -f "$release_key" ] || die "cannot check SHA256SUMS.asc: the release key $release_key is missing"
    home="$1/.gnupg"
    mkdir -p "$home" && chmod 700 "$home"
    gpg --batch --quiet --homedir "$home" --import "$release_key" >/dev/null 2>&1 ||
      die "cannot read the release key $release_key"
    gpg --batch --quiet --homedir "$home" --verify "$1/SHA256SUMS.asc" "$sums" >/dev/null 2>&1 ||
      die "SHA256SUMS.asc does not verify against the release key $release_key: refusing to install"
    say "SHA256SUMS signature verified"
  elif [ -f "$1/SHA256SUMS.asc" ]; then
    say "gpg is not installed: checked the checksum, not the signature of SHA256SUMS"
  fi
}

# unpack ARCHIVE: installs the binaries of a host archive.
unpack() {
  x=$(mktemp -d)
  tar -xzf "$1" -C "$x" || { rm -rf "$x"; die "cannot unpack $1"; }
  have_all "$x" || { rm -rf "$x"; die "$(basename "$1") lacks a binary (it should hold: $names)"; }
  install_from "$x"
  rm -rf "$x"
}

from_archive() { # HELM_WHARF_ARCHIVE
  src=$HELM_WHARF_ARCHIVE
  if [ -d "$src" ]; then
    archive="helm-wharf_${version}_$platform.tar.gz"
    if [ -n "$platform" ] && [ -f "$src/$archive" ]; then
      tmp=$(mktemp -d)
      cp "$src/$archive" "$tmp/"
      for f in SHA256SUMS SHA256SUMS.asc; do [ ! -f "$src/$f" ] || cp "$src/$f" "$tmp/"; done
      if [ -f "$tmp/SHA256SUMS" ]; then check_sums "$tmp" "$archive"; fi
      unpack "$tmp/$archive"
      rm -rf "$tmp"
    elif have_all "$src"; then
      install_from "$src"
    elif [ -n "$platform" ] && have_all "$src/$platform"; then
      install_from "$src/$platform"
    else
      die "HELM_WHARF_ARCHIVE=$src holds neither helm-wharf_${version}_${platform:-OS_ARCH}.tar.gz nor the plugin binaries"
    fi
  elif [ -f "$src" ]; then
    case "$src" in
      *.tar.gz | *.tgz) ;;
      *) die "HELM_WHARF_ARCHIVE=$src is not a .tar.gz release archive" ;;
    esac
    sums="$(dirname "$src")/SHA256SUMS"
    if [ -f "$sums" ]; then
      tmp=$(mktemp -d)
      cp "$src" "$sums" "$tmp/"
      [ ! -f "$sums.asc" ] || cp "$sums.asc" "$tmp/"
      check_sums "$tmp" "$(basename "$src")"
      rm -rf "$tmp"
    fi
    unpack "$src"
  else
    die "HELM_WHARF_ARCHIVE=$src: no such file or folder"
  fi
  say "installed from $src"
}

# download: 0 installed, 1 nothing to download (the reason said).
download() {
  [ -n "$platform" ] || { say "$platform_problem"; return 1; }
  if [ -z "$downloader" ]; then
    say "neither curl nor wget is installed, so the release archive cannot be downloaded: install one (apk add curl, apt-get install curl), or set HELM_WHARF_ARCHIVE to a downloaded archive"
    return 1
  fi
  archive="helm-wharf_${version}_$platform.tar.gz"
  base="$release_base/v$version"
  tmp=$(mktemp -d)
  rc=0
  fetch "$base/$archive" "$tmp/$archive" || rc=$?
  case $rc in
    0) ;;
    2) say "the release v$version has no $archive at $base"; rm -rf "$tmp"; return 1 ;;
    *) say "cannot download $base/$archive (no network, or a proxy is needed: set https_proxy)"; rm -rf "$tmp"; return 1 ;;
  esac
  fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" ||
    die "the release v$version at $base has $archive but no SHA256SUMS to check it with: refusing to install it"
  fetch "$base/SHA256SUMS.asc" "$tmp/SHA256SUMS.asc" || rm -f "$tmp/SHA256SUMS.asc"
  check_sums "$tmp" "$archive"
  unpack "$tmp/$archive"
  rm -rf "$tmp"
  say "downloaded $base/$archive"
}

build() {
  say "building from source with cargo (this takes a few minutes)"
  (cd "$dir" && cargo build --release --locked) || die "cargo build failed"
  # Where cargo put them: CARGO_TARGET_DIR if the user sets one (relative to
  # the folder cargo ran in), else the checkout's target/.
  out=${CARGO_TARGET_DIR:-target}
  case "$out" in /*) ;; *) out="$dir/$out" ;; esac
  install_from "$out/release"
}

has_cargo() { command -v cargo >/dev/null 2>&1; }

if [ -n "${HELM_WHARF_ARCHIVE:-}" ]; then
  from_archive
elif have_all "$dir/target/release"; then
  if [ "$mode" = update ] && has_cargo && [ -f "$dir/Cargo.toml" ]; then
    build
  else
    install_from "$dir/target/release"
  fi
elif [ -n "$platform" ] && have_all "$dir/release/$platform"; then
  install_from "$dir/release/$platform"
elif download; then
  :
elif has_cargo && [ -f "$dir/Cargo.toml" ]; then
  build
else
  die "no binaries installed: no release binaries in $dir/target/release, no release archive for ${platform:-this machine} at $release_base/v$version, and no cargo to build from source: install Rust (https://rustup.rs) and run 'helm plugin update wharf', or download helm-wharf_${version}_${platform:-OS_ARCH}.tar.gz and its SHA256SUMS on another machine and set HELM_WHARF_ARCHIVE to it"
fi

# The getter plugin runs helm-sync as helm-sync-getter, from a path relative
# to its own folder (Helm joins the folder and the command).
if [ -d "$dir/plugins/sync-getter" ] && [ -x "$dir/bin/helm-sync$ext" ]; then
  ln -sfn "helm-sync$ext" "$dir/bin/helm-sync-getter$ext"
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
