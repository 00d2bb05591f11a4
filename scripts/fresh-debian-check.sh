#!/usr/bin/env bash
# For maintainers, not CI: proves that the README's two commands work on a fresh Debian 12 with
# nothing done by hand. It builds a bookworm root (debootstrap, variant minbase, only git and
# python3 added) in a temporary folder, clones the current commit into it and, inside it:
#   1. as a user without root or sudo, `bash scripts/run.sh` must stop with the apt-get line;
#   2. as root, `bash scripts/run.sh` must serve the login page and let a demo account in,
#      then a second run must do the same without downloading anything;
#   3. as root, `bash scripts/test.sh` runs with loopback-only networking (unshare --net), so
#      only the PostgreSQL it sets up inside the root can answer.
# It prints the time of each step and the test counts, then unmounts and deletes the folder.
#   sudo bash scripts/fresh-debian-check.sh        KEEP=1 keeps the folder; MIRROR=URL of a
#                                                  Debian mirror if the host's apt has none
# The host lends the root only what its own network needs to reach the package registries:
# its DNS (resolv.conf), apt sources and apt's network settings (Acquire:: proxies, snapshot
# validity), extra CA certificates from /usr/local/share/ca-certificates, pip's configuration
# (/etc/pip.conf, /etc/xdg/pip/pip.conf) and its PIP_* and *_proxy environment variables.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
COMMIT=$(git -C "$REPO" rev-parse HEAD)
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WAIT_SERVER=${WAIT_SERVER:-2400}  # seconds for the first run.sh: packages and wheels download

[ "$(id -u)" -eq 0 ] || { echo "LỖI: cần quyền root (debootstrap, chroot, mount, unshare)." >&2; exit 1; }
for tool in unshare ip chroot; do
  command -v "$tool" >/dev/null || { echo "LỖI: máy chủ thiếu lệnh $tool (util-linux, iproute2)." >&2; exit 1; }
done
if ! command -v debootstrap >/dev/null; then
  echo "==> Cài debootstrap trên máy chủ"
  apt-get install -y -qq debootstrap >/dev/null
fi

WORK=$(mktemp -d /var/tmp/cchc-fresh.XXXXXX)
ROOT=$WORK/root
APP=/root/cchc
server_pid=""

log() { printf '==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Processes whose root directory is the fresh root: all started by this script.
root_pids() {
  local link pid
  for link in /proc/[0-9]*/root; do
    pid=${link#/proc/}; pid=${pid%/root}
    [ "$(readlink "$link" 2>/dev/null)" = "$ROOT" ] && echo "$pid"
  done
  return 0
}

cleanup() {
  set +e
  [ -n "$server_pid" ] && kill -- "-$server_pid" 2>/dev/null
  if [ -x "$ROOT/usr/bin/pg_lsclusters" ]; then
    chroot "$ROOT" sh -c 'pg_lsclusters -h | while read -r v c _; do
      pg_ctlcluster --skip-systemctl-redirect "$v" "$c" stop -m fast; done' >/dev/null 2>&1
  fi
  for pid in $(root_pids); do kill "$pid" 2>/dev/null; done
  sleep 1
  for pid in $(root_pids); do kill -9 "$pid" 2>/dev/null; done
  for mount in dev sys proc; do
    mountpoint -q "$ROOT/$mount" && { umount -R "$ROOT/$mount" || umount -R -l "$ROOT/$mount"; }
  done
  if grep -q " $WORK/" /proc/self/mounts; then
    echo "CẢNH BÁO: còn điểm gắn dưới $WORK; không xóa thư mục." >&2
  elif [ "${KEEP:-}" = 1 ]; then
    echo "Giữ lại $WORK (KEEP=1)."
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT

# The Debian mirror the host's apt uses (deb822 .sources or one-line .list), for debootstrap.
host_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && awk '
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") found = 1 }
      /^$/ { if (found && uri) exit; uri = ""; found = 0 }
      END { if (found && uri) print uri }' "$file"
  done
}

# A sources file goes in only if every keyring it names exists in the root: third-party
# repositories of the host (their keys are not in a fresh Debian) stay out.
keyrings_present() {
  local keyring
  for keyring in $(grep -ohE '(Signed-By:|signed-by=)[^] ]+' "$1" | sed -E 's/^(Signed-By:|signed-by=) *//'); do
    [ -e "$ROOT$keyring" ] || return 1
  done
}

lend_network_settings() {
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  rm -f "$ROOT/etc/apt/sources.list"
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$file" ] || continue
    if keyrings_present "$file"; then
      cp "$file" "$ROOT$file"; lent+=("$file")
    fi
  done
  for file in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
    [ -f "$file" ] && grep -qE 'Acquire::(https?|ftp|socks|Check-Valid-Until|Check-Date|Retries)' "$file" &&
      { cp "$file" "$ROOT$file"; lent+=("$file"); }
  done
  if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
    cp -r /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
    lent+=(/usr/local/share/ca-certificates/*)
  fi
  for file in /etc/pip.conf /etc/xdg/pip/pip.conf; do
    [ -f "$file" ] && { lend_pip_config "$file"; lent+=("$file"); }
  done
  # A chroot shares the host's network: daemons installed in it must not start on the host's
  # ports (the usual policy-rc.d); scripts/postgres.sh starts PostgreSQL itself when it is down.
  printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
}

# The environment of a fresh login, without LANG (the case that made PostgreSQL SQL_ASCII), plus
# the host's pip and proxy variables.
root_env() {
  local name
  echo "PATH=$CHROOT_PATH"
  for name in $(compgen -e); do
    case "$name" in
      PIP_*) lendable_path "${!name}" && echo "$name=${!name}" ;;
      http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY) echo "$name=${!name}" ;;
    esac
  done
  return 0
}

# A pip setting naming a local file is lent with that file; one naming a local folder (a wheel
# store or index on the host's disk) is not: the root downloads like a new machine.
lendable_path() {
  local path=${1#file://}
  case "$path" in /*) ;; *) return 0 ;; esac
  [ -e "$ROOT$path" ] && return 0
  [ -f "$path" ] || return 1
  mkdir -p "$ROOT$(dirname "$path")" && cp "$path" "$ROOT$path"
}

# The host's pip configuration file, without the values that name local folders.
lend_pip_config() {
  local kept
  mkdir -p "$ROOT$(dirname "$1")"
  kept=$(python3 - "$1" "$ROOT" <<'PY'
import configparser, os, sys
source, root = sys.argv[1:]
config = configparser.RawConfigParser()
config.read(source)
def lendable(value):
    path = value.removeprefix("file://")
    return not path.startswith("/") or os.path.exists(root + path) or os.path.isfile(path)
for section in config.sections():
    for key, value in config.items(section):
        values = [v for v in value.split() if lendable(v)]
        if values:
            config.set(section, key, " ".join(values))
        else:
            config.remove_option(section, key)
        for v in values:
            print(v)
with open(root + source, "w") as lent:
    config.write(lent)
PY
  ) || return 1
  local value
  for value in $kept; do lendable_path "$value" || true; done
}

in_root() {  # in_root USER COMMAND: a login shell's environment, in the clone of that user
  local user=$1 home=/root
  [ "$user" = root ] || home=/home/$user
  mapfile -t vars < <(root_env)
  chroot --userspec="$user:$user" "$ROOT" env -i HOME="$home" "${vars[@]}" \
    bash -c "cd $home/cchc && $2" </dev/null
}

# Waits for the login page of run.sh, then logs in as a demo commune officer.
check_server() {
  local port=$1 started=$2 deadline=$(( $2 + $3 ))
  until curl_login_page "$port"; do
    kill -0 "$server_pid" 2>/dev/null || { echo "LỖI: run.sh đã dừng:"; tail -30 "$WORK/run.log"; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "LỖI: quá $3 s chưa có trang đăng nhập."; tail -30 "$WORK/run.log"; return 1; }
    sleep 5
  done
  log "trang đăng nhập sau $(( $(date +%s) - started )) s"
  python3 - "$port" <<'PY'
import http.cookiejar, re, sys, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
page = opener.open(base + "/accounts/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
form = {"csrfmiddlewaretoken": token, "username": "xa.dongtam", "password": "cchc2026", "next": "/"}
reply = opener.open(base + "/accounts/login/", urllib.parse.urlencode(form).encode())
body = reply.read().decode()
if "/accounts/login/" in reply.url or "Đăng xuất" not in body:
    sys.exit(f"LỖI: tài khoản minh họa xa.dongtam không đăng nhập được ({reply.url})")
print(f"==> đăng nhập xa.dongtam: {reply.url} {reply.status}, có nút Đăng xuất")
PY
}

curl_login_page() {
  python3 -c "import sys, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{sys.argv[1]}/accounts/login/', timeout=5)" "$1" 2>/dev/null
}

free_port() {
  python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

# run.sh in the background until its login page works and a demo account logs in; then stopped.
serve_once() {
  local port started
  port=$(free_port); started=$(date +%s)
  mapfile -t vars < <(root_env)
  setsid chroot "$ROOT" env -i HOME=/root "${vars[@]}" PORT="$port" \
    bash -c "cd $APP && bash scripts/run.sh" </dev/null >"$WORK/run.log" 2>&1 &
  server_pid=$!
  check_server "$port" "$started" "$1"
  grep -q "Mở http://127.0.0.1:$port" "$WORK/run.log" || { echo "LỖI: run.sh không in đúng địa chỉ $port"; return 1; }
  kill -- "-$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "==> run.sh ($(( $(date +%s) - started )) s):"; sed 's/^/    /' "$WORK/run.log" | grep -v '^    $' | tail -8
}

total_start=$(date +%s)
log "commit $(git -C "$REPO" log -1 --format='%h %s' "$COMMIT")"
log "thư mục $WORK"

mirror=${MIRROR:-$(host_mirror | head -1 || true)}
[ -n "$mirror" ] || { echo "LỖI: không tìm thấy máy chủ gói Debian trong cấu hình apt; đặt MIRROR=URL." >&2; exit 1; }
step=$(date +%s)
log "debootstrap bookworm (minbase + git, python3, ca-certificates)"
debootstrap --variant=minbase --include=git,python3,ca-certificates bookworm "$ROOT" "$mirror" \
  >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
chroot "$ROOT" apt-get clean  # the package cache then holds only what run.sh downloads
t_debootstrap=$(( $(date +%s) - step ))
base_size=$(du -smx "$ROOT" | cut -f1)
log "debootstrap: $t_debootstrap s, $(chroot "$ROOT" dpkg-query -W | wc -l) gói"

lent=(/etc/resolv.conf)
lend_network_settings
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"
git clone -q --no-hardlinks "$REPO" "$ROOT$APP"
git -C "$ROOT$APP" checkout -q --detach "$COMMIT"

log "1. run.sh với người dùng không có root, không có sudo"
chroot "$ROOT" useradd -m nguoidung
cp -a "$ROOT$APP" "$ROOT/home/nguoidung/cchc"
chroot "$ROOT" chown -R nguoidung:nguoidung /home/nguoidung/cchc
set +e
in_root nguoidung "bash scripts/run.sh" >"$WORK/nosudo.log" 2>&1
nosudo_rc=$?
set -e
sed 's/^/    /' "$WORK/nosudo.log"
if [ "$nosudo_rc" -ne 1 ] || ! grep -q "apt-get install" "$WORK/nosudo.log"; then
  echo "LỖI: mong đợi mã thoát 1 và dòng apt-get install, nhận mã $nosudo_rc." >&2; exit 1
fi

step=$(date +%s)
log "2. bash scripts/run.sh (lần đầu: cài gói, .venv, dữ liệu minh họa)"
serve_once "$WAIT_SERVER"
t_run1=$(( $(date +%s) - step ))
apt_size=$(du -sm "$ROOT/var/cache/apt/archives" | cut -f1)
apt_count=$(find "$ROOT/var/cache/apt/archives" -name '*.deb' | wc -l)
venv_size=$(du -sm "$ROOT$APP/.venv" | cut -f1)
disk_used=$(( $(du -smx "$ROOT" | cut -f1) - base_size - apt_size ))  # without the package cache
log "lần đầu: $t_run1 s; tải $apt_count gói Debian ($apt_size MB); .venv $venv_size MB; đĩa thêm $disk_used MB"
missing_libs=$(chroot "$ROOT" sh -c "ldd $APP/.venv/lib/python3.11/site-packages/playwright/driver/node /usr/lib/chromium/chromium" | grep 'not found' || true)
[ -z "$missing_libs" ] || { echo "LỖI: thiếu thư viện: $missing_libs" >&2; exit 1; }

step=$(date +%s)
log "2b. bash scripts/run.sh lần hai"
serve_once 300
t_run2=$(( $(date +%s) - step ))

step=$(date +%s)
log "3. bash scripts/test.sh, chỉ mạng loopback (unshare --net)"
mapfile -t vars < <(root_env)
set +e
unshare --net -- bash -c 'ip link set lo up && exec "$@"' _ \
  chroot "$ROOT" env -i HOME=/root "${vars[@]}" bash -c "cd $APP && bash scripts/test.sh" \
  </dev/null 2>&1 | tee "$WORK/test.log"
test_rc=${PIPESTATUS[0]}
set -e
t_test=$(( $(date +%s) - step ))
mapfile -t counts < <(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$WORK/test.log" | sed 's/=//g')
pg_port=$(chroot "$ROOT" pg_lsclusters -h 2>/dev/null | awk '{ print $3; exit }' || true)
encodings=$(chroot "$ROOT" runuser -u postgres -- psql -p "${pg_port:-5432}" -XAtc \
  "SELECT string_agg(datname || ' ' || pg_encoding_to_char(encoding), ', ' ORDER BY datname) FROM pg_database" 2>/dev/null || true)

echo
echo "================ Kết quả (commit ${COMMIT:0:7}) ================"
echo "debootstrap:              $t_debootstrap s"
echo "không root, không sudo:   mã thoát $nosudo_rc, in dòng apt-get install"
echo "run.sh lần đầu:           $t_run1 s (tải $apt_count gói Debian, $apt_size MB; .venv $venv_size MB; đĩa thêm $disk_used MB)"
echo "run.sh lần hai:           $t_run2 s"
echo "test.sh (không mạng):     $t_test s, mã thoát $test_rc"
echo "  SQLite:                 ${counts[0]:-không có}"
echo "  PostgreSQL:             ${counts[1]:-không có}"
echo "  PostgreSQL trong root:  cổng ${pg_port:-?}; ${encodings:-?}"
echo "tổng:                     $(( $(date +%s) - total_start )) s"
names=("${vars[@]%%=*}")
echo "máy chủ cho mượn:         ${lent[*]} ${names[*]/#PATH/}"
if [ "$test_rc" -eq 0 ] && [ "${#counts[@]}" -eq 2 ]; then
  echo "KẾT QUẢ: ĐẠT"
else
  echo "KẾT QUẢ: KHÔNG ĐẠT (xem test.sh ở trên)"
  exit 1
fi
