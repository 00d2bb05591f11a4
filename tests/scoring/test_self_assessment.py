"""Self-assessment rules (plain data) and services (saving, submitting, withdrawing)."""

import datetime
from decimal import Decimal

import pytest

from communes.models import Role
from scoring import permissions, selectors
from scoring.models import Assessment, AuditEvent, Method, NaPolicy, Period, Score
from scoring.selectors import LeafState, progress_of
from scoring.services import WorkflowError
from scoring.services.self_assessment import (
    ConflictError,
    IncompleteError,
    save_self_score,
    submit_assessment,
    withdraw_assessment,
)
from tests.factories import make_user

D = Decimal
TODAY = datetime.date(2024, 12, 10)


# --- plain data: no database ------------------------------------------------------------------


def leaf(code="1.1", field=1, max_points="2", **kwargs) -> LeafState:
    return LeafState(code=code, field_id=field, max_points=D(max_points), **kwargs)


def test_progress_sums_self_points_per_field_and_overall():
    progress = progress_of(
        [
            leaf("1.1", 1, "2", self_score=D("1.5")),
            leaf("1.2", 1, "4", self_score=D("4")),
            leaf("2.1", 2, "4"),
            leaf("2.2", 2, "3", method=Method.SURVEY),
            leaf("2.3", 2, "1", applies=False),
        ]
    )
    assert progress.field_totals == {1: D("5.5"), 2: D(0)}
    assert progress.field_maxima == {1: D(6), 2: D(7)}
    assert (progress.scored, progress.to_score) == (2, 3)
    assert (progress.self_total, progress.applicable_max, progress.imported_max) == (D("5.5"), D(13), D(3))
    assert progress.self_total_text == "5,5" and progress.applicable_max_text == "13"
    assert [(gap.code, gap.message) for gap in progress.gaps] == [("2.1", "Chưa chấm điểm.")]


def test_not_applicable_claims_follow_the_criterion_policy():
    excluded = leaf(max_points="2", not_applicable=True, na_policy=NaPolicy.EXCLUDE,
                    not_applicable_reason="Không phát sinh")
    full = leaf(max_points="1", not_applicable=True, na_policy=NaPolicy.FULL,
                not_applicable_reason="Không có hồ sơ trễ hạn")
    assert (excluded.points, excluded.counted_max, excluded.scored) == (D(0), D(0), True)
    assert (full.points, full.counted_max) == (D(1), D(1))
    assert excluded.gaps() == [] and full.gaps() == []
    no_reason = leaf(not_applicable=True, na_policy=NaPolicy.EXCLUDE)
    assert no_reason.gaps() == ["Khai báo không áp dụng nhưng chưa ghi lý do."]
    forbidden = leaf(not_applicable=True, self_score=D(1))
    assert forbidden.points == D(1) and forbidden.gaps()


def test_points_without_evidence_need_an_explanation():
    missing = leaf(evidence_required=True, self_score=D(1))
    assert missing.missing_evidence and missing.badge() == ("warn", "Thiếu tài liệu kiểm chứng")
    assert missing.gaps() == ["Có điểm nhưng chưa có tài liệu kiểm chứng: tải tài liệu lên hoặc giải trình."]
    explained = leaf(evidence_required=True, self_score=D(1), self_note="Văn bản lưu tại UBND xã")
    assert explained.missing_evidence and explained.gaps() == []
    zero = leaf(evidence_required=True, self_score=D(0))
    assert not zero.missing_evidence and zero.gaps() == []
    proven = leaf(evidence_required=True, self_score=D(1), evidence_count=1)
    assert not proven.missing_evidence and proven.badge() == ("done", "Đã chấm")
    # "Thiếu tài liệu" counts only what has neither evidence nor explanation.
    progress = progress_of([missing, explained, zero, proven])
    assert (progress.evidence_missing, progress.explained_without_evidence) == (1, 1)
    assert progress.criteria_to_complete == 1


def test_badges():
    assert leaf(applies=False).badge() == ("na", "Không áp dụng")
    assert leaf(method=Method.SIPAS).badge() == ("imported", "Do đơn vị thẩm định nhập")
    assert leaf().badge() == ("todo", "Chưa chấm")
    assert leaf(self_score=D(1), revision_request="Bổ sung").badge() == ("returned", "Cần bổ sung")


class FakeAssessment:
    def __init__(self, due, reopened=None):
        self.period = type("P", (), {"self_assessment_due": due})()
        self.reopened_until = reopened
        self.status = "draft"


@pytest.mark.parametrize(
    "due, reopened, text",
    [
        (datetime.date(2024, 12, 22), None, "Còn 12 ngày (hạn 22/12/2024)"),
        (datetime.date(2024, 12, 11), None, "Còn 1 ngày (hạn 11/12/2024)"),
        (datetime.date(2024, 12, 10), None, "Hôm nay là hạn chót (10/12/2024)"),
        (datetime.date(2024, 12, 7), None, "Đã quá hạn 3 ngày (hạn 07/12/2024)"),
        (datetime.date(2024, 12, 7), datetime.date(2024, 12, 15), "Được mở lại đến 15/12/2024 (còn 5 ngày)"),
        (datetime.date(2024, 12, 1), datetime.date(2024, 12, 5), "Đã hết thời gian mở lại (05/12/2024)"),
    ],
)
def test_deadline_text(due, reopened, text):
    assert selectors.deadline_of(FakeAssessment(due, reopened), TODAY).text == text


# --- services ---------------------------------------------------------------------------------



@pytest.fixture
def assessment(period, units):
    return Assessment.objects.select_related("period__unit", "commune__parent").get(
        period=period, commune=units["commune"]
    )


def score_of(assessment, code) -> Score:
    score = Score.objects.select_related("criterion").get(assessment=assessment, criterion__code=code)
    score.assessment = assessment
    return score


def complete(assessment):
    for code, value in (("1.1", "2"), ("1.2", "4"), ("2.1", "0")):
        Score.objects.filter(assessment=assessment, criterion__code=code).update(
            self_score=D(value), self_note="Có văn bản"
        )


@pytest.mark.django_db
def test_a_save_racing_another_is_refused_at_the_update(assessment, officer):
    """Both read version 1; the first write wins, the second matches no row: nothing lost."""
    first, second = score_of(assessment, "1.1"), score_of(assessment, "1.1")
    save_self_score(first, version=1, self_score=D(2), by=officer)
    with pytest.raises(ConflictError) as conflict:
        save_self_score(second, version=1, self_score=D("0.5"), by=officer)
    assert conflict.value.current.self_score == D(2) and conflict.value.current.version == 2
    assert AuditEvent.objects.filter(action="score_changed").count() == 1


@pytest.mark.django_db
def test_a_save_racing_a_submission_is_refused(assessment, officer):
    score = score_of(assessment, "1.1")
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    with pytest.raises(WorkflowError, match="“Đã nộp”, không sửa được"):
        save_self_score(score, version=1, self_score=D(2), by=officer)
    assert Score.objects.get(pk=score.pk).self_score is None


@pytest.mark.django_db
def test_a_save_racing_a_publication_reads_the_period_again_under_its_lock(assessment, officer):
    """The save reuses the period its page read, but not that period's status: a publication
    committed since refuses it."""
    score = score_of(assessment, "1.1")
    Period.objects.filter(pk=assessment.period_id).update(status=Period.Status.PUBLISHED)
    with pytest.raises(WorkflowError, match="Kỳ đánh giá đã công bố kết quả."):
        save_self_score(score, version=1, self_score=D(2), by=officer)
    assert Score.objects.get(pk=score.pk).self_score is None
    assert not AuditEvent.objects.filter(action="score_changed").exists()


@pytest.mark.django_db
def test_submit_refuses_gaps_and_audits_the_transition(assessment, officer):
    with pytest.raises(IncompleteError) as refused:
        submit_assessment(assessment, by=officer)
    assert [gap.code for gap in refused.value.gaps] == ["1.1", "1.2", "2.1"]
    complete(assessment)
    submitted = submit_assessment(assessment, by=officer)
    assert submitted.status == "submitted" and submitted.version == 2
    event = AuditEvent.objects.get(action="submitted")
    assert (event.old_value, event.new_value, event.user) == ("draft", "submitted", officer)
    with pytest.raises(WorkflowError, match="Đã nộp"):
        submit_assessment(assessment, by=officer)


@pytest.mark.django_db
def test_withdraw_until_under_review(assessment, officer):
    complete(assessment)
    submit_assessment(assessment, by=officer)
    assert withdraw_assessment(assessment, by=officer).status == "draft"
    submit_assessment(assessment, by=officer)
    Assessment.objects.filter(pk=assessment.pk).update(status="under_review")
    with pytest.raises(WorkflowError, match="Tổ thẩm định đã bắt đầu thẩm định"):
        withdraw_assessment(assessment, by=officer)


@pytest.mark.django_db
def test_withdraw_after_the_deadline_is_refused_for_a_first_submission(assessment, officer):
    complete(assessment)
    submit_assessment(assessment, by=officer)
    period = assessment.period
    period.opens_on = datetime.date.today() - datetime.timedelta(days=60)
    period.self_assessment_due = datetime.date.today() - datetime.timedelta(days=1)
    period.save()
    assessment.refresh_from_db()
    assert not permissions.can_withdraw(officer, assessment)
    with pytest.raises(WorkflowError, match="Không rút lại được hồ sơ: Đã hết hạn tự đánh giá"):
        withdraw_assessment(assessment, by=officer)


@pytest.mark.django_db
def test_a_withdrawn_resubmission_goes_back_to_returned(assessment, officer):
    complete(assessment)
    Score.objects.filter(assessment=assessment, criterion__code="1.2").update(revision_request="Bổ sung")
    Assessment.objects.filter(pk=assessment.pk).update(status="returned")
    assessment.refresh_from_db()
    submit_assessment(assessment, by=officer)
    assert AuditEvent.objects.filter(action="resubmitted", old_value="returned").exists()
    assert withdraw_assessment(assessment, by=officer).status == "returned"


@pytest.mark.django_db
def test_locked_refuses_submit_and_withdraw(assessment, officer):
    complete(assessment)
    Assessment.objects.filter(pk=assessment.pk).update(locked=True)
    with pytest.raises(WorkflowError, match="khóa"):
        submit_assessment(assessment, by=officer)
    Assessment.objects.filter(pk=assessment.pk).update(locked=False, status="submitted")
    assessment.refresh_from_db()
    Assessment.objects.filter(pk=assessment.pk).update(locked=True)
    with pytest.raises(WorkflowError, match="khóa"):
        withdraw_assessment(assessment, by=officer)


@pytest.mark.django_db
def test_a_period_not_yet_open_or_published_is_closed(assessment, officer):
    period = assessment.period
    period.opens_on = datetime.date.today() + datetime.timedelta(days=2)
    period.self_assessment_due = period.opens_on + datetime.timedelta(days=30)
    assert "Kỳ đánh giá mở từ ngày" in permissions.self_assessment_closed_reason(assessment)
    period.opens_on = datetime.date.today()
    period.status = "published"
    assert permissions.self_assessment_closed_reason(assessment) == "Kỳ đánh giá đã công bố kết quả."


@pytest.mark.django_db
def test_who_may_view_and_edit(assessment, officer, other_officer, appraiser, leader, units):
    chairman = make_user("chutich", unit=units["commune"], role=Role.LEADER)
    assert permissions.can_view_self_assessment(officer, assessment)
    assert permissions.can_view_self_assessment(chairman, assessment)
    assert not permissions.can_view_self_assessment(appraiser, assessment)
    assert not permissions.can_view_self_assessment(leader, assessment)
    assert permissions.can_edit_self(officer, assessment)
    assert not permissions.can_edit_self(chairman, assessment)
    assert not permissions.can_edit_self(other_officer, assessment)
    assessment.status = "submitted"
    assert permissions.can_view_self_assessment(appraiser, assessment)
    assert permissions.can_view_self_assessment(leader, assessment)
    assert not permissions.can_edit_self(officer, assessment)
    assert permissions.can_withdraw(officer, assessment)
    assert not permissions.can_withdraw(appraiser, assessment)
