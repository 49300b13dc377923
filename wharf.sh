#!/bin/sh
# `helm wharf`: lists the commands of the pack.
dir=$(dirname "$0")
version=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$dir/plugin.yaml")
echo "helm-wharf $version"
for p in "$dir"/plugins/*/plugin.yaml; do
  name=$(sed -n 's/^name: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$p")
  usage=$(sed -n 's/^usage: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$p")
  printf '  helm %-10s %s\n' "$name" "$usage"
done
