#!/usr/bin/env bash
# Installs what cchc needs on a Debian machine: the apt packages (the one list, used by both
# README commands and CI), a virtualenv in .venv with requirements.txt. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium            # browser tests (Playwright drives Debian's chromium; never a downloaded one)
  fonts-dejavu-core   # PDF fonts with Vietnamese glyphs
  fonts-liberation2
  libpango-1.0-0      # WeasyPrint
  libpangoft2-1.0-0
  poppler-utils       # pdftotext, to read PDFs back in tests
  postgresql          # the production database; the test suite runs on it too
)

missing=()
# A Debian python3 makes virtualenvs only with python3-venv (ensurepip) installed.
"${PYTHON:-python3}" -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> Cài gói hệ thống còn thiếu: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
