#!/usr/bin/env bash
# Install the dashboard's front-end libraries from the npm registry (pinned in frontend/package-lock.json)
# and copy the files the app serves into src/kizuna/web/ui/static/vendor (gitignored; no CDN at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
(cd frontend && npm ci --no-audit --no-fund --loglevel=error)
vendor=src/kizuna/web/ui/static/vendor
mkdir -p "$vendor"
cp frontend/node_modules/htmx.org/dist/htmx.min.js "$vendor/"
cp frontend/node_modules/chart.js/dist/chart.umd.js "$vendor/"
echo "assets: $(ls "$vendor" | tr '\n' ' ')"
