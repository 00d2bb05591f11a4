"""The appraisal transitions of docs/design.md §4: claim, appraise, return, resubmit, finish, reopen,
lock. Every one is audited; concurrent saves never overwrite each other."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.models import Assessment, AuditEvent, Criterion, Method, NaPolicy
from scoring.services import WorkflowError
from scoring.services import appraisal as services
from scoring.services.appraisal import round_items
from scoring.services.self_assessment import ConflictError

from .appraisal_data import assessment_of, attach, fill, resubmit, score_of, submitted

pytestmark = pytest.mark.django_db
D = Decimal
Status = Assessment.Status


@pytest.fixture
def assessment(period, units):
    return submitted(period, units["commune"])


def test_claiming_moves_a_submission_under_review_and_assigns_it(assessment, appraiser):
    claimed = services.start_review(assessment, by=appraiser)
    assert claimed.status == Status.UNDER_REVIEW and claimed.assignee == appraiser
    assert claimed.version == assessment.version + 1
    event = AuditEvent.objects.get(action="review_started")
    assert (event.user, event.old_value, event.new_value) == (appraiser, "submitted", "under_review")


def test_a_draft_cannot_be_claimed(period, units, appraiser):
    draft = assessment_of(period, units["commune"])
    with pytest.raises(WorkflowError, match="Chỉ nhận thẩm định được hồ sơ đã nộp"):
        services.start_review(draft, by=appraiser)


def test_appraising_with_the_self_score_needs_no_note(assessment, appraiser):
    score = score_of(assessment, "1.1")
    saved = services.appraise_score(score, value="2", note="", version=score.version, by=appraiser)
    assert saved.appraised_score == D(2) and saved.version == score.version + 1
    assert assessment_of(assessment.period, assessment.commune).status == Status.UNDER_REVIEW


def test_a_lower_score_requires_a_note_and_is_audited_old_to_new(assessment, appraiser):
    score = score_of(assessment, "1.2")
    with pytest.raises(WorkflowError, match="khác điểm tự chấm 3,5; vui lòng ghi lý do"):
        services.appraise_score(score, value="2,75", note=" ", version=score.version, by=appraiser)
    assert score_of(assessment, "1.2").appraised_score is None  # nothing written
    services.appraise_score(
        score, value="2,75", note="Thiếu báo cáo quý III", version=score.version, by=appraiser
    )
    services.appraise_score(
        score_of(assessment, "1.2"), value="3", note="Đã có báo cáo quý III",
        version=score.version + 1, by=appraiser,
    )
    changes = AuditEvent.objects.filter(action="appraised_score", field_name="appraised_score")
    assert [(e.old_value, e.new_value) for e in changes.order_by("id")] == [("", "2,75"), ("2,75", "3")]
    assert changes.first().criterion.code == "1.2"


def test_a_score_above_the_maximum_is_refused(assessment, appraiser):
    score = score_of(assessment, "1.1")
    with pytest.raises(WorkflowError, match="vượt quá điểm tối đa 2"):
        services.appraise_score(score, value="2.5", note="x", version=score.version, by=appraiser)


def test_a_stale_version_is_refused_and_nothing_is_lost(assessment, appraiser, units):
    from tests.factories import make_user
    from communes.models import Role

    colleague = make_user("thamdinh2", unit=units["district"], role=Role.APPRAISER, first_name="Lê Văn Cường")
    seen = score_of(assessment, "1.2")
    services.appraise_score(seen, value="3", note="Thiếu một báo cáo", version=seen.version, by=colleague)
    with pytest.raises(ConflictError, match="Lê Văn Cường") as caught:
        services.appraise_score(seen, value="1", note="Thiếu hai báo cáo", version=seen.version, by=appraiser)
    assert caught.value.current.appraised_score == D(3)
    # Saving what is already stored is no conflict.
    services.appraise_score(seen, value="3", note="Thiếu một báo cáo", version=seen.version, by=appraiser)
    stored = score_of(assessment, "1.2")
    assert (stored.appraised_score, stored.appraisal_note) == (D(3), "Thiếu một báo cáo")


def stored_version(assessment) -> int:
    return Assessment.objects.values_list("version", flat=True).get(pk=assessment.pk)


def test_every_save_bumps_the_assessment_version_and_a_stale_score_version_is_refused(
    assessment, appraiser
):
    before = stored_version(assessment)
    score = score_of(assessment, "1.2")
    # The first save claims the assessment (one bump) and saves the score (another).
    first = services.appraise_score(
        score, value="3", note="Thiếu một báo cáo", version=score.version, by=appraiser
    )
    assert stored_version(assessment) == before + 2 == first.assessment.version
    second = services.appraise_score(
        first, value="2,5", note="Thiếu hai báo cáo", version=first.version, by=appraiser
    )
    assert stored_version(assessment) == before + 3 == second.assessment.version
    assert second.version == score.version + 2
    events = AuditEvent.objects.count()
    # A page still showing the first save's version, with other values: refused, nothing written.
    with pytest.raises(ConflictError, match="Không có gì bị ghi đè") as caught:
        services.appraise_score(
            score_of(assessment, "1.2"), value="1", note="Thiếu ba báo cáo",
            version=first.version, by=appraiser,
        )
    assert caught.value.current.appraised_score == D("2.5")
    stored = score_of(assessment, "1.2")
    assert (stored.appraised_score, stored.appraisal_note) == (D("2.5"), "Thiếu hai báo cáo")
    assert stored.version == second.version
    assert stored_version(assessment) == before + 3 and AuditEvent.objects.count() == events


def test_an_appraised_score_save_bumps_the_version_without_re_reading(
    assessment, appraiser, django_assert_max_num_queries
):
    services.start_review(assessment, by=appraiser)
    score = score_of(assessment, "1.1")
    before = stored_version(assessment)
    # savepoint, period (shared), assessment (locked), score (locked), score update,
    # version + 1, one audit event, savepoint release: 8.
    with django_assert_max_num_queries(8):
        saved = services.appraise_score(score, value="2", note="", version=score.version, by=appraiser)
    assert saved.assessment.version == before + 1 == stored_version(assessment)
    event = AuditEvent.objects.get(action="appraised_score")
    assert (event.field_name, event.old_value, event.new_value) == ("appraised_score", "", "2")


def test_imported_criteria_are_not_typed(period, units, appraiser):
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SIPAS)
    assessment = submitted(period, units["commune"], {"1.1": "2", "1.2": "4"})
    score = score_of(assessment, "2.1")
    with pytest.raises(WorkflowError, match="lấy điểm từ tệp số liệu"):
        services.appraise_score(score, value="3", note="x", version=score.version, by=appraiser)


def test_accepting_the_self_scores_fills_only_what_is_not_appraised(assessment, appraiser):
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="3", note="Thiếu báo cáo", version=score.version, by=appraiser)
    assert services.accept_self_scores(assessment, by=appraiser) == 2
    assert {s.criterion.code: s.appraised_score for s in assessment.scores.select_related("criterion")} == {
        "1.1": D(2), "1.2": D(3), "2.1": D(4)
    }


def test_return_only_named_criteria_then_resubmission_shows_old_and_new(assessment, appraiser, officer):
    services.accept_self_scores(assessment, by=appraiser)
    c12 = score_of(assessment, "1.2").criterion
    kept = attach(assessment, "1.2", "bao-cao-quy-1.pdf")
    number = services.return_criteria(assessment, {c12.pk: "Bổ sung báo cáo quý III"}, by=appraiser)
    assert number == 1
    assessment = assessment_of(assessment.period, assessment.commune)
    assert assessment.status == Status.RETURNED
    requests = {s.criterion.code: s.revision_request for s in assessment.scores.select_related("criterion")}
    assert requests == {"1.1": "", "1.2": "Bổ sung báo cáo quý III", "2.1": ""}
    returned = score_of(assessment, "1.2")
    assert returned.appraised_score is None  # appraised again after the resubmission
    assert score_of(assessment, "1.1").appraised_score == D(2)

    [round_] = services.review_rounds(assessment)
    assert round_.items[0].new_score is None  # still with the commune

    # The commune answers: new score, new explanation, one more file.
    fill(assessment, {"1.2": "4"}, notes={"1.2": "Đã bổ sung báo cáo quý III"})
    added = attach(assessment, "1.2", "bao-cao-quy-3.pdf", by=officer)
    assessment = resubmit(assessment)
    [round_] = services.review_rounds(assessment)
    [item] = round_.items
    assert (item.code, item.request, item.old_score, item.new_score) == ("1.2", "Bổ sung báo cáo quý III", "3,5", "4")
    assert item.new_note == "Đã bổ sung báo cáo quý III" and item.note_changed
    assert [e["id"] for e in item.added] == [added.pk] and [e["id"] for e in item.kept] == [kept.pk]

    # Claiming it again freezes the round; later changes do not rewrite it.
    services.start_review(assessment, by=appraiser)
    fill(assessment, {"1.2": "1"})
    [round_] = services.review_rounds(assessment_of(assessment.period, assessment.commune))
    assert round_.items[0].new_score == "4" and round_.resubmitted_at is not None


def test_several_rounds_are_kept(assessment, appraiser):
    c11, c21 = (score_of(assessment, code).criterion for code in ("1.1", "2.1"))
    services.return_criteria(assessment, {c11.pk: "Thiếu kế hoạch"}, by=appraiser)
    fill(assessment, {"1.1": "1"})
    assessment = resubmit(assessment)
    services.return_criteria(assessment, {c21.pk: "Ảnh chụp không rõ"}, by=appraiser)
    assessment = assessment_of(assessment.period, assessment.commune)
    # The second round replaced the first round's request.
    assert score_of(assessment, "1.1").revision_request == ""
    rounds = services.review_rounds(assessment)
    assert [(r.number, [i.code for i in r.items]) for r in rounds] == [(1, ["1.1"]), (2, ["2.1"])]
    assert (rounds[0].items[0].old_score, rounds[0].items[0].new_score) == ("2", "1")


def test_a_return_needs_a_request_for_every_criterion(assessment, appraiser):
    c11 = score_of(assessment, "1.1").criterion
    with pytest.raises(WorkflowError, match="Tiêu chí 1.1: vui lòng ghi nội dung yêu cầu"):
        services.return_criteria(assessment, {c11.pk: "  "}, by=appraiser)
    with pytest.raises(WorkflowError, match="Chọn ít nhất một tiêu chí"):
        services.return_criteria(assessment, {}, by=appraiser)
    assert assessment_of(assessment.period, assessment.commune).status == Status.SUBMITTED


def test_a_return_cannot_name_another_communes_criterion(assessment, appraiser, period):
    from tests.factories import make_criteria_set

    stranger = make_criteria_set("KHAC").criteria.get(code="1.1")
    with pytest.raises(WorkflowError, match="không thuộc hồ sơ này"):
        services.return_criteria(assessment, {stranger.pk: "x"}, by=appraiser)


def test_mark_appraised_names_every_missing_criterion(assessment, appraiser):
    services.start_review(assessment, by=appraiser)
    score = score_of(assessment, "1.1")
    services.appraise_score(score, value="1", note="Ban hành chậm", version=score.version, by=appraiser)
    with pytest.raises(WorkflowError, match=r"1\.2 \(chưa có điểm thẩm định\); 2\.1"):
        services.mark_appraised(assessment, by=appraiser)
    services.accept_self_scores(assessment, by=appraiser)
    done = services.mark_appraised(assessment, by=appraiser)
    assert done.status == Status.APPRAISED and done.appraised_at is not None
    assert AuditEvent.objects.filter(action="appraised", assessment=assessment).count() == 1


def test_a_confirmed_not_applicable_claim_counts_as_appraised(period, units, appraiser):
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(na_policy=NaPolicy.FULL)
    assessment = submitted(period, units["commune"], {"1.1": "2", "1.2": "4"})
    score = score_of(assessment, "2.1")
    score.not_applicable, score.not_applicable_reason = True, "Không phát sinh hồ sơ"
    score.save()
    saved = services.appraise_score(
        score, value=None, note="", version=score.version, by=appraiser, confirm_not_applicable=True
    )
    assert saved.not_applicable_confirmed and saved.appraised_score == D(4)
    services.accept_self_scores(assessment, by=appraiser)
    assert services.mark_appraised(assessment, by=appraiser).status == Status.APPRAISED


def test_reopen_needs_a_reason_and_sends_an_appraised_assessment_back(assessment, appraiser):
    services.accept_self_scores(assessment, by=appraiser)
    services.mark_appraised(assessment, by=appraiser)
    with pytest.raises(WorkflowError, match="lý do"):
        services.reopen_assessment(assessment, reason=" ", by=appraiser)
    reopened = services.reopen_assessment(assessment, reason="Xã gửi bổ sung quyết định", by=appraiser)
    assert reopened.status == Status.UNDER_REVIEW and reopened.appraised_at is None
    event = AuditEvent.objects.get(action="reopened")
    assert (event.old_value, event.new_value, event.reason) == ("appraised", "under_review", "Xã gửi bổ sung quyết định")


def test_reopening_self_assessment_after_the_deadline_sets_reopened_until(period, units, appraiser):
    draft = assessment_of(period, units["commune"])
    until = timezone.localdate() + datetime.timedelta(days=5)
    with pytest.raises(WorkflowError, match="cần ngày mở lại đến"):
        services.reopen_assessment(draft, reason="Ốm", by=appraiser)
    reopened = services.reopen_assessment(draft, reason="Cán bộ ốm dài ngày", by=appraiser, until=until)
    assert reopened.reopened_until == until


def test_bulk_reopen_is_all_or_nothing(period, units, appraiser, assessment):
    draft = assessment_of(period, units["other_commune"])
    until = timezone.localdate() + datetime.timedelta(days=3)
    with pytest.raises(WorkflowError, match="Xã Đồng Tâm: hồ sơ đang “Đã nộp”"):
        services.reopen_assessments([draft, assessment], reason="Gia hạn", by=appraiser, until=until)
    assert assessment_of(period, units["other_commune"]).reopened_until is None
    assert not AuditEvent.objects.filter(action="reopened").exists()


def test_lock_blocks_appraisal_until_unlocked(assessment, appraiser):
    assert services.lock_assessment(assessment, reason="Chờ kết luận thanh tra", by=appraiser) == 1
    score = score_of(assessment, "1.1")
    with pytest.raises(WorkflowError, match="khóa"):
        services.appraise_score(score, value="2", note="", version=score.version, by=appraiser)
    assert services.unlock_assessment(assessment, reason="Đã có kết luận", by=appraiser) == 1
    services.appraise_score(score, value="2", note="", version=score.version, by=appraiser)
    assert list(
        AuditEvent.objects.filter(action__in=["locked", "unlocked"]).order_by("id").values_list("action", "reason")
    ) == [("locked", "Chờ kết luận thanh tra"), ("unlocked", "Đã có kết luận")]


def test_round_items_compare_two_snapshots():
    before = {"1.2": {"request": "Bổ sung", "self_score": "3.500", "self_note": "a",
                      "evidence": [{"id": 1, "name": "a.pdf"}, {"id": 2, "name": "b.pdf"}]}}
    after = {"1.2": {"self_score": "4.000", "self_note": "a", "evidence": [{"id": 2, "name": "b.pdf"}, {"id": 3, "name": "c.pdf"}]}}
    [item] = round_items(before, after)
    assert (item.old_score, item.new_score, item.score_changed, item.note_changed) == ("3,5", "4", True, False)
    assert [e["name"] for e in item.removed] == ["a.pdf"] and [e["name"] for e in item.added] == ["c.pdf"]


def test_imported_criteria_need_their_file_before_the_assessment_is_appraised(period, units, appraiser, tmp_path):
    from django.core.management import call_command

    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SIPAS)
    assessment = submitted(period, units["commune"], {"1.1": "2", "1.2": "4"})
    services.accept_self_scores(assessment, by=appraiser)
    with pytest.raises(WorkflowError, match=r"2\.1 \(chưa nhập số liệu từ tệp\)"):
        services.mark_appraised(assessment, by=appraiser)
    survey = tmp_path / "sipas.csv"
    survey.write_text("commune_code,criterion_code,value,sample_size\nA,2.1,91.5,300\n", encoding="utf-8")
    call_command("import_survey", str(survey), "--period", period.code, "--as-percent", stdout=io.StringIO())
    # No self score to differ from, so no note is asked for.
    assert services.mark_appraised(assessment, by=appraiser).status == Status.APPRAISED
    assert score_of(assessment, "2.1").appraised_score == D("3.660")


def test_nothing_changes_once_the_period_is_published(assessment, appraiser):
    from scoring.models import Period

    Period.objects.filter(pk=assessment.period_id).update(status=Period.Status.PUBLISHED)
    assessment = assessment_of(assessment.period, assessment.commune)
    score = score_of(assessment, "1.1")
    with pytest.raises(WorkflowError, match="đã được công bố"):
        services.appraise_score(score, value="1", note="x", version=score.version, by=appraiser)
    with pytest.raises(WorkflowError, match="đã được công bố"):
        services.lock_assessment(assessment, reason="x", by=appraiser)
    with pytest.raises(WorkflowError, match="kết quả đã công bố"):
        services.reopen_assessment(assessment, reason="x", by=appraiser)
