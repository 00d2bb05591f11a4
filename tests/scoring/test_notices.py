"""Who is told what, and when (scoring/notices.py): the workflow's events after commit and the
daily `send_reminders` (◆ docs/design.md §6), read back from the notifications and the locmem
outbox."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from communes.models import Role
from notifications.models import Kind, Notification
from scoring import notices
from scoring.models import Assessment, Period
from scoring.services.appraisal import return_criteria, start_review
from scoring.services.publishing import publish_period
from scoring.services.self_assessment import submit_assessment

from ..factories import make_criteria_set, make_period, make_unit, make_user
from .appraisal_data import assessment_of, submitted
from .publish_data import add_communes, appraise_all

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
DUE = datetime.date(2026, 3, 31)  # self-assessment deadline
APPRAISAL_DUE = datetime.date(2026, 4, 30)


@pytest.fixture
def cast(units):
    """Officers of A and B, A's chairman, two appraisers and the leader of D1, the province's
    leader, and outsiders (D2's appraiser, another province's leader): all with addresses."""
    other_province = make_unit("Q", "Tỉnh Hưng Yên", "tinh")
    people = {
        "officer_a": (units["commune"], Role.COMMUNE_OFFICER),
        "officer_b": (units["other_commune"], Role.COMMUNE_OFFICER),
        "chair_a": (units["commune"], Role.LEADER),
        "appraiser": (units["district"], Role.APPRAISER),
        "appraiser2": (units["district"], Role.APPRAISER),
        "leader": (units["district"], Role.LEADER),
        "prov_leader": (units["province"], Role.LEADER),
        "far_appraiser": (units["other_district"], Role.APPRAISER),
        "far_leader": (other_province, Role.LEADER),
    }
    return {
        name: make_user(name, unit=unit, role=role, email=f"{name}@example.vn")
        for name, (unit, role) in people.items()
    }


@pytest.fixture
def dated(units):
    return make_period(
        units["district"], opens_on=datetime.date(2026, 3, 1), self_assessment_due=DUE,
        appraisal_due=APPRAISAL_DUE,
    )


def told(kind=None) -> dict[str, list[str]]:
    """{username: [text, …]} of the notifications stored (of one kind)."""
    rows = Notification.objects.order_by("recipient__username", "pk")
    if kind is not None:
        rows = rows.filter(kind=kind)
    found = {}
    for username, text in rows.values_list("recipient__username", "text"):
        found.setdefault(username, []).append(text)
    return found


def mailed() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def remind(on, capture):
    with capture(execute=True):
        return notices.send_reminders(on)


# --- reminders --------------------------------------------------------------------------------


@pytest.mark.parametrize("days, words", [(7, "sau 7 ngày"), (3, "sau 3 ngày"), (1, "ngày mai")])
def test_self_assessment_reminders_go_to_officers_of_communes_not_submitted(
    cast, dated, units, days, words, django_capture_on_commit_callbacks
):
    submitted(dated, units["other_commune"])
    remind(DUE - datetime.timedelta(days=days), django_capture_on_commit_callbacks)
    assert list(told()) == ["officer_a"]
    (text,) = told()["officer_a"]
    assert text == (
        f"Hạn tự đánh giá kỳ “{dated.name}” là ngày 31/03/2026 ({words}); hồ sơ của Xã Đồng Tâm "
        "chưa nộp."
    )
    assert mailed() == ["officer_a@example.vn"]
    assert "/periods/P2024/communes/A/" in mail.outbox[0].body


@pytest.mark.parametrize("days", [0, 2, 5, 8, 20])
def test_no_reminder_on_other_days(cast, dated, days, django_capture_on_commit_callbacks):
    run = remind(DUE - datetime.timedelta(days=days), django_capture_on_commit_callbacks)
    assert run.ids == [] and not Notification.objects.exists() and not mail.outbox


def test_the_same_date_twice_sends_once(cast, dated, django_capture_on_commit_callbacks):
    on = (DUE - datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    first, second = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", on, stdout=first)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", on, stdout=second)
    assert first.getvalue() == "Ngày 28/03/2026: 2 thông báo mới (Sắp hết hạn tự đánh giá: 2).\n"
    assert second.getvalue() == "Ngày 28/03/2026: không có thông báo mới.\n"
    assert Notification.objects.count() == 2
    assert mailed() == ["officer_a@example.vn", "officer_b@example.vn"]
    # Another reminder day is another reminder.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "30/03/2026", stdout=StringIO())
    assert Notification.objects.count() == 4 and len(mail.outbox) == 4


def test_a_bad_date_is_refused_in_vietnamese(db):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "31/02/2026", stderr=err)
    assert "--date: “31/02/2026” không phải là ngày hợp lệ (dạng dd/mm/yyyy)." in err.getvalue()


def test_the_period_opens_on_its_day_and_only_then(cast, units, django_capture_on_commit_callbacks):
    period = make_period(
        units["district"], opens_on=TODAY + datetime.timedelta(days=10),
        self_assessment_due=DUE + datetime.timedelta(days=10),
    )
    remind(TODAY + datetime.timedelta(days=9), django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()
    remind(TODAY + datetime.timedelta(days=10), django_capture_on_commit_callbacks)
    assert sorted(told(Kind.PERIOD_OPENED)) == ["officer_a", "officer_b"]
    assert told()["officer_a"] == [
        f"Kỳ đánh giá “{period.name}” đã mở: Xã Đồng Tâm tự đánh giá, chấm điểm và nộp hồ sơ "
        "kèm tài liệu kiểm chứng đến hết ngày 10/04/2026."
    ]
    assert mailed() == ["officer_a@example.vn", "officer_b@example.vn"]


def test_draft_and_published_periods_remind_nobody(cast, dated, django_capture_on_commit_callbacks):
    for status in (Period.Status.DRAFT, Period.Status.PUBLISHED):
        Period.objects.filter(pk=dated.pk).update(status=status)
        remind(dated.opens_on, django_capture_on_commit_callbacks)
        remind(DUE - datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()


def test_a_period_opening_the_day_it_is_created_tells_the_communes_at_once(
    cast, units, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        period = make_period(units["district"], opens_on=datetime.date.today())
    assert sorted(told(Kind.PERIOD_OPENED)) == ["officer_a", "officer_b"]
    run = remind(period.opens_on, django_capture_on_commit_callbacks)
    assert run.ids == [] and len(mail.outbox) == 2


def test_appraisal_reminders_go_to_whoever_still_has_work(
    cast, dated, units, django_capture_on_commit_callbacks
):
    """A is under review by appraiser2; B is submitted and unclaimed, so every appraiser of
    D1 is reminded of it; D2's appraiser and the commune side hear nothing."""
    start_review(submitted(dated, units["commune"]), by=cast["appraiser2"])
    submitted(dated, units["other_commune"])
    remind(APPRAISAL_DUE - datetime.timedelta(days=7), django_capture_on_commit_callbacks)
    texts = told(Kind.APPRAISAL_DUE)
    assert sorted(texts) == ["appraiser", "appraiser2"]
    assert texts["appraiser2"] == [
        f"Hạn thẩm định kỳ “{dated.name}” là ngày 30/04/2026 (sau 7 ngày); còn 2 hồ sơ chờ "
        "anh/chị thẩm định xong."
    ]
    assert "còn 1 hồ sơ" in texts["appraiser"][0]
    assert mailed() == ["appraiser2@example.vn", "appraiser@example.vn"]


def test_no_appraisal_reminder_when_everything_is_appraised(cast, dated, django_capture_on_commit_callbacks):
    appraise_all(dated)
    remind(APPRAISAL_DUE - datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("communes", [5, 170])
def test_send_reminders_is_a_fixed_number_of_queries(
    units, communes, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """170 communes (a province after 2025) cost what 5 do. All three kinds are due on one
    day: the period opens, self-assessment is due in 7 days, appraisal in 3."""
    province = make_unit("T", "Tỉnh Sơn La", "tinh")
    created = add_communes(province, communes, prefix="S")
    for unit in created:
        make_user(f"cb_{unit.code}", unit=unit, role=Role.COMMUNE_OFFICER, email=f"{unit.code}@x.vn")
    make_user("td_tinh", unit=province, role=Role.APPRAISER, email="td@x.vn")
    period = make_period(
        province, code="SL", opens_on=TODAY, self_assessment_due=TODAY + datetime.timedelta(days=7),
        appraisal_due=TODAY + datetime.timedelta(days=3 + 7),
    )
    Period.objects.filter(pk=period.pk).update(appraisal_due=TODAY + datetime.timedelta(days=3))
    submitted(period, created[0])
    # e-mails left unsent earlier (none); periods due; officers of the opening period; of
    # communes not submitted; the appraisal work; the appraisers; savepoint, INSERT …
    # RETURNING, release; the count per kind; after the commit: the notifications with their
    # recipients, UPDATE emailed_at
    with django_assert_num_queries(12), django_capture_on_commit_callbacks(execute=True):
        run = notices.send_reminders(TODAY)
    assert run.counts == {
        Kind.PERIOD_OPENED: communes,
        Kind.SELF_ASSESSMENT_DUE: communes - 1,
        Kind.APPRAISAL_DUE: 1,
    }
    # One e-mail per person: each officer's two notices in one message.
    assert len(mail.outbox) == communes + 1


# --- events after a transition ----------------------------------------------------------------


def test_returning_tells_the_communes_officers_after_the_commit(
    cast, dated, units, django_capture_on_commit_callbacks
):
    assessment = submitted(dated, units["commune"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        return_criteria(
            assessment, {c.pk: "Bổ sung kế hoạch" for c in dated.criteria_set.criteria.leaves()
                         if c.code in ("1.1", "2.1")}, by=cast["appraiser"],
        )
    assert not Notification.objects.exists()  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert told() == {
        "officer_a": [
            f"Hồ sơ tự đánh giá của Xã Đồng Tâm ({dated.name}) được trả lại để bổ sung 2 tiêu "
            "chí (lần 1): 1.1, 2.1. Vui lòng bổ sung tài liệu, giải trình rồi nộp lại."
        ]
    }
    assert mailed() == ["officer_a@example.vn"]
    assert mail.outbox[0].subject == "[Chỉ số CCHC] Hồ sơ được trả lại để bổ sung"


def test_a_refused_step_tells_nobody(cast, dated, units, django_capture_on_commit_callbacks):
    from scoring.services import WorkflowError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(WorkflowError):
        return_criteria(assessment_of(dated, units["commune"]), {1: "x"}, by=cast["appraiser"])
    assert not Notification.objects.exists() and not mail.outbox


def test_resubmitting_tells_the_appraiser_working_on_it(
    cast, dated, units, django_capture_on_commit_callbacks
):
    assessment = start_review(submitted(dated, units["commune"]), by=cast["appraiser2"])
    leaf = dated.criteria_set.criteria.get(code="1.1")
    return_criteria(assessment, {leaf.pk: "Bổ sung"}, by=cast["appraiser2"])
    with django_capture_on_commit_callbacks(execute=True):
        submit_assessment(assessment_of(dated, units["commune"]), by=cast["officer_a"])
    assert told(Kind.RESUBMITTED) == {
        "appraiser2": [
            f"Xã Đồng Tâm đã nộp lại hồ sơ sau khi bổ sung ({dated.name}); mời tiếp tục thẩm định."
        ]
    }


def test_a_first_submission_tells_nobody(cast, period, units, django_capture_on_commit_callbacks):
    from .appraisal_data import fill

    fill(assessment_of(period, units["commune"]), {"1.1": "2", "1.2": "3", "2.1": "4"})
    with django_capture_on_commit_callbacks(execute=True):
        submit_assessment(assessment_of(period, units["commune"]), by=cast["officer_a"])
    assert assessment_of(period, units["commune"]).status == Assessment.Status.SUBMITTED
    assert not Notification.objects.exists()


def test_publishing_tells_the_communes_and_the_leaders(
    cast, dated, django_capture_on_commit_callbacks
):
    appraise_all(dated)
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(dated, by=cast["appraiser"], decision="766/QĐ-UBND")
    texts = told(Kind.PUBLISHED)
    assert sorted(texts) == ["chair_a", "leader", "officer_a", "officer_b", "prov_leader"]
    assert texts["leader"] == [
        f"Kết quả Chỉ số CCHC “{dated.name}” đã được công bố theo Quyết định số 766/QĐ-UBND."
    ]
    assert len(mail.outbox) == 5
    assert "/periods/P2024/results/" in mail.outbox[0].body


def test_provisional_results_and_replies_reach_their_side(cast, dated, units, django_capture_on_commit_callbacks):
    """The reply round's two events, as its services call them."""
    a = start_review(submitted(dated, units["commune"]), by=cast["appraiser"])
    b = submitted(dated, units["other_commune"])
    with django_capture_on_commit_callbacks(execute=True):
        notices.provisional_announced(period=dated.pk, assessments=[a.pk, b.pk])
        notices.reply_received(assessment=a.pk, round=1, disagreements=2)
        notices.reply_received(assessment=b.pk, round=2, disagreements=0)
        notices.reply_received(assessment=b.pk, round=2, disagreements=0)  # told once
    assert sorted(told(Kind.PROVISIONAL)) == ["officer_a", "officer_b"]
    replies = told(Kind.REPLY_RECEIVED)
    assert replies["appraiser"] == [
        f"Xã Đồng Tâm đã gửi ý kiến về kết quả thẩm định dự kiến ({dated.name}): không đồng ý 2 "
        "tiêu chí, cần Tổ giải trình.",
        f"Thị trấn Ninh Giang đã gửi ý kiến về kết quả thẩm định dự kiến ({dated.name}): đồng ý "
        "toàn bộ.",
    ]
    assert replies["appraiser2"] == [replies["appraiser"][1]]  # B: nobody has claimed it
    assert "far_appraiser" not in replies


def test_inactive_users_are_not_told(cast, dated, django_capture_on_commit_callbacks):
    cast["officer_b"].is_active = False
    cast["officer_b"].save()
    remind(DUE - datetime.timedelta(days=7), django_capture_on_commit_callbacks)
    assert list(told()) == ["officer_a"]


def test_a_reply_counts_its_disagreements_from_its_audit_event(
    cast, dated, units, django_capture_on_commit_callbacks
):
    from scoring.audit import record_event

    a = start_review(submitted(dated, units["commune"]), by=cast["appraiser"])
    record_event(a, by=cast["officer_a"], action="reply_sent", detail={"round": 1,
                 "disagreements": ["1.1", "2.1", "1.2"]})
    with django_capture_on_commit_callbacks(execute=True):
        notices.reply_received(assessment=a.pk, round=7)
    assert "không đồng ý 3 tiêu chí" in told(Kind.REPLY_RECEIVED)["appraiser"][0]


# --- the reply round, through its services --------------------------------------------------


@pytest.fixture
def reply_period(units):
    today = datetime.date.today()
    return make_period(
        units["district"], code="R2026", opens_on=today - datetime.timedelta(days=40),
        self_assessment_due=today - datetime.timedelta(days=10),
        appraisal_due=today - datetime.timedelta(days=5), reply_due=today + datetime.timedelta(days=3),
    )


def test_announcing_and_replying_tell_the_other_side(
    cast, reply_period, units, django_capture_on_commit_callbacks
):
    from scoring.models import Score
    from scoring.services.replies import announce_provisional, save_reply, send_reply

    from .publish_data import appraise

    appraise(reply_period, {"A": {"1.1": "2", "1.2": "3", "2.1": "4"},
                            "B": {"1.1": "1", "1.2": "3", "2.1": "4"}})
    Assessment.objects.filter(period=reply_period, commune__code="A").update(
        assignee=cast["appraiser2"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        announce_provisional(reply_period, by=cast["appraiser"])
    texts = told(Kind.PROVISIONAL)
    assert sorted(texts) == ["officer_a", "officer_b"]
    assert texts["officer_a"] == [
        f"Tổ thẩm định đã thông báo kết quả thẩm định dự kiến của Xã Đồng Tâm "
        f"({reply_period.name}). Xem điểm thẩm định và ý kiến của Tổ, đồng ý hoặc không đồng ý "
        f"từng tiêu chí trước ngày {reply_period.reply_due:%d/%m/%Y}; không gửi ý kiến được coi "
        "là đồng ý."
    ]
    assert mailed() == ["officer_a@example.vn", "officer_b@example.vn"]
    score = Score.objects.select_related("criterion", "assessment").get(
        assessment__period=reply_period, assessment__commune__code="A", criterion__code="1.1"
    )
    save_reply(score, disagrees=True, explanation="Đã có kế hoạch", by=cast["officer_a"])
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(assessment_of(reply_period, units["commune"]), by=cast["officer_a"])
    assert told(Kind.REPLY_RECEIVED) == {
        "appraiser2": [
            f"Xã Đồng Tâm đã gửi ý kiến về kết quả thẩm định dự kiến ({reply_period.name}): "
            "không đồng ý 1 tiêu chí, cần Tổ giải trình."
        ]
    }
    # The team answers the one disagreement: the commune is told once the round is closed.
    from scoring.models import Reply
    from scoring.services.replies import answer_reply

    reply = Reply.objects.get(score=score, disagrees=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer_reply(reply, accept=False, note="Kế hoạch ban hành sau hạn", version=reply.version,
                     by=cast["appraiser2"])
    assert told(Kind.REPLIES_ANSWERED) == {
        "officer_a": [
            "Tổ thẩm định đã trả lời 1 ý kiến không đồng ý của Xã Đồng Tâm "
            f"({reply_period.name}): chấp nhận 0, giữ nguyên điểm 1. Xem giải trình của Tổ ở "
            "từng tiêu chí."
        ]
    }


@pytest.mark.parametrize("days", [7, 3, 1])
def test_reply_reminders_go_to_communes_that_have_not_replied(
    cast, units, days, django_capture_on_commit_callbacks
):
    reply_due = datetime.date(2026, 5, 20)
    period = make_period(units["district"], opens_on=datetime.date(2026, 3, 1),
                         self_assessment_due=DUE, appraisal_due=APPRAISAL_DUE, reply_due=reply_due)
    Assessment.objects.filter(period=period, commune=units["commune"]).update(
        status=Assessment.Status.PROVISIONAL
    )
    Assessment.objects.filter(period=period, commune=units["other_commune"]).update(
        status=Assessment.Status.REPLIED
    )
    remind(reply_due - datetime.timedelta(days=days), django_capture_on_commit_callbacks)
    texts = told(Kind.REPLY_DUE)
    assert list(told()) == ["officer_a"]
    assert texts["officer_a"][0].startswith(
        f"Hạn gửi ý kiến về kết quả thẩm định dự kiến kỳ “{period.name}” là ngày 20/05/2026 ("
    )
    assert "Xã Đồng Tâm chưa gửi ý kiến (không gửi được coi là đồng ý)." in texts["officer_a"][0]


def test_celery_beat_sends_todays_reminders_once_like_the_command(
    cast, units, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from cchc.celery import app
    from scoring.tasks import send_reminders as task

    today = datetime.date.today()
    make_period(
        units["district"], code="P-HOM-NAY", opens_on=today - datetime.timedelta(days=10),
        self_assessment_due=today + datetime.timedelta(days=3),
        appraisal_due=today + datetime.timedelta(days=30),
    )
    entry = settings.CELERY_BEAT_SCHEDULE["daily-reminders"]
    assert entry["task"] == task.name and task.name in app.tasks
    with django_capture_on_commit_callbacks(execute=True):
        assert task.delay().get() == 2  # eager without a broker: officers of A and B
    assert sorted(told(Kind.SELF_ASSESSMENT_DUE)) == ["officer_a", "officer_b"]
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
    assert out.getvalue().endswith("không có thông báo mới.\n")  # the task's were not sent again
