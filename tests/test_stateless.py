"""Stateless app servers (docs/design.md §10) and /healthz?full=1: sessions and login lockouts in
the shared database, no app code keeping request data in a per-process cache, and a health
answer that names the file storage and the broker when one is down."""

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

APP_DIRS = ["cchc", "communes", "evidence", "notifications", "printing", "reports", "scoring", "tabular"]


def test_sessions_and_lockouts_live_in_the_shared_database():
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore

    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    assert issubclass(store, SessionStore)  # the database store, read faster (cchc/sessions.py)
    assert django_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


def test_no_app_code_keeps_shared_state_in_the_process_cache():
    """The locmem cache is per process: nothing that two servers must agree on may live there."""
    root = Path(django_settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for folder in APP_DIRS
        for path in (root / folder).rglob("*.py")
        if path.name != "settings.py"
        and ("django.core.cache" in path.read_text(encoding="utf-8")
        or "cache_page" in path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_session_made_by_one_process_is_read_from_the_database(client, officer):
    from django.contrib.sessions.models import Session

    client.force_login(officer)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()


# --- /healthz ---------------------------------------------------------------------------------


def test_plain_healthz_is_only_the_database(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # down, but not asked
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_full_healthz_without_a_broker(client, settings, media_root):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz?full=1")
    text = response.content.decode()
    assert response.status_code == 200, text
    assert text.splitlines()[:3] == ["ok", "Cơ sở dữ liệu: ok", "Kho tệp: ok"]
    assert "không cấu hình" in text
    assert not any(Path(media_root).rglob("*.txt")), "the probe file is deleted"


def test_full_healthz_names_a_broken_storage(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # a file where the storage folder should be
    response = client.get("/healthz?full=1")
    text = response.content.decode()
    assert response.status_code == 503
    assert text.startswith("lỗi\n") and "Kho tệp: LỖI – kho tệp không ghi/đọc được" in text
    assert "Cơ sở dữ liệu: ok" in text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url():
    """A real redis-server on a free loopback port, for this test only."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_full_healthz_pings_a_live_redis(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz?full=1")
    assert response.status_code == 200, response.content.decode()
    assert "Hàng đợi công việc: ok" in response.content.decode()


def test_full_healthz_reports_a_broker_that_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
    response = client.get("/healthz?full=1")
    text = response.content.decode()
    assert response.status_code == 503
    assert "Hàng đợi công việc: LỖI – hàng đợi công việc (broker) không trả lời" in text
    assert "Kho tệp: ok" in text


def test_a_broker_that_never_answers_is_given_up_quickly(client, settings):
    """A port that accepts but never says PONG: the short timeout, not a hung monitor."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held = []
    accepting = threading.Thread(target=lambda: held.append(listener.accept()), daemon=True)
    accepting.start()
    try:
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        started = time.monotonic()
        response = client.get("/healthz?full=1")
        elapsed = time.monotonic() - started
    finally:
        listener.close()
        for connection, _ in held:
            connection.close()
    assert response.status_code == 503
    assert elapsed < 6, f"{elapsed:.1f} s"
