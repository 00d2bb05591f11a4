"""Benchmark: the long report work on a real Celery worker (issue 13).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/jobs.py \
        [--communes 170] [--concurrency 1] [--broker redis://127.0.0.1:6379/14]

Builds a 170-commune publication in a throw-away PostgreSQL database, starts
`celery -A cchc worker` as a separate process on that database and Redis, and prints: the
time the worker takes to render and store the ranking PDF and every commune report after the
publication (the job started by the publish hook), the time to build reports.zip (a second
job, everything already stored), and the ZIP download's first byte once built (goal ≤ 100 ms).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _setup import ROOT, throwaway_database

from django.db import connection
from django.test import Client, override_settings


def wait(job, seconds=3600):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            assert job.state == "done", job.error
            return
        time.sleep(0.1)
    raise SystemExit(f"job {job.pk} not finished after {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Chạy trên PostgreSQL: DATABASE_URL=postgres://… (worker là tiến trình khác).")

    from cchc.celery import app
    from communes.models import Role
    from jobs.models import Job
    from reports import tasks
    from tests.factories import make_units, make_user
    from tests.reports.builders import make_published_period

    app.conf.update(broker_url=options.broker, task_always_eager=False)
    queue = f"bench-jobs-{os.getpid()}"
    app.conf.task_default_queue = queue
    with throwaway_database("jobs"), tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, CELERY_BROKER_URL=options.broker,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        started = time.perf_counter()
        units = make_units()
        publication = make_published_period(units, count=options.communes)
        leader = make_user("lanhdao", unit=units["district"], role=Role.LEADER)
        print(f"{options.communes} communes, data built in {time.perf_counter() - started:.1f} s")
        settings = connection.settings_dict
        env = dict(
            os.environ, MEDIA_ROOT=media, CELERY_BROKER_URL=options.broker,
            DATABASE_URL=f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cchc", "worker", "-Q", queue,
             "--concurrency", str(options.concurrency), "-l", "WARNING", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        )
        try:
            started = time.perf_counter()
            job = tasks.start_rendering(publication, by=leader)
            wait(job)
            took = time.perf_counter() - started
            print(f"publication's PDFs (ranking + {options.communes} reports) by the worker "
                  f"(--concurrency {options.concurrency}): {took:.1f} s, "
                  f"{took / (options.communes + 1) * 1000:.0f} ms per PDF")

            client = Client()
            client.force_login(leader)
            url = f"/periods/{publication.period.code}/reports.zip"
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 302, response.status_code
            wait(Job.objects.get(key=f"reports.zip:{publication.pk}"))
            print(f"reports.zip built (all PDFs stored): {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            response = client.get(url)
            first = next(iter(response.streaming_content))
            first_ms = (time.perf_counter() - started) * 1000
            size = len(first) + sum(len(chunk) for chunk in response.streaming_content)
            print(f"reports.zip first byte: {first_ms:.1f} ms ({size // 1024} KiB) "
                  f"{'≤' if first_ms <= 100 else '>'} 100 ms {'ok' if first_ms <= 100 else 'OVER'}")
        finally:
            worker.terminate()
            worker.wait(30)
            connection.close()


if __name__ == "__main__":
    main()
