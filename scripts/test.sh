#!/usr/bin/env bash
# Command 2 of the README: the whole test suite on SQLite, then on PostgreSQL.
# PostgreSQL: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/cchc; a local server
# that is installed but down is started. With CI=true a missing PostgreSQL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_ALLOW_ASYNC_UNSAFE=true
PYTEST=(.venv/bin/pytest -q "$@")

echo "==> Kiểm thử trên SQLite"
env -u DATABASE_URL "${PYTEST[@]}"

PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cchc}
if [[ "$PG_URL" != postgres* ]]; then
  echo "DATABASE_URL không phải PostgreSQL: $PG_URL" >&2
  exit 1
fi
if ! bash scripts/postgres.sh "$PG_URL"; then
  if [ "${CI:-}" = "true" ]; then
    echo "LỖI: không kết nối được PostgreSQL ($PG_URL); CI cần PostgreSQL." >&2
    exit 1
  fi
  echo "CẢNH BÁO: bỏ qua kiểm thử trên PostgreSQL (không kết nối được $PG_URL)." >&2
  exit 0
fi
PG_URL=$(cat .venv/.postgres-url 2>/dev/null || echo "$PG_URL")
echo "==> Kiểm thử trên PostgreSQL"
DATABASE_URL="$PG_URL" "${PYTEST[@]}"
