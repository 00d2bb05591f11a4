"""Benchmark: the published results of a province appraising 170 communes (issue 6).

    .venv/bin/python bench/reports.py [--communes 170 | --national] [--repeat 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/reports.py

Works in a throw-away database (in memory for SQLite, bench_reports_<name> for PostgreSQL)
and a temporary MEDIA_ROOT, both removed afterwards. Goes through the real stack (test client,
a signed-in district leader) and prints: the results page (median ms, queries), the ranking
PDF's first render (s, rendered and stored on first request) and the stored download (median
ms), one commune's report (median s), and the results page of a second period of the same
size ranked in two blocks (wards; communes and towns: issue 11). Goals: each page ≤ 150 ms and
≤ 12 queries, stored PDF ≤ 100 ms, commune report ≤ 1 s.

Pages are rendered as in production: DEBUG off (no query log, no template debug) and without
Django's test environment (which records every rendered template and copies its context for
the test client). Each page also prints its median CPU time in this process, the figure to
compare on a busy machine (wall time there includes waiting for a core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings

from _setup import throwaway_database
from national import COMMUNES

from django.conf import settings
from django.db import connection, reset_queries
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


def timed(function, repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of `repeat` calls; their CPU times (this process) appended to `cpu`."""
    times = []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return times


def page_figures(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, median CPU ms, queries) of a page, after one request to warm it."""
    get(client, url)  # warm the templates and the connection
    reset_queries()  # the log is a bounded deque, already full from building the data
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    count = len(queries.captured_queries)  # read now: the next request clears the log
    cpu: list[float] = []
    wall = statistics.median(timed(lambda: get(client, url), repeat, cpu))
    return wall * 1000, statistics.median(cpu) * 1000, count


def get(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--national", action="store_true",
                        help=f"a national ranking: --communes {COMMUNES}")
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    if options.national:
        options.communes = COMMUNES

    from communes.models import Role
    from tests.factories import make_units, make_user
    from tests.reports.builders import make_published_period

    # As served in production (see the docstring); WhiteNoise warns of the missing STATIC_ROOT.
    settings.DEBUG = False
    warnings.filterwarnings("ignore", message="No directory at")
    with throwaway_database(
        "reports", test_environment=False
    ), tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        started = time.perf_counter()
        units = make_units()
        period = make_published_period(units, count=options.communes).period
        leader = make_user("lanhdao", unit=units["district"], role=Role.LEADER)
        print(f"{connection.vendor}, {options.communes} communes, data built in "
              f"{time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(leader)
        base = f"/periods/{period.code}"

        page_ms, page_cpu, page_queries = page_figures(client, f"{base}/results/", options.repeat)
        print(f"results page: median {page_ms:.1f} ms (CPU {page_cpu:.1f} ms) over "
              f"{options.repeat}, {page_queries} queries")

        pdf_url = f"{base}/results.pdf"
        cpu = time.process_time()
        first = timed(lambda: get(client, pdf_url), 1)[0]
        cpu = time.process_time() - cpu
        # CPU time beside the wall time: on a shared machine the wall time follows the load
        # (2 cores at load 7: 3 s of CPU took 7-10 s), the CPU time does not.
        print(f"ranking PDF first render (render + store, WeasyPrint loaded first): "
              f"{first:.2f} s, CPU {cpu:.2f} s (load {os.getloadavg()[0]:.1f}), "
              f"{len(get(client, pdf_url)) // 1024} KiB")
        stored_ms = statistics.median(timed(lambda: get(client, pdf_url), options.repeat)) * 1000
        print(f"ranking PDF stored download: median {stored_ms:.1f} ms over {options.repeat}")

        report = f"{base}/communes/A/report.pdf"
        get(client, report)  # WeasyPrint's first document in the process loads its fonts
        report_s = statistics.median(timed(lambda: get(client, report), 5))
        print(f"commune report PDF: median {report_s:.2f} s over 5")

        # The same size after the reform: a province ranking its wards apart from its communes.
        started = time.perf_counter()
        blocks = make_published_period(
            units, count=options.communes, code="HP-2025", year=2025, previous=False,
            blocks="Phường:phuong;Xã, thị trấn:xa,thi_tran", district=units["other_district"],
        )
        sizes = ", ".join(
            f"{label} {blocks.results.filter(block=label).count()}" for label in blocks.blocks
        )
        print(f"two blocks ({sizes}), data built in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(make_user("lanhdao_d2", unit=units["other_district"], role=Role.LEADER))
        blocks_ms, blocks_cpu, blocks_queries = page_figures(
            client, f"/periods/{blocks.period.code}/results/", options.repeat
        )
        print(f"results page, two blocks: median {blocks_ms:.1f} ms (CPU {blocks_cpu:.1f} ms) "
              f"over {options.repeat}, {blocks_queries} queries")

        for label, value, goal in (
            ("results page ms", page_ms, 150),
            ("results page, two blocks, ms", blocks_ms, 150),
            ("stored PDF ms", stored_ms, 100),
            ("commune report s", report_s, 1),
        ):
            print(f"  {label}: {value:.2f} {'≤' if value <= goal else '>'} {goal} "
                  f"{'ok' if value <= goal else 'OVER'}")


if __name__ == "__main__":
    main()
