"""The reply round's admin pages (rounds and replies): read-only for everyone, superusers
included, and every page in bounded queries however many rounds and replies there are."""

import datetime

import pytest

from scoring.models import Reply, ReplyRound, Score
from scoring.services.replies import announce_provisional, answer_reply, save_reply, send_reply

from ..factories import make_period
from .publish_data import add_communes, appraise_all

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()

# page: (changelist, change page). Session and user (2); a changelist counts (2), reads one
# page of rows with their joins (1) and its period filter's choices (1); a change page reads
# the object with its joins (1), a round its replies with their criteria (+1).
PAGES = {
    "replyround": (6, 4),
    "reply": (6, 3),
}


def reply_round(period, appraiser, officer, *, answer=True) -> None:
    """Announce, disagree on 1.2 from A's officer, send; the team keeps the score."""
    announce_provisional(period, by=appraiser)
    score = Score.objects.get(assessment__period=period, assessment__commune__code="A",
                              criterion__code="1.2")
    save_reply(score, disagrees=True, explanation="Báo cáo quý IV đã gửi", by=officer)
    send_reply(score.assessment, by=officer)
    if answer:
        reply = Reply.objects.get(score=score)
        answer_reply(reply, accept=False, note="Báo cáo gửi sau hạn", version=reply.version,
                     by=appraiser)


@pytest.fixture
def objects(units, appraiser, officer):
    period = make_period(
        units["district"], opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=10), reply_due=TODAY,
    )
    appraise_all(period)
    reply_round(period, appraiser, officer)
    return {
        "replyround": ReplyRound.objects.get(assessment__commune__code="A"),
        "reply": Reply.objects.get(),
        "district": units["district"],
    }


@pytest.mark.parametrize("name", PAGES)
def test_every_page_answers_in_bounded_queries(
    admin_client, objects, name, django_assert_max_num_queries
):
    list_bound, change_bound = PAGES[name]
    base = f"/admin/scoring/{name}/"
    change = f"{base}{objects[name].pk}/change/"
    admin_client.get(base), admin_client.get(change)  # warm-up: Django caches content types
    with django_assert_max_num_queries(list_bound) as few:
        page = admin_client.get(base)
    assert page.status_code == 200 and "Xã Đồng Tâm" in page.content.decode()
    with django_assert_max_num_queries(change_bound) as few_change:
        page = admin_client.get(change)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Báo cáo quý IV đã gửi" in text and "Báo cáo gửi sau hạn" in text
    # 20 more communes in the round (their rounds listed), more replies on A's round.
    add_communes(objects["district"], 20)
    period = make_period(
        objects["district"], code="P2025", year=2025,
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=10), reply_due=TODAY,
    )
    appraise_all(period)
    announce_provisional(period, by=objects["reply"].answered_by)
    for code in ("1.1", "2.1"):
        Reply.objects.create(
            round=objects["replyround"], explanation=code,
            score=Score.objects.get(assessment=objects["replyround"].assessment_id,
                                    criterion__code=code),
        )
    with django_assert_max_num_queries(list_bound) as many:
        assert admin_client.get(base).status_code == 200
    assert len(many) == len(few)
    with django_assert_max_num_queries(change_bound) as many_change:
        assert admin_client.get(change).status_code == 200
    assert len(many_change) == len(few_change)


@pytest.mark.parametrize("name", PAGES)
def test_nobody_adds_changes_or_deletes_a_reply_here(admin_client, objects, name):
    base = f"/admin/scoring/{name}/"
    pk = objects[name].pk
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.get(f"{base}{pk}/delete/").status_code == 403
    page = admin_client.get(f"{base}{pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(f"{base}{pk}/change/", {"explanation": "x"}).status_code == 403
    model = ReplyRound if name == "replyround" else Reply
    assert model.objects.filter(pk=pk).exists()
