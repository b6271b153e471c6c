#!/usr/bin/env bash
# Set up a fresh machine for kizuna: uv, the Python environment (from uv.lock) and front-end assets.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet "uv==0.13.9"
fi
uv sync --frozen --all-extras --quiet
bash scripts/assets.sh
