#!/usr/bin/env bash
# Command 2 of the README: the whole test suite on SQLite, then on PostgreSQL.
# PostgreSQL: DATABASE_URL if set, else what scripts/postgres.sh finds or sets up on this machine.
# A PostgreSQL that cannot be reached fails the run: it is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_ALLOW_ASYNC_UNSAFE=true
PYTEST=(.venv/bin/pytest -q "$@")

# Redis for the tests with a real Celery worker (tests/jobs): started if installed but down.
# Without it those tests are skipped, except on CI (CI=true), where that is a failure.
if REDIS=$(bash scripts/redis.sh "${REDIS_URL:-}"); then
  export REDIS_URL="$REDIS"
elif [ "${CI:-}" = true ]; then
  exit 1
else
  echo "CẢNH BÁO: không có Redis; bỏ qua các kiểm thử cần Celery worker thật." >&2
fi

echo "==> Kiểm thử trên SQLite"
env -u DATABASE_URL "${PYTEST[@]}"

if [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" != postgres* ]]; then
  echo "LỖI: DATABASE_URL không phải PostgreSQL: $DATABASE_URL" >&2
  exit 1
fi
PG_URL=$(bash scripts/postgres.sh "${DATABASE_URL:-}")
echo "==> Kiểm thử trên PostgreSQL ($PG_URL)"
DATABASE_URL="$PG_URL" "${PYTEST[@]}"
