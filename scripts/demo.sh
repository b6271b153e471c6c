#!/usr/bin/env bash
# Set up, generate the demo shop (deterministic, ~50,000 customers) and serve the dashboard at
# http://127.0.0.1:8000 (log in as admin@example.jp / kizuna-admin unless KIZUNA_ADMIN_* are set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec uv run --frozen kizuna demo "$@"
