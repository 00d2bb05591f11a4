#!/usr/bin/env bash
# Prints the URL of a Redis the test suite's Celery tests can use (a database of their own,
# 15), or says in Vietnamese why there is none and exits 1.
#   bash scripts/redis.sh [URL]
# With a URL (REDIS_URL): that server. Without: 127.0.0.1:6379. A local redis-server that is
# installed (scripts/setup.sh installs it) but down is started on loopback, without
# persistence (its data is test queues only), the way postgres.sh starts PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "LỖI: $1" >&2
  exit 1
}

# Succeeds when URL answers PING (redis-cli comes with redis-server, as redis-tools).
answers() {
  command -v redis-cli >/dev/null 2>&1 || { echo "   (không có redis-cli)" >&2; return 1; }
  [ "$(redis-cli -u "$1" ping 2>&1)" = PONG ] || { echo "   ($(redis-cli -u "$1" ping 2>&1 | grep -m1 .))" >&2; return 1; }
}

url=${1:-redis://127.0.0.1:6379/15}
answers "$url" 2>/dev/null && { echo "$url"; exit 0; }
case "$url" in
  redis://127.0.0.1:*|redis://localhost:*) ;;
  *) answers "$url"; fail "không kết nối được Redis ở REDIS_URL=$url (lý do ở dòng trên)." ;;
esac
command -v redis-server >/dev/null 2>&1 ||
  fail "chưa cài Redis (gói redis-server); chạy bash scripts/setup.sh với quyền root."
port=$(echo "$url" | sed -E 's#^redis://[^:/]+:([0-9]+).*#\1#')
echo "==> Khởi động Redis trên 127.0.0.1:$port" >&2
workdir=$(mktemp -d "${TMPDIR:-/tmp}/cchc-redis.XXXXXX")
redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$workdir" \
  --logfile "$workdir/redis.log" --save "" --appendonly no >&2 ||
  fail "không khởi động được Redis (xem $workdir/redis.log)."
for _ in $(seq 1 20); do answers "$url" 2>/dev/null && { echo "$url"; exit 0; }; sleep 0.5; done
answers "$url"
fail "Redis không trả lời ở $url sau khi khởi động (xem $workdir/redis.log)."
