"""Benchmark: announcing provisional results (issue 12) to a province's appraised communes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/provisional.py \
        [--communes 170] [--criteria 80] [--repeat 3]

Builds N appraised communes × M leaf criteria in a throw-away database, then times
`announce_provisional` for all of them (each repetition on fresh appraised assessments: the
previous round is put back to `appraised` untimed) and counts its queries. Goal: under 2 s on
PostgreSQL for 170 communes, a query count that does not depend on N.
"""

from __future__ import annotations

import argparse
import datetime
import time

from _setup import throwaway_database
from national import build_period

from django.db import connection
from django.test.utils import CaptureQueriesContext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--criteria", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with throwaway_database("provisional"):
        run(options.communes, options.criteria, options.repeat)


def run(communes: int, criteria: int, repeat: int) -> None:
    from scoring.models import Assessment, Period, Score
    from scoring.services.replies import announce_provisional

    period, built = build_period(communes, criteria, code="PH-2025")
    Score.objects.filter(assessment__period=period).update(self_score=1, appraised_score=1)
    due = datetime.date.today() + datetime.timedelta(days=7)
    Period.objects.filter(pk=period.pk).update(
        reply_due=due, self_assessment_due=datetime.date.today() - datetime.timedelta(days=1)
    )
    period.refresh_from_db()
    print(f"{connection.vendor}: {communes} communes × {criteria} criteria built in {built:.1f} s")
    timings = []
    for _ in range(repeat):
        Assessment.objects.filter(period=period).update(status=Assessment.Status.APPRAISED)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            count = announce_provisional(period, by=None)
            timings.append(time.perf_counter() - started)
        assert count == communes, count
    print(f"announce_provisional: {count} communes in {min(timings):.3f} s (best of {repeat}; "
          f"all: {', '.join(f'{t:.3f}' for t in timings)}), {len(queries)} queries")
    print("goal: < 2 s, queries independent of the number of communes:",
          "met" if min(timings) < 2 else "NOT MET")


if __name__ == "__main__":
    main()
