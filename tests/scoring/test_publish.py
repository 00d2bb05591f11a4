"""publish_period, reopen_for_correction and the frozen snapshot (issue 6, docs/design.md §4–§5)."""

import datetime
from decimal import Decimal

import pytest

from communes.models import Succession
from reports.selectors import ranking
from scoring.models import (
    Adjustment,
    Assessment,
    AuditEvent,
    FrozenError,
    Period,
    Publication,
    Result,
    Score,
)
from scoring.tasks import send_notice
from scoring.services import WorkflowError, ensure_editable
from scoring.services.appraisal import appraise_score, mark_appraised, reopen_assessment
from scoring.services.publishing import publish_period, reopen_for_correction
from scoring.services.setup import CriterionRow, save_criteria_set

from ..factories import make_criteria_set, make_period
from .publish_data import add_communes, appraise, appraise_all, commune, results_of

pytestmark = pytest.mark.django_db

D = Decimal
GOOD = "Hoàn thành tốt nhiệm vụ"
EXCELLENT = "Hoàn thành xuất sắc nhiệm vụ"
NOT_DONE = "Chưa hoàn thành nhiệm vụ"

# The flat tree (tests/factories.py): field 1 = 1.1 (max 2) + 1.2 (max 4); field 2 = 2.1 (max 4).
FIVE = {
    "A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"},  # 5,5 + 3,25 = 8,75 → 87,5 %
    "B": {"1.1": "2", "1.2": "4", "2.1": "2,75"},  # 6 + 2,75 = 8,75 → 87,5 %
    "X01": {"1.1": "1", "1.2": "3", "2.1": "4"},  # 4 + 4 = 8 → 80 %
    "X02": {"1.1": "2", "1.2": "4", "2.1": "3,999"},  # 6 + 3,999 = 9,999 → 99,99 %
    "X03": {"1.1": "0,5", "1.2": "2", "2.1": "1,5"},  # 2,5 + 1,5 = 4 → 40 %
}


@pytest.fixture
def five(units):
    """District D1 with A, B and three more communes, all appraised with the scores above."""
    add_communes(units["district"], 3)
    period = make_period(units["district"])
    appraise(period, FIVE)
    return period


def test_publish_freezes_totals_ranks_and_classification(five, leader):
    publication = publish_period(five, by=leader, decision="766/QĐ-UBND",
                                 decision_date=datetime.date(2023, 3, 16))
    assert (publication.version, publication.decision, publication.published_by) == (1, "766/QĐ-UBND", leader)
    results = results_of(publication)
    # code: total, index, rank, rank_of, classification, fields {code: (score, max, r, N)}
    assert results == {
        "X02": (D("9.999"), D("99.99"), 1, 5, EXCELLENT,
                {"1": (D(6), D(6), 1, 4), "2": (D("3.999"), D(4), 2, 5)}),
        "A": (D("8.75"), D("87.5"), 2, 5, GOOD,
              {"1": (D("5.5"), D(6), 2, 4), "2": (D("3.25"), D(4), 3, 5)}),
        "B": (D("8.75"), D("87.5"), 2, 5, GOOD,
              {"1": (D(6), D(6), 1, 4), "2": (D("2.75"), D(4), 4, 5)}),
        "X01": (D(8), D(80), 4, 5, GOOD,
                {"1": (D(4), D(6), 3, 4), "2": (D(4), D(4), 1, 5)}),
        "X03": (D(4), D(40), 5, 5, NOT_DONE,
                {"1": (D("2.5"), D(6), 4, 4), "2": (D("1.5"), D(4), 5, 5)}),
    }
    assert set(Result.objects.values_list("applicable_max", flat=True)) == {D(10)}
    five.refresh_from_db()
    assert five.status == Period.Status.PUBLISHED
    assert set(five.assessments.values_list("status", flat=True)) == {Assessment.Status.PUBLISHED}


def test_publishing_is_audited(five, leader):
    publication = publish_period(five, by=leader, decision="766/QĐ-UBND")
    event = AuditEvent.objects.get(action="period_published")
    assert (event.user, event.period, event.old_value, event.new_value) == (
        leader, five, "open", "published"
    )
    assert event.detail["version"] == 1 and event.detail["ranked"] == 5
    assert event.detail["decision"] == "766/QĐ-UBND" and event.detail["publication"] == publication.pk
    per_commune = AuditEvent.objects.filter(action="published")
    assert per_commune.count() == 5
    assert {(e.old_value, e.new_value, e.user_id) for e in per_commune} == {
        ("appraised", "published", leader.pk)
    }


def test_publish_refuses_while_a_commune_is_not_appraised(five, leader):
    Assessment.objects.filter(period=five, commune__code__in=["B", "X03"]).update(
        status=Assessment.Status.UNDER_REVIEW
    )
    with pytest.raises(WorkflowError) as refused:
        publish_period(five, by=leader)
    message = str(refused.value)
    assert "2 đơn vị chưa hoàn thành thẩm định" in message
    assert "Thị trấn Ninh Giang (Đang thẩm định)" in message and "Xã X03 (Đang thẩm định)" in message
    assert "Xã Đồng Tâm" not in message
    assert not Publication.objects.exists() and not Result.objects.exists()
    five.refresh_from_db()
    assert five.status == Period.Status.OPEN
    assert not AuditEvent.objects.filter(action__contains="published").exists()


def test_excluded_communes_are_not_ranked(five, leader):
    Assessment.objects.filter(period=five, commune__code="X03").update(status=Assessment.Status.SUBMITTED)
    publication = publish_period(
        five, by=leader, exclusions={"X03": "Đang thanh tra, chưa đủ điều kiện xếp hạng", "A": "Sáp nhập"}
    )
    results = results_of(publication)
    assert set(results) == {"X02", "B", "X01"}
    assert [results[c][2:4] for c in ("X02", "B", "X01")] == [(1, 3), (2, 3), (3, 3)]
    assert results["B"][5]["1"] == (D(6), D(6), 1, 2)  # field 1: 6 (X02, B), 4 (X01)
    assert publication.exclusions == {"X03": "Đang thanh tra, chưa đủ điều kiện xếp hạng", "A": "Sáp nhập"}
    statuses = dict(five.assessments.values_list("commune__code", "status"))
    assert statuses == {"A": "appraised", "B": "published", "X01": "published",
                        "X02": "published", "X03": "submitted"}


@pytest.mark.parametrize(
    ("exclusions", "message"),
    [
        ({"X03": "  "}, "Cần nêu lý do không xếp hạng cho từng đơn vị: X03."),
        ({"ZZ": "không rõ"}, "Không có đơn vị mã ZZ trong kỳ đánh giá P2024."),
        ({c: "lý do" for c in FIVE}, "không có đơn vị nào để xếp hạng"),
    ],
)
def test_exclusions_need_a_reason_and_a_known_commune(five, leader, exclusions, message):
    with pytest.raises(WorkflowError, match=message):
        publish_period(five, by=leader, exclusions=exclusions)
    assert not Publication.objects.exists()


def test_printed_ties_of_the_index_share_a_rank(units, leader):
    # Totals differ (87,745 vs 87,75 out of 100) but print the same: "đồng hạng".
    rows = [CriterionRow("1", None, "Lĩnh vực 1", D(100)), CriterionRow("1.1", "1", "Tiêu chí", D(100))]
    criteria_set = save_criteria_set("CS100", "Bộ 100 điểm", rows)
    add_communes(units["district"], 1)
    period = make_period(units["district"], criteria_set=criteria_set)
    appraise(period, {"A": {"1.1": "87,745"}, "B": {"1.1": "87,75"}, "X01": {"1.1": "87,744"}})
    results = results_of(publish_period(period, by=leader))
    assert {code: (r[0], r[2]) for code, r in results.items()} == {
        "A": (D("87.745"), 1), "B": (D("87.75"), 1), "X01": (D("87.744"), 3),
    }
    assert {code: r[5]["1"][2:] for code, r in results.items()} == {
        "B": (1, 3), "A": (2, 3), "X01": (3, 3),  # field ranks stay on the exact score
    }


# --- bonus and deduction points (điểm thưởng, điểm trừ) ---------------------------------


def _adjust(period, code, points, reason):
    return Adjustment.objects.create(
        assessment=Assessment.objects.get(period=period, commune__code=code),
        points=D(points),
        reason=reason,
    )


def test_bonus_and_deduction_points_count_in_the_total_but_in_no_field(five, leader):
    _adjust(five, "X03", "4.5", "Sáng kiến cải cách được công nhận")  # 4 → 8,5
    _adjust(five, "X03", "0.5", "Mô hình một cửa điện tử")  # → 9
    _adjust(five, "A", "-1", "Để xảy ra sai phạm trong giải quyết TTHC")  # 8,75 → 7,75
    results = results_of(publish_period(five, by=leader))
    # code: total, index, rank, rank_of, classification — X03 climbs from 5th to 2nd.
    assert {code: values[:5] for code, values in results.items()} == {
        "X02": (D("9.999"), D("99.99"), 1, 5, EXCELLENT),
        "X03": (D(9), D(90), 2, 5, EXCELLENT),
        "B": (D("8.75"), D("87.5"), 3, 5, GOOD),
        "X01": (D(8), D(80), 4, 5, GOOD),
        "A": (D("7.75"), D("77.5"), 5, 5, "Hoàn thành nhiệm vụ"),
    }
    # Field scores and field ranks do not move.
    assert results["X03"][5] == {"1": (D("2.5"), D(6), 4, 4), "2": (D("1.5"), D(4), 5, 5)}
    x03 = Result.objects.get(commune__code="X03")
    assert x03.adjustment == D(5)
    assert x03.adjustments == [
        {"points": "4.500", "reason": "Sáng kiến cải cách được công nhận"},
        {"points": "0.500", "reason": "Mô hình một cửa điện tử"},
    ]
    assert Result.objects.get(commune__code="B").adjustments == []


def test_a_version_keeps_the_adjustments_it_counted(five, leader):
    bonus = _adjust(five, "X03", "1", "Sáng kiến")
    first = publish_period(five, by=leader)
    reopen_for_correction(five, by=leader, reason="Điểm thưởng chưa đúng")
    Adjustment.objects.filter(pk=bonus.pk).update(points=D(2), reason="Sáng kiến cấp tỉnh")
    second = publish_period(five, by=leader, reason="Sửa điểm thưởng")
    assert first.results.get(commune__code="X03").total == D(5)
    assert first.results.get(commune__code="X03").adjustments[0]["reason"] == "Sáng kiến"
    assert second.results.get(commune__code="X03").total == D(6)


# --- not applicable and kinds -------------------------------------------------------------


def _na_set():
    rows = [
        CriterionRow("1", None, "Chỉ đạo", D(6)),
        CriterionRow("1.1", "1", "Giải quyết khiếu nại", D(2), na_policy="exclude"),
        CriterionRow("1.2", "1", "Kế hoạch", D(4), applies_to=["xa"]),
        CriterionRow("2", None, "TTHC", D(4)),
        CriterionRow("2.1", "2", "Xin lỗi khi trễ hạn", D(4), na_policy="full"),
    ]
    return save_criteria_set("CS-NA", "Bộ có tiêu chí không áp dụng", rows, total=D(10))


def test_not_applicable_criteria_and_kinds_change_the_maximum(units, leader):
    period = make_period(units["district"], criteria_set=_na_set())
    appraise(period, {"A": {"1.2": "3", "2.1": "2"}, "B": {"1.1": "1,5", "2.1": "3"}})
    # A (xã): 1.1 confirmed "không áp dụng" → leaves the maximum (10 − 2 = 8); a score the
    # appraiser had entered before confirming does not count.
    Score.objects.filter(assessment__commune__code="A", criterion__code="1.1").update(
        not_applicable=True, not_applicable_confirmed=True, appraised_score=D(1)
    )
    # 1.2 may not be claimed "không áp dụng" (no na_policy): its score counts all the same.
    Score.objects.filter(assessment__commune__code="A", criterion__code="1.2").update(
        not_applicable=True, not_applicable_confirmed=True
    )
    # B (thị trấn): 1.2 does not apply to its kind (max 6); 2.1 confirmed → full points (4).
    Score.objects.filter(assessment__commune__code="B", criterion__code="2.1").update(
        not_applicable=True, not_applicable_confirmed=True
    )
    # A claim that was not confirmed counts as scored.
    Score.objects.filter(assessment__commune__code="A", criterion__code="2.1").update(
        not_applicable=True, not_applicable_confirmed=False
    )
    results = results_of(publish_period(period, by=leader))
    assert results["A"][:4] == (D(5), D("62.5"), 2, 2)
    assert results["A"][5] == {"1": (D(3), D(4), 1, 2), "2": (D(2), D(4), 2, 2)}
    assert results["B"][:4] == (D("5.5"), D("91.6666"), 1, 2)
    assert results["B"][5] == {"1": (D("1.5"), D(2), 2, 2), "2": (D(4), D(4), 1, 2)}
    assert Result.objects.get(commune__code="B").applicable_max == D(6)
    assert Result.objects.get(commune__code="A").applicable_max == D(8)
    assert Result.objects.get(commune__code="B").classification == EXCELLENT


def test_a_field_none_of_whose_criteria_applies_is_not_ranked_for_that_commune(units, leader):
    rows = [
        CriterionRow("1", None, "Chỉ đạo", D(6)),
        CriterionRow("1.1", "1", "Kế hoạch", D(6)),
        CriterionRow("2", None, "Dịch vụ công", D(4)),
        CriterionRow("2.1", "2", "Một cửa cấp xã", D(4), applies_to=["xa"]),
    ]
    criteria = save_criteria_set("CS-KIND", "Lĩnh vực chỉ dành cho xã", rows, total=D(10))
    add_communes(units["district"], 1)
    period = make_period(units["district"], criteria_set=criteria)
    appraise(period, {"A": {"1.1": "5", "2.1": "3"}, "X01": {"1.1": "4", "2.1": "4"},
                      "B": {"1.1": "5,5"}})  # B is a thị trấn: field 2 does not apply
    publication = publish_period(period, by=leader)
    results = results_of(publication)
    assert results["B"][:4] == (D("5.5"), D("91.6666"), 1, 3)
    assert results["B"][5] == {"1": (D("5.5"), D(6), 1, 3), "2": (D(0), D(0), None, None)}
    # Field 2 ranks the two xã only.
    assert results["A"][5]["2"] == (D(3), D(4), 2, 2) and results["X01"][5]["2"] == (D(4), D(4), 1, 2)

    row = next(r for r in ranking(publication).rows if r.commune.code == "B")
    assert [(c.score_text, c.rank_text, c.weak) for c in row.cells] == [
        ("5,5", "1/3", False), ("—", "—", False),
    ]


def test_a_three_level_tree_sums_into_its_fields(units, leader):
    period = make_period(units["district"], tree="deep")
    appraise(period, {
        "A": {"1.1.1": "1", "1.1.2": "1,5", "1.2": "2,25", "2.1": "3"},  # 4,75 + 3
        "B": {"1.1.1": "0,5", "1.1.2": "2", "1.2": "3", "2.1": "4"},  # 5,5 + 4
    })
    results = results_of(publish_period(period, by=leader))
    assert results["A"][0] == D("7.75") and results["A"][5]["1"][:2] == (D("4.75"), D(6))
    assert results["B"][:3] == (D("9.5"), D(95), 1)
    # two fields per commune, never sub-criteria
    assert [sorted(r.field_results) for r in Result.objects.all()] == [["1", "2"], ["1", "2"]]


# --- versions and immutability ------------------------------------------------------------


def _snapshot(publication):
    return sorted(
        Result.objects.filter(publication=publication).values_list(
            "commune__code", "total", "index", "rank", "rank_of", "classification"
        )
    ), sorted(
        (result.commune.code, code, *field)
        for result in publication.results.select_related("commune")
        for code, field in result.field_scores().items()
    )


def test_a_correction_is_version_2_and_leaves_version_1_intact(five, leader, appraiser):
    first = publish_period(five, by=leader, decision="766/QĐ-UBND")
    before = _snapshot(first)
    with pytest.raises(WorkflowError, match="Kết quả của Xã X03 đã được công bố"):
        ensure_editable(Assessment.objects.select_related("commune", "period").get(commune__code="X03"))

    with pytest.raises(WorkflowError, match="lý do"):
        reopen_for_correction(five, by=leader, reason=" ")
    reopen_for_correction(five, by=leader, reason="Sai sót điểm tiêu chí 2.1 của xã X03")
    five.refresh_from_db()
    assert five.status == Period.Status.APPRAISAL
    assessment = Assessment.objects.select_related("commune", "period").get(commune__code="X03")
    assert assessment.status == Assessment.Status.APPRAISED
    ensure_editable(assessment)  # no longer refused

    reopen_assessment(assessment, reason="Điều chỉnh sau công bố", by=appraiser)
    score = Score.objects.get(assessment=assessment, criterion__code="2.1")
    appraise_score(score, value="4", note="Bổ sung tài liệu kiểm chứng", version=score.version, by=appraiser)
    mark_appraised(assessment, by=appraiser)

    with pytest.raises(WorkflowError, match="công bố lần 2 cần nêu lý do"):
        publish_period(five, by=leader)
    second = publish_period(five, by=leader, reason="Điều chỉnh điểm xã X03", decision="801/QĐ-UBND")
    assert second.version == 2 and second.reason == "Điều chỉnh điểm xã X03"
    assert _snapshot(first) == before
    assert results_of(first)["X03"][:3] == (D(4), D(40), 5)
    assert results_of(second)["X03"][:3] == (D("6.5"), D(65), 5)
    assert results_of(second)["X03"][5]["2"] == (D(4), D(4), 1, 4)
    assert Publication.objects.filter(period=five).count() == 2
    assert AuditEvent.objects.filter(action="reopened_for_correction").count() == 5


def test_a_published_period_is_refused_until_it_is_reopened(five, leader):
    """Issue 10 row 11: the rule lived in the publish page only; the service (and so the
    `publish` command) published a published period again."""
    publish_period(five, by=leader)
    with pytest.raises(WorkflowError, match="đã công bố kết quả .lần 1.. Mở lại để điều chỉnh"):
        publish_period(five, by=leader, reason="Sửa số quyết định", decision="767/QĐ-UBND")
    assert Publication.objects.count() == 1
    assert AuditEvent.objects.filter(action="period_published").count() == 1


def test_publishing_again_without_changes_needs_a_reason(five, leader):
    publish_period(five, by=leader)
    reopen_for_correction(five, by=leader, reason="Sai số quyết định")
    with pytest.raises(WorkflowError, match="công bố lần 2 cần nêu lý do"):
        publish_period(five, by=leader)
    second = publish_period(five, by=leader, reason="Sửa số quyết định", decision="767/QĐ-UBND")
    assert second.version == 2 and second.decision == "767/QĐ-UBND"
    assert _snapshot(second) == _snapshot(Publication.objects.get(version=1))


def test_reopening_needs_a_published_period(five, leader):
    with pytest.raises(WorkflowError, match="chưa công bố kết quả"):
        reopen_for_correction(five, by=leader, reason="Không cần")


def test_published_rows_refuse_changes(five, leader):
    publication = publish_period(five, by=leader)
    result = Result.objects.first()
    for row in (publication, result):
        with pytest.raises(FrozenError, match="không được sửa hay xóa"):
            row.save()
        with pytest.raises(FrozenError):
            row.delete()
    with pytest.raises(FrozenError):
        Result.objects.filter(pk=result.pk).update(rank=1)
    with pytest.raises(FrozenError):
        Result.objects.all().delete()
    result.field_results["1"]["score"] = "10"
    with pytest.raises(FrozenError):
        result.save(update_fields=["field_results"])
    with pytest.raises(FrozenError):
        Publication.objects.update(decision="khác")
    publication.decision = "sửa"
    with pytest.raises(FrozenError):
        publication.save(update_fields=["decision"])
    result.refresh_from_db()
    assert Publication.objects.get().decision == ""


def test_editing_a_score_after_publishing_is_refused(five, leader, appraiser):
    publish_period(five, by=leader)
    score = Score.objects.select_related("criterion").get(
        assessment__commune__code="A", criterion__code="1.1"
    )
    score.appraised_score = D("1")
    with pytest.raises(FrozenError, match="đã công bố"):
        score.save()
    loaded = Score.objects.select_related("assessment").get(pk=score.pk)
    with pytest.raises(FrozenError):
        loaded.save(update_fields=["appraisal_note"])
    with pytest.raises(WorkflowError, match="công bố"):
        appraise_score(score, value="1", note="sửa", version=score.version, by=appraiser)
    assert Score.objects.get(pk=score.pk).appraised_score == D(2)


def test_new_score_rows_of_a_published_assessment_are_refused(five, leader):
    publish_period(five, by=leader)
    score = Score.objects.get(assessment__commune__code="A", criterion__code="1.1")
    score.pk = None
    with pytest.raises(FrozenError):
        score.save()


# --- after the commit ---------------------------------------------------------------------


def test_the_after_commit_hook_runs_once_the_publication_is_committed(
    five, leader, django_capture_on_commit_callbacks
):
    seen = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication = publish_period(
            five, by=leader, after_commit=lambda p: seen.append((p.pk, p.version))
        )
    assert seen == []  # nothing before the commit
    # The hook, then the notice to the communes and leaders (scoring/notices.py), as a task.
    assert len(callbacks) == 2 and notice_of(callbacks[1]) == ("period_published", publication.pk)
    callbacks[0]()
    assert seen == [(publication.pk, 1)]


def test_publishing_without_a_hook_registers_only_the_notice(
    five, leader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        publication = publish_period(five, by=leader)
    assert [notice_of(callback) for callback in callbacks] == [
        ("period_published", publication.pk)
    ]


def notice_of(callback) -> tuple:
    """The notice an after-commit callback sends: scoring.tasks.send_notice's arguments."""
    assert callback.func == send_notice.delay
    return callback.args


# --- the previous year --------------------------------------------------------------------


def test_change_vs_the_previous_year_follows_mergers(units, leader):
    district = units["district"]
    units_2023 = add_communes(district, 2)  # X01 (renamed next year), X02 (stays)
    period_2023 = make_period(district, code="P2023", year=2023)
    appraise(period_2023, {
        "A": {"1.1": "2", "1.2": "4", "2.1": "4"},  # 10 → 1st
        "B": {"1.1": "1", "1.2": "3", "2.1": "3"},  # 7 → 3rd
        "X01": {"1.1": "2", "1.2": "4", "2.1": "3"},  # 9 → 2nd
        "X02": {"1.1": "1", "1.2": "2", "2.1": "3"},  # 6 → 4th
    })
    publish_period(period_2023, by=leader)
    # A correction of 2023 as version 2: the comparison takes the latest version.
    reopen_for_correction(period_2023, by=leader, reason="Điều chỉnh")
    Score.objects.filter(assessment__period=period_2023, assessment__commune__code="X02",
                         criterion__code="2.1").update(appraised_score=D("2"))
    publish_period(period_2023, by=leader, reason="Điều chỉnh điểm X02")  # X02: 5

    # 2024: A and B merged into M; X01 renamed Y; X02 unchanged; N is new (from 01/07/2024,
    # so the 2024 period, taken as of 31/12/2024, covers the new units only).
    day = datetime.date(2024, 7, 1)
    for unit in (units["commune"], units["other_commune"], units_2023[0]):
        unit.active_to = day
        unit.save()
    merged = commune("M", "Xã Hợp Nhất", "xa", district, active_from=day)
    renamed = commune("Y", "Phường Mới", "phuong", district, active_from=day)
    commune("N", "Xã Mới Lập", "xa", district, active_from=day)
    for predecessor, successor in ((units["commune"], merged), (units["other_commune"], merged),
                                   (units_2023[0], renamed)):
        Succession.objects.create(predecessor=predecessor, successor=successor, effective_date=day)
    period_2024 = make_period(district, code="P2024", previous=period_2023)
    assert set(period_2024.assessments.values_list("commune__code", flat=True)) == {"M", "Y", "X02", "N"}
    appraise_all(period_2024)
    publish_period(period_2024, by=leader)
    previous = {
        code: (total, index, rank)
        for code, total, index, rank in Result.objects.filter(publication__period=period_2024).values_list(
            "commune__code", "previous_total", "previous_index", "previous_rank"
        )
    }
    assert previous == {
        "M": (None, None, None),  # a merger: no figures to compare, no rank change
        "Y": (D(9), D(90), 2),  # its one predecessor X01
        "X02": (D(5), D(50), 4),  # its own, from the corrected version 2
        "N": (None, None, None),
    }
    units_used = {
        result.commune.code: [(u.code, u.index, u.rank, u.rank_of) for u in result.predecessors()]
        for result in Result.objects.filter(publication__period=period_2024).select_related("commune")
    }
    assert units_used == {
        "M": [("B", D(70), 3, 4), ("A", D(100), 1, 4)],  # by name: "Thị trấn …" < "Xã …"
        "Y": [("X01", D(90), 2, 4)],
        "X02": [],
        "N": [],
    }
    latest_2023 = Publication.objects.get(period=period_2023, version=2)
    assert Publication.objects.get(period=period_2024).compared_with == latest_2023


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("communes", [3, 300])
def test_publish_query_count_does_not_grow_with_communes(units, leader, communes, django_assert_max_num_queries):
    add_communes(units["district"], communes)
    period = make_period(units["district"], criteria_set=make_criteria_set("CSQ", tree="deep"))
    appraise_all(period, "0,5")
    # savepoint + release, period (locked, with its last version), assessments (locked),
    # criteria, the one aggregate (points, maxima, points lost), the lost criteria (one window
    # query), the lost points per criterion, adjustments, TTHC figures, publication, the
    # results in one statement (COPY on PostgreSQL, one executemany on SQLite) with their
    # field results and lost criteria, per-commune audit events (one INSERT … SELECT),
    # assessments, period, the period's audit event.
    with django_assert_max_num_queries(16):
        publish_period(period, by=leader)
    assert Result.objects.count() == communes + 2
    assert all(len(r.field_results) == 2 for r in Result.objects.all())
