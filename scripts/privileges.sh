# Sourced by setup.sh and postgres.sh: how to run a command as root or as the postgres user when
# the caller may be root, may have sudo, or may have neither (a minimal Debian has no sudo).

# Succeeds when commands can run as root: directly, through sudo without a password, or through
# sudo asking for one on this terminal.
can_be_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  command -v sudo >/dev/null 2>&1 || return 1
  sudo -n true 2>/dev/null || [ -t 0 ]
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# From /, which the postgres user may enter (a clone under /root is closed to it).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}
