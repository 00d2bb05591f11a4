"""No lost update through the imports and the admin: files imported while others save.

An import decides each changed score's old value (its audit event) and whether the assessment
may still change before it writes; both must hold until it commits. The races run on
PostgreSQL with real threads, each on its own connection, released together by a barrier,
20 rounds each (see test_concurrency.py). What must hold in every round: the audit log of a
criterion stays a chain (each event's old value is the previous event's new value), the
stored value is the last event's new value, every write adds 1 to the score's version, and
nothing is written into an assessment that was locked first. SQLite serialises writers: the
races are skipped there; the sequential checks run on both databases.
"""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.test import Client

from communes.models import Unit
from scoring import rules
from scoring.models import (
    Assessment,
    AuditEvent,
    Criterion,
    ProcedureFigures,
    Method,
    Period,
    Publication,
    Score,
)
from scoring.services import WorkflowError, appraisal, locked_assessment
from scoring.services.import_rows import lock_assessments
from scoring.services.procedure_import import REQUIRED as TTHC_COLUMNS
from scoring.services.procedure_import import OPTIONAL as TTHC_OPTIONAL
from scoring.services.procedure_import import ProcedureImport, import_procedure_figures
from scoring.services.publishing import publish_period, reopen_for_correction
from scoring.services.score_import import REQUIRED as SCORE_COLUMNS
from scoring.services.score_import import ScoreImport, import_scores
from scoring.services.self_assessment import ConflictError
from scoring.services.survey_import import REQUIRED as SURVEY_COLUMNS
from scoring.services.survey_import import SurveyImport, import_survey
from tabular import ImportFailed, read_table
from tests.factories import make_user, score_admin_form

from . import test_concurrency
from .appraisal_data import assessment_of, submitted
from .publish_data import appraise_all
from .test_concurrency import Attempt, fresh_score, race

postgres_only = test_concurrency.postgres_only  # the fixture: races are skipped on SQLite

D = Decimal
ROUNDS = 20
CONFLICT = "vừa được cập nhật sau khi trang được mở"


@pytest.fixture
def survey_period(period):
    """The flat tree with 2.1 (max 4) measured by SIPAS."""
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(
        method=Method.SIPAS
    )
    return period


def value(number: int, side: int, top: int = 4) -> Decimal:
    """Distinct in-range values: never equal across sides or rounds, at most `top`."""
    return D(2 * number + side + 1) * top / (2 * ROUNDS)


def fresh_period(period) -> Period:
    """The period as a request reads it (each thread its own instance)."""
    return Period.objects.select_related("criteria_set", "unit").get(pk=period.pk)


def survey_table(tmp_path, name: str, points: Decimal):
    path = tmp_path / name
    path.write_text(f"commune_code,criterion_code,value\nA,2.1,{points}\n", encoding="utf-8")
    return read_table(path, name, required=SURVEY_COLUMNS)


def scores_table(tmp_path, name: str, appraised: Decimal):
    """Commune A's three leaves: 1.1 appraised at `appraised`, the rest as the commune scored."""
    path = tmp_path / name
    path.write_text(
        "commune_code,criterion_code,self_score,appraised_score\n"
        f"A,1.1,2,{appraised}\nA,1.2,3.5,3.5\nA,2.1,4,4\n",
        encoding="utf-8",
    )
    return read_table(path, name, required=SCORE_COLUMNS)


def events_of(assessment, code: str, field: str = "appraised_score") -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            assessment=assessment, criterion__code=code, field_name=field
        ).order_by("id")
    )


def assert_chain(events: list[AuditEvent], stored) -> None:
    """Each event's old value is the previous event's new value; the stored value is the last."""
    for previous, event in zip(events, events[1:]):
        assert event.old_value == previous.new_value, (
            (previous.action, previous.old_value, previous.new_value),
            (event.action, event.old_value, event.new_value),
        )
    assert events[-1].new_value == rules.format_score(stored)


def admin_data(score_value: Decimal, seen_version: int) -> dict:
    return score_admin_form(
        seen_version=seen_version,
        appraised_score=str(score_value),
        audit_reason="Sửa theo biên bản khảo sát",
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- survey imports -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_survey_imports_of_one_criterion_keep_one_audit_chain(
    postgres_only, survey_period, units, appraiser, tmp_path
):
    assessment = assessment_of(survey_period, units["commune"])

    def attempt(side):
        return Attempt(
            prepare=lambda number: (
                fresh_period(survey_period),
                survey_table(tmp_path, f"sipas-{number}-{side}.csv", value(number, side)),
            ),
            run=lambda number, prepared: import_survey(
                prepared[1], period=prepared[0], by=appraiser
            ),
        )

    results = race(ROUNDS, [attempt(0), attempt(1)])

    assert all(isinstance(r, SurveyImport) for pair in results for r in pair), results
    events = events_of(assessment, "2.1")
    assert len(events) == 2 * ROUNDS
    for number in range(ROUNDS):
        assert {e.new_value for e in events[2 * number : 2 * number + 2]} == {
            rules.format_score(value(number, side)) for side in (0, 1)
        }
    stored = fresh_score(assessment, "2.1")
    assert stored.appraised_score in (value(ROUNDS - 1, 0), value(ROUNDS - 1, 1))
    assert_chain(events, stored.appraised_score)
    assert stored.version == 1 + 2 * ROUNDS  # no import's bump lost


@pytest.mark.django_db(transaction=True)
def test_a_survey_import_racing_an_admin_edit_loses_neither(
    postgres_only, survey_period, units, appraiser, admin_user, tmp_path
):
    assessment = assessment_of(survey_period, units["commune"])
    client = logged_in(admin_user)

    def late_import(number, period, table):
        # An admin request takes longer than an import: starting the import 0–60 ms late lets
        # the admin's save come first, last or in the middle of it across the rounds.
        time.sleep(number % 4 * 0.02)
        return import_survey(table, period=period, by=appraiser)

    def admin_edit(number, score):
        response = client.post(
            f"/admin/scoring/score/{score.pk}/change/", admin_data(value(number, 1), score.version)
        )
        return response.status_code, response.content.decode()

    results = race(
        ROUNDS,
        [
            Attempt(
                prepare=lambda number: (
                    fresh_period(survey_period),
                    survey_table(tmp_path, f"sipas-{number}.csv", value(number, 0)),
                ),
                run=lambda number, prepared: late_import(number, *prepared),
            ),
            Attempt(prepare=lambda number: fresh_score(assessment, "2.1"), run=admin_edit),
        ],
    )

    saved = 0
    for number, (imported, (status, page)) in enumerate(results):
        assert isinstance(imported, SurveyImport), (number, imported)
        # The admin saves first, or the import bumped the version the page showed: a conflict.
        assert status == 302 or (status == 200 and CONFLICT in page), (number, status)
        saved += status == 302
    events = events_of(assessment, "2.1")
    assert len(events) == ROUNDS + saved
    stored = fresh_score(assessment, "2.1")
    assert_chain(events, stored.appraised_score)
    assert stored.version == 1 + ROUNDS + saved


@pytest.mark.django_db(transaction=True)
def test_a_survey_import_never_writes_into_an_assessment_locked_meanwhile(
    postgres_only, survey_period, units, appraiser, tmp_path
):
    assessment = assessment_of(survey_period, units["commune"])

    def lock(number, _prepared):
        return appraisal.lock_assessment(
            assessment_of(survey_period, units["commune"]), reason=f"Khóa lần {number}",
            by=appraiser,
        )

    def unlocked(number):
        Assessment.objects.filter(pk=assessment.pk).update(locked=False)

    results = race(
        ROUNDS,
        [
            Attempt(
                prepare=lambda number: (
                    fresh_period(survey_period),
                    survey_table(tmp_path, f"sipas-{number}.csv", value(number, 0)),
                ),
                run=lambda number, prepared: import_survey(
                    prepared[1], period=prepared[0], by=appraiser
                ),
            ),
            Attempt(prepare=unlocked, run=lock),
        ],
    )

    for number, (imported, locked) in enumerate(results):
        assert locked == 1, (number, locked)
        lock_event = AuditEvent.objects.get(action="locked", reason=f"Khóa lần {number}")
        if isinstance(imported, ImportFailed):
            assert "đang bị khóa" in imported.lines()[0], imported.lines()
            continue
        assert isinstance(imported, SurveyImport), (number, imported)
        # Imported first: its events come before the lock's, never after it.
        written = AuditEvent.objects.get(
            action="survey_imported", reason=f"Nhập từ tệp “sipas-{number}.csv”"
        )
        assert written.pk < lock_event.pk, number
    stored = fresh_score(assessment, "2.1")
    assert_chain(events_of(assessment, "2.1"), stored.appraised_score)


# --- score imports --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_score_imports_of_one_commune_keep_one_audit_chain(
    postgres_only, period, units, appraiser, tmp_path
):
    assessment = submitted(period, units["commune"])

    def attempt(side):
        return Attempt(
            prepare=lambda number: (
                fresh_period(period),
                scores_table(tmp_path, f"diem-{number}-{side}.csv", value(number, side, top=2)),
            ),
            run=lambda number, prepared: import_scores(
                prepared[1], period=prepared[0], by=appraiser
            ),
        )

    results = race(ROUNDS, [attempt(0), attempt(1)])

    assert all(isinstance(r, ScoreImport) for pair in results for r in pair), results
    events = events_of(assessment, "1.1")
    # The first import of all sets 1.1 where nothing was appraised: no old value, no event.
    assert len(events) == 2 * ROUNDS - 1
    stored = fresh_score(assessment, "1.1")
    assert stored.appraised_score in (value(ROUNDS - 1, 0, 2), value(ROUNDS - 1, 1, 2))
    assert_chain(events, stored.appraised_score)
    assert stored.version == 1 + 2 * ROUNDS


@pytest.mark.django_db(transaction=True)
def test_a_score_import_racing_an_appraisers_save_loses_neither(
    postgres_only, period, units, appraiser, tmp_path
):
    assessment = submitted(period, units["commune"])
    appraisal.appraise_score(
        fresh_score(assessment, "1.1"), value="2", note="", version=1, by=appraiser
    )

    def under_review(number):
        # Each round starts under review: the import of the round before marked it appraised.
        Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.UNDER_REVIEW)
        return fresh_score(assessment, "1.1")

    results = race(
        ROUNDS,
        [
            Attempt(
                prepare=lambda number: (
                    fresh_period(period),
                    scores_table(tmp_path, f"diem-{number}.csv", value(number, 0, top=2)),
                ),
                run=lambda number, prepared: import_scores(
                    prepared[1], period=prepared[0], by=appraiser
                ),
            ),
            Attempt(
                prepare=under_review,
                run=lambda number, score: appraisal.appraise_score(
                    score, value=value(number, 1, top=2), note="Theo biên bản",
                    version=score.version, by=appraiser,
                ),
            ),
        ],
    )

    saved = 0
    for number, (imported, save) in enumerate(results):
        assert isinstance(imported, ScoreImport), (number, imported)
        # Saved before the import, or refused after it: the import left the assessment
        # appraised (WorkflowError) or changed the score the page showed (ConflictError).
        assert isinstance(save, (Score, WorkflowError, ConflictError)), (number, save)
        saved += isinstance(save, Score)
    events = events_of(assessment, "1.1")
    assert len(events) == 1 + ROUNDS + saved
    stored = fresh_score(assessment, "1.1")
    assert_chain(events, stored.appraised_score)
    assert stored.version == 2 + ROUNDS + saved


# --- the admin's score form -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_admin_edit_racing_a_publication_is_published_or_refused(
    postgres_only, period, units, leader, admin_user
):
    appraise_all(period, "1")
    assessment = assessment_of(period, units["commune"])
    client = logged_in(admin_user)

    def reopened(number):
        if Period.objects.get(pk=period.pk).is_published:
            reopen_for_correction(period, by=leader, reason=f"Mở lại lần {number}")

    def late_publish(number, _prepared):
        # 0–60 ms late: the admin's save comes before, during or after the publication.
        time.sleep(number % 4 * 0.02)
        return publish_period(fresh_period(period), by=leader, reason=f"Điều chỉnh lần {number}")

    def admin_edit(number, score):
        response = client.post(
            f"/admin/scoring/score/{score.pk}/change/",
            {**admin_data(value(number, 1, top=2), score.version), "self_score": "1"},
        )
        return response.status_code, response.content.decode()

    results = race(
        ROUNDS,
        [
            Attempt(prepare=reopened, run=late_publish),
            Attempt(prepare=lambda number: fresh_score(assessment, "1.1"), run=admin_edit),
        ],
    )

    stored = D(1)
    for number, (publication, (status, page)) in enumerate(results):
        assert isinstance(publication, Publication), (number, publication)
        published = AuditEvent.objects.get(action="period_published", detail__version=number + 1)
        edits = AuditEvent.objects.filter(
            action="score_changed_in_admin", new_value=rules.format_score(value(number, 1, 2))
        )
        if status == 302:
            # Saved first: the publication counted it.
            assert edits.get().pk < published.pk, number
            stored = value(number, 1, 2)
        else:
            # The page was refused: already published (403), or published while it waited.
            assert status == 403 or "Không lưu được" in page, (number, status)
            assert not edits.exists(), number
        total = publication.results.get(commune__code="A").total
        assert total == 2 + stored, (number, total, stored)
    assert fresh_score(assessment, "1.1").appraised_score == stored


# --- the admin's score form (both databases) --------------------------------------------------


@pytest.mark.django_db
def test_an_admin_edit_bumps_the_version_and_is_audited_once_with_the_stored_old_value(
    admin_client, period, units, appraiser
):
    assessment = submitted(period, units["commune"])
    page = fresh_score(assessment, "1.1")  # what an appraiser's page read (version 1)
    url = f"/admin/scoring/score/{page.pk}/change/"
    data = {**admin_data(D("1.5"), 1), "self_score": "2", "self_note": "Giải trình tiêu chí 1.1"}

    assert admin_client.post(url, data).status_code == 302
    second = {**data, "appraised_score": "1", "seen_version": "2"}
    assert admin_client.post(url, second).status_code == 302
    # The page read before both edits is stale: resent, it changes nothing.
    response = admin_client.post(url, {**data, "appraised_score": "0.5"})
    assert CONFLICT in response.content.decode()

    stored = fresh_score(assessment, "1.1")
    assert (stored.appraised_score, stored.version) == (D(1), 3)
    events = AuditEvent.objects.filter(action="score_changed_in_admin").order_by("id")
    assert [(e.field_name, e.old_value, e.new_value) for e in events] == [
        ("appraised_score", "", "1,5"),
        ("appraised_score", "1,5", "1"),
    ]
    # The appraiser's page still shows version 1: its save is refused, not written over.
    with pytest.raises(ConflictError) as refused:
        appraisal.appraise_score(page, value="2", note="", version=1, by=appraiser)
    assert refused.value.current.version == 3


@pytest.mark.django_db
def test_a_survey_import_bumps_the_version_an_admin_page_showed(
    admin_client, survey_period, units, appraiser, tmp_path
):
    assessment = assessment_of(survey_period, units["commune"])
    score = fresh_score(assessment, "2.1")
    import_survey(survey_table(tmp_path, "sipas.csv", D("3.5")), period=survey_period, by=appraiser)
    response = admin_client.post(
        f"/admin/scoring/score/{score.pk}/change/", admin_data(D(1), score.version)
    )
    assert CONFLICT in response.content.decode()
    stored = fresh_score(assessment, "2.1")
    assert (stored.appraised_score, stored.version) == (D("3.5"), 2)


# --- bulk lock and reopen beside a multi-commune import ----------------------------------------


def codes_against_ids(period, units) -> tuple[Assessment, Assessment]:
    """Communes A and B renamed so that code order is the reverse of their assessments' ids
    (as real codes often are): a bulk step locking by code would take B before A."""
    first, second = (assessment_of(period, units[name]) for name in ("commune", "other_commune"))
    assert first.pk < second.pk
    Unit.objects.filter(pk=first.commune_id).update(code="25000")
    Unit.objects.filter(pk=second.commune_id).update(code="24999")
    return first, second


def waiting_on_a_lock() -> bool:
    """Whether another connection of this database waits on a row lock now."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["lock", "reopen"])
def test_a_bulk_lock_or_reopen_waits_for_a_multi_commune_import_instead_of_deadlocking(
    postgres_only, period, units, appraiser, step
):
    first, second = codes_against_ids(period, units)
    if step == "reopen":
        Assessment.objects.filter(pk__in=[first.pk, second.pk]).update(
            status=Assessment.Status.APPRAISED
        )
    holding, results = threading.Event(), {}

    def importer():
        # The import's order: the first assessment by id is held while the bulk step starts,
        # then the file's other commune is locked.
        try:
            with transaction.atomic():
                locked_assessment(first.pk)
                holding.set()
                deadline = time.monotonic() + 10
                while not waiting_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.01)
                lock_assessments(fresh_period(period), ["25000", "24999"])
            results["import"] = "done"
        except Exception as error:  # recorded, checked below
            results["import"] = error
        finally:
            connections.close_all()

    def bulk():
        holding.wait(timeout=10)
        pair = list(Assessment.objects.filter(pk__in=[second.pk, first.pk]).order_by("-pk"))
        try:
            if step == "lock":
                results["bulk"] = appraisal.set_locked(pair, True, reason="Khóa", by=appraiser)
            else:
                results["bulk"] = appraisal.reopen_assessments(pair, reason="Mở", by=appraiser)
        except Exception as error:
            results["bulk"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for run in (importer, bulk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Locking B before A, the bulk step made the import wait on B while it waited on A:
    # PostgreSQL broke the deadlock by failing one of them.
    assert results == {"import": "done", "bulk": 2}, results


@pytest.mark.django_db
def test_a_bulk_reopen_names_its_refusals_in_commune_order(period, units, appraiser):
    first, second = codes_against_ids(period, units)
    with pytest.raises(WorkflowError) as refused:
        appraisal.reopen_assessments([first, second], reason="Mở", by=appraiser)
    assert str(refused.value) == (
        "Không mở lại được: Thị trấn Ninh Giang: cần ngày mở lại đến; "
        "Xã Đồng Tâm: cần ngày mở lại đến."
    )


@pytest.mark.django_db(transaction=True)
def test_an_admin_assignment_racing_a_lock_loses_no_version_bump(
    postgres_only, period, units, appraiser, admin_user
):
    assessment = assessment_of(period, units["commune"])
    others = [make_user(f"thamdinh{i}", unit=units["district"]) for i in (1, 2)]
    client = logged_in(admin_user)

    def assign(number, _prepared):
        time.sleep(number % 4 * 0.01)  # before, during or after the lock across the rounds
        response = client.post(
            f"/admin/scoring/assessment/{assessment.pk}/change/",
            {"assignee": others[number % 2].pk, "scores-TOTAL_FORMS": "0",
             "scores-INITIAL_FORMS": "0", "scores-MIN_NUM_FORMS": "0",
             "scores-MAX_NUM_FORMS": "1000"},
        )
        return response.status_code

    def toggle(number, _prepared):
        return appraisal.set_locked(
            [assessment_of(period, units["commune"])], number % 2 == 0, reason="Khóa", by=appraiser
        )

    results = race(ROUNDS, [Attempt(lambda n: None, assign), Attempt(lambda n: None, toggle)])

    assert all(pair == [302, 1] for pair in results), results
    # Every assignment and every lock or unlock added 1: none wrote over another's version.
    assert Assessment.objects.get(pk=assessment.pk).version == 1 + 2 * ROUNDS
    events = list(AuditEvent.objects.filter(action="assignee_changed").order_by("id"))
    assert [e.old_value for e in events[1:]] == [e.new_value for e in events[:-1]]


# --- the admin's period and TTHC figure forms -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_admin_period_edit_racing_a_publication_never_unpublishes_it(
    postgres_only, period, units, leader, admin_user
):
    appraise_all(period, "1")
    client = logged_in(admin_user)
    left_unpublished = []

    def reopened(number):
        stored = Period.objects.get(pk=period.pk)
        if number and not stored.is_published:
            left_unpublished.append((number - 1, stored.status))
        if stored.is_published:
            reopen_for_correction(period, by=leader, reason=f"Mở lại lần {number}")
        return fresh_period(period)  # the admin's page, opened after the reopening

    def late_publish(number, _prepared):
        time.sleep(number % 4 * 0.01)  # before, during or after the admin's save
        return publish_period(fresh_period(period), by=leader, reason=f"Điều chỉnh lần {number}")

    def admin_edit(number, shown):
        response = client.post(
            f"/admin/scoring/period/{period.pk}/change/",
            {
                "code": shown.code, "year": str(shown.year), "name": f"Tên lần {number}",
                "status": shown.status, "seen_status": shown.status,
                "opens_on": shown.opens_on.strftime("%d/%m/%Y"),
                "self_assessment_due": shown.self_assessment_due.strftime("%d/%m/%Y"),
                "appraisal_due": shown.appraisal_due.strftime("%d/%m/%Y"),
                "bands_text": rules.format_bands(shown.band_list()), "previous": "",
            },
        )
        return response.status_code, response.content.decode()

    results = race(
        ROUNDS,
        [
            Attempt(prepare=lambda number: None, run=late_publish),
            Attempt(prepare=reopened, run=admin_edit),
        ],
    )

    for number, (publication, (status, page)) in enumerate(results):
        assert isinstance(publication, Publication), (number, publication)
        # Saved before the publication, or refused: published already (403) or meanwhile.
        assert status in (302, 403) or "vừa được công bố" in page, (
            number, status, re.findall(r'class="errorlist[^>]*>(.*?)</ul>', page, re.S)
        )
    # No admin save wrote back the status its request read before a publication.
    assert left_unpublished == [] and Period.objects.get(pk=period.pk).is_published


def tthc_table(tmp_path, name: str, received: int):
    path = tmp_path / name
    path.write_text(
        f"commune_code,received,processed,on_time,late\nA,{received},{received},{received},0\n",
        encoding="utf-8",
    )
    return read_table(path, name, required=TTHC_COLUMNS, optional=TTHC_OPTIONAL)


@pytest.mark.django_db(transaction=True)
def test_typed_tthc_figures_racing_an_import_keep_one_audit_chain(
    postgres_only, period, units, appraiser, admin_user, tmp_path
):
    import_procedure_figures(tthc_table(tmp_path, "dau.csv", 1), period=period, by=appraiser)
    figures = ProcedureFigures.objects.get(period=period, commune__code="A")
    client = logged_in(admin_user)

    def late_import(number, period, table):
        # An admin request takes longer than an import: starting the import 0–45 ms late
        # puts the admin's save before, during or after it across the rounds.
        time.sleep(number % 10 * 0.005)
        return import_procedure_figures(table, period=period, by=appraiser)

    def type_figures(number, _prepared):
        received = 1000 + number
        response = client.post(
            f"/admin/scoring/procedurefigures/{figures.pk}/change/",
            {"received": received, "processed": received, "on_time": received, "late": 0,
             "online": ""},
        )
        return response.status_code

    results = race(
        ROUNDS,
        [
            Attempt(
                prepare=lambda number: (
                    fresh_period(period), tthc_table(tmp_path, f"tthc-{number}.csv", 10 + number)
                ),
                run=lambda number, prepared: late_import(number, *prepared),
            ),
            Attempt(prepare=lambda number: None, run=type_figures),
        ],
    )

    assert all(
        isinstance(imported, ProcedureImport) and typed == 302 for imported, typed in results
    ), results
    events = list(
        AuditEvent.objects.filter(
            action__in=["procedure_figures_imported", "procedure_figures_typed"]
        ).order_by("id")
    )
    assert len(events) == 1 + 2 * ROUNDS
    for previous, event in zip(events, events[1:]):
        assert event.old_value == previous.new_value, (previous.action, event.action)
    stored = ProcedureFigures.objects.get(pk=figures.pk)
    assert events[-1].new_value == stored.text
