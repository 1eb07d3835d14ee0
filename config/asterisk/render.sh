#!/bin/sh
# Copy the siaga112 Asterisk configuration into /etc/asterisk, filling the
# ${NAME} placeholders from the environment. Fails if a secret is missing, so
# no Asterisk ever starts with an empty password.
set -eu
src=${1:-/siaga112/asterisk}
dst=${2:-/etc/asterisk}
for f in "$src"/*.conf; do
  out="$dst/$(basename "$f")"
  cp "$f" "$out"
  for name in $(grep -o '\${[A-Z0-9_]*}' "$f" | tr -d '${}' | sort -u); do
    value=$(printenv "$name" || true)
    if [ -z "$value" ]; then
      echo "render.sh: $name is not set (needed by $(basename "$f"))" >&2
      exit 1
    fi
    escaped=$(printf '%s' "$value" | sed 's/[&|\\]/\\&/g')
    sed -i "s|\${$name}|$escaped|g" "$out"
  done
done
mkdir -p "$dst/siaga112"
cp /siaga112/dialplans/*.conf "$dst/siaga112/"
grep -q 'siaga112/extensions_siaga112.conf' "$dst/extensions.conf" 2>/dev/null ||
  printf '\n#include "siaga112/extensions_siaga112.conf"\n' >> "$dst/extensions.conf"
