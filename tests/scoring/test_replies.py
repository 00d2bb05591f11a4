"""The reply round (issue 12): provisional results announced, the commune's reply per
criterion, the team's answers, silence at the deadline, publishing refused meanwhile, and the
period's stage."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring import rules, selectors
from scoring.models import Assessment, AuditEvent, Period, Publication, Reply, ReplyRound, Score
from scoring.services import WorkflowError
from scoring.services.publishing import preview_publication, publish_period
from scoring.services.replies import (
    ReplyConflict,
    announce_provisional,
    answer_reply,
    save_reply,
    send_reply,
    set_reply_due,
)

from ..factories import make_period
from .publish_data import REPLY_SCORES, add_communes, appraise, appraise_all, reply_period

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date.today()
Status = Assessment.Status


@pytest.fixture
def period(units):
    return reply_period(units["district"], appraisal_due=TODAY - datetime.timedelta(days=5))


@pytest.fixture
def appraised(period):
    appraise(period, REPLY_SCORES)
    return period


def assessment(code) -> Assessment:
    return Assessment.objects.select_related("period", "commune").get(commune__code=code)


def score(code, leaf) -> Score:
    return Score.objects.select_related("criterion", "assessment").get(
        assessment__commune__code=code, criterion__code=leaf
    )


def stage(period, today=None) -> str:
    period.refresh_from_db()
    return selectors.period_stage(period, today).value


# --- announcing ---------------------------------------------------------------------------


def test_announcing_moves_every_appraised_commune_to_provisional_with_a_round(
    appraised, appraiser
):
    assert announce_provisional(appraised, by=appraiser) == 2
    for code in "AB":
        a = assessment(code)
        assert (a.status, a.reply_round, a.version) == (Status.PROVISIONAL, 1, 2)
        assert ReplyRound.objects.get(assessment=a).announced_by == appraiser
    events = AuditEvent.objects.filter(action="provisional_announced")
    assert events.filter(assessment__isnull=False).count() == 2
    assert events.get(assessment__isnull=True).detail == {"communes": ["A", "B"]}


def test_announcing_selected_communes_refuses_all_if_one_is_not_appraised(
    appraised, appraiser
):
    Assessment.objects.filter(commune__code="B").update(status=Status.UNDER_REVIEW)
    with pytest.raises(WorkflowError, match="Thị trấn Ninh Giang đang “Đang thẩm định”"):
        announce_provisional(appraised, by=appraiser, communes=["A", "B"])
    assert not ReplyRound.objects.exists()
    assert assessment("A").status == Status.APPRAISED
    assert announce_provisional(appraised, by=appraiser, communes=["A"]) == 1
    assert assessment("B").status == Status.UNDER_REVIEW


def test_announcing_needs_a_reply_deadline_not_passed(appraised, appraiser):
    Period.objects.filter(pk=appraised.pk).update(reply_due=None)
    with pytest.raises(WorkflowError, match="chưa có hạn phản hồi"):
        announce_provisional(appraised, by=appraiser)
    Period.objects.filter(pk=appraised.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    with pytest.raises(WorkflowError, match="đã qua"):
        announce_provisional(appraised, by=appraiser)
    assert not ReplyRound.objects.exists()


def test_announcing_170_communes_takes_a_fixed_number_of_queries(
    units, appraiser, django_assert_max_num_queries
):
    add_communes(units["district"], 168)
    period = reply_period(units["district"], reply_due=TODAY)
    appraise_all(period)
    # savepoint, period shared, assessments locked, audit INSERT … SELECT, rounds, UPDATE,
    # the period's audit event, release
    with django_assert_max_num_queries(8):
        assert announce_provisional(period, by=appraiser) == 170
    assert Assessment.objects.filter(status=Status.PROVISIONAL).count() == 170
    assert AuditEvent.objects.filter(action="provisional_announced").count() == 171


def test_setting_the_reply_deadline_is_audited_and_checked(period, appraiser):
    with pytest.raises(WorkflowError, match="Hạn phản hồi phải từ hạn tự đánh giá"):
        set_reply_due(period, period.self_assessment_due - datetime.timedelta(days=1), by=appraiser)
    new = TODAY + datetime.timedelta(days=9)
    set_reply_due(period, new, by=appraiser)
    period.refresh_from_db()
    assert period.reply_due == new
    event = AuditEvent.objects.get(action="reply_due_set")
    assert event.new_value == rules.format_date(new) and event.user == appraiser


# --- replying -----------------------------------------------------------------------------


@pytest.fixture
def announced(appraised, appraiser):
    announce_provisional(appraised, by=appraiser)
    return appraised


def test_disagreeing_needs_an_explanation(announced, officer):
    with pytest.raises(WorkflowError, match="Tiêu chí 1.2: không đồng ý thì cần nêu ý kiến"):
        save_reply(score("A", "1.2"), disagrees=True, explanation="  ", by=officer)
    assert not Reply.objects.exists()


def test_a_reply_sent_once_with_a_disagreement_waits_for_the_team(announced, officer):
    reply = save_reply(
        score("A", "1.2"), disagrees=True, explanation="Đã ban hành báo cáo đúng hạn", by=officer
    )
    assert (reply.version, reply.appraised_before) == (1, D("3.5"))
    # A stale page is refused, nothing overwritten.
    with pytest.raises(ReplyConflict):
        save_reply(score("A", "1.2"), disagrees=True, explanation="khác", version=0, by=officer)
    send_reply(assessment("A"), by=officer)
    a = assessment("A")
    assert a.status == Status.REPLIED
    with pytest.raises(WorkflowError, match="đã gửi ý kiến"):
        send_reply(a, by=officer)
    with pytest.raises(WorkflowError, match="đã gửi ý kiến"):
        save_reply(score("A", "1.1"), disagrees=True, explanation="x", by=officer)
    event = AuditEvent.objects.get(action="reply_sent")
    assert event.detail == {"round": 1, "disagreements": ["1.2"]}


def test_agreeing_with_everything_goes_back_to_appraised(announced, officer):
    send_reply(assessment("A"), by=officer)
    assert assessment("A").status == Status.APPRAISED
    assert ReplyRound.objects.get(assessment__commune__code="A").closed_at is not None


def test_no_reply_after_the_deadline(announced, officer):
    late = TODAY + datetime.timedelta(days=4)
    with pytest.raises(WorkflowError, match="Đã hết hạn phản hồi"):
        save_reply(score("A", "1.2"), disagrees=True, explanation="x", by=officer, today=late)
    with pytest.raises(WorkflowError, match="Đã hết hạn phản hồi"):
        send_reply(assessment("A"), by=officer, today=late)


@pytest.fixture
def replied(announced, officer):
    save_reply(score("A", "1.2"), disagrees=True, explanation="Có báo cáo số 12", by=officer)
    save_reply(score("A", "2.1"), disagrees=True, explanation="Đã công khai", by=officer)
    send_reply(assessment("A"), by=officer)
    return announced


def test_accepting_changes_the_appraised_score_through_the_audited_write(replied, appraiser):
    reply = Reply.objects.get(score__criterion__code="1.2")
    answer_reply(reply, accept=True, value="4", note="Bổ sung báo cáo hợp lệ", version=1,
                 by=appraiser)
    changed = score("A", "1.2")
    assert (changed.appraised_score, changed.appraisal_note) == (D(4), "Bổ sung báo cáo hợp lệ")
    assert AuditEvent.objects.filter(
        action="appraised_score", criterion__code="1.2", new_value="4"
    ).exists()
    reply.refresh_from_db()
    assert (reply.answer, reply.appraised_after, reply.version) == ("accepted", D(4), 2)
    assert assessment("A").status == Status.REPLIED  # 2.1 still waits
    with pytest.raises(ReplyConflict):
        answer_reply(reply, accept=False, note="x", version=2, by=appraiser)


def test_keeping_needs_a_reason_and_the_last_answer_closes_the_round(replied, appraiser):
    first = Reply.objects.get(score__criterion__code="1.2")
    second = Reply.objects.get(score__criterion__code="2.1")
    with pytest.raises(WorkflowError, match="lý do giữ nguyên điểm"):
        answer_reply(first, accept=False, note="", version=1, by=appraiser)
    with pytest.raises(ReplyConflict):
        answer_reply(first, accept=False, note="Không có tài liệu", version=7, by=appraiser)
    answer_reply(first, accept=False, note="Không có tài liệu", version=1, by=appraiser)
    assert score("A", "1.2").appraised_score == D("3.5")
    answer_reply(second, accept=True, value="4", note="Đúng", version=1, by=appraiser)
    assert assessment("A").status == Status.APPRAISED
    assert AuditEvent.objects.filter(action="reply_round_closed").count() == 1


# --- publishing and the stage -------------------------------------------------------------


def test_publish_is_refused_while_a_round_is_open(announced, leader):
    assert stage(announced) == rules.STAGE_REPLY
    with pytest.raises(WorkflowError, match="vòng phản hồi kết quả dự kiến còn mở"):
        publish_period(announced, by=leader, decision="1/QĐ")
    assert not Publication.objects.exists()


def test_publish_is_refused_while_a_disagreement_is_unanswered(replied, officer, leader):
    send_reply(assessment("B"), by=make_officer_b())
    with pytest.raises(WorkflowError, match=r"Xã Đồng Tâm \(tiêu chí 1.2, 2.1\)"):
        publish_period(replied, by=leader, decision="1/QĐ")
    assert not Publication.objects.exists()


def make_officer_b():
    from communes.models import Role, Unit

    from ..factories import make_user

    return make_user("canbo_b2", unit=Unit.objects.get(code="B"), role=Role.COMMUNE_OFFICER)


def test_silence_at_the_deadline_is_agreement_and_publish_settles_it(announced, leader):
    late = TODAY + datetime.timedelta(days=4)
    assert stage(announced, late) == rules.STAGE_READY
    Period.objects.filter(pk=announced.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    announced.refresh_from_db()
    publication = publish_period(announced, by=leader, decision="1/QĐ")
    assert publication.results.count() == 2
    assert AuditEvent.objects.filter(action="reply_silence").count() == 2
    assert set(Assessment.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


def test_send_reminders_closes_rounds_silent_past_the_deadline_once_audited(
    announced, officer, django_assert_max_num_queries
):
    """The daily run closes a round left silent after the deadline (the rule publishing
    applies), for that date only, once, audited, in a fixed number of queries."""
    from io import StringIO

    from django.core.management import call_command

    from scoring.services.replies import settle_overdue_rounds

    save_reply(score("A", "1.2"), disagrees=True, explanation="Đã có báo cáo", by=officer)
    send_reply(assessment("A"), by=officer)  # A replied: its round waits for the team
    due = announced.reply_due
    assert settle_overdue_rounds(due) == 0  # on the deadline itself the round is still open
    assert assessment("B").status == Status.PROVISIONAL
    # A future --date closes nothing before the deadline has really passed.
    out = StringIO()
    call_command("send_reminders", "--date", rules.format_date(due + datetime.timedelta(days=1)),
                 stdout=out)
    assert assessment("B").status == Status.PROVISIONAL and "đóng vòng" not in out.getvalue()
    Period.objects.filter(pk=announced.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    # the periods (locked), then for each: the ids, the audit INSERT … SELECT, the rounds,
    # the statuses; + the transaction's savepoint and its release
    with django_assert_max_num_queries(7):
        assert settle_overdue_rounds(TODAY) == 1
    out = StringIO()
    call_command("send_reminders", "--date", rules.format_date(TODAY), stdout=out)
    b = assessment("B")
    assert (b.status, b.version) == (Status.APPRAISED, 3)
    assert ReplyRound.objects.get(assessment=b).closed_at is not None
    event = AuditEvent.objects.get(action="reply_silence")
    assert (event.assessment_id, event.user_id, event.new_value) == (b.pk, None, Status.APPRAISED)
    assert assessment("A").status == Status.REPLIED  # a sent reply is never settled
    assert "đóng vòng" not in out.getvalue()  # already settled: idempotent
    assert AuditEvent.objects.filter(action="reply_silence").count() == 1


def test_closing_170_silent_rounds_takes_the_same_queries_as_one(
    units, appraiser, django_assert_max_num_queries
):
    from scoring.services.replies import settle_overdue_rounds

    add_communes(units["district"], 168)
    period = reply_period(units["district"], reply_due=TODAY)
    appraise_all(period)
    announce_provisional(period, by=appraiser)
    assert settle_overdue_rounds(TODAY) == 0  # the deadline is today: still open
    Period.objects.filter(pk=period.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    with django_assert_max_num_queries(7):
        assert settle_overdue_rounds(TODAY) == 170
    assert Assessment.objects.filter(status=Status.APPRAISED).count() == 170
    assert AuditEvent.objects.filter(action="reply_silence").count() == 170
    assert not ReplyRound.objects.filter(closed_at__isnull=True).exists()


def test_send_reminders_says_how_many_silent_rounds_it_closed(announced):
    from io import StringIO

    from django.core.management import call_command

    Period.objects.filter(pk=announced.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    out = StringIO()
    call_command("send_reminders", "--date", rules.format_date(TODAY), stdout=out)
    assert (
        f"Ngày {rules.format_date(TODAY)}: 2 đơn vị không gửi ý kiến trước hạn phản hồi: coi như "
        "đồng ý, đóng vòng phản hồi." in out.getvalue()
    )
    assert set(Assessment.objects.values_list("status", flat=True)) == {Status.APPRAISED}


def test_publish_is_refused_during_self_assessment_even_leaving_the_commune_out(units, leader):
    period = make_period(units["district"])  # due in 30 days
    appraise(period, {"A": REPLY_SCORES["A"]})
    assert stage(period) == rules.STAGE_SELF_ASSESSMENT
    with pytest.raises(WorkflowError, match="còn đang tự đánh giá"):
        publish_period(period, by=leader, exclusions={"B": "chưa nộp"})


def test_stages_follow_the_communes(period, appraiser):
    assert stage(period) == rules.STAGE_APPRAISAL  # self-assessment deadline passed
    appraise(period, REPLY_SCORES)
    assert stage(period) == rules.STAGE_READY
    announce_provisional(period, by=appraiser)
    assert stage(period) == rules.STAGE_REPLY


def test_preview_shows_what_publishing_would_and_writes_nothing(appraised, leader):
    seen = preview_publication(
        appraised, lambda p: [(r.commune.code, r.rank, r.total) for r in p.results.all()],
        by=leader, decision="5/QĐ",
    )
    assert seen == [("A", 1, D("8.75")), ("B", 2, D(8))]
    assert not Publication.objects.exists()
    assert not AuditEvent.objects.filter(action__contains="published").exists()
    assert assessment("A").status == Status.APPRAISED
    appraised.refresh_from_db()
    assert appraised.status == Period.Status.OPEN


# --- who is told --------------------------------------------------------------------------


def test_the_commune_is_told_of_the_announcement_and_the_team_of_the_reply(
    appraised, appraiser, officer, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        announce_provisional(appraised, by=appraiser)
    told = Notification.objects.get(recipient=officer)
    assert "kết quả thẩm định dự kiến" in told.text and told.link.endswith("/communes/A/")
    with django_capture_on_commit_callbacks(execute=True):
        save_reply(score("A", "1.2"), disagrees=True, explanation="Có báo cáo", by=officer)
        send_reply(assessment("A"), by=officer)
    reply = Notification.objects.get(recipient=appraiser)
    assert "Xã Đồng Tâm đã gửi ý kiến" in reply.text


def test_the_publish_command_obeys_the_same_rule(announced):
    import io

    from django.core.management import CommandError, call_command

    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("publish", announced.code, "--no-pdf", stderr=errors)
    assert "vòng phản hồi kết quả dự kiến còn mở" in errors.getvalue()
    assert not Publication.objects.exists()


def test_create_period_takes_a_reply_deadline(units):
    import io

    from django.core.management import call_command

    from ..factories import make_criteria_set

    make_criteria_set("CS-R")
    out = io.StringIO()
    call_command(
        "create_period", "--code", "R-2024", "--year", "2024", "--criteria", "CS-R", "--unit",
        "D1", "--opens-on", "01/01/2024", "--self-assessment-due", "31/01/2024",
        "--reply-due", "15/03/2024", "--as-of", "01/01/2024", stdout=out,
    )
    assert Period.objects.get(code="R-2024").reply_due == datetime.date(2024, 3, 15)
    assert "phản hồi kết quả dự kiến đến 15/03/2024" in out.getvalue()
    assert Period.objects.get(code="R-2024").reply_due is not None
    call_command(
        "create_period", "--code", "R-2025", "--year", "2024", "--criteria", "CS-R", "--unit",
        "D1", "--as-of", "01/01/2024", stdout=io.StringIO(),
    )
    assert Period.objects.get(code="R-2025").reply_due is None


def test_an_assessment_in_its_reply_round_is_not_reopened(announced, appraiser):
    from scoring.services.appraisal import reopen_assessment

    with pytest.raises(WorkflowError, match="vòng phản hồi kết quả dự kiến kết thúc khi"):
        reopen_assessment(assessment("A"), reason="Sửa điểm", by=appraiser)
    assert assessment("A").status == Status.PROVISIONAL


def test_import_scores_does_not_write_into_a_reply_round(announced, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    path = tmp_path / "diem.csv"
    path.write_text("commune_code,criterion_code,self_score,appraised_score\nA,1.1,2,1\n")
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_scores", str(path), "--period", announced.code, stderr=errors)
    assert "đang trong vòng phản hồi kết quả dự kiến" in errors.getvalue()
    assert score("A", "1.1").appraised_score == D(2)
