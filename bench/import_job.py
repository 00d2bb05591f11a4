"""Benchmark: a 10,000-unit file on the admin's import page, in the request and as a job.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/import_job.py \
        [--broker redis://127.0.0.1:6379/14]

In a throw-away PostgreSQL database, with `celery -A cchc worker` as a separate process: the
file imported in the request (IMPORT_JOB_KB above its size), then the same rows renamed by a
job (IMPORT_JOB_KB below it), then renamed back in the request. Prints how long each request
held its server process, how long the job took from the upload to "done", and the progress
states the job page's JSON showed while polled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _setup import ROOT, throwaway_database
from import_units import write_units

from django.db import connection
from django.test import Client, override_settings


def post(client, path, big_threshold: bool):
    with override_settings(IMPORT_JOB_MIN_BYTES=10**9 if big_threshold else 0):
        with open(path, "rb") as handle:
            started = time.perf_counter()
            response = client.post("/admin/communes/unit/import/", {"file": handle})
            return response, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Chạy trên PostgreSQL: DATABASE_URL=postgres://… (worker là tiến trình khác).")

    from cchc.celery import app
    from django.contrib.auth import get_user_model
    from jobs.models import Job

    app.conf.update(broker_url=options.broker, task_always_eager=False)
    queue = f"bench-import-job-{os.getpid()}"
    app.conf.task_default_queue = queue
    with throwaway_database("import_job"), tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, CELERY_BROKER_URL=options.broker,
    ):
        first, renamed = os.path.join(media, "a.csv"), os.path.join(media, "b.csv")
        write_units(first)
        write_units(renamed, " (mới)")
        print(f"file: 10,000 rows, {os.path.getsize(renamed) // 1024} KiB")
        admin = get_user_model().objects.create_superuser("quantri", "q@example.vn", "x")
        client = Client()
        client.force_login(admin)
        settings = connection.settings_dict
        env = dict(
            os.environ, MEDIA_ROOT=media, CELERY_BROKER_URL=options.broker,
            DATABASE_URL=f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cchc", "worker", "-Q", queue,
             "--concurrency", "1", "-l", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env=env,
        )
        try:
            response, took = post(client, first, big_threshold=True)
            assert response.status_code == 302, response.content[:500]
            print(f"create 10,000 units in the request: {took:.2f} s")

            response, took = post(client, renamed, big_threshold=False)
            assert response.status_code == 302 and response["Location"].startswith("/jobs/")
            started = time.perf_counter() - took
            print(f"rename them as a job: the request answered in {took * 1000:.0f} ms")
            status_url = response["Location"] + "status.json"
            seen = []
            while True:
                document = client.get(status_url).json()
                state = (document["state"], document["done"], document["total"], document["note"][:1])
                if not seen or seen[-1] != state:
                    seen.append(state)
                if document["state"] in ("done", "failed"):
                    break
                time.sleep(0.05)
            print(f"  the job, upload to done: {time.perf_counter() - started:.2f} s")
            for state in seen:
                print(f"  seen: {state}")
            assert Job.objects.get().state == "done"

            response, took = post(client, first, big_threshold=True)
            assert response.status_code == 302
            print(f"rename them back in the request: {took:.2f} s")
        finally:
            worker.terminate()
            worker.wait(30)
            connection.close()


if __name__ == "__main__":
    main()
