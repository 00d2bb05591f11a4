#!/usr/bin/env bash
# Installs what cchc needs on a Debian machine: the apt packages (the one list, used by both
# README commands and CI), a virtualenv in .venv with requirements.txt. Safe to run again.
# Without root and without a usable sudo it prints the apt-get line to run as root and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/privileges.sh

APT_PACKAGES=(
  chromium            # browser tests (Playwright drives Debian's chromium; never a downloaded one)
  fonts-dejavu-core   # PDF fonts with Vietnamese glyphs
  fonts-liberation2
  libatomic1          # Playwright's node driver links it; chromium does not pull it in
  libpango-1.0-0      # WeasyPrint
  libpangoft2-1.0-0
  poppler-utils       # pdftotext, to read PDFs back in tests
  postgresql          # the production database; the test suite runs on it too
  redis-server        # the Celery broker (CELERY_BROKER_URL); the tests run a real worker on it
)

missing=()
# A Debian python3 makes virtualenvs only with python3-venv (ensurepip) installed.
"${PYTHON:-python3}" -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  # C.UTF-8: the PostgreSQL cluster that the postgresql package creates takes the locale of this
  # command, and a shell without LANG would make it SQL_ASCII.
  install=(env LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
           apt-get install -y -qq --no-install-recommends "${missing[@]}")
  if ! can_be_root; then
    echo "LỖI: thiếu gói hệ thống (${missing[*]}) mà không cài được: lệnh này không chạy với quyền root và không dùng được sudo." >&2
    echo "Hãy chạy lệnh sau với quyền root (ví dụ sau khi gõ su -), rồi chạy lại lệnh này:" >&2
    echo "  apt-get update && LC_ALL=C.UTF-8 apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "==> Cài gói hệ thống còn thiếu: ${missing[*]}"
  as_root apt-get update -qq
  as_root "${install[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> Tạo môi trường ảo .venv"
  "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.requirements-installed ] || [ requirements.txt -nt .venv/.requirements-installed ]; then
  echo "==> Cài thư viện Python (requirements.txt)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  touch .venv/.requirements-installed
fi
