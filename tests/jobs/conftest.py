"""A real Celery worker on a real Redis (loopback), for the tests that send work off the
request; without it the same tasks run in-process (the settings' default: no broker).

REDIS_URL (default redis://127.0.0.1:6379/15) names the Redis; scripts/test.sh starts a local
one that is installed but down. Unreachable: these tests are skipped on a developer's machine
and fail with CI=true (the CI machine has Redis). The worker runs on PostgreSQL only."""

import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from cchc.celery import app

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_answers(url: str) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any failure: no Redis to test with
        return str(error)
    return ""


def fresh_connections() -> None:
    """Close every broker connection and forget the pools (kombu keeps them per URL, closed
    ones included), so the next task sent connects to the broker configured now."""
    import kombu.pools

    kombu.pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Celery sends tasks to Redis (a queue of this test's own) instead of running them."""
    problem = redis_answers(REDIS_URL)
    if problem:
        message = f"Redis không trả lời ở {REDIS_URL}: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    queue = f"cchc-test-{uuid.uuid4().hex[:12]}"
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_always_eager", "task_default_queue", "worker_hijack_root_logger")
    }
    settings.CELERY_BROKER_URL = REDIS_URL
    app.conf.update(
        broker_url=REDIS_URL,
        task_always_eager=False,
        task_default_queue=queue,
        worker_hijack_root_logger=False,
    )
    fresh_connections()
    yield queue
    app.conf.update(saved)
    fresh_connections()
    import redis

    redis.Redis.from_url(REDIS_URL).delete(queue)


@pytest.fixture
def worker(broker, transactional_db):
    """One worker thread consuming this test's queue; its tasks use their own database
    connection, so the test's data must be committed (transactional_db). PostgreSQL only:
    SQLite's in-memory test database, shared between threads, locks whole tables and answers
    "database table is locked" instead of waiting (and the embedded SQLite default runs its
    tasks in-process: no broker)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("Celery worker thật chỉ kiểm thử trên PostgreSQL (SQLite chạy tác vụ tại chỗ).")
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=[broker],
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as started:
        yield started


@pytest.fixture
def publication(units):
    """20 communes of D1 published (tests/reports/builders.py)."""
    from ..reports.builders import make_published_period

    return make_published_period(units)


@pytest.fixture(params=["in-process", "worker"])
def mode(request):
    """'worker': a Celery worker thread on Redis; 'in-process': no broker (the default)."""
    if request.param == "worker":
        request.getfixturevalue("worker")
    return request.param


def wait_for(job, seconds: float = 180):
    """The job once finished (read again every 0.2 s), or AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds} s ({job.done}/{job.total})")
