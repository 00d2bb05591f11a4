#!/usr/bin/env bash
# Command 1 of the README: run the app with demo data on SQLite, at http://HOST:PORT
# (default 127.0.0.1:8000; HOST=0.0.0.0 serves other machines too, with ALLOWED_HOSTS set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_SETTINGS_MODULE=cchc.settings
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v0
# Loads the demo only into an empty database, so a second run keeps your work.
.venv/bin/python manage.py load_demo --if-empty
if [ "$HOST" = 0.0.0.0 ]; then
  echo "==> Mở http://127.0.0.1:$PORT trên máy này, hoặc http://<địa chỉ máy>:$PORT từ máy khác" \
       "(cần ALLOWED_HOSTS=<địa chỉ máy>,127.0.0.1)."
else
  echo "==> Mở http://$HOST:$PORT"
fi
echo "    Tài khoản demo: xem README.md. Dừng bằng Ctrl+C."
exec .venv/bin/python manage.py runserver "$HOST:$PORT"
