"""No lost update: two users saving the same criterion at the same moment with the same version.

The races run on PostgreSQL with real threads, each on its own connection, released together
by a barrier, a hundred rounds each: one green round proves little. In every round exactly one
save is accepted and the other gets a ConflictError carrying the stored value, and the audit
log stays a chain (each event's old value is the previous event's new value). SQLite
serialises writers, so the threaded races are skipped there; the sequential checks run on both.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from evidence import services as evidence_services
from evidence.models import Evidence
from scoring import rules
from scoring.models import Assessment, AuditEvent, Score
from scoring.services import appraisal
from scoring.services.self_assessment import ConflictError, save_self_score

from .appraisal_data import assessment_of, attach, submitted

D = Decimal
ROUNDS = 100


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Races need PostgreSQL: SQLite lets one writer in at a time, so two saves never "
            "overlap there (run with DATABASE_URL=postgres://…)."
        )


def fresh_score(assessment, code: str) -> Score:
    """The score as a request reads it: joined with its assessment and criterion."""
    return Score.objects.select_related(
        "criterion", "assessment__period__unit", "assessment__commune"
    ).get(assessment=assessment, criterion__code=code)


def race(rounds: int, attempts) -> list[list]:
    """Run `attempts` (one callable per thread, called with the round number) `rounds` times.

    Each thread keeps its own connection for every round; a barrier releases both saves of a
    round together, and the next round starts once both are done. Returns per round what each
    call returned or raised.
    """
    start, done = threading.Barrier(len(attempts)), threading.Barrier(len(attempts))
    results = [[None] * len(attempts) for _ in range(rounds)]

    def worker(index, attempt):
        try:
            for number in range(rounds):
                prepared = attempt.prepare(number)
                start.wait(timeout=30)
                try:
                    results[number][index] = attempt.run(number, prepared)
                except Exception as error:  # recorded, checked by the test
                    results[number][index] = error
                done.wait(timeout=30)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a save hung"
    return results


class Attempt:
    """One side of a race: `prepare` reads what the page would show, `run` saves."""

    def __init__(self, prepare, run):
        self.prepare, self.run = prepare, run


def assert_one_winner_per_round(results, winner_value, stored_value) -> list[int]:
    """Exactly one accepted save per round, the other a ConflictError carrying what the winner
    stored; returns the index of the winner of each round."""
    winners = []
    for number, pair in enumerate(results):
        conflicts = [r for r in pair if isinstance(r, ConflictError)]
        saved = [i for i, r in enumerate(pair) if not isinstance(r, Exception)]
        assert len(saved) == 1 and len(conflicts) == 1, (number, pair)
        winner = saved[0]
        assert stored_value(conflicts[0].current) == winner_value(number, winner), (number, pair)
        winners.append(winner)
    return winners


def shown(value) -> str:
    """A value as the audit log writes it."""
    return rules.format_score(value) if isinstance(value, Decimal) else value


def assert_audit_chain(assessment, code: str, field: str, expected_news: list[str]) -> None:
    """One event per accepted save, each old value the previous new value."""
    events = list(
        AuditEvent.objects.filter(
            assessment=assessment, criterion__code=code, field_name=field
        ).order_by("id")
    )
    assert [e.new_value for e in events] == expected_news
    for previous, event in zip(events, events[1:]):
        assert event.old_value == previous.new_value, (previous.pk, event.pk)


# --- self scores and explanations ---------------------------------------------------------


def self_value(number: int, side: int) -> Decimal:
    """Distinct in-range (max 2) values: never equal across sides or to the previous round."""
    return D(number + 500 * side) / 1000 + D("0.001")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["self_score", "self_note"])
def test_two_officers_saving_one_criterion_never_both_win(postgres_only, period, units, officer, what):
    assessment = assessment_of(period, units["commune"])

    def wanted(number, side):
        if what == "self_score":
            return {"self_score": self_value(number, side), "self_note": ""}
        return {"self_score": D(1), "self_note": f"Giải trình {number}-{side}"}

    def attempt(side):
        return Attempt(
            prepare=lambda number: fresh_score(assessment, "1.1"),
            run=lambda number, score: save_self_score(
                score, version=score.version, by=officer, **wanted(number, side)
            ),
        )

    results = race(ROUNDS, [attempt(0), attempt(1)])

    winners = assert_one_winner_per_round(
        results,
        lambda number, side: wanted(number, side)[what],
        lambda current: getattr(current, what),
    )
    stored = fresh_score(assessment, "1.1")
    assert getattr(stored, what) == wanted(ROUNDS - 1, winners[-1])[what]
    assert stored.version == 1 + ROUNDS
    assert_audit_chain(
        assessment, "1.1", what, [shown(wanted(n, w)[what]) for n, w in enumerate(winners)]
    )


# --- appraised scores and appraisal notes -------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["appraised_score", "appraisal_note"])
def test_two_appraisers_saving_one_criterion_never_both_win(postgres_only, period, units, appraiser, what):
    assessment = submitted(period, units["commune"])

    def wanted(number, side):
        if what == "appraised_score":
            return {"value": self_value(number, side), "note": "Thiếu văn bản"}
        return {"value": D("1.5"), "note": f"Ý kiến {number}-{side}"}

    def attempt(side):
        return Attempt(
            prepare=lambda number: fresh_score(assessment, "1.1"),
            run=lambda number, score: appraisal.appraise_score(
                score, version=score.version, by=appraiser, **wanted(number, side)
            ),
        )

    results = race(ROUNDS, [attempt(0), attempt(1)])

    key = "value" if what == "appraised_score" else "note"
    winners = assert_one_winner_per_round(
        results, lambda number, side: wanted(number, side)[key], lambda c: getattr(c, what)
    )
    stored = fresh_score(assessment, "1.1")
    assert getattr(stored, what) == wanted(ROUNDS - 1, winners[-1])[key]
    assert stored.version == 1 + ROUNDS
    assert_audit_chain(
        assessment, "1.1", what, [shown(wanted(n, w)[key]) for n, w in enumerate(winners)]
    )
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.UNDER_REVIEW


# --- evidence links -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_officers_linking_one_file_record_one_link(postgres_only, period, units, officer):
    assessment = assessment_of(period, units["commune"])
    rounds = 20
    items = [attach(assessment, "1.1", f"tep-{n}.pdf", by=officer) for n in range(rounds)]

    def attempt():
        return Attempt(
            prepare=lambda number: (
                Evidence.objects.get(pk=items[number].pk),
                fresh_score(assessment, "1.2"),
            ),
            run=lambda number, prepared: evidence_services.link_evidence(
                [prepared[0]], prepared[1], by=officer
            ),
        )

    results = race(rounds, [attempt(), attempt()])

    assert [sorted(pair) for pair in results] == [[0, 1]] * rounds
    assert AuditEvent.objects.filter(action="evidence_linked").count() == rounds


@pytest.mark.django_db(transaction=True)
def test_removing_a_file_from_two_criteria_at_once_deletes_it(postgres_only, period, units, officer):
    assessment = assessment_of(period, units["commune"])
    rounds = 20
    items = []
    for number in range(rounds):
        item = attach(assessment, "1.1", f"tep-{number}.pdf", by=officer)
        item.scores.add(Score.objects.get(assessment=assessment, criterion__code="1.2"))
        items.append(item)

    def attempt(code):
        return Attempt(
            prepare=lambda number: (
                Evidence.objects.get(pk=items[number].pk),
                fresh_score(assessment, code),
            ),
            run=lambda number, prepared: evidence_services.remove_evidence(
                prepared[0], prepared[1], by=officer
            ),
        )

    results = race(rounds, [attempt("1.1"), attempt("1.2")])

    # The second removal sees the first: the item proves nothing any more and is deleted.
    assert [sorted(pair) for pair in results] == [[False, True]] * rounds
    assert not Evidence.objects.filter(assessment=assessment).exists()


# --- the page: two officers' browsers ------------------------------------------------------


def save_url(assessment, score) -> str:
    return reverse(
        "scoring:save_score", args=[assessment.period.code, assessment.commune.code, score.pk]
    )


@pytest.mark.django_db(transaction=True)
def test_two_browsers_saving_at_once_get_one_200_and_one_409_with_both_values(
    postgres_only, period, units, officer
):
    from communes.models import Role
    from tests.factories import make_user

    colleague = make_user("canbo_a2", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = assessment_of(period, units["commune"])
    clients = []
    for user in (officer, colleague):
        client = Client()
        client.force_login(user)
        clients.append(client)
    rounds = 20

    def attempt(side):
        def run(number, score):
            value = str(self_value(number, side)).replace(".", ",")
            response = clients[side].post(
                save_url(assessment, score),
                {"self_score": value, "self_note": "", "version": score.version},
                HTTP_X_AUTOSAVE="1",
            )
            return response.status_code, value, response.content.decode()

        return Attempt(prepare=lambda number: fresh_score(assessment, "1.1"), run=run)

    results = race(rounds, [attempt(0), attempt(1)])

    winners = []
    for number, pair in enumerate(results):
        assert sorted(status for status, _, _ in pair) == [200, 409], number
        (_, won, _), (_, lost, page) = sorted(pair)
        # The 409 shows the stored value (the other browser's) beside the one just typed.
        assert "Đã lưu" in page and "Bạn vừa nhập" in page
        stored = rules.format_score(D(won.replace(",", ".")))
        assert f"<td>{stored}</td>" in page and f"<td>{lost}</td>" in page
        winners.append(stored)
    assert_audit_chain(assessment, "1.1", "self_score", winners)


# --- both databases: the sequential cases -----------------------------------------------------


@pytest.mark.django_db
def test_a_stale_save_is_refused_with_the_stored_value_and_nothing_audited(period, units, officer):
    assessment = assessment_of(period, units["commune"])
    first, second = fresh_score(assessment, "1.1"), fresh_score(assessment, "1.1")
    save_self_score(first, version=1, self_score=D("1.5"), by=officer)
    with pytest.raises(ConflictError) as refused:
        save_self_score(second, version=1, self_score=D("0.5"), by=officer)
    assert refused.value.current.self_score == D("1.5") and refused.value.current.version == 2
    assert list(AuditEvent.objects.filter(action="score_changed").values_list(
        "field_name", "old_value", "new_value"
    )) == [
        ("self_score", "", "1,5")
    ]
    # The same values as stored are no conflict: nothing to lose, the page takes version 2.
    assert save_self_score(second, version=1, self_score=D("1.5"), by=officer).version == 2
    assert AuditEvent.objects.filter(action="score_changed").count() == 1


@pytest.mark.django_db
def test_a_return_renews_the_version_of_criteria_it_no_longer_asks_for(period, units, appraiser):
    assessment = submitted(period, units["commune"])
    appraisal.return_criteria(assessment, {fresh_score(assessment, "1.1").criterion_id: "Bổ sung"}, by=appraiser)
    assessment = assessment_of(period, units["commune"])
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.UNDER_REVIEW)
    before = fresh_score(assessment, "1.1").version
    appraisal.return_criteria(
        assessment_of(period, units["commune"]),
        {fresh_score(assessment, "1.2").criterion_id: "Bổ sung"},
        by=appraiser,
    )
    # 1.1 is no longer returned: a page that still offers it gets a conflict, not a save.
    assert fresh_score(assessment, "1.1").version == before + 1
