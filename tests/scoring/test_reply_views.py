"""The reply round on the web (issue 12): the period page's deadline and announcement, the
commune's provisional page and reply, another commune's 404, the deadline, the team's
answers, the minutes' section, the publish page's confirmation, the published result."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Evidence
from scoring.models import Assessment, AuditEvent, Period, Publication, Reply
from scoring.services.replies import announce_provisional, save_reply, send_reply

from ..evidence.builders import pdf_bytes
from .publish_data import REPLY_SCORES, appraise, reply_period

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date.today()
Status = Assessment.Status


@pytest.fixture
def period(units):
    period = reply_period(units["district"])
    appraise(period, REPLY_SCORES)
    from scoring.models import Score

    Score.objects.filter(assessment__commune__code="A", criterion__code="1.2").update(
        self_score=D(4), appraisal_note="Báo cáo nộp chậm 5 ngày"
    )
    return period


@pytest.fixture
def announced(period, appraiser):
    announce_provisional(period, by=appraiser)
    return period


def page_url(period, code="A"):
    return reverse("scoring:assessment", args=[period.code, code])


def score_pk(code, leaf):
    from scoring.models import Score

    return Score.objects.get(assessment__commune__code=code, criterion__code=leaf).pk


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


# --- the period page ----------------------------------------------------------------------


def test_the_appraiser_sets_the_deadline_and_announces_from_the_period_page(
    client, period, appraiser
):
    client.force_login(appraiser)
    page = client.get(period.get_absolute_url()).content.decode()
    assert 'id="stage"' in page and 'aria-current="step">Sẵn sàng công bố' in page
    due = (TODAY + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    response = client.post(reverse("scoring:reply_due", args=[period.code]), {"reply_due": due})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.reply_due.strftime("%d/%m/%Y") == due
    response = client.post(reverse("scoring:announce", args=[period.code]))
    assert response.status_code == 302
    assert set(Assessment.objects.values_list("status", flat=True)) == {Status.PROVISIONAL}
    page = client.get(period.get_absolute_url()).content.decode()
    assert 'aria-current="step">Phản hồi' in page


def test_announcing_selected_communes_through_the_bulk_form(client, period, appraiser):
    client.force_login(appraiser)
    a = Assessment.objects.get(commune__code="A")
    response = client.post(
        reverse("scoring:period_bulk", args=[period.code]), {"ids": [a.pk], "action": "announce"}
    )
    assert response.status_code == 302
    statuses = dict(Assessment.objects.values_list("commune__code", "status"))
    assert statuses == {"A": Status.PROVISIONAL, "B": Status.APPRAISED}


def test_the_leader_cannot_announce(client, period, leader):
    client.force_login(leader)
    assert client.post(reverse("scoring:announce", args=[period.code])).status_code == 403
    assert not Assessment.objects.filter(status=Status.PROVISIONAL).exists()


# --- the commune's page -------------------------------------------------------------------


def test_before_the_announcement_the_commune_sees_no_appraised_score(client, period, officer):
    client.force_login(officer)
    page = client.get(page_url(period)).content.decode()
    assert "Báo cáo nộp chậm 5 ngày" not in page and "Kết quả thẩm định dự kiến" not in page


def test_the_commune_sees_its_provisional_results_without_a_rank(
    client, announced, officer, django_assert_max_num_queries
):
    client.force_login(officer)
    # session, user, memberships, the assessment; the tree (criteria, scores, evidence, links),
    # the replies with their evidence, the adjustments, the round
    with django_assert_max_num_queries(13):
        response = client.get(page_url(announced))
    page = response.content.decode()
    assert "Kết quả thẩm định dự kiến: Xã Đồng Tâm" in page
    assert 'id="provisional-total">8,75<' in page
    assert 'id="ap-1.2">3,5<' in page and "(-0,5)" in page
    assert "Báo cáo nộp chậm 5 ngày" in page
    assert "xếp thứ" not in page
    assert 'name="opinion" value="disagree"' in page


def test_another_commune_gets_404_for_the_page_and_the_reply(client, announced, other_officer):
    client.force_login(other_officer)
    assert client.get(page_url(announced)).status_code == 404
    url = reverse("scoring:save_reply", args=[announced.code, "A", score_pk("A", "1.2")])
    response = client.post(url, {"version": 0, "opinion": "disagree", "explanation": "x"})
    assert response.status_code == 404
    send = reverse("scoring:send_reply", args=[announced.code, "A"])
    assert client.post(send, {"confirm": "1"}).status_code == 404
    assert not Reply.objects.exists()
    assert Assessment.objects.get(commune__code="A").status == Status.PROVISIONAL


def test_the_commune_disagrees_with_evidence_and_sends_once(client, announced, officer):
    client.force_login(officer)
    url = reverse("scoring:save_reply", args=[announced.code, "A", score_pk("A", "1.2")])
    client.post(url, {"version": 0, "opinion": "disagree", "explanation": ""})
    assert not Reply.objects.exists()  # an explanation is required
    client.post(url, {"version": 0, "opinion": "disagree", "explanation": "Báo cáo gửi đúng hạn"})
    reply = Reply.objects.get()
    upload = SimpleUploadedFile("bao-cao.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(
        reverse("evidence:add", args=[score_pk("A", "1.2")]), {"files": upload}, follow=True
    )
    assert "Đã cập nhật tài liệu kiểm chứng" in response.content.decode(), [
        str(m) for m in response.context["messages"]
    ]
    evidence = Evidence.objects.get(original_name="bao-cao.pdf")
    assert evidence.reply == reply
    send = reverse("scoring:send_reply", args=[announced.code, "A"])
    client.post(send, {"confirm": "1"})
    assert Assessment.objects.get(commune__code="A").status == Status.REPLIED
    client.post(send, {"confirm": "1"})
    assert AuditEvent.objects.filter(action="reply_sent").count() == 1
    page = client.get(page_url(announced)).content.decode()
    assert "Báo cáo gửi đúng hạn" in page and "bao-cao.pdf" in page
    assert 'name="opinion"' not in page
    history = client.get(reverse("scoring:history", args=[announced.code, "A"])).content.decode()
    assert "Gửi ý kiến về kết quả dự kiến" in history
    assert "Thông báo kết quả thẩm định dự kiến" in history


def test_no_reply_after_the_deadline_through_the_page(client, announced, officer):
    Period.objects.filter(pk=announced.pk).update(reply_due=TODAY - datetime.timedelta(days=1))
    client.force_login(officer)
    page = client.get(page_url(announced)).content.decode()
    assert "Đã hết hạn phản hồi" in page and 'name="opinion"' not in page
    url = reverse("scoring:save_reply", args=[announced.code, "A", score_pk("A", "1.2")])
    response = client.post(
        url, {"version": 0, "opinion": "disagree", "explanation": "muộn"}, follow=True
    )
    assert "Đã hết hạn phản hồi" in response.content.decode()
    assert not Reply.objects.exists()


# --- the team's answers, the minutes ------------------------------------------------------


@pytest.fixture
def replied(announced, officer):
    from scoring.models import Score

    score = Score.objects.select_related("criterion", "assessment__period").get(
        pk=score_pk("A", "1.2")
    )
    save_reply(score, disagrees=True, explanation="Báo cáo gửi đúng hạn", by=officer)
    send_reply(Assessment.objects.select_related("period").get(commune__code="A"), by=officer)
    return announced


def test_the_team_accepts_and_the_minutes_print_the_exchange(client, replied, appraiser, officer):
    client.force_login(appraiser)
    page = client.get(page_url(replied)).content.decode()
    assert "Ý kiến của đơn vị về kết quả dự kiến" in page and "Báo cáo gửi đúng hạn" in page
    reply = Reply.objects.get()
    url = reverse("scoring:answer_reply", args=[replied.code, "A", reply.pk])
    response = client.post(
        url, {"version": 1, "answer": "accept", "appraised_score": "4", "note": "Đúng hạn"}
    )
    assert response.status_code == 302
    assert Assessment.objects.get(commune__code="A").status == Status.APPRAISED
    minutes = client.get(reverse("scoring:minutes", args=[replied.code, "A"]))
    text = pdf_text(minutes.content)
    assert "Ý kiến của đơn vị và giải trình của Tổ thẩm định" in text
    assert "Báo cáo gửi đúng hạn" in text and "Chấp nhận: Đúng hạn" in text
    client.force_login(officer)
    page = client.get(page_url(replied)).content.decode()
    assert 'id="ap-1.2">4<' in page and 'id="provisional-total">9,25<' in page


def test_a_commune_officer_cannot_answer(client, replied, officer):
    client.force_login(officer)
    reply = Reply.objects.get()
    url = reverse("scoring:answer_reply", args=[replied.code, "A", reply.pk])
    response = client.post(url, {"version": 1, "answer": "keep", "note": "x"})
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.answer == ""


# --- publishing from the page -------------------------------------------------------------


def test_publish_is_refused_on_the_page_with_an_unanswered_disagreement(
    client, replied, leader, other_officer
):
    send_reply(Assessment.objects.select_related("period").get(commune__code="B"), by=other_officer)
    client.force_login(leader)
    url = reverse("reports:publish", args=[replied.code])
    page = client.get(url).content.decode()
    assert "chưa được tổ thẩm định trả lời" in page
    response = client.post(
        url, {"action": "publish", "decision": "5/QĐ", "confirm_decision": "5/QĐ"}
    )
    assert response.status_code == 422
    assert not Publication.objects.exists()


def test_the_leader_publishes_by_typing_the_decision_number(client, period, leader, officer):
    client.force_login(leader)
    url = reverse("reports:publish", args=[period.code])
    page = client.get(url).content.decode()
    assert "Xem trước bảng xếp hạng sẽ công bố" in page and "8,75" in page
    response = client.post(
        url, {"action": "publish", "decision": "766/QĐ-UBND", "confirm_decision": "766/QĐ"}
    )
    assert response.status_code == 422
    assert "gõ lại đúng số quyết định “766/QĐ-UBND”" in response.content.decode()
    assert not Publication.objects.exists()
    response = client.post(
        url,
        {"action": "publish", "decision": "766/QĐ-UBND", "confirm_decision": "766/QĐ-UBND"},
    )
    assert response.status_code == 302
    assert Publication.objects.get().published_by == leader
    client.force_login(officer)
    page = client.get(page_url(period)).content.decode()
    assert 'id="published-total">8,75<' in page
    assert "xếp thứ 1/2" in page and "Hoàn thành tốt nhiệm vụ" in page
    assert "Báo cáo nộp chậm 5 ngày" in page
    assert reverse("reports:commune_report", args=[period.code, "A"]) in page
