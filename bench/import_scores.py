"""Benchmark: `import_scores FILE --period P` at national size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/import_scores.py \
        [--communes 3321] [--criteria 80]

Builds N communes × M leaf criteria (default 3,321 × 80) with an open period in a throw-away
database, writes a CSV of every (commune, criterion) with both scores, then times:
1. the command end to end (read and validate the whole file, write, audit);
2. a raw-SQL baseline: COPY of the same file into a staging table plus one UPDATE … FROM
   joining the codes to the foreign keys (no validation, no audit) — PostgreSQL only;
3. importing the same file again through the service, phase by phase (read, check + write).
Goal (issue 6): ≤ 10 s for the command on PostgreSQL. Prints every figure.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
import time
from pathlib import Path

from _setup import throwaway_database
from national import COMMUNES, CRITERIA, build_period, leaf_maxima, score_for

from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

BASELINE = """
UPDATE scoring_score s
SET self_score = t.self_score, appraised_score = t.appraised_score,
    version = s.version + 1, updated_at = now()
FROM bench_staging t
JOIN communes_unit u ON u.code = t.commune_code
JOIN scoring_assessment a ON a.commune_id = u.id AND a.period_id = %s
JOIN scoring_criterion c ON c.code = t.criterion_code AND c.criteria_set_id = %s
WHERE s.assessment_id = a.id AND s.criterion_id = c.id
"""


def write_file(period, path: Path) -> int:
    maxima = leaf_maxima(period)
    codes = list(period.assessments.order_by("commune__code").values_list("commune__code", flat=True))
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["commune_code", "criterion_code", "self_score", "appraised_score", "note"])
        for i, code in enumerate(codes):
            for j, (leaf, maximum) in enumerate(maxima.items()):
                appraised = score_for(i, j, maximum)
                writer.writerow([code, leaf, maximum, appraised, "" if appraised == maximum else "Thiếu tài liệu"])
                rows += 1
    return rows


def baseline(period, path: Path) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_staging (commune_code text, criterion_code text, "
            "self_score numeric(7, 3), appraised_score numeric(7, 3), note text) ON COMMIT DROP"
        )
        with open(path, encoding="utf-8") as handle:
            cursor.cursor.copy_expert("COPY bench_staging FROM STDIN WITH (FORMAT csv, HEADER)", handle)
        cursor.execute(BASELINE, [period.pk, period.criteria_set_id])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=COMMUNES)
    parser.add_argument("--criteria", type=int, default=CRITERIA, help="leaf criteria")
    options = parser.parse_args()
    from scoring.services.score_import import OPTIONAL, REQUIRED, import_scores
    from tabular import read_table

    with throwaway_database("import_scores"), tempfile.TemporaryDirectory() as folder:
        period, setup_seconds = build_period(options.communes, options.criteria)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        path = Path(folder) / "diem.csv"
        rows = write_file(period, path)
        print(f"database: {connection.vendor}, {connection.settings_dict['NAME']}")
        print(
            f"data: {options.communes} communes × {options.criteria} leaf criteria, period set up "
            f"in {setup_seconds:.1f} s; file {path.name}: {rows} rows, "
            f"{os.path.getsize(path) / 1e6:.1f} MB"
        )
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call_command("import_scores", str(path), "--period", period.code, stdout=out)
            command = time.perf_counter() - started
        print(f"import_scores command (read, validate, write, audit): {command:.2f} s "
              f"in {len(queries.captured_queries)} queries")
        print(f"  {out.getvalue().strip()}")
        if connection.vendor == "postgresql":
            raw = baseline(period, path)
            print(f"raw SQL baseline (COPY into staging + one UPDATE … FROM with the keys): {raw:.2f} s")
            print(f"ratio command / baseline: {command / raw:.2f}")
        started = time.perf_counter()
        table = read_table(path, path.name, required=REQUIRED, optional=OPTIONAL)
        read = time.perf_counter() - started
        started = time.perf_counter()
        result = import_scores(table, period=period)
        service = time.perf_counter() - started
        print(
            f"same file again: read_table {read:.2f} s + check and write {service:.2f} s = "
            f"{read + service:.2f} s ({result.changed} scores changed)"
        )
        print(f"goal ≤ 10 s: {'met' if command <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
