"""Median server time of the period table (/periods/<period>/) for 170 communes × 90 criteria,
and of one commune's appraisal page, through the whole Django stack (test client).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/period_table.py

Builds its data in a throwaway test database (bench_period_table_<name> on PostgreSQL, in
memory on SQLite), never in the real one; the issue's goal (≤ 150 ms for the table) is
measured on PostgreSQL. Options: --communes N, --leaves N (per field, 10 fields), --runs N.
"""

import argparse
import statistics
import time
from decimal import Decimal

from _setup import throwaway_database


def build(communes: int, per_field: int):
    """A province with `communes` communes in 10 districts, a 10-field criteria set with
    `per_field` leaves each, scores filled in, states of every kind."""
    from django.db import connection
    from django.utils import timezone

    from communes.models import Role
    from scoring.models import Assessment, Score
    from scoring.services import appraisal
    from scoring.services.setup import CriterionRow, create_period, save_criteria_set
    from tests.factories import make_unit, make_user

    province = make_unit("BP", "Tỉnh Thử Nghiệm", "tinh")
    districts = [make_unit(f"BD{d}", f"Huyện {d}", "huyen", province) for d in range(10)]
    for i in range(communes):
        make_unit(f"BX{i:04}", f"Xã Số {i}", "xa", districts[i % 10])
    rows = []
    for f in range(1, 11):
        rows.append(CriterionRow(str(f), None, f"Lĩnh vực {f}", Decimal(per_field)))
        rows += [
            CriterionRow(f"{f}.{k}", str(f), f"Tiêu chí {f}.{k}", Decimal(1), evidence_required=True)
            for k in range(1, per_field + 1)
        ]
    criteria_set = save_criteria_set("BENCH", "Bộ tiêu chí thử", rows, total=Decimal(10 * per_field))
    period = create_period(code="BENCH", year=2025, criteria_set=criteria_set, unit=province)
    Score.objects.filter(assessment__period=period).update(self_score=Decimal("0.75"), self_note="Có")
    ids = list(Assessment.objects.filter(period=period).order_by("pk").values_list("pk", flat=True))
    Assessment.objects.filter(pk__in=ids[: communes * 3 // 4]).update(
        status=Assessment.Status.SUBMITTED, submitted_at=timezone.now()
    )
    user = make_user("bench_thamdinh", unit=province, role=Role.APPRAISER, first_name="Tổ thẩm định")
    target = Assessment.objects.get(pk=ids[0])
    for pk in ids[: communes // 3]:
        appraisal.accept_self_scores(Assessment.objects.get(pk=pk), by=user)
    for pk in ids[communes // 3 : communes // 2]:
        assessment = Assessment.objects.get(pk=pk)
        first = assessment.scores.order_by("criterion__position").first()
        appraisal.return_criteria(assessment, {first.criterion_id: "Bổ sung tài liệu"}, by=user)
    if connection.vendor == "postgresql":
        # A live database is analysed by autovacuum; a freshly filled one is not yet.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return period, target, user


def measure(client, url: str, runs: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches (templates, connection)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(timings), len(queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--leaves", type=int, default=9, help="leaves per field (10 fields)")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()

    from django.db import connection
    from django.test import Client

    with throwaway_database("period_table"):
        started = time.perf_counter()
        period, target, user = build(args.communes, args.leaves)
        print(
            f"Dữ liệu: {args.communes} xã × {10 * args.leaves} tiêu chí trên {connection.vendor} "
            f"(tạo trong {time.perf_counter() - started:.1f} s)"
        )
        client = Client()
        client.force_login(user)
        table, table_queries, table_size = measure(client, period.get_absolute_url(), args.runs)
        print(
            f"Bảng kỳ đánh giá /periods/{period.code}/: trung vị {table:.0f} ms, "
            f"{table_queries} truy vấn, {table_size // 1024} KB (mục tiêu ≤ 150 ms trên PostgreSQL)"
        )
        page, page_queries, page_size = measure(client, target.get_absolute_url(), args.runs)
        print(
            f"Trang thẩm định một xã ({10 * args.leaves} tiêu chí): trung vị {page:.0f} ms, "
            f"{page_queries} truy vấn, {page_size // 1024} KB"
        )


if __name__ == "__main__":
    main()
