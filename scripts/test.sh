#!/usr/bin/env bash
# Everything the tests need, then the whole suite: lint, types, layering, pytest (SQLite,
# PostgreSQL, real datasets from ../shared/data, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
uv run --frozen ruff check src tests bench
uv run --frozen ruff format --check src tests bench
uv run --frozen lint-imports
uv run --frozen mypy
uv run --frozen pytest "$@"
