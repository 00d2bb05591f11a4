"""Benchmark: the long report work on real Celery workers (issue 13).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/jobs.py \
        [--communes 170] [--concurrency 1,2] [--no-national] [--broker redis://127.0.0.1:6379/14]

Builds publications of 170 communes in a throw-away PostgreSQL database and, for each
`--concurrency` (default 1 then 2), starts `celery -A cchc worker --concurrency N` as a
separate process on that database and Redis and times the job the publish hook starts: the
ranking PDF and every commune report rendered and stored (reports.tasks.PARTS messages, which
the worker processes share), each run on a publication of its own. Prints each run's time,
the worker's CPU time (pool processes included: what the load of other programs does not
change) and the ratio (goal ≥ 1,7× with 2 processes on 2 cores); then reports.zip built by
the worker (every PDF stored) and its download's first byte (goal ≤ 100 ms: the stored file
streamed); then a national ranking PDF (3,321 rows) rendered and stored by the worker
(reports.tasks.render_ranking), unless --no-national. The load average is printed with each
figure: on a shared machine the wall times follow it, the CPU times do not. About 4 minutes
on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

from _setup import throwaway_database

from django.db import connection
from django.test import Client, override_settings

NATIONAL = 3321


def load() -> str:
    return "load " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def wait(job, seconds=1800):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            assert job.state == "done", job.error
            return
        time.sleep(0.05)
    raise SystemExit(f"job {job.pk} not finished after {seconds} s")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Workers:
    """`celery -A cchc worker` processes on the bench's database, storage and queue, one at a
    time (tests/processes.py starts and stops them)."""

    def __init__(self, broker: str, media: str, logs: Path):
        from tests.processes import process_env

        self.queue = f"bench-jobs-{uuid.uuid4().hex[:8]}"
        self.env = process_env(media, CELERY_BROKER_URL=broker, CELERY_QUEUE=self.queue)
        self.logs = logs

    def timed(self, concurrency: int, start_job, label: str) -> tuple[float, float, list]:
        """(wall s, worker CPU s, CPU s of each pool process) of the job `start_job()` starts,
        on a worker of `concurrency` processes started (and ready) beforehand; the CPU times
        cover the processes' whole lives, their start included."""
        from tests.processes import celery_worker

        cpu = children_cpu()
        log = self.logs / f"{label}.log"
        with celery_worker(self.env, self.queue, log, concurrency=concurrency) as worker:
            started = time.perf_counter()
            wait(start_job())
            took = time.perf_counter() - started
            pool = pool_cpu(worker.process.pid)
        return took, children_cpu() - cpu, pool


def pool_cpu(pid: int) -> list[float]:
    """CPU seconds of each child (pool process) of the process `pid`, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    seconds = []
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds.append((int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
    return sorted(seconds, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--concurrency", default="1,2",
                        help="worker processes for each rendering run, comma-separated")
    parser.add_argument("--no-national", dest="national", action="store_false",
                        help=f"skip the national ranking PDF ({NATIONAL} rows)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    runs = [int(n) for n in options.concurrency.split(",") if n.strip()]
    if connection.vendor != "postgresql":
        raise SystemExit("Chạy trên PostgreSQL: DATABASE_URL=postgres://… (worker là tiến trình khác).")

    from cchc.celery import app
    from communes.models import Role
    from jobs.models import Job
    from reports import tasks
    from tests.factories import make_units, make_user
    from tests.reports.builders import make_published_period

    began = time.perf_counter()
    print(f"{os.cpu_count()} CPUs, {load()}")
    with throwaway_database("jobs"), tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, CELERY_BROKER_URL=options.broker,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        workers = Workers(options.broker, media, Path(media))
        app.conf.update(
            broker_url=options.broker, task_always_eager=False, task_default_queue=workers.queue
        )
        started = time.perf_counter()
        units = make_units()
        leader = make_user("lanhdao", unit=units["district"], role=Role.LEADER)
        # One publication per run, the same size and make-up (last year's results included).
        publications = [
            make_published_period(
                units, count=options.communes, code=f"B{run}-2024", year=2024 + 2 * run
            )
            for run in range(len(runs))
        ]
        print(f"{len(runs)} × {options.communes} communes, data built in "
              f"{time.perf_counter() - started:.1f} s")

        times, busiest = {}, {}
        for run, (concurrency, publication) in enumerate(zip(runs, publications)):
            took, cpu, pool = workers.timed(
                concurrency, lambda: tasks.start_rendering(publication, by=leader), f"run{run}"
            )
            times[concurrency] = took
            busiest[concurrency] = max(pool, default=0.0)
            pdfs = options.communes + 1
            shares = " + ".join(f"{seconds:.1f}" for seconds in pool)
            print(f"publication's PDFs (ranking + {options.communes} reports), worker "
                  f"--concurrency {concurrency}: {took:.1f} s, {took / pdfs * 1000:.0f} ms per "
                  f"PDF; worker CPU {cpu:.1f} s, pool processes {shares} s ({load()})")
        for concurrency, took in times.items():
            if concurrency == 1 or 1 not in times:
                continue
            goal = 1.7 if concurrency == 2 else 0.85 * concurrency
            for label, ratio in (
                ("wall time", times[1] / took),
                # What an idle machine would show: the busiest pool process sets the pace.
                ("busiest pool process's CPU", busiest[1] / busiest[concurrency]),
            ):
                print(f"  --concurrency {concurrency}, {label}: {ratio:.2f}× faster than 1 "
                      f"{'≥' if ratio >= goal else '<'} {goal:.2f}× "
                      f"{'ok' if ratio >= goal else 'UNDER'}")

        client = Client()
        client.force_login(leader)
        publication = publications[0]
        url = f"/periods/{publication.period.code}/reports.zip"

        def start_zip():
            response = client.get(url)
            assert response.status_code == 302, response.status_code
            return Job.objects.get(key=f"reports.zip:{publication.pk}")

        took, cpu, _ = workers.timed(1, start_zip, "zip")
        print(f"reports.zip built by the worker (all PDFs stored): {took:.1f} s, "
              f"worker CPU {cpu:.1f} s ({load()})")
        started = time.perf_counter()
        response = client.get(url)
        first = next(iter(response.streaming_content))
        first_ms = (time.perf_counter() - started) * 1000
        size = len(first) + sum(len(chunk) for chunk in response.streaming_content)
        print(f"reports.zip first byte: {first_ms:.1f} ms ({size // 1024} KiB, streamed from "
              f"storage) {'≤' if first_ms <= 100 else '>'} 100 ms "
              f"{'ok' if first_ms <= 100 else 'OVER'}")

        if options.national:
            started = time.perf_counter()
            national = make_published_period(
                units, count=NATIONAL, code="QG-2030", year=2030, previous=False
            )
            print(f"national publication ({NATIONAL} communes) built in "
                  f"{time.perf_counter() - started:.1f} s")
            took, cpu, _ = workers.timed(
                1, lambda: tasks.start_ranking(national, by=leader), "national"
            )
            national.refresh_from_db()
            size = national.ranking_pdf.size // 1024
            print(f"national ranking PDF ({NATIONAL} rows) rendered and stored by the worker: "
                  f"{took:.1f} s, {size} KiB, worker CPU {cpu:.1f} s ({load()})")
        connection.close()
    print(f"bench done in {time.perf_counter() - began:.0f} s ({load()})")


if __name__ == "__main__":
    main()
