"""What /healthz?full=1 checks beyond the database: the broker (when CELERY_BROKER_URL is set)
and the file storage (STORAGES["default"]: a file written, read back and deleted)."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def broker_problem() -> str:
    if not settings.CELERY_BROKER_URL:
        return ""
    from cchc.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # noqa: BLE001 - any failure: unhealthy
        return f"broker unavailable ({type(error).__name__})"
    return ""


def storage_problem() -> str:
    name = f"healthz/{uuid.uuid4().hex}.txt"
    try:
        stored = default_storage.save(name, ContentFile(b"ok"))
        try:
            with default_storage.open(stored, "rb") as file:
                if file.read() != b"ok":
                    return "storage unavailable (read back differs)"
        finally:
            default_storage.delete(stored)
    except Exception as error:  # noqa: BLE001
        return f"storage unavailable ({type(error).__name__})"
    return ""


def problems() -> list[str]:
    return [problem for problem in (broker_problem(), storage_problem()) if problem]
