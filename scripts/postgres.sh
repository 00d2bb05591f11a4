#!/usr/bin/env bash
# Prints the URL of a PostgreSQL the test suite can use, or says in Vietnamese why there is none
# and exits 1 (test.sh never skips PostgreSQL: setup.sh installs it).
#   bash scripts/postgres.sh [URL]
# With a URL (DATABASE_URL): that server; a local cluster that is installed but down is started.
# Without: postgres@127.0.0.1:5432 when it lets in without a password (CI, developer machines);
# else a role named after the current system user, with CREATEDB (pytest-django creates
# test_cchc), and its own UTF-8 database cchc, reached over the Unix socket with peer
# authentication: no password is set or stored, and the postgres role is left untouched.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/privileges.sh
SOCKET_DIR=/var/run/postgresql  # Debian's default unix_socket_directories

fail() {
  echo "LỖI: $1" >&2
  shift
  [ $# -eq 0 ] || printf '%s\n' "$@" >&2
  exit 1
}

# Succeeds when URL lets in; the server's reason otherwise goes to stderr. It connects to the
# "postgres" database, which every cluster has: pytest-django creates its own test database.
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

wait_until_answers() {
  for _ in $(seq 1 20); do answers "$1" 2>/dev/null && return 0; sleep 1; done
  answers "$1"
}

# Starts the local clusters that are installed but down (a container or chroot without systemd).
start_local_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 ||
    fail "chưa cài PostgreSQL (gói postgresql); chạy bash scripts/setup.sh với quyền root."
  local version cluster status
  while read -r version cluster _ status _; do
    [ "$status" = down ] || continue
    can_be_root || fail "cụm PostgreSQL $version/$cluster đang tắt; hãy chạy với quyền root:" \
      "  pg_ctlcluster $version $cluster start"
    echo "==> Khởi động PostgreSQL $version/$cluster" >&2
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2 ||
      fail "không khởi động được PostgreSQL $version/$cluster (xem /var/log/postgresql/)."
  done < <(pg_lsclusters -h)
}

# The port of the first local cluster that runs.
local_port() {
  pg_lsclusters -h | awk '$4 == "online" { print $3; exit }'
}

# psql as this system user over the socket (peer authentication), in the "postgres" database.
own_psql() {
  psql -h "$SOCKET_DIR" -p "$1" -d postgres -XtAc "$2" 2>/dev/null
}

# A role named after this system user, with CREATEDB only, and its database cchc in UTF-8 whatever
# the cluster's own encoding (a cluster created without LANG is SQL_ASCII).
create_own_role() {
  local port=$1 user=$2
  if ! own_psql "$port" "SELECT 1" | grep -q 1; then
    can_be_root || fail "chưa có vai trò PostgreSQL \"$user\"; hãy chạy lệnh sau với quyền root rồi chạy lại:" \
      "  runuser -u postgres -- createuser -p $port --createdb $user"
    echo "==> Tạo vai trò PostgreSQL \"$user\" (CREATEDB, xác thực peer qua socket)" >&2
    as_postgres createuser -p "$port" --createdb "$user" || fail "không tạo được vai trò PostgreSQL \"$user\"."
  fi
  if [ "$(own_psql "$port" "SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")" != t ]; then
    can_be_root || fail "vai trò PostgreSQL \"$user\" thiếu quyền CREATEDB; hãy chạy lệnh sau với quyền root:" \
      "  runuser -u postgres -- psql -p $port -c 'ALTER ROLE \"$user\" CREATEDB'"
    as_postgres psql -p "$port" -Xqc "ALTER ROLE \"$user\" CREATEDB" || fail "không cấp được CREATEDB cho \"$user\"."
  fi
  if ! own_psql "$port" "SELECT 1 FROM pg_database WHERE datname = 'cchc'" | grep -q 1; then
    echo "==> Tạo cơ sở dữ liệu cchc (UTF8, C.UTF-8)" >&2
    createdb -h "$SOCKET_DIR" -p "$port" --encoding UTF8 --locale C.UTF-8 --template template0 cchc ||
      fail "không tạo được cơ sở dữ liệu cchc."
  fi
}

url=${1:-}
if [ -n "$url" ]; then
  answers "$url" 2>/dev/null && { echo "$url"; exit 0; }
  case "$url" in
    *@127.0.0.1*|*@localhost*|*@%2F*) start_local_clusters; wait_until_answers "$url" && { echo "$url"; exit 0; } ;;
    *) answers "$url" ;;
  esac
  fail "không kết nối được PostgreSQL ở DATABASE_URL=$url (lý do ở dòng trên)."
fi

trusted=postgres://postgres@127.0.0.1:5432/cchc
answers "$trusted" 2>/dev/null && { echo "$trusted"; exit 0; }
start_local_clusters
answers "$trusted" 2>/dev/null && { echo "$trusted"; exit 0; }
port=$(local_port)
[ -n "$port" ] || fail "không có cụm PostgreSQL cục bộ nào đang chạy (pg_lsclusters)." \
  "Tạo một cụm bằng quyền root: pg_createcluster --locale C.UTF-8 --start 15 main"
user=$(id -un)
own="postgres://$user@${SOCKET_DIR//\//%2F}:$port/cchc"
create_own_role "$port" "$user"
wait_until_answers "$own" || fail "không kết nối được PostgreSQL ở $own (lý do ở dòng trên)."
echo "$own"
