#!/usr/bin/env bash
# Builds a release of the pack into dist/ (version from Cargo.toml, see
# scripts/version.sh):
#
#   helm-wharf_<version>_<os>_<arch>.tar.gz  the plugin binaries of one
#                                            platform: what install-binary.sh
#                                            downloads
#   helm-wharf-<version>.tgz                 the pack as Helm installs it
#                                            (`helm plugin install URL`): the
#                                            plugin manifests, the install
#                                            hook, and the binaries of every
#                                            platform built under
#                                            release/<os>_<arch>/ (one
#                                            tarball, so its .prov covers
#                                            what runs)
#   helm-wharf-<version>.tgz.prov            its provenance (HIP-0026), made
#                                            by `helm prov sign --key`
#   SHA256SUMS                               over every file above
#   SHA256SUMS.asc                           detached armored OpenPGP
#                                            signature (gpg --verify)
#   SHA256SUMS.sigstore.json                 a Sigstore bundle, with
#                                            --sigstore or --sigstore-key
#
# Usage: scripts/release.sh [--key ID] [--from DIR] [--target TRIPLE]...
#                           [--no-build] [--sigstore] [--sigstore-key FILE]
#                           [--sigstore-arg ARG]... [--oci oci://HOST/PATH]
#                           [--oci-arg ARG]... [--dist DIR]
#
#   --key ID          the OpenPGP key (fingerprint, key ID, e-mail) in the
#                     GnuPG home, used through gpg-agent as `helm prov sign
#                     --key` uses it; without it nothing is signed
#   --from DIR        take the binaries from DIR/<os>_<arch>/ (as the CI
#                     workflow's build jobs leave them) instead of building
#   --target TRIPLE   build for a Rust target triple (cargo build --target);
#                     without --target and --from, the host is built
#   --no-build        use target/release as it is (the host)
#   --sigstore        sign SHA256SUMS keyless (SIGSTORE_ID_TOKEN or GitHub
#                     Actions' OIDC token), as `helm prov sign --sigstore`
#   --sigstore-key F  sign SHA256SUMS with a cosign key instead
#   --sigstore-arg A  pass A to `helm prov sign --sigstore` (repeatable)
#   --oci REF         push the pack tarball and its .prov to REF/wharf:<version>
#                     as Helm 4 installs plugins (`helm ocipush plugin`)
#   --oci-arg A       pass A to `helm ocipush plugin` (repeatable)
#   --dist DIR        write into DIR instead of dist/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

. scripts/lib.sh

die() { echo "release: $*" >&2; exit 1; }
say() { echo "release: $*" >&2; }

dist=dist key="" from="" no_build=false sigstore=false sigstore_key="" oci=""
targets=() sigstore_args=() oci_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key=${2:?--key needs a key}; shift 2 ;;
    --dist) dist=${2:?--dist needs a folder}; shift 2 ;;
    --from) from=${2:?--from needs a folder}; shift 2 ;;
    --target) targets+=("${2:?--target needs a triple}"); shift 2 ;;
    --no-build) no_build=true; shift ;;
    --sigstore) sigstore=true; shift ;;
    --sigstore-key) sigstore_key=${2:?--sigstore-key needs a file}; sigstore=true; shift 2 ;;
    --sigstore-arg) sigstore_args+=("${2:?}"); shift 2 ;;
    --oci) oci=${2:?--oci needs oci://HOST/PATH}; shift 2 ;;
    --oci-arg) oci_args+=("${2:?}"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see scripts/release.sh --help)" ;;
  esac
done

version=$(scripts/version.sh)
for f in plugin.yaml plugins/*/plugin.yaml; do
  [ "$(wharf_field "$f" version)" = "$version" ] ||
    die "$f says version $(wharf_field "$f" version), Cargo.toml $version: run scripts/version.sh set $version"
done
commands=$(wharf_commands .)

# <os>_<arch> of a Rust target triple, as release archives are named.
platform_of() {
  case "$1" in
    x86_64-unknown-linux-*) echo linux_amd64 ;;
    aarch64-unknown-linux-*) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-*) echo windows_amd64 ;;
    aarch64-pc-windows-*) echo windows_arm64 ;;
    *) die "no release name for target $1" ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bins="$work/bins" # bins/<os>_<arch>/helm-<name>[.exe]
mkdir -p "$bins"

collect() { # collect FOLDER PLATFORM
  local ext=""
  case "$2" in windows_*) ext=.exe ;; esac
  mkdir -p "$bins/$2"
  for n in $commands; do
    [ -f "$1/helm-$n$ext" ] || die "$1/helm-$n$ext is missing"
    cp "$1/helm-$n$ext" "$bins/$2/helm-$n$ext"
    chmod 0755 "$bins/$2/helm-$n$ext"
  done
}

if [ -n "$from" ]; then
  found=false
  for d in "$from"/*_*/; do
    [ -d "$d" ] || continue
    collect "${d%/}" "$(basename "$d")"
    found=true
  done
  $found || die "no <os>_<arch> folders of binaries in $from"
elif [ ${#targets[@]} -gt 0 ]; then
  for t in "${targets[@]}"; do
    cargo build --release --locked --target "$t"
    collect "target/$t/release" "$(platform_of "$t")"
  done
else
  $no_build || cargo build --release --locked
  collect target/release "$(wharf_platform)"
fi
platforms=$(ls "$bins")

# The host's helm-prov and helm-ocipush sign and push.
tool() {
  local t="target/release/helm-$1"
  [ -x "$t" ] || t="$bins/$(wharf_platform)/helm-$1"
  [ -x "$t" ] || die "no helm-$1 for this machine to sign or push with: build it first (cargo build --release)"
  echo "$root/$t"
}

out="$work/dist"
mkdir -p "$out"

# Host archives: the binaries of one platform, flat.
for p in $platforms; do
  archive="helm-wharf_${version}_$p.tar.gz"
  tar --owner=0 --group=0 --numeric-owner --format=ustar -C "$bins/$p" -cf - . |
    gzip -9n > "$out/$archive"
  say "built $archive"
done

# The pack tarball. Helm 3 installs a tarball only with plugin.yaml at its
# root and refuses symlinks; Helm 4 reads the first plugin.yaml it meets as
# the pack's own, so that one comes first.
stage="$work/pack"
mkdir -p "$stage/scripts" "$stage/keys" "$stage/release"
cp plugin.yaml wharf.sh install-binary.sh "$stage/"
cp scripts/lib.sh "$stage/scripts/"
cp keys/release.asc "$stage/keys/"
for p in plugins/*/; do
  n=$(basename "$p")
  mkdir -p "$stage/plugins/$n"
  for f in plugin.yaml completion.yaml plugin.complete; do
    [ -f "$p$f" ] && cp -L "$p$f" "$stage/plugins/$n/$f"
  done
done
cp -R "$bins/." "$stage/release/"
[ -z "$(find "$stage" -type l)" ] || die "the pack has a symlink, which Helm 3 refuses"
pack="helm-wharf-$version.tgz"
(
  cd "$stage"
  mtime="@$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)"
  tar --owner=0 --group=0 --numeric-owner --format=ustar --mtime="$mtime" -cf - \
    plugin.yaml wharf.sh install-binary.sh scripts keys plugins release
) | gzip -9n > "$out/$pack"
say "built $pack ($(echo $platforms))"

if [ -n "$key" ]; then
  "$(tool prov)" sign --key "$key" "$out/$pack" >&2
  command -v gpg >/dev/null 2>&1 || die "gpg is needed for SHA256SUMS.asc"
fi

(cd "$out" && sha256sum -- * > SHA256SUMS)

if [ -n "$key" ]; then
  gpg --batch --yes --local-user "$key" --armor --detach-sign \
    --output "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
  say "signed SHA256SUMS and $pack with $key"
else
  say "not signed: pass --key ID to sign the pack tarball and SHA256SUMS"
fi

if $sigstore; then
  args=(sign --sigstore --bundle "$out/SHA256SUMS.sigstore.json")
  [ -n "$sigstore_key" ] && args+=(--key "$sigstore_key")
  "$(tool prov)" "${args[@]}" "${sigstore_args[@]}" "$out/SHA256SUMS" >&2
  say "signed SHA256SUMS with Sigstore"
fi

# Verify what was written before it replaces anything in dist/.
(cd "$out" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not check"
if [ -n "$key" ]; then
  gpg --batch --verify "$out/SHA256SUMS.asc" "$out/SHA256SUMS" 2>/dev/null ||
    die "SHA256SUMS.asc does not verify"
fi

mkdir -p "$dist"
for f in "$out"/*; do
  mv -f "$f" "$dist/$(basename "$f")"
done
[ -n "$key" ] || rm -f "$dist/$pack.prov" "$dist/SHA256SUMS.asc"
$sigstore || rm -f "$dist/SHA256SUMS.sigstore.json"

if [ -n "$oci" ]; then
  "$(tool ocipush)" plugin "${oci_args[@]}" "$dist/$pack" "$oci"
fi
ls "$dist"
