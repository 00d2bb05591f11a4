"""Builders for the publishing tests: more communes, appraised scores, a published period."""

import datetime
from decimal import Decimal

from communes.models import Unit
from scoring.models import Assessment, Score

from ..factories import make_period, make_unit

D = Decimal
# The reply round's communes (issue 12: tests/scoring/test_replies.py, test_reply_views.py):
# A's and B's self and appraised scores, {commune: {leaf: score}}.
REPLY_SCORES = {
    "A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"},
    "B": {"1.1": "1", "1.2": "3", "2.1": "4"},
}


def add_communes(district, count, *, prefix="X", kind="xa") -> list[Unit]:
    """`count` communes X01, X02, … under `district`, in one insert."""
    return Unit.objects.bulk_create(
        Unit(
            code=f"{prefix}{i:02d}",
            name=f"Xã {prefix}{i:02d}",
            kind=kind,
            level="commune",
            parent=district,
        )
        for i in range(1, count + 1)
    )


def commune(code, name, kind, parent, **extra) -> Unit:
    return make_unit(code, name, kind, parent, **extra)


def appraise(period, scores: dict[str, dict[str, str]], *, status=Assessment.Status.APPRAISED):
    """Give each commune (code → {leaf code: "1,5"}) these self and appraised scores and mark
    its assessment appraised (as finished appraisal would)."""
    wanted = {
        (code, leaf): D(value.replace(",", "."))
        for code, values in scores.items()
        for leaf, value in values.items()
    }
    found = Score.objects.filter(assessment__period=period).select_related(
        "assessment__commune", "criterion"
    )
    changed = []
    for score in found:
        key = (score.assessment.commune.code, score.criterion.code)
        if key in wanted:
            score.self_score = score.appraised_score = wanted[key]
            changed.append(score)
    assert len(changed) == len(wanted), "a score to set does not exist"
    Score.objects.bulk_update(changed, ["self_score", "appraised_score"])
    Assessment.objects.filter(period=period, commune__code__in=scores).update(status=status)


def reply_period(district, **dates):
    """The reply round's period of `district`: opened 40 days ago, self-assessment closed 10
    days ago, replies due in 3 days (`dates` adds or changes deadlines); not appraised yet
    (appraise(period, REPLY_SCORES))."""
    today = datetime.date.today()
    dates = {
        "opens_on": today - datetime.timedelta(days=40),
        "self_assessment_due": today - datetime.timedelta(days=10),
        "reply_due": today + datetime.timedelta(days=3),
        **dates,
    }
    return make_period(district, **dates)


def appraise_all(period, value="1"):
    """Every score of the period appraised at `value`, every assessment appraised."""
    value = D(value.replace(",", "."))
    Score.objects.filter(assessment__period=period).update(self_score=value, appraised_score=value)
    Assessment.objects.filter(period=period).update(status=Assessment.Status.APPRAISED)


def results_of(publication) -> dict[str, tuple]:
    """commune code → (total, index, rank, rank_of, classification, {field: (score, max, r, N)})."""
    return {
        result.commune.code: (
            result.total,
            result.index,
            result.rank,
            result.rank_of,
            result.classification,
            {code: tuple(field) for code, field in result.field_scores().items()},
        )
        for result in publication.results.select_related("commune")
    }
