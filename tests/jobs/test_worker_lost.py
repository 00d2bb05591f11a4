"""A worker that dies mid-way (issue 13): real `celery -A cchc worker` processes on this test's
Redis queue and the test PostgreSQL database (tests/processes.py), killed with SIGKILL (the
worker and its pool processes at once, as when a machine dies) while a job is half done.

Redis keeps the unacknowledged message (acks_late) and delivers it again to the next worker
once CELERY_VISIBILITY_TIMEOUT has passed (a few seconds here): the job finishes where it
stopped, nothing stored before is rendered again. Meanwhile reports.zip answers with the job's
page, never with a half-written file; and with no worker coming back, the job is marked failed
in Vietnamese after JOB_STALE_MINUTES instead of staying "running"."""

import io
import time
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jobs.models import STALE_MESSAGE, Job
from reports import tasks
from scoring.models import Result

from ..processes import celery_worker, process_env
from ..reports.builders import make_published_period
from .conftest import REDIS_URL, wait_for
from .test_reports_jobs import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)

VISIBILITY_TIMEOUT = 3  # seconds: a killed worker's message is delivered again soon after


@pytest.fixture
def worker_env(broker, media_root):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares the test database only on PostgreSQL")
    yield process_env(
        media_root,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_QUEUE=broker,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    import redis

    # The killed workers' messages Redis still holds unacknowledged (kombu's keys).
    redis.Redis.from_url(REDIS_URL).delete("unacked", "unacked_index", "unacked_mutex")


def wait_until(job: Job, done: int, seconds: float = 120) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        assert not job.finished, (job.state, job.error)
        if job.done >= done:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} at {job.done}/{job.total} after {seconds} s")


def stored_reports(publication) -> dict[str, str]:
    return dict(
        Result.objects.filter(publication=publication)
        .exclude(report_pdf="")
        .values_list("commune__code", "report_pdf")
    )


def test_a_killed_worker_hands_the_zip_to_the_next_one_never_half_written(
    worker_env, broker, units, appraiser, client, tmp_path
):
    publication = make_published_period(units, count=12, previous=False)
    url = reverse("reports:reports_zip", args=[publication.period.code])
    client.force_login(appraiser)
    with celery_worker(worker_env, broker, tmp_path / "first.log", concurrency=1) as first:
        response = client.get(url)  # one message: only its delivery again can finish the job
        job = Job.objects.get(key=f"reports.zip:{publication.pk}")
        assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
        wait_until(job, 4)
        first.kill()
    killed_at = stored_reports(publication)
    job.refresh_from_db()
    assert job.state == "running" and job.attempts == 1 and not job.result
    assert 3 <= len(killed_at) < 12

    # No ZIP yet, and no partial one: the job's page, whose status says how far it got.
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == f"/jobs/{job.pk}/"
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["state"] == "running" and status["next_url"] == ""
    assert status["done"] == job.done and status["total"] == 14
    assert Job.objects.filter(key=job.key).count() == 1  # the same job, not a second one

    time.sleep(VISIBILITY_TIMEOUT)
    with celery_worker(worker_env, broker, tmp_path / "second.log", concurrency=1):
        job = wait_for(job, 180)
    assert (job.state, job.done, job.total, job.error) == ("done", 14, 14, "")
    assert job.attempts == 2  # the same message, delivered again
    # What the first worker stored is kept, not rendered again.
    after = stored_reports(publication)
    assert len(after) == 12 and all(after[code] == name for code, name in killed_at.items())

    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert archive.testzip() is None and len(archive.namelist()) == 14
    assert "Đồng Tâm" in pdf_text(archive.read("bao-cao-NG-2022-A-lan-1.pdf"))


def test_a_killed_worker_with_no_successor_leaves_a_failed_job_not_a_running_one(
    worker_env, broker, units, appraiser, client, tmp_path, settings
):
    publication = make_published_period(units, count=8, previous=False)
    client.force_login(appraiser)
    with celery_worker(worker_env, broker, tmp_path / "only.log", concurrency=2) as only:
        job = tasks.start_rendering(publication, by=appraiser)
        wait_until(job, 2)
        only.kill()
    status = reverse("jobs:status", args=[job.pk])
    assert client.get(status).json()["state"] == "running"  # within JOB_STALE_MINUTES
    # JOB_STALE_MINUTES later, still no news (no worker came back):
    Job.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    )
    document = client.get(status).json()
    assert document["state"] == "failed" and document["error"] == STALE_MESSAGE
    page = client.get(reverse("jobs:job", args=[job.pk])).content.decode()
    assert STALE_MESSAGE in page and "Thất bại" in page


def test_killed_pdf_parts_are_finished_by_the_next_worker(
    worker_env, broker, units, tmp_path
):
    publication = make_published_period(units, count=10, previous=False)
    with celery_worker(worker_env, broker, tmp_path / "first.log", concurrency=2) as first:
        job = tasks.start_rendering(publication)
        wait_until(job, 3)
        first.kill()
    killed_at = stored_reports(publication)
    time.sleep(VISIBILITY_TIMEOUT)
    with celery_worker(worker_env, broker, tmp_path / "second.log", concurrency=2):
        job = wait_for(job, 180)
    assert (job.state, job.done, job.total, job.error) == ("done", 11, 11, "")
    after = stored_reports(publication)
    assert len(after) == 10 and all(after[code] == name for code, name in killed_at.items())
    for result in Result.objects.filter(publication=publication).select_related("commune"):
        with result.report_pdf.open("rb") as stored:
            assert result.commune.name in pdf_text(stored.read())
