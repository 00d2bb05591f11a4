"""What /healthz checks (docs/design.md §10): the database always; with ?full=1 also the file
storage (STORAGES["default"]: write, read back and delete a tiny probe file) and the Celery
broker when CELERY_BROKER_URL is set (a Redis PING with a short timeout).

Each check returns "" when the service answers, else a short Vietnamese reason; the details
go to the log, never to the (unauthenticated) answer.
"""

from __future__ import annotations

import logging
import socket
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection

logger = logging.getLogger(__name__)

PROBE = b"cchc healthz probe"
BROKER_TIMEOUT = 2.0  # seconds: a monitor polls often and must not hang on a dead broker


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        logger.exception("healthz: the database does not answer")
        return "cơ sở dữ liệu không trả lời"
    return ""


def check_storage() -> str:
    """Write, read back and delete a probe file through the storage API (any backend)."""
    storage = storages["default"]
    name = ""
    try:
        name = storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(PROBE))
        with storage.open(name, "rb") as handle:
            if handle.read() != PROBE:
                return "kho tệp trả về nội dung khác với nội dung vừa ghi"
    except Exception:  # noqa: BLE001
        logger.exception("healthz: the file storage failed")
        return "kho tệp không ghi/đọc được"
    finally:
        if name:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001
                logger.exception("healthz: the probe file %s could not be deleted", name)
    return ""


def broker_url() -> str:
    return getattr(settings, "CELERY_BROKER_URL", "") or ""


def check_broker(url: str) -> str:
    """A Redis PING (redis:// or rediss://); another broker: a TCP connection to it."""
    scheme = urlsplit(url).scheme
    try:
        if scheme in {"redis", "rediss"}:
            import redis

            client = redis.Redis.from_url(
                url, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT
            )
            try:
                if not client.ping():
                    return "hàng đợi (Redis) không trả lời PING"
            finally:
                client.close()
        else:
            parts = urlsplit(url)
            with socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 5672), timeout=BROKER_TIMEOUT
            ):
                pass
    except Exception:  # noqa: BLE001
        logger.exception("healthz: the broker does not answer")
        return "hàng đợi công việc (broker) không trả lời"
    return ""


def full_report() -> tuple[bool, str]:
    """(all healthy, the plain-text answer: one line per service)."""
    lines, healthy = [], True
    checks = [("Cơ sở dữ liệu", check_database), ("Kho tệp", check_storage)]
    url = broker_url()
    if url:
        checks.append(("Hàng đợi công việc", lambda: check_broker(url)))
    for label, check in checks:
        problem = check()
        healthy = healthy and not problem
        lines.append(f"{label}: {'ok' if not problem else 'LỖI – ' + problem}")
    if not url:
        lines.append("Hàng đợi công việc: không cấu hình (CELERY_BROKER_URL trống), chạy trong tiến trình")
    head = "ok" if healthy else "lỗi"
    return healthy, "\n".join([head, *lines]) + "\n"
