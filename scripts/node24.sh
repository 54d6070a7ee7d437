#!/usr/bin/env bash
# Runs a command with Node.js >= 24 on PATH (installing it from the npm registry when the machine's is
# older) and with the project's npm packages installed. `npm start` and `npm test` go through here, so
# both work on a fresh machine whose own node is older.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$("$root/scripts/ensure-node.sh"):$PATH"
# patches/ (fixes to dependencies, applied by the postinstall script) counts like the lockfile
if [ ! -d "$root/node_modules/.bin" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ] \
  || [ -n "$(find "$root/patches" -newer "$root/node_modules/.package-lock.json" 2>/dev/null | head -1)" ]; then
  echo "• installing npm packages (npm ci)" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
