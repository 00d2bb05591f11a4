"""Criteria across years (docs/design.md §6 `import_criteria --previous`): last year's
appraised score beside each criterion, and "tiêu chí dễ mất điểm" against last year.

A criterion compares with the same criterion of the previous period's set: itself when both
periods use one set, else the criterion its `previous` names (import_criteria's previous_code,
or the clone action). A commune compares with itself when it was assessed last year, else with
the units it continues (communes.lineage); after a merger, with each of them, named.

Only a published previous period is read: before publication (or while it is reopened for a
correction) its appraised scores are nobody's to show, and a published period's scores are
exactly its latest version's. Every read takes a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from communes.lineage import lineage_of

from . import rules
from .models import Assessment, Criterion, Period, Publication, Score


@dataclass(frozen=True)
class PastScore:
    """One unit's counted points on the comparable criterion last year."""

    unit_name: str
    points: Decimal
    max_points: Decimal  # 0: "không áp dụng" was confirmed and the criterion left out

    @property
    def text(self) -> str:
        if not self.max_points:
            return "không áp dụng"
        return f"{rules.format_score(self.points)}/{rules.format_score(self.max_points)}"


@dataclass(frozen=True)
class LastYear:
    """Last year's score(s) beside one criterion; `named`: the scores are other units' (the
    commune did not exist as such last year), so each is named."""

    scores: tuple[PastScore, ...]
    named: bool

    @property
    def text(self) -> str:
        """ "năm trước: 1,5/2", "năm trước (Xã A): 1,5/2" or
        "năm trước: Xã A 1,5/2; Xã B 2/2"."""
        if not self.named:
            return f"năm trước: {self.scores[0].text}"
        if len(self.scores) == 1:
            return f"năm trước ({self.scores[0].unit_name}): {self.scores[0].text}"
        return "năm trước: " + "; ".join(f"{s.unit_name} {s.text}" for s in self.scores)


def last_year_scores(assessment: Assessment, criteria: Iterable[Criterion]) -> dict[int, LastYear]:
    """criterion id → LastYear for the leaves among `criteria` (the period's, loaded with their
    `previous_id`) that have a comparable score last year. Three queries (the lineage, last
    year's assessments of the commune's units, their scores), none without a previous period.
    """
    period = assessment.period
    if period.previous_id is None:
        return {}
    criteria = list(criteria)
    commune_id = assessment.commune_id
    lineage = lineage_of([commune_id])
    earlier = dict(
        Assessment.objects.filter(
            period_id=period.previous_id,
            period__status=Period.Status.PUBLISHED,
            commune_id__in=lineage.units([commune_id]),
        ).values_list("commune_id", "pk")
    )
    units = lineage.earlier(commune_id, earlier)
    if not units:
        return {}
    # Both candidates of each criterion: itself (one set for both years) and its `previous`;
    # last year's scores exist for the previous period's set only, so at most one matches.
    candidates = {c.pk: (c.pk, c.previous_id) for c in criteria}
    wanted = {pk for pair in candidates.values() for pk in pair if pk}
    rows = (
        Score.objects.filter(
            assessment_id__in=[earlier[unit] for unit in units], criterion_id__in=wanted
        )
        .with_points()
        .values_list("assessment__commune_id", "assessment__commune__name", "criterion_id",
                     "points", "counted_max")
    )
    found: dict[tuple[int, int], PastScore] = {}
    name_of: dict[int, str] = {}
    for unit, name, criterion, points, counted_max in rows:
        found[unit, criterion] = PastScore(name, points, counted_max)
        name_of[unit] = name
    named = units != [commune_id]
    order = sorted(units, key=lambda unit: (name_of.get(unit, ""), unit))
    answer = {}
    for criterion, pair in candidates.items():
        scores = []
        for unit in order:
            score = found.get((unit, pair[0])) or (pair[1] and found.get((unit, pair[1])))
            if score:
                scores.append(score)
        if scores:
            answer[criterion] = LastYear(tuple(scores), named)
    return answer


def with_last_year(sheet):
    """Set `last_year` on the sheet's leaf rows (selectors.Sheet) that have a score last
    year; returns the sheet. Three queries (last_year_scores)."""
    rows = sheet.leaf_rows()
    found = last_year_scores(sheet.assessment, [row.criterion for row in rows])
    for row in rows:
        row.last_year = found.get(row.criterion.pk)
    return sheet


# --- "tiêu chí dễ mất điểm" against last year --------------------------------------------


def previous_publication_id(period) -> int | None:
    """The previous period's latest publication (None: no previous period, or unpublished)."""
    if period.previous_id is None:
        return None
    return (
        Publication.objects.filter(period_id=period.previous_id)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )


def lost_points_last_year(criteria_set_id: int, publication_id: int | None) -> dict[str, dict]:
    """criterion code (this year's set) → last year's row of "tiêu chí dễ mất điểm" for the
    comparable criterion (publication `publication_id`'s lost_points: previous_code,
    communes, losing, lost_sum). Two queries; {} without a publication or its document."""
    if publication_id is None:
        return {}
    set_id, rows = (
        Publication.objects.filter(pk=publication_id)
        .values_list("period__criteria_set_id", "lost_points")
        .get()
    )
    if not rows:
        return {}
    by_code = {row["code"]: row for row in rows}
    if set_id == criteria_set_id:
        codes = {code: code for code in by_code}
    else:
        codes = dict(
            Criterion.objects.filter(
                criteria_set_id=criteria_set_id, previous__criteria_set_id=set_id
            ).values_list("code", "previous__code")
        )
    return {
        code: {
            "previous_code": before,
            "communes": by_code[before]["communes"],
            "losing": by_code[before]["losing"],
            "lost_sum": str(by_code[before]["lost_sum"]),
        }
        for code, before in codes.items()
        if before in by_code
    }
