"""Benchmark: `publish_period` against a hand-written raw-SQL baseline, at national size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/publish.py \
        [--communes 3321] [--criteria 80] [--pdf]

Builds N communes × M leaf criteria (default 3,321 × 80 = 265,680 appraised scores) in a
throw-away database, then times, in this order: the baseline, publish (version 1), the
baseline again, publish again (version 2, warm, after reopening for correction). The baseline computes the same field sums,
field dense ranks, totals, indices, overall ranks and classifications with SUM and window
functions in one transaction and writes the same number of rows (into temporary tables).
Prints every figure, checks that both agree, and the ratio. Goals (issue 6): publish ≤ 2 ×
the baseline and ≤ 2 s; its query count does not depend on N. With --pdf it also times
rendering and storing the ranking PDF (the after-commit side effect, not part of publish).
PostgreSQL only (the baseline is PostgreSQL SQL).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _setup import throwaway_database
from national import COMMUNES, CRITERIA, build_period

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

BASELINE_FIELDS = """
CREATE TEMPORARY TABLE baseline_field ON COMMIT DROP AS
WITH sums AS (
    SELECT s.assessment_id, c.field_id,
           SUM(COALESCE(s.appraised_score, 0)) AS score, SUM(c.max_points) AS max_points
    FROM scoring_score s
    JOIN scoring_criterion c ON c.id = s.criterion_id
    JOIN scoring_assessment a ON a.id = s.assessment_id
    WHERE a.period_id = %s
    GROUP BY s.assessment_id, c.field_id
), ranked AS (
    SELECT sums.*, DENSE_RANK() OVER (PARTITION BY field_id ORDER BY score DESC) AS rank
    FROM sums
)
SELECT ranked.*, MAX(rank) OVER (PARTITION BY field_id) AS rank_of FROM ranked
"""

BASELINE_RESULTS = """
CREATE TEMPORARY TABLE baseline_result ON COMMIT DROP AS
WITH totals AS (
    SELECT assessment_id, SUM(score) AS total, SUM(max_points) AS applicable_max,
           TRUNC(SUM(score) * 100 / SUM(max_points), 4) AS index
    FROM baseline_field
    GROUP BY assessment_id
)
SELECT totals.*,
       RANK() OVER (ORDER BY ROUND(index, 2) DESC) AS rank,
       COUNT(*) OVER () AS rank_of,
       CASE WHEN ROUND(index, 2) >= 90 THEN 'Hoàn thành xuất sắc nhiệm vụ'
            WHEN ROUND(index, 2) >= 80 THEN 'Hoàn thành tốt nhiệm vụ'
            WHEN ROUND(index, 2) >= 70 THEN 'Hoàn thành nhiệm vụ'
            ELSE 'Chưa hoàn thành nhiệm vụ' END AS classification
FROM totals
"""


# The same computation written into the real tables, with their indexes and deferred
# foreign-key checks (what publish must pay too), into a publication of its own that is
# removed afterwards (untimed).
BASELINE_INTO_TABLES = """
INSERT INTO scoring_result (publication_id, commune_id, total, applicable_max, index, rank,
                            rank_of, block, classification, field_results, adjustment, adjustments)
SELECT %s, a.commune_id, r.total, r.applicable_max, r.index, r.rank, r.rank_of, '', r.classification,
       f.document, 0, '[]'::jsonb
FROM baseline_result r
JOIN scoring_assessment a ON a.id = r.assessment_id
JOIN (
    SELECT f.assessment_id,
           jsonb_object_agg(c.code, jsonb_build_object(
               'score', f.score::text, 'max', f.max_points::text,
               'rank', f.rank, 'rank_of', f.rank_of)) AS document
    FROM baseline_field f JOIN scoring_criterion c ON c.id = f.field_id
    GROUP BY f.assessment_id
) f ON f.assessment_id = r.assessment_id
"""


def fill_scores(period) -> int:
    """Every score appraised (deterministic, steps of 0.05 so fields tie), every assessment
    appraised; then VACUUM ANALYZE as autovacuum would have by publishing day."""
    from scoring.models import Assessment

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE scoring_score s
            SET appraised_score = LEAST(c.max_points, 0.05 * ((s.assessment_id * 7919
                    + s.criterion_id * 104729) %% (FLOOR(c.max_points / 0.05)::int + 1))),
                self_score = c.max_points
            FROM scoring_criterion c
            WHERE c.id = s.criterion_id
            """,
            [],
        )
        rows = cursor.rowcount
    Assessment.objects.filter(period=period).update(status=Assessment.Status.APPRAISED)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return rows


def baseline(period) -> tuple[float, dict, dict]:
    """Seconds for the raw-SQL computation and write, and what it computed."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BASELINE_FIELDS, [period.pk])
        cursor.execute(BASELINE_RESULTS)
        elapsed = time.perf_counter() - started
        cursor.execute(
            "SELECT assessment_id, total, index, rank, rank_of, classification FROM baseline_result"
        )
        results = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT assessment_id, field_id, score, rank, rank_of FROM baseline_field")
        fields = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    return elapsed, results, fields


def baseline_into_tables(period) -> float:
    """Seconds for the same computation written into scoring_result, the field results as
    JSON built by PostgreSQL (commit included)."""
    from django.utils import timezone

    from scoring.models import Publication

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_publication (period_id, version, published_at, decision, reason, "
            "exclusions, ranking_pdf, blocks) VALUES (%s, 1000, %s, '', '', '{}', '', '[]') "
            "RETURNING id",
            [period.pk, timezone.now()],
        )
        publication = cursor.fetchone()[0]
        cursor.execute(BASELINE_FIELDS, [period.pk])
        cursor.execute(BASELINE_RESULTS)
        cursor.execute(BASELINE_INTO_TABLES, [publication])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM scoring_result WHERE publication_id = %s", [publication])
        cursor.execute("DELETE FROM scoring_publication WHERE id = %s", [publication])
    assert not Publication.objects.filter(pk=publication).exists()
    return elapsed


def published(publication) -> tuple[dict, dict]:
    from scoring.models import Assessment, Criterion, Result

    assessment_of = dict(
        Assessment.objects.filter(period_id=publication.period_id).values_list("commune_id", "pk")
    )
    results = {
        assessment_of[commune]: (total, index, rank, rank_of, classification)
        for commune, total, index, rank, rank_of, classification in Result.objects.filter(
            publication=publication
        ).values_list("commune_id", "total", "index", "rank", "rank_of", "classification")
    }
    field_of = dict(
        Criterion.objects.filter(
            criteria_set_id=publication.period.criteria_set_id, parent__isnull=True
        ).values_list("code", "pk")
    )
    fields = {
        (assessment_of[result.commune_id], field_of[code]): (f.score, f.rank, f.rank_of)
        for result in Result.objects.filter(publication=publication)
        for code, f in result.field_scores().items()
    }
    return results, fields


def reopen_for_correction(period, **kwargs):
    from scoring.services.publishing import reopen_for_correction

    return reopen_for_correction(period, **kwargs)


def timed_publish(period, **kwargs):
    from scoring.services.publishing import publish_period

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        publication = publish_period(period, by=None, **kwargs)
        elapsed = time.perf_counter() - started
    return publication, elapsed, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=COMMUNES)
    parser.add_argument("--criteria", type=int, default=CRITERIA, help="leaf criteria")
    parser.add_argument("--pdf", action="store_true", help="also time the ranking PDF")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/publish.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    with throwaway_database("publish"), tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        period, setup_seconds = build_period(options.communes, options.criteria)
        scores = fill_scores(period)
        print(f"database: PostgreSQL {connection.pg_version // 10000}, {connection.settings_dict['NAME']}")
        print(
            f"data: {options.communes} communes × {options.criteria} leaf criteria = {scores} "
            f"appraised scores (set up in {setup_seconds:.1f} s)"
        )
        base_1, base_results, base_fields = baseline(period)
        publication, publish_1, queries_1 = timed_publish(period)
        base_2, *_ = baseline(period)
        tables_1 = baseline_into_tables(period)
        reopen_for_correction(period, by=None, reason="Đo lần hai")  # untimed
        second, publish_2, queries_2 = timed_publish(period, reason="Đo lần hai")
        tables_2 = baseline_into_tables(period)
        results, fields = published(publication)
        agree = results == base_results and fields == base_fields
        best = min(base_1, base_2)
        best_tables = min(tables_1, tables_2)
        print(f"rows written: {len(results)} results holding {len(fields)} field results")
        print(f"baseline (raw SQL, SUM + window functions): {base_1:.3f} s, again {base_2:.3f} s")
        print(
            f"baseline written into scoring_result, field results as JSON (indexes, foreign "
            f"keys, commit): {tables_1:.3f} s, again {tables_2:.3f} s"
        )
        print(
            f"publish_period version 1: {publish_1:.3f} s in {queries_1} queries (it also moves "
            f"{len(results)} assessments to published and writes an audit event for each, which "
            f"the baseline does not; so does version 2, after the reopening)"
        )
        print(f"publish_period version 2 (warm): {publish_2:.3f} s in {queries_2} queries")
        print(f"publish and baseline agree on every total, index, rank and field rank: {agree}")
        print(
            f"ratio publish / baseline: {publish_1 / best:.2f} (version 1), "
            f"{publish_2 / best:.2f} (version 2); goal ≤ 2: "
            f"{'met' if max(publish_1, publish_2) <= 2 * best else 'NOT met'}"
        )
        print(
            f"ratio publish / baseline written into the tables: {publish_1 / best_tables:.2f} "
            f"(version 1), {publish_2 / best_tables:.2f} (version 2)"
        )
        print(f"goal ≤ 2 s: {'met' if max(publish_1, publish_2) <= 2 else 'NOT met'}")
        if options.pdf:
            from reports.pdf import store_ranking_pdf

            started = time.perf_counter()
            stored = store_ranking_pdf(publication)
            seconds = time.perf_counter() - started
            publication.refresh_from_db()
            size = publication.ranking_pdf.size if stored else 0
            print(f"ranking PDF (after commit): stored={stored} in {seconds:.2f} s, {size} bytes")
        if not agree:
            raise SystemExit("publish and the baseline disagree")


if __name__ == "__main__":
    main()
