"""No lost update in the reply round (issue 12): two officers saving the same criterion's
opinion, two officers sending the reply, two appraisers answering the same disagreement, each
pair released together on its own PostgreSQL connection, twenty rounds each. Exactly one wins
every round; the other is refused, and the audit log has one event per win."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections

from scoring.models import Assessment, AuditEvent, Reply, ReplyRound, Score
from scoring.services import WorkflowError
from scoring.services.replies import (
    ReplyConflict,
    announce_provisional,
    answer_reply,
    save_reply,
    send_reply,
)

from ..factories import make_period
from .publish_data import appraise

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 20
TODAY = datetime.date.today()


@pytest.fixture
def announced(units, appraiser):
    if connection.vendor != "postgresql":
        pytest.skip("Races need PostgreSQL (SQLite lets one writer in at a time).")
    period = make_period(
        units["district"],
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=10),
        reply_due=TODAY + datetime.timedelta(days=3),
    )
    appraise(period, {"A": {"1.1": "2", "1.2": "3", "2.1": "3"}})
    announce_provisional(period, by=appraiser, communes=["A"])
    return period


def score_12() -> Score:
    return Score.objects.select_related("criterion", "assessment__period").get(
        assessment__commune__code="A", criterion__code="1.2"
    )


def together(*calls) -> list:
    """Run the calls at once, each on its own connection; what each returned or raised."""
    gate, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            gate.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # recorded, checked by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a write hung"
    return results


def test_two_officers_saving_one_opinion_never_both_win(announced, officer):
    for number in range(ROUNDS):
        reply = Reply.objects.filter(score__criterion__code="1.2").first()
        version = reply.version if reply else 0
        results = together(
            *(
                lambda text=text: save_reply(
                    score_12(), disagrees=True, explanation=text, version=version, by=officer
                )
                for text in (f"Ý kiến {number} thứ nhất", f"Ý kiến {number} thứ hai")
            )
        )
        won = [r for r in results if isinstance(r, Reply)]
        assert len(won) == 1 and sum(isinstance(r, ReplyConflict) for r in results) == 1, results
        stored = Reply.objects.get(score__criterion__code="1.2")
        assert (stored.version, stored.explanation) == (version + 1, won[0].explanation)
    assert AuditEvent.objects.filter(action="reply_saved").count() == ROUNDS


def test_two_officers_sending_the_reply_send_it_once(announced, officer):
    save_reply(score_12(), disagrees=True, explanation="Có báo cáo", by=officer)
    for number in range(ROUNDS):
        if number:  # back to an unsent round
            ReplyRound.objects.update(sent_at=None, sent_by=None)
            Assessment.objects.filter(commune__code="A").update(
                status=Assessment.Status.PROVISIONAL
            )
        results = together(
            *(
                lambda: send_reply(
                    Assessment.objects.select_related("period").get(commune__code="A"),
                    by=officer,
                )
                for _ in range(2)
            )
        )
        assert sum(isinstance(r, ReplyRound) for r in results) == 1, results
        assert sum(isinstance(r, WorkflowError) for r in results) == 1, results
        assert AuditEvent.objects.filter(action="reply_sent").count() == number + 1


def test_two_appraisers_answering_one_disagreement_never_both_win(
    announced, officer, appraiser, units
):
    from communes.models import Role

    from ..factories import make_user

    second = make_user("thamdinh_2", unit=units["district"], role=Role.APPRAISER)
    save_reply(score_12(), disagrees=True, explanation="Có báo cáo", by=officer)
    send_reply(Assessment.objects.select_related("period").get(commune__code="A"), by=officer)
    for number in range(ROUNDS):
        if number:  # the disagreement waiting again
            Reply.objects.update(answer="", answer_note="", appraised_after=None, version=1)
            ReplyRound.objects.update(closed_at=None)
            Assessment.objects.filter(commune__code="A").update(status=Assessment.Status.REPLIED)
        results = together(
            lambda: answer_reply(
                Reply.objects.get(), accept=True, value="4", note="Chấp nhận", version=1,
                by=appraiser,
            ),
            lambda: answer_reply(
                Reply.objects.get(), accept=False, note="Giữ nguyên", version=1, by=second
            ),
        )
        assert sum(isinstance(r, Reply) for r in results) == 1, results
        assert sum(isinstance(r, WorkflowError) for r in results) == 1, results
        assert AuditEvent.objects.filter(action="reply_answered").count() == number + 1
        assert Assessment.objects.get(commune__code="A").status == Assessment.Status.APPRAISED
