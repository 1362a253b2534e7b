#!/usr/bin/env bash
# Build the staff portal (portal/dist) when its sources changed since the last
# build: `npm ci` when package-lock.json is newer than the installed modules,
# then `vite build`. `make run` and `make test` call it; the gateway serves the
# build at /. Node 20.19+ and npm come from the machine.
set -euo pipefail
cd "$(dirname "$0")/../portal"
if ! command -v npm >/dev/null 2>&1; then
  echo "portal: npm not found — install Node.js 20 (apt-get install nodejs npm)" >&2
  exit 1
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "portal: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp=dist/.build-stamp
if [[ -f "$stamp" ]] && [[ -z "$(find src public index.html vite.config.ts tsconfig.json package-lock.json -newer "$stamp" -print -quit)" ]]; then
  exit 0
fi
echo "portal: vite build"
npx --no-install vite build --logLevel warn
touch "$stamp"
