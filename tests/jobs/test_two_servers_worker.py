"""Two app servers, one Redis, one real worker (docs/design.md §10, issue 13): reports.zip asked on
the first server is built by a `celery -A cchc worker` process and downloaded from the second,
whole. PostgreSQL only (tests/processes.py)."""

import io
import json
import time
import zipfile

import pytest
from django.db import connection

from jobs.models import Job

from ..processes import Browser, app_servers, celery_worker
from ..reports.builders import make_published_period
from ..test_two_servers import server_env, with_password
from .conftest import REDIS_URL
from .test_reports_jobs import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_zip_asked_on_one_server_is_built_by_the_worker_and_served_by_the_other(
    broker, units, leader, media_root, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("two servers and a worker share a database only on PostgreSQL")
    publication = make_published_period(units, count=6, previous=False)
    with_password(leader)
    env = server_env(media_root, CELERY_BROKER_URL=REDIS_URL, CELERY_QUEUE=broker)
    with app_servers(env) as (first, second), celery_worker(env, broker, tmp_path / "w.log"):
        browser = Browser()
        browser.log_in(first, "lanhdao")
        url = f"/periods/{publication.period.code}/reports.zip"
        status, headers, _ = browser.get(f"{first}{url}")
        job = Job.objects.get(key=f"reports.zip:{publication.pk}")
        assert status == 302 and headers["Location"] == f"/jobs/{job.pk}/"
        # The second server knows the job the first started (same session, same database):
        # its page, then its status until the worker is done.
        status, _, page = browser.get(f"{second}/jobs/{job.pk}/")
        assert status == 200 and "Đóng gói báo cáo" in page.decode()
        deadline = time.monotonic() + 180
        seen = set()
        while time.monotonic() < deadline:
            status, headers, body = browser.get(f"{second}{url}")
            if status == 200:
                break
            # Not built yet: the second server answers with the job's page, never a ZIP.
            assert status == 302 and headers["Location"] == f"/jobs/{job.pk}/"
            document = json.loads(browser.get(f"{second}/jobs/{job.pk}/status.json")[2])
            assert document["state"] in ("queued", "running", "done"), document
            seen.add((document["done"], document["total"]))
            time.sleep(0.2)
        _, _, status_body = browser.get(f"{first}/jobs/{job.pk}/status.json")
    document = json.loads(status_body)
    assert document["state"] == "done" and document["next_url"] == f"{url}?version=1"
    assert any(0 < done < 8 for done, total in seen), seen  # progress n/8 along the way
    assert status == 200 and headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None and len(archive.namelist()) == 8
    assert "Đồng Tâm" in pdf_text(archive.read("bao-cao-NG-2022-A-lan-1.pdf"))
    job.refresh_from_db()
    assert job.attempts == 1 and Job.objects.filter(key=job.key).count() == 1
