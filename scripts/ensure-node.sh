#!/usr/bin/env bash
# Prints a PATH entry holding Node.js >= 24: the machine's own node when it is new enough, otherwise
# the `node@24` package from the npm registry, installed once into .cache/node24.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null && [ "$(major node)" -ge 24 ]; then
  dirname "$(command -v node)"
  exit 0
fi
dir="$root/.cache/node24"
if [ ! -x "$dir/node_modules/.bin/node" ] || [ "$(major "$dir/node_modules/.bin/node")" -lt 24 ]; then
  echo "• installing Node.js 24 from the npm registry into $dir (machine has $(node --version 2>/dev/null || echo none))" >&2
  mkdir -p "$dir"
  (cd "$dir" && { [ -f package.json ] || echo '{"name":"node24-runtime","private":true}' > package.json; } \
    && npm install --no-audit --no-fund --loglevel=error node@24 >&2)
fi
echo "$dir/node_modules/.bin"
