#!/bin/sh
# `helm wharf`: lists the commands of the pack.
dir=$(dirname "$0")
. "$dir/scripts/lib.sh"
echo "helm-wharf $(wharf_version "$dir")"
for name in $(wharf_plugins "$dir"); do
  printf '  helm %-10s %s\n' "$name" "$(wharf_field "$dir/plugins/$name/plugin.yaml" usage)"
done
