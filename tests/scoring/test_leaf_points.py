"""One rule for a leaf's points (docs/design.md §3, §5): rules.leaf_points, and the same rule in SQL
(Score.objects.with_points) that the period table, publishing and the reports sum.

The pure function is pinned by hand on the cases that matter; then the SQL is held to it over
every combination of the inputs (method, na_policy, self score, appraised score, claimed,
confirmed), row by row and summed, on the database the tests run on.
"""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum

from scoring import rules
from scoring.models import Method, NaPolicy, Score
from scoring.services.setup import CriterionRow, save_criteria_set

from ..factories import make_period

D = Decimal
MAX = D(2)


def points(**kwargs) -> tuple:
    return tuple(rules.leaf_points(MAX, **kwargs).__dict__.values())


# (self_points, self_max, points, counted_max)
@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"self_score": D("1.5"), "appraised_score": D(1)}, (D("1.5"), MAX, D(1), MAX)),
        ({}, (D(0), MAX, D(0), MAX)),  # nothing scored yet counts 0 of the maximum
        # Claimed and confirmed: `full` gives the maximum, `exclude` leaves it (0 of 0),
        # whatever score was left on the leaf.
        ({"na_policy": "full", "not_applicable": True, "confirmed": True,
          "appraised_score": D(1)}, (MAX, MAX, MAX, MAX)),
        ({"na_policy": "exclude", "not_applicable": True, "confirmed": True,
          "appraised_score": D(1)}, (D(0), D(0), D(0), D(0))),
        # Claimed, not confirmed (rejected by a score, or undecided): the commune counts its
        # claim, the appraisal the score.
        ({"na_policy": "exclude", "not_applicable": True, "appraised_score": D("0.5")},
         (D(0), D(0), D("0.5"), MAX)),
        ({"na_policy": "full", "not_applicable": True}, (MAX, MAX, D(0), MAX)),
        # A criterion that allows no "không áp dụng": the claim changes nothing.
        ({"not_applicable": True, "confirmed": True, "self_score": D(1), "appraised_score": D(1)},
         (D(1), MAX, D(1), MAX)),
        # Imported (survey, SIPAS, computed): no self points, no claim, counted in the maximum.
        ({"imported": True, "self_score": D(2), "appraised_score": D("1.25"),
          "na_policy": "exclude", "not_applicable": True}, (D(0), MAX, D("1.25"), MAX)),
    ],
)
def test_leaf_points_by_hand(kwargs, expected):
    assert points(**kwargs) == expected


def test_the_na_policy_values_are_the_models():
    assert (NaPolicy.FULL, NaPolicy.EXCLUDE) == (rules.NA_FULL, rules.NA_EXCLUDE)


METHODS = (Method.SELF_ASSESSED, Method.SURVEY)
POLICIES = (NaPolicy.NONE, NaPolicy.FULL, NaPolicy.EXCLUDE)
SCORES = (None, D(0), D("1.25"), MAX)
CASES = list(itertools.product(METHODS, POLICIES, SCORES, SCORES, (False, True), (False, True)))


@pytest.fixture
def cases(units):
    """Commune A of a period whose criteria set has one leaf per case, and each leaf's score
    set to its case (384 leaves under one field)."""
    rows = [CriterionRow("1", None, "Lĩnh vực", MAX * len(CASES))]
    for i, (method, policy, *_rest) in enumerate(CASES, start=1):
        rows.append(CriterionRow(f"1.{i}", "1", f"Trường hợp {i}", MAX, method=method,
                                 na_policy=policy))
    criteria_set = save_criteria_set("LEAF", "Mọi trường hợp", rows, total=MAX * len(CASES))
    period = make_period(units["district"], criteria_set=criteria_set)
    scores = {
        score.criterion.code: score
        for score in Score.objects.filter(assessment__period=period, assessment__commune__code="A")
        .select_related("criterion")
    }
    for i, (_method, _policy, own, appraised, claimed, confirmed) in enumerate(CASES, start=1):
        score = scores[f"1.{i}"]
        score.self_score, score.appraised_score = own, appraised
        score.not_applicable, score.not_applicable_confirmed = claimed, confirmed
    Score.objects.bulk_update(
        scores.values(),
        ["self_score", "appraised_score", "not_applicable", "not_applicable_confirmed"],
    )
    return Score.objects.filter(assessment__period=period, assessment__commune__code="A")


def pure(method, policy, own, appraised, claimed, confirmed) -> rules.LeafPoints:
    return rules.leaf_points(
        MAX, self_score=own, appraised_score=appraised, imported=method != Method.SELF_ASSESSED,
        na_policy=policy, not_applicable=claimed, confirmed=confirmed,
    )


COLUMNS = ("self_points", "self_max", "points", "counted_max")


@pytest.mark.django_db
def test_the_sql_expression_agrees_with_the_rule_in_every_case(cases):
    rows = {
        code: tuple(values)
        for code, *values in cases.with_points().values_list("criterion__code", *COLUMNS)
    }
    assert len(rows) == len(CASES) == 384
    for i, case in enumerate(CASES, start=1):
        expected = tuple(pure(*case).__dict__.values())
        assert rows[f"1.{i}"] == expected, case


@pytest.mark.django_db
def test_summed_in_sql_the_totals_are_the_rule_summed(cases):
    sums = cases.with_points().aggregate(**{f"sum_{name}": Sum(name) for name in COLUMNS})
    expected = [pure(*case) for case in CASES]
    assert sums == {
        f"sum_{name}": sum((getattr(leaf, name) for leaf in expected), D(0)) for name in COLUMNS
    }
