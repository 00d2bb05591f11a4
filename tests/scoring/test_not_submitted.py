"""Finishing a period in the app (issue 14, item 6): after the self-assessment deadline the
appraisers of the period's unit open a commune that never submitted and appraise it ("không nộp
hồ sơ"); the criteria they do not score count 0; audited; the period table shows it."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.models import Assessment, AuditEvent, Result, Score
from scoring.services import WorkflowError
from scoring.services import appraisal as services
from scoring.services.publishing import publish_period

from ..factories import make_period, make_unit, make_user
from .appraisal_data import assessment_of, score_of
from .test_concurrency import Attempt, postgres_only, race  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
D = Decimal
Status = Assessment.Status
TODAY = datetime.date.today()


@pytest.fixture
def late_period(units):
    """Self-assessment closed five days ago; appraisal runs until later."""
    return make_period(
        units["district"],
        code="P-LATE",
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=5),
        appraisal_due=TODAY + datetime.timedelta(days=25),
    )


@pytest.fixture
def no_show(late_period, units):
    """Commune A scored 1.1 (2 of 2) before the deadline and never submitted."""
    assessment = assessment_of(late_period, units["commune"])
    # Entered while the period was open: the service checks today's date, so write directly.
    Score.objects.filter(pk=score_of(assessment, "1.1").pk).update(
        self_score=D(2), self_note="Có kế hoạch"
    )
    return assessment_of(late_period, units["commune"])


def url(assessment, name):
    return reverse(f"scoring:{name}", args=[assessment.period.code, assessment.commune.code])


def test_the_team_opens_a_no_show_and_unscored_criteria_count_zero(
    client, appraiser, no_show, django_assert_max_num_queries
):
    client.force_login(appraiser)
    page = client.get(url(no_show, "assessment")).content.decode()
    assert "chưa nộp hồ sơ tự đánh giá" in page
    assert "Mở hồ sơ để thẩm định (không nộp hồ sơ)" in page
    assert "Có kế hoạch" not in page  # still the commune's own draft
    response = client.post(
        url(no_show, "open_not_submitted"), {"reason": "Quá hạn 5 ngày, đã nhắc 2 lần"}, follow=True
    )
    assert "Đã mở hồ sơ của Xã Đồng Tâm để thẩm định (không nộp hồ sơ)" in response.content.decode()
    opened = assessment_of(no_show.period, no_show.commune)
    assert (opened.status, opened.not_submitted, opened.assignee) == (
        Status.UNDER_REVIEW, True, appraiser
    )
    assert opened.version == no_show.version + 1
    event = AuditEvent.objects.get(assessment=opened, action="not_submitted_appraisal")
    assert (event.user, event.reason, event.old_text, event.new_text) == (
        appraiser, "Quá hạn 5 ngày, đã nhắc 2 lần", "Đang tự đánh giá", "Đang thẩm định"
    )
    page = client.get(url(opened, "assessment")).content.decode()
    assert "Không nộp hồ sơ" in page and "tiêu chí không được chấm tính 0 điểm" in page

    # The team scores 1.1 only; finishing gives 1.2 and 2.1 zero, each audited with the note.
    score = score_of(opened, "1.1")
    services.appraise_score(score, value="1,5", note="Kế hoạch ban hành muộn", version=score.version, by=appraiser)
    services.mark_appraised(opened, by=appraiser)
    done = assessment_of(no_show.period, no_show.commune)
    assert done.status == Status.APPRAISED
    scores = {
        s.criterion.code: (s.appraised_score, s.appraisal_note)
        for s in Score.objects.filter(assessment=done).select_related("criterion")
    }
    assert scores == {
        "1.1": (D("1.5"), "Kế hoạch ban hành muộn"),
        "1.2": (D(0), services.NOT_SUBMITTED_NOTE),
        "2.1": (D(0), services.NOT_SUBMITTED_NOTE),
    }
    zeros = AuditEvent.objects.filter(
        assessment=done, action="appraised_score", reason=services.NOT_SUBMITTED_NOTE
    )
    assert sorted(e.criterion.code for e in zeros) == ["1.2", "2.1"]

    # The period table and its CSV say so.
    # The period table's own pinned count (tests/scoring/test_period_table.py): the marker
    # costs no query.
    with django_assert_max_num_queries(13):
        table = client.get(reverse("scoring:period", args=[done.period.code])).content.decode()
    row = table[table.index('id="row-A"') : table.index("</tr>", table.index('id="row-A"'))]
    assert "Đã thẩm định" in row and "không nộp hồ sơ" in row
    other = table[table.index('id="row-B"') : table.index("</tr>", table.index('id="row-B"'))]
    assert "không nộp hồ sơ" not in other
    response = client.get(reverse("scoring:period_csv", args=[done.period.code]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert next(r for r in rows if r[0] == "A")[3] == "Đã thẩm định (không nộp hồ sơ)"

    # The minutes say it; publishing counts 1,5 for the commune.
    minutes = client.get(url(done, "minutes"))
    assert minutes.status_code == 200
    for other_assessment in Assessment.objects.filter(period=done.period).exclude(pk=done.pk):
        Score.objects.filter(assessment=other_assessment).update(appraised_score=D(1))
    Assessment.objects.filter(period=done.period).exclude(pk=done.pk).update(status=Status.APPRAISED)
    publication = publish_period(done.period, by=appraiser)
    assert Result.objects.get(publication=publication, commune=done.commune).total == D("1.5")


def test_not_before_the_deadline_nor_while_reopened_nor_once_handed_in(
    client, appraiser, period, late_period, units
):
    client.force_login(appraiser)
    before = assessment_of(period, units["commune"])  # deadline in 30 days
    page = client.get(url(before, "assessment")).content.decode()
    assert "Chưa hết hạn tự đánh giá" in page and "Mở hồ sơ để thẩm định" not in page
    response = client.post(url(before, "open_not_submitted"), follow=True)
    assert "Chưa hết hạn tự đánh giá" in response.content.decode()
    assert assessment_of(period, units["commune"]).status == Status.DRAFT

    reopened = assessment_of(late_period, units["commune"])
    Assessment.objects.filter(pk=reopened.pk).update(reopened_until=TODAY + datetime.timedelta(days=2))
    with pytest.raises(WorkflowError, match="mở lại cho xã"):
        services.open_not_submitted(reopened, by=appraiser)
    handed_in = assessment_of(late_period, units["other_commune"])
    Assessment.objects.filter(pk=handed_in.pk).update(status=Status.SUBMITTED)
    with pytest.raises(WorkflowError, match="Xã đã nộp hồ sơ"):
        services.open_not_submitted(handed_in, by=appraiser)
    locked = assessment_of(late_period, units["other_commune"])
    Assessment.objects.filter(pk=locked.pk).update(status=Status.DRAFT, locked=True)
    with pytest.raises(WorkflowError, match="khóa"):
        services.open_not_submitted(assessment_of(late_period, units["other_commune"]), by=appraiser)
    assert not AuditEvent.objects.filter(action="not_submitted_appraisal").exists()
    assert not Assessment.objects.filter(not_submitted=True).exists()


def test_only_the_appraisers_of_the_periods_unit_may(
    client, no_show, far_appraiser, leader, officer
):
    client.force_login(far_appraiser)  # another district: the commune is not even visible
    assert client.post(url(no_show, "open_not_submitted")).status_code == 404
    for user in (leader, officer):
        client.force_login(user)
        assert client.post(url(no_show, "open_not_submitted")).status_code == 403
    client.force_login(leader)
    assert "Mở hồ sơ để thẩm định" not in client.get(url(no_show, "assessment")).content.decode()
    assert assessment_of(no_show.period, no_show.commune).status == Status.DRAFT
    assert client.get(url(no_show, "open_not_submitted")).status_code == 405


# --- races (PostgreSQL): the opening takes the lock order of every write -------------------

ROUNDS = 20


@pytest.fixture
def many_no_shows(units):
    """ROUNDS communes of D1 that never submitted, in a period past its deadline."""
    for number in range(ROUNDS):
        make_unit(f"R{number:02d}", f"Xã Thử {number}", "xa", units["district"])
    period = make_period(
        units["district"],
        code="P-RACE",
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=5),
    )
    return [
        Assessment.objects.get(period=period, commune__code=f"R{number:02d}")
        for number in range(ROUNDS)
    ]


def fresh(assessment) -> Assessment:
    return Assessment.objects.select_related("period__unit", "commune").get(pk=assessment.pk)


@pytest.mark.django_db(transaction=True)
def test_opening_racing_a_reopening_for_the_commune_lets_exactly_one_through(
    postgres_only, many_no_shows, appraiser
):
    """The team opens a no-show while a colleague reopens it for the commune: one of them wins
    each round, the other is refused, and the assessment and its audit say the same."""
    results = race(ROUNDS, [
        Attempt(
            prepare=lambda n: fresh(many_no_shows[n]),
            run=lambda n, a: services.open_not_submitted(a, by=appraiser),
        ),
        Attempt(
            prepare=lambda n: fresh(many_no_shows[n]),
            run=lambda n, a: services.reopen_assessment(
                a, reason="Xã xin gia hạn", by=appraiser, until=TODAY + datetime.timedelta(days=3)
            ),
        ),
    ])
    for number, (opened, reopened) in enumerate(results):
        assert [isinstance(r, WorkflowError) for r in (opened, reopened)].count(True) == 1, (
            number, opened, reopened
        )
        stored = fresh(many_no_shows[number])
        events = list(AuditEvent.objects.filter(assessment=stored).values_list("action", flat=True))
        if isinstance(reopened, WorkflowError):
            assert (stored.status, stored.not_submitted, stored.reopened_until) == (
                Status.UNDER_REVIEW, True, None
            )
            assert events == ["not_submitted_appraisal"]
        else:
            assert (stored.status, stored.not_submitted) == (Status.DRAFT, False)
            assert events == ["reopened"]


@pytest.mark.django_db(transaction=True)
def test_two_appraisers_opening_one_no_show_open_it_once(postgres_only, many_no_shows, appraiser, units):
    colleague = make_user("thamdinh_2", unit=units["district"], role="appraiser")
    results = race(ROUNDS, [
        Attempt(
            prepare=lambda n, who=who: fresh(many_no_shows[n]),
            run=lambda n, a, who=who: services.open_not_submitted(a, by=who),
        )
        for who in (appraiser, colleague)
    ])
    for number, pair in enumerate(results):
        assert [isinstance(r, WorkflowError) for r in pair].count(True) == 1, (number, pair)
        stored = fresh(many_no_shows[number])
        assert stored.status == Status.UNDER_REVIEW and stored.version == 2
        assert AuditEvent.objects.filter(
            assessment=stored, action="not_submitted_appraisal"
        ).count() == 1
