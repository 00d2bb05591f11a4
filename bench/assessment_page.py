"""Median server time of the self-assessment page (90 criteria, 60 evidence files) and of one
criterion save, through the whole Django stack (django.test.Client), with their query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/assessment_page.py

Builds its own data in a throwaway test database (bench_assessment_page_<name> on
PostgreSQL, in memory on SQLite) and evidence files in a temporary MEDIA_ROOT; never touches
the real ones. Goals (issue 4, on PostgreSQL): page ≤ 150 ms and ≤ 15 queries; save ≤ 50 ms
(11 queries with BEGIN and COMMIT: session, user, assessment, memberships, scores, period
shared, assessment locked, update, audit events). Options: --leaves N (per field, 10 fields),
--evidence N, --runs N, --queries (list the save's), --profile N (cProfile N saves).
"""

import argparse
import cProfile
import pstats
import re
import statistics
import tempfile
import time
import warnings
from decimal import Decimal
from urllib.parse import urlencode

from _setup import throwaway_database


def build(leaves: int, evidence: int):
    """Units of tests/factories.py, a 10-field period with `leaves` leaves per field, the
    commune's scores filled in and `evidence` PDF files linked to its criteria."""
    from django.db import connection

    from communes.models import Role
    from scoring.models import Assessment, Score
    from tests.evidence.builders import fill_assessment, make_wide_period
    from tests.factories import make_units, make_user

    units = make_units()
    period = make_wide_period(units["district"], code="BENCH", leaves=leaves)
    officer = make_user("bench_xa", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    fill_assessment(assessment, evidence=evidence, by=officer)
    score = (
        Score.objects.filter(assessment=assessment, criterion__evidence_required=False)
        .order_by("criterion__position")
        .first()
    )
    if connection.vendor == "postgresql":
        # A live database is analysed by autovacuum; a freshly filled one is not yet.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return assessment, score, officer


def timed(call, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `call`. The CPU time is this process's own (Python,
    not PostgreSQL's work): on a machine shared with other jobs it moves far less than the
    wall time, so compare changes by it."""
    timings, cpu = [], []
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call(i)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(timings), statistics.median(cpu)


def captured_queries(call) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call(0)
    return [query["sql"] for query in queries.captured_queries]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=9, help="leaves per field (10 fields)")
    parser.add_argument("--evidence", type=int, default=60)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="list the save's queries")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile N saves (CPU time) and print the top functions")
    args = parser.parse_args()

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from scoring.models import Score

    # As served in production: no DEBUG query log, and no test-environment template
    # instrumentation (setup_test_environment copies every template context for the client).
    settings.DEBUG = False
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise, no collectstatic
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        throwaway_database("assessment_page", test_environment=False),
        tempfile.TemporaryDirectory(prefix="cchc-bench-") as media,
    ):
        settings.MEDIA_ROOT = media
        started = time.perf_counter()
        assessment, score, officer = build(args.leaves, args.evidence)
        print(
            f"Dữ liệu: {10 * args.leaves} tiêu chí, {args.evidence} tệp kiểm chứng trên "
            f"{connection.vendor} (tạo trong {time.perf_counter() - started:.1f} s)"
        )
        # CSRF checked as in production (the test client skips it unless asked).
        client = Client(enforce_csrf_checks=True)
        client.force_login(officer)
        url = assessment.get_absolute_url()
        save_url = f"{url}scores/{score.pk}/"

        def page(_):
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        version = [Score.objects.get(pk=score.pk).version]

        def save(i):
            # What autosave.js (and bench/load.py) posts: the form urlencoded with the version
            # the last answer gave, the CSRF token in its header; a new score and explanation.
            data = urlencode({"self_score": str(Decimal(i % 2) / 2).replace(".", ","),
                              "self_note": f"Giải trình {i}", "version": version[0]})
            response = client.post(
                save_url, data, content_type="application/x-www-form-urlencoded",
                HTTP_X_AUTOSAVE="1", HTTP_X_REQUESTED_WITH="XMLHttpRequest",
                HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
            )
            assert response.status_code == 200, response.content[:300]
            version[0] = int(re.search(rb'name="version" value="(\d+)"', response.content)[1])

        page(0)  # warm templates and the connection
        (page_ms, page_cpu), page_queries = timed(page, args.runs), len(captured_queries(page))
        size = len(client.get(url).content) // 1024
        print(
            f"Trang tự đánh giá: trung vị {page_ms:.0f} ms (CPU {page_cpu:.1f} ms), "
            f"{page_queries} truy vấn, {size} KB (mục tiêu ≤ 150 ms, ≤ 15 truy vấn)"
        )
        save(1)
        save_ms, save_cpu = timed(save, args.runs)
        queries = captured_queries(lambda _: save(args.runs))  # a value that changes
        print(
            f"Lưu một tiêu chí: trung vị {save_ms:.1f} ms (CPU {save_cpu:.1f} ms), "
            f"{len(queries)} truy vấn (mục tiêu ≤ 50 ms)"
        )
        if args.queries:
            for sql in queries:
                print(f"  {sql[:110]}")
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU only, not waits on the database
            profiler.runcall(lambda: [save(args.runs + 1 + i) for i in range(args.profile)])
            stats = pstats.Stats(profiler)
            print(f"Lưu: {stats.total_calls / args.profile:.0f} lời gọi hàm Python mỗi lần lưu")
            stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
