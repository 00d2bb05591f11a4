#!/usr/bin/env bash
# Command 1 of the README: run the app with demo data on SQLite at http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_SETTINGS_MODULE=cchc.settings
.venv/bin/python manage.py migrate --noinput -v0
# Loads the demo only into an empty database, so a second run keeps your work.
.venv/bin/python manage.py load_demo --if-empty
echo "==> Mở http://127.0.0.1:8000 (tài khoản demo: xem README.md). Dừng bằng Ctrl+C."
exec .venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
