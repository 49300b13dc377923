#!/bin/sh
# `helm wharf`: lists the commands of the pack; `helm wharf CMD ARGS...` runs
# `helm CMD ARGS...`. Anything else is an error, not silently the list.
dir=$(dirname "$0")
. "$dir/scripts/lib.sh"
list() {
  echo "helm-wharf $(wharf_version "$dir")"
  for name in $(wharf_commands "$dir"); do
    printf '  helm %-10s %s\n' "$name" "$(wharf_field "$dir/plugins/$name/plugin.yaml" usage)"
  done
}
case "${1:-}" in
  "" | -h | --help | help)
    list
    exit 0
    ;;
  --version | version)
    wharf_version "$dir"
    exit 0
    ;;
esac
for name in $(wharf_commands "$dir"); do
  if [ "$1" = "$name" ]; then
    shift
    exec "$dir/bin/helm-$name" "$@"
  fi
done
names=$(wharf_commands "$dir" | tr '\n' ' ')
echo "Error: unknown command \"$1\" for \"helm wharf\"; the commands are: ${names% }" >&2
exit 1
