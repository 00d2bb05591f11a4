"""The appraised totals are computed three ways for speed; they must agree (design.md §3, §5).

1. scoring/overview.py: `appraisal_totals` (the appraisal page, per field and overall) and
   `score_sums` (the period table /periods/<period>/, one SQL aggregate);
2. scoring/selectors.py: LeafState.points / counted_max (the self-assessment page);
3. scoring/services/publishing.py: what publish_period writes into Result.

Publishing is the reference: a "không áp dụng" claim confirmed by the appraiser leaves the
maximum (na_policy `exclude`) or gives the maximum (`full`); an unconfirmed or rejected claim
counts as scored. One period is built through the real services, and the figures are also
computed by hand below so that the three cannot pass by being wrong the same way.
"""

from decimal import Decimal

import pytest

from communes.models import Role
from scoring import selectors
from scoring.models import Assessment, Result, Score
from scoring.overview import appraisal_totals, period_table, score_sums
from scoring.services.appraisal import appraise_score, mark_appraised
from scoring.services.publishing import publish_period
from scoring.services.self_assessment import save_self_score, submit_assessment
from scoring.services.setup import CriterionRow, save_criteria_set

from ..factories import make_period, make_user
from .publish_data import add_communes

pytestmark = pytest.mark.django_db

D = Decimal
NA = "không áp dụng"  # the commune claims it / the appraiser confirms the claim


def _criteria_set():
    """15 points: field 1 has an `exclude` leaf and a leaf for xã only, field 2 a `full` leaf,
    field 3 three levels deep with an `exclude` leaf at the bottom."""
    rows = [
        CriterionRow("1", None, "Chỉ đạo, điều hành", D(6)),
        CriterionRow("1.1", "1", "Giải quyết khiếu nại", D(2), na_policy="exclude"),
        CriterionRow("1.2", "1", "Kế hoạch xây dựng nông thôn mới", D(4), applies_to=["xa"]),
        CriterionRow("2", None, "Cải cách thủ tục hành chính", D(4)),
        CriterionRow("2.1", "2", "Xin lỗi khi trễ hạn", D(4), na_policy="full"),
        CriterionRow("3", None, "Tổ chức bộ máy", D(5)),
        CriterionRow("3.1", "3", "Sắp xếp tổ chức", D(3)),
        CriterionRow("3.1.1", "3.1", "Ban hành đề án", D(1)),
        CriterionRow("3.1.2", "3.1", "Sáp nhập thôn, tổ dân phố", D(2), na_policy="exclude"),
        CriterionRow("3.2", "3", "Quy chế làm việc", D(2)),
    ]
    return save_criteria_set("CS-TONG", "Bộ tiêu chí kiểm tra tổng điểm", rows, total=D(15))


# commune → (self scores, appraised scores in the order given). NA in the self scores is a
# claim; NA in the appraised ones confirms it. A value differing from the self score gets a note.
COMMUNES = {
    # Plain scores.
    "A": (
        {"1.1": "2", "1.2": "3", "2.1": "4", "3.1.1": "1", "3.1.2": "2", "3.2": "1,5"},
        [("1.1", "1,5"), ("1.2", "3"), ("2.1", "3,5"), ("3.1.1", "1"), ("3.1.2", "1"),
         ("3.2", "1,5")],
    ),
    # Thị trấn (1.2 does not apply); claims confirmed: 1.1 (exclude), 2.1 (full).
    "B": (
        {"1.1": NA, "2.1": NA, "3.1.1": "1", "3.1.2": "2", "3.2": "2"},
        [("1.1", NA), ("2.1", NA), ("3.1.1", "1"), ("3.1.2", "2"), ("3.2", "1")],
    ),
    # Claims rejected by a score: 1.1 (exclude) and 2.1 (full).
    "X01": (
        {"1.1": NA, "1.2": "4", "2.1": NA, "3.1.1": "0", "3.1.2": "2", "3.2": "2"},
        [("1.1", "1"), ("1.2", "4"), ("2.1", "2"), ("3.1.1", "0"), ("3.1.2", "1,25"),
         ("3.2", "2")],
    ),
    # 1.1 first scored, then the claim confirmed; 3.1.2 (three levels down) confirmed. Neither
    # ever keeps an appraised score.
    "X02": (
        {"1.1": NA, "1.2": "2", "2.1": "3", "3.1.1": "1", "3.1.2": NA, "3.2": "0"},
        [("1.1", "0,5"), ("1.1", NA), ("1.2", "2"), ("2.1", "3"), ("3.1.1", "1"),
         ("3.1.2", NA), ("3.2", "0")],
    ),
    # Appraisal unfinished (not ranked): the claim on 1.1 undecided, 3.2 never appraised.
    "X03": (
        {"1.1": NA, "1.2": "4", "2.1": "4", "3.1.1": "1", "3.1.2": "2", "3.2": "2"},
        [("1.2", "4"), ("2.1", "4"), ("3.1.1", "1"), ("3.1.2", "2")],
    ),
}
PUBLISHED = ("A", "B", "X01", "X02")

# By hand: commune → (appraised total, applicable maximum, {field: (score, maximum)}).
EXPECTED = {
    "A": (D("11.5"), D(15), {"1": (D("4.5"), D(6)), "2": (D("3.5"), D(4)), "3": (D("3.5"), D(5))}),
    # 1: 1.2 not for thị trấn, 1.1 confirmed exclude → 0/0; 2: confirmed full → 4/4.
    "B": (D(8), D(9), {"1": (D(0), D(0)), "2": (D(4), D(4)), "3": (D(4), D(5))}),
    # Rejected claims count as scored: 1.1 (exclude) stays in the maximum.
    "X01": (D("10.25"), D(15), {"1": (D(5), D(6)), "2": (D(2), D(4)), "3": (D("3.25"), D(5))}),
    # 1.1 and 3.1.2 confirmed exclude: 15 − 2 − 2; the 0,5 given before confirming is gone.
    "X02": (D(6), D(11), {"1": (D(2), D(4)), "2": (D(3), D(4)), "3": (D(1), D(3))}),
    # An undecided claim counts as scored: 1.1 stays in the maximum; 3.2 adds nothing yet.
    "X03": (D(11), D(15), {"1": (D(4), D(6)), "2": (D(4), D(4)), "3": (D(3), D(5))}),
}
# Self points as the commune counts them (a claimed `full` counts its maximum, `exclude`
# nothing) and the maximum as the commune claims it.
SELF = {
    "A": (D("13.5"), D(15)),
    "B": (D(9), D(9)),
    "X01": (D(12), D(13)),
    "X02": (D(6), D(11)),
    "X03": (D(13), D(13)),
}


def _scores(assessment) -> dict[str, Score]:
    return {
        score.criterion.code: score
        for score in Score.objects.filter(assessment=assessment).select_related(
            "criterion", "assessment__period", "assessment__commune"
        )
    }


def _self_assess(assessment, scores: dict[str, str], officer) -> None:
    stored = _scores(assessment)
    assert set(stored) == set(scores), "every applicable leaf is scored or claimed"
    for code, value in scores.items():
        score = stored[code]
        if value == NA:
            save_self_score(score, version=score.version, self_score=None, not_applicable=True,
                            not_applicable_reason="Không phát sinh trong năm", by=officer)
        else:
            save_self_score(score, version=score.version, self_score=D(value.replace(",", ".")),
                            self_note=f"Giải trình {code}", by=officer)
    submit_assessment(assessment, by=officer)


def _appraise(assessment, steps, appraiser) -> None:
    stored = _scores(assessment)
    for code, value in steps:
        score = stored[code]
        if value == NA:
            stored[code] = appraise_score(score, value=None, note="", version=score.version,
                                          by=appraiser, confirm_not_applicable=True)
        else:
            stored[code] = appraise_score(score, value=value, note=f"Thẩm định lại {code}",
                                          version=score.version, by=appraiser)


@pytest.fixture
def built(units, appraiser, leader):
    """One period over D1 (A xã, B thị trấn, X01–X03 xã) built through the services; published
    with X03 left out (its appraisal is not finished)."""
    add_communes(units["district"], 3)
    period = make_period(units["district"], criteria_set=_criteria_set())
    for code, (self_scores, steps) in COMMUNES.items():
        assessment = Assessment.objects.get(period=period, commune__code=code)
        officer = make_user(f"canbo_{code}", unit=assessment.commune, role=Role.COMMUNE_OFFICER)
        _self_assess(assessment, self_scores, officer)
        _appraise(assessment, steps, appraiser)
        if code in PUBLISHED:
            mark_appraised(assessment, by=appraiser)
    publish_period(period, by=leader, exclusions={"X03": "Chưa thẩm định xong"})
    return period


def appraisal_page(period, code):
    """(appraised total, maximum, {field code: (appraised, maximum)}, self total) as the
    appraisal page computes them (scoring/views/appraisal.py appraisal_page)."""
    assessment = Assessment.objects.select_related("period__criteria_set", "commune").get(
        period=period, commune__code=code
    )
    sheet = selectors.assessment_sheet(assessment)
    fields, overall = appraisal_totals((row.state, row.score) for row in sheet.leaf_rows())
    by_code = {
        block.criterion.code: (fields[block.criterion.pk].appraised_total,
                               fields[block.criterion.pk].maximum)
        for block in sheet.fields
    }
    return overall.appraised_total, overall.maximum, by_code, overall.self_total


def overview(period) -> dict[str, tuple[Decimal, Decimal]]:
    """commune code → (appraised total, self total) as the period table shows them."""
    rows = period_table(period).rows
    sums = score_sums(period)
    for row in rows:  # the table reads score_sums; both give the same figure
        assert row.appraised_total == (sums[row.assessment.pk]["appraised_total"] or 0)
    return {row.commune.code: (row.appraised_total, row.self_total) for row in rows}


def published(period, code):
    result = Result.objects.get(publication__period=period, commune__code=code)
    fields = {f: (s.score, s.max_points) for f, s in result.field_scores().items()}
    return result.total, result.applicable_max, fields


@pytest.mark.parametrize("code", PUBLISHED)
def test_appraisal_page_overview_and_publication_agree(built, code):
    total, maximum, fields, _self = appraisal_page(built, code)
    assert published(built, code) == (total, maximum, fields)
    assert overview(built)[code][0] == total


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_totals_match_the_hand_computed_ones(built, code):
    assert published(built, code) == EXPECTED[code]
    assert appraisal_page(built, code)[:3] == EXPECTED[code]


def test_an_unfinished_appraisal_counts_an_undecided_claim_in_the_maximum(built):
    assert not Result.objects.filter(commune__code="X03").exists()
    assert appraisal_page(built, "X03")[:3] == EXPECTED["X03"]
    assert overview(built)["X03"][0] == EXPECTED["X03"][0]


@pytest.mark.parametrize("code", COMMUNES)
def test_self_totals_agree_on_the_three_pages(built, code):
    assessment = Assessment.objects.select_related("period__criteria_set").get(
        period=built, commune__code=code
    )
    progress = selectors.assessment_sheet(assessment).progress
    assert (progress.self_total, progress.applicable_max) == SELF[code]
    assert appraisal_page(built, code)[3] == SELF[code][0]
    assert overview(built)[code][1] == SELF[code][0]


def test_an_appraised_score_left_on_a_confirmed_claim_counts_as_publishing_counts_it(
    units, appraiser, leader
):
    """The admin's Score form (scoring/admin/assessments.py) edits appraised_score and
    not_applicable_confirmed independently; a confirmed claim keeps the maximum (`full`) or
    nothing (`exclude`) whatever score is left on it, as publish_period counts it."""
    period = make_period(units["district"], criteria_set=_criteria_set())
    for code in ("A", "B"):
        assessment = Assessment.objects.get(period=period, commune__code=code)
        officer = make_user(f"canbo_{code}", unit=assessment.commune, role=Role.COMMUNE_OFFICER)
        _self_assess(assessment, COMMUNES[code][0], officer)
        _appraise(assessment, COMMUNES[code][1], appraiser)
        mark_appraised(assessment, by=appraiser)
    Score.objects.filter(assessment__commune__code="B", criterion__code="1.1").update(
        appraised_score=D("1.5")
    )
    Score.objects.filter(assessment__commune__code="B", criterion__code="2.1").update(
        appraised_score=D(1)
    )
    publish_period(period, by=leader)
    total, maximum, fields, _self = appraisal_page(period, "B")
    assert published(period, "B") == (total, maximum, fields) == EXPECTED["B"]
    assert overview(period)["B"][0] == EXPECTED["B"][0]
