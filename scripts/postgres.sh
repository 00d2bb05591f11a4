#!/usr/bin/env bash
# Makes sure the PostgreSQL of URL answers: starts a local cluster that is installed but down.
# On a fresh Debian install (password auth on 127.0.0.1) it gives the postgres role a password
# and writes the working URL to .venv/.postgres-url. Exit 0 when a connection works.
set -uo pipefail
cd "$(dirname "$0")/.."
url=$1
answers() { .venv/bin/python - "$1" <<'PY'
import sys, psycopg2, dj_database_url
c = dj_database_url.parse(sys.argv[1])
try:
    psycopg2.connect(dbname="postgres", user=c["USER"] or "postgres", password=c["PASSWORD"] or None,
                     host=c["HOST"] or "127.0.0.1", port=c["PORT"] or 5432, connect_timeout=5).close()
except Exception as error:
    print(f"   ({str(error).strip().splitlines()[0]})", file=sys.stderr)
    sys.exit(1)
PY
}
rm -f .venv/.postgres-url
answers "$url" 2>/dev/null && exit 0
case "$url" in *127.0.0.1*|*localhost*) ;; *) answers "$url"; exit $? ;; esac
if command -v pg_lsclusters >/dev/null 2>&1; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    echo "==> Khởi động PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 20); do answers "$url" 2>/dev/null && exit 0; sleep 1; done
  # A fresh Debian cluster asks for a password over TCP: set one for the local role.
  if [ "$(id -u)" -eq 0 ] && [[ "$url" != *:*@* ]]; then
    runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null 2>&1 &&
      fixed=${url/postgres:\/\/postgres@/postgres:\/\/postgres:postgres@} &&
      answers "$fixed" && echo "$fixed" > .venv/.postgres-url && exit 0
  fi
fi
answers "$url"
